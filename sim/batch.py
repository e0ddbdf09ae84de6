"""Batch execution: the runs of a plan, in chunks, on local processes or a Dask cluster.

Written once against ``concurrent.futures.Executor``: a process pool locally, or the
executor of a Dask ``Client`` (``--scheduler tcp://HOST:PORT``). Workers receive plain data
(the base scenario as a dict, the runs' overrides and seeds), run a chunk, and write its
results themselves as Parquet part files, so the main process holds only counts: memory
stays bounded however many runs. A part is written atomically (to a temporary name, then
renamed), so an interrupted batch keeps every finished chunk and ``--resume`` runs only
what is missing. A run that raises is recorded with its error and traceback; the rest go on.

Results folder::

    manifest.json        what was run, seeds, versions, git commit, times, failures
    runs/part-*.parquet  one row per run (inputs beside outcomes), as workers wrote them
    series/part-*.parquet one row per run and step (the per-step table of every run)
    members/part-*.parquet one row per run and member, at the end of the run
    pairs/part-*.parquet  one row per run and pair of members: border, trust, interoperability
    policy_mix/part-*.parquet one row per run, step and behaviour: members following it
    runs.parquet         all runs, one table (also runs.csv with --csv)
    summary.csv/.md      statistics of every outcome metric per variant and grid point
    differences.csv/.md  paired differences against the baseline variant (several variants)
"""

from __future__ import annotations

import gc
import json
import math
import os
import signal
import sys
import threading
import time
import traceback
import warnings
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing import get_all_start_methods, get_context
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any

import pandas as pd

from sim import outcomes, statistics, tables
from sim.config import Scenario, add_import_paths, from_mapping, merge_data_files
from sim.errors import InputError
from sim.experiment import Plan, Run, replication_seeds
from sim.metrics import METRICS
from sim.results import run
from sim.store import (
    DETAIL_DIRS,
    FORMAT,
    MANIFEST,
    RUNS_DIR,
    clean_and_count,
    file_name,
    git_commit,
    read_manifest,
    read_runs,
    timestamp,
    versions,
    write_atomic,
    write_json,
    write_yaml,
)


class BatchError(InputError):
    """A batch cannot start or continue; the message says why, in one line."""


class BatchInterrupted(Exception):
    """The batch was interrupted; what finished is saved (``--resume`` completes it)."""

    def __init__(self, done: int, total: int):
        super().__init__(f"interrupted: {done} of {total} runs saved")
        self.done = done
        self.total = total


@dataclass
class BatchOutcome:
    """What a finished batch produced."""

    folder: Path
    runs: pd.DataFrame
    summary: pd.DataFrame
    differences: pd.DataFrame
    failed: int
    seconds: float
    manifest: dict[str, Any] = field(default_factory=dict)


# ------------------------------------------------------------------ worker side


#: Whether this process is a local batch worker (see :func:`_worker_start`).
_IN_WORKER = False


def _worker_start() -> None:
    """In a local worker: leave Ctrl-C to the main process, which stops the batch (the
    worker finishes its chunk, saved for --resume), so that a KeyboardInterrupt raised in a
    worker can only come from user code, and fails its run like any other exception."""
    global _IN_WORKER
    _IN_WORKER = True
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def execute_chunk(task: dict[str, Any]) -> dict[str, Any]:
    """Run one chunk (in a worker) and write its part files; return counts only."""
    for folder in task["import_dirs"]:
        add_import_paths(Path(folder))
    folder = Path(task["folder"])
    grid_keys = task["grid_keys"]
    point_keys = ["sample", *grid_keys] if task["sampled"] else grid_keys
    rows: list[dict[str, Any]] = []
    detail: dict[str, list[pd.DataFrame]] = {name: [] for name in DETAIL_DIRS}
    scenarios: dict[tuple[str, ...], Scenario] = {}
    for spec in task["runs"]:
        start = time.perf_counter()
        row: dict[str, Any] = {
            "run_id": spec["run_id"],
            "variant": spec["variant"],
            "replication": spec["replication"],
            "seed": spec["seed"],
            **({"sample": spec["sample"]} if task["sampled"] else {}),
            **{key: _cell(value) for key, value in zip(grid_keys, spec["point"], strict=True)},
        }
        try:
            key = tuple(spec["overrides"])
            if key not in scenarios:
                scenarios[key] = from_mapping(
                    task["base"], spec["overrides"], Path(task["scenario_dir"])
                )
            result = run(scenarios[key], seed=spec["seed"], detail=False)
            row.update(status="ok", error="", traceback="", **result.summary)
            ids = {k: row[k] for k in ("run_id", "variant", "replication", *point_keys)}
            tables = (result.steps, result.members, result.pairs, result.policy_mix)
            for name, table in zip(DETAIL_DIRS, tables, strict=True):
                detail[name].append(table.assign(**ids)[[*ids, *table.columns]])
        except BaseException as err:  # a failure, or user code exiting: record it, go on
            if isinstance(err, KeyboardInterrupt) and not _IN_WORKER:
                raise  # Ctrl-C in a batch run in this process
            if isinstance(err, GeneratorExit):
                raise
            row.update(
                status="failed",
                error=f"{type(err).__name__}: {err}",
                traceback=traceback.format_exc(),
                **dict.fromkeys(METRICS, math.nan),
            )
        row["duration_s"] = time.perf_counter() - start
        rows.append(row)
    part = task["part"]
    for name, tables in detail.items():
        if tables:
            write_atomic(pd.concat(tables, ignore_index=True), folder / name / part)
    runs = pd.DataFrame(rows)
    columns = _run_columns(point_keys)
    own = [c for c in runs.columns if c not in columns]  # the scenario's own outcomes
    at = columns.index("duration_s")
    write_atomic(runs[columns[:at] + own + columns[at:]], folder / RUNS_DIR / part)
    return {"part": part, "runs": len(rows), "failed": int((runs["status"] != "ok").sum())}


def _run_columns(point_keys: Sequence[str]) -> list[str]:
    return [
        "run_id",
        "variant",
        "replication",
        "seed",
        *point_keys,
        "status",
        *METRICS,
        "duration_s",
        "error",
        "traceback",
    ]


def _cell(value: Any) -> Any:
    """A grid value as a table cell: scalars as they are, anything else as JSON text."""
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return json.dumps(value)


# ------------------------------------------------------------------ main side


def run_batch(
    plan: Plan,
    folder: str | Path,
    *,
    workers: int | None = None,
    resume: bool = False,
    scheduler: str | None = None,
    chunk_size: int | None = None,
    progress: bool = True,
    csv: bool = False,
    command: Sequence[str] = (),
) -> BatchOutcome:
    """Run every run of ``plan`` not yet in ``folder`` and write the batch's results.

    Args:
        plan: the expanded experiment.
        folder: the results folder.
        workers: local worker processes (default: all cores); 1 runs in this process.
        resume: complete a folder an interrupted batch left; without it, a folder that
            already holds results is refused.
        scheduler: a Dask scheduler address; the runs go to that cluster instead.
        chunk_size: runs per task (default: shrinking chunks, see :func:`_chunks`).
        progress: show a progress bar with an ETA.
        csv: also write runs.csv.
        command: the command line, for the manifest.

    Raises:
        BatchError: the folder holds other results, or the cluster is unreachable.
        BatchInterrupted: on Ctrl-C, once finished chunks are safe.
    """
    folder = Path(folder)
    fingerprint = plan.fingerprint()
    manifest_path = folder / MANIFEST
    if folder.exists() and not folder.is_dir():
        raise BatchError(f"--out {folder}: a file, not a folder; choose another --out")
    try:
        old = read_manifest(folder) if folder.is_dir() else None
    except ValueError as err:
        raise BatchError(f"{err}; choose another --out") from None
    if old is None and folder.is_dir() and any(folder.iterdir()):
        if resume:
            raise BatchError(f"--resume: {folder} holds no cdsim results (no manifest.json): "
                             "nothing to resume")  # fmt: skip
        raise BatchError(f"--out {folder}: not empty, and not a results folder; choose a new "
                         "or empty folder")  # fmt: skip
    if old is None and resume:
        raise BatchError(f"--resume: {folder} holds no results to complete; leave out --resume "
                         "to start")  # fmt: skip
    if old is not None:
        if old.get("kind") == "run":
            raise BatchError(f"--out {folder}: holds a single run's results (cdsim run); choose "
                             "another --out")  # fmt: skip
        if old.get("fingerprint") != fingerprint:
            raise BatchError(
                f"{folder} holds the results of a different experiment (or of this one before "
                "its settings, data or users' code changed); choose another --out"
            )
        if not resume:
            raise BatchError(
                f"{folder} already holds results of this experiment (status: "
                f"{old.get('status')}); add --resume to complete them, or choose another --out"
            )
    try:
        for name in (RUNS_DIR, *DETAIL_DIRS):
            (folder / name).mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise BatchError(f"--out {folder}: cannot create it ({err.strerror or err})") from None
    done = clean_and_count(folder)
    todo = [r for r in plan.runs if r.run_id not in done]
    workers = workers or os.cpu_count() or 1
    chunks = _chunks(todo, workers, chunk_size)
    sizes = sorted({len(c) for c in chunks}) or [0]
    size = chunk_size or f"{sizes[-1]} down to {sizes[0]}"
    manifest = _manifest(plan, fingerprint, workers, scheduler, size, command)
    if old is not None:  # resuming: keep the first start, note this one
        manifest["resumed"] = [*old.get("resumed", []), manifest["started"]]
        manifest["started"] = old.get("started", manifest["started"])
    manifest["status"] = "running"
    write_json(manifest_path, manifest)
    if old is None:
        _keep_settings(plan, folder)

    start = time.perf_counter()
    bar = _progress(len(plan.runs), len(done), progress)
    failed = 0
    try:
        for result in _execute(plan, folder, chunks, workers, scheduler):
            bar.update(result["runs"])
            failed += result["failed"]
            if failed:
                bar.set_postfix(failed=failed, refresh=False)
    except KeyboardInterrupt:
        bar.close()
        manifest.update(status="interrupted", finished=timestamp())
        write_json(manifest_path, manifest)
        raise BatchInterrupted(len(clean_and_count(folder)), len(plan.runs)) from None
    except Exception as err:  # a worker died, or a cluster worker could not write its part
        bar.close()
        manifest.update(status="broken", finished=timestamp(), error=repr(err))
        write_json(manifest_path, manifest)
        saved = len(clean_and_count(folder))
        raise BatchError(
            f"the batch stopped: {type(err).__name__}: {err}; {saved} of {len(plan.runs)} runs "
            f"are saved in {folder}; fix the cause and rerun with --resume"
        ) from None
    bar.close()
    return _finish(plan, folder, manifest, time.perf_counter() - start, csv)


def _chunks(todo: list[Run], workers: int, chunk_size: int | None) -> list[list[Run]]:
    """The runs in tasks: ``chunk_size`` each if given; otherwise shrinking chunks (guided
    scheduling): each a quarter of the remaining runs per worker, between 1 and 50, so that
    early tasks are long (little overhead) and the last ones short (the workers finish
    together)."""
    chunks, i = [], 0
    while i < len(todo):
        size = chunk_size or max(1, min(50, math.ceil((len(todo) - i) / (workers * 4))))
        chunks.append(todo[i : i + size])
        i += size
    return chunks


def _execute(
    plan: Plan, folder: Path, chunks: list[list[Run]], workers: int, scheduler: str | None
) -> Iterable[dict[str, Any]]:
    """Yield each chunk's counts as it completes, on the chosen backend."""
    tasks = [_task(plan, folder, chunk) for chunk in chunks]
    if not tasks:
        return
    if scheduler is None and workers == 1:
        for task in tasks:
            yield execute_chunk(task)
        return
    # Forked workers share the parent's memory until they write to it; the garbage collector
    # would write to every inherited object (and copy its page). Frozen objects it leaves
    # alone (as the gc module's documentation advises before fork()).
    gc.freeze()
    try:
        yield from _submit(tasks, workers, scheduler)
    finally:
        gc.unfreeze()


def _submit(
    tasks: list[dict[str, Any]], workers: int, scheduler: str | None
) -> Iterable[dict[str, Any]]:
    """Send the tasks to the executor and yield each chunk's counts as it completes."""
    with _executor(workers, scheduler) as executor, warnings.catch_warnings():
        # Python warns about fork() whenever native threads exist (see _process_context).
        warnings.filterwarnings("ignore", "This process .* is multi-threaded", DeprecationWarning)
        futures: list[Future] = [executor.submit(execute_chunk, t) for t in tasks]
        try:
            for future in as_completed(futures):
                yield future.result()
        except BaseException:
            for future in futures:
                future.cancel()
            raise


class _executor:
    """A local process pool, or a Dask cluster's executor, closed on exit."""

    def __init__(self, workers: int, scheduler: str | None):
        self.client = None
        if scheduler is None:
            self.executor: Executor = ProcessPoolExecutor(
                max_workers=workers, mp_context=_process_context(), initializer=_worker_start
            )
            return
        try:
            from dask.distributed import Client
        except ImportError:
            raise BatchError(
                "--scheduler needs Dask: pip install 'cdsim[dask]' (or dask[distributed])"
            ) from None
        try:
            self.client = Client(scheduler, timeout="20s")
        except OSError as err:
            raise BatchError(f"--scheduler {scheduler}: cannot connect ({err})") from None
        self.executor = self.client.get_executor()

    def __enter__(self) -> Executor:
        return self.executor

    def __exit__(self, *exc: object) -> None:
        if self.client is not None:
            self.client.close()
        else:
            self.executor.shutdown(wait=exc[0] is None, cancel_futures=True)


def _process_context() -> BaseContext:
    """How to start local workers.

    ``fork`` where the system has it and this process runs no other Python thread: workers
    then start at once, with the model already imported. The native thread pools of NumPy's
    BLAS and of Arrow re-initialise themselves in a forked child, so they do not count.
    Otherwise ``forkserver``, whose server imports the model once for all the workers.
    """
    if "fork" in get_all_start_methods() and threading.active_count() == 1:
        return get_context("fork")
    context = get_context("forkserver" if "forkserver" in get_all_start_methods() else "spawn")
    if context.get_start_method() == "forkserver":
        context.set_forkserver_preload(["sim.batch"])
    return context


def _task(plan: Plan, folder: Path, chunk: list[Run]) -> dict[str, Any]:
    return {
        "base": plan.base,
        "scenario_dir": plan.scenario_dir,
        "import_dirs": list(plan.import_dirs),
        "folder": str(folder),
        "grid_keys": list(plan.grid_keys),
        "sampled": plan.sampled,
        "part": f"part-{chunk[0].run_id:07d}-{chunk[-1].run_id:07d}.parquet",
        "runs": [
            {
                "run_id": r.run_id,
                "variant": r.variant,
                "replication": r.replication,
                "seed": r.seed,
                "sample": r.sample,
                "point": [v for _, v in r.point],
                "overrides": plan.overrides(r),
            }
            for r in chunk
        ],
    }


def _finish(
    plan: Plan, folder: Path, manifest: dict[str, Any], seconds: float, csv: bool
) -> BatchOutcome:
    runs = read_runs(folder)
    runs.to_parquet(folder / "runs.parquet", index=False)
    if csv:
        runs.drop(columns=["traceback"]).to_csv(folder / "runs.csv", index=False)
    metrics = [*METRICS, *own_outcomes(runs, plan)]
    by = ["variant", *plan.group_keys]
    summary = statistics.describe(runs, metrics, by=by)
    summary.to_csv(folder / "summary.csv", index=False)
    (folder / "summary.md").write_text(tables.markdown_summary(plan, summary), encoding="utf-8")
    differences = pd.DataFrame()
    if len(plan.experiment.variants) > 1:
        differences = statistics.paired_differences(
            runs,
            metrics,
            plan.experiment.baseline_variant,
            pair_on=plan.pair_keys,
            by=plan.group_keys,
        )
        differences.to_csv(folder / "differences.csv", index=False)
        (folder / "differences.md").write_text(
            tables.markdown_differences(plan, differences), encoding="utf-8"
        )
    failed = runs[runs["status"] != "ok"]
    manifest.update(
        outcomes=_outcome_info(runs, plan),
        status="complete",
        finished=timestamp(),
        runs_total=len(plan.runs),
        runs_ok=int((runs["status"] == "ok").sum()),
        runs_failed=len(failed),
        failed_run_ids=[int(i) for i in failed["run_id"][:1000]],
        seconds_this_session=round(seconds, 3),
    )
    write_json(folder / MANIFEST, manifest)
    return BatchOutcome(folder, runs, summary, differences, len(failed), seconds, manifest)


def own_outcomes(runs: pd.DataFrame, plan: Plan) -> list[str]:
    """The columns of the runs table that are users' own outcomes (sim.outcomes)."""
    known = {*_run_columns(["sample", *plan.grid_keys]), "traceback", "error"}
    return [c for c in runs.columns if c not in known]


def _outcome_info(runs: pd.DataFrame, plan: Plan) -> dict[str, list[str]]:
    """Each own outcome column's description and unit, from the scenario that names it."""
    specs = plan.scenario_for(plan.runs[0]).outcomes if plan.runs else {}
    dumped = {name: spec.model_dump() for name, spec in specs.items()}
    return {k: list(v) for k, v in outcomes.labels(own_outcomes(runs, plan), dumped).items()}


def _progress(total: int, initial: int, enabled: bool):
    from tqdm import tqdm

    tqdm.monitor_interval = 0  # no monitor thread: workers can then be forked safely
    return tqdm(total=total, initial=initial, unit="run", disable=not enabled, smoothing=0.1)


def _keep_settings(plan: Plan, folder: Path) -> None:
    """Keep what makes the runs, so the folder can be re-run after its files change:
    ``scenario.yaml`` (the base scenario as written, its data files merged in),
    ``experiment.yaml`` (the experiment, naming that copy: ``cdsim experiment
    DIR/experiment.yaml`` runs the same runs) and ``resolved/<variant>.yaml`` (each variant's
    complete scenario, every default filled in; a grid or design point's values are in the
    runs table)."""
    base = merge_data_files(plan.base, Path(plan.scenario_dir))
    write_yaml(folder / "scenario.yaml", base)
    experiment = plan.experiment.model_dump(mode="json", exclude_defaults=True)
    write_yaml(folder / "experiment.yaml", {**experiment, "scenario": "scenario.yaml"})
    (folder / "resolved").mkdir(exist_ok=True)
    for variant in plan.experiment.variants:
        scenario = plan.scenario_for(Run(-1, variant, (), 0, 0))
        path = folder / "resolved" / f"{file_name(variant)}.yaml"
        write_yaml(path, scenario.model_dump(mode="json"))


def _manifest(
    plan: Plan,
    fingerprint: str,
    workers: int,
    scheduler: str | None,
    chunk_size: int | str,
    command: Sequence[str],
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "experiment": plan.experiment.model_dump(mode="json"),
        "fingerprint": fingerprint,
        "root_seed": plan.experiment.seed,
        "replication_seeds": replication_seeds(plan.experiment.seed, plan.experiment.replications),
        "runs_total": len(plan.runs),
        "grid": plan.group_keys,
        "sampled": [] if not plan.sampled else list(plan.grid_keys),
        "backend": f"dask {scheduler}" if scheduler else f"{workers} local process(es)",
        "chunk_size": chunk_size,
        "versions": versions(),
        "git_commit": git_commit(),
        "command": list(command) or sys.argv,
        "started": timestamp(),
    }
