"""Sensitivity indices as bars: which parameters drive each outcome."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.plots import style


def indices(table: pd.DataFrame, method: str) -> Figure:
    """One panel per outcome metric, a bar per parameter, most influential on top.

    Morris: mu* (mean absolute elementary effect, in the metric's unit) with its 95 %
    bootstrap interval, and sigma as a marker (interactions, non-linearity). Sobol: first-order
    (S1) and total (ST) indices with their intervals.
    """
    metrics = list(dict.fromkeys(table["metric"]))
    fig, axes = style.panels(
        len(metrics), ncols=3, size=(5.0, 0.35 * table["parameter"].nunique() + 1.6)
    )
    for ax, metric in zip(axes, metrics, strict=True):
        rows = table[table["metric"] == metric]
        key = "mu_star" if method == "morris" else "ST"
        rows = rows.sort_values(key)
        y = np.arange(len(rows))
        if method == "morris":
            ax.barh(y, rows["mu_star"], xerr=rows["mu_star_conf"], color="tab:blue",
                    label="mu* (influence)", error_kw={"lw": 0.8})  # fmt: skip
            ax.plot(rows["sigma"], y, "k|", ms=10, label="sigma (interactions)")
            ax.set_xlabel(f"elementary effect ({style.unit(metric)})")
        else:
            ax.barh(y + 0.2, rows["ST"], height=0.4, xerr=rows["ST_conf"], color="tab:orange",
                    label="ST (total)", error_kw={"lw": 0.8})  # fmt: skip
            ax.barh(y - 0.2, rows["S1"], height=0.4, xerr=rows["S1_conf"], color="tab:blue",
                    label="S1 (alone)", error_kw={"lw": 0.8})  # fmt: skip
            ax.set_xlabel("share of the outcome's variance")
        ax.set_yticks(y, rows["parameter"], fontsize=8)
        ax.set_title(style.title(metric), fontsize=10)
        ax.grid(axis="x", alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    style.legend_below(fig, handles, labels)
    name = "Morris screening" if method == "morris" else "Sobol indices"
    style.suptitle(fig, f"Sensitivity of the key outcomes to the parameters ({name})")
    return fig
