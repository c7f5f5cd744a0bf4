"""One accounting for today and every option (model.md §4 market closure, §8), worked by hand.

* the market closure: where a scenario's own backhaul, an empty repositioning leg or the
  market closes a truck's trip, each priced in the comments;
* the vehicles behind a tariff: groupage truck-km = tonne-km / its mean load per vehicle-km;
* door-to-door lead time: driving + loading/unloading + hub handling + a carrier's transit;
* one sign: the saving printed, in summary.json and in compare.csv is the same number.

Distances from explicit matrices (tests/factories.py ``hand_scenario``: Euclidean km of made-up
points); a 10 t truck at 1 €/km, 50 km/h, no hourly cost; e = 0.2 so ρ = e/(1−e) = 0.25.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest
from factories import ROOT, TRUCK, hand_scenario, optimise

from clusteropt.check import check_solution
from clusteropt.results import flow_lead_times, lead_time_h
from clusteropt.run import run_scenario

CLI = Path(sys.executable).parent / "clusteropt"


def _nodes(*ids, **kinds):
    return [{"id": n, **({"kind": kinds[n]} if n in kinds else {})} for n in ids]


def test_an_empty_repositioning_leg_beats_the_market(tmp_path):
    # Mill A (0,0) ships 10 t to farm B (100,0); farm C (100,5), 5 km from B, ships 10 t to A.
    # Market closure of both trips: 0.25 × (100 + 100.125) = 50.03 €/wk. The truck that
    # arrives at B instead drives 5 km empty to C and takes C's load home: 5 €/wk. Loaded km
    # 100 + 100.125 either way: (200.125 + 5) × 52 = 10,666.5 €/yr.
    sc, lanes = hand_scenario(tmp_path, {"a": (0, 0), "b": (100, 0), "c": (100, 5)},
                     _nodes("a", "b", "c"),
                     [{"id": "mill", "node": "a"}, {"id": "fb", "node": "b"},
                      {"id": "fc", "node": "c"}],
                     [{"id": "feed", "load_class": "feed"}],
                     [{"id": "ab", "origin": "mill", "destination": "fb", "commodity": "feed",
                       "tonnes_per_period": 10},
                      {"id": "ca", "origin": "fc", "destination": "mill", "commodity": "feed",
                       "tonnes_per_period": 10}])
    report, sol, res = optimise(sc, lanes)
    ca = (100**2 + 5**2) ** 0.5
    assert report.objective == pytest.approx((100 + ca + 5) * 52)
    assert sol.trips.market_trips.sum() == pytest.approx(0.0, abs=1e-9)
    assert sol.empties.trips.sum() == pytest.approx(1.0)
    assert res.kpis["truck_km_empty"] == pytest.approx(5 * 52)
    assert check_solution(sc, lanes, sol).passed


def test_the_market_beats_an_empty_return(tmp_path):
    # One-way: 10 t A → B, 100 km. The own truck would return empty (100 €/wk); the market
    # closes the trip for ρ = 0.25 empty trips (25 €/wk): (100 + 25) × 52 = 6,500 €/yr.
    # Under 'dedicated' (ρ = 1) the market costs what the empty return does: 200 × 52.
    for rule, week in (("share", 125.0), ("dedicated", 200.0)):
        sub = tmp_path / rule
        sub.mkdir()
        sc, lanes = hand_scenario(sub, {"a": (0, 0), "b": (100, 0)}, _nodes("a", "b"),
                         [{"id": "mill", "node": "a"}, {"id": "farm", "node": "b"}],
                         [{"id": "feed", "load_class": "feed"}],
                         [{"id": "ab", "origin": "mill", "destination": "farm",
                           "commodity": "feed", "tonnes_per_period": 10}],
                         options={"empty_running": rule})
        report, sol, res = optimise(sc, lanes)
        assert report.objective == pytest.approx(week * 52), rule
        assert res.kpis["truck_km_empty"] == pytest.approx((week - 100) * 52), rule
        assert res.kpis["empty_share"] == pytest.approx((week - 100) / week), rule
        assert check_solution(sc, lanes, sol).passed


GROUPAGE = {"id": "groupage", "mode": "road", "pricing": "tariff", "tariff_eur_per_tkm": 0.25,
            "tariff_eur_per_t": 15.0, "co2_ttw_kg_per_tkm": 0.0784, "wtw_ttw_ratio": 1.243,
            "load_t_per_vkm": 12.0, "empty_share": 0.273, "speed_kmh": 50,
            "handling_h_per_trip": 1.0, "transit_h": 12.0, "load_classes": "plants"}


def test_groupage_reports_the_trucks_behind_its_tariff(tmp_path):
    # 24 t/wk of pot plants by groupage over 100 km: 2,400 tkm/wk. At 12 t per vehicle-km
    # (empties included) that is 200 truck-km/wk, 27.3 % of them empty (54.6 km) and
    # 145.4 loaded km = 1.454 loaded trips of 100 km. Cost 24 × (0.25 × 100 + 15) = 960 €/wk.
    sc, lanes = hand_scenario(tmp_path, {"a": (0, 0), "b": (100, 0)}, _nodes("a", "b"),
                     [{"id": "grower", "node": "a"}, {"id": "shop", "node": "b"}],
                     [{"id": "pots", "load_class": "plants"}],
                     [{"id": "d", "origin": "grower", "destination": "shop", "commodity": "pots",
                       "tonnes_per_period": 24}], vehicles=[GROUPAGE])
    report, sol, res = optimise(sc, lanes)
    k = res.kpis
    assert report.objective == pytest.approx(960 * 52)
    assert k["tonne_km"] == pytest.approx(2_400 * 52)
    assert k["truck_km"] == pytest.approx(k["tonne_km"] / 12.0)
    assert k["truck_km"] == pytest.approx(200 * 52)
    assert k["truck_km_empty"] == pytest.approx(54.6 * 52)
    assert k["vehicle_trips"] == pytest.approx(1.454 * 52)
    chk = check_solution(sc, lanes, sol)
    assert chk.passed, chk.violations
    for key in ("truck_km", "truck_km_loaded", "truck_km_empty", "vehicle_trips"):
        assert chk.kpis[key] == pytest.approx(k[key]), key


def test_lead_time_through_a_hub_and_by_a_carrier(tmp_path):
    # Grower A (0,0) → hub H (30,40), 50 km → buyer B (130,40), 100 km; direct routes are not
    # allowed, one hub opens. Truck 50 km/h, 1 h loading + unloading per trip; the hub takes
    # 2 h: (50/50 + 1) + 2 + (100/50 + 1) = 7 h door to door.
    # A second grower C (130,190) sends pot plants to B by groupage (its only carrier), also
    # through the hub: C → H √(100² + 150²) = 180.28 km at 50 km/h + 1 h handling + 12 h
    # overnight cross-dock, 2 h in the hub, H → B 100 km: 2 h + 1 h + 12 h = 33.61 h.
    truck = {**TRUCK, "handling_h_per_trip": 1.0, "load_classes": "food"}
    pts = {"a": (0, 0), "h": (30, 40), "b": (130, 40), "c": (130, 190)}
    sc, lanes = hand_scenario(tmp_path, pts,
                     [{"id": "a"}, {"id": "b"}, {"id": "c"},
                      {"id": "h", "kind": "hub", "handling_h": 2.0}],
                     [{"id": "grower", "node": "a"}, {"id": "buyer", "node": "b"},
                      {"id": "potter", "node": "c"}],
                     [{"id": "veg", "load_class": "food"},
                      {"id": "pots", "load_class": "plants"}],
                     [{"id": "d", "origin": "grower", "destination": "buyer", "commodity": "veg",
                       "tonnes_per_period": 10},
                      {"id": "p", "origin": "potter", "destination": "buyer",
                       "commodity": "pots", "tonnes_per_period": 6}],
                     vehicles=[truck, GROUPAGE], hubs={"direct": False, "exact_open": 1})
    _, sol, res = optimise(sc, lanes)
    lead = flow_lead_times(sc, lanes, sol).set_index("demand").lead_time_h
    assert lead["d"] == pytest.approx(7.0)
    ch = (100**2 + 150**2) ** 0.5
    p_lead = (ch / 50 + 1 + 12) + 2 + (100 / 50 + 1 + 12)
    assert lead["p"] == pytest.approx(p_lead)
    # into the buyer, tonne-weighted: (10 × 7 + 6 × 33.61) / 16
    assert lead_time_h(sc, lanes, sol, "buyer") == pytest.approx((70 + 6 * p_lead) / 16)
    assert res.kpis["mean_lead_time_h"] == pytest.approx((70 + 6 * p_lead) / 16)


def test_one_saving_in_the_json_the_csv_and_the_printed_table(tmp_path):
    """`run --format json` (summary), `compare --out` (compare.csv, compare.json) and the
    printed compare table show the same saving with the same sign: today − the option."""
    import subprocess

    scen = ROOT / "scenarios" / "westland-mini.yaml"
    env = {"COLUMNS": "250", "NO_COLOR": "1", "PATH": str(CLI.parent)}
    run = subprocess.run([str(CLI), "run", str(scen), "--format", "json", "--gap", "0"],
                         capture_output=True, text=True, check=True, env=env)
    summary = json.loads(run.stdout)
    today = summary["baseline"]["total_cost_eur"]
    option = summary["kpis"]["total_cost_eur"]
    saving = summary["savings"]["saving"]["total"]["cost_eur"]
    assert saving == pytest.approx(today - option)
    assert saving > 0  # the optimum is cheaper than today (model.md §8: B3 ≤ B0 here)
    out = tmp_path / "cmp"
    cmp = subprocess.run([str(CLI), "compare", str(scen), "--variant", "base", "--gap", "0",
                          "--lead-time-to", "auction", "--out", str(out)],
                         capture_output=True, text=True, env=env)
    assert cmp.returncode == 0, cmp.stderr
    row = pd.read_csv(out / "compare.csv").iloc[0]
    assert row["saving_total_cost_eur"] == pytest.approx(saving, rel=1e-9)
    doc = json.loads((out / "compare.json").read_text())
    assert doc["runs"][0]["saving_total_cost_eur"] == pytest.approx(saving, rel=1e-9)
    assert doc["units"]["saving_total_cost_eur"].startswith("EUR/yr")
    assert "positive = less" in doc["units"]["saving_total_cost_eur"]
    printed = f"{saving:,.0f}"
    line = next(ln for ln in cmp.stdout.splitlines() if "base" in ln)
    assert printed in line and f"-{printed}" not in line
    # the lead time into the auction, now and today, in compare.csv and report.html
    assert row["lead_time_h_auction"] > 0 and row["baseline_lead_time_h_auction"] > 0
    page = next(out.glob("*/report.html")).read_text()
    assert f"into auction {row['lead_time_h_auction']:.2f} h" in page
    # summary.json in the compare folder, with units of every KPI
    sub = json.loads(next(out.glob("*/summary.json")).read_text())
    assert sub["savings"]["saving"]["total"]["cost_eur"] == pytest.approx(saving, rel=1e-9)
    assert set(sub["kpis"]) <= set(sub["units"])
    assert "WTW" in sub["units"]["co2_wtw_t"] and "TTW" in sub["units"]["co2_ttw_t"]


def test_growth_is_flagged_and_compared_per_tonne(tmp_path):
    """A variant that asks for other tonnes than today (westland-mini 'growth': the pepper
    grower grows by 50 %) is flagged as not comparable with today in absolute terms; every row
    has its per-tonne figures, and the per-tonne saving is its B0's €/t minus its own."""
    import subprocess

    scen = ROOT / "scenarios" / "westland-mini.yaml"
    env = {"COLUMNS": "250", "NO_COLOR": "1", "PATH": str(CLI.parent)}
    res = subprocess.run([str(CLI), "compare", str(scen), "--variant", "base", "--variant",
                          "growth", "--gap", "0", "--format", "csv"], capture_output=True,
                         text=True, env=env)
    assert res.returncode == 0, res.stderr
    from io import StringIO

    rows = pd.read_csv(StringIO(res.stdout)).set_index("variant")
    assert bool(rows.loc["base", "comparable_with_today"]) is True
    assert bool(rows.loc["growth", "comparable_with_today"]) is False
    assert rows.loc["growth", "demanded_tonnes"] > rows.loc["growth", "today_demanded_tonnes"]
    for v in ("base", "growth"):
        r = rows.loc[v]  # per tonne demanded (westland-mini has no new activity)
        assert r["cost_eur_per_t"] == pytest.approx(r["total_cost_eur"] / r["demanded_tonnes"])
        per0 = r["baseline_total_cost_eur"] / r["demanded_tonnes"]
        assert r["saving_total_cost_eur_per_t"] == pytest.approx(per0 - r["cost_eur_per_t"])
    # the printed table marks it
    shown = subprocess.run([str(CLI), "compare", str(scen), "--variant", "growth", "--gap",
                            "0"], capture_output=True, text=True, env=env)
    assert "growth ¹" in shown.stdout and "other tonnes than today" in shown.stdout


def test_new_activities_make_the_savings_per_tonne(tmp_path):
    """With new activities (left out of B0) the optimum carries more tonnes than B0: the
    Savings object says so and gives the per-tonne saving."""
    from clusteropt.scenario import load_scenario

    sc = load_scenario(ROOT / "scenarios" / "westland-mini.yaml", None)
    g = sc.activities["grower-pepper"]
    g.new = True  # pretend the pepper grower does not exist today
    out = run_scenario(sc, gap_rel=0.0)
    sav = out.savings
    assert sav.steps["B3"]["tonnes"] > sav.steps["B0"]["tonnes"]
    assert sav.option_tonnes > sav.today_tonnes
    assert sav.comparable is False
    per0 = sav.steps["B0"]["total_cost_eur"] / sav.today_tonnes
    per3 = sav.steps["B3"]["total_cost_eur"] / sav.option_tonnes
    assert sav.saving_per_t["cost_eur_per_t"] == pytest.approx(per0 - per3)


FAST = ["westland-mini", "kuijpers-kip", "europark-coevorden", "verkassen-agriport-a7"]
# about 30 s, 55 s and 70 s at gap 0 on 2 cores (the Verkassen base solve has its own fast test)
SLOW = ["verkassen", "zuid-groningen", "a1-eiwitcorridor"]


@pytest.mark.parametrize("name", FAST + [pytest.param(n, marks=pytest.mark.slow) for n in SLOW])
def test_every_case_at_gap_0_orders_its_steps(name):
    """model.md §8 under one empty-running rule, at gap 0: B2 ≤ B1 (the unbundled trips are a
    point of the bundled model), B3 ≤ B2 (B2 is a point of B3: direct routes allowed, B2's
    empty legs taken from B3's), and B3 ≤ B0 (no activity of the base is new, so today's
    placement, routes and vehicles are a point of B3)."""
    from clusteropt.scenario import load_scenario

    sc = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    assert not any(a.new for a in sc.activities.values())
    out = run_scenario(sc, gap_rel=0.0, time_limit_s=600)
    assert out.report.status == "optimal"
    assert set(out.savings.statuses.values()) <= {"optimal", "optimum"}
    c = {k: v["total_cost_eur"] for k, v in out.savings.steps.items()}
    tol = 1e-7 * c["B0"]
    assert c["B2"] <= c["B1"] + tol, c
    assert c["B3"] <= c["B2"] + tol, c
    assert c["B3"] <= c["B0"] + tol, c
    for eff in ("bundling", "hub_modal", "total"):
        assert out.savings.saving[eff]["cost_eur"] >= -tol, (eff, out.savings.saving[eff])
    assert out.check.passed, out.check.violations
