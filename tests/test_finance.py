"""Shared mechanics against hand-computed values, closed forms and simulations."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aibm_core.core import finance
from aibm_core.core.compute_cost import cost_per_m_tokens


def test_customers_closed_form_matches_the_recursion():
    months = finance.month_index(24)
    closed = finance.customers_over_time(1000.0, 50.0, 0.04, months)
    n, expected = 1000.0, []
    for _ in months:
        n = n * (1 - 0.04) + 50.0
        expected.append(n)
    np.testing.assert_allclose(closed, expected)


def test_customers_without_churn_accumulate_linearly():
    np.testing.assert_allclose(
        finance.customers_over_time(10.0, 5.0, 0.0, finance.month_index(3)), [15, 20, 25]
    )


def test_lifetime_value_is_the_discounted_geometric_sum():
    m, c, r = 100.0, 0.05, 0.01
    by_hand = sum(m * ((1 - c) / (1 + r)) ** t for t in range(5000))
    assert finance.lifetime_value(m, c, r) == pytest.approx(by_hand)
    assert finance.lifetime_value(100.0, 0.05) == pytest.approx(2000.0)


def test_payback():
    assert finance.payback_months(600.0, 100.0) == 6.0
    assert finance.payback_months(600.0, -1.0) == np.inf


def test_expected_excess_matches_simulation():
    rng = np.random.default_rng(7)
    mean, sigma, t = 300.0, 1.2, 500.0
    x = rng.lognormal(np.log(mean) - sigma**2 / 2, sigma, 2_000_000)
    assert finance.expected_excess(mean, sigma, t) == pytest.approx(np.maximum(x - t, 0).mean(), rel=0.01)


def test_graduated_discount_matches_simulation():
    rng = np.random.default_rng(11)
    mean, sigma = 2000.0, 1.5
    x = rng.lognormal(np.log(mean) - sigma**2 / 2, sigma, 2_000_000)
    tiers = np.minimum(np.maximum(x - 1000, 0), 9000) * 0.1 + np.maximum(x - 10000, 0) * 0.2
    share = finance.graduated_discount_share(mean, sigma, (1000.0, 10000.0), (0.1, 0.2))
    assert share == pytest.approx(tiers.sum() / x.sum(), rel=0.01)


def test_top_share_matches_simulation():
    rng = np.random.default_rng(3)
    sizes = np.sort(rng.lognormal(0.0, 1.5, 400_000))[::-1]
    share = finance.top_share(400_000, 4000, 1.5)  # top 1%
    assert share == pytest.approx(sizes[:4000].sum() / sizes.sum(), rel=0.03)


def test_npv_is_zero_at_the_irr():
    flows = [-1000.0] + [60.0] * 24
    annual = finance.irr(flows)
    assert finance.npv(annual, flows) == pytest.approx(0.0, abs=1e-6)


def test_decline_factor_after_one_year():
    factors = finance.annual_decline_factor(0.3, finance.month_index(13))
    assert factors[0] == 1.0 and factors[12] == pytest.approx(0.7)


def test_compute_cost_bridge_by_hand():
    # $2.50 per GPU-hour, 1,000 tokens/s, 50% busy: 1.8M tokens per paid hour -> $1.3889 per 1M
    assert cost_per_m_tokens(2.5, 1000.0, 0.5) == pytest.approx(2.5 / 1.8)


@given(st.floats(0.1, 50), st.floats(1, 1e5), st.floats(0.01, 1.0), st.floats(0.01, 1.0))
def test_bridge_falls_with_utilisation(gpu_hour, tps, u1, u2):
    low, high = sorted((u1, u2))
    assert cost_per_m_tokens(gpu_hour, tps, high) <= cost_per_m_tokens(gpu_hour, tps, low)


@given(st.floats(0, 1e4), st.floats(0.001, 1), st.floats(0.001, 1), st.floats(0, 0.05))
def test_higher_churn_never_raises_lifetime_value(margin, c1, c2, rate):
    low, high = sorted((c1, c2))
    assert finance.lifetime_value(margin, high, rate) <= finance.lifetime_value(margin, low, rate) + 1e-9


def test_lifetime_value_of_a_zero_margin_is_zero_even_without_churn_or_discounting():
    assert finance.lifetime_value(0.0, 0.0, 0.0) == 0.0
    assert finance.lifetime_value(10.0, 0.0, 0.0) == np.inf
    assert finance.lifetime_value(-10.0, 0.0, 0.0) == -np.inf


def test_path_lifetime_value_by_hand():
    """Two months of $100, 10% churn, no discounting: 100 + 0.9 × 100 = 190."""
    assert finance.path_lifetime_value([100.0, 100.0], 0.1) == pytest.approx(190.0)
    # 1% a month discounting: 100 + 100 × 0.9 / 1.01
    assert finance.path_lifetime_value([100.0, 100.0], 0.1, 0.01) == pytest.approx(100 + 90 / 1.01)
    # a constant margin over n months is the truncated geometric series
    x = 0.975
    assert finance.path_lifetime_value(np.full(60, 50.0), 0.025) == pytest.approx(50 * (1 - x**60) / (1 - x))
    # finite with neither churn nor discounting: n × margin
    assert finance.path_lifetime_value(np.full(60, 50.0), 0.0) == pytest.approx(3000.0)
    # one value per draw (draws × months)
    np.testing.assert_allclose(
        finance.path_lifetime_value(np.array([[100.0, 100.0], [10.0, 20.0]]), np.array([0.1, 0.5])),
        [190.0, 20.0],
    )


def test_payback_counts_from_the_spend_with_a_lead():
    """$400 spent, $100 a month from 6 months later: paid back 10 months after the spend."""
    assert finance.payback_months(400.0, 100.0, 6.0) == pytest.approx(10.0)
    assert finance.payback_months(400.0, 100.0) == pytest.approx(4.0)
    assert finance.payback_months(400.0, 0.0, 6.0) == np.inf
    assert finance.payback_months(400.0, -5.0, 6.0) == np.inf
