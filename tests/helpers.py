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
    """A SelfView of a mid-sized member, with ``changes``."""
    from sim.policies import SelfView

    base = dict(
        name="Me",
        month=24,
        months_per_step=1,
        gdp_usd_bn=100.0,
        defence_pct_gdp=1.5,
        capability_usd_bn=15.0,
        military_strength=0.4,
        readiness=0.5,
        resilience=0.5,
        intel_capacity=0.5,
        is_member=True,
        neighbours=frozenset({"Near"}),
        sharing_group=frozenset(),
        trust={"Near": 0.5, "Far": 0.5},
        interoperability={"Near": 0.2, "Far": 0.2},
        shared_with_me=frozenset(),
        help_received={},
        help_given={},
        refused_by={},
        damage_last_year_pct_gdp=0.0,
        active_threats=0,
    )
    base.update(changes)
    return SelfView(**base)


def threat(**changes):
    """A ThreatView of a detected aggression against 'Near', with ``changes``."""
    from sim.policies import ThreatView

    base = dict(
        id=1,
        type="aggression",
        host="Near",
        size=1.5,
        overt_size=2.0,
        months_active=2,
        military=True,
        internal_affair=False,
        public_benefit=0.8,
        spill_risk=0.0,
    )
    base.update(changes)
    return ThreatView(**base)


def rng(seed: int = 0):
    import numpy as np

    return np.random.default_rng(seed)
