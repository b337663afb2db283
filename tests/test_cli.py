"""The `aibm` command end to end: real notebook runs, validation exit codes, a failing run."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import nbformat
import pytest

from aibm_core.core.config import NOTEBOOKS_DIR, PARAMETERS_DIR
from aibm_core.models import get_model, model_names
from tests.conftest import aibm, notebook_charts


@pytest.mark.slow
def test_seed_run_writes_notebook_report_and_results(seed_run):
    folder = seed_run / "seed"
    runs = [*model_names(), "pyramid_comparison"]
    expected = {f"{m}.{ext}" for m in runs for ext in ("html", "ipynb", "json")}
    exports = {f"{m}_projection.csv" for m in model_names()} | {"seed.xlsx", "charts"}
    assert sorted(p.name for p in folder.iterdir()) == sorted(expected | exports)
    assert sorted(p.name for p in (folder / "charts").iterdir()) == sorted(runs)
    results = json.loads((folder / "api_access.json").read_text())
    assert results["gross_margin"] == 0.5
    assert (
        results["model"] == "api_access" and results["scenario"] == "seed" and results["layer"] == "platform"
    )
    assert (
        results["north_star"]["name"] == "API revenue (MRR)"
        and results["north_star"]["unit"] == "USD per month"
    )
    assert {g["name"] for g in results["guardrails"]} == {
        "churn",
        "cac_payback",
        "cost_per_request",
        "top10_share",
        "error_rate",
        "gross_margin_floor",
    }
    assert all(
        set(g) >= {"name", "value", "worst", "first_breach_month", "threshold", "direction", "ok"}
        for g in results["guardrails"]
    )
    assert results["kpis"]["gross_margin"]["value"] == 0.5
    assert any(node["computed"] for node in results["tree"])
    index = (seed_run / "index.html").read_text()
    assert "seed/api_access.html" in index and "50.0%" in index


@pytest.mark.slow
def test_report_loads_nothing_from_the_internet(seed_run):
    page = (seed_run / "seed" / "api_access.html").read_text()
    assert "<script src=" not in page.replace(" ", "").replace("<scriptsrc=", "<script src=")
    for marker in ("require.js", "mathjax.js", "mathjax@", "tex-chtml", "unpkg.com", "cdn.jsdelivr", "cdnjs"):
        assert marker not in page.lower(), marker
    charts = notebook_charts(seed_run / "seed" / "api_access.ipynb")
    assert charts >= 6 and page.count("vegaEmbed('#chart-") == charts
    assert "print(" not in page, "code cells must be hidden"


def test_validate_accepts_the_shipped_parameters():
    done = aibm("validate")
    assert done.returncode == 0, done.stderr
    assert "valid" in done.stdout


def test_validate_reports_a_misspelt_key_in_one_line(tmp_path):
    bad = tmp_path / "api_access.yaml"
    bad.write_text("price_per_m_output_tokns: 12\nprice_per_m_input_tokens: -3\n")
    done = aibm("validate", str(bad))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 2 and "Traceback" not in done.stderr
    assert all(str(bad) in line for line in lines)
    assert any("'price_per_m_output_tokns'" in line and "did you mean" in line for line in lines)
    assert any("'price_per_m_input_tokens'" in line and "-3" in line for line in lines)


def test_validate_rejects_files_not_named_after_a_model(tmp_path):
    odd = tmp_path / "pricing.yaml"
    odd.write_text("a: 1\n")
    done = aibm("validate", str(odd))
    assert done.returncode == 2 and "must be a model name" in done.stderr


def test_run_with_bad_parameters_starts_no_kernel(tmp_path):
    params = tmp_path / "parameters"
    (params / "broken").mkdir(parents=True)
    (params / "broken" / "api_access.yaml").write_text("monthly_churn: 3\n")
    out = tmp_path / "out"
    done = aibm("run", "--parameters", str(params), "--output", str(out), "--no-progress")
    assert done.returncode == 2
    assert "monthly_churn" in done.stderr and "Traceback" not in done.stderr
    assert not out.exists()


def test_run_rejects_unknown_scenario_and_model(tmp_path):
    done = aibm("run", "--scenario", "nope", "--model", "nada", "--output", str(tmp_path), "--no-progress")
    assert done.returncode == 2
    assert "unknown scenario 'nope'" in done.stderr and "unknown model 'nada'" in done.stderr


@pytest.mark.slow
def test_a_failing_run_keeps_its_notebook_and_spares_the_others(tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    nb = nbformat.read(NOTEBOOKS_DIR / "api_access.ipynb", as_version=4)
    position = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])) + 1
    failing = nbformat.v4.new_code_cell(
        'if scenario == "broken":\n    raise RuntimeError("deliberate failure")'
    )
    failing["id"] = "deliberate-failure"
    nb.cells.insert(position, failing)
    nbformat.write(nb, notebooks / "api_access.ipynb")
    params = tmp_path / "parameters"
    for scenario in ("seed", "broken"):
        (params / scenario).mkdir(parents=True)
        shutil.copy(PARAMETERS_DIR / "seed" / "api_access.yaml", params / scenario / "api_access.yaml")
    out = tmp_path / "out"
    done = aibm(
        "run",
        "--parameters",
        str(params),
        "--notebooks",
        str(notebooks),
        "--output",
        str(out),
        "--no-progress",
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "RuntimeError: deliberate failure" in done.stdout
    # counted from 1 in the kept notebook: papermill's banner, the injected parameters and its anchor
    assert 'cell 6 of the kept notebook, cell 3 of notebooks/api_access.ipynb (if scenario == "broken":)' in (
        done.stdout
    )
    assert (out / "seed" / "api_access.json").exists()
    assert (out / "broken" / "api_access.ipynb").exists()
    assert not (out / "broken" / "api_access.json").exists()
    assert not list(out.rglob("*.partial.*"))
    assert "FAILED" in (out / "index.html").read_text()


@pytest.mark.slow
def test_the_same_inputs_give_byte_identical_outputs(tmp_path):
    """Results JSON, HTML report and index do not change from one run to the next."""
    for folder in ("first", "second"):
        done = aibm(
            "run",
            "--scenario",
            "base",
            "--model",
            "api_access",
            "--output",
            str(tmp_path / folder),
            "--no-progress",
        )
        assert done.returncode == 0, done.stdout + done.stderr
    for name in ("base/api_access.json", "base/api_access.html", "index.html"):
        first, second = (tmp_path / folder / name for folder in ("first", "second"))
        assert first.read_bytes() == second.read_bytes(), name


@pytest.mark.slow
def test_plain_papermill_takes_ranges_with_y_and_numbers_with_p(tmp_path):
    """Without the CLI: a range passed as YAML is a range, a number passed with -p is a point."""
    results = tmp_path / "results.json"
    notebook = str(NOTEBOOKS_DIR / "api_access.ipynb")
    command = [
        sys.executable, "-m", "papermill", notebook, str(tmp_path / "out.ipynb"),
        "-y", "monthly_churn: {low: 0.01, high: 0.06}\ndraws: 200",
        "-p", "gpu_utilisation", "0.5", "-p", "results_path", str(results), "-k", "python3",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    uncertainty = json.loads(results.read_text())["uncertainty"]
    assert uncertainty["draws"] == 200
    assert uncertainty["ranges"]["monthly_churn"] == {"dist": "logitnormal", "low": 0.01, "high": 0.06}
    assert "gpu_utilisation" not in uncertainty["ranges"]  # a number means a number
    assert "price_per_m_output_tokens" in uncertainty["ranges"]  # the notebook's base ranges stay


@pytest.mark.slow
def test_the_pyramid_comparison_runs_after_the_models_and_alone(seed_run, tmp_path):
    comparison = json.loads((seed_run / "seed" / "pyramid_comparison.json").read_text())
    assert comparison["kind"] == "pyramid_comparison" and comparison["scenario"] == "seed"
    listed = {m["model"] for layer in comparison["layers"] for m in layer["models"]}
    assert listed == set(model_names())
    assert "seed/pyramid_comparison.html'>pyramid comparison</a>" in (seed_run / "index.html").read_text()
    done = aibm(
        "run",
        "--scenario",
        "seed",
        "--model",
        "pyramid_comparison",
        "--output",
        str(tmp_path),
        "--no-progress",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(p.name for p in (tmp_path / "seed").iterdir()) == [
        "charts", "pyramid_comparison.html", "pyramid_comparison.ipynb", "pyramid_comparison.json",
    ]  # fmt: skip
    assert [p.name for p in (tmp_path / "seed" / "charts").iterdir()] == ["pyramid_comparison"]


def test_version_and_run_help_name_scenarios_models_and_exit_codes():
    assert aibm("--version").stdout.startswith("aibm ")
    text = aibm("run", "--help").stdout
    assert "examples:" in text and "aibm run --scenario bear --model api_access" in text
    assert "scenarios in parameters/: base, bull, bear, seed" in text
    assert "models: " + ", ".join(model_names()) in text
    assert "130  interrupted" in text and "2    bad input" in text


def test_assumptions_as_text_csv_and_json():
    import csv
    import io

    text = aibm("assumptions", "ai_hardware").stdout
    assert "e+0" not in text  # no scientific notation
    rows = list(csv.DictReader(io.StringIO(aibm("assumptions", "api_access", "--format", "csv").stdout)))
    assert rows[0]["assumption"] == "horizon_months" and rows[0]["unit"] == "months"
    data = json.loads(aibm("assumptions", "api_access", "--format", "json").stdout)
    assert data["model"] == "api_access"
    columns = {"assumption", "value", "unit", "range", "role", "meaning", "source"}
    assert columns <= set(data["assumptions"][0])
    bad = aibm("assumptions", "api_access", "--format", "xml")
    assert bad.returncode == 2 and "invalid choice: 'xml'" in bad.stderr


def test_output_into_a_closed_pipe_is_not_a_traceback():
    import os

    read, write = os.pipe()
    os.close(read)  # the reader is gone before the first line, as after `| head -0`
    done = subprocess.run(
        [sys.executable, "-m", "aibm_core.batch.cli", "assumptions", "api_access"],
        stdout=write,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    os.close(write)
    assert done.returncode == 0 and done.stderr == "", done.stderr


@pytest.mark.slow
def test_papermill_help_notebook_explains_units_ranges_and_choices():
    done = subprocess.run(
        [sys.executable, "-m", "papermill", "--help-notebook", str(NOTEBOOKS_DIR / "api_access.ipynb")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Unable to parse" not in done.stderr, done.stderr
    assert "USD per 1M input tokens; a number ≥ 0.01 and ≤ 1,000" in done.stdout
    assert "one of 'gpu', 'direct'" in done.stdout
    assert "(a range {low, high}, or a number)" in done.stdout
    listed = {line.split(":")[0].strip() for line in done.stdout.splitlines() if ": " in line}
    assert set(get_model("api_access").params.model_fields) <= listed


@pytest.mark.slow
def test_a_batch_started_from_a_live_session_writes_static_charts(seed_run, tmp_path):
    import os

    from aibm_core.core.config import LIVE_ENV
    from aibm_core.present.charts import VEGALITE_MIME

    out = tmp_path / "out"
    command = [sys.executable, "-m", "aibm_core.batch.cli", "run", "--scenario", "seed"]
    command += ["--model", "api_access"]
    command += ["--output", str(out), "--no-progress", "--no-exports"]
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, LIVE_ENV: "1"})
    assert done.returncode == 0, done.stdout + done.stderr

    def charts(path) -> int:
        nb = nbformat.read(path, as_version=4)
        return sum(VEGALITE_MIME in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))

    # as many static charts as the same run without the variable, none turned live
    assert charts(out / "seed" / "api_access.ipynb") == charts(seed_run / "seed" / "api_access.ipynb") >= 4
