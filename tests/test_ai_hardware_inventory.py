"""AI-hardware inventory: the order-up-to rule (months stepped, draws and generations vectorised) against
the scalar month-by-month loop."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aibm_core.models.ai_hardware import AiHardwareParams, compute
from aibm_core.models.ai_hardware import model as hardware
from aibm_core.models.ai_hardware.model import _order_up_to, _Stock

#: Tolerance against the loop: relative, and absolute as this share of the problem's largest flow
#: or stock (the loop leaves rounding residue of that order where the stock should be exactly 0).
RTOL = 1e-9


def reference_order_up_to(
    opening: np.ndarray,
    shipped: np.ndarray,
    cover: np.ndarray,
    loss: np.ndarray,
    committed: np.ndarray | None = None,
) -> _Stock:
    """The order-up-to rule month by month (the model's former implementation, kept as the reference)."""
    level = np.asarray(opening, dtype=float)
    shape = np.broadcast_shapes(shipped.shape, cover.shape, loss.shape, (*level.shape, 1))
    out = _Stock(np.empty(shape), np.empty(shape), np.empty(shape))
    for t in range(shape[-1]):
        written = loss[..., t] * level
        made = np.maximum(shipped[..., t] + written + cover[..., t] - level, 0.0)
        if committed is not None:
            made = np.where(np.isnan(committed[..., t]), made, committed[..., t])
        level = level + made - shipped[..., t] - written
        out.production[..., t], out.writedowns[..., t], out.closing[..., t] = made, written, level
    return out


def reference_stock(
    opening: np.ndarray,
    shipped: np.ndarray,
    cover: np.ndarray,
    loss: np.ndarray,
    committed: np.ndarray | None = None,
) -> _Stock:
    """:func:`reference_order_up_to` with months first, as the model's ``_stock`` takes them."""
    last = [None if x is None else np.moveaxis(x, 0, -1) for x in (shipped, cover, loss, committed)]
    shape = np.broadcast_shapes(*(x.shape for x in last if x is not None), (*np.shape(opening), 1))
    last = [None if x is None else np.broadcast_to(x, shape) for x in last]
    return _Stock(*(np.moveaxis(x, -1, 0) for x in reference_order_up_to(opening, *last)))


def assert_same_stock(new: _Stock, old: _Stock, *inputs: np.ndarray) -> None:
    scale = max([1.0] + [float(np.max(np.abs(np.nan_to_num(x)))) for x in inputs if x is not None])
    for name, a, b in zip(_Stock._fields, new, old, strict=True):
        assert a.shape == b.shape, name
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=RTOL * scale, err_msg=name)


# --- strategies -----------------------------------------------------------------------------------

#: Units: exact zeros often (no demand, no cover, a sold-out generation), else up to 10^5.
amounts = st.one_of(st.just(0.0), st.floats(0.0, 1e5, allow_nan=False, allow_subnormal=False))
#: Write-down rates: none, all of it, and anything between (near 1 the kept share underflows).
rates = st.one_of(st.just(0.0), st.just(1.0), st.floats(0.0, 1.0, allow_subnormal=False))


@st.composite
def problems(draw, committed: bool) -> tuple[np.ndarray, ...]:
    """Random inputs of ``_order_up_to``: draws × generations × months (committed months random)."""
    n, g, months = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 40))
    shape = (n, g, months)

    def grid(elements: st.SearchStrategy[float], size: tuple[int, ...]) -> np.ndarray:
        return np.array(
            draw(st.lists(elements, min_size=int(np.prod(size)), max_size=int(np.prod(size))))
        ).reshape(size)

    shipped, cover, opening = grid(amounts, shape), grid(amounts, shape), grid(amounts, (n, g))
    if draw(st.booleans()):  # outgoing from some month on, at a per-row rate (as in the model)
        outgoing = np.arange(months) >= grid(st.integers(0, months), (n, g, 1))
        loss = grid(rates, (n, g, 1)) * outgoing
    else:
        loss = grid(rates, shape)
    fixed = grid(amounts, shape)
    fixed[grid(st.booleans(), shape)] = np.nan
    return opening, shipped, cover, loss, fixed if committed else None


# --- the closed form against the loop -------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(problem=problems(committed=False))
def test_free_production_matches_the_loop(problem: tuple[np.ndarray, ...]) -> None:
    assert_same_stock(_order_up_to(*problem), reference_order_up_to(*problem), *problem)


@settings(max_examples=300, deadline=None)
@given(problem=problems(committed=True))
def test_committed_production_matches_the_loop(problem: tuple[np.ndarray, ...]) -> None:
    assert_same_stock(_order_up_to(*problem), reference_order_up_to(*problem), *problem)


@settings(max_examples=100, deadline=None)
@given(problem=problems(committed=True))
def test_rows_together_match_rows_alone(problem: tuple[np.ndarray, ...]) -> None:
    opening, shipped, cover, loss, fixed = problem
    together = _order_up_to(*problem)
    loss = np.broadcast_to(loss, shipped.shape)
    for i in range(shipped.shape[0]):
        for j in range(shipped.shape[1]):
            alone = _order_up_to(opening[i, j], shipped[i, j], cover[i, j], loss[i, j], fixed[i, j])
            for a, b in zip(together, alone, strict=True):
                np.testing.assert_allclose(a[i, j], b, rtol=1e-12, atol=1e-12 * max(1.0, np.max(cover)))


@settings(max_examples=100, deadline=None)
@given(
    months=st.integers(1, 40),
    start=st.integers(1, 40),
    lead=st.integers(0, 12),
    shortfall=st.floats(0.0, 0.95),
    cover_months=st.floats(0.0, 6.0),
    rate=rates,
    demand=st.lists(amounts, min_size=46, max_size=46),
)
def test_a_demand_shortfall_matches_the_loop(
    months: int,
    start: int,
    lead: int,
    shortfall: float,
    cover_months: float,
    rate: float,
    demand: list[float],
) -> None:
    # The model's own use: a plan, production committed ``lead`` months ahead, then demand falls
    # short from month ``start`` and the stock built blind is worked off; one generation going out.
    plan = np.array(demand)[None, None, :]
    actual = plan * np.where(np.arange(1, 47) >= start, 1.0 - shortfall, 1.0)
    plan_cover, actual_cover = (cover_months * d[..., 1 : months + 1] for d in (plan, actual))
    loss = rate * (np.arange(months) >= months // 2)[None, None, :]
    opening = cover_months * plan[..., 0]
    planned_new = _order_up_to(opening, plan[..., :months], plan_cover, loss)
    planned_old = reference_order_up_to(opening, plan[..., :months], plan_cover, loss)
    assert_same_stock(planned_new, planned_old, opening, plan)
    blind = np.arange(1, months + 1) - lead < start
    committed = np.where(blind, planned_old.production, np.nan)
    problem = (opening, actual[..., :months], actual_cover, loss, committed)
    assert_same_stock(_order_up_to(*problem), reference_order_up_to(*problem), *problem)


def test_zero_demand_only_writes_down() -> None:
    opening = np.array([[500.0, 0.0]])
    zero = np.zeros((1, 2, 12))
    loss = np.full((1, 2, 12), 0.1)
    stock = _order_up_to(opening, zero, zero, loss)
    assert np.all(stock.production == 0.0)
    assert stock.closing[0, 0] == pytest.approx(500.0 * 0.9 ** np.arange(1, 13), rel=1e-12)
    assert np.all(stock.closing[0, 1] == 0.0) and np.all(stock.writedowns[0, 1] == 0.0)
    assert_same_stock(stock, reference_order_up_to(opening, zero, zero, loss), opening)


def test_writing_everything_down_restarts_the_stock() -> None:
    # A write-down rate of 1 leaves nothing to carry: the closed form cannot divide by the kept
    # share (0), so those rows take the scan, and a neighbour row the closed form.
    shipped = np.full((2, 1, 6), 100.0)
    cover = np.full((2, 1, 6), 300.0)
    loss = np.array([1.0, 0.5])[:, None, None] * (np.arange(6) >= 2)
    opening = np.full((2, 1), 300.0)
    stock = _order_up_to(opening, shipped, cover, loss)
    assert stock.production[0, 0] == pytest.approx([100, 100, 400, 400, 400, 400])
    assert stock.writedowns[0, 0] == pytest.approx([0, 0, 300, 300, 300, 300])
    assert_same_stock(stock, reference_order_up_to(opening, shipped, cover, loss), opening, cover)


# --- the whole model with the loop in its place ---------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(
    rate=st.lists(rates, min_size=3, max_size=3),
    shortfall=st.lists(st.floats(0.0, 0.9), min_size=3, max_size=3),
    cover=st.lists(st.floats(0.0, 8.0), min_size=3, max_size=3),
    lead=st.lists(st.floats(0.0, 12.0), min_size=3, max_size=3),
    start=st.integers(1, 36),
)
def test_model_matches_the_loop_and_scalar_calls(
    rate: list[float], shortfall: list[float], cover: list[float], lead: list[float], start: int
) -> None:
    columns = {
        "outgoing_writedown_rate": rate,
        "demand_shortfall": shortfall,
        "target_inventory_months": cover,
        "order_lead_months": lead,
    }
    params = AiHardwareParams().vary(demand_shortfall_month=start)
    together = compute(params.vary(**{k: np.array(v) for k, v in columns.items()}))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(hardware, "_stock", reference_stock)
        looped = compute(params.vary(**{k: np.array(v) for k, v in columns.items()}))
    names = [f.name for f in fields(together) if isinstance(getattr(together, f.name), np.ndarray)]
    # Rounding residue where a stock should be ~0 is of the order of the flows through it, so the
    # absolute floor is 1e-12 of the largest flow (revenue) as well as RTOL of the figure itself.
    floor = 1e-12 * float(np.max(np.abs(looped.revenue)))
    for name in names:
        new, old = getattr(together, name), getattr(looped, name)
        scale = max(1.0, float(np.max(np.abs(old))))
        np.testing.assert_allclose(new, old, rtol=RTOL, atol=RTOL * scale + floor, err_msg=name)
    for i in range(3):
        alone = compute(params.vary(**{k: v[i] for k, v in columns.items()}))
        floor = 1e-12 * float(np.max(np.abs(alone.revenue)))  # residue of stocks that should be ~0
        for name in ("production", "inventory_units", "inventory", "inventory_writedowns", "cogs"):
            new, old = getattr(together, name)[i], getattr(alone, name)
            scale = max(1.0, float(np.max(np.abs(old))))
            np.testing.assert_allclose(new, old, rtol=1e-12, atol=1e-12 * scale + floor, err_msg=name)
