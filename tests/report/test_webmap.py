"""The interactive map (clusteropt.report.webmap): map.html for westland-mini works offline
(Leaflet inlined, nothing fetched) and, opened in headless Chromium, draws one flow per leg,
has no script errors and paints a map that is not blank.

The browser tests need /usr/bin/chromium (``bash scripts/ensure-chromium.sh`` installs it;
``CLUSTEROPT_CHROMIUM`` points elsewhere) and are skipped with the reason when it is missing."""

from __future__ import annotations

import copy
import html
import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from browser import body_data, chromium
from matplotlib.image import imread
from shapely.geometry import box

from clusteropt.report import tables
from clusteropt.report.tables import leg_table
from clusteropt.report.webmap import webmap_data, write_webmap
from clusteropt.run import run_scenario
from clusteropt.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
WESTLAND = ROOT / "scenarios" / "westland-mini.yaml"


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
    # both shown at first; today's flows faint and dashed under the option's
    assert lays["optimum"]["show"] and lays["baseline"]["show"]
    assert all(f["opacity"] == 0.4 and f["dash"] for f in lays["baseline"]["flows"])
    assert all("opacity" not in f for f in lays["optimum"]["flows"])
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
    # no basemap given: the shipped CBS outlines around the Westland, credited
    feats = data["boundaries"]["features"]
    kinds = {f["properties"]["_kind"] for f in feats}
    assert kinds == {"province", "municipality"}
    assert "CBS" in data["boundaries"]["credit"] and "CC BY 4.0" in data["boundaries"]["credit"]
    names = " ".join(html.unescape(f["properties"].get("_popup", "")) for f in feats)
    assert "Westland" in names and "Zuid-Holland" in names
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


def test_browser_draws_every_leg(outcome, page, tmp_path):
    path, _ = page
    dom = chromium(tmp_path, "--dump-dom", path.as_uri()).stdout
    body = body_data(dom)
    assert body.get("leaflet") == "ok", body
    assert body.get("ready") == "1", body
    assert body.get("errors") == "", f"script errors in map.html: {body.get('errors')}"
    assert re.search(r'<div id="map"[^>]*class="[^"]*leaflet-container', dom)
    assert "leaflet-control-scale" in dom and "leaflet-control-layers" in dom
    legs = leg_table(outcome.results.legs)
    b0 = leg_table(outcome.baseline_results.legs)
    assert int(body["flows"]) == len(legs)
    assert json.loads(body["flows-drawn"]) == {"baseline": len(b0), "optimum": len(legs)}
    assert json.loads(body["flow-features"]) == {"baseline": len(b0), "optimum": len(legs)}
    assert int(body["sites"]) == len(_data(page[1])["layers"][-1]["sites"])
    # the polygons given as basemap are drawn (two rectangles)
    assert int(body["boundaries"]) == 2
    # today hidden from the address: only the option drawn
    dom = chromium(tmp_path, "--dump-dom", path.as_uri() + "#show=optimum").stdout
    body = body_data(dom)
    assert body.get("errors") == "" and body.get("ready") == "1"
    assert json.loads(body["flows-drawn"]) == {"baseline": 0, "optimum": len(legs)}


def test_browser_finds_labels_and_the_shipped_background(outcome, tmp_path):
    """No basemap given: the page draws the shipped province and municipality outlines and
    labels the development sites and the named destinations (auction, traders) by name."""
    path = write_webmap(outcome, tmp_path / "map.html")
    data = _data(path.read_text(encoding="utf-8"))
    body = body_data(chromium(tmp_path, "--dump-dom", path.as_uri()).stdout)
    assert body.get("errors") == "" and body.get("ready") == "1", body
    assert int(body["boundaries"]) == len(data["boundaries"]["features"]) > 10
    labels = json.loads(body["labels"])
    sc = outcome.scenario
    named = {sc.nodes[n].name for n in sc.nodes
             if sc.nodes[n].kind in ("site", "hub", "gateway")}
    named |= {sc.nodes[a.node].name for a in sc.activities.values() if not a.movable}
    assert {"Agriport A7 (new greenhouse area)", "Royal FloraHolland Naaldwijk",
            "Port of Rotterdam (export)"} <= named
    assert named <= set(labels), (named, labels)
    # a grower's own node is named on hover only
    assert "Grower site Naaldwijk" not in labels
    # the background's credit is on the map
    dom = chromium(tmp_path, "--dump-dom", path.as_uri()).stdout
    assert "Gebiedsindelingen 2025" in re.sub(r"<script.*?</script>", "", dom, flags=re.S)


def test_browser_screenshot_is_not_blank(page, tmp_path):
    path, _ = page
    png = tmp_path / "map.png"
    chromium(tmp_path, f"--screenshot={png}", "--window-size=1200,800",
              "--hide-scrollbars", path.as_uri())
    assert png.exists(), "Chromium wrote no screenshot"
    im = imread(png)[..., :3]
    assert im.shape[:2] == (800, 1200)
    assert float(im.std()) > 0.05, f"blank screenshot (pixel std {im.std():.4f})"
    r, g, b = im[..., 0], im[..., 1], im[..., 2]
    # the chilled (green) and bulk (blue) flows are painted in the map area, outside the
    # legend (bottom left) and the KPI box (bottom right); the view fits the closed candidate
    # sites too, so the Westland flows are small
    mid = np.s_[:, 340:880]
    green = ((g > r + 0.15) & (g > b + 0.15))[mid].sum()
    blue = ((b > r + 0.15) & (b > g + 0.05))[mid].sum()
    assert green > 300 and blue > 150, (green, blue)


def test_moved_firm_drawn_from_today_to_its_new_site(tmp_path):
    """The pepper grower fixed at Nieuw Prinsenland: one move line from its node today (De
    Lier) to the site, the site drawn open; the view holds every node."""
    out = run_scenario(load_scenario(
        WESTLAND, "growth", locks={"placement": {"grower-pepper": "nieuw-prinsenland"},
                                   "sites": {}}))
    data = webmap_data(out)
    opt = data["layers"][-1]
    at = {s["id"]: s["latlng"] for lay in data["layers"] for s in lay["sites"]}
    moves = opt["moves"]
    assert [m["coords"] for m in moves] == [[at["de-lier-1"], at["nieuw-prinsenland"]]]
    assert "grower-pepper" in html.unescape(moves[0]["tooltip"])
    assert next(s for s in opt["sites"] if s["id"] == "nieuw-prinsenland")["open"]
    (south, west), (north, east) = data["bounds"]
    for lay in data["layers"]:
        for s in lay["sites"]:
            assert south <= s["latlng"][0] <= north and west <= s["latlng"][1] <= east, s["id"]
