"""Scenarios that compose, the shipped risk scenarios and the cross-scenario report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aibm_core.analysis.results import evaluate_scenario
from aibm_core.analysis.scenarios import (
    available_scenarios,
    read_scenario,
    scenario_chain,
    scenario_info,
    scenario_models,
    scenario_values,
)
from aibm_core.batch import runner
from aibm_core.core.config import PARAMETERS_DIR, SHIPPED_SCENARIOS
from aibm_core.core.params import ParameterError, validate
from aibm_core.models import get_model, model_names
from aibm_core.present.report import write_cross_scenario, write_index
from tests.conftest import aibm

RISK_SCENARIOS = SHIPPED_SCENARIOS[4:]


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


@pytest.fixture
def chain(tmp_path: Path) -> Path:
    """base <- mid <- top, for api_access; ai_hardware only in base."""
    params = tmp_path / "parameters"
    write(params / "base", "api_access.yaml", "monthly_churn: 0.03\ncac_usd: 5000.0\ncache_hit_rate: 0.3\n")
    write(params / "base", "ai_hardware.yaml", "annual_retention: 0.9\n")
    write(params / "mid", "scenario.yaml", "description: Middle <layer>\noverlays: base\n")
    write(params / "mid", "api_access.yaml", "monthly_churn: 0.04\ncac_usd: 6000.0\n")
    write(params / "top", "scenario.yaml", "description: Top of the chain\noverlays: mid\n")
    write(params / "top", "api_access.yaml", "monthly_churn: 0.05\n")
    return params


def test_values_resolve_through_the_chain(chain):
    assert [s.name for s in scenario_chain(chain, "top")] == ["base", "mid", "top"]
    values = scenario_values(chain, "top", "api_access")
    assert values == {"monthly_churn": 0.05, "cac_usd": 6000.0, "cache_hit_rate": 0.3}
    assert read_scenario(chain / "top" / "api_access.yaml") == values
    assert read_scenario(chain / "base" / "api_access.yaml") == {
        "monthly_churn": 0.03,
        "cac_usd": 5000.0,
        "cache_hit_rate": 0.3,
    }
    info = scenario_info(chain, "mid")
    assert (info.description, info.overlays) == ("Middle <layer>", "base")
    assert scenario_info(chain, "base").overlays is None


def test_a_model_without_a_file_inherits(chain):
    assert scenario_models(chain, "top", ["api_access", "ai_hardware"]) == ["api_access", "ai_hardware"]
    assert scenario_values(chain, "top", "ai_hardware") == {"annual_retention": 0.9}
    jobs = runner.plan(chain, chain.parent / "out", ["top"], ["ai_hardware"])
    assert len(jobs) == 1 and jobs[0].values == {"annual_retention": 0.9, "parameters_dir": str(chain)}
    assert jobs[0].parameters_file == chain / "base" / "ai_hardware.yaml"
    assert "scenario.yaml" not in {p.name for j in jobs for p in [j.parameters_file]}
    assert evaluate_scenario("ai_hardware", "top", chain).params.annual_retention == 0.9
    assert "overlays" not in jobs[0].values and "description" not in jobs[0].values


def test_a_cycle_names_the_file(chain):
    write(chain / "mid", "scenario.yaml", "description: Middle\noverlays: top\n")
    with pytest.raises(ParameterError) as error:
        scenario_values(chain, "top", "api_access")
    message = str(error.value)
    assert len(message.splitlines()) == 1 and "cycle" in message
    assert "scenario.yaml" in message and str(chain) in message


def test_an_unknown_target_names_the_file(chain):
    bad = write(chain / "top", "scenario.yaml", "description: Top\noverlays: nowhere\n")
    with pytest.raises(ParameterError) as error:
        read_scenario(chain / "top" / "api_access.yaml")
    message = str(error.value)
    assert len(message.splitlines()) == 1
    assert str(bad) in message and "'nowhere'" in message


def test_validate_checks_scenario_files_and_skips_them_as_models(chain):
    done = aibm("validate", str(chain))
    assert done.returncode == 0, done.stderr
    write(chain / "top", "scenario.yaml", "description: Top\noverlays: nowhere\ncolour: red\n")
    done = aibm("validate", str(chain))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert any("'colour'" in line and "unknown key" in line for line in lines)
    assert any("'overlays'" in line and "nowhere" in line for line in lines)
    assert not any("must be a model name" in line for line in lines)


@pytest.mark.parametrize("scenario", SHIPPED_SCENARIOS)
def test_every_shipped_scenario_validates_for_every_model(scenario):
    assert scenario in available_scenarios(PARAMETERS_DIR)
    assert scenario_info(PARAMETERS_DIR, scenario).description.strip()
    assert scenario_models(PARAMETERS_DIR, scenario) == scenario_models(PARAMETERS_DIR, "base")
    for model in scenario_models(PARAMETERS_DIR, scenario):
        validate(get_model(model).params, scenario_values(PARAMETERS_DIR, scenario, model), source=scenario)


def test_shipped_scenarios_come_in_report_order():
    assert available_scenarios(PARAMETERS_DIR)[: len(SHIPPED_SCENARIOS)] == list(SHIPPED_SCENARIOS)


@pytest.mark.parametrize("scenario", RISK_SCENARIOS)
def test_each_risk_scenario_changes_a_driver(scenario):
    assert scenario_info(PARAMETERS_DIR, scenario).overlays == "base"
    changed = []
    for model in model_names():
        if not (PARAMETERS_DIR / scenario / f"{model}.yaml").exists():
            continue
        schema = get_model(model).params
        base = scenario_values(PARAMETERS_DIR, "base", model)
        values = scenario_values(PARAMETERS_DIR, scenario, model)
        drivers = set(schema.names_with_role("driver"))
        changed += [k for k in drivers if k in values and values[k] != base.get(k, schema.defaults()[k])]
        text = (PARAMETERS_DIR / scenario / f"{model}.yaml").read_text()
        entries = [line for line in text.splitlines() if line and not line.startswith("#")]
        assert all("# why: seed" in line for line in entries), f"{scenario}/{model}: every line cites a seed"
    assert changed, f"{scenario} changes no driver"


def fake_result(model: str, scenario: str, margin: float | None, title: str) -> dict:
    return {
        "model": model,
        "title": title,
        "layer": "platform",
        "scenario": scenario,
        "north_star": {"name": "API revenue (MRR)", "value": 1.5e6, "unit": "USD per month"},
        "gross_margin": margin,
        "snapshot": {"operating_margin": 0.1, "capital_intensity": 0.0},
        "guardrails": [
            {
                "name": "churn",
                "label": "Churn",
                "unit": "fraction per month",
                "value": 0.06,
                "worst": 0.07,
                "first_breach_month": 4,
                "ok": margin is None,
            }
        ],
    }


@pytest.fixture
def outputs(tmp_path: Path) -> Path:
    """Two scenarios; api_access in both, ai_hardware only in bear."""
    out = tmp_path / "out"
    runs = [
        ("base", "api_access", 0.6, "API <access>"),
        ("bear", "api_access", 0.25, "API <access>"),
        ("bear", "ai_hardware", 0.7, "AI hardware"),
    ]
    for scenario, model, margin, title in runs:
        write(out / scenario, f"{model}.json", json.dumps(fake_result(model, scenario, margin, title)))
    return out


def test_cross_scenario_page_lists_scenarios_and_missing_runs(outputs):
    page = write_cross_scenario(outputs, parameters_dir=PARAMETERS_DIR)
    assert page == outputs / "scenarios.html"
    text = page.read_text()
    assert text.count("<table>") == 2  # one table per model
    assert ">base</a>" in text and ">bear</a>" in text
    assert "missing" in text  # ai_hardware has no base results
    assert "API &lt;access&gt;" in text and "API <access>" not in text
    assert "60.0%" in text and "25.0%" in text and "breach from month 4" in text
    assert "<svg" in text and "http://" not in text.replace("http://www.w3.org", "")
    assert "https://" not in text
    assert scenario_info(PARAMETERS_DIR, "bear").description in text


def test_cross_scenario_page_is_rebuilt_only_when_its_results_change(outputs, monkeypatch):
    """Unchanged results keep the page (no chart rendered); a changed result rebuilds it."""
    from aibm_core.present import report

    page = write_cross_scenario(outputs, parameters_dir=PARAMETERS_DIR)
    first = page.read_text()

    def no_chart(*args, **kwargs):
        raise AssertionError("the chart was rendered again for unchanged results")

    monkeypatch.setattr(report, "_margin_chart", no_chart)
    write_cross_scenario(outputs, parameters_dir=PARAMETERS_DIR)
    assert page.read_text() == first
    monkeypatch.undo()
    write(outputs / "base", "api_access.json", json.dumps(fake_result("api_access", "base", 0.55, "API")))
    text = write_cross_scenario(outputs, parameters_dir=PARAMETERS_DIR).read_text()
    assert "55.0%" in text and "60.0%" not in text


def test_index_shows_descriptions_and_links_the_comparison(outputs, tmp_path):
    params = tmp_path / "parameters"
    write(params / "base", "api_access.yaml", "")
    write(params / "bear", "scenario.yaml", "description: \"Prices <fall> & 'customers' leave\"\n")
    write_index(outputs, parameters_dir=params)
    text = (outputs / "index.html").read_text()
    assert "Prices &lt;fall&gt; &amp; &#x27;customers&#x27; leave" in text
    assert "<fall>" not in text
    assert text.index("Prices &lt;fall&gt;") < text.index("bear/api_access.html")
    assert "<a href='scenarios.html'>" in text


# --- a scenario that moves a ranged driver moves its range with it -------------------------------


def test_a_number_over_a_range_recentres_it_with_the_same_relative_width(tmp_path):
    params = tmp_path / "parameters"
    base = "price_per_m_output_tokens: {dist: pert, low: 8.0, mode: 15.0, high: 18.0, value: 15.0}\n"
    write(params / "base", "api_access.yaml", base)
    write(params / "cut", "scenario.yaml", "description: Prices cut\noverlays: base\n")
    write(params / "cut", "api_access.yaml", "price_per_m_output_tokens: 12.0\n")
    values = scenario_values(params, "cut", "api_access")
    moved = values["price_per_m_output_tokens"]
    # 8, 15, 18 times 12/15: 6.4, 12, 14.4; the overlaid point is kept as recentred_from
    assert moved["dist"] == "pert" and moved["value"] == 12.0 and moved["recentred_from"] == 15.0
    assert (moved["low"], moved["mode"], moved["high"]) == pytest.approx((6.4, 12.0, 14.4), abs=1e-12)
    assert read_scenario(params / "cut" / "api_access.yaml") == values
    validated = validate(get_model("api_access").params, values)
    assert validated.price_per_m_output_tokens == 12.0
    r = validated.uncertainty.ranges["price_per_m_output_tokens"]
    assert (r.low, r.mode, r.high, r.recentred_from) == pytest.approx((6.4, 12.0, 14.4, 15.0))


def test_a_fixed_number_drops_the_range(tmp_path):
    params = tmp_path / "parameters"
    write(params / "base", "api_access.yaml", "price_per_m_output_tokens: {low: 8.0, high: 18.0}\n")
    write(params / "fix", "scenario.yaml", "description: Fixed price\noverlays: base\n")
    write(params / "fix", "api_access.yaml", "price_per_m_output_tokens: {value: 12, fixed: true}\n")
    values = scenario_values(params, "fix", "api_access")
    assert values == {"price_per_m_output_tokens": 12.0}
    validated = validate(get_model("api_access").params, values)
    assert validated.price_per_m_output_tokens == 12.0 and not validated.uncertainty.ranges
    # in a file that overlays nothing, fixed is the number itself
    root = validate(get_model("api_access").params, {"monthly_churn": {"value": 0.04, "fixed": True}})
    assert root.monthly_churn == 0.04 and not root.uncertainty.ranges
    assert aibm("validate", str(params)).returncode == 0


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("monthly_churn: {value: 0.04, fixed: false}", "fixed must be true"),
        ("monthly_churn: {value: 0.04, fixed: yes}", "yes"),
        ("monthly_churn: {fixed: true}", "needs its value"),
        ("monthly_churn: {value: 0.04, low: 0.01, fixed: true}", "remove low"),
        ("monthly_churn: {value: '0.04', fixed: true}", "finite number"),
        ("horizon_months: {value: 24, fixed: true}", "only drivers can be fixed"),
    ],
)
def test_misused_fixed_is_one_line_naming_file_and_key(tmp_path, entry, expected):
    params = tmp_path / "parameters"
    write(params / "base", "api_access.yaml", "monthly_churn: {low: 0.02, high: 0.05}\n")
    write(params / "odd", "scenario.yaml", "description: Odd\noverlays: base\n")
    bad = write(params / "odd", "api_access.yaml", entry + "\n")
    done = aibm("validate", str(params))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    lines = [line for line in done.stderr.strip().splitlines() if str(bad) in line]
    assert len(lines) == 1 and expected in lines[0], done.stderr
    key = entry.split(":")[0]
    assert f"'{key}'" in lines[0]


def test_a_range_that_cannot_be_recentred_is_a_one_line_error(tmp_path):
    params = tmp_path / "parameters"
    base = "usage_growth_monthly: {dist: lognormal, low: 0.01, high: 0.06, value: 0.03}\n"
    write(params / "base", "api_access.yaml", base)
    write(params / "shrink", "scenario.yaml", "description: Usage shrinks\noverlays: base\n")
    bad = write(params / "shrink", "api_access.yaml", "usage_growth_monthly: -0.02\n")
    with pytest.raises(ParameterError) as error:
        scenario_values(params, "shrink", "api_access")
    message = str(error.value)
    assert len(message.splitlines()) == 1
    assert str(bad) in message and "'usage_growth_monthly'" in message and "lognormal" in message


@pytest.mark.parametrize("scenario", ["bull", "bear"])
def test_bull_and_bear_carry_ranges_in_every_model(scenario):
    from aibm_core.analysis.results import scenario_params

    for model in model_names():
        params = scenario_params(model, scenario)
        u = params.uncertainty
        assert u.active, f"{scenario}/{model} has no range left"
        base = scenario_params(model, "base").uncertainty.ranges
        moved = {n: r for n, r in u.ranges.items() if r.recentred_from is not None}
        assert moved, f"{scenario}/{model}: no driver moved its range"
        for name, r in moved.items():
            assert r.family == base[name].family
            assert r.recentred_from == pytest.approx(base[name].point)
            assert r.point == getattr(params, name)  # the scenario's own number
    # the bear application layer, which had no range left before, is simulated over six drivers
    if scenario == "bear":
        assert len(scenario_params("application_layer", "bear").uncertainty.ranges) == 6


def test_seed_stays_a_point_scenario():
    from aibm_core.analysis.results import scenario_params
    from aibm_core.analysis.results_cache import model_results

    for model in model_names():
        assert scenario_params(model, "seed").uncertainty.draws == 0
        assert model_results(model, "seed")["uncertainty"] is None


def test_a_custom_scenario_with_a_shipped_name_is_described_and_read_from_its_own_folder(
    tmp_path, monkeypatch
):
    """With ``--parameters DIR`` every page of the run reads DIR, never the shipped folder."""
    import shutil

    from aibm_core.analysis import pyramid
    from aibm_core.analysis.scenarios import scenario_values
    from aibm_core.present import notebook

    params = tmp_path / "parameters"
    shutil.copytree(PARAMETERS_DIR / "base", params / "base")
    (params / "bull").mkdir()
    (params / "bull" / "scenario.yaml").write_text("description: My own bull case\noverlays: base\n")
    (params / "bull" / "api_access.yaml").write_text("monthly_churn: 0.05\ndraws: 0\n")
    namespace = {
        **scenario_values(params, "bull", "api_access"),
        "scenario": "bull",
        "parameters_dir": str(params),
    }
    _spec, _params, evaluation, results = notebook.start("api_access", namespace)
    page = notebook.executive_summary(evaluation, results, "bull").data  # as the notebooks call it
    assert "My own bull case" in page and "outrunning supply" not in page
    read = []
    original = pyramid.scenario_params
    monkeypatch.setattr(pyramid, "scenario_params", lambda *a: read.append(a) or original(*a))
    (outcome,) = [o for o in pyramid.gather("bull", params) if o.model == "api_access"]
    pyramid._top_driver(outcome)  # the driver table of the comparison page
    assert read == [("api_access", "bull", params)]
