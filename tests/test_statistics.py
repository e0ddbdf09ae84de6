"""Statistics against values computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.metrics import metric_range, series_range
from sim.statistics import (
    MIN_N,
    benjamini_hochberg,
    describe,
    holm,
    interval,
    mean_band,
    mean_ci,
    paired_differences,
    paired_t_pvalue,
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
            "setting": ["s"] * 8 + ["t"] * 4,
            "month": [0, 0, 0, 0, 1, 1, 1, 1, 0, 1, 1, 1],
            "y": [1.0, 2.0, 3.0, 2.0, 2.0, 2.0, 2.0, 2.0, 5.0, 4.0, 6.0, 5.0],
        }
    )
    band = mean_band(frame, ["y"], by=["setting", "month"]).set_index(["setting", "month"])
    low, high = mean_ci([1.0, 2.0, 3.0, 2.0])
    assert band.loc[("s", 0), "mean"] == 2.0 and band.loc[("s", 0), "method"] == "t"
    assert (band.loc[("s", 0), "ci_low"], band.loc[("s", 0), "ci_high"]) == (
        pytest.approx(low),
        pytest.approx(high),
    )
    assert band.loc[("s", 1), "ci_low"] == band.loc[("s", 1), "ci_high"] == 2.0  # no spread
    assert math.isnan(band.loc[("t", 0), "ci_low"])  # one value: no band
    assert band.loc[("t", 1), "n"] == 3 and math.isnan(band.loc[("t", 1), "ci_high"])  # < MIN_N


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


# --- Intervals within the metric's range -----------------------------------------------------

SHARE, CORR, COUNT, UNBOUNDED = (0.0, 1.0), (-1.0, 1.0), (0.0, math.inf), (-math.inf, math.inf)


def test_every_metric_and_series_column_has_a_range_and_unknown_names_are_unbounded():
    from sim.metrics import METRICS, RANGES, SERIES, metric_range, series_range

    assert set(RANGES) == set(METRICS)
    for name in METRICS:
        low, high = metric_range(name)
        assert low < high
    assert all(series_range(c)[0] < series_range(c)[1] for c in SERIES)
    assert metric_range("burden_rank_corr") == CORR and metric_range("mean_trust") == SHARE
    assert metric_range("amended_toward_commitment") == SHARE
    assert metric_range("threats_emerged") == COUNT
    assert metric_range("my_own_outcome") == UNBOUNDED == series_range("my_own_column")


def test_wilson_interval_of_three_in_ten():
    # Wilson score interval for 3 of 10 at 95 %: 0.1078 to 0.6032 (t would go below 0)
    low, high, method = interval([1.0] * 3 + [0.0] * 7, *SHARE)
    assert method == "Wilson"
    assert (low, high) == (pytest.approx(0.10779, abs=1e-4), pytest.approx(0.60322, abs=1e-4))


def test_fisher_z_interval_of_correlations_near_one_with_an_outlier():
    # the free-riders case: t would give [0.50, 1.18]; on the z scale, by hand:
    r = [0.99] * 9 + [-0.5]
    mean, se = 0.841, float(np.std(r, ddof=1)) / math.sqrt(10)
    t = 2.262157  # t quantile, 9 degrees of freedom
    z, half = math.atanh(mean), t * se / (1 - mean**2)
    low, high, method = interval(r, *CORR)
    assert method == "Fisher z"
    assert low == pytest.approx(math.tanh(z - half), rel=1e-5)
    assert high == pytest.approx(math.tanh(z + half), rel=1e-5)
    assert (low, high) == (pytest.approx(0.0730, abs=1e-3), pytest.approx(0.9829, abs=1e-3))
    assert low < mean < high < 1.0
    assert mean_ci(r)[1] > 1.0  # why: the t interval leaves the range


def test_describe_names_the_method_and_stays_in_range_for_the_issue_case():
    runs = pd.DataFrame({
        "burden_rank_corr": [0.99, 0.98, 1.0, 0.97, 0.99, -0.6, 0.99, 1.0, 0.95, -0.4],
        "detected_early_share": [1.0, 1.0, 0.9, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.7],
        "leaks": [0, 0, 0, 0, 0, 0, 0, 0, 0, 4],
        "amended_toward_commitment": [0, 0, 0, 1, 0, 0, 0, 0, 0, 0],
        "damage_usd_bn": [5.0, 7.0, 6.0, 8.0, 5.5, 6.5, 7.5, 6.0, 5.0, 7.0],
    })  # fmt: skip
    table = describe(runs, list(runs.columns)).set_index("metric")
    assert table["method"].to_dict() == {
        "burden_rank_corr": "Fisher z",
        "detected_early_share": "bootstrap",
        "leaks": "bootstrap",
        "amended_toward_commitment": "Wilson",
        "damage_usd_bn": "t",
    }
    for metric, row in table.iterrows():
        low, high = metric_range(metric)
        assert low <= row["ci_low"] <= row["mean"] <= row["ci_high"] <= high, metric
    again = describe(runs, list(runs.columns)).set_index("metric")
    pd.testing.assert_frame_equal(table, again)  # a fixed seed: the same bootstrap
    own = describe(runs.rename(columns={"leaks": "my_leaks"}), ["my_leaks"]).iloc[0]
    assert own["method"] == "t" and own["ci_low"] < 0  # unknown range: plain t


def test_no_interval_below_min_n():
    values = [0.2, 0.4, 0.9, 0.5, 0.7]
    for n in range(len(values) + 1):
        runs = pd.DataFrame({"mean_trust": values[:n]})
        row = describe(runs, ["mean_trust"]).iloc[0]
        assert row["n"] == n
        if n < MIN_N:
            assert math.isnan(row["ci_low"]) and math.isnan(row["ci_high"])
            assert row["method"] == f"n<{MIN_N}"
        else:
            assert row["ci_low"] <= row["ci_high"] and row["method"] == "t"
    runs = pd.DataFrame({"variant": ["b"] * 3 + ["a"] * 3, "replication": [0, 1, 2] * 2,
                         "x": [1.0, 2.0, 4.0, 3.0, 5.0, 4.0]})  # fmt: skip
    for table in (paired_differences(runs, ["x"], "b"), unpaired_differences(runs, ["x"], "b")):
        row = table.iloc[0]
        assert math.isnan(row["ci_low"]) and row["method"] == f"n<{MIN_N}"
        assert not math.isnan(row["p_value"])  # the test is kept


def test_differences_of_a_share_use_the_bootstrap_where_t_leaves_minus_one_to_one():
    base = [0.0] * 10
    alt = [1.0] * 9 + [0.0]  # differences 1 x 9, 0: t would reach 1.13
    runs = pd.DataFrame({"variant": ["b"] * 10 + ["a"] * 10, "replication": list(range(10)) * 2,
                         "mean_trust": base + alt})  # fmt: skip
    for table in (paired_differences(runs, ["mean_trust"], "b"),
                  unpaired_differences(runs, ["mean_trust"], "b")):  # fmt: skip
        row = table.iloc[0]
        assert row["method"] == "bootstrap"
        assert -1.0 <= row["ci_low"] < 0.9 < row["ci_high"] <= 1.0
    assert paired_differences(runs, ["mean_trust"], "b").iloc[0]["p_value"] == pytest.approx(
        paired_t_pvalue(np.array(alt))
    )


def test_holm_and_benjamini_hochberg_by_hand():
    from scipy import stats

    p = [0.01, 0.04, math.nan, 0.03, 0.005]
    # sorted 0.005, 0.01, 0.03, 0.04 (m = 4); Holm: 4 x 0.005 = 0.02, 3 x 0.01 = 0.03,
    # 2 x 0.03 = 0.06, max(1 x 0.04, 0.06) = 0.06. BH: 0.02, 0.02, 0.04, 0.04.
    np.testing.assert_allclose(holm(p), [0.03, 0.06, math.nan, 0.06, 0.02])
    np.testing.assert_allclose(benjamini_hochberg(p), [0.02, 0.04, math.nan, 0.04, 0.02])
    finite = [v for v in p if not math.isnan(v)]
    np.testing.assert_allclose(benjamini_hochberg(finite), stats.false_discovery_control(finite))
    assert holm([0.9, 0.8]).max() == 1.0 and len(holm([])) == 0


def test_differences_adjust_p_values_across_the_metrics_of_each_setting():
    rng = np.random.default_rng(3)
    rows = []
    for variant, shift in (("base", 0.0), ("a", 0.8), ("b", 0.1)):
        for r in range(8):
            rows.append({"variant": variant, "replication": r, "g": 1,
                         **{f"m{k}": rng.normal(shift * k, 1.0) for k in range(4)}})  # fmt: skip
    runs = pd.DataFrame(rows)
    table = paired_differences(runs, [f"m{k}" for k in range(4)], "base", by=["g"])
    for _, part in table.groupby("variant"):
        np.testing.assert_allclose(part["p_holm"], holm(part["p_value"]))
        np.testing.assert_allclose(part["q_bh"], benjamini_hochberg(part["p_value"]))
    assert (table["p_holm"] >= table["p_value"]).all()


def test_mean_band_stays_in_the_column_range():
    frame = pd.DataFrame({
        "setting": ["s"] * 10, "month": [0] * 10,
        "mean_trust": [1.0] * 9 + [0.6], "threats_new": [0] * 9 + [3],
        "forces_abroad_share": [0.0] * 5 + [0.1] * 5,
    })  # fmt: skip
    cols = ["mean_trust", "threats_new", "forces_abroad_share"]
    band = mean_band(frame, cols, ["setting", "month"]).set_index("column")
    assert band.loc["mean_trust", "method"] == "bootstrap"
    assert band.loc["mean_trust", "ci_high"] <= 1.0 and band.loc["threats_new", "ci_low"] >= 0
    assert band.loc["forces_abroad_share", "method"] == "t"
    for column in cols:
        row = band.loc[column]
        assert (row["ci_low"], row["ci_high"], row["method"]) == pytest.approx(
            interval(frame[column], *series_range(column))
        )


# Random tables: values drawn within each range, piled at its bounds (many zeros, many ones).


def _values(low: float, high: float, binary: bool = False) -> st.SearchStrategy[float]:
    if binary:
        return st.sampled_from([0.0, 1.0])
    if (low, high) == (0.0, math.inf):  # counts: mostly zero, now and then large
        return st.one_of(st.just(0.0), st.integers(0, 3).map(float), st.integers(0, 500).map(float))
    edges = [v for v in (low, high) if math.isfinite(v)]
    inner = st.floats(max(low, -1e6), min(high, 1e6), allow_nan=False)
    return st.one_of(st.sampled_from(edges), inner) if edges else inner


RANGE_CASES = {
    "mean_trust": SHARE,  # share
    "burden_rank_corr": CORR,  # Spearman
    "leaks": COUNT,  # count
    "amended_toward_commitment": SHARE,  # binary 0/1
    "my_own_outcome": UNBOUNDED,  # unknown: unbounded
}


@st.composite
def _tables(draw: st.DrawFn) -> tuple[str, pd.DataFrame]:
    metric = draw(st.sampled_from(list(RANGE_CASES)))
    low, high = RANGE_CASES[metric]
    values = _values(low, high, binary=metric == "amended_toward_commitment")
    n = draw(st.integers(0, 14))
    cells = draw(st.lists(values, min_size=2 * n, max_size=2 * n))
    runs = pd.DataFrame({"variant": ["base"] * n + ["alt"] * n,
                         "replication": list(range(n)) * 2, metric: cells})  # fmt: skip
    return metric, runs


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_tables())
def test_no_interval_leaves_its_metrics_range(case):
    metric, runs = case
    low, high = metric_range(metric)
    assert (low, high) == RANGE_CASES[metric]

    def check(rows: pd.DataFrame, lowest: float, highest: float, n: str) -> None:
        for _, row in rows.iterrows():
            if row[n] < MIN_N:
                assert math.isnan(row["ci_low"]) and math.isnan(row["ci_high"])
                continue
            assert lowest <= row["ci_low"] <= row["ci_high"] <= highest, row.to_dict()

    check(describe(runs, [metric], by=["variant"]), low, high, "n")
    diffs = (low - high, high - low)
    check(paired_differences(runs, [metric], "base"), *diffs, "n_pairs")
    check(unpaired_differences(runs, [metric], "base"), *diffs, "n_pairs")
    band = mean_band(runs, [metric], ["variant"], ranges={metric: (low, high)})
    check(band, low, high, "n")
