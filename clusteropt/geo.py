"""Geometry helpers: projection, straight-line, road-network, great-circle and sea-lane
distances.

Units: coordinates in metres of a projected CRS (default EPSG:28992, Amersfoort / RD New) or
degrees WGS84 (great circle, sea lanes), distances in km, times in hours. All functions take
and return numpy arrays. Great-circle and sea-lane distances are measured on the WGS84
ellipsoid, so they hold anywhere on earth; straight lines in a projected CRS are only as good
as the CRS's scale near the points (``projection_distortion`` measures that).

Numbers used here (all documented defaults):

* ``AREA_OF_USE_TOLERANCE_DEG`` (0.1 degree, about 7-11 km in the Netherlands): slack around the
  target CRS's area of use before a point is rejected.
* ``road_km_straight(circuity=1.3)``: detour factor applied to straight-line distances.
* ``RoadNetwork(merge_tolerance_m=1.0)``: vertices closer than this are one graph node.
* ``MAX_DISTORTION`` (0.02): largest relative error of projected straight-line distances
  against the geodesic that a scenario may have before its CRS is refused (lanes.py).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Geod, Transformer
from pyproj.exceptions import CRSError
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree
from scipy.spatial.distance import cdist

__all__ = [
    "AREA_OF_USE_TOLERANCE_DEG",
    "MAX_DISTORTION",
    "GeoError",
    "RoadNetwork",
    "great_circle_km",
    "lonlat_of",
    "project_points",
    "projection_distortion",
    "road_km_straight",
    "sea_route_km",
    "straight_line_km",
    "travel_time_h",
]

AREA_OF_USE_TOLERANCE_DEG = 0.1
MAX_DISTORTION = 0.02
_GEOD = Geod(ellps="WGS84")
_MAX_LISTED = 10
_LINE_TYPES = ("LineString", "MultiLineString", "LinearRing")


class GeoError(Exception):
    """A geographic input problem the user can fix (bad CRS, point out of area, bad file)."""


# --------------------------------------------------------------------------- CRS helpers


def _crs(value, what: str) -> CRS:
    try:
        return CRS.from_user_input(value)
    except CRSError as exc:
        raise GeoError(f"Unknown {what} {value!r}: {exc}") from exc


def _require_metric(crs: CRS, what: str) -> None:
    """Raise GeoError unless ``crs`` is projected with metre axes."""
    units = {ax.unit_name for ax in crs.axis_info}
    if not crs.is_projected or not units <= {"metre", "meter"}:
        raise GeoError(
            f"{what} {crs.to_string()} ({crs.name}) is not a projected CRS in metres "
            f"(axis units: {', '.join(sorted(units)) or 'none'}); use e.g. EPSG:28992."
        )


@lru_cache(maxsize=32)
def _transformer(src: CRS, dst: CRS) -> Transformer:
    return Transformer.from_crs(src, dst, always_xy=True)


def _index_list(mask: np.ndarray) -> str:
    idx = np.flatnonzero(mask)
    shown = ", ".join(str(i) for i in idx[:_MAX_LISTED])
    more = f" (and {idx.size - _MAX_LISTED} more)" if idx.size > _MAX_LISTED else ""
    return f"point(s) at indices [{shown}]{more}"


def _check_area_of_use(lon: np.ndarray, lat: np.ndarray, crs: CRS) -> None:
    """Raise GeoError if any lon/lat (degrees) lies outside ``crs.area_of_use`` + tolerance."""
    area = crs.area_of_use
    if area is None:
        return
    tol = AREA_OF_USE_TOLERANCE_DEG
    west, south, east, north = area.bounds
    if west <= east:
        in_lon = (lon >= west - tol) & (lon <= east + tol)
    else:  # area crosses the antimeridian
        in_lon = (lon >= west - tol) | (lon <= east + tol)
    inside = in_lon & (lat >= south - tol) & (lat <= north + tol)
    if not inside.all():
        raise GeoError(
            f"{_index_list(~inside).capitalize()} lie outside the area of use of {crs.to_string()} "
            f"({area.name.rstrip('.')}; lon {west}..{east}, lat {south}..{north}, "
            f"tolerance {tol} degree). Check the coordinates (lon/lat swapped?) or choose "
            f"another target CRS."
        )


# --------------------------------------------------------------------------- projection


def project_points(
    lon=None,
    lat=None,
    x=None,
    y=None,
    *,
    source_crs: str | None = None,
    target_crs: str = "EPSG:28992",
) -> tuple[np.ndarray, np.ndarray]:
    """Project points to metric coordinates (m) in ``target_crs``.

    Give either ``lon``/``lat`` (degrees; WGS84 when ``source_crs`` is None, else a geographic
    ``source_crs``) or ``x``/``y`` in ``source_crs``. Raises GeoError if ``target_crs`` is not
    projected in metres, a coordinate is not finite, or a point lies outside the target CRS's
    area of use (+ ``AREA_OF_USE_TOLERANCE_DEG``); the message lists the offending indices.
    """
    dst = _crs(target_crs, "target CRS")
    _require_metric(dst, "Target CRS")
    wgs84 = CRS.from_epsg(4326)

    if lon is not None or lat is not None:
        if x is not None or y is not None:
            raise GeoError("Give either lon/lat or x/y, not both.")
        if lon is None or lat is None:
            raise GeoError("Both lon and lat are required.")
        src = wgs84 if source_crs is None else _crs(source_crs, "source CRS")
        if not src.is_geographic:
            raise GeoError(
                f"lon/lat given but source CRS {src.to_string()} is not geographic; "
                f"pass x/y instead."
            )
        u, v = lon, lat
    elif x is not None and y is not None:
        if source_crs is None:
            raise GeoError("source_crs is required when x/y are given.")
        src = _crs(source_crs, "source CRS")
        u, v = x, y
    else:
        raise GeoError("Give either lon/lat or x/y coordinates.")

    u = np.asarray(u, dtype=float)
    v = np.asarray(v, dtype=float)
    if u.shape != v.shape:
        raise GeoError(f"Coordinate arrays differ in shape: {u.shape} vs {v.shape}.")
    bad = ~(np.isfinite(u) & np.isfinite(v))
    if bad.any():
        listed = _index_list(bad.ravel()).capitalize()
        raise GeoError(f"{listed} have missing or non-finite coordinates.")

    if src.is_geographic and src.equals(wgs84):
        lon_deg, lat_deg = u, v
    else:
        lon_deg, lat_deg = _transformer(src, wgs84).transform(u, v)
    _check_area_of_use(np.ravel(lon_deg), np.ravel(lat_deg), dst)

    px, py = _transformer(src, dst).transform(u, v)
    px, py = np.asarray(px, dtype=float), np.asarray(py, dtype=float)
    failed = ~(np.isfinite(px) & np.isfinite(py))
    if failed.any():
        raise GeoError(f"Projection to {dst.to_string()} failed for {_index_list(failed.ravel())}.")
    return px, py


# --------------------------------------------------------------------------- straight line


def _xy(x, y, what: str) -> np.ndarray:
    """Stack coordinates into an (n, 2) float array."""
    x = np.asarray(x, dtype=float).ravel()
    y = np.asarray(y, dtype=float).ravel()
    if x.shape != y.shape:
        raise ValueError(f"{what}: x and y differ in length ({x.size} vs {y.size}).")
    return np.column_stack([x, y])


def _pair(ax, ay, bx, by) -> tuple[np.ndarray, np.ndarray]:
    a = _xy(ax, ay, "a")
    if (bx is None) != (by is None):
        raise ValueError("Give both bx and by, or neither.")
    b = a if bx is None else _xy(bx, by, "b")
    return a, b


def straight_line_km(ax, ay, bx=None, by=None) -> np.ndarray:
    """Euclidean distances (km) between projected points a (n, metres) and b (m, default a).

    Returns an (n, m) array.
    """
    a, b = _pair(ax, ay, bx, by)
    return cdist(a, b) / 1000.0


def straight_line_km_pairs(ax, ay, bx, by) -> np.ndarray:
    """Euclidean distances (km) between projected points a[k] and b[k] (metres), pair by pair:
    the same numbers as ``straight_line_km`` gives for these pairs, without the n × m table."""
    dx = np.asarray(ax, dtype=float) - np.asarray(bx, dtype=float)
    dy = np.asarray(ay, dtype=float) - np.asarray(by, dtype=float)
    return np.sqrt(dx * dx + dy * dy) / 1000.0


def road_km_straight(ax, ay, bx=None, by=None, circuity: float = 1.3) -> np.ndarray:
    """Approximate road distances (km): ``straight_line_km`` times ``circuity``."""
    return straight_line_km(ax, ay, bx, by) * circuity


def travel_time_h(distance_km: np.ndarray, speed_kmh: float) -> np.ndarray:
    """Travel time (h) for distances (km) at a constant speed (km/h); inf stays inf."""
    if not np.isfinite(speed_kmh) or speed_kmh <= 0:
        raise ValueError(f"speed_kmh must be a positive number, got {speed_kmh!r}.")
    return np.asarray(distance_km, dtype=float) / speed_kmh


# --------------------------------------------------------------------------- on the ellipsoid


def lonlat_of(x, y, source_crs: str) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 lon/lat (degrees) of points given as x/y in ``source_crs``."""
    lon, lat = _transformer(_crs(source_crs, "source CRS"), CRS.from_epsg(4326)).transform(
        np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def _lonlat(lon, lat, what: str) -> tuple[np.ndarray, np.ndarray]:
    lon = np.asarray(lon, dtype=float).ravel()
    lat = np.asarray(lat, dtype=float).ravel()
    if lon.shape != lat.shape:
        raise ValueError(f"{what}: lon and lat differ in length ({lon.size} vs {lat.size}).")
    bad = ~(np.isfinite(lon) & np.isfinite(lat)) | (np.abs(lat) > 90) | (np.abs(lon) > 180)
    if bad.any():
        raise GeoError(f"{what}: {_index_list(bad)} have no valid lon/lat (degrees WGS84).")
    return lon, lat


def great_circle_km(lon_a, lat_a, lon_b=None, lat_b=None) -> np.ndarray:
    """Geodesic distances (km) on the WGS84 ellipsoid between points a (n) and b (m, default
    a), lon/lat in degrees (pyproj ``Geod.inv``, Karney's algorithm). Returns (n, m).

    This is the great-circle distance (GCD) of GLEC / ISO 14083 air freight, exact to well
    under a metre anywhere on earth, across the antimeridian and near the poles.
    """
    lo_a, la_a = _lonlat(lon_a, lat_a, "a")
    if (lon_b is None) != (lat_b is None):
        raise ValueError("Give both lon_b and lat_b, or neither.")
    lo_b, la_b = (lo_a, la_a) if lon_b is None else _lonlat(lon_b, lat_b, "b")
    n, m = lo_a.size, lo_b.size
    _, _, dist = _GEOD.inv(np.repeat(lo_a, m), np.repeat(la_a, m),
                           np.tile(lo_b, n), np.tile(la_b, n))
    return np.asarray(dist, dtype=float).reshape(n, m) / 1000.0


def great_circle_km_pairs(lon_a, lat_a, lon_b, lat_b) -> np.ndarray:
    """Geodesic distances (km) between points a[k] and b[k] (lon/lat degrees), pair by pair:
    the numbers of ``great_circle_km`` for these pairs."""
    lo_a, la_a = _lonlat(lon_a, lat_a, "a")
    lo_b, la_b = _lonlat(lon_b, lat_b, "b")
    _, _, dist = _GEOD.inv(lo_a, la_a, lo_b, la_b)
    return np.asarray(dist, dtype=float).reshape(lo_a.shape) / 1000.0


def sea_route_km(lon, lat) -> np.ndarray:
    """Sea distances (km) between every pair of points (lon/lat degrees, ports or points at
    sea), along the shortest path over the marine network the ``searoute`` package ships
    (Eurostat's global shipping lanes: Panama and Suez canals open, the Northwest passage
    closed), offline. Each point joins the network at its nearest vertex; that straight
    access leg is included. Returns a symmetric (n, n) array with a zero diagonal.
    """
    lo, la = _lonlat(lon, lat, "points")
    n = lo.size
    out = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            if lo[i] != lo[j] or la[i] != la[j]:
                out[i, j] = out[j, i] = _sea_leg_km(lo[i], la[i], lo[j], la[j])
    return out


@lru_cache(maxsize=100_000)
def _sea_leg_km(lon_a: float, lat_a: float, lon_b: float, lat_b: float) -> float:
    """One searoute path length (km); memoised, as variants of a case share their ports."""
    import searoute  # loads its marine network on first use (about a second)

    route = searoute.searoute([lon_a, lat_a], [lon_b, lat_b], units="km",
                              append_orig_dest=True)
    return float(route.properties["length"])


def projection_distortion(lon, lat, x, y, max_points: int = 200,
                          min_km: float = 1.0) -> tuple[float, int, int]:
    """Largest relative error |straight / geodesic − 1| of straight-line distances between
    projected points (x, y in metres) against the geodesic between the same points (lon/lat
    degrees), over pairs at least ``min_km`` apart among up to ``max_points`` evenly spread
    points. Returns (error, i, j) of the worst pair (0.0, -1, -1 when no pair qualifies)."""
    lo, la = _lonlat(lon, lat, "points")
    xy = _xy(x, y, "points")
    keep = np.unique(np.linspace(0, lo.size - 1, min(lo.size, max_points)).astype(int))
    geod = great_circle_km(lo[keep], la[keep])
    flat = cdist(xy[keep], xy[keep]) / 1000.0
    ok = geod >= min_km
    if not ok.any():
        return 0.0, -1, -1
    err = np.where(ok, np.abs(flat / np.where(ok, geod, 1.0) - 1.0), 0.0)
    a, b = np.unravel_index(int(np.argmax(err)), err.shape)
    return float(err[a, b]), int(keep[a]), int(keep[b])


# --------------------------------------------------------------------------- road network


def _merge_vertices(xy: np.ndarray, tol: float) -> np.ndarray:
    """Node id for each vertex; vertices within ``tol`` metres of a cluster leader merge.

    Exact duplicates are merged first (vectorised); the remaining close pairs are clustered
    greedily around a leader vertex, so clusters never chain beyond ``tol`` from the leader.
    """
    uniq, inverse = np.unique(xy, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    label = np.arange(len(uniq))
    if tol > 0 and len(uniq) > 1:
        pairs = cKDTree(uniq).query_pairs(tol, output_type="ndarray")
        if len(pairs):
            n = len(uniq)
            ones = np.ones(len(pairs), dtype=np.int8)
            adj = csr_matrix((ones, (pairs[:, 0], pairs[:, 1])), shape=(n, n))
            adj = (adj + adj.T).tocsr()
            assigned = np.zeros(n, dtype=bool)
            for i in np.unique(pairs):  # only vertices that have a close neighbour
                if assigned[i]:
                    continue
                nb = adj.indices[adj.indptr[i] : adj.indptr[i + 1]]
                nb = nb[~assigned[nb]]
                label[nb] = i
                assigned[nb] = True
                assigned[i] = True
    _, node = np.unique(label, return_inverse=True)
    return node.ravel()[inverse]


class RoadNetwork:
    """Undirected shortest paths (km) over a line network in a projected metric CRS.

    Every vertex is a graph node (vertices closer than ``merge_tolerance_m`` are one node) and
    every straight segment an edge weighted by its length in metres. Query points snap to the
    nearest point on a segment; the straight snap distance is added at both ends. Pairs in
    different components get ``np.inf``. A point's distance to itself is twice its snap
    distance (access and egress).
    """

    def __init__(self, lines, crs: str, merge_tolerance_m: float = 1.0):
        """Build from shapely (Multi)LineStrings already in the projected metric CRS ``crs``."""
        self.crs = _crs(crs, "network CRS")
        _require_metric(self.crs, "Network CRS")
        if not merge_tolerance_m >= 0:
            raise ValueError(f"merge_tolerance_m must be >= 0, got {merge_tolerance_m!r}.")
        self.merge_tolerance_m = float(merge_tolerance_m)

        parts = shapely.get_parts(np.asarray(lines, dtype=object))
        coords, line_idx = shapely.get_coordinates(parts, return_index=True)
        same_line = line_idx[1:] == line_idx[:-1]
        p0, p1 = coords[:-1][same_line], coords[1:][same_line]
        if len(p0) == 0:
            raise GeoError("The road network contains no line segments.")

        # Vertices -> nodes; segments collapsed onto one node are dropped.
        node = _merge_vertices(np.vstack([p0, p1]), self.merge_tolerance_m)
        u, v = node[: len(p0)], node[len(p0) :]
        keep = u != v
        if not keep.any():
            raise GeoError("All road network segments are shorter than the merge tolerance.")
        self._p0, self._p1, self._u, self._v = p0[keep], p1[keep], u[keep], v[keep]
        self._len = np.hypot(*(self._p1 - self._p0).T)
        self.n_nodes = int(node.max()) + 1
        self.n_segments = len(self._len)

        # Graph: one undirected edge per node pair, the shortest parallel segment wins
        # (csr_matrix would otherwise sum duplicates).
        lo, hi = np.minimum(self._u, self._v), np.maximum(self._u, self._v)
        order = np.lexsort((self._len, hi, lo))
        first = np.ones(len(order), dtype=bool)
        first[1:] = (lo[order][1:] != lo[order][:-1]) | (hi[order][1:] != hi[order][:-1])
        sel = order[first]
        self._graph = csr_matrix(
            (self._len[sel], (lo[sel], hi[sel])), shape=(self.n_nodes, self.n_nodes)
        )
        self._tree = shapely.STRtree(shapely.linestrings(np.stack([self._p0, self._p1], axis=1)))

    def __repr__(self) -> str:
        return (
            f"RoadNetwork({self.n_segments} segments, {self.n_nodes} nodes, "
            f"crs={self.crs.to_string()})"
        )

    # ----------------------------------------------------------------- constructors

    @classmethod
    def from_lines(
        cls,
        geoseries_or_list_of_linestrings,
        crs: str,
        target_crs: str = "EPSG:28992",
        merge_tolerance_m: float = 1.0,
    ) -> RoadNetwork:
        """Build from a GeoSeries or list of (Multi)LineStrings in ``crs``, projected to
        ``target_crs`` (metres)."""
        try:
            gs = gpd.GeoSeries(geoseries_or_list_of_linestrings, crs=crs)
        except (TypeError, ValueError, CRSError) as exc:
            raise GeoError(f"Could not use the road network lines: {exc}") from exc
        return cls._from_geoseries(gs, target_crs, merge_tolerance_m, source="the given lines")

    @classmethod
    def from_file(
        cls,
        path,
        target_crs: str = "EPSG:28992",
        layer=None,
        merge_tolerance_m: float = 1.0,
    ) -> RoadNetwork:
        """Read a road network file (GeoJSON, GPKG, ... of LineStrings) and project it to
        ``target_crs`` (metres)."""
        path = Path(path)
        if not path.exists():
            raise GeoError(f"Road network file not found: {path}")
        try:
            gdf = gpd.read_file(path, layer=layer)
        except Exception as exc:  # pyogrio/GDAL raise a variety of error types
            raise GeoError(f"Could not read road network file {path}: {exc}") from exc
        if gdf.crs is None:
            raise GeoError(f"Road network file {path} has no CRS; set one (e.g. EPSG:4326).")
        return cls._from_geoseries(gdf.geometry, target_crs, merge_tolerance_m, source=str(path))

    @classmethod
    def _from_geoseries(
        cls, gs: gpd.GeoSeries, target_crs, merge_tolerance_m: float, source: str
    ) -> RoadNetwork:
        gs = gs[~(gs.isna() | gs.is_empty)]
        if len(gs) == 0:
            raise GeoError(f"Road network {source} contains no geometries.")
        types = gs.geom_type
        bad = ~types.isin(_LINE_TYPES)
        if bad.any():
            counts = types[bad].value_counts()
            found = ", ".join(f"{n} {t}" for t, n in counts.items())
            raise GeoError(
                f"Road network {source} must contain only LineString/MultiLineString "
                f"geometries; found {found} (of {len(gs)} features)."
            )
        dst = _crs(target_crs, "target CRS")
        _require_metric(dst, "Target CRS")
        try:
            gs = gs.to_crs(dst)
        except Exception as exc:
            raise GeoError(f"Could not project road network {source} to {dst}: {exc}") from exc
        return cls(gs.values, crs=dst, merge_tolerance_m=merge_tolerance_m)

    # ----------------------------------------------------------------- queries

    def _snap(self, x, y, what: str):
        """Nearest segment, position along it (m from p0), and snap distance (m) per point."""
        p = _xy(x, y, what)
        if not np.isfinite(p).all():
            bad = ~np.isfinite(p).all(axis=1)
            raise GeoError(f"{what}: {_index_list(bad)} have non-finite coordinates.")
        seg = self._tree.query_nearest(shapely.points(p), all_matches=False)[1]
        a, d = self._p0[seg], self._p1[seg] - self._p0[seg]
        t = np.clip(np.einsum("ij,ij->i", p - a, d) / np.einsum("ij,ij->i", d, d), 0.0, 1.0)
        snap = np.hypot(*(p - (a + t[:, None] * d)).T)
        return seg, t * self._len[seg], snap

    def snap_distance_km(self, x, y) -> np.ndarray:
        """Straight distance (km) from each projected point (m) to the nearest network point."""
        return self._snap(x, y, "points")[2] / 1000.0

    def component_of(self, x, y) -> np.ndarray:
        """The connected component (an int label) each projected point (m) snaps into: two
        points are connected by the network exactly when their labels are equal."""
        seg = self._snap(x, y, "points")[0]
        _, labels = connected_components(self._graph, directed=False)
        return labels[self._u[seg]]

    def distance_km(self, ax, ay, bx=None, by=None) -> np.ndarray:
        """Network distances (km) between projected points a (n) and b (m, default a).

        Returns (n, m); np.inf where the two points snap to disconnected components.
        """
        sa, pos_a, snap_a = self._snap(ax, ay, "a")
        if (bx is None) != (by is None):
            raise ValueError("Give both bx and by, or neither.")
        sb, pos_b, snap_b = (sa, pos_a, snap_a) if bx is None else self._snap(bx, by, "b")

        # Each snapped point reaches its segment's two end nodes at these offsets (m).
        nodes_a = np.column_stack([self._u[sa], self._v[sa]])
        off_a = np.column_stack([pos_a, self._len[sa] - pos_a])
        nodes_b = np.column_stack([self._u[sb], self._v[sb]])
        off_b = np.column_stack([pos_b, self._len[sb] - pos_b])

        # One Dijkstra run from the distinct nodes of the smaller side (graph is undirected).
        flip = np.unique(nodes_b).size < np.unique(nodes_a).size
        src_nodes, src_off, dst_nodes, dst_off = (
            (nodes_b, off_b, nodes_a, off_a) if flip else (nodes_a, off_a, nodes_b, off_b)
        )
        sources, row = np.unique(src_nodes, return_inverse=True)
        row = row.reshape(src_nodes.shape)
        dist = dijkstra(self._graph, directed=False, indices=sources)

        best = np.full((len(src_nodes), len(dst_nodes)), np.inf)
        for i in range(2):
            for j in range(2):
                via = dist[row[:, i][:, None], dst_nodes[:, j][None, :]]
                np.minimum(best, src_off[:, i][:, None] + via + dst_off[:, j][None, :], out=best)
        if flip:
            best = best.T

        same = sa[:, None] == sb[None, :]
        if same.any():
            along = np.abs(pos_a[:, None] - pos_b[None, :])
            best = np.where(same, np.minimum(best, along), best)
        return (best + snap_a[:, None] + snap_b[None, :]) / 1000.0
