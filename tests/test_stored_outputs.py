"""Committed notebooks keep each chart's spec and drop its SVG copy and the widget state."""

from __future__ import annotations

import nbformat

from aibm_core.present import charts
from aibm_core.present.stored_outputs import SVG_MIME, strip_chart_copies, strip_files


def _notebook() -> nbformat.NotebookNode:
    chart = nbformat.v4.new_output(
        "display_data", data={SVG_MIME: "<svg/>", charts.VEGALITE_MIME: {"mark": "bar"}, "text/plain": "c"}
    )
    drawn = nbformat.v4.new_output(  # as JupyterLab's Vega renderer leaves it (a PNG of what it drew)
        "display_data", data={charts.VEGALITE_MIME: {"mark": "line"}, "image/png": "iVBOR", "text/plain": "d"}
    )
    image = nbformat.v4.new_output("display_data", data={SVG_MIME: "<svg/>", "text/plain": "a drawing"})
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=[chart, image, drawn])])
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    return nb


def test_a_chart_keeps_its_spec_and_loses_its_image_copies_and_other_svgs_stay():
    nb = _notebook()
    assert strip_chart_copies(nb) == 2
    chart, image, drawn = nb.cells[0].outputs
    assert set(chart.data) == set(drawn.data) == {charts.VEGALITE_MIME, "text/plain"}
    assert SVG_MIME in image.data  # an SVG without a spec beside it is the only rendering
    assert "widgets" not in nb.metadata


def test_files_are_stripped_in_place_and_a_second_pass_changes_nothing(tmp_path):
    path = tmp_path / "n.ipynb"
    nbformat.write(_notebook(), path)
    strip_files([path])
    once = path.read_bytes()
    strip_files([path])
    assert path.read_bytes() == once
    assert strip_chart_copies(nbformat.read(path, as_version=4)) == 0


def test_charts_are_stored_under_a_mimetype_jupyterlab_draws():
    """JupyterLab 4's Vega renderer (jp-RenderedVegaCommon5) takes Vega-Lite 3 to 5, not 6."""
    assert charts.VEGALITE_MIME in {f"application/vnd.vegalite.v{v}+json" for v in (3, 4, 5)}
