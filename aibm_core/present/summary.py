"""The HTML blocks that open and close a report: executive summary, pyramid summary, assumptions.

Each function returns HTML text with every number formatted (:mod:`aibm_core.core.formatting`), so
the stored notebook outputs are reproducible; :mod:`aibm_core.present.notebook` displays them. The
functions compute the figures and text; the markup is in templates under ``templates/html/``,
rendered and escaped by :func:`aibm_core.present.html.render`. The blocks carry their own style
(:data:`SUMMARY_CSS`) and the classes ``mathjax_ignore`` (MathJax 3, JupyterLab 4) and
``tex2jax_ignore`` (MathJax 2, Voila and the classic notebook), so the text between two dollar
amounts is not typeset as mathematics.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from markupsafe import Markup

from aibm_core.analysis import pyramid
from aibm_core.analysis.results import from_json_number
from aibm_core.analysis.scenarios import describe
from aibm_core.analysis.sensitivity import north_star, tornado
from aibm_core.core.config import PARAMETERS_DIR
from aibm_core.core.formatting import format_percentage, format_range, format_spread, format_value
from aibm_core.core.numeric import round_significant
from aibm_core.core.params import ModelParams, stale_warnings
from aibm_core.models import Evaluation, Metric, get_model
from aibm_core.present.html import render

#: Style of the executive summary, shared by the notebook output and the HTML report.
SUMMARY_CSS = """
.aibm-summary { font-family: system-ui, sans-serif; color: #1d2733; background: #fff;
  border: 1px solid #d8dee6; border-radius: 8px; padding: 14px 18px; margin: 6px 0 14px; line-height: 1.4; }
.aibm-summary h3 { margin: 0 0 4px; font-size: 1.15em; }
.aibm-summary h4 { margin: 14px 0 6px; font-size: 0.95em; color: #44546a; text-transform: uppercase;
  letter-spacing: 0.03em; }
.aibm-summary .aibm-scenario { margin: 0 0 10px; color: #44546a; }
.aibm-cards { display: flex; flex-wrap: wrap; gap: 10px; }
.aibm-card { flex: 1 1 180px; max-width: 260px; border: 1px solid #d8dee6; border-radius: 6px;
  padding: 8px 10px; background: #f6f8fb; }
.aibm-card .label { font-size: 0.85em; color: #44546a; }
.aibm-card .value { font-size: 1.35em; font-weight: 600; color: #14202e; }
.aibm-card .range { font-size: 0.8em; color: #5b6b7f; }
.aibm-badges { display: flex; flex-wrap: wrap; gap: 6px; }
.aibm-badge { border-radius: 12px; padding: 2px 10px; font-size: 0.85em; border: 1px solid; }
.aibm-badge.ok { color: #145a32; background: #e9f7ef; border-color: #a9dfbf; }
.aibm-badge.breach { color: #7b241c; background: #fdedec; border-color: #f5b7b1; }
.aibm-summary ol { margin: 0; padding-left: 1.4em; }
.aibm-summary table { border-collapse: collapse; font-size: 0.88em; }
.aibm-summary th, .aibm-summary td { border-bottom: 1px solid #e3e8ee; padding: 3px 8px; text-align: right;
  color: #1d2733; background: #fff; }
.aibm-summary th:first-child, .aibm-summary td:first-child { text-align: left; }
.aibm-summary .current { background: #eef4fb; font-weight: 600; }
.aibm-summary code { font-size: 0.85em; color: #5b6b7f; }
.aibm-assumptions table { width: 100%; table-layout: auto; }
.aibm-summary.aibm-assumptions th, .aibm-summary.aibm-assumptions td { text-align: left !important;
  vertical-align: top; white-space: normal; overflow-wrap: normal; }
.aibm-summary.aibm-assumptions td.num { text-align: right !important; white-space: nowrap; }
.aibm-summary.aibm-assumptions td.role { white-space: nowrap; }
.aibm-assumptions td.source { min-width: 18em; color: #44546a; }
.aibm-assumptions td.valid { min-width: 9em; }
.aibm-scroll { overflow-x: auto; }
.aibm-assumptions .unit { color: #5b6b7f; font-size: 0.9em; }
"""

#: Unit-economics figures a summary shows beside the north star and the gross margin.
KEY_FIGURES = 3

_STOP_WORDS = frozenset({"a", "an", "and", "the", "of", "on", "per", "to", "by", "in", "x", "after", "incl"})


def summary_html(
    evaluation: Evaluation,
    results: Mapping[str, Any],
    scenario: str = "custom",
    parameters_dir: Path | None = None,
) -> str:
    """The HTML of :func:`executive_summary` (every number formatted, so the text is reproducible).

    Parameters
    ----------
    evaluation
        The base-case evaluation of the run.
    results
        Its results payload; its ``uncertainty`` block gives the cards' P10-P90 ranges.
    scenario
        Name of the scenario the run is.
    parameters_dir
        Folder of the scenarios, for the description; default: the shipped ``parameters/``.

    Returns
    -------
    str
        The block (template ``summary.html.j2``).
    """
    folder = Path(parameters_dir or PARAMETERS_DIR)
    spec, params = evaluation.spec, evaluation.params
    cards = key_figures(evaluation, results)
    u = results.get("uncertainty")
    spread = u is not None and any(note for _, _, note in cards)  # a range shown on some card
    return render(
        "summary.html.j2",
        css=Markup(SUMMARY_CSS),
        title=spec.title,
        scenario=scenario,
        description=describe(folder, scenario),
        month=int(params.snapshot_month),
        horizon=int(params.horizon_months),
        draws=f"{u['draws']:,}" if spread else "",
        cards=cards,
        badges=_badges(evaluation),
        north_star=evaluation.statement.north_star_label,
        drivers=_drivers(evaluation),
    )


def live_summary_html(evaluation: Evaluation, scenario: str, moved: int = 0) -> str:
    """The executive summary's cards and guardrail badges for the live what-if panel.

    The same cards (:func:`key_figures`, without ranges: a move is one point) and badges as the
    report's summary, at the values the panel's controls set.

    Parameters
    ----------
    evaluation
        The evaluation at the panel's values.
    scenario
        Name of the scenario the panel started from.
    moved
        Number of assumptions moved away from the scenario's values.
    """
    params = evaluation.params
    return render(
        "live_summary.html.j2",
        css=Markup(SUMMARY_CSS),
        scenario=scenario,
        moved=moved,
        month=int(params.snapshot_month),
        horizon=int(params.horizon_months),
        cards=key_figures(evaluation),
        badges=_badges(evaluation),
    )


def pyramid_summary_html(outcomes: Any, scenario: str, parameters_dir: Path | None = None) -> str:
    """The HTML of :func:`pyramid_summary`.

    Parameters
    ----------
    outcomes
        The models' outcomes (:func:`aibm_core.analysis.pyramid.gather`).
    scenario
        The scenario compared.
    parameters_dir
        Folder of the scenarios, for the description; default: the shipped ``parameters/``.

    Returns
    -------
    str
        The block (template ``pyramid_summary.html.j2``).
    """
    summary = pyramid.layer_summary(outcomes)
    verdicts = pyramid.orderings(outcomes, summary)
    cards = []
    for layer in reversed(pyramid.LAYERS):
        row = summary.loc[layer]
        if not row["models"]:
            cards.append((f"{layer} layer", "no results", ""))
            continue
        models = format_spread(row["gross margin low"], row["gross margin high"], "fraction", "models")
        spread = format_spread(row["p10"], row["p90"], "fraction")
        others = []
        for measure in (m for m in pyramid.MEASURES if m != pyramid.HEADLINE_MEASURE):
            across = format_spread(row[f"{measure} low"], row[f"{measure} high"], "fraction", "models")
            median = format_value(row[measure], "fraction")
            others.append(f"{measure} {median}" + (f" ({across})" if across else ""))
        capital = format_value(row["capital intensity"], "fraction")
        parts = [models, spread, *others, f"capex / revenue {capital}", row["models"]]
        note = "; ".join(part for part in parts if part)
        margin = format_value(row["gross margin"], "fraction")
        cards.append((f"{layer} layer: median gross margin", margin, note))
    badges = [{"ok": holds, "text": f"ordering {verdict}"} for holds, verdict in verdicts.values()]
    badges += [{"ok": False, "text": f"{o.title}: {o.problem}"} for o in outcomes if not o.ok]
    return render(
        "pyramid_summary.html.j2",
        css=Markup(SUMMARY_CSS),
        scenario=scenario,
        description=describe(Path(parameters_dir or PARAMETERS_DIR), scenario),
        computed=sum(o.ok for o in outcomes),
        total=len(outcomes),
        cards=cards,
        badges=badges,
    )


def assumptions_html(params: ModelParams) -> str:
    """The HTML table of :func:`show_assumptions` (values formatted, text wrapped, escaped), after a
    warning line for each source more than a year older than the run.

    Parameters
    ----------
    params
        The run's parameters.

    Returns
    -------
    str
        The block (template ``assumptions.html.j2``): a row per assumption.
    """
    schema = type(params)
    table = schema.assumptions_table(params)
    ranges = params.uncertainty.ranges
    rows = []
    for name, row in table.iterrows():
        spread = ranges.get(name)
        interval = "" if spread is None else format_range(spread.low, spread.high, row["unit"])
        if spread is not None:
            interval += f" ({spread.family})"
        columns = ("meaning", "formatted", "range", "unit", "role", "source", "source_date")
        cells = {c: row[c] for c in columns}
        link = params.linked.get(name)
        if link is not None:  # the seller's figure replaces the model's own value
            month = int(params.snapshot_month)
            value = float(params.value_of(name))
            how = "scheduled" if link.scheduled else "linked"
            cells["formatted"] = f"{format_value(value, row['unit'])} in month {month}, {how}"
            cells["source"] = f"{link.describe()} (the model's own value {row['formatted']} is not used)"
            interval = "the seller's draws" if link.draws is not None else ""
        rows.append({"name": name, "interval": interval, **cells})
    warnings = stale_warnings(params)  # sources more than a year older than the run
    return render("assumptions.html.j2", css=Markup(SUMMARY_CSS), rows=rows, warnings=warnings)


def headline_kpis(evaluation: Evaluation, count: int = KEY_FIGURES) -> list[str]:
    """Keys of the KPIs that best match the phrases of the spec's ``unit_focus``, in its order.

    Each phrase (``"Cost to serve per 1M tokens; CAC payback"`` has two) takes the KPI whose
    label and key share most words with it (the shorter label on a tie); KPIs repeating the
    north star are left out, and a phrase the gross margin matches best adds nothing (both
    have cards of their own). Payback KPIs fill what is left.
    """
    statement = evaluation.statement
    star = (statement.snapshot()["north_star"], statement.north_star_unit)
    return headline_keys(evaluation.kpis, star, evaluation.spec.unit_focus, count)


def payload_headline_kpis(payload: Mapping[str, Any], count: int = KEY_FIGURES) -> list[str]:
    """:func:`headline_kpis` read from a results payload (the same keys for the same run)."""
    kpis = {
        key: Metric(k["label"], from_json_number(k["value"]), k["unit"]) for key, k in payload["kpis"].items()
    }
    star = (from_json_number(payload["snapshot"]["north_star"]), payload["north_star"]["unit"])
    return headline_keys(kpis, star, get_model(payload["model"]).unit_focus, count)


def headline_keys(
    kpis: Mapping[str, Metric], star: tuple[Any, str], unit_focus: str, count: int = KEY_FIGURES
) -> list[str]:
    """The KPI keys that best match the phrases of ``unit_focus`` (see :func:`headline_kpis`).

    ``star`` is the north star's value and unit in the snapshot month.
    """
    duplicates = {k for k, m in kpis.items() if (m.value, m.unit) == star}  # the north star again
    taken: list[str] = []
    for phrase in (p for p in unit_focus.split(";") if p.strip()):
        words = _words(phrase)
        scores = {
            key: (len(words & _words(f"{m.label} {key}")), -len(m.label))
            for key, m in kpis.items()
            if key not in taken and key not in duplicates
        }
        best = max(scores, key=scores.__getitem__, default=None)
        if best is not None and best != "gross_margin" and scores[best][0] > 0:
            taken.append(best)
    taken += [k for k in kpis if k.endswith("payback_months") and k not in taken]
    return taken[:count]


def key_figures(
    evaluation: Evaluation, results: Mapping[str, Any] | None = None
) -> list[tuple[str, str, str]]:
    """The summary's cards: ``(label, value, P10-P90 range or "")``, formatted.

    The north star (snapshot month), the gross margin and :func:`headline_kpis`; the ranges come
    from the results payload's ``uncertainty`` block when it has one, and are left out where
    both ends read the same (:func:`~aibm_core.core.formatting.format_spread`).
    """
    statement = evaluation.statement
    star_unit = statement.north_star_unit
    u = (results or {}).get("uncertainty")

    def spread(percentiles: Mapping[str, Any] | None, unit: str) -> str:
        if not percentiles:
            return ""
        return format_spread(*(from_json_number(percentiles[q]) for q in ("p10", "p90")), unit)

    cards = [
        (
            statement.north_star_label,
            format_value(statement.snapshot()["north_star"], star_unit),
            spread(u and u["headline"]["north_star"], star_unit),
        ),
        (
            "Gross margin",
            format_value(evaluation.gross_margin, "fraction"),
            spread(u and u["headline"]["gross_margin"], "fraction"),
        ),
    ]
    for key in headline_kpis(evaluation):
        metric = evaluation.kpis[key]
        value = format_value(metric.value, metric.unit)
        cards.append((metric.label.strip(), value, spread(u and u["kpis"][key], metric.unit)))
    return cards


def top_drivers(evaluation: Evaluation, count: int = 3) -> pd.DataFrame:
    """The drivers that move the north star most, one at a time (a tornado, largest swing first).

    The ranged drivers (P10 to P90) first, unless the scenario is a point scenario (``draws: 0``);
    when fewer than ``count`` of them move the north star,
    the other numeric drivers moved ±20% fill the list. A driver that does not move the north
    star (a cost, when the north star is revenue) is not listed.
    """
    spec, params = evaluation.spec, evaluation.params
    schema = type(params)
    if not params.uncertainty.active:  # a point scenario (draws: 0): its ranges are not sampled,
        params = params.with_uncertainty(type(params.uncertainty)({}, draws=0))  # every driver ±20%
    ranged = list(params.uncertainty.ranges)
    others = [
        n
        for n in schema.names_with_role("driver")
        if schema.model_fields[n].annotation in (int, float) and n not in ranged
    ]
    picked = []
    for names in (ranged, others):
        if len(picked) >= count or not names:
            continue
        swings = tornado(spec, params, names, metric=north_star(spec))
        # spans rounded, so that ties order alike on every CPU
        spans = (swings["high"] - swings["low"]).abs().map(round_significant)
        floor = 1e-9 * max(abs(float(swings["base"].iloc[0])), 1.0)
        order = spans[spans > floor].sort_values(ascending=False, kind="stable").index
        picked.append(swings.loc[order].head(count - sum(map(len, picked))))
    if not picked:
        return pd.DataFrame(columns=["assumption", "low", "high", "base"])
    return pd.concat(picked, ignore_index=True)


def _drivers(evaluation: Evaluation) -> list[dict[str, str]]:
    """Each top driver: its meaning and name, its move and the north star at each end."""
    schema = type(evaluation.params)
    unit = evaluation.statement.north_star_unit
    items = []
    for row in top_drivers(evaluation).itertuples():
        field = schema.model_fields[row.assumption]
        driver_unit = (field.json_schema_extra or {}).get("unit", "")
        items.append(
            {
                "description": field.description or row.assumption,
                "name": row.assumption,
                "driver_range": format_range(row.low_value, row.high_value, driver_unit),
                "rule": row.rule,
                "north_star_range": format_range(row.low, row.high, unit),
            }
        )
    return items


def _badges(evaluation: Evaluation) -> list[dict[str, Any]]:
    """One badge per guardrail: ok or breach (first month), limit, and breach probability."""
    badges = []
    for node in evaluation.tree.guardrails():
        ok = node.status == "ok"
        sign = "≤" if node.direction == "max" else "≥"
        limit = f"limit {sign} {format_value(node.threshold, node.unit)}"
        state = "ok" if ok else f"breach from month {node.first_breach_month}"
        risk = "" if node.risk is None else f"; P(breach) {format_percentage(node.risk)}"
        title = f"{format_value(node.value, node.unit)} in the snapshot month, {limit}"
        badges.append({"ok": ok, "text": f"{node.label}: {state}{risk}", "title": title})
    return badges


def _words(text: str) -> set[str]:
    """Lower-case words of a label without stop words (``GPU-hour`` gives ``gpu`` and ``hour``)."""
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _STOP_WORDS}
