"""Large groups: the many-at-once form of decisions, the views built once per phase, and
synthetic groups of any size."""

from __future__ import annotations

import copy
import dataclasses
import math
import pickle
from dataclasses import dataclass

import numpy as np
import pytest
import yaml
from helpers import ROOT, scenario

from sim.cli import main
from sim.config import from_mapping, load_scenario
from sim.policies import Policy, ShareAllContext, ShareContext, make, registered
from sim.policies import base as policy_base
from sim.policies.base import ByName, NameSet, has_share_all, share_many
from sim.policies.builtin import FreeRider
from sim.results import run
from sim.synthetic import synthetic_group
from sim.testing import check_many_at_once, policy_spec, share_all_contexts


# ---------------------------------------------------------------------- many at once
@dataclass(frozen=True)
class GrudgingRider(FreeRider):
    """A free rider that never shares with its neighbours: it overrides share() only."""

    name = "grudging_rider"
    description = "a free rider that never shares with its neighbours"

    def share(self, ctx: ShareContext) -> bool:
        return ctx.partner not in ctx.me.neighbours and super().share(ctx)


@dataclass(frozen=True)
class Careless(Policy):
    """A many-at-once form that does not match its share(): shares with everyone at once,
    with nobody one at a time."""

    name = "careless"
    description = "a broken many-at-once form"

    def share(self, ctx: ShareContext) -> bool:
        return False

    def share_all(self, ctx: ShareAllContext) -> np.ndarray:
        return np.ones(len(ctx.partners), dtype=bool)


@dataclass(frozen=True)
class Greedy(Policy):
    """A many-at-once form that gives the same answers but draws more random numbers."""

    name = "greedy"
    description = "draws more than its share() does"

    def share_all(self, ctx: ShareAllContext) -> np.ndarray:
        ctx.rng.random(3)
        return np.ones(len(ctx.partners), dtype=bool)


@dataclass(frozen=True)
class Fuzzy(Policy):
    """Answers with probabilities, not booleans."""

    name = "fuzzy"
    description = "a many-at-once form returning floats"

    def share_all(self, ctx: ShareAllContext) -> np.ndarray:
        return np.full(len(ctx.partners), 0.5)


@dataclass(frozen=True)
class Broken(Policy):
    """Its many-at-once form always fails."""

    name = "broken"
    description = "a many-at-once form that raises"

    def share_all(self, ctx: ShareAllContext) -> np.ndarray:
        raise RuntimeError("nope")


def test_every_built_in_policy_has_a_many_at_once_form_that_agrees_with_share():
    for name in registered():
        policy = make(name)
        assert has_share_all(policy), name
        assert check_many_at_once(policy) == [], name
    for inner in ("free_rider", "reciprocal", "self_interested", "sovereignty_first"):
        circle = make("share_within", {"inner": inner, "circle": ["Near", "Stranger"]})
        assert check_many_at_once(circle) == [], inner


def test_a_many_at_once_form_must_answer_with_booleans_and_not_raise():
    ctx = next(iter(share_all_contexts()))
    with pytest.raises(TypeError, match="not 4 booleans"):
        share_many(Fuzzy(), ctx)
    assert "share_all() raised TypeError" in check_many_at_once(Fuzzy())[0]
    assert "share_all() raised RuntimeError: nope" in check_many_at_once(Broken())[0]


def test_the_contract_catches_a_many_at_once_form_that_disagrees():
    problems = check_many_at_once(Careless())
    assert problems and "share_all() gave" in problems[0]
    problems = check_many_at_once(Greedy())
    assert problems and "different number of random numbers" in problems[0]


def test_a_subclass_that_overrides_only_share_is_asked_one_partner_at_a_time():
    policy = GrudgingRider()
    assert not has_share_all(policy)  # it must not inherit FreeRider's array form
    for ctx in share_all_contexts(seed=3):
        again = dataclasses.replace(ctx, rng=copy.deepcopy(ctx.rng))
        many = share_many(policy, ctx)
        alone = [policy.share(again.one(k)) for k in range(len(ctx.partners))]
        assert many.tolist() == alone
        assert not any(many[ctx.neighbour])


@pytest.mark.parametrize(
    "name, overrides",
    [
        ("asean_way", ["rules.intelligence_sharing=pooled"]),
        ("teaching", ["rules.intelligence_sharing=bilateral"]),
        ("asean_2021", []),
    ],
)
def test_runs_are_the_same_whether_members_answer_at_once_or_one_partner_at_a_time(
    name, overrides, monkeypatch
):
    config = scenario(name, *overrides)
    at_once = [run(config, seed=s, steps=48).summary for s in range(3)]
    monkeypatch.setattr(policy_base, "has_share_all", lambda policy: False)
    one_by_one = [run(config, seed=s, steps=48).summary for s in range(3)]
    for a, b in zip(at_once, one_by_one, strict=True):
        assert a.keys() == b.keys()
        for metric in a:
            assert a[metric] == b[metric] or (math.isnan(a[metric]) and math.isnan(b[metric]))


def test_a_policy_that_overrides_only_share_decides_in_a_model():
    from sim.model import CollectiveDefenceModel

    raw = synthetic_group(12, seed=4, steps=24)
    raw["rules"] = {"preset": "non_intervention", "intelligence_sharing": "pooled"}
    raw["default_policy"] = policy_spec(GrudgingRider())["name"]
    for member in raw["members"]:
        del member["policy"]
    model = CollectiveDefenceModel(from_mapping(raw), rng=1)
    links = 0
    for _ in range(12):
        model.step()
        assert not (model.sharing & model.adjacency).any()  # never with a neighbour
        links += int(model.sharing.sum())
    assert links > 0


# ---------------------------------------------------------------------- views
def test_by_name_behaves_like_the_dict_it_stands_for():
    index = {"A": 0, "B": 1, "C": 3}
    row = np.array([0.1, 0.2, 0.9, 0.4])
    trust = ByName(index, row, me="B")
    plain = {"A": 0.1, "C": 0.4}
    assert dict(trust) == plain and trust == plain
    assert len(trust) == 2 and list(trust) == ["A", "C"]
    assert "B" not in trust and "Z" not in trust and trust.get("Z", 0.0) == 0.0
    assert isinstance(trust["A"], float)
    assert pickle.loads(pickle.dumps(trust)) == plain


def test_name_set_behaves_like_the_frozenset_it_stands_for():
    names = np.array(["A", "B", "C"], dtype=object)
    shared = NameSet(names, {"A": 0, "B": 1, "C": 2}, np.array([True, False, True]))
    plain = frozenset({"A", "C"})
    assert shared == plain and len(shared) == 2 and hash(shared) == hash(plain)
    assert "A" in shared and "B" not in shared and "Z" not in shared
    assert pickle.loads(pickle.dumps(shared)) == plain
    assert shared & {"A", "Z"} == {"A"} and frozenset({"C", "Z"}) & shared == {"C"}
    assert shared | {"Z"} == {"A", "C", "Z"} and shared - {"A"} == {"C"}
    assert shared.union({"Z"}) == {"A", "C", "Z"} and shared.issubset({"A", "B", "C"})


def test_a_memory_may_keep_what_a_view_holds():
    from sim.learning import checked
    from sim.testing import in_model_form, self_view

    view = in_model_form(self_view(trust={"Near": 0.7, "Far": 0.2}))
    memory = checked({"trust": view.trust, "seen": [view.interoperability]}, "Me")
    assert memory == {"trust": {"Near": 0.7, "Far": 0.2},
                      "seen": [{"Near": 0.2, "Far": 0.2}]}  # fmt: skip
    assert type(memory["trust"]) is dict


def test_a_deferred_context_takes_the_view_only_when_a_policy_reads_it():
    ctx = next(iter(share_all_contexts()))
    taken = []

    def view():
        taken.append(1)
        return ctx.me

    fields = {f.name: getattr(ctx, f.name) for f in dataclasses.fields(ctx) if f.name != "me"}
    lazy = ShareAllContext.deferred(view, **fields)
    assert (
        share_many(make("self_interested"), lazy).tolist()
        == share_many(make("self_interested"), ctx).tolist()
    )
    assert taken == []  # answered from the arrays alone
    assert lazy.me is ctx.me and lazy.me is ctx.me and taken == [1]  # taken once
    assert dataclasses.replace(lazy, trust=lazy.trust).me is ctx.me


def test_snapshot_needs_exactly_the_fields_of_the_class():
    from sim.policies.base import ThreatView, snapshot
    from sim.testing import threat_view

    fields = dataclasses.asdict(threat_view())
    assert snapshot(ThreatView, **fields) == threat_view()
    with pytest.raises(TypeError, match="expected exactly the fields"):
        snapshot(ThreatView, **{**{k: v for k, v in fields.items() if k != "size"}, "sise": 1})


def test_a_view_is_a_snapshot_that_later_trust_changes_do_not_reach():
    from sim.model import CollectiveDefenceModel

    model = CollectiveDefenceModel(scenario("teaching"))
    state = model.states[0]
    view = state.view()
    other = model.states[1].name
    before = view.trust[other]
    model.relations.lose_trust(state.index, 1, 0.3)
    assert view.trust[other] == before
    assert state.view().trust[other] == pytest.approx(max(0.0, before - 0.3))


# ---------------------------------------------------------------------- synthetic groups
def test_a_synthetic_group_has_planar_connected_borders_and_real_looking_sizes():
    raw = synthetic_group(200, seed=1)
    config = from_mapping(raw)
    n = len(config.members)
    assert n == 200
    edges = {frozenset(b.between) for b in config.borders}
    assert len(edges) == len(config.borders) <= 3 * n - 6  # planar
    # connected: a walk from the first member reaches every other
    seen, todo = set(), [config.members[0].name]
    neighbours: dict[str, set[str]] = {}
    for a, b in (tuple(e) for e in edges):
        neighbours.setdefault(a, set()).add(b)
        neighbours.setdefault(b, set()).add(a)
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(neighbours.get(name, ()))
    assert len(seen) == n
    gdp = np.log([m.gdp_usd_bn for m in config.members])
    assert abs(np.median(gdp) - 5.46) < 0.4 and 1.5 < gdp.std() < 2.4  # log-normal, fitted
    defence = [m.defence_pct_gdp for m in config.members]
    assert min(defence) >= 0.1 and max(defence) <= 10.0
    policies = {m.policy.name for m in config.members}
    assert len(policies) == 5


def test_the_same_seed_gives_the_same_group_and_another_seed_another():
    assert synthetic_group(30, seed=5) == synthetic_group(30, seed=5)
    assert synthetic_group(30, seed=5) != synthetic_group(30, seed=6)


def test_the_shipped_world200_is_what_the_generator_writes(tmp_path):
    shipped = ROOT / "scenarios" / "world200.yaml"
    out = tmp_path / "world200.yaml"
    assert main(["generate", "--members", "200", "--out", str(out)]) == 0
    assert yaml.safe_load(out.read_text()) == yaml.safe_load(shipped.read_text())
    assert len(load_scenario(shipped).members) == 200


def test_generate_refuses_bad_requests_with_one_clear_line(tmp_path, capsys):
    out = tmp_path / "g.yaml"
    out.write_text("keep me")
    assert main(["generate", "--members", "20", "--out", str(out)]) == 2
    assert "exists" in capsys.readouterr().err and out.read_text() == "keep me"
    assert main(["generate", "--members", "2", "--out", str(tmp_path / "h.yaml")]) == 2
    assert "at least 3" in capsys.readouterr().err
    bad = ["generate", "--members", "5", "--out", str(tmp_path / "i.yaml"), "--rule", "nope"]
    assert main(bad) == 2
    err = capsys.readouterr().err
    assert "unknown preset 'nope'" in err and not (tmp_path / "i.yaml").exists()
    assert main(["generate", "--members", "20", "--out", str(out), "--force"]) == 0
    assert len(load_scenario(out).members) == 20
