"""pyproject.toml and environment.yml declare the same dependencies (runtime and every extra)."""

from __future__ import annotations

import os
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


def test_the_warm_engine_is_a_papermill_entry_point(tmp_path):
    import subprocess
    import sys

    from aibm_core.batch import warm_kernel

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = project["entry-points"]["papermill.engine"]
    assert declared == {warm_kernel.ENGINE: "aibm_core.batch.warm_kernel:WarmEngine"}
    # papermill loads it while papermill itself is being imported (metadata as pip installs it).
    info = tmp_path / "aibm_probe-0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: aibm-probe\nVersion: 0\n")
    lines = [f"{name} = {target}" for name, target in declared.items()]
    (info / "entry_points.txt").write_text("[papermill.engine]\n" + "\n".join(lines) + "\n")
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "from papermill.engines import papermill_engines\n"
        f"print(papermill_engines.get_engine({warm_kernel.ENGINE!r}).__qualname__)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path)], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "WarmEngine"
