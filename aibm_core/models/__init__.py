"""Business models: one module per model, each exposing a :class:`ModelSpec` as ``SPEC``.

Models are discovered from this package, so adding a model is adding a module.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from aibm_core.models.base import Evaluation, Metric, ModelSpec, evaluate

__all__ = ["Evaluation", "Metric", "ModelSpec", "evaluate", "get_model", "model_names", "registry"]


@cache
def registry() -> dict[str, ModelSpec]:
    """Every model in this package, by name, in pyramid order (infrastructure first)."""
    specs = []
    for info in pkgutil.iter_modules(__path__):
        if info.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "SPEC"):
            specs.append(module.SPEC)
    order = {"infrastructure": 0, "platform": 1, "application": 2}
    specs.sort(key=lambda s: (order.get(s.layer, 9), s.name))
    return {s.name: s for s in specs}


def model_names() -> list[str]:
    """Names of all models, e.g. ``['ai_hardware', ..., 'api_access']``."""
    return list(registry())


def get_model(name: str) -> ModelSpec:
    """The spec of one model; ``KeyError`` lists the known names."""
    try:
        return registry()[name]
    except KeyError:
        raise KeyError(f"unknown model {name!r}; known: {', '.join(model_names())}") from None
