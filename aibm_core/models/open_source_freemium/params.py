"""Assumptions of the open-source freemium model: units, ranges, meanings and sources."""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from aibm_core.core.params import ANALYST, ProjectionParams, assumption, min_gross_margin_assumption

SEED = "seed 000 §4 (open-source freemium)"
SEED1 = "seed 001 (model-as-a-service)"

#: Which revenue streams count under each monetisation choice: (subscriptions, usage API).
#: Enterprise contracts and support count under all three.
STREAM_WEIGHTS: dict[str, tuple[float, float]] = {
    "freemium": (1.0, 0.0),
    "open_weights_api": (0.0, 1.0),
    "mix": (1.0, 1.0),
}


class OpenSourceFreemiumParams(ProjectionParams):
    """Assumptions of the open-source freemium model (defaults: base scenario)."""

    base_correlations = (
        (
            "annual_api_price_decline",
            "annual_api_cost_decline",
            0.5,
            "analyst judgement: cheaper serving of open weights lets third-party hosts, and so the "
            "provider, cut per-token prices",
        ),
    )

    monetisation: Literal["freemium", "open_weights_api", "mix"] = assumption(
        "mix",
        unit="choice",
        meaning=(
            "Streams that count: 'freemium' (paid tiers, Hugging Face-style), 'open_weights_api' "
            "(usage-based API, Mistral-style) or 'mix' (both); enterprise and support count always"
        ),
        source=f"{SEED}: Hugging Face-style and Mistral AI-style examples",
        role="setting",
    )
    # --- community funnel
    downloads_per_month: float = assumption(
        10e6,
        unit="downloads per month",
        ge=1e3,
        le=1e11,
        meaning="Model downloads in month 1 (top of the funnel)",
        source=f"{SEED}: model downloads ({ANALYST}: a popular open-model family)",
        base_range={"low": 5e6, "high": 18e6},
        range_source=f"{SEED}: community engagement drives the funnel (analyst judgement: x0.5 to x1.8)",
    )
    community_growth_monthly: float = assumption(
        0.03,
        unit="fraction per month",
        ge=-0.3,
        le=0.5,
        meaning="Monthly growth of downloads and enterprise inquiries (community growth)",
        source=f"{SEED}: community growth is a leading indicator ({ANALYST})",
        base_range={"low": 0.0, "high": 0.06},
        range_source=(
            f"{SEED}: community growth (analyst judgement: flat when a rival open model takes the "
            "attention, about doubling a year at 6% a month)"
        ),
    )
    signups_per_download: float = assumption(
        0.01,
        unit="fraction",
        gt=0,
        le=1,
        meaning="New active accounts per model download (downloads -> signups)",
        source=f"{SEED}: developer signups ({ANALYST}: most downloads are repeat or automated)",
    )
    initial_active_users: float = assumption(
        2e6,
        unit="users",
        ge=0,
        le=1e10,
        meaning="Monthly active users (free and paid) before month 1",
        source=ANALYST,
    )
    free_churn: float = assumption(
        0.05,
        unit="fraction per month",
        ge=0,
        le=1,
        meaning="Share of free active users who stop being active each month",
        source=f"{SEED}: free tier usage ({ANALYST})",
    )
    # --- freemium tiers
    conversion: float = assumption(
        0.03,
        unit="fraction",
        ge=0,
        lt=1,
        meaning="Share of each cohort of users (and of the starting base) that takes a paid plan",
        source=f"{SEED}: ~2-5% free -> paid (estimated)",
        base_range={"low": 0.02, "high": 0.05},
        range_source=f"{SEED}: conversion ~2-5% free -> paid (estimated)",
    )
    org_seat_share: float = assumption(
        0.40,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Share of paid seats on organisation plans (the rest are individual plans)",
        source=ANALYST,
    )
    individual_price_usd: float = assumption(
        9.0,
        unit="USD per seat per month",
        ge=1,
        le=1000,
        meaning="Price of the individual paid plan",
        source=f"{SEED}: $9-20/month (individual); Hugging Face PRO at $9 a month",
        as_of="2024-01",
    )
    org_seat_price_usd: float = assumption(
        30.0,
        unit="USD per seat per month",
        ge=1,
        le=5000,
        meaning="Average price of an organisation-plan seat",
        source=f"{SEED}: $20-100+/month (organisations) ({ANALYST}: most seats near the low end)",
        as_of="2024-01",
    )
    individual_churn: float = assumption(
        0.04,
        unit="fraction per month",
        ge=0,
        le=1,
        meaning="Share of individual paid seats cancelled each month",
        source=f"{SEED}: paid tier retention ({ANALYST})",
    )
    org_churn: float = assumption(
        0.02,
        unit="fraction per month",
        ge=0,
        le=1,
        meaning="Share of organisation seats cancelled each month",
        source=f"{SEED}: paid tier retention ({ANALYST}: teams churn less than individuals)",
    )
    free_cost_per_user_usd: float = assumption(
        0.20,
        unit="USD per user per month",
        ge=0,
        le=100,
        meaning="Hosting, compute and bandwidth of one free active user",
        source=f"{SEED}: free tier cost = hosting, compute, bandwidth ({ANALYST})",
        base_range={"low": 0.10, "high": 0.40},
        range_source=(
            f"{SEED}: free tier cost is the first guardrail (analyst judgement: x0.5 to x2 as usage "
            "mixes shift between storage, downloads and free inference)"
        ),
        as_of="2026-11-22",
    )
    paid_cost_per_seat_usd: float = assumption(
        1.50,
        unit="USD per seat per month",
        ge=0,
        le=1000,
        meaning="Hosting and compute of one paid seat (private repos, more storage and compute)",
        source=ANALYST,
        as_of="2026-11-22",
    )
    # --- enterprise contracts and support
    enterprise_leads_per_month: float = assumption(
        40.0,
        unit="leads per month",
        ge=0,
        le=1e6,
        meaning="Qualified enterprise inquiries in month 1 (they grow with the community)",
        source=f"{SEED}: enterprise inquiries are a leading indicator ({ANALYST})",
    )
    enterprise_win_rate: float = assumption(
        0.20,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Share of enterprise inquiries that sign a contract",
        source=ANALYST,
    )
    enterprise_sales_cycle_months: float = assumption(
        6.0,
        unit="months",
        ge=0,
        le=60,
        meaning="Months from inquiry to a signed, billing contract (the pipeline's delay)",
        source=f"{SEED}: enterprise custom pricing ({ANALYST})",
        base_range={"low": 3.0, "high": 12.0},
        range_source="analyst judgement: enterprise software sales cycles of a quarter to a year",
    )
    enterprise_acv_usd: float = assumption(
        150_000.0,
        unit="USD per contract per year",
        ge=1000,
        le=1e9,
        meaning="Annual value of an enterprise contract (private hosting, SLAs, custom price)",
        source=f"{SEED}: enterprise custom pricing ({ANALYST})",
        base_range={"low": 80_000.0, "high": 300_000.0},
        range_source=f"{SEED}: custom pricing (analyst judgement: team deployments to company-wide)",
        as_of="2026-11-22",
    )
    initial_enterprise_contracts: float = assumption(
        50.0,
        unit="contracts",
        ge=0,
        le=1e6,
        meaning="Enterprise contracts billing before month 1 (no new deals are in flight then)",
        source=ANALYST,
    )
    enterprise_churn: float = assumption(
        0.01,
        unit="fraction per month",
        ge=0,
        le=1,
        meaning="Share of enterprise contracts not renewed, per month",
        source=f"{SEED}: enterprise customer satisfaction ({ANALYST}: about 11% a year)",
    )
    enterprise_delivery_cost_share: float = assumption(
        0.25,
        unit="fraction",
        ge=0,
        le=2,
        meaning="Private hosting and SLA support delivered, as a share of enterprise contract revenue",
        source=ANALYST,
    )
    enterprise_cac_usd: float = assumption(
        40_000.0,
        unit="USD per contract",
        ge=0,
        le=1e8,
        meaning="Sales cost per won contract, spent while the deal is in the pipeline",
        source=ANALYST,
        as_of="2026-11-22",
    )
    services_per_contract_usd: float = assumption(
        2000.0,
        unit="USD per contract per month",
        ge=0,
        le=1e7,
        meaning="Support and consulting revenue per enterprise contract beyond its contract value",
        source=f"{SEED}: support/consulting revenue ({ANALYST})",
        as_of="2026-11-22",
    )
    services_margin: float = assumption(
        0.35,
        unit="fraction",
        ge=-1,
        le=1,
        meaning="Gross margin of support and consulting (people-heavy)",
        source=ANALYST,
    )
    # --- usage-based API on the open weights (Mistral-style)
    api_conversion: float = assumption(
        0.002,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Share of each cohort of new users that becomes a paying API customer",
        source=f"{SEED}: Mistral-style enterprise API ({ANALYST})",
    )
    api_churn: float = assumption(
        0.04,
        unit="fraction per month",
        ge=0,
        le=1,
        meaning="Share of API customers lost each month",
        source=ANALYST,
    )
    api_tokens_per_customer_m: float = assumption(
        200.0,
        unit="M tokens per customer per month",
        gt=0,
        le=1e7,
        meaning="Average monthly tokens of a paying API customer",
        source=ANALYST,
    )
    api_price_per_m: float = assumption(
        2.0,
        unit="USD per 1M tokens",
        ge=0.01,
        le=1000,
        meaning=(
            "Blended API price in month 1"
            " (the stack links it to the closed API layer's net price × price_to_closed_api_ratio: "
            "this value is used when a scenario is unlinked or sets it)"
        ),
        source=f"{SEED1}: $2-15 per 1M tokens (open-weights providers at the low end: {ANALYST})",
        schedule=True,
        as_of="2024-01",
    )
    price_to_closed_api_ratio: float = assumption(
        0.43,
        unit="ratio",
        gt=0,
        le=10,
        meaning=(
            "Hosted API price as a multiple of the closed API layer's net price per 1M tokens, "
            "when the stack links the two (open weights are priced against the closed models they replace)"
        ),
        source=(
            "derived: api_price_per_m's $2.00 over the API layer's base net price in month 1 "
            f"($4.61 per 1M tokens) ({ANALYST}: open-weights hosts price well below closed APIs)"
        ),
    )
    api_cost_per_m: float = assumption(
        0.60,
        unit="USD per 1M tokens",
        ge=0,
        le=1000,
        meaning="Cost to serve 1M API tokens in month 1 (GPU inference and serving)",
        source=ANALYST,
        as_of="2026-11-22",
    )
    annual_api_price_decline: float = assumption(
        0.30,
        unit="fraction per year",
        ge=0,
        lt=1,
        meaning=(
            "Yearly fall of the API price as other open models and hosts compete "
            "(unused when the price is linked: the closed API's own path applies)"
        ),
        source=f"{SEED}: competitive pressure from other open models ({ANALYST})",
        base_range={"low": 0.10, "high": 0.60},
        range_source=(
            f"{SEED1}: race-to-bottom risk (analyst judgement: anyone may host open weights, so "
            "prices follow the cheapest host)"
        ),
    )
    annual_api_cost_decline: float = assumption(
        0.25,
        unit="fraction per year",
        ge=0,
        lt=1,
        meaning="Yearly fall of the cost to serve a token (hardware and efficiency)",
        source=ANALYST,
        base_range={"low": 0.10, "high": 0.50},
        range_source="analyst judgement: new GPU generations plus quantisation and batching",
    )
    # --- operating expenses
    fixed_opex_usd: float = assumption(
        4.5e6,
        unit="USD per month",
        ge=0,
        le=1e10,
        meaning="R&D (incl. training the open models, expensed), community and G&A",
        source=ANALYST,
        schedule=True,
    )
    training_compute_usd: float = assumption(
        0.0,
        unit="USD per month",
        ge=0,
        le=1e10,
        meaning=(
            "Compute for training runs and research in month 1, expensed as R&D on top of fixed_opex_usd "
            "(0: included in fixed_opex_usd); lets a published burn be compared"
        ),
        source=(
            "Stability AI, 2023: press reports (Forbes, 2023-06) of about $8M a month of spending, mostly "
            "compute, against a few million dollars of revenue; the base keeps training inside fixed_opex_usd"
        ),
        as_of="2023-06",
    )
    training_compute_growth_annual: float = assumption(
        0.0,
        unit="fraction per year",
        ge=-0.9,
        le=10,
        meaning="Yearly growth of the training and research compute spend (larger runs each generation)",
        source=(
            "Epoch AI, 2024-05: compute of frontier training runs has grown about 4-5x a year since 2010 "
            f"({ANALYST}: an open-model lab's spend grows far less; 0 keeps it flat)"
        ),
    )
    # --- observed community figures
    github_stars: float = assumption(
        120_000.0,
        unit="stars",
        ge=0,
        le=1e8,
        meaning="GitHub stars of the main open repositories",
        source=f"{SEED}: GitHub stars / forks",
        role="observed",
    )
    contributors_per_month: float = assumption(
        600.0,
        unit="contributors per month",
        ge=0,
        le=1e7,
        meaning="Outside contributors with a merged contribution in the month",
        source=f"{SEED}: community contributions",
        role="observed",
    )
    rival_hosting_price_per_m: float = assumption(
        1.6,
        unit="USD per 1M tokens",
        gt=0,
        le=1000,
        meaning="Price at which third-party hosts serve comparable open weights (month 1)",
        source=f"{SEED}: competitive pressure from other open-source models ({ANALYST})",
        role="observed",
        as_of="2026-11-22",
    )
    rival_annual_price_decline: float = assumption(
        0.30,
        unit="fraction per year",
        ge=0,
        lt=1,
        meaning="Yearly fall of third-party hosting prices of comparable open weights",
        source="api_access base scenario: annual_price_decline 0.30 (seed 001: per-token prices commoditise)",
    )
    # --- guardrail limits
    max_free_cost_share: float = assumption(
        0.20,
        unit="fraction",
        ge=0,
        le=10,
        meaning="Guardrail: highest acceptable free-tier cost as a share of revenue",
        source=f"{SEED}: free tier costs guardrail ({ANALYST})",
        role="limit",
    )
    min_paid_share: float = assumption(
        0.02,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Guardrail: lowest acceptable paid share of active users (free -> paid conversion)",
        source=f"{SEED}: conversion guardrail, low end of ~2-5%",
        role="limit",
    )
    min_community_growth: float = assumption(
        0.0,
        unit="fraction per month",
        ge=-1,
        le=1,
        meaning="Guardrail: lowest acceptable month-on-month growth of active users (community health)",
        source=f"{SEED}: community health guardrail ({ANALYST}: the community must not shrink)",
        role="limit",
    )
    max_api_price_premium: float = assumption(
        1.5,
        unit="ratio",
        gt=0,
        le=100,
        meaning="Guardrail: highest API price relative to third-party hosting of comparable open weights",
        source=f"{SEED}: competitive pressure guardrail ({ANALYST})",
        role="limit",
    )
    min_gross_margin: float = min_gross_margin_assumption(
        0.60,
        source=f"{SEED}: ~70-80% after hosting costs (floor at 60%: {ANALYST})",
    )

    @model_validator(mode="after")
    def _consistent(self) -> OpenSourceFreemiumParams:
        if self.org_seat_price_usd < self.individual_price_usd:
            raise ValueError(
                f"org_seat_price_usd ({self.org_seat_price_usd:g}) must be at least "
                f"individual_price_usd ({self.individual_price_usd:g})"
            )
        if self.enterprise_sales_cycle_months >= self.horizon_months:
            raise ValueError(
                f"enterprise_sales_cycle_months ({self.enterprise_sales_cycle_months:g}) must be shorter "
                f"than horizon_months ({self.horizon_months})"
            )
        return self
