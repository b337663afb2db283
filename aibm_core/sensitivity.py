"""Sensitivity sweeps that use the models' array support (one call per sweep)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from aibm_core.models.base import ModelSpec
from aibm_core.params import ModelParams, clip_to_range


def sweep(
    spec: ModelSpec,
    params: ModelParams,
    name: str,
    values: Sequence[float],
    metric: Callable[[object], np.ndarray] | None = None,
) -> pd.DataFrame:
    """Evaluate a metric (default: gross margin) over values of one assumption at once."""
    metric = metric or spec.gross_margin
    grid = np.asarray(values, dtype=float)
    result = spec.compute(params.vary(**{name: grid}))
    return pd.DataFrame({name: grid, "metric": np.broadcast_to(metric(result), grid.shape)})


def tornado(
    spec: ModelSpec,
    params: ModelParams,
    names: Sequence[str],
    swing: float = 0.2,
    metric: Callable[[object], np.ndarray] | None = None,
) -> pd.DataFrame:
    """Metric with each assumption moved ``±swing`` (relative), clipped to its valid range."""
    metric = metric or spec.gross_margin
    base = float(np.asarray(metric(spec.compute(params))))
    rows = []
    for name in names:
        value = float(getattr(params, name))
        low = clip_to_range(spec.params, name, value * (1 - swing))
        high = clip_to_range(spec.params, name, value * (1 + swing))
        result = spec.compute(params.vary(**{name: np.array([low, high])}))
        moved = np.broadcast_to(metric(result), (2,))  # an unused assumption gives a scalar
        rows.append({"assumption": name, "low": float(moved[0]), "high": float(moved[1]), "base": base})
    return pd.DataFrame(rows)
