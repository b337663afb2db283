"""The executive summary, the assumptions table, the projection labels and the index grid."""

from __future__ import annotations

import json
import re
from html import escape
from pathlib import Path

from aibm_core.analysis.results import evaluate_scenario, results_payload, scenario_params
from aibm_core.analysis.results_cache import model_results
from aibm_core.core.formatting import format_value
from aibm_core.models import get_model
from aibm_core.present import summary
from aibm_core.present.report import _EMBED_OPTIONS, write_index

SCIENTIFIC = re.compile(r"\d[eE][+-]?\d")


def visible_text(html: str) -> str:
    """The text of an HTML block without its style sheet and tags."""
    return re.sub(r"<[^>]+>", " ", re.sub(r"<style>.*?</style>", "", html, flags=re.S))


def test_executive_summary_of_the_seed_api_access():
    seed = evaluate_scenario("api_access", "seed")
    results = model_results("api_access", "seed")
    html = summary.summary_html(seed, results, "seed")
    text = visible_text(html)
    cards = dict((label, value) for label, value, _ in summary.key_figures(seed))
    assert cards["Gross margin"] == "50.0%"  # seed 000: $0.06 against $0.03 per 1K tokens
    assert cards["Cost to serve per 1M tokens"] == "$30.00 per 1M tokens"
    assert "aibm-summary" in html and html.count("class='aibm-card'") == 4
    assert all(spread == "" for _, _, spread in summary.key_figures(seed))  # no draws, no ranges
    guardrails = seed.tree.guardrails()
    assert html.count("aibm-badge ok") + html.count("aibm-badge breach") == len(guardrails)
    assert "The seeds&#x27; worked examples" in html  # the scenario's description
    assert len(re.findall(r"<li>", html)) == 3  # the three biggest drivers
    assert "scenarios compared" in text  # the other scenarios' figures are on the cross-scenario page
    assert not SCIENTIFIC.search(text)
    assert summary.summary_html(seed, results, "seed") == html  # deterministic


def test_summary_cards_carry_ranges_and_breach_probabilities_with_draws():
    from aibm_core.analysis.results_cache import computed

    params = scenario_params("api_access", "base")
    u = params.uncertainty
    params = params.with_uncertainty(type(u)(u.ranges, u.correlations, draws=200, random_seed=u.random_seed))
    base, results = computed(get_model("api_access"), params, "base")
    figures = summary.key_figures(base, results)
    assert all(spread.startswith("P10-P90 ") for _, _, spread in figures)
    html = summary.summary_html(base, results, "base")
    assert html.count("P(breach)") == len(base.tree.guardrails())
    assert "200 draws" in html


def test_headline_kpis_follow_the_unit_focus():
    base = evaluate_scenario("api_access", "base")
    assert summary.headline_kpis(base) == ["cost_per_m_tokens", "cac_payback_months"]
    hardware = evaluate_scenario("ai_hardware", "base")
    assert "hardware_revenue" not in summary.headline_kpis(hardware)  # the north star again


def test_hardware_assumptions_are_never_in_scientific_notation():
    spec = get_model("ai_hardware")
    table = spec.params.assumptions_table(spec.params())
    horizon = table.loc["horizon_months", "value"]
    assert horizon == 36 and isinstance(horizon, int)
    assert table.loc["horizon_months", "formatted"] == "36 months"
    assert table.loc["units_per_month", "range"] == "a number > 0 and <= 1,000,000,000"
    html = summary.assumptions_html(spec.params())
    assert not SCIENTIFIC.search(visible_text(html))
    assert not SCIENTIFIC.search(table.to_string()) and not SCIENTIFIC.search(table.to_html())


def test_assumptions_table_shows_every_source_in_full():
    params = evaluate_scenario("api_access", "base").params
    html = summary.assumptions_html(params)
    text = visible_text(html)
    assert "..." not in text and "…" not in text
    for name, field in type(params).model_fields.items():
        source = field.json_schema_extra["source"]
        assert escape(source, quote=True) in html, name
        assert f"<code>{name}</code>" in html
    assert "$1.80 to $3.50 per GPU-hour (lognormal)" in text  # the base range of the GPU-hour price


def test_projection_rows_have_labels_with_units():
    seed = evaluate_scenario("api_access", "seed")
    table = seed.projection_summary()
    assert "Cost of revenue (USD per month)" in table.index and "cogs" not in table.index
    assert "Tokens processed (tokens per month)" in table.index
    assert table.loc["Gross margin (%)", "month 1"] == "50.0%"
    assert not any(SCIENTIFIC.search(v) for v in table.to_numpy().ravel())


def test_reports_offer_export_only_in_the_chart_menu():
    assert "export: true" in _EMBED_OPTIONS and "editor: false" in _EMBED_OPTIONS
    assert "source: false" in _EMBED_OPTIONS and "compiled: false" in _EMBED_OPTIONS


def write_run(folder: Path, scenario: str, model: str, payload: dict) -> None:
    (folder / scenario).mkdir(parents=True, exist_ok=True)
    (folder / scenario / f"{model}.json").write_text(json.dumps(payload))


def test_index_is_a_grid_of_scenarios_by_models(tmp_path):
    seed = evaluate_scenario("api_access", "seed")
    write_run(tmp_path, "seed", "api_access", results_payload(seed, "seed"))
    write_run(tmp_path, "seed", "pyramid_comparison", {"kind": "pyramid_comparison", "ordering": "x"})
    failures = [("bear", "api_access", "deliberate <failure>")]
    text = write_index(tmp_path, failures).read_text()
    head = re.search(r"<thead>(.*?)</thead>", text, flags=re.S).group(1)
    assert head.count("<th") == 2 and "API access / model-as-a-service (platform)" in head
    rows = re.findall(r"<tr><th scope='row'.*?</tr>", text, flags=re.S)
    assert [re.search(r"id='scenario-(\w+)'", r).group(1) for r in rows] == ["bear", "seed"]
    bear, seed_row = rows
    assert "FAILED" in bear and "deliberate &lt;failure&gt;" in bear and "<failure>" not in text
    assert "Gross margin:</span> <b>50.0%</b>" in seed_row and "$" in seed_row
    assert "<a href='seed/api_access.html'>report</a>" in seed_row
    assert "<a href='seed/pyramid_comparison.html'>pyramid comparison</a>" in seed_row
    assert "<a href='scenarios.html'>" in text
    breached = [g for g in results_payload(seed, "seed")["guardrails"] if not g["ok"]]
    assert ("breach: " if breached else "guardrails ok") in seed_row


def test_an_empty_index_says_so(tmp_path):
    text = write_index(tmp_path).read_text()
    assert "No results yet." in text and "scenarios.html" not in text


def test_dollar_amounts_are_not_typeset_as_mathematics():
    """JupyterLab typesets text between two "$" as TeX unless a block opts out (mathjax_ignore)."""
    base = evaluate_scenario("api_access", "base")
    results = model_results("api_access", "base")
    for html in (summary.summary_html(base, results, "base"), summary.assumptions_html(base.params)):
        assert html.count("$") >= 2
        assert html.startswith("<div class='aibm-summary") and "mathjax_ignore" in html.split(">")[0]


def test_top_drivers_leave_out_drivers_that_do_not_move_the_north_star():
    seed = evaluate_scenario("api_access", "seed")  # the north star is revenue: GPU costs do not move it
    drivers = summary.top_drivers(seed)
    assert "gpu_hour_cost_usd" not in set(drivers["assumption"])
    assert ((drivers["high"] - drivers["low"]).abs() > 0).all()


#: "P10-P90 a to b": the two ends (the unit may follow the second end only).
P10_P90 = re.compile(r"P10-P90 (.+?) to ([^;<)\n]+)")


def equal_ends(text: str) -> list[str]:
    """Every "P10-P90 a to b" in ``text`` whose ends read the same."""
    return [
        m.group(0)
        for m in P10_P90.finditer(text)
        if m.group(2).strip() == m.group(1) or m.group(2).startswith(m.group(1) + " ")
    ]


def test_equal_ends_finds_a_to_a_and_only_that():
    assert equal_ends("(P10-P90 $53.25M to $53.25M)") == ["P10-P90 $53.25M to $53.25M"]
    assert equal_ends("P10-P90 never to never; x") == ["P10-P90 never to never"]
    assert equal_ends("P10-P90 $1.2 to $1.2M per month") == []  # $1.2 to $1.2M differ
    assert equal_ends("P10-P90 $1.2M to $1.2M per month") == ["P10-P90 $1.2M to $1.2M per month"]
    assert equal_ends("P10-P90 40.0% to 55.0%") == []


def test_no_shipped_scenario_shows_a_p10_p90_whose_ends_are_equal(tmp_path):
    """The index and every executive summary of every shipped scenario, as a batch writes them."""
    from aibm_core.analysis.results_cache import computed
    from aibm_core.core.config import SHIPPED_SCENARIOS
    from aibm_core.models import model_names
    from aibm_core.present.notebook import summary as one_line
    from aibm_core.present.notebook import uncertainty_text

    found, point_runs = [], 0
    for scenario in SHIPPED_SCENARIOS:
        for model in model_names():
            evaluation, results = computed(get_model(model), scenario_params(model, scenario), scenario)
            write_run(tmp_path, scenario, model, results)
            html = summary.summary_html(evaluation, results, scenario)
            texts = (visible_text(html), one_line(results), uncertainty_text(results))
            found += [f"{scenario}/{model}: {hit}" for text in texts for hit in equal_ends(text)]
            about = uncertainty_text(results)
            assert f"Scenario {scenario}" in about and "base scenario" not in about
            if results["uncertainty"] is None:  # a point scenario: no range and no draws anywhere
                point_runs += 1
                assert "P10-P90" not in visible_text(html) + one_line(results) and "draws" not in html
                assert "point scenario" in about
    index = write_index(tmp_path).read_text()
    found += [f"index: {hit}" for hit in equal_ends(visible_text(index))]
    assert not found, found
    assert point_runs >= len(model_names())  # at least the seed scenario


FOREIGN_JSON = {
    "list.json": "[]",
    "object.json": "{}",
    "truncated.json": '{"model": "api_access", "north_star": {"name": "x", "val',
    "not_utf8.json": b"\xff\xfe{}",
    "other_schema.json": json.dumps({"schema_version": "9.0.0", "results": [1, 2, 3]}),
    "other_major.json": None,  # a real results file whose schema_version is of another major version
    "odd_fields.json": json.dumps({"north_star": 5, "guardrails": "none", "kpis": []}),
    "null.json": "null",
}


def test_foreign_or_corrupt_json_is_left_out_of_the_pages(tmp_path, capsys):
    from aibm_core.batch.cli import _warn_skipped
    from aibm_core.present.report import results_files, write_cross_scenario

    seed = results_payload(evaluate_scenario("api_access", "seed"), "seed")
    write_run(tmp_path, "seed", "api_access", seed)
    (tmp_path / "junk").mkdir()
    for name, content in FOREIGN_JSON.items():
        path = tmp_path / "junk" / name
        if content is None:
            path.write_text(json.dumps({**seed, "schema_version": "9.0.0"}))
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    usable, skipped = results_files(tmp_path)
    assert [p.name for p, _ in usable] == ["api_access.json"]
    assert sorted(p.name for p in skipped) == sorted(FOREIGN_JSON)
    index = write_index(tmp_path).read_text()
    assert "Gross margin:</span> <b>50.0%</b>" in index and "junk" not in index
    cross = write_cross_scenario(tmp_path).read_text()
    assert "50.0%" in cross and "junk" not in cross
    _warn_skipped(tmp_path)
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("warning: left out of the index: ")
    assert all(f"junk/{name}" in line for name in FOREIGN_JSON)


def test_index_cells_say_what_each_figure_measures_and_its_period(tmp_path):
    payload = results_payload(evaluate_scenario("api_access", "seed"), "seed")
    write_run(tmp_path, "seed", "api_access", payload)
    text = write_index(tmp_path).read_text()
    star = payload["north_star"]
    assert star["name"] == "API revenue (MRR)" and star["unit"] == "USD per month"
    value = format_value(star["value"], star["unit"])
    assert value.endswith(" per month")  # a monthly figure says so
    assert f"<div class='star'><span class='what'>API revenue (MRR):</span> {value}</div>" in text
    assert f"<div class='when'>month {payload['snapshot_month']}</div>" in text
    assert "Gross margin:</span> <b>50.0%</b>" in text
    assert "hover" not in text


def test_the_users_own_scenario_comes_first_on_both_pages(tmp_path):
    from aibm_core.present.report import page_order, write_cross_scenario

    seed = evaluate_scenario("api_access", "seed")
    for scenario in ("base", "seed", "zz_mine", "my_plan"):
        write_run(tmp_path, scenario, "api_access", results_payload(seed, scenario))
    assert sorted(["seed", "base", "zz_mine", "my_plan"], key=page_order) == [
        "my_plan",
        "zz_mine",
        "base",
        "seed",
    ]
    index = write_index(tmp_path).read_text()
    rows = re.findall(r"id='scenario-(\w+)'", index)
    assert rows == ["my_plan", "zz_mine", "base", "seed"]
    cross = write_cross_scenario(tmp_path).read_text()
    head = re.search(r"<thead><tr><th>figure</th>(.*?)</tr></thead>", cross, flags=re.S).group(1)
    assert re.findall(r">(\w+)</a></th>", head) == ["my_plan", "zz_mine", "base", "seed"]
    assert cross.index("<li><b>my_plan</b>") < cross.index("<li><b>base</b>")


def test_the_cross_scenario_page_fits_the_window(tmp_path):
    from aibm_core.core.config import SHIPPED_SCENARIOS
    from aibm_core.present.report import write_cross_scenario

    seed = evaluate_scenario("api_access", "seed")
    for scenario in SHIPPED_SCENARIOS:
        write_run(tmp_path, scenario, "api_access", results_payload(seed, scenario))
    cross = write_cross_scenario(tmp_path).read_text()
    style = re.search(r"<style>(.*?)</style>", cross, flags=re.S).group(1)
    assert re.search(r"body \{[^}]*max-width: 1400px;[^}]*padding: 0 1.5em", style)  # page margins
    assert re.search(r"\.table-wrap[^{]*\{[^}]*overflow-x: auto", style)  # a wide table scrolls inside
    assert re.search(r"tr > :first-child \{[^}]*position: sticky; left: 0", style)  # first column stays
    assert re.search(r"th, td \{[^}]*min-width: 9em", style)  # columns keep a readable width
    tables = re.findall(r"<div class='table-wrap'><table>", cross)
    assert len(tables) == cross.count("<table>") == 1
