"""The principle adapts: amendments of the rule, joining, suspension and rejoining, and
policies that learn, all reproducible."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT, SCENARIOS, scenario

from sim.batch import run_batch
from sim.experiment import ExperimentConfig, load_experiment, plan
from sim.model import CollectiveDefenceModel
from sim.results import run
from sim.store import read_detail

ALWAYS = "amendment={tighten_on: [damage], damage_pct_gdp: 0.000001}"


def adopted_months(result, column="amendments_tightening"):
    steps = result.steps
    return steps.loc[steps[column] > 0, "month"].tolist()


@pytest.mark.parametrize(
    "overrides",
    [
        [],  # no procedure at all
        ["amendment={tighten_on: [], loosen_on: []}"],  # a procedure with no triggers
    ],
)
def test_no_amendment_without_a_procedure_or_a_trigger(overrides):
    result = run(scenario("asean_way", "default_policy=committed_ally", *overrides), steps=60)
    assert set(result.steps["rule"]) == {"non_intervention"}
    assert result.summary["amendments_proposed"] == 0


def test_nothing_changes_when_every_member_votes_no():
    result = run(scenario("asean_way", ALWAYS, "default_policy=sovereignty_first"), steps=60)
    assert result.summary["amendments_proposed"] > 0  # the question is put...
    assert set(result.steps["rule"]) == {"non_intervention"}  # ...and always rejected
    assert (result.events["event"] == "rejected").sum() == result.summary["amendments_proposed"]


def test_a_trigger_that_always_fires_and_unanimous_support_amend_at_each_chance():
    """Amendments at the first meeting (month 12), then whenever the cooldown allows."""
    result = run(scenario("asean_way", ALWAYS, "default_policy=committed_ally"))
    assert adopted_months(result) == [12, 48, 84, 120]  # meetings every 12, cooldown 36
    steps = result.steps.set_index("month")
    assert steps.loc[11, "rule"] == "non_intervention"
    assert steps.loc[12, "rule"] == "flexible_engagement"
    assert steps.loc[48, "rule"] == "coalition_of_the_willing"
    assert steps.loc[120, "rule_level"] == 4
    assert result.summary["first_amendment_month"] == 12
    events = result.events
    assert (events["event"] == "amended").sum() == 4
    assert (events["event"] == "voted").sum() == 4 * 11  # every member, every time
    # the threats table says which rule the group took each threat up under: the one in
    # force when the step began (amendments come at the meeting, late in the step)
    taken_up = result.threats.dropna(subset=["requested_month"])
    for row in taken_up.itertuples():
        assert row.rule == steps.loc[row.requested_month - 1, "rule"]


def test_cooldown_holds_after_a_rejected_proposal_too():
    result = run(
        scenario("asean_way", ALWAYS.replace("}", ", cooldown_months: 24}"),
                 "default_policy=sovereignty_first"),
    )  # fmt: skip
    proposed = result.steps.loc[result.steps["amendments_proposed"] > 0, "month"].tolist()
    assert proposed == [12, 36, 60, 84, 108]


def test_a_loosening_trigger_moves_the_rule_down():
    result = run(
        scenario("asean_collective", "amendment={tighten_on: [], loosen_on: [damage], "
                 "damage_pct_gdp: 0.000001}", "default_policy=sovereignty_first"),
        steps=24,
    )  # fmt: skip
    assert adopted_months(result, "amendments_loosening") == [12]
    assert result.steps["rule"].iloc[-1] == "majority_commitment"


def test_knobs_can_be_proposed_instead_of_a_notch():
    result = run(
        scenario("asean_way", "amendment={tighten_on: [damage], damage_pct_gdp: 0.000001, "
                 "knobs: {allowed_help: [military, non_military]}}",
                 "default_policy=committed_ally"),
        steps=24,
    )  # fmt: skip
    assert adopted_months(result) == [12]
    assert result.steps["rule"].iloc[-1] == "non_intervention*"  # the same preset, amended
    assert result.steps["rule_level"].iloc[-1] == 0
    amended = result.events[result.events["event"] == "amended"]["detail"].iloc[0]
    assert "allowed_help" in amended  # ...with the knob changed


def test_a_member_that_joins_later_takes_no_part_before():
    joins = 30
    model = CollectiveDefenceModel(
        scenario("asean_way", f"members.Timor-Leste.joins_month={joins}",
                 "rules.intelligence_sharing=pooled"),
        rng=4,
    )  # fmt: skip
    timor = model.by_name["Timor-Leste"]
    for _ in range(60):
        model.step()
        shares = model.sharing[timor.index].any() or model.sharing[:, timor.index].any()
        assert timor.is_member == (model.month >= joins)
        assert shares == (shares and model.month >= joins)
        assert model.datacollector.model_vars["members_remaining"][-1] == 10 + timor.is_member
    events = model.datacollector.get_table_dataframe("events")
    before = events[events["month"] < joins]
    group = {"asked", "helped", "refused", "abandoned", "voted", "leak", "consultation"}
    involved = (before["member"] == "Timor-Leste") | (before["partner"] == "Timor-Leste")
    assert not before[involved & before["event"].isin(group)].any(axis=None)
    exercises = before[before["event"] == "exercise"]["detail"]
    assert not exercises.str.contains("Timor-Leste").any()
    assert (events["event"] == "joined").sum() == 1


def test_a_suspended_member_is_neither_helped_nor_consulted():
    others = ["Brunei", "Cambodia", "Indonesia", "Laos", "Malaysia", "Philippines",
              "Singapore", "Thailand", "Viet Nam", "Timor-Leste"]  # fmt: skip
    pairs = ", ".join(f"{{between: [Myanmar, {m}], trust: 0.0}}" for m in others)
    config = scenario(
        "asean_collective",
        f"relations.pairs=[{pairs}]",
        "relations.withdrawal_threshold=0",  # distrust is mutual: keep Myanmar from leaving
        "default_policy=committed_ally",  # suspends the deeply distrusted, readmits anyone
        "membership={proposals: [{month: 5, action: suspend, member: Myanmar}], "
        "readmit_after_months: 36}",
    )
    result = run(config)
    events, steps = result.events, result.steps.set_index("month")
    suspended = events[(events["event"] == "suspended") & (events["member"] == "Myanmar")]
    assert suspended["month"].tolist() == [12]  # put at the first meeting from month 5
    readmitted = events[(events["event"] == "admitted") & (events["member"] == "Myanmar")]
    assert readmitted["month"].tolist() == [48]
    out = events[(events["month"] > 12) & (events["month"] < 48)]
    assert not ((out["event"] == "helped") & (out["partner"] == "Myanmar")).any()
    assert not ((out["event"] == "helped") & (out["member"] == "Myanmar")).any()
    assert not ((out["event"] == "voted") & (out["member"] == "Myanmar")).any()
    assert steps.loc[24, "members_remaining"] == 10 and steps.loc[60, "members_remaining"] == 11
    member_steps = result.member_steps
    counted = member_steps.groupby("month")["is_member"].sum()
    assert (counted == result.steps.set_index("month")["members_remaining"]).all()


@pytest.mark.slow
def test_members_that_left_may_rejoin():
    """Three quarters free riders under commitment: trust collapses, members leave, and with
    rejoining allowed some come back (and may leave again)."""
    base = ["policy_mix={free_rider: 0.75}"]
    stay_out = [run(scenario("asean_collective", *base), seed=s, detail=False) for s in range(5)]
    rejoin = [
        run(scenario("asean_collective", *base, "membership={rejoin_after_months: 12}"), seed=s,
            detail=False)
        for s in range(5)
    ]  # fmt: skip
    assert all(r.summary["members_joined"] == 0 for r in stay_out)
    assert sum(r.summary["members_joined"] for r in rejoin) > 0


def test_learning_is_reproducible_and_the_same_on_any_number_of_workers(tmp_path):
    config = scenario("asean_way", "policy_mix={adaptive: 0.5, committed_ally: 0.25}",
                      "steps=48")  # fmt: skip
    a, b = run(config, seed=3), run(config, seed=3)
    pd.testing.assert_frame_equal(a.policy_mix, b.policy_mix)
    pd.testing.assert_frame_equal(a.steps, b.steps)
    experiment = ExperimentConfig(
        name="learn", scenario=str(SCENARIOS / "asean_way.yaml"), replications=4, seed=9,
        steps=36, set={"policy_mix": {"adaptive": 0.5, "committed_ally": 0.25}},
    )  # fmt: skip
    p = plan(experiment)
    one = run_batch(p, tmp_path / "one", workers=1, progress=False)
    two = run_batch(p, tmp_path / "two", workers=2, chunk_size=1, progress=False)
    drop = ["duration_s"]
    pd.testing.assert_frame_equal(one.runs.drop(columns=drop), two.runs.drop(columns=drop))
    mix = [read_detail(tmp_path / name, "policy_mix") for name in ("one", "two")]
    pd.testing.assert_frame_equal(mix[0], mix[1])
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        remote = run_batch(p, tmp_path / "dask", scheduler=cluster.scheduler_address,
                           chunk_size=1, progress=False)  # fmt: skip
    pd.testing.assert_frame_equal(one.runs.drop(columns=drop), remote.runs.drop(columns=drop))
    pd.testing.assert_frame_equal(mix[0], read_detail(tmp_path / "dask", "policy_mix"))


@pytest.mark.slow
def test_adaptive_members_drift_towards_the_trusted_and_better_off():
    """Members that start self-interested imitate the committed allies, whom they trust most
    and who fare better: the self-interested share falls, the committed allies' rises."""
    config = scenario("asean_way", "policy_mix={adaptive: 0.5, committed_ally: 0.25, "
                      "free_rider: 0.25}")  # fmt: skip
    start, end = [], []
    for seed in range(10):
        mix = run(config, seed=seed).policy_mix
        first = mix[mix["month"] == 0].set_index("policy")["members"]
        last = mix[mix["month"] == mix["month"].max()].set_index("policy")["members"]
        start.append(first)
        end.append(last)
    start = pd.concat(start, axis=1).fillna(0).mean(axis=1)
    end = pd.concat(end, axis=1).fillna(0).mean(axis=1)
    assert start["self_interested"] == 5 and end["self_interested"] < 2.5
    assert end["committed_ally"] > start["committed_ally"] + 2


@pytest.mark.slow
def test_the_asean_way_survives_crises_less_often_with_sovereignty_first_members(tmp_path):
    experiment = load_experiment(ROOT / "experiments" / "adaptation.yaml")
    outcome = run_batch(plan(experiment), tmp_path / "a", workers=2, progress=False)
    share = outcome.runs.groupby("variant")["amended_toward_commitment"].mean()
    assert share["fixed"] == 0  # no procedure, no change
    assert 0 < share["amendable"] < 1  # consensus: some crises move the group, not all
    assert share["amendable_sovereignty"] < share["amendable"]  # rarer when sovereignty rules
    assert share["amendable_by_majority"] > share["amendable"]  # easier by majority
    assert np.isnan(outcome.runs.query("variant == 'fixed'")["first_amendment_month"]).all()


def test_figures_show_the_rule_in_force_and_the_policy_mix(tmp_path):
    from sim.plots import standard_figures
    from sim.plots.adaptation import rule_changes
    from sim.resultset import load

    experiment = ExperimentConfig(
        name="figures", scenario=str(SCENARIOS / "asean_way.yaml"), replications=3, seed=1,
        steps=60, baseline="fixed",
        variants={"fixed": {}, "amendable": {"amendment": {"vote": "majority"},
                  "policy_mix": {"adaptive": 0.5, "committed_ally": 0.25}}},
    )  # fmt: skip
    run_batch(plan(experiment), tmp_path / "b", workers=1, progress=False)
    rs = load(tmp_path / "b")
    figures, _ = standard_figures(rs, kinds=["series", "adaptation"])
    assert {"series", "rule-in-force", "policy-mix"} <= set(figures)
    changes = rule_changes(rs.series)
    assert len(changes) and set(changes["setting"]) == {"amendable"}
    # every change is marked on every time-series panel
    for ax in figures["series"].axes[:1]:
        assert len(ax.lines) >= len(rs.settings) + len(changes)
    # a single run: the changes named on the first panel
    single = run(scenario("asean_way", ALWAYS, "default_policy=committed_ally"), steps=60)
    single.write(tmp_path / "run")
    figures, _ = standard_figures(load(tmp_path / "run"), kinds=["series", "adaptation"])
    names = {t.get_text() for t in figures["series"].axes[0].texts}
    assert {"flexible engagement", "coalition of the willing"} <= names
