"""AI infrastructure / GPU cloud: renting accelerator hours from an owned fleet.

Sources: seed 002 (GPU utilisation above 80% as the profitability target, revenue
per GPU-hour, annual customer retention above 95%, quarter-on-quarter capacity
growth, capex and obsolescence risk, power and cooling limits) and seed 003 (the
infrastructure layer is the capital-intensive, low-margin base of the pyramid;
compute leasing).

Margin definitions used throughout (all on revenue of the same period):

* **gross margin** = (revenue − depreciation − power − other data-centre opex) / revenue;
* **operating (EBIT) margin** = (gross profit − SG&A − R&D) / revenue, where SG&A is a share
  of revenue and R&D a fixed amount per month (corporate costs: the statement's operating
  expenses);
* **EBITDA margin** = (revenue − power − other data-centre opex) / revenue (site level,
  before corporate SG&A and R&D);
* **margin after financing** = (revenue − full cost) / revenue, where the full cost also
  carries the interest on the debt that funds the capex (fleet level, before corporate
  SG&A and R&D). Financing sits below EBITDA and below gross margin.

Per installed GPU-hour the cost stack (depreciation, power, other opex, financing)
does not depend on utilisation; revenue per installed GPU-hour is the blended price
of a sold hour times utilisation. Break-even utilisation is therefore the
cost-before-financing per hour divided by the blended price.

Demand: the contracted book starts at the target ``utilisation`` and new capacity
arrives sold at that target; customers leave at ``1 - annual_retention`` a year and the
sales team re-sells up to ``annual_resale_capacity`` of the book a year. Churn beyond that
leaves GPUs idle, so realised utilisation (and revenue) falls when retention drops below
the level the sales team can replace (seed 002: 95% a year).

Obsolescence is read conservatively: the prices of every installed GPU fall together
at ``annual_price_decline`` while capex per GPU stays fixed. Every GPU (the month-1 fleet
taken as new) is replaced at the end of its useful life, so every installed GPU carries
a depreciation charge and capex is expansion plus replacement. The capex payback and NPV
of a GPU follow its cash contribution on the projected price and utilisation path over
its useful life (beyond the horizon on the same rates), not the snapshot month held flat.

Contract book (defaults: none of it, so a scenario that sets nothing here has one reserved
tier and only live contracts):

* **tiers**: on demand, reserved (``contract_term_months``), spot and a second reserved tier,
  multi-year (``multiyear_share``, ``multiyear_price_per_gpu_hour``, ``multiyear_term_months``),
  e.g. 1-year and 3-year contracts at different prices; the four shares sum to 1;
* **signed capacity not yet live**: ``signed_undelivered_gpus`` at the start of month 1, plus
  ``signed_gpus_per_month`` signed and ``signed_delivery_gpus_per_month`` going live each month,
  valued at ``signed_price_per_gpu_hour`` over ``signed_term_months`` (deliveries are part of
  the fleet growth that ``quarterly_capacity_growth`` sets: they are not added to it);
* **remaining performance obligations** (contracted revenue not yet recognised) = each tier's
  live revenue × the average remaining term of its contracts (``contracted_backlog``) +
  undelivered GPUs × hours per month × contract price × term (``undelivered_backlog``);
* **customer concentration**: revenue shares of the largest and of the ten largest of
  ``customer_count`` customers whose revenues are lognormal with sigma
  ``customer_size_dispersion`` (:func:`aibm_core.core.finance.top_share`).

Every month loop is a closed form over the month axis (contracted fill, remaining contract
term, replacements by multiples of the life, loan balances by window sums, payback and NPV by
prefix sums); a series is computed at the draws it depends on, and draws that move only the
target utilisation get their payback and NPV from two cash paths
(:func:`~aibm_core.models.ai_infrastructure.model.scaled_lifetime_economics`).
"""

from __future__ import annotations

from aibm_core.models.ai_infrastructure.metric_tree import tree
from aibm_core.models.ai_infrastructure.model import (
    MAX_LIFE_MONTHS,
    AiInfrastructureResult,
    backlog_months,
    blended_price,
    compute,
    contracted_fill,
    cost_stack_per_hour,
    fleet,
    gpu_purchases,
    kpis,
    lifetime_economics,
    power_runway_months,
    projection,
    scaled_lifetime_economics,
    statement,
    utilisation_economics,
    utilisation_table,
)
from aibm_core.models.ai_infrastructure.params import (
    HOURS_PER_MONTH,
    AiInfrastructureParams,
)
from aibm_core.models.base import ModelSpec, Question

__all__ = [
    "HOURS_PER_MONTH",
    "MAX_LIFE_MONTHS",
    "SPEC",
    "AiInfrastructureParams",
    "AiInfrastructureResult",
    "backlog_months",
    "blended_price",
    "compute",
    "contracted_fill",
    "cost_stack_per_hour",
    "fleet",
    "gpu_purchases",
    "kpis",
    "lifetime_economics",
    "power_runway_months",
    "projection",
    "scaled_lifetime_economics",
    "statement",
    "tree",
    "utilisation_economics",
    "utilisation_table",
]

SPEC = ModelSpec(
    primary_revenue="GPU-hours (on-demand, reserved, spot)",
    unit_focus="Utilisation; cost per GPU-hour; capex payback",
    name="ai_infrastructure",
    title="AI infrastructure / GPU cloud",
    layer="infrastructure",
    params=AiInfrastructureParams,
    compute=compute,
    tree=tree,
    kpis=kpis,
    projection=projection,
    statement=statement,
    what_if=(
        "utilisation",
        "reserved_price_per_gpu_hour",
        "capex_per_gpu_usd",
        "useful_life_years",
        "electricity_usd_per_kwh",
    ),
    questions=(
        Question("Break-even utilisation (gross margin = 0)", "utilisation", "gross_margin", 0.0),
        Question(
            "Reserved price per GPU-hour for a 30% gross margin",
            "reserved_price_per_gpu_hour",
            "gross_margin",
            0.3,
        ),
        Question(
            "Utilisation at which the margin after financing is 0",
            "utilisation",
            "margin_after_financing",
            0.0,
        ),
    ),
)
