"""The ``aibm`` command at its limits: user text in the run summary, mistaken ``results``
targets, over-long scenario names and large numbers of problems or scenarios."""

from __future__ import annotations

from pathlib import Path

from aibm_core.batch.cli import _summary
from aibm_core.batch.jobs import Job, Outcome


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
