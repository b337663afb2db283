"""Chart builders and the offline report conversion."""

from __future__ import annotations

import nbformat
import pandas as pd

from aibm_core import charts
from aibm_core.report import WIDGET_MIME, OfflineCharts
from aibm_core.results import results_payload


def test_tree_chart_draws_every_node_with_its_value(api_base):
    bundle = charts.mimebundle(charts.tree_chart(api_base.tree))
    svg = bundle["image/svg+xml"]
    assert svg.startswith("<svg") and svg.count("<text") >= len(api_base.tree.nodes)
    assert "API revenue (MRR)" in svg and "$37.76M per month" in svg
    nodes = next(
        v for k, v in bundle[charts.VEGALITE_MIME]["datasets"].items() if len(v) == len(api_base.tree.nodes)
    )
    assert {n["id"] for n in nodes} == {n.id for n in api_base.tree.nodes}
    assert bundle["text/plain"] == "<chart: API access model metrics>"


def test_tree_chart_columns_never_overlap(api_base):
    spec = charts.tree_chart(api_base.tree).to_dict()
    nodes = next(v for v in spec["datasets"].values() if len(v) == len(api_base.tree.nodes))
    frame = pd.DataFrame(nodes)
    ends = frame["px"] + frame["chars"] * 6.4
    next_column = frame.groupby("x")["px"].first().shift(-1)
    assert (ends < frame["x"].map(next_column).fillna(float("inf"))).all()


def test_projection_chart_plots_each_series(api_base):
    frame = api_base.projection()
    spec = charts.projection_chart(frame, ["revenue", "cogs"], "t", "USD", {"cogs": "cost"}).to_dict()
    rows = next(iter(spec["datasets"].values()))
    assert {r["series"] for r in rows} == {"revenue", "cost"} and len(rows) == 2 * len(frame)


def test_report_conversion_embeds_charts_and_replaces_widgets(api_base):
    nb = nbformat.v4.new_notebook()
    chart = nbformat.v4.new_code_cell()
    chart.outputs = [
        nbformat.v4.new_output("display_data", data=charts.mimebundle(charts.tree_chart(api_base.tree)))
    ]
    widget = nbformat.v4.new_code_cell()
    widget.outputs = [
        nbformat.v4.new_output("display_data", data={WIDGET_MIME: {"model_id": "x"}, "text/plain": "VBox"})
    ]
    nb.cells = [chart, widget]
    converted, _ = OfflineCharts().preprocess(nb, {})
    html = converted.cells[0].outputs[0]["data"]["text/html"]
    assert "vegaEmbed('#chart-0-1'" in html and "<svg" in html and "</script" in html
    assert "</" not in html.split('type="application/json"')[1].split("</script>")[0].replace("<\\/", "")
    assert "JupyterLab" in converted.cells[1].outputs[0]["data"]["text/html"]


def test_results_payload_has_the_documented_fields(api_seed):
    payload = results_payload(api_seed, "seed")
    assert set(payload) >= {
        "model",
        "layer",
        "scenario",
        "north_star",
        "gross_margin",
        "kpis",
        "guardrails",
        "tree",
    }
    assert payload["gross_margin"] == 0.5
    assert payload["north_star"] == {
        "name": "API revenue (MRR)",
        "value": api_seed.tree.root.value,
        "unit": "USD per month",
    }


def test_chart_data_do_not_depend_on_the_last_bits_of_a_float():
    """Two CPUs that disagree in the last bit store the same spec; a 0.1% change still shows."""
    frame = pd.DataFrame({"month": [1, 2], "revenue": [11434812.031633724, 2.5]}).set_index("month")

    def spec(value: float) -> dict:
        changed = frame.copy()
        changed.iloc[0, 0] = value
        return charts.mimebundle(charts.projection_chart(changed, ["revenue"], "t", "USD"))[
            charts.VEGALITE_MIME
        ]

    reference = spec(11434812.031633724)
    assert spec(11434812.031633725) == reference
    assert spec(11434812.031633724 * 1.001) != reference
    ((name, rows),) = reference["datasets"].items()
    assert reference["data"] == {"name": name} and rows[0]["value"] == 11434800.0


def test_tornado_ties_keep_their_given_order_on_every_cpu():
    frame = pd.DataFrame(
        {
            "assumption": ["a", "b", "c", "d"],
            "low": [0.5, 0.4, 0.5, 0.45],
            "high": [0.5, 0.6, 0.5 + 1e-17, 0.55],
            "base": [0.5] * 4,
        }
    )
    spec = charts.tornado_chart(frame, "margin", "t").to_dict()
    assert spec["layer"][0]["encoding"]["y"]["sort"] == ["b", "d", "a", "c"]
