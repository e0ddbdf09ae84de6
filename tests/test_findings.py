"""Findings: every difference the report states is in the data with an interval that
excludes zero, and none whose interval includes zero is stated."""

from __future__ import annotations

import math
import re

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import findings

METRICS = ["damage_usd_bn", "mean_trust", "help_given", "leaks"]


def tables(rows):
    """A differences table and a matching summary from (metric, variant, diff, low, high, std)."""
    diff = pd.DataFrame(
        [{"variant": v, "baseline": "base", "metric": m, "n_pairs": 30, "mean_diff": d,
          "ci_low": lo, "ci_high": hi} for m, v, d, lo, hi, _ in rows]
    )  # fmt: skip
    summary = pd.DataFrame(
        [{"variant": v, "metric": m, "mean": 1.0 + d, "std": s} for m, v, d, _, _, s in rows]
        + [{"variant": "base", "metric": m, "mean": 1.0, "std": s} for m, _, _, _, _, s in rows]
    ).drop_duplicates(["variant", "metric"])
    return diff, summary


row = st.tuples(
    st.sampled_from(METRICS),
    st.sampled_from(["a", "b"]),
    st.floats(-10, 10),
    st.floats(0, 5),
    st.floats(0, 5),
    st.sampled_from([0.0, 0.5, 2.0, math.nan]),
).map(lambda r: (r[0], r[1], r[2], r[2] - r[3], r[2] + r[4], r[5]))


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(row, min_size=1, max_size=12, unique_by=lambda r: (r[0], r[1])))
def test_findings_are_exactly_the_clear_differences_that_vary(rows):
    diff, summary = tables(rows)
    found = findings.findings(diff, summary, limit=100)
    stated = {(f.variant, f.metric) for f in found}
    for f in found:
        match = diff[(diff["variant"] == f.variant) & (diff["metric"] == f.metric)].iloc[0]
        assert (f.diff, f.low, f.high) == (match["mean_diff"], match["ci_low"], match["ci_high"])
        assert f.low > 0 or f.high < 0  # never a difference whose interval includes zero
    base_std = summary[summary["variant"] == "base"].set_index("metric")["std"]
    for m, v, _, lo, hi, s in rows:
        spreads = [x for x in (base_std[m], s) if not math.isnan(x)]
        varies = not spreads or max(spreads) > 0
        if (lo > 0 or hi < 0) and varies:
            assert (v, m) in stated  # every clear difference is there (no limit here)
        elif (v, m) in stated:
            raise AssertionError(f"{v}, {m}: stated though not clear or the same in every run")
    effects = [f.effect for f in found if not f.key]
    assert effects == sorted(effects, reverse=True)


def test_key_metrics_come_first_and_unclear_key_metrics_are_named():
    rows = [
        ("damage_usd_bn", "a", 5.0, 4.0, 6.0, 1.0),  # clear, large
        ("mean_trust", "a", 0.01, 0.005, 0.015, 0.1),  # clear, small, but key
        ("help_given", "a", 1.0, -1.0, 3.0, 1.0),  # unclear, key
    ]
    diff, summary = tables(rows)
    found = findings.findings(diff, summary, key_metrics=["mean_trust", "help_given"])
    assert [f.metric for f in found] == ["mean_trust", "damage_usd_bn"]
    assert findings.unclear_key_metrics(diff, ["mean_trust", "help_given"]) == [("a", "help_given")]


def test_a_sentence_says_direction_size_interval_units_and_pairs():
    diff, summary = tables([("damage_usd_bn", "a", -0.1234, -0.2, -0.05, 1.0)])
    (f,) = findings.findings(diff, summary)
    text = findings.sentence(f, lambda m: ("damage from all threats", "US$ bn"))
    assert text.startswith("a lowers damage from all threats by 0.123 US$ bn against base")
    assert "95 % CI of the difference -0.200 to -0.0500 US$ bn" in text
    assert "30 paired runs" in text
    assert re.search(r"from 1\.00 to 0\.877 US\$ bn", text)


def test_differences_at_grid_points_say_where():
    diff, summary = tables([("leaks", "a", 2.0, 1.0, 3.0, 1.0)])
    diff["threats.aggression.rate"] = 0.3
    summary["threats.aggression.rate"] = 0.3
    (f,) = findings.findings(diff, summary, by=["threats.aggression.rate"])
    assert f.where == {"threats.aggression.rate": 0.3}
    assert "at rate = 0.300" in findings.sentence(f, lambda m: ("leaks", "leaks"))


def test_a_clear_difference_that_holm_calls_chance_is_not_stated():
    diff, summary = tables([("damage_usd_bn", "a", 2.0, 1.0, 3.0, 1.0),
                            ("leaks", "a", 2.0, 1.0, 3.0, 1.0)])  # fmt: skip
    diff["p_holm"] = [0.01, 0.2]
    assert [f.metric for f in findings.findings(diff, summary)] == ["damage_usd_bn"]
    assert findings.unclear_key_metrics(diff, ["leaks"]) == [("a", "leaks")]
