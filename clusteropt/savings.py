"""The baseline and the exactly additive savings split (model.md §8).

Four evaluations through the same builder, with switches, all priced by one empty-running
rule (``options.empty_running``, model.md §4 market closure):

====  ==================  ===============================  ===============
step  placement           trips                            vehicle types
====  ==================  ===============================  ===============
B0    today (stay nodes;  per demand, each closed by the   baseline ones
      ``new`` left out)   market (ρ empties per trip)
B1    the optimum's       per demand, closed by the market baseline ones
B2    the optimum's       shared; market or own balance    baseline ones
B3    optimised           shared; market or own balance    all, and hubs
====  ==================  ===============================  ===============

A saving is the earlier step minus the later one, **positive = less** cost, km, trips or CO2:
relocation = B0 − B1, bundling = B1 − B2, hub/modal = B2 − B3; they add up to the total
B0 − B3 exactly. Each in euro (total, and split into logistics — transport, handling, internal,
disposal, carbon — and investment — development, relocation, facilities annuities),
truck-km, vehicle trips and t CO2 (TTW and WTW), absolute and in % of B0.

Invariants (at gap 0; with a time limit up to the reported gaps): bundling ≥ 0 in total cost
(B1 is a feasible point of B2 under the same rule), hub/modal ≥ 0 (B2 is feasible in B3 when
direct routes are allowed), total ≥ 0 when no activity is ``new`` and today's placement and
vehicles are admissible in B3. A negative one is a defect, not a finding.

Like for like: when the optimum's demands ask for other tonnes than today's (``new``
activities, e.g. growth), absolute savings compare different volumes; ``comparable`` is then
false and the per-tonne figures are the ones to read: €/t, truck-km/t and kg CO2 WTW/t per
tonne *demanded* (``demanded_tonnes``; a tonne sent to disposal counts as much as one
carried, so that an option is not cheaper per tonne for carrying less).
"""

from __future__ import annotations

from dataclasses import dataclass

from clusteropt.lanes import Lanes
from clusteropt.model import Switches
from clusteropt.scenario import Scenario

# saving key → KPI it is taken of
EFFECT_KPIS = {"cost_eur": "total_cost_eur", "logistics_cost_eur": "logistics_cost_eur",
               "investment_cost_eur": "investment_cost_eur",
               "transport_cost_eur": "transport_cost_eur", "truck_km": "truck_km",
               "trips": "vehicle_trips", "co2_ttw_t": "co2_ttw_t", "co2_wtw_t": "co2_wtw_t",
               "nox_kg": "nox_kg", "pm10_kg": "pm10_kg"}
EFFECT_UNITS = {"cost_eur": "EUR/yr", "logistics_cost_eur": "EUR/yr",
                "investment_cost_eur": "EUR/yr", "transport_cost_eur": "EUR/yr",
                "truck_km": "km/yr", "trips": "trips/yr", "co2_ttw_t": "t CO2e/yr (TTW)",
                "co2_wtw_t": "t CO2e/yr (WTW)", "nox_kg": "kg NOx/yr", "pm10_kg": "kg PM10/yr"}
# per-tonne figure → (KPI, factor)
PER_TONNE = {"cost_eur_per_t": ("total_cost_eur", 1.0),
             "logistics_cost_eur_per_t": ("logistics_cost_eur", 1.0),
             "truck_km_per_t": ("truck_km", 1.0),
             "co2_wtw_kg_per_t": ("co2_wtw_t", 1000.0)}
PER_TONNE_UNITS = {"cost_eur_per_t": "EUR/t", "logistics_cost_eur_per_t": "EUR/t",
                   "truck_km_per_t": "km/t", "co2_wtw_kg_per_t": "kg CO2e/t (WTW)"}
EFFECTS = {"relocation": ("B0", "B1"), "bundling": ("B1", "B2"), "hub_modal": ("B2", "B3"),
           "total": ("B0", "B3")}
STEPS = ("B0", "B1", "B2", "B3")


def demanded_tonnes(sc: Scenario, today: bool = False) -> float:
    """Tonnes per year the scenario's demands ask for (Σ_d Σ_p w_p · q_dp); ``today`` leaves
    out the demands of ``new`` activities, as B0 does. Two runs compare like for like in
    absolute terms only when these are equal."""
    w = {p.id: p.weight for p in sc.periods}
    new = {f for f, a in sc.activities.items() if a.new} if today else set()
    return float(sum(w[p] * q for d in sc.demands.values()
                     if d.origin not in new and d.destination not in new
                     for p, q in d.tonnes.items()))


def per_tonne(kpis: dict[str, float], tonnes: float) -> dict[str, float | None]:
    """€/t, truck-km/t and kg CO2 (WTW)/t of one evaluation per tonne demanded (None without
    tonnes)."""
    return {name: (kpis[kpi] * f / tonnes if tonnes else None)
            for name, (kpi, f) in PER_TONNE.items()}


@dataclass
class Savings:
    """The four steps and the savings between them (positive = less than the earlier step)."""

    rule: str
    steps: dict[str, dict[str, float]]  # step → KPIs
    saving: dict[str, dict[str, float]]  # relocation/bundling/hub_modal/total → key → value
    pct_of_b0: dict[str, dict[str, float | None]]
    statuses: dict[str, str]
    comparable: bool = True  # the optimum's demands ask for today's tonnes
    saving_per_t: dict[str, float | None] | None = None  # B0 per tonne − B3 per tonne
    today_tonnes: float = 0.0  # demanded by today's activities (t/yr)
    option_tonnes: float = 0.0  # demanded in the option (t/yr)

    def step_tonnes(self, step: str) -> float:
        return self.today_tonnes if step == "B0" else self.option_tonnes

    def flat(self) -> dict[str, float | bool | None]:
        """One row of named fields (as compare, sweeps and the workbook show them):
        ``saving_<effect>_<key>``, ``saving_pct_<effect>_<key>``, ``saving_total_<per-t>``,
        ``baseline_<kpi>``, ``comparable_with_today``."""
        row: dict[str, float | bool | None] = {}
        for eff, vals in self.saving.items():
            for key, v in vals.items():
                row[f"saving_{eff}_{key}"] = v
        for key, v in self.pct_of_b0["total"].items():
            row[f"saving_pct_total_{key}"] = v
        for key, v in (self.saving_per_t or {}).items():
            row[f"saving_total_{key}"] = v
        for key, v in self.steps["B0"].items():
            row[f"baseline_{key}"] = v
        row["comparable_with_today"] = self.comparable
        return row

    def to_dict(self) -> dict:
        return {"empty_running": self.rule, "sign": "saving = earlier step − later step; "
                "positive = less cost, km, trips or CO2 than the earlier step (B0: today)",
                "steps": self.steps, "statuses": self.statuses,
                "saving": self.saving, "saving_pct_of_baseline": self.pct_of_b0,
                "comparable_with_today": self.comparable,
                "demanded_tonnes": {"today": self.today_tonnes, "option": self.option_tonnes},
                "per_tonne": {s: per_tonne(k, self.step_tonnes(s))
                              for s, k in self.steps.items()},
                "saving_per_tonne_total": self.saving_per_t,
                "units": {**EFFECT_UNITS, **PER_TONNE_UNITS, "pct": "% of B0"}}


def split(steps: dict[str, dict[str, float]]) -> tuple[dict, dict]:
    """Savings and % of B0 of every effect from the four steps' KPIs."""
    saving = {name: {key: steps[a][kpi] - steps[b][kpi] for key, kpi in EFFECT_KPIS.items()}
              for name, (a, b) in EFFECTS.items()}
    pct = {name: {key: (100.0 * v / steps["B0"][EFFECT_KPIS[key]]
                        if steps["B0"][EFFECT_KPIS[key]] else None)
                  for key, v in eff.items()} for name, eff in saving.items()}
    return saving, pct


def today_switches(sc: Scenario) -> Switches:
    """B0, today's situation: every activity at its node today, trips per demand (no
    bundling), today's vehicles, demands and partners only, no development site open (unless
    an activity is there today) and no hub."""
    today = {f: a.stay_node() for f, a in sc.activities.items() if a.stay_node() is not None}
    stays = set(today.values())
    closed = {n: False for n, node in sc.nodes.items()
              if node.kind in ("site", "hub") and n not in stays}
    return Switches(placement=today, bundling=False, empty_rule=sc.options.empty_running,
                    vehicles={v for v, vt in sc.vehicles.items() if vt.baseline},
                    exclude_new=True, baseline_partners=True, hubs=False, open_sites=closed)


def savings_split(sc: Scenario, lanes: Lanes, optimum_kpis: dict[str, float],
                  optimum_placement: dict[str, str], evaluate_fixed,
                  optimum_empty_legs: frozenset | None = None,
                  optimum_open: dict[str, int] | None = None) -> Savings:
    """B0–B2 by ``evaluate_fixed(switches) -> (kpis, status)`` (the same builder and solver),
    B3 from the optimum; returns the steps and the additive savings. B2 may use only the
    optimum's empty legs (``optimum_empty_legs``), so that it is a point of B3. B1 and B2 take
    the optimum's open development sites (``optimum_open``, site → 0/1) with its placement:
    a site that only hosts a pooled partner (a processor) is part of the optimum's placement,
    and left free it makes B1 and B2 location problems as hard as the optimum."""
    steps = {"B3": optimum_kpis}
    statuses = {"B3": "optimum"}
    rule = sc.options.empty_running
    b0 = today_switches(sc)
    steps["B0"], statuses["B0"] = evaluate_fixed(b0)
    sites = {n: bool(o) for n, o in (optimum_open or {}).items()
             if n in sc.nodes and sc.nodes[n].kind == "site"}
    for step, bundling in (("B1", False), ("B2", True)):
        sw = Switches(placement=dict(optimum_placement), bundling=bundling, empty_rule=rule,
                      vehicles=b0.vehicles, hubs=False, open_sites=sites,
                      empty_legs=optimum_empty_legs if bundling else None)
        steps[step], statuses[step] = evaluate_fixed(sw)
    steps = {s: steps[s] for s in STEPS}
    saving, pct = split(steps)
    t0, t3 = demanded_tonnes(sc, today=True), demanded_tonnes(sc)
    comparable = abs(t3 - t0) <= 1e-6 * max(1.0, abs(t0))
    p0, p3 = per_tonne(steps["B0"], t0), per_tonne(steps["B3"], t3)
    per_t = {k: (p0[k] - p3[k] if p0[k] is not None and p3[k] is not None else None)
             for k in PER_TONNE}
    return Savings(rule, steps, saving, pct, statuses, comparable, per_t, t0, t3)


def no_today(sc: Scenario) -> str | None:
    """Why a scenario has no today's situation to compare with (None when it has one): every
    demand has a new activity at one end, as in a pure location (p-median) study."""
    new = {a.id for a in sc.activities.values() if a.new}
    if sc.demands and all(d.origin in new or d.destination in new
                          for d in sc.demands.values()):
        return ("no today's situation: every demand has a new activity at one end (a pure "
                "location study), so there is nothing to compare the option with; the "
                "baseline and savings split are skipped")
    return None
