"""Outcome metrics of one run, computed from its tables only (never from a live model)."""

from __future__ import annotations

import math

import pandas as pd

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
    "detected_early_share": ("Detection", "detected before becoming overt", "share"),
    "detection_lead_time_months": ("Detection", "mean warning before overt", "months"),
    "detection_delay_months": ("Detection", "mean time from emergence to detection", "months"),
    "response_time_months": ("Response", "mean time from detection to first help", "months"),
    "help_requests": ("Response", "requests for help", "requests"),
    "help_given": ("Response", "contributions to another member's threat", "contributions"),
    "help_refused": ("Response", "members asked who gave nothing", "refusals"),
    "requests_declined": ("Response", "requests turned down by the group's vote", "requests"),
    "requests_blocked": ("Response", "requests the rule ruled out", "requests"),
    "aggression_helped_share": ("Response", "aggressions against members helped", "share"),
    "abandonments": ("Alliance", "bound members who gave nothing", "abandonments"),
    "entrapments": ("Alliance", "helpers caught in long engagements", "entrapments"),
    "leaks": ("Alliance", "leaks of shared intelligence", "leaks"),
    "mean_trust": ("Alliance", "mean trust between members at the end", "0-1"),
    "mean_interoperability": ("Alliance", "mean interoperability at the end", "0-1"),
    "members_remaining": ("Alliance", "members still in the group at the end", "members"),
    "burden_rank_corr": ("Burden", "rank correlation of GDP with defence % GDP", "Spearman"),
    "mean_defence_pct_gdp": ("Burden", "mean defence spending", "% GDP"),
    "defence_cost_usd_bn": ("Costs", "defence spending over the run", "US$ bn"),
    "exercise_cost_usd_bn": ("Costs", "joint exercises", "US$ bn"),
    "help_cost_usd_bn": ("Costs", "helping others", "US$ bn"),
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
        # Spearman: Pearson correlation of the ranks (pandas' own would import scipy)
        members["gdp_usd_bn"].rank().corr(members["defence_pct_gdp_mean"].rank())
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
    return {key: out[key] for key in METRICS}


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
