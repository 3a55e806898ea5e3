"""The drift statistics against small cases worked out by hand."""

import math

import numpy as np
import pytest

from monitoring import stats
from monitoring.metrics import histogram_quantile


def test_ks_statistic_is_the_largest_gap_between_the_ecdfs():
    # At x=2 the first ECDF is 2/4 and the second 0; at x=4 they are 4/4 and 2/4.
    assert stats.ks_statistic([1, 2, 3, 4], [3, 4, 5, 6]) == pytest.approx(0.5)
    # Disjoint samples: one ECDF reaches 1 before the other leaves 0.
    assert stats.ks_statistic([1, 2, 3], [4, 5]) == pytest.approx(1.0)
    # Same values, different order and multiplicity of the whole sample.
    assert stats.ks_statistic([3, 1, 2], [1, 2, 3, 1, 2, 3]) == pytest.approx(0.0)
    # One value in the middle: at x=2 the ECDFs are 2/4 and 0, at 2.5 2/4 and 1.
    assert stats.ks_statistic([1, 2, 3, 4], [2.5]) == pytest.approx(0.5)


def test_ks_statistic_needs_values_on_both_sides():
    with pytest.raises(ValueError, match="at least one value"):
        stats.ks_statistic([], [1.0])


def test_ks_critical_value_matches_the_table_value():
    # c(0.05) = sqrt(-ln(0.025) / 2) = 1.3581; times sqrt(200 / 10000).
    assert stats.ks_critical_value(100, 100, 0.05) == pytest.approx(0.19206, abs=1e-4)
    # Smaller samples need a larger gap before it means anything.
    assert stats.ks_critical_value(1000, 30, 0.05) > stats.ks_critical_value(
        1000, 300, 0.05
    )


def test_psi_of_two_bins_by_hand():
    # (0.25 - 0.5) ln(0.25 / 0.5) + (0.75 - 0.5) ln(0.75 / 0.5)
    expected = -0.25 * math.log(0.5) + 0.25 * math.log(1.5)
    assert expected == pytest.approx(0.274653, abs=1e-6)
    assert stats.psi([0.5, 0.5], [0.25, 0.75]) == pytest.approx(expected)
    assert stats.psi([0.2, 0.3, 0.5], [0.2, 0.3, 0.5]) == 0.0


def test_psi_counts_an_empty_bin_as_epsilon():
    epsilon = stats.PSI_EPSILON
    expected = (1.0 - 0.5) * math.log(1.0 / 0.5) + (epsilon - 0.5) * math.log(
        epsilon / 0.5
    )
    assert expected == pytest.approx(4.604319, abs=1e-6)
    assert stats.psi([0.5, 0.5], [1.0, 0.0]) == pytest.approx(expected)


def test_psi_needs_matching_bins():
    with pytest.raises(ValueError, match="same bins"):
        stats.psi([0.5, 0.5], [1.0])


def test_quantile_edges_split_the_reference_evenly():
    edges = stats.quantile_edges(np.arange(1, 101), 4)
    assert edges.tolist() == pytest.approx([25.75, 50.5, 75.25])
    assert stats.bin_counts(np.arange(1, 101), edges).tolist() == [25, 25, 25, 25]
    # Repeated values merge quantiles instead of leaving empty bins.
    tied = np.array([1.0] * 9 + [2.0])
    edges = stats.quantile_edges(tied, 5)
    assert edges.tolist() == [1.0]
    assert stats.bin_counts(tied, edges).tolist() == [9, 1]


def test_bin_counts_put_a_value_on_an_edge_in_the_lower_bin():
    edges = np.array([1.0, 2.0])
    assert stats.bin_counts([1.0, 1.5, 2.0, 3.0], edges).tolist() == [1, 2, 1]
    rows = np.array([[0.0, 1.0, 5.0], [2.0, 2.0, 2.0]])
    assert stats.bin_counts(rows, edges).tolist() == [[2, 0, 1], [0, 3, 0]]


def test_feature_psi_by_hand():
    # Production falls entirely in the reference's lowest quarter.
    epsilon = stats.PSI_EPSILON
    expected = 0.75 * math.log(1 / 0.25) + 3 * (epsilon - 0.25) * math.log(
        epsilon / 0.25
    )
    value = stats.feature_psi(np.arange(1, 101), np.arange(1, 11), bins=4)
    assert value == pytest.approx(expected)


def test_total_variation_is_half_the_l1_distance():
    assert stats.total_variation([0.5, 0.5, 0.0], [0.0, 0.5, 0.5]) == 0.5
    assert stats.total_variation([1.0, 0.0], [0.0, 1.0]) == 1.0
    assert stats.total_variation([0.3, 0.7], [0.3, 0.7]) == 0.0


def test_noise_floors_shrink_with_more_production_records():
    shares = np.full(11, 1 / 11)
    small = stats.class_shift_noise(
        shares, 30, quantile=0.99, resamples=500, rng=np.random.default_rng(1)
    )
    large = stats.class_shift_noise(
        shares, 3000, quantile=0.99, resamples=500, rng=np.random.default_rng(1)
    )
    assert small[0] > large[0] and small[1] > large[1]

    reference = np.random.default_rng(2).normal(size=2000)
    noisy, quiet = (
        stats.feature_psi_noise(
            reference,
            size,
            5,
            quantile=0.99,
            resamples=300,
            rng=np.random.default_rng(3),
        )
        for size in (40, 4000)
    )
    assert noisy > quiet > 0


def test_histogram_quantile_interpolates_inside_the_bucket():
    # 10 observations, all in (0.5, 0.9]: the median sits halfway through it.
    buckets = [(0.5, 0.0), (0.9, 10.0), (1.0, 10.0), (math.inf, 10.0)]
    assert histogram_quantile(0.5, buckets) == pytest.approx(0.7)
    # The first bucket starts at 0, unless its bound is not above 0 (PromQL).
    assert histogram_quantile(0.5, [(0.4, 4.0), (math.inf, 4.0)]) == pytest.approx(0.2)
    assert histogram_quantile(0.5, [(-3.0, 4.0), (math.inf, 4.0)]) == -3.0
    # Bounds that are not probabilities (predicted values): same interpolation.
    values = [(10.0, 1.0), (20.0, 5.0), (30.0, 7.0), (math.inf, 10.0)]
    assert histogram_quantile(0.5, values) == pytest.approx(20.0)
    assert histogram_quantile(0.6, values) == pytest.approx(25.0)
    # Above the highest finite bound: that bound, as in PromQL.
    assert histogram_quantile(0.5, [(0.4, 0.0), (math.inf, 4.0)]) == 0.4
    assert math.isnan(histogram_quantile(0.5, [(0.4, 0.0), (math.inf, 0.0)]))
