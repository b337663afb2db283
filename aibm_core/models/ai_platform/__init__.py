"""AI platform (cloud ML platform): compute, storage and managed AI services sold to enterprises.

Sources: seed 000 §2 (AI platform metrics framework, unit economics and its ~30-40%
infrastructure margin; SageMaker / Bedrock, Vertex AI, Azure AI), seed 002 (utilisation
and retention benchmarks of cloud infrastructure) and seed 003 (platforms as the
medium-margin layer of the revenue pyramid).
"""

from __future__ import annotations

from aibm_core.models.ai_platform.metric_tree import tree
from aibm_core.models.ai_platform.model import (
    AiPlatformResult,
    compute,
    kpis,
    net_revenue_retention,
    projection,
    statement,
    unit_economics,
)
from aibm_core.models.ai_platform.params import AiPlatformParams
from aibm_core.models.base import ModelSpec, Question

__all__ = [
    "SPEC",
    "AiPlatformParams",
    "AiPlatformResult",
    "compute",
    "kpis",
    "net_revenue_retention",
    "projection",
    "statement",
    "tree",
    "unit_economics",
]

SPEC = ModelSpec(
    name="ai_platform",
    title="AI platform (cloud ML platform)",
    layer="platform",
    params=AiPlatformParams,
    compute=compute,
    tree=tree,
    kpis=kpis,
    projection=projection,
    statement=statement,
    what_if=(
        "on_demand_price_per_gpu_hour",
        "infra_cost_per_gpu_hour",
        "fleet_utilisation",
        "monthly_churn",
        "services_per_customer",
    ),
    questions=(
        Question(
            "Infrastructure cost per GPU-hour for a 35% infrastructure margin",
            "infra_cost_per_gpu_hour",
            "gross_margin",
            0.35,
        ),
        Question(
            "Utilisation at which infrastructure costs 70 cents per revenue dollar",
            "fleet_utilisation",
            "infra_cost_per_revenue_usd",
            0.70,
        ),
        Question(
            "Sales and marketing cost per new customer for a 24-month CAC payback",
            "cac_usd",
            "cac_payback_months",
            24.0,
        ),
    ),
    primary_revenue="Compute and storage usage",
    unit_focus="Infrastructure margin; revenue per GPU-hour × utilisation",
)
