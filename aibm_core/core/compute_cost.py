"""The compute-cost bridge: from a GPU-hour to the cost of a million tokens.

One function shared by every model that turns accelerator time into tokens, so the
API model's cost to serve and the GPU cloud's price per hour speak the same unit.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

SECONDS_PER_HOUR = 3600.0


def cost_per_m_tokens(
    gpu_hour_usd: ArrayLike, tokens_per_second: ArrayLike, utilisation: ArrayLike
) -> np.ndarray | float:
    """Cost of serving one million tokens on rented or owned GPU time.

    ``gpu_hour_usd / (tokens_per_second × 3600 × utilisation) × 1e6``: an hour of a
    GPU is paid whether busy or idle, and only the busy share of it produces tokens.

    Parameters
    ----------
    gpu_hour_usd
        Cost of one GPU for one hour (USD per GPU-hour), all-in.
    tokens_per_second
        Throughput of one fully busy GPU (tokens per second per GPU).
    utilisation
        Busy share of paid GPU hours (fraction, > 0).

    Returns
    -------
    USD per 1M tokens.
    """
    tokens_per_hour = (
        np.asarray(tokens_per_second, dtype=float) * SECONDS_PER_HOUR * np.asarray(utilisation, dtype=float)
    )
    return np.asarray(gpu_hour_usd, dtype=float) / tokens_per_hour * 1e6
