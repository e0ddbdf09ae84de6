"""Member-state policies: one interface per decision, a registry of named classes.

Write a policy as a frozen dataclass subclassing :class:`Policy`, its parameters' ranges
declared in their types (:data:`Share`, :data:`PctGdp`, :func:`between`); register it with
:func:`register` to name it in scenarios, or name it as ``module:Class`` without registering.
Subclass :class:`Wrapper` to change one decision of another policy. Check a policy with
:func:`sim.testing.check_policy`; docs/policies.md has the whole guide.
"""

from sim.policies import builtin  # noqa: F401  (registers the built-in policies)
from sim.policies.base import (
    NO_HELP,
    STAND_ASIDE,
    BudgetContext,
    Contribution,
    ExerciseContext,
    LearnContext,
    PctGdp,
    PeerView,
    Policy,
    RequestContext,
    ResponseContext,
    SelfView,
    Share,
    ShareAllContext,
    ShareContext,
    ThreatView,
    VoteContext,
    between,
    effort,
)
from sim.policies.combinators import ShareWithin, Wrapper
from sim.policies.registry import PolicyError, make, register, registered, resolve

__all__ = [
    "NO_HELP",
    "STAND_ASIDE",
    "BudgetContext",
    "Contribution",
    "ExerciseContext",
    "LearnContext",
    "PctGdp",
    "PeerView",
    "Policy",
    "PolicyError",
    "RequestContext",
    "ResponseContext",
    "SelfView",
    "Share",
    "ShareAllContext",
    "ShareContext",
    "ShareWithin",
    "ThreatView",
    "VoteContext",
    "Wrapper",
    "between",
    "effort",
    "make",
    "register",
    "registered",
    "resolve",
]
