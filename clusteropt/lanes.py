"""Lanes: the distance (km), time (h) and optional per-tonne cost between every pair of a
scenario's nodes, by the scenario's distance method (straight line × circuity, road network,
great circle × circuity, or an explicit matrix). A matrix scenario needs no geometry; a
missing pair is no lane (inf).

Distances per mode: modes with their own rule (``MODE_DISTANCE``) — sea legs along the sea
lanes, air legs on the great circle — whatever the scenario's method; barge and rail legs
run on waterways and railways, not roads: straight-line and network scenarios give them
straight line × ``distance.circuity_barge`` / ``circuity_rail``; a matrix may give
``distance_km_barge`` / ``distance_km_rail`` per lane, and where a cell is empty the mode's km
are the road km × circuity_mode / circuity."""

from __future__ import annotations

from dataclasses import dataclass, field
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


@dataclass
class Lanes:
    """Dense lane tables over ``node_ids`` (n × n). ``time_h`` is None when times follow from
    each vehicle's speed; ``cost_eur_per_t`` (explicit matrix only) overrides tariff costs.
    ``mode_km`` holds the distances (km) of the modes in ``MODE_DISTANCE`` that some vehicle
    type uses: finite where both nodes list the mode, inf elsewhere."""

    node_ids: list[str]
    km: np.ndarray
    time_h: np.ndarray | None = None
    cost_eur_per_t: np.ndarray | None = None
    snap_km: np.ndarray | None = None
    toll_share_given: np.ndarray | None = None  # matrix column toll_share (NaN: not given)
    mode_km: dict[str, np.ndarray] = field(default_factory=dict)  # barge, rail km (n × n)
    mode_own: dict[str, np.ndarray] = field(default_factory=dict)  # matrix: own km given

    def __post_init__(self) -> None:
        self.index = {n: i for i, n in enumerate(self.node_ids)}

    # ---- truck toll (issue 24): the share of a lane's road km on tolled roads ---------------
    def toll_share(self, a: str, b: str) -> float:
        """Share (0–1) of the road km from a to b on tolled roads: the matrix's ``toll_share``
        where given, else the default of the lane's distance band (``toll_share_default``)."""
        i, j = self.index[a], self.index[b]
        if self.toll_share_given is not None and np.isfinite(self.toll_share_given[i, j]):
            return float(self.toll_share_given[i, j])
        return toll_share_default(float(self.km[i, j]))

    def distance(self, a: str, b: str, mode: str = "road") -> float:
        """km from a to b by ``mode`` (road km for road and modes without their own)."""
        km = self.mode_km.get(mode, self.km)
        return float(km[self.index[a], self.index[b]])

    def time(self, a: str, b: str, speed_kmh: float, mode: str = "road") -> float:
        """Driving (sailing) time in hours: the matrix's ``time_h`` where it gives one and the
        mode has no distance of its own on the lane, else the mode's km / speed."""
        i, j = self.index[a], self.index[b]
        own = mode in self.mode_km and (mode not in self.mode_own or self.mode_own[mode][i, j])
        if not own and self.time_h is not None and np.isfinite(self.time_h[i, j]):
            return float(self.time_h[i, j])
        return self.distance(a, b, mode) / speed_kmh

    def lane_cost(self, a: str, b: str) -> float | None:
        if self.cost_eur_per_t is None:
            return None
        v = self.cost_eur_per_t[self.index[a], self.index[b]]
        return float(v) if np.isfinite(v) else None

    def table(self) -> pd.DataFrame:
        """Long table: from, to, distance_km, time_h (when explicit), cost_eur_per_t, and
        distance_km_<mode> for barge and rail where some vehicle type uses them."""
        n = len(self.node_ids)
        ii, jj = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
        mask = ii.ravel() != jj.ravel()
        out = pd.DataFrame({
            "from": np.array(self.node_ids)[ii.ravel()[mask]],
            "to": np.array(self.node_ids)[jj.ravel()[mask]],
            "distance_km": self.km.ravel()[mask],
        })
        if self.time_h is not None:
            out["time_h"] = self.time_h.ravel()[mask]
        if self.cost_eur_per_t is not None:
            out["cost_eur_per_t"] = self.cost_eur_per_t.ravel()[mask]
        for mode, km in self.mode_km.items():
            out[f"distance_km_{mode}"] = km.ravel()[mask]
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
        flat = geo.great_circle_km(lon, lat)
        return Lanes(ids, flat * sc.distance.circuity,
                     mode_km={m: flat * getattr(sc.distance, MODE_CIRCUITY[m])
                              for m in _modes(sc)})
    _require_faithful_crs(sc, ids, x, y)
    straight = {m: geo.straight_line_km(x, y) * getattr(sc.distance, MODE_CIRCUITY[m])
                for m in _modes(sc)}
    if sc.distance.method == "straight_line":
        km = geo.road_km_straight(x, y, circuity=sc.distance.circuity)
        return Lanes(ids, km, mode_km=straight)
    path = sc.base_dir / sc.distance.file
    try:
        net = geo.RoadNetwork.from_file(path, target_crs=sc.crs, layer=sc.distance.layer)
        km = net.distance_km(x, y)
        snap = net.snap_distance_km(x, y)
    except geo.GeoError as err:
        raise ScenarioError([Issue(str(sc.distance.file), None, None, str(err))]) from None
    np.fill_diagonal(km, 0.0)
    bad = [(ids[i], ids[j]) for i, j in zip(*np.where(~np.isfinite(km)))]
    if bad:
        sc.warnings.append(f"{len(bad)} node pairs are not connected by the road network, "
                           f"e.g. {bad[0][0]} → {bad[0][1]}; those lanes are not used")
    return Lanes(ids, km, snap_km=snap, mode_km=straight)


def _mode_lanes(sc: Scenario, ids: list[str]) -> dict[str, np.ndarray]:
    """km tables of the modes with their own distance rule that some vehicle type uses:
    computed between the nodes that list the mode (inf to and from the others)."""
    out = {}
    used = {vt.mode for vt in sc.vehicles.values()}
    for mode, rule in MODE_DISTANCE.items():
        if mode not in used:
            continue
        at = [i for i, n in enumerate(ids) if mode in sc.nodes[n].modes]
        km = np.full((len(ids), len(ids)), np.inf)
        np.fill_diagonal(km, 0.0)
        if at:
            lon, lat = _lonlat(sc, [ids[i] for i in at], why=f"mode '{mode}'")
            sub = geo.sea_route_km(lon, lat) if rule == "sea_route" \
                else geo.great_circle_km(lon, lat)
            km[np.ix_(at, at)] = sub
        out[mode] = km
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
    xy = [i for i, n in enumerate(nodes) if i not in set(ll)]
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
    i, j = ii.to_numpy(dtype=int), jj.to_numpy(dtype=int)
    km = np.full((n, n), np.inf)
    np.fill_diagonal(km, 0.0)
    km[i, j] = values["distance_km"]
    time_h = cost = None
    if "time_h" in values:
        time_h = np.full((n, n), np.nan)
        time_h[i, j] = values["time_h"]
    if "cost_eur_per_t" in values:
        cost = np.full((n, n), np.nan)
        cost[i, j] = values["cost_eur_per_t"]
    lanes = Lanes(ids, km, time_h, cost)
    if "toll_share" in values:
        lanes.toll_share_given = np.full((n, n), np.nan)
        lanes.toll_share_given[i, j] = values["toll_share"]
    for m in _modes(sc):
        fallback = km * (getattr(sc.distance, MODE_CIRCUITY[m]) / sc.distance.circuity)
        given = np.full((n, n), np.nan)
        if f"distance_km_{m}" in values:
            given[i, j] = values[f"distance_km_{m}"]
        own = np.isfinite(given) & np.isfinite(km)  # a mode km only where the lane exists
        lanes.mode_km[m] = np.where(own, given, fallback)
        lanes.mode_own[m] = own
    return lanes


def _as_id(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()
