"""The member network: members coloured by damage and sized by GDP, pairs drawn by trust or
interoperability (mean at the end of the runs of each setting).

Members sit at their capitals (a simple map) when the members table gives every member's
``capital_lat``/``capital_lon``; otherwise neighbours sit together (:func:`border_layout`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
from matplotlib import colormaps, patheffects
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.textpath import TextToPath

from sim.plots import style

EDGES = ("trust", "interoperability")
#: Up to this many members, markers and panels keep their full size; beyond, markers shrink
#: and panels grow with the number of members.
CROWD = 12


#: A stretch of empty longitude wider than this (projected degrees) is shortened to it, so an
#: ocean between members (the Atlantic in NATO) does not squeeze the rest into a corner.
MAX_GAP = 12.0
#: No two members closer than this share of the map's extent: close capitals (Kuala Lumpur
#: and Singapore, Brussels and Amsterdam) are nudged apart so their markers stay distinct.
MIN_SEPARATION = 0.05


def layout(pairs: pd.DataFrame, members: pd.DataFrame | None = None) -> dict[str, np.ndarray]:
    """Member positions: at their capitals when ``members`` (a members table) gives every
    member's ``capital_lat`` and ``capital_lon`` (:func:`capital_layout`), else from the
    borders in ``pairs`` (``member_a``, ``member_b``, ``border``; :func:`border_layout`)."""
    first = pairs.drop_duplicates(["member_a", "member_b"])
    names = list(dict.fromkeys([*first["member_a"], *first["member_b"]]))
    lat = lon = [math.nan] * len(names)
    if members is not None and {"capital_lat", "capital_lon"} <= set(members.columns):
        where = members.groupby("member", sort=False)[["capital_lat", "capital_lon"]].first()
        where = where.reindex(names)
        lat, lon = list(where["capital_lat"]), list(where["capital_lon"])
    borders = [(a, b) for a, b, kind in first[["member_a", "member_b", "border"]].itertuples(
        index=False) if kind != "none"]  # fmt: skip
    return place(names, lat, lon, borders)


def place(
    names: list[str],
    lat: Sequence[float | None],
    lon: Sequence[float | None],
    borders: list[tuple[str, str]],
) -> dict[str, np.ndarray]:
    """Member positions: at their capitals when every member has both coordinates
    (:func:`capital_layout`), else by their borders (:func:`border_layout`)."""
    known = [v is not None and not math.isnan(v) for v in (*lat, *lon)]
    if names and all(known):
        return capital_layout(names, lat, lon)
    return border_layout(names, borders)


def project(lat: Sequence[float], lon: Sequence[float]) -> np.ndarray:
    """Equirectangular projection, one row (x, y) per point, in degrees: ``x = lon *
    cos(mean latitude)``, ``y = lat``. Longitudes are taken as one continuous stretch, cut at
    the widest empty arc, so a group across the date line stays together."""
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    if lon.size > 1:
        order = np.sort(lon % 360.0)
        gaps = np.diff(np.append(order, order[0] + 360.0))
        start = order[(int(np.argmax(gaps)) + 1) % order.size]  # east of the widest gap
        lon = start + (lon - start) % 360.0
        lon = lon - 360.0 * np.round(lon.mean() / 360.0)  # back near -180..180
    scale = np.cos(np.radians(lat.mean())) if lat.size else 1.0
    return np.column_stack([lon * scale, lat])


def capital_layout(
    names: Sequence[str], lat: Sequence[float], lon: Sequence[float]
) -> dict[str, np.ndarray]:
    """Member positions on a map of their capitals (deterministic).

    The capitals are projected (:func:`project`); stretches of empty longitude wider than
    :data:`MAX_GAP` are shortened to it; members closer than :data:`MIN_SEPARATION` of the
    map's extent are pushed apart; the map is centred and scaled so it spans [-1, 1] in its
    longer direction, as :func:`border_layout` does.
    """
    xy = project(lat, lon)
    xy[:, 0] = _shorten_gaps(xy[:, 0], MAX_GAP)
    xy = _spread(xy, MIN_SEPARATION * max(float(np.ptp(xy, axis=0).max()), 1e-9))
    xy = xy - (xy.max(axis=0) + xy.min(axis=0)) / 2
    xy = xy / max(float(np.abs(xy).max()), 1e-9)
    return {name: xy[i] for i, name in enumerate(names)}


def _shorten_gaps(x: np.ndarray, max_gap: float) -> np.ndarray:
    """``x`` with every gap between neighbouring values wider than ``max_gap`` shortened to
    it (order kept)."""
    order = np.argsort(x, kind="stable")
    steps = np.diff(x[order])
    shortened = x[order[0]] + np.concatenate([[0.0], np.cumsum(np.minimum(steps, max_gap))])
    out = np.empty_like(x)
    out[order] = shortened
    return out


def _spread(xy: np.ndarray, min_dist: float, rounds: int = 200) -> np.ndarray:
    """Push points closer than ``min_dist`` apart, half the overlap each way per round, until
    none is (or after ``rounds``); points far from others do not move."""
    xy = xy.astype(float).copy()
    n = len(xy)
    # coincident points part along a fixed direction of their own
    fallback = np.column_stack([np.cos(np.arange(n) * 2.4), np.sin(np.arange(n) * 2.4)])
    for _ in range(rounds):
        delta = xy[:, None, :] - xy[None, :, :]
        dist = np.hypot(delta[..., 0], delta[..., 1])
        np.fill_diagonal(dist, np.inf)
        overlap = np.clip(min_dist - dist, 0.0, None)
        if overlap.max() <= 1e-9 * min_dist:
            break
        unit = np.where(dist[..., None] > 1e-12, delta / np.maximum(dist, 1e-12)[..., None],
                        fallback[:, None, :])  # fmt: skip
        xy += 0.5 * (overlap[..., None] * unit).sum(axis=1)
    return xy


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
    pos = layout(pairs, members)
    damage = members.groupby(["setting", "member"], sort=False)["damage_pct_gdp_per_year"].mean()
    gdp = members.groupby("member")["gdp_usd_bn"].first()
    values = pairs.groupby(["setting", "member_a", "member_b"], sort=False)[edge].mean()
    borders = pairs.drop_duplicates(["member_a", "member_b"]).set_index(
        ["member_a", "member_b"])["border"]  # fmt: skip
    damage_norm = Normalize(0.0, max(float(damage.max()), 1e-9))
    # each panel shows (and labels) only the members of its own runs
    present = {s: [n for n in gdp.index if n in damage.loc[s].index] for s in settings}
    reds, blues = colormaps["Reds"], colormaps["Blues"]
    # a larger panel and smaller markers for a larger group; a panel as wide as its map
    crowd = max(1.0, len(gdp) / CROWD)
    xy_all = np.array(list(pos.values()))
    span = np.ptp(xy_all, axis=0) if len(xy_all) > 1 else np.ones(2)
    width = 5.2 * min(np.sqrt(crowd), 1.7)
    ncols = 2 if len(settings) == 4 else 3
    plot_width = width - 2.2 / min(ncols, len(settings))  # less the colour bars' share
    height = min(
        4.8 * width / 5.2,
        plot_width * float(np.clip(span[1] / max(span[0], 1e-9), 0.45, 1.0)) + 0.5,
    )
    fig, axes = style.panels(len(settings), ncols=ncols, size=(width, height))
    sizes = 40 + 900 / crowd * np.sqrt(gdp / gdp.max())
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
        names = present[setting]
        xy = np.array([pos[n] for n in names])
        dmg = damage.loc[setting].reindex(names).to_numpy(float)
        ax.scatter(xy[:, 0], xy[:, 1], s=sizes.reindex(names), c=dmg, cmap=reds, norm=damage_norm,
                   edgecolors="black", linewidths=0.6, zorder=2)  # fmt: skip
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
    # labels last, once the layout is settled: each where it overlaps least
    fig.draw_without_rendering()
    for ax, setting in zip(axes, settings, strict=True):
        names = present[setting]
        radii = np.sqrt(sizes.reindex(names).to_numpy(float)) / 2  # marker radius in points
        xy = np.array([pos[n] for n in names])
        place_labels(ax, names, xy, radii, fontsize=8, path_effects=[halo], zorder=3)
    return fig


_TEXT = TextToPath()  # measures labels in points

#: Where a label may go around its marker, in order of preference: (dx, dy) directions.
LABEL_SPOTS = ((0, 1), (0, -1), (1, 0), (-1, 0), (1, 1), (-1, 1), (1, -1), (-1, -1))


def place_labels(
    ax: Axes,
    names: Sequence[str],
    xy: np.ndarray,
    radii: Sequence[float],
    fontsize: float = 8,
    spots: Sequence[tuple[int, int]] = LABEL_SPOTS,
    **text: Any,
) -> list[Any]:
    """Label each marker (centre ``xy[i]`` in data units, radius ``radii[i]`` in points)
    above, below, beside or diagonally off it (``spots``: directions in order of preference),
    close or a line further out: wherever its
    text overlaps least with other labels (weighted most), markers and the panel's edge.
    Larger markers choose first, then every label chooses again knowing all the others.
    Deterministic; needs the figure's layout settled (``fig.draw_without_rendering()``).
    """
    fig = ax.get_figure()
    scale = 72.0 / fig.dpi  # pixels -> points
    centres = ax.transData.transform(np.asarray(xy, dtype=float)) * scale
    radii = np.asarray(radii, dtype=float)
    box = ax.get_window_extent()
    frame = (box.x0 * scale, box.y0 * scale, box.x1 * scale, box.y1 * scale)
    markers = [(x - r, y - r, x + r, y + r) for (x, y), r in zip(centres, radii, strict=True)]
    font = FontProperties(size=fontsize)
    choices: list[list[tuple[tuple[float, ...], tuple[float, float], int, int, float]]] = []
    for i, name in enumerate(names):
        width, height, _ = _TEXT.get_text_width_height_descent(str(name), font, ismath=False)
        width, height = width + 2.0, max(height, fontsize) + 2.0  # the halo
        gap = radii[i] + 2.0
        mine = []
        for far in (gap, gap + height):
            for dx, dy in spots:
                ox, oy = dx * far * (0.75 if dy else 1.0), dy * far * (0.75 if dx else 1.0)
                x0 = centres[i, 0] + ox - width * (0.5 if dx == 0 else (0.0 if dx > 0 else 1.0))
                y0 = centres[i, 1] + oy - height * (0.5 if dy == 0 else (0.0 if dy > 0 else 1.0))
                rect = (x0, y0, x0 + width, y0 + height)
                fixed = sum(_overlap(rect, m) for k, m in enumerate(markers) if k != i)
                fixed += 2.0 * (width * height - _overlap(rect, frame))  # outside the panel
                mine.append((rect, (ox, oy), dx, dy, fixed))
        choices.append(mine)
    chosen: dict[int, int] = {}
    order = sorted(range(len(names)), key=lambda k: (-radii[k], k))
    for _ in range(4):  # the first round places in turn; later ones improve
        changed = False
        for i in order:
            others = [choices[k][c][0] for k, c in chosen.items() if k != i]
            costs = [
                (round(fixed + 3.0 * sum(_overlap(rect, o) for o in others), 3), rank)
                for rank, (rect, _, _, _, fixed) in enumerate(choices[i])
            ]
            best = min(costs)[1]
            changed |= chosen.get(i) != best
            chosen[i] = best
        if not changed:
            break
    out = []
    for i in order:
        _, offset, dx, dy, _ = choices[i][chosen[i]]
        label = ax.annotate(
            names[i], tuple(xy[i]), xytext=offset, textcoords="offset points",
            ha={0: "center", 1: "left", -1: "right"}[dx],
            va={0: "center", 1: "bottom", -1: "top"}[dy], fontsize=fontsize, **text,
        )  # fmt: skip
        label.set_in_layout(False)  # placed for this layout: keep the layout as it is
        out.append(label)
    return out


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """Area shared by two boxes (x0, y0, x1, y1)."""
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def _mappable(cmap, norm):  # noqa: ANN001, ANN202
    from matplotlib.cm import ScalarMappable

    return ScalarMappable(norm=norm, cmap=cmap)
