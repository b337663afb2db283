"""The shipped base scenario: sourced ranges on each model's main drivers, and a Monte Carlo that runs.

The base point values stay the schema defaults (a range's ``value``), so the deterministic base
case does not move when ranges are added; the seed scenario stays a point scenario.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from aibm_core.analysis.results import evaluate_scenario
from aibm_core.analysis.scenarios import load_file
from aibm_core.analysis.uncertainty import monte_carlo
from aibm_core.core.config import PARAMETERS_DIR
from aibm_core.core.params import bounds, read_yaml
from aibm_core.models import get_model
from tests.contract_models import CONTRACT_MODELS, parameters_dir_of

# Every model test here also runs on the minimal model of docs/adding-a-model.md.
pytestmark = pytest.mark.usefixtures("with_minimal_model")

#: Draws for the Monte Carlo checks: enough for stable percentiles, quick on a shared machine.
DRAWS = 2_000


def base_params(model: str):
    spec = get_model(model)
    return spec, load_file(spec.params, parameters_dir_of(model) / "base" / f"{model}.yaml")


@pytest.mark.parametrize("model", CONTRACT_MODELS)
def test_base_file_ranges_the_declared_drivers_with_sources(model):
    spec, base = base_params(model)
    schema = spec.params
    declared = schema.base_ranges()
    assert 5 <= len(declared) <= 8, f"{model}: rank the 5-8 drivers that matter most"
    assert base.uncertainty.ranges == declared
    for name, rng in declared.items():
        extra = schema.model_fields[name].json_schema_extra
        assert schema.role_of(name) == "driver", name
        assert extra["range_source"].strip(), f"{name}: a range needs a source"
        default = schema.defaults()[name]
        assert rng.point == default, name
        assert rng.low <= default <= rng.high, f"{name}: the default must lie inside its range"
        low, high = bounds(schema, name)
        assert (low is None or rng.low >= low) and (high is None or rng.high <= high), name


@pytest.mark.parametrize("model", CONTRACT_MODELS)
def test_base_correlations_are_sourced_and_shipped(model):
    spec, base = base_params(model)
    declared = spec.params.base_correlations
    assert all(source.strip() for *_, source in declared)
    assert base.uncertainty.correlations == tuple((a, b, float(rho)) for a, b, rho, _ in declared)


@pytest.mark.parametrize("model", CONTRACT_MODELS)
def test_base_point_values_are_the_schema_defaults(model):
    spec, base = base_params(model)
    assert base.model_dump() == spec.params.defaults()
    ev = evaluate_scenario(model, "base", parameters_dir_of(model))
    default = spec.compute(spec.params())
    np.testing.assert_array_equal(
        ev.spec.statement(ev.result).series("revenue"), spec.statement(default).series("revenue")
    )
    for key, metric in ev.kpis.items():
        expected = spec.kpis(default)[key].value
        assert metric.value == expected or (math.isnan(metric.value) and math.isnan(expected)), key


def point_scenario_problem(model: str, parameters_dir: Path = PARAMETERS_DIR) -> str | None:
    """Why ``<parameters_dir>/seed/<model>.yaml`` is not a point scenario (``None`` when it is).

    The seed scenario reproduces worked examples: it keeps no ranges or says ``draws: 0``,
    else it silently runs a Monte Carlo over the ranges it overlays from ``base``.
    """
    path = Path(parameters_dir) / "seed" / f"{model}.yaml"
    if not path.exists():
        return f"{path} is missing: write the seed's worked example there, with `draws: 0`"
    ev = evaluate_scenario(model, "seed", parameters_dir)
    ranged = sorted(ev.params.uncertainty.ranges)
    if ranged and ev.params.uncertainty.draws != 0:
        return (
            f"{path} is not a point scenario: it keeps the ranges of {', '.join(ranged)} and runs "
            f"{ev.params.uncertainty.draws} draws; add `draws: 0`"
        )
    return None


@pytest.mark.parametrize("model", CONTRACT_MODELS)
def test_seed_is_a_point_scenario(model):
    folder = parameters_dir_of(model)
    assert point_scenario_problem(model, folder) is None, point_scenario_problem(model, folder)
    ev = evaluate_scenario(model, "seed", folder)
    assert read_yaml(folder / "seed" / f"{model}.yaml")["draws"] == 0
    assert monte_carlo(ev.spec, ev.params) is None


def test_a_seed_without_draws_0_is_reported_naming_its_file(tmp_path):
    for scenario in ("base", "seed"):
        (tmp_path / scenario).mkdir()
        for name in ("scenario.yaml", "api_access.yaml"):
            text = (PARAMETERS_DIR / scenario / name).read_text()
            (tmp_path / scenario / name).write_text(text.replace("draws: 0", "draws: 100"))
    problem = point_scenario_problem("api_access", tmp_path)
    assert problem is not None and problem.startswith(f"{tmp_path / 'seed' / 'api_access.yaml'} is not")
    assert "add `draws: 0`" in problem
    (tmp_path / "seed" / "api_access.yaml").unlink()
    assert "is missing" in point_scenario_problem("api_access", tmp_path)


@pytest.mark.parametrize("model", CONTRACT_MODELS)
def test_base_monte_carlo_runs_with_ordered_percentiles(model):
    ev = evaluate_scenario(model, "base", parameters_dir_of(model))
    mc = monte_carlo(ev.spec, ev.params, draws=DRAWS)
    assert mc is not None and mc.draws == DRAWS
    table = mc.kpi_percentiles()
    for key, row in table.iterrows():
        assert row["p10"] <= row["p50"] <= row["p90"], f"{model} {key}: {row.to_dict()}"
    # the ranges move the model: the north star and gross margin are spread, not points
    for key in ("gross_margin", *(k for k in table.index if k in ("mrr", "hardware_revenue", "revenue"))):
        assert table.at[key, "p10"] < table.at[key, "p90"], key
    probabilities = mc.breach_probabilities()["probability"]
    assert ((probabilities >= 0) & (probabilities <= 1)).all()


def test_z90_is_the_normal_95th_percentile():
    from scipy import stats

    from aibm_core.core.ranges import Z90

    assert Z90 == float(stats.norm.ppf(0.95))


@pytest.mark.parametrize(
    "text, accepted",
    [
        ("{value: 500.0, low: 10.0, high: 20.0}", False),  # lognormal by default: far above
        ("{value: 1.0, low: 10.0, high: 20.0}", False),  # below
        ("{value: 500.0, low: 10.0, high: 20.0, dist: normal}", False),
        ("{value: 10.0, low: 10.0, high: 20.0}", True),  # the ends of the interval are inside
        ("{value: 20.0, low: 10.0, high: 20.0}", True),
        ("{low: 10.0, high: 20.0}", True),  # no value: the range's median
    ],
)
def test_a_point_value_outside_its_own_range_is_refused(tmp_path, capsys, text, accepted):
    from aibm_core.batch.cli import main

    folder = tmp_path / "parameters" / "case"
    folder.mkdir(parents=True)
    path = folder / "api_access.yaml"
    path.write_text(f"price_per_m_output_tokens: {text}\n")
    code = main(["validate", str(path)])
    err = capsys.readouterr().err
    if accepted:
        assert code == 0 and err == ""
        return
    (line,) = err.splitlines()
    assert code == 2 and line.startswith(f"error: {path}: key 'price_per_m_output_tokens': range ")
    assert "lies outside the range's 90% interval 10..20; move the value inside it or widen the range" in line


def test_no_shipped_parameter_file_sets_a_value_outside_its_range():
    from aibm_core.batch.cli import main

    assert main(["validate", str(PARAMETERS_DIR)]) == 0
