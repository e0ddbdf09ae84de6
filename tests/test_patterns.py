"""Validation against real-world patterns: the verdicts are reproducible, and the
burden-sharing pattern appears under a common defence and disappears without one."""

from __future__ import annotations

import pandas as pd
import pytest

from sim import patterns
from sim.cli import main


def _pattern(key):
    return patterns.find([key])[0]


@pytest.mark.slow
def test_burden_sharing_is_present_under_common_defence_and_absent_without(tmp_path):
    table = patterns.check(
        patterns.find(["burden_public_good", "burden_local"]), tmp_path, replications=10,
        progress=False,
    ).set_index("pattern")  # fmt: skip
    public, local = table.loc["burden_public_good"], table.loc["burden_local"]
    assert public["ci_low"] > 0.1  # larger economies carry more, over ten seeds
    assert local["ci_high"] < 0.0  # ... and not when each member faces its threats alone
    assert public["model"] - local["model"] > 0.5


def test_verdicts_are_reproducible_whatever_the_number_of_workers(tmp_path):
    chosen = [_pattern("reliability")]
    one = patterns.check(chosen, tmp_path / "one", replications=4, workers=1, progress=False)
    two = patterns.check(chosen, tmp_path / "two", replications=4, workers=2, progress=False)
    pd.testing.assert_frame_equal(one, two)
    assert one.loc[0, "n"] == 4 and 0.0 <= one.loc[0, "model"] <= 1.0


def test_reliability_follows_the_members_policies():
    """Committed allies honour every call, free riders none: the measure is the mix."""
    from helpers import scenario

    from sim.results import run

    def reliability(mix: str) -> float:
        config = scenario("asean_collective", f"policy_mix={mix}", "steps=60")
        return sum(run(config, seed=s, detail=False).summary["reliability"] for s in range(3)) / 3

    assert reliability("{committed_ally: 1.0}") == 1.0
    assert reliability("{committed_ally: 0.5, free_rider: 0.5}") < 0.7
    judged = patterns.judge(_pattern("reliability"), pd.DataFrame({"reliability": [1.0, 1.0]}))
    assert judged["within"] is False and judged["model"] == 1.0  # outside the band: judged so


def test_check_patterns_command(tmp_path, capsys):
    out = tmp_path / "check"
    assert main(["check-patterns", "--only", "crime_base_rate", "-n", "3", "--out", str(out),
                 "--no-progress"]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    assert "crime_base_rate" in printed and "ReCAAP" in printed
    table = pd.read_csv(out / "patterns.csv")
    assert list(table["pattern"]) == ["crime_base_rate"] and table.loc[0, "n"] == 3
    assert (out / "patterns.md").read_text().startswith("| pattern | reference |")
    assert main(["check-patterns", "--only", "burden"]) == 2
    assert "unknown pattern 'burden'" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("start", [0.8, 2.0])
def test_burden_sharing_comes_from_behaviour_not_from_the_starting_data(tmp_path, start):
    """Every member starting at the same defence share: the patterns still appear."""
    from sim.batch import run_batch
    from sim.config import load_scenario
    from sim.experiment import load_experiment, plan

    values = {}
    for key in ("burden_public_good", "burden_local"):
        pattern = _pattern(key)
        experiment = load_experiment(pattern.experiment)
        members = len(load_scenario(experiment.scenario).members)
        same = {f"members.{i}.defence_pct_gdp": start for i in range(members)}
        experiment = experiment.model_copy(
            update={"set": {**experiment.set, **same}, "replications": 10}
        )
        outcome = run_batch(plan(experiment), tmp_path / key, workers=1, progress=False)
        values[key] = patterns.judge(pattern, outcome.runs)
    assert values["burden_public_good"]["ci_low"] > 0.1
    assert values["burden_local"]["ci_high"] < 0.0
