"""Actuals against plan: a scenario's actuals.csv read, set against the model, used as calibration targets."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from aibm_core.analysis import actuals
from aibm_core.analysis.results import scenario_params
from aibm_core.batch import cli
from aibm_core.core.config import PARAMETERS_DIR
from aibm_core.core.params import ParameterError
from aibm_core.models import get_model

FIXTURE = Path(__file__).parent / "case_fixture"
CASE = "case_example_2025"
MODEL = "ai_infrastructure"
HEADER = "model,figure,month,quarter,value,unit,source\n"


@pytest.fixture
def parameters(tmp_path) -> Path:
    folder = tmp_path / "parameters"
    shutil.copytree(PARAMETERS_DIR / "base", folder / "base")
    shutil.copytree(FIXTURE / CASE, folder / CASE)
    return folder


def test_actual_against_modelled_matches_the_hand_computed_variance(parameters):
    params = scenario_params(MODEL, CASE, parameters)
    rows = actuals.read_actuals(actuals.actuals_path(parameters, CASE))
    table = actuals.actuals_table(params, rows)
    spec = get_model(MODEL)
    st = spec.statement(spec.compute(params))
    revenue = np.asarray(st.series("revenue")).ravel()
    gross_profit = np.asarray(st.series("gross_profit")).ravel()
    kpi = float(spec.kpis(spec.compute(params))["installed_gpus"].value)
    expected = [  # (period, actual, modelled by hand)
        ("month 3", 14e6, revenue[2]),
        ("quarter 2 (months 4-6)", 45e6, revenue[3:6].sum()),
        ("quarter 2 (months 4-6)", 0.3, gross_profit[3:6].sum() / revenue[3:6].sum()),
        ("snapshot month", 14500.0, kpi),
    ]
    assert list(table["unit"]) == ["USD per month", "USD", "fraction", "GPUs"]
    for row, (period, actual, model) in zip(table.itertuples(), expected, strict=True):
        assert row.period == period
        assert row.actual == actual and row.modelled == pytest.approx(model, rel=1e-12)
        assert row.variance == pytest.approx(actual - model, rel=1e-12, abs=1e-12)
        assert row.relative_variance == pytest.approx((actual - model) / abs(model), rel=1e-9)


@pytest.mark.parametrize(
    ("row", "key", "words"),
    [
        ("gpu_cloud,revenue,3,,1,USD per month,x", "row 2.model", "expected a model"),
        ("ai_infrastructure,revenue,3,2,1,USD,x", "row 2.quarter", "not both"),
        ("ai_infrastructure,revenue,,X2,1,USD,x", "row 2.quarter", "quarter number"),
        ("ai_infrastructure,revenue,3,,a lot,USD per month,x", "row 2.value", "finite number"),
        ("ai_infrastructure,revenue,3,,1,,x", "row 2.unit", "empty"),
    ],
)
def test_bad_rows_are_one_line_naming_the_file_row_and_column(tmp_path, row, key, words):
    path = tmp_path / "actuals.csv"
    path.write_text(HEADER + row + "\n", encoding="utf-8")
    with pytest.raises(ParameterError) as raised:
        actuals.read_actuals(path)
    assert any(p.key == key and words in p.message for p in raised.value.problems), raised.value.problems
    assert all(str(path) == p.source for p in raised.value.problems)


@pytest.mark.parametrize(
    ("row", "key", "words"),
    [
        ("ai_infrastructure,revenue,,2,1,USD per month,x", "row 2.unit", "'USD'"),  # a quarter is summed
        ("ai_infrastructure,revenue,3,,1,USD,x", "row 2.unit", "'USD per month'"),
        ("ai_infrastructure,revenue,,5,1,USD,x", "row 2.months", "horizon"),  # months 13-15 of 12
        ("ai_infrastructure,installed_gpus,,1,1,GPUs,x", "row 2.months", "only a flow"),
    ],
)
def test_rows_the_model_does_not_have_are_named(parameters, row, key, words):
    path = parameters / CASE / "actuals.csv"
    path.write_text(HEADER + row + "\n", encoding="utf-8")
    problems = actuals.actuals_problems(scenario_params(MODEL, CASE, parameters), actuals.read_actuals(path))
    assert any(p.key == key and words in p.message for p in problems), problems
    assert cli.main(["validate", str(parameters / CASE)]) == 2


def test_calibrate_reads_the_rows_of_its_model_from_an_actuals_file(parameters, tmp_path, capsys):
    path = tmp_path / "actuals.csv"
    params = scenario_params(MODEL, CASE, parameters)
    spec = get_model(MODEL)
    st = spec.statement(spec.compute(params.vary(utilisation=0.7)))
    q2 = float(np.asarray(st.series("revenue")).ravel()[3:6].sum())
    path.write_text(
        HEADER
        + f"{MODEL},revenue,,Q2,{q2!r},USD,made up\napi_access,revenue,3,,5,USD per month,other model\n",
        encoding="utf-8",
    )
    where = ["--parameters", str(parameters), "--targets", str(path)]
    code = cli.main(["calibrate", MODEL, "--scenario", CASE, *where, "--fit", "utilisation"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "revenue@4-6" in out and "0.7" in out
    code = cli.main(["calibrate", "ai_hardware", *where, "--fit", "annual_asp_erosion"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "no row for model 'ai_hardware'" in err[0], err
