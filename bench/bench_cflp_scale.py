"""A doubling series for the fixing method on capacitated facility location (issue 20): how
its steps grow with the instance, each size in a process of its own (a script, not a test).

The instances are synthetic and shaped like OR-Library ``capa`` (seeded): sites and customers
uniform in the unit square, demands uniform 1–100, fixed costs uniform 1.37–2.25 M (capa's
range), the cost of serving a customer wholly from a site its demand × distance × 890 (capa's
median cost at the median distance), every site's capacity the total demand divided by
``--sites-needed`` (so the fewest sites that can serve it stays the same across sizes, as
capa at 8,000 needs 6.4).

    .venv/bin/python bench/bench_cflp_scale.py [--sizes 100x1000 200x2000 400x4000]
        [--limit 600] [--sites-needed 6.4] [--direct]

Prints per size: build and solve seconds, status, gap, objective, the subgradient steps'
seconds, the incumbent's seconds and the local search's LPs, the sites fixed and left free,
and peak memory; ``--direct`` adds HiGHS on the same model (``method: direct``).
"""

from __future__ import annotations

import argparse
import functools
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from clusteropt.benchmarks.orlib import CapInstance, cap_scenario
from clusteropt.lanes import build_lanes
from clusteropt.model import build
from clusteropt.solve import quiet_stdout, solve


def instance(m: int, n: int, sites_needed: float, seed: int = 0) -> CapInstance:
    rng = np.random.default_rng(seed)
    sites, customers = rng.uniform(0, 1, (m, 2)), rng.uniform(0, 1, (n, 2))
    demand = rng.integers(1, 101, n).astype(float)
    dist = np.linalg.norm(customers[:, None, :] - sites[None, :, :], axis=2)
    capacity = float(np.round(demand.sum() / sites_needed))
    return CapInstance(name=f"cflp{m}x{n}", capacity=[capacity] * m,
                       fixed_cost=rng.uniform(1.37e6, 2.25e6, m).round(),
                       demand=demand, cost=(dist * demand[:, None] * 890.0).round(3))


def one(m: int, n: int, method: str, limit: float, sites_needed: float) -> dict:
    """Build and solve one size in this process; the figures as a dict."""
    inst = instance(m, n, sites_needed)
    with tempfile.TemporaryDirectory() as tmp, quiet_stdout():
        sc = cap_scenario(inst, workdir=Path(tmp), gap_rel=0.0, threads=2)
        sc.options.method = method
        t0 = time.perf_counter()
        model = build(sc, build_lanes(sc))
        build_s = time.perf_counter() - t0
        r = solve(model, time_limit_s=limit)
    f = r.fixing or {}
    return {"status": r.status, "objective": r.objective, "gap": r.gap, "build_s": build_s,
            "solve_s": r.solve_s, "steps_s": f.get("lp_s"), "incumbent_s": f.get("incumbent_s"),
            "lps": f.get("swap_lps"), "fixed": f.get("fixed"), "free": f.get("free_integers"),
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _num(r: dict, key: str, fmt: str) -> str:
    """``r[key]`` formatted, or "-" as wide when absent."""
    if r.get(key) is None:
        return "-".rjust(int(fmt.split(".")[0].rstrip("d%f")))
    return format(r[key], fmt)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", nargs="*", default=["100x1000", "200x2000", "400x4000"])
    ap.add_argument("--limit", type=float, default=600)
    ap.add_argument("--sites-needed", type=float, default=6.4)
    ap.add_argument("--direct", action="store_true")
    ap.add_argument("--one", nargs=3, help=argparse.SUPPRESS)  # m n method: a child process
    a = ap.parse_args()
    if a.one:
        m, n, method = int(a.one[0]), int(a.one[1]), a.one[2]
        print(json.dumps(one(m, n, method, a.limit, a.sites_needed)))
        return
    print(f"{'size':>10} {'method':7} {'build s':>7} {'solve s':>8} {'status':>8} {'gap':>8} "
          f"{'objective':>16} {'steps s':>7} {'inc. s':>7} {'LPs':>5} {'fixed':>6} "
          f"{'free':>5} {'peak MB':>8}", flush=True)
    for size in a.sizes:
        m, n = map(int, size.split("x"))
        for method in ["fixing", *(["direct"] if a.direct else [])]:
            out = subprocess.run([sys.executable, __file__, "--one", str(m), str(n), method,
                                  "--limit", str(a.limit), "--sites-needed",
                                  str(a.sites_needed)], capture_output=True, text=True)
            if out.returncode != 0:
                print(f"{size:>10} {method:7} failed: {out.stderr.strip()[-300:]}", flush=True)
                continue
            r = json.loads(out.stdout.strip().splitlines()[-1])
            num = functools.partial(_num, r)
            print(f"{size:>10} {method:7} {r['build_s']:7.1f} {r['solve_s']:8.1f} "
                  f"{r['status']:>8} {num('gap', '8.3%')} {num('objective', '16.1f')} "
                  f"{num('steps_s', '7.1f')} {num('incumbent_s', '7.1f')} {num('lps', '5d')} "
                  f"{num('fixed', '6d')} {num('free', '5d')} {r['peak_mb']:8.0f}", flush=True)


if __name__ == "__main__":
    main()
