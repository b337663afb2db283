"""AI infrastructure / GPU cloud: renting accelerator hours from an owned fleet.

Sources: seed 002 (GPU utilisation above 80% as the profitability target, revenue
per GPU-hour, annual customer retention above 95%, quarter-on-quarter capacity
growth, capex and obsolescence risk, power and cooling limits) and seed 003 (the
infrastructure layer is the capital-intensive, low-margin base of the pyramid;
compute leasing).

Margin definitions used throughout (all on revenue of the same period):

* **gross margin** = (revenue − depreciation − power − other data-centre opex) / revenue;
* **EBITDA margin** = (revenue − power − other data-centre opex) / revenue (site level:
  no corporate overhead is modelled);
* **margin after financing** = (revenue − full cost) / revenue, where the full cost also
  carries the interest on the debt that funds the capex. Financing sits below EBITDA
  and below gross margin.

Per installed GPU-hour the cost stack (depreciation, power, other opex, financing)
does not depend on utilisation; revenue per installed GPU-hour is the blended price
of a sold hour times utilisation. Break-even utilisation is therefore the
cost-before-financing per hour divided by the blended price.

Obsolescence is read conservatively: the prices of every installed GPU fall together
at ``annual_price_decline`` while capex per GPU stays fixed, and GPUs that wear out
are assumed replaced, so every installed GPU carries a depreciation charge (the
projection's capex column is expansion capex only).
"""

from __future__ import annotations

from aibm_core.models.ai_infrastructure.metric_tree import tree
from aibm_core.models.ai_infrastructure.model import (
    AiInfrastructureResult,
    blended_price,
    compute,
    cost_stack_per_hour,
    fleet,
    kpis,
    power_runway_months,
    projection,
)
from aibm_core.models.ai_infrastructure.params import (
    HOURS_PER_MONTH,
    AiInfrastructureParams,
)
from aibm_core.models.base import ModelSpec

__all__ = [
    "HOURS_PER_MONTH",
    "SPEC",
    "AiInfrastructureParams",
    "AiInfrastructureResult",
    "blended_price",
    "compute",
    "cost_stack_per_hour",
    "fleet",
    "kpis",
    "power_runway_months",
    "projection",
    "tree",
]

SPEC = ModelSpec(
    name="ai_infrastructure",
    title="AI infrastructure / GPU cloud",
    layer="infrastructure",
    params=AiInfrastructureParams,
    compute=compute,
    tree=tree,
    kpis=kpis,
    projection=projection,
    what_if=(
        "utilisation",
        "reserved_price_per_gpu_hour",
        "capex_per_gpu_usd",
        "useful_life_years",
        "electricity_usd_per_kwh",
    ),
)
