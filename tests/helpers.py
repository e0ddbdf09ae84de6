"""Shared test helpers (importable as ``helpers``)."""

from __future__ import annotations

from pathlib import Path

from sim.config import Scenario, load_scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"


def scenario(name: str, *overrides: str) -> Scenario:
    """A shipped scenario by file stem, with overrides."""
    return load_scenario(SCENARIOS / f"{name}.yaml", overrides)


MINIMAL = """\
name: tiny
seed: 3
steps: 24
members:
  - {name: Alpha, gdp_usd_bn: 500, defence_pct_gdp: 2.0}
  - {name: Beta, gdp_usd_bn: 100, defence_pct_gdp: 1.0}
  - {name: Gamma, gdp_usd_bn: 20, defence_pct_gdp: 1.5}
borders:
  - {between: [Alpha, Beta], kind: land}
  - {between: [Beta, Gamma], kind: sea}
"""


def view(**changes):
    """A SelfView of a mid-sized member, with ``changes`` (see sim.testing.self_view)."""
    from sim.testing import self_view

    return self_view(**changes)


def threat(**changes):
    """A ThreatView of a detected aggression against 'Near', with ``changes``."""
    from sim.testing import threat_view

    return threat_view(**changes)


def rng(seed: int = 0):
    import numpy as np

    return np.random.default_rng(seed)
