"""Shared fixtures: a small valid scenario (inline tables) and a writer that puts it on disk.

The tests are grouped by feature (model/, check/, scenario/, report/, cases/, run/); the shared
factories (``factories.py``, ``tiny.py``) live here in tests/, which is put on the import
path for every group."""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from skipsummary import pytest_terminal_summary  # noqa: E402, F401 - the run says what it skipped

# Two growers' sites, two development sites (60 and 40 ha), a market; one movable grower.
MINI = {
    "name": "mini",
    "crs": "EPSG:28992",
    "periods": [{"id": "week", "weight": 52}],
    "interest_rate": 0.05,
    "lifetime_years": 10,
    "options": {"time_limit_s": 30, "gap_rel": 0.01},
    "tables": {
        "nodes": [
            {"id": "farm-1", "kind": "location", "lat": 52.0, "lon": 4.2},
            {"id": "farm-2", "kind": "location", "lat": 51.98, "lon": 4.25},
            {"id": "site-a", "kind": "site", "lat": 51.95, "lon": 4.35, "cap_ha": 60,
             "dev_cost_eur": 1000000},
            {"id": "site-b", "kind": "site", "lat": 51.93, "lon": 4.3, "cap_ha": 40,
             "dev_cost_eur": 800000},
            {"id": "market", "kind": "location", "lat": 51.85, "lon": 4.5},
        ],
        "activities": [
            {"id": "grower", "node": "farm-1", "movable": True, "candidates": "site-a;site-b",
             "size_ha": 10},
            {"id": "packer", "node": "farm-2", "movable": False},
            {"id": "trader", "node": "market", "movable": False},
        ],
        "commodities": [{"id": "veg", "load_class": "chilled"}],
        "demands": [
            {"id": "veg-trader", "kind": "directed", "origin": "grower", "destination": "trader",
             "commodity": "veg", "tonnes_per_period": 50},
            {"id": "veg-packer", "kind": "directed", "origin": "grower", "destination": "packer",
             "commodity": "veg", "tonnes_per_period": 20},
        ],
        "vehicles": [{"id": "truck", "pricing": "trip", "payload_t": 26, "cost_eur_per_km": 1.2,
                      "load_classes": "chilled"}],
    },
}


@pytest.fixture
def mini_doc() -> dict:
    """A fresh deep copy of the valid mini scenario, tables inline."""
    return copy.deepcopy(MINI)


@pytest.fixture
def write_scenario(tmp_path):
    """``write(doc, csv=("nodes", ...))`` writes the tables named in ``csv`` as
    ``<table>.csv`` (header row 1, first record row 2) and the doc as ``scenario.yaml``
    in ``tmp_path``; returns the YAML path."""

    def write(doc: dict, csv=tuple(MINI["tables"]), name: str = "scenario.yaml") -> Path:
        doc = copy.deepcopy(doc)
        for table in csv:
            pd.DataFrame(doc["tables"][table]).to_csv(tmp_path / f"{table}.csv", index=False)
            doc["tables"][table] = f"{table}.csv"
        path = tmp_path / name
        path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        return path

    return write
