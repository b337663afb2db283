"""Funnels and monthly cohorts, vectorised with numpy.

A funnel turns a top-of-funnel volume (downloads, visits, leads) into the volumes of its
later stages by multiplying stage rates; cohorts turn monthly arrivals into an active stock
that decays with churn. Every function broadcasts: leading axes are draws, the last axis is
months ``1 .. T``.

The public API is small:

- :func:`stages`: volumes at each stage of a funnel.
- :func:`survival`: share of a cohort still active after ``t`` months.
- :func:`cohort_matrix`: users of every monthly cohort in every month.
- :func:`active_stock`: the active stock (the cohort matrix summed over cohorts).
- :func:`delayed`: arrivals that reach the next stage a (fractional) number of months later.
- :func:`break_even_conversion`: the conversion at which paying users cover the free ones.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from aibm_core.core import finance

__all__ = ["active_stock", "break_even_conversion", "cohort_matrix", "delayed", "stages", "survival"]


def stages(top: ArrayLike, *rates: ArrayLike) -> list[np.ndarray]:
    """Volumes at each stage of a funnel: ``[top, top r1, top r1 r2, ...]``.

    Parameters
    ----------
    top
        Top-of-funnel volume (e.g. downloads per month), any shape.
    rates
        Stage-to-stage rates (fraction), each broadcasting against ``top``.

    Returns
    -------
    list of numpy.ndarray
        One array per stage, ``len(rates) + 1`` of them, in the unit of ``top``.
    """
    out = [np.asarray(top, dtype=float)]
    for rate in rates:
        out.append(out[-1] * np.asarray(rate, dtype=float))
    return out


def survival(churn: ArrayLike, months: ArrayLike) -> np.ndarray:
    """Share of a cohort still active after ``months`` months: ``(1 - churn) ** months``.

    ``churn`` is per draw (fraction per month); the result is draws × months.
    """
    return (1.0 - finance.along_months(churn)) ** np.asarray(months, dtype=float)


def cohort_matrix(arrivals: ArrayLike, churn: ArrayLike) -> np.ndarray:
    """Users of each monthly cohort in each month.

    ``M[..., t, s] = a_s (1 - c) ** (t - s)`` for ``t >= s`` and 0 before the cohort arrives
    (months and cohorts 0-based here). Summed over cohorts (last axis) it is
    :func:`active_stock` with no initial stock.

    Parameters
    ----------
    arrivals
        Users arriving in each month (count per month), draws × months.
    churn
        Share of a cohort lost each month (fraction per month), one value per draw.

    Returns
    -------
    numpy.ndarray
        Shape draws × months × cohorts (count).
    """
    a = np.asarray(arrivals, dtype=float)
    months = a.shape[-1]
    age = np.arange(months)[:, None] - np.arange(months)[None, :]
    keep = (1.0 - np.asarray(churn, dtype=float))[..., None, None] ** np.maximum(age, 0)
    return np.where(age >= 0, keep, 0.0) * a[..., None, :]


def active_stock(initial: ArrayLike, arrivals: ArrayLike, churn: ArrayLike) -> np.ndarray:
    """Active users at the end of each month: ``S_t = S_{t-1} (1 - c) + a_t``.

    After ``T`` months of constant arrivals ``a`` from nothing, ``a (1 - (1 - c)^T) / c``.
    This is :func:`aibm_core.core.finance.installed_base` under the funnel's name.

    Parameters
    ----------
    initial
        Active users before month 1 (count), per draw.
    arrivals
        New users in each month (count per month), draws × months.
    churn
        Share of active users lost each month (fraction per month), per draw.
    """
    return finance.installed_base(initial, arrivals, churn)


def delayed(volume: ArrayLike, delay: ArrayLike) -> np.ndarray:
    """Monthly volume that reaches the next stage ``delay`` months later (e.g. a sales cycle).

    The cumulative volume is interpolated linearly between month ends, so a fractional delay
    splits a month's volume between two later months; nothing enters before month 1 and what
    would arrive after the horizon is dropped. Arrivals by month ``t`` are the cumulative
    volume through month ``t - delay``, so a longer delay never brings more by any month.

    Parameters
    ----------
    volume
        Volume entering in each month (count per month), draws × months.
    delay
        Months between entering and arriving (>= 0), per draw.

    Returns
    -------
    numpy.ndarray
        Volume arriving in each month, draws × months.
    """
    v = np.asarray(volume, dtype=float)
    d = finance.along_months(delay)
    months = finance.month_index(v.shape[-1])
    shape = np.broadcast_shapes(v.shape, d.shape)
    cumulative = np.concatenate(
        [np.zeros((*shape[:-1], 1)), np.cumsum(np.broadcast_to(v, shape), axis=-1)], axis=-1
    )

    def through(x: np.ndarray) -> np.ndarray:
        x = np.broadcast_to(np.clip(x, 0.0, float(shape[-1])), shape)
        k = np.floor(x).astype(int)
        low = np.take_along_axis(cumulative, k, axis=-1)
        high = np.take_along_axis(cumulative, np.minimum(k + 1, shape[-1]), axis=-1)
        return low + (x - k) * (high - low)

    return through(months - d) - through(months - 1.0 - d)


def break_even_conversion(
    free_cost: ArrayLike, paid_profit: ArrayLike, free_weight: ArrayLike = 1.0, paid_weight: ArrayLike = 1.0
) -> np.ndarray | float:
    """Conversion ``c`` at which paying users' gross profit just covers the free users' cost.

    A share ``c`` of users pays and ``1 - c`` stays free:
    ``(1 - c) w_f f = c w_p m`` gives ``c = w_f f / (w_f f + w_p m)``. The weights are the
    users per unit of share in each tier (e.g. cohort stocks per unit conversion when free and
    paid users churn at different rates); with both 1, ``c`` is the paid share of users.

    Parameters
    ----------
    free_cost
        Cost of a free user (USD per user per month).
    paid_profit
        Gross profit of a paying user after its own serving cost (USD per user per month).
    free_weight, paid_weight
        Users per unit of share in the free and the paid tier (count; default 1).

    Returns
    -------
    numpy.ndarray or float
        Conversion (fraction); 0 when free users cost nothing, ``inf`` when paying users earn
        no gross profit (no conversion covers a positive free-tier cost).
    """
    cost = np.asarray(free_weight, dtype=float) * np.asarray(free_cost, dtype=float)
    profit = np.asarray(paid_weight, dtype=float) * np.asarray(paid_profit, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(profit > 0, cost / np.where(profit > 0, cost + profit, 1.0), np.inf)
    value = np.where(cost <= 0, 0.0, value)
    return float(value) if value.ndim == 0 else value
