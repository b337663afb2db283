"""Application layer (AI products): the top of seed 003's revenue pyramid.

Sources: seed 003 (vertical subscriptions, enterprise process automation, content revenue
sharing, the developer marketplace's 10-15% commission, the data flywheel, edge deployment,
government and compliance work; the application layer earns the highest margins) and seed
000's common patterns (freemium, enterprise contracts, lock-in). Inference is bought at the
API layer's price per 1M tokens (``api_access``).
"""

from __future__ import annotations

from aibm_core.models.application_layer.economics import (
    kpis,
    projection,
    statement_of,
    stream_margins,
    unit_economics,
)
from aibm_core.models.application_layer.metric_tree import tree
from aibm_core.models.application_layer.model import COSTS, STREAMS, ApplicationLayerResult, compute
from aibm_core.models.application_layer.params import STREAM_SWITCHES, ApplicationLayerParams
from aibm_core.models.base import ModelSpec, Question

__all__ = [
    "COSTS",
    "SPEC",
    "STREAMS",
    "STREAM_SWITCHES",
    "ApplicationLayerParams",
    "ApplicationLayerResult",
    "compute",
    "kpis",
    "projection",
    "statement_of",
    "stream_margins",
    "tree",
    "unit_economics",
]

SPEC = ModelSpec(
    primary_revenue="Vertical seats, automation, revenue share, marketplace take",
    unit_focus="Inference cost share; power-user break-even",
    name="application_layer",
    title="Application layer (AI products)",
    layer="application",
    params=ApplicationLayerParams,
    compute=compute,
    tree=tree,
    kpis=kpis,
    projection=projection,
    statement=statement_of,
    what_if=(
        "api_price_per_m_tokens",
        "domain_premium",
        "tasks_per_seat",
        "seat_monthly_churn",
        "marketplace_take_rate",
    ),
    questions=(
        Question(
            "API price per 1M tokens at which the gross margin falls to 60%",
            "api_price_per_m_tokens",
            "gross_margin",
            0.6,
        ),
        Question(
            "Tasks per seat at which seat CAC payback reaches 12 months",
            "tasks_per_seat",
            "seat_cac_payback_months",
            12.0,
        ),
        Question(
            "Seat churn at which seat LTV / CAC falls to 3", "seat_monthly_churn", "seat_ltv_to_cac", 3.0
        ),
    ),
)
