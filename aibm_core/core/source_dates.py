"""The dates of sources: parsing a value's ``as_of``, and judging a source's age on the run date.

A price-like assumption carries the date of its source (``as_of`` in
:func:`aibm_core.core.params.assumption`), and a scenario may give a value with its own date,
``{value: 2.5, as_of: 2025-09-01}``. A run judges the sources' age on its run date (today, or
:data:`RUN_DATE_ENV`): a source more than :data:`STALE_AFTER_DAYS` days older is reported.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from aibm_core.core.yaml_loading import echo

__all__ = [
    "AS_OF",
    "RUN_DATE_ENV",
    "STALE_AFTER_DAYS",
    "current_run_date",
    "date_problem",
    "older_than_a_year",
    "source_day",
    "split_as_of",
    "with_as_of",
]

#: Environment variable that sets the run date (``YYYY-MM-DD``) the age of sources is judged on.
RUN_DATE_ENV = "AIBM_RUN_DATE"
#: Age (days) beyond which a source is reported as old.
STALE_AFTER_DAYS = 365


def current_run_date() -> date:
    """The date a run judges the age of its sources on: ``AIBM_RUN_DATE`` if set, else today."""
    given = os.environ.get(RUN_DATE_ENV)
    return date.fromisoformat(given) if given else date.today()


def source_day(as_of: str) -> date:
    """The day an ``as_of`` date stands for (``YYYY-MM`` is the month's first day)."""
    return date.fromisoformat(as_of if len(as_of) > 7 else f"{as_of}-01")


def older_than_a_year(as_of: str, run_date: date) -> bool:
    """Whether a source dated ``as_of`` is more than :data:`STALE_AFTER_DAYS` days before ``run_date``."""
    return (run_date - source_day(as_of)).days > STALE_AFTER_DAYS


#: The key that dates a value in a parameter file: ``{value: 2.5, as_of: 2025-09-01}``.
AS_OF = "as_of"


def split_as_of(raw: Any) -> tuple[Any, Any]:
    """A parameter file's value without its ``as_of``, and the ``as_of`` (``None`` when undated).

    ``{value: 2.5, as_of: 2025-09-01}`` is the number 2.5 dated 2025-09-01; a range, a fixed
    number or a schedule may carry ``as_of`` beside its own keys. A date YAML read as a date
    comes back as ISO text; anything else is returned as written (validation reports it).
    """
    if not (isinstance(raw, Mapping) and AS_OF in raw):
        return raw, None
    when = raw[AS_OF]
    if isinstance(when, date):
        when = when.isoformat()
    rest = {k: v for k, v in raw.items() if k != AS_OF}
    return (rest["value"] if set(rest) == {"value"} else rest), when


def with_as_of(value: Any, when: Any) -> Any:
    """``value`` dated ``when`` again, as :func:`split_as_of` reads it (``value`` itself when undated)."""
    if when is None:
        return value
    return {**value, AS_OF: when} if isinstance(value, Mapping) else {"value": value, AS_OF: when}


def date_problem(when: Any, run_date: date) -> str | None:
    """Why an ``as_of`` is not a source date (``None`` when it is one)."""
    shown = echo(when)
    if not isinstance(when, str) or not re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", when):
        return f"as_of {shown} is not allowed; expected the date of the source, YYYY-MM-DD or YYYY-MM"
    try:
        day = source_day(when)
    except ValueError:
        return f"as_of {shown} is not a calendar date; expected YYYY-MM-DD or YYYY-MM"
    if day > run_date:
        return f"as_of {shown} is after the run date {run_date.isoformat()}; expected the date of the source"
    return None
