"""The linked value chain: each layer's price is the next layer's cost.

One dollar of application revenue is followed down the stack:

1. the **application** buys tokens from the API layer at the API price per 1M tokens
   (transfer price 1) and keeps the rest after its other costs;
2. the **API layer** serves those tokens on GPU-hours rented from the GPU cloud at the cloud's
   price per GPU-hour (transfer price 2), plus its own serving overhead;
3. the **GPU cloud** buys its GPUs from the hardware vendor at the vendor's ASP (transfer
   price 3), spread over the GPU-hours a GPU sells in its useful life, plus power, data-centre
   opex and the rest of the server it installs;
4. the **hardware vendor** earns the ASP less its manufacturing cost.

Quantities (tokens per dollar of application revenue, GPU-hours per 1M tokens, GPU-hours sold
per GPU) stay fixed when a transfer price moves, so a price change only moves money between the
two layers it joins. Money is conserved: what a layer pays the next equals what the next earns,
and the application's dollar ends as the layers' margins plus costs paid outside the chain.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from aibm_core.core.config import DAYS_PER_MONTH
from aibm_core.core.params import ModelParams, assumption

#: Layers from the top of the pyramid down, with the model whose results price each link.
LAYERS = ("application", "API", "GPU cloud", "hardware")
HOURS_PER_YEAR = 24 * DAYS_PER_MONTH * 12
RESULTS = "the linked model's results for this scenario"


class StackParams(ModelParams):
    """Transfer prices and quantities of one stack (defaults: the base scenario's results)."""

    app_m_tokens_per_usd: float = assumption(
        0.036,
        unit="M tokens per USD of application revenue",
        ge=0,
        le=1e3,
        source=RESULTS,
        meaning="Tokens the application buys for each dollar it earns",
    )
    app_other_cost_share: float = assumption(
        0.15,
        unit="fraction",
        ge=0,
        le=1,
        source=RESULTS,
        meaning="Application's cost of revenue other than inference (hosting, review, support), per USD",
    )
    api_price_per_m_tokens: float = assumption(
        3.32,
        unit="USD per 1M tokens",
        gt=0,
        le=1000,
        source=RESULTS,
        meaning="Transfer price 1: what the application pays the API layer per 1M tokens",
    )
    api_overhead_per_m_tokens: float = assumption(
        0.22,
        unit="USD per 1M tokens",
        ge=0,
        le=1000,
        source=RESULTS,
        meaning="API layer's serving cost per 1M tokens other than GPU rental",
    )
    gpu_hours_per_m_tokens: float = assumption(
        0.43,
        unit="GPU-hours per 1M tokens",
        gt=0,
        le=1e4,
        source=RESULTS,
        meaning="GPU-hours the API layer rents to serve 1M tokens",
    )
    gpu_hour_price: float = assumption(
        2.5,
        unit="USD per GPU-hour",
        gt=0,
        le=100,
        source=RESULTS,
        meaning="Transfer price 2: what the API layer pays the GPU cloud per GPU-hour",
    )
    cloud_opex_per_sold_hour: float = assumption(
        0.5,
        unit="USD per GPU-hour",
        ge=0,
        le=100,
        source=RESULTS,
        meaning="GPU cloud's power and data-centre opex per sold GPU-hour",
    )
    sold_hours_per_gpu: float = assumption(
        32_900.0,
        unit="GPU-hours per GPU",
        gt=0,
        le=1e6,
        source=RESULTS,
        meaning="GPU-hours one GPU sells over its useful life (hours × utilisation)",
    )
    asp_per_gpu: float = assumption(
        20_900.0,
        unit="USD per GPU",
        gt=0,
        le=1e7,
        source=RESULTS,
        meaning="Transfer price 3: what the GPU cloud pays the hardware vendor per GPU",
    )
    other_capex_per_gpu: float = assumption(
        14_100.0,
        unit="USD per GPU",
        ge=0,
        le=1e7,
        source=RESULTS,
        meaning="Rest of the installed server per GPU (CPUs, memory, networking), bought outside the chain",
    )
    manufacturing_cost_per_gpu: float = assumption(
        5_300.0,
        unit="USD per GPU",
        ge=0,
        le=1e7,
        source=RESULTS,
        meaning="Hardware vendor's manufacturing cost per GPU",
    )


def defaults_from_results(results: Mapping[str, Mapping[str, Any]]) -> dict[str, float]:
    """Stack parameters read from the models' results payloads (by model name).

    Missing models leave their links at the schema defaults; the returned mapping holds only
    what the results gave.
    """
    out: dict[str, float] = {}
    kpi = _reader(results)
    app = results.get("application_layer")
    if app:
        a = {k: v["value"] for k, v in app["assumptions"].items()}
        share = kpi("application_layer", "inference_cost_share")
        out["app_m_tokens_per_usd"] = share / a["api_price_per_m_tokens"]
        out["app_other_cost_share"] = max(1.0 - app["gross_margin"] - share, 0.0)
    api = results.get("api_access")
    if api:
        price, cost = kpi("api_access", "revenue_per_m_tokens"), kpi("api_access", "cost_per_m_tokens")
        a = {k: v["value"] for k, v in api["assumptions"].items()}
        gpu_cost = a["gpu_hour_cost_usd"] * (1 + a["infra_overhead_share"])
        out["api_price_per_m_tokens"] = price
        out["gpu_hours_per_m_tokens"] = cost / gpu_cost
        out["api_overhead_per_m_tokens"] = cost * a["infra_overhead_share"] / (1 + a["infra_overhead_share"])
    cloud = results.get("ai_infrastructure")
    if cloud:
        a = {k: v["value"] for k, v in cloud["assumptions"].items()}
        utilisation = kpi("ai_infrastructure", "utilisation") or a["utilisation"]
        opex = kpi("ai_infrastructure", "power_per_hour") + kpi("ai_infrastructure", "dc_opex_per_hour")
        out["gpu_hour_price"] = kpi("ai_infrastructure", "revenue_per_sold_hour")
        out["cloud_opex_per_sold_hour"] = opex / utilisation
        out["sold_hours_per_gpu"] = a["useful_life_years"] * HOURS_PER_YEAR * utilisation
        out["other_capex_per_gpu"] = a["capex_per_gpu_usd"]  # less the ASP below, once known
    if results.get("ai_hardware"):
        out["asp_per_gpu"] = kpi("ai_hardware", "net_asp")
        out["manufacturing_cost_per_gpu"] = kpi("ai_hardware", "manufacturing_cost_per_unit")
    if "other_capex_per_gpu" in out:
        asp = out.get("asp_per_gpu", StackParams.model_fields["asp_per_gpu"].default)
        out["other_capex_per_gpu"] = max(out["other_capex_per_gpu"] - asp, 0.0)
    return out


def _reader(results: Mapping[str, Mapping[str, Any]]):
    def kpi(model: str, key: str) -> float | None:
        entry = results.get(model, {}).get("kpis", {}).get(key)
        return None if entry is None or entry["value"] is None else float(entry["value"])

    return kpi


def flows(p: StackParams) -> pd.DataFrame:
    """Where one dollar of application revenue goes, layer by layer (USD per USD of revenue).

    Columns: ``revenue`` (what the layer earns), ``paid_down`` (what it pays the next layer),
    ``outside`` (its other costs, paid outside the chain) and ``margin``
    (revenue − paid_down − outside). Money is conserved: every ``paid_down`` is the next row's
    ``revenue``, and the margins plus the outside costs add up to the application's dollar.
    """
    tokens_m = p.app_m_tokens_per_usd  # M tokens per USD of application revenue
    gpu_hours = tokens_m * p.gpu_hours_per_m_tokens
    gpus = gpu_hours / p.sold_hours_per_gpu  # GPUs' worth of lifetime capacity
    revenue = [1.0, tokens_m * p.api_price_per_m_tokens, gpu_hours * p.gpu_hour_price, gpus * p.asp_per_gpu]
    outside = [
        p.app_other_cost_share,
        tokens_m * p.api_overhead_per_m_tokens,
        gpu_hours * p.cloud_opex_per_sold_hour + gpus * p.other_capex_per_gpu,
        gpus * p.manufacturing_cost_per_gpu,
    ]
    paid_down = [*revenue[1:], 0.0]
    frame = pd.DataFrame(
        {"revenue": revenue, "paid_down": paid_down, "outside": outside}, index=pd.Index(LAYERS, name="layer")
    )
    frame["margin"] = frame["revenue"] - frame["paid_down"] - frame["outside"]
    return frame


def transfer_effect(p: StackParams, name: str, factor: float) -> pd.DataFrame:
    """Change of every layer's margin (USD per USD of application revenue) when one transfer
    price is multiplied by ``factor``; only the two layers it joins move."""
    moved = p.vary(**{name: getattr(p, name) * factor})
    return (flows(moved)["margin"] - flows(p)["margin"]).to_frame("margin change")
