"""Two reserved tiers (e.g. one- and three-year commitments) by hand."""

from __future__ import annotations

import numpy as np
import pytest

from aibm_core.core.params import ParameterError, validate
from aibm_core.models import get_model
from aibm_core.models.ai_platform import AiPlatformParams, compute

#: One customer's compute at $4 list, no bundling, services or price decline.
SMALL = {
    "horizon_months": 12,
    "snapshot_month": 1,
    "initial_customers": 100.0,
    "trial_signups_per_month": 0.0,
    "monthly_churn": 0.0,
    "annual_competitive_switching": 0.0,
    "compute_hours_per_customer": 10.0,
    "consumption_growth_monthly": 0.0,
    "services_per_customer": 1.0,
    "bundle_share": 0.0,
    "on_demand_price_per_gpu_hour": 4.0,
    "annual_price_decline": 0.0,
    "reserved_share": 0.3,
    "reserved_discount": 0.3,
    "reserved_term_months": 12,
    "long_reserved_share": 0.4,
    "long_reserved_discount": 0.6,
    "long_reserved_term_months": 36,
    "spot_share": 0.0,
}


def test_two_reserved_tiers_by_hand():
    r = compute(AiPlatformParams(**SMALL))
    # mix: 0.3 on demand + 0.3 × 0.7 (one-year) + 0.4 × 0.4 (three-year) = 0.67
    assert r.mix_factor[0] == pytest.approx(0.67)
    hours = 100 * 10.0  # GPU-hours in month 1
    assert r.on_demand_revenue[0] == pytest.approx(hours * 4 * 0.3)
    assert r.long_reserved_revenue[0] == pytest.approx(hours * 4 * 0.4 * 0.4)  # 640
    assert r.reserved_revenue[0] == pytest.approx(hours * 4 * (0.3 * 0.7 + 0.4 * 0.4))  # 840 + 640
    assert r.compute_revenue[0] == pytest.approx(hours * 4 * 0.67)
    kpis = get_model("ai_platform").kpis(r)
    # backlog: 840 × 12 / 2 + 640 × 36 / 2 = 5,040 + 11,520
    assert kpis["committed_backlog"].value == pytest.approx(16_560.0)


def test_an_empty_long_tier_is_the_single_tier_exactly():
    one = compute(AiPlatformParams(**{**SMALL, "long_reserved_share": 0.0}))
    moved = compute(AiPlatformParams(**{**SMALL, "long_reserved_share": 0.0, "long_reserved_discount": 0.9}))
    np.testing.assert_array_equal(one.revenue, moved.revenue)
    assert np.all(one.long_reserved_revenue == 0)


def test_shifting_hours_to_the_deeper_discount_lowers_the_price():
    shares = np.linspace(0.0, 0.7, 8)
    r = compute(AiPlatformParams(**SMALL).vary(long_reserved_share=shares))
    assert np.all(np.diff(r.mix_factor[:, 0]) < 0)


def test_tiers_beyond_the_whole_are_refused():
    with pytest.raises(ParameterError, match="long_reserved_share"):
        validate(AiPlatformParams, {**SMALL, "long_reserved_share": 0.8}, "platform.yaml")
