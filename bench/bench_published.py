"""Published-benchmark timings (a script, not a test): for every instance of
``shared/benchmarks`` with a published optimum, our build and solve seconds and our objective
against the optimum, through the ordinary builder, solver and checker (gap 0).

    .venv/bin/python bench/bench_published.py [--sets cap,capa,ap,cab] [--form arc|route]
        [--max-n 50] [--p 2,3,4,5] [--time-limit 600] [--data ../shared/benchmarks]

Sets: ``cap`` = cap41 … cap134 (the files present, multi-source ``cflp``), ``capa`` = capa with
its four capacities (minutes each), ``ap`` = AP UMApHMP n ≤ --max-n, ``cab`` = CAB UMApHMP
n ≤ --max-n (all alphas of optima.csv). Default: all sets, arc form, n ≤ 25.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from clusteropt.benchmarks import optima as opt
from clusteropt.benchmarks.command import MATCH_REL, run_benchmark
from clusteropt.benchmarks.hub import hub_scenario, read_ap, read_cab
from clusteropt.benchmarks.orlib import cap_scenario, read_cap

DATA = Path(__file__).resolve().parents[2] / "shared" / "benchmarks"


def cap_jobs(data: Path, with_capa: bool, with_cap: bool):
    rows = opt.read_optima(data / "orlib-cap" / "optima.csv")
    for r in rows:
        if r.problem != "cflp":
            continue
        cap = r.number("capacity")
        if (r.instance == "capa") != with_capa or (r.instance != "capa" and not with_cap):
            continue
        path = data / "orlib-cap" / f"{r.instance}.txt"
        if not path.is_file():
            continue
        inst = read_cap(path)
        variant = f"capacity={cap:g}" if cap is not None else "cflp"
        yield (inst.name, variant, lambda wd, inst=inst, cap=cap: cap_scenario(inst, cap, wd),
               1.0, r.value)


def hub_jobs(data: Path, dataset: str, form: str, max_n: int, ps: set[int]):
    folder = data / ("hub-ap" if dataset == "ap" else "hub-cab")
    rows = [r for r in opt.read_optima(folder / "optima.csv") if r.problem == "UMApHMP"]
    cache = {}
    for r in rows:
        n = int(r.instance[2:] if dataset == "ap" else r.instance[3:])
        p = int(r.number("p"))
        if n > max_n or p not in ps:
            continue
        if n not in cache:
            cache[n] = read_ap(folder, n) if dataset == "ap" else read_cab(folder, n)
        inst = cache[n]
        a = r.number("alpha")
        yield (inst.name, f"p={p};alpha={a:g}",
               lambda wd, inst=inst, p=p, a=a: hub_scenario(inst, p, a, form, wd),
               inst.scale, r.value)


def _gap(g: float | None) -> str:
    return "-" if g is None else f"{g:.0e}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sets", default="cap,capa,ap,cab")
    ap.add_argument("--form", default="arc", choices=["arc", "route"])
    ap.add_argument("--max-n", type=int, default=25)
    ap.add_argument("--p", default="1,2,3,4,5")
    ap.add_argument("--time-limit", type=float, default=600.0)
    ap.add_argument("--data", type=Path, default=DATA)
    a = ap.parse_args()
    sets = set(a.sets.split(","))
    ps = {int(x) for x in a.p.split(",")}
    jobs = []
    if "cap" in sets or "capa" in sets:
        jobs += list(cap_jobs(a.data, "capa" in sets, "cap" in sets))
    for ds in ("ap", "cab"):
        if ds in sets:
            jobs += list(hub_jobs(a.data, ds, a.form, a.max_n, ps))
    print(f"{'instance':8}  {'variant':18}  {'objective':>20}  {'optimum':>20}  {'rel diff':>9}  "
          f"{'status':9}  {'gap':>7}  {'build s':>8}  {'solve s':>8}  check", flush=True)
    t0 = time.perf_counter()
    bad = 0
    for name, variant, make, scale, optimum in jobs:
        rec = run_benchmark(name, variant, make, scale, optimum, a.time_limit, 0.0)
        obj = "-" if rec["objective"] is None else f"{rec['objective']:,.4f}"
        diff = "-" if rec["rel_diff"] is None else f"{rec['rel_diff']:.1e}"
        ok = rec["match"] and rec["check"]
        bad += not ok
        print(f"{name:8}  {variant:18}  {obj:>20}  {optimum:>20,.4f}  {diff:>9}  "
              f"{rec['status'] or '-':9}  {_gap(rec['gap']):>7}  {rec['build_s'] or 0:8.2f}  "
              f"{rec['solve_s'] or 0:8.2f}  "
              f"{'ok' if rec['check'] else 'FAIL'}{'' if ok else '  <-- MISMATCH/CHECK'}",
              flush=True)
    print(f"{len(jobs)} runs in {time.perf_counter() - t0:.0f} s; {len(jobs) - bad} match "
          f"within {MATCH_REL:g} with a passing check")


if __name__ == "__main__":
    main()
