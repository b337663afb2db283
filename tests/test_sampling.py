"""Draws from a normal score: the same values as the quantile at its probability."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special

from aibm_core.core.beta_quantile import MIN_SIZE, beta_ppf
from aibm_core.core.ranges import TAIL, Z_TAIL, Range

#: Normal scores across the body and the tails, past the cut (|z| > Z_TAIL) on both sides.
Z = np.concatenate([np.linspace(-9.0, 9.0, 2 * MIN_SIZE + 1), [-Z_TAIL, Z_TAIL]])


@pytest.mark.parametrize(
    "r",
    [
        Range("lognormal", 2.0, 15.0),
        Range("logitnormal", 0.05, 0.4),
        Range("normal", -0.02, 0.06),
        Range("uniform", 3.0, 4.0),
        Range("triangular", 1.0, 9.0, mode=2.0),
        Range("pert", 8.0, 18.0, mode=15.0),
        Range("beta", 0.1, 0.9, alpha=2.0, beta=7.5),
        Range("pert", 4.0, 4.0, mode=4.0),
    ],
)
def test_from_normal_is_the_quantile_at_the_clipped_probability(r):
    q = np.clip(special.ndtr(Z), TAIL, 1 - TAIL)
    expected = np.asarray(r.distribution().ppf(q), dtype=float)
    got = r.from_normal(Z)
    assert got.shape == Z.shape and np.all(np.isfinite(got))
    # Φ(z) near 1 keeps few digits of 1 - Φ(z) (z = 5: 1e-10 relative; past z = 6 the quantile at
    # Φ(z) is visibly off, which is why the normal families skip it): compared up to |z| = 5, and
    # the cut on its own, symmetric in z (1 - TAIL is not exact in binary)
    body = np.abs(Z) <= 5.0
    assert np.allclose(got[body], expected[body], rtol=1e-9, atol=1e-12)
    assert np.all(got[Z >= Z_TAIL] == got[-1]) and np.all(got[Z <= -Z_TAIL] == got[-2])


def test_the_tail_constant_is_the_z_value_of_the_tail_probability():
    assert Z_TAIL == pytest.approx(-special.ndtri(TAIL), rel=1e-15)


def test_the_one_table_of_both_halves_equals_each_half_on_its_own():
    q = np.random.default_rng(7).random(MIN_SIZE * 4)
    q[:4] = [0.0, 0.5, np.nextafter(0.5, 1.0), 1.0]
    for a, b in ((3.0, 3.0), (1.4, 4.2), (5.0, 1.0)):
        fast = beta_ppf(q, a, b)
        exact = special.betaincinv(a, b, q)
        assert np.allclose(fast, exact, rtol=1e-13, atol=1e-16)
        assert fast[0] == 0.0 and fast[3] == 1.0
