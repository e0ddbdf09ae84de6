"""Figures from results tables: time series, outcome distributions, paired differences,
parameter sweeps, per-member figures and the member network.

Every function takes tables (see :mod:`sim.resultset`) and returns a matplotlib figure; none
runs a simulation. :func:`standard_figures` makes the set ``cdsim plot`` writes.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

import pandas as pd
from matplotlib.figure import Figure

from sim.errors import InputError
from sim.metrics import METRICS, SERIES
from sim.plots import adaptation, outcomes, series, style
from sim.plots import members as member_plots
from sim.plots import network as network_plots
from sim.resultset import ResultSet

#: Kinds of figure :func:`standard_figures` can make, in the order it makes them.
KINDS = ("series", "distributions", "differences", "sweep", "members", "network", "adaptation")


class FigureError(InputError):
    """Figures were asked for that cannot be made (unknown metric, kind or option)."""


def standard_figures(
    rs: ResultSet,
    metrics: Sequence[str] | None = None,
    columns: Sequence[str] | None = None,
    kinds: Iterable[str] = KINDS,
    edge: str = "trust",
) -> tuple[dict[str, Figure], list[str]]:
    """The standard figures of a result set, by file name, and notes on what was left out.

    Args:
        rs: the results (one folder, or several combined).
        metrics: outcome metrics (default: all, one figure per group of metrics; heat maps
            show the key metrics).
        columns: per-step series (default: :data:`style.KEY_SERIES`).
        kinds: which kinds of figure (see :data:`KINDS`).
        edge: what the network's edges show: ``trust`` or ``interoperability``.

    Raises:
        FigureError: an unknown metric, series column, kind or edge.
    """
    with style.own_metrics(rs.own_metrics):
        return _standard_figures(rs, metrics, columns, kinds, edge)


def _standard_figures(rs, metrics, columns, kinds, edge):  # noqa: ANN001, ANN202
    kinds = list(kinds)
    check_names(kinds, KINDS, "figure kind")
    check_names([edge], network_plots.EDGES, "edge")
    known = [*METRICS, *rs.own_metrics]
    chosen = list(metrics) if metrics else known
    check_names(chosen, known, "metric")
    columns = list(columns) if columns else list(style.KEY_SERIES)
    check_names(columns, SERIES, "series column")
    variant_colours = style.variant_colours(rs.variants)
    colours = style.setting_colours(rs.setting_table, rs.variants)
    figures: dict[str, Figure] = {}
    notes = list(rs.notes)
    absent = [m for m in chosen if m not in rs.metrics]
    if absent:
        notes.append(f"metrics not in these results (an older version), left out: "
                     f"{', '.join(absent)}")  # fmt: skip
        chosen = [m for m in chosen if m in rs.metrics]
    if not metrics:  # by default, leave out what no run defines (e.g. no stop condition)
        defined = [m for m in chosen if pd.to_numeric(rs.runs[m], errors="coerce").notna().any()]
        if len(defined) < len(chosen):
            left = sorted(set(chosen) - set(defined))
            notes.append(f"metrics undefined in every run, left out: {', '.join(left)}")
        chosen = defined
    groups = _groups(chosen)
    if "series" in kinds and rs.series is not None:
        present = [c for c in columns if c in rs.series]
        missing = sorted(set(columns) - set(present))
        if missing:
            notes.append(f"series not in this folder, left out: {', '.join(missing)}")
        if present:
            figures["series"] = series.time_series(rs.series, present, colours)
            adaptation.mark_rule_changes(figures["series"].axes, rs.series)
    if "distributions" in kinds:
        for group, keys in groups.items():
            figures[f"distributions-{group}"] = outcomes.distributions(rs.runs, keys, colours)
    if "differences" in kinds and len(rs.differences):
        for group, keys in groups.items():
            figures[f"differences-{group}"] = outcomes.forest(
                rs.differences, keys, colours, rs.baseline, rs.paired
            )
    if "sweep" in kinds and rs.grid_keys:
        figures.update(_sweeps(rs, groups, chosen if metrics else None, variant_colours, notes))
    if "sweep" in kinds and rs.sampled_keys:
        for metric in (chosen if metrics else None) or rs.key_metrics or style.KEY_METRICS:
            figures[f"inputs-{metric}"] = outcomes.inputs(
                rs.runs, rs.sampled_keys, metric, variant_colours
            )
    if "members" in kinds and rs.members is not None:
        figures["members-burden"] = member_plots.burden(rs.members, colours)
        figures["members-damage"] = member_plots.damage(rs.members, colours)
        figures["members-help"] = member_plots.help_balance(rs.members, colours)
    if "network" in kinds and rs.members is not None and rs.pairs is not None:
        figures["network"] = network_plots.network(rs.members, rs.pairs, rs.settings, edge)
        if len(rs.settings) > 6:
            notes.append(f"network figure shows the first 6 of {len(rs.settings)} settings")
    if "adaptation" in kinds:
        if adaptation.varies(rs.series, "rule"):
            figures["rule-in-force"] = adaptation.rule_in_force(rs.series, rs.settings)
        mix = rs.policy_mix
        if mix is not None and len(mix) and _mix_changes(mix):
            figures["policy-mix"] = adaptation.policy_mix(mix, rs.settings)
    return figures, notes


def _mix_changes(mix) -> bool:  # noqa: ANN001
    """Whether any run's mix of behaviours changes over time."""
    shape = mix.groupby(["run_id", "month"])["policy"].apply(lambda p: tuple(sorted(p)))
    counts = mix.set_index(["run_id", "month", "policy"])["members"]
    by_run = counts.groupby(level=["run_id", "policy"]).nunique()
    return bool((by_run > 1).any() or (shape.groupby(level="run_id").nunique() > 1).any())


def _sweeps(rs, groups, metrics, colours, notes):  # noqa: ANN001, ANN202
    """Line plots for one swept parameter, heat maps for two."""
    out = {}
    if len(rs.grid_keys) == 1:
        key = rs.grid_keys[0]
        for group, keys in groups.items():
            out[f"sweep-{group}"] = outcomes.sweep(rs.summary, key, keys, colours)
    elif len(rs.grid_keys) == 2:
        for metric in metrics or style.KEY_METRICS:
            out[f"heatmap-{metric}"] = outcomes.heatmap(
                rs.summary, (rs.grid_keys[0], rs.grid_keys[1]), metric, rs.variants
            )
    else:
        notes.append(
            f"sweep figures cover one or two swept parameters; this grid has "
            f"{len(rs.grid_keys)}: see the summary table"
        )
    return out


def group_of(metric: str) -> str:
    """The slug of a metric's group in figure names (``differences-<group>``); users' own
    outcomes are the group ``own``."""
    return METRICS[metric][0].lower() if metric in METRICS else "own"


def _groups(metrics: Sequence[str]) -> dict[str, list[str]]:
    """Metrics by their group (see :data:`sim.metrics.METRICS`), as file-name slugs."""
    groups: dict[str, list[str]] = {}
    for key in metrics:
        groups.setdefault(group_of(key), []).append(key)
    return groups


def check_names(names: Iterable[str], known: Iterable[str], what: str) -> None:
    """Raise :class:`FigureError` naming the first unknown name, with a suggestion."""
    known = list(known)
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; choose from {', '.join(known)}"
            raise FigureError(f"unknown {what} {name!r}{hint}")


__all__ = ["KINDS", "FigureError", "check_names", "group_of", "standard_figures", "style"]
