"""AI hardware: a chip vendor selling accelerators (Nvidia GPUs, Graphcore IPUs, Cerebras engines).

Sources: seed 000 §3 (AI hardware metrics framework; H100 example: ~$30K ASP, ~$8–10K
manufacturing cost, ~65–70% gross margin) and seed 003 (chip sales sit at the
capital-intensive base of the revenue pyramid).

Mechanics: customers (with annual retention) buy units; product generations launch every
``generation_cadence_months``, ramp, peak and fade once their successor arrives, and each
generation's price and cost drift from launch. Software subscriptions ride on the units.
Finished units are a stock: production, committed ``order_lead_months`` ahead to a planned
demand, comes in; shipments and write-downs go out, so an unforeseen demand shortfall builds
inventory (months of supply) until production has been cut.
"""

from __future__ import annotations

from aibm_core.models.ai_hardware.metric_tree import tree
from aibm_core.models.ai_hardware.model import (
    AiHardwareResult,
    compute,
    generation_label,
    generation_numbers,
    kpis,
    lifecycle_weight,
    ltv_path,
    monthly_churn,
    projection,
    revenue_by_generation,
    statement,
    unit_economics,
)
from aibm_core.models.ai_hardware.params import AiHardwareParams
from aibm_core.models.base import ModelSpec, Question

__all__ = [
    "SPEC",
    "AiHardwareParams",
    "AiHardwareResult",
    "compute",
    "generation_label",
    "generation_numbers",
    "kpis",
    "lifecycle_weight",
    "ltv_path",
    "monthly_churn",
    "projection",
    "revenue_by_generation",
    "statement",
    "tree",
    "unit_economics",
]

SPEC = ModelSpec(
    primary_revenue="One-time hardware sales plus software",
    unit_focus="Manufacturing margin; ASP erosion",
    name="ai_hardware",
    title="AI hardware (accelerator chip vendor)",
    layer="infrastructure",
    params=AiHardwareParams,
    compute=compute,
    tree=tree,
    kpis=kpis,
    projection=projection,
    statement=statement,
    what_if=(
        "high_end_asp_usd",
        "high_end_unit_cost_usd",
        "annual_asp_erosion",
        "units_per_month",
        "annual_retention",
    ),
    questions=(
        Question(
            "High-end ASP floor for a 65% hardware gross margin",
            "high_end_asp_usd",
            "hardware_gross_margin",
            0.65,
        ),
        Question(
            "High-end unit cost ceiling for a 65% hardware gross margin",
            "high_end_unit_cost_usd",
            "hardware_gross_margin",
            0.65,
        ),
        Question(
            "Yearly ASP erosion that cuts the operating margin to 50%",
            "annual_asp_erosion",
            "operating_margin",
            0.5,
        ),
    ),
)
