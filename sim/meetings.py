"""Ministers' meetings (the ASEAN Defence Ministers' Meeting, NATO's ministerials): they
build trust, cost money, and set the pace of consensus (docs/ODD.md, 7.11)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.model import CollectiveDefenceModel


def hold(model: CollectiveDefenceModel) -> None:
    """Every current member attends and pays ``relations.meeting_cost_usd_bn``; trust between
    every pair of members closes a share of its gap to full trust. Requests awaiting a
    consensus are decided at the meeting (the response phase times them to it)."""
    cfg = model.config.relations
    rec = model.record
    members = model.current_members()
    for member in members:
        member.meeting_cost_usd_bn += cfg.meeting_cost_usd_bn
        rec.add("meeting_cost", cfg.meeting_cost_usd_bn)
    model.relations.gain_among([m.index for m in members], cfg.meeting_trust_gain, 0.0)
    rec.count("meetings")
    rec.event("meeting", None, detail=f"{len(members)} members")
