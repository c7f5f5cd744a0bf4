"""The scenario schema as data (clusteropt/schema.csv) is the one place of every field's type,
range, default, unit and description: the docs tables, the record models, the value checks,
the sweep ranges and the `init` comments all come from it."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from clusteropt import defaults, schema
from clusteropt.errors import ScenarioError
from clusteropt.scenario import scenario_from_dict
from clusteropt.sweep import Param
from clusteropt.template import columns_block, options_block

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "scenarios.md"


def test_docs_tables_agree_with_the_schema():
    stale = schema.sync_docs(DOCS)
    assert not stale, (f"docs/scenarios.md differs from clusteropt/schema.csv in {stale}; run "
                       f"python -m clusteropt.schema docs/scenarios.md")
    text = DOCS.read_text(encoding="utf-8")
    for table in (*schema.TABLES, "distance", "options", "site_rules", "hubs"):
        assert f"<!-- schema:{table} -->" in text, table


def test_a_changed_schema_makes_the_docs_stale(tmp_path, monkeypatch):
    copy = tmp_path / "scenarios.md"
    copy.write_text(DOCS.read_text(encoding="utf-8"), encoding="utf-8")
    f = schema.field("vehicles", "payload_t")
    changed = [x if x is not f else type(f)(**{**f.__dict__, "unit": "kg"})
               for x in schema.fields("vehicles")]
    monkeypatch.setitem(schema.schema(), "vehicles", changed)
    assert schema.sync_docs(copy) == ["vehicles"]


def test_every_field_is_well_formed():
    kinds = {"text", "id", "list", "path", "number", "integer", "bool", "choice"}
    for table, fields in schema.schema().items():
        names = [f.column for f in fields]
        assert len(names) == len(set(names)), table
        for f in fields:
            assert f.kind in kinds, (table, f.column)
            assert f.description, (table, f.column)
            assert not (f.kind == "choice" and not f.choices), (table, f.column)
            if f.factor:  # a default from data/factors.csv must exist there and be in range
                assert f.check(float(defaults.factor(f.factor))) is None, (table, f.column)
            if f.default is not None:
                assert f.check(f.default) is None, (table, f.column, f.default)


def test_models_carry_the_schema_defaults_and_types():
    for table in schema.schema():
        model = schema.model(table)
        for f in schema.plain(table):
            info = model.model_fields[f.column]
            assert info.is_required() == f.required, (table, f.column)
            if not f.required:
                assert info.default == f.default, (table, f.column)


@pytest.mark.parametrize("table, column, bad, good", [
    ("vehicles", "payload_t", 0, 26), ("vehicles", "empty_share", 1.0, 0.27),
    ("nodes", "lat", 91, 52), ("options", "gap_rel", -0.1, 0.001),
    ("options", "time_limit_s", math.nan, 60), ("distance", "circuity", 0.9, 1.3),
    ("hubs", "max_per_route", 3, 2), ("facilities", "max_modules", 2.5, 3),
    ("scenario", "interest_rate", 1.5, 0.04), ("activities", "size_<dim>", -1, 5),
])
def test_checks_come_from_the_ranges(table, column, bad, good):
    f = schema.field(table, column)
    assert f.check(bad) is not None and f.check(good) is None
    assert f.check(math.inf) is not None


def _doc(**options):
    return {"name": "s", "options": options, "distance": {"method": "matrix",
                                                         "file": "lanes.csv"},
            "tables": {"nodes": [{"id": "a"}, {"id": "b"}],
                       "activities": [{"id": "f", "node": "a"}, {"id": "g", "node": "b"}],
                       "commodities": [{"id": "k", "load_class": "food"}],
                       "demands": [{"id": "d", "origin": "f", "destination": "g",
                                    "commodity": "k", "tonnes_per_period": 1}],
                       "vehicles": [{"id": "t", "payload_t": 10}]}}


@pytest.mark.parametrize("key, value", [("time_limit_s", float("nan")), ("gap_rel", -1),
                                        ("check_tolerance", float("inf")),
                                        ("empty_share", 1.0), ("empty_k_nearest", -2)])
def test_the_loader_applies_the_schema_to_options(tmp_path, key, value):
    (tmp_path / "lanes.csv").write_text("from,to,distance_km\na,b,1\nb,a,1\n")
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(_doc(**{key: value}), base_dir=tmp_path)
    assert any(i.column == f"options.{key}" for i in err.value.issues), err.value.issues


def test_sweep_ranges_are_the_schemas():
    assert Param.parse("vehicle:truck.payload_t").check(0) == \
        "vehicle:truck.payload_t = 0: " + schema.field("vehicles", "payload_t").check(0)
    assert Param.parse("circuity").check(3.5).endswith(
        schema.field("distance", "circuity").check(3.5))
    assert Param.parse("site:s.cap_ha").check(-1) is not None
    assert Param.parse("empty_share").check(0.5) is None


def test_init_comments_list_the_schema():
    block = options_block()
    for f in schema.plain("options"):
        assert f"{f.column}:" in block, f.column
    cols = columns_block()
    for table in schema.TABLES:
        for f in schema.fields(table):
            assert f.column in cols, (table, f.column)
