"""pyproject.toml and environment.yml declare the same dependencies (runtime and every extra)."""

from __future__ import annotations

import re
import tomllib

import yaml

from aibm_core.config import ROOT


def _normalise(requirement: str) -> str:
    requirement = requirement.split("#")[0].strip().lower().replace("_", "-")
    return re.sub(r"\s+", "", requirement)


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = [r for group in project["optional-dependencies"].values() for r in group]
    declared = {_normalise(r) for r in project["dependencies"] + extras}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {
        _normalise(d)
        for d in env["dependencies"]
        if isinstance(d, str) and not d.startswith(("python", "pip"))
    }
    assert conda == declared


def test_console_script_is_declared():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["aibm"] == "aibm_core.cli:main"
