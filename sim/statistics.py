"""Outcome statistics over replications, and paired differences against a baseline.

Both take the runs table (one row per run, inputs beside outcomes) and return tidy tables.
Confidence intervals are Student-t intervals for the mean; differences are paired by
replication (the same seed in both settings) and tested with a paired t-test.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import special  # t distribution (scipy.stats would add ~0.7 s of imports)

CONFIDENCE = 0.95


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
    groups = runs.groupby(list(by), sort=False, dropna=False) if by else [((), runs)]
    rows = []
    for key, group in groups:
        key = key if isinstance(key, tuple) else (key,)
        if "status" in group:
            group = group[group["status"] == "ok"]  # a group of failures still gets rows, n=0
        for metric in metrics:
            x = pd.to_numeric(group[metric], errors="coerce").dropna().to_numpy(dtype=float)
            low, high = mean_ci(x)
            rows.append(
                {
                    **dict(zip(by, key, strict=True)),
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
    groups = runs.groupby(list(by), sort=False, dropna=False) if by else [((), runs)]
    rows = []
    for key, group in groups:
        key = key if isinstance(key, tuple) else (key,)
        if "status" in group:
            group = group[group["status"] == "ok"]
        base = group[group[variant_col] == baseline].set_index(pair_on)
        for variant in group[variant_col].unique():
            if variant == baseline:
                continue
            other = group[group[variant_col] == variant].set_index(pair_on)
            common = base.index.intersection(other.index)
            for metric in metrics:
                a = pd.to_numeric(other.loc[common, metric], errors="coerce")
                b = pd.to_numeric(base.loc[common, metric], errors="coerce")
                d = (a - b).dropna().to_numpy(dtype=float)
                low, high = mean_ci(d)
                p = math.nan
                if len(d) > 1 and np.std(d) > 0:
                    p = paired_t_pvalue(d)
                rows.append(
                    {
                        **dict(zip(by, key, strict=True)),
                        "variant": variant,
                        "baseline": baseline,
                        "metric": metric,
                        "n_pairs": len(d),
                        "mean_diff": float(d.mean()) if len(d) else math.nan,
                        "ci_low": low,
                        "ci_high": high,
                        "p_value": p,
                    }
                )
    return pd.DataFrame(rows)
