"""Sensitivity analysis on the models' array support: sweeps, tornado and Sobol indices.

Every analysis evaluates the model once, on arrays of driver values (one ``spec.compute``
call per sweep, tornado or Sobol analysis), never in a Python loop over values.

- :func:`sweep`: one metric over values of one assumption.
- :func:`what_if_grid`: one metric on every combination of relative moves of a few
  assumptions (the data of a what-if chart whose sliders work in a static report).
- :func:`tornado`: one-at-a-time swings; a driver with a range moves from its P10 to its
  P90, any other by ``±swing`` (relative, clipped to its valid range).
- :func:`sobol_indices` / :func:`model_sobol`: variance-based global sensitivity (first-order
  and total Sobol indices, SALib's Saltelli sampling) over every ranged driver at once.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import lazy_loader as lazy
import numpy as np
import pandas as pd

from aibm_core.core.numeric import round_significant
from aibm_core.core.params import ModelParams, assumption_unit, bounds, clip_to_range
from aibm_core.models.base import COLUMNS_ATTR, MODEL_ATTR, Column, ModelSpec

sobol_analyze = lazy.load("SALib.analyze.sobol", suppress_warning=True)  # imports scipy.stats: about 1 s
sobol_sample = lazy.load("SALib.sample.sobol", suppress_warning=True)

#: A metric read from a model result: one value per draw (or a float for scalar parameters).
MetricFn = Callable[[Any], Any]

#: Quantiles of a ranged driver a tornado bar spans.
TORNADO_QUANTILES = (0.1, 0.9)
#: Label of the tornado rule of a ranged driver.
RANGE_RULE = "P10-P90"
#: Columns of a Sobol frame.
SOBOL_COLUMNS = ["S1", "S1_conf", "ST", "ST_conf"]
#: Largest quantile distance from 0 and 1 used on the unit hypercube (keeps ppf finite).
_EDGE = 1e-12
#: Label and unit of the default metric of a sweep, tornado or what-if grid.
GROSS_MARGIN = Column("gross margin", "fraction")


def _metric_unit(metric: MetricFn | None, unit: str | None) -> str | None:
    """Unit of an analysis' metric: the caller's, else the gross margin's for the default metric
    (``None``, undeclared, for a metric function given without a unit)."""
    if unit is not None:
        return unit
    return GROSS_MARGIN.unit if metric is None else None


def north_star(spec: ModelSpec) -> MetricFn:
    """The north-star metric in the snapshot month, as a metric function of a result.

    Its unit is the model's ``north_star_unit`` (e.g. USD per month of API revenue).
    """
    return lambda result: spec.statement(result).snapshot()["north_star"]


def sweep(
    spec: ModelSpec,
    params: ModelParams,
    name: str,
    values: Sequence[float],
    metric: MetricFn | None = None,
    unit: str | None = None,
) -> pd.DataFrame:
    """Evaluate a metric (default: gross margin) over values of one assumption at once.

    Parameters
    ----------
    spec, params
        The model and its (validated) parameters.
    name
        The assumption swept.
    values
        Its values, in its unit.
    metric
        Result -> metric; default: the gross margin (fraction).
    unit
        Unit of ``metric``; default: ``"fraction"`` for the gross margin, undeclared otherwise.

    Returns
    -------
    pandas.DataFrame
        Columns ``name`` and ``metric``, declared in ``attrs["columns"]`` (the assumption's
        declared unit; the metric's unit when known), as :func:`aibm_core.present.charts.slider_chart`
        reads them.
    """
    metric_unit = _metric_unit(metric, unit)
    label = GROSS_MARGIN.label if metric is None else "metric"
    metric = metric or spec.gross_margin
    grid = np.asarray(values, dtype=float)
    result = spec.compute(params.moved(**{name: grid}))  # a linked driver: its seller's path, scaled
    frame = pd.DataFrame({name: grid, "metric": np.broadcast_to(metric(result), grid.shape)})
    columns = {name: Column(name, assumption_unit(type(params), name))}
    if metric_unit is not None:
        columns["metric"] = Column(label, metric_unit)
    frame.attrs[COLUMNS_ATTR] = {key: column.as_attrs() for key, column in columns.items()}
    frame.attrs[MODEL_ATTR] = spec.name
    return frame


#: Moves of each driver in a what-if grid, in percent of its base value.
WHAT_IF_MOVES = tuple(range(-40, 41, 10))


@dataclass(frozen=True)
class WhatIfGrid:
    """A metric on every combination of relative moves of a few assumptions.

    Attributes
    ----------
    names
        The assumptions moved.
    moves
        The moves, in percent of each assumption's base value (the same for all; 0 among them).
    values
        Each assumption's value at each move, in its unit, clipped to its valid range.
    frame
        One row per combination: ``move_0 .. move_{k-1}`` (percent, integers) and ``metric``.
    units
        Each assumption's declared unit.
    metric_unit
        Unit of the metric (``None`` when the caller's metric came without one).
    """

    names: tuple[str, ...]
    moves: tuple[int, ...]
    values: dict[str, list[float]]
    frame: pd.DataFrame
    units: dict[str, str] = field(default_factory=dict)
    metric_unit: str | None = None


def what_if_grid(
    spec: ModelSpec,
    params: ModelParams,
    names: Sequence[str],
    moves: Sequence[int] = WHAT_IF_MOVES,
    metric: MetricFn | None = None,
    unit: str | None = None,
) -> WhatIfGrid:
    """Evaluate a metric (default: gross margin) on the full grid of moves of ``names``.

    Each assumption takes its base value times ``1 + move / 100`` for every move, clipped to its
    valid range; all ``len(moves) ** len(names)`` combinations go through one model call (9
    moves of 3 drivers: 729 evaluations). The other assumptions keep their values. The grid
    carries each assumption's declared unit and the metric's ``unit`` (default: ``"fraction"``
    for the gross margin).
    """
    if 0 not in moves:
        raise ValueError(f"moves {list(moves)} must include 0 (the base case)")
    metric_unit = _metric_unit(metric, unit)
    metric = metric or spec.gross_margin
    schema = type(params)
    values = {
        name: [clip_to_range(schema, name, float(params.value_of(name)) * (1 + move / 100)) for move in moves]
        for name in names
    }
    index = np.array(list(itertools.product(range(len(moves)), repeat=len(names))), dtype=int)
    varied = {name: np.asarray(values[name])[index[:, i]] for i, name in enumerate(names)}
    result = np.broadcast_to(metric(spec.compute(params.moved(**varied))), (len(index),))
    frame = pd.DataFrame({f"move_{i}": np.asarray(moves)[index[:, i]] for i in range(len(names))})
    frame["metric"] = np.asarray(result, dtype=float)
    units = {name: assumption_unit(schema, name) for name in names}
    return WhatIfGrid(tuple(names), tuple(moves), values, frame, units, metric_unit)


def main_drivers(spec: ModelSpec, params: ModelParams, names: Sequence[str], count: int = 3) -> list[str]:
    """The ``count`` assumptions of ``names`` that move the gross margin most (tornado swing).

    Assumptions that do not move it are left out; ties keep the given order on every CPU (swings
    rounded as the tornado chart ranks them).
    """
    swings = tornado(spec, params, names)
    spans = (swings["high"] - swings["low"]).abs().map(round_significant)
    ranked = swings.assign(span=spans).sort_values("span", ascending=False, kind="stable")
    return ranked.loc[ranked["span"] > 1e-9, "assumption"].head(count).tolist()


def swing_values(params: ModelParams, name: str, swing: float = 0.2) -> tuple[float, float, str]:
    """Low and high value of one driver for a tornado bar, and the rule that gave them.

    Parameters
    ----------
    params
        Validated parameters, possibly carrying ranges.
    name
        The assumption.
    swing
        Relative move (fraction) of an assumption without a range.

    Returns
    -------
    low, high, rule
        In the assumption's unit, clipped to its valid range; ``rule`` is ``"P10-P90"`` for a
        ranged driver (the quantiles of its distribution) or e.g. ``"±20%"`` otherwise.
    """
    schema = type(params)
    ranged = params.uncertainty.ranges.get(name)
    if ranged is not None:
        low, high = (float(v) for v in ranged.distribution().ppf(np.array(TORNADO_QUANTILES)))
        rule = RANGE_RULE
    else:
        value = float(params.value_of(name))
        low, high = value * (1 - swing), value * (1 + swing)
        rule = f"±{swing:.0%}"
    return clip_to_range(schema, name, low), clip_to_range(schema, name, high), rule


def tornado(
    spec: ModelSpec,
    params: ModelParams,
    names: Sequence[str],
    swing: float = 0.2,
    metric: MetricFn | None = None,
    unit: str | None = None,
) -> pd.DataFrame:
    """A metric with each assumption moved on its own to a low and a high value.

    A driver with a range (``params.uncertainty.ranges``) moves to its P10 and P90; any other
    assumption moves ``±swing`` (relative), clipped to its valid range. All moves are
    evaluated in one model call.

    Parameters
    ----------
    spec, params
        The model and its (validated) parameters.
    names
        Assumptions to move.
    swing
        Relative move (fraction) of assumptions without a range.
    metric
        Result -> metric; default: the gross margin (fraction). See also :func:`north_star`.
    unit
        Unit of ``metric``; default: ``"fraction"`` for the gross margin, undeclared otherwise.

    Returns
    -------
    pandas.DataFrame
        One row per assumption, in the given order: ``assumption``, ``low`` and ``high`` (the
        metric at the low and high value), ``base`` (the metric at ``params``), ``rule``
        (``"P10-P90"`` or ``"±20%"``), ``low_value`` and ``high_value`` (the assumption's
        values, in its unit). ``attrs["unit"]`` is the metric's unit when known (what
        :func:`aibm_core.present.charts.tornado_chart` reads).
    """
    metric_unit = _metric_unit(metric, unit)
    frame = _tornado_frame(spec, params, names, swing, metric or spec.gross_margin)
    if metric_unit is not None:
        frame.attrs["unit"] = metric_unit
    return frame


def _tornado_frame(
    spec: ModelSpec, params: ModelParams, names: Sequence[str], swing: float, metric: MetricFn
) -> pd.DataFrame:
    """The rows of :func:`tornado` (two model calls: the base and every move at once).

    A linked driver (another model's price) keeps its seller's path, scaled up or down.
    """
    base = float(np.asarray(metric(spec.compute(params))))
    moves = [swing_values(params, name, swing) for name in names]
    if not moves:
        columns = ["assumption", "low", "high", "base", "rule", "low_value", "high_value"]
        return pd.DataFrame(columns=columns)
    # Row 2i holds assumption i at its low value, row 2i+1 at its high; the others stay put.
    values = {}
    for i, name in enumerate(names):
        column = np.full(2 * len(names), float(params.value_of(name)))
        column[2 * i : 2 * i + 2] = moves[i][:2]
        values[name] = column
    moved = np.broadcast_to(metric(spec.compute(params.moved(**values))), (2 * len(names),))
    rows = [
        {
            "assumption": name,
            "low": float(moved[2 * i]),
            "high": float(moved[2 * i + 1]),
            "base": base,
            "rule": rule,
            "low_value": low,
            "high_value": high,
        }
        for i, (name, (low, high, rule)) in enumerate(zip(names, moves, strict=True))
    ]
    return pd.DataFrame(rows)


def sobol_design(distributions: Mapping[str, Any], n: int = 1024, seed: int = 0) -> dict[str, np.ndarray]:
    """Saltelli's sample of independent inputs, mapped through each distribution's quantiles.

    Parameters
    ----------
    distributions
        Input name -> frozen distribution (anything with ``ppf``, e.g. ``scipy.stats``).
    n
        Base sample size (a power of two); the design has ``n × (inputs + 2)`` rows.
    seed
        Seed of the scrambled Sobol' sequence: the same seed gives the same design.

    Returns
    -------
    dict
        Input name -> values, in ``distributions`` order, each of shape ``(n × (inputs + 2),)``.
    """
    names = list(distributions)
    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    unit = sobol_sample.sample(problem, n, calc_second_order=False, seed=seed)
    unit = np.clip(unit, _EDGE, 1 - _EDGE)
    return {
        name: np.asarray(distributions[name].ppf(unit[:, j]), dtype=float) for j, name in enumerate(names)
    }


def sobol_frame(names: Sequence[str], outputs: np.ndarray, seed: int = 0) -> pd.DataFrame:
    """First-order and total Sobol indices from the outputs of a :func:`sobol_design`.

    Returns a frame indexed by input with columns ``S1``, ``S1_conf``, ``ST``, ``ST_conf``
    (fractions of the output's variance; ``_conf``: half-width of the 95% bootstrap interval).
    An output that does not vary has no variance to share: every index is 0.

    Raises
    ------
    ValueError
        If some outputs are not finite (the indices would be meaningless).
    """
    y = np.asarray(outputs, dtype=float)
    bad = int(np.count_nonzero(~np.isfinite(y)))
    if bad:
        raise ValueError(f"{bad} of {y.size} model outputs are not finite; Sobol indices need finite outputs")
    index = pd.Index(list(names), name="driver")
    if np.ptp(y) <= 1e-12 * max(1.0, float(np.abs(y).max())):
        return pd.DataFrame(0.0, index=index, columns=SOBOL_COLUMNS)
    problem = {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}
    # SALib seeds its bootstrap only when ``seed`` is truthy, and for 0 falls back to numpy's
    # global state; a Generator is always truthy, and gives the same draws as the int seed.
    rng = np.random.default_rng(seed)
    found = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=rng, print_to_console=False)
    return pd.DataFrame(
        {column: np.asarray(found[column], dtype=float) for column in SOBOL_COLUMNS}, index=index
    )


def sobol_indices(
    func: Callable[[dict[str, np.ndarray]], np.ndarray],
    distributions: Mapping[str, Any],
    n: int = 1024,
    seed: int = 0,
) -> pd.DataFrame:
    """First-order and total Sobol indices of a vectorised function of independent inputs.

    The inputs are sampled on the unit hypercube with Saltelli's scheme (SALib, scrambled
    Sobol' sequence) and mapped through each input's quantile function, so any family works.
    The inputs are taken as independent: correlations between them are ignored.

    Parameters
    ----------
    func
        Called once with input name -> array of values; returns an array of outputs of the
        same length.
    distributions
        Input name -> frozen distribution (``ppf`` needed).
    n
        Base sample size (a power of two); ``func`` sees ``n × (inputs + 2)`` points.
    seed
        Seed of the sample and of the bootstrap of the confidence intervals.

    Returns
    -------
    pandas.DataFrame
        Indexed by input, columns ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` (see :func:`sobol_frame`).
    """
    design = sobol_design(distributions, n, seed)
    rows = n * (len(design) + 2)
    return sobol_frame(list(design), np.broadcast_to(func(design), (rows,)), seed)


def _model_design(params: ModelParams, n: int, seed: int) -> dict[str, np.ndarray]:
    """Sobol design of every ranged driver, clipped to each driver's valid range."""
    ranges = params.uncertainty.ranges
    design = sobol_design({name: r.distribution() for name, r in ranges.items()}, n, seed)
    schema = type(params)
    out = {}
    for name, values in design.items():
        low, high = bounds(schema, name)
        out[name] = np.clip(values, -np.inf if low is None else low, np.inf if high is None else high)
    return out


def model_sobol_metrics(
    spec: ModelSpec,
    params: ModelParams,
    metrics: Mapping[str, MetricFn] | None = None,
    n: int = 1024,
    seed: int | None = None,
) -> dict[str, pd.DataFrame]:
    """Sobol indices of several metrics of a model over all its ranged drivers, one model call.

    Parameters
    ----------
    spec, params
        The model and validated parameters carrying ranges.
    metrics
        Label -> metric function; default: ``north star`` (:func:`north_star`) and
        ``gross margin`` (fraction).
    n
        Base sample size (a power of two); the model runs on ``n × (drivers + 2)`` points.
    seed
        Seed of the design; default: the parameters' ``random_seed``.

    Returns
    -------
    dict
        Label -> frame as :func:`sobol_indices` returns; empty frames when the parameters carry
        no ranges. Sobol indices assume independent drivers: the parameters' correlations are
        ignored.
    """
    metrics = metrics or {"north star": north_star(spec), "gross margin": spec.gross_margin}
    if not params.uncertainty.ranges:
        return {label: pd.DataFrame(columns=SOBOL_COLUMNS) for label in metrics}
    seed = params.uncertainty.random_seed if seed is None else seed
    design = _model_design(params, n, seed)
    result = spec.compute(params.vary(**design))
    rows = n * (len(design) + 2)
    return {
        label: sobol_frame(list(design), np.broadcast_to(fn(result), (rows,)), seed)
        for label, fn in metrics.items()
    }


def model_sobol(
    spec: ModelSpec,
    params: ModelParams,
    metric: MetricFn | None = None,
    n: int = 1024,
    seed: int | None = None,
) -> pd.DataFrame:
    """Sobol indices of one metric (default: gross margin) over all ranged drivers.

    Correlations between drivers are ignored (independent inputs); the frame is empty when
    the parameters carry no ranges. See :func:`model_sobol_metrics`.
    """
    frames = model_sobol_metrics(spec, params, {"metric": metric or spec.gross_margin}, n, seed)
    return frames["metric"]
