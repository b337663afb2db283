"""Goal seek: the value of one driver at which a KPI reaches a target.

Each :class:`~aibm_core.models.base.Question` of a model ("which output-token price gives a
50% gross margin?") is answered in two steps: a grid over the driver's whole valid range,
evaluated in one vectorised model call, finds the first interval where the KPI crosses the
target; :func:`scipy.optimize.brentq` then refines the crossing with scalar calls. When the
KPI never crosses the target inside the valid range, the answer says so and on which side
the KPI stays.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import lazy_loader as lazy
import numpy as np
import pandas as pd

from aibm_core.core.params import ModelParams, bounds
from aibm_core.core.tree import format_value
from aibm_core.models.base import ModelSpec, Question

optimize = lazy.load("scipy.optimize", suppress_warning=True)  # about 0.3 s: only Brent's method needs it

#: Points of the bracketing grid.
GRID_POINTS = 257
#: A positive range spanning more than this ratio gets a geometric grid.
GEOMETRIC_RATIO = 100.0
#: Decades a geometric grid spans at most (below, only the lower bound itself is added).
MAX_DECADES = 9.0
#: How far from the target a refined KPI may be (relative to max(1, |target|)) and still
#: count as a solution; larger means the KPI jumps across the target.
TOLERANCE = 1e-6


@dataclass(frozen=True)
class Answer:
    """The answer to one goal-seek question.

    Attributes
    ----------
    question
        The question.
    value
        The driver's value that makes the KPI reach the target (in the driver's unit), or
        ``None`` when there is none in the valid range.
    message
        One line: the answer in words, or why there is none.
    driver_unit, kpi_unit
        Units of the driver and of the KPI (for formatting).
    """

    question: Question
    value: float | None
    message: str
    driver_unit: str = ""
    kpi_unit: str = ""

    @property
    def found(self) -> bool:
        """True when a value was found."""
        return self.value is not None


def kpi_function(spec: ModelSpec, params: ModelParams, question: Question) -> Callable[[object], np.ndarray]:
    """Driver value(s) -> the question's KPI in the snapshot month (same shape as the input)."""

    def kpi(values: object) -> np.ndarray:
        result = spec.compute(params.moved(**{question.driver: values}))
        return np.broadcast_to(
            np.asarray(spec.kpis(result)[question.kpi].value, dtype=float), np.shape(values)
        )

    return kpi


def search_grid(low: float, high: float, points: int = GRID_POINTS) -> np.ndarray:
    """Grid over ``low..high``: geometric for a non-negative range over orders of magnitude, else linear.

    A geometric grid spans at most :data:`MAX_DECADES` decades below ``high`` (so a range
    starting at 0 gets one too); ``low`` itself is always the first point.
    """
    if low >= 0 and high > 0 and (low == 0 or high / low > GEOMETRIC_RATIO):
        start = max(low, high * 10.0**-MAX_DECADES)
        grid = np.geomspace(start, high, points)
        return grid if start == low else np.concatenate([[low], grid])
    return np.linspace(low, high, points)


def driver_limits(params: ModelParams, name: str) -> tuple[float, float]:
    """The driver's valid range; an unbounded side is taken 100× the value's size away."""
    low, high = bounds(type(params), name)
    value = float(params.value_of(name))
    reach = 100.0 * max(abs(value), 1.0)
    return (value - reach if low is None else low), (value + reach if high is None else high)


def _brackets(grid: np.ndarray, gaps: np.ndarray) -> list[tuple[float, float]]:
    """Intervals of the grid where ``gaps`` (KPI − target) changes sign or is zero."""
    left, right = gaps[:-1], gaps[1:]
    finite = np.isfinite(left) & np.isfinite(right)
    crossing = finite & ((np.sign(left) * np.sign(right) < 0) | (left == 0))
    out = [(float(grid[i]), float(grid[i + 1])) for i in np.flatnonzero(crossing)]
    if np.isfinite(gaps[-1]) and gaps[-1] == 0:
        out.append((float(grid[-1]), float(grid[-1])))
    return out


def _no_solution(
    question: Question, label: str, gaps: np.ndarray, limits: tuple[float, float], units: tuple[str, str]
) -> str:
    """Why there is no answer: the KPI stays above or below the target over the whole range."""
    finite = gaps[np.isfinite(gaps)]
    where = f"{format_value(limits[0], units[0])} to {format_value(limits[1], units[0])}"
    if finite.size == 0:
        return f"no solution in the valid range ({where}): the KPI is undefined there"
    side = "above" if finite.min() > 0 else "below"
    edge = finite.min() if side == "above" else finite.max()
    closest = format_value(question.target + float(edge), units[1])
    return (
        f"no solution in the valid range ({where}): {label} stays {side} "
        f"{format_value(question.target, units[1])} (closest: {closest})"
    )


def seek(spec: ModelSpec, params: ModelParams, question: Question, points: int = GRID_POINTS) -> Answer:
    """Answer one question: the driver value at which the KPI equals the target.

    Parameters
    ----------
    spec, params
        The model and its validated (scalar) parameters.
    question
        Driver, KPI key (of ``spec.kpis``) and target (in the KPI's unit).
    points
        Points of the bracketing grid over the driver's valid range.

    Returns
    -------
    Answer
        With the value found on the first crossing from the low end of the range, or ``None``
        and a message saying on which side of the target the KPI stays. A driver the stack
        links (another model's price) keeps its seller's path, scaled: the answer is the
        snapshot-month price the model would need its seller to charge.
    """
    linked = question.driver in params.linked
    kpi = kpi_function(spec, params, question)
    base = spec.kpis(spec.compute(params))[question.kpi]
    units = (_unit(params, question.driver), str(base.unit))
    low, high = driver_limits(params, question.driver)
    grid = search_grid(low, high, points)
    with np.errstate(all="ignore"):
        gaps = kpi(grid) - question.target
    brackets = _brackets(grid, gaps)
    if not brackets:
        message = _no_solution(question, base.label, gaps, (low, high), units)
        return Answer(question, None, message, *units)
    a, b = brackets[0]
    value = a if a == b else _refine(kpi, question.target, a, b)
    with np.errstate(all="ignore"):
        miss = abs(float(kpi(value)) - question.target)
    if not miss <= TOLERANCE * max(1.0, abs(question.target)):
        message = f"the KPI jumps across the target near {format_value(value, units[0])}: no exact solution"
        return Answer(question, None, message, *units)
    more = f" ({len(brackets) - 1} more crossing(s) higher in the range)" if len(brackets) > 1 else ""
    note = " in the snapshot month (the linked seller's price path, scaled)" if linked else ""
    return Answer(question, value, f"{question.driver} = {format_value(value, units[0])}{more}{note}", *units)


def _refine(kpi: Callable[[object], np.ndarray], target: float, a: float, b: float) -> float:
    """Brent's method on one bracket (scalar model calls)."""
    with np.errstate(all="ignore"):
        return float(
            optimize.brentq(lambda x: float(kpi(x)) - target, a, b, xtol=1e-13, rtol=1e-13, maxiter=200)
        )


def _unit(params: ModelParams, name: str) -> str:
    return str((type(params).model_fields[name].json_schema_extra or {}).get("unit", ""))


def answer_all(spec: ModelSpec, params: ModelParams) -> list[Answer]:
    """Answers to every question of the model (``spec.questions``), in order."""
    return [seek(spec, params, question) for question in spec.questions]


def answers_frame(answers: Sequence[Answer]) -> pd.DataFrame:
    """A table of answers: question, driver, target and the answer (formatted) or why none.

    Targets are formatted in the KPI's unit, answers in the driver's unit.
    """
    rows = [
        {
            "question": a.question.label,
            "driver": a.question.driver,
            "target": format_value(a.question.target, a.kpi_unit),
            "answer": format_value(a.value, a.driver_unit) if a.found else a.message,
        }
        for a in answers
    ]
    return pd.DataFrame(rows, columns=["question", "driver", "target", "answer"]).set_index("question")
