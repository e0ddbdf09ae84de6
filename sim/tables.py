"""Statistics as tables people read: Markdown files beside the results, and the text the
command line prints. Only rendering: the numbers come from :mod:`sim.statistics`,
:mod:`sim.patterns` and :mod:`sim.sensitivity`."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from sim.metrics import METRICS


def markdown_summary(plan: Any, summary: pd.DataFrame) -> str:
    """The summary statistics as Markdown, one table per variant and grid point."""
    exp = plan.experiment
    head = [f"# {exp.name}", ""] + ([exp.question.strip(), ""] if exp.question else [])
    if plan.sampled:
        points = len({r.sample for r in plan.runs})
        head += [f"{exp.design.method} design: {points} points x {exp.replications} "
                 "replications per variant, pooled over the points; 95 % confidence "
                 "intervals.", ""]  # fmt: skip
    else:
        head += [f"{exp.replications} replications per setting; 95 % confidence intervals.", ""]
    cols = ["metric", "n", "mean", "std", "median", "ci_low", "ci_high", "method"]
    return _markdown_tables(plan, summary, head, cols)


def markdown_differences(plan: Any, differences: pd.DataFrame) -> str:
    """Paired differences against the baseline as Markdown."""
    exp = plan.experiment
    head = [
        f"# {exp.name}: differences against {exp.baseline_variant!r}",
        "",
        "Each variant minus the baseline, paired by "
        + ("design point and replication" if plan.sampled else "replication")
        + " (same seeds); "
        "95 % confidence intervals (method: see docs/experiments.md, Intervals); p-values "
        "of paired t-tests, and Holm-adjusted across the metrics of each setting.",
        "",
    ]
    cols = ["metric", "n_pairs", "mean_diff", "ci_low", "ci_high", "method", "p_value", "p_holm"]
    return _markdown_tables(plan, differences, head, cols)


def _markdown_tables(plan: Any, table: pd.DataFrame, head: list[str], cols: list[str]) -> str:
    """``head``, then one Markdown table of ``cols`` per variant and grid point."""
    lines = list(head)
    if table.empty:
        return "\n".join([*lines, "No statistics: no run succeeded (see runs.parquet).", ""])
    keys = ["variant", *plan.group_keys]
    for key, group in table.groupby(keys, sort=False, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        title = ", ".join(f"{k} = {v}" for k, v in zip(keys, key, strict=True))
        lines += [f"## {title}", "", group[cols].to_markdown(index=False, floatfmt=".4g"), ""]
    return "\n".join(lines)


def batch_text(the_plan, outcome) -> str:  # noqa: ANN001
    """The statistics of a batch as text: one table per setting, then the differences."""
    exp = the_plan.experiment
    lines = []
    if exp.question:
        lines += [exp.question.strip(), ""]
    keys = ["variant", *the_plan.group_keys]
    table_cols = ["mean", "std", "median", "ci_low", "ci_high", "n"]
    for key, group in outcome.summary.groupby(keys, sort=False, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        if len(the_plan.experiment.variants) > 1 or the_plan.group_keys:
            lines.append(", ".join(f"{k} = {v}" for k, v in zip(keys, key, strict=True)))
        table = group.set_index("metric")[table_cols]
        lines += [table.to_string(float_format=lambda x: f"{x:.4g}"), ""]
    if len(outcome.differences):
        lines.append(f"Paired differences against {exp.baseline_variant!r} (same seeds):")
        cols = [*the_plan.group_keys, "variant", "metric", "mean_diff", "ci_low", "ci_high",
                "p_value"]  # fmt: skip
        lines += [outcome.differences[cols].to_string(index=False,
                  float_format=lambda x: f"{x:.4g}"), ""]  # fmt: skip
    ok = len(outcome.runs) - outcome.failed
    lines.append(
        f"{ok} runs ok, {outcome.failed} failed ({outcome.seconds:.1f} s); results in "
        f"{outcome.folder}/"
        + (" - failures and tracebacks in runs.parquet" if outcome.failed else "")
    )
    lines.append(f"Figures: cdsim plot {outcome.folder}; a report: cdsim report {outcome.folder}")
    return "\n".join(lines)


def patterns_markdown(table) -> str:  # noqa: ANN001  (a DataFrame)
    """The verdicts as a Markdown table, then the sources."""
    lines = [
        "| pattern | reference | model (95 % CI) | tolerance | within | runs |",
        "|---|---|---|---|---|---|",
    ]
    for row in table.itertuples():
        lines.append(
            f"| {row.pattern}: {row.title} | {row.reference:.3g} {row.unit} | "
            f"{row.model:.3g} [{row.ci_low:.3g}, {row.ci_high:.3g}] | "
            f"{row.low:.3g} to {row.high:.3g} | {'yes' if row.within else '**no**'} | {row.n} |"
        )
    lines += ["", "Sources:", ""]
    lines += [f"- {row.pattern}: {row.source}" for row in table.itertuples()]
    return "\n".join(lines) + "\n"


def sensitivity_markdown(table, key: str) -> str:  # noqa: ANN001  (a DataFrame)
    """Per metric, the parameters ranked by ``key`` (mu* or ST)."""
    cols = [c for c in table.columns if c not in ("method", "metric")]
    lines = []
    for metric, rows in table.groupby("metric", sort=False):
        lines += [f"## {metric}", "", rows.sort_values(key, ascending=False)[cols]
                  .to_markdown(index=False, floatfmt=".3g"), ""]  # fmt: skip
    return "\n".join(lines)


def run_text(result) -> str:  # noqa: ANN001  (a RunResult)
    """A readable summary of one run."""
    cfg = result.config
    s = result.summary
    rule = cfg.rules
    lines = [
        f"Scenario {cfg.name!r}: {len(cfg.members)} members, {cfg.steps} steps of "
        f"{cfg.months_per_step} month(s), seed {cfg.seed}",
        f"Rule: {rule.preset} (decision {rule.decision}, help {'+'.join(rule.allowed_help)}, "
        f"intelligence {rule.intelligence_sharing})",
        "",
    ]
    group = None
    for key, (section, label, unit) in METRICS.items():
        if section != group:
            lines.append(section)
            group = section
        lines.append(f"  {label:<48} {_fmt(s[key]):>10}  {unit}")
    lines += ["", "Threats by type:"]
    lines.append(result.by_type.to_string(index=False, float_format=lambda x: f"{x:.2f}"))
    lines += ["", "Most damaged members:"]
    top = result.members.sort_values("damage_usd_bn", ascending=False).head(5)
    cols = ["member", "policy", "damage_usd_bn", "damage_pct_gdp_per_year", "help_received"]
    lines.append(top[cols].to_string(index=False, float_format=lambda x: f"{x:.2f}"))
    return "\n".join(lines)


def _fmt(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if float(value).is_integer() and abs(value) < 1e9:
        return f"{int(value)}"
    return f"{value:.3f}"
