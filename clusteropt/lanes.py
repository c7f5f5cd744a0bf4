"""Lanes: the distance (km), time (h) and optional per-tonne cost between every pair of a
scenario's nodes, by the scenario's distance method (straight line × circuity, road network,
great circle × circuity, or an explicit matrix). A matrix scenario needs no geometry; a
missing pair is no lane (inf).

Distances per mode: modes with their own rule (``MODE_DISTANCE``) — sea legs along the sea
lanes, air legs on the great circle — whatever the scenario's method; barge and rail legs
run on waterways and railways, not roads: straight-line and network scenarios give them
straight line × ``distance.circuity_barge`` / ``circuity_rail``; a matrix may give
``distance_km_barge`` / ``distance_km_rail`` per lane, and where a cell is empty the mode's km
are the road km × circuity_mode / circuity.

Lanes are computed when first asked and kept (issue 20): only the lanes a model, the checker
or a report uses are ever computed, so memory grows with the lanes used, not with n²; the
numbers are those of the whole n × n tables (tests/scenario/test_lanes_sparse.py)."""

from __future__ import annotations

import hashlib
import json
import math
from functools import cache

import numpy as np
import pandas as pd

from clusteropt import defaults, geo
from clusteropt.errors import Issue, ScenarioError
from clusteropt.io import TableError, read_table
from clusteropt.scenario import Scenario

# Modes whose legs follow their own distance rule, whatever the scenario's distance method:
# ships sail the sea lanes, aircraft fly the great circle (GLEC / ISO 14083 distance bases).
MODE_DISTANCE = {"sea": "sea_route", "air": "great_circle"}


class Table:
    """One lane quantity (km, h, €/t or a share) between nodes by index, vectorised:
    ``pairs(ii, jj)`` gives the values of the lanes ii[k] → jj[k]. Subclasses compute them
    from what the distance method needs (points, a network, the matrix cells), so no n × n
    table is held; ``Dense`` wraps a given n × n array."""

    def pairs(self, ii: np.ndarray, jj: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def value(self, i: int, j: int) -> float:
        """One lane's value."""
        return float(self.pairs(np.array([i]), np.array([j]))[0])

    def digest(self) -> list[bytes]:
        """What the values follow from, for a fingerprint of the lanes."""
        raise NotImplementedError


class Dense(Table):
    """A given n × n array."""

    def __init__(self, values: np.ndarray):
        self.values = np.asarray(values)

    def pairs(self, ii, jj):
        return self.values[ii, jj]

    def digest(self):
        return [np.ascontiguousarray(self.values).tobytes()]


class StraightLine(Table):
    """Straight line between projected points (x, y in metres) × ``factor`` (circuity), km."""

    def __init__(self, x: np.ndarray, y: np.ndarray, factor: float):
        self.x, self.y, self.factor = x, y, factor

    def pairs(self, ii, jj):
        return geo.straight_line_km_pairs(self.x[ii], self.y[ii], self.x[jj],
                                          self.y[jj]) * self.factor

    def value(self, i, j):  # the same IEEE operations as pairs, on Python floats
        dx, dy = float(self.x[i]) - float(self.x[j]), float(self.y[i]) - float(self.y[j])
        return math.sqrt(dx * dx + dy * dy) / 1000.0 * self.factor

    def digest(self):
        return [self.x.tobytes(), self.y.tobytes(), repr(self.factor).encode()]


class GreatCircle(StraightLine):
    """Geodesic on the WGS84 ellipsoid between lon/lat points (``x`` lon, ``y`` lat,
    degrees) × ``factor``, km."""

    def pairs(self, ii, jj):
        return geo.great_circle_km_pairs(self.x[ii], self.y[ii], self.x[jj],
                                         self.y[jj]) * self.factor

    value = Table.value


class Subset(Table):
    """Distances among the nodes ``at`` (indices; ``sub`` their |at| × |at| km): inf to and
    from every other node, 0 from a node to itself."""

    def __init__(self, at: list[int], sub: np.ndarray):
        self.pos = {i: k for k, i in enumerate(at)}
        self.sub = sub

    def pairs(self, ii, jj):
        a = np.array([self.pos.get(int(i), -1) for i in ii], dtype=int)
        b = np.array([self.pos.get(int(j), -1) for j in jj], dtype=int)
        out = np.where(ii == jj, 0.0, np.inf)
        both = (a >= 0) & (b >= 0)
        out[both] = self.sub[a[both], b[both]]
        return out

    def digest(self):
        return [repr(sorted(self.pos.items())).encode(), self.sub.tobytes()]


class Network(Table):
    """Shortest paths over a road network (``geo.RoadNetwork``) between projected points, km,
    0 from a node to itself. One Dijkstra run per origin gives its row to every node; the
    last ``ROWS_KEPT`` rows are kept (rows × n floats), the values asked stay in the lanes'
    cache."""

    ROWS_KEPT = 64

    def __init__(self, net: geo.RoadNetwork, x: np.ndarray, y: np.ndarray):
        self.net, self.x, self.y = net, x, y
        self.rows: dict[int, np.ndarray] = {}

    def row(self, i: int) -> np.ndarray:
        if i not in self.rows:
            if len(self.rows) >= self.ROWS_KEPT:
                del self.rows[next(iter(self.rows))]  # the oldest
            r = self.net.distance_km(self.x[[i]], self.y[[i]], self.x, self.y)[0]
            r[i] = 0.0
            self.rows[i] = r
        return self.rows[i]

    def pairs(self, ii, jj):
        out = np.empty(len(ii))
        for i in np.unique(ii):
            at = ii == i
            out[at] = self.row(int(i))[jj[at]]
        return out

    def digest(self):
        return [repr(self.net).encode(), self.x.tobytes(), self.y.tobytes()]


class MatrixCells:
    """The cells an explicit matrix gives: (i, j) → its last row (later rows win) and each
    numeric column's values by row."""

    def __init__(self, n: int, i: np.ndarray, j: np.ndarray, values: dict[str, np.ndarray]):
        self.n, self.values = n, values
        self.row = {int(k): r for r, k in enumerate(i.astype(np.int64) * n + j)}

    def column(self, col: str, ii, jj, missing: float, diagonal: float | None = None
               ) -> np.ndarray:
        """``col`` of the cells ii → jj: ``missing`` where the matrix gives no cell
        (``diagonal`` from a node to itself, if given)."""
        rows = np.array([self.row.get(int(k), -1) for k in ii.astype(np.int64) * self.n + jj],
                        dtype=int)
        out = np.full(len(ii), missing)
        if diagonal is not None:
            out[ii == jj] = diagonal
        given = rows >= 0
        out[given] = self.values[col][rows[given]]
        return out


class MatrixColumn(Table):
    """A matrix column: km (inf where no cell, 0 on the diagonal unless given) or an optional
    column (NaN where not given)."""

    def __init__(self, cells: MatrixCells, col: str):
        self.cells, self.col = cells, col
        km = col == "distance_km"
        self.missing, self.diagonal = (np.inf, 0.0) if km else (np.nan, None)

    def pairs(self, ii, jj):
        return self.cells.column(self.col, ii, jj, self.missing, self.diagonal)

    def value(self, i: int, j: int) -> float:
        """``pairs`` for one lane without arrays (the builder asks lane by lane: on
        OR-Library capa 200,000 times)."""
        r = self.cells.row.get(i * self.cells.n + j, -1)
        if r >= 0:
            return float(self.cells.values[self.col][r])
        return self.diagonal if i == j and self.diagonal is not None else self.missing

    def digest(self):
        c = self.cells
        return [self.col.encode(), repr(sorted(c.row.items())).encode(),
                *(np.ascontiguousarray(v).tobytes() for v in c.values.values())]


class MatrixMode(MatrixColumn):
    """A mode's km from the matrix: its own column where given on a lane that exists, else
    the road km × ``factor`` (circuity_mode / circuity); ``own=True``: whether it is given."""

    def __init__(self, cells: MatrixCells, mode: str, factor: float, own: bool = False):
        super().__init__(cells, f"distance_km_{mode}")
        self.factor, self.own, self.road = factor, own, MatrixColumn(cells, "distance_km")

    value = Table.value  # its own rule, not the plain column's

    def pairs(self, ii, jj):
        km = self.road.pairs(ii, jj)
        given = (self.cells.column(self.col, ii, jj, np.nan) if self.col in self.cells.values
                 else np.full(len(ii), np.nan))
        own = np.isfinite(given) & np.isfinite(km)
        return own if self.own else np.where(own, given, km * self.factor)

    def digest(self):
        return [*super().digest(), repr((self.factor, self.own)).encode()]


def _table(value) -> Table | None:
    return value if value is None or isinstance(value, Table) else Dense(value)


class Lanes:
    """Lanes between ``node_ids``, computed when first asked and kept (only the lanes a model
    or report uses are ever computed). Each quantity is a :class:`Table` (or an n × n array):
    ``km`` road km; ``time_h`` explicit hours (NaN: from each vehicle's speed);
    ``cost_eur_per_t`` (explicit matrix only) overrides tariff costs; ``toll_share_given``
    the matrix column toll_share (NaN: not given); ``mode_km`` the km of barge and rail and of
    the modes in ``MODE_DISTANCE`` that some vehicle type uses (inf where a node lacks the
    mode); ``mode_own`` (matrix) whether a mode's own km are given."""

    def __init__(self, node_ids: list[str], km, time_h=None, cost_eur_per_t=None,
                 snap_km: np.ndarray | None = None, toll_share_given=None,
                 mode_km: dict | None = None, mode_own: dict | None = None):
        self.node_ids = list(node_ids)
        self.index = {n: i for i, n in enumerate(self.node_ids)}
        self.km, self.time_h, self.cost_eur_per_t = _table(km), _table(time_h), _table(
            cost_eur_per_t)
        self.snap_km = snap_km
        self.toll_share_given = _table(toll_share_given)
        self.mode_km = {m: _table(t) for m, t in (mode_km or {}).items()}
        self.mode_own = {m: _table(t) for m, t in (mode_own or {}).items()}
        self._cache: dict[Table, dict[tuple[str, str], float]] = {}  # table → lane → value

    def _value(self, table: Table, a: str, b: str) -> float:
        """One lane's value, computed on first use."""
        cache = self._cache.get(table)
        if cache is None:
            cache = self._cache[table] = {}
        v = cache.get((a, b))
        if v is None:
            v = cache[a, b] = table.value(self.index[a], self.index[b])
        return v

    # ---- truck toll (issue 24): the share of a lane's road km on tolled roads ---------------
    def toll_share(self, a: str, b: str) -> float:
        """Share (0–1) of the road km from a to b on tolled roads: the matrix's ``toll_share``
        where given, else the default of the lane's distance band (``toll_share_default``)."""
        if self.toll_share_given is not None:
            given = self._value(self.toll_share_given, a, b)
            if np.isfinite(given):
                return given
        return toll_share_default(self._value(self.km, a, b))

    def distance(self, a: str, b: str, mode: str = "road") -> float:
        """km from a to b by ``mode`` (road km for road and modes without their own)."""
        return self._value(self.mode_km.get(mode, self.km), a, b)

    def time(self, a: str, b: str, speed_kmh: float, mode: str = "road") -> float:
        """Driving (sailing) time in hours: the matrix's ``time_h`` where it gives one and the
        mode has no distance of its own on the lane, else the mode's km / speed."""
        own = mode in self.mode_km and (mode not in self.mode_own
                                        or bool(self._value(self.mode_own[mode], a, b)))
        if not own and self.time_h is not None:
            h = self._value(self.time_h, a, b)
            if np.isfinite(h):
                return h
        return self.distance(a, b, mode) / speed_kmh

    # ---- blocks: every ordered pair of a few nodes at once, not kept (a tour instance) ----
    def _pairs(self, table: Table, nodes: list[str]) -> np.ndarray:
        idx = np.array([self.index[n] for n in nodes])
        n = len(idx)
        out = np.asarray(table.pairs(np.repeat(idx, n), np.tile(idx, n)), float).reshape(n, n)
        np.fill_diagonal(out, 0.0)
        return out

    def distance_block(self, nodes: list[str], mode: str = "road") -> np.ndarray:
        """n × n km between ``nodes`` by ``mode`` (as ``distance``), computed at once and not
        cached: for a VRP instance of hundreds of stops."""
        return self._pairs(self.mode_km.get(mode, self.km), nodes)

    def time_block(self, nodes: list[str], speed_kmh: float, mode: str = "road") -> np.ndarray:
        """n × n hours between ``nodes`` (as ``time``), not cached."""
        km = self.distance_block(nodes, mode)
        hours = km / speed_kmh
        if self.time_h is None:
            return hours
        given = self._pairs(self.time_h, nodes)
        use = np.isfinite(given)
        if mode in self.mode_km:
            own = (np.ones_like(km, bool) if mode not in self.mode_own
                   else self._pairs(self.mode_own[mode], nodes).astype(bool))
            use &= ~own
        return np.where(use, given, hours)

    def toll_share_block(self, nodes: list[str]) -> np.ndarray:
        """n × n tolled share of the road km between ``nodes`` (as ``toll_share``)."""
        road = self._pairs(self.km, nodes)
        below_10, to_50, from_50 = _toll_bands()
        share = np.where(road < 10, below_10, np.where(road < 50, to_50, from_50))
        if self.toll_share_given is not None:
            given = self._pairs(self.toll_share_given, nodes)
            share = np.where(np.isfinite(given), given, share)
        return share

    def lane_cost(self, a: str, b: str) -> float | None:
        if self.cost_eur_per_t is None:
            return None
        v = self._value(self.cost_eur_per_t, a, b)
        return v if np.isfinite(v) else None

    def nearest(self, nodes: list[str], k: int) -> list[tuple[str, str]]:
        """(a, b) for each of ``nodes`` and the up to ``k`` others of ``nodes`` nearest to it
        by road km (finite lanes only; ties as ``np.argsort`` orders them), computed a block
        of rows at a time (memory: a block × len(nodes), not len(nodes)²)."""
        idx = np.array([self.index[n] for n in nodes], dtype=int)
        m, out = len(idx), []
        step = max(1, 1_000_000 // max(m, 1))
        for s in range(0, m, step):
            rows = idx[s:s + step]
            sub = np.asarray(self.km.pairs(np.repeat(rows, m), np.tile(idx, len(rows))),
                             dtype=float).reshape(len(rows), m)
            sub[np.arange(len(rows)), np.arange(s, s + len(rows))] = np.inf
            for a, row in enumerate(np.argsort(sub, axis=1)[:, :k]):
                out += [(nodes[s + a], nodes[b]) for b in row if np.isfinite(sub[a, b])]
        return out

    def fingerprint(self) -> str:
        """A hash of what every lane follows from (node ids, tables' inputs), hex."""
        h = hashlib.sha256(json.dumps(self.node_ids).encode())
        for name in ("km", "time_h", "cost_eur_per_t", "toll_share_given"):
            t = getattr(self, name)
            h.update(name.encode())
            for part in ([b"-"] if t is None else t.digest()):
                h.update(part)
        for kind, tables in (("mode", self.mode_km), ("own", self.mode_own)):
            for m, t in sorted(tables.items()):
                h.update(f"{kind}:{m}".encode())
                for part in t.digest():
                    h.update(part)
        return h.hexdigest()[:16]

    def table(self) -> pd.DataFrame:
        """Long table of every lane (n × (n − 1) rows): from, to, distance_km, time_h (when
        explicit), cost_eur_per_t, and distance_km_<mode> for the modes with their own km."""
        n = len(self.node_ids)
        ii, jj = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
        mask = ii.ravel() != jj.ravel()
        i, j = ii.ravel()[mask], jj.ravel()[mask]
        out = pd.DataFrame({
            "from": np.array(self.node_ids)[i],
            "to": np.array(self.node_ids)[j],
            "distance_km": self.km.pairs(i, j),
        })
        if self.time_h is not None:
            out["time_h"] = self.time_h.pairs(i, j)
        if self.cost_eur_per_t is not None:
            out["cost_eur_per_t"] = self.cost_eur_per_t.pairs(i, j)
        for mode, km in self.mode_km.items():
            out[f"distance_km_{mode}"] = km.pairs(i, j)
        return out


def toll_share_default(road_km: float) -> float:
    """The share of road km on tolled roads by distance band: ``data/factors.csv`` keys
    ``toll_share_below_10km``, ``toll_share_10_to_50km``, ``toll_share_from_50km`` (marked
    assumptions: legs start and end on local roads, longer legs run mostly on motorways)."""
    below_10, to_50, from_50 = _toll_bands()
    return below_10 if road_km < 10 else to_50 if road_km < 50 else from_50


@cache
def _toll_bands() -> tuple[float, float, float]:
    return tuple(defaults.factor(k) for k in ("toll_share_below_10km", "toll_share_10_to_50km",
                                              "toll_share_from_50km"))


MODE_CIRCUITY = {"barge": "circuity_barge", "rail": "circuity_rail"}  # distance keys


def _modes(sc: Scenario) -> list[str]:
    """The non-road modes some vehicle type uses (only they get km tables of their own)."""
    return [m for m in MODE_CIRCUITY if any(v.mode == m for v in sc.vehicles.values())]


def build_lanes(sc: Scenario) -> Lanes:
    """Lane tables for a scenario, by its distance method, plus the per-mode distances (see
    above)."""
    ids = list(sc.nodes)
    lanes = _scenario_lanes(sc, ids)
    lanes.mode_km.update(_mode_lanes(sc, lanes.node_ids))
    return lanes


def _scenario_lanes(sc: Scenario, ids: list[str]) -> Lanes:
    if sc.distance.method == "matrix":
        return _matrix_lanes(sc, ids)
    x, y = _projected(sc, ids)
    if sc.distance.method == "great_circle":
        lon, lat = _lonlat(sc, ids)
        return Lanes(ids, GreatCircle(lon, lat, sc.distance.circuity),
                     mode_km={m: GreatCircle(lon, lat, getattr(sc.distance, MODE_CIRCUITY[m]))
                              for m in _modes(sc)})
    _require_faithful_crs(sc, ids, x, y)
    straight = {m: StraightLine(x, y, getattr(sc.distance, MODE_CIRCUITY[m]))
                for m in _modes(sc)}
    if sc.distance.method == "straight_line":
        return Lanes(ids, StraightLine(x, y, sc.distance.circuity), mode_km=straight)
    path = sc.base_dir / sc.distance.file
    try:
        net = geo.RoadNetwork.from_file(path, target_crs=sc.crs, layer=sc.distance.layer)
        snap = net.snap_distance_km(x, y)
        part = net.component_of(x, y)
    except geo.GeoError as err:
        raise ScenarioError([Issue(str(sc.distance.file), None, None, str(err))]) from None
    # pairs in different components have no road (inf): count them without the n × n table
    _, size = np.unique(part, return_counts=True)
    bad = len(ids) ** 2 - int((size.astype(np.int64) ** 2).sum())
    if bad:
        j = int(np.flatnonzero(part != part[0])[0])
        sc.warnings.append(f"{bad} node pairs are not connected by the road network, "
                           f"e.g. {ids[0]} → {ids[j]}; those lanes are not used")
    return Lanes(ids, Network(net, x, y), snap_km=snap, mode_km=straight)


def _mode_lanes(sc: Scenario, ids: list[str]) -> dict[str, Table]:
    """km tables of the modes with their own distance rule that some vehicle type uses:
    computed between the nodes that list the mode (inf to and from the others)."""
    out = {}
    used = {vt.mode for vt in sc.vehicles.values()}
    for mode, rule in MODE_DISTANCE.items():
        if mode not in used:
            continue
        at = [i for i, n in enumerate(ids) if mode in sc.nodes[n].modes]
        sub = np.zeros((0, 0))
        if at:
            lon, lat = _lonlat(sc, [ids[i] for i in at], why=f"mode '{mode}'")
            sub = geo.sea_route_km(lon, lat) if rule == "sea_route" \
                else geo.great_circle_km(lon, lat)
        out[mode] = Subset(at, sub)
    return out


def _lonlat(sc: Scenario, ids: list[str], why: str = "distance method 'great_circle'"
            ) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 lon/lat (degrees) of the nodes: as given, or x/y converted from the scenario CRS;
    a node with neither is an error at its row."""
    lon, lat, issues = [], [], []
    for n in ids:
        node = sc.nodes[n]
        if node.lat is not None and node.lon is not None:
            lo, la = node.lon, node.lat
        elif node.x is not None and node.y is not None and sc.distance.method != "matrix":
            lo, la = (float(v[0]) for v in geo.lonlat_of([node.x], [node.y], sc.crs))
        else:
            file, row = sc.node_rows.get(n, ("nodes", None))
            issues.append(Issue(file, row, "lat", f"node '{n}': {why} measures on the earth and "
                                                  f"needs its lat and lon (WGS84)"))
            continue
        lon.append(lo)
        lat.append(la)
    if issues:
        raise ScenarioError(issues)
    return np.array(lon, dtype=float), np.array(lat, dtype=float)


def _require_faithful_crs(sc: Scenario, ids: list[str], x: np.ndarray, y: np.ndarray) -> None:
    """Straight lines and networks are measured in the scenario CRS: refuse a CRS that
    distorts the distances between these nodes by more than ``geo.MAX_DISTORTION``."""
    if len(ids) < 2:
        return
    lon, lat = _lonlat(sc, ids)
    err, a, b = geo.projection_distortion(lon, lat, x, y)
    if err > geo.MAX_DISTORTION:
        na, nb = ids[a], ids[b]
        raise ScenarioError([Issue(sc.path.name if sc.path else "scenario", None, "crs", (
            f"{sc.crs} distorts straight-line distances between these nodes by up to "
            f"{err:.0%} (e.g. '{na}' → '{nb}'; at most {geo.MAX_DISTORTION:.0%} is accepted): "
            f"choose a CRS made for the area (e.g. EPSG:28992 in the Netherlands, EPSG:3035 in "
            f"Europe, a UTM zone) or distance method 'great_circle', which measures on the "
            f"earth anywhere"))])


def _projected(sc: Scenario, ids: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Metric x, y (m) in the scenario CRS for every node (lat/lon projected, x/y as given)."""
    nodes = [sc.nodes[n] for n in ids]
    x = np.full(len(ids), np.nan)
    y = np.full(len(ids), np.nan)
    ll = [i for i, n in enumerate(nodes) if n.lat is not None and n.lon is not None]
    xy = sorted(set(range(len(nodes))) - set(ll))
    try:
        if ll:
            px, py = geo.project_points(lon=np.array([nodes[i].lon for i in ll]),
                                        lat=np.array([nodes[i].lat for i in ll]),
                                        source_crs=None, target_crs=sc.crs)
            x[ll], y[ll] = px, py
        if xy:
            px, py = geo.project_points(x=np.array([nodes[i].x for i in xy]),
                                        y=np.array([nodes[i].y for i in xy]),
                                        source_crs=sc.crs, target_crs=sc.crs)
            x[xy], y[xy] = px, py
    except geo.GeoError as err:
        raise ScenarioError(_locate_bad_points(sc, ids, str(err))) from None
    for n, xi, yi in zip(nodes, x, y):
        n.x, n.y = float(xi), float(yi)
    return x, y


def _locate_bad_points(sc: Scenario, ids: list[str], message: str) -> list[Issue]:
    """One issue per node that cannot be projected, at its file and row."""
    issues = []
    for n in ids:
        node = sc.nodes[n]
        try:
            if node.lat is not None and node.lon is not None:
                geo.project_points(lon=np.array([node.lon]), lat=np.array([node.lat]),
                                   source_crs=None, target_crs=sc.crs)
            else:
                geo.project_points(x=np.array([node.x]), y=np.array([node.y]),
                                   source_crs=sc.crs, target_crs=sc.crs)
        except geo.GeoError as err:
            file, row = sc.node_rows.get(n, ("nodes", None))
            col = "lat" if node.lat is not None else "x"
            text = f"node '{n}': {err}".replace(" at indices [0]", "")
            issues.append(Issue(file, row, col, text))
    return issues or [Issue("nodes", None, "lat", message)]


def _matrix_lanes(sc: Scenario, ids: list[str]) -> Lanes:
    try:
        table = read_table(sc.distance.file, sc.base_dir, "distance.file")
    except TableError as err:
        raise ScenarioError([Issue(err.file, err.row, err.column, err.message)]) from None
    frame = table.frame
    issues = []
    for col in ("from", "to", "distance_km"):
        if col not in frame.columns:
            issues.append(Issue(table.source, 1, col, "the matrix needs columns from, to, "
                                                      "distance_km (time_h, cost_eur_per_t, "
                                                      "toll_share, distance_km_barge, "
                                                      "distance_km_rail optional)"))
    if not issues and not len(frame):
        issues.append(Issue(table.source, None, None, "the matrix has no rows: give one row "
                                                      "per pair of nodes a flow may use"))
    if issues:
        raise ScenarioError(issues)
    index = pd.Series(range(len(ids)), index=ids)
    n = len(ids)
    rows = frame["_row"] if "_row" in frame.columns else pd.Series(
        range(table.first_row, table.first_row + len(frame)))
    rows = rows.to_numpy()
    ii = frame["from"].map(_as_id).map(index)
    jj = frame["to"].map(_as_id).map(index)
    for col, pos in (("from", ii), ("to", jj)):
        for k in np.flatnonzero(pos.isna().to_numpy())[:50]:
            issues.append(Issue(table.source, int(rows[k]), col,
                                f"unknown node '{_as_id(frame[col].iloc[k])}'"))
    values = {}
    mode_cols = {f"distance_km_{m}": m for m in MODE_CIRCUITY}
    for col in ("distance_km", "time_h", "cost_eur_per_t", "toll_share", *mode_cols):
        if col not in frame.columns:
            continue
        raw = frame[col]
        num = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(num) | (num < 0) | ((num > 1) if col == "toll_share" else False)
        if col != "distance_km":
            bad &= raw.notna().to_numpy()  # optional columns may be empty
        what = "a share between 0 and 1" if col == "toll_share" else "a finite number ≥ 0"
        for k in np.flatnonzero(bad)[:50]:
            issues.append(Issue(table.source, int(rows[k]), col,
                                f"expected {what}, got '{raw.iloc[k]}'"))
        values[col] = num
    if issues:
        raise ScenarioError(issues)
    cells = MatrixCells(n, ii.to_numpy(dtype=int), jj.to_numpy(dtype=int), values)
    lanes = Lanes(ids, MatrixColumn(cells, "distance_km"),
                  *(MatrixColumn(cells, c) if c in values else None
                    for c in ("time_h", "cost_eur_per_t")),
                  toll_share_given=MatrixColumn(cells, "toll_share") if "toll_share" in values
                  else None)
    for m in _modes(sc):
        factor = getattr(sc.distance, MODE_CIRCUITY[m]) / sc.distance.circuity
        lanes.mode_km[m] = MatrixMode(cells, m, factor)
        lanes.mode_own[m] = MatrixMode(cells, m, factor, own=True)
    return lanes


def _as_id(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()
