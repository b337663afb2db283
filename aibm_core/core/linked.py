"""Drivers given as monthly paths: fed by another model's results, or scheduled by the scenario.

A :class:`LinkedInput` carries what a selling model's result says a driver of the buying
model is (for example the GPU cloud's realised price per sold GPU-hour, which is the API
layer's GPU-hour cost). The buying model reads it with :func:`path_at` over its own months;
months beyond the seller's horizon continue at the seller's average monthly change over its
last year (or flat when the seller has fewer than 13 months), so a lifetime value that looks
past the horizon follows the seller's trend instead of freezing it.

A schedule written in a scenario file (a price path, a capacity or hiring plan:
:mod:`aibm_core.core.schedules`) is the same kind of path, whose seller is the scenario file
(``kind="schedule"``); it holds its last value after its last month.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np


@dataclass(frozen=True)
class LinkedInput:
    """A driver set by another model's result.

    Attributes
    ----------
    seller
        Name of the model whose result feeds the driver.
    output
        Name of the seller's monthly series.
    label
        What the series is, for reports ("realised price per sold GPU-hour").
    values
        The path in effect over the seller's months ``1 .. T``: shape ``T`` for a point
        evaluation, ``draws × T`` in a Monte Carlo run.
    draws
        The seller's path on each of its Monte Carlo draws (``draws × months``), or ``None``
        when the seller has no draws.
    times, plus
        Drivers of the buying model that turn the seller's figure into the driver: the driver is
        ``seller path × times + plus`` (``None``: 1 and 0). For example the GPU cloud's capex
        per GPU is the vendor's net ASP plus the rest of the server, its own driver.
    scale
        A factor on the whole driver (one per row, or one for all; 1 as the seller gives it).
    kind
        ``"link"`` (a selling model's series, continued at its trend beyond its months) or
        ``"schedule"`` (a path written in a scenario file, ``seller``, holding its last value
        beyond its months).
    """

    seller: str
    output: str
    label: str
    values: np.ndarray
    draws: np.ndarray | None = None
    times: str | None = None
    plus: str | None = None
    scale: np.ndarray | float = 1.0
    kind: Literal["link", "schedule"] = "link"

    @property
    def scheduled(self) -> bool:
        """Whether the path is a schedule written in a scenario file (not another model's series)."""
        return self.kind == "schedule"

    def describe(self) -> str:
        """Where the path comes from, in words, for reports."""
        if self.scheduled:
            return f"a schedule ({self.label}) in {self.seller}"
        return f"the {self.label}, from the {self.seller} model under this scenario"

    def scaled(self, factor: np.ndarray | float) -> LinkedInput:
        """The same input with the driver multiplied by ``factor`` (one per row, or one for all).

        How a sweep, a tornado, a goal seek or a slider moves a linked driver: the seller's
        path keeps its shape, moved up or down as a whole.
        """
        return replace(self, scale=np.asarray(factor, dtype=float) * np.asarray(self.scale, dtype=float))

    def for_draws(self, n: int) -> LinkedInput:
        """The input for a Monte Carlo run of ``n`` draws: draw ``i`` reads the seller's draw ``i``.

        When the seller made fewer draws (or none), draw ``i`` reads the seller's draw
        ``i mod`` its count (its point path when it has none).
        """
        if self.draws is None:
            return self
        rows = self.draws if len(self.draws) == n else self.draws[np.arange(n) % len(self.draws)]
        return replace(self, values=rows)

    def digest(self) -> str:
        """SHA-256 of the point path and the draws (equal inputs, equal digest)."""
        tag = "/schedule" if self.scheduled else ""
        h = hashlib.sha256(f"{self.seller}/{self.output}/{self.times}/{self.plus}{tag}".encode())
        for part in (self.values, self.draws, np.asarray(self.scale, dtype=float)):
            if part is not None:
                h.update(str(np.shape(part)).encode())
                h.update(np.ascontiguousarray(part, dtype=float).tobytes())
        return h.hexdigest()


def path_at(values: np.ndarray, months: np.ndarray, trend: bool = True) -> np.ndarray:
    """A monthly path (``rows × T``, month 1 first) read at the given months (``rows × len(months)``).

    A path without a row axis (``T``, a point evaluation) gives one without (``len(months)``).

    Months ``1 .. T`` read the path; later months continue at the average monthly change of
    the last twelve months (flat for a path of twelve months or fewer, or one that changes
    sign; always flat, the last value held, when ``trend`` is false); months before 1 read
    month 1.
    """
    values = np.asarray(values, dtype=float)
    if values.ndim == 1:  # a point path gives a point path
        return path_at(values[None, :], months, trend)[0]
    months = np.asarray(months, dtype=float).reshape(-1)
    horizon = values.shape[-1]
    index = np.clip(months.astype(int), 1, horizon) - 1
    out = values[:, index]
    beyond = months > horizon
    if trend and beyond.any() and horizon > 12:
        last, year_ago = values[:, -1:], values[:, -13:-12]
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where((last > 0) & (year_ago > 0), (last / year_ago) ** (1.0 / 12.0), 1.0)
        out = np.where(beyond, last * step ** np.maximum(months - horizon, 0.0), out)
    return out
