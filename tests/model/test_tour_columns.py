"""Tours as columns of the MILP (issue 21; ``clusteropt.model.tourcols``, family ``tours``).

* exact for its columns: with every subset of stops offered as a tour (in its best order), the
  MILP optimum equals a brute force over every partition of the stops into tours and direct
  trips (random instances of 4–5 growers, duration limits that bind);
* the default columns (PyVRP around today's placement): the optimum is never above the
  all-direct one (tours: none) and never below the brute-force optimum;
* hand cases: touring makes moving to two neighbouring sites pay (and, at a higher relocation
  cost, not); a shipment frequency is met by tour runs; today's situation (B0) is toured;
* the checker rejects tampered tours (a stop's tonnes dropped, overfull, too long, wrong km).
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import replace
from pathlib import Path

import pytest

from clusteropt.check import check_solution
from clusteropt.lanes import build_lanes
from clusteropt.model import Switches, build, extract
from clusteropt.model.tourcols import TourColumn
from clusteropt.run import run_scenario
from clusteropt.scenario import scenario_from_dict
from clusteropt.solve import solve

W = 52.0  # periods a year
E = 0.3  # empty share: ρ = e / (1 − e) empty trips per market-closed trip
RHO = E / (1 - E)
SPEED = 50.0  # km/h
STOP_H = 0.25
PAYLOAD = 20.0


def _scenario(tmp: Path, pts: dict[str, tuple[int, int]], loads: dict[str, float], *,
              tour: str = "collect", max_tour_h: float = 9.0, sites=(), reloc: float = 0.0,
              km: dict | None = None, shipments: float | None = None):
    """Growers at ``pts`` (all but 'X', the auction) send ``loads`` t/week to X; Manhattan
    km unless ``km`` gives the matrix; ``sites`` are candidate sites (room for one grower
    each) every grower may move to at a one-off ``reloc`` € (annuity at 5 %, 20 years)."""
    tmp.mkdir(parents=True, exist_ok=True)
    ids = list(pts)

    def dist(a, b):
        if km is not None:
            return km[frozenset((a, b))]
        (xa, ya), (xb, yb) = pts[a], pts[b]
        return float(abs(xa - xb) + abs(ya - yb))

    rows = ["from,to,distance_km"] + [f"{a},{b},{dist(a, b)!r}" for a in ids for b in ids
                                      if a != b]
    (tmp / "lanes.csv").write_text("\n".join(rows) + "\n")
    nodes = [{"id": n, "kind": "site", "cap_area": 1.0} if n in sites
             else {"id": n, "kind": "location"} for n in ids]
    acts = [{"id": "auction", "node": "X"}]
    for g in loads:
        row = {"id": f"f_{g}", "node": g}
        if sites:
            row.update(movable=True, candidates=";".join(sites), size_area=1.0)
            for s in sites:
                row[f"reloc_cost_eur_{s}"] = reloc
        acts.append(row)
    com = {"id": "flowers", "load_class": "food", "tour": tour, "tour_stop_h": STOP_H}
    if shipments:
        com["shipments_per_period"] = shipments
    doc = {"name": "tours", "interest_rate": 0.05, "lifetime_years": 20,
           "periods": [{"id": "wk", "weight": W}],
           "distance": {"method": "matrix", "file": "lanes.csv"},
           "options": {"gap_rel": 0.0, "time_limit_s": None, "empty_share": E,
                       "empty_k_nearest": 20},
           "tables": {"nodes": nodes, "activities": acts, "commodities": [com],
                      "demands": [{"id": f"d_{g}", "origin": f"f_{g}", "destination":
                                   "auction", "commodity": "flowers", "tonnes_per_period": t}
                                  for g, t in loads.items()],
                      "vehicles": [{"id": "truck", "payload_t": PAYLOAD, "cost_eur_per_km": 1.0,
                                    "speed_kmh": SPEED, "max_tour_h": max_tour_h}]}}
    return scenario_from_dict(doc, base_dir=tmp, path=tmp / "scenario.yaml"), dist


def _random(seed: int):
    r = random.Random(seed)
    n = r.choice([4, 5])
    pts = {"X": (0, 0)}
    for k in range(n):
        pts[f"g{k}"] = (r.randint(-30, 30), r.randint(-30, 30))
    loads = {g: float(r.randint(1, 3)) for g in pts if g != "X"}
    return pts, loads, r.choice([2.0, 2.5, 3.0])


def _tour_km(order, dist) -> float:
    path = ["X", *order, "X"]
    return sum(dist(a, b) for a, b in zip(path, path[1:]))


def _brute_force(loads, dist, max_h) -> float:
    """€/yr: the cheapest partition of the growers into blocks, a block of one going direct
    ((1 + ρ) × its km: the return closed by the market) and a larger one as its shortest
    tour within max_h (driving + STOP_H per stop); total load ≤ payload throughout."""
    stops = sorted(loads)

    def block(b) -> float:
        if len(b) == 1:
            return (1 + RHO) * dist(b[0], "X")
        best = math.inf
        for order in itertools.permutations(b):
            km = _tour_km(order, dist)
            if km / SPEED + STOP_H * len(b) <= max_h + 1e-9:
                best = min(best, km)
        return best

    def partitions(items):
        if not items:
            yield []
            return
        first, rest = items[0], items[1:]
        for p in partitions(rest):
            yield [[first], *p]
            for n in range(len(p)):
                yield [*p[:n], [first, *p[n]], *p[n + 1:]]

    return W * min(sum(block(b) for b in p) for p in partitions(stops))


def _every_subset(loads, dist, max_h) -> tuple[TourColumn, ...]:
    cols = []
    for size in range(2, len(loads) + 1):
        for b in itertools.combinations(sorted(loads), size):
            order = min(itertools.permutations(b), key=lambda o: _tour_km(o, dist))
            if _tour_km(order, dist) / SPEED + STOP_H * size <= max_h + 1e-9:
                cols.append(TourColumn("X", "truck", "collect", "food", order, STOP_H))
    return tuple(cols)


@pytest.mark.parametrize("seed", range(8))
def test_every_subset_offered_gives_the_brute_force_optimum(seed, tmp_path):
    pts, loads, max_h = _random(seed)
    sc, dist = _scenario(tmp_path, pts, loads, max_tour_h=max_h)
    lanes = build_lanes(sc)
    model = build(sc, lanes, Switches(tour_columns=_every_subset(loads, dist, max_h)))
    rep = solve(model)
    assert rep.status == "optimal"
    assert rep.objective == pytest.approx(_brute_force(loads, dist, max_h), rel=1e-6)
    sol = extract(model)
    sol.objective_eur = rep.objective
    assert check_solution(sc, lanes, sol).passed


@pytest.mark.parametrize("seed", range(8))
def test_default_columns_lie_between_the_optimum_and_all_direct(seed, tmp_path):
    pts, loads, max_h = _random(seed)
    sc, dist = _scenario(tmp_path / "t", pts, loads, max_tour_h=max_h)
    toured = run_scenario(sc, baseline=False)
    direct = run_scenario(_scenario(tmp_path / "d", pts, loads, tour="none",
                                    max_tour_h=max_h)[0], baseline=False)
    assert toured.check.passed, toured.check.violations
    best = _brute_force(loads, dist, max_h)
    assert best - 1e-6 * best <= toured.report.objective <= direct.report.objective + 1e-6
    assert direct.report.objective == pytest.approx(
        W * (1 + RHO) * sum(dist(g, "X") for g in loads))


def _pair(tmp: Path, reloc: float, tour: str = "collect"):
    """Growers a and b, 30 km from the auction X on opposite sides (60 km apart), may move to
    the neighbouring sites s1 and s2 (each 30 km from X, 2 km apart, room for one grower
    each: they cannot share one node and one direct trip); 2 t/week each, 20 t
    truck at 1 €/km, ρ = 0.3/0.7.

    Today: direct trips 30 · (1 + ρ) = 42.857 € each a week, 2 · 42.857 · 52 = 4,457.14 €/yr
    (the tour X→a→b→X, 120 km, is dearer). At s1 and s2 the tour X→s1→s2→X is 62 km: 3,224 €/yr,
    1,233.14 €/yr less. Moving both costs 2 · annuity(reloc) = 2 · 0.080243 · reloc: it pays
    below reloc = 7,684 €."""
    pts = {"X": (0, 0), "a": (0, 0), "b": (0, 0), "s1": (0, 0), "s2": (0, 0)}
    km = {frozenset(p): d for p, d in {
        ("X", "a"): 30, ("X", "b"): 30, ("a", "b"): 60, ("X", "s1"): 30, ("X", "s2"): 30,
        ("s1", "s2"): 2, ("a", "s1"): 40, ("a", "s2"): 41, ("b", "s1"): 41,
        ("b", "s2"): 40}.items()}
    sc, _ = _scenario(tmp, pts, {"a": 2.0, "b": 2.0}, tour=tour, sites=("s1", "s2"),
                      reloc=reloc, km=km)
    return sc


ANNUITY = 0.05 / (1 - 1.05 ** -20)
TODAY = 2 * 30 * (1 + RHO) * W


def test_touring_makes_moving_to_neighbouring_sites_pay(tmp_path):
    out = run_scenario(_pair(tmp_path / "a", 5_000.0))
    assert out.check.passed, out.check.violations
    assert sorted(out.solution.placement[f] for f in ("f_a", "f_b")) == ["s1", "s2"]
    assert out.report.objective == pytest.approx(62 * W + 2 * ANNUITY * 5_000.0, rel=1e-6)
    assert list(out.solution.tours.stops) in (["s1;s2"], ["s2;s1"])
    # today (B0) is priced by the same rules: direct trips, the a-b tour being dearer
    assert out.savings.steps["B0"]["total_cost_eur"] == pytest.approx(TODAY, rel=1e-6)
    assert out.savings.saving["total"]["cost_eur"] == pytest.approx(
        TODAY - out.report.objective, rel=1e-6)
    # without tours the same move saves nothing: both stay
    flat = run_scenario(_pair(tmp_path / "b", 5_000.0, tour="none"), baseline=False)
    assert flat.solution.placement["f_a"] == "a" and flat.solution.placement["f_b"] == "b"
    assert flat.report.objective == pytest.approx(TODAY, rel=1e-6)


def test_touring_does_not_pay_a_dear_move(tmp_path):
    out = run_scenario(_pair(tmp_path, 10_000.0), baseline=False)
    assert out.solution.placement["f_a"] == "a" and out.solution.placement["f_b"] == "b"
    assert out.report.objective == pytest.approx(TODAY, rel=1e-6)
    assert out.solution.tours.empty


def _four(tmp: Path, **kw):
    """Four growers of 2 t at (±10, 20) and (±12, 22) (Manhattan km): one tour of 92 km."""
    pts = {"X": (0, 0), "g1": (10, 20), "g2": (12, 22), "g3": (-10, 20), "g4": (-12, 22)}
    return _scenario(tmp, pts, {g: 2.0 for g in pts if g != "X"}, **kw)


def test_frequency_is_met_by_tour_runs(tmp_path):
    """Three shipments a week each: the tour X→g1→g2→g4→g3→X (30 + 4 + 24 + 4 + 30 = 92 km)
    runs three times, 8/3 t a run, 276 €/week; direct trips would need three per grower,
    3 · 128 · (1 + ρ) = 549 €/week."""
    sc, dist = _four(tmp_path, shipments=3.0)
    out = run_scenario(sc, baseline=False)
    assert out.check.passed, out.check.violations
    assert out.solution.tours.runs.sum() == 3
    assert out.solution.trips.empty
    order = str(out.solution.tours.stops.iloc[0]).split(";")
    assert out.report.objective == pytest.approx(3 * W * _tour_km(order, dist), rel=1e-6)
    # the frequency rule counts the runs: with only two the checker objects
    bad = replace(out.solution, tours=out.solution.tours.assign(runs=2.0))
    assert any(v.rule == "frequency" for v in check_solution(sc, out.lanes, bad).violations)


def _tampered(tmp_path):
    sc, _ = _four(tmp_path)
    out = run_scenario(sc, baseline=False)
    assert out.check.passed and len(out.solution.tours) == 1
    return sc, out


def _rules(sc, out, sol) -> set[str]:
    return {v.rule for v in check_solution(sc, out.lanes, sol).violations}


def test_checker_rejects_a_dropped_stop(tmp_path):
    sc, out = _tampered(tmp_path)
    sol = replace(out.solution, tour_loads=out.solution.tour_loads.iloc[1:])
    assert "trip capacity (mass)" in _rules(sc, out, sol)


def test_checker_rejects_an_overfull_tour(tmp_path):
    sc, out = _tampered(tmp_path)
    loads = out.solution.tour_loads.copy()
    loads["tonnes"] = loads.tonnes * 3  # 24 t on a 20 t truck (and more than the legs carry)
    sol = replace(out.solution, tour_loads=loads)
    assert "tours" in _rules(sc, out, sol)
    msgs = [v for v in check_solution(sc, out.lanes, sol).violations if "(mass)" in v]
    assert msgs


def test_checker_rejects_a_tour_too_long_or_mismeasured(tmp_path):
    sc, out = _tampered(tmp_path)
    short = replace(sc, vehicles={v: replace(vt, max_tour_h=0.5)
                                  for v, vt in sc.vehicles.items()})
    assert any("max_tour_h" in v for v in check_solution(short, out.lanes,
                                                          out.solution).violations)
    sol = replace(out.solution, tours=out.solution.tours.assign(km=1.0))
    assert any("km per run" in v for v in check_solution(sc, out.lanes, sol).violations)
    stops = out.solution.tours.stops.iloc[0].split(";")
    sol = replace(out.solution, tours=out.solution.tours.assign(
        stops=";".join([*stops, stops[0]])))
    assert "tours" in _rules(sc, out, sol)


def test_lead_time_of_a_toured_tonne_is_its_ride(tmp_path):
    """A grower's flowers ride from its stop along the rest of the tour to the auction:
    driving km / 50 km/h + 0.25 h per stop on the ride (its own and the later ones)."""
    from clusteropt.results import flow_lead_times

    sc, dist = _four(tmp_path)
    out = run_scenario(sc, baseline=False)
    order = str(out.solution.tours.stops.iloc[0]).split(";")
    lead = flow_lead_times(sc, out.lanes, out.solution).set_index("origin_node").lead_time_h
    for n, g in enumerate(order):
        ride = [*order[n:], "X"]
        km = sum(dist(a, b) for a, b in zip(ride, ride[1:]))
        assert lead[g] == pytest.approx(km / SPEED + STOP_H * (len(order) - n)), g


def test_a_written_solution_keeps_its_tours_and_passes_the_check(tmp_path):
    """solution/ (to_dir) holds tours.csv and tour_loads.csv; read back (from_dir, as
    `clusteropt check` does), the tours are the same and the independent check passes."""
    from clusteropt.solution import Solution

    sc, _ = _four(tmp_path / "s")
    out = run_scenario(sc, baseline=False)
    out.solution.to_dir(tmp_path / "sol")
    back = Solution.from_dir(tmp_path / "sol")
    assert list(back.tours.stops) == list(out.solution.tours.stops)
    assert back.tour_loads.tonnes.sum() == pytest.approx(8.0)
    assert check_solution(sc, out.lanes, back).passed
