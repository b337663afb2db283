"""Altair chart builders and the one function notebooks use to show a chart.

:func:`show` emits a static SVG (rendered offline by vl-convert, shown by JupyterLab
and compared by nbval) together with the Vega-Lite spec, which the HTML report turns
into an interactive chart with tooltips using an inlined copy of Vega.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd
import vl_convert as vlc
from IPython.display import display

from aibm_core.tree import MetricTree

#: Mimetype that carries the Vega-Lite spec in notebook outputs.
VEGALITE_MIME = f"application/vnd.vegalite.v{alt.SCHEMA_VERSION.lstrip('v').split('.')[0]}+json"

KIND_COLOURS = {
    "north_star": "#1f4e79",
    "group": "#9e9e9e",
    "input": "#2e86c1",
    "leading": "#7d3c98",
    "guardrail": "#d68910",
}
STATUS_COLOURS = {"ok": "#1e8449", "breach": "#c0392b", "none": "#ffffff"}


#: Significant digits kept in chart data. Charts and their tooltips show at most four, and
#: six keep any real change to a model (0.01% and up) visible to a strict notebook
#: comparison, while the last-bit differences between CPUs (numpy's SIMD kernels, about
#: 1e-15 relative) never reach them.
CHART_DIGITS = 6


#: Below this size a float in chart data is taken as zero: a difference of two nearly equal
#: numbers (a Sobol index of a driver that does not matter) is noise around 1e-16 whose sign
#: differs between CPUs.
CHART_ZERO = 1e-12


def round_significant(value: Any, digits: int = CHART_DIGITS) -> Any:
    """A float rounded to ``digits`` significant digits (0.0 below :data:`CHART_ZERO`)."""
    if isinstance(value, float) and math.isfinite(value):
        return 0.0 if abs(value) < CHART_ZERO else float(f"{value:.{digits}g}")
    return value


def portable_spec(spec: dict[str, Any], digits: int = CHART_DIGITS) -> dict[str, Any]:
    """A Vega-Lite spec whose data do not depend on the CPU that computed them.

    Every float in the inline datasets is rounded to ``digits`` significant digits and each
    dataset is renamed after a hash of its rounded rows (Altair names datasets after a
    hash of the raw data, so one differing last bit would otherwise rename it).
    """
    datasets = spec.get("datasets", {})
    renames = {}
    rounded = {}
    for name, rows in datasets.items():
        rows = [{k: round_significant(v, digits) for k, v in row.items()} for row in rows]
        digest = hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()[:32]
        renames[name] = f"data-{digest}"
        rounded[renames[name]] = rows
    text = json.dumps({k: v for k, v in spec.items() if k != "datasets"})
    for old, new in renames.items():
        text = text.replace(f'"{old}"', f'"{new}"')
    out = json.loads(text)
    if rounded:
        out["datasets"] = rounded
    return out


def mimebundle(chart: alt.TopLevelMixin) -> dict[str, object]:
    """SVG, Vega-Lite spec and a text fallback for one chart (data rounded: :func:`portable_spec`)."""
    spec = portable_spec(chart.to_dict())
    title = spec.get("title", "")
    title = title.get("text", "") if isinstance(title, dict) else title
    return {
        "image/svg+xml": compact_svg(vlc.vegalite_to_svg(json.dumps(spec))),
        VEGALITE_MIME: spec,
        "text/plain": f"<chart: {title}>" if title else "<chart>",
    }


def compact_svg(svg: str) -> str:
    """Drop per-mark aria labels and round coordinates to 0.01 px (smaller stored notebooks)."""
    svg = re.sub(r' aria-label="[^"]*"', "", svg)
    return re.sub(r"(\d+\.\d{2})\d+", r"\1", svg)


def show(chart: alt.TopLevelMixin) -> None:
    """Display a chart so that it renders offline in JupyterLab and in reports."""
    display(mimebundle(chart), raw=True)


def tree_chart(tree: MetricTree, char_px: float = 6.4) -> alt.LayerChart:
    """The metric tree drawn left to right: nodes coloured by kind, ringed by status.

    Each depth gets a column as wide as its longest label, so labels never overlap
    the next column.
    """
    nodes, edges = tree.layout()
    nodes["text"] = [
        [line for line in (label, value, risk) if line]
        for label, value, risk in zip(nodes["label"], nodes["formatted"], nodes["risk_text"], strict=True)
    ]
    nodes["chars"] = nodes["text"].apply(lambda lines: max(len(line) for line in lines))
    widths = nodes.groupby("x")["chars"].max() * char_px + 40.0
    offsets = widths.cumsum().shift(fill_value=0.0)
    nodes["px"] = nodes["x"].map(offsets)
    label_end = dict(
        zip(
            zip(nodes["x"], nodes["y"], strict=True), nodes["px"] + nodes["chars"] * char_px + 12, strict=True
        )
    )
    edges["px"] = [label_end[(x0, y0)] for x0, y0 in zip(edges["x"], edges["y"], strict=True)]
    edges["px2"] = edges["x2"].map(offsets) - 6
    total = float(offsets.iloc[-1] + widths.iloc[-1])
    rows = int(nodes["y"].max()) + 1
    x = alt.X("px:Q", scale=alt.Scale(domain=[-8, total]), axis=None)
    y = alt.Y("y:Q", scale=alt.Scale(domain=[-0.5, rows - 0.5], reverse=True), axis=None)
    lines = alt.Chart(edges).mark_rule(color="#b0b0b0").encode(x=x, y=y, x2="px2:Q", y2="y2:Q")
    tooltip = [
        alt.Tooltip("label:N", title="metric"),  # text is a list of lines; tooltips use the parts
        alt.Tooltip("formatted:N", title="value"),
        alt.Tooltip("kind:N"),
        alt.Tooltip("status:N"),
        alt.Tooltip("risk_text:N", title="Monte Carlo"),
        alt.Tooltip("definition:N"),
    ]
    points = (
        alt.Chart(nodes)
        .mark_point(filled=True, size=140, strokeWidth=3)
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                "kind:N",
                scale=alt.Scale(domain=list(KIND_COLOURS), range=list(KIND_COLOURS.values())),
                legend=alt.Legend(title="node kind", orient="bottom"),
            ),
            stroke=alt.Stroke(
                "status:N",
                scale=alt.Scale(domain=list(STATUS_COLOURS), range=list(STATUS_COLOURS.values())),
                legend=alt.Legend(title="guardrail", orient="bottom"),
            ),
            shape=alt.Shape(
                "observed:N",
                scale=alt.Scale(domain=[False, True], range=["circle", "diamond"]),
                legend=alt.Legend(title="observed input", orient="bottom"),
            ),
            tooltip=tooltip,
        )
    )
    labels = (
        alt.Chart(nodes)
        .mark_text(align="left", dx=9, fontSize=11, lineHeight=13, baseline="middle")
        .encode(
            x=x,
            y=y,
            text="text:N",
            tooltip=tooltip,
            color=alt.condition("datum.status == 'breach'", alt.value("#c0392b"), alt.value("#222222")),
        )
    )
    return (lines + points + labels).properties(
        width=round(total), height=max(200, 30 * rows), title=tree.title
    )


def projection_chart(
    frame: pd.DataFrame, columns: Sequence[str], title: str, unit: str, labels: dict[str, str] | None = None
) -> alt.Chart:
    """Monthly lines of several columns of a projection frame (index: month)."""
    return _monthly_chart(frame, columns, title, unit, labels, alt.Chart.mark_line, stack=False)


def stacked_area_chart(
    frame: pd.DataFrame, columns: Sequence[str], title: str, unit: str, labels: dict[str, str] | None = None
) -> alt.Chart:
    """Monthly stacked areas, e.g. revenue split into cost and profit."""
    return _monthly_chart(frame, columns, title, unit, labels, alt.Chart.mark_area, stack=True)


def _monthly_chart(frame, columns, title, unit, labels, mark, stack: bool) -> alt.Chart:
    long = (
        frame[list(columns)]
        .rename(columns=labels or {})
        .reset_index()
        .melt(id_vars="month", var_name="series", value_name="value")
    )
    chart = alt.Chart(long)
    return (
        mark(chart, **({"opacity": 0.85} if stack else {}))
        .encode(
            x=alt.X("month:Q", title="month"),
            y=alt.Y("value:Q", title=unit, **({"stack": True} if stack else {})),
            color=alt.Color("series:N", title=None, legend=alt.Legend(orient="bottom")),
            tooltip=["month:Q", "series:N", alt.Tooltip("value:Q", format=",.4~s")],
        )
        .properties(width=680, height=260, title=title)
    )


def fan_chart(
    fans: dict[str, pd.DataFrame], title: str, unit: str, base: pd.DataFrame | None = None
) -> alt.LayerChart:
    """Monte Carlo fan chart: a P10-P90 band and the P50 line per series, by month.

    Parameters
    ----------
    fans
        Series label -> frame indexed by month with columns ``p10``, ``p50``, ``p90``.
    title, unit
        Chart title and the y-axis unit.
    base
        Optional base-case values by month (columns: series labels), drawn dashed.
    """
    long = pd.concat(
        [fan.reset_index().assign(series=label) for label, fan in fans.items()], ignore_index=True
    )
    x = alt.X("month:Q", title="month")
    colour = alt.Color("series:N", title=None, legend=alt.Legend(orient="bottom"))
    band = (
        alt.Chart(long)
        .mark_area(opacity=0.25)
        .encode(x=x, y=alt.Y("p10:Q", title=unit), y2="p90:Q", color=colour)
    )
    tooltip = ["month:Q", "series:N"] + [alt.Tooltip(f"{q}:Q", format=",.4~s") for q in ("p10", "p50", "p90")]
    median = alt.Chart(long).mark_line().encode(x=x, y="p50:Q", color=colour, tooltip=tooltip)
    layers = [band, median]
    if base is not None:
        points = base.reset_index().melt(id_vars="month", var_name="series", value_name="base case")
        layers.append(
            alt.Chart(points)
            .mark_line(strokeDash=[4, 3], opacity=0.8)
            .encode(x=x, y="base case:Q", color=colour)
        )
    subtitle = "band: P10-P90 of the Monte Carlo draws; line: P50" + (
        "; dashed: base case" if base is not None else ""
    )
    return alt.layer(*layers).properties(
        width=680, height=260, title=alt.TitleParams(title, subtitle=subtitle)
    )


def tornado_chart(frame: pd.DataFrame, metric_label: str, title: str) -> alt.Chart:
    """Sensitivity bars: ``frame`` has columns assumption, low, high, base."""
    long = frame.melt(
        id_vars=["assumption", "base"], value_vars=["low", "high"], var_name="case", value_name="value"
    )
    # Largest swing first; a stable sort on rounded spans keeps ties in the given order on every
    # CPU (numpy's SIMD quicksort orders equal keys differently from one processor to another).
    spans = (frame["high"] - frame["low"]).abs().map(round_significant)
    ranked = frame.assign(span=spans).sort_values("span", ascending=False, kind="stable")
    order = ranked["assumption"].tolist()
    bars = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y("assumption:N", sort=order, title=None),
            x=alt.X("value:Q", title=metric_label),
            x2=alt.X2("base:Q"),
            color=alt.Color(
                "case:N",
                scale=alt.Scale(domain=["low", "high"], range=["#c0392b", "#1e8449"]),
                title="assumption moved",
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=["assumption:N", "case:N", alt.Tooltip("value:Q", format=".4~g")],
        )
    )
    # Only the columns drawn: extra ones (the tornado's rule and driver values) stay out of the spec.
    rule = (
        alt.Chart(frame[["assumption", "low", "high", "base"]].head(1))
        .mark_rule(color="black")
        .encode(x="base:Q")
    )
    return (bars + rule).properties(width=560, height=28 * len(frame) + 20, title=title)


def slider_chart(
    frame: pd.DataFrame, x: str, y: str, x_title: str, y_title: str, title: str, start: float
) -> alt.LayerChart:
    """A metric against one assumption, with a slider that works in a static report.

    The slider is a Vega-Lite parameter: moving it moves the marker and the read-out,
    without Python, so the report stays interactive offline.
    """
    values = frame[x].to_numpy()
    step = float(values[1] - values[0]) if len(values) > 1 else 1.0
    pick = alt.param(
        name="pick",
        value=float(start),
        bind=alt.binding_range(
            min=float(values.min()), max=float(values.max()), step=step, name=f"{x_title}: "
        ),
    )
    base = alt.Chart(frame)
    line = base.mark_line().encode(
        x=alt.X(f"{x}:Q", title=x_title),
        y=alt.Y(f"{y}:Q", title=y_title),
        tooltip=[alt.Tooltip(f"{x}:Q", format=".4~g"), alt.Tooltip(f"{y}:Q", format=".4~g")],
    )
    selected = (
        base.transform_calculate(distance=f"abs(datum['{x}'] - pick)")
        .transform_window(rank="rank(distance)", sort=[alt.SortField("distance")])
        .transform_filter("datum.rank == 1")
    )
    marker = selected.mark_point(size=120, filled=True, color="#c0392b").encode(x=f"{x}:Q", y=f"{y}:Q")
    readout = selected.mark_text(align="left", dx=8, dy=-10, fontWeight="bold").encode(
        x=f"{x}:Q", y=f"{y}:Q", text=alt.Text(f"{y}:Q", format=".3~g")
    )
    return (line + marker + readout).add_params(pick).properties(width=560, height=260, title=title)


def sobol_chart(frame: pd.DataFrame, metric_label: str, title: str) -> alt.Chart:
    """Sobol indices as grouped horizontal bars: first-order and total per driver.

    Parameters
    ----------
    frame
        Indexed by driver, columns ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` (fractions of the
        metric's variance), as :func:`aibm_core.sensitivity.sobol_indices` returns.
    metric_label, title
        What the indices explain (e.g. ``"gross margin"``) and the chart title.

    Drivers are sorted by total index, largest first (ties keep the given order on every CPU).
    """
    table = frame.reset_index()
    driver = table.columns[0]
    table = table.rename(columns={driver: "driver"})
    spans = table["ST"].map(round_significant)
    order = table.assign(span=spans).sort_values("span", ascending=False, kind="stable")["driver"].tolist()
    long = pd.concat(
        [
            table[["driver"]].assign(index=label, value=table[key], conf=table[f"{key}_conf"])
            for key, label in (("S1", "first-order"), ("ST", "total"))
        ],
        ignore_index=True,
    )
    bars = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y("driver:N", sort=order, title=None, axis=alt.Axis(labelLimit=320)),
            yOffset=alt.YOffset("index:N", sort=["first-order", "total"]),
            x=alt.X("value:Q", title=f"share of the variance of {metric_label}", axis=alt.Axis(format="%")),
            color=alt.Color(
                "index:N",
                scale=alt.Scale(domain=["first-order", "total"], range=["#2e86c1", "#1f4e79"]),
                title="Sobol index",
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                "driver:N",
                "index:N",
                alt.Tooltip("value:Q", format=".3f"),
                alt.Tooltip("conf:Q", title="± (95%)", format=".3f"),
            ],
        )
    )
    subtitle = "first-order: the driver alone; total: with its interactions (drivers taken as independent)"
    return bars.properties(
        width=560, height=34 * len(frame) + 20, title=alt.TitleParams(title, subtitle=subtitle)
    )


def pyramid_chart(summary: pd.DataFrame, models: pd.DataFrame, title: str) -> alt.LayerChart:
    """Seed 003's three-tier pyramid: each layer's gross margin, its spread and capital intensity.

    Parameters
    ----------
    summary
        One row per layer (index: layer, top of the pyramid last) with ``gross margin``
        (revenue-weighted), ``p10`` and ``p90`` (Monte Carlo band across the layer's models)
        and ``capital intensity`` (capex / revenue over the horizon).
    models
        One row per model with columns ``model``, ``layer`` and ``gross margin``.
    title
        Chart title.
    """
    layers = summary.reset_index().dropna(subset=["gross margin"])
    layers["label"] = [f"capex / revenue {c:.0%}" if c == c else "" for c in layers["capital intensity"]]
    order = list(reversed(summary.index))  # the application layer on top
    y = alt.Y("layer:N", sort=order, title=None)
    x = alt.X("gross margin:Q", title="gross margin (snapshot month)", axis=alt.Axis(format="%"))
    band = (
        alt.Chart(layers)
        .mark_bar(opacity=0.25, height=26, color="#2e86c1")
        .encode(
            x=alt.X("p10:Q", title="gross margin (snapshot month)"),
            x2="p90:Q",
            y=y,
            tooltip=["layer:N", alt.Tooltip("p10:Q", format=".1%"), alt.Tooltip("p90:Q", format=".1%")],
        )
    )
    tick = (
        alt.Chart(layers)
        .mark_tick(thickness=3, size=30, color="#1f4e79")
        .encode(x=x, y=y, tooltip=["layer:N", alt.Tooltip("gross margin:Q", format=".1%")])
    )
    points = (
        alt.Chart(models)
        .mark_point(filled=True, size=90, color="#d68910")
        .encode(x="gross margin:Q", y=y, tooltip=["model:N", alt.Tooltip("gross margin:Q", format=".1%")])
    )
    labels = (
        alt.Chart(layers)
        .mark_text(align="left", dx=6, dy=-18, fontSize=11)
        .encode(x="p90:Q", y=y, text="label:N")
    )
    subtitle = "band: P10-P90 across the layer's models; tick: revenue-weighted margin; dots: models"
    return alt.layer(band, tick, points, labels).properties(
        width=620, height=200, title=alt.TitleParams(title, subtitle=subtitle)
    )


#: Colours of a waterfall's bars: totals (base and scenario), rises and falls.
WATERFALL_COLOURS = {"total": "#1f4e79", "up": "#1e8449", "down": "#c0392b"}


def waterfall_chart(frame: pd.DataFrame, metric_label: str, title: str, unit: str) -> alt.LayerChart:
    """A metric's change from one scenario to another, split into the assumptions' contributions.

    Horizontal bars, top to bottom: the base value, one floating bar per contribution (largest
    first; green up, red down), then the scenario value. Assumptions that changed without moving
    the metric are named in the subtitle rather than drawn.

    Parameters
    ----------
    frame
        An attribution frame (:func:`aibm_core.attribution.shapley`): column ``contribution``
        by assumption, with ``base``, ``scenario``, ``total`` and ``method`` in ``frame.attrs``.
    metric_label, title
        Name of the metric (x-axis) and chart title.
    unit
        Unit of the metric: ``"fraction"`` axes show percentages and bars percentage points,
        ``"USD…"`` axes show dollars.
    """
    from aibm_core.attribution import format_delta, waterfall_frame

    attrs = frame.attrs
    moving = frame[frame["contribution"] != 0]
    unmoved = [str(name) for name in frame.index[frame["contribution"] == 0]]
    sizes = moving["contribution"].abs().map(round_significant).to_numpy()
    ordered = moving.iloc[sorted(range(len(moving)), key=lambda i: -sizes[i])]  # stable: ties keep order
    ordered.attrs = {**attrs, "unit": unit}
    steps = waterfall_frame(ordered)
    steps["lead"] = steps[["start", "end"]].max(axis=1)
    order = steps["step"].tolist()
    low, high = float(steps[["start", "end"]].min().min()), float(steps[["start", "end"]].max().max())
    pad = 0.22 * (high - min(low, 0.0) or 1.0)
    domain = [min(low, 0.0) - (0.05 * pad if low < 0 else 0.0), high + pad]
    if unit.startswith(("fraction", "share")):
        axis = alt.Axis(format="%", title=metric_label)
    elif unit.startswith("USD"):
        axis = alt.Axis(
            labelExpr="replace(format(datum.value, '$.3~s'), 'G', 'B')", title=f"{metric_label} ({unit})"
        )
    else:
        axis = alt.Axis(format=".3~s", title=f"{metric_label} ({unit})" if unit else metric_label)
    y = alt.Y("step:N", sort=order, title=None, axis=alt.Axis(labelLimit=320))
    x = alt.X("start:Q", scale=alt.Scale(domain=domain), axis=axis)
    tooltip = [
        alt.Tooltip("step:N", title="step"),
        alt.Tooltip("text:N", title="value"),
        alt.Tooltip("start:Q", format=".4~g"),
        alt.Tooltip("end:Q", format=".4~g"),
    ]
    data = steps[["step", "kind", "start", "end", "lead", "text"]]
    bars = (
        alt.Chart(data)
        .mark_bar(height={"band": 0.7})
        .encode(
            y=y,
            x=x,
            x2="end:Q",
            color=alt.Color(
                "kind:N",
                scale=alt.Scale(domain=list(WATERFALL_COLOURS), range=list(WATERFALL_COLOURS.values())),
                legend=None,
            ),
            tooltip=tooltip,
        )
    )
    labels = (
        alt.Chart(data)
        .mark_text(align="left", dx=4, fontSize=11, baseline="middle")
        .encode(y=y, x="lead:Q", text="text:N", tooltip=tooltip)
    )
    zero = alt.Chart(pd.DataFrame({"zero": [0.0]})).mark_rule(color="#555555").encode(x="zero:Q")
    method = "exact Shapley values" if attrs.get("method") == "exact" else "sampled Shapley values"
    subtitle = [f"{method}; the contributions add up to the change, {format_delta(attrs['total'], unit)}"]
    if unmoved:
        subtitle.append("changed without moving it: " + ", ".join(unmoved))
    return (bars + labels + zero).properties(
        width=560, height=26 * len(steps) + 20, title=alt.TitleParams(title, subtitle=subtitle)
    )


def value_chain_chart(flows: pd.DataFrame, title: str) -> alt.Chart:
    """Where one dollar of application revenue goes: each layer's revenue split into what it
    pays the next layer, its costs outside the chain and its margin (stacked bars)."""
    parts = {"paid_down": "paid to the layer below", "outside": "costs outside the chain", "margin": "margin"}
    long = (
        flows[list(parts)]
        .rename(columns=parts)
        .reset_index()
        .melt(id_vars="layer", var_name="part", value_name="USD")
    )
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y("layer:N", sort=list(flows.index), title=None),
            x=alt.X("USD:Q", title="USD per USD of application revenue", stack=True),
            color=alt.Color(
                "part:N",
                scale=alt.Scale(domain=list(parts.values()), range=["#9e9e9e", "#d68910", "#1e8449"]),
                legend=alt.Legend(orient="bottom", title=None),
            ),
            order=alt.Order("part:N"),
            tooltip=["layer:N", "part:N", alt.Tooltip("USD:Q", format="$.4f")],
        )
        .properties(width=620, height=180, title=title)
    )
