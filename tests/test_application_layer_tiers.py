"""Tiered marketplace fees and the spread of usage across seats, by hand and by sampling."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aibm_core.models import get_model
from aibm_core.models.application_layer import ApplicationLayerParams
from aibm_core.models.application_layer.economics import seat_usage_tail
from aibm_core.models.application_layer.model import compute
from aibm_core.models.application_layer.streams import lognormal_share_below

P = ApplicationLayerParams
#: A marketplace alone, flat GMV: month 1 reads the schedule directly.
MARKET = {
    "include_subscriptions": False,
    "include_automation": False,
    "include_content": False,
    "include_contracts": False,
    "marketplace_gmv_usd": 1e6,
    "marketplace_gmv_growth_monthly": 0.0,
    "marketplace_developers": 10.0,
    "marketplace_take_rate": 0.30,
}


def test_no_threshold_is_the_flat_take_rate():
    r = compute(P(**MARKET))
    assert np.all(r.marketplace_take_rate == 0.30)
    assert r.revenue_by_stream["marketplace"][0] == pytest.approx(300_000.0, rel=1e-12)


def test_tiered_fee_by_hand_without_spread():
    """10 developers sell $1.2M a year each; the first $1M pays 15%, the last $0.2M 30%."""
    r = compute(
        P(
            **MARKET,
            marketplace_tier_threshold_usd=1e6,
            marketplace_first_tier_take_rate=0.15,
            marketplace_developer_gmv_dispersion=0.0,
        )
    )
    # (1.0 × 0.15 + 0.2 × 0.30) / 1.2 = 0.175
    assert r.marketplace_take_rate[0] == pytest.approx(0.175, rel=1e-12)
    assert r.revenue_by_stream["marketplace"][0] == pytest.approx(175_000.0, rel=1e-12)
    kpis = get_model("application_layer").kpis(r)
    assert kpis["marketplace_effective_take_rate"].value == pytest.approx(0.175, rel=1e-12)


@pytest.mark.parametrize(
    ("mean", "sigma", "threshold"), [(1.2e6, 1.5, 1e6), (5e4, 0.8, 1e5), (3.0, 2.0, 0.5)]
)
def test_share_below_the_threshold_matches_sampling(mean, sigma, threshold):
    """``E[min(X, t)] / E[X]`` of a lognormal, against one million draws (1%)."""
    rng = np.random.default_rng(7)
    x = rng.lognormal(math.log(mean) - sigma**2 / 2, sigma, 1_000_000)
    sampled = np.minimum(x, threshold).sum() / x.sum()
    assert float(lognormal_share_below(mean, sigma, threshold)) == pytest.approx(sampled, rel=0.01)


def test_share_below_edges():
    assert float(lognormal_share_below(100.0, 1.0, 0.0)) == 0.0
    assert float(lognormal_share_below(100.0, 0.0, 40.0)) == pytest.approx(0.4)
    assert float(lognormal_share_below(0.0, 1.0, 40.0)) == 1.0


def test_a_higher_first_tier_rate_never_lowers_the_commission():
    rates = np.linspace(0.0, 0.3, 7)
    r = compute(P(**MARKET, marketplace_tier_threshold_usd=2e5).vary(marketplace_first_tier_take_rate=rates))
    assert np.all(np.diff(r.revenue_by_stream["marketplace"][:, 0]) >= 0)


# --- usage spread across seats

SEATS = {
    "api_price_per_m_tokens": 2.0,
    "api_price_annual_decline": 0.0,
    "edge_inference_share": 0.0,
    "generic_seat_price_usd": 50.0,
    "domain_premium": 0.0,
    "hosting_cost_per_seat": 5.0,
    "support_cost_share": 0.0,
    "tasks_per_seat": 200.0,
    "tokens_per_seat_task": 50_000.0,
}


def test_no_spread_every_seat_is_the_average():
    """$50 price, $5 hosting, 200 tasks at $0.10 (50k tokens at $2 per 1M): profit $25, all above water."""
    r = compute(P(**SEATS))
    tail = seat_usage_tail(r)
    assert tail == pytest.approx(
        {"seats_under_water_share": 0.0, "heavy_seat_tasks": 200.0, "heavy_seat_margin": 0.5}
    )
    loss = seat_usage_tail(compute(P(**{**SEATS, "tasks_per_seat": 500.0})))
    assert loss["seats_under_water_share"] == 1.0
    assert loss["heavy_seat_margin"] == pytest.approx((45.0 - 50.0) / 50.0)


def test_spread_by_hand_and_by_sampling():
    """Break-even 450 tasks; with log-sd 1, P(X > 450) = Φ(ln(200/450) − 0.5) = 0.0586."""
    r = compute(P(**SEATS, seat_usage_dispersion=1.0))
    tail = seat_usage_tail(r)
    z = math.log(200.0 / 450.0) - 0.5
    assert tail["seats_under_water_share"] == pytest.approx(0.5 * math.erfc(-z / math.sqrt(2)), rel=1e-9)
    rng = np.random.default_rng(11)
    usage = rng.lognormal(math.log(200.0) - 0.5, 1.0, 2_000_000)
    profit = 45.0 - usage * 0.1
    assert tail["seats_under_water_share"] == pytest.approx(np.mean(profit < 0), rel=0.02)
    heavy = np.sort(usage)[-len(usage) // 10 :]
    assert tail["heavy_seat_tasks"] == pytest.approx(heavy.mean(), rel=0.01)
    assert tail["heavy_seat_margin"] == pytest.approx((45.0 - heavy.mean() * 0.1) / 50.0, rel=0.02, abs=0.005)


def test_spread_leaves_the_totals_alone():
    flat, spread = compute(P(**SEATS)), compute(P(**SEATS, seat_usage_dispersion=1.5))
    np.testing.assert_array_equal(flat.revenue, spread.revenue)
    np.testing.assert_array_equal(flat.cogs, spread.cogs)


@settings(max_examples=60, deadline=None)
@given(
    st.floats(0.0, 0.5),
    st.floats(0.0, 0.5),
    st.floats(0.0, 1e8),
    st.floats(0.0, 4.0),
    st.floats(1.0, 1e6),
)
def test_the_tiered_rate_lies_between_the_two_rates_and_falls_towards_the_first_as_the_tier_widens(
    flat, first, threshold, sigma, developers
):
    p = P(
        **{**MARKET, "marketplace_take_rate": flat, "marketplace_developers": developers},
        marketplace_first_tier_take_rate=first,
        marketplace_developer_gmv_dispersion=sigma,
    )
    thresholds = np.array([threshold, threshold * 2 + 1.0])
    rate = compute(p.vary(marketplace_tier_threshold_usd=thresholds)).marketplace_take_rate[:, 0]
    low, high = min(flat, first), max(flat, first)
    assert np.all(rate >= low - 1e-12) and np.all(rate <= high + 1e-12)
    # a wider first tier moves the average towards the first-tier rate
    assert abs(rate[1] - first) <= abs(rate[0] - first) + 1e-12
