"""A report opened in headless Chromium with the network blocked: every chart renders."""

from __future__ import annotations

import pytest

from aibm_core.core.config import OUTPUTS_DIR
from aibm_core.models import get_model, model_names
from tests.conftest import NEEDS_CHROMIUM, chromium, notebook_charts

SCREENSHOTS = OUTPUTS_DIR / "screenshots"

pytestmark = NEEDS_CHROMIUM


@pytest.fixture(scope="module")
def page():
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.blocked = []  # every request that tried to leave the machine
        page.errors = []
        page.route(
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith("file:")
                else (page.blocked.append(route.request.url), route.abort())
            ),
        )
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        yield page


@pytest.mark.parametrize("model", [*model_names(), "pyramid_comparison"])
def test_report_renders_every_chart_offline(page, seed_run, model):
    report = seed_run / "seed" / f"{model}.html"
    charts = notebook_charts(report.with_suffix(".ipynb"))
    assert charts >= 3
    page.goto(report.as_uri())
    page.wait_for_function(
        f"document.querySelectorAll('.aibm-chart.vega-embed').length === {charts}", timeout=30_000
    )
    for chart in page.query_selector_all(".aibm-chart"):
        box = chart.bounding_box()
        assert box and box["width"] > 200 and box["height"] > 100
        assert chart.query_selector("canvas, svg")
    assert page.blocked == [] and page.errors == []
    if model != "pyramid_comparison":
        assert get_model(model).title in page.inner_text("body")
        assert page.query_selector(".aibm-summary .aibm-card")  # the executive summary opens it
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"report_{model}.png"), full_page=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOTS / f"report_{model}_top.png"))  # what a reader sees first


def test_report_slider_moves_without_a_kernel(page, seed_run):
    report = seed_run / "seed" / "api_access.html"
    charts = notebook_charts(report.with_suffix(".ipynb"))
    page.goto(report.as_uri())
    page.wait_for_function(
        f"document.querySelectorAll('.aibm-chart.vega-embed').length === {charts}", timeout=30_000
    )
    slider = page.query_selector("input[type=range][name=pick]")
    chart = slider.evaluate_handle("el => el.closest('.aibm-chart')").as_element()

    def readout() -> str:
        mark = chart.query_selector("g.mark-text.role-mark text")
        return mark.text_content() if mark else ""

    before = readout()
    slider.evaluate("el => { el.value = 0.8; el.dispatchEvent(new Event('input', {bubbles: true})); }")
    page.wait_for_timeout(500)
    after = readout()
    assert before and after and before != after, (before, after)
    assert page.errors == []


def test_report_what_if_sliders_work_together_without_a_kernel(page, seed_run):
    """The what-if chart's sliders (one per main driver) move its read-out, each on its own."""
    report = seed_run / "seed" / "ai_infrastructure.html"  # three drivers move its margin
    page.goto(report.as_uri())
    page.wait_for_selector("input[type=range][name=move_1]", state="attached", timeout=30_000)
    chart = page.query_selector("input[name=move_1]").evaluate_handle("el => el.closest('.aibm-chart')")
    chart = chart.as_element()

    def readout() -> list[str]:
        return [t.text_content() for t in chart.query_selector_all("g.mark-text.role-mark text")]

    def move(name: str, value: int) -> None:
        chart.query_selector(f"input[name={name}]").evaluate(
            f"el => {{ el.value = {value}; el.dispatchEvent(new Event('input', {{bubbles: true}})); }}"
        )
        page.wait_for_timeout(400)

    before = readout()
    assert any("(base)" in line for line in before), before
    move("move_1", 30)
    after_one = readout()
    move("move_0", -20)
    after_two = readout()
    assert before != after_one != after_two, (before, after_one, after_two)
    assert any("+30% from base" in line for line in after_one), after_one
    assert any("-20% from base" in line for line in after_two), after_two
    assert page.errors == []


def test_index_links_to_the_report(page, seed_run):
    page.goto((seed_run / "index.html").as_uri())
    link = page.query_selector("a[href='seed/api_access.html']")
    assert link is not None
    table = page.inner_text("table")
    assert "50.0%" in table and "70.0%" in table
    assert page.blocked == []
