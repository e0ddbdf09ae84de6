"""The Mesa model: member states on a network of borders, facing threats under a rule."""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import networkx as nx
import numpy as np
from mesa import DataCollector, Model
from mesa.discrete_space import Network

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
    rules,
    shipped,
    threats,
)
from sim.adversaries import Adversary
from sim.config import (
    STEP_COLUMNS,
    PolicySpec,
    RulesConfig,
    Scenario,
    apply_overrides,
    from_mapping,
    load_scenario,
    override_text,
    validate,
)
from sim.outcomes import StopCondition
from sim.policies.base import NameSet
from sim.recorder import COUNTERS, EVENT_COLUMNS, STATE, Recorder
from sim.relations import Relations
from sim.states import MemberState, derived_intel_capacity
from sim.threats import Threat

DEFAULT_SCENARIO = shipped.default_scenario()


class Streams:
    """Independent random streams derived from one run seed, one per named component.

    Each stream is seeded from the run seed and a stable hash (sha256) of its name, so that
    adding draws to one component never shifts another's (common random numbers).
    """

    def __init__(self, seed: int):
        self.seed = seed
        self._streams: dict[str, np.random.Generator] = {}

    def __getitem__(self, name: str) -> np.random.Generator:
        if name not in self._streams:
            digest = hashlib.sha256(name.encode()).digest()
            key = int.from_bytes(digest[:8], "little")
            self._streams[name] = np.random.default_rng([self.seed, key])
        return self._streams[name]


class CollectiveDefenceModel(Model):
    """Collective defence among member states.

    Args:
        scenario: a :class:`~sim.config.Scenario`, a path to a scenario file, or a mapping
            (a raw scenario). Default: the ASEAN Way scenario.
        rng: the run seed (an int); None (Mesa's convention) draws a fresh one, recorded as
            ``model.seed`` and in ``model.config.seed``. The scenario's own ``seed`` is used
            only when passed explicitly (``rng=scenario.seed``), as ``sim.results.run`` and
            the command line do.
        overrides: ``key=value`` strings or a ``{dotted.key: value}`` mapping applied to the
            scenario before validation.
        record_members: collect every member's state at every step (the member-step
            table); batches, which do not keep it, turn it off.
        **settings: more overrides as plain keywords, ``__`` standing for a dot
            (``rules__preset="collective_commitment"``), so that Mesa's own tools
            (``mesa.batch_run``, SolaraViz) can set any scenario field.
    """

    def __init__(
        self,
        scenario: Scenario | str | Path | Mapping[str, Any] = DEFAULT_SCENARIO,
        rng: int | None = None,
        overrides: Iterable[str] | Mapping[str, Any] = (),
        record_members: bool = True,
        **settings: Any,
    ):
        scenario = _resolve_scenario(scenario, overrides, settings)
        if rng is None:  # Mesa's convention: fresh entropy, recorded (the scenario's seed
            # is passed explicitly by those who want it: sim.results.run, the command line)
            rng = int(np.random.SeedSequence().entropy % (2**63))
        if not isinstance(rng, int | np.integer) or isinstance(rng, bool):
            raise TypeError("rng must be an integer seed (recorded with the results)")
        if rng < 0:
            raise ValueError(f"rng must be a seed from 0 up, got {rng}")
        super().__init__(rng=int(rng))
        self.seed = int(rng)
        self.config = scenario.model_copy(update={"seed": self.seed})
        self.months_per_step = scenario.months_per_step
        self.streams = Streams(self.seed)
        self.finished_threats: list[dict[str, Any]] = []
        self._month = 0
        self._members = None  # current members, their mask and index, until one changes
        self._policy_mix = None  # (current members, rows of the policy mix) until one changes

        names = scenario.member_names
        graph = nx.Graph()
        graph.add_nodes_from(names)
        for border in scenario.borders:
            graph.add_edge(*border.between, kind=border.kind)
        self.grid = Network(graph, capacity=None, random=self.random, layout=None)
        cells = {cell.coordinate: cell for cell in self.grid.all_cells}

        budgets_now = [m.gdp_usd_bn * m.defence_pct_gdp / 100 for m in scenario.members]
        intel_default = derived_intel_capacity(budgets_now)
        policies = assign_policies(scenario, self.streams["policy_mix"])
        self.states: list[MemberState] = []
        for i, member in enumerate(scenario.members):
            state = MemberState(
                self,
                member,
                index=i,
                policy=policies[i],
                intel_capacity=(
                    member.intel_capacity if member.intel_capacity is not None else intel_default[i]
                ),
                rng=self.streams[f"policy:{member.name}"],
            )
            state.cell = cells[member.name]
            self.states.append(state)
        self.by_name = {s.name: s for s in self.states}
        # each state's yearly rate of each threat type: fixed for the run, as are the
        # scenario's threat types and the states' exposure to them
        self.arrival_rates = threats.arrival_rates(scenario.threats, self.states)
        self.adversaries = [Adversary(self, a) for a in scenario.adversaries]
        self.neighbours: dict[str, list[tuple[MemberState, str]]] = {
            name: [(self.by_name[n], graph.edges[name, n]["kind"]) for n in sorted(graph[name])]
            for name in names
        }
        self.neighbour_names = {
            name: frozenset(n.name for n, _ in pairs) for name, pairs in self.neighbours.items()
        }
        self.names = np.array(names, dtype=object)  # every state's name, by index
        self.index_of = {name: i for i, name in enumerate(names)}
        self.adjacency = nx.to_numpy_array(graph, nodelist=names, weight=None) > 0
        self.rule = scenario.rules  # the rule in force: amendments may change it
        self.rule_label = scenario.rules.preset  # its name: the preset, * once knobs changed
        self._sharing_group = None  # (rule, its sharing group, as a mask) until it changes
        self.last_proposal: int | None = None  # month of the last amendment put to the vote
        self.proposals_done: set[int] = set()  # scheduled membership proposals already put
        self.relations = Relations(scenario.relations, names)
        self.sharing = np.zeros((len(names), len(names)), dtype=bool)  # j shares with i
        self.sharing.flags.writeable = False  # each month's links replace the last's
        for state in self.states:
            state.shared_with_me = NameSet(self.names, self.index_of, self.sharing[:, state.index])
        self.group_trust = self.relations.trust_in_group(self.member_mask())

        self.datacollector = DataCollector(
            model_reporters=STEP_REPORTERS,
            agenttype_reporters={MemberState: MEMBER_REPORTERS} if record_members else None,
            tables={"events": EVENT_COLUMNS, "policy_mix": POLICY_MIX_COLUMNS},
        )
        self.record = Recorder(self.datacollector.add_table_row if record_members else None)
        self.stop_condition = (
            StopCondition(scenario.stop_when, STEP_COLUMNS) if scenario.stop_when else None
        )
        self.running = True
        self.collect()

    # ------------------------------------------------------------------ time
    @property
    def month(self) -> int:
        """Months elapsed since the start (Mesa's time in steps, times the step's length;
        taken as each step starts, as time stands still within a step)."""
        return self._month

    def _due(self, interval_months: int) -> bool:
        """Whether a schedule of ``interval_months`` falls within the step just taken."""
        before = self.month - self.months_per_step
        return self.month // interval_months > before // interval_months

    def step(self) -> None:
        """One time step (a month by default), phase by phase as docs/ODD.md, section 3."""
        self._month = int(round(self.time)) * self.months_per_step
        self.record.new_step(self.month)
        membership.arrivals(self)
        economy.advance(self)
        if self._due(12):
            budgets.set_budgets(self)
            learning.reflect(self)
        adversaries.challenge(self)
        threats.emerge(self)
        intelligence.share(self)
        threats.detect(self)
        response.request(self)
        response.decide(self)
        response.sustain(self)
        threats.evolve(self)
        threats.check_population(self)
        if self._due(self.config.exercises.interval_months):
            exercises.hold(self)
        if self._due(self.config.relations.meeting_interval_months):
            meetings.hold(self)
            amendment.consider(self)
            membership.votes(self)
        self.group_trust = self.relations.trust_in_group(self.member_mask())
        members_before = self._membership()
        membership.withdrawals(self)
        for state, spent in zip(self.states, self.spent_before, strict=True):
            state.damage_by_month.append(state.damage_step_usd_bn)
            state.cost_by_month.append(state.spent_so_far() - spent)
        if self._membership() is not members_before:  # someone withdrew
            self.group_trust = self.relations.trust_in_group(self.member_mask())
        self.collect()
        if self.time >= self.config.steps:
            self.running = False  # the scenario's length, for Mesa's runners and viz
        elif self.stop_condition is not None:
            row = {c: self.datacollector.model_vars[c][-1] for c in STEP_COLUMNS}
            if self.stop_condition(self, row):
                self.running = False  # ended early: the steps table ends this month

    # ------------------------------------------------------------------ queries
    def membership_changed(self) -> None:
        """Forget what was derived from who is a member (a state's status changed)."""
        self._members = None

    def _membership(self) -> tuple[list[MemberState], np.ndarray, dict[str, int]]:
        if self._members is None:
            members = [s for s in self.states if s.is_member]
            mask = np.array([s.is_member for s in self.states])
            mask.flags.writeable = False
            index = MappingProxyType({s.name: s.index for s in members})
            self._members = (members, mask, index)
        return self._members

    def current_members(self) -> list[MemberState]:
        """States still in the group, in scenario order."""
        return list(self._membership()[0])

    def _sharing(self) -> tuple[RulesConfig, frozenset[str], np.ndarray]:
        if self._sharing_group is None or self._sharing_group[0] is not self.rule:
            group = frozenset(self.rule.sharing_group)
            mask = np.array([s.name in group for s in self.states])
            mask.flags.writeable = False
            self._sharing_group = (self.rule, group, mask)
        return self._sharing_group

    @property
    def sharing_group(self) -> frozenset[str]:
        """The intelligence sub-group of the rule in force."""
        return self._sharing()[1]

    def member_mask(self) -> np.ndarray:
        """Boolean mask over states: still a member (read-only)."""
        return self._membership()[1]

    def member_index(self) -> Mapping[str, int]:
        """Every current member's name and index, in scenario order (read-only)."""
        return self._membership()[2]

    @property
    def sharing_group_mask(self) -> np.ndarray:
        """Boolean mask over states: in the rule's intelligence sub-group (read-only)."""
        return self._sharing()[2]

    def active_threats(self) -> list[Threat]:
        """Active threats in order of emergence."""
        return list(self.agents_by_type[Threat]) if Threat in self.agents_by_type else []

    def collect(self) -> None:
        """Record the step: Mesa's DataCollector tables, and each member's spending so far
        (to tell next step's costs)."""
        self.datacollector.collect(self)
        if self._policy_mix is None or self._policy_mix[0] is not self._membership():
            behaviours = Counter(s.behaviour for s in self.current_members())
            self._policy_mix = (self._membership(), sorted(behaviours.items()))
        for policy, count in self._policy_mix[1]:
            self.datacollector.add_table_row(
                "policy_mix", {"month": self.month, "policy": policy, "members": count}
            )
        self.spent_before = [s.spent_so_far() for s in self.states]

    def behaviour_changed(self) -> None:
        """Forget the policy mix (a member's memory, hence maybe its behaviour, changed)."""
        self._policy_mix = None

    def threat_table_rows(self) -> list[dict[str, Any]]:
        """Rows of the threats table: finished threats and those still active."""
        return self.finished_threats + [t.record() for t in self.active_threats()]


def assign_policies(scenario: Scenario, rng: np.random.Generator) -> list[PolicySpec]:
    """Each member's policy: its own, else drawn by ``policy_mix``, else the default.

    ``policy_mix`` gives shares of the members without a policy of their own; the number
    of each is rounded, and who gets which is drawn at random from the run's stream.
    """
    specs: list[PolicySpec | None] = [m.policy for m in scenario.members]
    free = [i for i, s in enumerate(specs) if s is None]
    order = list(rng.permutation(free)) if scenario.policy_mix else free
    start = 0
    for name, count in mix_counts(scenario.policy_mix, len(free)).items():
        for i in order[start : start + count]:
            specs[i] = PolicySpec(name=name)
        start += count
    return [s if s is not None else scenario.default_policy for s in specs]


def mix_counts(mix: Mapping[str, float], n: int) -> dict[str, int]:
    """Whole numbers of members per policy from shares of ``n`` (largest remainder method;
    ties go to the policy listed first). The counts never add up to more than ``n``.
    """
    exact = {name: share * n for name, share in mix.items()}
    counts = {name: int(value) for name, value in exact.items()}
    spare = min(n, math.floor(sum(exact.values()) + 0.5)) - sum(counts.values())
    by_remainder = sorted(exact, key=lambda k: -(exact[k] - counts[k]))
    for name in by_remainder[: max(0, spare)]:
        counts[name] += 1
    return counts


def _resolve_scenario(
    scenario: Scenario | str | Path | Mapping[str, Any],
    overrides: Iterable[str] | Mapping[str, Any],
    settings: Mapping[str, Any],
) -> Scenario:
    """A validated scenario from any accepted form, with overrides applied."""
    if isinstance(overrides, Mapping):
        texts = [override_text(k, v) for k, v in overrides.items()]
    else:
        texts = list(overrides)
    texts += [override_text(k.replace("__", "."), v) for k, v in settings.items()]
    if isinstance(scenario, Scenario):
        if not texts:
            return scenario
        return validate(apply_overrides(scenario.model_dump(), texts), scenario.name)
    if isinstance(scenario, Mapping):
        return from_mapping(scenario, texts)
    return load_scenario(scenario, texts)


# ---------------------------------------------------------------------- reporters
def _tick(name: str):
    def report(model: CollectiveDefenceModel) -> float:
        return float(model.record.tick[name])

    report.__name__ = f"tick_{name}"
    return report


def _mean_trust(model: CollectiveDefenceModel) -> float:
    return model.relations.mean_off_diagonal(model.relations.trust, model.member_mask())


def _mean_interop(model: CollectiveDefenceModel) -> float:
    return model.relations.mean_off_diagonal(model.relations.interoperability, model.member_mask())


def _mean(values: list[float]) -> float:
    """``np.mean`` of a list, to the last bit, without its overhead (the same reduction)."""
    return float(np.add.reduce(np.array(values)) / len(values))


def _forces_abroad(model: CollectiveDefenceModel) -> float:
    means = sum(s.means("military") for s in model.states)
    return sum(s.abroad["military"] for s in model.states) / means if means > 0 else 0.0


_STATE_REPORTERS = {
    "threats_active": lambda m: len(m.active_threats()),
    "forces_abroad_share": _forces_abroad,
    "mean_trust": _mean_trust,
    "mean_interoperability": _mean_interop,
    "mean_readiness": lambda m: _mean([s.readiness for s in m.states]),
    "mean_defence_pct_gdp": lambda m: _mean([s.defence_pct_gdp for s in m.states]),
    "gdp_usd_bn": lambda m: float(sum(s.gdp_usd_bn for s in m.states)),
    "members_remaining": lambda m: len(m.member_index()),
    "rule_level": lambda m: float(rules.level(m.rule)),
}

#: The per-step table: month, the rule in force, the step counters of sim/recorder.py, then
#: state.
STEP_REPORTERS = {
    "month": lambda m: m.month,
    "rule": lambda m: m.rule_label,
    **{s.column: _tick(s.counter) for s in COUNTERS},
    **{s.column: _STATE_REPORTERS[s.column] for s in STATE},
}

MEMBER_REPORTERS = {
    "member": "name",
    "gdp_usd_bn": "gdp_usd_bn",
    "damage_usd_bn": "damage_usd_bn",
    "defence_pct_gdp": "defence_pct_gdp",
    "capability_usd_bn": "capability_usd_bn",
    "readiness": "readiness",
    "forces_abroad_share": "forces_abroad_share",
    "trust_in_group": lambda s: s.trust_in_group(),
    "is_member": "is_member",
    "status": "status",
    "policy": "behaviour",
}

POLICY_MIX_COLUMNS = ["month", "policy", "members"]
