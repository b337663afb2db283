"""The metric tree of the application layer, designed in seed 000's typed form.

The seeds give no tree for this layer: the root is the application's monthly revenue, one
input group per monetisation stream (each stream's revenue as the product of its drivers),
unit economics (cost of revenue by part, the seat's economics), the data flywheel, leading
indicators and guardrails judged over the whole horizon.
"""

from __future__ import annotations

from aibm_core.models.application_layer.model import COSTS, STREAMS, ApplicationLayerResult
from aibm_core.tree import Formula, MetricTree, Node, cac_payback_guardrail, gross_margin_floor

USD = "USD per month"
SEAT = "USD per seat per month"
_COST_LABELS = {
    "inference_cloud": "Inference bought from the API layer",
    "inference_edge": "On-device (edge) inference",
    "hosting": "Hosting (seats and automation customers)",
    "human_review": "Human review (automated tasks, content)",
    "support": "Support and customer success",
    "payment": "Payment processing on GMV",
    "contract_delivery": "Contract delivery",
}


def _streams(r: ApplicationLayerResult) -> list[Node]:
    """One input group per monetisation stream."""
    p = r.params
    return [
        Node("subscriptions", STREAMS["subscription"][0], "group", "mrr"),
        Node(
            "subscription_revenue",
            "Subscription revenue",
            "input",
            "subscriptions",
            USD,
            formula=Formula("product", ("paying_seats", "price_per_seat")),
        ),
        Node("paying_seats", "Paying seats", "input", "subscription_revenue", "seats", value=r.at("seats")),
        Node(
            "price_per_seat",
            "Price per seat",
            "input",
            "subscription_revenue",
            SEAT,
            formula=Formula("product", ("generic_seat_price", "domain_multiple")),
        ),
        Node(
            "generic_seat_price",
            "Generic AI seat price",
            "input",
            "price_per_seat",
            SEAT,
            value=p.generic_seat_price_usd,
        ),
        Node(
            "domain_multiple",
            "Domain premium (1 + premium)",
            "input",
            "price_per_seat",
            "ratio",
            "What domain expertise and proprietary data add to a generic seat's price",
            value=1.0 + p.domain_premium,
        ),
        Node("automation", STREAMS["automation"][0], "group", "mrr"),
        Node(
            "automation_revenue",
            "Automation revenue",
            "input",
            "automation",
            USD,
            formula=Formula("product", ("automation_customers", "revenue_per_customer")),
        ),
        Node(
            "automation_customers",
            "Automation customers",
            "input",
            "automation_revenue",
            "customers",
            value=r.at("automation_customers"),
        ),
        Node(
            "revenue_per_customer",
            "Revenue per automation customer",
            "input",
            "automation_revenue",
            "USD per customer per month",
            formula=Formula("sum", ("platform_fee", "task_revenue")),
        ),
        Node(
            "platform_fee",
            "Platform fee",
            "input",
            "revenue_per_customer",
            "USD per customer per month",
            value=p.platform_fee_usd,
        ),
        Node(
            "task_revenue",
            "Per-task revenue",
            "input",
            "revenue_per_customer",
            "USD per customer per month",
            formula=Formula("product", ("tasks_per_customer", "price_per_task")),
        ),
        Node(
            "tasks_per_customer",
            "Tasks automated per customer",
            "input",
            "task_revenue",
            "tasks per customer per month",
            value=p.tasks_per_automation_customer,
        ),
        Node(
            "price_per_task",
            "Price per task",
            "input",
            "task_revenue",
            "USD per task",
            "The captured share of the task's value to the customer",
            formula=Formula("product", ("value_per_task", "value_capture")),
        ),
        Node(
            "value_per_task",
            "Value of a task to the customer",
            "input",
            "price_per_task",
            "USD per task",
            value=p.value_per_task_usd,
        ),
        Node(
            "value_capture",
            "Share of the value captured",
            "input",
            "price_per_task",
            "fraction",
            value=p.value_capture_share,
        ),
        Node("content", STREAMS["content"][0], "group", "mrr"),
        Node(
            "content_revenue",
            "Content revenue",
            "input",
            "content",
            USD,
            formula=Formula("product", ("content_pieces", "value_per_piece", "content_share")),
        ),
        Node(
            "content_pieces",
            "Pieces produced",
            "input",
            "content_revenue",
            "pieces per month",
            value=r.at("content_pieces"),
        ),
        Node(
            "value_per_piece",
            "Revenue a piece earns",
            "input",
            "content_revenue",
            "USD per piece",
            formula=Formula("product", ("views_per_piece", "revenue_per_k_views"), 1e-3),
        ),
        Node(
            "views_per_piece",
            "Views per piece",
            "input",
            "value_per_piece",
            "views per piece",
            value=p.views_per_piece,
        ),
        Node(
            "revenue_per_k_views",
            "Revenue per 1,000 views",
            "input",
            "value_per_piece",
            "USD per 1,000 views",
            value=p.revenue_per_thousand_views_usd,
        ),
        Node(
            "content_share",
            "Revenue share taken",
            "input",
            "content_revenue",
            "fraction",
            value=p.content_revenue_share,
        ),
        Node("marketplace", STREAMS["marketplace"][0], "group", "mrr"),
        Node(
            "marketplace_revenue",
            "Marketplace commission",
            "input",
            "marketplace",
            USD,
            formula=Formula("product", ("gmv", "take_rate")),
        ),
        Node("gmv", "Gross merchandise value", "input", "marketplace_revenue", USD, value=r.at("gmv")),
        Node(
            "take_rate",
            "Take rate",
            "input",
            "marketplace_revenue",
            "fraction",
            "Seed 003: 10-15%",
            value=p.marketplace_take_rate,
        ),
        Node("contracts", STREAMS["contract"][0], "group", "mrr"),
        Node(
            "contract_revenue",
            "Contract revenue",
            "input",
            "contracts",
            USD,
            formula=Formula("product", ("active_contracts", "contract_value"), 1 / 12),
        ),
        Node(
            "active_contracts",
            "Contracts billing",
            "input",
            "contract_revenue",
            "contracts",
            value=r.at("contracts_active"),
        ),
        Node(
            "contract_value",
            "Annual contract value",
            "input",
            "contract_revenue",
            "USD per year",
            value=p.contract_annual_value_usd,
        ),
    ]


def _unit_economics(r: ApplicationLayerResult) -> list[Node]:
    """Cost of revenue by part and the economics of one seat."""
    p = r.params
    seat_fixed = r.at("seat_fixed_cost")
    nodes = [
        Node("unit_economics", "Unit economics", "group", "mrr"),
        Node(
            "gross_margin",
            "Gross margin",
            "input",
            "unit_economics",
            "fraction",
            formula=Formula("margin", ("mrr", "cost_of_revenue")),
        ),
        Node(
            "cost_of_revenue",
            "Cost of revenue",
            "input",
            "unit_economics",
            USD,
            formula=Formula("sum", tuple(COSTS)),
        ),
        Node(
            "inference_cloud",
            _COST_LABELS["inference_cloud"],
            "input",
            "cost_of_revenue",
            USD,
            formula=Formula("product", ("cloud_tokens", "api_price"), 1e3),
        ),
        Node(
            "cloud_tokens",
            "Tokens sent to the API",
            "input",
            "inference_cloud",
            "B tokens per month",
            value=r.at("cloud_tokens_m") / 1e3,
        ),
        Node(
            "api_price",
            "API price per 1M tokens",
            "input",
            "inference_cloud",
            "USD per 1M tokens",
            "The platform layer's revenue per 1M tokens is this layer's cost",
            value=r.at("api_price"),
        ),
    ]
    nodes += [
        Node(k, _COST_LABELS[k], "input", "cost_of_revenue", USD, value=r.at_part(k))
        for k in COSTS
        if k != "inference_cloud"
    ]
    nodes += [
        Node(
            "inference_cost",
            "Inference cost (API + edge)",
            "input",
            "unit_economics",
            USD,
            formula=Formula("sum", ("inference_cloud", "inference_edge")),
        ),
        Node(
            "seat_gross_profit",
            "Gross profit per seat",
            "input",
            "unit_economics",
            SEAT,
            formula=Formula("difference", ("seat_margin_before_usage", "seat_usage_cost")),
        ),
        Node(
            "seat_margin_before_usage",
            "Seat price less hosting and support",
            "input",
            "seat_gross_profit",
            SEAT,
            formula=Formula("difference", ("price_per_seat", "seat_fixed_cost")),
        ),
        Node(
            "seat_fixed_cost",
            "Hosting and support per seat",
            "input",
            "seat_margin_before_usage",
            SEAT,
            value=seat_fixed,
        ),
        Node(
            "seat_usage_cost",
            "Inference per seat",
            "input",
            "seat_gross_profit",
            SEAT,
            formula=Formula("product", ("tasks_per_seat", "seat_task_cost")),
        ),
        Node(
            "tasks_per_seat",
            "Tasks per seat",
            "input",
            "seat_usage_cost",
            "tasks per seat per month",
            value=p.tasks_per_seat,
        ),
        Node(
            "seat_task_cost",
            "Inference cost per task (API and edge mix)",
            "input",
            "seat_usage_cost",
            "USD per task",
            value=r.at("seat_task_cost"),
        ),
        Node("seat_cac", "Seat CAC", "input", "unit_economics", "USD per seat", value=p.seat_cac_usd),
        Node(
            "power_user_break_even",
            "Power-user break-even",
            "input",
            "unit_economics",
            "tasks per seat per month",
            "Usage at which a flat-priced seat's gross profit is zero; heavier users lose money",
            formula=Formula("payback", ("seat_margin_before_usage", "seat_task_cost")),
        ),
    ]
    return nodes


def _flywheel_and_leading(r: ApplicationLayerResult) -> list[Node]:
    p = r.params
    return [
        Node("flywheel", "Data flywheel", "group", "mrr"),
        Node(
            "flywheel_strength",
            "Flywheel strength",
            "input",
            "flywheel",
            "fraction",
            "1 − exp(−cumulative usage / scale): lowers churn, raises signings",
            value=r.at("flywheel_strength"),
        ),
        Node(
            "cumulative_usage",
            "Cumulative usage data",
            "input",
            "flywheel",
            "M tasks",
            value=r.at("cumulative_m_tasks"),
        ),
        Node("leading", "Leading indicators", "group", "mrr"),
        Node(
            "seats_signed",
            "Seats signed",
            "leading",
            "leading",
            "seats per month",
            value=r.at("seats_signed"),
        ),
        Node(
            "contract_backlog",
            "Contracts signed, not yet billing",
            "leading",
            "leading",
            "contracts",
            value=r.at("contract_backlog"),
        ),
        Node(
            "trial_signups",
            "Free-trial signups",
            "leading",
            "leading",
            "signups per month",
            value=p.trial_signups_per_month,
            observed=True,
        ),
        Node(
            "marketplace_developers",
            "Marketplace developers",
            "leading",
            "leading",
            "developers",
            value=p.marketplace_developers,
            observed=True,
        ),
    ]


def _guardrails(r: ApplicationLayerResult) -> list[Node]:
    p = r.params
    return [
        Node("guardrails", "Guardrails", "group", "mrr"),
        Node(
            "inference_share",
            "Inference cost / revenue",
            "guardrail",
            "guardrails",
            "fraction",
            "What the API layer takes of each dollar of revenue, in every month",
            formula=Formula("ratio", ("inference_cost", "mrr")),
            threshold=p.max_inference_cost_share,
            direction="max",
            series=r.inference_cost_share,
        ),
        Node(
            "seat_churn",
            "Seat churn (after the flywheel)",
            "guardrail",
            "guardrails",
            "fraction per month",
            value=r.at("seat_churn"),
            threshold=p.max_seat_monthly_churn,
            direction="max",
            series=r.seat_churn,
        ),
        cac_payback_guardrail(
            "guardrails",
            "seat_cac",
            "seat_gross_profit",
            p.max_seat_cac_payback_months,
            r.seat_cac_payback_months,
            node_id="seat_cac_payback",
            label="Seat CAC payback",
            kind="guardrail",
            payer="seat",
        ),
        gross_margin_floor(
            "gross_margin_floor",
            "guardrails",
            Formula("margin", ("mrr", "cost_of_revenue")),
            p.min_gross_margin,
            r.gross_margin,
            "Gross margin (revenue less cost of revenue, over revenue) in every month",
        ),
    ]


def tree(r: ApplicationLayerResult) -> MetricTree:
    """The application-layer metric tree for the snapshot month."""
    root = Node(
        "mrr",
        "Application revenue (MRR)",
        "north_star",
        unit=USD,
        definition=f"Revenue of all monetisation streams in month {r.params.snapshot_month}",
        formula=Formula("sum", tuple(f"{k}_revenue" for k in STREAMS)),
    )
    nodes = [root, *_streams(r), *_unit_economics(r), *_flywheel_and_leading(r), *_guardrails(r)]
    return MetricTree("Application layer metrics", tuple(nodes))
