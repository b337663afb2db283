"""The CoreWeave fiscal-2024 case: every disclosed figure within its tolerance, read directly from
the model's results (statement sums over months, KPIs at the snapshot month)."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from aibm_core.analysis.results import scenario_params
from aibm_core.core.config import PARAMETERS_DIR
from aibm_core.models import get_model

CASES = ("case_coreweave_2024",)


def _read(case: str, name: str) -> dict:
    return yaml.safe_load((PARAMETERS_DIR / case / name).read_text(encoding="utf-8"))


def _modelled(case: str, disclosed: dict) -> float:
    spec = get_model("ai_infrastructure")
    result = spec.compute(scenario_params("ai_infrastructure", case))
    if "months" in disclosed:
        first, last = (int(x) for x in str(disclosed["months"]).split("-"))
        return float(np.sum(getattr(spec.statement(result), disclosed["figure"])[first - 1 : last]))
    return float(spec.kpis(result)[disclosed["figure"]].value)


def _tolerance(disclosed: dict) -> float:
    tolerance = disclosed["tolerance"]
    if isinstance(tolerance, str) and tolerance.endswith("%"):
        return abs(disclosed["value"]) * float(tolerance[:-1]) / 100.0
    return float(tolerance)


@pytest.mark.parametrize("case", CASES)
def test_every_key_is_an_input_a_setting_or_fitted_exactly_once(case):
    keys = set(_read(case, "ai_infrastructure.yaml"))
    doc = _read(case, "case.yaml")
    lists = [set(doc[part]) for part in ("inputs", "settings", "fitted")]
    assert set().union(*lists) == keys
    assert sum(len(part) for part in lists) == len(keys)
    assert 4 <= len(doc["disclosed"]) <= 8
    assert all(d.get("reason") and d.get("source") for d in doc["disclosed"])


@pytest.mark.parametrize("case", CASES)
def test_every_disclosed_figure_is_within_its_tolerance(case):
    for disclosed in _read(case, "case.yaml")["disclosed"]:
        modelled = _modelled(case, disclosed)
        assert abs(modelled - disclosed["value"]) <= _tolerance(disclosed), (disclosed["figure"], modelled)


def test_coreweave_backlog_is_mostly_signed_capacity_not_yet_live():
    """The old backlog (live reserved contracts only) could not reach the disclosed RPO."""
    spec = get_model("ai_infrastructure")
    r = spec.compute(scenario_params("ai_infrastructure", "case_coreweave_2024"))
    assert r.at("undelivered_backlog") > 0.25 * r.at("remaining_performance_obligations")
    assert r.at("remaining_performance_obligations") == pytest.approx(
        r.at("contracted_backlog") + r.at("undelivered_backlog")
    )
