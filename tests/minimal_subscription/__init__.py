"""A minimal subscription business: the model docs/adding-a-model.md builds, step by step.

It lives in the tests, not in ``aibm_core.models``: the contract tests register it for their
duration (``aibm_core.models.registered(SPEC)``) and run on it as on every shipped model, so
the walk-through cannot fall behind the contract.
"""

from __future__ import annotations

from pathlib import Path

from aibm_core.models.base import ModelSpec, Question
from tests.minimal_subscription.metric_tree import tree
from tests.minimal_subscription.model import compute, kpis, projection, statement
from tests.minimal_subscription.params import MinimalSubscriptionParams

#: Its parameters folder (``base/`` and ``seed/``), laid out like ``parameters/``.
PARAMETERS_DIR = Path(__file__).parent / "parameters"

SPEC = ModelSpec(
    name="minimal_subscription",
    title="Minimal subscription business",
    layer="application",
    params=MinimalSubscriptionParams,
    compute=compute,
    tree=tree,
    kpis=kpis,
    projection=projection,
    statement=statement,
    what_if=("price_per_customer_usd", "monthly_churn", "cost_per_customer_usd"),
    questions=(Question("Price for an 85% gross margin", "price_per_customer_usd", "gross_margin", 0.85),),
    primary_revenue="Monthly subscriptions",
    unit_focus="Gross profit per customer; CAC payback",
)
