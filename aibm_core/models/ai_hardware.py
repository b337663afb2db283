"""AI hardware: a chip vendor selling accelerators (Nvidia GPUs, Graphcore IPUs, Cerebras engines).

Sources: seed 000 §3 (AI hardware metrics framework; H100 example: ~$30K ASP, ~$8–10K
manufacturing cost, ~65–70% gross margin) and seed 003 (chip sales sit at the
capital-intensive base of the revenue pyramid).

Mechanics: customers (with annual retention) buy units; product generations launch every
``generation_cadence_months``, ramp, peak and fade once their successor arrives, and each
generation's price and cost drift from launch. Software subscriptions ride on the units.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd
from pydantic import model_validator

from aibm_core import finance
from aibm_core.models.base import Metric, ModelSpec
from aibm_core.params import ModelParams, assumption
from aibm_core.tree import Formula, MetricTree, Node

SEED0 = "seed 000 §3 (AI hardware)"
SEED3 = "seed 003 (revenue pyramid: infrastructure layer)"
ANALYST = "analyst assumption (base case)"
NVDA_FY25 = "Nvidia 10-K, fiscal 2025 (year to 2025-01-26)"


class AiHardwareParams(ModelParams):
    """Assumptions of the AI-hardware model (defaults: base scenario)."""

    # --- volume and product mix
    units_per_month: float = assumption(
        300000.0,
        unit="units per month",
        gt=0,
        le=1e9,
        meaning="Accelerators shipped per month at the start, before customer churn and additions",
        source=f"{ANALYST}: ~3.6M data-centre GPUs a year, the order of public estimates for Nvidia, 2023-24",
    )
    high_end_unit_share: float = assumption(
        0.75,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Share of units that are high-end (training-class) rather than mid-range parts",
        source=f"{SEED0}: product mix high-end vs mid-range ({ANALYST})",
    )
    annual_unit_demand_growth: float = assumption(
        0.15,
        unit="fraction per year",
        ge=-0.9,
        le=5,
        meaning="Yearly growth of units bought per customer (AI training demand, data-centre buildouts)",
        source=f"{SEED0}: volume drivers ({ANALYST})",
    )
    # --- prices and costs of the current generation in month 1
    high_end_asp_usd: float = assumption(
        30000.0,
        unit="USD per unit",
        ge=0,
        le=1e7,
        meaning="List average selling price of a high-end unit of the current generation in month 1",
        source=f"{SEED0}: H100 ~$30K ASP",
    )
    mid_range_asp_usd: float = assumption(
        9000.0,
        unit="USD per unit",
        ge=0,
        le=1e7,
        meaning="List average selling price of a mid-range (inference / PCIe-class) unit in month 1",
        source=ANALYST,
    )
    high_end_unit_cost_usd: float = assumption(
        7000.0,
        unit="USD per unit",
        ge=0,
        le=1e7,
        meaning="Manufacturing cost of a high-end unit (die, HBM, packaging, board, test) in month 1",
        source=f"{ANALYST}: below the seed's $8-10K so that gross margin is near Nvidia's ~75% ({NVDA_FY25})",
    )
    mid_range_unit_cost_usd: float = assumption(
        2500.0,
        unit="USD per unit",
        ge=0,
        le=1e7,
        meaning="Manufacturing cost of a mid-range unit in month 1",
        source=ANALYST,
    )
    # --- enterprise contracts
    volume_discount_share: float = assumption(
        0.50,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Share of units sold to large buyers that get the volume discount",
        source=f"{SEED0}: enterprise contracts, volume discounts ({ANALYST})",
    )
    volume_discount: float = assumption(
        0.10,
        unit="fraction",
        ge=0,
        lt=1,
        meaning="Discount off list ASP for volume buyers",
        source=f"{SEED0}: volume discounts ({ANALYST})",
    )
    long_term_contract_share: float = assumption(
        0.40,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Share of units sold under multi-year supply agreements",
        source=f"{SEED0}: enterprise contracts, long-term ({ANALYST})",
    )
    contract_discount: float = assumption(
        0.05,
        unit="fraction",
        ge=0,
        lt=1,
        meaning="Extra discount granted in exchange for a long-term commitment",
        source=ANALYST,
    )
    # --- product generations
    generation_cadence_months: float = assumption(
        24.0,
        unit="months",
        ge=3,
        le=120,
        meaning="Months between launches of successive product generations",
        source="Nvidia data-centre architectures: A100 (2020), H100 (2022), B200 (2024)",
    )
    current_generation_age_months: float = assumption(
        12.0,
        unit="months",
        ge=0,
        le=120,
        meaning="Age of the newest generation on sale at the start of month 1",
        source=ANALYST,
    )
    ramp_months: float = assumption(
        6.0,
        unit="months",
        ge=1,
        le=60,
        meaning="Months a new generation takes to reach its peak share of shipments",
        source=ANALYST,
    )
    decline_months: float = assumption(
        12.0,
        unit="months",
        gt=0,
        le=120,
        meaning="Months an outgoing generation keeps selling after its successor launches",
        source=ANALYST,
    )
    generation_asp_uplift: float = assumption(
        0.25,
        unit="fraction",
        ge=-0.5,
        le=5,
        meaning="Launch ASP of a generation above the previous generation's launch ASP",
        source="Nvidia CEO on CNBC, 2024-03: Blackwell at $30-40K against ~$25-30K for H100",
    )
    generation_cost_uplift: float = assumption(
        0.35,
        unit="fraction",
        ge=-0.5,
        le=5,
        meaning="Launch manufacturing cost of a generation above the previous generation's",
        source=f"{ANALYST}: advanced packaging and more HBM per unit",
    )
    annual_asp_erosion: float = assumption(
        0.10,
        unit="fraction per year",
        ge=0,
        lt=1,
        meaning="Yearly fall of a generation's ASP after launch (competition from AMD and custom chips)",
        source=f"{SEED0}: competitive-pressure guardrail ({ANALYST})",
    )
    annual_cost_decline: float = assumption(
        0.10,
        unit="fraction per year",
        ge=0,
        lt=1,
        meaning="Yearly fall of a generation's manufacturing cost (yield and scale learning)",
        source=f"{SEED0}: manufacturing scale lever ({ANALYST})",
    )
    # --- inventory
    inventory_months_of_supply: float = assumption(
        3.7,
        unit="months",
        ge=0,
        le=24,
        meaning="Inventory held, in months of manufacturing cost of shipments",
        source=f"{NVDA_FY25}: inventory $10.1B against cost of revenue $32.6B a year",
    )
    outgoing_writedown_rate: float = assumption(
        0.05,
        unit="fraction per month",
        ge=0,
        le=1,
        meaning="Share of an outgoing generation's inventory written down each month it is fading",
        source=f"{SEED0}: inventory guardrail ({ANALYST})",
    )
    # --- software ecosystem
    software_usd_per_unit_year: float = assumption(
        4500.0,
        unit="USD per unit per year",
        ge=0,
        le=1e6,
        meaning="Price of the enterprise software subscription attached to one unit",
        source="NVIDIA AI Enterprise list price, 2023: $4,500 per GPU per year",
    )
    software_attach_rate: float = assumption(
        0.10,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Share of shipped units that carry a paid software subscription",
        source=f"{SEED0}: software ecosystem adoption ({ANALYST})",
    )
    initial_software_subscriptions: float = assumption(
        330000.0,
        unit="subscriptions",
        ge=0,
        le=1e9,
        meaning="Paid software subscriptions active at the start",
        source="Nvidia Q3 FY2025 call, 2024-11: software and support annualising at ~$1.5B (/ $4,500)",
    )
    software_subscription_life_years: float = assumption(
        3.0,
        unit="years",
        gt=0,
        le=20,
        meaning="Average life of a software subscription before it lapses",
        source=ANALYST,
    )
    software_cost_share: float = assumption(
        0.10,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Cost of delivering and supporting software, as a share of software revenue",
        source=ANALYST,
    )
    # --- customers
    initial_customers: float = assumption(
        5000.0,
        unit="customers",
        gt=0,
        le=1e8,
        meaning="Direct customers (cloud, enterprise, research, OEM) at the start",
        source=ANALYST,
    )
    new_customers_per_month: float = assumption(
        100.0,
        unit="customers per month",
        ge=0,
        le=1e7,
        meaning="New enterprise customers won each month",
        source=f"{SEED0}: revenue drivers ({ANALYST})",
    )
    annual_retention: float = assumption(
        0.90,
        unit="fraction per year",
        gt=0,
        le=1,
        meaning="Share of customers still buying a year later (renewals and upgrades)",
        source=f"{SEED0}: contract renewals / upgrades ({ANALYST})",
    )
    sales_cost_per_customer_usd: float = assumption(
        1.0e6,
        unit="USD per customer",
        ge=0,
        le=1e10,
        meaning="Sales and field-engineering cost to win one enterprise customer",
        source=ANALYST,
    )
    top_customers: int = assumption(
        3,
        unit="customers",
        ge=1,
        le=100,
        meaning="Number of largest customers counted in the concentration guardrail",
        source=f"{NVDA_FY25}: three direct customers at 12%, 11% and 11% of revenue",
    )
    customer_size_dispersion: float = assumption(
        2.8,
        unit="log standard deviation",
        ge=0.05,
        le=5,
        meaning="Spread of customer sizes (lognormal sigma); sets the top customers' share",
        source=f"{ANALYST}: calibrated to a top-3 share near 34% ({NVDA_FY25})",
    )
    annual_discount_rate: float = assumption(
        0.10,
        unit="fraction per year",
        ge=0,
        le=1,
        meaning="Discount rate for customer and subscription lifetime value",
        source=ANALYST,
    )
    order_lead_months: float = assumption(
        6.0,
        unit="months",
        ge=0,
        le=36,
        meaning="Months between an order (booking) and the shipment",
        source=ANALYST,
    )
    # --- operating costs
    rnd_usd_per_year: float = assumption(
        12.9e9,
        unit="USD per year",
        ge=0,
        le=1e12,
        meaning="Research and development spend (next-generation chips, software stack)",
        source=f"{NVDA_FY25}: R&D $12.9B",
    )
    other_opex_usd_per_year: float = assumption(
        2.3e9,
        unit="USD per year",
        ge=0,
        le=1e12,
        meaning="General and administrative costs other than winning customers",
        source=f"{NVDA_FY25}: SG&A $3.5B, less the customer-acquisition part",
    )
    # --- horizon and observation
    horizon_months: int = assumption(
        36, unit="months", ge=12, le=120, meaning="Length of the monthly projection", source="-"
    )
    snapshot_month: int = assumption(
        12,
        unit="month",
        ge=1,
        le=120,
        meaning="Month the metric tree and unit economics describe",
        source="-",
    )
    market_share: float = assumption(
        0.85,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Observed share of AI-accelerator units (vs AMD and custom chips)",
        source="analyst estimates for Nvidia, 2024: ~80-90% of data-centre AI accelerators",
    )
    cloud_revenue_share: float = assumption(
        0.50,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Observed share of revenue from cloud providers (rest: enterprise and research)",
        source=f"{NVDA_FY25}: large cloud providers about half of data-centre revenue",
    )
    developers_m: float = assumption(
        5.0,
        unit="M developers",
        ge=0,
        le=1e3,
        meaning="Observed developers using the vendor's software stack (CUDA and frameworks)",
        source="Nvidia, 2024: more than 5 million CUDA developers",
    )
    developer_growth: float = assumption(
        0.25,
        unit="fraction per year",
        ge=-1,
        le=10,
        meaning="Observed yearly growth of the developer ecosystem",
        source="Nvidia, 2023-24: about 4M to 5M developers",
    )
    partnership_announcements: float = assumption(
        10.0,
        unit="announcements per quarter",
        ge=0,
        le=1e4,
        meaning="Observed partnership announcements (clouds, OEMs, model labs)",
        source=f"{SEED0}: leading indicators ({ANALYST})",
    )
    annual_failure_rate: float = assumption(
        0.05,
        unit="fraction per year",
        ge=0,
        le=1,
        meaning="Observed share of installed units failing in a year",
        source=ANALYST,
    )
    support_tickets_per_1k_units: float = assumption(
        20.0,
        unit="tickets per 1K units per month",
        ge=0,
        le=1e6,
        meaning="Observed support ticket volume",
        source=f"{SEED0}: customer health ({ANALYST})",
    )
    customer_satisfaction: float = assumption(
        0.85,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Observed share of surveyed customers satisfied or very satisfied",
        source=ANALYST,
    )
    # --- guardrail limits
    min_gross_margin: float = assumption(
        0.65,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Guardrail: lowest acceptable gross margin",
        source=f"{SEED0}: gross margin ~65-70%",
    )
    max_inventory_months: float = assumption(
        4.5,
        unit="months",
        ge=0,
        le=24,
        meaning="Guardrail: highest acceptable inventory, in months of supply",
        source=ANALYST,
    )
    max_top_customer_share: float = assumption(
        0.40,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Guardrail: highest acceptable revenue share of the top customers",
        source=f"{SEED0}: customer concentration risk ({ANALYST})",
    )
    max_asp_erosion: float = assumption(
        0.15,
        unit="fraction per year",
        ge=0,
        le=1,
        meaning="Guardrail: highest acceptable yearly ASP erosion from competition",
        source=ANALYST,
    )

    @model_validator(mode="after")
    def _consistent(self) -> AiHardwareParams:
        if self.snapshot_month > self.horizon_months:
            raise ValueError(
                f"snapshot_month ({self.snapshot_month}) must not exceed "
                f"horizon_months ({self.horizon_months})"
            )
        if self.current_generation_age_months >= self.generation_cadence_months:
            raise ValueError(
                f"current_generation_age_months ({self.current_generation_age_months:g}) must be below "
                f"generation_cadence_months ({self.generation_cadence_months:g}): a newer generation "
                "would already be on sale"
            )
        return self


@dataclass(frozen=True)
class AiHardwareResult:
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

    def at(self, name: str) -> np.ndarray | float:
        """Value of a monthly series in the snapshot month."""
        series = np.asarray(getattr(self, name))
        value = series[..., int(self.params.snapshot_month) - 1]
        return float(value) if np.ndim(value) == 0 else value

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


def _driver_nodes(r: AiHardwareResult) -> list[Node]:
    """Revenue drivers and product adoption."""
    p = r.params
    return [
        Node("revenue_drivers", "Revenue drivers", "group", "hardware_revenue"),
        Node(
            "net_asp",
            "Net ASP",
            "input",
            "revenue_drivers",
            "USD per unit",
            formula=Formula("difference", ("list_asp", "discounts")),
        ),
        Node(
            "list_asp",
            "List ASP (mix, after erosion)",
            "input",
            "net_asp",
            "USD per unit",
            "Tiers and generations in the month's shipment mix",
            value=r.at("list_asp"),
        ),
        Node(
            "discounts",
            "Volume and contract discounts",
            "input",
            "net_asp",
            "USD per unit",
            value=r.at("volume_discount_per_unit") + r.at("contract_discount_per_unit"),
        ),
        Node(
            "high_end_share",
            "Product mix: high-end share",
            "input",
            "revenue_drivers",
            "fraction",
            value=p.high_end_unit_share,
        ),
        Node(
            "new_customers",
            "New enterprise customers",
            "input",
            "revenue_drivers",
            "customers per month",
            value=p.new_customers_per_month,
        ),
        Node(
            "retention",
            "Renewals / upgrades (retention)",
            "input",
            "revenue_drivers",
            "fraction per year",
            value=p.annual_retention,
        ),
        Node(
            "software_attach",
            "Software attach rate",
            "input",
            "revenue_drivers",
            "fraction",
            "Software ecosystem adoption: share of units with a subscription",
            value=p.software_attach_rate,
        ),
        Node("adoption", "Product adoption", "group", "hardware_revenue"),
        Node(
            "units_shipped",
            "Units shipped",
            "input",
            "adoption",
            "units per month",
            formula=Formula("product", ("customers", "units_per_customer")),
        ),
        Node("customers", "Customers", "input", "units_shipped", "customers", value=r.at("customers")),
        Node(
            "units_per_customer",
            "Units per customer",
            "input",
            "units_shipped",
            "units per month",
            value=r.at("units") / r.at("customers"),
        ),
        Node(
            "market_share",
            "Market share",
            "input",
            "adoption",
            "fraction",
            value=p.market_share,
            observed=True,
        ),
        Node(
            "cloud_share",
            "Segment mix: cloud share",
            "input",
            "adoption",
            "fraction",
            value=p.cloud_revenue_share,
            observed=True,
        ),
        Node(
            "developers",
            "Software stack developers",
            "input",
            "adoption",
            "M developers",
            value=p.developers_m,
            observed=True,
        ),
    ]


def _health_and_economics_nodes(r: AiHardwareResult) -> list[Node]:
    """Customer health, unit economics and margins."""
    p, usd_m = r.params, "USD per month"
    return [
        Node("health", "Customer health", "group", "hardware_revenue"),
        Node(
            "ltv",
            "Customer lifetime value",
            "input",
            "health",
            "USD per customer",
            value=float(unit_economics(r)["ltv"]),
        ),
        Node(
            "cac_payback",
            "CAC payback (sales cost / LTV)",
            "input",
            "health",
            "ratio",
            formula=Formula("ratio", ("sales_cost", "ltv")),
        ),
        Node(
            "sales_cost",
            "Sales cost per customer",
            "input",
            "cac_payback",
            "USD per customer",
            value=p.sales_cost_per_customer_usd,
        ),
        Node(
            "support_tickets",
            "Support tickets",
            "input",
            "health",
            "per 1K units per month",
            value=p.support_tickets_per_1k_units,
            observed=True,
        ),
        Node(
            "failure_rate",
            "Failure rate",
            "input",
            "health",
            "fraction per year",
            value=p.annual_failure_rate,
            observed=True,
        ),
        Node(
            "satisfaction",
            "Customer satisfaction",
            "input",
            "health",
            "fraction",
            value=p.customer_satisfaction,
            observed=True,
        ),
        Node("economics", "Unit economics", "group", "hardware_revenue"),
        Node(
            "cost_per_unit",
            "Cost per unit",
            "input",
            "economics",
            "USD per unit",
            formula=Formula("sum", ("manufacturing_cost", "rnd_per_unit")),
        ),
        Node(
            "manufacturing_cost",
            "Manufacturing cost",
            "input",
            "cost_per_unit",
            "USD per unit",
            value=r.at("manufacturing_cost_per_unit"),
        ),
        Node(
            "rnd_per_unit",
            "R&D per unit",
            "input",
            "cost_per_unit",
            "USD per unit",
            formula=Formula("ratio", ("rnd", "units_shipped")),
        ),
        Node(
            "revenue",
            "Total revenue",
            "input",
            "economics",
            usd_m,
            formula=Formula("sum", ("hardware_revenue", "software_revenue")),
        ),
        Node(
            "software_revenue", "Software revenue", "input", "revenue", usd_m, value=r.at("software_revenue")
        ),
        Node(
            "cogs",
            "Cost of revenue",
            "input",
            "economics",
            usd_m,
            formula=Formula("sum", ("manufacturing_cogs", "other_cogs")),
        ),
        Node(
            "manufacturing_cogs",
            "Manufacturing COGS",
            "input",
            "cogs",
            usd_m,
            formula=Formula("product", ("units_shipped", "manufacturing_cost")),
        ),
        Node(
            "other_cogs",
            "Software cost, write-downs",
            "input",
            "cogs",
            usd_m,
            value=r.at("software_cogs") + r.at("inventory_writedowns"),
        ),
        Node(
            "operating_margin",
            "Operating margin",
            "input",
            "economics",
            "fraction",
            formula=Formula("margin", ("revenue", "total_costs")),
        ),
        Node(
            "total_costs",
            "Total costs (COGS, R&D, opex)",
            "input",
            "operating_margin",
            usd_m,
            value=r.at("revenue") - r.at("operating_profit"),
        ),
    ]


def _leading_and_guardrail_nodes(r: AiHardwareResult) -> list[Node]:
    """Leading indicators and guardrails."""
    p = r.params
    return [
        Node("leading", "Leading indicators", "group", "hardware_revenue"),
        Node(
            "bookings",
            "Pipeline / bookings",
            "leading",
            "leading",
            "USD per month",
            f"Orders for shipment in {p.order_lead_months:g} months",
            value=r.at("bookings"),
        ),
        Node("rnd", "R&D investment", "leading", "leading", "USD per month", value=r.at("rnd")),
        Node(
            "partnerships",
            "Partnership announcements",
            "leading",
            "leading",
            "per quarter",
            value=p.partnership_announcements,
            observed=True,
        ),
        Node(
            "developer_growth",
            "Developer ecosystem growth",
            "leading",
            "leading",
            "fraction per year",
            value=p.developer_growth,
            observed=True,
        ),
        Node("guardrails", "Guardrails", "group", "hardware_revenue"),
        Node(
            "gross_margin",
            "Gross margin",
            "guardrail",
            "guardrails",
            "fraction",
            formula=Formula("margin", ("revenue", "cogs")),
            threshold=p.min_gross_margin,
            direction="min",
        ),
        Node(
            "inventory_months",
            "Inventory (months of supply)",
            "guardrail",
            "guardrails",
            "months",
            value=r.at("inventory") / r.at("manufacturing_cogs"),
            threshold=p.max_inventory_months,
            direction="max",
        ),
        Node(
            "top_customer_share",
            f"Top-{p.top_customers} customer share",
            "guardrail",
            "guardrails",
            "fraction",
            value=r.at("top_customer_share"),
            threshold=p.max_top_customer_share,
            direction="max",
        ),
        Node(
            "asp_erosion",
            "ASP erosion (competition)",
            "guardrail",
            "guardrails",
            "fraction per year",
            value=p.annual_asp_erosion,
            threshold=p.max_asp_erosion,
            direction="max",
        ),
    ]


def tree(r: AiHardwareResult) -> MetricTree:
    """The AI-hardware metric tree (seed 000 §3) for the snapshot month."""
    root = Node(
        "hardware_revenue",
        "Hardware revenue",
        "north_star",
        unit="USD per month",
        definition=f"Month {r.params.snapshot_month}",
        formula=Formula("product", ("units_shipped", "net_asp")),
    )
    nodes = [root, *_driver_nodes(r), *_health_and_economics_nodes(r), *_leading_and_guardrail_nodes(r)]
    return MetricTree("AI hardware model metrics", tuple(nodes)).evaluate()


def gross_margin(r: AiHardwareResult) -> float:
    """Gross margin in the snapshot month: (revenue − cost of revenue) / revenue (fraction)."""
    return r.at("gross_margin")


SPEC = ModelSpec(
    name="ai_hardware",
    title="AI hardware (accelerator chip vendor)",
    layer="infrastructure",
    params=AiHardwareParams,
    compute=compute,
    tree=tree,
    kpis=kpis,
    projection=projection,
    gross_margin=gross_margin,
    what_if=(
        "high_end_asp_usd",
        "high_end_unit_cost_usd",
        "annual_asp_erosion",
        "units_per_month",
        "annual_retention",
    ),
)
