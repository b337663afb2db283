"""The open-source freemium model: the seed example, a case by hand, identities and properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from aibm_core.analysis import goalseek
from aibm_core.analysis.results import evaluate_scenario
from aibm_core.core.params import ParameterError, validate
from aibm_core.models import evaluate, get_model
from aibm_core.models.open_source_freemium import OpenSourceFreemiumParams, compute, kpis, unit_economics

MODEL = "open_source_freemium"


@pytest.fixture(scope="module")
def spec():
    return get_model(MODEL)


@pytest.fixture(scope="module")
def base(spec):
    return evaluate(spec, spec.params())


# --- the seed's worked example (seed 000 §4, Hugging Face-style)


def test_seed_reproduces_conversion_and_margin_bands():
    seed = evaluate_scenario(MODEL, "seed")
    assert seed.params.monetisation == "freemium"
    assert 9 <= seed.params.individual_price_usd <= 20 and 20 <= seed.params.org_seat_price_usd <= 100
    assert 0.02 <= seed.params.conversion <= 0.05
    assert seed.kpis["conversion"].value == seed.params.conversion  # the input, labelled as such
    assert 0.02 <= seed.kpis["paid_share"].value <= 0.05  # the result: paid share of active users
    assert 0.70 <= seed.gross_margin <= 0.80
    assert seed.kpis["arr_api"].value == 0.0


# --- a small case worked by hand


def _small(**overrides) -> OpenSourceFreemiumParams:
    values = dict(
        monetisation="freemium",
        horizon_months=12,
        snapshot_month=2,
        downloads_per_month=10_000.0,
        community_growth_monthly=0.0,
        signups_per_download=0.01,  # 100 signups a month
        initial_active_users=1000.0,
        free_churn=0.1,
        conversion=0.1,
        org_seat_share=0.5,
        individual_price_usd=10.0,
        org_seat_price_usd=20.0,
        individual_churn=0.05,
        org_churn=0.0,
        free_cost_per_user_usd=0.5,
        paid_cost_per_seat_usd=1.0,
        enterprise_leads_per_month=10.0,
        enterprise_win_rate=0.5,
        enterprise_sales_cycle_months=2.0,
        enterprise_acv_usd=12_000.0,
        initial_enterprise_contracts=0.0,
        enterprise_churn=0.0,
        enterprise_delivery_cost_share=0.25,
        services_per_contract_usd=0.0,
        fixed_opex_usd=1000.0,
        enterprise_cac_usd=100.0,
    )
    return OpenSourceFreemiumParams(**{**values, **overrides})


def test_small_case_by_hand():
    r = compute(_small())
    # month 1: free (1 - 0.1) x (1000 x 0.9 + 100); individual 0.1 x 0.5 x (1000 x 0.95 + 100);
    # organisation 0.05 x 1100
    np.testing.assert_allclose(r.free_users[:2], [0.9 * 1000.0, 0.9 * 1000.0])
    np.testing.assert_allclose(r.individual_seats[:2], [0.05 * 1050.0, 0.05 * (1050.0 * 0.95 + 100)])
    np.testing.assert_allclose(r.org_seats[:2], [0.05 * 1100.0, 0.05 * 1200.0])
    revenue_1 = 52.5 * 10 + 55.0 * 20  # 1,625 a month, no enterprise yet (2-month cycle)
    cost_1 = 900 * 0.5 + (52.5 + 55.0) * 1.0
    assert r.revenue[0] == pytest.approx(revenue_1)
    assert r.cost_of_revenue[0] == pytest.approx(cost_1)
    assert r.gross_margin[0] == pytest.approx(1 - cost_1 / revenue_1)
    # enterprise: 5 wins a month enter the pipeline and bill from month 3 at $1,000 a month each
    np.testing.assert_allclose(r.enterprise_contracts[:4], [0, 0, 5, 10])
    np.testing.assert_allclose(r.enterprise_revenue[:4], [0, 0, 5000, 10000])
    np.testing.assert_allclose(r.sales_spend[:2], [500.0, 500.0])  # 5 wins x $100 when they enter
    # break-even conversion in month 2, per unit of share: free 1000, individual 1097.5, org 1200
    paid_unit = 0.5 * 1097.5 + 0.5 * 1200
    profit = (0.5 * 1097.5 * 9 + 0.5 * 1200 * 19) / paid_unit
    k = kpis(r)
    assert k["break_even_conversion"].value == pytest.approx(1000 * 0.5 / (1000 * 0.5 + paid_unit * profit))
    assert k["break_even_paid_share"].value == pytest.approx(0.5 / (0.5 + profit))
    assert k["arr"].value == pytest.approx(12 * (0.05 * 1097.5 * 10 + 60.0 * 20))


# --- identities


def test_break_even_conversion_put_back_gives_no_free_tier_deficit(base):
    p = base.params
    c = base.kpis["break_even_conversion"].value
    assert 0 < c < p.conversion
    at_break_even = kpis(compute(p.vary(conversion=c)))
    assert at_break_even["free_tier_deficit"].value == pytest.approx(0.0, abs=1e-6)
    assert at_break_even["paid_share"].value == pytest.approx(base.kpis["break_even_paid_share"].value)


def test_conversion_input_and_paid_share_result_are_labelled_apart(base):
    k, tree = base.kpis, base.tree
    assert k["conversion"].value == pytest.approx(0.03)  # the monthly conversion of new free users
    assert k["paid_share"].value == pytest.approx(base.result.at("paid_share"))
    assert k["paid_share"].value != pytest.approx(0.03)  # paid seats churn less: the share drifts up
    assert "input" in k["conversion"].label.lower() and "paid share" in k["paid_share"].label.lower()
    assert "paid share" in tree["paid_share"].label.lower()
    assert tree["paid_share"].label.lower().startswith("paid share")


def test_operating_break_even_conversion_by_hand_and_by_goal_seek(spec, base):
    """Operating profit is linear in the conversion: c* = c − OP(c) / (w S), 8.0% in base."""
    p, r = base.params, base.result
    s = p.snapshot_month - 1
    op = r.revenue[s] - r.cost_of_revenue[s] - r.fixed_opex[s] - r.sales_spend[s]
    # one unit of conversion moves free_per_share users from the free tier to paid plans
    slope = r.paid_per_share[s] * r.paid_profit_per_seat[s] + r.free_per_share[s] * p.free_cost_per_user_usd
    hand = p.conversion - op / slope
    assert hand == pytest.approx(0.0798, abs=5e-4)
    c = base.kpis["operating_break_even_conversion"].value
    assert c == pytest.approx(hand, rel=1e-12)
    assert c > base.kpis["break_even_conversion"].value  # above the free-tier-only break-even
    at_c = kpis(compute(p.vary(conversion=c)))
    assert at_c["operating_profit"].value == pytest.approx(0.0, abs=1e-3)
    question = next(q for q in spec.questions if q.kpi == "operating_profit")
    assert goalseek.seek(spec, p, question).value == pytest.approx(c, rel=1e-6)
    assert base.tree.value("operating_break_even_conversion") == pytest.approx(c)


def test_operating_break_even_is_zero_when_profitable_without_paid_plans_and_never_without_them():
    rich = unit_economics(compute(OpenSourceFreemiumParams(fixed_opex_usd=0.0)))
    assert rich["operating_break_even_conversion"] == 0.0
    api_only = unit_economics(compute(OpenSourceFreemiumParams(monetisation="open_weights_api")))
    assert api_only["operating_break_even_conversion"] == np.inf


def test_enterprise_cac_payback_counts_from_the_spend(base):
    """$40,000 spent in the 6-month pipeline, then $1,250,000 / 12 × 0.3 + $2,000 × margin a month."""
    p = base.params
    profit = p.enterprise_acv_usd / 12 * (1 - p.enterprise_delivery_cost_share) + (
        p.services_per_contract_usd * p.services_margin
    )
    assert base.kpis["enterprise_cac_payback_months"].value == pytest.approx(6.0 + 40000 / profit)
    assert base.kpis["enterprise_cac_payback_months"].value == pytest.approx(9.97, abs=0.01)


def test_price_premium_follows_both_price_paths_and_breaches():
    """$2.00 own price falling 10% a year against $1.60 rival hosting falling 30%.

    Month 36: 1.25 × (0.9 / 0.7)^(35/12) = 2.08 > 1.5; the breach starts when
    (0.9 / 0.7)^((t − 1)/12) > 1.2, i.e. t − 1 > 12 ln 1.2 / ln(9/7) = 8.7: month 10.
    """
    p = OpenSourceFreemiumParams(annual_api_price_decline=0.10, rival_annual_price_decline=0.30)
    ev = evaluate(get_model(MODEL), p)
    premium = ev.result.api_price_premium
    assert premium[0] == pytest.approx(2.0 / 1.6)
    assert premium[35] == pytest.approx(1.25 * (0.9 / 0.7) ** (35 / 12))
    node = ev.tree["api_price_premium"]
    assert node.status == "breach" and node.first_breach_month == 10
    assert node.value == pytest.approx(1.25 * (0.9 / 0.7) ** (11 / 12))
    same = evaluate(get_model(MODEL), OpenSourceFreemiumParams())  # both falling 30%: constant 1.25
    np.testing.assert_allclose(same.result.api_price_premium, 1.25)
    assert same.tree["api_price_premium"].status == "ok"
    draws = compute(OpenSourceFreemiumParams().vary(annual_api_price_decline=np.array([0.1, 0.3])))
    assert draws.api_price_premium.shape == (2, 36)


def test_goal_seek_finds_the_closed_form_break_even(spec, base):
    answer = goalseek.seek(spec, base.params, spec.questions[0])
    assert answer.value == pytest.approx(base.kpis["break_even_conversion"].value, rel=1e-6)


def test_revenue_arr_and_tree_identities(base):
    r, k, tree = base.result, base.kpis, base.tree
    streams = r.individual_revenue + r.org_revenue + r.enterprise_revenue + r.api_revenue
    np.testing.assert_allclose(r.revenue, streams + r.services_revenue)
    np.testing.assert_allclose(r.arr, 12 * streams)
    parts = ("arr_individual", "arr_organisation", "arr_enterprise", "arr_api")
    assert k["arr"].value == pytest.approx(sum(k[name].value for name in parts))
    assert tree.root.value == pytest.approx(k["arr"].value, rel=1e-12)
    assert tree.value("revenue") == pytest.approx(k["revenue"].value)
    assert tree.value("free_cost_share") == pytest.approx(k["free_cost_share"].value)
    assert tree.value("gross_margin_floor") == pytest.approx(base.gross_margin)
    assert tree.value("free_tier_deficit") == pytest.approx(k["free_tier_deficit"].value)
    assert [g.id for g in tree.guardrails()] == [
        "free_cost_share",
        "paid_share",
        "community_health",
        "api_price_premium",
        "gross_margin_floor",
    ]


def test_monetisation_chooses_the_streams_that_count():
    freemium = compute(OpenSourceFreemiumParams(monetisation="freemium"))
    api = compute(OpenSourceFreemiumParams(monetisation="open_weights_api"))
    mix = compute(OpenSourceFreemiumParams(monetisation="mix"))
    assert np.all(freemium.api_revenue == 0) and np.all(freemium.individual_revenue > 0)
    assert np.all(api.individual_revenue == 0) and np.all(api.org_revenue == 0)
    assert np.all(api.api_revenue > 0)
    np.testing.assert_allclose(api.free_users, api.active_users)  # nobody takes a paid plan
    np.testing.assert_allclose(mix.api_revenue, api.api_revenue)
    np.testing.assert_allclose(mix.org_revenue, freemium.org_revenue)
    np.testing.assert_allclose(mix.enterprise_revenue, api.enterprise_revenue)


def test_enterprise_payback_is_never_when_a_contract_loses_money(spec):
    ev = evaluate(spec, OpenSourceFreemiumParams(enterprise_delivery_cost_share=1.5))
    assert ev.kpis["enterprise_cac_payback_months"].value == np.inf
    assert unit_economics(ev.result)["enterprise_cac_payback_months"] == np.inf


def test_bear_breaches_the_free_tier_and_community_guardrails():
    bear = evaluate_scenario(MODEL, "bear")
    status = {g.id: (g.status, g.first_breach_month) for g in bear.tree.guardrails()}
    assert status["community_health"] == ("breach", 1)
    assert status["free_cost_share"][0] == "breach"


# --- degenerate inputs


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("individual_price_usd", 0.0),
        ("api_price_per_m", 0.0),
        ("enterprise_acv_usd", 0.0),
        ("conversion", 1.0),
        ("free_churn", -0.1),
        ("signups_per_download", 0.0),
        ("monetisation", "ads"),
    ],
)
def test_degenerate_inputs_are_refused_naming_the_key(key, value):
    with pytest.raises(ParameterError) as error:
        validate(OpenSourceFreemiumParams, {key: value}, source="test.yaml")
    message = str(error.value)
    assert len(message.splitlines()) == 1 and f"key '{key}'" in message


def test_cross_field_rules():
    with pytest.raises(ParameterError, match=r"org_seat_price_usd .* must be at least individual_price_usd"):
        validate(OpenSourceFreemiumParams, {"individual_price_usd": 40.0, "org_seat_price_usd": 30.0})
    with pytest.raises(ParameterError, match=r"enterprise_sales_cycle_months .* shorter than horizon_months"):
        validate(OpenSourceFreemiumParams, {"horizon_months": 12, "enterprise_sales_cycle_months": 12.0})


# --- properties


@st.composite
def freemium_params(draw) -> OpenSourceFreemiumParams:
    """Valid parameter sets spread over realistic ranges (revenue always positive)."""
    individual = draw(st.floats(1, 50))
    return OpenSourceFreemiumParams(
        monetisation=draw(st.sampled_from(["freemium", "open_weights_api", "mix"])),
        downloads_per_month=draw(st.floats(1e4, 1e8)),
        community_growth_monthly=draw(st.floats(-0.1, 0.15)),
        free_churn=draw(st.floats(0.0, 0.5)),
        conversion=draw(st.floats(0.0, 0.3)),
        org_seat_share=draw(st.floats(0.0, 1.0)),
        individual_price_usd=individual,
        org_seat_price_usd=individual + draw(st.floats(0, 100)),
        individual_churn=draw(st.floats(0.0, 0.5)),
        free_cost_per_user_usd=draw(st.floats(0.0, 3.0)),
        enterprise_sales_cycle_months=draw(st.floats(0.0, 24.0)),
        enterprise_churn=draw(st.floats(0.0, 0.2)),
        initial_enterprise_contracts=draw(st.floats(1.0, 500.0)),
        annual_api_price_decline=draw(st.floats(0.0, 0.9)),
    )


@settings(max_examples=60, deadline=None)
@given(freemium_params(), st.floats(0.001, 0.5))
@example(OpenSourceFreemiumParams(), 0.01)
def test_more_conversion_never_lowers_arr(p, extra):
    higher = p.vary(conversion=min(p.conversion + extra, 0.99))
    assert np.all(compute(higher).arr >= compute(p).arr * (1 - 1e-12))


@settings(max_examples=60, deadline=None)
@given(freemium_params(), st.floats(0.001, 5.0))
@example(OpenSourceFreemiumParams(), 0.1)
def test_a_costlier_free_tier_never_raises_the_margin(p, extra):
    costlier = p.vary(free_cost_per_user_usd=p.free_cost_per_user_usd + extra)
    assert np.all(compute(costlier).gross_margin <= compute(p).gross_margin + 1e-12)


@settings(max_examples=60, deadline=None)
@given(freemium_params(), st.floats(0.0, 24.0))
@example(OpenSourceFreemiumParams(), 3.0)
def test_a_longer_sales_cycle_never_raises_early_revenue(p, extra):
    longer = p.vary(enterprise_sales_cycle_months=min(p.enterprise_sales_cycle_months + extra, 35.0))
    early, late = np.cumsum(compute(p).revenue), np.cumsum(compute(longer).revenue)
    assert np.all(late <= early * (1 + 1e-12))
    assert np.all(np.cumsum(compute(longer).enterprise_new) <= np.cumsum(compute(p).enterprise_new) + 1e-9)


@settings(max_examples=40, deadline=None)
@given(freemium_params())
def test_statement_identities_hold_everywhere(p):
    spec = get_model(MODEL)
    r = compute(p)
    s = spec.statement(r)
    np.testing.assert_allclose(s.gross_profit, r.revenue - r.cost_of_revenue)
    np.testing.assert_allclose(s.north_star, r.arr)
    assert np.all(r.free_users >= 0) and np.all(r.paid_seats >= 0) and np.all(r.enterprise_contracts >= 0)
    assert np.all(s.series("capex") == 0)
