"""Calibration: fit chosen drivers of a model so that its figures match known values.

A targets file lists figures someone has measured or reported (revenue in month 12 from a
filing, a gross margin from an earnings call) with a tolerance and a source. :func:`calibrate`
moves the chosen drivers, each inside its valid range, until the model's figures match them in
the least-squares sense (:func:`scipy.optimize.least_squares`, residuals in units of each
target's tolerance), then reads the Jacobian at the solution to say which targets pin which
drivers and which drivers the targets cannot pin (a driver that moves no target, or drivers
that only the product or sum of which the targets see). :func:`write_overlay` writes the fitted
values as a scenario overlay, each with the targets it was calibrated to.

A target names one figure of the model:

* a statement series (:data:`~aibm_core.models.base.STATEMENT_SERIES`: ``revenue``,
  ``cost_of_revenue``, ``gross_profit``, ``operating_expenses``, ``operating_profit``,
  ``capex``, ``volume``, ``north_star``) or a statement ratio (``gross_margin``,
  ``operating_margin``, ``capital_intensity``) in a given month, 1-based (default: the
  snapshot month);
* or a key figure of the model (any key of ``spec.kpis``, e.g. ``break_even_utilisation``),
  read in the snapshot month (give no month, or the snapshot month).

Instead of one month, a target may give ``months: a-b`` (1-based, inclusive): a flow
(:data:`FLOWS`: revenue, costs, profits, capex) is then summed over months a..b, in USD, and a
ratio is computed from the summed parts (gross margin = Σ gross profit / Σ revenue; operating
margin and capital intensity likewise, :data:`RATIO_PARTS`), so that an annual figure from a
filing is compared with the model's twelve months.

Its tolerance is absolute (a number, in the figure's unit) or relative to the target (text
ending in ``%``, e.g. ``"1%"``); without one it is :data:`DEFAULT_TOLERANCE`.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lazy_loader as lazy
import numpy as np

from aibm_core.analysis import stack
from aibm_core.analysis.scenarios import name_problem
from aibm_core.core.formatting import format_value
from aibm_core.core.numeric import ratio
from aibm_core.core.params import ModelParams, ParameterError, Problem, assumption_unit, bounds, read_yaml
from aibm_core.core.yaml_loading import echo, shorten
from aibm_core.models.base import STATEMENT_SERIES, ModelSpec

optimize = lazy.load("scipy.optimize", suppress_warning=True)

#: Statement ratios a target may name by month, with their units.
RATIOS: dict[str, str] = {
    "gross_margin": "fraction",
    "operating_margin": "fraction",
    "capital_intensity": "ratio",
}
#: Statement series that are flows (USD per month): a ``months`` range sums them.
FLOWS = ("revenue", "cost_of_revenue", "gross_profit", "operating_expenses", "operating_profit", "capex")
#: Each ratio as (numerator, denominator) flows: over a ``months`` range, the ratio of the sums.
RATIO_PARTS: dict[str, tuple[str, str]] = {
    "gross_margin": ("gross_profit", "revenue"),
    "operating_margin": ("operating_profit", "revenue"),
    "capital_intensity": ("capex", "revenue"),
}
#: Tolerance of a target that gives none: 1% of its value.
DEFAULT_TOLERANCE = "1%"
#: Columns of a targets CSV, in order.
CSV_COLUMNS = ("figure", "month", "value", "tolerance", "source")
#: Keys of a target in a targets YAML (``figure`` and ``value`` required); a CSV may have a
#: ``months`` column too.
TARGET_KEYS = (*CSV_COLUMNS, "months")
#: Top-level keys of a targets YAML (``targets`` required).
FILE_KEYS = ("targets", "model")
#: Largest targets file read (bytes).
MAX_BYTES = 1_000_000
#: Convergence tolerances of the least-squares solver (on cost, step and gradient).
SOLVER_TOLERANCE = 1e-12
#: A scaled Jacobian column (residual change, in tolerances, for a change of the driver by its
#: scale) of a norm below this: the driver moves no target.
FLAT = 1e-6
#: A singular value of the scaled Jacobian below this (absolute, in tolerances per scale) or
#: below :data:`WEAK_RELATIVE` times the largest: the targets do not pin that direction.
WEAK_ABSOLUTE = 1e-3
WEAK_RELATIVE = 1e-6
#: A driver takes part in an unpinned direction when its weight in it is at least this.
DIRECTION_WEIGHT = 0.1
#: A target pins a driver when it carries at least this share of the driver's sensitivity
#: (squared column norm); at most :data:`MAX_PINS` targets are named per driver.
PIN_SHARE = 0.1
MAX_PINS = 3
#: Residual (in tolerances) given to a figure the model cannot compute (NaN) at a trial point.
UNDEFINED_RESIDUAL = 1e6


@dataclass(frozen=True)
class Target:
    """One figure the model should reproduce.

    Attributes
    ----------
    figure
        A statement series or ratio, or a KPI key of the model (see the module docstring).
    month
        1-based month, or ``None``: the snapshot month.
    value
        The known value, in the figure's unit (USD per month for the statement's flows).
    tolerance
        How far the model may be from ``value`` and still match it: absolute, in the figure's
        unit, or a fraction of ``|value|`` when ``relative``.
    relative
        Whether ``tolerance`` is relative to the value.
    source
        Where the value comes from (a filing, a call, a press release).
    key
        Where the target sits in its file (``targets[2]`` or ``row 3``), for messages.
    months
        ``(first, last)``, 1-based and inclusive, for a figure over a span of months (a flow
        summed, a ratio of summed flows), or ``None`` (``month`` says which month).
    """

    figure: str
    month: int | None
    value: float
    tolerance: float
    relative: bool
    source: str = ""
    key: str = ""
    months: tuple[int, int] | None = None

    @property
    def scale(self) -> float:
        """The tolerance in the figure's unit (absolute)."""
        return self.tolerance * abs(self.value) if self.relative else self.tolerance

    @property
    def label(self) -> str:
        """``revenue@12``, ``revenue@1-12`` or ``gross_margin`` (a KPI read in the snapshot month)."""
        if self.months is not None:
            return f"{self.figure}@{self.months[0]}-{self.months[1]}"
        return self.figure if self.month is None else f"{self.figure}@{self.month}"

    @property
    def tolerance_text(self) -> str:
        """The tolerance as written: ``1%`` or the absolute number."""
        return f"{self.tolerance * 100:g}%" if self.relative else f"{self.tolerance:g}"


@dataclass(frozen=True)
class FittedDriver:
    """A driver the calibration moved.

    Attributes
    ----------
    name, unit
        The driver and its unit.
    before, after
        Its value in the scenario and its fitted value (in ``unit``).
    low, high
        Its valid range (``None`` where unbounded).
    """

    name: str
    unit: str
    before: float
    after: float
    low: float | None
    high: float | None

    @property
    def at_bound(self) -> str | None:
        """``"low"`` or ``"high"`` when the fitted value sits on that end of the valid range."""
        for side, end in (("low", self.low), ("high", self.high)):
            if end is not None and math.isclose(self.after, end, rel_tol=1e-9, abs_tol=1e-12):
                return side
        return None


@dataclass(frozen=True)
class TargetFit:
    """A target and what the calibrated model gives for it.

    Attributes
    ----------
    target
        The target.
    unit
        The figure's unit.
    modelled
        The figure of the calibrated model (in ``unit``).
    residual
        ``(modelled - target) / scale``: the miss in tolerances (``|residual| <= 1`` matches).
    """

    target: Target
    unit: str
    modelled: float
    residual: float

    @property
    def within(self) -> bool:
        """Whether the modelled figure is within the target's tolerance."""
        return bool(np.isfinite(self.residual) and abs(self.residual) <= 1.0 + 1e-9)


@dataclass(frozen=True)
class Calibration:
    """The outcome of :func:`calibrate`.

    Attributes
    ----------
    model
        The model's name.
    drivers
        The fitted drivers, in the order asked.
    targets
        Each target with its modelled value and residual.
    warnings
        One line each: drivers the targets do not pin, drivers stopped at a bound, a solver
        that did not converge.
    pins
        Driver -> the targets that pin it most, each with its share of the driver's sensitivity.
    sensitivity
        Scaled Jacobian at the solution (targets × drivers): the change of each residual, in
        tolerances, for a change of each driver by its scale.
    singular_values
        Singular values of ``sensitivity``, largest first.
    cut_links
        Drivers whose link to a seller the calibration cut (a fitted driver, or its companion,
        was linked): the fitted model uses the scenario's own values there, as the overlay does.
    solver_message
        What the solver said when it stopped.
    evaluations
        Model evaluations used.
    """

    model: str
    drivers: tuple[FittedDriver, ...]
    targets: tuple[TargetFit, ...]
    warnings: tuple[str, ...]
    pins: dict[str, tuple[tuple[str, float], ...]] = field(default_factory=dict)
    sensitivity: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    singular_values: np.ndarray = field(default_factory=lambda: np.zeros(0))
    cut_links: tuple[str, ...] = ()
    solver_message: str = ""
    evaluations: int = 0

    @property
    def values(self) -> dict[str, float]:
        """Fitted value of each driver, by name."""
        return {d.name: d.after for d in self.drivers}

    @property
    def matched(self) -> bool:
        """Whether every target is within its tolerance."""
        return all(t.within for t in self.targets)


# --------------------------------------------------------------------------- targets files


def read_targets(path: Path) -> list[Target]:
    """Read a targets file: YAML (``targets:`` a list of mappings) or CSV (:data:`CSV_COLUMNS`).

    A YAML file reads::

        model: ai_infrastructure        # optional: the model the targets are for
        targets:
          - {figure: revenue, month: 12, value: 33000000, tolerance: "1%", source: "FY report"}
          - {figure: gross_margin, value: 0.25, tolerance: 0.005, source: "earnings call"}

    a CSV file has the header ``figure,month,value,tolerance,source`` (empty month: the
    snapshot month; empty tolerance: :data:`DEFAULT_TOLERANCE`).

    Parameters
    ----------
    path
        The file; ``.csv`` is read as CSV, anything else as YAML.

    Returns
    -------
    list of Target
        In file order. Whether each figure and month exist for a model is checked by
        :func:`target_problems` (the file does not say which model it is for).

    Raises
    ------
    ParameterError
        One line per problem, naming the file and the target's key: a file that cannot be read,
        a missing or unknown key or column, a month that is not a positive integer, a value or
        tolerance that is not a finite number, a tolerance that is not positive, a relative
        tolerance of a zero target, no targets.
    """
    path = Path(path)
    source = str(path)
    if path.suffix.lower() == ".csv":
        rows = csv_rows(path)
    else:
        content = read_yaml(path)
        problems = [
            Problem(source, key, f"unknown key; expected {' or '.join(FILE_KEYS)}")
            for key in content
            if key not in FILE_KEYS
        ]
        raw = content.get("targets")
        if not isinstance(raw, list) or not raw:
            problems.append(
                Problem(
                    source, "targets", f"{echo(raw)} is not allowed; expected a non-empty list of targets"
                )
            )
        model = content.get("model")
        if model is not None and not isinstance(model, str):
            problems.append(Problem(source, "model", f"{echo(model)} is not allowed; expected a model name"))
        if problems:
            raise ParameterError(problems)
        rows = [(f"targets[{i}]", item) for i, item in enumerate(raw, start=1)]
    return parsed_rows(rows, target_from, source, "no targets; add a row under the header")


def parsed_rows(
    rows: Sequence[tuple[str, Any]],
    parse: Callable[[Any, str, str], tuple[Any, list[Problem]]],
    source: str,
    empty: str,
) -> list[Any]:
    """Every row read by ``parse(row, key, source)``, or one error listing every row's problems.

    Raises
    ------
    ParameterError
        With each row's problems, or ``empty`` when there is no row.
    """
    items, problems = [], []
    for key, row in rows:
        item, found = parse(row, key, source)
        problems += found
        if item is not None:
            items.append(item)
    if not rows:
        problems.append(Problem(source, "", empty))
    if problems:
        raise ParameterError(problems)
    return items


def targets_model(path: Path) -> str | None:
    """The ``model:`` a YAML targets file names (``None`` when it names none, or for a CSV)."""
    if Path(path).suffix.lower() == ".csv":
        return None
    model = read_yaml(Path(path)).get("model")
    return model if isinstance(model, str) else None


def csv_rows(
    path: Path, columns: Sequence[str] = TARGET_KEYS, required: Sequence[str] = ("figure", "value")
) -> list[tuple[str, dict[str, Any]]]:
    """The rows of a CSV as mappings of their non-empty cells, each with its key (``row 2`` is the first).

    ``columns`` are the columns the header may name, ``required`` those it must name (a targets
    CSV by default; an actuals file, :mod:`aibm_core.analysis.actuals`, names its own).
    """
    source = str(path)
    try:
        if not path.is_file():
            raise ParameterError([Problem(source, "", "no such file (or not a regular file)")])
        if path.stat().st_size > MAX_BYTES:
            raise ParameterError([Problem(source, "", f"file larger than {MAX_BYTES:,} bytes")])
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ParameterError([Problem(source, "", "not UTF-8 text")]) from None
    except OSError as error:
        raise ParameterError([Problem(source, "", f"cannot read it: {error.strerror or error}")]) from None
    reader = csv.reader(io.StringIO(text))
    try:
        lines = list(reader)
    except csv.Error as error:
        raise ParameterError([Problem(source, "", f"not CSV: {error}")]) from None
    if not lines:
        raise ParameterError([Problem(source, "", f"empty file; expected the header {','.join(columns)}")])
    header = [h.strip() for h in lines[0]]
    problems = [
        Problem(source, h, f"unknown column; expected {', '.join(columns)}")
        for h in header
        if h not in columns
    ]
    problems += [
        Problem(source, c, f"missing column; the header names {', '.join(columns)}")
        for c in required
        if c not in header
    ]
    if problems:
        raise ParameterError(problems)
    rows = []
    for number, cells in enumerate(lines[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise ParameterError(
                [
                    Problem(
                        source,
                        f"row {number}",
                        f"{len(cells)} cells; expected {len(header)} (one per column)",
                    )
                ]
            )
        row = {h: c.strip() for h, c in zip(header, cells, strict=True) if c.strip() != ""}
        rows.append((f"row {number}", row))
    return rows


def target_from(
    row: Any, key: str, source: str, keys: Sequence[str] = TARGET_KEYS
) -> tuple[Target | None, list[Problem]]:
    """One target read from a YAML mapping or a CSV row, or the problems that stop it.

    ``keys`` are the keys a row may hold (a company case's disclosed figures add ``reason``
    and ``as_of``, read by :mod:`aibm_core.analysis.cases`).
    """
    if not isinstance(row, Mapping):
        return None, [
            Problem(source, key, f"{echo(row)} is not allowed; expected a mapping of {', '.join(keys)}")
        ]
    problems = [
        Problem(source, f"{key}.{k}", f"unknown key; expected one of {', '.join(keys)}")
        for k in row
        if k not in keys
    ]
    figure = row.get("figure")
    if not isinstance(figure, str) or not figure.strip():
        problems.append(
            Problem(source, f"{key}.figure", f"{echo(figure)} is not allowed; expected a figure's name")
        )
    month = row.get("month")
    if isinstance(month, str) and re.fullmatch(r"[0-9]+", month):
        month = int(month)
    if month is not None and (isinstance(month, bool) or not isinstance(month, int) or month < 1):
        problems.append(
            Problem(source, f"{key}.month", f"{echo(month)} is not allowed; expected a month number 1, 2, …")
        )
    months, why = parse_months(row.get("months"))
    if why:
        problems.append(Problem(source, f"{key}.months", why))
    elif months is not None and month is not None:
        why = f"give month ({echo(month)}) or months ({echo(row.get('months'))}), not both"
        problems.append(Problem(source, f"{key}.months", why))
    value = _number(row.get("value"))
    if value is None:
        problems.append(
            Problem(
                source, f"{key}.value", f"{echo(row.get('value'))} is not allowed; expected a finite number"
            )
        )
    tolerance, relative = _tolerance(row.get("tolerance", DEFAULT_TOLERANCE))
    if tolerance is None:
        why = (
            f"{echo(row.get('tolerance'))} is not allowed; "
            'expected a positive number (absolute) or a percentage such as "1%"'
        )
        problems.append(Problem(source, f"{key}.tolerance", why))
    elif relative and value == 0:
        why = "a relative tolerance of a zero target is zero; give an absolute tolerance (a number)"
        problems.append(Problem(source, f"{key}.tolerance", why))
    text = row.get("source", "")
    if not isinstance(text, str):
        problems.append(Problem(source, f"{key}.source", f"{echo(text)} is not allowed; expected text"))
    if problems:
        return None, problems
    assert isinstance(figure, str) and value is not None and tolerance is not None
    one_line = " ".join(str(text).split())
    return Target(figure.strip(), month, value, tolerance, relative, one_line, key, months), []


#: A span of months as written: ``1-12`` (spaces allowed around the dash).
MONTHS = re.compile(r"\s*([0-9]+)\s*[-–]\s*([0-9]+)\s*")


def parse_months(raw: Any) -> tuple[tuple[int, int] | None, str]:
    """``"1-12"`` -> ``((1, 12), "")``; ``None`` -> ``(None, "")``; else ``(None, why)``.

    The why is the message of a span that is not ``a-b`` with ``1 <= a <= b``.
    """
    if raw is None:
        return None, ""
    match = MONTHS.fullmatch(raw) if isinstance(raw, str) else None
    if match is None or not 1 <= int(match[1]) <= int(match[2]):
        return (
            None,
            f'{echo(raw)} is not allowed; expected a span of months "a-b" with 1 <= a <= b, e.g. "1-12"',
        )
    return (int(match[1]), int(match[2])), ""


def _number(raw: Any) -> float | None:
    """``raw`` as a finite float (a number, or the text of one in a CSV), else ``None``."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, str):
        try:
            raw = float(raw.replace("_", ""))
        except ValueError:
            return None
    if isinstance(raw, int | float) and math.isfinite(raw):
        return float(raw)
    return None


def _tolerance(raw: Any) -> tuple[float | None, bool]:
    """A tolerance and whether it is relative: ``"1%"`` -> ``(0.01, True)``, ``0.5`` -> ``(0.5, False)``."""
    relative = isinstance(raw, str) and raw.strip().endswith("%")
    number = _number(raw.strip()[:-1] if relative else raw)
    if number is None or number <= 0:
        return None, relative
    return (number / 100 if relative else number), relative


def figures_of(spec: ModelSpec, params: ModelParams) -> tuple[list[str], list[str]]:
    """The figures a target may name for a model: (statement series and ratios, KPI keys)."""
    kpis = list(spec.kpis(spec.compute(params)))
    return [*STATEMENT_SERIES, *RATIOS], kpis


def target_problems(
    spec: ModelSpec, params: ModelParams, targets: Sequence[Target], source: str = ""
) -> list[Problem]:
    """Problems of targets for one model: an unknown figure, a month outside the horizon, a KPI
    asked in another month than the snapshot month (``[]`` when there are none)."""
    series, kpis = figures_of(spec, params)
    horizon = int(params.horizon_months)
    snapshot = int(params.snapshot_month)
    problems = []
    if not targets:
        problems.append(Problem(source, "targets", "no targets"))
    for t in targets:
        if t.figure not in series and t.figure not in kpis:
            why = (
                f"unknown figure {echo(t.figure)}; expected a statement series or ratio "
                f"({', '.join(series)}) or a KPI of {spec.name} ({', '.join(kpis)})"
            )
            problems.append(Problem(source, f"{t.key}.figure", why))
        elif t.month is not None and not 1 <= t.month <= horizon:
            why = f"month {t.month} is outside the horizon; expected 1..{horizon}"
            problems.append(Problem(source, f"{t.key}.month", why))
        elif t.months is not None and t.months[1] > horizon:
            why = f"months {t.months[0]}-{t.months[1]} end outside the horizon; expected within 1..{horizon}"
            problems.append(Problem(source, f"{t.key}.months", why))
        elif t.months is not None and t.figure not in FLOWS and t.figure not in RATIO_PARTS:
            why = (
                f"{t.figure!r} over months {t.months[0]}-{t.months[1]}: only a flow "
                f"({', '.join(FLOWS)}) is summed over months, or a ratio of flows "
                f"({', '.join(RATIO_PARTS)}); give one month"
            )
            problems.append(Problem(source, f"{t.key}.months", why))
        elif t.figure not in series and t.month not in (None, snapshot):
            why = (
                f"month {t.month}: the KPI {t.figure!r} is read in the snapshot month ({snapshot}); "
                f"give no month, or name a statement series ({', '.join(series)})"
            )
            problems.append(Problem(source, f"{t.key}.month", why))
    seen: dict[tuple[str, Any], str] = {}
    for t in targets:
        where = (t.figure, t.months or t.month or snapshot)
        if where in seen and t.figure in series + kpis:
            why = f"{t.label} is also the target {seen[where]}; give each figure and month once"
            problems.append(Problem(source, t.key, why))
        seen.setdefault(where, t.key)
    return problems


# --------------------------------------------------------------------------- evaluation


def modelled(spec: ModelSpec, params: ModelParams, targets: Sequence[Target]) -> tuple[np.ndarray, list[str]]:
    """The model's value of each target's figure, and the figure's unit, on scalar parameters.

    A statement series is read in the target's month (default: the snapshot month), or summed
    over its ``months``; a ratio too (over ``months``, the ratio of the summed flows), unless
    the target gives no month and the model has a KPI of that name (the KPI is read then); any
    other figure is a KPI, read in the snapshot month.
    """
    values, units = figure_draws(spec, spec.compute(params), int(params.snapshot_month), targets)
    return values[:, 0].copy(), units


def figure_draws(
    spec: ModelSpec, result: Any, snapshot: int, targets: Sequence[Target]
) -> tuple[np.ndarray, list[str]]:
    """Each target's figure on every draw of a model result (as :func:`modelled` reads it).

    Parameters
    ----------
    spec
        The model.
    result
        ``spec.compute`` of scalar parameters (one draw) or of arrays of draws
        (:func:`aibm_core.analysis.uncertainty.monte_carlo`).
    snapshot
        The snapshot month (1-based).
    targets
        The figures to read.

    Returns
    -------
    tuple
        An array targets × draws (one column for scalar parameters), in each figure's unit, and
        the units (a flow summed over months is in USD, not USD per month).
    """
    statement = spec.statement(result)
    kpis = spec.kpis(result)
    months = np.shape(statement.series("revenue"))[-1]

    def rows(key: str) -> np.ndarray:
        return np.asarray(statement.series(key), dtype=float).reshape(-1, months)

    rows_out, units = [], []
    for t in targets:
        if t.figure in STATEMENT_SERIES or (
            t.figure in RATIOS and (t.month or t.months or t.figure not in kpis)
        ):
            values, unit = _statement_figure(statement, rows, t, snapshot)
        else:
            metric = kpis[t.figure]
            values, unit = np.asarray(metric.value, dtype=float).reshape(-1), metric.unit
        rows_out.append(values)
        units.append(unit)
    draws = max((len(r) for r in rows_out), default=1)
    return np.array([np.broadcast_to(r, (draws,)) for r in rows_out], dtype=float).reshape(-1, draws), units


def _statement_figure(statement: Any, rows: Any, t: Target, snapshot: int) -> tuple[np.ndarray, str]:
    """A statement series or ratio of one target, per draw: in a month, or over a span of months."""
    if t.months is not None:
        span = slice(t.months[0] - 1, t.months[1])
        if t.figure in RATIO_PARTS:
            top, bottom = RATIO_PARTS[t.figure]
            return ratio(rows(top)[:, span].sum(axis=1), rows(bottom)[:, span].sum(axis=1)), RATIOS[t.figure]
        return rows(t.figure)[:, span].sum(axis=1), STATEMENT_SERIES[t.figure][1].removesuffix(" per month")
    i = (t.month or snapshot) - 1
    if t.figure in RATIO_PARTS:
        top, bottom = RATIO_PARTS[t.figure]
        return ratio(rows(top)[:, i], rows(bottom)[:, i]), RATIOS[t.figure]
    special = {"volume": statement.volume_unit, "north_star": statement.north_star_unit}
    return rows(t.figure)[:, i], special.get(t.figure, STATEMENT_SERIES[t.figure][1])


def _drivers_problems(spec: ModelSpec, drivers: Sequence[str]) -> list[Problem]:
    schema = spec.params
    problems = []
    fitted = schema.names_with_role("driver")
    if not drivers:
        problems.append(Problem("", "--fit", f"no driver to fit; name one or more of: {', '.join(fitted)}"))
    for name in drivers:
        if name not in schema.model_fields:
            why = f"{echo(name)} is not an assumption of {spec.name}; drivers: {', '.join(fitted)}"
            problems.append(Problem("", "--fit", why))
        elif schema.role_of(name) != "driver" or schema.model_fields[name].annotation is not float:
            why = f"{name!r} is a {schema.role_of(name)}, not a numeric driver; drivers: {', '.join(fitted)}"
            problems.append(Problem("", "--fit", why))
    twice = sorted({n for n in drivers if list(drivers).count(n) > 1})
    problems += [Problem("", "--fit", f"{n!r} is named twice") for n in twice]
    return problems


def cut_for(spec: ModelSpec, params: ModelParams, drivers: Sequence[str]) -> ModelParams:
    """``params`` without the links an overlay setting ``drivers`` would cut.

    A scenario file that sets a linked driver, or a companion the link replaces, cuts that link
    (:mod:`aibm_core.analysis.stack`): the driver is then the scenario's own value again. The
    calibration evaluates the model that way, so that the overlay it writes reproduces it.
    """
    cut = {
        link.driver
        for link in stack.links_into(spec.name)
        if set(link.drivers) & set(drivers) and link.driver in params.linked
    }
    if not cut:
        return params
    return params.with_linked({k: v for k, v in params.linked.items() if k not in cut})


def calibrate(
    spec: ModelSpec, params: ModelParams, targets: Sequence[Target], drivers: Sequence[str], source: str = ""
) -> Calibration:
    """Fit ``drivers`` so that the model's figures match ``targets`` (least squares).

    The residual of a target is ``(model - target) / scale``, its miss in tolerances
    (:attr:`Target.scale`); :func:`scipy.optimize.least_squares` (trust region reflective)
    minimises their sum of squares with each driver inside its valid range
    (:func:`~aibm_core.core.params.bounds`), starting from the values in ``params`` and scaled
    by them. Each evaluation is one scalar ``spec.compute(params.vary(...))``.

    Parameters
    ----------
    spec
        The model.
    params
        Validated scalar parameters (ranges are ignored: their point values are used), with the
        scenario's links attached as a batch attaches them
        (:func:`aibm_core.analysis.results_cache.linked`). A link that a fitted driver (or its
        companion) is part of is cut, as the overlay :func:`write_overlay` writes would cut it.
    targets
        The figures to match (:func:`read_targets`).
    drivers
        Names of ``driver`` assumptions to fit; the others keep their values.
    source
        The targets file, for messages.

    Returns
    -------
    Calibration
        Fitted values, each target's modelled value and residual, and the identifiability
        warnings read from the Jacobian at the solution.

    Raises
    ------
    ParameterError
        One line per problem: a driver that is not a numeric driver of the model or is named
        twice, a target's unknown figure or month, a figure the model cannot compute at the
        starting point.
    """
    problems = _drivers_problems(spec, drivers) + target_problems(spec, params, targets, source)
    if problems:
        raise ParameterError(problems)
    schema = type(params)
    names = list(drivers)
    cut = sorted(set(params.linked) - set(cut_for(spec, params, names).linked))
    params = cut_for(spec, params, names)
    x0 = np.array([float(getattr(params, n)) for n in names])
    ends = [bounds(schema, n) for n in names]
    low = np.array([-np.inf if lo is None else lo for lo, _ in ends])
    high = np.array([np.inf if hi is None else hi for _, hi in ends])
    x0 = np.clip(x0, low, high)
    scale = np.array([_scale(v, lo, hi) for v, lo, hi in zip(x0, low, high, strict=True)])
    wanted = np.array([t.value for t in targets])
    tolerance = np.array([t.scale for t in targets])

    def figures(x: np.ndarray) -> np.ndarray:
        return modelled(spec, params.vary(**{n: float(v) for n, v in zip(names, x, strict=True)}), targets)[0]

    start = figures(x0)
    undefined = [t for t, v in zip(targets, start, strict=True) if not np.isfinite(v)]
    if undefined:
        raise ParameterError(
            [
                Problem(source, t.key, f"{t.label}: the model gives no finite value at the starting point")
                for t in undefined
            ]
        )
    count = [0]

    def residuals(x: np.ndarray) -> np.ndarray:
        count[0] += 1
        r = (figures(x) - wanted) / tolerance
        return np.where(np.isfinite(r), r, UNDEFINED_RESIDUAL)

    solution = optimize.least_squares(
        residuals,
        x0,
        bounds=(low, high),
        x_scale=scale,
        method="trf",
        ftol=SOLVER_TOLERANCE,
        xtol=SOLVER_TOLERANCE,
        gtol=SOLVER_TOLERANCE,
        max_nfev=200 * (len(names) + 1),
    )
    x = np.clip(solution.x, low, high)
    fitted_figures, units = modelled(
        spec, params.vary(**dict(zip(names, map(float, x), strict=True))), targets
    )
    residual = (fitted_figures - wanted) / tolerance
    fitted = tuple(
        FittedDriver(n, assumption_unit(schema, n), float(before), float(after), lo, hi)
        for n, before, after, (lo, hi) in zip(names, x0, x, ends, strict=True)
    )
    fits = tuple(
        TargetFit(t, u, float(m), float(r))
        for t, u, m, r in zip(targets, units, fitted_figures, residual, strict=True)
    )
    sensitivity = np.asarray(solution.jac, dtype=float) * scale[None, :]
    warnings, pins, singular = _identifiability(names, [t.label for t in targets], sensitivity)
    warnings += [
        f"{d.name} stopped at the {d.at_bound} end of its valid range ({format_value(d.after, d.unit)}): "
        "the targets pull it further"
        for d in fitted
        if d.at_bound is not None and not all(f.within for f in fits)
    ]
    if not solution.success:
        warnings.append(f"the solver stopped without converging: {solution.message}")
    return Calibration(
        model=spec.name,
        drivers=fitted,
        targets=fits,
        warnings=tuple(warnings),
        pins=pins,
        sensitivity=sensitivity,
        singular_values=singular,
        cut_links=tuple(cut),
        solver_message=str(solution.message),
        evaluations=count[0],
    )


def _scale(value: float, low: float, high: float) -> float:
    """The size of a driver's moves: its value, or a hundredth of its range when the value is 0."""
    if value != 0:
        return abs(value)
    if np.isfinite(low) and np.isfinite(high) and high > low:
        return (high - low) / 100
    return 1.0


def _identifiability(
    names: list[str], labels: list[str], sensitivity: np.ndarray
) -> tuple[list[str], dict[str, tuple[tuple[str, float], ...]], np.ndarray]:
    """Warnings for drivers the targets do not pin, the targets that pin each driver, singular values.

    ``sensitivity`` is the scaled Jacobian (targets × drivers). A column of norm below
    :data:`FLAT` is a driver that moves no target. Then each right-singular direction whose
    singular value is below :data:`WEAK_ABSOLUTE` or :data:`WEAK_RELATIVE` times the largest
    (a direction missing altogether when there are fewer targets than drivers) is a combination
    of drivers the targets leave free; the drivers weighing at least :data:`DIRECTION_WEIGHT`
    in it are named.
    """
    norms = np.linalg.norm(sensitivity, axis=0)
    flat = norms < FLAT
    warnings = [
        f"{names[j]} is not identified: it moves none of the targets ({', '.join(labels)}); "
        "its value stays where it started"
        for j in np.flatnonzero(flat)
    ]
    pins: dict[str, tuple[tuple[str, float], ...]] = {}
    for j, name in enumerate(names):
        if flat[j]:
            pins[name] = ()
            continue
        share = sensitivity[:, j] ** 2 / norms[j] ** 2
        order = [i for i in np.argsort(-share, kind="stable") if share[i] >= PIN_SHARE][:MAX_PINS]
        pins[name] = tuple((labels[i], float(share[i])) for i in order)
    live = np.flatnonzero(~flat)
    singular = np.linalg.svd(sensitivity, compute_uv=False) if sensitivity.size else np.zeros(0)
    if live.size:
        sub = sensitivity[:, live]
        _, s, vt = np.linalg.svd(sub, full_matrices=True)
        s = np.concatenate([s, np.zeros(len(live) - len(s))]) if len(s) < len(live) else s
        largest = s.max() if s.size else 0.0
        for k in range(len(live)):
            if s[k] >= max(WEAK_ABSOLUTE, WEAK_RELATIVE * largest):
                continue
            weights = np.abs(vt[k]) / np.abs(vt[k]).max()
            involved = [names[live[i]] for i in np.flatnonzero(weights >= DIRECTION_WEIGHT)]
            if len(involved) == 1:
                warnings.append(
                    f"{involved[0]} is not identified: the targets barely move with it "
                    f"(sensitivity {s[k]:.2g} tolerances per {100:.0f}% change)"
                )
            else:
                warnings.append(
                    f"{', '.join(involved[:-1])} and {involved[-1]} are not identified separately: "
                    "the targets pin only a combination of them "
                    "(add a target that moves one without the others)"
                )
    return warnings, pins, singular


def summary_tables(calibration: Calibration, scenario: str) -> tuple[Any, Any]:
    """Two :class:`rich.table.Table`: the fitted drivers (before → after, unit, the targets
    pinning each) and the targets (value ± tolerance, modelled, residual, within tolerance)."""
    from rich.table import Table  # only a printed summary needs rich
    from rich.text import Text

    drivers = Table(title=f"aibm calibrate {calibration.model} (from {_one_line(scenario)})")
    for column in ("driver", "before", "after", "unit", "pinned by"):
        drivers.add_column(column, overflow="fold")
    for d in calibration.drivers:
        pins = calibration.pins.get(d.name, ())
        pinned = ", ".join(f"{label} ({share:.0%})" for label, share in pins) or "nothing"
        drivers.add_row(d.name, f"{d.before:.6g}", f"{d.after:.6g}", d.unit, Text(pinned))
    targets = Table(title="targets")
    for column in ("target", "value", "modelled", "residual", "within tolerance", "source"):
        targets.add_column(column, overflow="fold")
    for f in calibration.targets:
        t = f.target
        # the labels and sources are the user's text: shown as they are, never read as markup
        targets.add_row(
            Text(_one_line(t.label)),
            f"{format_value(t.value, f.unit)} ± {t.tolerance_text}",
            format_value(f.modelled, f.unit),
            f"{f.residual:+.3g}",
            "[green]yes[/green]" if f.within else "[red]NO[/red]",
            Text(_one_line(t.source)),
        )
    return drivers, targets


# --------------------------------------------------------------------------- overlays

#: A scenario name :func:`write_overlay` accepts: a plain folder name.
OVERLAY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def check_overlay_name(parameters_dir: Path, name: str) -> None:
    """Refuse a new scenario name that is not a plain folder name, is too long, or is taken.

    Raises
    ------
    ParameterError
        One line naming ``--write`` (or the folder) and what is allowed.
    """
    if not OVERLAY_NAME.fullmatch(name):
        why = f"{echo(name)} is not allowed; expected a folder name of letters, digits, _, - and ."
        raise ParameterError([Problem("", "--write", why)])
    too_long = name_problem(Path(parameters_dir), name)
    if too_long is not None:
        raise ParameterError([too_long])
    folder = Path(parameters_dir) / name
    if folder.exists() or folder.is_symlink():
        why = "exists already; choose another name (it is never overwritten)"
        raise ParameterError([Problem(str(folder), "--write", why)])


def overlay_texts(
    scenario_name: str, model: str, calibration: Calibration, overlays: str, targets_path: Path
) -> dict[str, str]:
    """The files of a calibrated overlay: ``scenario.yaml`` and ``<model>.yaml``, by name."""
    listed = ", ".join(_target_text(f) for f in calibration.targets)
    fitted = ", ".join(d.name for d in calibration.drivers)
    description = f"{model} calibrated to {Path(targets_path).name} ({fitted}), over {overlays}"
    scenario = (
        f"description: {json.dumps(_one_line(description), ensure_ascii=False)}\n"
        f"overlays: {json.dumps(overlays, ensure_ascii=False)}\n"
    )
    lines = [
        f"# {model}: drivers fitted by `aibm calibrate` to {_one_line(str(targets_path))}; "
        f"every other value as in {overlays}.",
    ]
    for d in calibration.drivers:
        why = f"why: calibrated to {_one_line(str(targets_path))}: {listed}"
        lines.append(f"{d.name}: {yaml_number(d.after)}  # {_one_line(why)}")
    return {"scenario.yaml": scenario, f"{model}.yaml": "\n".join(lines) + "\n"}


def write_overlay(
    parameters_dir: Path,
    scenario_name: str,
    model: str,
    calibration: Calibration,
    overlays: str,
    targets_path: Path,
) -> Path:
    """Write the fitted drivers as a scenario overlay ``parameters_dir/scenario_name/``.

    The folder holds a ``scenario.yaml`` (a one-line description, ``overlays: <overlays>``) and
    ``<model>.yaml`` with only the fitted drivers, each with a ``# why: calibrated to ...``
    comment listing the targets. It is written into a hidden temporary folder beside it,
    validated there (it must load through :func:`~aibm_core.analysis.results.scenario_params`
    and give the fitted values), and renamed into place: no half-written folder is ever seen.

    Parameters
    ----------
    parameters_dir
        The folder of the scenario folders.
    scenario_name
        The new scenario's folder name (letters, digits, ``_``, ``-``, ``.``).
    model
        The calibrated model.
    calibration
        What :func:`calibrate` returned.
    overlays
        The scenario the calibration started from; the new one overlays it.
    targets_path
        The targets file, named in the comments.

    Returns
    -------
    Path
        The new scenario folder.

    Raises
    ------
    ParameterError
        If the name is not a plain folder name, or too long; the folder exists already (it is
        never overwritten); or the written overlay does not validate (nothing is left).
    """
    texts = overlay_texts(scenario_name, model, calibration, overlays, targets_path)

    def wrong(loaded: ModelParams) -> list[str]:
        return [d.name for d in calibration.drivers if float(getattr(loaded, d.name)) != d.after]

    return _write_folder(Path(parameters_dir), scenario_name, model, texts, wrong)


def _write_folder(
    parameters_dir: Path,
    scenario_name: str,
    model: str,
    texts: Mapping[str, str],
    wrong: Any,
) -> Path:
    """Write ``texts`` as the scenario folder ``scenario_name``: in a hidden temporary folder,
    validated there (``wrong(loaded params)`` lists the drivers that do not read back as meant),
    then renamed into place; nothing is left when anything fails."""
    from aibm_core.analysis.results import scenario_params

    folder = parameters_dir / scenario_name
    check_overlay_name(parameters_dir, scenario_name)
    temporary = Path(tempfile.mkdtemp(prefix=f".{scenario_name[:40]}.", suffix=".tmp", dir=parameters_dir))
    try:
        for name, text in texts.items():
            (temporary / name).write_text(text, encoding="utf-8")
            os.chmod(temporary / name, 0o644)
        os.chmod(temporary, 0o755)
        loaded = scenario_params(model, temporary.name, parameters_dir)
        missed = wrong(loaded)
        if missed:
            why = f"the written values of {', '.join(missed)} do not read back as fitted"
            raise ParameterError([Problem(str(folder / f"{model}.yaml"), "", why)])
        if folder.exists() or folder.is_symlink():  # someone else was quicker
            raise ParameterError([Problem(str(folder), "--write", "exists already; it is never overwritten")])
        os.rename(temporary, folder)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    return folder


def yaml_number(value: float) -> str:
    """A float as a plain YAML number that reads back exactly (``1e-05`` -> ``1.0e-05``)."""
    text = repr(float(value))
    if "e" not in text:
        return text
    mantissa, _, exponent = text.partition("e")
    if "." not in mantissa:
        mantissa += ".0"
    if exponent[:1] not in "+-":
        exponent = "+" + exponent
    return f"{mantissa}e{exponent}"


def _target_text(fit: TargetFit) -> str:
    t = fit.target
    where = f" ({shorten(t.source, 60)})" if t.source else ""
    return f"{t.label} = {format_value(t.value, fit.unit)} ± {t.tolerance_text}{where}"


def _one_line(text: str) -> str:
    """``text`` on one printable line (line breaks and control characters become spaces)."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


# --------------------------------------------------------------------------- calibrated ranges

#: Percentiles reported for each driver (prior and calibrated).
REPORTED = (10.0, 50.0, 90.0)
#: Percentiles a calibrated range is written with: a 90% interval and its median.
WRITTEN = (5.0, 50.0, 95.0)
#: An effective sample size below this many draws (or below :data:`SMALL_ESS_SHARE` of the
#: draws, whichever is smaller) is flagged: the calibrated ranges rest on too few draws.
SMALL_ESS = 100
SMALL_ESS_SHARE = 0.01


@dataclass(frozen=True)
class CalibratedRange:
    """A ranged driver before and after weighting the draws by the targets.

    Attributes
    ----------
    name, unit
        The driver and its unit.
    prior, calibrated
        P10, P50 and P90 of its draws, unweighted and weighted (in ``unit``).
    written
        P5, P50 and P95 of the weighted draws: the 90% interval and median an overlay writes.
    """

    name: str
    unit: str
    prior: tuple[float, float, float]
    calibrated: tuple[float, float, float]
    written: tuple[float, float, float]

    @property
    def narrowing(self) -> float:
        """Calibrated P10-P90 width over the prior's (1: unchanged, below 1: narrower)."""
        width = self.prior[2] - self.prior[0]
        return (self.calibrated[2] - self.calibrated[0]) / width if width > 0 else float("nan")


@dataclass(frozen=True)
class RangeCalibration:
    """The outcome of :func:`calibrate_ranges`.

    Attributes
    ----------
    model
        The model's name.
    ranges
        Each reported driver, prior and calibrated.
    targets
        The targets with the P10, P50 and P90 of their figure, prior and calibrated, and the unit.
    draws
        Number of Monte Carlo draws.
    effective_draws
        Effective sample size of the weights, ``(Σw)² / Σw²`` (``draws`` when every weight is equal).
    warnings
        One line each: a small effective sample size.
    """

    model: str
    ranges: tuple[CalibratedRange, ...]
    targets: tuple[tuple[Target, str, tuple[float, ...], tuple[float, ...]], ...]
    draws: int
    effective_draws: float
    warnings: tuple[str, ...] = ()


def weighted_percentiles(values: np.ndarray, weights: np.ndarray, percentiles: Sequence[float]) -> np.ndarray:
    """Percentiles of weighted draws (each draw's weight spread around its value; linear between).

    With equal weights this is the midpoint rule ``(i + ½) / n``; percentiles outside the first
    and last midpoints give the smallest and largest draw.
    """
    order = np.argsort(values, kind="stable")
    v = np.asarray(values, dtype=float)[order]
    w = np.asarray(weights, dtype=float)[order]
    cumulative = (np.cumsum(w) - w / 2) / w.sum()
    return np.interp(np.asarray(percentiles, dtype=float) / 100, cumulative, v)


def draw_weights(figures: np.ndarray, targets: Sequence[Target]) -> np.ndarray:
    """Importance weights of draws: ``Π exp(-½ (residual / tolerance)²)`` over the targets, summing to 1.

    ``figures`` is targets × draws (:func:`figure_draws`); a draw whose figure is undefined (NaN)
    gets weight 0. All-zero weights (no draw near the targets) are returned as zeros.
    """
    wanted = np.array([t.value for t in targets], dtype=float)[:, None]
    scale = np.array([t.scale for t in targets], dtype=float)[:, None]
    log_weight = -0.5 * np.sum(((figures - wanted) / scale) ** 2, axis=0)
    log_weight = np.where(np.isfinite(log_weight), log_weight, -np.inf)
    if not np.isfinite(log_weight.max(initial=-np.inf)):
        return np.zeros_like(log_weight)
    weight = np.exp(log_weight - log_weight.max())
    return weight / weight.sum()


def calibrate_ranges(
    spec: ModelSpec,
    params: ModelParams,
    targets: Sequence[Target],
    drivers: Sequence[str] = (),
    draws: int | None = None,
    seed: int | None = None,
    source: str = "",
) -> RangeCalibration:
    """Calibrated ranges: the scenario's ranges as priors, its Monte Carlo draws weighted by the targets.

    Each draw of :func:`aibm_core.analysis.uncertainty.monte_carlo` gets the weight
    ``Π exp(-½ ((modelled − target) / tolerance)²)`` over the targets (importance sampling of
    the posterior with a Gaussian likelihood whose standard deviation is each target's
    tolerance); the calibrated P10/P50/P90 of each ranged driver are weighted percentiles of its
    draws. A driver the targets do not see keeps (up to sampling noise) its prior.

    Parameters
    ----------
    spec, params
        The model and its parameters with the scenario's ranges (and links, as a batch sees them).
    targets
        The figures (:func:`read_targets`).
    drivers
        Ranged drivers to report (default: every ranged driver of the scenario).
    draws, seed
        Override the scenario's number of draws and seed.
    source
        The targets file, for messages.

    Raises
    ------
    ParameterError
        A target the model does not have, a driver that is not ranged in the scenario, a
        scenario without ranges (or draws: 0), or no draw near the targets.
    """
    from aibm_core.analysis.uncertainty import monte_carlo  # Monte Carlo only for ranges

    problems = target_problems(spec, params, targets, source)
    ranged = list(params.uncertainty.ranges)
    problems += [
        Problem(
            "", "--fit", f"{echo(n)} is not a range in this scenario; ranged drivers: {', '.join(ranged)}"
        )
        for n in drivers
        if n not in ranged
    ]
    mc = None if problems else monte_carlo(spec, params, draws, seed)
    if not problems and (mc is None or not mc.samples):
        why = "no driver is a range in this scenario (or draws: 0): there is no prior to calibrate"
        problems.append(Problem("", "--ranges", why))
    if problems:
        raise ParameterError(problems)
    assert mc is not None
    figures, units = figure_draws(spec, mc.result, int(params.snapshot_month), targets)
    weights = draw_weights(figures, targets)
    if not weights.any():
        why = "no draw gives finite figures for every target; the targets cannot weight the draws"
        raise ParameterError([Problem(source, "targets", why)])
    ess = float(1.0 / np.sum(weights**2))
    equal = np.full(mc.draws, 1.0 / mc.draws)
    schema = type(params)
    ranges = tuple(
        CalibratedRange(
            name,
            assumption_unit(schema, name),
            _triple(weighted_percentiles(mc.samples[name], equal, REPORTED)),
            _triple(weighted_percentiles(mc.samples[name], weights, REPORTED)),
            _triple(weighted_percentiles(mc.samples[name], weights, WRITTEN)),
        )
        for name in (drivers or ranged)
    )
    fits = tuple(
        (
            t,
            unit,
            tuple(map(float, weighted_percentiles(row, equal, REPORTED))),
            tuple(map(float, weighted_percentiles(row, weights, REPORTED))),
        )
        for t, unit, row in zip(targets, units, np.nan_to_num(figures, nan=np.inf), strict=True)
    )
    warnings = []
    if ess < min(SMALL_ESS, SMALL_ESS_SHARE * mc.draws) or ess < 2:
        warnings.append(
            f"effective sample size {ess:.1f} of {mc.draws:,} draws: the calibrated ranges rest on few "
            "draws; raise the draws (--draws) or check that the targets are within the prior ranges"
        )
    return RangeCalibration(spec.name, ranges, fits, mc.draws, ess, tuple(warnings))


def _triple(values: np.ndarray) -> tuple[float, float, float]:
    return float(values[0]), float(values[1]), float(values[2])


def range_tables(calibration: RangeCalibration, scenario: str) -> tuple[Any, Any]:
    """Two :class:`rich.table.Table`: prior and calibrated P10/P50/P90 of each driver and each target."""
    from rich.table import Table  # only a printed summary needs rich
    from rich.text import Text

    title = f"aibm calibrate --ranges {calibration.model} (from {_one_line(scenario)})"
    drivers = Table(title=title)
    for column in ("driver", "unit", "prior P10 / P50 / P90", "calibrated P10 / P50 / P90", "width"):
        drivers.add_column(column, overflow="fold")
    for r in calibration.ranges:
        drivers.add_row(
            r.name,
            r.unit,
            " / ".join(f"{v:.4g}" for v in r.prior),
            " / ".join(f"{v:.4g}" for v in r.calibrated),
            f"{r.narrowing:.0%}",
        )
    targets = Table(
        title=f"targets ({calibration.draws:,} draws, effective {calibration.effective_draws:,.0f})"
    )
    for column in ("target", "value", "prior P10 / P50 / P90", "calibrated P10 / P50 / P90", "source"):
        targets.add_column(column, overflow="fold")
    for t, unit, prior, calibrated in calibration.targets:
        targets.add_row(
            Text(_one_line(t.label)),
            f"{format_value(t.value, unit)} ± {t.tolerance_text}",
            " / ".join(format_value(v, unit) for v in prior),
            " / ".join(format_value(v, unit) for v in calibrated),
            Text(_one_line(t.source)),
        )
    return drivers, targets


def range_overlay_texts(
    model: str, calibration: RangeCalibration, overlays: str, targets_path: Path, bounds_of: Any
) -> dict[str, str]:
    """The files of an overlay holding calibrated ranges: ``scenario.yaml`` and ``<model>.yaml``.

    Each driver is written as ``{low: P5, high: P95, value: P50}`` of its weighted draws (a 90%
    interval of the family its valid range gives, :func:`aibm_core.core.ranges.default_family`),
    with a comment saying what it was calibrated to; a driver whose weighted draws collapse to
    one value is written fixed. ``bounds_of(name)`` gives a driver's valid range.
    """
    listed = ", ".join(
        f"{t.label} = {format_value(t.value, u)} ± {t.tolerance_text}" for t, u, _, _ in calibration.targets
    )
    names = ", ".join(r.name for r in calibration.ranges)
    description = f"{model} ranges calibrated to {Path(targets_path).name} ({names}), over {overlays}"
    scenario = (
        f"description: {json.dumps(_one_line(description), ensure_ascii=False)}\n"
        f"overlays: {json.dumps(overlays, ensure_ascii=False)}\n"
    )
    lines = [
        f"# {model}: ranges calibrated by `aibm calibrate --ranges` (importance sampling of "
        f"{calibration.draws:,} draws, effective sample size {calibration.effective_draws:,.0f}) to "
        f"{_one_line(str(targets_path))}; every other value as in {overlays}.",
    ]
    why = _one_line(f"why: calibrated to {targets_path}: {listed}")
    for r in calibration.ranges:
        entry = range_entry(r, *bounds_of(r.name))
        text = ", ".join(
            f"{k}: {yaml_number(v) if not isinstance(v, bool) else 'true'}" for k, v in entry.items()
        )
        lines.append(f"{r.name}: {{{text}}}  # {why}")
    return {"scenario.yaml": scenario, f"{model}.yaml": "\n".join(lines) + "\n"}


def range_entry(r: CalibratedRange, low_bound: float | None, high_bound: float | None) -> dict[str, Any]:
    """What an overlay writes for a calibrated range: ``{low: P5, high: P95, value: P50}``.

    The family is the one the valid range gives (:func:`aibm_core.core.ranges.default_family`),
    whose ``low``/``high`` are a 90% interval. Where that range cannot be written (the weighted
    draws collapse onto one value, or a P5 on the edge of the valid range where the family
    needs an inside value) the median is written fixed: ``{value: P50, fixed: true}``.
    """
    from aibm_core.core.ranges import RangeError, parse_range

    low, median, high = r.written
    entry: dict[str, Any] = {"low": low, "high": high, "value": median}
    try:
        if not low < high:
            raise RangeError("collapsed")
        parse_range(entry, low_bound, high_bound)
    except RangeError:
        return {"value": median, "fixed": True}
    return entry


def write_ranges_overlay(
    parameters_dir: Path,
    scenario_name: str,
    model: str,
    calibration: RangeCalibration,
    overlays: str,
    targets_path: Path,
    schema: type[ModelParams],
) -> Path:
    """Write the calibrated ranges as a scenario overlay ``parameters_dir/scenario_name/``.

    As :func:`write_overlay`: validated in a hidden temporary folder (each driver's point value
    must read back as the calibrated median), then renamed into place; never overwrites.
    """
    texts = range_overlay_texts(model, calibration, overlays, targets_path, lambda n: bounds(schema, n))

    def wrong(loaded: ModelParams) -> list[str]:
        return [r.name for r in calibration.ranges if float(getattr(loaded, r.name)) != r.written[1]]

    return _write_folder(Path(parameters_dir), scenario_name, model, texts, wrong)
