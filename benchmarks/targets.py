"""The speed and size figures with targets, one line each: value, target, met or missed.

Run with ``make bench`` (last). Figures (printed, never asserted):

- ``make test`` wall time on two cores: too long to measure here (it runs the whole suite);
  the last measured value is printed with its date (:data:`MAKE_TEST`);
- the API model with every driver ranged at 100,000 draws: draws, model, KPIs, statement and
  tree (with the draws' share on its own);
- the linked stack: 100,000 joint draws through all six models of the base scenario;
- ``outputs/`` after ``make report`` (when it ran);
- the largest committed notebook, as committed and as ``make notebooks`` stores it (no SVG
  copy of a chart, :mod:`aibm_core.present.stored_outputs`);
- ``aibm run --changed`` with nothing changed, on an output folder of one run made here.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from monte_carlo import DRAWS, every_driver_ranged

from aibm_core import get_model
from aibm_core.analysis.uncertainty import monte_carlo, sample
from aibm_core.core.config import NOTEBOOKS_DIR, ROOT
from aibm_core.present.stored_outputs import strip_chart_copies

#: The last measured wall time of ``make test`` (seconds) and when: it takes minutes to measure.
MAKE_TEST = (636.0, "2026-12-07, fresh clone, 2 workers: install ~57 s, tests 546 s, notebooks 33 s")
#: Upper bounds: seconds, MB, KB.
TARGETS = {
    "make test (2 cores)": 300.0,
    "API model, every driver ranged, 100k draws": 1.0,
    "linked stack, 100k joint draws, six models": 1.5,
    "outputs/ after make report (MB)": 60.0,
    "largest committed notebook (KB)": 200.0,
    "aibm run --changed, nothing changed": 1.0,
}


def line(figure: str, value: float, unit: str, note: str = "") -> None:
    """One figure against its target."""
    target = TARGETS[figure]
    verdict = "met" if value <= target else "missed"
    print(f"{figure:44} {value:9.2f} {unit:3} (target {target:g} {unit}: {verdict}){note}", flush=True)


def seconds(work, repeat: int = 3) -> float:
    """Fastest of ``repeat`` runs of ``work()``, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def api_monte_carlo() -> None:
    spec = get_model("api_access")
    params = every_driver_ranged("api_access", DRAWS)

    def whole() -> None:
        run = monte_carlo(spec, params)
        run.kpis, run.statement, run.tree  # noqa: B018 - cached properties, computed here

    total = seconds(whole)
    draws = seconds(lambda: sample(params))
    line(
        "API model, every driver ranged, 100k draws",
        total,
        "s",
        f"; the draws {draws:.2f} s, the model's own code (compute, KPIs, statement, tree) the rest",
    )


def stack() -> None:
    from aibm_core.analysis.stack_monte_carlo import stack_monte_carlo

    line(
        "linked stack, 100k joint draws, six models",
        seconds(lambda: stack_monte_carlo("base", draws=DRAWS), 1),
        "s",
    )


def sizes() -> None:
    outputs = ROOT / "outputs"
    files = [p for p in outputs.rglob("*") if p.is_file()]
    if (outputs / "index.html").is_file():  # a batch ran (not only screenshots of the browser tests)
        line("outputs/ after make report (MB)", sum(p.stat().st_size for p in files) / 1e6, "MB")
    else:
        print(f"{'outputs/ after make report (MB)':44} not measured: run `make report` first")
    largest = max(NOTEBOOKS_DIR.glob("*.ipynb"), key=lambda p: p.stat().st_size)
    nb = nbformat.read(largest, as_version=4)
    stripped = strip_chart_copies(nb)
    after = len(nbformat.writes(nb).encode()) / 1e3
    note = f" {largest.name}; {after:,.0f} KB without its {stripped} image copies (make notebooks)"
    line("largest committed notebook (KB)", largest.stat().st_size / 1e3, "KB", note)


def changed() -> None:
    aibm = [sys.executable, "-m", "aibm_core.batch.cli", "run", "--scenario", "seed", "--model", "api_access"]
    with tempfile.TemporaryDirectory(prefix="aibm-bench-") as tmp:
        out = ["--output", str(Path(tmp) / "out"), "--no-progress"]
        subprocess.run([*aibm, *out], check=True, capture_output=True)
        times = []
        for _ in range(3):
            start = time.perf_counter()
            done = subprocess.run([*aibm, *out, "--changed"], check=True, capture_output=True, text=True)
            times.append(time.perf_counter() - start)
            assert "skipped 1 unchanged run(s)" in done.stdout, done.stdout
    line("aibm run --changed, nothing changed", statistics.median(times), "s", " (one run in the folder)")


def main() -> None:
    print("\nfigure                                           value      target")
    value, when = MAKE_TEST
    line("make test (2 cores)", value, "s", f" (last measured {when})")
    api_monte_carlo()
    stack()
    sizes()
    changed()


if __name__ == "__main__":
    main()
