"""Goal seek: answers put back into the model give the target; unreachable targets say so."""

from __future__ import annotations

import numpy as np
import pytest

from aibm_core.analysis import goalseek
from aibm_core.analysis.scenarios import load_file
from aibm_core.models import get_model
from aibm_core.models.base import Question
from tests.contract_models import CONTRACT_MODELS, parameters_dir_of, spec_of


def _base(name: str):
    spec = get_model(name)
    return spec, load_file(spec.params, parameters_dir_of(name) / "base" / f"{name}.yaml")


CASES = [(name, i) for name in CONTRACT_MODELS for i in range(len(spec_of(name).questions))]


@pytest.mark.usefixtures("with_minimal_model")
@pytest.mark.parametrize("name", CONTRACT_MODELS)
def test_every_model_asks_questions_of_its_own_drivers_and_kpis(name):
    spec, params = _base(name)
    kpis = spec.kpis(spec.compute(params))
    for question in spec.questions:
        assert spec.params.role_of(question.driver) == "driver"
        assert question.kpi in kpis


@pytest.mark.usefixtures("with_minimal_model")
@pytest.mark.parametrize(("name", "index"), CASES)
def test_the_answer_put_back_into_the_model_gives_the_target(name, index):
    spec, params = _base(name)
    question = spec.questions[index]
    answer = goalseek.seek(spec, params, question)
    assert answer.found, answer.message
    result = spec.compute(params.vary(**{question.driver: answer.value}))
    assert spec.kpis(result)[question.kpi].value == pytest.approx(question.target, abs=1e-9)


def test_break_even_utilisation_agrees_with_the_model_own_kpi():
    spec, params = _base("ai_infrastructure")
    kpis = spec.kpis(spec.compute(params))
    answers = {(a.question.driver, a.question.kpi): a.value for a in goalseek.answer_all(spec, params)}
    assert answers["utilisation", "gross_margin"] == pytest.approx(
        kpis["break_even_utilisation"].value, rel=1e-9
    )
    assert answers["utilisation", "margin_after_financing"] == pytest.approx(
        kpis["break_even_utilisation_full"].value, rel=1e-9
    )


def test_an_unreachable_target_has_no_solution_and_says_on_which_side_the_kpi_stays():
    spec, params = _base("ai_infrastructure")
    above = goalseek.seek(spec, params, Question("q", "utilisation", "gross_margin", 0.99))
    assert not above.found and above.value is None
    assert "no solution in the valid range" in above.message and "stays below 99.0%" in above.message
    api, api_params = _base("api_access")
    below = goalseek.seek(api, api_params, Question("q", "monthly_churn", "ltv_to_cac", 0.0))
    assert not below.found and "stays above" in below.message


def test_answers_frame_formats_targets_and_answers_in_their_units():
    spec, params = _base("api_access")
    unreachable = Question("Unreachable", "gpu_utilisation", "gross_margin", 1.5)
    answers = [*goalseek.answer_all(spec, params), goalseek.seek(spec, params, unreachable)]
    frame = goalseek.answers_frame(answers)
    assert list(frame.columns) == ["driver", "target", "answer"]
    price = frame.loc["Output-token price for a 50% gross margin"]
    assert (
        price["target"] == "50.0%"
        and price["answer"].startswith("$")
        and "per 1M output tokens" in price["answer"]
    )
    assert frame.loc["Unreachable", "answer"].startswith("no solution")


def test_search_grid_is_geometric_over_orders_of_magnitude_and_starts_at_the_lower_bound():
    wide = goalseek.search_grid(0.01, 1000.0)
    assert wide[0] == 0.01 and wide[-1] == 1000.0
    assert np.allclose(np.diff(np.log(wide)), np.log(1e5) / 256)
    assert goalseek.search_grid(0.0, 1e8)[:2].tolist() == [0.0, pytest.approx(0.1)]
    narrow = goalseek.search_grid(0.05, 1.0)
    assert np.allclose(np.diff(narrow), 0.95 / 256)


def test_a_target_met_exactly_on_the_grid_is_found():
    spec, params = _base("ai_infrastructure")
    grid_kpi = goalseek.kpi_function(spec, params, Question("q", "utilisation", "gross_margin", 0.0))
    target = float(grid_kpi(1.0))  # the KPI at the upper bound, the last grid point
    answer = goalseek.seek(spec, params, Question("q", "utilisation", "gross_margin", target))
    assert answer.value == pytest.approx(1.0, abs=1e-9)
