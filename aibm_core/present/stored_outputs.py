"""Executed notebooks made fit to commit: no widget state, no image copy of a chart.

A chart's output holds its Vega-Lite spec (:data:`~aibm_core.present.charts.VEGALITE_MIME`, which
JupyterLab draws and the notebook tests compare) and an SVG rendering of it for viewers without
Vega (reports made by ``aibm run`` keep it); JupyterLab adds a PNG of each chart it draws, kept
if the notebook is saved there. In a committed notebook these copies only add to the size
(the SVG alone doubles it), so ``make notebooks`` drops them::

    python -m aibm_core.present.stored_outputs notebooks/*.ipynb
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

#: Mimetype prefix of a Vega-Lite spec in an output (any version).
VEGALITE_PREFIX = "application/vnd.vegalite."
#: The renderings of a chart that a spec beside it makes redundant.
SVG_MIME = "image/svg+xml"
PNG_MIME = "image/png"


def strip_chart_copies(nb: nbformat.NotebookNode) -> int:
    """Drop the widget state and the SVG and PNG of every output that carries a Vega-Lite spec.

    Returns
    -------
    int
        The number of image copies dropped.
    """
    nb.metadata.pop("widgets", None)
    dropped = 0
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if any(key.startswith(VEGALITE_PREFIX) for key in data):
                for mime in (SVG_MIME, PNG_MIME):
                    dropped += data.pop(mime, None) is not None
    return dropped


def strip_files(paths: list[Path]) -> None:
    """:func:`strip_chart_copies` on each notebook file, written back in place."""
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        strip_chart_copies(nb)
        nbformat.write(nb, path)


if __name__ == "__main__":
    strip_files([Path(p) for p in sys.argv[1:]])
