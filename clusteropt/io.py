"""Read the input tables of a scenario into plain pandas DataFrames.

A scenario names each table in one of these forms (see :func:`read_table`):

* a path: ``nodes.csv``, ``nodes.xlsx`` (first sheet), ``nodes.xlsx#Sheet2``,
  ``nodes.geojson`` / ``nodes.json``, ``nodes.gpkg`` (first layer), ``nodes.gpkg#layer``;
* a mapping ``{file: ..., sheet: ...}`` or ``{file: ..., layer: ...}``;
* a list of mappings: rows written inline in the YAML.

Whatever the format, the result is normalised the same way, so the same table
gives an equal frame from every source:

* column names are stripped and lower-cased; duplicates are an error;
* empty cells (empty or blank text, missing keys, nulls) become missing values;
* a column whose non-missing values are all numbers (or text that reads as a number)
  becomes float64 with NaN for missing cells; any other column is object dtype holding
  stripped ``str`` values and ``None`` for missing cells;
* ``True``/``False`` values become the strings ``"true"``/``"false"`` (text such as
  ``"yes"`` is left as it is: the caller parses it);
* Point geometry becomes ``lon``/``lat`` columns (geographic CRS, converted to EPSG:4326)
  or ``x``/``y`` columns (projected CRS, recorded in :attr:`Table.crs`); geometry wins
  over attribute columns of the same name; a GPKG layer without geometry is read as a
  plain table;
* in ``;``-separated CSV files a column of numbers with a decimal comma (``52,37``)
  is read as numbers;
* text such as ``NA`` or ``null`` is kept as text, not read as missing;
* fully empty rows are dropped, and the column ``_row`` keeps the row number the user
  sees (spreadsheet row, or 1-based feature / list item number) of every remaining row.

Problems are reported as :class:`TableError` naming file, row and column.
Also here: :func:`write_atomic`, to write output files without leaving partial ones.
"""

from __future__ import annotations

import math
import os
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from itertools import compress
from numbers import Number
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Table", "TableError", "read_table", "write_atomic"]

ROW_COLUMN = "_row"
_CSV = (".csv",)
_XLSX = (".xlsx", ".xlsm")
_GEOJSON = (".geojson", ".json")
_GPKG = (".gpkg",)
SUPPORTED_EXTENSIONS = _CSV + _XLSX + _GEOJSON + _GPKG
_BAD_SPEC = "expected a file path, {file:…, sheet/layer:…} or a list of rows"
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+(,\d+)?$")


class TableError(Exception):
    """A problem in an input table: file, row, column, message."""

    def __init__(self, file: str, row: int | None, column: str | None, message: str):
        super().__init__(file, row, column, message)
        self.file = file
        self.row = row
        self.column = column
        self.message = message

    def __str__(self) -> str:
        where = [str(self.file)]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where)}: {self.message}"


@dataclass
class Table:
    """A normalised input table; see the module docstring for the rules.

    ``frame["_row"]`` holds the row number the user sees for each record (fully empty
    rows are dropped, so it is not always ``first_row + i``).
    """

    frame: pd.DataFrame
    source: str
    first_row: int
    crs: str | None = None

    def row_number(self, i: int) -> int:
        """Row number the user sees for frame row ``i`` (positional)."""
        if ROW_COLUMN in self.frame.columns:
            return int(self.frame[ROW_COLUMN].iloc[i])
        return self.first_row + i


def read_table(spec: Any, base_dir: Path, label: str) -> Table:
    """Read one table given as path, ``{file, sheet|layer}`` mapping or inline rows.

    ``base_dir`` resolves relative paths; ``label`` (e.g. ``"scenario.yaml:tables.nodes"``)
    names inline rows and a malformed ``spec`` in error messages.
    """
    if isinstance(spec, list):
        return _read_inline(spec, label)
    if isinstance(spec, str):
        file, part = spec, None
        ext = Path(spec).suffix.lower()
        if "#" in spec and ext not in SUPPORTED_EXTENSIONS:
            file, _, part = spec.rpartition("#")
        return _read_file(file, part, None, Path(base_dir))
    if isinstance(spec, dict):
        unknown = sorted(set(map(str, spec)) - {"file", "sheet", "layer"})
        if unknown:
            raise TableError(label, None, None, f"unknown key(s) {unknown}; {_BAD_SPEC}")
        file = spec.get("file")
        if not isinstance(file, str) or not file:
            raise TableError(label, None, None, f"'file' must be a path; {_BAD_SPEC}")
        if "sheet" in spec and "layer" in spec:
            raise TableError(label, None, None, "give either 'sheet' or 'layer', not both")
        key = "sheet" if "sheet" in spec else "layer" if "layer" in spec else None
        part = None if key is None else str(spec[key])
        return _read_file(file, part, key, Path(base_dir))
    raise TableError(label, None, None, _BAD_SPEC)


def _read_file(file: str, part: str | None, key: str | None, base_dir: Path) -> Table:
    """Dispatch on the file extension; ``part`` is the sheet or layer, if given."""
    path = base_dir / file
    ext = path.suffix.lower()
    if ext not in SUPPORTED_EXTENSIONS:
        raise TableError(
            file, None, None,
            f"unsupported file type {ext or '(none)'!r}; "
            f"supported: {', '.join(SUPPORTED_EXTENSIONS)}",
        )
    if not path.is_file():
        raise TableError(file, None, None, f"file not found (looked in {path.resolve()})")
    if part is not None:
        expected = "sheet" if ext in _XLSX else "layer" if ext in _GPKG else None
        if expected is None or key not in (None, expected):
            raise TableError(
                file, None, None, f"a {key or 'sheet/layer'} name does not apply to {ext} files"
            )
    if ext in _CSV:
        return _read_csv(path, file)
    if ext in _XLSX:
        return _read_xlsx(path, file, part)
    if ext in _GPKG:
        return _read_geo(path, file, part)
    return _read_geo(path, file, None)


def read_utf8(path: Path) -> str:
    """The text of a file that must be UTF-8 (a BOM is allowed); UnicodeError with the line
    and the byte where it is not, for the message."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[:e.start].count(b"\n") + 1
        raise UnicodeError(f"not valid UTF-8 text: line {line} has the byte "
                           f"0x{raw[e.start]:02x}, which UTF-8 does not allow there") from None


def _read_csv(path: Path, file: str) -> Table:
    """CSV, UTF-8 (optional BOM), delimiter ``,``, ``;`` or tab sniffed from the header."""
    try:
        text = read_utf8(path)
    except UnicodeError as e:
        line = int(str(e).split("line ")[1].split()[0])
        raise TableError(file, line, None, f"{e}; save it as 'CSV UTF-8'") from None
    header = text.split("\n", 1)[0]
    sep = max([",", ";", "\t"], key=header.count)  # ties (incl. none) -> ","
    try:
        raw = pd.read_csv(
            path, sep=sep, header=None, dtype=str, encoding="utf-8-sig",
            keep_default_na=False, na_filter=False, skip_blank_lines=False,
        )
    except pd.errors.EmptyDataError:
        raise TableError(file, None, None, "file is empty") from None
    except (ValueError, pd.errors.ParserError) as e:
        raise TableError(file, None, None, f"cannot read CSV: {e}") from None
    if sep == ";":  # European exports: "52,37" means 52.37
        for col in raw.columns:
            cells = raw[col].iloc[1:].str.strip()
            filled = cells[cells != ""]
            if len(filled) and filled.str.fullmatch(_DECIMAL_COMMA).all():
                raw.loc[raw.index[1:], col] = cells.str.replace(",", ".", regex=False)
    return _from_grid(raw, file)


def _read_xlsx(path: Path, file: str, sheet: str | None) -> Table:
    """Excel workbook: the named sheet, else the first; header in row 1."""
    try:
        with pd.ExcelFile(path, engine="openpyxl") as book:
            names = [str(n) for n in book.sheet_names]
            if sheet is None:
                if not names:
                    raise TableError(file, None, None, "workbook has no sheets")
                sheet = names[0]
            elif sheet not in names:
                raise TableError(
                    file, None, None,
                    f"no sheet {sheet!r}; available sheets: {', '.join(map(repr, names))}",
                )
            raw = pd.read_excel(
                book, sheet_name=sheet, header=None, dtype=object, na_filter=False
            )
    except TableError:
        raise
    except Exception as e:  # noqa: BLE001 - corrupt workbooks raise many kinds
        raise TableError(file, None, None, f"cannot read Excel file: {e}") from None
    source = f"{file}[{sheet}]"
    if raw.empty:
        raise TableError(source, None, None, "sheet is empty (expected a header in row 1)")
    return _from_grid(raw, source)


def _from_grid(raw: pd.DataFrame, source: str) -> Table:
    """Table from a grid whose first row is the header (CSV, XLSX)."""
    header = ["" if _is_missing(h) else _text(h) for h in raw.iloc[0]]
    body = raw.iloc[1:].reset_index(drop=True)
    body.columns = range(len(header))
    keep = []
    for i, name in enumerate(header):
        if name.strip():
            keep.append(i)
        elif any(not _is_missing(_clean(v)) for v in body[i]):
            raise TableError(source, None, None, f"column {i + 1} has values but no header")
    frame = body[keep]
    frame.columns = [header[i] for i in keep]
    return _normalise(frame, source, first_row=2)


def _read_geo(path: Path, file: str, layer: str | None) -> Table:
    """GeoJSON or GeoPackage layer with Point geometry (or none: attribute table)."""
    import geopandas
    import pyogrio

    try:
        layers = [str(name) for name, _ in pyogrio.list_layers(path)]
        if layer is None:
            if not layers:
                raise TableError(file, None, None, "file has no layers")
            layer = layers[0]
        elif layer not in layers:
            raise TableError(
                file, None, None,
                f"no layer {layer!r}; available layers: {', '.join(map(repr, layers))}",
            )
        gdf = geopandas.read_file(path, layer=layer, engine="pyogrio")
        info = pyogrio.read_info(path, layer=layer)
    except TableError:
        raise
    except Exception as e:  # noqa: BLE001 - any GDAL/pyogrio failure is reported, not raised
        reason = str(e).split("; It might help", 1)[0]  # drop GDAL's driver hint
        raise TableError(file, None, None, f"cannot read {path.suffix} file: {reason}") from None
    source = f"{file}[{layer}]" if path.suffix.lower() in _GPKG else file

    if not isinstance(gdf, geopandas.GeoDataFrame) or gdf.active_geometry_name is None:
        return _normalise(pd.DataFrame(gdf), source, first_row=1)  # attribute-only layer
    geoms = gdf.geometry
    for i, g in enumerate(geoms):
        if g is None or g.is_empty or g.geom_type != "Point":
            got = "no geometry" if g is None else "an empty geometry" if g.is_empty else g.geom_type
            raise TableError(source, i + 1, "geometry", f"expected a Point, got {got}")

    crs, crs_name = gdf.crs, None
    if crs is not None and crs.is_geographic:
        if crs.to_epsg() != 4326:
            geoms = geoms.to_crs("EPSG:4326")
        coords = {"lon": geoms.x, "lat": geoms.y}
    else:
        crs_name = None if crs is None else crs.to_string()
        coords = {"x": geoms.x, "y": geoms.y}
    frame = pd.DataFrame(gdf.drop(columns=geoms.name))
    for field, dtype in zip(info["fields"], info["dtypes"]):
        if dtype == "bool" and field in frame.columns:  # with nulls, pyogrio gives 1.0/NaN
            frame[field] = [None if _is_missing(v) else bool(v) for v in frame[field]]
    frame = frame.drop(columns=[c for c in frame.columns if str(c).strip().lower() in coords])
    for name, values in coords.items():
        frame[name] = values.to_numpy(dtype=float)
    table = _normalise(frame, source, first_row=1)
    table.crs = crs_name
    return table


def _read_inline(rows: list, label: str) -> Table:
    """Rows written in the YAML as a list of mappings."""
    for i, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise TableError(
                label, i, None, f"expected a mapping of column: value, got {type(row).__name__}"
            )
        for key, value in row.items():
            if isinstance(value, (list, dict, set, tuple)):
                raise TableError(
                    label, i, str(key), f"expected a single value, got a {type(value).__name__}"
                )
    names: list[str] = []
    seen: dict[str, str] = {}
    for row in rows:
        for key in row:
            name = str(key).strip().lower()
            if name in seen and seen[name] != str(key):
                message = f"duplicate column ({seen[name]!r} and {key!r})"
                raise TableError(label, None, name, message)
            if name not in seen:
                seen[name] = str(key)
                names.append(name)
    records = [{str(k).strip().lower(): v for k, v in row.items()} for row in rows]
    frame = pd.DataFrame(records, columns=names, dtype=object)
    return _normalise(frame, label, first_row=1, check_columns=False)


def _normalise(frame: pd.DataFrame, source: str, first_row: int,
               check_columns: bool = True) -> Table:
    """Apply the module's normalisation rules and add the ``_row`` column."""
    names = [str(c).strip().lower() for c in frame.columns]
    if check_columns:
        seen: set[str] = set()
        for original, name in zip(frame.columns, names):
            if name in seen:
                raise TableError(source, None, name, f"duplicate column (header {original!r})")
            seen.add(name)
    if ROW_COLUMN in names:
        raise TableError(source, None, ROW_COLUMN, "column name is reserved")

    columns = {}
    for position, name in enumerate(names):
        columns[name] = _clean_all(frame.iloc[:, position])
    rows = list(range(first_row, first_row + len(frame)))
    empty = np.array([[v is None for v in columns[n]] for n in names], dtype=bool)
    filled = ~empty.reshape(len(names), len(rows)).all(axis=0)

    out = {}
    for name in names:
        values = columns[name] if filled.all() else list(compress(columns[name], filled))
        out[name] = _column(values)
    out[ROW_COLUMN] = pd.Series(list(compress(rows, filled)), dtype="int64")
    result = pd.DataFrame(out, columns=[*names, ROW_COLUMN])
    return Table(frame=result, source=source, first_row=first_row, crs=None)


def _clean(value: Any) -> Any:
    """One cell -> None, float, or stripped str ("true"/"false" for booleans)."""
    if _is_missing(value):
        return None
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return "true" if value else "false"
    if isinstance(value, Number):
        return float(value)
    text = _text(value).strip()
    return text or None


def _clean_all(column: pd.Series) -> list:
    """``_clean`` of every cell; a column of plain ``str`` cells (a CSV) in one pass."""
    values = column.tolist()  # much faster than iterating an Arrow-backed column
    if all(type(v) is str for v in values):
        return [v.strip() or None for v in values]
    return [_clean(v) for v in column]


def _column(values: list) -> pd.Series:
    """float64 if every non-missing value is a number, else object of str / None."""
    numbers = _numbers(values)
    if numbers is not None:
        return pd.Series(numbers, dtype="float64")
    return pd.Series([None if v is None else _text(v) for v in values], dtype=object)


def _numbers(values: list) -> list[float] | None:
    """The values as floats (NaN where missing) if every non-missing one is a number
    (``_as_number``), else None. Plain text is checked in one pass: no "_", float() parses
    each, all finite."""
    present = [v for v in values if v is not None]
    if not all(type(v) is str for v in present):
        numbers = [None if v is None else _as_number(v) for v in values]
        if any(n is None and v is not None for n, v in zip(numbers, values)):
            return None
        return [math.nan if n is None else n for n in numbers]
    if any("_" in v for v in present):
        return None
    try:
        parsed = [float(v) for v in present]
    except ValueError:
        return None
    if not all(map(math.isfinite, parsed)):
        return None
    it = iter(parsed)
    return [math.nan if v is None else next(it) for v in values]


def _as_number(value: Any) -> float | None:
    """The value as a finite float, or None if it is not a number."""
    if isinstance(value, float):
        return value
    if not isinstance(value, str) or "_" in value:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _text(value: Any) -> str:
    """Text form of a cell; whole floats print without '.0' (so 5.0 -> '5')."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def write_atomic(path: Path, write: Callable[[Path], None], force: bool = False) -> None:
    """Write ``path`` by calling ``write(tmp)`` on a temporary file, then renaming it.

    The temporary file sits in the same folder and keeps the suffix of ``path`` (so
    writers that pick a format from the extension work). Refuses to replace an existing
    file unless ``force``; removes the temporary file if anything goes wrong.
    """
    path = Path(path)
    if path.exists() and not force:
        raise FileExistsError(f"{path} already exists; use --force to overwrite it")
    tmp = path.with_name(f".{path.stem}.tmp-{uuid.uuid4().hex[:8]}{path.suffix}")
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
