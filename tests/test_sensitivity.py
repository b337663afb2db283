"""Tornado on ranges, Sobol indices (closed forms, reproducibility, one model call) and charts."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from aibm_core.analysis import sensitivity
from aibm_core.core.params import validate
from aibm_core.core.ranges import Z90
from aibm_core.models import get_model, model_names
from aibm_core.present import charts

#: z-values of the 10th and 90th percentiles of a standard normal.
Z10, Z_90 = -1.2815515655446004, 1.2815515655446004


def _ranged_api(**extra):
    spec = get_model("api_access")
    ranges = {
        "price_per_m_output_tokens": {"low": 10.0, "high": 20.0},  # lognormal 90% interval
        "gpu_utilisation": {"dist": "pert", "low": 0.4, "mode": 0.6, "high": 0.85},
        "cac_usd": {"dist": "uniform", "low": 3000.0, "high": 7000.0},
    }
    return spec, validate(spec.params, {**ranges, **extra})


# --- tornado


def test_tornado_uses_p10_p90_of_a_range_computed_by_hand():
    spec, params = _ranged_api()
    frame = sensitivity.tornado(spec, params, ["price_per_m_output_tokens", "gpu_utilisation"])
    row = frame.set_index("assumption").loc["price_per_m_output_tokens"]
    mu, sigma = (math.log(10) + math.log(20)) / 2, (math.log(20) - math.log(10)) / (2 * Z90)
    assert row["rule"] == "P10-P90"
    assert row["low_value"] == pytest.approx(math.exp(mu + Z10 * sigma), rel=1e-12)
    assert row["high_value"] == pytest.approx(math.exp(mu + Z_90 * sigma), rel=1e-12)
    pert = stats.beta(1 + 4 * 0.2 / 0.45, 1 + 4 * 0.25 / 0.45, loc=0.4, scale=0.45)
    utilisation = frame.set_index("assumption").loc["gpu_utilisation"]
    assert utilisation["low_value"] == pytest.approx(pert.ppf(0.1), rel=1e-12)
    assert utilisation["high_value"] == pytest.approx(pert.ppf(0.9), rel=1e-12)


def test_tornado_metric_equals_scalar_model_calls_at_the_driver_values():
    spec, params = _ranged_api()
    names = ["price_per_m_output_tokens", "monthly_churn", "gpu_utilisation"]
    frame = sensitivity.tornado(spec, params, names)
    for row in frame.itertuples():
        for value, metric in ((row.low_value, row.low), (row.high_value, row.high)):
            alone = spec.gross_margin(spec.compute(params.vary(**{row.assumption: value})))
            assert metric == pytest.approx(float(alone), rel=1e-12)
        assert row.base == pytest.approx(spec.gross_margin(spec.compute(params)), rel=1e-12)


def test_tornado_moves_unranged_drivers_twenty_percent_clipped_to_the_valid_range():
    spec = get_model("api_access")
    params = spec.params().vary(gpu_utilisation=0.9)
    frame = sensitivity.tornado(spec, params, ["monthly_churn", "gpu_utilisation"]).set_index("assumption")
    assert (frame["rule"] == "±20%").all()
    assert frame.loc["monthly_churn", ["low_value", "high_value"]].tolist() == pytest.approx([0.024, 0.036])
    assert frame.loc["gpu_utilisation", ["low_value", "high_value"]].tolist() == pytest.approx([0.72, 1.0])


def test_tornado_keeps_its_old_call_and_columns_and_reports_the_north_star():
    spec = get_model("api_access")
    params = spec.params()
    frame = sensitivity.tornado(spec, params, ["price_per_m_output_tokens", "cac_usd"])
    assert list(frame.columns[:4]) == ["assumption", "low", "high", "base"]
    star = sensitivity.tornado(
        spec, params, ["price_per_m_output_tokens"], metric=sensitivity.north_star(spec)
    )
    assert star["base"].iloc[0] == pytest.approx(
        spec.statement(spec.compute(params)).snapshot()["north_star"]
    )
    assert star["high"].iloc[0] > star["base"].iloc[0] > star["low"].iloc[0]
    # An assumption the metric ignores gives a flat bar.
    assert frame.set_index("assumption").loc["cac_usd", "low"] == frame["base"].iloc[0]


def test_tornado_of_nothing_is_an_empty_frame():
    spec = get_model("api_access")
    assert sensitivity.tornado(spec, spec.params(), []).empty


# --- Sobol indices: closed forms


def test_sobol_of_an_additive_function_matches_the_closed_form():
    # Y = 2 X1 + 1 X2 + 0 X3: S1_i = a_i² Var(X_i) / Σ a_j² Var(X_j) and S1 = ST.
    distributions = {"x1": stats.uniform(0, 1), "x2": stats.norm(0, 0.5), "x3": stats.lognorm(0.5)}
    variances = np.array([4 / 12, 0.25, 0.0])
    expected = variances / variances.sum()
    frame = sensitivity.sobol_indices(
        lambda x: 2 * x["x1"] + x["x2"] + 0 * x["x3"], distributions, n=4096, seed=1
    )
    assert list(frame.columns) == ["S1", "S1_conf", "ST", "ST_conf"]
    assert list(frame.index) == ["x1", "x2", "x3"]
    # With n = 4096 the estimators' standard error is about 0.01.
    assert frame["S1"].to_numpy() == pytest.approx(expected, abs=0.03)
    assert frame["ST"].to_numpy() == pytest.approx(expected, abs=0.03)
    assert frame.loc["x3", "ST"] == pytest.approx(0.0, abs=1e-12)


def test_sobol_of_the_ishigami_function_separates_first_order_and_total():
    # Ishigami (a=7, b=0.1), X_i ~ U(-π, π): S1 = (0.3139, 0.4424, 0), ST = (0.5576, 0.4424, 0.2437).
    uniform = stats.uniform(-np.pi, 2 * np.pi)
    frame = sensitivity.sobol_indices(
        lambda x: np.sin(x["a"]) + 7 * np.sin(x["b"]) ** 2 + 0.1 * x["c"] ** 4 * np.sin(x["a"]),
        {"a": uniform, "b": uniform, "c": uniform},
        n=8192,
        seed=3,
    )
    assert frame["S1"].to_numpy() == pytest.approx([0.3139, 0.4424, 0.0], abs=0.04)
    assert frame["ST"].to_numpy() == pytest.approx([0.5576, 0.4424, 0.2437], abs=0.04)


def test_sobol_of_a_constant_is_zero_and_of_non_finite_outputs_an_error():
    distributions = {"x": stats.uniform(0, 1)}
    assert (sensitivity.sobol_indices(lambda x: np.ones_like(x["x"]), distributions, n=64) == 0).all().all()
    with pytest.raises(ValueError, match="not finite"), np.errstate(invalid="ignore"):
        sensitivity.sobol_indices(lambda x: np.log(x["x"] - 0.5), distributions, n=64)


def test_sobol_is_reproducible_with_a_seed():
    distributions = {"x": stats.uniform(0, 1), "y": stats.norm()}
    first = sensitivity.sobol_indices(lambda v: v["x"] * v["y"] + v["y"], distributions, n=256, seed=7)
    again = sensitivity.sobol_indices(lambda v: v["x"] * v["y"] + v["y"], distributions, n=256, seed=7)
    other = sensitivity.sobol_indices(lambda v: v["x"] * v["y"] + v["y"], distributions, n=256, seed=8)
    pd.testing.assert_frame_equal(first, again)
    assert not first.equals(other)


@pytest.fixture
def global_numpy_state():
    """numpy's global random state, restored after the test."""
    state = np.random.get_state()  # noqa: NPY002 (the legacy global state is the point)
    yield
    np.random.set_state(state)  # noqa: NPY002


def test_sobol_with_seed_zero_is_reproducible_whatever_numpy_global_state(global_numpy_state):
    """Seed 0 is a seed like any other (SALib's bootstrap once fell back to numpy's global state)."""
    distributions = {"x": stats.uniform(0, 1), "y": stats.norm()}

    def indices(seed: int, global_seed: int) -> pd.DataFrame:
        np.random.seed(global_seed)  # noqa: NPY002 (as another library may have)
        return sensitivity.sobol_indices(lambda v: v["x"] * v["y"] + v["y"], distributions, n=256, seed=seed)

    first, again = indices(0, 1), indices(0, 2)
    pd.testing.assert_frame_equal(first, again, check_exact=True)
    assert not first.equals(indices(1, 1))
    spec, params = _ranged_api(random_seed=0)
    np.random.seed(1)  # noqa: NPY002
    one = sensitivity.model_sobol(spec, params, n=128)
    np.random.seed(2)  # noqa: NPY002
    pd.testing.assert_frame_equal(one, sensitivity.model_sobol(spec, params, n=128), check_exact=True)
    assert not one.equals(sensitivity.model_sobol(spec, params, n=128, seed=1))


def test_sobol_with_a_non_zero_seed_keeps_its_values():
    """The bootstrap draws of an int seed are those of its Generator: committed results stand."""
    from SALib.analyze import sobol as sobol_analyze

    distributions = {"x": stats.uniform(0, 1), "y": stats.norm()}
    design = sensitivity.sobol_design(distributions, 256, seed=7)
    y = design["x"] * design["y"] + design["y"]
    problem = {"num_vars": 2, "names": ["x", "y"], "bounds": [[0.0, 1.0]] * 2}
    salib = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=7, print_to_console=False)
    frame = sensitivity.sobol_frame(["x", "y"], y, seed=7)
    for column in sensitivity.SOBOL_COLUMNS:
        assert list(frame[column]) == list(salib[column])


# --- Sobol indices of the models


def test_model_sobol_runs_the_model_once_and_ignores_what_the_metric_ignores():
    spec, params = _ranged_api()
    calls = []

    def counting(p):
        calls.append(p)
        return spec.compute(p)

    frames = sensitivity.model_sobol_metrics(dataclasses.replace(spec, compute=counting), params, n=256)
    assert len(calls) == 1
    assert set(frames) == {"north star", "gross margin"}
    margin = frames["gross margin"]
    assert list(margin.index) == list(params.uncertainty.ranges)
    assert margin.loc["cac_usd", "ST"] == pytest.approx(0.0, abs=1e-12)  # CAC is not a cost of revenue
    assert margin.loc["gpu_utilisation", "ST"] > 0.2
    assert margin["S1"].sum() == pytest.approx(1.0, abs=0.15)  # nearly additive here


def test_model_sobol_is_reproducible_and_seeded_by_the_parameters():
    spec, params = _ranged_api(random_seed=11)
    first = sensitivity.model_sobol(spec, params, n=128)
    pd.testing.assert_frame_equal(first, sensitivity.model_sobol(spec, params, n=128))
    pd.testing.assert_frame_equal(first, sensitivity.model_sobol(spec, params, n=128, seed=11))


@pytest.mark.parametrize("name", model_names())
def test_model_sobol_without_ranges_is_empty(name):
    spec = get_model(name)
    assert sensitivity.model_sobol(spec, spec.params()).empty
    frames = sensitivity.model_sobol_metrics(spec, spec.params())
    assert all(frame.empty for frame in frames.values())


# --- charts


def test_sobol_chart_sorts_drivers_by_total_index_and_groups_the_two_indices():
    frame = pd.DataFrame(
        {"S1": [0.1, 0.5, 0.0], "S1_conf": [0.01] * 3, "ST": [0.2, 0.6, 0.2], "ST_conf": [0.01] * 3},
        index=pd.Index(["a", "b", "c"], name="driver"),
    )
    spec = charts.sobol_chart(frame, "gross margin", "Sobol").to_dict()
    assert spec["encoding"]["y"]["sort"] == ["b", "a", "c"]
    assert spec["encoding"]["yOffset"]["field"] == "index"
    assert charts.mimebundle(charts.sobol_chart(frame, "gross margin", "Sobol"))["image/svg+xml"]


def test_tornado_chart_draws_a_frame_with_rules_and_driver_values():
    spec, params = _ranged_api()
    frame = sensitivity.tornado(spec, params, ["price_per_m_output_tokens", "monthly_churn"])
    chart = charts.tornado_chart(frame, "gross margin", "t").to_dict()
    assert chart["layer"][0]["encoding"]["y"]["sort"][0] == "price_per_m_output_tokens"


# --- what-if grid (the static report's sliders)


def test_what_if_grid_holds_every_combination_with_the_base_case_at_zero(api_base):
    spec, params = api_base.spec, api_base.params
    names = ["price_per_m_output_tokens", "gpu_utilisation", "input_token_share"]
    grid = sensitivity.what_if_grid(spec, params, names)
    assert len(grid.frame) == len(sensitivity.WHAT_IF_MOVES) ** 3 == 729
    base = grid.frame.query("move_0 == 0 and move_1 == 0 and move_2 == 0")["metric"]
    assert base.tolist() == pytest.approx([api_base.gross_margin], rel=1e-12)
    # one driver moved: the same as a sweep of that driver alone
    price = params.price_per_m_output_tokens
    sweep = sensitivity.sweep(spec, params, "price_per_m_output_tokens", [price * 0.8, price * 1.3])
    moved = grid.frame.query("move_1 == 0 and move_2 == 0").set_index("move_0")["metric"]
    assert [moved[-20], moved[30]] == pytest.approx(sweep["metric"].tolist(), rel=1e-12)
    # values are the base times (1 + move), clipped to the valid range (a share stays <= 1)
    assert grid.values["gpu_utilisation"][0] == pytest.approx(params.gpu_utilisation * 0.6)
    assert params.input_token_share * 1.4 > 1 and max(grid.values["input_token_share"]) == 1.0
    # a higher output price never lowers the margin, whatever the other two sliders say
    wide = grid.frame.pivot_table(index=["move_1", "move_2"], columns="move_0", values="metric")
    assert (wide.diff(axis=1).iloc[:, 1:] >= -1e-12).all().all()


def test_what_if_grid_needs_the_base_case_among_its_moves(api_base):
    with pytest.raises(ValueError, match="must include 0"):
        sensitivity.what_if_grid(api_base.spec, api_base.params, ["gpu_utilisation"], moves=(-10, 10))


def test_main_drivers_are_ranked_by_swing_and_leave_out_those_that_do_not_move_the_margin(api_base):
    spec, params = api_base.spec, api_base.params
    names = ["cac_usd", "price_per_m_output_tokens", "gpu_utilisation"]  # CAC is not in the margin
    swings = sensitivity.tornado(spec, params, names).set_index("assumption")
    expected = (swings["high"] - swings["low"]).abs().drop("cac_usd").sort_values(ascending=False)
    assert sensitivity.main_drivers(spec, params, names) == expected.index.tolist()
    assert sensitivity.main_drivers(spec, params, names, count=1) == expected.index[:1].tolist()
    assert sensitivity.main_drivers(spec, params, ["cac_usd"]) == []


def test_what_if_chart_binds_a_slider_per_driver_and_renders_its_read_out(api_base):
    names = ["price_per_m_output_tokens", "gpu_utilisation"]
    grid = sensitivity.what_if_grid(api_base.spec, api_base.params, names)
    bundle = charts.mimebundle(charts.what_if_chart(grid, "gross margin", "What if"))
    spec = bundle[charts.VEGALITE_MIME]
    sliders = {p["name"]: p for p in spec["params"]}
    assert set(sliders) == {"move_0", "move_1"}
    assert all(p["value"] == 0 and p["bind"]["input"] == "range" for p in sliders.values())
    assert (sliders["move_0"]["bind"]["min"], sliders["move_0"]["bind"]["max"]) == (-40, 40)
    assert sliders["move_0"]["bind"]["step"] == 10
    # one row per position of the second slider, the first driver's moves and metrics as lists
    (rows,) = [r for r in spec["datasets"].values() if len(r) == 9]
    assert sorted(r["move_1"] for r in rows) == list(sensitivity.WHAT_IF_MOVES)
    assert all(r["move_0"] == list(sensitivity.WHAT_IF_MOVES) and len(r["metric"]) == 9 for r in rows)
    base = next(r for r in rows if r["move_1"] == 0)["metric"][4]
    assert base == float(f"{api_base.gross_margin:.6g}")
    svg = bundle["image/svg+xml"]
    margin = f"{api_base.gross_margin:.1%}"
    assert f"gross margin: {margin}" in svg and "price per m output tokens: $15.00 (base)" in svg


def test_what_if_chart_with_one_driver_has_one_slider(api_seed):
    grid = sensitivity.what_if_grid(api_seed.spec, api_seed.params, ["price_per_m_output_tokens"])
    spec = charts.mimebundle(charts.what_if_chart(grid, "gross margin", "What if"))[charts.VEGALITE_MIME]
    assert [p["name"] for p in spec["params"]] == ["move_0"]
    assert [len(r) for r in spec["datasets"].values() if isinstance(r[0].get("metric"), list)] == [1]
