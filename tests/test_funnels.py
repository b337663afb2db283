"""Funnels and cohorts (aibm_core.core.funnels): hand-computed cohort sums, delays and break-even."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aibm_core.core import finance, funnels


def test_stages_multiply_the_rates_in_order():
    downloads, signups, paid = funnels.stages(1_000_000.0, 0.02, 0.05)
    assert (downloads, signups, paid) == (1_000_000.0, 20_000.0, 1_000.0)
    both = funnels.stages(np.array([100.0, 200.0]), np.array([0.5, 0.25]))
    np.testing.assert_allclose(both[1], [50.0, 50.0])


def test_a_cohort_keeps_one_minus_churn_to_the_t():
    np.testing.assert_allclose(funnels.survival(0.1, [0, 1, 2, 3]), [1.0, 0.9, 0.81, 0.729])
    matrix = funnels.cohort_matrix(np.array([100.0, 0.0, 0.0, 0.0]), 0.1)
    np.testing.assert_allclose(matrix[:, 0], [100.0, 90.0, 81.0, 72.9])
    assert np.all(matrix[0, 1:] == 0.0)  # later cohorts are empty before they arrive


def test_cohort_matrix_by_hand_and_its_sum_is_the_active_stock():
    arrivals = np.array([10.0, 20.0, 30.0])
    matrix = funnels.cohort_matrix(arrivals, 0.5)
    expected = np.array([[10.0, 0.0, 0.0], [5.0, 20.0, 0.0], [2.5, 10.0, 30.0]])
    np.testing.assert_allclose(matrix, expected)
    np.testing.assert_allclose(matrix.sum(axis=-1), funnels.active_stock(0.0, arrivals, 0.5))
    np.testing.assert_allclose(funnels.active_stock(0.0, arrivals, 0.5), [10.0, 25.0, 42.5])


def test_stock_after_constant_arrivals_is_the_geometric_sum():
    a, c, months = 1000.0, 0.04, 24
    stock = funnels.active_stock(0.0, np.full(months, a), c)
    t = np.arange(1, months + 1)
    np.testing.assert_allclose(stock, a * (1 - (1 - c) ** t) / c)
    np.testing.assert_allclose(stock, finance.customers_over_time(0.0, a, c, t.astype(float)))


def test_initial_stock_decays_alongside_the_arrivals():
    stock = funnels.active_stock(500.0, np.array([100.0, 100.0]), 0.2)
    np.testing.assert_allclose(stock, [500 * 0.8 + 100, (500 * 0.8 + 100) * 0.8 + 100])


def test_cohorts_vectorise_over_draws():
    churn = np.array([0.1, 0.5])
    arrivals = np.ones((2, 3))
    matrix = funnels.cohort_matrix(arrivals, churn)
    assert matrix.shape == (2, 3, 3)
    for i, c in enumerate(churn):
        np.testing.assert_allclose(matrix[i], funnels.cohort_matrix(arrivals[i], float(c)))


def test_delayed_shifts_whole_months_and_splits_fractional_ones():
    wins = np.full(5, 5.0)
    np.testing.assert_allclose(funnels.delayed(wins, 0.0), wins)
    np.testing.assert_allclose(funnels.delayed(wins, 2.0), [0, 0, 5, 5, 5])
    np.testing.assert_allclose(funnels.delayed(wins, 1.5), [0, 2.5, 5, 5, 5])
    np.testing.assert_allclose(funnels.delayed(np.array([4.0, 0, 0, 0]), 0.25), [3.0, 1.0, 0, 0])
    np.testing.assert_allclose(funnels.delayed(wins, 9.0), 0.0)  # everything lands after the horizon


def test_delayed_by_draw_matches_scalar_calls():
    volume = np.array([[1.0, 2.0, 3.0, 4.0]])
    delays = np.array([0.0, 0.5, 2.0])
    batch = funnels.delayed(volume, delays)
    for i, d in enumerate(delays):
        np.testing.assert_allclose(batch[i], funnels.delayed(volume[0], float(d)))


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.floats(0, 1e4), min_size=2, max_size=30),
    st.floats(0, 12),
    st.floats(0, 12),
)
def test_a_longer_delay_never_brings_more_by_any_month(volume, d1, d2):
    short, long = sorted((d1, d2))
    v = np.array(volume)
    early = np.cumsum(funnels.delayed(v, short))
    late = np.cumsum(funnels.delayed(v, long))
    assert np.all(late <= early + 1e-9 * (1 + early))


def test_break_even_conversion_closed_form():
    # a free user costs $0.20, a paying one earns $19.80: 1% paying covers the rest
    assert funnels.break_even_conversion(0.2, 19.8) == pytest.approx(0.01)
    c = funnels.break_even_conversion(0.5, 14.0, free_weight=1000.0, paid_weight=1150.0)
    assert (1 - c) * 1000.0 * 0.5 == pytest.approx(c * 1150.0 * 14.0)
    assert funnels.break_even_conversion(0.0, 10.0) == 0.0
    assert funnels.break_even_conversion(0.3, 0.0) == np.inf
    assert funnels.break_even_conversion(0.3, -2.0) == np.inf
    np.testing.assert_allclose(
        funnels.break_even_conversion(np.array([0.1, 0.3]), np.array([9.9, 0.0])), [0.01, np.inf]
    )
