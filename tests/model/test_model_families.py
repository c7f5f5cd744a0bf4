"""Every constraint family of shared/design/model.md exists in the built model under its name,
with the number of rows worked out by hand for a small instance that uses them all.

The instance (one period; matrix distances, Euclidean km of the points below):

    farm (0,0)   mill (40,0)   site1 (10,10) site, cap 20 ha   site2 (20,-10) site, cap 20 ha
    hub1 (30,5) hub            port (60,0) gateway             yard (40,30) site (pooled acceptor)

* grower G: movable, today at farm, candidates site1, site2 (5 ha, uses the shared wtp);
  grower H: movable, today at mill, candidate site1 (5 ha, uses the wtp);
* buyer B at mill, exporter X at port, supplier S at mill;
* demands: G → B veg 10 t (3 shipments a week), H → X veg 8 t, S → G feed 6 t, H → pooled
  green waste 4 t (acceptors: the yard site, no disposal), G ← pooled compost 2 t
  (suppliers: the yard, with a shortage cost);
* trucks: 'truck' (trip, all classes, volume and pallets), 'van' (trip, food only), 'carrier'
  (tariff, food, hub legs only);
* site rules max_open 2, exact_open omitted here (a second build checks it), budget;
  hubs: max_open 1, exact_open 1; facility 'wtp' at site1 and site2.
"""

from __future__ import annotations

import math

import pytest

from clusteropt.lanes import build_lanes
from clusteropt.model import build
from clusteropt.scenario import scenario_from_dict

POINTS = {"farm": (0, 0), "mill": (40, 0), "site1": (10, 10), "site2": (20, -10),
          "hub1": (30, 5), "port": (60, 0), "yard": (40, 30)}


def _scenario(tmp_path, **extra):
    lines = ["from,to,distance_km"]
    for a, (xa, ya) in POINTS.items():
        for b, (xb, yb) in POINTS.items():
            if a != b:
                lines.append(f"{a},{b},{math.hypot(xa - xb, ya - yb)!r}")
    (tmp_path / "lanes.csv").write_text("\n".join(lines) + "\n")
    doc = {
        "name": "families", "interest_rate": 0.0, "lifetime_years": 10,
        "distance": {"method": "matrix", "file": "lanes.csv"},
        "site_rules": {"max_open": 2, "budget_eur_per_yr": 1e6},
        "hubs": {"max_open": 1, "exact_open": 1},
        "options": {"empty_k_nearest": 1},
        "tables": {
            "nodes": [{"id": "farm"}, {"id": "mill"},
                      {"id": "site1", "kind": "site", "cap_ha": 20, "dev_cost_eur": 1000},
                      {"id": "site2", "kind": "site", "cap_ha": 20},
                      {"id": "hub1", "kind": "hub", "handling_eur_per_t": 1.0},
                      {"id": "port", "kind": "gateway"},
                      {"id": "yard", "kind": "site", "accept_waste": 10, "supply_compost": 5}],
            "activities": [
                {"id": "G", "node": "farm", "movable": True, "candidates": "site1;site2",
                 "size_ha": 5, "use_wtp": 1, "own_wtp_eur_per_yr": 500},
                {"id": "H", "node": "mill", "movable": True, "candidates": "site1",
                 "size_ha": 5, "use_wtp": 1, "own_wtp_eur_per_yr": 500},
                {"id": "B", "node": "mill"}, {"id": "X", "node": "port"},
                {"id": "S", "node": "mill"}],
            "commodities": [
                {"id": "veg", "load_class": "food", "density_t_per_m3": 0.5,
                 "pallets_per_t": 2},
                {"id": "feed", "load_class": "feed"},
                {"id": "waste", "load_class": "bulk"},
                {"id": "compost", "load_class": "bulk", "shortage_cost_eur_per_t": 50}],
            "demands": [
                {"id": "gb", "origin": "G", "destination": "B", "commodity": "veg",
                 "tonnes_per_period": 10, "shipments_per_period": 3},
                {"id": "hx", "origin": "H", "destination": "X", "commodity": "veg",
                 "tonnes_per_period": 8},
                {"id": "sg", "origin": "S", "destination": "G", "commodity": "feed",
                 "tonnes_per_period": 6},
                {"id": "hw", "kind": "pooled_supply", "origin": "H", "commodity": "waste",
                 "tonnes_per_period": 4},
                {"id": "gc", "kind": "pooled_demand", "destination": "G",
                 "commodity": "compost", "tonnes_per_period": 2}],
            "vehicles": [
                {"id": "truck", "payload_t": 20, "volume_m3": 60, "pallets": 30,
                 "cost_eur_per_km": 1.0},
                {"id": "van", "payload_t": 5, "cost_eur_per_km": 0.6,
                 "load_classes": "food"},
                {"id": "carrier", "pricing": "tariff", "tariff_eur_per_tkm": 0.1,
                 "load_classes": "food", "legs": "hub"}],
            "facilities": [{"id": "wtp", "sites": "site1;site2", "capacity": 5,
                            "cost_eur": 100}],
        }}
    doc.update(extra)
    sc = scenario_from_dict(doc, base_dir=tmp_path, path=tmp_path / "scenario.yaml")
    return sc, build_lanes(sc)


def test_every_family_by_name_with_its_rows(tmp_path):
    sc, lanes = _scenario(tmp_path)
    m = build(sc, lanes)
    got = {f: len(r) for f, r in m.rows.items()}
    want = {
        # §5: one row each, site rules over the sites in play (site1, site2, yard)
        "site_count_max": 1, "budget": 1, "hub_count_max": 1, "hub_count_exact": 1,
        # one node per movable activity with a choice: G (farm, site1, site2), H (mill, site1)
        "one_node": 2,
        # place ≤ open for each (activity, site) pair: G-site1, G-site2, H-site1
        "site_link": 3,
        # size_ha at every candidate node with a capacity: site1, site2
        "capacity": 2,
        # wtp: connect ≤ at and connect ≤ shared for G at site1, site2 and H at site1; one
        # capacity row per site
        "facility_connect": 3, "facility_link": 3, "facility_capacity": 2,
        # each pair has two paths (direct, via hub1), so every demand has shares: gb: G has
        # 3 nodes, B one: 3 origin rows; sg: 3 destination rows; hx: H's 2 origin rows
        "route_link": 8,
        # the pooled fixed ends: hw at H's 2 nodes, gc at G's 3 nodes
        "pooled_link": 5,
        # a pooled partner that is a site (the yard): z ≤ open[yard] per route; hw: H's 2
        # nodes × 2 paths (direct, via hub1); gc: G's 3 nodes × 2 paths
        "strong_link": 10,
        # Σ shares via hub1 ≤ open[hub1], per demand: gb, hx, sg, hw, gc
        "hub_link": 5,
    }
    for family, n in want.items():
        assert got.get(family) == n, (family, got.get(family), n)
    # the families whose count depends on the legs of the routes: present and positive
    for family in ("partner_capacity", "mode_split", "trip_mass", "trip_volume",
                   "trip_pallets", "market_link", "frequency_use", "frequency", "balance"):
        assert got.get(family, 0) > 0, family
    # partner capacity: the yard's intake of waste and output of compost, one period
    assert got["partner_capacity"] == 2
    # frequency: gb's direct legs from each of G's 3 nodes to the mill, once a share (u) and
    # once the trips (3 shipments a week)
    assert got["frequency_use"] == 3 and got["frequency"] == 3
    # every row belongs to one family, and the counts add up to the model's size
    assert sum(got.values()) == m.size["constraints"]
    assert all(len(m.rows[f]) == len(m.row_keys[f]) for f in m.rows)
    rows = sorted(r for f in m.rows.values() for r in f)
    assert rows == list(range(m.size["constraints"]))


def test_exact_open_and_the_arc_form(tmp_path):
    sc, lanes = _scenario(tmp_path, site_rules={"exact_open": 1},
                          hubs={"exact_open": 1, "form": "arc"})
    # the arc form takes directed demands with both ends fixed: none above; fix G and H
    sc.fix.placement.update({"G": "site1", "H": "site1"})
    sc.demands["gb"].shipments_per_period = None
    m = build(sc, lanes)
    got = {f: len(r) for f, r in m.rows.items()}
    assert got["site_count_exact"] == 1 and "site_count_max" not in got
    # in the arc form: gb (site1 → mill) and hx (site1 → port) from origin site1 (veg), and
    # sg (mill → site1, feed): 2 groups, 1 origin row and 1 conservation row (at hub1) each,
    # 2 + 1 destination rows; hub1 is a variable: col and dist to mill and port linked to
    # open[hub1] for site1's group (3), col and dist to site1 for mill's (2)
    assert got["arc_origin"] == 2 and got["arc_conservation"] == 2
    assert got["arc_destination"] == 3 and got["arc_hub_link"] == 5
    assert "site_opened" in got  # G and H fixed at site1 open it


def test_row_names_on_request(tmp_path):
    sc, lanes = _scenario(tmp_path)
    m = build(sc, lanes, row_names=True)
    names = [c.name for c in m.prob.constraints()]
    assert names[m.rows["capacity"][0]].startswith("capacity")
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("family", ["site_link", "strong_link", "trip_mass", "balance"])
def test_families_reach_the_solver_in_row_order(tmp_path, family):
    """BuiltModel.rows holds the solver's row numbers: the HiGHS matrix row of a family's
    first row has that family's variables."""
    from clusteropt.highs import FastHiGHS

    sc, lanes = _scenario(tmp_path)
    m = build(sc, lanes, row_names=True)
    s = FastHiGHS(msg=False)
    m.prob.solve(s)
    lp = m.prob.solverModel.getLp()
    r = m.rows[family][0]
    c = m.prob.constraints()[r]
    assert c.name.startswith(family)
    a = lp.a_matrix_
    assert lp.num_row_ == m.size["constraints"]
    # the number of entries in HiGHS's row r equals the PuLP constraint's
    import numpy as np
    import scipy.sparse as sp

    M = sp.csc_matrix((np.asarray(a.value_), np.asarray(a.index_), np.asarray(a.start_)),
                      shape=(lp.num_row_, lp.num_col_)).tocsr()
    assert M[r].nnz == len(c.items())
