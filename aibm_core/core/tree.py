"""Metric trees: typed nodes whose values are computed from their drivers.

A tree follows the seeds' frameworks: a north-star metric at the root, input KPIs
in named groups, leading indicators and guardrails. A node with a :class:`Formula`
is computed from other nodes (its operands), so the tree is a driver tree:
change a leaf with :meth:`MetricTree.with_values` and every formula above it follows.
Leaves are either modelled (taken from a model result) or observed (measured
figures supplied as inputs, flagged ``observed=True``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from aibm_core.core import formatting
from aibm_core.core.finance import payback_months
from aibm_core.core.numeric import plain, ratio

Kind = Literal["north_star", "group", "input", "leading", "guardrail"]
Direction = Literal["max", "min"]
Op = Literal["sum", "product", "ratio", "difference", "margin", "payback"]

KINDS: tuple[Kind, ...] = ("north_star", "group", "input", "leading", "guardrail")
_SYMBOL = {"sum": " + ", "product": " × ", "ratio": " / ", "difference": " − ", "payback": " / "}

#: Percentiles reported for array-valued (Monte Carlo) nodes.
PERCENTILES = (10, 50, 90)


@dataclass(frozen=True)
class Formula:
    """How a node is computed from its operands.

    ``sum``/``product`` combine all operands; ``ratio`` is a / b, ``difference`` a − b
    and ``margin`` (a − b) / a (a zero denominator gives ±inf by the numerator's sign, NaN
    for 0 / 0: :func:`aibm_core.core.numeric.ratio` with ``at_zero="unbounded"``). ``payback`` is
    a / b when b > 0 and infinite otherwise: an upfront cost ``a`` that a monthly profit
    ``b <= 0`` never earns back; a third operand ``lead`` (months between the spend and the first
    month of profit, e.g. a sales cycle) makes it ``lead + a / b``, counted from the spend. The
    result is multiplied by ``scale``. Operands may be numpy arrays (one value per draw).
    """

    op: Op
    operands: tuple[str, ...]
    scale: float = 1.0

    def apply(self, values: list[Any]) -> Any:
        """Evaluate the formula on operand values (in operand order); arrays broadcast."""
        if self.op == "sum":
            out = functools.reduce(np.add, values)
        elif self.op == "product":
            out = functools.reduce(np.multiply, values)
        elif self.op == "payback":
            out = payback_months(*(np.asarray(v, dtype=float) for v in values))
        else:
            a, b = (np.asarray(v, dtype=float) for v in values)
            if self.op == "ratio":
                out = ratio(a, b, at_zero="unbounded")
            elif self.op == "difference":
                out = a - b
            else:  # margin
                out = ratio(a - b, a, at_zero="unbounded")
        return _plain(np.asarray(out, dtype=float) * self.scale)

    def describe(self, labels: Mapping[str, str]) -> str:
        """The formula in words, e.g. ``Paying customers × Tokens per customer``."""
        names = [labels[o] for o in self.operands]
        text = (
            f"({names[0]} − {names[1]}) / {names[0]}" if self.op == "margin" else _SYMBOL[self.op].join(names)
        )
        if self.op == "payback":
            text = " / ".join(names[:2])
            if len(names) > 2:
                text = f"{names[2]} + {text}"
            text += f" (never when {names[1]} <= 0)"
        return text if self.scale == 1 else f"{text} × {self.scale:g}"


_plain = plain


@dataclass(frozen=True, kw_only=True)
class Node:
    """One metric in a tree; every field is given by name (``Node(id=..., label=..., kind=...)``).

    Attributes
    ----------
    id, label, unit
        Identifier, display name and unit of the value.
    kind
        ``north_star``, ``group`` (a heading without a value), ``input`` (input KPI),
        ``leading`` (leading indicator) or ``guardrail``.
    parent
        Id of the node it hangs from (``None`` for the root).
    definition
        What the metric means; shown in tooltips.
    value
        Computed or supplied value in the snapshot month (``None`` for groups): a float, or
        an array with one value per draw.
    formula
        How the value is computed from other nodes, if it is.
    observed
        True when the value is a measured input rather than an output of the model.
    threshold, direction
        For guardrails and targets: the value must stay ``<= threshold`` (``max``) or
        ``>= threshold`` (``min``).
    series
        For guardrails that move over time: the value in every month of the horizon (last
        axis: months 1..T; leading axes: draws). A guardrail is judged over the whole
        horizon; without a series its value is taken to hold in every month.
    risk
        For guardrails of a scalar (base-case) tree: the probability, from a Monte Carlo run
        over the ranged drivers, that the limit breaks in some month of the horizon.
    """

    id: str
    label: str
    kind: Kind
    parent: str | None = None
    unit: str = ""
    definition: str = ""
    value: float | None = None
    formula: Formula | None = None
    observed: bool = False
    threshold: float | None = None
    direction: Direction | None = None
    series: Any = field(default=None, compare=False)
    risk: float | None = None

    def _months(self) -> np.ndarray:
        """Monthly values (draws × months); the snapshot value as one month when no series."""
        values = self.value if self.series is None else self.series
        array = np.asarray(values, dtype=float)
        return array[..., None] if self.series is None else array

    def _breaching(self) -> np.ndarray:
        """Boolean per month (draws × months): True where the limit is broken.

        The threshold may differ by draw (one value per draw, e.g. a useful life).
        """
        months = self._months()
        limit = np.asarray(self.threshold, dtype=float)
        limit = limit[..., None] if limit.ndim > 0 else limit
        if self.direction == "max":
            return ~(months <= limit)
        return ~(months >= limit)

    @property
    def worst(self) -> Any:
        """Worst value over the horizon (highest for ``max`` limits, lowest for ``min``)."""
        if self.threshold is None or self.value is None:
            return None
        months = self._months()
        return _plain(months.max(axis=-1) if self.direction == "max" else months.min(axis=-1))

    @property
    def first_breach_month(self) -> int | None:
        """First month (1-based) in which the limit is broken; ``None`` if never (scalar trees).

        A guardrail without a monthly series breaks from month 1 when it breaks at all.
        """
        if self.threshold is None or self.value is None:
            return None
        breaching = self._breaching()
        if breaching.ndim > 1:
            raise ValueError(f"{self.id!r} holds draws; use breach_probability")
        return int(np.argmax(breaching)) + 1 if breaching.any() else None

    @property
    def breach_probability(self) -> float | None:
        """Share of draws in which the limit is broken in at least one month."""
        if self.threshold is None or self.value is None:
            return None
        return float(np.mean(self._breaching().any(axis=-1)))

    @property
    def status(self) -> str | None:
        """``ok`` or ``breach`` (in any month of the horizon) for nodes with a threshold.

        ``None`` for nodes without a threshold and for array-valued (Monte Carlo) trees,
        which report :attr:`breach_probability` instead.
        """
        if self.threshold is None or self.value is None or np.ndim(self.value) > 0:
            return None
        return "breach" if self._breaching().any() else "ok"


def gross_margin_floor(
    node_id: str, parent: str, formula: Formula, threshold: Any, series: Any, definition: str = ""
) -> Node:
    """The gross-margin floor guardrail every model carries, judged in every month.

    Parameters
    ----------
    node_id, parent
        Id of the node and of the group it hangs from.
    formula
        How the snapshot margin follows from other nodes (usually a ``margin`` formula).
    threshold
        Lowest acceptable gross margin (fraction), e.g. ``params.min_gross_margin``.
    series
        Gross margin in every month of the horizon (fraction; draws × months).
    definition
        What the margin is measured after, for the tooltip.
    """
    return Node(
        id=node_id,
        label="Gross margin",
        kind="guardrail",
        parent=parent,
        unit="fraction",
        definition=definition,
        formula=formula,
        threshold=threshold,
        direction="min",
        series=series,
    )


def cac_payback_guardrail(
    parent: str,
    cac: str,
    gross_profit: str,
    threshold: Any,
    series: Any,
    *,
    node_id: str = "cac_payback",
    label: str = "CAC payback (on gross profit)",
    kind: Kind = "input",
    payer: str = "customer",
    lead: str | None = None,
) -> Node:
    """The CAC-payback limit: months of gross profit that repay the cost of winning a payer.

    Parameters
    ----------
    parent
        Id of the group it hangs from.
    cac, gross_profit
        Ids of the nodes holding the acquisition cost (USD per payer) and the monthly gross
        profit of one payer (USD per payer per month); a profit ``<= 0`` never repays (``inf``).
    threshold
        Longest acceptable payback (months), e.g. ``params.max_cac_payback_months``.
    series
        Payback in every month of the horizon (months; draws × months).
    node_id, label, kind, payer
        Id, display name, kind (``input`` in the unit economics, or ``guardrail``) and what
        is acquired (``customer``, ``seat``), for the definition.
    lead
        Id of the node holding the months between the acquisition spend and the first billed
        month (a sales cycle), when there is one: the payback then counts from the spend.
    """
    since = " counted from the month the acquisition money is spent" if lead else ""
    return Node(
        id=node_id,
        label=label,
        kind=kind,
        parent=parent,
        unit="months",
        definition=f"Months of a {payer}'s gross profit that repay its acquisition cost{since}",
        formula=Formula("payback", (cac, gross_profit, lead) if lead else (cac, gross_profit)),
        threshold=threshold,
        direction="max",
        series=series,
    )


@dataclass(frozen=True)
class MetricTree:
    """A validated tree of :class:`Node` objects, evaluated bottom-up when it is built.

    Building the tree computes every formula node from its operands (one place, so a
    model's tree builder only lists nodes); :meth:`with_values` builds a new tree, so its
    formulas follow the changed leaves.
    """

    title: str
    nodes: tuple[Node, ...]
    _index: dict[str, Node] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = {}
        for node in self.nodes:
            if node.id in index:
                raise ValueError(f"duplicate node id {node.id!r}")
            if node.kind not in KINDS:
                raise ValueError(f"node {node.id!r}: unknown kind {node.kind!r}")
            index[node.id] = node
        roots = [n.id for n in self.nodes if n.parent is None]
        if len(roots) != 1:
            raise ValueError(f"a tree needs exactly one root, found {roots}")
        for node in self.nodes:
            if node.parent is not None and node.parent not in index:
                raise ValueError(f"node {node.id!r}: unknown parent {node.parent!r}")
            for operand in node.formula.operands if node.formula else ():
                if operand not in index:
                    raise ValueError(f"node {node.id!r}: unknown operand {operand!r}")
            if node.threshold is not None and node.direction is None:
                raise ValueError(f"node {node.id!r}: a threshold needs a direction")
        values = _evaluated_values(self.nodes)
        nodes = tuple(replace(n, value=values[n.id]) for n in self.nodes)
        object.__setattr__(self, "nodes", nodes)
        object.__setattr__(self, "_index", {n.id: n for n in nodes})

    def __getitem__(self, node_id: str) -> Node:
        return self._index[node_id]

    @property
    def root(self) -> Node:
        """The north-star node."""
        return next(n for n in self.nodes if n.parent is None)

    def children(self, node_id: str) -> list[Node]:
        """Direct children of a node, in declaration order."""
        return [n for n in self.nodes if n.parent == node_id]

    def value(self, node_id: str) -> Any:
        """Value of one node: a float, or an array of draws."""
        return self._index[node_id].value

    @property
    def draws(self) -> int | None:
        """Number of draws when node values are arrays (Monte Carlo), else ``None``."""
        sizes = {np.size(n.value) for n in self.nodes if n.value is not None and np.ndim(n.value) > 0}
        return max(sizes) if sizes else None

    def evaluate(self) -> MetricTree:
        """The tree itself: a tree computes its formula nodes when it is built.

        Kept so that older callers still work; a model's tree builder need not call it.
        """
        return self

    def summary(self, percentiles: tuple[float, ...] = PERCENTILES) -> pd.DataFrame:
        """Per node: mean and percentiles over the draws; per guardrail: probability of breach.

        Works for scalar trees too (every percentile equals the value, probabilities are 0 or 1).
        Infinite values (a payback that never happens) count in the percentiles as infinite.
        """
        rows = []
        for n in self._depth_first():
            row: dict[str, Any] = {"id": n.id, "label": n.label, "unit": n.unit}
            if n.value is not None:
                values = np.atleast_1d(np.asarray(n.value, dtype=float))
                with np.errstate(invalid="ignore"):
                    row["mean"] = float(np.mean(values))
                    for q in percentiles:
                        row[f"p{q:g}"] = percentile(values, q)
            if n.threshold is not None and n.value is not None:
                row["breach_probability"] = n.breach_probability
            rows.append(row)
        return pd.DataFrame(rows).set_index("id")

    def with_values(self, **values: float) -> MetricTree:
        """Replace leaf values (never formula nodes) and re-evaluate."""
        for node_id in values:
            if self._index[node_id].formula is not None:
                raise ValueError(f"{node_id!r} is computed by a formula; change its operands")
        nodes = tuple(replace(n, value=values.get(n.id, n.value)) for n in self.nodes)
        return replace(self, nodes=nodes)

    def with_risks(self, probabilities: Mapping[str, float]) -> MetricTree:
        """A copy whose guardrails carry their Monte Carlo breach probabilities (by node id)."""
        nodes = tuple(replace(n, risk=probabilities.get(n.id, n.risk)) for n in self.nodes)
        return replace(self, nodes=nodes)

    def guardrails(self) -> list[Node]:
        """Nodes carrying a threshold, in tree order."""
        return [n for n in self._depth_first() if n.threshold is not None]

    def _depth_first(self) -> Iterable[Node]:
        def walk(node: Node) -> Iterable[Node]:
            yield node
            for child in self.children(node.id):
                yield from walk(child)

        return list(walk(self.root))

    def depth(self, node_id: str) -> int:
        """Distance from the root."""
        depth, node = 0, self._index[node_id]
        while node.parent is not None:
            depth, node = depth + 1, self._index[node.parent]
        return depth

    def definition_of(self, node: Node) -> str:
        """Definition, plus the formula in words when the node is computed."""
        labels = {n.id: n.label for n in self.nodes}
        parts = [node.definition] if node.definition else []
        if node.formula is not None:
            parts.append("= " + node.formula.describe(labels))
        if node.observed:
            parts.append("(observed input)")
        return " ".join(parts)

    def to_frame(self) -> pd.DataFrame:
        """One row per node in depth-first order, with value, status and definition."""
        rows = [
            {
                "id": n.id,
                "label": n.label,
                "kind": n.kind,
                "parent": n.parent,
                "depth": self.depth(n.id),
                "value": n.value,
                "unit": n.unit,
                "formatted": format_value(n.value, n.unit),
                "computed": n.formula is not None,
                "observed": n.observed,
                "threshold": n.threshold,
                "direction": n.direction,
                "status": n.status,
                "worst": n.worst,
                "first_breach_month": n.first_breach_month,
                "risk": n.risk,
                "risk_text": "" if n.risk is None else f"P(breach) {n.risk:.0%}",
                "definition": self.definition_of(n),
            }
            for n in self._depth_first()
        ]
        return pd.DataFrame(rows).set_index("id")

    def to_text(self) -> str:
        """The tree drawn with box characters, values and guardrail status."""
        lines = [self.title]

        def walk(node: Node, prefix: str, last: bool) -> None:
            branch = "└─ " if last else "├─ "
            text = node.label
            if node.value is not None:
                text += f": {format_value(node.value, node.unit)}"
            if node.status:
                sign = "<=" if node.direction == "max" else ">="
                limit = f"limit {sign} {format_value(node.threshold, node.unit)}"
                if node.status == "breach":
                    worst = format_value(node.worst, node.unit)
                    limit += f"; first breached in month {node.first_breach_month}, worst {worst}"
                if node.risk is not None:
                    limit += f"; P(breach) {node.risk:.0%}"
                text += f"  [{node.status.upper()}: {limit}]"
            if node.observed:
                text += "  (observed)"
            lines.append(prefix + branch + text)
            kids = self.children(node.id)
            for i, child in enumerate(kids):
                walk(child, prefix + ("   " if last else "│  "), i == len(kids) - 1)

        walk(self.root, "", True)
        return "\n".join(lines)

    def layout(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Tidy left-to-right layout: node positions and parent-child edges.

        Leaves take consecutive rows; a parent sits at the mean row of its children.
        Returns ``(nodes, edges)`` frames with ``x`` (depth) and ``y`` (row) columns.
        """
        rows: dict[str, float] = {}
        next_row = [0]

        def place(node: Node) -> float:
            kids = self.children(node.id)
            if kids:
                rows[node.id] = float(np.mean([place(k) for k in kids]))
            else:
                rows[node.id] = float(next_row[0])
                next_row[0] += 1
            return rows[node.id]

        place(self.root)
        frame = self.to_frame()
        frame["x"] = frame["depth"]
        frame["y"] = [rows[i] for i in frame.index]
        frame["status"] = frame["status"].fillna("none")
        frame["text"] = [
            label if value == "" else f"{label}: {value}"
            for label, value in zip(frame["label"], frame["formatted"], strict=True)
        ]
        edges = pd.DataFrame(
            [
                {
                    "x": frame.at[n.parent, "x"],
                    "y": frame.at[n.parent, "y"],
                    "x2": frame.at[n.id, "x"],
                    "y2": frame.at[n.id, "y"],
                }
                for n in self.nodes
                if n.parent is not None
            ]
        )
        return frame.reset_index(), edges


def _evaluated_values(nodes: tuple[Node, ...]) -> dict[str, Any]:
    """Every node's value, formula nodes computed bottom-up from their operands.

    Leaves keep their value (a 0-d array becomes a float); a formula node's supplied value is
    replaced by the formula's result. Raises ``ValueError`` on a cycle of formulas.
    """
    values = {n.id: None if n.value is None else _plain(n.value) for n in nodes if n.formula is None}
    pending = {n.id: n.formula for n in nodes if n.formula is not None}
    while pending:
        ready = [i for i, f in pending.items() if all(o in values for o in f.operands)]
        if not ready:
            raise ValueError(f"formula cycle among {sorted(pending)}")
        for node_id in ready:
            formula = pending.pop(node_id)
            values[node_id] = formula.apply([values[o] for o in formula.operands])
    return values


def percentile(values: np.ndarray, q: float) -> float:
    """Linearly interpolated percentile that keeps infinite draws infinite (``inf`` = never).

    ``np.percentile`` gives NaN when it interpolates next to an infinite value; here a step
    towards ``+inf`` (or from ``-inf``) is infinite and equal neighbours are exact.
    """
    ordered = np.sort(np.asarray(values, dtype=float).ravel())
    position = q / 100.0 * (ordered.size - 1)
    low, high = ordered[int(np.floor(position))], ordered[int(np.ceil(position))]
    step = position - np.floor(position)
    if low == high or step == 0:
        return float(low)
    if np.isposinf(high) or np.isneginf(low):
        return float(high if np.isposinf(high) else low)
    return float(low + (high - low) * step)


def format_value(value: float | None, unit: str) -> str:
    """Format a value for display according to its unit (see :mod:`aibm_core.core.formatting`)."""
    return formatting.format_value(value, unit)


def format_number(value: float) -> str:
    """A unit-free number for reading: ``1.2M``, ``12,345``, ``4.5`` (``unbounded`` if infinite)."""
    return formatting.format_value(value, "")
