"""Strict, bounded loading of parameter YAML: one clear problem per mistake, never a hang.

PyYAML (and papermill, which reads parameter files the same way) implements YAML 1.1, whose
surprises would otherwise pass silently: ``036`` is octal 30, ``1:00`` is 60, ``1e-2`` is a
string, ``yes`` is true and a duplicate key keeps the last value. This module reads a file
with a :class:`yaml.SafeLoader` subclass that composes the node tree first and checks it
before any Python object is built:

* the file must be a regular file (a FIFO or device would block or never end), at most
  :data:`MAX_BYTES` long and UTF-8 text;
* anchors, aliases (a "billion laughs" bomb expands exponentially), explicit tags and merge
  keys are refused where the parser meets them, as is nesting deeper than :data:`MAX_DEPTH`;
* plain scalars that YAML 1.1 reads differently from what they look like are refused with
  the spelling to use instead, as are integers longer than :data:`MAX_DIGITS` digits and
  duplicate keys;
* the document must be a non-empty mapping whose keys are Python identifiers (papermill
  writes them into a notebook's parameters cell unescaped, so a key is code).

:func:`load_mapping` raises :class:`YamlProblems`, whose items carry the line and column
(1-based) of each problem; :func:`aibm_core.core.params.read_yaml` turns them into parameter errors.
"""

from __future__ import annotations

import codecs
import keyword
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.events import AliasEvent

from aibm_core.core.errors import AibmInputError

#: Largest parameter file read (bytes); the shipped ones are under 10 kB.
MAX_BYTES = 1_000_000
#: Deepest nesting of lists and mappings (a correlation list is three levels deep).
MAX_DEPTH = 10
#: Longest integer, in digits (a random seed is at most 19).
MAX_DIGITS = 30

_YAML = "tag:yaml.org,2002:"
_OCTAL = re.compile(r"[-+]?0[0-7_]+")
_NUMBER_LIKE = re.compile(r"[-+]?(?:\d[\d_]*)?(?:\.[\d_]*)?(?:[eE][-+]?\d+)?")
_YAML11_BOOLS = {"yes", "no", "on", "off"}


@dataclass(frozen=True)
class YamlProblem:
    """One thing wrong with a YAML file.

    Attributes
    ----------
    message
        What is wrong and what to write instead (one line).
    line, column
        1-based position in the file, ``None`` when the problem is the file as a whole.
    key
        The top-level key the problem is under (``""`` when none).
    """

    message: str
    line: int | None = None
    column: int | None = None
    key: str = ""

    def __str__(self) -> str:
        where = "" if self.line is None else f"line {self.line}, column {self.column}: "
        return f"{where}{f'key {echo(self.key)}: ' if self.key else ''}{self.message}"


class YamlProblems(AibmInputError):
    """A parameter file that cannot be read safely; ``problems`` lists every reason."""

    problems: list[YamlProblem]

    def __init__(self, problems: list[YamlProblem]):
        super().__init__(problems, "; ".join(p.message for p in problems))


def shorten(text: str, limit: int = 80) -> str:
    """``text`` cut to at most ``limit`` characters, ending in "…" when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


#: Longest excerpt of a value quoted back in an error (characters of its ``repr``): enough to
#: recognise a value, too short to reproduce a secret that a mistaken file happens to hold.
ECHO_LIMIT = 40


def echo(value: Any, limit: int = ECHO_LIMIT) -> str:
    """A value as it may be quoted back in an error: its ``repr``, shortened (one line).

    The ``repr`` escapes line breaks and control characters, so the excerpt is one printable
    line; at most ``limit`` characters of it are shown.
    """
    return shorten(repr(value), min(limit, ECHO_LIMIT))


def _at(mark: Any, message: str, key: str = "") -> YamlProblem:
    return YamlProblem(message, mark.line + 1, mark.column + 1, key)


def _short_tag(tag: str) -> str:
    return "!!" + tag.removeprefix(_YAML) if tag.startswith(_YAML) else tag


class _StrictLoader(yaml.SafeLoader):
    """A safe loader that refuses aliases, anchors, explicit tags and deep nesting as it composes."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, AliasEvent):
            raise YamlProblems(
                [
                    _at(
                        event.start_mark,
                        f"alias *{shorten(event.anchor, 40)} is not allowed; write the value out",
                    )
                ]
            )
        if event.anchor is not None:
            message = (
                f"anchor &{shorten(event.anchor, 40)} is not allowed (no anchors or aliases); "
                "write each value out"
            )
            raise YamlProblems([_at(event.start_mark, message)])
        tag = getattr(event, "tag", None)
        if tag is not None:
            message = (
                f"tag {shorten(_short_tag(tag), 60)} is not allowed; "
                "write a plain number, text, list or mapping"
            )
            raise YamlProblems([_at(event.start_mark, message)])
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise YamlProblems([_at(event.start_mark, f"nested more than {MAX_DEPTH} levels deep")])
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _yaml11_form(text: str) -> str:
    """``1e-2`` written so that YAML 1.1 reads it as a float: ``1.0e-2``."""
    mantissa, _, exponent = text.lower().partition("e")
    if "." not in mantissa:
        mantissa += ".0"
    if exponent[:1] not in ("+", "-"):
        exponent = "+" + exponent
    return f"{mantissa}e{exponent}"


def _sexagesimal(text: str) -> float:
    """The value YAML 1.1 gives ``1:00`` (60): base-60 digits, the last one possibly a float."""
    sign = -1 if text.startswith("-") else 1
    value = 0.0
    for part in text.lstrip("+-").replace("_", "").split(":"):
        value = value * 60 + float(part)
    return sign * value


def _scalar_problem(node: yaml.ScalarNode) -> str | None:
    """Why YAML 1.1 reads a plain scalar differently from how it looks (``None`` if it does not)."""
    text, tag = node.value, node.tag.removeprefix(_YAML)
    shown = shorten(text, 40)  # quoted back in the message: an excerpt at most
    sign = text[0] if text[:1] in ("+", "-") else ""
    if tag in ("int", "float") and ":" in text:
        return (
            f"{shown} is read as the base-60 number {_sexagesimal(text):g} by YAML 1.1; "
            f'write "{shown}" (quoted) for text or {_sexagesimal(text):g} for the number'
        )
    if tag == "int" and _OCTAL.fullmatch(text):
        as_int = int(text.replace("_", ""), 8)
        decimal = sign + (text.lstrip("+-0").replace("_", "") or "0")
        return f'{shown} is read as octal {as_int} by YAML 1.1; write {decimal} (or "{shown}" for text)'
    if tag == "int" and sum(c.isdigit() for c in text) > MAX_DIGITS:
        digits = sum(c.isdigit() for c in text)
        return f"integer of {digits} digits is too large; at most {MAX_DIGITS} digits"
    if tag == "bool" and text.lower() in _YAML11_BOOLS:
        read_as = "true" if text.lower() in ("yes", "on") else "false"
        return f'{shown} is read as {read_as} by YAML 1.1; write true or false (or "{shown}" for text)'
    if tag == "timestamp":
        return f'{shown} is read as a date by YAML 1.1; write "{shown}" (quoted) for text'
    if tag in ("merge", "value"):
        return f'{shown} has a special meaning in YAML 1.1; write "{shown}" (quoted) for text'
    if tag == "str" and any(c.isdigit() for c in text) and _NUMBER_LIKE.fullmatch(text):
        try:
            number = float(text.replace("_", ""))
        except ValueError:
            return None
        if "e" in text.lower():
            return (
                f"{shown} is read as text by YAML 1.1, not a number; write {number!r} or {_yaml11_form(text)}"
            )
        return f"{shown} is read as text by YAML 1.1, not a number; write {number:g}"
    return None


def _key_problem(node: yaml.Node) -> str | None:
    """Why a top-level key cannot be a parameter name (``None`` if it can)."""
    if not isinstance(node, yaml.ScalarNode):
        return "a list or mapping as a key is not a name; a parameter name is a Python identifier"
    if node.tag != _YAML + "str":
        return f"key {echo(node.value)} is not a name; a parameter name is a Python identifier"
    if not node.value.isidentifier():
        return (
            f"key {echo(node.value)} is not a valid name; "
            "use letters, digits and _ (not starting with a digit)"
        )
    if keyword.iskeyword(node.value):
        return f"key {echo(node.value)} is a Python keyword, not a parameter name"
    if node.value.startswith("__"):
        return f"key {echo(node.value)} is reserved (names starting with __)"
    return None


def _is_source_date(name: str, node: yaml.Node) -> bool:
    """Whether ``node`` is the date of a value's source, ``as_of: 2025-09-01``: read as a date on purpose."""
    return name == "as_of" and isinstance(node, yaml.ScalarNode) and node.tag == _YAML + "timestamp"


#: A plain date, read as text by :func:`load_mapping` with ``dates=True``.
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _dates_as_text(root: yaml.Node) -> None:
    """Tag every plain scalar that is a date (``2025-03-03``) as text and every number with an
    exponent (``15.1e9``) as a number, so that each reads as it looks."""
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.ScalarNode):
            if node.style is None and node.tag == _YAML + "timestamp" and _DATE.fullmatch(node.value):
                node.tag = _YAML + "str"
            elif (
                node.style is None
                and node.tag == _YAML + "str"
                and any(c.isdigit() for c in node.value)
                and "e" in node.value.lower()
                and _NUMBER_LIKE.fullmatch(node.value)
            ):
                node.tag = _YAML + "float"
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            stack.extend(value for _, value in node.value)


def _check_tree(root: yaml.Node) -> list[YamlProblem]:
    """Problems of a composed document: YAML 1.1 surprises, huge integers, duplicate and bad keys."""
    problems: list[YamlProblem] = []
    stack: list[tuple[yaml.Node, str]] = [(root, "")]
    while stack:
        node, top_key = stack.pop()
        if isinstance(node, yaml.ScalarNode):
            why = _scalar_problem(node) if node.style is None else None
            if why:
                problems.append(_at(node.start_mark, why, top_key))
            continue
        if isinstance(node, yaml.SequenceNode):
            stack.extend((item, top_key) for item in reversed(node.value))
            continue
        seen: dict[tuple[str, str], int] = {}
        for key_node, value_node in node.value:
            name = key_node.value if isinstance(key_node, yaml.ScalarNode) else ""
            key = top_key or name
            if node is root and (why := _key_problem(key_node)):
                problems.append(_at(key_node.start_mark, why))
                continue
            identity = (key_node.tag, name)
            if isinstance(key_node, yaml.ScalarNode) and identity in seen:
                message = (
                    f"duplicate key (first on line {seen[identity]}); "
                    "YAML would keep only the last value: remove one"
                )
                problems.append(_at(key_node.start_mark, message, key))
            seen.setdefault(identity, key_node.start_mark.line + 1)
            if _is_source_date(name, value_node):  # as_of: 2025-09-01 means the date
                continue
            stack.extend([(value_node, key), (key_node, key)] if node is not root else [(value_node, key)])
    return sorted(problems, key=lambda p: (p.line or 0, p.column or 0))


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, after checking it is a regular file of a sane size (never opens a FIFO)."""
    try:
        info = os.stat(path)
    except OSError as error:
        raise YamlProblems([YamlProblem(f"cannot read file ({error.strerror})")]) from None
    if stat.S_ISDIR(info.st_mode):
        raise YamlProblems([YamlProblem("is a folder, not a parameter file")])
    if not stat.S_ISREG(info.st_mode):
        kind = (
            "a FIFO (named pipe)" if stat.S_ISFIFO(info.st_mode) else "a device, socket or other special file"
        )
        raise YamlProblems([YamlProblem(f"is {kind}, not a regular file")])
    too_big = f"file is larger than {MAX_BYTES:,} bytes; a parameter file lists a few assumptions"
    if info.st_size > MAX_BYTES:
        raise YamlProblems([YamlProblem(too_big)])
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as error:
        raise YamlProblems([YamlProblem(f"cannot read file ({error.strerror})")]) from None
    if len(data) > MAX_BYTES:
        raise YamlProblems([YamlProblem(too_big)])
    return data


def _decode(data: bytes) -> str:
    """UTF-8 text (a leading byte-order mark dropped), or a problem naming the first bad byte."""
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        hint = " (it looks like UTF-16)" if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) else ""
        message = (
            f"not UTF-8 text: byte 0x{data[error.start]:02x} cannot be decoded{hint}; save the file as UTF-8"
        )
        raise YamlProblems([YamlProblem(message, line, column)]) from None


def _compose(text: str) -> yaml.Node | None:
    loader = None
    try:
        loader = _StrictLoader(text)
        return loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        what = error.problem or error.context or "unreadable"
        raise YamlProblems([_at(mark, f"not valid YAML: {shorten(what, 120)}")]) from None
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        column = error.position - (text.rfind("\n", 0, error.position) + 1) + 1
        character = f"U+{error.character:04X}" if isinstance(error.character, int) else repr(error.character)
        message = f"not valid YAML: character {character} is not allowed; remove it"
        raise YamlProblems([YamlProblem(message, line, column)]) from None
    finally:
        if loader is not None:
            loader.dispose()


def _single_value(node: yaml.Node) -> str:
    """A document that is one scalar: quoted when short (a typo), else not (a file not meant for us).

    A link or a mistaken path may point at a file of secrets (``KEY=sk-...``): a long value is
    described, never quoted.
    """
    if len(node.value) <= 24:
        return f"the single value {echo(node.value)}"
    return f"a single value of {len(node.value)} characters, not lines of name: value"


def load_mapping(path: Path, dates: bool = False) -> dict[str, Any]:
    """Read a parameter file strictly: a non-empty mapping of identifier keys to plain values.

    Parameters
    ----------
    path
        The YAML file.
    dates
        Read a plain date (``2025-03-03``, which YAML 1.1 would make a date) as the text
        ``"2025-03-03"``, and a number with an exponent but no dot or sign (``15.1e9``, which
        YAML 1.1 would make text) as the number, instead of refusing them (a company case's
        dated sources and disclosed figures).

    Returns
    -------
    dict
        The file's content, keys in file order.

    Raises
    ------
    YamlProblems
        With every problem found, each with its line and column where it has one.
    """
    text = _decode(_read_bytes(Path(path)))
    root = _compose(text)
    if root is None:
        raise YamlProblems(
            [YamlProblem("empty file; write the assumptions that differ from base, or delete the file")]
        )
    if not isinstance(root, yaml.MappingNode):
        found = "a list" if isinstance(root, yaml.SequenceNode) else _single_value(root)
        raise YamlProblems([_at(root.start_mark, f"expected a mapping of name: value, found {found}")])
    if dates:
        _dates_as_text(root)
    problems = _check_tree(root)
    if problems:
        raise YamlProblems(problems)
    if not root.value:
        raise YamlProblems(
            [YamlProblem("empty mapping; write the assumptions that differ from base, or delete the file")]
        )
    loader = _StrictLoader("")
    try:
        return loader.construct_document(root)
    except yaml.MarkedYAMLError as error:  # e.g. an unhashable key deeper down
        mark = error.problem_mark or error.context_mark
        raise YamlProblems([_at(mark, f"not valid YAML: {shorten(error.problem or '', 120)}")]) from None
    finally:
        loader.dispose()
