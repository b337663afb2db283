"""`aibm dashboard --scenario`: copies of the notebooks holding a scenario's parameters, not run."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from aibm_core.analysis.scenarios import scenario_models, scenario_values
from aibm_core.core.config import NOTEBOOKS_DIR, PARAMETERS_DIR
from aibm_core.core.params import ParameterError
from aibm_core.present import dashboard
from tests.conftest import aibm


def injected(path: Path) -> str:
    notebook = nbformat.read(path, as_version=4)
    cells = [c for c in notebook.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1
    assert not any(c.get("outputs") for c in cells)  # parameterised, not executed
    return cells[0].source


def test_a_model_notebook_gets_the_scenarios_resolved_values():
    copy = dashboard.scenario_target(NOTEBOOKS_DIR / "api_access.ipynb", "commoditization")
    try:
        assert copy.name == "api_access.ipynb" and copy.parent != NOTEBOOKS_DIR
        source = injected(copy)
        assert 'scenario = "commoditization"' in source
        assert f'parameters_dir = "{PARAMETERS_DIR.resolve()}"' in source
        assert "price_per_m_input_tokens = 2.0" in source  # the scenario's own value
        assert '"recentred_from": 15.0' in source  # base's range, moved with the scenario's number
        values = scenario_values(PARAMETERS_DIR, "commoditization", "api_access")
        assert all(f"\n{key} = " in f"\n{source}" for key in values)
    finally:
        shutil.rmtree(copy.parent)


def test_the_folder_gets_every_model_of_the_scenario_and_the_pyramid():
    folder = dashboard.scenario_target(NOTEBOOKS_DIR, "overcapacity")
    try:
        names = sorted(p.stem for p in folder.glob("*.ipynb"))
        assert names == sorted([*scenario_models(PARAMETERS_DIR, "overcapacity"), "pyramid_comparison"])
        assert 'scenario = "overcapacity"' in injected(folder / "pyramid_comparison.ipynb")
    finally:
        shutil.rmtree(folder)


def test_a_scenario_without_the_model_or_an_unknown_scenario_is_refused(tmp_path):
    parameters = Path(shutil.copytree(PARAMETERS_DIR / "base", tmp_path / "parameters" / "base")).parent
    (parameters / "base" / "ai_platform.yaml").unlink()
    with pytest.raises(ParameterError, match="no parameters for model 'ai_platform'"):
        dashboard.scenario_parameters("ai_platform", "base", parameters)
    with pytest.raises(ParameterError, match="unknown scenario 'nope'"):
        dashboard.scenario_target(NOTEBOOKS_DIR / "api_access.ipynb", "nope", parameters)


def test_aibm_dashboard_refuses_an_unknown_scenario_in_one_line():
    done = aibm("dashboard", "api_access", "--scenario", "nope", "--no-browser")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "unknown scenario 'nope'" in done.stderr
    assert "Traceback" not in done.stderr
