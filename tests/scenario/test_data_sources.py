"""Every shipped default in data/*.csv has its source (issue 24, item 5): a source column with
a value in every row, a reliability tag, and a line in data/README.md."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

DATA = Path(__file__).resolve().parents[2] / "data"
README = (DATA / "README.md").read_text(encoding="utf-8")
TAGS = {"P", "S", "D", "W", "A"}
TAG_IN_TEXT = re.compile(r"\[(P|S|D|W|A)\]")
SHIPPED = sorted(DATA.glob("*.csv"))


def test_the_shipped_tables_are_the_ones_checked():
    assert {p.name for p in SHIPPED} >= {"factors.csv", "vehicle_types.csv",
                                         "energy_carriers.csv", "places.csv"}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_row_has_a_source(path):
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert "source" in table.columns, f"{path.name} has no source column"
    empty = table.index[table.source.str.strip() == ""].tolist()
    assert not empty, f"{path.name}: rows {[i + 2 for i in empty]} have no source"


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_number_is_tagged(path):
    """A tag column (factors, carriers) or a tag in the source text of every row that holds
    numbers other than coordinates (vehicle types)."""
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    if "tag" in table.columns:
        bad = table[~table.tag.isin(TAGS)]
        assert bad.empty, f"{path.name}: rows {list(bad.index + 2)} have tag outside {TAGS}"
        return
    if path.name == "places.csv":  # coordinates: the licence and proxies in places.md
        return
    untagged = [i + 2 for i, s in enumerate(table.source) if not TAG_IN_TEXT.search(s)]
    assert not untagged, f"{path.name}: rows {untagged} have no [P]/[S]/[D]/[W]/[A] tag"


def test_the_readme_lists_every_key_carrier_vehicle_type_and_column():
    factors = pd.read_csv(DATA / "factors.csv")
    carriers = pd.read_csv(DATA / "energy_carriers.csv")
    vehicles = pd.read_csv(DATA / "vehicle_types.csv")
    more = pd.read_csv(DATA / "vehicle_types_more.csv")
    assert list(more.columns) == list(vehicles.columns)
    vehicles = pd.concat([vehicles, more])
    missing = [k for k in factors.key if f"| {k} |" not in README]
    missing += [c for c in carriers.carrier if f"`{c}`" not in README]
    missing += [v for v in vehicles.id if f"`{v}`" not in README]
    missing += [c for c in vehicles.columns if f"`{c}`" not in README]
    assert not missing, f"data/README.md does not list {missing}"


def test_the_readme_gives_each_carrier_its_numbers():
    carriers = pd.read_csv(DATA / "energy_carriers.csv")
    for r in carriers.itertuples():
        row = next(line for line in README.splitlines() if line.startswith(f"| `{r.carrier}` |"))
        for v in (r.ttw_kg_co2e_per_unit, r.wtt_kg_co2e_per_unit):
            assert f"| {v:g} |" in row, (r.carrier, v)
