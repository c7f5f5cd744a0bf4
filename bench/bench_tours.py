"""Tours on published CVRP instances (a script, not a test): ``clusteropt.tours.plan_tours``
(PyVRP) against the instance's proven optimum.

The instances are not shipped: pass CVRPLIB files (http://vrp.galgos.inf.puc-rio.br; read with
``vrplib``). EUC_2D distances are rounded to the nearest integer, the CVRPLIB convention
of the published optima. The optimum is read from ``--optimum``, a ``.sol`` file beside the
instance ("Cost N"), or the instance's COMMENT ("Optimal value: N").

    .venv/bin/python bench/bench_tours.py E-n22-k4.vrp A-n32-k5.vrp [--seconds 5]
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

import numpy as np
import vrplib

from clusteropt.lanes import Lanes
from clusteropt.scenario import VehicleType
from clusteropt.tours import plan_tours


def optimum_of(path: Path, inst: dict) -> float | None:
    sol = path.with_suffix(".sol")
    if sol.exists():
        m = re.search(r"Cost\s+([\d.]+)", sol.read_text())
        if m:
            return float(m.group(1))
    m = re.search(r"Optimal value:\s*([\d.]+)", str(inst.get("comment", "")))
    return float(m.group(1)) if m else None


def unit_vehicle(capacity: float) -> VehicleType:
    """A vehicle whose tour cost is its distance: 1 per unit of distance, nothing else."""
    return VehicleType(id="v", name="v", mode="road", pricing="trip", payload_t=capacity,
                       volume_m3=None, pallets=None, cost_eur_per_km=1.0, cost_eur_per_h=0.0,
                       toll_eur_per_km=0.0, toll_rate_eur_per_km=0.0, speed_kmh=1.0,
                       handling_h_per_trip=0.0,
                       co2_empty_kg_per_km=0.0, co2_full_kg_per_km=0.0, wtw_ttw_ratio=1.0,
                       tariff_eur_per_tkm=0.0, tariff_eur_per_t=0.0, co2_ttw_kg_per_tkm=0.0,
                       load_classes=None, baseline=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("instances", nargs="+", type=Path)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--optimum", type=float, help="the optimum (one instance)")
    a = ap.parse_args()
    print(f"{'instance':16} {'clients':>7} {'tours':>5} {'cost':>10} {'optimum':>10} "
          f"{'gap':>7} {'seconds':>7}")
    for path in a.instances:
        inst = vrplib.read_instance(path)
        km = np.rint(inst["edge_weight"]) if inst.get("edge_weight_type") == "EUC_2D" \
            else np.asarray(inst["edge_weight"], float)
        ids = [f"n{i}" for i in range(len(km))]
        depot = ids[int(inst["depot"][0])]
        # PyVRP loads are integers; plan_tours scales tonnes by 1,000, so demands of the
        # instance are read as thousandths of its units
        demand = {ids[i]: float(q) / 1000.0 for i, q in enumerate(inst["demand"]) if q > 0}
        vt = unit_vehicle(float(inst["capacity"]) / 1000.0)
        t0 = time.perf_counter()
        tours = plan_tours(depot, demand, vt, Lanes(ids, km), direction="deliver", stop_h=0.0,
                           seconds=a.seconds, seed=1)
        secs = time.perf_counter() - t0
        cost = sum(t.km for t in tours)
        best = a.optimum if a.optimum is not None else optimum_of(path, inst)
        gap = f"{(cost - best) / best:7.2%}" if best else "      -"
        print(f"{path.stem:16} {len(demand):7d} {len(tours):5d} {cost:10.0f} "
              f"{best if best else float('nan'):10.0f} {gap} {secs:7.1f}")


if __name__ == "__main__":
    main()
