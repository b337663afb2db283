"""Parameter sets: typed, ranged, documented assumptions loaded from papermill YAML.

A parameter file is plain papermill YAML (``papermill NB out.ipynb -f file.yaml``).
A scenario file only lists what differs from the model's defaults; the defaults
live in the model's pydantic schema, which is the single source of truth.

Every assumption is declared with :func:`assumption`, which records its unit,
valid range, one-line meaning and source. Validation problems are collected into a
:class:`ParameterError` whose message has one line per problem, naming the file,
the key, the offending value and what is allowed.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, ClassVar, Literal, get_args

import numpy as np
import pandas as pd
import yaml
from babel.numbers import format_decimal
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from aibm_core.core.errors import AibmInputError
from aibm_core.core.formatting import LOCALE, format_value
from aibm_core.core.linked import LinkedInput, path_at
from aibm_core.core.ranges import (
    Range,
    RangeError,
    Uncertainty,
    check_correlations,
    fixed_value,
    is_fixed,
    parse_range,
)
from aibm_core.core.schedules import ScheduleError, inline, is_schedule, monthly_path
from aibm_core.core.source_dates import (
    current_run_date,
    date_problem,
    older_than_a_year,
    split_as_of,
)
from aibm_core.core.yaml_loading import YamlProblems, echo, load_mapping, shorten

#: Source label of figures that are the workbook's own base-case judgement.
ANALYST = "analyst assumption (base case)"

#: What an assumption is, for sampling and reporting:
#: ``driver`` (uncertain; may be an array of draws, later a range), ``setting`` (structural:
#: horizon, snapshot month, choices), ``observed`` (a measured figure) or ``limit`` (a
#: guardrail threshold).
Role = Literal["driver", "setting", "observed", "limit"]
ROLES: tuple[Role, ...] = get_args(Role)

#: Settings the runner passes to every notebook; they are not assumptions.
RUN_SETTINGS: dict[str, str] = {"scenario": "custom", "results_path": "", "parameters_dir": ""}

#: Monte Carlo settings a parameter file or notebook may give besides its assumptions:
#: the number of draws (0: none), their seed, and rank correlations between ranged drivers
#: as ``[[driver, driver, rho], ...]``.
MONTE_CARLO_SETTINGS: dict[str, Any] = {"draws": 10_000, "random_seed": 20261123, "correlations": []}
#: Most draws the settings allow, whatever the horizon (see also :data:`MAX_DRAW_MONTHS`).
MAX_DRAWS = 1_000_000
#: Most draws × horizon months a parameter set may ask for. A Monte Carlo run holds several
#: draws × months series at once: the heaviest model, ai_infrastructure, peaked at 3.1 GB of
#: resident memory with 100,000 draws over 60 months (6,000,000 draw-months; 2.7 GB with 50,000
#: draws over 120 months), about 0.5 KB per draw-month, measured with ``resource.getrusage``.
#: 1,000,000 draws over 120 months would need some 60 GB per notebook, and a batch runs one per core.
MAX_DRAW_MONTHS = 6_000_000


def assumption(
    default: Any,
    *,
    unit: str,
    meaning: str,
    source: str,
    ge: float | None = None,
    le: float | None = None,
    gt: float | None = None,
    lt: float | None = None,
    role: Role = "driver",
    base_range: Mapping[str, Any] | None = None,
    range_source: str | None = None,
    as_of: str | None = None,
    schedule: bool = False,
) -> Any:
    """Declare one model assumption as a pydantic field.

    Parameters
    ----------
    default
        Base-scenario value.
    unit
        Unit of the value, e.g. ``"USD per 1M output tokens"`` or ``"fraction per month"``.
    meaning
        One line saying what the number is.
    source
        Seed file or dated public figure the default comes from.
    ge, le, gt, lt
        Bounds of the valid range (inclusive ``ge``/``le``, exclusive ``gt``/``lt``).
    role
        ``driver`` (default), ``setting``, ``observed`` or ``limit``; see :data:`Role`.
    base_range, range_source
        For drivers: the range the ``base`` scenario gives (as written in a parameter file,
        e.g. ``{"low": 10, "high": 20}``, a 90% interval) and the source that supports it.
    as_of
        Date of the source of the default (ISO ``YYYY-MM-DD`` or ``YYYY-MM``); every price-like
        assumption (list prices, rental prices, unit prices, energy prices) carries one.
    schedule
        Whether a scenario may give the driver as a schedule, a value per month or quarter
        (:mod:`aibm_core.core.schedules`): only a driver that the model reads month by month
        (:meth:`ModelParams.monthly`) where its formula is per month (a price, a capacity or
        volume plan, a headcount or fixed-cost plan; never a compounding growth rate).
    """
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    if base_range is not None and (role != "driver" or not range_source):
        raise ValueError("only a driver takes a base_range, and it needs a range_source")
    if schedule and role != "driver":
        raise ValueError("only a driver can follow a schedule")
    extra = {"unit": unit, "source": source, "role": role}
    if schedule:
        extra["schedule"] = True
    if base_range is not None:
        extra.update(base_range=dict(base_range), range_source=range_source)
    if as_of is not None:
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?", as_of):
            raise ValueError(f"as_of {as_of!r} is not a date; expected YYYY-MM-DD or YYYY-MM")
        extra["as_of"] = as_of
    return Field(
        default,
        ge=ge,
        le=le,
        gt=gt,
        lt=lt,
        description=meaning,
        json_schema_extra=extra,
    )


class ModelParams(BaseModel):
    """Base class of every model's parameter schema.

    Strict typing (a string is never a number), unknown keys forbidden. Use
    :meth:`vary` to put numpy arrays into a validated set for sweeps and Monte Carlo.
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    _uncertainty: Uncertainty | None = PrivateAttr(default=None)
    _linked: dict[str, LinkedInput] = PrivateAttr(default_factory=dict)
    _as_of: dict[str, str] = PrivateAttr(default_factory=dict)

    #: Rank correlations the ``base`` scenario gives between ranged drivers:
    #: ``((driver, driver, rho, source), ...)``.
    base_correlations: ClassVar[tuple[tuple[str, str, float, str], ...]] = ()

    @property
    def uncertainty(self) -> Uncertainty:
        """Ranges, correlations, draws and seed given with these parameters (none by default)."""
        return self._uncertainty or Uncertainty({})

    def with_uncertainty(self, uncertainty: Uncertainty) -> ModelParams:
        """A copy carrying the given ranges and Monte Carlo settings."""
        copy = self.model_copy()
        copy._uncertainty = uncertainty
        return copy

    @property
    def linked(self) -> dict[str, LinkedInput]:
        """Drivers fed by another model's results, by name (none unless the stack links them)."""
        return dict(self._linked)

    def with_dates(self, dates: Mapping[str, str]) -> ModelParams:
        """A copy whose named assumptions carry the given source dates (a scenario's ``as_of``)."""
        copy = self.model_copy()
        copy._as_of = {**self._as_of, **dates}
        return copy

    def source_date(self, name: str) -> str | None:
        """The date of the source of an assumption's value (``YYYY-MM-DD`` or ``YYYY-MM``), or ``None``.

        The date a scenario gives with the value (``{value: 2.5, as_of: 2025-09-01}``), else the
        schema's ``as_of`` while the value is still the default its source supports; a value
        a scenario sets without a date has none.
        """
        if name in self._as_of:
            return self._as_of[name]
        field = type(self).model_fields[name]
        own = (field.json_schema_extra or {}).get("as_of")
        if own is None or name in self._linked:
            return None
        value = getattr(self, name)
        return own if np.ndim(value) == 0 and value == field.default else None

    def stale_sources(self, run_date: date | None = None) -> list[tuple[str, str]]:
        """Assumptions whose source is dated more than a year before ``run_date``, as (name, date).

        ``run_date`` defaults to :func:`current_run_date` (today, or ``AIBM_RUN_DATE``). A date
        given by month (``YYYY-MM``) counts from the month's first day.
        """
        today = run_date or current_run_date()
        out = []
        for name in type(self).model_fields:
            when = self.source_date(name)
            if when is not None and older_than_a_year(when, today):
                out.append((name, when))
        return out

    def with_linked(self, linked: Mapping[str, LinkedInput]) -> ModelParams:
        """A copy whose named drivers read the given linked inputs instead of their own values."""
        unknown = set(linked) - set(type(self).model_fields)
        if unknown:
            raise KeyError(f"unknown assumption(s): {', '.join(sorted(unknown))}")
        copy = self.model_copy()
        copy._linked = dict(linked)
        return copy

    def unlinked(self, *names: str) -> ModelParams:
        """A copy in which the named linked drivers are the buyer's own again, each set to the
        value its link gave in the snapshot month (a constant: what a goal seek or a slider moves).
        Names that are not linked are ignored."""
        names = tuple(n for n in names if n in self._linked)
        if not names:
            return self
        copy = self.vary(**{n: self.value_of(n) for n in names})
        copy._linked = {k: v for k, v in self._linked.items() if k not in names}
        return copy

    def linked_or_scheduled_path(self, name: str, months: Any) -> Any:
        """The driver's path at ``months`` (rows × months) when a link or a schedule gives it, else ``None``.

        A link (another model's series) continues at its trend beyond the seller's months; a
        schedule (:mod:`aibm_core.core.schedules`) holds its last value after its last month.
        """
        link = self._linked.get(name)
        if link is None:
            return None
        path = path_at(link.values, months, trend=not link.scheduled)
        if link.times is not None:
            path = path * np.asarray(getattr(self, link.times), dtype=float)[..., None]
        if link.plus is not None:
            path = path + np.asarray(getattr(self, link.plus), dtype=float)[..., None]
        scale = np.asarray(link.scale, dtype=float)
        return path if scale.ndim == 0 and scale == 1.0 else path * scale[..., None]

    #: The name the path was first read by (linked drivers only); the same reading.
    linked_path = linked_or_scheduled_path

    def monthly(self, name: str, months: Any, own: Any = None) -> Any:
        """A driver month by month: the path a link or a schedule gives, else the model's own.

        Parameters
        ----------
        name
            The driver.
        months
            Month numbers (1-based) to read.
        own
            The model's own monthly formula for the driver, used when no link or schedule gives
            it (default: its value, with a trailing month axis: draws × 1).

        Returns
        -------
        numpy.ndarray
            Rows × months (a path), or whatever ``own`` is.
        """
        path = self.linked_or_scheduled_path(name, months)
        if path is not None:
            return path
        return np.asarray(getattr(self, name), dtype=float)[..., None] if own is None else own

    def compounded(self, name: str, months: Any, per_month: Any) -> Any:
        """The level a growth-rate driver reaches in each of ``months``, relative to month 1.

        ``per_month`` turns the driver's rate into a monthly one (for a quarterly rate ``g``:
        ``(1 + g) ** (1 / 3) − 1``). A constant rate gives ``(1 + r) ** (t − 1)``; a scheduled
        rate (a rate in force each month) gives the cumulative product
        ``Π_{k = 2 .. t} (1 + r_k)``: the growth into month ``k`` is at the rate in force in month
        ``k``. Rows × months.
        """
        months = np.asarray(months, dtype=float)
        path = self.linked_or_scheduled_path(name, months)
        if path is None:
            rate = np.asarray(per_month(np.asarray(getattr(self, name), dtype=float)), dtype=float)
            return (1.0 + rate[..., None]) ** (months - 1.0)
        every = np.arange(1.0, float(months.max()) + 1.0)
        growth = 1.0 + per_month(self.linked_or_scheduled_path(name, every))
        growth[..., 0] = 1.0  # month 1 is the base
        return np.cumprod(growth, axis=-1)[..., months.astype(int) - 1]

    @property
    def scheduled(self) -> dict[str, LinkedInput]:
        """Drivers the scenario gives as schedules, by name (a subset of :attr:`linked`)."""
        return {name: link for name, link in self._linked.items() if link.scheduled}

    @classmethod
    def schedulable(cls) -> list[str]:
        """Drivers that may follow a schedule (declared ``schedule=True``), in declaration order."""
        return [n for n, f in cls.model_fields.items() if (f.json_schema_extra or {}).get("schedule")]

    def value_of(self, name: str) -> Any:
        """An assumption's value in force: its own, or its link's or schedule's in the snapshot month."""
        if name not in self._linked:
            return getattr(self, name)
        month = [float(getattr(self, "snapshot_month", 1))]
        value = np.asarray(self.linked_or_scheduled_path(name, month))[..., 0]
        return float(value) if value.ndim == 0 else value

    def moved(self, **values: Any) -> ModelParams:
        """A copy with assumptions set to ``values`` (unvalidated, arrays allowed), as :meth:`vary`,
        except that a linked driver keeps its seller's path, scaled so that its snapshot-month value
        is the one given: how sweeps, tornadoes, goal seeks and sliders move any driver."""
        linked = {n: v for n, v in values.items() if n in self._linked}
        copy = self.vary(**{n: v for n, v in values.items() if n not in linked})
        if not linked:
            return copy
        links = dict(self._linked)
        for name, value in linked.items():
            base = np.asarray(self.value_of(name), dtype=float)
            with np.errstate(divide="ignore", invalid="ignore"):
                factor = np.where(
                    base != 0, np.asarray(value, dtype=float) / np.where(base != 0, base, 1.0), 0.0
                )
            links[name] = links[name].scaled(factor)
        copy._linked = links
        return copy

    def content_key(self) -> str:
        """SHA-256 of the validated values and their uncertainty: equal parameters, equal key.

        Two parameter sets with the same key give the same results, so a computed result can be
        found again by it (:mod:`aibm_core.analysis.results_cache`). Only scalar parameters have a key.
        """
        u = self.uncertainty
        content = {
            "model": type(self).__module__,
            "values": self.model_dump(mode="json"),
            "ranges": {name: r.to_dict() for name, r in sorted(u.ranges.items())},
            "correlations": [list(c) for c in u.correlations],
            "draws": u.draws,
            "random_seed": u.random_seed,
            "linked": {name: link.digest() for name, link in sorted(self._linked.items())},
        }
        if self._as_of:  # the source dates are in the payload's assumptions
            content["as_of"] = dict(sorted(self._as_of.items()))
        text = json.dumps(content, sort_keys=True, allow_nan=False, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    @classmethod
    def base_ranges(cls) -> dict[str, Range]:
        """The ranges the ``base`` scenario gives its drivers, as declared in the schema."""
        out = {}
        for name, field in cls.model_fields.items():
            raw = (field.json_schema_extra or {}).get("base_range")
            if raw is not None:
                out[name] = parse_range({"value": field.default, **raw}, *bounds(cls, name))
        return out

    def vary(self, **values: Any) -> ModelParams:
        """Return a copy with some assumptions replaced, unvalidated (arrays allowed)."""
        unknown = set(values) - set(type(self).model_fields)
        if unknown:
            raise KeyError(f"unknown assumption(s): {', '.join(sorted(unknown))}")
        return self.model_copy(update=values)

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """Default value of every assumption, by name."""
        return {name: field.default for name, field in cls.model_fields.items()}

    @classmethod
    def role_of(cls, name: str) -> Role:
        """The role of one assumption (``driver``, ``setting``, ``observed`` or ``limit``)."""
        return (cls.model_fields[name].json_schema_extra or {}).get("role", "driver")

    @classmethod
    def names_with_role(cls, role: Role) -> list[str]:
        """Assumptions with the given role, in declaration order."""
        return [name for name in cls.model_fields if cls.role_of(name) == role]

    @classmethod
    def assumptions_table(cls, params: ModelParams | None = None) -> pd.DataFrame:
        """One row per assumption: value, its formatted text, unit, valid range, meaning, source and date.

        ``source_date`` is the date of the value's source (:meth:`source_date`; ``""`` when undated);
        ``schedule`` says whether a scenario may give the driver as a schedule.

        ``value`` keeps each value as given (an int stays an int, a choice a string: the column
        is never coerced to floats, whose display would switch to scientific notation);
        ``formatted`` is the value for reading, in its unit (:mod:`aibm_core.core.formatting`).
        """
        rows = []
        for name, field in cls.model_fields.items():
            extra = field.json_schema_extra or {}
            value = getattr(params, name) if params is not None else field.default
            rows.append(
                {
                    "assumption": name,
                    "value": value,
                    "formatted": format_value(value, extra.get("unit", "")),
                    "role": cls.role_of(name),
                    "unit": extra.get("unit", ""),
                    "range": allowed_range(cls, name),
                    "meaning": field.description or "",
                    "source": extra.get("source", ""),
                    "source_date": (params.source_date(name) if params is not None else extra.get("as_of"))
                    or "",
                    "schedule": bool(extra.get("schedule", False)),
                }
            )
        frame = pd.DataFrame(rows).set_index("assumption")
        frame["value"] = pd.Series([row["value"] for row in rows], index=frame.index, dtype=object)
        return frame


#: Units of money per period (a month's fixed cost, a year's R&D): totals, not prices.
PERIOD_TOTALS = ("USD per month", "USD per year")


def is_price_like(schema: type[ModelParams], name: str) -> bool:
    """Whether an assumption is a price (a list, rental, unit, energy or seat price, a cost per unit).

    The rule: a driver or observed figure whose unit is money per unit of something bought or
    sold (``USD per 1M tokens``, ``USD per GPU-hour``, ``USD per kWh``, ``USD per seat per
    month``), not a total per period (:data:`PERIOD_TOTALS`). Every such assumption carries the
    date of its source (``as_of``).
    """
    unit = assumption_unit(schema, name)
    return (
        schema.role_of(name) in ("driver", "observed")
        and unit.startswith("USD per ")
        and unit not in PERIOD_TOTALS
    )


def stale_warnings(params: ModelParams, source: str = "", run_date: date | None = None) -> list[str]:
    """One warning line per assumption whose source is more than a year older than the run.

    Parameters
    ----------
    params
        The run's parameters (:meth:`ModelParams.stale_sources`).
    source
        The file the values come from, named at the start of each line (``""``: none).
    run_date
        The run's date (default :func:`current_run_date`); it is not written in the lines, so
        that a report depends on it only through which sources it names.
    """
    where = f"{source}: " if source else ""
    schema = type(params)
    return [
        f"{where}key '{name}': its source is dated {when}, more than a year before this run; "
        f"check the {assumption_unit(schema, name)} figure is still current"
        for name, when in params.stale_sources(run_date)
    ]


def horizon_assumption(default: int) -> Any:
    """The projection length (months), declared once; models may pick their own default."""
    return assumption(
        default,
        unit="months",
        ge=12,
        le=120,
        meaning="Length of the monthly projection",
        source="-",
        role="setting",
    )


def min_gross_margin_assumption(default: float, source: str) -> Any:
    """The gross-margin floor guardrail's threshold, declared the same way in every model."""
    return assumption(
        default,
        unit="fraction",
        ge=-1,
        le=1,
        meaning="Guardrail: lowest acceptable gross margin in any month of the horizon",
        source=source,
        role="limit",
    )


class ProjectionParams(ModelParams):
    """Base of the models projected month by month: the horizon and the month they report."""

    horizon_months: int = horizon_assumption(36)
    snapshot_month: int = assumption(
        12,
        unit="month",
        ge=1,
        le=120,
        meaning="Month the metric tree and unit economics describe",
        source="-",
        role="setting",
    )

    @model_validator(mode="after")
    def _snapshot_within_horizon(self) -> ProjectionParams:
        if self.snapshot_month > self.horizon_months:
            raise ValueError(
                f"snapshot_month ({self.snapshot_month}) must not exceed "
                f"horizon_months ({self.horizon_months})"
            )
        return self


#: Longest problem message shown; longer ones keep their start and end around "…".
MAX_MESSAGE = 400


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a parameter set, shown on one line.

    Attributes
    ----------
    source
        Where the values came from (usually a file path; ``""`` when none).
    key
        The assumption or setting concerned (``""`` when the problem is not one key's).
    message
        What is wrong and what is allowed.
    line, column
        1-based position in the file, when known.
    """

    source: str
    key: str
    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = f"{_one_line(self.source)}: " if self.source else ""
        if self.line is not None:
            where += f"line {self.line}, column {self.column}: "
        key = f"key {echo(self.key)}: " if self.key else ""
        message = _one_line(self.message)
        if len(message) > MAX_MESSAGE:
            message = message[: MAX_MESSAGE - 121] + "…" + message[-120:]
        return f"{where}{key}{message}"


def _one_line(text: str) -> str:
    """``text`` with line breaks and other unprintable characters escaped."""
    return text if text.isprintable() else repr(text)[1:-1]


class ParameterError(AibmInputError):
    """Invalid parameters; ``problems`` holds a :class:`Problem` per line of the message."""

    problems: list[Problem]

    def __init__(self, problems: Iterable[Problem]):
        super().__init__(problems)

    def _render_traceback_(self) -> list[str]:
        """Show IPython users the problems, not a traceback."""
        return ["Invalid parameters:", *(f"  {p}" for p in self.problems)]


def allowed_range(schema: type[BaseModel], name: str) -> str:
    """Human-readable valid range or choice list of one field."""
    field = schema.model_fields[name]
    choices = getattr(field.annotation, "__args__", None)
    if choices and all(isinstance(c, str) for c in choices):
        return "one of " + ", ".join(repr(c) for c in choices)
    low = high = None
    low_sign, high_sign = ">=", "<="
    for rule in field.metadata:
        for attr, sign in (("ge", ">="), ("gt", ">")):
            if getattr(rule, attr, None) is not None:
                low, low_sign = getattr(rule, attr), sign
        for attr, sign in (("le", "<="), ("lt", "<")):
            if getattr(rule, attr, None) is not None:
                high, high_sign = getattr(rule, attr), sign
    kind = "an integer" if field.annotation is int else "a number"
    if field.annotation is bool:
        return "true or false"
    if field.annotation is str:
        return "text"
    parts = [kind]
    if low is not None:
        parts.append(f"{low_sign} {_bound(low)}")
    if high is not None:
        parts.append(f"{high_sign} {_bound(high)}")
    return " ".join(parts[:1]) + (" " + " and ".join(parts[1:]) if len(parts) > 1 else "")


def assumption_unit(schema: type[BaseModel], name: str) -> str:
    """The unit an assumption is declared with (:func:`assumption`), ``""`` for none.

    Raises
    ------
    KeyError
        If ``schema`` has no assumption ``name``.
    """
    if name not in schema.model_fields:
        raise KeyError(f"{schema.__name__} has no assumption {name!r}")
    return str((schema.model_fields[name].json_schema_extra or {}).get("unit", ""))


def _bound(value: float) -> str:
    """A range bound as a plain number with thousands separators (``1,000,000,000``, ``0.0001``)."""
    return format_decimal(value, format="#,##0.##########", locale=LOCALE)


def clip_to_range(schema: type[BaseModel], name: str, value: float) -> float:
    """Nearest value to ``value`` inside the valid range of one numeric field."""
    for rule in schema.model_fields[name].metadata:
        for attr in ("ge", "gt"):
            if getattr(rule, attr, None) is not None:
                value = max(value, float(getattr(rule, attr)))
        for attr in ("le", "lt"):
            if getattr(rule, attr, None) is not None:
                bound = float(getattr(rule, attr))
                value = min(value, bound if attr == "le" else math.nextafter(bound, -math.inf))
    return value


def _describe(schema: type[BaseModel], key: str) -> str:
    field = schema.model_fields[key]
    unit = (field.json_schema_extra or {}).get("unit", "")
    allowed = allowed_range(schema, key)
    return f"{allowed} ({unit})" if unit else allowed


#: Characters people write around a number that YAML then reads as text: ``$1.90``, ``1,000``.
_NUMBER_DECORATION = str.maketrans("", "", "$,_ ")


def _meant_number(schema: type[BaseModel], key: str, value: Any) -> str | None:
    """The number a text value for a numeric assumption most likely meant, or ``None``.

    ``"4%"`` means ``0.04`` (a percentage is written as a fraction here), ``"$1.90"`` means
    ``1.9`` and ``"1,000"`` means ``1000``. A suggestion is made only when the number is one
    the assumption accepts (its type and valid range), so a hint never leads to another error.

    Parameters
    ----------
    schema
        The model's parameter class.
    key
        A field of ``schema``.
    value
        The value the file gave (only a text is read; anything else gives ``None``).

    Returns
    -------
    str or None
        The number as it would be written in the file, e.g. ``"0.04"``.
    """
    annotation = schema.model_fields[key].annotation
    if not isinstance(value, str) or annotation not in (int, float):
        return None
    text = value.strip().translate(_NUMBER_DECORATION)
    percent = text.endswith("%")
    try:
        number = float(text.removesuffix("%"))
    except ValueError:
        return None
    if not math.isfinite(number):
        return None
    number = float(f"{number / 100 if percent else number:.12g}")  # 4% is 0.04, not 0.04000000000000001
    if annotation is int and not number.is_integer():
        return None
    low, high = bounds(schema, key)
    if (low is not None and number < low) or (high is not None and number > high):
        return None
    return str(int(number)) if number.is_integer() else repr(number)


def _problems_from(error: ValidationError, schema: type[BaseModel], source: str) -> list[Problem]:
    problems = []
    for item in error.errors():
        key = str(item["loc"][0]) if item["loc"] else ""
        value = item.get("input")
        if item["type"] == "extra_forbidden":
            close = difflib.get_close_matches(key, list(schema.model_fields), n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            problems.append(Problem(source, key, f"unknown parameter{hint}"))
        elif key in schema.model_fields:
            shown = "no value (empty or null)" if value is None else f"value {echo(value)}"
            meant = _meant_number(schema, key, value)
            hint = f"; did you mean {meant}?" if meant else ""
            problems.append(
                Problem(source, key, f"{shown} is not allowed; expected {_describe(schema, key)}{hint}")
            )
        else:  # a rule spanning several fields (model validator)
            message = item["msg"].removeprefix("Value error, ")
            problems.append(Problem(source, "", message))
    return problems


def _reject_non_finite(values: Mapping[str, Any], source: str) -> list[Problem]:
    return [
        Problem(source, key, f"value {echo(value)} is not a finite number")
        for key, value in values.items()
        if isinstance(value, float) and not math.isfinite(value)
    ]


def validate(schema: type[ModelParams], values: Mapping[str, Any], source: str = "") -> ModelParams:
    """Validate a mapping of assumption overrides against a model schema.

    Parameters
    ----------
    schema
        The model's parameter class.
    values
        Overrides of the defaults (a scenario file's content); a driver may be a range
        (:mod:`aibm_core.core.ranges`) or a fixed number ``{value: x, fixed: true}`` (the number
        ``x``), and the :data:`MONTE_CARLO_SETTINGS` may be given; run settings are ignored.
    source
        Where the values came from, for error messages (usually a file path).

    Raises
    ------
    ParameterError
        With one line per unknown key, wrong type, out-of-range value, bad range or broken rule.
    """
    ignored = set(RUN_SETTINGS) | set(MONTE_CARLO_SETTINGS)
    overrides = {k: v for k, v in values.items() if k not in ignored}
    problems = _reject_non_finite(overrides, source)
    if problems:
        raise ParameterError(problems)
    overrides, dates, problems = _dates_of(schema, overrides, source)
    schedules, placeholders, schedule_problems = _schedules_of(schema, overrides, source)
    problems += schedule_problems
    overrides = {k: v for k, v in overrides.items() if not is_schedule(v)} | placeholders
    ranges = {}
    fixed = {}
    for key, raw in overrides.items():
        if is_fixed(raw) and key in schema.model_fields:
            try:
                fixed[key] = _fixed_of(schema, key, raw)
            except RangeError as error:
                problems.append(Problem(source, key, f"{echo(dict(raw))}: {shorten(str(error), 200)}"))
        elif isinstance(raw, Mapping) and key in schema.model_fields:
            try:
                ranges[key] = _range_of(schema, key, raw)
            except RangeError as error:
                problems.append(Problem(source, key, f"range {echo(dict(raw))}: {shorten(str(error), 200)}"))
    # Ranges enter validation as their point values, fixed drivers as their numbers; unreadable
    # ones (already reported) drop out.
    numbers = {k: v for k, v in overrides.items() if not isinstance(v, Mapping)} | fixed
    points = {k: r.point for k, r in ranges.items()}
    drivers = schema.names_with_role("driver")
    settings, setting_problems = _monte_carlo_settings(values, list(ranges), drivers, source)
    problems += setting_problems
    try:
        params = schema.model_validate({**numbers, **points})
    except ValidationError as error:
        problems += _problems_from(error, schema, source)
    else:
        problems += _draw_months_problems(settings["draws"], params, source)
        params, schedule_problems = _with_schedules(params, schedules, source)
        problems += schedule_problems
    if problems:
        raise ParameterError(problems)
    params = params.with_dates(dates) if dates else params
    return params.with_uncertainty(Uncertainty(ranges, **settings)) if ranges else params


def _dates_of(
    schema: type[ModelParams], overrides: Mapping[str, Any], source: str
) -> tuple[dict[str, Any], dict[str, str], list[Problem]]:
    """The values without their ``as_of`` (:func:`split_as_of`), the dates by key, and bad dates."""
    values, dates, problems = {}, {}, []
    today = current_run_date()
    for key, raw in overrides.items():
        values[key], when = split_as_of(raw)
        if when is None or key not in schema.model_fields:
            continue
        why = date_problem(when, today)
        if why:
            problems.append(Problem(source, key, why))
        else:
            dates[key] = when
    return values, dates, problems


def _schedules_of(
    schema: type[ModelParams], overrides: Mapping[str, Any], source: str
) -> tuple[dict[str, Mapping[str, Any]], dict[str, float], list[Problem]]:
    """The schedules among a file's values, checked but for the horizon, with a number for each.

    Returns
    -------
    tuple
        The schedules (CSV files read), by driver; a placeholder number for each (its first
        value, so that the other values are validated with it); one problem per bad schedule.
    """
    schedules, placeholders, problems = {}, {}, []
    folder = Path(source).parent if source.endswith(".yaml") else Path.cwd()
    for key, raw in overrides.items():
        if not is_schedule(raw) or key not in schema.model_fields:
            continue
        if key not in schema.schedulable():
            can = ", ".join(schema.schedulable()) or "none"
            why = f"{key} cannot follow a schedule; drivers that can: {can}"
            problems.append(Problem(source, key, why))
            continue
        try:
            raw = inline(raw, folder)
            path = monthly_path(raw, *bounds(schema, key), None, _describe(schema, key))
        except ScheduleError as error:
            problems.append(Problem(source, key, str(error)))
            continue
        schedules[key] = raw
        placeholders[key] = float(path[0])
    return schedules, placeholders, problems


def _with_schedules(
    params: ModelParams, schedules: Mapping[str, Mapping[str, Any]], source: str
) -> tuple[ModelParams, list[Problem]]:
    """``params`` whose scheduled drivers read their schedules (each set to its snapshot-month value).

    A schedule is a :class:`~aibm_core.core.linked.LinkedInput` whose seller is the file that
    gives it (``kind="schedule"``); a problem for each schedule longer than the horizon.
    """
    if not schedules:
        return params, []
    schema = type(params)
    horizon = getattr(params, "horizon_months", None)
    inputs, problems = {}, []
    for key, raw in schedules.items():
        try:
            path = monthly_path(raw, *bounds(schema, key), horizon, _describe(schema, key))
        except ScheduleError as error:
            problems.append(Problem(source, key, str(error)))
            continue
        label = f"by {raw.get('by', 'month')}, {len(raw['schedule'])} values"
        inputs[key] = LinkedInput(
            str(raw.get("file") or source or "the parameters"), key, label, path, kind="schedule"
        )
    scheduled = params.with_linked({**params.linked, **inputs})
    snapshot = {key: float(scheduled.value_of(key)) for key in inputs}
    moved = scheduled.vary(**snapshot)
    return moved, problems


def bounds(schema: type[BaseModel], name: str) -> tuple[float | None, float | None]:
    """Inclusive valid range of one numeric field (``None`` where unbounded)."""
    low = high = None
    for rule in schema.model_fields[name].metadata:
        if getattr(rule, "ge", None) is not None:
            low = float(rule.ge)
        if getattr(rule, "gt", None) is not None:
            low = math.nextafter(float(rule.gt), math.inf)
        if getattr(rule, "le", None) is not None:
            high = float(rule.le)
        if getattr(rule, "lt", None) is not None:
            high = math.nextafter(float(rule.lt), -math.inf)
    return low, high


def _range_of(schema: type[ModelParams], key: str, raw: Mapping[str, Any]) -> Range:
    if schema.role_of(key) != "driver" or schema.model_fields[key].annotation is not float:
        raise RangeError(f"only drivers can be ranges; '{key}' is a {schema.role_of(key)}: give a number")
    return parse_range(raw, *bounds(schema, key))


def _fixed_of(schema: type[ModelParams], key: str, raw: Mapping[str, Any]) -> float:
    """The number of ``{value: x, fixed: true}`` (:func:`~aibm_core.core.ranges.fixed_value`) for a driver."""
    if schema.role_of(key) != "driver" or schema.model_fields[key].annotation is not float:
        raise RangeError(
            f"only drivers can be fixed against a range; '{key}' is a {schema.role_of(key)}: give a number"
        )
    return fixed_value(raw)


def _monte_carlo_settings(
    values: Mapping[str, Any], ranged: list[str], drivers: list[str], source: str
) -> tuple[dict[str, Any], list[Problem]]:
    settings = {key: values.get(key, default) for key, default in MONTE_CARLO_SETTINGS.items()}
    problems = []
    for key, high in (("draws", MAX_DRAWS), ("random_seed", 2**63 - 1)):
        value = settings[key]
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high:
            allowed = f"expected an integer 0..{high}"
            problems.append(Problem(source, key, f"value {echo(value)} is not allowed; {allowed}"))
    correlations, messages = check_correlations(settings["correlations"], ranged, drivers)
    problems += [Problem(source, "correlations", message) for message in messages]
    return {
        "draws": settings["draws"],
        "random_seed": settings["random_seed"],
        "correlations": correlations,
    }, problems


def _draw_months_problems(draws: Any, params: BaseModel, source: str) -> list[Problem]:
    """A problem when ``draws`` × the horizon exceeds :data:`MAX_DRAW_MONTHS` (the memory a run needs).

    Parameters
    ----------
    draws
        The ``draws`` setting (left alone when not a valid count: reported already).
    params
        The validated parameters, whose ``horizon_months`` (if any) is the other factor.
    source
        Where the values came from, for the message.

    Returns
    -------
    list of Problem
        None, or one naming the draws, the horizon and the largest draws allowed at that horizon.
    """
    months = getattr(params, "horizon_months", None)
    if isinstance(draws, bool) or not isinstance(draws, int) or not 0 <= draws <= MAX_DRAWS or not months:
        return []
    if draws * int(months) <= MAX_DRAW_MONTHS:
        return []
    why = (
        f"value {draws:_} with horizon_months {int(months)} is {draws * int(months):_} draw-months, "
        f"more than a run's memory allows ({MAX_DRAW_MONTHS:_}); expected at most "
        f"{MAX_DRAW_MONTHS // int(months):_} draws at this horizon"
    )
    return [Problem(source, "draws", why)]


def read_yaml(path: Path, dates: bool = False) -> dict[str, Any]:
    """Read a parameter file strictly and safely (:mod:`aibm_core.core.yaml_loading`).

    With ``dates``, a plain date (``2025-03-03``) is read as its text instead of refused.

    Raises
    ------
    ParameterError
        One line per problem, with its line and column where it has one: a file that is missing,
        not a regular file, over 1 MB, not UTF-8 or not YAML; anchors, aliases, tags, YAML 1.1
        surprises (``036``, ``1:00``, ``1e-2``, ``yes``), duplicate keys, keys that are not
        Python identifiers, an empty file, a document that is not a mapping, or a run setting
        (:data:`RUN_SETTINGS`) written in the file.
    """
    source = str(path)
    try:
        content = load_mapping(Path(path), dates=dates)
    except YamlProblems as error:
        raise ParameterError(
            [Problem(source, p.key, p.message, p.line, p.column) for p in error.problems]
        ) from None
    settings = [key for key in content if key in RUN_SETTINGS]
    if settings:
        why = "a run setting, set by `aibm run`, not a parameter; remove it"
        raise ParameterError([Problem(source, key, why) for key in settings])
    return content


def notebook_parameters(schema: type[ModelParams], namespace: Mapping[str, Any]) -> ModelParams:
    """Validate the assumptions defined in a notebook's namespace (its parameters cell)."""
    names = [*schema.model_fields, *MONTE_CARLO_SETTINGS]
    values = {name: namespace[name] for name in names if name in namespace}
    return validate(schema, values, source="notebook parameters")


def defaults_yaml(schema: type[ModelParams], title: str) -> str:
    """The base parameter file of a model: every default with its unit and meaning.

    Drivers that declare a ``base_range`` are written as that range, with the default as the
    point ``value`` of the base case and the range's source in the comment.
    """
    lines = [
        f"# {title}: base scenario (every assumption at its default; main drivers as ranges).",
        "# Plain papermill YAML. Units and meanings follow each value; sources: `aibm assumptions`.",
        "# A range {low, high} is a 90% interval; `value` is the point the base case uses.",
        "",
    ]
    for name, field in schema.model_fields.items():
        extra = field.json_schema_extra or {}
        comment = f"{extra.get('unit', '')}: {field.description}"
        entry = field.default
        if "base_range" in extra:
            entry = {"value": field.default, **extra["base_range"]}
            comment += f" (range: {extra['range_source']})"
        value = yaml.safe_dump(entry, default_flow_style=True, sort_keys=False).strip().removesuffix("\n...")
        lines.append(f"{name}: {value}  # {comment}")
    if schema.base_correlations:
        lines += ["", "# Rank correlations between ranged drivers (Gaussian copula):"]
        lines.append("correlations:")
        for a, b, rho, source in schema.base_correlations:
            lines.append(f"  - [{a}, {b}, {rho}]  # {source}")
    return "\n".join(lines) + "\n"


def write_defaults_yaml(schema: type[ModelParams], title: str, path: Path) -> bool:
    """Write a model's base parameter file (:func:`defaults_yaml`) unless it already holds it.

    Parameters
    ----------
    schema, title
        The model's assumptions and display title.
    path
        The file, usually ``parameters/base/<model>.yaml``; its folder is created if needed.

    Returns
    -------
    bool
        True when the file was written (it was missing or differed), False when it was current.
    """
    text = defaults_yaml(schema, title)
    path = Path(path)
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True
