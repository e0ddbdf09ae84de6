"""Scenario discovery's trade-off: coverage against density along PRIM's peeling trajectory."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.colors import BoundaryNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.plots import style


def tradeoff(trajectory: pd.DataFrame, threshold: float | None = None) -> Figure:
    """One panel per box: each peeling step as a point (coverage, density), coloured by the
    number of inputs restricted, the chosen step ringed.

    Peeling trades coverage (how many cases of interest the box catches) for density (how
    pure it is); the figure shows what a simpler or a purer box would cost.

    Args:
        trajectory: ``box``, ``step``, ``coverage``, ``density``, ``res_dim`` and ``chosen``
            per step (:func:`sim.discovery.prim`).
        threshold: the density threshold the chosen step had to reach, drawn as a line.
    """
    boxes = list(dict.fromkeys(trajectory["box"]))
    fig, axes = style.panels(len(boxes), ncols=3, size=(5.2, 4.2))
    top = int(trajectory["res_dim"].max()) if len(trajectory) else 0
    cmap = colormaps["viridis"].resampled(top + 1)
    norm = BoundaryNorm(np.arange(-0.5, top + 1.5), cmap.N)
    points = None
    for ax, number in zip(axes, boxes, strict=True):
        steps = trajectory[trajectory["box"] == number]
        ax.plot(steps["coverage"], steps["density"], color="0.75", lw=0.8, zorder=1)
        points = ax.scatter(steps["coverage"], steps["density"], c=steps["res_dim"], cmap=cmap,
                            norm=norm, s=22, zorder=2)  # fmt: skip
        chosen = steps[steps["chosen"]]
        ax.scatter(chosen["coverage"], chosen["density"], s=140, facecolors="none",
                   edgecolors="tab:red", linewidths=1.8, zorder=3)  # fmt: skip
        for row in chosen.itertuples():
            ax.annotate(
                f"coverage {row.coverage:.2f}\ndensity {row.density:.2f}",
                (row.coverage, row.density), xytext=(8, -24), textcoords="offset points",
                fontsize=8, color="tab:red",
            )  # fmt: skip
        if threshold is not None:
            ax.axhline(threshold, color="0.4", ls="--", lw=0.8, zorder=0)
        ax.set_xlim(-0.02, 1.02)
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("coverage (share of the cases of interest inside)")
        ax.set_ylabel("density (share of the box's cases of interest)")
        ax.set_title(f"Box {number}", fontsize=10)
        ax.grid(alpha=0.3)
    if points is not None:
        bar = fig.colorbar(points, ax=axes, ticks=range(top + 1), shrink=0.8)
        bar.set_label("inputs restricted")
    handles = [Line2D([], [], marker="o", ls="", mfc="none", mec="tab:red", ms=10, mew=1.8)]
    labels = ["chosen box"]
    if threshold is not None:
        handles.append(Line2D([], [], color="0.4", ls="--", lw=0.8))
        labels.append(f"density threshold ({threshold:g})")
    style.legend_below(fig, handles, labels)
    style.suptitle(fig, "PRIM boxes: coverage against density while peeling")
    return fig
