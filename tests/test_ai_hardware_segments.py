"""AI hardware: the all-in unit cost (chip, memory, system, networking) and the segments outside
the data centre, worked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from aibm_core.models.ai_hardware import AiHardwareParams, compute, kpis, tree
from aibm_core.models.base import snapshot_gross_margin as gross_margin
from tests.test_ai_hardware import plain


def test_defaults_add_nothing() -> None:
    """Parts and other segments default to nothing: a result equal to the data-centre chip vendor's."""
    r = compute(AiHardwareParams())
    assert np.all(r.other_segments_revenue == 0.0)
    np.testing.assert_array_equal(r.revenue, r.data_centre_revenue)
    k = kpis(r)
    assert k["chip_cost_per_unit"].value == pytest.approx(k["manufacturing_cost_per_unit"].value, rel=1e-12)
    for part in ("memory", "system", "networking"):
        assert k[f"{part}_cost_per_unit"].value == 0.0


def test_parts_add_to_the_unit_cost_by_hand() -> None:
    """$5,000 chip + $1,500 HBM + $2,000 system + $500 networking = $9,000 a unit; ASP $20,000: margin 55%."""
    r = compute(
        plain(
            memory_cost_per_unit_usd=1500.0,
            system_cost_per_unit_usd=2000.0,
            networking_cost_per_unit_usd=500.0,
        )
    )
    assert r.manufacturing_cost_per_unit[0] == pytest.approx(9000.0)
    assert r.manufacturing_cogs[0] == pytest.approx(1000 * 9000.0)
    assert gross_margin(r) == pytest.approx(1 - 9000 / 20000)
    k = kpis(r)
    split = [k[f"{part}_cost_per_unit"].value for part in ("chip", "memory", "system", "networking")]
    assert split == pytest.approx([5000.0, 1500.0, 2000.0, 500.0])


def test_parts_follow_the_cost_decline() -> None:
    """A 12% yearly decline lowers every part alike: month 13 costs 88% of month 1 (one generation)."""
    r = compute(
        plain(
            annual_cost_decline=0.12,
            memory_cost_per_unit_usd=1000.0,
            generation_cadence_months=36.0,
            snapshot_month=13,
            horizon_months=13,
        )
    )
    assert r.manufacturing_cost_per_unit[12] == pytest.approx(6000.0 * 0.88)
    k = kpis(r)
    assert k["memory_cost_per_unit"].value == pytest.approx(1000.0 * 0.88)
    assert k["chip_cost_per_unit"].value == pytest.approx(5000.0 * 0.88)


def test_other_segments_by_hand() -> None:
    """$24B a year of other segments at 60% margin beside $20M a month of data centre at 75%."""
    r = compute(plain(other_segments_revenue_usd_per_year=24e9, other_segments_gross_margin=0.6))
    data_centre = 1000 * 20000.0
    assert r.other_segments_revenue[0] == pytest.approx(2e9)
    assert r.revenue[0] == pytest.approx(data_centre + 2e9)
    assert r.other_segments_cogs[0] == pytest.approx(0.8e9)
    company = (data_centre * 0.75 + 2e9 * 0.6) / (data_centre + 2e9)
    assert gross_margin(r) == pytest.approx(company)
    k = kpis(r)
    assert k["data_centre_gross_margin"].value == pytest.approx(0.75)
    assert k["data_centre_revenue"].value == pytest.approx(data_centre)


def test_other_segments_grow_yearly() -> None:
    """10% a year: month 13 is 1.1 × month 1, month 7 is √1.1 × month 1."""
    r = compute(plain(other_segments_revenue_usd_per_year=12e9, other_segments_revenue_growth=0.1))
    assert r.other_segments_revenue[12] == pytest.approx(1.1e9)
    assert r.other_segments_revenue[6] == pytest.approx(1e9 * 1.1**0.5)


def test_trailing_year_sums_the_twelve_months_to_the_snapshot() -> None:
    r = compute(plain(other_segments_revenue_usd_per_year=12e9, snapshot_month=12))
    k = kpis(r)
    assert k["revenue_year"].value == pytest.approx(12 * (1000 * 20000.0 + 1e9))
    assert k["other_segments_revenue_year"].value == pytest.approx(12e9)
    assert k["data_centre_revenue_year"].value == pytest.approx(12 * 1000 * 20000.0)
    assert k["operating_income_year"].value == pytest.approx(float(r.operating_profit[:12].sum()))
    opex = (r.rnd + r.sales_spend + r.other_opex)[:12].sum()
    assert k["operating_expenses_year"].value == pytest.approx(float(opex))
    gross = (12 * 1000 * 20000.0 * 0.75 + 12e9 * 0.6) / k["revenue_year"].value
    assert k["gross_margin_year"].value == pytest.approx(gross)
    assert k["operating_income_year"].value == pytest.approx(k["revenue_year"].value * gross - float(opex))


def test_trailing_year_before_month_twelve_covers_the_months_so_far() -> None:
    r = compute(plain(snapshot_month=3))
    assert kpis(r)["revenue_year"].value == pytest.approx(float(r.revenue[:3].sum()))


def test_segments_over_draws_match_scalar_calls() -> None:
    values = np.array([0.0, 5e9, 20e9])
    together = compute(
        plain().vary(other_segments_revenue_usd_per_year=values, memory_cost_per_unit_usd=values / 1e7)
    )
    for i, value in enumerate(values):
        alone = compute(
            plain().vary(other_segments_revenue_usd_per_year=value, memory_cost_per_unit_usd=value / 1e7)
        )
        np.testing.assert_allclose(together.revenue[i], alone.revenue, rtol=1e-12)
        np.testing.assert_allclose(together.cogs[i], alone.cogs, rtol=1e-12)


def test_tree_carries_the_other_segments() -> None:
    """The tree's revenue and cost of revenue add the other segments, so its margins are the company's."""
    r = compute(plain(other_segments_revenue_usd_per_year=24e9, other_segments_gross_margin=0.6))
    t = tree(r)
    assert t.value("other_segments_revenue") == pytest.approx(2e9)
    assert t.value("revenue") == pytest.approx(r.at("revenue"))
    assert t.value("cogs") == pytest.approx(r.at("cogs"))
    assert t.value("gross_margin") == pytest.approx(gross_margin(r))
    assert t.value("operating_margin") == pytest.approx(r.at("operating_margin"))
