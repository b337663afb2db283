"""The Nebius fiscal-2025 case: every key accounted for, every disclosed figure within its
tolerance, and the run rate compared with the disclosed one is twelve times December's revenue."""

from __future__ import annotations

import numpy as np
import pytest

from aibm_core.analysis.results import scenario_params
from aibm_core.models import get_model
from tests.test_ai_infrastructure_case import _modelled, _read, _tolerance

CASE = "case_nebius_2025"


@pytest.fixture(scope="module")
def run():
    spec = get_model("ai_infrastructure")
    result = spec.compute(scenario_params("ai_infrastructure", CASE))
    return spec, result


def test_every_key_is_an_input_a_setting_or_fitted_exactly_once():
    keys = set(_read(CASE, "ai_infrastructure.yaml"))
    doc = _read(CASE, "case.yaml")
    lists = [set(doc[part]) for part in ("inputs", "settings", "fitted")]
    assert set().union(*lists) == keys
    assert sum(len(part) for part in lists) == len(keys)
    assert 4 <= len(doc["disclosed"]) <= 8
    assert all(d.get("reason") and d.get("source") for d in doc["disclosed"])


def test_every_disclosed_figure_is_within_its_tolerance():
    for disclosed in _read(CASE, "case.yaml")["disclosed"]:
        modelled = _modelled(CASE, disclosed)
        assert abs(modelled - disclosed["value"]) <= _tolerance(disclosed), (disclosed["figure"], modelled)


def test_the_run_rate_is_twelve_times_december_revenue(run):
    """Nebius defines its run rate as the last month's revenue x 12: the model's KPI must be the same."""
    spec, result = run
    revenue = np.asarray(spec.statement(result).revenue).ravel()
    assert len(revenue) == 12
    assert float(spec.kpis(result)["arr"].value) == pytest.approx(12.0 * revenue[11], rel=1e-9)
    # December is more than a third of Q4 because the fleet grows through the quarter
    assert revenue[11] > revenue[9:12].sum() / 3.0


def test_the_fleet_fits_in_the_connected_power_through_the_year(run):
    """The fitted fleet draws less than the 220 MW connected at year end, and the runway says so."""
    spec, result = run
    power = np.asarray(result.fleet_power_mw).ravel()
    assert power.max() < 220.0 and np.all(np.diff(power) > 0)
    # facility power grows like the fleet: the runway is where it reaches 220 MW, after month 12
    runway = float(np.asarray(spec.kpis(result)["power_runway_months"].value))
    monthly = np.log(power[11] / power[10])
    assert runway == pytest.approx(np.log(220.0 / power[0]) / monthly, rel=1e-6)
    assert runway > 11.0
