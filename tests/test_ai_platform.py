"""The AI-platform model: the seed example, hand-computed values, identities and properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from aibm_core.analysis.scenarios import load_file
from aibm_core.core.config import PARAMETERS_DIR
from aibm_core.core.params import ParameterError, validate
from aibm_core.models import evaluate, get_model
from aibm_core.models.ai_platform import AiPlatformParams, compute, statement


@st.composite
def platform_params(draw) -> AiPlatformParams:
    """Valid AI-platform parameter sets spread over realistic ranges."""
    reserved = draw(st.floats(0.0, 0.8))
    return AiPlatformParams(
        on_demand_price_per_gpu_hour=draw(st.floats(0.5, 20.0)),
        reserved_share=reserved,
        spot_share=draw(st.floats(0.0, 1.0 - reserved)),
        reserved_discount=draw(st.floats(0.0, 0.8)),
        spot_discount=draw(st.floats(0.0, 0.95)),
        fleet_utilisation=draw(st.floats(0.1, 1.0)),
        infra_cost_per_gpu_hour=draw(st.floats(0.2, 10.0)),
        monthly_churn=draw(st.floats(0.0, 0.2)),
        annual_competitive_switching=draw(st.floats(0.0, 0.5)),
        consumption_growth_monthly=draw(st.floats(-0.05, 0.1)),
        services_per_customer=draw(st.floats(1.0, 8.0)),
        initial_customers=draw(st.floats(1.0, 1e5)),
    )


@pytest.fixture(scope="module")
def spec():
    return get_model("ai_platform")


@pytest.fixture(scope="module")
def seed(spec):
    return evaluate(spec, load_file(spec.params, PARAMETERS_DIR / "seed" / "ai_platform.yaml"))


def test_seed_lands_in_the_seeds_infrastructure_margin_band(seed):
    """Seed 000 §2: ~30-40% infrastructure margin; every cost at 65% of price gives 35%."""
    assert 0.30 <= seed.gross_margin <= 0.40
    assert seed.gross_margin == pytest.approx(0.35, abs=1e-12)
    assert seed.kpis["revenue_per_provisioned_hour"].value == pytest.approx(4.0 * 0.7)
    assert seed.kpis["infra_cost_per_hour"].value == pytest.approx(1.82)
    np.testing.assert_allclose(seed.result.gross_margin, 0.35)  # in every month
    assert seed.tree.value("infra_margin") == pytest.approx(0.35)


def test_a_small_case_by_hand():
    p = AiPlatformParams(
        horizon_months=12,
        initial_customers=100.0,
        trial_signups_per_month=1000.0,
        free_to_paid_conversion=0.01,
        free_tier_cost_per_signup=2.0,
        monthly_churn=0.02,
        annual_competitive_switching=0.0,
        compute_hours_per_customer=10.0,
        storage_gb_per_customer=1000.0,
        inference_calls_per_customer=2000.0,
        consumption_growth_monthly=0.0,
        services_per_customer=2.0,
        upsell_per_additional_service=0.5,
        bundle_share=0.5,
        bundle_discount=0.2,
        on_demand_price_per_gpu_hour=4.0,
        reserved_share=0.5,
        reserved_discount=0.4,
        spot_share=0.25,
        spot_discount=0.6,
        spot_interruption_rate=0.5,
        storage_price_per_gb_month=0.02,
        inference_price_per_k_calls=1.0,
        annual_price_decline=0.0,
        fleet_utilisation=0.5,
        infra_cost_per_gpu_hour=1.0,
        storage_cost_per_gb_month=0.01,
        inference_cost_per_k_calls=0.5,
        annual_cost_decline=0.0,
    )
    r = compute(p)
    customers = 100 * 0.98 + 10  # 108 at the end of month 1
    assert r.customers[0] == pytest.approx(customers)
    # mix: 0.25 on demand + 0.5 × 0.6 reserved + 0.25 × 0.4 × 0.5 spot (half interrupted) = 0.60
    assert r.mix_factor[0] == pytest.approx(0.60)
    bundle = 1 - 0.5 * 0.2  # 0.9
    hours, gb, k_calls = 15.0, 1500.0, 3.0  # × 1.5 for the second service
    per_customer = hours * 4 * 0.60 * bundle + gb * 0.02 * bundle + k_calls * 1.0 * bundle  # 32.4 + 27 + 2.7
    assert r.revenue[0] == pytest.approx(customers * per_customer)
    cost = customers * (hours / 0.5 * 1.0 + gb * 0.01 + k_calls * 0.5) + 1000 * 2.0
    assert r.infra_cost[0] == pytest.approx(cost)
    assert r.gross_margin[0] == pytest.approx(1 - cost / (customers * per_customer))
    assert r.net_revenue_retention[0] == pytest.approx(0.98**12)
    assert r.acquisition_spend[0] == pytest.approx(10 * p.cac_usd)


def test_cac_payback_counts_the_free_tier_of_the_signups_behind_a_customer():
    """Base month 12: CAC $20,000 plus 20,000 signups × $40 × 0.92^(11/12) over 400 new customers."""
    r = compute(AiPlatformParams())
    cost_level = 0.92 ** (11 / 12)
    free_tier_per_new = 20000 * 40.0 * cost_level / (20000 * 0.02)  # $2,000 × 0.9264 = $1,852.83
    assert free_tier_per_new == pytest.approx(1852.83, abs=0.01)
    assert r.at("free_tier_cost_per_new_customer") == pytest.approx(free_tier_per_new)
    gp = r.at("gross_profit_per_customer")
    assert r.at("cac_payback_months") == pytest.approx((20000 + free_tier_per_new) / gp)
    assert r.at("cac_payback_months") > 20000 / gp  # CAC alone understates it
    ev = evaluate(get_model("ai_platform"), AiPlatformParams())
    assert ev.tree.value("acquisition_cost") == pytest.approx(20000 + free_tier_per_new)
    assert ev.tree.value("cac_payback") == pytest.approx(ev.kpis["cac_payback_months"].value)


def test_no_conversion_makes_the_free_tier_per_customer_and_the_payback_infinite():
    r = compute(AiPlatformParams(free_to_paid_conversion=0.0))
    assert r.at("free_tier_cost_per_new_customer") == np.inf
    assert r.at("cac_payback_months") == np.inf
    free = compute(AiPlatformParams(free_to_paid_conversion=0.0, free_tier_cost_per_signup=0.0))
    assert free.at("free_tier_cost_per_new_customer") == 0.0


def test_consumption_grows_with_tenure_on_a_two_cohort_example():
    """10 starting customers, 10 won every month, no churn, consumption +10% a month.

    Month 1: the starting 10 and the 10 won in month 1 run 100 hours each. Month 2 has two
    cohorts: those 20 at 110 and the 10 won in month 2 at 100, so (20 × 110 + 10 × 100) / 30
    = 106.67 hours a customer. Growth by calendar month would give every customer 110.
    """
    p = AiPlatformParams(
        initial_customers=10.0,
        trial_signups_per_month=1000.0,
        free_to_paid_conversion=0.01,
        monthly_churn=0.0,
        annual_competitive_switching=0.0,
        compute_hours_per_customer=100.0,
        services_per_customer=1.0,
        consumption_growth_monthly=0.1,
    )
    r = compute(p)
    np.testing.assert_allclose(r.customers[:2], [20.0, 30.0])
    assert r.compute_hours_per_customer[0] == pytest.approx(100.0)
    assert r.compute_hours_per_customer[1] == pytest.approx((20 * 110 + 10 * 100) / 30)
    assert r.compute_hours[1] == pytest.approx(20 * 110 + 10 * 100)
    # month 3: 20 at 121, 10 at 110, 10 new at 100
    assert r.compute_hours[2] == pytest.approx(20 * 121 + 10 * 110 + 10 * 100)


def test_tenure_factor_weights_the_surviving_cohorts():
    """Half the customers lost each month: survivors of each cohort weight its consumption."""
    from aibm_core.core import finance
    from aibm_core.models.ai_platform.model import tenure_consumption_factor

    months = finance.month_index(2)
    factor = tenure_consumption_factor(10.0, 10.0, 0.5, 0.1, months)
    # month 1: 5 starting survivors and 10 new, all at 1.0
    assert factor[0] == pytest.approx(1.0)
    # month 2: 2.5 starting + 5 of month 1 at 1.1, 10 new at 1.0
    assert factor[1] == pytest.approx((7.5 * 1.1 + 10 * 1.0) / 17.5)
    # growth that exactly offsets churn (q = 1) takes the linear branch
    q_one = tenure_consumption_factor(10.0, 10.0, 0.5, 1.0, months)
    assert q_one[1] == pytest.approx((2.5 * 2 + 5 * 2 + 10) / 17.5)
    draws = tenure_consumption_factor(np.array([10.0, 10.0]), 10.0, 0.5, np.array([0.1, 0.0]), months)
    np.testing.assert_allclose(draws, [factor, [1.0, 1.0]])


def test_a_customer_joining_late_starts_at_the_base_consumption():
    """Whole-base consumption grows less than a single cohort's when new customers keep joining."""
    r = compute(AiPlatformParams(consumption_growth_monthly=0.03))
    per_customer = r.compute_hours_per_customer / r.attach_multiplier
    assert per_customer[0] == pytest.approx(500.0)
    assert per_customer[11] < 500.0 * 1.03**11
    assert compute(AiPlatformParams(consumption_growth_monthly=0.0)).compute_hours_per_customer[11] == (
        pytest.approx(500.0 * r.attach_multiplier[0])
    )


def test_switching_comes_on_top_of_churn():
    p = AiPlatformParams(monthly_churn=0.01, annual_competitive_switching=0.12)
    loss = 1 - 0.99 * 0.88 ** (1 / 12)
    assert compute(p).customer_loss[0] == pytest.approx(loss)


def test_top_ten_percent_share_is_the_lognormal_closed_form():
    from scipy.stats import norm

    r = compute(AiPlatformParams(customer_size_dispersion=1.5))
    assert r.top10pct_revenue_share[0] == pytest.approx(1 - norm.cdf(norm.ppf(0.9) - 1.5))


def test_tree_reproduces_the_model_numbers(spec):
    ev = evaluate(spec, spec.params())
    tree, r = ev.tree, ev.result
    assert tree.root.value == pytest.approx(12 * r.at("revenue"), rel=1e-12)
    assert tree.value("mrr") == pytest.approx(r.at("revenue"), rel=1e-12)
    assert tree.value("infra_margin") == pytest.approx(ev.gross_margin)
    assert tree.value("cac_payback") == pytest.approx(ev.kpis["cac_payback_months"].value)
    assert tree.value("revenue_per_provisioned_hour") == pytest.approx(r.at("revenue_per_provisioned_hour"))
    assert [g.id for g in tree.guardrails()] == [
        "cac_payback",
        "churn",
        "top10pct_share",
        "infra_cost_per_revenue",
        "switching",
        "gross_margin_floor",
    ]
    assert all(g.status == "ok" for g in tree.guardrails())


def test_bear_breaches_are_judged_over_the_horizon(spec):
    bear = evaluate(spec, load_file(spec.params, PARAMETERS_DIR / "bear" / "ai_platform.yaml"))
    floor = bear.tree["gross_margin_floor"]
    assert floor.status == "breach" and floor.worst == pytest.approx(bear.result.gross_margin.min())
    assert bear.tree["switching"].status == "breach"


def test_a_negative_margin_never_pays_back(spec):
    ev = evaluate(spec, AiPlatformParams(infra_cost_per_gpu_hour=20.0))
    assert ev.kpis["gross_profit_per_customer"].value < 0
    assert ev.kpis["cac_payback_months"].value == np.inf
    assert ev.tree["cac_payback"].status == "breach"


@settings(max_examples=50, deadline=None)
@given(platform_params())
def test_statement_identities(p):
    r = compute(p)
    s = statement(r)
    parts = (
        r.on_demand_revenue + r.reserved_revenue + r.spot_revenue + r.storage_revenue + r.inference_revenue
    )
    np.testing.assert_allclose(s.revenue, parts, rtol=1e-12)
    np.testing.assert_allclose(s.gross_profit, r.revenue - r.infra_cost, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(s.north_star, 12 * s.revenue)
    assert np.all(s.capex == 0)


@settings(max_examples=50, deadline=None)
@given(platform_params(), st.floats(0.001, 0.5))
@example(AiPlatformParams(), 0.05)
def test_higher_churn_never_raises_arr(p, extra):
    higher = p.vary(monthly_churn=min(p.monthly_churn + extra, 0.99))
    assert np.all(statement(compute(higher)).north_star <= statement(compute(p)).north_star * (1 + 1e-12))


@settings(max_examples=50, deadline=None)
@given(platform_params(), st.floats(1.01, 3.0))
def test_higher_infra_cost_per_hour_never_raises_the_margin(p, factor):
    higher = p.vary(infra_cost_per_gpu_hour=p.infra_cost_per_gpu_hour * factor)
    assert np.all(compute(higher).gross_margin <= compute(p).gross_margin + 1e-12)


@settings(max_examples=50, deadline=None)
@given(platform_params(), st.floats(0.1, 5.0))
def test_more_services_never_lower_revenue(p, extra):
    more = p.vary(services_per_customer=p.services_per_customer + extra)
    assert np.all(compute(more).revenue >= compute(p).revenue * (1 - 1e-12))


def test_arrays_evaluate_like_scalars():
    churns, costs = np.array([0.005, 0.01, 0.03]), np.array([1.0, 1.5, 2.5])
    batch = compute(AiPlatformParams().vary(monthly_churn=churns, infra_cost_per_gpu_hour=costs))
    for i, (c, k) in enumerate(zip(churns, costs, strict=True)):
        single = compute(AiPlatformParams(monthly_churn=float(c), infra_cost_per_gpu_hour=float(k)))
        np.testing.assert_allclose(batch.revenue[i], single.revenue)
        np.testing.assert_allclose(batch.gross_margin[i], single.gross_margin)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("fleet_utilisation", 0.0),
        ("on_demand_price_per_gpu_hour", 0.0),
        ("compute_hours_per_customer", 0.0),
        ("initial_customers", 0.0),
        ("monthly_churn", 1.0),
        ("spot_discount", 1.0),
        ("services_per_customer", 0.5),
    ],
)
def test_degenerate_inputs_are_refused_naming_the_key(key, value):
    with pytest.raises(ParameterError) as error:
        validate(AiPlatformParams, {key: value}, "bad.yaml")
    message = str(error.value)
    assert f"bad.yaml: key '{key}'" in message and "\n" not in message


def test_contract_mix_above_one_is_refused():
    with pytest.raises(ParameterError, match="reserved_share \\+ spot_share must not exceed 1"):
        validate(AiPlatformParams, {"reserved_share": 0.7, "spot_share": 0.4}, "bad.yaml")
