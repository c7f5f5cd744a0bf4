"""Performance harness (a script, not a test): our build + solve against two references,
measured in the same run, on OR-Library capacitated facility location instances.

* ours: the clusteropt scenario through the ordinary builder and solver (build s, solve s);
* HiGHS alone: highspy on the MPS file our model writes — the floor for this formulation;
* textbook: a plain PuLP model (scalar loops, weak linking Σ_j x_ij ≤ s_i y_i only, no
  x_ij ≤ d_j y_i) solved by HiGHS through PuLP.

Ratios ours / HiGHS-alone (target ≤ 1.2 on the plain solve path) and ours / textbook. Each
time is the fastest of ``--repeat`` runs (default 3), after one warm-up solve that pays the
once-per-process costs (imports, HiGHS's thread scheduler), so that the ratios compare the
per-model work.

    .venv/bin/python bench/bench_ratios.py [cap41 cap71 cap101 cap131 …]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import highspy
import pulp

from clusteropt.benchmarks.orlib import cap_scenario, read_cap
from clusteropt.lanes import build_lanes
from clusteropt.model import build
from clusteropt.solve import quiet_stdout, solve

SHARED = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "orlib-cap"


def ours(name: str, work: Path) -> tuple[float, float, float, Path]:
    inst = read_cap(SHARED / f"{name}.txt")
    sc = cap_scenario(inst, workdir=work, gap_rel=0.0, threads=1)
    t0 = time.perf_counter()
    model = build(sc, build_lanes(sc))
    build_s = time.perf_counter() - t0
    with quiet_stdout():
        report = solve(model, gap_rel=0.0, threads=1, time_limit_s=600)
    mps = work / f"{name}.mps"
    model.prob.writeMPS(str(mps))
    return build_s, report.solve_s, report.objective, mps


def highs_alone(mps: Path) -> tuple[float, float]:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.readModel(str(mps))
    t0 = time.perf_counter()
    h.run()
    return time.perf_counter() - t0, h.getInfo().objective_function_value


def textbook(name: str) -> tuple[float, float]:
    inst = read_cap(SHARED / f"{name}.txt")
    m, n = inst.m, inst.n
    caps = inst.capacities(None)
    t0 = time.perf_counter()
    prob = pulp.LpProblem("textbook", pulp.LpMinimize)
    y = [prob.add_variable(f"y{i}", cat="Binary") for i in range(m)]
    x = [[prob.add_variable(f"x{i}_{j}", 0, 1) for j in range(n)] for i in range(m)]
    prob += pulp.lpSum(inst.fixed_cost[i] * y[i] for i in range(m)) + pulp.lpSum(
        inst.cost[j, i] * x[i][j] for i in range(m) for j in range(n))
    for j in range(n):
        prob += pulp.lpSum(x[i][j] for i in range(m)) == 1
    for i in range(m):
        prob += pulp.lpSum(inst.demand[j] * x[i][j] for j in range(n)) <= caps[i] * y[i]
    with quiet_stdout():
        prob.solve(pulp.HiGHS(msg=False, gapRel=0.0, threads=1))
    return time.perf_counter() - t0, pulp.value(prob.objective)


def fastest(runs: list[tuple]) -> tuple:
    """Element-wise minimum of the timing fields of repeated runs (the last field is kept)."""
    return tuple(min(r[k] for r in runs) for k in range(len(runs[0]) - 1)) + (runs[0][-1],)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("names", nargs="*", default=["cap41", "cap71", "cap101", "cap111", "cap121"])
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    names = a.names
    if not SHARED.is_dir():
        sys.exit(f"benchmark data not found at {SHARED}")
    print(f"{'instance':10} {'build s':>8} {'solve s':>8} {'HiGHS s':>8} {'textbook s':>10} "
          f"{'solve/HiGHS':>11} {'total/HiGHS':>11} {'total/textbook':>14}  objectives agree")
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            if not (SHARED / f"{name}.txt").exists():
                print(f"{name:10} (no file)")
                continue
            if name == names[0]:
                ours(name, Path(tmp))  # warm-up
            runs = [ours(name, Path(tmp)) for _ in range(a.repeat)]
            b, s = (min(r[k] for r in runs) for k in (0, 1))
            obj, mps = runs[0][2], runs[0][3]
            with quiet_stdout():
                h, hobj = fastest([highs_alone(mps) for _ in range(a.repeat)])
                tb, tobj = fastest([textbook(name) for _ in range(a.repeat)])
            agree = abs(obj - hobj) <= 1e-6 * obj and abs(obj - tobj) <= 1e-6 * obj
            print(f"{name:10} {b:8.2f} {s:8.2f} {h:8.2f} {tb:10.2f} {s / h:11.2f} "
                  f"{(b + s) / h:11.2f} {(b + s) / tb:14.2f}  {agree}", flush=True)


if __name__ == "__main__":
    main()
