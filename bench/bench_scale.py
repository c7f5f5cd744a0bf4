"""Issue 20's scale targets, side by side (a script, not a test): the same synthetic model
(``bench_core.synthetic``) solved by HiGHS alone and by clusteropt's solve path, each in a
process of its own (peak memory: the process's plus its background start's), one HiGHS thread
each unless told.

* ``highs``: the model without clusteropt's valid inequalities (``trip_floor``,
  ``trip_cost_floor``), HiGHS completing the "everyone stays" start itself (its sub-MIP;
  outside its time limit);
* ``clusteropt``: the model as built (with both), the start completed block by block with
  every trip closed by the market (``clusteropt.start``; beside the full solve, in a process
  of its own, on models of 20,000 columns or more), the full solve stopped once its bound
  proves that start (or a better solution of its own) within the gap; after the start the
  same process computes the Lagrangian bound (``clusteropt.bound``), reported when higher
  than HiGHS's.

Both arms are asked for the target's gap (``--gap`` overrides) and stop when they prove it
or at the limit.

    .venv/bin/python bench/bench_scale.py                       # the four targets
    .venv/bin/python bench/bench_scale.py --only 600x10x40 --time-limit 60
    .venv/bin/python bench/bench_scale.py --series 150,300,600,1200,2400,4800   # doubling

Prints per size and arm: build s, solve s (wall, limit), gap reached, objective, bound, the
Lagrangian bound, peak MB, and the build's share of the total.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

TARGETS = {  # growers x sites x destinations: (time limit s, gap target)
    "600x10x40": (60, 0.001),
    "1000x10x50": (120, 0.005),
    "3000x10x100": (600, 0.01),
    "5000x30x100": (600, 0.01),
}


def arm(size: str, which: str, limit: float, threads: int, gap: float) -> dict:
    """Build and solve one size with one arm; the figures as a dict."""
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_core import synthetic

    import clusteropt.model.families as fam
    from clusteropt.highs import FastHiGHS
    from clusteropt.lanes import build_lanes
    from clusteropt.model import build
    from clusteropt.scenario import scenario_from_dict
    from clusteropt.solve import solve

    g, s, d = (int(x) for x in size.split("x"))
    if which == "highs":
        fam.define_trip_floor = lambda *a: None
        fam.define_trip_cost_floor = lambda *a: None
        FastHiGHS._complete_start = lambda self, h: h.setSolution(
            len(self._partial_start[0]), *self._partial_start)
    t0 = time.perf_counter()
    sc = scenario_from_dict(synthetic(g, s, d, 6), base_dir=Path("."))
    model = build(sc, build_lanes(sc))
    t_build = time.perf_counter() - t0
    seen = {}  # seconds into the solve: the first progress event, the first finite bound

    def progress(elapsed, incumbent, bound, gap_now):
        seen.setdefault("first", elapsed)
        if bound is not None and abs(bound) != float("inf"):
            seen.setdefault("bound", elapsed)

    rep = solve(model, time_limit_s=limit, gap_rel=gap, threads=threads, progress=progress)
    total = time.perf_counter() - t0
    return {"size": size, "arm": which, "build_s": t_build, "solve_s": rep.solve_s,
            "gap": rep.gap, "objective": rep.objective, "bound": rep.best_bound,
            # this process's peak plus the background start's (clusteropt.start): an upper
            # bound on the two together
            "peak_mb": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                        + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024,
            "build_share": t_build / total, "rows": model.size["constraints"],
            "integers": model.size["integers"], "variables": model.size["variables"],
            "nonzeros": model.size["nonzeros"], "first_s": seen.get("first"),
            "bound_s": seen.get("bound"),
            "start_s": (rep.start or {}).get("seconds"),
            # the Lagrangian bound (clusteropt.bound) and its seconds in the start's process
            "lagrangian": (rep.lagrangian or {}).get("bound"),
            "lagrangian_s": (rep.lagrangian or {}).get("seconds")}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", action="append", help="a size such as 600x10x40 (repeatable)")
    ap.add_argument("--time-limit", type=float, help="instead of each target's own")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--gap", type=float, help="instead of each target's own gap")
    ap.add_argument("--arms", default="highs,clusteropt", help="which arms (comma-separated)")
    ap.add_argument("--series", help="growers, comma-separated (e.g. 150,300,600,1200): a "
                    "doubling series of the clusteropt arm at --sites x --dests, one at a time")
    ap.add_argument("--sites", type=int, default=10)
    ap.add_argument("--dests", type=int, default=40)
    ap.add_argument("--arm", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.arm:
        print(json.dumps(arm(a.only[0], a.arm, a.time_limit, a.threads, a.gap)))
        return
    if a.series:
        series(a)
        return
    print(f"{'size':>12} {'arm':>10} {'target':>14} {'build s':>7} {'solve s':>8} "
          f"{'gap':>8} {'objective':>13} {'bound':>13} {'Lagrangian':>13} {'peak MB':>8} "
          f"{'build %':>7}", flush=True)
    for size in a.only or TARGETS:
        limit, goal = TARGETS.get(size, (a.time_limit or 60, 0.001))
        limit = a.time_limit or limit
        gap = a.gap if a.gap is not None else goal
        procs = {w: subprocess.Popen([sys.executable, __file__, "--only", size, "--arm", w,
                                      "--time-limit", str(limit), "--threads",
                                      str(a.threads), "--gap", str(gap)],
                                     stdout=subprocess.PIPE, text=True)
                 for w in a.arms.split(",")}  # side by side, at the same time
        for w, p in procs.items():
            out, _ = p.communicate()
            try:
                r = json.loads(out.strip().splitlines()[-1])
            except (IndexError, json.JSONDecodeError):
                print(f"{size:>12} {w:>10}  failed (exit {p.returncode})")
                continue

            def num(x, fmt):
                return format(x, fmt) if x is not None else "-"

            print(f"{size:>12} {w:>10} {f'{goal:.1%} in {limit:.0f} s':>14} "
                  f"{r['build_s']:7.1f} {r['solve_s']:8.1f} {num(r['gap'], '.3%'):>8} "
                  f"{num(r['objective'], ',.0f'):>13} {num(r['bound'], ',.0f'):>13} "
                  f"{num(r.get('lagrangian'), ',.0f'):>13} "
                  f"{r['peak_mb']:8,.0f} {r['build_share']:7.1%}", flush=True)


def series(a) -> None:
    """The clusteropt arm alone, one size after another (the machine to itself), with the
    phases that make the curve bend: the start (block start and presolve: the first progress
    event), the root LP (the first finite bound), the end."""
    limit = a.time_limit or 600
    gap = a.gap if a.gap is not None else 0.001
    print(f"doubling series at {a.sites} sites x {a.dests} destinations, gap {gap:.1%}, "
          f"limit {limit:.0f} s, {a.threads} thread(s)")
    print(f"{'growers':>7} {'variables':>9} {'non-zeros':>10} {'build s':>7} {'blocks s':>8} "
          f"{'start s':>7} {'bound s':>7} {'solve s':>7} {'gap':>7} {'peak MB':>7}", flush=True)
    for growers in (int(x) for x in a.series.split(",")):
        size = f"{growers}x{a.sites}x{a.dests}"
        p = subprocess.run([sys.executable, __file__, "--only", size, "--arm", "clusteropt",
                            "--time-limit", str(limit), "--threads", str(a.threads),
                            "--gap", str(gap)], stdout=subprocess.PIPE, text=True)
        try:
            r = json.loads(p.stdout.strip().splitlines()[-1])
        except (IndexError, json.JSONDecodeError):
            print(f"{growers:>7}  failed (exit {p.returncode})", flush=True)
            continue

        def num(x, fmt="7.1f"):
            return format(x, fmt) if x is not None else "-"

        print(f"{growers:>7} {r['variables']:>9,} {r['nonzeros']:>10,} {r['build_s']:7.1f} "
              f"{num(r['start_s'], '8.1f')} {num(r['first_s'])} {num(r['bound_s'])} "
              f"{r['solve_s']:7.1f} {num(r['gap'], '7.3%')} {r['peak_mb']:7,.0f}", flush=True)


if __name__ == "__main__":
    main()
