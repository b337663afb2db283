"""Open-source freemium: open models for free, revenue from paid tiers, enterprise and an API.

Sources: seed 000 §4 (Hugging Face, Mistral AI, Stability AI, EleutherAI; the metric
framework, the $9-20 / $20-100+ tiers, ~2-5% conversion and ~70-80% gross margin after
hosting) and seed 001 ($2-15 per 1M tokens for the API variant).
"""

from __future__ import annotations

from aibm_core.models.base import ModelSpec, Question
from aibm_core.models.open_source_freemium.metric_tree import tree
from aibm_core.models.open_source_freemium.model import (
    OpenSourceFreemiumResult,
    compute,
    enterprise_profit_per_contract,
    kpis,
    projection,
    statement,
    unit_economics,
)
from aibm_core.models.open_source_freemium.params import STREAM_WEIGHTS, OpenSourceFreemiumParams

__all__ = [
    "SPEC",
    "STREAM_WEIGHTS",
    "OpenSourceFreemiumParams",
    "OpenSourceFreemiumResult",
    "compute",
    "enterprise_profit_per_contract",
    "kpis",
    "projection",
    "statement",
    "tree",
    "unit_economics",
]

SPEC = ModelSpec(
    primary_revenue="Paid tiers and enterprise contracts on free open models",
    unit_focus="Free-tier cost; free-to-paid conversion",
    name="open_source_freemium",
    title="Open-source freemium",
    layer="platform",
    params=OpenSourceFreemiumParams,
    compute=compute,
    tree=tree,
    kpis=kpis,
    projection=projection,
    statement=statement,
    what_if=(
        "conversion",
        "free_cost_per_user_usd",
        "community_growth_monthly",
        "enterprise_sales_cycle_months",
        "annual_api_price_decline",
    ),
    questions=(
        Question(
            "Conversion at which paid plans just cover the free tier", "conversion", "free_tier_deficit", 0.0
        ),
        Question(
            "Free-tier cost per user for a 60% gross margin", "free_cost_per_user_usd", "gross_margin", 0.6
        ),
        Question(
            "Yearly API price decline that pulls the gross margin to 60%",
            "annual_api_price_decline",
            "gross_margin",
            0.6,
        ),
        Question(
            "Conversion at which operating profit breaks even (not only the free tier)",
            "conversion",
            "operating_profit",
            0.0,
        ),
    ),
)
