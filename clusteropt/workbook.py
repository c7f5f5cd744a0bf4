"""``clusteropt init --xlsx``: the starting scenario as one Excel workbook a planner fills in.

``scenario.xlsx`` has a sheet per table (``nodes``, ``activities``, ``commodities``,
``demands``, ``vehicles``), each with the column names in row 1 — every header cell carries a
comment with the column's unit, default and meaning from ``clusteropt/schema.csv`` — and the
example rows of ``clusteropt init`` below. Drop-down lists (Excel data validation) offer the
allowed values of choice and yes/no columns, the ids of the sheet a column refers to (an
activity's ``node``, a demand's ``origin``, ``destination`` and ``commodity``) and the place ids
of ``data/places.csv``; number columns with a range refuse values outside it. A ``README`` sheet
says how to fill it in, and ``scenario.yaml`` points at the sheets
(``{file: scenario.xlsx, sheet: nodes}``). The walk-through is in docs/scenarios.md §1.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from clusteropt import defaults, schema
from clusteropt.io import write_atomic
from clusteropt.template import (
    ACTIVITIES_CSV,
    COMMODITIES_CSV,
    DEMANDS_CSV,
    NODES_CSV,
    SCENARIO_YAML,
    columns_block,
    options_block,
    refuse_existing,
)

__all__ = ["BOOK", "SHEETS", "write_workbook_template"]

BOOK = "scenario.xlsx"
SHEETS = ("nodes", "activities", "commodities", "demands", "vehicles")
FILES = (BOOK, "scenario.yaml")
MAX_ROWS = 2000  # rows the drop-down lists and checks cover
# columns whose values are the ids of another sheet: (sheet, column) -> sheet referred to
REFERENCES = {("activities", "node"): "nodes", ("demands", "origin"): "activities",
              ("demands", "destination"): "activities", ("demands", "commodity"): "commodities",
              ("demands", "baseline_partner"): "activities"}
LOAD_CLASSES = ("food", "chilled", "feed", "manure", "bulk", "live_animals", "plants",
                "containers", "water")  # the shipped vehicle types' (schema.csv: load_class)
README = [
    "A starting scenario written by `clusteropt init --xlsx`: two growers who may stay or move "
    "to one of two new greenhouse areas.",
    "Fill in one sheet per table; row 1 holds the column names (do not rename them), the rows "
    "below are examples to replace.",
    "Hover over a column name for its unit, default and meaning. Drop-down lists offer the "
    "allowed values and the ids of the other sheets; fill the referred sheets first.",
    "Order: nodes (places, with a place id, lat/lon or a postcode), activities (the firms, at "
    "a node), commodities, demands (tonnes per period between activities), vehicles.",
    "Lists of several values (candidates, modes, load_classes) are separated by ';'.",
    "Extra columns for your own notes: name them in options.extra_columns of scenario.yaml, "
    "or use a column 'notes'.",
    "Then: clusteropt validate scenario.yaml (every problem with sheet, row and column), and "
    "clusteropt run scenario.yaml --out results.",
    "The format: docs/scenarios.md of clusteropt; the shipped vehicle types and their sources: "
    "data/README.md.",
]


def _frames() -> dict[str, pd.DataFrame]:
    """The example rows of ``clusteropt init`` and the shipped vehicle types, numbers as
    numbers and empty cells empty."""
    texts = {"nodes": NODES_CSV, "activities": ACTIVITIES_CSV,
             "commodities": COMMODITIES_CSV, "demands": DEMANDS_CSV}
    frames = {n: pd.read_csv(io.StringIO(t), dtype=str, keep_default_na=False)
              for n, t in texts.items()}
    frames["nodes"].insert(frames["nodes"].columns.get_loc("place") + 1, "postcode", "")
    frames["vehicles"] = pd.read_csv(defaults.DATA_DIR / "vehicle_types.csv", dtype=str,
                                     keep_default_na=False)
    for frame in frames.values():
        for col in frame.columns:
            cells = frame[col].str.strip()
            numbers = pd.to_numeric(cells.where(cells != ""), errors="coerce")
            if ((cells == "") | numbers.notna()).all() and (cells != "").any():
                frame[col] = numbers
            else:
                frame[col] = cells.where(cells != "", None)
    return frames


def _comment_text(f: schema.Field | None, column: str) -> str:
    if f is None:
        return "for information; not read by clusteropt"
    parts = [f"unit: {f.unit}" if f.unit else None,
             "required" if f.required else f"default: {f.docs_default()}"
             if f.docs_default() else None,
             f"allowed: {f.docs_type()}".replace("`", "")]
    head = "; ".join(p for p in parts if p)
    return f"{column}\n{head}\n{f.description.replace('`', '').replace('**', '')}"


def _list_formula(values: list[str]) -> str:
    return '"' + ",".join(values) + '"'


def _write_book(path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    book.remove(book.active)
    lists = book.create_sheet("lists")  # values of the longer drop-down lists
    places = defaults.places().index.tolist()
    for i, pid in enumerate(places, start=1):
        lists.cell(row=i, column=1, value=pid)
    for i, lc in enumerate(LOAD_CLASSES, start=1):
        lists.cell(row=i, column=2, value=lc)
    lists.sheet_state = "hidden"
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for name, frame in _frames().items():
        sheet = book.create_sheet(name)
        sheet.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            sheet.append([None if (isinstance(v, float) and math.isnan(v)) else v
                          for v in row])
        sheet.freeze_panes = "B2"
        for j, column in enumerate(frame.columns, start=1):
            letter = get_column_letter(j)
            cell = sheet.cell(row=1, column=j)
            cell.font, cell.fill = bold, fill
            f = schema.field(name, column)
            cell.comment = Comment(_comment_text(f, column), "clusteropt", width=320,
                                   height=160)
            sheet.column_dimensions[letter].width = min(max(len(column) + 3, 10), 36)
            rng = f"{letter}2:{letter}{MAX_ROWS}"
            dv = _validation(name, column, f, DataValidation, places)
            if dv is not None:
                sheet.add_data_validation(dv)
                dv.add(rng)
    readme = book.create_sheet("README", 0)
    readme.column_dimensions["A"].width = 120
    for line in README:
        readme.append([line])
    readme.cell(row=1, column=1).font = bold
    book.move_sheet("lists", offset=len(book.sheetnames))
    book.active = 1
    book.save(path)


def _validation(sheet: str, column: str, f, DataValidation, places):
    """The drop-down list or number check of one column, or None."""
    if (sheet, column) in REFERENCES:
        ref = REFERENCES[(sheet, column)]
        return DataValidation(type="list", formula1=f"={ref}!$A$2:$A${MAX_ROWS}",
                              allow_blank=True, error=f"not an id of the {ref} sheet",
                              errorTitle="unknown id", showErrorMessage=True)
    if column == "place":  # place names are allowed too: a warning, not a refusal
        return DataValidation(type="list", formula1=f"=lists!$A$1:$A${len(places)}",
                              allow_blank=True, showErrorMessage=True, errorStyle="warning",
                              error="not a place id of data/places.csv: it is read as a "
                                    "Dutch place name (or give a postcode or lat/lon)")
    if column == "load_class":  # other classes are allowed: a warning, not a refusal
        return DataValidation(type="list", formula1=f"=lists!$B$1:$B${len(LOAD_CLASSES)}",
                              allow_blank=True, showErrorMessage=True, errorStyle="warning",
                              error="not a load class of the shipped vehicle types")
    if f is None:
        return None
    if f.kind == "choice":
        return DataValidation(type="list", formula1=_list_formula(list(f.choices)),
                              allow_blank=True, showErrorMessage=True,
                              error=f"expected one of {', '.join(f.choices)}")
    if f.kind == "bool":
        return DataValidation(type="list", formula1=_list_formula(["true", "false"]),
                              allow_blank=True, showErrorMessage=True,
                              error="expected true or false")
    if f.numeric and math.isfinite(f.lo) and math.isfinite(f.hi) \
            and f.hi < schema.GENERIC_BOUND:
        return DataValidation(type="whole" if f.kind == "integer" else "decimal",
                              operator="between", formula1=repr(f.lo), formula2=repr(f.hi),
                              allow_blank=True, showErrorMessage=True,
                              error=f"expected {f.range_text()} ({f.unit or 'no unit'})")
    return None


def _yaml() -> str:
    tables = "tables:\n" + "".join(f"  {n}: {{file: {BOOK}, sheet: {n}}}\n" for n in SHEETS)
    text = SCENARIO_YAML.replace("{OPTIONS}", options_block()).replace(
        "{COLUMNS}", columns_block())
    start = text.index("tables:\n")
    end = text.index("\n\n", start)
    text = text[:start] + tables.rstrip("\n") + text[end:]
    return text.replace("# A starting scenario written by `clusteropt init`:",
                        "# A starting scenario written by `clusteropt init --xlsx` (the "
                        "tables are the sheets of scenario.xlsx):", 1)


def write_workbook_template(folder: Path, force: bool = False) -> None:
    """Write ``scenario.xlsx`` and ``scenario.yaml`` into ``folder`` (created if needed);
    refuses with FileExistsError if either exists, unless ``force``. The workbook is written
    first, so the YAML never names a missing file."""
    folder = Path(folder)
    refuse_existing(folder, FILES, force)
    folder.mkdir(parents=True, exist_ok=True)
    writers: dict[str, Callable[[Path], None]] = {
        BOOK: _write_book,
        "scenario.yaml": lambda p: p.write_text(_yaml(), encoding="utf-8")}
    for name in FILES:
        write_atomic(folder / name, writers[name], force=force)
