"""Shared financial mechanics, vectorised with numpy.

Every function accepts scalars or arrays and broadcasts, so a model can evaluate
many draws (leading axes) over many months (last axis) in one call.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
import numpy_financial as npf
from numpy.typing import ArrayLike
from scipy.special import ndtr, ndtri

FloatArray = np.ndarray | float


def month_index(horizon_months: int) -> np.ndarray:
    """Months ``1 .. horizon_months`` as a float array."""
    return np.arange(1, int(horizon_months) + 1, dtype=float)


def along_months(value: ArrayLike) -> np.ndarray:
    """Add a trailing month axis so a per-draw value broadcasts against months."""
    return np.asarray(value, dtype=float)[..., None]


def monthly_rate(annual_rate: ArrayLike) -> FloatArray:
    """Monthly rate compounding to ``annual_rate`` over twelve months (fraction)."""
    return (1.0 + np.asarray(annual_rate, dtype=float)) ** (1.0 / 12.0) - 1.0


def annual_decline_factor(annual_decline: ArrayLike, months: np.ndarray) -> np.ndarray:
    """Level in month ``t`` relative to month 1 under a steady annual decline.

    ``(1 - annual_decline) ** ((t - 1) / 12)``; shape: draws × months.
    """
    return (1.0 - along_months(annual_decline)) ** ((months - 1.0) / 12.0)


def growth_factor(monthly_growth: ArrayLike, months: np.ndarray) -> np.ndarray:
    """``(1 + g) ** (t - 1)``: level in month ``t`` relative to month 1."""
    return (1.0 + along_months(monthly_growth)) ** (months - 1.0)


def customers_over_time(
    initial: ArrayLike, new_per_month: ArrayLike, churn: ArrayLike, months: np.ndarray
) -> np.ndarray:
    """Customers at the end of each month with constant acquisition and churn.

    Closed form of ``N_t = N_{t-1} (1 - c) + new``:
    ``N_t = N_0 (1 - c)^t + new (1 - (1 - c)^t) / c`` (``new × t`` when ``c = 0``).

    Parameters
    ----------
    initial
        Customers at the start (count).
    new_per_month
        Customers acquired each month (count per month).
    churn
        Share of customers lost each month (fraction per month).
    months
        Month numbers ``1 .. T``.
    """
    c = along_months(churn)
    survive = (1.0 - c) ** months
    safe_c = np.where(c > 0, c, 1.0)
    inflow = np.where(c > 0, (1.0 - survive) / safe_c, months)
    return along_months(initial) * survive + along_months(new_per_month) * inflow


def lifetime_value(
    monthly_margin: ArrayLike, churn: ArrayLike, monthly_discount_rate: ArrayLike = 0.0
) -> FloatArray:
    """Discounted lifetime gross profit of a customer (USD).

    ``m × Σ_{t>=0} ((1 - c) / (1 + r))^t = m (1 + r) / (r + c)``: the first month's
    margin is earned in full, each later month survives with ``1 - c`` and is
    discounted at ``r``. With neither churn nor discounting the value is unbounded
    (``±inf`` by the sign of the margin), and a zero margin is worth 0.
    """
    m = np.asarray(monthly_margin, dtype=float)
    c = np.asarray(churn, dtype=float)
    r = np.asarray(monthly_discount_rate, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(r + c > 0, m * (1.0 + r) / (r + c), np.inf * np.sign(m))
    return np.where(m == 0, 0.0, value)


def path_lifetime_value(
    monthly_margins: ArrayLike, churn: ArrayLike, monthly_discount_rate: ArrayLike = 0.0
) -> FloatArray:
    """Discounted gross profit of one customer over a projected monthly path (USD).

    ``Σ_k v_k ((1 − c) / (1 + r))^k`` over the last axis (``k = 0 .. n − 1``): the first
    month's margin ``v_0`` is earned in full, each later month survives with ``1 − c`` and is
    discounted at ``r``. The path's length is the cap on the customer's life (e.g. 60 months),
    so the value is finite even with neither churn nor discounting. This is the lifetime value
    every model reports; :func:`lifetime_value` is its uncapped limit for a constant margin.

    Parameters
    ----------
    monthly_margins
        Gross profit of the customer in each month of its life (USD per month); last axis:
        months of life, leading axes: draws.
    churn
        Share of customers lost each month (fraction per month), one value per draw.
    monthly_discount_rate
        Discount rate per month (fraction per month), e.g. ``monthly_rate(annual)``.
    """
    values = np.asarray(monthly_margins, dtype=float)
    k = np.arange(values.shape[-1], dtype=float)
    weights = (
        along_months(1.0 - np.asarray(churn, dtype=float)) / (1.0 + along_months(monthly_discount_rate))
    ) ** k
    return np.sum(values * weights, axis=-1)


def payback_months(
    upfront_cost: ArrayLike, monthly_margin: ArrayLike, lead_months: ArrayLike = 0.0
) -> FloatArray:
    """Months from the spend until the margin has recovered an upfront cost; ``inf`` if margin <= 0.

    ``lead + cost / margin``: ``lead_months`` is the delay between spending the cost and the
    first month of margin (a sales cycle), so the payback counts from the month the money is
    spent. Without a lead it is the plain ``cost / margin``.

    Parameters
    ----------
    upfront_cost
        Cost spent once (USD), e.g. the acquisition cost of a customer.
    monthly_margin
        Margin it earns each month once billing (USD per month).
    lead_months
        Months between the spend and the first month of margin (months, ``>= 0``).
    """
    cost = np.asarray(upfront_cost, dtype=float)
    margin = np.asarray(monthly_margin, dtype=float)
    lead = np.asarray(lead_months, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(margin > 0, lead + cost / np.where(margin > 0, margin, 1.0), np.inf)


def expected_excess(mean: ArrayLike, sigma: ArrayLike, threshold: ArrayLike) -> FloatArray:
    """``E[(X - t)+]`` for a lognormal ``X`` with the given mean and log-sd.

    The Black-Scholes call formula: ``mean Φ(d1) - t Φ(d2)`` with
    ``d1 = (ln(mean / t) + σ²/2) / σ``, ``d2 = d1 - σ``. Used for the volume above a
    pricing-tier threshold when customer sizes are lognormal.
    """
    m = np.asarray(mean, dtype=float)
    s = np.asarray(sigma, dtype=float)
    t = np.asarray(threshold, dtype=float)
    with np.errstate(divide="ignore"):
        d1 = (np.log(m) - np.log(t) + 0.5 * s**2) / s
    return m * ndtr(d1) - t * ndtr(d1 - s)


def graduated_discount_share(
    mean: ArrayLike,
    sigma: ArrayLike,
    thresholds: tuple[ArrayLike, ...],
    discounts: tuple[ArrayLike, ...],
) -> FloatArray:
    """Average discount (fraction of list revenue) under graduated volume tiers.

    Tier ``i`` gives ``discounts[i]`` off every unit above ``thresholds[i]`` (and
    below the next threshold). Customer monthly volume is lognormal with the given
    mean and log-sd, so the discount is ``Σ (d_i - d_{i-1}) E[(X - t_i)+] / mean``.
    """
    total = 0.0
    previous = 0.0
    for threshold, discount in zip(thresholds, discounts, strict=True):
        step = np.asarray(discount, dtype=float) - previous
        total = total + step * expected_excess(mean, sigma, threshold)
        previous = np.asarray(discount, dtype=float)
    return total / np.asarray(mean, dtype=float)


def top_share(customers: ArrayLike, top_n: float, sigma: ArrayLike) -> FloatArray:
    """Share of volume bought by the largest ``top_n`` customers (lognormal sizes).

    For a lognormal the top fraction ``p`` holds ``1 - Φ(Φ⁻¹(1 - p) - σ)`` of the total.
    """
    n = np.maximum(np.asarray(customers, dtype=float), 1.0)
    p = np.clip(top_n / n, 0.0, 1.0)
    return 1.0 - ndtr(ndtri(1.0 - p) - np.asarray(sigma, dtype=float))


def straight_line(cost: ArrayLike, life_months: ArrayLike) -> FloatArray:
    """Straight-line amortisation or depreciation per month (cost / life)."""
    return np.asarray(cost, dtype=float) / np.asarray(life_months, dtype=float)


def npv(annual_rate: float, cash_flows: ArrayLike) -> float:
    """Net present value of monthly cash flows (first flow at t = 0), USD."""
    return float(npf.npv(float(monthly_rate(annual_rate)), np.asarray(cash_flows, dtype=float)))


def irr(cash_flows: ArrayLike) -> float:
    """Annualised internal rate of return of monthly cash flows (fraction per year)."""
    monthly = npf.irr(np.asarray(cash_flows, dtype=float))
    return float((1.0 + monthly) ** 12 - 1.0)


def level_payment(principal: ArrayLike, monthly_interest: ArrayLike, months: ArrayLike) -> FloatArray:
    """Monthly instalment that repays a loan with interest in equal payments (USD per month).

    ``P r / (1 - (1 + r)^-n)`` (the annuity or capital-recovery formula); ``P / n`` when
    ``r = 0``. Over the loan's life the instalments minus ``P / n`` are the interest paid.

    Parameters
    ----------
    principal
        Amount borrowed (USD).
    monthly_interest
        Interest rate per month (fraction per month), e.g. ``monthly_rate(annual)``.
    months
        Number of monthly payments (> 0).
    """
    p = np.asarray(principal, dtype=float)
    r = np.asarray(monthly_interest, dtype=float)
    n = np.asarray(months, dtype=float)
    safe_r = np.where(r != 0, r, 1.0)
    return np.where(r != 0, p * safe_r / (1.0 - (1.0 + safe_r) ** -n), p / n)


def loan_balance(
    principal: ArrayLike, monthly_interest: ArrayLike, months: ArrayLike, payments_made: ArrayLike
) -> FloatArray:
    """Balance still owed on a level-payment loan (:func:`level_payment`) after some payments (USD).

    ``P ((1 + i)^n − (1 + i)^k) / ((1 + i)^n − 1)`` after ``k`` of the ``n`` monthly
    instalments (``P (1 − k / n)`` when ``i = 0``): the principal grown at the rate less the
    instalments paid, grown likewise. ``P`` before the first payment, 0 from the ``n``-th on
    (a balance never goes below 0, also for a fractional ``n``).

    Parameters
    ----------
    principal
        Amount borrowed (USD).
    monthly_interest
        Interest rate per month (fraction per month).
    months
        Number of monthly payments ``n`` (> 0).
    payments_made
        Instalments paid so far ``k`` (>= 0).
    """
    p = np.asarray(principal, dtype=float)
    r = np.asarray(monthly_interest, dtype=float)
    n = np.asarray(months, dtype=float)
    k = np.asarray(payments_made, dtype=float)
    safe_r = np.where(r != 0, r, 1.0)
    grown_n, grown_k = (1.0 + safe_r) ** n, (1.0 + safe_r) ** k
    share = np.where(r != 0, (grown_n - grown_k) / (grown_n - 1.0), 1.0 - k / n)
    return p * np.maximum(share, 0.0)


def installed_base(initial: ArrayLike, additions: ArrayLike, monthly_loss: ArrayLike) -> np.ndarray:
    """Stock at the end of each month with monthly additions and proportional losses.

    ``S_t = S_{t-1} (1 - loss) + a_t`` with ``S_0 = initial``: subscriptions, installed
    units or seats that lapse at a constant rate. The loop runs over months only and is
    vectorised over draws (leading axes).

    Parameters
    ----------
    initial
        Stock before month 1 (count), one value per draw.
    additions
        Additions in each month (count per month), shape draws × months.
    monthly_loss
        Share of the stock lost each month (fraction per month), one value per draw.

    Returns
    -------
    numpy.ndarray
        Stock at the end of each month, shape draws × months.
    """
    add = np.asarray(additions, dtype=float)
    keep = 1.0 - along_months(monthly_loss)
    shape = np.broadcast_shapes(add.shape, keep.shape, along_months(initial).shape)
    add, keep = np.broadcast_to(add, shape), np.broadcast_to(keep, shape)
    stock = np.empty(shape)
    level = np.broadcast_to(np.asarray(initial, dtype=float), shape[:-1])
    for t in range(shape[-1]):
        level = level * keep[..., t] + add[..., t]
        stock[..., t] = level
    return stock


def blended_price(prices: Sequence[ArrayLike], shares: Sequence[ArrayLike]) -> FloatArray:
    """Average price of a unit sold under a mix of contract types (price unit, e.g. USD per hour).

    ``Σ share_i × price_i``: each contract type ``i`` (on demand, reserved, spot, ...) sells
    ``share_i`` of the units at ``price_i``. The shares are fractions of the units sold and
    should add up to 1 (the caller's schema checks that; nothing is renormalised here).
    Prices and shares broadcast (draws × months).

    Parameters
    ----------
    prices
        Price of a unit under each contract type (e.g. USD per GPU-hour).
    shares
        Share of the units sold under each contract type (fractions), in the same order.
    """
    if len(prices) != len(shares):
        raise ValueError(f"{len(prices)} prices but {len(shares)} shares")
    return functools.reduce(
        np.add,
        (
            np.asarray(s, dtype=float) * np.asarray(p, dtype=float)
            for p, s in zip(prices, shares, strict=True)
        ),
    )


def pricing_mix(
    list_price: ArrayLike, shares: Sequence[ArrayLike], discounts: Sequence[ArrayLike]
) -> FloatArray:
    """Net price of a unit when it sells on demand, reserved and spot at discounts off list.

    ``list × Σ share_i (1 − discount_i)``: :func:`blended_price` of the discounted prices.
    On demand has discount 0; a reserved (committed) unit sells at the commitment discount; a
    spot unit (excess capacity) at the spot discount. For shares ``(1 − r − s, r, s)`` and
    discounts ``(0, d_r, d_s)`` the net price is ``list (1 − r d_r − s d_s)``.

    Parameters
    ----------
    list_price
        On-demand list price (e.g. USD per GPU-hour).
    shares
        Share of the units sold under each contract type (fractions adding up to 1).
    discounts
        Discount off list of each contract type (fractions, 0 = list price), same order.
    """
    base = np.asarray(list_price, dtype=float)
    return blended_price([base * (1.0 - np.asarray(d, dtype=float)) for d in discounts], shares)
