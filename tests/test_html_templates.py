"""The HTML the package writes comes from one Jinja environment: autoescaped, strict about variables."""

from __future__ import annotations

import json
from pathlib import Path

import jinja2
import pytest
from markupsafe import Markup

from aibm_core.analysis.results import evaluate_scenario, results_payload
from aibm_core.analysis.results_cache import model_results
from aibm_core.present import html, summary
from aibm_core.present.report import write_cross_scenario, write_index

HOSTILE = "<script>alert(1)</script> & co"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"


def write_run(folder: Path, scenario: str, model: str, payload: dict) -> None:
    (folder / scenario).mkdir(parents=True, exist_ok=True)
    (folder / scenario / f"{model}.json").write_text(json.dumps(payload))


@pytest.fixture
def parameters(tmp_path: Path) -> Path:
    """A parameters folder whose scenario ``hostile`` has markup and an ampersand in its description."""
    folder = tmp_path / "parameters"
    (folder / "base").mkdir(parents=True)  # the scenario it overlays
    (folder / "base" / "api_access.yaml").write_text("")
    (folder / "hostile").mkdir()
    (folder / "hostile" / "scenario.yaml").write_text(json.dumps({"description": HOSTILE}))
    return folder


def test_summary_escapes_the_scenario_name_and_description(parameters):
    seed = evaluate_scenario("api_access", "seed")
    block = summary.summary_html(seed, model_results("api_access", "seed"), "hostile", parameters)
    assert "<script>" not in block
    assert f"<b>Scenario hostile</b>: {ESCAPED}." in block
    (parameters / "x<script>").mkdir()
    block = summary.summary_html(seed, model_results("api_access", "seed"), "x<script>", parameters)
    assert "<b>Scenario x&lt;script&gt;</b>" in block and "<script>" not in block
    assert "<style>" in block and ".aibm-summary {" in block  # the style sheet is markup, kept as it is


def test_pages_escape_titles_descriptions_names_and_reasons(tmp_path, parameters):
    out = tmp_path / "out"
    payload = results_payload(evaluate_scenario("api_access", "seed"), "hostile")
    payload["title"] = f"API {HOSTILE}"
    payload["north_star"]["name"] = f"star {HOSTILE}"
    write_run(out, "hostile", "api_access", payload)
    index = write_index(out, [("hostile", "ai_hardware", f"failed: {HOSTILE}")], parameters).read_text()
    assert "<script>" not in index
    assert f"API {ESCAPED} (" in index  # the model's column title
    assert f"<div class='description'>{ESCAPED}</div>" in index
    assert f"<b>FAILED</b>: failed: {ESCAPED}" in index
    assert f"<span class='what'>star {ESCAPED}:</span>" in index
    cross = write_cross_scenario(out, parameters).read_text()
    assert "<script>" not in cross
    assert f"<li><b>hostile</b>: {ESCAPED}</li>" in cross and f"API {ESCAPED} (" in cross
    assert f"<th title='{ESCAPED}'>" in cross and f"north star: star {ESCAPED}" in cross
    assert "<svg" in cross  # the chart is markup, kept as it is


def test_quotes_are_escaped_as_the_stored_notebook_outputs_hold_them():
    env = html.environment()
    text = env.from_string("<a title='{{ x }}'>{{ x }}</a>").render(x='it\'s "so" <b>')
    assert text == "<a title='it&#x27;s &quot;so&quot; &lt;b&gt;'>it&#x27;s &quot;so&quot; &lt;b&gt;</a>"
    assert env.from_string("{{ x }}").render(x=Markup("<b>bold</b>")) == "<b>bold</b>"


def test_the_environment_autoescapes_and_is_strict_about_undefined_variables():
    env = html.environment()
    assert env is html.environment()  # built once
    assert env.undefined is jinja2.StrictUndefined
    assert env.autoescape("summary.html.j2") and env.autoescape("page.html")
    assert env.from_string("{{ x }}").render(x="<i>") == "&lt;i&gt;"
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("<p>{{ missing }}</p>").render()
    with pytest.raises(jinja2.UndefinedError):
        html.render("summary.html.j2")  # a shipped template given nothing


def test_every_template_is_one_the_environment_finds():
    names = sorted(path.name for path in html.template_files())
    assert names == sorted(html.environment().list_templates(extensions=["j2"]))
    for name in names:
        html.environment().get_template(name)  # each compiles
