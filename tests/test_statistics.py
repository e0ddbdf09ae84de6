"""Statistics against values computed by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from sim.statistics import (
    describe,
    mean_band,
    mean_ci,
    paired_differences,
    unpaired_differences,
)


def test_mean_ci_matches_the_t_interval_by_hand():
    # mean 2.5, sd sqrt(5/3) = 1.2910, sem 0.6455, t(0.975, 3) = 3.1824
    low, high = mean_ci([1, 2, 3, 4])
    assert low == pytest.approx(2.5 - 3.18245 * 0.645497, abs=1e-4)
    assert high == pytest.approx(2.5 + 3.18245 * 0.645497, abs=1e-4)
    assert all(math.isnan(v) for v in mean_ci([7.0]))
    assert mean_ci([3, 3, 3]) == (3.0, 3.0)


def test_describe_by_group_leaves_out_failed_runs_and_nans():
    runs = pd.DataFrame(
        {
            "variant": ["a", "a", "a", "a", "b", "b", "b"],
            "status": ["ok", "ok", "ok", "failed", "ok", "ok", "ok"],
            "x": [1.0, 2.0, 6.0, 100.0, 10.0, float("nan"), 14.0],
        }
    )
    table = describe(runs, ["x"], by=["variant"]).set_index("variant")
    assert table.loc["a", "n"] == 3 and table.loc["a", "mean"] == pytest.approx(3.0)
    assert table.loc["a", "median"] == 2.0
    assert table.loc["a", "std"] == pytest.approx(math.sqrt(7.0))  # ((4 + 1 + 9) / 2)
    assert table.loc["b", "n"] == 2 and table.loc["b", "mean"] == pytest.approx(12.0)


def test_paired_differences_pair_by_replication():
    runs = pd.DataFrame(
        {
            "variant": ["base"] * 4 + ["alt"] * 4,
            "replication": [0, 1, 2, 3, 3, 2, 1, 0],  # order must not matter
            "status": ["ok"] * 8,
            "x": [10.0, 20.0, 30.0, 40.0, 44.0, 31.0, 22.0, 13.0],
        }
    )
    row = paired_differences(runs, ["x"], baseline="base").iloc[0]
    # differences 3, 2, 1, 4: mean 2.5, the same t interval as above
    assert row["variant"] == "alt" and row["n_pairs"] == 4
    assert row["mean_diff"] == pytest.approx(2.5)
    assert row["ci_low"] == pytest.approx(2.5 - 3.18245 * 0.645497, abs=1e-4)
    # paired t statistic 2.5 / 0.6455 = 3.873 with 3 df: two-sided p = 0.0305
    assert row["p_value"] == pytest.approx(0.0305, abs=5e-4)


def test_paired_differences_skip_pairs_with_a_failed_run():
    runs = pd.DataFrame(
        {
            "variant": ["base", "base", "alt", "alt"],
            "replication": [0, 1, 0, 1],
            "status": ["ok", "ok", "failed", "ok"],
            "x": [1.0, 2.0, 50.0, 5.0],
        }
    )
    row = paired_differences(runs, ["x"], baseline="base").iloc[0]
    assert row["n_pairs"] == 1 and row["mean_diff"] == 3.0 and math.isnan(row["p_value"])


def test_t_interval_and_paired_test_agree_with_scipy_stats():
    import numpy as np
    from scipy import stats

    from sim.statistics import paired_t_pvalue

    rng = np.random.default_rng(0)
    for n in (2, 5, 30):
        d = rng.normal(0.3, 1.0, n)
        expected = stats.t.interval(0.95, n - 1, loc=d.mean(), scale=stats.sem(d))
        assert mean_ci(d) == pytest.approx(expected)
        assert paired_t_pvalue(d) == pytest.approx(stats.ttest_1samp(d, 0.0).pvalue)


def test_unpaired_differences_match_welch_by_hand_and_scipy():
    from scipy import stats

    a, b = [1.0, 2.0, 4.0, 7.0], [2.0, 3.0, 3.5, 9.0, 11.0]
    runs = pd.DataFrame({"variant": ["base"] * 4 + ["alt"] * 5, "x": a + b})
    row = unpaired_differences(runs, ["x"], "base").iloc[0]
    assert row["mean_diff"] == pytest.approx(5.7 - 3.5)
    welch = stats.ttest_ind(b, a, equal_var=False)
    assert row["p_value"] == pytest.approx(welch.pvalue)
    low, high = welch.confidence_interval(0.95)
    assert (row["ci_low"], row["ci_high"]) == (pytest.approx(low), pytest.approx(high))
    assert row["n_pairs"] == 4


def test_mean_band_per_group_and_step():
    frame = pd.DataFrame(
        {
            "setting": ["s"] * 6 + ["t"] * 3,
            "month": [0, 0, 0, 1, 1, 1, 0, 1, 1],
            "y": [1.0, 2.0, 3.0, 2.0, 2.0, 2.0, 5.0, 4.0, 6.0],
        }
    )
    band = mean_band(frame, ["y"], by=["setting", "month"]).set_index(["setting", "month"])
    low, high = mean_ci([1.0, 2.0, 3.0])
    assert band.loc[("s", 0), "mean"] == 2.0
    assert (band.loc[("s", 0), "ci_low"], band.loc[("s", 0), "ci_high"]) == (
        pytest.approx(low),
        pytest.approx(high),
    )
    assert band.loc[("s", 1), "ci_low"] == band.loc[("s", 1), "ci_high"] == 2.0  # no spread
    assert math.isnan(band.loc[("t", 0), "ci_low"])  # one value: no band
    assert band.loc[("t", 1), "n"] == 2


def test_crossovers_name_where_a_difference_changes_sign():
    from sim.statistics import crossovers

    diffs = pd.DataFrame({
        "x": [1, 2, 3, 1, 2, 3], "variant": ["b"] * 3 + ["c"] * 3, "baseline": "a",
        "metric": "m", "mean_diff": [-1.0, 0.1, 2.0, -1.0, -2.0, 0.5],
        "ci_low": [-1.5, -0.5, 1.0, -1.2, -2.5, -0.5], "ci_high": [-0.5, 0.7, 3.0, -0.8, -1.5, 1.5],
    })  # fmt: skip
    table = crossovers(diffs, ["m"], ["x"]).set_index("variant")
    b, c = table.loc["b"], table.loc["c"]
    assert b["crossover"] and not c["crossover"]
    assert [e["point"]["x"] for e in b["lower"]] == [1]
    assert [e["point"]["x"] for e in b["higher"]] == [3]
    assert [e["point"]["x"] for e in b["unclear"]] == [2]
    assert [e["point"]["x"] for e in c["lower"]] == [1, 2] and not c["higher"]
    assert crossovers(diffs, ["other"], ["x"]).empty
