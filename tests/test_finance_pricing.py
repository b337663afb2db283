"""The shared pricing mix: on demand, reserved (commitment discount) and spot (spot discount)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aibm_core.core import finance


def test_pricing_mix_by_hand():
    # 50% on demand at $4, 40% reserved at 35% off ($2.60), 10% spot at 70% off ($1.20)
    assert finance.pricing_mix(4.0, (0.5, 0.4, 0.1), (0.0, 0.35, 0.7)) == pytest.approx(2 + 1.04 + 0.12)


def test_blended_price_weights_prices_by_shares():
    assert finance.blended_price((3.0, 2.0, 1.0), (0.25, 0.65, 0.10)) == pytest.approx(0.75 + 1.3 + 0.1)


def test_all_on_demand_is_the_list_price_and_broadcasts_over_draws_and_months():
    prices = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(finance.pricing_mix(prices, (1.0, 0.0, 0.0), (0.0, 0.3, 0.6)), prices)
    reserved = np.array([[0.2], [0.5]])  # one share per draw, a trailing month axis
    mixed = finance.pricing_mix(prices, (1 - reserved, reserved), (0.0, 0.5))
    np.testing.assert_allclose(mixed, prices * (1 - reserved * 0.5))


def test_prices_and_shares_must_pair_up():
    with pytest.raises(ValueError, match="2 prices but 3 shares"):
        finance.blended_price((1.0, 2.0), (0.3, 0.3, 0.4))


@given(st.floats(0.0, 1.0), st.floats(0.0, 1.0), st.floats(0.0, 0.99), st.floats(0.0, 0.99))
def test_mix_equals_list_less_weighted_discounts_and_never_exceeds_list(r, s, d_r, d_s):
    s = s * (1 - r)
    net = finance.pricing_mix(10.0, (1 - r - s, r, s), (0.0, d_r, d_s))
    assert net == pytest.approx(10.0 * (1 - r * d_r - s * d_s))
    assert 0 < net <= 10.0 + 1e-12
