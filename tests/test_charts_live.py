"""Live JupyterLab charts (AIBM_LIVE=1), the unchanged static output otherwise, and chart files."""

from __future__ import annotations

import re

import altair as alt
import pandas as pd
import pytest

from aibm_core.present import charts

#: An ES module import (static or dynamic) fetched over the network.
NETWORK_IMPORT = re.compile(r"""(?:\bimport\b[^;'"]*|\bfrom\s*|\bimport\s*\(\s*)["']https?://""")


@pytest.fixture
def chart() -> alt.Chart:
    frame = pd.DataFrame({"month": [1, 2, 3], "revenue": [1.0e6, 2.5e6, 6.0e7]}).set_index("month")
    return charts.projection_chart(frame, ["revenue"], "Revenue", "USD per month")


@pytest.fixture
def shown(monkeypatch) -> list[tuple[tuple, dict]]:
    """What :func:`charts.show` passed to IPython's display, call by call."""
    calls: list[tuple[tuple, dict]] = []
    monkeypatch.setattr(charts, "display", lambda *args, **kwargs: calls.append((args, kwargs)))
    return calls


def test_the_network_import_pattern_finds_altairs_cdn_imports():
    assert NETWORK_IMPORT.search('import vegaEmbed from "https://esm.sh/vega-embed@7";')
    assert NETWORK_IMPORT.search('const m = await import("https://cdn.example/x.js")')
    assert not NETWORK_IMPORT.search('const schema = "https://vega.github.io/schema/vega-lite/v6.json";')


def test_without_live_mode_show_emits_the_static_bundle(monkeypatch, shown, chart):
    monkeypatch.delenv(charts.LIVE_ENV, raising=False)
    charts.show(chart)
    ((args, kwargs),) = shown
    assert kwargs == {"raw": True} and args == (charts.mimebundle(chart),)
    assert set(args[0]) == {"image/svg+xml", charts.VEGALITE_MIME, "text/plain"}
    monkeypatch.setenv(charts.LIVE_ENV, "0")
    assert not charts.live_enabled()


def test_live_mode_shows_a_jupyter_chart_with_vega_bundled_offline(monkeypatch, shown, chart):
    monkeypatch.setenv(charts.LIVE_ENV, "1")
    assert charts.live_enabled()
    charts.show(chart)
    ((args, kwargs),) = shown
    (widget,) = args
    assert isinstance(widget, alt.JupyterChart) and kwargs == {}
    assert widget.spec["encoding"]["y"]["axis"]["labelExpr"].startswith("abs(datum.value)")
    esm = widget._esm
    assert len(esm) > 100_000 and "vega-embed" in esm and "{render}" in esm  # vega-embed inlined
    assert not NETWORK_IMPORT.search(esm)


def test_live_chart_keeps_the_slider_bound(monkeypatch):
    frame = pd.DataFrame({"x": [0.0, 0.5, 1.0], "metric": [0.1, 0.2, 0.4]})
    units = {"x_unit": "fraction", "y_unit": "fraction"}
    widget = charts.live_chart(
        charts.slider_chart(frame, "x", "metric", "share", "gross margin", "t", start=0.25, **units)
    )
    (pick,) = widget.spec["params"]
    assert pick["bind"]["input"] == "range" and pick["value"] == 0.25


def test_save_writes_a_png_and_an_svg_with_text(tmp_path, chart):
    png = charts.save(chart, tmp_path / "revenue.png")
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(data[16:20], "big")
    svg = charts.save(chart.to_dict(), tmp_path / "revenue.svg").read_text()
    assert svg.startswith("<svg") and ">Revenue</text>" in svg and ">$60M</text>" in svg
    svg_width = float(re.search(r'<svg[^>]* width="([\d.]+)"', svg).group(1))
    assert width == pytest.approx(2 * svg_width, abs=2)  # PNG at twice the pixel density


def test_save_refuses_other_formats_with_a_clear_message(tmp_path, chart):
    with pytest.raises(
        ValueError, match=r"cannot save a chart as 'chart.pdf': use a \.png or \.svg file name"
    ):
        charts.save(chart, tmp_path / "chart.pdf")
