"""Company cases: case.yaml read and checked, disclosed against modelled, a case runs only its model."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import numpy as np
import pytest

from aibm_core.analysis import cases
from aibm_core.analysis.results import scenario_params
from aibm_core.analysis.scenarios import scenario_models
from aibm_core.batch import cli, runner
from aibm_core.core.config import NOTEBOOKS_DIR, PARAMETERS_DIR
from aibm_core.core.formatting import format_value
from aibm_core.core.params import ParameterError
from aibm_core.models import get_model, model_names
from aibm_core.present.cases import report_block

FIXTURE = Path(__file__).parent / "case_fixture"
CASE = "case_example_2025"
MODEL = "ai_infrastructure"


def copy_case(folder: Path) -> Path:
    """A parameters folder holding the shipped base and the fixture case; returns it."""
    shutil.copytree(PARAMETERS_DIR / "base", folder / "base")
    shutil.copytree(FIXTURE / CASE, folder / CASE)
    return folder


@pytest.fixture(scope="module")
def shared(tmp_path_factory) -> Path:
    return copy_case(tmp_path_factory.mktemp("parameters"))


@pytest.fixture
def private(tmp_path) -> Path:
    return copy_case(tmp_path / "parameters")


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def statement(parameters: Path):
    spec = get_model(MODEL)
    params = scenario_params(MODEL, CASE, parameters)
    result = spec.compute(params)
    return params, spec.statement(result), spec.kpis(result)


# --- reading


def test_the_fixture_case_reads_with_its_inputs_settings_fitted_and_disclosed(shared):
    case = cases.read_case(shared, CASE)
    assert case.company == "Example GPU Cloud, Inc. (made up)" and case.model == MODEL
    assert [i.name for i in case.inputs] == ["initial_gpus", "reserved_share", "on_demand_share"]
    assert {i.as_of for i in case.inputs} == {"2026-02-15"}  # a plain YAML date and a quoted one
    assert [s.name for s in case.settings] == ["horizon_months", "snapshot_month", "draws"]
    assert [(f.name, f.to) for f in case.fitted] == [("utilisation", ("revenue", "gross_margin"))]
    assert [d.target.label for d in case.disclosed] == ["revenue@1-12", "gross_margin@1-12", "installed_gpus"]
    assert case.disclosed[0].target.months == (1, 12) and case.disclosed[0].as_of == "2026-02-15"
    assert case.disclosed[2].target.value == 14000.0  # written 1.4e4: a number, as it looks
    assert cases.case_folders(shared) == [CASE]


# --- the table, against figures computed by hand from the model's statement


def test_disclosed_against_modelled_matches_the_hand_computed_figures(shared):
    case = cases.read_case(shared, CASE)
    params, st, kpis = statement(shared)
    table = cases.disclosed_table(case, params).set_index("key")
    revenue = np.asarray(st.series("revenue")).ravel()
    gross_profit = np.asarray(st.series("gross_profit")).ravel()
    assert len(revenue) == 12
    # revenue over the year: the sum of the twelve months, in USD
    row = table.loc["revenue@1-12"]
    assert row["modelled"] == pytest.approx(revenue.sum(), rel=1e-12)
    assert row["unit"] == "USD" and row["figure"] == "Revenue, months 1-12"
    assert row["error"] == pytest.approx(revenue.sum() - 184e6, rel=1e-12)
    assert row["relative_error"] == pytest.approx((revenue.sum() - 184e6) / 184e6, rel=1e-12)
    assert row["tolerance"] == pytest.approx(0.02 * 184e6) and row["tolerance_text"] == "2%"
    assert row["within"] == (abs(revenue.sum() - 184e6) <= 0.02 * 184e6)
    # gross margin over the year: the ratio of the sums, not the mean of the monthly margins
    row = table.loc["gross_margin@1-12"]
    assert row["modelled"] == pytest.approx(gross_profit.sum() / revenue.sum(), rel=1e-12)
    assert row["modelled"] != pytest.approx(np.mean(gross_profit / revenue), rel=1e-6)
    assert row["tolerance"] == pytest.approx(0.01) and row["unit"] == "fraction"
    # a KPI in the snapshot month (month 12)
    row = table.loc["installed_gpus"]
    assert row["modelled"] == pytest.approx(float(kpis["installed_gpus"].value), rel=1e-12)
    assert row["tolerance"] == pytest.approx(700.0) and row["figure"] == "Installed GPUs, month 12"
    assert table["within"].all()
    assert list(table["reason"])[2] == "the fleet is reported rounded to the thousand GPUs"


def test_a_figure_outside_its_tolerance_is_reported_as_such(private):
    edit(private / CASE / "case.yaml", "value: 184000000", "value: 200000000")
    case = cases.read_case(private, CASE)
    params, st, _ = statement(private)
    table = cases.disclosed_table(case, params).set_index("key")
    modelled = np.asarray(st.series("revenue")).sum()
    assert not table.loc["revenue@1-12", "within"]
    assert table.loc["revenue@1-12", "relative_error"] == pytest.approx((modelled - 2e8) / 2e8)
    assert table.loc["gross_margin@1-12", "within"] and table.loc["installed_gpus", "within"]
    html = report_block(MODEL, params, CASE, private)
    assert "1 figure(s) outside tolerance" in html and "<tr class='missed'>" in html


def test_changing_a_value_of_the_model_file_breaks_the_within_tolerance_check(private):
    """The table reads the case's own model values: a changed input moves the modelled figures."""
    edit(private / CASE / f"{MODEL}.yaml", "initial_gpus: 10000.0", "initial_gpus: 13000.0")
    case = cases.read_case(private, CASE)
    table = cases.disclosed_table(case, scenario_params(MODEL, CASE, private)).set_index("key")
    assert not table.loc["revenue@1-12", "within"]
    assert not table.loc["installed_gpus", "within"]


def test_inputs_and_fitted_tables_keep_fitted_drivers_out_of_the_inputs(shared):
    case = cases.read_case(shared, CASE)
    params = scenario_params(MODEL, CASE, shared)
    inputs = cases.inputs_table(case, params)
    fitted = cases.fitted_table(case, params)
    assert list(inputs.columns) == ["driver", "value", "unit", "source", "date"]
    assert "utilisation" not in set(inputs["driver"])
    assert list(inputs["value"]) == ["10,000 GPUs", "70.0%", "20.0%"] and set(inputs["date"]) == {
        "2026-02-15"
    }
    assert fitted.to_dict("records") == [
        {
            "driver": "utilisation",
            "value": "80.0%",
            "unit": "fraction",
            "fitted_to": "revenue, gross_margin",
            "how": "aibm calibrate (least squares within the valid range)",
        }
    ]


# --- checks: one line per problem, naming the file, the key and what is allowed


@pytest.mark.parametrize(
    ("old", "new", "key", "words"),
    [
        (
            ", as_of: 2026-02-15}\n  reserved_share",
            "}\n  reserved_share",
            "inputs.initial_gpus.as_of",
            "date",
        ),
        ("  draws: {why", "  initial_gpus: {why: twice}\n  draws: {why", "initial_gpus", "exactly one"),
        ('  draws: {why: "the case is compared at its point values"}\n', "", "draws", "none of inputs"),
        ("model: ai_infrastructure", "model: gpu_cloud", "model", "expected a model"),
        ("model: ai_infrastructure", "model: api_access", "model", "has no api_access.yaml"),
        ("to: [revenue, gross_margin]", "to: [revenue, ebitda]", "fitted.utilisation.to", "not a disclosed"),
        (
            'reason: "gross margin is rounded to a whole percent", ',
            "",
            "disclosed[2].reason",
            "expected text",
        ),
        (
            "months: 1-12, value: 184000000",
            "months: 1-24, value: 184000000",
            "disclosed[1].months",
            "horizon",
        ),
        (
            "{figure: installed_gpus,",
            "{figure: installed_gpus, months: 1-3,",
            "disclosed[3].months",
            "only a flow",
        ),
        ("{figure: installed_gpus,", "{figure: fleet_size,", "disclosed[3].figure", "unknown figure"),
        ("period: fiscal", "colour: blue\nperiod: fiscal", "colour", "unknown key"),
        (
            "  draws: {why",
            "  initial_gpus: {why: x}\n  draws: {why",
            "settings.initial_gpus",
            "not a setting",
        ),
        (
            "fitted:\n",
            "fitted:\n  horizon_months: {to: [revenue], how: x}\n",
            "fitted.horizon_months",
            "not a driver",
        ),
    ],
)
def test_bad_cases_are_one_line_naming_file_key_and_what_is_allowed(private, old, new, key, words):
    edit(private / CASE / "case.yaml", old, new)
    with pytest.raises(ParameterError) as raised:
        cases.read_case(private, CASE)
    lines = [str(p) for p in raised.value.problems]
    assert any(p.key == key and words in p.message for p in raised.value.problems), lines
    assert all("\n" not in line and "case.yaml" in line for line in lines), lines


def test_a_case_must_not_be_linked(private):
    edit(private / CASE / "scenario.yaml", "linked: false", "linked: true")
    problems = cases.case_problems(private, CASE)
    assert [(Path(p.source).name, p.key) for p in problems] == [("scenario.yaml", "linked")]


# --- a case runs only its model


def test_a_case_runs_only_its_model_and_no_pyramid(shared, tmp_path):
    assert scenario_models(shared, CASE) == [MODEL]
    assert len(scenario_models(shared, "base")) == len(model_names())
    jobs = runner.plan(shared, tmp_path / "out", [CASE])
    assert [(j.scenario, j.model) for j in jobs] == [(CASE, MODEL)]


def test_validate_accepts_the_case_and_reports_a_broken_one_in_one_line(private, capsys):
    assert cli.main(["validate", str(private / CASE)]) == 0
    assert "parameter file(s) valid" in capsys.readouterr().out
    edit(private / CASE / "case.yaml", ", as_of: 2026-02-15}\n  reserved_share", "}\n  reserved_share")
    assert cli.main(["validate", str(private / CASE)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "inputs.initial_gpus.as_of" in lines[0] and "case.yaml" in lines[0], lines


# --- the report block and the notebook cell


def test_the_report_block_shows_the_case_then_inputs_then_fitted_and_nothing_elsewhere(shared):
    params = scenario_params(MODEL, CASE, shared)
    html = report_block(MODEL, params, CASE, shared)
    order = [html.index(t) for t in ("Disclosed against modelled", "Inputs (taken", "Fitted drivers")]
    assert order == sorted(order)
    assert "every disclosed figure within tolerance" in html and "$184M" in html
    assert "Actuals against plan" in html  # the fixture has an actuals.csv too
    base = scenario_params("api_access", "base", shared)
    assert report_block("api_access", base, "base", shared) == ""
    assert report_block(MODEL, params, CASE, None) == ""


@pytest.mark.parametrize("model", model_names())
def test_each_model_notebook_shows_the_case_right_after_its_parameters(model):
    nb = nbformat.read(NOTEBOOKS_DIR / f"{model}.ipynb", as_version=4)
    cell = nb.cells[2]
    assert "parameters" in nb.cells[1].metadata.get("tags", [])
    assert cell.cell_type == "code" and f'notebook.company_case("{model}", globals())' in cell.source
    assert cell.metadata.get("tags", []) == nb.cells[3].metadata.get("tags", [])


# --- every shipped company case keeps its disclosed figures within tolerance

SHIPPED = cases.case_folders(PARAMETERS_DIR)


@pytest.mark.parametrize("scenario", SHIPPED or ["(none)"])
def test_every_shipped_case_keeps_each_disclosed_figure_within_tolerance(scenario):
    if not SHIPPED:
        # the glob found no parameters/case_* folder: nothing is tested here, and it says so
        pytest.skip("no company case (parameters/case_*/case.yaml) is shipped yet: nothing to check")
    assert re.fullmatch(r"case_[a-z0-9_]+", scenario), "a case folder is named case_<company>_<period>"
    case = cases.read_case(PARAMETERS_DIR, scenario)
    table = cases.disclosed_table(case, scenario_params(case.model, scenario, PARAMETERS_DIR))
    missed = table[~table["within"]]
    assert missed.empty, missed[["key", "disclosed", "modelled", "tolerance", "reason"]].to_string()
    assert scenario_models(PARAMETERS_DIR, scenario) == [case.model]


def test_calibrate_takes_a_case_as_its_targets_and_refits_its_fitted_driver(private, capsys):
    edit(private / CASE / f"{MODEL}.yaml", "utilisation: 0.8", "utilisation: 0.6")
    assert not cases.disclosed_table(cases.read_case(private, CASE), scenario_params(MODEL, CASE, private))[
        "within"
    ].all()
    path = private / CASE / "case.yaml"
    where = ["--scenario", CASE, "--parameters", str(private), "--targets", str(path)]
    assert cli.main(["calibrate", MODEL, *where, "--fit", "utilisation"]) == 0
    out = capsys.readouterr().out
    assert "revenue@1-12" in out and "installed_gpus" in out
    assert cli.main(["calibrate", "api_access", *where, "--fit", "price_per_m_output_tokens"]) == 2
    assert "not 'api_access'" in capsys.readouterr().err


def test_differences_of_fractions_are_in_percentage_points_and_keep_their_sign():
    from aibm_core.present.cases import _difference

    assert _difference(0.0046, "fraction") == "+" + format_value(0.46, "percentage points")
    assert _difference(-0.02, "fraction").startswith("−")
    assert _difference(-547894.0, "USD") == "−" + format_value(547894.0, "USD")
    assert _difference(float("nan"), "USD") == "n/a"


def test_the_notebook_call_shows_the_case_block_and_nothing_for_other_scenarios(shared):
    from aibm_core.present import notebook

    values = scenario_params(MODEL, CASE, shared)
    namespace = {**values.model_dump(), "scenario": CASE, "parameters_dir": str(shared)}
    shown = notebook.company_case(MODEL, namespace)
    assert shown is not None and "Disclosed against modelled" in shown.data
    assert notebook.company_case(MODEL, {**namespace, "scenario": "base"}) is None
    assert notebook.company_case(MODEL, {**namespace, "parameters_dir": ""}) is None


@pytest.mark.slow
def test_aibm_run_on_a_case_runs_one_notebook_whose_report_opens_with_the_case(shared, tmp_path):
    from tests.conftest import aibm

    out = tmp_path / "out"
    done = aibm("run", "--parameters", str(shared), "--scenario", CASE, "--output", str(out), "--no-exports")
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(p.name for p in (out / CASE).glob("*.ipynb")) == [f"{MODEL}.ipynb"]
    html = (out / CASE / f"{MODEL}.html").read_text(encoding="utf-8")
    assert html.index("Disclosed against modelled") < html.index("Metric tree")


def test_an_error_of_rounding_noise_reads_zero_and_a_real_one_is_shown():
    """An input that is the disclosed figure itself comes back a few millionths of a dollar off
    through the model's float sums: the table shows 0, not "+$0.00000381 (+0.000000000000023%)";
    an error of a dollar on the same figure is shown."""
    import pandas as pd

    from aibm_core.present.cases import disclosed_rows

    def row(modelled: float) -> dict:
        return {
            "figure": "Operating expenses, months 1-12",
            "disclosed": 16_405_000_000.0,
            "modelled": modelled,
            "unit": "USD",
            "error": modelled - 16_405_000_000.0,
            "relative_error": (modelled - 16_405_000_000.0) / 16_405_000_000.0,
            "tolerance": 164_050_000.0,
            "tolerance_text": "1%",
            "reason": "inputs",
            "within": True,
            "source": "a filing",
            "as_of": "2025-02-26",
        }

    noise, dollar = disclosed_rows(pd.DataFrame([row(16_405_000_000.0 + 3.81e-6), row(16_405_000_001.0)]))
    assert noise["cells"][3].startswith("$0 (")
    assert "0.00000" not in noise["cells"][3]
    assert dollar["cells"][3].startswith("+$1")
