"""Tests of the example policy, as a user writes them: the shared contract, then behaviour."""

from __future__ import annotations

import numpy as np
import pytest
from neighbours_first import NeighboursFirst

from sim.policies import STAND_ASIDE, ResponseContext
from sim.testing import PolicyContract, self_view, threat_view


class TestNeighboursFirst(PolicyContract):
    """Interface, valid outputs, determinism, pickling, isolation, and a run in a model."""

    policy = NeighboursFirst(near_effort=0.7, far_effort=0.2)


def _respond(policy, neighbour: bool, obligated: bool):
    me = self_view(neighbours=frozenset({"Near"} if neighbour else ()))
    ctx = ResponseContext(
        me=me, threat=threat_view(host="Near"), obligated=obligated,
        allowed=frozenset({"military"}), host_is_neighbour=neighbour, host_trust=0.5,
        cost_per_step_usd_bn=0.1, rng=np.random.default_rng(0),
    )  # fmt: skip
    return policy.respond(ctx)


def test_helps_neighbours_more_than_distant_members():
    policy = NeighboursFirst(near_effort=0.7, far_effort=0.2)
    assert _respond(policy, neighbour=True, obligated=False).military == 0.7
    assert _respond(policy, neighbour=False, obligated=True).military == 0.2
    assert _respond(policy, neighbour=False, obligated=False) == STAND_ASIDE


def test_parameters_are_checked():
    with pytest.raises(ValueError, match="near_effort"):
        NeighboursFirst(near_effort=1.5)
