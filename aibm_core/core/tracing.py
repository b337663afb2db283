"""A record of every model evaluation, for checking that a batch computes each result once.

With :data:`TRACE_ENV` naming a file, each point evaluation and each Monte Carlo run appends one
line ``<event> <model> <parameters key>`` to it (kernels and worker processes inherit the
variable, so a whole batch writes to one file). Without it nothing is recorded.
"""

from __future__ import annotations

import os

#: Environment variable naming the file that evaluations are recorded in.
TRACE_ENV = "AIBM_TRACE_EVALUATIONS"


def record(event: str, model: str, params: object) -> None:
    """Append ``event model key`` to the trace file, when one is set (a no-op otherwise).

    Parameters
    ----------
    event
        What happened, one word: ``evaluate``, ``monte_carlo``...
    model
        The model's name.
    params
        Its validated parameters (:class:`~aibm_core.core.params.ModelParams`); their
        :meth:`~aibm_core.core.params.ModelParams.content_key` identifies the run.
    """
    path = os.environ.get(TRACE_ENV)
    if not path:
        return
    line = f"{event} {model} {params.content_key()}\n".encode()  # type: ignore[attr-defined]
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)  # one short write with O_APPEND: lines of parallel writers do not mix
    finally:
        os.close(fd)
