"""The group's rules: named presets from the ASEAN Way to Article 5, and what a rule means
for one threat (who decides, how, who is bound, with what help).

A rule is a set of knobs (see :class:`sim.config.RulesConfig`). The presets below run along
one spectrum, from strict non-intervention to collective commitment; a scenario picks one
with ``rules.preset`` and may then turn any knob on its own. :func:`terms` turns a rule and
a threat into the terms the group acts on; the response phase, the adversaries' reckoning
and the members' budgets all read a rule through it, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sim.presets import SPECTRUM

if TYPE_CHECKING:
    from sim.config import RulesConfig


#: How far members and adversaries can count on the group's forces under each decision
#: procedure, in [0, 1], before the group's record is taken into account.
COMMITMENT_LEVEL = {
    "none": 0.0,
    "consensus": 0.3,
    "coalition": 0.5,
    "majority": 0.7,
    "automatic": 1.0,
}


@dataclass(frozen=True)
class Terms:
    """What the rule says about one threat.

    Attributes:
        decision: the procedure (``none`` when the group does not act at all).
        obligated: members are bound to contribute once the group acts.
        requires_request: the group acts only if the host asks (else also once overt).
        allowed_help: kinds of help allowed.
        blocked: why the group cannot act (empty if it can).
    """

    decision: str
    obligated: bool
    requires_request: bool
    allowed_help: frozenset[str]
    blocked: str = ""

    @property
    def level(self) -> float:
        """How far the group's help can be counted on under these terms, in [0, 1]."""
        return 0.0 if self.blocked else COMMITMENT_LEVEL[self.decision]


def terms(rule: RulesConfig, kind: str, internal_affair: bool, armed_attack: bool) -> Terms:
    """The terms on which the group acts on a threat of type ``kind``.

    ``armed_attack``: the threat is an armed attack by an outside power; under
    ``mutual_defence`` it is met automatically, unasked, by every member bound, with military
    help allowed, whatever the other knobs say (NATO's Article 5; Article 4's consultation,
    the other knobs, covers the rest).
    """
    if armed_attack and rule.mutual_defence:
        return Terms("automatic", True, False, frozenset({"military", "non_military"}))
    reason = ""
    if rule.decision == "none":
        reason = "the rule provides no collective action"
    elif not rule.covers(kind):
        reason = f"{kind} is not covered by the rule"
    elif rule.internal_affairs_off_limits and internal_affair:
        reason = f"{kind} is an internal affair"
    return Terms(
        decision=rule.decision,
        obligated=is_obligated(rule.decision, rule.obligated),
        requires_request=rule.requires_request,
        allowed_help=frozenset(rule.allowed_help),
        blocked=reason,
    )


def group_acts(decision: str, votes: Sequence[bool]) -> bool:
    """Whether the group acts on a request, given the members' votes.

    ``none``: the group never acts as a group. ``consensus``: every vote in favour (one
    veto blocks). ``majority``: more than half in favour. ``coalition`` and ``automatic``: the
    group acts (with the willing, or with everyone bound).
    """
    if decision == "none":
        return False
    if decision == "consensus":
        return all(votes) and len(votes) > 0
    if decision == "majority":
        return sum(votes) * 2 > len(votes)
    if decision in ("coalition", "automatic"):
        return True
    raise ValueError(f"unknown decision procedure {decision!r}")


def is_obligated(decision: str, obligated: bool) -> bool:
    """Whether members are bound to contribute once the group has decided to act."""
    return obligated and decision in ("consensus", "majority", "automatic")


def credibility(given: float, refused: float) -> float:
    """The group's record of honouring calls for help, in (0, 1]: contributions over
    contributions and refusals, with one prior contribution, so that a group with no
    history is taken at its word (what challengers and members learn from what allies did:
    Leeds 2003)."""
    return (given + 1.0) / (given + refused + 1.0)


def level(rule: RulesConfig) -> int:
    """The rule's position on the spectrum of presets (0: non_intervention)."""
    return SPECTRUM.index(rule.preset)
