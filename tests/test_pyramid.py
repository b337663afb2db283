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


def test_layer_margin_is_revenue_weighted(base_outcomes):
    summary = pyramid.layer_summary(base_outcomes)
    infra = [o.payload["snapshot"] for o in base_outcomes if o.layer == "infrastructure" and o.ok]
    weights = [s["revenue"] for s in infra]
    expected = np.average([s["gross_margin"] for s in infra], weights=weights)
    assert summary.loc["infrastructure", "gross margin"] == pytest.approx(expected)


def test_payload_lists_each_layer_with_its_models(base_outcomes):
    payload = pyramid.pyramid_payload("base", base_outcomes)
    assert [layer["layer"] for layer in payload["layers"]] == list(pyramid.LAYERS)
    listed = {m["model"] for layer in payload["layers"] for m in layer["models"]}
    assert listed == set(model_names())
    api = model_results("api_access", "base")
    entry = next(m for layer in payload["layers"] for m in layer["models"] if m["model"] == "api_access")
    assert entry["gross_margin"] == api["snapshot"]["gross_margin"]
