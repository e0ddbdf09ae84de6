"""Scenario discovery: outcome expressions, PRIM boxes, and ``cdsim discover``."""

from __future__ import annotations

import importlib.util

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
from helpers import ROOT

from sim import discovery
from sim.cli import main
from sim.discovery import DiscoveryError
from sim.errors import InputError
from sim.resultset import ResultSet

SMALL_SWEEP = ROOT / "tests" / "data" / "small_sweep"
RATE = "threats.aggression.rate"
COST = "total_cost_pct_gdp_per_year"


def result_set(runs: pd.DataFrame, grid_keys=(RATE,), sampled_keys=(), variants=("a", "b")):
    return ResultSet(
        name="hand-made", question="", kind="batch", variants=list(variants),
        baseline=variants[0], grid_keys=list(grid_keys), runs=runs, series=None, members=None,
        pairs=None, sampled_keys=list(sampled_keys),
    )  # fmt: skip


@pytest.fixture
def paired_runs() -> pd.DataFrame:
    """Two variants x two grid points x three replications; b is cheaper than a only at the
    higher rate, and in replication 2 at the lower rate too."""
    rows = []
    for rate in (0.01, 0.02):
        for rep in range(3):
            cheaper_b = rate == 0.02 or rep == 2
            rows.append({"variant": "a", RATE: rate, "replication": rep, COST: 1.0})
            rows.append({"variant": "b", RATE: rate, "replication": rep,
                         COST: 0.5 if cheaper_b else 1.5})  # fmt: skip
    runs = pd.DataFrame(rows)
    runs["seed"] = 100 + runs["replication"]
    runs["damage_pct_gdp_per_year"] = np.arange(len(runs), dtype=float)
    runs.insert(0, "run_id", range(len(runs)))
    return runs


# --- the outcome of interest -------------------------------------------------------------


def test_paired_expression_makes_one_case_per_point_and_replication(paired_runs):
    labelled = discovery.cases(result_set(paired_runs), f"{COST}[b] < {COST}[a]")
    assert len(labelled.y) == 6
    assert list(labelled.x.columns) == [RATE]
    table = labelled.x.assign(y=labelled.y)
    expected = (table[RATE] == 0.02) | (np.arange(6) % 3 == 2)
    assert (table["y"] == expected).all()
    assert "paired" in labelled.unit


def test_paired_expression_takes_quotes_dotted_inputs_and_backquotes(paired_runs):
    rs = result_set(paired_runs)
    plain = discovery.cases(rs, f"{COST}[b] < {COST}[a] and {RATE} < 0.015").y
    quoted = discovery.cases(rs, f"{COST}['b'] < {COST}[ \"a\" ] and `{RATE}` < 0.015").y
    assert plain.tolist() == quoted.tolist() == [False, False, True, False, False, False]


def test_paired_cases_pair_by_sample_in_a_sampled_design(paired_runs):
    runs = paired_runs.rename(columns={RATE: "x"}).assign(sample=lambda t: (t["x"] > 0.015) * 1)
    rs = result_set(runs, grid_keys=(), sampled_keys=("x",))
    labelled = discovery.cases(rs, f"{COST}[b] < {COST}[a]")
    assert len(labelled.y) == 6 and int(labelled.y.sum()) == 4


def test_unpaired_expression_labels_runs_and_may_use_variant_as_input(paired_runs):
    labelled = discovery.cases(
        result_set(paired_runs), f"{COST} < 1 or damage_pct_gdp_per_year > 10",
        inputs=["variant", RATE],
    )  # fmt: skip
    assert labelled.unit == "runs" and len(labelled.y) == 12
    assert list(labelled.x.columns) == ["variant", RATE]
    cheap = paired_runs[COST] < 1
    late = paired_runs["damage_pct_gdp_per_year"] > 10
    assert labelled.y.tolist() == (cheap | late).tolist()


@pytest.mark.parametrize(
    ("outcome", "inputs", "message"),
    [
        (f"{COST}[b] < {COST}[c]", None, "unknown variant 'c' (variants: a, b)"),
        (f"total_cost[b] < {COST}[a]", None, f"unknown metric 'total_cost'; did you mean {COST!r}"),
        ("total_cost < 1", None, f"unknown name 'total_cost'; did you mean {COST!r}"),
        (f"{COST}[b] < {COST}", None, f"{COST!r} is ambiguous"),
        (f"{COST} + 1", None, "must be a condition"),
        (f"{COST} <", None, "cannot evaluate it"),
        (f"{COST} < 100", None, "true in all of the 12 cases"),
        (f"{COST} < -1", None, "true in none of the 12 cases"),
        (f"{COST} < 1", ["threats.rate"], "--inputs: unknown input 'threats.rate'"),
        (f"{COST}[b] < {COST}[a]", ["variant"], "variant cannot be an input"),
        (f"{COST} < @x", None, "'@' names are not supported"),
    ],
)
def test_bad_outcomes_and_inputs_say_why_in_one_line(paired_runs, outcome, inputs, message):
    with pytest.raises(InputError, match=None) as caught:
        discovery.cases(result_set(paired_runs), outcome, inputs)
    text = str(caught.value)
    assert message in text and "\n" not in text
    assert isinstance(caught.value, DiscoveryError)


def test_without_varied_inputs_there_is_nothing_to_discover(paired_runs):
    rs = result_set(paired_runs.drop(columns=[RATE]), grid_keys=())
    with pytest.raises(DiscoveryError, match="discovery needs varied inputs: a grid or sampled"):
        discovery.cases(rs, f"{COST}[b] < {COST}[a]")


# --- PRIM -------------------------------------------------------------------------------


def known_box(seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """2,000 points in four uniform inputs; of interest inside x1 in [0.2, 0.5] and
    x2 > 0.7, with 5 % of the labels flipped."""
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(rng.uniform(size=(2000, 4)), columns=["x1", "x2", "x3", "x4"])
    inside = (x["x1"].between(0.2, 0.5) & (x["x2"] > 0.7)).to_numpy()
    return x, inside ^ (rng.uniform(size=len(x)) < 0.05)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_prim_recovers_a_known_box(seed):
    pytest.importorskip("ema_workbench")
    x, y = known_box(seed)
    boxes, trajectory, _ = discovery.prim(x, y, threshold=0.9)
    box = boxes[0]
    limits = box.limits.set_index("dimension")
    assert set(limits.index) == {"x1", "x2"}  # x3 and x4 stay unrestricted
    assert limits.loc["x1", "low"] == pytest.approx(0.2, abs=0.03)
    assert limits.loc["x1", "high"] == pytest.approx(0.5, abs=0.03)
    assert limits.loc["x2", "low"] == pytest.approx(0.7, abs=0.03)
    assert limits.loc["x2", "high"] == pytest.approx(x["x2"].max())  # up to the edge
    assert limits["qp"].max() < 1e-6
    assert box.density >= 0.9 and box.coverage > 0.5 and box.mass == pytest.approx(0.1, abs=0.03)
    chosen = trajectory[trajectory["chosen"]]
    assert len(chosen) == 1 and chosen["density"].item() == pytest.approx(box.density)
    assert trajectory["res_dim"].iloc[0] == 0 and trajectory["coverage"].iloc[0] == 1.0


def test_prim_chooses_the_widest_box_dense_enough():
    pytest.importorskip("ema_workbench")
    x, y = known_box(0)
    _, trajectory, _ = discovery.prim(x, y, threshold=0.5)
    dense = trajectory[trajectory["density"] >= 0.5]
    assert trajectory.loc[trajectory["chosen"], "coverage"].item() == dense["coverage"].max()


def test_prim_stops_when_no_further_box_is_dense_enough():
    pytest.importorskip("ema_workbench")
    x, y = known_box(1)
    boxes, trajectory, notes = discovery.prim(x, y, threshold=0.9, boxes=3)
    assert len(boxes) == 1 and set(trajectory["box"]) == {1}
    assert any("no further box reaches density 0.9" in note for note in notes)


def test_importing_the_workbench_leaves_matplotlib_settings_alone():
    pytest.importorskip("ema_workbench")
    before = dict(mpl.rcParams)
    discovery._prim_class()
    assert dict(mpl.rcParams) == before


@pytest.mark.parametrize(
    ("options", "message"),
    [({"threshold": 0}, "--threshold"), ({"peel_alpha": 0.6}, "--peel-alpha"),
     ({"mass_min": 1.0}, "--mass-min")],
)  # fmt: skip
def test_prim_options_out_of_range_are_refused(options, message):
    x, y = known_box(0)
    with pytest.raises(DiscoveryError, match=message):
        discovery.prim(x, y, **options)


# --- the command ------------------------------------------------------------------------


def test_discover_prints_boxes_and_writes_tables_and_figure(tmp_path, capsys):
    pytest.importorskip("ema_workbench")
    out = tmp_path / "disc"
    code = main([
        "discover", str(SMALL_SWEEP), "--outcome", "damage_pct_gdp_per_year", "--above", "0.6",
        "--inputs", "variant,exercises.interval_months", "--threshold", "0.7",
        "--out", str(out), "--format", "png",
    ])  # fmt: skip
    printed = capsys.readouterr().out
    assert code == 0
    assert "16 cases (runs); of interest: 9 (56.2 %)" in printed
    assert "## Box 1: coverage 0.78, density 0.88, mass 0.50" in printed
    assert "| variant" in printed and "{non_intervention}" in printed
    boxes = pd.read_csv(out / "boxes.csv")
    assert boxes[["box", "dimension"]].values.tolist() == [[1, "variant"]]
    trajectory = pd.read_csv(out / "trajectory.csv")
    assert trajectory["chosen"].sum() == 1
    assert (out / "tradeoff.png").stat().st_size > 0 and (out / "boxes.md").exists()


def test_discover_pairs_variants_in_a_results_folder(tmp_path, capsys):
    pytest.importorskip("ema_workbench")
    code = main([
        "discover", str(SMALL_SWEEP), "--out", str(tmp_path), "--format", "svg",
        "--outcome", "detected_early_share[collective_commitment] > "
        "detected_early_share[non_intervention]", "--threshold", "0.2",
    ])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "8 cases (runs of non_intervention and collective_commitment paired" in captured.out
    assert (tmp_path / "tradeoff.svg").exists()


def test_discover_unknown_variant_exits_2(capsys, tmp_path):
    pytest.importorskip("ema_workbench")
    code = main(["discover", str(SMALL_SWEEP), "--out", str(tmp_path),
                 "--outcome", "mean_trust[nato] > 0.5"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: --outcome") and "variants: non_intervention" in err


def test_discover_without_the_extra_names_it(monkeypatch, capsys, tmp_path):
    find_spec = importlib.util.find_spec

    def missing(name, *args, **kwargs):
        return None if name == "ema_workbench" else find_spec(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", missing)
    code = main(["discover", str(SMALL_SWEEP), "--out", str(tmp_path), "--outcome", "x > 1"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip() == (
        "error: scenario discovery needs the EMA Workbench: pip install 'cdsim[discovery]'"
    )
    assert not any(tmp_path.iterdir())


def test_tradeoff_figure_has_a_panel_per_box_with_the_chosen_step_ringed():
    from sim.plots.discovery import tradeoff

    trajectory = pd.DataFrame({
        "box": [1, 1, 1, 2, 2], "step": [0, 1, 2, 0, 1],
        "coverage": [1.0, 0.8, 0.5, 0.3, 0.2], "density": [0.2, 0.7, 0.9, 0.1, 0.85],
        "res_dim": [0, 1, 2, 0, 1], "chosen": [False, False, True, False, True],
    })  # fmt: skip
    fig = tradeoff(trajectory, threshold=0.8)
    panels = [ax for ax in fig.axes if ax.get_title().startswith("Box")]
    assert [ax.get_title() for ax in panels] == ["Box 1", "Box 2"]
    ringed = panels[0].collections[1].get_offsets()
    assert ringed.tolist() == [[0.5, 0.9]]
    assert any("0.8" in text.get_text() for text in fig.legends[0].get_texts())


def test_integer_inputs_are_boxed_without_failing():
    pytest.importorskip("ema_workbench")
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"months": rng.integers(3, 25, 600), "rate": rng.uniform(size=600)})
    x, keep = discovery._input_frame(frame, ["months", "rate"], [])
    assert keep.all() and (x.dtypes == "float64").all()
    y = frame["months"].between(6, 12).to_numpy()
    boxes, _, _ = discovery.prim(x, y, threshold=0.9)
    limits = boxes[0].limits.set_index("dimension")
    assert list(limits.index) == ["months"]
    assert 5 <= limits.loc["months", "low"] <= 6 and 12 <= limits.loc["months", "high"] <= 13
