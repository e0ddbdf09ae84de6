"""Outcome metrics of one run, computed from its tables only (never from a live model)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.errors import InputError
from sim.recorder import COUNTERS, STATE

if TYPE_CHECKING:
    from sim.config import Scenario

#: Every metric of :func:`summarise`: (group, description, unit), in print order.
METRICS: dict[str, tuple[str, str, str]] = {
    "damage_usd_bn": ("Damage", "damage from all threats, all members", "US$ bn"),
    "damage_pct_gdp_per_year": ("Damage", "damage per year, of the group's GDP", "% GDP"),
    "threats_emerged": ("Threats", "emerged (spill-overs included)", "threats"),
    "threats_detected": ("Threats", "detected (by intelligence or once overt)", "threats"),
    "threats_resolved": ("Threats", "resolved", "threats"),
    "threats_unresolved": ("Threats", "still active at the end", "threats"),
    "spillovers": ("Threats", "spread across a border", "threats"),
    "challenges": ("Adversaries", "challenges by outside powers", "challenges"),
    "armed_challenges": ("Adversaries", "armed attacks by outside powers", "challenges"),
    "grey_zone_challenges": ("Adversaries", "grey-zone challenges (coercion)", "challenges"),
    "detected_early_share": ("Detection", "detected before becoming overt", "share"),
    "detection_lead_time_months": ("Detection", "mean warning before overt", "months"),
    "detection_delay_months": ("Detection", "mean time from emergence to detection", "months"),
    "decision_time_months": ("Response", "mean time from request to decision", "months"),
    "response_time_months": ("Response", "mean time from detection to help arriving", "months"),
    "help_requests": ("Response", "requests for help", "requests"),
    "help_given": ("Response", "contributions to another member's threat", "contributions"),
    "help_refused": ("Response", "members asked who gave nothing", "refusals"),
    "requests_declined": ("Response", "requests turned down by the group's vote", "requests"),
    "requests_blocked": ("Response", "requests the rule ruled out", "requests"),
    "aggression_helped_share": ("Response", "aggressions against members helped", "share"),
    "internal_interventions": ("Response", "threats in members' internal affairs helped",
                               "threats"),
    "abandonments": ("Alliance", "bound members who gave nothing", "abandonments"),
    "reliability": ("Alliance", "calls on bound members that they honoured", "share"),
    "entrapments": ("Alliance", "members drawn by the rule into an outside power's war",
                    "entrapments"),
    "overextension": ("Alliance", "forces abroad while hit at home", "force-share months"),
    "leaks": ("Alliance", "leaks of shared intelligence", "leaks"),
    "mean_trust": ("Alliance", "mean trust between members at the end", "0-1"),
    "mean_interoperability": ("Alliance", "mean interoperability at the end", "0-1"),
    "mean_readiness": ("Alliance", "mean readiness at the end", "0-1"),
    "members_remaining": ("Alliance", "members still in the group at the end", "members"),
    "burden_rank_corr": ("Burden", "rank correlation of GDP with mean defence % GDP", "Spearman"),
    "burden_rank_corr_final": (
        "Burden",
        "rank correlation of GDP with final defence % GDP",
        "Spearman",
    ),
    "mean_defence_pct_gdp": ("Burden", "mean defence spending", "% GDP"),
    "defence_cost_usd_bn": ("Costs", "defence spending over the run", "US$ bn"),
    "exercise_cost_usd_bn": ("Costs", "joint exercises", "US$ bn"),
    "meeting_cost_usd_bn": ("Costs", "ministers' meetings and consultations", "US$ bn"),
    "help_cost_usd_bn": ("Costs", "helping others (deployments abroad)", "US$ bn"),
    "total_cost_usd_bn": ("Costs", "damage, defence, exercises, meetings and help", "US$ bn"),
    "total_cost_pct_gdp_per_year": ("Costs", "total cost per year, of the group's GDP",
                                    "% GDP"),
    "amendments_proposed": ("Adaptation", "amendments of the rule put to the vote",
                            "proposals"),
    "amendments_tightening": ("Adaptation", "amendments adopted towards more commitment",
                              "amendments"),
    "amendments_loosening": ("Adaptation", "amendments adopted towards less commitment",
                             "amendments"),
    "amended_toward_commitment": ("Adaptation", "an amendment towards commitment adopted (1) "
                                  "or not (0)", "0-1"),
    "first_amendment_month": ("Adaptation", "month of the first amendment adopted", "month"),
    "rule_level_final": ("Adaptation", "the rule in force at the end (0: non-intervention, "
                         "5: collective commitment)", "0-5"),
    "suspensions": ("Adaptation", "members suspended by the group", "members"),
    "members_joined": ("Adaptation", "members joining or rejoining", "members"),
    "stopped_month": ("Run", "month the scenario's stop condition ended the run", "month"),
}  # fmt: skip

#: Metrics that can be undefined (NaN) in a run, and when. Every other metric is always a
#: finite number.
UNDEFINED: dict[str, str] = {
    "detected_early_share": "no threat was detected",
    "detection_lead_time_months": "no threat was detected",
    "detection_delay_months": "no threat was detected",
    "decision_time_months": "the group decided on no request",
    "response_time_months": "no help arrived",
    "aggression_helped_share": "no aggression hit a member",
    "reliability": "no bound member was called on",
    "burden_rank_corr": "fewer than three members, or spending or GDP all equal",
    "burden_rank_corr_final": "fewer than three members, or spending or GDP all equal",
    "mean_trust": "fewer than two members remain",
    "mean_interoperability": "fewer than two members remain",
    "first_amendment_month": "no amendment was adopted",
    "stopped_month": "the run went its full length (no stop condition, or none met)",
}

#: Columns of the per-step table (steps.csv, series/): (description, unit), for plots.
#: ``damage_cumulative_usd_bn`` is derived when results are read back (running sum).
SERIES: dict[str, tuple[str, str]] = {
    "damage_cumulative_usd_bn": ("damage so far", "US$ bn"),
    **{s.column: (s.meaning, s.unit) for s in (*COUNTERS, *STATE)},
}


#: The possible values of each unit, (lowest, highest): intervals of a mean must stay within
#: them (see :mod:`sim.statistics`). A unit missing here fails at import, so a new metric's
#: unit must be placed.
UNIT_RANGES: dict[str, tuple[float, float]] = {
    "share": (0.0, 1.0),
    "0-1": (0.0, 1.0),
    "0-5": (0.0, 5.0),
    "Spearman": (-1.0, 1.0),
    **dict.fromkeys(
        ["US$ bn", "US$ bn a year", "% GDP", "months", "month", "force-share months",
         "force shares", "threats", "challenges", "requests", "contributions", "refusals",
         "abandonments", "entrapments", "leaks", "members", "proposals", "amendments",
         "decisions", "links", "meetings"],
        (0.0, math.inf),
    ),
}  # fmt: skip

#: The range of every metric of :data:`METRICS`, from its unit.
RANGES: dict[str, tuple[float, float]] = {m: UNIT_RANGES[u] for m, (_, _, u) in METRICS.items()}

#: The range of every per-step column of :data:`SERIES`, from its unit.
SERIES_RANGES: dict[str, tuple[float, float]] = {c: UNIT_RANGES[u] for c, (_, u) in SERIES.items()}

UNBOUNDED = (-math.inf, math.inf)


def metric_range(name: str) -> tuple[float, float]:
    """The possible values of a metric of the runs table; unbounded for users' own outcomes."""
    return RANGES.get(name, UNBOUNDED)


def series_range(name: str) -> tuple[float, float]:
    """The possible values of a per-step (or per-member) column: a series column's, else a
    metric's of the same name, else unbounded."""
    return SERIES_RANGES.get(name) or RANGES.get(name, UNBOUNDED)


def check_own_names(names: Iterable[str], where: str) -> None:
    """Refuse users' own outcomes named like a built-in metric (InputError at ``where``):
    their column would take the built-in's place."""
    taken = sorted(set(names) & set(METRICS))
    if taken:
        raise InputError(f"{where}: outcomes.{taken[0]}: a built-in metric has this name")


def _num(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A column as floats, missing values as NaN."""
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _mean(values: np.ndarray) -> float:
    values = values[~np.isnan(values)]
    return float(values.mean()) if len(values) else math.nan


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman rank correlation (average ranks for ties); NaN if either side is constant."""
    if len(x) < 3:
        return math.nan
    rx, ry = pd.Series(x).rank().to_numpy(), pd.Series(y).rank().to_numpy()
    if rx.std() == 0 or ry.std() == 0:
        return math.nan
    return float(np.corrcoef(rx, ry)[0, 1])


def summarise(
    steps: pd.DataFrame, members: pd.DataFrame, threats: pd.DataFrame, config: Scenario
) -> dict[str, float]:
    """The outcome metrics of :data:`METRICS` for one run (NaN where undefined)."""
    months = float(steps["month"].iloc[-1]) if len(steps) else 0.0
    years = max(months, 1.0) / 12.0
    damage = float(members["damage_usd_bn"].sum())
    emerged, detected_at = _num(threats, "emerged_month"), _num(threats, "detected_month")
    overt_at, helped_at = _num(threats, "overt_month"), _num(threats, "first_help_month")
    requested_at, decided_at = _num(threats, "requested_month"), _num(threats, "decided_month")
    resolved = ~np.isnan(_num(threats, "resolved_month"))
    detected = ~np.isnan(detected_at)
    early = detected & (np.isnan(overt_at) | (detected_at < overt_at))
    helped = ~np.isnan(helped_at)
    decided = ~np.isnan(decided_at)
    aggression = (threats["type"] == "aggression").to_numpy()
    internal_types = {k for k, t in config.threats.items() if t.internal_affair}
    internal = threats["type"].isin(internal_types).to_numpy()
    collective = threats["collective"].to_numpy(dtype=object)
    totals = {c: float(steps[c].sum()) for c in _STEP_TOTALS}
    last = steps.iloc[-1]
    gdp_years = _gdp_years(steps, members, years)
    costs = (
        damage
        + float(members["defence_spent_usd_bn"].sum())
        + totals["exercise_cost_usd_bn"]
        + totals["meeting_cost_usd_bn"]
        + totals["help_cost_usd_bn"]
    )
    out = {
        "damage_usd_bn": damage,
        "damage_pct_gdp_per_year": 100.0 * damage / gdp_years,
        "threats_emerged": float(len(threats)),
        "threats_detected": float(detected.sum()),
        "threats_resolved": float(resolved.sum()),
        "threats_unresolved": float((~resolved).sum()),
        "challenges": totals["challenges"],
        "armed_challenges": totals["armed_challenges"],
        "grey_zone_challenges": totals["grey_zone_challenges"],
        "detected_early_share": float(early.sum() / detected.sum()) if detected.any() else math.nan,
        "detection_lead_time_months": _mean(_num(threats, "lead_time_months")[detected]),
        "detection_delay_months": _mean((detected_at - emerged)[detected]),
        "decision_time_months": _mean((decided_at - requested_at)[decided]),
        "response_time_months": _mean((helped_at - detected_at)[helped]),
        "help_requests": totals["help_requests"],
        "help_given": totals["help_given"],
        "help_refused": totals["help_refused"],
        "requests_declined": float((collective == "declined").sum()),
        "requests_blocked": float((collective == "blocked").sum()),
        "aggression_helped_share": (
            float(helped[aggression].mean()) if aggression.any() else math.nan
        ),
        "internal_interventions": float((helped & internal).sum()),
        "abandonments": totals["abandonments"],
        "reliability": (
            totals["obligations_honoured"] / called
            if (called := totals["obligations_honoured"] + totals["abandonments"])
            else math.nan
        ),
        "entrapments": totals["entrapments"],
        "overextension": totals["overextension"],
        "leaks": totals["leaks"],
        "spillovers": totals["spillovers"],
        "burden_rank_corr": _spearman(
            members["gdp_usd_bn"].to_numpy(float), members["defence_pct_gdp_mean"].to_numpy(float)
        ),
        "burden_rank_corr_final": _spearman(
            members["gdp_usd_bn"].to_numpy(float), members["defence_pct_gdp_final"].to_numpy(float)
        ),
        "mean_defence_pct_gdp": float(members["defence_pct_gdp_mean"].mean()),
        "mean_trust": float(last["mean_trust"]),
        "mean_interoperability": float(last["mean_interoperability"]),
        "mean_readiness": float(last["mean_readiness"]),
        "members_remaining": float(last["members_remaining"]),
        "defence_cost_usd_bn": float(members["defence_spent_usd_bn"].sum()),
        "exercise_cost_usd_bn": totals["exercise_cost_usd_bn"],
        "meeting_cost_usd_bn": totals["meeting_cost_usd_bn"],
        "help_cost_usd_bn": totals["help_cost_usd_bn"],
        "total_cost_usd_bn": costs,
        "total_cost_pct_gdp_per_year": 100.0 * costs / gdp_years,
        "amendments_proposed": totals["amendments_proposed"],
        "amendments_tightening": totals["amendments_tightening"],
        "amendments_loosening": totals["amendments_loosening"],
        "amended_toward_commitment": float(totals["amendments_tightening"] > 0),
        "first_amendment_month": _first_month(
            steps, steps["amendments_tightening"] + steps["amendments_loosening"] > 0
        ),
        "rule_level_final": float(last["rule_level"]),
        "suspensions": totals["suspensions"],
        "members_joined": totals["joined"],
        "stopped_month": (
            months if months < config.steps * config.months_per_step and len(steps) else math.nan
        ),
    }
    return {key: out[key] for key in METRICS}


_STEP_TOTALS = (
    "help_requests", "help_given", "help_refused", "abandonments", "obligations_honoured",
    "entrapments", "overextension", "leaks", "spillovers", "challenges", "armed_challenges",
    "grey_zone_challenges", "exercise_cost_usd_bn", "meeting_cost_usd_bn", "help_cost_usd_bn",
    "amendments_proposed", "amendments_tightening", "amendments_loosening", "suspensions",
    "joined",
)  # fmt: skip


def _first_month(steps: pd.DataFrame, happened: pd.Series) -> float:
    """The month of the first step where ``happened`` is true (NaN if never)."""
    months = steps.loc[happened.to_numpy(dtype=bool), "month"]
    return float(months.iloc[0]) if len(months) else math.nan


def _gdp_years(steps: pd.DataFrame, members: pd.DataFrame, years: float) -> float:
    """The group's GDP summed over the run (US$ bn): each step's GDP times its length, or
    the starting GDP times the years where the table has no GDP column."""
    if "gdp_usd_bn" in steps and len(steps) > 1:
        months = np.diff(_num(steps, "month"))
        return float((_num(steps, "gdp_usd_bn")[1:] * months).sum() / 12.0)
    return float(members["gdp_usd_bn"].sum()) * years


def threats_by_type(threats: pd.DataFrame, types: list[str]) -> pd.DataFrame:
    """Per threat type: emerged, detected, detected early, resolved, unresolved, helped,
    and damage.
    """
    rows = []
    for kind in types:
        t = threats[threats["type"] == kind]
        detected_at, overt_at = _num(t, "detected_month"), _num(t, "overt_month")
        detected = ~np.isnan(detected_at)
        early = detected & (np.isnan(overt_at) | (detected_at < overt_at))
        rows.append(
            {
                "type": kind,
                "emerged": len(t),
                "detected": int(detected.sum()),
                "detected_early": int(early.sum()),
                "resolved": int(t["resolved_month"].notna().sum()),
                "unresolved": int(t["resolved_month"].isna().sum()),
                "helped": int(t["first_help_month"].notna().sum()),
                "damage_usd_bn": float(t["damage_usd_bn"].sum()),
            }
        )
    return pd.DataFrame(rows)
