"""``aibm run --executor dask`` on a cluster whose workers have only the installed wheel.

The wheel is built from the sources (``pip wheel --no-deps``), installed into a fresh virtual
environment that sees the dependencies of this one but no checkout, and a Dask scheduler and
worker are started from it in a folder outside the checkout. The run's results JSON must be the
local executor's, byte for byte: the notebooks read the shipped scenarios (the seed example),
which the wheel carries inside the package (``aibm_core/shipped_parameters``, see ``setup.py``).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from aibm_core.core import config
from aibm_core.core.config import PARAMETERS_DIR, ROOT, shipped_parameters_dir
from tests.conftest import aibm

#: Two models of the seed scenario, run on the wheel's worker and compared with the local run.
MODELS = ("api_access", "ai_hardware")
#: What a source distribution holds (setup.py copies parameters/ into the built package).
SOURCES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "aibm_core", "parameters")
#: Longest wait (s) for the scheduler to write its address and a worker to join it.
START_SECONDS = 60


def test_a_checkout_reads_its_parameters_folder_and_an_installed_package_its_own_copy(tmp_path):
    assert PARAMETERS_DIR == ROOT / "parameters" == shipped_parameters_dir()
    installed = tmp_path / "site-packages" / "aibm_core"  # no pyproject.toml beside it
    (installed / config.PACKAGED_PARAMETERS / "seed").mkdir(parents=True)
    (tmp_path / "site-packages" / "parameters").mkdir()  # another package's folder: not ours
    assert shipped_parameters_dir(installed) == installed / config.PACKAGED_PARAMETERS


def build_wheel(tmp_path: Path) -> Path:
    """``pip wheel --no-deps`` of a copy of the sources (no build folder of the checkout reused)."""
    source = tmp_path / "source"
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(ROOT / name, source / name)
    command = [
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "-q",
        "-w",
        str(tmp_path / "dist"),
        str(source),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    (wheel,) = (tmp_path / "dist").glob("aibm-*.whl")
    return wheel


def wheel_environment(tmp_path: Path, wheel: Path) -> Path:
    """A new virtual environment with the wheel installed; the dependencies are this environment's.

    The dependencies' folder is put on its path by a ``.pth`` line (which does not run this
    environment's editable-install hook, so the checkout stays unreachable), and their Jupyter
    data (nbconvert's templates, the kernel spec) is where an installed dependency puts it.
    """
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    purelib = Path(
        subprocess.check_output(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True
        ).strip()
    )
    (purelib / "aibm-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    (venv / "share").mkdir(exist_ok=True)
    (venv / "share" / "jupyter").symlink_to(Path(sys.prefix) / "share" / "jupyter")
    install = [
        python,
        "-m",
        "pip",
        "install",
        "-q",
        "--no-deps",
        "--no-index",
        "--ignore-installed",
        str(wheel),
    ]
    subprocess.run(install, check=True, timeout=300, capture_output=True, env=_outside_env())
    return python


def _outside_env() -> dict[str, str]:
    """This environment less anything that would put the checkout on a path."""
    return {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "JUPYTER_PATH", "VIRTUAL_ENV"}}


@contextlib.contextmanager
def cluster(python: Path, folder: Path) -> Iterator[str]:
    """A Dask scheduler and two workers (one thread each) started from ``python`` in ``folder``."""
    folder.mkdir()
    address_file = folder / "scheduler.json"
    commands = [
        [python, "-m", "dask", "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
         "--scheduler-file", str(address_file)],
        [python, "-m", "dask", "worker", "--scheduler-file", str(address_file), "--nworkers", "2",
         "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1"],
    ]  # fmt: skip
    processes: list[subprocess.Popen] = []
    try:
        for i, command in enumerate(commands):
            deadline = time.monotonic() + START_SECONDS
            while i and not address_file.exists():  # the worker needs the scheduler's address
                assert time.monotonic() < deadline and processes[0].poll() is None, (
                    folder / "0.log"
                ).read_text()
                time.sleep(0.2)
            with (folder / f"{i}.log").open("w") as log:
                processes.append(
                    subprocess.Popen(
                        command, cwd=folder, env=_outside_env(), stdout=log, stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )  # fmt: skip
        yield json.loads(address_file.read_text())["address"]
    finally:
        for process in reversed(processes):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def worker_sees(address: str) -> dict[str, str]:
    """Where the worker's ``aibm_core`` and shipped scenarios are, and its working folder."""
    from dask.distributed import Client

    def where() -> dict[str, str]:
        import os
        import sys

        import aibm_core
        from aibm_core.core.config import PARAMETERS_DIR

        return {
            "package": aibm_core.__file__,
            "parameters": str(PARAMETERS_DIR),
            "cwd": os.getcwd(),
            "path": sys.path,
        }

    with Client(address, timeout=START_SECONDS) as client:
        client.wait_for_workers(2, timeout=START_SECONDS)
        seen, other = client.run(where).values()
    assert seen["package"] == other["package"]
    return seen


@pytest.mark.slow
def test_a_worker_with_only_the_installed_wheel_gives_the_local_results(tmp_path, seed_run):
    pytest.importorskip(
        "dask.distributed", reason="the dask extra is not installed: pip install 'aibm[dask]'"
    )
    begin = time.monotonic()
    python = wheel_environment(tmp_path, build_wheel(tmp_path))
    built = time.monotonic() - begin
    venv = python.parent.parent
    with cluster(python, tmp_path / "cluster") as address:
        seen = worker_sees(address)
        assert Path(seen["package"]).is_relative_to(venv), seen
        assert Path(seen["parameters"]) == Path(seen["package"]).parent / "shipped_parameters", seen
        # the dependencies' environment may sit inside the checkout (.venv): only its own files count
        deps = Path(sys.prefix).resolve()
        assert not Path(seen["cwd"]).is_relative_to(ROOT) and not any(
            p and Path(p).resolve().is_relative_to(ROOT) and not Path(p).resolve().is_relative_to(deps)
            for p in seen["path"]
        ), seen
        remote = tmp_path / "remote"
        models = [a for m in MODELS for a in ("--model", m)]
        done = aibm(
            "run", "--executor", "dask", "--scheduler", address, "--scenario", "seed", *models,
            "--no-exports", "--no-progress", "--output", str(remote),
        )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    for model in MODELS:
        ours, local = (folder / "seed" / f"{model}.json" for folder in (remote, seed_run))
        assert ours.read_bytes() == local.read_bytes(), model  # the local executor's, byte for byte
        assert (remote / "seed" / f"{model}.html").stat().st_size > 100_000
    print(f"wheel built and installed in {built:.1f} s; all in {time.monotonic() - begin:.1f} s")
