"""Ranges, correlated draws and the Monte Carlo run: distributions, copula, reproducibility."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from scipy import stats

from aibm_core.analysis.uncertainty import monte_carlo, sample
from aibm_core.core.params import ParameterError, validate
from aibm_core.core.ranges import RangeError, parse_range
from aibm_core.models import get_model, model_names

API = get_model("api_access")


def api_params(text: str):
    return validate(API.params, yaml.safe_load(text), source="test.yaml")


@pytest.mark.parametrize(
    ("text", "name", "family"),
    [
        ("tokens_per_customer_m: {low: 100, high: 900}", "tokens_per_customer_m", "lognormal"),
        ("monthly_churn: {low: 0.01, high: 0.06}", "monthly_churn", "logitnormal"),
        ("usage_growth_monthly: {low: -0.02, high: 0.06}", "usage_growth_monthly", "normal"),
    ],
)
def test_a_90_percent_range_leaves_5_percent_of_draws_on_each_side(text, name, family):
    params = api_params(text + "\ndraws: 200000")
    assert params.uncertainty.ranges[name].family == family
    draws = sample(params)[name]
    low, high = params.uncertainty.ranges[name].low, params.uncertainty.ranges[name].high
    tolerance = 4 * np.sqrt(0.05 * 0.95 / draws.size)  # four standard errors
    assert abs(np.mean(draws < low) - 0.05) < tolerance
    assert abs(np.mean(draws > high) - 0.05) < tolerance


def test_percentiles_of_a_known_distribution():
    """PERT(0, 0.2, 1) is Beta(1.8, 4.2) on 0..1: its sample median is close to the exact one."""
    params = api_params("cache_hit_rate: {dist: pert, low: 0, mode: 0.2, high: 1}\ndraws: 100000")
    draws = sample(params)["cache_hit_rate"]
    exact = stats.beta(1.8, 4.2)
    for q in (0.1, 0.5, 0.9):
        assert np.quantile(draws, q) == pytest.approx(exact.ppf(q), abs=0.01)
    assert params.cache_hit_rate == pytest.approx(exact.median())  # no value: the median


def test_the_copula_reproduces_the_requested_rank_correlation():
    params = api_params(
        "annual_price_decline: {low: 0.1, high: 0.5}\n"
        "annual_cost_decline: {low: 0.1, high: 0.45}\n"
        "monthly_churn: {low: 0.01, high: 0.06}\n"
        "correlations: [[annual_price_decline, annual_cost_decline, 0.7],"
        " [monthly_churn, annual_price_decline, -0.3]]\n"
        "draws: 50000"
    )
    draws = sample(params)
    rho = stats.spearmanr(draws["annual_price_decline"], draws["annual_cost_decline"]).statistic
    assert rho == pytest.approx(0.7, abs=0.02)
    rho = stats.spearmanr(draws["monthly_churn"], draws["annual_price_decline"]).statistic
    assert rho == pytest.approx(-0.3, abs=0.02)


def test_the_same_seed_gives_the_same_draws_byte_for_byte():
    text = "monthly_churn: {low: 0.01, high: 0.06}\ngpu_utilisation: {low: 0.4, high: 0.8}\ndraws: 1000"
    first, second = sample(api_params(text)), sample(api_params(text))
    assert all(first[k].tobytes() == second[k].tobytes() for k in first)
    other = sample(api_params(text + "\nrandom_seed: 7"))
    assert not np.array_equal(first["monthly_churn"], other["monthly_churn"])


def test_draws_stay_inside_the_valid_range():
    params = api_params("usage_growth_monthly: {dist: normal, low: -0.45, high: 0.9}\ndraws: 20000")
    draws = sample(params)["usage_growth_monthly"]
    assert draws.min() >= -0.5 and draws.max() <= 1.0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("monthly_churn: {low: 0.06, high: 0.01}", "low (0.06) must not exceed high (0.01)"),
        ("monthly_churn: {low: 0.01, high: 1.5}", "must lie inside the valid range 0..1"),
        ("max_monthly_churn: {low: 0.01, high: 0.1}", "only drivers can be ranges"),
        ("cac_usd: {low: 0, high: 100}", "a lognormal range needs low > 0"),
        ("cache_hit_rate: {dist: pert, low: 0, high: 1}", "missing mode"),
        ("cache_hit_rate: {dist: gamma, low: 0, high: 1}", "unknown dist 'gamma'"),
        (
            "annual_price_decline: {low: 0.1, high: 0.5}\n"
            "correlations: [[annual_price_decline, max_monthly_churn, 0.5]]",
            "'max_monthly_churn' is not a driver of this model",
        ),
        ("draws: -5", "key 'draws': value -5 is not allowed"),
    ],
)
def test_bad_ranges_name_the_file_key_and_what_is_allowed(text, message):
    with pytest.raises(ParameterError) as caught:
        api_params(text)
    assert message in str(caught.value) and "test.yaml" in str(caught.value)


def test_correlations_that_cannot_hold_together_are_refused():
    with pytest.raises(ParameterError, match="not positive semi-definite"):
        api_params(
            "annual_price_decline: {low: 0.1, high: 0.5}\nannual_cost_decline: {low: 0.1, high: 0.45}\n"
            "monthly_churn: {low: 0.01, high: 0.06}\n"
            "correlations: [[annual_price_decline, annual_cost_decline, 0.9],"
            " [annual_price_decline, monthly_churn, 0.9], [annual_cost_decline, monthly_churn, -0.9]]"
        )


def test_a_number_still_means_a_number_and_value_sets_the_point():
    assert api_params("monthly_churn: 0.04").uncertainty.ranges == {}
    params = api_params("monthly_churn: {low: 0.01, high: 0.06, value: 0.03}")
    assert params.monthly_churn == 0.03 and "monthly_churn" in params.uncertainty.ranges


def test_a_degenerate_range_is_a_certain_value():
    draws = sample(api_params("monthly_churn: {low: 0.03, high: 0.03}\ndraws: 10"))["monthly_churn"]
    assert np.all(draws == 0.03)


def test_parse_range_refuses_non_numbers():
    with pytest.raises(RangeError, match="must be a finite number"):
        parse_range({"low": "1", "high": 2})


@pytest.mark.parametrize("model", model_names())
def test_monte_carlo_is_one_vectorised_call_with_ordered_percentiles(model):
    spec = get_model(model)
    ranged = {
        name: {"low": v * 0.8, "high": v * 1.2}
        for name, v in [(n, getattr(spec.params(), n)) for n in spec.params.names_with_role("driver")]
        if v > 0
    }
    ranged = dict(list(ranged.items())[:4])
    params = validate(spec.params, {**ranged, "draws": 500})
    mc = monte_carlo(spec, params)
    assert mc.statement.series("revenue").shape == (500, params.horizon_months)
    table = mc.kpi_percentiles()
    finite = table.replace([np.inf, -np.inf], np.nan).dropna()
    assert (finite["p10"] <= finite["p50"]).all() and (finite["p50"] <= finite["p90"]).all()
    assert mc.breach_probabilities()["probability"].between(0, 1).all()
    assert monte_carlo(spec, validate(spec.params, {**ranged, "draws": 0})) is None


def test_a_correlation_with_a_driver_fixed_to_a_number_is_dropped():
    """A scenario may fix a driver that the base scenario correlates with another."""
    params = api_params(
        "annual_price_decline: 0.4\nannual_cost_decline: {low: 0.1, high: 0.45}\n"
        "correlations: [[annual_price_decline, annual_cost_decline, 0.5]]"
    )
    assert params.uncertainty.correlations == ()
