"""What an experiment found, in words: the largest clear differences from the baseline.

A report should answer its question before it shows its tables. A finding is a paired
difference between a variant and the baseline (at one grid point, or pooled over a sampled
design) whose 95 % confidence interval excludes zero and whose p-value stays below 0.05
after Holm's adjustment across the metrics compared, in a metric that varies from run to
run (one the same in every run of each setting differs by design, not by outcome).
Differences whose interval includes zero are never stated as findings, only listed as "not
clearly different" for the experiment's key metrics. Findings are ranked by the size of
the difference against the spread of the metric across runs (a standardised effect), the
key metrics first.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

#: A clear difference is stated only if its p-value, Holm-adjusted across the metrics of
#: its setting (``p_holm``, where the table has it), is below this.
ALPHA = 0.05
#: Findings stated at most (the rest are in the tables).
LIMIT = 8
#: Units that are scales, not quantities: a sentence gives the number alone.
DIMENSIONLESS = ("share", "0-1", "0-5", "Spearman")


@dataclass(frozen=True)
class Finding:
    """One clear difference of a variant from the baseline.

    Attributes:
        metric: the outcome metric.
        variant: the variant compared; ``baseline`` what it is compared with.
        where: the grid point (parameter -> value), empty when there is none.
        diff: the mean paired difference (variant minus baseline), with its interval
            ``low`` to ``high`` (both on the same side of zero).
        base_mean, variant_mean: the two means (NaN where the summary lacks them).
        n: the pairs compared.
        effect: the difference over the metric's standard deviation across the runs.
        key: whether the experiment names the metric as a key outcome.
    """

    metric: str
    variant: str
    baseline: str
    where: dict[str, Any]
    diff: float
    low: float
    high: float
    base_mean: float
    variant_mean: float
    n: int
    effect: float
    key: bool


def clear(low: float, high: float) -> bool:
    """Whether an interval lies wholly on one side of zero."""
    return bool(low > 0 or high < 0)


def findings(
    differences: pd.DataFrame,
    summary: pd.DataFrame,
    by: Sequence[str] = (),
    key_metrics: Sequence[str] = (),
    limit: int = LIMIT,
) -> list[Finding]:
    """The clear differences, largest first (key metrics before the others).

    Args:
        differences: paired differences (:func:`sim.statistics.paired_differences`, with a
            ``setting`` column or not): ``variant``, ``baseline``, ``metric``, ``n_pairs``,
            ``mean_diff``, ``ci_low``, ``ci_high``, and the ``by`` columns.
        summary: per-setting statistics (``variant``, ``metric``, ``mean``, ``std`` and the
            ``by`` columns), for the means and the spread.
        by: the grid parameters the differences are taken at (none for a sampled design).
        key_metrics: the experiment's key outcomes, stated first.
        limit: at most this many findings.
    """
    if differences is None or differences.empty:
        return []
    by = list(by)
    stats = summary.set_index(["variant", *by, "metric"]) if len(summary) else None
    out = []
    for row in differences.to_dict("records"):
        if not all(_finite(row[k]) for k in ("mean_diff", "ci_low", "ci_high")):
            continue
        if not clear(row["ci_low"], row["ci_high"]):
            continue
        holm = row.get("p_holm")
        if _finite(holm) and holm >= ALPHA:  # could be chance among the metrics compared
            continue
        where = {k: row[k] for k in by}
        base = _stat(stats, row["baseline"], where, row["metric"])
        other = _stat(stats, row["variant"], where, row["metric"])
        spreads = [x for x in (base.get("std"), other.get("std")) if _finite(x)]
        spread = max(spreads) if spreads else math.nan
        if spread == 0:  # the same in every run of each setting: a difference by design
            continue
        size = abs(row["mean_diff"])
        effect = size / spread if _finite(spread) and spread > 0 else math.inf
        out.append(
            Finding(
                metric=row["metric"], variant=row["variant"], baseline=row["baseline"],
                where=where, diff=float(row["mean_diff"]), low=float(row["ci_low"]),
                high=float(row["ci_high"]), base_mean=base.get("mean", math.nan),
                variant_mean=other.get("mean", math.nan), n=int(row["n_pairs"]),
                effect=effect, key=row["metric"] in key_metrics,
            )
        )  # fmt: skip
    out.sort(key=lambda f: (not f.key, -f.effect, f.metric))
    return out[:limit]


def unclear_key_metrics(
    differences: pd.DataFrame, key_metrics: Sequence[str]
) -> list[tuple[str, str]]:
    """(variant, metric) of the key metrics whose difference from the baseline is nowhere
    clear (every interval includes zero or its Holm-adjusted p-value is 0.05 or more, or
    none could be computed)."""
    if differences is None or differences.empty:
        return []
    out = []
    chosen = differences[differences["metric"].isin(list(key_metrics))]
    for (variant, metric), group in chosen.groupby(["variant", "metric"], sort=False):
        holm = group["p_holm"] if "p_holm" in group else pd.Series(math.nan, index=group.index)
        if not any(
            clear(lo, hi) and not (_finite(p) and p >= ALPHA)
            for lo, hi, p in zip(group["ci_low"], group["ci_high"], holm, strict=True)
        ):
            out.append((variant, metric))
    return out


def sentence(f: Finding, describe: Callable[[str], tuple[str, str]], paired: bool = True) -> str:
    """A finding in words, with its numbers and units.

    ``describe`` gives a metric's description and unit; ``paired`` whether the runs were
    compared pairwise (else the counts are of the smaller group, unpaired).
    """
    what, unit = describe(f.metric)
    unit = f" {unit}" if unit and unit not in DIMENSIONLESS else ""
    verb = "raises" if f.diff > 0 else "lowers"
    short = [k.rsplit(".", 1)[-1] for k in f.where]
    labels = short if len(set(short)) == len(short) else list(f.where)  # unique, else whole
    at = ", ".join(f"{k} = {_number(v)}" for k, v in zip(labels, f.where.values(), strict=True))
    means = ""
    if _finite(f.base_mean) and _finite(f.variant_mean):
        means = f" (from {_number(f.base_mean)} to {_number(f.variant_mean)}{unit})"
    return (
        f"{f.variant} {verb} {what} by {_number(abs(f.diff))}{unit} against {f.baseline}"
        + (f" at {at}" if at else "")
        + f"{means}; 95 % CI of the difference {_number(f.low)} to {_number(f.high)}{unit}, "
        + (f"{f.n} paired runs." if paired else f"{f.n} runs each side, unpaired.")
    )


def _stat(stats: pd.DataFrame | None, variant: str, where: dict[str, Any], metric: str) -> dict:
    if stats is None:
        return {}
    try:
        row = stats.loc[(variant, *where.values(), metric)]
    except KeyError:
        return {}
    if isinstance(row, pd.DataFrame):
        row = row.iloc[0]
    return {"mean": float(row["mean"]), "std": float(row["std"])}


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def _number(value: Any) -> str:
    """Three significant digits, without an exponent for everyday magnitudes."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return str(value)
    if not math.isfinite(value):
        return "n/a"
    if value == 0:
        return "0"
    if 1e-3 <= abs(value) < 1e6:
        digits = max(0, 2 - int(math.floor(math.log10(abs(value)))))
        return f"{value:,.{digits}f}"
    return f"{value:.3g}"
