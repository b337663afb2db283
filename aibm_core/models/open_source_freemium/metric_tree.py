"""The metric tree of the open-source freemium model (seed 000 §4), built from a computed result."""

from __future__ import annotations

import numpy as np

from aibm_core.models.open_source_freemium.model import OpenSourceFreemiumResult
from aibm_core.tree import Formula, MetricTree, Node, gross_margin_floor

USD_M = "USD per month"
USD_SEAT = "USD per seat per month"


def _revenue_nodes(r: OpenSourceFreemiumResult) -> list[Node]:
    """ARR by stream: each a product of its volume and its price."""
    p, at = r.params, r.at
    return [
        Node("revenue_drivers", "Revenue drivers", "group", "arr"),
        Node(
            "individual_arr",
            "Individual plans ARR",
            "input",
            "revenue_drivers",
            "USD per year",
            formula=Formula("product", ("individual_seats", "individual_price"), 12.0),
        ),
        Node(
            "individual_seats",
            "Individual paid seats",
            "input",
            "individual_arr",
            "seats",
            value=at("individual_seats"),
        ),
        Node(
            "individual_price",
            "Individual plan price",
            "input",
            "individual_arr",
            USD_SEAT,
            value=p.individual_price_usd,
        ),
        Node(
            "org_arr",
            "Organisation plans ARR",
            "input",
            "revenue_drivers",
            "USD per year",
            formula=Formula("product", ("org_seats", "org_seat_price"), 12.0),
        ),
        Node("org_seats", "Organisation seats", "input", "org_arr", "seats", value=at("org_seats")),
        Node(
            "org_seat_price",
            "Organisation seat price",
            "input",
            "org_arr",
            USD_SEAT,
            value=p.org_seat_price_usd,
        ),
        Node(
            "enterprise_arr",
            "Enterprise subscriptions ARR",
            "input",
            "revenue_drivers",
            "USD per year",
            "Private hosting, support and SLAs at a custom price",
            formula=Formula("product", ("enterprise_contracts", "enterprise_acv")),
        ),
        Node(
            "enterprise_contracts",
            "Enterprise contracts",
            "input",
            "enterprise_arr",
            "contracts",
            "Signed contracts billing in the month: wins arrive after the sales cycle",
            value=at("enterprise_contracts"),
        ),
        Node(
            "enterprise_acv",
            "Annual contract value",
            "input",
            "enterprise_arr",
            "USD per contract per year",
            value=p.enterprise_acv_usd,
        ),
        Node(
            "api_arr",
            "Usage-based API ARR (open weights + API)",
            "input",
            "revenue_drivers",
            "USD per year",
            formula=Formula("product", ("api_customers", "api_tokens", "api_price"), 12.0),
        ),
        Node("api_customers", "API customers", "input", "api_arr", "customers", value=at("api_customers")),
        Node(
            "api_tokens",
            "Tokens per API customer",
            "input",
            "api_arr",
            "M tokens per customer per month",
            value=p.api_tokens_per_customer_m,
        ),
        Node(
            "api_price",
            "API price per 1M tokens",
            "input",
            "api_arr",
            "USD per 1M tokens",
            "Falls every year with competition from other open models and hosts",
            value=at("api_price_per_m"),
        ),
        Node(
            "services_revenue",
            "Support and consulting revenue (not in ARR)",
            "input",
            "revenue_drivers",
            USD_M,
            value=at("services_revenue"),
        ),
    ]


def _adoption_nodes(r: OpenSourceFreemiumResult) -> list[Node]:
    """The community funnel: downloads -> signups -> active users -> paid seats."""
    p, at = r.params, r.at
    return [
        Node("adoption", "Community adoption", "group", "arr"),
        Node(
            "downloads", "Model downloads", "input", "adoption", "downloads per month", value=at("downloads")
        ),
        Node(
            "signups",
            "Developer signups",
            "input",
            "adoption",
            "signups per month",
            formula=Formula("product", ("downloads", "signups_per_download")),
        ),
        Node(
            "signups_per_download",
            "Signups per download",
            "input",
            "signups",
            "fraction",
            value=p.signups_per_download,
        ),
        Node(
            "active_users",
            "Monthly active users",
            "input",
            "adoption",
            "users",
            formula=Formula("sum", ("free_users", "paid_seats")),
        ),
        Node(
            "paid_seats",
            "Paid seats",
            "input",
            "active_users",
            "seats",
            formula=Formula("sum", ("individual_seats", "org_seats")),
        ),
        Node("health", "Customer health", "group", "arr"),
        Node(
            "free_users",
            "Free tier usage (free active users)",
            "input",
            "health",
            "users",
            value=at("free_users"),
        ),
        Node(
            "paid_churn",
            "Paid seat churn (seat-weighted)",
            "input",
            "health",
            "fraction per month",
            value=at("paid_churn"),
        ),
        Node(
            "enterprise_churn",
            "Enterprise contract churn",
            "input",
            "health",
            "fraction per month",
            value=p.enterprise_churn,
        ),
    ]


def _economics_nodes(r: OpenSourceFreemiumResult) -> list[Node]:
    """Revenue, cost of revenue and the free tier against the paid plans."""
    p, at = r.params, r.at
    return [
        Node("unit_economics", "Unit economics", "group", "arr"),
        Node(
            "revenue",
            "Revenue",
            "input",
            "unit_economics",
            USD_M,
            formula=Formula("sum", ("recurring_revenue", "services_revenue")),
        ),
        Node(
            "recurring_revenue",
            "Recurring revenue (ARR / 12)",
            "input",
            "revenue",
            USD_M,
            formula=Formula("product", ("arr",), 1.0 / 12.0),
        ),
        Node(
            "cost_of_revenue",
            "Cost of revenue",
            "input",
            "unit_economics",
            USD_M,
            formula=Formula(
                "sum",
                (
                    "free_tier_cost",
                    "paid_serving_cost",
                    "enterprise_delivery",
                    "api_serving",
                    "services_cost",
                ),
            ),
        ),
        Node(
            "free_tier_cost",
            "Free tier cost",
            "input",
            "cost_of_revenue",
            USD_M,
            "Hosting, compute and bandwidth of the free users",
            formula=Formula("product", ("free_users", "free_cost_per_user")),
        ),
        Node(
            "free_cost_per_user",
            "Free tier cost per user",
            "input",
            "free_tier_cost",
            "USD per user per month",
            value=p.free_cost_per_user_usd,
        ),
        Node(
            "paid_serving_cost",
            "Serving paid seats",
            "input",
            "cost_of_revenue",
            USD_M,
            value=at("seat_cost"),
        ),
        Node(
            "enterprise_delivery",
            "Enterprise hosting and SLA delivery",
            "input",
            "cost_of_revenue",
            USD_M,
            value=at("enterprise_delivery_cost"),
        ),
        Node(
            "api_serving",
            "Serving API tokens",
            "input",
            "cost_of_revenue",
            USD_M,
            value=at("api_serving_cost"),
        ),
        Node(
            "services_cost",
            "Support and consulting delivery",
            "input",
            "cost_of_revenue",
            USD_M,
            value=at("services_cost"),
        ),
        Node(
            "subscription_gp",
            "Paid plans' gross profit",
            "input",
            "unit_economics",
            USD_M,
            "Individual and organisation revenue less serving their seats",
            value=at("subscription_gross_profit"),
        ),
        Node(
            "free_tier_deficit",
            "Free tier not covered by paid plans",
            "input",
            "unit_economics",
            USD_M,
            "Negative: the paid plans carry the free tier",
            formula=Formula("difference", ("free_tier_cost", "subscription_gp")),
        ),
        Node(
            "paid_profit_per_seat",
            "Gross profit per paid seat",
            "input",
            "unit_economics",
            USD_SEAT,
            value=at("paid_profit_per_seat"),
        ),
        Node(
            "break_even_paid_share",
            "Break-even paid share",
            "input",
            "unit_economics",
            "fraction",
            "Paid share of active users at which the paid seats' gross profit covers the free "
            "users: free cost / (free cost + gross profit per paid seat)",
            value=at("break_even_paid_share"),
        ),
    ]


def _leading_nodes(r: OpenSourceFreemiumResult) -> list[Node]:
    p, at = r.params, r.at
    return [
        Node("leading", "Leading indicators", "group", "arr"),
        Node(
            "community_growth_rate",
            "Community growth (downloads)",
            "leading",
            "leading",
            "fraction per month",
            value=p.community_growth_monthly,
        ),
        Node(
            "enterprise_leads",
            "Enterprise inquiries",
            "leading",
            "leading",
            "leads per month",
            value=at("enterprise_leads"),
        ),
        Node(
            "github_stars", "GitHub stars", "leading", "leading", "stars", value=p.github_stars, observed=True
        ),
        Node(
            "contributors",
            "Community contributors",
            "leading",
            "leading",
            "contributors per month",
            value=p.contributors_per_month,
            observed=True,
        ),
    ]


def _guardrail_nodes(r: OpenSourceFreemiumResult) -> list[Node]:
    p, at = r.params, r.at
    years = (int(p.snapshot_month) - 1) / 12.0
    rival = p.rival_hosting_price_per_m * (1.0 - np.asarray(p.annual_api_price_decline, dtype=float)) ** years
    return [
        Node("guardrails", "Guardrails", "group", "arr"),
        Node(
            "free_cost_share",
            "Free tier costs (share of revenue)",
            "guardrail",
            "guardrails",
            "fraction",
            formula=Formula("ratio", ("free_tier_cost", "revenue")),
            threshold=p.max_free_cost_share,
            direction="max",
            series=r.free_cost_share,
        ),
        Node(
            "paid_share",
            "Conversion rate (paid share of active users)",
            "guardrail",
            "guardrails",
            "fraction",
            formula=Formula("ratio", ("paid_seats", "active_users")),
            threshold=p.min_paid_share,
            direction="min",
            series=r.paid_share,
        ),
        Node(
            "community_health",
            "Community health (active-user growth)",
            "guardrail",
            "guardrails",
            "fraction per month",
            "Month-on-month growth of active users",
            value=at("community_growth"),
            threshold=p.min_community_growth,
            direction="min",
            series=r.community_growth,
        ),
        Node(
            "rival_price",
            "Third-party hosting price of comparable open weights",
            "input",
            "api_price_premium",
            "USD per 1M tokens",
            "Observed in month 1; assumed to fall like the provider's own price",
            value=rival,
            observed=True,
        ),
        Node(
            "api_price_premium",
            "Competitive pressure (API price / rival hosting)",
            "guardrail",
            "guardrails",
            "ratio",
            formula=Formula("ratio", ("api_price", "rival_price")),
            threshold=p.max_api_price_premium,
            direction="max",
        ),
        gross_margin_floor(
            "gross_margin_floor",
            "guardrails",
            Formula("margin", ("revenue", "cost_of_revenue")),
            p.min_gross_margin,
            r.gross_margin,
            "Revenue less cost of revenue (after hosting the free tier), over revenue, in every month",
        ),
    ]


def tree(r: OpenSourceFreemiumResult) -> MetricTree:
    """The open-source freemium metric tree for the snapshot month (ARR at the root)."""
    s = r.params.snapshot_month
    root = Node(
        "arr",
        "ARR (subscriptions, enterprise, API)",
        "north_star",
        unit="USD per year",
        definition=f"Annualised recurring revenue in month {s}; alternative: community engagement",
        formula=Formula("sum", ("individual_arr", "org_arr", "enterprise_arr", "api_arr")),
    )
    nodes = [
        root,
        *_revenue_nodes(r),
        *_adoption_nodes(r),
        *_economics_nodes(r),
        *_leading_nodes(r),
        *_guardrail_nodes(r),
    ]
    return MetricTree("Open-source freemium model metrics", tuple(nodes))
