"""Member states: the Mesa agents of the model."""

from __future__ import annotations

import math
from collections import Counter
from typing import TYPE_CHECKING

import numpy as np
from mesa.discrete_space import FixedAgent

from sim.config import MemberConfig, PolicySpec
from sim.policies import Policy, SelfView, make
from sim.policies.base import DECISIONS

if TYPE_CHECKING:
    from sim.model import CollectiveDefenceModel


class MemberPolicy:
    """The four decision policies of one member (usually four views of one policy)."""

    def __init__(self, spec: PolicySpec):
        self.spec = spec
        built: dict[tuple[str, str], Policy] = {}
        self.by_decision: dict[str, Policy] = {}
        for decision in DECISIONS:
            ref = spec.for_decision(decision)
            key = (ref.name, repr(sorted(ref.params.items())))
            if key not in built:
                built[key] = make(ref.name, ref.params)
            self.by_decision[decision] = built[key]

    @property
    def label(self) -> str:
        """Short name for tables: the main policy, with per-decision exceptions."""
        parts = [self.spec.name] + [
            f"{d}={getattr(self.spec, d).name}" for d in DECISIONS if getattr(self.spec, d)
        ]
        return parts[0] if len(parts) == 1 else f"{parts[0]} ({', '.join(parts[1:])})"


class MemberState(FixedAgent):
    """A member state: economy, military capability, intelligence, readiness, and a policy.

    Its relations with other members (trust, interoperability) live in the model's
    matrices, indexed by ``self.index``.
    """

    def __init__(
        self,
        model: CollectiveDefenceModel,
        config: MemberConfig,
        index: int,
        policy: PolicySpec,
        intel_capacity: float,
        rng: np.random.Generator,
    ):
        super().__init__(model)
        economy = model.config.economy
        self.name = config.name
        self.index = index
        self.gdp_usd_bn = config.gdp_usd_bn
        self.defence_pct_gdp = config.defence_pct_gdp
        self.initial_defence_pct_gdp = config.defence_pct_gdp
        # Start at the steady state of current spending under the update in advance_economy.
        years = model.months_per_step / 12.0
        keep = (1.0 - economy.depreciation) ** years
        self.capability_usd_bn = self.annual_budget_usd_bn * years / (1.0 - keep)
        self.readiness = (
            config.readiness if config.readiness is not None else economy.initial_readiness
        )
        self.resilience = (
            config.resilience if config.resilience is not None else economy.default_resilience
        )
        self.intel_capacity = intel_capacity
        self.exposure = dict(config.exposure)
        self.policy = MemberPolicy(policy)
        self.policy_rng = rng  # the member's own stream: its policies draw only from it
        self.is_member = True
        self.left_month: int | None = None
        # Running records, read by policies (through SelfView) and by the output tables.
        self.damage_usd_bn = 0.0
        self.damage_by_month: list[float] = []
        self.defence_spent_usd_bn = 0.0
        self.exercise_cost_usd_bn = 0.0
        self.help_cost_usd_bn = 0.0
        self.help_received: Counter[str] = Counter()
        self.help_given: Counter[str] = Counter()
        self.refused_by: Counter[str] = Counter()
        self.shared_with_me: frozenset[str] = frozenset()
        self.threats_detected_now = 0  # detected threats hitting it, still active
        self.counts: Counter[str] = Counter()
        self.pct_months = 0.0  # defence % of GDP times months in force, for the mean

    @property
    def annual_budget_usd_bn(self) -> float:
        """This year's defence budget."""
        return self.gdp_usd_bn * self.defence_pct_gdp / 100.0

    @property
    def military_strength(self) -> float:
        """Capability relative to the reference, saturating: C / (C + C_ref), in [0, 1)."""
        ref = self.model.config.economy.capability_ref_usd_bn
        return self.capability_usd_bn / (self.capability_usd_bn + ref)

    def power(self, military: bool) -> float:
        """Strength against a threat alone: readiness times military strength or resilience."""
        return self.readiness * (self.military_strength if military else self.resilience)

    def damage_last_year_pct_gdp(self) -> float:
        """Damage over the last 12 months, % of current GDP."""
        months = self.model.months_per_step
        recent = self.damage_by_month[-max(1, 12 // months) :]
        return 100.0 * sum(recent) / self.gdp_usd_bn

    def trust_in_group(self) -> float:
        """Mean trust in the other current members (NaN once alone)."""
        return float(self.model.group_trust[self.index])

    def view(self) -> SelfView:
        """The read-only snapshot its policies decide on."""
        model = self.model
        others = [m for m in model.states if m is not self and m.is_member]
        trust = model.relations.trust[self.index].tolist()
        interop = model.relations.interoperability[self.index].tolist()
        return SelfView(
            name=self.name,
            month=model.month,
            months_per_step=model.months_per_step,
            gdp_usd_bn=self.gdp_usd_bn,
            defence_pct_gdp=self.defence_pct_gdp,
            capability_usd_bn=self.capability_usd_bn,
            military_strength=self.military_strength,
            readiness=self.readiness,
            resilience=self.resilience,
            intel_capacity=self.intel_capacity,
            is_member=self.is_member,
            neighbours=model.neighbour_names[self.name],
            sharing_group=model.sharing_group,
            trust={m.name: trust[m.index] for m in others},
            interoperability={m.name: interop[m.index] for m in others},
            shared_with_me=self.shared_with_me,
            help_received=dict(self.help_received),
            help_given=dict(self.help_given),
            refused_by=dict(self.refused_by),
            damage_last_year_pct_gdp=self.damage_last_year_pct_gdp(),
            active_threats=self.threats_detected_now,
        )

    def advance_economy(self) -> None:
        """One step of growth, spending, capability and readiness."""
        economy = self.model.config.economy
        years = self.model.months_per_step / 12.0
        spent = self.annual_budget_usd_bn * years
        self.defence_spent_usd_bn += spent
        self.model.tick["defence_spending"] += spent
        self.pct_months += self.defence_pct_gdp * self.model.months_per_step
        keep = (1.0 - economy.depreciation) ** years
        self.capability_usd_bn = self.capability_usd_bn * keep + spent
        self.gdp_usd_bn *= (1.0 + economy.gdp_growth_pct / 100.0) ** years
        decay = 1.0 - (1.0 - economy.readiness_decay) ** self.model.months_per_step
        self.readiness += decay * (economy.readiness_floor - self.readiness)

    def mean_defence_pct_gdp(self) -> float:
        """Time-weighted mean defence spending over the run so far, % of GDP."""
        months = self.model.month
        return self.pct_months / months if months else self.defence_pct_gdp


def derived_intel_capacity(budgets_usd_bn: list[float]) -> list[float]:
    """Default intelligence capacity: 0.2 to 0.8 by log of defence budget within the group.

    An assumption (see docs/ODD.md): intelligence services scale with defence budgets, with
    strongly diminishing returns.
    """
    logs = [math.log1p(max(b, 0.0) * 1000.0) for b in budgets_usd_bn]  # of US$ million
    top = max(logs) or 1.0
    return [0.2 + 0.6 * value / top for value in logs]


class Views(dict):
    """Members' views taken once per phase, on first use: the phase's decisions all see
    the same snapshot of what each member knows."""

    def __missing__(self, member: MemberState) -> SelfView:
        self[member] = view = member.view()
        return view
