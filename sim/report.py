"""A self-contained HTML report of a results folder: the question, how the results were
made, the summary tables and the standard figures, embedded, to send to a colleague.

The page needs nothing but itself: styles are inline and figures are PNG data URIs.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import yaml
from matplotlib.figure import Figure

from sim import __version__, findings, statistics
from sim.metrics import METRICS
from sim.plots import group_of, style
from sim.plots.style import DPI
from sim.resultset import ResultSet

CAPTIONS = {
    "series": "Key per-step measures over time: the mean across runs, with its 95 % band.",
    "distributions": "Every run's outcome per setting: boxes show quartiles, points single runs.",
    "differences": "Each setting minus the baseline, with 95 % confidence intervals.",
    "sweep": "Outcomes against the swept parameter: means with 95 % bands, a line per variant.",
    "heatmap": "Mean outcome over the two swept parameters, one panel per variant.",
    "inputs": "Every run's outcome against each sampled input, a colour per variant: where "
    "the cloud tilts, the input matters.",
    "members-burden": "Defence spending (mean % of GDP over the run) against GDP, per member: "
    "burden sharing rises to the right when large members carry more.",
    "members-damage": "Damage per member, % of its GDP per year, with 95 % confidence intervals.",
    "members-help": "Help given against help received per member (contributions per run).",
    "network": "Members coloured by damage and sized by GDP; lines show trust (or "
    "interoperability) at the end of the runs, solid along shared borders.",
    "rule-in-force": "The rule in force month by month: the share of runs under each preset, "
    "from the least committed (bottom) to the most.",
    "policy-mix": "How many members follow each behaviour, month by month (learning policies "
    "move members between behaviours).",
}

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1200px; margin: 2em auto; padding: 0 1em;
       color: #222; line-height: 1.45; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccc; margin-top: 2em; }
.question { font-size: 1.15em; font-style: italic; }
.note { background: #fff4d6; border-left: 4px solid #e0a800; padding: 0.4em 0.8em; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.8em 0; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.5em; text-align: right; }
th { background: #f3f3f3; } td.metric, th.metric { text-align: left; }
td.clear { font-weight: bold; }
figure { margin: 1.5em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.9em; }
pre { background: #f7f7f7; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
.scroll { overflow-x: auto; } details { margin: 0.8em 0; }
summary { cursor: pointer; font-weight: 600; }
ul.findings li { margin: 0.35em 0; } .unclear { color: #555; }
"""


def render(rs: ResultSet, figures: Mapping[str, Figure], notes: Sequence[str] = ()) -> str:
    """The report page as HTML text."""
    with style.own_metrics(rs.own_metrics):
        return _render(rs, figures, notes)


def _render(rs: ResultSet, figures: Mapping[str, Figure], notes: Sequence[str]) -> str:
    """The question and its answer first, then the figures, then every table (folded)."""
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(rs.name)}: cdsim report</title><style>{STYLE}</style></head><body>",
        f"<h1>{e(rs.name)}</h1>",
    ]
    if rs.question:
        parts.append(f'<p class="question">{e(rs.question)}</p>')
    n = rs.runs.groupby("setting").size()
    each = f"{_range(n)} replications each"
    if rs.sampled_keys and "sample" in rs.runs:
        points = rs.runs["sample"].nunique()
        each = (f"{_range(n)} runs each ({points} design points over "
                f"{len(rs.sampled_keys)} sampled parameters)")  # fmt: skip
    parts.append(
        f"<p>{len(rs.runs)} runs in {len(n)} setting(s), {each}. "
        "Intervals are 95 %: Student-t intervals of the mean, except where one would leave "
        "the metric's possible values (shares 0 to 1, correlations -1 to 1, counts and costs "
        f"0 or more); there {_MARKS['bootstrap']} a bootstrap percentile interval "
        f"({statistics.RESAMPLES} resamples), {_MARKS['Wilson']} a Wilson score interval for "
        f"outcomes of 0 or 1, or {_MARKS['Fisher z']} a Fisher z interval for rank "
        f"correlations. No interval with fewer than {statistics.MIN_N} runs (or pairs).</p>"
    )
    parts += [f'<p class="note">{e(note)}</p>' for note in notes]
    key = _key_figures(rs, figures)
    parts += ['<h2 id="findings">Findings</h2>', _findings(rs)]
    if rs.key_metrics and len(rs.differences) and rs.grid_keys:
        parts += ["<h3>Where the answer changes</h3>", _crossovers(rs)]
    parts += [_figure(name, figures[name]) for name in key]
    rest = [name for name in figures if name not in key]
    if rest:
        parts.append('<h2 id="figures">More figures</h2>')
        parts += [_figure(name, figures[name]) for name in rest]
    parts.append('<h2 id="tables">Tables</h2>')
    parts.append(
        '<details><summary>Outcomes per setting</summary><div class="scroll">'
        + _summary_table(rs)
        + "</div></details>"
    )
    if len(rs.differences):
        how = "paired by seed (common random numbers)" if rs.paired else "unpaired (Welch)"
        where = "design point, pooled over the points" if rs.sampled_keys else "grid point"
        parts.append(
            f"<details><summary>Differences from {e(rs.baseline)}</summary>"
            f"<p>Each setting minus the baseline at the same {where}, {how}: mean "
            "[95 % CI], and the p-value of a t-test. Bold: the interval excludes zero.</p>"
            f'<div class="scroll">{_differences_table(rs)}</div></details>'
        )
    parts.append(f"<details><summary>How these results were made</summary>{_info(rs)}</details>")
    stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    parts.append(f"<p><small>Made by cdsim {e(__version__)} on {stamp}.</small></p>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _figure(name: str, fig: Figure) -> str:
    e = html.escape
    caption = CAPTIONS.get(name) or CAPTIONS.get(name.split("-")[0], "")
    return (
        f'<figure id="{e(name)}"><img alt="{e(name)}" src="data:image/png;base64,'
        f'{_png(fig)}"><figcaption><b>{e(name)}</b>. {e(caption)}</figcaption></figure>'
    )


def _key_metrics(rs: ResultSet) -> list[str]:
    """The metrics the report leads with: the experiment's key metrics, else the usual."""
    return rs.key_metrics or [m for m in style.KEY_METRICS if m in rs.metrics]


def _key_figures(rs: ResultSet, figures: Mapping[str, Figure]) -> list[str]:
    """The figures shown beside the findings: the key metrics' differences (or their
    distributions, with one variant), sweeps, heat maps or inputs."""
    groups = {group_of(m) for m in _key_metrics(rs)}
    kind = "differences" if len(rs.differences) else "distributions"
    chosen = [f"{kind}-{g}" for g in sorted(groups)]
    chosen += [f"sweep-{g}" for g in sorted(groups)]
    chosen += [f"{k}-{m}" for m in _key_metrics(rs) for k in ("heatmap", "inputs")]
    return [name for name in chosen if name in figures]


def _findings(rs: ResultSet) -> str:
    """The clear differences in words; the key metrics that are not clearly different."""
    e = html.escape
    if len(rs.variants) < 2 or not len(rs.differences):
        return (
            "<p>One setting only: nothing to compare. The outcomes are in the figures and in "
            "the table of outcomes per setting below.</p>"
        )
    keys = _key_metrics(rs)
    found = findings.findings(rs.differences, rs.summary, rs.grid_keys, keys)
    how = "paired by seed" if rs.paired else "unpaired"
    out = []
    unclear = findings.unclear_key_metrics(rs.differences, keys)
    if unclear:
        names = "; ".join(f"{v}: {style.describe(m)[0]}" for v, m in unclear)
        out.append(f'<p class="unclear"><b>Not clearly different</b> from {e(rs.baseline)} '
                   f"(every 95 % interval includes zero, or its Holm-adjusted p-value is 0.05 "
                   f"or more): {e(names)}.</p>")  # fmt: skip
    out.append(
        f"<p>The largest differences from <b>{e(rs.baseline)}</b> whose 95 % interval "
        f"excludes zero ({how}) and whose p-value stays below 0.05 after Holm's adjustment "
        "across the metrics compared, the experiment's key outcomes first:</p>"
    )
    if found:
        items = [
            f'<li data-variant="{e(f.variant)}" data-metric="{e(f.metric)}">'
            f"{e(findings.sentence(f, style.describe, rs.paired))}</li>"
            for f in found
        ]
        out.append('<ul class="findings">' + "".join(items) + "</ul>")
    else:
        out.append("<p><b>No clear difference</b>: every interval includes zero.</p>")
    return "\n".join(out)


def _info(rs: ResultSet) -> str:
    """A table of how the results were made, and the experiment as YAML."""
    e = html.escape
    sources = rs.info if rs.kind == "comparison" else {"": rs.info}
    out = []
    for label, info in sources.items():
        if label:
            out.append(f"<h3>{e(label)}</h3>")
        rows = []
        settings = None
        for key, value in info.items():
            if key in ("experiment", "scenario"):
                settings = value
                continue
            if isinstance(value, dict):
                value = ", ".join(f"{k} {v}" for k, v in value.items())
            rows.append(f'<tr><th class="metric">{e(key)}</th><td class="metric">'
                        f"{e(str(value))}</td></tr>")  # fmt: skip
        out.append("<table>" + "".join(rows) + "</table>")
        if settings:
            text = yaml.safe_dump(settings, sort_keys=False, allow_unicode=True)
            out.append(f"<details><summary>Settings</summary><pre>{e(text)}</pre></details>")
    return "\n".join(out)


def crossover_sentences(rs: ResultSet) -> list[str]:
    """Each key metric's comparison with the baseline in words: where a variant is clearly
    lower, clearly higher (95 % intervals excluding zero), and whether that flips across
    the grid."""
    out = []
    for row in rs.crossovers.itertuples(index=False):
        label, unit = style.describe(row.metric)
        bits = []
        if row.lower:
            bits.append(f"lower at {_where(row.lower, unit)}")
        if row.higher:
            bits.append(f"higher at {_where(row.higher, unit)}")
        if row.unclear:
            bits.append(f"not clearly different at {_where(row.unclear, unit)}")
        lead = "Crossover: " if row.crossover else ""
        out.append(f"{lead}{row.variant} against {row.baseline}, {label}: " + "; ".join(bits) + ".")
    return out


def _where(entries: list[dict[str, Any]], unit: str) -> str:
    """Grid points with their difference and interval, for a sentence."""
    return "; ".join(
        (", ".join(f"{k} = {v}" for k, v in e["point"].items()) or "everywhere")
        + f" ({e['diff']:+.3g} [{e['ci'][0]:+.3g}, {e['ci'][1]:+.3g}] {unit})"
        for e in entries
    )


def _crossovers(rs: ResultSet) -> str:
    items = "".join(f"<li>{html.escape(s)}</li>" for s in crossover_sentences(rs))
    return (
        "<p>For the experiment's key outcomes: each variant minus the baseline at every grid "
        "point, paired by seed, with its 95 % interval.</p><ul>" + items + "</ul>"
    )


#: The cell mark of each interval method other than Student t (explained in the intro).
_MARKS = {"bootstrap": "\u1d47", "Wilson": "\u02b7", "Fisher z": "\u1dbb"}


def _interval(mean: float, low: float, high: float, method: str, n: int) -> str:
    """``mean [low, high]`` with the method's mark; the mean and n without an interval."""
    if method.startswith("n<"):
        return f"{_num(mean)} (n={n}, no interval)"
    return f"{_num(mean)} [{_num(low)}, {_num(high)}]{_MARKS.get(method, '')}"


def _summary_table(rs: ResultSet) -> str:
    """Metrics as rows, settings as columns: mean [95 % interval] and the method's mark."""
    table = rs.summary
    settings = rs.settings
    cells = {
        (row.metric, row.setting): _interval(row.mean, row.ci_low, row.ci_high, row.method, row.n)
        for row in table.itertuples()
    }
    return _grid(settings, cells, {})


def _differences_table(rs: ResultSet) -> str:
    """Metrics as rows, settings as columns: the difference with its interval and p-value;
    a star where the p-value stays below 0.05 after Holm's adjustment across the metrics of
    the setting, and a note on how many would look different by chance."""
    diff = rs.differences
    settings = [s for s in rs.settings if s in set(diff["setting"])]
    cells, clear = {}, {}
    for row in diff.itertuples():
        p = "" if math.isnan(row.p_value) else f" p={row.p_value:.2g}"
        star = "*" if row.p_holm < 0.05 else ""
        ci = _interval(row.mean_diff, row.ci_low, row.ci_high, row.method, row.n_pairs)
        cells[(row.metric, row.setting)] = ci + p + star
        clear[(row.metric, row.setting)] = bool(row.ci_low > 0 or row.ci_high < 0)
    tested = diff[diff["p_value"].notna()].groupby("setting")["metric"].nunique()
    m = int(tested.max()) if len(tested) else 0
    note = (
        f"<p>With {m} metrics tested per setting, about {0.05 * m:.1f} of them would show "
        "p &lt; 0.05 by chance alone if nothing differed. * marks p-values still below 0.05 "
        "after Holm's adjustment across the metrics of the setting (the differences table "
        "also has Benjamini-Hochberg q-values, q_bh).</p>"
    )
    return note + _grid(settings, cells, clear)


def _grid(settings: list[str], cells: dict[tuple[str, str], str], clear: dict[Any, bool]) -> str:
    e = html.escape
    head = '<tr><th class="metric">metric</th><th class="metric">unit</th>' + "".join(
        f"<th>{e(s)}</th>" for s in settings
    )
    rows = [head + "</tr>"]
    present = {metric for metric, _ in cells}  # an older folder may lack newer metrics
    own = [m for m in present if m not in METRICS]  # users' own outcomes, in their order
    for key in [*METRICS, *own]:
        if key not in present:
            continue
        label, unit = style.describe(key)
        row = f'<tr><td class="metric">{e(label)}</td><td class="metric">{e(unit)}</td>'
        for s in settings:
            css = ' class="clear"' if clear.get((key, s)) else ""
            row += f"<td{css}>{e(cells.get((key, s), ''))}</td>"
        rows.append(row + "</tr>")
    return "<table>" + "\n".join(rows) + "</table>"


def _num(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.3g}"


def _range(n: pd.Series) -> str:
    low, high = int(n.min()), int(n.max())
    return str(low) if low == high else f"{low}-{high}"


def _png(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return base64.b64encode(buffer.getvalue()).decode("ascii")
