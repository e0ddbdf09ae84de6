"""Threats, from emergence to resolution: everything about a threat's life is here.

A threat is a Mesa agent placed on the cell of the member it hits. It emerges (at random,
or because an outside power chose to challenge: ``sim.adversaries``), is latent until its
host or a partner sharing intelligence detects it (or until it grows overt), is countered by
its host's own means and by help that has arrived, does damage every month it is active,
may spill across borders, and is resolved once its size falls below ``resolved_below``.

Sizes are measured against the host's own scale: a threat of size 1 met by means equal to
``response.half_strength_pct_gdp`` of the host's GDP meets half of full strength, whatever
the host's size (docs/ODD.md, 7.4 and 7.9).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
from mesa.discrete_space import FixedAgent

from sim import forces
from sim.config import ThreatTypeConfig
from sim.policies import ThreatView
from sim.policies.base import snapshot

if TYPE_CHECKING:
    from sim.adversaries import Adversary
    from sim.model import CollectiveDefenceModel
    from sim.states import MemberState


class Threat(FixedAgent):
    """One threat hitting one member.

    Attributes:
        kind: the threat type's name; ``cfg`` its parameters.
        host: the member state hit.
        size: current intensity, against the host's scale; ``overt_size`` of its type is
            when it is evident.
        adversary: the outside power that started and sustains it (None if it just
            happened); ``force`` the means (US$ bn a year) it ties up in it.
        helpers: the deployments of the members helping the host, by member.
    """

    def __init__(
        self,
        model: CollectiveDefenceModel,
        kind: str,
        host: MemberState,
        size: float,
        origin: Threat | None = None,
        adversary: Adversary | None = None,
        force: float = 0.0,
    ):
        super().__init__(model)
        self.kind = kind
        self.cfg: ThreatTypeConfig = model.config.threats[kind]
        self.host = host
        self.cell = host.cell
        self.size = min(size, self.cfg.max_size)
        self.initial_size = self.size
        self.peak_size = self.size
        self.origin = origin.unique_id if origin is not None else None
        self.adversary = adversary
        self.force = force
        self.sustained = True  # still growing: not burnt out, or still pressed by its adversary
        self.emerged_month = model.month
        # A spill-over is created during the threats' own update and starts growing a step
        # later than a threat arriving at the start of the step.
        delay = (
            model.months_per_step if origin is not None and self.size < self.cfg.overt_size else 0
        )
        self.projected_overt_month = (
            model.month + months_to_overt(self.size, self.cfg, model.months_per_step) + delay
        )
        self.overt_month: int | None = model.month if self.overt else None
        self.detected_month: int | None = None
        self.detected_by: str | None = None
        self.request: str | None = None  # None, "asked", "unasked"
        self.requested_month: int | None = None
        self.rule: str | None = None  # the rule in force when the group took it up
        # None (not asked), "pending", "acted", "declined", "blocked", "moot"
        self.collective: str | None = None
        self.decision_due: float | None = None
        self.decided_month: int | None = None
        self.first_help_month: int | None = None
        self.helpers: dict[MemberState, forces.Deployment] = {}
        self.spilled_to: set[str] = set()
        self.damage_usd_bn = 0.0
        self.resolved_month: int | None = None

    @property
    def detected(self) -> bool:
        """Whether anyone has detected it."""
        return self.detected_month is not None

    @property
    def overt(self) -> bool:
        """Whether it is big enough to be evident to all."""
        return self.size >= self.cfg.overt_size

    @property
    def growth(self) -> float:
        """Growth per month before response: the type's while the threat is sustained; once
        it has burnt out (or the outside power behind it has ended its campaign), the same
        rate of decline."""
        return self.cfg.growth if self.sustained else -abs(self.cfg.growth)

    @property
    def armed_attack(self) -> bool:
        """An armed attack by an outside power (what ``rules.mutual_defence`` covers)."""
        return self.adversary is not None and self.kind == "aggression"

    def spill_risk(self) -> float:
        """Monthly chance of spreading into a land neighbour now (half across the sea)."""
        return self.cfg.spillover if self.overt else 0.0

    def view(self) -> ThreatView:
        """What policies may know about it."""
        return snapshot(
            ThreatView,
            id=self.unique_id,
            type=self.kind,
            host=self.host.name,
            size=self.size,
            overt_size=self.cfg.overt_size,
            months_active=self.model.month - self.emerged_month,
            military=self.cfg.military,
            internal_affair=self.cfg.internal_affair,
            public_benefit=self.cfg.public_benefit,
            spill_risk=self.spill_risk(),
            adversary=self.adversary.name if self.adversary is not None else None,
            armed_attack=self.armed_attack,
        )

    def help_arrived(self, month: float) -> float:
        """Effective means (US$ bn a year) of the help that has arrived: each helper's
        means of each kind times the type's effect for that kind, times interoperability
        with the host (from 0.5 with none to 1 at full)."""
        interop = self.model.relations.interoperability
        total = 0.0
        for helper, d in self.helpers.items():
            if month < d.arrives:
                continue
            effect = (
                d.means["military"] * self.cfg.military_help_effect
                + d.means["civil"] * self.cfg.non_military_help_effect
            )
            total += effect * (0.5 + 0.5 * interop[self.host.index, helper.index])
        return total

    def strength(self, own: float, month: float) -> float:
        """Response strength against it, in [0, 1): effective means over effective means
        plus the host's scale and whatever an outside power puts into it."""
        means = own + self.help_arrived(month)
        return means / (means + self.host.half_strength_usd_bn + self.force)

    def record(self) -> dict[str, Any]:
        """One row of the threats table."""
        lead = None
        if self.detected_month is not None and math.isfinite(self.projected_overt_month):
            lead = max(0.0, self.projected_overt_month - self.detected_month)
        return {
            "threat_id": self.unique_id,
            "type": self.kind,
            "host": self.host.name,
            "origin": self.origin,
            "adversary": self.adversary.name if self.adversary is not None else None,
            "emerged_month": self.emerged_month,
            "initial_size": self.initial_size,
            "peak_size": self.peak_size,
            "final_size": self.size,
            "overt_month": self.overt_month,
            "detected_month": self.detected_month,
            "detected_by": self.detected_by,
            "lead_time_months": lead,
            "request": self.request,
            "requested_month": self.requested_month,
            "rule": self.rule,
            "collective": self.collective,
            "decided_month": self.decided_month,
            "first_help_month": self.first_help_month,
            "helpers": ";".join(sorted(h.name for h in self.helpers)),
            "resolved_month": self.resolved_month,
            "damage_usd_bn": self.damage_usd_bn,
        }


# ---------------------------------------------------------------------- limits

#: The most threats one run may hold active at once, and in all (docs/scenarios.md,
#: "Limits"): the shipped scenarios stay below 100 and 10,000; a run that gets past these
#: has a setting that makes threats multiply faster than they end, and would otherwise
#: grow until the machine runs out of memory.
MAX_ACTIVE = 20_000
MAX_TOTAL = 500_000


class RunawayError(RuntimeError):
    """A run exceeded :data:`MAX_ACTIVE` or :data:`MAX_TOTAL`; the message names the threat
    type that multiplied and the settings that drive it."""


def check_population(model: CollectiveDefenceModel) -> None:
    """Stop a run whose threats multiply without bound, naming the likely cause."""
    active = model.active_threats()
    total = len(model.finished_threats) + len(active)
    if len(active) <= MAX_ACTIVE and total <= MAX_TOTAL:
        return
    kinds: dict[str, int] = defaultdict(int)
    for threat in active:
        kinds[threat.kind] += 1
    kind = max(kinds, key=kinds.get) if kinds else next(iter(model.config.threats))
    cfg = model.config.threats[kind]
    which = (f"{len(active):,} threats active (at most {MAX_ACTIVE:,})" if len(active) > MAX_ACTIVE
             else f"{total:,} threats in all (at most {MAX_TOTAL:,})")  # fmt: skip
    raise RunawayError(
        f"month {model.month}: {which}, {kinds.get(kind, 0):,} of them {kind}: they multiply "
        f"faster than they end; lower threats.{kind}.spillover ({cfg.spillover:g}), "
        f"threats.{kind}.rate ({cfg.rate:g}) or threats.{kind}.growth ({cfg.growth:g}), or "
        "shorten the run"
    )


# ---------------------------------------------------------------------- arithmetic


#: Months beyond which a projection counts as never (a million months: 83,000 years).
NEVER_MONTHS = 1e6


def months_to_overt(size: float, cfg: ThreatTypeConfig, months_per_step: int = 1) -> float:
    """Months after its emergence step at which an unanswered threat of ``size`` becomes
    overt (inf if it never does, or only after :data:`NEVER_MONTHS`). A threat grows
    already in the step it emerges in.
    """
    if size >= cfg.overt_size:
        return 0.0
    if cfg.growth <= 0:
        return math.inf
    steps = math.log(cfg.overt_size / size) / (months_per_step * math.log1p(cfg.growth))
    if not steps * months_per_step < NEVER_MONTHS:  # a growth too small ever to get there
        return math.inf
    return (math.ceil(steps) - 1) * months_per_step


def months_to_end(size: float, growth: float, removal: float, resolved_below: float) -> float:
    """Months until a threat of ``size`` falls below ``resolved_below`` when it grows by
    ``growth`` and loses ``removal`` a month (inf if it never does). Solves
    ``s' = s (1 + g) - r`` in closed form.
    """
    if size < resolved_below:
        return 0.0
    if growth == 0:
        return (size - resolved_below) / removal if removal > 0 else math.inf
    fixed = removal / growth  # the size at which growth and removal balance
    if growth > 0 and size >= fixed:
        return math.inf
    return math.log((resolved_below - fixed) / (size - fixed)) / math.log1p(growth)


# ---------------------------------------------------------------------- phases


def emerge(model: CollectiveDefenceModel) -> None:
    """Threats that just happen: Poisson arrivals per state and type (rate per year times
    the state's exposure), on stream ``arrivals``."""
    rng = model.streams["arrivals"]
    kinds, rates = model.arrival_rates
    yearly = (rates * (model.months_per_step / 12.0)).tolist()
    for state, row in zip(model.states, yearly, strict=True):
        for kind, lam in zip(kinds, row, strict=True):
            if lam > 0:
                for _ in range(rng.poisson(lam)):
                    size = rng.gamma(2.0, model.config.threats[kind].initial_size / 2.0)
                    spawn(model, kind, state, size)


def arrival_rates(
    threats: Mapping[str, ThreatTypeConfig], states: list[MemberState]
) -> tuple[list[str], np.ndarray]:
    """The threat types, and each state's yearly arrival rate of each (the type's rate times
    the state's exposure to it)."""
    kinds = list(threats)
    rates = [[threats[k].rate * s.exposure.get(k, 1.0) for k in kinds] for s in states]
    return kinds, np.array(rates, dtype=float).reshape(len(states), len(kinds))


def spawn(
    model: CollectiveDefenceModel,
    kind: str,
    host: MemberState,
    size: float,
    origin: Threat | None = None,
    adversary: Adversary | None = None,
    force: float = 0.0,
) -> Threat:
    """A new threat at ``host`` (one already overt is detected by the host at once)."""
    threat = Threat(model, kind, host, size, origin=origin, adversary=adversary, force=force)
    host.counts["threats"] += 1
    model.record.count("threats_new")
    model.record.event("emerged", host, threat=threat, detail=f"size {threat.size:.2f}")
    if threat.overt:
        mark_detected(model, threat, host, "overt")
    return threat


def detect(model: CollectiveDefenceModel) -> None:
    """Each latent threat may be detected by its host or by a partner sharing with the host.

    Detection hazard per month for an observer: ``detectability * capacity * size /
    overt_size`` (bigger threats are easier to see), with a partner's capacity scaled by
    ``remote_reach`` unless it borders the host, and every observer's capacity reduced by
    the compromise of its sources (leaks, 7.6). Overt threats are always detected.
    """
    cfg = model.config.intelligence
    rng = model.streams["detection"]
    months = model.months_per_step
    sharing = model.sharing
    latent = [t for t in model.active_threats() if not t.detected]
    if not latent:
        return
    capacity = np.array([s.intel_capacity * (1.0 - s.compromise) for s in model.states])
    hosts = np.array([t.host.index for t in latent])
    base = np.array([t.cfg.detectability * t.size / t.cfg.overt_size * months for t in latent])
    # Observers of each threat: its host (column 0), then the partners sharing with the host
    # (column 1 + j for partner j), in that order: one draw each, row by row.
    observes = np.ones((len(latent), 1 + len(model.states)), dtype=bool)
    observes[:, 1:] = sharing[:, hosts].T
    reach = np.where(model.adjacency[hosts], 1.0, cfg.remote_reach)
    capacities = np.empty(observes.shape)
    capacities[:, 0] = capacity[hosts]
    capacities[:, 1:] = capacity * reach
    draws = np.ones(observes.shape)
    draws[observes] = rng.random(int(observes.sum()))
    chance = 1.0 - np.exp(-base[:, None] * capacities)
    sees = observes & (draws < chance)
    # NumPy's exp may differ from math.exp in the last bit: where a draw falls that close
    # to its chance, decide with math.exp, as one observer at a time always did.
    close = observes & (np.abs(draws - chance) < 1e-12)
    if close.any():
        for row, col in zip(*np.nonzero(close), strict=True):
            sees[row, col] = draws[row, col] < 1.0 - math.exp(-base[row] * capacities[row, col])
    for row in np.flatnonzero(sees.any(axis=1)):
        threat, first = latent[row], int(np.argmax(sees[row]))
        observer = threat.host if first == 0 else model.states[first - 1]
        how = "own intelligence" if observer is threat.host else "shared"
        mark_detected(model, threat, observer, how)


def mark_detected(model: CollectiveDefenceModel, threat: Threat, by: MemberState, how: str):
    """Record a detection (by the host, a sharing partner, or because it is overt)."""
    threat.detected_month = model.month
    threat.detected_by = by.name
    threat.host.counts["threats_detected"] += 1
    threat.host.threats_detected_now += 1
    model.record.count("threats_detected")
    model.record.event("detected", by, partner=threat.host, threat=threat, detail=how)


def own_means(model: CollectiveDefenceModel) -> dict[Threat, float]:
    """The means each host puts into each of its detected threats: all it has at home of
    the threat's kind (military or civil), shared among its threats of that kind in
    proportion to their sizes."""
    by_host: dict[tuple[MemberState, bool], list[Threat]] = defaultdict(list)
    for threat in model.active_threats():
        if threat.detected:
            by_host[threat.host, threat.cfg.military].append(threat)
    out: dict[Threat, float] = {}
    for (host, military), threats in by_host.items():
        have = host.available("military" if military else "civil")
        total = sum(t.size for t in threats)
        for t in threats:
            out[t] = have * t.size / total if total > 0 else have / len(threats)
    return out


def evolve(model: CollectiveDefenceModel) -> None:
    """One step of every active threat: damage, response and growth, becoming overt,
    spill-over, resolution."""
    counter_rate = model.config.response.counter_rate
    months = model.months_per_step
    month = model.month
    rec = model.record
    threats = model.active_threats()
    own = own_means(model)
    burn_out(model, threats)
    # Damage, on the size at the start of the step, bounded by what the host produces in
    # the step: raw damages add up, and their total saturates smoothly at that output.
    raw: list[float] = []
    raw_by_host: dict[MemberState, float] = defaultdict(float)
    for threat in threats:
        host, cfg = threat.host, threat.cfg
        mitigation = 1.0 if cfg.military else 1.0 - 0.5 * host.resilience
        damage = cfg.damage_rate * threat.size * host.gdp_usd_bn * mitigation * months
        raw.append(damage)
        raw_by_host[host] += damage
    bounded = {}
    for host, total in raw_by_host.items():
        output = host.gdp_usd_bn * months / 12.0
        bounded[host] = output * -math.expm1(-total / output) / total if total > 0 else 0.0
    for state in model.states:
        state.damage_step_usd_bn = 0.0
    active_kinds = {(t.host.name, t.kind) for t in threats}
    for threat, raw_damage in zip(threats, raw, strict=True):
        host, cfg = threat.host, threat.cfg
        damage = raw_damage * bounded[host]
        threat.damage_usd_bn += damage
        host.damage_usd_bn += damage
        host.damage_step_usd_bn += damage
        rec.add("damage", damage)
        # Response and growth.
        if threat.detected:
            strength = threat.strength(own.get(threat, 0.0), month)
            if threat.first_help_month is None and any(
                month >= d.arrives and d.total > 0 for d in threat.helpers.values()
            ):
                threat.first_help_month = month
        else:
            strength = 0.0
        grown = threat.size * (1.0 + threat.growth) ** months
        threat.size = max(0.0, min(cfg.max_size, grown) - counter_rate * strength * months)
        threat.peak_size = max(threat.peak_size, threat.size)
        if threat.overt:
            if threat.overt_month is None:
                threat.overt_month = month
            if not threat.detected:
                mark_detected(model, threat, host, "overt")
            spill(model, threat, active_kinds)
        if threat.size < cfg.resolved_below:
            resolve(model, threat)


def burn_out(model: CollectiveDefenceModel, threats: list[Threat]) -> None:
    """Threats that just happen burn out by themselves after ``lifetime_months`` on average
    (campaigns lose steam, epidemics run their course); from then on they decline. An
    outside power's challenges end when it stops pressing them (``sim.adversaries``)."""
    natural = [
        t
        for t in threats
        if t.sustained and t.adversary is None and t.cfg.lifetime_months is not None
    ]
    if not natural:
        return
    draws = model.streams["lifetimes"].random(len(natural))
    for threat, u in zip(natural, draws.tolist(), strict=True):
        if u < -math.expm1(-model.months_per_step / threat.cfg.lifetime_months):
            threat.sustained = False


def spill(model: CollectiveDefenceModel, threat: Threat, active: set[tuple[str, str]]) -> None:
    """An overt threat may spread, once per neighbour, across land (full chance) or sea
    (half). Spill-overs saturate: a neighbour already facing a threat of the same type is
    not hit again by this one."""
    neighbours = model.neighbours[threat.host.name]
    if not neighbours or threat.cfg.spillover == 0:
        return
    draws = model.streams["spillover"].random(len(neighbours))
    for (neighbour, border), u in zip(neighbours, draws, strict=True):
        if neighbour.name in threat.spilled_to or (neighbour.name, threat.kind) in active:
            continue
        p = threat.cfg.spillover * (1.0 if border == "land" else 0.5)
        p = 1.0 - (1.0 - p) ** model.months_per_step
        if u < p:
            threat.spilled_to.add(neighbour.name)
            active.add((neighbour.name, threat.kind))
            model.record.count("spillovers")
            new = spawn(model, threat.kind, neighbour, threat.cfg.initial_size, origin=threat)
            model.record.event("spilled", neighbour, partner=threat.host, threat=new)


def resolve(model: CollectiveDefenceModel, threat: Threat) -> None:
    """The threat is over: helpers go home, the outside power's means are freed, and the
    threat is recorded and taken off the map."""
    threat.resolved_month = model.month
    threat.host.counts["threats_resolved"] += 1
    threat.host.threats_detected_now -= threat.detected
    for deployment in threat.helpers.values():
        forces.release(deployment)
    if threat.adversary is not None and threat.sustained:
        threat.adversary.end_campaign(threat)
    model.record.count("threats_resolved")
    model.record.event("resolved", threat.host, threat=threat)
    model.finished_threats.append(threat.record())
    threat.remove()
