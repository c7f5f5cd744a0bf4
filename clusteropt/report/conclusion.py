"""The conclusion of a comparison, in words, from the numbers: which option is best by the
ranking KPI, by how much against today and against the runner-up, what drives it
(relocation, bundling, hub/modal; logistics against investment), and whether the difference
lies inside the solver gap (then it is a tie and the ranks say so).

``rank_with_ties`` gives equal ranks to options whose values differ by no more than the larger
of their two gaps times the value (a tie cannot be split by a solve stopped at that gap)."""

from __future__ import annotations

import math

import pandas as pd

from clusteropt.kpis import KPIS, LABELS

EFFECT_WORDS = {"relocation": "relocation", "bundling": "bundling of trips",
                "hub_modal": "hubs and other modes"}


def _num(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.2f}"


def tie(a: float, b: float, gap_a: float | None, gap_b: float | None) -> bool:
    """Whether two objective-like values are equal within the larger solver gap."""
    g = max(gap_a or 0.0, gap_b or 0.0)
    return abs(a - b) <= g * max(abs(a), abs(b)) + 1e-9 * max(1.0, abs(a), abs(b))


def rank_with_ties(table: pd.DataFrame, by: str) -> list[int]:
    """Ranks 1, 2, … in the table's (sorted) order; an option tied with the one before it
    (``tie``) shares its rank."""
    ranks: list[int] = []
    for i in range(len(table)):
        r = table.iloc[i]
        if i and by in table and _finite(r.get(by)) and _finite(table.iloc[i - 1].get(by)) \
                and tie(r[by], table.iloc[i - 1][by], r.get("gap"), table.iloc[i - 1].get("gap")):
            ranks.append(ranks[-1])
        else:
            ranks.append(i + 1)
    return ranks


def ranked(table: pd.DataFrame, by: str) -> pd.DataFrame:
    """The comparison table sorted by ``by`` (lowest first, unsolved last) with a ``rank``
    column in front (``rank_with_ties``)."""
    if by in table.columns:
        table = table.sort_values(by, na_position="last", kind="stable").reset_index(drop=True)
    table = table.copy()
    table.insert(0, "rank", rank_with_ties(table, by))
    return table


def _finite(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def conclusion(table: pd.DataFrame, by: str) -> str:
    """A short paragraph on a ranked comparison table (rows as ``compare`` makes them)."""
    solved = table[table.get("status", pd.Series(dtype=str)).isin(["optimal", "feasible"])]
    if not len(solved) or by not in solved:
        return "No option was solved, so there is nothing to conclude."
    unit = KPIS.get(by, ("", "", False))[0]
    what = LABELS.get(by, by.replace("_", " "))
    best, name = solved.iloc[0], _name(solved.iloc[0])
    text = [f"The best option by {what} is {name}: {_num(best[by])} {unit}."]
    saving = best.get("saving_total_cost_eur")
    if _finite(saving):
        pct = best.get("saving_pct_total_cost_eur")
        verb = "saves" if saving >= 0 else "costs"
        text.append(f"Against today it {verb} {_num(abs(saving))} EUR/yr"
                    + (f" ({abs(pct):.1f} %)" if _finite(pct) else "")
                    + _drivers(best) + ".")
        if best.get("comparable_with_today") is False:
            per_t = best.get("saving_total_cost_eur_per_t")
            text.append("It carries other tonnes than today, so compare it per tonne"
                        + (f": it saves {per_t:,.2f} EUR per tonne" if _finite(per_t) else "")
                        + ".")
    tied = [r for _, r in solved.iloc[1:].iterrows()
            if tie(best[by], r[by], best.get("gap"), r.get("gap"))]
    if tied:
        names = [_name(r) for r in tied]
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        text.append(f"It ties with {listed}: the differences lie within the solver gap, so "
                    f"the ranking cannot separate them.")
    rest = solved.iloc[1 + len(tied):]
    if len(rest):
        second = rest.iloc[0]
        diff = second[by] - best[by]
        text.append(f"The runner-up, {_name(second)}, is {_num(diff)} {unit} worse "
                    f"({100 * diff / abs(best[by]) if best[by] else 0:.1f} %).")
    worst = solved.iloc[-1]
    if len(rest) > 1:
        text.append(f"The last, {_name(worst)}, is {_num(worst[by] - best[by])} {unit} worse.")
    if (solved.get("status") == "feasible").any():
        text.append("Options marked feasible stopped at their time limit and are not proven "
                    "optimal; their gap is in the table.")
    for _, r in solved.iterrows():
        why = r.get("no_savings_because")
        if isinstance(why, str) and why:
            text.append(f"{_name(r)} has no comparison with today ({why}); give it a longer "
                        f"time limit for one.")
    return " ".join(text)


def _name(row) -> str:
    v = row.get("variant", "base")
    scen = row.get("scenario")
    return f"'{v}'" + (f" of {scen}" if isinstance(scen, str) and v in ("base",) else "")


def _drivers(row) -> str:
    """', mostly from bundling (…); logistics −X, investment +Y' from the savings split."""
    parts = {k: row.get(f"saving_{k}_cost_eur") for k in EFFECT_WORDS}
    parts = {k: v for k, v in parts.items() if _finite(v)}
    if not parts:
        return ""
    main = max(parts, key=lambda k: abs(parts[k]))
    out = (f", mostly by {EFFECT_WORDS[main]} ({'+' if parts[main] >= 0 else '−'}"
           f"{_num(abs(parts[main]))} EUR/yr)")
    logi, inv = row.get("saving_total_logistics_cost_eur"), row.get(
        "saving_total_investment_cost_eur")
    if _finite(logi) and _finite(inv):
        out += (f"; logistics saves {_num(logi)} EUR/yr and investment "
                f"{'saves' if inv >= 0 else 'costs'} {_num(abs(inv))} EUR/yr")
    return out


def outcome_conclusion(out) -> str:
    """A few sentences on one outcome: its cost, the saving against today and what drives
    it, the moves and the sites that open."""
    k, sc = out.results.kpis, out.scenario
    text = [f"This option costs {_num(k['total_cost_eur'])} EUR/yr"
            + (" (not proven optimal: stopped at a limit, gap "
               f"{out.report.gap:.2%})" if out.report.status == "feasible"
               and out.report.gap is not None else "") + "."]
    if out.savings is not None:
        sv, pct = out.savings.saving["total"], out.savings.pct_of_b0["total"]
        row = {f"saving_{e}_cost_eur": out.savings.saving[e]["cost_eur"] for e in EFFECT_WORDS}
        row["saving_total_logistics_cost_eur"] = sv["logistics_cost_eur"]
        row["saving_total_investment_cost_eur"] = sv["investment_cost_eur"]
        verb = "saves" if sv["cost_eur"] >= 0 else "costs"
        text.append(f"Against today it {verb} {_num(abs(sv['cost_eur']))} EUR/yr"
                    + (f" ({abs(pct['cost_eur']):.1f} %)" if _finite(pct["cost_eur"]) else "")
                    + _drivers(row) + f"; {_num(sv['truck_km'])} truck-km and "
                    f"{_num(sv['co2_wtw_t'])} t CO2 (WTW) less a year"
                    if sv["truck_km"] >= 0 else
                    f"Against today it {verb} {_num(abs(sv['cost_eur']))} EUR/yr"
                    + _drivers(row) + f"; {_num(-sv['truck_km'])} truck-km more a year")
        text[-1] += "."
        if not out.savings.comparable:
            text.append("It carries other tonnes than today (new activities): read the "
                        "figures per tonne.")
    elif getattr(out, "baseline_unavailable", None):
        text.append(f"There is no comparison with today: {out.baseline_unavailable}.")
    moved = [f for f, n in out.solution.placement.items()
             if sc.activities[f].movable and n != sc.activities[f].stay_node()]
    opened = [sc.nodes[s].name for s, o in out.solution.open_sites.items() if o
              and sc.nodes[s].kind == "site"]
    text.append(f"{len(moved)} of {sum(a.movable for a in sc.activities.values())} movable "
                f"firms move" + (f"; sites opened: {', '.join(opened)}" if opened else
                                 "; no new site opens") + ".")
    return " ".join(text)
