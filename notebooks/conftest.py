"""Notebook tests (nbval): what the comparison leaves out, and kernels that fail to start.

Every chart output carries its Vega-Lite spec, compared strictly, and an SVG rendering of it for
viewers without Vega. ``make notebooks`` drops the SVG from the committed notebooks
(:mod:`aibm_core.present.stored_outputs`), so the comparison leaves it out too.

``make test`` runs the notebooks on several workers (pytest-xdist): two kernels starting at once
can race for the same free port, and the loser dies before it answers. A kernel that dies while
starting is started again (:data:`KERNEL_STARTS` times in all), as the batch runner does.
"""

from __future__ import annotations

import functools

import nbval.kernel

from aibm_core.present.stored_outputs import SVG_MIME

#: Attempts at starting a notebook's kernel.
KERNEL_STARTS = 3


def _retried(start):
    @functools.wraps(start)
    def start_new_kernel(*args, **kwargs):
        for attempt in range(1, KERNEL_STARTS + 1):
            try:
                return start(*args, **kwargs)
            except RuntimeError:
                if attempt == KERNEL_STARTS:
                    raise

    return start_new_kernel


def pytest_configure(config):
    if not getattr(nbval.kernel.start_new_kernel, "__wrapped__", None):
        nbval.kernel.start_new_kernel = _retried(nbval.kernel.start_new_kernel)


def pytest_collection_modifyitems(items):
    for item in items:
        notebook = item.parent
        skip = getattr(notebook, "skip_compare", None)
        if skip is not None and SVG_MIME not in skip:
            notebook.skip_compare = (*skip, SVG_MIME)
