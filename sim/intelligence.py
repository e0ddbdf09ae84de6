"""Intelligence sharing: who shares with whom this month, leaks, and what leaks cost.

Detection itself is part of a threat's life (``sim.threats.detect``); this phase decides
the sharing links it runs on (docs/ODD.md, 7.6).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.policies import ShareContext
from sim.states import Views

if TYPE_CHECKING:
    from sim.model import CollectiveDefenceModel
    from sim.states import MemberState


def allowed_pairs(model: CollectiveDefenceModel) -> list[tuple[MemberState, MemberState]]:
    """Ordered pairs (sharer, receiver) the rule's arrangement allows this month.

    ``none``: no pair. ``bilateral``: pairs whose mutual trust is at least
    ``intelligence.bilateral_trust``. ``subgroup``: pairs inside ``rules.sharing_group``.
    ``pooled``: every pair of current members.
    """
    arrangement = model.rule.intelligence_sharing
    members = model.current_members()
    if arrangement == "none":
        return []
    trust = model.relations.trust
    threshold = model.config.intelligence.bilateral_trust
    pairs = []
    for j in members:
        for i in members:
            if i is j:
                continue
            if (
                arrangement == "bilateral"
                and min(trust[j.index, i.index], trust[i.index, j.index]) < threshold
            ):
                continue
            if arrangement == "subgroup" and not (
                j.name in model.sharing_group and i.name in model.sharing_group
            ):
                continue
            pairs.append((j, i))
    return pairs


def share(model: CollectiveDefenceModel) -> None:
    """Members decide (on one snapshot) whom to share with; sharing builds trust; links may
    leak. A leak costs the sharer trust in the leaker and compromises its sources: what
    adversaries and criminal networks learn from it makes them harder for the sharer to see
    (its detection capacity falls by ``leak_compromise`` of what is left, and recovers
    ``compromise_recovery`` of the loss a month).

    Sets ``model.sharing[j, i]`` (j passes its intelligence to i) for this month.
    """
    cfg = model.config.intelligence
    rec = model.record
    recovery = 1.0 - (1.0 - cfg.compromise_recovery) ** model.months_per_step
    for state in model.states:
        state.compromise -= recovery * state.compromise
    model.sharing[:] = False
    pairs = allowed_pairs(model)
    views = Views()
    arrangement = model.rule.intelligence_sharing
    links = []
    for j, i in pairs:
        ctx = ShareContext(me=views[j], partner=i.name, arrangement=arrangement, rng=j.policy_rng)
        if j.policy.by_decision["share"].share(ctx):
            model.sharing[j.index, i.index] = True
            links.append((j, i))
    leak_p = 1.0 - (1.0 - cfg.leak_probability) ** model.months_per_step
    draws = model.streams["leaks"].random(len(links))
    gain = 1.0 - (1.0 - cfg.sharing_trust_gain) ** model.months_per_step
    for (j, i), u in zip(links, draws, strict=True):
        model.relations.gain_trust(i.index, j.index, gain)
        if u < leak_p:
            model.relations.lose_trust(j.index, i.index, cfg.leak_trust_penalty)
            j.compromise += cfg.leak_compromise * (1.0 - j.compromise)
            rec.count("leaks")
            rec.event("leak", i, partner=j, detail=f"{i.name} leaked intelligence from {j.name}")
    for m in model.states:
        m.shared_with_me = frozenset(
            model.states[j].name for j in np.flatnonzero(model.sharing[:, m.index])
        )
    rec.count("sharing_links", len(links))
