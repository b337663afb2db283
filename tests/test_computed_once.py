"""A batch computes each model's results once: notebooks, the pyramid and the exports read them."""

from __future__ import annotations

import collections
import os
import subprocess
import sys

from aibm_core.analysis.results import scenario_params
from aibm_core.analysis.results_cache import CACHE_ENV, computed, linked
from aibm_core.core.config import PARAMETERS_DIR
from aibm_core.core.tracing import TRACE_ENV
from aibm_core.models import get_model


def test_a_batch_evaluates_each_parameter_set_once(tmp_path):
    """Two scenarios, two models, their pyramids and the exports: one evaluation per parameter set.

    ``commoditization`` changes only the API model, so the hardware model has the same parameters
    in both scenarios and is evaluated once for both; the pyramids read every model's results
    (the four other models are computed once, before them); the exports compute nothing. The
    models that buy from the API layer (the application, the open-source company's hosted API)
    have new linked inputs in ``commoditization``, so they are new parameter sets there.
    """
    trace = tmp_path / "trace.log"
    command = [sys.executable, "-m", "aibm_core.batch.cli", "run", "--output", str(tmp_path / "out")]
    command += ["--no-progress"]
    command += ["--scenario", "base", "--scenario", "commoditization"]
    command += ["--model", "api_access", "--model", "ai_hardware", "--model", "pyramid_comparison"]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=900, env={**os.environ, TRACE_ENV: str(trace)}
    )
    assert done.returncode == 0, done.stdout + done.stderr
    events = collections.Counter(tuple(line.split()) for line in trace.read_text().splitlines())
    assert {n for n in events.values()} == {1}, [e for e, n in events.items() if n > 1]
    keys = {
        (
            model,
            linked(get_model(model), scenario_params(model, scenario), scenario, PARAMETERS_DIR)[
                0
            ].content_key(),
        )
        for model in ("api_access", "ai_hardware")
        for scenario in ("base", "commoditization")
    }
    assert len(keys) == 3  # the hardware model's parameters are the same in both scenarios
    for model, key in keys:
        assert events[("evaluate", model, key)] == 1
        assert events[("monte_carlo", model, key)] == 1
    monte_carlo = [e for e in events if e[0] == "monte_carlo"]
    # six models in base; in commoditization the API model and the two that buy from it
    assert len(monte_carlo) == 9


def test_the_cache_gives_back_what_was_computed(tmp_path, monkeypatch):
    spec = get_model("api_access")
    params = scenario_params("api_access", "seed")
    fresh_evaluation, fresh = computed(spec, params, "seed")
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    computed(spec, params, "seed")  # computes and keeps
    # the payload, the evaluation and the series other models buy at (the API layer sells tokens)
    assert len(list(tmp_path.glob("api_access-*"))) == 3
    monkeypatch.setenv(TRACE_ENV, str(tmp_path / "trace.log"))
    evaluation, payload = computed(spec, params, "another")  # found, nothing evaluated
    assert not (tmp_path / "trace.log").exists()
    assert payload == {**fresh, "scenario": "another"}
    assert evaluation.gross_margin == fresh_evaluation.gross_margin
    assert evaluation.tree.to_text() == fresh_evaluation.tree.to_text()


def test_a_damaged_cache_entry_is_computed_again(tmp_path, monkeypatch):
    spec = get_model("api_access")
    params = scenario_params("api_access", "seed")
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    expected = computed(spec, params, "seed")[1]
    for path in tmp_path.glob("*.pickle"):
        path.write_bytes(b"not a pickle")
    assert computed(spec, params, "seed")[1] == expected
