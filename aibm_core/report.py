"""Self-contained HTML reports and the index page.

Reports are exported with nbconvert through the ``aibm_report`` template: code is
hidden, nothing is fetched from the internet (Vega is inlined once per page) and
each chart's Vega-Lite spec becomes an interactive chart, with its SVG as fallback.
"""

from __future__ import annotations

import html
import json
import os
import tempfile
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import nbformat
from nbconvert import HTMLExporter
from nbconvert.preprocessors import Preprocessor

from aibm_core.charts import VEGALITE_MIME
from aibm_core.config import TEMPLATES_DIR, scenario_order

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def write_atomic(path: Path, text: str) -> None:
    """Write a text file so that readers see the old file or the whole new one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class OfflineCharts(Preprocessor):
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
                        '<p class="aibm-note">Live what-if panel: open the notebook in JupyterLab to move '
                        "its sliders. The slider charts in this report work without a kernel.</p>"
                    )
                }
        return cell, resources


def _embed(element_id: str, data: dict[str, Any]) -> str:
    spec = json.dumps(data[VEGALITE_MIME]).replace("</", "<\\/")
    fallback = data.get("image/svg+xml", "")
    return (
        f'<div class="aibm-chart" id="{element_id}">{fallback}</div>'
        f'<script type="application/json" id="{element_id}-spec">{spec}</script>'
        f"<script>vegaEmbed('#{element_id}', JSON.parse(document.getElementById("
        f"'{element_id}-spec').textContent), {{actions: false, renderer: 'svg'}});</script>"
    )


def _reproducible(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
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
    import vl_convert

    return vl_convert.javascript_bundle().replace("</script", "<\\/script")


def export_html(notebook_path: Path, html_path: Path, title: str | None = None) -> None:
    """Export an executed notebook to a self-contained HTML report (code hidden)."""
    nb = _reproducible(nbformat.read(notebook_path, as_version=4))
    if title:
        nb.metadata["title"] = title
    exporter = HTMLExporter(
        template_name="aibm_report",
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    exporter.register_preprocessor(OfflineCharts(), enabled=True)
    body, _ = exporter.from_notebook_node(nb, resources={"vega_bundle": vega_bundle()})
    write_atomic(html_path, body)


def write_index(output_dir: Path, failures: Iterable[tuple[str, str, str]] = ()) -> Path:
    """Write ``index.html`` linking every report under ``output_dir`` with key figures.

    Parameters
    ----------
    output_dir
        Folder holding ``<scenario>/<model>.{json,html,ipynb}``.
    failures
        ``(scenario, model, reason)`` of runs that failed in the latest batch.
    """
    output_dir = Path(output_dir)
    failed = {(s, m): reason for s, m, reason in failures}
    rows = []
    for path in sorted(output_dir.glob("*/*.json"), key=_report_order):
        scenario, model = path.parent.name, path.stem
        if (scenario, model) in failed:
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        rows.append(_index_row(data, scenario, model))
    for (scenario, model), reason in sorted(failed.items()):
        rows.append(
            f"<tr class='failed'><td>{html.escape(scenario)}</td><td>{html.escape(model)}</td>"
            f"<td colspan='6'>FAILED: {html.escape(reason)}</td>"
            f"<td><a href='{scenario}/{model}.ipynb'>notebook</a> · "
            f"<a href='{scenario}/{model}.html'>report</a></td></tr>"
        )
    page = _INDEX.format(rows="\n".join(rows) or "<tr><td colspan='9'>No results yet.</td></tr>")
    index = output_dir / "index.html"
    write_atomic(index, page)
    return index


def _report_order(path: Path) -> tuple[tuple[int, str], int, str]:
    """Shipped scenarios first (base, bull, bear, seed), then models in pyramid order."""
    from aibm_core.models import model_names

    models = model_names()
    model = path.stem
    return scenario_order(path.parent.name), models.index(model) if model in models else len(models), model


def _index_row(data: dict[str, Any], scenario: str, model: str) -> str:
    from aibm_core.notebook import north_star_range
    from aibm_core.results import from_json_number
    from aibm_core.tree import format_value

    star = data["north_star"]
    breaches = [
        f"{g['label']} (from month {g['first_breach_month']})" if g.get("first_breach_month") else g["label"]
        for g in data["guardrails"]
        if not g["ok"]
    ]
    status = "all ok" if not breaches else "breach: " + ", ".join(breaches)
    snapshot = data.get("snapshot", {})
    ratios = (data.get("gross_margin"), snapshot.get("operating_margin"), snapshot.get("capital_intensity"))
    ratio_cells = "".join(
        f"<td>{html.escape(format_value(from_json_number(v), 'fraction'))}</td>" for v in ratios
    )
    star_value = format_value(from_json_number(star["value"]), star["unit"]) + north_star_range(data)
    return (
        f"<tr><td>{html.escape(scenario)}</td><td>{html.escape(data.get('title', model))}</td>"
        f"<td>{html.escape(data['layer'])}</td>"
        f"<td>{html.escape(star['name'])}: {html.escape(star_value)}</td>"
        f"{ratio_cells}"
        f"<td class='{'ok' if not breaches else 'breach'}'>{html.escape(status)}</td>"
        f"<td><a href='{scenario}/{model}.html'>report</a> · <a href='{scenario}/{model}.ipynb'>notebook</a>"
        f" · <a href='{scenario}/{model}.json'>json</a></td></tr>"
    )


_INDEX = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>AI business-model workbook: reports</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 1200px; margin: 2em auto; color: #222; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border-bottom: 1px solid #ddd; padding: 6px 8px; text-align: left; vertical-align: top; }}
th {{ background: #f4f6f8; }}
.ok {{ color: #1e8449; }} .breach, .failed {{ color: #c0392b; }}
</style></head>
<body>
<h1>AI business-model workbook</h1>
<p>One row per scenario and business model. Margins and capital intensity (capex / revenue) are
those of each model's snapshot month; guardrails are judged over the whole horizon, with the first
month of any breach. Open a report for the metric tree, unit economics, projections and
sensitivities.</p>
<table>
<thead><tr><th>scenario</th><th>model</th><th>layer</th><th>north-star metric</th>
<th>gross margin</th><th>operating margin</th><th>capital intensity</th><th>guardrails</th>
<th>files</th></tr></thead>
<tbody>
{rows}
</tbody></table>
</body></html>
"""
