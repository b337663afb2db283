"""The application-layer model: the seed example, hand-computed values, identities and properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from aibm_core.analysis.results import evaluate_scenario
from aibm_core.analysis.scenarios import load_file
from aibm_core.core.config import PARAMETERS_DIR
from aibm_core.core.params import ParameterError, validate
from aibm_core.core.tree import format_value
from aibm_core.models import evaluate, get_model
from aibm_core.models.application_layer import (
    STREAMS,
    ApplicationLayerParams,
    compute,
    kpis,
    stream_margins,
    unit_economics,
)
from aibm_core.models.application_layer.streams import active_contracts, flywheel_strength

P = ApplicationLayerParams


@pytest.fixture(scope="module")
def spec():
    return get_model("application_layer")


@pytest.fixture(scope="module")
def base(spec):
    return evaluate(spec, P())


@st.composite
def app_params(draw) -> ApplicationLayerParams:
    """Valid application-layer parameter sets over realistic ranges, every stream switch included."""
    switches = draw(st.lists(st.booleans(), min_size=5, max_size=5).filter(any))
    return P(
        **dict(
            zip(
                (
                    "include_subscriptions",
                    "include_automation",
                    "include_content",
                    "include_marketplace",
                    "include_contracts",
                ),
                switches,
                strict=True,
            )
        ),
        flywheel_enabled=draw(st.booleans()),
        api_price_per_m_tokens=draw(st.floats(0.1, 30)),
        api_price_annual_decline=draw(st.floats(0, 0.9)),
        edge_inference_share=draw(st.floats(0, 1)),
        domain_premium=draw(st.floats(0, 6)),
        seat_monthly_churn=draw(st.floats(0, 0.3)),
        tasks_per_seat=draw(st.floats(0, 3000)),
        tokens_per_seat_task=draw(st.floats(100, 200000)),
        value_capture_share=draw(st.floats(0, 1)),
        human_review_share=draw(st.floats(0, 1)),
        content_growth_monthly=draw(st.floats(-0.2, 0.2)),
        marketplace_take_rate=draw(st.floats(0, 0.5)),
        flywheel_max_churn_reduction=draw(st.floats(0, 1)),
        flywheel_max_conversion_uplift=draw(st.floats(0, 3)),
        flywheel_scale_m_tasks=draw(st.floats(1, 5000)),
        subscription_sales_cycle_months=draw(st.integers(0, 24)),
    )


# --- the seed's worked example


def test_seed_marketplace_commission_is_gmv_times_take_rate(spec):
    seed = evaluate_scenario("application_layer", "seed")
    assert seed.params.uncertainty.draws == 0
    assert seed.params.marketplace_take_rate == 0.15 and seed.result.gmv[0] == 1_000_000.0
    assert np.all(seed.result.revenue_by_stream["marketplace"] == 150_000.0)
    assert seed.kpis["marketplace_revenue"].value == 150_000.0
    low = spec.compute(seed.params.vary(marketplace_take_rate=0.10))
    assert np.all(low.revenue_by_stream["marketplace"] == 100_000.0)


def test_default_api_price_is_the_api_layer_price_in_month_12(base):
    api = evaluate_scenario("api_access", "base")
    assert base.kpis["api_price_per_m_tokens"].value == pytest.approx(
        api.kpis["revenue_per_m_tokens"].value, abs=0.005
    )
    # seed 003: the application layer earns a higher margin than the platform beneath it
    assert base.gross_margin > api.gross_margin


# --- a small case worked by hand (base defaults, month 1 to 4)


def test_month_one_by_hand(base):
    r = base.result
    seats = 50000 * (1 - 0.025) + 5000  # the flywheel has no data yet; deals in flight start
    assert r.seats[0] == pytest.approx(seats)
    assert r.revenue_by_stream["subscription"][0] == pytest.approx(seats * 30 * (1 + 2.0))
    customers = 100 * (1 - 0.015) + 15
    assert r.revenue_by_stream["automation"][0] == pytest.approx(customers * (5000 + 20000 * 0.25 * 4.0))
    assert r.revenue_by_stream["content"][0] == pytest.approx(200000 * 20000 * 3.0 / 1000 * 0.10)
    assert r.revenue_by_stream["marketplace"][0] == pytest.approx(5e6 * 0.125)
    assert r.revenue_by_stream["contract"][0] == 0.0  # nine-month procurement
    price = 3.32 * 0.7 ** (-11 / 12)  # the API price is $3.32 in month 12, 30% dearer a year before
    assert r.api_price[0] == pytest.approx(price)
    user_tokens_m = seats * 200 * 30000 / 1e6 + 200000 * 50000 / 1e6
    auto_tokens_m = customers * 20000 * 10000 / 1e6
    assert r.cost_parts["inference_cloud"][0] == pytest.approx((0.8 * user_tokens_m + auto_tokens_m) * price)
    assert r.cost_parts["inference_edge"][0] == pytest.approx(0.2 * user_tokens_m * 0.5)
    assert r.cost_parts["human_review"][0] == pytest.approx(customers * 20000 * 0.05 * 3.0 + 200000 * 1.0)


def test_flywheel_and_sales_cycle_by_hand(base):
    r = base.result
    tasks_1 = r.seats[0] * 200 + r.automation_customers[0] * 20000 + 200000
    s2 = 1 - math.exp(-tasks_1 / 1e6 / 400)
    assert r.flywheel_strength[0] == 0 and r.flywheel_strength[1] == pytest.approx(s2)
    assert r.seat_churn[1] == pytest.approx(0.025 * (1 - 0.3 * s2))
    assert r.seats_signed[1] == pytest.approx(5000 * (1 + 0.25 * s2))
    # a seat signed in month 2 pays from month 4 (two-month sales cycle)
    assert r.seats[3] == pytest.approx(r.seats[2] * (1 - r.seat_churn[3]) + r.seats_signed[1])


def test_contracts_bill_after_the_cycle_for_their_term():
    active = active_contracts(np.asarray(2.0), np.arange(1.0, 13.0), cycle=3, term=5)
    assert list(active) == [0, 0, 0, 2, 4, 6, 8, 10, 10, 10, 10, 10]
    r = compute(P(contracts_signed_per_month=1.0))
    assert r.contracts_active[9] == 1 and r.contracts_active[35] == 27
    assert r.revenue_by_stream["contract"][11] == pytest.approx(3 * 1.5e6 / 12)


# --- identities


def test_statement_and_tree_identities(base, spec):
    r, tree = base.result, base.tree
    np.testing.assert_allclose(r.revenue, sum(r.revenue_by_stream.values()))
    np.testing.assert_allclose(r.cogs, sum(r.cost_by_stream.values()), rtol=1e-12)
    assert tree.root.value == pytest.approx(r.at("revenue"), rel=1e-12)
    assert tree.value("gross_margin") == pytest.approx(base.gross_margin)
    assert tree.value("cost_of_revenue") == pytest.approx(r.at("cogs"))
    assert tree.value("inference_share") == pytest.approx(base.kpis["inference_cost_share"].value)
    assert tree.value("seat_gross_profit") == pytest.approx(base.kpis["seat_gross_profit"].value)
    assert tree.value("power_user_break_even") == pytest.approx(base.kpis["power_user_break_even"].value)
    assert tree.value("seat_cac_payback") == pytest.approx(base.kpis["seat_cac_payback_months"].value)
    assert base.kpis["arr"].value == pytest.approx(12 * base.kpis["mrr"].value)
    assert [g.id for g in tree.guardrails()] == [
        "inference_share",
        "seat_churn",
        "seat_cac_payback",
        "gross_margin_floor",
    ]


def test_seat_ltv_is_the_capped_projected_path_every_model_uses(base):
    """Base: a $90 seat less $3 hosting and 5% support, 200 tasks of 30K tokens, 80% via the API.

    Seat gross profit in month t: 90 − 7.5 − 200 × 0.03 × (0.8 × API_t + 0.2 × 0.5), with the
    API price 3.32 × 0.7^((t − 12)/12); the seat signed in month 12 counts months 12..71,
    surviving at month 12's churn after the flywheel, discounted at 12% a year.
    """
    p = base.params
    churn = base.result.at("seat_churn")
    rate = 1.12 ** (1 / 12) - 1
    hand = 0.0
    for k in range(60):
        api = 3.32 * 0.7 ** (k / 12)
        gp = 90 - 7.5 - 200 * 0.03 * (0.8 * api + 0.2 * 0.5)
        hand += gp * ((1 - churn) / (1 + rate)) ** k
    assert 90 - 7.5 - 6 * (0.8 * 3.32 + 0.1) == pytest.approx(base.kpis["seat_gross_profit"].value)
    assert base.kpis["seat_ltv"].value == pytest.approx(hand, rel=1e-12)
    assert base.kpis["seat_ltv_to_cac"].value == pytest.approx(hand / p.seat_cac_usd)
    # not the uncapped perpetuity on month-12 gross profit
    from aibm_core.core import finance

    perpetuity = finance.lifetime_value(base.kpis["seat_gross_profit"].value, churn, rate)
    assert abs(base.kpis["seat_ltv"].value - perpetuity) > 100


def test_seat_ltv_is_finite_without_churn_or_discounting():
    ue = unit_economics(compute(P(seat_monthly_churn=0.0, annual_discount_rate=0.0, ltv_months=24)))
    assert np.isfinite(ue["seat_ltv"]) and ue["seat_ltv"] > 0


def test_seat_cac_payback_counts_from_the_spend():
    """The CAC is spent at signing, the seat pays 2 months later: 2 + 600 / 65.964 = 11.10 months."""
    gp = 90 - 7.5 - 6 * (0.8 * 3.32 + 0.1)  # $65.964 in month 12
    ue = unit_economics(compute(P()))
    assert ue["seat_cac_payback_months"] == pytest.approx(2 + 600 / gp)
    assert unit_economics(compute(P(subscription_sales_cycle_months=0)))["seat_cac_payback_months"] == (
        pytest.approx(600 / gp)
    )


def test_seat_margin_is_zero_at_the_power_user_break_even(base):
    tasks = base.kpis["power_user_break_even"].value
    assert tasks > base.params.tasks_per_seat  # the average seat pays for itself
    at_break_even = compute(base.params.vary(tasks_per_seat=tasks))
    assert unit_economics(at_break_even)["seat_gross_profit"] == pytest.approx(0.0, abs=1e-9)
    heavier = compute(base.params.vary(tasks_per_seat=tasks * 1.1))
    assert unit_economics(heavier)["seat_gross_profit"] < 0


def test_a_loss_making_seat_never_pays_back_and_breaches(spec):
    ev = evaluate(spec, P(tasks_per_seat=5000.0))
    assert ev.kpis["seat_gross_profit"].value < 0
    node = ev.tree["seat_cac_payback"]
    assert node.value == np.inf and node.status == "breach" and node.first_breach_month == 1
    assert format_value(node.value, node.unit) == "never"


def test_stream_switches_remove_one_stream_and_keep_the_others(base):
    r = compute(P(include_marketplace=False))
    assert np.all(r.revenue_by_stream["marketplace"] == 0) and np.all(r.cost_by_stream["marketplace"] == 0)
    np.testing.assert_array_equal(r.revenue_by_stream["contract"], base.result.revenue_by_stream["contract"])
    assert np.isnan(stream_margins(r)["marketplace"]).all()
    only_contracts = compute(P(**{s: s == "include_contracts" for s in (sw for _, sw in STREAMS.values())}))
    assert only_contracts.at("gross_margin") == pytest.approx(1 - 0.45)
    assert only_contracts.tasks.sum() == 0 and only_contracts.flywheel_strength.max() == 0


def test_bear_scenario_breaks_guardrails(spec):
    bear = evaluate(spec, load_file(spec.params, PARAMETERS_DIR / "bear" / "application_layer.yaml"))
    assert bear.tree["inference_share"].status == "breach"
    assert bear.gross_margin < evaluate(spec, P()).gross_margin


# --- degenerate inputs are refused with one line naming the key


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("api_price_per_m_tokens", 0.0),
        ("generic_seat_price_usd", 0.0),
        ("tokens_per_seat_task", 0.0),
        ("value_per_task_usd", 0.0),
        ("flywheel_scale_m_tasks", 0.0),
        ("marketplace_take_rate", 0.9),
        ("contract_term_months", 0),
        ("seat_monthly_churn", 1.5),
    ],
)
def test_degenerate_inputs_are_refused(key, value):
    with pytest.raises(ParameterError) as caught:
        validate(P, {key: value}, source="f.yaml")
    (line,) = str(caught.value).splitlines()
    assert line.startswith(f"f.yaml: key '{key}'")


def test_a_business_without_any_stream_is_refused():
    off = {switch: False for _, switch in STREAMS.values()}
    with pytest.raises(ParameterError, match="at least one stream must be included"):
        validate(P, off)


# --- properties


@settings(max_examples=40, deadline=None)
@given(app_params(), st.floats(1.01, 5.0))
@example(P(), 2.0)
def test_a_higher_api_price_never_raises_the_margin(p, factor):
    dearer = compute(p.vary(api_price_per_m_tokens=p.api_price_per_m_tokens * factor))
    base = compute(p)
    ok = np.isfinite(base.gross_margin)
    assert np.all(dearer.gross_margin[ok] <= base.gross_margin[ok] + 1e-12)


@settings(max_examples=40, deadline=None)
@given(app_params(), st.floats(0.0, 0.5))
def test_a_higher_take_rate_never_lowers_marketplace_revenue(p, higher):
    take = max(p.marketplace_take_rate, higher)
    more = compute(p.vary(marketplace_take_rate=take)).revenue_by_stream["marketplace"]
    assert np.all(more >= compute(p).revenue_by_stream["marketplace"])


@settings(max_examples=40, deadline=None)
@given(app_params())
def test_switching_the_flywheel_off_never_raises_retention(p):
    on, off = compute(p.vary(flywheel_enabled=True)), compute(p.vary(flywheel_enabled=False))
    assert np.all(1 - off.seat_churn <= 1 - on.seat_churn + 1e-15)
    assert np.all(1 - off.automation_churn <= 1 - on.automation_churn + 1e-15)
    assert np.all(off.flywheel_strength == 0)
    assert kpis(off)["seat_retention"].value <= kpis(on)["seat_retention"].value + 1e-15


def test_flywheel_strength_saturates_with_diminishing_returns():
    usage = np.array([0.0, 100.0, 200.0, 400.0, 1e6])
    s = flywheel_strength(usage, 100.0, True)
    assert s[0] == 0 and s[-1] == pytest.approx(1.0) and np.all(np.diff(s) > 0)
    assert s[2] - s[1] < s[1] - s[0]  # each further 100M tasks adds less
    assert np.all(flywheel_strength(usage, 100.0, False) == 0)


def test_arrays_evaluate_like_scalars():
    prices = np.array([1.0, 3.32, 9.0])
    churns = np.array([0.01, 0.025, 0.06])
    batch = compute(P().vary(api_price_per_m_tokens=prices, seat_monthly_churn=churns))
    for i in range(3):
        one = compute(P().vary(api_price_per_m_tokens=float(prices[i]), seat_monthly_churn=float(churns[i])))
        np.testing.assert_allclose(batch.revenue[i], one.revenue)
        np.testing.assert_allclose(batch.gross_margin[i], one.gross_margin)
