"""The metric tree of the AI hardware model, built from a computed result."""

from __future__ import annotations

from aibm_core.core.tree import Formula, MetricTree, Node, gross_margin_floor
from aibm_core.models.ai_hardware.model import AiHardwareResult, unit_economics


def _driver_nodes(r: AiHardwareResult) -> list[Node]:
    """Revenue drivers and product adoption."""
    p = r.params
    return [
        Node(id="revenue_drivers", label="Revenue drivers", kind="group", parent="hardware_revenue"),
        Node(
            id="net_asp",
            label="Net ASP",
            kind="input",
            parent="revenue_drivers",
            unit="USD per unit",
            formula=Formula("difference", ("list_asp", "discounts")),
        ),
        Node(
            id="list_asp",
            label="List ASP (mix, after erosion)",
            kind="input",
            parent="net_asp",
            unit="USD per unit",
            definition="Tiers and generations in the month's shipment mix",
            value=r.at("list_asp"),
        ),
        Node(
            id="discounts",
            label="Volume and contract discounts",
            kind="input",
            parent="net_asp",
            unit="USD per unit",
            value=r.at("volume_discount_per_unit") + r.at("contract_discount_per_unit"),
        ),
        Node(
            id="high_end_share",
            label="Product mix: high-end share",
            kind="input",
            parent="revenue_drivers",
            unit="fraction",
            value=p.high_end_unit_share,
        ),
        Node(
            id="new_customers",
            label="New enterprise customers",
            kind="input",
            parent="revenue_drivers",
            unit="customers per month",
            value=p.new_customers_per_month,
        ),
        Node(
            id="retention",
            label="Renewals / upgrades (retention)",
            kind="input",
            parent="revenue_drivers",
            unit="fraction per year",
            value=p.annual_retention,
        ),
        Node(
            id="software_attach",
            label="Software attach rate",
            kind="input",
            parent="revenue_drivers",
            unit="fraction",
            definition="Software ecosystem adoption: share of units with a subscription",
            value=p.software_attach_rate,
        ),
        Node(id="adoption", label="Product adoption", kind="group", parent="hardware_revenue"),
        Node(
            id="units_shipped",
            label="Units shipped",
            kind="input",
            parent="adoption",
            unit="units per month",
            formula=Formula("product", ("customers", "units_per_customer")),
        ),
        Node(
            id="customers",
            label="Customers",
            kind="input",
            parent="units_shipped",
            unit="customers",
            value=r.at("customers"),
        ),
        Node(
            id="units_per_customer",
            label="Units per customer",
            kind="input",
            parent="units_shipped",
            unit="units per month",
            value=r.at("units") / r.at("customers"),
        ),
        Node(
            id="market_share",
            label="Market share",
            kind="input",
            parent="adoption",
            unit="fraction",
            value=p.market_share,
            observed=True,
        ),
        Node(
            id="cloud_share",
            label="Segment mix: cloud share",
            kind="input",
            parent="adoption",
            unit="fraction",
            value=p.cloud_revenue_share,
            observed=True,
        ),
        Node(
            id="developers",
            label="Software stack developers",
            kind="input",
            parent="adoption",
            unit="M developers",
            value=p.developers_m,
            observed=True,
        ),
    ]


def _health_and_economics_nodes(r: AiHardwareResult) -> list[Node]:
    """Customer health, unit economics and margins."""
    p, usd_m, ue = r.params, "USD per month", unit_economics(r)
    return [
        Node(id="health", label="Customer health", kind="group", parent="hardware_revenue"),
        Node(
            id="ltv",
            label="Customer lifetime value",
            kind="input",
            parent="health",
            unit="USD per customer",
            definition=(
                "Gross profit per customer over its projected path (ltv_months, capped), surviving "
                "at the retention rate and discounted"
            ),
            value=ue["ltv"],
        ),
        Node(
            id="cac_payback",
            label="CAC payback",
            kind="input",
            parent="health",
            unit="months",
            definition="Months of a customer's gross profit needed to recover the cost of winning it",
            formula=Formula("payback", ("sales_cost", "customer_gross_profit")),
        ),
        Node(
            id="sales_cost",
            label="Sales cost per customer",
            kind="input",
            parent="cac_payback",
            unit="USD per customer",
            value=p.sales_cost_per_customer_usd,
        ),
        Node(
            id="customer_gross_profit",
            label="Gross profit per customer",
            kind="input",
            parent="cac_payback",
            unit="USD per customer per month",
            definition="Hardware gross profit of the customer's units plus software gross profit, this month",
            value=ue["gross_profit_per_customer"],
        ),
        Node(
            id="sales_cost_to_ltv",
            label="Sales cost / LTV (the seed's 'CAC payback')",
            kind="input",
            parent="health",
            unit="ratio",
            formula=Formula("ratio", ("sales_cost", "ltv")),
        ),
        Node(
            id="support_tickets",
            label="Support tickets",
            kind="input",
            parent="health",
            unit="per 1K units per month",
            value=p.support_tickets_per_1k_units,
            observed=True,
        ),
        Node(
            id="failure_rate",
            label="Failure rate",
            kind="input",
            parent="health",
            unit="fraction per year",
            value=p.annual_failure_rate,
            observed=True,
        ),
        Node(
            id="satisfaction",
            label="Customer satisfaction",
            kind="input",
            parent="health",
            unit="fraction",
            value=p.customer_satisfaction,
            observed=True,
        ),
        Node(id="economics", label="Unit economics", kind="group", parent="hardware_revenue"),
        Node(
            id="cost_per_unit",
            label="Cost per unit (manufacturing + R&D per unit shipped)",
            kind="input",
            parent="economics",
            unit="USD per unit",
            formula=Formula("sum", ("manufacturing_cost", "rnd_per_unit")),
        ),
        Node(
            id="manufacturing_cost",
            label="Manufacturing cost",
            kind="input",
            parent="cost_per_unit",
            unit="USD per unit",
            value=r.at("manufacturing_cost_per_unit"),
        ),
        Node(
            id="rnd_per_unit",
            label="R&D per unit shipped this month",
            kind="input",
            parent="cost_per_unit",
            unit="USD per unit",
            definition="The month's R&D spread over the month's units (not a generation's R&D over its life)",
            formula=Formula("ratio", ("rnd", "units_shipped")),
        ),
        Node(
            id="revenue",
            label="Total revenue",
            kind="input",
            parent="economics",
            unit=usd_m,
            formula=Formula("sum", ("hardware_revenue", "software_revenue", "other_segments_revenue")),
        ),
        Node(
            id="other_segments_revenue",
            label="Other segments' revenue",
            kind="input",
            parent="revenue",
            unit=usd_m,
            definition="Segments outside the data centre (gaming, visualisation, automotive), this month",
            value=r.at("other_segments_revenue"),
        ),
        Node(
            id="software_revenue",
            label="Software revenue",
            kind="input",
            parent="revenue",
            unit=usd_m,
            value=r.at("software_revenue"),
        ),
        Node(
            id="software_value_per_unit",
            label="Software subscriptions per unit shipped (PV)",
            kind="input",
            parent="economics",
            unit="USD per unit",
            definition=(
                "Present value of the software gross profit one shipped unit brings (attach rate × lifetime)"
            ),
            value=ue["software_value_per_unit"],
        ),
        Node(
            id="cogs",
            label="Cost of revenue",
            kind="input",
            parent="economics",
            unit=usd_m,
            formula=Formula("sum", ("manufacturing_cogs", "other_cogs")),
        ),
        Node(
            id="manufacturing_cogs",
            label="Manufacturing COGS",
            kind="input",
            parent="cogs",
            unit=usd_m,
            formula=Formula("product", ("units_shipped", "manufacturing_cost")),
        ),
        Node(
            id="other_cogs",
            label="Software cost, write-downs, other segments",
            kind="input",
            parent="cogs",
            unit=usd_m,
            value=r.at("software_cogs") + r.at("inventory_writedowns") + r.at("other_segments_cogs"),
        ),
        Node(
            id="operating_margin",
            label="Operating margin",
            kind="input",
            parent="economics",
            unit="fraction",
            formula=Formula("margin", ("revenue", "total_costs")),
        ),
        Node(
            id="total_costs",
            label="Total costs (COGS, R&D, opex)",
            kind="input",
            parent="operating_margin",
            unit=usd_m,
            value=r.at("revenue") - r.at("operating_profit"),
        ),
    ]


def _leading_and_guardrail_nodes(r: AiHardwareResult) -> list[Node]:
    """Leading indicators and guardrails."""
    p = r.params
    return [
        Node(id="leading", label="Leading indicators", kind="group", parent="hardware_revenue"),
        Node(
            id="bookings",
            label="Pipeline / bookings",
            kind="leading",
            parent="leading",
            unit="USD per month",
            definition="Orders booked this month for shipment one order lead time (order_lead_months) later",
            value=r.at("bookings"),
        ),
        Node(
            id="rnd",
            label="R&D investment",
            kind="leading",
            parent="leading",
            unit="USD per month",
            value=r.at("rnd"),
        ),
        Node(
            id="partnerships",
            label="Partnership announcements",
            kind="leading",
            parent="leading",
            unit="per quarter",
            value=p.partnership_announcements,
            observed=True,
        ),
        Node(
            id="developer_growth",
            label="Developer ecosystem growth",
            kind="leading",
            parent="leading",
            unit="fraction per year",
            value=p.developer_growth,
            observed=True,
        ),
        Node(id="guardrails", label="Guardrails", kind="group", parent="hardware_revenue"),
        gross_margin_floor(
            "gross_margin",
            "guardrails",
            Formula("margin", ("revenue", "cogs")),
            p.min_gross_margin,
            r.gross_margin,
        ),
        Node(
            id="inventory_months",
            label="Inventory (months of supply)",
            kind="guardrail",
            parent="guardrails",
            unit="months",
            definition="Units in stock at month end / units shipped in the month",
            value=r.at("inventory_months"),
            threshold=p.max_inventory_months,
            direction="max",
            series=r.inventory_months,
        ),
        Node(
            id="top_customer_share",
            label=f"Top-{p.top_customers} customer share",
            kind="guardrail",
            parent="guardrails",
            unit="fraction",
            value=r.at("top_customer_share"),
            threshold=p.max_top_customer_share,
            direction="max",
            series=r.top_customer_share,
        ),
        Node(
            id="asp_erosion",
            label="ASP erosion (competition)",
            kind="guardrail",
            parent="guardrails",
            unit="fraction per year",
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
        id="hardware_revenue",
        label="Hardware revenue",
        kind="north_star",
        unit="USD per month",
        definition=f"Month {r.params.snapshot_month}",
        formula=Formula("product", ("units_shipped", "net_asp")),
    )
    nodes = [root, *_driver_nodes(r), *_health_and_economics_nodes(r), *_leading_and_guardrail_nodes(r)]
    return MetricTree("AI hardware model metrics", tuple(nodes))
