"""Monte Carlo over ranged drivers: correlated draws, one vectorised model call, percentiles.

Draws come from a Gaussian copula: correlated standard normals (rank correlations turned
into the copula's Pearson correlations) pushed through each driver's quantile function, so
every driver keeps its own distribution and the pairs keep their rank correlation (PERT and
beta quantiles come from a checked table within 1e-9 of the exact inverse,
:meth:`~aibm_core.core.ranges.Range.quantiles`; the families that are transforms of a normal
take the normal score itself, :meth:`~aibm_core.core.ranges.Range.from_normal`). Without
correlations the copula is the identity and is skipped. Draws
leave the assumption's valid range only in far tails; they are clipped to it. The model
then runs once on arrays of draws (shape ``draws × months``), never in a loop over draws.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from aibm_core.core import tracing
from aibm_core.core.json_numbers import number
from aibm_core.core.params import ModelParams, bounds
from aibm_core.core.ranges import Uncertainty, copula_correlation
from aibm_core.core.tree import PERCENTILES, MetricTree, percentile
from aibm_core.models.base import STATEMENT_SERIES, ModelSpec, Statement


def sample(params: ModelParams, draws: int | None = None, seed: int | None = None) -> dict[str, np.ndarray]:
    """Draws of every ranged driver, by name (arrays of shape ``(draws,)``).

    Parameters
    ----------
    params
        Validated parameters carrying :attr:`~aibm_core.core.params.ModelParams.uncertainty`.
    draws, seed
        Override the number of draws and the seed given with the parameters.
    """
    u: Uncertainty = params.uncertainty
    n = u.draws if draws is None else int(draws)
    rng = np.random.default_rng(u.random_seed if seed is None else seed)
    names = list(u.ranges)
    normals = rng.standard_normal((n, len(names)))
    if u.correlations:
        weights, vectors = np.linalg.eigh(copula_correlation(u.rank_correlation_matrix()))
        normals = normals @ (vectors * np.sqrt(np.clip(weights, 0.0, None))).T
    schema = type(params)
    out = {}
    for j, name in enumerate(names):
        low, high = bounds(schema, name)
        values = u.ranges[name].from_normal(normals[:, j])
        if (low is not None and values.min() < low) or (high is not None and values.max() > high):
            values = np.clip(values, -np.inf if low is None else low, np.inf if high is None else high)
        out[name] = values
    return out


@dataclass(frozen=True)
class MonteCarlo:
    """A model evaluated on every draw: KPIs, statement series and tree as distributions.

    Attributes
    ----------
    spec
        The model.
    params
        The point parameters (with their uncertainty).
    samples
        The draws of each ranged driver.
    result
        The model result computed on all draws at once.
    draws
        Number of draws.
    """

    spec: ModelSpec
    params: ModelParams
    samples: dict[str, np.ndarray]
    result: Any
    draws: int

    @property
    def linked_drivers(self) -> list[str]:
        """Drivers whose draws come from another model's draws (the stack's links)."""
        return sorted(k for k, v in self.params.linked.items() if v.draws is not None)

    @cached_property
    def statement(self) -> Statement:
        """The common statement on every draw (arrays draws × months)."""
        return self.spec.statement(self.result)

    @cached_property
    def tree(self) -> MetricTree:
        """The metric tree with one value per draw in every node."""
        return self.spec.tree(self.result)

    @cached_property
    def kpis(self) -> dict[str, Any]:
        """Every KPI with one value per draw."""
        return self.spec.kpis(self.result)

    def kpi_percentiles(self, percentiles: tuple[float, ...] = PERCENTILES) -> pd.DataFrame:
        """P10 / P50 / P90 (by default) of every KPI, with its label and unit."""
        rows = []
        for key, metric in self.kpis.items():
            values = np.broadcast_to(np.asarray(metric.value, dtype=float), (self.draws,))
            row = {"key": key, "metric": metric.label, "unit": metric.unit}
            row.update({f"p{q:g}": percentile(values, q) for q in percentiles})
            rows.append(row)
        return pd.DataFrame(rows).set_index("key")

    def series_percentiles(self, key: str, percentiles: tuple[float, ...] = PERCENTILES) -> pd.DataFrame:
        """Percentiles of one statement series by month (the data of a fan chart)."""
        values = np.broadcast_to(
            self.statement.series(key), (self.draws, self.statement.series("revenue").shape[-1])
        )
        months = np.arange(1, values.shape[-1] + 1)
        return pd.DataFrame(
            {f"p{q:g}": np.percentile(values, q, axis=0) for q in percentiles},
            index=pd.Index(months, name="month"),
        )

    def headline_draws(self) -> dict[str, np.ndarray]:
        """The north star and the reported gross margin in the snapshot month, one value per draw."""
        return {
            "north_star": np.asarray(self.statement.snapshot()["north_star"], dtype=float),
            "gross_margin": np.asarray(self.spec.gross_margin(self.result), dtype=float),
        }

    def breach_probabilities(self) -> pd.DataFrame:
        """Probability that each guardrail breaks in at least one month of the horizon."""
        rows = [
            {"guardrail": n.id, "label": n.label, "probability": n.breach_probability}
            for n in self.tree.guardrails()
        ]
        return pd.DataFrame(rows).set_index("guardrail")


def monte_carlo(
    spec: ModelSpec, params: ModelParams, draws: int | None = None, seed: int | None = None
) -> MonteCarlo | None:
    """Run the model on draws of its ranged drivers; ``None`` for a point scenario.

    Linked drivers (:attr:`~aibm_core.core.params.ModelParams.linked`) read the seller's draws:
    draw ``i`` here reads the seller's draw ``i``, so a model whose only uncertainty is what it
    buys still has draws.
    """
    u = params.uncertainty
    n = u.draws if draws is None else int(draws)
    drawn_links = {k: v for k, v in params.linked.items() if v.draws is not None}
    if (not u.ranges and not drawn_links) or n == 0:
        return None
    tracing.record("monte_carlo", spec.name, params)
    samples = sample(params, n, seed) if u.ranges else {}
    varied = params.vary(**samples)
    if drawn_links:
        varied = varied.with_linked({k: v.for_draws(n) for k, v in params.linked.items()})
    return MonteCarlo(spec, params, samples, spec.compute(varied), n)


def _percentiles(mc: MonteCarlo, draws: Any) -> dict[str, float | str | None]:
    values = np.broadcast_to(np.asarray(draws, dtype=float), (mc.draws,))
    return {f"p{q:g}": number(percentile(values, q)) for q in PERCENTILES}


def percentiles_payload(mc: MonteCarlo) -> dict[str, Any]:
    """The ``uncertainty`` block of the results JSON: settings, KPI and series percentiles, risks."""
    kpis = mc.kpi_percentiles()
    return {
        "draws": mc.draws,
        "random_seed": mc.params.uncertainty.random_seed,
        "ranges": {name: r.to_dict() for name, r in mc.params.uncertainty.ranges.items()},
        "correlations": [list(c) for c in mc.params.uncertainty.correlations],
        "linked": mc.linked_drivers,
        "kpis": {
            key: {f"p{q:g}": number(kpis.at[key, f"p{q:g}"]) for q in PERCENTILES} for key in kpis.index
        },
        "headline": {key: _percentiles(mc, draws) for key, draws in mc.headline_draws().items()},
        "series": {
            key: {
                column: [number(v) for v in values] for column, values in mc.series_percentiles(key).items()
            }
            for key in STATEMENT_SERIES
        },
        "breach_probability": {
            name: float(p) for name, p in mc.breach_probabilities()["probability"].items()
        },
    }
