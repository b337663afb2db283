"""The one Jinja environment of the HTML the package writes itself.

The executive-summary blocks of the notebooks (:mod:`aibm_core.present.summary`) and the pages
of a batch (:mod:`aibm_core.present.report`: ``index.html``, ``scenarios.html``) are templates
under ``aibm_core/templates/html/``, rendered by :func:`render`. The Python code computes the
figures and formatted text; the templates hold the markup. (The HTML reports of the notebooks
are exported by nbconvert through its own template, ``templates/aibm_report``.)

Autoescape is on for every template: text is escaped as :func:`html.escape` does it (quotes
too, ``'`` as ``&#x27;``), so the stored notebook outputs keep their bytes. A value that is
already HTML (a style sheet, an inline SVG chart) is passed as :class:`markupsafe.Markup`,
deliberately. A variable a template names but is not given raises (``StrictUndefined``).
"""

from __future__ import annotations

from functools import cache
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from aibm_core.core.config import TEMPLATES_DIR

if TYPE_CHECKING:
    import jinja2

#: Folder of the templates rendered here.
HTML_TEMPLATES_DIR = TEMPLATES_DIR / "html"


def _escaped(value: Any) -> Any:
    """A template value as HTML: markup as it is, anything else as escaped text.

    Jinja's ``finalize`` hook: it runs before autoescape, which then leaves the
    :class:`~markupsafe.Markup` it returns alone. Quotes are escaped as :func:`html.escape`
    writes them, the bytes the stored notebook outputs hold.
    """
    if hasattr(value, "__html__"):
        return value
    return Markup(escape(str(value), quote=True))


@cache
def environment() -> jinja2.Environment:
    """The Jinja environment of :data:`HTML_TEMPLATES_DIR`, built on first use.

    Autoescape on, undefined variables raise, and a block tag's own line leaves nothing in the
    output (``trim_blocks``, ``lstrip_blocks``).
    """
    import jinja2  # imported on first use: the pages of a batch need it, most imports do not

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(HTML_TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "j2"), default=True),
        undefined=jinja2.StrictUndefined,
        finalize=_escaped,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(template_name: str, **context: Any) -> str:
    """Render one template of :data:`HTML_TEMPLATES_DIR`.

    Parameters
    ----------
    template_name
        File name under ``aibm_core/templates/html/``, e.g. ``"summary.html.j2"``.
    **context
        The template's variables: text is escaped; pass HTML as :class:`markupsafe.Markup`.

    Returns
    -------
    str
        The rendered HTML.
    """
    return environment().get_template(template_name).render(**context)


def template_files() -> list[Path]:
    """The template files rendered here, sorted (for digests of what a page was built from)."""
    return sorted(HTML_TEMPLATES_DIR.glob("*.j2"))
