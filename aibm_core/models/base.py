"""What every business model provides, and the evaluation that ties it together."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

import numpy as np
import pandas as pd

from aibm_core.core import finance, tracing
from aibm_core.core.errors import AibmInputError
from aibm_core.core.formatting import format_bare, is_count
from aibm_core.core.numeric import plain, ratio
from aibm_core.core.params import ModelParams, ProjectionParams
from aibm_core.core.tree import MetricTree, format_value

Layer = Literal["infrastructure", "platform", "application"]

#: The layers of the seeds' revenue pyramid, bottom first (the registry's order).
LAYERS: tuple[str, ...] = ("infrastructure", "platform", "application")


@dataclass(frozen=True)
class MonthlyResult:
    """Base of model results: monthly series (shape draws × months) read at the snapshot month.

    Subclasses are frozen dataclasses with a ``params`` field (a
    :class:`~aibm_core.core.params.ProjectionParams`) and a ``gross_margin`` series.
    """

    def at(self, name: str) -> np.ndarray | float:
        """Value of a monthly series in the snapshot month (a float for scalar parameters)."""
        series = np.asarray(getattr(self, name))
        value = series[..., int(self.params.snapshot_month) - 1]
        return float(value) if np.ndim(value) == 0 else value


def monthly_inputs(params: ModelParams) -> dict[str, np.ndarray]:
    """Every numeric assumption (each role but ``setting``) as a float array of shape draws × 1.

    The trailing month axis lets a driver given as draws broadcast against months. Settings
    (horizon, snapshot month, choices such as a cost basis) are structural and left out: read
    them from ``params`` directly.
    """
    schema = type(params)
    return {
        name: finance.along_months(getattr(params, name))
        for name in schema.model_fields
        if schema.role_of(name) != "setting"
    }


def monthly_result(
    result_type: type[Any],
    params: ModelParams,
    months: np.ndarray,
    series: Mapping[str, Any],
    groups: Mapping[str, Mapping[str, Any]] | None = None,
    **fields: Any,
) -> Any:
    """A result dataclass whose monthly arrays all share one shape (draws × months).

    ``compute`` ends here: every series (and every series of each group, e.g. revenue by
    stream) is broadcast to their common shape with the months, so that a result is array-total: any
    driver given as draws gives every output one row per draw.

    Parameters
    ----------
    result_type
        The model's result dataclass (a :class:`MonthlyResult`).
    params
        The parameters it was computed from.
    months
        Months ``1 .. horizon`` (float array).
    series
        Field name -> monthly array (or a per-draw value with a trailing month axis).
    groups
        Field name -> mapping of named monthly arrays, broadcast like the series.
    **fields
        Other fields passed unchanged.
    """
    groups = groups or {}
    shape = np.broadcast_shapes(
        np.shape(months),
        *(np.shape(x) for x in series.values()),
        *(np.shape(x) for g in groups.values() for x in g.values()),
    )
    full: dict[str, Any] = {k: np.broadcast_to(x, shape) for k, x in series.items()}
    full.update({g: {k: np.broadcast_to(x, shape) for k, x in d.items()} for g, d in groups.items()})
    return result_type(params=params, months=months, **full, **fields)


#: The monthly series every model reports, with the same keys and units in every model:
#: key -> (label, unit). The pyramid comparison and the index read only these.
STATEMENT_SERIES: dict[str, tuple[str, str]] = {
    "revenue": ("Revenue", "USD per month"),
    "cost_of_revenue": ("Cost of revenue", "USD per month"),
    "gross_profit": ("Gross profit", "USD per month"),
    "operating_expenses": ("Operating expenses", "USD per month"),
    "operating_profit": ("Operating profit", "USD per month"),
    "capex": ("Capital expenditure", "USD per month"),
    "volume": ("Volume driver", "see volume_unit"),
    "north_star": ("North-star metric", "see north_star_unit"),
}


@dataclass(frozen=True)
class Statement:
    """The common monthly result of every model (arrays: draws × months).

    Conventions shared by all models, so that layers compare like for like:

    - ``revenue``: net revenue recognised in the month (after discounts).
    - ``cost_of_revenue``: costs that scale with what is delivered (compute, power,
      manufacturing, hosting, depreciation of the delivering assets where the model treats
      it as a cost of revenue).
    - ``operating_expenses``: everything else below gross profit (R&D, sales and marketing,
      G&A, amortisation of training); ``operating_profit`` is therefore EBIT.
    - ``capex``: cash spent in the month on long-lived assets (GPUs, data centres,
      capitalised model training); a cash flow, not the depreciation of it.
    - ``depreciation``: the part of ``cost_of_revenue`` that is depreciation of those assets
      (non-cash; zero for a model whose cost of revenue holds none), so that capex is not
      charged twice when cash and depreciation are combined.
    - ``volume``: the model's volume driver (customers, units or GPUs), a stock or flow as
      ``volume_unit`` says.
    - ``north_star``: the model's north-star metric by month, in ``north_star_unit``.

    Gross and operating profit are derived, so the identities
    ``gross = revenue - cost_of_revenue`` and ``operating = gross - operating_expenses``
    hold by construction.
    """

    revenue: np.ndarray
    cost_of_revenue: np.ndarray
    operating_expenses: np.ndarray
    capex: np.ndarray
    volume: np.ndarray
    volume_label: str
    volume_unit: str
    north_star: np.ndarray
    north_star_label: str
    north_star_unit: str
    snapshot_month: int
    depreciation: np.ndarray | float = 0.0

    @property
    def gross_profit(self) -> np.ndarray:
        """Revenue less cost of revenue (USD per month)."""
        return np.asarray(self.revenue) - np.asarray(self.cost_of_revenue)

    @property
    def operating_profit(self) -> np.ndarray:
        """Gross profit less operating expenses, i.e. EBIT (USD per month)."""
        return self.gross_profit - np.asarray(self.operating_expenses)

    def series(self, key: str) -> np.ndarray:
        """One of :data:`STATEMENT_SERIES` by key (draws × months)."""
        if key not in STATEMENT_SERIES:
            raise KeyError(f"unknown series {key!r}; known: {', '.join(STATEMENT_SERIES)}")
        return np.asarray(getattr(self, key), dtype=float)

    def ratios(self) -> dict[str, np.ndarray]:
        """Gross margin, operating margin and capital intensity (capex / revenue) by month.

        A month without revenue has no margin (NaN), not an infinite one.
        """
        revenue = self.series("revenue")
        return {
            "gross_margin": ratio(self.gross_profit, revenue),
            "operating_margin": ratio(self.operating_profit, revenue),
            "capital_intensity": ratio(self.series("capex"), revenue),
        }

    def horizon_ratios(self) -> dict[str, np.ndarray | float]:
        """The same ratios over the whole horizon: sums of the flows, then the ratio."""
        revenue = self.series("revenue").sum(axis=-1)
        out = {
            "gross_margin": ratio(self.gross_profit.sum(axis=-1), revenue),
            "operating_margin": ratio(self.operating_profit.sum(axis=-1), revenue),
            "capital_intensity": ratio(self.series("capex").sum(axis=-1), revenue),
        }
        return {k: plain(v) for k, v in out.items()}

    def snapshot(self) -> dict[str, np.ndarray | float]:
        """Every series and ratio in the snapshot month (floats for scalar parameters)."""
        i = int(self.snapshot_month) - 1
        values = {key: self.series(key)[..., i] for key in STATEMENT_SERIES}
        values.update({key: ratio[..., i] for key, ratio in self.ratios().items()})
        return {k: float(v) if np.ndim(v) == 0 else v for k, v in values.items()}


@dataclass(frozen=True)
class Column:
    """How a column of a monthly frame reads: its label, its unit and its display scale.

    The value shown is the stored value times ``scale``, in ``unit``: ``tokens_b``, stored in
    billions, is ``Column("Tokens processed", "tokens per month", 1e9)``.

    Attributes
    ----------
    label
        Name in words, e.g. ``"Cost of revenue"``.
    unit
        Unit of the value after scaling, e.g. ``"USD per month"``, ``"fraction"``; ``""`` for
        a plain number.
    scale
        Factor from the stored value to ``unit``.
    """

    label: str
    unit: str
    scale: float = 1.0

    def as_attrs(self) -> dict[str, Any]:
        """The column as plain data for ``DataFrame.attrs`` (``label``, ``unit``, ``scale``)."""
        return {"label": self.label, "unit": self.unit, "scale": float(self.scale)}


#: Key of ``DataFrame.attrs`` holding the declared columns: name -> ``Column.as_attrs()``.
COLUMNS_ATTR = "columns"
#: Key of ``DataFrame.attrs`` naming the model whose frame it is (for error messages).
MODEL_ATTR = "model"


def declare_columns(frame: pd.DataFrame, columns: Mapping[str, Column], model: str) -> pd.DataFrame:
    """Attach the declaration of every column of ``frame`` to its ``attrs``, in place.

    ``frame.attrs["columns"]`` becomes ``{name: {"label", "unit", "scale"}}`` for the
    columns present, and ``frame.attrs["model"]`` names the model. pandas keeps ``attrs``
    through selection, ``round``, ``loc``/``iloc``, arithmetic and ``melt``; it drops them
    when a new frame is built from the data (``pd.DataFrame(frame)``, ``join`` or ``concat``
    with a frame without the same attrs), so declare after joining.

    Parameters
    ----------
    frame
        A model's monthly frame.
    columns
        Column name -> its :class:`Column`; may declare more columns than ``frame`` has.
    model
        Name of the model, e.g. ``"api_access"``.

    Returns
    -------
    pandas.DataFrame
        ``frame`` itself.

    Raises
    ------
    KeyError
        If some column of ``frame`` is not declared (naming the model and the columns).
    """
    missing = [str(name) for name in frame.columns if name not in columns]
    if missing:
        raise KeyError(
            f"{model}: projection column(s) {', '.join(missing)} have no declared label and unit "
            "(add them to the model's projection columns)"
        )
    frame.attrs[COLUMNS_ATTR] = {str(name): columns[name].as_attrs() for name in frame.columns}
    frame.attrs[MODEL_ATTR] = model
    return frame


def column_info(frame: pd.DataFrame, column: str) -> tuple[str, str, float]:
    """Declared label, unit and scale of a column: ``cogs`` -> ``("Cost of revenue", "USD per month", 1.0)``.

    Read from ``frame.attrs["columns"]``, which the model's projection declares
    (:func:`declare_columns`); nothing is guessed from the column's name.

    Parameters
    ----------
    frame
        A frame carrying column declarations (a projection, or a selection of one).
    column
        The column.

    Returns
    -------
    tuple
        ``(label, unit, scale)``: the value shown is the stored value times ``scale``, in ``unit``.

    Raises
    ------
    KeyError
        If the frame declares no such column (naming the model, when known, and the column).
    """
    declared = frame.attrs.get(COLUMNS_ATTR) or {}
    info = declared.get(str(column))
    if info is None:
        model = frame.attrs.get(MODEL_ATTR) or "frame"
        where = (
            "its frame declares no columns (frame.attrs['columns'] was dropped or never set)"
            if not declared
            else "not among its declared columns"
        )
        raise KeyError(f"{model}: column {column!r} has no declared label and unit: {where}")
    return str(info["label"]), str(info["unit"]), float(info.get("scale", 1.0))


def _whole(value: float) -> float:
    """A count rounded to a whole number (half away from zero); NaN and infinities as they are."""
    x = float(value)
    return math.copysign(math.floor(abs(x) + 0.5), x) + 0.0 if math.isfinite(x) else x


def column_units(frame: pd.DataFrame, columns: Sequence[str] | None = None) -> dict[str, str]:
    """Declared unit of each column (default: every column of ``frame``), see :func:`column_info`."""
    names = list(frame.columns) if columns is None else list(columns)
    return {str(name): column_info(frame, name)[1] for name in names}


def heading(label: str, unit: str, percent: bool = False) -> str:
    """A heading with its unit in brackets: ``Revenue (USD per month)``.

    With ``percent`` a fraction's unit reads ``%`` (for values shown as percentages).
    """
    if not unit:
        return label
    shown = "%" + unit[len("fraction") :] if percent and unit.startswith("fraction") else unit
    return f"{label} ({shown})"


def snapshot_gross_margin(result: MonthlyResult) -> np.ndarray | float:
    """Gross margin in the snapshot month (fraction): every model's reported margin."""
    return result.at("gross_margin")


@dataclass(frozen=True)
class Question:
    """A goal-seek question a strategist asks of a model.

    "Which value of ``driver`` makes KPI ``kpi`` equal ``target`` in the snapshot month?",
    e.g. the output-token price that gives a 50% gross margin.
    """

    label: str
    driver: str
    kpi: str
    target: float


class Metric(NamedTuple):
    """A labelled figure with its unit."""

    label: str
    value: float
    unit: str


@dataclass(frozen=True)
class ModelSpec:
    """A business model: its schema, its computation and how to read its result.

    Attributes
    ----------
    name, title, layer
        Identifier (also the notebook and parameter-file stem), display title and
        layer of the seeds' revenue pyramid.
    params
        Pydantic schema of the assumptions (defaults = base scenario).
    compute
        Pure function: validated parameters -> result dataclass (arrays allowed).
    tree
        Result (scalar parameters) -> evaluated :class:`MetricTree`.
    kpis
        Result -> key figures by name.
    projection
        Result (scalar parameters) -> monthly frame indexed by month, each column declared
        (label, unit, scale) in ``attrs["columns"]`` (:func:`declare_columns`).
    what_if
        Assumptions offered as sliders in the what-if panel.
    statement
        Result -> :class:`Statement`, the common monthly series every model reports.
    gross_margin
        Result -> gross margin (fraction) reported for the model; by default the
        ``gross_margin`` series at the snapshot month.
    questions
        Goal-seek questions the notebook and the results answer (see :class:`Question`).
    primary_revenue, unit_focus
        How the model earns and what its unit economics turn on, in a few words (the columns
        of seed 000's key-differences table, shown by the pyramid comparison).
    """

    name: str
    title: str
    layer: Layer
    params: type[ModelParams]
    compute: Callable[[Any], Any]
    tree: Callable[[Any], MetricTree]
    kpis: Callable[[Any], dict[str, Metric]]
    projection: Callable[[Any], pd.DataFrame]
    what_if: tuple[str, ...]
    statement: Callable[[Any], Statement]
    gross_margin: Callable[[Any], Any] = snapshot_gross_margin
    questions: tuple[Question, ...] = ()
    primary_revenue: str = ""
    unit_focus: str = ""


@dataclass(frozen=True)
class Evaluation:
    """One model evaluated on one parameter set (scalar parameters)."""

    spec: ModelSpec
    params: ModelParams
    result: Any
    tree: MetricTree
    kpis: dict[str, Metric]

    @property
    def gross_margin(self) -> float:
        """Gross margin (fraction)."""
        return float(self.spec.gross_margin(self.result))

    @property
    def statement(self) -> Statement:
        """The common monthly series (revenue, costs, profit, capex, volume, north star)."""
        return self.spec.statement(self.result)

    def projection(self) -> pd.DataFrame:
        """Monthly projection frame; ``attrs["columns"]`` declares each column's label, unit and scale."""
        return self.spec.projection(self.result)

    def projection_summary(self, months: tuple[int, ...] = (1, 12, 24)) -> pd.DataFrame:
        """Selected months of the projection (and the last), one row per series, formatted.

        Rows are labelled in words with their declared unit (:func:`column_info`), e.g.
        ``Cost of revenue (USD per month)``; every value goes through
        :mod:`aibm_core.core.formatting` (``$37.76M``, ``50.0%``, ``12,345``, ``$0``). Counts
        (:func:`~aibm_core.core.formatting.is_count`: customers, contracts, GPUs) are shown as
        whole numbers, as the exported workbook shows them.
        """
        frame = self.projection()
        picked = sorted({m for m in months if m in frame.index} | {int(frame.index[-1])})
        rows = {}
        for column in frame.columns:
            label, unit, scale = column_info(frame, column)
            shown = _whole if is_count(unit) else float
            values = [format_bare(shown(frame.at[m, column] * scale), unit) for m in picked]
            rows[heading(label, unit, percent=True)] = values
        table = pd.DataFrame.from_dict(rows, orient="index", columns=[f"month {m}" for m in picked])
        table.index.name = "series"
        return table

    def kpi_frame(self) -> pd.DataFrame:
        """Key figures: formatted ``value`` for reading, raw ``number`` and ``unit`` for use."""
        rows = [
            {"metric": m.label, "value": format_value(m.value, m.unit), "number": m.value, "unit": m.unit}
            for m in self.kpis.values()
        ]
        return pd.DataFrame(rows).set_index("metric")


class ModelSpecError(AibmInputError):
    """A model whose :class:`ModelSpec` breaks the contract; ``problems`` lists every reason."""

    problems: list[str]

    def __init__(self, name: str, problems: list[str]):
        lines = "\n".join(f"  {problem}" for problem in problems)
        super().__init__(problems, f"model {name!r} cannot be registered:\n{lines}")


def spec_problems(spec: ModelSpec, package: str | None = None) -> list[str]:
    """Every way a model's spec breaks the contract the library relies on (empty when none).

    Checks that the name is a Python name equal to its package's (so the notebook and
    parameter files ``<name>.ipynb``/``<name>.yaml`` are found), the layer is one of
    :data:`LAYERS`, the schema projects month by month (:class:`ProjectionParams`), the
    functions are callable, every ``what_if`` slider and question driver is a ``driver`` of
    the schema, and every question's KPI is one of the model's KPIs at the defaults.

    Parameters
    ----------
    spec
        The model's spec.
    package
        The last part of the package name the spec was found in (``None``: not checked).
    """
    problems: list[str] = []
    if not (isinstance(spec.name, str) and spec.name.isidentifier() and spec.name == spec.name.lower()):
        problems.append(f"name {spec.name!r}: use a lower-case Python name, e.g. 'my_model'")
    elif package is not None and spec.name != package:
        problems.append(f"name {spec.name!r} differs from its package {package!r}: make them equal")
    if spec.layer not in LAYERS:
        problems.append(f"layer {spec.layer!r}: expected one of {', '.join(LAYERS)}")
    if not (isinstance(spec.params, type) and issubclass(spec.params, ProjectionParams)):
        problems.append("params must be a ProjectionParams subclass (horizon and snapshot month)")
        return problems
    for field in ("compute", "tree", "kpis", "projection", "statement", "gross_margin"):
        if not callable(getattr(spec, field)):
            problems.append(f"{field} must be a function of the result")
    fields = spec.params.model_fields

    def driver_problem(name: str, where: str) -> str | None:
        if name not in fields:
            return f"{where} {name!r} is not an assumption of {spec.params.__name__}"
        role = spec.params.role_of(name)
        return None if role == "driver" else f"{where} {name!r} is a {role}, not a driver"

    if len(set(spec.what_if)) != len(spec.what_if):
        problems.append("what_if names a driver twice")
    problems += [p for name in spec.what_if if (p := driver_problem(name, "what_if")) is not None]
    for question in spec.questions:
        problem = driver_problem(question.driver, f"question {question.label!r}: driver")
        if problem is not None:
            problems.append(problem)
        if not np.isfinite(question.target):
            problems.append(f"question {question.label!r}: target {question.target!r} must be finite")
    if spec.questions and not problems:
        kpis = spec.kpis(spec.compute(spec.params()))
        problems += [
            f"question {q.label!r}: KPI {q.kpi!r} is not one of the model's KPIs ({', '.join(kpis)})"
            for q in spec.questions
            if q.kpi not in kpis
        ]
    return problems


def check_spec(spec: ModelSpec, package: str | None = None) -> ModelSpec:
    """The spec itself when it keeps the contract; else :class:`ModelSpecError` listing why."""
    problems = spec_problems(spec, package)
    if problems:
        raise ModelSpecError(str(spec.name), problems)
    return spec


def evaluate(spec: ModelSpec, params: ModelParams) -> Evaluation:
    """Compute a model and read its tree and KPIs."""
    tracing.record("evaluate", spec.name, params)
    result = spec.compute(params)
    return Evaluation(spec, params, result, spec.tree(result), spec.kpis(result))
