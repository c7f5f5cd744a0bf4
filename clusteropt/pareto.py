"""The cost–CO2 trade-off: an ε-constraint frontier of annual cost against annual CO2.

``pareto(sc, lanes, points)`` solves:

* the **min-cost end**: minimum cost, then (lexicographic) minimum CO2 among the solutions
  within a tiny tolerance of that cost;
* the **min-CO2 end**: minimum CO2, then minimum cost with CO2 ≤ that minimum + a tiny
  tolerance;
* ``points`` **interior points** with ε evenly spaced strictly between the two ends' CO2:
  minimum cost subject to CO2 ≤ ε, then minimum CO2 at that cost (so that no point is only
  weakly efficient).

So the frontier has up to ``points + 2`` rows (points that coincide are kept once).

Cost and CO2
------------
``cost_eur`` is the annual cost **without the CO2 price** (development, relocation,
facilities, transport, internal, handling, disposal): the frontier is computed with the price
set to 0, so that CO2 is not counted on both axes and one frontier serves every price. The
scenario's price is applied afterwards: ``carbon_cost_eur`` = CO2 × price (the scenario's
basis), ``cost_with_carbon_eur`` = cost_eur + carbon_cost_eur. The scenario optimum at that
price minimises ``cost_with_carbon_eur`` over the frontier (if it lies on a sampled point).
``co2_t`` is on the scenario's basis (``options.co2_basis``: WTW by default, or TTW).

The knee is the non-dominated interior point farthest below the chord between the two ends,
with both axes normalised to [0, 1] (``chord_distance``); none when no point lies below it
(``attrs["knee_note"]`` says why).

Today and abatement cost
------------------------
The first row (``point`` = "today") is today's situation B0, priced by the same rules
(``savings.today_switches``, solved as ``run`` solves B0). For each frontier point,
``saving_cost_eur`` = today − point and ``co2_avoided_t`` = today − point (positive = less);
``abatement_eur_per_t`` = Δcost / ΔCO2 avoided from the previous frontier point (toward less
CO2), ``abatement_from_today_eur_per_t`` = (point − today cost) / CO2 avoided against today
(negative: the point is cheaper *and* cleaner than today; empty where it avoids no CO2).
When the scenario carries other tonnes than today (``attrs["comparable_with_today"]`` False)
the from-today figures are left empty: they would compare different work.

Each point is its own model from :func:`clusteropt.model.build` (same switches as ``run``),
with the ε row added to ``model.prob``.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import pandas as pd
from pulp import lpSum_vars_coefs

from clusteropt.lanes import Lanes
from clusteropt.model import Switches, build, extract
from clusteropt.model.build import COST_TERMS, BuiltModel, LinearTerm
from clusteropt.model.core import ModelInputError
from clusteropt.results import evaluate
from clusteropt.savings import demanded_tonnes, no_today, today_switches
from clusteropt.scenario import Scenario
from clusteropt.solve import SolveReport, solve

COLUMNS = ["point", "eps_co2_t", "cost_eur", "co2_t", "co2_basis", "status", "gap", "knee",
           "chord_distance", "dominated", "abatement_eur_per_t", "saving_cost_eur",
           "co2_avoided_t", "abatement_from_today_eur_per_t", "carbon_cost_eur",
           "cost_with_carbon_eur", "truck_km", "vehicle_trips", "open_sites", "moved",
           "solve_s"]
UNITS = {"eps_co2_t": "t CO2e/yr", "cost_eur": "EUR/yr, without the CO2 price",
         "co2_t": "t CO2e/yr (options.co2_basis)", "abatement_eur_per_t": "EUR per t CO2e "
         "avoided, from the previous point", "saving_cost_eur": "EUR/yr, today − point",
         "co2_avoided_t": "t CO2e/yr, today − point", "abatement_from_today_eur_per_t":
         "EUR per t CO2e avoided against today", "carbon_cost_eur": "EUR/yr",
         "cost_with_carbon_eur": "EUR/yr", "truck_km": "km/yr", "vehicle_trips": "trips/yr",
         "solve_s": "s"}
REL_TOL = 1e-6  # the lexicographic second stage may lose this much of the first objective


class ParetoError(Exception):
    """An end point of the frontier has no solution (infeasible or out of time)."""

    def __init__(self, report: SolveReport, message: str):
        self.report = report
        super().__init__(message)


def cost_term(model: BuiltModel) -> LinearTerm:
    """The annual cost without the carbon price, as one LinearTerm."""
    t = LinearTerm()
    for name in COST_TERMS:
        if name != "carbon":
            t.add(model.terms[name].terms, const=model.terms[name].const)
    return t


def co2_term(model: BuiltModel) -> LinearTerm:
    """Annual CO2 (kg) on the scenario's basis."""
    return model.terms[f"co2_{model.scenario.options.co2_basis}_kg"]


def at_most(model: BuiltModel, term: LinearTerm, bound: float) -> None:
    """Add the row ``term ≤ bound`` to the model."""
    model.prob.addConstraint(lpSum_vars_coefs(term.terms) <= bound - term.const)


def _tol(v: float) -> float:
    return REL_TOL * max(1.0, abs(v))


def solve_point(sc: Scenario, lanes: Lanes, switches: Switches | None, first: str,
                eps_kg: float | None = None, time_limit_s: float | None = None,
                gap_rel: float = 0.0, threads: int | None = None) -> dict:
    """One frontier point: minimise ``first`` ('cost' or 'co2') subject to CO2 ≤ ``eps_kg``
    (if given), then the other objective with the first held within a tiny tolerance. Returns
    the row (see ``COLUMNS``) with the Solution under ``"solution"``."""
    t0 = time.perf_counter()
    model = build(sc, lanes, switches)
    cost, co2 = cost_term(model), co2_term(model)
    if eps_kg is not None:
        at_most(model, co2, eps_kg)
    primary, secondary = (cost, co2) if first == "cost" else (co2, cost)
    model.prob.setObjective(primary.expr())
    rep = solve(model, time_limit_s=time_limit_s, gap_rel=gap_rel, threads=threads)
    row = {"status": rep.status, "gap": rep.gap, "report": rep}
    if not rep.has_solution:
        return {**row, "cost_eur": math.nan, "co2_t": math.nan, "solution": None,
                "solve_s": time.perf_counter() - t0}
    best = (extract(model), cost.value(), co2.value(), model.terms["carbon"].value())
    # lexicographic second stage: the other objective, the first held at its value
    first_value = primary.value()
    at_most(model, primary, first_value + _tol(first_value))
    model.prob.setObjective(secondary.expr())
    rep2 = solve(model, time_limit_s=time_limit_s, gap_rel=gap_rel, threads=threads)
    if rep2.has_solution:
        second_before = best[2] if first == "cost" else best[1]
        if secondary.value() <= second_before + _tol(second_before):
            best = (extract(model), cost.value(), co2.value(), model.terms["carbon"].value())
    sol, c, e, carbon = best
    kpis = evaluate(sc, lanes, sol).kpis
    moved = [f"{f}→{n}" for f, n in sol.placement.items()
             if sc.activities[f].movable and n != sc.activities[f].stay_node()]
    return {**row, "cost_eur": c, "co2_t": e / 1000.0, "carbon_cost_eur": carbon,
            "cost_with_carbon_eur": c + carbon, "truck_km": kpis["truck_km"],
            "vehicle_trips": kpis["vehicle_trips"],
            "open_sites": ";".join(sorted(s for s, o in sol.open_sites.items() if o)),
            "moved": ";".join(sorted(moved)), "solution": sol,
            "solve_s": time.perf_counter() - t0}


def pareto(sc: Scenario, lanes: Lanes, points: int, switches: Switches | None = None,
           time_limit_s: float | None = None, gap_rel: float = 0.0,
           threads: int | None = None, on_point=None, today: bool = True) -> pd.DataFrame:
    """The ε-constraint frontier (see the module docstring): one row per distinct point,
    ordered from the min-cost end (most CO2) to the min-CO2 end. ``time_limit_s`` and
    ``gap_rel`` apply to every solve (the default gap 0 gives exact points; a point stopped by
    the time limit has status 'feasible' and may be dominated). Raises ParetoError when an end
    point has no solution. ``on_point(done, total)`` is called after each point is solved.
    ``today``: put today's situation first and add the saving and abatement columns."""
    if points < 0:
        raise ValueError("points must be 0 or more")
    if switches is None and not sc.options.bundling:
        switches = Switches(bundling=False, empty_rule=sc.options.empty_running)
    kw = dict(time_limit_s=time_limit_s, gap_rel=gap_rel, threads=threads)
    total = points + 2 + int(today)

    def tick(done: int) -> None:
        if on_point is not None:
            on_point(done, total)

    hi = solve_point(sc, lanes, switches, "cost", **kw)
    tick(1)
    lo = solve_point(sc, lanes, switches, "co2", **kw)
    tick(2)
    for end, name in ((hi, "min-cost"), (lo, "min-CO2")):
        if end["solution"] is None:
            raise ParetoError(end["report"], f"{sc.name}: the {name} end of the frontier has "
                                             f"no solution ({end['status']})")
    hi["point"], lo["point"] = "min_cost", "min_co2"
    rows = [hi]
    co2_hi, co2_lo = hi["co2_t"] * 1000.0, lo["co2_t"] * 1000.0
    span = co2_hi - co2_lo
    if span > _tol(co2_hi):
        for i in range(1, points + 1):
            eps = co2_hi - span * i / (points + 1)
            r = solve_point(sc, lanes, switches, "cost", eps, **kw)
            r["point"], r["eps_co2_t"] = f"eps_{i}", eps / 1000.0
            rows.append(r)
            tick(2 + i)
    rows.append(lo)
    df = pd.DataFrame([{k: r.get(k) for k in COLUMNS if k not in ("knee", "chord_distance",
                                                                  "dominated")}
                       for r in _distinct(rows)])
    df["co2_basis"] = sc.options.co2_basis
    df, knee_note = _mark(df)
    df["abatement_eur_per_t"] = _abatement(df)
    comparable = None
    without_today = no_today(sc) if today else None
    now = None
    if today and without_today is None:
        try:
            now = today_point(sc, lanes, **kw)
        except ModelInputError as err:  # e.g. an exact site count today cannot meet
            without_today = f"today's situation cannot be evaluated: {err}"
    if now is not None:
        comparable = abs(demanded_tonnes(sc, today=True) - demanded_tonnes(sc)) <= 1e-6 * max(
            1.0, demanded_tonnes(sc, today=True))
        df = _against_today(df, now, comparable)
    if today:
        tick(total)
    df.attrs.update(scenario=sc.name, variant=sc.variant, co2_basis=sc.options.co2_basis,
                    co2_price_eur_per_t=sc.options.co2_price_eur_per_t, knee_note=knee_note,
                    comparable_with_today=comparable, units=UNITS, no_today=without_today)
    return df.reindex(columns=COLUMNS)


def today_point(sc: Scenario, lanes: Lanes, time_limit_s: float | None = None,
                gap_rel: float = 0.0, threads: int | None = None) -> dict:
    """Today's situation B0 as a frontier row: solved as ``run`` solves B0 (its own
    objective, the CO2 price included), reported as the frontier reports (cost without the
    CO2 price, CO2 on the scenario's basis)."""
    t0 = time.perf_counter()
    model = build(sc, lanes, today_switches(sc))
    rep = solve(model, time_limit_s=time_limit_s, gap_rel=gap_rel, threads=threads)
    row = {"point": "today", "status": rep.status, "gap": rep.gap,
           "co2_basis": sc.options.co2_basis}
    if not rep.has_solution:
        return {**row, "cost_eur": math.nan, "co2_t": math.nan,
                "solve_s": time.perf_counter() - t0}
    sol = extract(model)
    kpis = evaluate(sc, lanes, sol).kpis
    c, carbon = cost_term(model).value(), model.terms["carbon"].value()
    return {**row, "cost_eur": c, "co2_t": co2_term(model).value() / 1000.0,
            "carbon_cost_eur": carbon, "cost_with_carbon_eur": c + carbon,
            "truck_km": kpis["truck_km"], "vehicle_trips": kpis["vehicle_trips"],
            "open_sites": "", "moved": "", "solve_s": time.perf_counter() - t0}


def _abatement(df: pd.DataFrame) -> pd.Series:
    """EUR per t CO2 avoided from the previous non-dominated point (rows ordered toward
    less CO2): Δcost / −ΔCO2; empty for the first and for dominated points."""
    out = pd.Series(math.nan, index=df.index)
    prev = None
    for i in df.index:
        if df.at[i, "dominated"] or not math.isfinite(df.at[i, "cost_eur"]):
            continue
        if prev is not None:
            d_co2 = df.at[prev, "co2_t"] - df.at[i, "co2_t"]
            if d_co2 > 0:
                out[i] = (df.at[i, "cost_eur"] - df.at[prev, "cost_eur"]) / d_co2
        prev = i
    return out


def _against_today(df: pd.DataFrame, now: dict, comparable: bool) -> pd.DataFrame:
    """Today's row first; the frontier's saving, CO2 avoided and abatement from today."""
    if comparable and math.isfinite(now["cost_eur"]):
        df["saving_cost_eur"] = now["cost_eur"] - df.cost_eur
        df["co2_avoided_t"] = now["co2_t"] - df.co2_t
        avoided = df.co2_avoided_t.where(df.co2_avoided_t > 1e-9)
        df["abatement_from_today_eur_per_t"] = -df.saving_cost_eur / avoided
    today = pd.DataFrame([{**now, "knee": False, "dominated": False}])
    return pd.concat([today, df], ignore_index=True)


def _distinct(rows: list[dict]) -> list[dict]:
    """Rows without repeats of the same (cost, CO2) point; the ends are kept first."""
    kept: list[dict] = []
    order = [rows[0], rows[-1], *rows[1:-1]]
    for r in order:
        if r.get("solution") is not None and any(
                q.get("solution") is not None
                and abs(q["cost_eur"] - r["cost_eur"]) <= _tol(q["cost_eur"])
                and abs(q["co2_t"] - r["co2_t"]) * 1000.0 <= _tol(q["co2_t"] * 1000.0)
                for q in kept):
            continue
        kept.append(r)
    ends = [r for r in kept if r["point"] in ("min_cost", "min_co2")]
    mids = [r for r in kept if r["point"] not in ("min_cost", "min_co2")]
    return [ends[0], *mids, *ends[1:]]


def _mark(df: pd.DataFrame) -> pd.DataFrame:
    """``dominated`` (another point is no worse on both axes and better on one) and the knee."""
    ok = df.cost_eur.notna() & df.co2_t.notna()
    c, e = df.cost_eur.to_numpy(float), df.co2_t.to_numpy(float)
    dom = []
    for i in range(len(df)):
        if not ok.iloc[i]:
            dom.append(False)
            continue
        tc, te = _tol(c[i]), _tol(e[i] * 1000.0) / 1000.0
        dom.append(any(ok.iloc[j] and j != i and c[j] <= c[i] + tc and e[j] <= e[i] + te
                       and (c[j] < c[i] - tc or e[j] < e[i] - te) for j in range(len(df))))
    df["dominated"] = dom
    df["chord_distance"] = math.nan
    df["knee"] = False
    good = ok & ~df.dominated
    if good.sum() < 3:
        return df, (f"No knee: the frontier has {int(good.sum())} distinct point(s); a knee "
                    "needs one between the two ends (ask for more --points).")
    c_min, c_max = c[good].min(), c[good].max()
    e_min, e_max = e[good].min(), e[good].max()
    if not (c_max - c_min > _tol(c_max) and e_max - e_min > _tol(e_max * 1000.0) / 1000.0):
        return df, "No knee: the frontier is flat in cost or in CO2."
    x = (e - e_min) / (e_max - e_min)
    y = (c - c_min) / (c_max - c_min)
    dist = (1.0 - x - y) / math.sqrt(2.0)
    df.loc[good, "chord_distance"] = dist[good.to_numpy()]
    inner = good & ~df.point.isin(["min_cost", "min_co2"])
    best = df.loc[inner, "chord_distance"].idxmax()
    if df.at[best, "chord_distance"] <= 1e-9:
        return df, ("No knee: no point lies below the straight line between the two ends; "
                    "the cost of a further tonne avoided does not rise along the frontier, "
                    "so there is no point beyond which CO2 gets dearer to avoid.")
    df.at[best, "knee"] = True
    r = df.loc[best]
    return df, (f"Knee at {r.co2_t:,.1f} t CO2e/yr and {r.cost_eur:,.0f} EUR/yr: beyond it "
                f"each further tonne avoided costs more.")


def plot_pareto(df: pd.DataFrame, path: Path, title: str | None = None) -> Path:
    """The frontier as a PNG, two panels: to scale (both axes from zero, so the trade-off is
    not exaggerated) and a zoom on the points (axes not from zero, said in its title). Today
    is a black square, the ends labelled, the knee a star (or the note why there is none
    under the chart), the open sites written where they change, the abatement cost from the
    previous point beside each segment."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    fig = Figure(figsize=(12, 5.5), dpi=110)
    FigureCanvasAgg(fig)
    full, zoom = fig.subplots(1, 2)
    ok = df[df.cost_eur.notna() & df.co2_t.notna()]
    now = ok[ok.point == "today"]
    ok = ok[ok.point != "today"].sort_values("co2_t")
    front = ok[~ok.dominated.astype(bool)]
    dom = ok[ok.dominated.astype(bool)]
    knee = ok[ok.knee.astype(bool)]
    basis = str(df.co2_basis.iloc[0]).upper() if len(df) else "WTW"
    money = FuncFormatter(lambda v, _: f"{v:,.0f}")
    for ax in (full, zoom):
        ax.plot(front.co2_t, front.cost_eur, "-o", color="#1f77b4", ms=5, label="frontier")
        if len(dom):
            ax.plot(dom.co2_t, dom.cost_eur, "x", color="#999999",
                    label="dominated (time limit)")
        if len(knee):
            ax.plot(knee.co2_t, knee.cost_eur, "*", color="#d62728", ms=16, label="knee",
                    zorder=5)
        if len(now):
            ax.plot(now.co2_t, now.cost_eur, "s", color="black", ms=7, label="today", zorder=6)
            ax.annotate("today", (now.co2_t.iloc[0], now.cost_eur.iloc[0]), xytext=(7, 4),
                        textcoords="offset points", fontsize=8)
        ax.set_xlabel(f"CO2 {basis} (t CO2e/yr)")
        ax.yaxis.set_major_formatter(money)
        ax.grid(True, color="#eeeeee")
    every = pd.concat([ok, now])
    if len(every):
        full.set_xlim(0, max(float(every.co2_t.max()), 1e-9) * 1.1)
        full.set_ylim(0, max(float(every.cost_eur.max()), 1e-9) * 1.1)
    full.set_ylabel("annual cost without CO2 price (EUR/yr)")
    full.set_title("To scale (axes from zero)", fontsize=10)
    zoom.margins(0.12)
    zoom.set_title("Zoom on the points (axes do not start at zero)", fontsize=10)
    for r in ok.itertuples():
        if r.point in ("min_cost", "min_co2"):
            zoom.annotate(r.point.replace("_", " ").replace("co2", "CO2"),
                          (r.co2_t, r.cost_eur), xytext=(6, -12), textcoords="offset points",
                          fontsize=8)
    previous = ""
    pts = list(front.itertuples())
    for r in pts:
        sites = r.open_sites or ""
        if sites != previous:
            zoom.annotate(sites or "no site open", (r.co2_t, r.cost_eur), xytext=(6, 6),
                          textcoords="offset points", fontsize=7, color="#555555")
            previous = sites
    segments = zip(pts, pts[1:]) if "abatement_eur_per_t" in df else ()
    for a, b in segments:  # the frontier ordered by CO2: b has more CO2 than a
        if math.isfinite(a.abatement_eur_per_t):
            zoom.annotate(f"{a.abatement_eur_per_t:,.0f} €/t", ((a.co2_t + b.co2_t) / 2,
                          (a.cost_eur + b.cost_eur) / 2), xytext=(4, -10),
                          textcoords="offset points", fontsize=7, color="#1f77b4")
    zoom.legend(fontsize=8, frameon=False)
    if title is None:
        a = df.attrs
        title = "Cost–CO2 frontier" + (
            f": {a['scenario']} / {a.get('variant') or 'base'}" if a.get("scenario") else "")
    fig.suptitle(title)
    note = df.attrs.get("knee_note")
    foot = "€/t beside a segment: cost per t CO2 avoided from the point with more CO2"
    fig.text(0.5, -0.02, (note + "  " if note else "") + foot, ha="center", va="top",
             fontsize=8, color="#555555")
    fig.savefig(path, format="png", bbox_inches="tight", facecolor="white")
    return path


def write_pareto(df: pd.DataFrame, folder: Path, title: str | None = None) -> list[Path]:
    """``pareto.csv`` and ``pareto.png`` (knee marked) into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    csv = folder / "pareto.csv"
    df.to_csv(csv, index=False)
    return [csv, plot_pareto(df, folder / "pareto.png", title)]
