"""One notebook run of a batch: papermill on a warm kernel, the HTML report, files published whole.

:func:`execute` runs in a worker process (local or Dask): every file is written under a temporary
name and renamed into place at the end; a failed run keeps its notebook, names the cell that failed
(numbered from 1, counting every cell of the saved notebook, papermill's injected parameters cell
and error markers included) and publishes nothing that would look current. :func:`compute_results`
is the worker's other task: a model's results computed into the batch's cache before the notebooks.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import lazy_loader as lazy
import zmq

from aibm_core.analysis.results import from_json_number
from aibm_core.analysis.results_cache import computed
from aibm_core.batch.jobs import (
    CELL_TIMEOUT_SECONDS,
    KERNEL_NAME,
    KERNEL_START_ATTEMPTS,
    PAPERMILL_ERROR_TAG,
    PYRAMID,
    Job,
    Outcome,
)
from aibm_core.core.config import LIVE_ENV
from aibm_core.core.params import RUN_SETTINGS, ParameterError, validate
from aibm_core.models import get_model
from aibm_core.present.report import export_html

papermill = lazy.load("papermill")  # seconds to import: only running a notebook needs it
nbformat = lazy.load("nbformat")


def execute(job: Job) -> Outcome:
    """Run one job: papermill, then HTML export; publish files only when complete.

    Every file is written under a temporary name carrying the batch's ``run_id`` and renamed
    into place at the end. A failed run keeps its notebook (the cell that failed is named in
    the outcome's message) and loses its results and report, so nothing stale looks current.
    The kernel never sees :data:`~aibm_core.core.config.LIVE_ENV`: a report holds static charts
    even when the batch is started from a live session.
    """
    os.environ.pop(LIVE_ENV, None)  # kernels inherit this worker's environment

    if not job.run_id:
        job = replace(job, run_id=new_run_id())
    start = time.perf_counter()
    job.folder.mkdir(parents=True, exist_ok=True)
    _CURRENT[:] = [job]  # what a worker stopped by Ctrl-C cleans up
    partial_nb, partial_json, partial_html = (job.partial(s) for s in (".ipynb", ".json", ".html"))
    settings = {
        "scenario": job.scenario,
        "results_path": str(partial_json),
        "parameters_dir": str(job.values.get("parameters_dir", "")),
    }
    assert set(settings) == set(RUN_SETTINGS)
    name = "Pyramid comparison" if job.model == PYRAMID else get_model(job.model).title
    title = f"{name} — {job.scenario} scenario"

    def failed(message: str, export: bool = True) -> Outcome:
        note = _publish_failure(job, title, export=export)
        return Outcome(job, False, time.perf_counter() - start, message + note)

    try:
        _papermill_with_retry(papermill, job.source, partial_nb, {**job.values, **settings})
    except papermill.PapermillExecutionError as error:
        where = _cell_label(job, partial_nb, _failed_cell, error.cell_index, error.source)
        return failed(f"{where}: {error.ename}: {error.evalue}")
    except Exception as error:  # kernel died or timed out in a cell, could not start, bad notebook...
        running = _running_cell(partial_nb)
        if running is None:
            return failed(f"{type(error).__name__}: {error}")
        _mark_failed_cell(partial_nb, running, error)
        where = _cell_label(job, partial_nb, lambda _nb: running)
        dead = "the kernel died in " if _is_dead_kernel(error) else ""
        return failed(f"{dead}{where}: {type(error).__name__}: {error}")
    try:
        if not partial_json.exists():
            raise RuntimeError("the notebook did not write its results file")
        export_html(partial_nb, partial_html, title=title)
        margin = from_json_number(json.loads(partial_json.read_text()).get("gross_margin"))
        for suffix in (".json", ".html", ".ipynb"):
            os.replace(job.partial(suffix), job.path(suffix))
    except Exception as error:  # a full disk, an unreadable results file...
        return failed(f"report: {type(error).__name__}: {error}", export=False)
    finally:
        _CURRENT.clear()
    return Outcome(job, True, time.perf_counter() - start, gross_margin=margin)


def new_run_id() -> str:
    """An id for one batch's temporary files: the process id and a random part."""
    return f"{os.getpid()}-{uuid.uuid4().hex[:8]}"


def _papermill_with_retry(papermill: Any, source: Path, target: Path, parameters: dict[str, Any]) -> None:
    """Execute a notebook, retrying only when the kernel fails to start (port races).

    Once any cell has started (papermill records it in the notebook it saves), a failure
    is final: a kernel that dies in a cell would die again, and re-running the cells before
    it would only hide that.
    """
    from aibm_core.batch import (
        warm_kernel,  # warm_kernel imports papermill and nbformat (seconds): only when a notebook runs
    )

    warm = warm_kernel.current()
    for attempt in range(1, KERNEL_START_ATTEMPTS + 1):
        options: dict[str, Any] = {"request_save_on_cell_execute": True}
        if warm is not None:  # a worker of `aibm run`: the notebook runs on its warm kernel
            options = warm_kernel.papermill_options(warm, target)
        try:
            papermill.execute_notebook(
                str(source),
                str(target),
                parameters=parameters,
                kernel_name=KERNEL_NAME,
                progress_bar=False,
                log_output=False,
                execution_timeout=CELL_TIMEOUT_SECONDS,
                **options,
            )
            return
        except papermill.PapermillExecutionError:
            raise
        except BaseException as error:
            if warm is not None:  # died, timed out, interrupted: the next notebook gets a new kernel
                warm.discard()
            # "Kernel died before replying", "Address already in use" (papermill#511), start timeouts
            start_failure = isinstance(error, RuntimeError | TimeoutError | zmq.ZMQError)
            if not start_failure or attempt == KERNEL_START_ATTEMPTS or _running_cell(target) is not None:
                raise
            target.unlink(missing_ok=True)
            time.sleep(0.5 * attempt)


def _read_notebook(path: Path) -> Any | None:
    """The notebook at ``path``, or None if missing or unreadable (e.g. cut short by a full disk)."""
    try:
        return nbformat.read(path, as_version=4)
    except Exception:
        return None


def _running_cell(path: Path) -> int | None:
    """0-based index of the last cell papermill started in the saved notebook (None if none)."""
    nb = _read_notebook(path)
    started = [
        i
        for i, cell in enumerate(nb.cells if nb else [])
        if cell.metadata.get("papermill", {}).get("start_time")
    ]
    return started[-1] if started else None


def _failed_cell(nb: Any) -> int | None:
    """0-based index of the cell papermill marked as failed (None if none)."""
    return next(
        (i for i, c in enumerate(nb.cells) if c.metadata.get("papermill", {}).get("exception") is True),
        None,
    )


def _is_dead_kernel(error: BaseException) -> bool:
    return type(error).__name__ == "DeadKernelError"


def _mark_failed_cell(path: Path, index: int, error: BaseException) -> None:
    """Record in the saved notebook that the cell at ``index`` did not finish, and why."""
    nb = _read_notebook(path)
    if nb is None:
        return
    cell = nb.cells[index]
    cell.metadata.setdefault("papermill", {}).update(exception=True, status="failed")
    evalue = "the kernel died while this cell ran" if _is_dead_kernel(error) else str(error)
    if cell.cell_type == "code":
        cell.outputs.append(
            nbformat.v4.new_output("error", ename=type(error).__name__, evalue=evalue, traceback=[])
        )
    with contextlib.suppress(OSError):
        nbformat.write(nb, path)


def _cell_label(
    job: Job,
    saved: Path,
    locate: Callable[[Any], int | None],
    fallback: int | None = None,
    source_text: str | None = None,
) -> str:
    """Name a cell as the kept notebook and the source notebook count it (from 1).

    Parameters
    ----------
    job
        The run.
    saved
        The notebook papermill saved (the one kept when the run fails).
    locate
        Finds the cell's 0-based index in the saved notebook.
    fallback
        0-based index to use when the saved notebook cannot be read (papermill's count,
        injected cell included, error markers not).
    source_text
        The cell's source, when known without the notebook.
    """
    nb = _read_notebook(saved)
    index = locate(nb) if nb is not None else None
    if index is None:
        if fallback is None:
            return "a cell"
        first = (source_text or "").strip().splitlines()[:1]
        return f"cell {fallback + 1} (papermill's count)" + (f" ({first[0][:60]})" if first else "")
    cell = nb.cells[index]
    first = cell.source.strip().splitlines()[:1]
    label = f"cell {index + 1} of the kept notebook"
    in_source = _source_index(job.source, cell, nb.cells[:index])
    if in_source is not None and in_source != index:
        label += f", cell {in_source + 1} of {job.source.parent.name}/{job.source.name}"
    elif in_source is None:
        label += " (the injected parameters)" if _is_injected(cell) else ""
    return label + (f" ({first[0][:60]})" if first else "")


def _is_injected(cell: Any) -> bool:
    tags = cell.get("metadata", {}).get("tags", [])
    return "injected-parameters" in tags or PAPERMILL_ERROR_TAG in tags


def _source_index(source: Path, cell: Any, before: Sequence[Any]) -> int | None:
    """0-based index in the source notebook of a cell of the executed one (None if added)."""
    if _is_injected(cell):
        return None
    nb = _read_notebook(source)
    if nb is not None and cell.get("id"):
        found = [i for i, c in enumerate(nb.cells) if c.get("id") == cell.get("id")]
        if len(found) == 1:
            return found[0]
    return sum(not _is_injected(c) for c in before)


def _publish_failure(job: Job, title: str, export: bool = True) -> str:
    """Keep the partial notebook (and its HTML), drop results that would be stale.

    Never raises: on a full disk the notebook may not be keepable either, and then it is
    removed with any older one. Returns a note for the message when the notebook is lost.
    """
    for path in (job.partial(".json"), job.partial(".html"), job.path(".json"), job.path(".html")):
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
    _CURRENT.clear()
    partial_nb = job.partial(".ipynb")
    if not partial_nb.exists():
        return ""
    try:
        if _read_notebook(partial_nb) is None:
            raise ValueError("the notebook saved so far is incomplete")
        os.replace(partial_nb, job.path(".ipynb"))
    except (OSError, ValueError) as error:
        for path in (partial_nb, job.path(".ipynb")):
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
        return f" (notebook not kept: {error})"
    if export:
        with contextlib.suppress(Exception):  # the failure itself is already reported
            export_html(job.path(".ipynb"), job.path(".html"), title=f"{title} (FAILED)")
    return ""


def compute_results(model: str, scenario: str, values: dict[str, Any]) -> None:
    """Compute (or find) one model's results on ``values`` in this worker's results cache.

    ``values["parameters_dir"]`` (a run setting) names the folder of the scenario, whose other
    models' results feed this one's linked drivers.
    """
    spec = get_model(model)
    try:
        params = validate(spec.params, values)
    except ParameterError:
        return
    folder = values.get("parameters_dir")
    computed(spec, params, scenario, Path(folder) if folder else None)


#: The job a worker process is running (for :func:`_worker_stop`).
_CURRENT: list[Job] = []
