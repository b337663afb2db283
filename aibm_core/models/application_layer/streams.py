"""Mechanics of the application layer's streams: the data flywheel, accounts and contracts.

Every function is vectorised over draws (leading axes); the only loop runs over months,
because this month's churn and conversion depend on the usage data of all earlier months.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, ndtri

from aibm_core.core import finance


def flywheel_strength(cumulative_m_tasks: np.ndarray, scale_m_tasks: np.ndarray, enabled: bool) -> np.ndarray:
    """Share of the flywheel's full effect reached: ``1 − exp(−usage / scale)`` (fraction).

    Diminishing returns: each further million tasks improves the product less; 0 with no
    usage yet and approaching 1 as usage grows. Always 0 when the flywheel is switched off.
    """
    return float(enabled) * (1.0 - np.exp(-np.asarray(cumulative_m_tasks, dtype=float) / scale_m_tasks))


@dataclass(frozen=True)
class Accounts:
    """Seats and automation customers by month (draws × months), with the flywheel behind them."""

    seats: np.ndarray
    seats_signed: np.ndarray
    automation_customers: np.ndarray
    new_automation_customers: np.ndarray
    flywheel_strength: np.ndarray
    cumulative_m_tasks: np.ndarray
    seat_churn: np.ndarray
    automation_churn: np.ndarray


#: The drivers the accounts' recurrence reads (each draws × 1); any other driver, even one given
#: as draws, leaves the accounts alone, so the loop runs over the draws of these only.
ACCOUNT_INPUTS = (
    "initial_seats",
    "seats_signed_per_month",
    "seat_monthly_churn",
    "tasks_per_seat",
    "initial_automation_customers",
    "new_automation_customers_per_month",
    "automation_monthly_churn",
    "tasks_per_automation_customer",
    "flywheel_scale_m_tasks",
    "flywheel_max_churn_reduction",
    "flywheel_max_conversion_uplift",
)


def project_accounts(
    a: dict[str, np.ndarray],
    content_pieces: np.ndarray,
    on: dict[str, float],
    *,
    cycle: int,
    flywheel: bool,
    months: int,
) -> Accounts:
    """Seats and automation customers month by month, fed back through the data flywheel.

    In month ``t`` the flywheel strength ``s_t`` follows the tasks served in months before
    ``t``; churn is ``churn × (1 − max_cut × s_t)`` and signings and automation wins are
    ``base × (1 + max_uplift × s_t)``. A seat signed in month ``t`` pays from month
    ``t + cycle``; the first ``cycle`` months receive the deals already in flight, signed at
    the base rate before month 1. ``seats_t = seats_{t−1} (1 − churn_t) + started_t``.

    The loop runs over months (each month needs the usage of all earlier ones) on the draws of
    :data:`ACCOUNT_INPUTS` and the content pieces only, writing each month into month-major
    buffers; the series are returned as views with months last.

    Parameters
    ----------
    a
        Numeric assumptions by name, each of shape draws × 1.
    content_pieces
        Content pieces produced each month (draws × months); they count as tasks.
    on
        1.0 or 0.0 for ``subscriptions``, ``automation`` and ``content`` (the stream mix).
    cycle
        Subscription sales cycle (months, ``>= 0``).
    flywheel
        Whether the data flywheel works.
    months
        Horizon (months).
    """
    x = {k: np.asarray(a[k], dtype=float)[..., 0] for k in ACCOUNT_INPUTS}
    shape = np.broadcast_shapes(*(np.shape(v) for v in x.values()), np.shape(content_pieces)[:-1])
    out = {k: np.zeros((months, *shape)) for k in Accounts.__dataclass_fields__}
    pieces = np.moveaxis(np.broadcast_to(np.asarray(content_pieces, dtype=float), (*shape, months)), -1, 0)
    base_signed = x["seats_signed_per_month"] * on["subscriptions"]
    base_wins = x["new_automation_customers_per_month"] * on["automation"]
    seat_tasks = x["tasks_per_seat"] * on["subscriptions"]
    customer_tasks = x["tasks_per_automation_customer"] * on["automation"]
    previous = {
        "seats": np.broadcast_to(x["initial_seats"] * on["subscriptions"], shape),
        "automation_customers": np.broadcast_to(x["initial_automation_customers"] * on["automation"], shape),
    }
    cumulative, cut, uplift, work = (np.zeros(shape) for _ in range(4))
    for t in range(months):
        now = {k: v[t, ...] for k, v in out.items()}  # views of month t (0-d for scalar drivers)
        if flywheel:  # 1 − exp(−cumulative / scale), in place (flywheel_strength)
            s = np.divide(cumulative, x["flywheel_scale_m_tasks"], out=now["flywheel_strength"])
            np.subtract(1.0, np.exp(np.negative(s, out=s), out=s), out=s)
        np.subtract(
            1.0, np.multiply(x["flywheel_max_churn_reduction"], now["flywheel_strength"], out=cut), out=cut
        )
        np.add(
            1.0,
            np.multiply(x["flywheel_max_conversion_uplift"], now["flywheel_strength"], out=uplift),
            out=uplift,
        )
        np.multiply(x["seat_monthly_churn"], cut, out=now["seat_churn"])
        np.multiply(x["automation_monthly_churn"], cut, out=now["automation_churn"])
        np.multiply(base_signed, uplift, out=now["seats_signed"])
        np.multiply(base_wins, uplift, out=now["new_automation_customers"])
        # a seat signed in month t − cycle starts paying now (deals in flight at the base rate)
        started = out["seats_signed"][t - cycle, ...] if t >= cycle else base_signed
        # stock_t = stock_{t−1} × (1 − churn_t) + additions_t
        for stock, churn, added in (
            ("seats", "seat_churn", started),
            ("automation_customers", "automation_churn", now["new_automation_customers"]),
        ):
            np.multiply(previous[stock], np.subtract(1.0, now[churn], out=work), out=now[stock])
            np.add(now[stock], added, out=now[stock])
            previous[stock] = now[stock]
        now["cumulative_m_tasks"][...] = cumulative
        # tasks served this month (seats, automation, content pieces), in M
        np.multiply(now["seats"], seat_tasks, out=work)
        np.add(work, now["automation_customers"] * customer_tasks, out=work)
        np.add(work, pieces[t, ...], out=work)
        np.add(cumulative, np.divide(work, 1e6, out=work), out=cumulative)
    return Accounts(**{k: np.moveaxis(v, 0, -1) for k, v in out.items()})


def lognormal_share_below(mean: np.ndarray, sigma: np.ndarray, threshold: np.ndarray) -> np.ndarray:
    """Share of a lognormal total that lies below a per-unit threshold: ``E[min(X, t)] / E[X]``.

    ``1 − E[(X − t)+] / mean`` (:func:`aibm_core.core.finance.expected_excess`); with no spread
    (``sigma = 0``) every unit holds the mean, ``min(mean, t) / mean``. 0 at a zero threshold,
    1 when there is nothing (``mean = 0``).
    """
    m, sd, t = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (mean, sigma, threshold)))
    spread = sd > 0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # a tiny spread: a step
        excess = np.where(
            spread, finance.expected_excess(m, np.where(spread, sd, 1.0), t), np.maximum(m - t, 0.0)
        )
        return np.where(m > 0, 1.0 - excess / np.where(m > 0, m, 1.0), 1.0)


def lognormal_share_above(mean: np.ndarray, sigma: np.ndarray, threshold: np.ndarray) -> np.ndarray:
    """Share of units whose lognormal value exceeds ``threshold`` (fraction of units, not of the total).

    ``P(X > t) = Φ((ln(mean / t) − σ²/2) / σ)``; with no spread (or nothing), ``1`` if
    ``mean > t`` else ``0``. A threshold at or below zero is exceeded by every unit.
    """
    m, sd, t = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (mean, sigma, threshold)))
    spread = (sd > 0) & (m > 0) & (t > 0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        z = (np.log(m) - np.log(t) - 0.5 * sd**2) / np.where(spread, sd, 1.0)
    return np.where(spread, ndtr(z), np.where(m > t, 1.0, 0.0))


def lognormal_top_mean(mean: np.ndarray, sigma: np.ndarray, top: float) -> np.ndarray:
    """Mean value of the top ``top`` fraction of units (lognormal): ``mean × share held / top``.

    The top fraction ``p`` holds ``1 − Φ(Φ⁻¹(1 − p) − σ)`` of the total
    (:func:`aibm_core.core.finance.top_share`); equal to ``mean`` with no spread.
    """
    held = 1.0 - ndtr(ndtri(1.0 - top) - np.asarray(sigma, dtype=float))
    return np.asarray(mean, dtype=float) * held / top


def active_contracts(signed_per_month: np.ndarray, months: np.ndarray, cycle: int, term: int) -> np.ndarray:
    """Contracts billing in each month: ``rate × clip(t − cycle, 0, term)``.

    Contracts are signed at a constant rate from month 1; one signed in month ``k`` bills in
    months ``k + cycle .. k + cycle + term − 1``.
    """
    return finance.along_months(signed_per_month) * np.clip(months - cycle, 0.0, float(term))


def contract_backlog(signed_per_month: np.ndarray, months: np.ndarray, cycle: int) -> np.ndarray:
    """Contracts signed but not yet billing at the end of each month: ``rate × min(t, cycle)``."""
    return finance.along_months(signed_per_month) * np.minimum(months, float(cycle))
