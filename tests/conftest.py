"""Shared fixtures."""

from __future__ import annotations

import pytest

from aibm_core.config import PARAMETERS_DIR
from aibm_core.models import evaluate, get_model
from aibm_core.params import load_file


@pytest.fixture(scope="session")
def api_spec():
    return get_model("api_access")


@pytest.fixture(scope="session")
def api_seed(api_spec):
    return evaluate(api_spec, load_file(api_spec.params, PARAMETERS_DIR / "seed" / "api_access.yaml"))


@pytest.fixture(scope="session")
def api_base(api_spec):
    return evaluate(api_spec, api_spec.params())
