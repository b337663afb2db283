"""API access / model-as-a-service: selling tokens of a foundation model.

Sources: seed 000 §1 (API access metrics framework and the $0.03 cost / $0.06 price
per 1K tokens example) and seed 001 (tokens per day, $2–15 per 1M tokens,
$100M+ training cost, commoditisation of prices).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import model_validator

from aibm_core import finance
from aibm_core.compute_cost import cost_per_m_tokens
from aibm_core.config import DAYS_PER_MONTH
from aibm_core.models.base import Metric, ModelSpec
from aibm_core.params import ModelParams, assumption
from aibm_core.tree import Formula, MetricTree, Node

SEED0 = "seed 000 §1 (API access)"
SEED1 = "seed 001 (model-as-a-service)"
ANALYST = "analyst assumption (base case)"


class ApiAccessParams(ModelParams):
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
    # --- horizon and observation
    horizon_months: int = assumption(
        36, unit="months", ge=12, le=120, meaning="Length of the monthly projection", source="-"
    )
    snapshot_month: int = assumption(
        12,
        unit="month",
        ge=1,
        le=120,
        meaning="Month the metric tree and unit economics describe",
        source="-",
    )
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
        if self.snapshot_month > self.horizon_months:
            raise ValueError(
                f"snapshot_month ({self.snapshot_month}) must not exceed "
                f"horizon_months ({self.horizon_months})"
            )
        return self


@dataclass(frozen=True)
class ApiAccessResult:
    """Monthly arrays (shape: draws × months) and per-1M-token economics.

    Prices and costs are USD per 1M tokens; tokens are in millions per month;
    money is USD per month.
    """

    params: ApiAccessParams
    months: np.ndarray
    list_price_per_m: np.ndarray
    cache_discount_per_m: np.ndarray
    batch_discount_per_m: np.ndarray
    contract_discount_per_m: np.ndarray
    net_price_per_m: np.ndarray
    cost_per_m: np.ndarray
    customers: np.ndarray
    new_customers: np.ndarray
    tokens_per_customer_m: np.ndarray
    tokens_m: np.ndarray
    enterprise_revenue: np.ndarray
    self_serve_revenue: np.ndarray
    revenue: np.ndarray
    cogs: np.ndarray
    gross_profit: np.ndarray
    training_amortisation: np.ndarray
    acquisition_spend: np.ndarray
    top10_revenue_share: np.ndarray

    def at(self, name: str) -> np.ndarray | float:
        """Value of a monthly series in the snapshot month."""
        series = np.asarray(getattr(self, name))
        value = series[..., int(self.params.snapshot_month) - 1]
        return float(value) if np.ndim(value) == 0 else value

    @property
    def gross_margin(self) -> np.ndarray:
        """Gross margin by month: 1 − cost / net price (fraction)."""
        return 1.0 - self.cost_per_m / self.net_price_per_m


def serving_cost_per_m(p: ApiAccessParams) -> tuple[np.ndarray, np.ndarray]:
    """Cost to serve 1M input and 1M output tokens in month 1 (USD), before caching."""
    if p.cost_basis == "direct":
        direct = np.asarray(p.direct_cost_per_m_tokens, dtype=float)
        return direct, direct
    gpu_hour = np.asarray(p.gpu_hour_cost_usd) * (1.0 + np.asarray(p.infra_overhead_share))
    return (
        cost_per_m_tokens(gpu_hour, p.input_tokens_per_second_per_gpu, p.gpu_utilisation),
        cost_per_m_tokens(gpu_hour, p.output_tokens_per_second_per_gpu, p.gpu_utilisation),
    )


def compute(p: ApiAccessParams) -> ApiAccessResult:
    """Project the API business month by month; any assumption may be an array."""
    a = {name: np.asarray(getattr(p, name)) for name in type(p).model_fields if name != "cost_basis"}
    m = finance.along_months
    months = finance.month_index(p.horizon_months)
    price_level = finance.annual_decline_factor(a["annual_price_decline"], months)
    cost_level = finance.annual_decline_factor(a["annual_cost_decline"], months)

    share_in, hit = a["input_token_share"], a["cache_hit_rate"]
    list_price = share_in * a["price_per_m_input_tokens"] + (1 - share_in) * a["price_per_m_output_tokens"]
    cache_discount = share_in * hit * (1 - a["cached_input_price_factor"]) * a["price_per_m_input_tokens"]
    after_cache = list_price - cache_discount
    batch_discount = after_cache * a["batch_share"] * a["batch_discount"]
    after_batch = after_cache - batch_discount

    tokens_per_customer = m(a["tokens_per_customer_m"]) * finance.growth_factor(
        a["usage_growth_monthly"], months
    )
    volume_discount = finance.graduated_discount_share(
        tokens_per_customer,
        m(a["customer_size_dispersion"]),
        (m(a["tier2_threshold_m_tokens"]), m(a["tier3_threshold_m_tokens"])),
        (m(a["tier2_discount"]), m(a["tier3_discount"])),
    )
    enterprise = m(a["enterprise_token_share"])
    enterprise_price = m(after_batch * (1 - a["enterprise_discount"])) * price_level
    self_serve_price = m(after_batch) * (1 - volume_discount) * price_level
    net_price = enterprise * enterprise_price + (1 - enterprise) * self_serve_price

    cost_in, cost_out = serving_cost_per_m(p)
    cached_cost = 1 - hit + hit * a["cached_input_cost_factor"]
    cost = m(share_in * cost_in * cached_cost + (1 - share_in) * cost_out) * cost_level

    new_customers = a["developer_signups_per_month"] * a["signup_to_paid_conversion"]
    customers = finance.customers_over_time(a["initial_customers"], new_customers, a["monthly_churn"], months)
    tokens = customers * tokens_per_customer
    revenue_enterprise = tokens * enterprise * enterprise_price
    revenue_self_serve = tokens * (1 - enterprise) * self_serve_price
    revenue = tokens * net_price
    cogs = tokens * cost
    series = {
        "list_price_per_m": m(list_price) * price_level,
        "cache_discount_per_m": m(cache_discount) * price_level,
        "batch_discount_per_m": m(batch_discount) * price_level,
        "contract_discount_per_m": m(after_batch) * price_level - net_price,
        "net_price_per_m": net_price,
        "cost_per_m": cost,
        "customers": customers,
        "new_customers": m(new_customers),
        "tokens_per_customer_m": tokens_per_customer,
        "tokens_m": tokens,
        "enterprise_revenue": revenue_enterprise,
        "self_serve_revenue": revenue_self_serve,
        "revenue": revenue,
        "cogs": cogs,
        "gross_profit": revenue - cogs,
        "training_amortisation": m(finance.straight_line(a["training_cost_usd"], a["model_life_months"])),
        "acquisition_spend": m(new_customers * a["cac_usd"]),
        "top10_revenue_share": finance.top_share(customers, 10, m(a["customer_size_dispersion"])),
    }
    shape = np.broadcast_shapes(*(np.shape(v) for v in series.values()))
    return ApiAccessResult(
        params=p, months=months, **{k: np.broadcast_to(v, shape) for k, v in series.items()}
    )


def unit_economics(r: ApiAccessResult) -> dict[str, np.ndarray | float]:
    """Per-customer economics in the snapshot month."""
    p = r.params
    gp_per_customer = r.at("tokens_per_customer_m") * (r.at("net_price_per_m") - r.at("cost_per_m"))
    ltv = finance.lifetime_value(
        gp_per_customer, p.monthly_churn, finance.monthly_rate(p.annual_discount_rate)
    )
    return {
        "revenue_per_customer": r.at("tokens_per_customer_m") * r.at("net_price_per_m"),
        "gross_profit_per_customer": gp_per_customer,
        "cac_payback_months": finance.payback_months(p.cac_usd, gp_per_customer),
        "ltv": ltv,
        "ltv_to_cac": np.asarray(ltv) / p.cac_usd if p.cac_usd else np.inf,
        "cost_per_request": r.at("cost_per_m") * p.tokens_per_request / 1e6,
    }


def kpis(r: ApiAccessResult) -> dict[str, Metric]:
    """Key figures of the snapshot month."""
    ue = unit_economics(r)
    net, cost = r.at("net_price_per_m"), r.at("cost_per_m")
    return {
        "mrr": Metric("API revenue (MRR)", r.at("revenue"), "USD per month"),
        "arr": Metric("API revenue run-rate (ARR)", 12 * r.at("revenue"), "USD per year"),
        "tokens_per_day": Metric(
            "Tokens processed per day", r.at("tokens_m") * 1e6 / DAYS_PER_MONTH, "tokens per day"
        ),
        "paying_customers": Metric("Paying customers", r.at("customers"), "customers"),
        "revenue_per_m_tokens": Metric("Revenue per 1M tokens (net)", net, "USD per 1M tokens"),
        "cost_per_m_tokens": Metric("Cost to serve per 1M tokens", cost, "USD per 1M tokens"),
        "revenue_per_k_tokens": Metric("Revenue per 1K tokens (net)", net / 1000, "USD per 1K tokens"),
        "cost_per_k_tokens": Metric("Cost to serve per 1K tokens", cost / 1000, "USD per 1K tokens"),
        "gross_margin": Metric("Gross margin", 1 - cost / net, "fraction"),
        "contribution_per_customer": Metric(
            "Gross profit per customer", ue["gross_profit_per_customer"], "USD per customer per month"
        ),
        "cac_payback_months": Metric("CAC payback (on gross profit)", ue["cac_payback_months"], "months"),
        "ltv": Metric("Customer lifetime value", ue["ltv"], "USD per customer"),
        "ltv_to_cac": Metric("LTV / CAC", ue["ltv_to_cac"], "ratio"),
        "margin_after_training": Metric(
            "Margin after training amortisation",
            (r.at("gross_profit") - r.at("training_amortisation")) / r.at("revenue"),
            "fraction",
        ),
    }


def projection(r: ApiAccessResult) -> pd.DataFrame:
    """Monthly projection for scalar parameters (USD per month unless named otherwise)."""
    frame = pd.DataFrame(
        {
            "customers": r.customers,
            "tokens_b": r.tokens_m / 1e3,
            "net_price_per_m": r.net_price_per_m,
            "cost_per_m": r.cost_per_m,
            "revenue": r.revenue,
            "cogs": r.cogs,
            "gross_profit": r.gross_profit,
            "gross_margin": r.gross_margin,
            "training_amortisation": r.training_amortisation,
            "acquisition_spend": r.acquisition_spend,
        },
        index=pd.Index(r.months.astype(int), name="month"),
    )
    frame["contribution"] = (
        frame["gross_profit"] - frame["training_amortisation"] - frame["acquisition_spend"]
    )
    frame["arr"] = 12 * frame["revenue"]
    return frame


def tree(r: ApiAccessResult) -> MetricTree:
    """The API-access metric tree (seed 000 §1) for the snapshot month."""
    p = r.params
    s = p.snapshot_month
    usd_m = "USD per 1M tokens"
    nodes = [
        Node(
            "mrr",
            "API revenue (MRR)",
            "north_star",
            unit="USD per month",
            definition=f"Net API revenue in month {s}",
            formula=Formula("product", ("paying_customers", "tokens_per_customer", "net_price_per_m")),
        ),
        Node("revenue_drivers", "Revenue drivers", "group", "mrr"),
        Node(
            "paying_customers",
            "Paying customers",
            "input",
            "revenue_drivers",
            "customers",
            f"Customers at the end of month {s}: starting base less churn plus new customers",
            value=r.at("customers"),
        ),
        Node(
            "new_customers",
            "New API customers",
            "input",
            "paying_customers",
            "customers per month",
            formula=Formula("product", ("developer_signups", "signup_conversion")),
        ),
        Node(
            "signup_conversion",
            "Signup → paid conversion",
            "input",
            "paying_customers",
            "fraction",
            value=p.signup_to_paid_conversion,
        ),
        Node(
            "tokens_per_customer",
            "Tokens per customer (usage growth)",
            "input",
            "revenue_drivers",
            "M tokens per month",
            f"Average monthly tokens per customer in month {s}",
            value=r.at("tokens_per_customer_m"),
        ),
        Node(
            "net_price_per_m",
            "Net revenue per 1M tokens",
            "input",
            "revenue_drivers",
            usd_m,
            "Blended price actually received",
            formula=Formula("difference", ("list_price_per_m", "discounts_per_m")),
        ),
        Node(
            "list_price_per_m",
            "List price per 1M tokens (input/output mix)",
            "input",
            "net_price_per_m",
            usd_m,
            value=r.at("list_price_per_m"),
        ),
        Node(
            "discounts_per_m",
            "Discounts per 1M tokens",
            "input",
            "net_price_per_m",
            usd_m,
            formula=Formula("sum", ("cache_discount", "batch_discount", "contract_discount")),
        ),
        Node(
            "cache_discount",
            "Prompt-cache discount",
            "input",
            "discounts_per_m",
            usd_m,
            value=r.at("cache_discount_per_m"),
        ),
        Node(
            "batch_discount",
            "Batch-API discount",
            "input",
            "discounts_per_m",
            usd_m,
            value=r.at("batch_discount_per_m"),
        ),
        Node(
            "contract_discount",
            "Volume tiers and enterprise contracts",
            "input",
            "discounts_per_m",
            usd_m,
            value=r.at("contract_discount_per_m"),
        ),
        Node("unit_economics", "Unit economics", "group", "mrr"),
        Node(
            "cost_per_m",
            "Cost to serve per 1M tokens",
            "input",
            "unit_economics",
            usd_m,
            "GPU inference plus serving infrastructure, after prompt caching",
            value=r.at("cost_per_m"),
        ),
        Node(
            "gross_margin",
            "Gross margin",
            "input",
            "unit_economics",
            "fraction",
            formula=Formula("margin", ("net_price_per_m", "cost_per_m")),
        ),
        Node(
            "gp_per_customer",
            "Gross profit per customer",
            "input",
            "unit_economics",
            "USD per customer per month",
            formula=Formula("product", ("tokens_per_customer", "gross_profit_per_m")),
        ),
        Node(
            "gross_profit_per_m",
            "Gross profit per 1M tokens",
            "input",
            "gp_per_customer",
            usd_m,
            formula=Formula("difference", ("net_price_per_m", "cost_per_m")),
        ),
        Node(
            "cac", "Customer acquisition cost", "input", "unit_economics", "USD per customer", value=p.cac_usd
        ),
        Node(
            "cac_payback",
            "CAC payback (on gross profit)",
            "input",
            "unit_economics",
            "months",
            formula=Formula("ratio", ("cac", "gp_per_customer")),
        ),
        Node("adoption", "Product adoption", "group", "mrr"),
        Node(
            "tokens_per_day",
            "Tokens processed per day",
            "input",
            "adoption",
            "tokens per day",
            formula=Formula("product", ("paying_customers", "tokens_per_customer"), 1e6 / DAYS_PER_MONTH),
        ),
        Node(
            "requests_per_customer_day",
            "API calls per customer per day",
            "input",
            "adoption",
            "requests per day",
            "API usage frequency",
            formula=Formula("ratio", ("tokens_per_customer", "tokens_per_request"), 1e6 / DAYS_PER_MONTH),
        ),
        Node(
            "tokens_per_request",
            "Tokens per request",
            "input",
            "adoption",
            "tokens",
            value=p.tokens_per_request,
        ),
        Node("leading", "Leading indicators", "group", "mrr"),
        Node(
            "developer_signups",
            "Developer signups",
            "leading",
            "leading",
            "signups per month",
            value=p.developer_signups_per_month,
        ),
        Node(
            "docs_views",
            "API documentation views",
            "leading",
            "leading",
            "views per month",
            value=p.docs_views_per_month,
            observed=True,
        ),
        Node(
            "sdk_downloads",
            "SDK downloads",
            "leading",
            "leading",
            "downloads per month",
            value=p.sdk_downloads_per_month,
            observed=True,
        ),
        Node(
            "time_to_first_call",
            "Time to first API call",
            "leading",
            "leading",
            "minutes",
            value=p.time_to_first_call_minutes,
            observed=True,
        ),
        Node("guardrails", "Guardrails", "group", "mrr"),
        Node(
            "churn",
            "Churn (API key abandonment)",
            "guardrail",
            "guardrails",
            "fraction per month",
            value=p.monthly_churn,
            threshold=p.max_monthly_churn,
            direction="max",
        ),
        Node(
            "cost_per_request",
            "API cost per request",
            "guardrail",
            "guardrails",
            "USD per request",
            formula=Formula("product", ("cost_per_m", "tokens_per_request"), 1e-6),
            threshold=p.max_cost_per_request_usd,
            direction="max",
        ),
        Node(
            "top10_share",
            "Customer concentration (top-10 revenue share)",
            "guardrail",
            "guardrails",
            "fraction",
            "Revenue share of the ten largest customers (lognormal customer sizes)",
            value=r.at("top10_revenue_share"),
            threshold=p.max_top10_revenue_share,
            direction="max",
        ),
        Node(
            "error_rate",
            "Error rate (API reliability)",
            "guardrail",
            "guardrails",
            "fraction",
            value=p.error_rate,
            observed=True,
            threshold=p.max_error_rate,
            direction="max",
        ),
    ]
    return MetricTree("API access model metrics", tuple(nodes)).evaluate()


def gross_margin(r: ApiAccessResult) -> float:
    """Gross margin in the snapshot month (fraction)."""
    return r.at("gross_margin")


SPEC = ModelSpec(
    name="api_access",
    title="API access / model-as-a-service",
    layer="platform",
    params=ApiAccessParams,
    compute=compute,
    tree=tree,
    kpis=kpis,
    projection=projection,
    gross_margin=gross_margin,
    what_if=(
        "price_per_m_output_tokens",
        "gpu_utilisation",
        "monthly_churn",
        "enterprise_discount",
        "annual_price_decline",
    ),
)
