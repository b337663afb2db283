"""Company cases: a scenario that reproduces one company's disclosed figures with one model.

A company case is a scenario folder ``parameters/case_<company>_<period>/`` holding a
``scenario.yaml`` (``overlays: base``, ``linked: false``), the model's file ``<model>.yaml``
(month 1 = the first month of the disclosed period) and a ``case.yaml``::

    company: CoreWeave, Inc. (Nasdaq: CRWV)
    model: ai_infrastructure
    period: fiscal year 2024 (month 1 = January 2024)
    inputs:        # keys of <model>.yaml taken from a disclosure, each with its dated source
      initial_gpus: {source: "Form S-1 (2025-03-03): ...", as_of: 2025-03-03}
    settings:      # settings of <model>.yaml (horizon, snapshot, draws...) with why
      snapshot_month: {why: "fiscal year end"}
    fitted:        # keys of <model>.yaml fitted to disclosed figures (never shown as inputs)
      utilisation: {to: [revenue, gross_margin], how: "aibm calibrate (least squares)"}
    disclosed:     # figures compared with the model: calibrate's targets plus reason and as_of
      - {figure: revenue, months: 1-12, value: 1915000000, tolerance: "5%", reason: "...",
         source: "...", as_of: 2025-03-03}

Every key of ``<model>.yaml`` is listed in exactly one of ``inputs``, ``settings`` and
``fitted``. A disclosed figure is what :mod:`aibm_core.analysis.calibrate` accepts as a target
(a statement series or ratio in a month or summed over ``months: a-b``, or a KPI in the snapshot
month), with the reason of its tolerance. :func:`read_case` reads and checks it all, one line
per problem; :func:`disclosed_table`, :func:`inputs_table` and :func:`fitted_table` are the
tables a report shows. A case runs only its own model
(:func:`aibm_core.analysis.scenarios.scenario_models`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aibm_core.analysis.calibrate import RATIOS, TARGET_KEYS, Target, modelled, target_from, target_problems
from aibm_core.analysis.scenarios import (
    CASE_FILE,
    SCENARIO_FILE,
    read_inside,
    scenario_linked,
    scenario_problems,
)
from aibm_core.core.formatting import format_value
from aibm_core.core.params import MONTE_CARLO_SETTINGS, ModelParams, ParameterError, Problem, assumption_unit
from aibm_core.core.yaml_loading import echo
from aibm_core.models import get_model, model_names
from aibm_core.models.base import STATEMENT_SERIES

#: Keys of a ``case.yaml``: (required, optional).
REQUIRED_KEYS = ("company", "model", "period", "inputs", "disclosed")
OPTIONAL_KEYS = ("settings", "fitted")
#: Keys of a disclosed figure: a calibration target's, its tolerance's reason, its date.
DISCLOSED_KEYS = (*TARGET_KEYS, "reason", "as_of")
#: A date as a source gives it: ``2025-03-03`` or ``2025-03``.
DATE = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?")
#: Labels of the statement ratios.
RATIO_LABELS = {
    "gross_margin": "Gross margin",
    "operating_margin": "Operating margin",
    "capital_intensity": "Capital intensity (capex / revenue)",
}


@dataclass(frozen=True)
class Input:
    """A value of ``<model>.yaml`` taken from a disclosure: its source and the source's date."""

    name: str
    source: str
    as_of: str


@dataclass(frozen=True)
class Setting:
    """A setting of ``<model>.yaml`` (horizon, snapshot month, draws) and why it is set."""

    name: str
    why: str


@dataclass(frozen=True)
class Fitted:
    """A value of ``<model>.yaml`` fitted to disclosed figures: which (``to``) and how."""

    name: str
    to: tuple[str, ...]
    how: str


@dataclass(frozen=True)
class Disclosed:
    """A disclosed figure: the calibration target, why its tolerance is that wide, its date."""

    target: Target
    reason: str
    as_of: str = ""


@dataclass(frozen=True)
class Case:
    """One company case, read and checked (:func:`read_case`).

    Attributes
    ----------
    scenario, parameters_dir
        The case's scenario folder name and the folder holding it.
    company, model, period
        Who, which business model, which period (month 1 is its first month).
    inputs, settings, fitted
        The keys of ``<model>.yaml``, each in one of the three, in file order.
    disclosed
        The figures the model is compared with.
    """

    scenario: str
    parameters_dir: Path
    company: str
    model: str
    period: str
    inputs: tuple[Input, ...]
    settings: tuple[Setting, ...]
    fitted: tuple[Fitted, ...]
    disclosed: tuple[Disclosed, ...]

    @property
    def path(self) -> Path:
        """The ``case.yaml``."""
        return case_path(self.parameters_dir, self.scenario)

    @property
    def targets(self) -> list[Target]:
        """The disclosed figures as calibration targets."""
        return [d.target for d in self.disclosed]


def case_path(parameters_dir: Path, scenario: str) -> Path:
    """Where a scenario's ``case.yaml`` is (it may not exist)."""
    return Path(parameters_dir) / scenario / CASE_FILE


def is_case(parameters_dir: Path, scenario: str) -> bool:
    """Whether a scenario folder is a company case (holds a ``case.yaml``)."""
    return case_path(parameters_dir, scenario).is_file()


def case_folders(parameters_dir: Path) -> list[str]:
    """The scenario folders of ``parameters_dir`` that are company cases, by name."""
    return sorted(p.parent.name for p in Path(parameters_dir).glob(f"*/{CASE_FILE}") if p.is_file())


def read_case(parameters_dir: Path, scenario: str) -> Case:
    """Read and check a company case's ``case.yaml`` against its scenario and model.

    Parameters
    ----------
    parameters_dir
        The folder of the scenario folders.
    scenario
        The case's folder name.

    Returns
    -------
    Case
        The case, every part checked.

    Raises
    ------
    ParameterError
        One line per problem, naming the file, the key, the value and what is allowed: an
        unknown or missing key, a model that is not a model or has no file in the folder, a key
        of ``<model>.yaml`` listed in none or several of inputs/settings/fitted (or listed but
        not set), an input without a dated source, a fitted driver fitted to no disclosed
        figure, a disclosed figure the model does not have or without a reason, a case whose
        scenario is linked.
    """
    parameters_dir = Path(parameters_dir)
    path = case_path(parameters_dir, scenario)
    source = str(path)
    content = read_inside(parameters_dir, path, dates=True)
    problems = [
        Problem(source, k, f"unknown key; expected one of {', '.join(REQUIRED_KEYS + OPTIONAL_KEYS)}")
        for k in content
        if k not in REQUIRED_KEYS + OPTIONAL_KEYS
    ]
    problems += [
        Problem(source, k, "missing; a case.yaml names it") for k in REQUIRED_KEYS if k not in content
    ]
    company, period = (_line(content, k, source, problems) for k in ("company", "period"))
    model = _model(content.get("model"), parameters_dir / scenario, source, problems)
    inputs = _entries(content, "inputs", source, problems, _input)
    settings = _entries(content, "settings", source, problems, _setting)
    fitted = _entries(content, "fitted", source, problems, _fitted)
    disclosed = _disclosed(content.get("disclosed"), source, problems)
    problems += scenario_problems(parameters_dir, scenario)
    if not problems and scenario_linked(parameters_dir, scenario):
        why = "a company case is not linked to the other models; write linked: false"
        problems.append(Problem(str(parameters_dir / scenario / SCENARIO_FILE), "linked", why))
    if model:
        problems += _role_problems(model, settings, fitted, source)
        problems += _listing_problems(
            parameters_dir / scenario / f"{model}.yaml", parameters_dir, inputs, settings, fitted, source
        )
        problems += _fitted_problems(fitted, disclosed, source)
        problems += (
            _figure_problems(model, scenario, parameters_dir, disclosed, source) if not problems else []
        )
    if problems:
        raise ParameterError(problems)
    return Case(
        scenario,
        parameters_dir,
        company,
        model,
        period,
        tuple(inputs),
        tuple(settings),
        tuple(fitted),
        tuple(disclosed),
    )


def case_problems(parameters_dir: Path, scenario: str) -> list[Problem]:
    """Everything wrong with a company case (``[]`` when it reads and checks)."""
    try:
        read_case(parameters_dir, scenario)
    except ParameterError as error:
        return error.problems
    return []


def _line(content: Mapping[str, Any], key: str, source: str, problems: list[Problem]) -> str:
    """A one-line text value, or ``""`` with a problem."""
    value = content.get(key)
    if key in content and (not isinstance(value, str) or not value.strip() or "\n" in value.strip()):
        problems.append(Problem(source, key, f"{echo(value)} is not allowed; expected one line of text"))
        return ""
    return value.strip() if isinstance(value, str) else ""


def _model(value: Any, folder: Path, source: str, problems: list[Problem]) -> str:
    """The case's model, or ``""`` with a problem: not a model, or no file for it in the folder."""
    if value is None:
        return ""
    if value not in model_names():
        why = f"{echo(value)} is not allowed; expected a model: {', '.join(model_names())}"
        problems.append(Problem(source, "model", why))
        return ""
    if not (folder / f"{value}.yaml").is_file():
        why = f"{value!r}: the scenario has no {value}.yaml; a case gives its model's values in it"
        problems.append(Problem(source, "model", why))
        return ""
    return str(value)


def _text(entry: Mapping[str, Any], field: str, key: str, source: str, problems: list[Problem]) -> str:
    """A required non-empty text of an entry, or ``""`` with a problem."""
    value = entry.get(field)
    if not isinstance(value, str) or not value.strip():
        problems.append(Problem(source, f"{key}.{field}", f"{echo(value)} is not allowed; expected text"))
        return ""
    return " ".join(value.split())


def _date(value: Any, key: str, source: str, problems: list[Problem]) -> str:
    """A date ``YYYY-MM-DD`` (or ``YYYY-MM``), or ``""`` with a problem."""
    if not isinstance(value, str) or not DATE.fullmatch(value):
        problems.append(Problem(source, key, f"{echo(value)} is not allowed; expected a date YYYY-MM-DD"))
        return ""
    return value


def _entries(
    content: Mapping[str, Any], section: str, source: str, problems: list[Problem], read: Any
) -> list:
    """The entries of ``inputs``, ``settings`` or ``fitted``: a mapping of key -> mapping."""
    raw = content.get(section)
    if raw is None:
        return []
    if not isinstance(raw, Mapping):
        problems.append(
            Problem(source, section, f"{echo(raw)} is not allowed; expected a mapping of key: {{...}}")
        )
        return []
    entries = []
    for name, entry in raw.items():
        key = f"{section}.{name}"
        if not isinstance(entry, Mapping):
            problems.append(Problem(source, key, f"{echo(entry)} is not allowed; expected a mapping"))
            continue
        entries.append(read(str(name), entry, key, source, problems))
    return entries


def _unknown(entry: Mapping[str, Any], allowed: Sequence[str], key: str, source: str) -> list[Problem]:
    return [
        Problem(source, f"{key}.{k}", f"unknown key; expected {', '.join(allowed)}")
        for k in entry
        if k not in allowed
    ]


def _input(name: str, entry: Mapping[str, Any], key: str, source: str, problems: list[Problem]) -> Input:
    problems += _unknown(entry, ("source", "as_of"), key, source)
    text = _text(entry, "source", key, source, problems)
    return Input(name, text, _date(entry.get("as_of"), f"{key}.as_of", source, problems))


def _setting(name: str, entry: Mapping[str, Any], key: str, source: str, problems: list[Problem]) -> Setting:
    problems += _unknown(entry, ("why",), key, source)
    return Setting(name, _text(entry, "why", key, source, problems))


def _fitted(name: str, entry: Mapping[str, Any], key: str, source: str, problems: list[Problem]) -> Fitted:
    problems += _unknown(entry, ("to", "how"), key, source)
    to = entry.get("to")
    if isinstance(to, str):
        to = [to]
    if not isinstance(to, list) or not to or not all(isinstance(t, str) and t for t in to):
        why = f"{echo(entry.get('to'))} is not allowed; expected a list of the disclosed figures fitted to"
        problems.append(Problem(source, f"{key}.to", why))
        to = []
    return Fitted(name, tuple(to), _text(entry, "how", key, source, problems))


def _disclosed(raw: Any, source: str, problems: list[Problem]) -> list[Disclosed]:
    """The disclosed figures: targets (:func:`aibm_core.analysis.calibrate._target`) with reason, as_of."""
    if raw is None:
        return []
    if not isinstance(raw, list) or not raw:
        problems.append(
            Problem(source, "disclosed", f"{echo(raw)} is not allowed; expected a list of figures")
        )
        return []
    out = []
    for i, row in enumerate(raw, start=1):
        key = f"disclosed[{i}]"
        target, found = target_from(row, key, source, DISCLOSED_KEYS)
        problems += found
        if target is None:
            continue
        reason = _text(row, "reason", key, source, problems)
        if not target.source:
            problems.append(Problem(source, f"{key}.source", "missing; say where the figure was disclosed"))
        as_of = _date(row["as_of"], f"{key}.as_of", source, problems) if "as_of" in row else ""
        out.append(Disclosed(target, reason, as_of))
    return out


def _listing_problems(
    model_file: Path,
    parameters_dir: Path,
    inputs: Sequence[Input],
    settings: Sequence[Setting],
    fitted: Sequence[Fitted],
    source: str,
) -> list[Problem]:
    """Each key of ``<model>.yaml`` listed in exactly one of inputs/settings/fitted, and no other."""
    try:
        keys = list(read_inside(parameters_dir, model_file))
    except ParameterError as error:
        return error.problems
    listed: dict[str, list[str]] = {}
    for section, entries in (("inputs", inputs), ("settings", settings), ("fitted", fitted)):
        for entry in entries:
            listed.setdefault(entry.name, []).append(section)
    problems = [
        Problem(
            source,
            name,
            f"set in {model_file.name} but listed in none of inputs, settings, fitted; list it in one",
        )
        for name in keys
        if name not in listed
    ]
    problems += [
        Problem(source, name, f"listed in {' and '.join(sections)}; list it in exactly one")
        for name, sections in listed.items()
        if len(sections) > 1
    ]
    problems += [
        Problem(source, f"{sections[0]}.{name}", f"not set in {model_file.name}; list only the keys it sets")
        for name, sections in listed.items()
        if name not in keys
    ]
    return problems


#: Roles of the assumptions a case may list under ``settings`` (besides the Monte Carlo settings).
SETTING_ROLES = ("setting", "limit")


def _role_problems(
    model: str, settings: Sequence[Setting], fitted: Sequence[Fitted], source: str
) -> list[Problem]:
    """A setting must be a setting, a guardrail's limit or a Monte Carlo setting; a fitted key a driver.

    So that no disclosed or fitted driver hides among the settings, and nothing but a driver is fitted.
    """
    schema = get_model(model).params
    problems = []
    for s in settings:
        role = schema.role_of(s.name) if s.name in schema.model_fields else None
        if s.name not in MONTE_CARLO_SETTINGS and role not in SETTING_ROLES:
            what = f"a {role}" if role else "not an assumption of " + model
            why = (
                f"{what}, not a setting; list it under inputs or fitted (settings: horizon, snapshot, draws)"
            )
            problems.append(Problem(source, f"settings.{s.name}", why))
    for f in fitted:
        if f.name not in schema.model_fields or schema.role_of(f.name) != "driver":
            drivers = ", ".join(schema.names_with_role("driver"))
            why = f"not a driver of {model}; only a driver is fitted: {drivers}"
            problems.append(Problem(source, f"fitted.{f.name}", why))
    return problems


def _fitted_problems(fitted: Sequence[Fitted], disclosed: Sequence[Disclosed], source: str) -> list[Problem]:
    """A fitted driver's ``to`` names disclosed figures (by figure, or label such as ``revenue@1-12``)."""
    names = {d.target.figure for d in disclosed} | {d.target.label for d in disclosed}
    return [
        Problem(
            source,
            f"fitted.{f.name}.to",
            f"{echo(t)} is not a disclosed figure; expected one of {', '.join(sorted(names))}",
        )
        for f in fitted
        for t in f.to
        if t not in names
    ]


def _figure_problems(
    model: str, scenario: str, parameters_dir: Path, disclosed: Sequence[Disclosed], source: str
) -> list[Problem]:
    """Disclosed figures the model does not have, or months outside its horizon."""
    from aibm_core.analysis.results import scenario_params

    try:
        params = scenario_params(model, scenario, parameters_dir)
    except ParameterError as error:
        return error.problems
    return target_problems(get_model(model), params, [d.target for d in disclosed], source)


# --------------------------------------------------------------------------- tables


def figure_label(target: Target, kpi_labels: Mapping[str, str], snapshot: int) -> str:
    """A figure in words: ``Revenue, months 1-12``, ``Gross margin, month 12``, a KPI's label."""
    if target.figure in STATEMENT_SERIES:
        name = STATEMENT_SERIES[target.figure][0]
    elif target.figure in RATIOS and (target.month or target.months or target.figure not in kpi_labels):
        name = RATIO_LABELS[target.figure]
    else:
        return f"{kpi_labels.get(target.figure, target.figure)}, month {snapshot}"
    if target.months is not None:
        return f"{name}, months {target.months[0]}-{target.months[1]}"
    return f"{name}, month {target.month or snapshot}"


def disclosed_table(case: Case, params: ModelParams) -> pd.DataFrame:
    """Disclosed against modelled: one row per disclosed figure of the case.

    Parameters
    ----------
    case
        The case (:func:`read_case`).
    params
        The case's parameters (its scenario's values for its model).

    Returns
    -------
    pandas.DataFrame
        Columns ``figure`` (in words), ``key`` (as in the file), ``unit``, ``disclosed``,
        ``modelled``, ``error`` (modelled − disclosed, in ``unit``), ``relative_error`` (error /
        |disclosed|; NaN for a zero figure), ``tolerance`` (absolute, in ``unit``),
        ``tolerance_text`` (as written), ``reason``, ``within`` (|error| ≤ tolerance), ``source``,
        ``as_of``.
    """
    spec = get_model(case.model)
    targets = case.targets
    values, units = modelled(spec, params, targets)
    kpis = {k: m.label for k, m in spec.kpis(spec.compute(params)).items()}
    snapshot = int(params.snapshot_month)
    rows = []
    for d, value, unit in zip(case.disclosed, values, units, strict=True):
        t = d.target
        error = float(value) - t.value
        rows.append(
            {
                "figure": figure_label(t, kpis, snapshot),
                "key": t.label,
                "unit": unit,
                "disclosed": t.value,
                "modelled": float(value),
                "error": error,
                "relative_error": error / abs(t.value) if t.value != 0 else np.nan,
                "tolerance": t.scale,
                "tolerance_text": t.tolerance_text,
                "reason": d.reason,
                "within": bool(np.isfinite(error) and abs(error) <= t.scale * (1 + 1e-9)),
                "source": t.source,
                "as_of": d.as_of,
            }
        )
    return pd.DataFrame(rows)


def inputs_table(case: Case, params: ModelParams) -> pd.DataFrame:
    """The inputs taken from disclosures: ``driver``, ``value`` (formatted), ``unit``, ``source``, ``date``.

    A fitted driver is never among them (:func:`fitted_table` lists those).
    """
    schema = type(params)
    rows = [
        {
            "driver": i.name,
            "value": _formatted(params, i.name),
            "unit": assumption_unit(schema, i.name),
            "source": i.source,
            "date": i.as_of,
        }
        for i in case.inputs
    ]
    return pd.DataFrame(rows, columns=["driver", "value", "unit", "source", "date"])


def fitted_table(case: Case, params: ModelParams) -> pd.DataFrame:
    """The fitted drivers: ``driver``, ``value`` (formatted), ``unit``, ``fitted_to``, ``how``."""
    schema = type(params)
    rows = [
        {
            "driver": f.name,
            "value": _formatted(params, f.name),
            "unit": assumption_unit(schema, f.name),
            "fitted_to": ", ".join(f.to),
            "how": f.how,
        }
        for f in case.fitted
    ]
    return pd.DataFrame(rows, columns=["driver", "value", "unit", "fitted_to", "how"])


def settings_table(case: Case, params: ModelParams) -> pd.DataFrame:
    """The settings of the case: ``setting``, ``value`` (formatted), ``why``."""
    rows = [{"setting": s.name, "value": _formatted(params, s.name), "why": s.why} for s in case.settings]
    return pd.DataFrame(rows, columns=["setting", "value", "why"])


def _formatted(params: ModelParams, name: str) -> str:
    """An assumption's value in force, formatted with its unit (as written when not an assumption)."""
    schema = type(params)
    if name not in schema.model_fields:  # a Monte Carlo setting (draws, random_seed)
        return echo(getattr(params.uncertainty, name, ""))
    value = params.value_of(name)
    try:
        unit = assumption_unit(schema, name)
    except (KeyError, ValueError):
        unit = ""
    if isinstance(value, list | dict):
        return echo(value)
    return format_value(value, unit)
