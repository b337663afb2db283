"""Writing scenario folders: `aibm new` (every assumption commented out) and a saved what-if."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from aibm_core.analysis.new_scenario import folder_problems, new_scenario, save_scenario
from aibm_core.analysis.results import scenario_params
from aibm_core.analysis.results_cache import model_results
from aibm_core.analysis.scenarios import scenario_info
from aibm_core.core.config import PARAMETERS_DIR
from aibm_core.core.params import ParameterError
from aibm_core.models import get_model, model_names
from tests.conftest import aibm


@pytest.fixture
def parameters(tmp_path: Path) -> Path:
    """A copy of the shipped parameters folder."""
    return Path(shutil.copytree(PARAMETERS_DIR, tmp_path / "parameters"))


def leftovers(parameters: Path) -> list[str]:
    """Hidden staging folders left in a parameters folder (none, ever)."""
    return [p.name for p in parameters.iterdir() if p.name.startswith(".")]


def test_aibm_new_writes_a_valid_scenario_that_changes_nothing_until_a_line_is_uncommented(parameters):
    done = aibm("new", "my_company", "--model", "api_access", "--parameters", str(parameters))
    assert done.returncode == 0, done.stderr
    folder = parameters / "my_company"
    assert sorted(p.name for p in folder.iterdir()) == ["api_access.yaml", "scenario.yaml"]
    assert str(folder / "api_access.yaml") in done.stdout
    assert f"aibm run --scenario my_company --parameters {parameters}" in done.stdout
    assert f"aibm validate {folder}" in done.stdout
    assert aibm("validate", str(parameters)).returncode == 0

    text = (folder / "api_access.yaml").read_text()
    schema = get_model("api_access").params
    for name in schema.model_fields:  # every assumption is listed; only the horizon is set
        assert f"# {name}: " in text or text.count(f"\n{name}: ") == 1, name
    assert "\nhorizon_months: 36  #" in text
    assert "# price_per_m_output_tokens: 15.0  # why: " in text
    assert "USD per 1M output tokens; a number >= 0.01 and <= 1,000; List price of output" in text
    assert "linked: ai_infrastructure sets it" in text  # gpu_hour_cost_usd
    assert scenario_info(parameters, "my_company").overlays == "base"
    unchanged = scenario_params("api_access", "my_company", parameters)
    assert unchanged.model_dump() == scenario_params("api_access", "base", parameters).model_dump()

    line = next(x for x in text.splitlines() if x.startswith("# cache_hit_rate: "))
    (folder / "api_access.yaml").write_text(text.replace(line, "cache_hit_rate: 0.55  # why: a test"))
    assert aibm("validate", str(folder)).returncode == 0
    payload = model_results("api_access", "my_company", parameters)
    assert payload["assumptions"]["cache_hit_rate"]["value"] == 0.55
    assert payload["scenario"] == "my_company"


def test_aibm_new_from_another_scenario_lists_its_values_and_every_model_by_default(parameters):
    files = new_scenario(parameters, "upside_co", overlays="bull")
    assert [p.name for p in files] == ["scenario.yaml", *(f"{m}.yaml" for m in model_names())]
    assert "# gpu_utilisation: 0.75  # why:" in (parameters / "upside_co" / "api_access.yaml").read_text()
    assert folder_problems(parameters, "upside_co") == []
    for model in model_names():
        got = scenario_params(model, "upside_co", parameters).model_dump()
        assert got == scenario_params(model, "bull", parameters).model_dump(), model


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("base",), "already exists"),
        (("../escape",), "is not allowed"),
        (("a b",), "is not allowed"),
        (("x" * 120,), "too long"),
        (("fine", "--from", "nowhere"), "unknown scenario 'nowhere'"),
        (("fine", "--model", "nope"), "unknown model 'nope'"),
    ],
)
def test_aibm_new_refuses_bad_input_in_one_line_and_writes_nothing(parameters, args, message):
    before = sorted(p.name for p in parameters.iterdir())
    done = aibm("new", *args, "--parameters", str(parameters))
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert sorted(p.name for p in parameters.iterdir()) == before


def test_save_scenario_writes_only_the_changes_with_why(parameters):
    path = save_scenario(
        parameters,
        "cheaper_gpus",
        "api_access",
        {"gpu_hour_cost_usd": 1.9, "ltv_months": 48.0},
        why="H200 rentals fall, 2026",
    )
    assert path == parameters / "cheaper_gpus" / "api_access.yaml"
    lines = path.read_text().splitlines()
    assert lines[1:] == [
        "gpu_hour_cost_usd: 1.9  # why: H200 rentals fall, 2026 (cuts the link from ai_infrastructure)",
        "ltv_months: 48  # why: H200 rentals fall, 2026",  # an integer assumption stays an integer
    ]
    assert folder_problems(parameters, "cheaper_gpus") == []
    info = scenario_info(parameters, "cheaper_gpus")
    assert info.overlays == "base" and "H200 rentals fall" in info.description
    params = scenario_params("api_access", "cheaper_gpus", parameters)
    assert params.gpu_hour_cost_usd == 1.9 and params.ltv_months == 48
    assert params.uncertainty.ranges["gpu_hour_cost_usd"].point == 1.9  # base's range, re-centred
    assert leftovers(parameters) == []


def test_save_scenario_refuses_to_overwrite_unless_asked_and_keeps_other_models(parameters):
    save_scenario(parameters, "mine", "api_access", {"monthly_churn": 0.02}, why="first")
    shutil.copy(parameters / "bull" / "ai_platform.yaml", parameters / "mine" / "ai_platform.yaml")
    with pytest.raises(ParameterError, match="already exists"):
        save_scenario(parameters, "mine", "api_access", {"monthly_churn": 0.04})
    assert "0.02" in (parameters / "mine" / "api_access.yaml").read_text()
    save_scenario(parameters, "mine", "api_access", {"monthly_churn": 0.04}, overwrite=True, overlays="bear")
    assert "monthly_churn: 0.04" in (parameters / "mine" / "api_access.yaml").read_text()
    assert (parameters / "mine" / "ai_platform.yaml").exists()
    assert scenario_info(parameters, "mine").overlays == "bear"
    assert leftovers(parameters) == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"monthly_churn": 1.5}, "key 'monthly_churn': value 1.5 is not allowed"),
        ({"no_such_driver": 1.0}, "not an assumption of api_access"),
        ({}, "nothing to save"),
        ({"snapshot_month": 40.0}, "must not exceed"),
    ],
)
def test_save_scenario_refuses_invalid_changes_and_leaves_nothing(parameters, changes, message):
    with pytest.raises(ParameterError) as raised:
        save_scenario(parameters, "broken", "api_access", changes)
    assert any(message in str(p) for p in raised.value.problems), raised.value.problems
    assert all(".tmp-" not in str(p) for p in raised.value.problems)  # the final path is named
    assert not (parameters / "broken").exists()
    assert leftovers(parameters) == []


def test_save_scenario_refuses_a_bad_name_or_unknown_overlay(parameters):
    with pytest.raises(ParameterError, match="is not allowed"):
        save_scenario(parameters, "a/b", "api_access", {"monthly_churn": 0.02})
    with pytest.raises(ParameterError, match="unknown scenario 'nope'"):
        save_scenario(parameters, "ok", "api_access", {"monthly_churn": 0.02}, overlays="nope")
    assert not (parameters / "ok").exists()
