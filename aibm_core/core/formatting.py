"""Numbers for people: one formatter for every table, card, chart label and report.

Every figure the workbook shows goes through :func:`format_value`, which reads the unit:

- money (a unit starting ``USD``, or ``$``): ``$60M``, ``$1.2B``, ``$12,345``, ``$3.00``,
  ``$0.035`` and, below a cent, three significant digits (``$0.00260``); zero is ``$0``;
- fractions and shares: percentages, ``50.0%`` (``5.0% per month`` keeps the rest of the unit);
- durations in months or years: ``14.2 months``; an infinite one is ``never``;
- ratios: ``4.5×``; counts and everything else: ``12,345 customers``, ``1.2M tokens per day``
  (zero is ``0``).

Not finite: ``never`` (an infinite duration), ``unbounded`` / ``-unbounded`` and ``n/a`` (NaN).
Digits come from Babel's number patterns in one locale (:data:`LOCALE`), so the output is the
same on every machine and never in scientific notation.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from numbers import Real
from typing import Any

import pandas as pd
from babel.numbers import format_decimal, format_percent

#: Locale of every formatted number (thousands separator ``,``, decimal point ``.``).
LOCALE = "en_US"

#: Magnitudes below this are rounding noise and shown as zero (e.g. ``2.8e-11`` USD left over
#: from a subtraction), so no table prints a string of zeros.
NOISE = 1e-9

#: First words of the units of things counted one by one (``customers``, ``GPUs per month``):
#: shown as whole numbers, however the model's continuous arithmetic left them.
COUNT_WORDS = frozenset(
    {
        "GPUs",
        "GPU-hours",
        "announcements",
        "calls",
        "contracts",
        "contributors",
        "customers",
        "developers",
        "downloads",
        "leads",
        "pieces",
        "seats",
        "signups",
        "stars",
        "subscriptions",
        "tasks",
        "tokens",
        "units",
        "users",
        "views",
    }
)
#: Compact suffixes of large amounts, largest first.
_SCALES = ((1e12, "T"), (1e9, "B"), (1e6, "M"))

#: Unit prefixes of money (the rest of the unit is kept: ``USD per month`` -> ``$3.00 per month``).
_MONEY = ("USD", "$")
#: Unit prefixes of fractions, shown as percentages.
_FRACTION = ("fraction", "share")
#: Units of durations, which may be infinite ("never").
_DURATION = ("months", "years", "days")


def format_value(value: Any, unit: str = "") -> str:
    """Format one figure for reading, according to its unit.

    Parameters
    ----------
    value
        The figure, in ``unit``; ``None`` gives ``""``. A bool or a text (a switch or a
        choice among the assumptions) is shown as ``on`` / ``off`` or as written.
    unit
        Its unit, e.g. ``"USD per 1M tokens"``, ``"fraction per month"``, ``"months"``.

    Returns
    -------
    str
        E.g. ``"$60M per month"``, ``"5.0% per month"``, ``"never"``, ``"12,345 customers"``.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, str):
        return value
    number = float(value)
    if not math.isfinite(number):
        return _non_finite(number, unit)
    if abs(number) < NOISE:
        number = 0.0
    if unit.startswith(_FRACTION):
        return _with_rest(format_percentage(number), unit, _FRACTION)
    if unit.startswith(_MONEY):
        return _with_rest(format_money(number), unit, _MONEY)
    if unit == "month":  # a month of the projection, e.g. the snapshot month
        return f"month {format_count(number)}"
    if unit == "ratio":
        return f"{_decimal(number, 2)}×"
    if unit.startswith(_DURATION):
        return f"{_decimal(number, 1)} {unit}"
    return f"{format_count(number)} {unit}".strip()


def format_bare(value: Any, unit: str = "") -> str:
    """A value formatted as by :func:`format_value` without the words of its unit.

    For tables whose row label already names the unit: ``$37.76M`` for ``USD per month``,
    ``3.0%`` for ``fraction per month``, ``12,345`` for ``customers``, ``never`` for an
    infinite number of months.
    """
    text = format_value(value, unit)
    rest = _rest_of_unit(unit)
    return text[: -len(rest)] if rest and text.endswith(rest) else text


#: Babel patterns by size, largest first: (smallest size, pattern); below the last, three
#: significant digits; from a million up, :func:`_compact`.
_MONEY_PATTERNS = ((100.0, "#,##0"), (1.0, "#,##0.00"), (0.01, "0.00#"))
_COUNT_PATTERNS = ((100.0, "#,##0"), (0.01, "0.##"))


def _magnitude(size: float, patterns: tuple[tuple[float, str], ...], zero: str) -> str:
    """A non-negative number written with the first of ``patterns`` its size reaches."""
    if size >= 1e6:
        return _compact(size)
    if size == 0:
        return format_decimal(size, format=zero, locale=LOCALE)
    pattern = next((pattern for floor, pattern in patterns if size >= floor), "@@@")
    return format_decimal(size, format=pattern, locale=LOCALE)


def format_money(value: float) -> str:
    """An amount in US dollars: compact from a million, whole dollars from 100, cents below.

    Below one cent three significant digits are kept, so a cost per request never rounds to
    ``$0.00``; below a dollar up to three significant digits (``$0.035``). Zero (or rounding
    noise below :data:`NOISE`) is ``$0``: no cents claimed for nothing.

    Parameters
    ----------
    value
        Amount (USD), finite.

    Returns
    -------
    str
        E.g. ``"$1.2B"``, ``"$60M"``, ``"$12,345"``, ``"$3.00"``, ``"$0.06"``, ``"$0.00260"``,
        ``"$0"``.
    """
    text = _magnitude(abs(value), _MONEY_PATTERNS, zero="#,##0")
    return f"-${text}" if value < 0 and text.strip("0.,") else f"${text}"


def format_percentage(value: float) -> str:
    """A fraction as a percentage with one decimal (two significant digits when below 0.1%).

    Parameters
    ----------
    value
        Fraction (0.5 is 50%), finite.

    Returns
    -------
    str
        E.g. ``"50.0%"``, ``"-3.2%"``, ``"0.040%"``.
    """
    pattern = "@@%" if 0 < abs(value) < 0.001 else "#,##0.0%"
    text = format_percent(value, format=pattern, locale=LOCALE)
    return "0.0%" if text in ("-0.0%", "-0%") else text


def format_count(value: float) -> str:
    """A count or plain quantity: compact from a million, thousands separators below.

    Parameters
    ----------
    value
        Any finite number (customers, tokens, GPUs, MW...).

    Returns
    -------
    str
        E.g. ``"1.2M"``, ``"12,345"``, ``"4.5"``, ``"0.00123"``; never scientific notation.
    """
    text = _magnitude(abs(value), _COUNT_PATTERNS, zero="0.##")
    return f"-{text}" if value < 0 and text.strip("0.,") else text


def format_range(low: Any, high: Any, unit: str = "") -> str:
    """``"low to high"`` in a unit, e.g. ``"$1.2M to $2.5M per month"`` (the unit said once)."""
    low_text, high_text = format_value(low, unit), format_value(high, unit)
    rest = _rest_of_unit(unit)
    if rest and low_text.endswith(rest) and high_text.endswith(rest):
        return f"{low_text[: -len(rest)]} to {high_text}"
    return f"{low_text} to {high_text}"


def format_spread(low: Any, high: Any, unit: str = "", label: str = "P10-P90") -> str:
    """``"P10-P90 low to high"`` in a unit, or ``""`` when both ends read the same.

    Where the draws give no spread at the precision shown (a point scenario, or ranges that do
    not move this figure), the figure is its point value, shown on its own: never "a to a".

    Parameters
    ----------
    low, high
        The ends (e.g. the 10th and 90th percentiles), in ``unit``.
    unit
        Unit of both ends (:func:`format_value`).
    label
        What the ends are, written before them.
    """
    if format_value(low, unit) == format_value(high, unit):
        return ""
    return f"{label} {format_range(low, high, unit)}"


def format_frame(
    frame: pd.DataFrame,
    units: Mapping[str, str] | pd.Series | str | None = None,
    unit_column: str = "unit",
    keep_unit: bool = False,
) -> pd.DataFrame:
    """Every value of a table formatted for reading, with the unit of each row.

    Parameters
    ----------
    frame
        Values to format; a column named ``unit_column``, when present, gives each row's unit.
    units
        Instead of (or before) that column: one unit for the whole table, or a unit per row
        label (a mapping or a series indexed like ``frame``).
    unit_column
        Name of the unit column.
    keep_unit
        Keep the unit column in the result (dropped by default: the values carry their unit).

    Returns
    -------
    pandas.DataFrame
        The same shape (less the unit column), every cell a string.
    """
    values = frame.drop(columns=[unit_column]) if unit_column in frame.columns else frame
    if isinstance(units, str):
        row_units = pd.Series(units, index=frame.index)
    elif units is not None:
        row_units = pd.Series([units.get(label, "") for label in frame.index], index=frame.index)
    elif unit_column in frame.columns:
        row_units = frame[unit_column].fillna("").astype(str)
    else:
        row_units = pd.Series("", index=frame.index)
    rows = zip(values.to_numpy(dtype=object), row_units, strict=True)
    out = pd.DataFrame(
        [[format_value(_cell(v), unit) for v in row] for row, unit in rows],
        index=values.index,
        columns=values.columns,
    )
    if keep_unit:
        out[unit_column] = row_units.to_numpy()
    return out


def _cell(value: Any) -> Any:
    """A table cell as format_value takes it: NaN-like missing values as NaN, numbers as floats."""
    if isinstance(value, bool | str) or value is None:
        return value
    if isinstance(value, Real):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def _compact(size: float) -> str:
    """A non-negative amount of at least a million as ``1.2M``, ``60M``, ``3.45B``, ``1T``."""
    for limit, suffix in _SCALES:
        if round(size / limit, 2) >= 1:
            return format_decimal(size / limit, format="#,##0.##", locale=LOCALE) + suffix
    return format_decimal(size, format="#,##0", locale=LOCALE)


def _decimal(value: float, digits: int) -> str:
    """A number with at most ``digits`` decimals (trailing zeros dropped), thousands separated."""
    return format_decimal(value, format="#,##0." + "#" * digits, locale=LOCALE)


def _rest_of_unit(unit: str) -> str:
    """What follows a money or fraction prefix in a unit, e.g. ``" per month"``."""
    for prefix in (*_MONEY, *_FRACTION):
        if unit.startswith(prefix):
            return unit[len(prefix) :]
    return f" {unit}" if unit else ""


def _with_rest(text: str, unit: str, prefixes: tuple[str, ...]) -> str:
    """A formatted amount followed by the unit less its prefix (``$3.00`` + `` per month``)."""
    prefix = next(p for p in prefixes if unit.startswith(p))
    return text + unit[len(prefix) :]


def _non_finite(value: float, unit: str) -> str:
    """``never`` for a duration that never ends, ``unbounded`` for other infinities, ``n/a`` for NaN."""
    if math.isnan(value):
        return "n/a"
    if value > 0 and unit.startswith(_DURATION):
        return "never"
    return "unbounded" if value > 0 else "-unbounded"


def is_count(unit: str) -> bool:
    """Whether ``unit`` counts whole things (customers, GPUs, units per month), per :data:`COUNT_WORDS`.

    A unit per another thing (``tokens per customer per month``) is an intensity, not a count:
    only ``per`` a period (month, day, quarter, year) keeps it a count.
    """
    words = unit.split()
    if not words or words[0] not in COUNT_WORDS:
        return False
    pers = [words[i + 1] for i, word in enumerate(words[:-1]) if word == "per"]
    return all(per in ("second", "minute", "hour", "day", "week", "month", "quarter", "year") for per in pers)
