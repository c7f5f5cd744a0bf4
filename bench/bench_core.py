"""Core-model benchmark (a script, not a test): a synthetic Verkassen-like instance.

Default: 2,000 movable growers, 30 development sites, 40 fixed destinations, 6 commodities.
Prints build seconds, solve seconds, peak memory, gap reached in the time limit, model size.

    .venv/bin/python bench/bench_core.py [--growers 2000] [--sites 30] [--dests 40]
                                         [--commodities 6] [--time-limit 120]
    .venv/bin/python bench/bench_core.py --series --growers 50 --sites 5 --dests 5 \
                                         --time-limit 300 --stop-after 300
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from clusteropt.lanes import build_lanes
from clusteropt.model import build, extract
from clusteropt.results import evaluate
from clusteropt.scenario import scenario_from_dict
from clusteropt.solve import solve


def synthetic(growers: int, sites: int, dests: int, commodities: int, seed: int = 1) -> dict:
    """A reproducible synthetic scenario document (inline tables, lat/lon in the Netherlands)."""
    rng = np.random.default_rng(seed)

    def pts(n, lat0, lon0, spread):
        return rng.normal(lat0, spread, n), rng.normal(lon0, spread * 1.6, n)

    glat, glon = pts(growers, 52.0, 4.25, 0.05)  # Westland-like cluster
    slat, slon = rng.uniform(51.5, 52.9, sites), rng.uniform(4.3, 6.5, sites)
    dlat, dlon = rng.uniform(51.4, 52.6, dests), rng.uniform(4.1, 6.1, dests)
    nodes = [{"id": f"g{i}", "lat": glat[i], "lon": glon[i]} for i in range(growers)]
    nodes += [{"id": f"s{i}", "kind": "site", "lat": slat[i], "lon": slon[i],
               "cap_ha": float(rng.uniform(60, 200)), "dev_cost_eur": 2e6,
               "opex_eur_per_yr": 4e4} for i in range(sites)]
    nodes += [{"id": f"d{i}", "kind": "gateway" if i < 3 else "location", "lat": dlat[i],
               "lon": dlon[i]} for i in range(dests)]
    site_ids = ";".join(f"s{i}" for i in range(sites))
    acts = [{"id": f"grower{i}", "node": f"g{i}", "movable": True, "candidates": site_ids,
             "size_ha": float(rng.uniform(2, 15)), "reloc_cost_eur": 5e5}
            for i in range(growers)]
    acts += [{"id": f"dest{i}", "node": f"d{i}"} for i in range(dests)]
    classes = ["chilled", "plants", "bulk", "food", "chilled", "plants"]
    coms = [{"id": f"c{k}", "load_class": classes[k % len(classes)],
             "density_t_per_m3": 0.3} for k in range(commodities)]
    dem = []
    for i in range(growers):
        for n in range(2):
            dem.append({"id": f"q{i}_{n}", "origin": f"grower{i}",
                        "destination": f"dest{int(rng.integers(dests))}",
                        "commodity": f"c{int(rng.integers(commodities))}",
                        "tonnes_per_period": float(rng.uniform(2, 40))})
    return {"name": "bench-core", "site_rules": {"max_open": 5},
            "tables": {"nodes": nodes, "activities": acts, "commodities": coms,
                       "demands": dem}}


def series(a) -> None:
    """Sizes doubling (growers, and sites/destinations with them) until one run — load, lanes,
    build and solve — takes longer than ``--stop-after`` seconds; one row per size."""
    print(f"{'growers':>8} {'sites':>5} {'dests':>5} {'vars':>9} {'ints':>8} {'rows':>9} "
          f"{'nnz':>10} {'lanes s':>7} {'build s':>7} {'solve s':>8} {'gap':>8} {'peak MB':>8}",
          flush=True)
    g, sites, dests = a.growers, a.sites, a.dests
    from pathlib import Path

    while True:
        t0 = time.perf_counter()
        sc = scenario_from_dict(synthetic(g, sites, dests, a.commodities), base_dir=Path("."))
        t1 = time.perf_counter()
        lanes = build_lanes(sc)
        t_lanes = time.perf_counter() - t1
        model = build(sc, lanes)
        report = solve(model, time_limit_s=a.time_limit, gap_rel=1e-4, threads=a.threads)
        total = time.perf_counter() - t0
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        gap = f"{report.gap:.2%}" if report.gap is not None else "-"
        sz = model.size
        print(f"{g:8d} {sites:5d} {dests:5d} {sz['variables']:9,d} {sz['integers']:8,d} "
              f"{sz['constraints']:9,d} {sz['nonzeros']:10,d} {t_lanes:7.1f} "
              f"{model.build_s:7.1f} {report.solve_s:8.1f} {gap:>8} {peak:8,.0f}", flush=True)
        if total > a.stop_after:
            break
        g, sites, dests = 2 * g, min(2 * sites, 60), min(2 * dests, 80)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--growers", type=int, default=2000)
    ap.add_argument("--sites", type=int, default=30)
    ap.add_argument("--dests", type=int, default=40)
    ap.add_argument("--commodities", type=int, default=6)
    ap.add_argument("--time-limit", type=float, default=120)
    ap.add_argument("--series", action="store_true",
                    help="double the size from --growers until a run passes --stop-after s")
    ap.add_argument("--stop-after", type=float, default=300)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    if a.series:
        series(a)
        return
    doc = synthetic(a.growers, a.sites, a.dests, a.commodities)
    t0 = time.perf_counter()
    from pathlib import Path

    sc = scenario_from_dict(doc, base_dir=Path("."))
    t_load = time.perf_counter() - t0
    t0 = time.perf_counter()
    lanes = build_lanes(sc)
    t_lanes = time.perf_counter() - t0
    model = build(sc, lanes)
    build_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"load {t_load:.1f} s, lanes {t_lanes:.1f} s, build {model.build_s:.1f} s, peak "
          f"memory after the build {build_mb:,.0f} MB; size {model.size}", flush=True)
    report = solve(model, time_limit_s=a.time_limit, gap_rel=1e-4, threads=a.threads)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if not report.has_solution:
        print(f"status {report.status} ({report.reason.value}) after {report.solve_s:.1f} s, "
              f"no solution; peak memory {peak_mb:,.0f} MB")
        return
    t0 = time.perf_counter()
    res = evaluate(sc, lanes, extract(model))
    t_eval = time.perf_counter() - t0
    gap = f"{report.gap:.3%}" if report.gap is not None else "n/a"
    bound = f"{report.best_bound:,.0f}" if report.best_bound is not None else "n/a"
    print(f"status {report.status} ({report.reason.value}), objective {report.objective:,.0f}, "
          f"bound {bound}, gap {gap}")
    print(f"solve {report.solve_s:.1f} s, evaluate {t_eval:.1f} s, peak memory {peak_mb:,.0f} MB")
    print(f"truck-km {res.kpis['truck_km']:,.0f}, moved "
          f"{int(res.activities.moved.sum())} growers")


if __name__ == "__main__":
    main()
