"""The ``aibm`` command at its limits: user text in the run summary, mistaken ``results``
targets, over-long scenario names and large numbers of problems or scenarios."""

from __future__ import annotations

import json
import shutil
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
        (["--scenario", "bare"], "error: key '--scenario': unknown scenario 'bare'; available: base"),
        (["--scenario", "base/.."], "error: key '--scenario': unknown scenario 'base/..'; available: base"),
        (["--scenario", "/etc"], "error: key '--scenario': unknown scenario '/etc'; available: base"),
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
