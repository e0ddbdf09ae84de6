"""Membership: members join on a given month, leave when their trust in the group has fallen
too far, may be suspended and readmitted by the group's vote, and may apply to rejoin
(docs/ODD.md, 7.12).

A member takes part in the group (shares, trains, meets, asks, helps, is helped, votes) only
while its status is ``member``. A candidate (before ``joins_month``), a suspended member and
one that has left stay in the model, with their economy, budget and threats, outside the
group.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim import forces
from sim.amendment import passes
from sim.policies import VoteContext
from sim.states import Views

if TYPE_CHECKING:
    from sim.model import CollectiveDefenceModel
    from sim.states import MemberState


def arrivals(model: CollectiveDefenceModel) -> None:
    """Candidates whose ``joins_month`` has come join the group."""
    for state in model.states:
        if state.status == "candidate" and model.month >= state.joins_month:
            set_status(model, state, "member")
            model.record.count("joined")
            model.record.event("joined", state, detail=f"joins in month {state.joins_month}")


def withdrawals(model: CollectiveDefenceModel) -> None:
    """Members whose trust in the group fell below the threshold leave, if the rule allows.

    Decided on one snapshot, so the order of members does not matter. A member that leaves
    calls its forces home, and those helping it go home too.
    """
    if not model.rule.withdrawal_allowed:
        return
    rec = model.record
    threshold = model.config.relations.withdrawal_threshold
    trust = {s: float(model.group_trust[s.index]) for s in model.current_members()}
    leaving = [s for s, t in trust.items() if t == t and t < threshold]  # NaN: alone
    for state in leaving:
        set_status(model, state, "left")
        state.left_month = model.month
        rec.count("withdrawals")
        rec.event("left", state, detail=f"trust in group {trust[state]:.2f}")


def votes(model: CollectiveDefenceModel) -> None:
    """At a ministers' meeting, the group votes on the membership questions due: the
    scenario's scheduled proposals, members the others distrust (``suspend_below_trust``),
    suspended members due for readmission and members that left applying to rejoin."""
    cfg = model.config.membership
    voters = model.current_members()  # every question of the meeting: the same voters
    questions: list[tuple[MemberState, str, str]] = []
    for i, proposal in enumerate(cfg.proposals):
        if i in model.proposals_done or proposal.month > model.month:
            continue
        model.proposals_done.add(i)
        state = model.by_name[proposal.member]
        if proposal.action == "suspend" and state.is_member:
            questions.append((state, "suspension", "scheduled"))
        elif proposal.action == "readmit" and state.status == "suspended":
            questions.append((state, "admission", "scheduled"))
        else:
            model.record.event("proposal dropped", state, detail=f"{proposal.action}: it is "
                               f"{state.status}, not {'a member' if proposal.action == 'suspend'
                               else 'suspended'}")  # fmt: skip
    if cfg.suspend_below_trust is not None:
        trusted = model.relations.trusted_by_group(model.member_mask())
        for state in voters:
            if trusted[state.index] < cfg.suspend_below_trust:
                questions.append((state, "suspension", "low trust"))
    for state in model.states:
        waited = model.month - state.status_since
        due = {"suspended": cfg.readmit_after_months, "left": cfg.rejoin_after_months}
        wait = due.get(state.status)
        if wait is not None and waited >= wait:
            why = "readmission due" if state.status == "suspended" else "applies to rejoin"
            questions.append((state, "admission", why))
    views = Views()
    seen: set[MemberState] = set()
    for state, kind, trigger in questions:
        if state not in seen:  # one question per member and meeting
            seen.add(state)
            decide(model, state, kind, trigger, voters, views)


def decide(
    model: CollectiveDefenceModel,
    subject: MemberState,
    kind: str,
    trigger: str,
    voters: list[MemberState],
    views: Views,
) -> None:
    """``voters`` other than ``subject`` vote on suspending or admitting it. A group with
    nobody left to vote admits whoever applies."""
    rec = model.record
    ballots = []
    trust = model.relations.trust
    for member in voters:
        if member is subject:
            continue
        ctx = VoteContext(
            me=views[member], kind=kind, current=model.rule.preset, proposed=model.rule.preset,
            direction=0, changes={}, trigger=trigger, victim="", subject=subject.name,
            my_trust_in_subject=float(trust[member.index, subject.index]), rng=member.policy_rng,
        )  # fmt: skip
        yes = bool(member.policy.by_decision["vote"].vote(ctx))
        ballots.append(yes)
        rec.event("voted", member, partner=subject, detail=f"{kind}: {'yes' if yes else 'no'}")
    adopted = passes(model.config.membership.vote, ballots) or (kind == "admission" and not ballots)
    tally = f"{sum(ballots)} of {len(ballots)} in favour ({trigger})"
    if kind == "suspension":
        if adopted:
            set_status(model, subject, "suspended")
            rec.count("suspensions")
        rec.event("suspended" if adopted else "not suspended", subject, detail=tally)
        return
    if adopted:
        rejoining = subject.status == "left"
        set_status(model, subject, "member")
        rec.count("joined" if rejoining else "readmissions")
        if rejoining:  # a fresh start: a new government, a new accession treaty
            model.relations.reset_trust(subject.index, model.config.relations.initial_trust)
            subject.left_month = None
    else:
        subject.status_since = model.month  # applies again after the same wait
    rec.event("admitted" if adopted else "not admitted", subject, detail=tally)


def set_status(model: CollectiveDefenceModel, state: MemberState, status: str) -> None:
    """Change ``state``'s status; one that stops taking part calls its forces home, and
    those helping it go home too."""
    state.status = status
    state.status_since = model.month
    if status == "member":
        return
    for threat in model.active_threats():
        for helper, deployment in list(threat.helpers.items()):
            if helper is state or threat.host is state:
                forces.release(deployment)
