"""Results people can look at: a GeoPackage, a workbook, charts, a static map and one
self-contained HTML page per run, plus truck movements per municipality.

Entry points
------------
``write_reports(outcomes, folder, boundaries=None, subfolders=None) -> list[Path]``
    Everything for a list of runs. One run (``subfolders`` False, the default for one): the
    files below go straight into ``folder``. Several runs (or ``subfolders=True``): each run's
    files go into ``folder/<scenario>-<variant or base>/`` (the same subfolder names as the CLI
    uses for summary.json and the CSVs) and an overview (``report.html``,
    ``comparison.xlsx``, ``cost_breakdown.png``, ``truck_km_co2.png``) into ``folder``.
``write_outcome_report(out, folder, boundaries=None, basemap=None) -> list[Path]``
    One run's files into ``folder``, the interactive ``map.html`` included.
``write_comparison(outcomes, folder, links=None) -> list[Path]``
    Only the overview of several runs.

Files of one run
----------------
``results.gpkg``  layers (CRS = the scenario CRS): ``sites`` (development sites, hubs and nodes
that received an activity: open, capacity and utilisation per dimension, shared facilities),
``activities`` (point at the chosen node; today's node and coordinates as attributes),
``legs`` (one straight line per used leg and vehicle type: tonnes, trips, empty_trips,
trips_total, vehicle_km, truck_km = vehicle-km loaded + empty of road vehicles, load_factor,
cost_eur, co2_wtw_kg), ``baseline_legs`` (the same for B0; empty unless the Outcome keeps B0's
solution, see ``tables.baseline_of``), ``hubs``, ``tours`` and ``baseline_tours`` (one line
per multi-stop tour through its stops in order: runs, km and hours per run, truck-km, tonnes,
load per stop, load factor) and, with ``boundaries``, ``municipalities``.
``results.xlsx``  sheets KPIs (kpi, unit, value, baseline_B0, saving_vs_B0 = B0 − value,
positive = less), savings (positive = less), steps, per_tonne, sites, hubs, activities, legs,
baseline_legs, tours and baseline_tours (where a commodity may ride tours), commodities,
municipalities, run; units in the headers (``name [unit]``).
``cost_breakdown.png``, ``savings_waterfall.png`` (with a baseline), ``truck_km_co2.png``,
``map.png`` (B0 and the result side by side when B0's legs are known).
``municipalities.csv`` (with ``boundaries``): trips (loaded + empty, annual) on road legs that
cross or start/end in each polygon, and truck-km allocated by the share of the line inside.
``report.html``: summary, assumptions, solver status, savings split, charts, map and tables,
images inlined.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pandas as pd

from clusteropt.model import tourcols
from clusteropt.report import charts, html, layers, tables
from clusteropt.report.conclusion import conclusion, ranked
from clusteropt.report.tables import outcome_folder_name
from clusteropt.report.webmap import write_webmap

__all__ = ["write_reports", "write_outcome_report", "write_comparison", "outcome_folder_name"]


def write_reports(outcomes: list, folder: Path, boundaries: Path | None = None,
                  subfolders: bool | None = None, basemap: Path | None = None) -> list[Path]:
    """Write the reports of ``outcomes`` into ``folder`` (created if missing); returns the
    files written. See the module docstring for the layout."""
    outcomes = list(outcomes)
    if not outcomes:
        raise ValueError("no outcomes to report")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    subfolders = len(outcomes) > 1 if subfolders is None else subfolders
    polys = (layers.read_boundaries(boundaries, outcomes[0].scenario.crs)
             if boundaries is not None else None)
    written: list[Path] = []
    links = {}
    for o in outcomes:
        target = folder / outcome_folder_name(o) if subfolders else folder
        target.mkdir(parents=True, exist_ok=True)
        written += write_outcome_report(o, target, polys, basemap)
        links[tables.label(o)] = f"{outcome_folder_name(o)}/report.html"
    if subfolders:
        written += write_comparison(outcomes, folder, links)
    return written


def write_outcome_report(out, folder: Path, boundaries=None, basemap=None) -> list[Path]:
    """One run's GeoPackage, workbook, charts, map, municipalities.csv (with ``boundaries``: a
    polygon file or GeoDataFrame), the interactive map.html (``basemap`` polygons overlaid,
    else the boundaries) and report.html into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    sc = out.scenario
    polys = layers.read_boundaries(boundaries, sc.crs) if boundaries is not None else None
    lay, notes = layers.outcome_layers(out, polys)
    written = [layers.write_gpkg(folder / "results.gpkg", lay)]

    sheets = workbook_sheets(out, lay)
    written.append(write_workbook(folder / "results.xlsx", sheets))

    pics: dict[str, Path] = {}
    bars = tables.cost_bars([out])
    pics["Cost breakdown"] = charts.cost_breakdown(
        bars, folder / "cost_breakdown.png", f"Annual cost by component: {tables.label(out)}")
    if out.savings is not None:
        pics["Savings split (waterfall)"] = charts.savings_waterfall(
            out.savings, folder / "savings_waterfall.png",
            f"Savings split: {tables.label(out)} (green = saved)")
    pics["Truck-km and CO2"] = charts.truck_km_co2(bars, folder / "truck_km_co2.png",
                                                   sc.options.co2_basis)
    panels = []
    b = tables.baseline_of(out)
    if b is not None:
        today = SimpleNamespace(scenario=sc, solution=b[0], results=b[1])
        panels.append(("Today (B0): trips per demand", {
            "legs": lay["baseline_legs"], "sites": layers.site_layer(today),
            "activities": layers.activity_layer(today), "hubs": layers.hub_layer(today)}))
    panels.append((f"Optimised: {tables.label(out)}", lay))
    background = polys if polys is not None else layers.shipped_outlines(sc.crs)
    pics["Map of sites and flows"] = charts.flow_map(panels, folder / "map.png", background)
    written += list(pics.values())

    if "municipalities" in lay:
        path = folder / "municipalities.csv"
        lay["municipalities"].drop(columns="geometry").to_csv(path, index=False)
        written.append(path)

    sections = {k: v for k, v in sheets.items()
                if k in ("KPIs", "sites", "hubs", "activities", "legs", "commodities",
                         "municipalities") and (k != "hubs" or len(v))}
    written.append(write_webmap(out, folder / "map.html",
                                basemap if basemap is not None else polys))
    page = html.outcome_page(out, pics, sections, notes)
    path = folder / "report.html"
    path.write_text(page, encoding="utf-8")
    written.append(path)
    return written


def workbook_sheets(out, lay: dict | None = None) -> dict[str, pd.DataFrame]:
    """The workbook's tables by sheet name (plain column names; units are added on writing,
    except on the KPIs sheet, which has a unit column)."""
    if lay is None:
        lay, _ = layers.outcome_layers(out)
    sheets: dict[str, pd.DataFrame] = {"KPIs": tables.kpi_table(out)}
    if out.savings is not None:
        sheets["savings"] = tables.savings_table(out.savings)
        sheets["steps"] = tables.steps_table(out.savings)
        sheets["per_tonne"] = tables.per_tonne_table(out.savings)
    names = ["sites", "hubs", "activities", "legs", "baseline_legs"]
    if tourcols.touring(out.scenario):  # tour sheets only where a commodity may ride tours
        names += ["tours", "baseline_tours"]
    for name in names:
        sheets[name] = pd.DataFrame(lay[name].drop(columns="geometry"))
    if "kind" in sheets["sites"].columns:  # development sites only (hubs have their sheet)
        sheets["sites"] = sheets["sites"][sheets["sites"].kind == "site"].reset_index(drop=True)
    sheets["commodities"] = tables.commodity_table(out)
    if "municipalities" in lay:
        sheets["municipalities"] = pd.DataFrame(lay["municipalities"].drop(columns="geometry"))
    sheets["assumptions"] = tables.run_table(out)
    return sheets


def write_workbook(path: Path, sheets: dict[str, pd.DataFrame]) -> Path:
    """Sheets into an .xlsx (openpyxl) a planner can filter: units in the headers, the header
    row frozen, an autofilter, numbers with thousands separators (two decimals below 100)."""
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        for name, df in sheets.items():
            shown = df if name in ("KPIs", "run", "assumptions") else tables.with_units(df)
            shown.to_excel(xw, sheet_name=name[:31], index=False)
            ws = xw.sheets[name[:31]]
            ws.freeze_panes = "A2"
            if len(shown.columns):
                ws.auto_filter.ref = ws.dimensions
            for i, col in enumerate(shown.columns, start=1):
                values = shown.iloc[:, i - 1]
                width = max([len(str(col))] + [len(_shown(v)) for v in values.iloc[:200]])
                letter = ws.cell(1, i).column_letter
                ws.column_dimensions[letter].width = min(max(8, width + 2), 50)
                numeric = pd.to_numeric(values, errors="coerce")
                if values.dtype.kind in "fi" and numeric.notna().any():
                    big = numeric.abs().max() >= 100
                    for cell in ws[letter][1:]:
                        cell.number_format = "#,##0" if big else "#,##0.00"
    return path


def _shown(v) -> str:
    return f"{v:,.0f}" if isinstance(v, float) and abs(v) >= 100 else str(v)


def write_comparison(outcomes: list, folder: Path, links: dict[str, str] | None = None
                     ) -> list[Path]:
    """Overview of several runs into ``folder``: comparison.xlsx (runs side by side with the
    savings), cost_breakdown.png and truck_km_co2.png (each distinct B0 and every run) and
    report.html linking to each run's page (``links``: label → relative href)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    links = links if links is not None else {
        tables.label(o): f"{outcome_folder_name(o)}/report.html" for o in outcomes}
    by = getattr(outcomes[0], "ranked_by", None) or "total_cost_eur"
    table = ranked(tables.comparison_table(outcomes), by)
    said = conclusion(table, by)
    written = [write_workbook(folder / "comparison.xlsx", {"runs": table})]
    bars = tables.cost_bars(outcomes)
    pics = {"Cost breakdown: today vs variants": charts.cost_breakdown(
                bars, folder / "cost_breakdown.png", "Annual cost by component"),
            "Truck-km and CO2 per variant": charts.truck_km_co2(
                bars, folder / "truck_km_co2.png", outcomes[0].scenario.options.co2_basis)}
    written += list(pics.values())
    path = folder / "report.html"
    maps = {tables.label(o): folder / outcome_folder_name(o) / "map.png" for o in outcomes
            if (folder / outcome_folder_name(o) / "map.png").is_file()}
    path.write_text(html.comparison_page(outcomes, pics, table, links, said, maps),
                    encoding="utf-8")
    written.append(path)
    return written
