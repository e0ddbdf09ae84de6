"""How the group changes over a run: the rule in force across replications, rule changes
on time series, and the mix of behaviours members follow (learning policies)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from sim.plots import style
from sim.presets import SPECTRUM

#: A colour per preset, from the least to the most committed (a sequential map).
RULE_COLOURS = {
    preset: to_hex(colormaps["viridis"](i / (len(SPECTRUM) - 1)))
    for i, preset in enumerate(SPECTRUM)
}


def rule_changes(series: pd.DataFrame) -> pd.DataFrame:
    """Every change of the rule in force: ``run_id``, ``setting``, ``month``, ``rule`` (the
    new one), from a per-step table with ``run_id``, ``setting``, ``month`` and ``rule``."""
    ordered = series.sort_values(["run_id", "month"])
    changed = ordered["rule"] != ordered.groupby("run_id")["rule"].shift()
    first = ordered.groupby("run_id").cumcount() == 0
    return ordered.loc[changed & ~first, ["run_id", "setting", "month", "rule"]]


def mark_rule_changes(axes: Sequence[Axes], series: pd.DataFrame) -> None:
    """Mark each rule change on time-series panels: for a setting with one run, a line
    where its rule changed, named; with several runs, a faint line per run's change (the
    rule-in-force figure shows the shares)."""
    if "rule" not in series:
        return
    changes = rule_changes(series)
    runs = series.groupby("setting")["run_id"].nunique()
    for ax in axes:
        for row in changes.itertuples(index=False):
            single = runs[row.setting] == 1
            ax.axvline(row.month, color=RULE_COLOURS.get(row.rule, "grey"), lw=1.0 if single
                       else 0.6, ls="--", alpha=0.9 if single else 0.25)  # fmt: skip
            if single and ax is axes[0]:
                ax.annotate(row.rule.replace("_", " "), (row.month, 1.0), xycoords=("data",
                            "axes fraction"), rotation=90, va="top", ha="right", fontsize=7,
                            color="dimgrey")  # fmt: skip


def rule_in_force(series: pd.DataFrame, settings: Sequence[str]) -> Figure:
    """One panel per setting (at most six): the share of its runs under each preset, month
    by month, stacked from the least committed (bottom) to the most."""
    shown = list(settings)[:6]
    fig, axes = style.panels(len(shown))
    for ax, setting in zip(axes, shown, strict=True):
        part = series[series["setting"] == setting]
        counts = part.groupby(["month", "rule"]).size().unstack(fill_value=0)
        shares = counts.div(counts.sum(axis=1), axis=0)
        order = [p for p in SPECTRUM if p in shares] + [p for p in shares if p not in SPECTRUM]
        ax.stackplot(shares.index, *[shares[p] for p in order],
                     colors=[RULE_COLOURS.get(p, "grey") for p in order],
                     labels=[p.replace("_", " ") for p in order])  # fmt: skip
        ax.set_title(setting)
        ax.set_xlabel("month")
        ax.set_ylabel("share of runs")
        ax.set_ylim(0, 1)
        ax.margins(x=0)
    present = [p for p in SPECTRUM if p in set(series["rule"])]
    handles = [
        ax.fill_between([], [], color=RULE_COLOURS[p], label=p.replace("_", " ")) for p in present
    ]
    runs = series.groupby("setting")["run_id"].nunique()
    low, high = int(runs.min()), int(runs.max())
    count = f"{low}" if low == high else f"{low}-{high}"
    style.suptitle(fig, f"The rule in force over time: share of runs under each preset "
                   f"({count} runs per setting)")  # fmt: skip
    style.legend_below(fig, handles, [h.get_label() for h in handles])
    return fig


def policy_mix(mix: pd.DataFrame, settings: Sequence[str]) -> Figure:
    """One panel per setting (at most six): the mean number of members following each
    behaviour, month by month, stacked (learning policies move members between them)."""
    shown = list(settings)[:6]
    behaviours = list(dict.fromkeys(mix.sort_values("policy")["policy"]))
    cmap = colormaps["tab10"]
    colours = {b: to_hex(cmap(i % cmap.N)) for i, b in enumerate(behaviours)}
    fig, axes = style.panels(len(shown))
    for ax, setting in zip(axes, shown, strict=True):
        part = mix[mix["setting"] == setting]
        runs = part["run_id"].nunique()
        total = part.pivot_table(index="month", columns="policy", values="members",
                                 aggfunc="sum", fill_value=0) / max(runs, 1)  # fmt: skip
        order = [b for b in behaviours if b in total]
        ax.stackplot(total.index, *[total[b] for b in order],
                     colors=[colours[b] for b in order])  # fmt: skip
        ax.set_title(setting)
        ax.set_xlabel("month")
        ax.set_ylabel("members (mean over runs)")
        ax.margins(x=0)
    handles = [ax.fill_between([], [], color=colours[b], label=b) for b in behaviours]
    style.suptitle(fig, "The behaviours members follow over time (mean over runs)")
    style.legend_below(fig, handles, [h.get_label() for h in handles])
    return fig


def varies(table: pd.DataFrame | None, column: str, by: str = "run_id") -> bool:
    """Whether ``column`` changes within at least one run (nothing to show otherwise)."""
    if table is None or column not in table:
        return False
    return bool((table.groupby(by)[column].nunique() > 1).any())
