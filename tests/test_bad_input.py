"""The contract for careless or unlucky input: one clear line naming the file and the field,
exit code 2, no traceback; limits that stop a runaway run with a message; nothing written
over; user code that exits is a failed run."""

from __future__ import annotations

import json
import math
import uuid

import pytest
from helpers import MINIMAL, SCENARIOS

from sim.cli import main
from sim.config import MAX_DEPTH, ConfigError, load_scenario
from sim.experiment import load_experiment
from sim.model import CollectiveDefenceModel
from sim.results import run
from sim.store import read_runs
from sim.threats import MAX_ACTIVE, RunawayError


def one_error_line(capsys, *parts: str) -> str:
    """The command's stderr: one ``error:`` line holding every part, no traceback."""
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines and lines[-1].startswith(("error:", "cdsim")), err
    for part in parts:
        assert part in lines[-1], (part, lines[-1])
    return lines[-1]


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ("economy: {gdp_growth_pct: .nan}", "economy.gdp_growth_pct"),
        ("threats: {terrorism: {rate: .inf}}", "threats.terrorism.rate"),
        ("threats: {terrorism: {growth: -.inf}}", "threats.terrorism.growth"),
        ("default_policy: {name: reciprocal, params: {forgiveness: .nan}}", "forgiveness"),
        ("threats: {terrorism: {rate: 1.0e+308}}", "threats.terrorism.rate"),
        ("steps: 1000000000", "steps"),
        ("seed: -1", "seed"),
    ],
)
def test_non_finite_and_out_of_bound_numbers_are_refused(write, capsys, extra, field):
    path = write(MINIMAL.replace("steps: 24\n", "").replace("seed: 3\n", "") + extra + "\n")
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        load_scenario(path)
    assert main(["validate", str(path)]) == 2
    one_error_line(capsys, str(path), field)


def test_rate_times_exposure_is_bounded(write):
    text = MINIMAL.replace(
        "{name: Beta, gdp_usd_bn: 100, defence_pct_gdp: 1.0}",
        "{name: Beta, gdp_usd_bn: 100, defence_pct_gdp: 1.0, exposure: {cyber_attack: 900}}",
    )
    assert load_scenario(write(text))  # 900 cyber attacks a year: extreme, but within bounds
    text += "threats: {cyber_attack: {rate: 2.0}}\n"  # 1,800 a year: beyond
    with pytest.raises(ConfigError, match=r"members\[1\] \(Beta\)\.exposure\.cyber_attack"):
        load_scenario(write(text))


@pytest.mark.parametrize("name", ["''", "'   '", '"\\t"', '"a\\nb"'])
def test_blank_member_names_are_refused(write, name):
    text = MINIMAL.replace("{name: Gamma,", f"{{name: {name},")
    with pytest.raises(ConfigError, match=r"members\[2\].*\.name"):
        load_scenario(write(text))


def test_files_that_are_not_utf8_text_are_refused_with_one_line(tmp_path, capsys):
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(MINIMAL.replace("Gamma", "Gamm\u00e4").encode("latin-1"))
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(bytes(range(256)) * 4)
    for path in (latin, binary):
        assert main(["validate", str(path)]) == 2
        one_error_line(capsys, str(path), "not a UTF-8 text file")


def test_a_byte_order_mark_is_read_as_utf8(tmp_path):
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL.encode())
    assert load_scenario(path).member_names == ["Alpha", "Beta", "Gamma"]
    members = tmp_path / "members.csv"
    members.write_bytes(b"\xef\xbb\xbfname,gdp_usd_bn,defence_pct_gdp\nA,10,1\nB,20,2\n")
    scenario = tmp_path / "s.yaml"
    scenario.write_text("name: csv\ndata: {members: members.csv}\n", encoding="utf-8")
    assert load_scenario(scenario).member_names == ["A", "B"]


def test_csv_rows_must_have_the_headers_cells(tmp_path):
    (tmp_path / "members.csv").write_text(
        "name,gdp_usd_bn,defence_pct_gdp\nA,10,1\nB,20,2,oops\n", encoding="utf-8"
    )
    scenario = tmp_path / "s.yaml"
    scenario.write_text("name: csv\ndata: {members: members.csv}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"members\.csv row 3: 4 cells, the header has 3"):
        load_scenario(scenario)
    (tmp_path / "members.csv").write_text(
        "name,gdp_usd_bn,defence_pct_gdp\nA,inf,1\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError, match="finite"):
        load_scenario(scenario)


def test_deep_nesting_and_huge_files_are_refused_before_parsing(tmp_path, capsys):
    deep = tmp_path / "deep.yaml"
    deep.write_text("name: x\nsteps: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    assert main(["validate", str(deep)]) == 2
    one_error_line(capsys, str(deep), f"nested deeper than {MAX_DEPTH} levels")
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as handle:
        handle.truncate(11_000_000)  # a sparse file: no time spent writing it
    assert main(["validate", str(huge)]) == 2
    one_error_line(capsys, str(huge), "larger than the 10 MB")


def test_seeds_from_zero_up_everywhere_negative_ones_refused(write, capsys, tmp_path):
    path = write(MINIMAL)
    for command in (["run", str(path)], ["batch", str(path), "-n", "2"]):
        with pytest.raises(SystemExit) as stop:
            main([*command, "--seed", "-1"])
        assert stop.value.code == 2
        assert "seeds are whole numbers from 0 up, got -1" in capsys.readouterr().err
    experiment = write(f"name: e\nscenario: {path}\nseed: -3\n", "e.yaml")
    with pytest.raises(ConfigError, match="seed"):
        load_experiment(experiment)
    with pytest.raises(ValueError, match="from 0 up"):
        CollectiveDefenceModel(str(path), rng=-1)
    big = 2**64 + 5  # any non-negative integer is a seed
    assert run(load_scenario(path), seed=big).config.seed == big


def test_a_runaway_run_stops_at_the_limit_naming_the_setting(write, capsys, tmp_path):
    path = write(MINIMAL.replace("steps: 24", "steps: 120") + "threats: {cyber_attack: "
                 "{rate: 1000, lifetime_months: 1200, growth: 0.2}}\n")  # fmt: skip
    with pytest.raises(RunawayError, match="threats.cyber_attack.rate"):
        run(load_scenario(path), seed=1)
    assert main(["run", str(path), "--out", str(tmp_path / "r")]) == 1
    line = one_error_line(capsys, "stopped at a limit", f"at most {MAX_ACTIVE:,}")
    assert "cyber_attack" in line


def test_far_longer_runs_than_shipped_get_a_warning(write, capsys, tmp_path):
    path = write(MINIMAL.replace("steps: 24", "steps: 3000"))
    assert main(["run", str(path), "--steps", "2", "--out", str(tmp_path / "a")]) == 0
    assert "warning" not in capsys.readouterr().err  # --steps 2: a short run
    assert main(["validate", str(path)]) == 0
    load_scenario(path)  # valid: only a warning when it runs
    out = capsys.readouterr()
    assert "error" not in out.err


POLICY = """
import sys
from dataclasses import dataclass
from sim.policies import Policy


@dataclass(frozen=True)
class Quitter(Policy):
    name = "quitter"
    description = "exits the program in some runs"

    def set_budget(self, ctx):
        if ctx.me.name == "Alpha" and ctx.rng.random() < 0.5:
            sys.exit(7)
        return ctx.me.defence_pct_gdp
"""


def test_a_policy_that_exits_fails_its_run_and_the_batch_goes_on(tmp_path, write, capsys):
    module = f"quit_{uuid.uuid4().hex[:6]}"
    (tmp_path / f"{module}.py").write_text(POLICY, encoding="utf-8")
    path = write(MINIMAL + f"default_policy: '{module}:Quitter'\n")
    code = main(["batch", str(path), "-n", "8", "--workers", "1", "--no-progress",
                 "--out", str(tmp_path / "b")])  # fmt: skip
    runs = read_runs(tmp_path / "b")
    failed = runs[runs["status"] == "failed"]
    assert code == 1 and 0 < len(failed) < 8
    assert failed["error"].str.contains("SystemExit").all()
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["runs_failed"] == len(failed)
    seed = int(failed["seed"].iloc[0])
    capsys.readouterr()
    assert main(["run", str(path), "--seed", str(seed), "--out", str(tmp_path / "r")]) == 1
    one_error_line(capsys, "sys.exit(7)", f"seed {seed}")


def test_the_manifest_is_strict_json(write, tmp_path):
    """An undefined number (a metric of no event, a NaN seconds field) is null, not NaN."""
    path = write(MINIMAL)
    assert main(["run", str(path), "--out", str(tmp_path / "r")]) == 0

    def refuse(name):
        raise AssertionError(f"bare {name} in manifest.json")

    manifest = json.loads((tmp_path / "r" / "manifest.json").read_text(), parse_constant=refuse)
    assert manifest["kind"] == "run" and manifest["runs_ok"] == 1
    assert math.isnan(read_runs(tmp_path / "r")["stopped_month"].iloc[0])


def test_no_command_writes_into_a_folder_it_did_not_make(write, tmp_path, capsys):
    path = write(MINIMAL)
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine", encoding="utf-8")
    assert main(["run", str(path), "--out", str(busy)]) == 2
    one_error_line(capsys, f"--out {busy}", "not empty")
    base = ["batch", str(path), "-n", "2", "--no-progress", "--workers", "1"]
    assert main([*base, "--out", str(busy)]) == 2
    one_error_line(capsys, f"--out {busy}", "not empty")
    assert main([*base, "--out", str(busy), "--resume"]) == 2
    one_error_line(capsys, "--resume", "no cdsim results")
    assert main([*base, "--out", str(tmp_path / "new"), "--resume"]) == 2
    one_error_line(capsys, "--resume", "no results to complete")
    assert main([*base, "--out", str(busy / "notes.txt" / "x")]) == 2
    one_error_line(capsys, "--out", "cannot create it")
    assert sorted(p.name for p in busy.iterdir()) == ["notes.txt"]  # untouched
    run_folder = tmp_path / "one"
    assert main(["run", str(path), "--out", str(run_folder)]) == 0
    assert main([*base, "--out", str(run_folder)]) == 2  # a single run's folder
    one_error_line(capsys, "holds a single run's results")


def test_shipped_scenarios_stay_within_every_limit():
    for path in sorted(SCENARIOS.glob("*.yaml")):
        result = run(load_scenario(path), seed=0, steps=24, detail=False)
        assert len(result.threats) < MAX_ACTIVE, path.name


def test_command_line_numbers_must_be_finite(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["discover", "nowhere", "--outcome", "x > 1", "--threshold", "nan"])
    assert stop.value.code == 2
    assert "expected a finite number, got 'nan'" in capsys.readouterr().err
    assert main(["sensitivity", str(SCENARIOS / "teaching.yaml"), "--param",
                 "threats.terrorism.rate=0:inf"]) == 2  # fmt: skip
    one_error_line(capsys, "finite numbers")


def test_every_field_error_of_a_file_at_once_each_with_file_and_field(write, capsys):
    path = write(
        "name: x\nsteps: -1\nseed: -2\nmembers:\n  - {name: A, gdp_usd_bn: -1, "
        "defence_pct_gdp: 1}\nrelations: {trust_gain: 0.1}\n"
    )
    assert main(["validate", str(path)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 4 and all(line.startswith(f"error: {path}: ") for line in lines)
    for field in ("steps", "seed", "members[0] (A).gdp_usd_bn", "relations: unknown field"):
        assert any(field in line for line in lines), field
    assert "did you mean 'trust_gain'" not in lines[-1]  # never the name typed


def test_figures_reports_and_boxes_never_land_on_a_users_files(write, tmp_path, capsys):
    path = write(MINIMAL)
    assert main(["run", str(path), "--out", str(tmp_path / "r")]) == 0
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine", encoding="utf-8")
    assert main(["plot", str(tmp_path / "r"), "--out", str(mine), "--figures", "series"]) == 2
    one_error_line(capsys, f"--out {mine}", "notes.txt")
    assert main(["report", str(tmp_path / "r"), "--out", str(path)]) == 2
    one_error_line(capsys, "not a cdsim report")
    assert path.read_text(encoding="utf-8") == MINIMAL  # untouched
    assert main(["plot", str(tmp_path / "r"), "--figures", "series", "--format", "png"]) == 0
    assert main(["plot", str(tmp_path / "r"), "--figures", "series", "--format", "png"]) == 0
    assert main(["report", str(tmp_path / "r")]) == 0 and main(["report", str(tmp_path / "r")]) == 0


def test_a_policy_raising_keyboardinterrupt_in_a_worker_fails_its_run_only(tmp_path, write):
    module = f"interrupt_{uuid.uuid4().hex[:6]}"
    text = POLICY.replace("sys.exit(7)", "raise KeyboardInterrupt")
    (tmp_path / f"{module}.py").write_text(text, encoding="utf-8")
    path = write(MINIMAL + f"default_policy: '{module}:Quitter'\n")
    code = main(["batch", str(path), "-n", "8", "--workers", "2", "--no-progress",
                 "--out", str(tmp_path / "b")])  # fmt: skip
    runs = read_runs(tmp_path / "b")
    failed = runs[runs["status"] == "failed"]
    assert code == 1 and len(runs) == 8 and 0 < len(failed) < 8
    assert failed["error"].str.startswith("KeyboardInterrupt").all()


def test_resuming_after_the_users_code_changed_is_refused(tmp_path, write, capsys):
    module = f"kept_{uuid.uuid4().hex[:6]}"
    source = tmp_path / f"{module}.py"
    source.write_text(POLICY.replace("< 0.5", "< 0.0"), encoding="utf-8")  # never exits
    path = write(MINIMAL + f"default_policy: '{module}:Quitter'\n")
    args = ["batch", str(path), "-n", "2", "--workers", "1", "--no-progress",
            "--out", str(tmp_path / "b")]  # fmt: skip
    assert main(args) == 0
    assert main([*args, "--resume"]) == 0  # the same code: nothing to do, accepted
    source.write_text(POLICY.replace("< 0.5", "< 0.0") + "\n# changed\n", encoding="utf-8")
    assert main([*args, "--resume"]) == 2
    one_error_line(capsys, "different experiment")


def test_every_kind_of_bad_input_is_one_error_the_command_line_turns_into_exit_2(capsys):
    from sim.batch import BatchError
    from sim.discovery import DiscoveryError
    from sim.errors import InputError
    from sim.plots import FigureError
    from sim.policies.registry import PolicyError
    from sim.resultset import ResultsError
    from sim.sensitivity import SensitivityError

    kinds = (ConfigError, ResultsError, FigureError, DiscoveryError, SensitivityError,
             BatchError, PolicyError)  # fmt: skip
    assert all(issubclass(kind, InputError) for kind in kinds)
    for kind in kinds:
        assert main(["plot", "nowhere"]) == 2  # a ResultsError, from a real command
        one_error_line(capsys, "nowhere", "no such folder")
        with pytest.MonkeyPatch.context() as patch:

            def fail(args, kind=kind):
                raise kind(f"{kind.__name__}: first problem\nsecond problem")

            patch.setattr("sim.cli.cmd_policies", fail)
            assert main(["policies"]) == 2
        err = capsys.readouterr().err
        assert err.splitlines() == [f"error: {kind.__name__}: first problem",
                                    "error: second problem"]  # fmt: skip
