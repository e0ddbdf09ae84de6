"""Speed of one ten-year run of the default scenario, against another commit, side by side.

    python benchmarks/run_speed.py --against 16f9377      # this checkout vs that commit
    python benchmarks/run_speed.py --against HEAD~1 --runs 40 --repeat 5

The other commit is checked out into a temporary git worktree; each side runs in its own
Python process (this interpreter, the other side's package first on the path), on that
side's own ``scenarios/asean_way.yaml``, ``--runs`` runs with seeds 0, 1, ... as a batch
worker runs them (no member-step table, no event log), and reports runs per second. The
sides alternate ``--repeat`` times; the medians are compared. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TIMER = """
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


def measure(root: Path, runs: int) -> float:
    """Runs per second of ``root``'s package on its own default scenario."""
    out = subprocess.run(
        [sys.executable, "-c", TIMER, str(root / "scenarios" / "asean_way.yaml"), str(runs)],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    return runs / json.loads(out.stdout.strip().splitlines()[-1])["seconds"]


def main() -> None:
    """Measure both sides and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", required=True, help="the commit to compare with")
    parser.add_argument("--runs", type=int, default=30, help="runs per measurement")
    parser.add_argument("--repeat", type=int, default=3, help="alternating measurements")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        other = Path(tmp) / "other"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(other), args.against],
            check=True,
            capture_output=True,
        )
        try:
            here, there = [], []
            for _ in range(args.repeat):
                here.append(measure(ROOT, args.runs))
                there.append(measure(other, args.runs))
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(other)],
                check=False,
                capture_output=True,
            )
    now, then = statistics.median(here), statistics.median(there)
    print(f"Ten-year runs of scenarios/asean_way.yaml, {args.runs} runs x {args.repeat}, "
          "one process, medians:\n")  # fmt: skip
    print("| code | runs per second | seconds per run |")
    print("|---|---|---|")
    print(f"| {args.against} | {then:.2f} | {1 / then:.3f} |")
    print(f"| this checkout | {now:.2f} | {1 / now:.3f} |")
    print(f"\nThis checkout takes {then / now:.2f}x the time per run of {args.against}.")


if __name__ == "__main__":
    main()
