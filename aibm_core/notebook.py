"""The calls every business-model notebook shares: set-up, the seed example and results.

A model notebook is narrative plus model-specific cells; what every notebook does the same
way is one call each here, so that a new model's notebook repeats no code.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aibm_core.models import Evaluation, ModelSpec, evaluate, get_model
from aibm_core.params import ModelParams, notebook_parameters
from aibm_core.results import evaluate_scenario, from_json_number, results_payload, write_results
from aibm_core.tree import format_value


def start(model: str, namespace: Mapping[str, Any]) -> tuple[ModelSpec, ModelParams, Evaluation]:
    """Validate the notebook's parameters cell and evaluate the model.

    Parameters
    ----------
    model
        Model name, e.g. ``"api_access"``.
    namespace
        The notebook's globals (where papermill injected the parameters).

    Returns
    -------
    tuple
        The model spec, the validated parameters and their evaluation.
    """
    spec = get_model(model)
    params = notebook_parameters(spec.params, namespace)
    return spec, params, evaluate(spec, params)


def seed_example(model: str) -> Evaluation:
    """The model evaluated on the shipped ``seed`` scenario (the seeds' worked example)."""
    return evaluate_scenario(model, "seed")


def publish(evaluation: Evaluation, scenario: str, results_path: str | Path = "") -> dict[str, Any]:
    """Write the results JSON when a path is given, print a one-line summary, return the payload."""
    payload = results_payload(evaluation, scenario)
    if results_path:
        write_results(payload, results_path)
    print(summary(payload))
    return payload


def summary(payload: Mapping[str, Any]) -> str:
    """North star, margins, capital intensity and guardrails of a results payload, on one line."""
    star = payload["north_star"]
    snapshot = payload["snapshot"]
    breaches = [
        f"{g['label']} (from month {g['first_breach_month']})" for g in payload["guardrails"] if not g["ok"]
    ]
    figures = [
        f"{star['name']}: {format_value(from_json_number(star['value']), star['unit'])}",
        f"gross margin {format_value(from_json_number(payload['gross_margin']), 'fraction')}",
        f"operating margin {format_value(from_json_number(snapshot['operating_margin']), 'fraction')}",
        f"capex / revenue {format_value(from_json_number(snapshot['capital_intensity']), 'fraction')}",
        "guardrails: " + ("all ok" if not breaches else "breach: " + ", ".join(breaches)),
    ]
    return f"month {payload['snapshot_month']}: " + "; ".join(figures)
