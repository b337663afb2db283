"""Live what-if panels: sliders bound to a model, recomputing on every move.

These run in JupyterLab (a Python kernel is needed). Static reports use
:func:`aibm_core.charts.slider_chart` instead, which needs no kernel.
"""

from __future__ import annotations

import html

import ipywidgets as widgets

from aibm_core import charts
from aibm_core.models.base import Evaluation, evaluate
from aibm_core.params import ModelParams, clip_to_range


def slider_range(params: ModelParams, name: str) -> tuple[float, float, float]:
    """Slider bounds around the current value, kept inside the valid range: (min, max, step)."""
    value = float(getattr(params, name))
    span = abs(value) if value else 1.0
    lo = clip_to_range(type(params), name, value - 0.75 * span)
    hi = clip_to_range(type(params), name, value + 1.5 * span)
    if hi <= lo:
        hi = lo + 1.0
    return lo, hi, (hi - lo) / 200


def what_if_panel(evaluation: Evaluation) -> widgets.VBox:
    """Sliders for the model's main drivers; KPIs, tree and its chart follow them.

    The results are HTML widgets whose value is replaced on every move (no output
    capture), so the panel behaves the same under papermill as in JupyterLab.
    """
    spec, params = evaluation.spec, evaluation.params
    sliders = {}
    for name in spec.what_if:
        lo, hi, step = slider_range(params, name)
        sliders[name] = widgets.FloatSlider(
            value=float(getattr(params, name)),
            min=lo,
            max=hi,
            step=step,
            description=name,
            continuous_update=False,
            readout_format=".4g",
            style={"description_width": "initial"},
            layout=widgets.Layout(width="520px"),
        )
    figures = widgets.HTML()
    picture = widgets.HTML()

    def redraw(_change: object = None) -> None:
        ev = evaluate(spec, params.vary(**{n: s.value for n, s in sliders.items()}))
        figures.value = ev.kpi_frame()[["value"]].to_html() + f"<pre>{html.escape(ev.tree.to_text())}</pre>"
        picture.value = charts.mimebundle(charts.tree_chart(ev.tree))["image/svg+xml"]

    for slider in sliders.values():
        slider.observe(redraw, names="value")
    redraw()
    return widgets.VBox([*sliders.values(), widgets.HBox([figures]), picture])
