"""Evaluate offline road distances from ``scgraph`` 2.x + ``scgraph-data`` (OpenStreetMap-derived
world highways) against straight line × circuity on Dutch place pairs (a script, not a test):

    pip install --target /tmp/scg "scgraph>=2.15,<3" scgraph-data==2.0.0
    PYTHONPATH=/tmp/scg:. python bench/bench_road_distances.py

Pairs: every pair of the 16 towns and cities below (``data/places.csv``, GeoNames points), 120
pairs, straight line 8–231 km. Printed: the load time of the graph, the time per query, and for
each pair the straight-line km (EPSG:28992), scgraph's km and their ratio (scgraph's implied
circuity); then the ratio's distribution, the pairs whose ratio is below 1.1 (the road
graph cuts corners or misses the roads near a point: a road is never that straight over these
distances in the Netherlands) or above 1.8, and the mean absolute difference between scgraph
and straight line × 1.3 (the default ``circuity_default``). There is no published Dutch road
distance table with a licence to compare with (see ../shared/data-sources/SOURCES.md); the
project's own check of 18 city pairs over a national main-road network gave a mean ratio of 1.19
(all main roads) to 1.29 (motorways only), data/README.md.
"""

from __future__ import annotations

import itertools
import statistics
import time

import numpy as np

from clusteropt import defaults
from clusteropt.geo import project_points, straight_line_km

PLACES = ["naaldwijk", "aalsmeer", "rotterdam", "barendrecht", "venlo-trade", "maasvlakte",
          "apeldoorn", "deventer", "hengelo", "ede", "barneveld", "emmen", "coevorden",
          "veendam", "stadskanaal", "wieringermeer"]
CIRCUITY = defaults.factor("circuity_default")


def main() -> None:
    t0 = time.perf_counter()
    from scgraph_data.world_highways import world_highways_geograph as graph

    load_s = time.perf_counter() - t0
    table = defaults.places().loc[PLACES]
    x, y = project_points(lon=table.lon.to_numpy(), lat=table.lat.to_numpy(), source_crs=None)
    straight = straight_line_km(x, y)
    rows, times = [], []
    for i, j in itertools.combinations(range(len(PLACES)), 2):
        a, b = table.iloc[i], table.iloc[j]
        t1 = time.perf_counter()
        out = graph.get_shortest_path(origin_node={"latitude": a.lat, "longitude": a.lon},
                                      destination_node={"latitude": b.lat, "longitude": b.lon},
                                      output_units="km")
        times.append(time.perf_counter() - t1)
        rows.append((PLACES[i], PLACES[j], float(straight[i, j]), float(out["length"])))
    print(f"graph load {load_s:.1f} s; query mean {1000 * statistics.mean(times):.0f} ms, "
          f"max {1000 * max(times):.0f} ms ({len(rows)} pairs)")
    print(f"{'from':<14} {'to':<14} {'straight km':>11} {'scgraph km':>10} {'ratio':>6}")
    for a, b, s, r in rows:
        print(f"{a:<14} {b:<14} {s:11.1f} {r:10.1f} {r / s:6.2f}")
    ratio = np.array([r / s for _, _, s, r in rows])
    q = np.percentile(ratio, [5, 25, 50, 75, 95])
    print(f"ratio scgraph / straight line: mean {ratio.mean():.3f}, median {q[2]:.3f}, "
          f"p5 {q[0]:.3f}, p25 {q[1]:.3f}, p75 {q[3]:.3f}, p95 {q[4]:.3f}, "
          f"min {ratio.min():.3f}, max {ratio.max():.3f}")
    low = [(a, b, r / s) for a, b, s, r in rows if r / s < 1.1]
    high = [(a, b, r / s) for a, b, s, r in rows if r / s > 1.8]
    print(f"ratio < 1.1: {len(low)} pairs {[(a, b, round(v, 2)) for a, b, v in low][:8]}")
    print(f"ratio > 1.8: {len(high)} pairs {[(a, b, round(v, 2)) for a, b, v in high][:8]}")
    diff = [abs(r - CIRCUITY * s) / r for _, _, s, r in rows]
    print(f"straight line x {CIRCUITY:g} vs scgraph: mean absolute difference "
          f"{100 * statistics.mean(diff):.1f} % of scgraph's km, max {100 * max(diff):.1f} %")


if __name__ == "__main__":
    main()
