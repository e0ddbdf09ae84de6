"""Finite means: what members send to help each other, and what that leaves at home.

A member's means (military and civil, US$ bn a year; see :meth:`MemberState.means`) serve
its own threats and every commitment abroad. A :class:`Deployment` ties up part of them from
the group's decision until the threat ends (or the helper or host leaves), costs its helper
for as long as it lasts, and counts against the threat once it has arrived. Nobody deploys
more than it has free: a new commitment takes a share of what is still available, and if a
member's means shrink below what it has abroad, its deployments shrink with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sim.policies import Contribution

if TYPE_CHECKING:
    from sim.states import MemberState

KINDS = ("military", "civil")


@dataclass(eq=False)
class Deployment:
    """One helper's means committed to one threat.

    Attributes:
        helper: the member helping.
        offer: its policy's answer (the shares of its available means it offered).
        means: US$ bn a year deployed, by kind (``military``, ``civil``).
        since: month of the decision (means are tied up and paid for from then on).
        arrives: month from which they count against the threat.
        entrapped: whether this deployment drew its helper into an outside power's war.
    """

    helper: MemberState
    offer: Contribution
    means: dict[str, float]
    since: int
    arrives: float
    entrapped: bool = False

    @property
    def total(self) -> float:
        """Means of both kinds, US$ bn a year."""
        return self.means["military"] + self.means["civil"]


def commit(deployment: Deployment) -> None:
    """Tie up the deployment's means (the caller never offers more than is available)."""
    helper = deployment.helper
    for kind in KINDS:
        helper.abroad[kind] += deployment.means[kind]
    helper.deployments.append(deployment)


def release(deployment: Deployment) -> None:
    """The deployment ends: its means return home."""
    helper = deployment.helper
    for kind in KINDS:
        helper.abroad[kind] = max(0.0, helper.abroad[kind] - deployment.means[kind])
        deployment.means[kind] = 0.0
    if deployment in helper.deployments:
        helper.deployments.remove(deployment)


def shrink_to_means(member: MemberState) -> None:
    """If ``member``'s means fell below what it has abroad (readiness decays, GDP falls),
    scale its deployments down to what it still has."""
    for kind in KINDS:
        have = member.means(kind)
        out = member.abroad[kind]
        if out <= have or out <= 0:
            continue
        factor = have / out
        for d in member.deployments:
            d.means[kind] *= factor
        member.abroad[kind] = have
