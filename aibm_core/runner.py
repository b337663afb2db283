"""Batch execution of the notebooks with papermill, one worker process per run.

Every parameter file is validated before any kernel starts. Each run writes its
executed notebook, HTML report and results JSON under ``<output>/<scenario>/`` by
way of temporary files, so a reader never sees half a file; a failed run keeps its
partial notebook and does not stop the others.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import zmq

from aibm_core.config import NOTEBOOKS_DIR
from aibm_core.models import get_model, model_names
from aibm_core.params import RUN_SETTINGS, ParameterError, Problem, validate
from aibm_core.results import from_json_number
from aibm_core.scenarios import available_scenarios as _available_scenarios
from aibm_core.scenarios import scenario_files, scenario_models, scenario_values

KERNEL_NAME = "python3"
KERNEL_START_ATTEMPTS = 3
#: The comparison notebook run after every scenario's models (reads their results, not notebooks).
PYRAMID = "pyramid_comparison"
#: Longest a single cell may run (s): a hung kernel becomes a failed run, not a stuck batch.
CELL_TIMEOUT_SECONDS = 600


@dataclass(frozen=True)
class Job:
    """One notebook execution: a model under a scenario."""

    scenario: str
    model: str
    parameters_file: Path  # the scenario's own file, or the nearest overlaid scenario's
    values: dict[str, Any]
    output_dir: Path
    notebooks_dir: Path = NOTEBOOKS_DIR

    @property
    def folder(self) -> Path:
        """Folder of this run's outputs."""
        return self.output_dir / self.scenario

    def path(self, suffix: str) -> Path:
        """Final output path with the given suffix (``.ipynb``, ``.html``, ``.json``)."""
        return self.folder / f"{self.model}{suffix}"


@dataclass
class Outcome:
    """What happened to one job."""

    job: Job
    ok: bool
    seconds: float
    message: str = ""
    gross_margin: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


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
        if compare:
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
    return jobs


def execute(job: Job) -> Outcome:
    """Run one job: papermill, then HTML export; publish files only when complete."""
    import papermill

    from aibm_core.report import export_html

    start = time.perf_counter()
    job.folder.mkdir(parents=True, exist_ok=True)
    partial_nb = job.folder / f".{job.model}.partial.ipynb"
    partial_json = job.folder / f".{job.model}.partial.json"
    settings = {"scenario": job.scenario, "results_path": str(partial_json)}
    assert set(settings) == set(RUN_SETTINGS)
    name = "Pyramid comparison" if job.model == PYRAMID else get_model(job.model).title
    title = f"{name} — {job.scenario} scenario"
    try:
        _papermill_with_retry(
            papermill, job.notebooks_dir / f"{job.model}.ipynb", partial_nb, {**job.values, **settings}
        )
    except papermill.PapermillExecutionError as error:
        first_line = (error.source or "").strip().splitlines()[:1]
        where = f"cell {error.cell_index}" + (f" ({first_line[0][:60]})" if first_line else "")
        _publish_failure(job, partial_nb, partial_json, title)
        return Outcome(job, False, time.perf_counter() - start, f"{where}: {error.ename}: {error.evalue}")
    except Exception as error:  # kernel could not start after retries, unreadable notebook...
        _publish_failure(job, partial_nb, partial_json, title)
        return Outcome(job, False, time.perf_counter() - start, f"{type(error).__name__}: {error}")
    try:
        export_html(partial_nb, job.path(".html"), title=title)
        if not partial_json.exists():
            raise RuntimeError("the notebook did not write its results file")
        os.replace(partial_json, job.path(".json"))
        os.replace(partial_nb, job.path(".ipynb"))
    except Exception as error:
        _publish_failure(job, partial_nb, partial_json, title, export=False)
        return Outcome(job, False, time.perf_counter() - start, f"report: {type(error).__name__}: {error}")
    margin = from_json_number(json.loads(job.path(".json").read_text()).get("gross_margin"))
    return Outcome(job, True, time.perf_counter() - start, gross_margin=margin)


def _papermill_with_retry(papermill: Any, source: Path, target: Path, parameters: dict[str, Any]) -> None:
    """Execute a notebook, retrying only when the kernel fails to start (port races)."""
    for attempt in range(1, KERNEL_START_ATTEMPTS + 1):
        try:
            papermill.execute_notebook(
                str(source),
                str(target),
                parameters=parameters,
                kernel_name=KERNEL_NAME,
                progress_bar=False,
                log_output=False,
                request_save_on_cell_execute=True,
                execution_timeout=CELL_TIMEOUT_SECONDS,
            )
            return
        except papermill.PapermillExecutionError:
            raise
        except (RuntimeError, TimeoutError, zmq.ZMQError) as error:
            # "Kernel died before replying", "Address already in use" (papermill#511), start timeouts
            message = str(error).lower()
            if (
                not ("kernel" in message or "address already in use" in message)
                or attempt == KERNEL_START_ATTEMPTS
            ):
                raise
            time.sleep(0.5 * attempt)


def _publish_failure(job: Job, partial_nb: Path, partial_json: Path, title: str, export: bool = True) -> None:
    """Keep the partial notebook (and its HTML), drop results that would be stale."""
    from aibm_core.report import export_html

    partial_json.unlink(missing_ok=True)
    job.path(".json").unlink(missing_ok=True)
    job.path(".html").unlink(missing_ok=True)
    if partial_nb.exists():
        os.replace(partial_nb, job.path(".ipynb"))
        if export:
            try:
                export_html(job.path(".ipynb"), job.path(".html"), title=f"{title} (FAILED)")
            except Exception:  # the failure itself is already reported
                pass


def run(jobs: Sequence[Job], workers: int | None = None, progress: bool = True) -> list[Outcome]:
    """Execute jobs in parallel worker processes; results in job order.

    The model notebooks run first; the pyramid comparisons, which read the models' results, run
    after them.
    """
    models = [j for j in jobs if j.model != PYRAMID]
    pyramids = [j for j in jobs if j.model == PYRAMID]
    return _run_batch(models, workers, progress) + _run_batch(pyramids, workers, progress)


def _run_batch(jobs: Sequence[Job], workers: int | None, progress: bool) -> list[Outcome]:
    if not jobs:
        return []
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs) or 1))
    outcomes: dict[int, Outcome] = {}
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        futures = {pool.submit(execute, job): i for i, job in enumerate(jobs)}
        for i, outcome in _progress(as_completed(futures), futures, jobs, progress):
            outcomes[i] = outcome
    return [outcomes[i] for i in range(len(jobs))]


def _progress(done: Iterable, futures: dict, jobs: Sequence[Job], show: bool):
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
                outcome = future.result()
            except Exception as error:  # a worker process died
                outcome = Outcome(jobs[i], False, 0.0, f"worker crashed: {type(error).__name__}: {error}")
            bar.advance(task)
            yield i, outcome
