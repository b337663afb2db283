"""Numbers in JSON: infinities as the strings ``"inf"``/``"-inf"``, undefined values as ``null``.

JSON has no form for a number that is not finite; a payback that never happens is ``"inf"``
and a margin on zero revenue is ``null``, and reading them back gives ``inf`` and ``None``.
"""

from __future__ import annotations

import math
from typing import Any


def number(value: Any) -> float | str | None:
    """A float for JSON: ``"inf"``/``"-inf"`` for infinities, ``None`` for NaN or missing."""
    if value is None:
        return None
    x = float(value)
    if math.isnan(x):
        return None
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def from_json_number(value: float | str | None) -> float | None:
    """Inverse of :func:`number`: a float (``inf`` included) or ``None``."""
    return None if value is None else float(value)
