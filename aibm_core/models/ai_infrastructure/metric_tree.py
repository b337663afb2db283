"""The metric tree of the AI infrastructure / GPU cloud model, built from a computed result."""

from __future__ import annotations

from aibm_core.models.ai_infrastructure.model import AiInfrastructureResult
from aibm_core.models.ai_infrastructure.params import HOURS_PER_MONTH, HOURS_PER_YEAR, USD_H
from aibm_core.tree import Formula, MetricTree, Node, gross_margin_floor


def _revenue_nodes(r: AiInfrastructureResult) -> list[Node]:
    p = r.params
    nodes = [
        Node("revenue_drivers", "Revenue drivers", "group", "revenue"),
        Node(
            "revenue_per_sold_hour",
            "Revenue per sold GPU-hour",
            "input",
            "revenue_drivers",
            USD_H,
            "Blended: contract prices weighted by their share of sold hours",
            formula=Formula("sum", ("on_demand_rate", "reserved_rate", "spot_rate")),
        ),
        Node(
            "revenue_per_installed_hour",
            "Revenue per installed GPU-hour",
            "input",
            "revenue_drivers",
            USD_H,
            formula=Formula("product", ("revenue_per_sold_hour", "utilisation")),
        ),
    ]
    for key, label in (("on_demand", "On-demand"), ("reserved", "Reserved"), ("spot", "Spot")):
        nodes += [
            Node(
                f"{key}_rate",
                f"{label}",
                "input",
                "revenue_per_sold_hour",
                USD_H,
                formula=Formula("product", (f"{key}_share", f"{key}_price")),
            ),
            Node(
                f"{key}_share",
                f"{label} share",
                "input",
                f"{key}_rate",
                "fraction",
                value=getattr(p, f"{key}_share"),
            ),
            Node(f"{key}_price", f"{label} price", "input", f"{key}_rate", USD_H, value=r.at(f"{key}_price")),
        ]
    return nodes


def _cost_nodes(r: AiInfrastructureResult) -> list[Node]:
    p = r.params
    return [
        Node("unit_economics", "Unit economics (per installed GPU-hour)", "group", "revenue"),
        Node(
            "cost_per_hour",
            "Full cost per installed GPU-hour",
            "input",
            "unit_economics",
            USD_H,
            formula=Formula("sum", ("cost_before_financing", "financing_per_hour")),
        ),
        Node(
            "cost_before_financing",
            "Cost before financing",
            "input",
            "cost_per_hour",
            USD_H,
            formula=Formula("sum", ("depreciation_per_hour", "cash_cost_per_hour")),
        ),
        Node(
            "depreciation_per_hour",
            "Depreciation",
            "input",
            "cost_before_financing",
            USD_H,
            formula=Formula("ratio", ("capex_per_gpu", "useful_life"), 1.0 / HOURS_PER_YEAR),
        ),
        Node(
            "capex_per_gpu",
            "Capex per GPU",
            "input",
            "depreciation_per_hour",
            "USD per GPU",
            value=p.capex_per_gpu_usd,
        ),
        Node(
            "useful_life", "Useful life", "input", "depreciation_per_hour", "years", value=p.useful_life_years
        ),
        Node(
            "cash_cost_per_hour",
            "Operating cash cost",
            "input",
            "cost_before_financing",
            USD_H,
            formula=Formula("sum", ("power_per_hour", "dc_opex_per_hour")),
        ),
        Node(
            "power_per_hour",
            "Power and cooling",
            "input",
            "cash_cost_per_hour",
            USD_H,
            formula=Formula("product", ("power_kw", "pue", "electricity_price")),
        ),
        Node(
            "power_kw", "IT power per GPU", "input", "power_per_hour", "kW per GPU", value=p.power_kw_per_gpu
        ),
        Node("pue", "PUE", "input", "power_per_hour", "ratio", value=p.pue),
        Node(
            "electricity_price",
            "Electricity price",
            "input",
            "power_per_hour",
            "USD per kWh",
            value=p.electricity_usd_per_kwh,
        ),
        Node(
            "dc_opex_per_hour",
            "Other data-centre opex",
            "input",
            "cash_cost_per_hour",
            USD_H,
            formula=Formula("ratio", ("dc_opex_month", "hours_per_month")),
        ),
        Node(
            "dc_opex_month",
            "Other opex per GPU",
            "input",
            "dc_opex_per_hour",
            "USD per GPU per month",
            value=p.dc_opex_per_gpu_month_usd,
        ),
        Node(
            "financing_per_hour",
            "Financing",
            "input",
            "cost_per_hour",
            USD_H,
            "Average interest on the capex loan",
            value=r.at("financing_per_hour"),
        ),
        Node(
            "ebitda_margin",
            "EBITDA margin",
            "input",
            "unit_economics",
            "fraction",
            formula=Formula("margin", ("revenue_per_installed_hour", "cash_cost_per_hour")),
        ),
        Node(
            "break_even_utilisation",
            "Break-even utilisation",
            "input",
            "unit_economics",
            "fraction",
            "Gross margin = 0",
            formula=Formula("ratio", ("cost_before_financing", "revenue_per_sold_hour")),
        ),
        Node(
            "ebitda_per_gpu_month",
            "Cash contribution per GPU",
            "input",
            "unit_economics",
            "USD per GPU per month",
            formula=Formula(
                "difference", ("revenue_per_installed_hour", "cash_cost_per_hour"), HOURS_PER_MONTH
            ),
        ),
        Node(
            "flat_payback",
            "Payback at this month's cash, held flat",
            "input",
            "unit_economics",
            "months",
            "Ignores the fall of prices and utilisation; compare with the capex payback guardrail",
            formula=Formula("payback", ("capex_per_gpu", "ebitda_per_gpu_month")),
        ),
        Node(
            "npv_per_gpu",
            "NPV per GPU",
            "input",
            "unit_economics",
            "USD per GPU",
            "GPU installed this month: cash contribution over its useful life on the projected path, "
            "discounted at the financing rate, less its capex",
            value=r.at("npv_per_gpu"),
        ),
    ]


def _capacity_and_bridge_nodes(r: AiInfrastructureResult) -> list[Node]:
    p = r.params
    usd_m = "USD per 1M tokens"
    return [
        Node("capacity", "Capacity", "group", "revenue"),
        Node("installed_gpus", "Installed GPUs", "input", "capacity", "GPUs", value=r.at("installed_gpus")),
        Node("hours_per_month", "Hours per month", "input", "capacity", "hours", value=HOURS_PER_MONTH),
        Node("bridge", "Compute-cost bridge", "group", "revenue"),
        Node(
            "tokens_per_second",
            "Tokens per second per GPU",
            "input",
            "bridge",
            "tokens per second",
            value=p.tokens_per_second_per_gpu,
        ),
        Node(
            "tokens_per_installed_hour",
            "Tokens per installed GPU-hour",
            "input",
            "bridge",
            "tokens per hour",
            formula=Formula("product", ("tokens_per_second", "utilisation"), 3600.0),
        ),
        Node(
            "implied_price_per_m_tokens",
            "Implied price per 1M tokens",
            "input",
            "bridge",
            usd_m,
            "GPU-hour price of a fully busy GPU",
            formula=Formula("ratio", ("revenue_per_sold_hour", "tokens_per_second"), 1e6 / 3600.0),
        ),
        Node(
            "fleet_cost_per_m_tokens",
            "Cost per 1M tokens on the fleet",
            "input",
            "bridge",
            usd_m,
            formula=Formula("ratio", ("cost_per_hour", "tokens_per_installed_hour"), 1e6),
        ),
    ]


def _leading_and_guardrail_nodes(r: AiInfrastructureResult) -> list[Node]:
    p = r.params
    return [
        Node("leading", "Leading indicators", "group", "revenue"),
        Node(
            "capacity_growth",
            "Capacity growth (QoQ)",
            "leading",
            "leading",
            "fraction per quarter",
            value=p.quarterly_capacity_growth,
        ),
        Node(
            "contracted_backlog",
            "Contracted backlog",
            "leading",
            "leading",
            "USD",
            "Reserved revenue × half the contract term",
            value=r.at("contracted_backlog"),
        ),
        Node(
            "pipeline_gpus",
            "Sales pipeline",
            "leading",
            "leading",
            "GPUs",
            value=p.pipeline_gpus,
            observed=True,
        ),
        Node(
            "secured_power",
            "Secured facility power",
            "leading",
            "leading",
            "MW",
            value=p.secured_power_mw,
            observed=True,
        ),
        Node("guardrails", "Guardrails", "group", "revenue"),
        Node(
            "utilisation",
            "GPU utilisation",
            "guardrail",
            "guardrails",
            "fraction",
            "Realised: target utilisation × share of the target book still under contract",
            value=r.at("utilisation"),
            threshold=p.min_utilisation,
            direction="min",
            series=r.utilisation,
        ),
        Node(
            "retention",
            "Customer retention (annual)",
            "guardrail",
            "guardrails",
            "fraction per year",
            value=p.annual_retention,
            threshold=p.min_annual_retention,
            direction="min",
        ),
        Node(
            "capex_payback",
            "Capex payback",
            "guardrail",
            "guardrails",
            "months",
            "GPU installed this month: months until its cash contribution on the projected price and "
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
            "fleet_power",
            "Facility power drawn",
            "guardrail",
            "guardrails",
            "MW",
            "Limit: secured power",
            formula=Formula("product", ("installed_gpus", "power_kw", "pue"), 1e-3),
            threshold=p.secured_power_mw,
            direction="max",
            series=r.fleet_power_mw,
        ),
    ]


def tree(r: AiInfrastructureResult) -> MetricTree:
    """The GPU-cloud metric tree (seed 002's key metrics) for the snapshot month."""
    root = Node(
        "revenue",
        "GPU-cloud revenue (monthly)",
        "north_star",
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
