"""The baseline and the exactly additive savings split (model.md §8).

Four evaluations through the same builder, with switches:

====  ==================  ===============================  ===============
step  placement           trips                            vehicle types
====  ==================  ===============================  ===============
B0    today (stay nodes;  per demand, empties by the       baseline ones
      ``new`` left out)   baseline rule (share/dedicated)
B1    the optimum's       per demand, baseline rule        baseline ones
B2    the optimum's       shared, vehicle balance          baseline ones
B3    optimised           shared, vehicle balance          all
====  ==================  ===============================  ===============

relocation = B1 − B0, bundling = B2 − B1, hub/modal = B3 − B2; they add up to B3 − B0 exactly.
Each in euro, truck-km, trips and t CO2 (WTW), absolute and in % of B0. Under the ``share``
rule the bundling effect can be positive (a balance may need more empty km than the average
share assumes); it is reported as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from clusteropt.lanes import Lanes
from clusteropt.model import Switches
from clusteropt.scenario import Scenario

EFFECT_KPIS = {"cost_eur": "total_cost_eur", "truck_km": "truck_km",
               "trips": "vehicle_trips", "co2_wtw_t": "co2_wtw_t"}
STEPS = ("B0", "B1", "B2", "B3")


@dataclass
class Savings:
    rule: str
    steps: dict[str, dict[str, float]]  # step → KPIs
    effects: dict[str, dict[str, float]]  # relocation/bundling/hub_modal/total → KPI deltas
    pct_of_b0: dict[str, dict[str, float | None]]
    statuses: dict[str, str]

    def to_dict(self) -> dict:
        return {"baseline_empty_running": self.rule, "steps": self.steps,
                "statuses": self.statuses, **self.effects,
                "pct_of_baseline": self.pct_of_b0}


def savings_split(sc: Scenario, lanes: Lanes, optimum_kpis: dict[str, float],
                  optimum_placement: dict[str, str], evaluate_fixed) -> Savings:
    """B0–B2 by ``evaluate_fixed(switches) -> (kpis, status)`` (the same builder and solver),
    B3 from the optimum; returns the steps and the additive effects."""
    steps = {"B3": optimum_kpis}
    statuses = {"B3": "optimum"}
    today = {f: a.stay_node() for f, a in sc.activities.items() if a.stay_node() is not None}
    # today no development site is open (unless an activity is there today) and no hub runs
    stays = set(today.values())
    closed = {n: False for n, node in sc.nodes.items()
              if node.kind in ("site", "hub") and n not in stays}
    b0 = Switches(placement=today, bundling=False, empty_rule=sc.options.baseline_empty_running,
                  vehicles={v for v, vt in sc.vehicles.items() if vt.baseline},
                  exclude_new=True, baseline_partners=True, hubs=False, open_sites=closed)
    steps["B0"], statuses["B0"] = evaluate_fixed(b0)
    for step, bundling in (("B1", False), ("B2", True)):
        sw = Switches(placement=dict(optimum_placement), bundling=bundling,
                      empty_rule=sc.options.baseline_empty_running,
                      vehicles=b0.vehicles, hubs=False)
        steps[step], statuses[step] = evaluate_fixed(sw)
    effects = {}
    for name, (a, b) in {"relocation": ("B0", "B1"), "bundling": ("B1", "B2"),
                         "hub_modal": ("B2", "B3"), "total": ("B0", "B3")}.items():
        effects[name] = {key: steps[b][kpi] - steps[a][kpi] for key, kpi in EFFECT_KPIS.items()}
    pct = {name: {key: (100.0 * v / steps["B0"][EFFECT_KPIS[key]]
                        if steps["B0"][EFFECT_KPIS[key]] else None)
                  for key, v in eff.items()} for name, eff in effects.items()}
    return Savings(sc.options.baseline_empty_running, steps, effects, pct, statuses)
