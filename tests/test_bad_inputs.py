"""Bad parameter input: a clear one-line error and exit 2, never a hang, a traceback or a wrong value.

The corpus ``tests/bad_inputs/`` holds malformed parameter files; ``cases.yaml`` names, for each,
the file name it is validated under and fragments its error must contain. Each file is copied
into a scenario folder beside a copy of ``parameters/base`` and checked with ``aibm validate``
in-process. The defects found by probing (alias bombs, FIFOs, huge integers, YAML 1.1
surprises, ...) each have a test of their own below.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from aibm_core.analysis.scenarios import load_file
from aibm_core.batch.cli import main
from aibm_core.core.config import PARAMETERS_DIR
from aibm_core.core.params import ParameterError, Problem, read_yaml, validate
from aibm_core.core.yaml_loading import MAX_BYTES
from aibm_core.models import get_model
from tests.conftest import aibm

CORPUS = Path(__file__).parent / "bad_inputs"
CASES: dict[str, dict] = yaml.safe_load((CORPUS / "cases.yaml").read_text())
#: Longest error line accepted: the file path, a position, a key and a shortened value.
MAX_LINE = 600


def snapshot(folder: Path) -> dict[str, float]:
    """Every file under ``folder`` with its modification time, to prove nothing was written."""
    return {str(p): p.stat().st_mtime for p in folder.rglob("*")}


def scenario_folder(tmp_path: Path) -> Path:
    """``parameters/case/`` beside a copy of the shipped ``base``; returns the case folder."""
    params = tmp_path / "parameters"
    shutil.copytree(PARAMETERS_DIR / "base", params / "base")
    (params / "case").mkdir()
    return params / "case"


def validate_cli(capsys, *paths: Path) -> tuple[int, list[str], str]:
    """Run ``aibm validate PATH...`` in-process: exit code, stderr lines and stdout."""
    code = main(["validate", *map(str, paths)])
    captured = capsys.readouterr()
    return code, captured.err.splitlines(), captured.out


def assert_one_line_errors(code: int, lines: list[str], source: Path) -> None:
    """Exit 2, and each problem one ``error:`` line naming the file, short, without a traceback."""
    assert code == 2
    assert lines, "no error printed"
    for line in lines:
        assert line.startswith(f"error: {source}"), line
        assert len(line) <= MAX_LINE, line
        assert "Traceback" not in line


def test_the_corpus_is_complete():
    files = {p.name for p in CORPUS.iterdir() if p.name != "cases.yaml"}
    assert files == set(CASES), "every corpus file needs a case, and every case a file"
    assert len(CASES) >= 50


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_gives_its_one_line_error(name, tmp_path, capsys):
    case = CASES[name]
    folder = scenario_folder(tmp_path)
    target = folder / case["as"]
    shutil.copyfile(CORPUS / name, target)
    before = snapshot(tmp_path)
    code, lines, out = validate_cli(capsys, target)
    assert_one_line_errors(code, lines, target)
    assert out == ""
    for fragment in case["expect"]:
        assert any(fragment in line for line in lines), (fragment, lines)
    assert snapshot(tmp_path) == before, "validate must write nothing"


# --- defect 1: alias bombs -------------------------------------------------------------------


def test_alias_bomb_is_refused_at_once(tmp_path):
    """A "billion laughs" file used to hang validate and run at ~3 GB."""
    path = scenario_folder(tmp_path) / "api_access.yaml"
    lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]" for i in range(8)]
    path.write_text("\n".join([*lines, "monthly_churn: *i"]) + "\n")
    start = time.perf_counter()
    done = aibm("validate", str(path))
    assert time.perf_counter() - start < 60
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip() == (
        f"error: {path}: line 1, column 4: anchor &a is not allowed (no anchors or aliases); "
        "write each value out"
    )


def test_an_alias_alone_is_refused(tmp_path):
    path = tmp_path / "api_access.yaml"
    path.write_text("monthly_churn: 0.03\nbatch_share: *nothing\n")
    with pytest.raises(ParameterError) as caught:
        read_yaml(path)
    assert "line 2, column 14: alias *nothing is not allowed" in str(caught.value)


# --- defect 2: tracebacks where exit 2 is promised --------------------------------------------


def test_non_utf8_file_is_one_line(tmp_path, capsys):
    path = scenario_folder(tmp_path) / "api_access.yaml"
    path.write_bytes(b"# co\xfbt\nmonthly_churn: 0.03\n")
    code, lines, _ = validate_cli(capsys, path)
    assert_one_line_errors(code, lines, path)
    assert lines == [
        f"error: {path}: line 1, column 5: not UTF-8 text: byte 0xfb cannot be decoded; "
        "save the file as UTF-8"
    ]


def test_integer_of_thousands_of_digits_is_one_line(tmp_path, capsys):
    path = scenario_folder(tmp_path) / "api_access.yaml"
    path.write_text("random_seed: 1" + "0" * 5000 + "\n")
    code, lines, _ = validate_cli(capsys, path)
    assert_one_line_errors(code, lines, path)
    assert (
        "line 1, column 14: key 'random_seed': integer of 5001 digits is too large; at most 30 digits"
        in lines[0]
    )


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_fifo_is_refused_without_opening_it(tmp_path):
    fifo = scenario_folder(tmp_path) / "api_access.yaml"
    os.mkfifo(fifo)
    done = aibm_with_timeout("validate", str(fifo))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip() == f"error: {fifo}: is a FIFO (named pipe), not a regular file"


def aibm_with_timeout(*args: str) -> subprocess.CompletedProcess:
    """``aibm`` in a subprocess that must finish within 60 s (a hang fails, it does not block)."""
    command = [sys.executable, "-m", "aibm_core.batch.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def test_directory_named_like_a_parameter_file(tmp_path, capsys):
    folder = scenario_folder(tmp_path) / "api_access.yaml"
    folder.mkdir()
    code, lines, _ = validate_cli(capsys, folder)
    assert (code, lines) == (2, [f"error: {folder}: nothing to validate: no .yaml file in this folder"])
    with pytest.raises(ParameterError, match="is a folder, not a parameter file"):
        read_yaml(folder)


def test_file_over_one_megabyte_is_refused(tmp_path, capsys):
    path = scenario_folder(tmp_path) / "api_access.yaml"
    path.write_text("# padding\n" * (MAX_BYTES // 10 + 1) + "monthly_churn: 0.03\n")
    code, lines, _ = validate_cli(capsys, path)
    assert_one_line_errors(code, lines, path)
    assert lines == [
        f"error: {path}: file is larger than 1,000,000 bytes; a parameter file lists a few assumptions"
    ]


def test_missing_path_is_one_line(tmp_path, capsys):
    missing = tmp_path / "nowhere" / "api_access.yaml"
    code, lines, _ = validate_cli(capsys, missing)
    assert (code, lines) == (2, [f"error: {missing}: no such file or folder"])


# --- defect 3: YAML 1.1 read silently wrong ---------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "monthly_churn: 0.03\nmonthly_churn: 0.3\n",
            "line 2, column 1: key 'monthly_churn': duplicate key (first on line 1)",
        ),
        (
            "horizon_months: 036\n",
            "key 'horizon_months': 036 is read as octal 30 by YAML 1.1; write 36 (or \"036\" for text)",
        ),
        ("horizon_months: 1:00\n", 'write "1:00" (quoted) for text or 60 for the number'),
        (
            "monthly_churn: 1e-2\n",
            "key 'monthly_churn': 1e-2 is read as text by YAML 1.1, not a number; write 0.01 or 1.0e-2",
        ),
        (
            "monthly_churn: {low: 1e-2, high: 0.05}\n",
            "line 1, column 22: key 'monthly_churn': 1e-2 is read as text",
        ),
    ],
)
def test_yaml11_surprises_are_refused_with_what_to_write(tmp_path, text, expected):
    path = tmp_path / "api_access.yaml"
    path.write_text(text)
    with pytest.raises(ParameterError) as caught:
        read_yaml(path)
    (problem,) = caught.value.problems
    assert expected in str(problem)


def test_yaml11_look_alikes_in_comments_and_strings_are_untouched(tmp_path):
    path = tmp_path / "scenario.yaml"
    path.write_text('description: "036 at 1:00, 1e-2, yes"  # 036 1:00 1e-2\noverlays: base  # no: 08\n')
    assert read_yaml(path) == {"description": "036 at 1:00, 1e-2, yes", "overlays": "base"}


def test_yaml11_spellings_that_mean_what_they_say_still_load(tmp_path):
    path = tmp_path / "api_access.yaml"
    path.write_text("monthly_churn: 1.0e-2\ncac_usd: 1_000\nhorizon_months: 36\ndraws: 0\n")
    assert read_yaml(path) == {"monthly_churn": 0.01, "cac_usd": 1000, "horizon_months": 36, "draws": 0}


# --- defect 4: nothing validated, exit 0 ------------------------------------------------------


def test_empty_folder_has_nothing_to_validate(tmp_path, capsys):
    code, lines, out = validate_cli(capsys, tmp_path)
    assert (code, lines, out) == (
        2,
        [f"error: {tmp_path}: nothing to validate: no .yaml file in this folder"],
        "",
    )


def test_yml_file_is_refused_by_validate_and_run(tmp_path, capsys):
    """`aibm run` reads only <model>.yaml, so a .yml is refused everywhere (never checked then ignored)."""
    folder = scenario_folder(tmp_path)
    path = folder / "api_access.yml"
    path.write_text("monthly_churn: 0.05\n")
    message = f"error: {path}: only .yaml files are read; rename it api_access.yaml"
    code, lines, _ = validate_cli(capsys, path)
    assert (code, lines) == (2, [message])
    code, lines, _ = validate_cli(capsys, folder.parent)
    assert code == 2 and lines == [message]
    out = tmp_path / "out"
    code = main(
        [
            "run",
            "--parameters",
            str(folder.parent),
            "--output",
            str(out),
            "--scenario",
            "case",
            "--no-progress",
        ]
    )
    assert code == 2 and message in capsys.readouterr().err.splitlines()
    assert not out.exists()


@pytest.mark.parametrize("setting", ["scenario", "results_path"])
def test_run_settings_in_a_file_are_refused(tmp_path, setting):
    path = tmp_path / "api_access.yaml"
    path.write_text(f"{setting}: x\nmonthly_churn: 0.03\n")
    with pytest.raises(ParameterError) as caught:
        read_yaml(path)
    assert (
        str(caught.value)
        == f"{path}: key '{setting}': a run setting, set by `aibm run`, not a parameter; remove it"
    )


@pytest.mark.parametrize("text", ["", "# nothing but a comment\n", "\n\n"])
def test_empty_file_is_refused(tmp_path, text):
    path = tmp_path / "api_access.yaml"
    path.write_text(text)
    with pytest.raises(ParameterError) as caught:
        load_file(get_model("api_access").params, path)
    assert (
        str(caught.value)
        == f"{path}: empty file; write the assumptions that differ from base, or delete the file"
    )


# --- defect 5: shortened values, escaped keys, positions, identifier keys ---------------------


def test_echoed_value_is_shortened(tmp_path):
    path = tmp_path / "api_access.yaml"
    path.write_text("cost_basis: " + "x" * 999_000 + "\n")  # just under the size limit
    with pytest.raises(ParameterError) as caught:
        validate(get_model("api_access").params, read_yaml(path), str(path))
    (line,) = str(caught.value).splitlines()
    assert "value 'xxx" in line and "x… is not allowed; expected one of 'gpu', 'direct'" in line
    assert len(line) < 250


def test_key_with_newlines_stays_on_one_line():
    problem = Problem("f.yaml", "a\nb\nc", "unknown parameter")
    assert str(problem) == "f.yaml: key 'a\\nb\\nc': unknown parameter"
    assert len(str(ParameterError([problem])).splitlines()) == 1


def test_long_message_is_cut_in_the_middle():
    text = str(Problem("f.yaml", "k", "start " + "y" * 5000 + " expected the end"))
    assert len(text) < 450 and text.endswith("expected the end") and "…" in text


def test_syntax_error_gives_line_and_column(tmp_path):
    path = tmp_path / "api_access.yaml"
    path.write_text("monthly_churn: 0.03\ncac_usd: 1000\nbatch_share: [0.1\n")
    with pytest.raises(ParameterError) as caught:
        read_yaml(path)
    assert str(caught.value).startswith(f"{path}: line 4, column 1: not valid YAML: expected ',' or ']'")


@pytest.mark.parametrize(
    "key, expected",
    [
        ("monthly churn", "key 'monthly churn' is not a valid name"),
        ("'x; import os'", "key 'x; import os' is not a valid name"),
        ("lambda", "key 'lambda' is a Python keyword, not a parameter name"),
        ("7days", "key '7days' is not a valid name"),
        ("3", "key '3' is not a name"),
        ("__class__", "key '__class__' is reserved"),
    ],
)
def test_keys_that_are_not_identifiers_are_refused(tmp_path, key, expected):
    """papermill writes the names into the notebook's parameters cell unescaped: a key is code."""
    path = tmp_path / "api_access.yaml"
    path.write_text(f"{key}: 1\n")
    with pytest.raises(ParameterError) as caught:
        read_yaml(path)
    assert f"{path}: line 1, column 1: {expected}" in str(caught.value)


# --- command-line mistakes --------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, expected",
    [
        (["validate", "--bogus"], "unrecognized arguments: --bogus"),
        (["run", "--scenarios", "base"], "unrecognized arguments"),
        (["results", "--model", "nope"], "unknown model 'nope'; available:"),
        (
            ["results", "--model", "api_access", "--scenario", "nope"],
            "unknown scenario 'nope'; expected one of: base, bull, bear, seed",
        ),
        (
            ["run", "--scenario", "nope", "--no-progress"],
            "unknown scenario 'nope'; expected one of: base, bull",
        ),
        (["run", "--model", "nope", "--no-progress"], "unknown model 'nope'; expected one of: "),
    ],
)
def test_command_line_mistakes_exit_2(tmp_path, args, expected):
    out = tmp_path / "out"
    if args[0] == "run":
        args = [*args, "--output", str(out)]
    done = aibm(*args)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and expected in errors[0], done.stderr
    assert not out.exists()


# --- links out of the parameters folder; secrets never quoted in full -------------------------

SECRET = "OPENAI_API_KEY=sk-live-" + "0123456789abcdef" * 4


def untrusted_folder(tmp_path: Path) -> Path:
    """A parameters folder (a copy of ``base``) beside a file holding a secret, outside it."""
    params = tmp_path / "untrusted"
    shutil.copytree(PARAMETERS_DIR / "base", params / "base")
    (tmp_path / "dotenv").write_text(SECRET + "\n")
    return params


def test_link_to_a_file_outside_is_refused_naming_the_link(tmp_path, capsys):
    params = untrusted_folder(tmp_path)
    (params / "pr").mkdir()
    link = params / "pr" / "api_access.yaml"
    link.symlink_to(tmp_path / "dotenv")
    code, lines, _ = validate_cli(capsys, params)
    assert code == 2
    assert lines == [
        f"error: {link}: a symbolic link to a file outside the parameters folder is not read; "
        "copy the file in"
    ]
    for args in (["results", "--model", "api_access", "--scenario", "pr"], ["run", "--scenario", "pr"]):
        code = main([*args, "--parameters", str(params), "--output", str(tmp_path / "out.json")])
        err = capsys.readouterr().err
        assert code == 2 and f"error: {link}: a symbolic link" in err and "sk-live" not in err, err


def test_link_to_a_scenario_folder_outside_is_refused(tmp_path, capsys):
    params = untrusted_folder(tmp_path)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "api_access.yaml").write_text("monthly_churn: 0.05\n")
    link = params / "pr"
    link.symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    code, lines, _ = validate_cli(capsys, params)
    assert code == 2 and lines == [
        f"error: {link}: a symbolic link to a folder outside the parameters folder is not read; "
        "copy the folder in"
    ]
    code = main(["run", "--parameters", str(params), "--output", str(tmp_path / "out"), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and f"error: {link}: a symbolic link to a folder outside" in err
    assert not (tmp_path / "out").exists()


def test_link_inside_the_parameters_folder_is_read(tmp_path, capsys):
    params = untrusted_folder(tmp_path)
    (params / "mirror").mkdir()
    (params / "mirror" / "api_access.yaml").symlink_to(params / "base" / "api_access.yaml")
    (params / "alias").symlink_to(params / "base", target_is_directory=True)
    code, lines, out = validate_cli(capsys, params)
    assert code == 0 and not lines and "3 parameter file(s)" not in out, lines


def test_a_file_of_one_secret_line_is_not_quoted(tmp_path, capsys):
    folder = scenario_folder(tmp_path)
    path = folder / "api_access.yaml"
    path.write_text(SECRET + "\n")
    code, lines, _ = validate_cli(capsys, path)
    assert lines == [
        f"error: {path}: line 1, column 1: expected a mapping of name: value, "
        f"found a single value of {len(SECRET)} characters, not lines of name: value"
    ]
    path.write_text("42\n")
    code, lines, _ = validate_cli(capsys, path)
    assert code == 2 and lines[0].endswith("found the single value '42'")


@pytest.mark.parametrize(
    "text",
    [
        f"cost_basis: {SECRET}\n",
        f"monthly_churn: {{low: 0.01, high: 0.05, dist: {SECRET}}}\n",
        f"monthly_churn: {{low: 0.01, high: {SECRET}}}\n",
        f"correlations: [[{SECRET}, monthly_churn, 0.5]]\n",
        f"correlations: {SECRET}\n",
        f"{SECRET.split('=')[0].lower()}_{SECRET.split('=')[1].replace('-', '_')}: 1\n",
        f"draws: {SECRET}\n",
    ],
)
def test_values_are_quoted_as_short_excerpts_only(tmp_path, capsys, text):
    path = scenario_folder(tmp_path) / "api_access.yaml"
    path.write_text(text)
    code, lines, _ = validate_cli(capsys, path)
    assert code == 2 and lines
    secret_tail = SECRET.split("sk-live-")[1].replace("-", "_")
    for line in lines:
        assert secret_tail[:24] not in line.replace("-", "_"), line


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("monthly_churn: 4%", "key 'monthly_churn': value '4%' is not allowed; "),
        ("price_per_m_input_tokens: $1.90", "key 'price_per_m_input_tokens': value '$1.90' is not allowed; "),
        ("cac_usd: 1,500", "key 'cac_usd': value '1,500' is not allowed; "),
        ("horizon_months: '24'", "key 'horizon_months': value '24' is not allowed; "),
    ],
)
def test_a_number_written_as_text_suggests_the_number(tmp_path, capsys, line, expected):
    target = scenario_folder(tmp_path) / "api_access.yaml"
    target.write_text(line + "\n")
    code, lines, _ = validate_cli(capsys, target)
    assert_one_line_errors(code, lines, target)
    (error,) = lines
    assert expected in error
    meant = {"4%": "0.04", "$1.90": "1.9", "1,500": "1500", "'24'": "24"}[line.split(": ", 1)[1]]
    assert error.endswith(f"; did you mean {meant}?"), error


@pytest.mark.parametrize(
    "line",
    [
        "monthly_churn: 400%",
        "monthly_churn: three percent",
        "horizon_months: 24.5 months",
        "horizon_months: '24.5'",
    ],
)
def test_no_suggestion_that_would_be_refused_too(tmp_path, capsys, line):
    target = scenario_folder(tmp_path) / "api_access.yaml"
    target.write_text(line + "\n")
    code, lines, _ = validate_cli(capsys, target)
    assert_one_line_errors(code, lines, target)
    assert "did you mean" not in lines[0], lines[0]
