"""Drivers over time: a schedule gives a driver a value per month or quarter, read month by month."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aibm_core.analysis import sensitivity
from aibm_core.analysis.results import scenario_params
from aibm_core.analysis.results_cache import linked, model_results
from aibm_core.batch.cli import main
from aibm_core.core.config import PARAMETERS_DIR
from aibm_core.core.params import ParameterError, validate
from aibm_core.core.schedules import ScheduleError, inline, monthly_path, read_csv
from aibm_core.models import evaluate, get_model, model_names

API = get_model("api_access")
POINT = {"draws": 0}
#: Settings under which a driver enters the model at all (the cost basis that reads it).
CONTEXT = {
    "direct_cost_per_m_tokens": {"cost_basis": "direct"},
    "fleet_gpus": {"cost_basis": "fleet"},
    # a linked or scheduled price is the price path itself: its own yearly decline does not apply
    "infra_cost_per_gpu_hour": {"annual_cost_decline": 0.0},
    "api_price_per_m": {"annual_api_price_decline": 0.0},
    "api_price_per_m_tokens": {"api_price_annual_decline": 0.0},
}


def api(**values):
    """API access parameters with ``values`` over the defaults, no draws."""
    return validate(API.params, {**POINT, **values}, source="test.yaml")


def scenario(tmp_path: Path, files: dict[str, str]) -> Path:
    """``parameters/case/`` with the given files beside a copy of the shipped ``base``."""
    params = tmp_path / "parameters"
    shutil.copytree(PARAMETERS_DIR / "base", params / "base")
    (params / "case").mkdir()
    for name, text in files.items():
        (params / "case" / name).write_text(text, encoding="utf-8")
    return params


def test_revenue_in_a_month_is_its_volume_times_its_scheduled_price():
    # no price decline, no discounts: the net price is the list price of the month
    flat = dict(
        annual_price_decline=0.0,
        input_token_share=0.0,
        batch_share=0.0,
        enterprise_token_share=0.0,
        tier2_discount=0.0,
        tier3_discount=0.0,
    )
    p = api(price_per_m_output_tokens={"schedule": [15.0, 14.0, 13.0, 12.0]}, **flat)
    r = evaluate(API, p).result
    assert r.list_price_per_m[..., :6].tolist() == [15.0, 14.0, 13.0, 12.0, 12.0, 12.0]  # holds its last
    month4 = r.tokens_m[..., 3] * 12.0  # M tokens × USD per 1M tokens
    assert float(r.revenue[..., 3]) == pytest.approx(float(month4), rel=1e-12)
    # the same month under the constant price 12 gives the same revenue
    constant = evaluate(API, api(price_per_m_output_tokens=12.0, **flat)).result
    assert float(constant.revenue[..., 3]) == pytest.approx(float(r.revenue[..., 3]), rel=1e-12)


@pytest.mark.parametrize("model", model_names())
def test_a_constant_schedule_is_the_number(model):
    spec = get_model(model)
    for name in spec.params.schedulable():
        given = {**POINT, **CONTEXT.get(name, {})}
        own = validate(spec.params, given)
        expected = evaluate(spec, own).statement
        value = float(getattr(own, name))
        p = validate(spec.params, {**given, name: {"schedule": [value] * 5}})
        got = evaluate(spec, p).statement
        for series in ("revenue", "cost_of_revenue", "operating_expenses", "capex", "volume"):
            np.testing.assert_allclose(
                getattr(got, series), getattr(expected, series), rtol=1e-12, atol=1e-9, err_msg=name
            )


@pytest.mark.parametrize("model", model_names())
def test_every_schedulable_driver_is_read_month_by_month(model):
    spec = get_model(model)
    for name in spec.params.schedulable():
        given = {**POINT, **CONTEXT.get(name, {})}
        own = validate(spec.params, given)
        base = evaluate(spec, own).statement
        horizon = int(own.horizon_months)
        value = float(getattr(own, name))
        low, high = (value * 0.5, value) if value > 0 else (value, value + 1.0)
        p = validate(spec.params, {**given, name: {"schedule": [high] * 3 + [low]}})
        got = evaluate(spec, p).statement
        moved = [
            s
            for s in ("revenue", "cost_of_revenue", "operating_expenses", "capex")
            if not np.allclose(getattr(got, s)[..., 4:horizon], getattr(base, s)[..., 4:horizon], rtol=1e-9)
        ]
        assert moved, f"{name}: a schedule moving from month 4 on changes no series after month 4"


def test_a_quarter_covers_three_months():
    path = monthly_path({"schedule": [2.99, 2.89, 2.79], "by": "quarter"}, 0, None, 36)
    assert path.tolist() == [2.99] * 3 + [2.89] * 3 + [2.79] * 3
    by_quarter = evaluate(API, api(gpu_hour_cost_usd={"schedule": [3.0, 2.5], "by": "quarter"}))
    by_month = evaluate(API, api(gpu_hour_cost_usd={"schedule": [3.0] * 3 + [2.5] * 3}))
    np.testing.assert_array_equal(by_quarter.result.revenue, by_month.result.revenue)
    np.testing.assert_array_equal(by_quarter.result.cogs, by_month.result.cogs)


def test_a_csv_schedule_gives_what_the_yaml_schedule_gives(tmp_path):
    params = scenario(
        tmp_path,
        {
            "api_access.yaml": "draws: 0\ngpu_hour_cost_usd: {schedule: hours.csv}\n",
            "hours.csv": "quarter,value\n1,3.0\n2,2.8\n3,2.6\n",
        },
    )
    from_csv = scenario_params("api_access", "case", params)
    (params / "case" / "api_access.yaml").write_text(
        "draws: 0\ngpu_hour_cost_usd: {schedule: [3.0, 2.8, 2.6], by: quarter}\n"
    )
    from_yaml = scenario_params("api_access", "case", params)
    np.testing.assert_array_equal(
        from_csv.linked["gpu_hour_cost_usd"].values, from_yaml.linked["gpu_hour_cost_usd"].values
    )
    a, b = evaluate(API, from_csv).result, evaluate(API, from_yaml).result
    np.testing.assert_array_equal(a.cogs, b.cogs)
    assert from_csv.linked["gpu_hour_cost_usd"].seller.endswith("hours.csv")


def test_a_schedule_cuts_the_link_and_has_no_range(tmp_path):
    params = scenario(tmp_path, {"api_access.yaml": "draws: 50\ngpu_hour_cost_usd: {schedule: [4.0, 3.0]}\n"})
    own = scenario_params("api_access", "case", params)
    assert "gpu_hour_cost_usd" not in own.uncertainty.ranges
    attached, states = linked(API, own, "case", params)
    assert dict((link.driver, state) for link, state in states) == {
        "gpu_hour_cost_usd": "set by the scenario"
    }
    assert attached.linked["gpu_hour_cost_usd"].scheduled
    payload = model_results("api_access", "case", params)
    assert payload["links"][0]["state"] == "set by the scenario"


def test_moving_a_scheduled_driver_scales_its_schedule():
    p = api(price_per_m_output_tokens={"schedule": [15.0, 12.0]}, snapshot_month=2)
    assert p.value_of("price_per_m_output_tokens") == 12.0
    moved = p.moved(price_per_m_output_tokens=6.0)
    np.testing.assert_allclose(
        moved.linked_or_scheduled_path("price_per_m_output_tokens", [1, 2, 9]), [7.5, 6, 6]
    )
    frame = sensitivity.tornado(API, p, ["price_per_m_output_tokens"])  # ±20% of the path
    low, high = (
        evaluate(API, p.moved(price_per_m_output_tokens=9.6)),
        evaluate(API, p.moved(price_per_m_output_tokens=14.4)),
    )
    assert sorted(frame.iloc[0][["low", "high"]].astype(float)) == pytest.approx(
        sorted([low.gross_margin, high.gross_margin])
    )
    assert p.content_key() != api(price_per_m_output_tokens={"schedule": [15.0, 11.0]}).content_key()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            {"schedule": [15.0, "x"]},
            "key 'price_per_m_output_tokens': month 2: value 'x' is not allowed; expected a number >= 0.01",
        ),
        (
            {"schedule": [15.0, -1.0]},
            "month 2: value -1.0 is not allowed; expected a number >= 0.01 and <= 1,000 (USD per 1M output",
        ),
        ({"schedule": [15.0, True]}, "month 2: value True is not allowed"),
        ({"schedule": []}, "schedule [] is not allowed; expected a list of numbers, one per month"),
        ({"schedule": 15.0}, "schedule 15.0 is not allowed; expected a list of numbers, one per month"),
        ({"schedule": [1.0], "by": "week"}, "by: 'week' is not allowed; expected month or quarter"),
        ({"schedule": [1.0], "step": 2}, "unknown key 'step' in a schedule"),
        (
            {"schedule": [1.0] * 37},
            "schedule of 37 months is longer than horizon_months 36; expected at most 36 months",
        ),
        (
            {"schedule": [1.0] * 13, "by": "quarter"},
            "schedule of 13 quarters (39 months) is longer than horizon_months 36",
        ),
    ],
)
def test_a_bad_schedule_is_one_line(value, expected):
    with pytest.raises(ParameterError) as caught:
        api(price_per_m_output_tokens=value)
    (line,) = str(caught.value).splitlines()
    assert line.startswith("test.yaml: key 'price_per_m_output_tokens': ")
    assert expected in line


def test_a_driver_that_compounds_cannot_follow_a_schedule():
    with pytest.raises(ParameterError) as caught:
        api(usage_growth_monthly={"schedule": [0.05, 0.04]})
    message = str(caught.value)
    assert (
        "usage_growth_monthly cannot follow a schedule; drivers that can: price_per_m_input_tokens,"
        in message
    )
    with pytest.raises(ParameterError, match="horizon_months cannot follow a schedule"):
        api(horizon_months={"schedule": [12]})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, "does not exist; expected a CSV file of month,value rows"),
        ("day,value\n1,2\n", "header 'day,value' is not allowed; expected month,value or quarter,value"),
        ("month,value\n1,2\n1,3\n", "row 3: month 1 is a repeat; expected month 2"),
        ("month,value\n1,2\n3,3\n", "row 3: month 3 is a gap; expected month 2"),
        ("month,value\n1,2\n2,abc\n", "row 3: '2,abc' is not allowed; expected two numbers: month,value"),
        ("month,value\n1,2,3\n", "row 2: '1,2,3' is not allowed"),
        ("month,value\n", "has no rows"),
        (b"month,value\n1,\xff\n", "is not UTF-8 text"),
    ],
)
def test_a_bad_csv_schedule_is_one_line_naming_the_file_and_row(tmp_path, capsys, text, expected):
    params = scenario(tmp_path, {"api_access.yaml": "gpu_hour_cost_usd: {schedule: hours.csv}\n"})
    csv = params / "case" / "hours.csv"
    if isinstance(text, bytes):
        csv.write_bytes(text)
    elif text is not None:
        csv.write_text(text)
    code = main(["validate", str(params / "case" / "api_access.yaml")])
    lines = capsys.readouterr().err.splitlines()
    assert code == 2
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"error: {params / 'case' / 'api_access.yaml'}: key 'gpu_hour_cost_usd': ")
    assert f"schedule file {csv}" in lines[0]
    assert expected in lines[0]


def test_a_csv_value_out_of_range_names_the_csv(tmp_path):
    params = scenario(
        tmp_path,
        {
            "api_access.yaml": "gpu_hour_cost_usd: {schedule: hours.csv}\n",
            "hours.csv": "month,value\n1,2\n2,-5\n",
        },
    )
    with pytest.raises(ParameterError) as caught:
        scenario_params("api_access", "case", params)
    assert "month 2: value -5.0 (from " in str(caught.value) and "hours.csv) is not allowed" in str(
        caught.value
    )


@pytest.mark.parametrize("name", ["../hours.csv", "hours.txt", "/etc/passwd"])
def test_a_csv_schedule_is_a_file_next_to_the_yaml(name):
    with pytest.raises(
        ScheduleError, match=r"expected a list of numbers or the name of a \.csv file next to"
    ):
        inline({"schedule": name}, Path("."))


def test_read_csv_reads_quarters(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text("\ufeffQuarter, Value\n1, 2.5\n2, 2.25\n\n")
    assert read_csv(path) == ([2.5, 2.25], "quarter")


def test_the_schedule_is_shown_where_the_driver_is(tmp_path):
    p = api(price_per_m_output_tokens={"schedule": [15.0, 12.0]})
    link = p.scheduled["price_per_m_output_tokens"]
    assert link.describe() == "a schedule (by month, 2 values) in test.yaml"
    assert p.unlinked("price_per_m_output_tokens").price_per_m_output_tokens == 12.0


def test_a_growth_rate_schedule_compounds_month_by_month():
    cloud = get_model("ai_infrastructure")
    p = validate(
        cloud.params, {**POINT, "quarterly_capacity_growth": {"schedule": [0.1, 0.0], "by": "quarter"}}
    )
    gpus = evaluate(cloud, p).result.installed_gpus.reshape(-1)
    start = float(p.initial_gpus)
    # month 1 is the base; months 2 and 3 grow at the first quarter's rate, months 4 on at 0
    expected = [start, start * 1.1 ** (1 / 3), start * 1.1 ** (2 / 3), start * 1.1 ** (2 / 3)]
    np.testing.assert_allclose(gpus[:4], expected, rtol=1e-12)
    assert gpus[-1] == pytest.approx(start * 1.1 ** (2 / 3), rel=1e-12)  # holds its last value: no growth


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(st.floats(0.5, 200.0), min_size=1, max_size=12),
    by=st.sampled_from(["month", "quarter"]),
    months=st.lists(st.integers(1, 120), min_size=1, max_size=10),
)
def test_a_schedule_read_at_any_month_is_its_period_or_its_last_value(values, by, months):
    p = api(price_per_m_output_tokens={"schedule": values, "by": by})
    got = p.linked_or_scheduled_path("price_per_m_output_tokens", months)
    step = 3 if by == "quarter" else 1
    expected = [values[min((m - 1) // step, len(values) - 1)] for m in months]
    np.testing.assert_array_equal(got, expected)


@settings(max_examples=25, deadline=None)
@given(price=st.floats(0.5, 200.0), length=st.integers(1, 36), decline=st.floats(0.0, 0.5))
def test_any_constant_schedule_gives_the_numbers_figures(price, length, decline):
    own = evaluate(API, api(price_per_m_output_tokens=price, annual_price_decline=decline)).result
    scheduled = api(price_per_m_output_tokens={"schedule": [price] * length}, annual_price_decline=decline)
    got = evaluate(API, scheduled).result
    np.testing.assert_allclose(got.revenue, own.revenue, rtol=1e-12)
    assert got.gross_margin[..., -1] == pytest.approx(float(own.gross_margin[..., -1]), rel=1e-12)


def test_every_monte_carlo_draw_reads_the_schedule(tmp_path):
    from aibm_core.analysis.uncertainty import monte_carlo

    params = scenario(
        tmp_path,
        {
            "api_access.yaml": "draws: 64\nannual_price_decline: {value: 0.0, fixed: true}\n"
            "price_per_m_output_tokens: {schedule: [20.0, 10.0]}\n"
        },
    )
    p = scenario_params("api_access", "case", params)
    assert (
        "price_per_m_output_tokens" not in p.uncertainty.ranges and p.uncertainty.ranges
    )  # others still drawn
    mc = monte_carlo(API, p)
    share = mc.result.params.input_token_share  # drawn per row
    list_price = mc.result.list_price_per_m
    assert list_price.shape == (64, 36)
    p_in = np.asarray(mc.result.params.price_per_m_input_tokens)
    np.testing.assert_allclose(list_price[:, 0], share * p_in + (1 - share) * 20.0, rtol=1e-12)
    np.testing.assert_allclose(list_price[:, 5], share * p_in + (1 - share) * 10.0, rtol=1e-12)
