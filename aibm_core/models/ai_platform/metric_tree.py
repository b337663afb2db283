"""The metric tree of the AI platform model (seed 000 §2), built from a computed result."""

from __future__ import annotations

from aibm_core.core.tree import Formula, MetricTree, Node, cac_payback_guardrail, gross_margin_floor
from aibm_core.models.ai_platform.model import AiPlatformResult

USD_H = "USD per GPU-hour"
PER_CUSTOMER = "USD per customer per month"


def _revenue_nodes(r: AiPlatformResult) -> list[Node]:
    """MRR = customers × revenue per customer, split into compute, storage and inference."""
    s = r.params.snapshot_month
    return [
        Node(id="revenue_drivers", label="Revenue drivers", kind="group", parent="arr"),
        Node(
            id="mrr",
            label="Platform revenue (MRR)",
            kind="input",
            parent="revenue_drivers",
            unit="USD per month",
            definition=f"Net platform revenue in month {s}",
            formula=Formula("product", ("customers", "revenue_per_customer")),
        ),
        Node(
            id="customers",
            label="Enterprise customers",
            kind="input",
            parent="revenue_drivers",
            unit="customers",
            definition=(
                f"Paying customers at the end of month {s}: base less churn and switching plus new customers"
            ),
            value=r.at("customers"),
        ),
        Node(
            id="new_customers",
            label="New enterprise customers",
            kind="input",
            parent="customers",
            unit="customers per month",
            formula=Formula("product", ("trial_signups", "free_to_paid")),
        ),
        Node(
            id="revenue_per_customer",
            label="Revenue per customer",
            kind="input",
            parent="revenue_drivers",
            unit=PER_CUSTOMER,
            formula=Formula("sum", ("compute_revenue_pc", "storage_revenue_pc", "inference_revenue_pc")),
        ),
        Node(
            id="compute_revenue_pc",
            label="Compute (ML training and hosting)",
            kind="input",
            parent="revenue_per_customer",
            unit=PER_CUSTOMER,
            formula=Formula("product", ("hours_per_customer", "net_price_per_hour")),
        ),
        Node(
            id="hours_per_customer",
            label="GPU-hours per customer (growth with tenure × services)",
            kind="input",
            parent="compute_revenue_pc",
            unit="GPU-hours per customer per month",
            value=r.at("compute_hours_per_customer"),
        ),
        Node(
            id="net_price_per_hour",
            label="Net price per GPU-hour",
            kind="input",
            parent="compute_revenue_pc",
            unit=USD_H,
            definition="List price after the on-demand / reserved / spot mix and the bundle discount",
            formula=Formula("product", ("list_price", "mix_factor", "bundle_factor")),
        ),
        Node(
            id="list_price",
            label="On-demand list price",
            kind="input",
            parent="net_price_per_hour",
            unit=USD_H,
            value=r.at("list_price_per_hour"),
        ),
        Node(
            id="mix_factor",
            label="Pricing mix (reserved and spot discounts)",
            kind="input",
            parent="net_price_per_hour",
            unit="fraction of list",
            definition="Σ share × (1 − discount): on demand at list, each reserved tier at its "
            "commitment discount, spot at "
            "the spot discount with interrupted spot hours unbilled",
            value=r.at("mix_factor"),
        ),
        Node(
            id="bundle_factor",
            label="Bundling (storage + compute + data)",
            kind="input",
            parent="net_price_per_hour",
            unit="fraction of list",
            definition="1 − bundled share of revenue × bundle discount",
            value=r.at("bundle_factor"),
        ),
        Node(
            id="storage_revenue_pc",
            label="Storage",
            kind="input",
            parent="revenue_per_customer",
            unit=PER_CUSTOMER,
            formula=Formula("product", ("tb_per_customer", "storage_price")),
        ),
        Node(
            id="tb_per_customer",
            label="Data stored per customer",
            kind="input",
            parent="storage_revenue_pc",
            unit="TB",
            value=r.at("storage_gb_per_customer") / 1e3,
        ),
        Node(
            id="storage_price",
            label="Net price per TB-month",
            kind="input",
            parent="storage_revenue_pc",
            unit="USD per TB-month",
            value=r.at("net_storage_price") * 1e3,
        ),
        Node(
            id="inference_revenue_pc",
            label="Managed inference and AI services",
            kind="input",
            parent="revenue_per_customer",
            unit=PER_CUSTOMER,
            formula=Formula("product", ("calls_per_customer", "inference_price"), 1e-3),
        ),
        Node(
            id="calls_per_customer",
            label="Inference calls per customer",
            kind="input",
            parent="inference_revenue_pc",
            unit="calls per month",
            value=r.at("k_calls_per_customer") * 1e3,
        ),
        Node(
            id="inference_price",
            label="Net price per 1K calls",
            kind="input",
            parent="inference_revenue_pc",
            unit="USD per 1K calls",
            value=r.at("net_inference_price"),
        ),
    ]


def _unit_nodes(r: AiPlatformResult) -> list[Node]:
    """Revenue and cost per provisioned GPU-hour, infrastructure margin and CAC payback."""
    p = r.params
    return [
        Node(id="unit_economics", label="Unit economics", kind="group", parent="arr"),
        Node(
            id="revenue_per_provisioned_hour",
            label="Revenue per provisioned GPU-hour",
            kind="input",
            parent="unit_economics",
            unit=USD_H,
            definition="Pricing × utilisation",
            formula=Formula("product", ("net_price_per_hour", "utilisation")),
        ),
        Node(
            id="utilisation",
            label="Service utilisation rate",
            kind="input",
            parent="revenue_per_provisioned_hour",
            unit="fraction",
            definition="GPU-hours run by customers over GPU-hours provisioned",
            value=p.fleet_utilisation,
        ),
        Node(
            id="infra_cost_per_hour",
            label="Infrastructure cost per provisioned GPU-hour",
            kind="input",
            parent="unit_economics",
            unit=USD_H,
            value=r.at("infra_cost_per_hour"),
        ),
        Node(
            id="compute_margin",
            label="Compute margin",
            kind="input",
            parent="unit_economics",
            unit="fraction",
            formula=Formula("margin", ("revenue_per_provisioned_hour", "infra_cost_per_hour")),
        ),
        Node(
            id="infra_cost",
            label="Infrastructure cost",
            kind="input",
            parent="unit_economics",
            unit="USD per month",
            definition="Compute, storage and inference infrastructure plus the free tier of new accounts",
            value=r.at("infra_cost"),
        ),
        Node(
            id="infra_margin",
            label="Infrastructure margin",
            kind="input",
            parent="unit_economics",
            unit="fraction",
            definition="Revenue less infrastructure cost, over revenue (the gross margin)",
            formula=Formula("margin", ("mrr", "infra_cost")),
        ),
        Node(
            id="gp_per_customer",
            label="Gross profit per customer",
            kind="input",
            parent="unit_economics",
            unit=PER_CUSTOMER,
            definition="Revenue less the infrastructure it uses (free tier excluded)",
            value=r.at("gross_profit_per_customer"),
        ),
        Node(
            id="acquisition_cost",
            label="Acquisition cost per new customer",
            kind="input",
            parent="unit_economics",
            unit="USD per customer",
            definition="Sales and marketing cost plus the free tier of the signups behind one won customer",
            formula=Formula("sum", ("cac", "free_tier_per_new_customer")),
        ),
        Node(
            id="cac",
            label="Sales and marketing cost per new customer",
            kind="input",
            parent="acquisition_cost",
            unit="USD per customer",
            value=p.cac_usd,
        ),
        Node(
            id="free_tier_per_new_customer",
            label="Free tier per new customer",
            kind="input",
            parent="acquisition_cost",
            unit="USD per customer",
            definition="Free-tier cost of the month's signups over the customers won from them",
            value=r.at("free_tier_cost_per_new_customer"),
        ),
        cac_payback_guardrail(
            "unit_economics",
            "acquisition_cost",
            "gp_per_customer",
            p.max_cac_payback_months,
            r.cac_payback_months,
            label="CAC payback (CAC + free tier, on gross profit)",
        ),
    ]


def _adoption_nodes(r: AiPlatformResult) -> list[Node]:
    """Product adoption, customer health and leading indicators."""
    p = r.params
    return [
        Node(id="adoption", label="Product adoption", kind="group", parent="arr"),
        Node(
            id="compute_hours",
            label="Compute used (alternative north star)",
            kind="input",
            parent="adoption",
            unit="GPU-hours per month",
            formula=Formula("product", ("customers", "hours_per_customer")),
        ),
        Node(
            id="storage_pb",
            label="Storage used",
            kind="input",
            parent="adoption",
            unit="PB",
            formula=Formula("product", ("customers", "tb_per_customer"), 1e-3),
        ),
        Node(
            id="attach",
            label="Multi-service upsell (consumption multiplier)",
            kind="input",
            parent="adoption",
            unit="multiple",
            definition="1 + upsell per additional service × (services per customer − 1)",
            value=r.at("attach_multiplier"),
        ),
        Node(
            id="services",
            label="Services per customer",
            kind="input",
            parent="attach",
            unit="services",
            value=p.services_per_customer,
        ),
        Node(
            id="projects",
            label="Active projects per customer",
            kind="input",
            parent="adoption",
            unit="projects",
            value=p.active_projects_per_customer,
            observed=True,
        ),
        Node(id="health", label="Customer health", kind="group", parent="arr"),
        Node(
            id="nrr",
            label="Net revenue retention (12 months)",
            kind="input",
            parent="health",
            unit="ratio",
            definition=(
                "A cohort's revenue a year on over its revenue now: survivors, "
                "consumption growth, price decline"
            ),
            value=r.at("net_revenue_retention"),
        ),
        Node(
            id="uptime",
            label="Platform uptime",
            kind="input",
            parent="health",
            unit="percent",
            value=100 * p.platform_uptime,
            observed=True,
        ),
        Node(id="leading", label="Leading indicators", kind="group", parent="arr"),
        Node(
            id="trial_signups",
            label="Free-tier and trial signups",
            kind="leading",
            parent="leading",
            unit="signups per month",
            value=p.trial_signups_per_month,
        ),
        Node(
            id="free_to_paid",
            label="Free tier → paid conversion",
            kind="leading",
            parent="leading",
            unit="fraction",
            value=p.free_to_paid_conversion,
        ),
        Node(
            id="docs_views",
            label="Documentation engagement",
            kind="leading",
            parent="leading",
            unit="views per month",
            value=p.docs_views_per_month,
            observed=True,
        ),
        Node(
            id="community",
            label="Community growth",
            kind="leading",
            parent="leading",
            unit="fraction per month",
            value=p.community_growth_monthly,
            observed=True,
        ),
    ]


def _guardrail_nodes(r: AiPlatformResult) -> list[Node]:
    """The seed's guardrails plus the gross-margin floor."""
    p = r.params
    return [
        Node(id="guardrails", label="Guardrails", kind="group", parent="arr"),
        Node(
            id="churn",
            label="Churn rate (incl. competitive switching)",
            kind="guardrail",
            parent="guardrails",
            unit="fraction per month",
            definition="Share of customers lost each month: churn, then switching to another cloud on top",
            value=r.at("customer_loss"),
            threshold=p.max_monthly_churn,
            direction="max",
        ),
        Node(
            id="top10pct_share",
            label="Customer concentration (top 10% revenue)",
            kind="guardrail",
            parent="guardrails",
            unit="fraction",
            definition=(
                "Revenue share of the largest tenth of customers, lognormal spend: 1 − Φ(Φ⁻¹(0.9) − σ)"
            ),
            value=r.at("top10pct_revenue_share"),
            threshold=p.max_top10pct_revenue_share,
            direction="max",
        ),
        Node(
            id="infra_cost_per_revenue",
            label="Infrastructure cost per dollar of revenue",
            kind="guardrail",
            parent="guardrails",
            unit="USD per USD of revenue",
            formula=Formula("ratio", ("infra_cost", "mrr")),
            threshold=p.max_infra_cost_per_revenue_usd,
            direction="max",
            series=r.infra_cost_per_revenue_usd,
        ),
        Node(
            id="switching",
            label="Competitive switching (e.g. AWS → GCP)",
            kind="guardrail",
            parent="guardrails",
            unit="fraction per year",
            definition=(
                "Share of customers moving their workloads to another cloud each year (on top of churn)"
            ),
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
        id="arr",
        label="Platform ARR",
        kind="north_star",
        unit="USD per year",
        definition=f"Monthly platform revenue in month {r.params.snapshot_month} × 12",
        formula=Formula("product", ("mrr",), 12.0),
    )
    nodes = [root, *_revenue_nodes(r), *_unit_nodes(r), *_adoption_nodes(r), *_guardrail_nodes(r)]
    return MetricTree("AI platform model metrics", tuple(nodes))
