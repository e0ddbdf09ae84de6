"""Outcome statistics over replications, and paired differences against a baseline.

They take the runs table (one row per run, inputs beside outcomes) and return tidy tables.
Confidence intervals are Student-t intervals for the mean; differences are paired by
replication (the same seed in both settings) and tested with a paired t-test, or, between
runs that share no seeds, compared with Welch's unpaired t-test.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import special  # t distribution (scipy.stats would add ~0.7 s of imports)

CONFIDENCE = 0.95


def _ok_groups(
    runs: pd.DataFrame, by: Sequence[str]
) -> Iterator[tuple[dict[str, Any], pd.DataFrame]]:
    """The groups of ``by`` (their values as a mapping), each without its failed runs."""
    groups = runs.groupby(list(by), sort=False, dropna=False) if by else [((), runs)]
    for key, group in groups:
        key = key if isinstance(key, tuple) else (key,)
        if "status" in group:
            group = group[group["status"] == "ok"]
        yield dict(zip(by, key, strict=True)), group


def mean_ci(values: Sequence[float], confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Student-t confidence interval of the mean (NaN with fewer than two values)."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if len(x) < 2:
        return (math.nan, math.nan)
    mean = x.mean()
    sem = x.std(ddof=1) / math.sqrt(len(x))
    if sem == 0:
        return (float(mean), float(mean))
    half = float(special.stdtrit(len(x) - 1, 0.5 + confidence / 2)) * sem  # t quantile
    return (float(mean - half), float(mean + half))


def paired_t_pvalue(differences: np.ndarray) -> float:
    """Two-sided p-value of a paired t-test (H0: mean difference 0)."""
    n = len(differences)
    t = differences.mean() / (differences.std(ddof=1) / math.sqrt(n))
    return float(2.0 * special.stdtr(n - 1, -abs(t)))


def describe(runs: pd.DataFrame, metrics: Sequence[str], by: Sequence[str] = ()) -> pd.DataFrame:
    """Per group of ``by`` and metric: n, mean, std, median, and the 95 % CI of the mean.

    Failed runs (``status`` other than ``ok``) and NaN values are left out of the counts.
    """
    rows = []
    for key, group in _ok_groups(runs, by):  # a group of failures still gets rows, n=0
        for metric in metrics:
            x = pd.to_numeric(group[metric], errors="coerce").dropna().to_numpy(dtype=float)
            low, high = mean_ci(x)
            rows.append(
                {
                    **key,
                    "metric": metric,
                    "n": len(x),
                    "mean": float(x.mean()) if len(x) else math.nan,
                    "std": float(x.std(ddof=1)) if len(x) > 1 else math.nan,
                    "median": float(np.median(x)) if len(x) else math.nan,
                    "ci_low": low,
                    "ci_high": high,
                }
            )
    return pd.DataFrame(rows)


def paired_differences(
    runs: pd.DataFrame,
    metrics: Sequence[str],
    baseline: str,
    variant_col: str = "variant",
    pair_on: str = "replication",
    by: Sequence[str] = (),
) -> pd.DataFrame:
    """Each variant minus the baseline, paired by replication within each group of ``by``.

    Returns per group, variant and metric: the number of pairs, the mean difference, its
    95 % CI, and the p-value of a paired t-test (NaN when undefined, e.g. all differences
    equal). Pairs where either run failed or the metric is NaN are left out.
    """
    rows = []
    for key, variant, base, other in _against_baseline(runs, baseline, variant_col, by):
        base, other = base.set_index(pair_on), other.set_index(pair_on)
        common = base.index.intersection(other.index)
        for metric in metrics:
            a = pd.to_numeric(other.loc[common, metric], errors="coerce")
            b = pd.to_numeric(base.loc[common, metric], errors="coerce")
            d = (a - b).dropna().to_numpy(dtype=float)
            low, high = mean_ci(d)
            p = paired_t_pvalue(d) if len(d) > 1 and np.std(d) > 0 else math.nan
            diff = float(d.mean()) if len(d) else math.nan
            rows.append(_row(key, variant, baseline, metric, len(d), diff, low, high, p))
    return pd.DataFrame(rows)


def unpaired_differences(
    runs: pd.DataFrame,
    metrics: Sequence[str],
    baseline: str,
    variant_col: str = "variant",
    by: Sequence[str] = (),
) -> pd.DataFrame:
    """Each variant minus the baseline, for runs that do not share seeds (Welch's t).

    The same columns as :func:`paired_differences`, where ``n_pairs`` is the smaller of the
    two sample sizes; the interval and p-value use the Welch-Satterthwaite degrees of freedom.
    """
    rows = []
    for key, variant, base, other in _against_baseline(runs, baseline, variant_col, by):
        for metric in metrics:
            a = pd.to_numeric(other[metric], errors="coerce").dropna().to_numpy(float)
            b = pd.to_numeric(base[metric], errors="coerce").dropna().to_numpy(float)
            diff, low, high, p = _welch(a, b)
            rows.append(_row(key, variant, baseline, metric, min(len(a), len(b)), diff, low,
                             high, p))  # fmt: skip
    return pd.DataFrame(rows)


def _against_baseline(
    runs: pd.DataFrame, baseline: str, variant_col: str, by: Sequence[str]
) -> Iterator[tuple[dict[str, Any], str, pd.DataFrame, pd.DataFrame]]:
    """(group key, variant, the baseline's runs, the variant's runs) for every variant other
    than the baseline, within each group of ``by``, failed runs left out."""
    for key, group in _ok_groups(runs, by):
        base = group[group[variant_col] == baseline]
        for variant in group[variant_col].unique():
            if variant != baseline:
                yield key, variant, base, group[group[variant_col] == variant]


def _row(key: dict[str, Any], variant: str, baseline: str, metric: str, n: int, diff: float,
         low: float, high: float, p: float) -> dict[str, Any]:  # fmt: skip
    """One row of a differences table."""
    return {**key, "variant": variant, "baseline": baseline, "metric": metric, "n_pairs": n,
            "mean_diff": diff, "ci_low": low, "ci_high": high, "p_value": p}  # fmt: skip


def _welch(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float, float]:
    """Mean of ``a`` minus mean of ``b``, its CI and Welch's two-sided p-value."""
    if len(a) < 2 or len(b) < 2:
        diff = float(a.mean() - b.mean()) if len(a) and len(b) else math.nan
        return (diff, math.nan, math.nan, math.nan)
    diff = float(a.mean() - b.mean())
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = math.sqrt(va + vb)
    if se == 0:
        return (diff, diff, diff, math.nan)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = float(special.stdtrit(df, 0.5 + CONFIDENCE / 2)) * se
    p = float(2.0 * special.stdtr(df, -abs(diff / se)))
    return (diff, diff - half, diff + half, p)


def mean_band(
    frame: pd.DataFrame, columns: Sequence[str], by: Sequence[str], confidence: float = CONFIDENCE
) -> pd.DataFrame:
    """Per group of ``by`` and column: the mean with its Student-t confidence band.

    For time series: ``by`` is e.g. ``["setting", "month"]``. Returns a long table with
    ``by``, ``column``, ``n``, ``mean``, ``ci_low``, ``ci_high`` (the band is NaN where
    fewer than two values exist).
    """
    grouped = frame.groupby(list(by), sort=False, dropna=False)[list(columns)]
    stats = grouped.agg(["count", "mean", "std"])
    out = []
    for column in columns:
        part = stats[column].reset_index()
        n = part["count"].to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            t = np.where(n > 1, special.stdtrit(np.maximum(n - 1, 1), 0.5 + confidence / 2), np.nan)
            half = t * part["std"].to_numpy(dtype=float) / np.sqrt(n)
        mean = part["mean"].to_numpy(dtype=float)
        out.append(
            part[list(by)].assign(
                column=column, n=n.astype(int), mean=mean, ci_low=mean - half, ci_high=mean + half
            )
        )
    return pd.concat(out, ignore_index=True)


def crossovers(
    differences: pd.DataFrame, metrics: Sequence[str], by: Sequence[str]
) -> pd.DataFrame:
    """Where the answer changes: for each variant and metric of ``metrics``, the grid
    points (columns ``by``) at which its difference from the baseline is clearly below zero,
    clearly above, or not clear (the 95 % interval includes zero).

    Returns one row per variant and metric: ``variant``, ``baseline``, ``metric``,
    ``lower``, ``higher``, ``unclear`` (each a list of grid points as dicts, with the
    difference and its interval), and ``crossover``: whether it is clearly lower somewhere
    and clearly higher somewhere else.
    """
    rows = []
    if differences.empty:
        return pd.DataFrame(rows)
    chosen = differences[differences["metric"].isin(list(metrics))]
    for (variant, metric), group in chosen.groupby(["variant", "metric"], sort=False):
        found: dict[str, list[dict[str, Any]]] = {"lower": [], "higher": [], "unclear": []}
        for _, row in group.iterrows():
            point = {k: row[k] for k in by}
            ci = (row["ci_low"], row["ci_high"])
            entry = {"point": point, "diff": row["mean_diff"], "ci": ci}
            if row["ci_high"] < 0:
                found["lower"].append(entry)
            elif row["ci_low"] > 0:
                found["higher"].append(entry)
            else:
                found["unclear"].append(entry)
        rows.append({
            "variant": variant, "baseline": group["baseline"].iloc[0], "metric": metric,
            **found, "crossover": bool(found["lower"] and found["higher"]),
        })  # fmt: skip
    return pd.DataFrame(rows)
