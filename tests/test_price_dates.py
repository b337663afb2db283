"""Prices carry the date of their source, and old sources are reported."""

from __future__ import annotations

import shutil
from datetime import date

import numpy as np
import pytest

from aibm_core.analysis.scenarios import lay_over
from aibm_core.batch.cli import main
from aibm_core.core.config import PARAMETERS_DIR
from aibm_core.core.params import ParameterError, is_price_like, read_yaml, stale_warnings, validate
from aibm_core.core.source_dates import older_than_a_year, split_as_of
from aibm_core.models import evaluate, get_model, model_names
from aibm_core.present.summary import assumptions_html

API = get_model("api_access")


@pytest.mark.parametrize("model", model_names())
def test_every_price_like_assumption_carries_the_date_of_its_source(model):
    schema = get_model(model).params
    prices = [name for name in schema.model_fields if is_price_like(schema, name)]
    assert prices, "every model has prices"
    undated = [
        name for name in prices if not (schema.model_fields[name].json_schema_extra or {}).get("as_of")
    ]
    assert undated == [], f"price-like assumptions without as_of: {undated}"
    table = schema.assumptions_table()
    assert all(table.loc[name, "source_date"] for name in prices)


def test_the_price_rule_reads_the_unit_and_the_role():
    schema = API.params
    assert is_price_like(schema, "price_per_m_output_tokens")  # USD per 1M output tokens, a driver
    assert is_price_like(schema, "gpu_hour_cost_usd")
    assert not is_price_like(schema, "monthly_churn")  # a fraction
    assert not is_price_like(schema, "max_cost_per_request_usd")  # a limit, not a price paid


def test_a_year_is_365_days_and_a_month_counts_from_its_first_day():
    assert not older_than_a_year("2025-09-01", date(2026, 9, 1))
    assert older_than_a_year("2025-09-01", date(2026, 9, 2))
    assert older_than_a_year("2025-09", date(2026, 9, 2))
    assert not older_than_a_year("2025-09", date(2026, 8, 31))


def test_a_scenario_dates_its_price_and_the_figures_do_not_change():
    dated = validate(
        API.params, {"draws": 0, "price_per_m_output_tokens": {"value": 12.0, "as_of": "2025-09-01"}}
    )
    plain = validate(API.params, {"draws": 0, "price_per_m_output_tokens": 12.0})
    assert dated.price_per_m_output_tokens == 12.0
    assert dated.source_date("price_per_m_output_tokens") == "2025-09-01"
    assert plain.source_date("price_per_m_output_tokens") is None  # a value set without a date has none
    np.testing.assert_array_equal(evaluate(API, dated).result.revenue, evaluate(API, plain).result.revenue)
    assert dated.content_key() != plain.content_key()  # the payload's assumptions differ by the date


def test_a_default_keeps_its_schemas_date():
    own = validate(API.params, {})
    declared = API.params.model_fields["gpu_hour_cost_usd"].json_schema_extra["as_of"]
    assert own.source_date("gpu_hour_cost_usd") == declared
    assert type(own).assumptions_table(own).loc["gpu_hour_cost_usd", "source_date"] == declared


def test_old_sources_warn_as_of_the_run_date():
    p = validate(API.params, {"price_per_m_output_tokens": {"value": 12.0, "as_of": "2025-09-01"}})
    lines = stale_warnings(p, "x.yaml", run_date=date(2026, 9, 2))
    assert (
        "x.yaml: key 'price_per_m_output_tokens': its source is dated 2025-09-01, "
        "more than a year before this run; check the USD per 1M output tokens figure is still current"
    ) in lines
    assert not any(
        "price_per_m_output_tokens" in line for line in stale_warnings(p, run_date=date(2026, 9, 1))
    )


def test_the_report_shows_the_warning_and_the_date(monkeypatch):
    p = validate(API.params, {"price_per_m_output_tokens": {"value": 12.0, "as_of": "2025-09-01"}})
    monkeypatch.setenv("AIBM_RUN_DATE", "2026-09-02")
    page = assumptions_html(p)
    assert "warning: key &#x27;price_per_m_output_tokens&#x27;: its source is dated 2025-09-01" in page
    assert "<th>source date</th>" in page and "<td class='date'>2025-09-01</td>" in page
    monkeypatch.setenv("AIBM_RUN_DATE", "2025-09-30")
    assert "price_per_m_output_tokens&#x27;: its source is dated" not in assumptions_html(p)


def test_aibm_validate_warns_about_old_sources(tmp_path, capsys, monkeypatch):
    params = tmp_path / "parameters"
    shutil.copytree(PARAMETERS_DIR / "base", params / "base")
    (params / "case").mkdir()
    path = params / "case" / "api_access.yaml"
    path.write_text("price_per_m_output_tokens: {value: 12.0, as_of: 2025-09-01}  # unquoted: a date\n")
    monkeypatch.setenv("AIBM_RUN_DATE", "2026-12-07")
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert (
        f"warning: {path}: key 'price_per_m_output_tokens': its source is dated 2025-09-01, more than"
        in "\n".join(out)
    )
    assert out[-1] == "1 parameter file(s) valid"
    monkeypatch.setenv("AIBM_RUN_DATE", "2025-10-01")
    assert main(["validate", str(path)]) == 0
    assert "price_per_m_output_tokens" not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (
            "yesterday",
            "as_of 'yesterday' is not allowed; expected the date of the source, YYYY-MM-DD or YYYY-MM",
        ),
        ("2025-13-01", "as_of '2025-13-01' is not a calendar date; expected YYYY-MM-DD or YYYY-MM"),
        (2025, "as_of 2025 is not allowed; expected the date of the source"),
        ("2999-01-01", "as_of '2999-01-01' is after the run date"),
    ],
)
def test_a_bad_date_is_one_line(when, expected):
    with pytest.raises(ParameterError) as caught:
        validate(API.params, {"price_per_m_output_tokens": {"value": 12.0, "as_of": when}}, source="x.yaml")
    (line,) = str(caught.value).splitlines()
    assert line.startswith("x.yaml: key 'price_per_m_output_tokens': ") and expected in line


def test_a_dated_number_moves_its_range_as_a_number_does():
    below = {"price_per_m_output_tokens": {"dist": "pert", "low": 8.0, "mode": 15.0, "high": 18.0}}
    dated = lay_over(
        "api_access", below, {"price_per_m_output_tokens": {"value": 12.0, "as_of": "2025-09-01"}}
    )
    plain = lay_over("api_access", below, {"price_per_m_output_tokens": 12.0})
    value, when = split_as_of(dated["price_per_m_output_tokens"])
    assert when == "2025-09-01" and value == plain["price_per_m_output_tokens"]
    params = validate(API.params, dated)
    assert params.source_date("price_per_m_output_tokens") == "2025-09-01"
    moved = params.uncertainty.ranges["price_per_m_output_tokens"]
    assert (
        moved.to_dict()
        == validate(API.params, plain).uncertainty.ranges["price_per_m_output_tokens"].to_dict()
    )


def test_an_unquoted_date_is_read_only_as_a_source_date(tmp_path):
    path = tmp_path / "api_access.yaml"
    path.write_text("price_per_m_output_tokens: {value: 12.0, as_of: 2025-09-01}\n")
    assert str(read_yaml(path)["price_per_m_output_tokens"]["as_of"]) == "2025-09-01"
    path.write_text("cost_basis: 2025-09-01\n")
    with pytest.raises(ParameterError, match=r"is read as a date by YAML 1\.1"):
        read_yaml(path)
