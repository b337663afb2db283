"""Scenarios that compose: each scenario folder overlays another scenario.

A scenario is a folder ``parameters/<name>/``. It may hold a ``scenario.yaml``::

    description: Per-token prices race to the bottom (seed 001)
    overlays: base

and a ``<model>.yaml`` for each model it changes. A model file is laid over the resolved
values of the scenario the folder overlays (recursively), and a model the folder has no
file for takes those values unchanged. ``base`` is the root: its files are read as they
are. A folder without ``scenario.yaml`` overlays ``base`` (or nothing, when there is no
``base`` folder beside it, as for a lone parameter file). ``description`` and ``overlays``
describe the scenario; they are not parameters and never reach a notebook.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aibm_core.core.config import scenario_order
from aibm_core.core.params import ModelParams, ParameterError, Problem, read_yaml, validate
from aibm_core.core.yaml_loading import echo
from aibm_core.models import model_names

#: Name of the file describing a scenario folder (never a model file).
SCENARIO_FILE = "scenario.yaml"
#: The root scenario: every other scenario overlays it, directly or through others.
ROOT = "base"
#: Keys a ``scenario.yaml`` may hold.
SCENARIO_KEYS = ("description", "overlays")


@dataclass(frozen=True)
class Scenario:
    """One scenario folder: its name, one-line description and the scenario it overlays.

    Attributes
    ----------
    name
        Folder name under the parameters directory.
    description
        One line saying what the scenario assumes (``""`` without a ``scenario.yaml``).
    overlays
        Name of the scenario whose values this one is laid over; ``None`` for the root.
    folder
        The scenario's folder.
    """

    name: str
    description: str
    overlays: str | None
    folder: Path

    def model_file(self, model: str) -> Path:
        """Path of this scenario's own file for ``model`` (which may not exist)."""
        return self.folder / f"{model}.yaml"


def is_scenario_file(path: Path) -> bool:
    """Whether ``path`` is a scenario description (``scenario.yaml``), not a model file."""
    return Path(path).name == SCENARIO_FILE


def available_scenarios(parameters_dir: Path) -> list[str]:
    """Scenario folders holding at least one YAML file, shipped ones first.

    A folder holding only ``.yml`` files counts, so that :func:`scenario_info` can say to
    rename them instead of the folder being skipped in silence.
    """
    files = [*Path(parameters_dir).glob("*/*.yaml"), *Path(parameters_dir).glob("*/*.yml")]
    return sorted({p.parent.name for p in files}, key=scenario_order)


def misnamed_files(folder: Path) -> list[Problem]:
    """A problem for each ``<model>.yml`` or ``scenario.yml`` in a folder: only ``.yaml`` is read."""
    names = [*model_names(), Path(SCENARIO_FILE).stem]
    return [
        Problem(str(path), "", f"only .yaml files are read; rename it {path.stem}.yaml")
        for path in (Path(folder) / f"{name}.yml" for name in names)
        if path.exists()
    ]


def scenario_info(parameters_dir: Path, name: str) -> Scenario:
    """Read one scenario folder's ``scenario.yaml`` (if any).

    Raises
    ------
    ParameterError
        With one line per problem, naming the file: unknown keys, a description that is not
        one line of text, an ``overlays`` that is not the name of another scenario folder.
    """
    folder = Path(parameters_dir) / name
    path = folder / SCENARIO_FILE
    root_exists = (Path(parameters_dir) / ROOT).is_dir()
    misnamed = misnamed_files(folder)
    if misnamed:
        raise ParameterError(misnamed)
    if not path.exists():
        return Scenario(name, "", ROOT if name != ROOT and root_exists else None, folder)
    values = read_yaml(path)
    source = str(path)
    problems = [
        Problem(source, key, f"unknown key; expected one of {', '.join(SCENARIO_KEYS)}")
        for key in values
        if key not in SCENARIO_KEYS
    ]
    description = values.get("description")
    if not isinstance(description, str) or not description.strip() or "\n" in description.strip():
        problems.append(
            Problem(
                source, "description", f"value {echo(description)} is not allowed; expected one line of text"
            )
        )
    overlays = values.get("overlays", None if name == ROOT else ROOT)
    if name == ROOT and overlays is not None:
        problems.append(
            Problem(
                source, "overlays", f"value {echo(overlays)} is not allowed; '{ROOT}' is the root scenario"
            )
        )
    elif name != ROOT:
        known = [s for s in available_scenarios(parameters_dir) if s != name]
        if not isinstance(overlays, str) or overlays not in known:
            problems.append(
                Problem(
                    source,
                    "overlays",
                    f"unknown scenario {echo(overlays)}; expected one of: {', '.join(known) or '(none)'}",
                )
            )
    if problems:
        raise ParameterError(problems)
    return Scenario(name, description.strip(), overlays, folder)


def scenario_chain(parameters_dir: Path, name: str) -> list[Scenario]:
    """The scenario and those it overlays, root first (``[base, ..., name]``).

    Raises
    ------
    ParameterError
        If a ``scenario.yaml`` on the way is invalid or the scenarios overlay each other in a
        cycle (naming the file that closes it).
    """
    chain: list[Scenario] = []
    current: str | None = name
    while current is not None:
        if any(s.name == current for s in chain):
            loop = " -> ".join([*(s.name for s in chain), current])
            source = str(chain[-1].folder / SCENARIO_FILE)
            raise ParameterError(
                [Problem(source, "overlays", f"scenarios overlay each other in a cycle: {loop}")]
            )
        scenario = scenario_info(parameters_dir, current)
        chain.append(scenario)
        current = scenario.overlays
    return chain[::-1]


def scenario_files(parameters_dir: Path, scenario: str, model: str) -> list[Path]:
    """The model files that make up ``model`` under ``scenario``, root first."""
    files = (s.model_file(model) for s in scenario_chain(parameters_dir, scenario))
    return [path for path in files if path.exists()]


def scenario_values(parameters_dir: Path, scenario: str, model: str) -> dict[str, Any]:
    """The resolved parameter values of one model under one scenario.

    Each file of the chain (:func:`scenario_files`) is laid over the one before, key by key:
    a driver a file does not mention keeps the value (or range) of the scenario it overlays.

    Raises
    ------
    ParameterError
        If no scenario of the chain has a file for the model, or a file is unreadable.
    """
    files = scenario_files(parameters_dir, scenario, model)
    if not files:
        path = Path(parameters_dir) / scenario / f"{model}.yaml"
        why = f"no parameter file for model {model!r} in this scenario or those it overlays"
        raise ParameterError([Problem(str(path), "", why)])
    values: dict[str, Any] = {}
    for path in files:
        values.update(read_yaml(path))
    return values


def overlaid_values(parameters_dir: Path, scenario: str, model: str) -> dict[str, Any]:
    """Values of ``model`` in the scenario that ``scenario`` overlays (``{}`` at the root)."""
    values: dict[str, Any] = {}
    for overlaid in scenario_chain(parameters_dir, scenario)[:-1]:
        path = overlaid.model_file(model)
        if path.exists():
            values.update(read_yaml(path))
    return values


def scenario_models(parameters_dir: Path, scenario: str, models: list[str] | None = None) -> list[str]:
    """Models that run in a scenario: those with a file in it or in a scenario it overlays.

    Parameters
    ----------
    parameters_dir
        Folder holding the scenario folders.
    scenario
        Scenario name.
    models
        Model names to consider, in the order wanted (default: every registered model).
    """
    if models is None:
        models = model_names()
    chain = scenario_chain(parameters_dir, scenario)
    return [m for m in models if any(s.model_file(m).exists() for s in chain)]


def scenario_problems(parameters_dir: Path, scenario: str) -> list[Problem]:
    """Everything wrong with a scenario's ``scenario.yaml`` and overlay chain (``[]`` if none)."""
    try:
        scenario_chain(parameters_dir, scenario)
    except ParameterError as error:
        return error.problems
    return []


def describe(parameters_dir: Path, scenario: str) -> str:
    """A scenario's one-line description, ``""`` when it has none or it cannot be read."""
    try:
        return scenario_info(parameters_dir, scenario).description
    except ParameterError:
        return ""


def read_scenario(path: Path) -> dict[str, Any]:
    """A scenario file's values laid over those of the scenario its folder overlays.

    ``parameters/<scenario>/<model>.yaml`` is laid over the resolved values of ``<model>`` in the
    scenario named by ``parameters/<scenario>/scenario.yaml`` (``base`` by default; see
    :mod:`aibm_core.analysis.scenarios`), so a driver the file does not mention keeps the value or range
    of the scenario it overlays. The base file itself, and a file without a ``base`` folder
    beside its own, are read as they are.

    Raises
    ------
    ParameterError
        If the file or a file it overlays is unreadable, or the overlay chain is broken.
    """
    path = Path(path)
    own = read_yaml(path)
    return {**overlaid_values(path.parent.parent, path.parent.name, path.stem), **own}


def load_file(schema: type[ModelParams], path: Path) -> ModelParams:
    """Read and validate one parameter file, laid over the scenario it overlays (:func:`read_scenario`)."""
    return validate(schema, read_scenario(Path(path)), source=str(path))
