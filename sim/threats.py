"""Threats: emerge at a member, grow unless countered, may be detected, spill across borders.

A threat is a Mesa agent placed on the cell of the member it hits. Its life:
latent (emerged, unseen) -> detected (by its host, or by a partner who shares) -> countered
by its host and any helpers -> resolved (size below ``resolved_below``), or still active
when the run ends. It does damage every month it is active, in proportion to its size.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from mesa.discrete_space import FixedAgent

from sim.config import ThreatTypeConfig
from sim.policies import Contribution, ThreatView

if TYPE_CHECKING:
    from sim.model import CollectiveDefenceModel
    from sim.states import MemberState


def months_to_overt(size: float, cfg: ThreatTypeConfig, months_per_step: int = 1) -> float:
    """Months after its emergence step at which an unanswered threat of ``size`` becomes
    overt (inf if it never does). A threat grows already in the step it emerges in.
    """
    if size >= cfg.overt_size:
        return 0.0
    if cfg.growth <= 0:
        return math.inf
    steps = math.ceil(math.log(cfg.overt_size / size) / (months_per_step * math.log1p(cfg.growth)))
    return (steps - 1) * months_per_step


class Threat(FixedAgent):
    """One threat hitting one member.

    Attributes:
        kind: the threat type's name; ``cfg`` its parameters.
        host: the member state hit.
        size: current intensity; ``overt_size`` of its type is when it is evident.
        helpers: contributions of the members helping the host, by member.
    """

    def __init__(
        self,
        model: CollectiveDefenceModel,
        kind: str,
        host: MemberState,
        size: float,
        origin: Threat | None = None,
    ):
        super().__init__(model)
        self.kind = kind
        self.cfg: ThreatTypeConfig = model.config.threats[kind]
        self.host = host
        self.cell = host.cell
        self.size = min(size, self.cfg.max_size)
        self.initial_size = self.size
        self.peak_size = self.size
        self.origin = origin.unique_id if origin is not None else None
        self.emerged_month = model.month
        # A spill-over is created during the threats' own update and starts growing a step
        # later than a threat arriving at the start of the step.
        delay = (
            model.months_per_step if origin is not None and self.size < self.cfg.overt_size else 0
        )
        self.projected_overt_month = (
            model.month + months_to_overt(self.size, self.cfg, model.months_per_step) + delay
        )
        self.overt_month: int | None = model.month if self.size >= self.cfg.overt_size else None
        self.detected_month: int | None = None
        self.detected_by: str | None = None
        self.request: str | None = None  # None, "asked", "unasked"
        self.collective: str | None = None  # None (undecided), "acted", "declined", "blocked"
        self.first_help_month: int | None = None
        self.helpers: dict[MemberState, Contribution] = {}
        self.engaged_since: dict[MemberState, int] = {}
        self.entrapped: set[MemberState] = set()
        self.spilled_to: set[str] = set()
        self.damage_usd_bn = 0.0
        self.resolved_month: int | None = None

    @property
    def detected(self) -> bool:
        """Whether anyone has detected it."""
        return self.detected_month is not None

    @property
    def overt(self) -> bool:
        """Whether it is big enough to be evident to all."""
        return self.size >= self.cfg.overt_size

    def spill_risk(self) -> float:
        """Monthly chance of spreading into a land neighbour now (half across the sea)."""
        return self.cfg.spillover if self.overt else 0.0

    def view(self) -> ThreatView:
        """What policies may know about it."""
        return ThreatView(
            id=self.unique_id,
            type=self.kind,
            host=self.host.name,
            size=self.size,
            overt_size=self.cfg.overt_size,
            months_active=self.model.month - self.emerged_month,
            military=self.cfg.military,
            internal_affair=self.cfg.internal_affair,
            public_benefit=self.cfg.public_benefit,
            spill_risk=self.spill_risk(),
        )

    def strength(self) -> float:
        """Response strength against it this month: the host's own plus its helpers'.

        A helper's effect is its effort of each kind times its capacity for that kind
        (military strength or resilience), its readiness, the threat type's effect for that
        kind of help, and interoperability with the host (from 0.5 with none to 1 at full).
        """
        if not self.detected:
            return 0.0
        total = self.host.power(self.cfg.military)
        interop = self.model.relations.interoperability
        for helper, c in self.helpers.items():
            military = c.military * helper.military_strength * self.cfg.military_help_effect
            civil = c.non_military * helper.resilience * self.cfg.non_military_help_effect
            fit = 0.5 + 0.5 * interop[self.host.index, helper.index]
            total += (military + civil) * helper.readiness * fit
        return total

    def record(self) -> dict[str, Any]:
        """One row of the threats table."""
        lead = None
        if self.detected_month is not None and math.isfinite(self.projected_overt_month):
            lead = max(0.0, self.projected_overt_month - self.detected_month)
        return {
            "threat_id": self.unique_id,
            "type": self.kind,
            "host": self.host.name,
            "origin": self.origin,
            "emerged_month": self.emerged_month,
            "initial_size": self.initial_size,
            "peak_size": self.peak_size,
            "final_size": self.size,
            "overt_month": self.overt_month,
            "detected_month": self.detected_month,
            "detected_by": self.detected_by,
            "lead_time_months": lead,
            "request": self.request,
            "collective": self.collective,
            "first_help_month": self.first_help_month,
            "helpers": ";".join(sorted(h.name for h in self.helpers)),
            "resolved_month": self.resolved_month,
            "damage_usd_bn": self.damage_usd_bn,
        }
