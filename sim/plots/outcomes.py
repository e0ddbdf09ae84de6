"""Outcome metrics across settings: distributions, paired differences, sweeps, heat maps,
and outcomes against the inputs of a sampled design.

Each function takes tidy tables (runs, the summary or the differences of
:class:`sim.resultset.ResultSet`) and returns a figure; none runs a simulation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.plots import style


def distributions(runs: pd.DataFrame, metrics: Sequence[str], colours: Mapping[str, str]) -> Figure:
    """One panel per metric: a box per setting with every run's value as a point.

    Points are spread sideways by a fixed jitter, so the same table always gives the same
    figure.
    """
    fig, axes = style.panels(len(metrics), ncols=4 if len(metrics) > 6 else 3)
    settings = [s for s in colours if s in set(runs["setting"])]
    jitter = np.random.default_rng(0)
    total = runs.groupby("setting").size()
    for ax, metric in zip(axes, metrics, strict=True):
        values = [
            pd.to_numeric(runs.loc[runs["setting"] == s, metric], errors="coerce").dropna()
            for s in settings
        ]
        positions = np.arange(1, len(settings) + 1)
        boxes = ax.boxplot(
            [v.to_numpy() for v in values], positions=positions, widths=0.6,
            showfliers=False, patch_artist=True, medianprops={"color": "black"},
        )  # fmt: skip
        for patch, setting in zip(boxes["boxes"], settings, strict=True):
            patch.set(facecolor=colours[setting], alpha=0.35, edgecolor=colours[setting])
        for pos, v, setting in zip(positions, values, settings, strict=True):
            x = pos + jitter.uniform(-0.18, 0.18, len(v))
            ax.scatter(x, v, s=9, color=colours[setting], alpha=0.8, lw=0, label=setting)
        labels = [  # say so where the metric is undefined in some runs (e.g. no members left)
            s if len(v) == total[s] else f"{s} (n={len(v)} of {total[s]})"
            for s, v in zip(settings, values, strict=True)
        ]
        ax.set_xticks(positions, labels, rotation=35 if len(settings) > 2 else 0,
                      ha="right" if len(settings) > 2 else "center", fontsize=8,
                      rotation_mode="anchor")  # fmt: skip
        ax.set_title(style.title(metric), fontsize=10)
        ax.set_ylabel(style.unit(metric))
        ax.grid(axis="y", alpha=0.3)
    low, high = int(total.min()), int(total.max())
    count = f"{low}" if low == high else f"{low}-{high}"
    style.suptitle(fig, f"Outcomes per setting ({count} runs each; box: quartiles, points: runs)")
    return fig


def forest(
    differences: pd.DataFrame,
    metrics: Sequence[str],
    colours: Mapping[str, str],
    baseline: str,
    paired: bool = True,
) -> Figure:
    """One panel per metric: each setting's mean difference against the baseline with its
    95 % confidence interval; filled markers where the interval excludes zero.
    """
    fig, axes = style.panels(len(metrics), ncols=3, size=(4.3, 0.45 * _rows(differences) + 1.4))
    settings = [s for s in colours if s in set(differences["setting"])]
    for ax, metric in zip(axes, metrics, strict=True):
        part = differences[differences["metric"] == metric].set_index("setting")
        for y, setting in enumerate(settings):
            if setting not in part.index:
                continue
            row = part.loc[setting]
            mean, low, high = row["mean_diff"], row["ci_low"], row["ci_high"]
            clear = bool(np.isfinite(low) and (low > 0 or high < 0))
            err = np.array([[mean - low], [high - mean]]) if np.isfinite(low) else None
            ax.errorbar(
                mean, y, xerr=err, fmt="o", color=colours[setting], capsize=3,
                markerfacecolor=colours[setting] if clear else "white", label=setting,
            )  # fmt: skip
        ax.axvline(0.0, color="grey", lw=1, ls="--")
        ax.set_yticks(range(len(settings)), [_wrap(s) for s in settings], fontsize=8)
        ax.set_ylim(-0.6, len(settings) - 0.4)
        ax.invert_yaxis()
        ax.set_title(style.title(metric), fontsize=10)
        ax.set_xlabel(f"difference ({style.unit(metric)})")
        ax.grid(axis="x", alpha=0.3)
    how = "paired by seed" if paired else "unpaired, Welch"
    style.suptitle(fig, f"Difference from {baseline!r} (mean and 95 % CI, {how}; "
                 "filled: CI excludes 0)")  # fmt: skip
    return fig


def sweep(
    summary: pd.DataFrame,
    parameter: str,
    metrics: Sequence[str],
    colours: Mapping[str, str],
) -> Figure:
    """One panel per metric against a swept parameter: a line per variant (the mean) with
    its 95 % confidence band. Numeric values are spaced by value, others evenly.

    Args:
        summary: the per-setting statistics, with ``variant`` and the ``parameter`` column.
        parameter: the swept parameter (a grid key).
        metrics: the outcome metrics, a panel each.
        colours: colour of each variant.
    """
    summary = summary[summary[parameter].notna()]  # settings without this parameter
    values = list(dict.fromkeys(summary[parameter]))
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    fig, axes = style.panels(len(metrics))
    handles = []
    for ax, metric in zip(axes, metrics, strict=True):
        part = summary[summary["metric"] == metric]
        for variant, colour in colours.items():
            rows = part[part["variant"] == variant]
            if rows.empty:
                continue
            rows = rows.set_index(parameter).loc[values].reset_index()
            x = rows[parameter].to_numpy(float) if numeric else np.arange(len(values))
            (line,) = ax.plot(x, rows["mean"], "o-", color=colour, lw=1.6, ms=4, label=variant)
            ax.fill_between(x, rows["ci_low"].to_numpy(float), rows["ci_high"].to_numpy(float),
                            color=colour, alpha=0.2, lw=0)  # fmt: skip
            if metric == metrics[0]:
                handles.append(line)
        if not numeric:
            ax.set_xticks(range(len(values)), [str(v) for v in values], rotation=30, ha="right")
        ax.set_title(style.title(metric), fontsize=10)
        ax.set_xlabel(parameter)
        ax.set_ylabel(style.unit(metric))
        ax.grid(alpha=0.3)
    style.suptitle(fig, f"Outcomes against {parameter} (mean and 95 % CI)")
    style.legend_below(fig, handles, [h.get_label() for h in handles])
    return fig


def inputs(
    runs: pd.DataFrame, parameters: Sequence[str], metric: str, colours: Mapping[str, str]
) -> Figure:
    """A sampled design's runs: one panel per input parameter, the outcome of every run
    against the parameter's value, a colour per variant. Where the cloud tilts or narrows,
    the parameter matters; ``cdsim discover`` finds the region where an outcome occurs.

    Args:
        runs: one row per run, with ``variant``, the parameters and the metric.
        parameters: the sampled parameters (columns of ``runs``).
        metric: the outcome on the vertical axes.
        colours: colour of each variant.
    """
    fig, axes = style.panels(len(parameters), ncols=3)
    handles = []
    y_all = pd.to_numeric(runs[metric], errors="coerce")
    for ax, parameter in zip(axes, parameters, strict=True):
        x_all = pd.to_numeric(runs[parameter], errors="coerce")
        numeric = x_all.notna().all()
        if not numeric:  # categorical: evenly spaced, labelled
            levels = list(dict.fromkeys(runs[parameter].astype(str)))
            x_all = runs[parameter].astype(str).map({v: i for i, v in enumerate(levels)})
            ax.set_xticks(range(len(levels)), levels, rotation=30, ha="right", fontsize=8)
        jitter = np.random.default_rng(0).uniform(-0.15, 0.15, len(runs)) if not numeric else 0
        for variant, colour in colours.items():
            rows = (runs["variant"] == variant).to_numpy()
            if not rows.any():
                continue
            x = x_all.to_numpy(float)[rows] + (jitter[rows] if not numeric else 0)
            dots = ax.scatter(x, y_all.to_numpy(float)[rows], s=8, color=colour, alpha=0.55,
                              lw=0, label=variant)  # fmt: skip
            if parameter == parameters[0]:
                handles.append(dots)
        ax.set_xlabel(parameter, fontsize=9)
        ax.set_ylabel(style.unit(metric))
        ax.grid(alpha=0.3)
    style.suptitle(fig, f"{style.title(metric)} against each sampled input (one point per run)")
    style.legend_below(fig, handles, [h.get_label() for h in handles])
    return fig


def heatmap(
    summary: pd.DataFrame, parameters: tuple[str, str], metric: str, variants: Sequence[str]
) -> Figure:
    """The mean of ``metric`` over a two-parameter grid: one panel per variant, one colour
    scale for all, each cell labelled with its value."""
    px, py = parameters
    part = summary[summary["metric"] == metric]
    xs, ys = list(dict.fromkeys(part[px])), list(dict.fromkeys(part[py]))
    fig, axes = style.panels(len(variants), ncols=min(3, len(variants)), size=(4.6, 3.8))
    grids = []
    for variant in variants:
        rows = part[part["variant"] == variant]
        table = rows.pivot_table(index=py, columns=px, values="mean", aggfunc="first")
        grids.append(table.reindex(index=ys, columns=xs).to_numpy(dtype=float))
    finite = np.concatenate([g[np.isfinite(g)] for g in grids]) if grids else np.array([])
    low, high = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
    image = None
    for ax, variant, grid in zip(axes, variants, grids, strict=True):
        image = ax.imshow(grid, origin="lower", aspect="auto", cmap="viridis", vmin=low,
                          vmax=high)  # fmt: skip
        for (i, j), value in np.ndenumerate(grid):
            if np.isfinite(value):
                shade = (value - low) / (high - low) if high > low else 0.5
                ax.text(j, i, f"{value:.3g}", ha="center", va="center", fontsize=8,
                        color="black" if shade > 0.5 else "white")  # fmt: skip
        ax.set_xticks(range(len(xs)), [str(v) for v in xs])
        ax.set_yticks(range(len(ys)), [str(v) for v in ys])
        ax.set_xlabel(px)
        ax.set_ylabel(py)
        ax.set_title(variant, fontsize=10)
    if image is not None:
        fig.colorbar(image, ax=axes, label=f"{style.title(metric)} ({style.unit(metric)})")
    style.suptitle(fig, f"{style.title(metric)}: mean over replications")
    return fig


def _rows(differences: pd.DataFrame) -> int:
    return max(1, differences["setting"].nunique()) if len(differences) else 1


def _wrap(text: str, width: int = 28) -> str:
    """Break a long setting label at its commas."""
    if len(text) <= width:
        return text
    return text.replace(", ", ",\n")
