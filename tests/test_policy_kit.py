"""The kit for users' own policies: the contract catches broken policies, an external policy
runs the same everywhere, entry points register policies, and the tutorial's commands work.
"""

from __future__ import annotations

import random
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import MINIMAL, ROOT

from sim.batch import run_batch
from sim.cli import main
from sim.experiment import load_experiment, plan
from sim.policies import NO_HELP, Contribution, Policy, registry
from sim.store import read_runs, read_series
from sim.testing import ContractError, check_policy, policy_spec

DOCS = ROOT / "docs" / "policies.md"
EXAMPLES = ROOT / "examples"


# ------------------------------------------------------------------ broken policies


@dataclass(frozen=True)
class Good(Policy):
    """A well-behaved policy.

    Parameters:
        amount: what it gives, in [0, 1].
    """

    name = "good_for_tests"
    description = "gives a fixed amount"
    amount: float = 0.3

    def respond(self, ctx):
        return Contribution(True, military=self.amount if "military" in ctx.allowed else 0.0)


@dataclass
class NotFrozen(Policy):
    """Not frozen.

    Parameters:
        amount: what it gives.
    """

    name = "not_frozen"
    description = "mutable"
    amount: float = 0.3


@dataclass(frozen=True)
class Undocumented(Good):
    """No Parameters block for 'amount' or 'extra'."""

    extra: int = 1


@dataclass(frozen=True)
class ReturnsNumbers(Good):
    """Returns 1 instead of True.

    Parameters:
        amount: what it gives.
    """

    def share(self, ctx):
        return 1


@dataclass(frozen=True)
class ReturnsNone(Good):
    """Forgets to return a Contribution when not bound.

    Parameters:
        amount: what it gives.
    """

    def respond(self, ctx):
        return NO_HELP if ctx.obligated else None


@dataclass(frozen=True)
class GlobalRandom(Good):
    """Draws from the random module.

    Parameters:
        amount: what it gives.
    """

    def join_exercise(self, ctx):
        return random.random() < 0.5


@dataclass(frozen=True)
class Unseeded(Good):
    """Draws from a generator of its own.

    Parameters:
        amount: what it gives.
    """

    def join_exercise(self, ctx):
        return bool(np.random.default_rng().random() < 0.5)


@dataclass(frozen=True)
class Remembers(Good):
    """Keeps a memory of the partners it has seen, and the contexts.

    Parameters:
        amount: what it gives.
        seen: partners seen so far.
    """

    seen: list = field(default_factory=list)

    def share(self, ctx):
        self.seen.append(ctx)
        return True


@dataclass(frozen=True)
class Unpicklable(Good):
    """Holds a lambda.

    Parameters:
        amount: what it gives.
        rule: a function.
    """

    rule: object = lambda x: x  # noqa: E731

    def share(self, ctx):
        return True


@pytest.mark.parametrize(
    ("policy", "check", "message"),
    [
        (NotFrozen(), "interface", "not frozen"),
        (Undocumented(), "interface", "not documented.*amount, extra"),
        (ReturnsNumbers(), "outputs", r"share\(\) returned 1: expected True or False"),
        (ReturnsNone(), "outputs", r"respond\(\) returned None: expected a sim.policies.Contr"),
        (GlobalRandom(), "determinism", "global 'random' module"),
        (Unseeded(), "determinism", r"join_exercise\(\) gave .* for the same context and seed"),
        (Remembers(), "isolation", "changed the policy's own state"),
        (Remembers(), "isolation", "holds references to a decision context"),
        (Unpicklable(), "picklable", "cannot be pickled"),
    ],
)  # fmt: skip
def test_the_contract_catches_a_broken_policy(policy, check, message):
    with pytest.raises(ContractError, match=rf"\[{check}\] .*{message}"):
        check_policy(policy, in_model=False)


def test_a_good_policy_passes_and_runs_in_a_model():
    check_policy(Good(amount=0.4))
    assert policy_spec(Good(amount=0.4)) == {
        "name": f"{__name__}:Good", "params": {"amount": 0.4}
    }  # fmt: skip


def test_the_contract_catches_a_module_importing_the_model(tmp_path, monkeypatch):
    (tmp_path / "peeking.py").write_text(
        textwrap.dedent('''
            from dataclasses import dataclass
            import sim.model
            from sim.policies import Policy

            @dataclass(frozen=True)
            class Peeking(Policy):
                """Imports the model.

                Parameters:
                    x: nothing.
                """

                name = "peeking"
                description = "looks at the model"
                x: float = 0.0
        '''),
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    from peeking import Peeking

    with pytest.raises(
        ContractError, match=r"\[isolation\] its module 'peeking' imports sim.model"
    ):
        check_policy(Peeking(), in_model=False)


def test_a_wrong_interface_is_a_clear_error_when_a_scenario_names_it(write, tmp_path, capsys):
    (tmp_path / "odd.py").write_text(
        textwrap.dedent("""
            from dataclasses import dataclass
            from sim.policies import Policy

            @dataclass(frozen=True)
            class TwoArgs(Policy):
                def respond(self, ctx, budget):
                    return None
        """),
        encoding="utf-8",
    )
    scenario = write(MINIMAL + "default_policy: odd:TwoArgs\n")
    assert main(["validate", str(scenario)]) == 2
    err = capsys.readouterr().err
    assert "'odd:TwoArgs': respond() must take exactly one argument, the context" in err


def test_a_policy_defined_in_a_function_cannot_be_named_in_a_scenario():
    @dataclass(frozen=True)
    class Local(Good):
        """Local.

        Parameters:
            amount: what it gives.
        """

    with pytest.raises(ContractError, match=r"\[in_model\] .*defined inside a function"):
        check_policy(Local())


# ------------------------------------------------------------------ an external policy


def _external_experiment(folder: Path) -> Path:
    """A user's folder: the example policy and an experiment naming it by module:Class."""
    folder.mkdir()
    shutil.copy(EXAMPLES / "neighbours_first.py", folder / "neighbours_first.py")
    path = folder / "mine.yaml"
    path.write_text(
        textwrap.dedent(f"""
            name: mine
            scenario: {ROOT / "scenarios" / "teaching.yaml"}
            replications: 6
            seed: 5
            steps: 36
            variants:
              builtin: {{default_policy: reciprocal}}
              mine:
                default_policy:
                  name: "neighbours_first:NeighboursFirst"
                  params: {{far_effort: 0.3}}
            set:
              members.Borealis.policy: null      # let default_policy decide for two members
              members.Corvina.policy: null
        """),
        encoding="utf-8",
    )  # fmt: skip
    return path


def test_an_external_policy_gives_the_same_tables_singly_on_all_cores_and_on_dask(tmp_path):
    experiment = load_experiment(_external_experiment(tmp_path / "mine"))
    p = plan(experiment)
    one = run_batch(p, tmp_path / "one", workers=1, progress=False)
    two = run_batch(p, tmp_path / "two", workers=2, chunk_size=2, progress=False)
    assert one.failed == 0 and len(one.runs) == 12
    cols = [c for c in one.runs if c not in ("duration_s", "traceback")]
    pd.testing.assert_frame_equal(one.runs[cols], two.runs[cols])
    pd.testing.assert_frame_equal(read_series(tmp_path / "one"), read_series(tmp_path / "two"))
    mine = one.runs[one.runs["variant"] == "mine"]
    builtin = one.runs[one.runs["variant"] == "builtin"]
    assert not mine["help_given"].equals(builtin["help_given"])  # the policy made a difference

    pytest.importorskip("dask.distributed")
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True) as cluster:
        run_batch(p, tmp_path / "dask", scheduler=cluster.scheduler_address,
                         chunk_size=3, progress=False)  # fmt: skip
    pd.testing.assert_frame_equal(read_runs(tmp_path / "dask")[cols], one.runs[cols])


# ------------------------------------------------------------------ entry points


def _plugin(tmp_path: Path) -> Path:
    """An 'installed' package publishing one policy through the entry-point group."""
    site = tmp_path / "site"
    (site / "calm_policies").mkdir(parents=True)
    (site / "calm_policies" / "__init__.py").write_text(
        textwrap.dedent('''
            from dataclasses import dataclass
            from sim.policies import Policy

            @dataclass(frozen=True)
            class Calm(Policy):
                """Never asks for help.

                Parameters:
                    patience: how calm it is, in [0, 1].
                """

                name = "calm"
                description = "never asks for help"
                patience: float = 0.9

                def request_help(self, ctx):
                    return False

            class NotAPolicy:
                pass
        '''),
        encoding="utf-8",
    )
    info = site / "calm_policies-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: calm-policies\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[cdsim.policies]\ncalm = calm_policies:Calm\nbroken = calm_policies:NotAPolicy\n"
    )
    return site


def test_policies_published_through_entry_points_appear_by_name(tmp_path):
    site = _plugin(tmp_path)
    env = {"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"}
    listed = subprocess.run([sys.executable, "-m", "sim", "policies"], capture_output=True,
                            text=True, env=env, cwd=tmp_path, check=True)  # fmt: skip
    assert "calm: never asks for help" in listed.stdout
    assert "patience = 0.9: how calm it is, in [0, 1]." in listed.stdout
    assert "committed_ally" in listed.stdout  # the built-ins are still there
    assert "'broken'" in listed.stderr and "not a subclass of sim.policies.Policy" in listed.stderr
    scenario = tmp_path / "s.yaml"
    scenario.write_text(MINIMAL + "default_policy: {name: calm, params: {patience: 0.5}}\n")
    checked = subprocess.run([sys.executable, "-m", "sim", "validate", str(scenario)],
                             capture_output=True, text=True, env=env, cwd=tmp_path)  # fmt: skip
    assert checked.returncode == 0, checked.stderr


# ------------------------------------------------------------------ the tutorial


def _block(marker: str) -> str:
    """The fenced block that follows ``<!-- tutorial: marker -->`` in docs/policies.md."""
    text = DOCS.read_text(encoding="utf-8")
    found = re.search(rf"<!-- tutorial: {marker} -->\n```\w+\n(.*?)```", text, re.S)
    assert found, f"docs/policies.md has no tutorial block {marker!r}"
    return found.group(1)


def test_the_tutorial_class_is_the_example_file():
    assert _block("python") in (EXAMPLES / "neighbours_first.py").read_text(encoding="utf-8")


def test_every_registered_policy_is_in_the_guide():
    guide = DOCS.read_text(encoding="utf-8")
    for name in registry.registered():
        assert f"`{name}`" in guide, f"docs/policies.md does not describe {name!r}"


@pytest.mark.slow
def test_the_tutorial_commands_work_as_written(tmp_path, monkeypatch, capsys):
    """Copy the repository's examples and scenarios, then run the commands in order."""
    shutil.copytree(EXAMPLES, tmp_path / "examples", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "scenarios", tmp_path / "scenarios")
    monkeypatch.chdir(tmp_path)
    for line in _block("commands").strip().splitlines():
        args = shlex.split(line)
        if args[0] == "cd":
            monkeypatch.chdir(Path.cwd() / args[1])
        elif args[0] == "python":
            done = subprocess.run([sys.executable, *args[1:]], capture_output=True, text=True)
            assert done.returncode == 0, f"{line}\n{done.stdout}{done.stderr}"
        else:
            assert args[0] == "cdsim"
            assert main(args[1:]) == 0, f"{line}\n{capsys.readouterr().err}"
    results = tmp_path / "results"
    assert len(read_runs(results / "tutorial-run")) == 1
    runs = pd.read_parquet(results / "tutorial" / "runs.parquet")
    assert set(runs["variant"]) == {"reciprocal", "committed_ally", "neighbours_first"}
    assert (runs["status"] == "ok").all()
    assert (results / "tutorial" / "figures" / "differences-damage.png").exists()
    assert (results / "tutorial" / "report.html").stat().st_size > 10_000
