"""The value chain agrees with the linked models, and stops agreeing when a link is cut."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from aibm_core.analysis import sensitivity, stack, value_chain
from aibm_core.analysis.results import scenario_params
from aibm_core.analysis.results_cache import linked, model_results
from aibm_core.analysis.scenarios import available_scenarios, scenario_linked
from aibm_core.analysis.stack_monte_carlo import stack_monte_carlo
from aibm_core.core.config import PARAMETERS_DIR
from aibm_core.models import evaluate, get_model
from aibm_core.models.ai_infrastructure.params import HOURS_PER_MONTH

LINKED = [s for s in available_scenarios(PARAMETERS_DIR) if scenario_linked(PARAMETERS_DIR, s)]


def test_every_shipped_scenario_but_the_seed_is_linked():
    assert "seed" not in LINKED and {"base", "bull", "bear", "overcapacity", "commoditization"} <= set(LINKED)


@pytest.mark.parametrize("scenario", LINKED)
def test_each_layer_earns_what_its_buyer_pays_and_keeps_its_models_margin(scenario):
    frame = value_chain.scenario_chain(scenario)
    assert value_chain.problems(frame) == []
    assert (frame["revenue"] > 0).all()
    for layer, row in frame.iterrows():  # within 0.1 point of the model's own gross margin
        assert row["margin_share"] == pytest.approx(row["model_margin"], abs=1e-3), layer
    # the dollar ends as margins and outside costs (nothing leaks between linked layers)
    assert frame["margin"].sum() + frame["outside"].sum() == pytest.approx(1.0, rel=1e-9)


def test_the_seed_is_shown_unlinked_and_its_chain_says_where_it_contradicts():
    for model in ("application_layer", "api_access", "ai_infrastructure", "ai_platform"):
        assert {link["state"] for link in model_results(model, "seed")["links"]} == {"scenario unlinked"}
    found = value_chain.problems(value_chain.scenario_chain("seed"))
    assert any(p.startswith("application records paying") for p in found)


def test_gpus_bought_are_gpu_hours_over_a_gpus_lifetime_of_sold_hours():
    evaluations = value_chain.scenario_evaluations("base")
    frame = value_chain.chain(evaluations)
    cloud = evaluations["ai_infrastructure"]
    life_hours = float(cloud.params.useful_life_years) * 12 * HOURS_PER_MONTH
    utilisation = float(cloud.result.at("utilisation"))
    assert frame.attrs["gpus"] == pytest.approx(
        frame.attrs["gpu_hours"] / (life_hours * utilisation), rel=1e-12
    )
    # the hardware vendor earns those GPUs at its own net ASP
    asp = float(evaluations["ai_hardware"].result.at("net_asp"))
    assert frame.loc["hardware", "revenue"] == pytest.approx(frame.attrs["gpus"] * asp, rel=1e-12)


@pytest.mark.parametrize(
    ("buyer", "layer"),
    [("application_layer", "application"), ("api_access", "API"), ("ai_infrastructure", "GPU cloud")],
)
def test_the_check_fails_when_a_link_is_removed(monkeypatch, buyer, layer):
    monkeypatch.setattr(stack, "LINKS", tuple(link for link in stack.LINKS if link.buyer != buyer))
    found = value_chain.problems(value_chain.scenario_chain("base"))
    assert any(p.startswith(f"{layer} records paying") for p in found), found


def test_a_scenario_that_sets_a_linked_driver_cuts_that_link(tmp_path):
    folder = tmp_path / "parameters"
    shutil.copytree(PARAMETERS_DIR, folder)
    (folder / "own_price").mkdir()
    (folder / "own_price" / "scenario.yaml").write_text(
        'description: "The application keeps its own price"\n'
    )
    (folder / "own_price" / "application_layer.yaml").write_text("api_price_per_m_tokens: 3.0\n")
    links = model_results("application_layer", "own_price", folder)["links"]
    assert [(link["driver"], link["state"], link["value"]) for link in links] == [
        ("api_price_per_m_tokens", "set by the scenario", 3.0)
    ]
    assert stack.STATE_TEXT["set by the scenario"] == "set by the scenario, not linked"


def test_a_shock_typed_into_the_hardware_vendor_reaches_the_cloud_and_stops_at_its_price(tmp_path):
    folder = tmp_path / "parameters"
    shutil.copytree(PARAMETERS_DIR, folder)
    (folder / "dear_chips").mkdir()
    (folder / "dear_chips" / "scenario.yaml").write_text('description: "Accelerators 30% dearer"\n')
    (folder / "dear_chips" / "ai_hardware.yaml").write_text(
        "high_end_asp_usd: 39000.0\nmid_range_asp_usd: 11700.0\n"
    )
    base = {m: model_results(m, "base", folder) for m in ("ai_infrastructure", "api_access")}
    dear = {m: model_results(m, "dear_chips", folder) for m in ("ai_infrastructure", "api_access")}
    capex = [r["links"][0]["value"] for r in (base["ai_infrastructure"], dear["ai_infrastructure"])]
    assert capex[1] > capex[0]
    assert dear["ai_infrastructure"]["gross_margin"] < base["ai_infrastructure"]["gross_margin"]
    # the cloud's price does not depend on its capex, so the API layer above it is untouched
    assert dear["api_access"]["gross_margin"] == base["api_access"]["gross_margin"]


def _margin(model: str, scenario: str) -> float:
    return model_results(model, scenario)["gross_margin"]


@pytest.mark.parametrize(
    ("scenario", "model", "direction"),
    [
        ("overcapacity", "api_access", +1),  # the cloud's price fell: its renters gain
        ("overcapacity", "ai_platform", +1),
        ("obsolescence", "ai_platform", +1),
        ("commoditization", "application_layer", +1),  # the API price fell: the application gains
        ("commoditization", "open_source_freemium", -1),  # the hosted price follows it down
        ("power_constraint", "api_access", -1),  # scarce GPU-hours hold their price
    ],
)
def test_a_shock_travels_to_the_layers_that_buy_from_where_it_starts(scenario, model, direction):
    base, shocked = _margin(model, "base"), _margin(model, scenario)
    assert (shocked - base) * direction > 1e-3, f"{model}: {base:.2%} in base, {shocked:.2%} in {scenario}"


def test_the_stacks_draws_are_joint_a_buyer_reads_its_sellers_draw_of_the_same_index():
    runs = stack_monte_carlo("base", draws=64)
    cloud, api = runs["ai_infrastructure"].monte_carlo, runs["api_access"].monte_carlo
    seller = np.asarray(cloud.result.revenue_per_sold_hour)  # draws × months
    bought = api.params.linked["gpu_hour_cost_usd"].draws
    np.testing.assert_array_equal(bought, seller)
    # and the point evaluations are the ones the batch computes scenario by scenario
    for model in ("api_access", "application_layer"):
        assert runs[model].evaluation.gross_margin == pytest.approx(
            model_results(model, "base")["gross_margin"]
        )


def test_moving_a_linked_driver_scales_its_sellers_path():
    spec = get_model("ai_platform")
    evaluation = value_chain.scenario_evaluations("base")  # computes the platform's sellers too
    params = linked(spec, scenario_params("ai_platform", "base"), "base", PARAMETERS_DIR)[0]
    name = "infra_cost_per_gpu_hour"
    cloud = evaluation["ai_infrastructure"].result
    value = params.value_of(name)
    assert value == pytest.approx(float(cloud.at("revenue_per_sold_hour")), rel=1e-12)
    months = np.arange(1.0, 25.0)
    np.testing.assert_allclose(
        params.moved(**{name: 2 * value}).linked_path(name, months), 2 * params.linked_path(name, months)
    )
    frame = sensitivity.sweep(spec, params, name, [value, 2 * value])
    own = evaluate(spec, params).gross_margin
    assert frame["metric"].iloc[0] == pytest.approx(own, abs=1e-12)  # the path as the seller gives it
    assert frame["metric"].iloc[1] < own  # twice the cloud's price: a thinner margin


def test_an_api_layer_on_a_fleet_pays_the_linked_gpu_hour_price(tmp_path):
    folder = tmp_path / "parameters"
    shutil.copytree(PARAMETERS_DIR, folder)
    (folder / "own_fleet").mkdir()
    (folder / "own_fleet" / "scenario.yaml").write_text('description: "The API layer rents a fixed fleet"\n')
    (folder / "own_fleet" / "api_access.yaml").write_text("cost_basis: fleet\n")
    evaluations = value_chain.scenario_evaluations("own_fleet", folder)
    api = evaluations["api_access"]
    months = api.result.months
    price = api.params.linked_path("gpu_hour_cost_usd", months)
    assert price is not None
    fleet_hours = float(api.params.fleet_gpus) * HOURS_PER_MONTH
    expected = fleet_hours * np.ravel(price) * (1 + float(api.params.infra_overhead_share))
    np.testing.assert_allclose(np.ravel(api.result.cogs), expected, rtol=1e-12)
    assert value_chain.problems(value_chain.chain(evaluations)) == []
