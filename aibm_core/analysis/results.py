"""Machine-readable results of a model run: one versioned schema for every model.

The results of a model are a library call (:func:`results_payload` on an evaluation;
:func:`aibm_core.analysis.results_cache.model_results` for a scenario, computed once per parameter set), so
the pyramid comparison, tests and sweeps need no notebook or kernel; a notebook's results cell and
``aibm results`` call the same functions. The payload is described by the JSON Schema
``schemas/results.schema.json`` beside this module (:func:`validate_results`).

Numbers that are not finite have no JSON form: an infinite value (a payback that never
happens, an unbounded lifetime value) is written as the string ``"inf"`` (or ``"-inf"``)
and an undefined one (a margin on zero revenue) as ``null``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import lazy_loader as lazy
import numpy as np
import pandas as pd

from aibm_core.analysis.goalseek import answer_all
from aibm_core.analysis.results_model import SCHEMA_PATH, SCHEMA_VERSION, ModelResults
from aibm_core.analysis.scenarios import scenario_files, scenario_values
from aibm_core.analysis.uncertainty import monte_carlo, percentiles_payload
from aibm_core.core.config import PARAMETERS_DIR
from aibm_core.core.files import write_atomic
from aibm_core.core.json_numbers import from_json_number, number
from aibm_core.core.params import ModelParams, ParameterError, Problem, validate
from aibm_core.core.tree import format_value
from aibm_core.models import Evaluation, evaluate, get_model
from aibm_core.models.base import STATEMENT_SERIES, column_info

jsonschema = lazy.load("jsonschema")  # about 1 s: only a results file's check needs it

#: Flows that add up over the horizon (stocks such as customers or GPUs do not).
FLOWS = ("revenue", "cost_of_revenue", "gross_profit", "operating_expenses", "operating_profit", "capex")


def scenario_params(model: str, scenario: str = "base", parameters_dir: Path = PARAMETERS_DIR) -> ModelParams:
    """The validated parameters of one model under one scenario (nothing is computed).

    The scenario's file for the model is laid over the scenario it overlays; a scenario without
    a file for the model takes the overlaid scenario's values (:mod:`aibm_core.analysis.scenarios`).

    Raises
    ------
    ParameterError
        If no scenario of the overlay chain has a file for the model, or the values are invalid.
    """
    spec = get_model(model)
    path = Path(parameters_dir) / scenario / f"{model}.yaml"
    if not (Path(parameters_dir) / scenario).is_dir():
        raise ParameterError([Problem(str(path), "", f"no parameter file for model {model!r}")])
    values = scenario_values(parameters_dir, scenario, model)
    source = path if path.exists() else scenario_files(parameters_dir, scenario, model)[-1]
    return validate(spec.params, values, source=str(source))


def evaluate_scenario(
    model: str, scenario: str = "base", parameters_dir: Path = PARAMETERS_DIR
) -> Evaluation:
    """Evaluate one model on one scenario's parameters (:func:`scenario_params`; no kernel)."""
    return evaluate(get_model(model), scenario_params(model, scenario, parameters_dir))


def results_payload(evaluation: Evaluation, scenario: str, mc: Any = None) -> dict[str, Any]:
    """Results of one evaluation, typed by :class:`~aibm_core.analysis.results_model.ModelResults`.

    The payload :func:`_build_payload` assembles is validated by the model (a missing or stray
    key, a wrong type or a non-finite float is a ``pydantic.ValidationError`` here) and dumped
    as JSON-ready values: the same keys, order and numbers.

    Parameters
    ----------
    evaluation
        The base-case evaluation.
    scenario
        Scenario name written into the payload.
    mc
        A :class:`~aibm_core.analysis.uncertainty.MonteCarlo` already run on these parameters (run here
        when omitted and the parameters carry ranges).
    """

    payload = _build_payload(evaluation, scenario, mc)
    return ModelResults.model_validate(payload).model_dump(mode="json")


def _build_payload(evaluation: Evaluation, scenario: str, mc: Any = None) -> dict[str, Any]:
    """Results of one evaluation in the common schema (version :data:`SCHEMA_VERSION`).

    Every model reports the same statement series, the same snapshot and horizon ratios and
    guardrails judged over the whole horizon; its own KPIs and tree come beside them. When the
    parameters carry ranges, an ``uncertainty`` block gives the Monte Carlo percentiles and
    each guardrail its breach probability; ``goal_seek`` answers the model's questions.

    Parameters
    ----------
    evaluation
        The base-case evaluation.
    scenario
        Scenario name written into the payload.
    mc
        A :class:`~aibm_core.analysis.uncertainty.MonteCarlo` already run on these parameters (run here
        when omitted and the parameters carry ranges).
    """
    spec, params = evaluation.spec, evaluation.params
    mc = mc if mc is not None else monte_carlo(spec, params)
    risks = {} if mc is None else dict(mc.breach_probabilities()["probability"])
    tree = evaluation.tree.with_risks(risks)
    statement = evaluation.statement
    root = tree.root
    return {
        "schema_version": SCHEMA_VERSION,
        "model": spec.name,
        "title": spec.title,
        "layer": spec.layer,
        "scenario": scenario,
        "horizon_months": int(params.horizon_months),
        "snapshot_month": int(params.snapshot_month),
        "north_star": {"name": root.label, "value": number(root.value), "unit": root.unit},
        "gross_margin": number(evaluation.gross_margin),
        "snapshot": {key: number(value) for key, value in statement.snapshot().items()},
        "horizon": _horizon(statement),
        "series": _series(statement),
        "kpis": {
            key: {"label": m.label, "value": number(m.value), "unit": m.unit}
            for key, m in evaluation.kpis.items()
        },
        "guardrails": [
            {
                "name": n.id,
                "label": n.label,
                "unit": n.unit,
                "threshold": number(n.threshold),
                "direction": n.direction,
                "value": number(n.value),
                "worst": number(n.worst),
                "first_breach_month": n.first_breach_month,
                "ok": n.status == "ok",
                "breach_probability": n.risk,
            }
            for n in tree.guardrails()
        ],
        "tree": [
            {
                "id": n.id,
                "label": n.label,
                "kind": n.kind,
                "parent": n.parent,
                "unit": n.unit,
                "value": number(n.value),
                "computed": n.formula is not None,
                "observed": n.observed,
                "status": n.status,
            }
            for n in tree.nodes
        ],
        "assumptions": assumptions_payload(params),
        "projection": projection_payload(evaluation),
        "uncertainty": None if mc is None else percentiles_payload(mc),
        "links": [],  # filled in by the stack (results_cache.computed) where the model buys from another
        "goal_seek": [
            {
                "label": a.question.label,
                "driver": a.question.driver,
                "kpi": a.question.kpi,
                "target": number(a.question.target),
                "value": number(a.value),
                "message": a.message,
            }
            for a in answer_all(spec, params)
        ],
    }


def projection_payload(evaluation: Evaluation) -> dict[str, Any]:
    """The monthly projection: each column with its label, unit, display scale and values."""
    frame = evaluation.projection()
    columns = {}
    for name in frame.columns:
        label, unit, scale = column_info(frame, name)
        columns[name] = {
            "label": label,
            "unit": unit,
            "scale": scale,
            "values": [number(v) for v in np.asarray(frame[name], dtype=float)],
        }
    return {"months": [int(m) for m in frame.index], "columns": columns}


def projection_frame(payload: Mapping[str, Any]) -> pd.DataFrame:
    """The monthly projection of a results payload as a frame indexed by month (stored values).

    Each column's label, unit and scale travel with it (``attrs["columns"]``, as the model
    declared them), so tables and exports read them as from the model's own projection.
    """
    projection = payload["projection"]
    columns = {
        name: [math.nan if v is None else float(v) for v in column["values"]]
        for name, column in projection["columns"].items()
    }
    frame = pd.DataFrame(columns, index=pd.Index(projection["months"], name="month"), dtype=float)
    frame.attrs["model"] = payload["model"]
    frame.attrs["columns"] = {
        name: {key: column[key] for key in ("label", "unit", "scale")}
        for name, column in projection["columns"].items()
    }
    return frame


def assumptions_payload(params: ModelParams) -> dict[str, dict[str, Any]]:
    """Every assumption's point value, unit and role, as the results payload holds them."""
    schema = type(params)
    out = {}
    for name, field in schema.model_fields.items():
        value = getattr(params, name)
        out[name] = {
            "value": value if isinstance(value, str | bool) else number(value),
            "unit": (field.json_schema_extra or {}).get("unit", ""),
            "role": schema.role_of(name),
        }
    return out


def _horizon(statement) -> dict[str, float | str | None]:
    totals = {key: number(np.sum(statement.series(key))) for key in FLOWS}
    totals["depreciation"] = number(
        np.sum(np.broadcast_to(statement.depreciation, statement.series("revenue").shape))
    )
    totals.update({key: number(v) for key, v in statement.horizon_ratios().items()})
    return totals


def _series(statement) -> dict[str, Any]:
    months = statement.series("revenue").shape[-1]
    out: dict[str, Any] = {"months": list(range(1, months + 1))}
    for key, (label, unit) in STATEMENT_SERIES.items():
        if key == "volume":
            label, unit = statement.volume_label, statement.volume_unit
        elif key == "north_star":
            label, unit = statement.north_star_label, statement.north_star_unit
        out[key] = {"label": label, "unit": unit, "values": [number(v) for v in statement.series(key)]}
    return out


def write_results(payload: dict[str, Any], path: str | Path) -> None:
    """Write a results payload as JSON, atomically (readers see the old or the whole new file)."""
    write_atomic(Path(path), to_json(payload))


def to_json(payload: dict[str, Any]) -> str:
    """The payload as indented JSON text (strict JSON: no NaN or Infinity literals)."""
    return json.dumps(payload, indent=2, allow_nan=False) + "\n"


@cache
def schema() -> dict[str, Any]:
    """The JSON Schema of the results payload."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def validate_results(payload: dict[str, Any]) -> None:
    """Check a payload against the JSON Schema; ``jsonschema.ValidationError`` if it does not fit."""
    jsonschema.validate(payload, schema())


def _format_value(value: Any, unit: str) -> str:
    return format_value(value, unit)


def north_star_range(payload: Mapping[str, Any]) -> str:
    """`` (P10-P90 a to b)`` of the north-star metric in the snapshot month.

    ``""`` without draws, and when both ends read the same (the draws do not move the north
    star): the point value stands alone.
    """
    from aibm_core.core.formatting import format_spread

    uncertainty = payload.get("uncertainty")
    if not uncertainty:
        return ""
    i, unit = payload["snapshot_month"] - 1, payload["north_star"]["unit"]
    fan = uncertainty["series"]["north_star"]
    spread = format_spread(*(from_json_number(fan[q][i]) for q in ("p10", "p90")), unit)
    return f" ({spread})" if spread else ""


def breach_labels(payload: Mapping[str, Any]) -> list[str]:
    """The guardrails a payload breaches, each with the first month of breach when known."""
    return [
        f"{g['label']} (from month {g['first_breach_month']})" if g.get("first_breach_month") else g["label"]
        for g in payload["guardrails"]
        if not g["ok"]
    ]
