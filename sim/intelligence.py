"""Intelligence sharing: who shares with whom this month, leaks, and what leaks cost.

Detection itself is part of a threat's life (``sim.threats.detect``); this phase decides
the sharing links it runs on (docs/ODD.md, 7.6).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import numpy as np

from sim.policies.base import NameSet, ShareAllContext, share_many
from sim.states import Views

if TYPE_CHECKING:
    from sim.model import CollectiveDefenceModel


def allowed_links(model: CollectiveDefenceModel) -> np.ndarray:
    """Boolean matrix ``allowed[j, i]``: the rule's arrangement lets j share with i this month.

    ``none``: no pair. ``bilateral``: pairs whose mutual trust is at least
    ``intelligence.bilateral_trust``. ``subgroup``: pairs inside ``rules.sharing_group``.
    ``pooled``: every pair of current members.
    """
    arrangement = model.rule.intelligence_sharing
    n = len(model.states)
    if arrangement == "none":
        return np.zeros((n, n), dtype=bool)
    inside = model.member_mask()
    if arrangement == "subgroup":
        inside = inside & model.sharing_group_mask
    allowed = np.outer(inside, inside)
    np.fill_diagonal(allowed, False)
    if arrangement == "bilateral":
        trust = model.relations.trust
        allowed &= np.minimum(trust, trust.T) >= model.config.intelligence.bilateral_trust
    return allowed


def share(model: CollectiveDefenceModel) -> None:
    """Members decide (on one snapshot) whom to share with; sharing builds trust; links may
    leak. A leak costs the sharer trust in the leaker and compromises its sources: what
    adversaries and criminal networks learn from it makes them harder for the sharer to see
    (its detection capacity falls by ``leak_compromise`` of what is left, and recovers
    ``compromise_recovery`` of the loss a month). Within a month the trust that sharing
    builds comes first, then what leaks cost.

    Each sharer answers for all its partners at once (``share_many``: the policy's
    many-at-once form where it has one). Replaces ``model.sharing`` with this month's links,
    read-only: ``sharing[j, i]``, j passes its intelligence to i.
    """
    cfg = model.config.intelligence
    rec = model.record
    recovery = 1.0 - (1.0 - cfg.compromise_recovery) ** model.months_per_step
    for state in model.states:
        state.compromise -= recovery * state.compromise
    before = model.sharing  # last month's links: who shared with whom
    allowed = allowed_links(model)
    sharing = np.zeros_like(before)
    views = Views()
    arrangement = model.rule.intelligence_sharing
    trust = model.relations.trust
    names = model.names
    in_group = model.sharing_group_mask
    for j in np.flatnonzero(allowed.any(axis=1)):
        sharer = model.states[j]
        partners = np.flatnonzero(allowed[j])
        ctx = ShareAllContext.deferred(
            functools.partial(views.__getitem__, sharer),
            partners=names[partners],
            arrangement=arrangement,
            rng=sharer.policy_rng,
            trust=trust[j, partners],
            shared_with_me=before[partners, j],
            neighbour=model.adjacency[j, partners],
            in_sharing_group=in_group[partners],
        )
        sharing[j, partners] = share_many(sharer.policy.by_decision["share"], ctx)
    model.sharing = sharing
    sharers, receivers = np.nonzero(sharing)  # links in order of sharer, then receiver
    gain = 1.0 - (1.0 - cfg.sharing_trust_gain) ** model.months_per_step
    trust[receivers, sharers] += gain * (1.0 - trust[receivers, sharers])
    leak_p = 1.0 - (1.0 - cfg.leak_probability) ** model.months_per_step
    draws = model.streams["leaks"].random(len(sharers))
    for k in np.flatnonzero(draws < leak_p):
        j, i = model.states[sharers[k]], model.states[receivers[k]]
        model.relations.lose_trust(j.index, i.index, cfg.leak_trust_penalty)
        j.compromise += cfg.leak_compromise * (1.0 - j.compromise)
        rec.count("leaks")
        rec.event("leak", i, partner=j, detail=f"{i.name} leaked intelligence from {j.name}")
    sharing.flags.writeable = False  # the members' NameSets below are views of it
    for m in model.states:
        m.shared_with_me = NameSet(names, model.index_of, sharing[:, m.index])
    rec.count("sharing_links", len(sharers))
