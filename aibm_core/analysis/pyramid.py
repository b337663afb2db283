"""The pyramid comparison: every model of one scenario side by side, by layer of seed 003's pyramid.

It reads only the common results schema (:mod:`aibm_core.analysis.results`), so a model added later is
compared with no change here. A model whose results cannot be computed is reported as failed
or missing, never dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aibm_core.analysis.attribution import differing
from aibm_core.analysis.results import from_json_number, number, scenario_params, to_json
from aibm_core.analysis.results_cache import model_results
from aibm_core.analysis.sensitivity import tornado
from aibm_core.analysis.value_chain import problems as value_chain_problems
from aibm_core.core.config import PARAMETERS_DIR
from aibm_core.core.files import write_atomic
from aibm_core.core.params import ParameterError
from aibm_core.core.tree import format_value
from aibm_core.models import get_model, registry

#: Layers from the bottom of the pyramid to its top; seed 003 expects margins to rise upwards.
LAYERS = ("infrastructure", "platform", "application")
PYRAMID_SCHEMA_VERSION = "1.2.0"


@dataclass(frozen=True)
class Outcome:
    """One model's results for the scenario, or why there are none."""

    model: str
    title: str
    layer: str
    payload: dict[str, Any] | None
    problem: str = ""
    parameters_dir: Path = PARAMETERS_DIR  # the folder of the scenario the results were computed from

    @property
    def ok(self) -> bool:
        """True when the results were computed."""
        return self.payload is not None


def gather(scenario: str, parameters_dir: Path = PARAMETERS_DIR) -> list[Outcome]:
    """Every registered model's results for one scenario (computed by the library, no kernel)."""
    outcomes = []
    for name, spec in registry().items():
        try:
            payload, problem = model_results(name, scenario, parameters_dir), ""
        except ParameterError as error:
            payload, problem = None, f"missing: {error}"
        except Exception as error:  # a model that fails must show up as failed, not vanish
            payload, problem = None, f"failed: {type(error).__name__}: {error}"
        outcomes.append(Outcome(name, spec.title, spec.layer, payload, problem, Path(parameters_dir)))
    return outcomes


def _payback(payload: dict[str, Any]) -> str:
    """The model's own payback KPI (CAC or capex), formatted; '' if it has none."""
    for key, kpi in payload["kpis"].items():
        if key.endswith("payback_months"):
            return f"{format_value(from_json_number(kpi['value']), kpi['unit'])} ({kpi['label']})"
    return ""


def _figures(p: dict[str, Any]) -> dict[str, str]:
    """The computed columns of the comparison table for one model's payload (formatted)."""
    snap, star = p["snapshot"], p["north_star"]
    breaches = [f"{g['label']} (m{g['first_breach_month']})" for g in p["guardrails"] if not g["ok"]]
    star_value = format_value(from_json_number(star["value"]), star["unit"])
    return {
        "key metric": f"{star['name']}: {star_value}",
        "revenue": format_value(from_json_number(snap["revenue"]), "USD per month"),
        "gross margin": format_value(from_json_number(snap["gross_margin"]), "fraction"),
        "operating margin": format_value(from_json_number(snap["operating_margin"]), "fraction"),
        "capex / revenue (horizon)": format_value(
            from_json_number(p["horizon"]["capital_intensity"]), "fraction"
        ),
        "payback": _payback(p),
        "guardrails breached": ", ".join(breaches) or "none",
    }


def comparison_table(outcomes: Sequence[Outcome]) -> pd.DataFrame:
    """Seed 000's key-differences table with computed figures, one row per model (formatted)."""
    rows = []
    for o in outcomes:
        spec = registry()[o.model]
        row = {
            "model": o.title,
            "layer": o.layer,
            "primary revenue": spec.primary_revenue,
            "unit-economics focus": spec.unit_focus,
        }
        if not o.ok:
            rows.append({**row, "key metric": o.problem})
            continue
        rows.append({**row, **_figures(o.payload)})
    return pd.DataFrame(rows).set_index("model").fillna("")


def _margin_band(payload: dict[str, Any]) -> tuple[float, float]:
    """P10 and P90 of the snapshot gross margin (the point twice without draws)."""
    point = float(from_json_number(payload["snapshot"]["gross_margin"]))
    kpi = ((payload.get("uncertainty") or {}).get("kpis") or {}).get("gross_margin")
    if not kpi:
        return point, point
    return float(from_json_number(kpi["p10"])), float(from_json_number(kpi["p90"]))


def capital_adjusted_margin(payload: dict[str, Any]) -> float:
    """Cash gross profit less capex, over revenue, summed across the horizon (fraction).

    ``(Σ_t gross profit_t + Σ_t depreciation_t − Σ_t capex_t) / Σ_t revenue_t`` over every month
    of the model's horizon (USD / USD): what is left of a dollar of revenue once the cash cost
    of revenue and the cash spent on capital goods are paid. It charges capital-heavy models for
    their build-out that a snapshot gross margin leaves out; the depreciation a model's cost of
    revenue holds (the GPU cloud's) is added back first, so capital is charged once, as cash.
    NaN without revenue.
    """
    horizon = payload["horizon"]
    revenue = float(from_json_number(horizon["revenue"]))
    gross_profit = float(from_json_number(horizon["gross_profit"]))
    capex = float(from_json_number(horizon["capex"]))
    depreciation = float(from_json_number(horizon["depreciation"]))
    return (gross_profit + depreciation - capex) / revenue if revenue else float("nan")


#: The margins judged up the pyramid: summary column -> how one model's value is read.
MEASURES: dict[str, Any] = {
    "gross margin": lambda p: float(from_json_number(p["snapshot"]["gross_margin"])),
    "capital-adjusted margin": capital_adjusted_margin,
    "operating margin": lambda p: float(from_json_number(p["snapshot"]["operating_margin"])),
}
#: The measure the headline verdict uses (seed 003 speaks of profit margins by layer).
HEADLINE_MEASURE = "gross margin"


def model_margins(outcomes: Sequence[Outcome]) -> pd.DataFrame:
    """One row per computed model: its layer and each measure of :data:`MEASURES` (fractions)."""
    rows = [
        {"model": o.title, "layer": o.layer, **{m: read(o.payload) for m, read in MEASURES.items()}}
        for o in outcomes
        if o.ok
    ]
    return pd.DataFrame(rows, columns=["model", "layer", *MEASURES])


def layer_summary(outcomes: Sequence[Outcome]) -> pd.DataFrame:
    """Per layer: its models, and for each measure the median and range of its models' values.

    Every model is one point of its layer, whatever its size: a layer's ``gross margin`` is
    the median of its models' snapshot gross margins (a chip vendor with 250 times the GPU
    cloud's revenue does not stand for the whole layer), ``lowest model margin`` and
    ``highest model margin`` their range, ``p10`` / ``p90`` the widest Monte Carlo band
    across the models. The same median and range are given for the capital-adjusted margin
    (:func:`capital_adjusted_margin`) and the snapshot operating margin (``<measure> low`` /
    ``<measure> high``); ``capital intensity`` is the median of the models' capex / revenue
    over the horizon. All fractions.
    """
    rows = []
    for layer in LAYERS:
        members = [o for o in outcomes if o.layer == layer and o.ok]
        if not members:
            rows.append({"layer": layer, "models": "", **{m: np.nan for m in MEASURES}})
            continue
        row: dict[str, Any] = {"layer": layer, "models": ", ".join(o.title for o in members)}
        for measure, read in MEASURES.items():
            values = np.array([read(o.payload) for o in members], dtype=float)
            row[measure] = float(np.median(values))
            row[f"{measure} low"] = float(np.min(values))
            row[f"{measure} high"] = float(np.max(values))
        bands = np.array([_margin_band(o.payload) for o in members])
        intensity = [float(from_json_number(o.payload["horizon"]["capital_intensity"])) for o in members]
        row.update(
            {
                "lowest model margin": row["gross margin low"],
                "highest model margin": row["gross margin high"],
                "p10": float(bands[:, 0].min()),
                "p90": float(bands[:, 1].max()),
                "capital intensity": float(np.nanmedian(intensity)),
            }
        )
        rows.append(row)
    return pd.DataFrame(rows).set_index("layer")


def _breaking_models(
    outcomes: Sequence[Outcome], summary: pd.DataFrame, measure: str
) -> list[tuple[str, str, list[Outcome]]]:
    """For each adjacent pair of layers out of order on ``measure``: (lower, upper, the models
    that invert it). A model of the lower layer breaks the claim when its value is at least
    the upper layer's median; a model of the upper layer when its value is at most the lower
    layer's median."""
    read, medians, pairs = MEASURES[measure], summary[measure], []
    for lower, upper in pairwise(LAYERS):
        if np.isnan(medians[lower]) or np.isnan(medians[upper]) or medians[upper] > medians[lower]:
            continue
        high = [o for o in outcomes if o.layer == lower and o.ok and read(o.payload) >= medians[upper]]
        low = [o for o in outcomes if o.layer == upper and o.ok and read(o.payload) <= medians[lower]]
        pairs.append((lower, upper, [*high, *low]))
    return pairs


def _named(models: Sequence[Outcome], measure: str) -> str:
    """``title (layer, value)`` of each model on ``measure``, comma separated."""
    read = MEASURES[measure]
    return ", ".join(f"{o.title} ({o.layer}, {format_value(read(o.payload), 'fraction')})" for o in models)


def ordering(
    summary: pd.DataFrame, measure: str = HEADLINE_MEASURE, outcomes: Sequence[Outcome] = ()
) -> tuple[bool, str]:
    """Whether ``measure`` rises up the pyramid (seed 003: low -> medium -> high), in words.

    Judged on the median of each layer's models (each model one point). The text names the
    measure and, when the claim fails and ``outcomes`` are given, the models that break it.
    """
    margins = summary[measure].dropna()
    listed = ", ".join(f"{layer} {format_value(m, 'fraction')}" for layer, m in margins.items())
    on = f"on {measure} (median of each layer's models)"
    if len(margins) < len(LAYERS):
        missing = ", ".join(layer for layer in LAYERS if layer not in margins.index)
        return False, f"cannot be judged {on}: no results for the {missing} layer ({listed})"
    if np.all(np.diff(margins.to_numpy()) > 0):
        return True, f"holds {on}: " + " < ".join(
            f"{layer} {format_value(m, 'fraction')}" for layer, m in margins.items()
        )
    pairs = _breaking_models(outcomes, summary, measure) if outcomes else []
    broken = "".join(f"; {upper} is not above {lower}: {_named(m, measure)}" for lower, upper, m in pairs)
    return False, f"does not hold {on}: {listed}{broken}"


def orderings(outcomes: Sequence[Outcome], summary: pd.DataFrame) -> dict[str, tuple[bool, str]]:
    """:func:`ordering` on every measure of :data:`MEASURES`, naming the breaking models."""
    return {measure: ordering(summary, measure, outcomes) for measure in MEASURES}


def _top_driver(outcome: Outcome) -> str:
    """The driver that moves a model's gross margin most in its scenario, with its swing."""
    spec = get_model(outcome.model)
    params = scenario_params(outcome.model, outcome.payload["scenario"], outcome.parameters_dir)
    swing = tornado(spec, params, list(params.uncertainty.ranges) or list(spec.what_if))
    spans = (swing["high"] - swing["low"]).abs()
    top = swing.loc[spans.idxmax()]
    low, high = (format_value(top[k], "fraction") for k in ("low", "high"))
    return f"{outcome.title}: {top['assumption']} ({low} to {high})"


def breaking_drivers(
    outcomes: Sequence[Outcome], summary: pd.DataFrame, measure: str = HEADLINE_MEASURE
) -> list[str]:
    """For each pair of adjacent layers out of order on ``measure`` (layer medians): the models
    that invert it (a lower-layer model at or above the upper median, an upper-layer model at
    or below the lower median) and the driver that moves each one's gross margin most (P10-P90
    over its range, or ±20%)."""
    notes = []
    medians = summary[measure]
    for lower, upper, models in _breaking_models(outcomes, summary, measure):
        drivers = "; ".join(_top_driver(o) for o in models)
        notes.append(
            f"{measure}: {upper} (median {format_value(medians[upper], 'fraction')}) is not above "
            f"{lower} (median {format_value(medians[lower], 'fraction')}). Models that break it: "
            f"{_named(models, measure)}. Drivers that move them most: {drivers}"
        )
    return notes


def pyramid_payload(scenario: str, outcomes: Sequence[Outcome], chain: pd.DataFrame | None = None) -> dict:
    """The pyramid comparison's results: each layer with its models and margins.

    Layer figures are medians across the layer's models (each model one point) with their
    range; ``ordering`` is the verdict on :data:`HEADLINE_MEASURE`, ``orderings`` the verdict
    on each measure.
    """
    summary = layer_summary(outcomes)
    verdicts = orderings(outcomes, summary)
    holds, text = verdicts[HEADLINE_MEASURE]
    layers = []
    for layer in LAYERS:
        row = summary.loc[layer]
        entry: dict[str, Any] = {"layer": layer}
        for measure in MEASURES:
            key = measure.replace("-", "_").replace(" ", "_")
            entry[key] = number(row.get(measure))
            entry[f"{key}_low"] = number(row.get(f"{measure} low"))
            entry[f"{key}_high"] = number(row.get(f"{measure} high"))
        entry.update(
            {
                "p10": number(row.get("p10")),
                "p90": number(row.get("p90")),
                "capital_intensity": number(row.get("capital intensity")),
                "models": [
                    {
                        "model": o.model,
                        "title": o.title,
                        "status": "ok" if o.ok else o.problem,
                        "gross_margin": o.payload["snapshot"]["gross_margin"] if o.ok else None,
                        "capital_adjusted_margin": number(capital_adjusted_margin(o.payload))
                        if o.ok
                        else None,
                        "operating_margin": o.payload["snapshot"]["operating_margin"] if o.ok else None,
                        "capital_intensity": o.payload["horizon"]["capital_intensity"] if o.ok else None,
                    }
                    for o in outcomes
                    if o.layer == layer
                ],
            }
        )
        layers.append(entry)
    payload = {
        "kind": "pyramid_comparison",
        "schema_version": PYRAMID_SCHEMA_VERSION,
        "scenario": scenario,
        "layer_statistic": "median of the layer's models (each model one point), with their range",
        "ordering_measure": HEADLINE_MEASURE,
        "ordering_holds": holds,
        "ordering": text,
        "orderings": {m: {"holds": h, "text": t} for m, (h, t) in verdicts.items()},
        "layers": layers,
    }
    if chain is not None:
        payload["value_chain"] = {
            layer: {k: number(v) for k, v in row.items()} for layer, row in chain.iterrows()
        }
        payload["value_chain_problems"] = value_chain_problems(chain)
    return payload


def shock_travel(
    outcomes: Sequence[Outcome], scenario: str, parameters_dir: Path = PARAMETERS_DIR
) -> pd.DataFrame:
    """How a scenario's changes reach every model: its gross margin base → scenario and its links.

    One row per computed model: the snapshot gross margin in ``base`` and in the scenario, the
    change, what the scenario changed in the model's own file chain (``own changes``) and each
    linked driver that moved with its seller (``linked inputs``: base value → scenario value), or
    the state of a link that is not in force.
    """
    rows = []
    for o in (o for o in outcomes if o.ok):
        base = model_results(o.model, "base", parameters_dir)
        own = [
            name
            for name in changed_in(o.model, scenario, parameters_dir)
            if name not in {link["driver"] for link in o.payload["links"]}
        ]
        moved = []
        for before, after in zip(base["links"], o.payload["links"], strict=True):
            unit = o.payload["assumptions"][after["driver"]]["unit"]
            if after["state"] != "linked":
                moved.append(f"{after['driver']}: {after['text']}")
            elif after["value"] != before["value"]:
                values = (format_value(from_json_number(x["value"]), unit) for x in (before, after))
                moved.append(f"{after['driver']} ({after['label']}): {' → '.join(values)}")
        margins = [from_json_number(x["gross_margin"]) for x in (base, o.payload)]
        rows.append(
            {
                "model": o.title,
                "gross margin in base": format_value(margins[0], "fraction"),
                f"gross margin in {scenario}": format_value(margins[1], "fraction"),
                "change": f"{(margins[1] - margins[0]) * 100:+.1f} pp",
                "own changes": ", ".join(own) or "none",
                "linked inputs": "; ".join(moved) or "none moved",
            }
        )
    return pd.DataFrame(rows).set_index("model") if rows else pd.DataFrame()


def changed_in(model: str, scenario: str, parameters_dir: Path = PARAMETERS_DIR) -> list[str]:
    """Assumptions whose point value differs between ``base`` and the scenario for one model."""
    return differing(
        scenario_params(model, "base", parameters_dir), scenario_params(model, scenario, parameters_dir)
    )


def models_frame(outcomes: Sequence[Outcome]) -> pd.DataFrame:
    """One row per computed model: title, layer and snapshot gross margin (for the chart)."""
    rows = [
        {
            "model": o.title,
            "layer": o.layer,
            "gross margin": from_json_number(o.payload["snapshot"]["gross_margin"]),
        }
        for o in outcomes
        if o.ok
    ]
    return pd.DataFrame(rows, columns=["model", "layer", "gross margin"])


def write(payload: dict[str, Any], path: str | Path) -> None:
    """Write the comparison's JSON atomically when a path is given."""
    if path:
        write_atomic(Path(path), to_json(payload))
