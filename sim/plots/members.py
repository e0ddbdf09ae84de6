"""Per-member figures: burden against GDP, damage, and help given against help received.

Values are each member's mean over the runs of a setting (with a 95 % CI where shown).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from sim.plots import style
from sim.statistics import mean_band


def member_means(members: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Per setting and member: mean and 95 % CI of each column, one row per
    (setting, member, column)."""
    return mean_band(members, columns, by=["setting", "member"])


def burden(members: pd.DataFrame, colours: Mapping[str, str]) -> Figure:
    """Defence spending (mean % of GDP over the run) against GDP, one point per member and
    setting, with each member's starting figure from the data as a grey ring.

    Olson and Zeckhauser's burden-sharing pattern shows as points rising to the right.
    """
    means = _wide(member_means(members, ["defence_pct_gdp_mean", "gdp_usd_bn",
                                         "defence_pct_gdp_initial"]))  # fmt: skip
    fig = Figure(figsize=(8.5, 6), layout="constrained")
    ax = fig.subplots()
    start = means.drop_duplicates("member")
    ax.scatter(start["gdp_usd_bn"], start["defence_pct_gdp_initial"], s=60, facecolors="none",
               edgecolors="grey", label="start of run (data)")  # fmt: skip
    for setting, colour in colours.items():
        rows = means[means["setting"] == setting]
        ax.scatter(rows["gdp_usd_bn"], rows["defence_pct_gdp_mean"], s=28, color=colour,
                   label=setting, zorder=3)  # fmt: skip
    for _, row in start.iterrows():
        ax.annotate(row["member"], (row["gdp_usd_bn"], row["defence_pct_gdp_initial"]),
                    xytext=(5, 4), textcoords="offset points", fontsize=8)  # fmt: skip
    ax.set_xscale("log")
    plain = FuncFormatter(lambda value, _: f"{value:g}")
    ax.xaxis.set_major_formatter(plain)
    ax.xaxis.set_minor_formatter(plain)
    ax.tick_params(axis="x", which="minor", labelsize=7)
    ax.set_xlabel("GDP (US$ bn, log scale)")
    ax.set_ylabel("defence spending, mean over the run (% GDP)")
    ax.set_title("Burden sharing: defence spending against economic size")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, loc="best")
    return fig


def damage(members: pd.DataFrame, colours: Mapping[str, str]) -> Figure:
    """Damage per member (% of its GDP per year): a bar per setting with its 95 % CI,
    members from the largest economy down."""
    band = member_means(members, ["damage_pct_gdp_per_year"])
    order = (members.groupby("member")["gdp_usd_bn"].first().sort_values(ascending=False)
             .index.tolist())  # fmt: skip
    settings = [s for s in colours if s in set(band["setting"])]
    height = 0.8 / max(1, len(settings))
    fig = Figure(figsize=(8.5, 1.2 + 0.28 * len(order) * max(1, len(settings)) ** 0.5 * 1.6),
                 layout="constrained")  # fmt: skip
    ax = fig.subplots()
    y = np.arange(len(order))
    for k, setting in enumerate(settings):
        rows = band[band["setting"] == setting].set_index("member").reindex(order)
        mean = rows["mean"].to_numpy(float)
        err = np.vstack([mean - rows["ci_low"].to_numpy(float),
                         rows["ci_high"].to_numpy(float) - mean])  # fmt: skip
        ax.barh(y + (k - (len(settings) - 1) / 2) * height, mean, height=height,
                xerr=np.nan_to_num(err), color=colours[setting], label=setting,
                error_kw={"lw": 0.8, "capsize": 2})  # fmt: skip
    ax.set_yticks(y, order)
    ax.invert_yaxis()
    ax.set_xlabel("damage (% of the member's GDP per year), mean and 95 % CI")
    ax.set_title("Damage per member (largest economy first)")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    return fig


def help_balance(members: pd.DataFrame, colours: Mapping[str, str], max_panels: int = 6) -> Figure:
    """Help given against help received per member (mean contributions per run), a panel
    per setting (the first ``max_panels``); points above the diagonal receive more than
    they give."""
    means = _wide(member_means(members, ["help_given", "help_received"]))
    settings = [s for s in colours if s in set(means["setting"])][:max_panels]
    fig, axes = style.panels(len(settings), ncols=2 if len(settings) in (2, 4) else 3,
                             size=(5.0, 4.4))  # fmt: skip
    halo = patheffects.withStroke(linewidth=2.5, foreground="white")
    for ax, setting in zip(axes, settings, strict=True):
        rows = means[means["setting"] == setting]
        top = float(np.nanmax(rows[["help_given", "help_received"]].to_numpy(float)))
        top = top * 1.08 if np.isfinite(top) and top > 0 else 1.0
        ax.plot([0, top], [0, top], color="grey", ls="--", lw=1)
        ax.scatter(rows["help_given"], rows["help_received"], s=28, color=colours[setting],
                   label=setting, zorder=3)  # fmt: skip
        for _, row in rows.iterrows():
            ax.annotate(row["member"], (row["help_given"], row["help_received"]),
                        xytext=(4, 3), textcoords="offset points", fontsize=7,
                        path_effects=[halo])  # fmt: skip
        ax.set_xlim(0, top)
        ax.set_ylim(0, top)
        ax.set_aspect("equal")
        ax.set_xlabel("help given (contributions per run)")
        ax.set_ylabel("help received (contributions per run)")
        ax.set_title(setting, fontsize=10)
        ax.grid(alpha=0.3)
    style.suptitle(fig, "Help given against help received, per member (mean over runs; "
                   "dashed: gives as much as it receives)")  # fmt: skip
    return fig


def _wide(band: pd.DataFrame) -> pd.DataFrame:
    """Means as one row per (setting, member), a column per measure."""
    wide = band.pivot_table(index=["setting", "member"], columns="column", values="mean",
                            sort=False)  # fmt: skip
    return wide.reset_index()
