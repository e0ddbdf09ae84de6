"""The results folder: its layout, atomic writes, the manifest, and the readers.

One shape for every command that runs the model. A single ``cdsim run`` is a batch of one:
the same Parquet tables and manifest as ``cdsim batch`` and ``cdsim experiment``, plus the
tables only a single run keeps (every member's every step, every threat, the event log).
CSV copies are written on request (``--csv``). Everything that reads a results folder
(:mod:`sim.resultset`, the report, the figures) reads it through this module, so it never
needs the batch runner.

Layout (format 3)::

    manifest.json          what was run (kind: run or batch), seeds, versions, git commit,
                           times, failures, the users' own outcomes
    scenario.yaml          the base scenario as run: data files merged in (a single run's is
                           complete, seed included: ``cdsim run DIR/scenario.yaml`` repeats it)
    experiment.yaml        a batch's experiment, naming that copy (``cdsim experiment
                           DIR/experiment.yaml`` repeats it)
    resolved/<variant>.yaml each variant's complete scenario, every default filled in
    runs/part-*.parquet    one row per run: ids, inputs beside outcomes
    series/part-*.parquet  one row per run and step
    members/part-*.parquet one row per run and member, at the end
    pairs/part-*.parquet   one row per run and pair of members, at the end
    policy_mix/part-*.parquet one row per run, step and behaviour followed
    member_steps/, threats/, events/, threats_by_type/  a single run's detail tables
    runs.parquet           all runs, one table (``runs.csv`` and, for a single run, every
                           table as CSV with ``--csv``)
    summary.csv/.md, differences.csv/.md  a batch's statistics

A part is written to a temporary name and then renamed, so an interrupted write never leaves
half a table; :func:`clean_and_count` removes leftovers and says which runs are saved.
Format 2 folders (batches of cdsim 0.2) read as they are; format 1 had no per-member tables.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import platform
import re
import subprocess
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

FORMAT = 3
MANIFEST = "manifest.json"
RUNS_DIR = "runs"
SERIES_DIR = "series"
MEMBERS_DIR = "members"
PAIRS_DIR = "pairs"
MIX_DIR = "policy_mix"
#: Per-run tables every run writes, beside ``runs/``.
DETAIL_DIRS = (SERIES_DIR, MEMBERS_DIR, PAIRS_DIR, MIX_DIR)
#: Tables only a single run keeps (a batch would hold millions of rows).
RUN_ONLY_DIRS = ("member_steps", "threats", "events", "threats_by_type")
#: Tables whose CSV file (``--csv``) is not named after their folder.
CSV_NAMES = {SERIES_DIR: "steps.csv"}
FIRST_PART = "part-00000.parquet"


def file_name(name: str) -> str:
    """``name`` as one safe file or folder name: letters, digits, ``.``, ``_`` and ``-`` kept,
    anything else (a path separator, a space) as ``_``; never empty, never ``.``/``..``."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", name).strip(".") or "_"


def write_atomic(frame: pd.DataFrame, path: Path) -> None:
    """Write a Parquet table whole or not at all (a temporary name, then a rename)."""
    tmp = path.with_suffix(".tmp")
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, path)


def write_json(path: Path, data: Mapping[str, Any]) -> None:
    """Write strict JSON (undefined numbers as null) whole or not at all."""
    tmp = path.with_suffix(".tmp")
    text = json.dumps(strict_json(data), indent=2, default=str, allow_nan=False)
    tmp.write_text(text + "\n", encoding="utf-8")
    os.replace(tmp, path)


def write_yaml(path: Path, data: Any) -> None:
    """Write a YAML file people can read and edit (keys in the order given)."""
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    path.write_text(text, encoding="utf-8")


def strict_json(data: Any) -> Any:
    """``data`` with undefined numbers (NaN, inf) as None: JSON's ``null``, which strict
    readers accept where they refuse ``NaN``."""
    if isinstance(data, float) and not math.isfinite(data):
        return None
    if isinstance(data, Mapping):
        return {k: strict_json(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [strict_json(v) for v in data]
    return data


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The folder's manifest, or None if it has none. Raises ValueError (with the file's
    name) if it cannot be read."""
    path = folder / MANIFEST
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ValueError(f"{path}: unreadable ({err})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: unreadable (not a JSON object)")
    return data


def clean_and_count(folder: Path) -> set[int]:
    """Remove leftovers of an interrupted write; return the ids of the runs saved."""
    for name in (RUNS_DIR, *DETAIL_DIRS):
        for tmp in (folder / name).glob("*.tmp"):
            tmp.unlink()
    runs = {p.name for p in (folder / RUNS_DIR).glob("part-*.parquet")}
    for name in DETAIL_DIRS:
        for orphan in (folder / name).glob("part-*.parquet"):
            if orphan.name not in runs:  # its runs part was never written: the chunk reruns
                orphan.unlink()
    done: set[int] = set()
    for name in sorted(runs):
        ids = pd.read_parquet(folder / RUNS_DIR / name, columns=["run_id"])["run_id"]
        done.update(int(i) for i in ids)
    return done


def read_runs(folder: str | Path) -> pd.DataFrame:
    """All run rows saved in a results folder, ordered by run id."""
    parts = sorted((Path(folder) / RUNS_DIR).glob("part-*.parquet"))
    if not parts:
        return pd.DataFrame()
    frame = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
    return frame.sort_values("run_id", kind="stable").reset_index(drop=True)


def read_series(folder: str | Path, columns: list[str] | None = None) -> pd.DataFrame:
    """The per-step table of every run in a results folder (one row per run and step)."""
    frame = pd.read_parquet(Path(folder) / SERIES_DIR, columns=columns)
    return frame.sort_values(["run_id", "month"], kind="stable").reset_index(drop=True)


def read_detail(folder: str | Path, name: str) -> pd.DataFrame | None:
    """A per-run table (``series``, ``members``, ``pairs``, ``policy_mix``, or a single
    run's ``threats``, ``events``...) ordered by run id; None if the folder has none."""
    parts = sorted((Path(folder) / name).glob("part-*.parquet"))
    if not parts:
        return None
    frame = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
    return frame.sort_values("run_id", kind="stable").reset_index(drop=True)


def write_run(
    folder: Path,
    *,
    row: Mapping[str, Any],
    tables: Mapping[str, pd.DataFrame],
    scenario: Mapping[str, Any],
    outcomes: Mapping[str, Sequence[str]],
    command: Sequence[str],
    started: str | None = None,
    csv: bool = False,
) -> None:
    """Write one run as a batch of one.

    Args:
        folder: a new or empty folder.
        row: the run's row of the runs table: ``run_id`` 0, ``variant`` (the scenario's
            name), ``replication`` 0, ``seed``, ``status``, the outcome metrics,
            ``duration_s``.
        tables: per-run tables by folder name (:data:`DETAIL_DIRS`, :data:`RUN_ONLY_DIRS`).
        scenario: the complete scenario as run, seed included.
        outcomes: the users' own outcomes: column -> (description, unit).
        command: the command line, for the manifest.
        started: when the run started (default: now).
        csv: also write every table as CSV.

    Raises:
        FileExistsError: ``folder`` exists and is not empty (results are never mixed).
    """
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise FileExistsError(f"{folder}: not a new or empty folder")
    ids = {"run_id": 0, "variant": row["variant"], "replication": 0}
    runs = pd.DataFrame([{**row, "error": "", "traceback": ""}])
    for name in (RUNS_DIR, *tables):
        (folder / name).mkdir(parents=True, exist_ok=True)
    tables = {name: table.assign(**ids)[[*ids, *table.columns]] for name, table in tables.items()}
    for name, table in tables.items():
        write_atomic(table, folder / name / FIRST_PART)
    write_atomic(runs, folder / RUNS_DIR / FIRST_PART)
    runs.to_parquet(folder / "runs.parquet", index=False)
    write_yaml(folder / "scenario.yaml", dict(scenario))
    (folder / "resolved").mkdir(exist_ok=True)
    write_yaml(folder / "resolved" / f"{file_name(row['variant'])}.yaml", dict(scenario))
    if csv:
        runs.drop(columns=["traceback"]).to_csv(folder / "runs.csv", index=False)
        for name, table in tables.items():
            table.to_csv(folder / CSV_NAMES.get(name, f"{name}.csv"), index=False)
    now = timestamp()
    write_json(folder / MANIFEST, {
        "format": FORMAT,
        "kind": "run",
        "experiment": {"name": row["variant"], "scenario": "scenario.yaml", "replications": 1,
                       "seed": row["seed"], "variants": {row["variant"]: {}}},
        "root_seed": row["seed"],
        "runs_total": 1,
        "runs_ok": 1,
        "runs_failed": 0,
        "grid": [],
        "sampled": [],
        "backend": "this process",
        "outcomes": {k: list(v) for k, v in outcomes.items()},
        "versions": versions(),
        "git_commit": git_commit(),
        "command": list(command),
        "started": started or now,
        "finished": now,
        "status": "complete",
    })  # fmt: skip


def versions() -> dict[str, str]:
    """The versions of Python and of the packages results depend on."""
    from sim import __version__  # this code's version, whatever the installed metadata says

    found = {"python": platform.python_version(), "cdsim": __version__}
    for package in ("mesa", "numpy", "pandas", "pydantic", "pyarrow", "distributed"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return found


def git_commit() -> str | None:
    """The commit of the code that ran (with '-dirty' for local changes), if in a checkout."""
    here = Path(__file__).resolve().parent
    try:
        head = subprocess.run(
            ["git", "-C", str(here), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(here), "status", "--porcelain", "--", "."],
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("-dirty" if dirty else "")


def timestamp() -> str:
    """Now, in UTC, to the second (ISO 8601)."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
