"""Amending the rule: after a crisis the group may move along the spectrum of presets
(docs/ODD.md, 7.14).

Only at a ministers' meeting, and only with the scenario's ``amendment`` procedure. If one of
its triggers fired since the previous meeting (an outside power's attack the group did not
answer, a member badly hurt, repeated abandonment, an entrapment), one proposal is put to
the vote: a notch towards more commitment for a tightening trigger (or the named knobs),
a notch towards less for a loosening one. Every member votes with its policy's ``vote``;
a consensus or a majority adopts it. After any proposal, adopted or not, no other can be put
for ``cooldown_months``: amending a rule is slow and biased towards the status quo.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sim import presets, rules
from sim.config import RulesConfig
from sim.policies import VoteContext
from sim.states import Views

if TYPE_CHECKING:
    from sim.config import AmendmentConfig
    from sim.model import CollectiveDefenceModel


def consider(model: CollectiveDefenceModel) -> None:
    """Put an amendment to the vote if a trigger fired since the last meeting."""
    cfg = model.config.amendment
    if cfg is None:
        return
    if model.last_proposal is not None and model.month - model.last_proposal < cfg.cooldown_months:
        return
    since = model.month - model.config.relations.meeting_interval_months
    for direction, triggers in ((+1, cfg.tighten_on), (-1, cfg.loosen_on)):
        fired = first_trigger(model, cfg, triggers, since)
        if fired is None:
            continue
        proposed = amended(model.rule, direction, cfg.knobs if direction > 0 else {})
        if proposed is None:
            continue
        put_to_vote(model, cfg, proposed, direction, *fired)
        return


def first_trigger(
    model: CollectiveDefenceModel, cfg: AmendmentConfig, triggers: list[str], since: float
) -> tuple[str, str] | None:
    """The first of ``triggers`` (in their order) that fired after month ``since``, with
    the member it hit ('' if none), or None."""
    rec = model.record
    for trigger in triggers:
        if trigger == "armed_attack" and (hit := rec.notes_since("unanswered_armed_attack", since)):
            return trigger, hit[-1]
        if trigger == "challenge" and (hit := rec.notes_since("unanswered_challenge", since)):
            return trigger, hit[-1]
        if trigger == "entrapment" and (hit := rec.notes_since("entrapped", since)):
            return trigger, hit[-1]
        if trigger == "abandonment" and rec.since("abandonments", model.month - 12) >= (
            cfg.abandonments
        ):
            hit = rec.notes_since("abandoned", model.month - 12)
            return trigger, hit[-1] if hit else ""
        if trigger == "damage":
            hurt = [(m.damage_last_year_pct_gdp(), m.name) for m in model.current_members()]
            worst = max(hurt, default=(0.0, ""))
            if worst[0] > cfg.damage_pct_gdp:
                return trigger, worst[1]
    return None


def put_to_vote(
    model: CollectiveDefenceModel,
    cfg: AmendmentConfig,
    proposed: RulesConfig,
    direction: int,
    trigger: str,
    victim: str,
) -> None:
    """Every current member votes on ``proposed``; adopted, it is the rule from now on."""
    rec = model.record
    current = model.rule
    changed = changes(current, proposed)
    label = model.rule_label
    target = proposed.preset if proposed.preset != current.preset else label.rstrip("*") + "*"
    model.last_proposal = model.month
    rec.count("amendments_proposed")
    rec.event("proposed", None, detail=f"{label} -> {target} ({trigger}, {victim})")
    views = Views()
    votes = []
    for member in model.current_members():
        ctx = VoteContext(
            me=views[member], kind="amendment", current=current.preset, proposed=proposed.preset,
            direction=direction, changes=changed, trigger=trigger, victim=victim, subject="",
            my_trust_in_subject=0.5, rng=member.policy_rng,
        )  # fmt: skip
        yes = bool(member.policy.by_decision["vote"].vote(ctx))
        votes.append(yes)
        rec.event("voted", member, detail=f"amendment to {target}: {'yes' if yes else 'no'}")
    if not passes(cfg.vote, votes):
        rec.event("rejected", None, detail=f"{label} -> {target}: {sum(votes)} of "
                  f"{len(votes)} in favour ({cfg.vote})")  # fmt: skip
        return
    model.rule = proposed
    model.rule_label = target
    rec.count("amendments_tightening" if direction > 0 else "amendments_loosening")
    rec.event("amended", None, detail=f"{label} -> {target}: {sum(votes)} of "
              f"{len(votes)} in favour ({cfg.vote}); changed {', '.join(changed)}")  # fmt: skip


def passes(procedure: str, votes: list[bool]) -> bool:
    """Whether a vote carries: ``consensus`` needs every vote (and at least one),
    ``majority`` more than half."""
    if procedure == "consensus":
        return bool(votes) and all(votes)
    return sum(votes) * 2 > len(votes)


def amended(rule: RulesConfig, direction: int, knobs: dict[str, Any]) -> RulesConfig | None:
    """The rule an amendment proposes: one notch along the spectrum (``direction`` +1 or
    -1; the new preset's knobs, the sub-group kept), or, when tightening with ``knobs``,
    the current rule with those knobs set. None if there is nothing to propose (the end of
    the spectrum, or knobs already as proposed)."""
    if direction > 0 and knobs:
        proposed = RulesConfig.model_validate({**rule.model_dump(), **knobs})
        return None if proposed == rule else proposed
    position = rules.level(rule) + direction
    if not 0 <= position < len(presets.SPECTRUM):
        return None
    return RulesConfig.model_validate(
        {"preset": presets.SPECTRUM[position], "sharing_group": rule.sharing_group}
    )


def changes(old: RulesConfig, new: RulesConfig) -> dict[str, tuple[object, object]]:
    """Each knob that differs between two rules: (old, new)."""
    a, b = old.model_dump(), new.model_dump()
    return {k: (a[k], b[k]) for k in a if a[k] != b[k]}
