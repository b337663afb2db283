"""Altair chart builders and the one function notebooks use to show a chart.

:func:`show` emits a static SVG (rendered offline by vl-convert, shown by JupyterLab
and compared by nbval) together with the Vega-Lite spec, which the HTML report turns
into an interactive chart with tooltips using an inlined copy of Vega. With the
environment variable ``AIBM_LIVE=1`` (JupyterLab sessions started by ``make lab`` or
``aibm dashboard``) it shows a live :class:`altair.JupyterChart` instead, with Vega
bundled offline, so tooltips and bound sliders work in the notebook itself.

Numbers on axes, in tooltips and in read-outs follow the unit of what is drawn: money as
``$60M`` / ``$1.2B`` / ``$0.25``, fractions as percentages, counts compact (``1.2M``).
:func:`unit_kind`, :func:`axis` and :func:`number_expr` hold that rule once for every chart.
A unit is never guessed from a name: the caller gives it, or the data declare it (a
projection's ``attrs["columns"]``, read by :func:`aibm_core.models.base.column_info`; the
metric's ``attrs["unit"]`` of a tornado frame; a what-if grid's units).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import altair as alt
import pandas as pd
import vl_convert as vlc
from IPython.display import display

from aibm_core.analysis.attribution import format_delta, waterfall_frame
from aibm_core.core.config import LIVE_ENV
from aibm_core.core.numeric import CHART_DIGITS, round_significant
from aibm_core.core.tree import MetricTree
from aibm_core.models.base import column_info

if TYPE_CHECKING:
    from aibm_core.analysis.sensitivity import WhatIfGrid

#: Mimetype that carries the Vega-Lite spec in notebook outputs: the newest one JupyterLab 4 draws
#: itself (its Vega renderer takes Vega-Lite 3 to 5; Altair's v6 mimetype would show as text). The
#: spec keeps Altair's v6 ``$schema``: JupyterLab's Vega-Lite 5.6 draws these charts (a warning in
#: the console names the version), so a committed notebook needs no SVG copy beside its spec.
VEGALITE_MIME = "application/vnd.vegalite.v5+json"

#: Environment variable that switches :func:`show` to live JupyterLab charts (``1`` = on).
#: Pixels of a saved PNG per chart pixel (sharp on slides and high-density screens).
PNG_SCALE = 2
#: Pixels per chart pixel of the PNG files a batch exports beside each chart's SVG: the chart's
#: own size. A batch writes one for every chart of every run (hundreds); at twice the density
#: they were nine tenths of ``outputs/``, and the SVG beside each is the sharp copy.
EXPORT_PNG_SCALE = 1

KIND_COLOURS = {
    "north_star": "#1f4e79",
    "group": "#9e9e9e",
    "input": "#2e86c1",
    "leading": "#7d3c98",
    "guardrail": "#d68910",
}
STATUS_COLOURS = {"ok": "#1e8449", "breach": "#c0392b", "none": "#ffffff"}


# --- units: one rule for axes, tooltips and read-outs

UnitKind = Literal["money", "fraction", "number"]


def words_expr(text: str) -> str:
    """Vega expression of the text ``text`` (an expression) with underscores as spaces."""
    return f"replace({text}, regexp('_', 'g'), ' ')"


#: Vega expression that turns a ``snake_case`` axis or legend label into words.
WORDS_EXPR = words_expr("datum.label")


def unit_kind(unit: str | None) -> UnitKind:
    """How numbers in ``unit`` read: ``"money"`` (``USD…`` or ``$…``), ``"fraction"``
    (``fraction…`` or ``share…``, shown as percentages) or ``"number"`` (anything else)."""
    unit = (unit or "").strip()
    if unit.startswith(("USD", "$")):
        return "money"
    if unit.startswith(("fraction", "share")):
        return "fraction"
    return "number"


def _compact(value: str, prefix: str) -> str:
    """Vega expression: ``value`` with an SI suffix (K, M, B for d3's k and G, T)."""
    text = f"format({value}, '{prefix}.3~s')"
    return f"replace(replace({text}, 'G', 'B'), 'k', 'K')"


def number_expr(value: str, unit: str | None, style: Literal["axis", "text"] = "text") -> str:
    """A Vega expression that formats the number ``value`` (an expression) for its ``unit``.

    Parameters
    ----------
    value
        Vega expression of the number, e.g. ``"datum.value"`` or ``"datum['revenue']"``.
    unit
        Unit of the number (see :func:`unit_kind`); only its kind matters.
    style
        ``"axis"``: short tick labels (``$60M``, ``$1.2B``, ``$250K``, ``$0.5``, ``40%``);
        ``"text"``: tooltips and read-outs (``$37.76M``, ``$12,345``, ``$3.25``, ``$0.00260``,
        ``41.2%``, ``1.234M``).

    Returns
    -------
    str
        The expression (a string in the Vega expression language).
    """
    kind = unit_kind(unit)
    if kind == "fraction":
        return f"format({value}, '{'.2~%' if style == 'axis' else '.1%'}')"
    prefix = "$" if kind == "money" else ""
    if style == "axis":
        return f"abs({value}) < 1000 ? format({value}, '{prefix},.3~g') : {_compact(value, prefix)}"
    large = _compact(value, prefix).replace(".3~s", ".4~s")
    small = f"format({value}, '{prefix}.3r')" if kind == "money" else f"format({value}, ',.3~g')"
    return (
        f"abs({value}) >= 1e6 ? {large} : abs({value}) >= 100 ? format({value}, '{prefix},.0f') : "
        f"abs({value}) >= 1 ? format({value}, '{prefix},.2{'f' if kind == 'money' else '~f'}') : {small}"
    )


def axis(unit: str | None, title: str | None = None, **options: Any) -> alt.Axis:
    """An axis whose tick labels read in ``unit`` (money ``$60M``, fractions ``40%``, counts ``1.2M``).

    Parameters
    ----------
    unit
        Unit of the encoded numbers (see :func:`unit_kind`).
    title
        Axis title; ``None`` leaves Altair's default (the field name).
    **options
        Further :class:`altair.Axis` options (e.g. ``labelLimit``).
    """
    if title is not None:
        options["title"] = title
    return alt.Axis(labelExpr=number_expr("datum.value", unit, "axis"), **options)


def text_field(field: str) -> str:
    """Name of the formatted text column :func:`with_text` adds for ``field``."""
    return f"{field}_text"


def with_text(chart: alt.Chart, units: Mapping[str, str | None]) -> alt.Chart:
    """``chart`` with a formatted text column per numeric field (``field -> unit``), for tooltips.

    The text is computed in the browser (a Vega-Lite ``calculate``), so the data stay numbers.
    """
    texts = {
        text_field(field): number_expr(f"datum[{json.dumps(field)}]", unit) for field, unit in units.items()
    }
    return chart.transform_calculate(**texts)


def tip(field: str, title: str | None = None) -> alt.Tooltip:
    """Tooltip showing the formatted text of ``field`` (added by :func:`with_text`)."""
    return alt.Tooltip(f"{text_field(field)}:N", title=title or field)


def words(name: str) -> str:
    """A column name as words: ``"free_cost_per_user"`` -> ``"free cost per user"``."""
    return str(name).replace("_", " ")


def declared_unit(frame: pd.DataFrame, columns: Sequence[str]) -> str:
    """The one unit the frame declares for all of ``columns`` (:func:`~aibm_core.models.base.column_info`).

    Raises
    ------
    KeyError
        If a column is not declared.
    ValueError
        If the columns are declared in different units (one axis cannot read in two).
    """
    units = {column: column_info(frame, column)[1] for column in columns}
    distinct = sorted(set(units.values()))
    if len(distinct) != 1:
        listed = ", ".join(f"{column} ({unit})" for column, unit in units.items())
        raise ValueError(f"columns in different units cannot share an axis: {listed}; give the unit")
    return distinct[0]


def frame_unit(frame: pd.DataFrame, what: str) -> str:
    """The unit of the metric a frame holds, from ``frame.attrs["unit"]`` (e.g. a tornado's).

    Raises
    ------
    ValueError
        If the frame declares none (``what`` names the chart, for the message).
    """
    unit = frame.attrs.get("unit")
    if unit is None:
        raise ValueError(f"{what}: the frame declares no unit (frame.attrs['unit']); give the unit")
    return str(unit)


def unit_title(title: str, unit: str | None) -> str:
    """An axis title with its unit in brackets unless the title already says it."""
    unit = (unit or "").strip()
    if not unit or unit_kind(unit) == "fraction" or unit.lower() in title.lower():
        return title
    return f"{title} ({unit})"


# --- data portability, SVG and display


def _round_floats(value: Any, digits: int) -> Any:
    """``value`` with every float inside it (nested dicts and lists) rounded significantly."""
    if isinstance(value, dict):
        return {k: _round_floats(v, digits) for k, v in value.items()}
    if isinstance(value, list):
        return [_round_floats(v, digits) for v in value]
    return round_significant(value, digits)


def portable_spec(spec: dict[str, Any], digits: int = CHART_DIGITS) -> dict[str, Any]:
    """A Vega-Lite spec whose data do not depend on the CPU that computed them.

    Every float, in the inline datasets and elsewhere (a scale domain padded around computed
    values), is rounded to ``digits`` significant digits and each dataset is renamed after a
    hash of its rounded rows (Altair names datasets after a hash of the raw data, so one
    differing last bit would otherwise rename it).
    """
    datasets = spec.get("datasets", {})
    renames = {}
    rounded = {}
    for name, rows in datasets.items():
        rows = [_round_floats(row, digits) for row in rows]
        digest = hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()[:32]
        renames[name] = f"data-{digest}"
        rounded[renames[name]] = rows
    text = json.dumps(_round_floats({k: v for k, v in spec.items() if k != "datasets"}, digits))
    for old, new in renames.items():
        text = text.replace(f'"{old}"', f'"{new}"')
    out = json.loads(text)
    if rounded:
        out["datasets"] = rounded
    return out


def _spec(chart_or_spec: alt.TopLevelMixin | Mapping[str, Any]) -> dict[str, Any]:
    """The portable Vega-Lite spec of a chart (or of a spec given as a dict)."""
    raw = dict(chart_or_spec) if isinstance(chart_or_spec, Mapping) else chart_or_spec.to_dict()
    return portable_spec(raw)


def mimebundle(chart: alt.TopLevelMixin) -> dict[str, object]:
    """SVG, Vega-Lite spec and a text fallback for one chart (data rounded: :func:`portable_spec`)."""
    spec = _spec(chart)
    title = spec.get("title", "")
    title = title.get("text", "") if isinstance(title, dict) else title
    return {
        "image/svg+xml": compact_svg(vlc.vegalite_to_svg(json.dumps(spec))),
        VEGALITE_MIME: spec,
        "text/plain": f"<chart: {title}>" if title else "<chart>",
    }


#: SVG attributes holding geometry, whose numbers :func:`compact_svg` may round.
_GEOMETRY = (
    "d|transform|x|y|x1|x2|y1|y2|dx|dy|cx|cy|r|rx|ry|width|height|points|viewBox"
    "|stroke-width|stroke-dasharray|opacity|fill-opacity|stroke-opacity|font-size"
)
_GEOMETRY_ATTRIBUTE = re.compile(rf'(\s(?:{_GEOMETRY})=")([^"]*)(")')
_LONG_DECIMAL = re.compile(r"(\d+\.\d{2})\d+")


def compact_svg(svg: str) -> str:
    """Drop per-mark aria labels and round geometry to 0.01 px (smaller stored notebooks).

    Only geometry attributes (path data, coordinates, sizes, transforms) are rounded; the
    chart's text (labels, titles, read-outs) stays exactly as rendered.
    """
    svg = re.sub(r' aria-label="[^"]*"', "", svg)
    return _GEOMETRY_ATTRIBUTE.sub(
        lambda m: m.group(1) + _LONG_DECIMAL.sub(r"\1", m.group(2)) + m.group(3), svg
    )


def live_enabled() -> bool:
    """Whether :func:`show` draws live JupyterLab charts (environment ``AIBM_LIVE=1``)."""
    return os.environ.get(LIVE_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def live_chart(chart: alt.TopLevelMixin) -> alt.JupyterChart:
    """A live JupyterLab chart (anywidget) whose Vega comes bundled, never from a CDN."""
    alt.JupyterChart.enable_offline()  # bundles Vega once per session; later calls return at once
    return alt.JupyterChart(chart)


def show(chart: alt.TopLevelMixin) -> None:
    """Display a chart so that it renders offline in JupyterLab and in reports.

    By default the output is static (SVG + Vega-Lite spec, :func:`mimebundle`), which nbval
    compares and the HTML report makes interactive. With ``AIBM_LIVE=1`` it is a live
    :func:`live_chart` instead (tooltips and sliders work in JupyterLab with a kernel).
    """
    if live_enabled():
        display(live_chart(chart))
    else:
        display(mimebundle(chart), raw=True)


def save(chart_or_spec: alt.TopLevelMixin | Mapping[str, Any], path: str | Path) -> Path:
    """Write a chart to a PNG (twice the pixel density) or SVG file, offline, by its suffix.

    Parameters
    ----------
    chart_or_spec
        An Altair chart or a Vega-Lite spec (dict).
    path
        Target file; its suffix, ``.png`` or ``.svg``, picks the format.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    path = Path(path)
    if path.suffix.lower() not in {".png", ".svg"}:
        raise ValueError(f"cannot save a chart as {path.name!r}: use a .png or .svg file name")
    path.write_bytes(image_bytes(chart_or_spec, path.suffix))
    return path


def image_bytes(
    chart_or_spec: alt.TopLevelMixin | Mapping[str, Any], suffix: str, scale: float = PNG_SCALE
) -> bytes:
    """A chart rendered offline: PNG for ``suffix`` ``.png`` (``scale`` pixels a chart pixel), else SVG.

    The SVG is :func:`compact_svg` (geometry to 0.01 px, no per-mark labels): a fifth smaller,
    its text as rendered.
    """
    spec = json.dumps(_spec(chart_or_spec))
    if suffix.lower() == ".png":
        return vlc.vegalite_to_png(spec, scale=scale)
    return compact_svg(vlc.vegalite_to_svg(spec)).encode("utf-8")


# --- charts


def tree_frames(tree: MetricTree, char_px: float = 6.4) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    """What :func:`tree_chart` draws: its nodes and edges placed in pixels, and its width (px).

    Each depth gets a column as wide as its longest label; a node's ``text`` is its label, then
    its value and any Monte Carlo breach probability.
    """
    nodes, edges = tree.layout()
    nodes["text"] = [
        [line for line in (label, " · ".join(part for part in (value, risk) if part)) if line]
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
    return nodes, edges, float(offsets.iloc[-1] + widths.iloc[-1])


def tree_chart(tree: MetricTree, char_px: float = 6.4) -> alt.LayerChart:
    """The metric tree drawn left to right: nodes coloured by kind, ringed by status.

    Each depth gets a column as wide as its longest label, so labels never overlap
    the next column. A node reads in two lines at most (its label, then its value and any
    Monte Carlo breach probability), which fit the row pitch without overlapping a neighbour.
    """
    nodes, edges, total = tree_frames(tree, char_px)
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
                legend=alt.Legend(title="node kind", orient="bottom", labelExpr=WORDS_EXPR),
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
    frame: pd.DataFrame,
    columns: Sequence[str],
    title: str,
    unit: str | None = None,
    labels: dict[str, str] | None = None,
) -> alt.Chart:
    """Monthly lines of several columns of a projection frame (index: month).

    Parameters
    ----------
    frame
        Projection indexed by month.
    columns
        Columns to draw, one line each.
    title
        Chart title.
    unit
        Unit of the columns as stored, e.g. ``"USD per month"`` (the y-axis reads ``$60M``) or
        ``"fraction"``; it titles the y-axis. Default: the unit the frame declares for them
        (:func:`declared_unit`; they must share it), the values then drawn times their declared
        scale (``tokens_b`` in tokens).
    labels
        Column -> legend label; a column without one is shown as words (``gross_profit`` ->
        ``gross profit``).
    """
    return _monthly_chart(frame, columns, title, unit, labels, alt.Chart.mark_line, stack=False)


def stacked_area_chart(
    frame: pd.DataFrame,
    columns: Sequence[str],
    title: str,
    unit: str | None = None,
    labels: dict[str, str] | None = None,
) -> alt.Chart:
    """Monthly stacked areas, e.g. revenue split into cost and profit (arguments as
    :func:`projection_chart`)."""
    return _monthly_chart(frame, columns, title, unit, labels, alt.Chart.mark_area, stack=True)


def _series_labels(columns: Sequence[str], labels: Mapping[str, str] | None) -> dict[str, str]:
    """Legend label of each column: the caller's label, else the column name as words."""
    return {column: (labels or {}).get(column) or words(column) for column in columns}


def _monthly_chart(frame, columns, title, unit, labels, mark, stack: bool) -> alt.Chart:
    names = _series_labels(columns, labels)
    order = list(names.values())  # legend and stack in the caller's order
    data = frame[list(columns)]
    if unit is None:
        unit = declared_unit(frame, columns)
        scales = {column: column_info(frame, column)[2] for column in columns}
        if any(scale != 1.0 for scale in scales.values()):
            data = data * pd.Series(scales)
    long = (
        data.rename(columns=names).reset_index().melt(id_vars="month", var_name="series", value_name="value")
    )
    chart = with_text(alt.Chart(long), {"value": unit})
    encoding = {
        "x": alt.X("month:Q", title="month", axis=alt.Axis(tickMinStep=1), scale=alt.Scale(nice=False)),
        "y": alt.Y("value:Q", axis=axis(unit, unit), **({"stack": True} if stack else {})),
        "color": alt.Color("series:N", title=None, sort=order, legend=alt.Legend(orient="bottom")),
        "tooltip": ["month:Q", "series:N", tip("value")],
    }
    if stack:  # the first column at the bottom of the stack
        chart = chart.transform_calculate(position=f"indexof({json.dumps(order)}, datum.series)")
        encoding["order"] = alt.Order("position:Q")
    return (
        mark(chart, **({"opacity": 0.85} if stack else {}))
        .encode(**encoding)
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
        Chart title and the unit of the values (y-axis and tooltips read in it).
    base
        Optional base-case values by month (columns: series labels), drawn dashed.
    """
    long = pd.concat(
        [fan.reset_index().assign(series=words(label)) for label, fan in fans.items()], ignore_index=True
    )
    x = alt.X("month:Q", title="month", axis=alt.Axis(tickMinStep=1), scale=alt.Scale(nice=False))
    colour = alt.Color("series:N", title=None, legend=alt.Legend(orient="bottom"))
    band = (
        alt.Chart(long)
        .mark_area(opacity=0.25)
        .encode(x=x, y=alt.Y("p10:Q", axis=axis(unit, unit)), y2="p90:Q", color=colour)
    )
    quantiles = ("p10", "p50", "p90")
    tooltip = ["month:Q", "series:N"] + [tip(q, q.upper()) for q in quantiles]
    median = (
        with_text(alt.Chart(long), dict.fromkeys(quantiles, unit))
        .mark_line()
        .encode(x=x, y="p50:Q", color=colour, tooltip=tooltip)
    )
    layers = [band, median]
    if base is not None:
        points = (
            base.rename(columns=words)
            .reset_index()
            .melt(id_vars="month", var_name="series", value_name="base case")
        )
        layers.append(
            with_text(alt.Chart(points), {"base case": unit})
            .mark_line(strokeDash=[4, 3], opacity=0.8)
            .encode(x=x, y="base case:Q", color=colour, tooltip=["month:Q", "series:N", tip("base case")])
        )
    subtitle = "band: P10-P90 of the Monte Carlo draws; line: P50" + (
        "; dashed: base case" if base is not None else ""
    )
    return alt.layer(*layers).properties(
        width=680, height=260, title=alt.TitleParams(title, subtitle=subtitle)
    )


def _padded(values: Sequence[float], pad: float = 0.08) -> list[float]:
    """A scale domain around ``values``, widened by ``pad`` of their span on each side."""
    low, high = float(min(values)), float(max(values))
    margin = pad * (high - low) or 0.05 * abs(high) or 1.0
    return [low - margin, high + margin]


def tornado_chart(
    frame: pd.DataFrame, metric_label: str, title: str, unit: str | None = None
) -> alt.LayerChart:
    """Sensitivity bars around the base value, largest swing on top.

    Parameters
    ----------
    frame
        Columns ``assumption``, ``low``, ``high`` (the metric with the assumption at its low
        and high value) and ``base`` (the metric at the base case), as
        :func:`aibm_core.analysis.sensitivity.tornado` returns.
    metric_label, title
        Name of the metric (the value axis) and chart title.
    unit
        Unit of the metric; default: the frame's ``attrs["unit"]``, which
        :func:`aibm_core.analysis.sensitivity.tornado` declares (:func:`frame_unit`).

    The value axis spans the base value and the swings (not zero), so small swings stay
    visible; a black rule marks the base value.
    """
    unit = frame_unit(frame, "tornado chart") if unit is None else unit
    long = frame.melt(
        id_vars=["assumption", "base"], value_vars=["low", "high"], var_name="case", value_name="value"
    )
    # Largest swing first; a stable sort on rounded spans keeps ties in the given order on every
    # CPU (numpy's SIMD quicksort orders equal keys differently from one processor to another).
    spans = (frame["high"] - frame["low"]).abs().map(round_significant)
    ranked = frame.assign(span=spans).sort_values("span", ascending=False, kind="stable")
    order = ranked["assumption"].tolist()
    domain = _padded([*frame["low"], *frame["high"], *frame["base"]]) if len(frame) else None
    x = alt.X(
        "value:Q",
        scale=alt.Scale(zero=False, nice=False, **({"domain": domain} if domain else {})),
        axis=axis(unit, metric_label),
    )
    bars = (
        with_text(alt.Chart(long), {"value": unit})
        .transform_calculate(driver=words_expr("datum.assumption"))
        .mark_bar()
        .encode(
            y=alt.Y(
                "assumption:N", sort=order, title=None, axis=alt.Axis(labelExpr=WORDS_EXPR, labelLimit=320)
            ),
            x=x,
            x2=alt.X2("base:Q"),
            color=alt.Color(
                "case:N",
                scale=alt.Scale(domain=["low", "high"], range=["#c0392b", "#1e8449"]),
                title="assumption moved",
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[alt.Tooltip("driver:N", title="assumption"), "case:N", tip("value", metric_label)],
        )
    )
    # Only the columns drawn: extra ones (the tornado's rule and driver values) stay out of the spec.
    rule = (
        with_text(alt.Chart(frame[["base"]].head(1)), {"base": unit})
        .mark_rule(color="black", strokeWidth=1.5)
        .encode(x="base:Q", tooltip=[tip("base", f"{metric_label}, base case")])
    )
    return (bars + rule).properties(width=560, height=28 * len(frame) + 20, title=title)


def _slider_step(values: Sequence[float], start: float) -> float:
    """A slider step that reaches ``start`` and every grid value: the grid step, or the largest
    1/2, 1/5, 1/10, 1/20... of it (down to 1e-6 of the grid's span) that reaches ``start``."""
    low, high = float(min(values)), float(max(values))
    grid = float(values[1] - values[0]) if len(values) > 1 else (high - low) or 1.0
    candidates = [grid / (k * 10**n) for n in range(7) for k in (1, 2, 5)]
    for step in candidates:
        ratio = (start - low) / step
        if abs(ratio - round(ratio)) < 1e-6 or step < 1e-6 * (high - low):
            return float(f"{step:.6g}")
    return float(f"{candidates[-1]:.6g}")


def _segments(frame: pd.DataFrame, x: str, y: str) -> pd.DataFrame:
    """The sweep's line as segments ``x0, y0 -> x1, y1`` (sorted by x), for interpolation."""
    line = frame[[x, y]].dropna().sort_values(x, kind="stable")
    xs, ys = line[x].to_numpy(dtype=float), line[y].to_numpy(dtype=float)
    if len(xs) == 1:
        xs, ys = xs.repeat(2), ys.repeat(2)
    return pd.DataFrame({"x0": xs[:-1], "y0": ys[:-1], "x1": xs[1:], "y1": ys[1:]})


def slider_chart(
    frame: pd.DataFrame,
    x: str,
    y: str,
    x_title: str,
    y_title: str,
    title: str,
    start: float,
    x_unit: str | None = None,
    y_unit: str | None = None,
) -> alt.LayerChart:
    """A metric against one assumption, with a slider that works in a static report.

    The slider is a Vega-Lite parameter (``pick``) bound to a range input: moving it moves
    one marker along the line and its read-out, without Python, so the report stays
    interactive offline. Between grid points the marker sits at the linear interpolation of
    the two neighbours, so it marks exactly one point, at the slider's value.

    Parameters
    ----------
    frame
        The sweep: columns ``x`` (the assumption's values, a grid) and ``y`` (the metric).
    x, y
        Column names.
    x_title, y_title, title
        Axis titles and chart title.
    start
        The slider's first position (the assumption's current value), clamped to the grid.
    x_unit, y_unit
        Units of the two axes; default: the units the frame declares for ``x`` and ``y``
        (:func:`~aibm_core.models.base.column_info`; :func:`aibm_core.analysis.sensitivity.sweep`
        declares the assumption's unit and the metric's).
    """
    x_unit = column_info(frame, x)[1] if x_unit is None else x_unit
    y_unit = column_info(frame, y)[1] if y_unit is None else y_unit
    values = frame[x].to_numpy(dtype=float)
    low, high = float(values.min()), float(values.max())
    start = min(max(float(start), low), high)
    pick = alt.param(
        name="pick",
        value=start,
        bind=alt.binding_range(min=low, max=high, step=_slider_step(values, start), name=f"{x_title}: "),
    )
    line = (
        with_text(alt.Chart(frame), {x: x_unit, y: y_unit})
        .mark_line()
        .encode(
            x=alt.X(f"{x}:Q", axis=axis(x_unit, x_title), scale=alt.Scale(zero=False)),
            y=alt.Y(f"{y}:Q", axis=axis(y_unit, y_title)),
            tooltip=[tip(x, x_title), tip(y, y_title)],
        )
    )
    # The one segment holding the slider's value (the last one keeps its right end), then the
    # metric there by linear interpolation.
    selected = (
        alt.Chart(_segments(frame, x, y))
        .transform_calculate(at=f"clamp(pick, {low!r}, {high!r})")
        .transform_filter(
            f"datum.x0 <= datum.at && (datum.at < datum.x1 || (datum.x1 == {high!r} && datum.at <= datum.x1))"
        )
        .transform_calculate(
            metric="datum.x1 > datum.x0 ? datum.y0 + (datum.y1 - datum.y0) * (datum.at - datum.x0) "
            "/ (datum.x1 - datum.x0) : datum.y0",
            at_text=number_expr("datum.at", x_unit),
            metric_text=number_expr("datum.metric", y_unit),
        )
    )
    tooltip = [alt.Tooltip("at_text:N", title=x_title), alt.Tooltip("metric_text:N", title=y_title)]
    marker = selected.mark_point(size=120, filled=True, color="#c0392b", opacity=1).encode(
        x="at:Q", y="metric:Q", tooltip=tooltip
    )
    right_half = f"pick > {(low + high) / 2!r}"  # read-out on the inner side of the marker
    readout = selected.mark_text(
        align=alt.expr(f"{right_half} ? 'right' : 'left'"),
        dx=alt.expr(f"{right_half} ? -8 : 8"),
        dy=-10,
        fontWeight="bold",
    ).encode(x="at:Q", y="metric:Q", text="metric_text:N", tooltip=tooltip)
    return (line + marker + readout).add_params(pick).properties(width=560, height=260, title=title)


def what_if_chart(
    grid: WhatIfGrid, metric_label: str, title: str, metric_unit: str | None = None
) -> alt.VConcatChart:
    """A metric as several drivers move, with one slider per driver that works in a static report.

    Each slider is a Vega-Lite parameter (``move_0``, ``move_1``...) bound to a range input in
    percent of the driver's base value. The line shows the metric across the moves of the first
    driver, the others held where their sliders are; the marker and the read-out below give the
    metric and each driver's value at the sliders' positions. Every point is a model result
    (:func:`aibm_core.analysis.sensitivity.what_if_grid`), nothing is interpolated.

    Parameters
    ----------
    grid
        The metric on every combination of moves, as :func:`aibm_core.analysis.sensitivity.what_if_grid`
        returns.
    metric_label, title
        Name of the metric (the y axis and read-out) and the chart title.
    metric_unit
        Unit of the metric; default: the grid's ``metric_unit``. The drivers' units are the
        grid's ``units`` (each assumption's declared unit).
    """
    if metric_unit is None:
        if grid.metric_unit is None:
            raise ValueError("what-if chart: the grid declares no metric unit; give metric_unit")
        metric_unit = grid.metric_unit
    moves = list(grid.moves)
    low, high, step = min(moves), max(moves), moves[1] - moves[0]
    names = list(grid.names)
    undeclared = [name for name in names if name not in grid.units]
    if undeclared:
        raise ValueError(f"what-if chart: the grid declares no unit for {', '.join(undeclared)}")
    units = [grid.units[name] for name in names]
    sliders = [
        alt.param(
            name=f"move_{i}",
            value=0,
            bind=alt.binding_range(min=low, max=high, step=step, name=f"{words(name)}, % change: "),
        )
        for i, name in enumerate(names)
    ]

    def value_at(i: int, move: str) -> str:  # the driver's value at a move (an expression)
        return f"[{', '.join(repr(float(v)) for v in grid.values[names[i]])}][({move} - {low}) / {step}]"

    others = " && ".join(f"datum.move_{i} == move_{i}" for i in range(1, len(names))) or "true"
    domain = _padded(grid.frame["metric"].dropna().tolist() or [0.0])
    # One row per position of the other sliders, holding the first driver's moves and metrics as
    # lists (flattened in the browser): a fifth of the size of one row per combination.
    rest = [f"move_{i}" for i in range(1, len(names))]
    if rest:
        packed = grid.frame.groupby(rest, sort=False).agg(list).reset_index()
    else:
        packed = pd.DataFrame([{column: grid.frame[column].tolist() for column in grid.frame}])
    line = (
        alt.Chart(packed)
        .transform_filter(others)
        .transform_flatten(["move_0", "metric"])
        .transform_calculate(
            x=value_at(0, "datum.move_0"), metric_text=number_expr("datum.metric", metric_unit)
        )
    )
    shown_unit = units[0] if units[0] and unit_kind(units[0]) != "fraction" else ""  # percent ticks say it
    x_title = words(names[0]) + (f" ({shown_unit})" if shown_unit else "")
    x = alt.X("x:Q", axis=axis(units[0], x_title), scale=alt.Scale(zero=False))
    y = alt.Y("metric:Q", axis=axis(metric_unit, metric_label), scale=alt.Scale(domain=domain, zero=False))
    tooltip = [alt.Tooltip("metric_text:N", title=metric_label)]
    chosen = line.transform_filter("datum.move_0 == move_0")
    curve = line.mark_line(point=True).encode(x=x, y=y, tooltip=tooltip)
    marker = chosen.mark_point(size=140, filled=True, color="#c0392b", opacity=1).encode(
        x=x, y=y, tooltip=tooltip
    )
    label = chosen.mark_text(dy=-14, fontWeight="bold").encode(x=x, y=y, text="metric_text:N")
    texts = {"0": f"{json.dumps(metric_label + ': ')} + ({number_expr('datum.metric', metric_unit)})"}
    for i, name in enumerate(names):
        change = f"(move_{i} == 0 ? 'base' : (move_{i} > 0 ? '+' : '') + move_{i} + '% from base')"
        value = number_expr(value_at(i, f"move_{i}"), units[i])
        texts[str(i + 1)] = f"{json.dumps(words(name) + ': ')} + ({value}) + ' (' + {change} + ')'"
    lines = [f"line_{k}" for k in texts]
    folded = (
        chosen.transform_calculate(**{f"line_{k}": v for k, v in texts.items()})
        .transform_fold(lines, as_=["line", "text"])
        .encode(x=alt.value(0), y=alt.Y("line:N", axis=None, sort=lines), text="text:N")
    )
    readout = (
        folded.transform_filter("datum.line == 'line_0'").mark_text(
            align="left", fontSize=14, fontWeight="bold"
        )
        + folded.transform_filter("datum.line != 'line_0'").mark_text(align="left", fontSize=13)
    ).properties(width=560, height=22 * len(texts), view=alt.ViewBackground(stroke=None))
    plot = (curve + marker + label).properties(width=560, height=260)
    return alt.vconcat(plot, readout, title=title).add_params(*sliders)


def sobol_chart(frame: pd.DataFrame, metric_label: str, title: str) -> alt.Chart:
    """Sobol indices as grouped horizontal bars: first-order and total per driver.

    Parameters
    ----------
    frame
        Indexed by driver, columns ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` (fractions of the
        metric's variance), as :func:`aibm_core.analysis.sensitivity.sobol_indices` returns.
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
        with_text(alt.Chart(long), {"value": "fraction", "conf": "fraction"})
        .mark_bar()
        .encode(
            y=alt.Y("driver:N", sort=order, title=None, axis=alt.Axis(labelExpr=WORDS_EXPR, labelLimit=320)),
            yOffset=alt.YOffset("index:N", sort=["first-order", "total"]),
            x=alt.X("value:Q", axis=axis("fraction", f"share of the variance of {metric_label}")),
            color=alt.Color(
                "index:N",
                scale=alt.Scale(domain=["first-order", "total"], range=["#2e86c1", "#1f4e79"]),
                title="Sobol index",
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=["driver:N", "index:N", tip("value", "share of the variance"), tip("conf", "± (95%)")],
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
        (median of the layer's models, each model one point), ``p10`` and ``p90`` (Monte Carlo
        band across the layer's models) and ``capital intensity`` (capex / revenue over the
        horizon).
    models
        One row per model with columns ``model``, ``layer`` and ``gross margin``.
    title
        Chart title.
    """
    layers = summary.reset_index().dropna(subset=["gross margin"])
    layers["label"] = [f"capex / revenue {c:.0%}" if c == c else "" for c in layers["capital intensity"]]
    order = list(reversed(summary.index))  # the application layer on top
    y = alt.Y("layer:N", sort=order, title=None)
    x = alt.X("gross margin:Q", axis=axis("fraction", "gross margin (snapshot month)"))
    band = (
        alt.Chart(layers)
        .mark_bar(opacity=0.25, height=26, color="#2e86c1")
        .encode(
            x=alt.X("p10:Q", axis=axis("fraction", "gross margin (snapshot month)")),
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
    subtitle = "band: P10-P90 across the layer's models; tick: median of the layer's models; dots: models"
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
        An attribution frame (:func:`aibm_core.analysis.attribution.shapley`): column ``contribution``
        by assumption, with ``base``, ``scenario``, ``total`` and ``method`` in ``frame.attrs``.
    metric_label, title
        Name of the metric (x-axis) and chart title.
    unit
        Unit of the metric: ``"fraction"`` axes show percentages and bars percentage points,
        ``"USD…"`` axes show dollars.
    """
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
    y = alt.Y("step:N", sort=order, title=None, axis=alt.Axis(labelExpr=WORDS_EXPR, labelLimit=320))
    x = alt.X("start:Q", scale=alt.Scale(domain=domain), axis=axis(unit, unit_title(metric_label, unit)))
    tooltip = [
        alt.Tooltip("step:N", title="step"),
        alt.Tooltip("text:N", title="value"),
        tip("start"),
        tip("end"),
    ]
    data = steps[["step", "kind", "start", "end", "lead", "text"]]
    bars = (
        with_text(alt.Chart(data), {"start": unit, "end": unit})
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
        .encode(y=y, x="lead:Q", text="text:N", tooltip=tooltip[:2])
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
        with_text(alt.Chart(long), {"USD": "USD"})
        .mark_bar()
        .encode(
            y=alt.Y("layer:N", sort=list(flows.index), title=None),
            x=alt.X(
                "USD:Q", axis=axis("USD", "USD per USD of application revenue", tickCount=10), stack=True
            ),
            color=alt.Color(
                "part:N",
                scale=alt.Scale(domain=list(parts.values()), range=["#9e9e9e", "#d68910", "#1e8449"]),
                legend=alt.Legend(orient="bottom", title=None),
            ),
            order=alt.Order("part:N"),
            tooltip=["layer:N", "part:N", tip("USD", "per USD of application revenue")],
        )
        .properties(width=620, height=180, title=title)
    )
