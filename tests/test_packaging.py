"""pyproject.toml and environment.yml declare the same dependencies (runtime and every extra)."""

from __future__ import annotations

import re
import tomllib

import yaml

from aibm_core.core.config import ROOT


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
    assert project["scripts"]["aibm"] == "aibm_core.batch.cli:main"


#: Libraries whose public interfaces aibm_core.batch.warm_kernel builds on, each only within the range
#: pyproject.toml declares for it: the releases it was checked against.
CHECKED = ("papermill", "nbclient")


def _declared(name: str):
    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    [requirement] = [r for r in map(Requirement, project["dependencies"]) if r.name == name]
    return requirement.specifier


def test_papermill_and_nbclient_are_bounded_above():
    for name in CHECKED:
        assert any(spec.operator in {"<", "<=", "=="} for spec in _declared(name)), name


def test_the_installed_papermill_and_nbclient_are_the_checked_releases():
    from importlib.metadata import version

    for name in CHECKED:
        installed, checked = version(name), _declared(name)
        assert checked.contains(installed, prereleases=True), (
            f"{name} {installed} is installed, but aibm_core.batch.warm_kernel (a papermill engine on "
            f"nbclient's NotebookClient) was checked only with {name}{checked}: run "
            "tests/test_warm_kernel.py with it, then widen the range in pyproject.toml and "
            "environment.yml, or install a release in that range"
        )


def test_the_warm_engine_is_registered_by_name_and_not_as_an_entry_point():
    """An entry point would make every ``import papermill`` import this package, and importing the
    warm kernel first would then import it again half-initialised (a circular import)."""
    from papermill.engines import papermill_engines

    from aibm_core.batch import warm_kernel

    assert papermill_engines.get_engine(warm_kernel.ENGINE) is warm_kernel.WarmEngine
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "papermill.engine" not in project.get("entry-points", {})
