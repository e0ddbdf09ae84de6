"""Speed and memory of batch runs, measured side by side in one run of this script.

    python benchmarks/batch_speed.py                 # everything (about 40 minutes here)
    python benchmarks/batch_speed.py --only headline # 1 vs 2 workers on the headline experiment
    python benchmarks/batch_speed.py --only mesa     # against mesa.batch_run
    python benchmarks/batch_speed.py --only scale    # 1,000 and 10,000 runs

Every contender runs in a fresh Python process, which reports its wall time and peak
memory (resident set size of the main process, and the largest of its worker processes).
Runs alternate between contenders and repeat (``--repeat``); the medians are compared.
Results go to stdout as Markdown tables (docs/PERFORMANCE.md holds a copy).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADLINE = ROOT / "experiments" / "asean_way_vs_commitment.yaml"
ASEAN = ROOT / "scenarios" / "asean_way.yaml"
TEACHING = ROOT / "scenarios" / "teaching.yaml"


# ---------------------------------------------------------------- contenders (subprocess)


def contender(spec: dict) -> dict:
    """Run one contender in this process and return its measurements."""
    start = time.perf_counter()
    if spec["kind"] == "loop":  # the model alone, in a plain loop: no runner at all
        from sim.config import load_scenario
        from sim.results import run

        config = load_scenario(spec["scenario"])
        for seed in range(spec["replications"]):
            run(config, seed=seed, detail=False)
        runs = spec["replications"]
    elif spec["kind"] == "cdsim":
        from sim.batch import run_batch
        from sim.experiment import ExperimentConfig, load_experiment, plan

        if "experiment" in spec:
            experiment = load_experiment(spec["experiment"])
        else:
            experiment = ExperimentConfig(
                name="bench", scenario=spec["scenario"], replications=spec["replications"],
                seed=1, steps=spec.get("steps"), variants=spec.get("variants", {"base": {}}),
            )  # fmt: skip
        p = plan(experiment)
        with tempfile.TemporaryDirectory() as out:
            outcome = run_batch(p, Path(out) / "b", workers=spec["workers"], progress=False)
        runs = len(outcome.runs)
    else:  # mesa.batch_run on the same model, parameters and number of runs
        import warnings

        from mesa.batchrunner import batch_run

        from sim.experiment import replication_seeds
        from sim.model import CollectiveDefenceModel

        warnings.simplefilter("ignore")
        rows = batch_run(
            CollectiveDefenceModel,
            parameters={"scenario": spec["scenario"], "rules__preset": spec["presets"]},
            rng=replication_seeds(1, spec["replications"]),
            iterations=None,
            max_steps=spec["steps"],
            number_processes=spec["workers"],
            data_collection_period=1,  # every step, as cdsim keeps every run's series
            display_progress=False,
        )
        runs = len({(r["RunId"]) for r in rows})
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "runs": runs,
        "main_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "worker_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


def measure(spec: dict) -> dict:
    """Run a contender in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, __file__, "_contender", json.dumps(spec)],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"contender {spec} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def median_of(specs: dict[str, dict], repeat: int) -> dict[str, dict]:
    """Run every contender ``repeat`` times, interleaved; keep the median time per contender."""
    results: dict[str, list[dict]] = {name: [] for name in specs}
    for _ in range(repeat):
        for name, spec in specs.items():
            results[name].append(measure(spec))
            print(f"  {name}: {results[name][-1]['seconds']:.1f} s", file=sys.stderr)
    out = {}
    for name, rows in results.items():
        seconds = statistics.median(r["seconds"] for r in rows)
        out[name] = {
            "seconds": seconds,
            "all_seconds": [round(r["seconds"], 1) for r in rows],
            "runs": rows[0]["runs"],
            "runs_per_s": rows[0]["runs"] / seconds,
            "main_peak_mb": max(r["main_peak_mb"] for r in rows),
            "worker_peak_mb": max(r["worker_peak_mb"] for r in rows),
        }
    return out


# ---------------------------------------------------------------- sections


def ceiling(repeat: int, runs: int = 40) -> float:
    """The speed-up the machine allows: one process running the model alone, against two
    such processes at once (no runner involved). Returns the median ceiling."""
    spec = {"kind": "loop", "scenario": str(ASEAN), "replications": runs}
    ratios = []
    for _ in range(repeat):
        solo = measure(spec)["seconds"]
        procs = [
            subprocess.Popen([sys.executable, __file__, "_contender", json.dumps(spec)],
                             stdout=subprocess.PIPE, text=True, cwd=ROOT)
            for _ in range(2)
        ]  # fmt: skip
        pair = max(json.loads(p.communicate()[0].strip().splitlines()[-1])["seconds"]
                   for p in procs)  # fmt: skip
        ratios.append(2 * solo / pair)
        print(f"  ceiling: solo {solo:.1f} s, two at once {pair:.1f} s", file=sys.stderr)
    return statistics.median(ratios)


def headline(repeat: int) -> None:
    """The headline ASEAN experiment with 1 and with 2 local workers."""
    specs = {
        f"{w} worker{'s' if w > 1 else ''}": {
            "kind": "cdsim",
            "experiment": str(HEADLINE),
            "workers": w,
        }  # fmt: skip
        for w in (1, 2)
    }
    r = median_of(specs, repeat)
    one, two = r["1 worker"], r["2 workers"]
    print(f"\n### Headline experiment ({HEADLINE.relative_to(ROOT)}, {one['runs']} runs)\n")
    print("| workers | median time (s) | all times (s) | runs/s | speed-up | efficiency |")
    print("|---|---|---|---|---|---|")
    for name, row in r.items():
        speedup = one["seconds"] / row["seconds"]
        workers = int(name.split()[0])
        print(f"| {workers} | {row['seconds']:.1f} | {row['all_seconds']} | "
              f"{row['runs_per_s']:.2f} | {speedup:.2f} | {speedup / workers:.2f} |")  # fmt: skip
    speedup = one["seconds"] / two["seconds"]
    pairs = [a / b for a, b in zip(one["all_seconds"], two["all_seconds"], strict=True)]
    print(f"\nSpeed-up with 2 workers: **{speedup:.2f}x** (medians; repetition by "
          f"repetition: {', '.join(f'{p:.2f}' for p in pairs)})")  # fmt: skip
    limit = ceiling(repeat)
    print(f"\nThe machine's own ceiling, two copies of the model run at once without any "
          f"runner: **{limit:.2f}x**; the runner reaches {speedup / limit:.0%} of it.")  # fmt: skip


def against_mesa(repeat: int, replications: int) -> None:
    """The runner of cdsim against mesa.batch_run on the same model, parameters and runs."""
    presets = ["non_intervention", "collective_commitment"]
    base = {"scenario": str(ASEAN), "replications": replications, "steps": 120}
    variants = {p: {"rules.preset": p} for p in presets}
    specs = {}
    for w in (1, 2):
        specs[f"cdsim, {w} process(es)"] = {**base, "kind": "cdsim", "workers": w,
                                            "variants": variants}  # fmt: skip
        specs[f"mesa.batch_run, {w} process(es)"] = {**base, "kind": "mesa", "workers": w,
                                                     "presets": presets}  # fmt: skip
    r = median_of(specs, repeat)
    n = 2 * replications
    print(f"\n### Against mesa.batch_run ({ASEAN.relative_to(ROOT)}, 2 rules x "
          f"{replications} seeds = {n} runs of 120 steps, per-step data kept)\n")  # fmt: skip
    print("| contender | median time (s) | all times (s) | runs/s | main process peak (MB) |"
          " worker peak (MB) |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for name, row in r.items():
        print(f"| {name} | {row['seconds']:.1f} | {row['all_seconds']} | {row['runs_per_s']:.2f}"
              f" | {row['main_peak_mb']:.0f} | {row['worker_peak_mb']:.0f} |")  # fmt: skip
    for w in (1, 2):
        ours, theirs = r[f"cdsim, {w} process(es)"], r[f"mesa.batch_run, {w} process(es)"]
        print(f"\n{w} process(es): cdsim takes {ours['seconds'] / theirs['seconds']:.2f}x "
              f"the time of mesa.batch_run; main-process memory "
              f"{ours['main_peak_mb']:.0f} MB against {theirs['main_peak_mb']:.0f} MB")  # fmt: skip


def memory_growth(replications: list[int]) -> None:
    """Peak memory of both runners as the number of runs grows."""
    presets = ["non_intervention", "collective_commitment"]
    print("\n### Memory as the number of runs grows (2 processes, teaching scenario, 120 steps)\n")
    print("| runs | cdsim main (MB) | cdsim worker (MB) | mesa.batch_run main (MB) |"
          " mesa.batch_run worker (MB) |")  # fmt: skip
    print("|---|---|---|---|---|")
    for reps in replications:
        base = {"scenario": str(TEACHING), "replications": reps, "steps": 120, "workers": 2}
        ours = measure({**base, "kind": "cdsim",
                        "variants": {p: {"rules.preset": p} for p in presets}})  # fmt: skip
        theirs = measure({**base, "kind": "mesa", "presets": presets})
        print(f"| {2 * reps} | {ours['main_peak_mb']:.0f} | {ours['worker_peak_mb']:.0f} | "
              f"{theirs['main_peak_mb']:.0f} | {theirs['worker_peak_mb']:.0f} |")  # fmt: skip


def scale(sizes: list[int]) -> None:
    """Runs per second, parallel efficiency and peak memory at 1,000 and 10,000 runs."""
    base = {"kind": "cdsim", "scenario": str(TEACHING), "steps": 60}
    print(f"\n### Scale ({TEACHING.relative_to(ROOT)}, 60 steps per run)\n")
    print("| runs | workers | time (s) | runs/s | parallel efficiency | main peak (MB) |"
          " worker peak (MB) |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    for n in sizes:
        serial_rate = None
        for w in (1, 2):
            row = measure({**base, "replications": n, "workers": w})
            rate = row["runs"] / row["seconds"]
            serial_rate = serial_rate or rate
            efficiency = rate / (w * serial_rate)
            memory = f"{row['main_peak_mb']:.0f} | {row['worker_peak_mb']:.0f}"
            print(f"| {n} | {w} | {row['seconds']:.1f} | {rate:.1f} | {efficiency:.2f} | "
                  f"{memory} |", flush=True)  # fmt: skip


def main() -> None:
    """Run the chosen sections, or one contender when called as ``_contender SPEC``."""
    if len(sys.argv) == 3 and sys.argv[1] == "_contender":
        print(json.dumps(contender(json.loads(sys.argv[2]))))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["headline", "mesa", "memory", "scale"], action="append")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="small sizes, one repetition")
    args = parser.parse_args()
    only = set(args.only or ["headline", "mesa", "memory", "scale"])
    repeat = 1 if args.quick else args.repeat
    print(f"Machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; "
          f"{time.strftime('%Y-%m-%d')}")  # fmt: skip
    if "headline" in only:
        headline(repeat)
    if "mesa" in only:
        against_mesa(repeat, 10 if args.quick else 50)
    if "memory" in only:
        memory_growth([10, 40] if args.quick else [50, 200, 800])
    if "scale" in only:
        scale([100, 300] if args.quick else [1000, 10000])


if __name__ == "__main__":
    main()
