"""The models every contract test runs on: the shipped ones and the walk-through's minimal model.

The minimal model (``tests/minimal_subscription``, built by ``docs/adding-a-model.md``) is not
in the shipped registry; the ``with_minimal_model`` fixture (``conftest.py``) registers it for
one test at a time, so a contract test that passes for the shipped models but not for the
walk-through's model fails.
"""

from __future__ import annotations

from pathlib import Path

from aibm_core.core.config import PARAMETERS_DIR
from aibm_core.models import ModelSpec, get_model, model_names
from tests.minimal_subscription import PARAMETERS_DIR as MINIMAL_PARAMETERS_DIR
from tests.minimal_subscription import SPEC as MINIMAL_SPEC

MINIMAL = MINIMAL_SPEC.name

#: Shipped models, then the minimal model.
CONTRACT_MODELS: list[str] = [*model_names(), MINIMAL]


def spec_of(name: str) -> ModelSpec:
    """A contract model's spec, registered or not (for parametrising at collection time)."""
    return MINIMAL_SPEC if name == MINIMAL else get_model(name)


def parameters_dir_of(name: str) -> Path:
    """The parameters folder holding the model's ``base/`` and ``seed/`` files."""
    return MINIMAL_PARAMETERS_DIR if name == MINIMAL else PARAMETERS_DIR
