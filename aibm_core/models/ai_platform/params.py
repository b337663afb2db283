"""Assumptions of the AI platform (cloud ML platform) model: units, ranges, meanings and sources."""

from __future__ import annotations

from pydantic import model_validator

from aibm_core.core.params import ANALYST, ProjectionParams, assumption, min_gross_margin_assumption

SEED0 = "seed 000 §2 (AI platform)"
SEED2 = "seed 002 (AI infrastructure)"
USD_H = "USD per GPU-hour"


class AiPlatformParams(ProjectionParams):
    """Assumptions of the AI-platform model (defaults: base scenario).

    Compute is counted in GPU-hours run by customers, storage in GB stored through a month
    (GB-months) and inference in API calls. Competitive switching is a loss of customers to
    another cloud ON TOP of churn: a customer survives a month with
    ``(1 − monthly_churn) × (1 − annual_competitive_switching)^(1/12)``.
    """

    base_correlations = (
        (
            "on_demand_price_per_gpu_hour",
            "infra_cost_per_gpu_hour",
            0.5,
            "analyst judgement: hyperscalers pass hardware cost changes on to list prices (competition)",
        ),
        (
            "monthly_churn",
            "annual_competitive_switching",
            0.4,
            "analyst judgement: the same weak lock-in lets customers stop and lets them move to a rival",
        ),
    )

    # --- customers and funnel
    initial_customers: float = assumption(
        10000.0,
        unit="customers",
        ge=1,
        le=1e7,
        meaning="Paying enterprise customers at the start of the projection",
        source=ANALYST,
    )
    trial_signups_per_month: float = assumption(
        20000.0,
        unit="signups per month",
        ge=0,
        le=1e8,
        meaning="New free-tier and trial accounts each month",
        source=f"{SEED0}: leading indicators (trial signups; level: {ANALYST})",
    )
    free_to_paid_conversion: float = assumption(
        0.02,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Share of new free-tier / trial accounts that become paying enterprise customers",
        source=f"{SEED0}: free tier → paid conversion (level: {ANALYST})",
        base_range={"low": 0.01, "high": 0.04},
        range_source=(
            "seed 000 §4 estimates 2-5% free → paid for freemium AI; analyst judgement: enterprise "
            "platform trials convert a little less often, so the interval reaches down to 1%"
        ),
    )
    free_tier_cost_per_signup: float = assumption(
        40.0,
        unit="USD per signup",
        ge=0,
        le=1e5,
        meaning="Infrastructure consumed by one new account's free tier and trial credits",
        source=ANALYST,
        as_of="2026-11-22",
    )
    monthly_churn: float = assumption(
        0.01,
        unit="fraction per month",
        ge=0,
        lt=1,
        meaning="Share of customers leaving the platform each month (moves to a rival not included)",
        source=f"{SEED0}: churn guardrail; {SEED2}: >95% yearly retention in cloud infrastructure",
        base_range={"low": 0.005, "high": 0.02},
        range_source=(
            f"{SEED2}: >95% annual retention (0.4% a month) for sticky infrastructure; analyst judgement: "
            "ML workloads leave a platform more easily, up to 2% a month"
        ),
    )
    annual_competitive_switching: float = assumption(
        0.05,
        unit="fraction per year",
        ge=0,
        lt=1,
        meaning="Share of customers moving their ML workloads to another cloud each year, on top of churn",
        source=f"{SEED0}: competitive switching guardrail (AWS → GCP) ({ANALYST})",
        base_range={"low": 0.02, "high": 0.10},
        range_source=(
            f"{SEED2}: switching cloud is painful (data gravity); analyst judgement: 2-10% of customers "
            "a year move their ML workloads"
        ),
    )
    cac_usd: float = assumption(
        20000.0,
        unit="USD per customer",
        ge=0,
        le=1e8,
        meaning="Sales and marketing cost per new enterprise customer",
        source=f"{SEED0}: CAC payback = sales & marketing cost / monthly platform spend (level: {ANALYST})",
        as_of="2026-11-22",
    )
    customer_size_dispersion: float = assumption(
        1.5,
        unit="log standard deviation",
        ge=0.05,
        le=4,
        meaning="Spread of customer spend (lognormal sigma), for revenue concentration",
        source=ANALYST,
    )
    # --- consumption per customer (first month, single service; starting customers: month 1)
    compute_hours_per_customer: float = assumption(
        500.0,
        unit="GPU-hours per customer per month",
        gt=0,
        le=1e8,
        meaning="GPU-hours a customer runs in its first month (training, tuning, hosting) with one service",
        source=ANALYST,
    )
    storage_gb_per_customer: float = assumption(
        20000.0,
        unit="GB per customer",
        ge=0,
        le=1e10,
        meaning="Data a customer stores in its first month with one service (billed per GB-month)",
        source=ANALYST,
    )
    inference_calls_per_customer: float = assumption(
        1.2e6,
        unit="calls per customer per month",
        ge=0,
        le=1e12,
        meaning="Managed inference / AI-service API calls of a customer in its first month with one service",
        source=ANALYST,
    )
    consumption_growth_monthly: float = assumption(
        0.03,
        unit="fraction per month",
        ge=-0.5,
        le=1,
        meaning="Monthly growth of a customer's consumption with its tenure (compute, storage, calls)",
        source=f"{SEED0}: compute/storage consumption growth ({ANALYST})",
        base_range={"low": 0.0, "high": 0.05},
        range_source=(
            f"{SEED0}: consumption growth as enterprise ML adoption deepens (analyst judgement: flat to "
            "5% a month, i.e. up to about 1.8x a year)"
        ),
    )
    services_per_customer: float = assumption(
        2.5,
        unit="services per customer",
        ge=1,
        le=20,
        meaning="Average platform services a customer uses (training, inference, data, MLOps...)",
        source=f"{SEED0}: multi-service usage (upsell) ({ANALYST})",
    )
    upsell_per_additional_service: float = assumption(
        0.20,
        unit="fraction per service",
        ge=0,
        le=5,
        meaning="Consumption each service beyond the first adds, as a share of single-service consumption",
        source=f"{SEED0}: multi-service usage (upsell) ({ANALYST})",
    )
    bundle_share: float = assumption(
        0.30,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Share of revenue sold in storage + compute + data bundles",
        source=f"{SEED0}: optimisation lever multi-service bundling ({ANALYST})",
    )
    bundle_discount: float = assumption(
        0.10,
        unit="fraction",
        ge=0,
        lt=1,
        meaning="Discount off list on bundled revenue",
        source=ANALYST,
    )
    # --- pricing
    on_demand_price_per_gpu_hour: float = assumption(
        4.0,
        unit=USD_H,
        ge=0.1,
        le=200,
        meaning="On-demand list price of a managed-ML GPU-hour",
        source=(
            f"{SEED0}: '$X per GPU-hour (varies by instance)' ({ANALYST}: managed A100/H100-class "
            "instances list at a few dollars per GPU-hour, above bare GPU rental)"
        ),
        base_range={"low": 3.0, "high": 5.5},
        range_source=(
            f"{SEED0}: price varies by instance; analyst judgement: A100- to H100-class managed "
            "instances, after the 2024-25 GPU price cuts"
        ),
        schedule=True,
        as_of="2026-11-22",
    )
    reserved_share: float = assumption(
        0.40,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Share of GPU-hours run under reserved / committed-use contracts",
        source=f"{SEED0}: reserved instances (commitment discounts) ({ANALYST})",
    )
    reserved_discount: float = assumption(
        0.35,
        unit="fraction",
        ge=0,
        lt=1,
        meaning="Commitment discount off the on-demand price for reserved GPU-hours",
        source=f"{SEED0}: commitment discounts ({ANALYST}: one- to three-year commitments save about 30-60%)",
    )
    reserved_term_months: int = assumption(
        12,
        unit="months",
        ge=1,
        le=60,
        meaning="Length of a reserved commitment (sets the committed revenue backlog)",
        source=ANALYST,
        role="setting",
    )
    long_reserved_share: float = assumption(
        0.0,
        unit="fraction",
        ge=0,
        le=1,
        meaning=(
            "Share of GPU-hours run under a second, longer reserved tier (e.g. three-year commitments), "
            "on top of reserved_share (0: one reserved tier)"
        ),
        source=(
            "AWS News Blog, 2019-11-06 (Savings Plans launch): one- or three-year terms, the longer one "
            "at the deeper discount; the single reserved tier stays the default"
        ),
        as_of="2019-11-06",
    )
    long_reserved_discount: float = assumption(
        0.55,
        unit="fraction",
        ge=0,
        lt=1,
        meaning="Commitment discount off the on-demand price for the longer reserved tier's GPU-hours",
        source=(
            "AWS News Blog, 2019-11-06 (Savings Plans launch): up to 72% off on demand for three-year "
            f"commitments ({ANALYST}: GPU instances well below the headline, about 55%)"
        ),
        as_of="2019-11-06",
    )
    long_reserved_term_months: int = assumption(
        36,
        unit="months",
        ge=1,
        le=84,
        meaning="Length of a commitment in the longer reserved tier (sets its part of the committed backlog)",
        source="AWS News Blog, 2019-11-06 (Savings Plans launch): one- or three-year terms",
        role="setting",
    )
    spot_share: float = assumption(
        0.10,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Share of GPU-hours run on spot (excess capacity)",
        source=f"{SEED0}: spot instances (excess capacity) ({ANALYST})",
    )
    spot_discount: float = assumption(
        0.70,
        unit="fraction",
        ge=0,
        lt=1,
        meaning="Discount off the on-demand price for spot GPU-hours",
        source=f"{SEED0}: spot instances ({ANALYST}: clouds advertise spot at up to 90% off)",
    )
    spot_interruption_rate: float = assumption(
        0.05,
        unit="fraction",
        ge=0,
        lt=1,
        meaning="Share of spot GPU-hours interrupted (capacity reclaimed): run, but not billed",
        source=ANALYST,
    )
    storage_price_per_gb_month: float = assumption(
        0.023,
        unit="USD per GB-month",
        gt=0,
        le=10,
        meaning="List price of storing 1 GB for a month",
        source="AWS S3 Standard list price (first 50 TB, US East), 2024-25: $0.023 per GB-month",
        schedule=True,
        as_of="2025-01",
    )
    inference_price_per_k_calls: float = assumption(
        1.0,
        unit="USD per 1K calls",
        gt=0,
        le=1000,
        meaning="List price of 1,000 managed inference / AI-service calls",
        source=f"{ANALYST}: near first-tier prices of managed vision and language APIs (about $1 per 1,000)",
        schedule=True,
        as_of="2026-11-22",
    )
    annual_price_decline: float = assumption(
        0.08,
        unit="fraction per year",
        ge=0,
        lt=1,
        meaning="Yearly fall of list prices (compute, storage, calls)",
        source=ANALYST,
    )
    # --- infrastructure cost
    fleet_utilisation: float = assumption(
        0.70,
        unit="fraction",
        ge=0.05,
        le=1,
        meaning="GPU-hours run by customers over GPU-hours provisioned (service utilisation rate)",
        source=f"{SEED0}: revenue per compute hour = pricing × utilisation; {SEED2}: >80% target",
        base_range={"low": 0.55, "high": 0.85},
        range_source=(
            f"{SEED2}: >80% utilisation target for profitability; analyst judgement: a managed platform "
            "keeps headroom for on-demand peaks, so 55-85%"
        ),
    )
    infra_cost_per_gpu_hour: float = assumption(
        1.50,
        unit="USD per provisioned GPU-hour",
        gt=0,
        le=200,
        meaning=(
            "All-in infrastructure cost of a provisioned GPU-hour (data centre, GPU depreciation, power)"
            " (the stack links it to the GPU cloud's realised price per sold GPU-hour: "
            "this value is used when a scenario is unlinked or sets it)"
        ),
        source=f"{SEED0}: infrastructure cost = data centre, GPU costs ({ANALYST})",
        base_range={"low": 1.15, "high": 2.0},
        range_source=(
            f"{SEED2} context: bare H100 rental at about $2-3 per GPU-hour in 2024-25; analyst judgement: "
            "a hyperscaler's own mix of GPU generations costs it $1.15-2.00"
        ),
        schedule=True,
        as_of="2026-11-22",
    )
    storage_cost_per_gb_month: float = assumption(
        0.008,
        unit="USD per GB-month",
        ge=0,
        le=10,
        meaning="Infrastructure cost of storing 1 GB for a month (replicated)",
        source=ANALYST,
        as_of="2026-11-22",
    )
    inference_cost_per_k_calls: float = assumption(
        0.50,
        unit="USD per 1K calls",
        ge=0,
        le=1000,
        meaning="Infrastructure cost of serving 1,000 managed inference calls",
        source=ANALYST,
        as_of="2026-11-22",
    )
    annual_cost_decline: float = assumption(
        0.08,
        unit="fraction per year",
        ge=0,
        lt=1,
        meaning=(
            "Yearly fall of infrastructure cost per unit (hardware generations, efficiency); "
            "a linked GPU-hour price follows the cloud's own path instead"
        ),
        source=ANALYST,
    )
    fixed_opex_per_month: float = assumption(
        4e6,
        unit="USD per month",
        ge=0,
        le=1e10,
        meaning="Platform R&D and G&A (operating expenses besides acquisition)",
        source=ANALYST,
        schedule=True,
    )
    # --- observed
    active_projects_per_customer: float = assumption(
        6.0,
        unit="projects per customer",
        ge=0,
        le=1e5,
        meaning="Observed monthly active ML projects per customer",
        source=f"{SEED0}: product adoption / customer health",
        role="observed",
    )
    platform_uptime: float = assumption(
        0.9995,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Observed platform availability",
        source=f"{SEED0}: customer health (uptime / reliability)",
        role="observed",
    )
    docs_views_per_month: float = assumption(
        2e6,
        unit="views per month",
        ge=0,
        le=1e11,
        meaning="Observed documentation page views",
        source=f"{SEED0}: leading indicators (documentation engagement)",
        role="observed",
    )
    community_growth_monthly: float = assumption(
        0.03,
        unit="fraction per month",
        ge=-1,
        le=10,
        meaning="Observed monthly growth of forum and GitHub community members",
        source=f"{SEED0}: leading indicators (community growth)",
        role="observed",
    )
    # --- guardrail limits
    max_monthly_churn: float = assumption(
        0.02,
        unit="fraction per month",
        ge=0,
        le=1,
        meaning="Guardrail: highest acceptable monthly customer loss (churn plus competitive switching)",
        source=f"{SEED0}: churn guardrail ({ANALYST})",
        role="limit",
    )
    max_top10pct_revenue_share: float = assumption(
        0.65,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Guardrail: highest acceptable revenue share of the largest 10% of customers",
        source=f"{SEED0}: customer concentration (top 10% revenue) ({ANALYST})",
        role="limit",
    )
    max_infra_cost_per_revenue_usd: float = assumption(
        0.70,
        unit="USD per USD of revenue",
        ge=0,
        le=10,
        meaning="Guardrail: highest acceptable infrastructure cost per dollar of revenue",
        source=f"{SEED0}: guardrail; 0.70 is the low end of its ~30-40% infrastructure margin",
        role="limit",
    )
    max_annual_competitive_switching: float = assumption(
        0.10,
        unit="fraction per year",
        ge=0,
        le=1,
        meaning="Guardrail: highest acceptable yearly share of customers moving to another cloud",
        source=f"{SEED0}: competitive switching guardrail ({ANALYST})",
        role="limit",
    )
    max_cac_payback_months: float = assumption(
        24.0,
        unit="months",
        gt=0,
        le=120,
        meaning="Guardrail: longest acceptable CAC payback on a customer's monthly gross profit",
        source=f"{SEED0}: CAC payback is a unit-economics metric (24 months for enterprise sales: {ANALYST})",
        role="limit",
    )
    min_gross_margin: float = min_gross_margin_assumption(
        0.25,
        source=(
            f"{SEED0}: ~30-40% infrastructure margin; seed 003 ranks platforms medium-margin "
            f"(floor below that band at 25%: {ANALYST})"
        ),
    )

    @model_validator(mode="after")
    def _contract_mix(self) -> AiPlatformParams:
        total = self.reserved_share + self.long_reserved_share + self.spot_share
        if total > 1:
            raise ValueError(
                "reserved_share + long_reserved_share + spot_share must not exceed 1 (the rest is on "
                f"demand): {self.reserved_share:g} + {self.long_reserved_share:g} + {self.spot_share:g} "
                f"= {total:g}"
            )
        return self
