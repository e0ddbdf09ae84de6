"""Figures and reports: what they show, checked against the tables they come from.

Most tests read the fixed results folder ``tests/data/small_sweep`` (written once by an
earlier version; see tests/data/README.md) and compare the plotted data with that folder's
own tables.
"""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.colors import to_hex
from matplotlib.container import ErrorbarContainer

from sim.cli import main
from sim.metrics import METRICS, metric_range
from sim.plots import FigureError, outcomes, series, standard_figures, style
from sim.plots import members as member_plots
from sim.plots import network as network_plots
from sim.report import render
from sim.resultset import ResultsError, combine, load
from sim.store import FORMAT

FIXTURE = ROOT / "tests" / "data" / "small_sweep"
SETTINGS = [
    "non_intervention, interval_months=6",
    "non_intervention, interval_months=24",
    "collective_commitment, interval_months=6",
    "collective_commitment, interval_months=24",
]


@pytest.fixture(scope="module")
def rs():
    return load(FIXTURE)


@pytest.fixture(scope="module")
def colours(rs):
    return style.setting_colours(rs.setting_table, rs.variants)


def _panel(fig, metric, series_column=False):
    """The axes whose title is the metric's (or series column's) description."""
    wanted = style.title(metric, series_column)
    matches = [ax for ax in fig.axes if ax.get_title() == wanted]
    assert len(matches) == 1, f"no single panel titled {wanted!r}"
    return matches[0]


def test_fixture_loads_with_settings_in_plan_order(rs):
    assert rs.settings == SETTINGS
    assert rs.baseline == "non_intervention"
    assert rs.grid_keys == ["exercises.interval_months"]
    assert rs.notes == []
    assert (rs.runs.groupby("setting").size() == 4).all()
    assert rs.members["member"].nunique() == 5
    assert len(rs.pairs) == 16 * 10  # 16 runs x 10 pairs of 5 members


def test_recomputed_statistics_match_the_batch_tables(rs):
    written = pd.read_csv(FIXTURE / "summary.csv")
    merged = rs.summary.merge(written, on=["variant", "exercises.interval_months", "metric"])
    assert len(merged) == len(written)
    np.testing.assert_allclose(merged["mean_x"], merged["mean_y"], equal_nan=True)
    diff = pd.read_csv(FIXTURE / "differences.csv")
    merged = rs.differences.merge(diff, on=["variant", "exercises.interval_months", "metric"])
    assert len(merged) == len(diff)
    t = merged["method"] == "t"  # the folder's tables have Student-t intervals throughout
    assert t.sum() > len(merged) / 2
    np.testing.assert_allclose(merged["ci_low_x"][t], merged["ci_low_y"][t], equal_nan=True)
    for row in merged[~t].itertuples():  # where those left the range, ours stay within it
        low, high = metric_range(row.metric)
        assert row.ci_low_y < low - high or row.ci_high_y > high - low
        assert low - high <= row.ci_low_x <= row.ci_high_x <= high - low


def test_variant_keeps_its_hue_and_grid_points_differ(rs, colours):
    assert len(set(colours.values())) == 4
    base = style.variant_colours(rs.variants)
    # the last grid point of each variant has the variant's own colour
    assert colours["non_intervention, interval_months=24"] == base["non_intervention"]
    assert colours["collective_commitment, interval_months=24"] == base["collective_commitment"]


def test_time_series_plots_the_mean_of_each_setting(rs, colours):
    fig = series.time_series(rs.series, ["mean_trust", "threats_active"], colours)
    ax = _panel(fig, "mean_trust", series_column=True)
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == SETTINGS
    assert ax.get_ylabel() == "0-1" and ax.get_xlabel() == "month"
    for line in lines:
        expected = rs.series[rs.series["setting"] == line.get_label()].groupby("month")[
            "mean_trust"
        ]
        np.testing.assert_allclose(line.get_ydata(), expected.mean().to_numpy())
        assert to_hex(line.get_color()) == colours[line.get_label()]
    # one band per setting, and one figure legend naming every setting
    assert len([c for c in ax.collections if not isinstance(c, PathCollection)]) == 4
    assert [t.get_text() for t in fig.legends[0].get_texts()] == SETTINGS


def test_distributions_show_every_run(rs, colours):
    fig = outcomes.distributions(rs.runs, ["damage_usd_bn", "mean_trust"], colours)
    ax = _panel(fig, "damage_usd_bn")
    points = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert [p.get_label() for p in points] == SETTINGS
    for p in points:
        expected = rs.runs.loc[rs.runs["setting"] == p.get_label(), "damage_usd_bn"]
        np.testing.assert_allclose(np.sort(p.get_offsets()[:, 1]), np.sort(expected))
        assert to_hex(p.get_facecolor()[0]) == colours[p.get_label()]
    assert ax.get_ylabel() == "US$ bn"
    assert [t.get_text() for t in ax.get_xticklabels()] == SETTINGS
    gaps = rs.runs.assign(mean_trust=[float("nan")] * 3 + list(rs.runs["mean_trust"][3:]))
    fig = outcomes.distributions(gaps, ["mean_trust"], colours)
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels[0] == f"{SETTINGS[0]} (n=1 of 4)" and labels[1:] == SETTINGS[1:]


def test_forest_plots_the_differences_the_batch_wrote(rs, colours):
    written = pd.read_csv(FIXTURE / "differences.csv")
    fig = outcomes.forest(rs.differences, ["mean_trust", "damage_usd_bn"], colours, rs.baseline)
    ax = _panel(fig, "mean_trust")
    bars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert len(bars) == 2  # the two commitment settings; the baseline is not drawn
    rows = written[(written["metric"] == "mean_trust")].reset_index(drop=True)
    for bar, (_, row) in zip(bars, rows.iterrows(), strict=True):
        x = bar.lines[0].get_xdata()[0]
        assert x == pytest.approx(row["mean_diff"])
        segment = bar.lines[2][0].get_segments()[0]
        assert segment[0][0] == pytest.approx(row["ci_low"])
        assert segment[1][0] == pytest.approx(row["ci_high"])
    assert "non_intervention" in fig._suptitle.get_text()
    assert ax.get_xlabel() == "difference (0-1)"


def test_sweep_plots_summary_means_against_the_parameter(rs):
    written = pd.read_csv(FIXTURE / "summary.csv")
    colours = style.variant_colours(rs.variants)
    fig = outcomes.sweep(rs.summary, "exercises.interval_months", ["mean_trust"], colours)
    ax = _panel(fig, "mean_trust")
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"non_intervention", "collective_commitment"}
    for variant, line in lines.items():
        rows = written[(written["variant"] == variant) & (written["metric"] == "mean_trust")]
        np.testing.assert_allclose(line.get_xdata(), [6, 24])
        np.testing.assert_allclose(line.get_ydata(), rows["mean"])
    assert ax.get_xlabel() == "exercises.interval_months"


def test_heatmap_puts_each_mean_in_its_cell():
    summary = pd.DataFrame(
        [
            {"variant": v, "a": a, "b": b, "metric": "mean_trust", "mean": m}
            for v, shift in (("x", 0.0), ("y", 0.5))
            for (a, b), m in {(1, 10): 0.1, (2, 10): 0.2, (1, 20): 0.3, (2, 20): 0.4}.items()
            for m in [m + shift]
        ]
    )
    fig = outcomes.heatmap(summary, ("a", "b"), "mean_trust", ["x", "y"])
    panels = [ax for ax in fig.axes if ax.get_title() in ("x", "y")]
    assert len(panels) == 2
    grid = panels[1].get_images()[0].get_array()
    np.testing.assert_allclose(grid, [[0.6, 0.7], [0.8, 0.9]])  # rows b=10, 20; columns a=1, 2
    assert {t.get_text() for t in panels[0].texts} == {"0.1", "0.2", "0.3", "0.4"}
    assert panels[0].get_xlabel() == "a" and panels[0].get_ylabel() == "b"


def test_burden_figure_names_members_and_plots_their_means(rs, colours):
    fig = member_plots.burden(rs.members, colours)
    ax = fig.axes[0]
    names = {t.get_text() for t in ax.texts}
    assert names == set(rs.members["member"])
    assert "GDP" in ax.get_xlabel() and "% GDP" in ax.get_ylabel()
    points = {c.get_label(): c for c in ax.collections}
    setting = SETTINGS[2]
    expected = (
        rs.members[rs.members["setting"] == setting]
        .groupby("member", sort=False)["defence_pct_gdp_mean"]
        .mean()
    )
    np.testing.assert_allclose(np.sort(points[setting].get_offsets()[:, 1]), np.sort(expected))


def test_damage_and_help_figures(rs, colours):
    fig = member_plots.damage(rs.members, colours)
    ax = fig.axes[0]
    order = [t.get_text() for t in ax.get_yticklabels()]
    gdp = rs.members.groupby("member")["gdp_usd_bn"].first()
    assert order == list(gdp.sort_values(ascending=False).index)
    assert len(ax.patches) == 5 * 4  # a bar per member and setting
    assert "% of the member's GDP per year" in ax.get_xlabel()
    fig = member_plots.help_balance(rs.members, colours)
    assert [ax.get_title() for ax in fig.axes] == SETTINGS  # a panel per setting
    ax = fig.axes[3]
    points = {c.get_label(): c for c in ax.collections}
    rows = rs.members[rs.members["setting"] == SETTINGS[3]]
    mean = rows.groupby("member", sort=False)[["help_given", "help_received"]].mean()
    np.testing.assert_allclose(points[SETTINGS[3]].get_offsets(), mean.to_numpy())


def test_network_colours_members_by_damage_and_draws_every_pair(rs):
    fig = network_plots.network(rs.members, rs.pairs, rs.settings, edge="interoperability")
    panels = [ax for ax in fig.axes if ax.get_title() in SETTINGS]
    assert len(panels) == 4
    ax = panels[0]
    nodes = [c for c in ax.collections if isinstance(c, PathCollection)][0]
    damage = rs.members[rs.members["setting"] == SETTINGS[0]].groupby("member", sort=False)
    names = list(rs.members.groupby("member", sort=False)["gdp_usd_bn"].first().index)
    np.testing.assert_allclose(
        nodes.get_array(), damage["damage_pct_gdp_per_year"].mean().reindex(names)
    )
    edges = [c for c in ax.collections if isinstance(c, LineCollection)][0]
    assert len(edges.get_segments()) == 10
    interop = rs.pairs[rs.pairs["setting"] == SETTINGS[0]].groupby(
        ["member_a", "member_b"], sort=False
    )["interoperability"]
    np.testing.assert_allclose(edges.get_linewidths(), 0.3 + 3.0 * interop.mean().to_numpy())
    assert {t.get_text() for t in ax.texts} == set(names)
    with pytest.raises(ValueError, match="edge"):
        network_plots.network(rs.members, rs.pairs, rs.settings, edge="friendship")


def test_standard_figures_cover_every_metric_group(rs):
    figures, notes = standard_figures(rs, kinds=["distributions", "differences", "sweep"])
    present = [m for m in METRICS if m in rs.runs.columns]
    groups = {METRICS[m][0].lower() for m in present}
    for kind in ("distributions", "differences", "sweep"):
        assert {name.split("-", 1)[1] for name in figures if name.startswith(kind)} == groups
    # the fixture was written before these metrics existed: they are named, not silently lost
    missing = [m for m in METRICS if m not in present]
    assert "reliability" in missing and "challenges" in missing
    assert notes == [
        f"metrics not in these results (an older version), left out: {', '.join(missing)}"
    ]
    with pytest.raises(FigureError, match="did you mean 'mean_trust'"):
        standard_figures(rs, metrics=["mean_trus"])


def test_plot_command_writes_each_figure_in_each_format(tmp_path, capsys):
    out = tmp_path / "figs"
    code = main(["plot", str(FIXTURE), "--out", str(out), "--figures", "series,network",
                 "--metrics", "mean_trust"])  # fmt: skip
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "network.png", "network.svg", "series.png", "series.svg"
    ]  # fmt: skip
    assert (out / "series.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in (out / "series.svg").read_text(encoding="utf-8")[:500]
    code = main(["plot", str(FIXTURE), "--out", str(out / "svg"), "--figures", "members",
                 "--format", "svg"])  # fmt: skip
    assert code == 0
    assert sorted(p.name for p in (out / "svg").iterdir()) == [
        "members-burden.svg", "members-damage.svg", "members-help.svg"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--metrics", "damage"], "unknown metric 'damage'"),
        (["--figures", "sweeps"], "did you mean 'sweep'"),
        (["--format", "jpg"], "unknown format 'jpg'"),
        (["--series", "trust"], "unknown series column 'trust'"),
    ],
)
def test_plot_options_are_checked(tmp_path, capsys, args, message):
    assert main(["plot", str(FIXTURE), "--out", str(tmp_path), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_plot_refuses_what_is_not_a_results_folder(tmp_path, capsys):
    assert main(["plot", str(tmp_path / "missing")]) == 2
    assert "no such folder" in capsys.readouterr().err
    assert main(["plot", str(tmp_path)]) == 2
    assert "not a results folder" in capsys.readouterr().err
    newer = tmp_path / "newer"
    shutil.copytree(FIXTURE, newer)
    manifest = json.loads((newer / "manifest.json").read_text())
    (newer / "manifest.json").write_text(json.dumps({**manifest, "format": 99}))
    with pytest.raises(ResultsError, match="upgrade cdsim"):
        load(newer)


def test_a_folder_without_member_tables_still_plots(tmp_path, capsys):
    """Layout version 1 had no members/ or pairs/ and no format number."""
    old = tmp_path / "old"
    shutil.copytree(FIXTURE, old)
    shutil.rmtree(old / "members")
    shutil.rmtree(old / "pairs")
    manifest = json.loads((old / "manifest.json").read_text())
    del manifest["format"]
    (old / "manifest.json").write_text(json.dumps(manifest))
    rs = load(old)
    assert rs.members is None and rs.pairs is None
    figures, notes = standard_figures(rs, metrics=["mean_trust"])
    assert "series" in figures and "distributions-alliance" in figures
    assert not any(name.startswith(("members", "network")) for name in figures)
    assert any("no per-member tables" in note for note in notes)


def test_a_single_run_folder_plots(tmp_path):
    run_dir = tmp_path / "run"
    scenario = ROOT / "scenarios" / "teaching.yaml"
    assert main(["run", str(scenario), "--steps", "12", "--out", str(run_dir)]) == 0
    rs = load(run_dir)
    assert rs.kind == "run" and rs.settings == ["teaching"]
    pairs = rs.pairs
    assert len(pairs) == 10 and set(pairs["border"]) <= {"land", "sea", "none"}
    figures, _ = standard_figures(rs, metrics=["mean_trust"], kinds=["members", "network"])
    assert set(figures) == {"members-burden", "members-damage", "members-help", "network"}


def test_compare_labels_folders_and_pairs_them_by_seed(tmp_path):
    a = load(FIXTURE)
    both = combine([a, a], ["monday", "tuesday"])
    assert both.baseline == "monday: non_intervention"
    assert both.paired
    assert len(both.settings) == 8 and both.settings[4] == "tuesday: " + SETTINGS[0]
    diff = both.differences
    same = diff[diff["variant"] == "tuesday: non_intervention"]
    assert (same["mean_diff"].fillna(0) == 0).all()  # the same runs, paired: no difference
    assert (same["n_pairs"] == 4).all()
    with pytest.raises(ResultsError, match="labels must differ"):
        combine([a, a], ["x", "x"])


def test_compare_command_with_other_seeds_is_unpaired(tmp_path, capsys):
    other = tmp_path / "other"
    experiment = ROOT / "tests" / "data" / "small_sweep.yaml"
    assert main(["experiment", str(experiment), "-n", "3", "--out", str(other),
                 "--no-progress", "--workers", "1"]) == 0  # fmt: skip
    manifest = json.loads((other / "manifest.json").read_text())
    fixture = json.loads((FIXTURE / "manifest.json").read_text())
    assert manifest["format"] == FORMAT and fixture["format"] == 2  # an older folder reads
    # three of the fixture's four seeds: not the same set of runs, so compared unpaired
    assert combine([load(FIXTURE), load(other)], ["a", "b"]).paired is False
    capsys.readouterr()
    out = tmp_path / "cmp"
    code = main(["compare", str(FIXTURE), str(other), "--labels", "four,three", "--out",
                 str(out), "--figures", "differences", "--metrics", "mean_trust",
                 "--format", "png"])  # fmt: skip
    assert code == 0
    assert [p.name for p in out.iterdir()] == ["differences-alliance.png"]


def test_report_is_one_self_contained_page(rs, tmp_path):
    figures, notes = standard_figures(
        rs, metrics=["mean_trust", "damage_usd_bn"], kinds=["series", "differences", "network"]
    )
    page = render(rs, figures, notes)
    assert page.count('src="data:image/png;base64,') == len(figures) == 4
    assert not re.search(r'(src|href)="(https?:|//)', page)  # nothing fetched from elsewhere
    assert rs.question in page
    assert "exercises.interval_months" in page  # the settings
    summary = pd.read_csv(FIXTURE / "summary.csv")
    trust = summary[(summary["metric"] == "mean_trust")].iloc[0]
    assert f"{trust['mean']:.3g} [{trust['ci_low']:.3g}, {trust['ci_high']:.3g}]" in page
    out = tmp_path / "report.html"
    assert main(["report", str(FIXTURE), "--out", str(out), "--metrics", "mean_trust",
                 "--figures", "series"]) == 0  # fmt: skip
    assert out.read_text(encoding="utf-8").count("data:image/png;base64,") == 1


def test_the_command_line_lists_every_kind_and_loads_no_plotting_for_other_commands():
    import subprocess
    import sys

    from sim.cli import build_parser
    from sim.plots import KINDS

    help_text = build_parser()._subparsers._group_actions[0].choices["plot"].format_help()
    assert all(kind in " ".join(help_text.split()) for kind in KINDS)
    code = "import sys, sim.cli; sim.cli.build_parser(); print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"  # `cdsim run/batch` do not pay for matplotlib


def test_report_leads_with_findings_that_are_in_the_data(rs):
    from html.parser import HTMLParser

    figures, notes = standard_figures(rs, kinds=["differences", "sweep"])
    page = render(rs, figures, notes)
    order = [page.index(s) for s in ('id="findings"', "<figure", 'id="tables"')]
    assert order == sorted(order)  # findings, then figures, then the tables
    assert page.index("<details><summary>Outcomes per setting") > page.index('id="tables"')

    class Items(HTMLParser):
        found: list = []

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "li" and "data-metric" in attrs:
                self.found.append((attrs["data-variant"], attrs["data-metric"]))

    parser = Items()
    parser.feed(page)
    assert parser.found  # the fixture has clear differences: some are stated
    diff = rs.differences
    for variant, metric in parser.found:
        rows = diff[(diff["variant"] == variant) & (diff["metric"] == metric)]
        assert ((rows["ci_low"] > 0) | (rows["ci_high"] < 0)).any(), (variant, metric)
