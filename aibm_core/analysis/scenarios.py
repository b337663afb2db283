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

A file that gives a plain number for a driver that is a range in the scenario it overlays moves
that range with the number: the same family, re-centred on the new value with the same relative
width (:func:`aibm_core.core.ranges.recentre`; a PERT 8-15-18 with value 15 set to 12 becomes
6.4-12-14.4). A file that means the number exactly writes it fixed, ``{value: 12, fixed: true}``,
and the driver is that number, with no range (:func:`lay_over`).
"""

from __future__ import annotations

import contextlib
import copy
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aibm_core.core.config import scenario_order
from aibm_core.core.params import (
    ModelParams,
    ParameterError,
    Problem,
    bounds,
    read_yaml,
    validate,
)
from aibm_core.core.ranges import RangeError, fixed_value, is_fixed, parse_range, recentre
from aibm_core.core.schedules import ScheduleError, inline, is_schedule
from aibm_core.core.source_dates import split_as_of, with_as_of
from aibm_core.core.yaml_loading import echo, shorten
from aibm_core.models import model_names

#: Name of the file describing a scenario folder (never a model file).
SCENARIO_FILE = "scenario.yaml"
#: The root scenario: every other scenario overlays it, directly or through others.
ROOT = "base"
#: Name of a company case's description (:mod:`aibm_core.analysis.cases`; never a model file).
CASE_FILE = "case.yaml"
#: Name of a scenario's reported figures (:mod:`aibm_core.analysis.actuals`).
ACTUALS_FILE = "actuals.csv"
#: Keys a ``scenario.yaml`` may hold.
SCENARIO_KEYS = ("description", "overlays", "linked")
#: Longest scenario folder name (characters). Output files add the model's name, a suffix and,
#: while they are written, a temporary prefix to it, and a file name is at most 255 bytes.
MAX_NAME = 100


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
    linked
        Whether the models of the scenario buy from each other through the stack's links
        (:mod:`aibm_core.analysis.stack`); ``None`` when the folder does not say (it then
        follows the scenario it overlays; the root is linked).
    """

    name: str
    description: str
    overlays: str | None
    folder: Path
    linked: bool | None = None

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


def name_problem(parameters_dir: Path, name: str) -> Problem | None:
    """The problem of a scenario folder name too long for its output files (``None`` if fine)."""
    if len(name) <= MAX_NAME and len(name.encode("utf-8", "surrogateescape")) <= MAX_NAME:
        return None
    why = f"scenario folder name of {len(name)} characters is too long; at most {MAX_NAME}, rename the folder"
    return Problem(str(Path(parameters_dir) / shorten(name, 60)), "", why)


def outside_problem(parameters_dir: Path, path: Path) -> Problem | None:
    """The problem of a path that leads outside the parameters folder (through a symbolic link).

    A parameters folder may come from someone else (a pull request, a download): a link in it
    to ``~/.env`` would otherwise be read, and its content quoted in an error. A link that stays
    inside the folder is allowed; ``None`` when ``path`` is not a link or stays inside.
    """
    path = Path(path)
    try:
        inside = path.resolve().is_relative_to(Path(parameters_dir).resolve())
    except (OSError, RuntimeError):  # a loop of links
        inside = False
    if inside:
        return None
    what = "folder" if path.is_dir() else "file"
    if path.is_symlink() or path.parent.is_symlink():
        why = f"a symbolic link to a {what} outside the parameters folder is not read; copy the {what} in"
    else:
        why = f"this {what} is outside the parameters folder {parameters_dir}; it is not read"
    return Problem(str(path), "", why)


#: Files read, by path and identity (device, inode, size, modification time): planning reads
#: ``base/<model>.yaml`` for every scenario that overlays it, and parsing YAML is the slow part.
_READ: dict[tuple[str, int, int, int, int, bool], dict[str, Any]] = {}
#: Most files kept in :data:`_READ` (a parameters folder of many hundred scenarios).
_READ_LIMIT = 4096


def read_inside(parameters_dir: Path, path: Path, dates: bool = False) -> dict[str, Any]:
    """:func:`read_yaml` of a file of the parameters folder, refusing links that lead outside it.

    A file read before and unchanged since (same inode, size and modification time) is not
    parsed again; each call returns a copy of its own. ``dates`` reads plain dates as text
    (:func:`~aibm_core.core.params.read_yaml`).
    """
    problem = outside_problem(parameters_dir, path)
    if problem is not None:
        raise ParameterError([problem])
    read = (lambda p: read_yaml(p, dates=True)) if dates else read_yaml
    try:
        info = os.stat(path)
    except OSError:
        return read(path)  # says why it cannot be read
    key = (str(Path(path).resolve()), info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, dates)
    if key not in _READ:
        values = read(path)
        if len(_READ) >= _READ_LIMIT:
            _READ.clear()
        _READ[key] = values
    return copy.deepcopy(_READ[key])


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
    outside = outside_problem(parameters_dir, folder)
    if outside is not None:
        raise ParameterError([outside])
    misnamed = misnamed_files(folder)
    if misnamed:
        raise ParameterError(misnamed)
    if not path.exists():
        return Scenario(name, "", ROOT if name != ROOT and root_exists else None, folder)
    values = read_inside(parameters_dir, path)
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
    elif name != ROOT and not _is_scenario(parameters_dir, overlays, name):
        known = [s for s in available_scenarios(parameters_dir) if s != name]  # only to say what is
        if not isinstance(overlays, str) or overlays not in known:
            problems.append(
                Problem(
                    source,
                    "overlays",
                    f"unknown scenario {echo(overlays)}; expected one of: {', '.join(known) or '(none)'}",
                )
            )
    linked = values.get("linked")
    if linked is not None and not isinstance(linked, bool):
        problems.append(
            Problem(source, "linked", f"value {echo(linked)} is not allowed; expected true or false")
        )
    if problems:
        raise ParameterError(problems)
    return Scenario(name, description.strip(), overlays, folder, linked)


def _is_scenario(parameters_dir: Path, overlays: Any, name: str) -> bool:
    """Whether ``overlays`` names another scenario folder (as :func:`available_scenarios` lists them).

    Looks at that one folder only, so that reading every ``scenario.yaml`` of a parameters
    folder takes time in proportion to their number.
    """
    if not isinstance(overlays, str) or overlays == name or overlays in ("", ".", ".."):
        return False
    if "/" in overlays or "\0" in overlays:
        return False
    folder = Path(parameters_dir) / overlays
    return any(folder.glob("*.yaml")) or any(folder.glob("*.yml"))


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


def scenario_linked(parameters_dir: Path, name: str) -> bool:
    """Whether a scenario's models are linked: the nearest ``linked:`` of its chain (default true)."""
    for scenario in reversed(scenario_chain(parameters_dir, name)):
        if scenario.linked is not None:
            return scenario.linked
    return True


def set_by_scenario(parameters_dir: Path, scenario: str, model: str) -> set[str]:
    """Keys of ``model`` that a scenario of the chain above the root sets in its own files."""
    keys: set[str] = set()
    for overlay in scenario_chain(parameters_dir, scenario):
        if overlay.name == ROOT:
            continue
        path = overlay.model_file(model)
        if path.exists():
            keys.update(read_inside(parameters_dir, path))
    return keys


def scenario_files(parameters_dir: Path, scenario: str, model: str) -> list[Path]:
    """The model files that make up ``model`` under ``scenario``, root first."""
    files = (s.model_file(model) for s in scenario_chain(parameters_dir, scenario))
    return [path for path in files if path.exists()]


def scenario_values(parameters_dir: Path, scenario: str, model: str) -> dict[str, Any]:
    """The resolved parameter values of one model under one scenario.

    Each file of the chain (:func:`scenario_files`) is laid over the one before, key by key
    (:func:`lay_over`): a driver a file does not mention keeps the value (or range) of the
    scenario it overlays, and a driver a file sets to a plain number keeps its range, re-centred.

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
        values = lay_over(model, values, read_inside(parameters_dir, path), source=str(path))
    return values


def overlaid_values(parameters_dir: Path, scenario: str, model: str) -> dict[str, Any]:
    """Values of ``model`` in the scenario that ``scenario`` overlays (``{}`` at the root)."""
    values: dict[str, Any] = {}
    for overlaid in scenario_chain(parameters_dir, scenario)[:-1]:
        path = overlaid.model_file(model)
        if path.exists():
            values = lay_over(model, values, read_inside(parameters_dir, path), source=str(path))
    return values


def lay_over(
    model: str, below: Mapping[str, Any], above: Mapping[str, Any], source: str = ""
) -> dict[str, Any]:
    """The values of one file (``above``) laid over those of the scenario it overlays (``below``).

    Key by key, ``above`` wins, except for a driver of ``model`` that ``below`` gives as a range
    and ``above`` as a plain number: the result is ``below``'s range re-centred on that number
    (:func:`aibm_core.core.ranges.recentre`, written with ``dist`` named and the overlaid point
    as ``recentred_from``), or the number when nothing of the range is left. A fixed number,
    ``{value: x, fixed: true}``, becomes the number ``x`` (no range). A number outside the
    driver's valid range, or a range that cannot be read, is passed on as written, so that
    validation reports it.

    Parameters
    ----------
    model
        Model name (a name that is not a registered model re-centres nothing).
    below
        Resolved values of the overlaid scenario (``{}`` at the root).
    above
        The file's own values.
    source
        The file, for error messages.

    Raises
    ------
    ParameterError
        One line naming the file and the driver, when the range cannot be re-centred on the
        number (a lognormal range moved to a negative value, say).
    """
    from aibm_core.models import get_model

    try:
        schema: type[ModelParams] | None = get_model(model).params
    except KeyError:
        schema = None
    values = dict(below)
    problems = []
    dates = {}
    for key, raw in above.items():
        raw, dates[key] = split_as_of(raw)  # a dated value is laid over as the value, then dated again
        values[key] = raw
        if is_schedule(raw):
            values[key], problem = read_schedule(key, raw, source)
            problems += problem
            continue
        if is_fixed(raw):
            driver = schema is None or (
                key in schema.model_fields
                and schema.role_of(key) == "driver"
                and schema.model_fields[key].annotation is float
            )
            with contextlib.suppress(RangeError):  # a misused fixed is validation's to report
                values[key] = fixed_value(raw) if driver else raw
            continue
        overlaid = split_as_of(below.get(key))[0]
        number = isinstance(raw, int | float) and not isinstance(raw, bool) and math.isfinite(raw)
        if schema is None or not number or not isinstance(overlaid, Mapping) or is_fixed(overlaid):
            continue
        if key not in schema.model_fields or schema.role_of(key) != "driver":
            continue
        low, high = bounds(schema, key)
        try:
            old = parse_range(overlaid, low, high)
        except RangeError:
            continue  # the overlaid file's problem, reported when it is validated
        if not ((low is None or raw >= low) and (high is None or raw <= high)):
            continue
        try:
            moved = recentre(old, float(raw), low, high)
        except RangeError as error:
            problems.append(Problem(source, key, f"value {raw!r}: {error}"))
            continue
        values[key] = moved.to_dict() if not isinstance(moved, float) else moved
    if problems:
        raise ParameterError(problems)
    return {key: with_as_of(value, dates.get(key)) for key, value in values.items()}


def read_schedule(key: str, raw: Mapping[str, Any], source: str) -> tuple[Any, list[Problem]]:
    """A schedule of a parameter file with its CSV file (next to ``source``) read into it.

    A schedule replaces whatever the overlaid scenario gives the driver (a range included: a
    scheduled driver has no range). Returns the schedule and no problem, or the schedule as
    written and the one-line problem of its CSV file (:func:`aibm_core.core.schedules.inline`).
    """
    try:
        return inline(raw, Path(source).parent), []
    except ScheduleError as error:
        return raw, [Problem(source, key, str(error))]


def scenario_models(parameters_dir: Path, scenario: str, models: list[str] | None = None) -> list[str]:
    """Models that run in a scenario: those with a file in it or in a scenario it overlays.

    A company case (a folder with a ``case.yaml``, :mod:`aibm_core.analysis.cases`) runs only
    the model its ``case.yaml`` names, and only when the folder has that model's file.

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
    case = case_model(parameters_dir, scenario)
    if case is not None:  # a company case runs only its own model
        return [m for m in models if m == case and chain[-1].model_file(m).exists()]
    return [m for m in models if any(s.model_file(m).exists() for s in chain)]


def is_case_file(path: Path) -> bool:
    """Whether ``path`` is a company case's description (``case.yaml``), not a model file."""
    return Path(path).name == CASE_FILE


def case_model(parameters_dir: Path, scenario: str) -> str | None:
    """The model of a company case: ``model:`` of the scenario folder's ``case.yaml``.

    ``None`` when the folder has no ``case.yaml`` (not a case); ``""`` when it has one whose
    ``model`` is not text (then no model runs; :mod:`aibm_core.analysis.cases` says why).

    Raises
    ------
    ParameterError
        If the ``case.yaml`` cannot be read as YAML.
    """
    path = Path(parameters_dir) / scenario / CASE_FILE
    if not path.is_file():
        return None
    model = read_inside(parameters_dir, path, dates=True).get("model")
    return model if isinstance(model, str) else ""


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
    of the scenario it overlays, and a driver it sets to a plain number moves its range with it
    (:func:`lay_over`). The base file itself, and a file without a ``base`` folder beside its
    own, are read as they are (a fixed number becomes the number).

    Raises
    ------
    ParameterError
        If the file or a file it overlays is unreadable, or the overlay chain is broken.
    """
    path = Path(path)
    own = read_inside(path.parent.parent, path)
    below = overlaid_values(path.parent.parent, path.parent.name, path.stem)
    return lay_over(path.stem, below, own, source=str(path))


def load_file(schema: type[ModelParams], path: Path) -> ModelParams:
    """Read and validate one parameter file, laid over the scenario it overlays (:func:`read_scenario`)."""
    return validate(schema, read_scenario(Path(path)), source=str(path))
