"""Assumptions of the minimal subscription model: units, ranges, meanings and sources."""

from __future__ import annotations

from aibm_core.core.params import ANALYST, ProjectionParams, assumption, min_gross_margin_assumption

EXAMPLE = "illustrative SaaS figures for the walk-through (docs/adding-a-model.md)"


class MinimalSubscriptionParams(ProjectionParams):
    """Assumptions of a tiny subscription business (defaults: base scenario)."""

    initial_customers: float = assumption(
        1000.0, unit="customers", ge=0, le=1e8, meaning="Paying customers at the start", source=EXAMPLE
    )
    new_customers_per_month: float = assumption(
        200.0,
        unit="customers per month",
        ge=0,
        le=1e7,
        meaning="Customers won each month",
        source=EXAMPLE,
        base_range={"low": 120.0, "high": 300.0},
        range_source=f"{ANALYST}: a sales team's month-to-month spread",
    )
    monthly_churn: float = assumption(
        0.03,
        unit="fraction per month",
        ge=0,
        le=1,
        meaning="Share of customers who cancel each month",
        source=EXAMPLE,
        base_range={"low": 0.015, "high": 0.05},
        range_source=f"{ANALYST}: SMB subscription churn of 1.5-5% a month",
    )
    price_per_customer_usd: float = assumption(
        50.0,
        unit="USD per customer per month",
        gt=0,
        le=1e5,
        meaning="Subscription price",
        source=EXAMPLE,
        base_range={"low": 40.0, "high": 60.0},
        range_source=f"{ANALYST}: list price plus or minus discounting",
    )
    cost_per_customer_usd: float = assumption(
        10.0,
        unit="USD per customer per month",
        ge=0,
        le=1e5,
        meaning="Cost to serve one customer (hosting, inference, support)",
        source=EXAMPLE,
        base_range={"low": 6.0, "high": 16.0},
        range_source=f"{ANALYST}: inference cost per customer varies with usage",
    )
    cac_usd: float = assumption(
        400.0,
        unit="USD per customer",
        ge=0,
        le=1e7,
        meaning="Sales and marketing spend to win one customer",
        source=EXAMPLE,
        base_range={"low": 250.0, "high": 650.0},
        range_source=f"{ANALYST}: paid acquisition cost of self-serve SaaS",
    )
    fixed_opex_usd: float = assumption(
        20_000.0, unit="USD per month", ge=0, le=1e9, meaning="Salaries and overheads", source=EXAMPLE
    )
    max_monthly_churn: float = assumption(
        0.05,
        unit="fraction per month",
        ge=0,
        le=1,
        meaning="Guardrail: highest acceptable monthly churn",
        source=ANALYST,
        role="limit",
    )
    max_cac_payback_months: float = assumption(
        18.0,
        unit="months",
        gt=0,
        le=120,
        meaning="Guardrail: longest acceptable CAC payback on gross profit",
        source=ANALYST,
        role="limit",
    )
    min_gross_margin: float = min_gross_margin_assumption(0.6, ANALYST)
