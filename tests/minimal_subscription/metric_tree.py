"""The metric tree of the minimal subscription model, built from a computed result."""

from __future__ import annotations

from aibm_core.core.tree import Formula, MetricTree, Node, cac_payback_guardrail, gross_margin_floor
from tests.minimal_subscription.model import MinimalSubscriptionResult


def tree(r: MinimalSubscriptionResult) -> MetricTree:
    """MRR as the north star, its drivers, unit economics and guardrails (snapshot month)."""
    p = r.params
    nodes = [
        Node(
            id="mrr",
            label="Monthly recurring revenue (MRR)",
            kind="north_star",
            unit="USD per month",
            formula=Formula("product", ("customers", "price")),
        ),
        Node(id="drivers", label="Revenue drivers", kind="group", parent="mrr"),
        Node(
            id="customers",
            label="Paying customers",
            kind="input",
            parent="drivers",
            unit="customers",
            value=r.at("customers"),
        ),
        Node(
            id="price",
            label="Price per customer",
            kind="input",
            parent="drivers",
            unit="USD per customer per month",
            value=p.price_per_customer_usd,
        ),
        Node(id="unit_economics", label="Unit economics", kind="group", parent="mrr"),
        Node(
            id="cost_to_serve",
            label="Cost to serve per customer",
            kind="input",
            parent="unit_economics",
            unit="USD per customer per month",
            value=p.cost_per_customer_usd,
        ),
        Node(
            id="gp_per_customer",
            label="Gross profit per customer",
            kind="input",
            parent="unit_economics",
            unit="USD per customer per month",
            formula=Formula("difference", ("price", "cost_to_serve")),
        ),
        Node(
            id="cac",
            label="Customer acquisition cost",
            kind="input",
            parent="unit_economics",
            unit="USD per customer",
            value=p.cac_usd,
        ),
        cac_payback_guardrail(
            "unit_economics", "cac", "gp_per_customer", p.max_cac_payback_months, r.cac_payback_months
        ),
        Node(id="guardrails", label="Guardrails", kind="group", parent="mrr"),
        Node(
            id="churn",
            label="Monthly churn",
            kind="guardrail",
            parent="guardrails",
            unit="fraction per month",
            value=p.monthly_churn,
            threshold=p.max_monthly_churn,
            direction="max",
        ),
        gross_margin_floor(
            "gross_margin_floor",
            "guardrails",
            Formula("margin", ("price", "cost_to_serve")),
            p.min_gross_margin,
            r.gross_margin,
            "Gross margin (price less cost to serve, over price) in every month",
        ),
    ]
    return MetricTree("Minimal subscription metrics", tuple(nodes))
