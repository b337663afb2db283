"""Live what-if panels: sliders bound to a model, recomputing on every move.

These run in JupyterLab or a Voila dashboard (a Python kernel is needed). Static reports
use :func:`aibm_core.present.charts.slider_chart` instead, which needs no kernel.

A move costs one model evaluation and one small chart: the chart's Vega spec is compiled
once per panel and only its data change afterwards (see :func:`redraw_times`).
"""

from __future__ import annotations

import html
import json
import math
import statistics
import time
from typing import Any

import altair as alt
import ipywidgets as widgets
import numpy as np
import vl_convert as vlc

from aibm_core.core.params import ModelParams, clip_to_range
from aibm_core.models.base import Evaluation, evaluate
from aibm_core.present import charts

#: Line colours of the chart: the scenario the panel opened on, and the what-if.
CASE_COLOURS = {"scenario": "#9e9e9e", "what-if": "#1f4e79"}
#: Guardrail assumption drawn as a dashed line on the chart when a model has it (fraction).
MARGIN_FLOOR = "min_gross_margin"
#: Slider steps between the two ends of a slider's range.
SLIDER_STEPS = 200


def slider_range(params: ModelParams, name: str) -> tuple[float, float, float]:
    """Slider bounds around the current value, kept inside the valid range: (min, max, step)."""
    value = float(getattr(params, name))
    span = abs(value) if value else 1.0
    lo = clip_to_range(type(params), name, value - 0.75 * span)
    hi = clip_to_range(type(params), name, value + 1.5 * span)
    if hi <= lo:
        hi = lo + 1.0
    return lo, hi, (hi - lo) / SLIDER_STEPS


def readout_format(unit: str, high: float) -> str:
    """d3-format of a slider's readout for an assumption in ``unit`` whose slider ends at ``high``.

    Fractions read as percentages, money with a dollar sign and thousands separators,
    other quantities with separators; small ranges keep two decimals.
    """
    if unit.startswith(("fraction", "share")):
        return ".2%" if abs(high) < 0.1 else ".1%"
    decimals = ",.0f" if abs(high) >= 100 else ",.3f" if abs(high) < 1 else ",.2f"
    return f"${decimals}" if unit.startswith("USD") else decimals


def driver_label(schema: type[ModelParams], name: str) -> str:
    """HTML label of one assumption: its meaning, then its unit in small type."""
    field = schema.model_fields[name]
    meaning = field.description or name.replace("_", " ").capitalize()
    unit = (field.json_schema_extra or {}).get("unit", "")
    small = f"<br><small style='color:#666'>{html.escape(unit)}</small>" if unit else ""
    return f"<span title='{html.escape(name)}'>{html.escape(meaning)}</span>{small}"


def driver_slider(params: ModelParams, name: str) -> widgets.FloatSlider:
    """A slider for one assumption, starting at its current value, readout formatted for its unit."""
    lo, hi, step = slider_range(params, name)
    unit = (type(params).model_fields[name].json_schema_extra or {}).get("unit", "")
    return widgets.FloatSlider(
        value=float(getattr(params, name)),
        min=lo,
        max=hi,
        step=step,
        description="",
        continuous_update=False,
        readout_format=readout_format(unit, hi),
        layout=widgets.Layout(width="340px"),
    )


class MarginChart:
    """Gross margin by month, scenario against what-if, rendered to SVG without Altair per move.

    Parameters
    ----------
    floor
        Minimum gross margin guardrail to draw (fraction), or None.
    snapshot_month
        Month the headline figures describe, marked by a vertical rule.
    """

    def __init__(self, floor: float | None, snapshot_month: int):
        line = (
            alt.Chart(alt.NamedData("margins"))
            .mark_line(strokeWidth=2)
            .encode(
                x=alt.X("month:Q", title="month", axis=alt.Axis(tickMinStep=1)),
                y=alt.Y("gross_margin:Q", title="gross margin", axis=alt.Axis(format=".0%")),
                color=alt.Color(
                    "case:N",
                    title=None,
                    scale=alt.Scale(domain=list(CASE_COLOURS), range=list(CASE_COLOURS.values())),
                    legend=alt.Legend(orient="bottom"),
                ),
            )
        )
        floor_rule = (
            alt.Chart(alt.NamedData("floor"))
            .mark_rule(strokeDash=[5, 4], color=charts.STATUS_COLOURS["breach"])
            .encode(y="gross_margin:Q")
        )
        month_rule = alt.Chart(alt.NamedData("snapshot")).mark_rule(color="#bbbbbb").encode(x="month:Q")
        spec = (line + floor_rule + month_rule).properties(width=520, height=200).to_dict()
        spec["datasets"] = {
            "margins": [],
            "floor": [] if floor is None else [{"gross_margin": floor}],
            "snapshot": [{"month": snapshot_month}],
        }
        self._vega = vlc.vegalite_to_vega(json.dumps(spec))
        self._margins = next(d for d in self._vega["data"] if d["name"] == "margins")

    def svg(self, scenario: np.ndarray, what_if: np.ndarray) -> str:
        """SVG of the two monthly gross-margin series (fractions, month 1 first)."""
        self._margins["values"] = [
            {"month": month, "case": case, "gross_margin": _finite_or_none(value)}
            for case, series in (("scenario", scenario), ("what-if", what_if))
            for month, value in enumerate(np.asarray(series, dtype=float).ravel().tolist(), start=1)
        ]
        return charts.compact_svg(vlc.vega_to_svg(self._vega))


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


def margin_headline(evaluation: Evaluation, start: Evaluation) -> str:
    """HTML headline: gross margin in the snapshot month, large, and its change from ``start``."""
    margin, before = evaluation.gross_margin, start.gross_margin
    month = int(evaluation.params.snapshot_month)
    if math.isfinite(margin) and math.isfinite(before):
        change = f"{(margin - before) * 100:+.1f} pts against the scenario ({before:.1%})"
    else:
        change = f"scenario: {before:.1%}" if math.isfinite(before) else ""
    figure = f"{margin:.1%}" if math.isfinite(margin) else "n/a (no revenue)"
    return (
        f"<div><span style='font-size:2.2em;font-weight:600'>{figure}</span>"
        f"<span style='margin-left:0.6em'>gross margin in month {month}</span>"
        f"<div style='color:#555'>{html.escape(change)}</div></div>"
    )


def _monthly_margin(evaluation: Evaluation) -> np.ndarray:
    return np.asarray(evaluation.statement.ratios()["gross_margin"], dtype=float)


class WhatIfPanel(widgets.VBox):
    """Sliders for a model's main drivers, with the gross margin, KPIs, tree and a chart following them.

    The results are HTML widgets whose value is replaced on every move (no output
    capture), so the panel behaves the same under papermill as in JupyterLab and Voila.

    Attributes
    ----------
    sliders
        One slider per driver in ``spec.what_if``, by assumption name.
    headline, figures, picture
        Gross-margin headline, KPI table with the metric tree as text, and the chart (SVG).
    """

    def __init__(self, evaluation: Evaluation):
        self.start = evaluation
        spec, params = evaluation.spec, evaluation.params
        # a linked driver's slider starts at the value its seller gives it in the snapshot month
        self._own = params.unlinked(*spec.what_if)
        self.sliders = {name: driver_slider(self._own, name) for name in spec.what_if}
        rows = [
            widgets.HBox(
                [widgets.HTML(driver_label(type(params), name), layout=widgets.Layout(width="420px")), s],
                layout=widgets.Layout(align_items="center"),
            )
            for name, s in self.sliders.items()
        ]
        self.headline = widgets.HTML().add_class("aibm-what-if-margin")
        self.figures = widgets.HTML().add_class("aibm-what-if-figures")
        self.picture = widgets.HTML().add_class("aibm-what-if-chart")
        floor = getattr(params, MARGIN_FLOOR, None)
        self._chart = MarginChart(floor, int(params.snapshot_month))
        self._scenario_margin = _monthly_margin(evaluation)
        for slider in self.sliders.values():
            slider.observe(self.redraw, names="value")
        super().__init__([self.headline, *rows, self.figures, self.picture])
        self.add_class("aibm-what-if")
        self.redraw()

    def evaluation(self) -> Evaluation:
        """The model evaluated at the sliders' values (the starting evaluation while none has moved)."""
        start = self.start
        moved = {n: s.value for n, s in self.sliders.items() if s.value != getattr(self._own, n)}
        # a moved linked driver becomes the model's own constant; the other links stay in force
        return evaluate(start.spec, start.params.unlinked(*moved).vary(**moved)) if moved else start

    def redraw(self, _change: Any = None) -> None:
        """Re-evaluate the model and replace the headline, figures and chart."""
        ev = self.evaluation()
        self.headline.value = margin_headline(ev, self.start)
        kpis = ev.kpi_frame()[["value"]].to_html(header=False, index_names=False)
        tree = f"<pre style='margin:0 0 0 2em'>{html.escape(ev.tree.to_text())}</pre>"
        self.figures.value = f"<div style='display:flex;align-items:flex-start'>{kpis}{tree}</div>"
        self.picture.value = self._chart.svg(self._scenario_margin, _monthly_margin(ev))


def what_if_panel(evaluation: Evaluation) -> WhatIfPanel:
    """Sliders for the model's main drivers; gross margin, KPIs, tree and a chart follow them."""
    return WhatIfPanel(evaluation)


def redraw_times(evaluation: Evaluation, moves: int = 30) -> list[float]:
    """Milliseconds each of ``moves`` slider moves takes to redraw a panel (drivers in turn).

    Each move sets one slider to a spread of positions across its range, as a user would,
    and times the whole update (evaluation, figures and chart).
    """
    panel = WhatIfPanel(evaluation)
    sliders = list(panel.sliders.values())
    times = []
    for i in range(moves):
        slider = sliders[i % len(sliders)]
        position = slider.min + (slider.max - slider.min) * ((i * 37) % 101) / 100
        if math.isclose(position, slider.value):
            position = slider.min
        begin = time.perf_counter()
        slider.value = position
        times.append((time.perf_counter() - begin) * 1000)
    return times


def median_redraw_ms(evaluation: Evaluation, moves: int = 30) -> float:
    """Median of :func:`redraw_times` (milliseconds per slider move)."""
    return statistics.median(redraw_times(evaluation, moves))
