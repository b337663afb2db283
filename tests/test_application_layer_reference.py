"""The application layer's projection against its plain month-by-month reference.

The model runs the flywheel's recurrence on month-major buffers over the draws of the drivers
it reads, and each stream's cost as a stock times a per-draw cost per account. The reference
below is the plain form (a loop writing one month of every series at a time, each cost part
summed term by term); both must agree to 1e-9 relative on any valid parameters, scalar or drawn.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from aibm_core.core import finance
from aibm_core.models.application_layer import ApplicationLayerParams
from aibm_core.models.application_layer.model import STREAMS, compute
from aibm_core.models.application_layer.streams import flywheel_strength
from aibm_core.models.base import monthly_inputs
from tests.test_application_layer import app_params

RTOL = 1e-9


def reference_accounts(a, content_pieces, on, *, cycle, flywheel, months) -> dict[str, np.ndarray]:
    """Seats and automation customers by month: one month of every series at a time."""
    base_signed = a["seats_signed_per_month"][..., 0] * on["subscriptions"]
    base_wins = a["new_automation_customers_per_month"][..., 0] * on["automation"]
    shape = np.broadcast_shapes(*(np.shape(v[..., 0]) for v in a.values()), np.shape(content_pieces)[:-1])
    keys = (
        "seats",
        "seats_signed",
        "automation_customers",
        "new_automation_customers",
        "flywheel_strength",
        "cumulative_m_tasks",
        "seat_churn",
        "automation_churn",
    )
    out = {k: np.zeros((*shape, months)) for k in keys}
    seats = np.broadcast_to(a["initial_seats"][..., 0] * on["subscriptions"], shape)
    customers = np.broadcast_to(a["initial_automation_customers"][..., 0] * on["automation"], shape)
    cumulative = np.zeros(shape)
    pieces = np.broadcast_to(content_pieces, (*shape, months))
    for t in range(months):
        s = flywheel_strength(cumulative, a["flywheel_scale_m_tasks"][..., 0], flywheel)
        cut = 1.0 - a["flywheel_max_churn_reduction"][..., 0] * s
        uplift = 1.0 + a["flywheel_max_conversion_uplift"][..., 0] * s
        seat_churn = a["seat_monthly_churn"][..., 0] * cut
        automation_churn = a["automation_monthly_churn"][..., 0] * cut
        out["seats_signed"][..., t] = base_signed * uplift
        started = out["seats_signed"][..., t - cycle] if t >= cycle else base_signed
        seats = seats * (1.0 - seat_churn) + started
        wins = base_wins * uplift
        customers = customers * (1.0 - automation_churn) + wins
        for key, value in (
            ("seats", seats),
            ("automation_customers", customers),
            ("new_automation_customers", wins),
            ("flywheel_strength", s),
            ("cumulative_m_tasks", cumulative),
            ("seat_churn", seat_churn),
            ("automation_churn", automation_churn),
        ):
            out[key][..., t] = value
        tasks = (
            seats * a["tasks_per_seat"][..., 0] * on["subscriptions"]
            + customers * a["tasks_per_automation_customer"][..., 0] * on["automation"]
            + pieces[..., t]
        )
        cumulative = cumulative + tasks / 1e6
    return out


def reference_costs(a, acc, pieces, gmv, contracts, api) -> dict[str, dict[str, np.ndarray]]:
    """Revenue by stream and cost by part and by stream, each term written out."""
    seats, customers = acc["seats"], acc["automation_customers"]
    automation_tasks = customers * a["tasks_per_automation_customer"]
    revenue = {
        "subscription": seats * a["generic_seat_price_usd"] * (1.0 + a["domain_premium"]),
        "automation": customers * a["platform_fee_usd"]
        + automation_tasks * a["value_capture_share"] * a["value_per_task_usd"],
        "content": pieces
        * a["views_per_piece"]
        * a["revenue_per_thousand_views_usd"]
        / 1e3
        * a["content_revenue_share"],
        "marketplace": gmv * a["marketplace_take_rate"],
        "contract": contracts * a["contract_annual_value_usd"] / 12.0,
    }
    edge = a["edge_inference_share"]
    tokens = {
        "subscription": seats * a["tasks_per_seat"] * a["tokens_per_seat_task"] / 1e6,
        "automation": automation_tasks * a["tokens_per_automation_task"] / 1e6,
        "content": pieces * a["tokens_per_piece"] / 1e6,
    }
    user_side = (1.0 - edge) * api + edge * a["edge_cost_per_m_tokens"]
    user_tokens = tokens["subscription"] + tokens["content"]
    support = {k: a["support_cost_share"] * revenue[k] for k in ("subscription", "automation")}
    hosting = {
        "subscription": seats * a["hosting_cost_per_seat"],
        "automation": customers * a["hosting_cost_per_automation_customer"],
    }
    review = {
        "automation": automation_tasks * a["human_review_share"] * a["human_review_cost_per_task"],
        "content": pieces * a["review_cost_per_piece"],
    }
    parts = {
        "inference_cloud": ((1.0 - edge) * user_tokens + tokens["automation"]) * api,
        "inference_edge": edge * user_tokens * a["edge_cost_per_m_tokens"],
        "hosting": hosting["subscription"] + hosting["automation"],
        "human_review": review["automation"] + review["content"],
        "support": support["subscription"] + support["automation"],
        "payment": gmv * a["payment_cost_share"],
        "contract_delivery": revenue["contract"] * a["contract_delivery_cost_share"],
    }
    by_stream = {
        "subscription": tokens["subscription"] * user_side
        + hosting["subscription"]
        + support["subscription"],
        "automation": tokens["automation"] * api
        + hosting["automation"]
        + review["automation"]
        + support["automation"],
        "content": tokens["content"] * user_side + review["content"],
        "marketplace": parts["payment"],
        "contract": parts["contract_delivery"],
    }
    task_cost = a["tokens_per_seat_task"] / 1e6 * user_side
    return {"revenue": revenue, "parts": parts, "by_stream": by_stream, "task_cost": {"seat": task_cost}}


def assert_close(actual, expected, what: str) -> None:
    """Equal to ``RTOL`` relative (absolute against the series' scale where it crosses zero)."""
    actual, expected = np.broadcast_arrays(np.asarray(actual, float), np.asarray(expected, float))
    scale = np.max(np.abs(expected), initial=0.0)
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=RTOL * scale * 1e-3, err_msg=what)


def check_against_reference(p: ApplicationLayerParams) -> None:
    """Every account, revenue and cost series of :func:`compute` equals the reference's."""
    r = compute(p)
    a = monthly_inputs(p)
    on = {"subscriptions": float(p.include_subscriptions), "automation": float(p.include_automation)}
    on["content"] = float(p.include_content)
    acc = reference_accounts(
        a,
        r.content_pieces,
        on,
        cycle=p.subscription_sales_cycle_months,
        flywheel=p.flywheel_enabled,
        months=int(p.horizon_months),
    )
    for key, expected in acc.items():
        assert_close(getattr(r, key), expected, key)
    ref = reference_costs(a, acc, r.content_pieces, r.gmv, r.contracts_active, r.api_price)
    for key in STREAMS:
        assert_close(r.revenue_by_stream[key], ref["revenue"][key], f"revenue {key}")
        assert_close(r.cost_by_stream[key], ref["by_stream"][key], f"cost {key}")
    for key, expected in ref["parts"].items():
        assert_close(r.cost_parts[key], expected, key)
    assert_close(r.seat_task_cost, ref["task_cost"]["seat"], "seat task cost")


@settings(max_examples=40, deadline=None)
@given(app_params())
def test_projection_equals_the_month_by_month_reference(p):
    check_against_reference(p)


@settings(max_examples=15, deadline=None)
@given(app_params(), st.integers(0, 2**32 - 1))
def test_drawn_projection_equals_the_reference(p, seed):
    """Drivers drawn per row (the accounts' own and others) give the reference's rows."""
    rng = np.random.default_rng(seed)
    n = 7
    drawn = p.vary(
        seat_monthly_churn=rng.uniform(0.0, 0.1, n),
        api_price_per_m_tokens=rng.uniform(0.5, 20.0, n),
        flywheel_scale_m_tasks=rng.uniform(10.0, 2000.0, n),
        tokens_per_piece=rng.uniform(100.0, 5000.0, n),
        content_growth_monthly=rng.uniform(-0.05, 0.1, n),
    )
    check_against_reference(drawn)


def test_accounts_of_drivers_they_do_not_read_are_computed_once():
    """Draws of the API price alone leave one row of accounts (broadcast), not one per draw."""
    from aibm_core.models.application_layer.model import _volumes

    p = ApplicationLayerParams().vary(api_price_per_m_tokens=np.linspace(1.0, 5.0, 1000))
    v = _volumes(p, monthly_inputs(p), finance.month_index(p.horizon_months))
    assert v["acc"].seats.shape == (int(p.horizon_months),)
    assert compute(p).seats.shape == (1000, int(p.horizon_months))
