"""The fast beta quantile (PERT and beta ranges) against scipy's exact inverse."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special, stats

from aibm_core.core import beta_quantile
from aibm_core.core.beta_quantile import TOLERANCE, beta_ppf
from aibm_core.core.ranges import Range

#: Probabilities from 1e-12 to 1 - 1e-12 (the clip of the Monte Carlo draws), tails dense.
GRID = np.unique(
    np.concatenate(
        [
            np.linspace(0.0, 1.0, 20_001),
            np.logspace(-12, -1, 2_000),
            1.0 - np.logspace(-12, -1, 2_000),
            [1e-12, 1 - 1e-12, 0.5, np.nextafter(0.5, 1.0)],
        ]
    )
)


def _relative(approx: np.ndarray, exact: np.ndarray) -> float:
    scale = np.where(exact == 0, 1.0, np.abs(exact))
    return float(np.max(np.abs(approx - exact) / scale))


@pytest.mark.parametrize(
    ("a", "b"), [(1, 5), (5, 1), (3, 3), (1, 1), (2.3, 3.7), (4.2, 1.8), (1.0001, 4.9999), (0.5, 0.5)]
)
def test_grid_with_tails_matches_scipy(a, b):
    assert beta_quantile._table(float(a), float(b)) is not None  # the table is used, not the fallback
    fast, exact = beta_ppf(GRID, a, b), stats.beta.ppf(GRID, a, b)
    assert _relative(fast, exact) < 1e-13
    assert fast[0] == 0.0 and fast[-1] == 1.0
    assert np.all(np.diff(fast) >= -1e-15)  # monotone, to rounding


def test_small_samples_and_bad_probabilities_use_scipy_semantics():
    q = np.array([0.1, 0.5, 0.9])
    assert np.array_equal(beta_ppf(q, 2.0, 3.0), stats.beta.ppf(q, 2.0, 3.0))  # exact inverse below MIN_SIZE
    big = np.concatenate([GRID, [-0.1, 1.1, np.nan]])
    assert np.all(np.isnan(beta_ppf(big, 2.0, 3.0)[-3:]))


@settings(max_examples=40, deadline=None)
@given(
    mode=st.floats(0.0, 1.0),
    shapes=st.tuples(st.floats(0.1, 60.0), st.floats(0.1, 60.0)),
    pert=st.booleans(),
)
def test_any_shape_within_tolerance(mode, shapes, pert):
    a, b = (1 + 4 * mode, 5 - 4 * mode) if pert else shapes
    fast, exact = beta_ppf(GRID, a, b), stats.beta.ppf(GRID, a, b)
    far = np.abs(fast - exact) > TOLERANCE * np.where(exact == 0, 1.0, np.abs(exact))
    # scipy's own inverse is off by ~3e-9 for some shapes (beta(1.09375, 1.09375) at q = 0.5
    # gives 0.4999999985): there the table must be the closer one, by the CDF
    closer = np.abs(special.betainc(a, b, fast) - GRID) <= np.abs(special.betainc(a, b, exact) - GRID)
    assert np.all(closer[far])
    if pert:  # every PERT shape gets a table, accurate to rounding
        assert beta_quantile._table(float(a), float(b)) is not None
        assert _relative(fast, exact) < 1e-13


@pytest.mark.parametrize(
    "r",
    [
        Range("pert", 8.0, 18.0, mode=15.0),
        Range("pert", -2.0, 3.0, mode=-2.0),
        Range("beta", 0.1, 0.9, alpha=2.0, beta=7.5),
        Range("pert", 4.0, 4.0, mode=4.0),
        Range("lognormal", 2.0, 15.0),
    ],
)
def test_range_quantiles_are_the_distribution_quantiles(r):
    fast, exact = r.quantiles(GRID), r.distribution().ppf(GRID)
    assert np.array_equal(np.isfinite(fast), np.isfinite(exact))
    finite = np.isfinite(exact)
    # relative to the value, or to the width of the support where the values cross zero
    scale = np.maximum(np.abs(exact[finite]), r.high - r.low)
    assert np.max(np.abs(fast[finite] - exact[finite]) / scale) < 1e-13
    assert r.quantiles(np.array([0.0]))[0] == exact[0]
