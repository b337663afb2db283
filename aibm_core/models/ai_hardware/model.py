"""Computation of the AI hardware model: vectorised projection, unit economics and KPIs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from aibm_core import finance
from aibm_core.models.ai_hardware.params import AiHardwareParams
from aibm_core.models.base import Metric, MonthlyResult


@dataclass(frozen=True)
class AiHardwareResult(MonthlyResult):
    """Monthly arrays (shape: draws × months; by generation: draws × generations × months).

    Money is USD per month, prices and costs USD per unit, units are units per month.
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
    inventory: np.ndarray
    inventory_writedowns: np.ndarray
    cogs: np.ndarray
    gross_profit: np.ndarray
    rnd: np.ndarray
    sales_spend: np.ndarray
    other_opex: np.ndarray
    operating_profit: np.ndarray
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


class _Shipments(NamedTuple):
    """Shipments, prices and costs at some months (internal to :func:`compute`)."""

    customers: np.ndarray
    units: np.ndarray
    units_by_generation: np.ndarray
    list_asp: np.ndarray
    manufacturing_cost_per_unit: np.ndarray
    price_factor: np.ndarray
    revenue_by_generation: np.ndarray
    cogs_by_generation: np.ndarray
    outgoing: np.ndarray


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
    """Customers, units, prices and costs by generation at months ``t`` (t may be fractional)."""
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
    years = (age - g(a["current_generation_age_months"])) / 12.0
    asp_level = (1.0 + g(a["generation_asp_uplift"])) ** (gens[:, None] - 1.0) * (
        1.0 - g(a["annual_asp_erosion"])
    ) ** years
    cost_level = (1.0 + g(a["generation_cost_uplift"])) ** (gens[:, None] - 1.0) * (
        1.0 - g(a["annual_cost_decline"])
    ) ** years

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
        cogs_by_generation=units_by_gen * g(tier_cost) * cost_level,
        outgoing=age >= cadence,
    )


def compute(p: AiHardwareParams) -> AiHardwareResult:
    """Project the hardware business month by month; any numeric assumption may be an array."""
    a = {name: np.asarray(getattr(p, name), dtype=float) for name in type(p).model_fields}
    draws = np.broadcast_shapes(*(value.shape for value in a.values()))
    a = {name: np.broadcast_to(value, draws) for name, value in a.items()}  # every output: draws × months
    m = finance.along_months
    months = finance.month_index(p.horizon_months)
    gens = generation_numbers(
        a["generation_cadence_months"],
        a["current_generation_age_months"],
        a["decline_months"],
        p.horizon_months + float(np.max(a["order_lead_months"])),
    )
    now = _shipments(a, months, gens)
    ahead = _shipments(a, months + m(a["order_lead_months"]), gens)

    list_asp = now.list_asp
    volume_discount = list_asp * m(a["volume_discount_share"] * a["volume_discount"])
    contract_rate = a["long_term_contract_share"] * a["contract_discount"]
    contract_discount = (list_asp - volume_discount) * m(contract_rate)
    net_asp = list_asp * m(now.price_factor)
    hardware_revenue = now.units * net_asp
    manufacturing_cogs = now.units * now.manufacturing_cost_per_unit
    inventory_by_gen = _per_generation(a["inventory_months_of_supply"]) * now.cogs_by_generation
    writedowns = m(a["outgoing_writedown_rate"]) * (inventory_by_gen * now.outgoing).sum(axis=-2)

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
    rnd = np.broadcast_to(m(a["rnd_usd_per_year"] / 12.0), shape)
    sales = np.broadcast_to(m(a["new_customers_per_month"] * a["sales_cost_per_customer_usd"]), shape)
    other = np.broadcast_to(m(a["other_opex_usd_per_year"] / 12.0), shape)
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
        inventory=inventory_by_gen.sum(axis=-2),
        inventory_writedowns=writedowns,
        cogs=cogs,
        gross_profit=revenue - cogs,
        rnd=rnd,
        sales_spend=sales,
        other_opex=other,
        operating_profit=revenue - cogs - rnd - sales - other,
        bookings=ahead.units * ahead.list_asp * m(ahead.price_factor),
        top_customer_share=finance.top_share(
            now.customers, m(a["top_customers"]), m(a["customer_size_dispersion"])
        ),
    )


def unit_economics(r: AiHardwareResult) -> dict[str, np.ndarray | float]:
    """Per-unit and per-customer economics in the snapshot month.

    Customer lifetime value is the discounted gross profit of a customer's monthly purchases
    (net ASP − manufacturing cost per unit, plus the lifetime value of the software
    subscriptions the units carry) while the customer is retained.
    """
    p = r.params
    rate = finance.monthly_rate(p.annual_discount_rate)
    units, customers = r.at("units"), r.at("customers")
    software_margin = p.software_usd_per_unit_year / 12.0 * (1.0 - p.software_cost_share)
    software_ltv_per_unit = p.software_attach_rate * finance.lifetime_value(
        software_margin, 1.0 / (12.0 * p.software_subscription_life_years), rate
    )
    hardware_gp_per_unit = r.at("net_asp") - r.at("manufacturing_cost_per_unit")
    gp_per_customer = units / customers * (hardware_gp_per_unit + software_ltv_per_unit)
    ltv = finance.lifetime_value(gp_per_customer, monthly_churn(p.annual_retention), rate)
    rnd_per_unit = r.at("rnd") / units
    return {
        "hardware_gross_profit_per_unit": hardware_gp_per_unit,
        "hardware_gross_margin": hardware_gp_per_unit / r.at("net_asp"),
        "rnd_per_unit": rnd_per_unit,
        "full_cost_per_unit": r.at("manufacturing_cost_per_unit") + rnd_per_unit,
        "units_per_customer": units / customers,
        "gross_profit_per_customer": gp_per_customer,
        "ltv": ltv,
        "sales_cost_to_ltv": np.asarray(p.sales_cost_per_customer_usd) / ltv,
        "cac_payback_months": finance.payback_months(p.sales_cost_per_customer_usd, gp_per_customer),
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
        "rnd_per_unit": Metric("R&D amortised per unit", ue["rnd_per_unit"], per_unit),
        "full_cost_per_unit": Metric(
            "Cost per unit (manufacturing + R&D)", ue["full_cost_per_unit"], per_unit
        ),
        "hardware_gross_margin": Metric(
            "Hardware gross margin (ASP − manufacturing cost)", ue["hardware_gross_margin"], "fraction"
        ),
        "gross_margin": Metric("Gross margin", r.at("gross_margin"), "fraction"),
        "operating_margin": Metric("Operating margin (after R&D)", r.at("operating_margin"), "fraction"),
        "software_share": Metric("Software share of revenue", r.at("software_revenue") / revenue, "fraction"),
        "customers": Metric("Customers", r.at("customers"), "customers"),
        "ltv": Metric("Customer lifetime value", ue["ltv"], "USD per customer"),
        "sales_cost_to_ltv": Metric("CAC payback (sales cost / LTV)", ue["sales_cost_to_ltv"], "ratio"),
        "cac_payback_months": Metric("CAC payback (on gross profit)", ue["cac_payback_months"], "months"),
        "book_to_bill": Metric("Book-to-bill", r.at("bookings") / hardware, "ratio"),
        "inventory_months": Metric(
            "Inventory (months of supply)", r.at("inventory") / r.at("manufacturing_cogs"), "months"
        ),
        "top_customer_share": Metric(
            f"Top-{r.params.top_customers} customers' revenue share", r.at("top_customer_share"), "fraction"
        ),
    }


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


def projection(r: AiHardwareResult) -> pd.DataFrame:
    """Monthly projection for scalar parameters (USD per month unless named otherwise)."""
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
            "inventory": r.inventory,
            "inventory_writedowns": r.inventory_writedowns,
            "bookings": r.bookings,
        },
        index=pd.Index(r.months.astype(int), name="month"),
    )
    return frame.join(revenue_by_generation(r))
