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

from aibm_core.analysis.results import from_json_number, number, scenario_params, to_json
from aibm_core.analysis.results_cache import model_results
from aibm_core.analysis.sensitivity import tornado
from aibm_core.core.config import PARAMETERS_DIR
from aibm_core.core.files import write_atomic
from aibm_core.core.params import ParameterError
from aibm_core.core.tree import format_value
from aibm_core.models import get_model, registry

#: Layers from the bottom of the pyramid to its top; seed 003 expects margins to rise upwards.
LAYERS = ("infrastructure", "platform", "application")
PYRAMID_SCHEMA_VERSION = "1.0.0"


@dataclass(frozen=True)
class Outcome:
    """One model's results for the scenario, or why there are none."""

    model: str
    title: str
    layer: str
    payload: dict[str, Any] | None
    problem: str = ""

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
        outcomes.append(Outcome(name, spec.title, spec.layer, payload, problem))
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


def layer_summary(outcomes: Sequence[Outcome]) -> pd.DataFrame:
    """Per layer: its models, revenue-weighted gross margin, the range across models and draws,
    and capital intensity over the horizon (capex / revenue, revenue-weighted)."""
    rows = []
    for layer in LAYERS:
        members = [o for o in outcomes if o.layer == layer and o.ok]
        if not members:
            rows.append({"layer": layer, "models": "", "gross margin": np.nan})
            continue
        snap = [o.payload["snapshot"] for o in members]
        revenue = np.array([float(from_json_number(s["revenue"])) for s in snap])
        margins = np.array([float(from_json_number(s["gross_margin"])) for s in snap])
        bands = np.array([_margin_band(o.payload) for o in members])
        horizon = [o.payload["horizon"] for o in members]
        capex = sum(float(from_json_number(h["capex"])) for h in horizon)
        sales = sum(float(from_json_number(h["revenue"])) for h in horizon)
        rows.append(
            {
                "layer": layer,
                "models": ", ".join(o.title for o in members),
                "gross margin": float(np.average(margins, weights=np.maximum(revenue, 1e-9))),
                "lowest model margin": float(margins.min()),
                "highest model margin": float(margins.max()),
                "p10": float(bands[:, 0].min()),
                "p90": float(bands[:, 1].max()),
                "capital intensity": capex / sales if sales else np.nan,
            }
        )
    return pd.DataFrame(rows).set_index("layer")


def ordering(summary: pd.DataFrame) -> tuple[bool, str]:
    """Whether gross margins rise up the pyramid (seed 003: low -> medium -> high), in words."""
    margins = summary["gross margin"].dropna()
    listed = ", ".join(f"{layer} {format_value(m, 'fraction')}" for layer, m in margins.items())
    if len(margins) < len(LAYERS):
        missing = ", ".join(layer for layer in LAYERS if layer not in margins.index)
        return False, f"cannot be judged: no results for the {missing} layer ({listed})"
    if np.all(np.diff(margins.to_numpy()) > 0):
        return True, "holds: " + " < ".join(
            f"{layer} {format_value(m, 'fraction')}" for layer, m in margins.items()
        )
    return False, f"does not hold: {listed}"


def _top_driver(outcome: Outcome) -> str:
    """The driver that moves a model's gross margin most in its scenario, with its swing."""
    spec = get_model(outcome.model)
    params = scenario_params(outcome.model, outcome.payload["scenario"])
    swing = tornado(spec, params, list(params.uncertainty.ranges) or list(spec.what_if))
    spans = (swing["high"] - swing["low"]).abs()
    top = swing.loc[spans.idxmax()]
    low, high = (format_value(top[k], "fraction") for k in ("low", "high"))
    return f"{outcome.title}: {top['assumption']} ({low} to {high})"


def breaking_drivers(outcomes: Sequence[Outcome], summary: pd.DataFrame) -> list[str]:
    """For each pair of adjacent layers out of order: the models that invert it and the driver
    that moves each one's gross margin most (P10-P90 over its range, or ±20%)."""
    notes = []
    margins = summary["gross margin"]
    for lower, upper in pairwise(LAYERS):
        if np.isnan(margins[lower]) or np.isnan(margins[upper]) or margins[upper] > margins[lower]:
            continue
        margin_of = lambda o: from_json_number(o.payload["snapshot"]["gross_margin"])  # noqa: E731
        weakest = min((o for o in outcomes if o.layer == upper and o.ok), key=margin_of)
        strongest = max((o for o in outcomes if o.layer == lower and o.ok), key=margin_of)
        notes.append(
            f"{upper} ({format_value(margins[upper], 'fraction')}) is not above {lower} "
            f"({format_value(margins[lower], 'fraction')}): {strongest.title} holds "
            f"{format_value(margin_of(strongest), 'fraction')} below while {weakest.title} earns "
            f"{format_value(margin_of(weakest), 'fraction')} above. Drivers that move them most: "
            f"{_top_driver(strongest)}; {_top_driver(weakest)}"
        )
    return notes


def pyramid_payload(scenario: str, outcomes: Sequence[Outcome], chain: pd.DataFrame | None = None) -> dict:
    """The pyramid comparison's results: each layer with its models and margins."""
    summary = layer_summary(outcomes)
    holds, text = ordering(summary)
    layers = []
    for layer in LAYERS:
        row = summary.loc[layer]
        layers.append(
            {
                "layer": layer,
                "gross_margin": number(row.get("gross margin")),
                "p10": number(row.get("p10")),
                "p90": number(row.get("p90")),
                "capital_intensity": number(row.get("capital intensity")),
                "models": [
                    {
                        "model": o.model,
                        "title": o.title,
                        "status": "ok" if o.ok else o.problem,
                        "gross_margin": o.payload["snapshot"]["gross_margin"] if o.ok else None,
                        "operating_margin": o.payload["snapshot"]["operating_margin"] if o.ok else None,
                        "capital_intensity": o.payload["horizon"]["capital_intensity"] if o.ok else None,
                    }
                    for o in outcomes
                    if o.layer == layer
                ],
            }
        )
    payload = {
        "kind": "pyramid_comparison",
        "schema_version": PYRAMID_SCHEMA_VERSION,
        "scenario": scenario,
        "ordering_holds": holds,
        "ordering": text,
        "layers": layers,
    }
    if chain is not None:
        payload["value_chain"] = {
            layer: {k: number(v) for k, v in row.items()} for layer, row in chain.iterrows()
        }
    return payload


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
