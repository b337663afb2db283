"""The metric tree of the AI platform model (seed 000 §2), built from a computed result."""

from __future__ import annotations

from aibm_core.models.ai_platform.model import AiPlatformResult
from aibm_core.tree import Formula, MetricTree, Node, cac_payback_guardrail, gross_margin_floor

USD_H = "USD per GPU-hour"
PER_CUSTOMER = "USD per customer per month"


def _revenue_nodes(r: AiPlatformResult) -> list[Node]:
    """MRR = customers × revenue per customer, split into compute, storage and inference."""
    s = r.params.snapshot_month
    return [
        Node("revenue_drivers", "Revenue drivers", "group", "arr"),
        Node(
            "mrr",
            "Platform revenue (MRR)",
            "input",
            "revenue_drivers",
            "USD per month",
            f"Net platform revenue in month {s}",
            formula=Formula("product", ("customers", "revenue_per_customer")),
        ),
        Node(
            "customers",
            "Enterprise customers",
            "input",
            "revenue_drivers",
            "customers",
            f"Paying customers at the end of month {s}: base less churn and switching plus new customers",
            value=r.at("customers"),
        ),
        Node(
            "new_customers",
            "New enterprise customers",
            "input",
            "customers",
            "customers per month",
            formula=Formula("product", ("trial_signups", "free_to_paid")),
        ),
        Node(
            "revenue_per_customer",
            "Revenue per customer",
            "input",
            "revenue_drivers",
            PER_CUSTOMER,
            formula=Formula("sum", ("compute_revenue_pc", "storage_revenue_pc", "inference_revenue_pc")),
        ),
        Node(
            "compute_revenue_pc",
            "Compute (ML training and hosting)",
            "input",
            "revenue_per_customer",
            PER_CUSTOMER,
            formula=Formula("product", ("hours_per_customer", "net_price_per_hour")),
        ),
        Node(
            "hours_per_customer",
            "GPU-hours per customer (consumption growth × services)",
            "input",
            "compute_revenue_pc",
            "GPU-hours per customer per month",
            value=r.at("compute_hours_per_customer"),
        ),
        Node(
            "net_price_per_hour",
            "Net price per GPU-hour",
            "input",
            "compute_revenue_pc",
            USD_H,
            "List price after the on-demand / reserved / spot mix and the bundle discount",
            formula=Formula("product", ("list_price", "mix_factor", "bundle_factor")),
        ),
        Node(
            "list_price",
            "On-demand list price",
            "input",
            "net_price_per_hour",
            USD_H,
            value=r.at("list_price_per_hour"),
        ),
        Node(
            "mix_factor",
            "Pricing mix (reserved and spot discounts)",
            "input",
            "net_price_per_hour",
            "fraction of list",
            "Σ share × (1 − discount): on demand at list, reserved at the commitment discount, spot at "
            "the spot discount with interrupted spot hours unbilled",
            value=r.at("mix_factor"),
        ),
        Node(
            "bundle_factor",
            "Bundling (storage + compute + data)",
            "input",
            "net_price_per_hour",
            "fraction of list",
            "1 − bundled share of revenue × bundle discount",
            value=r.at("bundle_factor"),
        ),
        Node(
            "storage_revenue_pc",
            "Storage",
            "input",
            "revenue_per_customer",
            PER_CUSTOMER,
            formula=Formula("product", ("tb_per_customer", "storage_price")),
        ),
        Node(
            "tb_per_customer",
            "Data stored per customer",
            "input",
            "storage_revenue_pc",
            "TB",
            value=r.at("storage_gb_per_customer") / 1e3,
        ),
        Node(
            "storage_price",
            "Net price per TB-month",
            "input",
            "storage_revenue_pc",
            "USD per TB-month",
            value=r.at("net_storage_price") * 1e3,
        ),
        Node(
            "inference_revenue_pc",
            "Managed inference and AI services",
            "input",
            "revenue_per_customer",
            PER_CUSTOMER,
            formula=Formula("product", ("calls_per_customer", "inference_price"), 1e-3),
        ),
        Node(
            "calls_per_customer",
            "Inference calls per customer",
            "input",
            "inference_revenue_pc",
            "calls per month",
            value=r.at("k_calls_per_customer") * 1e3,
        ),
        Node(
            "inference_price",
            "Net price per 1K calls",
            "input",
            "inference_revenue_pc",
            "USD per 1K calls",
            value=r.at("net_inference_price"),
        ),
    ]


def _unit_nodes(r: AiPlatformResult) -> list[Node]:
    """Revenue and cost per provisioned GPU-hour, infrastructure margin and CAC payback."""
    p = r.params
    return [
        Node("unit_economics", "Unit economics", "group", "arr"),
        Node(
            "revenue_per_provisioned_hour",
            "Revenue per provisioned GPU-hour",
            "input",
            "unit_economics",
            USD_H,
            "Pricing × utilisation",
            formula=Formula("product", ("net_price_per_hour", "utilisation")),
        ),
        Node(
            "utilisation",
            "Service utilisation rate",
            "input",
            "revenue_per_provisioned_hour",
            "fraction",
            "GPU-hours run by customers over GPU-hours provisioned",
            value=p.fleet_utilisation,
        ),
        Node(
            "infra_cost_per_hour",
            "Infrastructure cost per provisioned GPU-hour",
            "input",
            "unit_economics",
            USD_H,
            value=r.at("infra_cost_per_hour"),
        ),
        Node(
            "compute_margin",
            "Compute margin",
            "input",
            "unit_economics",
            "fraction",
            formula=Formula("margin", ("revenue_per_provisioned_hour", "infra_cost_per_hour")),
        ),
        Node(
            "infra_cost",
            "Infrastructure cost",
            "input",
            "unit_economics",
            "USD per month",
            "Compute, storage and inference infrastructure plus the free tier of new accounts",
            value=r.at("infra_cost"),
        ),
        Node(
            "infra_margin",
            "Infrastructure margin",
            "input",
            "unit_economics",
            "fraction",
            "Revenue less infrastructure cost, over revenue (the gross margin)",
            formula=Formula("margin", ("mrr", "infra_cost")),
        ),
        Node(
            "gp_per_customer",
            "Gross profit per customer",
            "input",
            "unit_economics",
            PER_CUSTOMER,
            "Revenue less the infrastructure it uses (free tier excluded)",
            value=r.at("gross_profit_per_customer"),
        ),
        Node(
            "cac",
            "Sales and marketing cost per new customer",
            "input",
            "unit_economics",
            "USD per customer",
            value=p.cac_usd,
        ),
        cac_payback_guardrail(
            "unit_economics", "cac", "gp_per_customer", p.max_cac_payback_months, r.cac_payback_months
        ),
    ]


def _adoption_nodes(r: AiPlatformResult) -> list[Node]:
    """Product adoption, customer health and leading indicators."""
    p = r.params
    return [
        Node("adoption", "Product adoption", "group", "arr"),
        Node(
            "compute_hours",
            "Compute used (alternative north star)",
            "input",
            "adoption",
            "GPU-hours per month",
            formula=Formula("product", ("customers", "hours_per_customer")),
        ),
        Node(
            "storage_pb",
            "Storage used",
            "input",
            "adoption",
            "PB",
            formula=Formula("product", ("customers", "tb_per_customer"), 1e-3),
        ),
        Node(
            "attach",
            "Multi-service upsell (consumption multiplier)",
            "input",
            "adoption",
            "multiple",
            "1 + upsell per additional service × (services per customer − 1)",
            value=r.at("attach_multiplier"),
        ),
        Node(
            "services", "Services per customer", "input", "attach", "services", value=p.services_per_customer
        ),
        Node(
            "projects",
            "Active projects per customer",
            "input",
            "adoption",
            "projects",
            value=p.active_projects_per_customer,
            observed=True,
        ),
        Node("health", "Customer health", "group", "arr"),
        Node(
            "nrr",
            "Net revenue retention (12 months)",
            "input",
            "health",
            "ratio",
            "A cohort's revenue a year on over its revenue now: survivors, consumption growth, price decline",
            value=r.at("net_revenue_retention"),
        ),
        Node(
            "uptime",
            "Platform uptime",
            "input",
            "health",
            "percent",
            value=100 * p.platform_uptime,
            observed=True,
        ),
        Node("leading", "Leading indicators", "group", "arr"),
        Node(
            "trial_signups",
            "Free-tier and trial signups",
            "leading",
            "leading",
            "signups per month",
            value=p.trial_signups_per_month,
        ),
        Node(
            "free_to_paid",
            "Free tier → paid conversion",
            "leading",
            "leading",
            "fraction",
            value=p.free_to_paid_conversion,
        ),
        Node(
            "docs_views",
            "Documentation engagement",
            "leading",
            "leading",
            "views per month",
            value=p.docs_views_per_month,
            observed=True,
        ),
        Node(
            "community",
            "Community growth",
            "leading",
            "leading",
            "fraction per month",
            value=p.community_growth_monthly,
            observed=True,
        ),
    ]


def _guardrail_nodes(r: AiPlatformResult) -> list[Node]:
    """The seed's guardrails plus the gross-margin floor."""
    p = r.params
    return [
        Node("guardrails", "Guardrails", "group", "arr"),
        Node(
            "churn",
            "Churn rate (incl. competitive switching)",
            "guardrail",
            "guardrails",
            "fraction per month",
            "Share of customers lost each month: churn, then switching to another cloud on top",
            value=r.at("customer_loss"),
            threshold=p.max_monthly_churn,
            direction="max",
        ),
        Node(
            "top10pct_share",
            "Customer concentration (top 10% revenue)",
            "guardrail",
            "guardrails",
            "fraction",
            "Revenue share of the largest tenth of customers, lognormal spend: 1 − Φ(Φ⁻¹(0.9) − σ)",
            value=r.at("top10pct_revenue_share"),
            threshold=p.max_top10pct_revenue_share,
            direction="max",
        ),
        Node(
            "infra_cost_per_revenue",
            "Infrastructure cost per dollar of revenue",
            "guardrail",
            "guardrails",
            "USD per USD of revenue",
            formula=Formula("ratio", ("infra_cost", "mrr")),
            threshold=p.max_infra_cost_per_revenue_usd,
            direction="max",
            series=r.infra_cost_per_revenue_usd,
        ),
        Node(
            "switching",
            "Competitive switching (e.g. AWS → GCP)",
            "guardrail",
            "guardrails",
            "fraction per year",
            "Share of customers moving their workloads to another cloud each year (on top of churn)",
            value=p.annual_competitive_switching,
            threshold=p.max_annual_competitive_switching,
            direction="max",
        ),
        gross_margin_floor(
            "gross_margin_floor",
            "guardrails",
            Formula("margin", ("mrr", "infra_cost")),
            p.min_gross_margin,
            r.gross_margin,
            "Infrastructure margin (revenue less infrastructure cost, over revenue) in every month",
        ),
    ]


def tree(r: AiPlatformResult) -> MetricTree:
    """The AI-platform metric tree (seed 000 §2) for the snapshot month."""
    root = Node(
        "arr",
        "Platform ARR",
        "north_star",
        unit="USD per year",
        definition=f"Monthly platform revenue in month {r.params.snapshot_month} × 12",
        formula=Formula("product", ("mrr",), 12.0),
    )
    nodes = [root, *_revenue_nodes(r), *_unit_nodes(r), *_adoption_nodes(r), *_guardrail_nodes(r)]
    return MetricTree("AI platform model metrics", tuple(nodes))
