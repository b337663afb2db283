"""Incremental runs (``aibm run --changed``): what each run read, fingerprinted and kept with its outputs.

A run's fingerprint covers its notebook, its parameter files (and those of the scenarios they
overlay, and the shipped ``seed`` and ``base`` the notebooks read), the ``aibm_core`` source and
the installed packages' versions. The fingerprints of successful runs are kept in the output
folder (:data:`MANIFEST`); a run whose fingerprint and outputs are unchanged is skipped.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from aibm_core.analysis import stack
from aibm_core.analysis.scenarios import (
    CASE_FILE,
    SCENARIO_FILE,
    scenario_chain,
    scenario_linked,
)
from aibm_core.batch.jobs import PYRAMID, Job, Outcome
from aibm_core.core.config import PACKAGE_DIR, PARAMETERS_DIR
from aibm_core.core.files import write_atomic
from aibm_core.core.params import ParameterError
from aibm_core.models import model_names

#: File in the output folder mapping each run (``<scenario>/<model>``) to the fingerprint of the
#: inputs of its last successful run.
MANIFEST = ".aibm-inputs.json"
#: Shipped scenarios a notebook reads whatever scenario it runs: the model notebooks show the seeds'
#: worked example, and the pyramid comparison attributes each scenario's change against base.
REFERENCE_SCENARIOS = ("seed", "base")
#: What in ``aibm_core`` a run depends on: its source, data files and report templates.
PACKAGE_SUFFIXES = (".py", ".json")
#: How a run's notebook and report end when whole (:func:`outputs_readable`).
OUTPUT_ENDINGS = {".ipynb": b"}", ".html": b"</html>"}


def run_key(job: Job) -> str:
    """The name of a run in the manifest: ``<scenario>/<model>``."""
    return f"{job.scenario}/{job.model}"


def input_files(
    job: Job, parameters_dir: Path, chains: dict[tuple[Path, str], list[Path]] | None = None
) -> list[Path]:
    """Files a job reads besides the package, sorted: its notebook and its parameter files.

    The parameter files are those of the job's scenario and of every scenario it overlays
    (``scenario.yaml`` included), for its model and every model it buys from through the stack's
    links (:func:`aibm_core.analysis.stack.upstream`) or, for the pyramid comparison, for every
    model; and the same for the shipped :data:`REFERENCE_SCENARIOS` (and, for the pyramid
    comparison, the shipped folder of its scenario, which its attribution reads). ``chains``
    caches the folders of each overlay chain across calls.
    """
    chains = {} if chains is None else chains
    # a model's linked drivers read its sellers' results: in a linked scenario their files are inputs too
    models = (
        model_names()
        if job.model == PYRAMID
        else [job.model, *_sellers(job.model, parameters_dir, job.scenario)]
    )
    sources = [(Path(parameters_dir), job.scenario), *((PARAMETERS_DIR, s) for s in REFERENCE_SCENARIOS)]
    if job.model == PYRAMID:
        sources.append((PARAMETERS_DIR, job.scenario))
    files = {job.source}
    for root, scenario in sources:
        if (root, scenario) not in chains:
            chains[root, scenario] = chain_folders(root, scenario)
        files.update(scenario_inputs(chains[root, scenario], models))
    return sorted(files)


def _sellers(model: str, parameters_dir: Path, scenario: str) -> tuple[str, ...]:
    """The models ``model`` buys from when the scenario is linked (none when it is not)."""
    try:
        linked = scenario_linked(Path(parameters_dir), scenario)
    except ParameterError:  # plan reports a broken scenario; count its sellers in
        linked = True
    return stack.upstream(model) if linked else ()


def chain_folders(parameters_dir: Path, scenario: str) -> list[Path]:
    """Folders of a scenario's overlay chain, root first."""
    try:
        return [s.folder for s in scenario_chain(parameters_dir, scenario)]
    except ParameterError:  # plan reports it when the run depends on it; hash what is there
        return [Path(parameters_dir) / scenario]


def scenario_inputs(folders: Sequence[Path], models: Sequence[str]) -> list[Path]:
    """The existing ``scenario.yaml``, model files, ``case.yaml``, ``actuals.csv`` and schedule CSV
    files of an overlay chain's folders.

    A report shows its scenario's company case and actuals, and reads its schedules: a change to
    any of them runs it again.
    """
    names = [SCENARIO_FILE, *(f"{model}.yaml" for model in models), CASE_FILE]
    files = [folder / name for folder in folders for name in names if (folder / name).is_file()]
    return files + sorted(path for folder in folders for path in folder.glob("*.csv") if path.is_file())


def fingerprints(jobs: Sequence[Job], parameters_dir: Path) -> dict[str, str]:
    """A SHA-256 of everything each job reads, by :func:`run_key`.

    A job's fingerprint covers its notebook and parameter files (:func:`input_files`, by
    path and content), the values passed to it, the ``aibm_core`` source, the Python version
    and the name and version of every installed distribution. Files are hashed, not imported.
    """
    environment = _environment_digest()
    hashed: dict[Path, str] = {}
    chains: dict[tuple[Path, str], list[Path]] = {}

    def file_digest(path: Path) -> str:
        if path not in hashed:
            try:
                hashed[path] = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError as error:  # the run itself reports a missing or unreadable notebook
                hashed[path] = f"unreadable: {type(error).__name__}"
        return hashed[path]

    prints = {}
    for job in jobs:
        digest = hashlib.sha256(environment.encode())
        values = json.dumps(job.values, sort_keys=True, default=str)
        digest.update(f"\0{job.scenario}\0{job.model}\0{values}".encode())
        for path in input_files(job, parameters_dir, chains):
            digest.update(f"\0{path.resolve()}\0{file_digest(path)}".encode())
        prints[run_key(job)] = digest.hexdigest()
    return prints


def _environment_digest() -> str:
    """SHA-256 of the ``aibm_core`` files a run uses and of the installed distributions' versions."""
    package = PACKAGE_DIR
    digest = hashlib.sha256()
    for path in sorted(_package_files(package)):
        digest.update(f"{path.relative_to(package).as_posix()}\0".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    versions = sorted({v for v in map(_name_and_version, metadata.distributions()) if v})
    digest.update("\n".join([sys.version, *versions]).encode())
    return digest.hexdigest()


#: The ``Name`` and ``Version`` fields of a distribution's metadata (the header's first lines).
_FIELD = re.compile(r"^(Name|Version): *(.*?) *$", re.MULTILINE)


def _name_and_version(dist: metadata.Distribution) -> str | None:
    """``name==version`` of an installed distribution, as ``dist.name`` and ``dist.version`` give it.

    Read from the metadata file's header with one search instead of ``dist.metadata`` (which
    parses the whole file as an e-mail message, twice for a name and a version: 0.4 s for 160
    distributions, most of ``aibm run --changed`` when nothing changed).
    """
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or ""
    header = text.split("\n\n", 1)[0]
    fields = dict(_FIELD.findall(header))
    if "Name" not in fields:
        return None
    return f"{fields['Name']}=={fields.get('Version')}"


def _package_files(package: Path) -> Iterator[Path]:
    """The package's source and data files and everything under its templates."""
    for path in package.rglob("*"):
        if "__pycache__" in path.parts or not path.is_file():
            continue
        if path.suffix in PACKAGE_SUFFIXES or "templates" in path.relative_to(package).parts:
            yield path


def _read(output_dir: Path) -> dict[str, Any]:
    """The manifest of ``output_dir`` as a mapping (``{}`` when missing or unreadable)."""
    try:
        content = json.loads((Path(output_dir) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return content if isinstance(content, dict) else {}


def read_manifest(output_dir: Path) -> dict[str, str]:
    """Fingerprints recorded in ``output_dir`` (``{}`` when there are none or they are unreadable)."""
    runs = _read(output_dir).get("runs", {})
    if not isinstance(runs, dict):
        return {}
    return {k: v for k, v in runs.items() if isinstance(k, str) and isinstance(v, str)}


def read_exports(output_dir: Path) -> set[str]:
    """Scenarios whose exports were written whole after their latest runs (:func:`record_exports`)."""
    names = _read(output_dir).get("exports", [])
    return {name for name in names if isinstance(name, str)} if isinstance(names, list) else set()


def _write(output_dir: Path, runs: dict[str, str], exports: set[str]) -> None:
    content = {"exports": sorted(exports), "runs": runs}
    write_atomic(Path(output_dir) / MANIFEST, json.dumps(content, indent=1, sort_keys=True) + "\n")


def outputs_readable(job: Job) -> bool:
    """Whether a run's outputs are all there and whole enough to link.

    The results file must parse as JSON; the notebook and the report must be non-empty and end
    as a whole one does (``}`` and ``</html>``; read from their ends, since both run to megabytes).
    A report or results file emptied or cut short (a full disk, an editor) is not "unchanged".
    """
    try:
        json.loads(job.path(".json").read_bytes())
        return all(_ends_with(job.path(suffix), end) for suffix, end in OUTPUT_ENDINGS.items())
    except (OSError, ValueError):
        return False


def _ends_with(path: Path, end: bytes) -> bool:
    """Whether the file at ``path``, less trailing white space, ends with ``end`` (case ignored)."""
    with path.open("rb") as handle:
        size = handle.seek(0, 2)
        handle.seek(max(0, size - 4096))
        return handle.read().rstrip().lower().endswith(end)


def stale_exports(output_dir: Path, jobs: Sequence[Job]) -> list[str]:
    """Scenarios of ``jobs`` with outputs whose exports are missing: never written (``--no-exports``),
    cut short, failed, or their workbook removed since."""
    done = read_exports(output_dir)
    scenarios = dict.fromkeys(job.scenario for job in jobs)
    return [
        scenario
        for scenario in scenarios
        if (Path(output_dir) / scenario).is_dir()
        and any((Path(output_dir) / scenario).glob("*.json"))
        and (scenario not in done or not _exports_present(Path(output_dir) / scenario))
    ]


def _exports_present(folder: Path) -> bool:
    """Whether a scenario folder holds its workbook and the projection CSV of each model with results."""
    models = [model for model in model_names() if (folder / f"{model}.json").is_file()]
    csvs = all((folder / f"{model}_projection.csv").is_file() for model in models)
    return csvs and (not models or (folder / f"{folder.name}.xlsx").is_file())


def record_exports(output_dir: Path, scenarios: Iterable[str]) -> None:
    """Record that the exports of ``scenarios`` were written whole.

    Raises
    ------
    OSError
        When the manifest cannot be written (the next ``--changed`` then exports them again).
    """
    _write(output_dir, read_manifest(output_dir), read_exports(output_dir) | set(scenarios))


def changed_jobs(jobs: Sequence[Job], prints: dict[str, str]) -> list[Job]:
    """The jobs to run again: inputs changed since their last success, or outputs missing or
    unreadable (:func:`outputs_readable`).

    A pyramid comparison also runs again when any model of its scenario does.
    """
    recorded: dict[Path, dict[str, str]] = {}

    def current(job: Job) -> bool:
        if job.output_dir not in recorded:
            recorded[job.output_dir] = read_manifest(job.output_dir)
        same = recorded[job.output_dir].get(run_key(job)) == prints.get(run_key(job))
        return same and outputs_readable(job)

    stale = [job for job in jobs if not current(job)]
    rerun = {job.scenario for job in stale if job.model != PYRAMID}
    return [job for job in jobs if job in stale or (job.model == PYRAMID and job.scenario in rerun)]


def record_inputs(output_dir: Path, outcomes: Sequence[Outcome], prints: dict[str, str]) -> None:
    """Record the fingerprints of the runs that succeeded; forget those of the others.

    The exports of every scenario that ran are forgotten too, until :func:`record_exports`
    records them written again.

    Raises
    ------
    OSError
        When the manifest cannot be written (the next ``--changed`` then runs more, never less).
    """
    runs = read_manifest(output_dir)
    for outcome in outcomes:
        key = run_key(outcome.job)
        if outcome.ok and key in prints:
            runs[key] = prints[key]
        else:
            runs.pop(key, None)
    exports = read_exports(output_dir) - {outcome.job.scenario for outcome in outcomes}
    _write(output_dir, runs, exports)
