"""Shared look of every figure: colours per variant, labels with units, panel grids, saving.

Figures are built on :class:`matplotlib.figure.Figure` directly (no pyplot), so making them
touches no global state and needs no display.
"""

from __future__ import annotations

import contextlib
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.colors import to_hex, to_rgb
from matplotlib.figure import Figure

from sim.metrics import METRICS, SERIES

FORMATS = ("png", "svg")
#: Outcome metrics shown where a figure has room for only a few (heat maps).
KEY_METRICS = (
    "damage_pct_gdp_per_year",
    "detected_early_share",
    "aggression_helped_share",
    "mean_trust",
    "members_remaining",
    "burden_rank_corr",
)
#: Per-step series shown by default.
KEY_SERIES = (
    "damage_cumulative_usd_bn",
    "threats_active",
    "mean_trust",
    "mean_interoperability",
    "mean_defence_pct_gdp",
    "members_remaining",
)
DPI = 110


def variant_colours(variants: Sequence[str]) -> dict[str, str]:
    """One qualitative colour per variant, in order (tab10, then tab20)."""
    cmap = colormaps["tab10" if len(variants) <= 10 else "tab20"]
    return {v: to_hex(cmap(i % cmap.N)) for i, v in enumerate(variants)}


def setting_colours(settings: pd.DataFrame, variants: Sequence[str]) -> dict[str, str]:
    """A colour per setting: its variant's colour, lighter for earlier grid points, so a
    variant keeps its hue in every figure.

    Args:
        settings: one row per setting, with ``setting`` and ``variant`` (in plan order).
        variants: the variants, in order.
    """
    base = variant_colours(variants)
    out = {}
    for variant, group in settings.groupby("variant", sort=False):
        names = list(group["setting"])
        for k, name in enumerate(names):
            # lightness: the last grid point at full colour, the first mixed 55 % with white
            mix = 0.55 * (len(names) - 1 - k) / (len(names) - 1) if len(names) > 1 else 0.0
            rgb = np.array(to_rgb(base[variant]))
            out[name] = to_hex(rgb + (1.0 - rgb) * mix)
    return out


#: Users' own outcomes of the results being drawn: column -> (description, unit); set for
#: the time of drawing by :func:`own_metrics`.
_OWN: dict[str, tuple[str, str]] = {}


@contextlib.contextmanager
def own_metrics(labels: Mapping[str, tuple[str, str]]) -> Iterator[None]:
    """Label users' own outcomes (sim.outcomes) like built-in ones while figures are drawn."""
    saved = dict(_OWN)
    _OWN.update(labels)
    try:
        yield
    finally:
        _OWN.clear()
        _OWN.update(saved)


def describe(key: str, series: bool = False) -> tuple[str, str]:
    """(description, unit) of an outcome metric, or of a per-step column if ``series``."""
    if series and key in SERIES:
        return SERIES[key]
    if key in METRICS:
        return METRICS[key][1], METRICS[key][2]
    if key in SERIES:
        return SERIES[key]
    if key in _OWN:
        return _OWN[key]
    return key.replace("_", " "), ""


def title(key: str, series: bool = False) -> str:
    """A panel title: the description, capitalised."""
    text = describe(key, series)[0]
    return text[:1].upper() + text[1:]


def unit(key: str, series: bool = False) -> str:
    """An axis label: the unit."""
    return describe(key, series)[1]


def panels(
    n: int, ncols: int = 3, size: tuple[float, float] = (4.3, 3.2)
) -> tuple[Figure, list[Axes]]:
    """A figure with ``n`` panels in rows of ``ncols`` (unused grid cells removed)."""
    ncols = max(1, min(ncols, n))
    nrows = max(1, -(-n // ncols))
    fig = Figure(figsize=(size[0] * ncols, size[1] * nrows + 0.9), layout="constrained")
    axes = list(np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel())
    for ax in axes[n:]:
        ax.remove()
    return fig, axes[:n]


def legend_below(fig: Figure, handles: list, labels: list[str]) -> None:
    """One legend for the whole figure, under the panels, in as many columns as fit."""
    width = fig.get_figwidth() * 11  # characters of legend text per row, roughly
    ncols = max(1, min(4, len(labels), int(width // (max(map(len, labels), default=1) + 6))))
    fig.legend(handles, labels, loc="outside lower center", ncols=ncols, frameon=False)


def suptitle(fig: Figure, text: str) -> None:
    """A figure title, wrapped to the figure's width."""
    width = max(30, int(fig.get_figwidth() * 13))
    fig.suptitle(textwrap.fill(text, width))


def save(fig: Figure, folder: Path, name: str, formats: Sequence[str] = FORMATS) -> list[Path]:
    """Write ``fig`` as ``folder/name.<format>`` for each format; return the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt in formats:
        path = folder / f"{name}.{fmt}"
        fig.savefig(path, dpi=DPI, metadata={"Date": None} if fmt == "svg" else None)
        paths.append(path)
    return paths
