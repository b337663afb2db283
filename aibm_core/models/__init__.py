"""Business models: one module per model, each exposing a :class:`ModelSpec` as ``SPEC``.

Models are discovered from this package, so adding a model is adding a module. Every spec is
checked when it is registered (:func:`~aibm_core.models.base.check_spec`): a model that breaks
the contract stops the import with one line per problem instead of failing later in a test.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from aibm_core.models.base import (
    LAYERS,
    Evaluation,
    Metric,
    ModelSpec,
    ModelSpecError,
    check_spec,
    evaluate,
)

__all__ = [
    "Evaluation",
    "Metric",
    "ModelSpec",
    "ModelSpecError",
    "evaluate",
    "get_model",
    "model_names",
    "register",
    "registered",
    "registry",
    "unregister",
]


def _in_pyramid_order(specs: dict[str, ModelSpec]) -> dict[str, ModelSpec]:
    """The specs sorted by layer (infrastructure first), then by name."""
    order = {layer: i for i, layer in enumerate(LAYERS)}
    return {s.name: s for s in sorted(specs.values(), key=lambda s: (order.get(s.layer, 9), s.name))}


@cache
def registry() -> dict[str, ModelSpec]:
    """Every registered model, by name, in pyramid order (infrastructure first).

    The models of this package are found and checked on the first call; :func:`register`
    adds others.
    """
    specs = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "SPEC"):
            spec = check_spec(module.SPEC, package=info.name)
            specs[spec.name] = spec
    return _in_pyramid_order(specs)


def register(spec: ModelSpec, package: str | None = None) -> ModelSpec:
    """Check a model's spec and add it to the registry (e.g. a model defined outside this package).

    Raises
    ------
    ModelSpecError
        When the spec breaks the contract, or a model of that name is already registered.
    """
    check_spec(spec, package)
    models = registry()
    if spec.name in models:
        raise ModelSpecError(spec.name, [f"a model named {spec.name!r} is already registered"])
    ordered = _in_pyramid_order({**models, spec.name: spec})
    models.clear()
    models.update(ordered)
    return spec


def unregister(name: str) -> None:
    """Remove a model from the registry (``KeyError`` when it is not registered)."""
    del registry()[name]


@contextmanager
def registered(spec: ModelSpec, package: str | None = None) -> Iterator[ModelSpec]:
    """The model registered for the duration of a ``with`` block, then removed again."""
    register(spec, package)
    try:
        yield spec
    finally:
        unregister(spec.name)


def model_names() -> list[str]:
    """Names of all models, e.g. ``['ai_hardware', ..., 'api_access']``."""
    return list(registry())


def get_model(name: str) -> ModelSpec:
    """The spec of one model; ``KeyError`` lists the known names."""
    try:
        return registry()[name]
    except KeyError:
        raise KeyError(f"unknown model {name!r}; known: {', '.join(model_names())}") from None
