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
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from aibm_core.analysis import stack
from aibm_core.analysis.results_cache import CACHE_ENV
from aibm_core.analysis.scenarios import available_scenarios as _available_scenarios
from aibm_core.analysis.scenarios import (
    case_model,
    name_problem,
    scenario_files,
    scenario_models,
    scenario_values,
)
from aibm_core.batch import dask_executor  # only when asked for: it imports Dask
from aibm_core.batch.execution import _CURRENT, compute_results, execute, new_run_id
from aibm_core.batch.jobs import (
    EXECUTORS,
    KERNEL_NAME,
    PYRAMID,
    Job,
    Outcome,
    progress_bar,
    remove_partials,
    settle_interrupted,
    signals_held,
    track_outcomes,
)
from aibm_core.core.config import LIVE_ENV, NOTEBOOKS_DIR
from aibm_core.core.params import ParameterError, Problem, validate
from aibm_core.models import get_model, model_names

#: File in the output folder locked (``flock``) for the whole of a batch.
LOCK_FILE = ".aibm.lock"
#: Longest wait (s) for stopped workers to exit before they are killed.
STOP_SECONDS = 5.0


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
    file for: they take the values of the scenario it overlays (:mod:`aibm_core.analysis.scenarios`).
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
    for scenario in scenarios or known_scenarios:
        if (long_name := name_problem(parameters_dir, scenario)) is not None:
            problems.append(long_name)
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
        if compare and present and case_model(parameters_dir, scenario) is None:  # a case runs only its model
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
                values = {
                    **scenario_values(parameters_dir, scenario, model),
                    "parameters_dir": str(parameters_dir),
                }
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
        computed: set[tuple[str, str]] = set()  # runs whose results the batch's cache holds
        cache = tempfile.TemporaryDirectory(prefix="aibm-results-")

        def run_local(jobs: Sequence[Job], progress: bool) -> list[Outcome]:
            if not pools or getattr(pools[-1], "_broken", False):  # a crashed worker breaks a pool
                spawn = get_context("spawn")
                pools.append(
                    ProcessPoolExecutor(
                        workers, mp_context=spawn, initializer=_worker_init, initargs=(cache.name,)
                    )
                )
            return _run_batch(jobs, pools[-1], progress, computed)

        try:
            yield run_local
        except BaseException:  # stopped between batches (a signal), or a failure: no worker outlives it
            with signals_held():
                for pool in pools:
                    _stop_workers(pool)
                cache.cleanup()
            raise
        for pool in pools:
            pool.shutdown()
        cache.cleanup()
        return

    with dask_executor.dask_client(scheduler, workers) as client:
        yield lambda jobs, progress: dask_executor.run_batch(jobs, client, progress)


def _run_batch(
    jobs: Sequence[Job], pool: ProcessPoolExecutor, progress: bool, computed: set[tuple[str, str]]
) -> list[Outcome]:
    """Run jobs on the pool's workers; on Ctrl-C stop the pool (:func:`_stop`)."""
    if not jobs:
        return []
    outcomes: dict[int, Outcome] = {}
    futures: dict[Future, int] = {}
    try:
        _compute_results(jobs, pool, progress, computed)
        futures.update((pool.submit(execute, job), i) for i, job in enumerate(jobs))
        for i, outcome in track_outcomes(as_completed(futures), futures, jobs, progress):
            outcomes[i] = outcome
    except KeyboardInterrupt:  # Ctrl-C, or SIGTERM / SIGHUP (:class:`~aibm_core.batch.jobs.Stopped`)
        with signals_held():  # a second signal must not cut the cleanup
            _stop(pool, futures, outcomes, jobs)
    return [outcomes[i] for i in range(len(jobs))]


def _compute_results(
    jobs: Sequence[Job], pool: ProcessPoolExecutor, progress: bool, done: set[tuple[str, str]]
) -> None:
    """Compute the results every job reads in the pool, before any notebook runs.

    A model job reads its model's results; a pyramid comparison reads every model's results in
    its scenario. Runs that give a model the same values share one computation; the workers keep
    the results in the batch's cache (:mod:`aibm_core.analysis.results_cache`), where the notebooks, the
    pyramid comparisons and the exports find them. Results that cannot be computed (bad values,
    a model error) are left to the notebook, which reports the failure with its cell. ``done``
    holds the runs an earlier batch of the same pool already computed (the pyramid comparisons'
    batch then submits nothing the model notebooks' batch computed); it gains this batch's runs.
    """
    unique: dict[tuple[str, str], tuple[str, str, dict[str, Any]]] = {}
    for model, scenario, values in _results_read(jobs):
        key = (model, json.dumps(values, sort_keys=True, default=str))
        if key not in done:
            unique.setdefault(key, (model, scenario, values))
    done.update(unique)
    if not unique:
        return
    waves: dict[int, list[tuple[str, str, dict[str, Any]]]] = {}
    for run in unique.values():
        waves.setdefault(stack.depth(run[0]), []).append(run)
    with progress_bar(progress) as bar:
        task = bar.add_task("computing results", total=len(unique))
        for level in sorted(waves):  # sellers first: a buyer's links read their results
            for future in as_completed([pool.submit(compute_results, *run) for run in waves[level]]):
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
                values = scenario_values(folder, job.scenario, model)
                yield model, job.scenario, {**values, "parameters_dir": str(folder)}


def _stop(
    pool: ProcessPoolExecutor, futures: dict[Future, int], outcomes: dict[int, Outcome], jobs: Sequence[Job]
) -> None:
    """Cancel what has not started, stop the workers (and their kernels), remove temporary files."""
    for future in futures:
        future.cancel()
    _stop_workers(pool)
    settle_interrupted(futures, outcomes, jobs)


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Stop the pool's workers (each kills its kernel and removes its files), then the pool."""
    processes = list((getattr(pool, "_processes", None) or {}).values())  # no public API lists them
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


def _worker_init(results_cache: str = "") -> None:
    """Set up a worker: Ctrl-C is the main process's to handle; SIGTERM and SIGHUP stop the worker cleanly;
    results are kept in (and read from) the batch's ``results_cache`` folder; notebooks run on a
    warm kernel (:mod:`aibm_core.batch.warm_kernel`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _worker_stop)
    signal.signal(signal.SIGHUP, _worker_stop)  # a closed terminal stops the worker as SIGTERM does
    os.environ.pop(LIVE_ENV, None)  # before the warm kernel starts: it inherits the environment
    if results_cache:
        os.environ[CACHE_ENV] = results_cache
    from aibm_core.batch import (
        warm_kernel,  # imports papermill and nbformat (seconds): not on the way of aibm run --changed
    )

    warm_kernel.enable(KERNEL_NAME)  # one kernel per worker, reused by its notebooks


def _worker_stop(signum: int, _frame: Any) -> None:
    """Kill this worker's kernels (their own sessions, so not reached otherwise), remove its files, exit."""
    for pid in _descendants(os.getpid()):
        with contextlib.suppress(OSError):
            if os.getpgid(pid) == pid:  # a kernel leads its own session: kill what it started too
                os.killpg(pid, signal.SIGKILL)
            os.kill(pid, signal.SIGKILL)
    for job in _CURRENT:
        remove_partials(job)
    os._exit(128 + signum)


def _descendants(pid: int) -> list[int]:
    """Process ids of every descendant of ``pid``."""
    try:
        import psutil  # not a declared dependency (ipykernel brings it)

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
