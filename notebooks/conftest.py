"""Notebook tests (nbval): a chart's SVG is not stored in the committed notebooks.

Every chart output carries its Vega-Lite spec, compared strictly, and an SVG rendering of it
for viewers without Vega. The committed notebooks drop the SVG (``make notebooks``), so the
comparison leaves it out as well.
"""

from __future__ import annotations


def pytest_collection_modifyitems(items):
    for item in items:
        notebook = item.parent
        skip = getattr(notebook, "skip_compare", None)
        if skip is not None and "image/svg+xml" not in skip:
            notebook.skip_compare = (*skip, "image/svg+xml")
