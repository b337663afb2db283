"""The GPU cloud's payback and NPV per install month against the per-month loop they replaced.

``reference_lifetime_economics`` is the loop over install months the model used before the
closed forms (prefix sums and a search on their running maximum for the payback, discounted
prefix sums for the NPV); the property tests check the two agree to 1e-9 on random cash paths,
lives, capex and rates, including paths that never pay back, negative and zero cash, paths that
fall by more than the capex and recover, and whole model runs at zero utilisation.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.typing import ArrayLike

from aibm_core.core import finance
from aibm_core.models.ai_infrastructure import AiInfrastructureParams, compute, lifetime_economics
from aibm_core.models.ai_infrastructure import model as infrastructure_model
from aibm_core.models.ai_infrastructure.model import MAX_LIFE_MONTHS

# --- the reference: the loop over install months, as the model had it


def _life_weights(life_months: ArrayLike) -> np.ndarray:
    """In-service share of each month 1..120 of a GPU's life (1, a last partial month, then 0)."""
    age = np.arange(MAX_LIFE_MONTHS, dtype=float)
    return np.clip(finance.along_months(life_months) - age, 0.0, 1.0)


def _payback_on_path(cost: np.ndarray, cash: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Months until the cumulative cash recovers ``cost``, interpolated within the month."""
    cumulative = np.cumsum(cash * weights, axis=-1)
    reached = cumulative >= finance.along_months(cost)
    k = np.argmax(reached, axis=-1)[..., None]
    before = np.where(k > 0, np.take_along_axis(cumulative, np.maximum(k - 1, 0), axis=-1), 0.0)[..., 0]
    rate = np.take_along_axis(cash, k, axis=-1)[..., 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        within = (cost - before) / np.where(rate > 0, rate, 1.0)
    return np.where(reached.any(axis=-1), k[..., 0] + within, np.inf)


def _npv_on_path(cost: np.ndarray, cash: np.ndarray, weights: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """``-cost + Σ_k w_k cash_k / (1 + r)^k``: NPV of an outlay at t = 0 and monthly cash at month ends."""
    discount = (1.0 + finance.along_months(rate)) ** -np.arange(1.0, cash.shape[-1] + 1.0)
    return np.sum(cash * weights * discount, axis=-1) - cost


def reference_lifetime_economics(
    p: AiInfrastructureParams, cash_per_gpu: np.ndarray, horizon: int
) -> tuple[np.ndarray, np.ndarray]:
    """Payback and NPV of a GPU installed in each month 1..horizon, one install month at a time."""
    capex = np.asarray(p.capex_per_gpu_usd, dtype=float)
    weights = _life_weights(12.0 * np.asarray(p.useful_life_years, dtype=float))
    rate = finance.monthly_rate(p.annual_financing_rate)
    payback = np.empty((*cash_per_gpu.shape[:-1], horizon))
    npv = np.empty_like(payback)
    short = max(horizon + MAX_LIFE_MONTHS - 1 - cash_per_gpu.shape[-1], 0)  # months past every life
    cash_per_gpu = np.concatenate([cash_per_gpu, np.zeros((*cash_per_gpu.shape[:-1], short))], axis=-1)
    for s in range(horizon):
        window = cash_per_gpu[..., s : s + MAX_LIFE_MONTHS]
        payback[..., s] = _payback_on_path(capex, window, weights)
        npv[..., s] = _npv_on_path(capex, window, weights, rate)
    return payback, npv


# --- comparison


def assert_same_economics(
    new: tuple[np.ndarray, np.ndarray], reference: tuple[np.ndarray, np.ndarray], capex: ArrayLike
) -> None:
    """Payback: the same ``inf`` (never) cells, the others to 1e-9 relative. NPV: to 1e-9
    relative, or 1e-9 of the capex where the NPV nearly cancels to zero."""
    payback, npv = new
    ref_payback, ref_npv = reference
    assert payback.shape == ref_payback.shape and npv.shape == ref_npv.shape
    never = np.isinf(ref_payback)
    np.testing.assert_array_equal(np.isinf(payback), never)
    assert not np.any(np.isnan(payback)) and np.all(payback[~never] >= 0.0)
    np.testing.assert_allclose(payback[~never], ref_payback[~never], rtol=1e-9, atol=1e-12)
    scale = np.broadcast_to(finance.along_months(capex), npv.shape)
    np.testing.assert_array_less(np.abs(npv - ref_npv), 1e-9 * np.maximum(np.abs(ref_npv), scale) + 1e-300)


def _params(capex: ArrayLike, life_years: ArrayLike, rate: ArrayLike) -> AiInfrastructureParams:
    return AiInfrastructureParams().vary(
        capex_per_gpu_usd=capex, useful_life_years=life_years, annual_financing_rate=rate
    )


# --- strategies: cash paths of every shape the model can produce, and a few it cannot

KINDS = ("declining", "negative", "zero", "rise_fall_rise", "random_walk", "whole_dollars", "noise")


@st.composite
def cash_paths(draw, rows: int, months: int) -> np.ndarray:
    """Cash per GPU-month (rows × months): declining prices, losses, zeros, falls and recoveries."""
    kind = draw(st.sampled_from(KINDS))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    t = np.arange(months, dtype=float)
    level = draw(st.floats(-2000.0, 3000.0))
    if kind == "declining":  # the model's path: a falling price times utilisation, less cash cost
        decline = draw(st.floats(0.0, 0.6))
        cost = draw(st.floats(0.0, 1500.0))
        start = rng.uniform(0.5, 1.5, (rows, 1)) * abs(level)
        return start * (1.0 - decline) ** (t / 12.0) - cost
    if kind == "negative":  # zero utilisation: only the cash cost
        return -rng.uniform(0.0, 1.0, (rows, 1)) * abs(level) * np.ones(months)
    if kind == "zero":
        return np.zeros((rows, months))
    if kind == "rise_fall_rise":  # falls by more than a capex after a peak, then earns again
        turn = rng.integers(1, months, (rows, 1))
        back = turn + rng.integers(1, 60, (rows, 1))
        return np.where(t < turn, 2500.0, np.where(t < back, -3000.0, 1500.0)) + rng.normal(
            0, 50, (rows, months)
        )
    if kind == "random_walk":
        return level + np.cumsum(rng.normal(0.0, 150.0, (rows, months)), axis=-1)
    if kind == "whole_dollars":  # exact sums: ties between the cumulative cash and the capex
        return np.round(rng.normal(level, 800.0, (rows, months)))
    return rng.normal(level, 1000.0, (rows, months))


lives = st.floats(1.0, 10.0)  # the schema's range of useful lives (years)
capexes = st.floats(1000.0, 60000.0)
rates = st.floats(0.0, 0.5)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), horizon=st.integers(1, 72), rows=st.integers(1, 6), extra=st.integers(0, 3))
def test_closed_forms_equal_the_loop_over_install_months(data, horizon, rows, extra):
    cash = data.draw(cash_paths(rows, horizon + MAX_LIFE_MONTHS + extra))
    whole_dollars = data.draw(st.booleans())
    draw_array = st.lists(st.floats(1.0, 10.0), min_size=rows, max_size=rows).map(np.array)
    life = data.draw(st.one_of(lives, draw_array, st.sampled_from([1.0, 4.1, 5.0, 10.0])))
    capex = data.draw(st.one_of(capexes, st.lists(capexes, min_size=rows, max_size=rows).map(np.array)))
    if whole_dollars:
        capex = np.round(capex)
    rate = data.draw(st.one_of(rates, st.lists(rates, min_size=rows, max_size=rows).map(np.array)))
    p = _params(capex, life, rate)
    assert_same_economics(
        lifetime_economics(p, cash, horizon), reference_lifetime_economics(p, cash, horizon), capex
    )


@settings(max_examples=40, deadline=None)
@given(data=st.data(), rows=st.integers(2, 5))
def test_an_array_of_draws_equals_one_call_per_draw(data, rows):
    horizon = data.draw(st.integers(1, 60))
    cash = data.draw(cash_paths(rows, horizon + MAX_LIFE_MONTHS))
    life = np.array(data.draw(st.lists(lives, min_size=rows, max_size=rows)))
    capex = np.array(data.draw(st.lists(capexes, min_size=rows, max_size=rows)))
    rate = np.array(data.draw(st.lists(rates, min_size=rows, max_size=rows)))
    payback, npv = lifetime_economics(_params(capex, life, rate), cash, horizon)
    for i in range(rows):
        one = lifetime_economics(_params(capex[i], life[i], rate[i]), cash[i], horizon)
        assert one[0].shape == one[1].shape == (horizon,)
        np.testing.assert_allclose(one[0], payback[i], rtol=1e-12)
        np.testing.assert_allclose(one[1], npv[i], rtol=1e-12, atol=1e-12 * capex[i])
        assert_same_economics(
            one, reference_lifetime_economics(_params(capex[i], life[i], rate[i]), cash[i], horizon), capex[i]
        )


def test_blocks_of_draws_equal_one_block(monkeypatch):
    rng = np.random.default_rng(3)
    cash = rng.normal(900.0, 700.0, (7, 24 + MAX_LIFE_MONTHS))
    p = _params(rng.uniform(1e4, 5e4, 7), rng.uniform(1.0, 10.0, 7), 0.1)
    whole = lifetime_economics(p, cash, 24)
    monkeypatch.setattr(infrastructure_model, "DRAW_BLOCK", 3)
    blocks = lifetime_economics(p, cash, 24)
    np.testing.assert_array_equal(blocks[0], whole[0])
    np.testing.assert_array_equal(blocks[1], whole[1])
    assert_same_economics(blocks, reference_lifetime_economics(p, cash, 24), p.capex_per_gpu_usd)


def test_draw_shapes_broadcast_like_the_loop():
    rng = np.random.default_rng(7)
    cash = rng.normal(900.0, 700.0, (2, 3, 60 + MAX_LIFE_MONTHS))
    p = _params(np.array([20000.0, 35000.0, 50000.0]), np.array([[3.0], [5.5]]), 0.1)
    new = lifetime_economics(p, cash, 60)
    assert new[0].shape == new[1].shape == (2, 3, 60)
    assert_same_economics(new, reference_lifetime_economics(p, cash, 60), p.capex_per_gpu_usd)


def test_a_fall_of_more_than_the_capex_then_a_recovery():
    """Cohorts installed after a deep fall cannot use the running maximum: their own scan is exact."""
    months = 60 + MAX_LIFE_MONTHS
    t = np.arange(months)
    recovery = 1500.0 + 20.0 * (t - 50)  # a ramp, so no closed form of a flat path can stand in
    cash = np.where(t < 20, 3000.0, np.where(t < 50, -4000.0, recovery))[None, :] * np.ones((3, 1))
    cash[1] *= 1.5
    cash[2, 50:] = -1.0  # never recovers
    p = _params(35000.0, np.array([5.0, 3.3, 10.0]), 0.12)
    payback, npv = lifetime_economics(p, cash, 60)
    assert_same_economics((payback, npv), reference_lifetime_economics(p, cash, 60), 35000.0)
    owed = 35000.0 - np.cumsum(recovery[50:])  # installed on the recovery, month 50
    k = int(np.argmax(owed <= 0))
    assert payback[0, 50] == pytest.approx(k + (owed[k - 1]) / recovery[50 + k])
    assert np.isfinite(payback[0, 45])  # five months of losses first, then the ramp
    assert np.isinf(payback[0, 30])  # 20 months of losses: not earned back within 60 months
    assert np.all(np.isinf(payback[2, 20:]))


def test_exact_ties_and_partial_last_month():
    """Capex reached exactly at a month end, or only in the partial last month of life."""
    cash = np.full((1, 10 + MAX_LIFE_MONTHS), 1000.0)
    p = _params(np.array([36000.0]), 3.0, 0.0)  # reached exactly at the end of month 36
    payback, _ = lifetime_economics(p, cash, 10)
    np.testing.assert_array_equal(payback, 36.0)
    p = _params(np.array([36500.0]), 3.05, 0.0)  # 36.6 months of life: half a month is enough
    payback, npv = lifetime_economics(p, cash, 10)
    np.testing.assert_allclose(payback, 36.5)
    np.testing.assert_allclose(npv, 36600.0 - 36500.0)
    p = _params(np.array([36700.0]), 3.05, 0.0)  # 0.6 of month 37 earns 600 < 700 still owed
    assert np.all(np.isinf(lifetime_economics(p, cash, 10)[0]))
    cash[0, 36:] = -1.0  # the capex is reached exactly at the end of month 36, then losses
    p = _params(np.array([36000.0]), 5.0, 0.0)
    payback, _ = lifetime_economics(p, cash, 10)
    assert payback[0, 0] == 36.0 and np.all(np.isinf(payback[0, 1:]))
    assert_same_economics((payback, _), reference_lifetime_economics(p, cash, 10), 36000.0)


def test_too_short_a_cash_path_is_refused():
    with pytest.raises(ValueError, match="months"):  # a 5-year life reads months 1 .. 60 + 60 of the path
        lifetime_economics(AiInfrastructureParams(), np.ones(60 + 60 - 1), 60)
    assert lifetime_economics(AiInfrastructureParams(), np.ones(60 + 60), 60)[0].shape == (60,)
    with pytest.raises(ValueError, match="months"):  # a 10-year life reads the whole window
        lifetime_economics(_params(35000.0, 10.0, 0.1), np.ones(60 + MAX_LIFE_MONTHS - 2), 60)


def test_a_path_cut_after_the_longest_life_gives_the_same_economics():
    rng = np.random.default_rng(11)
    cash = rng.normal(900.0, 700.0, (4, 36 + MAX_LIFE_MONTHS))
    p = _params(35000.0, np.array([1.0, 3.3, 4.95, 5.0]), 0.1)  # longest: 60 months (+ a partial one)
    whole = lifetime_economics(p, cash, 36)
    cut = lifetime_economics(p, cash[:, : 36 + 60], 36)
    np.testing.assert_array_equal(whole[0], cut[0])
    np.testing.assert_array_equal(whole[1], cut[1])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # zero sold hours: per-hour figures are nan
@settings(max_examples=25, deadline=None)
@given(
    utilisation=st.sampled_from([0.3, 0.8, 1.0]),
    retention=st.floats(0.5, 1.0),
    decline=st.floats(0.0, 0.6),
    growth=st.floats(-0.2, 0.3),
    life=lives,
    horizon=st.integers(12, 72),
)
def test_whole_model_runs_equal_the_loop(utilisation, retention, decline, growth, life, horizon):
    """The model's own paths, zero utilisation (cash = − cash cost) included, scalar and drawn."""
    p = AiInfrastructureParams(
        utilisation=utilisation,
        annual_retention=retention,
        annual_price_decline=decline,
        quarterly_capacity_growth=growth,
        useful_life_years=life,
        horizon_months=horizon,
        snapshot_month=min(12, horizon),
    )
    drawn = p.vary(
        utilisation=utilisation * np.array([0.0, 0.5, 1.0]), capex_per_gpu_usd=np.array([2e4, 35e3, 5e4])
    )
    for params in (p, drawn, p.vary(utilisation=0.0)):  # zero demand: nothing sold
        new = compute(params)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(infrastructure_model, "lifetime_economics", reference_lifetime_economics)
            old = compute(params)
        assert_same_economics(
            (new.capex_payback_months, new.npv_per_gpu),
            (old.capex_payback_months, old.npv_per_gpu),
            params.capex_per_gpu_usd,
        )
