"""Exports of a batch: chart images, projection CSVs and the scenario workbook."""

from __future__ import annotations

import json
import math
import re
import shutil
import struct
from html import escape
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from aibm_core.analysis.results import evaluate_scenario
from aibm_core.core.config import PARAMETERS_DIR
from aibm_core.core.files import write_atomic
from aibm_core.core.params import Problem
from aibm_core.models import model_names
from aibm_core.models.base import column_info
from aibm_core.present.charts import EXPORT_PNG_SCALE, VEGALITE_MIME
from aibm_core.present.exports import (
    cell_value,
    number_format,
    problems,
    projection_table,
    projection_units,
    slug,
    write_exports,
)

pytestmark = pytest.mark.slow

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def exported(seed_run, tmp_path_factory) -> tuple[Path, list]:
    """A copy of the seed batch, exported with charts (the shared batch stays untouched)."""
    out = tmp_path_factory.mktemp("exported") / "outputs"
    shutil.copytree(seed_run, out)
    return out, write_exports(out)


@pytest.fixture
def fresh_copy(seed_run, tmp_path) -> Path:
    out = tmp_path / "outputs"
    shutil.copytree(seed_run, out)
    return out


def vegalite_outputs(notebook: Path) -> list[dict]:
    """Chart specs of a notebook, counted here independently of the module under test."""
    nb = json.loads(notebook.read_text())
    return [
        output["data"][VEGALITE_MIME]
        for cell in nb["cells"]
        if cell["cell_type"] == "code"
        for output in cell["outputs"]
        if output["output_type"] in ("display_data", "execute_result") and VEGALITE_MIME in output["data"]
    ]


def test_a_clean_batch_exports_without_problems(exported):
    out, results = exported
    assert problems(results) == []
    folder = out / "seed"
    expected = {folder / "seed.xlsx", *(folder / f"{m}_projection.csv" for m in model_names())}
    assert expected <= set(results)
    assert all(p.exists() for p in results)


@pytest.mark.parametrize("model", [*model_names(), "pyramid_comparison"])
def test_every_chart_is_exported_as_png_and_svg(exported, model):
    out, _ = exported
    specs = vegalite_outputs(out / "seed" / f"{model}.ipynb")
    assert specs, "the notebook shows charts"
    folder = out / "seed" / "charts" / model
    pngs, svgs = sorted(folder.glob("*.png")), sorted(folder.glob("*.svg"))
    assert len(pngs) == len(svgs) == len(specs)
    for number, (png, svg, spec) in enumerate(zip(pngs, svgs, specs, strict=True), start=1):
        assert re.fullmatch(rf"{number:02d}-[a-z0-9-]+\.png", png.name)
        assert svg.stem == png.stem
        data = png.read_bytes()
        assert data.startswith(PNG_MAGIC)
        text = svg.read_text()
        assert "<svg" in text and "<text" in text
        title = spec.get("title")
        title = title.get("text") if isinstance(title, dict) else title
        if isinstance(title, str) and title:
            assert escape(title, quote=False) in text  # the title is drawn in the chart
            assert png.stem[3:] == slug(title)
        # PNG at the chart's own size: IHDR width against the SVG's width attribute
        png_width = struct.unpack(">I", data[16:20])[0]
        svg_width = float(re.search(r'<svg[^>]*\bwidth="([\d.]+)"', text)[1])
        assert png_width == pytest.approx(EXPORT_PNG_SCALE * svg_width, abs=2)


def test_chart_file_names_say_what_the_chart_is():
    assert slug("Gross margin: each driver across its range (P10-P90) or ±20%") == (
        "gross-margin-each-driver-across-its-range-p10-p90-or-20"
    )
    assert slug("") == "chart"
    long = slug("Price of a sold hour against revenue and full cost of an installed hour")
    assert long == "price-of-a-sold-hour-against-revenue-and-full-cost-of-an"  # whole words, <= 60
    assert len(long) <= 60


def test_workbook_summary_and_model_sheets(exported):
    out, _ = exported
    book = openpyxl.load_workbook(out / "seed" / "seed.xlsx")
    assert book.sheetnames == ["Summary", *model_names()]
    summary = book["Summary"]
    assert summary.freeze_panes == "B2"
    header = [c.value for c in summary[1]]
    rows = {row[0].value: row for row in summary.iter_rows(min_row=2)}
    api = rows["API access / model-as-a-service"]
    margin = api[header.index("Gross margin")]
    assert margin.value == 0.5  # seed 000: $0.06 price, $0.03 cost per 1K tokens
    assert margin.number_format.endswith("%")
    north = api[header.index("North-star value")]
    assert isinstance(north.value, float) and north.number_format.startswith('"$"')
    assert api[header.index("North-star unit")].value == "USD per month"
    payload = json.loads((out / "seed" / "api_access.json").read_text())
    assert north.value == payload["north_star"]["value"]
    breached = [g["label"] for g in payload["guardrails"] if not g["ok"]]
    total = len(payload["guardrails"])
    assert api[header.index("Guardrails")].value == f"{len(breached)} of {total} breached"


def _table(sheet, name: str) -> list[list]:
    """Rows (header first) of one of a sheet's Excel tables."""
    return [[c.value for c in row] for row in sheet[sheet.tables[name].ref]]


def test_model_sheet_holds_assumptions_kpis_and_projection(exported):
    out, _ = exported
    sheet = openpyxl.load_workbook(out / "seed" / "seed.xlsx")["api_access"]
    evaluation = evaluate_scenario("api_access", "seed")
    assumptions = _table(sheet, "api_access_assumptions")
    header = ["Assumption", "Value", "Unit", "Role", "Valid range", "Meaning", "Source", "Source date"]
    assert assumptions[0] == header
    by_name = {row[0]: row for row in assumptions[1:]}
    assert by_name["direct_cost_per_m_tokens"][1:4] == [30, "USD per 1M tokens", "driver"]
    assert by_name["cost_basis"][1] == "direct"
    assert len(by_name) == len(type(evaluation.params).model_fields)

    kpis = _table(sheet, "api_access_kpis")
    assert kpis[0] == ["Metric", "Value", "Unit"]
    assert ["Gross margin", 0.5, "fraction"] in kpis

    projection = _table(sheet, "api_access_projection")
    assert len(projection) - 1 == evaluation.params.horizon_months == 36
    assert projection[0][0] == "Month" and "Revenue (USD per month)" in projection[0]
    assert [row[0] for row in projection[1:]] == list(range(1, 37))
    assert all(isinstance(v, int | float) for row in projection[1:] for v in row)
    column = projection[0].index("Gross margin (fraction)")
    ref = sheet.tables["api_access_projection"].ref
    first_data_row = int(re.match(r"[A-Z]+(\d+)", ref)[1]) + 1
    assert sheet.cell(first_data_row, column + 1).number_format == "0.0%"


def test_csv_matches_the_evaluation(exported):
    out, _ = exported
    for model in model_names():
        csv = pd.read_csv(out / "seed" / f"{model}_projection.csv", index_col=0)
        frame = evaluate_scenario(model, "seed").projection()
        assert csv.index.name == "Month"
        assert list(csv.index) == list(frame.index)
        assert csv.shape == frame.shape
        assert all(re.search(r"\(.+\)$", c) for c in csv.columns), "every heading carries a unit"
        expected = projection_table(frame)  # the same numbers, scaled to the unit of each heading
        assert list(csv.columns) == list(expected.columns)
        np.testing.assert_allclose(csv.to_numpy(), expected.to_numpy(), rtol=1e-9, equal_nan=True)
    headings = pd.read_csv(out / "seed" / "api_access_projection.csv", nrows=0).columns
    assert "Revenue (USD per month)" in headings and "Gross margin (fraction)" in headings


def test_no_temporary_files_are_left(exported):
    out, _ = exported
    assert [p for p in out.rglob("*") if p.name.startswith(".") and p.name.endswith(".tmp")] == []


def test_every_projection_column_has_a_label_and_unit():
    for model in model_names():
        for scenario in ("base", "seed"):
            frame = evaluate_scenario(model, scenario).projection()
            units = projection_units(frame)
            assert [h for h, unit in units.items() if not unit] == [], model
            assert len(units) == frame.shape[1], f"{model}: two columns share a heading"
    hardware = evaluate_scenario("ai_hardware", "base").projection()
    assert column_info(hardware, "revenue_gen2") == ("Revenue: chip generation 2", "USD per month", 1.0)
    application = evaluate_scenario("application_layer", "base").projection()
    assert column_info(application, "contract_margin") == ("Contract margin", "fraction", 1.0)
    api = evaluate_scenario("api_access", "base").projection()
    assert column_info(api, "tokens_b") == ("Tokens processed", "tokens per month", 1e9)


def test_csv_is_scaled_to_the_unit_in_its_heading():
    frame = evaluate_scenario("api_access", "seed").projection()
    table = projection_table(frame)
    np.testing.assert_allclose(table["Tokens processed (tokens per month)"], frame["tokens_b"] * 1e9)


def test_number_formats_and_cell_values():
    assert number_format("fraction", [0.5]) == "0.0%"
    assert number_format("fraction per month", [0.03]) == "0.0%"
    assert number_format("USD per month", [6.8e8, 7e8]) == '"$"#,##0'
    assert number_format("USD per 1M tokens", [60.0, 30.0]) == '"$"#,##0.00'
    assert number_format("USD per 1K tokens", [0.06, 0.03]) == '"$"#,##0.0000'
    assert number_format("months", [12, 36]) == "#,##0"
    assert number_format("months", [0.4]) == "#,##0.0000"
    assert number_format("ratio", [1.5, 2.5]) == "#,##0.00"
    assert cell_value(math.inf, "months") == "never"
    assert cell_value(math.inf, "USD per customer") == "unbounded"
    assert cell_value(math.nan) is None
    assert cell_value(np.float64(0.25)) == 0.25 and isinstance(cell_value(np.int64(3)), int)


def test_a_broken_results_file_is_reported_and_the_rest_still_exports(fresh_copy):
    write_exports(fresh_copy, charts=False)
    folder = fresh_copy / "seed"
    results = folder / "api_access.json"
    results.write_text(results.read_text()[:200])  # truncated, as by a full disk
    older = folder / "ai_hardware.json"
    older.write_text(json.dumps({**json.loads(older.read_text()), "schema_version": "0.9.0"}))
    exports = write_exports(fresh_copy, scenarios=["no_such_scenario", "seed"], charts=False)
    found = problems(exports)
    where = [str(fresh_copy / "no_such_scenario"), str(older), str(results)]
    assert [str(p).split(":")[0] for p in found] == where
    assert "schema version '0.9.0'" in found[1].message
    assert "not valid JSON" in found[2].message
    assert all("\n" not in str(p) for p in found)
    assert not (folder / "api_access_projection.csv").exists(), "no earlier export left looking current"
    assert (folder / "ai_platform_projection.csv") in exports
    book = openpyxl.load_workbook(folder / "seed.xlsx")
    assert book.sheetnames == [
        "Summary",
        *(m for m in model_names() if m not in ("api_access", "ai_hardware")),
    ]


def test_edited_parameters_are_reported_not_exported(fresh_copy, tmp_path):
    parameters = tmp_path / "parameters"
    shutil.copytree(PARAMETERS_DIR, parameters)
    path = parameters / "seed" / "api_access.yaml"
    text = path.read_text()
    assert "direct_cost_per_m_tokens: 30.0" in text
    path.write_text(text.replace("direct_cost_per_m_tokens: 30.0", "direct_cost_per_m_tokens: 40.0"))
    exports = write_exports(fresh_copy, parameters_dir=parameters, charts=False)
    [problem] = problems(exports)
    assert problem.source.endswith("api_access.json")
    assert "changed since the run" in problem.message
    assert "aibm run --scenario seed" in problem.message


def test_a_model_without_results_loses_its_old_exports(fresh_copy):
    write_exports(fresh_copy)
    folder = fresh_copy / "seed"
    assert list((folder / "charts" / "ai_platform").glob("*.png"))
    (folder / "ai_platform.json").unlink()  # as a failed rerun leaves it
    exports = write_exports(fresh_copy, charts=False)
    assert problems(exports) == []
    assert not (folder / "ai_platform_projection.csv").exists()
    assert not (folder / "charts" / "ai_platform").exists()
    assert list((folder / "charts" / "api_access").glob("*.png")), "other charts stay"
    assert "ai_platform" not in openpyxl.load_workbook(folder / "seed.xlsx").sheetnames


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "book.xlsx"
    write_atomic(target, b"old")
    (tmp_path / "dir.xlsx").mkdir()
    with pytest.raises(OSError):
        write_atomic(tmp_path / "dir.xlsx", b"new")  # cannot replace a folder
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx", "dir.xlsx"]


def test_problems_are_problem_objects(fresh_copy):
    [problem] = problems(write_exports(fresh_copy, scenarios=["nowhere"]))
    assert isinstance(problem, Problem) and "run `aibm run` first" in str(problem)


def test_exports_in_worker_processes_match_those_made_here(fresh_copy):
    """Scenarios exported in parallel processes give the same files and problems, in order."""
    scenarios = ["no_such_scenario", "seed"]
    here = write_exports(fresh_copy, scenarios=scenarios, charts=False)
    csv = (fresh_copy / "seed" / "api_access_projection.csv").read_bytes()
    parallel = write_exports(fresh_copy, scenarios=scenarios, charts=False, workers=2)
    assert parallel == here and len(problems(parallel)) == 1
    assert (fresh_copy / "seed" / "api_access_projection.csv").read_bytes() == csv


def test_interrupted_parallel_exports_stop_their_workers_and_leave_no_temporary_file(fresh_copy, monkeypatch):
    from concurrent.futures import Future

    leftover = fresh_copy / "seed" / "charts" / ".01-chart.png.abc123.tmp"  # as write_atomic names them
    leftover.parent.mkdir(parents=True, exist_ok=True)
    leftover.write_bytes(b"half")

    def interrupted(self, timeout=None):
        raise KeyboardInterrupt

    monkeypatch.setattr(Future, "result", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_exports(fresh_copy, scenarios=["seed", "seed"], charts=False, workers=2)
    assert not leftover.exists()
