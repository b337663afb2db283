"""aibm: a strategy workbook for the economics of AI businesses.

The public API, hand-picked. Notebooks import from here; nothing here imports a notebook.

The package is built in layers, each a subpackage that imports only from the layers below it
(a test holds this): ``core`` (parameters, YAML, ranges, the metric tree, finance, formatting),
``models`` (one package per business model), ``analysis`` (scenarios, results, uncertainty,
sensitivity, goal seek, attribution, the value chain, the pyramid), ``present`` (charts,
summaries, reports, widgets, dashboard, exports, the notebooks' calls) and ``batch`` (the
runner, its executors and the command line). Every name below is imported when first used, so
``import aibm_core`` costs nothing until a name is needed.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: Public names and the module that defines each.
_ATTRIBUTES = {
    "cost_per_m_tokens": "aibm_core.core.compute_cost",
    "AibmInputError": "aibm_core.core.errors",
    "ModelParams": "aibm_core.core.params",
    "ParameterError": "aibm_core.core.params",
    "notebook_parameters": "aibm_core.core.params",
    "validate": "aibm_core.core.params",
    "Formula": "aibm_core.core.tree",
    "MetricTree": "aibm_core.core.tree",
    "Node": "aibm_core.core.tree",
    "format_value": "aibm_core.core.tree",
    "Evaluation": "aibm_core.models",
    "Metric": "aibm_core.models",
    "ModelSpec": "aibm_core.models",
    "evaluate": "aibm_core.models",
    "get_model": "aibm_core.models",
    "model_names": "aibm_core.models",
    "load_file": "aibm_core.analysis.scenarios",
    "results_payload": "aibm_core.analysis.results",
    "model_results": "aibm_core.analysis.results_cache",
}
#: Modules the notebooks use by their short name (``from aibm_core import charts, notebook``).
_MODULES = {
    "charts": "aibm_core.present.charts",
    "notebook": "aibm_core.present.notebook",
    "widgets": "aibm_core.present.widgets",
    "sensitivity": "aibm_core.analysis.sensitivity",
    "pyramid": "aibm_core.analysis.pyramid",
    "value_chain": "aibm_core.analysis.value_chain",
}

__all__ = sorted(_ATTRIBUTES)


def __getattr__(name: str) -> Any:
    """Import a public name or module when it is first used (PEP 562)."""
    if name in _MODULES:
        value = importlib.import_module(_MODULES[name])
    elif name in _ATTRIBUTES:
        value = getattr(importlib.import_module(_ATTRIBUTES[name]), name)
    else:
        raise AttributeError(f"module 'aibm_core' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_ATTRIBUTES, *_MODULES])
