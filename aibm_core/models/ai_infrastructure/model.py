"""Computation of the AI infrastructure / GPU cloud model: vectorised projection, unit economics and KPIs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from aibm_core import finance
from aibm_core.compute_cost import cost_per_m_tokens
from aibm_core.models.ai_infrastructure.params import HOURS_PER_MONTH, USD_H, AiInfrastructureParams
from aibm_core.models.base import Metric, MonthlyResult


@dataclass(frozen=True)
class AiInfrastructureResult(MonthlyResult):
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
