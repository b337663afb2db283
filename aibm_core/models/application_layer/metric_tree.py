"""The metric tree of the application layer, designed in seed 000's typed form.

The seeds give no tree for this layer: the root is the application's monthly revenue, one
input group per monetisation stream (each stream's revenue as the product of its drivers),
unit economics (cost of revenue by part, the seat's economics), the data flywheel, leading
indicators and guardrails judged over the whole horizon.
"""

from __future__ import annotations

from aibm_core.core.tree import Formula, MetricTree, Node, cac_payback_guardrail, gross_margin_floor
from aibm_core.models.application_layer.model import COSTS, STREAMS, ApplicationLayerResult

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
        Node(id="subscriptions", label=STREAMS["subscription"][0], kind="group", parent="mrr"),
        Node(
            id="subscription_revenue",
            label="Subscription revenue",
            kind="input",
            parent="subscriptions",
            unit=USD,
            formula=Formula("product", ("paying_seats", "price_per_seat")),
        ),
        Node(
            id="paying_seats",
            label="Paying seats",
            kind="input",
            parent="subscription_revenue",
            unit="seats",
            value=r.at("seats"),
        ),
        Node(
            id="price_per_seat",
            label="Price per seat",
            kind="input",
            parent="subscription_revenue",
            unit=SEAT,
            formula=Formula("product", ("generic_seat_price", "domain_multiple")),
        ),
        Node(
            id="generic_seat_price",
            label="Generic AI seat price",
            kind="input",
            parent="price_per_seat",
            unit=SEAT,
            value=p.generic_seat_price_usd,
        ),
        Node(
            id="domain_multiple",
            label="Domain premium (1 + premium)",
            kind="input",
            parent="price_per_seat",
            unit="ratio",
            definition="What domain expertise and proprietary data add to a generic seat's price",
            value=1.0 + p.domain_premium,
        ),
        Node(id="automation", label=STREAMS["automation"][0], kind="group", parent="mrr"),
        Node(
            id="automation_revenue",
            label="Automation revenue",
            kind="input",
            parent="automation",
            unit=USD,
            formula=Formula("product", ("automation_customers", "revenue_per_customer")),
        ),
        Node(
            id="automation_customers",
            label="Automation customers",
            kind="input",
            parent="automation_revenue",
            unit="customers",
            value=r.at("automation_customers"),
        ),
        Node(
            id="revenue_per_customer",
            label="Revenue per automation customer",
            kind="input",
            parent="automation_revenue",
            unit="USD per customer per month",
            formula=Formula("sum", ("platform_fee", "task_revenue")),
        ),
        Node(
            id="platform_fee",
            label="Platform fee",
            kind="input",
            parent="revenue_per_customer",
            unit="USD per customer per month",
            value=p.platform_fee_usd,
        ),
        Node(
            id="task_revenue",
            label="Per-task revenue",
            kind="input",
            parent="revenue_per_customer",
            unit="USD per customer per month",
            formula=Formula("product", ("tasks_per_customer", "price_per_task")),
        ),
        Node(
            id="tasks_per_customer",
            label="Tasks automated per customer",
            kind="input",
            parent="task_revenue",
            unit="tasks per customer per month",
            value=p.tasks_per_automation_customer,
        ),
        Node(
            id="price_per_task",
            label="Price per task",
            kind="input",
            parent="task_revenue",
            unit="USD per task",
            definition="The captured share of the task's value to the customer",
            formula=Formula("product", ("value_per_task", "value_capture")),
        ),
        Node(
            id="value_per_task",
            label="Value of a task to the customer",
            kind="input",
            parent="price_per_task",
            unit="USD per task",
            value=p.value_per_task_usd,
        ),
        Node(
            id="value_capture",
            label="Share of the value captured",
            kind="input",
            parent="price_per_task",
            unit="fraction",
            value=p.value_capture_share,
        ),
        Node(id="content", label=STREAMS["content"][0], kind="group", parent="mrr"),
        Node(
            id="content_revenue",
            label="Content revenue",
            kind="input",
            parent="content",
            unit=USD,
            formula=Formula("product", ("content_pieces", "value_per_piece", "content_share")),
        ),
        Node(
            id="content_pieces",
            label="Pieces produced",
            kind="input",
            parent="content_revenue",
            unit="pieces per month",
            value=r.at("content_pieces"),
        ),
        Node(
            id="value_per_piece",
            label="Revenue a piece earns",
            kind="input",
            parent="content_revenue",
            unit="USD per piece",
            formula=Formula("product", ("views_per_piece", "revenue_per_k_views"), 1e-3),
        ),
        Node(
            id="views_per_piece",
            label="Views per piece",
            kind="input",
            parent="value_per_piece",
            unit="views per piece",
            value=p.views_per_piece,
        ),
        Node(
            id="revenue_per_k_views",
            label="Revenue per 1,000 views",
            kind="input",
            parent="value_per_piece",
            unit="USD per 1,000 views",
            value=p.revenue_per_thousand_views_usd,
        ),
        Node(
            id="content_share",
            label="Revenue share taken",
            kind="input",
            parent="content_revenue",
            unit="fraction",
            value=p.content_revenue_share,
        ),
        Node(id="marketplace", label=STREAMS["marketplace"][0], kind="group", parent="mrr"),
        Node(
            id="marketplace_revenue",
            label="Marketplace commission",
            kind="input",
            parent="marketplace",
            unit=USD,
            formula=Formula("product", ("gmv", "take_rate")),
        ),
        Node(
            id="gmv",
            label="Gross merchandise value",
            kind="input",
            parent="marketplace_revenue",
            unit=USD,
            value=r.at("gmv"),
        ),
        Node(
            id="take_rate",
            label="Take rate",
            kind="input",
            parent="marketplace_revenue",
            unit="fraction",
            definition="Seed 003: 10-15%; with tiered fees, the schedule's average over the month's GMV",
            value=r.at("marketplace_take_rate"),
        ),
        Node(id="contracts", label=STREAMS["contract"][0], kind="group", parent="mrr"),
        Node(
            id="contract_revenue",
            label="Contract revenue",
            kind="input",
            parent="contracts",
            unit=USD,
            formula=Formula("product", ("active_contracts", "contract_value"), 1 / 12),
        ),
        Node(
            id="active_contracts",
            label="Contracts billing",
            kind="input",
            parent="contract_revenue",
            unit="contracts",
            value=r.at("contracts_active"),
        ),
        Node(
            id="contract_value",
            label="Annual contract value",
            kind="input",
            parent="contract_revenue",
            unit="USD per year",
            value=p.contract_annual_value_usd,
        ),
    ]


def _unit_economics(r: ApplicationLayerResult) -> list[Node]:
    """Cost of revenue by part and the economics of one seat."""
    p = r.params
    seat_fixed = r.at("seat_fixed_cost")
    nodes = [
        Node(id="unit_economics", label="Unit economics", kind="group", parent="mrr"),
        Node(
            id="gross_margin",
            label="Gross margin",
            kind="input",
            parent="unit_economics",
            unit="fraction",
            formula=Formula("margin", ("mrr", "cost_of_revenue")),
        ),
        Node(
            id="cost_of_revenue",
            label="Cost of revenue",
            kind="input",
            parent="unit_economics",
            unit=USD,
            formula=Formula("sum", tuple(COSTS)),
        ),
        Node(
            id="inference_cloud",
            label=_COST_LABELS["inference_cloud"],
            kind="input",
            parent="cost_of_revenue",
            unit=USD,
            formula=Formula("product", ("cloud_tokens", "api_price"), 1e3),
        ),
        Node(
            id="cloud_tokens",
            label="Tokens sent to the API",
            kind="input",
            parent="inference_cloud",
            unit="B tokens per month",
            value=r.at("cloud_tokens_m") / 1e3,
        ),
        Node(
            id="api_price",
            label="API price per 1M tokens",
            kind="input",
            parent="inference_cloud",
            unit="USD per 1M tokens",
            definition="The platform layer's revenue per 1M tokens is this layer's cost",
            value=r.at("api_price"),
        ),
    ]
    nodes += [
        Node(
            id=k, label=_COST_LABELS[k], kind="input", parent="cost_of_revenue", unit=USD, value=r.at_part(k)
        )
        for k in COSTS
        if k != "inference_cloud"
    ]
    nodes += [
        Node(
            id="inference_cost",
            label="Inference cost (API + edge)",
            kind="input",
            parent="unit_economics",
            unit=USD,
            formula=Formula("sum", ("inference_cloud", "inference_edge")),
        ),
        Node(
            id="seat_gross_profit",
            label="Gross profit per seat",
            kind="input",
            parent="unit_economics",
            unit=SEAT,
            formula=Formula("difference", ("seat_margin_before_usage", "seat_usage_cost")),
        ),
        Node(
            id="seat_margin_before_usage",
            label="Seat price less hosting and support",
            kind="input",
            parent="seat_gross_profit",
            unit=SEAT,
            formula=Formula("difference", ("price_per_seat", "seat_fixed_cost")),
        ),
        Node(
            id="seat_fixed_cost",
            label="Hosting and support per seat",
            kind="input",
            parent="seat_margin_before_usage",
            unit=SEAT,
            value=seat_fixed,
        ),
        Node(
            id="seat_usage_cost",
            label="Inference per seat",
            kind="input",
            parent="seat_gross_profit",
            unit=SEAT,
            formula=Formula("product", ("tasks_per_seat", "seat_task_cost")),
        ),
        Node(
            id="tasks_per_seat",
            label="Tasks per seat",
            kind="input",
            parent="seat_usage_cost",
            unit="tasks per seat per month",
            value=p.tasks_per_seat,
        ),
        Node(
            id="seat_task_cost",
            label="Inference cost per task (API and edge mix)",
            kind="input",
            parent="seat_usage_cost",
            unit="USD per task",
            value=r.at("seat_task_cost"),
        ),
        Node(
            id="seat_cac",
            label="Seat CAC",
            kind="input",
            parent="unit_economics",
            unit="USD per seat",
            value=p.seat_cac_usd,
        ),
        Node(
            id="seat_sales_cycle",
            label="Subscription sales cycle",
            kind="input",
            parent="unit_economics",
            unit="months",
            definition="Months between signing a seat (when its CAC is spent) and its first paid month",
            value=float(p.subscription_sales_cycle_months),
        ),
        Node(
            id="power_user_break_even",
            label="Power-user break-even",
            kind="input",
            parent="unit_economics",
            unit="tasks per seat per month",
            definition="Usage at which a flat-priced seat's gross profit is zero; heavier users lose money",
            formula=Formula("payback", ("seat_margin_before_usage", "seat_task_cost")),
        ),
    ]
    return nodes


def _flywheel_and_leading(r: ApplicationLayerResult) -> list[Node]:
    p = r.params
    return [
        Node(id="flywheel", label="Data flywheel", kind="group", parent="mrr"),
        Node(
            id="flywheel_strength",
            label="Flywheel strength",
            kind="input",
            parent="flywheel",
            unit="fraction",
            definition="1 − exp(−cumulative usage / scale): lowers churn, raises signings",
            value=r.at("flywheel_strength"),
        ),
        Node(
            id="cumulative_usage",
            label="Cumulative usage data",
            kind="input",
            parent="flywheel",
            unit="M tasks",
            value=r.at("cumulative_m_tasks"),
        ),
        Node(id="leading", label="Leading indicators", kind="group", parent="mrr"),
        Node(
            id="seats_signed",
            label="Seats signed",
            kind="leading",
            parent="leading",
            unit="seats per month",
            value=r.at("seats_signed"),
        ),
        Node(
            id="contract_backlog",
            label="Contracts signed, not yet billing",
            kind="leading",
            parent="leading",
            unit="contracts",
            value=r.at("contract_backlog"),
        ),
        Node(
            id="trial_signups",
            label="Free-trial signups",
            kind="leading",
            parent="leading",
            unit="signups per month",
            value=p.trial_signups_per_month,
            observed=True,
        ),
        Node(
            id="marketplace_developers",
            label="Marketplace developers",
            kind="leading",
            parent="leading",
            unit="developers",
            value=p.marketplace_developers,
            observed=True,
        ),
    ]


def _guardrails(r: ApplicationLayerResult) -> list[Node]:
    p = r.params
    return [
        Node(id="guardrails", label="Guardrails", kind="group", parent="mrr"),
        Node(
            id="inference_share",
            label="Inference cost / revenue",
            kind="guardrail",
            parent="guardrails",
            unit="fraction",
            definition="What the API layer takes of each dollar of revenue, in every month",
            formula=Formula("ratio", ("inference_cost", "mrr")),
            threshold=p.max_inference_cost_share,
            direction="max",
            series=r.inference_cost_share,
        ),
        Node(
            id="seat_churn",
            label="Seat churn (after the flywheel)",
            kind="guardrail",
            parent="guardrails",
            unit="fraction per month",
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
            lead="seat_sales_cycle",
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
        id="mrr",
        label="Application revenue (MRR)",
        kind="north_star",
        unit=USD,
        definition=f"Revenue of all monetisation streams in month {r.params.snapshot_month}",
        formula=Formula("sum", tuple(f"{k}_revenue" for k in STREAMS)),
    )
    nodes = [root, *_streams(r), *_unit_economics(r), *_flywheel_and_leading(r), *_guardrails(r)]
    return MetricTree("Application layer metrics", tuple(nodes))
