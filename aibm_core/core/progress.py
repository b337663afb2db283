"""The one progress display of a batch: notebooks, results and exports alike."""

from __future__ import annotations

from typing import Any


def progress_bar(show: bool) -> Any:
    """A rich progress display: description, bar, done of total, time elapsed (silent unless ``show``)."""
    from rich.progress import (  # the progress bar only: not on the way of aibm run --changed
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    return Progress(*columns, disable=not show, transient=False)
