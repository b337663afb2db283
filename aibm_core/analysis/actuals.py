"""Actuals against plan: figures a company reported, read beside a scenario and set against the model.

A scenario folder may hold an ``actuals.csv``::

    model,figure,month,quarter,value,unit,source
    ai_infrastructure,revenue,3,,16100000,USD per month,March management accounts
    ai_infrastructure,revenue,,2,49500000,USD,Q2 report
    ai_infrastructure,installed_gpus,12,,14000,GPUs,year-end fleet count

Each row is one reported figure of one model: a statement series or ratio, or a KPI of the model
(as :mod:`aibm_core.analysis.calibrate` names figures) in a month, or over a quarter (quarter
``n`` or ``Qn`` is months 3n-2..3n of the projection: a flow summed, in USD; a ratio of the
summed flows). A row with neither month nor quarter is read in the snapshot month. ``unit`` is the
figure's unit in the model (``USD per month`` for a month's revenue, ``USD`` for a quarter's),
checked so that a figure in thousands or per year is not compared with a monthly one. An
optional ``tolerance`` column gives each row's tolerance when the file is used as calibration
targets (``aibm calibrate --targets actuals.csv``; default 1%).

:func:`actuals_table` is the report's table: actual, modelled and the variance (actual −
modelled, and relative to the modelled figure).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from aibm_core.analysis.calibrate import Target, csv_rows, modelled, parsed_rows, target_from, target_problems
from aibm_core.analysis.scenarios import ACTUALS_FILE
from aibm_core.core.params import ModelParams, ParameterError, Problem
from aibm_core.core.yaml_loading import echo
from aibm_core.models import get_model, model_names

#: Columns of an actuals file (``month`` and ``quarter``: one of them, or neither; ``tolerance`` optional).
COLUMNS = ("model", "figure", "month", "quarter", "value", "unit", "source", "tolerance")
#: Columns every actuals file has.
REQUIRED = ("model", "figure", "value", "unit", "source")
#: A quarter as written: ``2`` or ``Q2``.
QUARTER = re.compile(r"[Qq]?([1-9][0-9]*)")


@dataclass(frozen=True)
class Actual:
    """One reported figure of one model.

    Attributes
    ----------
    model
        The model the figure belongs to.
    target
        The figure, month (or months of the quarter), value and tolerance, as a calibration target.
    unit
        The unit the file gives (checked against the model's by :func:`actuals_problems`).
    period
        The period in words: ``month 3``, ``quarter 2 (months 4-6)``, ``month 12 (snapshot)``.
    """

    model: str
    target: Target
    unit: str
    period: str


def actuals_path(parameters_dir: Path, scenario: str) -> Path:
    """Where a scenario's ``actuals.csv`` is (it may not exist)."""
    return Path(parameters_dir) / scenario / ACTUALS_FILE


def is_actuals_file(path: Path) -> bool:
    """Whether a CSV is an actuals file (its header names a ``model`` column), not a targets CSV."""
    path = Path(path)
    if path.suffix.lower() != ".csv" or not path.is_file():
        return False
    try:
        with path.open(encoding="utf-8-sig") as handle:
            header = handle.readline()
    except (OSError, UnicodeDecodeError):
        return False
    return "model" in [c.strip() for c in header.split(",")]


def read_actuals(path: Path) -> list[Actual]:
    """Read an actuals file (its structure: columns, months, quarters, numbers).

    Raises
    ------
    ParameterError
        One line per problem naming the file, the row and the column: an unknown or missing
        column, an unknown model, a month or quarter that is not a positive integer, both a month
        and a quarter, a value that is not a number, an empty unit or source, no rows.
    """
    path = Path(path)
    source = str(path)
    rows = csv_rows(path, COLUMNS, REQUIRED)
    return parsed_rows(rows, _actual, source, "no rows; add a row under the header")


def _actual(row: dict[str, str], key: str, source: str) -> tuple[Actual | None, list[Problem]]:
    """One row read, or its problems."""
    problems = []
    model = row.get("model", "")
    if model not in model_names():
        why = f"{echo(model)} is not allowed; expected a model: {', '.join(model_names())}"
        problems.append(Problem(source, f"{key}.model", why))
    for column in ("unit", "source"):
        if not row.get(column):
            problems.append(Problem(source, f"{key}.{column}", f"empty; give the figure's {column}"))
    quarter = row.get("quarter")
    months, period = None, ""
    if quarter is not None:
        match = QUARTER.fullmatch(quarter)
        if match is None:
            why = f"{echo(quarter)} is not allowed; expected a quarter number 1, 2, … (or Q1, Q2, …)"
            problems.append(Problem(source, f"{key}.quarter", why))
        elif "month" in row:
            why = f"give month ({echo(row['month'])}) or quarter ({echo(quarter)}), not both"
            problems.append(Problem(source, f"{key}.quarter", why))
        else:
            n = int(match[1])
            months, period = f"{3 * n - 2}-{3 * n}", f"quarter {n} (months {3 * n - 2}-{3 * n})"
    fields = {k: row[k] for k in ("figure", "month", "value", "tolerance") if k in row}
    if months is not None:
        fields["months"] = months
    fields["source"] = row.get("source", "")
    target, found = target_from(fields, key, source)
    problems += found
    if problems or target is None:
        return None, problems
    period = period or (f"month {target.month}" if target.month else "snapshot month")
    return Actual(model, target, row["unit"], period), []


def actuals_targets(actuals: Sequence[Actual], model: str, source: str = "") -> list[Target]:
    """The rows of one model as calibration targets.

    Raises
    ------
    ParameterError
        When the file has no row for the model (naming the models it has rows for).
    """
    targets = [a.target for a in actuals if a.model == model]
    if not targets:
        found = sorted({a.model for a in actuals})
        why = f"no row for model {model!r}; the file has rows for: {', '.join(found)}"
        raise ParameterError([Problem(source, "model", why)])
    return targets


def actuals_problems(params: ModelParams, actuals: Sequence[Actual], source: str = "") -> list[Problem]:
    """Problems of one model's actuals: a figure it does not have, a month outside the horizon, a unit."""
    if not actuals:
        return []
    spec = get_model(actuals[0].model)
    targets = [a.target for a in actuals]
    problems = target_problems(spec, params, targets, source)
    if problems:
        return problems
    _, units = modelled(spec, params, targets)
    return [
        Problem(
            source,
            f"{a.target.key}.unit",
            f"{echo(a.unit)} is not allowed; the model gives {a.target.label} in {unit!r}",
        )
        for a, unit in zip(actuals, units, strict=True)
        if " ".join(a.unit.lower().split()) != unit.lower()
    ]


def actuals_table(params: ModelParams, actuals: Sequence[Actual], source: str = "") -> pd.DataFrame:
    """Actual against modelled, one row per actual of one model.

    Parameters
    ----------
    params
        The scenario's parameters for the model of ``actuals``.
    actuals
        Rows of one model (:func:`read_actuals`, filtered).
    source
        The file, for messages.

    Returns
    -------
    pandas.DataFrame
        Columns ``figure`` (as in the file), ``period``, ``unit``, ``actual``, ``modelled``,
        ``variance`` (actual − modelled, in ``unit``), ``relative_variance`` (variance /
        |modelled|; NaN when the model gives 0) and ``source``.

    Raises
    ------
    ParameterError
        One line per problem of :func:`actuals_problems`.
    """
    problems = actuals_problems(params, actuals, source)
    if problems:
        raise ParameterError(problems)
    if not actuals:
        return pd.DataFrame(
            columns=[
                "figure",
                "period",
                "unit",
                "actual",
                "modelled",
                "variance",
                "relative_variance",
                "source",
            ]
        )
    values, units = modelled(get_model(actuals[0].model), params, [a.target for a in actuals])
    rows = []
    for a, value, unit in zip(actuals, values, units, strict=True):
        variance = a.target.value - float(value)
        rows.append(
            {
                "figure": a.target.figure,
                "period": a.period,
                "unit": unit,
                "actual": a.target.value,
                "modelled": float(value),
                "variance": variance,
                "relative_variance": variance / abs(float(value)) if value != 0 else np.nan,
                "source": a.target.source,
            }
        )
    return pd.DataFrame(rows)
