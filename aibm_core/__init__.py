"""aibm: a strategy workbook for the economics of AI businesses.

The public API, hand-picked. Notebooks import from here; nothing here imports a notebook.
"""

from aibm_core.compute_cost import cost_per_m_tokens
from aibm_core.errors import AibmInputError
from aibm_core.models import Evaluation, Metric, ModelSpec, evaluate, get_model, model_names
from aibm_core.params import ModelParams, ParameterError, load_file, notebook_parameters, validate
from aibm_core.results import results_payload
from aibm_core.results_cache import model_results
from aibm_core.tree import Formula, MetricTree, Node, format_value

__all__ = [
    "AibmInputError",
    "Evaluation",
    "Formula",
    "Metric",
    "MetricTree",
    "ModelParams",
    "ModelSpec",
    "Node",
    "ParameterError",
    "cost_per_m_tokens",
    "evaluate",
    "format_value",
    "get_model",
    "load_file",
    "model_names",
    "model_results",
    "notebook_parameters",
    "results_payload",
    "validate",
]
__version__ = "0.1.0"
