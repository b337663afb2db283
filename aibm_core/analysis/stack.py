"""The linked economy: which model buys from which, and which of a buyer's drivers a seller sets.

The six models are one stack. The hardware vendor sells accelerators to the GPU cloud; the
GPU cloud rents GPU-hours to the API layer and to the AI platform; the API layer sells tokens
to the application layer, and its price is the ceiling the open-weights company's hosted API
is priced against. A :class:`Link` declares one such purchase once: the seller's monthly
series (per draw) that becomes a driver of the buyer. The results of a scenario are computed
in dependency order (:func:`dependency_order`), so a shock typed into one layer reaches every
layer that buys from it (:mod:`aibm_core.analysis.results_cache` does the computing).

A link is in force unless

* the scenario is declared unlinked (``linked: false`` in its ``scenario.yaml``; the ``seed``
  scenario, whose worked examples are separate businesses with their own stated prices), or
* a scenario file above the root sets the driver (or one of the companion drivers the link
  replaces) itself: the scenario then cuts the link and the report says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from aibm_core.analysis.scenarios import (
    available_scenarios,
    scenario_linked,
    scenario_models,
    set_by_scenario,
)


@dataclass(frozen=True)
class Link:
    """One purchase between two models: a seller's monthly series sets a buyer's driver.

    Attributes
    ----------
    seller, output
        The selling model and the monthly series of its result (draws × months) it sells at.
    label
        What the series is, in words.
    buyer, driver
        The buying model and the driver the series replaces.
    times, plus
        Buyer's drivers turning the seller's figure into the driver (``path × times + plus``).
    replaces
        Other drivers of the buyer that only shape the driver when it is the buyer's own
        assumption (a yearly decline of the price the link now supplies); a scenario that sets
        one of them cuts the link as if it set the driver.
    """

    seller: str
    output: str
    label: str
    buyer: str
    driver: str
    times: str | None = None
    plus: str | None = None
    replaces: tuple[str, ...] = ()

    @property
    def drivers(self) -> tuple[str, ...]:
        """The driver and its companions: a scenario setting any of them cuts the link."""
        return (self.driver, *self.replaces)


#: The API layer and the platform rent GPU-hours like the cloud's other customers (on-demand,
#: reserved and spot in the cloud's own mix), so they pay its realised price per sold GPU-hour.
CLOUD_PRICE = "GPU cloud's realised price per sold GPU-hour"
API_PRICE = "API layer's net price per 1M tokens"

#: Every purchase in the stack, sellers before buyers.
LINKS: tuple[Link, ...] = (
    Link(
        "ai_hardware",
        "net_asp",
        "hardware vendor's net ASP per accelerator (plus the rest of the server)",
        "ai_infrastructure",
        "capex_per_gpu_usd",
        plus="non_accelerator_capex_per_gpu_usd",
    ),
    Link("ai_infrastructure", "revenue_per_sold_hour", CLOUD_PRICE, "api_access", "gpu_hour_cost_usd"),
    Link("ai_infrastructure", "revenue_per_sold_hour", CLOUD_PRICE, "ai_platform", "infra_cost_per_gpu_hour"),
    Link(
        "api_access",
        "net_price_per_m",
        API_PRICE,
        "application_layer",
        "api_price_per_m_tokens",
        replaces=("api_price_annual_decline",),
    ),
    Link(
        "api_access",
        "net_price_per_m",
        f"{API_PRICE} (times the hosted API's price ratio)",
        "open_source_freemium",
        "api_price_per_m",
        times="price_to_closed_api_ratio",
        replaces=("annual_api_price_decline",),
    ),
)

State = Literal["linked", "set by the scenario", "scenario unlinked", "outside a scenario", "no seller"]

#: How each state reads in a report.
STATE_TEXT: dict[str, str] = {
    "linked": "linked",
    "set by the scenario": "set by the scenario, not linked",
    "scenario unlinked": "not linked: the scenario declares its models separate",
    "outside a scenario": "not linked: run outside a scenario folder",
    "no seller": "not linked: the scenario has no valid parameters for the selling model",
}


def links_into(model: str) -> tuple[Link, ...]:
    """The links whose buyer is ``model``."""
    return tuple(link for link in LINKS if link.buyer == model)


def sellers_of(model: str) -> tuple[str, ...]:
    """Models ``model`` buys from, directly."""
    return tuple(dict.fromkeys(link.seller for link in links_into(model)))


def outputs_of(model: str) -> tuple[str, ...]:
    """The series of ``model`` that other models buy at."""
    return tuple(dict.fromkeys(link.output for link in LINKS if link.seller == model))


def upstream(model: str) -> tuple[str, ...]:
    """Every model ``model`` buys from, directly or through its sellers (nearest first)."""
    found: list[str] = []
    for seller in sellers_of(model):
        for m in (seller, *upstream(seller)):
            if m not in found:
                found.append(m)
    return tuple(found)


def depth(model: str) -> int:
    """Purchases between ``model`` and the bottom of the stack (0 for a model that buys nothing)."""
    return max((1 + depth(seller) for seller in sellers_of(model)), default=0)


def dependency_order(models: Sequence[str]) -> list[str]:
    """``models`` with every seller before its buyers (stable otherwise)."""
    ordered: list[str] = []

    def visit(model: str, path: tuple[str, ...] = ()) -> None:
        if model in ordered:
            return
        if model in path:
            raise ValueError(f"the stack's links form a cycle: {' -> '.join((*path, model))}")
        for seller in sellers_of(model):
            if seller in models:
                visit(seller, (*path, model))
        ordered.append(model)

    for model in models:
        visit(model)
    return ordered


def link_state(link: Link, scenario: str, parameters_dir: Path | None) -> State:
    """Whether ``link`` is in force for a scenario, and if not, why."""
    if parameters_dir is None or scenario not in available_scenarios(Path(parameters_dir)):
        return "outside a scenario"
    if not scenario_linked(Path(parameters_dir), scenario):
        return "scenario unlinked"
    if set(link.drivers) & set_by_scenario(Path(parameters_dir), scenario, link.buyer):
        return "set by the scenario"
    if not scenario_models(Path(parameters_dir), scenario, [link.seller]):
        return "no seller"
    return "linked"
