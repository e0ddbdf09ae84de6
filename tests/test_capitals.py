"""Members at their capitals: the shipped coordinates, how they flow from the data files
through the config and the members table to the network figure (and the browser view), and
that they change no outcome of the model."""

from __future__ import annotations

import csv
import itertools
import math

import numpy as np
import pandas as pd
import pytest
from helpers import MINIMAL, SCENARIOS, scenario

from sim.config import ConfigError, from_mapping, parse_yaml
from sim.plots import network as network_plots
from sim.results import run
from sim.synthetic import synthetic_group

DATA = SCENARIOS / "data"
#: The columns the members files had before the capitals: kept, in this order.
COLUMNS = ["name", "gdp_usd_bn", "gdp_year", "gdp_source", "defence_pct_gdp", "defence_year",
           "defence_source", "estimate", "notes"]  # fmt: skip
CAPITAL_COLUMNS = ["capital", "capital_lat", "capital_lon", "capital_source"]
#: Boxes (lat from, lat to, lon from, lon to) a capital of each group must lie in.
ASEAN_BOX = (-10.0, 30.0, 90.0, 130.0)
EUROPE = (34.0, 72.0, -25.0, 45.0)  # Lisbon to Ankara, Athens to Reykjavik
NORTH_AMERICA = (24.0, 72.0, -170.0, -50.0)


def rows(group: str) -> list[dict[str, str]]:
    with (DATA / f"{group}_members.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def inside(box: tuple[float, float, float, float], lat: float, lon: float) -> bool:
    return box[0] <= lat <= box[1] and box[2] <= lon <= box[3]


@pytest.mark.parametrize(("group", "count"), [("asean", 11), ("nato", 32)])
def test_every_member_row_has_its_capital_with_a_source(group, count):
    table = rows(group)
    assert len(table) == count
    assert list(table[0]) == COLUMNS + CAPITAL_COLUMNS
    for row in table:
        lat, lon = float(row["capital_lat"]), float(row["capital_lon"])
        assert -90 <= lat <= 90 and -180 <= lon <= 180, row["name"]
        for key in ("capital_lat", "capital_lon"):  # two decimals: about 1 km
            assert len(row[key].split(".")[1]) == 2, (row["name"], key)
        assert row["capital"].strip(), row["name"]
        assert "GeoNames" in row["capital_source"] and "20" in row["capital_source"]


def test_capitals_lie_in_their_region():
    for row in rows("asean"):
        assert inside(ASEAN_BOX, float(row["capital_lat"]), float(row["capital_lon"])), row
    for row in rows("nato"):
        lat, lon = float(row["capital_lat"]), float(row["capital_lon"])
        assert inside(EUROPE, lat, lon) or inside(NORTH_AMERICA, lat, lon), row
    american = {r["name"] for r in rows("nato") if float(r["capital_lon"]) < -50}
    assert american == {"United States", "Canada"}


def test_the_config_reads_capitals_from_the_data_file_and_keeps_the_rest_as_sources():
    config = scenario("asean_way")
    manila = next(m for m in config.members if m.name == "Philippines")
    assert (manila.capital_lat, manila.capital_lon) == (14.60, 120.98)
    assert manila.sources["capital"] == "Manila"
    assert "GeoNames" in manila.sources["capital_source"]
    assert all(m.capital_lat is not None and m.capital_lon is not None for m in config.members)


def test_a_scenario_can_give_capitals_inline():
    raw = parse_yaml(MINIMAL, "tiny")
    raw["members"][0].update(capital_lat=-41.29, capital_lon=174.78)
    alpha = from_mapping(raw).members[0]
    assert (alpha.capital_lat, alpha.capital_lon) == (-41.29, 174.78)
    assert from_mapping(raw).members[1].capital_lat is None


@pytest.mark.parametrize(
    ("given", "named"),
    [({"capital_lat": 10.0}, "capital_lon"), ({"capital_lon": 10.0}, "capital_lat")],
)
def test_a_capital_needs_both_coordinates(given, named):
    raw = parse_yaml(MINIMAL, "tiny")
    raw["members"][1].update(given)
    with pytest.raises(ConfigError, match=rf"members\[1\] \(Beta\): {named} is missing"):
        from_mapping(raw)


@pytest.mark.parametrize(("field", "value"), [("capital_lat", 91.0), ("capital_lon", -180.5)])
def test_coordinates_out_of_range_are_refused(field, value):
    raw = parse_yaml(MINIMAL, "tiny")
    raw["members"][0].update(capital_lat=0.0, capital_lon=0.0)
    raw["members"][0][field] = value
    with pytest.raises(ConfigError, match=rf"members\[0\] \(Alpha\)\.{field}"):
        from_mapping(raw)


def test_a_run_members_table_carries_the_capitals():
    members = run(scenario("asean_way"), steps=3).members.set_index("member")
    expected = {
        r["name"]: (float(r["capital_lat"]), float(r["capital_lon"])) for r in rows("asean")
    }
    assert list(members.index) == list(expected)
    for name, (lat, lon) in expected.items():
        assert members.loc[name, ["capital_lat", "capital_lon"]].tolist() == [lat, lon]
    plain = run(from_mapping(parse_yaml(MINIMAL, "tiny")), steps=3).members
    assert plain["capital_lat"].isna().all() and plain["capital_lon"].isna().all()


def test_capitals_change_no_outcome():
    config = scenario("asean_way")
    without = config.model_copy(
        update={
            "members": [
                m.model_copy(update={"capital_lat": None, "capital_lon": None})
                for m in config.members
            ]
        }
    )
    a = run(config, steps=36, detail=False).summary
    b = run(without, steps=36, detail=False).summary
    assert a.keys() == b.keys()
    for key in a:
        assert (math.isnan(a[key]) and math.isnan(b[key])) or a[key] == b[key], key


def tables(name: str, steps: int = 2) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A run's members and pairs tables as a results set holds them (with ``setting``)."""
    result = run(scenario(name), steps=steps)
    return result.members.assign(setting=name), result.pairs.assign(setting=name)


def test_the_asean_layout_is_a_map_of_southeast_asia():
    members, pairs = tables("asean_way")
    pos = network_plots.layout(pairs, members)
    x = {n: p[0] for n, p in pos.items()}
    y = {n: p[1] for n, p in pos.items()}
    assert x["Philippines"] > x["Thailand"]  # Manila east of Bangkok
    assert y["Indonesia"] < y["Viet Nam"]  # Jakarta south of Hanoi
    assert x["Timor-Leste"] > x["Indonesia"] and y["Timor-Leste"] < y["Malaysia"]
    assert x["Myanmar"] == min(x.values()) and y["Timor-Leste"] == min(y.values())
    assert y["Singapore"] < y["Malaysia"]  # close, nudged apart, kept in order
    by_borders = network_plots.layout(pairs)  # without the members table: by borders
    assert not np.allclose(np.array(list(pos.values())), np.array(list(by_borders.values())))


def test_the_nato_layout_is_a_map_of_the_north_atlantic():
    members, pairs = tables("nato", steps=1)
    pos = network_plots.layout(pairs, members)
    x = {n: p[0] for n, p in pos.items()}
    y = {n: p[1] for n, p in pos.items()}
    assert y["Norway"] > y["Italy"]  # Oslo north of Rome
    assert x["United States"] < x["Iceland"] < x["Portugal"] < x["Türkiye"]
    assert y["Finland"] > y["Estonia"] > y["Latvia"] > y["Lithuania"]
    assert y["Greece"] < y["North Macedonia"] and x["Spain"] < x["France"] < x["Germany"]
    # the Atlantic is shortened: Europe spans more of the map than the ocean
    europe = [x[n] for n in x if n not in ("United States", "Canada", "Iceland")]
    assert max(europe) - min(europe) > min(europe) - x["Canada"]


@pytest.mark.parametrize("name", ["asean_way", "nato"])
def test_close_capitals_are_kept_apart(name):
    members, pairs = tables(name, steps=1)
    xy = np.array(list(network_plots.layout(pairs, members).values()))
    assert np.abs(xy).max() == pytest.approx(1.0)  # scaled like the border layout
    closest = min(np.hypot(*(a - b)) for a, b in itertools.combinations(xy, 2))
    # MIN_SEPARATION of the map's longer extent, which spans 2 after scaling
    assert closest >= 2 * network_plots.MIN_SEPARATION * 0.99


@pytest.mark.parametrize("name", ["asean_way", "nato"])
def test_network_labels_do_not_overlap(name):
    members, pairs = tables(name, steps=1)
    fig = network_plots.network(members, pairs, [name])
    fig.draw_without_rendering()
    renderer = fig._get_renderer()
    ax = next(ax for ax in fig.axes if ax.get_title() == name)
    assert {t.get_text() for t in ax.texts} == set(members["member"])
    boxes = {t.get_text(): t.get_window_extent(renderer) for t in ax.texts}
    clashes = [
        (a, b) for (a, box), (b, other) in itertools.combinations(boxes.items(), 2)
        if box.overlaps(other)
    ]  # fmt: skip
    assert clashes == []
    nodes = ax.collections[1]  # the members, drawn after the pairs' lines
    pos = network_plots.layout(pairs, members)
    names = sorted(members["member"])
    np.testing.assert_allclose(nodes.get_offsets(), [pos[n] for n in names])


def test_without_coordinates_members_are_placed_by_borders():
    config = from_mapping(synthetic_group(8, seed=3, steps=2))
    assert all(m.capital_lat is None for m in config.members)
    result = run(config)
    pos = network_plots.layout(result.pairs, result.members)
    names = config.member_names
    expected = network_plots.border_layout(names, [tuple(b.between) for b in config.borders])
    assert pos.keys() == expected.keys()
    for name in names:
        np.testing.assert_allclose(pos[name], expected[name])


def test_one_member_without_coordinates_means_the_border_layout():
    members, pairs = tables("asean_way", steps=1)
    members.loc[members["member"] == "Laos", "capital_lon"] = np.nan
    by_borders = network_plots.layout(pairs)
    pos = network_plots.layout(pairs, members)
    for name, xy in by_borders.items():
        np.testing.assert_allclose(pos[name], xy)
    # older results folders have no capital columns at all
    old = members.drop(columns=["capital_lat", "capital_lon"])
    assert network_plots.layout(pairs, old).keys() == by_borders.keys()


def test_projection_keeps_a_group_across_the_date_line_together():
    xy = network_plots.project([-18.1, -13.8, -21.1], [178.4, -171.8, -175.2])  # Suva, Apia...
    assert np.ptp(xy[:, 0]) < 15  # not spread over the whole globe
    assert xy[0, 0] < xy[2, 0] < xy[1, 0]  # west to east: Fiji, Tonga, Samoa
    lat, lon = [0.0, 60.0], [10.0, 20.0]
    np.testing.assert_allclose(network_plots.project(lat, lon)[:, 1], lat)
    np.testing.assert_allclose(
        network_plots.project(lat, lon)[:, 0], np.array(lon) * math.cos(math.radians(30.0))
    )


def test_the_browser_view_uses_capitals_when_the_scenario_has_them():
    pytest.importorskip("solara", reason="the viz extra is not installed: pip install '.[viz]'")
    from sim.viz import member_positions

    asean = scenario("asean_way")
    pos = member_positions(asean)
    assert pos["Philippines"][0] > pos["Thailand"][0]
    assert pos["Indonesia"][1] < pos["Viet Nam"][1]
    teaching = scenario("teaching")
    expected = network_plots.border_layout(
        teaching.member_names, [tuple(b.between) for b in teaching.borders]
    )
    for name, xy in member_positions(teaching).items():
        np.testing.assert_allclose(xy, expected[name])


def test_each_panel_of_a_comparison_labels_only_its_own_members(tmp_path):
    """Folders of different groups compared: no panel names a member it does not hold."""
    from sim.config import load_scenario
    from sim.plots.network import network
    from sim.results import run
    from sim.resultset import combine, load

    for name in ("asean_way", "teaching"):
        run(load_scenario(f"scenarios/{name}.yaml"), steps=6).write(tmp_path / name)
    rs = combine([load(tmp_path / "asean_way"), load(tmp_path / "teaching")], ["a", "t"])
    fig = network(rs.members, rs.pairs, rs.settings)
    for ax, setting in zip(fig.axes, rs.settings, strict=False):
        own = set(rs.members.loc[rs.members["setting"] == setting, "member"])
        assert {t.get_text() for t in ax.texts} == own
