"""Tests of the AI-infrastructure / GPU-cloud model: hand values, identities, properties."""

from __future__ import annotations

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq

from aibm_core import finance
from aibm_core.config import PARAMETERS_DIR
from aibm_core.models import evaluate, get_model
from aibm_core.models.ai_infrastructure import (
    HOURS_PER_MONTH,
    SPEC,
    AiInfrastructureParams,
    compute,
    kpis,
    power_runway_months,
    tree,
)
from aibm_core.params import ParameterError, defaults_yaml, load_file, validate

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
    assert "0.5 + 0.65 + 0.1 = 1.25" in str(info.value)
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
