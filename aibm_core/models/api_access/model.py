"""API access / model-as-a-service: vectorised projection, unit economics and KPIs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from aibm_core import finance
from aibm_core.compute_cost import cost_per_m_tokens
from aibm_core.config import DAYS_PER_MONTH
from aibm_core.models.api_access.params import ApiAccessParams
from aibm_core.models.base import Metric, MonthlyResult


@dataclass(frozen=True)
class ApiAccessResult(MonthlyResult):
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
