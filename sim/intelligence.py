"""Intelligence: who shares with whom this month, leaks, and detection of latent threats."""

from __future__ import annotations

import math
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
    arrangement = model.config.rules.intelligence_sharing
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


def share_intelligence(model: CollectiveDefenceModel) -> None:
    """Members decide (on one snapshot) whom to share with; links may leak; sharing builds trust.

    Sets ``model.sharing[j, i]`` (j passes its intelligence to i) for this month.
    """
    cfg = model.config.intelligence
    model.sharing[:] = False
    pairs = allowed_pairs(model)
    views = Views()
    arrangement = model.config.rules.intelligence_sharing
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
            model.tick["leaks"] += 1
            model.log("leak", i, partner=j, detail=f"{i.name} leaked intelligence from {j.name}")
    for m in model.states:
        m.shared_with_me = frozenset(
            model.states[j].name for j in np.flatnonzero(model.sharing[:, m.index])
        )
    model.tick["sharing_links"] = len(links)


def detect(model: CollectiveDefenceModel) -> None:
    """Each latent threat may be detected by its host or by a partner sharing with the host.

    Detection hazard per month for an observer: ``detectability * capacity * size /
    overt_size`` (bigger threats are easier to see), with a partner's capacity scaled by
    ``remote_reach`` unless it borders the host. Overt threats are always detected.
    """
    cfg = model.config.intelligence
    rng = model.streams["detection"]
    months = model.months_per_step
    for threat in model.active_threats():
        if threat.detected:
            continue
        host = threat.host
        base = threat.cfg.detectability * threat.size / threat.cfg.overt_size * months
        observers = [(host, host.intel_capacity)]
        for j in np.flatnonzero(model.sharing[:, host.index]):
            partner = model.states[j]
            reach = 1.0 if partner.name in model.neighbour_names[host.name] else cfg.remote_reach
            observers.append((partner, partner.intel_capacity * reach))
        draws = rng.random(len(observers))
        for (observer, capacity), u in zip(observers, draws, strict=True):
            if u < 1.0 - math.exp(-base * capacity):
                model.mark_detected(threat, observer)
                break
