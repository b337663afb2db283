"""Registering a model checks its spec and names every problem."""

from __future__ import annotations

from dataclasses import replace

import pytest

from aibm_core.models import ModelSpecError, get_model, model_names, register, registered, unregister
from aibm_core.models.base import Question, check_spec, spec_problems


@pytest.fixture
def spec():
    return get_model("api_access")


@pytest.mark.parametrize("name", model_names())
def test_every_shipped_spec_keeps_the_contract(name):
    assert spec_problems(get_model(name), package=name) == []


def test_a_model_without_questions_is_valid(spec):
    assert spec_problems(replace(spec, questions=())) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": "Api-Access"}, "lower-case Python name"),
        ({"layer": "middleware"}, "layer 'middleware': expected one of infrastructure, platform"),
        ({"what_if": ("monthly_chrun",)}, "what_if 'monthly_chrun' is not an assumption of ApiAccessParams"),
        ({"what_if": ("horizon_months",)}, "what_if 'horizon_months' is a setting, not a driver"),
        ({"what_if": ("monthly_churn", "monthly_churn")}, "what_if names a driver twice"),
        ({"questions": (Question("q", "max_monthly_churn", "gross_margin", 0.5),)}, "a limit, not a driver"),
        ({"questions": (Question("q", "monthly_churn", "margin", 0.5),)}, "KPI 'margin' is not one of"),
        ({"questions": (Question("q", "monthly_churn", "gross_margin", float("nan")),)}, "must be finite"),
        ({"compute": None}, "compute must be a function"),
    ],
)
def test_a_broken_spec_is_refused_with_what_is_wrong(spec, change, message):
    with pytest.raises(ModelSpecError, match=r"model .* cannot be registered") as error:
        check_spec(replace(spec, **change))
    assert any(message in problem for problem in error.value.problems), error.value.problems


def test_the_name_must_match_its_package(spec):
    assert spec_problems(spec, package="api_access") == []
    assert spec_problems(spec, package="tokens") == [
        "name 'api_access' differs from its package 'tokens': make them equal"
    ]


def test_register_adds_a_model_in_pyramid_order_and_unregister_removes_it(spec):
    extra = replace(spec, name="zz_api_copy", layer="infrastructure")
    with registered(extra):
        names = model_names()
        assert "zz_api_copy" in names
        assert names.index("zz_api_copy") < names.index("ai_platform")  # infrastructure comes first
        with pytest.raises(ModelSpecError, match="already registered"):
            register(extra)
    assert "zz_api_copy" not in model_names()
    with pytest.raises(KeyError):
        unregister("zz_api_copy")
