"""AI hardware: the vectorised model against a month-by-month, generation-by-generation reference.

The reference below is the model written as plain loops over months and generations for one
draw (the former per-generation formulas, the order-up-to rule month by month). The model must
match it to 1e-9 (relative) on random drivers, zero demand included, and a call over draws must
match one call per draw whichever drivers carry draws (work no draw changes is done once).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aibm_core.core import finance
from aibm_core.models.ai_hardware import AiHardwareParams, compute
from aibm_core.models.ai_hardware import model as hardware
from tests.test_ai_hardware_inventory import reference_order_up_to

RTOL = 1e-9


def reference_weight(age: float, ramp: float, cadence: float, decline: float) -> float:
    """Lifecycle weight of one generation at one age (months), as the model defines it."""
    if age < 0:
        return 0.0
    return min(max(min((age + 1.0) / ramp, (cadence + decline - age) / decline), 0.0), 1.0)


def reference_model(p: AiHardwareParams) -> dict[str, np.ndarray]:
    """One draw of the model, month by month and generation by generation (scalar drivers)."""
    horizon, start = int(p.horizon_months), int(p.demand_shortfall_month)
    reach = max(int(np.ceil(p.target_inventory_months)), 1)
    gens = hardware.generation_numbers(
        p.generation_cadence_months,
        p.current_generation_age_months,
        p.decline_months,
        horizon + p.order_lead_months + reach,
    )
    churn = hardware.monthly_churn(p.annual_retention)
    high = p.high_end_unit_share
    tier_asp = high * p.high_end_asp_usd + (1 - high) * p.mid_range_asp_usd
    tier_cost = high * p.high_end_unit_cost_usd + (1 - high) * p.mid_range_unit_cost_usd
    price = (1 - p.volume_discount_share * p.volume_discount) * (
        1 - p.long_term_contract_share * p.contract_discount
    )

    def month(t: float) -> tuple[float, list[float], list[float], list[float], list[bool]]:
        """Planned units, then by generation: share, list price, unit cost, outgoing."""
        customers = finance.customers_over_time(
            p.initial_customers, p.new_customers_per_month, churn, np.array([t])
        ).item()
        units = p.units_per_month / p.initial_customers * customers
        units *= (1 + p.annual_unit_demand_growth) ** ((t - 1) / 12)
        shares, asps, costs, outgoing = [], [], [], []
        for g in gens:
            age = t - 1 + p.current_generation_age_months - (g - 1) * p.generation_cadence_months
            shares.append(reference_weight(age, p.ramp_months, p.generation_cadence_months, p.decline_months))
            years = (t - 1 - (g - 1) * p.generation_cadence_months) / 12
            asps.append(
                tier_asp * (1 + p.generation_asp_uplift) ** (g - 1) * (1 - p.annual_asp_erosion) ** years
            )
            costs.append(
                tier_cost * (1 + p.generation_cost_uplift) ** (g - 1) * (1 - p.annual_cost_decline) ** years
            )
            outgoing.append(age >= p.generation_cadence_months)
        total = sum(shares)
        return units, [s / total for s in shares], asps, costs, outgoing

    def hit(shipped: float, known: float) -> float:
        return 1 - p.demand_shortfall * (shipped >= start and known >= start)

    span = [month(t) for t in range(1, horizon + reach + 1)]
    plan = np.array([[u * s for s in shares] for u, shares, *_ in span]).T  # generations × months
    actual = plan * np.array([hit(t, t) for t in range(1, horizon + reach + 1)])

    def cover(demand: np.ndarray) -> np.ndarray:
        out = np.zeros((len(gens), horizon + 1))
        for t in range(horizon + 1):
            for j in range(1, reach + 1):
                out[:, t] += min(max(p.target_inventory_months - (j - 1), 0.0), 1.0) * demand[:, t + j - 1]
        return out

    plan_cover, actual_cover = cover(plan), cover(actual)
    loss = p.outgoing_writedown_rate * np.array([span[t][4] for t in range(horizon)]).T
    opening = plan_cover[:, 0]
    planned = reference_order_up_to(opening, plan[:, :horizon], plan_cover[:, 1:], loss)
    blind = np.arange(1, horizon + 1) - p.order_lead_months < start
    committed = np.where(blind, planned.production, np.nan)
    stock = reference_order_up_to(opening, actual[:, :horizon], actual_cover[:, 1:], loss, committed)
    costs = np.array([span[t][3] for t in range(horizon)]).T
    asps = np.array([span[t][2] for t in range(horizon)]).T
    shares = np.array([span[t][1] for t in range(horizon)]).T
    units_by_generation = actual[:, :horizon]
    units = units_by_generation.sum(axis=0)
    later = [month(t + p.order_lead_months) for t in range(1, horizon + 1)]
    bookings = [
        u * hit(t + p.order_lead_months, t) * sum(s * a for s, a in zip(shares, asps_t, strict=True)) * price
        for t, (u, shares, asps_t, *_) in enumerate(later, start=1)
    ]
    return {
        "units": units,
        "units_by_generation": units_by_generation,
        "list_asp": (shares * asps).sum(axis=0),
        "manufacturing_cost_per_unit": (shares * costs).sum(axis=0),
        "hardware_revenue_by_generation": units_by_generation * asps * price,
        "production": stock.production.sum(axis=0),
        "writedown_units": stock.writedowns.sum(axis=0),
        "inventory_units": stock.closing.sum(axis=0),
        "inventory": (stock.closing * costs).sum(axis=0),
        "inventory_writedowns": (stock.writedowns * costs).sum(axis=0),
        "opening_inventory_units": np.array(opening.sum()),
        "bookings": np.array(bookings),
    }


def assert_matches(result: hardware.AiHardwareResult, reference: dict[str, np.ndarray]) -> None:
    """Equal to RTOL, with an absolute floor of 1e-12 of the largest flow (USD) for the rounding
    residue left where a stock should be ~0 (the order of the flows through it)."""
    floor = 1e-12 * float(np.max(np.abs(reference["hardware_revenue_by_generation"])))
    for name, expected in reference.items():
        got = np.asarray(getattr(result, name))
        scale = max(1.0, float(np.max(np.abs(expected))))
        np.testing.assert_allclose(got, expected, rtol=RTOL, atol=RTOL * scale + floor, err_msg=name)


#: Drivers the strategies vary, with the valid interval each is drawn from.
DRIVERS: dict[str, tuple[float, float]] = {
    "units_per_month": (0.0, 5e5),
    "annual_unit_demand_growth": (-0.5, 1.0),
    "high_end_asp_usd": (1e3, 6e4),
    "high_end_unit_cost_usd": (5e2, 2e4),
    "generation_asp_uplift": (0.0, 0.6),
    "generation_cost_uplift": (0.0, 0.6),
    "annual_asp_erosion": (0.0, 0.5),
    "annual_cost_decline": (0.0, 0.5),
    "generation_cadence_months": (6.0, 30.0),
    "ramp_months": (1.0, 9.0),
    "decline_months": (1.0, 18.0),
    "target_inventory_months": (0.0, 6.0),
    "outgoing_writedown_rate": (0.0, 1.0),
    "demand_shortfall": (0.0, 0.9),
    "order_lead_months": (0.0, 9.0),
    "annual_retention": (0.5, 1.0),
}


@st.composite
def drivers(draw) -> dict[str, float]:
    values = {
        name: draw(st.floats(low, high, allow_subnormal=False)) for name, (low, high) in DRIVERS.items()
    }
    values["current_generation_age_months"] = draw(st.floats(0.0, values["generation_cadence_months"] - 0.5))
    if draw(st.booleans()):  # whole months of lead: bookings read the plan that many months on
        values["order_lead_months"] = float(round(values["order_lead_months"]))
    if draw(st.booleans()):
        values["units_per_month"] = 0.0  # no demand at all: every flow and stock is zero
    return values


@settings(max_examples=40, deadline=None)
@given(values=drivers(), start=st.integers(1, 30), horizon=st.integers(1, 30))
def test_model_matches_the_month_by_month_reference(
    values: dict[str, float], start: int, horizon: int
) -> None:
    params = AiHardwareParams().vary(
        horizon_months=horizon, snapshot_month=1, demand_shortfall_month=start, **values
    )
    if values["units_per_month"] == 0.0:
        with np.errstate(invalid="ignore", divide="ignore"):
            result = compute(params)
        for name in ("units", "production", "inventory_units", "inventory", "hardware_revenue", "bookings"):
            assert np.all(np.asarray(getattr(result, name)) == 0.0), name
        return
    assert_matches(compute(params), reference_model(params))


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(drivers(), min_size=3, max_size=3),
    ranged=st.sets(st.sampled_from(sorted(DRIVERS)), min_size=1, max_size=6),
    start=st.integers(1, 24),
)
def test_draws_match_one_call_per_draw(rows: list[dict[str, float]], ranged: set[str], start: int) -> None:
    """Only ``ranged`` drivers carry draws (the rest one value): the shapes work takes must not matter."""
    rows = [{**row, "units_per_month": max(row["units_per_month"], 1.0)} for row in rows]
    fixed = {k: v for k, v in rows[0].items() if k not in ranged}
    base = AiHardwareParams().vary(
        horizon_months=24, snapshot_month=12, demand_shortfall_month=start, **fixed
    )
    together = compute(base.vary(**{k: np.array([row[k] for row in rows]) for k in ranged}))
    for i, row in enumerate(rows):
        alone = compute(base.vary(**{k: row[k] for k in ranged}))
        floor = 1e-12 * float(np.max(np.abs(alone.revenue)))  # residue of stocks that should be ~0
        for name in (
            "units",
            "net_asp",
            "revenue",
            "cogs",
            "production",
            "inventory",
            "bookings",
            "customers",
        ):
            new, old = np.asarray(getattr(together, name)), np.asarray(getattr(alone, name))
            assert new.shape == (3, 24), name
            np.testing.assert_allclose(
                new[i], old, rtol=RTOL, atol=RTOL * max(1.0, np.max(np.abs(old))) + floor, err_msg=name
            )
        by_generation = np.asarray(together.hardware_revenue_by_generation)[i]
        np.testing.assert_allclose(
            by_generation.sum(axis=0), np.asarray(together.hardware_revenue)[i], rtol=RTOL
        )


@pytest.mark.parametrize("shortfall", [0.0, 0.3])
def test_default_drivers_match_the_reference(shortfall: float) -> None:
    params = AiHardwareParams().vary(demand_shortfall=shortfall)
    assert_matches(compute(params), reference_model(params))


@settings(max_examples=100, deadline=None)
@given(
    months=st.integers(1, 30),
    gens=st.integers(1, 4),
    draws=st.integers(1, 4),
    cover=st.one_of(st.just(0.0), st.floats(0.0, 8.0, allow_subnormal=False)),
    data=st.data(),
)
def test_cover_as_one_product_matches_the_sum_term_by_term(
    months: int, gens: int, draws: int, cover: float, data: st.DataObject
) -> None:
    reach = max(int(np.ceil(cover)), 1)
    amounts = st.one_of(st.just(0.0), st.floats(0.0, 1e5, allow_subnormal=False))
    units = np.array(
        data.draw(st.lists(amounts, min_size=(months + reach) * draws, max_size=(months + reach) * draws))
    )
    share = np.array(
        data.draw(
            st.lists(st.floats(0.0, 1.0), min_size=(months + reach) * gens, max_size=(months + reach) * gens)
        )
    )
    units, share = units.reshape(months + reach, draws), share.reshape(months + reach, gens, 1)
    k = np.array([cover])
    expected = hardware._forward_cover(units[:, None, :] * share, k, months)
    got = hardware._planned_cover(units, share, k, months)
    np.testing.assert_allclose(
        got, expected, rtol=RTOL, atol=RTOL * max(1.0, float(np.max(expected, initial=0.0)))
    )


@pytest.mark.parametrize(
    "ranged",
    [
        {"annual_unit_demand_growth": [0.0, 0.2, 0.5, -0.1, 0.9]},
        {"outgoing_writedown_rate": [0.0, 0.05, 0.5, 1.0, 0.2]},  # only the write-downs carry draws
        {"demand_shortfall": [0.0, 0.3, 0.6, 0.1, 0.9], "order_lead_months": [0.0, 3.0, 6.0, 9.0, 1.5]},
        {"high_end_unit_cost_usd": [5e3, 6e3, 7e3, 8e3, 9e3]},  # only the costs carry draws
    ],
)
def test_draws_in_blocks_match_draws_at_once(
    ranged: dict[str, list[float]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Blocks of 2 draws (2 + 2 + 1) give what one block of 5 gives, the opening stock included."""
    params = AiHardwareParams().vary(demand_shortfall_month=8, **{k: np.array(v) for k, v in ranged.items()})
    whole = compute(params)
    monkeypatch.setattr(hardware, "BLOCK_DRAWS", 2)
    blocked = compute(params)
    for name in (
        "production",
        "writedown_units",
        "inventory_units",
        "inventory",
        "inventory_writedowns",
        "opening_inventory_units",
    ):
        np.testing.assert_allclose(getattr(blocked, name), getattr(whole, name), rtol=1e-12, err_msg=name)
        assert np.shape(getattr(blocked, name))[0] == 5, name
