"""The command line, called as a user would (through main)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pandas as pd
import pytest
from helpers import MINIMAL, ROOT, SCENARIOS

from sim.cli import main
from sim.config import load_scenario
from sim.metrics import METRICS
from sim.resultset import ResultsError, load
from sim.store import read_detail, read_runs

TABLES = ["series", "member_steps", "members", "pairs", "policy_mix", "threats", "events",
          "threats_by_type"]  # fmt: skip
CSV_FILES = ["steps.csv", "member_steps.csv", "members.csv", "pairs.csv", "policy_mix.csv",
             "threats.csv", "events.csv", "threats_by_type.csv", "runs.csv"]  # fmt: skip


def test_run_prints_a_summary_and_writes_every_table(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["run", str(SCENARIOS / "teaching.yaml"), "--out", str(out), "--steps", "24"])
    printed = capsys.readouterr().out
    assert code == 0
    for _group, label, _unit in METRICS.values():
        assert label in printed
    assert "Threats by type" in printed and "Aurelia" in printed or "Borealis" in printed
    for name in TABLES:
        assert read_detail(out, name) is not None, name
    assert not list(out.glob("*.csv"))  # CSV only on request
    steps = read_detail(out, "series")
    assert len(steps) == 25 and set(steps["run_id"]) == {0}
    events = read_detail(out, "events")
    assert {"emerged", "detected"} <= set(events["event"])
    runs = read_runs(out)
    assert len(runs) == 1 and set(METRICS) <= set(runs.columns)
    assert json.loads((out / "manifest.json").read_text())["kind"] == "run"


def test_csv_on_request_holds_the_same_tables(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(SCENARIOS / "teaching.yaml"), "--out", str(out), "--steps", "12",
                 "--csv"]) == 0  # fmt: skip
    for name in CSV_FILES:
        assert (out / name).stat().st_size > 0, name
    members = pd.read_csv(out / "members.csv")
    assert members["damage_usd_bn"].tolist() == pytest.approx(
        read_detail(out, "members")["damage_usd_bn"].tolist()
    )


def test_a_single_run_reads_like_a_batch_of_one(tmp_path, capsys):
    """One loader for every results folder: a run's and a one-run batch's tables agree."""
    run_dir, batch_dir = tmp_path / "run", tmp_path / "batch"
    scenario = str(SCENARIOS / "teaching.yaml")
    assert main(["batch", scenario, "-n", "1", "--workers", "1", "--out", str(batch_dir),
                 "--set", "steps=18", "--no-progress"]) == 0  # fmt: skip
    seed = str(int(read_runs(batch_dir)["seed"].iloc[0]))
    assert main(["run", scenario, "--out", str(run_dir), "--steps", "18", "--seed", seed]) == 0
    one, many = load(run_dir), load(batch_dir)
    assert one.kind == "run" and many.kind == "batch"
    assert one.variants == many.variants == ["teaching"]
    for table in ("runs", "series", "members", "pairs", "policy_mix"):
        a, b = getattr(one, table), getattr(many, table)
        assert list(a.columns) == list(b.columns), table
        numbers = [c for c in a.select_dtypes("number").columns if c != "duration_s"]
        pd.testing.assert_frame_equal(a[numbers], b[numbers], obj=table)


def test_written_scenario_reruns_to_the_same_result(tmp_path, capsys):
    out = tmp_path / "out"
    args = ["--steps", "30", "--seed", "99", "--set", "rules.decision=majority"]
    assert main(["run", str(SCENARIOS / "asean_way.yaml"), "--out", str(out), *args]) == 0
    again = load_scenario(out / "scenario.yaml")
    assert again.seed == 99 and again.steps == 30 and again.rules.decision == "majority"
    assert main(["run", str(out / "scenario.yaml"), "--out", str(tmp_path / "again")]) == 0
    for name in TABLES:
        first = read_detail(out, name)
        second = read_detail(tmp_path / "again", name)
        pd.testing.assert_frame_equal(first, second, obj=name)
    drop = ["duration_s"]
    pd.testing.assert_frame_equal(
        read_runs(out).drop(columns=drop), read_runs(tmp_path / "again").drop(columns=drop)
    )


def test_an_old_csv_run_folder_says_how_to_read_it(tmp_path):
    old = tmp_path / "old"
    old.mkdir()
    (old / "summary.json").write_text("{}")
    (old / "steps.csv").write_text("month\n0\n")
    with pytest.raises(ResultsError, match="cdsim 0.2 or earlier.*cdsim run .*config.yaml"):
        load(old)


def test_collective_commitment_gives_a_different_outcome(tmp_path, capsys):
    a, b = tmp_path / "a", tmp_path / "b"
    assert main(["run", str(SCENARIOS / "asean_way.yaml"), "--out", str(a), "--steps", "36"]) == 0
    assert main(["run", str(SCENARIOS / "asean_way.yaml"), "--out", str(b), "--steps", "36",
                 "--set", "rules.preset=collective_commitment"]) == 0  # fmt: skip
    sa, sb = read_runs(a).iloc[0], read_runs(b).iloc[0]
    assert sa["help_given"] != sb["help_given"]


def test_validate_and_policies(capsys, write):
    assert main(["validate", str(write(MINIMAL))]) == 0
    assert "ok" in capsys.readouterr().out
    assert main(["policies"]) == 0
    listing = capsys.readouterr().out
    for name in ("committed_ally", "free_rider", "reciprocal", "self_interested",
                 "sovereignty_first"):  # fmt: skip
        assert f"{name}: " in listing
    assert (
        "forgiveness = 0.1 in [0, 1]: chance of cooperating with a partner who has defected"
    ) in listing


def test_bad_command_line_values_exit_2(capsys):
    assert _exit_code(["run", "--steps", "0"]) == 2
    assert _exit_code(["run", "--seed", "abc"]) == 2
    assert _exit_code(["run", "--set", "nokeyvalue"]) == 2


def test_unwritable_output_folder_is_a_clear_error(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    code = main(["run", str(SCENARIOS / "teaching.yaml"), "--steps", "2", "--out", str(blocker)])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --out") and err.count("\n") == 1


def _exit_code(argv):
    try:
        return main(argv)
    except SystemExit as stop:  # argparse's own errors
        return stop.code


def test_python_dash_m_sim_and_default_scenario(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "sim", "run", "--steps", "3", "--out", str(tmp_path / "o")],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Scenario 'asean_way'" in done.stdout


USER_POLICY = '''
from dataclasses import dataclass

from sim.policies import NO_HELP, Policy, effort


@dataclass(frozen=True)
class NeighboursOnly(Policy):
    """Helps only members it borders."""

    name = "neighbours_only"
    description = "helps only its neighbours"
    amount: float = 0.5

    def respond(self, ctx):
        return effort(ctx, self.amount) if ctx.host_is_neighbour else NO_HELP
'''


def test_a_users_own_policy_from_their_own_file(tmp_path, write, capsys):
    """The README's example, as a user would use it: module:Class next to the scenario."""
    (tmp_path / "my_module_cli.py").write_text(USER_POLICY)
    text = MINIMAL.replace("seed: 3", "seed: 3\nrules: {preset: collective_commitment}")
    path = write(text + 'default_policy: {name: "my_module_cli:NeighboursOnly", '
                        "params: {amount: 0.3}}\n")  # fmt: skip
    assert main(["run", str(path), "--out", str(tmp_path / "o")]) == 0
    capsys.readouterr()
    events = read_detail(tmp_path / "o", "events")
    helped = events[events["event"] == "helped"]
    borders = {("Alpha", "Beta"), ("Beta", "Alpha"), ("Beta", "Gamma"), ("Gamma", "Beta")}
    assert len(helped) > 0
    assert set(zip(helped["member"], helped["partner"], strict=True)) <= borders
    bad = write(text + "default_policy: {name: 'my_module_cli:NeighboursOnly', "
                       "params: {amont: 0.3}}\n", "bad.yaml")  # fmt: skip
    assert main(["validate", str(bad)]) == 2
    assert "did you mean 'amount'" in capsys.readouterr().err


def test_the_policy_listing_in_the_docs_is_what_cdsim_policies_prints(capsys):
    from helpers import ROOT

    from sim.cli import main

    assert main(["policies"]) == 0
    printed = capsys.readouterr().out
    docs = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")
    start = docs.index(printed.splitlines()[0])
    listed = docs[start : docs.index("```", start)]
    assert listed == printed


def test_one_command_line_grammar():
    from sim.cli import build_parser

    commands = build_parser()._subparsers._group_actions[0].choices

    def options(name):
        return {o for a in commands[name]._actions for o in a.option_strings}

    for name in ("run", "batch", "experiment", "sensitivity", "check-patterns", "view"):
        assert {"--set", "--seed"} <= options(name), name  # runs the model
    for name in ("batch", "experiment", "sensitivity", "check-patterns"):
        assert {"--workers", "--scheduler", "--out", "--resume", "--no-progress"} <= options(
            name
        ), name  # runs many


def test_progress_bars_only_on_a_terminal(monkeypatch):
    import argparse
    import io

    from sim.cli import _progress

    monkeypatch.setattr("sys.stderr", io.StringIO())  # redirected, as into a log file
    assert not _progress(argparse.Namespace(no_progress=False))


def test_experiment_takes_set_and_seed_from_the_command_line(tmp_path):

    path = str(ROOT / "experiments" / "free_riders.yaml")
    args = ["experiment", path, "-n", "2", "--workers", "1", "--no-progress", "--set",
            "steps=6", "--seed", "11"]  # fmt: skip
    assert main([*args, "--out", str(tmp_path / "a")]) == 0
    runs = read_runs(tmp_path / "a")
    from sim.experiment import replication_seeds

    assert sorted(set(runs["seed"])) == sorted(replication_seeds(11, 2))
    assert (pd.read_parquet(tmp_path / "a" / "series").groupby("run_id")["month"].max() == 6).all()


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_bash_completion_completes_commands_options_and_files(tmp_path):
    script = tmp_path / "cdsim.bash"
    done = subprocess.run([sys.executable, "-m", "sim", "completion", "bash"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    script.write_text(done.stdout)

    def complete(*words: str) -> list[str]:
        line = " ".join(["cdsim", *words])
        code = (f"source {script}; COMP_WORDS=(cdsim {' '.join(words)}); "
                f"COMP_CWORD={len(words)}; COMP_LINE='{line}'; COMP_POINT={len(line)}; "
                "_shtab_cdsim; printf '%s\\n' \"${COMPREPLY[@]}\"")  # fmt: skip
        out = subprocess.run(["bash", "-c", code], cwd=ROOT, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        return out.stdout.split()

    assert complete("exp") == ["experiment"]
    assert {"--set", "--seed", "--steps"} <= set(complete("run", "--s"))
    assert set(complete("completion", "")) == {"bash", "zsh", "tcsh"}
    assert "scenarios/asean_way.yaml" in complete("run", "scenarios/asean_w")


def test_completion_scripts_for_other_shells_name_every_command(capsys):
    from sim.cli import SHELLS, build_parser

    commands = build_parser()._subparsers._group_actions[0].choices
    for shell in SHELLS:
        assert main(["completion", shell]) == 0
        script = capsys.readouterr().out
        assert all(name in script for name in commands), shell


def test_a_scenario_name_with_a_path_separator_stays_in_its_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    name = "ASEAN/2026 ../test"
    assert main(["run", str(SCENARIOS / "teaching.yaml"), "--steps", "3", "--set",
                 f"name={name}"]) == 0  # fmt: skip
    (folder,) = (tmp_path / "results").iterdir()
    assert folder.name.startswith("ASEAN_2026_.._test-")
    assert [p.name for p in (folder / "resolved").iterdir()] == ["ASEAN_2026_.._test.yaml"]
    assert load(folder).variants == [name]
