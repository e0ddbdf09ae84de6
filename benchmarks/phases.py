"""Where a run's time goes: each phase of the step, Mesa's DataCollector and the rest.

    python benchmarks/phases.py                       # scenarios/asean_way.yaml, 30 runs
    python benchmarks/phases.py scenarios/world200.yaml --runs 1 --steps 24

Each phase function that ``CollectiveDefenceModel.step`` calls is wrapped in a timer (as a
batch worker runs: no member-step table, no event log), and the table gives its share of a
run. A phase that dominates is where speed is to be won; a flat table means none does.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict

from sim import (
    adversaries,
    amendment,
    budgets,
    economy,
    exercises,
    intelligence,
    learning,
    meetings,
    membership,
    response,
    threats,
)
from sim.config import load_scenario
from sim.model import CollectiveDefenceModel

PHASES = [
    (membership, "arrivals"), (economy, "advance"), (budgets, "set_budgets"),
    (learning, "reflect"), (adversaries, "challenge"), (threats, "emerge"),
    (intelligence, "share"), (threats, "detect"), (response, "request"),
    (response, "decide"), (response, "sustain"), (threats, "evolve"), (exercises, "hold"),
    (meetings, "hold"), (amendment, "consider"), (membership, "votes"),
    (membership, "withdrawals"),
]  # fmt: skip


def main() -> None:
    """Time every phase over the runs and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("scenario", nargs="?", default="scenarios/asean_way.yaml")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--steps", type=int, default=None)
    args = parser.parse_args()
    config = load_scenario(args.scenario)
    if args.steps is not None:
        config = config.model_copy(update={"steps": args.steps})
    spent: dict[str, float] = defaultdict(float)

    def timed(label, fn):
        def wrapper(*a, **k):
            start = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                spent[label] += time.perf_counter() - start

        return wrapper

    for module, name in PHASES:
        setattr(module, name, timed(f"{module.__name__}.{name}", getattr(module, name)))
    collect = CollectiveDefenceModel.collect
    CollectiveDefenceModel.collect = timed("recording the step (DataCollector)", collect)
    CollectiveDefenceModel(config, rng=0, record_members=False)  # warm up
    spent.clear()
    start = time.perf_counter()
    for seed in range(args.runs):
        model = CollectiveDefenceModel(config, rng=seed, record_members=False)
        for _ in range(config.steps):
            model.step()
    total = time.perf_counter() - start
    spent["the rest (set-up, Mesa's step, the step's own lines)"] = total - sum(spent.values())
    print(f"{args.scenario}: {args.runs} runs of {config.steps} steps, ")
    print(f"{1000 * total / args.runs:.1f} ms a run\n")
    print("| phase | ms per run | share |\n|---|---|---|")
    for label, seconds in sorted(spent.items(), key=lambda kv: -kv[1]):
        print(f"| {label} | {1000 * seconds / args.runs:.2f} | {seconds / total:.0%} |")


if __name__ == "__main__":
    main()
