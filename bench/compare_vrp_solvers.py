"""Why PyVRP: three well-kept open VRP solvers on the same published CVRP instances, the same
time per instance, against the proven optimum (a script, not a test).

* PyVRP (``pyvrp``, MIT) — iterated local search, through ``clusteropt.tours``;
* OR-Tools routing (``ortools``, Apache-2.0) — path-cheapest-arc start, guided local search;
* VROOM (``pyvroom``, BSD-2) — its own construction and local search (it stops by itself).

OR-Tools and VROOM are not dependencies of clusteropt: ``pip install ortools pyvroom`` to run
this. Instances as in ``bench/bench_tours.py`` (CVRPLIB files, EUC_2D rounded).

    .venv/bin/python bench/compare_vrp_solvers.py A-n32-k5.vrp ... [--seconds 5]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import vrplib
from bench_tours import optimum_of, unit_vehicle

from clusteropt.lanes import Lanes
from clusteropt.tours import plan_tours


def pyvrp_cost(km, demand, cap, seconds) -> float:
    ids = [f"n{i}" for i in range(len(km))]
    tours = plan_tours(ids[0], {ids[i]: q / 1000.0 for i, q in enumerate(demand) if q > 0},
                       unit_vehicle(cap / 1000.0), Lanes(ids, km), direction="deliver",
                       stop_h=0.0, seconds=seconds, seed=1)
    return sum(t.km for t in tours)


def ortools_cost(km, demand, cap, seconds) -> float:
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    n = len(km)
    vehicles = int(np.ceil(sum(demand) / cap)) + 2
    man = pywrapcp.RoutingIndexManager(n, vehicles, 0)
    routing = pywrapcp.RoutingModel(man)
    dist = routing.RegisterTransitCallback(
        lambda i, j: int(km[man.IndexToNode(i)][man.IndexToNode(j)]))
    routing.SetArcCostEvaluatorOfAllVehicles(dist)
    load = routing.RegisterUnaryTransitCallback(lambda i: int(demand[man.IndexToNode(i)]))
    routing.AddDimensionWithVehicleCapacity(load, 0, [int(cap)] * vehicles, True, "load")
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = \
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    params.time_limit.FromSeconds(int(seconds))
    sol = routing.SolveWithParameters(params)
    return float(sol.ObjectiveValue()) if sol else float("nan")


def vroom_cost(km, demand, cap, seconds) -> float:
    import vroom

    problem = vroom.Input()
    problem.set_durations_matrix("car", np.asarray(km, dtype=np.uint32))
    vehicles = int(np.ceil(sum(demand) / cap)) + 2
    problem.add_vehicle([vroom.Vehicle(v, start=0, end=0, capacity=[int(cap)])
                         for v in range(vehicles)])
    problem.add_job([vroom.Job(i, location=i, delivery=[int(q)])
                     for i, q in enumerate(demand) if q > 0])
    sol = problem.solve(exploration_level=5, nb_threads=1)
    return float(sol.summary.cost)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("instances", nargs="+", type=Path)
    ap.add_argument("--seconds", type=float, default=5.0)
    a = ap.parse_args()
    solvers = {"pyvrp": pyvrp_cost, "ortools": ortools_cost, "vroom": vroom_cost}
    print(f"{'instance':12} {'optimum':>8} " + " ".join(f"{s:>16}" for s in solvers))
    for path in a.instances:
        inst = vrplib.read_instance(path)
        km = np.rint(inst["edge_weight"])
        demand, cap = [float(q) for q in inst["demand"]], float(inst["capacity"])
        best = optimum_of(path, inst)
        cells = []
        for f in solvers.values():
            t0 = time.perf_counter()
            cost = f(km, demand, cap, a.seconds)
            secs = time.perf_counter() - t0
            cells.append(f"{(cost - best) / best:6.2%} {secs:5.1f} s ")
        print(f"{path.stem:12} {best:8.0f} " + " ".join(f"{c:>16}" for c in cells))


if __name__ == "__main__":
    main()
