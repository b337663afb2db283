"""Chart builders and the offline report conversion."""

from __future__ import annotations

import html
import json
import re

import altair as alt
import nbformat
import pandas as pd
import pytest
import vl_convert as vlc

from aibm_core.analysis.results import results_payload
from aibm_core.models.base import Column
from aibm_core.present import charts
from aibm_core.present.report import WIDGET_MIME, OfflineCharts


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


def test_tornado_axis_domain_does_not_depend_on_the_last_bits_of_a_float():
    """The padded scale domain sits outside the datasets: it is rounded the same way."""

    def spec(low: float) -> dict:
        frame = pd.DataFrame(
            {"assumption": ["a", "b"], "low": [low, 7.5e9], "high": [9.0e9, 8.5e9], "base": [8.0e9] * 2}
        )
        return charts.mimebundle(charts.tornado_chart(frame, "Hardware revenue", "t", unit="USD"))[
            charts.VEGALITE_MIME
        ]

    reference = spec(7046756298.7)
    assert spec(7046756298.7 * (1 + 2e-16)) == reference
    assert spec(7046756298.7 * 1.001) != reference
    domain = reference["layer"][0]["encoding"]["x"]["scale"]["domain"]
    assert all(float(f"{bound:.6g}") == bound for bound in domain)


def test_tornado_ties_keep_their_given_order_on_every_cpu():
    frame = pd.DataFrame(
        {
            "assumption": ["a", "b", "c", "d"],
            "low": [0.5, 0.4, 0.5, 0.45],
            "high": [0.5, 0.6, 0.5 + 1e-17, 0.55],
            "base": [0.5] * 4,
        }
    )
    spec = charts.tornado_chart(frame, "margin", "t", unit="fraction").to_dict()
    assert spec["layer"][0]["encoding"]["y"]["sort"] == ["b", "d", "a", "c"]


# --- helpers: a chart rendered offline by vl-convert, read back as text


def _render(chart_or_spec) -> str:
    spec = chart_or_spec if isinstance(chart_or_spec, dict) else chart_or_spec.to_dict()
    return vlc.vegalite_to_svg(json.dumps(spec))


def _texts(svg: str) -> list[str]:
    """Every visible text of the SVG (labels, titles, legends, read-outs; lines of a text), unescaped."""
    tags = re.findall(r"<(?:text|tspan)\b([^>]*)>([^<]+)<", svg)
    return [html.unescape(text) for attributes, text in tags if 'opacity="0"' not in attributes]


def _group(svg: str, role: str) -> str:
    """The SVG of every mark group with ``role`` (e.g. ``mark-symbol role-mark``), joined."""
    return "".join(re.findall(rf'<g class="{role}[^"]*"[^>]*>(.*?)</g>', svg))


def _marks(svg: str, kind: str) -> list[str]:
    """The drawn items of every ``kind`` data mark (e.g. ``symbol``, ``text``)."""
    return re.findall(r"<(?:path|text)\b[^>]*>", _group(svg, f"mark-{kind} role-mark"))


def _axis_labels(chart) -> list[str]:
    return _texts(_group(_render(chart), "mark-text role-axis-label"))


def _formatted(values: list[float], unit: str) -> list[str]:
    """``values`` as the chart's tooltips and read-outs write them, rendered by Vega."""
    frame = pd.DataFrame({"i": range(len(values)), "v": values})
    chart = charts.with_text(alt.Chart(frame), {"v": unit}).mark_text().encode(y="i:O", text="v_text:N")
    return _texts(_group(_render(chart), "mark-text role-mark"))


# --- bug: compact_svg rounded the chart's own text


def test_compact_svg_rounds_geometry_but_never_text():
    svg = (
        '<svg width="100.123456"><g transform="translate(10.98765,2.5)">'
        '<path d="M0.123456,1.987654L3.5,4.25" stroke-width="1.33333"/>'
        '<text x="5.55555" font-size="11">$0.00260 per request</text>'
        "<title>share 0.12345</title></g></svg>"
    )
    out = charts.compact_svg(svg)
    assert 'width="100.12"' in out and "translate(10.98,2.5)" in out
    assert 'd="M0.12,1.98L3.5,4.25"' in out and 'stroke-width="1.33"' in out and 'x="5.55"' in out
    assert ">$0.00260 per request</text>" in out and "<title>share 0.12345</title>" in out


def test_tree_chart_keeps_small_money_values_exact(api_base):
    svg = charts.mimebundle(charts.tree_chart(api_base.tree))["image/svg+xml"]
    assert any("$0.00260 per request" in text for text in _texts(svg))
    assert not any(text.startswith("$0.00 ") for text in _texts(svg))


def test_tree_nodes_read_in_two_lines_at_most(api_base):
    guardrails = [n.id for n in api_base.tree.nodes if n.kind == "guardrail"]
    tree = api_base.tree.with_risks(dict.fromkeys(guardrails, 0.25))
    spec = charts.tree_chart(tree).to_dict()
    nodes = next(v for v in spec["datasets"].values() if len(v) == len(tree.nodes))
    assert max(len(n["text"]) for n in nodes) == 2  # 2 lines of 13 px fit the 30 px row pitch
    risky = [n for n in nodes if n["risk_text"]]
    assert len(risky) == len(guardrails) > 0
    assert all(n["text"] == [n["label"], f"{n['formatted']} · P(breach) 25%"] for n in risky)


# --- bug: the slider marked two grid points between grid values


def _slider(start: float) -> alt.LayerChart:
    frame = pd.DataFrame({"utilisation": [0.2, 0.4, 0.6, 0.8, 1.0], "metric": [-1.0, 0.0, 0.2, 0.3, 0.5]})
    frame.attrs["columns"] = {  # as sensitivity.sweep declares them
        "utilisation": Column("utilisation", "fraction").as_attrs(),
        "metric": Column("gross margin", "fraction").as_attrs(),
    }
    return charts.slider_chart(
        frame, "utilisation", "metric", "utilisation", "gross margin", "t", start=start
    )


def test_slider_binds_a_range_input_that_reaches_the_start_value():
    spec = _slider(0.75).to_dict()
    (pick,) = spec["params"]
    assert pick["name"] == "pick" and pick["value"] == 0.75
    bind = pick["bind"]
    assert bind["input"] == "range" and (bind["min"], bind["max"]) == (0.2, 1.0)
    assert bind["step"] == pytest.approx(0.01)  # 0.2 + 55 steps = 0.75; the grid step 0.2 would not
    assert _slider(0.6).to_dict()["params"][0]["bind"]["step"] == pytest.approx(0.2)


@pytest.mark.parametrize(
    ("position", "metric", "readout"),
    [
        (0.75, 0.275, "27.5%"),  # between grid points: interpolated, one marker
        (0.6, 0.2, "20.0%"),  # on an interior grid point: one marker, not two
        (0.2, -1.0, "−100.0%"),  # the left end
        (1.0, 0.5, "50.0%"),  # the right end
        (0.3, -0.5, "−50.0%"),
    ],
)
def test_slider_marks_exactly_one_point_at_the_slider_value(position, metric, readout):
    spec = _slider(0.75).to_dict()
    spec["params"][0]["value"] = position  # where the user moved the slider
    svg = _render(spec)
    assert len(_marks(svg, "symbol")) == 1
    assert _texts(_group(svg, "mark-text role-mark")) == [readout]
    assert readout == _formatted([metric], "fraction")[0]


def test_slider_start_outside_the_grid_is_clamped_to_its_end():
    spec = _slider(1.7).to_dict()
    assert spec["params"][0]["value"] == 1.0
    assert len(_marks(_render(spec), "symbol")) == 1


# --- bug: axes read 60,000,000 rather than $60M


def test_axis_and_text_formats_follow_the_unit():
    assert charts.unit_kind("USD per month") == "money" and charts.unit_kind("$") == "money"
    assert charts.unit_kind("fraction per month") == "fraction" and charts.unit_kind("share") == "fraction"
    assert charts.unit_kind("customers") == "number" and charts.unit_kind(None) == "number"
    money = [37_760_000.0, 1.5e9, 12_345.0, 3.25, 0.0026, -2_500_000.0, 0.0]
    assert _formatted(money, "USD per month") == [
        "$37.76M",
        "$1.5B",
        "$12,345",
        "$3.25",
        "$0.00260",
        "−$2.5M",
        "$0.00",
    ]
    assert _formatted([0.412, -0.05, 1.0], "fraction") == ["41.2%", "−5.0%", "100.0%"]
    assert _formatted([1_234_567.0, 8_000.0, 2.5, 0.25], "customers") == ["1.235M", "8,000", "2.5", "0.25"]


def test_money_axes_read_compact_dollars_with_b_for_billions():
    frame = pd.DataFrame({"month": [1, 2, 3], "revenue": [0.0, 6e8, 1.2e9]}).set_index("month")
    labels = _axis_labels(charts.projection_chart(frame, ["revenue"], "t", "USD per month"))
    assert {"$0", "$600M", "$1.2B"} <= set(labels)
    assert not any("G" in label or "," in label for label in labels)
    small = pd.DataFrame({"month": [1, 2], "price": [0.5, 2.0]}).set_index("month")
    assert {"$0", "$0.4", "$1.2", "$2"} <= set(
        _axis_labels(charts.projection_chart(small, ["price"], "t", "USD"))
    )


def test_fraction_and_count_axes():
    frame = pd.DataFrame({"month": [1, 2], "churn": [0.0, 0.5]}).set_index("month")
    assert {"0%", "10%", "50%"} <= set(
        _axis_labels(charts.projection_chart(frame, ["churn"], "t", "fraction"))
    )
    counts = pd.DataFrame({"month": [1, 2], "users": [0.0, 60_000.0]}).set_index("month")
    assert {"0", "20K", "60K"} <= set(_axis_labels(charts.projection_chart(counts, ["users"], "t", "users")))


def test_units_are_never_guessed_from_names():
    assert not hasattr(charts, "guess_unit")
    frame = pd.DataFrame({"assumption": ["price"], "low": [0.4], "high": [0.5], "base": [0.45]})
    with pytest.raises(ValueError, match="declares no unit"):
        charts.tornado_chart(frame, "gross margin", "t")  # a name that sounds like a fraction is not a unit
    sweep = pd.DataFrame({"revenue_price": [1.0, 2.0], "metric": [0.1, 0.2]})
    with pytest.raises(KeyError, match="revenue_price"):
        charts.slider_chart(sweep, "revenue_price", "metric", "price", "gross margin", "t", start=1.0)


# --- bug: tornado axes started at zero


def test_tornado_axis_spans_the_swings_not_zero():
    frame = pd.DataFrame(
        {"assumption": ["price", "volume"], "low": [0.40, 0.44], "high": [0.50, 0.46], "base": [0.45, 0.45]}
    )
    frame.attrs["unit"] = "fraction"  # as sensitivity.tornado declares it
    spec = charts.tornado_chart(frame, "gross margin", "t").to_dict()
    scale = spec["layer"][0]["encoding"]["x"]["scale"]
    assert scale["zero"] is False
    assert scale["domain"] == pytest.approx([0.392, 0.508])  # 0.40..0.50 widened by 8% of 0.10
    rule = spec["layer"][1]
    assert rule["mark"]["type"] == "rule" and spec["datasets"][rule["data"]["name"]] == [{"base": 0.45}]
    labels = _axis_labels(charts.tornado_chart(frame, "gross margin", "t"))
    assert "0%" not in labels and {"40%", "45%", "50%"} <= set(labels)


# --- bug: series and drivers named in code


def test_series_without_a_label_read_as_words_in_the_callers_order(api_base):
    frame = api_base.projection()
    chart = charts.projection_chart(frame, ["gross_profit", "revenue"], "t", "USD", {"revenue": "revenue"})
    spec = chart.to_dict()
    assert spec["encoding"]["color"]["sort"] == ["gross profit", "revenue"]
    legend = _texts(_render(chart))
    assert "gross profit" in legend and "gross_profit" not in legend


def test_tornado_and_sobol_show_drivers_as_words():
    frame = pd.DataFrame({"assumption": ["gpu_hour_cost_usd"], "low": [0.4], "high": [0.5], "base": [0.45]})
    assert "gpu hour cost usd" in _axis_labels(charts.tornado_chart(frame, "gross margin", "t", "fraction"))
    sobol = pd.DataFrame(
        {"S1": [0.5], "S1_conf": [0.01], "ST": [0.6], "ST_conf": [0.01]},
        index=pd.Index(["monthly_churn"], name="driver"),
    )
    assert "monthly churn" in _axis_labels(charts.sobol_chart(sobol, "gross margin", "t"))


def test_waterfall_steps_read_as_words():
    from aibm_core.analysis.attribution import attribute
    from aibm_core.analysis.results import evaluate_scenario
    from aibm_core.models import get_model

    base, bear = (evaluate_scenario("api_access", s).params for s in ("base", "bear"))
    frame = attribute(get_model("api_access"), base, bear)["gross margin"]
    labels = _axis_labels(charts.waterfall_chart(frame, "gross margin", "t", "fraction"))
    assert "annual price decline" in labels and not any("_" in label for label in labels)


def test_stacked_areas_stack_in_the_callers_order():
    frame = pd.DataFrame({"month": [1, 2], "cogs": [1.0, 2.0], "gross_profit": [3.0, 4.0]}).set_index("month")
    chart = charts.stacked_area_chart(frame, ["gross_profit", "cogs"], "t", "USD", {"cogs": "cost"})
    spec = chart.to_dict()
    assert spec["encoding"]["order"]["field"] == "position"
    svg = _render(chart)
    areas = re.findall(r'<path[^>]*aria-label="[^"]*series: ([^;"]+)[^"]*"[^>]*d="M[\d.]+,([\d.]+)', svg)
    top = {series: float(y) for series, y in areas}  # y of the upper edge at month 1
    assert top["gross profit"] > top["cost"]  # lower on the page: at the bottom of the stack


@pytest.mark.parametrize(("position", "anchor"), [(0.3, "start"), (1.0, "end")])
def test_slider_readout_stays_inside_the_plot(position, anchor):
    spec = _slider(position).to_dict()
    (readout,) = re.findall(r'aria-roledescription="text mark"[^>]*text-anchor="(\w+)"', _render(spec))
    assert readout == anchor  # right of the marker on the left half, left of it on the right half
