"""Notebooks on a warm (reused) kernel give the outputs of a fresh kernel, and its faults are contained."""

from __future__ import annotations

import json

import papermill
import pytest

from aibm_core import warm_kernel
from aibm_core.config import NOTEBOOKS_DIR
from tests.conftest import notebook_without_run_details

pytestmark = pytest.mark.slow
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))


@pytest.fixture(scope="module")
def kernel():
    warm = warm_kernel.WarmKernel()
    yield warm
    warm.discard()


def _run(source, target, **engine) -> dict:
    papermill.execute_notebook(
        str(source), str(target), parameters={"scenario": "seed"}, progress_bar=False, **engine
    )
    return notebook_without_run_details(target.read_text(encoding="utf-8"))


def test_every_notebook_gives_the_same_outputs_on_a_warm_kernel(kernel, tmp_path):
    # Each notebook after the others on one kernel (the last one after six others), then alone
    # on a new kernel; the kernel's state must not leak from one notebook into the next.
    warm = {}
    for source in [*NOTEBOOKS, NOTEBOOKS[0]]:
        engine = {"engine_name": warm_kernel.ENGINE, "km": kernel.manager()}
        warm[source.name] = _run(source, tmp_path / f"warm-{source.name}", **engine)
    for source in NOTEBOOKS:
        fresh = _run(source, tmp_path / f"fresh-{source.name}")
        assert json.dumps(warm[source.name], sort_keys=True) == json.dumps(fresh, sort_keys=True), source.name
        counts = [c.get("execution_count") for c in fresh["cells"] if c["cell_type"] == "code"]
        assert [
            c.get("execution_count") for c in warm[source.name]["cells"] if c["cell_type"] == "code"
        ] == counts


def test_a_fresh_namespace_forgets_variables_and_counts_from_one(kernel, tmp_path):
    first = tmp_path / "first.ipynb"
    second = tmp_path / "second.ipynb"
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("leftover = 1")]
    nbformat.write(nb, first)
    nb.cells = [nbformat.v4.new_code_cell("print('leftover' in dir())")]
    nbformat.write(nb, second)
    papermill.execute_notebook(
        str(first), str(first), engine_name=warm_kernel.ENGINE, km=kernel.manager(), progress_bar=False
    )
    papermill.execute_notebook(
        str(second), str(second), engine_name=warm_kernel.ENGINE, km=kernel.manager(), progress_bar=False
    )
    cell = nbformat.read(second, as_version=4).cells[0]
    assert cell.outputs[0]["text"] == "False\n"
    assert cell.execution_count == 1


def test_a_dead_kernel_is_replaced(kernel, tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("import os\nos._exit(1)")]
    path = tmp_path / "dies.ipynb"
    nbformat.write(nb, path)
    km = kernel.manager()
    with pytest.raises(Exception, match=r"[Dd]ead|died"):
        papermill.execute_notebook(str(path), str(path), engine_name=warm_kernel.ENGINE, km=km)
    assert kernel.manager() is not km  # a new kernel, not the dead one


def test_saves_during_a_run_are_compact_and_the_kept_notebook_is_nbformats(tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1"), nbformat.v4.new_code_cell("2")])
    nb.metadata["papermill"] = {}  # as papermill prepares a notebook before running it
    target = tmp_path / "run.ipynb"
    manager = warm_kernel.QuickSaveManager(nb, output_path=str(target), progress_bar=False)
    manager.notebook_start()
    manager.cell_start(nb.cells[0], 0)
    during = target.read_text(encoding="utf-8")
    assert "\n" not in during  # the quick writer: no indentation
    assert nbformat.read(target, as_version=4).cells[0].metadata.papermill["status"] == "running"
    manager.cell_complete(nb.cells[0], 0)
    manager.notebook_complete()
    assert target.read_text(encoding="utf-8") == nbformat.writes(nb)


class _Channel:
    """A client channel replaying messages, then empty (as a kernel that stopped answering)."""

    def __init__(self, messages):
        self.messages = list(messages)

    async def get_msg(self, timeout=None):
        from queue import Empty

        if not self.messages:
            raise Empty
        return self.messages.pop(0)


class _Client:
    def __init__(self, shell, iopub):
        self.shell_channel, self.iopub_channel = _Channel(shell), _Channel(iopub)

    def kernel_info(self):
        return "ours"

    async def is_alive(self):
        return True


def _msg(parent, msg_type="kernel_info_reply", state=None):
    return {"parent_header": {"msg_id": parent}, "msg_type": msg_type, "content": {"execution_state": state}}


def test_connected_waits_for_its_own_idle_status_and_gives_up_on_a_silent_kernel():
    import asyncio

    answering = _Client(
        shell=[_msg("old"), _msg("ours")],
        iopub=[_msg("old", "status", "idle"), _msg("ours", "status", "busy"), _msg("ours", "status", "idle")],
    )
    asyncio.run(warm_kernel._connected(answering, timeout=5))
    assert answering.iopub_channel.messages == []  # read up to its own idle status, no further
    with pytest.raises(RuntimeError, match="did not answer"):
        asyncio.run(warm_kernel._connected(_Client(shell=[], iopub=[]), timeout=0.01))
