"""Writing scenario folders: a commented starting point (``aibm new``) and a saved what-if.

:func:`new_scenario` writes ``<parameters>/<name>/scenario.yaml`` and, for each model chosen, a
``<model>.yaml`` that lists every assumption of the model commented out, with its unit, valid
range, meaning and source and a ``why:`` to fill in: the file changes nothing until a line is
uncommented. :func:`save_scenario` writes the assumptions moved in a what-if panel as a scenario
holding only those keys, each with a ``# why:`` comment.

Both write into a temporary folder beside the target, validate it as ``aibm validate`` would, and
only then rename it into place: a scenario is either written whole and valid, or not at all.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from aibm_core.analysis.scenarios import (
    CASE_FILE,
    ROOT,
    SCENARIO_FILE,
    available_scenarios,
    misnamed_files,
    name_problem,
    read_scenario,
    scenario_problems,
    scenario_values,
)
from aibm_core.analysis.stack import links_into
from aibm_core.core.params import (
    MONTE_CARLO_SETTINGS,
    ModelParams,
    ParameterError,
    Problem,
    allowed_range,
    bounds,
    validate,
)
from aibm_core.core.ranges import RangeError, is_fixed, parse_range
from aibm_core.core.yaml_loading import echo, shorten
from aibm_core.models import get_model, model_names

#: A scenario folder name: letters, digits, ``_``, ``-`` and ``.``, starting with a letter or digit.
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
#: The key every new model file sets (to the value it already has): a parameter file may not be empty.
KEPT_KEY = "horizon_months"
#: Section headings of a new model file, by role.
ROLE_HEADINGS = {
    "driver": "Drivers: the uncertain numbers of the model",
    "setting": "Settings: structure (horizon, snapshot month, choices)",
    "observed": "Observed figures (measured, not projected)",
    "limit": "Guardrail limits (thresholds the model is judged against)",
}
#: Placeholder of the ``why:`` comment of each line of a new model file.
WHY_PLACEHOLDER = "say why this scenario assumes this value (a source, a date)"


def description_placeholder(name: str) -> str:
    """The one-line description a new ``scenario.yaml`` starts with (valid, to be replaced)."""
    return f"{name}: describe what this scenario assumes"


def check_name(parameters_dir: Path, name: str) -> None:
    """Refuse a scenario name that is not a plain folder name, or too long for its output files.

    Raises
    ------
    ParameterError
        One line naming the scenario and what is allowed.
    """
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        why = (
            f"scenario name {echo(name)} is not allowed; use letters, digits, '_', '-' and '.', "
            "starting with a letter or digit"
        )
        raise ParameterError([Problem("", "SCENARIO", why)])
    problem = name_problem(parameters_dir, name)
    if problem is not None:
        raise ParameterError([problem])


def _check_target(parameters_dir: Path, name: str, overlays: str, overwrite: bool = False) -> Path:
    """The folder to write, after checking the parameters folder, the name and ``overlays``."""
    parameters_dir = Path(parameters_dir)
    if not parameters_dir.is_dir():
        raise ParameterError([Problem(str(parameters_dir), "", "no such parameters folder")])
    check_name(parameters_dir, name)
    folder = parameters_dir / name
    if (folder.exists() or folder.is_symlink()) and not overwrite:
        why = "already exists; choose another scenario name (nothing was written)"
        raise ParameterError([Problem(str(folder), "", why)])
    if overwrite and folder.exists() and not folder.is_dir():
        raise ParameterError([Problem(str(folder), "", "is a file, not a scenario folder")])
    known = [s for s in available_scenarios(parameters_dir) if s != name]
    if overlays not in known:
        why = f"unknown scenario {echo(overlays)} to overlay; available: {', '.join(known) or '(none)'}"
        raise ParameterError([Problem("", "overlays", why)])
    problems = scenario_problems(parameters_dir, overlays)
    if problems:
        raise ParameterError(problems)
    return folder


def _check_models(models: Sequence[str]) -> list[str]:
    unknown = [m for m in models if m not in model_names()]
    if unknown:
        known = ", ".join(model_names())
        raise ParameterError(
            [Problem("", "--model", f"unknown model {echo(m)}; available: {known}") for m in unknown]
        )
    return list(dict.fromkeys(models))


def folder_problems(parameters_dir: Path, name: str) -> list[Problem]:
    """What ``aibm validate`` finds wrong with one scenario folder (``[]`` when it is valid).

    The folder's name, its ``scenario.yaml`` and overlay chain, and each ``<model>.yaml`` laid
    over the scenario it overlays and validated against the model's schema.
    """
    problems = [p for p in (name_problem(parameters_dir, name),) if p is not None]
    return list(dict.fromkeys([*problems, *_content_problems(parameters_dir, name)]))


def _content_problems(parameters_dir: Path, name: str) -> list[Problem]:
    """:func:`folder_problems` less the folder name's length."""
    folder = Path(parameters_dir) / name
    problems = misnamed_files(folder)
    problems += scenario_problems(parameters_dir, name)
    for path in sorted(folder.glob("*.yaml")):
        if path.name in (SCENARIO_FILE, CASE_FILE):  # not model files (a case is checked by aibm validate)
            continue
        if path.stem not in model_names():
            why = f"the file name must be a model name: {', '.join(model_names())}"
            problems.append(Problem(str(path), "", why))
            continue
        try:
            validate(get_model(path.stem).params, read_scenario(path), source=str(path))
        except ParameterError as error:
            problems.extend(error.problems)
    return problems


@contextmanager
def _staged(parameters_dir: Path, name: str) -> Iterator[Path]:
    """A temporary folder beside ``<parameters>/<name>``, removed unless it was moved into place.

    Its name starts with a dot; problems found in it are reported with the final folder's path.
    """
    staging = Path(parameters_dir) / f".{name}.tmp-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _publish(parameters_dir: Path, staging: Path, name: str, overwrite: bool) -> Path:
    """Validate the staged folder as ``<name>`` would be, then move it to ``<parameters>/<name>``.

    Raises
    ------
    ParameterError
        The staged folder is invalid (problems name the final folder), or the target appeared
        meanwhile; nothing is moved.
    """
    parameters_dir = Path(parameters_dir)
    folder = parameters_dir / name
    problems = [
        replace(p, source=p.source.replace(str(staging), str(folder)))
        for p in _content_problems(parameters_dir, staging.name)
    ]
    if problems:
        raise ParameterError(problems)
    old = None
    if folder.exists() and overwrite:
        old = parameters_dir / f".{name}.old-{uuid.uuid4().hex[:8]}"
        os.rename(folder, old)
    try:
        os.rename(staging, folder)
    except OSError as error:
        if old is not None:
            os.rename(old, folder)
        why = f"cannot write the scenario: {error.strerror or error} (nothing was written)"
        raise ParameterError([Problem(str(folder), "", why)]) from None
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return folder


def _yaml_value(value: Any) -> str:
    """One value as a parameter file writes it (flow style: ``{low: 1.0, high: 2.0}``)."""
    return (
        yaml.safe_dump(value, default_flow_style=True, sort_keys=False).strip().removesuffix("\n...").strip()
    )


def _scenario_yaml(description: str, overlays: str, comment: str = "") -> str:
    lines = [f"# {comment}"] if comment else []
    lines += [
        f"description: {_yaml_value(description)}  # one line: what this scenario assumes",
        f"overlays: {overlays}  # the scenario whose values this one is laid over",
    ]
    return "\n".join(lines) + "\n"


def _range_text(raw: Mapping[str, Any]) -> str:
    """A driver's range as the overlaid scenario gives it, in words."""
    family = raw.get("dist") or raw.get("family") or "range"
    ends = [f"{k} {raw[k]:g}" for k in ("low", "mode", "high") if isinstance(raw.get(k), int | float)]
    return f"{family} {', '.join(ends)}"


def _point(schema: type[ModelParams], name: str, raw: Mapping[str, Any]) -> Any:
    """The point value of a driver given as a range or fixed number (its default if unreadable)."""
    if is_fixed(raw):
        return raw.get("value")
    try:
        return parse_range(raw, *bounds(schema, name)).point
    except RangeError:
        return schema.model_fields[name].default


def model_file_text(parameters_dir: Path, model: str, overlays: str) -> str:
    """A new ``<model>.yaml``: every assumption commented out at the value ``overlays`` gives it.

    Each assumption is two lines: its unit, valid range, meaning and source (and, for a ranged
    or linked driver, what setting it does), then ``# key: value  # why: ...``. Removing the
    leading ``# `` of that line sets the assumption; the file sets only ``horizon_months``, to
    the value it has, since a parameter file may not be empty.
    """
    spec = get_model(model)
    schema: type[ModelParams] = spec.params
    values = scenario_values(parameters_dir, overlays, model)
    links = {link.driver: link for link in links_into(model)}
    defaults = schema.defaults()
    kept = values.get(KEPT_KEY, defaults[KEPT_KEY])
    lines = [
        f"# {spec.title}: the assumptions of this scenario, laid over scenario '{overlays}'.",
        "# Every line is commented out at the value it has there, so this file changes nothing yet.",
        "# To change an assumption, remove the '# ' before its name, set the value and say why.",
        "# A plain number for a ranged driver keeps its range, re-centred on the number;",
        "# {value: x, fixed: true} means exactly x. Check with `aibm validate`.",
        "",
        f"{KEPT_KEY}: {_yaml_value(kept)}  # as in '{overlays}' (a parameter file may not be empty)",
    ]
    for role, heading in ROLE_HEADINGS.items():
        names = [n for n in schema.names_with_role(role) if n != KEPT_KEY]
        if not names:
            continue
        lines += ["", f"# --- {heading} ---"]
        for name in names:
            field = schema.model_fields[name]
            extra = field.json_schema_extra or {}
            raw = values.get(name, defaults[name])
            value = _point(schema, name, raw) if isinstance(raw, Mapping) else raw
            notes = [
                extra.get("unit", ""),
                allowed_range(schema, name),
                field.description or "",
                f"source: {extra.get('source', '')}",
            ]
            if isinstance(raw, Mapping) and "fixed" not in raw:
                notes.append(f"in '{overlays}' a range ({_range_text(raw)})")
            if name in links:
                notes.append(
                    f"linked: {links[name].seller} sets it in a linked scenario; setting it cuts the link"
                )
            about = "; ".join(n for n in notes if n).replace("\n", " ")
            lines.append(f"# {about}")
            lines.append(f"# {name}: {_yaml_value(value)}  # why: {WHY_PLACEHOLDER}")
    draws = values.get("draws", MONTE_CARLO_SETTINGS["draws"])
    lines += [
        "",
        "# --- Monte Carlo ---",
        "# number of draws over the ranged drivers; 0: a point scenario (no ranges, no fan charts)",
        f"# draws: {_yaml_value(draws)}  # why: {WHY_PLACEHOLDER}",
    ]
    return "\n".join(lines) + "\n"


def new_scenario(
    parameters_dir: Path,
    name: str,
    overlays: str = ROOT,
    models: Sequence[str] | None = None,
) -> list[Path]:
    """Write a new scenario folder whose model files list every assumption, commented out.

    Parameters
    ----------
    parameters_dir
        Folder holding the scenario folders (``parameters/``).
    name
        The new scenario's folder name.
    overlays
        The scenario it is laid over (default ``base``); the commented values are that scenario's.
    models
        Models to write a file for (default: every model).

    Returns
    -------
    list of Path
        The files written: ``scenario.yaml`` first, then one ``<model>.yaml`` per model.

    Raises
    ------
    ParameterError
        A bad or taken name, an unknown model or scenario to overlay, or a folder that would not
        validate; nothing is written.
    """
    folder = _check_target(parameters_dir, name, overlays)
    chosen = _check_models(models or model_names())
    with _staged(parameters_dir, name) as staging:
        comment = "Fill in the description; the model files list every assumption, commented out."
        (staging / SCENARIO_FILE).write_text(
            _scenario_yaml(description_placeholder(name), overlays, comment), encoding="utf-8"
        )
        for model in chosen:
            text = model_file_text(parameters_dir, model, overlays)
            (staging / f"{model}.yaml").write_text(text, encoding="utf-8")
        _publish(parameters_dir, staging, name, overwrite=False)
    return [folder / SCENARIO_FILE, *(folder / f"{m}.yaml" for m in chosen)]


def _one_line(text: str, limit: int = 300) -> str:
    return shorten(" ".join(str(text).split()), limit)


def _typed(schema: type[ModelParams], name: str, value: Any) -> Any:
    """``value`` as the schema types it: a whole float for an integer assumption becomes an int."""
    annotation = schema.model_fields[name].annotation
    if annotation is int and isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if annotation is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def save_scenario(
    parameters_dir: Path,
    name: str,
    model: str,
    changes: Mapping[str, Any],
    overlays: str = ROOT,
    why: str = "",
    *,
    description: str | None = None,
    overwrite: bool = False,
) -> Path:
    """Save changed assumptions of one model as a scenario laid over ``overlays``.

    Writes ``<parameters>/<name>/<model>.yaml`` holding only the changed keys, each with a
    ``# why:`` comment, and a ``scenario.yaml``. With ``overwrite``, an existing scenario's
    other model files are kept and these two replaced.

    Parameters
    ----------
    parameters_dir
        Folder holding the scenario folders.
    name
        The scenario's folder name.
    model
        The model whose assumptions changed.
    changes
        New values by assumption name (in each assumption's unit; a plain number for a ranged
        driver re-centres its range, as in any scenario file).
    overlays
        The scenario the changes are laid over (default ``base``).
    why
        One line saying why, written beside every key (default: "what-if saved from the panel").
    description
        The scenario's one-line description (default: the model and ``why``).
    overwrite
        Replace an existing scenario's ``scenario.yaml`` and model file instead of refusing.

    Returns
    -------
    Path
        The model file written.

    Raises
    ------
    ParameterError
        A bad or taken name, an unknown model, assumption or scenario, no change, or values that
        do not validate (one line each, naming the file and key); nothing is written.
    """
    _check_models([model])
    folder = _check_target(parameters_dir, name, overlays, overwrite)
    schema = get_model(model).params
    target = folder / f"{model}.yaml"
    if not changes:
        raise ParameterError([Problem(str(target), "", "no assumption changed: nothing to save")])
    unknown = [k for k in changes if k not in schema.model_fields]
    if unknown:
        raise ParameterError([Problem(str(target), k, f"not an assumption of {model}") for k in unknown])
    values = {k: _typed(schema, k, v) for k, v in changes.items()}
    why = _one_line(why) or "what-if saved from the panel"
    links = {link.driver: link.seller for link in links_into(model)}
    lines = [f"# {get_model(model).title}: what-if laid over scenario '{overlays}'."]
    for key, value in values.items():
        cut = f" (cuts the link from {links[key]})" if key in links else ""
        lines.append(f"{key}: {_yaml_value(value)}  # why: {why}{cut}")
    text = "\n".join(lines) + "\n"
    description = _one_line(description or f"What-if of {model} over {overlays}: {why}", 200)
    with _staged(parameters_dir, name) as staging:
        if overwrite and folder.is_dir():
            for path in folder.iterdir():
                if path.is_file() and not path.is_symlink() and path.name not in (SCENARIO_FILE, target.name):
                    shutil.copy2(path, staging / path.name)
        (staging / SCENARIO_FILE).write_text(_scenario_yaml(description, overlays), encoding="utf-8")
        (staging / target.name).write_text(text, encoding="utf-8")
        _publish(parameters_dir, staging, name, overwrite=overwrite)
    return target
