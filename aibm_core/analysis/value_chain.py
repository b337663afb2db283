"""The value chain of one scenario, read from the linked models' own results.

One dollar of application revenue is followed down the stack in the snapshot month, every
figure taken from the model that owns it:

1. the **application** pays the API layer for its cloud tokens (its own inference cost) and
   keeps its gross margin;
2. the **API layer** earns those tokens times *its own* net price per 1M tokens, rents the
   GPU-hours that serve them (its cost per token without the serving overhead) and keeps the
   rest;
3. the **GPU cloud** earns those GPU-hours times *its own* realised price per sold GPU-hour;
   it spends its cost per sold GPU-hour, of which the accelerators' share of depreciation is
   what it paid the hardware vendor (GPUs' worth of lifetime hours × the accelerator's price
   in its capex per GPU);
4. the **hardware vendor** earns those GPUs times *its own* net ASP and spends its
   manufacturing cost per unit.

Nothing here is true by definition. What a buyer records paying (step ``n``) and what its
seller records earning for the same quantity (step ``n + 1``) are two independent figures; they
agree only when the buyer's driver is the seller's price, that is when the stack links them
(:mod:`aibm_core.analysis.stack`). The difference is the ``leak`` of a link, and with it the
margins and outside costs add up to the application's dollar: ``Σ margin + Σ outside + Σ leak
= 1``. Each layer's margin over its chain revenue is computed from unit prices and unit costs;
:func:`problems` compares it with the model's own gross margin from its statement (for the
hardware vendor, its gross margin on hardware: the cloud buys no software).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from aibm_core.analysis.results import scenario_params
from aibm_core.analysis.results_cache import computed
from aibm_core.core.config import PARAMETERS_DIR
from aibm_core.models import Evaluation, get_model

#: Layers from the top of the pyramid down, with the model that stands for each.
CHAIN: tuple[tuple[str, str], ...] = (
    ("application", "application_layer"),
    ("API", "api_access"),
    ("GPU cloud", "ai_infrastructure"),
    ("hardware", "ai_hardware"),
)
LAYERS = tuple(layer for layer, _ in CHAIN)
#: Largest gap allowed between a layer's margin in the chain and its model's own (fraction).
MARGIN_TOLERANCE = 0.001
#: Largest leak allowed on a link, relative to what the buyer pays.
LEAK_TOLERANCE = 1e-3

#: Columns of :func:`chain` (all USD per USD of application revenue, except the shares).
COLUMNS = {
    "revenue": "What the layer earns from the layer above (its own price × the quantity bought)",
    "paid_by_buyer": "What the layer above records paying it",
    "paid_down": "What the layer records paying the layer below",
    "outside": "Its other costs of revenue, paid outside the chain",
    "margin": "revenue − paid_down − outside",
    "margin_share": "margin / revenue (fraction)",
    "model_margin": "The model's own gross margin from its statement (fraction)",
    "leak": "paid_down − the next layer's revenue: money one side records and the other does not",
}


def _at(evaluation: Evaluation, name: str) -> float:
    return float(np.asarray(evaluation.result.at(name)))


def chain(evaluations: Mapping[str, Evaluation]) -> pd.DataFrame:
    """Where one dollar of application revenue goes, from the four models' point evaluations.

    Parameters
    ----------
    evaluations
        Model name -> its point evaluation under one scenario (with the scenario's links), for
        every model of :data:`CHAIN`.

    Returns
    -------
    pandas.DataFrame
        One row per layer (:data:`LAYERS`), the :data:`COLUMNS`; ``frame.attrs`` holds the
        quantities bought per USD of application revenue: ``m_tokens`` (M tokens),
        ``gpu_hours`` (GPU-hours) and ``gpus`` (GPUs' worth of lifetime hours).
    """
    app, api, cloud, hw = (evaluations[model] for _, model in CHAIN)

    # application: tokens bought per USD of revenue, and what it records paying for them
    app_revenue = _at(app, "revenue")
    m_tokens = _at(app, "cloud_tokens_m") / app_revenue
    app_pays = float(np.asarray(app.result.at_part("inference_cloud"))) / app_revenue
    app_cost = float(np.asarray(app.statement.snapshot()["cost_of_revenue"])) / app_revenue

    # API layer: its own price and cost per 1M tokens; the GPU rental part of its cost
    api_price, api_cost = _at(api, "net_price_per_m"), _at(api, "cost_per_m")
    gpu_basis = api.params.cost_basis in ("gpu", "fleet")  # both pay GPU-hours plus overhead
    rental_per_m = api_cost / (1.0 + float(api.params.infra_overhead_share)) if gpu_basis else 0.0
    hour_paid = float(api.params.value_of("gpu_hour_cost_usd"))  # the linked price, or its own
    gpu_hours = m_tokens * rental_per_m / hour_paid if gpu_basis else 0.0

    # GPU cloud: its own price and cost per sold GPU-hour; the accelerators' depreciation in it
    sold = _at(cloud, "sold_gpu_hours")
    cloud_price = _at(cloud, "revenue_per_sold_hour")
    cloud_cost = (_at(cloud, "depreciation") + _at(cloud, "power_cost") + _at(cloud, "dc_opex")) / sold
    capex = float(cloud.result.params.capex_per_gpu_usd)
    accelerator = capex - float(cloud.params.non_accelerator_capex_per_gpu_usd)
    gpus = gpu_hours * (_at(cloud, "depreciation") / sold) / capex  # GPUs' worth of lifetime hours

    # hardware vendor: its own net ASP and manufacturing cost per unit
    asp, unit_cost = _at(hw, "net_asp"), _at(hw, "manufacturing_cost_per_unit")

    revenue = [1.0, m_tokens * api_price, gpu_hours * cloud_price, gpus * asp]
    paid_by_buyer = [1.0, app_pays, m_tokens * rental_per_m, gpus * accelerator]
    paid_down = [*paid_by_buyer[1:], 0.0]
    outside = [
        app_cost - app_pays,
        m_tokens * (api_cost - rental_per_m),
        gpu_hours * cloud_cost - gpus * accelerator,
        gpus * unit_cost,
    ]
    frame = pd.DataFrame(
        {"revenue": revenue, "paid_by_buyer": paid_by_buyer, "paid_down": paid_down, "outside": outside},
        index=pd.Index(LAYERS, name="layer"),
    )
    frame["margin"] = frame["revenue"] - frame["paid_down"] - frame["outside"]
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["margin_share"] = np.where(frame["revenue"] > 0, frame["margin"] / frame["revenue"], np.nan)
    frame["model_margin"] = [
        app.gross_margin,
        api.gross_margin,
        cloud.gross_margin,
        float(hw.kpis["hardware_gross_margin"].value),
    ]
    frame["leak"] = frame["paid_down"] - [*revenue[1:], 0.0]
    frame.attrs = {"m_tokens": m_tokens, "gpu_hours": gpu_hours, "gpus": gpus}
    return frame


def problems(frame: pd.DataFrame) -> list[str]:
    """Where the chain disagrees with the models: a link that leaks, a margin off its model's.

    Empty when every buyer pays what its seller earns (within :data:`LEAK_TOLERANCE` of the
    payment) and every layer's margin in the chain is its model's own (within
    :data:`MARGIN_TOLERANCE`).
    """
    found = []
    for (layer, row), below in zip(frame.iloc[:-1].iterrows(), LAYERS[1:], strict=True):
        if abs(row["leak"]) > LEAK_TOLERANCE * max(abs(row["paid_down"]), 1e-12):
            found.append(
                f"{layer} records paying {row['paid_down']:.4g} per USD to the {below} layer, "
                f"which records earning {row['paid_down'] - row['leak']:.4g} for the same quantity"
            )
    for layer, row in frame.iterrows():
        if row["revenue"] > 0 and abs(row["margin_share"] - row["model_margin"]) > MARGIN_TOLERANCE:
            chain_margin, own = row["margin_share"], row["model_margin"]
            found.append(f"{layer}: margin {chain_margin:.2%} in the chain, {own:.2%} in its model")
    return found


def scenario_evaluations(scenario: str, parameters_dir: Path = PARAMETERS_DIR) -> dict[str, Evaluation]:
    """The point evaluations (with the scenario's links) of the models of :data:`CHAIN`."""
    out = {}
    for _, model in CHAIN:
        spec = get_model(model)
        out[model] = computed(
            spec, scenario_params(model, scenario, parameters_dir), scenario, parameters_dir
        )[0]
    return out


def scenario_chain(scenario: str, parameters_dir: Path = PARAMETERS_DIR) -> pd.DataFrame:
    """:func:`chain` of one scenario (each model computed once, with the scenario's links)."""
    return chain(scenario_evaluations(scenario, parameters_dir))
