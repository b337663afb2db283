"""Speed figures for the core library and the batch runner (printed, not asserted).

Run with ``make bench``. Measures one scalar evaluation of each model, the same
model over 100,000 parameter draws in one vectorised call, a ±20% tornado, and
chart rendering (SVG through vl-convert), the pieces a notebook run is made of.

It also times one what-if move (a slider change: new evaluation, tree, table and chart; the
median of 30). With ``--batch`` (minutes: every notebook under every shipped scenario, several
times over) it measures the whole batch: ``aibm run`` wall time (with and without the
exports), the same notebooks in a serial
papermill loop, the cold-kernel floor (as many trivial notebooks importing aibm_core,
altair and pandas, two at a time), their ratios, ``aibm run --changed`` with nothing
changed, and the import time of ``aibm_core``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from aibm_core import evaluate, get_model, model_names
from aibm_core.analysis import sensitivity
from aibm_core.present import charts, widgets

DRAWS = 100_000
#: Targets printed beside the figures (never asserted): seconds for 100k draws of one model,
#: milliseconds for a what-if move, ratios to the cold-kernel floor, sizes in MB / KB.
TARGETS = {
    "100k draws": 0.2,
    "what-if move": 300.0,  # evaluation, figures, the metric tree and the chart drawn (median)
    "run / floor": 1.0,
    "run --no-exports / floor": 0.6,
    "outputs MB": 60.0,
    "largest notebook KB": 200.0,
    "--changed": 1.0,
}


def verdict(value: float, target: float) -> str:
    """``met`` or ``missed`` for a figure whose target is an upper bound."""
    return "met" if value <= target else "missed"


#: Notebooks run at once for the cold-kernel floor (as on a two-core machine).
FLOOR_PARALLEL = 2
#: A notebook doing only what every workbook notebook does first: start a kernel, import.
TRIVIAL_SOURCE = "import aibm_core, altair, pandas"


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
    draws_target, move_target = TARGETS["100k draws"], TARGETS["what-if move"]
    print(f"targets: 100k draws <= {draws_target:g} s a model; what-if move <= {move_target:g} ms")
    print(
        f"{'model':20} {'scalar eval':>12} {'100k draws':>12} {'per draw':>10} {'tornado':>9} {'tree SVG':>9}"
        f" {'what-if move':>13}  verdicts (draws, move)"
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
        move = widgets.median_redraw_ms(evaluate(spec, params))  # target: TARGETS["what-if move"]
        verdicts = f"{verdict(many / 1e3, TARGETS['100k draws'])}, {verdict(move, TARGETS['what-if move'])}"
        print(
            f"{name:20} {scalar:10.1f}ms {many:10.1f}ms {per_draw_ns:8.2f}ns {tornado:7.1f}ms {svg:7.1f}ms"
            f" {move:11.1f}ms  {verdicts}"
        )
    sizes()


def sizes() -> None:
    """The largest committed notebook and, if ``make report`` ran, the size of ``outputs/``."""
    from aibm_core.core.config import NOTEBOOKS_DIR, ROOT

    largest = max(NOTEBOOKS_DIR.glob("*.ipynb"), key=lambda p: p.stat().st_size)
    kb = largest.stat().st_size / 1e3
    target = TARGETS["largest notebook KB"]
    met = verdict(kb, target)
    print(f"largest committed notebook: {largest.name} {kb:,.0f} KB (target {target:g} KB: {met})")
    outputs = ROOT / "outputs"
    files = [p for p in outputs.rglob("*") if p.is_file()] if outputs.is_dir() else []
    if len(files) > 1:
        mb = sum(p.stat().st_size for p in files) / 1e6
        target = TARGETS["outputs MB"]
        print(f"outputs/ after the last batch: {mb:,.0f} MB (target {target:g} MB: {verdict(mb, target)})")
    else:
        print("outputs/: empty (run `make report` first to measure it)")


def _seconds(command: list[str], expect: str = "") -> float:
    """Wall time (s) of a command, which must succeed (and print ``expect``)."""
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    if expect not in done.stdout:
        raise RuntimeError(f"{' '.join(command)} did not print {expect!r}:\n{done.stdout}")
    return elapsed


def import_seconds(repeat: int = 3) -> float:
    """Median time (s) to import ``aibm_core`` in a fresh interpreter, less the interpreter's start."""
    bare = statistics.median(_seconds([sys.executable, "-c", "pass"]) for _ in range(repeat))
    full = statistics.median(_seconds([sys.executable, "-c", "import aibm_core"]) for _ in range(repeat))
    return full - bare


def serial_papermill(jobs: list, folder: Path) -> float:
    """Wall time (s) of the batch's notebooks run one after another with papermill (no reports)."""
    import papermill

    start = time.perf_counter()
    for job in jobs:
        target = folder / f"{job.scenario}-{job.model}.ipynb"
        results = {"scenario": job.scenario, "results_path": str(folder / f"{job.scenario}-{job.model}.json")}
        papermill.execute_notebook(
            str(job.source), str(target), parameters={**job.values, **results}, progress_bar=False
        )
    return time.perf_counter() - start


def cold_kernel_floor(count: int, folder: Path) -> float:
    """Wall time (s) of ``count`` trivial notebooks (imports only), :data:`FLOOR_PARALLEL` at a time."""
    import nbformat
    import papermill

    source = folder / "trivial.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(TRIVIAL_SOURCE)]), source)

    def one(i: int) -> None:
        target = folder / f"trivial-{i}.ipynb"
        papermill.execute_notebook(str(source), str(target), kernel_name="python3", progress_bar=False)

    start = time.perf_counter()
    with ThreadPoolExecutor(FLOOR_PARALLEL) as pool:
        list(pool.map(one, range(count)))
    return time.perf_counter() - start


def batch() -> None:
    """Print the batch figures for every notebook under every shipped scenario."""
    from aibm_core.analysis.scenarios import available_scenarios
    from aibm_core.batch import runner
    from aibm_core.core.config import PARAMETERS_DIR

    aibm = [sys.executable, "-m", "aibm_core.batch.cli"]

    def show(label: str, text: str) -> None:
        print(f"{label:36} {text}", flush=True)

    with tempfile.TemporaryDirectory(prefix="aibm-bench-") as tmp:
        folder = Path(tmp)
        scenarios = available_scenarios(PARAMETERS_DIR)  # what aibm run runs: company cases too
        jobs = runner.plan(PARAMETERS_DIR, folder / "out", scenarios)
        n = len(jobs)
        print(f"\nbatch: {n} notebook runs ({len(scenarios)} scenarios), each figure as measured")
        out = ["--output", str(folder / "out"), "--no-progress"]
        bare = _seconds([*aibm, "run", "--no-exports", *out])
        show("aibm run --no-exports", f"{bare:8.1f}s  ({bare / n:.2f}s a run)")
        run = _seconds([*aibm, "run", *out])
        show("aibm run (reports and exports)", f"{run:8.1f}s  (exports take {run - bare:.1f}s)")
        nothing = f"skipped {n} unchanged run(s)"
        changed = statistics.median(_seconds([*aibm, "run", "--changed", *out], nothing) for _ in range(3))
        show(
            "aibm run --changed, nothing changed",
            f"{changed:8.2f}s  (target {TARGETS['--changed']:g}s: {verdict(changed, TARGETS['--changed'])})",
        )
        (folder / "floor").mkdir()
        floor = cold_kernel_floor(n, folder / "floor")
        show(f"cold-kernel floor ({FLOOR_PARALLEL} at a time)", f"{floor:8.1f}s")
        with_exports, without = run / floor, bare / floor
        show(
            "  aibm run / floor",
            f"{with_exports:8.2f}x  (target {TARGETS['run / floor']:g}x: "
            f"{verdict(with_exports, TARGETS['run / floor'])});"
            f" --no-exports {without:.2f}x (target {TARGETS['run --no-exports / floor']:g}x: "
            f"{verdict(without, TARGETS['run --no-exports / floor'])})",
        )
        (folder / "serial").mkdir()
        serial = serial_papermill(jobs, folder / "serial")
        show("serial papermill loop", f"{serial:8.1f}s  (aibm run is {serial / run:.2f}x faster)")
    show("import aibm_core", f"{import_seconds():8.2f}s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", action="store_true", help="also time whole batches (minutes)")
    main()
    if parser.parse_args().batch:
        batch()
