"""Sampled designs: samplers cover their ranges, points reuse the replication seeds, and a
sampled experiment's statistics pool the points and pair runs by point and seed."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from helpers import SCENARIOS
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from sim.batch import run_batch
from sim.config import ConfigError
from sim.designs import Design, Distribution, sample, unit_sample
from sim.experiment import ExperimentConfig, load_experiment, plan, replication_seeds
from sim.resultset import load


def design(method="latin_hypercube", samples=64, **parameters):
    parameters = parameters or {
        "a": {"uniform": [0.1, 0.4]},
        "b": {"log_uniform": [0.01, 10.0]},
        "c": {"integer": [3, 7]},
        "d": {"categorical": ["x", "y", "z"]},
    }
    return Design(method=method, samples=samples, parameters=parameters)


@pytest.mark.parametrize("method", ["random", "latin_hypercube", "sobol"])
def test_every_sampler_stays_within_and_covers_its_ranges(method):
    points = [dict(p) for p in sample(design(method, samples=64), seed=3)]
    a = np.array([p["a"] for p in points])
    b = np.array([p["b"] for p in points])
    c = [p["c"] for p in points]
    assert a.min() >= 0.1 and a.max() <= 0.4
    assert a.max() - a.min() > 0.25  # spread over the range, not bunched
    assert b.min() >= 0.01 and b.max() <= 10.0
    # log-uniform: as many points below the geometric mean (0.316) as above, roughly
    assert 0.3 < np.mean(b < math.sqrt(0.01 * 10.0)) < 0.7
    assert set(c) == {3, 4, 5, 6, 7} and all(isinstance(v, int) for v in c)
    assert {p["d"] for p in points} == {"x", "y", "z"}


def test_latin_hypercube_puts_one_point_in_every_stratum_of_every_parameter():
    n = 50
    unit = unit_sample(design(samples=n), seed=11)
    assert unit.shape == (n, 4)
    for column in unit.T:
        assert sorted(np.floor(column * n).astype(int)) == list(range(n))


def test_sobol_design_has_saltelli_size_and_needs_a_power_of_two():
    assert len(sample(design("sobol", samples=16), seed=0)) == 16 * (4 + 2)
    with pytest.raises(ValidationError, match="power of 2"):
        design("sobol", samples=12)


def test_same_seed_same_points_other_seed_other_points():
    assert sample(design(), 5) == sample(design(), 5)
    assert sample(design(), 5) != sample(design(), 6)


@settings(max_examples=60, deadline=None)
@given(
    low=st.floats(-1e6, 1e6),
    width=st.floats(1e-6, 1e6),
    u=st.lists(st.floats(0.0, 1.0, exclude_max=True), min_size=1, max_size=20),
)
def test_uniform_and_integer_values_never_leave_their_bounds(low, width, u):
    high = low + width
    if not low < high:
        return
    values = Distribution(uniform=(low, high)).values(np.array(u))
    assert all(low <= v <= high for v in values)
    lo, hi = math.floor(low), math.floor(low) + max(1, int(width))
    ints = Distribution(integer=(lo, hi)).values(np.array(u))
    assert all(lo <= v <= hi for v in ints)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({}, "exactly one of"),
        ({"uniform": [1, 2], "integer": [1, 2]}, "exactly one of"),
        ({"uniform": [2, 1]}, "low must be below high"),
        ({"log_uniform": [0, 1]}, "above 0"),
        ({"categorical": []}, "at least one value"),
    ],
)
def test_bad_distributions_are_refused_with_a_reason(spec, message):
    with pytest.raises(ValidationError, match=message):
        Distribution(**spec)


def tiny(**changes):
    fields = {
        "name": "tiny",
        "scenario": str(SCENARIOS / "teaching.yaml"),
        "replications": 3,
        "seed": 8,
        "steps": 12,
        "variants": {"flexible": {}, "commitment": {"rules.preset": "collective_commitment"}},
        "design": {
            "method": "latin_hypercube",
            "samples": 4,
            "parameters": {
                "threats.aggression.rate": {"uniform": [0.05, 0.4]},
                "exercises.interval_months": {"integer": [3, 24]},
            },
        },
    }
    return ExperimentConfig(**{**fields, **changes})


def test_every_design_point_reuses_the_replication_seeds_in_every_variant():
    p = plan(tiny())
    assert p.sampled and len(p.runs) == 2 * 4 * 3
    seeds = replication_seeds(8, 3)
    for r in p.runs:
        assert r.seed == seeds[r.replication]
    points = {v: [r.point for r in p.runs if r.variant == v] for v in ("flexible", "commitment")}
    assert points["flexible"] == points["commitment"]
    assert len({r.sample for r in p.runs}) == 4


def test_a_design_with_a_bad_path_fails_before_running(tmp_path):
    bad = tiny(design={"method": "random", "samples": 2,
                       "parameters": {"threats.aggression.rat": {"uniform": [0, 1]}}})  # fmt: skip
    with pytest.raises(ConfigError, match="aggression.rat"):
        plan(bad)
    trust = {"relations.initial_trust": {"uniform": [0.5, 3]}}
    out_of_range = tiny(design={"method": "random", "samples": 2, "parameters": trust})
    with pytest.raises(ConfigError, match="initial_trust"):
        plan(out_of_range)


def test_grid_and_design_together_are_refused(write):
    path = write(
        f"""
name: both
scenario: {SCENARIOS / "teaching.yaml"}
grid: {{threats.aggression.rate: [0.1, 0.2]}}
design:
  method: random
  samples: 4
  parameters: {{exercises.interval_months: {{integer: [3, 24]}}}}
""",
        "both.yaml",
    )
    with pytest.raises(ConfigError, match="either a grid or a sampled design"):
        load_experiment(path)


def test_a_sampled_experiment_pools_points_and_pairs_by_point_and_seed(tmp_path):
    outcome = run_batch(plan(tiny()), tmp_path / "lhs", workers=1, progress=False)
    runs = outcome.runs
    assert outcome.failed == 0
    assert {"sample", "threats.aggression.rate", "exercises.interval_months"} <= set(runs)
    assert set(outcome.summary["variant"]) == {"flexible", "commitment"}
    assert (outcome.summary["n"].max()) == 4 * 3  # pooled over the points
    diff = outcome.differences.set_index("metric")
    assert diff.loc["damage_usd_bn", "n_pairs"] == 4 * 3
    # the mean paired difference is the mean of each point-and-seed pair's difference
    key = ["sample", "replication"]
    a = runs[runs["variant"] == "commitment"].set_index(key)["damage_usd_bn"]
    b = runs[runs["variant"] == "flexible"].set_index(key)["damage_usd_bn"]
    assert diff.loc["damage_usd_bn", "mean_diff"] == pytest.approx((a - b).mean())
    rs = load(tmp_path / "lhs")
    assert rs.sampled_keys == ["threats.aggression.rate", "exercises.interval_months"]
    assert rs.settings == ["flexible", "commitment"]
    assert rs.differences.set_index("metric").loc["damage_usd_bn", "mean_diff"] == pytest.approx(
        (a - b).mean()
    )
    assert isinstance(rs.runs["exercises.interval_months"].iloc[0], int | np.integer)
    assert pd.api.types.is_float_dtype(rs.runs["threats.aggression.rate"])


def test_varied_keys_must_not_shadow_variants_nor_the_plans_own_fields():
    with pytest.raises(ValidationError, match="set by variant 'commitment'"):
        tiny(design={"method": "random", "samples": 2,
                     "parameters": {"rules.preset": {"categorical": ["a", "b"]}}})  # fmt: skip
    with pytest.raises(ValidationError, match="set by the plan for every run"):
        tiny(design={"method": "random", "samples": 2,
                     "parameters": {"seed": {"integer": [0, 9]}}})  # fmt: skip


def test_folders_of_different_designs_are_not_paired(tmp_path):
    from sim.resultset import combine

    run_batch(plan(tiny(replications=2)), tmp_path / "a", workers=1, progress=False)
    other = tiny(replications=2)
    other = other.model_copy(update={"design": other.design.model_copy(update={"seed": 99})})
    run_batch(plan(other), tmp_path / "b", workers=1, progress=False)
    run_batch(plan(tiny(replications=2)), tmp_path / "c", workers=1, progress=False)
    assert not combine([load(tmp_path / "a"), load(tmp_path / "b")], ["a", "b"]).paired
    assert combine([load(tmp_path / "a"), load(tmp_path / "c")], ["a", "c"]).paired
