"""Member states: the Mesa agents of the model, with their economy and their finite means."""

from __future__ import annotations

import copy
import math
from collections import Counter
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING, Any

import numpy as np
from mesa.discrete_space import FixedAgent

from sim.config import MemberConfig, PolicySpec
from sim.policies import Policy, SelfView, make
from sim.policies.base import DECISIONS, ByName, snapshot

if TYPE_CHECKING:
    from sim.model import CollectiveDefenceModel


class MemberPolicy:
    """The decision policies of one member (usually several views of one policy)."""

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
        key = (spec.name, repr(sorted(spec.params.items())))
        self.main = built.get(key) or make(spec.name, spec.params)

    def behaviour(self, memory: Mapping[str, object]) -> str:
        """The behaviour the member follows now: its main policy's label (a learning policy
        may follow another's)."""
        return self.main.label(memory) or self.spec.name

    @property
    def label(self) -> str:
        """Short name for tables: the main policy, with per-decision exceptions."""
        parts = [self.spec.name] + [
            f"{d}={getattr(self.spec, d).name}" for d in DECISIONS if getattr(self.spec, d)
        ]
        return parts[0] if len(parts) == 1 else f"{parts[0]} ({', '.join(parts[1:])})"


class MemberState(FixedAgent):
    """A member state: economy, military capability, civil means, intelligence, readiness,
    and a policy.

    Its means are finite (docs/ODD.md, 7.9): military means (ready forces, valued at their
    yearly cost) and civil means (what it can mobilise for emergencies), both in US$ bn a
    year. What it has deployed to help others (``abroad``) is missing at home. Its relations
    with other members (trust, interoperability) live in the model's matrices, indexed by
    ``self.index``.
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
        # Start at the steady state of current spending under the update in economy.advance.
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
        self.compromise = 0.0  # share of its detection lost to leaks of its sources
        self.exposure = dict(config.exposure)
        self.policy = MemberPolicy(policy)
        self.policy_rng = rng  # the member's own stream: its policies draw only from it
        self._memory: dict[str, Any] = {}
        # "member", "candidate" (not joined yet), "suspended" or "left"
        self._status = "candidate" if config.joins_month else "member"  # 0: from the start
        self.joins_month = config.joins_month
        self.left_month: int | None = None
        self.status_since = 0  # month of the last change of status
        # Means deployed to help others, US$ bn a year, by kind ("military", "civil").
        self.abroad = {"military": 0.0, "civil": 0.0}
        self.deployments: list = []  # its forces.Deployment's, in order of decision
        # Running records, read by policies (through SelfView) and by the output tables.
        self.damage_usd_bn = 0.0
        self.damage_step_usd_bn = 0.0  # damage in the current step
        self.damage_by_month: list[float] = []
        self.cost_by_month: list[float] = []  # defence, exercise, meeting and help costs
        self.defence_spent_usd_bn = 0.0
        self.exercise_cost_usd_bn = 0.0
        self.meeting_cost_usd_bn = 0.0
        self.help_cost_usd_bn = 0.0
        self.help_received: Counter[str] = Counter()
        self.help_given: Counter[str] = Counter()
        self.refused_by: Counter[str] = Counter()
        self.challenged_by: Counter[str] = Counter()
        self.shared_with_me: AbstractSet[str] = frozenset()  # who shared with it last month
        self.threats_detected_now = 0  # detected threats hitting it, still active
        self.counts: Counter[str] = Counter()
        self.pct_months = 0.0  # defence % of GDP times months in force, for the mean
        self.gdp_years = 0.0  # GDP times years, summed over steps: the denominator of damage

    @property
    def memory(self) -> dict[str, Any]:
        """What it has learnt: plain data, from its policy's ``learn`` decision. Replace it,
        never change it in place (the model notes the change through this setter; views
        give policies a copy)."""
        return self._memory

    @memory.setter
    def memory(self, value: dict[str, Any]) -> None:
        self._memory = value
        self.model.behaviour_changed()

    @property
    def status(self) -> str:
        """``member``, ``candidate`` (not joined yet), ``suspended`` or ``left``."""
        return self._status

    @status.setter
    def status(self, value: str) -> None:
        self._status = value
        self.model.membership_changed()

    @property
    def is_member(self) -> bool:
        """Whether it takes part in the group now (not a candidate, suspended or gone)."""
        return self._status == "member"

    @property
    def behaviour(self) -> str:
        """The behaviour it follows now (its policy's label; see MemberPolicy.behaviour)."""
        return self.policy.behaviour(self.memory)

    # ------------------------------------------------------------------ economy
    @property
    def annual_budget_usd_bn(self) -> float:
        """This year's defence budget."""
        return self.gdp_usd_bn * self.defence_pct_gdp / 100.0

    # ------------------------------------------------------------------ means
    def means(self, kind: str) -> float:
        """Its means of ``kind`` (``military`` or ``civil``), US$ bn a year: ready forces
        valued at their yearly cost (readiness x capability x depreciation), or civil means
        (resilience x GDP x ``economy.civil_capacity_pct_gdp``)."""
        economy = self.model.config.economy
        if kind == "military":
            return self.readiness * self.capability_usd_bn * economy.depreciation
        return self.resilience * self.gdp_usd_bn * economy.civil_capacity_pct_gdp / 100.0

    def available(self, kind: str) -> float:
        """Its means of ``kind`` not deployed abroad."""
        return max(0.0, self.means(kind) - self.abroad[kind])

    @property
    def half_strength_usd_bn(self) -> float:
        """The means giving half of full strength against a threat here: the scale a
        threat's size is measured against."""
        return self.gdp_usd_bn * self.model.config.response.half_strength_pct_gdp / 100.0

    @property
    def military_strength(self) -> float:
        """Strength of all its ready forces against a threat at home, in [0, 1)."""
        means = self.means("military")
        return means / (means + self.half_strength_usd_bn)

    @property
    def forces_abroad_share(self) -> float:
        """Share of its military means deployed to help others."""
        means = self.means("military")
        return min(1.0, self.abroad["military"] / means) if means > 0 else 0.0

    # ------------------------------------------------------------------ records
    def damage_last_year_pct_gdp(self) -> float:
        """Damage over the last 12 months, % of current GDP."""
        months = self.model.months_per_step
        recent = self.damage_by_month[-max(1, 12 // months) :]
        return 100.0 * sum(recent) / self.gdp_usd_bn

    def cost_last_year_pct_gdp(self) -> float:
        """Defence, exercise, meeting and help costs over the last 12 months, % of GDP."""
        months = self.model.months_per_step
        recent = self.cost_by_month[-max(1, 12 // months) :]
        return 100.0 * sum(recent) / self.gdp_usd_bn

    def spent_so_far(self) -> float:
        """Everything it has spent (defence, exercises, meetings, help), US$ bn."""
        return (
            self.defence_spent_usd_bn
            + self.exercise_cost_usd_bn
            + self.meeting_cost_usd_bn
            + self.help_cost_usd_bn
        )

    def trust_in_group(self) -> float:
        """Mean trust in the other current members (NaN once alone)."""
        return float(self.model.group_trust[self.index])

    def mean_defence_pct_gdp(self) -> float:
        """Time-weighted mean defence spending over the run so far, % of GDP."""
        months = self.model.month
        return self.pct_months / months if months else self.defence_pct_gdp

    def view(self) -> SelfView:
        """The read-only snapshot its policies decide on."""
        model = self.model
        index = model.member_index()
        return snapshot(
            SelfView,
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
            trust=ByName(index, model.relations.trust[self.index].copy(), self.name),
            interoperability=ByName(
                index, model.relations.interoperability[self.index].copy(), self.name
            ),
            shared_with_me=self.shared_with_me,
            help_received=dict(self.help_received),
            help_given=dict(self.help_given),
            refused_by=dict(self.refused_by),
            damage_last_year_pct_gdp=self.damage_last_year_pct_gdp(),
            active_threats=self.threats_detected_now,
            forces_abroad_share=self.forces_abroad_share,
            challenged_by=dict(self.challenged_by),
            memory=copy.deepcopy(self.memory) if self.memory else {},
        )


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
