"""Lanes are computed only when asked (issue 20 item 5), with the numbers the dense n × n
tables gave. The reference here is the dense construction lanes.py used before: the whole
table by ``geo.road_km_straight`` / ``geo.straight_line_km`` / ``geo.great_circle_km`` /
``RoadNetwork.distance_km``, and the matrix cells written into n × n arrays (later rows win,
0 on the diagonal, the mode km falling back to road km × circuity_mode / circuity). Every
lane of small random instances must be exactly equal (==, not approx)."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest
import shapely

from clusteropt import geo
from clusteropt.lanes import Lanes, build_lanes
from clusteropt.scenario import scenario_from_dict

TRUCK = {"id": "truck", "mode": "road", "pricing": "trip", "payload_t": 10,
         "cost_eur_per_km": 1.0, "cost_eur_per_h": 0.0, "speed_kmh": 50, "load_classes": "*"}
BARGE = {"id": "barge", "mode": "barge", "pricing": "tariff", "tariff_eur_per_tkm": 0.02,
         "speed_kmh": 10, "load_classes": "*"}
TRAIN = {"id": "train", "mode": "rail", "pricing": "tariff", "tariff_eur_per_tkm": 0.03,
         "speed_kmh": 40, "load_classes": "*"}
PLANE = {"id": "plane", "mode": "air", "pricing": "tariff", "tariff_eur_per_tkm": 0.2,
         "speed_kmh": 800, "load_classes": "*"}
VEHICLES = [TRUCK, BARGE, TRAIN, PLANE]
MODES = ("road", "barge", "rail", "air")


def _doc(nodes, distance):
    return {"name": "sparse", "crs": "EPSG:28992",
            "distance": distance,
            "tables": {"nodes": nodes,
                       "activities": [{"id": "a", "node": nodes[0]["id"]},
                                      {"id": "b", "node": nodes[-1]["id"]}],
                       "commodities": [{"id": "goods", "load_class": "dry"}],
                       "demands": [{"id": "d", "origin": "a", "destination": "b",
                                    "commodity": "goods", "tonnes_per_period": 1}],
                       "vehicles": VEHICLES}}


def _nodes(rng, n):
    """Random points in the Netherlands; about half list the air mode."""
    return [{"id": f"n{k}", "lat": round(float(rng.uniform(51.5, 53.2)), 5),
             "lon": round(float(rng.uniform(4.0, 6.8)), 5),
             "modes": "road;barge;rail;air" if rng.random() < 0.5 else "road"}
            for k in range(n)]


def _dense_modes(sc, ids):
    """The air table as before: inf between nodes of which one lacks the mode, 0 diagonal."""
    at = [i for i, n in enumerate(ids) if "air" in sc.nodes[n].modes]
    km = np.full((len(ids), len(ids)), np.inf)
    np.fill_diagonal(km, 0.0)
    if at:
        lon = np.array([sc.nodes[ids[i]].lon for i in at])
        lat = np.array([sc.nodes[ids[i]].lat for i in at])
        km[np.ix_(at, at)] = geo.great_circle_km(lon, lat)
    return {"air": km}


def _assert_same(lanes: Lanes, dense: Lanes, speed=50.0):
    ids = lanes.node_ids
    assert ids == dense.node_ids
    for a in ids:
        for b in ids:
            for mode in MODES:
                assert lanes.distance(a, b, mode) == dense.distance(a, b, mode), (a, b, mode)
                assert lanes.time(a, b, speed, mode) == dense.time(a, b, speed, mode)
            assert lanes.toll_share(a, b) == dense.toll_share(a, b)
            assert lanes.lane_cost(a, b) == dense.lane_cost(a, b)
    t1, t2 = lanes.table(), dense.table()
    assert list(t1.columns) == list(t2.columns)
    assert t1.equals(t2)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_straight_line_lanes_equal_the_dense_tables(tmp_path, seed):
    rng = np.random.default_rng(seed)
    dist = {"method": "straight_line", "circuity": 1.3, "circuity_barge": 1.45,
            "circuity_rail": 1.2}
    sc = scenario_from_dict(_doc(_nodes(rng, 14), dist), base_dir=tmp_path)
    lanes = build_lanes(sc)
    ids = list(sc.nodes)
    x = np.array([sc.nodes[n].x for n in ids])
    y = np.array([sc.nodes[n].y for n in ids])
    dense = Lanes(ids, geo.road_km_straight(x, y, circuity=1.3),
                  mode_km={"barge": geo.straight_line_km(x, y) * 1.45,
                           "rail": geo.straight_line_km(x, y) * 1.2, **_dense_modes(sc, ids)})
    _assert_same(lanes, dense)


def test_straight_line_pairs_equal_the_table_on_many_points():
    """The pair formula gives cdist's numbers bit for bit (10,000 random pairs)."""
    rng = np.random.default_rng(7)
    x, y = rng.uniform(0, 300_000, 400), rng.uniform(300_000, 620_000, 400)
    full = geo.straight_line_km(x, y)
    i, j = rng.integers(400, size=(2, 10_000))
    assert np.array_equal(geo.straight_line_km_pairs(x[i], y[i], x[j], y[j]), full[i, j])


@pytest.mark.parametrize("seed", [4, 5])
def test_great_circle_lanes_equal_the_dense_tables(tmp_path, seed):
    rng = np.random.default_rng(seed)
    dist = {"method": "great_circle", "circuity": 1.25, "circuity_barge": 1.4,
            "circuity_rail": 1.1}
    sc = scenario_from_dict(_doc(_nodes(rng, 10), dist), base_dir=tmp_path)
    lanes = build_lanes(sc)
    ids = list(sc.nodes)
    flat = geo.great_circle_km(np.array([sc.nodes[n].lon for n in ids]),
                               np.array([sc.nodes[n].lat for n in ids]))
    dense = Lanes(ids, flat * 1.25, mode_km={"barge": flat * 1.4, "rail": flat * 1.1,
                                             **_dense_modes(sc, ids)})
    _assert_same(lanes, dense)


def _dense_matrix(ids, rows, circuity, circ_mode):
    """The matrix as before: n × n arrays, later rows win."""
    n, pos = len(ids), {v: k for k, v in enumerate(ids)}
    km = np.full((n, n), np.inf)
    np.fill_diagonal(km, 0.0)
    cols = {c: np.full((n, n), np.nan) for c in ("time_h", "cost_eur_per_t", "toll_share",
                                                   "distance_km_barge", "distance_km_rail")}
    for r in rows:
        i, j = pos[r["from"]], pos[r["to"]]
        km[i, j] = r["distance_km"]
        for c in cols:
            cols[c][i, j] = np.nan if r[c] == "" else float(r[c])
    mode_km, mode_own = {}, {}
    for m in ("barge", "rail"):
        given = cols[f"distance_km_{m}"]
        own = np.isfinite(given) & np.isfinite(km)
        mode_km[m] = np.where(own, given, km * (circ_mode[m] / circuity))
        mode_own[m] = own
    return Lanes(ids, km, cols["time_h"], cols["cost_eur_per_t"],
                 toll_share_given=cols["toll_share"], mode_km=mode_km, mode_own=mode_own)


@pytest.mark.parametrize("seed", [6, 7, 8])
def test_matrix_lanes_equal_the_dense_tables(tmp_path, seed):
    """A random partial matrix: missing cells, repeated cells (the later row wins), a given
    diagonal cell, empty optional cells."""
    rng = np.random.default_rng(seed)
    nodes = _nodes(rng, 9)
    ids = [n["id"] for n in nodes]

    def maybe(value):
        return "" if rng.random() < 0.4 else repr(round(float(value), 3))

    rows = []
    for _ in range(70):
        a, b = (ids[k] for k in rng.integers(len(ids), size=2))
        if a == b and rng.random() < 0.7:
            continue
        rows.append({"from": a, "to": b, "distance_km": round(float(rng.uniform(1, 200)), 3),
                     "time_h": maybe(rng.uniform(0.1, 4)),
                     "cost_eur_per_t": maybe(rng.uniform(1, 20)),
                     "toll_share": maybe(rng.uniform(0, 1)),
                     "distance_km_barge": maybe(rng.uniform(1, 300)),
                     "distance_km_rail": maybe(rng.uniform(1, 300))})
    head = list(rows[0])
    (tmp_path / "m.csv").write_text(",".join(head) + "\n" + "".join(
        ",".join(str(r[c]) for c in head) + "\n" for r in rows))
    dist = {"method": "matrix", "file": "m.csv", "circuity": 1.3, "circuity_barge": 1.5,
            "circuity_rail": 1.2}
    doc = _doc(nodes, dist)
    doc["tables"]["vehicles"] = [TRUCK, BARGE, TRAIN]
    sc = scenario_from_dict(doc, base_dir=tmp_path)
    lanes = build_lanes(sc)
    dense = _dense_matrix(ids, rows, 1.3, {"barge": 1.5, "rail": 1.2})
    _assert_same(lanes, dense)


def test_network_lanes_equal_the_dense_table(tmp_path):
    """A 6 × 6 grid of 2 km streets plus a separate street (not connected): every lane and
    the count of unconnected pairs as the dense table gave them."""
    s, x0, y0 = 2_000.0, 150_000.0, 450_000.0
    segs = [((x0 + i * s, y0 + j * s), (x0 + (i + 1) * s, y0 + j * s))
            for i in range(5) for j in range(6)]
    segs += [((x0 + i * s, y0 + j * s), (x0 + i * s, y0 + (j + 1) * s))
             for i in range(6) for j in range(5)]
    segs += [((x0 + 30_000, y0), (x0 + 34_000, y0))]
    import geopandas as gpd
    gpd.GeoSeries(shapely.linestrings(segs), crs="EPSG:28992").to_file(tmp_path / "net.gpkg")
    rng = np.random.default_rng(9)
    nodes = [{"id": f"n{k}", "x": float(rng.uniform(x0 - 500, x0 + 10_500)),
              "y": float(rng.uniform(y0 - 500, y0 + 10_500))} for k in range(11)]
    nodes.append({"id": "far", "x": x0 + 32_000, "y": y0 + 300})
    doc = _doc(nodes, {"method": "network", "file": "net.gpkg"})
    doc["tables"]["vehicles"] = [TRUCK, BARGE]
    sc = scenario_from_dict(doc, base_dir=tmp_path)
    lanes = build_lanes(sc)
    ids = list(sc.nodes)
    x = np.array([sc.nodes[n].x for n in ids])
    y = np.array([sc.nodes[n].y for n in ids])
    net = geo.RoadNetwork.from_file(tmp_path / "net.gpkg", target_crs="EPSG:28992")
    km = net.distance_km(x, y)
    np.fill_diagonal(km, 0.0)
    dense = Lanes(ids, km, mode_km={"barge": geo.straight_line_km(x, y) * sc.distance.
                                    circuity_barge})
    assert lanes.node_ids == dense.node_ids
    for a in ids:
        for b in ids:
            assert lanes.distance(a, b) == dense.distance(a, b), (a, b)
            assert lanes.distance(a, b, "barge") == dense.distance(a, b, "barge")
            assert lanes.toll_share(a, b) == dense.toll_share(a, b)
    assert math.isinf(lanes.distance("n0", "far"))
    bad = int((~np.isfinite(km)).sum())
    assert bad == 2 * 11
    assert any(w.startswith(f"{bad} node pairs are not connected") for w in sc.warnings)


def test_only_the_lanes_asked_are_computed(tmp_path):
    """Asking three lanes computes three values: nothing n × n is held."""
    rng = np.random.default_rng(10)
    sc = scenario_from_dict(_doc(_nodes(rng, 30), {"method": "straight_line"}),
                            base_dir=tmp_path)
    lanes = build_lanes(sc)
    for a, b in (("n0", "n1"), ("n1", "n0"), ("n2", "n9"), ("n0", "n1")):
        lanes.distance(a, b)
    assert sum(len(c) for c in lanes._cache.values()) == 3


def test_nearest_matches_the_argsort_of_the_dense_sub_table():
    rng = np.random.default_rng(11)
    ids = [f"v{k}" for k in range(40)]
    km = np.round(rng.uniform(1, 50, (40, 40)), 0)  # rounded: ties occur
    km[rng.random((40, 40)) < 0.1] = np.inf
    lanes = Lanes(ids, km)
    nodes = sorted(rng.choice(ids, 25, replace=False).tolist())
    idx = [ids.index(n) for n in nodes]
    sub = km[np.ix_(idx, idx)].copy()
    np.fill_diagonal(sub, np.inf)
    want = {(nodes[a], nodes[b]) for a, row in enumerate(np.argsort(sub, axis=1)[:, :3])
            for b in row if np.isfinite(sub[a, b])}
    assert set(lanes.nearest(nodes, 3)) == want


def test_fingerprint_follows_the_inputs_and_survives_pickling(tmp_path):
    rng = np.random.default_rng(12)
    nodes = _nodes(rng, 6)
    one = build_lanes(scenario_from_dict(_doc(nodes, {"method": "straight_line"}),
                                         base_dir=tmp_path))
    other = build_lanes(scenario_from_dict(_doc(nodes, {"method": "straight_line",
                                                        "circuity": 1.4}),
                                           base_dir=tmp_path))
    one.distance("n0", "n1")
    copy = pickle.loads(pickle.dumps(one))
    assert copy.fingerprint() == one.fingerprint() != other.fingerprint()
    assert copy.distance("n0", "n1") == one.distance("n0", "n1")
    assert copy.distance("n2", "n3") == one.distance("n2", "n3")


def test_network_lanes_survive_pickling(tmp_path):
    """A sweep sends the lanes to its workers pickled: the road network goes with them."""
    import geopandas as gpd
    x0, y0 = 150_000.0, 450_000.0  # RD New metres, in the Netherlands
    segs = [((x0, y0), (x0 + 5_000, y0)), ((x0 + 5_000, y0), (x0 + 5_000, y0 + 5_000))]
    gpd.GeoSeries(shapely.linestrings(segs), crs="EPSG:28992").to_file(tmp_path / "net.gpkg")
    nodes = [{"id": "a", "x": x0 + 100, "y": y0 + 200},
             {"id": "b", "x": x0 + 5_100, "y": y0 + 4_000}]
    doc = _doc(nodes, {"method": "network", "file": "net.gpkg"})
    doc["tables"]["vehicles"] = [TRUCK]
    lanes = build_lanes(scenario_from_dict(doc, base_dir=tmp_path))
    copy = pickle.loads(pickle.dumps(lanes))
    # a (100, 200) snaps 0.2 km to (100, 0); 4.9 km east, 4.0 km north; b 0.1 km off the road
    assert copy.distance("a", "b") == lanes.distance("a", "b") == pytest.approx(9.2)
    assert copy.fingerprint() == lanes.fingerprint()


def _assert_blocks(lanes: Lanes, ids: list[str], modes, speed=50.0):
    """The n × n blocks (a tour instance's matrices) equal the lane-by-lane values."""
    for mode in modes:
        km = lanes.distance_block(ids, mode)
        hours = lanes.time_block(ids, speed, mode)
        for i, a in enumerate(ids):
            for j, b in enumerate(ids):
                if a == b:
                    assert km[i, j] == 0.0
                    continue
                assert km[i, j] == lanes.distance(a, b, mode) or (
                    math.isinf(km[i, j]) and math.isinf(lanes.distance(a, b, mode)))
                want = lanes.time(a, b, speed, mode)
                assert hours[i, j] == want or (math.isinf(want) and math.isinf(hours[i, j]))
    share = lanes.toll_share_block(ids)
    for i, a in enumerate(ids):
        for j, b in enumerate(ids):
            if a != b:
                assert share[i, j] == lanes.toll_share(a, b)


@pytest.mark.parametrize("seed", range(3))
def test_blocks_equal_the_lanes(tmp_path, seed):
    """Straight line (with air) and a partial matrix (time, toll share, barge and rail
    columns): every cell of the blocks is the lane's own value."""
    rng = np.random.default_rng(seed)
    nodes = _nodes(rng, 8)
    ids = [n["id"] for n in nodes]
    sc = scenario_from_dict(_doc(nodes, {"method": "straight_line", "circuity": 1.3}),
                            base_dir=tmp_path)
    _assert_blocks(build_lanes(sc), ids, MODES)
    rows = []
    for _ in range(60):
        a, b = (ids[k] for k in rng.integers(len(ids), size=2))
        if a != b:
            rows.append(f"{a},{b},{rng.uniform(1, 200):.3f},"
                        f"{'' if rng.random() < 0.4 else f'{rng.uniform(0.1, 4):.3f}'},"
                        f"{'' if rng.random() < 0.4 else f'{rng.uniform(0, 1):.3f}'},"
                        f"{'' if rng.random() < 0.4 else f'{rng.uniform(1, 300):.3f}'}")
    (tmp_path / "m.csv").write_text("from,to,distance_km,time_h,toll_share,distance_km_barge\n"
                                    + "\n".join(rows) + "\n")
    doc = _doc(nodes, {"method": "matrix", "file": "m.csv", "circuity": 1.3})
    doc["tables"]["vehicles"] = [TRUCK, BARGE]
    _assert_blocks(build_lanes(scenario_from_dict(doc, base_dir=tmp_path)), ids,
                   ("road", "barge"))
