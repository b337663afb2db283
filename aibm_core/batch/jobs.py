"""The jobs of a batch (a model notebook under a scenario) and what became of each one.

Shared by the local runner (:mod:`aibm_core.batch.runner`), the single-job execution
(:mod:`aibm_core.batch.execution`) and the Dask executor (:mod:`aibm_core.batch.dask_executor`): the job and
its outcome, the files a run publishes, the clean-up of a run cut short and the progress bar.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aibm_core.core.config import NOTEBOOKS_DIR
from aibm_core.core.progress import progress_bar

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
#: Tag papermill gives the error banner and anchor cells it adds to a failed notebook.
PAPERMILL_ERROR_TAG = "papermill-error-cell-tag"


#: Signals that stop a batch as Ctrl-C does: the terminal closed (SIGHUP), ``kill`` (SIGTERM).
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP received: handled wherever Ctrl-C (``KeyboardInterrupt``) is.

    Parameters
    ----------
    signum
        The signal's number; the command exits with ``128 + signum``.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(f"stopped by {signal.Signals(signum).name}")
        self.signum = signum


def exit_code(error: BaseException) -> int:
    """The exit status of a command stopped by ``error``: 128 + the signal's number (130 for Ctrl-C)."""
    return 128 + getattr(error, "signum", signal.SIGINT)


@contextlib.contextmanager
def stop_on_signals() -> Iterator[list[int]]:
    """Within the block, SIGTERM and SIGHUP raise :class:`Stopped` (a ``KeyboardInterrupt``).

    Only signals left at their default action are handled (one ignored stays ignored), and only
    in the main thread (the one Python delivers signals to). A batch stopped by either is cleaned
    up exactly as after Ctrl-C: its workers and their kernels stopped, its temporary files
    removed. The previous handlers are restored afterwards.

    Yields
    ------
    list of int
        The numbers of the signals received in the block (Ctrl-C included), in order.
    """
    received: list[int] = []

    def stop(signum: int, _frame: object) -> None:
        received.append(signum)
        raise Stopped(signum)

    def interrupt(signum: int, frame: object) -> None:
        received.append(signum)
        signal.default_int_handler(signum, frame)

    previous = {}
    in_main = threading.current_thread() is threading.main_thread()
    for signum in STOP_SIGNALS if in_main else ():  # one ignored (``nohup``, a background job) stays so
        if signal.getsignal(signum) in (signal.SIG_DFL, signal.default_int_handler):
            previous[signum] = signal.signal(signum, interrupt if signum == signal.SIGINT else stop)
    try:
        yield received
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Within the block (a clean-up), Ctrl-C, SIGTERM and SIGHUP are ignored: a second one must not cut it."""
    previous = {signum: signal.signal(signum, signal.SIG_IGN) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


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


def remove_partials(job: Job) -> None:
    """Remove a job's temporary files (:meth:`Job.partial` and ``write_atomic``'s)."""
    for path in job.folder.glob(f"*.{job.model}.{job.run_id}.partial*"):
        with contextlib.suppress(OSError):
            path.unlink()


def track_outcomes(
    done: Iterable,
    futures: dict,
    jobs: Sequence[Job],
    show: bool,
    receive: Callable[[Job, Any], Outcome] | None = None,
):
    with progress_bar(show) as bar:
        task = bar.add_task("running notebooks", total=len(jobs))
        for future in done:
            i = futures[future]
            try:
                outcome = receive(jobs[i], future.result()) if receive else future.result()
            except Exception as error:  # a worker process died: what it had begun is left behind
                remove_partials(jobs[i])
                outcome = Outcome(jobs[i], False, 0.0, f"worker crashed: {type(error).__name__}: {error}")
            bar.advance(task)
            yield i, outcome
