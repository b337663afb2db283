"""The scenario workbook and projection CSVs, built from results payloads (no notebook is run).

Percentile and range sheets for a scenario with draws, none for a point scenario; whole-number
formats for counts and months; CSV numbers at display precision.
"""

from __future__ import annotations

import io
import re

import openpyxl
import pytest

from aibm_core.analysis.results import evaluate_scenario, projection_frame, results_payload, scenario_params
from aibm_core.present.exports import (
    csv_number,
    is_count,
    number_format,
    workbook_bytes,
    write_projection_csv,
)

MODELS = ("api_access", "application_layer")


def build(scenario: str) -> tuple[list[dict], openpyxl.Workbook]:
    """The payloads of :data:`MODELS` under ``scenario`` and their workbook, read back."""
    payloads = [results_payload(evaluate_scenario(m, scenario), scenario) for m in MODELS]
    params = [scenario_params(m, scenario) for m in MODELS]
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(scenario, payloads, params)))
    return payloads, book


@pytest.fixture(scope="module")
def base() -> tuple[list[dict], openpyxl.Workbook]:
    return build("base")


@pytest.fixture(scope="module")
def seed() -> tuple[list[dict], openpyxl.Workbook]:
    return build("seed")


def rows(sheet, table: str) -> list[list]:
    """The cells (header row first) of one of a sheet's Excel tables."""
    return [list(row) for row in sheet[sheet.tables[table].ref]]


def values(cells: list) -> list:
    return [c.value for c in cells]


def test_a_scenario_with_draws_has_percentile_and_range_sheets(base):
    _, book = base
    assert book.sheetnames == [
        "Summary",
        *MODELS,
        "KPI percentiles",
        *(f"{m} P10-P90" for m in MODELS),
        "Ranges",
    ]


def test_a_point_scenario_has_no_percentile_sheets(seed):
    payloads, book = seed
    assert all(p["uncertainty"] is None for p in payloads)
    assert book.sheetnames == ["Summary", *MODELS]


def test_kpi_percentiles_are_the_payloads(base):
    payloads, book = base
    table = rows(book["KPI percentiles"], "kpi_percentiles")
    header = values(table[0])
    assert header == ["Model", "Month", "Metric", "Point value", "P10", "P50", "P90", "Unit"]
    api = payloads[0]
    by_metric = {(r[0].value, r[2].value): r for r in table[1:]}
    mrr = by_metric["api_access", api["kpis"]["mrr"]["label"]]
    # Excel keeps 15 significant digits (openpyxl writes 16): equal to the payload at that precision
    assert mrr[header.index("P50")].value == pytest.approx(
        api["uncertainty"]["kpis"]["mrr"]["p50"], rel=1e-15
    )
    assert mrr[header.index("Point value")].value == pytest.approx(api["kpis"]["mrr"]["value"], rel=1e-15)
    assert mrr[header.index("Month")].value == api["snapshot_month"]
    assert mrr[header.index("P50")].number_format.startswith('"$"')
    customers = by_metric["api_access", api["kpis"]["paying_customers"]["label"]]
    assert customers[header.index("Unit")].value == "customers"
    assert customers[header.index("P90")].number_format == "#,##0"


def test_series_percentiles_month_by_month(base):
    payloads, book = base
    api = payloads[0]
    table = rows(book["api_access P10-P90"], "api_access_percentiles")
    header = values(table[0])
    assert header[0] == "Month" and [r[0].value for r in table[1:]] == api["series"]["months"]
    column = header.index("Revenue P50 (USD per month)")
    fan = api["uncertainty"]["series"]["revenue"]["p50"]
    assert [r[column].value for r in table[1:]] == pytest.approx(fan, rel=1e-15)
    assert {"Revenue P10 (USD per month)", "Revenue P90 (USD per month)"} <= set(header)
    volume = header.index("Paying customers P10 (customers)")
    assert table[5][volume].number_format == "#,##0"
    assert table[5][0].number_format == "#,##0"


def test_ranges_sheet_lists_each_driver_with_its_source(base):
    payloads, book = base
    table = rows(book["Ranges"], "ranges")
    header = values(table[0])
    assert header == [
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
    ]
    by_driver = {(r[0].value, r[1].value): values(r) for r in table[1:]}
    expected = {(p["model"], d) for p in payloads for d in p["uncertainty"]["ranges"]}
    assert set(by_driver) == expected
    price = by_driver["api_access", "price_per_m_output_tokens"]
    assert price[2:8] == ["pert", "the whole support", 8, 15, 18, 15]
    assert price[8] == "USD per 1M output tokens"
    assert price[9].startswith("frontier-model list prices")
    churn = by_driver["api_access", "monthly_churn"]
    assert churn[2:4] == ["logitnormal", "90% interval (P5-P95)"] and churn[5] is None


def test_assumptions_say_valid_range_and_whole_numbers_read_whole(seed):
    _, book = seed
    sheet = book["api_access"]
    assumptions = rows(sheet, "api_access_assumptions")
    assert values(assumptions[0]) == [
        "Assumption",
        "Value",
        "Unit",
        "Role",
        "Valid range",
        "Meaning",
        "Source",
        "Source date",
    ]
    by_name = {r[0].value: r for r in assumptions[1:]}
    horizon = by_name["horizon_months"][1]
    assert horizon.value == 36 and horizon.number_format == "#,##0"  # 36, not 36.00
    assert by_name["snapshot_month"][1].number_format == "#,##0"
    assert by_name["initial_customers"][1].number_format == "#,##0"
    projection = rows(sheet, "api_access_projection")
    header = values(projection[0])
    customers = header.index("Customers (customers)")
    assert all(r[customers].number_format == "#,##0" for r in projection[1:])
    kpis = {r[0].value: r for r in rows(sheet, "api_access_kpis")[1:]}
    assert kpis["Paying customers"][1].number_format == "#,##0"
    assert kpis["Gross margin"][1].number_format == "0.0%"


def test_count_units_and_their_formats():
    assert is_count("customers") and is_count("GPUs") and is_count("units per month")
    assert is_count("GPU-hours per month") and is_count("tokens per day")
    assert not is_count("tokens per customer per month") and not is_count("M developers")
    assert not is_count("USD per unit") and not is_count("months") and not is_count("")
    assert number_format("customers", [27348.93, 11480.46]) == "#,##0"
    assert number_format("GPUs", [2.5]) == "#,##0"
    assert number_format("month", [12]) == "#,##0"
    assert number_format("months", [14.2, 3.5]) == "#,##0.00", "a duration keeps its decimals"


def test_csv_numbers_carry_no_float_noise(tmp_path):
    assert csv_number(11700.000000000002) == "11700"
    assert csv_number(0.1 + 0.2) == "0.3"
    assert csv_number(4.03e13) == "40300000000000"
    assert csv_number(-0.0) == "0" and csv_number(float("nan")) == "" and csv_number(float("inf")) == "inf"
    assert csv_number(27348.9328769252) == "27348.9328769"
    for scenario in ("seed", "base"):
        payload = results_payload(evaluate_scenario("api_access", scenario), scenario)
        path = tmp_path / f"{scenario}.csv"
        write_projection_csv(path, projection_frame(payload))
        text = path.read_text()
        assert not re.search(r"\.\d*0000000000|\.\d*9999999999|\d\.\d{13,}|e[+-]\d", text), text[:400]
        assert not re.search(r"(?m)(^|,)\d+\.0(,|$)", text), "whole numbers are written without .0"
    first = (tmp_path / "seed.csv").read_text().splitlines()[1]
    assert first.startswith("1,11700,3510000000000,60,30,210600000,"), first


def test_exports_show_a_progress_line(tmp_path, capsys):
    from aibm_core.analysis.results import write_results
    from aibm_core.present.exports import problems, write_exports

    out = tmp_path / "outputs"
    for scenario in ("seed", "bull"):
        payload = results_payload(evaluate_scenario("api_access", scenario), scenario)
        write_results(payload, out / scenario / "api_access.json")
    exports = write_exports(out, charts=False, progress=True)
    assert problems(exports) == [] and (out / "bull" / "bull.xlsx") in exports
    shown = capsys.readouterr().out
    assert "exporting charts, CSVs and workbooks" in shown and "2/2" in shown
    write_exports(out, charts=False)  # quiet by default (a library call, a notebook)
    assert capsys.readouterr().out == ""
