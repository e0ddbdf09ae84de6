"""The named rules: presets along one spectrum, from the ASEAN Way to Article 5.

A rule is a set of knobs (:class:`sim.config.RulesConfig`); a preset fills every knob a
scenario does not set. The presets are plain data, read by the scenario schema (to fill a
rule), the model (:mod:`sim.rules`, :mod:`sim.amendment`: a rule's level is its preset's
position), the figures and the browser view.
"""

from __future__ import annotations

#: ``covered_threats`` of a rule that covers every threat type.
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
        "obligated": False,
        "mutual_defence": False,
        "intelligence_sharing": "bilateral",
        "exercise_kinds": ["non_combat"],
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
        "obligated": False,
        "mutual_defence": False,
        "intelligence_sharing": "pooled",
        "exercise_kinds": ["non_combat"],
        "withdrawal_allowed": True,
    },
    # Those willing act together when asked; nobody is bound and nobody can veto.
    "coalition_of_the_willing": {
        "decision": "coalition",
        "requires_request": True,
        "covered_threats": ALL_THREATS,
        "internal_affairs_off_limits": True,
        "allowed_help": ["military", "non_military"],
        "obligated": False,
        "mutual_defence": False,
        "intelligence_sharing": "pooled",
        "exercise_kinds": ["combat", "non_combat"],
        "withdrawal_allowed": True,
    },
    # NATO's Articles 5 and 4 taken apart: an armed attack by an outside power binds every
    # member at once; anything else is a matter for consultation, by consensus, on request.
    "armed_attack_only": {
        "decision": "consensus",
        "requires_request": True,
        "covered_threats": ALL_THREATS,
        "internal_affairs_off_limits": True,
        "allowed_help": ["military", "non_military"],
        "obligated": False,
        "mutual_defence": True,
        "intelligence_sharing": "pooled",
        "exercise_kinds": ["combat", "non_combat"],
        "withdrawal_allowed": True,
    },
    # A majority decides, and binds all; the group may act unasked once a threat is overt.
    "majority_commitment": {
        "decision": "majority",
        "requires_request": False,
        "covered_threats": ALL_THREATS,
        "internal_affairs_off_limits": True,
        "allowed_help": ["military", "non_military"],
        "obligated": True,
        "mutual_defence": False,
        "intelligence_sharing": "pooled",
        "exercise_kinds": ["combat", "non_combat"],
        "withdrawal_allowed": True,
    },
    # NATO's Article 5 for everything: an attack on one is an attack on all; every member is
    # bound to act, in any threat, asked or not.
    "collective_commitment": {
        "decision": "automatic",
        "requires_request": False,
        "covered_threats": ALL_THREATS,
        "internal_affairs_off_limits": False,
        "allowed_help": ["military", "non_military"],
        "obligated": True,
        "mutual_defence": True,
        "intelligence_sharing": "pooled",
        "exercise_kinds": ["combat", "non_combat"],
        "withdrawal_allowed": True,
    },
}

#: The presets in order along the spectrum; a rule's level is its preset's position.
SPECTRUM = tuple(PRESETS)
