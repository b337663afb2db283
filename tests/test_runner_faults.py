"""`aibm run` under faults: concurrent runs, Ctrl-C, bad output folders, nothing to run,
dying kernels, failing cells and a full disk."""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import nbformat
import pytest

from aibm_core.batch import cli, execution, runner
from aibm_core.core.config import NOTEBOOKS_DIR, PARAMETERS_DIR
from aibm_core.present import report
from tests.conftest import aibm

SEED_API = ("--scenario", "seed", "--model", "api_access", "--no-progress")


def _start(*args: str) -> subprocess.Popen:
    """`aibm` in a subprocess of its own session (so signals reach only its process group)."""
    command = [sys.executable, "-m", "aibm_core.batch.cli", *args]
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )


def _wait_for(predicate, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _kernels(pid: int) -> list[int]:
    """Kernel processes descended from ``pid`` (psutil comes with ipykernel)."""
    psutil = pytest.importorskip("psutil")
    found = []
    for child in psutil.Process(pid).children(recursive=True):
        try:
            if "ipykernel_launcher" in " ".join(child.cmdline()):
                found.append(child.pid)
        except psutil.Error:
            continue
    return found


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return status != "Z"


def _a_cell_started(out: Path) -> bool:
    """Whether papermill has started a cell of a partial notebook under ``out``."""
    for path in out.rglob("*.partial.ipynb"):
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception:  # being written
            continue
        if any(c.metadata.get("papermill", {}).get("start_time") for c in nb.cells):
            return True
    return False


def _notebooks_with(tmp_path: Path, cells: list[str]) -> Path:
    """A notebooks folder whose api_access notebook has ``cells`` right after its parameters cell."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    nb = nbformat.read(NOTEBOOKS_DIR / "api_access.ipynb", as_version=4)
    position = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])) + 1
    for offset, source in enumerate(cells):
        cell = nbformat.v4.new_code_cell(source)
        cell["id"] = f"injected-fault-{offset}"
        nb.cells.insert(position + offset, cell)
    nbformat.write(nb, notebooks / "api_access.ipynb")
    return notebooks


def _parameters(tmp_path: Path, *scenarios: str) -> Path:
    params = tmp_path / "parameters"
    for scenario in scenarios:
        (params / scenario).mkdir(parents=True)
        shutil.copy(PARAMETERS_DIR / "seed" / "api_access.yaml", params / scenario / "api_access.yaml")
    return params


# 1. Two runs into one output folder


def test_runs_name_their_temporary_files_uniquely(tmp_path):
    job = runner.plan(PARAMETERS_DIR, tmp_path, ["seed"], ["api_access"])[0]
    first, second = (replace(job, run_id=execution.new_run_id()) for _ in range(2))
    assert first.partial(".ipynb") != second.partial(".ipynb")
    assert str(os.getpid()) in first.partial(".ipynb").name
    assert first.partial(".ipynb").name.startswith(".api_access.")


def test_a_run_into_a_locked_folder_stops_at_once(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    with open(out / ".aibm.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        lock.write("4242\n")
        lock.flush()
        start = time.monotonic()
        done = aibm("run", *SEED_API, "--output", str(out))
        elapsed = time.monotonic() - start
    assert done.returncode == 2, done.stdout + done.stderr
    assert elapsed < 15
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert str(out) in lines[0] and "pid 4242" in lines[0]
    assert sorted(p.name for p in out.iterdir()) == [".aibm.lock"]


@pytest.mark.slow
def test_two_runs_into_one_folder_do_not_destroy_each_other(tmp_path):
    out = tmp_path / "out"
    first = _start("run", *SEED_API, "--output", str(out))
    try:
        _wait_for(lambda: any(out.rglob("*.partial.ipynb")))
        second = aibm("run", *SEED_API, "--output", str(out))
        assert second.returncode == 2 and f"pid {first.pid}" in second.stderr, second.stderr
        assert str(out) in second.stderr and "Traceback" not in second.stderr
        stdout, stderr = first.communicate(timeout=300)
    finally:
        first.kill()
    assert first.returncode == 0, stdout + stderr
    assert (out / "seed" / "api_access.html").as_posix() in stdout.replace("\n", "")
    for suffix in (".html", ".ipynb", ".json"):
        assert (out / "seed" / f"api_access{suffix}").exists()
    assert not list(out.rglob("*.partial*"))


# 2. Ctrl-C


@pytest.mark.slow
def test_ctrl_c_stops_the_batch_within_seconds_and_leaves_no_partial_file(tmp_path):
    out = tmp_path / "out"
    run = _start(
        "run", "--scenario", "seed", "--model", "api_access", "--model", "ai_hardware",
        "--workers", "2", "--output", str(out), "--no-progress",
    )  # fmt: skip
    try:
        _wait_for(lambda: any(out.rglob("*.partial.ipynb")))
        _wait_for(lambda: _kernels(run.pid), timeout=30)
        kernels = _kernels(run.pid)
        start = time.monotonic()
        os.killpg(run.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole foreground group
        stdout, stderr = run.communicate(timeout=30)
        elapsed = time.monotonic() - start
    finally:
        run.kill()
    assert run.returncode == 130, stdout + stderr
    assert elapsed < 15
    assert "Traceback" not in stderr and "Traceback" not in stdout
    assert "INTERRUPTED seed/api_access" in stdout and "run(s) finished" in stdout
    assert not [p for p in out.rglob("*") if ".partial" in p.name or p.suffix == ".tmp"]
    _wait_for(lambda: not any(_alive(pid) for pid in kernels), timeout=5)


# 3. Bad --output


def test_an_output_that_is_a_file_is_bad_input(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("not a folder")
    for output in (afile, afile / "below"):
        done = aibm("run", *SEED_API, "--output", str(output))
        assert done.returncode == 2, done.stdout + done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and str(output) in lines[0] and "not a folder" in lines[0]
        assert "Traceback" not in done.stderr
    assert afile.read_text() == "not a folder"


def test_a_read_only_output_is_bad_input(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        try:
            (locked / "probe").write_text("")
        except PermissionError:
            pass
        else:
            pytest.skip("permissions are not enforced for this user (root): see the in-process test below")
        for output in (locked, locked / "sub"):
            done = aibm("run", *SEED_API, "--output", str(output))
            assert done.returncode == 2, done.stdout + done.stderr
            assert "not writable" in done.stderr and str(output) in done.stderr
            assert "Traceback" not in done.stderr
    finally:
        locked.chmod(0o755)


def test_an_unwritable_output_is_bad_input_before_any_kernel(tmp_path, monkeypatch, capsys):
    def refuse(folder):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(folder))

    monkeypatch.setattr(runner, "_probe_write", refuse)
    monkeypatch.setattr(runner, "run", lambda *a, **k: pytest.fail("a kernel would start"))
    code = cli.main(["run", *SEED_API, "--output", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and str(tmp_path / "out") in err and "Permission denied" in err


# 4. Nothing to run


def test_a_missing_parameters_folder_is_bad_input(tmp_path):
    done = aibm("run", "--parameters", str(tmp_path / "nonexistent"), "--output", str(tmp_path / "o"))
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and str(tmp_path / "nonexistent") in lines[0]
    assert "<scenario>/<model>.yaml" in lines[0]
    assert not (tmp_path / "o").exists()


def test_a_scenario_without_model_files_is_bad_input(tmp_path):
    (tmp_path / "params" / "odd").mkdir(parents=True)
    (tmp_path / "params" / "odd" / "not_a_model.yaml").write_text("a: 1\n")
    done = aibm("run", "--parameters", str(tmp_path / "params"), "--output", str(tmp_path / "o"))
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "nothing to run" in lines[0] and "api_access.yaml" in lines[0]
    assert str(tmp_path / "params" / "odd") in lines[0]
    assert not (tmp_path / "o").exists()


# 5 and 6. Dying kernels and failing cells, named as the kept notebook counts them


@pytest.fixture(scope="module")
def faulty_run(tmp_path_factory):
    """One batch: a scenario whose kernel exits in a cell, one whose cell raises, one fine."""
    tmp_path = tmp_path_factory.mktemp("faults")
    starts = tmp_path / "starts.txt"
    notebooks = _notebooks_with(
        tmp_path,
        [
            f'if scenario == "killed":\n    open({str(starts)!r}, "a").write("x\\n")\n'
            "    import os\n    os._exit(1)",
            'if scenario == "broken":\n    raise RuntimeError("deliberate failure")',
        ],
    )
    params = _parameters(tmp_path, "killed", "broken", "seed")
    out = tmp_path / "out"
    done = aibm(
        "run", "--parameters", str(params), "--notebooks", str(notebooks), "--output", str(out),
        "--no-progress", "--workers", "2",
    )  # fmt: skip
    return done, out, notebooks, starts


def _source_cell(notebooks: Path, number: int) -> str:
    return nbformat.read(notebooks / "api_access.ipynb", as_version=4).cells[number - 1].source


def _kept_cell(out: Path, scenario: str, number: int) -> str:
    return nbformat.read(out / scenario / "api_access.ipynb", as_version=4).cells[number - 1].source


@pytest.mark.slow
def test_a_kernel_dying_in_a_cell_is_named_and_not_retried(faulty_run):
    done, out, notebooks, starts = faulty_run
    assert done.returncode == 1, done.stdout + done.stderr
    line = next(x for x in done.stdout.splitlines() if x.startswith("FAILED killed/api_access"))
    assert "the kernel died in cell 4 of the kept notebook, cell 3 of notebooks/api_access.ipynb" in line
    assert '(if scenario == "killed":)' in line and "DeadKernelError" in line
    assert _kept_cell(out, "killed", 4).startswith('if scenario == "killed":')
    assert _source_cell(notebooks, 3).startswith('if scenario == "killed":')
    assert starts.read_text() == "x\n", "the cell ran more than once: the run was retried"
    assert not (out / "killed" / "api_access.json").exists()
    assert (out / "seed" / "api_access.json").exists()
    assert not list(out.rglob("*.partial*"))


@pytest.mark.slow
def test_the_failing_cell_number_matches_the_kept_notebook(faulty_run):
    done, out, notebooks, _ = faulty_run
    line = next(x for x in done.stdout.splitlines() if x.startswith("FAILED broken/api_access"))
    # papermill adds an error banner at the top and an anchor before the failing cell
    assert "cell 7 of the kept notebook, cell 4 of notebooks/api_access.ipynb" in line, line
    assert '(if scenario == "broken":): RuntimeError: deliberate failure' in line
    assert _kept_cell(out, "broken", 7).startswith('if scenario == "broken":')
    assert _source_cell(notebooks, 4).startswith('if scenario == "broken":')


@pytest.mark.slow
def test_a_kernel_killed_from_outside_fails_the_run_without_a_rerun(tmp_path):
    out = tmp_path / "out"
    run = _start("run", *SEED_API, "--output", str(out))
    try:
        _wait_for(lambda: _a_cell_started(out) and _kernels(run.pid))  # not a start failure
        for pid in _kernels(run.pid):
            os.kill(pid, signal.SIGKILL)
        stdout, stderr = run.communicate(timeout=120)
    finally:
        run.kill()
    assert run.returncode == 1, stdout + stderr
    assert "FAILED seed/api_access: the kernel died in cell" in stdout
    assert "of the kept notebook" in stdout and "Traceback" not in stderr
    assert not (out / "seed" / "api_access.json").exists()
    assert not list(out.rglob("*.partial*"))


# 7. A full disk


def _no_space(*_args, **_kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.slow
@pytest.mark.parametrize("target", ["write_atomic", "os.replace"])
def test_a_full_disk_fails_the_run_and_leaves_nothing_stale(tmp_path, monkeypatch, target):
    job = runner.plan(PARAMETERS_DIR, tmp_path, ["seed"], ["api_access"])[0]
    job.folder.mkdir(parents=True)
    for suffix in (".json", ".html", ".ipynb"):  # an earlier run's complete-looking files
        job.path(suffix).write_text("stale")
    if target == "write_atomic":
        monkeypatch.setattr(report, "write_atomic", _no_space)
    else:
        monkeypatch.setattr(os, "replace", _no_space)
    outcome = execution.execute(job)
    monkeypatch.undo()
    assert not outcome.ok
    assert "No space left on device" in outcome.message
    left = sorted(p.name for p in job.folder.iterdir())
    assert not [name for name in left if name.startswith(".")], left
    assert "api_access.json" not in left and "api_access.html" not in left
    if "api_access.ipynb" in left:  # kept only as this run's (readable) notebook
        assert job.path(".ipynb").read_text() != "stale"
        nbformat.read(job.path(".ipynb"), as_version=4)
    else:
        assert "notebook not kept" in outcome.message


@pytest.mark.slow
def test_a_crashed_worker_fails_its_batch_and_the_next_batch_gets_new_workers(tmp_path):
    """The pool is shared by the model and pyramid batches; a worker killed mid-notebook breaks
    it, so the next batch starts a new pool instead of failing as well."""
    notebooks = _notebooks_with(
        tmp_path,
        ['if scenario == "crash":\n    import os, signal\n    os.kill(os.getppid(), signal.SIGKILL)'],
    )
    params = _parameters(tmp_path, "crash", "seed")
    crash, fine = (
        replace(job, run_id=execution.new_run_id())  # as runner.run names a batch's files
        for job in runner.plan(params, tmp_path / "out", ["crash", "seed"], ["api_access"], notebooks)
    )
    with runner._batches("local", 1, None, 2) as run_batch:
        (crashed,) = run_batch([crash], False)
        (ok,) = run_batch([fine], False)
    assert not crashed.ok and "worker crashed" in crashed.message, crashed.message
    assert ok.ok, ok.message
    assert (tmp_path / "out" / "seed" / "api_access.html").exists()
    assert not list((tmp_path / "out").rglob("*.partial*"))


# 2b. SIGTERM and SIGHUP: handled as Ctrl-C, exit 128 + signal


def _sleeping_notebooks(tmp_path: Path) -> Path:
    """A notebooks folder whose api_access notebook takes its parameters, then sleeps."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    parameters = nbformat.v4.new_code_cell('scenario = "base"')
    parameters.metadata["tags"] = ["parameters"]
    nb.cells = [parameters, nbformat.v4.new_code_cell("import time\ntime.sleep(120)")]
    nbformat.write(nb, notebooks / "api_access.ipynb")
    return notebooks


def _descendants(pid: int) -> list[int]:
    psutil = pytest.importorskip("psutil")
    return [p.pid for p in psutil.Process(pid).children(recursive=True)]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_stop_the_batch_like_ctrl_c(tmp_path, signum):
    out, notebooks = tmp_path / "out", _sleeping_notebooks(tmp_path)
    run = _start(
        "run", "--scenario", "seed", "--model", "api_access", "--notebooks", str(notebooks),
        "--workers", "1", "--output", str(out), "--no-progress", "--no-exports",
    )  # fmt: skip
    try:
        _wait_for(lambda: _a_cell_started(out) and _kernels(run.pid))
        time.sleep(0.5)  # the sleeping cell has begun
        processes = _descendants(run.pid)  # the worker, its kernel (and its helpers)
        start = time.monotonic()
        os.kill(run.pid, signum)  # the main process only, as `kill` or a closed terminal does
        stdout, stderr = run.communicate(timeout=30)
        elapsed = time.monotonic() - start
    finally:
        run.kill()
    assert run.returncode == 128 + signum, stdout + stderr
    assert elapsed < 15
    assert "Traceback" not in stderr and "INTERRUPTED seed/api_access" in stdout
    _wait_for(lambda: not any(_alive(pid) for pid in processes), timeout=5)
    left = sorted(str(p.relative_to(out)) for p in out.rglob("*"))
    time.sleep(3)  # an orphan worker would publish its outputs now
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*")) == left
    assert left == [".aibm-inputs.json", ".aibm.lock", "seed"]  # the lock and manifest, no output


# 8. Ctrl-C while the exports are written, after new reports


def test_ctrl_c_during_the_exports_leaves_no_earlier_runs_exports_beside_the_new_reports(
    tmp_path, monkeypatch, capsys
):
    from aibm_core.present import exports

    folder = tmp_path / "out" / "seed"
    charts = folder / exports.CHARTS_DIR / "api_access"
    charts.mkdir(parents=True)
    old = [folder / "seed.xlsx", folder / "api_access_projection.csv", charts / "01-gross-margin.png"]
    for path in old:
        path.write_bytes(b"an earlier run's export")
        os.utime(path, (time.time() - 3600, time.time() - 3600))
    (folder / "api_access.json").write_text("{}")  # the new run's report, already published
    mine = tmp_path / "out" / "seed" / "notes.xlsx"  # not an export of this workbook: kept
    mine.write_bytes(b"the user's")
    os.utime(mine, (time.time() - 3600, time.time() - 3600))

    def interrupted(output_dir, scenarios, **_options):
        (folder / "api_access_projection.csv").write_text("month\n1\n")  # written before Ctrl-C
        raise KeyboardInterrupt

    monkeypatch.setattr(exports, "write_exports", interrupted)
    with pytest.raises(KeyboardInterrupt):
        cli._export(tmp_path / "out", {"seed"}, PARAMETERS_DIR, workers=1)
    assert not (folder / "seed.xlsx").exists() and not (charts / "01-gross-margin.png").exists()
    assert (folder / "api_access_projection.csv").read_text() == "month\n1\n"  # this run's: kept
    assert mine.exists() and (folder / "api_access.json").exists()
    assert "`aibm run --changed` rebuilds them" in capsys.readouterr().err
