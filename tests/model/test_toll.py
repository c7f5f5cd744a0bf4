"""The truck toll (issue 24, item 3): a toll rate per km on tolled roads per vehicle type,
the lane's share of km on them (matrix column, else a default by distance band), its own cost
term recomputed by the checker, per firm and from the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from factories import TRUCK, optimise

from clusteropt import defaults
from clusteropt.allocation import firm_results
from clusteropt.check import check_solution
from clusteropt.errors import ScenarioError
from clusteropt.lanes import build_lanes, toll_share_default
from clusteropt.scenario import scenario_from_dict

CLI = Path(sys.executable).parent / "clusteropt"
TOLLED = {**TRUCK, "toll_rate_eur_per_km": 0.2}
# a → b 100 km with 50 % of its km tolled (given); a → c 30 km, share not given (default)
MATRIX = ("from,to,distance_km,toll_share\na,b,100,0.5\nb,a,100,\na,c,30,\nc,a,30,\n")


def _doc(vehicles=(TOLLED,)):
    return {"name": "toll", "interest_rate": 0.0, "lifetime_years": 10,
            "options": {"gap_rel": 0.0, "time_limit_s": None, "empty_share": 0.2},
            "distance": {"method": "matrix", "file": "lanes.csv"},
            "tables": {"nodes": [{"id": n} for n in "abc"],
                       "activities": [{"id": "mill", "node": "a"}, {"id": "fb", "node": "b"},
                                      {"id": "fc", "node": "c"}],
                       "commodities": [{"id": "feed", "load_class": "feed"}],
                       "demands": [{"id": "ab", "origin": "mill", "destination": "fb",
                                    "commodity": "feed", "tonnes_per_period": 10},
                                   {"id": "ac", "origin": "mill", "destination": "fc",
                                    "commodity": "feed", "tonnes_per_period": 10}],
                       "vehicles": list(vehicles)}}


def _case(tmp_path, matrix=MATRIX, **kw):
    (tmp_path / "lanes.csv").write_text(matrix)
    sc = scenario_from_dict(_doc(**kw), base_dir=tmp_path, path=tmp_path / "scenario.yaml")
    return sc, build_lanes(sc)


def test_default_share_by_distance_band():
    assert toll_share_default(5) == defaults.factor("toll_share_below_10km") == 0.2
    assert toll_share_default(10) == toll_share_default(49.9) == 0.6
    assert toll_share_default(50) == defaults.factor("toll_share_from_50km") == 0.85


def test_toll_hand_case_is_its_own_term_and_the_checker_recomputes_it(tmp_path):
    # One full 10 t trip a→b and one a→c per week, each market-closed with ρ = 0.2/0.8 = 0.25
    # empty trips of its own leg (cheaper than driving back: 0.25 × km < km).
    # Toll per trip: a→b 100 km × 0.5 (given) × 0.2 €/km = 10 €; a→c 30 × 0.6 (band 10–50 km)
    # × 0.2 = 3.6 €. Per week 1.25 × (10 + 3.6) = 17 €; transport 1.25 × (100 + 30) = 162.5 €.
    sc, lanes = _case(tmp_path)
    assert lanes.toll_share("a", "b") == 0.5 and lanes.toll_share("a", "c") == 0.6
    report, sol, res = optimise(sc, lanes)
    assert res.kpis["toll_cost_eur"] == pytest.approx(17 * 52)
    assert res.kpis["transport_cost_eur"] == pytest.approx(162.5 * 52)
    assert report.objective == pytest.approx(179.5 * 52)
    assert sol.terms["toll"] == pytest.approx(17 * 52)
    chk = check_solution(sc, lanes, sol)
    assert chk.passed, chk.violations
    assert chk.kpis["toll_cost_eur"] == pytest.approx(17 * 52)
    firms = firm_results(sc, lanes, sol).set_index("activity")
    assert firms.toll_cost_eur.sum() == pytest.approx(17 * 52)
    assert firms.loc["mill", "toll_cost_eur"] == pytest.approx(17 * 52)  # the shipper's
    sol.terms["toll"] += 50.0
    sol.objective_eur += 50.0
    bad = check_solution(sc, lanes, sol)
    assert {v.rule for v in bad.violations} == {"objective", "term"}


def test_flat_toll_per_km_keeps_its_meaning(tmp_path):
    # toll_eur_per_km (every km) = 0.1 and no rate: 1.25 × 130 km × 0.1 = 16.25 €/wk, the
    # objective as before the toll term existed (it only moved from transport to toll).
    sc, lanes = _case(tmp_path, vehicles=({**TRUCK, "toll_eur_per_km": 0.1},))
    report, _, res = optimise(sc, lanes)
    assert res.kpis["toll_cost_eur"] == pytest.approx(16.25 * 52)
    assert report.objective == pytest.approx((162.5 + 16.25) * 52)


def test_a_share_outside_0_1_is_located(tmp_path):
    with pytest.raises(ScenarioError) as err:
        _case(tmp_path, matrix="from,to,distance_km,toll_share\na,b,100,1.5\nb,a,100,\n"
                               "a,c,30,\nc,a,30,\n")
    (issue,) = err.value.issues
    assert issue.column == "toll_share" and issue.row == 2 and "between 0 and 1" in issue.message


def test_toll_from_the_cli(tmp_path):
    (tmp_path / "lanes.csv").write_text(MATRIX)
    (tmp_path / "scenario.yaml").write_text(yaml.safe_dump(_doc()))
    res = subprocess.run([str(CLI), "run", str(tmp_path / "scenario.yaml"), "--out",
                          str(tmp_path / "out"), "--no-baseline", "--quiet"],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["kpis"]["toll_cost_eur"] == pytest.approx(17 * 52)
    assert summary["check"]["passed"] is True
    assert summary["check"]["kpis"]["toll_cost_eur"] == pytest.approx(17 * 52)
