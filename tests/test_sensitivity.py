"""Sensitivity analysis: the indices find the parameter that drives an outcome, are
reproducible, and bad set-ups are one clear error."""

from __future__ import annotations

import pandas as pd
import pytest
from helpers import SCENARIOS

from sim.cli import main

pytest.importorskip("SALib")

from sim.sensitivity import Parameter, parse_parameter, run_sensitivity  # noqa: E402

TEACHING = SCENARIOS / "teaching.yaml"
TWO = (
    Parameter("relations.initial_trust", 0.2, 0.8),  # drives trust directly
    Parameter("economy.gdp_growth_pct", 1.0, 5.0),  # barely touches trust
)


def test_morris_ranks_the_driving_parameter_first_and_is_reproducible(tmp_path):
    kwargs = dict(method="morris", size=4, parameters=TWO, metrics=["mean_trust", "damage_usd_bn"],
                  steps=24, seed=3, progress=False)  # fmt: skip
    one = run_sensitivity(TEACHING, tmp_path / "one", workers=1, **kwargs)
    two = run_sensitivity(TEACHING, tmp_path / "two", workers=2, **kwargs)
    pd.testing.assert_frame_equal(one.table, two.table)
    assert one.runs == 4 * (len(TWO) + 1)
    trust = one.table[one.table["metric"] == "mean_trust"].set_index("parameter")
    assert (
        trust.loc["relations.initial_trust", "mu_star"]
        > 5 * trust.loc["economy.gdp_growth_pct", "mu_star"]
    )
    assert trust.loc["relations.initial_trust", "mu"] > 0  # more initial trust, more trust
    written = pd.read_csv(tmp_path / "one" / "sensitivity.csv")
    assert list(written["method"].unique()) == ["morris"] and len(written) == 4


def test_sobol_gives_the_driving_parameter_most_of_the_variance(tmp_path):
    out = run_sensitivity(TEACHING, tmp_path, method="sobol", size=8, parameters=TWO,
                          metrics=["mean_trust"], steps=24, progress=False)  # fmt: skip
    table = out.table.set_index("parameter")
    assert out.runs == 8 * (len(TWO) + 2)
    assert table.loc["relations.initial_trust", "ST"] > 0.8
    assert table.loc["economy.gdp_growth_pct", "ST"] < 0.2


def test_second_order_sobol_indices_cover_every_pair(tmp_path):
    three = (*TWO, Parameter("exercises.trust_gain", 0.0, 0.1))
    out = run_sensitivity(TEACHING, tmp_path, method="sobol", size=4, parameters=three,
                          metrics=["mean_trust"], steps=12, progress=False,
                          second_order=True)  # fmt: skip
    assert out.runs == 4 * (2 * len(three) + 2)
    pairs = pd.read_csv(tmp_path / "sensitivity_pairs.csv")
    assert len(pairs) == 3 and set(pairs.columns) == {
        "metric",
        "parameter_a",
        "parameter_b",
        "S2",
        "S2_conf",
    }
    assert set(zip(pairs["parameter_a"], pairs["parameter_b"], strict=True)) == {
        (three[a].path, three[b].path) for a in range(3) for b in range(a + 1, 3)
    }


def test_sensitivity_command_writes_table_and_figure(tmp_path, capsys):
    out = tmp_path / "s"
    code = main(["sensitivity", str(TEACHING), "--samples", "2", "--steps", "12", "--param",
                 "relations.initial_trust=0.2:0.8", "--param", "exercises.interval_months=6:24",
                 "--metrics", "mean_trust,mean_interoperability", "--out", str(out),
                 "--no-progress", "--format", "png"])  # fmt: skip
    assert code == 0
    assert {"sensitivity.csv", "sensitivity.md", "sensitivity.png", "runs.parquet"} <= {
        p.name for p in out.iterdir()
    }
    assert "## mean_trust" in capsys.readouterr().out
    months = pd.read_parquet(out / "runs.parquet")["exercises.interval_months"]
    assert (months == months.round()).all()  # an integer parameter stays whole


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--param", "relations.initial_trust"], "expected PATH=LOW:HIGH"),
        (["--param", "relations.initial_trust=0.8:0.2"], "LOW must be below HIGH"),
        (["--param", "relations.intial_trust=0.1:0.2"], "--param relations.intial_trust"),
        (["--param", "relations.initial_trust=0.5:1.5"], "--param relations.initial_trust"),
        (["--method", "sobol", "--samples", "6"], "needs a power of 2"),
        (["--metrics", "damage"], "unknown metric 'damage'"),
        (["--second-order"], "only Sobol indices have a second order"),
    ],
)
def test_bad_set_ups_are_one_clear_error(tmp_path, capsys, args, message):
    assert main(["sensitivity", str(TEACHING), "--out", str(tmp_path / "x"), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_parse_parameter_detects_integers():
    assert parse_parameter("exercises.interval_months=6:24").integer
    assert not parse_parameter("relations.initial_trust=0.2:0.8").integer
