"""Parameter files: validation messages, safe loading and one source of truth for defaults."""

from __future__ import annotations

from pathlib import Path

import nbformat
import papermill
import pytest

from aibm_core.analysis.scenarios import load_file, scenario_values
from aibm_core.core.config import NOTEBOOKS_DIR, PARAMETERS_DIR, SHIPPED_SCENARIOS
from aibm_core.core.params import (
    MONTE_CARLO_SETTINGS,
    RUN_SETTINGS,
    ParameterError,
    defaults_yaml,
    read_yaml,
    validate,
)
from aibm_core.models import get_model, model_names
from aibm_core.present.notebook import parameters_cell
from tests.contract_models import CONTRACT_MODELS, parameters_dir_of


def write(tmp_path: Path, text: str, name: str = "api_access.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ParameterError) as caught:
        load_file(get_model("api_access").params, path)
    return [str(p) for p in caught.value.problems]


def test_misspelt_key_names_file_key_and_suggestion(tmp_path):
    path = write(tmp_path, "price_per_m_output_tokns: 12\n")
    (message,) = problems_of(path)
    assert str(path) in message
    assert "'price_per_m_output_tokns'" in message
    assert "did you mean 'price_per_m_output_tokens'" in message


def test_out_of_range_value_names_value_and_allowed_range(tmp_path):
    path = write(tmp_path, "price_per_m_input_tokens: -1\n")
    (message,) = problems_of(path)
    assert "price_per_m_input_tokens" in message and "-1" in message
    assert ">= 0" in message and "USD per 1M input tokens" in message


def test_wrong_type_is_rejected_not_coerced(tmp_path):
    (message,) = problems_of(write(tmp_path, "monthly_churn: '0.03'\n"))
    assert "monthly_churn" in message and "'0.03'" in message and "a number" in message


def test_draws_times_horizon_beyond_the_memory_budget_is_refused(tmp_path, capsys):
    from aibm_core.batch.cli import main
    from aibm_core.core.params import MAX_DRAW_MONTHS

    path = write(tmp_path, "draws: 1000000\nhorizon_months: 120\n", "ai_infrastructure.yaml")
    assert main(["validate", str(path)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"error: {path}: key 'draws': value 1_000_000 with horizon_months 120")
    assert f"{MAX_DRAW_MONTHS:_}" in line and "at most 50_000 draws at this horizon" in line
    schema = get_model("ai_infrastructure").params
    validate(schema, {"draws": 100_000, "horizon_months": 60})  # at the budget: allowed
    validate(schema, {"draws": 50_000, "horizon_months": 120})
    with pytest.raises(ParameterError, match="draw-months"):
        validate(schema, {"draws": 100_001, "horizon_months": 60})


def test_choice_lists_the_allowed_values(tmp_path):
    (message,) = problems_of(write(tmp_path, "cost_basis: magic\n"))
    assert "one of 'gpu', 'direct'" in message


def test_every_problem_is_reported_at_once(tmp_path):
    assert len(problems_of(write(tmp_path, "monthly_churn: 2\nbatch_share: -0.1\nfoo: 1\n"))) == 3


def test_cross_field_rule(tmp_path):
    (message,) = problems_of(write(tmp_path, "snapshot_month: 48\n"))
    assert "snapshot_month (48) must not exceed horizon_months (36)" in message


def test_non_finite_numbers_are_rejected(tmp_path):
    (message,) = problems_of(write(tmp_path, "monthly_churn: .nan\n"))
    assert "not a finite number" in message


def test_python_tags_are_rejected_never_executed(tmp_path):
    marker = tmp_path / "executed"
    path = write(tmp_path, f"x: !!python/object/apply:os.system ['touch {marker}']\n")
    (message,) = problems_of(path)
    assert "line 1, column 4: tag !!python/object/apply:os.system is not allowed" in message
    assert not marker.exists()


@pytest.mark.parametrize(
    "text, expected", [("- 1\n- 2\n", "expected a mapping"), ("a: [1\n", "not valid YAML")]
)
def test_malformed_files(tmp_path, text, expected):
    assert expected in problems_of(write(tmp_path, text))[0]


def test_missing_file(tmp_path):
    assert "cannot read file" in problems_of(tmp_path / "api_access.yaml")[0]


def test_run_settings_are_not_assumptions():
    params = validate(get_model("api_access").params, {"scenario": "x", "results_path": "y"})
    assert params == get_model("api_access").params()


def test_vary_accepts_arrays_but_rejects_unknown_names():
    params = get_model("api_access").params()
    assert params.vary(monthly_churn=[0.1, 0.2]).monthly_churn == [0.1, 0.2]
    with pytest.raises(KeyError):
        params.vary(monthly_chrun=0.1)


@pytest.mark.usefixtures("with_minimal_model")
@pytest.mark.parametrize("model", CONTRACT_MODELS)
def test_base_file_is_the_schema_defaults(model):
    spec = get_model(model)
    path = parameters_dir_of(model) / "base" / f"{model}.yaml"
    base = load_file(spec.params, path)
    assert base.model_dump() == spec.params.defaults()  # ranges keep the defaults as their points
    assert base.uncertainty.ranges == spec.params.base_ranges()
    assert path.read_text() == defaults_yaml(spec.params, spec.title), (
        f"{path} is not the schema's defaults: run `aibm base-parameters {model}`"
        + ("" if parameters_dir_of(model) == PARAMETERS_DIR else f" --parameters {parameters_dir_of(model)}")
    )


@pytest.mark.parametrize("model", model_names())
def test_notebook_parameters_cell_matches_schema(model):
    spec = get_model(model)
    path = NOTEBOOKS_DIR / f"{model}.ipynb"
    cell = next(c for c in nbformat.read(path, 4).cells if "parameters" in c.metadata.get("tags", []))
    assert cell.source == parameters_cell(spec), "run `python -m aibm_core.present.notebook` (make notebooks)"
    declared = papermill.inspect_notebook(str(path))
    base = read_yaml(PARAMETERS_DIR / "base" / f"{model}.yaml")  # the notebook run bare is the base case
    expected = {**MONTE_CARLO_SETTINGS, **base, **RUN_SETTINGS}
    assert set(declared) == set(expected)
    for name, info in declared.items():
        assert eval(info["default"]) == expected[name], name
        assert info["help"], f"{name} has no comment in the parameters cell"


@pytest.mark.parametrize("scenario", SHIPPED_SCENARIOS)
@pytest.mark.parametrize("model", model_names())
def test_shipped_scenarios_are_valid(scenario, model):
    # A scenario may ship no file for a model: the model then takes the overlaid scenario's values.
    path = PARAMETERS_DIR / scenario / f"{model}.yaml"
    if path.exists():
        load_file(get_model(model).params, path)
    else:
        validate(get_model(model).params, scenario_values(PARAMETERS_DIR, scenario, model), source=str(path))


@pytest.mark.usefixtures("with_minimal_model")
@pytest.mark.parametrize("model", CONTRACT_MODELS)
def test_every_assumption_is_documented(model):
    table = get_model(model).params.assumptions_table()
    for column in ("unit", "meaning", "source", "range"):
        assert (table[column].str.len() > 0).all(), f"{model}: empty {column}"


@pytest.mark.usefixtures("with_minimal_model")
@pytest.mark.parametrize("model", CONTRACT_MODELS)
def test_every_assumption_can_be_set_with_papermill_p(model):
    """`papermill -p NAME VALUE` parses VALUE with its own rules; every default must survive that."""
    from papermill.cli import _resolve_type

    schema = get_model(model).params
    for name, default in schema.defaults().items():
        parsed = _resolve_type(str(default))
        assert getattr(validate(schema, {name: parsed}), name) == default, name


def test_base_parameters_command_writes_the_schema_defaults(tmp_path, capsys):
    from aibm_core.batch.cli import main

    spec = get_model("api_access")
    target = tmp_path / "base" / "api_access.yaml"
    assert main(["base-parameters", "api_access", "--parameters", str(tmp_path), "--check"]) == 1
    assert not target.exists()
    assert main(["base-parameters", "api_access", "--parameters", str(tmp_path)]) == 0
    assert target.read_text() == defaults_yaml(spec.params, spec.title)
    assert main(["base-parameters", "api_access", "--parameters", str(tmp_path)]) == 0
    assert main(["base-parameters", "api_access", "--parameters", str(tmp_path), "--check"]) == 0
    out = capsys.readouterr().out
    assert f"{target}: written" in out and f"{target}: unchanged" in out and f"{target}: up to date" in out
    assert main(["base-parameters", "api_acess", "--parameters", str(tmp_path)]) == 2
    assert "unknown model 'api_acess'" in capsys.readouterr().err


def test_shipped_base_files_are_current_by_the_command(capsys):
    from aibm_core.batch.cli import main

    assert main(["base-parameters", "--check"]) == 0, capsys.readouterr().out
