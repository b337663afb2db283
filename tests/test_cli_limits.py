"""The ``aibm`` command at its limits: user text in the run summary, mistaken ``results``
targets, over-long scenario names and large numbers of problems or scenarios."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from aibm_core.analysis.scenarios import MAX_NAME
from aibm_core.batch.cli import _summary, main
from aibm_core.batch.jobs import Job, Outcome
from aibm_core.batch.runner import plan
from aibm_core.core.config import PARAMETERS_DIR
from aibm_core.core.params import ParameterError


def outcome(scenario: str, message: str, ok: bool = False) -> Outcome:
    job = Job(scenario, "api_access", Path("p.yaml"), {}, Path("out"))
    return Outcome(job, ok, 1.0, message=message, gross_margin=0.5 if ok else None)


def test_summary_shows_messages_and_names_as_text(capsys):
    outcomes = [
        outcome("base", "cell 3: ValueError: closing [/bold] tag [/] here"),
        outcome("v[#zz]", "value v[#zz] :smile: [red]not red[/red]"),
        outcome("evil\x1b[31mred\x1b[0m", "line one\nline two\x07"),
        outcome("fine", "", ok=True),
    ]
    _summary(outcomes)
    out = capsys.readouterr().out
    failed = [line for line in out.splitlines() if line.startswith("FAILED")]
    assert failed == [
        "FAILED base/api_access: cell 3: ValueError: closing [/bold] tag [/] here",
        "FAILED v[#zz]/api_access: value v[#zz] :smile: [red]not red[/red]",
        "FAILED evil\\x1b[31mred\\x1b[0m/api_access: line one\\nline two\\x07",
    ]
    assert "\x1b" not in out and "\x07" not in out
    table = out.split("FAILED base")[0]
    assert "v[#zz]" in table and ":smile:" in table and "[red]not red[/red]" in table
    assert "[/bold]" in table


# --- aibm results: one-line errors for mistaken targets ---------------------------------------


def shipped_base(tmp_path: Path) -> Path:
    """A parameters folder holding a copy of the shipped ``base`` and an empty ``bare`` folder."""
    params = tmp_path / "parameters"
    shutil.copytree(PARAMETERS_DIR / "base", params / "base")
    (params / "bare").mkdir()
    return params


@pytest.mark.parametrize(
    "extra, expected",
    [
        (["--output", "{tmp}"], "error: {tmp}: key '--output': is a folder; give the name of a file"),
        (
            ["--output", "/proc/aibm-results.json"],
            "error: /proc/aibm-results.json: key '--output': cannot write the results: ",
        ),
        (["--scenario", "../../../etc"], "error: key '--scenario': unknown scenario '../../../etc'"),
        (["--scenario", "bare"], "error: key '--scenario': unknown scenario 'bare'; expected one of: base"),
        (
            ["--scenario", "base/.."],
            "error: key '--scenario': unknown scenario 'base/..'; expected one of: base",
        ),
        (["--scenario", "/etc"], "error: key '--scenario': unknown scenario '/etc'; expected one of: base"),
    ],
)
def test_results_refuses_mistaken_targets_in_one_line(tmp_path, capsys, extra, expected):
    params = shipped_base(tmp_path)
    extra = [part.format(tmp=tmp_path) for part in extra]
    code = main(["results", "--model", "api_access", "--parameters", str(params), *extra])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    (line,) = captured.err.splitlines()
    assert line.startswith(expected.format(tmp=tmp_path)), line


def test_results_still_writes_a_file_and_prints_to_stdout(tmp_path, capsys):
    params = shipped_base(tmp_path)
    target = tmp_path / "r.json"
    args = ["results", "--model", "api_access", "--parameters", str(params), "--scenario", "base"]
    assert main([*args, "--output", str(target)]) == 0
    assert json.loads(target.read_text())["scenario"] == "base"
    capsys.readouterr()
    assert main(args) == 0 and json.loads(capsys.readouterr().out)["model"] == "api_access"


# --- scenario folder names too long for their output files -------------------------------------


def test_a_scenario_name_too_long_is_refused_before_anything_runs(tmp_path, capsys):
    params = shipped_base(tmp_path)
    name = "s" * (MAX_NAME + 1)
    (params / name).mkdir()
    (params / name / "api_access.yaml").write_text("monthly_churn: 0.05\n")
    (params / ("t" * MAX_NAME)).mkdir()  # the longest name allowed
    (params / ("t" * MAX_NAME) / "api_access.yaml").write_text("monthly_churn: 0.05\n")
    expected = f"too long; at most {MAX_NAME}, rename the folder"
    assert main(["validate", str(params)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"error: {params}/sss") and line.endswith(expected) and len(line) < 300
    out = tmp_path / "out"
    assert main(["run", "--parameters", str(params), "--output", str(out), "--no-progress"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.endswith(expected) and not out.exists()
    with pytest.raises(ParameterError, match="too long"):
        plan(params, out)
    jobs = plan(params, out, scenarios=["t" * MAX_NAME])
    assert {job.scenario for job in jobs} == {"t" * MAX_NAME}


# --- work in proportion to the input: many problems, many scenarios ----------------------------


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def test_validate_takes_time_in_proportion_to_the_number_of_problems(tmp_path, capsys):
    """Listing each problem once used to compare it with every problem before it."""

    def validate_keys(count: int) -> float:
        folder = tmp_path / f"keys{count}" / "case"
        folder.mkdir(parents=True)
        path = folder / "api_access.yaml"
        path.write_text("".join(f"unknown_{i}: 1\n" for i in range(count)))
        seconds = timed(lambda: main(["validate", str(path)]))
        lines = capsys.readouterr().err.splitlines()
        assert len(lines) == count and lines[-1].endswith("unknown parameter")
        return seconds

    validate_keys(500)  # imports and caches warm
    small, large = validate_keys(3_000), validate_keys(12_000)
    assert large < 10 * small + 1.0, (small, large)  # 4x the keys: about 4x the time, never 16x


def test_planning_takes_time_in_proportion_to_the_number_of_scenarios(tmp_path, monkeypatch):
    """Every scenario.yaml once listed every scenario folder; every scenario re-read base."""
    from aibm_core.analysis import scenarios

    parsed: list[Path] = []
    listed: list[Path] = []
    read_yaml, available = scenarios.read_yaml, scenarios.available_scenarios
    monkeypatch.setattr(scenarios, "read_yaml", lambda path: parsed.append(path) or read_yaml(path))
    monkeypatch.setattr(
        scenarios, "available_scenarios", lambda folder: listed.append(folder) or available(folder)
    )

    def plan_scenarios(count: int) -> tuple[float, int]:
        params = tmp_path / f"scenarios{count}"
        shutil.copytree(PARAMETERS_DIR / "base", params / "base")
        for i in range(count):  # chains of three: s0 <- s1 <- s2, s3 <- s4 <- s5, ...
            folder = params / f"s{i}"
            folder.mkdir()
            (folder / "api_access.yaml").write_text("monthly_churn: 0.05\n")
            overlays = f"s{i - 1}" if i % 3 else "base"
            (folder / "scenario.yaml").write_text(f"description: case {i}\noverlays: {overlays}\n")
        parsed.clear()
        seconds = timed(lambda: plan(params, tmp_path / "out", models=["api_access"]))
        return seconds, len(parsed)

    plan_scenarios(10)
    (small, small_files), (large, large_files) = plan_scenarios(30), plan_scenarios(120)
    assert not listed  # checking an overlay target looks at that folder only
    assert large_files <= 4 * small_files + 10, (small_files, large_files)  # each file parsed once
    assert large < 8 * small + 1.0, (small, large)


# --- aibm run: unknown names said as aibm results says them ------------------------------------


@pytest.mark.parametrize(
    "extra, expected",
    [
        (["--scenario", "bare"], "error: key '--scenario': unknown scenario 'bare'; expected one of: base"),
        (
            ["--scenario", "evil\x1b[31m"],
            "error: key '--scenario': unknown scenario 'evil\\x1b[31m'; expected one of: base",
        ),
        (["--model", "nope"], "error: key '--model': unknown model 'nope'; expected one of: ai_hardware"),
    ],
)
def test_run_names_unknown_scenarios_and_models_as_results_does(tmp_path, capsys, extra, expected):
    params = shipped_base(tmp_path)  # ``bare`` is a folder with no parameter file: not a scenario
    out = tmp_path / "out"
    code = main(["run", "--parameters", str(params), "--output", str(out), "--no-progress", *extra])
    captured = capsys.readouterr()
    assert code == 2 and not out.exists()
    (line,) = captured.err.splitlines()
    assert line.startswith(expected) and "available:" not in line, line
    assert line.endswith("pyramid_comparison") if "--model" in extra else line.endswith("base")


def test_the_dashboard_names_unknown_scenarios_and_models_as_results_does(tmp_path):
    from aibm_core.present.dashboard import dashboard_target, scenario_parameters

    with pytest.raises(ParameterError, match=r"unknown scenario 'bare'; expected one of: base$"):
        scenario_parameters("api_access", "bare", shipped_base(tmp_path))
    with pytest.raises(ParameterError, match=r"unknown model 'nope'; expected one of: "):
        dashboard_target("nope")


# --- random_seed: 0 is a seed like any other ---------------------------------------------------


def test_random_seed_0_gives_the_same_draws_and_results_every_time(tmp_path):
    from aibm_core.analysis.results import to_json
    from aibm_core.analysis.results_cache import model_results

    params = shipped_base(tmp_path)
    for name, seed in (("zero", 0), ("one", 1)):
        (params / name).mkdir()
        (params / name / "api_access.yaml").write_text(f"draws: 500\nrandom_seed: {seed}\n")
    first, again, other = (model_results("api_access", s, params) for s in ("zero", "zero", "one"))
    assert first["uncertainty"] and first["uncertainty"]["random_seed"] == 0
    drop = lambda payload: {k: v for k, v in payload.items() if k != "scenario"}  # noqa: E731
    assert to_json(drop(first)) == to_json(drop(again))
    assert first["uncertainty"]["kpis"] != other["uncertainty"]["kpis"]  # the seed is used, not ignored
