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

A scenario that overlays another and gives a plain number for a driver that is a range there
moves the range with the number (:func:`recentre`), unless it writes the number as fixed::

    price_per_m_output_tokens: 12.0                        # the overlaid range, re-centred on 12
    annual_price_decline: {value: 0.2, fixed: true}        # exactly 0.2, no range

A re-centred range records the point it was moved from as ``recentred_from``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

import lazy_loader as lazy
import numpy as np
from scipy.special import expit, logit, ndtr

from aibm_core.core.beta_quantile import beta_ppf
from aibm_core.core.errors import AibmInputError
from aibm_core.core.yaml_loading import echo, shorten

stats = lazy.load("scipy.stats", suppress_warning=True)  # about 0.5 s: only distributions need it


#: z-value of the 95th percentile: a 90% interval spans mean ± Z90 standard deviations.
Z90 = 1.6448536269514722  # scipy.stats.norm.ppf(0.95); scipy.stats is imported when first used
#: Probability of the far tails cut from the draws (and its z-value): a draw's probability is kept
#: within ``TAIL..1 - TAIL``, so that no draw is an infinite quantile.
TAIL = 1e-12
Z_TAIL = 7.034483825301131  # -scipy.special.ndtri(TAIL)

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
#: Optional keys of every family: the point value and, for a range a scenario re-centred,
#: the overlaid scenario's point value it was moved from.
_OPTIONAL = {"value", "recentred_from"}
#: Key that marks a driver's number as fixed (``{value: 12, fixed: true}``): no range.
FIXED = "fixed"


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
    recentred_from
        For a range a scenario re-centred (:func:`recentre`): the point value, in the driver's
        unit, of the overlaid scenario's range it was moved from; ``None`` for a range as written.
    """

    family: Family
    low: float
    high: float
    mode: float | None = None
    alpha: float | None = None
    beta: float | None = None
    value: float | None = None
    recentred_from: float | None = None

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
        a, b = self.shapes()  # PERT or beta
        return stats.beta(a, b, loc=low, scale=high - low)

    def shapes(self) -> tuple[float, float] | None:
        """The beta shapes ``(a, b)`` on ``low..high`` of a PERT or beta range, else ``None``."""
        if self.family == "pert":
            width = self.high - self.low
            return 1 + 4 * (self.mode - self.low) / width, 1 + 4 * (self.high - self.mode) / width
        if self.family == "beta":
            return self.alpha, self.beta
        return None

    def quantiles(self, q: Any) -> np.ndarray:
        """The range's values at probabilities ``q``: ``distribution().ppf(q)``, faster.

        PERT and beta ranges take their quantiles from a checked table
        (:func:`~aibm_core.core.beta_quantile.beta_ppf`, within 1e-9 relative of the exact
        inverse ``scipy.stats.beta.ppf``), so that many draws cost milliseconds instead of
        seconds and stay the same draws. Other families use their distribution's ``ppf``.
        """
        shapes = self.shapes() if self.low != self.high else None
        if shapes is None:
            return self.distribution().ppf(q)
        q = np.asarray(q, dtype=float)
        values = beta_ppf(q, *shapes) * (self.high - self.low) + self.low
        # the ends of the support exactly, as scipy.stats gives them
        return np.where(q == 0, self.low, np.where(q == 1, self.high, values))

    def from_normal(self, z: np.ndarray) -> np.ndarray:
        """The range's values at standard-normal scores ``z``: ``quantiles(Φ(z))``, faster.

        The lognormal, logit-normal and normal families are transforms of a normal: their
        values are ``exp``, ``expit`` or nothing of ``mu + sigma z``, without the round trip
        through a probability. The others take their quantiles at ``Φ(z)``. Either way the
        probability is kept inside ``TAIL..1 - TAIL`` (``z`` within ``±Z_TAIL``).
        """
        z = np.clip(z, -Z_TAIL, Z_TAIL)
        low, high = self.low, self.high
        if low == high:
            return np.full(z.shape, low)
        if self.family in ("lognormal", "logitnormal", "normal"):
            forward, backward = {
                "lognormal": (np.exp, np.log),
                "logitnormal": (expit, logit),
                "normal": (np.asarray, np.asarray),
            }[self.family]
            lo, hi = backward(low), backward(high)
            return forward((lo + hi) / 2 + (hi - lo) / (2 * Z90) * z)
        q = ndtr(z)
        if self.family == "uniform":
            return low + q * (high - low)
        return self.quantiles(q)

    @property
    def point(self) -> float:
        """The value used for deterministic results: ``value`` or the median."""
        return float(self.value) if self.value is not None else float(self.distribution().median())

    def to_dict(self) -> dict[str, Any]:
        """The range as written in a parameter file (``dist`` always named)."""
        out: dict[str, Any] = {"dist": self.family, "low": self.low, "high": self.high}
        for key in ("mode", "alpha", "beta", "value", "recentred_from"):
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
        raise RangeError(f"unknown dist {echo(family)}; expected one of {', '.join(FAMILIES)}")
    allowed = _KEYS[family] | _OPTIONAL
    unknown = sorted(set(values) - allowed)
    missing = sorted(_KEYS[family] - set(values))
    if unknown or missing:
        shown = ", ".join(shorten(str(k), 40) for k in unknown)
        parts = [f"unknown key(s) {shown}"] if unknown else []
        parts += [f"missing {', '.join(missing)}"] if missing else []
        needed = ", ".join(sorted(_KEYS[family]))
        raise RangeError(f"{'; '.join(parts)}: a {family} range takes {needed} (and optionally value)")
    for key, number in values.items():
        if isinstance(number, bool) or not isinstance(number, int | float) or not np.isfinite(number):
            raise RangeError(f"{key} must be a finite number, found {echo(number)}")
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
    # low..high of the other families is a 90% interval: a point value outside it is a case the
    # range itself calls unlikely (a typo, or a range left behind when the value moved)
    if r.value is not None and not bounded and not r.low <= r.value <= r.high:
        raise RangeError(
            f"value ({r.value:g}) lies outside the range's 90% interval {r.low:g}..{r.high:g}; "
            "move the value inside it or widen the range"
        )
    if r.value is not None and not _inside(r.value, lower_bound, upper_bound):
        raise RangeError(f"value ({r.value:g}) must lie inside the valid range")


def _inside(x: float, lower_bound: float | None, upper_bound: float | None) -> bool:
    return (lower_bound is None or x >= lower_bound) and (upper_bound is None or x <= upper_bound)


def is_fixed(raw: Any) -> bool:
    """Whether a value from a parameter file is a fixed number (a mapping with a ``fixed`` key)."""
    return isinstance(raw, Mapping) and FIXED in raw


def fixed_value(raw: Mapping[str, Any]) -> float:
    """The number of a fixed driver, ``{value: 12, fixed: true}``: the driver takes no range.

    A scenario writes a driver this way to set it to exactly that number where the scenario it
    overlays gives the driver a range (a plain number would re-centre that range,
    :func:`recentre`). In a file that overlays nothing it is the same as the number alone.

    Raises
    ------
    RangeError
        With a one-line message when ``fixed`` is not ``true``, ``value`` is missing or not a
        finite number, or another key (``low``, ``dist``...) is given beside them.
    """
    others = sorted(set(raw) - {FIXED, "value"})
    if raw.get(FIXED) is not True:
        raise RangeError(
            f"fixed must be true, found {raw.get(FIXED)!r}; to move the overlaid range with the "
            "value, write the number alone"
        )
    if others:
        raise RangeError(f"a fixed driver takes only value and fixed: true; remove {', '.join(others)}")
    if "value" not in raw:
        raise RangeError("a fixed driver needs its value: write {value: <number>, fixed: true}")
    number = raw["value"]
    if isinstance(number, bool) or not isinstance(number, int | float) or not np.isfinite(number):
        raise RangeError(f"value must be a finite number, found {number!r}")
    return float(number)


def recentre(
    r: Range, new: float, lower_bound: float | None = None, upper_bound: float | None = None
) -> Range | float:
    """The range ``r`` moved so that its point value is ``new``, with the same relative width.

    This is what a scenario gets when it gives a plain number for a driver that is a range in
    the scenario it overlays. With ``old = r.point`` (the overlaid point value):

    - ``new == old``: ``r`` unchanged.
    - ``old`` and ``new`` non-zero with the same sign: every location number (``low``,
      ``mode``, ``high``) is multiplied by ``new / old``, in every family but the logit-normal:
      a lognormal or normal 90% interval, a uniform, triangular or PERT support and the support
      of a beta (whose ``alpha`` and ``beta`` shapes are kept) keep their width relative to the
      point. A PERT 8-15-18 with value 15 moved to 12 becomes 6.4-12-14.4. A logit-normal range
      (a fraction) scales its odds ``x / (1 - x)`` by ``odds(new) / odds(old)`` instead, so that
      it keeps its width in logit terms and stays inside 0..1 (near 0 this is the same scaling;
      0.5 moved to 0.9 takes the range 0.2..0.8 to 0.69..0.97, not past 1).
    - ``new == 0``: a width relative to zero is no width: the driver is the number 0.
    - ``old == 0``, or ``new`` of the other sign: there is no ratio; the normal, uniform,
      triangular, PERT and beta families are shifted by ``new - old`` (the same width in the
      driver's unit). A lognormal range cannot take a value of 0 or of the other sign, nor a
      logit-normal one 0 or 1: :class:`RangeError` asks for a range or a fixed number.
    - Then ``low``, ``mode`` and ``high`` are clipped to the valid range
      ``lower_bound..upper_bound``; a range clipped to one number is that number.

    Parameters
    ----------
    r
        The overlaid scenario's range.
    new
        The scenario's number for the driver, in the driver's unit (inside its valid range).
    lower_bound, upper_bound
        The assumption's valid range (inclusive), ``None`` where unbounded.

    Returns
    -------
    Range or float
        The re-centred range (``value = new``, ``recentred_from = old``), or ``new`` when
        nothing of the range is left.

    Raises
    ------
    RangeError
        One line, when the family cannot be re-centred on ``new`` (see above) or the result is
        not a valid range of its family.
    """
    old, new = r.point, float(new)
    if new == old:
        return r
    if new == 0:
        return 0.0
    locations = {"low": r.low, "high": r.high, **({"mode": r.mode} if r.mode is not None else {})}
    if r.family == "logitnormal":
        if not (0 < old < 1 and 0 < new < 1):
            raise RangeError(
                f"cannot re-centre the logit-normal range {r.low:g}..{r.high:g} from {old:g} on {new:g} "
                "(a logit-normal range stays strictly inside 0..1); give a range or {value, fixed: true}"
            )
        shift = logit(new) - logit(old)
        moved = {k: float(expit(logit(x) + shift)) for k, x in locations.items()}
    elif old != 0 and new / old > 0:
        moved = {k: x * new / old for k, x in locations.items()}
    elif r.family == "lognormal":
        raise RangeError(
            f"cannot re-centre the lognormal range {r.low:g}..{r.high:g} from {old:g} on {new:g} "
            "(no ratio between them); give a range or {value, fixed: true}"
        )
    else:
        moved = {k: x + (new - old) for k, x in locations.items()}
    low_clip = -np.inf if lower_bound is None else lower_bound
    high_clip = np.inf if upper_bound is None else upper_bound
    moved = {k: float(min(max(x, low_clip), high_clip)) for k, x in moved.items()}
    if moved["low"] == moved["high"]:
        return new
    extra = {"alpha": r.alpha, "beta": r.beta} if r.family == "beta" else {}
    out = Range(r.family, **moved, **extra, value=new, recentred_from=old)
    _check(out, lower_bound, upper_bound)
    return out


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

    def without(self, names: Iterable[str]) -> Uncertainty:
        """The same settings without the ranges (and correlations) of some drivers."""
        gone = set(names)
        return replace(
            self,
            ranges={k: v for k, v in self.ranges.items() if k not in gone},
            correlations=tuple(c for c in self.correlations if not gone & {c[0], c[1]}),
        )

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
        expected = "expected a list of [driver, driver, rank correlation]"
        return (), [f"value {echo(raw)} is not allowed; {expected}"]
    triples, problems, seen = [], [], set()
    for item in raw:
        if not (isinstance(item, list | tuple) and len(item) == 3):
            problems.append(f"entry {echo(item)} is not [driver, driver, rank correlation]")
            continue
        a, b, rho = item
        if isinstance(rho, bool) or not isinstance(rho, int | float) or not -1 <= rho <= 1:
            problems.append(f"entry {echo(item)}: the rank correlation must be a number in -1..1")
            continue
        unknown = [n for n in (a, b) if n not in drivers]
        if unknown or a == b or frozenset((a, b)) in seen:
            why = (
                f"{', '.join(map(echo, unknown))} is not a driver of this model"
                if unknown
                else "a driver paired with itself or a pair given twice"
            )
            problems.append(f"entry {echo(item)}: {why}")
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
