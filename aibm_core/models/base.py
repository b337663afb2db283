"""What every business model provides, and the evaluation that ties it together."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

import numpy as np
import pandas as pd

from aibm_core.params import ModelParams
from aibm_core.tree import MetricTree

Layer = Literal["infrastructure", "platform", "application"]


@dataclass(frozen=True)
class MonthlyResult:
    """Base of model results: monthly series (shape draws × months) read at the snapshot month.

    Subclasses are frozen dataclasses with a ``params`` field (a
    :class:`~aibm_core.params.ProjectionParams`) and a ``gross_margin`` series.
    """

    def at(self, name: str) -> np.ndarray | float:
        """Value of a monthly series in the snapshot month (a float for scalar parameters)."""
        series = np.asarray(getattr(self, name))
        value = series[..., int(self.params.snapshot_month) - 1]
        return float(value) if np.ndim(value) == 0 else value


def snapshot_gross_margin(result: MonthlyResult) -> np.ndarray | float:
    """Gross margin in the snapshot month (fraction): every model's reported margin."""
    return result.at("gross_margin")


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
        Result (scalar parameters) -> monthly frame indexed by month.
    what_if
        Assumptions offered as sliders in the what-if panel.
    gross_margin
        Result -> gross margin (fraction) reported for the model; by default the
        ``gross_margin`` series at the snapshot month.
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
    gross_margin: Callable[[Any], Any] = snapshot_gross_margin


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

    def projection(self) -> pd.DataFrame:
        """Monthly projection frame."""
        return self.spec.projection(self.result)

    def projection_summary(self, months: tuple[int, ...] = (1, 12, 24)) -> pd.DataFrame:
        """Selected months of the projection (and the last), one row per series, compactly formatted.

        Series whose name mentions a margin or share are shown as percentages.
        """
        from aibm_core.tree import format_number

        frame = self.projection()
        picked = sorted({m for m in months if m in frame.index} | {int(frame.index[-1])})
        table = frame.loc[picked].T
        table.columns = [f"month {m}" for m in picked]
        percent = table.index.str.contains("margin|share")
        return table.apply(
            lambda column: [
                f"{v:.1%}" if is_percent else format_number(v)
                for v, is_percent in zip(column, percent, strict=True)
            ]
        )

    def kpi_frame(self) -> pd.DataFrame:
        """Key figures: formatted ``value`` for reading, raw ``number`` and ``unit`` for use."""
        from aibm_core.tree import format_value

        rows = [
            {"metric": m.label, "value": format_value(m.value, m.unit), "number": m.value, "unit": m.unit}
            for m in self.kpis.values()
        ]
        return pd.DataFrame(rows).set_index("metric")


def evaluate(spec: ModelSpec, params: ModelParams) -> Evaluation:
    """Compute a model and read its tree and KPIs."""
    result = spec.compute(params)
    return Evaluation(spec, params, result, spec.tree(result), spec.kpis(result))
