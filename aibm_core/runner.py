"""Batch execution of the notebooks with papermill, one worker process per run.

Every parameter file is validated before any kernel starts. Each run writes its
executed notebook, HTML report and results JSON under ``<output>/<scenario>/`` by
way of temporary files, so a reader never sees half a file; a failed run keeps its
partial notebook and does not stop the others.

Faults a batch survives:

- two runs into one output folder: temporary files carry a per-run id, and
  :func:`output_lock` holds an exclusive lock on ``<output>/.aibm.lock`` (a second run
  stops at once, naming the first one's pid);
- Ctrl-C: pending runs are cancelled, the workers and their kernels are killed, every
  temporary file of the run is removed and the outcomes say what was interrupted;
- a kernel that dies: retried only if no cell had started (a start failure, e.g. a port
  race); otherwise the run fails naming the cell that was running;
- a full disk while publishing: the run fails and no stale result is left behind.

Cells are numbered from 1, counting every cell of the saved notebook (the injected
parameters cell and papermill's error markers included).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import zmq

from aibm_core.config import LIVE_ENV, NOTEBOOKS_DIR
from aibm_core.models import get_model, model_names
from aibm_core.params import RUN_SETTINGS, ParameterError, Problem, validate
from aibm_core.results import from_json_number
from aibm_core.scenarios import available_scenarios as _available_scenarios
from aibm_core.scenarios import (
    scenario_files,
    scenario_models,
    scenario_values,
)

KERNEL_NAME = "python3"
#: Values of ``aibm run --executor``: worker processes on this machine, or a Dask cluster.
EXECUTORS = ("local", "dask")
#: Files a run publishes into ``<output>/<scenario>/``.
OUTPUT_SUFFIXES = (".json", ".html", ".ipynb")
KERNEL_START_ATTEMPTS = 3
#: The comparison notebook run after every scenario's models (reads their results, not notebooks).
PYRAMID = "pyramid_comparison"
#: Longest a single cell may run (s): a hung kernel becomes a failed run, not a stuck batch.
CELL_TIMEOUT_SECONDS = 600
#: File in the output folder locked (``flock``) for the whole of a batch.
LOCK_FILE = ".aibm.lock"
#: Longest wait (s) for stopped workers to exit before they are killed.
STOP_SECONDS = 5.0
#: Tag papermill gives the error banner and anchor cells it adds to a failed notebook.
PAPERMILL_ERROR_TAG = "papermill-error-cell-tag"


@dataclass(frozen=True)
class Job:
    """One notebook execution: a model under a scenario."""

    scenario: str
    model: str
    parameters_file: Path  # the scenario's own file, or the nearest overlaid scenario's
    values: dict[str, Any]
    output_dir: Path
    notebooks_dir: Path = NOTEBOOKS_DIR
    run_id: str = ""  # names this batch's temporary files; set by :func:`run`

    @property
    def folder(self) -> Path:
        """Folder of this run's outputs."""
        return self.output_dir / self.scenario

    def path(self, suffix: str) -> Path:
        """Final output path with the given suffix (``.ipynb``, ``.html``, ``.json``)."""
        return self.folder / f"{self.model}{suffix}"

    def partial(self, suffix: str) -> Path:
        """Temporary path of an output of this run (hidden, unique to the batch)."""
        return self.folder / f".{self.model}.{self.run_id}.partial{suffix}"

    @property
    def source(self) -> Path:
        """The notebook executed."""
        return self.notebooks_dir / f"{self.model}.ipynb"


@dataclass
class Outcome:
    """What happened to one job."""

    job: Job
    ok: bool
    seconds: float
    message: str = ""
    gross_margin: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    interrupted: bool = False  # stopped by Ctrl-C, or never started because of it


def available_scenarios(parameters_dir: Path) -> list[str]:
    """Scenario folders holding at least one YAML file, shipped ones first."""
    return _available_scenarios(parameters_dir)


def plan(
    parameters_dir: Path,
    output_dir: Path,
    scenarios: Sequence[str] = (),
    models: Sequence[str] = (),
    notebooks_dir: Path = NOTEBOOKS_DIR,
) -> list[Job]:
    """Validate the requested parameter files and list the runs.

    Every model of every scenario gets a job, including models the scenario folder has no
    file for: they take the values of the scenario it overlays (:mod:`aibm_core.scenarios`).
    A job's ``parameters_file`` is the file that last sets its values.

    Raises
    ------
    ParameterError
        For unknown scenarios or models, missing files and invalid parameters, all at once.
    """
    if not Path(parameters_dir).is_dir():
        raise ParameterError(
            [
                Problem(
                    str(parameters_dir), "", "no such parameters folder (looked for <scenario>/<model>.yaml)"
                )
            ]
        )
    known_scenarios = available_scenarios(parameters_dir)
    problems = [
        Problem("", "", f"unknown scenario {s!r}; available: {', '.join(known_scenarios)}")
        for s in scenarios
        if s not in known_scenarios
    ]
    problems += [
        Problem("", "", f"unknown model {m!r}; available: {', '.join([*model_names(), PYRAMID])}")
        for m in models
        if m not in [*model_names(), PYRAMID]
    ]
    if problems:
        raise ParameterError(problems)
    jobs = []
    compare = not models or PYRAMID in models  # the pyramid runs after the models of each scenario
    requested = [m for m in models if m != PYRAMID] if models else model_names()
    for scenario in scenarios or known_scenarios:
        try:
            present = scenario_models(parameters_dir, scenario, model_names())
        except ParameterError as error:  # a broken scenario.yaml or overlay chain
            problems.extend(error.problems)
            continue
        if compare and present:  # a comparison of no model would only fail
            values = {"parameters_dir": str(parameters_dir)}
            jobs.append(
                Job(
                    scenario,
                    PYRAMID,
                    Path(parameters_dir) / scenario,
                    values,
                    Path(output_dir),
                    Path(notebooks_dir),
                )
            )
        for model in requested:
            path = Path(parameters_dir) / scenario / f"{model}.yaml"
            if model not in present:
                if scenarios and models:
                    problems.append(Problem(str(path), "", "no such parameter file"))
                continue
            try:
                # the folder's file (if any) laid over the scenario it overlays, passed whole to papermill
                values = scenario_values(parameters_dir, scenario, model)
                source = path if path.exists() else scenario_files(parameters_dir, scenario, model)[-1]
                validate(get_model(model).params, values, source=str(source))
            except ParameterError as error:
                problems.extend(error.problems)
                continue
            jobs.append(Job(scenario, model, source, values, Path(output_dir), Path(notebooks_dir)))
    if problems:
        raise ParameterError(problems)
    if not jobs:
        wanted = ", ".join(f"{m}.yaml" for m in (requested or [PYRAMID]))
        where = ", ".join(str(Path(parameters_dir) / s) for s in scenarios or known_scenarios)
        raise ParameterError(
            [
                Problem(
                    str(parameters_dir),
                    "",
                    f"nothing to run: looked for {wanted} in {where or 'its subfolders'}",
                )
            ]
        )
    return jobs


def check_output(output_dir: Path) -> None:
    """Check, before anything runs, that ``output_dir`` can be (or is) a writable folder.

    Nothing is created: a missing folder is checked through its nearest existing parent
    (with a probe file, created and removed, since permissions are not enforced for root).

    Raises
    ------
    ParameterError
        One line naming the path and what is wrong with it.
    """
    path = Path(output_dir)
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        what = (
            "is a file, not a folder"
            if existing == path
            else f"cannot be created: {existing} is not a folder"
        )
        raise ParameterError([Problem(str(path), "", f"output {what}")])
    try:
        _probe_write(existing)
    except OSError as error:
        reason = error.strerror or str(error)
        where = "" if existing == path else f" ({existing} is not writable)"
        raise ParameterError(
            [Problem(str(path), "", f"output folder not writable{where}: {reason}")]
        ) from None


def _probe_write(folder: Path) -> None:
    """Create and remove a file in ``folder``; raises the OSError a real write would."""
    fd, name = tempfile.mkstemp(dir=folder, prefix=".aibm-probe.")
    os.close(fd)
    os.unlink(name)


@contextlib.contextmanager
def output_lock(output_dir: Path) -> Iterator[Path]:
    """Hold an exclusive lock on ``output_dir`` (created if missing) for a batch.

    The lock is ``fcntl.flock`` on ``<output_dir>/.aibm.lock``, which holds the pid of the
    run that has it; the kernel releases it when that process ends, however it ends.

    Raises
    ------
    ParameterError
        At once, when another run holds the lock (naming it by pid) or the folder cannot
        be created.
    """
    path = Path(output_dir)
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd = os.open(path / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        raise ParameterError([Problem(str(path), "", f"cannot use the output folder: {error}")]) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            other = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise ParameterError(
                [
                    Problem(
                        str(path),
                        "",
                        f"another aibm run (pid {other}) is writing to this output folder; "
                        "wait for it to finish or choose another --output",
                    )
                ]
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield path
    finally:
        os.close(fd)  # releases the lock; the file stays (removing it would race a waiting run)


def execute(job: Job) -> Outcome:
    """Run one job: papermill, then HTML export; publish files only when complete.

    Every file is written under a temporary name carrying the batch's ``run_id`` and renamed
    into place at the end. A failed run keeps its notebook (the cell that failed is named in
    the outcome's message) and loses its results and report, so nothing stale looks current.
    The kernel never sees :data:`~aibm_core.config.LIVE_ENV`: a report holds static charts
    even when the batch is started from a live session.
    """
    import papermill

    os.environ.pop(LIVE_ENV, None)  # kernels inherit this worker's environment

    from aibm_core.report import export_html

    if not job.run_id:
        job = replace(job, run_id=new_run_id())
    start = time.perf_counter()
    job.folder.mkdir(parents=True, exist_ok=True)
    _CURRENT[:] = [job]  # what a worker stopped by Ctrl-C cleans up
    partial_nb, partial_json, partial_html = (job.partial(s) for s in (".ipynb", ".json", ".html"))
    settings = {"scenario": job.scenario, "results_path": str(partial_json)}
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
    from aibm_core import warm_kernel

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
    import nbformat

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
    import nbformat

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
    from aibm_core.report import export_html

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


def run(
    jobs: Sequence[Job],
    workers: int | None = None,
    progress: bool = True,
    executor: str = "local",
    scheduler: str | None = None,
) -> list[Outcome]:
    """Execute jobs in parallel worker processes; results in job order.

    The model notebooks run first; the pyramid comparisons, which read the models' results, run
    after them. On Ctrl-C the batch stops within seconds: the outcomes of the jobs that did not
    finish have ``interrupted`` set, and no temporary file of the batch remains.

    Parameters
    ----------
    jobs
        What :func:`plan` listed (or part of it).
    workers
        Parallel processes (default: one per core; a local Dask cluster: 2).
    progress
        Show a progress bar.
    executor
        ``"local"`` (a process pool on this machine) or ``"dask"`` (a Dask cluster: the jobs'
        files travel with them and their outputs come back here, see :func:`execute_remote`).
    scheduler
        Address of the Dask scheduler; ``None`` starts a local cluster for the run.
    """
    if executor not in EXECUTORS:
        raise ValueError(f"unknown executor {executor!r}; expected one of {', '.join(EXECUTORS)}")
    if not jobs:
        return []
    run_id = new_run_id()
    jobs = [job if job.run_id else replace(job, run_id=run_id) for job in jobs]
    models = [j for j in jobs if j.model != PYRAMID]
    pyramids = [j for j in jobs if j.model == PYRAMID]
    with _batches(executor, workers, scheduler, len(jobs)) as run_batch:
        first = run_batch(models, progress)
        if any(o.interrupted for o in first):
            return first + [
                Outcome(j, False, 0.0, "not started (interrupted)", interrupted=True) for j in pyramids
            ]
        return first + run_batch(pyramids, progress)


@contextlib.contextmanager
def _batches(
    executor: str, workers: int | None, scheduler: str | None, size: int
) -> Iterator[Callable[[Sequence[Job], bool], list[Outcome]]]:
    """What runs one batch of jobs: one process pool (or one Dask client) for the whole run.

    The pool's workers and their warm kernels serve the model notebooks and then the pyramid
    comparisons, so the second batch does not pay for new workers, kernels and imports again.
    """
    if executor == "local":
        workers = max(1, min(workers or os.cpu_count() or 1, size))
        pools: list[ProcessPoolExecutor] = []
        cache = tempfile.TemporaryDirectory(prefix="aibm-results-")

        def run_local(jobs: Sequence[Job], progress: bool) -> list[Outcome]:
            if not pools or getattr(pools[-1], "_broken", False):  # a crashed worker breaks a pool
                spawn = get_context("spawn")
                pools.append(
                    ProcessPoolExecutor(
                        workers, mp_context=spawn, initializer=_worker_init, initargs=(cache.name,)
                    )
                )
            return _run_batch(jobs, pools[-1], progress)

        try:
            yield run_local
        except BaseException:
            for pool in pools:
                pool.shutdown(wait=False, cancel_futures=True)
            cache.cleanup()
            raise
        for pool in pools:
            pool.shutdown()
        cache.cleanup()
        return
    from aibm_core import dask_executor  # only when asked for: it imports Dask

    with dask_executor.dask_client(scheduler, workers) as client:
        yield lambda jobs, progress: dask_executor.run_batch(jobs, client, progress)


def _run_batch(jobs: Sequence[Job], pool: ProcessPoolExecutor, progress: bool) -> list[Outcome]:
    """Run jobs on the pool's workers; on Ctrl-C stop the pool (:func:`_stop`)."""
    if not jobs:
        return []
    outcomes: dict[int, Outcome] = {}
    futures: dict[Future, int] = {}
    try:
        _compute_results(jobs, pool, progress)
        futures.update((pool.submit(execute, job), i) for i, job in enumerate(jobs))
        for i, outcome in track_outcomes(as_completed(futures), futures, jobs, progress):
            outcomes[i] = outcome
    except KeyboardInterrupt:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the cleanup
        try:
            _stop(pool, futures, outcomes, jobs)
        finally:
            signal.signal(signal.SIGINT, previous)
    return [outcomes[i] for i in range(len(jobs))]


def _compute_results(jobs: Sequence[Job], pool: ProcessPoolExecutor, progress: bool) -> None:
    """Compute the results every job reads in the pool, before any notebook runs.

    A model job reads its model's results; a pyramid comparison reads every model's results in
    its scenario. Runs that give a model the same values share one computation; the workers keep
    the results in the batch's cache (:mod:`aibm_core.results_cache`), where the notebooks, the
    pyramid comparisons and the exports find them. Results that cannot be computed (bad values,
    a model error) are left to the notebook, which reports the failure with its cell.
    """
    unique: dict[tuple[str, str], tuple[str, str, dict[str, Any]]] = {}
    for model, scenario, values in _results_read(jobs):
        unique.setdefault((model, json.dumps(values, sort_keys=True, default=str)), (model, scenario, values))
    if not unique:
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, disable=not progress, transient=False) as bar:
        task = bar.add_task("computing results", total=len(unique))
        for future in as_completed([pool.submit(compute_results, *run) for run in unique.values()]):
            with contextlib.suppress(Exception):  # the notebook computes and reports it
                future.result()
            bar.advance(task)


def _results_read(jobs: Sequence[Job]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """``(model, scenario, values)`` of every model run the jobs read."""
    for job in jobs:
        if job.model != PYRAMID:
            yield job.model, job.scenario, job.values
            continue
        folder = Path(job.values.get("parameters_dir") or job.parameters_file.parent)
        for model in model_names():
            with contextlib.suppress(ParameterError):
                yield model, job.scenario, scenario_values(folder, job.scenario, model)


def compute_results(model: str, scenario: str, values: dict[str, Any]) -> None:
    """Compute (or find) one model's results on ``values`` in this worker's results cache."""
    from aibm_core.results_cache import computed

    spec = get_model(model)
    try:
        params = validate(spec.params, values)
    except ParameterError:
        return
    computed(spec, params, scenario)


def _stop(
    pool: ProcessPoolExecutor, futures: dict[Future, int], outcomes: dict[int, Outcome], jobs: Sequence[Job]
) -> None:
    """Cancel what has not started, stop the workers (and their kernels), remove temporary files."""
    for future in futures:
        future.cancel()
    processes = list(getattr(pool, "_processes", {}).values())  # no public API lists a pool's workers
    for process in processes:
        with contextlib.suppress(Exception):
            process.terminate()  # the worker kills its kernel and removes its files (_worker_stop)
    deadline = time.monotonic() + STOP_SECONDS
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join(1.0)
    pool.shutdown(wait=False, cancel_futures=True)
    settle_interrupted(futures, outcomes, jobs)


def settle_interrupted(
    futures: dict[Any, int],
    outcomes: dict[int, Outcome],
    jobs: Sequence[Job],
    receive: Callable[[Job, Any], Outcome] | None = None,
) -> None:
    """After Ctrl-C: an outcome for every job (finished, or interrupted), no temporary file left.

    ``receive`` turns a finished future's result into the job's outcome (default: the result).
    """
    for future, i in futures.items():
        if i in outcomes:
            continue
        done = future.done() and not future.cancelled() and future.exception() is None
        started = getattr(future, "running", lambda: False)() or future.done()  # Dask's have no running()
        outcomes[i] = (
            (receive(jobs[i], future.result()) if receive else future.result())
            if done
            else Outcome(
                jobs[i],
                False,
                0.0,
                "interrupted" if started else "not started (interrupted)",
                interrupted=True,
            )
        )
    for folder, run_id in {(j.folder, j.run_id) for j in jobs}:
        for path in folder.glob(f".*{run_id}*"):  # partial files and write_atomic's temporaries
            with contextlib.suppress(OSError):
                path.unlink()


#: The job a worker process is running (for :func:`_worker_stop`).
_CURRENT: list[Job] = []


def _worker_init(results_cache: str = "") -> None:
    """Set up a worker: Ctrl-C is the main process's to handle; SIGTERM stops the worker cleanly;
    results are kept in (and read from) the batch's ``results_cache`` folder; notebooks run on a
    warm kernel (:mod:`aibm_core.warm_kernel`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _worker_stop)
    os.environ.pop(LIVE_ENV, None)  # before the warm kernel starts: it inherits the environment
    if results_cache:
        from aibm_core.results_cache import CACHE_ENV

        os.environ[CACHE_ENV] = results_cache
    from aibm_core import warm_kernel

    warm_kernel.enable(KERNEL_NAME)  # one kernel per worker, reused by its notebooks


def _worker_stop(signum: int, _frame: Any) -> None:
    """Kill this worker's kernels (their own sessions, so not reached otherwise), remove its files, exit."""
    for pid in _descendants(os.getpid()):
        with contextlib.suppress(OSError):
            if os.getpgid(pid) == pid:  # a kernel leads its own session: kill what it started too
                os.killpg(pid, signal.SIGKILL)
            os.kill(pid, signal.SIGKILL)
    for job in _CURRENT:
        _remove_partials(job)
    os._exit(128 + signum)


def _remove_partials(job: Job) -> None:
    """Remove a job's temporary files (:meth:`Job.partial` and ``write_atomic``'s)."""
    for path in job.folder.glob(f"*.{job.model}.{job.run_id}.partial*"):
        with contextlib.suppress(OSError):
            path.unlink()


def _descendants(pid: int) -> list[int]:
    """Process ids of every descendant of ``pid``."""
    try:
        import psutil

        return [p.pid for p in psutil.Process(pid).children(recursive=True)]
    except ImportError:  # pragma: no cover - psutil comes with ipykernel
        pass
    except Exception:
        return []
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        found += children
        todo += children
    return found


def track_outcomes(
    done: Iterable,
    futures: dict,
    jobs: Sequence[Job],
    show: bool,
    receive: Callable[[Job, Any], Outcome] | None = None,
):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        disable=not show,
        transient=False,
    ) as bar:
        task = bar.add_task("running notebooks", total=len(jobs))
        for future in done:
            i = futures[future]
            try:
                outcome = receive(jobs[i], future.result()) if receive else future.result()
            except Exception as error:  # a worker process died: what it had begun is left behind
                _remove_partials(jobs[i])
                outcome = Outcome(jobs[i], False, 0.0, f"worker crashed: {type(error).__name__}: {error}")
            bar.advance(task)
            yield i, outcome
