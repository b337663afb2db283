"""``aibm run --executor dask``: the batch's jobs on a Dask distributed cluster.

Workers need only the installed package (whose wheel carries the shipped scenarios the notebooks
read, see :func:`aibm_core.core.config.shipped_parameters_dir`): each job carries its notebook and
its scenario's parameter files to the worker, runs there in a temporary folder, and sends its
output files back; this process writes them into the output folder, all or none, as a local run
does. No shared file system is assumed. A job folder left by a worker that was killed mid-job is
removed by the next job on that machine.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import socket
import tempfile
import threading
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from aibm_core.analysis import stack
from aibm_core.batch.execution import execute
from aibm_core.batch.incremental import chain_folders, scenario_inputs
from aibm_core.batch.jobs import (
    OUTPUT_SUFFIXES,
    PYRAMID,
    Job,
    Outcome,
    settle_interrupted,
    signals_held,
    track_outcomes,
)
from aibm_core.core.params import ParameterError, Problem
from aibm_core.core.yaml_loading import echo, shorten
from aibm_core.models import model_names

#: Worker processes of the local Dask cluster started when no scheduler address is given.
DASK_LOCAL_WORKERS = 2
#: Longest wait (s) to connect to a Dask scheduler.
DASK_CONNECT_SECONDS = 30


def require_dask() -> None:
    """Raise a one-line :class:`ParameterError` when Dask's distributed scheduler is not installed."""
    try:
        import dask.distributed  # noqa: F401
    except ImportError:
        raise ParameterError(
            [Problem("", "", "--executor dask needs Dask, which is not installed: pip install 'aibm[dask]'")]
        ) from None


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, workers: int | None = None) -> Iterator[Any]:
    """A Dask client of the scheduler at ``scheduler``, or of a local cluster started for the run.

    Parameters
    ----------
    scheduler
        Address of a running scheduler (``tcp://host:8786``); ``None`` starts a local cluster
        of ``workers`` processes (default :data:`DASK_LOCAL_WORKERS`), one job at a time each.
    workers
        Processes of the local cluster (ignored with a scheduler).

    Raises
    ------
    ParameterError
        When Dask is not installed or the scheduler cannot be reached.
    """
    require_dask()

    from dask.distributed import (  # the dask extra: optional, imported only with --executor dask
        Client,
        LocalCluster,
    )

    if scheduler:
        with connect(scheduler, Client) as client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=workers or DASK_LOCAL_WORKERS,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def connect(scheduler: str, client_class: Any, seconds: float | None = None) -> Any:
    """A client of the scheduler at ``scheduler``, connected within ``seconds`` or refused in one line.

    Dask's own ``timeout`` bounds reaching the address, not the handshake after it: a service
    that accepts and never answers would hold the run indefinitely, and one that answers
    something else (a web server) fails deep inside Dask's protocol (reading its reply as a
    message length, it tries to allocate exabytes). The connection is therefore made in a
    daemon thread, waited for at most ``seconds``; whatever fails becomes a :class:`ParameterError`.

    Parameters
    ----------
    scheduler
        The scheduler's address (``tcp://host:8786``).
    client_class
        ``dask.distributed.Client`` (a parameter, so that Dask is imported only when used).
    seconds
        The deadline (default :data:`DASK_CONNECT_SECONDS`).

    Raises
    ------
    ParameterError
        One line naming the address and what went wrong: no answer in time, or the error.
    """
    seconds = DASK_CONNECT_SECONDS if seconds is None else seconds
    done: dict[str, Any] = {}

    def attempt() -> None:
        try:
            done["client"] = client_class(scheduler, timeout=seconds)
        except BaseException as error:  # reported in the main thread
            done["error"] = error

    thread = threading.Thread(target=attempt, name="aibm-dask-connect", daemon=True)
    thread.start()
    thread.join(seconds + 1.0)
    if "client" in done:
        return done["client"]
    if thread.is_alive():
        why = f"no answer from a Dask scheduler within {seconds:g} s (is it a Dask scheduler?)"
    else:
        error = done.get("error")
        reason = shorten(f"{type(error).__name__}: {error}".replace("\n", " "), 200)
        if isinstance(error, MemoryError):  # a reply's first bytes read as a message length
            reason = "it answered in another protocol than Dask's (a web server?)"
        why = f"not a Dask scheduler, or it cannot be reached: {reason}"
    raise ParameterError([Problem("", "--scheduler", f"{echo(scheduler)}: {why}")])


def job_files(job: Job) -> dict[str, bytes]:
    """The files a job needs on a machine that has only the package, by path relative to its folder.

    The notebook (``notebooks/<model>.ipynb``) and the parameter files of its scenario's overlay
    chain (``parameters/...``) that the run reads itself: every model's for the pyramid
    comparison, the models a model buys from (its linked drivers read their results) for a model.
    """
    files = {f"notebooks/{job.source.name}": job.source.read_bytes()}
    if "parameters_dir" in job.values:
        root = Path(job.values["parameters_dir"])
        models = model_names() if job.model == PYRAMID else [job.model, *stack.upstream(job.model)]
        for path in scenario_inputs(chain_folders(root, job.scenario), models):
            files[f"parameters/{path.relative_to(root).as_posix()}"] = path.read_bytes()
    return files


#: Start of a job's temporary folder on a worker: ``aibm-job-<host>-<pid>-<random>``.
JOB_FOLDER_PREFIX = "aibm-job-"


def _job_folder_pattern(host: str) -> re.Pattern[str]:
    """Names of this host's job folders; the group is the pid of the worker process that made it."""
    return re.compile(rf"^{re.escape(JOB_FOLDER_PREFIX)}{re.escape(host)}-(\d+)-")


@contextlib.contextmanager
def job_folder() -> Iterator[Path]:
    """A job's temporary folder, removed when the job ends; folders of killed workers are removed first.

    The folder is named after this host and this process (``aibm-job-<host>-<pid>-...``), so
    that a later job can tell a folder whose worker was killed mid-job (SIGKILL, out of memory:
    no clean-up ran) from one in use (:func:`remove_orphaned_job_folders`).
    """
    remove_orphaned_job_folders()
    host = socket.gethostname()
    with tempfile.TemporaryDirectory(prefix=f"{JOB_FOLDER_PREFIX}{host}-{os.getpid()}-") as folder:
        yield Path(folder)


def remove_orphaned_job_folders(folder: Path | None = None) -> list[Path]:
    """Remove the job folders this host's killed worker processes left in ``folder``; the ones removed.

    A job folder is orphaned when the process named in it no longer runs. Folders of other hosts
    (a temporary folder shared between machines) and of running processes are left alone.

    Parameters
    ----------
    folder
        Where job folders are made (default: the temporary folder, :func:`tempfile.gettempdir`).
    """
    pattern = _job_folder_pattern(socket.gethostname())
    removed = []
    for path in Path(folder or tempfile.gettempdir()).glob(f"{JOB_FOLDER_PREFIX}*"):
        match = pattern.match(path.name)
        if match and path.is_dir() and not path.is_symlink() and not _running(int(match.group(1))):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _running(pid: int) -> bool:
    """Whether a process with id ``pid`` runs on this machine (a zombie counts as ended)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    with contextlib.suppress(OSError):
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    return True


def execute_remote(job: Job, files: dict[str, bytes]) -> tuple[Outcome, dict[str, bytes]]:
    """Run a job in a temporary folder (on a Dask worker) and return its outcome and output files.

    Parameters
    ----------
    job
        The job as planned on the client; its folders are not used here.
    files
        What :func:`job_files` gathered, written under the temporary folder before the run.

    Returns
    -------
    tuple
        The outcome (naming the client's job) and the files the run published, by suffix
        (``.json``, ``.html``, ``.ipynb``; a failed run has no ``.json``).
    """
    with job_folder() as root:
        for name, data in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        values = dict(job.values)
        if "parameters_dir" in values:
            values["parameters_dir"] = str(root / "parameters")
        here = replace(job, output_dir=root / "outputs", notebooks_dir=root / "notebooks", values=values)
        outcome = execute(here)
        produced = {s: here.path(s).read_bytes() for s in OUTPUT_SUFFIXES if here.path(s).is_file()}
    return replace(outcome, job=job), produced


def _publish_remote(job: Job, result: tuple[Outcome, dict[str, bytes]]) -> Outcome:
    """Write a remote run's files into the output folder, all or none, as :func:`execute` does.

    Outputs the run did not produce are removed (a failed run leaves no results or report that
    would look current).
    """
    outcome, produced = result
    try:
        job.folder.mkdir(parents=True, exist_ok=True)
        for suffix, data in produced.items():
            job.partial(suffix).write_bytes(data)
        for suffix in OUTPUT_SUFFIXES:
            if suffix in produced:
                os.replace(job.partial(suffix), job.path(suffix))
            else:
                job.path(suffix).unlink(missing_ok=True)
    except OSError as error:  # a full disk in the output folder
        for path in [*(job.partial(s) for s in OUTPUT_SUFFIXES), job.path(".json"), job.path(".html")]:
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
        return replace(outcome, ok=False, message=f"report: {type(error).__name__}: {error}")
    return outcome


def run_batch(jobs: Sequence[Job], client: Any, progress: bool) -> list[Outcome]:
    """Run jobs on a Dask cluster; their files come back to this process, which publishes them."""
    from dask.distributed import (
        as_completed as dask_completed,  # the dask extra: optional, imported only with --executor dask
    )

    if not jobs:
        return []
    futures = {
        client.submit(execute_remote, job, job_files(job), key=f"aibm-{job.run_id}-{i}", pure=False): i
        for i, job in enumerate(jobs)
    }
    outcomes: dict[int, Outcome] = {}
    try:
        for i, outcome in track_outcomes(dask_completed(futures), futures, jobs, progress, _publish_remote):
            outcomes[i] = outcome
    except KeyboardInterrupt:  # Ctrl-C, or SIGTERM / SIGHUP (:class:`~aibm_core.batch.jobs.Stopped`)
        with signals_held():  # a second signal must not cut the cleanup
            client.cancel(list(futures), force=True)  # a running job stops when its cluster does
            settle_interrupted(futures, outcomes, jobs, _publish_remote)
    return [outcomes[i] for i in range(len(jobs))]
