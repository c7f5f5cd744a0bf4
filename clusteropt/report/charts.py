"""Charts (PNG) with matplotlib's Agg canvas: cost breakdown, savings waterfall, truck-km and
CO2 per variant, and a static map of sites and flows.

Figures are made with ``matplotlib.figure.Figure`` and ``FigureCanvasAgg`` directly: no pyplot
state and no global backend switch, so this is safe in notebooks and threads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from clusteropt.report import tables

COST_COLOURS = ("#4e79a7", "#f28e2b", "#76b7b2", "#e15759", "#59a14f", "#edc948", "#b07aa1",
                "#9c755f")
MODE_COLOURS = {"road": "#d62728", "barge": "#1f77b4", "rail": "#2ca02c", "sea": "#17becf",
                "air": "#9467bd"}
DPI = 110


def _figure(w: float, h: float) -> Figure:
    fig = Figure(figsize=(w, h), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Figure, path: Path) -> Path:
    fig.savefig(path, format="png", dpi=DPI, bbox_inches="tight", facecolor="white")
    return path


def _thousands(ax, axis: str = "y") -> None:
    fmt = FuncFormatter(lambda v, _: f"{v:,.0f}" if abs(v) >= 10 or v == 0 else f"{v:,.2f}")
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def _num(v: float, signed: bool = False) -> str:
    if v == 0:
        return "±0" if signed else "0"
    sign = "+" if signed else ""
    if abs(v) >= 100:
        return f"{v:{sign},.0f}"
    if abs(v) >= 1:
        return f"{v:{sign},.1f}"
    return f"{v:{sign}.2g}"


def cost_breakdown(bars: list[tuple[str, dict[str, float]]], path: Path,
                   title: str = "Annual cost by component") -> Path:
    """Stacked bars of the cost components (EUR/yr), one bar per (label, KPIs)."""
    fig = _figure(max(6.0, 1.3 * len(bars) + 3), 4.6)
    ax = fig.add_subplot()
    x = np.arange(len(bars))
    bottom = np.zeros(len(bars))
    for (key, name), colour in zip(tables.COST_PARTS, COST_COLOURS):
        vals = np.array([float(k.get(key, 0.0) or 0.0) for _, k in bars])
        if not np.any(np.abs(vals) > 0):
            continue
        ax.bar(x, vals, 0.6, bottom=bottom, label=name, color=colour)
        bottom += vals
    for xi, (_, k) in zip(x, bars):
        total = float(k.get("total_cost_eur", 0.0))
        ax.annotate(f"{total:,.0f}", (xi, total), ha="center", va="bottom", fontsize=8,
                    xytext=(0, 2), textcoords="offset points")
    ax.set_xticks(x, [b[0] for b in bars], rotation=20 if len(bars) > 4 else 0, ha="right"
                  if len(bars) > 4 else "center")
    ax.set_ylabel("EUR/yr")
    ax.set_title(title)
    _thousands(ax)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    ax.margins(y=0.1)
    return _save(fig, path)


def savings_waterfall(savings, path: Path, title: str = "Savings split") -> Path:
    """B0 → relocation → bundling → hub/modal → B3 for cost, truck-km, trips and CO2 (WTW).
    Each step is labelled with its saving (positive = less); green: a step that saves, red:
    one that adds."""
    panels = [("cost_eur", "total_cost_eur", "annual cost (EUR/yr)"),
              ("truck_km", "truck_km", "truck-km (km/yr)"),
              ("trips", "vehicle_trips", "loaded trips (trips/yr)"),
              ("co2_wtw_t", "co2_wtw_t", "CO2 WTW (t/yr)")]
    fig = _figure(10, 7)
    names = ["B0 today", "relocation", "bundling", "hub/modal", "B3 optimum"]
    for i, (eff_key, kpi, ylabel) in enumerate(panels):
        ax = fig.add_subplot(2, 2, i + 1)
        start = float(savings.steps["B0"][kpi])
        end = float(savings.steps["B3"][kpi])
        saved = [float(savings.saving[e][eff_key]) for e in ("relocation", "bundling",
                                                              "hub_modal")]
        level = start
        ax.bar(0, start, 0.6, color="#7f7f7f")
        for j, sv in enumerate(saved, start=1):
            d = -sv  # the bar goes down by what is saved
            colour = "#2ca02c" if sv > 0 else "#d62728" if sv < 0 else "#bbbbbb"
            ax.bar(j, d if d else max(abs(start), 1) * 1e-3, 0.6, bottom=level, color=colour)
            ax.annotate("saves " + _num(sv) if sv >= 0 else "adds " + _num(-sv),
                        (j, max(level, level + d)),
                        ha="center", va="bottom", fontsize=7, xytext=(0, 2),
                        textcoords="offset points")
            ax.plot([j - 0.3 - 0.4, j - 0.3], [level, level], color="#555555", lw=0.6)
            level += d
        ax.bar(4, end, 0.6, color="#1f77b4")
        for j, v in ((0, start), (4, end)):
            ax.annotate(_num(v), (j, v), ha="center",
                        va="bottom", fontsize=7, xytext=(0, 2), textcoords="offset points")
        ax.set_xticks(range(5), names, rotation=25, ha="right", fontsize=8)
        ax.set_title(ylabel, fontsize=10)
        _thousands(ax)
        lo = min(start, end, *np.cumsum([start, *(-v for v in saved)]))
        hi = max(start, end, *np.cumsum([start, *(-v for v in saved)]))
        ax.set_ylim(min(0.0, lo), hi * 1.12 if hi > 0 else 1.0)
    fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, path)


def truck_km_co2(bars: list[tuple[str, dict[str, float]]], path: Path,
                 co2_basis: str = "wtw") -> Path:
    """Truck-km (loaded and empty, stacked) and CO2 (t/yr, both bases) per bar."""
    fig = _figure(max(8.0, 1.6 * len(bars) + 4), 4.2)
    x = np.arange(len(bars))
    labels = [b[0] for b in bars]
    ax = fig.add_subplot(1, 2, 1)
    loaded = np.array([float(k.get("truck_km_loaded", 0.0)) for _, k in bars])
    empty = np.array([float(k.get("truck_km_empty", 0.0)) for _, k in bars])
    ax.bar(x, loaded, 0.6, label="loaded", color="#4e79a7")
    ax.bar(x, empty, 0.6, bottom=loaded, label="empty", color="#a0cbe8")
    for xi, v in zip(x, loaded + empty):
        ax.annotate(f"{v:,.0f}", (xi, v), ha="center", va="bottom", fontsize=7,
                    xytext=(0, 2), textcoords="offset points")
    ax.set_title("truck-km (km/yr)", fontsize=10)
    ax.legend(fontsize=8, frameon=False)
    ax.set_xticks(x, labels, rotation=25, ha="right", fontsize=8)
    _thousands(ax)
    ax.margins(y=0.12)
    ax2 = fig.add_subplot(1, 2, 2)
    w = 0.38
    wtw = [float(k.get("co2_wtw_t", 0.0)) for _, k in bars]
    ttw = [float(k.get("co2_ttw_t", 0.0)) for _, k in bars]
    ax2.bar(x - w / 2, wtw, w, label="WTW" + (" (priced basis)" if co2_basis == "wtw" else ""),
            color="#59a14f")
    ax2.bar(x + w / 2, ttw, w, label="TTW" + (" (priced basis)" if co2_basis == "ttw" else ""),
            color="#8cd17d")
    for xi, v in zip(x, wtw):
        ax2.annotate(f"{v:,.1f}", (xi - w / 2, v), ha="center", va="bottom", fontsize=7,
                     xytext=(0, 2), textcoords="offset points")
    ax2.set_title("CO2 (t CO2e/yr)", fontsize=10)
    ax2.legend(fontsize=8, frameon=False)
    ax2.set_xticks(x, labels, rotation=25, ha="right", fontsize=8)
    _thousands(ax2)
    ax2.margins(y=0.12)
    fig.tight_layout()
    return _save(fig, path)


def flow_map(panels: list[tuple[str, dict]], path: Path, polygons=None) -> Path:
    """A static map with one panel per (title, layers) — ``layers`` as from
    ``layers.outcome_layers`` (``legs``, ``sites``, ``activities``, ``hubs``; for the B0 panel
    its ``baseline_legs`` is passed as ``legs``). Line width by annual trips (loaded + empty),
    colour by mode; arrows from today's node to the chosen one for moved activities;
    ``polygons`` (municipalities; or ``layers.shipped_outlines`` with provinces) as a grey
    background."""
    # one extent and one width scale for every panel
    # the extent covers the flows, the activities and what is open (sites not opened are
    # drawn only where they fall inside it)
    geoms, every = [], []
    tmax = 1.0
    for _, lay in panels:
        for name in ("legs", "sites", "activities", "hubs"):
            g = lay.get(name)
            if g is not None and len(g):
                g = g[g.geometry.notna()]
                every.append(g.geometry)
                if name in ("sites", "hubs"):
                    g = g[g["open"].astype(bool)]
                geoms.append(g.geometry)
        if lay.get("legs") is not None and len(lay["legs"]):
            tmax = max(tmax, float(lay["legs"].trips_total.max()))
        acts = lay.get("activities")
        if acts is not None and len(acts):
            geoms.append(_today_points(acts))
    bounds = _bounds(geoms) or _bounds(every)
    crs = next((g.crs for g in every if g.crs is not None), None)
    aspect = (bounds[3] - bounds[1]) / (bounds[2] - bounds[0]) if bounds else 1.0
    fig = _figure(7.5 * len(panels), min(10.0, max(3.5, 7.5 * aspect)) + 0.8)
    for i, (title, lay) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), i + 1)
        _draw_panel(ax, lay, bounds, tmax, polygons, crs)
        ax.set_title(title, fontsize=11)
    credit = ""
    if polygons is not None and "_kind" in polygons:
        from clusteropt.report.layers import OUTLINES_CREDIT

        credit = f"; {OUTLINES_CREDIT}"
    fig.text(0.5, 0.0, "line width: trips/yr (loaded + empty); legs drawn as straight lines "
             f"between nodes{credit}", ha="center", va="top", fontsize=7, color="#555555")
    return _save(fig, path)


def _today_points(acts):
    import geopandas as gpd
    from shapely.geometry import Point

    pts = [Point(x, y) for x, y in zip(acts.today_x, acts.today_y)
           if x is not None and y is not None and x == x and y == y]
    return gpd.GeoSeries(pts, crs=acts.crs)


def _bounds(geoms) -> tuple[float, float, float, float] | None:
    boxes = [g.total_bounds for g in geoms if len(g)]
    if not boxes:
        return None
    b = np.array(boxes)
    x0, y0, x1, y1 = b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()
    pad = max(x1 - x0, y1 - y0, 1000.0) * 0.08
    return x0 - pad, y0 - pad, x1 + pad, y1 + pad


def _draw_panel(ax, lay: dict, bounds, tmax: float, polygons, crs=None) -> None:
    if polygons is not None and bounds is not None and len(polygons):
        from shapely.geometry import box

        clip = polygons[polygons.intersects(box(*bounds))]
        if "_kind" in clip:  # the shipped outlines: municipalities filled, provinces heavier
            prov = clip[clip["_kind"] == "province"]
            clip = clip[clip["_kind"] != "province"]
        else:
            prov = clip.iloc[:0]
        if len(clip):
            clip.plot(ax=ax, facecolor="#f4f4f4", edgecolor="#c8c8c8", linewidth=0.5)
        if len(prov):
            prov.boundary.plot(ax=ax, color="#8d8d8d", linewidth=1.0)
    legs = lay.get("legs")
    handles = []
    if legs is not None and len(legs):
        g = legs[legs.geometry.notna()]
        for mode, part in g.groupby("mode"):
            colour = MODE_COLOURS.get(mode, "#9467bd")
            loaded = part[part.trips + part.tonnes > 0]
            empty = part[part.trips + part.tonnes <= 0]
            if len(loaded):
                loaded.plot(ax=ax, color=colour, alpha=0.75,
                            linewidth=0.6 + 7.0 * loaded.trips_total.to_numpy() / tmax)
                handles.append(Line2D([], [], color=colour, lw=2.5, label=f"{mode} (loaded)"))
            if len(empty):
                empty.plot(ax=ax, color=colour, alpha=0.45, linestyle="--",
                           linewidth=0.6 + 7.0 * empty.trips_total.to_numpy() / tmax)
                handles.append(Line2D([], [], color=colour, lw=1.5, ls="--",
                                      label=f"{mode} (empty only)"))
    acts = lay.get("activities")
    sites = lay.get("sites")
    site_ids = set(sites.site[sites.kind == "site"]) if sites is not None and len(sites) \
        else set()
    if acts is not None and len(acts):
        moved = acts[acts.moved.astype(bool) & acts.geometry.notna()]
        left = set()
        for r in moved.itertuples():
            if r.today_x is not None and r.today_x == r.today_x:
                ax.annotate("", xy=(r.geometry.x, r.geometry.y), xytext=(r.today_x, r.today_y),
                            arrowprops=dict(arrowstyle="->", color="#444444", lw=1.2,
                                            linestyle=":"))
                if r.today not in left:
                    left.add(r.today)
                    ax.plot([r.today_x], [r.today_y], "o", mfc="white", mec="#444444", ms=5,
                            zorder=4)
                    ax.annotate(r.today, (r.today_x, r.today_y), fontsize=7, xytext=(3, 3),
                                textcoords="offset points", color="#777777")
        if len(moved):
            handles.append(Line2D([], [], color="#444444", lw=1.2, ls=":", marker="o",
                                  mfc="white", ms=4, label="activity moved (from today)"))
        pts = acts[acts.geometry.notna()].drop_duplicates("chosen")
        if len(pts):
            pts.plot(ax=ax, color="#333333", markersize=14 if len(pts) <= 30 else 6, zorder=4)
            # many nodes: label only the fixed ones (destinations, suppliers, gateways)
            fixed = set(acts.chosen[~acts.movable.astype(bool)])
            for r in pts.itertuples():
                if r.chosen not in site_ids and (len(pts) <= 15 or r.chosen in fixed):
                    ax.annotate(r.chosen, (r.geometry.x, r.geometry.y), fontsize=7,
                                xytext=(3, 3), textcoords="offset points", color="#222222")
    if sites is not None and len(sites):
        dev = sites[sites.kind.isin(["site"]) & sites.geometry.notna()]
        if bounds is not None:
            dev = dev[dev.geometry.x.between(bounds[0], bounds[2])
                      & dev.geometry.y.between(bounds[1], bounds[3])]
        for is_open, face, lab in ((True, "#2ca02c", "site opened"),
                                   (False, "white", "site not opened")):
            part = dev[dev["open"].astype(bool) == is_open]
            if len(part):
                part.plot(ax=ax, marker="s", markersize=60, facecolor=face,
                          edgecolor="#1b5e20", zorder=5)
                handles.append(Line2D([], [], marker="s", ls="", markerfacecolor=face,
                                      markeredgecolor="#1b5e20", label=lab))
                for r in part.itertuples():
                    ax.annotate(r.site, (r.geometry.x, r.geometry.y), fontsize=7,
                                xytext=(4, -9), textcoords="offset points", color="#1b5e20")
    hubs = lay.get("hubs")
    if hubs is not None and len(hubs):
        for is_open, face, lab in ((True, "#ff7f0e", "hub open"), (False, "white", "hub closed")):
            part = hubs[(hubs["open"].astype(bool) == is_open) & hubs.geometry.notna()]
            if len(part):
                part.plot(ax=ax, marker="^", markersize=70, facecolor=face,
                          edgecolor="#a04000", zorder=5)
                handles.append(Line2D([], [], marker="^", ls="", markerfacecolor=face,
                                      markeredgecolor="#a04000", label=lab))
    if bounds is not None:
        ax.set_xlim(bounds[0], bounds[2])
        ax.set_ylim(bounds[1], bounds[3])
        _scale_bar(ax, bounds, crs)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    if handles:
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.01), ncol=3,
                  fontsize=7, frameon=False)


def _scale_bar(ax, bounds, crs=None) -> None:
    """A bar of a round number of true km near the top right. Where the map's CRS is not to
    scale there (Web Mercator away from the equator) the bar is drawn at the local scale,
    measured on the WGS84 geodesic, and says so."""
    width = bounds[2] - bounds[0]
    y0 = bounds[3] - (bounds[3] - bounds[1]) * 0.05
    scale = 1.0  # map metres per true metre at the bar
    if crs is not None:
        from pyproj import Geod, Transformer

        x_mid = bounds[2] - width * 0.15
        tf = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
        (lo1, lo2), (la1, la2) = tf.transform([x_mid - width * 0.05, x_mid + width * 0.05],
                                              [y0, y0])
        true_m = Geod(ellps="WGS84").inv(lo1, la1, lo2, la2)[2]
        if np.isfinite(true_m) and true_m > 0:
            scale = width * 0.1 / true_m
    target = width / 5 / scale
    km = max(1, int(10 ** np.floor(np.log10(target / 1000.0))))
    for m in (5, 2, 1):
        if m * km * 1000 <= target:
            km *= m
            break
    bar = km * 1000 * scale
    x0 = bounds[2] - width * 0.05 - bar
    ax.plot([x0, x0 + bar], [y0, y0], color="black", lw=2)
    local = " (at this latitude)" if abs(scale - 1.0) > 0.02 else ""
    ax.text(x0 + bar / 2, y0, f"{km:,} km{local}", ha="center", va="bottom", fontsize=7)
