"""The one base of the errors that mean "this input is wrong", each carrying its problems."""

from __future__ import annotations

from collections.abc import Iterable


class AibmInputError(ValueError):
    """Input that cannot be used (a parameter file, a range, a model's spec); nothing crashed.

    ``problems`` lists every reason, each printable on one line (``str(problem)``), so that a
    caller such as the ``aibm`` command can report them all and exit with "bad input" instead
    of a traceback. Subclasses say where the input came from.

    Parameters
    ----------
    problems
        The reasons, in the order found.
    message
        The exception's message; by default one line per problem.
    """

    def __init__(self, problems: Iterable[object], message: str | None = None):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems) if message is None else message)
