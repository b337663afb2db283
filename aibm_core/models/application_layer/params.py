"""Assumptions of the application-layer model: units, ranges, meanings and sources."""

from __future__ import annotations

from pydantic import model_validator

from aibm_core.core.params import ANALYST, ProjectionParams, assumption, min_gross_margin_assumption

SEED3 = "seed 003 (revenue pyramid)"
API_LAYER = "api_access base scenario: net revenue per 1M tokens in month 12 ($3.32, `aibm results`)"


def _switch(stream: str) -> bool:
    """A setting that includes one monetisation stream in the mix."""
    return assumption(
        True,
        unit="switch",
        meaning=f"Include the {stream} stream in the business",
        source=f"{SEED3}: monetisation types",
        role="setting",
    )


class ApplicationLayerParams(ProjectionParams):
    """Assumptions of the application-layer model (defaults: base scenario)."""

    base_correlations = (
        (
            "tasks_per_seat",
            "seat_monthly_churn",
            -0.4,
            "analyst judgement: seats that use the product more deeply are the ones that stay",
        ),
    )

    # --- the mix of monetisation streams (settings)
    include_subscriptions: bool = _switch("vertical subscriptions")
    include_automation: bool = _switch("enterprise process automation")
    include_content: bool = _switch("content revenue share")
    include_marketplace: bool = _switch("developer marketplace")
    include_contracts: bool = _switch("long-cycle contracts (government, compliance)")
    flywheel_enabled: bool = assumption(
        True,
        unit="switch",
        meaning="Let cumulative usage data lower churn and raise conversion (off: no data flywheel)",
        source=f"{SEED3}: data flywheel effect",
        role="setting",
    )
    # --- inference bought from the platform layer
    api_price_per_m_tokens: float = assumption(
        3.32,
        unit="USD per 1M tokens",
        ge=0.01,
        le=200,
        meaning=(
            "Price the application pays the API layer for 1M tokens in the snapshot month"
            " (the stack links it to the API layer's net price: "
            "this value is used when a scenario is unlinked or sets it)"
        ),
        source=API_LAYER,
        base_range={"dist": "pert", "low": 1.5, "mode": 3.32, "high": 10.0},
        range_source=(
            "seed 001: $2-15 per 1M tokens by model and tier; a cheaper model tier toward $1.5, "
            "a frontier tier toward $10 (analyst judgement for the tails)"
        ),
        schedule=True,
        as_of="2026-11-22",
    )
    api_price_annual_decline: float = assumption(
        0.30,
        unit="fraction per year",
        ge=0,
        lt=1,
        meaning=(
            "Yearly fall of the API price (earlier months pay more, later months less; "
            "unused when the price is linked: the API layer's own path applies)"
        ),
        source="api_access base scenario: annual_price_decline 0.30 (seed 001 commoditisation)",
    )
    edge_inference_share: float = assumption(
        0.20,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Share of subscription and content tokens run on the user's device instead of the API",
        source=f"{SEED3}: edge computing deployment ({ANALYST})",
    )
    edge_cost_per_m_tokens: float = assumption(
        0.50,
        unit="USD per 1M tokens",
        ge=0,
        le=200,
        meaning="Cost of on-device inference (model compression, device testing, distribution) per 1M tokens",
        source=f"{ANALYST}: a sixth of the API price; the device's own compute is the user's",
        as_of="2026-11-22",
    )
    # --- 1. vertical subscriptions
    initial_seats: float = assumption(
        50000.0,
        unit="seats",
        ge=0,
        le=1e9,
        meaning="Paying seats at the start of the projection",
        source=ANALYST,
    )
    seats_signed_per_month: float = assumption(
        5000.0,
        unit="seats per month",
        ge=0,
        le=1e8,
        meaning="Seats signed each month before the data flywheel's conversion uplift",
        source=ANALYST,
    )
    subscription_sales_cycle_months: int = assumption(
        2,
        unit="months",
        ge=0,
        le=24,
        meaning="Delay between signing a seat and its first paid month (deals in flight at month 1 pay too)",
        source=f"{ANALYST}: pilots and procurement in regulated industries",
        role="setting",
    )
    generic_seat_price_usd: float = assumption(
        30.0,
        unit="USD per seat per month",
        ge=1,
        le=10000,
        meaning="Price of a generic AI assistant seat, the reference the vertical premium applies to",
        source="ChatGPT Team list price, 2024: $30 per user per month billed monthly ($25 billed yearly)",
        as_of="2024-01",
    )
    domain_premium: float = assumption(
        2.0,
        unit="fraction",
        ge=0,
        le=20,
        meaning="Premium of the vertical seat over the generic seat (price = generic × (1 + premium))",
        source=f"{SEED3}: domain expertise and proprietary data create pricing power ({ANALYST})",
        base_range={"low": 1.0, "high": 4.0},
        range_source=(
            "analyst judgement: a vertical seat at 2-5 times a generic assistant seat ($60-150 a month), "
            "the spread between light and deep domain products"
        ),
    )
    seat_monthly_churn: float = assumption(
        0.025,
        unit="fraction per month",
        ge=0,
        le=1,
        meaning="Share of paying seats lost each month before the data flywheel's reduction",
        source=f"seed 000 common patterns: churn guardrail ({ANALYST})",
        base_range={"low": 0.01, "high": 0.05},
        range_source=(
            "analyst judgement: 1% a month for an embedded professional tool, 5% for one users try and drop"
        ),
    )
    tasks_per_seat: float = assumption(
        200.0,
        unit="tasks per seat per month",
        ge=0,
        le=1e6,
        meaning="AI tasks (queries, drafts, reviews) an average seat runs each month",
        source=ANALYST,
        base_range={"low": 100.0, "high": 500.0},
        range_source="analyst judgement: 5 to 25 tasks a working day for a professional user",
    )
    tokens_per_seat_task: float = assumption(
        30000.0,
        unit="tokens per task",
        gt=0,
        le=1e8,
        meaning="Tokens (input + output) of one subscription task, long documents in context",
        source=f"{ANALYST}: contracts, records and filings put tens of thousands of tokens in context",
    )
    seat_usage_dispersion: float = assumption(
        0.0,
        unit="log-sd",
        ge=0,
        le=3,
        meaning=(
            "Spread of usage across seats around tasks_per_seat (lognormal log-sd; 0: every seat uses "
            "the average): gives the share of seats that cost more than they pay"
        ),
        source=(
            f"{ANALYST}: usage of flat-priced AI seats is heavy-tailed (GitHub Copilot was reported in "
            "2023-10 to lose over $20 a user a month on average, some users costing up to $80)"
        ),
        as_of="2023-10-09",
    )
    hosting_cost_per_seat: float = assumption(
        3.0,
        unit="USD per seat per month",
        ge=0,
        le=10000,
        meaning="Application hosting, storage and retrieval index per seat",
        source=ANALYST,
        as_of="2026-11-22",
    )
    seat_cac_usd: float = assumption(
        600.0,
        unit="USD per seat",
        ge=0,
        le=1e6,
        meaning="Sales and marketing cost to sign one seat",
        source=ANALYST,
        as_of="2026-11-22",
    )
    # --- 2. enterprise process automation
    initial_automation_customers: float = assumption(
        100.0,
        unit="customers",
        ge=0,
        le=1e7,
        meaning="Enterprise automation customers at the start of the projection",
        source=ANALYST,
    )
    new_automation_customers_per_month: float = assumption(
        15.0,
        unit="customers per month",
        ge=0,
        le=1e6,
        meaning="Enterprise automation customers won each month before the flywheel's uplift",
        source=ANALYST,
    )
    automation_monthly_churn: float = assumption(
        0.015,
        unit="fraction per month",
        ge=0,
        le=1,
        meaning="Share of automation customers lost each month before the flywheel's reduction",
        source=f"seed 000 common patterns: enterprise contracts and lock-in ({ANALYST})",
    )
    platform_fee_usd: float = assumption(
        5000.0,
        unit="USD per customer per month",
        ge=0,
        le=1e8,
        meaning="Modular SaaS platform fee of an automation customer",
        source=f"{SEED3}: SaaS deployment with modular pricing ({ANALYST})",
        as_of="2026-11-22",
    )
    tasks_per_automation_customer: float = assumption(
        20000.0,
        unit="tasks per customer per month",
        ge=0,
        le=1e9,
        meaning="Tasks automated for one customer each month (contracts reviewed, tickets handled)",
        source=ANALYST,
    )
    value_per_task_usd: float = assumption(
        4.0,
        unit="USD per task",
        gt=0,
        le=1e6,
        meaning="Value of one automated task to the customer (the labour cost it saves)",
        source=f"{ANALYST}: a few minutes of a support agent's or paralegal's time",
        as_of="2026-11-22",
    )
    value_capture_share: float = assumption(
        0.25,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Share of the task's value charged as the per-task price",
        source=ANALYST,
        base_range={"low": 0.1, "high": 0.4},
        range_source="analyst judgement: vendors of automation price at 10-40% of the labour saved",
    )
    tokens_per_automation_task: float = assumption(
        10000.0,
        unit="tokens per task",
        gt=0,
        le=1e8,
        meaning="Tokens (input + output) of one automated task",
        source=ANALYST,
    )
    human_review_share: float = assumption(
        0.05,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Share of automated tasks a person reviews (low confidence, high stakes)",
        source=ANALYST,
    )
    human_review_cost_per_task: float = assumption(
        3.0,
        unit="USD per reviewed task",
        ge=0,
        le=1e5,
        meaning="Labour cost of one human review",
        source=ANALYST,
        as_of="2026-11-22",
    )
    hosting_cost_per_automation_customer: float = assumption(
        1000.0,
        unit="USD per customer per month",
        ge=0,
        le=1e8,
        meaning="Dedicated hosting, integrations and private-data fine-tuning runs per customer",
        source=f"{SEED3}: fine-tuning with private enterprise data ({ANALYST})",
        as_of="2026-11-22",
    )
    automation_cac_usd: float = assumption(
        100000.0,
        unit="USD per customer",
        ge=0,
        le=1e9,
        meaning="Sales cost to win one automation customer",
        source=ANALYST,
        as_of="2026-11-22",
    )
    support_cost_share: float = assumption(
        0.05,
        unit="fraction of revenue",
        ge=0,
        le=1,
        meaning="Customer support and success, as a share of subscription and automation revenue",
        source=ANALYST,
    )
    # --- 3. content generation with revenue sharing
    content_pieces_per_month: float = assumption(
        200000.0,
        unit="pieces per month",
        ge=0,
        le=1e10,
        meaning="Scripts, ad copy and dialogue pieces produced in month 1",
        source=f"{SEED3}: industrialised content generation ({ANALYST})",
    )
    content_growth_monthly: float = assumption(
        0.03,
        unit="fraction per month",
        ge=-0.5,
        le=1,
        meaning="Monthly growth of pieces produced",
        source=ANALYST,
    )
    views_per_piece: float = assumption(
        20000.0, unit="views per piece", ge=0, le=1e10, meaning="Average views of a piece", source=ANALYST
    )
    revenue_per_thousand_views_usd: float = assumption(
        3.0,
        unit="USD per 1,000 views",
        ge=0,
        le=1000,
        meaning="Revenue a piece earns its owner per 1,000 views",
        source=f"{SEED3}: revenue tied to viewership ({ANALYST})",
        as_of="2026-11-22",
    )
    content_revenue_share: float = assumption(
        0.10,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Share of a piece's revenue the application takes",
        source=f"{SEED3}: revenue sharing on content value ({ANALYST})",
    )
    tokens_per_piece: float = assumption(
        50000.0,
        unit="tokens per piece",
        gt=0,
        le=1e9,
        meaning="Tokens (input + output, drafts included) to produce one piece",
        source=ANALYST,
    )
    review_cost_per_piece: float = assumption(
        1.0,
        unit="USD per piece",
        ge=0,
        le=1e5,
        meaning="Human editing and brand-safety review of one piece",
        source=ANALYST,
        as_of="2026-11-22",
    )
    # --- 4. developer-ecosystem marketplace
    marketplace_gmv_usd: float = assumption(
        5e6,
        unit="USD per month",
        ge=0,
        le=1e12,
        meaning="Gross merchandise value sold through the marketplace in month 1",
        source=ANALYST,
    )
    marketplace_gmv_growth_monthly: float = assumption(
        0.05, unit="fraction per month", ge=-0.5, le=1, meaning="Monthly growth of the GMV", source=ANALYST
    )
    marketplace_take_rate: float = assumption(
        0.125,
        unit="fraction of GMV",
        ge=0,
        le=0.5,
        meaning="Commission the marketplace keeps on each sale",
        source=f"{SEED3}: Hugging Face's 10-15% commission (midpoint)",
        base_range={"low": 0.10, "high": 0.15},
        range_source=f"{SEED3}: 10-15% commission on the model marketplace",
    )
    marketplace_tier_threshold_usd: float = assumption(
        0.0,
        unit="USD of GMV per developer per year",
        ge=0,
        le=1e12,
        meaning=(
            "Tiered fees: each developer's first this much GMV a year pays the first-tier take rate, "
            "the rest the take rate (0: one flat take rate)"
        ),
        source=(
            "Google Play service fee, 2021-07-01: 15% on a developer's first $1M of earnings each year, "
            "30% above; the flat take rate stays the default (seed 003)"
        ),
        as_of="2021-07-01",
    )
    marketplace_first_tier_take_rate: float = assumption(
        0.0,
        unit="fraction of GMV",
        ge=0,
        le=0.5,
        meaning=(
            "Take rate on each developer's GMV below the tier threshold (used when the threshold is above 0)"
        ),
        source=(
            "Shopify App Store revenue share, 2021-08-01: 0% on a developer's first $1M of revenue, 15% above"
        ),
        as_of="2021-08-01",
    )
    marketplace_developer_gmv_dispersion: float = assumption(
        1.5,
        unit="log-sd",
        ge=0,
        le=5,
        meaning=(
            "Spread of the annual GMV across developers (lognormal log-sd; 0: every developer sells the "
            "average); sets how much GMV falls below the tier threshold"
        ),
        source=(
            f"{ANALYST}: app-store sales are concentrated (a log-sd of 1.5 puts about half the GMV with "
            "the top 10% of developers)"
        ),
    )
    payment_cost_share: float = assumption(
        0.029,
        unit="fraction of GMV",
        ge=0,
        le=0.2,
        meaning="Payment processing cost on the GMV",
        source="Stripe standard US card pricing, 2024: 2.9% + $0.30 per charge (the fixed part left out)",
    )
    # --- 6. long-cycle contracts (government, compliance and audit)
    contracts_signed_per_month: float = assumption(
        1.0,
        unit="contracts per month",
        ge=0,
        le=1e4,
        meaning="Government and compliance contracts signed each month, from month 1",
        source=f"{SEED3}: government custom solutions, EU AI Act compliance ({ANALYST})",
    )
    contract_sales_cycle_months: int = assumption(
        9,
        unit="months",
        ge=0,
        le=36,
        meaning="Delay between signing a contract and its first billed month (procurement, set-up)",
        source=f"{ANALYST}: public procurement takes most of a year",
        role="setting",
    )
    contract_term_months: int = assumption(
        36,
        unit="months",
        ge=1,
        le=120,
        meaning="Billed months of a contract (multi-year term)",
        source=f"{SEED3}: stable, policy-driven budgets ({ANALYST})",
        role="setting",
    )
    contract_annual_value_usd: float = assumption(
        1.5e6, unit="USD per year", ge=0, le=1e10, meaning="Annual value of one contract", source=ANALYST
    )
    contract_delivery_cost_share: float = assumption(
        0.45,
        unit="fraction of revenue",
        ge=0,
        le=2,
        meaning="Delivery cost of contracts (staff, audits, their inference) as a share of their revenue",
        source=f"{ANALYST}: services-heavy work, nearer consulting than software margins",
    )
    contract_bid_cost_usd: float = assumption(
        150000.0,
        unit="USD per contract",
        ge=0,
        le=1e9,
        meaning="Bidding and sales cost of each contract won",
        source=ANALYST,
        as_of="2026-11-22",
    )
    # --- 5. data flywheel
    flywheel_scale_m_tasks: float = assumption(
        400.0,
        unit="M tasks",
        gt=0,
        le=1e9,
        meaning="Cumulative usage at which the flywheel reaches 63% (1 - 1/e) of its full effect",
        source=f"{SEED3}: user feedback data improves the models ({ANALYST})",
    )
    flywheel_max_churn_reduction: float = assumption(
        0.30,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Largest relative cut of churn a mature flywheel gives",
        source=ANALYST,
    )
    flywheel_max_conversion_uplift: float = assumption(
        0.25,
        unit="fraction",
        ge=0,
        le=5,
        meaning="Largest relative rise of seat signings and automation wins a mature flywheel gives",
        source=ANALYST,
    )
    # --- operating costs
    fixed_opex_usd: float = assumption(
        4e6,
        unit="USD per month",
        ge=0,
        le=1e11,
        meaning="Research, engineering and general costs that do not scale with sales",
        source=ANALYST,
        schedule=True,
    )
    annual_discount_rate: float = assumption(
        0.12,
        unit="fraction per year",
        ge=0,
        le=1,
        meaning="Discount rate for a seat's lifetime value",
        source=ANALYST,
    )
    ltv_months: int = assumption(
        60,
        unit="months",
        ge=1,
        le=240,
        meaning="Months of a new seat's projected path counted in its lifetime value (cap)",
        source=f"{ANALYST}: a five-year cap, the usual conservative cut-off of customer lifetime value",
        role="setting",
    )
    # --- observed leading indicators
    trial_signups_per_month: float = assumption(
        40000.0,
        unit="signups per month",
        ge=0,
        le=1e10,
        meaning="Observed free-trial signups of the vertical products",
        source="seed 000 common patterns: freemium to paid",
        role="observed",
    )
    marketplace_developers: float = assumption(
        20000.0,
        unit="developers",
        ge=0,
        le=1e10,
        meaning="Observed developers publishing on the marketplace",
        source=f"{SEED3}: developer ecosystem",
        role="observed",
    )
    # --- guardrail limits
    max_inference_cost_share: float = assumption(
        0.25,
        unit="fraction of revenue",
        ge=0,
        le=1,
        meaning="Guardrail: highest acceptable inference cost (API and edge) as a share of revenue",
        source=f"{ANALYST}: above a quarter of revenue the API provider takes the application's margin",
        role="limit",
    )
    max_seat_monthly_churn: float = assumption(
        0.04,
        unit="fraction per month",
        ge=0,
        le=1,
        meaning="Guardrail: highest acceptable monthly churn of seats (after the flywheel)",
        source=f"seed 000: churn guardrail ({ANALYST})",
        role="limit",
    )
    max_seat_cac_payback_months: float = assumption(
        12.0,
        unit="months",
        gt=0,
        le=120,
        meaning="Guardrail: longest acceptable CAC payback of a seat on its gross profit",
        source=f"seed 000: CAC payback (12-month limit: {ANALYST})",
        role="limit",
    )
    min_gross_margin: float = min_gross_margin_assumption(
        0.50,
        source=f"{SEED3}: the application layer has the pyramid's highest margins (floor at 50%: {ANALYST})",
    )

    @model_validator(mode="after")
    def _some_stream(self) -> ApplicationLayerParams:
        if not any(getattr(self, name) for name in STREAM_SWITCHES):
            raise ValueError(f"at least one stream must be included ({', '.join(STREAM_SWITCHES)})")
        return self


#: The settings that choose the mix of monetisation streams.
STREAM_SWITCHES = (
    "include_subscriptions",
    "include_automation",
    "include_content",
    "include_marketplace",
    "include_contracts",
)
