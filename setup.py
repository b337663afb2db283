"""Build step of the package (everything else is declared in ``pyproject.toml``).

A wheel carries the shipped scenarios: ``parameters/`` is copied into the built package as
``aibm_core/shipped_parameters/`` (its YAML files and the CSV files beside them: schedules,
actuals), so that an installed package (a Dask worker, ``pip install aibm``) reads the same
reference scenarios as a checkout. The folder is found by
``aibm_core.core.config.shipped_parameters_dir``; an editable install reads ``parameters/`` itself.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

#: The scenario folders of the checkout.
SOURCE = Path(__file__).resolve().parent / "parameters"
#: Where a built package holds them (relative to the build folder); see aibm_core.core.config.
TARGET = Path("aibm_core") / "shipped_parameters"


class BuildWithScenarios(build_py):
    """``build_py`` that also copies the scenario folders into the built package."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):  # an editable install reads parameters/ in place
            return
        target = Path(self.build_lib) / TARGET
        shutil.rmtree(target, ignore_errors=True)  # no file of an earlier build left over
        for path in sorted([*SOURCE.rglob("*.yaml"), *SOURCE.rglob("*.csv")]):
            relative = path.relative_to(SOURCE)
            if any(part.startswith(".") for part in relative.parts) or path.is_symlink():
                continue
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target / relative)


setup(cmdclass={"build_py": BuildWithScenarios})
