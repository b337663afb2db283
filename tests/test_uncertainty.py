"""Ranges, correlated draws and the Monte Carlo run: distributions, copula, reproducibility."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from scipy import stats

from aibm_core.analysis.uncertainty import monte_carlo, sample
from aibm_core.core.params import ParameterError, validate
from aibm_core.core.ranges import Range, RangeError, parse_range, recentre
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
    params = api_params(text + "\ndraws: 150000")  # within the draws × months budget (36 months)
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


# --- re-centring a range on a scenario's number (hand-computed) ---------------------------------


def test_recentre_scales_low_mode_high_by_the_ratio_of_values():
    pert = parse_range({"dist": "pert", "low": 8, "mode": 15, "high": 18, "value": 15}, 0.01, 1000)
    moved = recentre(pert, 12, 0.01, 1000)
    assert (moved.family, moved.value, moved.recentred_from) == ("pert", 12.0, 15.0)
    assert (moved.low, moved.mode, moved.high) == pytest.approx((6.4, 12.0, 14.4))  # x 12/15
    lognormal = parse_range({"low": 2, "high": 8, "value": 4}, 0, None)
    assert lognormal.family == "lognormal"
    assert (recentre(lognormal, 6, 0, None).low, recentre(lognormal, 6, 0, None).high) == (3.0, 12.0)
    beta = parse_range({"dist": "beta", "low": 10, "high": 20, "alpha": 2, "beta": 3, "value": 15})
    scaled = recentre(beta, 30)
    assert (scaled.low, scaled.high, scaled.alpha, scaled.beta) == (20.0, 40.0, 2.0, 3.0)


def test_recentre_keeps_a_logit_normal_fraction_inside_0_1_by_scaling_its_odds():
    fraction = parse_range({"low": 0.2, "high": 0.8, "value": 0.5}, 0, 1)
    assert fraction.family == "logitnormal"
    moved = recentre(fraction, 0.9, 0, 1)  # odds x 9: 0.25 -> 2.25, 4 -> 36
    assert (moved.low, moved.high) == pytest.approx((2.25 / 3.25, 36 / 37))
    assert moved.family == "logitnormal" and moved.value == 0.9


def test_recentre_clips_to_the_valid_range_and_shifts_where_there_is_no_ratio():
    triangle = parse_range({"dist": "triangular", "low": 0.5, "mode": 0.8, "high": 1.0, "value": 0.8}, 0, 1)
    clipped = recentre(triangle, 0.9, 0, 1)  # x 1.125: 0.5625, 0.9, 1.125 clipped to 1
    assert (clipped.low, clipped.mode, clipped.high) == pytest.approx((0.5625, 0.9, 1.0))
    around_zero = parse_range({"dist": "uniform", "low": -1, "high": 1, "value": 0})
    shifted = recentre(around_zero, 0.5)  # old value 0: shifted by +0.5
    assert (shifted.low, shifted.high, shifted.recentred_from) == (-0.5, 1.5, 0.0)
    normal = parse_range({"dist": "normal", "low": -0.1, "high": 0.3, "value": 0.1})
    flipped = recentre(normal, -0.1)  # the other sign: shifted by -0.2
    assert (flipped.low, flipped.high) == pytest.approx((-0.3, 0.1))


def test_recentre_on_zero_or_the_same_value_and_what_it_refuses():
    lognormal = parse_range({"low": 2, "high": 8, "value": 4}, 0, None)
    assert recentre(lognormal, 0, 0, None) == 0.0  # no width relative to zero: a number
    assert recentre(lognormal, 4, 0, None) is lognormal  # unchanged value, unchanged range
    with pytest.raises(RangeError, match="cannot re-centre the lognormal"):
        recentre(Range("lognormal", 2, 8, value=4), -1)
    with pytest.raises(RangeError, match=r"strictly inside 0\.\.1"):
        recentre(parse_range({"low": 0.2, "high": 0.8}, 0, 1), 1.0, 0, 1)
