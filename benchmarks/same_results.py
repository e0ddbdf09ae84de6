"""Whether this checkout gives the same runs as another commit, table for table.

    python benchmarks/same_results.py --against 65d857f
    python benchmarks/same_results.py --against 65d857f --set intelligence.leak_probability=0

Each side runs the same scenarios and seeds in its own Python process, with every table kept
(steps, members, member steps, threats, pairs, events); each table is reduced to a hash of
its values, and the hashes are compared. A change meant to be faster, not different, should
print "identical" for every run. ``--set`` applies overrides on both sides (e.g. to switch
off a mechanism whose documented reordering is known to differ).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ("asean_way", "asean_collective", "asean_2021", "nato", "teaching", "world200")
TABLES = ("steps", "members", "member_steps", "threats", "pairs", "events")

HASHES = """
import hashlib, json, sys
import pandas as pd
from sim.config import load_scenario
from sim.results import run
spec = json.loads(sys.argv[1])
out = {}
for name in spec["scenarios"]:
    config = load_scenario(f"scenarios/{name}.yaml", spec["overrides"])
    for seed in range(spec["seeds"]):
        result = run(config, seed=seed, steps=spec["steps"])
        for table in spec["tables"]:
            values = pd.util.hash_pandas_object(getattr(result, table), index=False).values
            out[f"{name} seed {seed}: {table}"] = hashlib.sha256(values.tobytes()).hexdigest()
print(json.dumps(out))
"""


def hashes(root: Path, spec: dict) -> dict[str, str]:
    """Each run's table hashes, computed by ``root``'s package on its own scenario files."""
    done = subprocess.run(
        [sys.executable, "-c", HASHES, json.dumps(spec)],
        cwd=root, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"the runs failed in {root}:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    """Compare both sides; exit 1 if any table differs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", required=True, help="the commit to compare with")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS),
                        help="comma-separated shipped scenarios (default: all)")  # fmt: skip
    parser.add_argument("--seeds", type=int, default=2, help="seeds 0.. per scenario")
    parser.add_argument("--steps", type=int, default=120, help="steps per run")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY=VALUE", help="an override for both sides")  # fmt: skip
    args = parser.parse_args()
    spec = {"scenarios": args.scenarios.split(","), "seeds": args.seeds, "steps": args.steps,
            "overrides": args.overrides, "tables": list(TABLES)}  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        other = Path(tmp) / "other"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(other), args.against],
            check=True, capture_output=True,
        )  # fmt: skip
        try:
            there = hashes(other, {**spec, "scenarios": [
                s for s in spec["scenarios"] if (other / "scenarios" / f"{s}.yaml").exists()
            ]})  # fmt: skip
            here = hashes(ROOT, spec)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(other)],
                           check=False, capture_output=True)  # fmt: skip
    differ = [key for key in there if here.get(key) != there[key]]
    for key in differ:
        print(f"differs: {key}")
    print(f"{len(there) - len(differ)} of {len(there)} tables identical "
          f"({len(there) // len(TABLES)} runs against {args.against})")  # fmt: skip
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
