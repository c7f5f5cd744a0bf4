"""Core II by hand: pooled residual flows, a hub that pays off above a volume, shipment
frequency, and a shared facility — each optimum equals the arithmetic in the comments and
passes the independent checker. Distances: explicit matrix from planar points (km)."""

from __future__ import annotations

import pytest
from factories import growers_case, hand_scenario

from clusteropt.run import run_scenario

TARIFF = {"id": "bulk-carrier", "mode": "road", "pricing": "tariff",
          "tariff_eur_per_tkm": 0.1, "co2_ttw_kg_per_tkm": 0.08, "load_classes": "*"}


def solved(sc, lanes):
    out = run_scenario(sc, lanes, gap_rel=0.0, baseline=False)
    assert out.report.status == "optimal"
    assert out.check.passed, out.check.violations
    return out


def _manure(tmp_path, **extra):
    # Processors P1 (0,0) and P2 (100,0), 20 t/week intake each, 5,000 €/yr fixed cost each.
    # Farms A (10,0), B (20,0), C (90,0) offer 10 t/week of manure each; disposal 50 €/t.
    pts = {"p1": (0, 0), "p2": (100, 0), "a": (10, 0), "b": (20, 0), "c": (90, 0)}
    nodes = [{"id": "a"}, {"id": "b"}, {"id": "c"}] + [
        {"id": p, "kind": "site", "accept_manure": 20, "fixed_cost_eur_per_yr": 5000}
        for p in ("p1", "p2")]
    acts = [{"id": f"farm-{n}", "node": n} for n in "abc"]
    dem = [{"id": f"m-{n}", "kind": "pooled_supply", "origin": f"farm-{n}",
            "commodity": "manure", "tonnes_per_period": 10} for n in "abc"]
    com = [{"id": "manure", "load_class": "manure", "disposal_cost_eur_per_t": 50}]
    return hand_scenario(tmp_path, pts, nodes, acts, com, dem, vehicles=[TARIFF], **extra)


def test_manure_to_two_candidate_processors(tmp_path):
    # Both open: A, B → P1 (10 + 20 km) and C → P2 (10 km): 0.1 × 10 t × 40 km = 40 €/week
    # → 2,080 + 10,000 fixed = 12,080.
    out = solved(*_manure(tmp_path))
    assert out.report.objective == pytest.approx(12_080)
    assert out.solution.open_sites == {"p1": 1, "p2": 1}
    assert out.results.kpis["disposal_t"] == 0


def test_manure_with_one_processor_disposes_the_rest(tmp_path):
    # Only one processor: P1 takes A and B (30 €/week = 1,560), C is disposed
    # (10 t × 50 € × 52 = 26,000), + 5,000 fixed = 32,560 (P2 with B, C: 4,680 + 26,000 + 5,000).
    out = solved(*_manure(tmp_path, site_rules={"max_open": 1}))
    assert out.report.objective == pytest.approx(32_560)
    assert out.results.kpis["disposal_t"] == pytest.approx(520)
    assert out.results.kpis["disposal_cost_eur"] == pytest.approx(26_000)


def _hub(tmp_path, tonnes):
    # Origin O (0,0), hub H (10,0), destination D (110,0). Tariff 0.1 €/tkm: direct 11 €/t;
    # via H: 1 (collection) + 0.5 × 10 (transfer factor α = 0.5 on 100 km) + 1 handling = 7.
    # The hub costs 200 €/week (10,400 €/yr): it pays off above 50 t/week.
    pts = {"o": (0, 0), "h": (10, 0), "d": (110, 0)}
    nodes = [{"id": "o"}, {"id": "d"},
             {"id": "h", "kind": "hub", "fixed_cost_eur_per_yr": 10_400,
              "handling_eur_per_t": 1.0}]
    acts = [{"id": "shipper", "node": "o"}, {"id": "customer", "node": "d"}]
    dem = [{"id": "q", "origin": "shipper", "destination": "customer", "commodity": "goods",
            "tonnes_per_period": tonnes}]
    # a route through one hub is collection + distribution; the factor goes on the hub → D
    # leg, so the discount is given as the distribution factor
    return hand_scenario(tmp_path, pts, nodes, acts, [{"id": "goods", "load_class": "bulk"}], dem,
                vehicles=[TARIFF], hubs={"distribution_factor": 0.5})


@pytest.mark.parametrize("tonnes, expected, via_hub", [
    (30, 30 * 11 * 52, False),             # 17,160: direct
    (100, 100 * 7 * 52 + 10_400, True),    # 46,800 < 57,200 direct
])
def test_hub_pays_off_only_above_a_volume(tmp_path, tonnes, expected, via_hub):
    out = solved(*_hub(tmp_path, tonnes))
    assert out.report.objective == pytest.approx(expected)
    assert (out.results.kpis["hub_throughput_t"] > 0) == via_hub
    assert out.solution.open_sites.get("h", 0) == int(via_hub)


def test_daily_shipments_need_more_trips_than_tonnage(tmp_path):
    # 10 t/week shipped 5 times a week, 10 t truck, 50 km: 5 trips (not 1), each closed by the
    # market with ρ = 0.25 empty trips (e = 0.2; cheaper than an own empty return):
    # 5 × 1.25 × 50 km × 1 €/km = 312.5 €/week → 16,250 €/yr.
    pts = {"farm": (0, 0), "dairy": (50, 0)}
    sc, lanes = hand_scenario(
        tmp_path, pts, [{"id": "farm"}, {"id": "dairy"}],
        [{"id": "f", "node": "farm"}, {"id": "g", "node": "dairy"}],
        [{"id": "milk", "load_class": "food", "shipments_per_period": 5}],
        [{"id": "q", "origin": "f", "destination": "g", "commodity": "milk",
          "tonnes_per_period": 10}])
    out = solved(sc, lanes)
    assert out.report.objective == pytest.approx(16_250)
    assert out.results.kpis["vehicle_trips"] == pytest.approx(5 * 52)


@pytest.mark.parametrize("own, expected, shared", [
    (70_000, 120_000, True),   # shared: 1,000,000 € / 10 yr + 20,000 opex < 2 × 70,000
    (50_000, 100_000, False),  # each its own: 2 × 50,000 < 120,000
])
def test_two_firms_share_a_water_treatment_plant(tmp_path, own, expected, shared):
    sc, lanes = hand_scenario(
        tmp_path, {"park": (0, 0), "x": (5, 0)}, [{"id": "park"}, {"id": "x"}],
        [{"id": f"firm{i}", "node": "park", "use_wtp": 40, "own_wtp_eur_per_yr": own}
         for i in (1, 2)],
        [{"id": "pulp", "load_class": "bulk"}],
        [{"id": "q", "origin": "firm1", "destination": "firm2", "commodity": "pulp",
          "tonnes_per_period": 1}],
        tables={"facilities": [{"id": "wtp", "name": "water treatment", "sites": "park",
                                "capacity": 100, "cost_eur": 1_000_000,
                                "opex_eur_per_yr": 20_000}]})
    out = run_scenario(sc, lanes, gap_rel=0.0, baseline=False)
    assert out.report.objective == pytest.approx(expected)
    assert (len(out.solution.facilities) == 1) == shared
    assert out.results.kpis["facilities_cost_eur"] == pytest.approx(expected)


def test_infeasible_site_too_small_is_explained(tmp_path):
    # Three growers of 10 ha must leave (new activities with no stay node) but S2 holds only
    # 20 ha and S1 is closed by max_open = 1 ... S1 20 ha, S2 20 ha, max one site: 10 ha short.
    from clusteropt.run import InfeasibleError

    sc, lanes = growers_case(tmp_path, 20, site_rules={"max_open": 1})
    for g in ("g1", "g2", "g3"):
        a = sc.activities[g]
        a.new = True
        a.candidates = ["s1", "s2"]
    with pytest.raises(InfeasibleError) as exc:
        run_scenario(sc, lanes, gap_rel=0.0, baseline=False)
    reasons = exc.value.reasons
    assert len(reasons) == 1
    assert "needs more capacity 'ha': by 10 ha" in reasons[0]
    assert reasons[0].endswith("(rule capacity)")  # named by its constraint family


def test_no_processor_in_reach_is_explained(tmp_path):
    # The manure case without a disposal outlet and with a 1 h transit limit at 60 km/h: farm C
    # (10 km from P2) is fine, but only P1 may open, so C's 10 t/week has nowhere to go.
    sc, lanes = _manure(tmp_path, site_rules={"max_open": 1})
    sc.commodities["manure"].disposal_cost_eur_per_t = None
    sc.commodities["manure"].max_transit_h = 1.0
    from clusteropt.run import InfeasibleError

    with pytest.raises(InfeasibleError) as exc:
        run_scenario(sc, lanes, gap_rel=0.0, baseline=False)
    text = "\n".join(exc.value.reasons)
    assert "has no an acceptor" not in text
    assert "'m-" in text and "by 10 t/period" in text


def test_k_nearest_sites_prunes_and_reports(tmp_path):
    # Three growers, two candidate sites each; keeping only the nearest site per grower
    # (S1 at 10 km from X is nearer to h1, S2 to h2/h3 … by distance from the stay node).
    from clusteropt.model import build

    sc, lanes = growers_case(tmp_path, 30, site_rules={"k_nearest": 1})
    model = build(sc, lanes)
    assert model.pruned_sites == 3
    for g, stay in (("g1", "h1"), ("g2", "h2"), ("g3", "h3")):
        kept = sorted(n for (f, n) in model.place if f == g)
        nearest = min(("s1", "s2"), key=lambda s: lanes.distance(stay, s))
        assert kept == sorted([stay, nearest])


def test_no_solution_at_the_time_limit_says_so(tmp_path, monkeypatch):
    """A solve that stops at its time limit with no solution is reported as that, with the
    limit and what to do, not as a solver error."""
    import clusteropt.run as run_mod
    from clusteropt.run import InfeasibleError
    from clusteropt.solve import SolveReport, StopReason

    def out_of_time(model, time_limit_s=None, **_kw):
        return SolveReport(status="error", solver_status="TimeLimit", objective=None,
                           best_bound=None, gap=None, build_s=0.0, solve_s=time_limit_s,
                           time_limit_s=time_limit_s, reason=StopReason.TIME_LIMIT,
                           **model.size)

    monkeypatch.setattr(run_mod, "solve", out_of_time)
    sc, lanes = growers_case(tmp_path, 20)
    with pytest.raises(InfeasibleError) as exc:
        run_scenario(sc, lanes, time_limit_s=7.0, baseline=False)
    assert "no solution within the time limit of" in str(exc.value)
    assert "longer --time-limit" in str(exc.value)
