"""The shipped A1-corridor-at-scale tables (``data/a1-corridor-farms``, written by
``scripts/make_a1.py --farms``) against the figures their README sources:

* the farms per province and animal type are the sourced counts (pigs from the province pig
  counts and the national pigs per farm; poultry split by the national broiler/layer farm
  shares; veal from the national count);
* every farm lies inside its province (the shipped CBS outline);
* the tables are what the script writes (regenerated into a temporary folder, byte-equal);
* the scenario loads, with one activity per farm.
"""

from __future__ import annotations

import csv
import filecmp
import importlib.util
import json
import sys
from collections import Counter
from pathlib import Path

from shapely.geometry import Point, shape

from clusteropt.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data" / "a1-corridor-farms"


def _farms() -> list[dict]:
    with open(DATA / "farms.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_counts_are_the_sourced_ones():
    got = Counter((r["village"], r["animal"]) for r in _farms())
    per_farm = 11_300_000 / 3_273
    assert got["Gelderland", "pig"] == round(1_800_000 / per_farm) == 521
    assert got["Overijssel", "pig"] == round(1_500_000 / per_farm) == 434
    assert got["Gelderland", "broiler"] + got["Gelderland", "layer"] == 444
    assert got["Overijssel", "broiler"] + got["Overijssel", "layer"] == 247
    assert got["Gelderland", "broiler"] == round(444 * 888 / 1938)
    assert got["Gelderland", "veal"] == 810 and got["Overijssel", "veal"] == 162
    assert sum(got.values()) == 2_618


def test_every_farm_lies_in_its_province():
    doc = json.loads((ROOT / "data" / "boundaries" / "provinces_2025.geojson").read_text())
    poly = {f["properties"]["statnaam"]: shape(f["geometry"]) for f in doc["features"]}
    with open(DATA / "nodes.csv", newline="", encoding="utf-8") as f:
        at = {r["id"]: (float(r["lon"]), float(r["lat"])) for r in csv.DictReader(f)}
    outside = [r["id"] for r in _farms()
               if not poly[r["village"]].buffer(1e-3).contains(Point(at[r["id"]]))]
    assert not outside, outside[:5]


def test_tables_are_what_the_script_writes(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "scripts"))
    spec = importlib.util.spec_from_file_location("make_a1_check", ROOT / "scripts" /
                                                  "make_a1.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    farms_mod = sys.modules.get("make_a1_farms") or importlib.import_module("make_a1_farms")
    mod.write_case(farms_mod.corridor_farms(mod.np.random.default_rng(mod.SEED)), tmp_path,
                   "farms", feed_max_h=mod.FARMS_FEED_MAX_H)
    names = sorted(p.name for p in DATA.glob("*.csv"))
    match, mismatch, errors = filecmp.cmpfiles(DATA, tmp_path, names, shallow=False)
    assert not mismatch and not errors, (mismatch, errors)


def test_scenario_loads_with_one_activity_per_farm():
    sc = load_scenario(ROOT / "scenarios" / "large" / "a1-corridor-farms.yaml")
    farms = {r["id"] for r in _farms()}
    assert farms <= set(sc.activities)
    assert {n for n, node in sc.nodes.items() if node.kind == "site"} == {
        "proc-gv", "proc-vi", "proc-tw", "proc-central"}
