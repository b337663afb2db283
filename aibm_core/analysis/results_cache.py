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

import copy
import io
import json
import os
import pickle
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from aibm_core.analysis import stack
from aibm_core.analysis.results import results_payload, scenario_params
from aibm_core.analysis.uncertainty import monte_carlo
from aibm_core.core.config import PARAMETERS_DIR
from aibm_core.core.files import write_atomic
from aibm_core.core.json_numbers import number
from aibm_core.core.linked import LinkedInput
from aibm_core.core.params import ModelParams, ParameterError
from aibm_core.models import Evaluation, ModelSpec, evaluate, get_model

#: The series a model sells at: output -> (point path, draws or ``None``), each rows × months.
Offers = dict[str, tuple[np.ndarray, "np.ndarray | None"]]
#: Results computed in this process, by (model, content key): a pyramid or a chain of links asks
#: for the same sellers many times.
_MEMO: dict[tuple[str, str], tuple[Evaluation, dict[str, Any], Offers]] = {}
_MEMO_LIMIT = 64

#: Environment variable naming the folder of computed results (set by ``aibm run`` for its kernels).
CACHE_ENV = "AIBM_RESULTS_CACHE"


def cache_folder() -> Path | None:
    """The folder of computed results, or ``None`` when results are not cached."""
    folder = os.environ.get(CACHE_ENV)
    return Path(folder) if folder else None


def computed(
    spec: ModelSpec, params: ModelParams, scenario: str, parameters_dir: Path | None = None
) -> tuple[Evaluation, dict[str, Any]]:
    """The point evaluation and the results payload of a model on validated parameters.

    Found in the cache when a process of the same batch already computed them; otherwise the
    model is evaluated (and its Monte Carlo run) here, and the cache, if any, keeps the result.
    The evaluation's tree carries each guardrail's breach probability when there are draws.

    When ``scenario`` is a scenario folder of ``parameters_dir``, the drivers the stack links
    (:mod:`aibm_core.analysis.stack`) read the selling models' results under the same scenario,
    computed first (or found): the point evaluation reads the sellers' point paths, draw ``i`` of
    the Monte Carlo run reads draw ``i`` of theirs. The payload's ``links`` say which drivers were
    linked, to what and at what value, or why not.

    Parameters
    ----------
    spec
        The model.
    params
        Validated scalar parameters (ranges in their uncertainty).
    scenario
        Scenario name written into the payload.
    parameters_dir
        The folder of the scenario folders; ``None``: the model is not linked.
    """
    params, links = linked(spec, params, scenario, parameters_dir)
    evaluation, payload, _ = _computed(spec, params)
    # a copy: the caller may change its payload, the results kept for the next caller stay as computed
    payload = {**copy.deepcopy(payload), "scenario": scenario, "links": _links_payload(evaluation, links)}
    return with_risks(evaluation, payload), payload


def linked(
    spec: ModelSpec,
    params: ModelParams,
    scenario: str,
    parameters_dir: Path | None,
    sold: Callable[[str], Offers] | None = None,
) -> tuple[ModelParams, list[tuple[stack.Link, str]]]:
    """The parameters with every link in force attached, and each link into the model with its state.

    ``sold`` gives a seller's series by model name; by default each seller is computed (or
    found) here with the scenario's own parameters and links, recursively.
    """
    states = [  # a schedule the scenario gives the driver cuts its link, as a number would
        (
            link,
            "set by the scenario"
            if link.driver in params.scheduled
            else stack.link_state(link, scenario, parameters_dir),
        )
        for link in stack.links_into(spec.name)
    ]
    inputs: dict[str, LinkedInput] = {}
    for i, (link, state) in enumerate(states):
        if state != "linked":
            continue
        if sold is not None:
            point, draws = sold(link.seller)[link.output]
        else:
            seller = get_model(link.seller)
            try:
                own = scenario_params(link.seller, scenario, parameters_dir)
            except ParameterError:  # the seller's own run reports its file; the buyer keeps its own value
                states[i] = (link, "no seller")
                continue
            seller_params, _ = linked(seller, own, scenario, parameters_dir)
            point, draws = _computed(seller, seller_params)[2][link.output]
        inputs[link.driver] = LinkedInput(
            link.seller, link.output, link.label, point, draws, times=link.times, plus=link.plus
        )
    if not inputs:
        return params, states
    # a linked driver (and a companion it replaces) is the seller's, draws included: no range of its own
    replaced = {name for link, state in states if state == "linked" for name in link.drivers}
    u = params.uncertainty
    if replaced & set(u.ranges):
        params = params.with_uncertainty(u.without(replaced))
    return params.with_linked({**params.linked, **inputs}), states


def _computed(spec: ModelSpec, params: ModelParams) -> tuple[Evaluation, dict[str, Any], Offers]:
    """Evaluation, payload and the series other models buy at, computed once per parameter set."""
    key = params.content_key()
    folder = cache_folder()
    memo = _MEMO.get((spec.name, key))
    if memo is not None:
        if folder and not _paths(folder, spec.name, key)[0].exists():
            _store(folder, spec.name, key, *memo)
        return memo
    found = _load(folder, spec.name, key) if folder else None
    if found is None:
        evaluation = evaluate(spec, params)
        mc = monte_carlo(spec, params)
        payload = results_payload(evaluation, "", mc)
        sold = offers(spec.name, evaluation, mc)
        if folder:
            _store(folder, spec.name, key, evaluation, payload, sold)
    else:
        evaluation, payload, sold = found
    if len(_MEMO) >= _MEMO_LIMIT:
        _MEMO.clear()
    _MEMO[(spec.name, key)] = (evaluation, payload, sold)
    return evaluation, payload, sold


def offers(model: str, evaluation: Evaluation, mc: Any) -> Offers:
    """The point path (months) and the draws (draws × months) of each series other models buy at."""
    out: Offers = {}
    for output in stack.outputs_of(model):
        point = np.asarray(getattr(evaluation.result, output), dtype=float).reshape(-1)
        draws = None if mc is None else np.atleast_2d(np.asarray(getattr(mc.result, output), dtype=float))
        out[output] = (point, draws if draws is not None and len(draws) > 1 else None)
    return out


def _links_payload(evaluation: Evaluation, states: list[tuple[stack.Link, str]]) -> list[dict[str, Any]]:
    """Each link into the model: seller, series, state and the driver's value in the snapshot month."""
    params = evaluation.params
    out = []
    for link, state in states:
        own = getattr(params, link.driver)
        value = params.value_of(link.driver) if state == "linked" else own
        out.append(
            {
                "driver": link.driver,
                "seller": link.seller,
                "output": link.output,
                "label": link.label,
                "state": state,
                "text": stack.STATE_TEXT[state],
                "value": number(float(value)),
                "own_value": number(float(own)),
            }
        )
    return out


def model_results(
    model: str, scenario: str = "base", parameters_dir: Path = PARAMETERS_DIR
) -> dict[str, Any]:
    """The results payload of one model under one scenario (:func:`~.results.results_payload`).

    Computed once per parameter set in a batch (:func:`computed`), with the scenario's links.

    Raises
    ------
    ParameterError
        If the scenario gives the model no parameter file, or its values are invalid.
    """
    spec = get_model(model)
    return computed(spec, scenario_params(model, scenario, parameters_dir), scenario, parameters_dir)[1]


def with_risks(evaluation: Evaluation, payload: dict[str, Any]) -> Evaluation:
    """The evaluation with each guardrail's breach probability (from the payload) on its tree."""
    guardrails = payload["guardrails"]
    risks = {g["name"]: g["breach_probability"] for g in guardrails if g["breach_probability"] is not None}
    return replace(evaluation, tree=evaluation.tree.with_risks(risks)) if risks else evaluation


def _paths(folder: Path, model: str, key: str) -> tuple[Path, Path, Path]:
    stem = folder / f"{model}-{key}"
    return stem.with_suffix(".json"), stem.with_suffix(".pickle"), stem.with_suffix(".npz")


def _load(folder: Path, model: str, key: str) -> tuple[Evaluation, dict[str, Any], Offers] | None:
    """A cached entry, or ``None`` when there is none (or it cannot be read: compute again)."""
    payload_path, evaluation_path, offers_path = _paths(folder, model, key)
    try:
        payload = json.loads(payload_path.read_text(encoding="utf-8"))
        evaluation = pickle.loads(evaluation_path.read_bytes())
        offers: Offers = {}
        if stack.outputs_of(model):
            with np.load(offers_path) as stored:
                for output in stack.outputs_of(model):
                    draws = stored[f"{output}.draws"] if f"{output}.draws" in stored else None
                    offers[output] = (stored[f"{output}.point"], draws)
    except (OSError, ValueError, KeyError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None
    return evaluation, payload, offers


def _store(
    folder: Path, model: str, key: str, evaluation: Evaluation, payload: dict[str, Any], offers: Offers
) -> None:
    """Keep an entry (best effort: a cache that cannot be written only costs time)."""
    payload_path, evaluation_path, offers_path = _paths(folder, model, key)
    try:
        if offers:
            arrays = {f"{k}.point": point for k, (point, _) in offers.items()}
            arrays.update({f"{k}.draws": draws for k, (_, draws) in offers.items() if draws is not None})
            buffer = io.BytesIO()
            np.savez(buffer, **arrays)
            write_atomic(offers_path, buffer.getvalue())
        write_atomic(evaluation_path, pickle.dumps(evaluation, protocol=pickle.HIGHEST_PROTOCOL))
        write_atomic(payload_path, json.dumps(payload, allow_nan=False))
    except OSError:
        pass
