"""The typed results model: it gives today's payload back, and the shipped schema is generated from it."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

import jsonschema
import pydantic
import pytest

from aibm_core.analysis.results import (
    SCHEMA_PATH,
    SCHEMA_VERSION,
    _build_payload,
    evaluate_scenario,
    schema,
    to_json,
    validate_results,
)
from aibm_core.analysis.results_cache import model_results
from aibm_core.analysis.results_model import (
    REGENERATE,
    ModelResults,
    RangeSpec,
    main,
    schema_text,
    write_schema,
)
from aibm_core.models import model_names


@pytest.mark.parametrize("scenario", ["base", "seed"])
@pytest.mark.parametrize("model", model_names())
def test_the_model_gives_the_payload_back_unchanged(model, scenario):
    raw = _build_payload(evaluate_scenario(model, scenario), scenario)
    typed = ModelResults.model_validate(raw).model_dump(mode="json")
    assert typed == raw
    assert to_json(typed) == to_json(raw)  # same key order, and no int turned into a float


def test_the_committed_schema_is_the_generated_one():
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text(), (
        f"{SCHEMA_PATH.name} is not the schema generated from ModelResults: run `{REGENERATE}`"
    )


def test_the_schema_is_a_valid_versioned_json_schema():
    jsonschema.Draft202012Validator.check_schema(schema())
    assert schema()["version"] == SCHEMA_VERSION
    assert schema()["$id"] and schema()["title"]
    assert list(schema()["properties"]) == list(ModelResults.model_fields)


def test_check_fails_on_a_stale_file_and_passes_once_written(tmp_path, capsys):
    path = tmp_path / "results.schema.json"
    path.write_text("{}\n")
    assert main(["--check", str(path)]) == 1
    assert REGENERATE in capsys.readouterr().err
    assert write_schema(path) == path
    assert main(["--check", str(path)]) == 0


@pytest.fixture(scope="module")
def payload() -> dict[str, Any]:
    """A payload with an ``uncertainty`` block and guardrails."""
    out = model_results(model_names()[0], "base")
    assert out["uncertainty"] and out["guardrails"] and out["uncertainty"]["correlations"]
    return out


def _first_range(p: dict[str, Any]) -> dict[str, Any]:
    return next(iter(p["uncertainty"]["ranges"].values()))


#: Ways to break a payload; the model and the generated schema must both refuse each one.
BREAKS: dict[str, Callable[[dict[str, Any]], None]] = {
    "missing series": lambda p: p["series"].pop("capex"),
    "stray top-level key": lambda p: p.update(extra=1),
    "stray guardrail key": lambda p: p["guardrails"][0].update(extra=1),
    "stray snapshot key": lambda p: p["snapshot"].update(ebitda=1.0),
    "infinity spelt out": lambda p: p.update(gross_margin="Infinity"),
    "number as a string": lambda p: p["horizon"].update(revenue="12"),
    "boolean as a number": lambda p: p["snapshot"].update(revenue=True),
    "probability above 1": lambda p: p["guardrails"][0].update(breach_probability=1.5),
    "month 0": lambda p: p["guardrails"][0].update(first_breach_month=0),
    "fractional month": lambda p: p.update(horizon_months=12.5),
    "unknown layer": lambda p: p.update(layer="cloud"),
    "unknown tree status": lambda p: p["tree"][0].update(status="warn"),
    "unknown role": lambda p: next(iter(p["assumptions"].values())).update(role="guess"),
    "other major version": lambda p: p.update(schema_version="2.0.0"),
    "null range mode": lambda p: _first_range(p).update(mode=None),
    "correlation above 1": lambda p: p["uncertainty"]["correlations"].append(["a", "b", 1.5]),
    "two-item correlation": lambda p: p["uncertainty"]["correlations"].append(["a", 0.5]),
    "negative seed": lambda p: p["uncertainty"].update(random_seed=-1),
    "missing percentile": lambda p: p["uncertainty"]["series"]["revenue"].pop("p50"),
}


@pytest.mark.parametrize("name", BREAKS)
def test_a_broken_payload_is_refused_by_model_and_schema(payload, name):
    broken = copy.deepcopy(payload)
    BREAKS[name](broken)
    with pytest.raises(jsonschema.ValidationError):
        validate_results(broken)
    with pytest.raises(pydantic.ValidationError):
        ModelResults.model_validate(broken)


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan])
def test_non_finite_floats_are_refused_not_silently_written(payload, value):
    broken = copy.deepcopy(payload)
    broken["snapshot"]["revenue"] = value  # results.number() writes "inf", "-inf" or None instead
    with pytest.raises(pydantic.ValidationError):
        ModelResults.model_validate(broken)


def test_json_numbers_keep_their_form(payload):
    typed = copy.deepcopy(payload)
    typed["snapshot"].update(revenue="inf", cost_of_revenue="-inf", gross_margin=None)
    dumped = ModelResults.model_validate(typed).model_dump(mode="json")
    assert [dumped["snapshot"][k] for k in ("revenue", "cost_of_revenue", "gross_margin")] == [
        "inf",
        "-inf",
        None,
    ]
    validate_results(dumped)


def test_optional_range_numbers_are_left_out_not_null():
    assert RangeSpec(dist="normal", low=1, high=2).model_dump(mode="json") == {
        "dist": "normal",
        "low": 1.0,
        "high": 2.0,
    }
    pert = RangeSpec(dist="pert", low=1, high=3, mode=2).model_dump(mode="json")
    assert pert == {"dist": "pert", "low": 1.0, "high": 3.0, "mode": 2.0}
