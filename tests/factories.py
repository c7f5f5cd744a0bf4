"""The one factory of small test scenarios with explicit distances, shared by every test.

* ``matrix_scenario(tmp, doc, km=… | points=…)``: write the lanes as a ``matrix`` table —
  from ``km`` {(a, b): km} (both directions) or from ``points`` {node: (x_km, y_km)}
  (Euclidean, so the triangle inequality holds) — and load ``doc`` with it; returns
  ``(scenario, lanes)``;
* ``hand_scenario(tmp, points, nodes, activities, commodities, demands, …)``: the hand-case
  document (one 10 t ``TRUCK`` at 1 €/km, interest 0 over 10 years, e = 0.2, gap 0) around
  ``matrix_scenario``;
* ``optimise(sc, lanes, switches)``: build, solve at gap 0 (must be optimal), extract and
  evaluate; ``growers_case``: three growers, two sites and an auction (hand-solved in
  tests/model/test_model_hand.py).

Tiny random instances with an independent reference (brute force) are in ``tiny.py``.
"""

from __future__ import annotations

import math
from pathlib import Path

from clusteropt.lanes import build_lanes
from clusteropt.model import build, extract
from clusteropt.results import evaluate
from clusteropt.scenario import scenario_from_dict
from clusteropt.solve import solve

ROOT = Path(__file__).resolve().parent.parent  # the repository
SCENARIOS = ROOT / "scenarios"

TRUCK = {"id": "truck", "mode": "road", "pricing": "trip", "payload_t": 10,
         "cost_eur_per_km": 1.0, "cost_eur_per_h": 0.0, "speed_kmh": 50,
         "co2_empty_kg_per_km": 0.5, "co2_full_kg_per_km": 1.0, "wtw_ttw_ratio": 1.2,
         "load_classes": "*"}


def matrix_scenario(tmp_path: Path, doc: dict, km: dict | None = None,
                    points: dict | None = None, file: str = "lanes.csv"):
    """Write the lanes (``km`` pairs in both directions, or Euclidean km between
    ``points``), point ``doc``'s distance at them and load it."""
    lines = ["from,to,distance_km"]
    if km is not None:
        for (a, b), d in km.items():
            lines += [f"{a},{b},{d}", f"{b},{a},{d}"]
    else:
        for a, (xa, ya) in points.items():
            for b, (xb, yb) in points.items():
                if a != b:
                    lines.append(f"{a},{b},{math.hypot(xa - xb, ya - yb)!r}")
    (tmp_path / file).write_text("\n".join(lines) + "\n")
    doc = {**doc, "distance": {"method": "matrix", "file": file}}
    sc = scenario_from_dict(doc, base_dir=tmp_path, path=tmp_path / "scenario.yaml")
    return sc, build_lanes(sc)


def hand_scenario(tmp_path, points, nodes, activities, commodities, demands, options=None,
                  **extra):
    """The hand-case document on Euclidean distances between ``points``; ``options`` are
    added to its options (e = 0.2: ρ = 0.25 under ``share``)."""
    doc = {"name": "hand", "interest_rate": 0.0, "lifetime_years": 10,
           "options": {"gap_rel": 0.0, "time_limit_s": None, "empty_share": 0.2,
                       **(options or {})},
           "tables": {"nodes": nodes, "activities": activities, "commodities": commodities,
                      "demands": demands, "vehicles": extra.pop("vehicles", [TRUCK]),
                      **extra.pop("tables", {})}}
    doc.update(extra)
    return matrix_scenario(tmp_path, doc, points=points)


def optimise(sc, lanes, switches=None):
    """Build, solve at gap 0 (asserting optimality), extract and evaluate."""
    model = build(sc, lanes, switches)
    report = solve(model, gap_rel=0.0, time_limit_s=None)
    assert report.status == "optimal"
    sol = extract(model)
    return report, sol, evaluate(sc, lanes, sol)


def growers_case(tmp_path, cap_s2: float, options: dict | None = None, **extra):
    """Auction X at (0,0); stay nodes 100 km away; site S1 10 km (cap 20 ha, opex 5,000/yr),
    site S2 20 km (cap_s2 ha, opex 2,000/yr). Three growers of 10 ha each send 10 t/week
    (one trip) to X; the empty truck returns (rule 'dedicated': a market-closed trip brings
    one empty return, as the balance's own empty leg does). Relocation 10,000 € one-off over
    10 years at 0 % = 1,000 €/yr. Per grower per year: stay 2 × 100 × 52 = 10,400; at S1
    2 × 10 × 52 = 1,040 + 1,000; at S2 2 × 20 × 52 = 2,080 + 1,000."""
    pts = {"x": (0, 0), "s1": (10, 0), "s2": (0, 20), "h1": (100, 0), "h2": (0, 100),
           "h3": (-100, 0)}
    nodes = [{"id": "x"}, {"id": "h1"}, {"id": "h2"}, {"id": "h3"},
             {"id": "s1", "kind": "site", "cap_ha": 20, "opex_eur_per_yr": 5000},
             {"id": "s2", "kind": "site", "cap_ha": cap_s2, "opex_eur_per_yr": 2000}]
    acts = [{"id": "auction", "node": "x"}] + [
        {"id": f"g{i}", "node": f"h{i}", "movable": True, "candidates": "s1;s2", "size_ha": 10,
         "reloc_cost_eur": 10000} for i in (1, 2, 3)]
    dem = [{"id": f"d{i}", "origin": f"g{i}", "destination": "auction", "commodity": "veg",
            "tonnes_per_period": 10} for i in (1, 2, 3)]
    return hand_scenario(tmp_path, pts, nodes, acts, [{"id": "veg", "load_class": "food"}],
                         dem, options={"empty_running": "dedicated", **(options or {})},
                         **extra)
