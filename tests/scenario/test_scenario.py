"""Scenario loading and validation: every rule reports file, row (as a spreadsheet user counts)
and column and says what is expected; every table format loads to the same records; variants
patch the scenario as documented; annuity by hand.

Row numbers: in a CSV or XLSX table the header is row 1, so the first record is row 2; inline
YAML rows and variant patch rows count from 1. Scalars in the YAML have no row; their column is
the key path (``periods[1].weight``, ``fix.sites.farm-1``)."""

from __future__ import annotations

import copy
import math
from pathlib import Path

import geopandas
import pandas as pd
import pytest
from shapely.geometry import Point

from clusteropt.errors import Issue, ScenarioError
from clusteropt.lanes import build_lanes
from clusteropt.scenario import annuity, load_scenario, scenario_from_dict

INLINE = "scenario.yaml:tables.{}"
EXAMPLE = Path(__file__).resolve().parents[2] / "scenarios" / "westland-mini.yaml"


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def issues_of(path, variant=None) -> list[Issue]:
    """The issues of a scenario that must fail to load."""
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path, variant)
    assert exc.value.issues, "a ScenarioError must list at least one issue"
    return exc.value.issues


def doc_issues(doc, tmp_path, variant=None) -> list[Issue]:
    with pytest.raises(ScenarioError) as exc:
        scenario_from_dict(doc, base_dir=tmp_path, variant=variant)
    return exc.value.issues


def find(issues: list[Issue], file, row, column, *fragments: str) -> Issue:
    """The issue at (file, row, column) whose message holds every fragment."""
    listing = "\n".join(f"  {i!r}" for i in issues)
    here = [i for i in issues if i.file == file and i.row == row and i.column == column]
    assert here, f"no issue at ({file!r}, row {row}, column {column!r}); got:\n{listing}"
    for issue in here:
        if all(f in issue.message for f in fragments):
            return issue
    raise AssertionError(f"no issue at ({file!r}, {row}, {column!r}) says {fragments}; "
                         f"got:\n{listing}")


def edit(table: str, i: int, **values):
    """Set columns of row ``i`` (0-based) of an inline table; a value of None empties it."""
    def apply(doc):
        doc["tables"][table][i].update(values)
    return apply


def add(table: str, **row):
    def apply(doc):
        doc["tables"][table].append(row)
    return apply


# --------------------------------------------------------------------------------------------
# 1. every rule on a table row: file (CSV), row (header = row 1), column, what is expected
# --------------------------------------------------------------------------------------------

ROW_RULES = [
    # (edits, file, row, column, message fragments)
    pytest.param([edit("demands", 1, id="veg-trader")], "demands.csv", 3, "id",
                 ["duplicate id 'veg-trader'", "row 2"], id="duplicate-id-demands"),
    pytest.param([edit("nodes", 4, id="site-a")], "nodes.csv", 6, "id",
                 ["duplicate id 'site-a'", "row 4"], id="duplicate-id-nodes"),
    pytest.param([edit("activities", 1, node="nowhere")], "activities.csv", 3, "node",
                 ["unknown node 'nowhere'", "nodes table"], id="unknown-node-in-activity-node"),
    pytest.param([edit("activities", 0, candidates="site-a;site-z")], "activities.csv", 2,
                 "candidates", ["unknown node 'site-z'"], id="unknown-node-in-candidates"),
    pytest.param([edit("demands", 0, origin="ghost")], "demands.csv", 2, "origin",
                 ["unknown activity 'ghost'"], id="unknown-activity-origin"),
    pytest.param([edit("demands", 1, destination="ghost")], "demands.csv", 3, "destination",
                 ["unknown activity 'ghost'"], id="unknown-activity-destination"),
    pytest.param([edit("demands", 0, baseline_partner="ghost")], "demands.csv", 2,
                 "baseline_partner", ["unknown activity 'ghost'"],
                 id="unknown-activity-baseline-partner"),
    pytest.param([edit("demands", 0, commodity="fruit")], "demands.csv", 2, "commodity",
                 ["unknown commodity 'fruit'"], id="unknown-commodity"),
    pytest.param([edit("demands", 0, destination="grower")], "demands.csv", 2, "destination",
                 ["origin and destination are the same"], id="origin-equals-destination"),
    pytest.param([edit("demands", 0, origin=None)], "demands.csv", 2, "origin",
                 ["directed demand needs its origin"], id="directed-without-origin"),
    pytest.param([edit("activities", 0, node=None, candidates=None)], "activities.csv", 2,
                 "candidates", ["movable activity needs at least one candidate"],
                 id="movable-without-candidate"),
    pytest.param([edit("activities", 1, candidates="site-a")], "activities.csv", 3,
                 "candidates", ["fixed activity has no candidates", "movable"],
                 id="fixed-with-candidates"),
    pytest.param([edit("demands", 0, tonnes_per_period=-5)], "demands.csv", 2,
                 "tonnes_per_period", ["expected a number ≥ 0", "-5"], id="negative-tonnes"),
    pytest.param([edit("vehicles", 0, payload_t=0)], "vehicles.csv", 2, "payload_t",
                 ["expected a number ≥ 0.001", "got 0"], id="zero-payload"),
    pytest.param([edit("nodes", 2, dev_cost_eur="abc")], "nodes.csv", 4, "dev_cost_eur",
                 ["expected a number", "'abc'"], id="non-numeric-cost"),
    pytest.param([edit("nodes", 3, dev_cost_eur="inf")], "nodes.csv", 5, "dev_cost_eur",
                 ["expected a finite number", "inf"], id="infinite-cost"),
    pytest.param([edit("nodes", 3, cap_ha=-3)], "nodes.csv", 5, "cap_ha",
                 ["expected a finite number ≥ 0", "-3"], id="negative-wide-capacity"),
    pytest.param([edit("activities", 0, size_ha="big")], "activities.csv", 2, "size_ha",
                 ["expected a number", "'big'"], id="non-numeric-wide-size"),
    pytest.param([edit("nodes", 0, kind="factory")], "nodes.csv", 2, "kind",
                 ["'location'", "'site'", "'gateway'", "'hub'", "got 'factory'"],
                 id="bad-enum-kind"),
    pytest.param([edit("demands", 0, kind="sometimes")], "demands.csv", 2, "kind",
                 ["'directed'", "'pooled_supply'", "got 'sometimes'"], id="bad-enum-demand-kind"),
    pytest.param([edit("activities", 0, movable="maybe")], "activities.csv", 2, "movable",
                 ["expected true or false", "'maybe'"], id="bad-boolean"),
    pytest.param([edit("nodes", 0, lat=None, lon=None)], "nodes.csv", 2, "lat",
                 ["coordinates are required", "lat and lon", "x and y"],
                 id="coordinates-missing"),
    pytest.param([edit("nodes", 1, lat=95)], "nodes.csv", 3, "lat",
                 ["between -90 and 90", "95"], id="lat-out-of-range"),
    pytest.param([edit("nodes", 1, lon=200)], "nodes.csv", 3, "lon",
                 ["between -180 and 180", "200"], id="lon-out-of-range"),
    pytest.param([edit("nodes", 0, lat=None, lon=None, place="atlantis")], "nodes.csv", 2,
                 "place", ["unknown place 'atlantis'", "places.csv"], id="unknown-place"),
    pytest.param([edit("vehicles", 0, payload_t=None)], "vehicles.csv", 2, "payload_t",
                 ["trip-priced", "payload in tonnes"], id="trip-vehicle-without-payload"),
    pytest.param([edit("demands", 0, tonnes_month=5)], "demands.csv", None, None,
                 ["column 'tonnes_month' unknown in 1 row", "no period 'month'", "week"],
                 id="tonnes-for-unknown-period"),
    pytest.param([edit("demands", 0, tonnes_per_period=None)], "demands.csv", 2,
                 "tonnes_per_period", ["tonnes for period 'week' missing", "tonnes_week"],
                 id="tonnes-missing"),
    pytest.param([edit("nodes", 0, id="farm 1")], "nodes.csv", 2, "id",
                 ["letters, digits", "'farm 1'"], id="bad-id-characters"),
    pytest.param([edit("commodities", 0, load_class=None)], "commodities.csv", 2, "load_class",
                 ["a value is required"], id="required-column-empty"),
    pytest.param([edit("activities", 0, node=None, new=True, candidates="site-b", size_ha=50)],
                 "activities.csv", 2, "candidates",
                 ["'grower'", "ha=50", "fits in none of its candidates", "site-b"],
                 id="capacity-activity-fits-no-candidate"),
]


@pytest.mark.parametrize(("edits", "file", "row", "column", "fragments"), ROW_RULES)
def test_row_rule_names_file_row_column(mini_doc, write_scenario, edits, file, row, column,
                                        fragments):
    for apply in edits:
        apply(mini_doc)
    issues = issues_of(write_scenario(mini_doc))
    find(issues, file, row, column, *fragments)


def test_mini_scenario_is_valid(mini_doc, write_scenario):
    """The base of every broken case loads from CSV files."""
    sc = load_scenario(write_scenario(mini_doc))
    assert set(sc.nodes) == {"farm-1", "farm-2", "site-a", "site-b", "market"}
    assert sc.activities["grower"].candidates == ["farm-1", "site-a", "site-b"]
    assert sc.demands["veg-trader"].tonnes == {"week": 50.0}


def test_inline_rows_count_from_one(mini_doc, tmp_path):
    mini_doc["tables"]["nodes"][0]["kind"] = "factory"
    mini_doc["tables"]["demands"][1]["tonnes_per_period"] = -5
    issues = doc_issues(mini_doc, tmp_path)
    find(issues, INLINE.format("nodes"), 1, "kind", "got 'factory'")
    find(issues, INLINE.format("demands"), 2, "tonnes_per_period", "≥ 0")


def test_xlsx_rows_count_from_two_and_name_the_sheet(mini_doc, tmp_path):
    rows = mini_doc["tables"]["nodes"]
    rows[1]["kind"] = "factory"
    with pd.ExcelWriter(tmp_path / "nodes.xlsx") as xw:
        pd.DataFrame(rows).to_excel(xw, sheet_name="Nodes", index=False)
    mini_doc["tables"]["nodes"] = "nodes.xlsx#Nodes"
    issues = doc_issues(mini_doc, tmp_path)
    find(issues, "nodes.xlsx[Nodes]", 3, "kind", "got 'factory'")


def test_commodity_no_vehicle_carries(mini_doc, write_scenario):
    mini_doc["tables"]["commodities"].append({"id": "sand", "load_class": "bulk"})
    issues = issues_of(write_scenario(mini_doc))
    issue = find(issues, "commodities.csv", 3, "load_class",
                 "'sand'", "'bulk'", "no vehicle type", "load_classes")
    assert len(issues) == 1, issue


def test_commodity_no_vehicle_carries_names_the_row(mini_doc, write_scenario):
    mini_doc["tables"]["commodities"].append({"id": "sand", "load_class": "bulk"})
    issues = issues_of(write_scenario(mini_doc))
    find(issues, "commodities.csv", 3, "load_class", "'sand'")


def test_bad_value_does_not_make_an_existing_id_unknown(mini_doc, write_scenario):
    mini_doc["tables"]["nodes"][2]["dev_cost_eur"] = "abc"
    issues = issues_of(write_scenario(mini_doc))
    assert [i for i in issues if "unknown node 'site-a'" in i.message] == [], issues


# --------------------------------------------------------------------------------------------
# 1b. rules on the YAML itself: the file, the key path as the column
# --------------------------------------------------------------------------------------------


def test_unknown_top_level_key(mini_doc, write_scenario):
    mini_doc["solver"] = "HiGHS"
    issues = issues_of(write_scenario(mini_doc))
    find(issues, "scenario.yaml", None, "solver", "unknown key", "'options'", "'tables'")


def test_unknown_table_name(mini_doc, write_scenario):
    mini_doc["tables"]["roads"] = [{"id": "r1"}]
    issues = issues_of(write_scenario(mini_doc))
    find(issues, "scenario.yaml", None, "tables.roads", "unknown table", "'nodes'", "'vehicles'")


@pytest.mark.parametrize("table", ["nodes", "activities", "commodities", "demands"])
def test_missing_required_table(mini_doc, write_scenario, table):
    del mini_doc["tables"][table]
    issues = issues_of(write_scenario(mini_doc, csv=()))
    find(issues, "scenario.yaml", None, f"tables.{table}", "required")


def test_vehicles_table_is_optional(mini_doc, tmp_path):
    del mini_doc["tables"]["vehicles"]
    sc = scenario_from_dict(mini_doc, base_dir=tmp_path)
    assert sc.vehicles and any(v.carries("chilled") for v in sc.vehicles.values())


def test_missing_table_file(mini_doc, tmp_path):
    mini_doc["tables"]["nodes"] = "missing.csv"
    issues = doc_issues(mini_doc, tmp_path)
    find(issues, "missing.csv", None, None, "file not found")


def test_bad_yaml_names_the_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\ntables:\n  nodes: nodes.csv\n  activities: [{id: a, node: n1}\n"
                    "  commodities: c.csv\n", encoding="utf-8")
    (issue,) = issues_of(path)
    assert issue.file.endswith("broken.yaml")
    assert issue.row in (4, 5)  # the unclosed list opens on line 4, the parser stops on 5
    assert "not valid YAML" in issue.message and "line 4" in issue.message


def test_yaml_that_is_not_a_mapping(tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text("- a\n- b\n", encoding="utf-8")
    (issue,) = issues_of(path)
    assert "expected a mapping" in issue.message


def test_missing_scenario_file(tmp_path):
    (issue,) = issues_of(tmp_path / "nope.yaml")
    assert "nope.yaml" in issue.file and "not found" in issue.message


@pytest.mark.parametrize("weight", [0, -1])
def test_period_weight_must_be_positive(mini_doc, write_scenario, weight):
    mini_doc["periods"] = [{"id": "week", "weight": weight}]
    issues = issues_of(write_scenario(mini_doc))
    find(issues, "scenario.yaml", None, "periods[1].weight", "> 0", str(weight))


def test_period_ids_unique(mini_doc, tmp_path):
    mini_doc["periods"] = [{"id": "week", "weight": 40}, {"id": "week", "weight": 12}]
    find(doc_issues(mini_doc, tmp_path), "scenario.yaml", None, "periods", "unique")


def test_interest_rate_out_of_range(mini_doc, tmp_path):
    mini_doc["interest_rate"] = 5
    find(doc_issues(mini_doc, tmp_path), "scenario.yaml", None, "interest_rate",
         "between 0 and 1", "5")


def test_unknown_option(mini_doc, tmp_path):
    mini_doc["options"]["speed"] = "fast"
    find(doc_issues(mini_doc, tmp_path), "scenario.yaml", None, "options.speed")


def test_fix_placement_to_a_non_candidate(mini_doc, write_scenario):
    mini_doc["fix"] = {"placement": {"grower": "market"}}
    issues = issues_of(write_scenario(mini_doc))
    find(issues, "scenario.yaml", None, "fix.placement.grower",
         "'market'", "not among its candidates", "site-a")


def test_fix_placement_of_unknown_activity(mini_doc, tmp_path):
    mini_doc["fix"] = {"placement": {"ghost": "site-a"}}
    find(doc_issues(mini_doc, tmp_path), "scenario.yaml", None, "fix.placement.ghost",
         "unknown activity")


@pytest.mark.parametrize("node", ["farm-1", "nowhere"])
def test_fix_sites_on_a_non_site(mini_doc, write_scenario, node):
    mini_doc["fix"] = {"sites": {node: "open"}}
    issues = issues_of(write_scenario(mini_doc))
    find(issues, "scenario.yaml", None, f"fix.sites.{node}", "not a site")


def test_fix_sites_bad_state(mini_doc, tmp_path):
    mini_doc["fix"] = {"sites": {"site-a": "shut"}}
    find(doc_issues(mini_doc, tmp_path), "scenario.yaml", None, "fix.sites.site-a",
         "'open'", "'closed'", "'shut'")


# --------------------------------------------------------------------------------------------
# 1c. capacity pre-checks (no solve)
# --------------------------------------------------------------------------------------------


def test_capacity_new_activities_exceed_their_sites(mini_doc, write_scenario):
    """Each new activity fits site-b (40 ha) alone; together (30 + 25) they are 15 ha short."""
    mini_doc["tables"]["activities"] += [
        {"id": "new-1", "movable": True, "new": True, "candidates": "site-b", "size_ha": 30},
        {"id": "new-2", "movable": True, "new": True, "candidates": "site-b", "size_ha": 25},
    ]
    issues = issues_of(write_scenario(mini_doc))
    (issue,) = [i for i in issues if i.column == "size_ha"]
    for fragment in ("55", "site-b", "40", "short by 15"):
        assert fragment in issue.message, issue
    assert not [i for i in issues if "fits in none" in i.message]


def test_capacity_pooled_supply_exceeds_acceptors(mini_doc, write_scenario):
    """30 t of waste offered, acceptors take 10 + 5 t, no disposal cost: short by 15 t."""
    t = mini_doc["tables"]
    t["commodities"].append({"id": "waste", "load_class": "chilled"})
    t["demands"].append({"id": "waste-out", "kind": "pooled_supply", "origin": "grower",
                         "commodity": "waste", "tonnes_per_period": 30})
    t["activities"][2]["accept_waste"] = 10
    t["nodes"][4]["accept_waste"] = 5
    issues = issues_of(write_scenario(mini_doc))
    (issue,) = issues
    assert issue.column == "disposal_cost_eur_per_t"
    for fragment in ("'waste'", "30 t", "15 t", "short by 15 t", "disposal_cost_eur_per_t"):
        assert fragment in issue.message, issue
    # with a disposal outlet the surplus has somewhere to go
    t["commodities"][1]["disposal_cost_eur_per_t"] = 40
    assert load_scenario(write_scenario(mini_doc)).demands["waste-out"].kind == "pooled_supply"


def test_capacity_prechecks_name_the_file(mini_doc, write_scenario):
    t = mini_doc["tables"]
    t["activities"] += [
        {"id": "new-1", "movable": True, "new": True, "candidates": "site-b", "size_ha": 30},
        {"id": "new-2", "movable": True, "new": True, "candidates": "site-b", "size_ha": 25},
    ]
    t["commodities"].append({"id": "waste", "load_class": "chilled"})
    t["demands"].append({"id": "waste-out", "kind": "pooled_supply", "origin": "grower",
                         "commodity": "waste", "tonnes_per_period": 30})
    issues = issues_of(write_scenario(mini_doc))
    find(issues, "activities.csv", None, "size_ha", "short by 15")
    find(issues, "commodities.csv", None, "disposal_cost_eur_per_t", "short by 30 t")


def test_movable_activity_with_stay_node_always_fits(mini_doc, tmp_path):
    """A movable activity larger than every candidate may still stay where it is."""
    mini_doc["tables"]["activities"][0]["size_ha"] = 100
    sc = scenario_from_dict(mini_doc, base_dir=tmp_path)
    assert sc.activities["grower"].size == {"ha": 100.0}


# --------------------------------------------------------------------------------------------
# 1d. point outside the CRS's area of use (found when lanes are built)
# --------------------------------------------------------------------------------------------


def test_point_outside_crs_area_of_use(mini_doc, tmp_path):
    mini_doc["tables"]["nodes"][1].update(lat=40.71, lon=-74.0)  # New York in EPSG:28992
    sc = scenario_from_dict(mini_doc, base_dir=tmp_path)
    with pytest.raises(ScenarioError) as exc:
        build_lanes(sc)
    (issue,) = exc.value.issues
    assert issue.column == "lat"
    for fragment in ("area of use", "EPSG:28992", "farm-2"):
        assert fragment in issue.message, issue


def test_point_outside_crs_area_names_file_and_row(mini_doc, write_scenario):
    mini_doc["tables"]["nodes"][1].update(lat=40.71, lon=-74.0)
    sc = load_scenario(write_scenario(mini_doc))
    with pytest.raises(ScenarioError) as exc:
        build_lanes(sc)
    find(exc.value.issues, "nodes.csv", 3, "lat", "area of use")


# --------------------------------------------------------------------------------------------
# 1e. several problems in one load are reported together
# --------------------------------------------------------------------------------------------


def test_several_errors_reported_together(mini_doc, write_scenario):
    t = mini_doc["tables"]
    t["nodes"][0]["kind"] = "factory"
    t["demands"][0]["tonnes_per_period"] = -5
    t["demands"][1]["commodity"] = "fruit"
    t["vehicles"][0]["payload_t"] = 0
    issues = issues_of(write_scenario(mini_doc))
    assert len(issues) >= 4
    find(issues, "nodes.csv", 2, "kind", "factory")
    find(issues, "demands.csv", 2, "tonnes_per_period", "≥ 0")
    find(issues, "demands.csv", 3, "commodity", "fruit")
    find(issues, "vehicles.csv", 2, "payload_t", "≥ 0.001")


def test_several_errors_in_one_table(mini_doc, tmp_path):
    mini_doc["tables"]["demands"][0]["origin"] = "ghost"
    mini_doc["tables"]["demands"][1]["destination"] = "grower"
    mini_doc["tables"]["demands"][1]["origin"] = "grower"
    issues = doc_issues(mini_doc, tmp_path)
    assert len(issues) >= 2
    find(issues, INLINE.format("demands"), 1, "origin", "'ghost'")
    find(issues, INLINE.format("demands"), 2, "destination", "same activity")


def test_scenario_error_str_has_every_location(mini_doc, tmp_path):
    mini_doc["tables"]["nodes"][0]["kind"] = "factory"
    mini_doc["tables"]["demands"][1]["tonnes_per_period"] = -5
    with pytest.raises(ScenarioError) as exc:
        scenario_from_dict(mini_doc, base_dir=tmp_path)
    text = str(exc.value)
    assert "scenario.yaml:tables.nodes, row 1, column 'kind': expected" in text
    assert "scenario.yaml:tables.demands, row 2, column 'tonnes_per_period'" in text


# --------------------------------------------------------------------------------------------
# 3. every table format gives the same records
# --------------------------------------------------------------------------------------------


def _node_gdf(rows) -> geopandas.GeoDataFrame:
    attrs = [{k: v for k, v in r.items() if k not in ("lat", "lon")} for r in rows]
    geometry = [Point(r["lon"], r["lat"]) for r in rows]
    return geopandas.GeoDataFrame(pd.DataFrame(attrs), geometry=geometry, crs="EPSG:4326")


def test_every_table_format_loads_the_same_nodes(mini_doc, tmp_path):
    rows = mini_doc["tables"]["nodes"]
    for r in rows:
        r["name"] = f"Node {r['id']} – Zoë"  # non-ASCII text survives every format
    reference = scenario_from_dict(copy.deepcopy(mini_doc), base_dir=tmp_path)  # inline

    frame = pd.DataFrame(rows)
    frame.to_csv(tmp_path / "nodes.csv", index=False)
    with pd.ExcelWriter(tmp_path / "nodes.xlsx") as xw:
        pd.DataFrame({"note": ["not this sheet"]}).to_excel(xw, sheet_name="Notes", index=False)
        frame.to_excel(xw, sheet_name="Nodes", index=False)
    gdf = _node_gdf(rows)
    gdf.to_file(tmp_path / "nodes.geojson", driver="GeoJSON")
    other = geopandas.GeoDataFrame({"id": ["x"]}, geometry=[Point(5, 52)], crs="EPSG:4326")
    other.to_file(tmp_path / "nodes.gpkg", layer="other", driver="GPKG")
    gdf.to_file(tmp_path / "nodes.gpkg", layer="nodes", driver="GPKG")

    specs = {
        "csv": "nodes.csv",
        "xlsx": "nodes.xlsx#Nodes",
        "xlsx-mapping": {"file": "nodes.xlsx", "sheet": "Nodes"},
        "geojson": "nodes.geojson",
        "gpkg": {"file": "nodes.gpkg", "layer": "nodes"},
        "gpkg-hash": "nodes.gpkg#nodes",
    }
    for fmt, spec in specs.items():
        doc = copy.deepcopy(mini_doc)
        doc["tables"]["nodes"] = spec
        sc = scenario_from_dict(doc, base_dir=tmp_path)
        assert sc.nodes == reference.nodes, fmt
        assert list(sc.nodes) == list(reference.nodes), fmt
        assert sc.activities == reference.activities, fmt
    assert reference.nodes["site-a"].capacity == {"ha": 60.0}
    assert reference.nodes["farm-1"].capacity == {}
    assert reference.nodes["site-a"].name == "Node site-a – Zoë"


def test_whole_scenario_from_csv_equals_inline(mini_doc, write_scenario, tmp_path):
    inline = scenario_from_dict(copy.deepcopy(mini_doc), base_dir=tmp_path)
    from_csv = load_scenario(write_scenario(mini_doc))
    for table in ("nodes", "activities", "commodities", "demands", "vehicles"):
        assert getattr(from_csv, table) == getattr(inline, table), table


# --------------------------------------------------------------------------------------------
# 4. variants
# --------------------------------------------------------------------------------------------

VARIANTS = {
    "dearer-money": {"description": "A higher interest rate.", "interest_rate": 0.08},
    "looser-gap": {"options": {"gap_rel": 0.05}},
    "smaller-b": {"tables": {"nodes": [{"id": "site-b", "cap_ha": 25}]}},
    "only-a": {"tables": {"activities": [{"id": "grower", "candidates": "site-a"}]}},
    "new-site": {"tables": {
        "nodes": [{"id": "site-c", "kind": "site", "lat": 51.9, "lon": 4.4, "cap_ha": 30,
                   "dev_cost_eur": 500000}],
        "activities": [{"id": "grower", "candidates": "site-a;site-c"}],
    }},
    "no-packer-flow": {"tables": {"demands": [{"id": "veg-packer", "drop": True}]}},
    "locked": {"fix": {"placement": {"grower": "site-a"}, "sites": {"site-b": "closed"}}},
}


@pytest.fixture
def variant_path(mini_doc, write_scenario):
    mini_doc["variants"] = copy.deepcopy(VARIANTS)
    return write_scenario(mini_doc)


def test_base_ignores_variants(variant_path):
    sc = load_scenario(variant_path)
    assert sc.variant is None
    assert sc.variants == list(VARIANTS)
    assert sc.interest_rate == 0.05
    assert sc.nodes["site-b"].capacity == {"ha": 40.0}
    assert set(sc.demands) == {"veg-trader", "veg-packer"}
    assert sc.fix.placement == {} and sc.fix.sites == {}


def test_variant_replaces_a_scalar(variant_path):
    sc = load_scenario(variant_path, "dearer-money")
    assert sc.variant == "dearer-money"
    assert sc.interest_rate == 0.08
    assert sc.lifetime_years == 10
    assert sc.annuity(1000) == pytest.approx(annuity(1000, 0.08, 10))


def test_variant_merges_options(variant_path):
    base = load_scenario(variant_path)
    sc = load_scenario(variant_path, "looser-gap")
    assert sc.options.gap_rel == 0.05
    assert sc.options.time_limit_s == 30  # set in the base, kept
    assert sc.options.model_dump(exclude={"gap_rel"}) == base.options.model_dump(
        exclude={"gap_rel"})


def test_variant_changes_a_site_capacity_by_id(variant_path):
    base = load_scenario(variant_path)
    sc = load_scenario(variant_path, "smaller-b")
    assert sc.nodes["site-b"].capacity == {"ha": 25.0}
    assert sc.nodes["site-a"] == base.nodes["site-a"]
    unchanged = {k: v for k, v in vars(sc.nodes["site-b"]).items() if k != "capacity"}
    assert unchanged == {k: v for k, v in vars(base.nodes["site-b"]).items() if k != "capacity"}


def test_variant_restricts_candidates(variant_path):
    sc = load_scenario(variant_path, "only-a")
    assert sc.activities["grower"].candidates == ["farm-1", "site-a"]  # stay node kept
    assert sc.activities["grower"].size == {"ha": 10.0}


def test_variant_adds_a_node_row(variant_path):
    base = load_scenario(variant_path)
    sc = load_scenario(variant_path, "new-site")
    assert list(sc.nodes) == [*base.nodes, "site-c"]
    c = sc.nodes["site-c"]
    assert (c.kind, c.lat, c.lon, c.capacity, c.dev_cost_eur) == (
        "site", 51.9, 4.4, {"ha": 30.0}, 500000.0)
    assert sc.activities["grower"].candidates == ["farm-1", "site-a", "site-c"]


def test_variant_drops_a_demand_row(variant_path):
    sc = load_scenario(variant_path, "no-packer-flow")
    assert list(sc.demands) == ["veg-trader"]


def test_variant_fixes_placement_and_closes_a_site(variant_path):
    sc = load_scenario(variant_path, "locked")
    assert sc.fix.placement == {"grower": "site-a"}
    assert sc.fix.sites == {"site-b": "closed"}


def test_variant_fix_merges_with_base_fix(mini_doc, tmp_path):
    mini_doc["fix"] = {"sites": {"site-a": "open"}}
    mini_doc["variants"] = {"close-b": {"fix": {"sites": {"site-b": "closed"}}}}
    sc = scenario_from_dict(mini_doc, base_dir=tmp_path, variant="close-b")
    assert sc.fix.sites == {"site-a": "open", "site-b": "closed"}


def test_example_growth_variant():
    base = load_scenario(EXAMPLE)
    sc = load_scenario(EXAMPLE, "growth")
    assert base.activities["grower-pepper"].size == {"ha": 20.0}
    assert sc.activities["grower-pepper"].size == {"ha": 30.0}
    assert sc.demands["pepper-trader"].tonnes == {"week": 135.0}
    assert sc.activities["grower-tomato"] == base.activities["grower-tomato"]


def test_unknown_variant_lists_the_variants(variant_path):
    (issue,) = issues_of(variant_path, "nope")
    assert issue.column == "variants"
    assert "'nope'" in issue.message
    for name in VARIANTS:
        assert name in issue.message


def test_variant_drop_of_a_missing_row(mini_doc, write_scenario):
    mini_doc["variants"] = {"bad-drop": {"tables": {"demands": [
        {"id": "veg-packer", "drop": True}, {"id": "ghost", "drop": True}]}}}
    issues = issues_of(write_scenario(mini_doc), "bad-drop")
    find(issues, "scenario.yaml:variants.bad-drop:tables.demands", 2, "id",
         "cannot drop 'ghost'", "no such row")


def test_error_in_an_added_variant_row_names_the_variant(mini_doc, write_scenario):
    mini_doc["variants"] = {"bad-row": {"tables": {"nodes": [
        {"id": "site-b", "cap_ha": 30},
        {"id": "site-c", "kind": "factory", "lat": 51.9, "lon": 4.4},
    ]}}}
    path = write_scenario(mini_doc)
    load_scenario(path)  # the base is fine
    issues = issues_of(path, "bad-row")
    find(issues, "scenario.yaml:variants.bad-row:tables.nodes", 2, "kind", "got 'factory'")


def test_unknown_key_in_a_variant(mini_doc, tmp_path):
    mini_doc["variants"] = {"odd": {"solver": "x"}}
    issues = doc_issues(mini_doc, tmp_path, variant="odd")
    find(issues, "scenario.yaml:variants.odd", None, "solver", "unknown key in a variant")


def test_variant_patch_of_an_unknown_table(mini_doc, tmp_path):
    mini_doc["variants"] = {"odd": {"tables": {"roads": [{"id": "r"}]}}}
    issues = doc_issues(mini_doc, tmp_path, variant="odd")
    find(issues, "scenario.yaml:variants.odd", None, "tables.roads", "no table")


def test_error_in_a_patched_variant_row_names_the_variant(mini_doc, write_scenario):
    mini_doc["variants"] = {"bad-patch": {"tables": {"demands": [
        {"id": "veg-trader", "tonnes_per_period": -5}]}}}
    issues = issues_of(write_scenario(mini_doc), "bad-patch")
    (issue,) = issues
    assert "variants.bad-patch" in issue.file, issue


def test_variant_fix_that_is_not_a_mapping(mini_doc, tmp_path):
    mini_doc["variants"] = {"odd": {"fix": {"sites": ["site-b"]}}}
    issues = doc_issues(mini_doc, tmp_path, variant="odd")
    assert any("fix.sites" in (i.column or "") for i in issues)


def test_variant_patches_numeric_ids(mini_doc, write_scenario):
    t = mini_doc["tables"]
    t["commodities"] = [{"id": 101, "load_class": "chilled"}, {"id": 102, "load_class": "chilled"}]
    for d in t["demands"]:
        d["commodity"] = 101
    mini_doc["variants"] = {"drop-102": {"tables": {"commodities": [{"id": 102, "drop": True}]}},
                            "bulk-101": {"tables": {"commodities": [
                                {"id": 101, "internal_cost_eur_per_t": 2}]}}}
    path = write_scenario(mini_doc)
    assert set(load_scenario(path).commodities) == {"101", "102"}
    assert set(load_scenario(path, "drop-102").commodities) == {"101"}
    assert load_scenario(path, "bulk-101").commodities["101"].internal_cost_eur_per_t == 2


def test_variant_drop_false_as_text_keeps_the_row(mini_doc, tmp_path):
    mini_doc["variants"] = {"keep": {"tables": {"demands": [
        {"id": "veg-packer", "drop": "false"}]}}}
    sc = scenario_from_dict(mini_doc, base_dir=tmp_path, variant="keep")
    assert set(sc.demands) == {"veg-trader", "veg-packer"}


# --------------------------------------------------------------------------------------------
# 5. annuity
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("c", "i", "n", "expected"), [
    (1000, 0.05, 10, 129.5046),     # 1000 · 0.05 / (1 − 1.05^−10)
    (1000, 0.0, 10, 100.0),         # i = 0: C / n
    (1000, 0.05, 1, 1050.0),        # one year: C · (1 + i)
    (2_500_000, 0.04, 20, 183954.37),
    (0, 0.05, 10, 0.0),
])
def test_annuity_by_hand(c, i, n, expected):
    assert annuity(c, i, n) == pytest.approx(expected, abs=1e-2 if c > 1000 else 1e-4)


def test_scenario_annuity_uses_its_rate_and_lifetime(mini_doc, tmp_path):
    sc = scenario_from_dict(mini_doc, base_dir=tmp_path)
    assert sc.annuity(1000) == pytest.approx(129.5046, abs=1e-4)
    mini_doc["interest_rate"] = 0
    sc0 = scenario_from_dict(mini_doc, base_dir=tmp_path)
    assert sc0.annuity(1000) == pytest.approx(100.0)
    assert math.isclose(sc0.annuity(0), 0.0)
