"""The member network: members coloured by damage and sized by GDP, pairs drawn by trust or
interoperability (mean at the end of the runs of each setting)."""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx
import numpy as np
import pandas as pd
from matplotlib import colormaps, patheffects
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.plots import style

EDGES = ("trust", "interoperability")


def layout(pairs: pd.DataFrame) -> dict[str, np.ndarray]:
    """Member positions from a pairs table (``member_a``, ``member_b``, ``border``)."""
    first = pairs.drop_duplicates(["member_a", "member_b"])
    names = list(dict.fromkeys([*first["member_a"], *first["member_b"]]))
    borders = [(a, b) for a, b, kind in first[["member_a", "member_b", "border"]].itertuples(
        index=False) if kind != "none"]  # fmt: skip
    return border_layout(names, borders)


def border_layout(names: list[str], borders: list[tuple[str, str]]) -> dict[str, np.ndarray]:
    """Member positions: neighbours (a land or sea border) close together, others further.

    Kamada-Kawai on distances 1 (border) and 2 (no border); deterministic.
    """
    dist: dict[str, dict[str, float]] = {a: dict.fromkeys(names, 2.0) for a in names}
    for a in names:
        dist[a][a] = 0.0
    for a, b in borders:
        dist[a][b] = dist[b][a] = 1.0
    if len(names) == 1:
        return {names[0]: np.zeros(2)}
    return nx.kamada_kawai_layout(nx.complete_graph(names), dist=dist)


def network(
    members: pd.DataFrame,
    pairs: pd.DataFrame,
    settings: Sequence[str],
    edge: str = "trust",
    max_panels: int = 6,
) -> Figure:
    """One panel per setting (the first ``max_panels``): nodes coloured by damage (% of GDP
    per year), sized by GDP; each pair a line whose width and darkness show ``edge``
    (0-1); borders drawn solid, other pairs dotted.
    """
    if edge not in EDGES:
        raise ValueError(f"edge must be one of {EDGES}, got {edge!r}")
    settings = list(settings)[:max_panels]
    pos = layout(pairs)
    damage = members.groupby(["setting", "member"], sort=False)["damage_pct_gdp_per_year"].mean()
    gdp = members.groupby("member")["gdp_usd_bn"].first()
    values = pairs.groupby(["setting", "member_a", "member_b"], sort=False)[edge].mean()
    borders = pairs.drop_duplicates(["member_a", "member_b"]).set_index(
        ["member_a", "member_b"])["border"]  # fmt: skip
    damage_norm = Normalize(0.0, max(float(damage.max()), 1e-9))
    reds, blues = colormaps["Reds"], colormaps["Blues"]
    fig, axes = style.panels(len(settings), ncols=2 if len(settings) == 4 else 3,
                              size=(5.2, 4.8))  # fmt: skip
    sizes = 40 + 900 * np.sqrt(gdp / gdp.max())
    halo = patheffects.withStroke(linewidth=2.5, foreground="white")
    for ax, setting in zip(axes, settings, strict=True):
        v = values.loc[setting]
        segments = [(pos[a], pos[b]) for a, b in v.index]
        styles = ["solid" if borders.loc[(a, b)] != "none" else (0, (1, 2)) for a, b in v.index]
        rgba = blues(v.to_numpy(float))
        rgba[:, 3] = [1.0 if s == "solid" else 0.4 for s in styles]  # borders stand out
        lines = LineCollection(segments, linewidths=0.3 + 3.0 * v.to_numpy(float), colors=rgba,
                               linestyles=styles, zorder=1)  # fmt: skip
        ax.add_collection(lines)
        names = list(gdp.index)
        xy = np.array([pos[n] for n in names])
        dmg = damage.loc[setting].reindex(names).to_numpy(float)
        ax.scatter(xy[:, 0], xy[:, 1], s=sizes.reindex(names), c=dmg, cmap=reds, norm=damage_norm,
                   edgecolors="black", linewidths=0.6, zorder=2)  # fmt: skip
        for name, (x, y) in zip(names, xy, strict=True):
            lift = np.sqrt(sizes[name]) / 2 + 2  # marker radius in points, plus a gap
            ax.annotate(name, (x, y), xytext=(0, lift), textcoords="offset points", ha="center",
                        fontsize=8, zorder=3, path_effects=[halo])  # fmt: skip
        ax.set_title(setting, fontsize=10)
        ax.set_aspect("equal")
        ax.margins(0.12)
        ax.set_axis_off()
    fig.colorbar(
        _mappable(reds, damage_norm), ax=axes, shrink=0.7, label="damage (% of GDP per year)"
    )
    fig.colorbar(_mappable(blues, Normalize(0, 1)), ax=axes, shrink=0.7,
                 label=f"{edge} between the pair (0-1), mean at the end")  # fmt: skip
    fig.legend(
        [Line2D([], [], color="grey", ls="-"), Line2D([], [], color="grey", ls=":")],
        ["shared border", "no border"], loc="outside lower center", ncols=2, frameon=False,
    )  # fmt: skip
    style.suptitle(fig, f"Members (size: GDP; colour: damage) and {edge} between them")
    return fig


def _mappable(cmap, norm):  # noqa: ANN001, ANN202
    from matplotlib.cm import ScalarMappable

    return ScalarMappable(norm=norm, cmap=cmap)
