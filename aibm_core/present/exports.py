"""Exports for analysts who continue in a spreadsheet or a slide deck.

After a batch (``aibm run``), :func:`write_exports` adds to each scenario folder of the
output directory:

- ``charts/<model>/<NN>-<title>.png`` and ``.svg``: every chart of every executed notebook,
  rendered offline by vl-convert from the Vega-Lite spec the notebook stored (PNG at the
  chart's own size, ``charts.EXPORT_PNG_SCALE``; the SVG is the sharp copy for slides);
- ``<model>_projection.csv``: the monthly projection, one row per month, each column headed
  with its label and unit, numbers at display precision (12 significant digits, whole numbers
  without decimals);
- ``<scenario>.xlsx``: a ``Summary`` sheet (each model's north star, gross margin and
  guardrails) and one sheet per model with its assumptions, key figures and monthly
  projection, as real numbers with Excel number formats (counts and months as whole numbers).
  A scenario with ranges (Monte Carlo draws) adds a ``KPI percentiles`` sheet (P10/P50/P90 of
  every key figure in the snapshot month), one ``<model> P10-P90`` sheet per model (the
  percentiles of each statement series, month by month) and a ``Ranges`` sheet (each uncertain
  driver's family, low/mode/high, unit and the source of its range).

Only models whose run succeeded (a results JSON ``<model>.json`` in the folder) are
exported. Their numbers are read from the results file the run wrote (nothing is computed again),
so they are those of the report; a model whose parameters were edited since the run is reported
instead of exported. Every file is written atomically, and exports left by an earlier run of
a model that has no results now are removed, so nothing stale looks current.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import re
import signal
import unicodedata
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table, TableStyleInfo

from aibm_core.analysis.results import (
    SCHEMA_VERSION,
    assumptions_payload,
    breach_labels,
    from_json_number,
    projection_frame,
    scenario_params,
)
from aibm_core.core.config import PARAMETERS_DIR, scenario_order
from aibm_core.core.files import write_atomic
from aibm_core.core.formatting import is_count
from aibm_core.core.params import ParameterError, Problem
from aibm_core.core.progress import progress_bar
from aibm_core.core.tree import format_value
from aibm_core.models import model_names
from aibm_core.models.base import column_info, heading

#: Folder of a scenario's chart images, one subfolder per notebook.
CHARTS_DIR = "charts"
#: Notebook whose charts are exported beside the models' (it has its own results file).
PYRAMID = "pyramid_comparison"
#: Longest file-name slug taken from a chart title (characters).
SLUG_LENGTH = 60
#: Widest spreadsheet column (characters); longer text stays whole in the cell.
MAX_COLUMN_WIDTH = 60
#: A chart file written by this module: two-digit position, slug, image suffix.
CHART_FILE = re.compile(r"^\d{2}-[a-z0-9-]+\.(png|svg)$")
#: Significant digits of the numbers written to CSV (float noise such as ``11700.000000000002``
#: lies beyond them).
CSV_DIGITS = 12
#: Percentiles of the Monte Carlo draws the workbook shows (keys of the results' ``uncertainty``).
PERCENTILES = ("p10", "p50", "p90")
#: What ``low`` and ``high`` of a range are, by family (:mod:`aibm_core.core.ranges`).
INTERVAL = {
    "lognormal": "90% interval (P5-P95)",
    "logitnormal": "90% interval (P5-P95)",
    "normal": "90% interval (P5-P95)",
}


def projection_table(frame: pd.DataFrame) -> pd.DataFrame:
    """A projection frame in people's terms, for a spreadsheet.

    A ``Month`` index, each column headed with its declared label and unit and scaled to that
    unit (:func:`~aibm_core.models.base.column_info`: ``tokens_b``, in billions, becomes
    ``Tokens processed (tokens per month)``).
    """
    columns = {}
    for name in frame.columns:
        label, unit, scale = column_info(frame, name)
        columns[heading(label, unit)] = frame[name] * scale
    table = pd.DataFrame(columns, index=frame.index)
    table.index = table.index.rename("Month")
    return table


def projection_units(frame: pd.DataFrame) -> dict[str, str]:
    """Declared unit of each heading of :func:`projection_table`."""
    declared = (column_info(frame, name) for name in frame.columns)
    return {heading(label, unit): unit for label, unit, _ in declared}


def csv_number(value: Any) -> str:
    """A number as a CSV field, at display precision.

    Rounded to :data:`CSV_DIGITS` significant digits and written without an exponent; a whole
    number has no decimals (``11700``, not ``11700.000000000002`` or ``11700.0``). An undefined
    value (NaN, ``None``) is an empty field, an infinite one ``inf`` or ``-inf``, which
    spreadsheets and pandas read back as infinity.

    Parameters
    ----------
    value
        A number (any unit: the CSV heading carries it) or ``None``.

    Returns
    -------
    str
        E.g. ``"11700"``, ``"0.5"``, ``"3510000000000"``, ``""``, ``"inf"``.
    """
    if value is None or isinstance(value, str):
        return "" if value is None else value
    x = float(value)
    if math.isnan(x):
        return ""
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    x = float(f"{x:.{CSV_DIGITS}g}") + 0.0  # + 0.0: no "-0"
    if x.is_integer():
        return str(int(x))
    return np.format_float_positional(x, trim="-")


def write_projection_csv(path: Path, frame: pd.DataFrame) -> None:
    """Write a projection as CSV: ``Month`` rows, headings with units, numbers as :func:`csv_number`."""
    table = projection_table(frame)
    text = table.apply(lambda column: column.map(csv_number)).to_csv(lineterminator="\n")
    write_atomic(Path(path), text)


# --- charts ----------------------------------------------------------------------------------


def chart_specs(notebook: Path) -> list[dict[str, Any]]:
    """The Vega-Lite specs of an executed notebook's chart outputs, in display order."""
    from aibm_core.present.charts import (
        VEGALITE_MIME,  # charts imports altair (seconds): only when charts are exported
    )

    cells = json.loads(Path(notebook).read_text(encoding="utf-8"))["cells"]
    specs = []
    for cell in cells:
        for output in cell.get("outputs", []):
            spec = output.get("data", {}).get(VEGALITE_MIME)
            if spec is not None:
                specs.append(json.loads(spec) if isinstance(spec, str) else spec)
    return specs


def chart_title(spec: dict[str, Any]) -> str:
    """A chart's title as one line of text (``""`` when it has none)."""
    title = spec.get("title", "")
    if isinstance(title, dict):
        title = title.get("text", "")
    if isinstance(title, list):
        title = " ".join(str(line) for line in title)
    return " ".join(str(title).split())


def slug(text: str, fallback: str = "chart") -> str:
    """Lower-case ASCII words joined by hyphens, at most :data:`SLUG_LENGTH` characters."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(words) > SLUG_LENGTH:  # cut at the last whole word that fits
        cut = words[: SLUG_LENGTH + 1]
        words = cut.rsplit("-", 1)[0] if "-" in cut else cut[:SLUG_LENGTH]
    return words or fallback


def write_charts(notebook: Path, folder: Path) -> list[Path]:
    """Render every chart of an executed notebook as PNG and SVG into ``folder``.

    Files are named ``<NN>-<slug of the title>.png`` / ``.svg`` (``NN`` the chart's position
    in the notebook, from 01). Chart files of an earlier export that were not written again
    are removed.

    Returns
    -------
    list of Path
        The files written, PNG then SVG for each chart.
    """
    from aibm_core.present.charts import (  # charts imports altair (seconds): only when charts are exported
        EXPORT_PNG_SCALE,
        image_bytes,
    )

    written = []
    for number, spec in enumerate(chart_specs(notebook), start=1):
        stem = folder / f"{number:02d}-{slug(chart_title(spec))}"
        for suffix in (".png", ".svg"):
            write_atomic(stem.with_suffix(suffix), image_bytes(spec, suffix, scale=EXPORT_PNG_SCALE))
            written.append(stem.with_suffix(suffix))
    _remove_chart_files(folder, keep=written)
    return written


def _remove_chart_files(folder: Path, keep: Sequence[Path] = ()) -> None:
    """Delete this module's chart files in ``folder`` (not others), then the folder if empty."""
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        if CHART_FILE.match(path.name) and path not in keep:
            path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        folder.rmdir()  # only when empty


# --- spreadsheet cells -----------------------------------------------------------------------


def cell_value(value: Any, unit: str = "") -> Any:
    """A value for a spreadsheet cell: a number stays a number.

    ``None`` and NaN (undefined) give an empty cell; an infinity gives the report's words
    (``never`` for a duration, ``unbounded`` otherwise), since a spreadsheet has no infinity.
    """
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, int | np.integer):
        return int(value)
    x = float(value)
    if math.isnan(x):
        return None
    return x if math.isfinite(x) else format_value(x, unit)


def number_format(unit: str, values: Iterable[Any] = ()) -> str:
    """Excel number format for values in ``unit``: percent, dollars or plain numbers.

    Decimals follow the size of the typical (median) value: none from 100, two from 1, four
    below (a price of $0.03 per 1K tokens keeps its digits); counts (:func:`is_count`), a
    month of the projection (unit ``month``) and whole numbers other than money get none.
    """
    if unit.startswith(("fraction", "share")):
        return "0.0%"
    if is_count(unit) or unit == "month":
        return "#,##0"
    numbers = [float(v) for v in values if _is_number(v)]
    sizes = [abs(x) for x in numbers if x]
    typical = float(np.median(sizes)) if sizes else 100.0
    decimals = 0 if typical >= 100 else 2 if typical >= 1 else 4
    if not unit.startswith("USD") and all(x.is_integer() for x in numbers):
        decimals = 0  # counts and months
    digits = "#,##0" + ("." + "0" * decimals if decimals else "")
    return f'"$"{digits}' if unit.startswith("USD") else digits


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# --- workbook --------------------------------------------------------------------------------


def summary_rows(payloads: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """One row per model: its north star (with unit), gross margin and guardrail status."""
    rows = []
    for p in payloads:
        breached = breach_labels(p)
        total = len(p["guardrails"])
        rows.append(
            {
                "Model": p["title"],
                "Layer": p["layer"],
                "Snapshot month": p["snapshot_month"],
                "North-star metric": p["north_star"]["name"],
                "North-star value": from_json_number(p["north_star"]["value"]),
                "North-star unit": p["north_star"]["unit"],
                "Gross margin": from_json_number(p["gross_margin"]),
                "Guardrails": f"{len(breached)} of {total} breached" if breached else f"all {total} ok",
                "Breached guardrails": "; ".join(breached),
            }
        )
    return pd.DataFrame(rows)


def assumption_rows(params: Any) -> pd.DataFrame:
    """The model's assumptions: name, value, unit, role, valid range, meaning, source and its date.

    ``Valid range`` is the range the validation allows; the uncertainty of a driver is in
    :func:`range_rows`.
    """
    table = type(params).assumptions_table(params).reset_index()
    table = table[["assumption", "value", "unit", "role", "range", "meaning", "source", "source_date"]]
    # the range a value may take, not its uncertainty (that is the Ranges sheet's)
    return table.rename(columns=str.capitalize).rename(
        columns={"Range": "Valid range", "Source_date": "Source date"}
    )


def kpi_rows(payload: dict[str, Any]) -> pd.DataFrame:
    """The model's key figures in the snapshot month: metric, value (a number) and unit."""
    kpis = payload["kpis"].values()
    return pd.DataFrame(
        {
            "Metric": [k["label"] for k in kpis],
            "Value": [from_json_number(k["value"]) for k in kpis],
            "Unit": [k["unit"] for k in kpis],
        }
    )


def kpi_percentile_rows(payloads: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """P10, P50 and P90 of every key figure in the snapshot month, one row per model and figure.

    Only models whose run drew ranges (an ``uncertainty`` block) have rows; ``Point value`` is
    the base case's (it need not be the median of the draws).
    """
    rows = []
    for p in payloads:
        uncertainty = p.get("uncertainty")
        if not uncertainty:
            continue
        for key, quantiles in uncertainty["kpis"].items():
            kpi = p["kpis"].get(key, {"label": key, "value": None, "unit": ""})
            rows.append(
                {
                    "Model": p["model"],
                    "Month": p["snapshot_month"],
                    "Metric": kpi["label"],
                    "Point value": from_json_number(kpi["value"]),
                    **{q.upper(): from_json_number(quantiles.get(q)) for q in PERCENTILES},
                    "Unit": kpi["unit"],
                }
            )
    return pd.DataFrame(
        rows, columns=["Model", "Month", "Metric", "Point value", "P10", "P50", "P90", "Unit"]
    )


def series_percentile_rows(payload: dict[str, Any]) -> tuple[pd.DataFrame, dict[str, str]]:
    """P10, P50 and P90 of each statement series, month by month, and the unit of each heading.

    Parameters
    ----------
    payload
        A results payload with an ``uncertainty`` block.

    Returns
    -------
    tuple
        The table (a ``Month`` column, then ``<series> P10 (<unit>)``, ``P50``, ``P90`` for each
        series) and ``{heading: unit}``.
    """
    uncertainty, series = payload["uncertainty"], payload["series"]
    months = list(series["months"])
    columns: dict[str, list[Any]] = {"Month": months}
    units = {"Month": "month"}
    for key, fan in uncertainty["series"].items():
        label, unit = series[key]["label"], series[key]["unit"]
        for q in PERCENTILES:
            name = heading(f"{label} {q.upper()}", unit)
            columns[name] = [from_json_number(v) for v in fan[q]]
            units[name] = unit
    return pd.DataFrame(columns), units


def range_rows(payloads: Sequence[dict[str, Any]], params: Sequence[Any]) -> pd.DataFrame:
    """The scenario's ranges: one row per model and uncertain driver.

    Family, what ``Low``/``High`` are (a 90% interval or the whole support), ``Low``, ``Mode``,
    ``High``, the point value of the base case, the unit and the source of the range: the
    model's declared source when the range is the one the model declares (or that range
    re-centred on the scenario's value), else the scenario's parameter file.
    """
    rows = []
    for p, values in zip(payloads, params, strict=True):
        uncertainty = p.get("uncertainty")
        if not uncertainty:
            continue
        fields = type(values).model_fields
        for driver, r in uncertainty["ranges"].items():
            field = fields.get(driver)
            extra = (field.json_schema_extra or {}) if field is not None else {}
            family = r.get("dist", "")
            rows.append(
                {
                    "Model": p["model"],
                    "Driver": driver,
                    "Family": family,
                    "Low and high are": INTERVAL.get(family, "the whole support"),
                    "Low": from_json_number(r.get("low")),
                    "Mode": from_json_number(r.get("mode")),
                    "High": from_json_number(r.get("high")),
                    "Point value": from_json_number(p["assumptions"].get(driver, {}).get("value")),
                    "Unit": extra.get("unit", p["assumptions"].get(driver, {}).get("unit", "")),
                    "Source of the range": _range_source(r, extra),
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            "Model",
            "Driver",
            "Family",
            "Low and high are",
            "Low",
            "Mode",
            "High",
            "Point value",
            "Unit",
            "Source of the range",
        ],
    )


def _range_source(written: dict[str, Any], extra: dict[str, Any]) -> str:
    """Where a scenario's range comes from (see :func:`range_rows`)."""
    declared, source = extra.get("base_range"), extra.get("range_source", "")
    if not source:
        return "the scenario's parameter file"
    if written.get("recentred_from") is not None:
        moved = format_value(written["recentred_from"], extra.get("unit", ""))
        return f"{source} (re-centred from {moved} on the scenario's value)"
    keys = ("low", "mode", "high", "alpha", "beta")
    if declared is not None and all(
        declared.get(k) is None or float(declared[k]) == float(written.get(k, math.nan)) for k in keys
    ):
        return source
    return "the scenario's parameter file"


def workbook_bytes(scenario: str, payloads: Sequence[dict[str, Any]], params: Sequence[Any]) -> bytes:
    """The scenario's Excel workbook (``.xlsx`` bytes).

    Parameters
    ----------
    scenario
        Scenario name, shown in each model sheet's title.
    payloads
        Results payloads of the exported models (:mod:`aibm_core.analysis.results`), in report order.
    params
        The same models' validated parameters (:class:`~aibm_core.core.params.ModelParams`), in the
        same order.
    """
    book = Workbook()
    sheet = book.active
    sheet.title = "Summary"
    summary = summary_rows(payloads)
    _write_table(sheet, 1, summary, "Summary", units=_summary_units(payloads))
    sheet.freeze_panes = "B2"
    _fit_columns(sheet)
    for payload, values in zip(payloads, params, strict=True):
        _model_sheet(book, scenario, payload, values)
    _uncertainty_sheets(book, payloads, params)
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def _summary_units(payloads: Sequence[dict[str, Any]]) -> dict[str, list[str]]:
    """Per-row units of the summary's number columns."""
    return {
        "North-star value": [p["north_star"]["unit"] for p in payloads],
        "Gross margin": ["fraction"] * len(payloads),
        "Snapshot month": ["month"] * len(payloads),
    }


def _uncertainty_sheets(book: Any, payloads: Sequence[dict[str, Any]], params: Sequence[Any]) -> None:
    """The percentile and range sheets of the models whose run drew ranges (none for a point scenario)."""
    kpis = kpi_percentile_rows(payloads)
    if kpis.empty:
        return
    sheet = book.create_sheet("KPI percentiles")
    row_units = list(kpis["Unit"])
    units = {column: row_units for column in ("Point value", "P10", "P50", "P90")}
    _write_table(sheet, 1, kpis, "kpi_percentiles", {**units, "Month": ["month"] * len(kpis)})
    sheet.freeze_panes = "D2"
    _fit_columns(sheet)
    for payload in payloads:
        if not payload.get("uncertainty"):
            continue
        table, table_units = series_percentile_rows(payload)
        sheet = book.create_sheet(f"{payload['model'][:23]} P10-P90")
        units = {column: [unit] * len(table) for column, unit in table_units.items()}
        _write_table(sheet, 1, table, f"{payload['model']}_percentiles", units)
        sheet.freeze_panes = "B2"
        _fit_columns(sheet)
    ranges = range_rows(payloads, params)
    sheet = book.create_sheet("Ranges")
    row_units = list(ranges["Unit"])
    units = {column: row_units for column in ("Low", "Mode", "High", "Point value")}
    _write_table(sheet, 1, ranges, "ranges", units)
    sheet.freeze_panes = "C2"
    _fit_columns(sheet)


def _model_sheet(book: Any, scenario: str, payload: dict[str, Any], params: Any) -> None:
    """One model's sheet: title, then its assumptions, key figures and monthly projection."""
    sheet = book.create_sheet(payload["model"][:31])
    sheet["A1"] = f"{payload['title']} — {scenario} scenario"
    sheet["A1"].font = Font(bold=True, size=14)
    name = payload["model"]

    assumptions = assumption_rows(params)
    kpis = kpi_rows(payload)
    projection = projection_frame(payload)
    table = projection_table(projection).reset_index()
    units = {h: [unit] * len(projection) for h, unit in projection_units(projection).items()}
    sections = [
        ("Assumptions", assumptions, {"Value": list(assumptions["Unit"])}),
        (f"Key figures (month {payload['snapshot_month']})", kpis, {"Value": list(kpis["Unit"])}),
        ("Monthly projection", table, {**units, "Month": ["month"] * len(table)}),
    ]
    row, header_rows = 3, []
    for (title, frame, frame_units), part in zip(
        sections, ("assumptions", "kpis", "projection"), strict=True
    ):
        sheet.cell(row, 1, title).font = Font(bold=True, size=12)
        header_rows.append(row + 1)
        row = _write_table(sheet, row + 1, frame, f"{name}_{part}", frame_units) + 2
    sheet.freeze_panes = "B2"
    _fit_columns(sheet, header_rows, skip_rows=(1,))


def _write_table(sheet: Any, top: int, frame: pd.DataFrame, name: str, units: dict[str, list[str]]) -> int:
    """Write ``frame`` as an Excel table (header row, filters, banding) from row ``top``.

    ``units`` gives, for number columns, each row's unit (its number format follows it).
    Returns the last row written.
    """
    headers = [str(c) for c in frame.columns]
    for j, header in enumerate(headers, start=1):
        sheet.cell(top, j, header).font = Font(bold=True)
    for j, header in enumerate(headers, start=1):
        column_units = units.get(header, [""] * len(frame))
        values = [cell_value(v, u) for v, u in zip(frame[header], column_units, strict=True)]
        formats = {
            unit: number_format(unit, [v for v, u in zip(values, column_units, strict=True) if u == unit])
            for unit in set(column_units)
        }
        for i, (value, unit) in enumerate(zip(values, column_units, strict=True), start=top + 1):
            cell = sheet.cell(i, j, value)
            if header in units and _is_number(value):
                whole = isinstance(value, int) and not unit.startswith(("USD", "$", "fraction", "share"))
                cell.number_format = "#,##0" if whole else formats[unit]  # an integer setting: 36
    bottom = top + max(len(frame), 1)
    ref = f"A{top}:{_column_letter(len(headers))}{bottom}"
    table = Table(displayName=name, ref=ref)
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
    sheet.add_table(table)
    return bottom


def _column_letter(index: int) -> str:
    return get_column_letter(index)


def _fit_columns(sheet: Any, header_rows: Sequence[int] = (1,), skip_rows: Sequence[int] = ()) -> None:
    """Fit column widths to their values and wrap long headings onto more lines.

    A column is as wide as its longest value, or its heading's longest word, within
    :data:`MAX_COLUMN_WIDTH`; heading rows grow to show the wrapped headings whole.
    """
    widths: dict[str, int] = {}
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value is None or cell.row in skip_rows:
                continue
            text = _shown(cell.value)
            if cell.row in header_rows:
                text = max(text.split(), key=len)
            widths[cell.column_letter] = max(widths.get(cell.column_letter, 0), len(text))
    for letter, width in widths.items():
        sheet.column_dimensions[letter].width = min(max(width, 8) + 3, MAX_COLUMN_WIDTH)
    for top in header_rows:
        lines = 1
        for cell in sheet[top]:
            if cell.value is not None:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                width = sheet.column_dimensions[cell.column_letter].width - 2
                lines = max(lines, math.ceil(len(str(cell.value)) / max(width, 1)))
        sheet.row_dimensions[top].height = 15 * lines


def _shown(value: Any) -> str:
    """A cell value as a person sees it, near enough to size its column."""
    return f"{value:,.2f}" if isinstance(value, float) else str(value)


# --- one scenario ----------------------------------------------------------------------------


def _payload(path: Path) -> dict[str, Any]:
    """A results file read, with a results-schema version this module reads (``ValueError`` if not).

    The file is not validated against the whole JSON Schema (importing ``jsonschema`` costs
    seconds); a missing field shows as a ``KeyError`` where it is read.
    """
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"results file is not valid JSON ({error})") from None
    version = payload.get("schema_version") if isinstance(payload, dict) else None
    if str(version).split(".")[0] != SCHEMA_VERSION.split(".")[0]:
        raise ValueError(
            f"results file has schema version {version!r}, not {SCHEMA_VERSION}; run `aibm run` again"
        )
    return payload


def _check_same(payload: dict[str, Any], params: Any, scenario: str) -> None:
    """``ValueError`` when the scenario's parameters now differ from those the run's results used."""
    if assumptions_payload(params) != payload["assumptions"]:
        raise ValueError(
            "the parameters changed since the run; run `aibm run --scenario "
            f"{scenario}` again to export numbers that match the report"
        )


def _read_run(folder: Path, model: str, parameters_dir: Path) -> tuple[dict[str, Any], Any]:
    """A model's results payload and the scenario's parameters, checked to agree (``ValueError`` if not).

    Nothing is computed: the projection, key figures and assumptions exported are the run's.
    """
    payload = _payload(folder / f"{model}.json")
    if payload["model"] != model or payload["scenario"] != folder.name:
        raise ValueError(
            f"results file is for {payload['model']!r} under scenario {payload['scenario']!r}, "
            f"not {model!r} under {folder.name!r}"
        )
    try:
        params = scenario_params(model, folder.name, parameters_dir)
    except ParameterError as error:
        raise ValueError(f"cannot read the scenario's parameters: {error.problems[0]}") from None
    _check_same(payload, params, folder.name)
    return payload, params


def export_scenario(
    folder: Path, parameters_dir: Path = PARAMETERS_DIR, charts: bool = True
) -> list[Path | Problem]:
    """Write the exports of one scenario folder (see the module docstring).

    A model that cannot be exported (unreadable results, parameters changed since the run) is
    reported and left out; the others are still exported.

    Returns
    -------
    list
        Paths written and :class:`~aibm_core.core.params.Problem` for what could not be exported.
    """
    folder = Path(folder)
    out: list[Path | Problem] = []
    payloads, params = [], []
    for model in model_names():
        results = folder / f"{model}.json"
        if not results.exists():
            _remove_model_exports(folder, model)
            continue
        try:
            payload, values = _read_run(folder, model, parameters_dir)
            csv = folder / f"{model}_projection.csv"
            write_projection_csv(csv, projection_frame(payload))
            out.append(csv)
            if charts:
                out += write_charts(folder / f"{model}.ipynb", folder / CHARTS_DIR / model)
        except (OSError, ValueError, KeyError, TypeError) as error:
            _remove_model_exports(folder, model)  # an earlier export would look current
            out.append(Problem(str(results), "", _reason(error)))
            continue
        payloads.append(payload)
        params.append(values)
    out += _export_pyramid(folder, charts)
    workbook = folder / f"{folder.name}.xlsx"
    if payloads:
        try:
            write_atomic(workbook, workbook_bytes(folder.name, payloads, params))
            out.append(workbook)
        except (OSError, ValueError) as error:
            out.append(Problem(str(workbook), "", f"workbook not written: {error}"))
    else:
        workbook.unlink(missing_ok=True)
    return out


def _export_pyramid(folder: Path, charts: bool) -> list[Path | Problem]:
    """The pyramid comparison's charts, when it ran (its own results file is present)."""
    chart_folder = folder / CHARTS_DIR / PYRAMID
    if not (folder / f"{PYRAMID}.json").exists():
        _remove_chart_files(chart_folder)
        return []
    if not charts:
        return []
    try:
        return list(write_charts(folder / f"{PYRAMID}.ipynb", chart_folder))
    except (OSError, ValueError, KeyError, TypeError) as error:
        return [Problem(str(folder / f"{PYRAMID}.ipynb"), "", f"charts not exported: {_reason(error)}")]


def _reason(error: Exception) -> str:
    """One line saying why an export failed."""
    if isinstance(error, KeyError):
        return f"a file lacks the expected key {error}"
    return str(error)


def _remove_model_exports(folder: Path, model: str) -> None:
    """Drop a model's exports left by an earlier run (it has no results now)."""
    (folder / f"{model}_projection.csv").unlink(missing_ok=True)
    _remove_chart_files(folder / CHARTS_DIR / model)


def remove_earlier_exports(folder: Path, since: float) -> list[Path]:
    """Delete a scenario folder's exports written before ``since`` (a ``time.time()``); the paths.

    After exports cut short (Ctrl-C), the workbook, CSVs and chart files an earlier run left
    would sit beside the new reports looking current; those written since stay. Only this
    module's files are touched (the workbook named after the folder, ``<model>_projection.csv``,
    chart files under ``charts/``).
    """
    folder = Path(folder)
    candidates = [folder / f"{folder.name}.xlsx", *(folder / f"{m}_projection.csv" for m in model_names())]
    charts = folder / CHARTS_DIR
    if charts.is_dir():
        candidates += [p for p in charts.glob("*/*") if CHART_FILE.match(p.name)]
    removed = []
    for path in candidates:
        with contextlib.suppress(OSError):
            if path.is_file() and path.stat().st_mtime < since:
                path.unlink()
                removed.append(path)
    for chart_folder in [p for p in charts.glob("*") if p.is_dir()] if charts.is_dir() else []:
        with contextlib.suppress(OSError):
            chart_folder.rmdir()  # only when empty
    with contextlib.suppress(OSError):
        charts.rmdir()
    return removed


# --- every scenario --------------------------------------------------------------------------


def exported_scenarios(output_dir: Path) -> list[str]:
    """Scenario folders of ``output_dir`` holding at least one results file, in report order."""
    names = {
        path.parent.name
        for model in [*model_names(), PYRAMID]
        for path in Path(output_dir).glob(f"*/{model}.json")
    }
    return sorted(names, key=scenario_order)


def write_exports(
    output_dir: Path,
    scenarios: Iterable[str] | None = None,
    parameters_dir: Path = PARAMETERS_DIR,
    charts: bool = True,
    workers: int = 1,
    progress: bool = False,
) -> list[Path | Problem]:
    """Write the chart images, projection CSVs and workbook of each scenario of a batch.

    Parameters
    ----------
    output_dir
        Folder a batch wrote (``outputs/<scenario>/<model>.{ipynb,html,json}``).
    scenarios
        Scenario folders to export; by default every folder with a results file.
    parameters_dir
        Folder of the scenarios' parameter files the batch ran with.
    charts
        Render the chart images (about 0.1 s per chart, most of an export's time).
    workers
        Scenarios exported at once, each in a process of its own (1: all in this process).
    progress
        Show a progress line (scenarios exported of all, time elapsed), as ``aibm run`` shows
        for its notebooks (:func:`aibm_core.core.progress.progress_bar`).

    Returns
    -------
    list
        Every file written (:class:`~pathlib.Path`), and a
        :class:`~aibm_core.core.params.Problem` (one line: file and reason) for each model or
        scenario that could not be exported. A problem never stops the other exports.
    """
    output_dir = Path(output_dir)
    names = exported_scenarios(output_dir) if scenarios is None else list(scenarios)
    folders = [output_dir / scenario for scenario in names]
    workers = max(1, min(workers, len(folders)))
    with progress_bar(progress and bool(folders)) as bar:
        task = bar.add_task("exporting charts, CSVs and workbooks", total=len(folders))
        if workers == 1:
            out = []
            for folder in folders:
                out += _export_folder(folder, parameters_dir, charts)
                bar.advance(task)
            return out
        return _export_in_processes(folders, parameters_dir, charts, workers, lambda: bar.advance(task))


def _export_in_processes(
    folders: Sequence[Path], parameters_dir: Path, charts: bool, workers: int, advance: Any
) -> list[Path | Problem]:
    """:func:`write_exports` of ``folders`` in ``workers`` processes; ``advance()`` after each folder."""
    pool = ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_ignore_interrupts)
    try:
        futures = [pool.submit(_export_folder, folder, parameters_dir, charts) for folder in folders]
        for _ in as_completed(futures):
            advance()
        out = [item for future in futures for item in future.result()]
    except BaseException:  # Ctrl-C (or a crashed worker): stop now, leave no temporary file
        for process in list(getattr(pool, "_processes", {}).values()):  # no public API lists them
            with contextlib.suppress(Exception):
                process.terminate()
        pool.shutdown(wait=True, cancel_futures=True)
        for folder in folders:
            for path in folder.rglob(".*.tmp"):  # write_atomic's, cut short
                path.unlink(missing_ok=True)
        raise
    pool.shutdown()
    return out


def _export_folder(folder: Path, parameters_dir: Path, charts: bool) -> list[Path | Problem]:
    """:func:`export_scenario`, with a missing folder or a failure as a problem, not an exception."""
    if not folder.is_dir():
        return [Problem(str(folder), "", "no such scenario folder; run `aibm run` first")]
    try:
        return export_scenario(folder, parameters_dir, charts)
    except Exception as error:  # one scenario's failure (a full disk...) must not stop the others
        return [Problem(str(folder), "", f"export failed: {type(error).__name__}: {error}")]


def _ignore_interrupts() -> None:
    """Worker set-up: Ctrl-C is the main process's to handle (it stops the workers)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def problems(exports: Iterable[Path | Problem]) -> list[Problem]:
    """The problems among :func:`write_exports`' results."""
    return [item for item in exports if isinstance(item, Problem)]
