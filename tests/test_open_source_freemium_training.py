"""The training and research compute line of the open-source model, by hand."""

from __future__ import annotations

import numpy as np
import pytest

from aibm_core.models import get_model
from aibm_core.models.open_source_freemium import OpenSourceFreemiumParams
from aibm_core.models.open_source_freemium.model import compute, statement

P = OpenSourceFreemiumParams


def test_no_training_line_leaves_the_statement_as_it_was():
    r = compute(P())
    assert np.all(r.training_compute == 0)
    np.testing.assert_array_equal(statement(r).operating_expenses, r.fixed_opex + r.sales_spend)


def test_training_spend_grows_yearly_and_lowers_operating_profit_one_for_one():
    """$2M a month growing 50% a year: $2M in month 1, $3M in month 13, $3.674M in month 19."""
    base = compute(P())
    r = compute(P(training_compute_usd=2e6, training_compute_growth_annual=0.5))
    assert r.training_compute[0] == pytest.approx(2e6)
    assert r.training_compute[12] == pytest.approx(3e6)
    assert r.training_compute[18] == pytest.approx(2e6 * 1.5**1.5)
    np.testing.assert_allclose(base.operating_profit - r.operating_profit, r.training_compute, rtol=1e-9)
    np.testing.assert_allclose(
        statement(r).operating_expenses, r.fixed_opex + r.training_compute + r.sales_spend
    )
    np.testing.assert_array_equal(base.revenue, r.revenue)


def test_cash_burn_is_the_operating_loss():
    r = compute(P(training_compute_usd=5e7))
    kpis = get_model("open_source_freemium").kpis(r)
    month = int(r.params.snapshot_month) - 1
    assert r.operating_profit[month] < 0
    assert kpis["cash_burn"].value == pytest.approx(-r.operating_profit[month])
    assert kpis["training_compute"].value == pytest.approx(5e7)
    assert np.all(compute(P(fixed_opex_usd=0.0)).cash_burn >= 0)
