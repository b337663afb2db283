"""The pyramid comparison: every model reported, the ordering verdict, the payload."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aibm_core.analysis import pyramid
from aibm_core.analysis.results_cache import model_results
from aibm_core.models import model_names


@pytest.fixture(scope="module")
def base_outcomes():
    return pyramid.gather("base")


def test_every_model_is_compared_and_none_dropped(base_outcomes):
    assert [o.model for o in base_outcomes] == model_names()
    table = pyramid.comparison_table(base_outcomes)
    assert len(table) == len(model_names())


def test_a_failing_model_is_reported_as_failed(monkeypatch):
    real = pyramid.model_results

    def flaky(model, scenario, parameters_dir):
        if model == "api_access":
            raise RuntimeError("boom")
        return real(model, scenario, parameters_dir)

    monkeypatch.setattr(pyramid, "model_results", flaky)
    outcomes = pyramid.gather("base")
    failed = next(o for o in outcomes if o.model == "api_access")
    assert not failed.ok and failed.problem == "failed: RuntimeError: boom"
    assert "failed: RuntimeError: boom" in pyramid.comparison_table(outcomes).to_string()
    layer = next(
        layer for layer in pyramid.pyramid_payload("base", outcomes)["layers"] if layer["layer"] == "platform"
    )
    assert {"model": "api_access"}.items() <= next(
        m for m in layer["models"] if m["model"] == "api_access"
    ).items()


def test_a_missing_scenario_is_reported_as_missing():
    outcomes = pyramid.gather("no_such_scenario")
    assert all(not o.ok and o.problem.startswith("missing:") for o in outcomes)


def summary_of(margins):
    return pd.DataFrame({"gross margin": margins}, index=pd.Index(pyramid.LAYERS, name="layer"))


def test_ordering_verdicts():
    assert pyramid.ordering(summary_of([0.2, 0.5, 0.8]))[0]
    holds, text = pyramid.ordering(summary_of([0.7, 0.5, 0.8]))
    assert not holds and text.startswith("does not hold")
    holds, text = pyramid.ordering(summary_of([0.2, 0.5, np.nan]))
    assert not holds and "no results for the application layer" in text


def test_ordering_names_the_measure():
    holds, text = pyramid.ordering(summary_of([0.2, 0.5, 0.8]))
    assert holds and text.startswith("holds on gross margin (median of each layer's models)")


def test_each_model_is_one_point_of_its_layer(base_outcomes):
    summary = pyramid.layer_summary(base_outcomes)
    infra = [o.payload["snapshot"] for o in base_outcomes if o.layer == "infrastructure" and o.ok]
    margins = [s["gross_margin"] for s in infra]
    assert len(margins) == 2  # the chip vendor and the GPU cloud
    # the median of two models is their mean, however unequal their revenues
    assert summary.loc["infrastructure", "gross margin"] == pytest.approx(np.mean(margins))
    weighted = np.average(margins, weights=[s["revenue"] for s in infra])
    assert summary.loc["infrastructure", "gross margin"] != pytest.approx(weighted, abs=1e-3)
    assert summary.loc["infrastructure", "gross margin low"] == pytest.approx(min(margins))
    assert summary.loc["infrastructure", "gross margin high"] == pytest.approx(max(margins))


def test_capital_adjusted_margin_by_hand():
    payload = {"horizon": {"revenue": 1000.0, "gross_profit": 600.0, "capex": 250.0, "depreciation": 0.0}}
    assert pyramid.capital_adjusted_margin(payload) == pytest.approx(0.35)  # (600 - 250) / 1000
    payload["horizon"]["capex"] = 900.0
    assert pyramid.capital_adjusted_margin(payload) == pytest.approx(-0.3)  # capex beyond gross profit
    payload["horizon"]["depreciation"] = 200.0  # already in the cost of revenue: charged once, as cash
    assert pyramid.capital_adjusted_margin(payload) == pytest.approx(-0.1)  # (600 + 200 - 900) / 1000
    payload["horizon"]["revenue"] = 0.0
    assert np.isnan(pyramid.capital_adjusted_margin(payload))


def _outcome(model, layer, gross, operating=0.1, revenue=1.0, capex=0.0):
    snapshot = {"revenue": revenue, "gross_margin": gross, "operating_margin": operating}
    horizon = {"revenue": revenue, "gross_profit": gross * revenue, "capex": capex, "depreciation": 0.0}
    horizon["capital_intensity"] = capex / revenue
    return pyramid.Outcome(model, model, layer, {"snapshot": snapshot, "horizon": horizon})


def test_a_giant_does_not_decide_its_layer_and_breakers_are_named():
    outcomes = [
        _outcome("chips", "infrastructure", 0.75, revenue=8.28e9),
        _outcome("cloud", "infrastructure", 0.25, revenue=3.3e7, capex=6.6e7),
        _outcome("api", "platform", 0.40),
        _outcome("hub", "platform", 0.60),
        _outcome("app", "application", 0.75),
    ]
    summary = pyramid.layer_summary(outcomes)
    assert summary.loc["infrastructure", "gross margin"] == pytest.approx(0.5)  # not ~0.748
    assert summary.loc["platform", "gross margin"] == pytest.approx(0.5)
    holds, text = pyramid.ordering(summary, "gross margin", outcomes)
    assert not holds
    assert text.startswith("does not hold on gross margin")
    breakers = "platform is not above infrastructure: chips (infrastructure, 75.0%), api (platform, 40.0%)"
    assert breakers in text
    capital = summary.loc["infrastructure", "capital-adjusted margin"]
    assert capital == pytest.approx(np.median([0.75, 0.25 - 2.0]))  # capex twice its revenue
    verdicts = pyramid.orderings(outcomes, summary)
    assert set(verdicts) == {"gross margin", "capital-adjusted margin", "operating margin"}
    assert all(f"on {measure} (median" in text for measure, (_, text) in verdicts.items())


def test_base_ordering_holds_on_gross_margin_once_models_are_points(base_outcomes):
    holds, text = pyramid.ordering(pyramid.layer_summary(base_outcomes))
    assert holds, text


def test_payload_lists_each_layer_with_its_models(base_outcomes):
    payload = pyramid.pyramid_payload("base", base_outcomes)
    assert [layer["layer"] for layer in payload["layers"]] == list(pyramid.LAYERS)
    listed = {m["model"] for layer in payload["layers"] for m in layer["models"]}
    assert listed == set(model_names())
    api = model_results("api_access", "base")
    entry = next(m for layer in payload["layers"] for m in layer["models"] if m["model"] == "api_access")
    assert entry["gross_margin"] == api["snapshot"]["gross_margin"]
    assert entry["capital_adjusted_margin"] == pytest.approx(pyramid.capital_adjusted_margin(api))
    assert payload["ordering_measure"] == "gross margin"
    assert payload["ordering"] == payload["orderings"]["gross margin"]["text"]
    infra = next(layer for layer in payload["layers"] if layer["layer"] == "infrastructure")
    assert infra["gross_margin_low"] <= infra["gross_margin"] <= infra["gross_margin_high"]
    assert {"capital_adjusted_margin", "operating_margin"} <= set(infra)
