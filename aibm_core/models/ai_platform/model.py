"""AI platform (cloud ML platform): vectorised projection, unit economics and KPIs.

Enterprise customers run GPU-hours, store data and call managed inference APIs. Compute
sells on demand, reserved (commitment discount) or spot (excess capacity at a discount; an
interrupted spot hour runs but is not billed), priced once through
:func:`aibm_core.core.finance.pricing_mix`. Each service a customer uses beyond the first adds
consumption; bundled revenue carries a discount. Infrastructure cost is paid per provisioned
GPU-hour (run hours over utilisation), per GB-month and per call, plus the free tier of new
accounts. The platform rents its infrastructure at all-in rates, so capex is zero here: the
data-centre capital sits in the infrastructure layer.

Consumption grows with a customer's tenure: a customer starts at the month-1 consumption
and grows at ``consumption_growth_monthly`` from the month it joins (the starting customers
are at that consumption in month 1), so a month's consumption per customer is the average over
the surviving cohorts. Acquiring a customer costs its CAC plus the free tier of the signups it
takes to win one (``1 / free_to_paid_conversion`` of them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from aibm_core.core import finance
from aibm_core.models.ai_platform.params import AiPlatformParams
from aibm_core.models.base import Column, Metric, MonthlyResult, Statement, declare_columns, monthly_result

#: The concentration guardrail looks at the largest tenth of customers.
TOP_FRACTION = 0.10


@dataclass(frozen=True)
class AiPlatformResult(MonthlyResult):
    """Monthly arrays (shape: draws × months).

    Money is USD per month; per-customer figures are per customer per month; prices per
    GPU-hour are per hour run by customers unless named ``provisioned``.
    """

    params: AiPlatformParams
    months: np.ndarray
    customers: np.ndarray
    new_customers: np.ndarray
    customer_loss: np.ndarray
    attach_multiplier: np.ndarray
    compute_hours_per_customer: np.ndarray
    storage_gb_per_customer: np.ndarray
    k_calls_per_customer: np.ndarray
    list_price_per_hour: np.ndarray
    mix_factor: np.ndarray
    bundle_factor: np.ndarray
    net_price_per_hour: np.ndarray
    net_storage_price: np.ndarray
    net_inference_price: np.ndarray
    infra_cost_per_hour: np.ndarray
    on_demand_revenue: np.ndarray
    reserved_revenue: np.ndarray
    long_reserved_revenue: np.ndarray
    spot_revenue: np.ndarray
    storage_revenue: np.ndarray
    inference_revenue: np.ndarray
    compute_cost: np.ndarray
    storage_cost: np.ndarray
    inference_cost: np.ndarray
    free_tier_cost: np.ndarray
    acquisition_spend: np.ndarray
    fixed_opex: np.ndarray
    net_revenue_retention: np.ndarray
    top10pct_revenue_share: np.ndarray

    @property
    def compute_revenue(self) -> np.ndarray:
        """Revenue from GPU-hours: on demand + reserved + spot (USD per month)."""
        return self.on_demand_revenue + self.reserved_revenue + self.spot_revenue

    @property
    def revenue(self) -> np.ndarray:
        """Compute + storage + inference revenue (USD per month)."""
        return self.compute_revenue + self.storage_revenue + self.inference_revenue

    @property
    def infra_cost(self) -> np.ndarray:
        """Infrastructure cost: compute + storage + inference + free tier (USD per month)."""
        return self.compute_cost + self.storage_cost + self.inference_cost + self.free_tier_cost

    @property
    def gross_profit(self) -> np.ndarray:
        """Revenue less infrastructure cost (USD per month)."""
        return self.revenue - self.infra_cost

    @property
    def gross_margin(self) -> np.ndarray:
        """Infrastructure margin: (revenue − infrastructure cost) / revenue (fraction)."""
        return self.gross_profit / self.revenue

    @property
    def infra_cost_per_revenue_usd(self) -> np.ndarray:
        """Infrastructure cost per dollar of revenue (USD per USD; 1 − infrastructure margin)."""
        return self.infra_cost / self.revenue

    @property
    def revenue_per_customer(self) -> np.ndarray:
        """Average revenue of a customer (USD per customer per month)."""
        return self.revenue / self.customers

    @property
    def gross_profit_per_customer(self) -> np.ndarray:
        """Revenue less the infrastructure it uses (free tier excluded), per customer (USD per month)."""
        return (self.revenue - self.infra_cost + self.free_tier_cost) / self.customers

    @property
    def free_tier_cost_per_new_customer(self) -> np.ndarray:
        """Free-tier cost of the signups it takes to win one customer (USD per new customer).

        The month's free-tier cost over the month's new customers: ``cost per signup × cost
        level / conversion``; ``inf`` when signups cost something and none converts, 0 when the
        free tier costs nothing.
        """
        cost, new = np.broadcast_arrays(self.free_tier_cost, self.new_customers)
        with np.errstate(divide="ignore", invalid="ignore"):
            per_new = np.where(new > 0, cost / np.where(new > 0, new, 1.0), np.inf)
        return np.where(cost > 0, per_new, 0.0)

    @property
    def acquisition_cost_per_customer(self) -> np.ndarray:
        """CAC plus the free tier of the signups behind a won customer (USD per new customer)."""
        return finance.along_months(self.params.cac_usd) + self.free_tier_cost_per_new_customer

    @property
    def cac_payback_months(self) -> np.ndarray:
        """Acquisition cost (CAC and free tier) over the month's gross profit per customer (months).

        ``inf`` when the gross profit per customer is <= 0 (never paid back).
        """
        return finance.payback_months(self.acquisition_cost_per_customer, self.gross_profit_per_customer)

    @property
    def compute_hours(self) -> np.ndarray:
        """GPU-hours run by all customers (GPU-hours per month)."""
        return self.customers * self.compute_hours_per_customer

    @property
    def storage_gb(self) -> np.ndarray:
        """Data stored by all customers (GB)."""
        return self.customers * self.storage_gb_per_customer

    @property
    def revenue_per_provisioned_hour(self) -> np.ndarray:
        """Net price per GPU-hour run × utilisation (USD per provisioned GPU-hour)."""
        return self.net_price_per_hour * finance.along_months(self.params.fleet_utilisation)

    @property
    def operating_expenses(self) -> np.ndarray:
        """Acquisition (sales and marketing) plus R&D and G&A (USD per month)."""
        return self.acquisition_spend + self.fixed_opex


def _monthly_loss(p: AiPlatformParams) -> np.ndarray:
    """Share of customers lost per month: churn, then switching on top (fraction per month).

    ``1 − (1 − churn) (1 − switching)^(1/12)``.
    """
    keep = (1.0 - np.asarray(p.monthly_churn, dtype=float)) * (
        1.0 - np.asarray(p.annual_competitive_switching, dtype=float)
    ) ** (1.0 / 12.0)
    return 1.0 - keep


def tenure_consumption_factor(
    initial: np.ndarray | float,
    new_per_month: np.ndarray | float,
    loss: np.ndarray | float,
    growth: np.ndarray | float,
    months: np.ndarray,
) -> np.ndarray:
    """Average consumption per customer relative to a new customer's, by month (ratio).

    A customer joining in month ``k`` consumes ``(1 + g)^(t − k)`` in month ``t`` and survives
    with ``(1 − loss)^(t − k)``; the starting customers are at 1 in month 1 (as if they joined
    then) and survive from month 0. With ``q = (1 − loss)(1 + g)`` the consumption-weighted
    stock is ``U_t = N_0 (1 − loss)^t (1 + g)^(t − 1) + new Σ_{j<t} q^j`` and the factor is
    ``U_t / N_t`` (:func:`finance.customers_over_time` gives ``N_t``); 1 when ``g = 0``.

    Parameters
    ----------
    initial
        Customers at the start (count).
    new_per_month
        Customers won each month (count per month).
    loss
        Share of customers lost each month (fraction per month).
    growth
        Monthly growth of a customer's consumption with its tenure (fraction per month).
    months
        Month numbers ``1 .. T``.
    """
    m = finance.along_months
    keep, grow = 1.0 - m(loss), 1.0 + m(growth)
    q = keep * grow
    one_minus_q = np.where(np.abs(1.0 - q) > 1e-12, 1.0 - q, 1.0)
    inflow = np.where(np.abs(1.0 - q) > 1e-12, (1.0 - q**months) / one_minus_q, months)
    weighted = m(initial) * keep**months * grow ** (months - 1.0) + m(new_per_month) * inflow
    customers = finance.customers_over_time(initial, new_per_month, loss, months)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(customers > 0, weighted / np.where(customers > 0, customers, 1.0), 1.0)


def _top_share(sigma: np.ndarray) -> np.ndarray:
    """Revenue share of the largest 10% of customers, lognormal spend (fraction).

    The top fraction ``p`` of a lognormal holds ``1 − Φ(Φ⁻¹(1 − p) − σ)`` of the total:
    :func:`finance.top_share` with the top 1 customer of every 10.
    """
    return finance.top_share(1.0 / TOP_FRACTION, 1.0, sigma)


def infra_cost_per_hour(p: AiPlatformParams, months: np.ndarray) -> np.ndarray:
    """Infrastructure cost of a provisioned GPU-hour by month (USD per GPU-hour).

    The platform's own cost falling at ``annual_cost_decline``, or, when the stack links it, the
    GPU cloud's realised price per sold GPU-hour (its price path carries the decline).
    """
    linked = p.linked_path("infra_cost_per_gpu_hour", months)
    if linked is not None:
        return linked
    cost_level = finance.annual_decline_factor(p.annual_cost_decline, months)
    return finance.along_months(p.infra_cost_per_gpu_hour) * cost_level


def _prices(p: AiPlatformParams, months: np.ndarray) -> dict[str, np.ndarray]:
    """List and net prices by month (draws × months)."""
    m = finance.along_months
    level = finance.annual_decline_factor(p.annual_price_decline, months)
    reserved, long, spot = m(p.reserved_share), m(p.long_reserved_share), m(p.spot_share)
    # an interrupted spot hour is not billed: the spot hour earns (1 - discount)(1 - interruption)
    spot_discount = 1.0 - (1.0 - m(p.spot_discount)) * (1.0 - m(p.spot_interruption_rate))
    mix = finance.pricing_mix(
        1.0,
        (1.0 - reserved - spot - long, reserved, long, spot),
        (0.0, m(p.reserved_discount), m(p.long_reserved_discount), spot_discount),
    )
    bundle = 1.0 - m(p.bundle_share) * m(p.bundle_discount)
    return {
        "list": p.monthly("on_demand_price_per_gpu_hour", months) * level,
        "mix": mix,
        "bundle": bundle,
        "spot_discount": spot_discount,
        "storage": p.monthly("storage_price_per_gb_month", months) * level * bundle,
        "inference": p.monthly("inference_price_per_k_calls", months) * level * bundle,
    }


def compute(p: AiPlatformParams) -> AiPlatformResult:
    """Project the platform month by month; any driver may be an array of draws."""
    m = finance.along_months
    months = finance.month_index(p.horizon_months)
    loss = _monthly_loss(p)
    new = np.asarray(p.trial_signups_per_month, dtype=float) * np.asarray(
        p.free_to_paid_conversion, dtype=float
    )
    customers = finance.customers_over_time(p.initial_customers, new, loss, months)
    attach = 1.0 + m(p.upsell_per_additional_service) * (m(p.services_per_customer) - 1.0)
    tenure = tenure_consumption_factor(p.initial_customers, new, loss, p.consumption_growth_monthly, months)
    usage = tenure * attach
    hours, gb = m(p.compute_hours_per_customer) * usage, m(p.storage_gb_per_customer) * usage
    k_calls = m(p.inference_calls_per_customer) / 1e3 * usage
    pr = _prices(p, months)
    list_revenue = customers * hours * pr["list"] * pr["bundle"]  # every hour at list, after bundling
    reserved, long, spot = m(p.reserved_share), m(p.long_reserved_share), m(p.spot_share)
    cost_level = finance.annual_decline_factor(p.annual_cost_decline, months)
    infra_per_hour = infra_cost_per_hour(p, months)
    series = {
        "customers": customers,
        "new_customers": m(new),
        "customer_loss": m(loss),
        "attach_multiplier": attach,
        "compute_hours_per_customer": hours,
        "storage_gb_per_customer": gb,
        "k_calls_per_customer": k_calls,
        "list_price_per_hour": pr["list"],
        "mix_factor": pr["mix"],
        "bundle_factor": pr["bundle"],
        "net_price_per_hour": pr["list"] * pr["mix"] * pr["bundle"],
        "net_storage_price": pr["storage"],
        "net_inference_price": pr["inference"],
        "infra_cost_per_hour": infra_per_hour,
        "on_demand_revenue": list_revenue * (1.0 - reserved - spot - long),
        # both reserved tiers, each at its commitment discount
        "reserved_revenue": list_revenue
        * (reserved * (1.0 - m(p.reserved_discount)) + long * (1.0 - m(p.long_reserved_discount))),
        "long_reserved_revenue": list_revenue * (long * (1.0 - m(p.long_reserved_discount))),
        "spot_revenue": list_revenue * spot * (1.0 - pr["spot_discount"]),
        "storage_revenue": customers * gb * pr["storage"],
        "inference_revenue": customers * k_calls * pr["inference"],
        "compute_cost": customers * hours / m(p.fleet_utilisation) * infra_per_hour,
        "storage_cost": customers * gb * m(p.storage_cost_per_gb_month) * cost_level,
        "inference_cost": customers * k_calls * m(p.inference_cost_per_k_calls) * cost_level,
        "free_tier_cost": m(p.trial_signups_per_month) * m(p.free_tier_cost_per_signup) * cost_level,
        "acquisition_spend": m(new) * m(p.cac_usd),
        "fixed_opex": p.monthly("fixed_opex_per_month", months),
        "net_revenue_retention": m(net_revenue_retention(p)),
        "top10pct_revenue_share": m(_top_share(np.asarray(p.customer_size_dispersion, dtype=float))),
    }
    return monthly_result(AiPlatformResult, p, months, series)


def net_revenue_retention(p: AiPlatformParams) -> np.ndarray:
    """A cohort's revenue 12 months on over its revenue at the start, expansion included (ratio).

    ``(1 − loss)^12 × (1 + growth)^12 × (1 − annual price decline)``: survivors, their grown
    consumption and a year of list-price decline (services and pricing mix held constant).
    """
    keep = (1.0 - _monthly_loss(p)) ** 12
    growth = (1.0 + np.asarray(p.consumption_growth_monthly, dtype=float)) ** 12
    return keep * growth * (1.0 - np.asarray(p.annual_price_decline, dtype=float))


def unit_economics(r: AiPlatformResult) -> dict[str, np.ndarray | float]:
    """Per-hour and per-customer economics in the snapshot month (USD unless named otherwise)."""
    return {
        "net_price_per_hour": r.at("net_price_per_hour"),
        "revenue_per_provisioned_hour": r.at("revenue_per_provisioned_hour"),
        "infra_cost_per_hour": r.at("infra_cost_per_hour"),
        "revenue_per_customer": r.at("revenue_per_customer"),
        "gross_profit_per_customer": r.at("gross_profit_per_customer"),
        "free_tier_cost_per_new_customer": r.at("free_tier_cost_per_new_customer"),
        "acquisition_cost_per_customer": r.at("acquisition_cost_per_customer"),
        "cac_payback_months": r.at("cac_payback_months"),
    }


def committed_backlog(r: AiPlatformResult) -> np.ndarray | float:
    """Revenue still under commitment in the snapshot month (USD).

    Each reserved tier's monthly revenue times half its term (commitments signed evenly, so on
    average half the term is left): ``R_1 T_1 / 2 + R_2 T_2 / 2``.
    """
    p = r.params
    long = r.at("long_reserved_revenue")
    short = r.at("reserved_revenue") - long
    return short * float(p.reserved_term_months) / 2 + long * float(p.long_reserved_term_months) / 2


def kpis(r: AiPlatformResult) -> dict[str, Metric]:
    """Key figures of the snapshot month."""
    ue = unit_economics(r)
    revenue = r.at("revenue")
    return {
        "arr": Metric("Platform ARR", 12 * revenue, "USD per year"),
        "mrr": Metric("Platform revenue (MRR)", revenue, "USD per month"),
        "customers": Metric("Enterprise customers", r.at("customers"), "customers"),
        "compute_hours": Metric("Compute used", r.at("compute_hours"), "GPU-hours per month"),
        "storage_pb": Metric("Storage used", r.at("storage_gb") / 1e6, "PB"),
        "revenue_per_compute_hour": Metric(
            "Net revenue per GPU-hour run", ue["net_price_per_hour"], "USD per GPU-hour"
        ),
        "revenue_per_provisioned_hour": Metric(
            "Revenue per provisioned GPU-hour (price × utilisation)",
            ue["revenue_per_provisioned_hour"],
            "USD per GPU-hour",
        ),
        "infra_cost_per_hour": Metric(
            "Infrastructure cost per provisioned GPU-hour", ue["infra_cost_per_hour"], "USD per GPU-hour"
        ),
        "gross_margin": Metric("Infrastructure margin", r.at("gross_margin"), "fraction"),
        "infra_cost_per_revenue_usd": Metric(
            "Infrastructure cost per dollar of revenue",
            r.at("infra_cost_per_revenue_usd"),
            "USD per USD of revenue",
        ),
        "operating_margin": Metric(
            "Operating margin", (r.at("gross_profit") - r.at("operating_expenses")) / revenue, "fraction"
        ),
        "net_revenue_retention": Metric(
            "Net revenue retention (12 months)", r.at("net_revenue_retention"), "ratio"
        ),
        "revenue_per_customer": Metric(
            "Revenue per customer", ue["revenue_per_customer"], "USD per customer per month"
        ),
        "gross_profit_per_customer": Metric(
            "Gross profit per customer", ue["gross_profit_per_customer"], "USD per customer per month"
        ),
        "acquisition_cost_per_customer": Metric(
            "Acquisition cost per new customer (CAC + free tier of its signups)",
            ue["acquisition_cost_per_customer"],
            "USD per customer",
        ),
        "cac_payback_months": Metric(
            "CAC payback (CAC + free tier, on gross profit)", ue["cac_payback_months"], "months"
        ),
        "top10pct_revenue_share": Metric(
            "Revenue share of the top 10% of customers", r.at("top10pct_revenue_share"), "fraction"
        ),
        "committed_backlog": Metric(
            "Committed backlog (each reserved tier's revenue × half its term)", committed_backlog(r), "USD"
        ),
        "long_reserved_revenue": Metric(
            "Longer reserved tier: revenue", r.at("long_reserved_revenue"), "USD per month"
        ),
    }


def statement(r: AiPlatformResult) -> Statement:
    """The common monthly statement (USD per month; draws × months).

    Cost of revenue is the infrastructure cost (compute, storage, inference, free tier), so the
    statement's gross margin is the infrastructure margin; operating expenses are acquisition
    plus R&D and G&A; capex is zero (infrastructure rented at all-in rates). Volume: enterprise
    customers; north star: platform ARR (12 × monthly revenue, the tree root).
    """
    return Statement(
        revenue=r.revenue,
        cost_of_revenue=r.infra_cost,
        operating_expenses=r.operating_expenses,
        capex=np.zeros_like(r.revenue),
        volume=r.customers,
        volume_label="Enterprise customers",
        volume_unit="customers",
        north_star=12.0 * r.revenue,
        north_star_label="Platform ARR",
        north_star_unit="USD per year",
        snapshot_month=int(r.params.snapshot_month),
    )


#: Columns of :func:`projection`: name -> label, unit and display scale.
PROJECTION_COLUMNS: dict[str, Column] = {
    "customers": Column("Customers", "customers"),
    "compute_hours_m": Column("Compute used", "GPU-hours per month", 1e6),  # stored in millions
    "storage_pb": Column("Storage used", "PB"),
    "on_demand_revenue": Column("On demand revenue", "USD per month"),
    "reserved_revenue": Column("Reserved revenue", "USD per month"),
    "spot_revenue": Column("Spot revenue", "USD per month"),
    "storage_revenue": Column("Storage revenue", "USD per month"),
    "inference_revenue": Column("Inference revenue", "USD per month"),
    "revenue": Column("Revenue", "USD per month"),
    "infra_cost": Column("Infra cost", "USD per month"),
    "gross_profit": Column("Gross profit", "USD per month"),
    "gross_margin": Column("Gross margin", "fraction"),
    "acquisition_spend": Column("Acquisition spend", "USD per month"),
    "fixed_opex": Column("Fixed opex", "USD per month"),
    "revenue_per_provisioned_hour": Column("Revenue per provisioned GPU-hour", "USD per GPU-hour"),
    "infra_cost_per_hour": Column("Infrastructure cost per GPU-hour", "USD per GPU-hour"),
    "operating_profit": Column("Operating profit", "USD per month"),
    "arr": Column("Revenue run-rate (ARR)", "USD per year"),
}


def projection(r: AiPlatformResult) -> pd.DataFrame:
    """Monthly projection for scalar parameters, columns declared in :data:`PROJECTION_COLUMNS`."""
    frame = pd.DataFrame(
        {
            "customers": r.customers,
            "compute_hours_m": r.compute_hours / 1e6,
            "storage_pb": r.storage_gb / 1e6,
            "on_demand_revenue": r.on_demand_revenue,
            "reserved_revenue": r.reserved_revenue,
            "spot_revenue": r.spot_revenue,
            "storage_revenue": r.storage_revenue,
            "inference_revenue": r.inference_revenue,
            "revenue": r.revenue,
            "infra_cost": r.infra_cost,
            "gross_profit": r.gross_profit,
            "gross_margin": r.gross_margin,
            "acquisition_spend": r.acquisition_spend,
            "fixed_opex": r.fixed_opex,
            "revenue_per_provisioned_hour": r.revenue_per_provisioned_hour,
            "infra_cost_per_hour": r.infra_cost_per_hour,
        },
        index=pd.Index(r.months.astype(int), name="month"),
    )
    frame["operating_profit"] = frame["gross_profit"] - frame["acquisition_spend"] - frame["fixed_opex"]
    frame["arr"] = 12 * frame["revenue"]
    return declare_columns(frame, PROJECTION_COLUMNS, "ai_platform")
