"""Shapley change attribution: identities (parts add up), closed forms, sampling, scenarios, chart."""

from __future__ import annotations

import dataclasses
import itertools
import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aibm_core.analysis import attribution
from aibm_core.analysis.results import evaluate_scenario, scenario_params
from aibm_core.analysis.results_cache import linked
from aibm_core.analysis.sensitivity import north_star
from aibm_core.core.config import PARAMETERS_DIR
from aibm_core.core.params import ModelParams, assumption, clip_to_range
from aibm_core.models import get_model
from aibm_core.models.base import ModelSpec
from aibm_core.present import charts

MODELS = ("api_access", "ai_hardware", "ai_infrastructure")

#: api_access drivers the property test moves.
API_DRIVERS = (
    "price_per_m_input_tokens",
    "price_per_m_output_tokens",
    "enterprise_discount",
    "cache_hit_rate",
    "annual_price_decline",
    "gpu_hour_cost_usd",
    "gpu_utilisation",
    "developer_signups_per_month",
    "monthly_churn",
    "usage_growth_monthly",
    "tokens_per_customer_m",
    "cac_usd",
)


def _close(parts: float, total: float, *scale: float, rtol: float = 1e-9) -> bool:
    return abs(parts - total) <= rtol * max(abs(total), *(abs(s) for s in scale), 1e-300)


# --- a tiny model: metric = x · y · z^power + w (one month), for closed forms


class ToyParams(ModelParams):
    horizon_months: int = assumption(1, unit="months", meaning="horizon", source="-", role="setting")
    x: float = assumption(2.0, unit="units", meaning="x", source="-")
    y: float = assumption(3.0, unit="units", meaning="y", source="-")
    z: float = assumption(1.0, unit="units", meaning="z", source="-")
    w: float = assumption(0.0, unit="units", meaning="w", source="-")
    power: float = assumption(0.0, unit="-", meaning="exponent of z", source="-")
    cap: float = assumption(1.0, unit="units", meaning="a guardrail", source="-", role="limit")


def _toy_compute(params: ToyParams) -> np.ndarray:
    x, y, z, w, power = (np.asarray(getattr(params, n), dtype=float) for n in ("x", "y", "z", "w", "power"))
    with np.errstate(divide="ignore", invalid="ignore"):
        return x * y * z**power + w


def _unused(*_args):
    raise NotImplementedError


TOY = ModelSpec(
    name="toy",
    title="toy",
    layer="platform",
    params=ToyParams,
    compute=_toy_compute,
    tree=_unused,
    kpis=_unused,
    projection=_unused,
    what_if=(),
    statement=_unused,
    gross_margin=lambda result: result,
)


def _value(params: ToyParams) -> float:
    return float(_toy_compute(params))


def _brute_force(spec, base, other, metric, names):
    """Shapley values by the definition: average marginal contribution over all k! orders."""
    out = dict.fromkeys(names, 0.0)
    orders = list(itertools.permutations(names))
    for order in orders:
        current = {}
        previous = float(metric(spec.compute(base)))
        for name in order:
            current[name] = getattr(other, name)
            value = float(metric(spec.compute(base.vary(**current))))
            out[name] += (value - previous) / len(orders)
            previous = value
    return out


def _counting(spec: ModelSpec) -> tuple[ModelSpec, list[int]]:
    calls: list[int] = []

    def compute(params):
        calls.append(1)
        return spec.compute(params)

    return dataclasses.replace(spec, compute=compute), calls


# --- closed forms and identities on the toy model


def test_product_of_two_drivers_splits_as_the_hand_computed_shapley_values():
    base, other = ToyParams(x=2.0, y=3.0), ToyParams(x=5.0, y=7.0)
    frame = attribution.shapley(TOY, base, other, TOY.gross_margin)
    # f = x·y: φ_x = Δx·(y0 + y1)/2, φ_y = Δy·(x0 + x1)/2
    assert frame.loc["x", "contribution"] == pytest.approx(3.0 * (3.0 + 7.0) / 2, rel=1e-15)
    assert frame.loc["y", "contribution"] == pytest.approx(4.0 * (2.0 + 5.0) / 2, rel=1e-15)
    assert frame.attrs["total"] == 35.0 - 6.0
    assert frame.attrs["check"]
    assert frame.loc["x", ["base value", "scenario value"]].tolist() == [2.0, 5.0]


def test_exact_values_equal_the_definition_over_all_orders():
    base = ToyParams(x=2.0, y=3.0, z=1.5, w=1.0, power=2.0)
    other = ToyParams(x=-1.0, y=4.0, z=0.5, w=3.0, power=3.0)
    names = ["x", "y", "z", "w", "power"]
    frame = attribution.shapley(TOY, base, other, TOY.gross_margin)
    expected = _brute_force(TOY, base, other, TOY.gross_margin, names)
    for name in names:
        assert frame.loc[name, "contribution"] == pytest.approx(expected[name], rel=1e-12, abs=1e-12)
    assert frame.attrs["evaluations"] == 2**5


def test_exact_attribution_is_one_model_call():
    spec, calls = _counting(TOY)
    attribution.shapley(spec, ToyParams(), ToyParams(x=4.0, y=1.0, w=2.0), spec.gross_margin)
    assert len(calls) == 1


def test_an_additive_change_is_split_exactly_by_term_and_sampling_agrees():
    base, other = ToyParams(x=1.0, y=3.0, w=0.0), ToyParams(x=2.0, y=3.0, w=5.0)
    exact = attribution.shapley(TOY, base, other, TOY.gross_margin)
    sampled = attribution.shapley(TOY, base, other, TOY.gross_margin, exact_limit=1, samples=10)
    for frame in (exact, sampled):
        assert frame.loc["x", "contribution"] == pytest.approx(3.0, rel=1e-15)
        assert frame.loc["w", "contribution"] == pytest.approx(5.0, rel=1e-15)
    assert sampled.attrs["method"] == "sampled"
    assert sampled["std error"].tolist() == [0.0, 0.0]


def test_no_change_gives_an_empty_attribution():
    frame = attribution.shapley(TOY, ToyParams(), ToyParams(), TOY.gross_margin)
    assert frame.empty
    assert frame.attrs["total"] == 0.0
    assert frame.attrs["check"]


def test_a_changed_limit_is_attributed_nothing():
    frame = attribution.shapley(TOY, ToyParams(), ToyParams(x=3.0, cap=2.0), TOY.gross_margin)
    assert frame.loc["cap", "contribution"] == 0.0
    assert frame.loc["cap", "role"] == "limit"
    assert frame.loc["x", "contribution"] == pytest.approx(3.0)


def test_assumptions_left_out_of_names_are_attributed_together():
    base = ToyParams(x=2.0, y=3.0, z=1.5, power=1.0)
    other = ToyParams(x=4.0, y=1.0, z=2.5, power=1.0, w=1.0)
    frame = attribution.shapley(TOY, base, other, TOY.gross_margin, names=["x", "power"])
    assert frame.attrs["check"]
    assert frame.loc["power", "contribution"] == 0.0  # named but unchanged
    assert "other changes (y, z, w)" in frame.index
    assert frame["contribution"].sum() == pytest.approx(_value(other) - _value(base), rel=1e-12)


def test_a_non_finite_metric_cannot_be_attributed():
    base, other = ToyParams(x=1.0, z=0.0, power=1.0), ToyParams(x=1.0, z=1.0, power=-1.0)
    with pytest.raises(ValueError, match="not finite"):
        attribution.shapley(TOY, base, other, TOY.gross_margin)


# --- settings


@pytest.mark.parametrize(
    ("setting", "value"), [("horizon_months", 48), ("snapshot_month", 6), ("cost_basis", "direct")]
)
def test_a_changed_setting_is_an_error_naming_it(setting, value):
    spec = get_model("api_access")
    base = spec.params()
    other = base.vary(**{setting: value}, monthly_churn=0.05)
    with pytest.raises(ValueError, match=setting):
        attribution.changed_assumptions(base, other)
    with pytest.raises(ValueError, match=setting):
        attribution.attribute(spec, base, other)


def test_changed_assumptions_lists_point_value_changes_in_declaration_order():
    spec = get_model("api_access")
    base = spec.params()
    other = base.vary(monthly_churn=0.05, price_per_m_output_tokens=12.0, max_error_rate=0.02)
    assert attribution.changed_assumptions(base, other) == [
        "price_per_m_output_tokens",
        "monthly_churn",
        "max_error_rate",
    ]


# --- the real models


@settings(max_examples=25, deadline=None)
@given(
    moves=st.dictionaries(
        st.sampled_from(API_DRIVERS), st.floats(0.3, 2.0, allow_nan=False), min_size=1, max_size=8
    )
)
def test_contributions_add_up_to_the_change_on_random_scenario_pairs(moves):
    spec = get_model("api_access")
    base = spec.params()
    schema = type(base)
    other = base.vary(**{n: clip_to_range(schema, n, getattr(base, n) * f) for n, f in moves.items()})
    frames = attribution.attribute(spec, base, other)
    metrics = {"north star": north_star(spec), "gross margin": spec.gross_margin}
    for key, frame in frames.items():
        attrs = frame.attrs
        direct = float(metrics[key](spec.compute(other))) - float(metrics[key](spec.compute(base)))
        assert _close(frame["contribution"].sum(), attrs["total"], attrs["base"], attrs["scenario"])
        assert _close(attrs["total"], direct, attrs["base"], attrs["scenario"], rtol=1e-12)
        assert attrs["check"]


def test_with_one_changed_driver_it_takes_the_whole_change():
    spec = get_model("api_access")
    base = spec.params()
    frame = attribution.shapley(spec, base, base.vary(gpu_utilisation=0.45), spec.gross_margin)
    assert frame.index.tolist() == ["gpu_utilisation"]
    assert frame["contribution"].iloc[0] == frame.attrs["total"]
    assert frame["share of change"].iloc[0] == pytest.approx(1.0, rel=1e-15)


def test_exact_model_attribution_equals_the_definition_over_all_orders():
    spec = get_model("api_access")
    base = spec.params()
    other = base.vary(monthly_churn=0.05, price_per_m_output_tokens=9.0, gpu_utilisation=0.8)
    metric = north_star(spec)
    frame = attribution.shapley(spec, base, other, metric)
    expected = _brute_force(spec, base, other, metric, list(frame.index))
    for name in frame.index:
        assert frame.loc[name, "contribution"] == pytest.approx(expected[name], rel=1e-10)


def test_sampled_estimate_adds_up_and_is_close_to_the_exact_values():
    base = evaluate_scenario("api_access", "base").params
    other = evaluate_scenario("api_access", "bear").params
    spec = get_model("api_access")
    exact = attribution.attribute(spec, base, other)
    sampled = attribution.attribute(spec, base, other, exact_limit=5, samples=400, seed=7)
    again = attribution.attribute(spec, base, other, exact_limit=5, samples=400, seed=7)
    for key, frame in sampled.items():
        attrs = frame.attrs
        assert attrs["method"] == "sampled" and exact[key].attrs["method"] == "exact"
        assert attrs["evaluations"] == 2 + 400 * (len(frame) - 1)
        assert _close(frame["contribution"].sum(), attrs["total"], attrs["base"], attrs["scenario"])
        assert attrs["total"] == exact[key].attrs["total"]
        gap = (frame["contribution"] - exact[key]["contribution"].reindex(frame.index)).abs()
        assert (gap <= 5 * frame["std error"] + 1e-12 * abs(attrs["total"])).all()
        assert (gap <= 0.01 * abs(attrs["total"])).all()
        pd.testing.assert_frame_equal(frame, again[key])


def test_sampled_calls_are_chunked_but_few(monkeypatch):
    monkeypatch.setattr(attribution, "MAX_ROWS", 1000)
    spec, calls = _counting(get_model("api_access"))
    base = spec.params()
    other = base.vary(monthly_churn=0.05, price_per_m_output_tokens=9.0, gpu_utilisation=0.8, cac_usd=7000.0)
    frame = attribution.shapley(spec, base, other, spec.gross_margin, exact_limit=2, samples=1000)
    assert len(calls) == math.ceil((2 + 1000 * 3) / 1000)
    assert frame.attrs["check"]


@pytest.mark.parametrize("scenario", ["bull", "bear"])
@pytest.mark.parametrize("model", MODELS)
def test_shipped_scenarios_are_attributed_exactly(model, scenario):
    base = evaluate_scenario(model, "base")
    other = evaluate_scenario(model, scenario)
    spec, calls = _counting(base.spec)
    frames = attribution.attribute(spec, base.params, other.params)
    assert len(calls) == 1
    changed = attribution.changed_assumptions(base.params, other.params)
    expected = {
        "north star": (base.tree.root.value, other.tree.root.value),
        "gross margin": (base.gross_margin, other.gross_margin),
    }
    for key, frame in frames.items():
        attrs = frame.attrs
        assert sorted(frame.index) == sorted(changed)
        assert attrs["method"] == "exact" and attrs["evaluations"] == 2 ** len(changed)
        assert attrs["base"] == pytest.approx(expected[key][0], rel=1e-12)
        assert attrs["scenario"] == pytest.approx(expected[key][1], rel=1e-12)
        assert attrs["check"]
        assert _close(frame["contribution"].sum(), attrs["total"], attrs["base"], attrs["scenario"])
    assert frames["north star"].attrs["unit"] == other.statement.north_star_unit


# --- tree deltas and the chart


def test_tree_deltas_follow_both_trees():
    base = evaluate_scenario("api_access", "base")
    other = evaluate_scenario("api_access", "bear")
    deltas = attribution.tree_deltas(base.spec, base.params, other.params)
    assert list(deltas.index) == list(base.tree.to_frame().index)
    root = base.tree.root.id
    assert deltas.loc[root, "delta"] == pytest.approx(other.tree.root.value - base.tree.root.value)
    assert deltas.loc[root, "change"].startswith("−$")
    groups = deltas[deltas["kind"] == "group"]
    assert groups["delta"].isna().all() and (groups["change"] == "").all()
    margin = deltas[deltas["unit"] == "fraction"]["change"]
    assert margin.str.endswith(("pp", "no change")).all()
    text = attribution.tree_delta_text(base.spec, base.params, other.params)
    assert text.splitlines()[1].startswith("└─ " + base.tree.root.label)
    assert " -> " in text and "no change" in text


def test_format_delta():
    assert attribution.format_delta(-0.0123, "fraction") == "−1.23 pp"
    assert attribution.format_delta(1.5e6, "USD per month") == "+$1.5M per month"
    assert attribution.format_delta(0.0, "USD") == "no change"
    assert attribution.format_delta(math.inf, "months") == "n/a"


def test_waterfall_chart_renders_offline_with_bars_that_add_up():
    base = evaluate_scenario("api_access", "base").params
    other = evaluate_scenario("api_access", "bear").params
    spec = get_model("api_access")
    frame = attribution.attribute(spec, base, other)["gross margin"]
    chart = charts.waterfall_chart(frame, "Gross margin", "Bear vs base", "fraction")
    spec_dict = chart.to_dict()
    rows = next(iter(spec_dict["datasets"].values()))
    moving = frame[frame["contribution"] != 0]
    assert [r["step"] for r in rows] == ["base", *moving.index, "scenario"]
    assert rows[-2]["end"] == pytest.approx(rows[-1]["end"], rel=1e-12)
    assert {r["kind"] for r in rows[1:-1]} == {"down"}
    bundle = charts.mimebundle(chart)
    assert bundle["image/svg+xml"].startswith("<svg")
    assert "cac_usd" in json.dumps(spec_dict["title"])  # unmoved assumptions: named in the subtitle


def test_a_linked_input_that_moved_with_its_seller_is_a_part_of_the_change():
    spec = get_model("api_access")
    base, other = (
        linked(spec, scenario_params("api_access", name), name, PARAMETERS_DIR)[0]
        for name in ("base", "overcapacity")
    )
    frame = attribution.attribute(spec, base, other)["gross margin"]
    # overcapacity changes nothing in the API layer's own file: the whole change is the cloud's price
    assert list(frame.index) == ["gpu_hour_cost_usd (linked)"]
    assert frame.loc["gpu_hour_cost_usd (linked)", "role"] == "linked input"
    assert frame.attrs["check"] and frame["contribution"].iloc[0] == pytest.approx(frame.attrs["total"])
    assert frame.attrs["total"] > 0.01  # the cloud's GPU-hour got cheaper: the API layer's margin rose
    assert (
        frame.loc["gpu_hour_cost_usd (linked)", "scenario value"]
        < frame.loc["gpu_hour_cost_usd (linked)", "base value"]
    )
