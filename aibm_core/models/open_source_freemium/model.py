"""Open-source freemium: vectorised projection, unit economics and KPIs.

Open models bring downloads; a share of downloads become active accounts (monthly cohorts
that churn). A share ``conversion`` of every cohort (and of the starting base) takes a paid
plan, split between individual and organisation seats, each tier with its own churn; a share
``api_conversion`` of new users pays for the usage-based API on the open weights. Enterprise
inquiries grow with the community and turn into contracts after the sales cycle. The
``monetisation`` setting chooses which of the subscription and API streams count.

Because every user stock is linear in the conversion, the conversion at which the paid
tiers' gross profit just covers the free tier's cost has a closed form
(:func:`aibm_core.core.funnels.break_even_conversion` with cohort stocks as weights).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from aibm_core.core import finance, funnels
from aibm_core.core.numeric import ratio
from aibm_core.models.base import (
    Column,
    Metric,
    MonthlyResult,
    Statement,
    declare_columns,
    monthly_inputs,
    monthly_result,
)
from aibm_core.models.open_source_freemium.params import STREAM_WEIGHTS, OpenSourceFreemiumParams

Arrays = dict[str, np.ndarray]


@dataclass(frozen=True)
class OpenSourceFreemiumResult(MonthlyResult):
    """Monthly arrays (shape: draws × months). Users and seats are counts; money is USD per month.

    ``*_per_share`` stocks are the users a tier would hold per unit of its share (the cohort
    stocks before the conversion split); they weight the break-even conversion.
    """

    params: OpenSourceFreemiumParams
    months: np.ndarray
    downloads: np.ndarray
    signups: np.ndarray
    free_users: np.ndarray
    individual_seats: np.ndarray
    org_seats: np.ndarray
    api_customers: np.ndarray
    enterprise_leads: np.ndarray
    enterprise_new: np.ndarray
    enterprise_contracts: np.ndarray
    free_per_share: np.ndarray
    paid_per_share: np.ndarray
    paid_profit_per_seat: np.ndarray
    paid_churn: np.ndarray
    api_price_per_m: np.ndarray
    api_cost_per_m: np.ndarray
    individual_revenue: np.ndarray
    org_revenue: np.ndarray
    enterprise_revenue: np.ndarray
    api_revenue: np.ndarray
    services_revenue: np.ndarray
    free_tier_cost: np.ndarray
    seat_cost: np.ndarray
    enterprise_delivery_cost: np.ndarray
    api_serving_cost: np.ndarray
    services_cost: np.ndarray
    sales_spend: np.ndarray
    fixed_opex: np.ndarray
    training_compute: np.ndarray

    @property
    def paid_seats(self) -> np.ndarray:
        """Individual plus organisation seats (seats)."""
        return self.individual_seats + self.org_seats

    @property
    def active_users(self) -> np.ndarray:
        """Free active users plus paid seats (users); API customers are counted apart."""
        return self.free_users + self.paid_seats

    @property
    def revenue(self) -> np.ndarray:
        """Every counted stream (USD per month)."""
        recurring = self.individual_revenue + self.org_revenue + self.enterprise_revenue + self.api_revenue
        return recurring + self.services_revenue

    @property
    def arr(self) -> np.ndarray:
        """Annualised recurring revenue: subscriptions, enterprise contracts and API (USD per year)."""
        return 12.0 * (self.revenue - self.services_revenue)

    @property
    def cost_of_revenue(self) -> np.ndarray:
        """Free tier, paid seats, enterprise delivery, API serving and services (USD per month)."""
        return (
            self.free_tier_cost
            + self.seat_cost
            + self.enterprise_delivery_cost
            + self.api_serving_cost
            + self.services_cost
        )

    @property
    def gross_margin(self) -> np.ndarray:
        """Blended gross margin after hosting the free tier (fraction; NaN without revenue)."""
        return ratio(self.revenue - self.cost_of_revenue, self.revenue, at_zero="unbounded")

    @property
    def subscription_gross_profit(self) -> np.ndarray:
        """Paid plans' revenue less their seats' serving cost (USD per month)."""
        return self.individual_revenue + self.org_revenue - self.seat_cost

    @property
    def free_tier_deficit(self) -> np.ndarray:
        """Free-tier cost not covered by the paid plans' gross profit (USD per month; < 0: covered)."""
        return self.free_tier_cost - self.subscription_gross_profit

    @property
    def free_cost_share(self) -> np.ndarray:
        """Free-tier cost over revenue (fraction)."""
        return ratio(self.free_tier_cost, self.revenue, at_zero="unbounded")

    @property
    def paid_share(self) -> np.ndarray:
        """Paid seats over active users (fraction): the result of converting each cohort.

        Not the input ``conversion`` (the share of each new cohort that takes a paid plan):
        paid seats churn more slowly than free users, so the paid share drifts above it.
        """
        return ratio(self.paid_seats, self.active_users, at_zero="unbounded")

    @property
    def community_growth(self) -> np.ndarray:
        """Month-on-month growth of active users (fraction per month; month 1 against the start)."""
        active = self.active_users
        start = np.broadcast_to(finance.along_months(self.params.initial_active_users), active[..., :1].shape)
        previous = np.concatenate([start, active[..., :-1]], axis=-1)
        return ratio(active, previous, at_zero="unbounded") - 1.0

    @property
    def break_even_conversion(self) -> np.ndarray:
        """Conversion at which the paid plans' gross profit covers the free tier (fraction; inf: none)."""
        f = finance.along_months(self.params.free_cost_per_user_usd)
        return np.asarray(
            funnels.break_even_conversion(
                f, self.paid_profit_per_seat, self.free_per_share, self.paid_per_share
            )
        )

    @property
    def break_even_paid_share(self) -> np.ndarray:
        """Paid share of active users at which the free tier is covered: ``f / (f + m)`` (fraction)."""
        f = finance.along_months(self.params.free_cost_per_user_usd)
        return np.asarray(funnels.break_even_conversion(f, self.paid_profit_per_seat))

    @property
    def rival_price_per_m(self) -> np.ndarray:
        """Third-party hosting price of comparable open weights by month (USD per 1M tokens).

        The month-1 price falling at ``rival_annual_price_decline``.
        """
        p = self.params
        level = finance.annual_decline_factor(p.rival_annual_price_decline, self.months)
        return finance.along_months(p.rival_hosting_price_per_m) * level

    @property
    def api_price_premium(self) -> np.ndarray:
        """The model's own API price over the rival hosts' price, by month (ratio).

        ``price_1 (1 − d_own)^((t − 1)/12) / (rival_1 (1 − d_rival)^((t − 1)/12))``: it rises
        when the provider cuts its price more slowly than the rival hosts cut theirs.
        """
        return self.api_price_per_m / self.rival_price_per_m

    @property
    def operating_profit(self) -> np.ndarray:
        """Revenue less cost of revenue and operating expenses (USD per month)."""
        return (
            self.revenue - self.cost_of_revenue - self.fixed_opex - self.training_compute - self.sales_spend
        )

    @property
    def operating_expenses(self) -> np.ndarray:
        """Fixed operating costs, training and research compute, enterprise sales spend (USD per month)."""
        return self.fixed_opex + self.training_compute + self.sales_spend

    @property
    def cash_burn(self) -> np.ndarray:
        """Operating loss by month, 0 in a profitable month (USD per month; capex is zero here)."""
        return np.maximum(-self.operating_profit, 0.0)

    @property
    def operating_break_even_conversion(self) -> np.ndarray:
        """Conversion at which operating profit is zero, by month (fraction; ``inf``: none below 1).

        Every user stock is linear in the conversion ``c``: each unit of it (times the
        monetisation weight ``w``) moves ``free_per_share`` users off the free tier (saving their
        cost ``f``) onto paid plans (earning ``paid_per_share × paid_profit_per_seat``), and no
        other line depends on it. So ``OP(c') = OP(c) + w (c' − c) S`` with
        ``S = paid_per_share × paid_profit_per_seat + free_per_share × f``, and the break-even is
        ``c − OP(c) / (w S)``: 0 when the business is profitable without paid plans, ``inf`` when
        ``w S <= 0`` or the answer is not below 1 (no conversion reaches it).
        """
        p = self.params
        weight_sub, _ = STREAM_WEIGHTS[p.monetisation]
        f = finance.along_months(p.free_cost_per_user_usd)
        slope = weight_sub * (self.paid_per_share * self.paid_profit_per_seat + self.free_per_share * f)
        c = finance.along_months(p.conversion)
        with np.errstate(divide="ignore", invalid="ignore"):
            value = np.where(slope > 0, c - self.operating_profit / np.where(slope > 0, slope, 1.0), np.inf)
        return np.where(value >= 1.0, np.inf, np.maximum(value, 0.0))


def _subscriptions(p: OpenSourceFreemiumParams, a: Arrays, signups: np.ndarray) -> Arrays:
    """Free users and paid seats by tier, and the per-unit-share cohort stocks."""
    weight_sub, _ = STREAM_WEIGHTS[p.monetisation]
    c, o = weight_sub * a["conversion"], a["org_seat_share"]
    start = a["initial_active_users"][..., 0]
    free_unit = funnels.active_stock(start, signups, p.free_churn)
    individual_unit = funnels.active_stock(start, signups, p.individual_churn)
    org_unit = funnels.active_stock(start, signups, p.org_churn)
    paid_unit = (1.0 - o) * individual_unit + o * org_unit
    margin_i = a["individual_price_usd"] - a["paid_cost_per_seat_usd"]
    margin_o = a["org_seat_price_usd"] - a["paid_cost_per_seat_usd"]
    weighted = (1.0 - o) * individual_unit, o * org_unit
    return {
        "free_users": (1.0 - c) * free_unit,
        "individual_seats": c * weighted[0],
        "org_seats": c * weighted[1],
        "free_per_share": free_unit,
        "paid_per_share": paid_unit,
        "paid_profit_per_seat": (weighted[0] * margin_i + weighted[1] * margin_o) / paid_unit,
        "paid_churn": (weighted[0] * a["individual_churn"] + weighted[1] * a["org_churn"]) / paid_unit,
    }


def _enterprise(p: OpenSourceFreemiumParams, a: Arrays, months: np.ndarray) -> Arrays:
    """Inquiries growing with the community, wins arriving after the sales cycle, the contract base."""
    leads = a["enterprise_leads_per_month"] * finance.growth_factor(p.community_growth_monthly, months)
    wins = leads * a["enterprise_win_rate"]
    new = funnels.delayed(wins, p.enterprise_sales_cycle_months)
    contracts = funnels.active_stock(p.initial_enterprise_contracts, new, p.enterprise_churn)
    return {"leads": leads, "wins_entering": wins, "new": new, "contracts": contracts}


def hosted_api_price(p: OpenSourceFreemiumParams, months: np.ndarray) -> np.ndarray:
    """Price of the hosted API by month (USD per 1M tokens).

    The company's own month-1 price falling at ``annual_api_price_decline``; or, when the stack
    links it, the API layer's net price per 1M tokens times ``price_to_closed_api_ratio``: open
    weights compete with the closed models they replace, so a race to the bottom in closed-model
    prices pulls the hosted price down with it. (The hosting cost stays the company's own: this
    model has no throughput drivers to turn a GPU-hour price into a cost per token.)
    """
    linked = p.linked_path("api_price_per_m", months)
    if linked is not None:
        return linked
    return finance.along_months(p.api_price_per_m) * finance.annual_decline_factor(
        p.annual_api_price_decline, months
    )


def compute(p: OpenSourceFreemiumParams) -> OpenSourceFreemiumResult:
    """Project the business month by month; any driver may be an array of draws."""
    months = finance.month_index(p.horizon_months)
    a = monthly_inputs(p)
    downloads, signups = funnels.stages(
        a["downloads_per_month"] * finance.growth_factor(p.community_growth_monthly, months),
        a["signups_per_download"],
    )
    subs = _subscriptions(p, a, signups)
    ent = _enterprise(p, a, months)
    _, weight_api = STREAM_WEIGHTS[p.monetisation]
    api_share = weight_api * a["api_conversion"]
    api_customers = funnels.active_stock(
        a["initial_active_users"][..., 0] * api_share[..., 0], signups * api_share, p.api_churn
    )
    price = hosted_api_price(p, months)
    cost = a["api_cost_per_m"] * finance.annual_decline_factor(p.annual_api_cost_decline, months)
    tokens = api_customers * a["api_tokens_per_customer_m"]
    enterprise_revenue = ent["contracts"] * a["enterprise_acv_usd"] / 12.0
    services_revenue = ent["contracts"] * a["services_per_contract_usd"]
    series = {
        "downloads": downloads,
        "signups": signups,
        **{k: subs[k] for k in ("free_users", "individual_seats", "org_seats")},
        **{k: subs[k] for k in ("free_per_share", "paid_per_share", "paid_profit_per_seat", "paid_churn")},
        "api_customers": api_customers,
        "enterprise_leads": ent["leads"],
        "enterprise_new": ent["new"],
        "enterprise_contracts": ent["contracts"],
        "api_price_per_m": price,
        "api_cost_per_m": cost,
        "individual_revenue": subs["individual_seats"] * a["individual_price_usd"],
        "org_revenue": subs["org_seats"] * a["org_seat_price_usd"],
        "enterprise_revenue": enterprise_revenue,
        "api_revenue": tokens * price,
        "services_revenue": services_revenue,
        "free_tier_cost": subs["free_users"] * a["free_cost_per_user_usd"],
        "seat_cost": (subs["individual_seats"] + subs["org_seats"]) * a["paid_cost_per_seat_usd"],
        "enterprise_delivery_cost": enterprise_revenue * a["enterprise_delivery_cost_share"],
        "api_serving_cost": tokens * cost,
        "services_cost": services_revenue * (1.0 - a["services_margin"]),
        "sales_spend": ent["wins_entering"] * a["enterprise_cac_usd"],
        "fixed_opex": p.monthly("fixed_opex_usd", months),
        "training_compute": a["training_compute_usd"]
        * finance.annual_decline_factor(-a["training_compute_growth_annual"][..., 0], months),
    }
    return monthly_result(OpenSourceFreemiumResult, p, months, series)


def enterprise_profit_per_contract(p: OpenSourceFreemiumParams) -> np.ndarray | float:
    """Monthly gross profit of one enterprise contract with its support (USD per contract per month)."""
    contract = np.asarray(p.enterprise_acv_usd) / 12.0 * (1.0 - np.asarray(p.enterprise_delivery_cost_share))
    return contract + np.asarray(p.services_per_contract_usd) * np.asarray(p.services_margin)


def _plain(value: np.ndarray | float) -> np.ndarray | float:
    return float(value) if np.ndim(value) == 0 else np.asarray(value, dtype=float)


def unit_economics(r: OpenSourceFreemiumResult) -> dict[str, np.ndarray | float]:
    """Per-user, per-seat and per-contract economics in the snapshot month (USD unless named)."""
    p = r.params
    profit = enterprise_profit_per_contract(p)
    with np.errstate(divide="ignore", invalid="ignore"):
        arpu = r.at("revenue") / r.at("active_users")
    values = {
        "revenue_per_active_user": arpu,
        "free_cost_per_user": p.free_cost_per_user_usd,
        "paid_profit_per_seat": r.at("paid_profit_per_seat"),
        "break_even_conversion": r.at("break_even_conversion"),
        "break_even_paid_share": r.at("break_even_paid_share"),
        "operating_break_even_conversion": r.at("operating_break_even_conversion"),
        "enterprise_profit_per_contract": profit,
        # the CAC is spent while the deal is in the pipeline: count from the spend
        "enterprise_cac_payback_months": finance.payback_months(
            p.enterprise_cac_usd, profit, p.enterprise_sales_cycle_months
        ),
        "api_margin": 1.0 - r.at("api_cost_per_m") / r.at("api_price_per_m"),
    }
    return {key: _plain(value) for key, value in values.items()}


def kpis(r: OpenSourceFreemiumResult) -> dict[str, Metric]:
    """Key figures of the snapshot month."""
    ue = unit_economics(r)
    at = r.at
    year = "USD per year"
    return {
        "arr": Metric("ARR (subscriptions, enterprise, API)", at("arr"), year),
        "arr_individual": Metric("ARR: individual plans", 12 * at("individual_revenue"), year),
        "arr_organisation": Metric("ARR: organisation plans", 12 * at("org_revenue"), year),
        "arr_enterprise": Metric("ARR: enterprise contracts", 12 * at("enterprise_revenue"), year),
        "arr_api": Metric("ARR: usage-based API", 12 * at("api_revenue"), year),
        "services_revenue": Metric("Support and consulting revenue", at("services_revenue"), "USD per month"),
        "revenue": Metric("Revenue", at("revenue"), "USD per month"),
        "operating_profit": Metric("Operating profit", at("operating_profit"), "USD per month"),
        "training_compute": Metric("Training and research compute", at("training_compute"), "USD per month"),
        "cash_burn": Metric("Cash burn (operating loss)", at("cash_burn"), "USD per month"),
        "gross_margin": Metric("Gross margin (after the free tier)", at("gross_margin"), "fraction"),
        "free_cost_share": Metric("Free-tier cost / revenue", at("free_cost_share"), "fraction"),
        "free_tier_deficit": Metric(
            "Free-tier cost not covered by paid plans", at("free_tier_deficit"), "USD per month"
        ),
        "conversion": Metric(
            "Conversion of each new cohort of free users to paid plans (input)",
            r.params.conversion,
            "fraction",
        ),
        "paid_share": Metric(
            "Paid share of active users (result of the conversion)", at("paid_share"), "fraction"
        ),
        "break_even_conversion": Metric(
            "Break-even conversion, free tier only (paid plans' gross profit = free-tier cost)",
            ue["break_even_conversion"],
            "fraction",
        ),
        "operating_break_even_conversion": Metric(
            "Break-even conversion, operating (operating profit = 0)",
            ue["operating_break_even_conversion"],
            "fraction",
        ),
        "break_even_paid_share": Metric(
            "Break-even paid share of active users", ue["break_even_paid_share"], "fraction"
        ),
        "active_users": Metric("Monthly active users", at("active_users"), "users"),
        "paid_seats": Metric("Paid seats", at("paid_seats"), "seats"),
        "downloads": Metric("Model downloads", at("downloads"), "downloads per month"),
        "enterprise_contracts": Metric("Enterprise contracts", at("enterprise_contracts"), "contracts"),
        "api_customers": Metric("API customers", at("api_customers"), "customers"),
        "revenue_per_active_user": Metric(
            "Revenue per active user", ue["revenue_per_active_user"], "USD per user per month"
        ),
        "paid_profit_per_seat": Metric(
            "Gross profit per paid seat", ue["paid_profit_per_seat"], "USD per seat per month"
        ),
        "enterprise_cac_payback_months": Metric(
            "Enterprise CAC payback (on gross profit, from the spend: sales cycle included)",
            ue["enterprise_cac_payback_months"],
            "months",
        ),
        "api_price_premium": Metric("API price / rival hosting price", at("api_price_premium"), "ratio"),
        "api_margin": Metric("API gross margin per token", ue["api_margin"], "fraction"),
        "community_growth": Metric("Active-user growth", at("community_growth"), "fraction per month"),
    }


def statement(r: OpenSourceFreemiumResult) -> Statement:
    """The common monthly statement (USD per month; draws × months).

    Cost of revenue includes hosting the free tier (so the margin is after it), serving paid
    seats and API tokens, enterprise delivery and support delivery; operating expenses are
    R&D, community and G&A, training and research compute, and enterprise sales spend; capex is
    zero (training of the open models is expensed in R&D). Volume: monthly active users; north
    star: ARR (= tree root).
    """
    return Statement(
        revenue=r.revenue,
        cost_of_revenue=r.cost_of_revenue,
        operating_expenses=r.operating_expenses,
        capex=np.zeros_like(r.revenue),
        volume=r.active_users,
        volume_label="Monthly active users",
        volume_unit="users",
        north_star=r.arr,
        north_star_label="ARR (subscriptions, enterprise, API)",
        north_star_unit="USD per year",
        snapshot_month=int(r.params.snapshot_month),
    )


#: Columns of :func:`projection`: name -> label, unit and display scale.
PROJECTION_COLUMNS: dict[str, Column] = {
    "downloads": Column("Model downloads", "downloads per month"),
    "active_users": Column("Monthly active users", "users"),
    "paid_seats": Column("Paid seats", "seats"),
    "paid_share": Column("Paid share", "fraction"),
    "enterprise_contracts": Column("Enterprise contracts", "contracts"),
    "api_customers": Column("API customers", "customers"),
    "individual_revenue": Column("Individual revenue", "USD per month"),
    "org_revenue": Column("Organisation plans revenue", "USD per month"),
    "enterprise_revenue": Column("Enterprise revenue", "USD per month"),
    "api_revenue": Column("API revenue", "USD per month"),
    "services_revenue": Column("Services revenue", "USD per month"),
    "revenue": Column("Revenue", "USD per month"),
    "free_tier_cost": Column("Free tier cost", "USD per month"),
    "cost_of_revenue": Column("Cost of revenue", "USD per month"),
    "gross_profit": Column("Gross profit", "USD per month"),
    "gross_margin": Column("Gross margin", "fraction"),
    "free_cost_share": Column("Free-tier cost / revenue", "fraction"),
    "operating_expenses": Column("Operating expenses", "USD per month"),
    "operating_profit": Column("Operating profit", "USD per month"),
    "arr": Column("Revenue run-rate (ARR)", "USD per year"),
}


def projection(r: OpenSourceFreemiumResult) -> pd.DataFrame:
    """Monthly projection for scalar parameters, columns declared in :data:`PROJECTION_COLUMNS`."""
    frame = pd.DataFrame(
        {
            "downloads": r.downloads,
            "active_users": r.active_users,
            "paid_seats": r.paid_seats,
            "paid_share": r.paid_share,
            "enterprise_contracts": r.enterprise_contracts,
            "api_customers": r.api_customers,
            "individual_revenue": r.individual_revenue,
            "org_revenue": r.org_revenue,
            "enterprise_revenue": r.enterprise_revenue,
            "api_revenue": r.api_revenue,
            "services_revenue": r.services_revenue,
            "revenue": r.revenue,
            "free_tier_cost": r.free_tier_cost,
            "cost_of_revenue": r.cost_of_revenue,
            "gross_profit": r.revenue - r.cost_of_revenue,
            "gross_margin": r.gross_margin,
            "free_cost_share": r.free_cost_share,
            "operating_expenses": r.operating_expenses,
        },
        index=pd.Index(r.months.astype(int), name="month"),
    )
    frame["operating_profit"] = frame["gross_profit"] - frame["operating_expenses"]
    frame["arr"] = r.arr
    return declare_columns(frame, PROJECTION_COLUMNS, "open_source_freemium")
