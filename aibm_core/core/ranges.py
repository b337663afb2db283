"""Ranges: a driver given as an uncertain quantity instead of a number.

In a parameter file a driver may be a range::

    annual_price_decline: {low: 0.15, high: 0.5}         # a 90% interval, default family
    gpu_utilisation: {dist: pert, low: 0.4, mode: 0.6, high: 0.85}

``{low, high}`` is a 90% interval (5% of outcomes below ``low``, 5% above ``high``). Its
family follows the assumption's valid range: lognormal for positive amounts, logit-normal for
fractions (valid range inside 0..1), normal where negative values are allowed. Families can be
named with ``dist``: ``lognormal``, ``logitnormal``, ``normal`` (90% intervals) or
``uniform``, ``triangular``, ``pert``, ``beta`` (``low``/``high`` are the support, with
``mode`` for triangular and PERT, ``alpha``/``beta`` for beta). ``value`` sets the point used
for the deterministic results (the metric tree, KPIs and charts of the base case); by default
it is the distribution's median. Distributions are ``scipy.stats`` frozen distributions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import lazy_loader as lazy
import numpy as np
from scipy.special import expit, logit

from aibm_core.core.errors import AibmInputError

stats = lazy.load("scipy.stats", suppress_warning=True)  # about 0.5 s: only distributions need it


#: z-value of the 95th percentile: a 90% interval spans mean ± Z90 standard deviations.
Z90 = 1.6448536269514722  # scipy.stats.norm.ppf(0.95); scipy.stats is imported when first used

Family = Literal["lognormal", "logitnormal", "normal", "uniform", "triangular", "pert", "beta"]
FAMILIES: tuple[str, ...] = ("lognormal", "logitnormal", "normal", "uniform", "triangular", "pert", "beta")
_KEYS = {
    "lognormal": {"low", "high"},
    "logitnormal": {"low", "high"},
    "normal": {"low", "high"},
    "uniform": {"low", "high"},
    "triangular": {"low", "mode", "high"},
    "pert": {"low", "mode", "high"},
    "beta": {"low", "high", "alpha", "beta"},
}


class RangeError(AibmInputError):
    """A range that cannot be read; its one problem (and message) says what is allowed."""

    def __init__(self, message: str):
        super().__init__([message])


@dataclass(frozen=True)
class Range:
    """An uncertain driver: a family, its numbers and the point value of the base case.

    Attributes
    ----------
    family
        One of :data:`FAMILIES`.
    low, high
        The 90% interval (lognormal, logit-normal, normal) or the support (the others).
    mode
        Most likely value (triangular and PERT).
    alpha, beta
        Shape parameters (beta), on the support ``low..high``.
    value
        Point value for the deterministic results; ``None`` means the median.
    """

    family: Family
    low: float
    high: float
    mode: float | None = None
    alpha: float | None = None
    beta: float | None = None
    value: float | None = None

    def distribution(self) -> Any:
        """The ``scipy.stats`` frozen distribution (a point mass when ``low == high``)."""
        low, high = self.low, self.high
        if low == high:
            return _Point(low)
        if self.family == "lognormal":
            mu, sigma = (np.log(low) + np.log(high)) / 2, (np.log(high) - np.log(low)) / (2 * Z90)
            return stats.lognorm(s=sigma, scale=np.exp(mu))
        if self.family == "logitnormal":
            return _LogitNormal((logit(low) + logit(high)) / 2, (logit(high) - logit(low)) / (2 * Z90))
        if self.family == "normal":
            return stats.norm(loc=(low + high) / 2, scale=(high - low) / (2 * Z90))
        if self.family == "uniform":
            return stats.uniform(loc=low, scale=high - low)
        if self.family == "triangular":
            return stats.triang(c=(self.mode - low) / (high - low), loc=low, scale=high - low)
        if self.family == "pert":
            a = 1 + 4 * (self.mode - low) / (high - low)
            b = 1 + 4 * (high - self.mode) / (high - low)
            return stats.beta(a, b, loc=low, scale=high - low)
        return stats.beta(self.alpha, self.beta, loc=low, scale=high - low)

    @property
    def point(self) -> float:
        """The value used for deterministic results: ``value`` or the median."""
        return float(self.value) if self.value is not None else float(self.distribution().median())

    def to_dict(self) -> dict[str, Any]:
        """The range as written in a parameter file (``dist`` always named)."""
        out: dict[str, Any] = {"dist": self.family, "low": self.low, "high": self.high}
        for key in ("mode", "alpha", "beta", "value"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out


class _Point:
    """A certain value dressed as a distribution (``low == high``)."""

    def __init__(self, value: float):
        self.value = value

    def ppf(self, q: Any) -> Any:
        return np.full(np.shape(q), self.value)

    def median(self) -> float:
        return self.value


class _LogitNormal:
    """Logit-normal distribution: ``logit(X)`` is normal (quantile and median only)."""

    def __init__(self, mu: float, sigma: float):
        self._normal = stats.norm(loc=mu, scale=sigma)

    def ppf(self, q: Any) -> Any:
        return expit(self._normal.ppf(q))

    def median(self) -> float:
        return float(expit(self._normal.median()))


def default_family(lower_bound: float | None, upper_bound: float | None) -> Family:
    """The family of a bare ``{low, high}`` range from the assumption's valid range."""
    if lower_bound is not None and lower_bound >= 0 and upper_bound is not None and upper_bound <= 1:
        return "logitnormal"
    if lower_bound is not None and lower_bound >= 0:
        return "lognormal"
    return "normal"


def parse_range(
    raw: Mapping[str, Any], lower_bound: float | None = None, upper_bound: float | None = None
) -> Range:
    """Read a range from a parameter file and check it against the assumption's valid range.

    Parameters
    ----------
    raw
        The mapping written in the file, e.g. ``{"low": 2, "high": 15}``.
    lower_bound, upper_bound
        The assumption's valid range (inclusive), ``None`` where unbounded.

    Raises
    ------
    RangeError
        With a one-line message: unknown keys or family, a number that is not a number,
        ``low > high``, a range outside the valid one, or a family that cannot take it.
    """
    values = dict(raw)
    family = values.pop("dist", None) or default_family(lower_bound, upper_bound)
    if family not in FAMILIES:
        raise RangeError(f"unknown dist {family!r}; expected one of {', '.join(FAMILIES)}")
    allowed = _KEYS[family] | {"value"}
    unknown = sorted(set(values) - allowed)
    missing = sorted(_KEYS[family] - set(values))
    if unknown or missing:
        parts = [f"unknown key(s) {', '.join(unknown)}"] if unknown else []
        parts += [f"missing {', '.join(missing)}"] if missing else []
        needed = ", ".join(sorted(_KEYS[family]))
        raise RangeError(f"{'; '.join(parts)}: a {family} range takes {needed} (and optionally value)")
    for key, number in values.items():
        if isinstance(number, bool) or not isinstance(number, int | float) or not np.isfinite(number):
            raise RangeError(f"{key} must be a finite number, found {number!r}")
    rng = Range(family, **{k: float(v) for k, v in values.items()})
    _check(rng, lower_bound, upper_bound)
    return rng


def _check(r: Range, lower_bound: float | None, upper_bound: float | None) -> None:
    if r.low > r.high:
        raise RangeError(f"low ({r.low:g}) must not exceed high ({r.high:g})")
    if not (_inside(r.low, lower_bound, upper_bound) and _inside(r.high, lower_bound, upper_bound)):
        lo = "-inf" if lower_bound is None else f"{lower_bound:g}"
        hi = "inf" if upper_bound is None else f"{upper_bound:g}"
        raise RangeError(f"low..high ({r.low:g}..{r.high:g}) must lie inside the valid range {lo}..{hi}")
    if r.family == "lognormal" and r.low <= 0:
        raise RangeError("a lognormal range needs low > 0; name another dist (e.g. pert or uniform)")
    if r.family == "logitnormal" and not 0 < r.low <= r.high < 1:
        raise RangeError("a logit-normal range needs 0 < low and high < 1; name another dist (e.g. pert)")
    if r.family in ("triangular", "pert") and not r.low <= r.mode <= r.high:
        raise RangeError(f"mode ({r.mode:g}) must lie between low and high")
    if r.family == "beta" and not (r.alpha > 0 and r.beta > 0):
        raise RangeError("beta needs alpha > 0 and beta > 0")
    bounded = r.family in ("uniform", "triangular", "pert", "beta")
    if r.value is not None and bounded and not r.low <= r.value <= r.high:
        raise RangeError(f"value ({r.value:g}) must lie inside the support {r.low:g}..{r.high:g}")
    if r.value is not None and not _inside(r.value, lower_bound, upper_bound):
        raise RangeError(f"value ({r.value:g}) must lie inside the valid range")


def _inside(x: float, lower_bound: float | None, upper_bound: float | None) -> bool:
    return (lower_bound is None or x >= lower_bound) and (upper_bound is None or x <= upper_bound)


@dataclass(frozen=True)
class Uncertainty:
    """What a parameter set says about uncertainty: ranges, rank correlations, draws, seed.

    Attributes
    ----------
    ranges
        Range of each uncertain driver, by name (empty for a point scenario).
    correlations
        ``(driver, driver, rank correlation)`` triples between ranged drivers.
    draws
        Number of Monte Carlo draws (0: no simulation).
    random_seed
        Seed of the draws: the same seed gives the same draws, byte for byte.
    """

    ranges: dict[str, Range]
    correlations: tuple[tuple[str, str, float], ...] = ()
    draws: int = 10_000
    random_seed: int = 20261123

    @property
    def active(self) -> bool:
        """True when there is something to simulate."""
        return bool(self.ranges) and self.draws > 0

    def rank_correlation_matrix(self) -> np.ndarray:
        """Spearman rank correlations between the ranged drivers, in ``ranges`` order."""
        return rank_matrix(list(self.ranges), self.correlations)


def rank_matrix(names: list[str], correlations: Any) -> np.ndarray:
    """The rank-correlation matrix of ``names`` (identity, with each ``(a, b, rho)`` filled in)."""
    matrix = np.eye(len(names))
    for a, b, rho in correlations:
        i, j = names.index(a), names.index(b)
        matrix[i, j] = matrix[j, i] = rho
    return matrix


def copula_correlation(rank_correlation: np.ndarray) -> np.ndarray:
    """Pearson correlation of the Gaussian copula that gives the requested rank correlations.

    For normal margins the rank (Spearman) correlation is ``(6/π) asin(r/2)``, so the copula
    uses ``r = 2 sin(π ρ / 6)``.
    """
    pearson = 2.0 * np.sin(np.pi * np.asarray(rank_correlation, dtype=float) / 6.0)
    np.fill_diagonal(pearson, 1.0)
    return pearson


def check_correlations(
    raw: Any, ranged: list[str], drivers: list[str]
) -> tuple[tuple[tuple[str, str, float], ...], list[str]]:
    """Read ``correlations: [[a, b, rho], ...]`` and return the triples and any problems.

    Every name must be a driver of the model, each pair given once, ``-1 <= rho <= 1``, and the
    whole matrix positive semi-definite (a set of correlations that can coexist). A pair in
    which a driver is a number (a scenario that fixes it) has nothing to correlate and is
    dropped, so a scenario may fix a driver that the base scenario correlates.
    """
    if raw is None:
        return (), []
    if not isinstance(raw, list | tuple):
        return (), [f"value {raw!r} is not allowed; expected a list of [driver, driver, rank correlation]"]
    triples, problems, seen = [], [], set()
    for item in raw:
        if not (isinstance(item, list | tuple) and len(item) == 3):
            problems.append(f"entry {item!r} is not [driver, driver, rank correlation]")
            continue
        a, b, rho = item
        if isinstance(rho, bool) or not isinstance(rho, int | float) or not -1 <= rho <= 1:
            problems.append(f"entry {item!r}: the rank correlation must be a number in -1..1")
            continue
        unknown = [n for n in (a, b) if n not in drivers]
        if unknown or a == b or frozenset((a, b)) in seen:
            why = (
                f"{', '.join(map(repr, unknown))} is not a driver of this model"
                if unknown
                else "a driver paired with itself or a pair given twice"
            )
            problems.append(f"entry {item!r}: {why}")
            continue
        if a not in ranged or b not in ranged:
            continue
        seen.add(frozenset((a, b)))
        triples.append((a, b, float(rho)))
    if not problems and triples:
        smallest = float(np.linalg.eigvalsh(copula_correlation(rank_matrix(ranged, triples))).min())
        if smallest < -1e-10:
            problems.append(
                "these correlations cannot hold together (the matrix is not positive semi-definite, "
                f"smallest eigenvalue {smallest:.3g}); weaken some of them"
            )
    return tuple(triples), problems
