"""An interactive map of one run (``map.html``) that works offline.

``write_webmap(out, path, basemap=None) -> Path`` writes one self-contained HTML page with a
Leaflet map: Leaflet's JavaScript and CSS (and the layer-control icons, as data URIs) are
inlined from the ``django-js-lib-leaflet`` package (a plain copy of Leaflet 1.9.4, no Django
needed; ``xstatic-leaflet`` is used when that one is missing), so the page needs no network
at view time. What it shows:

* flows: one polyline per used leg and vehicle type (``tables.leg_table``, the same rows as
  the ``legs`` layer of results.gpkg), drawn as a gentle arc bowed to the right of the
  direction of travel (so A→B and B→A stay apart; the routes themselves are not known),
  width by annual trips (loaded + empty, one
  scale for every layer), colour by load class (several classes on one leg: "mixed"; empty
  running only: grey, dashed); popup: tonnes, trips, empty trips, truck-km (vehicle-km for
  barge and rail), CO2 WTW, load factor, cost;
* sites: one circle marker per node in use (activities, legs, development sites, hubs),
  radius by the tonnes loaded and unloaded there; development sites open (filled green) or
  not opened (white, dashed), hubs orange; popup: activities, utilisation per capacity
  dimension, tonnes and trips in and out, annual cost;
* activities moved away from today's node: a dotted arrow line from today's node;
* multi-stop tours: one purple dashed polyline per tour through its stops in order; popup:
  the stops with the load per run, runs a year, km and hours per run, tonnes, load factor;
* layer toggles: the optimum and, when the Outcome keeps B0's solution and results
  (``baseline_solution``/``baseline_results``), today's situation B0, both shown at first,
  today's flows faint and dashed under the option's;
  a KPI box compares the two;
* an offline background of Dutch province and municipality outlines (``data/boundaries``,
  CBS 2025, CC BY 4.0, credited on the map) where the map lies in the Netherlands, and a scale
  bar; OpenStreetMap web tiles are an optional base layer (off by default, needs the network);
  ``basemap`` (polygons: GeoJSON, GeoPackage, anything ``layers.read_boundaries`` reads, or a
  GeoDataFrame) replaces the shipped outlines, clipped to the polygons near the map's features;
* names: permanent labels on development sites, hubs, gateways and the nodes of activities
  that do not move (auctions, traders, plants); every node's name and id on hover; the view
  fits every node drawn, closed candidate sites included;

For tests and scripted checks the page's own script writes to ``<body>``'s data attributes:
``data-leaflet`` ("ok" when Leaflet loaded), ``data-flows`` and ``data-sites`` (the optimum's
flow polylines and site markers, counted as SVG paths in the rendered DOM), ``data-flows-drawn``
and ``data-sites-drawn`` (the same per layer id, JSON: ``{"baseline": 0, "optimum": 14}``; a
layer not shown counts 0), ``data-flow-features`` (flow features per layer id, shown or not),
``data-layers`` (the layer ids), ``data-boundaries`` (background outlines drawn),
``data-labels`` (the permanent labels' text, JSON), ``data-errors`` (window errors, failed
loads, unhandled rejections and console.error messages, " | "-joined; empty when none) and
``data-ready`` ("1" once everything is built). ``map.html#show=optimum`` chooses the layers
shown at first.
"""

from __future__ import annotations

import base64
import html
import json
import math
import re
from importlib import resources
from pathlib import Path
from types import SimpleNamespace

import pandas as pd

from clusteropt.report import layers, tables
from clusteropt.report.html import fmt
from clusteropt.tours import solution_tours

# load-class colours (Tableau 10 without the grey); more classes cycle
LOAD_CLASS_COLOURS = ("#1f77b4", "#2ca02c", "#d62728", "#ff7f0e", "#9467bd", "#8c564b",
                      "#e377c2", "#17becf", "#bcbd22")
MIXED_COLOUR = "#333333"
EMPTY_COLOUR = "#9e9e9e"
SITE_OPEN = "#2ca02c"
HUB_COLOUR = "#ff7f0e"
NODE_COLOUR = "#455a64"
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"

__all__ = ["write_webmap", "webmap_html", "leaflet_assets"]


# ------------------------------------------------------------------------------ assets


def leaflet_assets() -> tuple[str, str]:
    """(leaflet.js, leaflet.css) from an installed Python package that ships them; the CSS
    with its images as data URIs. Raises RuntimeError when no such package is installed."""
    for package, folder in (("js_lib_leaflet", ("static", "js_lib_leaflet")),
                            ("xstatic.pkg.leaflet", ("data",))):
        try:
            root = resources.files(package)
        except (ModuleNotFoundError, TypeError):
            continue
        for part in folder:
            root = root / part
        js, css = root / "leaflet.js", root / "leaflet.css"
        if not (js.is_file() and css.is_file()):
            continue

        def data_uri(match: re.Match, root=root) -> str:
            img = root / "images" / match.group(1)
            if not img.is_file():
                return match.group(0)
            b64 = base64.b64encode(img.read_bytes()).decode("ascii")
            return f"url(data:image/png;base64,{b64})"

        css_text = re.sub(r"url\(['\"]?images/([\w.-]+\.png)['\"]?\)", data_uri,
                          css.read_text(encoding="utf-8"))
        return js.read_text(encoding="utf-8"), css_text
    raise RuntimeError("map.html needs Leaflet's files from a Python package: "
                       "pip install django-js-lib-leaflet")


# ---------------------------------------------------------------------------- geometry


def _node_latlon(sc) -> dict[str, tuple[float, float]]:
    """Node → (lat, lon): the node's own lat/lon, else its projected x/y (``node_xy``)
    transformed from the scenario CRS. Nodes without coordinates are left out."""
    out: dict[str, tuple[float, float]] = {}
    todo: list[tuple[str, tuple[float, float]]] = []
    xy = tables.node_xy(sc)
    for n, node in sc.nodes.items():
        if _finite(node.lat) and _finite(node.lon):
            out[n] = (float(node.lat), float(node.lon))
        elif xy.get(n):
            todo.append((n, xy[n]))
    if todo:
        try:
            from pyproj import Transformer

            tf = Transformer.from_crs(sc.crs, "EPSG:4326", always_xy=True)
            lons, lats = tf.transform([p[0] for _, p in todo], [p[1] for _, p in todo])
            for (n, _), lat, lon in zip(todo, lats, lons):
                if math.isfinite(lat) and math.isfinite(lon):
                    out[n] = (float(lat), float(lon))
        except Exception:  # noqa: BLE001 - no usable CRS: those nodes are not drawn
            pass
    return out


def _finite(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _ll(p: tuple[float, float]) -> list[float]:
    return [round(p[0], 6), round(p[1], 6)]


def _arc(a: tuple[float, float], b: tuple[float, float], bend: float, n: int = 16
         ) -> list[list[float]]:
    """Points (lat, lon) of a gentle arc from ``a`` to ``b`` bowed to the right of the
    direction of travel by ``bend`` × its length (a quadratic Bézier curve), so that A→B and
    B→A (and several vehicle types on one leg) do not hide each other."""
    if a == b or bend == 0:
        return [_ll(a), _ll(b)]
    k = math.cos(math.radians((a[0] + b[0]) / 2))
    ax, ay, bx, by = a[1] * k, a[0], b[1] * k, b[0]
    dx, dy = bx - ax, by - ay
    cx, cy = (ax + bx) / 2 + dy * bend * 2, (ay + by) / 2 - dx * bend * 2
    pts = []
    for i in range(n + 1):
        t = i / n
        x = (1 - t) ** 2 * ax + 2 * (1 - t) * t * cx + t * t * bx
        y = (1 - t) ** 2 * ay + 2 * (1 - t) * t * cy + t * t * by
        pts.append(_ll((y, x / k)))
    return pts


# ---------------------------------------------------------------------------- popups


def _rows(title: str, rows: list[tuple[str, object, str]]) -> str:
    """A popup: bold title and a two-column table (label, value with unit)."""
    body = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(_val(v))}"
        f"{(' ' + html.escape(u)) if u and _val(v) not in ('', '–') else ''}</td></tr>"
        for k, v, u in rows)
    return f"<b>{html.escape(title)}</b><table class='co-pop'>{body}</table>"


def _val(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if hasattr(v, "item"):
        v = v.item()
    return fmt(v)


# ------------------------------------------------------------------------------ layers


def _class_colours(sc, legs_tables: list[pd.DataFrame]) -> dict[str, str]:
    classes = {c.load_class for c in sc.commodities.values()}
    for lt in legs_tables:
        for s in lt.load_classes:
            classes |= {c for c in str(s).split(";") if c}
    return {c: LOAD_CLASS_COLOURS[i % len(LOAD_CLASS_COLOURS)]
            for i, c in enumerate(sorted(classes))}


def _flow_style(load_classes: str, colours: dict[str, str]) -> tuple[str, str | None, str]:
    """(colour, dash pattern, legend name) of a leg by its load classes."""
    parts = [c for c in str(load_classes).split(";") if c]
    if not parts:
        return EMPTY_COLOUR, "6 6", "empty running"
    if len(parts) > 1:
        return MIXED_COLOUR, None, "mixed"
    return colours[parts[0]], None, parts[0]


def _flows(sc, lt: pd.DataFrame, ll: dict, colours: dict[str, str], tmax: float
           ) -> tuple[list[dict], int]:
    """Flow features of one leg table and the number of legs without coordinates."""
    feats, missing = [], 0
    nth: dict[tuple[str, str], int] = {}
    for r in lt.to_dict("records"):
        a, b = ll.get(r["from"]), ll.get(r["to"])
        if a is None or b is None:
            missing += 1
            continue
        i = nth[(r["from"], r["to"])] = nth.get((r["from"], r["to"]), -1) + 1
        colour, dash, cls = _flow_style(r["load_classes"], colours)
        t = float(r["trips_total"])
        weight = 1.5 + 9.0 * math.sqrt(max(t, 0.0) / tmax) if tmax > 0 else 2.0
        road = r["mode"] == "road"
        rows = [("vehicle", f"{r['vehicle']} ({r['mode']})", ""),
                ("load class", r["load_classes"] or "(empty running only)", ""),
                ("distance", r["distance_km"], "km"),
                ("tonnes", r["tonnes"], "t/yr"),
                ("trips (loaded)", r["trips"], "trips/yr"),
                ("empty trips", r["empty_trips"], "trips/yr"),
                ("truck-km" if road else "vehicle-km", r["vehicle_km"], "km/yr"),
                ("CO2 (WTW)", r["co2_wtw_kg"] / 1000.0, "t CO2e/yr"),
                ("NOx", r.get("nox_kg", 0.0), "kg/yr"),
                ("load factor", r["load_factor"], ""),
                ("cost", r["cost_eur"], "EUR/yr")]
        title = f"{_name(sc, r['from'])} → {_name(sc, r['to'])}"
        feats.append({"coords": _arc(a, b, 0.06 + 0.05 * i), "colour": colour, "dash": dash,
                      "weight": round(weight, 2), "cls": cls,
                      "tooltip": html.escape(f"{r['from']} → {r['to']}: {_val(t)} trips/yr "
                                             f"({cls})"),
                      "popup": _rows(title, rows)})
    return feats, missing


def _tours(sc, sol, ll: dict) -> list[dict]:
    """One polyline per multi-stop tour through its stops in order (``tables.tour_table``);
    popup: stops with the load per run, runs, km and hours per run, tonnes, load factor."""
    feats = []
    paths = [path for *_, path in solution_tours(sc, sol).values()]
    for r, path in zip(tables.tour_table(sc, sol).to_dict("records"), paths, strict=True):
        if any(ll.get(n) is None for n in path):
            continue
        rows = [("vehicle", r["vehicle"], ""), ("direction", r["direction"], ""),
                ("stops (t per run)", r["load_per_stop_t"], ""),
                ("runs", r["runs"], "runs/yr"), ("km per run", r["km_per_run"], "km"),
                ("hours per run", r["hours_per_run"], "h"),
                ("tonnes", r["tonnes"], "t/yr"), ("load factor", r["load_factor"], "")]
        feats.append({"coords": [_ll(ll[n]) for n in path],
                      "tooltip": html.escape(f"tour {r['tour']} from {r['depot']}: "
                                             f"{r['stop_count']} stops, {_val(r['runs'])} "
                                             f"runs/yr"),
                      "popup": _rows(f"Tour {r['tour']} ({r['period']})", rows)})
    return feats


def _name(sc, n: str) -> str:
    node = sc.nodes.get(n)
    return node.name if node is not None and node.name else n


def _sites(view, lt: pd.DataFrame, ll: dict, tonnes_max: float) -> list[dict]:
    """One circle marker per node in use: activities placed there, leg ends, development
    sites and hubs."""
    sc = view.scenario
    st = tables.site_table(view)
    hubs = tables.hub_table(view)
    acts = tables.activity_table(view)
    site_rows = {r["site"]: r for r in st.to_dict("records")} if len(st) else {}
    hub_rows = {r["hub"]: r for r in hubs.to_dict("records")} if len(hubs) else {}
    here: dict[str, list[str]] = {}
    for r in acts.to_dict("records") if len(acts) else []:
        if r["chosen"]:
            here.setdefault(r["chosen"], []).append(r["activity"])
    t_in = lt.groupby("to").tonnes.sum().to_dict() if len(lt) else {}
    t_out = lt.groupby("from").tonnes.sum().to_dict() if len(lt) else {}
    n_in = lt.groupby("to").trips_total.sum().to_dict() if len(lt) else {}
    n_out = lt.groupby("from").trips_total.sum().to_dict() if len(lt) else {}
    nodes = (set(here) | set(site_rows) | set(hub_rows) | set(t_in) | set(t_out))
    # named destinations: nodes of activities that do not move (auctions, traders, plants)
    fixed_here = {n: [a for a in acts_ if not sc.activities[a].movable]
                  for n, acts_ in here.items()}
    dims = sc.capacity_dims()
    feats = []
    for n in sorted(nodes):
        if n not in ll:
            continue
        node = sc.nodes[n]
        tonnes = float(t_in.get(n, 0.0) + t_out.get(n, 0.0))
        radius = 4.0 + 14.0 * math.sqrt(tonnes / tonnes_max) if tonnes_max > 0 else 5.0
        srow, hrow = site_rows.get(n), hub_rows.get(n)
        fill, stroke, dash, status = NODE_COLOUR, "#263238", None, ""
        if node.kind in ("site", "hub"):  # open: filled; not open: white, dashed
            row = srow if node.kind == "site" else hrow
            colour, stroke, closed = ((SITE_OPEN, "#1b5e20", "not opened") if node.kind == "site"
                                      else (HUB_COLOUR, "#a04000", "closed"))
            is_open = bool(row["open"]) if row else False
            fill = colour if is_open else "#ffffff"
            dash = None if is_open else "4 3"
            status = "open" if is_open else closed
            radius = max(radius, 7.0)
        rows: list[tuple[str, object, str]] = [("kind", node.kind + (f" ({status})"
                                                                      if status else ""), "")]
        rows.append(("activities", "; ".join(here.get(n, [])) or "(none)", ""))
        for d in dims:
            cap = node.capacity.get(d)
            used = srow.get(f"used_{d}") if srow else None
            util = srow.get(f"utilisation_{d}") if srow else None
            if cap is not None or _finite(used):
                rows.append((f"used {d}", used, d))
                rows.append((f"capacity {d}", cap, d))
                rows.append((f"utilisation {d}",
                             f"{100 * util:.0f} %" if _finite(util) else None, ""))
        rows += [("tonnes in", t_in.get(n, 0.0), "t/yr"), ("tonnes out", t_out.get(n, 0.0),
                                                          "t/yr"),
                 ("trips in", n_in.get(n, 0.0), "trips/yr"),
                 ("trips out", n_out.get(n, 0.0), "trips/yr")]
        if hrow:
            rows.append(("hub throughput", hrow["throughput_t"], "t/yr"))
        if srow and srow.get("facilities"):
            rows.append(("facilities", srow["facilities"], ""))
        if srow and _finite(srow.get("annual_cost_eur")) and srow["annual_cost_eur"]:
            rows.append(("site cost", srow["annual_cost_eur"], "EUR/yr"))
        elif hrow and hrow["annual_cost_eur"]:
            rows.append(("hub cost", hrow["annual_cost_eur"], "EUR/yr"))
        feats.append({"id": n, "latlng": _ll(ll[n]), "radius": round(radius, 2),
                      "fill": fill, "stroke": stroke, "dash": dash, "kind": node.kind,
                      "open": status == "open",
                      "tooltip": html.escape(f"{_name(sc, n)} ({n})"),
                      "label": html.escape(_name(sc, n)),
                      "named": node.kind in ("site", "hub", "gateway") or bool(
                          fixed_here.get(n)),
                      "popup": _rows(f"{_name(sc, n)} ({n})", rows)})
    return feats


def _moves(view, ll: dict) -> list[dict]:
    """Dotted lines from today's node to the chosen one for activities that moved."""
    acts = tables.activity_table(view)
    feats = []
    for r in acts.to_dict("records") if len(acts) else []:
        if r["moved"] and r["today"] in ll and r["chosen"] in ll:
            feats.append({"coords": [_ll(ll[r["today"]]), _ll(ll[r["chosen"]])],
                          "today": _ll(ll[r["today"]]),
                          "tooltip": html.escape(f"{r['activity']} moved: {r['today']} → "
                                                 f"{r['chosen']}"),
                          "popup": _rows(f"{r['name'] or r['activity']} moved", [
                              ("today", r["today"], ""), ("chosen", r["chosen"], ""),
                              ("relocation cost", r["relocation_cost_eur"], "EUR/yr")])})
    return feats


KPI_ROWS = (("total_cost_eur", "total cost", "EUR/yr"),
            ("transport_cost_eur", "transport cost", "EUR/yr"),
            ("truck_km", "truck-km", "km/yr"), ("vehicle_trips", "vehicle trips", "trips/yr"),
            ("co2_wtw_t", "CO2 (WTW)", "t CO2e/yr"), ("load_factor", "load factor", ""),
            ("empty_share", "empty share", ""))


def _kpi_html(views: list[tuple[str, dict]]) -> str:
    head = "".join(f"<th>{html.escape(name)}</th>" for name, _ in views)
    body = []
    for key, lab, unit in KPI_ROWS:
        cells = "".join(f"<td>{html.escape(_val(k.get(key)))}</td>" for _, k in views)
        u = f" <span class='co-unit'>[{html.escape(unit)}]</span>" if unit else ""
        body.append(f"<tr><th>{html.escape(lab)}{u}</th>{cells}</tr>")
    return f"<table class='co-kpi'><tr><th></th>{head}</tr>{''.join(body)}</table>"


def _boundaries(basemap, bounds, near_only: bool = False) -> dict | None:
    """The polygons near the map's features as a GeoJSON dict (WGS84), with a popup of
    their first few attributes (all of them when none is near, unless ``near_only``)."""
    poly = layers.read_boundaries(basemap, "EPSG:4326")
    if bounds is not None and len(poly):
        (s, w), (n, e) = bounds
        pad = max(n - s, e - w, 0.05) * 0.5
        from shapely.geometry import box

        near = poly[poly.intersects(box(w - pad, s - pad, e + pad, n + pad))]
        poly = near if len(near) or near_only else poly
    if not len(poly):
        return None
    cols = [c for c in poly.columns if c not in (poly.geometry.name, "_kind")][:6]
    popups = []
    for r in poly[cols].to_dict("records"):
        shown = [(str(c), v, "") for c, v in r.items()]
        name = next((str(v) for c, v in r.items() if isinstance(v, str) and v), "polygon")
        popups.append(_rows(name, shown))
    gdf = poly[[poly.geometry.name]].copy()
    gdf["_popup"] = popups
    if "_kind" in poly:
        gdf["_kind"] = poly["_kind"].to_numpy()
    return json.loads(gdf.to_json(drop_id=True, to_wgs84=False))


def _shipped_background(bounds) -> dict | None:
    """The offline background: the Dutch province and municipality outlines shipped in
    ``data/boundaries`` (``layers.shipped_outlines``) near the map's features, provinces drawn
    heavier and on top; None where the map does not touch the Netherlands."""
    if bounds is None:
        return None
    outlines = layers.shipped_outlines("EPSG:4326")
    out = _boundaries(outlines.sort_values("_kind", key=lambda k: k == "province",
                                           kind="stable"), bounds, near_only=True)
    if not out or not out.get("features"):
        return None
    out["credit"] = layers.OUTLINES_CREDIT
    return out


# -------------------------------------------------------------------------------- page


def webmap_data(out, basemap=None) -> dict:
    """Everything the page draws, as one JSON-able dict."""
    sc = out.scenario
    ll = _node_latlon(sc)
    views: list[tuple[str, str, SimpleNamespace | object, pd.DataFrame, bool]] = []
    b = tables.baseline_of(out)
    if b is not None:
        today = SimpleNamespace(scenario=sc, solution=b[0], results=b[1])
        views.append(("baseline", "Today (B0)", today, tables.leg_table(b[1].legs), True))
    views.append(("optimum", f"Optimum: {tables.label(out)}", out,
                  tables.leg_table(out.results.legs), True))
    tmax = max([float(lt.trips_total.max()) for *_, lt, _ in views if len(lt)] + [0.0])
    tonnes_max = 0.0
    for *_, lt, _ in views:
        if len(lt):
            per = lt.groupby("to").tonnes.sum().add(lt.groupby("from").tonnes.sum(),
                                                    fill_value=0.0)
            tonnes_max = max(tonnes_max, float(per.max()))
    colours = _class_colours(sc, [lt for *_, lt, _ in views])
    lays, legend_classes = [], {}
    points: list[list[float]] = []
    for key, name, view, lt, show in views:
        flows, missing = _flows(sc, lt, ll, colours, tmax)
        sites = _sites(view, lt, ll, tonnes_max)
        if key == "baseline":  # today: faint and dashed under the option, names on the option
            for f in flows:
                f["opacity"], f["dash"] = 0.4, f["dash"] or "6 5"
            for st in sites:
                st["named"] = False
        moves = _moves(view, ll)
        tours = _tours(sc, view.solution, ll)
        for f in flows:
            legend_classes[f["cls"]] = (f["colour"], f["dash"])
            points += [f["coords"][0], f["coords"][-1]]
        for s in sites:  # every node drawn, closed candidate sites too
            points.append(s["latlng"])
        for m in moves:
            points += m["coords"]
        lays.append({"id": key, "name": name, "show": show, "flows": flows, "sites": sites,
                     "moves": moves, "tours": tours, "legs": len(lt),
                     "legs_without_coordinates": missing})
    if not points:  # nothing in use has coordinates: every node that has them
        points = [_ll(p) for p in ll.values()]
    bounds = ([[min(p[0] for p in points), min(p[1] for p in points)],
               [max(p[0] for p in points), max(p[1] for p in points)]] if points else None)
    kpis = [("B0" if key == "baseline" else "optimum", v.results.kpis)
            for key, _, v, _, _ in views]
    notes = [html.escape(f"{lay['legs_without_coordinates']} of {lay['legs']} legs of "
                         f"{lay['name']} are not drawn: their nodes have no coordinates")
             for lay in lays if lay["legs_without_coordinates"]]
    order = sorted(legend_classes, key=lambda c: (c in ("mixed", "empty running"), c))
    return {"title": f"clusteropt: {tables.label(out)}", "label": tables.label(out),
            "layers": lays, "bounds": bounds, "kpis": _kpi_html(kpis),
            "legend": [{"name": html.escape(c), "colour": legend_classes[c][0],
                        "dash": legend_classes[c][1]} for c in order],
            "boundaries": (_boundaries(basemap, bounds) if basemap is not None
                           else _shipped_background(bounds)),
            "tiles": OSM_TILES, "notes": notes,
            "co2_basis": sc.options.co2_basis}


PAGE = r"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>__TITLE__</title>
<script>
window.__coErrors = [];
(function () {
  function note(msg) {
    window.__coErrors.push(String(msg));
    if (document.body) { document.body.dataset.errors = window.__coErrors.join(' | '); }
  }
  window.__coNote = note;
  window.addEventListener('error', function (e) {
    var t = e.target;
    if (t && t !== window && (t.src || t.href)) { note('failed to load ' + (t.src || t.href)); }
    else { note(e.message || 'error'); }
  }, true);
  window.addEventListener('unhandledrejection', function (e) { note('rejection: ' + e.reason); });
  var ce = console.error;
  console.error = function () {
    note('console.error: ' + Array.prototype.join.call(arguments, ' '));
    return ce.apply(console, arguments);
  };
})();
</script>
<style>
__LEAFLET_CSS__
</style>
<style>
html, body { height: 100%; margin: 0; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222; }
#map { position: absolute; top: 0; bottom: 0; left: 0; right: 0; background: #f2efe9; }
.co-box { background: rgba(255,255,255,.93); padding: 6px 9px; border-radius: 5px;
  box-shadow: 0 1px 5px rgba(0,0,0,.4); font-size: 12px; line-height: 1.35; max-width: 300px; }
.co-label { background: transparent; border: 0; box-shadow: none; padding: 0 0 0 2px;
  font-size: 11px; color: #333; text-shadow: 0 0 2px #fff, 0 0 2px #fff, 0 0 3px #fff; }
.co-label::before { display: none; }
.co-box h3 { margin: 0 0 4px; font-size: 13px; }
.co-kpi, .co-pop { border-collapse: collapse; font-size: 12px; }
.co-kpi th, .co-kpi td, .co-pop th, .co-pop td { padding: 1px 5px; text-align: right;
  font-variant-numeric: tabular-nums; }
.co-kpi th:first-child, .co-pop th { text-align: left; font-weight: normal; color: #555; }
.co-unit { color: #888; font-size: 11px; }
.co-key { display: inline-block; width: 26px; height: 0; border-top: 4px solid;
  vertical-align: middle; margin-right: 6px; }
.co-key.dash { border-top-style: dashed; }
.co-dot { display: inline-block; width: 11px; height: 11px; border-radius: 50%;
  border: 2px solid; vertical-align: middle; margin: 0 8px 0 6px; }
.co-note { color: #a00; }
</style>
</head>
<body>
<div id="map" role="region" aria-label="Map of sites and flows"></div>
<script>
__LEAFLET_JS__
</script>
<script type="application/json" id="co-data">__DATA__</script>
<script>
(function () {
  var body = document.body;
  body.dataset.leaflet = (typeof L !== 'undefined') ? 'ok' : 'missing';
  body.dataset.errors = window.__coErrors.join(' | ');
  try {
    var data = JSON.parse(document.getElementById('co-data').textContent);
    var map = L.map('map', {zoomSnap: 0.25});
    if (data.bounds) {
      var b = data.bounds;
      if (b[0][0] === b[1][0] && b[0][1] === b[1][1]) { map.setView(b[0], 12); }
      else { map.fitBounds(b, {paddingTopLeft: [50, 30], paddingBottomRight: [50, 170]}); }
    } else { map.setView([0, 0], 2); }
    map.createPane('co-boundaries').style.zIndex = 350;
    map.createPane('co-flows').style.zIndex = 410;
    map.createPane('co-moves').style.zIndex = 415;
    map.createPane('co-sites').style.zIndex = 420;

    var plain = L.layerGroup().addTo(map);
    var osm = L.tileLayer(data.tiles, {maxZoom: 19,
      attribution: '&copy; OpenStreetMap contributors'});
    var bases = {'Plain background (offline)': plain, 'OpenStreetMap (web tiles)': osm};
    var overlays = {};
    if (data.boundaries) {
      var bl = L.geoJSON(data.boundaries, {pane: 'co-boundaries',
        style: function (f) {
          var prov = f.properties && f.properties._kind === 'province';
          return {color: prov ? '#8d8d8d' : '#c4c4c4', weight: prov ? 1.6 : 0.7,
                  fill: !prov, fillColor: '#ffffff', fillOpacity: 0.6};
        },
        onEachFeature: function (f, l) {
          if (f.properties && f.properties._popup) { l.bindPopup(f.properties._popup); }
        }}).addTo(map);
      overlays['Boundaries'] = bl;
      if (data.boundaries.credit) { map.attributionControl.addAttribution(data.boundaries.credit); }
    }
    var flowFeatures = {}, groups = {};
    // '#show=baseline,optimum' in the address chooses the layers shown at first
    var m = /[#&]show=([\w,-]*)/.exec(window.location.hash);
    var wanted = m ? m[1].split(',') : null;
    data.layers.forEach(function (lay) {
      var g = L.featureGroup();
      var labels = lay.sites.filter(function (s) { return s.named; }).length <= 40;
      lay.flows.forEach(function (f) {
        L.polyline(f.coords, {pane: 'co-flows', color: f.colour, weight: f.weight,
          opacity: f.opacity || 0.8, dashArray: f.dash, lineCap: 'round',
          className: 'co-flow co-' + lay.id})
          .bindPopup(f.popup).bindTooltip(f.tooltip, {sticky: true}).addTo(g);
      });
      (lay.tours || []).forEach(function (t) {
        L.polyline(t.coords, {pane: 'co-flows', color: '#6a3d9a', weight: 2.5, opacity: 0.9,
          dashArray: '8 4', className: 'co-tour co-' + lay.id})
          .bindPopup(t.popup).bindTooltip(t.tooltip, {sticky: true}).addTo(g);
      });
      lay.moves.forEach(function (m) {
        L.polyline(m.coords, {pane: 'co-moves', color: '#444', weight: 2, opacity: 0.9,
          dashArray: '2 6', className: 'co-move co-' + lay.id})
          .bindPopup(m.popup).bindTooltip(m.tooltip, {sticky: true}).addTo(g);
        L.circleMarker(m.today, {pane: 'co-moves', radius: 4, color: '#444', weight: 1.5,
          fillColor: '#fff', fillOpacity: 1, className: 'co-today co-' + lay.id})
          .bindTooltip(m.tooltip).addTo(g);
      });
      lay.sites.forEach(function (s) {
        L.circleMarker(s.latlng, {pane: 'co-sites', radius: s.radius, color: s.stroke,
          weight: 2, dashArray: s.dash, fillColor: s.fill, fillOpacity: 0.85,
          className: 'co-site co-' + lay.id})
          .bindPopup(s.popup)
          .bindTooltip((labels && s.named) ? s.label : s.tooltip, (labels && s.named)
            ? {permanent: true, direction: 'right', offset: [s.radius, 0],
               className: 'co-label'} : {})
          .addTo(g);
      });
      lay.show = wanted ? wanted.indexOf(lay.id) >= 0 : lay.show;
      if (lay.show) { g.addTo(map); }
      overlays[lay.name] = g;
      groups[lay.id] = g;
      flowFeatures[lay.id] = lay.flows.length;
    });
    L.control.layers(bases, overlays, {collapsed: false, position: 'topright'}).addTo(map);
    L.control.scale({metric: true, imperial: false, maxWidth: 200}).addTo(map);

    var info = L.control({position: 'bottomright'});
    info.onAdd = function () {
      var d = L.DomUtil.create('div', 'co-box');
      var h = '<h3>' + data.label.replace(/[<>&]/g, '') + '</h3>' + data.kpis;
      data.notes.forEach(function (n) { h += '<div class="co-note">' + n + '</div>'; });
      d.innerHTML = h;
      L.DomEvent.disableClickPropagation(d);
      return d;
    };
    info.addTo(map);
    var legend = L.control({position: 'bottomleft'});
    legend.onAdd = function () {
      var d = L.DomUtil.create('div', 'co-box');
      var h = '<h3>Flows by load class</h3>';
      data.legend.forEach(function (c) {
        h += '<div><span class="co-key' + (c.dash ? ' dash' : '') +
          '" style="border-color:' + c.colour + '"></span>' + c.name + '</div>';
      });
      h += '<div class="co-unit">line width: trips/yr (loaded + empty); each leg bows to ' +
        'the right of its direction of travel (routes not known)</div>' +
        '<h3 style="margin-top:6px">Sites (size: tonnes in + out)</h3>' +
        '<div><span class="co-dot" style="background:#2ca02c;border-color:#1b5e20"></span>' +
        'development site, open</div>' +
        '<div><span class="co-dot" style="background:#fff;border-color:#1b5e20;' +
        'border-style:dashed"></span>development site, not opened</div>' +
        '<div><span class="co-dot" style="background:#ff7f0e;border-color:#a04000"></span>' +
        'hub, open</div>' +
        '<div><span class="co-dot" style="background:#455a64;border-color:#263238"></span>' +
        'other node</div>' +
        '<div><span class="co-key dash" style="border-color:#444;border-top-width:2px">' +
        '</span>activity moved (from today)</div>' +
        (data.layers.length > 1 ? '<div><span class="co-key dash" style="border-color:#999">' +
        '</span>today (B0): faint, dashed</div>' : '');
      d.innerHTML = h;
      return d;
    };
    legend.addTo(map);

    var drawn = {}, sites = {};
    data.layers.forEach(function (l) {
      drawn[l.id] = document.querySelectorAll('path.co-flow.co-' + l.id).length;
      sites[l.id] = document.querySelectorAll('path.co-site.co-' + l.id).length;
    });
    body.dataset.flows = String(drawn.optimum);
    body.dataset.sites = String(sites.optimum);
    body.dataset.flowsDrawn = JSON.stringify(drawn);
    body.dataset.sitesDrawn = JSON.stringify(sites);
    body.dataset.flowFeatures = JSON.stringify(flowFeatures);
    body.dataset.layers = data.layers.map(function (l) { return l.id; }).join(',');
    body.dataset.boundaries = String(
      document.querySelectorAll('.leaflet-co-boundaries-pane path').length);
    var labelText = [];
    document.querySelectorAll('.co-label').forEach(function (e) {
      labelText.push(e.textContent); });
    body.dataset.labels = JSON.stringify(labelText);
    window.clusteropt = {map: map, groups: groups, osm: osm, data: data};
  } catch (err) {
    window.__coNote('map script: ' + err);
    if (err && err.stack) { console.log(err.stack); }
  }
  body.dataset.errors = window.__coErrors.join(' | ');
  body.dataset.ready = '1';
})();
</script>
</body>
</html>
"""


def webmap_html(out, basemap=None) -> str:
    """The page as a string (see the module docstring)."""
    data = webmap_data(out, basemap)
    js, css = leaflet_assets()
    payload = json.dumps(data, ensure_ascii=False, allow_nan=False, default=_json_default)
    # no "</script>" (or "<!--") can end the data block early
    payload = payload.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    page = PAGE.replace("__TITLE__", html.escape(data["title"]))
    page = page.replace("__LEAFLET_CSS__", css)
    # the data goes in before the Leaflet code, whose text is never searched for placeholders
    page = page.replace("__DATA__", payload)
    return page.replace("__LEAFLET_JS__", js)


def _json_default(v):
    if hasattr(v, "item"):
        v = v.item()
        return None if isinstance(v, float) and not math.isfinite(v) else v
    raise TypeError(f"not JSON serialisable: {type(v).__name__}")


def write_webmap(out, path: Path, basemap: Path | None = None) -> Path:
    """Write ``map.html`` for one Outcome to ``path`` (a file, or a folder to put map.html
    in); ``basemap``: polygons to overlay (GeoJSON, GeoPackage, ... or a GeoDataFrame).
    Returns the file written."""
    path = Path(path)
    if path.is_dir() or not path.suffix:
        path = path / "map.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(webmap_html(out, basemap), encoding="utf-8")
    return path
