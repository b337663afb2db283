"""Self-contained HTML reports and the index page.

Reports are exported with nbconvert through the ``aibm_report`` template: code is
hidden, nothing is fetched from the internet (Vega is inlined once per page) and
each chart's Vega-Lite spec becomes an interactive chart, with its SVG as fallback.
The index and cross-scenario pages of a batch, and each chart's embed, are templates under
``templates/html/`` (:func:`aibm_core.present.html.render`); the functions here gather their figures.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import lazy_loader as lazy
import vl_convert
from markupsafe import Markup

from aibm_core.analysis.results import breach_labels, from_json_number, north_star_range
from aibm_core.analysis.scenarios import describe
from aibm_core.core.config import PARAMETERS_DIR, SHIPPED_SCENARIOS, TEMPLATES_DIR, scenario_order
from aibm_core.core.files import write_atomic
from aibm_core.core.formatting import format_value
from aibm_core.models import model_names
from aibm_core.present import html

alt = lazy.load("altair")  # seconds to import: only the cross-scenario chart needs it
nbconvert = lazy.load("nbconvert")  # seconds to import: only exporting a report needs it
nbformat = lazy.load("nbformat")

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


@cache
def _offline_charts_class() -> type:
    """The nbconvert preprocessor of the reports (built on first use: nbconvert takes seconds to import)."""
    from aibm_core.present.charts import (
        VEGALITE_MIME,  # charts imports altair (seconds): only when a report is exported
    )

    class OfflineCharts(nbconvert.preprocessors.Preprocessor):
        """Turn chart outputs into inline Vega embeds and live widgets into a short note."""

        def preprocess(self, nb, resources):
            self.count = 0
            return super().preprocess(nb, resources)

        def preprocess_cell(self, cell, resources, index):
            for output in cell.get("outputs", []):
                data = output.get("data", {})
                if VEGALITE_MIME in data:
                    self.count += 1
                    output["data"] = {"text/html": _embed(f"chart-{index}-{self.count}", data)}
                elif WIDGET_MIME in data:
                    output["data"] = {
                        "text/html": (
                            '<p class="aibm-note">Live what-if panel: open the notebook in JupyterLab to '
                            "move its sliders. The slider charts in this report work without a kernel.</p>"
                        )
                    }
            return cell, resources

    return OfflineCharts


def __getattr__(name: str) -> Any:
    """``OfflineCharts``, built when first asked for (PEP 562), so the index needs no nbconvert."""
    if name == "OfflineCharts":
        return _offline_charts_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: vega-embed options: the action menu offers PNG / SVG export only (nothing is fetched).
_EMBED_OPTIONS = "{actions: {export: true, source: false, compiled: false, editor: false}, renderer: 'svg'}"


def _embed(element_id: str, data: dict[str, Any]) -> str:
    from aibm_core.present.charts import (
        VEGALITE_MIME,  # charts imports altair (seconds): only when a report is exported
    )

    spec = json.dumps(data[VEGALITE_MIME]).replace("</", "<\\/")  # no "</script>" inside the script
    return html.render(
        "embed.html.j2",
        element_id=element_id,
        fallback=Markup(data.get("image/svg+xml", "")),
        spec=Markup(spec),
        options=Markup(_EMBED_OPTIONS),
    )


def _reproducible(nb: Any) -> Any:
    """Drop what differs between two runs of the same inputs, so reports are byte-identical.

    Papermill gives its injected-parameters cell a random id, and the saved widget state
    has random model ids; the report shows no live widgets, so that state is not needed.
    """
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            cell["id"] = "injected-parameters"
    return nb


@cache
def vega_bundle() -> str:
    """Vega, Vega-Lite and vega-embed as one inline script (no network needed)."""
    return vl_convert.javascript_bundle().replace("</script", "<\\/script")


def export_html(notebook_path: Path, html_path: Path, title: str | None = None) -> None:
    """Export an executed notebook to a self-contained HTML report (code hidden)."""
    nb = _reproducible(nbformat.read(notebook_path, as_version=4))
    if title:
        nb.metadata["title"] = title
    exporter = nbconvert.HTMLExporter(
        template_name="aibm_report",
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    exporter.register_preprocessor(_offline_charts_class()(), enabled=True)
    from aibm_core.present.summary import SUMMARY_CSS  # it imports SALib: kept off aibm run --changed

    resources = {"vega_bundle": vega_bundle(), "aibm_css": SUMMARY_CSS}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    write_atomic(html_path, body)


def write_index(
    output_dir: Path,
    failures: Iterable[tuple[str, str, str]] = (),
    parameters_dir: Path = PARAMETERS_DIR,
) -> Path:
    """Write ``index.html``: a grid of every report under ``output_dir``, scenarios by models.

    One row per scenario (its name, one-line description from
    ``<parameters_dir>/<scenario>/scenario.yaml`` and its pyramid comparison when there is
    one), the user's own scenarios first (:func:`page_order`), one column per model; each cell
    gives, labelled, the north star (with its P10-P90 when the run had ranges) and the gross
    margin in the snapshot month, the guardrails and links to the report, notebook and JSON.
    A run that failed in the latest batch shows its reason. The page links the cross-scenario
    page (``scenarios.html``, written beside it by ``aibm run``) when there are results.

    Parameters
    ----------
    output_dir
        Folder holding ``<scenario>/<model>.{json,html,ipynb}``.
    failures
        ``(scenario, model, reason)`` of runs that failed in the latest batch.
    parameters_dir
        Folder holding the scenario folders, for the descriptions.
    """
    output_dir = Path(output_dir)
    failed = {(s, m): reason for s, m, reason in failures}
    cells: dict[tuple[str, str], dict[str, Any]] = {}
    titles: dict[str, str] = {}
    comparisons: set[str] = set()
    for path, data in results_files(output_dir)[0]:
        scenario, model = path.parent.name, path.stem
        if (scenario, model) in failed:
            continue
        if data.get("kind") == "pyramid_comparison":
            comparisons.add(scenario)
            continue
        titles.setdefault(model, f"{data.get('title', model)} ({data.get('layer', '')})")
        cells[scenario, model] = _index_cell(data, scenario, model)
    for (scenario, model), reason in failed.items():
        titles.setdefault(model, model)
        cells[scenario, model] = {"failed": reason, "base": _run_path(scenario, model)}
    models = sorted(titles, key=_model_order)
    scenarios = sorted({s for s, _ in cells} | comparisons, key=page_order)
    rows = [
        {
            "scenario": s,
            "description": describe(parameters_dir, s),
            "comparison": _run_path(s, "pyramid_comparison") if s in comparisons else "",
            "cells": [cells.get((s, m)) for m in models],  # None: no run
        }
        for s in scenarios
    ]
    page = html.render("index.html.j2", titles=[titles[m] for m in models], rows=rows, linked=bool(cells))
    index = output_dir / "index.html"
    write_atomic(index, page)
    return index


def results_files(output_dir: Path) -> tuple[list[tuple[Path, dict[str, Any]]], list[Path]]:
    """The results files under ``output_dir`` the pages can show, and those they cannot.

    ``<scenario>/<name>.json`` files are read in report order. A file is shown when it is a
    pyramid comparison or a model's results that both pages can render; anything else (a
    file that is not JSON or not an object, truncated, of another results schema, or a JSON
    file that only happens to lie there) is left out, so that one stray file never costs the
    index of a whole batch.

    Returns
    -------
    tuple
        ``[(path, data), ...]`` of the files shown and ``[path, ...]`` of those left out.
    """
    stamps = []
    for path in sorted(Path(output_dir).glob("*/*.json"), key=_report_order):
        try:
            stat = path.stat()
        except OSError:
            continue
        stamps.append((path, stat.st_mtime_ns, stat.st_size))
    usable, skipped = _read_results(tuple(stamps))  # the index, the cross page and the warning share it
    return list(usable), list(skipped)


@lru_cache(maxsize=4)
def _read_results(
    stamps: tuple[tuple[Path, int, int], ...],
) -> tuple[tuple[tuple[Path, dict[str, Any]], ...], tuple[Path, ...]]:
    """:func:`results_files` for files identified by path, modification time and size (read once)."""
    from aibm_core.analysis.results_model import SCHEMA_VERSION

    usable: list[tuple[Path, dict[str, Any]]] = []
    skipped: list[Path] = []
    for path, _mtime, _size in stamps:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError, RecursionError):
            skipped.append(path)
            continue
        if not isinstance(data, dict):
            skipped.append(path)
        elif data.get("kind") == "pyramid_comparison":
            usable.append((path, data))
        elif _renders(data, path, SCHEMA_VERSION.split(".")[0]):
            usable.append((path, data))
        else:
            skipped.append(path)
    return tuple(usable), tuple(skipped)


def _renders(data: dict[str, Any], path: Path, major: str) -> bool:
    """Whether one model's results can be shown: this schema's major version, every figure readable."""
    from aibm_core.analysis.results import from_json_number

    version = data.get("schema_version", f"{major}.0.0")
    if not isinstance(version, str) or version.split(".")[0] != major:
        return False
    scenario, model = path.parent.name, path.stem
    try:
        _index_cell(data, scenario, model)
        _model_section(model, {scenario: data}, [scenario], {scenario: ""})
        margin = from_json_number(data.get("gross_margin"))
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError):
        return False
    return margin is None or isinstance(margin, float)  # the margin chart reads it too


def page_order(scenario: str) -> tuple[bool, tuple[int, str]]:
    """Sort key of a scenario on the pages: the user's own scenarios first, then the shipped ones.

    A scenario is the user's when it is not one of the package's (:data:`SHIPPED_SCENARIOS`,
    the folders of its ``parameters/``): the one being worked on comes first in the index and
    the cross-scenario tables. Within each group, :func:`~aibm_core.core.config.scenario_order`.
    """
    return scenario in SHIPPED_SCENARIOS, scenario_order(scenario)


def _run_path(scenario: str, model: str) -> str:
    """Relative link to one run's files, without the suffix (``<scenario>/<model>``, URL-quoted)."""
    return f"{quote(scenario)}/{quote(model)}"


def _report_order(path: Path) -> tuple[tuple[int, str], int, str]:
    """Shipped scenarios first (base, bull, bear, seed), then models in pyramid order."""
    return scenario_order(path.parent.name), *_model_order(path.stem)


def _model_order(model: str) -> tuple[int, str]:
    """Sort key of a model: registered models in pyramid order, then any others by name."""
    models = model_names()
    return models.index(model) if model in models else len(models), model


def _index_cell(data: dict[str, Any], scenario: str, model: str) -> dict[str, Any]:
    """The grid cell of one run: north star (and range), gross margin, guardrails, link base.

    Each figure comes with what it measures and its period: the north star's name with its
    value in its unit (``API revenue (MRR)``, ``$37.76M per month``) and the snapshot month
    both figures describe.
    """
    star = data["north_star"]
    breaches = breach_labels(data)
    return {
        "failed": None,
        "month": data.get("snapshot_month"),  # every results file has it; a hand-made one may not
        "star_name": star["name"],
        "star": format_value(from_json_number(star["value"]), star["unit"]),
        "range": north_star_range(data).strip().strip("()"),
        "margin": format_value(from_json_number(data.get("gross_margin")), "fraction"),
        "ok": not breaches,
        "status": "guardrails ok" if not breaches else "breach: " + ", ".join(breaches),
        "base": _run_path(scenario, model),
    }


def write_cross_scenario(output_dir: Path, parameters_dir: Path = PARAMETERS_DIR) -> Path:
    """Write ``scenarios.html``: every model's headline figures side by side across scenarios.

    For each model found in the results JSON files under ``output_dir``, a table with one
    column per scenario (the user's own scenarios first, :func:`page_order`) gives the
    north-star metric, the gross margin and every guardrail (value and status over the
    horizon); a model without results in a scenario shows "missing". A bar chart of gross
    margin by scenario and model is inlined as SVG, so the page needs no network.

    Parameters
    ----------
    output_dir
        Folder holding ``<scenario>/<model>.json``.
    parameters_dir
        Folder holding the scenario folders, for the descriptions.

    Returns
    -------
    Path
        The page written, ``<output_dir>/scenarios.html``.
    """
    output_dir = Path(output_dir)
    results: dict[str, dict[str, dict[str, Any]]] = {}
    for path, data in results_files(output_dir)[0]:
        if "north_star" in data:
            results.setdefault(path.stem, {})[path.parent.name] = data
    scenarios = sorted({s for runs in results.values() for s in runs}, key=page_order)
    descriptions = {s: describe(parameters_dir, s) for s in scenarios}
    target = output_dir / "scenarios.html"
    digest = _page_inputs_digest(results, descriptions)
    if _page_digest(target) == digest:  # the same results: the page (and its chart) stands
        return target
    sections = [_model_section(model, runs, scenarios, descriptions) for model, runs in results.items()]
    page = html.render(
        "scenarios.html.j2",
        digest_meta=_DIGEST_META,
        digest=digest,
        descriptions=descriptions,
        chart=_margin_chart(results, scenarios) if results else None,
        sections=sections,
    )
    write_atomic(target, page)
    return target


#: Name of the ``<meta>`` tag holding the digest of what a generated page was built from.
_DIGEST_META = "aibm-inputs"


def _page_inputs_digest(*inputs: Any) -> str:
    """SHA-256 of a page's inputs (JSON-serialisable) and of the code that renders it."""
    digest = hashlib.sha256(json.dumps(inputs, sort_keys=True, default=str).encode())
    for module in ("report.py", "charts.py", "summary.py", "html.py"):
        digest.update((Path(__file__).parent / module).read_bytes())
    for template in html.template_files():
        digest.update(template.read_bytes())
    return digest.hexdigest()


def _page_digest(page: Path) -> str | None:
    """The inputs digest recorded in a page written here, or None (no page, or none recorded)."""
    try:
        with page.open(encoding="utf-8", errors="replace") as handle:
            head = handle.read(2048)
    except OSError:
        return None
    marker = f'<meta name="{_DIGEST_META}" content="'
    start = head.find(marker)
    if start < 0:
        return None
    start += len(marker)
    return head[start : head.find('"', start)]


def _model_section(
    model: str, runs: dict[str, dict[str, Any]], scenarios: list[str], descriptions: dict[str, str]
) -> dict[str, Any]:
    """One model's table: a row per headline figure, a column per scenario.

    Each row is ``(label, cells)``, a cell ``(class, text)`` (class ``""`` for none).
    """
    from aibm_core.present.summary import payload_headline_kpis  # see export_html

    first = next(iter(runs.values()))
    columns = [
        {
            "scenario": s,
            "description": descriptions[s],
            "base": _run_path(s, model) if s in runs else None,
        }
        for s in scenarios
    ]
    missing = ("missing", "missing")

    def row(label: str, cell) -> tuple[str, list[tuple[str, str]]]:
        return label, [cell(runs[s]) if s in runs else missing for s in scenarios]

    def star(data: dict[str, Any]) -> tuple[str, str]:
        return "", format_value(from_json_number(data["north_star"]["value"]), data["north_star"]["unit"])

    def margin(data: dict[str, Any]) -> tuple[str, str]:
        return "", format_value(from_json_number(data.get("gross_margin")), "fraction")

    def guardrail(name: str):
        def cell(data: dict[str, Any]) -> tuple[str, str]:
            found = [g for g in data["guardrails"] if g["name"] == name]
            if not found:
                return missing
            g = found[0]
            value = format_value(from_json_number(g["value"]), g["unit"])
            if g["ok"]:
                return "ok", f"ok: {value}"
            worst = format_value(from_json_number(g["worst"]), g["unit"])
            month = f" from month {g['first_breach_month']}" if g.get("first_breach_month") else ""
            return "breach", f"breach{month}: {value} (worst {worst})"

        return cell

    def kpi(key: str):
        def cell(data: dict[str, Any]) -> tuple[str, str]:
            found = data["kpis"].get(key)
            if found is None:
                return missing
            return "", format_value(from_json_number(found["value"]), found["unit"])

        return cell

    try:
        headline = payload_headline_kpis(first)
    except (KeyError, TypeError):  # a results file of a model no longer registered, or without KPIs
        headline = []
    labels: dict[str, str] = {}
    for data in runs.values():
        for g in data["guardrails"]:
            labels.setdefault(g["name"], g["label"])
    rows = [
        row(f"north star: {first['north_star']['name']}", star),
        row("gross margin (snapshot month)", margin),
        *(row(first["kpis"][key]["label"].strip(), kpi(key)) for key in headline),
        *(row(f"guardrail: {label}", guardrail(name)) for name, label in labels.items()),
    ]
    title = f"{first.get('title', model)} ({first.get('layer', '')})"
    return {"model": model, "title": title, "columns": columns, "rows": rows}


def _margin_chart(results: dict[str, dict[str, dict[str, Any]]], scenarios: list[str]) -> Markup | None:
    """Grouped bars of snapshot gross margin (scenario on x, one bar per model), as inline SVG.

    None when no run has a finite gross margin.
    """
    from aibm_core.present.charts import (  # charts imports altair (seconds): only when the page is drawn
        compact_svg,
        portable_spec,
    )

    rows = [
        {"scenario": scenario, "model": data.get("title", model), "gross margin": margin}
        for model, runs in results.items()
        for scenario, data in runs.items()
        if (margin := from_json_number(data.get("gross_margin"))) is not None and math.isfinite(margin)
    ]
    if not rows:
        return None
    chart = (
        alt.Chart(alt.Data(values=rows), title="Gross margin in the snapshot month")
        .mark_bar()
        .encode(
            x=alt.X("scenario:N", sort=scenarios, title="scenario"),
            xOffset=alt.XOffset("model:N"),
            y=alt.Y("gross margin:Q", axis=alt.Axis(format="%"), title="gross margin"),
            color=alt.Color("model:N", title="model", legend=alt.Legend(labelLimit=320)),
            tooltip=["scenario:N", "model:N", alt.Tooltip("gross margin:Q", format=".1%")],
        )
        .properties(width=max(300, 70 * len(scenarios)), height=260)
    )
    return Markup(compact_svg(vl_convert.vegalite_to_svg(json.dumps(portable_spec(chart.to_dict())))))
