"""The Legato case of docs/cases.md: is Curaçao a good hub for Dutch exports to the Americas?

Fast part: a reduced hub instance on real sea-lane distances, hand-checked (arithmetic in the
comments) and brute-forced over every set of open hubs — Curaçao forced open costs at least the
free optimum, a perishable's ``max_transit_h`` prunes the hub route with its dwell, and the
lead time is the legs plus the dwell; the case itself validates, its three variants solve to
optimality and pass the independent check, and ``clusteropt run`` reports the check. The full
``clusteropt compare`` of the case with the savings split is marked ``slow``."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import pytest

from clusteropt.lanes import build_lanes
from clusteropt.results import flow_lead_times
from clusteropt.run import run_scenario
from clusteropt.scenario import load_scenario, scenario_from_dict

ROOT = Path(__file__).resolve().parents[2]
LEGATO = ROOT / "scenarios" / "legato.yaml"
CLI = Path(sys.executable).parent / "clusteropt"

# ---- the reduced instance -------------------------------------------------------------------
# Rotterdam ships 100 t/week (52 weeks) to Aruba and 100 t/week to the Dominican Republic
# (Caucedo); hub candidates Curaçao (Willemstad) and Kingston, 100,000 EUR/yr each when open.
# Sea-lane km (searoute 1.6): rtm-cur 8,144.7, rtm-kin 8,226.3, rtm-aua 8,042.2, rtm-dom
# 7,494.1, cur-aua 188.2, cur-dom 1,136.4, kin-aua 1,183.0, kin-dom 836.1.
# Deep sea 50 EUR/t + 0.0125 EUR/tkm on any leg, x 0.5 on the collection leg into a hub;
# feeder (hub routes only) 30 EUR/t + 0.035 EUR/tkm; handling Curaçao 25, Kingston 15 EUR/t.
#   direct aua: 50 + 0.0125 x 8,042.2 = 150.53 EUR/t;  direct dom: 50 + 93.68 = 143.68
#   aua via cur: 0.5 x (50 + 101.81) + 25 + 30 + 0.035 x 188.2 = 75.90 + 55 + 6.59 = 137.49
#   aua via kin: 0.5 x (50 + 102.83) + 15 + 30 + 41.41 = 162.82   (dearer than direct)
#   dom via cur: 75.90 + 55 + 39.77 = 170.68;  dom via kin: 76.41 + 45 + 29.26 = 150.68
# Free optimum: Curaçao would save 5,200 t x (150.53 - 137.49) = 67,808 EUR/yr on Aruba, less
# than its 100,000 EUR/yr: no hub, 5,200 x (150.53 + 143.68) = 1,529,892 EUR/yr.
# Curaçao forced open: Aruba through it, 1,529,892 + 100,000 - 67,808 = 1,562,084 EUR/yr.
PORTS = {"rtm": (51.95, 4.05), "cur": (12.11, -68.93), "kin": (17.97, -76.83),
         "aua": (12.52, -70.04), "dom": (18.42, -69.63)}
HUB = {"cur": (25.0, 168.0), "kin": (15.0, 96.0)}  # handling EUR/t, dwell h
OPEX = 100_000.0
WEEKS = 52
SHIP = {"id": "ship", "mode": "sea", "pricing": "tariff", "tariff_eur_per_t": 50,
        "tariff_eur_per_tkm": 0.0125, "speed_kmh": 30, "load_classes": "*"}
FEEDER = {"id": "feeder", "mode": "sea", "pricing": "tariff", "tariff_eur_per_t": 30,
          "tariff_eur_per_tkm": 0.035, "speed_kmh": 25, "legs": "hub", "load_classes": "*"}


def reduced(tmp_path: Path, forced: bool, max_transit_h: float | None = None):
    nodes = [{"id": n, "lat": la, "lon": lo, "modes": "sea",
              **({"kind": "hub", "opex_eur_per_yr": OPEX, "handling_eur_per_t": HUB[n][0],
                  "handling_h": HUB[n][1]} if n in HUB else {})}
             for n, (la, lo) in PORTS.items()]
    doc = {"name": "legato-reduced", "crs": "EPSG:3857",
           "periods": [{"id": "week", "weight": WEEKS}],
           "distance": {"method": "great_circle", "circuity": 1.0},
           "hubs": {"max_per_route": 1, "collection_factor": 0.5},
           "options": {"gap_rel": 0.0, "time_limit_s": None, "empty_share": 0.0},
           "fix": {"sites": {"cur": "open"}} if forced else {},
           "tables": {
               "nodes": nodes,
               "activities": [{"id": f"at-{n}", "node": n} for n in ("rtm", "aua", "dom")],
               "commodities": [{"id": "food", "load_class": "dry",
                                **({"max_transit_h": max_transit_h} if max_transit_h else {})}],
               "demands": [{"id": f"to-{m}", "origin": "at-rtm", "destination": f"at-{m}",
                            "commodity": "food", "tonnes_per_period": 100} for m in ("aua", "dom")],
               "vehicles": [SHIP, FEEDER]}}
    sc = scenario_from_dict(doc, base_dir=tmp_path)
    return sc, build_lanes(sc)


def brute_force(lanes, must_open: set[str], max_transit_h: float | None = None) -> float:
    """Min over every set of open hubs (containing ``must_open``) of Σ hub opex + Σ demand
    52 × 100 t × its cheapest route (direct or via an open hub, within max_transit_h)."""
    def sea(a, b):
        return lanes.distance(a, b, "sea")

    def per_t(m, h):
        if h is None:
            return 50 + 0.0125 * sea("rtm", m)
        return 0.5 * (50 + 0.0125 * sea("rtm", h)) + HUB[h][0] + 30 + 0.035 * sea(h, m)

    def hours(m, h):
        return sea("rtm", m) / 30 if h is None else \
            sea("rtm", h) / 30 + HUB[h][1] + sea(h, m) / 25

    best = float("inf")
    for r in range(len(HUB) + 1):
        for open_ in itertools.combinations(HUB, r):
            if not must_open <= set(open_):
                continue
            total = OPEX * len(open_)
            for m in ("aua", "dom"):
                total += WEEKS * 100 * min(
                    per_t(m, h) for h in (None, *open_)
                    if max_transit_h is None or hours(m, h) <= max_transit_h)
            best = min(best, total)
    return best


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("legato-reduced")
    out = {}
    for forced in (False, True):
        sc, lanes = reduced(tmp, forced)
        out[forced] = (run_scenario(sc, lanes=lanes, baseline=False), lanes)
    return out


def test_reduced_free_optimum_and_forced_curacao_by_hand(runs):
    free, lanes = runs[False]
    forced, _ = runs[True]
    for out in (free, forced):
        assert out.report.status == "optimal" and out.check.passed, out.check.violations
    cost_free = free.results.kpis["total_cost_eur"]
    cost_forced = forced.results.kpis["total_cost_eur"]
    # the hand figures in the comments above, then the brute force on the lanes' own km
    assert cost_free == pytest.approx(1_529_892, rel=1e-4)
    assert cost_forced == pytest.approx(1_562_084, rel=1e-4)
    assert cost_free == pytest.approx(brute_force(lanes, set()), rel=1e-9)
    assert cost_forced == pytest.approx(brute_force(lanes, {"cur"}), rel=1e-9)
    assert cost_forced >= cost_free
    assert not any(free.solution.open_sites.values())
    paths = dict(zip(forced.solution.flows.demand, forced.solution.flows.path))
    assert paths == {"to-aua": "rtm;cur;aua", "to-dom": "rtm;dom"}


def test_reduced_lead_time_is_the_legs_plus_the_dwell(runs):
    """Aruba through Curaçao: 8,144.7 km / 30 km/h + 168 h dwell + 188.2 km / 25 km/h
    ≈ 271.5 + 168 + 7.5 = 447 h; direct to the Dominican Republic 7,494.1 / 30 ≈ 249.8 h."""
    forced, lanes = runs[True]
    lead = dict(zip(forced.solution.flows.demand,
                    flow_lead_times(forced.scenario, lanes, forced.solution).lead_time_h))
    sea = lanes.distance
    assert lead["to-aua"] == pytest.approx(sea("rtm", "cur", "sea") / 30 + 168
                                           + sea("cur", "aua", "sea") / 25)
    assert lead["to-dom"] == pytest.approx(sea("rtm", "dom", "sea") / 30)
    assert 440 < lead["to-aua"] < 455


def test_reduced_max_transit_prunes_the_hub_route(tmp_path):
    """With max_transit_h 400 the 447 h route through Curaçao is pruned (direct 268 h fits):
    forcing Curaçao open then costs exactly its opex over the free optimum."""
    sc, lanes = reduced(tmp_path, forced=True, max_transit_h=400)
    out = run_scenario(sc, lanes=lanes, baseline=False)
    assert out.report.status == "optimal" and out.check.passed, out.check.violations
    assert out.model.pruned >= 1
    assert set(out.solution.flows.path) == {"rtm;aua", "rtm;dom"}
    assert out.results.kpis["total_cost_eur"] == pytest.approx(
        brute_force(lanes, {"cur"}, max_transit_h=400), rel=1e-9)
    assert out.results.kpis["total_cost_eur"] == pytest.approx(1_529_892 + OPEX, rel=1e-4)


# ---- the case ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def legato():
    out = {}
    for variant in ("no-hub", "free", "curacao"):
        sc = load_scenario(LEGATO, variant)
        out[variant] = run_scenario(sc, baseline=False)
    return out


def test_case_variants_solve_and_pass_the_check(legato):
    for variant, out in legato.items():
        assert out.report.status == "optimal", (variant, out.report.status)
        assert out.check.passed, (variant, out.check.violations)
        assert not len(out.solution.unserved) or out.solution.unserved.tonnes.sum() == 0


def test_case_answers_the_question(legato):
    """Free choice opens no hub (docs/cases.md: the trunk discount does not pay for the feeder
    and handling); forcing Curaçao costs at least its annual cost more than the free optimum;
    no hub route of flowers survives their 72 h limit."""
    cost = {v: o.results.kpis["total_cost_eur"] for v, o in legato.items()}
    assert not any(legato["free"].solution.open_sites.values())
    assert cost["free"] == pytest.approx(cost["no-hub"], rel=1e-9)
    assert cost["curacao"] >= cost["free"] + 500_000 - 1e-6 * cost["free"]
    for out in legato.values():
        flows = out.solution.flows
        flowers = flows[flows.commodity == "flowers"]
        assert len(flowers) and (flowers.path.str.count(";") == 1).all()


def test_cli_run_reports_the_check(tmp_path):
    res = subprocess.run([str(CLI), "run", str(LEGATO), "--variant", "curacao", "--no-baseline",
                          "--format", "json"], capture_output=True, text=True, timeout=300,
                         env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    assert res.returncode == 0, res.stderr[-2000:]
    doc = json.loads(res.stdout)
    doc = doc[0] if isinstance(doc, list) else doc
    assert doc["check"]["passed"] is True
    assert doc["open_sites"]["hub-curacao"] == 1


@pytest.mark.slow
def test_cli_compare_ranks_the_variants(tmp_path):
    """The full compare with the savings split: free (= no hub) first, Curaçao last."""
    res = subprocess.run([str(CLI), "compare", str(LEGATO), "--format", "json", "--out",
                          str(tmp_path / "cmp")], capture_output=True, text=True, timeout=900,
                         env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    assert res.returncode == 0, res.stderr[-2000:]
    runs = sorted(json.loads((tmp_path / "cmp" / "compare.json").read_text())["runs"],
                  key=lambda r: r["rank"])
    assert all(r["check"] for r in runs)
    assert [r["variant"] for r in runs][-1] == "curacao"
    cost = {r["variant"]: r["total_cost_eur"] for r in runs}
    assert cost["free"] == pytest.approx(cost["no-hub"], rel=1e-9)
    assert cost["curacao"] > cost["free"]
