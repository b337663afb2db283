"""Application layer: the common statement, unit economics, KPIs and the projection frame."""

from __future__ import annotations

import numpy as np
import pandas as pd

from aibm_core.core import finance
from aibm_core.core.numeric import ratio
from aibm_core.models.application_layer.model import STREAMS, ApplicationLayerResult, seat_gross_profit_path
from aibm_core.models.application_layer.streams import lognormal_share_above, lognormal_top_mean
from aibm_core.models.base import Column, Metric, Statement, declare_columns


def _at(r: ApplicationLayerResult, series: np.ndarray) -> np.ndarray | float:
    """A monthly series read in the snapshot month (a float for scalar parameters)."""
    value = np.asarray(series)[..., int(r.params.snapshot_month) - 1]
    return float(value) if np.ndim(value) == 0 else value


def stream_margins(r: ApplicationLayerResult) -> dict[str, np.ndarray]:
    """Gross margin of each stream by month (fraction; NaN while a stream has no revenue)."""
    return {k: 1.0 - ratio(r.cost_by_stream[k], r.revenue_by_stream[k]) for k in STREAMS}


def unit_economics(r: ApplicationLayerResult) -> dict[str, np.ndarray | float]:
    """Per-seat economics in the snapshot month (USD unless named otherwise).

    The seat's lifetime value is the definition every model uses
    (:func:`aibm_core.core.finance.path_lifetime_value`): a seat signed in the snapshot month
    ``s`` follows the projected gross profit of months ``s .. s + ltv_months − 1`` (the API
    price keeps falling beyond the horizon), survives each month at the snapshot month's churn
    after the flywheel and is discounted at the monthly rate; capped at ``ltv_months``.
    """
    p = r.params
    gross_profit = _at(r, r.seat_gross_profit)
    s = int(p.snapshot_month)
    path = seat_gross_profit_path(p, np.arange(s, s + int(p.ltv_months), dtype=float))
    ltv = finance.path_lifetime_value(
        path, _at(r, r.seat_churn), finance.monthly_rate(p.annual_discount_rate)
    )
    cac = np.asarray(p.seat_cac_usd, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ltv_to_cac = np.where(cac > 0, ltv / np.where(cac > 0, cac, 1.0), np.inf * np.sign(ltv))
    plain = {
        "seat_gross_profit": gross_profit,
        "seat_cac_payback_months": _at(r, r.seat_cac_payback_months),
        "seat_ltv": ltv,
        "seat_ltv_to_cac": ltv_to_cac,
        "power_user_break_even": _at(r, r.power_user_break_even),
        "seat_task_cost": _at(r, r.seat_task_cost),
    }
    return {k: float(v) if np.ndim(v) == 0 else v for k, v in plain.items()}


#: The heaviest users' share of seats read by :func:`seat_usage_tail` (the top decile).
HEAVY_SEAT_SHARE = 0.1


def seat_usage_tail(r: ApplicationLayerResult) -> dict[str, np.ndarray | float]:
    """The spread of usage across seats in the snapshot month (``seat_usage_dispersion``).

    Usage per seat is lognormal around ``tasks_per_seat`` with log-sd ``seat_usage_dispersion``
    (every seat at the mean when 0), while every seat pays the same price. A seat costs more
    than it pays when its tasks exceed the power-user break-even; the heaviest decile's usage
    is the mean of the top 10% of a lognormal. Totals are unchanged: the mean is the same.

    Returns
    -------
    dict
        ``seats_under_water_share`` (fraction of seats whose gross profit is below zero),
        ``heavy_seat_tasks`` (tasks per seat per month of the heaviest decile) and
        ``heavy_seat_margin`` (that decile's gross margin per seat, fraction of the price).
    """
    p = r.params
    price = np.asarray(_at(r, r.price_per_seat), dtype=float)
    headroom = price - np.asarray(_at(r, r.seat_fixed_cost), dtype=float)
    task_cost = np.asarray(_at(r, r.seat_task_cost), dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        # usage at which a seat's gross profit is zero (−inf: loses money at any usage)
        break_even = np.where(
            task_cost > 0,
            headroom / np.where(task_cost > 0, task_cost, 1.0),
            np.where(headroom < 0, -np.inf, np.inf),
        )
    sigma = np.asarray(p.seat_usage_dispersion, dtype=float)
    heavy = lognormal_top_mean(p.tasks_per_seat, sigma, HEAVY_SEAT_SHARE)
    out = {
        "seats_under_water_share": lognormal_share_above(p.tasks_per_seat, sigma, break_even),
        "heavy_seat_tasks": heavy,
        "heavy_seat_margin": (headroom - heavy * task_cost) / price,
    }
    return {k: float(v) if np.ndim(v) == 0 else v for k, v in out.items()}


def kpis(r: ApplicationLayerResult) -> dict[str, Metric]:
    """Key figures of the snapshot month, each stream's revenue and margin included."""
    ue, tail = unit_economics(r), seat_usage_tail(r)
    revenue, statement = _at(r, r.revenue), statement_of(r)
    margins = stream_margins(r)
    out = {
        "mrr": Metric("Application revenue (MRR)", revenue, "USD per month"),
        "arr": Metric("Application revenue run-rate (ARR)", 12 * revenue, "USD per year"),
        "gross_margin": Metric("Gross margin", _at(r, r.gross_margin), "fraction"),
        "operating_margin": Metric(
            "Operating margin", _at(r, ratio(statement.operating_profit, r.revenue)), "fraction"
        ),
        "inference_cost_share": Metric(
            "Inference cost / revenue", _at(r, r.inference_cost_share), "fraction"
        ),
        "api_price_per_m_tokens": Metric(
            "API price paid per 1M tokens", _at(r, r.api_price), "USD per 1M tokens"
        ),
    }
    for key, (label, _) in STREAMS.items():
        out[f"{key}_revenue"] = Metric(f"{label}: revenue", _at(r, r.revenue_by_stream[key]), "USD per month")
        out[f"{key}_cost"] = Metric(
            f"{label}: cost of revenue", _at(r, r.cost_by_stream[key]), "USD per month"
        )
        out[f"{key}_margin"] = Metric(f"{label}: gross margin", _at(r, margins[key]), "fraction")
    out.update(
        {
            "paying_seats": Metric("Paying seats", _at(r, r.seats), "seats"),
            "price_per_seat": Metric("Price per seat", _at(r, r.price_per_seat), "USD per seat per month"),
            "seat_gross_profit": Metric(
                "Gross profit per seat", ue["seat_gross_profit"], "USD per seat per month"
            ),
            "power_user_break_even": Metric(
                "Power-user break-even (tasks per seat)",
                ue["power_user_break_even"],
                "tasks per seat per month",
            ),
            "seat_cac_payback_months": Metric(
                "Seat CAC payback (on gross profit, from the spend: sales cycle included)",
                ue["seat_cac_payback_months"],
                "months",
            ),
            "seat_ltv": Metric(
                f"Seat lifetime value ({int(r.params.ltv_months)}-month projected path)",
                ue["seat_ltv"],
                "USD per seat",
            ),
            "seat_ltv_to_cac": Metric("Seat LTV / CAC", ue["seat_ltv_to_cac"], "ratio"),
            "seat_churn": Metric(
                "Seat churn (after the flywheel)", _at(r, r.seat_churn), "fraction per month"
            ),
            "seat_retention": Metric("Seat retention", 1.0 - _at(r, r.seat_churn), "fraction per month"),
            "automation_customers": Metric(
                "Automation customers", _at(r, r.automation_customers), "customers"
            ),
            "price_per_task": Metric("Price per automated task", _at(r, r.price_per_task), "USD per task"),
            "seats_under_water_share": Metric(
                "Seats that cost more than they pay (usage spread)",
                tail["seats_under_water_share"],
                "fraction",
            ),
            "heavy_seat_tasks": Metric(
                "Usage of the heaviest 10% of seats", tail["heavy_seat_tasks"], "tasks per seat per month"
            ),
            "heavy_seat_margin": Metric(
                "Gross margin of the heaviest 10% of seats", tail["heavy_seat_margin"], "fraction"
            ),
            "marketplace_gmv": Metric("Marketplace GMV", _at(r, r.gmv), "USD per month"),
            "marketplace_effective_take_rate": Metric(
                "Marketplace take rate (average over the fee tiers)",
                _at(r, r.marketplace_take_rate),
                "fraction of GMV",
            ),
            "active_contracts": Metric("Contracts billing", _at(r, r.contracts_active), "contracts"),
            "flywheel_strength": Metric("Data flywheel strength", _at(r, r.flywheel_strength), "fraction"),
        }
    )
    return out


def statement_of(r: ApplicationLayerResult) -> Statement:
    """The common monthly statement (USD per month; draws × months).

    Cost of revenue is inference (API and edge), hosting, human review, support, payment
    processing and contract delivery; operating expenses are acquisition (seat CAC,
    automation CAC, contract bids) plus fixed research and general costs, so operating
    profit is EBIT. The application rents its compute, so capex is zero. Volume: AI tasks
    served (content pieces count as tasks); north star: MRR (= the tree root).
    """
    return Statement(
        revenue=r.revenue,
        cost_of_revenue=r.cogs,
        operating_expenses=r.operating_expenses,
        capex=np.zeros_like(r.revenue),
        volume=r.tasks,
        volume_label="AI tasks served",
        volume_unit="tasks per month",
        north_star=r.revenue,
        north_star_label="Application revenue (MRR)",
        north_star_unit="USD per month",
        snapshot_month=int(r.params.snapshot_month),
    )


#: Columns of :func:`projection`: name -> label, unit and display scale. Each stream has a
#: revenue, a cost and a margin column, labelled after its key (``contract_margin`` ->
#: ``Contract margin``).
PROJECTION_COLUMNS: dict[str, Column] = {
    **{f"{k}_revenue": Column(f"{k.capitalize()} revenue", "USD per month") for k in STREAMS},
    **{f"{k}_cost": Column(f"{k.capitalize()} cost", "USD per month") for k in STREAMS},
    **{f"{k}_margin": Column(f"{k.capitalize()} margin", "fraction") for k in STREAMS},
    "revenue": Column("Revenue", "USD per month"),
    "cogs": Column("Cost of revenue", "USD per month"),
    "inference_cost": Column("Inference cost", "USD per month"),
    "gross_profit": Column("Gross profit", "USD per month"),
    "gross_margin": Column("Gross margin", "fraction"),
    "acquisition_spend": Column("Acquisition spend", "USD per month"),
    "operating_profit": Column("Operating profit", "USD per month"),
    "seats": Column("Paying seats", "seats"),
    "automation_customers": Column("Automation customers", "customers"),
    "contracts_active": Column("Contracts billing", "contracts"),
    "seat_churn_share": Column("Seat churn", "fraction per month"),
    "flywheel_strength_share": Column("Data flywheel strength", "fraction"),
    "api_price_per_m": Column("API price paid per 1M tokens", "USD per 1M tokens"),
}


def projection(r: ApplicationLayerResult) -> pd.DataFrame:
    """Monthly projection for scalar parameters, columns declared in :data:`PROJECTION_COLUMNS`.

    Each stream's revenue, cost and margin (NaN while a stream has no revenue), the totals,
    the stocks behind them and the flywheel.
    """
    columns = {f"{k}_revenue": v for k, v in r.revenue_by_stream.items()}
    columns.update({f"{k}_cost": v for k, v in r.cost_by_stream.items()})
    columns.update({f"{k}_margin": v for k, v in stream_margins(r).items()})
    columns.update(
        {
            "revenue": r.revenue,
            "cogs": r.cogs,
            "inference_cost": r.inference_cost,
            "gross_profit": r.revenue - r.cogs,
            "gross_margin": r.gross_margin,
            "acquisition_spend": r.acquisition_spend,
            "operating_profit": r.revenue - r.cogs - r.operating_expenses,
            "seats": r.seats,
            "automation_customers": r.automation_customers,
            "contracts_active": r.contracts_active,
            "seat_churn_share": r.seat_churn,
            "flywheel_strength_share": r.flywheel_strength,
            "api_price_per_m": r.api_price,
        }
    )
    frame = pd.DataFrame(columns, index=pd.Index(r.months.astype(int), name="month"))
    return declare_columns(frame, PROJECTION_COLUMNS, "application_layer")
