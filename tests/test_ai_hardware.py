"""AI-hardware model: hand-worked values, identities, properties and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aibm_core.analysis.scenarios import load_file
from aibm_core.core import finance
from aibm_core.core.config import PARAMETERS_DIR
from aibm_core.core.params import MONTE_CARLO_SETTINGS, ParameterError, defaults_yaml, read_yaml, validate
from aibm_core.core.tree import format_value
from aibm_core.models import evaluate, get_model
from aibm_core.models.ai_hardware import (
    SPEC,
    AiHardwareParams,
    compute,
    kpis,
    lifecycle_weight,
    ltv_path,
    projection,
    statement,
    tree,
    unit_economics,
)
from aibm_core.models.base import snapshot_gross_margin as gross_margin

BASE = AiHardwareParams()
#: A plain business: one customer base that never changes, flat demand, no discounts or drift.
PLAIN = dict(
    units_per_month=1000.0,
    high_end_unit_share=1.0,
    annual_unit_demand_growth=0.0,
    high_end_asp_usd=20000.0,
    high_end_unit_cost_usd=5000.0,
    volume_discount_share=0.0,
    long_term_contract_share=0.0,
    annual_asp_erosion=0.0,
    annual_cost_decline=0.0,
    generation_asp_uplift=0.0,
    generation_cost_uplift=0.0,
    outgoing_writedown_rate=0.0,
    software_attach_rate=0.0,
    initial_software_subscriptions=0.0,
    annual_retention=1.0,
    new_customers_per_month=0.0,
)


def plain(**changes: object) -> AiHardwareParams:
    """The plain business with some assumptions changed (validated)."""
    return validate(AiHardwareParams, {**PLAIN, **changes}, "test")


def scenario(name: str) -> AiHardwareParams:
    """A shipped scenario's parameters."""
    return load_file(SPEC.params, PARAMETERS_DIR / name / "ai_hardware.yaml")


# --- hand-computed values -------------------------------------------------------------------------


def test_registered_as_infrastructure() -> None:
    assert get_model("ai_hardware") is SPEC
    assert SPEC.layer == "infrastructure"


def test_seed_example_gross_margin_is_seventy_percent() -> None:
    path = PARAMETERS_DIR / "seed" / "ai_hardware.yaml"
    params = load_file(SPEC.params, path)
    assert params.model_dump() == validate(SPEC.params, read_yaml(path), str(path)).model_dump()
    result = compute(params)
    assert gross_margin(result) == pytest.approx(1 - 9000 / 30000, abs=1e-12)
    assert 0.65 <= round(gross_margin(result), 12) <= 0.70
    assert np.allclose(result.gross_margin, 0.7)  # in every month, across generation changes


def test_revenue_is_units_times_asp_by_hand() -> None:
    r = compute(plain())
    assert r.units[0] == pytest.approx(1000.0)
    assert r.hardware_revenue[0] == pytest.approx(1000 * 20000.0)
    assert gross_margin(r) == pytest.approx(0.75)


def test_tier_mix_and_discounts_by_hand() -> None:
    r = compute(
        plain(
            high_end_unit_share=0.5,
            mid_range_asp_usd=10000.0,
            volume_discount_share=0.5,
            volume_discount=0.1,
            long_term_contract_share=0.4,
            contract_discount=0.05,
        )
    )
    list_asp = 0.5 * 20000 + 0.5 * 10000
    net_asp = list_asp * (1 - 0.5 * 0.1) * (1 - 0.4 * 0.05)
    assert r.list_asp[0] == pytest.approx(list_asp)
    assert r.net_asp[0] == pytest.approx(net_asp)
    assert r.hardware_revenue[0] == pytest.approx(1000 * net_asp)
    discounts = r.volume_discount_per_unit[0] + r.contract_discount_per_unit[0]
    assert discounts == pytest.approx(list_asp - net_asp)


def test_operating_margin_identity() -> None:
    r = compute(BASE)
    overhead = (r.rnd + r.sales_spend + r.other_opex) / r.revenue
    assert np.allclose(r.operating_margin, r.gross_margin - overhead)
    p = plain(rnd_usd_per_year=12e6, other_opex_usd_per_year=0.0)
    # revenue 20M, COGS 5M, R&D 1M a month: operating margin (20 - 5 - 1) / 20
    assert compute(p).at("operating_margin") == pytest.approx(0.70)


def test_generation_handover_by_hand() -> None:
    # Generation 1 launches in month 1 at a quarter of its peak weight while generation 0 still sells
    # at full weight (shares 0.8 / 0.2); the same handover repeats in month 13 with generation 2.
    r = compute(
        plain(
            generation_cadence_months=12.0,
            current_generation_age_months=0.0,
            ramp_months=4.0,
            decline_months=6.0,
            generation_asp_uplift=0.5,
        )
    )
    assert list(r.generations) == [0, 1, 2, 3, 4]  # generation 4 launches in month 37, for bookings
    shares = r.units_by_generation / r.units
    assert shares[:, 0] == pytest.approx([0.8, 0.2, 0.0, 0.0, 0.0])
    assert shares[:, 12] == pytest.approx([0.0, 0.8, 0.2, 0.0, 0.0])
    assert shares[:, 6] == pytest.approx([0.0, 1.0, 0.0, 0.0, 0.0])
    assert r.list_asp[0] == pytest.approx(20000 * (0.8 / 1.5 + 0.2))
    assert r.list_asp[12] == pytest.approx(20000 * (0.8 + 0.2 * 1.5))


def test_lifecycle_weight_shape() -> None:
    ages = np.array([-1.0, 0.0, 3.0, 10.0, 12.0, 15.0, 18.0, 30.0])
    weights = lifecycle_weight(ages, ramp=4.0, cadence=12.0, decline=6.0)
    assert weights == pytest.approx([0.0, 0.25, 1.0, 1.0, 1.0, 0.5, 0.0, 0.0])


def test_installed_base_recursion() -> None:
    assert finance.installed_base(100.0, np.full(3, 10.0), 0.1) == pytest.approx([100.0, 100.0, 100.0])
    assert finance.installed_base(0.0, np.ones(4), 0.0) == pytest.approx([1.0, 2.0, 3.0, 4.0])
    stacked = finance.installed_base(np.array([0.0, 10.0]), np.ones((2, 2)), np.array([0.0, 0.5]))
    assert stacked == pytest.approx(np.array([[1.0, 2.0], [6.0, 4.0]]))


def test_customer_lifetime_value_closed_form() -> None:
    p = plain(annual_discount_rate=0.0, annual_retention=0.5**12)  # 50% monthly churn
    ue = unit_economics(compute(p))
    gp_per_customer = 1000 / p.initial_customers * (20000 - 5000)
    assert ue["gross_profit_per_customer"] == pytest.approx(gp_per_customer)
    assert ue["ltv"] == pytest.approx(2 * gp_per_customer)
    assert ue["sales_cost_to_ltv"] == pytest.approx(p.sales_cost_per_customer_usd / (2 * gp_per_customer))


# --- identities -----------------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", ["base", "bull", "bear", "seed"])
def test_revenue_is_sum_over_generations(scenario: str) -> None:
    params = load_file(SPEC.params, PARAMETERS_DIR / scenario / "ai_hardware.yaml")
    r = compute(params)
    assert np.allclose(r.hardware_revenue_by_generation.sum(axis=0), r.hardware_revenue)
    assert np.allclose(r.units_by_generation.sum(axis=0), r.units)
    frame = projection(r)
    by_generation = frame.filter(like="revenue_gen")
    assert by_generation.shape[1] >= 2
    assert np.allclose(by_generation.sum(axis=1), frame["hardware_revenue"])
    assert np.allclose(frame["revenue"], frame["hardware_revenue"] + frame["software_revenue"])


def test_tree_formulas_match_model() -> None:
    r = compute(BASE)
    t = tree(r)
    assert t.root.id == "hardware_revenue"
    assert t.root.formula is not None and t.root.formula.operands == ("units_shipped", "net_asp")
    assert t.value("hardware_revenue") == pytest.approx(r.at("hardware_revenue"))
    assert t.value("units_shipped") == pytest.approx(r.at("units"))
    assert t.value("net_asp") == pytest.approx(r.at("net_asp"))
    assert t.value("software_revenue") == pytest.approx(r.at("software_revenue"))
    assert t.value("revenue") == pytest.approx(r.at("revenue"))
    assert t.value("manufacturing_cogs") == pytest.approx(r.at("manufacturing_cogs"))
    assert t.value("cogs") == pytest.approx(r.at("cogs"))
    assert t.value("gross_margin") == pytest.approx(gross_margin(r))
    assert t.value("operating_margin") == pytest.approx(r.at("operating_margin"))
    assert t.value("rnd_per_unit") == pytest.approx(unit_economics(r)["rnd_per_unit"])
    assert t.value("cost_per_unit") == pytest.approx(unit_economics(r)["full_cost_per_unit"])
    assert t.value("inventory_months") == pytest.approx(r.at("inventory_units") / r.at("units"))
    assert t.value("cac_payback") == pytest.approx(unit_economics(r)["cac_payback_months"])
    assert t.value("sales_cost_to_ltv") == pytest.approx(unit_economics(r)["sales_cost_to_ltv"])


def test_tree_structure_and_guardrails() -> None:
    t = tree(compute(BASE))
    groups = [n.label for n in t.children("hardware_revenue")]
    assert {
        "Revenue drivers",
        "Product adoption",
        "Customer health",
        "Leading indicators",
        "Guardrails",
    } <= set(groups)
    guard = {n.id: n.direction for n in t.guardrails()}
    assert guard == {
        "gross_margin": "min",
        "inventory_months": "max",
        "top_customer_share": "max",
        "asp_erosion": "max",
    }
    assert all(n.status == "ok" for n in t.guardrails())
    assert t["partnerships"].observed and t["developer_growth"].observed
    assert all(n.value is not None for n in t.nodes if n.kind != "group")


def test_tree_evaluate_is_consistent() -> None:
    t = tree(compute(BASE))
    again = t.evaluate()
    assert [n.value for n in again.nodes] == [n.value for n in t.nodes]
    doubled = t.with_values(units_per_customer=2 * t.value("units_per_customer"))
    assert doubled.value("hardware_revenue") == pytest.approx(2 * t.value("hardware_revenue"))
    assert doubled.value("manufacturing_cogs") == pytest.approx(2 * t.value("manufacturing_cogs"))


def test_evaluation_through_registry() -> None:
    ev = evaluate(SPEC, BASE)
    assert ev.gross_margin == pytest.approx(ev.kpis["gross_margin"].value)
    assert 0.70 < ev.gross_margin < 0.80  # Nvidia data-centre ~75% (FY2025)
    assert 0.4 < ev.kpis["operating_margin"].value < ev.gross_margin
    assert ev.projection().index.name == "month"


# --- parameter files ------------------------------------------------------------------------------


def test_base_file_in_step_with_schema() -> None:
    text = (PARAMETERS_DIR / "base" / "ai_hardware.yaml").read_text(encoding="utf-8")
    assert text == defaults_yaml(SPEC.params, SPEC.title)


@pytest.mark.parametrize("scenario", ["bull", "bear", "seed"])
def test_overlays_only_change_defaults(scenario: str) -> None:
    values = read_yaml(PARAMETERS_DIR / scenario / "ai_hardware.yaml")
    values = {k: v for k, v in values.items() if k not in MONTE_CARLO_SETTINGS}
    defaults = AiHardwareParams.defaults()
    changed = {k for k, v in values.items() if v != defaults[k]}
    assert len(changed) >= len(values) - 1  # the seed restates its $30K ASP


def test_bull_beats_bear() -> None:
    bull, bear = (
        evaluate(SPEC, load_file(SPEC.params, PARAMETERS_DIR / s / "ai_hardware.yaml"))
        for s in ("bull", "bear")
    )
    assert bull.kpis["operating_margin"].value > bear.kpis["operating_margin"].value
    assert bull.kpis["hardware_revenue"].value > bear.kpis["hardware_revenue"].value


# --- properties -----------------------------------------------------------------------------------

prices = st.floats(8000.0, 200000.0)
costs = st.floats(100.0, 30000.0)


@settings(max_examples=40, deadline=None)
@given(low=prices, step=st.floats(1.0, 1e5))
def test_higher_asp_raises_gross_margin(low: float, step: float) -> None:
    margins = [gross_margin(compute(BASE.vary(high_end_asp_usd=a))) for a in (low, low + step)]
    assert margins[1] > margins[0]


@settings(max_examples=40, deadline=None)
@given(low=costs, step=st.floats(1.0, 1e4))
def test_higher_cost_lowers_gross_margin(low: float, step: float) -> None:
    margins = [gross_margin(compute(BASE.vary(high_end_unit_cost_usd=c))) for c in (low, low + step)]
    assert margins[1] < margins[0]


@settings(max_examples=40, deadline=None)
@given(low=st.floats(0.01, 0.98), step=st.floats(0.01, 0.5))
def test_higher_retention_raises_ltv(low: float, step: float) -> None:
    high = min(low + step, 1.0)
    values = [unit_economics(compute(BASE.vary(annual_retention=x)))["ltv"] for x in (low, high)]
    assert values[1] > values[0]


@settings(max_examples=15, deadline=None)
@given(
    asp=st.lists(prices, min_size=3, max_size=3),
    cadence=st.lists(st.floats(6.0, 36.0), min_size=3, max_size=3),
    decline=st.lists(st.floats(1.0, 30.0), min_size=3, max_size=3),
    retention=st.lists(st.floats(0.3, 1.0), min_size=3, max_size=3),
    lead=st.lists(st.floats(0.0, 12.0), min_size=3, max_size=3),
)
def test_arrays_match_scalar_calls(
    asp: list[float], cadence: list[float], decline: list[float], retention: list[float], lead: list[float]
) -> None:
    columns = {
        "high_end_asp_usd": asp,
        "generation_cadence_months": cadence,
        "decline_months": decline,
        "annual_retention": retention,
        "order_lead_months": lead,
        "current_generation_age_months": [0.5 * c for c in cadence],
    }
    together = compute(BASE.vary(**{k: np.array(v) for k, v in columns.items()}))
    for i in range(3):
        alone = compute(BASE.vary(**{k: v[i] for k, v in columns.items()}))
        for name in (
            "hardware_revenue",
            "revenue",
            "cogs",
            "operating_profit",
            "bookings",
            "software_subscriptions",
            "top_customer_share",
            "inventory_writedowns",
            "inventory_units",
            "inventory",
        ):
            assert np.allclose(getattr(together, name)[i], getattr(alone, name), rtol=1e-10), name
        assert unit_economics(together)["ltv"][i] == pytest.approx(unit_economics(alone)["ltv"])


# --- bad input ------------------------------------------------------------------------------------


def test_negative_asp_is_rejected_by_name() -> None:
    with pytest.raises(ParameterError, match="high_end_asp_usd") as error:
        validate(SPEC.params, {"high_end_asp_usd": -30000.0}, "scenario.yaml")
    assert error.value.problems[0].key == "high_end_asp_usd"
    assert "scenario.yaml" in str(error.value)


def test_generation_rules_are_checked() -> None:
    with pytest.raises(ParameterError, match="current_generation_age_months"):
        validate(SPEC.params, {"generation_cadence_months": 12.0, "current_generation_age_months": 12.0})
    with pytest.raises(ParameterError, match="snapshot_month"):
        validate(SPEC.params, {"horizon_months": 24, "snapshot_month": 30})
    with pytest.raises(ParameterError, match="unknown parameter"):
        validate(SPEC.params, {"asp": 1.0})


# --- inventory as a stock (audit defect 2) --------------------------------------------------------


@pytest.mark.parametrize("name", ["base", "bull", "bear", "seed"])
def test_inventory_stock_flow_conserves_units(name: str) -> None:
    r = compute(scenario(name))
    opening = np.concatenate(([r.opening_inventory_units], r.inventory_units[:-1]))
    closing = opening + r.production - r.units - r.writedown_units
    assert np.allclose(closing, r.inventory_units, rtol=1e-12)
    assert np.all(r.inventory_units >= -1e-6) and np.all(r.production >= 0)


def test_demand_shortfall_builds_stock_by_hand() -> None:
    # Flat demand of 1,000 units a month, 3 months of cover, production committed 2 months ahead;
    # from month 5 customers take 20% less. Months 5-6 were committed blind at 1,000 units, so the
    # stock builds by 200 a month; in month 7 the vendor makes nothing (it wants 800 + 3 x 800 and
    # holds 3,400), in month 8 it makes 600 to land on the 2,400-unit target.
    r = compute(
        plain(
            target_inventory_months=3.0, order_lead_months=2.0, demand_shortfall=0.2, demand_shortfall_month=5
        )
    )
    assert r.units[:8] == pytest.approx([1000.0] * 4 + [800.0] * 4)
    assert r.opening_inventory_units == pytest.approx(3000.0)
    assert r.production[:8] == pytest.approx([1000.0] * 6 + [0.0, 600.0])
    assert r.inventory_units[:8] == pytest.approx([3000.0] * 4 + [3200.0, 3400.0, 2600.0, 2400.0])
    assert r.inventory_months[:8] == pytest.approx([3.0] * 4 + [4.0, 4.25, 3.25, 3.0])
    assert r.inventory[4] == pytest.approx(3200.0 * 5000.0)  # USD at manufacturing cost


def test_a_shortfall_seen_in_time_builds_no_stock() -> None:
    r = compute(
        plain(
            target_inventory_months=3.0, order_lead_months=0.0, demand_shortfall=0.2, demand_shortfall_month=5
        )
    )
    assert r.inventory_months[:8] == pytest.approx([3.0] * 8)


def test_demand_drop_raises_months_of_supply_and_breaches() -> None:
    calm = compute(BASE)
    shock = compute(BASE.vary(demand_shortfall=0.2))  # from month 13, production committed 6 months ahead
    assert shock.inventory_months[12] > calm.inventory_months[12] + 0.5
    assert shock.inventory_months.max() > calm.inventory_months.max()
    assert np.allclose(shock.inventory_months[:12], calm.inventory_months[:12])
    guard = tree(shock)["inventory_months"]
    assert guard.status == "breach" and guard.first_breach_month == 13
    assert tree(calm)["inventory_months"].status == "ok"


# --- guardrails over the horizon ------------------------------------------------------------------


def test_bear_gross_margin_breach_is_seen_after_the_snapshot() -> None:
    r = compute(scenario("bear"))
    t = tree(r)
    guard = t["gross_margin"]
    assert guard.value == pytest.approx(r.at("gross_margin")) and guard.value >= 0.65  # month 12 reads fine
    assert guard.status == "breach"
    assert guard.first_breach_month == int(np.argmax(r.gross_margin < 0.65)) + 1 == 13
    assert guard.worst == pytest.approx(r.gross_margin.min())
    assert t["inventory_months"].first_breach_month == 13
    assert "first breached in month 13" in t.to_text()


def test_moving_guardrails_carry_their_monthly_series() -> None:
    r = compute(BASE)
    t = tree(r)
    assert np.array_equal(t["gross_margin"].series, r.gross_margin)
    assert np.array_equal(t["inventory_months"].series, r.inventory_months)
    assert np.array_equal(t["top_customer_share"].series, r.top_customer_share)


# --- labels that say what the numbers are (audit defect 8) ----------------------------------------


def test_cac_payback_is_months_of_gross_profit() -> None:
    r = compute(plain())
    # 1,000 units a month over 5,000 customers at $15,000 gross profit each: $3,000 per customer a month.
    t, k = tree(r), kpis(r)
    assert t.value("customer_gross_profit") == pytest.approx(3000.0)
    assert t["cac_payback"].unit == "months"
    assert t.value("cac_payback") == pytest.approx(1e6 / 3000.0)
    assert k["cac_payback_months"].value == pytest.approx(1e6 / 3000.0)
    assert k["sales_cost_to_ltv"].unit == "ratio" and "payback (" not in k["sales_cost_to_ltv"].label.lower()


def test_rnd_per_unit_is_this_months_rnd_over_this_months_units() -> None:
    r = compute(plain(rnd_usd_per_year=12e6))
    k = kpis(r)
    assert k["rnd_per_unit"].value == pytest.approx(1e6 / 1000.0)
    assert "amortised" not in k["rnd_per_unit"].label and "this month" in tree(r)["rnd_per_unit"].label


def test_software_value_is_its_own_node_not_monthly_gross_profit() -> None:
    # One subscription per unit at $1,200 a year ($100 a month), no cost, one-year life, no discounting:
    # its present value is 100 x 12 = $1,200 per unit, shown on its own.
    p = plain(
        software_attach_rate=1.0,
        software_usd_per_unit_year=1200.0,
        software_cost_share=0.0,
        software_subscription_life_years=1.0,
        annual_discount_rate=0.0,
    )
    r = compute(p)
    ue = unit_economics(r)
    assert ue["software_value_per_unit"] == pytest.approx(1200.0)
    assert tree(r)["software_value_per_unit"].unit == "USD per unit"
    monthly = r.hardware_revenue - r.manufacturing_cogs + r.software_revenue - r.software_cogs
    assert ue["gross_profit_per_customer"] * r.at("customers") == pytest.approx(monthly[11])


# --- degenerate inputs (audit defect 11) ----------------------------------------------------------


@pytest.mark.parametrize(
    "key", ["high_end_asp_usd", "mid_range_asp_usd", "high_end_unit_cost_usd", "mid_range_unit_cost_usd"]
)
def test_zero_prices_and_costs_are_refused(key: str) -> None:
    with pytest.raises(ParameterError, match=key) as error:
        validate(SPEC.params, {key: 0.0}, "scenario.yaml")
    assert len(error.value.problems) == 1 and "\n" not in str(error.value)


def test_loss_making_units_never_pay_back() -> None:
    r = compute(plain(high_end_asp_usd=1000.0))  # sells below its $5,000 cost
    t, k = tree(r), kpis(r)
    assert t.value("cac_payback") == np.inf and format_value(t.value("cac_payback"), "months") == "never"
    assert k["cac_payback_months"].value == np.inf
    assert k["sales_cost_to_ltv"].value == np.inf
    assert format_value(k["sales_cost_to_ltv"].value, "ratio") == "unbounded"


def test_customers_who_never_leave_are_worth_their_capped_path() -> None:
    r = compute(plain(annual_discount_rate=0.0))  # retention 1, no discounting
    k = kpis(r)
    # no churn, no discounting: the sum of ltv_months (60) months of gross profit, finite
    path = ltv_path(r)
    assert path.shape[-1] == 60
    assert k["ltv"].value == pytest.approx(float(np.sum(path))) and np.isfinite(k["ltv"].value)
    assert k["sales_cost_to_ltv"].value == pytest.approx(
        float(r.params.sales_cost_per_customer_usd) / k["ltv"].value
    )
    assert all(not np.isnan(m.value) for m in k.values())
    zero = unit_economics(compute(plain(annual_discount_rate=0.0, high_end_asp_usd=5000.0)))
    assert zero["ltv"] == 0.0 and zero["cac_payback_months"] == np.inf  # no profit: no value, no NaN


# --- contracts: roles and the common statement ----------------------------------------------------


def test_roles() -> None:
    schema = SPEC.params
    assert schema.names_with_role("limit") == [
        "min_gross_margin",
        "max_inventory_months",
        "max_top_customer_share",
        "max_asp_erosion",
    ]
    assert {"top_customers", "demand_shortfall_month"} <= set(schema.names_with_role("setting"))
    assert {"market_share", "developers_m", "customer_satisfaction"} <= set(
        schema.names_with_role("observed")
    )


@pytest.mark.parametrize("name", ["base", "bear", "seed"])
def test_statement_matches_the_model(name: str) -> None:
    r = compute(scenario(name))
    st_ = statement(r)
    assert np.allclose(st_.ratios()["gross_margin"], r.gross_margin)
    assert np.allclose(st_.operating_profit, r.operating_profit)
    assert np.allclose(st_.capex, 0.02 * r.revenue)  # fabless: ~2% of revenue
    assert st_.snapshot()["north_star"] == pytest.approx(tree(r).root.value)
    assert st_.volume_unit == "units per month" and np.array_equal(st_.volume, r.units)
