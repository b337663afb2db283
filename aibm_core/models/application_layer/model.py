"""Application layer (AI products): vectorised projection, statement, unit economics and KPIs.

Five monetisation streams share one cost base: the inference the application buys from
the API layer at ``api_price_per_m_tokens`` (less the share run on the user's device),
hosting, human review and support. A data flywheel turns cumulative usage into lower churn
and more signings. Money is USD per month unless named otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aibm_core.core import finance
from aibm_core.core.numeric import ratio
from aibm_core.models.application_layer.params import ApplicationLayerParams
from aibm_core.models.application_layer.streams import (
    active_contracts,
    contract_backlog,
    lognormal_share_below,
    project_accounts,
)
from aibm_core.models.base import MonthlyResult, monthly_inputs, monthly_result

Arrays = dict[str, np.ndarray]

#: The monetisation streams: key -> (label, switch).
STREAMS: dict[str, tuple[str, str]] = {
    "subscription": ("Vertical subscriptions", "include_subscriptions"),
    "automation": ("Process automation", "include_automation"),
    "content": ("Content revenue share", "include_content"),
    "marketplace": ("Developer marketplace", "include_marketplace"),
    "contract": ("Long-cycle contracts", "include_contracts"),
}
#: The parts of the cost of revenue, in the order of the tree.
COSTS = (
    "inference_cloud",
    "inference_edge",
    "hosting",
    "human_review",
    "support",
    "payment",
    "contract_delivery",
)


@dataclass(frozen=True)
class ApplicationLayerResult(MonthlyResult):
    """Monthly arrays (draws × months). Money in USD per month, tokens in M per month.

    ``revenue`` and ``cost`` map each stream to its series; ``cost_parts`` maps each
    :data:`COSTS` entry to its series.
    """

    params: ApplicationLayerParams
    months: np.ndarray
    api_price: np.ndarray
    price_per_seat: np.ndarray
    price_per_task: np.ndarray
    seat_task_cost: np.ndarray
    seats: np.ndarray
    seats_signed: np.ndarray
    automation_customers: np.ndarray
    new_automation_customers: np.ndarray
    content_pieces: np.ndarray
    gmv: np.ndarray
    marketplace_take_rate: np.ndarray
    contracts_active: np.ndarray
    contracts_signed: np.ndarray
    contract_backlog: np.ndarray
    flywheel_strength: np.ndarray
    cumulative_m_tasks: np.ndarray
    seat_churn: np.ndarray
    automation_churn: np.ndarray
    tasks: np.ndarray
    cloud_tokens_m: np.ndarray
    edge_tokens_m: np.ndarray
    revenue_by_stream: dict[str, np.ndarray]
    cost_by_stream: dict[str, np.ndarray]
    cost_parts: dict[str, np.ndarray]
    acquisition_spend: np.ndarray

    def at_part(self, name: str) -> np.ndarray | float:
        """One part of the cost of revenue (:data:`COSTS`) in the snapshot month (USD per month)."""
        value = self.cost_parts[name][..., int(self.params.snapshot_month) - 1]
        return float(value) if np.ndim(value) == 0 else value

    @property
    def revenue(self) -> np.ndarray:
        """Revenue of all streams (USD per month)."""
        return sum(self.revenue_by_stream.values())

    @property
    def cogs(self) -> np.ndarray:
        """Cost of revenue of all streams (USD per month)."""
        return sum(self.cost_parts.values())

    @property
    def gross_margin(self) -> np.ndarray:
        """Gross margin by month: 1 − cost of revenue / revenue (fraction)."""
        return 1.0 - ratio(self.cogs, self.revenue)

    @property
    def inference_cost(self) -> np.ndarray:
        """Inference bought from the API layer plus on-device inference (USD per month)."""
        return self.cost_parts["inference_cloud"] + self.cost_parts["inference_edge"]

    @property
    def inference_cost_share(self) -> np.ndarray:
        """Inference cost over revenue by month (fraction)."""
        return ratio(self.inference_cost, self.revenue)

    @property
    def seat_fixed_cost(self) -> np.ndarray:
        """Cost of a seat that does not depend on its usage: hosting and support (USD per month)."""
        p = self.params
        return finance.along_months(p.hosting_cost_per_seat) + finance.along_months(p.support_cost_share) * (
            self.price_per_seat
        )

    @property
    def seat_gross_profit(self) -> np.ndarray:
        """Gross profit of an average seat by month (USD per seat per month)."""
        tasks = finance.along_months(self.params.tasks_per_seat)
        return self.price_per_seat - self.seat_fixed_cost - tasks * self.seat_task_cost

    @property
    def power_user_break_even(self) -> np.ndarray:
        """Tasks per month at which a flat-priced seat's gross profit is zero (``inf``: never)."""
        return finance.payback_months(self.price_per_seat - self.seat_fixed_cost, self.seat_task_cost)

    @property
    def seat_cac_payback_months(self) -> np.ndarray:
        """Months from spending a seat's CAC until its gross profit has repaid it (``inf``: never).

        The CAC is spent when the seat is signed and the seat pays from
        ``subscription_sales_cycle_months`` later: ``cycle + CAC / monthly gross profit``.
        """
        p = self.params
        return finance.payback_months(
            finance.along_months(p.seat_cac_usd), self.seat_gross_profit, p.subscription_sales_cycle_months
        )

    @property
    def operating_expenses(self) -> np.ndarray:
        """Acquisition spend plus fixed operating costs (USD per month)."""
        return self.acquisition_spend + self.params.monthly("fixed_opex_usd", self.months)


def _api_price(p: ApplicationLayerParams, months: np.ndarray) -> np.ndarray:
    """API price per 1M tokens by month.

    ``api_price_per_m_tokens`` in the snapshot month, falling at ``api_price_annual_decline``; or,
    when the stack links it, the API layer's net price per 1M tokens in each month.
    """
    linked = p.linked_path("api_price_per_m_tokens", months)
    if linked is not None:
        return linked
    decline = finance.along_months(p.api_price_annual_decline)
    return finance.along_months(p.api_price_per_m_tokens) * (1.0 - decline) ** (
        (months - p.snapshot_month) / 12.0
    )


def seat_task_cost(a: Arrays, api: np.ndarray, user_side_per_m: np.ndarray | None = None) -> np.ndarray:
    """Inference cost of one subscription task at an API price (USD per task).

    ``tokens per task / 1e6 × ((1 − edge) × API price + edge × edge cost)``; the bracket (USD
    per 1M user-side tokens) may be passed when already computed.
    """
    if user_side_per_m is None:
        edge = a["edge_inference_share"]
        user_side_per_m = (1.0 - edge) * api + edge * a["edge_cost_per_m_tokens"]
    return a["tokens_per_seat_task"] / 1e6 * user_side_per_m


def seat_gross_profit_path(p: ApplicationLayerParams, months: np.ndarray) -> np.ndarray:
    """Gross profit of an average seat in the given months (USD per seat per month; draws × months).

    Price less hosting and support, less the tasks' inference at the API price of each month
    (the same closed form as the projection, carried beyond the horizon).
    """
    a = monthly_inputs(p)
    price = a["generic_seat_price_usd"] * (1.0 + a["domain_premium"])
    fixed = a["hosting_cost_per_seat"] + a["support_cost_share"] * price
    return price - fixed - a["tasks_per_seat"] * seat_task_cost(a, _api_price(p, months))


def _volumes(p: ApplicationLayerParams, a: Arrays, months: np.ndarray) -> dict:
    """What each stream sells by month: accounts (with the flywheel), pieces, GMV and contracts."""
    on = {key: float(getattr(p, switch)) for key, (_, switch) in STREAMS.items()}
    pieces = (
        on["content"]
        * a["content_pieces_per_month"]
        * finance.growth_factor(a["content_growth_monthly"][..., 0], months)
    )
    acc = project_accounts(
        a,
        pieces,
        {"subscriptions": on["subscription"], "automation": on["automation"], "content": on["content"]},
        cycle=p.subscription_sales_cycle_months,
        flywheel=p.flywheel_enabled,
        months=len(months),
    )
    gmv_growth = finance.growth_factor(a["marketplace_gmv_growth_monthly"][..., 0], months)
    gmv = on["marketplace"] * a["marketplace_gmv_usd"] * gmv_growth
    signed = on["contract"] * a["contracts_signed_per_month"][..., 0]
    return {
        "acc": acc,
        "pieces": pieces,
        "gmv": gmv,
        "take_rate": marketplace_take_rate(a, gmv),
        "signed": finance.along_months(signed),
        "contracts": active_contracts(signed, months, p.contract_sales_cycle_months, p.contract_term_months),
        "backlog": contract_backlog(signed, months, p.contract_sales_cycle_months),
    }


def _affine(slope: np.ndarray, x: np.ndarray, intercept: np.ndarray | float = 0.0) -> np.ndarray:
    """``slope × x + intercept`` with one new array (the sum is taken in place when it fits)."""
    out = np.multiply(slope, x)
    if np.shape(out) == np.broadcast_shapes(np.shape(out), np.shape(intercept)):
        return np.add(out, intercept, out=out)
    return out + intercept


def _per_account(a: Arrays) -> dict[str, np.ndarray]:
    """Per-draw revenue and cost of one seat, automation customer and content piece (draws × 1).

    Everything of the streams that does not depend on the month's API price: prices, tokens,
    hosting, review and support, computed once per draw so that each monthly series is one
    product of a stock and a per-draw coefficient.
    """
    seat_price = a["generic_seat_price_usd"] * (1.0 + a["domain_premium"])
    price_per_task = a["value_capture_share"] * a["value_per_task_usd"]
    customer_revenue = a["platform_fee_usd"] + a["tasks_per_automation_customer"] * price_per_task
    customer_review = (
        a["tasks_per_automation_customer"] * a["human_review_share"] * a["human_review_cost_per_task"]
    )
    return {
        "seat_price": seat_price,
        "price_per_task": price_per_task,
        "customer_revenue": customer_revenue,
        # revenue per piece: views × revenue per view × share taken
        "piece_revenue": a["views_per_piece"]
        * a["revenue_per_thousand_views_usd"]
        / 1e3
        * a["content_revenue_share"],
        "seat_tokens_m": a["tasks_per_seat"] * a["tokens_per_seat_task"] / 1e6,
        "customer_tokens_m": a["tasks_per_automation_customer"] * a["tokens_per_automation_task"] / 1e6,
        "piece_tokens_m": a["tokens_per_piece"] / 1e6,
        "seat_fixed": a["hosting_cost_per_seat"] + a["support_cost_share"] * seat_price,
        "customer_review": customer_review,
        "customer_fixed": a["hosting_cost_per_automation_customer"]
        + customer_review
        + a["support_cost_share"] * customer_revenue,
    }


def marketplace_take_rate(a: Arrays, gmv: np.ndarray) -> np.ndarray:
    """Average take rate on the month's GMV (fraction of GMV): flat, or the tiered schedule's.

    With a tier threshold ``T`` (USD of GMV per developer per year), each developer's first ``T``
    pays the first-tier rate and the rest the take rate. Developers' annual GMV (the month's
    GMV × 12 over ``marketplace_developers``, a run-rate) is lognormal with
    ``marketplace_developer_gmv_dispersion``, so the share of GMV in the first tier is
    ``E[min(X, T)] / E[X]`` and the average rate is ``rate − (rate − first) × that share``.
    A zero threshold (the default) is the flat take rate.
    """
    flat = a["marketplace_take_rate"]
    threshold = a["marketplace_tier_threshold_usd"]
    if not np.any(threshold > 0):
        return flat
    developers = np.maximum(a["marketplace_developers"], 1.0)
    first_share = lognormal_share_below(
        12.0 * gmv / developers, a["marketplace_developer_gmv_dispersion"], threshold
    )
    return flat - (flat - a["marketplace_first_tier_take_rate"]) * first_share


def _revenues(a: Arrays, v: dict, unit: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Revenue of each stream (USD per month)."""
    acc = v["acc"]
    return {
        # seats × generic price × (1 + domain premium)
        "subscription": acc.seats * unit["seat_price"],
        # customers × (platform fee + tasks × captured share of the value per task)
        "automation": acc.automation_customers * unit["customer_revenue"],
        # pieces × views × revenue per view × share taken
        "content": v["pieces"] * unit["piece_revenue"],
        "marketplace": v["gmv"] * v["take_rate"],
        "contract": v["contracts"] * a["contract_annual_value_usd"] / 12.0,
    }


def _costs(
    a: Arrays, v: dict, revenue: dict[str, np.ndarray], api: np.ndarray, unit: dict[str, np.ndarray]
) -> dict[str, dict]:
    """Cost of revenue by part (:data:`COSTS`) and by stream, and the tokens behind it.

    Subscription and content tokens run on the device for ``edge_inference_share`` of them
    (at ``edge_cost_per_m_tokens``) and through the API for the rest; automation runs on the
    API only. Support is a share of subscription and automation revenue. Each stream's cost is
    its stock times a per-draw cost per account at the month's API price.
    """
    acc, edge = v["acc"], a["edge_inference_share"]
    pieces, seats, customers = v["pieces"], acc.seats, acc.automation_customers
    # USD per 1M user-side tokens: API for the cloud share, device for the edge share
    user_side_per_m = _affine(1.0 - edge, api, edge * a["edge_cost_per_m_tokens"])
    tokens = {
        "subscription": seats * unit["seat_tokens_m"],
        "automation": customers * unit["customer_tokens_m"],
        "content": pieces * unit["piece_tokens_m"],
    }
    user_tokens = tokens["subscription"] + tokens["content"]
    cloud_tokens = _affine(1.0 - edge, user_tokens, tokens["automation"])
    edge_tokens = edge * user_tokens
    parts = {
        "inference_cloud": cloud_tokens * api,
        "inference_edge": edge_tokens * a["edge_cost_per_m_tokens"],
        "hosting": _affine(
            seats, a["hosting_cost_per_seat"], customers * a["hosting_cost_per_automation_customer"]
        ),
        "human_review": _affine(customers, unit["customer_review"], pieces * a["review_cost_per_piece"]),
        "support": a["support_cost_share"] * (revenue["subscription"] + revenue["automation"]),
        "payment": v["gmv"] * a["payment_cost_share"],
        "contract_delivery": revenue["contract"] * a["contract_delivery_cost_share"],
    }
    by_stream = {
        # tokens × user-side price + seats × (hosting + support)
        "subscription": _affine(tokens["subscription"], user_side_per_m, seats * unit["seat_fixed"]),
        # tokens × API price + customers × (hosting + review + support)
        "automation": _affine(tokens["automation"], api, customers * unit["customer_fixed"]),
        # tokens × user-side price + pieces × review
        "content": _affine(tokens["content"], user_side_per_m, pieces * a["review_cost_per_piece"]),
        "marketplace": parts["payment"],
        "contract": parts["contract_delivery"],
    }
    task_cost = seat_task_cost(a, api, user_side_per_m)
    flows = {"seat_task_cost": task_cost, "cloud_tokens_m": cloud_tokens, "edge_tokens_m": edge_tokens}
    return {"parts": parts, "by_stream": by_stream, "flows": flows}


def compute(p: ApplicationLayerParams) -> ApplicationLayerResult:
    """Project the application business month by month; any driver may be an array of draws."""
    months = finance.month_index(p.horizon_months)
    a = monthly_inputs(p)
    api = _api_price(p, months)
    v = _volumes(p, a, months)
    acc = v["acc"]
    unit = _per_account(a)
    revenue = _revenues(a, v, unit)
    costs = _costs(a, v, revenue, api, unit)
    acquisition = _affine(
        acc.seats_signed,
        a["seat_cac_usd"],
        _affine(
            acc.new_automation_customers, a["automation_cac_usd"], v["signed"] * a["contract_bid_cost_usd"]
        ),
    )
    series = {
        "api_price": api,
        "price_per_seat": unit["seat_price"],
        "price_per_task": unit["price_per_task"],
        "seats": acc.seats,
        "seats_signed": acc.seats_signed,
        "automation_customers": acc.automation_customers,
        "new_automation_customers": acc.new_automation_customers,
        "content_pieces": v["pieces"],
        "gmv": v["gmv"],
        "marketplace_take_rate": v["take_rate"],
        "contracts_active": v["contracts"],
        "contracts_signed": v["signed"],
        "contract_backlog": v["backlog"],
        "flywheel_strength": acc.flywheel_strength,
        "cumulative_m_tasks": acc.cumulative_m_tasks,
        "seat_churn": acc.seat_churn,
        "automation_churn": acc.automation_churn,
        "tasks": _affine(
            acc.seats,
            a["tasks_per_seat"],
            _affine(acc.automation_customers, a["tasks_per_automation_customer"], v["pieces"]),
        ),
        "acquisition_spend": acquisition,
        **costs["flows"],
    }
    groups = {
        "revenue_by_stream": revenue,
        "cost_by_stream": costs["by_stream"],
        "cost_parts": costs["parts"],
    }
    return monthly_result(ApplicationLayerResult, p, months, series, groups)
