"""The GPU cloud's contract book by hand: a multi-year tier, signed capacity not yet live,
remaining performance obligations and customer concentration."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import ndtr, ndtri

from aibm_core.core.params import ParameterError, validate
from aibm_core.models.ai_infrastructure import AiInfrastructureParams, compute, kpis
from tests.test_ai_infrastructure import SMALL

HOURS = 730.5


def run(**changes):
    return compute(validate(AiInfrastructureParams, {**SMALL, **changes}))


def test_a_multiyear_tier_has_its_own_price_and_term_by_hand():
    # 100 GPUs × 730.5 h × 80% = 58,440 sold hours a month; reserved 50% -> 30% at $2, multi-year 20% at $1.80
    r = run(
        reserved_share=0.3, multiyear_share=0.2, multiyear_price_per_gpu_hour=1.8, multiyear_term_months=36.0
    )
    sold = 100 * HOURS * 0.8
    assert r.at("multiyear_revenue") == pytest.approx(sold * 0.2 * 1.8)  # $21,038.40
    assert r.at("reserved_revenue") == pytest.approx(sold * 0.3 * 2.0)  # $35,064
    # blended: 0.25 × 4 + 0.3 × 2 + 0.25 × 1 + 0.2 × 1.8 = $2.21 per sold hour
    assert r.at("revenue_per_sold_hour") == pytest.approx(2.21)
    parts = r.on_demand_revenue + r.reserved_revenue + r.spot_revenue + r.multiyear_revenue
    np.testing.assert_allclose(parts, r.revenue)
    # steady book, evenly aged: 24 / 2 = 12 months left on reserved, 36 / 2 = 18 on multi-year
    np.testing.assert_allclose(r.multiyear_backlog_months, 18.0)
    assert r.at("contracted_backlog") == pytest.approx(
        sold * 0.3 * 2.0 * 12 + sold * 0.2 * 1.8 * 18
    )  # $799,459.20


def test_the_mix_counts_the_multiyear_tier():
    with pytest.raises(ParameterError, match="multiyear_share"):
        validate(AiInfrastructureParams, {"multiyear_share": 0.2}, "bad.yaml")


def test_signed_capacity_is_delivered_and_valued_by_hand():
    r = run(
        signed_undelivered_gpus=1000.0,
        signed_gpus_per_month=50.0,
        signed_delivery_gpus_per_month=150.0,
        signed_price_per_gpu_hour=2.5,
        signed_term_months=48.0,
        horizon_months=24,
        snapshot_month=3,
    )
    # the book falls by 100 a month: 900, 800, 700, ... 0 after month 10, and stays empty
    np.testing.assert_allclose(r.undelivered_gpus[:3], [900.0, 800.0, 700.0])
    np.testing.assert_allclose(r.undelivered_gpus[9:], 0.0)
    per_gpu = 2.5 * HOURS * 48  # $87,660 of contract value per GPU
    assert r.at("undelivered_backlog") == pytest.approx(700 * per_gpu)  # $61,362,000
    live = 100 * HOURS * 0.8 * 0.5 * 2.0 * 12.0  # $701,280: the reserved book, 12 months left
    assert r.at("contracted_backlog") == pytest.approx(live)
    assert kpis(r)["remaining_performance_obligations"].value == pytest.approx(live + 700 * per_gpu)
    # signings faster than deliveries: the book grows
    growing = run(signed_undelivered_gpus=10.0, signed_gpus_per_month=5.0, signed_delivery_gpus_per_month=2.0)
    np.testing.assert_allclose(growing.undelivered_gpus[:2], [13.0, 16.0])


def test_no_signed_capacity_leaves_the_backlog_of_live_contracts():
    r = run()
    np.testing.assert_allclose(r.undelivered_gpus, 0.0)
    np.testing.assert_allclose(r.remaining_performance_obligations, r.contracted_backlog)


def test_customer_concentration_by_hand():
    r = run(customer_count=100.0, customer_size_dispersion=2.5)
    # lognormal sizes: the top 1% holds 1 − Φ(Φ⁻¹(0.99) − 2.5) = 1 − Φ(−0.1737) = 0.5690
    assert r.at("largest_customer_share") == pytest.approx(1.0 - ndtr(ndtri(0.99) - 2.5))
    assert r.at("largest_customer_share") == pytest.approx(0.5690, abs=1e-4)
    # the top 10% holds 1 − Φ(1.2816 − 2.5) = Φ(1.2184) = 0.8885
    assert r.at("top10_customer_share") == pytest.approx(0.8885, abs=1e-4)
    equal = run(customer_count=100.0, customer_size_dispersion=0.0)
    assert equal.at("largest_customer_share") == pytest.approx(0.01)
    assert equal.at("top10_customer_share") == pytest.approx(0.10)
    alone = run(customer_count=1.0)
    assert alone.at("largest_customer_share") == pytest.approx(1.0)
