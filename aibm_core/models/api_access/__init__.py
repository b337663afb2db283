"""API access / model-as-a-service: selling tokens of a foundation model.

Sources: seed 000 §1 (API access metrics framework and the $0.03 cost / $0.06 price
per 1K tokens example) and seed 001 (tokens per day, $2–15 per 1M tokens,
$100M+ training cost, commoditisation of prices).
"""

from __future__ import annotations

from aibm_core.models.api_access.metric_tree import tree
from aibm_core.models.api_access.model import (
    ApiAccessResult,
    compute,
    kpis,
    lifetime_value,
    projection,
    serving_cost_per_m,
    statement,
    unit_economics,
    unit_paths,
)
from aibm_core.models.api_access.params import ApiAccessParams
from aibm_core.models.base import ModelSpec, Question

__all__ = [
    "SPEC",
    "ApiAccessParams",
    "ApiAccessResult",
    "compute",
    "kpis",
    "lifetime_value",
    "projection",
    "serving_cost_per_m",
    "statement",
    "tree",
    "unit_economics",
    "unit_paths",
]

SPEC = ModelSpec(
    primary_revenue="Per-token API fees",
    unit_focus="Cost to serve per 1M tokens; CAC payback",
    name="api_access",
    title="API access / model-as-a-service",
    layer="platform",
    params=ApiAccessParams,
    compute=compute,
    tree=tree,
    kpis=kpis,
    projection=projection,
    statement=statement,
    what_if=(
        "price_per_m_output_tokens",
        "gpu_utilisation",
        "monthly_churn",
        "enterprise_discount",
        "annual_price_decline",
    ),
    questions=(
        Question(
            "Output-token price for a 50% gross margin", "price_per_m_output_tokens", "gross_margin", 0.5
        ),
        Question("GPU utilisation for a 30% gross margin", "gpu_utilisation", "gross_margin", 0.3),
        Question("Monthly churn at which LTV / CAC falls to 3", "monthly_churn", "ltv_to_cac", 3.0),
    ),
)
