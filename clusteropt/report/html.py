"""One self-contained HTML page (CSS inline, charts as base64 data URIs): summary, savings
split, assumptions, solver status, charts, map and tables."""

from __future__ import annotations

import base64
import html
import math
from pathlib import Path

import pandas as pd

from clusteropt.model import tourcols
from clusteropt.report import tables

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;
max-width:1200px;padding:0 1em;color:#222;line-height:1.4}
h1{margin-bottom:.2em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0 1em}
th,td{border:1px solid #ddd;padding:3px 7px}th{background:#f3f3f3;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.note{color:#555;font-size:.9em}.warn{color:#a00;font-weight:bold}
.cards{display:flex;flex-wrap:wrap;gap:1em}.card{border:1px solid #ddd;border-radius:6px;
padding:.6em 1em;min-width:11em}.card b{display:block;font-size:1.3em}
img{max-width:100%;border:1px solid #eee;margin:.5em 0}
.scroll{overflow-x:auto;max-width:100%}.lead{font-size:1.05em;background:#f6f8fa;
border-left:4px solid #2c7;padding:.6em 1em}details{margin:.5em 0}summary{cursor:pointer;
font-weight:bold}.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(330px,1fr));
gap:1em}.grid figure{margin:0}.grid figcaption{font-size:.9em}
"""


def fmt(v) -> str:
    """A cell: thousands separators, 2 decimals below 100, shares with 3 decimals."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        if abs(v) < 1e-9:
            return "0"
        if abs(v) >= 100:
            return f"{v:,.0f}"
        if abs(v) >= 1:
            return f"{v:,.2f}"
        return f"{v:.3g}"
    return str(v)


def table_html(df: pd.DataFrame, max_rows: int | None = None, units: bool = True) -> str:
    """A DataFrame as an HTML table (escaped, numbers right-aligned, units in the headers)."""
    if df is None or not len(df):
        return "<p class='note'>(none)</p>"
    shown = df.head(max_rows) if max_rows else df
    shown = tables.with_units(shown) if units else shown
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in shown.columns)
    body = []
    for row in shown.itertuples(index=False):
        cells = []
        for v in row:
            v = v.item() if hasattr(v, "item") else v
            cls = " class='n'" if isinstance(v, int | float) and not isinstance(v, bool) else ""
            cells.append(f"<td{cls}>{html.escape(fmt(v))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    more = (f"<p class='note'>{len(df) - max_rows:,} more rows in results.xlsx</p>"
            if max_rows and len(df) > max_rows else "")
    return f"<div class='scroll'><table><tr>{head}</tr>{''.join(body)}</table></div>{more}"


def kpis_in_words(out) -> pd.DataFrame:
    """The KPIs as a planner reads them: name in words, value, unit, today, saving."""
    from clusteropt.kpis import KPI_UNITS, LABELS

    k = out.results.kpis
    b0 = out.savings.steps["B0"] if out.savings is not None else None
    rows = []
    for key, label in LABELS.items():
        if key not in k:
            continue
        row = {"figure": label, "value": k[key], "unit": KPI_UNITS.get(key, "")}
        if b0 is not None:
            row["today"] = b0.get(key)
            row["saving (today − option)"] = (b0[key] - k[key]) if key in b0 else None
        rows.append(row)
    return pd.DataFrame(rows)


TECHNICAL = {  # tables shown collapsed at the end, with what they mean
    "legs": "every leg and vehicle type used: tonnes, trips, empty trips, vehicle-km, cost "
            "and CO2 (annual)",
    "baseline_legs": "the same for today (B0)",
    "sites": "the development sites: open or not, capacity used",
    "hubs": "the hubs: open or not, tonnes through them",
    "commodities": "per commodity: tonnes, tonne-km and CO2 allocated by tonne-km",
    "municipalities": "truck movements per municipality (legs drawn as straight lines)",
    "activities": "every activity: where it is today and where it is placed",
}


def img_html(path: Path, alt: str) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f"<img alt='{html.escape(alt)}' src='data:image/png;base64,{data}'>"


def assumptions_html(out) -> str:
    """The baseline's and the model's assumptions, the solver status and the limitation."""
    sc = out.scenario
    opt = sc.options
    a = out.to_dict()["assumptions"]
    rho = opt.empty_share / (1 - opt.empty_share) if opt.empty_share is not None else None
    rule = opt.empty_running
    rule_text = (f"<b>share</b>: each loaded trip closed by the market brings e/(1−e) = "
                 f"{rho:.3f} empty trips on its own leg, with e = {opt.empty_share:.1%} of "
                 f"vehicle-km empty (CBS average: return loads come from the wider market)"
                 if rule == "share" else "<b>dedicated</b>: each loaded trip closed by the "
                 "market returns empty (one empty trip)")
    dist = html.escape(a["distance_method"])
    if a.get("circuity") is not None:
        dist += f", road km = straight-line km × circuity {a['circuity']:g}"
    periods = ", ".join(f"{html.escape(p.id)} × {p.weight:g}/yr" for p in sc.periods)
    r = out.report
    gap = f"{r.gap:.4%}" if r.gap is not None else "n/a"
    status = html.escape(f"{r.status} ({r.reason.value})")
    if r.status == "feasible":
        status = (f"<span class='warn'>feasible — NOT proven optimal "
                  f"({html.escape(r.reason.value)})</span>")
    check = ("passed" if out.check.passed else
             f"<span class='warn'>FAILED</span> ({len(out.check.violations)} violations)")
    items = [
        f"Solver status: {status} (solver: {html.escape(r.solver_status)}), relative gap "
        f"{gap}; objective {fmt(r.objective)} EUR/yr, best bound {fmt(r.best_bound)} EUR/yr; "
        f"built in {r.build_s:.2f} s, solved in {r.solve_s:.2f} s "
        f"({r.variables:,} variables, {r.integers:,} integer, {r.constraints:,} constraints)."
        f" Independent check: {check}.",
        f"Empty running, one rule for today and every option: {rule_text}.",
        "Baseline (B0): today's placement (new activities left out), trips per demand (no "
        "bundling), every trip closed by the market; baseline vehicle types only"
        + ("." if out.savings is not None else " (not evaluated in this run)."),
        ("Optimised: shared trips on each leg; a trip is closed by the market as today, or "
         "its truck is balanced inside the scenario (backhaul, empty legs) where that is "
         "cheaper; trips to or from a gateway bring "
         f"{rho:.3f} empty trips each." if opt.bundling else
         "Optimised: bundling is switched off in this scenario: trips per demand, each closed "
         "by the market.") if rho is not None else "",
        "Lead time: door to door — driving + loading and unloading (the vehicle types' "
        "handling time) + hub handling + a tariff carrier's transit time, tonne-weighted.",
        f"CO2 basis: <b>{html.escape(a['co2_basis'].upper())}</b> (well-to-wheel = "
        "tank-to-wheel × the vehicle's WTW/TTW ratio); CO2 price "
        f"<b>{a['co2_price_eur_per_t']:g} EUR/t</b> on that basis.",
        f"Distances: {dist}. Periods: {periods}. One-off costs annualised at "
        f"{sc.interest_rate:.1%} over {sc.lifetime_years:g} years.",
        f"Limitation: {html.escape(tourcols.limitation(sc))}. Maps and municipality counts "
        "draw legs as straight lines between nodes.",
    ]
    return "<ul>" + "".join(f"<li>{i}</li>" for i in items if i) + "</ul>"


def _cards(out) -> str:
    k = out.results.kpis
    b0 = out.savings.steps["B0"] if out.savings is not None else None
    cards = []
    for key, name, unit in (("total_cost_eur", "annual cost", "EUR/yr"),
                            ("truck_km", "truck-km", "km/yr"),
                            ("vehicle_trips", "loaded trips", "trips/yr"),
                            (f"co2_{out.scenario.options.co2_basis}_t",
                             f"CO2 {out.scenario.options.co2_basis.upper()}", "t/yr")):
        v = k[key]
        extra = ""
        if b0 is not None and b0.get(key):
            sv = b0[key] - v
            extra = (f"<br><span class='note'>{'saves' if sv >= 0 else 'adds'} "
                     f"{abs(sv):,.0f} vs today ({100 * abs(sv) / b0[key]:.1f} %)</span>")
        cards.append(f"<div class='card'>{name}<b>{fmt(float(v))}</b>{unit}{extra}</div>")
    return "<div class='cards'>" + "".join(cards) + "</div>"


def _lead_times(out) -> str:
    """Door-to-door lead time (tonne-weighted): over all flows, and into each activity the
    comparison asked for, now and today."""
    k = out.results.kpis
    b0 = out.savings.steps["B0"] if out.savings is not None else None
    text = f"Mean door-to-door lead time: {k['mean_lead_time_h']:.2f} h"
    if b0 is not None and "mean_lead_time_h" in b0:
        text += f" (today {b0['mean_lead_time_h']:.2f} h)"
    row = tables.comparison_row(out) if getattr(out, "lead_to", ()) else {}
    for dest in out.lead_to if row else ():
        now, then = row.get(f"lead_time_h_{dest}"), row.get(f"baseline_lead_time_h_{dest}")
        if now is not None:
            text += f"; into {html.escape(dest)} {now:.2f} h" + (
                f" (today {then:.2f} h)" if then is not None else "")
    return text + " — driving, loading and unloading, hub handling and carriers' transit."


def outcome_page(out, charts: dict[str, Path], sections: dict[str, pd.DataFrame],
                 notes: list[str]) -> str:
    """The page of one outcome, for the people who decide: the conclusion, the cards, the map,
    who gains and who loses, lead times, the savings split, the charts; then the assumptions
    and the KPIs in words; the technical tables collapsed at the end."""
    from clusteropt.report.conclusion import outcome_conclusion

    sc = out.scenario
    title = html.escape(tables.label(out))
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
             f"<meta name='viewport' content='width=device-width'>"
             f"<title>clusteropt: {title}</title><style>{CSS}</style></head><body>",
             f"<h1>{title}</h1>"]
    if sc.description:
        parts.append(f"<p>{html.escape(sc.description)}</p>")
    if getattr(out, "interrupted", None):
        parts.append(f"<p class='warn'>Interrupted ({html.escape(out.interrupted)}): the best "
                     "solution found so far, not proven optimal; no baseline.</p>")
    parts.append(f"<p class='lead'>{html.escape(outcome_conclusion(out))}</p>")
    parts.append(_cards(out))
    charts = dict(charts)
    for name in [n for n in charts if n.lower().startswith("map")]:
        path = charts.pop(name)
        parts.append(f"<h2>{html.escape(name)}</h2>" + img_html(path, name)
                     + "<p class='note'>The interactive map (map.html) has names on every "
                       "node and today's layer.</p>")
    firms = tables.winners_and_losers(out)
    if len(firms):
        note = getattr(out, "break_even_note", None)
        parts.append("<h2>Who gains, who loses</h2><p class='note'>Each firm's logistics cost "
                     "(transport, handling, internal, disposal, carbon) today and in this "
                     "option; a flow belongs to its movable end (else to its origin) and "
                     "shared trips are split over their flows by tonne-km (ISO 14083). "
                     "Saving = today − option, positive = less. Break-even relocation: the "
                     "one-off cost at which the move (to the chosen site, or for a firm that "
                     "stays, to its best site) stops paying, the others' placements fixed."
                     + (f" {html.escape(note)}." if note else "") + "</p>"
                     + table_html(firms, max_rows=300, units=False))
    parts.append("<h2>Lead times</h2><p>" + _lead_times(out) + "</p>")
    if out.savings is not None:
        sav = out.savings
        like = ("" if sav.comparable else
                "<p class='warn'>This option carries other tonnes than today (new activities): "
                "absolute savings compare different volumes; read the per-tonne figures.</p>")
        parts.append("<h2>Savings split</h2><p class='note'>Saving = the earlier step minus "
                     "the later one, <b>positive = less</b> cost, km, trips or CO2: relocation = "
                     "B0 − B1, bundling = B1 − B2, hub/modal = B2 − B3; they add up to the "
                     "total B0 − B3. Cost is split into logistics (transport, handling, "
                     "internal, disposal, carbon) and investment (development, relocation, "
                     "facilities). Empty-running rule for all four steps: "
                     f"{html.escape(sav.rule)}.</p>" + like
                     + table_html(tables.savings_table(sav))
                     + "<h3>Per tonne</h3>" + table_html(tables.per_tonne_table(sav)))
    elif getattr(out, "baseline_unavailable", None):
        parts.append("<h2>Savings split</h2><p class='warn'>No savings split: "
                     f"{html.escape(out.baseline_unavailable)}.</p>")
    else:
        parts.append("<h2>Savings split</h2><p class='note'>No baseline was evaluated for "
                     "this run (locked switches or --no-baseline).</p>")
    for name, path in charts.items():
        parts.append(f"<h2>{html.escape(name)}</h2>" + img_html(path, name))
    parts.append("<h2>The figures</h2>" + table_html(kpis_in_words(out), units=False))
    parts.append("<h2>Assumptions and solver status</h2>" + assumptions_html(out))
    if notes:
        parts.append("<p class='note'>" + "<br>".join(html.escape(n) for n in notes) + "</p>")
    for name, df in sections.items():
        if name == "KPIs":
            continue
        what = TECHNICAL.get(name, "")
        parts.append(f"<details><summary>{html.escape(name)}</summary><p class='note'>"
                     f"{html.escape(what)}</p>" + table_html(df, max_rows=300) + "</details>")
    parts.append("<p class='note'>clusteropt " + html.escape(
        str(out.to_dict()["run"].get("clusteropt", ""))) + "; scenario hash "
        + html.escape(sc.content_hash[:12]) + "</p></body></html>")
    return "\n".join(parts)


def comparison_page(outcomes: list, charts: dict[str, Path], table: pd.DataFrame,
                    links: dict[str, str], said: str = "",
                    maps: dict[str, Path] | None = None) -> str:
    """The overview page of several outcomes: the conclusion, each option's map beside its
    headline figures, the charts, then the runs side by side; links to each run's page."""
    name = html.escape(", ".join(dict.fromkeys(o.scenario.name for o in outcomes)))
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
             f"<meta name='viewport' content='width=device-width'>"
             f"<title>clusteropt: {name}</title><style>{CSS}</style></head><body>",
             f"<h1>{name}: {len(outcomes)} options compared</h1>"]
    if said:
        parts.append(f"<p class='lead'>{html.escape(said)}</p>")
    head = [c for c in ("rank", "variant", "status", "total_cost_eur", "transport_cost_eur",
                        "saving_total_cost_eur", "saving_total_truck_km",
                        "saving_total_co2_wtw_t") if c in table.columns]
    parts.append("<h2>Ranking</h2>" + table_html(table[head].rename(columns={
        "variant": "option", "total_cost_eur": "annual cost", "transport_cost_eur":
        "transport cost", "saving_total_cost_eur": "saving vs today",
        "saving_total_truck_km": "saving truck-km", "saving_total_co2_wtw_t":
        "saving t CO2 (WTW)"}), units=False)
        + "<p class='note'>Per year; saving = today − option, positive = less; equal ranks "
          "are ties within the solver gap.</p>")
    if maps:
        cells = []
        for o in outcomes:
            lab = tables.label(o)
            k = o.results.kpis
            fig = (img_html(maps[lab], lab) if lab in maps else "")
            href = links.get(lab, "")
            cells.append(f"<figure>{fig}<figcaption><a href='{html.escape(href)}'>"
                         f"{html.escape(lab)}</a>: {fmt(k['total_cost_eur'])} EUR/yr, "
                         f"{fmt(k['truck_km'])} truck-km, {fmt(k['co2_wtw_t'])} t CO2 (WTW)"
                         f"</figcaption></figure>")
        parts.append("<h2>Each option on the map</h2><div class='grid'>" + "".join(cells)
                     + "</div>")
    parts.append("<ul>" + "".join(f"<li><a href='{html.escape(href)}'>{html.escape(lab)}</a>"
                                  f"</li>" for lab, href in links.items()) + "</ul>")
    parts.append("<h2>Assumptions and solver status (first run)</h2>"
                 + assumptions_html(outcomes[0]))
    status = pd.DataFrame([{"run": tables.label(o), "status": o.report.status,
                            "gap": o.report.gap, "check": o.check.passed}
                           for o in outcomes])
    parts.append("<h2>Solver status per run</h2>" + table_html(status))
    for title, path in charts.items():
        parts.append(f"<h2>{html.escape(title)}</h2>" + img_html(path, title))
    side = table.copy()
    side.index = [f"{s} / {v}" for s, v in zip(side.scenario, side.variant)]
    side = side.drop(columns=["scenario", "variant"]).T
    side.insert(0, "unit", [tables.unit_of(c) or "" for c in side.index])
    side.insert(0, "kpi", side.index)
    parts.append("<details><summary>Runs side by side (every figure)</summary><p "
                 "class='note'>saving_* = today (each run's own B0) − the run, positive = "
                 "less; baseline_* = that B0. A run with comparable_with_today = False carries "
                 "other tonnes than today: compare it per tonne.</p>"
                 + table_html(side, units=False) + "</details>")
    parts.append("</body></html>")
    return "\n".join(parts)
