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
from clusteropt.scenario import load_scenario
from clusteropt.solve import solve

WESTLAND = Path(__file__).resolve().parents[2] / "scenarios" / "westland-mini.yaml"
POINTS = 3


@pytest.fixture(scope="module")
def case():
    sc = load_scenario(WESTLAND)
    lanes = build_lanes(sc)
    return sc, lanes, pareto(sc, lanes, POINTS)


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
    df = pareto(sc, build_lanes(sc), 0)
    assert list(df.point) == ["min_cost", "min_co2"]
    assert not df.knee.any()


def test_write_pareto(case, tmp_path):
    _, _, df = case
    csv, png = write_pareto(df, tmp_path)
    back = pd.read_csv(csv)
    assert list(back.columns) == list(df.columns)
    assert back.cost_eur.tolist() == pytest.approx(df.cost_eur.tolist())
    img = imread(png)
    assert img.ndim == 3 and float(np.std(img)) > 0
    assert math.isfinite(back.co2_t.sum())
