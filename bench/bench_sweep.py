"""Sweep benchmark (a script, not a test): a 40-point sweep of westland-mini, solved one by one
in this process and on a local Dask cluster of 2 worker processes (one thread each).

Prints: the sequential time; the cluster's start-up; the sweep's wall time on 2 workers, cold
(the workers still import clusteropt on their first task) and warm; the speed-up; and the
overhead per point (Dask dispatch, transfer, storing the result) against the solve time.

    .venv/bin/python bench/bench_sweep.py [--points 40] [--workers 2] [--no-baseline]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from clusteropt.sweep import dask_client, plan_sweep, run_sweep, solve_point

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "westland-mini.yaml"


def _burn(n: int) -> float:
    t0 = time.perf_counter()
    s = 0
    for i in range(n):
        s += i * i
    return time.perf_counter() - t0


def machine_parallelism(workers: int, n: int = 3_000_000) -> float:
    """How many times one process's work ``workers`` processes get done in the same time on
    this machine now (pure Python loops): the ceiling for any speed-up measured here."""
    import multiprocessing as mp

    one = _burn(n)
    with mp.get_context("spawn").Pool(workers) as pool:
        pool.map(_burn, [1000] * workers)  # start-up out of the timing
        t0 = time.perf_counter()
        pool.map(_burn, [n] * workers)
        many = time.perf_counter() - t0
    return workers * one / many


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=40)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--no-baseline", action="store_true",
                    help="solve without the baseline and savings split (1 solve per point "
                         "instead of 4)")
    args = ap.parse_args()
    params = ["circuity=uniform(1.2,1.45)", "co2_price_eur_per_t=triangular(0,100,250)",
              "vehicle:tractor-semitrailer.cost_eur_per_km=normal(1.05,0.08)"]
    plan = plan_sweep(SCENARIO, params, variants=["base"], samples=args.points, seed=1,
                      baseline=not args.no_baseline, gap_rel=0.0)
    n = len(plan.tasks)
    base = (plan.scenarios["base"], plan.lanes["base"])
    print(f"westland-mini, {n} points, baseline {'off' if args.no_baseline else 'on'}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    print(f"machine parallelism now      : {machine_parallelism(args.workers):5.2f}× with "
          f"{args.workers} processes (the ceiling for the speed-up below)")

    solve_point(base, plan.tasks[0].params, plan.settings)  # warm imports
    t0 = time.perf_counter()
    seq = [solve_point(base, t.params, plan.settings) for t in plan.tasks]
    seq_s = time.perf_counter() - t0
    per_point = [r["elapsed_s"] for r in seq]
    solve_s = [r["solve_s"] for r in seq if r.get("solve_s") is not None]
    print(f"sequential (this process)    : {seq_s:7.2f} s  ({seq_s / n * 1000:6.1f} ms/point; "
          f"HiGHS in the main solve {statistics.mean(solve_s) * 1000:6.1f} ms)")

    tmp = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    try:
        t0 = time.perf_counter()
        with dask_client(args.workers) as client:
            start_s = time.perf_counter() - t0
            print(f"LocalCluster start ({args.workers} workers): {start_s:7.2f} s")
            res = run_sweep(plan, tmp / "cold", client=client, analyse_results=False)
            cold_s = res.elapsed_s
            res = run_sweep(plan, tmp / "warm", client=client, analyse_results=False)
            warm_s = res.elapsed_s
            on_worker = res.table["elapsed_s"].astype(float)
            ok = res.table["status"].isin(("optimal", "feasible")).all()
        print(f"{args.workers} workers, cold (first use)  : {cold_s:7.2f} s  "
              f"speed-up {seq_s / cold_s:4.2f}×")
        print(f"{args.workers} workers, warm             : {warm_s:7.2f} s  "
              f"speed-up {seq_s / warm_s:4.2f}×  (ideal {args.workers:.2f}×)")
        print(f"   incl. cluster start        : {start_s + cold_s:7.2f} s  "
              f"speed-up {seq_s / (start_s + cold_s):4.2f}×")
        task_ms = on_worker.mean() * 1000
        dispatch_ms = (warm_s * args.workers / n - on_worker.mean()) * 1000
        print(f"per point on a worker        : {task_ms:6.1f} ms (sequential "
              f"{statistics.mean(per_point) * 1000:6.1f} ms; the difference is sharing "
              f"{os.cpu_count()} CPUs with the scheduler and client)")
        print(f"Dask overhead per point      : {dispatch_ms:6.1f} ms "
              f"(worker-time not spent in the task: dispatch, transfer, gathering, storing)")
        print(f"all points solved            : {ok}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":  # the workers are spawned processes: they import this module
    main()
