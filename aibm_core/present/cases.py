"""The company-case block of a report: disclosed against modelled, inputs, fitted drivers, actuals.

:func:`case_html` shows a company case (:mod:`aibm_core.analysis.cases`): the disclosed figures
against the model's, with the error, the tolerance and its reason; then the inputs taken from
disclosures (with their dated sources) and the fitted drivers (with the figures they were
fitted to). :func:`actuals_html` shows the actuals of a scenario against the model (its
variance). :func:`report_block` is what a model notebook shows at the top of its report: both
when they apply, nothing otherwise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aibm_core.analysis import actuals as actual_figures
from aibm_core.analysis import cases
from aibm_core.analysis.scenarios import ACTUALS_FILE, CASE_FILE
from aibm_core.core.formatting import format_percentage, format_value
from aibm_core.core.params import ModelParams
from aibm_core.present.html import render
from aibm_core.present.summary import SUMMARY_CSS

#: Style of the case block, added to the summary's.
CASE_CSS = (
    SUMMARY_CSS
    + """
.aibm-summary.aibm-case th, .aibm-summary.aibm-case td { text-align: left; vertical-align: top; }
.aibm-case tr.missed td { background: #fdedec; color: #7b241c; }
.aibm-case p.note { margin: 4px 0 0; color: #5b6b7f; font-size: 0.85em; }
"""
)


def _difference(value: float, unit: str, signed: bool = True) -> str:
    """A difference of two figures in ``unit``, with its sign: ``+$1.2M``, ``−0.46 percentage points``.

    A difference of two fractions (margins, shares) is in percentage points, not a percentage.
    """
    if not np.isfinite(value):
        return "n/a"
    if unit == "fraction":
        value, unit = value * 100, "percentage points"
    text = format_value(abs(value), unit)
    return ("+" if signed and value > 0 else "−" if value < 0 else "") + text


def _relative(value: float) -> str:
    return "n/a" if not np.isfinite(value) else ("+" if value > 0 else "") + format_percentage(value)


#: An error below this share of the disclosed figure is the rounding of the model's float sums
#: (an input that is the figure itself comes back a few millionths of a dollar off): shown as 0.
ROUNDING_NOISE = 1e-12


def _shown_error(error: float, relative: float, disclosed: float) -> tuple[float, float]:
    """The error and relative error as shown: 0 where they are rounding noise (:data:`ROUNDING_NOISE`)."""
    if np.isfinite(error) and abs(error) <= ROUNDING_NOISE * abs(disclosed):
        return 0.0, 0.0
    return error, relative


def disclosed_rows(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of the disclosed-vs-modelled table (:func:`~aibm_core.analysis.cases.disclosed_table`)."""
    rows = []
    for r in table.itertuples(index=False):
        error, relative = _shown_error(r.error, r.relative_error, r.disclosed)
        cells = [
            r.figure,
            format_value(r.disclosed, r.unit),
            format_value(r.modelled, r.unit),
            f"{_difference(error, r.unit)} ({_relative(relative)})",
            f"± {_difference(r.tolerance, r.unit, signed=False)} ({r.tolerance_text}): {r.reason}",
            "yes" if r.within else "NO",
            f"{r.source}{f' ({r.as_of})' if r.as_of else ''}",
        ]
        rows.append({"cells": cells, "missed": not r.within})
    return rows


def case_tables(case: cases.Case, params: ModelParams) -> list[dict[str, Any]]:
    """The tables of a case block: disclosed vs modelled, inputs, fitted drivers, settings."""
    disclosed = cases.disclosed_table(case, params)
    missed = int((~disclosed["within"]).sum())
    inputs = cases.inputs_table(case, params)
    fitted = cases.fitted_table(case, params)
    settings = cases.settings_table(case, params)
    return [
        {
            "title": "Disclosed against modelled",
            "columns": ["figure", "disclosed", "modelled", "error", "tolerance and why", "within?", "source"],
            "rows": disclosed_rows(disclosed),
            "note": f"{missed} figure(s) outside tolerance"
            if missed
            else "every disclosed figure within tolerance",
        },
        {
            "title": "Inputs (taken from disclosures)",
            "columns": ["driver", "value", "unit", "source", "date"],
            "rows": [{"cells": list(r), "missed": False} for r in inputs.itertuples(index=False)],
            "note": "" if len(inputs) else "no input taken from a disclosure",
        },
        {
            "title": "Fitted drivers (not inputs: fitted to the disclosed figures)",
            "columns": ["driver", "value", "unit", "fitted to", "how"],
            "rows": [{"cells": list(r), "missed": False} for r in fitted.itertuples(index=False)],
            "note": "" if len(fitted) else "no driver fitted",
        },
        {
            "title": "Settings",
            "columns": ["setting", "value", "why"],
            "rows": [{"cells": list(r), "missed": False} for r in settings.itertuples(index=False)],
            "note": "",
        },
    ]


def case_html(case: cases.Case, params: ModelParams) -> str:
    """The company-case block (template ``case.html.j2``), every number formatted."""
    return render(
        "case.html.j2",
        css=CASE_CSS,
        title=f"Company case: {case.company}",
        subtitle=f"{case.period}; model {case.model}; scenario {case.scenario}",
        tables=case_tables(case, params),
    )


def actuals_rows(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of the actuals table (:func:`aibm_core.analysis.actuals.actuals_table`), formatted."""
    rows = []
    for r in table.itertuples(index=False):
        cells = [
            r.figure,
            r.period,
            format_value(r.actual, r.unit),
            format_value(r.modelled, r.unit),
            f"{_difference(r.variance, r.unit)} ({_relative(r.relative_variance)})",
            r.source,
        ]
        rows.append({"cells": cells, "missed": False})
    return rows


def actuals_html(table: pd.DataFrame, path: Path) -> str:
    """The actuals block: actual against modelled with the variance (actual − modelled)."""
    return render(
        "case.html.j2",
        css=CASE_CSS,
        title="Actuals against plan",
        subtitle=f"{path.name}: the variance is actual − modelled (relative to the modelled figure)",
        tables=[
            {
                "title": "Actual against modelled",
                "columns": ["figure", "period", "actual", "modelled", "variance", "source"],
                "rows": actuals_rows(table),
                "note": "",
            }
        ],
    )


def has_report_block(parameters_dir: Path, scenario: str) -> bool:
    """Whether a scenario folder has a ``case.yaml`` or an ``actuals.csv`` (cheap: no file is read)."""
    folder = Path(parameters_dir) / scenario
    return (folder / CASE_FILE).is_file() or (folder / ACTUALS_FILE).is_file()


def report_block(model: str, params: ModelParams, scenario: str, parameters_dir: Path | None) -> str:
    """What a model's report shows at its top: the case block and the actuals block, or ``""``.

    Parameters
    ----------
    model
        The notebook's model.
    params
        The run's validated parameters.
    scenario
        The run's scenario name (``custom`` outside ``aibm run``: nothing to show).
    parameters_dir
        The folder of the scenario folders (``None``: nothing to show).
    """
    if parameters_dir is None or not (Path(parameters_dir) / scenario).is_dir():
        return ""
    parts = []
    if cases.is_case(parameters_dir, scenario):
        case = cases.read_case(parameters_dir, scenario)
        if case.model == model:
            parts.append(case_html(case, params))
    path = actual_figures.actuals_path(parameters_dir, scenario)
    if path.is_file():
        rows = [a for a in actual_figures.read_actuals(path) if a.model == model]
        if rows:
            parts.append(actuals_html(actual_figures.actuals_table(params, rows, str(path)), path))
    return "".join(parts)
