"""AI infrastructure / GPU cloud: renting accelerator hours from an owned fleet.

Sources: seed 002 (GPU utilisation above 80% as the profitability target, revenue
per GPU-hour, annual customer retention above 95%, quarter-on-quarter capacity
growth, capex and obsolescence risk, power and cooling limits) and seed 003 (the
infrastructure layer is the capital-intensive, low-margin base of the pyramid;
compute leasing).

Margin definitions used throughout (all on revenue of the same period):

* **gross margin** = (revenue − depreciation − power − other data-centre opex) / revenue;
* **EBITDA margin** = (revenue − power − other data-centre opex) / revenue (site level:
  no corporate overhead is modelled);
* **margin after financing** = (revenue − full cost) / revenue, where the full cost also
  carries the interest on the debt that funds the capex. Financing sits below EBITDA
  and below gross margin.

Per installed GPU-hour the cost stack (depreciation, power, other opex, financing)
does not depend on utilisation; revenue per installed GPU-hour is the blended price
of a sold hour times utilisation. Break-even utilisation is therefore the
cost-before-financing per hour divided by the blended price.

Obsolescence is read conservatively: the prices of every installed GPU fall together
at ``annual_price_decline`` while capex per GPU stays fixed, and GPUs that wear out
are assumed replaced, so every installed GPU carries a depreciation charge (the
projection's capex column is expansion capex only).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pydantic import model_validator

from aibm_core import finance
from aibm_core.compute_cost import cost_per_m_tokens
from aibm_core.config import DAYS_PER_MONTH
from aibm_core.models.base import Metric, ModelSpec
from aibm_core.params import ModelParams, assumption
from aibm_core.tree import Formula, MetricTree, Node

SEED2 = "seed 002 (AI infrastructure)"
SEED3 = "seed 003 (revenue pyramid: compute leasing)"
ANALYST = "analyst assumption (base case)"

#: Hours in an average month (24 × 365.25 / 12 = 730.5).
HOURS_PER_MONTH = 24.0 * DAYS_PER_MONTH
#: Hours in an average year (8,766).
HOURS_PER_YEAR = 12.0 * HOURS_PER_MONTH
MIX_TOLERANCE = 1e-6
USD_H = "USD per GPU-hour"


class AiInfrastructureParams(ModelParams):
    """Assumptions of the GPU-cloud model (defaults: base scenario)."""

    # --- fleet and capital
    initial_gpus: float = assumption(
        20000.0, unit="GPUs", gt=0, le=1e8, meaning="GPUs installed and rentable in month 1", source=ANALYST
    )
    quarterly_capacity_growth: float = assumption(
        0.10,
        unit="fraction per quarter",
        ge=-0.5,
        le=2,
        meaning="Growth of the installed fleet each quarter (compounded monthly)",
        source=f"{SEED2}: capacity growth quarter over quarter ({ANALYST})",
    )
    capex_per_gpu_usd: float = assumption(
        35000.0,
        unit="USD per GPU",
        gt=0,
        le=1e6,
        meaning="Capex per GPU incl. its share of server, network, storage and building",
        source=f"{SEED3}: capital-intensive; H100 HGX servers, 2024-25: about $30-40K per GPU all-in",
    )
    useful_life_years: float = assumption(
        5.0,
        unit="years",
        ge=1,
        le=10,
        meaning="Depreciation life of a GPU before it is obsolete (straight line)",
        source=f"{SEED2}: obsolescence risk; GPU clouds and hyperscalers depreciate over 5-6 years (2024)",
    )
    annual_financing_rate: float = assumption(
        0.10,
        unit="fraction per year",
        ge=0,
        le=0.5,
        meaning="Interest rate on the debt funding the capex (level-payment loan over the useful life)",
        source="analyst assumption; GPU-backed loans of specialist clouds, 2024: roughly 9-14% per year",
    )
    # --- power and data centre
    power_kw_per_gpu: float = assumption(
        1.2,
        unit="kW per GPU",
        gt=0,
        le=10,
        meaning="IT power drawn per GPU incl. its share of CPU, memory and network",
        source="NVIDIA H100 SXM, 2023: 0.7 kW per GPU; DGX H100 about 10.2 kW per 8 GPUs",
    )
    pue: float = assumption(
        1.3,
        unit="ratio",
        ge=1,
        le=3,
        meaning="Power usage effectiveness: facility power / IT power (cooling overhead)",
        source=f"{SEED2}: power and cooling; modern data centres, 2024: PUE about 1.2-1.4",
    )
    electricity_usd_per_kwh: float = assumption(
        0.08,
        unit="USD per kWh",
        ge=0,
        le=1,
        meaning="Price of electricity delivered to the site",
        source="US EIA, 2024: average industrial electricity price about $0.08 per kWh",
    )
    dc_opex_per_gpu_month_usd: float = assumption(
        200.0,
        unit="USD per GPU per month",
        ge=0,
        le=1e5,
        meaning="Other data-centre opex per GPU: space, network, staff, maintenance, insurance",
        source=ANALYST,
    )
    # --- demand and prices
    utilisation: float = assumption(
        0.75,
        unit="fraction",
        gt=0,
        le=1,
        meaning="Sold share of installed GPU-hours",
        source=f"{SEED2}: GPU utilisation ({ANALYST})",
    )
    on_demand_price_per_gpu_hour: float = assumption(
        2.99,
        unit=USD_H,
        ge=0,
        le=100,
        meaning="List price of an on-demand H100-class GPU-hour",
        source="H100 on-demand at GPU clouds, 2025: about $2-3.5 per GPU-hour (e.g. Lambda $2.99)",
    )
    reserved_price_per_gpu_hour: float = assumption(
        2.20,
        unit=USD_H,
        ge=0,
        le=100,
        meaning="Price of a GPU-hour under a reserved / multi-year contract",
        source=f"{SEED2}: long-term contracts; 2025 multi-year H100 reservations about $1.9-2.4 per GPU-hour",
    )
    spot_price_per_gpu_hour: float = assumption(
        1.60, unit=USD_H, ge=0, le=100, meaning="Price of an interruptible (spot) GPU-hour", source=ANALYST
    )
    on_demand_share: float = assumption(
        0.25, unit="fraction", ge=0, le=1, meaning="Share of sold GPU-hours billed on demand", source=ANALYST
    )
    reserved_share: float = assumption(
        0.65,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Share of sold GPU-hours billed under reserved contracts",
        source=f"{SEED2}: long-term contracts give revenue visibility ({ANALYST})",
    )
    spot_share: float = assumption(
        0.10,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Share of sold GPU-hours billed at spot prices",
        source=ANALYST,
    )
    annual_price_decline: float = assumption(
        0.10,
        unit="fraction per year",
        ge=0,
        lt=1,
        meaning="Yearly fall of GPU-hour prices as newer GPU generations arrive",
        source=f"{SEED2}: GPU generations change rapidly ({ANALYST})",
    )
    contract_term_months: float = assumption(
        24.0,
        unit="months",
        ge=0,
        le=120,
        meaning="Average length of a reserved contract (drives the contracted backlog)",
        source=ANALYST,
    )
    annual_retention: float = assumption(
        0.96,
        unit="fraction per year",
        ge=0,
        le=1,
        meaning="Share of customers (and their GPU demand) still buying a year later",
        source=f"{SEED2}: retention above 95% a year (moving workloads between clouds is costly)",
    )
    # --- compute-cost bridge
    tokens_per_second_per_gpu: float = assumption(
        1000.0,
        unit="tokens per second per GPU",
        gt=0,
        le=1e6,
        meaning="Throughput of one busy GPU serving an open ~70B model (batched, blended in/out)",
        source=ANALYST,
    )
    # --- horizon and observation
    horizon_months: int = assumption(
        60, unit="months", ge=12, le=120, meaning="Length of the monthly projection", source="-"
    )
    snapshot_month: int = assumption(
        12,
        unit="month",
        ge=1,
        le=120,
        meaning="Month the metric tree and unit economics describe",
        source="-",
    )
    secured_power_mw: float = assumption(
        60.0,
        unit="MW",
        ge=0,
        le=1e5,
        meaning="Observed facility power contracted and available to the fleet",
        source=f"{SEED2}: power and cooling constraints limit expansion ({ANALYST})",
    )
    pipeline_gpus: float = assumption(
        8000.0,
        unit="GPUs",
        ge=0,
        le=1e8,
        meaning="Observed GPUs requested by prospects in the sales pipeline",
        source=ANALYST,
    )
    # --- guardrail limits
    min_utilisation: float = assumption(
        0.80,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Guardrail: lowest acceptable utilisation",
        source=f"{SEED2}: >80% target for profitability",
    )
    min_annual_retention: float = assumption(
        0.95,
        unit="fraction per year",
        ge=0,
        le=1,
        meaning="Guardrail: lowest acceptable annual customer retention",
        source=f"{SEED2}: >95% annual",
    )

    @model_validator(mode="after")
    def _consistent(self) -> AiInfrastructureParams:
        total = self.on_demand_share + self.reserved_share + self.spot_share
        if abs(total - 1.0) > MIX_TOLERANCE:
            raise ValueError(
                "contract mix must sum to 1: on_demand_share + reserved_share + spot_share = "
                f"{self.on_demand_share:g} + {self.reserved_share:g} + {self.spot_share:g} = {total:g}"
            )
        if self.snapshot_month > self.horizon_months:
            raise ValueError(
                f"snapshot_month ({self.snapshot_month}) must not exceed "
                f"horizon_months ({self.horizon_months})"
            )
        return self


@dataclass(frozen=True)
class AiInfrastructureResult:
    """Monthly arrays (shape: draws × months).

    Prices and costs ending in ``_per_hour`` are USD per GPU-hour (sold hours for
    prices, installed hours for costs); fleet money flows are USD per month.
    """

    params: AiInfrastructureParams
    months: np.ndarray
    installed_gpus: np.ndarray
    added_gpus: np.ndarray
    installed_gpu_hours: np.ndarray
    sold_gpu_hours: np.ndarray
    on_demand_price: np.ndarray
    reserved_price: np.ndarray
    spot_price: np.ndarray
    revenue_per_sold_hour: np.ndarray
    depreciation_per_hour: np.ndarray
    power_per_hour: np.ndarray
    dc_opex_per_hour: np.ndarray
    financing_per_hour: np.ndarray
    on_demand_revenue: np.ndarray
    reserved_revenue: np.ndarray
    spot_revenue: np.ndarray
    revenue: np.ndarray
    depreciation: np.ndarray
    power_cost: np.ndarray
    dc_opex: np.ndarray
    financing_cost: np.ndarray
    expansion_capex: np.ndarray
    fleet_power_mw: np.ndarray
    contracted_backlog: np.ndarray
    gpus_to_place: np.ndarray
    implied_price_per_m_tokens: np.ndarray
    fleet_cost_per_m_tokens: np.ndarray

    def at(self, name: str) -> np.ndarray | float:
        """Value of a monthly series in the snapshot month."""
        series = np.asarray(getattr(self, name))
        value = series[..., int(self.params.snapshot_month) - 1]
        return float(value) if np.ndim(value) == 0 else value

    @property
    def revenue_per_installed_hour(self) -> np.ndarray:
        """Blended price × utilisation (USD per installed GPU-hour)."""
        return self.revenue / self.installed_gpu_hours

    @property
    def cash_cost_per_hour(self) -> np.ndarray:
        """Power plus other data-centre opex (USD per installed GPU-hour)."""
        return self.power_per_hour + self.dc_opex_per_hour

    @property
    def cost_before_financing_per_hour(self) -> np.ndarray:
        """Depreciation plus cash operating cost (USD per installed GPU-hour)."""
        return self.depreciation_per_hour + self.cash_cost_per_hour

    @property
    def cost_per_hour(self) -> np.ndarray:
        """Full cost stack incl. financing (USD per installed GPU-hour)."""
        return self.cost_before_financing_per_hour + self.financing_per_hour

    @property
    def cost_stack_total(self) -> np.ndarray:
        """Fleet cost: depreciation + power + other opex + financing (USD per month)."""
        return self.depreciation + self.power_cost + self.dc_opex + self.financing_cost

    @property
    def gross_profit(self) -> np.ndarray:
        """Revenue − depreciation − power − other opex (USD per month)."""
        return self.revenue - self.depreciation - self.power_cost - self.dc_opex

    @property
    def ebitda(self) -> np.ndarray:
        """Site-level EBITDA: revenue − power − other opex (USD per month)."""
        return self.revenue - self.power_cost - self.dc_opex

    @property
    def profit_after_financing(self) -> np.ndarray:
        """Revenue − full cost stack (USD per month)."""
        return self.revenue - self.cost_stack_total

    @property
    def gross_margin(self) -> np.ndarray:
        """Gross profit / revenue (fraction)."""
        return self.gross_profit / self.revenue

    @property
    def ebitda_margin(self) -> np.ndarray:
        """EBITDA / revenue (fraction)."""
        return self.ebitda / self.revenue

    @property
    def margin_after_financing(self) -> np.ndarray:
        """Profit after financing / revenue (fraction)."""
        return self.profit_after_financing / self.revenue

    @property
    def break_even_utilisation(self) -> np.ndarray:
        """Utilisation at which the gross margin is zero (fraction; above 1 means never)."""
        return self.cost_before_financing_per_hour / self.revenue_per_sold_hour

    @property
    def break_even_utilisation_full(self) -> np.ndarray:
        """Utilisation at which the margin after financing is zero (fraction)."""
        return self.cost_per_hour / self.revenue_per_sold_hour

    @property
    def ebitda_per_gpu_month(self) -> np.ndarray:
        """Monthly cash contribution of one installed GPU (USD per GPU per month)."""
        return (self.revenue_per_installed_hour - self.cash_cost_per_hour) * HOURS_PER_MONTH

    @property
    def capex_payback_months(self) -> np.ndarray:
        """Capex per GPU / monthly cash contribution per GPU (months; inf if none)."""
        return finance.payback_months(
            finance.along_months(self.params.capex_per_gpu_usd), self.ebitda_per_gpu_month
        )


def blended_price(
    on_demand: np.ndarray, reserved: np.ndarray, spot: np.ndarray, p: AiInfrastructureParams
) -> np.ndarray:
    """Price of a sold GPU-hour weighted by the contract mix (USD per GPU-hour)."""
    m = finance.along_months
    return m(p.on_demand_share) * on_demand + m(p.reserved_share) * reserved + m(p.spot_share) * spot


def cost_stack_per_hour(p: AiInfrastructureParams) -> dict[str, np.ndarray]:
    """Cost of one installed GPU-hour by component (USD per GPU-hour; months-independent).

    Depreciation is straight line over the useful life; power is IT power × PUE ×
    electricity price; other opex is spread over the hours of a month; financing is
    the average interest of a level-payment loan for the capex over the useful life
    (instalment − capex / life).
    """
    capex = np.asarray(p.capex_per_gpu_usd, dtype=float)
    life_months = 12.0 * np.asarray(p.useful_life_years, dtype=float)
    depreciation = finance.straight_line(capex, life_months)
    instalment = finance.level_payment(capex, finance.monthly_rate(p.annual_financing_rate), life_months)
    return {
        "depreciation": depreciation / HOURS_PER_MONTH,
        "power": np.asarray(p.power_kw_per_gpu) * np.asarray(p.pue) * np.asarray(p.electricity_usd_per_kwh),
        "dc_opex": np.asarray(p.dc_opex_per_gpu_month_usd, dtype=float) / HOURS_PER_MONTH,
        "financing": (instalment - depreciation) / HOURS_PER_MONTH,
    }


def fleet(p: AiInfrastructureParams, months: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Installed GPUs by month and GPUs added that month (none in month 1).

    The fleet grows by ``quarterly_capacity_growth`` per quarter, compounded monthly:
    ``G_t = G_1 (1 + g_q)^((t - 1) / 3)``.
    """
    monthly_growth = (1.0 + np.asarray(p.quarterly_capacity_growth, dtype=float)) ** (1.0 / 3.0) - 1.0
    gpus = finance.along_months(p.initial_gpus) * finance.growth_factor(monthly_growth, months)
    return gpus, np.diff(gpus, axis=-1, prepend=gpus[..., :1])


def compute(p: AiInfrastructureParams) -> AiInfrastructureResult:
    """Project the GPU cloud month by month; any numeric assumption may be an array."""
    m = finance.along_months
    months = finance.month_index(p.horizon_months)
    gpus, added = fleet(p, months)
    installed_hours = gpus * HOURS_PER_MONTH
    u = m(p.utilisation)
    sold_hours = installed_hours * u
    level = finance.annual_decline_factor(p.annual_price_decline, months)
    prices = {k: m(getattr(p, f"{k}_price_per_gpu_hour")) * level for k in ("on_demand", "reserved", "spot")}
    price = blended_price(prices["on_demand"], prices["reserved"], prices["spot"], p)
    revenue_by_type = {k: sold_hours * m(getattr(p, f"{k}_share")) * prices[k] for k in prices}
    stack = {k: m(v) for k, v in cost_stack_per_hour(p).items()}
    draws = np.broadcast_shapes(*(np.shape(getattr(p, name)) for name in type(p).model_fields))
    shape = (*draws, months.size)

    def full(x: np.ndarray) -> np.ndarray:
        return np.broadcast_to(x, shape)

    cost_per_hour = sum(stack.values())
    monthly_churn = 1.0 - m(p.annual_retention) ** (1.0 / 12.0)
    tps = m(p.tokens_per_second_per_gpu)
    return AiInfrastructureResult(
        params=p,
        months=months,
        installed_gpus=full(gpus),
        added_gpus=full(added),
        installed_gpu_hours=full(installed_hours),
        sold_gpu_hours=full(sold_hours),
        on_demand_price=full(prices["on_demand"]),
        reserved_price=full(prices["reserved"]),
        spot_price=full(prices["spot"]),
        revenue_per_sold_hour=full(price),
        depreciation_per_hour=full(stack["depreciation"]),
        power_per_hour=full(stack["power"]),
        dc_opex_per_hour=full(stack["dc_opex"]),
        financing_per_hour=full(stack["financing"]),
        on_demand_revenue=full(revenue_by_type["on_demand"]),
        reserved_revenue=full(revenue_by_type["reserved"]),
        spot_revenue=full(revenue_by_type["spot"]),
        revenue=full(sold_hours * price),
        depreciation=full(installed_hours * stack["depreciation"]),
        power_cost=full(installed_hours * stack["power"]),
        dc_opex=full(installed_hours * stack["dc_opex"]),
        financing_cost=full(installed_hours * stack["financing"]),
        expansion_capex=full(added * m(p.capex_per_gpu_usd)),
        fleet_power_mw=full(gpus * m(p.power_kw_per_gpu) * m(p.pue) / 1000.0),
        contracted_backlog=full(revenue_by_type["reserved"] * m(p.contract_term_months) / 2.0),
        gpus_to_place=full(gpus * u * monthly_churn + added * u),
        implied_price_per_m_tokens=full(cost_per_m_tokens(price, tps, 1.0)),
        fleet_cost_per_m_tokens=full(cost_per_m_tokens(cost_per_hour, tps, u)),
    )


def power_runway_months(r: AiInfrastructureResult) -> np.ndarray | float:
    """Months from month 1 until the fleet's facility power exceeds the secured power.

    Closed form of ``P_1 (1 + g_m)^t = S``: ``ln(S / P_1) / ln(1 + g_m)``; ``inf`` when
    the fleet does not grow and fits, 0 when it does not fit even in month 1.
    """
    p = r.params
    first = np.asarray(r.fleet_power_mw)[..., 0]
    secured = np.asarray(p.secured_power_mw, dtype=float)
    growth = np.log1p(np.asarray(p.quarterly_capacity_growth, dtype=float)) / 3.0
    with np.errstate(divide="ignore", invalid="ignore"):
        runway = np.log(secured / first) / np.where(growth > 0, growth, 1.0)
    out = np.where(secured < first, 0.0, np.where(growth > 0, runway, np.inf))
    return float(out) if np.ndim(out) == 0 else out


def kpis(r: AiInfrastructureResult) -> dict[str, Metric]:
    """Key figures of the snapshot month."""
    usd_m = "USD per 1M tokens"
    return {
        "revenue": Metric("GPU-cloud revenue (monthly)", r.at("revenue"), "USD per month"),
        "arr": Metric("Revenue run-rate", 12 * r.at("revenue"), "USD per year"),
        "installed_gpus": Metric("Installed GPUs", r.at("installed_gpus"), "GPUs"),
        "revenue_per_sold_hour": Metric(
            "Revenue per sold GPU-hour (blended)", r.at("revenue_per_sold_hour"), USD_H
        ),
        "revenue_per_installed_hour": Metric(
            "Revenue per installed GPU-hour", r.at("revenue_per_installed_hour"), USD_H
        ),
        "cost_per_hour": Metric("Full cost per installed GPU-hour", r.at("cost_per_hour"), USD_H),
        "depreciation_per_hour": Metric("  of which depreciation", r.at("depreciation_per_hour"), USD_H),
        "power_per_hour": Metric("  of which power", r.at("power_per_hour"), USD_H),
        "dc_opex_per_hour": Metric("  of which other data-centre opex", r.at("dc_opex_per_hour"), USD_H),
        "financing_per_hour": Metric("  of which financing", r.at("financing_per_hour"), USD_H),
        "gross_margin": Metric("Gross margin (after depreciation)", r.at("gross_margin"), "fraction"),
        "ebitda_margin": Metric("EBITDA margin (site level)", r.at("ebitda_margin"), "fraction"),
        "margin_after_financing": Metric(
            "Margin after financing", r.at("margin_after_financing"), "fraction"
        ),
        "break_even_utilisation": Metric(
            "Break-even utilisation (gross margin = 0)", r.at("break_even_utilisation"), "fraction"
        ),
        "break_even_utilisation_full": Metric(
            "Break-even utilisation (incl. financing)", r.at("break_even_utilisation_full"), "fraction"
        ),
        "ebitda_per_gpu_month": Metric(
            "Cash contribution per GPU", r.at("ebitda_per_gpu_month"), "USD per GPU per month"
        ),
        "capex_payback_months": Metric("Capex payback", r.at("capex_payback_months"), "months"),
        "implied_price_per_m_tokens": Metric(
            "Price per 1M tokens implied by the GPU-hour price", r.at("implied_price_per_m_tokens"), usd_m
        ),
        "fleet_cost_per_m_tokens": Metric(
            "Cost per 1M tokens on the fleet", r.at("fleet_cost_per_m_tokens"), usd_m
        ),
        "gpus_to_place": Metric(
            "GPUs to place with customers (churn + new capacity)", r.at("gpus_to_place"), "GPUs per month"
        ),
        "contracted_backlog": Metric("Contracted backlog (reserved)", r.at("contracted_backlog"), "USD"),
        "fleet_power_mw": Metric("Facility power drawn", r.at("fleet_power_mw"), "MW"),
        "power_runway_months": Metric(
            "Months until secured power runs out", power_runway_months(r), "months"
        ),
    }


def projection(r: AiInfrastructureResult) -> pd.DataFrame:
    """Monthly projection for scalar parameters (USD per month unless named otherwise)."""
    return pd.DataFrame(
        {
            "installed_gpus": r.installed_gpus,
            "sold_gpu_hours_m": r.sold_gpu_hours / 1e6,
            "revenue_per_sold_hour": r.revenue_per_sold_hour,
            "revenue_per_installed_hour": r.revenue_per_installed_hour,
            "cost_per_hour": r.cost_per_hour,
            "on_demand_revenue": r.on_demand_revenue,
            "reserved_revenue": r.reserved_revenue,
            "spot_revenue": r.spot_revenue,
            "revenue": r.revenue,
            "power_cost": r.power_cost,
            "dc_opex": r.dc_opex,
            "ebitda": r.ebitda,
            "depreciation": r.depreciation,
            "gross_profit": r.gross_profit,
            "financing_cost": r.financing_cost,
            "profit_after_financing": r.profit_after_financing,
            "expansion_capex": r.expansion_capex,
            "gross_margin": r.gross_margin,
            "ebitda_margin": r.ebitda_margin,
            "fleet_power_mw": r.fleet_power_mw,
            "arr": 12 * r.revenue,
        },
        index=pd.Index(r.months.astype(int), name="month"),
    )


def _revenue_nodes(r: AiInfrastructureResult) -> list[Node]:
    p = r.params
    nodes = [
        Node("revenue_drivers", "Revenue drivers", "group", "revenue"),
        Node(
            "revenue_per_sold_hour",
            "Revenue per sold GPU-hour",
            "input",
            "revenue_drivers",
            USD_H,
            "Blended: contract prices weighted by their share of sold hours",
            formula=Formula("sum", ("on_demand_rate", "reserved_rate", "spot_rate")),
        ),
        Node(
            "revenue_per_installed_hour",
            "Revenue per installed GPU-hour",
            "input",
            "revenue_drivers",
            USD_H,
            formula=Formula("product", ("revenue_per_sold_hour", "utilisation")),
        ),
    ]
    for key, label in (("on_demand", "On-demand"), ("reserved", "Reserved"), ("spot", "Spot")):
        nodes += [
            Node(
                f"{key}_rate",
                f"{label}",
                "input",
                "revenue_per_sold_hour",
                USD_H,
                formula=Formula("product", (f"{key}_share", f"{key}_price")),
            ),
            Node(
                f"{key}_share",
                f"{label} share",
                "input",
                f"{key}_rate",
                "fraction",
                value=getattr(p, f"{key}_share"),
            ),
            Node(f"{key}_price", f"{label} price", "input", f"{key}_rate", USD_H, value=r.at(f"{key}_price")),
        ]
    return nodes


def _cost_nodes(r: AiInfrastructureResult) -> list[Node]:
    p = r.params
    return [
        Node("unit_economics", "Unit economics (per installed GPU-hour)", "group", "revenue"),
        Node(
            "cost_per_hour",
            "Full cost per installed GPU-hour",
            "input",
            "unit_economics",
            USD_H,
            formula=Formula("sum", ("cost_before_financing", "financing_per_hour")),
        ),
        Node(
            "cost_before_financing",
            "Cost before financing",
            "input",
            "cost_per_hour",
            USD_H,
            formula=Formula("sum", ("depreciation_per_hour", "cash_cost_per_hour")),
        ),
        Node(
            "depreciation_per_hour",
            "Depreciation",
            "input",
            "cost_before_financing",
            USD_H,
            formula=Formula("ratio", ("capex_per_gpu", "useful_life"), 1.0 / HOURS_PER_YEAR),
        ),
        Node(
            "capex_per_gpu",
            "Capex per GPU",
            "input",
            "depreciation_per_hour",
            "USD per GPU",
            value=p.capex_per_gpu_usd,
        ),
        Node(
            "useful_life", "Useful life", "input", "depreciation_per_hour", "years", value=p.useful_life_years
        ),
        Node(
            "cash_cost_per_hour",
            "Operating cash cost",
            "input",
            "cost_before_financing",
            USD_H,
            formula=Formula("sum", ("power_per_hour", "dc_opex_per_hour")),
        ),
        Node(
            "power_per_hour",
            "Power and cooling",
            "input",
            "cash_cost_per_hour",
            USD_H,
            formula=Formula("product", ("power_kw", "pue", "electricity_price")),
        ),
        Node(
            "power_kw", "IT power per GPU", "input", "power_per_hour", "kW per GPU", value=p.power_kw_per_gpu
        ),
        Node("pue", "PUE", "input", "power_per_hour", "ratio", value=p.pue),
        Node(
            "electricity_price",
            "Electricity price",
            "input",
            "power_per_hour",
            "USD per kWh",
            value=p.electricity_usd_per_kwh,
        ),
        Node(
            "dc_opex_per_hour",
            "Other data-centre opex",
            "input",
            "cash_cost_per_hour",
            USD_H,
            formula=Formula("ratio", ("dc_opex_month", "hours_per_month")),
        ),
        Node(
            "dc_opex_month",
            "Other opex per GPU",
            "input",
            "dc_opex_per_hour",
            "USD per GPU per month",
            value=p.dc_opex_per_gpu_month_usd,
        ),
        Node(
            "financing_per_hour",
            "Financing",
            "input",
            "cost_per_hour",
            USD_H,
            "Average interest on the capex loan",
            value=r.at("financing_per_hour"),
        ),
        Node(
            "gross_margin",
            "Gross margin",
            "input",
            "unit_economics",
            "fraction",
            "After depreciation, before financing",
            formula=Formula("margin", ("revenue_per_installed_hour", "cost_before_financing")),
        ),
        Node(
            "ebitda_margin",
            "EBITDA margin",
            "input",
            "unit_economics",
            "fraction",
            formula=Formula("margin", ("revenue_per_installed_hour", "cash_cost_per_hour")),
        ),
        Node(
            "break_even_utilisation",
            "Break-even utilisation",
            "input",
            "unit_economics",
            "fraction",
            "Gross margin = 0",
            formula=Formula("ratio", ("cost_before_financing", "revenue_per_sold_hour")),
        ),
        Node(
            "ebitda_per_gpu_month",
            "Cash contribution per GPU",
            "input",
            "unit_economics",
            "USD per GPU per month",
            formula=Formula(
                "difference", ("revenue_per_installed_hour", "cash_cost_per_hour"), HOURS_PER_MONTH
            ),
        ),
    ]


def _capacity_and_bridge_nodes(r: AiInfrastructureResult) -> list[Node]:
    p = r.params
    usd_m = "USD per 1M tokens"
    return [
        Node("capacity", "Capacity", "group", "revenue"),
        Node("installed_gpus", "Installed GPUs", "input", "capacity", "GPUs", value=r.at("installed_gpus")),
        Node("hours_per_month", "Hours per month", "input", "capacity", "hours", value=HOURS_PER_MONTH),
        Node("bridge", "Compute-cost bridge", "group", "revenue"),
        Node(
            "tokens_per_second",
            "Tokens per second per GPU",
            "input",
            "bridge",
            "tokens per second",
            value=p.tokens_per_second_per_gpu,
        ),
        Node(
            "tokens_per_installed_hour",
            "Tokens per installed GPU-hour",
            "input",
            "bridge",
            "tokens per hour",
            formula=Formula("product", ("tokens_per_second", "utilisation"), 3600.0),
        ),
        Node(
            "implied_price_per_m_tokens",
            "Implied price per 1M tokens",
            "input",
            "bridge",
            usd_m,
            "GPU-hour price of a fully busy GPU",
            formula=Formula("ratio", ("revenue_per_sold_hour", "tokens_per_second"), 1e6 / 3600.0),
        ),
        Node(
            "fleet_cost_per_m_tokens",
            "Cost per 1M tokens on the fleet",
            "input",
            "bridge",
            usd_m,
            formula=Formula("ratio", ("cost_per_hour", "tokens_per_installed_hour"), 1e6),
        ),
    ]


def _leading_and_guardrail_nodes(r: AiInfrastructureResult) -> list[Node]:
    p = r.params
    return [
        Node("leading", "Leading indicators", "group", "revenue"),
        Node(
            "capacity_growth",
            "Capacity growth (QoQ)",
            "leading",
            "leading",
            "fraction per quarter",
            value=p.quarterly_capacity_growth,
        ),
        Node(
            "contracted_backlog",
            "Contracted backlog",
            "leading",
            "leading",
            "USD",
            "Reserved revenue × half the contract term",
            value=r.at("contracted_backlog"),
        ),
        Node(
            "pipeline_gpus",
            "Sales pipeline",
            "leading",
            "leading",
            "GPUs",
            value=p.pipeline_gpus,
            observed=True,
        ),
        Node(
            "secured_power",
            "Secured facility power",
            "leading",
            "leading",
            "MW",
            value=p.secured_power_mw,
            observed=True,
        ),
        Node("guardrails", "Guardrails", "group", "revenue"),
        Node(
            "utilisation",
            "GPU utilisation",
            "guardrail",
            "guardrails",
            "fraction",
            value=p.utilisation,
            threshold=p.min_utilisation,
            direction="min",
        ),
        Node(
            "retention",
            "Customer retention (annual)",
            "guardrail",
            "guardrails",
            "fraction per year",
            value=p.annual_retention,
            threshold=p.min_annual_retention,
            direction="min",
        ),
        Node(
            "capex_payback",
            "Capex payback",
            "guardrail",
            "guardrails",
            "months",
            "Limit: useful life",
            formula=Formula("ratio", ("capex_per_gpu", "ebitda_per_gpu_month")),
            threshold=12.0 * p.useful_life_years,
            direction="max",
        ),
        Node(
            "fleet_power",
            "Facility power drawn",
            "guardrail",
            "guardrails",
            "MW",
            "Limit: secured power",
            formula=Formula("product", ("installed_gpus", "power_kw", "pue"), 1e-3),
            threshold=p.secured_power_mw,
            direction="max",
        ),
    ]


def tree(r: AiInfrastructureResult) -> MetricTree:
    """The GPU-cloud metric tree (seed 002's key metrics) for the snapshot month."""
    root = Node(
        "revenue",
        "GPU-cloud revenue (monthly)",
        "north_star",
        unit="USD per month",
        definition=f"Month {r.params.snapshot_month}",
        formula=Formula(
            "product", ("installed_gpus", "hours_per_month", "utilisation", "revenue_per_sold_hour")
        ),
    )
    nodes = [
        root,
        *_revenue_nodes(r),
        *_cost_nodes(r),
        *_capacity_and_bridge_nodes(r),
        *_leading_and_guardrail_nodes(r),
    ]
    return MetricTree("AI infrastructure / GPU cloud metrics", tuple(nodes)).evaluate()


def gross_margin(r: AiInfrastructureResult) -> float:
    """Gross margin in the snapshot month (fraction, after depreciation, before financing)."""
    return r.at("gross_margin")


SPEC = ModelSpec(
    name="ai_infrastructure",
    title="AI infrastructure / GPU cloud",
    layer="infrastructure",
    params=AiInfrastructureParams,
    compute=compute,
    tree=tree,
    kpis=kpis,
    projection=projection,
    gross_margin=gross_margin,
    what_if=(
        "utilisation",
        "reserved_price_per_gpu_hour",
        "capex_per_gpu_usd",
        "useful_life_years",
        "electricity_usd_per_kwh",
    ),
)
