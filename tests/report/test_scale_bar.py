"""The static map's scale bar measures true km, also where the map's CRS is not to scale."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from pyproj import Geod, Transformer  # noqa: E402

from clusteropt.report.charts import _scale_bar  # noqa: E402


def _bar(bounds, crs):
    fig, ax = plt.subplots()
    _scale_bar(ax, bounds, crs)
    (line,) = ax.lines
    text = ax.texts[0].get_text()
    plt.close(fig)
    return line.get_xdata(), line.get_ydata(), text


def test_web_mercator_bar_is_true_km_at_its_latitude():
    """Around 52° N Web Mercator stretches distances ~1.6 ×: the bar's two ends lie the
    labelled number of km apart on the WGS84 geodesic (within 3 %), and the label says the
    length holds at this latitude."""
    tf = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    (x0, x1), (y0, y1) = tf.transform([-10.0, 20.0], [45.0, 58.0])
    xs, ys, text = _bar((x0, y0, x1, y1), "EPSG:3857")
    (lo1, lo2), (la1, la2) = Transformer.from_crs("EPSG:3857", "EPSG:4326",
                                                  always_xy=True).transform(xs, ys)
    true_km = Geod(ellps="WGS84").inv(lo1, la1, lo2, la2)[2] / 1000.0
    km = float(text.split(" km")[0].replace(",", ""))
    assert "at this latitude" in text
    assert true_km == pytest.approx(km, rel=0.03)
    assert (xs[1] - xs[0]) / 1000.0 > 1.4 * km  # drawn longer than its km in map metres


def test_a_national_grid_bar_is_drawn_at_map_scale():
    """RD New is true to scale: no latitude note, and the bar's map length is its km."""
    xs, _, text = _bar((0.0, 300_000.0, 280_000.0, 620_000.0), "EPSG:28992")
    km = float(text.split(" km")[0].replace(",", ""))
    assert "latitude" not in text
    assert np.isclose((xs[1] - xs[0]) / 1000.0, km, rtol=0.02)
