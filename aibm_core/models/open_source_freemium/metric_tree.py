"""The metric tree of the open-source freemium model (seed 000 §4), built from a computed result."""

from __future__ import annotations

from aibm_core.core.tree import Formula, MetricTree, Node, gross_margin_floor
from aibm_core.models.open_source_freemium.model import OpenSourceFreemiumResult

USD_M = "USD per month"
USD_SEAT = "USD per seat per month"


def _revenue_nodes(r: OpenSourceFreemiumResult) -> list[Node]:
    """ARR by stream: each a product of its volume and its price."""
    p, at = r.params, r.at
    return [
        Node(id="revenue_drivers", label="Revenue drivers", kind="group", parent="arr"),
        Node(
            id="individual_arr",
            label="Individual plans ARR",
            kind="input",
            parent="revenue_drivers",
            unit="USD per year",
            formula=Formula("product", ("individual_seats", "individual_price"), 12.0),
        ),
        Node(
            id="individual_seats",
            label="Individual paid seats",
            kind="input",
            parent="individual_arr",
            unit="seats",
            value=at("individual_seats"),
        ),
        Node(
            id="individual_price",
            label="Individual plan price",
            kind="input",
            parent="individual_arr",
            unit=USD_SEAT,
            value=p.individual_price_usd,
        ),
        Node(
            id="org_arr",
            label="Organisation plans ARR",
            kind="input",
            parent="revenue_drivers",
            unit="USD per year",
            formula=Formula("product", ("org_seats", "org_seat_price"), 12.0),
        ),
        Node(
            id="org_seats",
            label="Organisation seats",
            kind="input",
            parent="org_arr",
            unit="seats",
            value=at("org_seats"),
        ),
        Node(
            id="org_seat_price",
            label="Organisation seat price",
            kind="input",
            parent="org_arr",
            unit=USD_SEAT,
            value=p.org_seat_price_usd,
        ),
        Node(
            id="enterprise_arr",
            label="Enterprise subscriptions ARR",
            kind="input",
            parent="revenue_drivers",
            unit="USD per year",
            definition="Private hosting, support and SLAs at a custom price",
            formula=Formula("product", ("enterprise_contracts", "enterprise_acv")),
        ),
        Node(
            id="enterprise_contracts",
            label="Enterprise contracts",
            kind="input",
            parent="enterprise_arr",
            unit="contracts",
            definition="Signed contracts billing in the month: wins arrive after the sales cycle",
            value=at("enterprise_contracts"),
        ),
        Node(
            id="enterprise_acv",
            label="Annual contract value",
            kind="input",
            parent="enterprise_arr",
            unit="USD per contract per year",
            value=p.enterprise_acv_usd,
        ),
        Node(
            id="api_arr",
            label="Usage-based API ARR (open weights + API)",
            kind="input",
            parent="revenue_drivers",
            unit="USD per year",
            formula=Formula("product", ("api_customers", "api_tokens", "api_price"), 12.0),
        ),
        Node(
            id="api_customers",
            label="API customers",
            kind="input",
            parent="api_arr",
            unit="customers",
            value=at("api_customers"),
        ),
        Node(
            id="api_tokens",
            label="Tokens per API customer",
            kind="input",
            parent="api_arr",
            unit="M tokens per customer per month",
            value=p.api_tokens_per_customer_m,
        ),
        Node(
            id="api_price",
            label="API price per 1M tokens",
            kind="input",
            parent="api_arr",
            unit="USD per 1M tokens",
            definition="Falls every year with competition from other open models and hosts",
            value=at("api_price_per_m"),
        ),
        Node(
            id="services_revenue",
            label="Support and consulting revenue (not in ARR)",
            kind="input",
            parent="revenue_drivers",
            unit=USD_M,
            value=at("services_revenue"),
        ),
    ]


def _adoption_nodes(r: OpenSourceFreemiumResult) -> list[Node]:
    """The community funnel: downloads -> signups -> active users -> paid seats."""
    p, at = r.params, r.at
    return [
        Node(id="adoption", label="Community adoption", kind="group", parent="arr"),
        Node(
            id="downloads",
            label="Model downloads",
            kind="input",
            parent="adoption",
            unit="downloads per month",
            value=at("downloads"),
        ),
        Node(
            id="signups",
            label="Developer signups",
            kind="input",
            parent="adoption",
            unit="signups per month",
            formula=Formula("product", ("downloads", "signups_per_download")),
        ),
        Node(
            id="signups_per_download",
            label="Signups per download",
            kind="input",
            parent="signups",
            unit="fraction",
            value=p.signups_per_download,
        ),
        Node(
            id="active_users",
            label="Monthly active users",
            kind="input",
            parent="adoption",
            unit="users",
            formula=Formula("sum", ("free_users", "paid_seats")),
        ),
        Node(
            id="paid_seats",
            label="Paid seats",
            kind="input",
            parent="active_users",
            unit="seats",
            formula=Formula("sum", ("individual_seats", "org_seats")),
        ),
        Node(id="health", label="Customer health", kind="group", parent="arr"),
        Node(
            id="free_users",
            label="Free tier usage (free active users)",
            kind="input",
            parent="health",
            unit="users",
            value=at("free_users"),
        ),
        Node(
            id="paid_churn",
            label="Paid seat churn (seat-weighted)",
            kind="input",
            parent="health",
            unit="fraction per month",
            value=at("paid_churn"),
        ),
        Node(
            id="enterprise_churn",
            label="Enterprise contract churn",
            kind="input",
            parent="health",
            unit="fraction per month",
            value=p.enterprise_churn,
        ),
    ]


def _economics_nodes(r: OpenSourceFreemiumResult) -> list[Node]:
    """Revenue, cost of revenue and the free tier against the paid plans."""
    p, at = r.params, r.at
    return [
        Node(id="unit_economics", label="Unit economics", kind="group", parent="arr"),
        Node(
            id="revenue",
            label="Revenue",
            kind="input",
            parent="unit_economics",
            unit=USD_M,
            formula=Formula("sum", ("recurring_revenue", "services_revenue")),
        ),
        Node(
            id="recurring_revenue",
            label="Recurring revenue (ARR / 12)",
            kind="input",
            parent="revenue",
            unit=USD_M,
            formula=Formula("product", ("arr",), 1.0 / 12.0),
        ),
        Node(
            id="cost_of_revenue",
            label="Cost of revenue",
            kind="input",
            parent="unit_economics",
            unit=USD_M,
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
            id="free_tier_cost",
            label="Free tier cost",
            kind="input",
            parent="cost_of_revenue",
            unit=USD_M,
            definition="Hosting, compute and bandwidth of the free users",
            formula=Formula("product", ("free_users", "free_cost_per_user")),
        ),
        Node(
            id="free_cost_per_user",
            label="Free tier cost per user",
            kind="input",
            parent="free_tier_cost",
            unit="USD per user per month",
            value=p.free_cost_per_user_usd,
        ),
        Node(
            id="paid_serving_cost",
            label="Serving paid seats",
            kind="input",
            parent="cost_of_revenue",
            unit=USD_M,
            value=at("seat_cost"),
        ),
        Node(
            id="enterprise_delivery",
            label="Enterprise hosting and SLA delivery",
            kind="input",
            parent="cost_of_revenue",
            unit=USD_M,
            value=at("enterprise_delivery_cost"),
        ),
        Node(
            id="api_serving",
            label="Serving API tokens",
            kind="input",
            parent="cost_of_revenue",
            unit=USD_M,
            value=at("api_serving_cost"),
        ),
        Node(
            id="services_cost",
            label="Support and consulting delivery",
            kind="input",
            parent="cost_of_revenue",
            unit=USD_M,
            value=at("services_cost"),
        ),
        Node(
            id="subscription_gp",
            label="Paid plans' gross profit",
            kind="input",
            parent="unit_economics",
            unit=USD_M,
            definition="Individual and organisation revenue less serving their seats",
            value=at("subscription_gross_profit"),
        ),
        Node(
            id="free_tier_deficit",
            label="Free tier not covered by paid plans",
            kind="input",
            parent="unit_economics",
            unit=USD_M,
            definition="Negative: the paid plans carry the free tier",
            formula=Formula("difference", ("free_tier_cost", "subscription_gp")),
        ),
        Node(
            id="paid_profit_per_seat",
            label="Gross profit per paid seat",
            kind="input",
            parent="unit_economics",
            unit=USD_SEAT,
            value=at("paid_profit_per_seat"),
        ),
        Node(
            id="break_even_paid_share",
            label="Break-even paid share",
            kind="input",
            parent="unit_economics",
            unit="fraction",
            definition="Paid share of active users at which the paid seats' gross profit covers the free "
            "users: free cost / (free cost + gross profit per paid seat)",
            value=at("break_even_paid_share"),
        ),
        Node(
            id="operating_break_even_conversion",
            label="Break-even conversion, operating",
            kind="input",
            parent="unit_economics",
            unit="fraction",
            definition="Conversion of each new cohort at which operating profit (not only the free tier's "
            "cost) is zero in the month",
            value=at("operating_break_even_conversion"),
        ),
    ]


def _leading_nodes(r: OpenSourceFreemiumResult) -> list[Node]:
    p, at = r.params, r.at
    return [
        Node(id="leading", label="Leading indicators", kind="group", parent="arr"),
        Node(
            id="community_growth_rate",
            label="Community growth (downloads)",
            kind="leading",
            parent="leading",
            unit="fraction per month",
            value=p.community_growth_monthly,
        ),
        Node(
            id="enterprise_leads",
            label="Enterprise inquiries",
            kind="leading",
            parent="leading",
            unit="leads per month",
            value=at("enterprise_leads"),
        ),
        Node(
            id="github_stars",
            label="GitHub stars",
            kind="leading",
            parent="leading",
            unit="stars",
            value=p.github_stars,
            observed=True,
        ),
        Node(
            id="contributors",
            label="Community contributors",
            kind="leading",
            parent="leading",
            unit="contributors per month",
            value=p.contributors_per_month,
            observed=True,
        ),
    ]


def _guardrail_nodes(r: OpenSourceFreemiumResult) -> list[Node]:
    p, at = r.params, r.at
    return [
        Node(id="guardrails", label="Guardrails", kind="group", parent="arr"),
        Node(
            id="free_cost_share",
            label="Free tier costs (share of revenue)",
            kind="guardrail",
            parent="guardrails",
            unit="fraction",
            formula=Formula("ratio", ("free_tier_cost", "revenue")),
            threshold=p.max_free_cost_share,
            direction="max",
            series=r.free_cost_share,
        ),
        Node(
            id="paid_share",
            label="Paid share of active users (result of the free -> paid conversion)",
            kind="guardrail",
            parent="guardrails",
            unit="fraction",
            formula=Formula("ratio", ("paid_seats", "active_users")),
            threshold=p.min_paid_share,
            direction="min",
            series=r.paid_share,
        ),
        Node(
            id="community_health",
            label="Community health (active-user growth)",
            kind="guardrail",
            parent="guardrails",
            unit="fraction per month",
            definition="Month-on-month growth of active users",
            value=at("community_growth"),
            threshold=p.min_community_growth,
            direction="min",
            series=r.community_growth,
        ),
        Node(
            id="rival_price",
            label="Third-party hosting price of comparable open weights",
            kind="input",
            parent="api_price_premium",
            unit="USD per 1M tokens",
            definition="Observed in month 1, falling at the rival hosts' own yearly price decline",
            value=at("rival_price_per_m"),
        ),
        Node(
            id="api_price_premium",
            label="Competitive pressure (API price / rival hosting)",
            kind="guardrail",
            parent="guardrails",
            unit="ratio",
            definition="The provider's hosted price path over the rival hosts' price path, in every month",
            formula=Formula("ratio", ("api_price", "rival_price")),
            threshold=p.max_api_price_premium,
            direction="max",
            series=r.api_price_premium,
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
        id="arr",
        label="ARR (subscriptions, enterprise, API)",
        kind="north_star",
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
