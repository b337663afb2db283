"""Drivers over time: a schedule gives a driver one value per month or per quarter.

A scenario file may give a driver (a price path, a capacity plan, a hiring plan) as a schedule
instead of one number::

    on_demand_price_per_gpu_hour: {schedule: [2.99, 2.89, 2.79, 2.69], by: quarter}
    api_list_price: {schedule: prices.csv}      # a CSV file next to the YAML file

``by`` is ``month`` (default) or ``quarter``; quarter ``q`` covers months ``3q − 2 .. 3q``. A CSV
schedule has the header ``month,value`` (or ``quarter,value``) and one row per period, numbered
from 1 without gaps or repeats. A schedule may be shorter than the projection: it then holds its
last value for every later month (and beyond the horizon, where a lifetime value looks). It may not
be longer than the horizon. Each value must lie in the driver's valid range.

The schedule becomes a monthly path (:class:`~aibm_core.core.linked.LinkedInput` with
``kind="schedule"``) that the model reads month by month, exactly as it reads a linked driver.
Only drivers declared ``schedule=True`` (:func:`aibm_core.core.params.assumption`) can take one:
prices, capacity and volume plans, headcount and fixed-cost plans whose formula is per month
(never a compounding growth rate).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from aibm_core.core.yaml_loading import echo, shorten

#: The key that makes a mapping a schedule.
SCHEDULE = "schedule"
#: Keys a schedule mapping may hold (``file``: the CSV it was read from, added when read).
SCHEDULE_KEYS = (SCHEDULE, "by", "file")
#: Months in each period a schedule may be given by.
PERIODS = {"month": 1, "quarter": 3}
#: Largest CSV schedule read (bytes): ten years by month is a few hundred bytes.
MAX_CSV_BYTES = 100_000


class ScheduleError(ValueError):
    """A schedule that cannot be read; the message is one line saying what is allowed."""


def is_schedule(raw: Any) -> bool:
    """Whether a parameter file's value is a schedule (a mapping with a ``schedule`` key)."""
    return isinstance(raw, Mapping) and SCHEDULE in raw


def read_csv(path: Path) -> tuple[list[float], str]:
    """The values and period (``month`` or ``quarter``) of a CSV schedule.

    Raises
    ------
    ScheduleError
        Naming the file (and row): missing or unreadable, not UTF-8, a header other than
        ``month,value`` or ``quarter,value``, a row that is not two numbers, a period that is not
        the next one (a gap or a repeat), or no rows.
    """
    path = Path(path)
    try:
        if not path.is_file():
            what = "is not a regular file" if path.exists() else "does not exist"
            raise ScheduleError(f"schedule file {path} {what}; expected a CSV file of month,value rows")
        if path.stat().st_size > MAX_CSV_BYTES:
            raise ScheduleError(f"schedule file {path} is larger than {MAX_CSV_BYTES:,} bytes")
        text = path.read_bytes().decode("utf-8").removeprefix("\ufeff")
    except OSError as error:
        raise ScheduleError(f"schedule file {path} cannot be read ({error.strerror})") from None
    except UnicodeDecodeError:
        raise ScheduleError(f"schedule file {path} is not UTF-8 text; save it as UTF-8") from None
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    header = [cell.strip().lower() for cell in rows[0]] if rows else []
    if len(header) != 2 or header[0] not in PERIODS or header[1] != "value":
        raise ScheduleError(
            f"schedule file {path}: header {echo(','.join(header))} is not allowed; "
            "expected month,value or quarter,value"
        )
    period = header[0]
    values = []
    for number, row in enumerate(rows[1:], start=2):
        where = f"schedule file {path}, row {number}"
        cells = [cell.strip() for cell in row]
        try:
            index, value = (float(cell) for cell in cells) if len(cells) == 2 else (math.nan, math.nan)
        except ValueError:
            index = value = math.nan
        if not (math.isfinite(index) and math.isfinite(value)):
            raise ScheduleError(
                f"{where}: {echo(','.join(cells))} is not allowed; expected two numbers: {period},value"
            )
        expected = len(values) + 1
        if index != expected:
            why = "a repeat" if index < expected else "a gap"
            raise ScheduleError(
                f"{where}: {period} {shorten(cells[0], 20)} is {why}; expected {period} {expected} "
                f"({period}s are numbered 1, 2, 3, ... without gaps or repeats)"
            )
        values.append(value)
    if not values:
        raise ScheduleError(f"schedule file {path} has no rows; expected {period},value rows from {period} 1")
    return values, period


def inline(raw: Mapping[str, Any], folder: Path) -> dict[str, Any]:
    """A schedule with its CSV file (named in ``schedule``, next to the YAML file) read into it.

    A schedule that already lists its values is returned as it is (a copy). The CSV's period
    header sets ``by``; the file's path is kept as ``file`` for reports and messages.

    Raises
    ------
    ScheduleError
        If the file name is not a plain name of a ``.csv`` file in ``folder``, or the file cannot
        be read (:func:`read_csv`).
    """
    out = dict(raw)
    name = raw.get(SCHEDULE)
    if not isinstance(name, str):
        return out
    if not name.endswith(".csv") or Path(name).name != name or name.startswith("."):
        raise ScheduleError(
            f"schedule {echo(name)} is not allowed; expected a list of numbers or the name of a .csv "
            "file next to the parameter file (month,value or quarter,value rows)"
        )
    path = Path(folder) / name
    if path.is_symlink():
        raise ScheduleError(f"schedule file {path} is a symbolic link; copy the file in")
    values, period = read_csv(path)
    if "by" in raw and raw["by"] != period:
        raise ScheduleError(
            f"schedule file {path} is by {period} (its header) but the file says by: {echo(raw['by'])}; "
            "remove by: or make them agree"
        )
    out.update({SCHEDULE: values, "by": period, "file": str(path)})
    return out


def monthly_path(
    raw: Mapping[str, Any],
    low: float | None,
    high: float | None,
    horizon: int | None,
    allowed: str = "a number",
) -> np.ndarray:
    """The monthly path a schedule gives (month 1 first), checked like a number of the driver.

    Parameters
    ----------
    raw
        The schedule mapping, its values listed (:func:`inline`).
    low, high
        Inclusive valid range of the driver (``None`` where unbounded).
    allowed
        What the driver allows, in words, for messages ("a number >= 0 (USD per GPU-hour)").
    horizon
        Months of the projection (``None``: no limit); a schedule may not be longer.

    Raises
    ------
    ScheduleError
        One line: an unknown key, a ``by`` other than month or quarter, no values, a value that
        is not a number or lies outside the valid range, or more months than the horizon.
    """
    unknown = [k for k in raw if k not in SCHEDULE_KEYS]
    if unknown:
        raise ScheduleError(
            f"unknown key {echo(unknown[0])} in a schedule; "
            "expected schedule: [values] and by: month or quarter"
        )
    by = raw.get("by", "month")
    if by not in PERIODS:
        raise ScheduleError(f"by: {echo(by)} is not allowed; expected month or quarter")
    values = raw[SCHEDULE]
    source = f" (from {raw['file']})" if "file" in raw else ""
    if isinstance(values, str):
        raise ScheduleError(
            f"schedule {echo(values)}: a CSV schedule is read from a parameter file's folder; "
            "here give the values as a list"
        )
    if not isinstance(values, list | tuple) or not values:
        raise ScheduleError(
            f"schedule {echo(values)} is not allowed; expected a list of numbers, one per {by}"
        )
    for i, value in enumerate(values, start=1):
        number = isinstance(value, int | float) and not isinstance(value, bool)
        inside = (
            number
            and math.isfinite(value)
            and (low is None or value >= low)
            and (high is None or value <= high)
        )
        if not inside:
            raise ScheduleError(f"{by} {i}: value {echo(value)}{source} is not allowed; expected {allowed}")
    months = len(values) * PERIODS[by]
    if horizon is not None and months > horizon:
        raise ScheduleError(
            f"schedule of {len(values)} {by}s{f' ({months} months)' if by != 'month' else ''}{source} "
            f"is longer than horizon_months "
            f"{horizon}; expected at most {horizon // PERIODS[by]} {by}s"
        )
    return np.repeat(np.asarray(values, dtype=float), PERIODS[by])
