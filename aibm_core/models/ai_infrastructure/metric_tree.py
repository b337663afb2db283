"""The metric tree of the AI infrastructure / GPU cloud model, built from a computed result."""

from __future__ import annotations

from aibm_core.core.tree import Formula, MetricTree, Node, gross_margin_floor
from aibm_core.models.ai_infrastructure.model import AiInfrastructureResult
from aibm_core.models.ai_infrastructure.params import HOURS_PER_MONTH, HOURS_PER_YEAR, USD_H


def _revenue_nodes(r: AiInfrastructureResult) -> list[Node]:
    p = r.params
    nodes = [
        Node(id="revenue_drivers", label="Revenue drivers", kind="group", parent="revenue"),
        Node(
            id="revenue_per_sold_hour",
            label="Revenue per sold GPU-hour",
            kind="input",
            parent="revenue_drivers",
            unit=USD_H,
            definition="Blended: contract prices weighted by their share of sold hours",
            formula=Formula("sum", ("on_demand_rate", "reserved_rate", "spot_rate")),
        ),
        Node(
            id="revenue_per_installed_hour",
            label="Revenue per installed GPU-hour",
            kind="input",
            parent="revenue_drivers",
            unit=USD_H,
            formula=Formula("product", ("revenue_per_sold_hour", "utilisation")),
        ),
    ]
    for key, label in (("on_demand", "On-demand"), ("reserved", "Reserved"), ("spot", "Spot")):
        nodes += [
            Node(
                id=f"{key}_rate",
                label=f"{label}",
                kind="input",
                parent="revenue_per_sold_hour",
                unit=USD_H,
                formula=Formula("product", (f"{key}_share", f"{key}_price")),
            ),
            Node(
                id=f"{key}_share",
                label=f"{label} share",
                kind="input",
                parent=f"{key}_rate",
                unit="fraction",
                value=getattr(p, f"{key}_share"),
            ),
            Node(
                id=f"{key}_price",
                label=f"{label} price",
                kind="input",
                parent=f"{key}_rate",
                unit=USD_H,
                value=r.at(f"{key}_price"),
            ),
        ]
    return nodes


def _cost_nodes(r: AiInfrastructureResult) -> list[Node]:
    p = r.params
    return [
        Node(
            id="unit_economics",
            label="Unit economics (per installed GPU-hour)",
            kind="group",
            parent="revenue",
        ),
        Node(
            id="cost_per_hour",
            label="Full cost per installed GPU-hour",
            kind="input",
            parent="unit_economics",
            unit=USD_H,
            formula=Formula("sum", ("cost_before_financing", "financing_per_hour")),
        ),
        Node(
            id="cost_before_financing",
            label="Cost before financing",
            kind="input",
            parent="cost_per_hour",
            unit=USD_H,
            formula=Formula("sum", ("depreciation_per_hour", "cash_cost_per_hour")),
        ),
        Node(
            id="depreciation_per_hour",
            label="Depreciation",
            kind="input",
            parent="cost_before_financing",
            unit=USD_H,
            formula=Formula("ratio", ("capex_per_gpu", "useful_life"), 1.0 / HOURS_PER_YEAR),
        ),
        Node(
            id="capex_per_gpu",
            label="Capex per GPU",
            kind="input",
            parent="depreciation_per_hour",
            unit="USD per GPU",
            value=p.capex_per_gpu_usd,
        ),
        Node(
            id="useful_life",
            label="Useful life",
            kind="input",
            parent="depreciation_per_hour",
            unit="years",
            value=p.useful_life_years,
        ),
        Node(
            id="cash_cost_per_hour",
            label="Operating cash cost",
            kind="input",
            parent="cost_before_financing",
            unit=USD_H,
            formula=Formula("sum", ("power_per_hour", "dc_opex_per_hour")),
        ),
        Node(
            id="power_per_hour",
            label="Power and cooling",
            kind="input",
            parent="cash_cost_per_hour",
            unit=USD_H,
            formula=Formula("product", ("power_kw", "pue", "electricity_price")),
        ),
        Node(
            id="power_kw",
            label="IT power per GPU",
            kind="input",
            parent="power_per_hour",
            unit="kW per GPU",
            value=p.power_kw_per_gpu,
        ),
        Node(id="pue", label="PUE", kind="input", parent="power_per_hour", unit="ratio", value=p.pue),
        Node(
            id="electricity_price",
            label="Electricity price",
            kind="input",
            parent="power_per_hour",
            unit="USD per kWh",
            value=p.electricity_usd_per_kwh,
        ),
        Node(
            id="dc_opex_per_hour",
            label="Other data-centre opex",
            kind="input",
            parent="cash_cost_per_hour",
            unit=USD_H,
            formula=Formula("ratio", ("dc_opex_month", "hours_per_month")),
        ),
        Node(
            id="dc_opex_month",
            label="Other opex per GPU",
            kind="input",
            parent="dc_opex_per_hour",
            unit="USD per GPU per month",
            value=p.dc_opex_per_gpu_month_usd,
        ),
        Node(
            id="financing_per_hour",
            label="Financing",
            kind="input",
            parent="cost_per_hour",
            unit=USD_H,
            definition="Average interest on the capex loan",
            value=r.at("financing_per_hour"),
        ),
        Node(
            id="operating_margin",
            label="Operating (EBIT) margin",
            kind="input",
            parent="unit_economics",
            unit="fraction",
            definition="After SG&A and R&D, before financing",
            formula=Formula("margin", ("revenue_per_installed_hour", "cost_incl_opex")),
        ),
        Node(
            id="cost_incl_opex",
            label="Cost incl. corporate opex",
            kind="input",
            parent="operating_margin",
            unit=USD_H,
            formula=Formula("sum", ("cost_before_financing", "corporate_opex_per_hour")),
        ),
        Node(
            id="corporate_opex_per_hour",
            label="SG&A + R&D",
            kind="input",
            parent="cost_incl_opex",
            unit=USD_H,
            formula=Formula("sum", ("sga_per_hour", "rd_per_hour")),
        ),
        Node(
            id="sga_per_hour",
            label="SG&A",
            kind="input",
            parent="corporate_opex_per_hour",
            unit=USD_H,
            formula=Formula("product", ("revenue_per_installed_hour", "sga_share")),
        ),
        Node(
            id="sga_share",
            label="SG&A share of revenue",
            kind="input",
            parent="sga_per_hour",
            unit="fraction of revenue",
            value=p.sga_share_of_revenue,
        ),
        Node(
            id="rd_per_hour",
            label="R&D",
            kind="input",
            parent="corporate_opex_per_hour",
            unit=USD_H,
            definition="Fixed R&D spread over the installed GPU-hours",
            formula=Formula("ratio", ("rd_month", "installed_gpus"), 1.0 / HOURS_PER_MONTH),
        ),
        Node(
            id="rd_month",
            label="R&D per month",
            kind="input",
            parent="rd_per_hour",
            unit="USD per month",
            value=p.rd_per_month_usd,
        ),
        Node(
            id="ebitda_margin",
            label="EBITDA margin",
            kind="input",
            parent="unit_economics",
            unit="fraction",
            formula=Formula("margin", ("revenue_per_installed_hour", "cash_cost_per_hour")),
        ),
        Node(
            id="break_even_utilisation",
            label="Break-even utilisation",
            kind="input",
            parent="unit_economics",
            unit="fraction",
            definition="Gross margin = 0",
            formula=Formula("ratio", ("cost_before_financing", "revenue_per_sold_hour")),
        ),
        Node(
            id="ebitda_per_gpu_month",
            label="Cash contribution per GPU",
            kind="input",
            parent="unit_economics",
            unit="USD per GPU per month",
            formula=Formula(
                "difference", ("revenue_per_installed_hour", "cash_cost_per_hour"), HOURS_PER_MONTH
            ),
        ),
        Node(
            id="flat_payback",
            label="Payback at this month's cash, held flat",
            kind="input",
            parent="unit_economics",
            unit="months",
            definition="Ignores the fall of prices and utilisation; compare with the capex payback guardrail",
            formula=Formula("payback", ("capex_per_gpu", "ebitda_per_gpu_month")),
        ),
        Node(
            id="npv_per_gpu",
            label="NPV per GPU",
            kind="input",
            parent="unit_economics",
            unit="USD per GPU",
            definition="GPU installed this month: cash contribution over its useful life on "
            "the projected path, "
            "discounted at the financing rate, less its capex",
            value=r.at("npv_per_gpu"),
        ),
    ]


def _capacity_and_bridge_nodes(r: AiInfrastructureResult) -> list[Node]:
    p = r.params
    usd_m = "USD per 1M tokens"
    return [
        Node(id="capacity", label="Capacity", kind="group", parent="revenue"),
        Node(
            id="installed_gpus",
            label="Installed GPUs",
            kind="input",
            parent="capacity",
            unit="GPUs",
            value=r.at("installed_gpus"),
        ),
        Node(
            id="hours_per_month",
            label="Hours per month",
            kind="input",
            parent="capacity",
            unit="hours",
            value=HOURS_PER_MONTH,
        ),
        Node(id="bridge", label="Compute-cost bridge", kind="group", parent="revenue"),
        Node(
            id="tokens_per_second",
            label="Tokens per second per GPU",
            kind="input",
            parent="bridge",
            unit="tokens per second",
            value=p.tokens_per_second_per_gpu,
        ),
        Node(
            id="tokens_per_installed_hour",
            label="Tokens per installed GPU-hour",
            kind="input",
            parent="bridge",
            unit="tokens per hour",
            formula=Formula("product", ("tokens_per_second", "utilisation"), 3600.0),
        ),
        Node(
            id="implied_price_per_m_tokens",
            label="Implied price per 1M tokens",
            kind="input",
            parent="bridge",
            unit=usd_m,
            definition="GPU-hour price of a fully busy GPU",
            formula=Formula("ratio", ("revenue_per_sold_hour", "tokens_per_second"), 1e6 / 3600.0),
        ),
        Node(
            id="fleet_cost_per_m_tokens",
            label="Cost per 1M tokens on the fleet",
            kind="input",
            parent="bridge",
            unit=usd_m,
            formula=Formula("ratio", ("cost_per_hour", "tokens_per_installed_hour"), 1e6),
        ),
    ]


def _leading_and_guardrail_nodes(r: AiInfrastructureResult) -> list[Node]:
    p = r.params
    return [
        Node(id="leading", label="Leading indicators", kind="group", parent="revenue"),
        Node(
            id="capacity_growth",
            label="Capacity growth (QoQ)",
            kind="leading",
            parent="leading",
            unit="fraction per quarter",
            value=p.quarterly_capacity_growth,
        ),
        Node(
            id="contracted_backlog",
            label="Contracted backlog",
            kind="leading",
            parent="leading",
            unit="USD",
            definition="Reserved revenue per month × average remaining term of the live reserved contracts",
            value=r.at("contracted_backlog"),
        ),
        Node(
            id="pipeline_gpus",
            label="Sales pipeline",
            kind="leading",
            parent="leading",
            unit="GPUs",
            value=p.pipeline_gpus,
            observed=True,
        ),
        Node(
            id="secured_power",
            label="Secured facility power",
            kind="leading",
            parent="leading",
            unit="MW",
            value=p.secured_power_mw,
            observed=True,
        ),
        Node(id="guardrails", label="Guardrails", kind="group", parent="revenue"),
        Node(
            id="utilisation",
            label="GPU utilisation",
            kind="guardrail",
            parent="guardrails",
            unit="fraction",
            definition="Realised: target utilisation × share of the target book still under contract",
            value=r.at("utilisation"),
            threshold=p.min_utilisation,
            direction="min",
            series=r.utilisation,
        ),
        Node(
            id="retention",
            label="Customer retention (annual)",
            kind="guardrail",
            parent="guardrails",
            unit="fraction per year",
            value=p.annual_retention,
            threshold=p.min_annual_retention,
            direction="min",
        ),
        Node(
            id="capex_payback",
            label="Capex payback",
            kind="guardrail",
            parent="guardrails",
            unit="months",
            definition="GPU installed this month: months until its cash contribution on the "
            "projected price and "
            "utilisation path recovers its capex (never within its useful life = never). "
            "Series: by month of installation. Limit: useful life",
            value=r.at("capex_payback_months"),
            threshold=12.0 * p.useful_life_years,
            direction="max",
            series=r.capex_payback_months,
        ),
        gross_margin_floor(
            "gross_margin",
            "guardrails",
            Formula("margin", ("revenue_per_installed_hour", "cost_before_financing")),
            p.min_gross_margin,
            r.gross_margin,
            "After depreciation, before financing",
        ),
        Node(
            id="fleet_power",
            label="Facility power drawn",
            kind="guardrail",
            parent="guardrails",
            unit="MW",
            definition="Limit: secured power",
            formula=Formula("product", ("installed_gpus", "power_kw", "pue"), 1e-3),
            threshold=p.secured_power_mw,
            direction="max",
            series=r.fleet_power_mw,
        ),
    ]


def tree(r: AiInfrastructureResult) -> MetricTree:
    """The GPU-cloud metric tree (seed 002's key metrics) for the snapshot month."""
    root = Node(
        id="revenue",
        label="GPU-cloud revenue (monthly)",
        kind="north_star",
        unit="USD per month",
        definition=f"Month {r.params.snapshot_month}",
        formula=Formula(
            "product", ("installed_gpus", "hours_per_month", "utilisation", "revenue_per_sold_hour")
        ),
    )
    nodes = [
        root,
        *_revenue_nodes(r),
        *_cost_nodes(r),
        *_capacity_and_bridge_nodes(r),
        *_leading_and_guardrail_nodes(r),
    ]
    return MetricTree("AI infrastructure / GPU cloud metrics", tuple(nodes))
