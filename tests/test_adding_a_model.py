"""The walk-through docs/adding-a-model.md shows the minimal model's code, and that model is tested."""

from __future__ import annotations

import re

import pytest

from aibm_core.core.config import ROOT
from aibm_core.models import model_names
from tests.contract_models import MINIMAL, MINIMAL_SPEC

GUIDE = ROOT / "docs" / "adding-a-model.md"
BLOCKS = re.findall(r"```(?:python|yaml)\n# (\S+)\n(.*?)```", GUIDE.read_text(), flags=re.S)


def test_the_guide_shows_code_of_every_file_of_the_minimal_model():
    shown = {path for path, _ in BLOCKS}
    for name in ("params.py", "model.py", "metric_tree.py", "__init__.py"):
        assert f"tests/minimal_subscription/{name}" in shown, name


@pytest.mark.parametrize(("path", "code"), BLOCKS, ids=[f"{p}:{i}" for i, (p, _) in enumerate(BLOCKS)])
def test_every_code_block_of_the_guide_is_an_excerpt_of_the_tested_model(path, code):
    assert code in (ROOT / path).read_text(), f"{GUIDE.name}: the block from {path} no longer matches it"


def test_the_minimal_model_is_not_shipped_but_can_be_registered(with_minimal_model):
    assert with_minimal_model is MINIMAL_SPEC and MINIMAL in model_names()


def test_the_minimal_model_is_gone_after_its_test():
    assert MINIMAL not in model_names()


def test_a_model_without_goal_seek_questions_gives_results():
    from dataclasses import replace

    from aibm_core.analysis.results import validate_results
    from aibm_core.analysis.results_cache import model_results
    from aibm_core.models import registered
    from tests.contract_models import MINIMAL_PARAMETERS_DIR

    with registered(replace(MINIMAL_SPEC, questions=())):
        payload = model_results(MINIMAL, "base", MINIMAL_PARAMETERS_DIR)
    validate_results(payload)
    assert payload["goal_seek"] == []
