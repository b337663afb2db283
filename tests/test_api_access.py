"""The API-access model: the seed example, hand-computed values, identities and properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from scipy.special import ndtri

from aibm_core.analysis.scenarios import load_file
from aibm_core.core import finance
from aibm_core.core.compute_cost import cost_per_m_tokens
from aibm_core.core.config import PARAMETERS_DIR
from aibm_core.core.params import ParameterError, validate
from aibm_core.core.tree import format_value
from aibm_core.models import evaluate, get_model
from aibm_core.models.api_access import ApiAccessParams, compute, projection, unit_economics, unit_paths
from tests.strategies import api_params


def test_seed_example_gives_exactly_fifty_percent(api_seed):
    assert api_seed.gross_margin == 0.5
    assert api_seed.kpis["revenue_per_k_tokens"].value == pytest.approx(0.06)
    assert api_seed.kpis["cost_per_k_tokens"].value == pytest.approx(0.03)
    assert api_seed.tree.value("gross_margin") == 0.5


def test_base_month_one_prices_by_hand():
    p = ApiAccessParams()
    r = compute(p)
    list_price = 0.75 * 3 + 0.25 * 15  # 6.00 per 1M
    cache = 0.75 * 0.30 * 0.90 * 3  # 0.6075
    batch = (list_price - cache) * 0.10 * 0.50
    assert r.list_price_per_m[0] == pytest.approx(list_price)
    assert r.cache_discount_per_m[0] == pytest.approx(cache)
    assert r.batch_discount_per_m[0] == pytest.approx(batch)
    gpu_hour = 2.5 * 1.2
    cost_in = cost_per_m_tokens(gpu_hour, 2500, 0.6) * (1 - 0.3 + 0.3 * 0.1)
    cost_out = cost_per_m_tokens(gpu_hour, 250, 0.6)
    assert r.cost_per_m[0] == pytest.approx(0.75 * cost_in + 0.25 * cost_out)
    assert r.customers[0] == pytest.approx(10000 * 0.97 + 2000)


def test_unit_economics_identities(api_base):
    r, p = api_base.result, api_base.params
    ue = unit_economics(r)
    assert ue["cac_payback_months"] == pytest.approx(p.cac_usd / ue["gross_profit_per_customer"])
    assert ue["ltv_to_cac"] == pytest.approx(ue["ltv"] / p.cac_usd)
    assert api_base.kpis["arr"].value == pytest.approx(12 * api_base.kpis["mrr"].value)


def test_tree_reproduces_the_model_numbers(api_base):
    tree, r, k = api_base.tree, api_base.result, api_base.kpis
    assert tree.root.value == pytest.approx(r.at("revenue"), rel=1e-12)
    assert tree.value("net_price_per_m") == pytest.approx(r.at("net_price_per_m"))
    assert tree.value("gross_margin") == pytest.approx(api_base.gross_margin)
    assert tree.value("cac_payback") == pytest.approx(k["cac_payback_months"].value)
    assert tree.value("tokens_per_day") == pytest.approx(k["tokens_per_day"].value)
    assert tree.value("new_customers") == pytest.approx(r.new_customers[0])
    assert [g.id for g in tree.guardrails()] == [
        "cac_payback",
        "churn",
        "cost_per_request",
        "top10_share",
        "gross_margin_floor",
        "error_rate",
    ]


def test_guardrail_breach_is_reported(api_spec):
    ev = evaluate(api_spec, ApiAccessParams(monthly_churn=0.08))
    assert ev.tree["churn"].status == "breach"


@settings(max_examples=60, deadline=None)
@given(api_params())
def test_revenue_is_the_sum_of_its_parts(p):
    r = compute(p)
    np.testing.assert_allclose(r.revenue, r.enterprise_revenue + r.self_serve_revenue, rtol=1e-9)
    discounts = r.cache_discount_per_m + r.batch_discount_per_m + r.contract_discount_per_m
    before_discounts = r.list_price_per_m + r.cache_write_surcharge_per_m
    np.testing.assert_allclose(r.net_price_per_m, before_discounts - discounts, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(r.gross_profit, r.revenue - r.cogs, rtol=1e-9, atol=1e-6)


@settings(max_examples=60, deadline=None)
@given(api_params(), st.floats(1.01, 3.0))
@example(ApiAccessParams(), 1.5)
def test_higher_price_means_higher_margin(p, factor):
    higher = p.vary(
        price_per_m_input_tokens=p.price_per_m_input_tokens * factor,
        price_per_m_output_tokens=p.price_per_m_output_tokens * factor,
    )
    assert compute(higher).at("gross_margin") > compute(p).at("gross_margin")


@settings(max_examples=60, deadline=None)
@given(api_params(), st.floats(0.001, 0.3))
def test_higher_churn_means_lower_ltv(p, extra):
    base = unit_economics(compute(p))
    path = unit_paths(p, np.arange(p.snapshot_month, p.snapshot_month + p.ltv_months, dtype=float))
    # a customer who turns loss-making on its path costs less the sooner it leaves
    assume(np.all(path["net"] > path["cost"]))
    churn = min(p.monthly_churn + extra, 1.0)
    assert unit_economics(compute(p.vary(monthly_churn=churn)))["ltv"] <= base["ltv"]


def test_arrays_evaluate_like_scalars():
    p = ApiAccessParams()
    churns = np.array([0.01, 0.03, 0.08])
    prices = np.array([10.0, 15.0, 20.0])
    vectorised = compute(p.vary(monthly_churn=churns, price_per_m_output_tokens=prices))
    for i, (c, price) in enumerate(zip(churns, prices, strict=True)):
        single = compute(p.vary(monthly_churn=float(c), price_per_m_output_tokens=float(price)))
        np.testing.assert_allclose(vectorised.revenue[i], single.revenue)
        np.testing.assert_allclose(vectorised.gross_margin[i], single.gross_margin)


def test_deterministic():
    a, b = compute(ApiAccessParams()), compute(ApiAccessParams())
    assert np.array_equal(a.revenue, b.revenue)


def test_projection_summary_picks_months_and_formats(api_base):
    table = api_base.projection_summary()
    assert list(table.columns) == ["month 1", "month 12", "month 24", "month 36"]
    assert table.at["Gross margin (%)", "month 12"] == f"{api_base.gross_margin:.1%}"
    # was $37.20M before the tiers left enterprise volume
    assert table.at["Revenue (USD per month)", "month 12"] == "$37.76M"
    assert table.at["Tokens processed (tokens per month)", "month 1"] == "3.51T"  # tokens_b is in billions


# --- audit defects: each test fails on the code before the fix


def _bear(api_spec):
    return evaluate(api_spec, load_file(api_spec.params, PARAMETERS_DIR / "bear" / "api_access.yaml"))


def test_cac_payback_that_never_happens_is_never_and_breaches(api_spec):
    """Defect 1: a negative gross profit per customer gave a negative payback judged 'ok'."""
    ev = evaluate(api_spec, ApiAccessParams(gpu_hour_cost_usd=40.0))
    assert ev.kpis["contribution_per_customer"].value < 0
    node = ev.tree["cac_payback"]
    assert node.value == np.inf and node.status == "breach" and node.first_breach_month == 1
    assert format_value(node.value, node.unit) == "never"
    assert ev.kpis["cac_payback_months"].value == np.inf
    assert "never" in ev.tree.to_text()


def test_cac_payback_is_judged_every_month(api_spec):
    """Defect 1: the payback limit is judged on the monthly series CAC / gross profit per customer."""
    bear = _bear(api_spec)
    r = bear.result
    expected = 8000.0 / (r.tokens_per_customer_m * (r.net_price_per_m - r.cost_per_m))
    months = np.where(expected > 0, expected, np.inf)
    np.testing.assert_allclose(r.cac_payback_months, months)
    assert bear.tree["cac_payback"].status == "breach"
    assert bear.tree["cac_payback"].worst == np.inf  # gross profit per customer turns negative by month 36
    ev = evaluate(api_spec, ApiAccessParams())
    assert ev.tree["cac_payback"].status == "ok"  # 5.7 to 6.7 months against 12


def _hand_ltv(p: ApiAccessParams) -> float:
    """Discounted gross profit of one customer acquired in month s, without tiers or contracts."""
    s, r = p.snapshot_month, 1.12 ** (1 / 12) - 1
    total = 0.0
    for k in range(p.ltv_months):
        t = s + k
        tokens = 300.0 * 1.03 ** (t - 1)
        price = 60.0 * (1 - 0.3) ** ((t - 1) / 12)
        cost = 30.0 * (1 - 0.25) ** ((t - 1) / 12)
        total += tokens * (price - cost) * ((1 - p.monthly_churn) / (1 + r)) ** k
    return total


SIMPLE = {
    "price_per_m_input_tokens": 60.0,
    "price_per_m_output_tokens": 60.0,
    "cost_basis": "direct",
    "direct_cost_per_m_tokens": 30.0,
    "cache_hit_rate": 0.0,
    "batch_share": 0.0,
    "enterprise_token_share": 0.0,
    "tier2_discount": 0.0,
    "tier3_discount": 0.0,
}


def test_ltv_is_the_discounted_gross_profit_of_the_projected_path():
    """Defect 4: LTV froze month-12 gross profit while usage, price and cost kept moving."""
    p = ApiAccessParams(**SIMPLE)
    ue = unit_economics(compute(p))
    assert ue["ltv"] == pytest.approx(_hand_ltv(p), rel=1e-12)
    frozen = ue["gross_profit_per_customer"] * (1 + 1.12 ** (1 / 12) - 1) / (1.12 ** (1 / 12) - 1 + 0.03)
    assert abs(ue["ltv"] - frozen) > 1000  # the old closed form on month-12 gross profit


def test_ltv_on_the_models_own_path(api_base):
    """Defect 4: within the horizon, LTV sums the model's own monthly gross profit per customer."""
    p = api_base.params.vary(ltv_months=25)  # months 12..36
    r = compute(p)
    gp = (r.tokens_per_customer_m * (r.net_price_per_m - r.cost_per_m))[11:]
    weights = (0.97 / 1.12 ** (1 / 12)) ** np.arange(25)
    assert unit_economics(r)["ltv"] == pytest.approx(float(np.sum(gp * weights)), rel=1e-12)


def test_gpu_hour_is_the_bare_rental_and_overhead_comes_on_top():
    """Defect 5: the GPU hour was called all-in and the overhead was added on top of it."""
    meaning = ApiAccessParams.model_fields["gpu_hour_cost_usd"].description
    assert "all-in" not in meaning.lower() and "infra_overhead_share" in meaning
    bare = compute(ApiAccessParams(infra_overhead_share=0.0, cache_hit_rate=0.0)).cost_per_m[0]
    assert bare == pytest.approx(
        0.75 * 2.5 / (2500 * 3600 * 0.6) * 1e6 + 0.25 * 2.5 / (250 * 3600 * 0.6) * 1e6
    )
    loaded = compute(ApiAccessParams(infra_overhead_share=0.2, cache_hit_rate=0.0)).cost_per_m[0]
    assert loaded == pytest.approx(1.2 * bare)


def test_direct_cost_default_has_a_source_that_supports_it(api_seed):
    """Defect 6: $1.50 per 1M was sourced to the seed's $0.03 per 1K ($30 per 1M)."""
    field = ApiAccessParams.model_fields["direct_cost_per_m_tokens"]
    assert "0.03 per 1K" not in field.json_schema_extra["source"]
    gpu_year_one = compute(ApiAccessParams()).cost_per_m[:12]
    assert gpu_year_one.min() <= field.default <= gpu_year_one.max()  # $1.30 .. $1.69
    assert api_seed.params.direct_cost_per_m_tokens == 30.0 and api_seed.gross_margin == 0.5


def test_ltv_to_cac_takes_an_array_of_cac_including_zero(api_spec):
    """Defect 9: `if p.cac_usd` crashed on an array; a zero CAC gives an unbounded ratio."""
    cac = np.array([0.0, 5000.0, 8000.0])
    k = api_spec.kpis(compute(ApiAccessParams().vary(cac_usd=cac)))
    ltv = k["ltv"].value  # does not depend on CAC: one value
    np.testing.assert_allclose(k["ltv_to_cac"].value, [np.inf, ltv / 5000, ltv / 8000])
    assert format_value(k["ltv_to_cac"].value[0], "ratio") == "unbounded"


def _self_serve_discount_by_quadrature(mean: float, sigma: float, enterprise: float) -> float:
    """Tier discount on the customers below the enterprise cut-off, on a fine quantile grid."""
    u = (np.arange(400_000) + 0.5) / 400_000
    sizes = mean * np.exp(sigma * ndtri(u) - sigma**2 / 2)  # ascending
    volume_share_above = 1 - np.cumsum(sizes) / sizes.sum()
    small = sizes[volume_share_above >= enterprise]
    discount = 0.1 * np.clip(small - 2000, 0, 18000) + 0.2 * np.clip(small - 20000, 0, None)
    return float(discount.sum() / small.sum())


def test_volume_tiers_apply_only_to_self_serve_customers(api_base):
    """Defect 10: the tiers were computed on every customer, enterprise ones included."""
    r = api_base.result
    after_batch = (r.list_price_per_m - r.cache_discount_per_m - r.batch_discount_per_m)[11]
    tiers = 1 - r.self_serve_price_per_m[11] / after_batch
    mean = r.tokens_per_customer_m[11]
    assert tiers == pytest.approx(_self_serve_discount_by_quadrature(mean, 1.5, 0.4), abs=2e-4)
    assert r.enterprise_price_per_m[11] == pytest.approx(0.75 * after_batch)


def test_top10_share_is_a_share_of_revenue(api_base):
    """Defect 10: the concentration guardrail was a share of tokens, not of revenue."""
    r = api_base.result
    tokens_top = finance.top_share(r.customers, 10, 1.5)  # the ten largest are enterprise customers
    np.testing.assert_allclose(
        r.top10_revenue_share * r.revenue, tokens_top * r.tokens_m * r.enterprise_price_per_m, rtol=1e-12
    )
    assert api_base.tree.value("top10_share") == pytest.approx(0.02518, abs=1e-5)  # tokens: 3.0%
    no_contracts = compute(ApiAccessParams(enterprise_token_share=0.0))
    np.testing.assert_allclose(
        no_contracts.top10_revenue_share, finance.top_share(no_contracts.customers, 10, 1.5)
    )


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("price_per_m_input_tokens", 0.0),  # below the floor of $0.01 per 1M
        ("price_per_m_output_tokens", 0.0),
        ("cached_input_price_factor", 0.0),
        ("gpu_utilisation", 1.0e-300),
        ("output_tokens_per_second_per_gpu", 1.0e-300),
    ],
)
def test_degenerate_inputs_are_refused_naming_the_key(key, value):
    """Defect 11: zero prices and near-zero utilisation passed validation and broke the maths."""
    with pytest.raises(ParameterError, match=f"key '{key}'"):
        validate(ApiAccessParams, {key: value})


def test_zero_churn_and_zero_discount_rate_give_a_finite_ltv():
    """Defect 11: churn 0 with discount rate 0 printed an LTV of $infT; the cap keeps it finite."""
    p = ApiAccessParams(**SIMPLE, monthly_churn=0.0, annual_discount_rate=0.0)
    ltv = unit_economics(compute(p))["ltv"]
    hand = sum(
        300 * 1.03 ** (t - 1) * (60 * 0.7 ** ((t - 1) / 12) - 30 * 0.75 ** ((t - 1) / 12))
        for t in range(12, 72)
    )
    assert ltv == pytest.approx(hand, rel=1e-12)
    assert "inf" not in format_value(ltv, "USD per customer")


def test_statement_splits_costs_and_lumps_training_cash(api_base):
    """Contract: the common statement; training cash is spent when a generation starts."""
    st, r = api_base.statement, api_base.result
    capex = np.zeros(36)
    capex[[0, 24]] = 100e6  # generations start in months 1 and 25
    np.testing.assert_array_equal(st.capex, capex)
    assert st.capex.sum() == pytest.approx(r.training_amortisation[:36].sum() * 2 / 1.5)
    np.testing.assert_allclose(st.operating_expenses, 100e6 / 24 + 2000 * 5000.0)
    np.testing.assert_allclose(st.ratios()["gross_margin"], r.gross_margin, rtol=1e-12)
    assert st.snapshot()["north_star"] == pytest.approx(api_base.tree.root.value, rel=1e-12)
    np.testing.assert_array_equal(st.volume, r.customers)


def test_gross_margin_floor_is_judged_every_month(api_spec, api_base):
    """Contract: the bear case (18% gross margin in month 12) read 'all ok' without a floor."""
    bear = _bear(api_spec)
    node = bear.tree["gross_margin_floor"]
    below = np.flatnonzero(bear.result.gross_margin < 0.30)
    assert node.status == "breach" and node.first_breach_month == below[0] + 1 == 9
    assert node.worst == pytest.approx(bear.result.gross_margin.min())
    assert api_base.tree["gross_margin_floor"].status == "ok"


def test_cost_per_request_breach_before_the_snapshot_is_reported(api_spec):
    """Contract: a guardrail broken in month 1 but not in the snapshot month is a breach."""
    ev = evaluate(api_spec, ApiAccessParams(max_cost_per_request_usd=0.003))
    node = ev.tree["cost_per_request"]
    assert node.value < 0.003 < ev.result.cost_per_request[0]
    assert node.status == "breach" and node.first_breach_month == 1


def _ltv_path_from_scratch(p):
    """The lifetime-value path computed on its own months, as the model did before caching it."""
    s = int(p.snapshot_month)
    u = unit_paths(p, np.arange(s, s + int(p.ltv_months), dtype=float))
    return u["tokens_per_customer_m"] * (u["net"] - u["cost"])


@pytest.mark.parametrize(("horizon", "snapshot", "ltv_months"), [(36, 12, 60), (60, 12, 24), (24, 24, 1)])
def test_cached_ltv_path_gives_the_same_kpis(horizon, snapshot, ltv_months):
    base = load_file(ApiAccessParams, PARAMETERS_DIR / "base" / "api_access.yaml")
    settings = {"horizon_months": horizon, "snapshot_month": snapshot, "ltv_months": ltv_months}
    p = base.model_copy(update=settings)
    rng = np.random.default_rng(3)
    n = 5_000  # more rows than a block of the tier-discount formula
    drawn = p.vary(
        usage_growth_monthly=rng.uniform(-0.02, 0.08, n),
        monthly_churn=rng.uniform(0.01, 0.1, n),
        tier2_threshold_m_tokens=rng.uniform(10, 1e4, n),
    )
    for params in (p, drawn):
        r = compute(params)
        path = _ltv_path_from_scratch(params)
        np.testing.assert_allclose(r.ltv_path, np.broadcast_to(path, r.ltv_path.shape), rtol=1e-14, atol=0)
        assert r.ltv_path is r.ltv_path  # computed once, kept on the result
        expected = finance.path_lifetime_value(
            path, params.monthly_churn, finance.monthly_rate(params.annual_discount_rate)
        )
        np.testing.assert_allclose(unit_economics(r)["ltv"], expected, rtol=1e-14, atol=0)


def test_cache_writes_are_billed_at_a_multiple_of_the_input_price_by_hand():
    # A bill of 1M input tokens at $3 per 1M: 50% read from the cache at 0.1x, 30% written to it at
    # 1.25x, 20% uncached: 0.5 x 0.30 + 0.3 x 3.75 + 0.2 x 3.00 = 0.15 + 1.125 + 0.60 = $1.875.
    p = ApiAccessParams(
        input_token_share=1.0,
        price_per_m_input_tokens=3.0,
        cache_hit_rate=0.5,
        cached_input_price_factor=0.1,
        cache_write_share=0.3,
        cached_write_price_factor=1.25,
        batch_share=0.0,
        enterprise_token_share=0.0,
        tier2_discount=0.0,
        tier3_discount=0.0,
        annual_price_decline=0.0,
    )
    r = compute(p)
    assert r.cache_discount_per_m[0] == pytest.approx(1.35)  # 0.5 x (1 - 0.1) x 3
    assert r.cache_write_surcharge_per_m[0] == pytest.approx(0.225)  # 0.3 x (1.25 - 1) x 3
    assert r.net_price_per_m[0] == pytest.approx(1.875)
    tree = evaluate(get_model("api_access"), p).tree
    assert tree.value("cache_discount") == pytest.approx(1.35 - 0.225)
    assert tree.value("net_price_per_m") == pytest.approx(1.875)
    # a write costs the provider a normal prefill: the cost to serve does not move
    np.testing.assert_array_equal(r.cost_per_m, compute(p.vary(cache_write_share=0.0)).cost_per_m)


def test_cache_writes_default_to_none_and_leave_prices_unchanged(api_base):
    assert ApiAccessParams().cache_write_share == 0.0
    assert not api_base.result.cache_write_surcharge_per_m.any()


def test_cache_reads_and_writes_cannot_exceed_all_input_tokens():
    with pytest.raises(ValueError, match="cache_write_share"):
        ApiAccessParams(cache_hit_rate=0.8, cache_write_share=0.3)


def _small_fleet(**changes) -> ApiAccessParams:
    """Ten GPUs at $2 + 50% overhead serving 100 customers of 10M tokens a month, no growth or caching."""
    values = {
        "cost_basis": "fleet",
        "fleet_gpus": 10.0,
        "gpu_hour_cost_usd": 2.0,
        "infra_overhead_share": 0.5,
        "initial_customers": 100.0,
        "developer_signups_per_month": 0.0,
        "monthly_churn": 0.0,
        "tokens_per_customer_m": 10.0,
        "usage_growth_monthly": 0.0,
        "input_token_share": 0.5,
        "cache_hit_rate": 0.0,
        "input_tokens_per_second_per_gpu": 2000.0,
        "output_tokens_per_second_per_gpu": 200.0,
        "annual_cost_decline": 0.0,
    }
    return ApiAccessParams(**{**values, **changes})


def test_fleet_cost_basis_on_a_small_fleet_by_hand():
    # 10 GPUs x $3.00 an hour all-in x 730.5 hours = $21,915 a month, paid whatever the traffic;
    # 100 customers x 10M tokens = 1,000M tokens, so $21.915 per 1M tokens.
    # Busy GPU-hours per 1M: 1e6 / 3600 x (0.5 / 2000 + 0.5 / 200) = 0.763889; x 1,000M = 763.889
    # of the fleet's 7,305 GPU-hours: 10.457% utilisation.
    p = _small_fleet()
    r = compute(p)
    assert r.cogs[0] == pytest.approx(21915.0)
    assert r.cost_per_m[0] == pytest.approx(21.915)
    assert r.implied_fleet_utilisation[0] == pytest.approx(763.8889 / 7305.0, rel=1e-6)
    k = evaluate(get_model("api_access"), p).kpis
    assert k["implied_fleet_utilisation"].value == pytest.approx(0.104571, rel=1e-5)
    assert k["cost_per_m_tokens"].value == pytest.approx(21.915)
    # twice the traffic: the same bill, half the cost per token, twice the utilisation
    busy = compute(_small_fleet(tokens_per_customer_m=20.0))
    assert busy.cogs[0] == pytest.approx(21915.0)
    assert busy.cost_per_m[0] == pytest.approx(21.915 / 2)
    assert busy.implied_fleet_utilisation[0] == pytest.approx(2 * r.implied_fleet_utilisation[0])
    # statement and projection carry the fleet cost and the utilisation
    assert evaluate(get_model("api_access"), p).statement.cost_of_revenue[0] == pytest.approx(21915.0)
    assert projection(r)["fleet_utilisation"].iloc[0] == pytest.approx(r.implied_fleet_utilisation[0])


def test_fleet_at_its_implied_utilisation_costs_what_the_gpu_basis_costs():
    p = _small_fleet(cache_hit_rate=0.3, annual_cost_decline=0.25, usage_growth_monthly=0.05)
    fleet = compute(p)
    for month in (0, 11, 35):
        utilisation = float(fleet.implied_fleet_utilisation[month])
        gpu = compute(p.model_copy(update={"cost_basis": "gpu", "gpu_utilisation": utilisation}))
        assert fleet.cost_per_m[month] == pytest.approx(gpu.cost_per_m[month], rel=1e-12)
    assert "implied_fleet_utilisation" not in evaluate(get_model("api_access"), ApiAccessParams()).kpis


def test_fleet_basis_takes_draws_like_scalars():
    p = _small_fleet()
    gpus = np.array([5.0, 10.0, 40.0])
    batch = compute(p.vary(fleet_gpus=gpus))
    for i, value in enumerate(gpus):
        single = compute(p.vary(fleet_gpus=value))
        np.testing.assert_allclose(batch.cost_per_m[i], single.cost_per_m)
        np.testing.assert_allclose(batch.implied_fleet_utilisation[i], single.implied_fleet_utilisation)
    assert np.all(np.isfinite(unit_economics(batch)["ltv"]))
