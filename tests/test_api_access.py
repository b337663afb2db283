"""The API-access model: the seed example, hand-computed values, identities and properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from aibm_core.compute_cost import cost_per_m_tokens
from aibm_core.models import evaluate
from aibm_core.models.api_access import ApiAccessParams, compute, unit_economics
from tests.strategies import api_params


def test_seed_example_gives_exactly_fifty_percent(api_seed):
    assert api_seed.gross_margin == 0.5
    assert api_seed.kpis["revenue_per_k_tokens"].value == pytest.approx(0.06)
    assert api_seed.kpis["cost_per_k_tokens"].value == pytest.approx(0.03)
    assert api_seed.tree.value("gross_margin") == 0.5


def test_base_month_one_prices_by_hand():
    p = ApiAccessParams()
    r = compute(p)
    list_price = 0.75 * 3 + 0.25 * 15  # 6.00 per 1M
    cache = 0.75 * 0.30 * 0.90 * 3  # 0.6075
    batch = (list_price - cache) * 0.10 * 0.50
    assert r.list_price_per_m[0] == pytest.approx(list_price)
    assert r.cache_discount_per_m[0] == pytest.approx(cache)
    assert r.batch_discount_per_m[0] == pytest.approx(batch)
    gpu_hour = 2.5 * 1.2
    cost_in = cost_per_m_tokens(gpu_hour, 2500, 0.6) * (1 - 0.3 + 0.3 * 0.1)
    cost_out = cost_per_m_tokens(gpu_hour, 250, 0.6)
    assert r.cost_per_m[0] == pytest.approx(0.75 * cost_in + 0.25 * cost_out)
    assert r.customers[0] == pytest.approx(10000 * 0.97 + 2000)


def test_unit_economics_identities(api_base):
    r, p = api_base.result, api_base.params
    ue = unit_economics(r)
    assert ue["cac_payback_months"] == pytest.approx(p.cac_usd / ue["gross_profit_per_customer"])
    assert ue["ltv_to_cac"] == pytest.approx(ue["ltv"] / p.cac_usd)
    assert api_base.kpis["arr"].value == pytest.approx(12 * api_base.kpis["mrr"].value)


def test_tree_reproduces_the_model_numbers(api_base):
    tree, r, k = api_base.tree, api_base.result, api_base.kpis
    assert tree.root.value == pytest.approx(r.at("revenue"), rel=1e-12)
    assert tree.value("net_price_per_m") == pytest.approx(r.at("net_price_per_m"))
    assert tree.value("gross_margin") == pytest.approx(api_base.gross_margin)
    assert tree.value("cac_payback") == pytest.approx(k["cac_payback_months"].value)
    assert tree.value("tokens_per_day") == pytest.approx(k["tokens_per_day"].value)
    assert tree.value("new_customers") == pytest.approx(r.new_customers[0])
    assert [g.id for g in tree.guardrails()] == ["churn", "cost_per_request", "top10_share", "error_rate"]


def test_guardrail_breach_is_reported(api_spec):
    ev = evaluate(api_spec, ApiAccessParams(monthly_churn=0.08))
    assert ev.tree["churn"].status == "breach"


@settings(max_examples=60, deadline=None)
@given(api_params())
def test_revenue_is_the_sum_of_its_parts(p):
    r = compute(p)
    np.testing.assert_allclose(r.revenue, r.enterprise_revenue + r.self_serve_revenue, rtol=1e-9)
    discounts = r.cache_discount_per_m + r.batch_discount_per_m + r.contract_discount_per_m
    np.testing.assert_allclose(r.net_price_per_m, r.list_price_per_m - discounts, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(r.gross_profit, r.revenue - r.cogs, rtol=1e-9, atol=1e-6)


@settings(max_examples=60, deadline=None)
@given(api_params(), st.floats(1.01, 3.0))
@example(ApiAccessParams(), 1.5)
def test_higher_price_means_higher_margin(p, factor):
    higher = p.vary(
        price_per_m_input_tokens=p.price_per_m_input_tokens * factor,
        price_per_m_output_tokens=p.price_per_m_output_tokens * factor,
    )
    assert compute(higher).at("gross_margin") > compute(p).at("gross_margin")


@settings(max_examples=60, deadline=None)
@given(api_params(), st.floats(0.001, 0.3))
def test_higher_churn_means_lower_ltv(p, extra):
    base = unit_economics(compute(p))
    assume(base["gross_profit_per_customer"] > 0)  # a loss-making customer costs less the sooner it leaves
    churn = min(p.monthly_churn + extra, 1.0)
    assert unit_economics(compute(p.vary(monthly_churn=churn)))["ltv"] <= base["ltv"]


def test_arrays_evaluate_like_scalars():
    p = ApiAccessParams()
    churns = np.array([0.01, 0.03, 0.08])
    prices = np.array([10.0, 15.0, 20.0])
    vectorised = compute(p.vary(monthly_churn=churns, price_per_m_output_tokens=prices))
    for i, (c, price) in enumerate(zip(churns, prices, strict=True)):
        single = compute(p.vary(monthly_churn=float(c), price_per_m_output_tokens=float(price)))
        np.testing.assert_allclose(vectorised.revenue[i], single.revenue)
        np.testing.assert_allclose(vectorised.gross_margin[i], single.gross_margin)


def test_deterministic():
    a, b = compute(ApiAccessParams()), compute(ApiAccessParams())
    assert np.array_equal(a.revenue, b.revenue)


def test_projection_summary_picks_months_and_formats(api_base):
    table = api_base.projection_summary()
    assert list(table.columns) == ["month 1", "month 12", "month 24", "month 36"]
    assert table.at["gross_margin", "month 12"] == f"{api_base.gross_margin:.1%}"
    assert table.at["revenue", "month 12"] == "37.20M"
