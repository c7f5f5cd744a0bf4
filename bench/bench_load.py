"""Benchmark loading (validating) the whole-Westland case against its number of firms, and the
lanes for many nodes (a script, not a test): python bench/bench_load.py [--quick]

1. Load time: ``load_scenario`` on cuts of scenarios/large/verkassen-westland.yaml with the
   first 100, 200, 400 and all 587 growers, then a doubling series up to 2,400 firms made by
   replicating growers (copy k of grower-001 is grower-001-k, its farm farm-001-k, the same
   point). Each cut is written to a temporary folder.
2. Lanes: time and peak memory (tracemalloc) of the lanes a model of n nodes uses, for
   2,000 / 5,000 / 20,000 random nodes in the Netherlands.
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only 100 and 200 firms")
    parser.add_argument("--sizes", type=str, default="", help="comma-separated firm counts")
    args = parser.parse_args()
    if args.sizes:
        sizes = [int(s) for s in args.sizes.split(",")]
    elif args.quick:
        sizes = [100, 200]
    else:
        sizes = [100, 200, 400, 587, 1200, 2400]
    bench_load(sizes)


if __name__ == "__main__":
    main()
