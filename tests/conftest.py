"""Shared fixtures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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


def aibm(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the `aibm` command in a subprocess, as a user would."""
    command = [sys.executable, "-m", "aibm_core.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, timeout=900)


@pytest.fixture(scope="session")
def seed_run(tmp_path_factory) -> Path:
    """`aibm run --scenario seed` (every model) into a fresh folder."""
    out = tmp_path_factory.mktemp("outputs")
    done = aibm("run", "--scenario", "seed", "--output", str(out), "--no-progress")
    assert done.returncode == 0, done.stdout + done.stderr
    return out
