"""Learning: once a year every member reflects on its experience and may change what it
remembers (docs/ODD.md, 7.15).

A policy keeps no state of its own. Its ``learn`` decision receives the member's memory (in
``ctx.me.memory``), its own costs and, for every other current member, the behaviour that
member follows, its damage and costs over the last year and the learner's trust in it; it
returns the member's new memory (plain data), or None to keep it. Every decision of the
member then sees that memory. A learning policy (for example ``adaptive``) may follow a
different behaviour according to what it remembers; the members' behaviours over time are
the run's policy mix.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from sim.policies import LearnContext, PeerView
from sim.states import Views

if TYPE_CHECKING:
    from sim.model import CollectiveDefenceModel


def reflect(model: CollectiveDefenceModel) -> None:
    """Every current member's ``learn`` decision, all on one snapshot; the new memories
    take effect together afterwards."""
    views = Views()
    members = model.current_members()
    trust = model.relations.trust
    seen = {
        m: (m.behaviour, m.damage_last_year_pct_gdp(), m.cost_last_year_pct_gdp()) for m in members
    }
    by_name = {m.name: (m.index, *seen[m]) for m in members}
    new = {}
    for member in members:
        ctx = LearnContext(
            me=views[member],
            my_policy=seen[member][0],
            my_cost_last_year_pct_gdp=seen[member][2],
            peers=Peers(by_name, trust[member.index].copy(), member.name),
            rng=member.policy_rng,
        )
        memory = member.policy.by_decision["learn"].learn(ctx)
        if memory is not None:
            new[member] = checked(memory, member.name)
    for member, memory in new.items():
        before = member.behaviour
        member.memory = memory
        if member.behaviour != before:
            model.record.event("learnt", member, detail=f"{before} -> {member.behaviour}")


class Peers(Mapping[str, PeerView]):
    """What a learner sees of the other current members, by name: each PeerView is made
    when it is looked at (most policies never look), from one snapshot of the year."""

    def __init__(self, seen: Mapping[str, tuple], trust_row: np.ndarray, me: str):
        self._seen = seen  # name -> (index, policy, damage, cost), shared by all learners
        self._trust = trust_row
        self._me = me

    def __getitem__(self, name: str) -> PeerView:
        if name == self._me:
            raise KeyError(name)
        index, *seen = self._seen[name]
        return PeerView(*seen, float(self._trust[index]))

    def __iter__(self):
        return (name for name in self._seen if name != self._me)

    def __len__(self) -> int:
        return len(self._seen) - (self._me in self._seen)

    def __reduce__(self):  # pickles as the plain dict it stands for
        return (dict, (dict(self),))


def checked(memory: object, name: str) -> dict:
    """A copy of ``memory`` if it is plain data (a mapping that JSON can hold); mappings in
    it (a view's ``trust``, say) are copied as plain dicts."""
    if not isinstance(memory, Mapping):
        raise TypeError(f"policy of {name}: learn() returned {memory!r}, not a mapping or None")
    memory = _plain(memory)
    try:
        json.dumps(memory)
    except (TypeError, ValueError) as err:
        raise TypeError(f"policy of {name}: learn() returned a memory that is not plain data "
                        f"(numbers, text, lists, mappings): {err}") from None  # fmt: skip
    return copy.deepcopy(memory)


def _plain(value: object) -> object:
    """``value`` with every mapping in it turned into a dict (lists and tuples kept)."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_plain(item) for item in value)
    return value
