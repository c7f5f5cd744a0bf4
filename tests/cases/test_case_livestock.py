"""The livestock cases (docs/cases.md): the A1 protein corridor and Kuijpers Kip.

Fast part: both scenarios (every variant) validate; the Kuijpers dispersed / one-site variants
solve and pass the independent check; co-locating the Kuijpers chain takes every live animal off
the road. Slow part (two A1 solves of up to a minute each): the A1 processor variants solve
and pass the independent check; the A1 processors' products balance their intake and are
hauled; in the closed season nothing goes to the spreading outlet; manure never rides a trip
of another load class; a central processor lengthens the manure hauls; and the full
comparison of both scenarios as ``clusteropt compare`` does."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest

from clusteropt.run import run_scenario
from clusteropt.scenario import load_scenario, read_yaml

ROOT = Path(__file__).resolve().parents[2]
A1 = ROOT / "scenarios" / "a1-eiwitcorridor.yaml"
KIP = ROOT / "scenarios" / "kuijpers-kip.yaml"
# the A1 processor variants' tests share two solves of up to 60 s each (the scenario's limit;
# per-subregion needs 40-55 s on 2 cores to reach its gap): slow, run by make test-slow
A1_SOLVES = pytest.mark.slow
LIVE = {"live_animals", "live_chicks"}  # live-animal load classes (Kuijpers: chicks apart)


def solve(path: Path, variant: str | None):
    """Solve one variant with the scenario's own options (gap 0.1 %, 60 s, 2 threads), without
    the baseline evaluations."""
    out = run_scenario(load_scenario(path, variant), baseline=False)
    assert out.report.status in ("optimal", "feasible"), out.report.status
    assert out.report.gap is not None and out.report.gap <= 0.005, out.report.gap
    assert out.check.passed, out.check.violations
    return out


def loaded_km_by_class(out) -> dict[str, float]:
    """Annual loaded truck-km per load class (road trips; empty legs carry no class)."""
    legs = out.results.legs
    legs = legs[(legs["mode"] == "road") & (legs.load_class != "(empty)")]
    return legs.groupby("load_class").vehicle_km_loaded.sum().to_dict()


@pytest.fixture(scope="module")
def a1():
    return {v: solve(A1, v) for v in ("central-processor", "per-subregion")}


@pytest.fixture(scope="module")
def kip():
    return {v: solve(KIP, v) for v in ("dispersed", "one-site")}


@pytest.mark.parametrize("path", [A1, KIP], ids=["a1", "kuijpers"])
def test_every_variant_validates(path):
    names = [None, *(read_yaml(path).get("variants") or {})]
    for v in names:
        sc = load_scenario(path, v)
        assert sc.options.gap_rel == 0.001 and sc.options.time_limit_s == 60
        assert sc.options.threads == 2


def test_a1_variants_differ_as_described():
    today = load_scenario(A1, "today")
    assert all(today.fix.sites.get(s) == "closed"
               for s, n in today.nodes.items() if n.kind == "site")
    assert set(load_scenario(A1, "round-trips").vehicles) == {
        "livestock-truck", "egg-truck", "combi-truck"}
    combi = load_scenario(A1, "round-trips").vehicles["combi-truck"]
    assert combi.load_classes == ["feed", "manure"]
    assert "combi-truck" not in load_scenario(A1, "no-round-trips").vehicles


@A1_SOLVES
def test_a1_processor_variants_solve_and_open_the_intended_sites(a1):
    assert {s for s, o in a1["central-processor"].solution.open_sites.items() if o} == {
        "proc-central"}
    assert {s for s, o in a1["per-subregion"].solution.open_sites.items() if o} == {
        "proc-gv", "proc-vi", "proc-tw"}
    for out in a1.values():
        # processing beats hauling raw slurry to the far outlets: nearly all slurry goes to
        # the open processors (a few tonnes may still go where a whole extra trip would cost
        # more)
        fl = out.solution.flows
        raw = fl[fl.commodity == "manure"]
        to_proc = raw[raw.partner.str.startswith("@proc")].tonnes.sum()
        assert to_proc > 0.95 * raw.tonnes.sum()


PRODUCTS = {"concentrate": 0.34, "thick-fraction": 0.20}  # Mestac split (README)


@A1_SOLVES
def test_a1_products_balance_and_are_hauled(a1):
    for out in a1.values():
        sol, res = out.solution, out.results
        fl, un = sol.flows, sol.unserved
        for p in ("spreading", "closed"):
            into = fl[(fl.period == p) & (fl.commodity == "manure")
                      & fl.partner.str.startswith("@proc")].tonnes.sum()
            for k, y in PRODUCTS.items():
                out_t = fl[(fl.period == p) & (fl.commodity == k)].tonnes.sum() + \
                    un[(un.period == p) & un.demand.str.endswith(f">{k}")].tonnes.sum()
                assert out_t == pytest.approx(y * into, rel=1e-5)
        # the products travel by truck: their tonne-km and loaded km are in the totals
        com = res.commodities.set_index("commodity")
        assert com.tonne_km["concentrate"] > 0 and com.tonne_km["thick-fraction"] > 0
        assert out.check.passed


@A1_SOLVES
def test_a1_closed_season_sends_nothing_to_the_spreading_outlet(a1):
    sc = load_scenario(A1)
    assert sc.activities["arable-outlet"].intake_periods == ["spreading"]
    assert {p.id: p.weight for p in sc.periods} == {"spreading": 28.143, "closed": 24.0}
    for out in a1.values():
        fl, un = out.solution.flows, out.solution.unserved
        assert fl[(fl.period == "closed") & (fl.partner == "arable-outlet")].empty
        # in the spreading season the concentrate goes to arable land ...
        assert fl[(fl.period == "spreading") & (fl.commodity == "concentrate")
                  & (fl.partner == "arable-outlet")].tonnes.sum() > 0
        # ... in the closed season it is stored at the plant (its disposal cost)
        assert un[(un.period == "closed") & un.demand.str.endswith(">concentrate")
                  ].tonnes.sum() > 0


def _check_manure_alone(out) -> None:
    sc = out.scenario
    sol = out.solution
    lc = {k: c.load_class for k, c in sc.commodities.items()}
    manure = {k for k, c in lc.items() if c == "manure"}
    assert manure == {"manure", "poultry-manure", "concentrate", "thick-fraction"}
    loads = sol.loads.assign(load_class=sol.loads.commodity.map(lc))
    keys = ["period", "from", "to", "vehicle", "load_class"]
    per_class = loads.groupby(keys).agg(tonnes=("tonnes", "sum"),
                                        commodities=("commodity", lambda s: set(s)))
    trips = sol.trips.groupby(keys).trips.sum()
    manure_trips = trips[trips.index.get_level_values("load_class") == "manure"]
    assert len(manure_trips) > 0
    for key in manure_trips.index:
        # a manure trip carries manure (raw or processed) and nothing else ...
        assert per_class.loc[key, "commodities"] <= manure
    # a round (tour) carries one load class too: its tonnes are all of the tour's class
    tours = sol.tours.set_index(["period", "tour"])
    tl = sol.tour_loads
    for r in tl.itertuples(index=False):
        assert lc[r.commodity] == tours.loc[(r.period, r.tour), "load_class"]
    toured = (tl.assign(vehicle=[tours.loc[(p, t), "vehicle"] for p, t in zip(tl.period,
                                                                               tl.tour)],
                        load_class=tl.commodity.map(lc))
              .groupby(keys).tonnes.sum() if len(tl) else pd.Series(dtype=float))
    for key, row in per_class.iterrows():
        # ... and every class on a leg has its own trips (or rounds), enough for its tonnes
        payload = sc.vehicles[key[3]].payload_t
        assert trips.get(key, 0.0) * payload + toured.get(key, 0.0) >= row.tonnes - 1e-6, key
    # food and live animals never ride in a manure trip (nor manure in theirs)
    for key in trips.index:
        carried = per_class.loc[key, "commodities"] if key in per_class.index else set()
        if key[4] in ("food", "live_animals"):
            assert not carried & manure
        if key[4] == "manure":
            assert carried <= manure


@A1_SOLVES
def test_a1_manure_never_shares_a_trip_with_food_or_live_animals(a1):
    # per-subregion runs the mixed fleet: the combined truck carries feed and manure, on
    # separate trips; dedicated trucks carry live animals and eggs
    for out in a1.values():
        _check_manure_alone(out)
    used = set(a1["per-subregion"].solution.trips.vehicle)
    assert "combi-truck" in used


@A1_SOLVES
def test_a1_central_processor_lengthens_the_manure_hauls(a1):
    # Expected direction: up. With one plant at Apeldoorn every slurry group hauls to the
    # middle of a 100 km corridor; with one plant per sub-region each group hauls to its own
    # sub-region's plant (2-30 km). The same slurry is processed in both (the central plant is
    # as large as the three together), so the raw slurry's tonne-km must rise; the products
    # leave the central plant for the same outlets, so the manure class's loaded km rise too,
    # by less (the regional plants in Twente and the Gelderse Vallei are farther from one of
    # the two outlets).
    central = a1["central-processor"]
    regional = a1["per-subregion"]
    tkm = {n: o.results.commodities.set_index("commodity").tonne_km["manure"]
           for n, o in (("c", central), ("r", regional))}
    assert tkm["c"] > 1.5 * tkm["r"]
    assert loaded_km_by_class(central)["manure"] > loaded_km_by_class(regional)["manure"]
    # the other classes hardly move (only the feed split between mills may change)
    for cls in ("live_animals", "food"):
        assert loaded_km_by_class(central)[cls] == pytest.approx(
            loaded_km_by_class(regional)[cls], rel=1e-6)


def test_kuijpers_variants_solve(kip):
    one = kip["one-site"]
    assert set(one.solution.placement[a] for a in (
        "parent-stock", "hatchery", "broiler-1", "broiler-2", "broiler-3",
        "slaughterhouse")) == {"kuijpers-site"}
    # the digester is built on the site and every link connects to it
    fac = one.solution.facilities
    assert list(fac.facility) == ["digester"]
    assert len(str(fac.connected.iloc[0]).split(";")) == 6
    assert kip["dispersed"].solution.facilities.empty


def test_kuijpers_co_location_takes_live_animals_off_the_road(kip):
    today = loaded_km_by_class(kip["dispersed"])
    one = loaded_km_by_class(kip["one-site"])
    assert sum(today.get(c, 0.0) for c in LIVE) > 0
    assert today.get("live_chicks", 0.0) > 0  # chicks travel today ...
    assert sum(one.get(c, 0.0) for c in LIVE) == 0  # ... and nothing live does on one site
    # no live-animal vehicle runs at all, loaded or empty
    legs = kip["one-site"].results.legs
    live_vehicles = legs[legs.vehicle.isin(["livestock-truck", "chick-truck"])]
    assert float(live_vehicles[["vehicle_km_loaded", "vehicle_km_empty"]].sum().sum()) == 0
    # the chick and broiler flows are co-located: on-site handling instead of road legs
    flows = kip["one-site"].solution.flows
    live = flows[flows.commodity.isin(["chicks", "broilers-live"])]
    assert (live.origin_node == live.dest_node).all()
    assert kip["one-site"].results.kpis["internal_cost_eur"] > 0
    # per-commodity table: live commodities have no tonne-km on one site
    com = kip["one-site"].results.commodities.set_index("commodity")
    for c in ("chicks", "broilers-live"):
        assert c not in com.index or com.tonne_km[c] == 0


@pytest.mark.slow
def test_full_compare_of_both_cases_within_fifteen_minutes():
    from click.testing import CliRunner

    from cli import main

    t0 = time.perf_counter()
    res = CliRunner().invoke(main, ["compare", str(A1), str(KIP), "--format", "csv"])
    elapsed = time.perf_counter() - t0
    assert res.exit_code == 0, res.output
    from io import StringIO

    table = pd.read_csv(StringIO(res.output))
    assert len(table) == 8 + 4
    assert table.check.all()
    assert set(table.status) <= {"optimal", "feasible"}
    a1 = table[table.scenario == "a1-eiwitcorridor"].set_index("variant")
    # at 20 EUR/t at the outlets' gate processing pays in every variant with a processor ...
    priced = a1.drop(index=["today", "no-outlet-price", "per-subregion-no-outlet-price"])
    assert (priced.total_cost_eur < a1.total_cost_eur["today"]).all()
    # ... and at 0 EUR/t none opens: the options cost what today costs without the fees
    free = a1.loc[["no-outlet-price", "per-subregion-no-outlet-price"]]
    assert (free.investment_cost_eur == 0).all()
    assert (free.total_cost_eur < a1.total_cost_eur["today"]).all()
    kip = table[table.scenario == "kuijpers-kip"].set_index("variant")
    assert kip.truck_km["one-site"] < kip.truck_km["dispersed"]
    # A1 alone takes about 8 min on 2 cores since it has two seasons and eight variants
    # (each run at most 60 s, its baseline evaluations included; docs/cases.md)
    print(f"compare took {elapsed:.0f} s")  # a figure, not a test (speed: bench/)
