"""Joint exercises: the scheduled way members build readiness, interoperability and trust
(docs/ODD.md, 7.10)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.policies import ExerciseContext

if TYPE_CHECKING:
    from sim.model import CollectiveDefenceModel


def exercise_kind(model: CollectiveDefenceModel) -> str | None:
    """The kind held: the scenario's, or non-combat if the rule forbids it; None if the
    rule allows no exercise at all.
    """
    wanted = model.config.exercises.kind
    allowed = model.rule.exercise_kinds
    if wanted in allowed:
        return wanted
    return "non_combat" if "non_combat" in allowed else None


def hold(model: CollectiveDefenceModel) -> None:
    """Members decide whether to join; participants pay, gain readiness, interoperability
    and trust among themselves. Non-combat exercises (disaster relief, search and rescue)
    raise readiness half as much as combat ones.
    """
    cfg = model.config.exercises
    rec = model.record
    kind = exercise_kind(model)
    if kind is None:
        return
    joined = []
    for member in model.current_members():
        cost = cfg.cost_share * member.annual_budget_usd_bn
        ctx = ExerciseContext(me=member.view(), kind=kind, cost_usd_bn=cost, rng=member.policy_rng)
        if member.policy.by_decision["exercise"].join_exercise(ctx):
            joined.append((member, cost))
    if len(joined) < 2:
        rec.event("exercise", None, detail=f"{kind}: cancelled, {len(joined)} participant(s)")
        return
    gain = cfg.readiness_gain * (1.0 if kind == "combat" else 0.5)
    for member, cost in joined:
        member.exercise_cost_usd_bn += cost
        member.counts["exercises"] += 1
        member.readiness += gain * (1.0 - member.readiness)
        rec.add("exercise_cost", cost)
    model.relations.gain_among(
        [m.index for m, _ in joined], cfg.trust_gain, cfg.interoperability_gain
    )
    rec.count("exercise_participants", len(joined))
    rec.event("exercise", None, detail=f"{kind}: " + ", ".join(m.name for m, _ in joined))
