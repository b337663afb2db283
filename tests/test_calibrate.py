"""Calibration: drivers fitted to target figures, identifiability warnings, overlays, `aibm calibrate`."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from aibm_core.analysis.calibrate import (
    Target,
    calibrate,
    calibrate_ranges,
    draw_weights,
    modelled,
    read_targets,
    weighted_percentiles,
    write_overlay,
    yaml_number,
)
from aibm_core.analysis.results import scenario_params
from aibm_core.analysis.results_cache import linked, model_results
from aibm_core.batch import cli
from aibm_core.core.config import PARAMETERS_DIR
from aibm_core.core.params import ParameterError
from aibm_core.models import get_model
from tests.conftest import aibm

MODEL = "ai_infrastructure"
#: The driver values the targets are computed from (base: utilisation 0.75, decline 0.10).
TRUTH = {"utilisation": 0.82, "annual_price_decline": 0.17}
#: Figures the targets name: (figure, month or None for the snapshot month, tolerance, relative).
FIGURES = [("revenue", 12, 0.01, True), ("revenue", 36, 0.01, True), ("gross_margin", None, 0.001, False)]


@pytest.fixture(scope="module")
def spec():
    return get_model(MODEL)


@pytest.fixture(scope="module")
def base(spec):
    """The model's base parameters with the scenario's links attached, as a batch sees them."""
    params, _ = linked(spec, scenario_params(MODEL, "base", PARAMETERS_DIR), "base", PARAMETERS_DIR)
    return params


def targets_from(spec, params, figures=FIGURES, **values) -> list[Target]:
    """Targets read off the model itself with ``values`` set (exact, so a fit can recover them)."""
    blank = [
        Target(f, m, 1.0, tol, rel, "model", f"targets[{i}]") for i, (f, m, tol, rel) in enumerate(figures, 1)
    ]
    exact, _ = modelled(spec, params.vary(**values), blank)
    return [
        Target(t.figure, t.month, float(v), t.tolerance, t.relative, t.source, t.key)
        for t, v in zip(blank, exact, strict=True)
    ]


def write_targets(path: Path, targets: list[Target]) -> Path:
    """A targets YAML holding ``targets`` (values written so that they read back exactly)."""
    lines = [f"model: {MODEL}", "targets:"]
    for t in targets:
        month = "" if t.month is None else f", month: {t.month}"
        tolerance = f'"{t.tolerance * 100:g}%"' if t.relative else yaml_number(t.tolerance)
        lines.append(
            f"  - {{figure: {t.figure}{month}, value: {yaml_number(t.value)}, tolerance: {tolerance}, "
            f'source: "{t.source}"}}'
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def parameters(tmp_path) -> Path:
    """A private copy of the shipped parameters folder (overlays are written into it)."""
    folder = tmp_path / "parameters"
    shutil.copytree(PARAMETERS_DIR, folder)
    return folder


# --- (a) recovery


def test_two_drivers_set_to_known_values_are_recovered_from_the_models_own_figures(spec, base):
    targets = targets_from(spec, base, **TRUTH)
    fit = calibrate(spec, base, targets, list(TRUTH))
    assert [d.before for d in fit.drivers] == [base.utilisation, base.annual_price_decline]
    for name, value in TRUTH.items():
        assert fit.values[name] == pytest.approx(value, rel=1e-6), name
    assert fit.matched and all(abs(f.residual) < 1e-6 for f in fit.targets)
    assert fit.warnings == ()
    # every driver is pinned by some target, the gross margin most of all for utilisation
    assert fit.pins["utilisation"][0][0] == "gross_margin"
    assert all(fit.pins[name] for name in TRUTH)


def test_recovery_from_a_csv_of_actuals_on_the_api_model(tmp_path):
    spec = get_model("api_access")
    params, _ = linked(spec, scenario_params("api_access", "base", PARAMETERS_DIR), "base", PARAMETERS_DIR)
    truth = {"price_per_m_output_tokens": 11.0, "annual_price_decline": 0.35}
    figures = [("revenue", 6, 0.01, True), ("revenue", 30, 0.01, True), ("gross_margin", None, 0.001, False)]
    targets = targets_from(spec, params, figures, **truth)
    rows = ["figure,month,value,tolerance,source"]
    for t in targets:
        tolerance = f"{t.tolerance * 100:g}%" if t.relative else t.tolerance
        rows.append(f"{t.figure},{t.month or ''},{t.value!r},{tolerance},model")
    path = tmp_path / "actuals.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    fit = calibrate(spec, params, read_targets(path), list(truth))
    for name, value in truth.items():
        assert fit.values[name] == pytest.approx(value, rel=1e-6), name


# --- (b) identifiability


def test_a_driver_that_moves_no_target_is_named_unidentified(spec, base):
    targets = targets_from(spec, base, **TRUTH)
    fit = calibrate(spec, base, targets, [*TRUTH, "tokens_per_second_per_gpu"])
    flat = [w for w in fit.warnings if w.startswith("tokens_per_second_per_gpu is not identified")]
    assert len(flat) == 1 and "moves none of the targets" in flat[0]
    assert fit.values["tokens_per_second_per_gpu"] == base.tokens_per_second_per_gpu
    assert fit.pins["tokens_per_second_per_gpu"] == ()
    for name, value in TRUTH.items():  # the others are still recovered
        assert fit.values[name] == pytest.approx(value, rel=1e-6)


def test_two_drivers_seen_only_as_a_product_are_named_together(spec, base):
    # power cost per GPU-hour is PUE × price of a kWh (× kW per GPU): the margin sees only the product
    figures = [("gross_margin", None, 0.001, False), ("operating_profit", 24, 0.01, True)]
    targets = targets_from(spec, base, figures, pue=1.5, electricity_usd_per_kwh=0.07)
    fit = calibrate(spec, base, targets, ["pue", "electricity_usd_per_kwh"])
    assert fit.matched
    together = [w for w in fit.warnings if "not identified separately" in w]
    assert len(together) == 1 and "pue" in together[0] and "electricity_usd_per_kwh" in together[0]
    product = fit.values["pue"] * fit.values["electricity_usd_per_kwh"]
    assert product == pytest.approx(1.5 * 0.07, rel=1e-6)


# --- (c) bad targets


@pytest.mark.parametrize(
    ("content", "key", "words"),
    [
        (
            "targets:\n  - {figure: revnue, month: 3, value: 1.0}\n",
            "targets[1].figure",
            "unknown figure 'revnue'",
        ),
        ("targets:\n  - {figure: revenue, month: 61, value: 1.0}\n", "targets[1].month", "expected 1..60"),
        ("targets:\n  - {figure: revenue, month: 3, value: .nan}\n", "targets[1].value", "finite number"),
        (
            "targets:\n  - {figure: revenue, month: 3, value: 1.0, tolerance: -2}\n",
            "targets[1].tolerance",
            "positive",
        ),
        ("targets:\n  - {figure: revenue, month: 0, value: 1.0}\n", "targets[1].month", "month number"),
        ("targets:\n  - {figure: revenue, value: 1.0, colour: red}\n", "targets[1].colour", "unknown key"),
        (
            "targets:\n  - {figure: break_even_utilisation, month: 24, value: 0.5}\n",
            "targets[1].month",
            "snapshot month (12)",
        ),
        ("targets: []\n", "targets", "non-empty list"),
    ],
)
def test_bad_targets_are_one_line_naming_the_file_and_key(spec, base, tmp_path, content, key, words):
    path = tmp_path / "targets.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ParameterError) as caught:
        calibrate(spec, base, read_targets(path), ["utilisation"], source=str(path))
    lines = [str(p) for p in caught.value.problems]
    assert len(lines) == 1 and "\n" not in lines[0], lines
    assert lines[0].startswith(f"{path}: key '{key}': ") and words in lines[0], lines[0]


def test_bad_csv_rows_are_named_by_row(tmp_path):
    path = tmp_path / "actuals.csv"
    path.write_text(
        "figure,month,value,tolerance,source\nrevenue,12,nan,1%,x\nrevenue,,abc,,y\n", encoding="utf-8"
    )
    with pytest.raises(ParameterError) as caught:
        read_targets(path)
    assert [str(p) for p in caught.value.problems] == [
        f"{path}: key 'row 2.value': 'nan' is not allowed; expected a finite number",
        f"{path}: key 'row 3.value': 'abc' is not allowed; expected a finite number",
    ]


def test_only_numeric_drivers_can_be_fitted(spec, base):
    targets = targets_from(spec, base, **TRUTH)
    with pytest.raises(ParameterError) as caught:
        calibrate(spec, base, targets, ["horizon_months", "utilisaton"])
    lines = [str(p) for p in caught.value.problems]
    assert lines[0].startswith("key '--fit': 'horizon_months' is a setting, not a numeric driver")
    assert lines[1].startswith("key '--fit': 'utilisaton' is not an assumption of ai_infrastructure")


# --- (d) the overlay


def test_the_written_overlay_validates_and_its_results_hit_the_targets(spec, base, parameters, tmp_path):
    targets = targets_from(spec, base, **TRUTH)
    targets_path = write_targets(tmp_path / "targets.yaml", targets)
    fit = calibrate(spec, base, read_targets(targets_path), list(TRUTH))
    folder = write_overlay(parameters, "fitted", MODEL, fit, "base", targets_path)
    assert folder == parameters / "fitted"
    assert sorted(p.name for p in folder.iterdir()) == [f"{MODEL}.yaml", "scenario.yaml"]
    assert not [p for p in parameters.iterdir() if p.name.startswith(".")]  # no temporary folder left
    text = (folder / f"{MODEL}.yaml").read_text()
    for name in TRUTH:
        line = next(line for line in text.splitlines() if line.startswith(f"{name}:"))
        assert f"# why: calibrated to {targets_path}: revenue@12 = " in line
    assert 'overlays: "base"' in (folder / "scenario.yaml").read_text()
    done = aibm("validate", str(folder))
    assert done.returncode == 0, done.stderr
    payload = model_results(MODEL, "fitted", parameters)
    for t in targets:
        got = (
            payload["series"][t.figure]["values"][t.month - 1]
            if t.month
            else payload["kpis"][t.figure]["value"]
        )
        assert abs(got - t.value) <= t.scale, (t.label, got, t.value)
    with pytest.raises(ParameterError, match="exists already"):
        write_overlay(parameters, "fitted", MODEL, fit, "base", targets_path)


def test_fitting_a_linked_driver_cuts_its_link_as_the_overlay_does(spec, base, parameters, tmp_path):
    assert "capex_per_gpu_usd" in base.linked  # bought from the hardware vendor in base
    figures = [("gross_margin", None, 0.001, False), ("capex", 12, 0.01, True)]
    targets = targets_from(spec, base, figures, utilisation=0.8, capex_per_gpu_usd=30000.0)
    fit = calibrate(spec, base, targets, ["utilisation", "capex_per_gpu_usd"])
    assert fit.cut_links == ("capex_per_gpu_usd",) and fit.matched
    targets_path = write_targets(tmp_path / "targets.yaml", targets)
    write_overlay(parameters, "own_capex", MODEL, fit, "base", targets_path)
    payload = model_results(MODEL, "own_capex", parameters)
    assert payload["links"][0]["state"] == "set by the scenario"
    for t in targets:
        got = (
            payload["series"][t.figure]["values"][t.month - 1]
            if t.month
            else payload["kpis"][t.figure]["value"]
        )
        assert abs(got - t.value) <= t.scale, (t.label, got, t.value)


def test_an_overlay_that_does_not_validate_leaves_nothing(spec, base, parameters, tmp_path, monkeypatch):
    from aibm_core.analysis import results

    fit = calibrate(spec, base, targets_from(spec, base, **TRUTH), list(TRUTH))

    def refuse(*args, **kwargs):
        raise ParameterError([])

    monkeypatch.setattr(results, "scenario_params", refuse)
    before = sorted(p.name for p in parameters.iterdir())
    with pytest.raises(ParameterError):
        write_overlay(parameters, "broken", MODEL, fit, "base", tmp_path / "t.yaml")
    assert sorted(p.name for p in parameters.iterdir()) == before


@pytest.mark.parametrize("name", ["../out", ".hidden", "a/b", "", "x" * 101])
def test_overlay_names_must_be_plain_folder_names(spec, base, parameters, name):
    fit = calibrate(spec, base, targets_from(spec, base, **TRUTH), list(TRUTH))
    with pytest.raises(ParameterError):
        write_overlay(parameters, name, MODEL, fit, "base", Path("t.yaml"))


def test_yaml_numbers_read_back_exactly():
    for value in (0.1, 1e-05, 1.5e20, 123456.789, 0.8199786944986718):
        text = yaml_number(value)
        assert "e" not in text or ("." in text and text.split("e")[1][0] in "+-")
        assert float(text) == value and math.isfinite(float(text))


# --- (e) the command


def test_calibrate_command_prints_the_fit_and_writes_the_overlay(spec, base, parameters, tmp_path, capsys):
    targets_path = write_targets(tmp_path / "targets.yaml", targets_from(spec, base, **TRUTH))
    args = ["calibrate", MODEL, "--scenario", "base", "--targets", str(targets_path)]
    args += ["--fit", "utilisation", "--fit", "annual_price_decline", "--fit", "tokens_per_second_per_gpu"]
    code = cli.main([*args, "--parameters", str(parameters), "--write", "fy_fit"])
    out, err = capsys.readouterr()
    assert code == 0, err
    for words in (
        "utilisation",
        "0.75",
        "0.82",
        "annual_price_decline",
        "revenue@36",
        "within tolerance",
        "fy_fit",
    ):
        assert words in out, words
    assert "warning: tokens_per_second_per_gpu is not identified" in err
    assert (parameters / "fy_fit" / f"{MODEL}.yaml").is_file()
    # the same name again: refused before any work, nothing overwritten
    code = cli.main([*args, "--parameters", str(parameters), "--write", "fy_fit"])
    assert code == 2 and "exists already" in capsys.readouterr().err


def test_calibrate_command_exits_1_when_a_target_is_out_of_reach(spec, base, tmp_path, capsys):
    # a utilisation of at most 100% cannot give this revenue
    targets = [Target("revenue", 12, 1e12, 0.01, True, "impossible", "targets[1]")]
    path = write_targets(tmp_path / "targets.yaml", targets)
    code = cli.main(["calibrate", MODEL, "--targets", str(path), "--fit", "utilisation"])
    out, err = capsys.readouterr()
    assert code == 1
    assert "utilisation stopped at the high end of its valid range" in err
    assert "outside tolerance: revenue@12" in err and "NO" in out


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["calibrate", "nope", "--targets", "t.yaml", "--fit", "x"], "unknown model 'nope'"),
        (
            ["calibrate", MODEL, "--scenario", "nowhere", "--targets", "t.yaml", "--fit", "x"],
            "unknown scenario",
        ),
        (["calibrate", MODEL, "--targets", "missing.yaml", "--fit", "utilisation"], "missing.yaml"),
    ],
)
def test_calibrate_command_bad_input_is_one_line_and_exit_2(tmp_path, capsys, args, words):
    code = cli.main([a if a != "t.yaml" else str(tmp_path / "t.yaml") for a in args])
    err = capsys.readouterr().err
    assert code == 2 and words in err and len(err.strip().splitlines()) == 1, err


def test_calibrate_command_in_a_subprocess_gives_no_traceback(tmp_path):
    path = tmp_path / "targets.yaml"
    path.write_text("targets:\n  - {figure: revenue, month: 99, value: 1.0}\n", encoding="utf-8")
    done = aibm("calibrate", MODEL, "--targets", str(path), "--fit", "utilisation")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert (
        done.stderr.strip()
        == f"error: {path}: key 'targets[1].month': month 99 is outside the horizon; expected 1..60"
    )


# --- targets over a span of months


def test_a_span_of_months_sums_a_flow_and_takes_the_ratio_of_the_summed_flows(spec, base):
    st = spec.statement(spec.compute(base))
    revenue = np.asarray(st.series("revenue")).ravel()
    gross_profit = np.asarray(st.series("gross_profit")).ravel()
    operating_profit = np.asarray(st.series("operating_profit")).ravel()
    targets = [
        Target("revenue", None, 1.0, 0.01, True, months=(1, 12)),
        Target("gross_margin", None, 1.0, 0.01, True, months=(13, 24)),
        Target("operating_margin", None, 1.0, 0.01, True, months=(7, 7)),
    ]
    values, units = modelled(spec, base, targets)
    assert values[0] == pytest.approx(revenue[:12].sum(), rel=1e-12)
    assert values[1] == pytest.approx(gross_profit[12:24].sum() / revenue[12:24].sum(), rel=1e-12)
    assert values[2] == pytest.approx(operating_profit[6] / revenue[6], rel=1e-12)
    assert units == ["USD", "fraction", "fraction"]
    assert targets[0].label == "revenue@1-12"


def test_months_are_read_from_yaml_and_csv(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text(
        "targets:\n  - {figure: revenue, months: 1-12, value: 5, tolerance: 1}\n", encoding="utf-8"
    )
    assert read_targets(path)[0].months == (1, 12)
    path = tmp_path / "t.csv"
    path.write_text("figure,months,value\nrevenue, 4 - 6 ,5\n", encoding="utf-8")
    assert read_targets(path)[0].months == (4, 6)


@pytest.mark.parametrize(
    ("row", "key", "words"),
    [
        ("{figure: revenue, months: 12-1, value: 5}", "targets[1].months", "1 <= a <= b"),
        ("{figure: revenue, months: 12, value: 5}", "targets[1].months", "span of months"),
        ("{figure: revenue, month: 3, months: 1-12, value: 5}", "targets[1].months", "not both"),
    ],
)
def test_bad_spans_of_months_are_one_line(tmp_path, row, key, words):
    path = tmp_path / "t.yaml"
    path.write_text(f"targets:\n  - {row}\n", encoding="utf-8")
    with pytest.raises(ParameterError) as raised:
        read_targets(path)
    assert any(p.key == key and words in p.message for p in raised.value.problems), raised.value.problems


def test_an_annual_total_can_be_fitted(spec, base):
    figures = [("revenue", None, 0.005, True), ("gross_margin", None, 0.002, False)]
    blank = [Target(f, m, 1.0, t, r, months=(1, 12)) for f, m, t, r in figures]
    exact, _ = modelled(spec, base.vary(utilisation=0.82), blank)
    targets = [
        Target(t.figure, None, float(v), t.tolerance, t.relative, months=(1, 12))
        for t, v in zip(blank, exact, strict=True)
    ]
    fit = calibrate(spec, base, targets, ["utilisation"])
    assert fit.values["utilisation"] == pytest.approx(0.82, rel=1e-6) and fit.matched


# --- calibrated ranges (importance sampling of the Monte Carlo draws)

#: The priors of the range test: utilisation (seen by revenue) and R&D (seen by no target).
PRIORS = """\
utilisation: {low: 0.55, high: 0.9}
rd_per_month_usd: {low: 1000000.0, high: 2000000.0}
correlations: []
draws: 8000
"""


@pytest.fixture
def priors(spec, tmp_path) -> Path:
    """A parameters folder whose scenario ``priors`` ranges only utilisation and R&D (every other
    ranged driver of base fixed at its point value), unlinked."""
    folder = tmp_path / "parameters"
    shutil.copytree(PARAMETERS_DIR / "base", folder / "base")
    (folder / "priors").mkdir()
    (folder / "priors" / "scenario.yaml").write_text(
        'description: "two ranged drivers"\noverlays: base\nlinked: false\n', encoding="utf-8"
    )
    base = scenario_params(MODEL, "base", PARAMETERS_DIR)
    fixed = [
        f"{n}: {{value: {yaml_number(float(getattr(base, n)))}, fixed: true}}"
        for n in base.uncertainty.ranges
        if n not in ("utilisation", "rd_per_month_usd")
    ]
    (folder / "priors" / f"{MODEL}.yaml").write_text(PRIORS + "\n".join(fixed) + "\n", encoding="utf-8")
    return folder


def test_calibrated_ranges_narrow_onto_the_known_value_and_keep_an_unseen_prior(spec, priors):
    params = scenario_params(MODEL, "priors", priors)
    assert sorted(params.uncertainty.ranges) == ["rd_per_month_usd", "utilisation"]
    blank = [
        Target("revenue", None, 1.0, 0.005, True, months=(1, 12)),
        Target("revenue", 24, 1.0, 0.005, True),
    ]
    exact, _ = modelled(spec, params.vary(utilisation=0.8), blank)
    targets = [
        Target(t.figure, t.month, float(v), t.tolerance, t.relative, months=t.months)
        for t, v in zip(blank, exact, strict=True)
    ]
    result = calibrate_ranges(spec, params, targets)
    ranges = {r.name: r for r in result.ranges}
    seen, unseen = ranges["utilisation"], ranges["rd_per_month_usd"]
    assert seen.calibrated[2] - seen.calibrated[0] < 0.25 * (seen.prior[2] - seen.prior[0])
    assert seen.calibrated[0] <= 0.8 <= seen.calibrated[2]
    assert seen.calibrated[1] == pytest.approx(0.8, abs=0.01)
    width = unseen.prior[2] - unseen.prior[0]
    assert unseen.calibrated[1] == pytest.approx(unseen.prior[1], abs=0.1 * width)
    assert unseen.narrowing == pytest.approx(1.0, abs=0.2)
    assert 20 < result.effective_draws < result.draws and not result.warnings
    # the targets' figures: the calibrated P50 sits on the target
    target, _, _, calibrated = result.targets[0]
    assert calibrated[1] == pytest.approx(target.value, rel=0.01)


def test_weights_are_the_gaussian_likelihood_of_the_residuals_in_tolerances():
    targets = [Target("revenue", 1, 100.0, 10.0, False), Target("gross_margin", 1, 0.5, 0.1, False)]
    figures = np.array([[100.0, 110.0, 120.0, np.nan], [0.5, 0.5, 0.4, 0.5]])
    weights = draw_weights(figures, targets)
    raw = np.array([1.0, np.exp(-0.5), np.exp(-0.5 * (4 + 1)), 0.0])
    assert weights == pytest.approx(raw / raw.sum(), rel=1e-12)
    assert weighted_percentiles(np.array([3.0, 1.0, 2.0, 4.0]), np.full(4, 0.25), [50]) == pytest.approx(
        [2.5]
    )


def test_a_tiny_effective_sample_size_is_warned_about(spec, priors):
    params = scenario_params(MODEL, "priors", priors)
    blank = [Target("revenue", None, 1.0, 1e-7, True, months=(1, 12))]
    exact, _ = modelled(spec, params.vary(utilisation=0.8), blank)
    targets = [Target("revenue", None, float(exact[0]), 1e-7, True, months=(1, 12))]
    result = calibrate_ranges(spec, params, targets, draws=500)
    assert result.effective_draws < 5 and "effective sample size" in result.warnings[0]


def test_calibrate_ranges_command_writes_calibrated_ranges(spec, priors, tmp_path, capsys):
    params = scenario_params(MODEL, "priors", priors)
    blank = [Target("revenue", None, 1.0, 0.005, True, months=(1, 12))]
    exact, _ = modelled(spec, params.vary(utilisation=0.8), blank)
    path = tmp_path / "targets.yaml"
    path.write_text(
        f"model: {MODEL}\ntargets:\n  - {{figure: revenue, months: 1-12, "
        f"value: {yaml_number(float(exact[0]))}, "
        'tolerance: "0.5%", source: "the model at 0.8"}\n',
        encoding="utf-8",
    )
    args = ["calibrate", MODEL, "--scenario", "priors", "--parameters", str(priors), "--targets", str(path)]
    code = cli.main([*args, "--ranges", "--fit", "utilisation", "--write", "calibrated"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "effective sample size" in out and "prior P10 / P50 / P90" in out
    text = (priors / "calibrated" / f"{MODEL}.yaml").read_text(encoding="utf-8")
    assert text.count("why: calibrated to") == 1 and "rd_per_month_usd" not in text
    written = scenario_params(MODEL, "calibrated", priors)
    calibrated = written.uncertainty.ranges["utilisation"]
    assert calibrated.low < 0.8 < calibrated.high and calibrated.high - calibrated.low < 0.1
    assert "rd_per_month_usd" in written.uncertainty.ranges  # the unseen prior is kept from the scenario
    assert cli.main([*args, "--ranges", "--fit", "initial_gpus"]) == 2
    assert "not a range in this scenario" in capsys.readouterr().err
