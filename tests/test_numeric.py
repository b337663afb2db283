"""The one zero-safe division every model uses, checked against values worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from aibm_core.core.numeric import plain, ratio


def test_nan_rule_gives_no_value_wherever_the_denominator_is_zero():
    out = ratio([6.0, 0.0, -6.0, 6.0, -6.0, 0.0], [3.0, 0.0, 0.0, -0.0, -3.0, -2.0])
    expected = [2.0, math.nan, math.nan, math.nan, 2.0, -0.0]
    np.testing.assert_array_equal(out, expected)


def test_unbounded_rule_is_infinite_by_the_sign_of_the_numerator():
    out = ratio([6.0, 0.0, -6.0, 6.0, -6.0, -1.5], [0.0, 0.0, 0.0, -0.0, -0.0, 0.5], at_zero="unbounded")
    np.testing.assert_array_equal(out, [math.inf, math.nan, -math.inf, math.inf, -math.inf, -3.0])


def test_scalars_broadcast_and_nan_operands_stay_nan():
    assert ratio(1.0, 4.0).shape == () and float(ratio(1.0, 4.0)) == 0.25
    np.testing.assert_array_equal(ratio([[1.0], [2.0]], [1.0, 0.0]), [[1.0, math.nan], [2.0, math.nan]])
    assert math.isnan(ratio(math.nan, 2.0)) and math.isnan(ratio(2.0, math.nan, at_zero="unbounded"))
    assert plain(ratio(3.0, 0.0, at_zero="unbounded")) == math.inf
    assert isinstance(plain(ratio(3.0, 2.0)), float) and plain(ratio([3.0], [2.0])).tolist() == [1.5]


def test_an_unknown_rule_is_refused():
    with pytest.raises(ValueError, match="at_zero"):
        ratio(1.0, 0.0, at_zero="zero")
