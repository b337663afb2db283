"""The GPU cloud's closed forms over the month axis against the month loops they replaced.

Each ``reference_*`` function is the loop over months the model used before (kept here as the
reference); hypothesis checks the closed forms agree with them to 1e-9 on random drivers,
including shrinking fleets, churn the sales team cannot replace, zero rates and zero demand.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aibm_core.core import finance
from aibm_core.models.ai_infrastructure import AiInfrastructureParams, compute, lifetime_economics
from aibm_core.models.ai_infrastructure import model as infrastructure_model
from aibm_core.models.ai_infrastructure.model import (
    _draw_shape,
    _monthly_growth,
    _monthly_loss,
    backlog_months,
    contracted_fill,
    debt_outstanding,
    gpu_purchases,
    scaled_lifetime_economics,
)
from tests.test_ai_infrastructure_lifetime import assert_same_economics, reference_lifetime_economics

# --- the references: the loops over months, as the model had them


def reference_contracted_fill(p: AiInfrastructureParams, months: int) -> np.ndarray:
    growth = _monthly_growth(p)
    net_loss = _monthly_loss(p.annual_retention) - _monthly_loss(1.0 - np.asarray(p.annual_resale_capacity))
    keep = 1.0 - np.maximum(net_loss, 0.0)
    inflow = np.maximum(growth, 0.0)
    draws = _draw_shape(p)
    fill = np.empty((*draws, months))
    level = np.ones(draws)
    fill[..., 0] = level
    for t in range(1, months):
        level = np.minimum(1.0, (level * keep + inflow) / (1.0 + growth))
        fill[..., t] = level
    return fill


def reference_gpu_purchases(p: AiInfrastructureParams, added: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    shape = (*_draw_shape(p), added.shape[-1])
    added = np.broadcast_to(added, shape)
    life = np.broadcast_to(np.ceil(12.0 * np.asarray(p.useful_life_years, dtype=float)), shape[:-1])
    installed = np.zeros(shape)
    installed[..., 0] = np.broadcast_to(np.asarray(p.initial_gpus, dtype=float), shape[:-1])
    replaced = np.zeros(shape)
    for t in range(1, shape[-1]):
        source = (t - life).astype(int)
        worn = np.take_along_axis(installed, np.maximum(source, 0)[..., None], axis=-1)[..., 0]
        worn = np.where(source >= 0, worn, 0.0)
        replaced[..., t] = np.maximum(worn + np.minimum(added[..., t], 0.0), 0.0)
        installed[..., t] = np.maximum(added[..., t], 0.0) + replaced[..., t]
    return np.maximum(added, 0.0), replaced


def reference_debt_outstanding(p: AiInfrastructureParams, purchased_gpus: np.ndarray) -> np.ndarray:
    purchased = np.asarray(purchased_gpus, dtype=float)
    capex = np.asarray(p.capex_per_gpu_usd, dtype=float)
    rate = finance.monthly_rate(p.annual_financing_rate)
    life = 12.0 * np.asarray(p.useful_life_years, dtype=float)
    principal = purchased * finance.along_months(capex)
    horizon = principal.shape[-1]
    shape = np.broadcast_shapes(principal.shape, (*np.shape(rate), 1), (*np.shape(life), 1))
    debt = np.zeros(shape)
    for k in range(1, horizon + 1):
        share = finance.along_months(finance.loan_balance(1.0, rate, life, float(k)))
        debt[..., k - 1 :] += principal[..., : horizon - k + 1] * share
    return debt


def reference_backlog_months(p: AiInfrastructureParams, sold_hours: np.ndarray) -> np.ndarray:
    term = np.asarray(p.contract_term_months, dtype=float)
    shape = np.broadcast_shapes(sold_hours.shape, (*np.shape(term), 1))
    hours = np.broadcast_to(sold_hours, shape)
    term = np.broadcast_to(term, shape[:-1])
    months = np.empty(shape)
    months[..., 0] = term / 2.0
    for t in range(1, shape[-1]):
        before, now = hours[..., t - 1], hours[..., t]
        kept = months[..., t - 1] * np.minimum(now, before) + term * np.maximum(now - before, 0.0)
        months[..., t] = kept / now
    return months


def close(new: np.ndarray, old: np.ndarray, rtol: float = 1e-9) -> None:
    new, old = np.broadcast_arrays(np.asarray(new, dtype=float), np.asarray(old, dtype=float))
    scale = np.max(np.abs(old), initial=0.0)
    np.testing.assert_allclose(new, old, rtol=rtol, atol=rtol * scale + 1e-300)


def drawn(data, strategy, rows: int):
    """A scalar or an array of ``rows`` draws of ``strategy``."""
    one = st.lists(strategy, min_size=rows, max_size=rows).map(np.array)
    return data.draw(st.one_of(strategy, one))


growths = st.floats(-0.5, 2.0)
retentions = st.floats(0.5, 1.0)
resales = st.floats(0.0, 0.5)
lives = st.floats(1.0, 10.0)
rates = st.one_of(st.just(0.0), st.floats(0.001, 0.5))
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(data=st.data(), rows=st.integers(1, 5), months=st.integers(1, 200))
def test_contracted_fill_equals_the_loop(data, rows, months):
    p = AiInfrastructureParams().vary(
        quarterly_capacity_growth=drawn(data, growths, rows),
        annual_retention=drawn(data, retentions, rows),
        annual_resale_capacity=drawn(data, resales, rows),
    )
    close(contracted_fill(p, months), reference_contracted_fill(p, months))


@SETTINGS
@given(data=st.data(), rows=st.integers(1, 5), horizon=st.integers(1, 130))
def test_gpu_purchases_equal_the_loop(data, rows, horizon):
    p = AiInfrastructureParams().vary(
        useful_life_years=drawn(data, lives, rows),
        initial_gpus=drawn(data, st.floats(1.0, 1e6), rows),
    )
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    added = rng.normal(0.0, 500.0, (rows, horizon)) * data.draw(st.sampled_from([0.0, 1.0]))
    added[..., 0] = 0.0
    added = added if _draw_shape(p) else added[0]  # the loop's shape: the parameters' draws
    for new, old in zip(gpu_purchases(p, added), reference_gpu_purchases(p, added), strict=True):
        np.testing.assert_array_equal(np.broadcast_to(new, old.shape), old)  # the same operations


@SETTINGS
@given(data=st.data(), rows=st.integers(1, 5), horizon=st.integers(1, 130))
def test_debt_equals_the_loop(data, rows, horizon):
    p = AiInfrastructureParams().vary(
        useful_life_years=drawn(data, lives, rows),
        annual_financing_rate=drawn(data, rates, rows),
        capex_per_gpu_usd=drawn(data, st.floats(1000.0, 1e5), rows),
    )
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    purchased = rng.uniform(0.0, 1000.0, (rows, horizon)) * (rng.uniform(size=(rows, horizon)) < 0.7)
    close(debt_outstanding(p, purchased), reference_debt_outstanding(p, purchased))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the loop divides by a month of zero demand
@SETTINGS
@given(data=st.data(), rows=st.integers(1, 5), months=st.integers(1, 130))
def test_backlog_months_equal_the_loop(data, rows, months):
    p = AiInfrastructureParams().vary(contract_term_months=drawn(data, st.floats(0.0, 120.0), rows))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    kind = data.draw(st.sampled_from(["walk", "growing", "shrinking", "zeros"]))
    steps = {"walk": rng.normal(0.0, 0.1, (rows, months)), "growing": rng.uniform(0, 0.1, (rows, months))}
    steps["shrinking"] = -rng.uniform(0, 0.1, (rows, months))
    hours = 1e6 * np.exp(np.cumsum(steps.get(kind, steps["walk"]), axis=-1))
    if kind == "zeros":  # zero demand in some months
        hours = np.where(rng.uniform(size=(rows, months)) < 0.3, 0.0, hours)
    old = reference_backlog_months(p, hours)
    new = backlog_months(p, hours)
    finite = np.isfinite(old)  # the loop has no average term once a month sells nothing
    close(new[finite], old[finite])
    assert np.all(np.isfinite(new))
    term = np.broadcast_to(finance.along_months(p.contract_term_months), new.shape)
    assert np.all(new >= term / 2.0 - 1e-9) and np.all(new <= term + 1e-9)


def test_a_month_without_demand_leaves_the_average_term_and_new_volume_signs_a_full_term():
    p = AiInfrastructureParams(contract_term_months=24.0)
    months = backlog_months(p, np.array([100.0, 0.0, 0.0, 50.0, 50.0]))
    np.testing.assert_allclose(months, [12.0, 12.0, 12.0, 24.0, 24.0])


@SETTINGS
@given(
    data=st.data(),
    rows=st.integers(1, 6),
    horizon=st.integers(1, 72),
    life=lives,
    capex=st.floats(1000.0, 60000.0),
    rate=st.floats(0.0, 0.5),
)
def test_scaled_cash_economics_equal_the_loop(data, rows, horizon, life, capex, rate):
    """Paths ``u × unit − fixed`` (the target utilisation drawn), never paying back and zero demand too."""
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    months = horizon + infrastructure_model.MAX_LIFE_MONTHS
    t = np.arange(months)
    unit = rng.uniform(500.0, 2500.0) * (1.0 - data.draw(st.floats(0.0, 0.6))) ** (t / 12.0)
    unit *= rng.uniform(0.8, 1.2, months) if data.draw(st.booleans()) else 1.0
    fixed = np.full(months, data.draw(st.floats(0.0, 1500.0)))
    scale = np.concatenate([[0.0], rng.uniform(0.0, 1.2, rows - 1)]) if rows > 1 else np.array([0.0])
    p = AiInfrastructureParams().vary(
        capex_per_gpu_usd=capex, useful_life_years=life, annual_financing_rate=rate
    )
    new = scaled_lifetime_economics(p, scale, unit, fixed, horizon)
    cash = scale[:, None] * unit - fixed
    assert_same_economics(new, reference_lifetime_economics(p, cash, horizon), capex)
    general = lifetime_economics(p, cash, horizon)
    np.testing.assert_array_equal(np.isinf(new[0]), np.isinf(general[0]))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@settings(max_examples=20, deadline=None)
@given(
    growth=st.floats(-0.3, 0.5),
    retention=st.floats(0.5, 1.0),
    life=lives,
    decline=st.floats(0.0, 0.6),
    horizon=st.integers(12, 72),
)
def test_a_model_run_over_drawn_utilisation_equals_one_run_per_draw(
    growth, retention, life, decline, horizon
):
    """The scaled path (only the target utilisation drawn) gives each draw's own scalar run."""
    p = AiInfrastructureParams(
        quarterly_capacity_growth=growth,
        annual_retention=retention,
        useful_life_years=life,
        annual_price_decline=decline,
        horizon_months=horizon,
        snapshot_month=min(12, horizon),
    )
    levels = np.array([0.05, 0.3, 0.75, 1.0])
    many = compute(p.vary(utilisation=levels))
    for i, level in enumerate(levels):
        one = compute(p.vary(utilisation=float(level)))
        assert_same_economics(
            (many.capex_payback_months[i], many.npv_per_gpu[i]),
            (one.capex_payback_months, one.npv_per_gpu),
            p.capex_per_gpu_usd,
        )
        for name in ("revenue", "debt_outstanding", "contracted_backlog", "backlog_months", "sga", "capex"):
            close(getattr(many, name)[i], getattr(one, name))
