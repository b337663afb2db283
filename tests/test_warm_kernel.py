"""Notebooks on a warm (reused) kernel give the outputs of a fresh kernel, and its faults are contained."""

from __future__ import annotations

import json

import papermill
import pytest

from aibm_core.batch import execution, warm_kernel
from aibm_core.core.config import NOTEBOOKS_DIR
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
        target = tmp_path / f"warm-{source.name}"
        warm[source.name] = _run(source, target, **warm_kernel.papermill_options(kernel, target))
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


def _notebook(path, *sources):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    nbformat.write(nb, path)
    return path


def test_a_dead_kernel_is_replaced_and_the_saved_notebook_shows_where_it_died(kernel, tmp_path):
    import nbformat

    path = _notebook(tmp_path / "dies.ipynb", "1 + 1", "import os\nos._exit(1)")
    options = warm_kernel.papermill_options(kernel, path)
    with pytest.raises(Exception, match=r"[Dd]ead|died"):
        papermill.execute_notebook(str(path), str(path), **options)
    assert kernel.manager() is not options["km"]  # a new kernel, not the dead one
    cells = nbformat.read(path, as_version=4).cells  # saved through nbformat when the run failed
    assert all(c.metadata.papermill["start_time"] for c in cells)
    assert execution._running_cell(path) == 1  # what the runner reports as the cell the kernel died in
    assert cells[0].outputs[0]["data"]["text/plain"] == "2"


def test_saves_during_a_run_are_compact_and_the_kept_notebook_is_nbformats(kernel, tmp_path):
    import nbformat

    path = tmp_path / "run.ipynb"
    # The second cell reads the notebook saved as it started.
    read_back = f"import json\nsaved = open({str(path)!r}).read()\n" + (
        "print('\\n' in saved, [c['metadata']['papermill']['status'] for c in json.loads(saved)['cells']])"
    )
    _notebook(path, "1 + 1", read_back)
    papermill.execute_notebook(str(path), str(path), **warm_kernel.papermill_options(kernel, path))
    kept = path.read_text(encoding="utf-8")
    cells = nbformat.reads(kept, as_version=4).cells
    assert cells[1].outputs[0]["text"] == "False ['completed', 'running']\n"
    assert kept == nbformat.writes(nbformat.reads(kept, as_version=4))


def test_the_engine_needs_a_kernel(tmp_path):
    path = _notebook(tmp_path / "nb.ipynb", "1")
    with pytest.raises(ValueError, match="km="):
        papermill.execute_notebook(str(path), str(path), engine_name=warm_kernel.ENGINE, progress_bar=False)


def test_the_engine_leaves_the_kernel_running_and_closes_its_client(kernel, tmp_path, monkeypatch):
    from papermill.clientwrap import PapermillNotebookClient

    clients = []
    original = PapermillNotebookClient.execute

    def execute(self, **kwargs):
        clients.append(self)
        return original(self, **kwargs)

    monkeypatch.setattr(PapermillNotebookClient, "execute", execute)
    path = _notebook(tmp_path / "nb.ipynb", "1")
    km = kernel.manager()
    papermill.execute_notebook(
        str(path), str(path), engine_name=warm_kernel.ENGINE, km=km, progress_bar=False
    )
    assert warm_kernel._sync(km.is_alive())
    [client] = clients
    assert client.km is km and not client.owns_km
    assert not client.kc.channels_running


def test_what_a_notebook_changes_in_its_kernel_does_not_reach_the_next(kernel, tmp_path):
    import nbformat

    change = _notebook(
        tmp_path / "change.ipynb",
        "import os, random, numpy, pandas, altair\nimport aibm_core.core.config as config\n"
        "os.environ['AIBM_LIVE'] = '1'\nos.environ.pop('PATH', None)\n"
        "pandas.set_option('display.precision', 1)\nnumpy.set_printoptions(precision=2)\n"
        "random.seed(1)\nnumpy.random.seed(1)\naltair.theme.enable('dark')\n"
        "config.NOTEBOOKS_DIR = 'elsewhere'\nconfig.ADDED = True\nos.chdir('/')",
    )
    look = (
        "import os, random, numpy, pandas, altair\nimport aibm_core.core.config as config\n"
        "print(os.environ.get('AIBM_LIVE'), 'PATH' in os.environ, pandas.get_option('display.precision'),\n"
        "      numpy.get_printoptions()['precision'], altair.theme.active,\n"
        "      str(config.NOTEBOOKS_DIR).endswith('notebooks'), hasattr(config, 'ADDED'),\n"
        "      os.getcwd() != '/')\n"
        "print(random.random(), numpy.random.random())"
    )
    first, second = _notebook(tmp_path / "first.ipynb", look), _notebook(tmp_path / "second.ipynb", look)
    outputs = []
    for path in (first, change, second):
        papermill.execute_notebook(str(path), str(path), **warm_kernel.papermill_options(kernel, path))
        outputs.append(nbformat.read(path, as_version=4).cells[0].outputs)
    assert outputs[2][0]["text"].splitlines()[0] == "None True 6 8 default True False True"
    assert outputs[2][0]["text"] == outputs[0][0]["text"]  # the same random draws as before the change
