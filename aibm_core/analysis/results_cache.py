"""Each model's results computed once for a parameter set, then found again.

A batch (``aibm run``) computes every model's results in its worker processes before any
notebook runs, and the notebooks, the pyramid comparison and the exports find them here
instead of evaluating the model again. The cache is a folder named by :data:`CACHE_ENV`
(the batch makes a private one and removes it at the end); entries are keyed by
:meth:`~aibm_core.core.params.ModelParams.content_key`, so two scenarios that give a model the same
parameters share one computation. Without the variable (a notebook opened on its own, a plain
``papermill`` run) every call computes.

An entry is the results payload (JSON) and the point evaluation (a pickle, written and read only
by the batch's own processes in its private folder, never a user's file).
"""

from __future__ import annotations

import json
import os
import pickle
from dataclasses import replace
from pathlib import Path
from typing import Any

from aibm_core.analysis.results import results_payload, scenario_params
from aibm_core.analysis.uncertainty import monte_carlo
from aibm_core.core.config import PARAMETERS_DIR
from aibm_core.core.files import write_atomic
from aibm_core.core.params import ModelParams
from aibm_core.models import Evaluation, ModelSpec, evaluate, get_model

#: Environment variable naming the folder of computed results (set by ``aibm run`` for its kernels).
CACHE_ENV = "AIBM_RESULTS_CACHE"


def cache_folder() -> Path | None:
    """The folder of computed results, or ``None`` when results are not cached."""
    folder = os.environ.get(CACHE_ENV)
    return Path(folder) if folder else None


def computed(spec: ModelSpec, params: ModelParams, scenario: str) -> tuple[Evaluation, dict[str, Any]]:
    """The point evaluation and the results payload of a model on validated parameters.

    Found in the cache when a process of the same batch already computed them; otherwise the
    model is evaluated (and its Monte Carlo run) here, and the cache, if any, keeps the result.
    The evaluation's tree carries each guardrail's breach probability when there are draws.

    Parameters
    ----------
    spec
        The model.
    params
        Validated scalar parameters (ranges in their uncertainty).
    scenario
        Scenario name written into the payload.
    """
    folder = cache_folder()
    key = params.content_key()
    found = _load(folder, spec.name, key) if folder else None
    if found is None:
        evaluation = evaluate(spec, params)
        payload = results_payload(evaluation, scenario, monte_carlo(spec, params))
        if folder:
            _store(folder, spec.name, key, evaluation, payload)
    else:
        evaluation, payload = found
        payload = {**payload, "scenario": scenario}
    return with_risks(evaluation, payload), payload


def model_results(
    model: str, scenario: str = "base", parameters_dir: Path = PARAMETERS_DIR
) -> dict[str, Any]:
    """The results payload of one model under one scenario (:func:`~.results.results_payload`).

    Computed once per parameter set in a batch (:func:`computed`).

    Raises
    ------
    ParameterError
        If the scenario gives the model no parameter file, or its values are invalid.
    """
    return computed(get_model(model), scenario_params(model, scenario, parameters_dir), scenario)[1]


def with_risks(evaluation: Evaluation, payload: dict[str, Any]) -> Evaluation:
    """The evaluation with each guardrail's breach probability (from the payload) on its tree."""
    guardrails = payload["guardrails"]
    risks = {g["name"]: g["breach_probability"] for g in guardrails if g["breach_probability"] is not None}
    return replace(evaluation, tree=evaluation.tree.with_risks(risks)) if risks else evaluation


def _paths(folder: Path, model: str, key: str) -> tuple[Path, Path]:
    stem = folder / f"{model}-{key}"
    return stem.with_suffix(".json"), stem.with_suffix(".pickle")


def _load(folder: Path, model: str, key: str) -> tuple[Evaluation, dict[str, Any]] | None:
    """A cached entry, or ``None`` when there is none (or it cannot be read: compute again)."""
    payload_path, evaluation_path = _paths(folder, model, key)
    try:
        payload = json.loads(payload_path.read_text(encoding="utf-8"))
        evaluation = pickle.loads(evaluation_path.read_bytes())
    except (OSError, ValueError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None
    return evaluation, payload


def _store(folder: Path, model: str, key: str, evaluation: Evaluation, payload: dict[str, Any]) -> None:
    """Keep an entry (best effort: a cache that cannot be written only costs time)."""
    payload_path, evaluation_path = _paths(folder, model, key)
    try:
        write_atomic(evaluation_path, pickle.dumps(evaluation, protocol=pickle.HIGHEST_PROTOCOL))
        write_atomic(payload_path, json.dumps(payload, allow_nan=False))
    except OSError:
        pass
