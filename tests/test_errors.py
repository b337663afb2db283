"""Every "bad input" error derives from one base that carries its problems; the CLI catches the base."""

from __future__ import annotations

import pytest

from aibm_core.batch.cli import EXIT_BAD_INPUT, main
from aibm_core.core.errors import AibmInputError
from aibm_core.core.params import ParameterError, Problem
from aibm_core.core.ranges import RangeError, parse_range
from aibm_core.core.yaml_loading import YamlProblem, YamlProblems
from aibm_core.models.base import ModelSpecError


def test_each_input_error_is_an_aibm_input_error_with_its_problems():
    errors = [
        ParameterError([Problem("a.yaml", "price", "must be > 0"), Problem("a.yaml", "", "empty")]),
        YamlProblems([YamlProblem("duplicate key", 3, 1, "price")]),
        RangeError("low (2) must not exceed high (1)"),
        ModelSpecError("m", ["layer 'x': expected one of infrastructure, platform, application"]),
    ]
    for error in errors:
        assert isinstance(error, AibmInputError) and isinstance(error, ValueError)
        assert error.problems and all(str(p) for p in error.problems)
    assert str(errors[0]) == "a.yaml: key 'price': must be > 0\na.yaml: empty"
    assert (
        str(errors[1]) == "duplicate key"
        and str(errors[1].problems[0]) == "line 3, column 1: key 'price': duplicate key"
    )
    assert (
        errors[2].problems == ["low (2) must not exceed high (1)"] and str(errors[2]) == errors[2].problems[0]
    )


def test_a_range_error_is_raised_where_it_was_before():
    with pytest.raises(RangeError, match="must not exceed high") as error:
        parse_range({"low": 2.0, "high": 1.0})
    assert len(error.value.problems) == 1


def test_the_command_reports_any_input_error_as_bad_input(monkeypatch, capsys):
    def broken(_args):
        raise RangeError("a lognormal range needs low > 0")

    monkeypatch.setattr("aibm_core.batch.cli._models", broken)
    assert main(["models"]) == EXIT_BAD_INPUT
    assert capsys.readouterr().err == "error: a lognormal range needs low > 0\n"
