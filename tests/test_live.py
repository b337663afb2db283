"""Live sessions in headless Chromium: a Voila dashboard and JupyterLab, nothing fetched from outside.

Each test starts its server as a subprocess on a free port (stopped afterwards whatever
happens), lets the browser reach only that server, and saves a screenshot under
``outputs/screenshots/``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from aibm_core.core.config import NOTEBOOKS_DIR, OUTPUTS_DIR, PARAMETERS_DIR
from aibm_core.present import dashboard
from aibm_core.present.stored_outputs import strip_files
from tests.conftest import NEEDS_CHROMIUM, aibm, chromium

SCREENSHOTS = OUTPUTS_DIR / "screenshots"
#: The token the dashboards of these tests require (``aibm dashboard`` takes it from JUPYTER_TOKEN).
TOKEN = "aibm-live-test"
#: Seconds a server may take to listen, and a notebook to run (2 busy cores in CI).
START_TIMEOUT, RUN_TIMEOUT = 60, 180
pytestmark = NEEDS_CHROMIUM


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((dashboard.HOST, 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def server(command: list[str], port: int, env: dict[str, str], log: Path) -> Iterator[str]:
    """Run a server in its own process group until the block ends; yields its base URL."""
    with log.open("w") as out:
        process = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            with contextlib.suppress(OSError), socket.create_connection((dashboard.HOST, port), timeout=1):
                break
            assert process.poll() is None, f"server exited:\n{log.read_text()}"
            assert time.monotonic() < deadline, (
                f"server not listening after {START_TIMEOUT} s:\n{log.read_text()}"
            )
            time.sleep(0.2)
        yield f"http://{dashboard.HOST}:{port}"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


def open_page(browser, base: str):
    """A page that may reach only ``base``; requests elsewhere are aborted and kept in ``page.blocked``."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.blocked, page.errors, page.slow_widgets = [], [], []
    page.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith((f"{base}/", "data:", "blob:"))
            else (page.blocked.append(route.request.url), route.abort())
        ),
    )
    page.on("pageerror", lambda error: kept_error(page, str(error)))
    return page


#: anywidget rejects a widget that has not started within 2 s (a fixed timeout in its runtime), and
#: says so, although the widget goes on to start: on a loaded machine a live chart's bundled Vega can
#: take longer. Such a message is kept apart, and the page must then still draw its live charts.
SLOW_WIDGET = "[anywidget] Failed to initialize model."


def kept_error(page, error: str) -> None:
    """Keep a page error: anywidget's start-up timeout apart (:data:`SLOW_WIDGET`), others as errors."""
    (page.slow_widgets if error == SLOW_WIDGET else page.errors).append(error)


def assert_no_errors(page) -> None:
    """No page error; after an anywidget start-up timeout, the live charts are drawn all the same."""
    assert page.errors == [], page.errors
    if page.slow_widgets:
        page.wait_for_selector(".vega-embed canvas, .vega-embed svg", state="attached", timeout=60_000)


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name))


def test_voila_dashboard_slider_updates_margin_and_chart(browser, tmp_path):
    port = free_port()
    command = [sys.executable, "-m", "aibm_core.batch.cli", "dashboard", "api_access"]
    command += ["--port", str(port), "--no-browser"]
    with server(command, port, {**os.environ, dashboard.TOKEN_ENV: TOKEN}, tmp_path / "voila.log") as base:
        page = open_page(browser, base)
        begin = time.monotonic()
        page.goto(f"{base}/?token={TOKEN}", timeout=RUN_TIMEOUT * 1000)
        page.wait_for_selector(".aibm-what-if-chart svg", timeout=RUN_TIMEOUT * 1000)
        print(f"Voila page with its what-if panel: {time.monotonic() - begin:.1f} s")
        assert "import " not in page.inner_text("body")  # code cells hidden
        margin = page.inner_text(".aibm-what-if-margin")
        chart = page.inner_html(".aibm-what-if-chart")
        assert margin.startswith("60.9%") and "+0.0 pts" in margin, margin
        readouts = page.eval_on_selector_all(
            ".aibm-what-if .widget-readout", "els => els.map(e => e.textContent)"
        )
        assert readouts[:2] == ["$15.00", "60.0%"], readouts

        handle = page.query_selector(".aibm-what-if .noUi-handle")  # the output-token price
        handle.scroll_into_view_if_needed()
        box = handle.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.down()
        page.mouse.move(box["x"] + 80, box["y"] + box["height"] / 2, steps=5)
        page.mouse.up()
        page.wait_for_function(
            "before => document.querySelector('.aibm-what-if-margin').innerText !== before",
            arg=margin,
            timeout=30_000,
        )
        after = page.inner_text(".aibm-what-if-margin")
        price = page.eval_on_selector_all(".aibm-what-if .widget-readout", "els => els[0].textContent")
        assert float(price.lstrip("$")) > 15, price  # dragged right: a higher price...
        assert float(after.split("%")[0]) > 60.9 and "+" in after, after  # ...and a higher margin
        page.wait_for_function(  # the chart arrives in its own message, after the margin
            "before => document.querySelector('.aibm-what-if-chart').innerHTML !== before",
            arg=chart,
            timeout=30_000,
        )
        assert page.blocked == [], page.blocked
        assert_no_errors(page)
        page.query_selector(".aibm-what-if").scroll_into_view_if_needed()
        screenshot(page, "voila_api_access.png")
        page.close()


def test_jupyterlab_opens_trusted_and_charts_go_live(browser, tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    notebook = Path(shutil.copy(NOTEBOOKS_DIR / "api_access.ipynb", folder))
    strip_files([notebook])  # as committed by make notebooks: each chart's spec, no SVG copy
    env = dashboard.live_environment()
    for name in ("CONFIG", "DATA", "RUNTIME"):  # no user settings read, trust database kept here
        env[f"JUPYTER_{name}_DIR"] = str(tmp_path / name.lower())
    subprocess.run(dashboard.trust_command([notebook]), env=env, check=True, capture_output=True)
    port, token = free_port(), "aibm-test"
    command = [*dashboard.lab_command(folder, port, open_browser=False), f"--IdentityProvider.token={token}"]
    with server(command, port, env, tmp_path / "lab.log") as base:
        page = open_page(browser, base)
        page.goto(f"{base}/lab/tree/{notebook.name}?token={token}", timeout=RUN_TIMEOUT * 1000)
        stored = ".jp-OutputArea-output.jp-RenderedVegaCommon5"  # JupyterLab's own Vega renderer
        # JupyterLab renders cells out of view lazily: wait for the outputs to exist, then look
        page.wait_for_selector(stored, state="attached", timeout=RUN_TIMEOUT * 1000)
        page.wait_for_selector(f"{stored} :is(svg, canvas)", state="attached", timeout=RUN_TIMEOUT * 1000)
        page.wait_for_timeout(500)
        assert "Not Trusted" not in page.inner_text("body")
        assert page.locator(stored).count() >= 6
        assert "<chart:" not in page.inner_text(".jp-Notebook")  # no text fallback of a chart
        page.locator(stored).first.scroll_into_view_if_needed()
        assert "Jupyter news" not in page.inner_text("body")
        assert page.locator(".aibm-summary mjx-container").count() == 0  # dollars not read as TeX
        screenshot(page, "jupyterlab_api_access_trusted.png")

        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        live = ".jp-OutputArea-output:not(.jp-RenderedVegaCommon5) .vega-embed"  # a JupyterChart
        page.wait_for_selector(live, state="attached", timeout=RUN_TIMEOUT * 1000)
        page.locator(live).first.scroll_into_view_if_needed()
        chart = page.locator(f"{live} :is(canvas, svg)").first
        chart.wait_for(state="visible", timeout=30_000)  # drawn once scrolled into view
        box = chart.bounding_box()
        assert box and box["width"] > 200 and box["height"] > 100
        assert page.blocked == [], page.blocked
        assert_no_errors(page)
        screenshot(page, "jupyterlab_api_access_live.png")
        page.close()


def test_voila_dashboard_on_a_scenario_edits_any_assumption_and_saves_a_scenario(browser, tmp_path):
    parameters = Path(shutil.copytree(PARAMETERS_DIR, tmp_path / "parameters"))
    port = free_port()
    command = [sys.executable, "-m", "aibm_core.batch.cli", "dashboard", "api_access"]
    command += ["--scenario", "commoditization", "--parameters", str(parameters)]
    command += ["--port", str(port), "--no-browser"]
    with server(command, port, {**os.environ, dashboard.TOKEN_ENV: TOKEN}, tmp_path / "voila.log") as base:
        page = open_page(browser, base)
        page.goto(f"{base}/?token={TOKEN}", timeout=RUN_TIMEOUT * 1000)
        page.wait_for_selector(".aibm-what-if-chart svg", timeout=RUN_TIMEOUT * 1000)
        assert "Scenario commoditization" in page.inner_text("body")
        margin = page.inner_text(".aibm-what-if-margin")
        assert "+0.0 pts" in margin, margin

        panel = page.locator(".aibm-what-if-all")
        panel.get_by_text("All assumptions").first.click()
        panel.get_by_text("Drivers (").first.click()
        box = page.locator(".aibm-input-infra_overhead_share input")
        box.scroll_into_view_if_needed()
        box.fill("1")
        box.press("Enter")
        page.wait_for_function(
            "before => document.querySelector('.aibm-what-if-margin').innerText !== before",
            arg=margin,
            timeout=30_000,
        )
        after = page.inner_text(".aibm-what-if-margin")
        assert "-" in after.split("pts")[0], after  # serving overhead up: a lower margin

        page.locator(".aibm-what-if-save-name input").fill("from_the_dashboard")
        page.locator(".aibm-what-if-save").click()
        page.wait_for_selector(".aibm-what-if-saved :text('Saved')", timeout=30_000)
        assert page.blocked == [], page.blocked
        assert_no_errors(page)
        page.query_selector(".aibm-what-if-saved").scroll_into_view_if_needed()
        screenshot(page, "voila_api_access_scenario_saved.png")
        page.close()
    saved = parameters / "from_the_dashboard" / "api_access.yaml"
    assert saved.read_text().splitlines()[1:] == [
        "infra_overhead_share: 1.0  # why: what-if on scenario commoditization"
    ]
    done = aibm("validate", str(parameters / "from_the_dashboard"))
    assert done.returncode == 0, done.stderr
