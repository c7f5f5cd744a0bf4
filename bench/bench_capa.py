"""Hard placement instances (issue #7): OR-Library ``capa`` (100 sites × 1,000 customers) for
every capacity variant, three ways, measured in the same run (a script, not a test):

* **HiGHS alone** — highspy on the plain strong formulation (open y_i, shares x_ij,
  Σ_i x_ij = 1, Σ_j d_j x_ij ≤ s y_i, x_ij ≤ y_i), gap 0;
* **direct** — our scenario through the ordinary builder (which adds the capacity cover rows
  Σ s·y ≥ D and Σ y ≥ k_min) and HiGHS on it (``method: direct``);
* **fixing** — the same model by ``method: fixing`` (clusteropt/fixing.py: the block
  Lagrangian's multipliers by subgradient steps, an incumbent by local search over the open
  sites, Lagrangian fixing of sites, exact MILP) — what ``auto`` picks on this model;
* **fixing-lp** — the same with the multipliers from the LP relaxation (interior point), as
  the fixing method did before 2026-12-07.

For each: the gap after 60 s (a run with a 60 s limit) and, when that run did not prove
optimality, the time to proof within ``--limit`` seconds (or the gap there); for the fixing
arms also the incumbent, its seconds, the local search's LPs and the sites fixed.

    .venv/bin/python bench/bench_capa.py [--capacities 8000 10000 12000 14000] [--limit 300]
    .venv/bin/python bench/bench_capa.py --methods fixing fixing-lp
"""

from __future__ import annotations

import argparse
import functools
import sys
import tempfile
import time
from pathlib import Path

import highspy
import numpy as np

from clusteropt import fixing
from clusteropt.benchmarks.optima import find, read_optima
from clusteropt.benchmarks.orlib import cap_scenario, read_cap
from clusteropt.lanes import build_lanes
from clusteropt.model import build
from clusteropt.solve import quiet_stdout, solve

FIXING_SOLVE = fixing.solve
SHARED = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "orlib-cap"


def highs_alone(inst, cap: float, limit: float) -> tuple[str, float, float, float]:
    """(status, objective, gap, seconds) of HiGHS on the plain strong formulation."""
    m, n = inst.m, inst.n
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 2)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("time_limit", limit)
    ncol = m + m * n
    cost = np.concatenate([inst.fixed_cost, inst.cost.T.reshape(-1)])
    empty = np.zeros(0, np.int32)
    h.addCols(ncol, cost, np.zeros(ncol), np.ones(ncol), 0, empty, empty, np.zeros(0))
    h.changeColsIntegrality(m, np.arange(m, dtype=np.int32),
                            np.full(m, highspy.HighsVarType.kInteger))
    x = (m + np.arange(m)[:, None] * n + np.arange(n)[None, :])  # x[i, j]
    inf = highspy.kHighsInf
    # Σ_i x_ij = 1
    idx = x.T.reshape(-1)
    h.addRows(n, np.ones(n), np.ones(n), m * n, (np.arange(n) * m).astype(np.int32),
              idx.astype(np.int32), np.ones(m * n))
    # Σ_j d_j x_ij − s y_i ≤ 0
    idx = np.concatenate([np.concatenate([x[i], [i]]) for i in range(m)])
    val = np.tile(np.concatenate([inst.demand, [-cap]]), m)
    h.addRows(m, np.full(m, -inf), np.zeros(m), m * (n + 1),
              (np.arange(m) * (n + 1)).astype(np.int32), idx.astype(np.int32), val)
    # x_ij − y_i ≤ 0
    idx = np.stack([x.reshape(-1), np.repeat(np.arange(m), n)], axis=1).reshape(-1)
    h.addRows(m * n, np.full(m * n, -inf), np.zeros(m * n), 2 * m * n,
              (2 * np.arange(m * n)).astype(np.int32), idx.astype(np.int32),
              np.tile([1.0, -1.0], m * n))
    t0 = time.perf_counter()
    h.run()
    info = h.getInfo()
    return (h.modelStatusToString(h.getModelStatus()), info.objective_function_value,
            info.mip_gap, time.perf_counter() - t0)


def ours(inst, cap: float, method: str, limit: float, work: Path):
    """``fixing-lp``: the fixing method with its multipliers from the LP relaxation (as
    before 2026-12-07) instead of subgradient steps."""
    fixing.solve = functools.partial(FIXING_SOLVE,
                                     dual="lp" if method == "fixing-lp" else "auto")
    sc = cap_scenario(inst, capacity=cap, workdir=work, gap_rel=0.0, threads=2)
    sc.options.method = "fixing" if method == "fixing-lp" else method
    t0 = time.perf_counter()
    model = build(sc, build_lanes(sc))
    build_s = time.perf_counter() - t0
    r = solve(model, time_limit_s=limit)
    return r.status, r.objective, r.gap, build_s + r.solve_s, build_s, r.fixing or {}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--capacities", type=float, nargs="*", default=[8000, 10000, 12000, 14000])
    ap.add_argument("--limit", type=float, default=300)
    ap.add_argument("--methods", nargs="*", default=["highs-alone", "direct", "fixing"])
    a = ap.parse_args()
    if not (SHARED / "capa.txt").exists():
        sys.exit(f"benchmark data not found at {SHARED}")
    inst = read_cap(SHARED / "capa.txt")
    optima = read_optima(SHARED / "optima.csv")
    print(f"{'capacity':>8} {'method':12} {'gap 60 s':>9} {'proof s':>8} {'gap end':>8} "
          f"{'objective':>16} {'optimum':>16} {'build s':>7} {'incumbent':>16} "
          f"{'search s':>8} {'LPs':>5} {'fixed':>5}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for cap in a.capacities:
            rows = find(optima, "capa", "cflp", capacity=cap)
            best = rows[0].value if rows else None
            for method in a.methods:
                runs = []
                for limit in (60.0, a.limit):
                    with quiet_stdout():
                        if method == "highs-alone":
                            st, obj, gap, secs = highs_alone(inst, cap, limit)
                            build_s, steps = 0.0, {}
                        else:
                            st, obj, gap, secs, build_s, steps = ours(inst, cap, method,
                                                                      limit, Path(tmp))
                    runs.append((st, obj, gap, secs, build_s, steps))
                    if st.lower() == "optimal" or limit >= a.limit:
                        break
                g60 = 0.0 if runs[0][0].lower() == "optimal" else runs[0][2]
                st, obj, gap, secs, build_s, steps = runs[-1]
                proof = f"{secs:8.1f}" if st.lower() == "optimal" else f">{a.limit:7.0f}"
                print(f"{cap:8.0f} {method:12} {g60:9.3%} {proof} {gap or 0:8.3%} "
                      f"{obj:16.3f} {best if best is not None else float('nan'):16.3f} "
                      f"{build_s:7.1f} {steps.get('incumbent') or float('nan'):16.3f} "
                      f"{steps.get('incumbent_s', float('nan')):8.1f} "
                      f"{steps.get('swap_lps', 0):5d} {steps.get('fixed', 0):5d}", flush=True)


if __name__ == "__main__":
    main()
