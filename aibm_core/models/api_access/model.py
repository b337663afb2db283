"""API access / model-as-a-service: vectorised projection, unit economics and KPIs.

Customers are lognormal in size. The largest of them, holding ``enterprise_token_share``
of the tokens, buy under enterprise contracts at ``enterprise_discount`` off list; the
graduated volume tiers apply only to the self-serve customers below that size cut-off.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from aibm_core.core import finance
from aibm_core.core.compute_cost import SECONDS_PER_HOUR, cost_per_m_tokens
from aibm_core.core.config import DAYS_PER_MONTH
from aibm_core.core.numeric import plain, ratio
from aibm_core.models.api_access.params import ApiAccessParams
from aibm_core.models.base import (
    Column,
    Metric,
    MonthlyResult,
    Statement,
    declare_columns,
    monthly_inputs,
    monthly_result,
)

Arrays = dict[str, np.ndarray]

#: Hours in an average month (the fleet is paid for every one of them).
HOURS_PER_MONTH = 24.0 * DAYS_PER_MONTH

#: Draws per block of the tier-discount formula: its dozens of temporaries stay in the CPU cache
#: instead of streaming draws × months arrays through memory (same numbers, element by element).
BLOCK_ROWS = 2048


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
    cache_write_surcharge_per_m: np.ndarray
    batch_discount_per_m: np.ndarray
    contract_discount_per_m: np.ndarray
    enterprise_price_per_m: np.ndarray
    self_serve_price_per_m: np.ndarray
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
    training_spend: np.ndarray
    acquisition_spend: np.ndarray
    top10_revenue_share: np.ndarray

    @property
    def gross_margin(self) -> np.ndarray:
        """Gross margin by month: 1 − cost / net price (fraction)."""
        return 1.0 - self.cost_per_m / self.net_price_per_m

    @property
    def gross_profit_per_customer(self) -> np.ndarray:
        """Gross profit of an average customer by month (USD per customer per month)."""
        return self.tokens_per_customer_m * (self.net_price_per_m - self.cost_per_m)

    @property
    def cac_payback_months(self) -> np.ndarray:
        """CAC over the month's gross profit per customer (months; ``inf`` when it is <= 0)."""
        cac = self.params.monthly("cac_usd", self.months)
        return finance.payback_months(cac, self.gross_profit_per_customer)

    @property
    def implied_fleet_utilisation(self) -> np.ndarray:
        """Busy share of the ``fleet_gpus`` fleet's hours that the month's traffic needs (fraction).

        GPU-hours the tokens take at the throughputs (after caching and efficiency gains,
        :func:`busy_gpu_hours_per_m`) over the fleet's hours of the month; above 1 the fleet is
        too small for the traffic. Meaningful with ``cost_basis='fleet'``.
        """
        months = self.months
        busy = self.tokens_m * busy_gpu_hours_per_m(self.params, months)
        return busy / (self.params.monthly("fleet_gpus", months) * HOURS_PER_MONTH)

    @property
    def cost_per_request(self) -> np.ndarray:
        """Cost to serve one request by month (USD per request)."""
        return self.cost_per_m * finance.along_months(self.params.tokens_per_request) / 1e6

    @cached_property
    def ltv_path(self) -> np.ndarray:
        """Gross profit of a customer acquired in the snapshot month, by month of its life (USD).

        Months ``s .. s + ltv_months − 1`` of the projected per-customer path (draws × ltv
        months): the projection's own months up to the horizon, and the same closed forms
        (:func:`unit_paths`) only for the months beyond it. Computed once per result and kept:
        the KPIs, unit economics and goal seeks all read it from here.
        """
        p = self.params
        s, length = int(p.snapshot_month), int(p.ltv_months)
        horizon = self.months.shape[-1]
        inside = slice(s - 1, min(s - 1 + length, horizon))
        tokens, net, cost = (
            _unbroadcast(x)[..., inside]
            for x in (self.tokens_per_customer_m, self.net_price_per_m, self.cost_per_m)
        )
        paths = [tokens * (net - cost)]
        if s - 1 + length > horizon:
            u = unit_paths(p, np.arange(horizon + 1, s + length, dtype=float))
            beyond = u["tokens_per_customer_m"] * (u["net"] - u["cost"])
            lead = np.broadcast_shapes(paths[0].shape[:-1], beyond.shape[:-1])
            paths = [np.broadcast_to(x, lead + x.shape[-1:]) for x in (paths[0], beyond)]
        return np.concatenate(paths, axis=-1) if len(paths) > 1 else paths[0]


def _unbroadcast(x: np.ndarray) -> np.ndarray:
    """``x`` without the leading axes it was only broadcast along (a path that no draw moves)."""
    while x.ndim > 1 and x.strides[0] == 0:
        x = x[0]
    return x


def serving_cost_per_m(p: ApiAccessParams, months: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Cost to serve 1M input and 1M output tokens (USD), before caching and efficiency gains.

    With ``cost_basis='gpu'`` the hour paid is the bare GPU rental plus the infrastructure
    overhead on top of it: ``gpu_hour_cost_usd × (1 + infra_overhead_share)``. The rental is the
    API layer's own constant assumption, or, when the stack links it or the scenario schedules
    it, the GPU cloud's realised price per sold GPU-hour (or the scheduled rental) in each of
    ``months`` (then the result has a month axis; :func:`cost_by_month` says when). The same
    holds for a scheduled ``direct_cost_per_m_tokens``. The 'fleet' basis has no cost per token
    of its own (it spreads :func:`fleet_cost` over the traffic, in :func:`unit_paths`): it is
    refused here.
    """
    if p.cost_basis == "fleet":
        raise ValueError("cost_basis 'fleet' has no cost per token before traffic; see unit_paths")
    if p.cost_basis == "direct":
        path = None if months is None else p.linked_or_scheduled_path("direct_cost_per_m_tokens", months)
        direct = np.asarray(p.direct_cost_per_m_tokens, dtype=float) if path is None else path
        return direct, direct
    linked = None if months is None else p.linked_or_scheduled_path("gpu_hour_cost_usd", months)
    if linked is not None:
        overhead = finance.along_months(p.infra_overhead_share)
        gpu_hour = linked * (1.0 + overhead)
        tps_in, tps_out, busy = (
            finance.along_months(x)
            for x in (
                p.input_tokens_per_second_per_gpu,
                p.output_tokens_per_second_per_gpu,
                p.gpu_utilisation,
            )
        )
        return cost_per_m_tokens(gpu_hour, tps_in, busy), cost_per_m_tokens(gpu_hour, tps_out, busy)
    gpu_hour = np.asarray(p.gpu_hour_cost_usd) * (1.0 + np.asarray(p.infra_overhead_share))
    return (
        cost_per_m_tokens(gpu_hour, p.input_tokens_per_second_per_gpu, p.gpu_utilisation),
        cost_per_m_tokens(gpu_hour, p.output_tokens_per_second_per_gpu, p.gpu_utilisation),
    )


def cost_by_month(p: ApiAccessParams) -> bool:
    """Whether :func:`serving_cost_per_m` has a month axis: its price is linked or scheduled."""
    driver = "direct_cost_per_m_tokens" if p.cost_basis == "direct" else "gpu_hour_cost_usd"
    return driver in p.linked


def gpu_hour_all_in(p: ApiAccessParams, months: np.ndarray) -> np.ndarray:
    """Cost of one paid GPU-hour by month: rental × (1 + infra overhead) (USD per GPU-hour).

    The rental is ``gpu_hour_cost_usd``, or the GPU cloud's realised price per sold GPU-hour
    in each month when the stack links it, or the scenario's schedule (draws × months, or
    draws × 1 when neither).
    """
    rental = p.monthly("gpu_hour_cost_usd", months)
    return rental * (1.0 + finance.along_months(p.infra_overhead_share))


def busy_gpu_hours_per_m(p: ApiAccessParams, months: np.ndarray) -> np.ndarray:
    """Busy GPU-hours that serving 1M tokens of the mix takes, by month (GPU-hours per 1M tokens).

    ``1e6 / 3600 × (s c / tps_in + (1 − s) / tps_out) × level``: input share ``s``, the
    prefill of a cached input token costing ``cached_input_cost_factor`` of an uncached one
    (``c = 1 − h + h × factor``), and the efficiency level of ``annual_cost_decline`` (more
    tokens per GPU-hour over time). On the 'gpu' basis the cost per 1M tokens is this × the
    all-in GPU-hour price / ``gpu_utilisation``.
    """
    a = monthly_inputs(p)
    share_in, hit = a["input_token_share"], a["cache_hit_rate"]
    cached = 1 - hit + hit * a["cached_input_cost_factor"]
    level = finance.annual_decline_factor(a["annual_cost_decline"][..., 0], months)
    per_token = (
        share_in * cached / a["input_tokens_per_second_per_gpu"]
        + (1 - share_in) / a["output_tokens_per_second_per_gpu"]
    )
    return 1e6 / SECONDS_PER_HOUR * per_token * level


def fleet_cost(p: ApiAccessParams, months: np.ndarray) -> np.ndarray:
    """Monthly cost of the serving fleet with ``cost_basis='fleet'`` (USD per month).

    ``fleet_gpus × gpu_hour_all_in × hours per month``: every hour of the month is paid,
    busy or idle, whatever the traffic. A scheduled fleet (a capacity plan) is read month by month.
    """
    return p.monthly("fleet_gpus", months) * gpu_hour_all_in(p, months) * HOURS_PER_MONTH


def _customers(p: ApiAccessParams, months: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Paying customers at the end of each month and new customers per month (customers).

    Constant signups use the closed form (:func:`aibm_core.core.finance.customers_over_time`);
    scheduled signups (a plan by month) the recursion ``N_t = N_{t−1} (1 − churn) + new_t``.
    """
    signups = p.monthly("developer_signups_per_month", months)
    new_customers = signups * finance.along_months(p.signup_to_paid_conversion)
    if "developer_signups_per_month" not in p.linked:
        customers = finance.customers_over_time(
            p.initial_customers, new_customers[..., 0], p.monthly_churn, months
        )
        return customers, new_customers
    return _customers_by_recursion(p, months), new_customers


def _customers_by_recursion(p: ApiAccessParams, months: np.ndarray) -> np.ndarray:
    """Customers at the end of each of ``months`` from month 1 on, with new customers by month.

    ``N_t = N_{t−1} (1 − churn) + new_t`` from ``N_0 = initial_customers`` (draws × months),
    a loop over months vectorised across draws.
    """
    last = int(np.max(months))
    every = np.arange(1.0, last + 1.0)
    new = p.monthly("developer_signups_per_month", every) * finance.along_months(p.signup_to_paid_conversion)
    keep = 1.0 - finance.along_months(p.monthly_churn)
    level = finance.along_months(p.initial_customers)
    shape = np.broadcast_shapes(new.shape[:-1], keep.shape[:-1], level.shape[:-1])
    out = np.empty((*shape, last))
    new = np.broadcast_to(new, (*shape, last))
    for t in range(last):
        level = level * keep + new[..., t : t + 1]
        out[..., t : t + 1] = level
    return out[..., np.asarray(months, dtype=int) - 1]


def _enterprise_cutoff_z(enterprise_share: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Standardised log size above which customers are enterprise customers.

    For lognormal sizes, customers above ``z`` hold ``Φ(σ − z)`` of all volume; setting that
    to the enterprise token share gives ``z = σ − Φ⁻¹(share)`` (``+inf`` for no enterprise).
    """
    return sigma - ndtri(enterprise_share)


def _self_serve_tier_discount(
    mean: np.ndarray, sigma: np.ndarray, enterprise_share: np.ndarray, a: Arrays
) -> np.ndarray:
    """Average tier discount on self-serve volume (fraction of self-serve list revenue).

    Self-serve customers are the lognormal customers below the enterprise cut-off ``c``.
    Tier ``i`` gives its step of discount on each unit above ``t_i``, so the discount is
    ``Σ (d_i − d_{i−1}) E[(X − t_i)+ ; X < c] / E[X ; X < c]`` with
    ``E[(X − t)+ ; X < c] = mean (Φ(σ − z_t) − Φ(σ − z_c)) − t (Φ(z_c) − Φ(z_t))`` for
    ``t < c`` (zero above), ``z_x = (ln x − ln mean + σ²/2) / σ``, and
    ``E[X ; X < c] = mean (1 − enterprise_share)``.
    """
    mean = np.asarray(mean, dtype=float)
    if mean.ndim == 2 and mean.shape[0] > BLOCK_ROWS:
        return _by_rows(_self_serve_tier_discount, mean, sigma, enterprise_share, a)
    z_c = _enterprise_cutoff_z(enterprise_share, sigma)
    steps = (a["tier2_discount"], a["tier3_discount"] - a["tier2_discount"])
    total = 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        thresholds = (a["tier2_threshold_m_tokens"], a["tier3_threshold_m_tokens"])
        for threshold, step in zip(thresholds, steps, strict=True):
            z_t = np.minimum((np.log(threshold / mean) + 0.5 * sigma**2) / sigma, z_c)
            t = mean * np.exp(sigma * z_t - 0.5 * sigma**2)
            excess = mean * (ndtr(sigma - z_t) - ndtr(sigma - z_c)) - t * (ndtr(z_c) - ndtr(z_t))
            total = total + step * np.maximum(excess, 0.0)
        self_serve = mean * (1.0 - enterprise_share)
        return np.where(self_serve > 0, total / np.where(self_serve > 0, self_serve, 1.0), 0.0)


def _by_rows(function, mean: np.ndarray, sigma: np.ndarray, share: np.ndarray, a: Arrays) -> np.ndarray:
    """``function(mean, sigma, share, a)`` evaluated block by block of :data:`BLOCK_ROWS` draws.

    Every input with one row per draw is cut into the same blocks; inputs without a draw axis
    (or with a single row) are passed whole. The formula is element by element, so the blocks
    give exactly the numbers of one call on the whole arrays.
    """
    rows = mean.shape[0]

    def block(x: np.ndarray, start: int) -> np.ndarray:
        x = np.asarray(x)
        return x[start : start + BLOCK_ROWS] if x.ndim == 2 and x.shape[0] == rows else x

    out = np.empty(mean.shape)
    for start in range(0, rows, BLOCK_ROWS):
        part = function(
            block(mean, start),
            block(sigma, start),
            block(share, start),
            {k: block(v, start) for k, v in a.items()},
        )
        out[start : start + BLOCK_ROWS] = part
    return out


def unit_paths(p: ApiAccessParams, months: np.ndarray) -> Arrays:
    """Per-customer usage and per-1M-token prices and cost in the given months.

    The same closed forms drive the projection (months 1..T) and a customer's lifetime
    value (months beyond the horizon): usage grows at ``usage_growth_monthly``, price and
    cost levels fall at their yearly rates, the tier discount follows the customer size.
    With ``cost_basis='fleet'`` the cost per 1M tokens is the month's fleet cost
    (:func:`fleet_cost`) spread over the month's tokens of all customers (the projected
    customers × usage, beyond the horizon too): a customer bears the average fleet cost of
    the tokens it uses.

    Returns
    -------
    dict
        ``tokens_per_customer_m`` (M tokens per month) and per-1M-token prices (USD):
        ``list``, ``cache_discount`` (cache reads below the input price),
        ``cache_write_surcharge`` (cache writes above it), ``batch_discount``, ``enterprise``,
        ``self_serve``, ``net`` and ``cost``; each draws × months.

    Notes
    -----
    Per 1M tokens of the mix, with input share ``s`` and input price ``p_in``: cache reads
    (hit rate ``h``) are billed at ``f_r p_in``, a discount of ``s h (1 − f_r) p_in``; cache
    writes (write share ``w``) at ``f_w p_in``, a surcharge of ``s w (f_w − 1) p_in``. The
    batch discount applies to the list price after both. A write costs the provider a
    normal prefill, so the cost is unchanged by it.
    """
    a = monthly_inputs(p)
    price_level = finance.annual_decline_factor(a["annual_price_decline"][..., 0], months)
    cost_level = finance.annual_decline_factor(a["annual_cost_decline"][..., 0], months)
    share_in, hit = a["input_token_share"], a["cache_hit_rate"]
    p_in = p.monthly("price_per_m_input_tokens", months, a["price_per_m_input_tokens"])
    p_out = p.monthly("price_per_m_output_tokens", months, a["price_per_m_output_tokens"])
    list_price = share_in * p_in + (1 - share_in) * p_out
    cache_discount = share_in * hit * (1 - a["cached_input_price_factor"]) * p_in
    cache_write = share_in * a["cache_write_share"] * (a["cached_write_price_factor"] - 1) * p_in
    after_cache = list_price - cache_discount + cache_write
    batch_discount = after_cache * a["batch_share"] * a["batch_discount"]
    after_batch = after_cache - batch_discount

    tokens = a["tokens_per_customer_m"] * finance.growth_factor(a["usage_growth_monthly"][..., 0], months)
    enterprise = a["enterprise_token_share"]
    tiers = _self_serve_tier_discount(tokens, a["customer_size_dispersion"], enterprise, a)
    enterprise_price = after_batch * (1 - a["enterprise_discount"]) * price_level
    self_serve_price = after_batch * (1 - tiers) * price_level

    if p.cost_basis == "fleet":
        fleet = fleet_cost(p, months)
        with np.errstate(divide="ignore"):
            cost = fleet / (_customers(p, months)[0] * tokens)
    else:
        cost_in, cost_out = serving_cost_per_m(p, months)
        if not cost_by_month(p):
            cost_in, cost_out = finance.along_months(cost_in), finance.along_months(cost_out)
        cached_cost = 1 - hit + hit * a["cached_input_cost_factor"]
        cost = (share_in * cost_in * cached_cost + (1 - share_in) * cost_out) * cost_level
    return {
        "tokens_per_customer_m": tokens,
        "list": list_price * price_level,
        "cache_discount": cache_discount * price_level,
        "cache_write_surcharge": cache_write * price_level,
        "batch_discount": batch_discount * price_level,
        "after_batch": after_batch * price_level,
        "enterprise": enterprise_price,
        "self_serve": self_serve_price,
        "net": enterprise * enterprise_price + (1 - enterprise) * self_serve_price,
        "cost": cost,
    }


def _top10_revenue_share(p: ApiAccessParams, customers: np.ndarray, u: Arrays) -> np.ndarray:
    """Revenue share of the ten largest customers by month (fraction).

    Their token share is the lognormal top share. Tokens up to the enterprise token share
    come from enterprise customers at the enterprise price; any excess (when fewer than ten
    customers are enterprise) is priced at the average self-serve price, which slightly
    overstates it (the largest self-serve customers earn the deepest tier discounts).
    """
    tokens_top = finance.top_share(customers, 10, finance.along_months(p.customer_size_dispersion))
    enterprise = finance.along_months(p.enterprise_token_share)
    revenue_top = (
        np.minimum(tokens_top, enterprise) * u["enterprise"]
        + np.maximum(tokens_top - enterprise, 0.0) * u["self_serve"]
    )
    return revenue_top / u["net"]


def _training_spend(p: ApiAccessParams, months: np.ndarray) -> np.ndarray:
    """Cash spent on training by month (USD): a generation's full cost when it starts.

    Generations start in month 1 and every ``model_life_months`` after (at elapsed times
    ``k × life``); month ``t`` covers elapsed time ``[t − 1, t)``, so it holds
    ``ceil(t / life) − ceil((t − 1) / life)`` starts.
    """
    life = finance.along_months(p.model_life_months)
    starts = np.ceil(months / life) - np.ceil((months - 1.0) / life)
    return finance.along_months(p.training_cost_usd) * starts


def compute(p: ApiAccessParams) -> ApiAccessResult:
    """Project the API business month by month; any driver may be an array of draws."""
    months = finance.month_index(p.horizon_months)
    u = unit_paths(p, months)
    a = monthly_inputs(p)
    customers, new_customers = _customers(p, months)
    tokens = customers * u["tokens_per_customer_m"]
    enterprise = a["enterprise_token_share"]
    revenue = tokens * u["net"]
    cogs = fleet_cost(p, months) if p.cost_basis == "fleet" else tokens * u["cost"]
    series = {
        "list_price_per_m": u["list"],
        "cache_discount_per_m": u["cache_discount"],
        "cache_write_surcharge_per_m": u["cache_write_surcharge"],
        "batch_discount_per_m": u["batch_discount"],
        "contract_discount_per_m": u["after_batch"] - u["net"],
        "enterprise_price_per_m": u["enterprise"],
        "self_serve_price_per_m": u["self_serve"],
        "net_price_per_m": u["net"],
        "cost_per_m": u["cost"],
        "customers": customers,
        "new_customers": new_customers,
        "tokens_per_customer_m": u["tokens_per_customer_m"],
        "tokens_m": tokens,
        "enterprise_revenue": tokens * enterprise * u["enterprise"],
        "self_serve_revenue": tokens * (1 - enterprise) * u["self_serve"],
        "revenue": revenue,
        "cogs": cogs,
        "gross_profit": revenue - cogs,
        "training_amortisation": finance.straight_line(a["training_cost_usd"], a["model_life_months"]),
        "training_spend": _training_spend(p, months),
        "acquisition_spend": new_customers * p.monthly("cac_usd", months),
        "top10_revenue_share": _top10_revenue_share(p, customers, u),
    }
    return monthly_result(ApiAccessResult, p, months, series)


def lifetime_value(r: ApiAccessResult) -> np.ndarray | float:
    """Discounted gross profit of a customer acquired in the snapshot month (USD).

    The customer starts at the average usage of month ``s`` and follows the projected path
    of months ``s .. s + ltv_months − 1`` (beyond the horizon the same closed forms carry
    on: usage growth, price and cost declines, tier discounts at its size), survives each
    month with ``1 − churn`` and is discounted at the monthly rate. Capped at
    ``ltv_months``, so finite even with zero churn and zero discount rate: the definition
    every model uses (:func:`aibm_core.core.finance.path_lifetime_value`). The path is the
    result's :attr:`ApiAccessResult.ltv_path`, computed once.
    """
    p = r.params
    value = finance.path_lifetime_value(
        r.ltv_path, p.monthly_churn, finance.monthly_rate(p.annual_discount_rate)
    )
    return float(value) if np.ndim(value) == 0 else value


def unit_economics(r: ApiAccessResult) -> dict[str, np.ndarray | float]:
    """Per-customer economics in the snapshot month (USD unless named otherwise)."""
    ltv = lifetime_value(r)
    return {
        "revenue_per_customer": r.at("tokens_per_customer_m") * r.at("net_price_per_m"),
        "gross_profit_per_customer": r.at("gross_profit_per_customer"),
        "cac_payback_months": r.at("cac_payback_months"),
        "ltv": ltv,
        "ltv_to_cac": plain(ratio(ltv, r.params.value_of("cac_usd"), at_zero="unbounded")),
        "cost_per_request": r.at("cost_per_request"),
    }


def kpis(r: ApiAccessResult) -> dict[str, Metric]:
    """Key figures of the snapshot month (with ``cost_basis='fleet'`` also the implied fleet utilisation)."""
    ue = unit_economics(r)
    net, cost = r.at("net_price_per_m"), r.at("cost_per_m")
    cap = int(r.params.ltv_months)
    out: dict[str, Metric] = {
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
        "gross_margin": Metric("Gross margin", r.at("gross_margin"), "fraction"),
        "contribution_per_customer": Metric(
            "Gross profit per customer", ue["gross_profit_per_customer"], "USD per customer per month"
        ),
        "cac_payback_months": Metric("CAC payback (on gross profit)", ue["cac_payback_months"], "months"),
        "ltv": Metric(f"Customer lifetime value ({cap}-month projected path)", ue["ltv"], "USD per customer"),
        "ltv_to_cac": Metric("LTV / CAC", ue["ltv_to_cac"], "ratio"),
        "margin_after_training": Metric(
            "Margin after training amortisation",
            (r.at("gross_profit") - r.at("training_amortisation")) / r.at("revenue"),
            "fraction",
        ),
    }
    if r.params.cost_basis == "fleet":
        out["implied_fleet_utilisation"] = Metric(
            "Implied fleet utilisation (traffic / fleet capacity)",
            r.at("implied_fleet_utilisation"),
            "fraction",
        )
    return out


def statement(r: ApiAccessResult) -> Statement:
    """The common monthly statement (USD per month; draws × months).

    Cost of revenue is the cost to serve (so statement gross margin equals the model's
    ``1 − cost / net price``); operating expenses are training amortisation plus
    acquisition spend; capex is training cash: a generation's whole training cost in the
    month it starts (month 1 and every ``model_life_months`` after), no new assumption on
    training duration. Volume: paying customers; north star: MRR (= the tree root).
    """
    return Statement(
        revenue=r.revenue,
        cost_of_revenue=r.cogs,
        operating_expenses=r.training_amortisation + r.acquisition_spend,
        capex=r.training_spend,
        volume=r.customers,
        volume_label="Paying customers",
        volume_unit="customers",
        north_star=r.revenue,
        north_star_label="API revenue (MRR)",
        north_star_unit="USD per month",
        snapshot_month=int(r.params.snapshot_month),
    )


#: Columns of :func:`projection`: name -> label, unit and display scale.
PROJECTION_COLUMNS: dict[str, Column] = {
    "customers": Column("Customers", "customers"),
    "tokens_b": Column("Tokens processed", "tokens per month", 1e9),  # stored in billions
    "net_price_per_m": Column("Net price per 1M tokens", "USD per 1M tokens"),
    "cost_per_m": Column("Cost to serve per 1M tokens", "USD per 1M tokens"),
    "revenue": Column("Revenue", "USD per month"),
    "cogs": Column("Cost of revenue", "USD per month"),
    "gross_profit": Column("Gross profit", "USD per month"),
    "gross_margin": Column("Gross margin", "fraction"),
    "training_amortisation": Column("Training amortisation", "USD per month"),
    "acquisition_spend": Column("Acquisition spend", "USD per month"),
    "contribution": Column("Contribution after training and acquisition", "USD per month"),
    "arr": Column("Revenue run-rate (ARR)", "USD per year"),
    "fleet_utilisation": Column("Implied fleet utilisation", "fraction"),
}


def projection(r: ApiAccessResult) -> pd.DataFrame:
    """Monthly projection for scalar parameters, columns declared in :data:`PROJECTION_COLUMNS`.

    With ``cost_basis='fleet'`` a last column gives the implied fleet utilisation.
    """
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
    if r.params.cost_basis == "fleet":
        frame["fleet_utilisation"] = r.implied_fleet_utilisation
    return declare_columns(frame, PROJECTION_COLUMNS, "api_access")
