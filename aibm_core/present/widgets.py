"""Live what-if panels: sliders bound to a model, recomputing on every move.

These run in JupyterLab or a Voila dashboard (a Python kernel is needed). Static reports
use :func:`aibm_core.present.charts.slider_chart` instead, which needs no kernel.

A move costs one model evaluation and two drawings, the metric tree (as the report draws it)
and a small chart: their Vega specs are compiled once per panel and only their data change
afterwards (see :func:`redraw_times`).
"""

from __future__ import annotations

import html
import json
import math
import statistics
import time
from pathlib import Path
from typing import Any

import altair as alt
import ipywidgets as widgets
import numpy as np
import pandas as pd
import vl_convert as vlc

from aibm_core.analysis.new_scenario import save_scenario
from aibm_core.analysis.scenarios import ROOT, available_scenarios
from aibm_core.core.config import PARAMETERS_DIR
from aibm_core.core.numeric import round_significant
from aibm_core.core.params import ModelParams, ParameterError, allowed_range, clip_to_range, validate
from aibm_core.core.tree import MetricTree
from aibm_core.models.base import Evaluation, evaluate
from aibm_core.present import charts
from aibm_core.present.summary import live_summary_html

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


def driver_input(params: ModelParams, name: str) -> widgets.ValueWidget:
    """A numeric box (or choice, or tick box) for one assumption, starting at its current value.

    Floats get a :class:`~ipywidgets.FloatText`, integers an :class:`~ipywidgets.IntText`, choices
    a drop-down and yes/no settings a tick box; the valid range is checked when the panel
    evaluates (:meth:`WhatIfPanel.evaluation`), so a value outside it is reported, not clipped.
    """
    field = type(params).model_fields[name]
    value = getattr(params, name)
    layout = widgets.Layout(width="180px")
    choices = getattr(field.annotation, "__args__", None)
    if field.annotation is bool:
        return widgets.Checkbox(value=bool(value), indent=False, layout=layout)
    if choices and all(isinstance(c, str) for c in choices):
        return widgets.Dropdown(options=list(choices), value=value, layout=layout)
    if field.annotation is int:
        return widgets.IntText(value=int(value), layout=layout)
    if field.annotation is str:
        return widgets.Text(value=str(value), layout=layout)
    return widgets.FloatText(value=float(value), step=None, layout=layout)


def input_label(params: ModelParams, name: str) -> str:
    """HTML label of an assumption's box: its meaning, then its unit and valid range in small type."""
    schema = type(params)
    field = schema.model_fields[name]
    meaning = field.description or name.replace("_", " ").capitalize()
    unit = (field.json_schema_extra or {}).get("unit", "")
    link = params.linked.get(name)
    notes = "; ".join(p for p in (unit, allowed_range(schema, name)) if p)
    if link is not None:
        notes += (
            "; scheduled: a value here replaces the schedule"
            if link.scheduled
            else "; linked: its seller sets it, a value here cuts the link"
        )
    return (
        f"<span title='{html.escape(name)}'>{html.escape(meaning)}</span>"
        f"<br><small style='color:#666'><code>{html.escape(name)}</code> {html.escape(notes)}</small>"
    )


#: Sections of the "All assumptions" accordion, by role.
ROLE_TITLES = {
    "driver": "Drivers",
    "setting": "Settings",
    "observed": "Observed figures",
    "limit": "Guardrail limits",
}


def _run_settings() -> tuple[str, Path]:
    """The notebook's ``scenario`` and ``parameters_dir`` (its parameters cell), outside one
    ``("custom", parameters/)``."""
    namespace: dict[str, Any] = {}
    try:
        from IPython import get_ipython  # 0.1 s to import outside a kernel, which has it loaded

        shell = get_ipython()
        namespace = shell.user_ns if shell is not None else {}
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        pass
    folder = namespace.get("parameters_dir") or ""
    return str(namespace.get("scenario", "custom")), Path(folder) if folder else PARAMETERS_DIR


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


class TreeDrawing:
    """The metric tree drawn as the report draws it (:func:`~aibm_core.present.charts.tree_chart`),
    redrawn on every move without Altair.

    The report's chart is compiled to Vega once; a move replaces the nodes and edges (placed by
    :func:`~aibm_core.present.charts.tree_frames`, so values, statuses and column widths are the
    report's) and the chart's width, and renders the SVG. A tree whose nodes differ from the
    compiled one (a setting that changes the tree's shape) is compiled again.
    """

    def __init__(self, tree: MetricTree):
        self._compile(tree)

    def _compile(self, tree: MetricTree) -> None:
        self._vega = vlc.vegalite_to_vega(json.dumps(charts.tree_chart(tree).to_dict()))
        named = [d for d in self._vega["data"] if "values" in d]
        self._nodes = next(d for d in named if d["values"] and "label" in d["values"][0])
        self._edges = next((d for d in named if d is not self._nodes), None)
        self._x = next(s for s in self._vega["scales"] if s["name"] == "x")
        self._shape = _tree_shape(tree)

    def svg(self, tree: MetricTree) -> str:
        """SVG of ``tree`` (an evaluated metric tree of the model the drawing was made for)."""
        if _tree_shape(tree) != self._shape:
            self._compile(tree)
        nodes, edges, width = charts.tree_frames(tree)
        self._nodes["values"] = _records(nodes)
        if self._edges is not None:
            self._edges["values"] = _records(edges)
        self._x["domain"] = [self._x["domain"][0], width]
        self._vega["width"] = round(width)
        return charts.compact_svg(vlc.vega_to_svg(self._vega))


def _tree_shape(tree: MetricTree) -> tuple[tuple[str, str | None], ...]:
    """The nodes of a tree and their parents: what fixes the drawing's rows and edges."""
    return tuple((node.id, node.parent) for node in tree.nodes)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of a frame as a chart's data, as Altair writes them (numpy values as Python's, NaN as
    null); a few rows, converted in plain Python (Altair's own conversion takes 20x longer)."""
    return [{k: _plain_value(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def _plain_value(value: Any) -> Any:
    """A frame's cell as JSON data: numpy values as Python's, a missing or infinite number as None."""
    if isinstance(value, np.ndarray | np.generic):
        value = value.tolist()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


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
    """Sliders for a model's main drivers and a box for every other assumption, with the gross
    margin, KPIs, tree and a chart following them; the moved values can be saved as a scenario.

    The results are HTML widgets whose value is replaced on every move (no output
    capture), so the panel behaves the same under papermill as in JupyterLab and Voila.

    Parameters
    ----------
    evaluation
        The model evaluated on the scenario the panel opens on.
    scenario
        That scenario's name (default: the notebook's ``scenario`` run setting, else ``custom``);
        a saved scenario overlays it when it is a scenario folder, ``base`` otherwise.
    parameters_dir
        Folder of the scenario folders, where a saved scenario goes (default: the notebook's
        ``parameters_dir``, else the shipped ``parameters/``).

    Attributes
    ----------
    sliders
        One slider per driver in ``spec.what_if``, by assumption name.
    inputs
        One box per other assumption (every assumption of the schema has a slider or a box).
    headline, figures, tree, picture
        Gross-margin headline, KPI table, the metric tree drawn as the report draws it
        (:class:`TreeDrawing`) and the gross-margin chart (SVGs).
    save_name, save_button, saved
        The scenario name to save as, the button, and what saving wrote (or why it could not).
    """

    def __init__(
        self, evaluation: Evaluation, scenario: str | None = None, parameters_dir: Path | None = None
    ):
        self.start = evaluation
        spec, params = evaluation.spec, evaluation.params
        notebook_scenario, notebook_folder = _run_settings()
        self.scenario = scenario or notebook_scenario
        self.parameters_dir = Path(parameters_dir) if parameters_dir else notebook_folder
        # a linked driver starts at the value its seller gives it in the snapshot month
        self._own = params.unlinked(*params.linked)
        self.sliders = {name: driver_slider(self._own, name) for name in spec.what_if}
        rows = [
            widgets.HBox(
                [widgets.HTML(driver_label(type(params), name), layout=widgets.Layout(width="420px")), s],
                layout=widgets.Layout(align_items="center"),
            )
            for name, s in self.sliders.items()
        ]
        schema = type(params)
        self.inputs = {
            name: driver_input(self._own, name) for name in schema.model_fields if name not in self.sliders
        }
        self.summary = widgets.HTML().add_class("aibm-what-if-summary")
        self.headline = widgets.HTML().add_class("aibm-what-if-margin")
        self.figures = widgets.HTML().add_class("aibm-what-if-figures")
        self.picture = widgets.HTML().add_class("aibm-what-if-chart")
        self.tree = widgets.HTML().add_class("aibm-what-if-tree")
        self._tree = TreeDrawing(evaluation.tree)
        self.problems = widgets.HTML().add_class("aibm-what-if-problems")
        floor = getattr(params, MARGIN_FLOOR, None)
        self._chart = MarginChart(floor, int(params.snapshot_month))
        self._scenario_margin = _monthly_margin(evaluation)
        for name, box in [*self.sliders.items(), *self.inputs.items()]:
            box.add_class(f"aibm-input-{name}")  # found by name in a page
            box.observe(self.redraw, names="value")
        self.save_name = widgets.Text(placeholder="new scenario name", layout=widgets.Layout(width="240px"))
        self.save_button = widgets.Button(description="Save as scenario")
        self.saved = widgets.HTML().add_class("aibm-what-if-saved")
        self.save_button.on_click(self.save)
        self.save_name.add_class("aibm-what-if-save-name")
        self.save_button.add_class("aibm-what-if-save")
        save_row = widgets.VBox(
            [
                widgets.HTML(
                    f"<b>Save the moved values as a scenario</b> laid over "
                    f"<b>{html.escape(self.overlays)}</b> (scenario {html.escape(self.scenario)}):"
                ),
                widgets.HBox([self.save_name, self.save_button]),
                self.saved,
            ]
        )
        # the summary on top; each chart beside the controls that move it; the tree (wide) below
        controls = widgets.VBox([*rows, self._accordion(schema), self.problems])
        charts = widgets.VBox([self.picture, self.figures])
        controls.layout, charts.layout = widgets.Layout(flex="1 1 560px"), widgets.Layout(flex="1 1 420px")
        super().__init__(
            [
                self.summary,
                self.headline,
                widgets.HBox([controls, charts], layout=widgets.Layout(flex_flow="row wrap")),
                self.tree,
                save_row,
            ]
        )
        self.add_class("aibm-what-if")
        self.redraw()

    def _accordion(self, schema: type[ModelParams]) -> widgets.Accordion:
        """The "All assumptions" accordion: one section per role, a labelled box per assumption."""
        sections, titles = [], []
        for role, title in ROLE_TITLES.items():
            names = [n for n in schema.names_with_role(role) if n in self.inputs]
            if not names:
                continue
            rows = [
                widgets.HBox(
                    [
                        widgets.HTML(input_label(self._own, n), layout=widgets.Layout(width="520px")),
                        self.inputs[n],
                    ],
                    layout=widgets.Layout(align_items="center"),
                )
                for n in names
            ]
            sections.append(widgets.VBox(rows))
            titles.append(f"{title} ({len(names)})")
        inner = widgets.Accordion(children=sections, titles=tuple(titles))
        outer = widgets.Accordion(children=[inner], titles=("All assumptions",))
        outer.add_class("aibm-what-if-all")
        return outer

    @property
    def overlays(self) -> str:
        """The scenario a saved what-if is laid over: the panel's scenario if it is a folder, else base."""
        try:
            known = available_scenarios(self.parameters_dir)
        except OSError:
            known = []
        return self.scenario if self.scenario in known else ROOT

    def changes(self) -> dict[str, Any]:
        """The assumptions moved away from the scenario's values, by name (in their units)."""
        boxes = {**self.sliders, **self.inputs}
        return {n: box.value for n, box in boxes.items() if box.value != getattr(self._own, n)}

    def evaluation(self) -> Evaluation:
        """The model evaluated at the sliders' and boxes' values (the starting evaluation while
        none has moved).

        Raises
        ------
        ParameterError
            A value outside its valid range, or values that break a rule between assumptions.
        """
        start = self.start
        moved = self.changes()
        if not moved:
            return start
        values = {**self._own.model_dump(), **moved}
        validate(type(start.params), values, source="what-if")
        # a moved linked driver keeps its seller's path, scaled to the value set; links stay in force
        return evaluate(start.spec, start.params.moved(**moved))

    def redraw(self, _change: Any = None) -> None:
        """Re-evaluate the model and replace the headline, figures and chart.

        Values that do not validate leave the last good figures in place and say why.
        """
        try:
            ev = self.evaluation()
        except ParameterError as error:
            self.problems.value = _problems_html(error)
            return
        self.problems.value = ""
        self.summary.value = live_summary_html(ev, self.scenario, len(self.changes()))
        self.headline.value = margin_headline(ev, self.start)
        self.figures.value = ev.kpi_frame()[["value"]].to_html(header=False, index_names=False)
        self.tree.value = f"<div style='overflow-x:auto'>{self._tree.svg(ev.tree)}</div>"
        self.picture.value = self._chart.svg(self._scenario_margin, _monthly_margin(ev))

    def save(self, _button: Any = None) -> Path | None:
        """Save the moved values as the scenario named in :attr:`save_name`; the file, or None.

        The scenario overlays :attr:`overlays` and holds only the moved assumptions
        (:func:`aibm_core.analysis.new_scenario.save_scenario`); :attr:`saved` shows the file
        written or, in one line each, why nothing was.
        """
        changes = {n: round_significant(v) for n, v in self.changes().items()}
        overlays = self.overlays
        try:
            path = save_scenario(
                self.parameters_dir,
                self.save_name.value.strip(),
                self.start.spec.name,
                changes,
                overlays=overlays,
                why=f"what-if on scenario {overlays}",
            )
        except ParameterError as error:
            self.saved.value = _problems_html(error)
            return None
        moved = ", ".join(changes)
        run = f"aibm run --scenario {path.parent.name}"
        if self.parameters_dir.resolve() != PARAMETERS_DIR.resolve():
            run += f" --parameters {self.parameters_dir}"
        self.saved.value = (
            f"<span style='color:#1b5e20'>Saved {html.escape(str(path))} ({html.escape(moved)}); "
            f"run it with <code>{html.escape(run)}</code></span>"
        )
        return path


def _problems_html(error: ParameterError) -> str:
    lines = "".join(f"<div>{html.escape(str(p))}</div>" for p in error.problems)
    return f"<div style='color:#b71c1c'>{lines}</div>"


def what_if_panel(
    evaluation: Evaluation, scenario: str | None = None, parameters_dir: Path | None = None
) -> WhatIfPanel:
    """Sliders for the model's main drivers and a box for every other assumption; gross margin,
    KPIs, tree and a chart follow them, and the moved values can be saved as a scenario."""
    return WhatIfPanel(evaluation, scenario, parameters_dir)


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
