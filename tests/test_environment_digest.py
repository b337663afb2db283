"""The installed distributions' names and versions, read fast, are the ones importlib gives."""

from __future__ import annotations

from importlib import metadata

from aibm_core.batch.incremental import _name_and_version


def test_name_and_version_from_the_header_equal_importlib_metadata():
    fast = {_name_and_version(dist) for dist in metadata.distributions()}
    slow = {f"{dist.name}=={dist.version}" for dist in metadata.distributions()}
    assert fast == slow and len(slow) > 10


class _Dist:
    """A distribution whose metadata file is given as text."""

    def __init__(self, files: dict[str, str]):
        self.files = files

    def read_text(self, name: str) -> str | None:
        return self.files.get(name)


def test_only_the_header_counts_and_pkg_info_is_read_when_there_is_no_metadata():
    body = "Name: not-this\nVersion: 9\n"  # a description quoting fields, after the blank line
    text = f"Metadata-Version: 2.1\nName: aibm\nVersion: 0.1.0\nSummary: x\n\n{body}"
    assert _name_and_version(_Dist({"METADATA": text})) == "aibm==0.1.0"
    assert _name_and_version(_Dist({"PKG-INFO": text})) == "aibm==0.1.0"
    assert _name_and_version(_Dist({})) is None
