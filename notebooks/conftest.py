"""Notebook tests (nbval): a chart's SVG copy is not stored in the committed notebooks.

Every chart output carries its Vega-Lite spec, compared strictly, and an SVG rendering of it for
viewers without Vega. ``make notebooks`` drops the SVG from the committed notebooks
(:mod:`aibm_core.present.stored_outputs`), so the comparison leaves it out too.
"""

from __future__ import annotations

from aibm_core.present.stored_outputs import SVG_MIME


def pytest_collection_modifyitems(items):
    for item in items:
        notebook = item.parent
        skip = getattr(notebook, "skip_compare", None)
        if skip is not None and SVG_MIME not in skip:
            notebook.skip_compare = (*skip, SVG_MIME)
