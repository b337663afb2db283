"""Assumptions of the API access / model-as-a-service model: units, ranges, meanings and sources."""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from aibm_core.params import ANALYST, ProjectionParams, assumption

SEED0 = "seed 000 §1 (API access)"
SEED1 = "seed 001 (model-as-a-service)"


class ApiAccessParams(ProjectionParams):
    """Assumptions of the API-access model (defaults: base scenario)."""

    # --- list prices and traffic mix
    price_per_m_input_tokens: float = assumption(
        3.0,
        unit="USD per 1M input tokens",
        ge=0,
        le=1000,
        meaning="List price of input (prompt) tokens",
        source="Anthropic Claude Sonnet list price, 2025: $3 per 1M input tokens",
    )
    price_per_m_output_tokens: float = assumption(
        15.0,
        unit="USD per 1M output tokens",
        ge=0,
        le=1000,
        meaning="List price of output (completion) tokens",
        source="Anthropic Claude Sonnet list price, 2025: $15 per 1M output tokens",
    )
    input_token_share: float = assumption(
        0.75, unit="fraction", ge=0, le=1, meaning="Share of all tokens that are input tokens", source=ANALYST
    )
    # --- discounts
    tier2_threshold_m_tokens: float = assumption(
        2000.0,
        unit="M tokens per customer per month",
        gt=0,
        le=1e7,
        meaning="Monthly volume above which the tier-2 volume discount applies",
        source=f"{SEED0}: volume discounts (threshold: {ANALYST})",
    )
    tier2_discount: float = assumption(
        0.10,
        unit="fraction",
        ge=0,
        lt=1,
        meaning="Discount on volume between the tier-2 and tier-3 thresholds",
        source=f"{SEED0}: volume discounts ({ANALYST})",
    )
    tier3_threshold_m_tokens: float = assumption(
        20000.0,
        unit="M tokens per customer per month",
        gt=0,
        le=1e8,
        meaning="Monthly volume above which the tier-3 volume discount applies",
        source=f"{SEED0}: volume discounts ({ANALYST})",
    )
    tier3_discount: float = assumption(
        0.20,
        unit="fraction",
        ge=0,
        lt=1,
        meaning="Discount on volume above the tier-3 threshold",
        source=f"{SEED0}: volume discounts ({ANALYST})",
    )
    enterprise_token_share: float = assumption(
        0.40,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Share of tokens sold under negotiated enterprise contracts",
        source=f"{SEED0}: enterprise contracts ({ANALYST})",
    )
    enterprise_discount: float = assumption(
        0.25,
        unit="fraction",
        ge=0,
        lt=1,
        meaning="Discount off list price in enterprise contracts (instead of volume tiers)",
        source=ANALYST,
    )
    cache_hit_rate: float = assumption(
        0.30,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Share of input tokens served from the prompt cache",
        source=ANALYST,
    )
    cached_input_price_factor: float = assumption(
        0.10,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Price of a cached input token relative to an uncached one",
        source="Anthropic prompt-caching price, 2024-08: cache reads at 10% of input price",
    )
    cached_input_cost_factor: float = assumption(
        0.10,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Cost to serve a cached input token relative to an uncached one",
        source=ANALYST,
    )
    batch_share: float = assumption(
        0.10,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Share of tokens sent through the asynchronous batch API",
        source=ANALYST,
    )
    batch_discount: float = assumption(
        0.50,
        unit="fraction",
        ge=0,
        lt=1,
        meaning="Discount on batch-API tokens",
        source="OpenAI Batch API, 2024-04: 50% off synchronous prices",
    )
    annual_price_decline: float = assumption(
        0.30,
        unit="fraction per year",
        ge=0,
        lt=1,
        meaning="Yearly fall of prices per token as models commoditise",
        source=f"{SEED1}: race-to-bottom pricing risk ({ANALYST})",
    )
    # --- cost to serve
    cost_basis: Literal["gpu", "direct"] = assumption(
        "gpu",
        unit="choice",
        meaning="Derive cost per token from GPU economics ('gpu') or take it as given ('direct')",
        source="-",
    )
    direct_cost_per_m_tokens: float = assumption(
        1.50,
        unit="USD per 1M tokens",
        ge=0,
        le=1000,
        meaning="Cost to serve 1M tokens when cost_basis is 'direct'",
        source=f"{SEED0}: cost ~$0.03 per 1K tokens in the worked example",
    )
    gpu_hour_cost_usd: float = assumption(
        2.50,
        unit="USD per GPU-hour",
        gt=0,
        le=100,
        meaning="All-in cost of one H100-class GPU for an hour",
        source="H100 cloud rental, 2025: about $2-3 per GPU-hour on GPU clouds",
    )
    input_tokens_per_second_per_gpu: float = assumption(
        2500.0,
        unit="tokens per second per GPU",
        gt=0,
        le=1e6,
        meaning="Prefill throughput of one fully busy GPU",
        source=ANALYST,
    )
    output_tokens_per_second_per_gpu: float = assumption(
        250.0,
        unit="tokens per second per GPU",
        gt=0,
        le=1e5,
        meaning="Decode throughput of one fully busy GPU (batched)",
        source=ANALYST,
    )
    gpu_utilisation: float = assumption(
        0.60,
        unit="fraction",
        gt=0,
        le=1,
        meaning="Busy share of the paid GPU hours of the serving fleet",
        source=ANALYST,
    )
    infra_overhead_share: float = assumption(
        0.20,
        unit="fraction",
        ge=0,
        le=5,
        meaning="Networking, storage and serving infrastructure as a share of GPU cost",
        source=f"{SEED0}: cost = compute + infrastructure ({ANALYST})",
    )
    annual_cost_decline: float = assumption(
        0.25,
        unit="fraction per year",
        ge=0,
        lt=1,
        meaning="Yearly fall of cost per token (hardware and model efficiency)",
        source=f"{SEED0}: optimisation levers ({ANALYST})",
    )
    # --- customers
    initial_customers: float = assumption(
        10000.0,
        unit="customers",
        ge=0,
        le=1e8,
        meaning="Paying API customers at the start of the projection",
        source=ANALYST,
    )
    developer_signups_per_month: float = assumption(
        50000.0,
        unit="signups per month",
        ge=0,
        le=1e8,
        meaning="New developer accounts each month",
        source=f"{SEED0}: leading indicators",
    )
    signup_to_paid_conversion: float = assumption(
        0.04,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Share of new signups that become paying customers",
        source=ANALYST,
    )
    monthly_churn: float = assumption(
        0.03,
        unit="fraction per month",
        ge=0,
        le=1,
        meaning="Share of paying customers lost each month (API key abandonment)",
        source=f"{SEED0}: churn guardrail ({ANALYST})",
    )
    tokens_per_customer_m: float = assumption(
        300.0,
        unit="M tokens per customer per month",
        gt=0,
        le=1e7,
        meaning="Average monthly tokens of a paying customer in month 1",
        source=ANALYST,
    )
    usage_growth_monthly: float = assumption(
        0.03,
        unit="fraction per month",
        ge=-0.5,
        le=1,
        meaning="Monthly growth of tokens per customer (usage expansion)",
        source=f"{SEED0}: API usage growth ({ANALYST})",
    )
    customer_size_dispersion: float = assumption(
        1.5,
        unit="log standard deviation",
        ge=0.05,
        le=4,
        meaning="Spread of customer sizes (lognormal sigma); drives tiers and concentration",
        source=ANALYST,
    )
    cac_usd: float = assumption(
        5000.0,
        unit="USD per customer",
        ge=0,
        le=1e8,
        meaning="Sales and marketing cost to win one paying customer",
        source=ANALYST,
    )
    annual_discount_rate: float = assumption(
        0.12,
        unit="fraction per year",
        ge=0,
        le=1,
        meaning="Discount rate for customer lifetime value",
        source=ANALYST,
    )
    # --- training
    training_cost_usd: float = assumption(
        100e6,
        unit="USD per model",
        ge=0,
        le=1e12,
        meaning="Cost to train the model generation being sold",
        source=f"{SEED1}: $100M+ per frontier model",
    )
    model_life_months: float = assumption(
        24.0,
        unit="months",
        gt=0,
        le=120,
        meaning="Months a model generation is sold before replacement (amortisation life)",
        source=ANALYST,
    )
    # --- observation
    tokens_per_request: float = assumption(
        2000.0,
        unit="tokens per request",
        gt=0,
        le=1e7,
        meaning="Average tokens (input + output) in one API request",
        source=ANALYST,
    )
    error_rate: float = assumption(
        0.004,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Observed share of API requests that fail",
        source=f"{SEED0}: customer health",
    )
    docs_views_per_month: float = assumption(
        400000.0,
        unit="views per month",
        ge=0,
        le=1e10,
        meaning="Observed API documentation page views",
        source=f"{SEED0}: leading indicators",
    )
    sdk_downloads_per_month: float = assumption(
        150000.0,
        unit="downloads per month",
        ge=0,
        le=1e10,
        meaning="Observed SDK package downloads",
        source=f"{SEED0}: leading indicators",
    )
    time_to_first_call_minutes: float = assumption(
        15.0,
        unit="minutes",
        ge=0,
        le=1e5,
        meaning="Observed median time from signup to first API call",
        source=f"{SEED0}: leading indicators",
    )
    # --- guardrail limits
    max_monthly_churn: float = assumption(
        0.05,
        unit="fraction per month",
        ge=0,
        le=1,
        meaning="Guardrail: highest acceptable monthly churn",
        source=f"{SEED0}: guardrails",
    )
    max_cost_per_request_usd: float = assumption(
        0.01,
        unit="USD per request",
        ge=0,
        le=100,
        meaning="Guardrail: highest acceptable cost to serve one request",
        source=f"{SEED0}: guardrails ({ANALYST})",
    )
    max_top10_revenue_share: float = assumption(
        0.35,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Guardrail: highest acceptable revenue share of the 10 largest customers",
        source=f"{SEED0}, {SEED1}: customer concentration risk",
    )
    max_error_rate: float = assumption(
        0.01,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Guardrail: highest acceptable failed-request share",
        source=f"{SEED0}: guardrails",
    )

    @model_validator(mode="after")
    def _consistent(self) -> ApiAccessParams:
        if self.tier3_threshold_m_tokens <= self.tier2_threshold_m_tokens:
            raise ValueError(
                f"tier3_threshold_m_tokens ({self.tier3_threshold_m_tokens:g}) must exceed "
                f"tier2_threshold_m_tokens ({self.tier2_threshold_m_tokens:g})"
            )
        if self.tier3_discount < self.tier2_discount:
            raise ValueError(
                f"tier3_discount ({self.tier3_discount:g}) must be at least "
                f"tier2_discount ({self.tier2_discount:g})"
            )
        return self
