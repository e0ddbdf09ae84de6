"""Membership: members whose trust in the group has fallen too far leave it
(docs/ODD.md, 7.12)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim import forces

if TYPE_CHECKING:
    from sim.model import CollectiveDefenceModel


def withdrawals(model: CollectiveDefenceModel) -> None:
    """Members whose trust in the group fell below the threshold leave, if the rule allows.

    Decided on one snapshot, so the order of members does not matter. A member that leaves
    calls its forces home, and those helping it go home too.
    """
    if not model.config.rules.withdrawal_allowed:
        return
    rec = model.record
    threshold = model.config.relations.withdrawal_threshold
    trust = {s: float(model.group_trust[s.index]) for s in model.current_members()}
    leaving = [s for s, t in trust.items() if t == t and t < threshold]  # NaN: alone
    for state in leaving:
        state.is_member = False
        state.left_month = model.month
        rec.count("withdrawals")
        rec.event("left", state, detail=f"trust in group {trust[state]:.2f}")
    if not leaving:
        return
    for threat in model.active_threats():
        for helper, deployment in list(threat.helpers.items()):
            if helper in leaving or not threat.host.is_member:
                forces.release(deployment)
