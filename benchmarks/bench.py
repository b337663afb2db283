"""Speed figures for the core library (printed, not asserted).

Run with ``make bench``. Measures one scalar evaluation of each model, the same
model over 100,000 parameter draws in one vectorised call, a ±20% tornado, and
chart rendering (SVG through vl-convert), the pieces a notebook run is made of.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from aibm_core import charts, evaluate, get_model, model_names, sensitivity

DRAWS = 100_000


def best_of(repeat: int, work: Callable[[], object]) -> float:
    """Fastest of ``repeat`` runs, in milliseconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times) * 1e3


def main() -> None:
    rng = np.random.default_rng(2026)
    print(
        f"{'model':20} {'scalar eval':>12} {'100k draws':>12} {'per draw':>10} {'tornado':>9} {'tree SVG':>9}"
    )
    for name in model_names():
        spec = get_model(name)
        params = spec.params()
        driver = spec.what_if[0]
        value = float(getattr(params, driver))
        draws = params.vary(**{driver: value * rng.uniform(0.8, 1.2, DRAWS)})
        scalar = best_of(5, lambda spec=spec, params=params: evaluate(spec, params))
        many = best_of(3, lambda spec=spec, draws=draws: spec.compute(draws))
        tornado = best_of(3, lambda spec=spec, params=params: sensitivity.tornado(spec, params, spec.what_if))
        tree = evaluate(spec, params).tree
        svg = best_of(3, lambda tree=tree: charts.mimebundle(charts.tree_chart(tree)))
        per_draw_ns = many / DRAWS * 1e6
        print(f"{name:20} {scalar:10.1f}ms {many:10.1f}ms {per_draw_ns:8.2f}ns {tornado:7.1f}ms {svg:7.1f}ms")


if __name__ == "__main__":
    main()
