"""The metric tree of the AI hardware model, built from a computed result."""

from __future__ import annotations

from aibm_core.models.ai_hardware.model import AiHardwareResult, unit_economics
from aibm_core.tree import Formula, MetricTree, Node, gross_margin_floor


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
    p, usd_m, ue = r.params, "USD per month", unit_economics(r)
    return [
        Node("health", "Customer health", "group", "hardware_revenue"),
        Node(
            "ltv",
            "Customer lifetime value",
            "input",
            "health",
            "USD per customer",
            "Monthly gross profit per customer, discounted over the customer's expected life",
            value=ue["ltv"],
        ),
        Node(
            "cac_payback",
            "CAC payback",
            "input",
            "health",
            "months",
            "Months of a customer's gross profit needed to recover the cost of winning it",
            formula=Formula("payback", ("sales_cost", "customer_gross_profit")),
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
            "customer_gross_profit",
            "Gross profit per customer",
            "input",
            "cac_payback",
            "USD per customer per month",
            "Hardware gross profit of the customer's units plus software gross profit, this month",
            value=ue["gross_profit_per_customer"],
        ),
        Node(
            "sales_cost_to_ltv",
            "Sales cost / LTV (the seed's 'CAC payback')",
            "input",
            "health",
            "ratio",
            formula=Formula("ratio", ("sales_cost", "ltv")),
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
            "Cost per unit (manufacturing + R&D per unit shipped)",
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
            "R&D per unit shipped this month",
            "input",
            "cost_per_unit",
            "USD per unit",
            "The month's R&D spread over the month's units (not a generation's R&D over its life)",
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
            "software_value_per_unit",
            "Software subscriptions per unit shipped (PV)",
            "input",
            "economics",
            "USD per unit",
            "Present value of the software gross profit one shipped unit brings (attach rate × lifetime)",
            value=ue["software_value_per_unit"],
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
            "Orders booked this month for shipment one order lead time (order_lead_months) later",
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
        gross_margin_floor(
            "gross_margin",
            "guardrails",
            Formula("margin", ("revenue", "cogs")),
            p.min_gross_margin,
            r.gross_margin,
        ),
        Node(
            "inventory_months",
            "Inventory (months of supply)",
            "guardrail",
            "guardrails",
            "months",
            "Units in stock at month end / units shipped in the month",
            value=r.at("inventory_months"),
            threshold=p.max_inventory_months,
            direction="max",
            series=r.inventory_months,
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
            series=r.top_customer_share,
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
    """The AI-hardware metric tree (seed 000 §3) for the snapshot month.

    Guardrails that move over time carry their monthly series, so they are judged over the
    whole horizon (first breach month, worst value), not at the snapshot month alone.
    """
    root = Node(
        "hardware_revenue",
        "Hardware revenue",
        "north_star",
        unit="USD per month",
        definition=f"Month {r.params.snapshot_month}",
        formula=Formula("product", ("units_shipped", "net_asp")),
    )
    nodes = [root, *_driver_nodes(r), *_health_and_economics_nodes(r), *_leading_and_guardrail_nodes(r)]
    return MetricTree("AI hardware model metrics", tuple(nodes))
