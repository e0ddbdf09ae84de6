"""Batch runs: same tables whatever the workers or backend, resume, failure isolation."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
from helpers import ROOT, SCENARIOS

from sim.batch import BatchError, run_batch
from sim.cli import main
from sim.config import ConfigError, load_scenario
from sim.experiment import ExperimentConfig, load_experiment, plan, replication_seeds
from sim.metrics import METRICS
from sim.store import read_runs, read_series


def small_plan(replications=8, **changes):
    experiment = ExperimentConfig(
        name="small",
        scenario=str(SCENARIOS / "teaching.yaml"),
        replications=replications,
        seed=5,
        steps=24,
        variants={"flexible": {}, "commitment": {"rules.preset": "collective_commitment"}},
        grid={"threats.aggression.rate": [0.1, 0.3]},
        **changes,
    )
    return plan(experiment)


def comparable(runs: pd.DataFrame) -> pd.DataFrame:
    return runs.drop(columns=["duration_s"]).reset_index(drop=True)


def test_plan_reuses_seeds_across_variants_and_grid_points():
    p = small_plan(replications=3)
    assert len(p.runs) == 2 * 2 * 3
    seeds = replication_seeds(5, 3)
    for r in p.runs:
        assert r.seed == seeds[r.replication]
    assert len(set(seeds)) == 3


def test_same_tables_with_one_or_two_workers(tmp_path):
    p = small_plan()
    one = run_batch(p, tmp_path / "one", workers=1, progress=False)
    two = run_batch(p, tmp_path / "two", workers=2, progress=False, chunk_size=3)
    pd.testing.assert_frame_equal(comparable(one.runs), comparable(two.runs))
    pd.testing.assert_frame_equal(read_series(tmp_path / "one"), read_series(tmp_path / "two"))
    assert one.failed == 0 and len(one.runs) == 32
    pd.testing.assert_frame_equal(one.summary, two.summary)


def test_dask_local_cluster_gives_the_local_tables(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    p = small_plan(replications=4)
    local = run_batch(p, tmp_path / "local", workers=1, progress=False)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        remote = run_batch(
            p, tmp_path / "dask", scheduler=cluster.scheduler_address, progress=False,
            chunk_size=2,
        )  # fmt: skip
    pd.testing.assert_frame_equal(comparable(local.runs), comparable(remote.runs))
    assert "dask" in remote.manifest["backend"]


def test_batch_outputs_and_manifest(tmp_path):
    p = small_plan(replications=4)
    out = run_batch(p, tmp_path / "b", workers=2, progress=False, csv=True)
    folder = out.folder
    for name in ("runs.parquet", "runs.csv", "summary.csv", "summary.md", "differences.csv",
                 "differences.md", "manifest.json"):  # fmt: skip
        assert (folder / name).stat().st_size > 0, name
    runs = pd.read_parquet(folder / "runs.parquet")
    assert {"variant", "replication", "seed", "threats.aggression.rate", *METRICS} <= set(runs)
    series = read_series(folder)
    assert len(series) == len(runs) * 25 and {"run_id", "month", "mean_trust"} <= set(series)
    summary = pd.read_csv(folder / "summary.csv")
    assert len(summary) == 4 * len(METRICS)  # 2 variants x 2 grid points
    diffs = pd.read_csv(folder / "differences.csv")
    assert set(diffs["variant"]) == {"commitment"} and len(diffs) == 2 * len(METRICS)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["runs_ok"] == 16
    assert manifest["replication_seeds"] == replication_seeds(5, 4)
    assert {"mesa", "numpy", "pandas", "python"} <= set(manifest["versions"])
    assert manifest["started"] <= manifest["finished"]
    assert (
        "## variant = commitment, threats.aggression.rate = 0.3"
        in (folder / "summary.md").read_text()
    )


def test_existing_folder_needs_resume_and_resume_of_a_complete_batch_changes_nothing(tmp_path):
    p = small_plan(replications=2)
    first = run_batch(p, tmp_path / "b", workers=1, progress=False)
    with pytest.raises(BatchError, match="--resume"):
        run_batch(p, tmp_path / "b", workers=1, progress=False)
    again = run_batch(p, tmp_path / "b", workers=1, progress=False, resume=True)
    pd.testing.assert_frame_equal(first.runs, again.runs)
    other = small_plan(replications=3)
    with pytest.raises(BatchError, match="different experiment"):
        run_batch(other, tmp_path / "b", workers=1, progress=False, resume=True)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "killed"])
def test_resume_after_interruption_gives_the_uninterrupted_table(tmp_path, sig):
    args = ["batch", str(SCENARIOS / "teaching.yaml"), "-n", "40", "--seed", "3",
            "--workers", "2", "--no-progress", "--set", "steps=36"]  # fmt: skip
    whole = tmp_path / "whole"
    assert main([*args, "--out", str(whole)]) == 0
    cut = tmp_path / "cut"
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim", *args, "--out", str(cut)], cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    deadline = time.time() + 60
    while time.time() < deadline and len(list((cut / "runs").glob("part-*.parquet"))) < 2:
        time.sleep(0.05)
    os.killpg(proc.pid, sig)  # the whole process group, as Ctrl-C in a terminal does
    proc.wait(timeout=30)
    saved = len(read_runs(cut))
    assert 0 < saved < 40, "the interruption should fall mid-batch"
    if sig == signal.SIGINT:
        assert proc.returncode == 130
        assert b"--resume" in proc.stderr.read()
    assert main([*args, "--out", str(cut), "--resume"]) == 0
    a, b = read_runs(whole), read_runs(cut)
    pd.testing.assert_frame_equal(comparable(a), comparable(b))
    assert b["run_id"].is_unique
    pd.testing.assert_frame_equal(read_series(whole), read_series(cut))


FAILING_POLICY = '''
from dataclasses import dataclass
from sim.policies import Policy


@dataclass(frozen=True)
class Brittle(Policy):
    """Fails at its first budget in some runs (a bug in a user's policy)."""

    name = "brittle"
    description = "fails sometimes"

    def set_budget(self, ctx):
        if ctx.me.name == "Alpha" and ctx.rng.random() < 0.4:
            raise RuntimeError("brittle policy broke")
        return ctx.me.defence_pct_gdp
'''


def test_a_failing_run_is_isolated_and_reported(tmp_path, write, capsys):
    (tmp_path / "brittle_policy.py").write_text(FAILING_POLICY)
    from helpers import MINIMAL

    path = write(MINIMAL + "default_policy: 'brittle_policy:Brittle'\n")
    code = main(["batch", str(path), "-n", "12", "--workers", "2", "--no-progress",
                 "--out", str(tmp_path / "b")])  # fmt: skip
    out = capsys.readouterr().out
    runs = read_runs(tmp_path / "b")
    failed = runs[runs["status"] == "failed"]
    assert code == 1 and 0 < len(failed) < 12
    assert f"{12 - len(failed)} runs ok, {len(failed)} failed" in out
    assert failed["error"].str.contains("brittle policy broke").all()
    assert failed["traceback"].str.contains("set_budget").all()
    assert runs.loc[runs["status"] == "ok", "damage_usd_bn"].notna().all()
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert manifest["runs_failed"] == len(failed)


def test_shipped_experiment_files_state_their_question_and_validate():
    for path in sorted((ROOT / "experiments").glob("*.yaml")):
        text = path.read_text()
        assert text.startswith("# Question:"), path.name
        experiment = load_experiment(path)
        assert experiment.question
        p = plan(experiment)
        points = len(list(__import__("itertools").product(*experiment.grid.values())))
        if experiment.design is not None:
            points = len({r.sample for r in p.runs})
            assert points == experiment.design.samples
        assert len(p.runs) == len(experiment.variants) * experiment.replications * points


@pytest.mark.parametrize(
    "text,fragment",
    [
        ("name: x\nscenario: s.yaml\nreplicatons: 3\n", "unknown field 'replicatons'"),
        ("name: x\nscenario: s.yaml\nvariants: {a: {}}\nbaseline: b\n", "baseline 'b'"),
        ("name: x\nscenario: s.yaml\nvariants: {a: {rules.decision: sometimes}}\n",
         "variant 'a': rules.decision"),
        ("name: x\nscenario: s.yaml\ngrid: {threats.aggresion.rate: [1]}\n",
         "grid point {'threats.aggresion.rate': 1}: threats.aggresion: unknown threat type; "
         "did you mean 'aggression'?"),
        ("name: x\nscenario: missing.yaml\n", "missing.yaml: no such file"),
    ],
)  # fmt: skip
def test_experiment_file_errors_are_one_line(write, tmp_path, capsys, text, fragment):
    from helpers import MINIMAL

    write(MINIMAL, "s.yaml")
    path = write(text, "exp.yaml")
    assert main(["experiment", str(path), "--no-progress", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert fragment in err and err.count("\n") == 1, err
    with pytest.raises(ConfigError):
        plan(load_experiment(path))


def test_experiment_command_prints_statistics_and_differences(tmp_path, capsys):
    path = tmp_path / "e.yaml"
    path.write_text(
        f"name: e\nquestion: Does it help?\nscenario: {SCENARIOS / 'teaching.yaml'}\n"
        "replications: 6\nsteps: 24\nbaseline: a\n"
        "variants: {a: {}, b: {rules.preset: collective_commitment}}\n"
    )
    assert main(["experiment", str(path), "--no-progress", "--workers", "2",
                 "--out", str(tmp_path / "o")]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "Does it help?" in out and "Paired differences against 'a'" in out
    assert "12 runs ok, 0 failed" in out


def test_a_results_folder_keeps_what_re_runs_it_after_its_files_change(tmp_path, write):
    from helpers import MINIMAL

    scenario = write(MINIMAL)
    experiment = write(
        "name: kept\nscenario: scenario.yaml\nreplications: 3\nseed: 4\nvariants:\n"
        "  a: {}\n  b: {rules.preset: collective_commitment}\n"
        "grid: {threats.terrorism.rate: [0.3, 1.0]}\n",
        "kept.yaml",
    )
    assert main(["experiment", str(experiment), "--out", str(tmp_path / "first"),
                 "--no-progress", "--workers", "1"]) == 0  # fmt: skip
    kept = tmp_path / "first"
    assert {"scenario.yaml", "experiment.yaml"} <= {p.name for p in kept.iterdir()}
    assert sorted(p.name for p in (kept / "resolved").iterdir()) == ["a.yaml", "b.yaml"]
    resolved_b = load_scenario(kept / "resolved" / "b.yaml")
    assert resolved_b.rules.decision == "automatic"  # the preset's knobs, filled in
    scenario.write_text(MINIMAL.replace("gdp_usd_bn: 500", "gdp_usd_bn: 900"), encoding="utf-8")
    assert main(["experiment", str(kept / "experiment.yaml"), "--out", str(tmp_path / "again"),
                 "--no-progress", "--workers", "1"]) == 0  # fmt: skip
    assert main(["experiment", str(experiment), "--out", str(tmp_path / "edited"),
                 "--no-progress", "--workers", "1"]) == 0  # fmt: skip
    first, again = read_runs(kept), read_runs(tmp_path / "again")
    pd.testing.assert_frame_equal(comparable(first), comparable(again))
    edited = read_runs(tmp_path / "edited")
    assert not edited["damage_usd_bn"].equals(first["damage_usd_bn"])
