"""The common results schema: every model, every shipped scenario, without a kernel."""

from __future__ import annotations

import json
import math

import jsonschema
import pytest

from aibm_core.analysis.results import SCHEMA_VERSION, from_json_number, number, validate_results
from aibm_core.analysis.results_cache import model_results
from aibm_core.core.config import SHIPPED_SCENARIOS
from aibm_core.models import model_names
from aibm_core.present.notebook import summary
from tests.conftest import aibm
from tests.contract_models import MINIMAL, parameters_dir_of


@pytest.mark.parametrize("scenario", SHIPPED_SCENARIOS)
@pytest.mark.parametrize("model", model_names())
def test_every_results_payload_fits_the_schema(model, scenario):
    payload = model_results(model, scenario)
    validate_results(payload)
    assert payload["schema_version"] == SCHEMA_VERSION
    json.loads(json.dumps(payload, allow_nan=False))  # strict JSON
    months = payload["horizon_months"]
    for key, series in payload["series"].items():
        if key != "months":
            assert len(series["values"]) == months, key
    revenue = sum(payload["series"]["revenue"]["values"])
    assert math.isclose(payload["horizon"]["revenue"], revenue, rel_tol=1e-12)
    i = payload["snapshot_month"] - 1
    assert payload["snapshot"]["revenue"] == payload["series"]["revenue"]["values"][i]


@pytest.mark.usefixtures("with_minimal_model")
@pytest.mark.parametrize("scenario", ["base", "seed"])
def test_the_minimal_model_payload_fits_the_schema(scenario):
    payload = model_results(MINIMAL, scenario, parameters_dir_of(MINIMAL))
    validate_results(payload)
    json.loads(json.dumps(payload, allow_nan=False))  # strict JSON
    assert payload["model"] == MINIMAL and payload["snapshot"]["revenue"] > 0


def test_a_payload_that_breaks_the_schema_is_refused():
    payload = model_results(model_names()[0], "base")
    del payload["series"]["capex"]
    with pytest.raises(jsonschema.ValidationError):
        validate_results(payload)


def test_non_finite_numbers_have_a_json_form():
    assert [number(x) for x in (1.5, math.inf, -math.inf, math.nan, None)] == [1.5, "inf", "-inf", None, None]
    assert from_json_number("inf") == math.inf and from_json_number(None) is None


def test_summary_names_the_first_month_of_a_breach():
    payload = model_results(model_names()[0], "base")
    payload["guardrails"][0].update(ok=False, first_breach_month=13)
    label = payload["guardrails"][0]["label"]
    assert f"breach: {label} (from month 13)" in summary(payload)


def test_aibm_results_prints_or_writes_the_json(tmp_path):
    done = aibm("results", "--scenario", "seed", "--model", "api_access")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == model_results("api_access", "seed")
    target = tmp_path / "api.json"
    done = aibm("results", "--model", "api_access", "--output", str(target))
    assert done.returncode == 0, done.stderr
    assert json.loads(target.read_text()) == model_results("api_access", "base")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "no_such_model"], "unknown model 'no_such_model'"),
        (
            ["--model", "api_access", "--scenario", "no_such"],
            "unknown scenario 'no_such'; expected one of: base",
        ),
    ],
)
def test_aibm_results_bad_input_exits_2(args, message):
    done = aibm("results", *args)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr
