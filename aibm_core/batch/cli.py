"""The ``aibm`` command: run the notebooks in batch, compute results, validate parameter files.

Exit codes: 0 success, 1 some runs failed, 2 bad input (never a traceback).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import signal
import sys
import time
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from aibm_core.analysis.scenarios import (
    ACTUALS_FILE,
    available_scenarios,
    is_case_file,
    is_scenario_file,
    name_problem,
    read_scenario,
    scenario_problems,
)
from aibm_core.batch.jobs import exit_code, stop_on_signals
from aibm_core.core.config import NOTEBOOKS_DIR, OUTPUTS_DIR, PARAMETERS_DIR
from aibm_core.core.errors import AibmInputError
from aibm_core.core.params import (
    ModelParams,
    ParameterError,
    Problem,
    defaults_yaml,
    read_yaml,
    stale_warnings,
    validate,
    write_defaults_yaml,
)
from aibm_core.core.yaml_loading import echo
from aibm_core.models import get_model, model_names, registry
from aibm_core.present import dashboard

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
#: What :func:`_run_batch` returns when a signal stopped the batch (:func:`_run` turns it into 128 + signal).
EXIT_INTERRUPTED = -1


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``aibm`` console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except AibmInputError as error:  # parameters, ranges, YAML files, a model's spec
        for problem in error.problems:
            print(f"error: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt as error:  # Ctrl-C, or SIGTERM / SIGHUP during `aibm run`
        print("interrupted", file=sys.stderr)
        return exit_code(error)
    except BrokenPipeError:  # the reader went away (``aibm assumptions ... | head``)
        _silence_stdout()
        return EXIT_OK


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that flushing it at exit raises no second BrokenPipeError."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _version() -> str:
    try:
        return version("aibm")
    except PackageNotFoundError:  # run from a source tree that is not installed
        return "unknown"


def _run_epilog() -> str:
    """Examples, the shipped scenarios and models, and the exit codes (``aibm run --help``)."""
    return f"""examples:
  aibm run                                  every scenario of every model, then outputs/index.html
  aibm run --scenario bear --model api_access
  aibm run --changed                        only what changed since the last run into outputs/
  aibm run --parameters my_params --output my_reports
  aibm run --executor dask --scheduler tcp://10.0.0.5:8786

scenarios in {PARAMETERS_DIR.name}/: {", ".join(available_scenarios(PARAMETERS_DIR))}
models: {", ".join(model_names())} (and pyramid_comparison, run after them)

exit codes:
  0    every run succeeded
  1    some runs failed (the summary names the cell; the others still ran)
  2    bad input: a parameter file, scenario, model or option (nothing was run)
  130  interrupted with Ctrl-C (no half-written report is left)
  143  stopped by SIGTERM, 129 by SIGHUP (cleaned up as after Ctrl-C)
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aibm", description="AI business-model workbook.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    run = sub.add_parser(
        "run",
        help="execute notebooks for scenarios and write reports",
        description="Execute the notebooks for each scenario and model; write reports, results, "
        "exports and outputs/index.html.",
        epilog=_run_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument(
        "--scenario",
        action="append",
        default=[],
        metavar="NAME",
        help="scenario folder under the parameters directory (repeatable; default: all)",
    )
    run.add_argument(
        "--model",
        action="append",
        default=[],
        metavar="NAME",
        help="business model (repeatable; default: all)",
    )
    run.add_argument(
        "--output", type=Path, default=OUTPUTS_DIR, metavar="DIR", help="output folder (default: outputs/)"
    )
    run.add_argument(
        "--parameters",
        type=Path,
        default=PARAMETERS_DIR,
        metavar="DIR",
        help="parameters folder holding <scenario>/<model>.yaml (default: parameters/)",
    )
    run.add_argument(
        "--notebooks",
        type=Path,
        default=NOTEBOOKS_DIR,
        metavar="DIR",
        help="folder holding <model>.ipynb (default: notebooks/)",
    )
    run.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="parallel worker processes (default: one per core)",
    )
    run.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    run.add_argument(
        "--no-exports",
        dest="exports",
        action="store_false",
        help="skip the exports: chart images (PNG, SVG), projection CSVs, an Excel workbook per scenario",
    )
    run.add_argument(
        "--changed",
        action="store_true",
        help="run only what changed since its last successful run into this output folder "
        "(notebook, parameter files, aibm_core, installed packages)",
    )
    run.add_argument(
        "--executor",
        choices=("local", "dask"),
        default="local",
        help="where the notebooks run: worker processes here (default) or a Dask cluster",
    )
    run.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="Dask scheduler address, e.g. tcp://host:8786 (default: a local cluster of --workers, 2)",
    )
    run.set_defaults(handler=_run)

    results = sub.add_parser(
        "results", help="compute one model's results JSON without a notebook (stdout or a file)"
    )
    results.add_argument("--model", required=True, metavar="NAME", help="business model")
    results.add_argument("--scenario", default="base", metavar="NAME", help="scenario (default: base)")
    results.add_argument(
        "--parameters",
        type=Path,
        default=PARAMETERS_DIR,
        metavar="DIR",
        help="parameters folder holding <scenario>/<model>.yaml (default: parameters/)",
    )
    results.add_argument("--output", type=Path, metavar="FILE", help="write the JSON here instead of stdout")
    results.set_defaults(handler=_results)

    check = sub.add_parser("validate", help="check parameter files (exit 2 on any problem)")
    check.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="files or folders (default: the parameters directory)",
    )
    check.set_defaults(handler=_validate)

    table = sub.add_parser("assumptions", help="print a model's assumptions with units and sources")
    table.add_argument("model")
    table.add_argument(
        "--format",
        choices=("text", "csv", "json"),
        default="text",
        help="text for reading (default), csv for a spreadsheet, json for programs",
    )
    table.set_defaults(handler=_assumptions)

    dashboard = sub.add_parser(
        "dashboard", help="serve the notebooks as live dashboards (Voila: code hidden, sliders live)"
    )
    dashboard.add_argument(
        "model", nargs="?", metavar="MODEL", help="one model's notebook (default: the notebooks folder)"
    )
    dashboard.add_argument("--port", type=int, default=8866, metavar="N", help="TCP port (default: 8866)")
    dashboard.add_argument("--no-browser", action="store_true", help="do not open a browser tab")
    _add_dashboard_scenario_options(dashboard)
    dashboard.set_defaults(handler=_dashboard)

    base = sub.add_parser(
        "base-parameters",
        help="write parameters/base/<model>.yaml from each model's schema (defaults, units, ranges)",
    )
    base.add_argument("models", nargs="*", metavar="MODEL", help="models to write (default: every model)")
    base.add_argument(
        "--parameters",
        type=Path,
        default=PARAMETERS_DIR,
        metavar="DIR",
        help="parameters folder whose base/ receives the files (default: parameters/)",
    )
    base.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 when a file is missing or out of date"
    )
    base.set_defaults(handler=_base_parameters)

    models = sub.add_parser("models", help="list the business models")
    models.set_defaults(handler=_models)
    _add_calibrate(sub)
    _add_new_parser(sub)
    return parser


def _add_new_parser(sub: Any) -> None:
    """``aibm new SCENARIO``: a scenario folder listing every assumption, commented out."""
    new = sub.add_parser(
        "new",
        help="start a scenario: a folder whose model files list every assumption, commented out",
        description="Write <parameters>/SCENARIO/scenario.yaml and, for each model, a <model>.yaml "
        "listing every assumption commented out (unit, valid range, meaning, source, a why: to fill "
        "in), so that the scenario changes nothing until a line is uncommented; then validate it.",
    )
    new.add_argument("scenario", metavar="SCENARIO", help="the new scenario's folder name")
    new.add_argument(
        "--from",
        dest="overlays",
        default="base",
        metavar="NAME",
        help="scenario to lay it over; its values are the commented ones (default: base)",
    )
    new.add_argument(
        "--model",
        action="append",
        default=[],
        metavar="NAME",
        help="model to write a file for (repeatable; default: every model)",
    )
    new.add_argument(
        "--parameters",
        type=Path,
        default=PARAMETERS_DIR,
        metavar="DIR",
        help="parameters folder to write into (default: parameters/)",
    )
    new.set_defaults(handler=_new)


def _run(args: argparse.Namespace) -> int:
    """Run the batch; 128 + the signal's number after Ctrl-C (130), SIGTERM (143) or SIGHUP (129).

    Whatever stops it, the batch's workers and kernels are stopped, no temporary file is left and
    the summary says what finished.
    """
    with stop_on_signals() as received:
        code = _run_batch(args)
    return code if code != EXIT_INTERRUPTED else 128 + (received[-1] if received else signal.SIGINT)


def _run_batch(args: argparse.Namespace) -> int:
    """The batch of :func:`_run`; :data:`EXIT_INTERRUPTED` when a signal stopped the notebooks."""
    from aibm_core.batch import (  # the run command's modules: not loaded by the others
        dask_executor,
        incremental,
        runner,
    )
    from aibm_core.present.report import (  # the run command's modules: not loaded by the others
        write_cross_scenario,
        write_index,
    )

    if args.workers is not None and args.workers < 1:
        raise ParameterError(
            [Problem("", "--workers", f"value {args.workers} is not allowed; expected >= 1")]
        )
    if args.scheduler and args.executor != "dask":
        raise ParameterError([Problem("", "--scheduler", "is used only with --executor dask")])
    if args.executor == "dask":
        dask_executor.require_dask()
    runner.check_output(args.output)  # before any file is read or kernel started
    jobs = runner.plan(args.parameters, args.output, args.scenario, args.model, args.notebooks)
    with runner.output_lock(args.output):
        prints = incremental.fingerprints(jobs, args.parameters)
        todo = incremental.changed_jobs(jobs, prints) if args.changed else jobs
        outcomes = runner.run(
            todo,
            workers=args.workers,
            progress=not args.no_progress,
            executor=args.executor,
            scheduler=args.scheduler,
        )
        try:
            incremental.record_inputs(args.output, outcomes, prints)
        except OSError as error:
            why = f"cannot record the runs' inputs ({error}); --changed will run them again"
            print(f"warning: {why}", file=sys.stderr)
        if any(o.interrupted for o in outcomes):
            _summary(outcomes)
            print("interrupted: the index was not updated", file=sys.stderr)
            return EXIT_INTERRUPTED
        failures = [(o.job.scenario, o.job.model, o.message) for o in outcomes if not o.ok]
        try:
            index = write_index(args.output, failures, parameters_dir=args.parameters)
            write_cross_scenario(args.output, parameters_dir=args.parameters)
            _warn_skipped(args.output)
        except OSError as error:  # e.g. a full disk: the reports themselves are in place
            _summary(outcomes)
            print(f"error: cannot write the index in {args.output}: {error}", file=sys.stderr)
            return EXIT_FAILED
        if args.exports:  # the scenarios run, and those whose exports are missing or incomplete
            scenarios = {o.job.scenario for o in outcomes} | set(incremental.stale_exports(args.output, jobs))
            if scenarios:  # nothing to export (--changed, all current): not even the exporters' imports
                _export(args.output, scenarios, args.parameters, args.workers, progress=not args.no_progress)
    if outcomes:
        _summary(outcomes)
    if len(todo) < len(jobs):
        print(f"skipped {len(jobs) - len(todo)} unchanged run(s)")
    print(f"index: {index}")
    return EXIT_FAILED if failures else EXIT_OK


def _warn_skipped(output: Path) -> None:
    """One warning line naming the JSON files of the output folder that the index left out."""
    from aibm_core.present.report import results_files

    skipped = results_files(output)[1]
    if skipped:
        names = ", ".join(_plain(str(path.relative_to(output))) for path in skipped)
        print(
            f"warning: left out of the index: {names} (not results of this workbook, or unreadable)",
            file=sys.stderr,
        )


def _export(
    output: Path, scenarios: set[str], parameters: Path, workers: int | None, progress: bool = False
) -> None:
    """Chart images, projection CSVs and a workbook for each scenario run; problems as warnings.

    ``progress`` shows a progress line while the scenarios are exported (as for the notebooks).
    """
    from aibm_core.batch.incremental import record_exports
    from aibm_core.present import exports as exporting  # openpyxl and altair: only when exports are written

    workers = workers or os.cpu_count() or 1
    started = time.time()
    try:
        exports = exporting.write_exports(
            output, sorted(scenarios), parameters_dir=parameters, workers=workers, progress=progress
        )
    except KeyboardInterrupt:
        for scenario in scenarios:  # an earlier run's exports must not pass for this run's
            exporting.remove_earlier_exports(output / scenario, started)
        names = ", ".join(_plain(name) for name in sorted(scenarios))
        print(
            f"interrupted: the exports of {names} may be incomplete; `aibm run --changed` rebuilds them",
            file=sys.stderr,
        )
        raise
    found = exporting.problems(exports)
    for problem in found:
        print(f"warning: export: {problem}", file=sys.stderr)
    failed = {scenario for scenario in scenarios for p in found if _within(p.source, output / scenario)}
    try:
        record_exports(output, scenarios - failed)
    except OSError as error:
        why = f"cannot record the exports ({error}); --changed will write them again"
        print(f"warning: {why}", file=sys.stderr)


def _within(path: str, folder: Path) -> bool:
    """Whether ``path`` is ``folder`` or lies under it."""
    return Path(path) == folder or folder in Path(path).parents


def _summary(outcomes: Sequence) -> None:
    """Print a table of the runs, then one unwrapped line per run that did not succeed."""
    from rich.console import Console  # only the run command prints a table
    from rich.table import Table  # only the run command prints a table
    from rich.text import Text  # only the run command prints a table

    table = Table(title="aibm run")
    for column in ("scenario", "model", "status", "seconds", "gross margin", "detail"):
        table.add_column(column, overflow="fold")
    for o in outcomes:
        margin = "" if o.gross_margin is None else f"{o.gross_margin:.1%}"
        status = (
            "[green]ok[/green]"
            if o.ok
            else "[yellow]INTERRUPTED[/yellow]"
            if o.interrupted
            else "[red]FAILED[/red]"
        )
        detail = str(o.job.path(".html")) if o.ok else o.message
        # names and messages are the user's text: shown as they are, never read as markup or emoji
        user = (Text(_plain(text)) for text in (o.job.scenario, o.job.model))
        table.add_row(*user, status, f"{o.seconds:.1f}", margin, Text(_plain(detail)))
    Console(width=160).print(table)
    for o in outcomes:  # in full, whatever the terminal's width
        if not o.ok:
            state = "INTERRUPTED" if o.interrupted else "FAILED"
            print(f"{state} {_plain(o.job.scenario)}/{_plain(o.job.model)}: {_plain(o.message)}")
    if any(o.interrupted for o in outcomes):
        finished = sum(not o.interrupted for o in outcomes)
        print(f"interrupted: {finished} of {len(outcomes)} run(s) finished")


def _plain(text: str) -> str:
    """``text`` on one line with control characters escaped (an ANSI escape in a folder name
    or a message is shown as ``\\x1b``, never sent to the terminal)."""
    text = str(text)
    return text if text.isprintable() else "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _check_model_and_scenario(args: argparse.Namespace, model_key: str) -> None:
    """Refuse an unknown model, a missing parameters folder or an unknown scenario, one line each.

    ``model_key`` names the argument the model was given as (``--model`` or ``MODEL``).
    """
    if args.model not in model_names():
        why = f"unknown model {echo(args.model)}; available: {', '.join(model_names())}"
        raise ParameterError([Problem("", model_key, why)])
    if not args.parameters.is_dir():
        raise ParameterError([Problem(str(args.parameters), "--parameters", "no such parameters folder")])
    known = available_scenarios(args.parameters)
    if args.scenario not in known:  # a folder name inside the parameters folder, never a path
        why = f"unknown scenario {echo(args.scenario)}; expected one of: {', '.join(known) or '(none)'}"
        raise ParameterError([Problem("", "--scenario", why)])


def _results(args: argparse.Namespace) -> int:
    from aibm_core.analysis.results import to_json, write_results  # the results command's only
    from aibm_core.analysis.results_cache import model_results  # the results command's only

    _check_model_and_scenario(args, "--model")
    if args.output is not None and args.output.is_dir():
        raise ParameterError([Problem(str(args.output), "--output", "is a folder; give the name of a file")])
    payload = model_results(args.model, args.scenario, args.parameters)
    if args.output is None:
        sys.stdout.write(to_json(payload))
        return EXIT_OK
    try:
        write_results(payload, args.output)
    except OSError as error:
        why = f"cannot write the results: {error.strerror or error}"
        raise ParameterError([Problem(str(args.output), "--output", why)]) from None
    print(f"results: {args.output}")
    return EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    files, problems = _files_to_validate(args.paths or [PARAMETERS_DIR])
    long_names = {name_problem(p.parent.parent, p.parent.name) for p in files} - {None}
    problems.extend(sorted(long_names, key=str))
    seen = set(problems)  # a problem met again (a scenario.yaml read for each file) is listed once

    def add(found: Sequence[Problem]) -> None:
        new = [p for p in dict.fromkeys(found) if p not in seen]
        problems.extend(new)
        seen.update(new)

    warnings: dict[str, None] = {}  # in order, each once
    for path in files:
        if path.name == ACTUALS_FILE:  # a scenario's actuals: rows of its models
            add(_actuals_problems(path))
            continue
        if path.suffix != ".yaml":
            problems.append(_misnamed(path))
            continue
        if is_scenario_file(path):  # a scenario's description and overlay chain, not a model file
            add(scenario_problems(path.parent.parent, path.parent.name))
            continue
        if is_case_file(path):  # a company case: its sources, fitted drivers and disclosed figures
            from aibm_core.analysis.cases import case_problems  # only a case needs it

            add(case_problems(path.parent.parent, path.parent.name))
            continue
        if path.stem not in model_names():
            problems.append(
                Problem(str(path), "", f"the file name must be a model name: {', '.join(model_names())}")
            )
            continue
        try:
            params = validate(get_model(path.stem).params, read_scenario(path), source=str(path))
        except ParameterError as error:
            add(error.problems)
        else:
            warnings.update(dict.fromkeys(_old_sources(path, params)))
    if problems:
        raise ParameterError(problems)
    for line in warnings:
        print(f"warning: {line}")
    print(f"{len(files)} parameter file(s) valid")
    return EXIT_OK


def _old_sources(path: Path, params: ModelParams) -> list[str]:
    """Warnings for the sources of ``params`` older than a year, each named once per model and date.

    A default's stale source would otherwise be listed under every scenario that keeps it: the
    line names the model instead of the file when the file does not set the value itself.
    """
    own = set(read_yaml(path)) if path.is_file() else set()
    lines = []
    for line, (name, _) in zip(stale_warnings(params), params.stale_sources(), strict=True):
        where = str(path) if name in own else f"{path.stem} (default)"
        lines.append(f"{where}: {line}")
    return lines


def _actuals_problems(path: Path) -> list[Problem]:
    """Problems of a scenario's ``actuals.csv``: its rows, then each model's figures, months and units."""
    from aibm_core.analysis.actuals import actuals_problems, read_actuals
    from aibm_core.analysis.results import scenario_params

    try:
        rows = read_actuals(path)
        problems = []
        for model in dict.fromkeys(a.model for a in rows):
            params = scenario_params(model, path.parent.name, path.parent.parent)
            problems += actuals_problems(params, [a for a in rows if a.model == model], str(path))
    except ParameterError as error:
        return error.problems
    return problems


def _files_to_validate(paths: Sequence[Path]) -> tuple[list[Path], list[Problem]]:
    """The files ``aibm validate`` checks (folders searched for ``.yaml``/``.yml``) and what is missing.

    A path that does not exist and a folder without any YAML file are problems: nothing
    validated is never reported as valid. A scenario folder or file that is a symbolic link
    leading outside the folder given is a problem, and is not read.
    """
    from aibm_core.analysis.scenarios import outside_problem

    files: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        if path.is_dir():
            links = [p for p in sorted(path.iterdir()) if p.is_symlink() and p.is_dir()]
            found = (
                sorted(path.rglob("*.yaml")) + sorted(path.rglob("*.yml")) + sorted(path.rglob(ACTUALS_FILE))
            )
            outside = [(p, outside_problem(path, p)) for p in [*links, *found]]
            problems.extend(problem for _, problem in outside if problem is not None)
            refused = {p for p, problem in outside if problem is not None}
            files.extend(p for p in found if not p.is_dir() and p not in refused)
            if not any(not p.is_dir() for p in found):
                problems.append(Problem(str(path), "", "nothing to validate: no .yaml file in this folder"))
        elif path.exists() or path.is_symlink() or path.is_fifo():
            files.append(path)
        else:
            problems.append(Problem(str(path), "", "no such file or folder"))
    return files, problems


def _misnamed(path: Path) -> Problem:
    """The problem of a file given to ``aibm validate`` whose name does not end in ``.yaml``."""
    # `aibm run` reads only <model>.yaml: refuse a .yml rather than check a file it ignores
    if path.suffix == ".yml":
        return Problem(str(path), "", f"only .yaml files are read; rename it {path.stem}.yaml")
    return Problem(str(path), "", "not a parameter file: a parameter file's name ends in .yaml")


def _assumptions(args: argparse.Namespace) -> int:
    try:
        spec = get_model(args.model)
    except KeyError as error:
        raise ParameterError([Problem("", "model", str(error.args[0]))]) from None
    frame = spec.params.assumptions_table()
    if args.format == "csv":
        sys.stdout.write(frame.drop(columns="formatted").to_csv(lineterminator="\n"))
    elif args.format == "json":
        rows = frame.drop(columns="formatted").reset_index().to_dict(orient="records")
        print(json.dumps({"model": spec.name, "assumptions": rows}, indent=1))
    else:
        for name, row in frame.iterrows():
            print(
                f"{name} = {row['formatted']} [{row['unit']}; {row['range']}; {row['role']}"
                + ("; can follow a schedule" if row["schedule"] else "")
                + "]\n"
                f"    {row['meaning']}. Source: {row['source']}"
                + (f" (dated {row['source_date']})" if row["source_date"] else "")
            )
    return EXIT_OK


def _dashboard(args: argparse.Namespace) -> int:
    """Serve one notebook (or the folder) with Voila in live mode; returns when the server stops."""
    target = _dashboard_scenario(args, dashboard.dashboard_target(args.model))
    port = dashboard.check_port(args.port)
    if importlib.util.find_spec("voila") is None:
        print("error: Voila is not installed: pip install -c constraints.txt voila", file=sys.stderr)
        return EXIT_FAILED
    return dashboard.dashboard(target, port, open_browser=not args.no_browser)


def _add_dashboard_scenario_options(parser: argparse.ArgumentParser) -> None:
    """``aibm dashboard --scenario NAME [--parameters DIR]``: the dashboard on a scenario's values."""
    parser.add_argument(
        "--scenario",
        metavar="NAME",
        help="open the notebook(s) with this scenario's parameters (default: base, labelled custom)",
    )
    parser.add_argument(
        "--parameters",
        type=Path,
        default=PARAMETERS_DIR,
        metavar="DIR",
        help="parameters folder holding the scenario (default: parameters/)",
    )


def _dashboard_scenario(args: argparse.Namespace, target: Path) -> Path:
    """``target``, or with ``--scenario`` copies of it holding the scenario's parameters."""
    if args.scenario is None:
        return target
    copies = dashboard.scenario_target(target, args.scenario, args.parameters)
    print(f"scenario {_plain(args.scenario)}: serving copies in {_plain(str(copies))}", flush=True)
    return copies


def _base_parameters(args: argparse.Namespace) -> int:
    """Write (or with ``--check`` compare) each model's base parameter file from its schema."""
    unknown = [name for name in args.models if name not in model_names()]
    if unknown:
        known = ", ".join(model_names())
        problems = [Problem("", "MODEL", f"unknown model {n!r}; available: {known}") for n in unknown]
        raise ParameterError(problems)
    stale = []
    for name in args.models or model_names():
        spec = get_model(name)
        path = args.parameters / "base" / f"{name}.yaml"
        if args.check:
            expected = defaults_yaml(spec.params, spec.title)
            current = path.is_file() and path.read_text(encoding="utf-8") == expected
            print(f"{path}: {'up to date' if current else 'out of date'}")
            stale += [] if current else [path]
        else:
            written = write_defaults_yaml(spec.params, spec.title, path)
            print(f"{path}: {'written' if written else 'unchanged'}")
    return EXIT_FAILED if stale else EXIT_OK


def _new(args: argparse.Namespace) -> int:
    """Write a new scenario folder (validated before it appears) and say what to do next."""
    from aibm_core.analysis.new_scenario import new_scenario  # only this command writes scenarios

    files = new_scenario(args.parameters, args.scenario, args.overlays, args.model or None)
    folder = files[0].parent
    overlays = _plain(args.overlays)
    print(f"scenario {_plain(args.scenario)}: {_plain(str(folder))} (overlays {overlays}; valid)")
    for path in files:
        print(f"  {_plain(str(path))}")
    where = "" if args.parameters == PARAMETERS_DIR else f" --parameters {_plain(str(args.parameters))}"
    print("next:")
    print(f"  edit {_plain(str(files[0]))}: the description (one line)")
    print("  edit the model files: uncomment the assumptions you change, set them, say why")
    print(f"  aibm validate {_plain(str(folder))}")
    print(f"  aibm run --scenario {_plain(args.scenario)}{where}")
    return EXIT_OK


def _models(_args: argparse.Namespace) -> int:
    for spec in registry().values():
        print(f"{spec.name:20} {spec.layer:15} {spec.title}")
    return EXIT_OK


def _add_calibrate(sub: argparse._SubParsersAction) -> None:
    """The ``calibrate`` subcommand: fit drivers of a model to known figures."""
    calibrate = sub.add_parser(
        "calibrate",
        help="fit drivers of a model so that its figures match known values",
        description="Fit the named drivers of MODEL (least squares, inside their valid ranges) so that "
        "its figures under --scenario match the targets file; print the fit, the targets and the "
        "drivers the targets cannot pin; with --write, save the fitted drivers as a scenario overlay.",
        epilog="""examples:
  aibm calibrate ai_infrastructure --targets targets.yaml --fit utilisation --fit annual_price_decline
  aibm calibrate api_access --scenario bear --targets actuals.csv --fit price_per_m_output_tokens \\
      --write bear_calibrated
  aibm calibrate ai_infrastructure --targets targets.yaml --ranges --write calibrated_ranges

targets file (YAML; or CSV with the columns figure,month,months,value,tolerance,source):
  targets:
    - {figure: revenue, month: 12, value: 33500000, tolerance: "1%", source: "FY report"}
    - {figure: revenue, months: 1-12, value: 380000000, tolerance: "2%", source: "FY report"}
    - {figure: gross_margin, value: 0.26, tolerance: 0.005, source: "earnings call"}
  figure: a statement series or ratio (revenue, cost_of_revenue, gross_profit, operating_expenses,
  operating_profit, capex, volume, north_star, gross_margin, operating_margin, capital_intensity) in
  a month (default: the snapshot month) or over months a-b (a flow summed; a ratio of the summed
  flows), or any KPI of the model (snapshot month); tolerance: a number (absolute, in the figure's
  unit) or a percentage of the value (default 1%). A scenario's actuals.csv (columns
  model,figure,month,quarter,value,unit,source) is read too (the rows of MODEL), and a company
  case's case.yaml (its disclosed figures).

--ranges: the scenario's ranges are the priors; its Monte Carlo draws are weighted by
  exp(-1/2 (residual / tolerance)^2) per target, and the weighted P10/P50/P90 of each ranged driver
  (those of --fit, or all) are printed with the effective sample size; --write writes them as ranges.

exit codes:
  0    every target matched within its tolerance
  1    some target is outside its tolerance (the best fit is printed, and written with --write)
  2    bad input: model, scenario, targets file, driver or overlay name (nothing was written)
""",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    calibrate.add_argument("model", metavar="MODEL", help="business model")
    calibrate.add_argument(
        "--scenario", default="base", metavar="NAME", help="scenario to start from (default: base)"
    )
    calibrate.add_argument(
        "--targets", required=True, type=Path, metavar="FILE", help="targets file (.yaml or .csv)"
    )
    calibrate.add_argument(
        "--fit",
        action="append",
        default=[],
        metavar="DRIVER",
        help="driver to fit (repeatable; required without --ranges); every other assumption keeps its value",
    )
    calibrate.add_argument(
        "--ranges",
        action="store_true",
        help="calibrate the scenario's ranges instead: weight its Monte Carlo draws by the targets",
    )
    calibrate.add_argument(
        "--draws", type=int, metavar="N", help="with --ranges: Monte Carlo draws (default: the scenario's)"
    )
    calibrate.add_argument(
        "--write",
        metavar="NAME",
        help="write the fitted drivers as a new scenario folder NAME overlaying --scenario",
    )
    calibrate.add_argument(
        "--parameters",
        type=Path,
        default=PARAMETERS_DIR,
        metavar="DIR",
        help="parameters folder holding <scenario>/<model>.yaml (default: parameters/)",
    )
    calibrate.set_defaults(handler=_calibrate)


def _calibrate(args: argparse.Namespace) -> int:
    """Fit the drivers, print the fit and the warnings, write the overlay if asked."""
    from rich.console import Console  # only the run and calibrate commands print tables

    from aibm_core.analysis import calibrate as calibration  # the calibrate command's only
    from aibm_core.analysis.results import scenario_params  # the calibrate command's only
    from aibm_core.analysis.results_cache import linked  # the calibrate command's only

    _check_model_and_scenario(args, "MODEL")
    if not args.fit and not args.ranges:
        raise ParameterError([Problem("", "--fit", "no driver to fit; name one or more (or give --ranges)")])
    if args.draws is not None and (not args.ranges or args.draws < 1):
        raise ParameterError(
            [Problem("", "--draws", f"{args.draws} is not allowed; a number >= 1 with --ranges")]
        )
    targets = _calibration_targets(args)
    if args.write is not None:  # before any work: a name refused now is refused later too
        calibration.check_overlay_name(args.parameters, args.write)
    spec = get_model(args.model)
    own = scenario_params(args.model, args.scenario, args.parameters)
    params, _ = linked(spec, own, args.scenario, args.parameters)  # the scenario as a batch sees it
    if args.ranges:
        return _calibrate_ranges(args, spec, params, targets)
    result = calibration.calibrate(spec, params, targets, args.fit, source=str(args.targets))
    console = Console(width=160)
    for table in calibration.summary_tables(result, args.scenario):
        console.print(table)
    if result.cut_links:
        cut = ", ".join(result.cut_links)
        print(f"note: the link(s) into {cut} are cut: the overlay sets a fitted driver they use")
    for warning in result.warnings:
        print(f"warning: {_plain(warning)}", file=sys.stderr)
    missed = [_plain(f.target.label) for f in result.targets if not f.within]
    if missed:
        print(f"warning: outside tolerance: {', '.join(missed)}", file=sys.stderr)
    if args.write is not None:
        folder = calibration.write_overlay(
            args.parameters, args.write, args.model, result, args.scenario, args.targets
        )
        shown = (_plain(str(folder)), _plain(args.scenario), _plain(args.write))
        print(f"written: {shown[0]} (overlays {shown[1]}; run it: aibm run --scenario {shown[2]})")
    return EXIT_OK if result.matched else EXIT_FAILED


def _calibration_targets(args: argparse.Namespace) -> list[Any]:
    """The targets of ``aibm calibrate``: a targets file, a case's disclosed figures, or the rows of
    MODEL in an actuals file."""
    from aibm_core.analysis import actuals  # the calibrate command's only
    from aibm_core.analysis import calibrate as calibration  # the calibrate command's only

    if actuals.is_actuals_file(args.targets):
        rows = actuals.read_actuals(args.targets)
        return actuals.actuals_targets(rows, args.model, str(args.targets))
    if is_case_file(args.targets) and args.targets.is_file():  # a company case: its disclosed figures
        from aibm_core.analysis.cases import read_case

        folder = args.targets.resolve().parent
        case = read_case(folder.parent, folder.name)
        named, targets = case.model, case.targets
    else:
        targets = calibration.read_targets(args.targets)
        named = calibration.targets_model(args.targets)
    if named is not None and named != args.model:
        why = f"the targets are for {echo(named)}, not {args.model!r}"
        raise ParameterError([Problem(str(args.targets), "model", why)])
    return targets


def _calibrate_ranges(args: argparse.Namespace, spec: Any, params: Any, targets: list[Any]) -> int:
    """``aibm calibrate --ranges``: prior and calibrated ranges, the effective sample size, the overlay."""
    from rich.console import Console  # only the run and calibrate commands print tables

    from aibm_core.analysis import calibrate as calibration  # the calibrate command's only

    result = calibration.calibrate_ranges(
        spec, params, targets, args.fit, draws=args.draws, source=str(args.targets)
    )
    console = Console(width=160)
    for table in calibration.range_tables(result, args.scenario):
        console.print(table)
    print(f"effective sample size: {result.effective_draws:,.1f} of {result.draws:,} draws")
    for warning in result.warnings:
        print(f"warning: {_plain(warning)}", file=sys.stderr)
    if args.write is not None:
        folder = calibration.write_ranges_overlay(
            args.parameters, args.write, args.model, result, args.scenario, args.targets, spec.params
        )
        shown = (_plain(str(folder)), _plain(args.scenario), _plain(args.write))
        print(f"written: {shown[0]} (overlays {shown[1]}; run it: aibm run --scenario {shown[2]})")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
