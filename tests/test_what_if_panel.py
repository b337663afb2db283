"""The live what-if panel driven in Python: every assumption editable, moved values saved as a scenario."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from aibm_core.analysis.new_scenario import folder_problems
from aibm_core.analysis.results import evaluate_scenario, scenario_params
from aibm_core.core.config import PARAMETERS_DIR
from aibm_core.models import get_model, model_names
from aibm_core.present.widgets import WhatIfPanel


@pytest.fixture
def parameters(tmp_path: Path) -> Path:
    return Path(shutil.copytree(PARAMETERS_DIR, tmp_path / "parameters"))


@pytest.mark.parametrize("model", model_names())
def test_every_assumption_has_a_slider_or_a_box(model):
    panel = WhatIfPanel(evaluate_scenario(model, "base"), "base")
    schema = get_model(model).params
    assert set(panel.sliders) == set(get_model(model).what_if)
    assert set(panel.sliders) | set(panel.inputs) == set(schema.model_fields)
    assert not set(panel.sliders) & set(panel.inputs)
    assert panel.changes() == {}


def test_a_box_outside_the_what_if_drivers_moves_the_headline_fast():
    panel = WhatIfPanel(evaluate_scenario("api_access", "base"), "base")
    assert "infra_overhead_share" not in panel.sliders
    before = panel.headline.value
    begin = time.perf_counter()
    panel.inputs["infra_overhead_share"].value = 1.0  # serving overhead: a fifth -> the whole GPU price
    took = time.perf_counter() - begin
    assert panel.headline.value != before
    assert "-" in panel.headline.value.split("pts")[0]  # a lower margin than the scenario's
    assert panel.changes() == {"infra_overhead_share": 1.0}
    assert took < 2.0, took  # one evaluation and one small chart
    panel.inputs["horizon_months"].value = 48  # a setting: the projection grows
    assert len(panel.evaluation().statement.ratios()["gross_margin"]) == 48


def test_an_invalid_value_is_reported_and_the_figures_stay():
    panel = WhatIfPanel(evaluate_scenario("api_access", "base"), "base")
    shown = panel.headline.value
    panel.inputs["snapshot_month"].value = 100  # beyond the 36-month horizon
    assert "must not exceed" in panel.problems.value
    assert panel.headline.value == shown
    panel.inputs["snapshot_month"].value = 12
    assert panel.problems.value == ""


def test_save_as_scenario_writes_the_moved_values_over_the_panels_scenario(parameters):
    panel = WhatIfPanel(evaluate_scenario("api_access", "bull", parameters), "bull", parameters)
    assert panel.overlays == "bull"
    slider = panel.sliders["monthly_churn"]
    slider.value = slider.value + 3 * slider.step  # a slider's value: rounded when saved
    panel.inputs["cache_hit_rate"].value = 0.5
    panel.save_name.value = "my_what_if"
    panel.save_button.click()
    path = parameters / "my_what_if" / "api_access.yaml"
    assert str(path) in panel.saved.value
    lines = path.read_text().splitlines()[1:]
    assert [line.split(":")[0] for line in lines] == ["monthly_churn", "cache_hit_rate"]
    assert all("# why: what-if on scenario bull" in line for line in lines)
    assert folder_problems(parameters, "my_what_if") == []
    saved = scenario_params("api_access", "my_what_if", parameters)
    assert saved.cache_hit_rate == 0.5
    assert saved.monthly_churn == pytest.approx(slider.value, rel=1e-5)
    assert saved.gpu_utilisation == scenario_params("api_access", "bull", parameters).gpu_utilisation

    panel.save_button.click()  # the same name again: refused, the file kept
    assert "already exists" in panel.saved.value
    panel.save_name.value = "no/slashes"
    panel.save_button.click()
    assert "is not allowed" in panel.saved.value
    assert not (parameters / "no").exists()


def test_save_without_a_change_or_outside_a_scenario_folder(parameters):
    panel = WhatIfPanel(evaluate_scenario("api_access", "base"), "custom", parameters)
    assert panel.overlays == "base"  # a notebook run on its own: its values are base's
    panel.save_name.value = "nothing"
    assert panel.save() is None
    assert "nothing to save" in panel.saved.value
    assert not (parameters / "nothing").exists()
