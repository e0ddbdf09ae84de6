"""Responding to threats: requests, the group's decision, contributions, and their course.

Each detected threat hitting a member may lead once to a request for help (or, where the
rule does not require one, to collective action once the threat is overt). The rule decides
whether the group acts at all; each member's policy decides what it contributes; the threat
then evolves under the combined response, doing damage, spilling over, trapping helpers in
long engagements, until it is resolved.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim import rules
from sim.policies import Contribution, RequestContext, ResponseContext
from sim.states import Views

if TYPE_CHECKING:
    from sim.model import CollectiveDefenceModel
    from sim.states import MemberState
    from sim.threats import Threat


def handle_requests(model: CollectiveDefenceModel) -> None:
    """Requests for help with detected threats, and the group's answer to each, in order of
    emergence; every decision of the phase is made on the snapshot of its start."""
    rule = model.config.rules
    views = Views()
    for threat in model.active_threats():
        host = threat.host
        if not threat.detected or threat.request is not None or not host.is_member:
            continue
        ctx = RequestContext(
            me=views[host],
            threat=threat.view(),
            own_power=model.config.response.counter_rate * host.power(threat.cfg.military),
            rng=host.policy_rng,
        )
        if host.policy.by_decision["respond"].request_help(ctx):
            threat.request = "asked"
            host.counts["help_requested"] += 1
            model.tick["help_requests"] += 1
            model.log("asked", host, threat=threat)
        elif not rule.requires_request and threat.overt:
            threat.request = "unasked"
        else:
            continue
        decide(model, threat, views)


def decide(model: CollectiveDefenceModel, threat: Threat, views: Views | None = None) -> None:
    """The group's decision on one threat, and every member's contribution."""
    rule = model.config.rules
    host = threat.host
    views = views if views is not None else Views()
    reason = None
    if rule.decision == "none":
        reason = "the rule provides no collective action"
    elif not rule.covers(threat.kind):
        reason = f"{threat.kind} is not covered by the rule"
    elif rule.internal_affairs_off_limits and threat.cfg.internal_affair:
        reason = f"{threat.kind} is an internal affair"
    if reason:
        threat.collective = "blocked"
        model.tick["requests_blocked"] += 1
        model.log("blocked", host, threat=threat, detail=reason)
        return
    others = [m for m in model.current_members() if m is not host]
    obligated = rules.is_obligated(rule.decision, rule.obligated)
    allowed = frozenset(rule.allowed_help)
    tv = threat.view()
    offers: dict[MemberState, Contribution] = {}
    for member in others:
        ctx = ResponseContext(
            me=views[member],
            threat=tv,
            obligated=obligated,
            allowed=allowed,
            host_is_neighbour=member.name in model.neighbour_names[host.name],
            host_trust=float(model.relations.trust[member.index, host.index]),
            cost_per_step_usd_bn=help_cost(model, member, 1.0),
            rng=member.policy_rng,
        )
        offer = member.policy.by_decision["respond"].respond(ctx)
        if not isinstance(offer, Contribution):
            raise TypeError(
                f"policy of {member.name}: respond() returned {offer!r}, not a Contribution"
            )
        offers[member] = Contribution(
            support=offer.support,
            military=offer.military if "military" in allowed else 0.0,
            non_military=offer.non_military if "non_military" in allowed else 0.0,
        )
    votes = [c.support for c in offers.values()]
    if not rules.group_acts(rule.decision, votes):
        threat.collective = "declined"
        against = [m for m, c in offers.items() if not c.support]
        model.tick["requests_declined"] += 1
        model.log(
            "declined", host, threat=threat,
            detail=f"{rule.decision}: {len(against)} of {len(votes)} against "
            f"({', '.join(m.name for m in against)})",
        )  # fmt: skip
        for member in against:
            refuse(model, threat, member, abandoned=False)
        return
    threat.collective = "acted"
    for member, offer in offers.items():
        if offer.total > 0:
            threat.helpers[member] = offer
            threat.engaged_since[member] = model.month
            host.help_received[member.name] += 1
            member.help_given[host.name] += 1
            member.counts["help_given"] += 1
            model.tick["help_given"] += 1
            if obligated:  # an obligation honoured: the other side of abandonment
                member.counts["obligations_honoured"] += 1
                model.tick["obligations_honoured"] += 1
            model.relations.gain_trust(
                host.index, member.index, model.config.response.help_trust_gain
            )
            model.log(
                "helped", member, partner=host, threat=threat,
                detail=f"military {offer.military:.2f}, civil {offer.non_military:.2f}",
            )  # fmt: skip
        else:
            refuse(model, threat, member, abandoned=obligated)
    if threat.helpers:
        threat.first_help_month = model.month


def refuse(model: CollectiveDefenceModel, threat: Threat, member: MemberState, abandoned: bool):
    """``member`` gives nothing to ``threat.host``: a refusal, or abandonment when bound."""
    host = threat.host
    cfg = model.config.response
    host.refused_by[member.name] += 1
    member.counts["help_refused"] += 1
    model.tick["help_refused"] += 1
    if abandoned:
        member.counts["abandonments"] += 1
        model.tick["abandonments"] += 1
        model.relations.lose_trust(host.index, member.index, cfg.abandonment_trust_penalty)
        for other in model.current_members():
            if other is not host and other is not member:
                model.relations.lose_trust(other.index, member.index, cfg.reputation_penalty)
        model.log("abandoned", member, partner=host, threat=threat)
    else:
        model.log("refused", member, partner=host, threat=threat)


def help_cost(model: CollectiveDefenceModel, member: MemberState, effort: float) -> float:
    """Cost of ``effort`` (sum of both kinds) for one step: a share of the defence budget."""
    share = model.config.response.cost_share
    return effort * share * member.annual_budget_usd_bn * model.months_per_step / 12.0


def counter_threats(model: CollectiveDefenceModel) -> None:
    """One step of every active threat: damage, response, growth, spill-over, resolution."""
    cfg = model.config.response
    months = model.months_per_step
    for threat in list(model.active_threats()):
        host = threat.host
        tcfg = threat.cfg
        # Damage, on the size at the start of the step; resilience softens civil threats.
        mitigation = 1.0 if tcfg.military else 1.0 - 0.5 * host.resilience
        damage = tcfg.damage_rate * threat.size * host.gdp_usd_bn * mitigation * months
        threat.damage_usd_bn += damage
        host.damage_usd_bn += damage
        model.tick["damage"] += damage
        # Response, growth.
        reduction = cfg.counter_rate * threat.strength() * months
        grown = threat.size * (1.0 + tcfg.growth) ** months
        threat.size = max(0.0, min(tcfg.max_size, grown) - reduction)
        threat.peak_size = max(threat.peak_size, threat.size)
        for helper, offer in threat.helpers.items():
            cost = help_cost(model, helper, offer.total)
            helper.help_cost_usd_bn += cost
            model.tick["help_cost"] += cost
            engaged = model.month - threat.engaged_since[helper]
            if engaged > cfg.entrapment_months:
                model.relations.lose_trust(
                    helper.index, host.index, cfg.entrapment_trust_penalty * months
                )
                if helper not in threat.entrapped:
                    threat.entrapped.add(helper)
                    helper.counts["entrapments"] += 1
                    model.tick["entrapments"] += 1
                    model.log("entrapped", helper, partner=host, threat=threat)
        if threat.overt:
            if threat.overt_month is None:
                threat.overt_month = model.month
            if not threat.detected:
                model.mark_detected(threat, host, overt=True)
            spill(model, threat)
        if threat.size < tcfg.resolved_below:
            model.resolve(threat)


def spill(model: CollectiveDefenceModel, threat: Threat) -> None:
    """An overt threat may spread, once per neighbour, across land (full) or sea (half)."""
    neighbours = model.neighbours[threat.host.name]
    if not neighbours or threat.cfg.spillover == 0:
        return
    draws = model.streams["spillover"].random(len(neighbours))
    for (neighbour, kind), u in zip(neighbours, draws, strict=True):
        if neighbour.name in threat.spilled_to:
            continue
        p = threat.cfg.spillover * (1.0 if kind == "land" else 0.5)
        p = 1.0 - (1.0 - p) ** model.months_per_step
        if u < p:
            threat.spilled_to.add(neighbour.name)
            model.tick["spillovers"] += 1
            new = model.add_threat(threat.kind, neighbour, threat.cfg.initial_size, origin=threat)
            model.log("spilled", neighbour, partner=threat.host, threat=new)
