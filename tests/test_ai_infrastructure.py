"""Tests of the AI-infrastructure / GPU-cloud model: hand values, identities, properties."""

from __future__ import annotations

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq

from aibm_core.analysis.scenarios import load_file
from aibm_core.core import finance
from aibm_core.core.config import PARAMETERS_DIR
from aibm_core.core.params import ParameterError, defaults_yaml, validate
from aibm_core.models import evaluate, get_model
from aibm_core.models.ai_infrastructure import (
    HOURS_PER_MONTH,
    SPEC,
    AiInfrastructureParams,
    compute,
    kpis,
    power_runway_months,
    tree,
    utilisation_economics,
    utilisation_table,
)

#: A small case whose cost stack is easy to compute by hand.
SMALL = {
    "initial_gpus": 100.0,
    "quarterly_capacity_growth": 0.0,
    "capex_per_gpu_usd": 43830.0,  # / (60 months × 730.5 h) = $1.00 per hour
    "useful_life_years": 5.0,
    "annual_financing_rate": 0.0,
    "power_kw_per_gpu": 1.0,
    "pue": 1.5,
    "electricity_usd_per_kwh": 0.10,  # 1 kW × 1.5 × $0.10 = $0.15 per hour
    "dc_opex_per_gpu_month_usd": 365.25,  # / 730.5 h = $0.50 per hour
    "utilisation": 0.8,
    "on_demand_price_per_gpu_hour": 4.0,
    "reserved_price_per_gpu_hour": 2.0,
    "spot_price_per_gpu_hour": 1.0,
    "on_demand_share": 0.25,
    "reserved_share": 0.5,
    "spot_share": 0.25,  # blended: 1.00 + 1.00 + 0.25 = $2.25 per sold hour
    "annual_price_decline": 0.0,
    "tokens_per_second_per_gpu": 500.0,
    "sga_share_of_revenue": 0.0,  # no corporate opex: EBIT = gross profit
    "rd_per_month_usd": 0.0,
}


def scenario(name: str) -> AiInfrastructureParams:
    return load_file(AiInfrastructureParams, PARAMETERS_DIR / name / "ai_infrastructure.yaml")


@pytest.fixture(scope="module")
def small():
    return compute(validate(AiInfrastructureParams, SMALL))


@pytest.fixture(scope="module")
def base():
    return compute(AiInfrastructureParams())


# --- hand-computed values


def test_small_case_cost_stack_by_hand(small):
    assert HOURS_PER_MONTH == pytest.approx(730.5)
    assert small.at("depreciation_per_hour") == pytest.approx(1.00)
    assert small.at("power_per_hour") == pytest.approx(0.15)
    assert small.at("dc_opex_per_hour") == pytest.approx(0.50)
    assert small.at("financing_per_hour") == pytest.approx(0.0)
    assert small.at("cost_per_hour") == pytest.approx(1.65)


def test_small_case_revenue_and_margins_by_hand(small):
    assert small.at("revenue_per_sold_hour") == pytest.approx(2.25)
    assert small.at("revenue_per_installed_hour") == pytest.approx(1.80)
    assert small.at("revenue") == pytest.approx(100 * 730.5 * 0.8 * 2.25)
    assert small.at("gross_margin") == pytest.approx((1.80 - 1.65) / 1.80)
    assert small.at("ebitda_margin") == pytest.approx((1.80 - 0.65) / 1.80)
    assert small.at("break_even_utilisation") == pytest.approx(1.65 / 2.25)
    assert small.at("capex_payback_months") == pytest.approx(43830.0 / ((1.80 - 0.65) * 730.5))


def test_financing_is_average_interest_of_level_payment_loan():
    rate = 0.12
    r = compute(validate(AiInfrastructureParams, {**SMALL, "annual_financing_rate": rate}))
    monthly = (1 + rate) ** (1 / 12) - 1
    instalment = -npf.pmt(monthly, 60, 43830.0)
    assert r.at("financing_per_hour") == pytest.approx((instalment - 43830.0 / 60) / 730.5)
    assert r.at("margin_after_financing") < r.at("gross_margin")


def test_level_payment_matches_numpy_financial_and_zero_rate():
    rates = np.array([0.0, 0.005, 0.01])
    got = finance.level_payment(1000.0, rates, 48)
    assert got[0] == pytest.approx(1000 / 48)
    np.testing.assert_allclose(got[1:], -npf.pmt(rates[1:], 48, 1000.0))


def test_fleet_grows_by_quarterly_growth_compounded_monthly():
    r = compute(AiInfrastructureParams(quarterly_capacity_growth=0.2))
    gpus = r.installed_gpus
    assert gpus[0] == pytest.approx(20000.0)
    assert gpus[3] == pytest.approx(20000.0 * 1.2)
    assert gpus[12] == pytest.approx(20000.0 * 1.2**4)
    assert r.added_gpus[0] == 0.0
    np.testing.assert_allclose(np.cumsum(r.added_gpus) + gpus[0], gpus)


# --- identities


def test_cost_per_hour_times_hours_equals_cost_stack_total(base):
    np.testing.assert_allclose(base.cost_per_hour * base.installed_gpu_hours, base.cost_stack_total)


def test_revenue_is_sum_of_contract_types(base):
    parts = base.on_demand_revenue + base.reserved_revenue + base.spot_revenue
    np.testing.assert_allclose(parts, base.revenue)


def test_margin_is_zero_at_break_even_utilisation(base):
    at_break_even = compute(AiInfrastructureParams(utilisation=base.at("break_even_utilisation")))
    assert at_break_even.at("gross_margin") == pytest.approx(0.0, abs=1e-12)


def test_break_even_closed_form_matches_brentq(base):
    def margin(u: float) -> float:
        return compute(AiInfrastructureParams().vary(utilisation=u)).at("gross_margin")

    root = brentq(margin, 0.01, 1.0, xtol=1e-14)
    assert root == pytest.approx(base.at("break_even_utilisation"), rel=1e-9)


def test_operating_expenses_and_ebit_by_hand():
    opex = {"sga_share_of_revenue": 0.10, "rd_per_month_usd": 5000.0}
    r = compute(validate(AiInfrastructureParams, {**SMALL, **opex}))
    revenue = 100 * 730.5 * 0.8 * 2.25  # $131,490 per month
    gross_profit = 100 * 730.5 * (1.80 - 1.65)  # $10,957.50 per month
    assert r.at("sga") == pytest.approx(13149.0)  # 10% of revenue
    assert r.at("rd") == pytest.approx(5000.0)
    assert r.at("operating_profit") == pytest.approx(gross_profit - 13149.0 - 5000.0)  # -$7,191.50
    assert r.at("operating_margin") == pytest.approx(-7191.5 / revenue)  # -5.47%: a loss at EBIT
    assert r.at("gross_margin") == pytest.approx(gross_profit / revenue)  # unchanged by corporate opex
    s = SPEC.statement(r)
    assert s.snapshot()["operating_profit"] == pytest.approx(-7191.5)
    t = tree(r)
    assert t.value("operating_margin") == pytest.approx(-7191.5 / revenue)
    assert t.value("rd_per_hour") == pytest.approx(5000.0 / (100 * 730.5))
    assert kpis(r)["operating_margin"].value == pytest.approx(-7191.5 / revenue)


def test_without_corporate_opex_ebit_equals_gross_profit(small):
    np.testing.assert_allclose(small.operating_profit, small.gross_profit)


def test_seed_scenario_carries_no_corporate_opex():
    r = compute(scenario("seed"))
    np.testing.assert_allclose(r.operating_margin, r.gross_margin)


def test_backlog_of_a_steady_book_is_half_the_term_by_hand(small):
    reserved = 100 * 730.5 * 0.8 * 0.5 * 2.0  # $58,440 per month
    assert small.at("reserved_revenue") == pytest.approx(reserved)
    np.testing.assert_allclose(small.backlog_months, 12.0)  # 24-month term, evenly aged book
    assert small.at("contracted_backlog") == pytest.approx(reserved * 12.0)  # $701,280
    assert kpis(small)["contracted_backlog"].unit == "USD"


def test_backlog_of_a_growing_book_by_hand():
    growing = {**SMALL, "quarterly_capacity_growth": 1.1**3 - 1.0, "snapshot_month": 3}  # +10% a month
    r = compute(validate(AiInfrastructureParams, growing))
    reserved = 100 * 730.5 * 0.8 * 0.5 * 2.0  # month 1, $58,440 per month
    # month 2: the month-1 book keeps 12 months on average, the 10% added is signed for 24
    assert r.contracted_backlog[1] == pytest.approx(reserved * (12.0 + 0.1 * 24.0))  # $841,536
    # month 3: 1.1 x 13.09 months for the book so far + 0.11 x 24 for the new volume
    assert r.contracted_backlog[2] == pytest.approx(reserved * (14.4 + 0.11 * 24.0))  # $995,817.60
    assert r.backlog_months[2] == pytest.approx(17.04 / 1.21)
    assert r.contracted_backlog[2] > r.reserved_revenue[2] * 24.0 / 2.0  # half the term understates it


def test_backlog_of_a_shrinking_book_keeps_its_average_term_and_zero_term_has_none():
    shrinking = compute(validate(AiInfrastructureParams, {**SMALL, "quarterly_capacity_growth": -0.2}))
    np.testing.assert_allclose(shrinking.backlog_months, 12.0)
    np.testing.assert_allclose(shrinking.contracted_backlog, shrinking.reserved_revenue * 12.0)
    spot_only = compute(validate(AiInfrastructureParams, {**SMALL, "contract_term_months": 0.0}))
    np.testing.assert_allclose(spot_only.contracted_backlog, 0.0)


def test_utilisation_table_varies_realised_utilisation_and_breaks_even_at_zero(base):
    numbers = utilisation_economics(base)
    row = numbers[numbers["note"].str.startswith("break-even")].iloc[0]
    assert row["utilisation"] == pytest.approx(base.at("break_even_utilisation"))
    assert row["gross_margin"] == pytest.approx(0.0, abs=1e-12)
    this_month = numbers[numbers["note"] == "this month"].iloc[0]
    assert this_month["utilisation"] == pytest.approx(base.at("utilisation"))
    assert this_month["gross_margin"] == pytest.approx(base.at("gross_margin"))
    assert this_month["operating_margin"] == pytest.approx(base.at("operating_margin"))
    assert this_month["margin_after_financing"] == pytest.approx(base.at("margin_after_financing"))
    assert this_month["fleet_cost_per_m_tokens"] == pytest.approx(base.at("fleet_cost_per_m_tokens"))
    table = utilisation_table(base)
    label = next(i for i in table.index if table.loc[i, ""].startswith("break-even"))
    assert table.loc[label, "Gross margin"] == "0.0%"
    assert label == f"{base.at('break_even_utilisation'):.1%}"
    assert "0.4" not in table.index and "40.0%" in table.index
    assert all(isinstance(v, str) for v in table.to_numpy().ravel())


def test_utilisation_table_in_the_bear_case_is_on_realised_utilisation():
    r = compute(scenario("bear"))
    assert r.at("utilisation") < r.params.utilisation  # churn leaves GPUs idle: realised < target
    numbers = utilisation_economics(r).set_index("note")
    assert numbers.loc["break-even (gross margin = 0)", "gross_margin"] == pytest.approx(0.0, abs=1e-12)
    table = utilisation_table(r, grid=[0.05])
    assert table.iloc[0]["Capex payback at this month's cash, held flat"] == "never"
    assert table.iloc[0]["Cost per 1M tokens on the fleet"].startswith("$")


def test_bridge_equals_hand_computation(small):
    assert small.at("implied_price_per_m_tokens") == pytest.approx(2.25 / (500 * 3600) * 1e6)
    assert small.at("fleet_cost_per_m_tokens") == pytest.approx(1.65 / (500 * 3600 * 0.8) * 1e6)


def test_tree_root_equals_revenue_and_nodes_match_kpis(base):
    t = tree(base)
    k = kpis(base)
    assert t.root.value == pytest.approx(base.at("revenue"))
    for node in (
        "cost_per_hour",
        "gross_margin",
        "ebitda_margin",
        "break_even_utilisation",
        "revenue_per_sold_hour",
        "revenue_per_installed_hour",
        "implied_price_per_m_tokens",
        "fleet_cost_per_m_tokens",
        "ebitda_per_gpu_month",
    ):
        assert t.value(node) == pytest.approx(k[node].value), node
    assert t.value("capex_payback") == pytest.approx(k["capex_payback_months"].value)
    assert t.value("fleet_power") == pytest.approx(k["fleet_power_mw"].value)


def test_power_runway_reaches_secured_power(base):
    runway = power_runway_months(base)
    p = base.params
    month_power = base.fleet_power_mw[0] * (1 + p.quarterly_capacity_growth) ** (runway / 3)
    assert month_power == pytest.approx(p.secured_power_mw)
    flat = compute(AiInfrastructureParams(quarterly_capacity_growth=0.0))
    assert power_runway_months(flat) == np.inf


# --- properties

unit_interval = st.floats(0.05, 1.0)


@settings(max_examples=50, deadline=None)
@given(u1=unit_interval, u2=unit_interval, price=st.floats(0.5, 10.0), capex=st.floats(5e3, 1e5))
def test_higher_utilisation_never_lowers_margin(u1, u2, price, capex):
    low, high = sorted((u1, u2))
    p = AiInfrastructureParams().vary(
        utilisation=np.array([low, high]), reserved_price_per_gpu_hour=price, capex_per_gpu_usd=capex
    )
    r = compute(p)
    for name in ("gross_margin", "ebitda_margin", "margin_after_financing"):
        values = r.at(name)
        assert values[1] >= values[0] - 1e-12, name


@settings(max_examples=50, deadline=None)
@given(life1=st.floats(1.0, 10.0), life2=st.floats(1.0, 10.0), rate=st.floats(0.0, 0.5))
def test_longer_useful_life_never_raises_cost_per_hour(life1, life2, rate):
    short, long = sorted((life1, life2))
    r = compute(
        AiInfrastructureParams().vary(useful_life_years=np.array([short, long]), annual_financing_rate=rate)
    )
    cost = r.at("cost_per_hour")
    assert cost[1] <= cost[0] * (1 + 1e-12)


@settings(max_examples=20, deadline=None)
@given(
    utilisation=st.lists(unit_interval, min_size=1, max_size=4),
    capex=st.floats(5e3, 1e5),
    growth=st.floats(-0.5, 2.0),
    decline=st.floats(0.0, 0.9),
)
def test_array_input_equals_scalar_calls(utilisation, capex, growth, decline):
    base = AiInfrastructureParams().vary(
        capex_per_gpu_usd=capex, quarterly_capacity_growth=growth, annual_price_decline=decline
    )
    vector = compute(base.vary(utilisation=np.array(utilisation)))
    vector_kpis = kpis(vector)
    for i, u in enumerate(utilisation):
        scalar = compute(base.vary(utilisation=u))
        for name in (
            "revenue",
            "cost_stack_total",
            "gross_margin",
            "capex_payback_months",
            "fleet_cost_per_m_tokens",
            "contracted_backlog",
            "gpus_to_place",
        ):
            np.testing.assert_allclose(getattr(vector, name)[i], getattr(scalar, name), err_msg=name)
        for name, metric in kpis(scalar).items():
            np.testing.assert_allclose(
                np.broadcast_to(vector_kpis[name].value, len(utilisation))[i], metric.value, err_msg=name
            )


# --- scenarios


def test_seed_scenario_guardrails_at_seed_targets_are_ok():
    ev = evaluate(SPEC, scenario("seed"))
    status = {n.id: n.status for n in ev.tree.guardrails()}
    assert ev.params.utilisation == 0.80
    assert ev.params.annual_retention == 0.95
    assert status["utilisation"] == "ok"
    assert status["retention"] == "ok"
    assert "break_even_utilisation" in ev.kpis
    assert 0 < ev.kpis["break_even_utilisation"].value < 0.80


def test_base_file_is_generated_from_schema():
    text = (PARAMETERS_DIR / "base" / "ai_infrastructure.yaml").read_text(encoding="utf-8")
    assert text == defaults_yaml(SPEC.params, SPEC.title)


@pytest.mark.parametrize("name", ["bull", "bear", "seed"])
def test_overlays_validate_and_explain_each_change(name):
    path = PARAMETERS_DIR / name / "ai_infrastructure.yaml"
    params = scenario(name)
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln and not ln.startswith("#")]
    assert lines and all("# why:" in ln for ln in lines)
    assert evaluate(SPEC, params).gross_margin == pytest.approx(compute(params).at("gross_margin"))


def test_bull_beats_base_beats_bear():
    margins = [evaluate(SPEC, scenario(s)).gross_margin for s in ("bull", "base", "bear")]
    assert margins == sorted(margins, reverse=True)


def test_registered_as_infrastructure_layer():
    spec = get_model("ai_infrastructure")
    assert spec.layer == "infrastructure"
    frame = evaluate(spec, spec.params()).projection()
    assert frame.index.name == "month" and len(frame) == spec.params().horizon_months
    np.testing.assert_allclose(frame["ebitda"] - frame["depreciation"], frame["gross_profit"])


# --- bad input


def test_contract_mix_must_sum_to_one():
    with pytest.raises(ParameterError, match="contract mix must sum to 1") as info:
        validate(AiInfrastructureParams, {"on_demand_share": 0.5}, "bad.yaml")
    assert "0.5 + 0.65 + 0.1 + 0 = 1.25" in str(info.value)
    assert str(info.value).startswith("bad.yaml: ")


def test_negative_price_names_the_key():
    with pytest.raises(ParameterError) as info:
        validate(AiInfrastructureParams, {"reserved_price_per_gpu_hour": -1.0}, "bad.yaml")
    message = str(info.value)
    assert "key 'reserved_price_per_gpu_hour'" in message
    assert "-1.0" in message and ">= 0" in message


def test_snapshot_beyond_horizon_is_rejected():
    with pytest.raises(ParameterError, match="snapshot_month"):
        validate(AiInfrastructureParams, {"snapshot_month": 100, "horizon_months": 60})


# --- defect 1: a payback that never happens is "never" and breaches, not a negative number


def test_payback_with_negative_cash_is_never_and_breaches():
    bear_at_60 = scenario("bear").model_copy(update={"snapshot_month": 60})
    r = compute(bear_at_60)
    assert r.at("ebitda_per_gpu_month") < 0  # the old ratio showed -1,222 months here
    t = tree(r)
    assert t.value("flat_payback") == np.inf
    assert t["flat_payback"].formula.op == "payback"
    assert t.value("capex_payback") == np.inf
    assert t["capex_payback"].status == "breach"
    assert kpis(r)["capex_payback_months"].value == np.inf
    assert "Capex payback: never" in t.to_text()


# --- defect 3: capex payback and NPV on the projected path of prices and utilisation


def _hand_cash_path(p: AiInfrastructureParams, start: int, months: int) -> np.ndarray:
    """Cash contribution per GPU in months start..start+months-1 (full book), by hand."""
    t = np.arange(start, start + months)
    blend = 0.25 * p.on_demand_price_per_gpu_hour + 0.65 * p.reserved_price_per_gpu_hour
    blend += 0.10 * p.spot_price_per_gpu_hour
    price = blend * (1 - p.annual_price_decline) ** ((t - 1) / 12)
    cash_cost = p.power_kw_per_gpu * p.pue * p.electricity_usd_per_kwh + p.dc_opex_per_gpu_month_usd / 730.5
    return (price * p.utilisation - cash_cost) * 730.5


def test_capex_payback_follows_the_falling_price_path():
    p = AiInfrastructureParams()
    r = compute(p)
    cash = _hand_cash_path(p, 12, 60)
    np.testing.assert_allclose(cash[:49], r.ebitda_per_gpu_month[11:60])  # inside the horizon
    cumulative = np.cumsum(cash)
    payback = r.at("capex_payback_months")
    k = int(np.ceil(payback))  # the month in which the capex is recovered
    assert cumulative[k - 1] >= 35000.0 > cumulative[k - 2]
    assert payback == pytest.approx(k - 1 + (35000.0 - cumulative[k - 2]) / cash[k - 1])
    assert payback == pytest.approx(55.16, abs=0.01)  # was 40.16 with month-12 cash held flat
    assert tree(r).value("flat_payback") == pytest.approx(35000.0 / cash[0])


def test_npv_per_gpu_equals_numpy_financial_at_the_financing_rate():
    p = AiInfrastructureParams()
    r = compute(p)
    monthly = 1.1 ** (1 / 12) - 1
    expected = npf.npv(monthly, [-35000.0, *_hand_cash_path(p, 12, 60)])
    assert r.at("npv_per_gpu") == pytest.approx(expected, rel=1e-12)
    assert expected < 0  # base: a GPU bought in month 12 does not earn its financing cost
    assert kpis(r)["npv_per_gpu"].value == tree(r).value("npv_per_gpu") == r.at("npv_per_gpu")


def test_payback_without_decline_equals_flat_payback_and_partial_last_month_counts():
    r = compute(validate(AiInfrastructureParams, SMALL))
    flat = 43830.0 / ((1.80 - 0.65) * 730.5)  # 52.17 months < 60
    np.testing.assert_allclose(r.capex_payback_months, flat)
    short = compute(validate(AiInfrastructureParams, {**SMALL, "useful_life_years": 52.1 / 12}))
    assert short.at("capex_payback_months") == np.inf  # 52.1 months of life < 52.17 months needed
    longer = compute(validate(AiInfrastructureParams, {**SMALL, "useful_life_years": 52.2 / 12}))
    assert longer.at("capex_payback_months") == pytest.approx(flat)


def test_payback_guardrail_is_judged_by_month_of_installation():
    r = compute(AiInfrastructureParams())
    node = tree(r)["capex_payback"]
    never = np.isinf(r.capex_payback_months)
    assert node.status == "breach"
    assert node.first_breach_month == int(np.argmax(never)) + 1 == 17
    assert np.all(np.diff(r.capex_payback_months[~never]) > 0)  # later GPUs earn on lower prices


# --- defect 7: retention below what sales can replace leaves GPUs idle


def test_seed_scenario_stays_exactly_on_its_targets():
    r = compute(scenario("seed"))
    assert np.all(r.utilisation == 0.80)
    base = compute(AiInfrastructureParams(utilisation=0.80, annual_retention=0.95))
    np.testing.assert_array_equal(r.revenue, base.revenue)


def test_unreplaced_churn_lowers_utilisation_by_hand():
    flat = {**SMALL, "annual_retention": 0.81, "annual_resale_capacity": 0.0}
    r = compute(validate(AiInfrastructureParams, flat))
    # no growth, no re-sales: the book keeps 0.81 a year, so month 13 sells 0.81 of the target
    assert r.utilisation[12] == pytest.approx(0.8 * 0.81)
    assert r.at("revenue") == pytest.approx(100 * 730.5 * 0.8 * 0.81 ** (11 / 12) * 2.25)
    # re-selling 10% of the book a year offsets part of the monthly churn
    resold = compute(validate(AiInfrastructureParams, {**flat, "annual_resale_capacity": 0.10}))
    keep = 1 - ((1 - 0.81 ** (1 / 12)) - (1 - 0.9 ** (1 / 12)))
    assert resold.utilisation[12] == pytest.approx(0.8 * keep**12)


@settings(max_examples=40, deadline=None)
@given(r1=st.floats(0.5, 1.0), r2=st.floats(0.5, 1.0), growth=st.floats(-0.5, 2.0))
def test_lower_retention_never_raises_revenue_or_utilisation(r1, r2, growth):
    low, high = sorted((r1, r2))
    r = compute(
        AiInfrastructureParams().vary(
            annual_retention=np.array([low, high]), quarterly_capacity_growth=growth
        )
    )
    assert np.all(r.utilisation[0] <= r.utilisation[1] + 1e-15)
    assert np.all(r.revenue[0] <= r.revenue[1] * (1 + 1e-12))


def test_bear_retention_costs_revenue():
    bear = scenario("bear")
    kept = compute(bear.model_copy(update={"annual_retention": 0.95}))
    r = compute(bear)
    assert r.at("utilisation") < kept.at("utilisation") == 0.60
    assert r.at("revenue") < kept.at("revenue")


# --- defect 11: degenerate inputs are refused, extreme valid inputs give defined results


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("utilisation", 1e-300),
        ("reserved_price_per_gpu_hour", 0.0),
        ("spot_price_per_gpu_hour", 0.0),
        ("tokens_per_second_per_gpu", 1e-300),
        ("initial_gpus", 1e-300),
        ("annual_retention", 0.0),
        ("annual_price_decline", 0.999),
        ("capex_per_gpu_usd", 1e-300),
    ],
)
def test_degenerate_inputs_are_refused_with_one_line(key, value):
    with pytest.raises(ParameterError) as info:
        validate(AiInfrastructureParams, {key: value}, "bad.yaml")
    message = str(info.value)
    assert len(message.splitlines()) == 1 and f"key '{key}'" in message


def test_lowest_allowed_inputs_give_defined_results():
    worst = {
        "utilisation": 0.05,
        "on_demand_price_per_gpu_hour": 0.1,
        "reserved_price_per_gpu_hour": 0.1,
        "spot_price_per_gpu_hour": 0.1,
        "annual_retention": 0.5,
        "annual_resale_capacity": 0.0,
        "annual_price_decline": 0.9,
        "quarterly_capacity_growth": -0.5,
    }
    r = compute(validate(AiInfrastructureParams, worst))
    values = [m.value for m in kpis(r).values()]
    assert not np.any(np.isnan(values))
    assert np.all(np.isfinite(r.gross_margin)) and np.all(r.revenue > 0)
    t = tree(r)
    assert t.value("capex_payback") == np.inf and t["capex_payback"].status == "breach"
    assert t.value("break_even_utilisation") > 1  # cannot break even at any utilisation
    assert "never" in t.to_text()


# --- contracts: statement, guardrail series, gross-margin floor


def test_statement_matches_model_margins_and_capex():
    r = compute(AiInfrastructureParams())
    s = SPEC.statement(r)
    np.testing.assert_allclose(s.gross_profit / s.revenue, r.gross_margin)
    np.testing.assert_allclose(s.operating_expenses, r.sga + r.rd)
    np.testing.assert_allclose(s.operating_profit / s.revenue, r.operating_margin)  # financing below EBIT
    assert np.all(s.operating_profit < s.gross_profit)  # base: SG&A and R&D are real costs
    np.testing.assert_allclose(s.capex[1:], r.added_gpus[1:] * 35000.0)  # base: no GPU wears out in 60 months
    assert s.snapshot()["north_star"] == pytest.approx(tree(r).root.value)


def test_worn_out_gpus_are_replaced_after_their_life():
    r = compute(scenario("bear"))  # life 4 years: the month-1 fleet is replaced in month 49
    assert np.all(r.replacement_capex[:48] == 0)
    assert r.replacement_capex[48] == pytest.approx(20000 * 35000.0)
    assert r.replacement_capex[49] == pytest.approx(r.added_gpus[1] * 35000.0)
    np.testing.assert_allclose(r.capex, r.expansion_capex + r.replacement_capex)


def test_gross_margin_floor_is_judged_every_month():
    r = compute(AiInfrastructureParams())
    node = tree(r)["gross_margin"]
    assert node.kind == "guardrail" and node.direction == "min" and node.threshold == 0.0
    assert node.value == pytest.approx(r.at("gross_margin"))
    assert node.status == "breach"  # prices fall 10% a year while the cost of an hour stays put
    assert node.first_breach_month == int(np.argmax(r.gross_margin < 0)) + 1 == 45
    assert node.worst == pytest.approx(r.gross_margin.min())
    assert tree(compute(scenario("bull")))["gross_margin"].status == "ok"


def test_roles():
    schema = AiInfrastructureParams
    assert schema.names_with_role("limit") == ["min_utilisation", "min_annual_retention", "min_gross_margin"]
    assert schema.names_with_role("observed") == ["secured_power_mw", "pipeline_gpus"]
    assert schema.names_with_role("setting") == ["horizon_months", "snapshot_month"]


# --- EBITDA, interest, net margin before tax and debt


def test_corporate_ebitda_interest_and_net_margin_by_hand():
    # SMALL with corporate opex and a 12% loan: 100 GPUs x 730.5 h x 0.8 x $2.25 = $131,490 revenue;
    # power 100 x 730.5 x 0.15 = 10,957.5; other opex 100 x 365.25 = 36,525; SG&A 10% = 13,149;
    # R&D 10,000: EBITDA after them 60,858.5 (46.28%). Depreciation 100 x 43,830 / 60 = 73,050, so
    # EBIT = -12,191.5. Interest: i = 1.12^(1/12) - 1 = 0.0094888, instalment
    # 43,830 i / (1 - 1.12^-5) = 961.4415 a GPU-month, less 730.5 of principal: 23,094.15 for 100 GPUs.
    # Net margin before tax: (-12,191.5 - 23,094.15) / 131,490 = -26.835%.
    p = validate(
        AiInfrastructureParams,
        {**SMALL, "annual_financing_rate": 0.12, "sga_share_of_revenue": 0.1, "rd_per_month_usd": 10000.0},
    )
    r = compute(p)
    k = kpis(r)
    assert r.revenue[0] == pytest.approx(131490.0)
    assert k["corporate_ebitda"].value == pytest.approx(60858.5)
    assert k["corporate_ebitda_margin"].value == pytest.approx(60858.5 / 131490.0)
    assert r.at("operating_profit") == pytest.approx(-12191.5)
    assert k["interest_expense"].value == pytest.approx(23094.155, rel=1e-6)
    assert k["net_margin_before_tax"].value == pytest.approx(-0.2683524, rel=1e-6)
    # EBITDA after corporate opex is EBIT + depreciation; the site-level EBITDA is unchanged
    np.testing.assert_allclose(r.corporate_ebitda, r.operating_profit + r.depreciation)
    np.testing.assert_allclose(r.ebitda, r.revenue - r.power_cost - r.dc_opex)
    frame = evaluate(SPEC, p).projection()
    np.testing.assert_allclose(
        frame["profit_before_tax"], frame["operating_profit"] - frame["financing_cost"]
    )
    # the statement is unchanged: its operating profit is EBIT, before interest
    statement = evaluate(SPEC, p).statement
    np.testing.assert_allclose(
        statement.revenue - statement.cost_of_revenue - statement.operating_expenses, r.operating_profit
    )


def test_debt_of_one_vintage_by_hand():
    # 100 GPUs at $30,000 (3,000,000), 12% a year, 4-year life: n = 48 instalments, (1 + i)^48 = 1.12^4
    # = 1.57351936. Balance after k payments: 3e6 (1.57351936 - 1.12^(k/12)) / 0.57351936:
    # k = 1: 2,950,365.44; k = 12: 3e6 x 0.45351936 / 0.57351936 = 2,372,296.69; k = 47: 77,366.82;
    # k = 48: 0. The fleet is replaced in month 49 by a new loan of 3e6, 1 payment made: 2,950,365.44.
    p = validate(
        AiInfrastructureParams,
        {
            **SMALL,
            "capex_per_gpu_usd": 30000.0,
            "useful_life_years": 4.0,
            "annual_financing_rate": 0.12,
            "horizon_months": 60,
        },
    )
    debt = compute(p).debt_outstanding
    assert debt[0] == pytest.approx(2950365.444, rel=1e-9)
    assert debt[11] == pytest.approx(2372296.691, rel=1e-9)
    assert debt[46] == pytest.approx(77366.817, rel=1e-8)
    assert debt[47] == pytest.approx(0.0, abs=1e-6)
    assert debt[48] == pytest.approx(2950365.444, rel=1e-9)
    assert kpis(compute(p))["debt_outstanding"].value == pytest.approx(2372296.691, rel=1e-9)


def test_loan_balance_follows_the_level_payment_schedule():
    principal, rate, months = 1000.0, 0.01, 24
    instalment = float(finance.level_payment(principal, rate, months))
    balance = principal
    for k in range(1, months + 1):
        balance = balance * (1 + rate) - instalment
        assert finance.loan_balance(principal, rate, months, k) == pytest.approx(max(balance, 0.0), abs=1e-9)
    assert finance.loan_balance(principal, 0.0, 10, 4) == pytest.approx(600.0)
    assert finance.loan_balance(principal, 0.0, 10, 12) == 0.0


def test_debt_of_a_growing_fleet_adds_every_vintage(base):
    p = base.params
    r = base
    purchased = (r.expansion_capex + r.replacement_capex) / p.capex_per_gpu_usd
    purchased = purchased.copy()
    purchased[0] += p.initial_gpus
    rate, life = finance.monthly_rate(p.annual_financing_rate), 12 * p.useful_life_years
    t = 20  # month 21: the vintages of months 1..21
    expected = sum(
        purchased[s] * finance.loan_balance(p.capex_per_gpu_usd, rate, life, t - s + 1) for s in range(t + 1)
    )
    assert r.debt_outstanding[t] == pytest.approx(expected, rel=1e-12)
    assert np.all(np.diff(r.debt_outstanding) > 0)  # the base fleet grows faster than it repays
