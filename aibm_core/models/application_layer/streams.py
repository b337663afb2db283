"""Mechanics of the application layer's streams: the data flywheel, accounts and contracts.

Every function is vectorised over draws (leading axes); the only loop runs over months,
because this month's churn and conversion depend on the usage data of all earlier months.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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
    seats_started: np.ndarray
    automation_customers: np.ndarray
    new_automation_customers: np.ndarray
    flywheel_strength: np.ndarray
    cumulative_m_tasks: np.ndarray
    seat_churn: np.ndarray
    automation_churn: np.ndarray


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
    base_signed = a["seats_signed_per_month"][..., 0] * on["subscriptions"]
    base_wins = a["new_automation_customers_per_month"][..., 0] * on["automation"]
    shape = np.broadcast_shapes(*(np.shape(v[..., 0]) for v in a.values()), np.shape(content_pieces)[:-1])
    out = {k: np.zeros((*shape, months)) for k in Accounts.__dataclass_fields__}
    seats = np.broadcast_to(a["initial_seats"][..., 0] * on["subscriptions"], shape)
    customers = np.broadcast_to(a["initial_automation_customers"][..., 0] * on["automation"], shape)
    cumulative = np.zeros(shape)
    pieces = np.broadcast_to(content_pieces, (*shape, months))
    for t in range(months):
        s = flywheel_strength(cumulative, a["flywheel_scale_m_tasks"][..., 0], flywheel)
        cut = 1.0 - a["flywheel_max_churn_reduction"][..., 0] * s
        uplift = 1.0 + a["flywheel_max_conversion_uplift"][..., 0] * s
        seat_churn = a["seat_monthly_churn"][..., 0] * cut
        automation_churn = a["automation_monthly_churn"][..., 0] * cut
        out["seats_signed"][..., t] = base_signed * uplift
        started = out["seats_signed"][..., t - cycle] if t >= cycle else base_signed
        seats = seats * (1.0 - seat_churn) + started
        wins = base_wins * uplift
        customers = customers * (1.0 - automation_churn) + wins
        for key, value in (
            ("seats", seats),
            ("seats_started", started),
            ("automation_customers", customers),
            ("new_automation_customers", wins),
            ("flywheel_strength", s),
            ("cumulative_m_tasks", cumulative),
            ("seat_churn", seat_churn),
            ("automation_churn", automation_churn),
        ):
            out[key][..., t] = value
        tasks = (
            seats * a["tasks_per_seat"][..., 0] * on["subscriptions"]
            + customers * a["tasks_per_automation_customer"][..., 0] * on["automation"]
            + pieces[..., t]
        )
        cumulative = cumulative + tasks / 1e6
    return Accounts(**out)


def active_contracts(signed_per_month: np.ndarray, months: np.ndarray, cycle: int, term: int) -> np.ndarray:
    """Contracts billing in each month: ``rate × clip(t − cycle, 0, term)``.

    Contracts are signed at a constant rate from month 1; one signed in month ``k`` bills in
    months ``k + cycle .. k + cycle + term − 1``.
    """
    return finance.along_months(signed_per_month) * np.clip(months - cycle, 0.0, float(term))


def contract_backlog(signed_per_month: np.ndarray, months: np.ndarray, cycle: int) -> np.ndarray:
    """Contracts signed but not yet billing at the end of each month: ``rate × min(t, cycle)``."""
    return finance.along_months(signed_per_month) * np.minimum(months, float(cycle))
