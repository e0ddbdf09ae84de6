"""Each built-in policy's decisions, given what it knows ("given this, it does that")."""

from __future__ import annotations

import math
from typing import Annotated

import pytest
from helpers import rng, threat, view
from pydantic import Field

from sim.policies import (
    BudgetContext,
    Contribution,
    ExerciseContext,
    LearnContext,
    PeerView,
    Policy,
    PolicyError,
    RequestContext,
    ResponseContext,
    Share,
    ShareContext,
    VoteContext,
    make,
    registered,
    resolve,
)
from sim.testing import PolicyContract

BOTH = frozenset({"military", "non_military"})
CIVIL = frozenset({"non_military"})


def respond(
    policy, *, me=None, obligated=False, allowed=BOTH, neighbour=True, targets_me=False,
    **threat_kw,
):  # fmt: skip
    ctx = ResponseContext(
        me=me or view(),
        threat=threat(**threat_kw),
        obligated=obligated,
        allowed=allowed,
        host_is_neighbour=neighbour,
        host_trust=0.5,
        cost_per_step_usd_bn=0.1,
        rng=rng(),
        adversary_targets_me=targets_me,
    )
    return policy.respond(ctx)


def budget(policy, *, me=None, support=0.0, allies_cap=100.0, allies_pct=2.0):
    ctx = BudgetContext(
        me=me or view(),
        allies_capability_usd_bn=allies_cap,
        allies_mean_defence_pct_gdp=allies_pct,
        expected_support=support,
        depreciation=0.1,
        max_defence_pct_gdp=10.0,
        rng=rng(),
    )
    return policy.set_budget(ctx)


def share(policy, partner="Far", me=None, seed=0):
    ctx = ShareContext(me=me or view(), partner=partner, arrangement="pooled", rng=rng(seed))
    return policy.share(ctx)


def request(policy, months=6.0, **threat_kw):
    """Whether ``policy`` asks for help when its own means need ``months`` to end the threat."""
    ctx = RequestContext(
        me=view(), threat=threat(**threat_kw), own_power=0.1, rng=rng(),
        months_to_contain=months, horizon_months=12.0,
    )  # fmt: skip
    return policy.request_help(ctx)


def join(policy, kind="combat", me=None, seed=0):
    ctx = ExerciseContext(me=me or view(), kind=kind, cost_usd_bn=0.03, rng=rng(seed))
    return policy.join_exercise(ctx)


@pytest.mark.parametrize("name", sorted(registered()))
def test_every_registered_policy_documents_every_parameter(name):
    cls = registered()[name]
    assert set(cls.parameter_docs()) == set(cls.parameters())
    make(name)  # its defaults are valid


def test_all_five_built_ins_are_registered_with_descriptions():
    names = set(registered())
    assert {
        "committed_ally", "free_rider", "reciprocal", "self_interested", "sovereignty_first"
    } <= names  # fmt: skip
    for cls in registered().values():
        assert cls.description and cls.__doc__


class TestCommittedAlly(PolicyContract):
    policy = make("committed_ally")

    def test_helps_with_its_effort_in_every_allowed_kind(self):
        assert respond(self.policy) == Contribution(True, 0.5, 0.5)
        assert respond(self.policy, allowed=CIVIL) == Contribution(True, 0.0, 0.5)

    def test_helps_even_far_away_and_unbound(self):
        assert respond(self.policy, neighbour=False, obligated=False).total > 0

    def test_budget_converges_on_target_from_either_side(self):
        low, high = view(defence_pct_gdp=1.0), view(defence_pct_gdp=4.0)
        assert 1.0 < budget(self.policy, me=low) < 2.0
        assert 2.0 < budget(self.policy, me=high) < 4.0


class TestFreeRider(PolicyContract):
    policy = make("free_rider")

    def test_votes_yes_but_gives_nothing(self):
        offer = respond(self.policy, obligated=True)
        assert offer.support and offer.total == 0

    def test_always_asks_for_help(self):
        assert request(self.policy, months=0.5)

    def test_cuts_budget_only_as_far_as_allies_can_be_counted_on(self):
        assert budget(self.policy, support=0.0) == pytest.approx(1.5)
        half, full = budget(self.policy, support=0.5), budget(self.policy, support=1.0)
        assert 0.5 <= full < half < 1.5

    def test_shares_and_joins_seldom(self):
        shares = sum(share(self.policy, seed=s) for s in range(400)) / 400
        joins = sum(join(self.policy, seed=s) for s in range(400)) / 400
        assert 0.1 < shares < 0.3 and 0.2 < joins < 0.4


class TestReciprocal(PolicyContract):
    policy = make("reciprocal", {"forgiveness": 0.0})

    def test_shares_with_those_who_shared_with_it(self):
        me = view(month=30, shared_with_me=frozenset({"Far"}))
        assert share(self.policy, "Far", me)
        assert not share(self.policy, "Near", me)

    def test_opens_by_sharing_with_trusted_partners(self):
        assert share(self.policy, "Far", view(month=1, trust={"Far": 0.6}))

    def test_helps_those_who_helped_and_refuses_those_who_refused(self):
        good = view(help_received={"Near": 2}, refused_by={"Near": 1})
        bad = view(help_received={"Near": 0}, refused_by={"Near": 2})
        assert respond(self.policy, me=good).total > 0
        # It withholds its own help but does not veto the others'.
        assert respond(self.policy, me=bad) == Contribution(True)

    def test_forgiveness_sometimes_helps_a_defector(self):
        generous = make("reciprocal", {"forgiveness": 0.5})
        bad = view(refused_by={"Near": 2})
        helped = 0
        for seed in range(200):
            ctx = ResponseContext(
                me=bad, threat=threat(), obligated=False, allowed=BOTH, host_is_neighbour=True,
                host_trust=0.5, cost_per_step_usd_bn=0.1, rng=rng(seed),
            )  # fmt: skip
            helped += generous.respond(ctx).total > 0
        assert 60 < helped < 140

    def test_budget_matches_allies(self):
        assert 1.5 < budget(self.policy, allies_pct=3.0) < 3.0
        assert 0.5 < budget(self.policy, allies_pct=0.5) < 1.5


class TestSelfInterested(PolicyContract):
    policy = make("self_interested")

    def test_helps_a_neighbour_but_not_a_distant_low_stake_member(self):
        assert respond(self.policy, neighbour=True).total > 0
        assert respond(self.policy, neighbour=False, public_benefit=0.3) == Contribution(True)

    def test_gives_a_token_when_bound(self):
        offer = respond(self.policy, neighbour=False, public_benefit=0.3, obligated=True)
        assert offer.military == pytest.approx(0.1)

    def test_fears_entrapment_in_an_outside_powers_quarrel_not_its_own(self):
        rival = dict(adversary="Rival", armed_attack=True)
        assert not respond(self.policy, neighbour=False, **rival).support
        assert respond(self.policy, neighbour=False, targets_me=True, **rival).support
        assert respond(self.policy, neighbour=True, **rival).support
        assert respond(self.policy, neighbour=False).support  # no outside power behind it
        calm = make("self_interested", {"entrapment_veto": False})
        assert respond(calm, neighbour=False, **rival).support
        # bound, it votes no but still gives its token if the group acts anyway
        bound = respond(self.policy, neighbour=False, obligated=True, **rival)
        assert not bound.support and bound.total > 0

    def test_spends_less_the_more_it_can_count_on_allies(self):
        alone = budget(self.policy, support=0.0)
        allied = budget(self.policy, support=1.0, allies_cap=200.0)
        assert allied < alone

    def test_large_members_keep_spending_when_small_ones_free_ride(self):
        small = budget(self.policy, me=view(gdp_usd_bn=10.0), support=1.0, allies_cap=200.0)
        large = budget(self.policy, me=view(gdp_usd_bn=5000.0), support=1.0, allies_cap=200.0)
        assert large > small

    def test_damage_raises_its_budget(self):
        hurt = view(damage_last_year_pct_gdp=2.0)
        assert budget(self.policy, me=hurt) > budget(self.policy)


class TestSovereigntyFirst(PolicyContract):
    policy = make("sovereignty_first")

    def test_never_asks_others_into_its_internal_affairs(self):
        assert not request(self.policy, months=math.inf, internal_affair=True)
        assert request(self.policy, months=math.inf, internal_affair=False)

    def test_asks_only_when_far_beyond_its_horizon(self):
        assert not request(self.policy, months=20.0)  # a default member would ask
        assert request(make("committed_ally"), months=20.0)
        assert request(self.policy, months=30.0)

    def test_vetoes_intervention_in_internal_affairs(self):
        assert respond(self.policy, internal_affair=True) == Contribution(False)

    def test_offers_civil_help_only(self):
        offer = respond(self.policy)
        assert offer.support and offer.military == 0 and offer.non_military > 0

    def test_joins_only_non_combat_exercises(self):
        assert join(self.policy, "non_combat") and not join(self.policy, "combat")


class TestShareWithin(PolicyContract):
    policy = make("share_within", {"inner": {"name": "reciprocal", "params": {"forgiveness": 0.0}},
                                   "circle": ["Near", "Alpha", "Beta"]})  # fmt: skip

    def test_never_shares_outside_its_circle(self):
        trusting = view(shared_with_me=frozenset({"Near", "Far"}))
        assert share(self.policy, partner="Near", me=trusting)
        assert not share(self.policy, partner="Far", me=trusting)  # reciprocal alone would
        assert share(self.policy.wrapped, partner="Far", me=trusting)

    def test_inside_the_circle_the_inner_policy_decides(self):
        assert not share(self.policy, partner="Near", me=view(trust={"Near": 0.1}))

    def test_every_other_decision_is_the_inner_policys(self):
        inner = make("reciprocal", {"forgiveness": 0.0})
        for me in (view(), view(help_received={"Near": 2}), view(refused_by={"Near": 3})):
            assert respond(self.policy, me=me) == respond(inner, me=me)
            assert budget(self.policy, me=me) == budget(inner, me=me)

    def test_inner_policy_errors_are_clear(self):
        with pytest.raises(PolicyError, match="did you mean 'reciprocal'"):
            make("share_within", {"inner": "reciprocl"})
        with pytest.raises(PolicyError, match="inner: expected a policy name"):
            make("share_within", {"inner": {"nme": "reciprocal"}})


def vote(policy, kind="amendment", direction=1, victim="", subject="", trust=0.5, me=None):
    ctx = VoteContext(
        me=me or view(), kind=kind, current="non_intervention",
        proposed="flexible_engagement" if kind == "amendment" else "non_intervention",
        direction=direction, changes={}, trigger="armed_attack", victim=victim,
        subject=subject, my_trust_in_subject=trust, rng=rng(),
    )  # fmt: skip
    return policy.vote(ctx)


def learn(policy, peers, my_cost=2.0, me=None):
    ctx = LearnContext(
        me=me or view(damage_last_year_pct_gdp=1.0), my_policy=policy.label({}),
        my_cost_last_year_pct_gdp=my_cost,
        peers={name: PeerView(*p) for name, p in peers.items()}, rng=rng(),
    )  # fmt: skip
    return policy.learn(ctx)


class TestAdaptive(PolicyContract):
    policy = make("adaptive")

    def test_follows_its_start_until_it_learns(self):
        assert self.policy.label({}) == "self_interested"
        start = make("self_interested")
        for kw in ({"neighbour": False, "public_benefit": 0.3}, {"neighbour": True}):
            assert respond(self.policy, **kw) == respond(start, **kw)

    def test_imitates_the_most_trusted_member_doing_better(self):
        peers = {
            "Near": ("committed_ally", 0.5, 1.5, 0.9),  # losses 2.0: better, most trusted
            "Far": ("free_rider", 0.1, 0.5, 0.6),  # losses 0.6: better, less trusted
            "Other": ("reciprocal", 0.0, 0.1, 0.2),  # best, but not trusted enough
        }
        memory = learn(self.policy, peers, my_cost=2.0)  # its own losses: 3.0
        assert memory["follows"] == "committed_ally" and memory["imitated"] == "Near"
        assert self.policy.label(memory) == "committed_ally"
        follows = view(memory=memory)
        assert respond(self.policy, me=follows, neighbour=False) == respond(
            make("committed_ally"), me=follows, neighbour=False
        )

    def test_keeps_its_behaviour_when_nobody_trusted_does_better(self):
        assert learn(self.policy, {"Near": ("free_rider", 5.0, 1.0, 0.9)}) is None
        assert learn(self.policy, {"Near": ("free_rider", 0.0, 0.0, 0.3)}) is None
        assert learn(self.policy, {}) is None

    def test_start_must_be_a_registered_behaviour(self):
        with pytest.raises(PolicyError, match="start"):
            make("adaptive", {"start": "adaptive"})


def test_each_built_in_votes_as_its_doctrine_says():
    ally, rider, sovereign = make("committed_ally"), make("free_rider"), make("sovereignty_first")
    realist, reciprocal = make("self_interested"), make("reciprocal")
    # a firmer commitment: the loyal ally and the free rider for, the sovereigntist against
    assert vote(ally) and vote(rider) and not vote(sovereign)
    # ...and a looser one: the reverse
    assert not vote(ally, direction=-1) and vote(sovereign, direction=-1)
    # the realist weighs its own exposure
    assert not vote(realist, victim="Far")
    assert vote(realist, victim="Near")  # a neighbour was hit
    assert vote(realist, victim="Far", me=view(challenged_by={"Rival": 1}))
    assert vote(realist, direction=-1, me=view(forces_abroad_share=0.3))
    # reciprocity: closer to a group that kept faith with it
    assert vote(reciprocal, me=view(help_received={"Near": 2}, refused_by={"Far": 1}))
    assert not vote(reciprocal, me=view(help_received={}, refused_by={"Far": 2}))
    # membership: the sovereigntist never suspends; the default suspends the distrusted
    assert not vote(sovereign, kind="suspension", subject="Far", trust=0.0)
    assert vote(Policy(), kind="suspension", subject="Far", trust=0.1)
    assert not vote(Policy(), kind="suspension", subject="Far", trust=0.8)
    assert vote(Policy(), kind="admission", subject="Far", trust=0.8)


def test_every_registered_policy_has_a_contract_test_class():
    tested = {
        type(obj.policy)
        for obj in globals().values()
        if isinstance(obj, type) and issubclass(obj, PolicyContract) and hasattr(obj, "policy")
    }
    assert set(registered().values()) <= tested


def test_default_policy_helps_only_when_bound():
    base = Policy()
    assert respond(base, obligated=False).total == 0
    assert respond(base, obligated=True).total > 0


def test_registry_errors_are_clear():
    with pytest.raises(PolicyError, match="did you mean 'committed_ally'"):
        resolve("comitted_ally")
    with pytest.raises(PolicyError, match="no parameter 'efort'.*did you mean 'effort'"):
        make("committed_ally", {"efort": 0.2})
    with pytest.raises(PolicyError, match="effort"):
        make("committed_ally", {"effort": "lots"})
    with pytest.raises(PolicyError, match="is not a policy"):
        resolve("collections:OrderedDict")
    with pytest.raises(PolicyError, match="has no 'Nope'"):
        resolve("sim.policies.builtin:Nope")
    assert resolve("sim.policies.builtin:FreeRider") is resolve("free_rider")


def test_contribution_rejects_out_of_range_effort():
    with pytest.raises(ValueError, match="military"):
        Contribution(True, military=1.5)


def test_every_numeric_parameter_declares_its_range_and_is_held_to_it():
    """Ranges are declared once, in the parameters' types; out of range is refused, naming
    the parameter, and the ends of the range are accepted."""
    from sim.policies import registry
    from sim.policies.base import parameter_ranges

    for name, cls in registry.registered().items():
        ranges = parameter_ranges(cls)
        numeric = [k for k, v in cls.parameters().items()
                   if isinstance(v, float) and not isinstance(v, bool)]  # fmt: skip
        assert sorted(ranges) == sorted(numeric), name
        for key, (low, high) in ranges.items():
            cls(**{key: low})
            cls(**{key: high})
            for bad in (low - 0.01, high + 0.01, float("nan"), "0.5"):
                with pytest.raises(ValueError, match=f"parameter '{key}' must be a number in"):
                    cls(**{key: bad})


def test_a_users_policy_declares_ranges_the_same_way(tmp_path, monkeypatch):
    (tmp_path / "ranged_policy.py").write_text(
        "from __future__ import annotations\n"
        "from dataclasses import dataclass\n"
        "from sim.policies import Policy, Share, between\n\n"
        "@dataclass(frozen=True)\n"
        "class Ranged(Policy):\n"
        "    name = 'ranged'\n"
        "    description = 'x'\n"
        "    amount: Share = 0.5\n"
        "    ratio: between(1.0, 5.0) = 2.0\n"
        "    label: str = 'free text'\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    from ranged_policy import Ranged

    assert Ranged(amount=1, ratio=5.0).amount == 1
    with pytest.raises(ValueError, match=r"'ratio' must be a number in \[1, 5\], got 0.5"):
        Ranged(ratio=0.5)


def test_a_scenario_holds_every_declared_range_even_if_post_init_skips_it(monkeypatch):
    """Ranges a policy declares (one-sided ones too) are held when a scenario names it, even
    if its own ``__post_init__`` does not call ``super().__post_init__()``."""
    from dataclasses import dataclass

    from sim.policies import registry

    # (annotations are read in the module's globals: Share, Annotated and Field are imported
    # at the top of this file, as a user's module would)
    @dataclass(frozen=True)
    class Skips(Policy):
        name = "skips"
        description = "x"
        share: Share = 0.5
        floor: Annotated[float, Field(ge=0.0)] = 1.0

        def __post_init__(self) -> None:  # its own checks only
            pass

    monkeypatch.setitem(registry._REGISTRY, "skips", Skips)
    assert registry.make("skips", {"share": 1, "floor": 1e6}).floor == 1e6
    with pytest.raises(PolicyError, match=r"'share' must be a number in \[0, 1\], got 2"):
        registry.make("skips", {"share": 2})
    with pytest.raises(PolicyError, match="'floor' must be a number >= 0, got -1"):
        registry.make("skips", {"floor": -1})
