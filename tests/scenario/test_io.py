"""Tests for clusteropt.io: table readers and write_atomic."""

from __future__ import annotations

import json
import math
from pathlib import Path

import geopandas
import pandas as pd
import pytest
from shapely.geometry import LineString, Point

from clusteropt.io import Table, TableError, read_table, write_atomic

LABEL = "scenario.yaml:tables.nodes"

# The same small node table in every format: non-ASCII text, coordinates, a numeric
# column with an empty cell, a text column with an empty cell, a boolean column.
ROWS = [
    {"id": "N1", "name": "Zoë's farm", "lat": 51.3704, "lon": 6.1724, "capacity": 120,
     "active": True},
    {"id": "N2", "name": None, "lat": 51.45, "lon": 5.97, "capacity": None, "active": False},
    {"id": "N3", "name": "Venlo hub", "lat": 51.3912, "lon": 6.1511, "capacity": 80.5,
     "active": True},
    {"id": "N4", "name": "Blerick", "lat": 51.37, "lon": 6.15, "capacity": 0, "active": None},
]
EXPECTED = pd.DataFrame({
    "id": pd.Series(["N1", "N2", "N3", "N4"], dtype=object),
    "name": pd.Series(["Zoë's farm", None, "Venlo hub", "Blerick"], dtype=object),
    "lat": [51.3704, 51.45, 51.3912, 51.37],
    "lon": [6.1724, 5.97, 6.1511, 6.15],
    "capacity": [120.0, math.nan, 80.5, 0.0],
    "active": pd.Series(["true", "false", "true", None], dtype=object),
})
HEADER = ["ID", "Name", "Lat", "Lon", "Capacity", "Active"]  # case is normalised away


def _csv_text(sep: str) -> str:
    lines = [sep.join(HEADER)]
    for r in ROWS:
        cells = [r["id"], r["name"] or "", r["lat"], r["lon"],
                 "" if r["capacity"] is None else r["capacity"],
                 "" if r["active"] is None else str(r["active"]).lower()]
        lines.append(sep.join(str(c) for c in cells))
    return "\n".join(lines) + "\n"


def _points_gdf(crs: str = "EPSG:4326") -> geopandas.GeoDataFrame:
    attrs = [{k: v for k, v in r.items() if k not in ("lat", "lon")} for r in ROWS]
    geometry = [Point(r["lon"], r["lat"]) for r in ROWS]
    gdf = geopandas.GeoDataFrame(attrs, geometry=geometry, crs="EPSG:4326").to_crs(crs)
    gdf["active"] = gdf["active"].astype("boolean")  # a real boolean field, not text
    return gdf


def _write_csv(d: Path) -> str:
    (d / "nodes.csv").write_text(_csv_text(","), encoding="utf-8")
    return "nodes.csv"


def _write_csv_semicolon(d: Path) -> str:
    (d / "nodes_sc.csv").write_text(_csv_text(";"), encoding="utf-8-sig")  # with BOM
    return "nodes_sc.csv"


def _write_xlsx(d: Path) -> dict:
    frame = pd.DataFrame(ROWS)
    frame.columns = HEADER
    with pd.ExcelWriter(d / "book.xlsx") as writer:
        pd.DataFrame({"other": [1]}).to_excel(writer, sheet_name="First", index=False)
        frame.to_excel(writer, sheet_name="Nodes", index=False)
    return {"file": "book.xlsx", "sheet": "Nodes"}


def _write_geojson(d: Path) -> str:
    features = [
        {"type": "Feature",
         "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
         "properties": {h: r[h.lower()] for h in HEADER if h not in ("Lat", "Lon")}}
        for r in ROWS
    ]
    text = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)
    (d / "nodes.geojson").write_text(text, encoding="utf-8")
    return "nodes.geojson"


def _write_gpkg(d: Path) -> str:
    gdf = _points_gdf()
    gdf.iloc[:1].to_file(d / "nodes.gpkg", layer="decoy", driver="GPKG")
    gdf.to_file(d / "nodes.gpkg", layer="nodes", driver="GPKG")
    return "nodes.gpkg#nodes"


def _inline(d: Path) -> list:
    return [{k: v for k, v in r.items() if v is not None} for r in ROWS]  # missing key


@pytest.mark.parametrize(
    ("make", "first_row", "source"),
    [
        (_write_csv, 2, "nodes.csv"),
        (_write_csv_semicolon, 2, "nodes_sc.csv"),
        (_write_xlsx, 2, "book.xlsx[Nodes]"),
        (_write_geojson, 1, "nodes.geojson"),
        (_write_gpkg, 1, "nodes.gpkg[nodes]"),
        (_inline, 1, LABEL),
    ],
    ids=["csv", "csv-semicolon-bom", "xlsx", "geojson", "gpkg", "inline"],
)
def test_same_table_from_every_format(tmp_path, make, first_row, source):
    table = read_table(make(tmp_path), tmp_path, LABEL)
    assert isinstance(table, Table)
    assert table.source == source
    assert table.first_row == first_row
    assert table.crs is None
    assert table.frame["_row"].tolist() == [first_row + i for i in range(len(ROWS))]
    assert table.row_number(2) == first_row + 2
    frame = table.frame.drop(columns="_row")
    pd.testing.assert_frame_equal(frame.sort_index(axis=1), EXPECTED.sort_index(axis=1))


def test_gpkg_projected_gives_xy_and_crs(tmp_path):
    _points_gdf("EPSG:28992").to_file(tmp_path / "rd.gpkg", layer="nodes", driver="GPKG")
    table = read_table({"file": "rd.gpkg", "layer": "nodes"}, tmp_path, LABEL)
    assert table.crs == "EPSG:28992"
    assert {"x", "y"} <= set(table.frame.columns)
    assert not {"lat", "lon", "geometry"} & set(table.frame.columns)
    assert 150_000 < table.frame["x"].iloc[0] < 250_000  # Venlo, RD New
    assert 350_000 < table.frame["y"].iloc[0] < 400_000


def test_other_geographic_crs_converted_to_wgs84(tmp_path):
    _points_gdf("EPSG:4258").to_file(tmp_path / "etrs.gpkg", driver="GPKG")  # ETRS89
    table = read_table("etrs.gpkg", tmp_path, LABEL)
    assert table.crs is None
    assert table.frame["lat"].tolist() == pytest.approx(EXPECTED["lat"].tolist())
    assert table.frame["lon"].tolist() == pytest.approx(EXPECTED["lon"].tolist())


def test_gpkg_attribute_table_without_geometry(tmp_path):
    import pyogrio

    pyogrio.write_dataframe(pd.DataFrame({"From": ["A"], "t": [5]}), tmp_path / "f.gpkg",
                            layer="flows")
    table = read_table("f.gpkg#flows", tmp_path, LABEL)
    assert table.crs is None
    assert table.frame.to_dict("list") == {"from": ["A"], "t": [5.0], "_row": [1]}


def test_first_sheet_by_default(tmp_path):
    _write_xlsx(tmp_path)
    table = read_table("book.xlsx", tmp_path, LABEL)
    assert table.source == "book.xlsx[First]"
    assert table.frame["other"].tolist() == [1.0]
    assert read_table("book.xlsx#Nodes", tmp_path, LABEL).source == "book.xlsx[Nodes]"


def test_empty_rows_dropped_row_numbers_kept(tmp_path):
    (tmp_path / "t.csv").write_text("id,cap\nA,1\n,\n\nB, 2 \n", encoding="utf-8")
    table = read_table("t.csv", tmp_path, LABEL)
    assert table.frame["id"].tolist() == ["A", "B"]
    assert table.frame["cap"].tolist() == [1.0, 2.0]
    assert table.frame["_row"].tolist() == [2, 5]
    assert table.row_number(1) == 5
    inline = read_table([{"id": "A"}, {"id": None}, {}, {"id": "B"}], tmp_path, LABEL)
    assert inline.frame["_row"].tolist() == [1, 4]


def test_mixed_column_stays_text_and_decimal_comma(tmp_path):
    (tmp_path / "t.csv").write_text("code;w;nan\n7;52,5;NA\nA7;3;1\n", encoding="utf-8")
    frame = read_table("t.csv", tmp_path, LABEL).frame
    assert frame["code"].tolist() == ["7", "A7"]
    assert frame["w"].tolist() == [52.5, 3.0]
    assert frame["nan"].tolist() == ["NA", "1"]  # 'NA' is text, not a silent NaN


def test_relative_paths_resolve_against_base_dir(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "n.csv").write_text("id\nA\n", encoding="utf-8")
    assert read_table("data/n.csv", tmp_path, LABEL).source == "data/n.csv"


# --- errors -----------------------------------------------------------------------------

def test_error_str_format():
    err = TableError("nodes.csv", 3, "lat", "expected a number, got 'abc'")
    assert str(err) == "nodes.csv, row 3, column 'lat': expected a number, got 'abc'"
    assert str(TableError("nodes.csv", None, None, "boom")) == "nodes.csv: boom"


def test_missing_file(tmp_path):
    with pytest.raises(TableError) as exc:
        read_table("data/nope.csv", tmp_path, LABEL)
    assert str(exc.value).startswith("data/nope.csv: file not found (looked in ")
    assert str(tmp_path / "data" / "nope.csv") in str(exc.value)


def test_unknown_extension(tmp_path):
    (tmp_path / "n.txt").write_text("id\n", encoding="utf-8")
    with pytest.raises(TableError, match=r"^n\.txt: unsupported file type '\.txt'.*\.csv.*\.gpkg"):
        read_table("n.txt", tmp_path, LABEL)


def test_missing_sheet_lists_available(tmp_path):
    _write_xlsx(tmp_path)
    with pytest.raises(TableError) as exc:
        read_table("book.xlsx#Nope", tmp_path, LABEL)
    assert exc.value.file == "book.xlsx"
    assert "no sheet 'Nope'" in str(exc.value)
    assert "available sheets: 'First', 'Nodes'" in str(exc.value)


def test_missing_layer_lists_available(tmp_path):
    _write_gpkg(tmp_path)
    with pytest.raises(TableError) as exc:
        read_table({"file": "nodes.gpkg", "layer": "farms"}, tmp_path, LABEL)
    assert str(exc.value).startswith("nodes.gpkg: no layer 'farms'")
    assert "'decoy'" in str(exc.value) and "'nodes'" in str(exc.value)


def test_non_point_geometry(tmp_path):
    gdf = geopandas.GeoDataFrame(
        {"id": ["A", "B"]}, geometry=[Point(6, 51), LineString([(6, 51), (6.1, 51.1)])],
        crs="EPSG:4326",
    )
    gdf.to_file(tmp_path / "n.gpkg", layer="nodes", driver="GPKG")
    with pytest.raises(TableError) as exc:
        read_table("n.gpkg", tmp_path, LABEL)
    assert str(exc.value) == (
        "n.gpkg[nodes], row 2, column 'geometry': expected a Point, got LineString"
    )


def test_missing_geometry(tmp_path):
    text = json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [6, 51]},
         "properties": {"id": "A"}},
        {"type": "Feature", "geometry": None, "properties": {"id": "B"}},
    ]})
    (tmp_path / "n.geojson").write_text(text, encoding="utf-8")
    with pytest.raises(TableError, match=r"^n\.geojson, row 2, column 'geometry': .*no geom"):
        read_table("n.geojson", tmp_path, LABEL)


@pytest.mark.parametrize("header", ["id,Name,name", "id,id"])
def test_duplicate_columns(tmp_path, header):
    body = ",".join(["x"] * (header.count(",") + 1))
    (tmp_path / "n.csv").write_text(f"{header}\n{body}\n", encoding="utf-8")
    with pytest.raises(TableError, match=r"^n\.csv, column '(name|id)': duplicate column"):
        read_table("n.csv", tmp_path, LABEL)


def test_duplicate_columns_inline(tmp_path):
    with pytest.raises(TableError, match="duplicate column"):
        read_table([{"id": 1}, {"ID": 2}], tmp_path, LABEL)


@pytest.mark.parametrize("spec", [42, None, {"sheet": "x"}, {"file": "n.csv", "tab": "x"}])
def test_bad_spec(tmp_path, spec):
    with pytest.raises(TableError) as exc:
        read_table(spec, tmp_path, LABEL)
    assert str(exc.value).startswith(f"{LABEL}: ")
    assert "expected a file path, {file:…, sheet/layer:…} or a list of rows" in str(exc.value)


def test_bad_inline_row(tmp_path):
    with pytest.raises(TableError, match=rf"^{LABEL}, row 2: expected a mapping"):
        read_table([{"id": "A"}, "B"], tmp_path, LABEL)
    with pytest.raises(TableError, match=rf"^{LABEL}, row 1, column 'id': expected a single"):
        read_table([{"id": [1, 2]}], tmp_path, LABEL)


def test_sheet_on_csv_rejected(tmp_path):
    _write_csv(tmp_path)
    with pytest.raises(TableError, match="does not apply to .csv"):
        read_table({"file": "nodes.csv", "sheet": "x"}, tmp_path, LABEL)


@pytest.mark.parametrize("name", ["bad.xlsx", "bad.gpkg", "bad.geojson"])
def test_corrupt_file(tmp_path, name):
    (tmp_path / name).write_bytes(b"this is not a real file \x00\x01")
    with pytest.raises(TableError, match=rf"^{name}: cannot read"):
        read_table(name, tmp_path, LABEL)


def test_csv_not_utf8(tmp_path):
    (tmp_path / "n.csv").write_bytes("id,name\n1,Zoë\n".encode("cp1252"))
    # the line, not a byte offset (a spreadsheet user counts lines)
    with pytest.raises(TableError, match=r"^n\.csv, row 2: not valid UTF-8 text: line 2 has "
                                         r"the byte 0xeb"):
        read_table("n.csv", tmp_path, LABEL)


def test_empty_files(tmp_path):
    (tmp_path / "e.csv").write_text("", encoding="utf-8")
    with pytest.raises(TableError, match="file is empty"):
        read_table("e.csv", tmp_path, LABEL)
    (tmp_path / "h.csv").write_text("id,cap\n", encoding="utf-8")
    table = read_table("h.csv", tmp_path, LABEL)
    assert list(table.frame.columns) == ["id", "cap", "_row"] and table.frame.empty


def test_values_without_header(tmp_path):
    (tmp_path / "n.csv").write_text("id,,\nA,,5\n", encoding="utf-8")
    with pytest.raises(TableError, match=r"column 3 has values but no header"):
        read_table("n.csv", tmp_path, LABEL)
    (tmp_path / "ok.csv").write_text("id,,\nA,,\n", encoding="utf-8")  # stray empty columns
    assert list(read_table("ok.csv", tmp_path, LABEL).frame.columns) == ["id", "_row"]


# --- write_atomic -----------------------------------------------------------------------

def test_write_atomic_writes_and_refuses_overwrite(tmp_path):
    target = tmp_path / "out.csv"
    write_atomic(target, lambda p: p.write_text("v1", encoding="utf-8"))
    assert target.read_text(encoding="utf-8") == "v1"
    with pytest.raises(FileExistsError, match="--force"):
        write_atomic(target, lambda p: p.write_text("v2", encoding="utf-8"))
    assert target.read_text(encoding="utf-8") == "v1"
    write_atomic(target, lambda p: p.write_text("v2", encoding="utf-8"), force=True)
    assert target.read_text(encoding="utf-8") == "v2"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_write_atomic_keeps_suffix_for_writers(tmp_path):
    target = tmp_path / "out.xlsx"
    write_atomic(target, lambda p: pd.DataFrame({"a": [1]}).to_excel(p, index=False))
    assert pd.read_excel(target)["a"].tolist() == [1]


@pytest.mark.parametrize("force", [False, True])
def test_write_atomic_no_partial_file_on_error(tmp_path, force):
    target = tmp_path / "out.csv"
    if force:
        target.write_text("old", encoding="utf-8")

    def failing(p: Path) -> None:
        p.write_text("half", encoding="utf-8")
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        write_atomic(target, failing, force=force)
    assert sorted(p.name for p in tmp_path.iterdir()) == (["out.csv"] if force else [])
    if force:
        assert target.read_text(encoding="utf-8") == "old"
