"""The calls every business-model notebook shares: set-up, the seed example and results.

A model notebook is narrative plus model-specific cells; what every notebook does the same
way is one call each here, so that a new model's notebook repeats no code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aibm_core.formatting import format_value
from aibm_core.models import Evaluation, ModelSpec, evaluate, get_model
from aibm_core.params import MONTE_CARLO_SETTINGS, ModelParams, allowed_range, notebook_parameters
from aibm_core.results import (
    breach_labels,
    evaluate_scenario,
    from_json_number,
    north_star_range,
    results_payload,
    write_results,
)
from aibm_core.uncertainty import MonteCarlo, monte_carlo


def start(
    model: str, namespace: Mapping[str, Any]
) -> tuple[ModelSpec, ModelParams, Evaluation, MonteCarlo | None]:
    """Validate the notebook's parameters cell, evaluate the model and run its Monte Carlo.

    Parameters
    ----------
    model
        Model name, e.g. ``"api_access"``.
    namespace
        The notebook's globals (where papermill injected the parameters).

    Returns
    -------
    tuple
        The model spec, the validated parameters, the base-case evaluation (its tree's
        guardrails carry their breach probabilities) and the Monte Carlo run (``None`` when
        no driver is a range or ``draws`` is 0).
    """
    spec = get_model(model)
    params = notebook_parameters(spec.params, namespace)
    evaluation = evaluate(spec, params)
    mc = monte_carlo(spec, params)
    if mc is not None:
        risks = dict(mc.breach_probabilities()["probability"])
        evaluation = replace(evaluation, tree=evaluation.tree.with_risks(risks))
    return spec, params, evaluation, mc


def kpi_table(evaluation: Evaluation, mc: MonteCarlo | None) -> pd.DataFrame:
    """Key figures of the base case, with P10 / P50 / P90 beside them when there are draws."""
    return evaluation.kpi_frame()[["value"]] if mc is None else mc.kpi_table(evaluation)


def show_uncertainty(evaluation: Evaluation, mc: MonteCarlo | None) -> None:
    """The uncertainty section: what was sampled, fan charts and guardrail breach probabilities."""
    from IPython.display import display

    from aibm_core import charts

    if mc is None:
        print("This scenario gives no ranges (or draws: 0): every driver is a point, nothing to simulate.")
        return
    u = mc.params.uncertainty
    print(
        f"{mc.draws:,} draws (seed {u.random_seed}) over {len(u.ranges)} ranged drivers: "
        + ", ".join(u.ranges)
        + (
            f"; rank correlations: {', '.join(f'{a} ~ {b} {r:+.2f}' for a, b, r in u.correlations)}"
            if u.correlations
            else ""
        )
    )
    statement = evaluation.statement
    months = pd.Index(range(1, len(statement.series("revenue")) + 1), name="month")
    star = statement.north_star_label
    charts.show(
        charts.fan_chart(
            {star: mc.series_percentiles("north_star")},
            f"{star}: range of outcomes by month",
            statement.north_star_unit,
            base=pd.DataFrame({star: statement.series("north_star")}, index=months),
        )
    )
    profit = {"gross profit": "gross_profit", "operating profit": "operating_profit"}
    charts.show(
        charts.fan_chart(
            {label: mc.series_percentiles(key) for label, key in profit.items()},
            "Gross and operating profit: range of outcomes by month",
            "USD per month",
        )
    )
    risks = mc.breach_probabilities().assign(probability=lambda f: [f"{p:.1%}" for p in f["probability"]])
    display(risks.rename(columns={"probability": "P(breach in some month)"}).set_index("label"))


def seed_example(model: str) -> Evaluation:
    """The model evaluated on the shipped ``seed`` scenario (the seeds' worked example)."""
    return evaluate_scenario(model, "seed")


def show_global_sensitivity(spec: ModelSpec, params: ModelParams, n: int = 1024) -> dict[str, pd.DataFrame]:
    """The north-star tornado over the ranged drivers and Sobol indices of the north star and gross margin."""
    from aibm_core import charts
    from aibm_core.sensitivity import model_sobol_metrics, north_star, tornado

    if not params.uncertainty.active:
        print("A point scenario (no ranges, or draws: 0): global sensitivity needs ranges.")
        return {}
    statement = spec.statement(spec.compute(params))
    star, unit = statement.north_star_label, statement.north_star_unit
    swings = tornado(spec, params, list(params.uncertainty.ranges), metric=north_star(spec))
    title = f"{star}: each ranged driver from its P10 to its P90"
    charts.show(charts.tornado_chart(swings, star, title, unit=unit))
    frames = model_sobol_metrics(spec, params, n=n)
    for label, frame in frames.items():
        charts.show(charts.sobol_chart(frame, label, f"What drives the spread of the {label}: Sobol indices"))
    return frames


def show_goal_seek(spec: ModelSpec, params: ModelParams) -> pd.DataFrame:
    """The model's goal-seek questions answered on the base case (a table)."""
    from aibm_core.goalseek import answer_all, answers_frame

    return answers_frame(answer_all(spec, params))


def show_attribution(outcomes: Any, scenario: str) -> None:
    """For each computed model: what moved its north star and gross margin against ``base``."""
    from aibm_core import charts
    from aibm_core.attribution import attribute, tree_delta_text
    from aibm_core.results import evaluate_scenario

    if scenario == "base":
        print("This is the base scenario: there is no change to attribute.")
        return
    for o in (o for o in outcomes if o.ok):
        base = evaluate_scenario(o.model, "base")
        try:
            frames = attribute(base.spec, base.params, evaluate_scenario(o.model, scenario).params)
        except ValueError as error:  # a scenario that changes a setting (horizon, a choice)
            print(f"{o.title}: not attributable by assumption ({error})")
            continue
        if frames["gross margin"].empty:
            print(f"{o.title}: the scenario changes none of its assumptions")
            continue
        for label, frame in frames.items():
            unit = frame.attrs.get("unit") or "fraction"
            charts.show(charts.waterfall_chart(frame, frame.attrs["metric"], f"{o.title}: {label}", unit))
        print(tree_delta_text(base.spec, base.params, evaluate_scenario(o.model, scenario).params))


def publish(
    evaluation: Evaluation, scenario: str, results_path: str | Path = "", mc: MonteCarlo | None = None
) -> dict[str, Any]:
    """Write the results JSON when a path is given, print a one-line summary, return the payload."""
    payload = results_payload(evaluation, scenario, mc)
    if results_path:
        write_results(payload, results_path)
    print(summary(payload))
    return payload


def summary(payload: Mapping[str, Any]) -> str:
    """North star, margins, capital intensity and guardrails of a results payload, on one line."""
    star = payload["north_star"]
    snapshot = payload["snapshot"]
    breaches = breach_labels(payload)
    figures = [
        f"{star['name']}: {format_value(from_json_number(star['value']), star['unit'])}"
        + north_star_range(payload),
        f"gross margin {format_value(from_json_number(payload['gross_margin']), 'fraction')}",
        f"operating margin {format_value(from_json_number(snapshot['operating_margin']), 'fraction')}",
        f"capex / revenue {format_value(from_json_number(snapshot['capital_intensity']), 'fraction')}",
        "guardrails: " + ("all ok" if not breaches else "breach: " + ", ".join(breaches)),
    ]
    return f"month {payload['snapshot_month']}: " + "; ".join(figures)


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


def executive_summary(
    evaluation: Evaluation,
    mc: MonteCarlo | None = None,
    scenario: str = "custom",
    parameters_dir: Path | None = None,
) -> Any:
    """The executive summary of a model run, as an HTML block (the first output of a notebook).

    Key-figure cards (the north star and gross margin with their P10-P90 when a Monte Carlo
    ran, then the unit-economics figures named by the spec's ``unit_focus``), a badge per
    guardrail (ok, or breach with its first month; the breach probability when there are
    draws), the three drivers that move the north star most, the scenario's description and
    the same figures in every shipped scenario side by side.

    Parameters
    ----------
    evaluation
        The base-case evaluation (from :func:`start`).
    mc
        Its Monte Carlo run, or ``None``.
    scenario
        Name of the scenario this run is (``custom`` outside ``aibm run``).
    parameters_dir
        Folder of the scenarios to compare against; default: the shipped ``parameters/``.

    Returns
    -------
    IPython.display.HTML
        Displayed when it is the last expression of a cell.
    """
    from IPython.display import HTML

    return HTML(summary_html(evaluation, mc, scenario, parameters_dir))


def summary_html(
    evaluation: Evaluation,
    mc: MonteCarlo | None = None,
    scenario: str = "custom",
    parameters_dir: Path | None = None,
) -> str:
    """The HTML of :func:`executive_summary` (every number formatted, so the text is reproducible)."""
    from aibm_core.config import PARAMETERS_DIR
    from aibm_core.scenarios import describe

    folder = Path(parameters_dir or PARAMETERS_DIR)
    spec, params = evaluation.spec, evaluation.params
    description = describe(folder, scenario)
    about = (
        f"<p class='aibm-scenario'><b>Scenario {_esc(scenario)}</b>"
        + (f": {_esc(description)}" if description else "")
        + f". Figures of month {int(params.snapshot_month)} of {int(params.horizon_months)}"
        + (f"; ranges are P10-P90 of {mc.draws:,} draws" if mc is not None else "")
        + ".</p>"
    )
    return (
        f"<div class='aibm-summary'><style>{SUMMARY_CSS}</style>"
        f"<h3>{_esc(spec.title)}: executive summary</h3>{about}"
        f"<div class='aibm-cards'>{''.join(_card(*f) for f in key_figures(evaluation, mc))}</div>"
        f"<h4>Guardrails</h4><div class='aibm-badges'>{_badges(evaluation)}</div>"
        f"<h4>What moves {_esc(evaluation.statement.north_star_label)} most</h4>{_drivers(evaluation)}"
        f"<h4>Across scenarios</h4>{_scenario_table(evaluation, scenario, folder)}</div>"
    )


def pyramid_summary(outcomes: Any, scenario: str, parameters_dir: Path | None = None) -> Any:
    """The pyramid comparison's summary as an HTML block: one card per layer and the verdict.

    Each layer (top of the pyramid first) shows its revenue-weighted gross margin, the P10-P90
    band of its models' margins, its capital intensity and its models; a badge says whether
    margins rise up the pyramid, and one per model that has no results says why.

    Parameters
    ----------
    outcomes
        The models' outcomes (:func:`aibm_core.pyramid.gather`).
    scenario
        The scenario compared.
    parameters_dir
        Folder of the scenarios, for the description; default: the shipped ``parameters/``.
    """
    from IPython.display import HTML

    return HTML(pyramid_summary_html(outcomes, scenario, parameters_dir))


def pyramid_summary_html(outcomes: Any, scenario: str, parameters_dir: Path | None = None) -> str:
    """The HTML of :func:`pyramid_summary`."""
    from aibm_core import pyramid
    from aibm_core.config import PARAMETERS_DIR
    from aibm_core.formatting import format_range, format_value
    from aibm_core.scenarios import describe

    summary = pyramid.layer_summary(outcomes)
    holds, verdict = pyramid.ordering(summary)
    cards = []
    for layer in reversed(pyramid.LAYERS):
        row = summary.loc[layer]
        if not row["models"]:
            cards.append(_card(f"{layer} layer", "no results", ""))
            continue
        spread = format_range(row["p10"], row["p90"], "fraction")
        capital = format_value(row["capital intensity"], "fraction")
        note = f"range over models and draws {spread}; capex / revenue {capital}; {row['models']}"
        margin = format_value(row["gross margin"], "fraction")
        cards.append(_card(f"{layer} layer: gross margin", margin, note))
    state = "ok" if holds else "breach"
    badges = [f"<span class='aibm-badge {state}'>ordering {_esc(verdict)}</span>"]
    badges += [
        f"<span class='aibm-badge breach'>{_esc(o.title)}: {_esc(o.problem)}</span>"
        for o in outcomes
        if not o.ok
    ]
    description = describe(Path(parameters_dir or PARAMETERS_DIR), scenario)
    computed = sum(o.ok for o in outcomes)
    return (
        f"<div class='aibm-summary'><style>{SUMMARY_CSS}</style>"
        f"<h3>The pyramid: {_esc(scenario)} scenario</h3>"
        f"<p class='aibm-scenario'>{_esc(description + '. ' if description else '')}"
        f"{computed} of {len(outcomes)} models computed; margins of each model's snapshot month.</p>"
        f"<div class='aibm-cards'>{''.join(cards)}</div>"
        "<h4>Seed 003: margins rise up the pyramid</h4>"
        f"<div class='aibm-badges'>{''.join(badges)}</div></div>"
    )


def show_assumptions(params: ModelParams) -> Any:
    """Every assumption of a run as a readable HTML table (nothing cut short).

    One row per assumption: its name and meaning, the value in its unit, the range it is drawn
    from when it is uncertain, the valid range, its role and its full source. See
    :func:`assumptions_html`.
    """
    from IPython.display import HTML

    return HTML(assumptions_html(params))


def assumptions_html(params: ModelParams) -> str:
    """The HTML table of :func:`show_assumptions` (values formatted, text wrapped, escaped)."""
    from aibm_core.formatting import format_range

    schema = type(params)
    table = schema.assumptions_table(params)
    ranges = params.uncertainty.ranges
    rows = []
    for name, row in table.iterrows():
        spread = ranges.get(name)
        interval = "" if spread is None else format_range(spread.low, spread.high, row["unit"])
        if spread is not None:
            interval += f" ({spread.family})"
        rows.append(
            f"<tr><td><b>{_esc(row['meaning'])}</b><br><code>{_esc(name)}</code></td>"
            f"<td class='num'>{_esc(row['formatted'])}</td><td>{_esc(interval)}</td>"
            f"<td class='valid'>{_esc(row['range'])}<br><span class='unit'>{_esc(row['unit'])}</span></td>"
            f"<td class='role'>{_esc(row['role'])}</td><td class='source'>{_esc(row['source'])}</td></tr>"
        )
    return (
        f"<div class='aibm-summary aibm-assumptions'><style>{SUMMARY_CSS}</style>"
        "<table><thead><tr><th>assumption</th><th>value</th><th>uncertain range (90%)</th>"
        "<th>valid range and unit</th><th>role</th><th>source</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def headline_kpis(evaluation: Evaluation, count: int = KEY_FIGURES) -> list[str]:
    """Keys of the KPIs that best match the phrases of the spec's ``unit_focus``, in its order.

    Each phrase (``"Cost to serve per 1M tokens; CAC payback"`` has two) takes the KPI whose
    label and key share most words with it (the shorter label on a tie); KPIs repeating the
    north star are left out, and a phrase the gross margin matches best adds nothing (both
    have cards of their own). Payback KPIs fill what is left.
    """
    kpis, statement = evaluation.kpis, evaluation.statement
    star = (statement.snapshot()["north_star"], statement.north_star_unit)
    duplicates = {k for k, m in kpis.items() if (m.value, m.unit) == star}  # the north star again
    taken: list[str] = []
    for phrase in (p for p in evaluation.spec.unit_focus.split(";") if p.strip()):
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


def _card(label: str, value: str, spread: str) -> str:
    """One key-figure card."""
    note = f"<div class='range'>{_esc(spread)}</div>" if spread else ""
    return (
        f"<div class='aibm-card'><div class='label'>{_esc(label)}</div>"
        f"<div class='value'>{_esc(value)}</div>{note}</div>"
    )


def key_figures(evaluation: Evaluation, mc: MonteCarlo | None = None) -> list[tuple[str, str, str]]:
    """The summary's cards: ``(label, value, P10-P90 range or "")``, formatted.

    The north star (snapshot month), the gross margin and :func:`headline_kpis`.
    """
    from aibm_core.formatting import format_range, format_value
    from aibm_core.tree import percentile

    statement = evaluation.statement
    star_unit = statement.north_star_unit

    def spread(draws: Any, unit: str) -> str:
        if mc is None:
            return ""
        values = np.broadcast_to(np.asarray(draws, dtype=float), (mc.draws,))
        return "P10-P90 " + format_range(percentile(values, 10), percentile(values, 90), unit)

    cards = [
        (
            statement.north_star_label,
            format_value(statement.snapshot()["north_star"], star_unit),
            spread(mc.statement.snapshot()["north_star"], star_unit) if mc else "",
        ),
        (
            "Gross margin",
            format_value(evaluation.gross_margin, "fraction"),
            spread(evaluation.spec.gross_margin(mc.result), "fraction") if mc else "",
        ),
    ]
    for key in headline_kpis(evaluation):
        metric = evaluation.kpis[key]
        draws = mc.kpis[key].value if mc else None
        value = format_value(metric.value, metric.unit)
        cards.append((metric.label.strip(), value, spread(draws, metric.unit)))
    return cards


def top_drivers(evaluation: Evaluation, count: int = 3) -> pd.DataFrame:
    """The drivers that move the north star most, one at a time (a tornado, largest swing first).

    Over the ranged drivers (P10 to P90) when the parameters give ranges, else every numeric
    driver moved ±20%.
    """
    from aibm_core.sensitivity import north_star, tornado

    spec, params = evaluation.spec, evaluation.params
    names = list(params.uncertainty.ranges) or [
        n
        for n in type(params).names_with_role("driver")
        if type(params).model_fields[n].annotation in (int, float)
    ]
    swings = tornado(spec, params, names, metric=north_star(spec))
    order = (swings["high"] - swings["low"]).abs().sort_values(ascending=False, kind="stable").index
    return swings.loc[order].head(count).reset_index(drop=True)


def _drivers(evaluation: Evaluation) -> str:
    """An ordered list: each top driver, its move and the north star at each end."""
    from aibm_core.formatting import format_range

    schema = type(evaluation.params)
    unit = evaluation.statement.north_star_unit
    items = []
    for row in top_drivers(evaluation).itertuples():
        field = schema.model_fields[row.assumption]
        driver_unit = (field.json_schema_extra or {}).get("unit", "")
        items.append(
            f"<li>{_esc(field.description or row.assumption)} <code>{_esc(row.assumption)}</code>: "
            f"{_esc(format_range(row.low_value, row.high_value, driver_unit))} ({_esc(row.rule)}) gives "
            f"{_esc(format_range(row.low, row.high, unit))}</li>"
        )
    return f"<ol>{''.join(items)}</ol>" if items else "<p>No driver to move.</p>"


def _badges(evaluation: Evaluation) -> str:
    """One badge per guardrail: ok or breach (first month), limit, and breach probability."""
    from aibm_core.formatting import format_percentage, format_value

    badges = []
    for node in evaluation.tree.guardrails():
        ok = node.status == "ok"
        sign = "≤" if node.direction == "max" else "≥"
        limit = f"limit {sign} {format_value(node.threshold, node.unit)}"
        state = "ok" if ok else f"breach from month {node.first_breach_month}"
        risk = "" if node.risk is None else f"; P(breach) {format_percentage(node.risk)}"
        title = f"{format_value(node.value, node.unit)} in the snapshot month, {limit}"
        badges.append(
            f"<span class='aibm-badge {'ok' if ok else 'breach'}' title='{_esc(title)}'>"
            f"{_esc(node.label)}: {_esc(state)}{_esc(risk)}</span>"
        )
    return "".join(badges) or "<span>none</span>"


def _scenario_table(evaluation: Evaluation, scenario: str, parameters_dir: Path) -> str:
    """The key figures (point values) in every scenario under ``parameters_dir``, this run marked."""
    from aibm_core.config import scenario_order
    from aibm_core.scenarios import available_scenarios

    names = sorted(set(available_scenarios(parameters_dir)) | {scenario}, key=scenario_order)
    model = evaluation.spec.name
    runs = {n: evaluation if n == scenario else _try_scenario(model, n, parameters_dir) for n in names}
    keys = headline_kpis(evaluation)
    labels = [c[0] for c in key_figures(evaluation)] + ["Guardrails breached"]
    columns = {name: _point_figures(run, keys) for name, run in runs.items()}
    head = "".join(
        f"<th class='current'>{_esc(n)} (this run)</th>" if n == scenario else f"<th>{_esc(n)}</th>"
        for n in names
    )
    rows = "".join(
        f"<tr><td>{_esc(label)}</td>"
        + "".join(f"<td{' class=current' if n == scenario else ''}>{_esc(columns[n][i])}</td>" for n in names)
        + "</tr>"
        for i, label in enumerate(labels)
    )
    table = f"<table><thead><tr><th>figure</th>{head}</tr></thead><tbody>{rows}</tbody></table>"
    return f"<div class='aibm-scroll'>{table}</div>"


def _try_scenario(model: str, scenario: str, parameters_dir: Path) -> Evaluation | None:
    """The model on a scenario, or ``None`` when the scenario cannot give it parameters."""
    from aibm_core.params import ParameterError

    try:
        return evaluate_scenario(model, scenario, parameters_dir)
    except ParameterError:
        return None


def _point_figures(evaluation: Evaluation | None, keys: list[str]) -> list[str]:
    """North star, gross margin, the given KPIs and the breached guardrails, formatted."""
    if evaluation is None:
        return ["n/a"] * (len(keys) + 3)
    values = [value for _, value, _ in key_figures(evaluation)]
    breached = [n.label for n in evaluation.tree.guardrails() if n.status != "ok"]
    return (
        values[:2]
        + [format_value(evaluation.kpis[k].value, evaluation.kpis[k].unit) for k in keys]
        + [", ".join(breached) if breached else "none"]
    )


def _words(text: str) -> set[str]:
    """Lower-case words of a label without stop words (``GPU-hour`` gives ``gpu`` and ``hour``)."""
    import re

    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _STOP_WORDS}


def _esc(value: Any) -> str:
    """Text escaped for HTML, quotes too."""
    import html

    return html.escape(str(value), quote=True)


def parameters_cell(spec: ModelSpec) -> str:
    """Source of a model notebook's ``parameters`` cell: the base scenario, typed and commented.

    Every assumption at its default (ranged drivers as their base range, with the default as
    the point ``value``), the Monte Carlo settings and the run settings, so that the notebook
    run without a parameter file is the base scenario and ``papermill --help-notebook``
    explains each name (its unit and valid range or choices; no ``=`` in a comment, or papermill
    skips the line).
    """
    schema = spec.params
    lines = [
        "# Assumptions (defaults = base scenario). Units follow each value; ranges and sources:",
        f"# spec.params.assumptions_table() below, or `aibm assumptions {spec.name}`.",
        "# A driver may be a range: {low, high} is a 90% interval, `value` the base-case point.",
    ]
    for name, field in schema.model_fields.items():
        extra = field.json_schema_extra or {}
        kind = {int: "int", float: "float", bool: "bool"}.get(field.annotation, "str")  # choices: str
        value: Any = field.default
        # papermill's --help-notebook skips a line holding two "=" signs
        allowed = allowed_range(schema, name).replace(">=", "≥").replace("<=", "≤")
        comment = "; ".join(part for part in (extra.get("unit", ""), allowed) if part)
        if "base_range" in extra:  # a range; a plain number (papermill -p) makes it a point
            kind, value = "dict", {"value": field.default, **extra["base_range"]}
            comment += " (a range {low, high}, or a number)"
        lines.append(f"{name}: {kind} = {value!r}  # {comment}")
    correlations = [[a, b, rho] for a, b, rho, _ in schema.base_correlations]
    lines += [
        "",
        "# Monte Carlo over the ranged drivers",
        f"draws: int = {MONTE_CARLO_SETTINGS['draws']!r}  # number of draws; 0: none",
        f"random_seed: int = {MONTE_CARLO_SETTINGS['random_seed']!r}  # the same seed gives the same draws",
        f"correlations: list = {correlations!r}  # rank correlations [[driver, driver, rho], ...]",
        "",
        "# Run settings (set by `aibm run`; not assumptions)",
        'scenario: str = "custom"  # scenario name written into the results',
        'results_path: str = ""  # where to write the results JSON; empty: do not write',
    ]
    return "\n".join(lines)


def sync_parameters_cells(notebooks_dir: Path | None = None) -> list[Path]:
    """Rewrite the ``parameters`` cell of every model notebook from its schema; return the changed."""
    import nbformat

    from aibm_core.config import NOTEBOOKS_DIR
    from aibm_core.models import registry

    changed = []
    for name, spec in registry().items():
        path = Path(notebooks_dir or NOTEBOOKS_DIR) / f"{name}.ipynb"
        if not path.exists():  # a model being written has no notebook yet
            continue
        nb = nbformat.read(path, as_version=4)
        cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
        if cell.source != (source := parameters_cell(spec)):
            cell.source = source
            nbformat.write(nb, path)
            changed.append(path)
    return changed


if __name__ == "__main__":
    for path in sync_parameters_cells():
        print(f"parameters cell updated: {path}")
