"""A golden baseline: the default scenario with its own seed must keep giving the same
outcomes. A change that moves them refreshes the file in the same commit, which says why:

    CDSIM_REFRESH_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py
"""

from __future__ import annotations

import json
import math
import os

import pytest
from helpers import ROOT, scenario

from sim.results import run

GOLDEN = ROOT / "tests" / "data" / "golden" / "asean_way.json"
STEPS = 60


def outcomes() -> dict[str, float | None]:
    summary = run(scenario("asean_way"), steps=STEPS, detail=False).summary
    return {k: (None if math.isnan(v) else v) for k, v in summary.items()}


def test_default_scenario_matches_the_golden_baseline():
    now = outcomes()
    if os.environ.get("CDSIM_REFRESH_GOLDEN"):
        GOLDEN.write_text(json.dumps(now, indent=1) + "\n", encoding="utf-8")
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert set(now) == set(golden), "metrics added or removed: refresh the golden baseline"
    for metric, value in golden.items():
        if value is None:
            assert now[metric] is None, metric
        else:
            assert now[metric] == pytest.approx(value, rel=1e-9, abs=1e-12), metric
