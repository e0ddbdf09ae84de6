"""Users' own outcomes and stop conditions: they flow into every table, end runs where they
say, and their failures are failed runs that name them, while the other runs go on."""

from __future__ import annotations

import json
import uuid

import numpy as np
import pandas as pd
import pytest
from helpers import MINIMAL, SCENARIOS

from sim.batch import run_batch
from sim.cli import main
from sim.config import ConfigError, load_scenario
from sim.errors import InputError
from sim.experiment import ExperimentConfig, plan
from sim.plots import standard_figures
from sim.report import render
from sim.results import run
from sim.resultset import load

FUNCTIONS = """
import sys

def worst_month(result):
    return float(result.steps["damage_usd_bn"].max())

def two(result):
    return {"peak": float(result.steps["threats_active"].max()), "members": len(result.members)}

def odd_fails(result):
    if result.config.seed % 2:
        raise RuntimeError("odd seed")
    return 1.0

def exits(result):
    sys.exit(3)

def words(result):
    return "many"

def infinite(result):
    return float("inf")

def shadow(result):
    return {"usd_bn": -1.0}

def after_a_year(model):
    return model.month >= 12
"""


@pytest.fixture
def module(tmp_path, monkeypatch):
    """A user's module of outcome functions in tmp_path, under a fresh name."""
    name = f"own_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text(FUNCTIONS, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    return name


def experiment(module, **changes):
    fields = {
        "name": "own",
        "scenario": str(SCENARIOS / "teaching.yaml"),
        "replications": 4,
        "seed": 2,
        "steps": 24,
        "variants": {"a": {}, "b": {"rules.preset": "collective_commitment"}},
        "outcomes": {
            "worst_month": {
                "function": f"{module}:worst_month",
                "description": "worst month's damage",
                "unit": "US$ bn",
            },  # fmt: skip
            "two": f"{module}:two",
        },
        "key_metrics": ["worst_month"],
    }
    return ExperimentConfig(**{**fields, **changes})


def test_own_outcomes_flow_into_runs_statistics_figures_and_report(tmp_path, module):
    outcome = run_batch(plan(experiment(module)), tmp_path / "b", workers=1, progress=False)
    runs = outcome.runs
    assert outcome.failed == 0
    series = pd.read_parquet(tmp_path / "b" / "series")
    worst = series.groupby("run_id")["damage_usd_bn"].max()
    assert np.allclose(runs.set_index("run_id")["worst_month"], worst)
    assert (runs["two_members"] == 5).all() and (runs["two_peak"] >= 0).all()
    assert {"worst_month", "two_peak", "two_members"} <= set(outcome.summary["metric"])
    assert "worst_month" in set(outcome.differences["metric"])
    rs = load(tmp_path / "b")
    assert rs.metrics[-3:] == ["worst_month", "two_peak", "two_members"]
    assert rs.own_metrics["worst_month"] == ("worst month's damage", "US$ bn")
    assert "worst_month" in set(rs.summary["metric"])
    figures, _ = standard_figures(rs, kinds=["distributions", "differences"])
    assert "distributions-own" in figures and "differences-own" in figures
    titles = [ax.get_title() for ax in figures["distributions-own"].axes]
    assert "Worst month's damage" in titles
    page = render(rs, figures)
    assert "worst month&#x27;s damage" in page and "US$ bn" in page


def test_a_stop_condition_ends_runs_early_and_says_when(module):
    config = load_scenario(SCENARIOS / "teaching.yaml", ["stop_when=month >= 10", "steps=60"])
    result = run(config, seed=1)
    assert result.steps["month"].iloc[-1] == 10
    assert result.summary["stopped_month"] == 10
    free = run(load_scenario(SCENARIOS / "teaching.yaml", ["steps=24"]), seed=1)
    assert len(free.steps) == 25 and np.isnan(free.summary["stopped_month"])
    # a user's function, and a condition on the state of the group
    by_function = run(config.model_copy(update={"stop_when": f"{module}:after_a_year"}), seed=1)
    assert by_function.steps["month"].iloc[-1] == 12
    crowded = load_scenario(SCENARIOS / "teaching.yaml", ["stop_when=threats_active >= 2"])
    ended = run(crowded, seed=1)
    assert ended.steps["threats_active"].iloc[-1] >= 2
    assert (ended.steps["threats_active"].iloc[:-1] < 2).all()


def test_failing_user_code_fails_its_runs_only_and_names_function_and_seed(tmp_path, module):
    exp = experiment(
        module, outcomes={"shaky": f"{module}:odd_fails"}, key_metrics=[], seed=5, replications=6
    )  # seeds odd, even, odd, odd, odd, even
    outcome = run_batch(plan(exp), tmp_path / "b", workers=1, progress=False)
    runs = outcome.runs
    failed = runs[runs["status"] == "failed"]
    assert 0 < len(failed) < len(runs)
    assert (failed["seed"] % 2 == 1).all()
    assert (runs.loc[runs["status"] == "ok", "seed"] % 2 == 0).all()
    for row in failed.itertuples():
        assert f"'shaky' ({module}:odd_fails)" in row.error and str(row.seed) in row.error
        assert "odd seed" in row.traceback and "def odd_fails" not in row.error
    exits = experiment(module, outcomes={"gone": f"{module}:exits"}, replications=2, key_metrics=[])
    outcome = run_batch(plan(exits), tmp_path / "x", workers=1, progress=False)
    assert outcome.failed == 4 and outcome.runs["error"].str.contains("SystemExit").all()
    manifest = json.loads((tmp_path / "x" / "manifest.json").read_text())
    assert manifest["status"] == "complete"


def test_a_single_run_with_a_failing_outcome_is_one_error_line(tmp_path, module, capsys):
    path = tmp_path / "s.yaml"
    path.write_text(MINIMAL + f"outcomes: {{w: {module}:words}}\n", encoding="utf-8")
    assert main(["run", str(path), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1].startswith(f"error: {path}: outcome 'w'")
    assert "expected a number" in err and "seed 3" in err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("outcomes: {w: nowhere_xyz:f}", "cannot import module 'nowhere_xyz'"),
        ("outcomes: {w: MODULE:missing}", "has no function 'missing'"),
        ("outcomes: {'bad name': MODULE:worst_month}", "letters, digits and _"),
        ("stop_when: threats > 3", "unknown column 'threats'"),
        ("stop_when: 'month >= 12 and open(\"x\")'", "Call is not allowed"),
        ("stop_when: 'month >='", "not an expression"),
        ("stop_when: month == 'x'", "only numbers"),
        ("seed: true", "seed"),
        ("steps: '12'", "steps"),
    ],
)
def test_bad_outcomes_and_stop_conditions_are_refused_before_running(write, module, extra,
                                                                     message):  # fmt: skip
    path = write(MINIMAL + extra.replace("MODULE", module) + "\n")
    with pytest.raises(ConfigError, match=message) as info:
        load_scenario(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("outcomes", "message"),
    [
        ({"damage": "MODULE:shadow"}, "a column a built-in metric already has"),
        ({"w": "MODULE:infinite"}, "expected a finite number"),
        ({"t": "MODULE:two", "t_peak": "MODULE:worst_month"}, "another outcome already has"),
    ],
)
def test_own_outcomes_never_overwrite_a_column_nor_return_infinity(module, outcomes, message):
    specs = {k: v.replace("MODULE", module) for k, v in outcomes.items()}
    config = load_scenario(SCENARIOS / "teaching.yaml", ["steps=6"])
    config = config.model_copy(update={"outcomes": {}})
    result = run(config, seed=1)
    from sim.outcomes import UserCodeError, compute

    with pytest.raises(UserCodeError, match=message):
        compute(specs, result, 1, reserved=result.summary)


def test_an_experiments_outcomes_join_the_scenarios_own(tmp_path, module):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(MINIMAL + f"outcomes: {{mine: {module}:worst_month}}\n", encoding="utf-8")
    exp = ExperimentConfig(name="both", scenario=str(scenario), replications=1,
                           outcomes={"theirs": f"{module}:two"})  # fmt: skip
    p = plan(exp)
    assert set(p.scenario_for(p.runs[0]).outcomes) == {"mine", "theirs"}


def test_an_outcome_may_not_take_a_built_in_metrics_name(write, module, capsys):
    path = write(MINIMAL + f"outcomes: {{damage_usd_bn: {module}:worst_month}}\n")
    for command in (["validate", str(path)], ["run", str(path)]):
        assert main(command) == 2
        assert "outcomes.damage_usd_bn: a built-in metric has this name" in capsys.readouterr().err
    with pytest.raises(InputError, match="a built-in metric has this name"):
        plan(ExperimentConfig(name="x", scenario=str(path), replications=1))


def test_a_single_runs_folder_keeps_its_name_beside_own_outcomes(write, module, tmp_path):
    path = write(MINIMAL + f"outcomes: {{worst: {module}:worst_month}}\n")
    assert main(["run", str(path), "--out", str(tmp_path / "r")]) == 0
    rs = load(tmp_path / "r")
    assert rs.name == "tiny" and "worst" in rs.own_metrics
