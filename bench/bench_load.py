"""Benchmark loading (validating) the whole-Westland case against its number of firms, and the
lanes for many nodes (a script, not a test): python bench/bench_load.py [--quick]

1. Load time: ``load_scenario`` on cuts of scenarios/large/verkassen-westland.yaml with the
   first 100, 200, 400 and all 587 growers, then a doubling series up to 2,400 firms made by
   replicating growers (copy k of grower-001 is grower-001-k, its farm farm-001-k, the same
   point). Each cut is written to a temporary folder.
2. Lanes (``--lanes``): for cuts with about 2,000 / 5,000 / 20,000 nodes (firms replicated as
   above, so the copies share points), the time of ``build_lanes`` and of asking the lanes
   the legs of every directed demand can use (road km, time and toll share between each of
   the origin's and each of the destination's nodes: today's node and its candidates), and
   the peak resident memory (``resource.getrusage``) before and after; each size in a
   process of its own, so that peaks do not carry over.
"""

from __future__ import annotations

import argparse
import csv
import re
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CASE = ROOT / "scenarios" / "large" / "verkassen-westland.yaml"
DATA = ROOT / "data" / "verkassen-westland"
GROWER = re.compile(r"^grower-(\d+)")


def read_rows(path: Path) -> tuple[list[str], list[dict]]:
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def write_rows(path: Path, fields: list[str], rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)


def renamed(value: str, copy: int) -> str:
    """``grower-001`` → ``grower-001-<copy>``, ``farm-001`` → ``farm-001-<copy>`` (copy 1: as is);
    other values unchanged (a demand id ``grower-001-trader`` becomes ``grower-001-2-trader``)."""
    if copy == 1 or not value:
        return value
    return re.sub(r"^(grower|farm)-(\d+)", lambda m: f"{m[0]}-{copy}", value)


def write_case(folder: Path, n_firms: int) -> Path:
    """The Westland case with ``n_firms`` growers (the first ones; past 587, copies) in
    ``folder``; returns its scenario file."""
    tables = {t: read_rows(DATA / f"{t}.csv") for t in
              ("nodes", "activities", "commodities", "demands", "vehicles")}
    fields, acts = tables["activities"]
    growers = [a for a in acts if GROWER.match(a["id"])]
    fixed = [a for a in acts if not GROWER.match(a["id"])]
    picks = [(g, 1 + i // len(growers)) for i, g in enumerate(growers * (n_firms // len(growers)
                                                                         + 1))][:n_firms]
    farm_of = {g["id"]: g["node"] for g in growers}
    nodes_f, nodes = tables["nodes"]
    node_by_id = {n["id"]: n for n in nodes}
    dem_f, dems = tables["demands"]
    dem_by_grower: dict[str, list[dict]] = {}
    for d in dems:
        m = GROWER.match(d["id"])
        dem_by_grower.setdefault(m[0] if m else "", []).append(d)
    out_acts, out_nodes, out_dems = [], [], []
    for g, k in picks:
        out_acts.append({**g, "id": renamed(g["id"], k), "node": renamed(g["node"], k)})
        farm = node_by_id[farm_of[g["id"]]]
        out_nodes.append({**farm, "id": renamed(farm["id"], k)})
        for d in dem_by_grower[g["id"]]:
            out_dems.append({**d, **{c: renamed(d[c], k) for c in ("id", "origin",
                                                                    "destination")}})
    out_nodes += [n for n in nodes if not n["id"].startswith("farm-")]
    folder.mkdir(parents=True, exist_ok=True)
    write_rows(folder / "activities.csv", fields, out_acts + fixed)
    write_rows(folder / "nodes.csv", nodes_f, out_nodes)
    write_rows(folder / "demands.csv", dem_f, out_dems)
    for t in ("commodities", "vehicles"):
        write_rows(folder / f"{t}.csv", *tables[t])
    text = CASE.read_text(encoding="utf-8").replace("../../data/verkassen-westland/", "")
    path = folder / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def bench_load(sizes: list[int]) -> None:
    from clusteropt.scenario import load_scenario

    print(f"{'firms':>6} {'load s':>8}")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            path = write_case(Path(tmp), n)
            t0 = time.perf_counter()
            load_scenario(path)
            print(f"{n:>6} {time.perf_counter() - t0:>8.2f}", flush=True)


def lane_legs(sc) -> list[tuple[str, str]]:
    """The (origin node, destination node) pairs the directed demands' legs can use."""
    def nodes(aid):
        a = sc.activities[aid]
        return list(dict.fromkeys(([a.node] if a.node else []) + a.candidates))
    return [(i, j) for d in sc.demands.values() if d.kind == "directed"
            for i in nodes(d.origin) for j in nodes(d.destination) if i != j]


def bench_lanes_one(n_firms: int) -> None:
    import resource

    from clusteropt.lanes import build_lanes
    from clusteropt.scenario import load_scenario

    def rss_mb() -> float:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    with tempfile.TemporaryDirectory() as tmp:
        sc = load_scenario(write_case(Path(tmp), n_firms))
    legs = lane_legs(sc)
    before = rss_mb()
    t0 = time.perf_counter()
    lanes = build_lanes(sc)
    t_build = time.perf_counter() - t0
    vt = next(iter(sc.vehicles.values()))
    t0 = time.perf_counter()
    total = sum(lanes.distance(i, j) + lanes.time(i, j, vt.speed_kmh) + lanes.toll_share(i, j)
                for i, j in legs)
    t_ask = time.perf_counter() - t0
    print(f"{len(sc.nodes):>7,} {len(legs):>9,} {t_build:>9.2f} {t_ask:>8.2f} {before:>10,.0f} "
          f"{rss_mb():>10,.0f}   (checksum {total:.6g})", flush=True)


def bench_lanes(sizes: list[int]) -> None:
    import subprocess
    import sys

    print(f"{'nodes':>7} {'legs':>9} {'build s':>9} {'ask s':>8} {'RSS0 MB':>10} {'RSS MB':>10}")
    for n in sizes:
        subprocess.run([sys.executable, __file__, "--lanes-one", str(n)], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only 100 and 200 firms")
    parser.add_argument("--sizes", type=str, default="", help="comma-separated firm counts")
    parser.add_argument("--lanes", action="store_true",
                        help="benchmark the lanes (about 2,000, 5,000, 20,000 nodes)")
    parser.add_argument("--lanes-one", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.lanes_one:
        bench_lanes_one(args.lanes_one)
        return
    if args.lanes:
        bench_lanes([int(s) for s in args.sizes.split(",")] if args.sizes
                    else [1977, 4977, 19977])
        return
    if args.sizes:
        sizes = [int(s) for s in args.sizes.split(",")]
    elif args.quick:
        sizes = [100, 200]
    else:
        sizes = [100, 200, 400, 587, 1200, 2400]
    bench_load(sizes)


if __name__ == "__main__":
    main()
