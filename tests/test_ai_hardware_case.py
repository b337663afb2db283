"""AI hardware company case (NVIDIA fiscal 2025): every disclosed figure within its tolerance."""

from __future__ import annotations

import numpy as np
import pytest

from aibm_core.analysis.results_cache import scenario_params
from aibm_core.core.config import PARAMETERS_DIR
from aibm_core.core.params import read_yaml
from aibm_core.models.ai_hardware import SPEC, AiHardwareResult, compute, kpis

CASE = "case_nvidia_fy2025"
#: Statement series a disclosed figure may sum over months (USD per month each).
SERIES = {
    "revenue": lambda r: r.revenue,
    "gross_profit": lambda r: r.gross_profit,
    "operating_expenses": lambda r: r.rnd + r.sales_spend + r.other_opex,
    "operating_profit": lambda r: r.operating_profit,
    "capex": lambda r: r.capex,
}


def modelled(r: AiHardwareResult, figure: dict) -> float:
    """A disclosed figure as the model gives it: summed over ``months``, or a KPI at the snapshot."""
    if "months" not in figure:
        return float(kpis(r)[figure["figure"]].value)
    first, last = (int(m) for m in str(figure["months"]).split("-"))
    months = slice(first - 1, last)
    if figure["figure"] == "gross_margin":
        return float(np.sum(r.gross_profit[months]) / np.sum(r.revenue[months]))
    return float(np.sum(SERIES[figure["figure"]](r)[months]))


def allowed(figure: dict) -> float:
    tolerance = figure["tolerance"]
    if isinstance(tolerance, str):
        return abs(float(figure["value"])) * float(tolerance.rstrip("%")) / 100
    return float(tolerance)


CASE_FILE = read_yaml(PARAMETERS_DIR / CASE / "case.yaml")


@pytest.mark.parametrize("figure", CASE_FILE["disclosed"], ids=lambda f: f["figure"])
def test_disclosed_figure_within_tolerance(figure: dict) -> None:
    r = compute(scenario_params("ai_hardware", CASE))
    assert abs(modelled(r, figure) - float(figure["value"])) <= allowed(figure), figure["reason"]


def test_every_key_is_an_input_a_setting_or_fitted() -> None:
    keys = set(read_yaml(PARAMETERS_DIR / CASE / "ai_hardware.yaml"))
    listed = [set(CASE_FILE[part]) for part in ("inputs", "settings", "fitted")]
    assert set.union(*listed) == keys
    assert sum(len(part) for part in listed) == len(keys)
    assert CASE_FILE["model"] == SPEC.name


def test_a_bare_chip_cost_overstates_the_gross_margin() -> None:
    """Without the parts beyond the chip the fiscal year's gross margin reads several points high."""
    params = scenario_params("ai_hardware", CASE)
    bare = kpis(compute(params.vary(system_cost_per_unit_usd=0.0)))["gross_margin_year"].value
    assert bare - kpis(compute(params))["gross_margin_year"].value > 0.05
