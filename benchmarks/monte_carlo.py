"""Monte Carlo speed figures (printed, not asserted).

Run with ``make bench``. Measures, on the API-access model over 60 months with every driver
sampled (PERT from -20% to +20% of its base value, the shipped base ranges where there are
some):

- the vectorised run at 100,000 draws: wall time and peak memory (tracemalloc), then the
  whole Monte Carlo the notebooks use (draws, model, KPIs, statement, tree) against its
  target of 1 s;
- the same model and draws the way squigglepy users write it, one model call per draw
  (``sq.sample(model, n)``), and the ratio of the two;
- the Sobol analysis (SALib, first-order and total indices of the north-star metric) per model;
- the linked stack: 100,000 joint draws through all six models of the base scenario and their
  links, in one run (:func:`aibm_core.analysis.stack_monte_carlo.stack_monte_carlo`), against its
  target of 1.5 s, with the seconds of each model.
"""

from __future__ import annotations

import sys
import time
import tracemalloc

from aibm_core import get_model, model_names
from aibm_core.analysis.uncertainty import monte_carlo
from aibm_core.core.params import bounds, clip_to_range, validate

DRAWS = 100_000
HORIZON = 60
#: Seconds allowed for the API model's whole Monte Carlo at 100,000 draws, every driver ranged.
TARGET_SECONDS = 1.0
#: Seconds allowed for 100,000 joint draws through the whole linked stack.
STACK_TARGET_SECONDS = 1.5


def every_driver_ranged(model: str, draws: int) -> object:
    """Validated parameters of ``model`` in which every driver is a range."""
    spec = get_model(model)
    schema = spec.params
    values: dict[str, object] = {"horizon_months": HORIZON, "draws": draws}
    base = schema.base_ranges()
    for name in schema.names_with_role("driver"):
        default = float(schema.model_fields[name].default)
        if name in base:
            values[name] = base[name].to_dict()
        elif default > 0:
            low, high = (clip_to_range(schema, name, default * f) for f in (0.8, 1.2))
            values[name] = {"dist": "pert", "low": low, "mode": default, "high": high, "value": default}
        else:
            values[name] = {"dist": "uniform", "low": default, "high": default + 0.01}
    return validate(schema, values, source="benchmark")


def timed(work):
    """Run ``work()``; return its result, wall seconds and peak traced memory (MiB)."""
    tracemalloc.start()
    start = time.perf_counter()
    out = work()
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return out, seconds, peak


def squigglepy_run(params, draws: int) -> float:
    """The same model the squigglepy way: sample the drivers, call the model once per draw (s)."""
    import squigglepy as sq

    spec = get_model("api_access")
    ranges = params.uncertainty.ranges
    params_schema = type(params)
    # Each driver as a squigglepy distribution with the same 5th and 95th percentiles.
    dists = {}
    for name, r in ranges.items():
        p05, p95 = (float(v) for v in r.distribution().ppf([0.05, 0.95]))
        if r.family == "lognormal":
            dists[name] = sq.lognorm(p05, p95)
        elif r.family == "uniform":
            dists[name] = sq.uniform(r.low, r.high)
        else:
            low, high = bounds(params_schema, name)  # stay inside the valid range, as aibm's draws do
            dists[name] = sq.norm(p05, p95, lclip=low, rclip=high)

    def model() -> float:
        draw = {name: float(sq.sample(d)) for name, d in dists.items()}
        return float(spec.statement(spec.compute(params.vary(**draw))).snapshot()["north_star"])

    start = time.perf_counter()
    sq.sample(model, n=draws, verbose=False)
    return time.perf_counter() - start


def stack_figures(draws: int) -> None:
    """The linked stack's joint Monte Carlo: total wall time and each model's share."""
    from aibm_core.analysis import uncertainty
    from aibm_core.analysis.stack_monte_carlo import stack_monte_carlo

    seconds_by_model: dict[str, float] = {}
    original = uncertainty.monte_carlo

    def timed_mc(spec, params, *args, **kwargs):
        start = time.perf_counter()
        out = original(spec, params, *args, **kwargs)
        seconds_by_model[spec.name] = time.perf_counter() - start
        return out

    import aibm_core.analysis.stack_monte_carlo as module

    module.monte_carlo = timed_mc
    try:
        _, seconds, peak = timed(lambda: stack_monte_carlo("base", draws=draws))
    finally:
        module.monte_carlo = original
    verdict = "within" if seconds <= STACK_TARGET_SECONDS else "over"
    print(
        f"Linked stack, base scenario, {draws:,} joint draws through all six models: {seconds:5.2f} s "
        f"(target {STACK_TARGET_SECONDS:g} s: {verdict}), peak memory {peak:,.0f} MiB"
    )
    for name, model_seconds in seconds_by_model.items():
        print(f"  {name:20} {model_seconds:6.2f} s")


def main() -> None:
    draws = int(sys.argv[1]) if len(sys.argv) > 1 else DRAWS
    spec = get_model("api_access")
    params = every_driver_ranged("api_access", draws)
    n_ranged = len(params.uncertainty.ranges)
    mc, seconds, peak = timed(lambda: monte_carlo(spec, params))
    print(f"API access, {HORIZON} months, {n_ranged} drivers sampled, {draws:,} draws:")
    print(f"  aibm vectorised:   {seconds:8.2f} s   peak memory {peak:7.0f} MiB")
    assert mc.statement.series("revenue").shape == (draws, HORIZON)

    def whole() -> None:
        run = monte_carlo(spec, params)
        run.kpis, run.statement, run.tree  # noqa: B018 - cached properties, computed here

    _, whole_seconds, _ = timed(whole)
    verdict = "within" if whole_seconds <= TARGET_SECONDS else "over"
    print(
        f"  draws + model + KPIs + statement + tree: {whole_seconds:5.2f} s "
        f"(target {TARGET_SECONDS:g} s at {DRAWS:,} draws: {verdict})"
    )
    try:
        squiggle = squigglepy_run(params, draws)
    except ImportError:
        print("  squigglepy: not installed (pip install -e '.[bench]')")
    else:
        print(f"  squigglepy sample: {squiggle:8.2f} s   ratio {squiggle / seconds:,.0f}x")
    stack_figures(draws)
    try:
        from aibm_core.analysis.sensitivity import model_sobol, north_star
    except ImportError:
        return
    print("Sobol indices of the north-star metric (SALib, n=1024):")
    for name in model_names():
        model_spec = get_model(name)
        ranged = every_driver_ranged(name, 0)
        _, sobol_seconds, _ = timed(lambda s=model_spec, p=ranged: model_sobol(s, p, north_star(s)))
        print(f"  {name:20} {sobol_seconds:6.2f} s  ({len(ranged.uncertainty.ranges)} drivers)")


if __name__ == "__main__":
    main()
