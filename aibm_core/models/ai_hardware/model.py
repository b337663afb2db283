"""Computation of the AI hardware model: vectorised projection, inventory, unit economics and KPIs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from aibm_core.core import finance
from aibm_core.models.ai_hardware.params import AiHardwareParams
from aibm_core.models.base import Column, Metric, MonthlyResult, Statement, declare_columns


@dataclass(frozen=True)
class AiHardwareResult(MonthlyResult):
    """Monthly arrays (shape: draws × months; by generation: draws × generations × months).

    Money is USD per month, prices and costs USD per unit, units are units per month;
    ``inventory_units`` and ``inventory`` are month-end stocks (units, USD at cost) and
    ``opening_inventory_units`` is the stock before month 1 (one value per draw).
    Generation 1 is the newest generation on sale in month 1; 2, 3, … follow it and 0, −1, …
    are older ones still fading out.
    """

    params: AiHardwareParams
    months: np.ndarray
    generations: np.ndarray
    customers: np.ndarray
    units: np.ndarray
    units_by_generation: np.ndarray
    list_asp: np.ndarray
    volume_discount_per_unit: np.ndarray
    contract_discount_per_unit: np.ndarray
    net_asp: np.ndarray
    manufacturing_cost_per_unit: np.ndarray
    hardware_revenue: np.ndarray
    hardware_revenue_by_generation: np.ndarray
    software_subscriptions: np.ndarray
    software_revenue: np.ndarray
    revenue: np.ndarray
    manufacturing_cogs: np.ndarray
    software_cogs: np.ndarray
    production: np.ndarray
    writedown_units: np.ndarray
    opening_inventory_units: np.ndarray
    inventory_units: np.ndarray
    inventory: np.ndarray
    inventory_writedowns: np.ndarray
    cogs: np.ndarray
    gross_profit: np.ndarray
    rnd: np.ndarray
    sales_spend: np.ndarray
    other_opex: np.ndarray
    operating_profit: np.ndarray
    capex: np.ndarray
    bookings: np.ndarray
    top_customer_share: np.ndarray

    @property
    def gross_margin(self) -> np.ndarray:
        """Gross margin by month: (revenue − COGS) / revenue (fraction); R&D sits below it."""
        return 1.0 - self.cogs / self.revenue

    @property
    def operating_margin(self) -> np.ndarray:
        """Operating margin by month: operating profit / revenue (fraction)."""
        return self.operating_profit / self.revenue

    @property
    def inventory_months(self) -> np.ndarray:
        """Months of supply by month: units in stock at month end / units shipped in the month.

        Counted in units, so a launch build of a dearer generation does not read as excess;
        it rises when shipments fall short of the production the vendor committed to (months).
        """
        return self.inventory_units / self.units


class _Shipments(NamedTuple):
    """Shipments, prices and costs at some months (internal to :func:`compute`)."""

    customers: np.ndarray
    units: np.ndarray
    units_by_generation: np.ndarray
    list_asp: np.ndarray
    manufacturing_cost_per_unit: np.ndarray
    price_factor: np.ndarray
    revenue_by_generation: np.ndarray
    unit_cost_by_generation: np.ndarray
    outgoing: np.ndarray


class _Stock(NamedTuple):
    """Inventory flows by generation (units; draws × generations × months)."""

    production: np.ndarray
    writedowns: np.ndarray
    closing: np.ndarray


def _per_generation(value: np.ndarray) -> np.ndarray:
    """Add generation and month axes so a per-draw value broadcasts against both."""
    return np.asarray(value, dtype=float)[..., None, None]


def monthly_churn(annual_retention: np.ndarray | float) -> np.ndarray | float:
    """Monthly churn equivalent to an annual retention: ``1 − retention^(1/12)`` (fraction)."""
    return 1.0 - np.asarray(annual_retention, dtype=float) ** (1.0 / 12.0)


def generation_numbers(
    cadence: np.ndarray, age: np.ndarray, decline: np.ndarray, last_month: float
) -> np.ndarray:
    """Numbers of every generation on sale at some point in months 1 .. ``last_month``.

    Generation ``g`` launches in month ``1 − age + (g − 1) × cadence``; generation 1 is the
    newest in month 1. Older ones are included while they still fade out (``decline``).
    Over arrays of assumptions the range covers every draw (extra generations weigh zero).
    """
    first = min(int(np.min(np.floor((np.asarray(age) - decline) / cadence))) + 1, 1)
    last = int(np.max(np.floor((last_month - 1.0 + np.asarray(age)) / cadence))) + 1
    return np.arange(first, last + 1)


def lifecycle_weight(
    age: np.ndarray, ramp: np.ndarray, cadence: np.ndarray, decline: np.ndarray
) -> np.ndarray:
    """Relative demand for a generation by its age in months (0 before launch, peak 1).

    It rises linearly to 1 over ``ramp`` months from launch (age 0), holds while it is the
    newest generation and falls linearly to 0 over ``decline`` months once the next
    generation launches at age ``cadence``.
    """
    rise = (age + 1.0) / ramp
    fall = (cadence + decline - age) / decline
    return np.where(age >= 0, np.clip(np.minimum(rise, fall), 0.0, 1.0), 0.0)


def _shipments(a: dict[str, np.ndarray], t: np.ndarray, gens: np.ndarray) -> _Shipments:
    """Planned customers, units, prices and costs by generation at months ``t`` (t may be fractional).

    Planned: before any demand shortfall (see :func:`_demand_factor`).
    """
    m, g = finance.along_months, _per_generation
    t = np.asarray(t, dtype=float)
    customers = finance.customers_over_time(
        a["initial_customers"], a["new_customers_per_month"], monthly_churn(a["annual_retention"]), t
    )
    per_customer = m(a["units_per_month"] / a["initial_customers"])
    units = per_customer * customers * (1.0 + m(a["annual_unit_demand_growth"])) ** ((t - 1.0) / 12.0)

    cadence = g(a["generation_cadence_months"])
    age = t[..., None, :] - 1.0 + g(a["current_generation_age_months"]) - (gens[:, None] - 1.0) * cadence
    weight = lifecycle_weight(age, g(a["ramp_months"]), cadence, g(a["decline_months"]))
    share = weight / weight.sum(axis=-2, keepdims=True)
    # A generation's level: uplift^(g − 1) × (1 − erosion)^years, years = (t − 1 − (g − 1) × cadence) / 12
    # since month 1's generation launch, split into a per-generation and a per-month power.
    after = (gens[:, None] - 1.0) * cadence / 12.0
    months_on = (t[..., None, :] - 1.0) / 12.0
    asp_kept, cost_kept = 1.0 - g(a["annual_asp_erosion"]), 1.0 - g(a["annual_cost_decline"])
    asp_level = ((1.0 + g(a["generation_asp_uplift"])) ** (gens[:, None] - 1.0) * asp_kept**-after) * (
        asp_kept**months_on
    )
    cost_level = ((1.0 + g(a["generation_cost_uplift"])) ** (gens[:, None] - 1.0) * cost_kept**-after) * (
        cost_kept**months_on
    )

    high = a["high_end_unit_share"]
    tier_asp = high * a["high_end_asp_usd"] + (1.0 - high) * a["mid_range_asp_usd"]
    tier_cost = high * a["high_end_unit_cost_usd"] + (1.0 - high) * a["mid_range_unit_cost_usd"]
    price_factor = (1.0 - a["volume_discount_share"] * a["volume_discount"]) * (
        1.0 - a["long_term_contract_share"] * a["contract_discount"]
    )
    units_by_gen = units[..., None, :] * share
    return _Shipments(
        customers=customers,
        units=units,
        units_by_generation=units_by_gen,
        list_asp=m(tier_asp) * (share * asp_level).sum(axis=-2),
        manufacturing_cost_per_unit=m(tier_cost) * (share * cost_level).sum(axis=-2),
        price_factor=price_factor,
        revenue_by_generation=units_by_gen * g(tier_asp * price_factor) * asp_level,
        unit_cost_by_generation=g(tier_cost) * cost_level,
        outgoing=age >= cadence,
    )


def _demand_factor(
    a: dict[str, np.ndarray], shipped: np.ndarray, known: np.ndarray, start: int
) -> np.ndarray:
    """Demand as a share of plan for shipments in month ``shipped`` as seen in month ``known``.

    ``1 − demand_shortfall`` for shipments from month ``start`` on, once the shortfall is
    known (``known >= start``); 1 otherwise. Shape: draws × months.
    """
    hit = (np.asarray(shipped) >= start) & (np.asarray(known) >= start)
    return 1.0 - finance.along_months(a["demand_shortfall"]) * hit


def _scaled(s: _Shipments, factor: np.ndarray) -> _Shipments:
    """Shipments with every volume (and so revenue) multiplied by ``factor`` (draws × months)."""
    by_generation = factor[..., None, :]
    return s._replace(
        units=s.units * factor,
        units_by_generation=s.units_by_generation * by_generation,
        revenue_by_generation=s.revenue_by_generation * by_generation,
    )


def _first_months(s: _Shipments, months: int) -> _Shipments:
    """Shipments in the first ``months`` months only (every monthly field cut to that length)."""
    return s._replace(
        **{name: value[..., :months] for name, value in s._asdict().items() if name != "price_factor"}
    )


def _cover_reach(cover_months: np.ndarray) -> int:
    """Months of demand beyond a month end that any draw's cover needs (at least 1; sets shapes)."""
    return max(int(np.ceil(np.max(cover_months))), 1)


def _forward_cover(demand: np.ndarray, cover_months: np.ndarray, horizon: int) -> np.ndarray:
    """Units needed at the end of months 0 .. ``horizon`` to ship the next ``cover_months`` months.

    ``Σ_j clip(k − (j − 1), 0, 1) × demand[t + j]``: whole months in full, the fraction of the
    last one pro rata. ``demand`` (draws × generations × months 1 .. horizon + reach) is the
    demand the vendor expects; ``cover_months`` (``k``) is one value per draw.
    """
    k = _per_generation(cover_months)
    reach = demand.shape[-1] - horizon
    cover = np.zeros((*np.broadcast_shapes(demand.shape[:-1], k.shape[:-1]), horizon + 1))
    for j in range(1, reach + 1):
        cover = cover + np.clip(k - (j - 1), 0.0, 1.0) * demand[..., j - 1 : j + horizon]
    return cover


#: Smallest cumulative share of stock kept (product of ``1 − loss`` since month 1) that the closed
#: form of :func:`_order_up_to` divides by: a draw and generation whose share falls below it (a
#: write-down rate of 1, or one near 1 over a long horizon) takes :func:`_levels_by_scan` instead.
_SMALLEST_KEPT = 1e-200


def _order_up_to(
    opening: np.ndarray,
    shipped: np.ndarray,
    cover: np.ndarray,
    loss: np.ndarray,
    committed: np.ndarray | None = None,
) -> _Stock:
    """Stock of finished units under an order-up-to rule (units; draws × generations × months).

    Each month the vendor writes off ``loss`` × its opening stock, ships ``shipped`` and
    produces enough to end the month holding ``cover`` units, never a negative amount, except
    where ``committed`` holds a number (not NaN): production fixed earlier, made regardless.
    So ``opening + production − shipped − written down = closing`` in every month. Shipments
    must not exceed what the stock and production can serve (true when actual demand is at or
    below the plan that fixed committed production).

    Month-end stock follows ``L_t = max(c_t, k_t L_{t−1} − s_t)`` in a free month and
    ``L_t = k_t L_{t−1} + C_t − s_t`` in a committed one (``k = 1 − loss``, ``c`` cover,
    ``s`` shipments, ``C`` committed production), computed for all months at once by
    :func:`_levels`; production and write-downs then follow from each month's opening stock.
    """
    level = np.asarray(opening, dtype=float)
    shape = np.broadcast_shapes(shipped.shape, cover.shape, loss.shape, (*level.shape, 1))
    shipped, cover, loss = (np.broadcast_to(np.asarray(x, float), shape) for x in (shipped, cover, loss))
    level = np.broadcast_to(level, shape[:-1])
    if committed is not None:
        committed = np.broadcast_to(np.asarray(committed, float), shape)
    fixed = None if committed is None else ~np.isnan(committed)
    closing = _levels(level, shipped, cover, 1.0 - loss, fixed, committed)
    before = np.concatenate((level[..., None], closing[..., :-1]), axis=-1)
    written = loss * before
    made = shipped + written
    made += cover
    made -= before
    np.maximum(made, 0.0, out=made)
    if fixed is not None:
        np.copyto(made, committed, where=fixed)
    return _Stock(made, written, closing)


def _levels(
    opening: np.ndarray,
    shipped: np.ndarray,
    cover: np.ndarray,
    kept: np.ndarray,
    fixed: np.ndarray | None,
    committed: np.ndarray | None,
) -> np.ndarray:
    """Month-end stock of :func:`_order_up_to` in closed form (units; draws × generations × months).

    With ``P_t = k_1 … k_t`` (the share of month-0 stock still held after month ``t``'s
    write-downs), ``y_t = L_t / P_t`` and ``D_t = Σ_{i≤t} (s_i − C_i) / P_i`` (``C_i = 0`` in a
    free month), ``z_t = y_t + D_t`` obeys ``z_t = max(c_t / P_t + D_t, z_{t−1})`` in a free month
    and ``z_t = z_{t−1}`` in a committed one, so ``z`` is a running maximum:
    ``z_t = max(L_0, max_{free i ≤ t} (c_i / P_i + D_i))`` and ``L_t = P_t (z_t − D_t)``.
    Dividing by ``P`` needs ``P > 0``: rows whose ``P`` falls below :data:`_SMALLEST_KEPT`
    are computed by :func:`_levels_by_scan`. ``fixed`` marks the committed months (``None``:
    none), whose production ``committed`` holds.
    """
    kept_so_far = np.cumprod(kept, axis=-1)
    weak = kept_so_far[..., -1] < _SMALLEST_KEPT  # kept ≤ 1, so the last month holds the least
    if weak.any():
        kept_so_far[weak] = 1.0
    drained = shipped - committed if fixed is not None else np.array(shipped)
    if fixed is not None:
        np.copyto(drained, shipped, where=~fixed)
    drained /= kept_so_far
    np.cumsum(drained, axis=-1, out=drained)
    floor = cover / kept_so_far
    floor += drained
    if fixed is not None:
        np.copyto(floor, -np.inf, where=fixed)
    peak = np.maximum.accumulate(floor, axis=-1, out=floor)
    np.maximum(peak, opening[..., None], out=peak)
    peak -= drained
    peak *= kept_so_far
    if weak.any():
        fixed_there = None if fixed is None else fixed[weak]
        committed_there = None if committed is None else committed[weak]
        peak[weak] = _levels_by_scan(
            opening[weak], shipped[weak], cover[weak], kept[weak], fixed_there, committed_there
        )
    return peak


def _levels_by_scan(
    opening: np.ndarray,
    shipped: np.ndarray,
    cover: np.ndarray,
    kept: np.ndarray,
    fixed: np.ndarray | None,
    committed: np.ndarray | None,
) -> np.ndarray:
    """Month-end stock of :func:`_order_up_to` by a parallel prefix over months (no division).

    Month ``t`` maps the opening stock ``x`` to ``max(a_t, k_t x + b_t)`` (``a_t = c_t`` in a free
    month, −∞ in a committed one; ``b_t = C_t − s_t``). Since ``k_t ≥ 0`` two such maps compose
    into one of the same form, ``max(a₂, k₂ a₁ + b₂)``, ``k₂ k₁``, ``k₂ b₁ + b₂``, so doubling
    the span of each month's composed map (1, 2, 4, … months) gives every month's map from
    month 0 in ⌈log₂ months⌉ steps.
    """
    floor = np.array(cover) if fixed is None else np.where(fixed, -np.inf, cover)
    slope = np.array(kept)
    offset = -shipped if fixed is None else np.where(fixed, committed - shipped, -shipped)
    span = 1
    while span < floor.shape[-1]:
        late = slice(span, None)
        with np.errstate(invalid="ignore"):  # 0 × −∞ where nothing is kept: fmax drops the NaN
            new_floor = np.fmax(floor[..., late], slope[..., late] * floor[..., :-span] + offset[..., late])
        new_offset = slope[..., late] * offset[..., :-span] + offset[..., late]
        slope[..., late] = slope[..., late] * slope[..., :-span]
        floor[..., late], offset[..., late] = new_floor, new_offset
        span *= 2
    return np.maximum(floor, slope * opening[..., None] + offset)


def _inventory(
    a: dict[str, np.ndarray], now: _Shipments, plan: np.ndarray, horizon: int, start: int
) -> tuple[_Stock, np.ndarray]:
    """Inventory flows by generation, and the opening stock (units; draws × generations).

    The vendor plans to end every month holding ``target_inventory_months`` of the shipments it
    expects next. Production for a month is committed ``order_lead_months`` ahead, so while a
    shortfall is not yet known at commitment (``t − lead < demand_shortfall_month``) it makes
    what the plan said and the unsold units pile up; afterwards it produces to the actual
    demand, cutting output (to zero if need be) until the excess has shipped. Outgoing
    generations lose ``outgoing_writedown_rate`` of their stock each month. ``plan`` holds the
    planned units by generation in months 1 .. horizon + :func:`_cover_reach`.
    """
    k = a["target_inventory_months"]
    span = finance.month_index(plan.shape[-1])
    actual = plan * _demand_factor(a, span, span, start)[..., None, :]
    plan_cover, actual_cover = (_forward_cover(d, k, horizon) for d in (plan, actual))
    loss = _per_generation(a["outgoing_writedown_rate"]) * now.outgoing
    opening = plan_cover[..., 0]
    planned = _order_up_to(opening, plan[..., :horizon], plan_cover[..., 1:], loss)
    months = finance.month_index(horizon)
    blind = months - finance.along_months(a["order_lead_months"]) < start
    committed = np.where(blind[..., None, :], planned.production, np.nan)
    return _order_up_to(opening, now.units_by_generation, actual_cover[..., 1:], loss, committed), opening


def compute(p: AiHardwareParams) -> AiHardwareResult:
    """Project the hardware business month by month; any driver may be an array of draws."""
    a = {name: np.asarray(getattr(p, name), dtype=float) for name in type(p).model_fields}
    draws = np.broadcast_shapes(*(value.shape for value in a.values()))
    a = {name: np.broadcast_to(value, draws) for name, value in a.items()}  # every output: draws × months
    m, horizon, start = finance.along_months, p.horizon_months, p.demand_shortfall_month
    months = finance.month_index(horizon)
    lead = m(a["order_lead_months"])
    gens = generation_numbers(
        a["generation_cadence_months"],
        a["current_generation_age_months"],
        a["decline_months"],
        horizon + float(np.max(a["order_lead_months"])) + _cover_reach(a["target_inventory_months"]),
    )
    plan = _shipments(a, finance.month_index(horizon + _cover_reach(a["target_inventory_months"])), gens)
    now = _scaled(_first_months(plan, horizon), _demand_factor(a, months, months, start))
    ahead = _scaled(_shipments(a, months + lead, gens), _demand_factor(a, months + lead, months, start))
    stock, opening = _inventory(a, now, plan.units_by_generation, horizon, start)

    list_asp = now.list_asp
    volume_discount = list_asp * m(a["volume_discount_share"] * a["volume_discount"])
    contract_rate = a["long_term_contract_share"] * a["contract_discount"]
    contract_discount = (list_asp - volume_discount) * m(contract_rate)
    net_asp = list_asp * m(now.price_factor)
    hardware_revenue = now.units * net_asp
    manufacturing_cogs = now.units * now.manufacturing_cost_per_unit
    writedowns = (stock.writedowns * now.unit_cost_by_generation).sum(axis=-2)

    subscriptions = finance.installed_base(
        a["initial_software_subscriptions"],
        m(a["software_attach_rate"]) * now.units,
        1.0 / (12.0 * a["software_subscription_life_years"]),
    )
    software_revenue = subscriptions * m(a["software_usd_per_unit_year"] / 12.0)
    software_cogs = software_revenue * m(a["software_cost_share"])

    revenue = hardware_revenue + software_revenue
    cogs = manufacturing_cogs + software_cogs + writedowns
    shape = revenue.shape
    rnd = np.broadcast_to(p.monthly("rnd_usd_per_year", months) / 12.0, shape)
    sales = np.broadcast_to(m(a["new_customers_per_month"] * a["sales_cost_per_customer_usd"]), shape)
    other = np.broadcast_to(p.monthly("other_opex_usd_per_year", months) / 12.0, shape)
    return AiHardwareResult(
        params=p,
        months=months,
        generations=gens,
        customers=now.customers,
        units=now.units,
        units_by_generation=now.units_by_generation,
        list_asp=list_asp,
        volume_discount_per_unit=volume_discount,
        contract_discount_per_unit=contract_discount,
        net_asp=net_asp,
        manufacturing_cost_per_unit=now.manufacturing_cost_per_unit,
        hardware_revenue=hardware_revenue,
        hardware_revenue_by_generation=now.revenue_by_generation,
        software_subscriptions=subscriptions,
        software_revenue=software_revenue,
        revenue=revenue,
        manufacturing_cogs=manufacturing_cogs,
        software_cogs=software_cogs,
        production=stock.production.sum(axis=-2),
        writedown_units=stock.writedowns.sum(axis=-2),
        opening_inventory_units=opening.sum(axis=-1),
        inventory_units=stock.closing.sum(axis=-2),
        inventory=(stock.closing * now.unit_cost_by_generation).sum(axis=-2),
        inventory_writedowns=writedowns,
        cogs=cogs,
        gross_profit=revenue - cogs,
        rnd=rnd,
        sales_spend=sales,
        other_opex=other,
        operating_profit=revenue - cogs - rnd - sales - other,
        capex=revenue * m(a["capex_share_of_revenue"]),
        bookings=ahead.units * ahead.list_asp * m(ahead.price_factor),
        top_customer_share=finance.top_share(
            now.customers, m(a["top_customers"]), m(a["customer_size_dispersion"])
        ),
    )


def ltv_path(r: AiHardwareResult) -> np.ndarray:
    """Gross profit of an average customer from the snapshot month on (USD per month; draws × months).

    ``ltv_months`` months of the projected path: hardware gross profit on the customer's units
    plus its software gross profit, month by month to the horizon, then held at the horizon's
    last month (the projection says nothing beyond it). The same capped-path definition of
    lifetime value as every model (:func:`aibm_core.core.finance.path_lifetime_value`).
    """
    p = r.params
    s, length = int(p.snapshot_month), int(p.ltv_months)
    units, customers = np.asarray(r.units), np.asarray(r.customers)
    hardware = units * (np.asarray(r.net_asp) - np.asarray(r.manufacturing_cost_per_unit))
    software = np.asarray(r.software_revenue) - np.asarray(r.software_cogs)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_customer = np.where(
            customers > 0, (hardware + software) / np.where(customers > 0, customers, 1.0), 0.0
        )
    path = per_customer[..., s - 1 : s - 1 + length]
    missing = length - path.shape[-1]
    if missing > 0:
        tail = np.repeat(path[..., -1:], missing, axis=-1)
        path = np.concatenate([path, tail], axis=-1)
    return path


def unit_economics(r: AiHardwareResult) -> dict[str, np.ndarray | float]:
    """Per-unit and per-customer economics in the snapshot month.

    Gross profit per customer is a monthly figure (USD per customer per month): the hardware
    gross profit of the customer's units plus the month's software gross profit per customer.
    Customer lifetime value discounts it over the customer's expected life. The present value
    of the software subscriptions one shipped unit carries is reported separately
    (``software_value_per_unit``, USD per unit). R&D per unit is the month's R&D over the
    month's units (not an amortisation of a generation's R&D over its lifetime units).
    """
    p = r.params
    rate = finance.monthly_rate(p.annual_discount_rate)
    units, customers = r.at("units"), r.at("customers")
    software_margin = (
        np.asarray(p.software_usd_per_unit_year) / 12.0 * (1.0 - np.asarray(p.software_cost_share))
    )
    lapse = 1.0 / (12.0 * np.asarray(p.software_subscription_life_years))
    hardware_gp_per_unit = r.at("net_asp") - r.at("manufacturing_cost_per_unit")
    software_gp_per_customer = (r.at("software_revenue") - r.at("software_cogs")) / customers
    gp_per_customer = units / customers * hardware_gp_per_unit + software_gp_per_customer
    ltv = finance.path_lifetime_value(ltv_path(r), monthly_churn(p.annual_retention), rate)
    sales_cost = np.asarray(p.sales_cost_per_customer_usd, dtype=float)
    rnd_per_unit = r.at("rnd") / units
    with np.errstate(divide="ignore", invalid="ignore"):
        sales_cost_to_ltv = np.where(ltv > 0, sales_cost / np.where(ltv > 0, ltv, 1.0), np.inf)
    return {
        "hardware_gross_profit_per_unit": hardware_gp_per_unit,
        "hardware_gross_margin": hardware_gp_per_unit / r.at("net_asp"),
        "rnd_per_unit": rnd_per_unit,
        "full_cost_per_unit": r.at("manufacturing_cost_per_unit") + rnd_per_unit,
        "units_per_customer": units / customers,
        "software_value_per_unit": p.software_attach_rate
        * finance.lifetime_value(software_margin, lapse, rate),
        "gross_profit_per_customer": gp_per_customer,
        "ltv": ltv,
        "sales_cost_to_ltv": sales_cost_to_ltv,
        "cac_payback_months": finance.payback_months(sales_cost, gp_per_customer),
    }


def kpis(r: AiHardwareResult) -> dict[str, Metric]:
    """Key figures of the snapshot month."""
    ue = unit_economics(r)
    hardware, revenue = r.at("hardware_revenue"), r.at("revenue")
    per_unit = "USD per unit"
    return {
        "hardware_revenue": Metric("Hardware revenue (units × ASP)", hardware, "USD per month"),
        "hardware_revenue_quarter": Metric(
            "Hardware revenue, quarterly run-rate", 3 * hardware, "USD per quarter"
        ),
        "revenue": Metric("Total revenue (hardware + software)", revenue, "USD per month"),
        "annual_run_rate": Metric("Total revenue run-rate", 12 * revenue, "USD per year"),
        "units": Metric("Units shipped", r.at("units"), "units per month"),
        "list_asp": Metric("List ASP (mix of tiers and generations)", r.at("list_asp"), per_unit),
        "net_asp": Metric("Net ASP (after contract discounts)", r.at("net_asp"), per_unit),
        "manufacturing_cost_per_unit": Metric(
            "Manufacturing cost per unit", r.at("manufacturing_cost_per_unit"), per_unit
        ),
        "rnd_per_unit": Metric(
            "R&D per unit shipped (the month's R&D / units)", ue["rnd_per_unit"], per_unit
        ),
        "full_cost_per_unit": Metric(
            "Cost per unit (manufacturing + R&D per unit shipped)", ue["full_cost_per_unit"], per_unit
        ),
        "hardware_gross_margin": Metric(
            "Hardware gross margin (ASP − manufacturing cost)", ue["hardware_gross_margin"], "fraction"
        ),
        "gross_margin": Metric("Gross margin", r.at("gross_margin"), "fraction"),
        "operating_margin": Metric("Operating margin (after R&D)", r.at("operating_margin"), "fraction"),
        "software_share": Metric("Software share of revenue", r.at("software_revenue") / revenue, "fraction"),
        "software_value_per_unit": Metric(
            "Software subscriptions per unit shipped (present value)", ue["software_value_per_unit"], per_unit
        ),
        "customers": Metric("Customers", r.at("customers"), "customers"),
        "gross_profit_per_customer": Metric(
            "Gross profit per customer", ue["gross_profit_per_customer"], "USD per customer per month"
        ),
        "ltv": Metric("Customer lifetime value", ue["ltv"], "USD per customer"),
        "sales_cost_to_ltv": Metric(
            "Sales cost / customer lifetime value (the seed's 'CAC payback')",
            ue["sales_cost_to_ltv"],
            "ratio",
        ),
        "cac_payback_months": Metric(
            "CAC payback (sales cost / monthly gross profit per customer)", ue["cac_payback_months"], "months"
        ),
        "book_to_bill": Metric("Book-to-bill", r.at("bookings") / hardware, "ratio"),
        "inventory_months": Metric("Inventory (months of supply)", r.at("inventory_months"), "months"),
        "top_customer_share": Metric(
            f"Top-{r.params.top_customers} customers' revenue share", r.at("top_customer_share"), "fraction"
        ),
    }


def statement(r: AiHardwareResult) -> Statement:
    """The common monthly statement (USD per month; volume: units shipped per month).

    Cost of revenue is manufacturing cost of the units shipped, software delivery cost and
    inventory write-downs, so statement gross margin equals :attr:`AiHardwareResult.gross_margin`;
    operating expenses are R&D, sales and other opex; capex is ``capex_share_of_revenue`` of
    revenue (a fabless vendor's equipment and buildings).
    """
    return Statement(
        revenue=r.revenue,
        cost_of_revenue=r.cogs,
        operating_expenses=r.rnd + r.sales_spend + r.other_opex,
        capex=r.capex,
        volume=r.units,
        volume_label="Units shipped",
        volume_unit="units per month",
        north_star=r.hardware_revenue,
        north_star_label="Hardware revenue",
        north_star_unit="USD per month",
        snapshot_month=int(r.params.snapshot_month),
    )


def generation_label(generation: int) -> str:
    """Column label of a generation's revenue, e.g. ``revenue_gen1`` (1 = newest in month 1)."""
    return f"revenue_gen{int(generation)}"


def revenue_by_generation(r: AiHardwareResult) -> pd.DataFrame:
    """Hardware revenue by generation for scalar parameters (USD per month; sold generations only)."""
    frame = pd.DataFrame(
        r.hardware_revenue_by_generation.T,
        columns=[generation_label(g) for g in r.generations],
        index=pd.Index(r.months.astype(int), name="month"),
    )
    return frame.loc[:, (frame != 0).any()]


def generation_column(generation: int) -> Column:
    """Declaration of a generation's revenue column (:func:`generation_label`)."""
    return Column(f"Revenue: chip generation {int(generation)}", "USD per month")


#: Columns of :func:`projection` besides each generation's revenue (:func:`generation_column`):
#: name -> label, unit and display scale.
PROJECTION_COLUMNS: dict[str, Column] = {
    "customers": Column("Customers", "customers"),
    "units": Column("Units shipped", "units per month"),
    "list_asp": Column("List ASP", "USD per unit"),
    "net_asp": Column("Net ASP after discounts", "USD per unit"),
    "manufacturing_cost_per_unit": Column("Manufacturing cost per unit", "USD per unit"),
    "full_cost_per_unit": Column("Cost per unit incl. R&D", "USD per unit"),
    "hardware_revenue": Column("Hardware revenue", "USD per month"),
    "software_revenue": Column("Software revenue", "USD per month"),
    "revenue": Column("Revenue", "USD per month"),
    "cogs": Column("Cost of revenue", "USD per month"),
    "gross_profit": Column("Gross profit", "USD per month"),
    "gross_margin": Column("Gross margin", "fraction"),
    "rnd": Column("R&D", "USD per month"),
    "sales_spend": Column("Sales spend", "USD per month"),
    "other_opex": Column("Other opex", "USD per month"),
    "operating_profit": Column("Operating profit", "USD per month"),
    "operating_margin": Column("Operating margin", "fraction"),
    "capex": Column("Capital expenditure", "USD per month"),
    "production_units": Column("Units produced", "units per month"),
    "inventory_units": Column("Inventory", "units"),
    "inventory": Column("Inventory value", "USD"),
    "inventory_months": Column("Inventory", "months"),
    "inventory_writedowns": Column("Inventory write-downs", "USD per month"),
    "bookings": Column("Bookings", "USD per month"),
}


def projection(r: AiHardwareResult) -> pd.DataFrame:
    """Monthly projection for scalar parameters, columns declared in :data:`PROJECTION_COLUMNS`
    and, for each sold generation's revenue, :func:`generation_column`."""
    frame = pd.DataFrame(
        {
            "customers": r.customers,
            "units": r.units,
            "list_asp": r.list_asp,
            "net_asp": r.net_asp,
            "manufacturing_cost_per_unit": r.manufacturing_cost_per_unit,
            "full_cost_per_unit": r.manufacturing_cost_per_unit + r.rnd / r.units,
            "hardware_revenue": r.hardware_revenue,
            "software_revenue": r.software_revenue,
            "revenue": r.revenue,
            "cogs": r.cogs,
            "gross_profit": r.gross_profit,
            "gross_margin": r.gross_margin,
            "rnd": r.rnd,
            "sales_spend": r.sales_spend,
            "other_opex": r.other_opex,
            "operating_profit": r.operating_profit,
            "operating_margin": r.operating_margin,
            "capex": r.capex,
            "production_units": r.production,
            "inventory_units": r.inventory_units,
            "inventory": r.inventory,
            "inventory_months": r.inventory_months,
            "inventory_writedowns": r.inventory_writedowns,
            "bookings": r.bookings,
        },
        index=pd.Index(r.months.astype(int), name="month"),
    )
    frame = frame.join(revenue_by_generation(r))  # join keeps no attrs: declare after it
    columns = {**PROJECTION_COLUMNS, **{generation_label(g): generation_column(g) for g in r.generations}}
    return declare_columns(frame, columns, "ai_hardware")
