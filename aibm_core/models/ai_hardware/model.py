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
    ``revenue`` and ``cogs`` are the company's: the data-centre business (hardware and software,
    ``data_centre_revenue``) plus the other segments (``other_segments_revenue`` at their own
    gross margin);
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
    generation_share: np.ndarray
    hardware_price_by_generation: np.ndarray
    hardware_price_by_month: np.ndarray
    list_asp: np.ndarray
    volume_discount_per_unit: np.ndarray
    contract_discount_per_unit: np.ndarray
    net_asp: np.ndarray
    manufacturing_cost_per_unit: np.ndarray
    hardware_revenue: np.ndarray
    software_subscriptions: np.ndarray
    software_revenue: np.ndarray
    data_centre_revenue: np.ndarray
    other_segments_revenue: np.ndarray
    other_segments_cogs: np.ndarray
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
    def units_by_generation(self) -> np.ndarray:
        """Units shipped by generation (units per month; draws × generations × months)."""
        by_generation = self.units[..., None, :] * self.generation_share
        return np.broadcast_to(by_generation, (*self.units.shape[:-1], *by_generation.shape[-2:]))

    @property
    def hardware_revenue_by_generation(self) -> np.ndarray:
        """Hardware revenue by generation (USD per month; draws × generations × months).

        Units by generation × net price, the price being ``hardware_price_by_generation``
        (net tier price × the generation's launch level, draws × generations × 1) ×
        ``hardware_price_by_month`` (erosion since month 1, draws × months); built on demand.
        """
        price = self.hardware_price_by_generation * self.hardware_price_by_month[..., None, :]
        return self.units_by_generation * price

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
    """Shipments, prices and costs at some months (internal to :func:`compute`).

    Arrays keep the smallest shape their drivers need (a driver without draws adds no draw
    axis), so work that no draw changes is done once. A generation's price (and cost) in a
    month is ``tier × by_generation × by_month``: the level factors into a per-generation and
    a per-month power, so the mix over generations is one matrix product.
    """

    customers: np.ndarray
    units: np.ndarray
    share: np.ndarray
    list_asp: np.ndarray
    manufacturing_cost_per_unit: np.ndarray
    price_factor: np.ndarray
    tier_asp: np.ndarray
    asp_by_generation: np.ndarray
    asp_by_month: np.ndarray
    tier_cost: np.ndarray
    cost_by_generation: np.ndarray
    cost_by_month: np.ndarray
    outgoing: np.ndarray


class _Stock(NamedTuple):
    """Inventory flows by generation (units; draws × generations × months)."""

    production: np.ndarray
    writedowns: np.ndarray
    closing: np.ndarray


class _Inventory(NamedTuple):
    """Inventory totals over generations (units, or units × per-generation cost factor)."""

    production: np.ndarray
    writedown_units: np.ndarray
    closing_units: np.ndarray
    writedowns_at_cost: np.ndarray
    closing_at_cost: np.ndarray
    opening_units: np.ndarray


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
    generation launches at age ``cadence``: ``clip(min((age + 1) / ramp,
    (cadence + decline − age) / decline), 0, 1)`` for ``age ≥ 0``.
    """
    age = np.asarray(age, dtype=float)
    weight = np.empty(np.broadcast_shapes(age.shape, *(np.shape(x) for x in (ramp, cadence, decline))))
    np.add(age, 1.0, out=weight)
    weight /= ramp
    fall = np.subtract(np.add(cadence, decline), age)
    fall /= decline
    np.minimum(weight, fall, out=weight)
    np.minimum(weight, 1.0, out=weight)  # two bounds: np.clip is several times slower
    np.maximum(weight, 0.0, out=weight)
    np.copyto(weight, 0.0, where=age < 0)
    return weight


#: Parts of a unit's all-in cost besides the chip (USD per unit in month 1), added to the tier cost.
COST_PARTS = ("memory_cost_per_unit_usd", "system_cost_per_unit_usd", "networking_cost_per_unit_usd")


def _parts_cost(a: dict[str, np.ndarray]) -> np.ndarray:
    """Memory, board and system, and networking per unit shipped in month 1 (USD per unit)."""
    return sum((a[name] for name in COST_PARTS), start=np.zeros(()))


def _power(base: np.ndarray, exponent: np.ndarray) -> np.ndarray:
    """``base ** exponent`` for a positive base, as ``exp(exponent × log base)``.

    The logarithm is taken once per draw and the exponential runs vectorised over months,
    several times faster than ``np.power`` over draws × months (equal to rounding).
    """
    power = exponent * np.log(base)
    return np.exp(power, out=power)


def _in_place(ufunc: np.ufunc, value: np.ndarray, *others: np.ndarray) -> np.ndarray:
    """``ufunc`` of ``value`` with each of ``others`` in turn, written into ``value`` where the
    shapes allow (a fresh array is made only where another operand adds axes): a chain of
    products or sums over draws × months without a temporary for each step. ``value`` must be
    an array the caller owns."""
    for other in others:
        fits = np.broadcast_shapes(value.shape, np.shape(other)) == value.shape
        value = ufunc(value, other, out=value if fits else None)
    return value


def _level(
    share: np.ndarray, tier: np.ndarray, by_generation: np.ndarray, by_month: np.ndarray
) -> np.ndarray:
    """Price (or cost) per unit over the generation mix: ``tier × Σ_g share × by_generation × by_month``."""
    return _in_place(np.multiply, _mix(share, by_generation), finance.along_months(tier), by_month)


def _mix(share: np.ndarray, by_generation: np.ndarray) -> np.ndarray:
    """``Σ_g share[g, t] × by_generation[g]`` (draws × months) by one matrix product.

    ``share`` is (draws ×) generations × months, ``by_generation`` (draws ×) generations × 1.
    """
    return np.matmul(np.swapaxes(by_generation, -1, -2), share)[..., 0, :]


def _shipments(a: dict[str, np.ndarray], t: np.ndarray, gens: np.ndarray) -> _Shipments:
    """Planned customers, units, prices and costs by generation at months ``t`` (t may be fractional).

    Planned: before any demand shortfall (see :func:`_demand_factor`).
    """
    m, g = finance.along_months, _per_generation
    t = np.asarray(t, dtype=float)
    customers = finance.customers_over_time(
        a["initial_customers"], a["new_customers_per_month"], monthly_churn(a["annual_retention"]), t
    )
    months_on = (t - 1.0) / 12.0
    per_customer = m(a["units_per_month"] / a["initial_customers"])
    units = per_customer * customers * _power(1.0 + m(a["annual_unit_demand_growth"]), months_on)

    cadence = g(a["generation_cadence_months"])
    born = (gens[:, None] - 1.0) * cadence
    age = t[..., None, :] - 1.0 + g(a["current_generation_age_months"]) - born
    weight = lifecycle_weight(age, g(a["ramp_months"]), cadence, g(a["decline_months"]))
    share = weight / weight.sum(axis=-2, keepdims=True)
    # A generation's level: uplift^(g − 1) × (1 − erosion)^years, years = (t − 1 − (g − 1) × cadence) / 12
    # since month 1's generation launch, split into a per-generation and a per-month power.
    after = born / 12.0
    asp_kept, cost_kept = 1.0 - m(a["annual_asp_erosion"]), 1.0 - m(a["annual_cost_decline"])
    asp_by_generation = (1.0 + g(a["generation_asp_uplift"])) ** (gens[:, None] - 1.0) * asp_kept[
        ..., None
    ] ** -after
    cost_by_generation = (1.0 + g(a["generation_cost_uplift"])) ** (gens[:, None] - 1.0) * cost_kept[
        ..., None
    ] ** -after
    asp_by_month, cost_by_month = _power(asp_kept, months_on), _power(cost_kept, months_on)

    high = a["high_end_unit_share"]
    tier_asp = high * a["high_end_asp_usd"] + (1.0 - high) * a["mid_range_asp_usd"]
    tier_cost = high * a["high_end_unit_cost_usd"] + (1.0 - high) * a["mid_range_unit_cost_usd"]
    tier_cost = tier_cost + _parts_cost(a)
    price_factor = (1.0 - a["volume_discount_share"] * a["volume_discount"]) * (
        1.0 - a["long_term_contract_share"] * a["contract_discount"]
    )
    return _Shipments(
        customers=customers,
        units=units,
        share=share,
        list_asp=_level(share, tier_asp, asp_by_generation, asp_by_month),
        manufacturing_cost_per_unit=_level(share, tier_cost, cost_by_generation, cost_by_month),
        price_factor=price_factor,
        tier_asp=tier_asp,
        asp_by_generation=asp_by_generation,
        asp_by_month=asp_by_month,
        tier_cost=tier_cost,
        cost_by_generation=cost_by_generation,
        cost_by_month=cost_by_month,
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


def _cover_reach(cover_months: np.ndarray) -> int:
    """Months of demand beyond a month end that any draw's cover needs (at least 1; sets shapes)."""
    return max(int(np.ceil(np.max(cover_months))), 1)


def _forward_cover(demand: np.ndarray, cover_months: np.ndarray, horizon: int) -> np.ndarray:
    """Units needed at the end of months 0 .. ``horizon`` to ship the next ``cover_months`` months.

    ``Σ_j clip(k − (j − 1), 0, 1) × demand[t + j]``: whole months in full, the fraction of the
    last one pro rata. ``demand`` (months 1 .. horizon + reach first, then any axes, e.g.
    generations × draws) is the demand the vendor expects; ``cover_months`` (``k``) broadcasts
    against one month of it (one value per draw). The sum runs over the few months of reach,
    each term over every month at once.
    """
    reach = demand.shape[0] - horizon
    shape = (horizon + 1, *np.broadcast_shapes(demand.shape[1:], np.shape(cover_months)))
    cover, term = np.zeros(shape), np.empty(shape)
    for j in range(1, reach + 1):
        cover += np.multiply(np.clip(cover_months - (j - 1), 0.0, 1.0), demand[j - 1 : j + horizon], out=term)
    return cover


def _planned_cover(
    units: np.ndarray, share: np.ndarray, cover_months: np.ndarray, horizon: int
) -> np.ndarray:
    """:func:`_forward_cover` of demand ``units × share`` (months first: units months × draws,
    share months × generations × draws or × 1).

    When no draw changes the shares or the months of cover, each month's cover is a small matrix
    product, (weight × share of the next months) @ (units of the next months), over every draw
    at once (one pass, where the sum term by term takes two a term); otherwise the demand is
    built and summed term by term.
    """
    if share.shape[-1] != 1 or np.size(cover_months) != 1:
        return _forward_cover(units[:, None, :] * share, cover_months, horizon)
    reach = units.shape[0] - horizon
    weights = np.clip(float(np.ravel(cover_months)[0]) - np.arange(reach), 0.0, 1.0)
    window = np.lib.stride_tricks.sliding_window_view
    shares = window(share[..., 0], reach, axis=0) * weights  # months × generations × reach
    return np.einsum("tgj,tnj->tgn", shares, window(units, reach, axis=0))  # numpy's batched matmul is slower


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
    below the plan that fixed committed production). Months last; see :func:`_stock` (months
    first), which this lays out for.
    """
    first = [
        None if x is None else np.moveaxis(np.asarray(x, dtype=float), -1, 0)
        for x in (shipped, cover, loss, committed)
    ]
    stock = _stock(np.asarray(opening, dtype=float), *first)
    return _Stock(*(np.moveaxis(x, 0, -1) for x in stock))


def _stock(
    opening: np.ndarray,
    shipped: np.ndarray,
    cover: np.ndarray,
    loss: np.ndarray,
    committed: np.ndarray | None = None,
) -> _Stock:
    """:func:`_order_up_to` with months first (months × draws × generations).

    Month-end stock follows ``L_t = max(c_t, k_t L_{t−1} − s_t)`` in a free month and
    ``L_t = k_t L_{t−1} + C_t − s_t`` in a committed one (``k = 1 − loss``, ``c`` cover,
    ``s`` shipments, ``C`` committed production). Each month is one step over every draw and
    generation at once: a first-order recurrence with a floor, which numpy has no scan for
    (``np.maximum.accumulate`` of the closed form runs element by element, about five times
    slower than these contiguous steps), so the months are stepped and the draws vectorised.
    """
    shapes = [x.shape for x in (shipped, cover, loss, committed) if x is not None]
    shape = np.broadcast_shapes(*shapes, (1, *np.shape(opening)))
    production, writedowns, closing = (np.empty(shape) for _ in range(3))
    level = np.broadcast_to(opening, shape[1:])
    spare = np.empty(shape[1:])
    for t in range(shape[0]):
        written = np.multiply(loss[t], level, out=writedowns[t, ...])
        kept = np.subtract(level, written, out=spare)
        kept -= shipped[t, ...]
        if committed is None:  # free: up to cover, or what is left when that already exceeds it
            level = np.maximum(kept, cover[t, ...], out=closing[t, ...])
            np.subtract(level, kept, out=production[t, ...])
            continue
        made = np.subtract(cover[t, ...], kept, out=production[t, ...])
        np.maximum(made, 0.0, out=made)
        np.copyto(made, committed[t], where=~np.isnan(committed[t]))
        level = np.add(kept, made, out=closing[t, ...])
    return _Stock(production, writedowns, closing)


def _draws_first(value: np.ndarray, tail: int) -> np.ndarray:
    """``value`` with one leading draw axis, of size 1 when no draw changes it.

    ``tail`` trailing axes (months, generations) are kept: ``(…, *tail) → (n, *tail)``.
    """
    value = np.asarray(value)  # a boolean stays boolean (smaller; numbers take it as 0 or 1)
    return value.reshape(-1, *value.shape[value.ndim - tail :])


def _undrawn(value: np.ndarray) -> np.ndarray:
    """Drop a leading draw axis of size 1 so the value broadcasts against any draws."""
    return value[0] if value.shape[0] == 1 else value


#: Draws whose inventory is computed together: a block's months × generations × draws arrays
#: (2 MB each) stay in the processor's cache while the months are stepped, and the memory a
#: run of 100,000 draws holds stays small.
BLOCK_DRAWS = 1024


class _Demand(NamedTuple):
    """Inputs of the inventory, months first and draws last (a draw axis of 1: no draw changes it)."""

    units: np.ndarray  # planned units, months 1 .. horizon + reach × draws
    share: np.ndarray  # generations' shares of them, months × generations × draws
    cover_months: np.ndarray  # draws
    rate: np.ndarray  # write-down rate of an outgoing generation, draws
    outgoing: np.ndarray  # months × generations × draws (1 or 0)
    costs: np.ndarray  # per-generation cost factor, generations × draws
    factor: np.ndarray  # actual demand as a share of plan, months × draws
    blind: np.ndarray  # production committed before the shortfall is known, months × draws


def _totals(stock: _Stock, opening: np.ndarray, cost_by_generation: np.ndarray) -> _Inventory:
    """Sums over generations of :func:`_stock`'s flows (months × generations × draws).

    Each total comes back as months × draws. ``cost_by_generation`` (generations × draws)
    weighs the write-downs and month-end stocks at cost, before the tier cost and the
    per-month cost factor (applied by the caller); the weighting is done in place, so
    ``stock``'s write-downs and stocks are spent by this call.
    """

    def at_cost(flow: np.ndarray) -> np.ndarray:
        shape = np.broadcast_shapes(flow.shape, cost_by_generation.shape)
        out = flow if shape == flow.shape else None  # in place unless the costs add draws
        return np.multiply(flow, cost_by_generation, out=out).sum(axis=1)

    units = [flow.sum(axis=1) for flow in stock]
    return _Inventory(
        production=units[0],
        writedown_units=units[1],
        closing_units=units[2],
        writedowns_at_cost=at_cost(stock.writedowns),
        closing_at_cost=at_cost(stock.closing),
        opening_units=np.broadcast_to(opening.sum(axis=0), stock.closing.shape[-1:]),
    )


def _block(d: _Demand, horizon: int, shortfall: bool) -> _Inventory:
    """:func:`_inventory` for one block of draws (totals months × draws)."""
    demand = d.units[:, None, :] * d.share
    plan_cover = _planned_cover(d.units, d.share, d.cover_months, horizon)
    loss = d.rate * d.outgoing
    opening = plan_cover[0]
    planned = _stock(opening, demand[:horizon], plan_cover[1:], loss)
    if not shortfall:
        return _totals(planned, opening, d.costs)
    actual_units = d.units * d.factor
    actual = actual_units[:, None, :] * d.share
    committed = np.where(d.blind[:, None, :], planned.production, np.nan)
    actual_cover = _planned_cover(actual_units, d.share, d.cover_months, horizon)
    return _totals(_stock(opening, actual[:horizon], actual_cover[1:], loss, committed), opening, d.costs)


def _inventory(
    a: dict[str, np.ndarray], plan: _Shipments, horizon: int, reach: int, start: int
) -> _Inventory:
    """Inventory flows summed over generations (units per month; units at month ends).

    The vendor plans to end every month holding ``target_inventory_months`` of the shipments it
    expects next. Production for a month is committed ``order_lead_months`` ahead, so while a
    shortfall is not yet known at commitment (``t − lead < demand_shortfall_month``) it makes
    what the plan said and the unsold units pile up; afterwards it produces to the actual
    demand, cutting output (to zero if need be) until the excess has shipped. Outgoing
    generations lose ``outgoing_writedown_rate`` of their stock each month. ``plan`` holds the
    planned shipments in months 1 .. horizon + ``reach`` (:func:`_cover_reach`) at least.
    Without a shortfall in any draw the actual run is the planned one and is not computed twice.
    Laid out months × generations × draws, so each month is contiguous and the sums over
    generations add rows, and computed :data:`BLOCK_DRAWS` draws at a time. Totals come back
    draws × months (no draw axis when no draw changes them).
    """
    span = finance.month_index(horizon + reach)
    factor = _demand_factor(a, span, span, start)
    blind = finance.month_index(horizon) - finance.along_months(a["order_lead_months"]) < start
    d = _Demand(
        units=_months_first(_draws_first(plan.units[..., : horizon + reach], 1)),
        share=_months_first(_draws_first(plan.share[..., : horizon + reach], 2)),
        cover_months=_draws_first(a["target_inventory_months"], 0),
        rate=_draws_first(a["outgoing_writedown_rate"], 0),
        outgoing=_months_first(_draws_first(plan.outgoing[..., :horizon], 2)),
        costs=_draws_first(plan.cost_by_generation, 2)[..., 0].T,
        factor=_months_first(_draws_first(factor, 1)),
        blind=_months_first(blind.reshape(-1, horizon)),
    )
    shortfall = not np.all(factor == 1.0)
    draws = max(x.shape[-1] for name, x in zip(d._fields, d, strict=True) if name != "costs")
    if draws <= BLOCK_DRAWS:  # costs alone may carry draws: then their totals do, stock once
        return _Inventory(*(_undrawn(np.swapaxes(x, 0, -1)) for x in _block(d, horizon, shortfall)))
    blocks = [
        _block(
            _Demand(*(x[..., s : s + BLOCK_DRAWS] if x.shape[-1] > 1 else x for x in d)), horizon, shortfall
        )
        for s in range(0, draws, BLOCK_DRAWS)
    ]
    joined = (np.concatenate(parts, axis=-1) for parts in zip(*blocks, strict=True))
    return _Inventory(*(_undrawn(np.swapaxes(x, 0, -1)) for x in joined))


def _months_first(value: np.ndarray) -> np.ndarray:
    """Axes reversed, contiguous: months × generations × draws from draws × generations × months
    (months × draws from draws × months), so each month's slice is one block of memory."""
    return np.ascontiguousarray(value.T)


def compute(p: AiHardwareParams) -> AiHardwareResult:
    """Project the hardware business month by month; any driver may be an array of draws.

    Each intermediate keeps the shape its own drivers give it (work no draw changes is done
    once); every output series is then laid over draws × months.
    """
    a = {name: np.asarray(getattr(p, name), dtype=float) for name in type(p).model_fields}
    draws = np.broadcast_shapes(*(value.shape for value in a.values()))
    m, horizon, start = finance.along_months, p.horizon_months, p.demand_shortfall_month
    months = finance.month_index(horizon)
    lead = m(a["order_lead_months"])
    reach = _cover_reach(a["target_inventory_months"])
    gens = generation_numbers(
        a["generation_cadence_months"],
        a["current_generation_age_months"],
        a["decline_months"],
        horizon + float(np.max(a["order_lead_months"])) + reach,
    )
    # A lead of whole months, the same in every draw: bookings read the plan `lead` months on.
    whole = np.size(lead) == 1 and float(np.ravel(lead)[0]).is_integer()
    shift = int(np.ravel(lead)[0]) if whole else 0
    plan = _shipments(a, finance.month_index(horizon + max(reach, shift)), gens)
    units = plan.units[..., :horizon] * _demand_factor(a, months, months, start)
    later = months + lead
    ahead = plan if whole else _shipments(a, later, gens)
    ahead_units, ahead_asp = (x[..., shift : shift + horizon] for x in (ahead.units, ahead.list_asp))
    stock = _inventory(a, plan, horizon, reach, start)

    list_asp = plan.list_asp[..., :horizon]
    cost_per_unit = plan.manufacturing_cost_per_unit[..., :horizon]
    cost_by_month = plan.cost_by_month[..., :horizon]
    volume_discount = list_asp * m(a["volume_discount_share"] * a["volume_discount"])
    contract_rate = a["long_term_contract_share"] * a["contract_discount"]
    contract_discount = _in_place(np.multiply, list_asp - volume_discount, m(contract_rate))
    net_asp = list_asp * m(plan.price_factor)
    hardware_revenue = units * net_asp
    manufacturing_cogs = units * cost_per_unit
    cost_level = m(plan.tier_cost) * cost_by_month
    writedowns = cost_level * stock.writedowns_at_cost

    subscriptions = finance.installed_base(
        a["initial_software_subscriptions"],
        m(a["software_attach_rate"]) * units,
        1.0 / (12.0 * a["software_subscription_life_years"]),
    )
    software_revenue = subscriptions * m(a["software_usd_per_unit_year"] / 12.0)
    software_cogs = software_revenue * m(a["software_cost_share"])

    data_centre_revenue = hardware_revenue + software_revenue
    other_revenue = m(a["other_segments_revenue_usd_per_year"] / 12.0) * _power(
        1.0 + m(a["other_segments_revenue_growth"]), (months - 1.0) / 12.0
    )
    other_cogs = other_revenue * m(1.0 - a["other_segments_gross_margin"])
    revenue = data_centre_revenue + other_revenue
    cogs = _in_place(np.add, manufacturing_cogs + software_cogs, writedowns, other_cogs)
    rnd = p.monthly("rnd_usd_per_year", months) / 12.0
    sales = m(a["new_customers_per_month"] * a["sales_cost_per_customer_usd"])
    other = p.monthly("other_opex_usd_per_year", months) / 12.0
    gross_profit = revenue - cogs
    bookings = _in_place(
        np.multiply, ahead_units * _demand_factor(a, later, months, start), ahead_asp, m(ahead.price_factor)
    )
    shape = (*draws, horizon)

    def full(series: np.ndarray) -> np.ndarray:
        return np.broadcast_to(series, shape)

    return AiHardwareResult(
        params=p,
        months=months,
        generations=gens,
        customers=full(plan.customers[..., :horizon]),
        units=full(units),
        generation_share=plan.share[..., :horizon],
        hardware_price_by_generation=(
            m(plan.tier_asp * plan.price_factor)[..., None] * plan.asp_by_generation
        ),
        hardware_price_by_month=plan.asp_by_month[..., :horizon],
        list_asp=full(list_asp),
        volume_discount_per_unit=full(volume_discount),
        contract_discount_per_unit=full(contract_discount),
        net_asp=full(net_asp),
        manufacturing_cost_per_unit=full(cost_per_unit),
        hardware_revenue=full(hardware_revenue),
        software_subscriptions=full(subscriptions),
        software_revenue=full(software_revenue),
        data_centre_revenue=full(data_centre_revenue),
        other_segments_revenue=full(other_revenue),
        other_segments_cogs=full(other_cogs),
        revenue=full(revenue),
        manufacturing_cogs=full(manufacturing_cogs),
        software_cogs=full(software_cogs),
        production=full(stock.production),
        writedown_units=full(stock.writedown_units),
        opening_inventory_units=np.broadcast_to(stock.opening_units, draws),
        inventory_units=full(stock.closing_units),
        inventory=full(cost_level * stock.closing_at_cost),
        inventory_writedowns=full(writedowns),
        cogs=full(cogs),
        gross_profit=full(gross_profit),
        rnd=full(rnd),
        sales_spend=full(sales),
        other_opex=full(other),
        operating_profit=full(gross_profit - (rnd + sales + other)),
        capex=full(revenue * m(a["capex_share_of_revenue"])),
        bookings=full(bookings),
        top_customer_share=full(
            finance.top_share(
                plan.customers[..., :horizon], m(a["top_customers"]), m(a["customer_size_dispersion"])
            )
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


def trailing_year(r: AiHardwareResult, name: str, months: int = 12) -> np.ndarray | float:
    """Sum of a monthly flow over the ``months`` months to the snapshot month (fewer if it is earlier).

    With the snapshot at month 12 and month 1 the first month of a fiscal year, the fiscal
    year's figure (``months=3``: its last quarter's), comparable with a filing (USD per year,
    or per quarter).
    """
    s = int(r.params.snapshot_month)
    value = np.asarray(getattr(r, name))[..., max(s - months, 0) : s].sum(axis=-1)
    return float(value) if np.ndim(value) == 0 else value


def cost_split(r: AiHardwareResult) -> dict[str, np.ndarray | float]:
    """All-in manufacturing cost per unit in the snapshot month split into its parts (USD per unit).

    The chip (die and package of the tier mix) and each part of
    :data:`COST_PARTS` keep their month-1 proportions: every part follows the same generation
    uplift and yearly decline, so each is the month's cost per unit × its share of month 1's.
    """
    p = r.params
    high = np.asarray(p.high_end_unit_share, dtype=float)
    chip = high * np.asarray(p.high_end_unit_cost_usd) + (1.0 - high) * np.asarray(p.mid_range_unit_cost_usd)
    parts = {name: np.asarray(getattr(p, name), dtype=float) for name in COST_PARTS}
    scale = r.at("manufacturing_cost_per_unit") / (chip + sum(parts.values()))
    return {"chip": chip * scale, **{name: value * scale for name, value in parts.items()}}


def kpis(r: AiHardwareResult) -> dict[str, Metric]:
    """Key figures of the snapshot month (``*_year``: the twelve months to it, see :func:`trailing_year`)."""
    ue = unit_economics(r)
    split = cost_split(r)
    year = {name: trailing_year(r, name) for name in ("revenue", "data_centre_revenue", "gross_profit")}
    other_year = trailing_year(r, "other_segments_revenue")
    data_centre_cogs = r.at("cogs") - r.at("other_segments_cogs")
    hardware, revenue = r.at("hardware_revenue"), r.at("revenue")
    per_unit = "USD per unit"
    return {
        "hardware_revenue": Metric("Hardware revenue (units × ASP)", hardware, "USD per month"),
        "hardware_revenue_quarter": Metric(
            "Hardware revenue, quarterly run-rate", 3 * hardware, "USD per quarter"
        ),
        "revenue": Metric("Total revenue (data centre + other segments)", revenue, "USD per month"),
        "data_centre_revenue": Metric(
            "Data-centre revenue (hardware + software)", r.at("data_centre_revenue"), "USD per month"
        ),
        "other_segments_revenue": Metric(
            "Other segments' revenue (gaming, visualisation, automotive)",
            r.at("other_segments_revenue"),
            "USD per month",
        ),
        "data_centre_gross_margin": Metric(
            "Data-centre gross margin",
            1.0 - data_centre_cogs / r.at("data_centre_revenue"),
            "fraction",
        ),
        "revenue_year": Metric("Revenue, twelve months to the snapshot", year["revenue"], "USD per year"),
        "data_centre_revenue_year": Metric(
            "Data-centre revenue, twelve months to the snapshot", year["data_centre_revenue"], "USD per year"
        ),
        "data_centre_revenue_last_quarter": Metric(
            "Data-centre revenue, three months to the snapshot",
            trailing_year(r, "data_centre_revenue", 3),
            "USD per quarter",
        ),
        "other_segments_revenue_year": Metric(
            "Other segments' revenue, twelve months to the snapshot", other_year, "USD per year"
        ),
        "gross_margin_year": Metric(
            "Gross margin, twelve months to the snapshot", year["gross_profit"] / year["revenue"], "fraction"
        ),
        "operating_expenses_year": Metric(
            "Operating expenses, twelve months to the snapshot",
            sum(trailing_year(r, name) for name in ("rnd", "sales_spend", "other_opex")),
            "USD per year",
        ),
        "operating_income_year": Metric(
            "Operating income, twelve months to the snapshot",
            trailing_year(r, "operating_profit"),
            "USD per year",
        ),
        "annual_run_rate": Metric("Total revenue run-rate", 12 * revenue, "USD per year"),
        "units": Metric("Units shipped", r.at("units"), "units per month"),
        "list_asp": Metric("List ASP (mix of tiers and generations)", r.at("list_asp"), per_unit),
        "net_asp": Metric("Net ASP (after contract discounts)", r.at("net_asp"), per_unit),
        "manufacturing_cost_per_unit": Metric(
            "Manufacturing cost per unit (all-in: chip, memory, system, networking)",
            r.at("manufacturing_cost_per_unit"),
            per_unit,
        ),
        "chip_cost_per_unit": Metric("Chip cost per unit (die and package)", split["chip"], per_unit),
        "memory_cost_per_unit": Metric(
            "Memory (HBM) cost per unit beyond the chip", split["memory_cost_per_unit_usd"], per_unit
        ),
        "system_cost_per_unit": Metric(
            "Board and system cost per unit beyond the chip", split["system_cost_per_unit_usd"], per_unit
        ),
        "networking_cost_per_unit": Metric(
            "Networking cost per unit beyond the chip", split["networking_cost_per_unit_usd"], per_unit
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
    "data_centre_revenue": Column("Data-centre revenue", "USD per month"),
    "other_segments_revenue": Column("Other segments' revenue", "USD per month"),
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
            "data_centre_revenue": r.data_centre_revenue,
            "other_segments_revenue": r.other_segments_revenue,
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
