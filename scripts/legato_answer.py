#!/usr/bin/env python3
"""Print the answer tables of the Legato case for docs/cases.md (markdown).

Run from the repository root: ``.venv/bin/python scripts/legato_answer.py``. Solves the
variants of ``scenarios/legato.yaml`` (no-hub, free, curacao; no savings split) at the case's
trunk discount (``hubs.collection_factor`` 0.8) and at stronger ones (0.7, 0.6, 0.5) and
prints: cost, CO2 and hubs per variant, what forcing Curaçao costs per year and per TEU
(10 t per TEU, data/legato/README.md), the lead time to each market, and per market the
margin of the cheapest route through Curaçao against going direct (EUR/t, from the case's
tariffs and sea-lane km).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from clusteropt import rates
from clusteropt.lanes import build_lanes
from clusteropt.results import flow_lead_times
from clusteropt.run import run_scenario
from clusteropt.scenario import read_yaml, scenario_from_dict

ROOT = Path(__file__).resolve().parent.parent
CASE = ROOT / "scenarios" / "legato.yaml"
T_PER_TEU = 10.0
VARIANTS = ("no-hub", "free", "curacao")
FACTORS = (0.8, 0.7, 0.6, 0.5)


def load(variant: str, factor: float):
    doc = read_yaml(CASE)
    doc["hubs"] = {**doc["hubs"], "collection_factor": factor}
    return scenario_from_dict(doc, base_dir=CASE.parent, label=CASE.name, variant=variant,
                              path=CASE)


def annual_t(flows: pd.DataFrame, weight: dict[str, float]) -> float:
    return float((flows.tonnes.astype(float) * flows.period.map(weight).astype(float)).sum())


def weighted_lead(sc, lanes, sol) -> pd.DataFrame:
    w = {p.id: p.weight for p in sc.periods}
    f = flow_lead_times(sc, lanes, sol)
    f = f.assign(t=f.tonnes * f.period.map(w),
                 market=f.demand.map(lambda d: sc.demands[d].destination.removeprefix("market-")),
                 mode=f.commodity.map(lambda k: "air" if k == "flowers" else "sea"),
                 via=f.path.map(lambda p: ";".join(str(p).split(";")[1:-1]) or "direct"))
    f["th"] = f.t * f.lead_time_h
    g = f.groupby(["market", "mode"]).agg(t=("t", "sum"), th=("th", "sum"),
                                          via=("via", lambda s: ", ".join(sorted(set(s)))))
    g["lead_h"] = g.th / g.t
    return g.drop(columns="th")


def main() -> None:
    lanes = None
    rows, leads = [], {}
    for factor in FACTORS:
        for variant in VARIANTS:
            sc = load(variant, factor)
            lanes = lanes or build_lanes(sc)
            out = run_scenario(sc, lanes=lanes, baseline=False)
            assert out.report.status == "optimal" and out.check.passed
            k = out.results.kpis
            flows = out.solution.flows
            w = {p.id: p.weight for p in sc.periods}
            via_cur = flows[flows.path.str.contains(";hub-curacao;")]
            sea = flows[flows.commodity != "flowers"]
            rows.append(dict(
                factor=factor, variant=variant, cost=k["total_cost_eur"], co2=k["co2_wtw_t"],
                lead=k["mean_lead_time_h"],
                hubs=", ".join(h for h, o in out.solution.open_sites.items() if o) or "none",
                teu_sea=annual_t(sea, w) / T_PER_TEU, teu_cur=annual_t(via_cur, w) / T_PER_TEU,
                check=out.check.passed))
            if factor == FACTORS[0]:
                leads[variant] = weighted_lead(sc, lanes, out.solution)
    df = pd.DataFrame(rows)
    print("| trunk factor | variant | cost EUR/yr | vs free EUR/yr | open hubs | TEU via "
          "Curaçao | CO2 WTW t/yr | mean lead time h | check |")
    print("|---|---|---:|---:|---|---:|---:|---:|---|")
    for factor, part in df.groupby("factor", sort=False):
        free = part.set_index("variant").cost["free"]
        for r in part.itertuples():
            print(f"| {factor} | {r.variant} | {r.cost:,.0f} | {r.cost - free:+,.0f} | {r.hubs} "
                  f"| {r.teu_cur:,.0f} | {r.co2:,.0f} | {r.lead:,.0f} | "
                  f"{'passed' if r.check else 'FAILED'} |")
    print()
    for factor, part in df.groupby("factor", sort=False):
        p = part.set_index("variant")
        extra = p.cost["curacao"] - p.cost["free"]
        print(f"trunk factor {factor}: forcing Curaçao costs {extra:,.0f} EUR/yr = "
              f"{extra / p.teu_sea['free']:,.2f} EUR per TEU of all {p.teu_sea['free']:,.0f} "
              f"sea TEU/yr" + (f", {extra / p.teu_cur['curacao']:,.0f} EUR per TEU routed "
                               f"through it ({p.teu_cur['curacao']:,.0f} TEU/yr)"
                               if p.teu_cur["curacao"] else ", none routed through it"))
    print()
    print("| market | mode | lead time no hub, days | via (Curaçao forced) | lead time, days |")
    print("|---|---|---:|---|---:|")
    a, b = leads["no-hub"], leads["curacao"]
    for key in a.index:
        print(f"| {key[0]} | {key[1]} | {a.lead_h[key] / 24:.1f} | {b.via[key]} | "
              f"{b.lead_h[key] / 24:.1f} |")
    print()
    # margins: cheapest Curaçao route minus direct, EUR/t, per market and load class
    sc = load("curacao", FACTORS[0])
    ship = {"dry": sc.vehicles["deepsea-dry"], "reefer": sc.vehicles["deepsea-reefer"]}
    feeder = {"dry": sc.vehicles["feeder-dry"], "reefer": sc.vehicles["feeder-reefer"]}
    hub = sc.nodes["hub-curacao"]
    print("| market | direct dry EUR/t | via Curaçao dry | margin dry | margin reefer |")
    print("|---|---:|---:|---:|---:|")
    for m in sorted(n for n, node in sc.nodes.items() if node.kind == "location"
                    and "sea" in node.modes and n not in ("rotterdam", "antwerp")):
        out = []
        for lc in ("dry", "reefer"):
            direct = rates.tariff_cost_per_t(ship[lc], lanes.distance("rotterdam", m, "sea"))
            via = (sc.hubs.collection_factor * rates.tariff_cost_per_t(
                ship[lc], lanes.distance("rotterdam", "hub-curacao", "sea"))
                + hub.handling_eur_per_t
                + rates.tariff_cost_per_t(feeder[lc], lanes.distance("hub-curacao", m, "sea")))
            out.append((direct, via))
        print(f"| {m} | {out[0][0]:.0f} | {out[0][1]:.0f} | {out[0][1] - out[0][0]:+.0f} | "
              f"{out[1][1] - out[1][0]:+.0f} |")


if __name__ == "__main__":
    main()
