"""Change attribution: which assumptions move a metric between two scenarios, and by how much.

A scenario changes several assumptions at once, and their effects interact (a lower price
hurts more when volume is higher). The Shapley value splits the change of a metric between
the changed assumptions fairly and exactly: each assumption gets its marginal effect averaged
over every order in which the changes could be made, and the parts add up to the whole change.

- :func:`changed_assumptions`: the assumptions whose point values differ.
- :func:`shapley`: exact Shapley values over all ``2^k`` coalitions of the ``k`` changed
  assumptions, in one vectorised model call; beyond ``exact_limit`` assumptions a permutation
  sample (seeded, a few model calls) whose parts still add up to the total.
- :func:`attribute`: the north-star metric and the gross margin.
- :func:`tree_deltas` / :func:`tree_delta_text`: the change of every metric-tree node.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from aibm_core.core.params import ModelParams
from aibm_core.core.tree import MetricTree, Node, format_value
from aibm_core.models.base import ModelSpec

#: A metric read from a model result: one value per evaluated parameter set.
MetricFn = Callable[[Any], Any]

#: Row label of the assumptions left out of ``names``, attributed together.
OTHERS = "other changes"

#: Largest number of parameter sets in one model call of the sampled estimate.
MAX_ROWS = 20_000

#: Relative tolerance of the check that the contributions add up to the total change.
CHECK_RTOL = 1e-9

#: Columns of an attribution frame (``std error`` only for the sampled estimate).
COLUMNS = ["unit", "role", "base value", "scenario value", "contribution", "share of change"]


def changed_assumptions(base: ModelParams, other: ModelParams) -> list[str]:
    """Assumptions whose point values differ between two parameter sets, in declaration order.

    Drivers, observed figures and limits may differ; ranges and Monte Carlo settings carried
    by the parameters are ignored (only point values count).

    Parameters
    ----------
    base, other
        Validated parameters of the same model (scalar values).

    Returns
    -------
    list of str
        Names of the drivers, observed figures and limits that differ.

    Raises
    ------
    ValueError
        If the parameters belong to different models, or if a ``setting`` (horizon, snapshot
        month, a choice) differs: the metric is then not a function of the same assumptions
        and attribution by assumption is not defined. The message names the settings.
    """
    schema = type(base)
    if type(other) is not schema:
        raise ValueError(f"parameters of different models: {schema.__name__} and {type(other).__name__}")
    changed = differing(base, other)
    settings = [name for name in changed if schema.role_of(name) == "setting"]
    if settings:
        described = ", ".join(f"{n} ({getattr(base, n)!r} -> {getattr(other, n)!r})" for n in settings)
        raise ValueError(
            f"settings differ: {described}; attribution by assumption needs the same settings "
            "(compare scenarios with equal horizon, snapshot month and choices)"
        )
    return changed


#: Prefix of a player that is a linked input (the seller's path of a driver), not an assumption.
LINKED = "linked:"


def changed_links(base: ModelParams, other: ModelParams) -> list[str]:
    """Linked drivers whose seller's path differs between two parameter sets, in declaration order.

    Raises
    ------
    ValueError
        If a driver is linked in one set and not in the other (a scenario that cuts a link): the
        driver then changes kind, and the change is not split by input.
    """
    both = set(base.linked) & set(other.linked)
    one_sided = sorted(  # a path linked in one and scheduled in the other changes kind too
        (set(base.linked) ^ set(other.linked))
        | {
            n
            for n in both
            if (base.linked[n].kind, np.shape(base.linked[n].values))
            != (other.linked[n].kind, np.shape(other.linked[n].values))
        }
    )
    if one_sided:
        raise ValueError(
            f"linked (or scheduled) in one scenario and not the other: {', '.join(one_sided)}; "
            "attribution by input needs the same links"
        )
    return [
        name
        for name in type(base).model_fields
        if name in base.linked and not _same(base.linked[name].values, other.linked[name].values)
    ]


def differing(base: ModelParams, other: ModelParams) -> list[str]:
    """Every assumption (settings included) whose point value differs, in declaration order."""
    return [name for name in type(base).model_fields if not _same(getattr(base, name), getattr(other, name))]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, str | bool) or isinstance(b, str | bool):
        return a == b
    return bool(np.array_equal(np.asarray(a), np.asarray(b)))


def shapley(
    spec: ModelSpec,
    base: ModelParams,
    other: ModelParams,
    metric: MetricFn,
    names: Sequence[str] | None = None,
    exact_limit: int = 12,
    samples: int = 1000,
    seed: int = 0,
    label: str = "metric",
    unit: str = "",
) -> pd.DataFrame:
    """Shapley attribution of the change of a metric from ``base`` to ``other``.

    Each changed assumption is a player; the value of a coalition ``S`` is the metric with the
    base values, except the members of ``S``, which take the scenario's values. Then
    ``v(∅)`` is the base metric, ``v(all)`` the scenario's, and the contributions
    ``φ_i = Σ_S |S|! (k − |S| − 1)! / k! · (v(S ∪ {i}) − v(S))`` add up to ``v(all) − v(∅)``.

    With ``k <= exact_limit`` players every one of the ``2^k`` coalitions is evaluated in one
    ``spec.compute`` call (arrays of length ``2^k``: ``np.where(mask, new, old)``). Beyond it,
    ``samples`` random orders (half of them the reverses of the others, which lowers the
    variance) are evaluated, all their prefixes in one call per :data:`MAX_ROWS` parameter
    sets; along one order the marginal contributions telescope to the total, so the averaged
    parts add up to the total exactly too.

    Parameters
    ----------
    spec
        The model.
    base, other
        Validated parameters of the model with scalar values and the same settings.
    metric
        Result -> metric, one value per parameter set, e.g.
        :func:`aibm_core.analysis.sensitivity.north_star` or ``spec.gross_margin`` (fraction).
    names
        Assumptions to attribute to one by one (default: every changed assumption). Changed
        assumptions left out are attributed together, as one row :data:`OTHERS`; named ones
        that did not change get zero.
    exact_limit
        Largest number of players computed exactly (``2^exact_limit`` parameter sets).
    samples
        Number of random orders of the sampled estimate.
    seed
        Seed of the sampled estimate: the same seed gives the same parts.
    label, unit
        Name and unit of the metric, kept in ``frame.attrs``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``assumption``, largest contribution (in absolute value) first: ``unit`` and
        ``role`` of the assumption, ``base value`` and ``scenario value`` (in its unit),
        ``contribution`` (in the metric's unit), ``share of change`` (fraction of the total
        change; NaN when the total is 0) and, for the sampled estimate, ``std error`` of each
        contribution (metric's unit). ``frame.attrs`` holds ``metric``, ``unit``, ``base`` and
        ``scenario`` (the metric's values), ``total`` (their difference), ``sum`` (of the
        contributions), ``residual`` (sum − total), ``check`` (True when the sum equals the
        total within :data:`CHECK_RTOL`), ``method`` (``"exact"`` or ``"sampled"``),
        ``evaluations`` (parameter sets computed) and, if sampled, ``samples`` and ``seed``.

    Raises
    ------
    ValueError
        If a setting differs (see :func:`changed_assumptions`), a name is unknown or a setting,
        a value is not a scalar, or the metric is not finite for some coalition.
    """
    found = _attribute_many(spec, base, other, {label: (metric, unit)}, names, exact_limit, samples, seed)
    return found[label]


def _attribute_many(
    spec: ModelSpec,
    base: ModelParams,
    other: ModelParams,
    metrics: dict[str, tuple[MetricFn, str]],
    names: Sequence[str] | None,
    exact_limit: int,
    samples: int,
    seed: int,
) -> dict[str, pd.DataFrame]:
    """Shapley frames of several metrics (label -> (function, unit)) from the same model calls."""
    schema = type(base)
    changed = changed_assumptions(base, other)
    players = _players(schema, changed, names)
    players.update({f"{name} (linked)": [LINKED + name] for name in changed_links(base, other)})
    for group in players.values():
        for name in group:
            if name.startswith(LINKED):
                continue
            if any(np.ndim(getattr(params, name)) != 0 for params in (base, other)):
                raise ValueError(f"{name!r} holds an array; attribution needs scalar parameters")
    groups = list(players.values())
    functions = [fn for fn, _ in metrics.values()]
    if len(groups) <= exact_limit:
        estimate = _exact(spec, base, other, functions, groups)
    else:
        estimate = _sampled(spec, base, other, functions, groups, samples, seed)
    return {
        label: _frame(schema, base, other, players, estimate, i, label, unit)
        for i, (label, (_, unit)) in enumerate(metrics.items())
    }


def _players(
    schema: type[ModelParams], changed: list[str], names: Sequence[str] | None
) -> dict[str, list[str]]:
    """Player label -> assumptions it changes together."""
    if names is None:
        return {name: [name] for name in changed}
    unknown = [n for n in names if n not in schema.model_fields]
    if unknown:
        raise ValueError(f"unknown assumption(s): {', '.join(unknown)}")
    settings = [n for n in names if schema.role_of(n) == "setting"]
    if settings:
        raise ValueError(f"settings cannot be attributed to: {', '.join(settings)}")
    players = {name: [name] for name in dict.fromkeys(names)}
    rest = [n for n in changed if n not in players]
    if rest:
        players[OTHERS] = rest
    return players


@dataclass(frozen=True)
class _Estimate:
    """Shapley values of several metrics (first axis: metric; second: player)."""

    contributions: np.ndarray
    errors: np.ndarray | None
    base: np.ndarray
    scenario: np.ndarray
    evaluations: int
    method: str
    samples: int = 0
    seed: int = 0


def _coalition_params(
    base: ModelParams, other: ModelParams, groups: list[list[str]], mask: np.ndarray
) -> ModelParams:
    """Base parameters with each group's scenario values where ``mask[:, group]`` is set."""
    arrays, links = {}, dict(base.linked)
    for j, group in enumerate(groups):
        for name in group:
            if name.startswith(LINKED):  # the seller's path: base's or the scenario's, row by row
                driver = name.removeprefix(LINKED)
                old_path, new_path = base.linked[driver].values, other.linked[driver].values
                values = np.where(mask[:, j][:, None], new_path, old_path)
                links[driver] = replace(links[driver], values=values, draws=None)
                continue
            old, new = float(getattr(base, name)), float(getattr(other, name))
            arrays[name] = np.where(mask[:, j], new, old)
    varied = base.vary(**arrays)
    return varied.with_linked(links) if links else varied


def _evaluate(spec, base, other, metrics, groups, mask: np.ndarray) -> np.ndarray:
    """Every metric for every coalition (row of ``mask``), in one model call: (metrics, rows)."""
    rows = mask.shape[0]
    result = spec.compute(_coalition_params(base, other, groups, mask))
    values = np.array([np.broadcast_to(np.asarray(fn(result), dtype=float), (rows,)) for fn in metrics])
    bad = int(np.count_nonzero(~np.isfinite(values)))
    if bad:
        raise ValueError(
            f"a metric is not finite for {bad} of {values.size} combinations of the changes; "
            "its change cannot be attributed"
        )
    return values


def _exact(spec, base, other, metrics, groups) -> _Estimate:
    """Exact Shapley values over all ``2^k`` coalitions, from one model call.

    Coalition ``m`` holds player ``j`` when bit ``j`` of ``m`` is set, so row 0 is the base
    and row ``2^k − 1`` the scenario.
    """
    k = len(groups)
    index = np.arange(2**k)
    mask = ((index[:, None] >> np.arange(k)) & 1).astype(bool)
    values = _evaluate(spec, base, other, metrics, groups, mask)
    size = mask.sum(axis=1)
    weight = np.array([math.factorial(s) * math.factorial(k - s - 1) / math.factorial(k) for s in range(k)])
    contributions = np.empty((len(metrics), k))
    for j in range(k):  # loops over players, never over parameter sets
        without = index[~mask[:, j]]
        marginal = values[:, without | (1 << j)] - values[:, without]
        contributions[:, j] = np.sum(weight[size[without]] * marginal, axis=1)
    return _Estimate(contributions, None, values[:, 0], values[:, -1], len(index), "exact")


def _sampled(spec, base, other, metrics, groups, samples: int, seed: int) -> _Estimate:
    """Permutation-sampled Shapley values from antithetic pairs of random orders."""
    k = len(groups)
    if samples < 2:
        raise ValueError(f"samples must be at least 2, got {samples}")
    rng = np.random.default_rng(seed)
    half = rng.permuted(np.tile(np.arange(k), (-(-samples // 2), 1)), axis=1)
    orders = np.concatenate([half, half[:, ::-1]])[:samples]
    rank = np.argsort(orders, axis=1)  # rank[p, j]: position of player j in order p
    # Prefixes of length 1..k-1 of every order; the empty and the full coalition are shared.
    prefix = (rank[:, None, :] < np.arange(1, k)[None, :, None]).reshape(-1, k)
    mask = np.concatenate([np.array([np.zeros(k, bool), np.ones(k, bool)]), prefix])
    values = np.concatenate(
        [
            _evaluate(spec, base, other, metrics, groups, mask[i : i + MAX_ROWS])
            for i in range(0, len(mask), MAX_ROWS)
        ],
        axis=1,
    )
    m = len(metrics)
    v0, v1 = values[:, 0], values[:, 1]
    path = np.concatenate(
        [
            np.broadcast_to(v0[:, None, None], (m, samples, 1)),
            values[:, 2:].reshape(m, samples, k - 1),
            np.broadcast_to(v1[:, None, None], (m, samples, 1)),
        ],
        axis=2,
    )
    steps = np.diff(path, axis=2)  # steps[:, p, t]: marginal contribution of player orders[p, t]
    marginal = np.empty_like(steps)
    np.put_along_axis(marginal, np.broadcast_to(orders, steps.shape), steps, axis=2)
    # An order and its reverse are not independent: the standard error uses the pair means.
    pairs = samples // 2
    paired = (marginal[:, :pairs] + marginal[:, pairs : 2 * pairs]) / 2
    errors = paired.std(axis=1, ddof=1) / math.sqrt(pairs) if pairs > 1 else np.full((m, k), np.nan)
    return _Estimate(marginal.mean(axis=1), errors, v0, v1, len(mask), "sampled", samples, seed)


def _frame(schema, base, other, players, estimate: _Estimate, i: int, label: str, unit: str) -> pd.DataFrame:
    """The attribution frame of metric ``i`` of an estimate."""
    v0, v1 = float(estimate.base[i]), float(estimate.scenario[i])
    total = v1 - v0
    rows = []
    for (player, group), value in zip(players.items(), estimate.contributions[i], strict=True):
        single = len(group) == 1 and player != OTHERS
        name = group[0].removeprefix(LINKED)
        linked = group[0].startswith(LINKED)
        extra = (schema.model_fields[name].json_schema_extra or {}) if single else {}
        value = float(value) + 0.0  # no negative zeros
        if linked:
            values = [float(p.value_of(name)) for p in (base, other)]
        else:
            values = [float(getattr(p, name)) if single else np.nan for p in (base, other)]
        rows.append(
            {
                "assumption": player if single else f"{OTHERS} ({', '.join(group)})",
                "unit": extra.get("unit", ""),
                "role": "linked input" if linked else schema.role_of(name) if single else "",
                "base value": values[0],
                "scenario value": values[1],
                "contribution": value,
                "share of change": value / total + 0.0 if total != 0 else np.nan,
            }
        )
    frame = pd.DataFrame(rows, columns=["assumption", *COLUMNS]).set_index("assumption")
    if estimate.errors is not None:
        frame["std error"] = estimate.errors[i]
    if len(frame):
        size = frame["contribution"].abs().map(lambda x: float(f"{x:.9g}")).to_numpy()
        frame = frame.iloc[np.argsort(-size, kind="stable")]
    parts = float(frame["contribution"].sum()) if len(frame) else 0.0
    scale = max(abs(total), abs(v0), abs(v1), 1e-300)
    frame.attrs = {
        "metric": label,
        "unit": unit,
        "base": v0,
        "scenario": v1,
        "total": total,
        "sum": parts,
        "residual": parts - total,
        "check": bool(abs(parts - total) <= CHECK_RTOL * scale),
        "method": estimate.method,
        "evaluations": int(estimate.evaluations),
        **({"samples": estimate.samples, "seed": estimate.seed} if estimate.method == "sampled" else {}),
    }
    return frame


def attribute(
    spec: ModelSpec, base: ModelParams, other: ModelParams, **options: Any
) -> dict[str, pd.DataFrame]:
    """Attribute the change of the north-star metric and of the gross margin to the changes.

    Parameters
    ----------
    spec, base, other
        The model and two of its validated parameter sets (same settings).
    **options
        Passed to :func:`shapley` (``names``, ``exact_limit``, ``samples``, ``seed``). Both
        metrics are read from the same model call(s): one call when exact.

    Returns
    -------
    dict
        ``"north star"`` (in the model's ``north_star_unit``, e.g. USD per month) and
        ``"gross margin"`` (fraction) -> frame as :func:`shapley` returns.
    """
    seen: dict[str, str] = {}

    def north_star(result: Any) -> Any:
        statement = spec.statement(result)
        seen.update(label=statement.north_star_label, unit=statement.north_star_unit)
        return statement.snapshot()["north_star"]

    metrics = {"north star": (north_star, ""), "gross margin": (spec.gross_margin, "fraction")}
    options = {"names": None, "exact_limit": 12, "samples": 1000, "seed": 0, **options}
    frames = _attribute_many(spec, base, other, metrics, **options)
    frames["north star"].attrs.update(metric=seen["label"], unit=seen["unit"])
    frames["gross margin"].attrs["metric"] = "Gross margin"
    return frames


def format_delta(value: float | None, unit: str) -> str:
    """A change with its sign, e.g. ``+$1.20M per month`` or ``−3.40 pp`` (fractions).

    ``no change`` for 0 and ``n/a`` when the change is not finite.
    """
    if value is None:
        return ""
    if not np.isfinite(value):
        return "n/a"
    if value == 0:
        return "no change"
    sign = "+" if value > 0 else "−"
    if unit.startswith(("fraction", "share")):
        return f"{sign}{abs(value) * 100:.2f} pp"
    return sign + format_value(abs(value), unit)


def waterfall_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Steps of a waterfall from an attribution frame: base, each contribution, scenario.

    Returns one row per bar, in drawing order (contributions largest first): ``step``,
    ``kind`` (``"total"``, ``"up"`` or ``"down"``), ``start`` and ``end`` (metric's unit),
    ``value`` (the bar's size or total) and ``text`` (its label).
    """
    attrs, unit = frame.attrs, frame.attrs.get("unit", "")
    rows = [{"step": "base", "kind": "total", "start": 0.0, "end": attrs["base"], "value": attrs["base"]}]
    level = attrs["base"]
    for name, value in frame["contribution"].items():
        kind = "up" if value >= 0 else "down"
        rows.append({"step": name, "kind": kind, "start": level, "end": level + value, "value": value})
        level += value
    rows.append(
        {
            "step": "scenario",
            "kind": "total",
            "start": 0.0,
            "end": attrs["scenario"],
            "value": attrs["scenario"],
        }
    )
    out = pd.DataFrame(rows)
    out["text"] = [
        format_value(v, unit) if kind == "total" else format_delta(v, unit)
        for v, kind in zip(out["value"], out["kind"], strict=True)
    ]
    return out


def _trees(spec: ModelSpec, base: ModelParams, other: ModelParams) -> tuple[MetricTree, MetricTree]:
    if type(base) is not type(other):
        raise ValueError(f"parameters of different models: {type(base).__name__} and {type(other).__name__}")
    return spec.tree(spec.compute(base)), spec.tree(spec.compute(other))


def tree_deltas(spec: ModelSpec, base: ModelParams, other: ModelParams) -> pd.DataFrame:
    """The change of every metric-tree node from ``base`` to ``other``.

    Parameters
    ----------
    spec, base, other
        The model and two of its validated parameter sets (scalar values).

    Returns
    -------
    pandas.DataFrame
        Indexed by node id, in the tree's depth-first order: ``label``, ``kind``, ``depth``,
        ``unit``, ``base value``, ``scenario value`` and ``delta`` (in the node's unit; NaN for
        groups and where a value is infinite), ``relative change`` (fraction of the base value),
        and formatted ``base``, ``scenario`` and ``change`` (fractions change in percentage points).
    """
    tree_base, tree_other = _trees(spec, base, other)
    frame = tree_base.to_frame()[["label", "kind", "depth", "unit", "value"]]
    frame = frame.rename(columns={"value": "base value"})
    frame["scenario value"] = tree_other.to_frame()["value"].reindex(frame.index)
    old = pd.to_numeric(frame["base value"], errors="coerce").astype(float)
    new = pd.to_numeric(frame["scenario value"], errors="coerce").astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        delta = np.where(old.to_numpy() == new.to_numpy(), 0.0, new.to_numpy() - old.to_numpy())
        delta = np.where(np.isfinite(delta), delta, np.nan)
        relative = np.where(old.to_numpy() != 0, delta / np.abs(old.to_numpy()), np.nan)
    frame["base value"], frame["scenario value"] = old, new
    frame["delta"], frame["relative change"] = delta, relative
    units = frame["unit"]
    frame["base"] = [_fmt(v, u) for v, u in zip(old, units, strict=True)]
    frame["scenario"] = [_fmt(v, u) for v, u in zip(new, units, strict=True)]
    frame["change"] = [
        "" if np.isnan(o) and np.isnan(n) else format_delta(d, u) if np.isfinite(d) else "n/a"
        for o, n, d, u in zip(old, new, delta, units, strict=True)
    ]
    return frame


def _fmt(value: float, unit: str) -> str:
    return "" if np.isnan(value) else format_value(value, unit)


def tree_delta_text(spec: ModelSpec, base: ModelParams, other: ModelParams) -> str:
    """The metric tree drawn as text, each node as ``label: base -> scenario (change)``."""
    tree_base, _ = _trees(spec, base, other)
    deltas = tree_deltas(spec, base, other)
    lines = [f"{tree_base.title}: base -> scenario (change)"]

    def walk(node: Node, prefix: str, last: bool) -> None:
        row = deltas.loc[node.id]
        text = node.label
        if row["base"] or row["scenario"]:
            text += f": {row['base']} -> {row['scenario']} ({row['change']})"
        lines.append(prefix + ("└─ " if last else "├─ ") + text)
        kids = tree_base.children(node.id)
        for i, child in enumerate(kids):
            walk(child, prefix + ("   " if last else "│  "), i == len(kids) - 1)

    walk(tree_base.root, "", True)
    return "\n".join(lines)
