"""The cost–CO2 frontier (clusteropt.pareto) on westland-mini: its points are non-dominated
and monotone, and its ends equal separate min-cost and (lexicographic) min-CO2 solves built
here with PuLP directly."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.image import imread
from pulp import lpSum_vars_coefs

from clusteropt.lanes import build_lanes
from clusteropt.model import build
from clusteropt.model.build import COST_TERMS
from clusteropt.pareto import pareto, write_pareto
from clusteropt.run import run_scenario
from clusteropt.scenario import load_scenario, scenario_from_dict
from clusteropt.solve import solve

WESTLAND = Path(__file__).resolve().parents[2] / "scenarios" / "westland-mini.yaml"
POINTS = 3


@pytest.fixture(scope="module")
def with_today():
    sc = load_scenario(WESTLAND)
    lanes = build_lanes(sc)
    return sc, lanes, pareto(sc, lanes, POINTS)


@pytest.fixture(scope="module")
def case(with_today):
    """The frontier rows (today's row set aside)."""
    sc, lanes, df = with_today
    assert df.point.iloc[0] == "today" and (df.point == "today").sum() == 1
    return sc, lanes, df.iloc[1:].reset_index(drop=True)


def _cost(model):
    """Annual cost without the CO2 price: (pairs, constant)."""
    pairs = [tc for name in COST_TERMS if name != "carbon" for tc in model.terms[name].terms]
    return pairs, sum(model.terms[name].const for name in COST_TERMS if name != "carbon")


def _value(pairs, const):
    return const + sum(c * (v.varValue or 0.0) for v, c in pairs)


def test_columns_and_rows(case):
    sc, _, df = case
    assert {"cost_eur", "co2_t", "status", "gap", "knee"} <= set(df.columns)
    assert df.point.iloc[0] == "min_cost" and df.point.iloc[-1] == "min_co2"
    assert 2 <= len(df) <= POINTS + 2
    assert (df.status == "optimal").all()
    assert (df.co2_basis == "wtw").all()
    # the scenario's CO2 price is applied after the fact
    price = sc.options.co2_price_eur_per_t
    assert np.allclose(df.carbon_cost_eur, df.co2_t * price)
    assert np.allclose(df.cost_with_carbon_eur, df.cost_eur + df.carbon_cost_eur)


def test_non_dominated_and_monotone(case):
    _, _, df = case
    assert not df.dominated.any()
    c, e = df.cost_eur.to_numpy(), df.co2_t.to_numpy()
    # ordered from the min-cost end: CO2 falls strictly, cost rises strictly
    assert (np.diff(e) < 0).all()
    assert (np.diff(c) > 0).all()
    for i in range(len(df)):
        for j in range(len(df)):
            if i != j:
                assert not (c[j] <= c[i] and e[j] <= e[i]), (i, j)
    # interior points respect their ε
    mid = df[df.eps_co2_t.notna()]
    assert (mid.co2_t <= mid.eps_co2_t + 1e-6).all()


def test_ends_equal_separate_solves(case):
    sc, lanes, df = case
    # min cost (CO2 price 0)
    m = build(sc, lanes)
    pairs, const = _cost(m)
    m.prob.setObjective(lpSum_vars_coefs(pairs) + const)
    assert solve(m, gap_rel=0.0).status == "optimal"
    assert df.cost_eur.iloc[0] == pytest.approx(_value(pairs, const), rel=1e-6)
    # min CO2 (WTW), then min cost with CO2 within a tiny tolerance of it
    m = build(sc, lanes)
    co2 = m.terms["co2_wtw_kg"]
    m.prob.setObjective(co2.expr())
    assert solve(m, gap_rel=0.0).status == "optimal"
    co2_min = co2.value()
    assert df.co2_t.iloc[-1] * 1000 == pytest.approx(co2_min, rel=1e-6)
    pairs, const = _cost(m)
    m.prob.addConstraint(lpSum_vars_coefs(co2.terms) <= co2_min * (1 + 1e-6) - co2.const)
    m.prob.setObjective(lpSum_vars_coefs(pairs) + const)
    assert solve(m, gap_rel=0.0).status == "optimal"
    assert df.cost_eur.iloc[-1] == pytest.approx(_value(pairs, const), rel=1e-6)
    # with the scenario's price the min-cost end is no cheaper than the run's optimum
    assert df.cost_with_carbon_eur.min() >= solve(build(sc, lanes)).objective - 1e-6


def test_knee(case):
    _, _, df = case
    assert df.knee.sum() <= 1
    if df.knee.any():
        knee = df[df.knee].iloc[0]
        assert knee.point.startswith("eps_")
        assert knee.chord_distance == pytest.approx(df.chord_distance.max())
        assert knee.chord_distance > 0


def test_no_interior_points():
    sc = load_scenario(WESTLAND)
    df = pareto(sc, build_lanes(sc), 0, today=False)
    assert list(df.point) == ["min_cost", "min_co2"]
    assert not df.knee.any()
    assert df.attrs["knee_note"].startswith("No knee: the frontier has 2 distinct point(s)")


def test_today_is_the_runs_baseline_priced_the_same(with_today):
    """Today's row is B0 as `run` reports it (cost without the CO2 price, CO2 WTW), and the
    frontier's ends are no worse than today on their own axis (today is a feasible point of
    the model when it carries today's tonnes; gap 0)."""
    sc, lanes, df = with_today
    out = run_scenario(sc, lanes)
    b0 = out.savings.steps["B0"]
    today = df.iloc[0]
    assert today.status == "optimal"
    assert today.cost_eur == pytest.approx(b0["total_cost_eur"] - b0["carbon_cost_eur"],
                                           rel=1e-9)
    assert today.co2_t == pytest.approx(b0["co2_wtw_t"], rel=1e-9)
    assert df.attrs["comparable_with_today"] is True
    front = df.iloc[1:]
    assert front.cost_eur.min() <= today.cost_eur + 1e-6
    assert front.co2_t.min() <= today.co2_t + 1e-9


def test_abatement_costs_are_the_slopes_of_the_points(with_today):
    """€ per t CO2 avoided = Δcost / ΔCO2 between consecutive frontier points and from
    today; saving and CO2 avoided are today − point."""
    _, _, df = with_today
    today, front = df.iloc[0], df.iloc[1:].reset_index(drop=True)
    assert math.isnan(front.abatement_eur_per_t.iloc[0])
    for i in range(1, len(front)):
        a, b = front.iloc[i - 1], front.iloc[i]
        assert b.abatement_eur_per_t == pytest.approx(
            (b.cost_eur - a.cost_eur) / (a.co2_t - b.co2_t), rel=1e-9)
        assert b.abatement_eur_per_t > 0  # moving along the frontier costs money
    assert np.allclose(front.saving_cost_eur, today.cost_eur - front.cost_eur)
    assert np.allclose(front.co2_avoided_t, today.co2_t - front.co2_t)
    avoids = front[front.co2_t < today.co2_t]
    assert len(avoids)
    assert np.allclose(avoids.abatement_from_today_eur_per_t,
                       (avoids.cost_eur - today.cost_eur) / (today.co2_t - avoids.co2_t))
    assert front[front.co2_t >= today.co2_t].abatement_from_today_eur_per_t.isna().all()
    assert df.attrs["knee_note"]
    knee = front[front.knee]
    if len(knee):
        assert f"{knee.co2_t.iloc[0]:,.1f} t" in df.attrs["knee_note"]


def test_other_tonnes_than_today_leave_the_from_today_figures_empty(tmp_path):
    """A newcomer (``new``) is not there today: today carries fewer tonnes than the frontier's
    points, so the saving and the abatement from today are left empty; today's own point
    stays in the table."""
    (tmp_path / "lanes.csv").write_text(
        "from,to,distance_km\nstay,s,10\ns,stay,10\nstay,x,20\nx,stay,20\ns,x,10\nx,s,10\n")
    doc = {"name": "newcomer", "interest_rate": 0.0, "lifetime_years": 10,
           "periods": [{"id": "wk", "weight": 52}], "options": {"gap_rel": 0.0},
           "distance": {"method": "matrix", "file": "lanes.csv"},
           "tables": {"nodes": [{"id": "stay"}, {"id": "x"},
                                {"id": "s", "kind": "site", "opex_eur_per_yr": 1_000.0}],
                      "activities": [{"id": "g", "node": "stay", "movable": True,
                                      "candidates": "s"},
                                     {"id": "n", "new": True, "movable": True,
                                      "candidates": "s"},
                                     {"id": "buyer", "node": "x"}],
                      "commodities": [{"id": "veg", "load_class": "food"}],
                      "demands": [{"id": "d", "origin": "g", "destination": "buyer",
                                   "commodity": "veg", "tonnes_per_period": 5},
                                  {"id": "e", "origin": "n", "destination": "buyer",
                                   "commodity": "veg", "tonnes_per_period": 3}],
                      "vehicles": [{"id": "t", "payload_t": 10, "cost_eur_per_km": 1.0}]}}
    sc = scenario_from_dict(doc, base_dir=tmp_path, path=tmp_path / "scenario.yaml")
    df = pareto(sc, build_lanes(sc), 0)
    assert df.attrs["comparable_with_today"] is False
    assert df.point.iloc[0] == "today" and math.isfinite(df.cost_eur.iloc[0])
    assert df.saving_cost_eur.isna().all() and df.abatement_from_today_eur_per_t.isna().all()


def test_write_pareto(with_today, tmp_path):
    _, _, df = with_today
    csv, png = write_pareto(df, tmp_path)
    back = pd.read_csv(csv)
    assert list(back.columns) == list(df.columns)
    assert back.point.iloc[0] == "today"
    assert back.cost_eur.tolist() == pytest.approx(df.cost_eur.tolist())
    img = imread(png)
    assert img.ndim == 3 and float(np.std(img)) > 0
    assert math.isfinite(back.co2_t.sum())
