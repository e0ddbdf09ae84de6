"""Responding to threats: requests, the group's procedure, deployments and their upkeep.

A host asks for help when its own means cannot end a detected threat within the planning
horizon (its policy decides). The rule says whether the group may act at all, and by what
procedure; the procedure takes time (automatic < coalition < majority < consensus, which
waits for a ministers' meeting or an extraordinary consultation) and can fail (a veto, a
lost vote, nobody willing). When the group acts, each member's policy says what share of
its free means it offers; the group sends what the threat needs, shared in proportion to
the offers, and the means arrive after a delay that falls with interoperability. They stay
tied up, and cost their helper, until the threat ends (docs/ODD.md, 7.7-7.9).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from sim import forces, rules, threats
from sim.policies import Contribution, RequestContext, ResponseContext
from sim.policies.base import snapshot
from sim.states import Views

if TYPE_CHECKING:
    from sim.model import CollectiveDefenceModel
    from sim.states import MemberState
    from sim.threats import Threat

#: The part of full strength the group aims at when it sizes its help: enough to end the
#: threat within the planning horizon, but never more than this.
MAX_AIMED_STRENGTH = 0.95


def request(model: CollectiveDefenceModel) -> None:
    """Hosts of detected threats not yet put to the group decide whether to ask; where the
    rule does not require a request the group also takes up overt threats unasked. Each
    request is ruled out at once if the rule gives the group no say, and otherwise put on
    the group's agenda, to be decided when its procedure allows."""
    cfg = model.config.response
    rule = model.rule
    rec = model.record
    month = model.month
    candidates = [
        t for t in model.active_threats() if t.detected and t.request is None and t.host.is_member
    ]
    if not candidates:
        return
    views = Views()
    own = threats.own_means(model)
    for threat in candidates:
        host = threat.host
        terms = rules.terms(rule, threat.kind, threat.cfg.internal_affair, threat.armed_attack)
        removal = cfg.counter_rate * threat.strength(own.get(threat, 0.0), month)
        ctx = snapshot(
            RequestContext,
            me=views[host],
            threat=threat.view(),
            own_power=removal,
            rng=host.policy_rng,
            months_to_contain=threats.months_to_end(
                threat.size, threat.growth, removal, threat.cfg.resolved_below
            ),
            horizon_months=cfg.horizon_months,
        )
        if host.policy.by_decision["respond"].request_help(ctx):
            threat.request = "asked"
            host.counts["help_requested"] += 1
            rec.count("help_requests")
            rec.event("asked", host, threat=threat)
        elif not terms.requires_request and threat.overt:
            threat.request = "unasked"
        else:
            continue
        threat.requested_month = month
        threat.rule = model.rule_label
        if terms.blocked:
            block(model, threat, terms.blocked)
            continue
        threat.collective = "pending"
        threat.decision_due = month + decision_lag(model, terms.decision)


def block(model: CollectiveDefenceModel, threat: Threat, reason: str) -> None:
    """The rule in force bars collective action on this threat: recorded, and the host is
    left to face it alone."""
    threat.collective = "blocked"
    model.record.count("requests_blocked")
    model.record.event("blocked", threat.host, threat=threat, detail=reason)
    unanswered(model, threat)


def decision_lag(model: CollectiveDefenceModel, decision: str) -> float:
    """Months from a request to the decision under ``decision``: the procedure's time
    (``response.decision_months``); a consensus is reached at the next ministers' meeting if
    that comes sooner than an extraordinary consultation."""
    lag = getattr(model.config.response.decision_months, decision)
    if decision == "consensus":
        interval = model.config.relations.meeting_interval_months
        next_meeting = (model.month // interval + 1) * interval
        lag = min(lag, next_meeting - model.month)
    return lag


def decide(model: CollectiveDefenceModel) -> None:
    """The group decides on every request whose procedure has run its course, in order of
    emergence. Each member decides on its view taken at its first decision of the phase (so
    help counts changed by one decision show in the next step); the host's own means are
    reckoned afresh for each decision, after what earlier decisions sent abroad."""
    views = Views()
    consulted = False
    interval = model.config.relations.meeting_interval_months
    meeting_now = model.month % interval < model.months_per_step  # a regular meeting is due
    for threat in model.active_threats():
        if threat.collective != "pending" or threat.decision_due > model.month + 1e-9:
            continue
        if not threat.host.is_member:
            threat.collective = "moot"
            continue
        terms = rules.terms(
            model.rule, threat.kind, threat.cfg.internal_affair, threat.armed_attack
        )
        if terms.blocked:  # the rule was amended while the request waited
            block(model, threat, terms.blocked)
            continue
        if terms.decision == "consensus" and not meeting_now and not consulted:
            consult(model)
            consulted = True
        act(model, threat, terms, views, threats.own_means(model).get(threat, 0.0))


def consult(model: CollectiveDefenceModel) -> None:
    """An extraordinary consultation of every member (for consensus decisions that cannot
    wait for the next meeting): it costs each member a meeting's cost."""
    cost = model.config.relations.meeting_cost_usd_bn
    members = model.current_members()
    for member in members:
        member.meeting_cost_usd_bn += cost
        model.record.add("meeting_cost", cost)
    model.record.count("meetings")
    model.record.event("consultation", None, detail=f"{len(members)} members")


def act(
    model: CollectiveDefenceModel,
    threat: Threat,
    terms: rules.Terms,
    views: Views,
    own: float,
) -> None:
    """Consult every other member on ``threat``, apply the procedure, and deploy help
    (``own``: the means the host puts into the threat itself)."""
    cfg = model.config.response
    rec = model.record
    host = threat.host
    month = model.month
    others = [m for m in model.current_members() if m is not host]
    tv = threat.view()
    interop = model.relations.interoperability
    targets = set(threat.adversary.config.targets) if threat.adversary is not None else set()
    allowed = terms.allowed_help
    offers: dict[MemberState, Contribution] = {}
    near = model.neighbour_names[host.name]
    trust = model.relations.trust
    for member in others:
        military, civil = member.available("military"), member.available("civil")
        ctx = snapshot(
            ResponseContext,
            me=views[member],
            threat=tv,
            obligated=terms.obligated,
            allowed=allowed,
            host_is_neighbour=member.name in near,
            host_trust=float(trust[member.index, host.index]),
            cost_per_step_usd_bn=(military + civil)
            * cfg.deployment_cost
            * model.months_per_step
            / 12.0,
            rng=member.policy_rng,
            available_military_usd_bn=military,
            available_civil_usd_bn=civil,
            adversary_targets_me=member.name in targets,
            deploy_months=cfg.deploy_months * (1.0 - interop[host.index, member.index]),
        )
        offer = member.policy.by_decision["respond"].respond(ctx)
        if not isinstance(offer, Contribution):
            raise TypeError(
                f"policy of {member.name}: respond() returned {offer!r}, not a Contribution"
            )
        if (offer.military and "military" not in allowed) or (
            offer.non_military and "non_military" not in allowed
        ):  # the rule allows no such help: only what it allows counts
            offer = Contribution(
                support=offer.support,
                military=offer.military if "military" in allowed else 0.0,
                non_military=offer.non_military if "non_military" in allowed else 0.0,
            )
        offers[member] = offer
    threat.decided_month = month
    rec.count("decisions")
    votes = [c.support for c in offers.values()]
    if not rules.group_acts(terms.decision, votes):
        threat.collective = "declined"
        against = [m for m, c in offers.items() if not c.support]
        rec.count("requests_declined")
        rec.event(
            "declined", host, threat=threat,
            detail=f"{terms.decision}: {len(against)} of {len(votes)} against "
            f"({', '.join(m.name for m in against)})",
        )  # fmt: skip
        for member in against:
            refuse(model, threat, member, abandoned=False)
        unanswered(model, threat)
        return
    threat.collective = "acted"
    deployments = size_help(model, threat, offers, own)
    for member, offer in offers.items():
        means = deployments.get(member)
        if means is None:
            if offer.total == 0:
                refuse(model, threat, member, abandoned=terms.obligated)
            continue  # offered, but not needed
        lag = cfg.deploy_months * (1.0 - interop[host.index, member.index])
        d = forces.Deployment(member, offer, means, since=month, arrives=month + lag)
        forces.commit(d)
        threat.helpers[member] = d
        host.help_received[member.name] += 1
        member.help_given[host.name] += 1
        member.counts["help_given"] += 1
        rec.count("help_given")
        if terms.obligated:  # an obligation honoured: the other side of abandonment
            member.counts["obligations_honoured"] += 1
            rec.count("obligations_honoured")
        model.relations.gain_trust(host.index, member.index, cfg.help_trust_gain)
        rec.event(
            "helped", member, partner=host, threat=threat,
            detail=f"military {means['military']:.3g}, civil {means['civil']:.3g} "
            f"US$ bn/yr, arriving in {lag:.1f} months",
        )  # fmt: skip
        if (
            terms.obligated
            and threat.armed_attack
            and means["military"] > 0
            and member.name not in targets
            and member.name not in model.neighbour_names[host.name]
        ):
            # Drawn by the commitment into an outside power's war over a member it does not
            # border, against a power that does not threaten it (Snyder 1984; Beckley 2015).
            d.entrapped = True
            member.counts["entrapments"] += 1
            rec.count("entrapments")
            rec.note("entrapped", member.name)
            rec.event("entrapped", member, partner=host, threat=threat)


def unanswered(model: CollectiveDefenceModel, threat: Threat) -> None:
    """An outside power's challenge the group ruled out or declined: a grievance that may
    put an amendment of the rule on the table (sim/amendment.py)."""
    if threat.adversary is None:
        return
    rec = model.record
    rec.count("unanswered_challenges")
    rec.note("unanswered_challenge", threat.host.name)
    if threat.armed_attack:
        rec.count("unanswered_attacks")
        rec.note("unanswered_armed_attack", threat.host.name)


def size_help(
    model: CollectiveDefenceModel,
    threat: Threat,
    offers: dict[MemberState, Contribution],
    own: float,
) -> dict[MemberState, dict[str, float]]:
    """The means each helper sends: its offer (shares of its free means of each kind),
    scaled down so that together they give no more than the threat needs
    (:func:`means_needed`). Members whose share comes to nothing send nothing."""
    cfg = threat.cfg
    interop = model.relations.interoperability
    wanted: dict[MemberState, dict[str, float]] = {}
    effective = 0.0
    for member, offer in offers.items():
        if offer.total == 0:
            continue
        means = {
            "military": offer.military * member.available("military"),
            "civil": offer.non_military * member.available("civil"),
        }
        fit = 0.5 + 0.5 * interop[threat.host.index, member.index]
        effective += fit * (
            means["military"] * cfg.military_help_effect
            + means["civil"] * cfg.non_military_help_effect
        )
        wanted[member] = means
    need = means_needed(model, threat, own)
    scale = min(1.0, need / effective) if effective > 0 else 0.0
    out = {}
    for member, means in wanted.items():
        scaled = {kind: value * scale for kind, value in means.items()}
        if scaled["military"] + scaled["civil"] > 0:
            out[member] = scaled
    return out


def means_needed(model: CollectiveDefenceModel, threat: Threat, own: float) -> float:
    """Effective means (US$ bn a year) the group aims to add to the host's own: enough to
    end the threat within ``response.horizon_months`` (removing its growth and its size over
    the horizon every month), at most :data:`MAX_AIMED_STRENGTH` of full strength."""
    cfg = model.config.response
    growth = max(threat.growth, 0.0) * threat.size
    aimed = min(MAX_AIMED_STRENGTH, (growth + threat.size / cfg.horizon_months) / cfg.counter_rate)
    scale = threat.host.half_strength_usd_bn + threat.force
    target = scale * aimed / (1.0 - aimed)
    return max(0.0, target - own - threat.help_arrived(math.inf))


def refuse(model: CollectiveDefenceModel, threat: Threat, member: MemberState, abandoned: bool):
    """``member`` gives nothing to ``threat.host``: a refusal, or abandonment when bound."""
    host = threat.host
    cfg = model.config.response
    rec = model.record
    host.refused_by[member.name] += 1
    member.counts["help_refused"] += 1
    rec.count("help_refused")
    if abandoned:
        member.counts["abandonments"] += 1
        rec.count("abandonments")
        rec.note("abandoned", host.name)
        model.relations.lose_trust(host.index, member.index, cfg.abandonment_trust_penalty)
        observers = np.flatnonzero(model.member_mask())
        observers = observers[observers != host.index]
        model.relations.lose_trust_of(observers, member.index, cfg.reputation_penalty)
        rec.event("abandoned", member, partner=host, threat=threat)
    else:
        rec.event("refused", member, partner=host, threat=threat)


def sustain(model: CollectiveDefenceModel) -> None:
    """Deployments under way: shrink to what helpers still have, cost their helpers for the
    step, and, once protracted, erode the helper's trust in the host; forces abroad while
    the helper is hit at home count as overextension."""
    cfg = model.config.response
    rec = model.record
    years = model.months_per_step / 12.0
    hit_at_home = {t.host for t in model.active_threats() if t.detected and t.cfg.military}
    for member in model.states:
        if not member.deployments:
            continue
        forces.shrink_to_means(member)
        for d in member.deployments:
            cost = d.total * cfg.deployment_cost * years
            member.help_cost_usd_bn += cost
            rec.add("help_cost", cost)
        if member in hit_at_home:
            rec.add("overextension", member.forces_abroad_share * model.months_per_step)
    for threat in model.active_threats():
        for helper, d in threat.helpers.items():
            if d.total > 0 and model.month - d.since > cfg.protracted_months:
                model.relations.lose_trust(
                    helper.index,
                    threat.host.index,
                    cfg.protracted_trust_penalty * model.months_per_step,
                )
