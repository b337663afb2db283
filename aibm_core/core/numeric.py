"""Numeric helpers: division that says what happens at zero, rounding to significant digits."""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

AtZero = Literal["nan", "unbounded"]


def ratio(numerator: ArrayLike, denominator: ArrayLike, at_zero: AtZero = "nan") -> np.ndarray:
    """``numerator / denominator`` element by element, with a stated rule where the denominator is 0.

    Parameters
    ----------
    numerator, denominator
        Numbers or arrays (broadcast together), in any units; the result is in their ratio
        (e.g. USD / USD = fraction, USD / (USD per month) = months).
    at_zero
        What a zero denominator (``0.0`` or ``-0.0``) gives:

        - ``"nan"`` (default): NaN, "no value", e.g. the margin of a month without revenue;
        - ``"unbounded"``: ``+inf`` or ``-inf`` by the sign of the numerator, and NaN for
          ``0 / 0``, e.g. an LTV / CAC ratio when acquisition costs nothing.

        Elsewhere the result is the plain quotient, negative values included; a NaN operand
        gives NaN. Overflow and division warnings are silenced (the rule above is the answer).

    Returns
    -------
    numpy.ndarray
        The ratios, of the broadcast shape (0-d for two scalars).

    Examples
    --------
    >>> ratio([1.0, 0.0, -2.0, -3.0], [0.0, 0.0, 0.0, 2.0]).tolist()
    [nan, nan, nan, -1.5]
    >>> ratio([1.0, 0.0, -2.0, -3.0], [0.0, 0.0, 0.0, 2.0], at_zero="unbounded").tolist()
    [inf, nan, -inf, -1.5]
    """
    if at_zero not in ("nan", "unbounded"):
        raise ValueError(f"at_zero must be 'nan' or 'unbounded', not {at_zero!r}")
    num, den = np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float)
    nonzero = den != 0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        quotient = num / np.where(nonzero, den, 1.0)
        fill = np.nan if at_zero == "nan" else np.inf * np.sign(num)
        return np.where(nonzero, quotient, fill)


def plain(value: ArrayLike) -> float | np.ndarray:
    """A number as a Python float (a 0-d array included); arrays of draws as float arrays."""
    array = np.asarray(value, dtype=float)
    return float(array) if array.ndim == 0 else array


#: Significant digits kept in chart data. Charts and their tooltips show at most four, and
#: six keep any real change to a model (0.01% and up) visible to a strict notebook
#: comparison, while the last-bit differences between CPUs (numpy's SIMD kernels, about
#: 1e-15 relative) never reach them.
CHART_DIGITS = 6


#: Below this size a float in chart data is taken as zero: a difference of two nearly equal
#: numbers (a Sobol index of a driver that does not matter) is noise around 1e-16 whose sign
#: differs between CPUs.
CHART_ZERO = 1e-12


def round_significant(value: Any, digits: int = CHART_DIGITS) -> Any:
    """A float rounded to ``digits`` significant digits (0.0 below :data:`CHART_ZERO`); others as given."""
    if isinstance(value, float) and math.isfinite(value):
        return 0.0 if abs(value) < CHART_ZERO else float(f"{value:.{digits}g}")
    return value
