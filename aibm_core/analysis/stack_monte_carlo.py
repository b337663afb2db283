"""Monte Carlo of the whole linked stack: one run of joint draws through every model.

Each model of a scenario is drawn in dependency order (sellers first, :mod:`.stack`), and draw
``i`` of a buyer reads draw ``i`` of its sellers' series, so the draws are joint across the
stack: a draw in which the GPU cloud's price is low is a draw in which the API layer's GPU-hours
are cheap. A batch computes the same thing model by model (each model's own run reads its
sellers' draws from the batch's cache); this runs it at once, with any number of draws, for
benchmarks and for questions that span layers.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from aibm_core.analysis import stack
from aibm_core.analysis.results import scenario_params
from aibm_core.analysis.results_cache import Offers, linked, offers
from aibm_core.analysis.uncertainty import MonteCarlo, monte_carlo
from aibm_core.core.config import PARAMETERS_DIR
from aibm_core.models import Evaluation, evaluate, get_model, model_names


@dataclass(frozen=True)
class StackRun:
    """One model of a stack run: its point evaluation, its Monte Carlo and the links' states."""

    evaluation: Evaluation
    monte_carlo: MonteCarlo | None
    links: list[tuple[stack.Link, str]]


def stack_monte_carlo(
    scenario: str, parameters_dir: Path = PARAMETERS_DIR, draws: int | None = None
) -> dict[str, StackRun]:
    """Every model of a scenario evaluated and simulated in dependency order, draws joint.

    Parameters
    ----------
    scenario
        Scenario folder under ``parameters_dir``.
    parameters_dir
        Folder of the scenario folders.
    draws
        Draws for every model (default: each model's own ``draws``; give the same number to all
        for draws that pair one to one).

    Returns
    -------
    dict
        Model name -> :class:`StackRun`, sellers first.
    """
    sold: dict[str, Offers] = {}
    runs: dict[str, StackRun] = {}
    for model in stack.dependency_order(model_names()):
        spec = get_model(model)
        params = scenario_params(model, scenario, parameters_dir)
        if draws is not None:
            params = params.with_uncertainty(replace(params.uncertainty, draws=int(draws)))
        params, states = linked(spec, params, scenario, parameters_dir, sold=sold.__getitem__)
        evaluation = evaluate(spec, params)
        mc = monte_carlo(spec, params)
        sold[model] = offers(model, evaluation, mc)
        runs[model] = StackRun(evaluation, mc, states)
    return runs
