"""`aibm run --changed` (only what changed runs again) and `aibm run --executor dask`."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest

from aibm_core.analysis.results import to_json
from aibm_core.analysis.results_cache import model_results
from aibm_core.batch import cli, dask_executor, incremental, jobs, runner
from aibm_core.core.config import NOTEBOOKS_DIR, PARAMETERS_DIR
from aibm_core.present import exports
from tests.conftest import aibm, notebook_without_run_details

MODELS = ("api_access", "ai_hardware")


def _parameters(tmp_path: Path) -> Path:
    """base and seed (copied), ``child`` overlaying seed with its own api_access file."""
    params = tmp_path / "parameters"
    for scenario in ("base", "seed"):
        (params / scenario).mkdir(parents=True)
        for name in (*MODELS, "scenario"):
            shutil.copy(PARAMETERS_DIR / scenario / f"{name}.yaml", params / scenario)
    (params / "child").mkdir()
    (params / "child" / "scenario.yaml").write_text("description: A child of seed\noverlays: seed\n")
    (params / "child" / "api_access.yaml").write_text("monthly_churn: 0.05\n")
    return params


@pytest.fixture
def workbook(tmp_path, monkeypatch):
    """Parameters, notebooks and an output folder, with notebook runs simulated in-process.

    Each simulated run writes the model's real results (computed without a kernel) and
    placeholder notebook and report; ``ran`` lists the runs of the latest batch and runs in
    ``fail`` fail.
    """
    params = _parameters(tmp_path)
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    for model in (*MODELS, jobs.PYRAMID):
        shutil.copy(NOTEBOOKS_DIR / f"{model}.ipynb", notebooks)
    state = {"ran": [], "fail": set()}

    def batch(planned, _pool, _progress, _computed):
        outcomes = []
        for job in planned:
            state["ran"].append(incremental.run_key(job))
            job.folder.mkdir(parents=True, exist_ok=True)
            if incremental.run_key(job) in state["fail"]:
                job.path(".json").unlink(missing_ok=True)
                outcomes.append(jobs.Outcome(job, False, 0.1, "cell 3: RuntimeError: deliberate"))
                continue
            payload = (
                {"kind": "pyramid_comparison"}
                if job.model == jobs.PYRAMID
                else json.loads(to_json(model_results(job.model, job.scenario, params)))
            )
            job.path(".json").write_text(json.dumps(payload))
            job.path(".html").write_text("<html></html>")
            job.path(".ipynb").write_text(json.dumps(nbformat.v4.new_notebook()))
            outcomes.append(jobs.Outcome(job, True, 0.1))
        return outcomes

    monkeypatch.setattr(runner, "_run_batch", batch)
    out = tmp_path / "out"

    def run(*args: str) -> tuple[int, list[str], str]:
        state["ran"] = []
        code = cli.main(
            ["run", "--parameters", str(params), "--notebooks", str(notebooks), "--output", str(out),
             "--no-progress", *args]
        )  # fmt: skip
        return code, sorted(state["ran"]), ""

    return run, params, notebooks, out, state


ALL_RUNS = sorted(
    [f"{s}/{m}" for s in ("base", "seed", "child") for m in MODELS]
    + [f"{s}/{jobs.PYRAMID}" for s in ("base", "seed", "child")]
)


def test_changed_after_a_full_run_skips_everything_and_still_writes_the_index(workbook, capsys):
    run, _params, _notebooks, out, _state = workbook
    code, ran, _ = run()
    assert code == 0 and ran == ALL_RUNS
    (out / "index.html").unlink()
    capsys.readouterr()
    code, ran, _ = run("--changed")
    printed = capsys.readouterr().out
    assert code == 0 and ran == []
    assert "skipped 9 unchanged run(s)" in printed
    assert (out / "index.html").is_file() and "seed/api_access.html" in (out / "index.html").read_text()


def test_a_changed_parameter_file_reruns_its_run_and_its_pyramid(workbook):
    run, params, _notebooks, _out, _state = workbook
    run()
    path = params / "child" / "api_access.yaml"
    path.write_text("monthly_churn: 0.06\n")
    assert run("--changed")[1] == ["child/api_access", f"child/{jobs.PYRAMID}"]
    assert run("--changed")[1] == []
    path.write_text("monthly_churn: 0.06\n")  # rewritten with the same content: judged by content
    assert run("--changed")[1] == []


def test_a_changed_overlay_parent_reruns_every_scenario_laid_over_it(workbook):
    run, params, _notebooks, _out, _state = workbook
    run()
    path = params / "seed" / "ai_hardware.yaml"
    path.write_text(path.read_text() + "\n# a comment changes the file\n")
    # child has no ai_hardware file: it takes seed's
    expected = sorted(
        ["seed/ai_hardware", "child/ai_hardware"] + [f"{s}/{jobs.PYRAMID}" for s in ("seed", "child")]
    )
    assert run("--changed")[1] == expected
    (params / "child" / "scenario.yaml").write_text("description: A child of base\noverlays: base\n")
    assert run("--changed")[1] == sorted([f"child/{m}" for m in MODELS] + [f"child/{jobs.PYRAMID}"])


def test_a_changed_notebook_reruns_its_model_in_every_scenario(workbook):
    run, _params, notebooks, _out, _state = workbook
    run()
    nb = nbformat.read(notebooks / "ai_hardware.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("One more note."))
    nbformat.write(nb, notebooks / "ai_hardware.ipynb")
    expected = sorted(
        [f"{s}/ai_hardware" for s in ("base", "seed", "child")]
        + [f"{s}/{jobs.PYRAMID}" for s in ("base", "seed", "child")]
    )
    assert run("--changed")[1] == expected


def test_a_failed_run_and_a_missing_output_run_again(workbook):
    run, _params, _notebooks, out, state = workbook
    state["fail"] = {"seed/api_access"}
    assert run()[0] == 1
    state["fail"] = set()
    (out / "base" / "ai_hardware.html").unlink()
    assert run("--changed")[1] == sorted(
        ["seed/api_access", "base/ai_hardware", f"seed/{jobs.PYRAMID}", f"base/{jobs.PYRAMID}"]
    )
    assert run("--changed")[1] == []


def test_the_pyramid_alone_reruns_when_a_model_file_of_its_scenario_changes(workbook):
    run, params, _notebooks, _out, _state = workbook
    run()
    (params / "seed" / "api_access.yaml").write_text(
        (params / "seed" / "api_access.yaml").read_text() + "\n# edited\n"
    )
    # the comparison reads every model's files itself, whether or not the models run
    assert run("--changed", "--model", jobs.PYRAMID)[1] == [
        f"child/{jobs.PYRAMID}",
        f"seed/{jobs.PYRAMID}",
    ]


def test_fingerprints_import_nothing_heavy_and_hash_the_package(workbook):
    _run, params, _notebooks, out, _state = workbook
    jobs = runner.plan(params, out, ["seed"], ["api_access"])
    files = incremental.input_files(jobs[0], params)
    assert params / "seed" / "api_access.yaml" in files and params / "base" / "api_access.yaml" in files
    assert PARAMETERS_DIR / "seed" / "api_access.yaml" in files  # the seeds' worked example
    assert not any("ai_hardware" in p.name for p in files)
    heavy = ("nbformat", "nbconvert", "papermill", "altair", "jsonschema")
    command = (
        "import importlib.util, sys; from pathlib import Path; "
        "from aibm_core.batch import incremental, runner; "
        f"params = Path({str(params)!r}); "
        f"incremental.fingerprints(runner.plan(params, Path({str(out)!r})), params); "
        f"print(sorted(m for m in {heavy!r} if m in sys.modules "
        "and not isinstance(sys.modules[m], importlib.util._LazyModule)))"  # a lazy proxy is not loaded
    )
    done = subprocess.run([sys.executable, "-c", command], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.slow
def test_changed_on_real_outputs_skips_in_seconds(tmp_path):
    out = tmp_path / "out"
    args = ("run", "--scenario", "seed", "--model", "api_access", "--output", str(out), "--no-progress")
    first = aibm(*args)
    assert first.returncode == 0, first.stdout + first.stderr
    start = time.monotonic()
    again = aibm(*args, "--changed")
    elapsed = time.monotonic() - start
    assert again.returncode == 0, again.stdout + again.stderr
    assert "skipped 1 unchanged run(s)" in again.stdout and "index:" in again.stdout
    assert "│ ok" not in again.stdout  # no run table: nothing ran
    assert elapsed < 30  # the figure (under 2 s with report's imports made lazy) is benchmarked


# --- the Dask executor ---------------------------------------------------------------------------

STREAM_BOUNDARY = re.compile(
    r'</pre>\s*</div>\s*</div>\s*<div class="jp-OutputArea-child">\s*'
    r'<div class="jp-RenderedText jp-OutputArea-output" data-mime-type="text/plain" tabindex="0">\s*<pre>'
)


@pytest.mark.slow
def test_a_dask_cluster_gives_the_same_outputs_as_local_workers(tmp_path):
    pytest.importorskip(
        "dask.distributed", reason="the dask extra is not installed: pip install 'aibm[dask]'"
    )
    models = (a for m in MODELS for a in ("--model", m))
    batch = ["--scenario", "seed", *models, "--no-progress", "--no-exports"]
    local, remote = tmp_path / "local", tmp_path / "dask"
    done = aibm("run", *batch, "--output", str(local), "--workers", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    done = aibm("run", *batch, "--output", str(remote), "--executor", "dask", "--workers", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    names = sorted(p.name for p in (local / "seed").iterdir())
    assert names == sorted(f"{m}{s}" for m in MODELS for s in (".html", ".ipynb", ".json"))
    assert sorted(p.name for p in (remote / "seed").iterdir()) == names
    assert not [p for p in remote.rglob(".*") if p.name not in {".aibm.lock", incremental.MANIFEST}]
    for name in names:
        mine, theirs = ((folder / "seed" / name).read_text() for folder in (local, remote))
        if name.endswith(".json"):
            assert mine == theirs, name  # byte for byte
        elif name.endswith(".html"):
            assert STREAM_BOUNDARY.sub("", mine) == STREAM_BOUNDARY.sub("", theirs), name
        else:
            assert notebook_without_run_details(mine) == notebook_without_run_details(theirs), name
    recorded = json.loads((remote / incremental.MANIFEST).read_text())["runs"]
    assert sorted(recorded) == [f"seed/{m}" for m in sorted(MODELS)]


def test_job_files_carry_what_a_worker_without_the_folders_needs(tmp_path):
    params = _parameters(tmp_path)
    planned = runner.plan(params, tmp_path / "out", ["child"], [jobs.PYRAMID, "api_access"])
    pyramid = next(j for j in planned if j.model == jobs.PYRAMID)
    files = dask_executor.job_files(pyramid)
    assert (
        files["notebooks/pyramid_comparison.ipynb"]
        == (NOTEBOOKS_DIR / "pyramid_comparison.ipynb").read_bytes()
    )
    assert files["parameters/child/api_access.yaml"] == b"monthly_churn: 0.05\n"
    assert {"parameters/base/ai_hardware.yaml", "parameters/seed/scenario.yaml"} <= set(files)
    model = next(j for j in planned if j.model == "api_access")
    # its values travel with it; its scenario's files for the models it buys from (the hardware
    # vendor, through the GPU cloud, which this folder lacks) and the scenario descriptions do too
    assert set(dask_executor.job_files(model)) == {
        "notebooks/api_access.ipynb",
        *(
            f"parameters/{s}/{name}"
            for s in ("base", "seed", "child")
            for name in ("scenario.yaml", "api_access.yaml")
        ),
        *(f"parameters/{s}/ai_hardware.yaml" for s in ("base", "seed")),
    }


def test_dask_missing_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "dask", None)  # import dask raises ImportError
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    monkeypatch.setattr(runner, "run", lambda *a, **k: pytest.fail("nothing may run"))
    code = cli.main(["run", "--scenario", "seed", "--executor", "dask", "--output", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "pip install 'aibm[dask]'" in err and not (tmp_path / "o").exists()


def test_a_scheduler_without_the_dask_executor_is_bad_input(tmp_path, capsys):
    code = cli.main(["run", "--scheduler", "tcp://localhost:8786", "--output", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "--executor dask" in err and err.count("\n") == 1


def test_after_an_edit_no_page_shows_the_old_figures(workbook):
    """A report shows only its own scenario; the page that shows every scenario is rebuilt."""
    from aibm_core.analysis.results import from_json_number
    from aibm_core.core.formatting import format_value

    run, params, _notebooks, out, _state = workbook
    run()

    def child_margin() -> str:
        payload = json.loads((out / "child" / "api_access.json").read_text())
        return format_value(from_json_number(payload["gross_margin"]), "fraction")

    before = child_margin()
    (params / "child" / "api_access.yaml").write_text("price_per_m_output_tokens: 9.0\n")
    assert run("--changed")[1] == ["child/api_access", f"child/{jobs.PYRAMID}"]
    after = child_margin()
    assert after != before
    page = (out / "scenarios.html").read_text()
    section = page[page.index("id='model-api_access'") :]
    row = section[section.index("gross margin (snapshot month)") :].split("</tr>")[0]
    assert re.findall(r"<td>([^<]*)</td>", row)[0] == after  # child, a scenario of the user's own, first
    # the runs skipped (base, seed) hold no figure of another scenario that could go stale
    seed = re.sub(r"<style>.*?</style>", "", runner_summary_html("seed", params), flags=re.S)
    assert "child" not in seed and "base" not in seed


def runner_summary_html(scenario: str, params: Path) -> str:
    """The executive summary a model notebook shows for ``scenario`` (its HTML)."""
    from aibm_core.analysis.results import scenario_params
    from aibm_core.analysis.results_cache import computed
    from aibm_core.models import get_model
    from aibm_core.present import summary

    evaluation, results = computed(
        get_model("api_access"), scenario_params("api_access", scenario, params), scenario
    )
    return summary.summary_html(evaluation, results, scenario, params)


def test_a_buyers_inputs_include_the_files_of_every_model_it_buys_from(tmp_path):
    job = jobs.Job(
        "bull", "application_layer", PARAMETERS_DIR / "base" / "application_layer.yaml", {}, tmp_path
    )
    names = {(p.parent.name, p.name) for p in incremental.input_files(job, PARAMETERS_DIR)}
    # its seller, the API layer, buys from the GPU cloud, which buys from the hardware vendor
    for model in ("application_layer", "api_access", "ai_infrastructure", "ai_hardware"):
        assert ("bull", f"{model}.yaml") in names, model
    assert ("bull", "ai_platform.yaml") not in names


@pytest.mark.parametrize(
    "name, content",
    [
        ("api_access.html", ""),  # emptied
        ("api_access.html", "<html><body><p>cut sh"),  # truncated
        ("api_access.json", ""),
        ("api_access.json", '{"model": "api_ac'),
        ("api_access.ipynb", ""),
    ],
)
def test_an_emptied_or_truncated_output_runs_again(workbook, name, content):
    run, _params, _notebooks, out, _state = workbook
    one = ("--scenario", "seed", "--model", "api_access", "--no-exports")
    run(*one)
    (out / "seed" / name).write_text(content)
    assert run(*one, "--changed")[1] == ["seed/api_access"]
    assert run(*one, "--changed")[1] == []


def test_exports_missing_or_skipped_are_written_by_a_later_changed_run(workbook, monkeypatch):
    run, _params, _notebooks, out, _state = workbook
    two = ("--scenario", "base", "--scenario", "seed", "--model", "api_access")
    written = []
    original = exports.write_exports

    def write_exports(output, scenarios, **options):
        written.append(scenarios)
        return original(output, scenarios, **options)

    monkeypatch.setattr(exports, "write_exports", write_exports)
    assert run(*two, "--no-exports")[0] == 0
    assert not (out / "seed" / "seed.xlsx").exists() and written == []
    assert run(*two, "--changed")[1] == []  # nothing to run again...
    for scenario in ("base", "seed"):  # ...but the exports never made are written
        assert (out / scenario / f"{scenario}.xlsx").is_file(), scenario
        assert (out / scenario / "api_access_projection.csv").is_file(), scenario
    calls = len(written)
    assert run(*two, "--changed")[1] == [] and written[calls:] in ([], [[]])  # and then they are current
    (out / "seed" / "seed.xlsx").unlink()  # removed since
    (out / "base" / "api_access_projection.csv").unlink()
    assert run(*two, "--changed")[1] == []
    assert written[-1] == ["base", "seed"]
    assert (out / "seed" / "seed.xlsx").is_file() and (out / "base" / "api_access_projection.csv").is_file()


@contextlib.contextmanager
def _server(reply: bytes | None):
    """A local TCP service that accepts connections and sends ``reply`` (None: stays silent)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.2)
    stop = threading.Event()
    held = []

    def serve():
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                continue
            held.append(connection)
            if reply is not None:
                with contextlib.suppress(OSError):
                    connection.recv(65536)
                    connection.sendall(reply)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"tcp://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(2)
        for connection in held:
            connection.close()
        listener.close()


HTTP_REPLY = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 13\r\n\r\n<html></html>"


@pytest.mark.parametrize("reply", [None, HTTP_REPLY], ids=["silent", "http"])
def test_a_scheduler_address_of_the_wrong_service_is_one_line_within_the_deadline(
    tmp_path, monkeypatch, capsys, reply
):
    pytest.importorskip("dask.distributed", reason="the dask extra is not installed")
    monkeypatch.setattr(dask_executor, "DASK_CONNECT_SECONDS", 2)
    monkeypatch.setattr(dask_executor, "job_files", lambda job: pytest.fail("nothing may run"))
    with _server(reply) as address:
        start = time.monotonic()
        code = cli.main(
            ["run", "--scenario", "seed", "--model", "api_access", "--no-progress",
             "--executor", "dask", "--scheduler", address, "--output", str(tmp_path / "o")]
        )  # fmt: skip
        elapsed = time.monotonic() - start
    err = capsys.readouterr().err
    assert code == 2 and elapsed < 10, (code, elapsed, err)
    (line,) = err.splitlines()
    assert line.startswith(f"error: key '--scheduler': '{address}': ") and "Traceback" not in err
