"""The Mesa model: member states on a network of borders, facing threats under a rule."""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
from mesa import DataCollector, Model
from mesa.discrete_space import Network

from sim import budgets, exercises, intelligence, response
from sim.config import (
    PolicySpec,
    Scenario,
    apply_overrides,
    from_mapping,
    load_scenario,
    override_text,
    validate,
)
from sim.relations import Relations
from sim.states import MemberState, derived_intel_capacity
from sim.threats import Threat

DEFAULT_SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "asean_way.yaml"

EVENT_COLUMNS = ["month", "event", "member", "partner", "threat_id", "threat_type", "detail"]


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
        rng: the run seed (an int); default the scenario's ``seed``, else a fresh one.
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
        if rng is None:
            rng = scenario.seed
        if rng is None:
            rng = int(np.random.SeedSequence().entropy % (2**63))
        if not isinstance(rng, int | np.integer):
            raise TypeError("rng must be an integer seed (recorded with the results)")
        super().__init__(rng=int(rng))
        self.seed = int(rng)
        self.config = scenario.model_copy(update={"seed": self.seed})
        self.months_per_step = scenario.months_per_step
        self.streams = Streams(self.seed)
        self.tick: Counter[str] = Counter()
        self.finished_threats: list[dict[str, Any]] = []

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
        self.neighbours: dict[str, list[tuple[MemberState, str]]] = {
            name: [(self.by_name[n], graph.edges[name, n]["kind"]) for n in sorted(graph[name])]
            for name in names
        }
        self.neighbour_names = {
            name: frozenset(n.name for n, _ in pairs) for name, pairs in self.neighbours.items()
        }
        self.sharing_group = frozenset(scenario.rules.sharing_group)
        self.relations = Relations(scenario.relations, names)
        self.sharing = np.zeros((len(names), len(names)), dtype=bool)
        self.group_trust = self.relations.trust_in_group(self.member_mask())

        self.datacollector = DataCollector(
            model_reporters=STEP_REPORTERS,
            agenttype_reporters={MemberState: MEMBER_REPORTERS} if record_members else None,
            tables={"events": EVENT_COLUMNS},
        )
        self.running = True
        self.datacollector.collect(self)

    # ------------------------------------------------------------------ time
    @property
    def month(self) -> int:
        """Months elapsed since the start."""
        return int(round(self.time)) * self.months_per_step

    def _due(self, interval_months: int) -> bool:
        """Whether a schedule of ``interval_months`` falls within the step just taken."""
        before = self.month - self.months_per_step
        return self.month // interval_months > before // interval_months

    def step(self) -> None:
        """One time step (a month by default); the order is documented in docs/ODD.md."""
        self.tick = Counter()
        damage_before = [s.damage_usd_bn for s in self.states]
        for state in self.states:
            state.advance_economy()
        if self._due(12):
            budgets.set_budgets(self)
        self.emerge_threats()
        intelligence.share_intelligence(self)
        intelligence.detect(self)
        response.handle_requests(self)
        response.counter_threats(self)
        if self._due(self.config.exercises.interval_months):
            exercises.hold_exercise(self)
        if self._due(self.config.relations.meeting_interval_months):
            exercises.hold_meeting(self)
        self.group_trust = self.relations.trust_in_group(self.member_mask())
        self.check_withdrawals()
        for state, before in zip(self.states, damage_before, strict=True):
            state.damage_by_month.append(state.damage_usd_bn - before)
        self.group_trust = self.relations.trust_in_group(self.member_mask())
        self.datacollector.collect(self)
        if self.time >= self.config.steps:
            self.running = False  # the scenario's length, for Mesa's runners and viz

    # ------------------------------------------------------------------ queries
    def current_members(self) -> list[MemberState]:
        """States still in the group, in scenario order."""
        return [s for s in self.states if s.is_member]

    def member_mask(self) -> np.ndarray:
        """Boolean mask over states: still a member."""
        return np.array([s.is_member for s in self.states])

    def active_threats(self) -> list[Threat]:
        """Active threats in order of emergence."""
        return list(self.agents_by_type[Threat]) if Threat in self.agents_by_type else []

    # ------------------------------------------------------------------ threats
    def emerge_threats(self) -> None:
        """New threats: Poisson arrivals per member and type (rate per year x exposure)."""
        rng = self.streams["arrivals"]
        years = self.months_per_step / 12.0
        for state in self.states:
            for kind, cfg in self.config.threats.items():
                lam = cfg.rate * state.exposure.get(kind, 1.0) * years
                for _ in range(rng.poisson(lam) if lam > 0 else 0):
                    size = rng.gamma(2.0, cfg.initial_size / 2.0)
                    self.add_threat(kind, state, size)

    def add_threat(
        self, kind: str, host: MemberState, size: float, origin: Threat | None = None
    ) -> Threat:
        """Create a threat at ``host`` (already overt ones are detected by the host at once)."""
        threat = Threat(self, kind, host, size, origin=origin)
        host.counts["threats"] += 1
        self.tick["threats_new"] += 1
        self.log("emerged", host, threat=threat, detail=f"size {threat.size:.2f}")
        if threat.overt:
            self.mark_detected(threat, host, overt=True)
        return threat

    def mark_detected(self, threat: Threat, by: MemberState, overt: bool = False) -> None:
        """Record a detection (by the host, a sharing partner, or because it is overt)."""
        threat.detected_month = self.month
        threat.detected_by = by.name
        threat.host.counts["threats_detected"] += 1
        threat.host.threats_detected_now += 1
        self.tick["threats_detected"] += 1
        how = "overt" if overt else ("own intelligence" if by is threat.host else "shared")
        self.log("detected", by, partner=threat.host, threat=threat, detail=how)

    def resolve(self, threat: Threat) -> None:
        """The threat is over: record it and take it off the map."""
        threat.resolved_month = self.month
        threat.host.counts["threats_resolved"] += 1
        threat.host.threats_detected_now -= threat.detected
        self.tick["threats_resolved"] += 1
        self.log("resolved", threat.host, threat=threat)
        self.finished_threats.append(threat.record())
        threat.remove()

    # ------------------------------------------------------------------ membership
    def check_withdrawals(self) -> None:
        """Members whose trust in the group fell below the threshold leave, if allowed.

        Decided on one snapshot, so the order of members does not matter. A member that
        leaves stops helping others, and those helping it stop too.
        """
        if not self.config.rules.withdrawal_allowed:
            return
        threshold = self.config.relations.withdrawal_threshold
        trust = {s: float(self.group_trust[s.index]) for s in self.current_members()}
        leaving = [s for s, t in trust.items() if t == t and t < threshold]  # NaN: alone
        for state in leaving:
            state.is_member = False
            state.left_month = self.month
            self.tick["withdrawals"] += 1
            self.log("left", state, detail=f"trust in group {trust[state]:.2f}")
        for threat in self.active_threats():
            for state in leaving:
                threat.helpers.pop(state, None)
            if not threat.host.is_member:
                threat.helpers.clear()

    # ------------------------------------------------------------------ records
    def log(
        self,
        event: str,
        member: MemberState | None,
        partner: MemberState | None = None,
        threat: Threat | None = None,
        detail: str = "",
    ) -> None:
        """Append a row to the event log."""
        self.datacollector.add_table_row(
            "events",
            {
                "month": self.month,
                "event": event,
                "member": member.name if member else "",
                "partner": partner.name if partner else "",
                "threat_id": threat.unique_id if threat else -1,
                "threat_type": threat.kind if threat else "",
                "detail": detail,
            },
        )

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
        return model.tick[name]

    report.__name__ = f"tick_{name}"
    return report


def _mean_trust(model: CollectiveDefenceModel) -> float:
    return model.relations.mean_off_diagonal(model.relations.trust, model.member_mask())


def _mean_interop(model: CollectiveDefenceModel) -> float:
    return model.relations.mean_off_diagonal(model.relations.interoperability, model.member_mask())


STEP_REPORTERS = {
    "month": lambda m: m.month,
    "damage_usd_bn": _tick("damage"),
    "threats_new": _tick("threats_new"),
    "threats_active": lambda m: len(m.active_threats()),
    "threats_detected": _tick("threats_detected"),
    "threats_resolved": _tick("threats_resolved"),
    "spillovers": _tick("spillovers"),
    "help_requests": _tick("help_requests"),
    "help_given": _tick("help_given"),
    "help_refused": _tick("help_refused"),
    "abandonments": _tick("abandonments"),
    "obligations_honoured": _tick("obligations_honoured"),
    "entrapments": _tick("entrapments"),
    "leaks": _tick("leaks"),
    "sharing_links": _tick("sharing_links"),
    "exercise_participants": _tick("exercise_participants"),
    "withdrawals": _tick("withdrawals"),
    "requests_declined": _tick("requests_declined"),
    "requests_blocked": _tick("requests_blocked"),
    "defence_spending_usd_bn": _tick("defence_spending"),
    "exercise_cost_usd_bn": _tick("exercise_cost"),
    "help_cost_usd_bn": _tick("help_cost"),
    "mean_trust": _mean_trust,
    "mean_interoperability": _mean_interop,
    "mean_readiness": lambda m: float(np.mean([s.readiness for s in m.states])),
    "mean_defence_pct_gdp": lambda m: float(np.mean([s.defence_pct_gdp for s in m.states])),
    "members_remaining": lambda m: sum(s.is_member for s in m.states),
}

MEMBER_REPORTERS = {
    "member": "name",
    "damage_usd_bn": "damage_usd_bn",
    "defence_pct_gdp": "defence_pct_gdp",
    "capability_usd_bn": "capability_usd_bn",
    "readiness": "readiness",
    "trust_in_group": lambda s: s.trust_in_group(),
    "is_member": "is_member",
}
