"""Report tables built from an Outcome: KPIs with units, the savings split, legs per leg and
vehicle type, sites, hubs and activities with their coordinates (scenario CRS), and the
column-unit convention used in the workbook and on the page.

Every function here returns plain pandas DataFrames (geometry is added by ``layers``)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from clusteropt import rates
from clusteropt.results import KPI_UNITS, Results, lead_time_h
from clusteropt.savings import (
    EFFECT_KPIS,
    EFFECT_UNITS,
    EFFECTS,
    PER_TONNE_UNITS,
    STEPS,
    demanded_tonnes,
    per_tonne,
)
from clusteropt.scenario import Scenario
from clusteropt.solution import Solution

# cost components in the order of the stacked bars (KPI key, label)
COST_PARTS = (("development_cost_eur", "development"), ("relocation_cost_eur", "relocation"),
              ("facilities_cost_eur", "facilities"), ("transport_cost_eur", "transport"),
              ("toll_cost_eur", "toll"),
              ("internal_cost_eur", "internal"), ("handling_cost_eur", "handling"),
              ("disposal_cost_eur", "disposal"), ("carbon_cost_eur", "carbon"),
              ("air_pollution_cost_eur", "NOx/PM10"))
STEP_LABELS = {"B0": "B0 today", "B1": "B1 relocated", "B2": "B2 + bundling",
               "B3": "B3 optimum"}
EFFECT_LABELS = {"relocation": "relocation", "bundling": "bundling", "hub_modal": "hub/modal",
                 "total": "total"}

# units of table columns (annual figures unless the unit says otherwise)
COLUMN_UNITS: dict[str, str] = {
    **KPI_UNITS,
    "distance_km": "km", "tonnes": "t/yr", "trips": "trips/yr", "empty_trips": "trips/yr",
    "trips_total": "trips/yr", "vehicle_km_loaded": "km/yr", "vehicle_km_empty": "km/yr",
    "vehicle_km": "km/yr", "truck_km": "km/yr", "tonne_km": "tkm/yr",
    "capacity_tkm": "tkm/yr", "cost_eur": "EUR/yr", "toll_eur": "EUR/yr",
    "nox_kg": "kg NOx/yr", "pm10_kg": "kg PM10/yr", "air_pollution_eur": "EUR/yr",
    "co2_wtw_kg": "kg CO2e/yr (WTW)",
    "co2_ttw_kg": "kg CO2e/yr (TTW)", "co2_wtw_t": "t CO2e/yr (WTW)",
    "co2_ttw_t": "t CO2e/yr (TTW)",
    "load_factor": "share", "x": "m", "y": "m", "today_x": "m", "today_y": "m",
    "chosen_x": "m", "chosen_y": "m", "lat": "deg", "lon": "deg", "today_lat": "deg",
    "today_lon": "deg", "throughput_t": "t/yr", "handling_cost_eur": "EUR/yr",
    "handling_eur_per_t": "EUR/t", "annual_cost_eur": "EUR/yr",
    "relocation_cost_eur": "EUR/yr", "facility_modules": "modules",
    "trips_from_or_to": "trips/yr", "trips_through": "trips/yr",
    "demanded_tonnes": "t/yr", "today_demanded_tonnes": "t/yr",
    "baseline_trips": "trips/yr", "baseline_truck_km": "km/yr", "saving_trips": "trips/yr",
    "saving_truck_km": "km/yr", "runs": "runs/yr", "km_per_run": "km", "hours_per_run": "h",
    "load_per_stop_t": "t per run",
}


def unit_of(column: str, dims: list[str] | None = None) -> str | None:
    """Unit of a table column by name (``COLUMN_UNITS``, then prefixes: ``utilisation_*`` is a
    share, ``used_<dim>``/``capacity_<dim>`` are in the dimension's own unit, e.g. ha;
    ``*_pct`` is % of B0)."""
    if column in COLUMN_UNITS:
        return COLUMN_UNITS[column]
    if column.startswith("utilisation_"):
        return "share"
    for prefix in ("used_", "capacity_", "size_"):
        if column.startswith(prefix):
            return column[len(prefix):]
    if column.endswith("_pct") or column.startswith("saving_pct_"):
        return "% of B0"
    if column.startswith("lead_time_h"):
        return "h"
    for key in sorted({**EFFECT_UNITS, **PER_TONNE_UNITS}, key=len, reverse=True):
        if column == key or column.endswith("_" + key):
            return {**EFFECT_UNITS, **PER_TONNE_UNITS}[key]
    for prefix in ("baseline_", "saving_vs_"):
        if column.startswith(prefix) and column[len(prefix):] in KPI_UNITS:
            return KPI_UNITS[column[len(prefix):]]
    return None


def with_units(df: pd.DataFrame) -> pd.DataFrame:
    """The table with ``name [unit]`` headers where a unit is known."""
    return df.rename(columns={c: f"{c} [{u}]" for c in df.columns
                              if isinstance(c, str) and (u := unit_of(c))})


def label(out) -> str:
    """'scenario / variant' ('base' without a variant)."""
    sc = out.scenario
    return f"{sc.name} / {sc.variant or 'base'}"


def outcome_folder_name(out) -> str:
    """The per-outcome subfolder name, the same as ``cli._write_folder`` uses."""
    return f"{out.scenario.name}-{out.scenario.variant or 'base'}"


def baseline_of(out) -> tuple[Solution, Results] | None:
    """B0's solution and results if the Outcome keeps them (``baseline_solution`` and
    ``baseline_results`` attributes, or a ``baseline`` Outcome), else None."""
    sol = getattr(out, "baseline_solution", None)
    res = getattr(out, "baseline_results", None)
    if sol is None or res is None:
        b = getattr(out, "baseline", None)
        if b is not None and hasattr(b, "solution") and hasattr(b, "results"):
            sol, res = b.solution, b.results
    if sol is None or res is None:
        return None
    return sol, res


# --------------------------------------------------------------------------------- nodes


def node_xy(sc: Scenario) -> dict[str, tuple[float, float] | None]:
    """Node → (x, y) in the scenario CRS: the projected coordinates the lanes filled in, else
    lat/lon projected here; None for a node without coordinates (matrix scenarios)."""
    out: dict[str, tuple[float, float] | None] = {}
    todo = []
    for n, node in sc.nodes.items():
        if _finite(node.x) and _finite(node.y):
            out[n] = (float(node.x), float(node.y))
        elif _finite(node.lat) and _finite(node.lon):
            todo.append(n)
            out[n] = None
        else:
            out[n] = None
    if todo:
        try:
            from pyproj import Transformer

            tf = Transformer.from_crs("EPSG:4326", sc.crs, always_xy=True)
            xs, ys = tf.transform([sc.nodes[n].lon for n in todo],
                                  [sc.nodes[n].lat for n in todo])
            for n, x, y in zip(todo, np.atleast_1d(xs), np.atleast_1d(ys)):
                if math.isfinite(x) and math.isfinite(y):
                    out[n] = (float(x), float(y))
        except Exception:  # noqa: BLE001 - no usable CRS: nodes stay without coordinates
            pass
    return out


def _finite(v: Any) -> bool:
    return v is not None and isinstance(v, int | float) and math.isfinite(v)


# ---------------------------------------------------------------------------------- KPIs


def kpi_table(out) -> pd.DataFrame:
    """KPI, unit, value (the summary's KPIs), and B0's value and the change where a baseline
    was evaluated."""
    k = out.results.kpis
    keys = [c for c in KPI_UNITS if c in k] + [c for c in k if c not in KPI_UNITS]
    df = pd.DataFrame({"kpi": keys, "unit": [KPI_UNITS.get(c, "") for c in keys],
                       "value": [k[c] for c in keys]})
    if out.savings is not None:
        b0 = out.savings.steps["B0"]
        df["baseline_B0"] = [b0.get(c) for c in keys]
        df["saving_vs_B0"] = [b0[c] - k[c] if c in b0 else None for c in keys]
    return df


def savings_table(savings) -> pd.DataFrame:
    """One row per effect (relocation, bundling, hub/modal, total): the saving against the
    step before (positive = less) in euro (total, logistics, investment, transport), truck-km,
    trips and t CO2 (TTW, WTW), and in % of B0."""
    rows = []
    for eff in EFFECTS:
        row: dict[str, Any] = {"effect": eff, "from_to": "−".join(EFFECTS[eff])}
        for key in EFFECT_KPIS:
            row[f"saving_{key}"] = savings.saving[eff][key]
        for key in EFFECT_KPIS:
            row[f"saving_pct_{key}"] = savings.pct_of_b0[eff][key]
        rows.append(row)
    return pd.DataFrame(rows)


def per_tonne_table(savings) -> pd.DataFrame:
    """€/t, truck-km/t and kg CO2 (WTW)/t of each step, and B0 − B3 per tonne."""
    rows = [{"step": STEP_LABELS[s], "demanded_tonnes": savings.step_tonnes(s),
             **per_tonne(savings.steps[s], savings.step_tonnes(s))} for s in STEPS]
    rows.append({"step": "saving B0 − B3 per tonne", "demanded_tonnes": None,
                 **(savings.saving_per_t or {})})
    return pd.DataFrame(rows)


def steps_table(savings) -> pd.DataFrame:
    """B0–B3 with every KPI (one row per step) and the status of its solve."""
    rows = []
    for s in STEPS:
        rows.append({"step": s, "meaning": STEP_LABELS[s], "status": savings.statuses.get(s),
                     **savings.steps[s]})
    return pd.DataFrame(rows)


def run_table(out) -> pd.DataFrame:
    """Run facts and assumptions as (item, value) rows."""
    d = out.to_dict()
    rows = [("scenario", d["scenario"]), ("variant", d["variant"] or "base"),
            ("status", d["status"]), ("gap", d["gap"]), ("objective_eur", d["objective_eur"]),
            ("best_bound_eur", d["best_bound_eur"]),
            ("independent_check", "passed" if out.check.passed else "FAILED")]
    rows += [(f"assumption: {k}", v) for k, v in d["assumptions"].items()]
    rows += [(f"model: {k}", v) for k, v in d["model"].items()]
    rows += [(f"run: {k}", v) for k, v in d["run"].items()]
    return pd.DataFrame(rows, columns=["item", "value"]).astype({"value": str})


# ---------------------------------------------------------------------------------- legs

LEG_COLUMNS = ["from", "to", "vehicle", "mode", "load_classes", "distance_km", "tonnes",
               "trips", "empty_trips", "trips_total", "vehicle_km_loaded", "vehicle_km_empty",
               "vehicle_km", "truck_km", "tonne_km", "capacity_tkm", "load_factor", "cost_eur",
               "co2_wtw_kg", "nox_kg", "pm10_kg"]


def leg_table(legs: pd.DataFrame) -> pd.DataFrame:
    """``Results.legs`` (per leg, vehicle type and load class, empties apart) as one row per
    used leg and vehicle type: tonnes, loaded and empty trips (gateway empties included),
    vehicle-km loaded + empty (``truck_km``: the same for road vehicles, 0 for barge/rail),
    mass load factor of trip-priced vehicles (tonne-km ÷ capacity tonne-km), cost and CO2."""
    if legs is None or not len(legs):
        return pd.DataFrame({c: pd.Series(dtype=object if c in ("from", "to", "vehicle", "mode",
                                                                "load_classes") else float)
                             for c in LEG_COLUMNS})
    df = legs.copy()
    for c in ("tonnes", "trips", "empty_trips", "vehicle_km_loaded", "vehicle_km_empty",
              "tonne_km", "capacity_tkm", "cost_eur", "co2_wtw_kg", "nox_kg", "pm10_kg"):
        df[c] = pd.to_numeric(df[c], errors="coerce").fillna(0.0) if c in df.columns else 0.0
    g = df.groupby(["from", "to", "vehicle"], as_index=False, sort=True)
    out = g.agg(mode=("mode", "first"),
                load_classes=("load_class", lambda s: ";".join(sorted(
                    {str(v) for v in s if v != "(empty)"}))),
                distance_km=("distance_km", "first"), tonnes=("tonnes", "sum"),
                trips=("trips", "sum"), empty_trips=("empty_trips", "sum"),
                vehicle_km_loaded=("vehicle_km_loaded", "sum"),
                vehicle_km_empty=("vehicle_km_empty", "sum"), tonne_km=("tonne_km", "sum"),
                capacity_tkm=("capacity_tkm", "sum"), cost_eur=("cost_eur", "sum"),
                co2_wtw_kg=("co2_wtw_kg", "sum"), nox_kg=("nox_kg", "sum"),
                pm10_kg=("pm10_kg", "sum"))
    out["trips_total"] = out.trips + out.empty_trips
    out["vehicle_km"] = out.vehicle_km_loaded + out.vehicle_km_empty
    out["truck_km"] = out.vehicle_km.where(out["mode"] == "road", 0.0)
    out["load_factor"] = (out.tonne_km / out.capacity_tkm).where(out.capacity_tkm > 0)
    used = (out.trips_total > 1e-9) | (out.tonnes > 1e-9)
    return out.loc[used, LEG_COLUMNS].reset_index(drop=True)


# ------------------------------------------------------------------------- sites and hubs


def tour_table(sc: Scenario, sol: Solution) -> pd.DataFrame:
    """One row per tour and period: depot, vehicle, direction, the stops in order, runs a
    year, km and hours per run, truck-km a year, tonnes a year and the load per stop and run
    ("stop: t; …", the tonnes each run takes there on average); empty without a solution."""
    if sol is None:
        return pd.DataFrame(columns=TOUR_TABLE_COLS)
    w = {p.id: p.weight for p in sc.periods}
    taken = (sol.tour_loads.groupby(["period", "tour", "stop"]).tonnes.sum()
             if len(sol.tour_loads) else pd.Series(dtype=float))
    rows = []
    for r in sol.tours.itertuples(index=False):
        stops = str(r.stops).split(";")
        per = [float(taken.get((r.period, r.tour, s), 0.0)) for s in stops]
        rows.append({"period": r.period, "tour": r.tour, "depot": r.depot,
                     "vehicle": r.vehicle, "direction": r.direction,
                     "load_class": r.load_class, "stops": " → ".join(stops),
                     "stop_count": len(stops), "runs": r.runs * w[r.period],
                     "km_per_run": r.km, "hours_per_run": r.hours,
                     "truck_km": r.runs * w[r.period] * r.km,
                     "tonnes": sum(per) * w[r.period],
                     "load_per_stop_t": "; ".join(f"{s}: {t / r.runs:.2f}" for s, t
                                                  in zip(stops, per) if r.runs),
                     "load_factor": sum(per) / (r.runs * sc.vehicles[r.vehicle].payload_t)
                     if r.runs else 0.0})
    return pd.DataFrame(rows, columns=TOUR_TABLE_COLS)


TOUR_TABLE_COLS = ["period", "tour", "depot", "vehicle", "direction", "load_class", "stops",
                   "stop_count", "runs", "km_per_run", "hours_per_run", "truck_km", "tonnes",
                   "load_per_stop_t", "load_factor"]


def hub_throughput(sc: Scenario, sol: Solution) -> dict[str, float]:
    """Annual tonnes through each hub (counted once per pass, from ``flows.path``)."""
    w = {p.id: p.weight for p in sc.periods}
    out: dict[str, float] = {}
    f = sol.flows
    if not len(f) or "path" not in f.columns:
        return out
    for path, t, p in zip(f.path, f.tonnes, f.period):
        for h in str(path).split(";")[1:-1]:
            out[h] = out.get(h, 0.0) + float(t) * w[p]
    return out


def site_table(out) -> pd.DataFrame:
    """Development sites, hubs and nodes that received a movable activity: opened or not,
    capacity and utilisation per capacity dimension, annual site cost if open, shared
    facilities built (``facility×modules``) and the activities connected, hub throughput."""
    sc, sol = out.scenario, out.solution
    base = out.results.sites.copy() if len(out.results.sites) else pd.DataFrame(
        columns=["site", "kind", "open", "activities"])
    hubs = [n for n, node in sc.nodes.items() if node.kind == "hub"
            and n not in set(base.get("site", []))]
    if hubs:
        extra = pd.DataFrame([{"site": h, "kind": "hub", "open": int(sol.open_sites.get(h, 0)),
                               "activities": ""} for h in hubs])
        base = pd.concat([base, extra], ignore_index=True) if len(base) else extra
    if not len(base):
        return base
    through = hub_throughput(sc, sol)
    fac = sol.facilities
    names, caps, annual, facs, modules, connected, thr = [], [], [], [], [], [], []
    for s, is_open in zip(base.site, base["open"]):
        node = sc.nodes[s]
        names.append(node.name)
        caps.append(node.capacity)
        annual.append(rates.annual_site_cost(sc, s) if node.kind in ("site", "hub")
                      and int(is_open) else 0.0)
        here = fac[fac.site == s] if len(fac) else fac
        facs.append(";".join(f"{r.facility}×{int(r.modules)}"
                             for r in here.itertuples(index=False)) if len(here) else "")
        modules.append(float(here.modules.sum()) if len(here) else 0.0)
        connected.append(";".join(sorted({a for c in here.connected for a in str(c).split(";")
                                          if a})) if len(here) else "")
        thr.append(through.get(s, 0.0) if node.kind == "hub" else float("nan"))
    base.insert(1, "name", names)
    base["open"] = base["open"].fillna(0).astype(int).astype(bool)
    for d in sc.capacity_dims():
        if any(d in c for c in caps):
            base[f"capacity_{d}"] = [c.get(d) for c in caps]
    base["annual_cost_eur"] = annual
    base["facilities"] = facs
    base["facility_modules"] = modules
    base["connected"] = connected
    base["throughput_t"] = thr
    # utilisation columns next to the capacity columns
    first = ["site", "name", "kind", "open", "activities"]
    dims = [c for c in base.columns if c.startswith(("capacity_", "used_", "utilisation_"))]
    rest = [c for c in base.columns if c not in first and c not in dims]
    return base[first + sorted(dims, key=lambda c: (c.split("_", 1)[1], c)) + rest]


def hub_table(out) -> pd.DataFrame:
    """Hubs: open or not, modes, annual cost if open, throughput (t/yr) and handling cost."""
    sc, sol = out.scenario, out.solution
    through = hub_throughput(sc, sol)
    rows = []
    for n, node in sc.nodes.items():
        if node.kind != "hub":
            continue
        is_open = bool(sol.open_sites.get(n, 0))
        rows.append({"hub": n, "name": node.name, "open": is_open,
                     "modes": ";".join(node.modes),
                     "annual_cost_eur": rates.annual_site_cost(sc, n) if is_open else 0.0,
                     "throughput_t": through.get(n, 0.0),
                     "handling_eur_per_t": node.handling_eur_per_t,
                     "handling_cost_eur": through.get(n, 0.0) * node.handling_eur_per_t})
    return pd.DataFrame(rows, columns=["hub", "name", "open", "modes", "annual_cost_eur",
                                       "throughput_t", "handling_eur_per_t",
                                       "handling_cost_eur"])


def activity_table(out) -> pd.DataFrame:
    """Every activity: today's node and the chosen one with coordinates, moved or not, the
    annualised relocation cost of the move and its size."""
    sc, sol = out.scenario, out.solution
    xy = node_xy(sc)
    rows = []
    for f, a in sc.activities.items():
        today = a.stay_node() or ""
        chosen = sol.placement.get(f, "")
        t_xy = xy.get(today) if today else None
        c_xy = xy.get(chosen) if chosen else None
        t_node = sc.nodes.get(today)
        row = {"activity": f, "name": a.name, "movable": a.movable, "new": a.new,
               "today": today, "chosen": chosen,
               "chosen_name": sc.nodes[chosen].name if chosen in sc.nodes else "",
               "moved": bool(a.movable and chosen and chosen != a.stay_node()),
               "today_x": t_xy[0] if t_xy else None, "today_y": t_xy[1] if t_xy else None,
               "today_lat": t_node.lat if t_node else None,
               "today_lon": t_node.lon if t_node else None,
               "chosen_x": c_xy[0] if c_xy else None, "chosen_y": c_xy[1] if c_xy else None,
               "relocation_cost_eur": sc.annuity(a.reloc_cost_eur.get(chosen, 0.0))
               if chosen else 0.0}
        for d, v in a.size.items():
            row[f"size_{d}"] = v
        rows.append(row)
    table = pd.DataFrame(rows)
    firms = getattr(out, "firms", None)
    if firms is not None and len(firms) and len(table):
        extra = [c for c in firms.columns if c not in table.columns or c == "activity"]
        table = table.merge(firms[extra], on="activity", how="left")
    return table


FIRM_COLUMNS = {  # column of the per-firm table → its heading in the report
    "name": "firm", "chosen_name": "placed at", "logistics_cost_eur": "logistics €/yr",
    "today_logistics_cost_eur": "today €/yr", "saving_logistics_cost_eur": "saving €/yr",
    "saving_truck_km": "saving truck-km/yr", "saving_co2_wtw_t": "saving t CO2 (WTW)/yr",
    "break_even_relocation_eur": "break-even relocation €",
    "break_even_relocation_eur_per_ha": "break-even €/ha"}


def winners_and_losers(out) -> pd.DataFrame:
    """The firms by their logistics saving against today (largest gain first), with the
    break-even relocation cost of the movable ones, in words and units for the report."""
    table = activity_table(out)
    if "saving_logistics_cost_eur" not in table.columns:
        return pd.DataFrame()
    table = table[table.saving_logistics_cost_eur.notna()
                  | table.movable.astype(bool)].sort_values("saving_logistics_cost_eur",
                                                              ascending=False)
    cols = [c for c in FIRM_COLUMNS if c in table.columns]
    return table[cols].rename(columns=FIRM_COLUMNS)


def commodity_table(out) -> pd.DataFrame:
    return out.results.commodities.copy()


# ------------------------------------------------------------------------- bar-chart data


def cost_bars(outcomes: list) -> list[tuple[str, dict[str, float]]]:
    """(label, KPIs) for the cost and truck-km charts. One outcome: its steps B0–B3 (or only
    the result without a baseline). Several: each distinct baseline B0 ('today'), then every
    outcome's result."""
    if len(outcomes) == 1:
        o = outcomes[0]
        if o.savings is None:
            return [(o.scenario.variant or "result", o.results.kpis)]
        return [(STEP_LABELS[s], o.savings.steps[s]) for s in STEPS]
    bars: list[tuple[str, dict[str, float]]] = []
    seen: list[dict[str, float]] = []
    for o in outcomes:
        if o.savings is None:
            continue
        b0 = o.savings.steps["B0"]
        if any(_same(b0, s) for s in seen):
            continue
        seen.append(b0)
        bars.append((f"today ({o.scenario.variant or 'base'})", b0))
    if len(bars) == 1:
        bars = [("today (B0)", bars[0][1])]
    bars += [(o.scenario.variant or "base", o.results.kpis) for o in outcomes]
    return bars


def _same(a: dict[str, float], b: dict[str, float]) -> bool:
    return all(math.isclose(a.get(k, 0.0), b.get(k, 0.0), rel_tol=1e-9, abs_tol=1e-6)
               for k in ("total_cost_eur", "truck_km", "co2_wtw_t", "vehicle_trips"))


def comparison_row(o) -> dict[str, Any]:
    """One outcome as a row of ``compare``: status, gap, check, every KPI, its per-tonne
    figures, the savings against its own B0 (``saving_*``, positive = less) and B0's KPIs
    (``baseline_*``), ``comparable_with_today`` (false when its tonnes differ from today's:
    read the per-tonne savings then), and the door-to-door lead time into each of
    ``o.lead_to`` now and today (``lead_time_h_<id>``, ``baseline_lead_time_h_<id>``);
    ``no_savings_because`` when the savings split could not be computed."""
    row: dict[str, Any] = {"scenario": o.scenario.name, "variant": o.scenario.variant
                           or "base", "status": o.report.status, "gap": o.report.gap,
                           "check": o.check.passed, **o.results.kpis,
                           **per_tonne(o.results.kpis, demanded_tonnes(o.scenario))}
    if o.savings is not None:
        row.update(o.savings.flat())
    elif getattr(o, "baseline_unavailable", None):
        row["no_savings_because"] = o.baseline_unavailable
    today = getattr(o, "today_demanded_tonnes", None)
    if today is not None:  # compare: is this run's volume today's?
        row["today_demanded_tonnes"] = today
        row["demanded_tonnes"] = demanded_tonnes(o.scenario)
        row["comparable_with_today"] = bool(
            row.get("comparable_with_today", True)
            and math.isclose(row["demanded_tonnes"], today, rel_tol=1e-9, abs_tol=1e-6))
    for dest in getattr(o, "lead_to", ()):
        row[f"lead_time_h_{dest}"] = lead_time_h(o.scenario, o.lanes, o.solution, dest)
        if o.baseline_solution is not None:
            row[f"baseline_lead_time_h_{dest}"] = lead_time_h(o.scenario, o.lanes,
                                                              o.baseline_solution, dest)
    return row


def comparison_units(columns) -> dict[str, str]:
    """The unit of every column of a comparison table that has one; savings say their sign."""
    out = {}
    for c in columns:
        u = unit_of(str(c))
        if u is not None:
            out[c] = u + (" (today − option, positive = less)" if str(c).startswith("saving_")
                          else "")
    return out


def comparison_table(outcomes: list) -> pd.DataFrame:
    """One row per outcome (see ``comparison_row``)."""
    return pd.DataFrame([comparison_row(o) for o in outcomes])
