"""Metric trees: typed nodes whose values are computed from their drivers.

A tree follows the seeds' frameworks: a north-star metric at the root, input KPIs
in named groups, leading indicators and guardrails. A node with a :class:`Formula`
is computed from other nodes (its operands), so the tree is a driver tree:
change a leaf with :meth:`MetricTree.with_values` and every formula above it follows.
Leaves are either modelled (taken from a model result) or observed (measured
figures supplied as inputs, flagged ``observed=True``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd

Kind = Literal["north_star", "group", "input", "leading", "guardrail"]
Direction = Literal["max", "min"]
Op = Literal["sum", "product", "ratio", "difference", "margin"]

KINDS: tuple[Kind, ...] = ("north_star", "group", "input", "leading", "guardrail")
_SYMBOL = {"sum": " + ", "product": " × ", "ratio": " / ", "difference": " − "}


@dataclass(frozen=True)
class Formula:
    """How a node is computed from its operands.

    ``sum``/``product`` combine all operands; ``ratio`` is a / b, ``difference`` a − b
    and ``margin`` (a − b) / a. The result is multiplied by ``scale``.
    """

    op: Op
    operands: tuple[str, ...]
    scale: float = 1.0

    def apply(self, values: list[float]) -> float:
        """Evaluate the formula on operand values (in operand order)."""
        if self.op == "sum":
            out = sum(values)
        elif self.op == "product":
            out = math.prod(values)
        else:
            a, b = values
            out = {"ratio": lambda: a / b, "difference": lambda: a - b, "margin": lambda: (a - b) / a}[
                self.op
            ]()
        return out * self.scale

    def describe(self, labels: Mapping[str, str]) -> str:
        """The formula in words, e.g. ``Paying customers × Tokens per customer``."""
        names = [labels[o] for o in self.operands]
        text = (
            f"({names[0]} − {names[1]}) / {names[0]}" if self.op == "margin" else _SYMBOL[self.op].join(names)
        )
        return text if self.scale == 1 else f"{text} × {self.scale:g}"


@dataclass(frozen=True)
class Node:
    """One metric in a tree.

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
        Computed or supplied value (``None`` for groups).
    formula
        How the value is computed from other nodes, if it is.
    observed
        True when the value is a measured input rather than an output of the model.
    threshold, direction
        For guardrails and targets: the value must stay ``<= threshold`` (``max``) or
        ``>= threshold`` (``min``).
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

    @property
    def status(self) -> str | None:
        """``ok`` or ``breach`` for nodes with a threshold, else ``None``."""
        if self.threshold is None or self.value is None:
            return None
        ok = self.value <= self.threshold if self.direction == "max" else self.value >= self.threshold
        return "ok" if ok else "breach"


@dataclass(frozen=True)
class MetricTree:
    """A validated tree of :class:`Node` objects, evaluated bottom-up."""

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
        object.__setattr__(self, "_index", index)

    def __getitem__(self, node_id: str) -> Node:
        return self._index[node_id]

    @property
    def root(self) -> Node:
        """The north-star node."""
        return next(n for n in self.nodes if n.parent is None)

    def children(self, node_id: str) -> list[Node]:
        """Direct children of a node, in declaration order."""
        return [n for n in self.nodes if n.parent == node_id]

    def value(self, node_id: str) -> float:
        """Value of one node (after :meth:`evaluate`)."""
        return self._index[node_id].value

    def evaluate(self) -> MetricTree:
        """Return a copy where every formula node is computed from its operands."""
        values = {n.id: None if n.value is None else float(n.value) for n in self.nodes if n.formula is None}
        pending = {n.id: n.formula for n in self.nodes if n.formula is not None}
        while pending:
            ready = [i for i, f in pending.items() if all(o in values for o in f.operands)]
            if not ready:
                raise ValueError(f"formula cycle among {sorted(pending)}")
            for node_id in ready:
                formula = pending.pop(node_id)
                values[node_id] = float(formula.apply([values[o] for o in formula.operands]))
        return replace(self, nodes=tuple(replace(n, value=values[n.id]) for n in self.nodes))

    def with_values(self, **values: float) -> MetricTree:
        """Replace leaf values (never formula nodes) and re-evaluate."""
        for node_id in values:
            if self._index[node_id].formula is not None:
                raise ValueError(f"{node_id!r} is computed by a formula; change its operands")
        nodes = tuple(replace(n, value=values.get(n.id, n.value)) for n in self.nodes)
        return replace(self, nodes=nodes).evaluate()

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
                text += f"  [{node.status.upper()}: limit {sign} {format_value(node.threshold, node.unit)}]"
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


def format_value(value: float | None, unit: str) -> str:
    """Format a value for display according to its unit."""
    if value is None:
        return ""
    if unit.startswith(("fraction", "share")):
        return f"{value:.1%}"
    if unit.startswith("USD"):
        return _money(value) + unit[3:]
    return f"{_compact(value)} {unit}".strip()


def format_number(value: float) -> str:
    """A number in compact form: 1.23K, 4.56M, 7.89B, 1.00T (unit-free)."""
    return _compact(value)


def _compact(value: float) -> str:
    size = abs(value)
    for limit, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if size >= limit:
            return f"{value / limit:,.2f}{suffix}"
    return f"{value:,.2f}" if size < 100 else f"{value:,.0f}"


def _money(value: float) -> str:
    if 0 < abs(value) < 0.01:
        return f"${value:.5f}"
    text = _compact(value)
    return f"-${text[1:]}" if text.startswith("-") else f"${text}"
