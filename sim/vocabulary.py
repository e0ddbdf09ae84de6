"""The words rules are written in: every list of allowed values and the common ranges of
numbers, declared once.

Each list is a ``Literal`` type, which the scenario schema (:mod:`sim.config`) validates
against, and a tuple of its values, which the model (:mod:`sim.rules`), the browser view and
the docs read. A new value is added here, and only here; the code that acts on it then
follows (e.g. :func:`sim.rules.group_acts` for a new decision procedure).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import Field

#: How the group decides to act on a request for help: ``none`` (it never acts as a group),
#: ``consensus`` (one veto blocks), ``majority`` (more than half), ``coalition`` (the willing
#: act), ``automatic`` (every member bound acts, unasked).
Procedure = Literal["none", "consensus", "majority", "coalition", "automatic"]
PROCEDURES: tuple[str, ...] = get_args(Procedure)

#: How members pass on intelligence: not at all, pair by pair between those who trust each
#: other, within a named sub-group, or pooled among all.
Sharing = Literal["none", "bilateral", "subgroup", "pooled"]
SHARING: tuple[str, ...] = get_args(Sharing)

#: The kinds of help a rule may allow.
Help = Literal["military", "non_military"]
HELP: tuple[str, ...] = get_args(Help)

#: The kinds of joint exercise: combat (live fire, interoperability) or non-combat (disaster
#: relief, search and rescue, tabletop).
ExerciseKind = Literal["combat", "non_combat"]
EXERCISE_KINDS: tuple[str, ...] = get_args(ExerciseKind)

#: How a vote on an amendment, a suspension or an admission passes.
Vote = Literal["consensus", "majority"]
VOTES: tuple[str, ...] = get_args(Vote)

#: What puts an amendment of the rule on the agenda (docs/ODD.md, 7.14).
Trigger = Literal["armed_attack", "challenge", "damage", "abandonment", "entrapment"]
TRIGGERS: tuple[str, ...] = get_args(Trigger)


def between(low: float, high: float) -> Any:
    """A number's type: finite, in ``[low, high]``. Scenario fields use it, and so do policy
    parameters (checked when the policy is made, shown by ``cdsim policies``)."""
    return Annotated[float, Field(ge=low, le=high, allow_inf_nan=False)]


#: A share, probability or fraction, in [0, 1].
Share = between(0.0, 1.0)
#: A share of GDP in per cent, in [0, 100].
PctGdp = between(0.0, 100.0)
