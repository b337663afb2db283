"""Minimal subscription model: customers pay a monthly price and cost a monthly amount to serve.

Every function is a pure numpy function of the parameters, and any driver may be an array of
draws: the result then holds one row per draw (draws × months).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from aibm_core.core import finance
from aibm_core.core.numeric import ratio
from aibm_core.models.base import (
    Column,
    Metric,
    MonthlyResult,
    Statement,
    declare_columns,
    monthly_inputs,
    monthly_result,
)
from tests.minimal_subscription.params import MinimalSubscriptionParams


@dataclass(frozen=True)
class MinimalSubscriptionResult(MonthlyResult):
    """Monthly arrays (draws × months): customers, and money in USD per month."""

    params: MinimalSubscriptionParams
    months: np.ndarray
    customers: np.ndarray
    new_customers: np.ndarray
    revenue: np.ndarray
    cogs: np.ndarray
    gross_profit: np.ndarray
    acquisition_spend: np.ndarray
    fixed_opex: np.ndarray

    @property
    def gross_margin(self) -> np.ndarray:
        """Gross profit over revenue by month (fraction; NaN in a month without revenue)."""
        return ratio(self.gross_profit, self.revenue)

    @property
    def gross_profit_per_customer(self) -> np.ndarray:
        """Price less cost to serve (USD per customer per month)."""
        return ratio(self.gross_profit, self.customers)

    @property
    def cac_payback_months(self) -> np.ndarray:
        """CAC over a customer's monthly gross profit (months; ``inf`` when that is <= 0)."""
        return finance.payback_months(
            finance.along_months(self.params.cac_usd), self.gross_profit_per_customer
        )


def compute(p: MinimalSubscriptionParams) -> MinimalSubscriptionResult:
    """Project customers, revenue and costs month by month; any driver may be an array of draws."""
    months = finance.month_index(p.horizon_months)
    a = monthly_inputs(p)
    customers = finance.customers_over_time(
        p.initial_customers, p.new_customers_per_month, p.monthly_churn, months
    )
    revenue = customers * a["price_per_customer_usd"]
    cogs = customers * a["cost_per_customer_usd"]
    series = {
        "customers": customers,
        "new_customers": a["new_customers_per_month"],
        "revenue": revenue,
        "cogs": cogs,
        "gross_profit": revenue - cogs,
        "acquisition_spend": a["new_customers_per_month"] * a["cac_usd"],
        "fixed_opex": a["fixed_opex_usd"],
    }
    return monthly_result(MinimalSubscriptionResult, p, months, series)


def statement(r: MinimalSubscriptionResult) -> Statement:
    """The common monthly statement: no capex; volume is customers, the north star MRR."""
    return Statement(
        revenue=r.revenue,
        cost_of_revenue=r.cogs,
        operating_expenses=r.acquisition_spend + r.fixed_opex,
        capex=np.zeros_like(r.revenue),
        volume=r.customers,
        volume_label="Paying customers",
        volume_unit="customers",
        north_star=r.revenue,
        north_star_label="Monthly recurring revenue (MRR)",
        north_star_unit="USD per month",
        snapshot_month=int(r.params.snapshot_month),
    )


def kpis(r: MinimalSubscriptionResult) -> dict[str, Metric]:
    """Key figures of the snapshot month."""
    return {
        "mrr": Metric("Monthly recurring revenue (MRR)", r.at("revenue"), "USD per month"),
        "customers": Metric("Paying customers", r.at("customers"), "customers"),
        "gross_margin": Metric("Gross margin", r.at("gross_margin"), "fraction"),
        "cac_payback_months": Metric("CAC payback (on gross profit)", r.at("cac_payback_months"), "months"),
    }


#: Every projection column with its label and unit (read by tables, charts and exports).
PROJECTION_COLUMNS = {
    "customers": Column("Customers", "customers"),
    "revenue": Column("Revenue", "USD per month"),
    "cogs": Column("Cost of revenue", "USD per month"),
    "gross_profit": Column("Gross profit", "USD per month"),
    "gross_margin": Column("Gross margin", "fraction"),
}


def projection(r: MinimalSubscriptionResult) -> pd.DataFrame:
    """Monthly projection for scalar parameters, each column declared in :data:`PROJECTION_COLUMNS`."""
    frame = pd.DataFrame(
        {name: getattr(r, name) for name in PROJECTION_COLUMNS},
        index=pd.Index(r.months.astype(int), name="month"),
    )
    return declare_columns(frame, PROJECTION_COLUMNS, "minimal_subscription")
