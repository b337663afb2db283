"""Assumptions of the API access / model-as-a-service model: units, ranges, meanings and sources."""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from aibm_core.core.params import ANALYST, ProjectionParams, assumption, min_gross_margin_assumption

SEED0 = "seed 000 §1 (API access)"
SEED1 = "seed 001 (model-as-a-service)"


class ApiAccessParams(ProjectionParams):
    """Assumptions of the API-access model (defaults: base scenario)."""

    base_correlations = (
        (
            "annual_price_decline",
            "annual_cost_decline",
            0.5,
            "analyst judgement: cheaper serving (GPUs, efficiency) lets providers, and rivals, cut prices",
        ),
    )

    # --- list prices and traffic mix
    price_per_m_input_tokens: float = assumption(
        3.0,
        unit="USD per 1M input tokens",
        ge=0.01,
        le=1000,
        meaning="List price of input (prompt) tokens",
        source="Anthropic Claude Sonnet list price, 2025: $3 per 1M input tokens",
        schedule=True,
        as_of="2025-01",
    )
    price_per_m_output_tokens: float = assumption(
        15.0,
        unit="USD per 1M output tokens",
        ge=0.01,
        le=1000,
        meaning="List price of output (completion) tokens",
        source="Anthropic Claude Sonnet list price, 2025: $15 per 1M output tokens",
        base_range={"dist": "pert", "low": 8.0, "mode": 15.0, "high": 18.0},
        range_source=(
            "frontier-model list prices per 1M output tokens, 2024-25: GPT-4.1 $8, GPT-4o $10, "
            "Claude Sonnet $15; the default sits at the top of that band (seed 001: $2-15 per 1M by tier)"
        ),
        schedule=True,
        as_of="2025-01",
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
        meaning="Self-serve monthly volume of a customer above which the tier-2 discount applies",
        source=f"{SEED0}: volume discounts (threshold: {ANALYST})",
    )
    tier2_discount: float = assumption(
        0.10,
        unit="fraction",
        ge=0,
        lt=1,
        meaning="Self-serve discount on volume between the tier-2 and tier-3 thresholds",
        source=f"{SEED0}: volume discounts ({ANALYST})",
    )
    tier3_threshold_m_tokens: float = assumption(
        20000.0,
        unit="M tokens per customer per month",
        gt=0,
        le=1e8,
        meaning="Self-serve monthly volume of a customer above which the tier-3 discount applies",
        source=f"{SEED0}: volume discounts ({ANALYST})",
    )
    tier3_discount: float = assumption(
        0.20,
        unit="fraction",
        ge=0,
        lt=1,
        meaning="Self-serve discount on volume above the tier-3 threshold",
        source=f"{SEED0}: volume discounts ({ANALYST})",
    )
    enterprise_token_share: float = assumption(
        0.40,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Share of tokens bought by the largest customers on enterprise contracts (no volume tiers)",
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
        gt=0,
        le=1,
        meaning="Price of a cached input token relative to an uncached one (> 0: never free)",
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
    cache_write_share: float = assumption(
        0.0,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Share of input tokens written to the prompt cache (billed at the cache-write price)",
        source=(
            f"{ANALYST}: off by default (0), so that input tokens are billed at the input price unless "
            "a scenario models cache writes"
        ),
    )
    cached_write_price_factor: float = assumption(
        1.25,
        unit="ratio",
        ge=1,
        le=10,
        meaning="Price of an input token written to the prompt cache relative to an uncached input token",
        source=(
            "Anthropic prompt-caching prices, 2024-2025: 5-minute cache writes at 1.25x the base input "
            "price (reads at 0.1x)"
        ),
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
        base_range={"low": 0.1, "high": 0.6},
        range_source=(
            f"{SEED1}: race-to-bottom risk; a tier's list price can hold (Claude Sonnet $3/$15 per 1M "
            "from 2024-06 into 2025) or fall fast (GPT-4 $30/$60 in 2023-03, GPT-4o $2.50/$10 in 2024-08)"
        ),
    )
    # --- cost to serve
    cost_basis: Literal["gpu", "direct", "fleet"] = assumption(
        "gpu",
        unit="choice",
        meaning=(
            "Derive cost per token from GPU economics ('gpu'), take it as given ('direct') or pay for a "
            "fixed fleet of fleet_gpus every hour whatever the traffic ('fleet')"
        ),
        source=ANALYST,
        role="setting",
    )
    direct_cost_per_m_tokens: float = assumption(
        1.50,
        unit="USD per 1M tokens",
        ge=0,
        le=1000,
        meaning="Cost to serve 1M tokens (input and output alike) when cost_basis is 'direct'",
        source=(
            f"{ANALYST}: close to what the 'gpu' basis derives from the base GPU assumptions "
            "($1.69 per 1M in month 1, $1.30 in month 12); the seed scenario sets seed 000's $30 per 1M"
        ),
        schedule=True,
        as_of="2026-11-22",
    )
    gpu_hour_cost_usd: float = assumption(
        2.50,
        unit="USD per GPU-hour",
        gt=0,
        le=100,
        meaning=(
            "Rental price of one H100-class GPU for an hour, GPU only "
            "(networking, storage and serving come on top via infra_overhead_share; the stack links it "
            "to the GPU cloud's realised price per sold GPU-hour: this value is used when a scenario "
            "is unlinked or sets it)"
        ),
        source=(
            "H100 on-demand list prices at GPU clouds, 2024-2025: about $2.50-3.00 per GPU-hour "
            "(e.g. Lambda H100 PCIe $2.49/h)"
        ),
        base_range={"low": 1.8, "high": 3.5},
        range_source=(
            "H100 rental, 2024-25: on-demand list prices about $2-4 per GPU-hour; "
            "multi-year reservations at scale nearer $2 (analyst judgement for the low tail)"
        ),
        schedule=True,
        as_of="2025-01",
    )
    fleet_gpus: float = assumption(
        6700.0,
        unit="GPUs",
        ge=1,
        le=1e7,
        meaning="GPUs of the serving fleet paid for every hour of the month when cost_basis is 'fleet'",
        source=(
            f"{ANALYST}: the fleet that carries the base scenario's month-12 traffic at the base 60% "
            "utilisation (the 'gpu' basis pays for about 6,740 GPUs then, 2,710 in month 1)"
        ),
        schedule=True,
    )
    input_tokens_per_second_per_gpu: float = assumption(
        2500.0,
        unit="tokens per second per GPU",
        ge=1,
        le=1e6,
        meaning="Prefill throughput of one fully busy GPU",
        source=ANALYST,
    )
    output_tokens_per_second_per_gpu: float = assumption(
        250.0,
        unit="tokens per second per GPU",
        ge=1,
        le=1e5,
        meaning="Decode throughput of one fully busy GPU (batched)",
        source=ANALYST,
        base_range={"low": 170.0, "high": 370.0},
        range_source=(
            "analyst judgement: model size, batch size, quantisation and speculative decoding move "
            "a provider's decode throughput by a factor of about 2 (bull scenario: 350)"
        ),
    )
    gpu_utilisation: float = assumption(
        0.60,
        unit="fraction",
        ge=0.01,
        le=1,
        meaning="Busy share of the paid GPU hours of the serving fleet",
        source=ANALYST,
        base_range={"low": 0.42, "high": 0.76},
        range_source=(
            "analyst judgement: serving fleets are sized for peak traffic and idle off-peak (bear 0.45, "
            "bull 0.75); seed 002's >80% target for GPU clouds lies above the range"
        ),
    )
    infra_overhead_share: float = assumption(
        0.20,
        unit="fraction",
        ge=0,
        le=5,
        meaning=(
            "Networking, storage, host CPUs and serving software added on top of the bare GPU rental "
            "(share of gpu_hour_cost_usd)"
        ),
        source=(
            f"{SEED0}: cost = compute + infrastructure ({ANALYST}: networking, storage and serving "
            "hosts add a fifth to the bare GPU price for a provider at scale)"
        ),
    )
    annual_cost_decline: float = assumption(
        0.25,
        unit="fraction per year",
        ge=0,
        lt=1,
        meaning=(
            "Yearly fall of cost per token at a constant GPU-hour price (hardware and model "
            "efficiency: more tokens per GPU-hour); a linked GPU-hour price adds the cloud's own path"
        ),
        source=f"{SEED0}: optimisation levers ({ANALYST})",
        base_range={"low": 0.1, "high": 0.5},
        range_source=(
            f"{SEED0}: optimisation levers (analyst judgement: a new GPU generation every ~2 years "
            "plus quantisation, batching and caching; 10% if they stall, 50% if they compound)"
        ),
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
        schedule=True,
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
        base_range={"low": 0.015, "high": 0.06},
        range_source=(
            f"{SEED0}: churn guardrail at 5% a month (analyst judgement: bull 2%, bear 5%; "
            "switching API providers is cheap, so the upper tail passes the guardrail)"
        ),
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
        base_range={"low": 0.0, "high": 0.06},
        range_source=(
            f"{SEED0}: API usage growth (analyst judgement: flat usage per customer to 6% a month, "
            "about doubling a year; bear 1%, bull 5%)"
        ),
    )
    customer_size_dispersion: float = assumption(
        1.5,
        unit="log standard deviation",
        ge=0.05,
        le=4,
        meaning="Spread of customer sizes (lognormal sigma): enterprise cut-off, tiers, concentration",
        source=ANALYST,
    )
    cac_usd: float = assumption(
        5000.0,
        unit="USD per customer",
        ge=0,
        le=1e8,
        meaning="Sales and marketing cost to win one paying customer",
        source=ANALYST,
        schedule=True,
        as_of="2026-11-22",
    )
    annual_discount_rate: float = assumption(
        0.12,
        unit="fraction per year",
        ge=0,
        le=1,
        meaning="Discount rate for customer lifetime value",
        source=ANALYST,
    )
    ltv_months: int = assumption(
        60,
        unit="months",
        ge=1,
        le=240,
        meaning="Months of a new customer's projected path counted in its lifetime value (cap)",
        source=f"{ANALYST}: a five-year cap, the usual conservative cut-off of customer lifetime value",
        role="setting",
    )
    # --- training
    training_cost_usd: float = assumption(
        100e6,
        unit="USD per model",
        ge=0,
        le=1e12,
        meaning="Cost to train the model generation being sold",
        source=f"{SEED1}: $100M+ per frontier model",
        as_of="2024-01",
    )
    model_life_months: float = assumption(
        24.0,
        unit="months",
        ge=1,
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
        role="observed",
    )
    docs_views_per_month: float = assumption(
        400000.0,
        unit="views per month",
        ge=0,
        le=1e10,
        meaning="Observed API documentation page views",
        source=f"{SEED0}: leading indicators",
        role="observed",
    )
    sdk_downloads_per_month: float = assumption(
        150000.0,
        unit="downloads per month",
        ge=0,
        le=1e10,
        meaning="Observed SDK package downloads",
        source=f"{SEED0}: leading indicators",
        role="observed",
    )
    time_to_first_call_minutes: float = assumption(
        15.0,
        unit="minutes",
        ge=0,
        le=1e5,
        meaning="Observed median time from signup to first API call",
        source=f"{SEED0}: leading indicators",
        role="observed",
    )
    # --- guardrail limits
    max_monthly_churn: float = assumption(
        0.05,
        unit="fraction per month",
        ge=0,
        le=1,
        meaning="Guardrail: highest acceptable monthly churn",
        source=f"{SEED0}: guardrails",
        role="limit",
    )
    max_cost_per_request_usd: float = assumption(
        0.01,
        unit="USD per request",
        ge=0,
        le=100,
        meaning="Guardrail: highest acceptable cost to serve one request",
        source=f"{SEED0}: guardrails ({ANALYST})",
        role="limit",
    )
    max_top10_revenue_share: float = assumption(
        0.35,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Guardrail: highest acceptable revenue share of the 10 largest customers",
        source=f"{SEED0}, {SEED1}: customer concentration risk",
        role="limit",
    )
    max_cac_payback_months: float = assumption(
        12.0,
        unit="months",
        gt=0,
        le=120,
        meaning="Guardrail: longest acceptable CAC payback on a customer's monthly gross profit",
        source=f"{SEED0}: CAC payback is a unit-economics metric (12-month limit: {ANALYST})",
        role="limit",
    )
    min_gross_margin: float = min_gross_margin_assumption(
        0.30,
        source=(
            f"{SEED0}: the worked example earns 50% and seed 003 ranks API services a medium-margin layer "
            f"(floor at 30%: {ANALYST})"
        ),
    )
    max_error_rate: float = assumption(
        0.01,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Guardrail: highest acceptable failed-request share",
        source=f"{SEED0}: guardrails",
        role="limit",
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
        if self.cache_hit_rate + self.cache_write_share > 1:
            raise ValueError(
                f"cache_hit_rate ({self.cache_hit_rate:g}) plus cache_write_share "
                f"({self.cache_write_share:g}) must not exceed 1: an input token is read from the cache, "
                "written to it or neither"
            )
        return self
