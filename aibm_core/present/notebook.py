"""The calls every business-model notebook shares: set-up, the seed example and results.

A model notebook is narrative plus model-specific cells; what every notebook does the same
way is one call each here, so that a new model's notebook repeats no code.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import lazy_loader as lazy
import pandas as pd

from aibm_core.analysis import value_chain
from aibm_core.analysis.attribution import attribute, tree_delta_text
from aibm_core.analysis.goalseek import answer_all, answers_frame
from aibm_core.analysis.results import (
    breach_labels,
    from_json_number,
    north_star_range,
    scenario_params,
    write_results,
)
from aibm_core.analysis.results_cache import computed, linked
from aibm_core.analysis.sensitivity import (
    main_drivers,
    model_sobol_metrics,
    north_star,
    tornado,
    what_if_grid,
)
from aibm_core.core.config import NOTEBOOKS_DIR, PARAMETERS_DIR
from aibm_core.core.formatting import format_value
from aibm_core.core.params import MONTE_CARLO_SETTINGS, ModelParams, allowed_range, notebook_parameters
from aibm_core.models import Evaluation, ModelSpec, get_model, registry
from aibm_core.present import summary as summary_blocks

nbformat = lazy.load("nbformat")  # seconds to import: only checking the notebooks needs it


def start(
    model: str, namespace: Mapping[str, Any]
) -> tuple[ModelSpec, ModelParams, Evaluation, dict[str, Any]]:
    """Validate the notebook's parameters cell and get the model's results.

    The results come from :func:`aibm_core.analysis.results_cache.computed`: in a batch they were
    computed before the notebook ran (once for every run with the same parameters) and are
    only read here; a notebook run on its own evaluates the model and runs its Monte Carlo.

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
        guardrails carry their breach probabilities) and the results payload
        (:func:`aibm_core.analysis.results.results_payload`; its ``uncertainty`` is ``None`` when no
        driver is a range or ``draws`` is 0).
    """
    spec = get_model(model)
    params = notebook_parameters(spec.params, namespace)
    folder = namespace.get("parameters_dir") or None
    scenario = str(namespace.get("scenario", "custom"))
    evaluation, results = computed(spec, params, scenario, Path(folder) if folder else None)
    global _run_parameters_dir
    _run_parameters_dir = Path(folder) if folder else None  # what this run's pages describe
    params = evaluation.params
    return spec, params, evaluation, results


#: The parameters folder of the notebook being run (its ``parameters_dir`` run setting), set by
#: :func:`start`: the folder whose scenario descriptions the run's pages show.
_run_parameters_dir: Path | None = None


def kpi_table(evaluation: Evaluation, results: Mapping[str, Any]) -> pd.DataFrame:
    """Key figures of the base case, with P10 / P50 / P90 beside them when there are draws."""
    uncertainty = results.get("uncertainty")
    if not uncertainty:
        return evaluation.kpi_frame()[["value"]]
    rows = {
        m.label: {
            "base case": format_value(m.value, m.unit),
            **{
                q: format_value(from_json_number(uncertainty["kpis"][key][q]), m.unit)
                for q in ("p10", "p50", "p90")
            },
        }
        for key, m in evaluation.kpis.items()
    }
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "metric"
    return frame


def series_percentiles(results: Mapping[str, Any], key: str) -> pd.DataFrame:
    """Percentiles of one statement series by month from a payload's ``uncertainty`` (a fan chart's data)."""
    fan = results["uncertainty"]["series"][key]
    months = pd.Index(range(1, len(next(iter(fan.values()))) + 1), name="month")
    return pd.DataFrame({q: [from_json_number(v) for v in values] for q, values in fan.items()}, index=months)


def uncertainty_text(results: Mapping[str, Any]) -> str:
    """What the scenario's Monte Carlo sampled, in words: its own ranged drivers, draws, seed.

    Names the scenario of the payload, lists its ranged drivers and says which of them the
    scenario re-centred on its own value (the overlaid scenario's range moved with the driver,
    :func:`aibm_core.core.ranges.recentre`) with the value each was moved from; a point scenario
    (no range, or ``draws: 0``) says so and gives no draws.
    """
    scenario = str(results.get("scenario", "custom"))
    u = results.get("uncertainty")
    if not u:
        return (
            f"Scenario {scenario} is a point scenario (no driver is a range, or draws: 0): "
            "every figure is a single value, nothing is simulated."
        )
    ranges = u["ranges"]
    moved = {name: r["recentred_from"] for name, r in ranges.items() if "recentred_from" in r}
    kept = [name for name in ranges if name not in moved]
    sellers = {link["driver"]: link["seller"] for link in results.get("links", [])}
    linked = [f"{name} (from {sellers.get(name, 'its seller')})" for name in u.get("linked", [])]
    over = (
        f"its {len(ranges)} ranged driver{'s' if len(ranges) != 1 else ''}" if ranges else "no ranged driver"
    )
    parts = [f"Scenario {scenario}: {u['draws']:,} draws (seed {u['random_seed']}) over {over}"]
    if linked:
        parts.append(
            "and the draws of its linked inputs, each draw reading the same draw of the model it buys from: "
            + ", ".join(linked)
        )
    if kept:
        parts.append(
            f"{'as the overlaid scenario gives them' if moved else 'as the scenario gives them'}: "
            + ", ".join(kept)
        )
    if moved:
        parts.append(
            "re-centred on this scenario's value, with the overlaid range's relative width: "
            + ", ".join(f"{name} (from {value:g})" for name, value in moved.items())
        )
    text = "; ".join(parts)
    if u["correlations"]:
        text += "; rank correlations: " + ", ".join(f"{a} ~ {b} {r:+.2f}" for a, b, r in u["correlations"])
    return text + "."


def _has_spread(frame: pd.DataFrame) -> bool:
    """Whether a fan's P10 and P90 differ in some month (a band worth drawing)."""
    return bool((frame["p90"] - frame["p10"]).abs().gt(0).any())


def show_uncertainty(evaluation: Evaluation, results: Mapping[str, Any]) -> None:
    """The uncertainty section: the scenario's own ranges, fan charts and breach probabilities.

    A point scenario prints one line and draws nothing; a fan whose band has no width in any
    month (the ranges do not move that series) is not drawn, and the text says so.
    """
    from IPython.display import display  # IPython costs 0.1 s outside a kernel, which has it loaded

    from aibm_core.present import charts  # charts imports altair (seconds): not paid by importing this module

    print(uncertainty_text(results))
    u = results.get("uncertainty")
    if not u:
        return
    statement = evaluation.statement
    months = pd.Index(range(1, len(statement.series("revenue")) + 1), name="month")
    star = statement.north_star_label
    star_fan = series_percentiles(results, "north_star")
    if _has_spread(star_fan):
        charts.show(
            charts.fan_chart(
                {star: star_fan},
                f"{star}: range of outcomes by month",
                statement.north_star_unit,
                base=pd.DataFrame({star: statement.series("north_star")}, index=months),
            )
        )
    else:
        print(f"The ranges of this scenario do not move {star}: no fan to draw.")
    profit = {"gross profit": "gross_profit", "operating profit": "operating_profit"}
    fans = {label: series_percentiles(results, key) for label, key in profit.items()}
    fans = {label: frame for label, frame in fans.items() if _has_spread(frame)}
    if fans:
        charts.show(
            charts.fan_chart(
                fans,
                "Gross and operating profit: range of outcomes by month",
                "USD per month",
            )
        )
    else:
        print("The ranges of this scenario do not move gross or operating profit: no fan to draw.")
    risks = pd.DataFrame(
        {
            "label": [g["label"] for g in results["guardrails"]],
            "P(breach in some month)": [f"{g['breach_probability']:.1%}" for g in results["guardrails"]],
        },
        index=pd.Index([g["name"] for g in results["guardrails"]], name="guardrail"),
    )
    display(risks.set_index("label"))


def seed_example(model: str) -> Evaluation:
    """The model evaluated on the shipped ``seed`` scenario (the seeds' worked example)."""
    return computed(get_model(model), scenario_params(model, "seed"), "seed")[0]


def show_global_sensitivity(spec: ModelSpec, params: ModelParams, n: int = 1024) -> dict[str, pd.DataFrame]:
    """The north-star tornado over the ranged drivers and Sobol indices of the north star and gross margin."""
    from aibm_core.present import charts  # charts imports altair (seconds): not paid by importing this module

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


def show_what_if_sliders(evaluation: Evaluation, count: int = 3) -> Any:
    """The gross margin on a grid of moves of the ``count`` what-if drivers that move it most.

    Each driver moves from -40% to +40% of its base value in steps of 10%; the chart has a
    slider per driver that keeps working in the static report (no kernel). Returns the
    :class:`~aibm_core.analysis.sensitivity.WhatIfGrid` (None when no what-if driver moves the margin).
    """
    from aibm_core.present import charts  # charts imports altair (seconds): not paid by importing this module

    spec, params = evaluation.spec, evaluation.params
    drivers = main_drivers(spec, params, spec.what_if, count)
    if not drivers:
        print("None of the what-if drivers moves the gross margin in this scenario.")
        return None
    grid = what_if_grid(spec, params, drivers)
    kpi = evaluation.kpis.get("gross_margin")
    margin = kpi.label.lower() if kpi is not None else "gross margin"
    title = f"What if: {margin} as its {len(grid.names)} main drivers move (sliders: change from base)"
    charts.show(charts.what_if_chart(grid, margin, title, metric_unit="fraction"))
    return grid


def show_goal_seek(spec: ModelSpec, params: ModelParams) -> pd.DataFrame:
    """The model's goal-seek questions answered on the base case (a table)."""
    return answers_frame(answer_all(spec, params))


def show_attribution(outcomes: Any, scenario: str, parameters_dir: Path | None = None) -> None:
    """For each computed model: what moved its north star and gross margin against ``base``.

    The parts are the assumptions the scenario changed and the linked inputs that moved with
    their sellers (each model with the scenario's links, :mod:`aibm_core.analysis.stack`).
    """
    from aibm_core.present import charts  # charts imports altair (seconds): not paid by importing this module

    if scenario == "base":
        print("This is the base scenario: there is no change to attribute.")
        return
    for o in (o for o in outcomes if o.ok):
        spec = get_model(o.model)
        folder = Path(parameters_dir or PARAMETERS_DIR)
        base, other = (
            linked(spec, scenario_params(o.model, name, folder), name, folder)[0]
            for name in ("base", scenario)
        )
        try:
            frames = attribute(spec, base, other)
        except ValueError as error:  # a scenario that changes a setting (horizon, a choice)
            print(f"{o.title}: not attributable by assumption ({error})")
            continue
        if frames["gross margin"].empty:
            print(f"{o.title}: the scenario changes none of its assumptions")
            continue
        for label, frame in frames.items():
            metric, unit = frame.attrs["metric"], frame.attrs["unit"]  # declared by attribute()
            charts.show(charts.waterfall_chart(frame, metric, f"{o.title}: {label}", unit))
        print(tree_delta_text(spec, base, other))


def value_chain_check(chain: pd.DataFrame) -> None:
    """Say whether the value chain agrees with the models, and where it does not."""
    found = value_chain.problems(chain)
    if not found:
        print(
            "Every layer earns what the layer above records paying it, and each layer's margin in the "
            "chain is its model's own gross margin (within 0.1 point)."
        )
        return
    print("The chain does not agree with the models (the layers are not linked here):")
    for problem in found:
        print(f"  - {problem}")


def value_chain_table(chain: pd.DataFrame) -> pd.DataFrame:
    """The value chain for reading: money per USD of application revenue, margins in percent."""
    money = ["revenue", "paid_by_buyer", "paid_down", "outside", "margin", "leak"]
    table = pd.DataFrame(index=chain.index)
    labels = {
        "revenue": "earns (own price)",
        "paid_by_buyer": "buyer records paying",
        "paid_down": "pays the layer below",
        "outside": "costs outside the chain",
        "margin": "margin",
        "margin_share": "margin / earnings",
        "model_margin": "model's own gross margin",
        "leak": "paid but not earned below",
    }
    for column in chain.columns:
        unit = "USD" if column in money else "fraction"
        table[labels[column]] = [format_value(v, unit) for v in chain[column]]
    table.columns.name = "per USD of application revenue"
    return table


def publish(results: dict[str, Any], results_path: str | Path = "") -> dict[str, Any]:
    """Write the results JSON when a path is given, print a one-line summary, return the payload."""
    if results_path:
        write_results(results, results_path)
    print(summary(results))
    return results


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


def executive_summary(
    evaluation: Evaluation,
    results: Mapping[str, Any],
    scenario: str = "custom",
    parameters_dir: Path | None = None,
) -> Any:
    """The executive summary of a model run, as an HTML block (the first output of a notebook).

    Key-figure cards (the north star and gross margin with their P10-P90 when a Monte Carlo
    ran, then the unit-economics figures named by the spec's ``unit_focus``), a badge per
    guardrail (ok, or breach with its first month; the breach probability when there are
    draws), the three drivers that move the north star most and the scenario's description. The
    same figures in every scenario of a batch are on its cross-scenario page.

    Parameters
    ----------
    evaluation
        The base-case evaluation (from :func:`start`).
    results
        Its results payload (:func:`start`).
    scenario
        Name of the scenario this run is (``custom`` outside ``aibm run``).
    parameters_dir
        Folder of the scenarios, for the description; default: the run's ``parameters_dir``
        setting as :func:`start` read it, else the shipped ``parameters/``.

    Returns
    -------
    IPython.display.HTML
        Displayed when it is the last expression of a cell.
    """
    from IPython.display import HTML  # IPython costs 0.1 s outside a kernel, which has it loaded

    folder = parameters_dir or _run_parameters_dir
    return HTML(summary_blocks.summary_html(evaluation, results, scenario, folder))


def pyramid_summary(outcomes: Any, scenario: str, parameters_dir: Path | None = None) -> Any:
    """The pyramid comparison's summary as an HTML block: one card per layer and the verdict.

    Each layer (top of the pyramid first) shows the median gross margin of its models (each
    model one point), their range and P10-P90 band, the median capital-adjusted and operating
    margins, its capital intensity and its models; a badge per measure says whether it rises up
    the pyramid and which models break it, and one per model that has no results says why.

    Parameters
    ----------
    outcomes
        The models' outcomes (:func:`aibm_core.analysis.pyramid.gather`).
    scenario
        The scenario compared.
    parameters_dir
        Folder of the scenarios, for the description; default: the shipped ``parameters/``.
    """
    from IPython.display import HTML  # IPython costs 0.1 s outside a kernel, which has it loaded

    return HTML(summary_blocks.pyramid_summary_html(outcomes, scenario, parameters_dir))


def show_assumptions(params: ModelParams) -> Any:
    """Every assumption of a run as a readable HTML table (nothing cut short).

    One row per assumption: its name and meaning, the value in its unit, the range it is drawn
    from when it is uncertain, the valid range, its role and its full source. See
    :func:`aibm_core.present.summary.assumptions_html`.
    """
    from IPython.display import HTML  # IPython costs 0.1 s outside a kernel, which has it loaded

    return HTML(summary_blocks.assumptions_html(params))


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
        'parameters_dir: str = ""  # folder of the scenario folders (links to the other models); empty: none',
    ]
    return "\n".join(lines)


def sync_parameters_cells(notebooks_dir: Path | None = None) -> list[Path]:
    """Rewrite the ``parameters`` cell of every model notebook from its schema; return the changed."""
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


def company_case(model: str, namespace: Mapping[str, Any]) -> Any:
    """The company case and the actuals of the run's scenario, as an HTML block, or ``None``.

    When the scenario is a company case of this model (a ``case.yaml`` in its folder,
    :mod:`aibm_core.analysis.cases`): its disclosed figures against the model's, then the inputs
    and the fitted drivers; when the folder has an ``actuals.csv`` with rows of this model: actual
    against modelled with the variance. Nothing at all otherwise (``None`` displays nothing).

    Parameters
    ----------
    model
        Model name, e.g. ``"api_access"``.
    namespace
        The notebook's globals (its parameters, ``scenario`` and ``parameters_dir``).
    """
    from IPython.display import HTML  # IPython costs 0.1 s outside a kernel, which has it loaded

    from aibm_core.present.cases import has_report_block, report_block  # only cases and actuals need it

    folder = namespace.get("parameters_dir") or None
    scenario = str(namespace.get("scenario", "custom"))
    if folder is None or not has_report_block(Path(folder), scenario):
        return None
    spec = get_model(model)
    params = notebook_parameters(spec.params, namespace)
    params, _ = linked(spec, params, scenario, Path(folder))  # the scenario's links, as the report's figures
    html = report_block(model, params, scenario, Path(folder))
    return HTML(html) if html else None
