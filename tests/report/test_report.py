"""Reports (clusteropt.report): the GeoPackage, workbook, charts, map, HTML page and the
municipality counts written for westland-mini and one variant read back and agree with the
run's KPIs."""

from __future__ import annotations

import base64
import copy
import math
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest
from browser import page_width
from conftest import MINI
from matplotlib.image import imread

import clusteropt.run as run_mod
from clusteropt.report import outcome_folder_name, write_reports
from clusteropt.report.tables import leg_table
from clusteropt.scenario import load_scenario, scenario_from_dict

ROOT = Path(__file__).resolve().parents[2]
WESTLAND = ROOT / "scenarios" / "westland-mini.yaml"
CBS = ROOT.parent / "shared" / "data-sources" / "cbs-gemeenten-2025-generalised" / \
    "gemeente_2025.geojson"
LAYERS = {"sites", "activities", "legs", "baseline_legs", "hubs"}
PNGS = ("cost_breakdown.png", "savings_waterfall.png", "truck_km_co2.png", "map.png")
WESTLAND_NODES = {"naaldwijk-1", "de-lier-1", "monster-1", "rfh-naaldwijk"}


def _run_keeping_b0(sc):
    """run_scenario, keeping B0's solution and results on the Outcome (what run.py is asked
    to do): the B0 evaluation is the nested run with ``exclude_new``."""
    kept = {}
    original = run_mod.run_scenario

    def spy(sc_, lanes=None, switches=None, *args, **kwargs):
        out = original(sc_, lanes, switches, *args, **kwargs)
        if switches is not None and switches.exclude_new:
            kept["b0"] = out
        return out

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(run_mod, "run_scenario", spy)
        out = run_mod.run_scenario(sc)
    out.baseline_solution = kept["b0"].solution
    out.baseline_results = kept["b0"].results
    return out


@pytest.fixture(scope="module")
def outcomes():
    base = _run_keeping_b0(load_scenario(WESTLAND))
    # the growth variant with the pepper grower moved to Nieuw Prinsenland: a site opens
    grown = _run_keeping_b0(load_scenario(
        WESTLAND, "growth", locks={"placement": {"grower-pepper": "nieuw-prinsenland"},
                                   "sites": {}}))
    return base, grown


@pytest.fixture(scope="module")
def written(outcomes, tmp_path_factory):
    """Both outcomes into one folder: a subfolder each (with the CBS municipalities when
    present) and the overview. (The one-outcome layout, files straight in the folder, is
    written by the last tests.)"""
    folder = tmp_path_factory.mktemp("reports")
    files = write_reports(list(outcomes), folder, CBS if CBS.exists() else None)
    return folder, files


def _cases(outcomes, written):
    return [(o, written[0] / outcome_folder_name(o)) for o in outcomes]


def test_gpkg_layers_and_crs(outcomes, written):
    for _, folder in _cases(outcomes, written):
        gpkg = folder / "results.gpkg"
        names = {str(n) for n, _ in pyogrio.list_layers(gpkg)}
        assert LAYERS <= names
        if CBS.exists():
            assert "municipalities" in names
        for layer in names:
            g = gpd.read_file(gpkg, layer=layer)
            assert g.crs is not None and g.crs.to_epsg() == 28992, layer


def test_legs_one_feature_per_leg_and_vehicle_sums_equal_kpis(outcomes, written):
    for o, folder in _cases(outcomes, written):
        legs = gpd.read_file(folder / "results.gpkg", layer="legs")
        k = o.results.kpis
        raw = o.results.legs
        expected = {(a, b, v) for a, b, v in zip(raw["from"], raw["to"], raw.vehicle)}
        got = list(zip(legs["from"], legs["to"], legs.vehicle))
        assert len(got) == len(set(got)) == len(expected)
        assert set(got) == expected
        road = legs[legs["mode"] == "road"]
        assert math.isclose(road.truck_km.sum(), k["truck_km"], rel_tol=1e-6)
        assert math.isclose(road.vehicle_km.sum(), k["truck_km"], rel_tol=1e-6)
        assert math.isclose(legs.truck_km.sum(), k["truck_km"], rel_tol=1e-6)
        assert math.isclose(road.vehicle_km_empty.sum(), k["truck_km_empty"], rel_tol=1e-6)
        assert math.isclose(legs.trips.sum(), k["vehicle_trips"], rel_tol=1e-6)
        assert math.isclose(legs.co2_wtw_kg.sum() / 1000, k["co2_wtw_t"], rel_tol=1e-6)
        assert math.isclose(legs.cost_eur.sum(), k["transport_cost_eur"], rel_tol=1e-6)
        assert math.isclose(legs.tonne_km.sum(), k["tonne_km"], rel_tol=1e-6)
        loaded = legs[legs.capacity_tkm > 0]
        assert np.allclose(loaded.load_factor, loaded.tonne_km / loaded.capacity_tkm)
        assert ((loaded.load_factor > 0) & (loaded.load_factor <= 1 + 1e-9)).all()
        # straight lines between the nodes' projected coordinates
        sc = o.scenario
        for r in legs.itertuples():
            (x0, y0), (x1, y1) = r.geometry.coords
            assert (x0, y0) == pytest.approx((sc.nodes[r._1].x, sc.nodes[r._1].y))
            assert (x1, y1) == pytest.approx((sc.nodes[r.to].x, sc.nodes[r.to].y))


def test_baseline_legs_sum_to_b0(outcomes, written):
    for o, folder in _cases(outcomes, written):
        base = gpd.read_file(folder / "results.gpkg", layer="baseline_legs")
        b0 = o.savings.steps["B0"]
        assert len(base) > 0
        assert math.isclose(base.truck_km.sum(), b0["truck_km"], rel_tol=1e-6)
        assert math.isclose(base.trips.sum(), b0["vehicle_trips"], rel_tol=1e-6)
        assert math.isclose(base.co2_wtw_kg.sum() / 1000, b0["co2_wtw_t"], rel_tol=1e-6)


def test_sites_and_activities(outcomes, written):
    grown = outcomes[1]
    folder = written[0] / outcome_folder_name(grown)
    sites = gpd.read_file(folder / "results.gpkg", layer="sites").set_index("site")
    assert bool(sites.loc["nieuw-prinsenland", "open"])
    assert not bool(sites.loc["agriport-a7", "open"])
    assert sites.loc["nieuw-prinsenland", "used_ha"] == pytest.approx(30)
    assert sites.loc["nieuw-prinsenland", "utilisation_ha"] == pytest.approx(30 / 40)
    assert sites.loc["nieuw-prinsenland", "annual_cost_eur"] > 0
    acts = gpd.read_file(folder / "results.gpkg", layer="activities").set_index("activity")
    assert set(acts.index) == set(grown.scenario.activities)
    pepper = acts.loc["grower-pepper"]
    assert pepper.chosen == "nieuw-prinsenland" and pepper.today == "de-lier-1"
    assert bool(pepper.moved)
    n_today = grown.scenario.nodes["de-lier-1"]
    n_new = grown.scenario.nodes["nieuw-prinsenland"]
    assert (pepper.today_x, pepper.today_y) == pytest.approx((n_today.x, n_today.y))
    assert (pepper.today_lat, pepper.today_lon) == pytest.approx((n_today.lat, n_today.lon))
    assert (pepper.geometry.x, pepper.geometry.y) == pytest.approx((n_new.x, n_new.y))
    assert not acts.drop(index="grower-pepper").moved.astype(bool).any()


def _sheet(wb, name) -> pd.DataFrame:
    rows = list(wb[name].iter_rows(values_only=True))
    return pd.DataFrame(rows[1:], columns=rows[0])


def test_workbook_kpis_equal_summary(outcomes, written):
    for o, folder in _cases(outcomes, written):
        wb = openpyxl.load_workbook(folder / "results.xlsx", read_only=True)
        assert {"KPIs", "savings", "steps", "sites", "activities", "legs", "baseline_legs",
                "commodities", "assumptions"} <= set(wb.sheetnames)
        kpis = _sheet(wb, "KPIs")
        summary = o.to_dict()["kpis"]
        got = dict(zip(kpis.kpi, kpis.value))
        assert set(got) == set(summary)
        for key, v in summary.items():
            assert got[key] == pytest.approx(v, rel=1e-12, abs=1e-12), key
        assert all(kpis.unit.notna())
        legs = _sheet(wb, "legs")
        assert {"truck_km [km/yr]", "tonnes [t/yr]", "co2_wtw_kg [kg CO2e/yr (WTW)]",
                "load_factor [share]", "distance_km [km]"} <= set(legs.columns)
        assert legs["truck_km [km/yr]"].sum() == pytest.approx(summary["truck_km"], rel=1e-9)
        savings = _sheet(wb, "savings").set_index("effect")
        assert savings.loc["total", "saving_cost_eur [EUR/yr]"] == pytest.approx(
            o.savings.saving["total"]["cost_eur"])
        # one sign: today − the option, in the savings sheet and the KPIs sheet alike
        today_minus = o.savings.steps["B0"]["total_cost_eur"] - summary["total_cost_eur"]
        assert savings.loc["total", "saving_cost_eur [EUR/yr]"] == pytest.approx(today_minus)
        saving_vs = dict(zip(kpis.kpi, kpis.saving_vs_B0))
        assert saving_vs["total_cost_eur"] == pytest.approx(today_minus)
        wb.close()


def test_workbook_a_planner_can_filter(outcomes, written):
    """Every sheet: header row frozen, an autofilter over the table, numbers with thousands
    separators; the sites sheet lists development sites only; the assumptions sheet holds the
    run's settings."""
    o, folder = _cases(outcomes, written)[1]  # the growth variant: a site opens
    wb = openpyxl.load_workbook(folder / "results.xlsx")
    for ws in wb.worksheets:
        if ws.max_row < 2:
            continue
        assert ws.freeze_panes == "A2", ws.title
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:"), ws.title
    legs = wb["legs"]
    col = next(c for c in legs[1] if c.value == "truck_km [km/yr]").column_letter
    assert {legs[f"{col}{r}"].number_format for r in range(2, legs.max_row + 1)} == {"#,##0"}
    sites = _sheet(openpyxl.load_workbook(folder / "results.xlsx", read_only=True), "sites")
    kinds = {n.id: n.kind for n in o.scenario.nodes.values()}
    assert len(sites) and {kinds[i] for i in sites.iloc[:, 0]} == {"site"}
    assumptions = _sheet(wb, "assumptions")
    text = " ".join(str(v) for v in assumptions.to_numpy().ravel())
    assert "empty" in text and "circuity" in text


def _not_blank(path: Path) -> None:
    img = imread(path)
    assert img.ndim == 3 and img.shape[0] > 50 and img.shape[1] > 50
    assert float(np.std(img)) > 0


def test_pngs_decode_and_are_not_blank(outcomes, written):
    for _, folder in _cases(outcomes, written):
        for name in PNGS:
            _not_blank(folder / name)
    both = written[0]
    for name in ("cost_breakdown.png", "truck_km_co2.png"):
        _not_blank(both / name)


def test_html_is_self_contained_with_assumptions(outcomes, written):
    for o, folder in _cases(outcomes, written):
        page = (folder / "report.html").read_text(encoding="utf-8")
        inline = re.findall(r"src='data:image/png;base64,([^']+)'", page)
        assert len(inline) == len(PNGS)
        for name in PNGS:  # every chart inline, byte for byte
            assert base64.b64encode((folder / name).read_bytes()).decode() in inline
        assert not re.search(r"src='(?!data:)", page)  # nothing loaded from elsewhere
        assert "multi-stop tours are not routed" in page
        assert "one rule for today and every option: <b>share</b>" in page
        assert "CO2 basis: <b>WTW</b>" in page and "CO2 price <b>100 EUR/t</b>" in page
        assert "circuity 1.3" in page
        assert f"Solver status: {o.report.status}" in page and "relative gap" in page
        assert "Savings split" in page


def test_no_horizontal_scroll_at_1280_px(outcomes, written, tmp_path):
    """Each option's page and the overview, opened 1,280 px wide in headless Chromium:
    ``document.documentElement.scrollWidth`` does not pass the window (wide tables scroll in
    their own wrapper)."""
    pages = [folder / "report.html" for _, folder in _cases(outcomes, written)]
    for page in pages + [written[0] / "report.html"]:
        got = page_width(tmp_path, page, 1280)
        assert int(got["client-width"]) == 1280, got
        assert int(got["scroll-width"]) <= 1280, (page, got)
        assert got["wide"] == "", (page, got["wide"])


def test_several_outcomes_subfolders_and_overview(outcomes, written):
    both, files = written
    for o in outcomes:
        sub = both / outcome_folder_name(o)
        assert (sub / "results.gpkg").exists() and (sub / "report.html").exists()
        assert sub / "report.html" in files
    page = (both / "report.html").read_text(encoding="utf-8")
    for o in outcomes:
        assert f"href='{outcome_folder_name(o)}/report.html'" in page
    # the two overview charts and each option's map beside its figures
    assert page.count("data:image/png;base64,") == 2 + len(outcomes)
    assert "<p class='lead'>The best option by annual cost is" in page
    wb = openpyxl.load_workbook(both / "comparison.xlsx", read_only=True)
    runs = _sheet(wb, "runs")
    assert list(runs.variant) == ["base", "growth"]
    assert runs["total_cost_eur [EUR/yr]"].tolist() == pytest.approx(
        [o.results.kpis["total_cost_eur"] for o in outcomes])
    wb.close()


def test_baseline_not_kept_is_said(outcomes, tmp_path):
    o = copy.copy(outcomes[0])
    del o.baseline_solution, o.baseline_results
    write_reports([o], tmp_path)
    assert len(gpd.read_file(tmp_path / "results.gpkg", layer="baseline_legs")) == 0
    assert "not kept on the Outcome" in (tmp_path / "report.html").read_text(encoding="utf-8")


def test_hub_layer(tmp_path):
    doc = copy.deepcopy(MINI)
    doc["tables"]["nodes"].append({"id": "hub-1", "kind": "hub", "lat": 51.92, "lon": 4.4,
                                   "handling_eur_per_t": 0.5})
    o = run_mod.run_scenario(scenario_from_dict(doc, tmp_path), baseline=False)
    write_reports([o], tmp_path)
    hubs = gpd.read_file(tmp_path / "results.gpkg", layer="hubs")
    assert list(hubs.hub) == ["hub-1"]
    assert hubs.throughput_t.iloc[0] == pytest.approx(o.results.kpis["hub_throughput_t"])
    sites = gpd.read_file(tmp_path / "results.gpkg", layer="sites")
    assert "hub-1" in set(sites.site)
    assert "No baseline was evaluated" in (tmp_path / "report.html").read_text(encoding="utf-8")


@pytest.mark.skipif(not CBS.exists(), reason=f"CBS municipality file not found at {CBS}")
def test_municipalities(outcomes, written):
    for o, folder in _cases(outcomes, written):
        mun = gpd.read_file(folder / "results.gpkg", layer="municipalities")
        csv = pd.read_csv(folder / "municipalities.csv")
        assert len(mun) == len(csv) > 0
        assert csv.trips.tolist() == pytest.approx(mun.trips.tolist())
        legs = leg_table(o.results.legs)
        road = legs[legs["mode"] == "road"]
        # every Westland node lies in Westland: its trips are the legs with an end there
        westland = mun.set_index("statnaam").loc["Westland"]
        ends = road[road["from"].isin(WESTLAND_NODES) | road["to"].isin(WESTLAND_NODES)]
        assert westland.trips_from_or_to == pytest.approx(ends.trips_total.sum())
        # a municipality never counts more trips than there are; through + ending = all
        assert (mun.trips <= road.trips_total.sum() + 1e-6).all()
        assert np.allclose(mun.trips_from_or_to + mun.trips_through, mun.trips)
        # truck-km allocated by the line inside: no more than the total (water is no polygon)
        assert 0.8 * road.truck_km.sum() <= mun.truck_km.sum() <= road.truck_km.sum() + 1e-6
        # NOx likewise (issue 24); the shipped trucks emit 2.779-3.196 g per truck-km
        assert 0.8 * road.nox_kg.sum() <= mun.nox_kg.sum() <= road.nox_kg.sum() + 1e-6
        busy = mun[mun.truck_km > 1.0]
        assert ((busy.nox_kg >= 2.779e-3 * busy.truck_km - 1e-6)
                & (busy.nox_kg <= 3.196e-3 * busy.truck_km + 1e-6)).all()
        assert np.allclose(mun.saving_nox_kg, mun.baseline_nox_kg - mun.nox_kg)
        b0 = o.savings.steps["B0"]
        assert mun.baseline_truck_km.sum() <= b0["truck_km"] + 1e-6
        assert np.allclose(mun.saving_trips, mun.baseline_trips - mun.trips)
