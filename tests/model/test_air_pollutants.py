"""NOx and PM10 (issue 24, item 2): per vehicle type empty/full per km (or per tkm), reported
like CO2 (KPIs, per firm, summary.json, results.xlsx), optionally priced in the objective; the
checker recomputes them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from factories import TRUCK, hand_scenario, optimise

from clusteropt.allocation import firm_results
from clusteropt.check import check_solution

CLI = Path(sys.executable).parent / "clusteropt"
DIRTY = {**TRUCK, "nox_empty_g_per_km": 2.0, "nox_full_g_per_km": 3.0,
         "pm10_empty_g_per_km": 0.1}
PRICES = {"empty_running": "dedicated", "nox_price_eur_per_kg": 10.0,
          "pm10_price_eur_per_kg": 100.0}


def _doc(vehicles=(DIRTY,), options=PRICES):
    return {"name": "nox", "interest_rate": 0.0, "lifetime_years": 10,
            "options": {"gap_rel": 0.0, "time_limit_s": None, "empty_share": 0.2, **options},
            "tables": {"nodes": [{"id": "a"}, {"id": "b"}],
                       "activities": [{"id": "mill", "node": "a"}, {"id": "farm", "node": "b"}],
                       "commodities": [{"id": "feed", "load_class": "feed"}],
                       "demands": [{"id": "ab", "origin": "mill", "destination": "farm",
                                    "commodity": "feed", "tonnes_per_period": 10}],
                       "vehicles": list(vehicles)}}


def _case(tmp_path, **kw):
    doc = _doc(**kw)
    t = doc["tables"]
    return hand_scenario(tmp_path, {"a": (0, 0), "b": (100, 0)}, t["nodes"], t["activities"],
                         t["commodities"], t["demands"], options=doc["options"],
                         vehicles=t["vehicles"])


def test_nox_pm10_hand_case_priced_and_rechecked(tmp_path):
    # One full 10 t trip over 100 km and one empty return ('dedicated'). NOx: loaded
    # 2 × 100 + (3 − 2) × 100 × 10/10 = 300 g, empty 2 × 100 = 200 g → 0.5 kg/wk; PM10 (full
    # falls back to empty) 0.1 × 200 = 20 g → 0.02 kg/wk. Priced at 10 €/kg NOx and 100 €/kg
    # PM10: 5 + 2 = 7 €/wk on top of 200 €/wk transport.
    sc, lanes = _case(tmp_path)
    report, sol, res = optimise(sc, lanes)
    assert res.kpis["nox_kg"] == pytest.approx(0.5 * 52)
    assert res.kpis["pm10_kg"] == pytest.approx(0.02 * 52)
    assert res.kpis["air_pollution_cost_eur"] == pytest.approx(7 * 52)
    assert report.objective == pytest.approx(207 * 52)
    assert res.kpis["logistics_cost_eur"] == pytest.approx(207 * 52)
    chk = check_solution(sc, lanes, sol)
    assert chk.passed, chk.violations
    for key in ("nox_kg", "pm10_kg", "air_pollution_cost_eur"):
        assert chk.kpis[key] == pytest.approx(res.kpis[key]), key
    firms = firm_results(sc, lanes, sol).set_index("activity")
    assert firms.loc["mill", "nox_kg"] == pytest.approx(0.5 * 52)
    assert firms.nox_kg.sum() == pytest.approx(res.kpis["nox_kg"])
    sol.terms["nox_kg"] *= 2
    assert [v.index for v in check_solution(sc, lanes, sol).violations] == [("nox_kg",)]


def test_the_price_moves_the_choice_to_the_cleaner_truck(tmp_path):
    # A clean truck costs 1.02 €/km (204 €/wk for the round trip, no NOx); the dirty one
    # 200 €/wk + 7 €/wk of air pollution: priced, the clean one wins; unpriced, the dirty one.
    clean = {**TRUCK, "id": "clean", "cost_eur_per_km": 1.02}
    sc, lanes = _case(tmp_path, vehicles=(DIRTY, clean))
    _, _, res = optimise(sc, lanes)
    assert set(res.legs.vehicle) == {"clean"} and res.kpis["nox_kg"] == 0
    sub = tmp_path / "free"
    sub.mkdir()
    sc, lanes = _case(sub, vehicles=(DIRTY, clean), options={"empty_running": "dedicated"})
    _, _, res = optimise(sc, lanes)
    assert set(res.legs.vehicle) == {"truck"} and res.kpis["air_pollution_cost_eur"] == 0


def test_nox_in_summary_json_and_results_xlsx(tmp_path):
    doc = _doc()
    (tmp_path / "lanes.csv").write_text("from,to,distance_km\na,b,100\nb,a,100\n")
    doc["distance"] = {"method": "matrix", "file": "lanes.csv"}
    (tmp_path / "scenario.yaml").write_text(yaml.safe_dump(doc))
    res = subprocess.run([str(CLI), "run", str(tmp_path / "scenario.yaml"), "--out",
                          str(tmp_path / "out"), "--quiet"], capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["kpis"]["nox_kg"] == pytest.approx(0.5 * 52)
    assert summary["check"]["kpis"]["nox_kg"] == pytest.approx(0.5 * 52)
    assert summary["firms"][0]["nox_kg"] == pytest.approx(0.5 * 52)
    sheet = pd.read_excel(tmp_path / "out" / "results.xlsx", sheet_name=None)
    kpis = next(df for name, df in sheet.items() if name.lower().startswith("kpi"))
    row = kpis.set_index(kpis.columns[0]).loc["nox_kg"]
    assert float(row["value"]) == pytest.approx(0.5 * 52)
