"""Benchmark clusteropt.geo (a script, not a test): python bench/bench_geo.py

1. Straight-line table 5,000 x 50 from random lon/lat points in the Netherlands, including the
   projection to EPSG:28992 (target: well under 2 s).
2. Network table 200 x 20 on a synthetic grid network of ~20,000 segments (build and query
   timed separately).
"""

import time

import numpy as np
import shapely

from clusteropt.geo import RoadNetwork, project_points, straight_line_km

SEED = 42
N_ORIGINS, N_SITES = 5_000, 50
NL_LON, NL_LAT = (4.0, 6.8), (51.5, 53.2)  # box well inside the EPSG:28992 area of use
GRID_NODES = 100  # 100 x 100 nodes -> 2 * 100 * 99 = 19,800 segments
GRID_SPACING_M = 1_000.0
GRID_ORIGIN = (100_000.0, 400_000.0)  # RD New metres
N_NET_A, N_NET_B = 200, 20


def bench_straight(rng: np.random.Generator) -> None:
    lon = rng.uniform(*NL_LON, N_ORIGINS + N_SITES)
    lat = rng.uniform(*NL_LAT, N_ORIGINS + N_SITES)
    t0 = time.perf_counter()
    x, y = project_points(lon=lon, lat=lat, source_crs=None)
    d = straight_line_km(x[:N_ORIGINS], y[:N_ORIGINS], x[N_ORIGINS:], y[N_ORIGINS:])
    dt = time.perf_counter() - t0
    print(f"straight-line {d.shape[0]:,} x {d.shape[1]} (incl. projection): {dt:.3f} s "
          f"(mean {d.mean():.1f} km)")


def grid_lines() -> np.ndarray:
    """One LineString per grid segment, so endpoints have to be merged into nodes."""
    k, s = GRID_NODES, GRID_SPACING_M
    x0, y0 = GRID_ORIGIN
    i, j = np.meshgrid(np.arange(k), np.arange(k), indexing="ij")
    px, py = x0 + i * s, y0 + j * s
    horiz = np.stack([np.stack([px[:-1], py[:-1]], -1), np.stack([px[1:], py[1:]], -1)], -2)
    vert = np.stack([np.stack([px[:, :-1], py[:, :-1]], -1),
                     np.stack([px[:, 1:], py[:, 1:]], -1)], -2)
    coords = np.concatenate([horiz.reshape(-1, 2, 2), vert.reshape(-1, 2, 2)])
    return shapely.linestrings(coords)


def bench_network(rng: np.random.Generator) -> None:
    lines = grid_lines()
    t0 = time.perf_counter()
    net = RoadNetwork.from_lines(lines, crs="EPSG:28992")
    t_build = time.perf_counter() - t0

    extent = (GRID_NODES - 1) * GRID_SPACING_M
    ax, bx = (GRID_ORIGIN[0] + rng.uniform(0, extent, n) for n in (N_NET_A, N_NET_B))
    ay, by = (GRID_ORIGIN[1] + rng.uniform(0, extent, n) for n in (N_NET_A, N_NET_B))
    t0 = time.perf_counter()
    d = net.distance_km(ax, ay, bx, by)
    t_query = time.perf_counter() - t0

    ratio = np.median(d / straight_line_km(ax, ay, bx, by))
    print(f"network build {net.n_segments:,} segments / {net.n_nodes:,} nodes: {t_build:.3f} s")
    print(f"network table {d.shape[0]} x {d.shape[1]}: {t_query:.3f} s "
          f"(median network/straight ratio {ratio:.3f})")


def main() -> None:
    rng = np.random.default_rng(SEED)
    bench_straight(rng)
    bench_network(rng)


if __name__ == "__main__":
    main()
