"""Policies built from other policies: a wrapper delegates every decision to an inner
policy and changes only what it is about.

The inner policy is named as in a scenario file (a registered name, ``module:Class``, or a
mapping ``{name: ..., params: {...}}``), so wrappers are set entirely from YAML::

    policy:
      name: share_within
      params: {inner: reciprocal, circle: [Indonesia, Malaysia, Singapore]}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.policies.base import (
    BudgetContext,
    Contribution,
    ExerciseContext,
    LearnContext,
    Policy,
    RequestContext,
    ResponseContext,
    ShareAllContext,
    ShareContext,
    VoteContext,
    share_many,
)
from sim.policies.registry import PolicyError, make, register


def inner_policy(spec: str | dict[str, Any]) -> Policy:
    """The policy a wrapper's ``inner`` parameter names."""
    if isinstance(spec, str):
        return make(spec)
    unknown = set(spec) - {"name", "params"}
    if "name" not in spec or unknown:
        raise PolicyError(
            f"inner: expected a policy name or {{name: ..., params: {{...}}}}, got {spec!r}"
        )
    return make(spec["name"], spec.get("params") or {})


@dataclass(frozen=True)
class Wrapper(Policy):
    """Base of wrappers: every decision is the inner policy's unless a subclass overrides it.

    Parameters:
        inner: the wrapped policy: a name, ``module:Class``, or {name, params}.
    """

    inner: str | dict[str, Any] = "reciprocal"
    wrapped: Policy = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "wrapped", inner_policy(self.inner))

    def share(self, ctx: ShareContext) -> bool:
        return self.wrapped.share(ctx)

    def share_all(self, ctx: ShareAllContext) -> np.ndarray:
        return share_many(self.wrapped, ctx)

    def join_exercise(self, ctx: ExerciseContext) -> bool:
        return self.wrapped.join_exercise(ctx)

    def request_help(self, ctx: RequestContext) -> bool:
        return self.wrapped.request_help(ctx)

    def respond(self, ctx: ResponseContext) -> Contribution:
        return self.wrapped.respond(ctx)

    def set_budget(self, ctx: BudgetContext) -> float:
        return self.wrapped.set_budget(ctx)

    def vote(self, ctx: VoteContext) -> bool:
        return self.wrapped.vote(ctx)

    def learn(self, ctx: LearnContext):
        return self.wrapped.learn(ctx)

    def label(self, memory) -> str:
        return self.wrapped.label(memory)


@register
@dataclass(frozen=True)
class ShareWithin(Wrapper):
    """Another policy, except that intelligence goes only to a closed circle of members.

    Intelligence sharing among a trusted few, as in the Five Eyes or ASEAN's "Our Eyes"
    (2018): a member may cooperate in everything else and still keep its intelligence inside
    the circle, whatever the group's arrangement allows. Every other decision is the inner
    policy's.

    Parameters:
        inner: the wrapped policy: a name, ``module:Class``, or {name, params}.
        circle: the members it shares with (names); it shares with nobody else.
    """

    name = "share_within"
    description = "another policy (inner), but shares intelligence only inside a circle"
    circle: tuple[str, ...] = ()

    def share(self, ctx: ShareContext) -> bool:
        return ctx.partner in self.circle and self.wrapped.share(ctx)

    def share_all(self, ctx: ShareAllContext) -> np.ndarray:
        inside = np.isin(ctx.partners, self.circle)
        answers = np.zeros(len(ctx.partners), dtype=bool)
        if inside.any():
            answers[inside] = share_many(self.wrapped, ctx.subset(inside))
        return answers
