"""Shared fixtures."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from aibm_core.analysis.scenarios import load_file
from aibm_core.core.config import PARAMETERS_DIR
from aibm_core.models import evaluate, get_model

#: Test files that run on one worker, one after another (``make test`` runs ``pytest -n``): those
#: that drive Chromium and its servers (two at once would compete for two cores under a timeout).
SERIAL_FILES = frozenset({"test_browser.py", "test_live.py"})
#: The scope of :data:`SERIAL_FILES` in the xdist schedule.
SERIAL_GROUP = "browser"
#: Test files of long, independent tests (whole batches each, no module-scoped fixture): each test
#: is a unit of work of its own, so that the two workers share them.
SPLIT_FILES = frozenset({"test_cli.py", "test_incremental.py"})


def work_unit(nodeid: str) -> str:
    """The unit of work a test belongs to under xdist: its file, :data:`SERIAL_GROUP`, or itself.

    A whole file goes to one worker, so that its module-scoped fixtures are built once and a
    notebook's cells (which nbval runs in order, in one kernel) stay together; a test of
    :data:`SPLIT_FILES` is a unit on its own.
    """
    path = nodeid.split("::", 1)[0]
    name = Path(path).name
    return SERIAL_GROUP if name in SERIAL_FILES else nodeid if name in SPLIT_FILES else path


@pytest.hookimpl(optionalhook=True)  # without pytest-xdist the tests still run, one at a time
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """``--dist loadgroup``: whole units of work (:func:`work_unit`), in collection order.

    The grouping is by node id, not by ``xdist_group`` marks (pytest-xdist 3.8 renames a marked
    test's node id in a way pytest 9 no longer reads).
    """
    if config.getoption("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ByGroup(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    return ByGroup(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under xdist, the longest work first: :data:`SERIAL_GROUP`, the batch tests of
    :data:`SPLIT_FILES`, the notebooks, then the rest.

    The schedule hands out units of work in collection order (``--no-loadscope-reorder``): long
    ones last would leave one worker busy while the other has finished.
    """
    if not getattr(config.option, "loadgroup", False):  # set on xdist's workers for --dist loadgroup
        return

    def rank(item: pytest.Item) -> int:
        if item.path.name in SERIAL_FILES:
            return 0
        if item.path.name in SPLIT_FILES:
            return 1
        return 2 if item.path.suffix == ".ipynb" else 3

    items.sort(key=rank)


@pytest.fixture
def with_minimal_model():
    """The walk-through's minimal model registered for the test (``tests/contract_models.py``)."""
    from aibm_core.models import registered
    from tests.contract_models import MINIMAL_SPEC

    with registered(MINIMAL_SPEC, package=MINIMAL_SPEC.name) as spec:
        yield spec


@pytest.fixture(scope="session")
def api_spec():
    return get_model("api_access")


@pytest.fixture(scope="session")
def api_seed(api_spec):
    return evaluate(api_spec, load_file(api_spec.params, PARAMETERS_DIR / "seed" / "api_access.yaml"))


@pytest.fixture(scope="session")
def api_base(api_spec):
    return evaluate(api_spec, api_spec.params())


def aibm(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the `aibm` command in a subprocess, as a user would."""
    command = [sys.executable, "-m", "aibm_core.batch.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, timeout=900)


def _seed_batch(out: Path) -> Path:
    done = aibm("run", "--scenario", "seed", "--output", str(out), "--no-progress")
    assert done.returncode == 0, done.stdout + done.stderr
    return out


@pytest.fixture(scope="session")
def seed_run(tmp_path_factory) -> Path:
    """`aibm run --scenario seed` (every model) into a fresh folder, read only by the tests.

    Under pytest-xdist the batch runs once for all workers: the first to need it runs it in the
    run's shared temporary folder while holding a lock; the others wait and read the same folder.
    """
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return _seed_batch(tmp_path_factory.mktemp("outputs"))
    shared = tmp_path_factory.getbasetemp().parent  # the same folder for every worker of this run
    out, finished = shared / "seed-batch", shared / "seed-batch.finished"
    with (shared / "seed-batch.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not finished.exists():
            shutil.rmtree(out, ignore_errors=True)  # a batch that failed part-way
            _seed_batch(out)
            finished.touch()
    return out


def notebook_without_run_details(text: str) -> dict:
    """A kept notebook less what differs between any two runs of it, wherever they run.

    Papermill's timings and paths (its metadata and the injected parameters cell, which holds the
    temporary results path), the kernel's execution timestamps, widget model ids, and where the
    kernel cut the printed text into stream outputs (merged here), and the widgets' random ids.
    """
    nb = json.loads(text)
    nb["metadata"].pop("papermill", None)
    widgets = nb["metadata"].pop("widgets", {}).get("application/vnd.jupyter.widget-state+json")
    if widgets:  # the widgets' states, less their random ids (and so their order)
        states = (json.dumps(state, sort_keys=True) for state in widgets["state"].values())
        nb["metadata"]["widgets"] = sorted(
            re.sub(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])", "id", s) for s in states
        )
    for cell in nb["cells"]:
        cell["metadata"].pop("papermill", None)
        cell["metadata"].pop("execution", None)
        if "injected-parameters" in cell["metadata"].get("tags", []):
            cell["id"], cell["source"] = "injected-parameters", ""
        merged: list[dict] = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                output["text"] = "".join(output["text"])
                if (
                    merged
                    and merged[-1].get("output_type") == "stream"
                    and merged[-1]["name"] == output["name"]
                ):
                    merged[-1]["text"] += output["text"]
                    continue
            view = output.get("data", {}).get("application/vnd.jupyter.widget-view+json")
            if view:
                view["model_id"] = "widget"
            merged.append(output)
        if "outputs" in cell:
            cell["outputs"] = merged
    return nb


#: Debian's Chromium (Playwright cannot download its own browser here).
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
#: Marks of a test that drives Chromium: skipped without it, except where AIBM_REQUIRE_BROWSER is set.
NEEDS_CHROMIUM = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists() and not os.environ.get("AIBM_REQUIRE_BROWSER"),
        reason="Debian's chromium is not installed (apt-get install chromium)",
    ),
]


@contextlib.contextmanager
def chromium():
    """Headless Chromium with background networking, updates and sync off; closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            yield browser
        finally:
            browser.close()


def notebook_charts(path: Path) -> int:
    """Vega-Lite chart outputs stored in an executed notebook."""
    from aibm_core.present.charts import VEGALITE_MIME

    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return sum(VEGALITE_MIME in o.get("data", {}) for c in cells for o in c.get("outputs", []))
