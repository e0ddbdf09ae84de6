"""Time series: the mean of each per-step column across replications, with its 95 % band."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
from matplotlib.figure import Figure

from sim.plots import style
from sim.statistics import mean_band


def time_series(series: pd.DataFrame, columns: Sequence[str], colours: Mapping[str, str]) -> Figure:
    """One panel per column: a line per setting (mean over its runs) and a shaded 95 %
    confidence band of that mean.

    Args:
        series: one row per run and step, with ``setting``, ``month`` and ``columns``.
        columns: per-step columns to plot (see :data:`sim.metrics.SERIES`).
        colours: colour of each setting, in legend order.
    """
    band = mean_band(series, columns, by=["setting", "month"])
    fig, axes = style.panels(len(columns))
    handles = []
    for ax, column in zip(axes, columns, strict=True):
        part = band[band["column"] == column]
        for setting, colour in colours.items():
            rows = part[part["setting"] == setting].sort_values("month")
            if rows.empty:
                continue
            (line,) = ax.plot(rows["month"], rows["mean"], color=colour, lw=1.6, label=setting)
            ax.fill_between(rows["month"], rows["ci_low"], rows["ci_high"], color=colour,
                            alpha=0.2, lw=0)  # fmt: skip
            if column == columns[0]:
                handles.append(line)
        ax.set_title(style.title(column, series=True))
        ax.set_xlabel("month")
        ax.set_ylabel(style.unit(column, series=True))
        ax.grid(alpha=0.3)
    runs = series.groupby("setting")["run_id"].nunique()
    style.suptitle(
        fig, f"Over time: mean of {_runs_text(runs)} per setting, with 95 % confidence band"
    )
    style.legend_below(fig, handles, [h.get_label() for h in handles])
    return fig


def _runs_text(runs: pd.Series) -> str:
    low, high = int(runs.min()), int(runs.max())
    return f"{low} runs" if low == high else f"{low}-{high} runs"
