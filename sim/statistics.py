"""Outcome statistics over replications, and paired differences against a baseline.

They take the runs table (one row per run, inputs beside outcomes) and return tidy tables.
Differences are paired by replication (the same seed in both settings) and tested with a
paired t-test, or, between runs that share no seeds, with Welch's unpaired t-test; the
p-values are also adjusted across the metrics of each setting (Holm; Benjamini-Hochberg).

Intervals respect the range of their metric (:data:`sim.metrics.RANGES`), so that a share
never gets a negative bound nor a correlation one above 1. Each row names its ``method``:

- ``t``: the Student-t interval of the mean, wherever it lies within the range;
- otherwise, for a summary, ``Wilson`` (the score interval) when every value is 0 or 1,
  ``Fisher z`` for a correlation (a range of [-1, 1]): the t interval on Fisher's z scale
  (arctanh of the mean, standard error by the delta method), transformed back;
- else ``bootstrap``: the percentile interval of :data:`RESAMPLES` resampled means, from a
  fixed seed so that tables are reproducible. A difference of a metric with range [lo, hi]
  lies in [lo - hi, hi - lo] and gets the t interval or this one;
- ``n<4`` (:data:`MIN_N`): too few values for any interval; the bounds are NaN.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import special  # t distribution (scipy.stats would add ~0.7 s of imports)

from sim.metrics import metric_range, series_range

CONFIDENCE = 0.95

#: The fewest values (runs, pairs) for which an interval is given: below it a t interval is
#: uninformative (t quantile 12.7 for two values, 4.3 for three) and a bootstrap has too few
#: distinct resamples.
MIN_N = 4

#: Bootstrap resamples per interval, and the seed of their generator.
RESAMPLES = 2000
SEED = 20_240_601

Ranges = Mapping[str, tuple[float, float]]


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
    """Student-t confidence interval of the mean (NaN with fewer than two values), whatever
    the range of the values (see :func:`interval` for one that respects it)."""
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


def interval(
    values: Sequence[float],
    low: float = -math.inf,
    high: float = math.inf,
    confidence: float = CONFIDENCE,
    special_methods: bool = True,
) -> tuple[float, float, str]:
    """The interval of the mean of ``values`` (NaN left out) within [``low``, ``high``], and
    its method (see the module's description).

    Args:
        values: the values, each within the range.
        low: the lowest possible value.
        high: the highest possible value.
        confidence: the coverage aimed at.
        special_methods: whether Wilson and Fisher z may be used (not for differences: a
            difference of 0/1 outcomes may be -1, one of correlations is no correlation).
    """
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    lo, hi, method = _intervals(x[None, :], low, high, confidence, special_methods)
    return float(lo[0]), float(hi[0]), str(method[0])


def _intervals(
    values: np.ndarray, low: float, high: float, confidence: float, special_methods: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`interval` for each row of ``values`` (groups x n, no NaN), vectorised."""
    groups, n = values.shape
    if n < MIN_N:
        nan = np.full(groups, math.nan)
        return nan, nan.copy(), np.full(groups, f"n<{MIN_N}", dtype=object)
    mean = values.mean(axis=1)
    se = values.std(axis=1, ddof=1) / math.sqrt(n)
    t = float(special.stdtrit(n - 1, 0.5 + confidence / 2))
    lo = np.where(se > 0, mean - t * se, mean)
    hi = np.where(se > 0, mean + t * se, mean)
    method = np.full(groups, "t", dtype=object)
    outside = (lo < low) | (hi > high)
    if not outside.any():
        return lo, hi, method
    binary = np.zeros(groups, dtype=bool)
    fisher = np.zeros(groups, dtype=bool)
    if special_methods:
        binary = outside & ((values == 0) | (values == 1)).all(axis=1) & (low <= 0) & (high >= 1)
        if (low, high) == (-1.0, 1.0):
            fisher = outside & ~binary & (np.abs(mean) < 1)
    if binary.any():
        z = float(special.ndtri(0.5 + confidence / 2))
        p = mean[binary]
        centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
        lo[binary], hi[binary], method[binary] = centre - half, centre + half, "Wilson"
    if fisher.any():
        m = mean[fisher]
        zm, half = np.arctanh(m), t * se[fisher] / (1 - m**2)
        lo[fisher], hi[fisher], method[fisher] = np.tanh(zm - half), np.tanh(zm + half), "Fisher z"
    boot = outside & ~binary & ~fisher
    if boot.any():
        lo[boot], hi[boot] = _percentiles(_bootstrap_means(values[boot]), confidence)
        method[boot] = "bootstrap"
    # the methods stay within the range; clipping only removes floating-point rounding
    lo[outside], hi[outside] = np.clip(lo[outside], low, high), np.clip(hi[outside], low, high)
    return lo, hi, method


def _bootstrap_means(values: np.ndarray, seed: int = SEED) -> np.ndarray:
    """Means of :data:`RESAMPLES` resamples (with replacement) of each row of ``values``
    (groups x n): groups x RESAMPLES. Every row uses the same resamples, from ``seed``."""
    groups, n = values.shape
    rng = np.random.default_rng(seed)
    out = np.empty((groups, RESAMPLES))
    block = max(1, min(RESAMPLES, 1_000_000 // n))  # bounded memory for large n
    for start in range(0, RESAMPLES, block):
        size = min(block, RESAMPLES - start)
        picks = rng.integers(0, n, size=(size, n)) + n * np.arange(size)[:, None]
        counts = np.bincount(picks.ravel(), minlength=size * n).reshape(size, n)
        out[:, start : start + size] = values @ counts.T.astype(float) / n
    return out


def _percentiles(means: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """The percentile interval of each row of bootstrap means."""
    lo, hi = np.quantile(means, [(1 - confidence) / 2, (1 + confidence) / 2], axis=1)
    return lo, hi


def paired_t_pvalue(differences: np.ndarray) -> float:
    """Two-sided p-value of a paired t-test (H0: mean difference 0)."""
    n = len(differences)
    t = differences.mean() / (differences.std(ddof=1) / math.sqrt(n))
    return float(2.0 * special.stdtr(n - 1, -abs(t)))


def holm(pvalues: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjusted p-values (family-wise error), NaN left out and kept."""

    def step_down(p: np.ndarray) -> np.ndarray:  # p sorted ascending
        m = len(p)
        return np.maximum.accumulate((m - np.arange(m)) * p)

    return _in_order(pvalues, step_down)


def benjamini_hochberg(pvalues: Sequence[float]) -> np.ndarray:
    """Benjamini-Hochberg q-values (false discovery rate), NaN left out and kept."""

    def step_up(p: np.ndarray) -> np.ndarray:  # p sorted ascending
        ranked = p * len(p) / np.arange(1, len(p) + 1)
        return np.minimum.accumulate(ranked[::-1])[::-1]

    return _in_order(pvalues, step_up)


def _in_order(pvalues: Sequence[float], adjust) -> np.ndarray:  # noqa: ANN001
    """``adjust`` applied to the p-values in ascending order, capped at 1, put back in the
    original order; NaN p-values stay NaN and do not count."""
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, math.nan)
    ok = ~np.isnan(p)
    if ok.any():
        order = np.argsort(p[ok], kind="stable")
        values = np.empty(int(ok.sum()))
        values[order] = np.minimum(adjust(p[ok][order]), 1.0)
        out[ok] = values
    return out


def _range(
    metric: str, ranges: Ranges | None, default: Callable[[str], tuple[float, float]] = metric_range
) -> tuple[float, float]:
    """A metric's range: from ``ranges`` if given (unbounded if absent), else ``default``."""
    if ranges is None:
        return default(metric)
    return ranges.get(metric, (-math.inf, math.inf))


def describe(
    runs: pd.DataFrame,
    metrics: Sequence[str],
    by: Sequence[str] = (),
    ranges: Ranges | None = None,
) -> pd.DataFrame:
    """Per group of ``by`` and metric: n, mean, std, median, the 95 % interval of the mean
    within the metric's range (``ci_low``, ``ci_high``) and its ``method``.

    Failed runs (``status`` other than ``ok``) and NaN values are left out of the counts.
    ``ranges`` maps metrics to (lowest, highest) values (default: :func:`metric_range`).
    """
    rows = []
    for key, group in _ok_groups(runs, by):  # a group of failures still gets rows, n=0
        for metric in metrics:
            x = pd.to_numeric(group[metric], errors="coerce").dropna().to_numpy(dtype=float)
            low, high, method = interval(x, *_range(metric, ranges))
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
                    "method": method,
                }
            )
    return pd.DataFrame(rows)


def _difference_range(metric: str, ranges: Ranges | None) -> tuple[float, float]:
    """A difference of two values within [lo, hi] lies within [lo - hi, hi - lo]."""
    low, high = _range(metric, ranges)
    return (low - high, high - low)


def paired_differences(
    runs: pd.DataFrame,
    metrics: Sequence[str],
    baseline: str,
    variant_col: str = "variant",
    pair_on: str | Sequence[str] = "replication",
    by: Sequence[str] = (),
    ranges: Ranges | None = None,
) -> pd.DataFrame:
    """Each variant minus the baseline, paired by replication within each group of ``by``.

    Returns per group, variant and metric: the number of pairs, the mean difference, its
    95 % interval and method (``t``, or ``bootstrap`` where the t interval leaves the range
    of a difference), the p-value of a paired t-test (NaN when undefined, e.g. all
    differences equal), and that p-value adjusted across the metrics of the group and
    variant: ``p_holm`` (Holm) and ``q_bh`` (Benjamini-Hochberg). Pairs where either run
    failed or the metric is NaN are left out.
    """
    rows = []
    for key, variant, base, other in _against_baseline(runs, baseline, variant_col, by):
        base, other = base.set_index(pair_on), other.set_index(pair_on)
        common = base.index.intersection(other.index)
        for metric in metrics:
            a = pd.to_numeric(other.loc[common, metric], errors="coerce")
            b = pd.to_numeric(base.loc[common, metric], errors="coerce")
            d = (a - b).dropna().to_numpy(dtype=float)
            low, high, method = interval(d, *_difference_range(metric, ranges),
                                         special_methods=False)  # fmt: skip
            p = paired_t_pvalue(d) if len(d) > 1 and np.std(d) > 0 else math.nan
            diff = float(d.mean()) if len(d) else math.nan
            rows.append(_row(key, variant, baseline, metric, len(d), diff, low, high, method, p))
    return _adjusted(pd.DataFrame(rows), by)


def unpaired_differences(
    runs: pd.DataFrame,
    metrics: Sequence[str],
    baseline: str,
    variant_col: str = "variant",
    by: Sequence[str] = (),
    ranges: Ranges | None = None,
) -> pd.DataFrame:
    """Each variant minus the baseline, for runs that do not share seeds (Welch's t).

    The same columns as :func:`paired_differences`, where ``n_pairs`` is the smaller of the
    two sample sizes; the t interval and p-value use the Welch-Satterthwaite degrees of
    freedom, and the bootstrap (where the t interval leaves the range) resamples each side.
    """
    rows = []
    for key, variant, base, other in _against_baseline(runs, baseline, variant_col, by):
        for metric in metrics:
            a = pd.to_numeric(other[metric], errors="coerce").dropna().to_numpy(float)
            b = pd.to_numeric(base[metric], errors="coerce").dropna().to_numpy(float)
            diff, low, high, p = _welch(a, b)
            n = min(len(a), len(b))
            method = "t"
            lowest, highest = _difference_range(metric, ranges)
            if n < MIN_N:
                low, high, method = math.nan, math.nan, f"n<{MIN_N}"
            elif low < lowest or high > highest:
                means = _bootstrap_means(a[None, :]) - _bootstrap_means(b[None, :], SEED + 1)
                lows, highs = _percentiles(means, CONFIDENCE)
                low = float(np.clip(lows[0], lowest, highest))
                high, method = float(np.clip(highs[0], lowest, highest)), "bootstrap"
            rows.append(_row(key, variant, baseline, metric, n, diff, low, high, method, p))
    return _adjusted(pd.DataFrame(rows), by)


def _adjusted(table: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """The differences table with ``p_holm`` and ``q_bh``: p-values adjusted across the
    metrics of each group of ``by`` and variant (each setting's family of comparisons)."""
    if table.empty:
        return table
    p = table["p_value"].to_numpy(dtype=float)
    holms, bhs = np.full(len(p), math.nan), np.full(len(p), math.nan)
    for rows in table.groupby([*by, "variant"], sort=False, dropna=False).indices.values():
        holms[rows], bhs[rows] = holm(p[rows]), benjamini_hochberg(p[rows])
    return table.assign(p_holm=holms, q_bh=bhs)


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
         low: float, high: float, method: str, p: float) -> dict[str, Any]:  # fmt: skip
    """One row of a differences table."""
    return {**key, "variant": variant, "baseline": baseline, "metric": metric, "n_pairs": n,
            "mean_diff": diff, "ci_low": low, "ci_high": high, "method": method,
            "p_value": p}  # fmt: skip


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
    wa, wb = va / (va + vb), vb / (va + vb)  # as shares: squares of tiny variances underflow
    df = 1.0 / (wa**2 / (len(a) - 1) + wb**2 / (len(b) - 1))
    half = float(special.stdtrit(df, 0.5 + CONFIDENCE / 2)) * se
    p = float(2.0 * special.stdtr(df, -abs(diff / se)))
    return (diff, diff - half, diff + half, p)


def mean_band(
    frame: pd.DataFrame,
    columns: Sequence[str],
    by: Sequence[str],
    confidence: float = CONFIDENCE,
    ranges: Ranges | None = None,
) -> pd.DataFrame:
    """Per group of ``by`` and column: the mean with its confidence band, within the
    column's range (default: :func:`sim.metrics.series_range`), by the methods of
    :func:`interval`: the Student-t band where it stays in range, else Wilson, Fisher z or
    bootstrap, computed only for the groups that need them.

    For time series: ``by`` is e.g. ``["setting", "month"]``. Returns a long table with
    ``by``, ``column``, ``n``, ``mean``, ``ci_low``, ``ci_high``, ``method`` (the band is
    NaN where fewer than :data:`MIN_N` values exist).
    """
    grouped = frame.groupby(list(by), sort=False, dropna=False)
    stats = grouped[list(columns)].agg(["count", "mean", "std"])
    ids = grouped.ngroup().to_numpy()  # numbered in the order of ``stats``' rows
    order = np.argsort(ids, kind="stable")
    ends = np.cumsum(np.bincount(ids, minlength=len(stats)))[:-1]
    out = []
    for column in columns:
        part = stats[column].reset_index()
        n = part["count"].to_numpy(dtype=float)
        mean = part["mean"].to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            t = np.where(n >= MIN_N, special.stdtrit(np.maximum(n - 1, 1), 0.5 + confidence / 2),
                         np.nan)  # fmt: skip
            half = t * np.nan_to_num(part["std"].to_numpy(dtype=float)) / np.sqrt(n)
        low, high = mean - half, mean + half
        method = np.where(n >= MIN_N, "t", f"n<{MIN_N}").astype(object)
        lowest, highest = _range(column, ranges, series_range)
        outside = np.flatnonzero((n >= MIN_N) & ((low < lowest) | (high > highest)))
        if len(outside):
            values = pd.to_numeric(frame[column], errors="coerce").to_numpy(float)[order]
            groups = np.split(values, ends)
            kept = {k: groups[k][~np.isnan(groups[k])] for k in outside}
            for size in {len(v) for v in kept.values()}:  # one matrix per group size
                chosen = [k for k, v in kept.items() if len(v) == size]
                lo, hi, how = _intervals(np.vstack([kept[k] for k in chosen]), lowest,
                                         highest, confidence)  # fmt: skip
                low[chosen], high[chosen], method[chosen] = lo, hi, how
        out.append(part[list(by)].assign(column=column, n=n.astype(int), mean=mean,
                                         ci_low=low, ci_high=high, method=method))  # fmt: skip
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
