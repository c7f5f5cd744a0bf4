"""The interactive map (clusteropt.report.webmap): map.html for westland-mini works offline
(Leaflet inlined, nothing fetched) and, opened in headless Chromium, draws one flow per leg,
has no script errors and paints a map that is not blank.

The browser tests need /usr/bin/chromium (``bash scripts/ensure-chromium.sh`` installs it;
``CLUSTEROPT_CHROMIUM`` points elsewhere) and are skipped with the reason when it is missing."""

from __future__ import annotations

import copy
import html
import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from matplotlib.image import imread
from shapely.geometry import box

from clusteropt.report import tables
from clusteropt.report.tables import leg_table
from clusteropt.report.webmap import webmap_data, write_webmap
from clusteropt.run import run_scenario
from clusteropt.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
WESTLAND = ROOT / "scenarios" / "westland-mini.yaml"
CHROMIUM = os.environ.get("CLUSTEROPT_CHROMIUM", "/usr/bin/chromium")
BROWSER_TIMEOUT_S = 45


@pytest.fixture(scope="module")
def outcome():
    out = run_scenario(load_scenario(WESTLAND))
    assert tables.baseline_of(out) is not None, "run_scenario keeps B0's solution and results"
    return out


@pytest.fixture(scope="module")
def polygons(outcome, tmp_path_factory):
    """A small boundary file around the Westland nodes: two rectangles (WGS84 GeoJSON)."""
    folder = tmp_path_factory.mktemp("basemap")
    gdf = gpd.GeoDataFrame({"name": ["West", "East"]},
                           geometry=[box(4.0, 51.8, 4.3, 52.1), box(4.3, 51.8, 4.6, 52.1)],
                           crs="EPSG:4326")
    path = folder / "boundaries.geojson"
    gdf.to_file(path, driver="GeoJSON", engine="pyogrio")
    return path


@pytest.fixture(scope="module")
def page(outcome, polygons, tmp_path_factory):
    path = write_webmap(outcome, tmp_path_factory.mktemp("webmap") / "map.html", polygons)
    return path, path.read_text(encoding="utf-8")


def _data(text: str) -> dict:
    m = re.search(r'<script type="application/json" id="co-data">(.*?)</script>', text, re.S)
    assert m, "the data block is in the page"
    return json.loads(m.group(1))


# ------------------------------------------------------------------------- no browser


def test_page_is_self_contained(page):
    path, text = page
    assert path.name == "map.html" and path.stat().st_size > 100_000
    # nothing is fetched at view time: no external script or stylesheet, no CSS url() to files
    tags = re.findall(r"<(?:script|link|img|iframe)\b[^>]*>", text, re.I)
    for tag in tags:
        assert not re.search(r"\b(?:src|href)\s*=\s*['\"]?\s*(?:https?:)?//", tag, re.I), tag
        assert not re.search(r"\bsrc\s*=", tag, re.I), f"no script/img is loaded: {tag}"
    assert not re.search(r"<link\b", text, re.I)
    styles = "".join(re.findall(r"<style>(.*?)</style>", text, re.S))
    assert not re.findall(r"url\(\s*['\"]?(?!data:|#)[^)]*\)", styles)
    # Leaflet's own code and CSS are inlined
    assert "Leaflet 1.9" in text and "L.control.scale" in text
    assert ".leaflet-container" in text and "data:image/png;base64," in text
    # web tiles are only an optional layer, not added at load
    assert "OpenStreetMap (web tiles)" in text and "osm.addTo" not in text


def test_flow_features_match_the_legs(outcome, page):
    data = _data(page[1])
    lays = {lay["id"]: lay for lay in data["layers"]}
    assert list(lays) == ["baseline", "optimum"]
    assert lays["optimum"]["show"] and not lays["baseline"]["show"]
    legs = leg_table(outcome.results.legs)
    b0 = leg_table(outcome.baseline_results.legs)
    assert len(lays["optimum"]["flows"]) == len(legs) > 0
    assert len(lays["baseline"]["flows"]) == len(b0) > 0
    assert lays["optimum"]["legs_without_coordinates"] == 0
    # widths grow with trips; empty-only legs are dashed
    opt = lays["optimum"]["flows"]
    order = np.argsort(legs.trips_total.to_numpy())
    widths = np.array([f["weight"] for f in opt])[order]
    assert np.all(np.diff(widths) >= -1e-9)
    for f, r in zip(opt, legs.itertuples()):
        assert (f["dash"] is not None) == (r.load_classes == "")
        assert f["cls"] == (r.load_classes or "empty running")
        # popups with the leg's KPIs (tonnes, trips, truck-km, CO2)
        text = html.unescape(f["popup"])
        for word in ("tonnes", "trips (loaded)", "empty trips", "truck-km", "CO2 (WTW)"):
            assert word in text
        assert f"{r.trips:,.0f}" in text or r.trips < 100
        assert len(f["coords"]) >= 2 and all(51 < c[0] < 53 and 3.5 < c[1] < 5 for c in
                                             f["coords"])
    # one colour per load class
    colours = {}
    for f in opt + lays["baseline"]["flows"]:
        assert colours.setdefault(f["cls"], f["colour"]) == f["colour"]
    assert len(set(colours.values())) == len(colours)
    assert {c["name"] for c in data["legend"]} == set(colours)


def test_sites_and_popups(outcome, page):
    data = _data(page[1])
    opt = {s["id"]: s for s in data["layers"][-1]["sites"]}
    # every node with an activity and every development site (open or not)
    acts = tables.activity_table(outcome)
    assert set(acts.chosen) <= set(opt)
    assert {"agriport-a7", "nieuw-prinsenland"} <= set(opt)
    for s in ("agriport-a7", "nieuw-prinsenland"):
        assert not opt[s]["open"] and opt[s]["dash"] and opt[s]["fill"] == "#ffffff"
        assert "utilisation ha" in html.unescape(opt[s]["popup"])
    grower = html.unescape(opt["naaldwijk-1"]["popup"])
    assert "grower-tomato" in grower and "tonnes out" in grower
    # sized by use: the busiest node is the largest
    legs = leg_table(outcome.results.legs)
    used = legs.groupby("from").tonnes.sum().add(legs.groupby("to").tonnes.sum(),
                                                 fill_value=0)
    assert max(opt, key=lambda n: opt[n]["radius"]) == used.idxmax()
    # the KPI box has B0 and the optimum
    assert "B0" in data["kpis"] and "truck-km" in data["kpis"]
    # the boundary file is overlaid
    assert data["boundaries"]["type"] == "FeatureCollection"
    assert len(data["boundaries"]["features"]) == 2


def test_without_baseline_and_folder_path(outcome, tmp_path):
    bare = copy.copy(outcome)
    bare.baseline_solution = bare.baseline_results = None
    data = webmap_data(bare)
    assert [lay["id"] for lay in data["layers"]] == ["optimum"]
    assert data["boundaries"] is None
    path = write_webmap(bare, tmp_path / "out")  # a folder: map.html inside it
    assert path == tmp_path / "out" / "map.html" and path.exists()
    assert "Today (B0)" not in path.read_text(encoding="utf-8")


def test_basemap_geopackage(outcome, polygons, tmp_path):
    gpkg = tmp_path / "b.gpkg"
    gpd.read_file(polygons).to_crs("EPSG:28992").to_file(gpkg, driver="GPKG",
                                                        engine="pyogrio")
    data = webmap_data(outcome, gpkg)
    feats = data["boundaries"]["features"]
    assert len(feats) == 2 and "West" in html.unescape(feats[0]["properties"]["_popup"])
    lon = feats[0]["geometry"]["coordinates"][0][0][0]
    assert 3.9 < lon < 4.7  # back in WGS84


# ---------------------------------------------------------------------------- browser


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.skip(f"no headless Chromium at {CHROMIUM}: run `bash scripts/ensure-chromium.sh`"
                    " (Debian's chromium package) to test map.html in a browser")
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
           "--disable-background-networking", "--no-first-run", "--disable-component-update",
           "--disable-sync", "--disable-dev-shm-usage", f"--user-data-dir={profile}", *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=BROWSER_TIMEOUT_S,
                              stdin=subprocess.DEVNULL)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


class _BodyData(HTMLParser):
    """The data-* attributes of <body> in a DOM dump."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "body" and self.data is None:
            self.data = {k[5:]: v or "" for k, v in attrs if k.startswith("data-")}


def _body(dom: str) -> dict[str, str]:
    parser = _BodyData()
    parser.feed(dom)
    assert parser.data is not None, dom[:500]
    return parser.data


def test_browser_draws_every_leg(outcome, page, tmp_path):
    path, _ = page
    dom = _chromium(tmp_path, "--dump-dom", path.as_uri()).stdout
    body = _body(dom)
    assert body.get("leaflet") == "ok", body
    assert body.get("ready") == "1", body
    assert body.get("errors") == "", f"script errors in map.html: {body.get('errors')}"
    assert re.search(r'<div id="map"[^>]*class="[^"]*leaflet-container', dom)
    assert "leaflet-control-scale" in dom and "leaflet-control-layers" in dom
    legs = leg_table(outcome.results.legs)
    b0 = leg_table(outcome.baseline_results.legs)
    assert int(body["flows"]) == len(legs)
    assert json.loads(body["flows-drawn"]) == {"baseline": 0, "optimum": len(legs)}
    assert json.loads(body["flow-features"]) == {"baseline": len(b0), "optimum": len(legs)}
    assert int(body["sites"]) == len(_data(page[1])["layers"][-1]["sites"])
    assert dom.count("co-label") >= len(set(tables.activity_table(outcome).chosen))
    # B0 switched on from the address: both layers drawn
    dom = _chromium(tmp_path, "--dump-dom", path.as_uri() + "#show=baseline,optimum").stdout
    body = _body(dom)
    assert body.get("errors") == "" and body.get("ready") == "1"
    assert json.loads(body["flows-drawn"]) == {"baseline": len(b0), "optimum": len(legs)}


def test_browser_screenshot_is_not_blank(page, tmp_path):
    path, _ = page
    png = tmp_path / "map.png"
    _chromium(tmp_path, f"--screenshot={png}", "--window-size=1200,800",
              "--hide-scrollbars", path.as_uri())
    assert png.exists(), "Chromium wrote no screenshot"
    im = imread(png)[..., :3]
    assert im.shape[:2] == (800, 1200)
    assert float(im.std()) > 0.05, f"blank screenshot (pixel std {im.std():.4f})"
    r, g, b = im[..., 0], im[..., 1], im[..., 2]
    # the chilled (green) and bulk (blue) flows are painted in the map area, outside the
    # legend (bottom left) and the KPI box (bottom right)
    mid = np.s_[:, 340:880]
    green = ((g > r + 0.15) & (g > b + 0.15))[mid].sum()
    blue = ((b > r + 0.15) & (b > g + 0.05))[mid].sum()
    assert green > 1000 and blue > 300, (green, blue)
