"""The group's rules: named presets from the ASEAN Way to Article 5, and how the group decides.

A rule is a set of knobs (see :class:`sim.config.RulesConfig`). The presets below run along
one spectrum, from strict non-intervention to collective commitment; a scenario picks one
with ``rules.preset`` and may then turn any knob on its own.
"""

from __future__ import annotations

from collections.abc import Sequence

ALL_THREATS = "all"

#: Presets in order along the spectrum, least to most committed.
PRESETS: dict[str, dict[str, object]] = {
    # The ASEAN Way (Bangkok Declaration 1967, TAC 1976): consensus, no interference in
    # internal affairs, help only when asked and civil (disaster relief, HADR, information).
    "non_intervention": {
        "decision": "consensus",
        "requires_request": True,
        "covered_threats": ["natural_disaster", "pandemic", "transnational_crime"],
        "internal_affairs_off_limits": True,
        "allowed_help": ["non_military"],
        "intelligence_sharing": "bilateral",
        "exercise_kinds": ["non_combat"],
        "obligated": False,
        "withdrawal_allowed": True,
    },
    # Surin Pitsuwan's "flexible engagement" (1998): still consensus and on request, but
    # transnational threats are open to military help and intelligence is pooled.
    "flexible_engagement": {
        "decision": "consensus",
        "requires_request": True,
        "covered_threats": [
            "natural_disaster",
            "pandemic",
            "transnational_crime",
            "terrorism",
            "cyber_attack",
        ],
        "internal_affairs_off_limits": True,
        "allowed_help": ["military", "non_military"],
        "intelligence_sharing": "pooled",
        "exercise_kinds": ["non_combat"],
        "obligated": False,
        "withdrawal_allowed": True,
    },
    # Those willing act together when asked; nobody is bound and nobody can veto.
    "coalition_of_the_willing": {
        "decision": "coalition",
        "requires_request": True,
        "covered_threats": ALL_THREATS,
        "internal_affairs_off_limits": True,
        "allowed_help": ["military", "non_military"],
        "intelligence_sharing": "pooled",
        "exercise_kinds": ["combat", "non_combat"],
        "obligated": False,
        "withdrawal_allowed": True,
    },
    # A majority decides, and binds all; the group may act unasked once a threat is overt.
    "majority_commitment": {
        "decision": "majority",
        "requires_request": False,
        "covered_threats": ALL_THREATS,
        "internal_affairs_off_limits": True,
        "allowed_help": ["military", "non_military"],
        "intelligence_sharing": "pooled",
        "exercise_kinds": ["combat", "non_combat"],
        "obligated": True,
        "withdrawal_allowed": True,
    },
    # NATO's Article 5: an attack on one is an attack on all; every member is bound to act.
    "collective_commitment": {
        "decision": "automatic",
        "requires_request": False,
        "covered_threats": ALL_THREATS,
        "internal_affairs_off_limits": False,
        "allowed_help": ["military", "non_military"],
        "intelligence_sharing": "pooled",
        "exercise_kinds": ["combat", "non_combat"],
        "obligated": True,
        "withdrawal_allowed": True,
    },
}

DECISIONS = ("none", "consensus", "majority", "coalition", "automatic")
SHARING = ("none", "bilateral", "subgroup", "pooled")

#: How far members can count on the group's capability under each decision procedure, in
#: [0, 1]: the starting point of their budget reasoning (see BudgetContext.expected_support).
COMMITMENT_LEVEL = {
    "none": 0.0,
    "consensus": 0.3,
    "coalition": 0.5,
    "majority": 0.7,
    "automatic": 1.0,
}


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
