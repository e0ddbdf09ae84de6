"""Outcome metrics of one run, computed from its tables only (never from a live model)."""

from __future__ import annotations

import math

import pandas as pd

from sim.config import Scenario

#: Every metric of :func:`summarise`, with its unit and meaning (for docs and printing).
METRICS: dict[str, str] = {
    "damage_usd_bn": "US$ bn: damage from all threats, all members",
    "damage_pct_gdp_per_year": "% of GDP: damage per year relative to the group's initial GDP",
    "threats_emerged": "count: threats that emerged (spill-overs included)",
    "threats_detected": "count: threats detected (by intelligence or once overt)",
    "threats_resolved": "count: threats brought below their resolution size",
    "threats_unresolved": "count: threats still active at the end",
    "detected_early_share": "share: detected threats detected before they became overt",
    "detection_lead_time_months": "months: mean warning before a threat would be overt",
    "detection_delay_months": "months: mean time from emergence to detection",
    "response_time_months": "months: mean time from detection to the first help",
    "help_requests": "count: requests for help",
    "help_given": "count: contributions of members to another's threat",
    "help_refused": "count: members asked who gave nothing (abandonments included)",
    "requests_declined": "count: requests the group's decision procedure turned down",
    "requests_blocked": "count: requests the rule ruled out (type not covered, internal affair)",
    "aggression_helped_share": "share: aggression threats against members that received help",
    "abandonments": "count: bound members who gave nothing",
    "entrapments": "count: helpers engaged longer than the entrapment threshold",
    "leaks": "count: leaks of shared intelligence",
    "spillovers": "count: threats that spread across a border",
    "burden_rank_corr": "Spearman rank correlation of GDP with mean defence % of GDP",
    "mean_defence_pct_gdp": "% of GDP: mean over members of their mean defence spending",
    "mean_trust": "[0, 1]: mean trust between remaining members at the end",
    "mean_interoperability": "[0, 1]: mean interoperability between remaining members, end",
    "members_remaining": "count: members still in the group at the end",
    "defence_cost_usd_bn": "US$ bn: defence spending over the run",
    "exercise_cost_usd_bn": "US$ bn: cost of joint exercises",
    "help_cost_usd_bn": "US$ bn: cost of helping others",
}


def _mean(series: pd.Series) -> float:
    series = pd.to_numeric(series, errors="coerce").dropna()
    return float(series.mean()) if len(series) else math.nan


def summarise(
    steps: pd.DataFrame, members: pd.DataFrame, threats: pd.DataFrame, config: Scenario
) -> dict[str, float]:
    """The outcome metrics of :data:`METRICS` for one run (NaN where undefined)."""
    months = float(steps["month"].iloc[-1]) if len(steps) else 0.0
    years = max(months, 1.0) / 12.0
    gdp = members["gdp_usd_bn"].sum()
    detected = threats[threats["detected_month"].notna()]
    early = detected["overt_month"].isna() | (detected["detected_month"] < detected["overt_month"])
    helped = threats[threats["first_help_month"].notna()]
    aggression = threats[threats["type"] == "aggression"]
    burden = (
        members["gdp_usd_bn"].corr(members["defence_pct_gdp_mean"], method="spearman")
        if len(members) > 2 and members["defence_pct_gdp_mean"].nunique() > 1
        else math.nan
    )
    last = steps.iloc[-1]
    out = {
        "damage_usd_bn": float(members["damage_usd_bn"].sum()),
        "damage_pct_gdp_per_year": 100.0 * float(members["damage_usd_bn"].sum()) / gdp / years,
        "threats_emerged": float(len(threats)),
        "threats_detected": float(len(detected)),
        "threats_resolved": float(threats["resolved_month"].notna().sum()),
        "threats_unresolved": float(threats["resolved_month"].isna().sum()),
        "detected_early_share": float(early.mean()) if len(detected) else math.nan,
        "detection_lead_time_months": _mean(detected["lead_time_months"]),
        "detection_delay_months": _mean(detected["detected_month"] - detected["emerged_month"]),
        "response_time_months": _mean(helped["first_help_month"] - helped["detected_month"]),
        "help_requests": float(steps["help_requests"].sum()),
        "help_given": float(steps["help_given"].sum()),
        "help_refused": float(steps["help_refused"].sum()),
        "requests_declined": float((threats["collective"] == "declined").sum()),
        "requests_blocked": float((threats["collective"] == "blocked").sum()),
        "aggression_helped_share": (
            float(aggression["first_help_month"].notna().mean()) if len(aggression) else math.nan
        ),
        "abandonments": float(steps["abandonments"].sum()),
        "entrapments": float(steps["entrapments"].sum()),
        "leaks": float(steps["leaks"].sum()),
        "spillovers": float(steps["spillovers"].sum()),
        "burden_rank_corr": float(burden),
        "mean_defence_pct_gdp": float(members["defence_pct_gdp_mean"].mean()),
        "mean_trust": float(last["mean_trust"]),
        "mean_interoperability": float(last["mean_interoperability"]),
        "members_remaining": float(last["members_remaining"]),
        "defence_cost_usd_bn": float(members["defence_spent_usd_bn"].sum()),
        "exercise_cost_usd_bn": float(steps["exercise_cost_usd_bn"].sum()),
        "help_cost_usd_bn": float(steps["help_cost_usd_bn"].sum()),
    }
    assert list(out) == list(METRICS), "METRICS and summarise() must list the same metrics"
    return out


def threats_by_type(threats: pd.DataFrame, types: list[str]) -> pd.DataFrame:
    """Per threat type: emerged, detected, detected early, resolved, unresolved, helped,
    and damage.
    """
    rows = []
    for kind in types:
        t = threats[threats["type"] == kind]
        detected = t["detected_month"].notna()
        early = detected & (t["overt_month"].isna() | (t["detected_month"] < t["overt_month"]))
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
