"""Units travel with the data: declared where a frame is built, read by tables, exports and charts."""

from __future__ import annotations

import pandas as pd
import pytest

from aibm_core.analysis import sensitivity
from aibm_core.analysis.results import evaluate_scenario
from aibm_core.models import get_model, model_names
from aibm_core.models.base import Column, column_info, column_units, declare_columns
from aibm_core.present import charts


def _declared(units: dict[str, tuple[str, str, float]], model: str = "test_model") -> pd.DataFrame:
    """A small monthly frame whose columns are declared with the given (label, unit, scale)."""
    frame = pd.DataFrame({name: [1.0, 2.0, 3.0] for name in units}, index=pd.Index([1, 2, 3], name="month"))
    return declare_columns(frame, {name: Column(*info) for name, info in units.items()}, model)


# --- the accessor


def test_column_info_reads_the_declaration():
    frame = _declared({"widgets": ("Widgets made", "widgets per fortnight", 1e3)})
    assert column_info(frame, "widgets") == ("Widgets made", "widgets per fortnight", 1e3)
    assert column_units(frame) == {"widgets": "widgets per fortnight"}
    assert frame.attrs["model"] == "test_model"


def test_an_undeclared_column_is_a_key_error_naming_the_model_and_column():
    frame = _declared({"widgets": ("Widgets made", "widgets", 1.0)})
    with pytest.raises(KeyError, match=r"test_model.*'gizmos'"):
        column_info(frame, "gizmos")
    rebuilt = pd.DataFrame(frame)  # a new frame built from the data keeps no attrs
    with pytest.raises(KeyError, match=r"'widgets'.*declares no columns"):
        column_info(rebuilt, "widgets")


def test_declaring_a_frame_with_an_undeclared_column_names_it():
    frame = pd.DataFrame({"revenue": [1.0], "mystery_share": [0.5]})
    with pytest.raises(KeyError, match=r"some_model.*mystery_share"):
        declare_columns(frame, {"revenue": Column("Revenue", "USD per month")}, "some_model")


def test_declarations_survive_selection_rounding_and_reshaping(api_base):
    frame = api_base.projection()
    for derived in (
        frame[["revenue", "tokens_b"]],
        frame.round(0),
        frame.loc[2:5],
        frame.iloc[:3],
        frame * 1.0,
        frame.reset_index(),
    ):
        assert column_info(derived, "tokens_b") == ("Tokens processed", "tokens per month", 1e9)
        assert column_info(derived, "revenue")[1] == "USD per month"


# --- the contract: every projection column of every model is declared


@pytest.mark.parametrize("model", model_names())
def test_every_projection_column_is_declared(model):
    for scenario in ("base", "seed"):
        frame = evaluate_scenario(model, scenario).projection()
        assert frame.attrs.get("model") == get_model(model).name
        undeclared = [c for c in frame.columns if c not in frame.attrs.get("columns", {})]
        assert undeclared == [], f"{model} ({scenario}): undeclared projection columns {undeclared}"
        for column in frame.columns:
            label, unit, scale = column_info(frame, column)
            assert label and unit and scale > 0, f"{model}: {column} needs a label, a unit and a scale"


# --- charts read the declared unit


def test_a_projection_chart_titles_its_axis_with_the_declared_unit():
    frame = _declared({"widgets": ("Widgets made", "widgets per fortnight", 1e3)})
    spec = charts.projection_chart(frame, ["widgets"], "t").to_dict()
    assert spec["encoding"]["y"]["axis"]["title"] == "widgets per fortnight"
    rows = next(iter(spec["datasets"].values()))
    assert [r["value"] for r in rows] == [1e3, 2e3, 3e3]  # drawn in the declared unit (scale applied)
    money = _declared({"spend": ("Spend", "USD per fortnight", 1.0)})
    axis = charts.projection_chart(money, ["spend"], "t").to_dict()["encoding"]["y"]["axis"]
    assert axis["title"] == "USD per fortnight" and "$" in axis["labelExpr"]


def test_a_callers_unit_still_wins_and_mixed_units_need_one():
    frame = _declared({"a": ("A", "USD per month", 1.0), "b": ("B", "fraction", 1.0)})
    spec = charts.projection_chart(frame, ["a"], "t", "USD").to_dict()
    assert spec["encoding"]["y"]["axis"]["title"] == "USD"
    with pytest.raises(ValueError, match="different units"):
        charts.projection_chart(frame, ["a", "b"], "t")


def test_a_slider_reads_the_units_its_sweep_declares(api_base):
    spec, params = api_base.spec, api_base.params
    frame = sensitivity.sweep(spec, params, "price_per_m_output_tokens", [5.0, 10.0, 15.0])
    assert column_info(frame, "price_per_m_output_tokens")[1] == "USD per 1M output tokens"
    assert column_info(frame, "metric")[1] == "fraction"
    chart = charts.slider_chart(
        frame, "price_per_m_output_tokens", "metric", "price", "gross margin", "t", start=10.0
    ).to_dict()
    x_axis = chart["layer"][0]["encoding"]["x"]["axis"]
    y_axis = chart["layer"][0]["encoding"]["y"]["axis"]
    assert "$" in x_axis["labelExpr"] and "%" in y_axis["labelExpr"]
    custom = sensitivity.sweep(
        spec, params, "gpu_utilisation", [0.5, 0.6], metric=sensitivity.north_star(spec)
    )
    assert "metric" not in custom.attrs["columns"]  # a metric given without a unit is not guessed


def test_tornado_and_what_if_carry_the_metrics_unit(api_base):
    spec, params = api_base.spec, api_base.params
    assert sensitivity.tornado(spec, params, ["gpu_utilisation"]).attrs["unit"] == "fraction"
    star = sensitivity.tornado(
        spec, params, ["gpu_utilisation"], metric=sensitivity.north_star(spec), unit="USD per month"
    )
    axis = charts.tornado_chart(star, "revenue", "t").to_dict()["layer"][0]["encoding"]["x"]["axis"]
    assert "$" in axis["labelExpr"]
    assert "unit" not in sensitivity.tornado(spec, params, ["gpu_utilisation"], metric=lambda r: 0.0).attrs
    grid = sensitivity.what_if_grid(spec, params, ["price_per_m_output_tokens"], moves=(-10, 0, 10))
    assert grid.units == {"price_per_m_output_tokens": "USD per 1M output tokens"}
    assert grid.metric_unit == "fraction"
