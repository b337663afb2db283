"""Metric trees: formulas, evaluation order, guardrail status and rendering."""

from __future__ import annotations

import numpy as np
import pytest

from aibm_core.core.tree import Formula, MetricTree, Node, format_value


def small_tree(**overrides) -> MetricTree:
    nodes = [
        Node(
            id="revenue",
            label="Revenue",
            kind="north_star",
            unit="USD",
            formula=Formula("product", ("customers", "arpu")),
        ),
        Node(id="drivers", label="Drivers", kind="group", parent="revenue"),
        Node(
            id="customers",
            label="Customers",
            kind="input",
            parent="drivers",
            unit="customers",
            value=overrides.get("customers", 10.0),
        ),
        Node(
            id="arpu",
            label="ARPU",
            kind="input",
            parent="drivers",
            unit="USD",
            formula=Formula("difference", ("list", "discount")),
        ),
        Node(id="list", label="List price", kind="input", parent="arpu", unit="USD", value=5.0),
        Node(id="discount", label="Discount", kind="input", parent="arpu", unit="USD", value=1.0),
        Node(
            id="margin",
            label="Margin",
            kind="guardrail",
            parent="drivers",
            unit="fraction",
            formula=Formula("margin", ("list", "discount")),
            threshold=0.9,
            direction="min",
        ),
        Node(
            id="docs",
            label="Docs views",
            kind="leading",
            parent="drivers",
            unit="views",
            value=3.0,
            observed=True,
        ),
    ]
    return MetricTree("Test", tuple(nodes))


def test_formulas_are_computed_from_operands():
    tree = small_tree()
    assert tree.value("arpu") == 4.0
    assert tree.value("revenue") == 40.0
    assert tree.value("margin") == pytest.approx(0.8)


def test_with_values_propagates_to_the_root():
    assert small_tree().with_values(customers=20.0, discount=0.0).value("revenue") == 100.0


def test_formula_nodes_cannot_be_overwritten():
    with pytest.raises(ValueError, match="computed by a formula"):
        small_tree().with_values(arpu=3.0)


def test_guardrail_status_follows_direction():
    tree = small_tree()
    assert tree["margin"].status == "breach"
    assert tree.with_values(discount=0.25)["margin"].status == "ok"
    assert tree["customers"].status is None


@pytest.mark.parametrize(
    "op, values, expected",
    [
        ("sum", [1, 2, 3], 6),
        ("product", [2, 3, 4], 24),
        ("ratio", [6, 3], 2),
        ("difference", [6, 4], 2),
        ("margin", [10, 4], 0.6),
    ],
)
def test_formula_operations(op, values, expected):
    formula = Formula(op, tuple(f"n{i}" for i in range(len(values))), scale=1.0)
    assert formula.apply(values) == pytest.approx(expected)
    assert Formula(op, formula.operands, scale=2.0).apply(values) == pytest.approx(2 * expected)


@pytest.mark.parametrize(
    "nodes, message",
    [
        (
            (Node(id="a", label="A", kind="north_star"), Node(id="a", label="A", kind="input", parent="a")),
            "duplicate",
        ),
        (
            (Node(id="a", label="A", kind="north_star"), Node(id="b", label="B", kind="north_star")),
            "exactly one root",
        ),
        (
            (Node(id="a", label="A", kind="north_star"), Node(id="b", label="B", kind="input", parent="zzz")),
            "unknown parent",
        ),
        ((Node(id="a", label="A", kind="north_star", formula=Formula("sum", ("zzz",))),), "unknown operand"),
        ((Node(id="a", label="A", kind="north_star", value=1.0, threshold=1.0),), "needs a direction"),
    ],
)
def test_malformed_trees_are_rejected(nodes, message):
    with pytest.raises(ValueError, match=message):
        MetricTree("bad", nodes)


def test_formula_cycles_are_detected():
    nodes = (
        Node(id="a", label="A", kind="north_star", formula=Formula("sum", ("b",))),
        Node(id="b", label="B", kind="input", parent="a", formula=Formula("sum", ("a",))),
    )
    with pytest.raises(ValueError, match="cycle"):
        MetricTree("cyclic", nodes)


def test_text_rendering_shows_structure_values_and_status():
    text = small_tree().to_text()
    assert text.splitlines()[1] == "└─ Revenue: $40.00"
    assert "      ├─ ARPU: $4.00\n      │  ├─ List price: $5.00" in text
    assert "[BREACH: limit >= 90.0%; first breached in month 1, worst 80.0%]" in text
    assert "Docs views: 3 views  (observed)" in text


def test_frame_and_layout():
    tree = small_tree()
    frame = tree.to_frame()
    assert list(frame.index) == [
        "revenue",
        "drivers",
        "customers",
        "arpu",
        "list",
        "discount",
        "margin",
        "docs",
    ]
    assert "= List price − Discount" in frame.at["arpu", "definition"]
    nodes, edges = tree.layout()
    assert len(edges) == len(tree.nodes) - 1
    leaves = nodes[nodes["id"].isin(["customers", "list", "discount", "margin", "docs"])]
    assert sorted(leaves["y"]) == [0, 1, 2, 3, 4]
    arpu = nodes.set_index("id").loc["arpu"]
    assert arpu["y"] == 1.5 and arpu["x"] == 2


def payback_tree(profit, series=None) -> MetricTree:
    nodes = (
        Node(id="root", label="Profit", kind="north_star", unit="USD per month", value=profit),
        Node(id="cost", label="Upfront cost", kind="input", parent="root", unit="USD", value=1200.0),
        Node(
            id="payback",
            label="Payback",
            kind="guardrail",
            parent="root",
            unit="months",
            formula=Formula("payback", ("cost", "root")),
            threshold=24.0,
            direction="max",
        ),
        Node(
            id="share",
            label="Top share",
            kind="guardrail",
            parent="root",
            unit="fraction",
            value=0.2 if series is None else series[..., 0],
            series=series,
            threshold=0.3,
            direction="max",
        ),
    )
    return MetricTree("payback", nodes)


@pytest.mark.parametrize("profit", [0.0, -50.0])
def test_a_payback_that_never_happens_is_never_and_a_breach(profit):
    node = payback_tree(profit)["payback"]
    assert node.value == float("inf") and node.status == "breach"
    assert "Payback: never  [BREACH" in payback_tree(profit).to_text()


def test_payback_on_positive_profit_is_cost_over_profit():
    node = payback_tree(100.0)["payback"]
    assert node.value == 12.0 and node.status == "ok"


def test_guardrail_is_judged_over_the_whole_horizon():
    share = payback_tree(100.0, series=np.array([0.2, 0.25, 0.31, 0.4, 0.29]))["share"]
    assert share.value == 0.2  # the snapshot (month 1 here) is fine...
    assert share.status == "breach"  # ...but months 3 and 4 are not
    assert share.first_breach_month == 3 and share.worst == 0.4


def test_tree_of_draws_gives_percentiles_and_breach_probability():
    profit = np.array([100.0, 50.0, -10.0, 200.0])
    series = np.array([[0.1, 0.2], [0.1, 0.35], [0.5, 0.1], [0.1, 0.1]])
    tree = payback_tree(profit, series=series)
    np.testing.assert_array_equal(tree.value("payback"), [12.0, 24.0, np.inf, 6.0])
    assert tree.draws == 4
    assert tree["payback"].status is None  # a distribution has no single status
    assert tree["payback"].breach_probability == 0.25  # only the draw that never pays back
    assert tree["share"].breach_probability == 0.5  # draws 2 (month 2) and 3 (month 1)
    summary = tree.summary()
    assert summary.loc["root", "mean"] == 85.0
    assert summary.loc["payback", "p50"] == 18.0  # median of 6, 12, 24, inf


def test_non_finite_values_are_formatted_in_words():
    assert format_value(float("inf"), "months") == "never"
    assert format_value(float("inf"), "USD per customer") == "unbounded"
    assert format_value(float("-inf"), "ratio") == "-unbounded"
    assert format_value(float("nan"), "fraction") == "n/a"


def test_a_tree_computes_its_formulas_when_built():
    nodes = (
        Node(id="total", label="Total", kind="north_star", formula=Formula("product", ("a", "b"))),
        Node(id="a", label="A", kind="input", parent="total", value=3.0),
        Node(id="b", label="B", kind="input", parent="total", value=np.array(4.0)),
    )
    built = MetricTree("built", nodes)
    assert built.value("total") == 12.0
    assert isinstance(built.value("b"), float)  # a 0-d array reads as a float
    assert built.evaluate() is built
    assert built.with_values(a=5.0).value("total") == 20.0


def test_nodes_are_built_by_keyword_only():
    with pytest.raises(TypeError):
        Node("a", "A", "north_star")  # type: ignore[misc]
    assert Node(id="a", label="A", kind="north_star").parent is None
