"""Contracts every model shares: roles, array-total drivers, the common statement, array trees.

Each runs on every shipped model and on the minimal model the walk-through builds.
"""

from __future__ import annotations

import numpy as np
import pytest

from aibm_core.core.params import ROLES, clip_to_range
from aibm_core.models import get_model
from aibm_core.models.base import STATEMENT_SERIES
from tests.contract_models import CONTRACT_MODELS, spec_of

# Every test here also runs on the minimal model of docs/adding-a-model.md, registered for it.
pytestmark = pytest.mark.usefixtures("with_minimal_model")

DRIVERS = [(m, name) for m in CONTRACT_MODELS for name in spec_of(m).params.names_with_role("driver")]


def _values_around(schema, name: str, value: float) -> list[float]:
    """Three distinct valid values around a default: below, at and above it."""
    if value == 0:
        return [0.0, clip_to_range(schema, name, 0.01), clip_to_range(schema, name, 0.05)]
    low = clip_to_range(schema, name, value * 0.8)
    high = clip_to_range(schema, name, value * 1.2)
    return [low, float(value), high]


def _close(batch, single, what: str) -> None:
    np.testing.assert_allclose(
        np.asarray(batch, dtype=float), np.asarray(single, dtype=float), rtol=1e-9, atol=1e-9, err_msg=what
    )


@pytest.mark.parametrize("model", CONTRACT_MODELS)
def test_every_assumption_has_a_role_and_limits_are_named_as_such(model):
    schema = get_model(model).params
    for name in schema.model_fields:
        assert schema.role_of(name) in ROLES
    assert schema.role_of("horizon_months") == "setting"
    assert schema.role_of("snapshot_month") == "setting"
    for name in schema.model_fields:
        if name.startswith(("max_", "min_")):
            assert schema.role_of(name) == "limit", name
        annotation = schema.model_fields[name].annotation
        if annotation not in (float, int):  # choices and switches are structural
            assert schema.role_of(name) == "setting", name


@pytest.mark.parametrize(("model", "name"), DRIVERS, ids=[f"{m}-{n}" for m, n in DRIVERS])
def test_array_of_driver_values_gives_the_same_results_as_scalar_calls(model, name):
    spec = get_model(model)
    base = spec.params()
    values = _values_around(spec.params, name, getattr(base, name))
    batch = spec.compute(base.vary(**{name: np.array(values)}))
    statement, kpis, tree = spec.statement(batch), spec.kpis(batch), spec.tree(batch)
    for i, value in enumerate(values):
        single = spec.compute(base.vary(**{name: value}))
        one = spec.statement(single)
        for key in STATEMENT_SERIES:
            series = np.broadcast_to(statement.series(key), (len(values), *one.series(key).shape))
            _close(series[i], one.series(key), f"{name}={value}: statement {key}")
        for key, metric in spec.kpis(single).items():
            _close(np.broadcast_to(kpis[key].value, (len(values),))[i], metric.value, f"{name}: kpi {key}")
        for node in spec.tree(single).nodes:
            if node.value is None:
                continue
            _close(np.broadcast_to(tree[node.id].value, (len(values),))[i], node.value, f"{name}: {node.id}")


@pytest.mark.parametrize("model", CONTRACT_MODELS)
def test_statement_identities_and_shapes(model):
    spec = get_model(model)
    params = spec.params()
    statement = spec.statement(spec.compute(params))
    months = params.horizon_months
    for key in STATEMENT_SERIES:
        assert statement.series(key).shape == (months,), key
        assert np.all(np.isfinite(statement.series(key))), key
    _close(statement.gross_profit, statement.revenue - statement.cost_of_revenue, "gross profit")
    _close(statement.operating_profit, statement.gross_profit - statement.operating_expenses, "EBIT")
    assert np.all(statement.series("capex") >= 0)
    snapshot = statement.snapshot()
    _close(snapshot["gross_margin"], snapshot["gross_profit"] / snapshot["revenue"], "gross margin")
    _close(snapshot["north_star"], spec.tree(spec.compute(params)).root.value, "north star = tree root")


@pytest.mark.parametrize("model", CONTRACT_MODELS)
def test_tree_of_draws_reports_percentiles_and_breach_probabilities(model):
    spec = get_model(model)
    base = spec.params()
    drivers = spec.params.names_with_role("driver")
    rng = np.random.default_rng(7)
    varied = {
        name: np.array(
            [clip_to_range(spec.params, name, getattr(base, name) * f) for f in rng.uniform(0.7, 1.3, 64)]
        )
        for name in drivers
    }
    tree = spec.tree(spec.compute(base.vary(**varied)))
    summary = tree.summary()
    assert tree.draws == 64
    valued = summary.dropna(subset=["mean"])
    assert (valued["p10"] <= valued["p50"]).all() and (valued["p50"] <= valued["p90"]).all()
    guardrails = summary.dropna(subset=["breach_probability"])
    assert len(guardrails) == len(tree.guardrails())
    assert guardrails["breach_probability"].between(0, 1).all()
