"""Speed against another commit, side by side: runs per second, batches on 1 and 2 workers,
the cost of a step as the group grows, peak memory, and a Sobol analysis.

    python benchmarks/scaling.py --against 65d857f              # everything (~15 minutes)
    python benchmarks/scaling.py --against 65d857f --only steps --only runs
    python benchmarks/scaling.py --against HEAD~1 --quick        # smaller, for a first look

The other commit is checked out into a temporary git worktree. Every measurement runs in a
fresh Python process with one side's package first on the path; the two sides alternate,
``--repeat`` times, and the medians are compared. Sections (``--only``):

- ``runs``: ten-year runs of ``scenarios/asean_way.yaml`` per second in one process, as a
  batch worker runs them (no member-step table, no event log).
- ``batch``: the same scenario as a 200-run batch (``cdsim batch``'s runner) on 1 and on 2
  workers: runs per second, the 2-worker speed-up, and the peak memory of the largest
  worker at 50 and at 200 runs (it should not grow with the number of runs).
- ``steps``: the time of a step of synthetic groups of 11, 32, 100 and 200 members
  (``cdsim generate``, seed 0, written once and run by both sides; 24 steps after 2 of
  warm-up), and its ratio to the 11-member step.
- ``sobol``: this side only: a Sobol analysis of the ten default parameters at N = 256
  with second-order indices (256 x 22 = 5,632 ten-year runs) on 2 workers, and how long
  it took.

Prints Markdown tables (docs/PERFORMANCE.md keeps a copy, with the command).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES = (11, 32, 100, 200)
#: The environment every measured process gets (plus PYTHONPATH: the side measured).
ENV = {"PATH": "/usr/bin:/bin", "HOME": tempfile.gettempdir()}

RUNS = """
import json, sys, time
from sim.config import load_scenario
from sim.results import run
config = load_scenario(sys.argv[1])
run(config, seed=0, detail=False)  # warm up imports and caches
start = time.perf_counter()
for seed in range(int(sys.argv[2])):
    run(config, seed=seed, detail=False)
print(json.dumps({"seconds": time.perf_counter() - start}))
"""

BATCH = """
import json, resource, sys, tempfile, time
from pathlib import Path
from sim.batch import run_batch
from sim.experiment import plan, single_scenario
experiment = single_scenario(sys.argv[1], int(sys.argv[2]), [], 0)
the_plan = plan(experiment)
with tempfile.TemporaryDirectory() as out:
    start = time.perf_counter()
    run_batch(the_plan, Path(out) / "b", workers=int(sys.argv[3]), progress=False)
    seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "worker_peak_mb": peak}))
"""

STEPS = """
import json, sys, time
from sim.config import load_scenario
from sim.results import run
config = load_scenario(sys.argv[1])
steps = int(sys.argv[2])
run(config, seed=0, steps=2, detail=False)  # warm up
start = time.perf_counter()
run(config, seed=1, steps=steps + 2, detail=False)
whole = time.perf_counter() - start
start = time.perf_counter()
run(config, seed=1, steps=2, detail=False)
setup = time.perf_counter() - start  # building the model, two steps, the tables
print(json.dumps({"seconds": max(whole - setup, 1e-9) / steps}))
"""


def python(root: Path, code: str, *args: object) -> dict:
    """Run ``code`` with ``root``'s package first on the path; its last line is JSON."""
    done = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        cwd=root, env=ENV | {"PYTHONPATH": str(root)},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"measurement failed in {root}:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def alternate(sides: dict[str, Path], repeat: int, measure) -> dict[str, list[dict]]:
    """``measure(root)`` for every side in turn, ``repeat`` times."""
    out: dict[str, list[dict]] = {name: [] for name in sides}
    for _ in range(repeat):
        for name, root in sides.items():
            out[name].append(measure(root))
    return out


def median(rows: list[dict], key: str) -> float:
    """The median of ``key`` over measurements."""
    return statistics.median(r[key] for r in rows)


# ---------------------------------------------------------------- sections


def runs_section(sides: dict[str, Path], repeat: int, runs: int) -> None:
    """Ten-year ASEAN runs per second, one process."""
    res = alternate(sides, repeat, lambda root: python(
        root, RUNS, root / "scenarios" / "asean_way.yaml", runs))  # fmt: skip
    print(f"\n### Ten-year ASEAN runs, one process ({runs} runs x {repeat}, medians)\n")
    print("| code | runs per second | seconds per run | all runs/s |")
    print("|---|---|---|---|")
    rates = {}
    for name, rows in res.items():
        rates[name] = runs / median(rows, "seconds")
        every = ", ".join(f"{runs / r['seconds']:.1f}" for r in rows)
        print(f"| {name} | {rates[name]:.2f} | {1 / rates[name]:.4f} | {every} |")
    a, b = list(rates)
    print(f"\n{a.capitalize()} runs {rates[a] / rates[b]:.2f}x as many runs per second as {b}.")


def batch_section(sides: dict[str, Path], repeat: int, runs: int, small: int) -> None:
    """A batch on 1 and 2 workers, and the worker's peak memory at two batch sizes."""
    print(f"\n### A {runs}-run batch of scenarios/asean_way.yaml (medians of {repeat})\n")
    print("| code | runs | workers | seconds | runs per second | speed-up | worker peak (MB) |")
    print("|---|---|---|---|---|---|---|")
    rates: dict[tuple[str, int], float] = {}
    for n, workers_list in ((runs, (1, 2)), (small, (2,))):
        for workers in workers_list:
            res = alternate(sides, repeat, lambda root, n=n, w=workers: python(
                root, BATCH, root / "scenarios" / "asean_way.yaml", n, w))  # fmt: skip
            for name, rows in res.items():
                seconds = median(rows, "seconds")
                peak = max(r["worker_peak_mb"] for r in rows)
                if n == runs:
                    rates[name, workers] = n / seconds
                speed = f"{rates[name, workers] / rates[name, 1]:.2f}" if n == runs else ""
                print(f"| {name} | {n} | {workers} | {seconds:.1f} | {n / seconds:.2f} | "
                      f"{speed} | {peak:.0f} |")  # fmt: skip
    a, b = list(sides)
    for workers in (1, 2):
        ratio = rates[a, workers] / rates[b, workers]
        label = f"{workers} worker{'s' if workers > 1 else ''}"
        print(f"\nOn {label} {a} runs {ratio:.2f}x as many runs per second as {b}.")


def steps_section(sides: dict[str, Path], repeat: int, steps: int, folder: Path) -> None:
    """The time of a step as the group grows."""
    import yaml

    from sim.synthetic import synthetic_group  # this side's generator, for both sides

    files = {}
    for n in SIZES:
        files[n] = folder / f"world{n}.yaml"
        files[n].write_text(yaml.safe_dump(synthetic_group(n, seed=0), sort_keys=False))
    per_step: dict[str, dict[int, float]] = {name: {} for name in sides}
    for n in SIZES:
        res = alternate(sides, repeat, lambda root, n=n: python(root, STEPS, files[n], steps))
        for name, rows in res.items():
            per_step[name][n] = median(rows, "seconds")
    print(f"\n### Time of a step by group size (synthetic groups, {steps} steps, medians of "
          f"{repeat})\n")  # fmt: skip
    header = " | ".join(f"{name} (ms)" for name in sides)
    ratios = " | ".join(f"{name}: x 11-member step" for name in sides)
    print(f"| members | {header} | {ratios} | speed-up |")
    print("|---|" + "---|" * (2 * len(sides) + 1))
    a, b = list(sides)
    for n in SIZES:
        times = " | ".join(f"{per_step[name][n] * 1000:.2f}" for name in sides)
        rel = " | ".join(f"{per_step[name][n] / per_step[name][SIZES[0]]:.1f}" for name in sides)
        print(f"| {n} | {times} | {rel} | {per_step[b][n] / per_step[a][n]:.2f} |")


def sobol_section(root: Path, workers: int, size: int) -> None:
    """A Sobol analysis with second-order indices, timed (this side only)."""
    import pandas as pd

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "sobol"
        command = [
            sys.executable, "-m", "sim", "sensitivity", "scenarios/asean_way.yaml",
            "--method", "sobol", "--samples", str(size), "--second-order",
            "--workers", str(workers), "--out", str(out), "--no-progress", "--format", "png",
        ]  # fmt: skip
        start = time.perf_counter()
        done = subprocess.run(command, cwd=root, env=ENV | {"PYTHONPATH": str(root)},
                              capture_output=True, text=True, check=False)  # fmt: skip
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(f"the Sobol analysis failed:\n{done.stderr[-3000:]}")
        runs = len(pd.read_parquet(out / "runs.parquet", columns=["run_id"]))
    shown = " ".join(["cdsim", *command[3:-5]])
    print(f"\n### Sobol analysis, this checkout\n\n`{shown}`: {runs} runs in "
          f"{seconds / 60:.1f} minutes ({seconds:.0f} s), on {workers} workers.")  # fmt: skip


def main() -> None:
    """Measure the sections asked for and print their tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", required=True, help="the commit to compare with")
    parser.add_argument("--repeat", type=int, default=3, help="alternating measurements")
    parser.add_argument("--only", action="append",
                        choices=["runs", "batch", "steps", "sobol"])  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a first look")
    args = parser.parse_args()
    only = set(args.only or ["runs", "batch", "steps", "sobol"])
    with tempfile.TemporaryDirectory() as tmp:
        other = Path(tmp) / "other"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(other), args.against],
            check=True, capture_output=True,
        )  # fmt: skip
        sides = {"this checkout": ROOT, args.against: other}
        try:
            print(f"Measured {time.strftime('%Y-%m-%d')} with `python benchmarks/scaling.py "
                  f"{' '.join(sys.argv[1:])}`")  # fmt: skip
            if "runs" in only:
                runs_section(sides, args.repeat, 10 if args.quick else 30)
            if "batch" in only:
                batch_section(sides, args.repeat, *((40, 10) if args.quick else (200, 50)))
            if "steps" in only:
                steps_section(sides, args.repeat, 6 if args.quick else 24, Path(tmp))
            if "sobol" in only:
                sobol_section(ROOT, 2, 16 if args.quick else 256)
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(other)],
                check=False, capture_output=True,
            )  # fmt: skip


if __name__ == "__main__":
    main()
