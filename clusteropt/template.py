"""``clusteropt init``: write a small, valid, commented starting scenario a planner can fill in.

The folder gets ``scenario.yaml`` (every section present, each with a short comment), four
tables as CSV (``nodes``, ``activities``, ``commodities``, ``demands``) and the shipped vehicle
types (``data/vehicle_types.csv``) as an Excel workbook, so that both table formats are shown.
Coordinates come from ``place`` ids in ``data/places.csv``. The format is documented in
``docs/scenarios.md``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from clusteropt import defaults, schema
from clusteropt.io import write_atomic

__all__ = ["FILES", "write_template"]

SCENARIO_YAML = """\
# A starting scenario written by `clusteropt init`: two growers who may stay where they are or
# move to one of two new greenhouse areas. Replace the figures with your own and check the
# result with `clusteropt validate scenario.yaml`. The format is documented in
# docs/scenarios.md of clusteropt.
#
# Units: tonnes (t), km, hours (h), euro (EUR), kg CO2e. Flows are tonnes per period.
# One-off costs (*_eur) are annualised with interest_rate and lifetime_years; *_eur_per_yr are
# annual. File paths are relative to this file.

name: my-study
description: >
  Two growers (tomatoes, cut flowers) may stay or move to one of two new greenhouse areas;
  produce goes to a trader, export and the auction, substrate comes from a supplier.

# Projected CRS in metres, used to measure distances (EPSG:28992 = Dutch RD New).
crs: EPSG:28992

# Representative periods and how often each occurs per year. Flows in the demands table are
# tonnes per period; a demand may give a column tonnes_<period id> per period instead of
# tonnes_per_period.
periods:
  - {id: week, weight: 52}

# Annualising one-off costs (development, relocation): C * i / (1 - (1 + i)^-n).
interest_rate: 0.04
lifetime_years: 20

# How leg distances are computed: straight_line (x circuity), network (a road line file) or
# matrix (a table with columns from, to, distance_km and optionally time_h, cost_eur_per_t).
distance:
  method: straight_line
  circuity: 1.3                # road km per straight-line km
  # file: roads.gpkg           # for method network (a line layer) or matrix (a table)
  # layer: roads               # network: layer of a GeoPackage

# Rules on the development sites (nodes of kind site). Leave out what does not apply.
site_rules:
  max_open: 1                  # at most this many sites open
  # exact_open: 1              # exactly this many sites open
  # budget_eur_per_yr: 250000  # annualised development cost + opex of the open sites

# Consolidation hubs (nodes of kind hub; this scenario has none yet): flows may go direct or
# through one or two open hubs. Leave out what does not apply.
hubs:
  direct: true                 # flows may also go direct, without a hub
  max_per_route: 2             # at most 1 or 2 hubs on a route
  # max_open: 1                # at most this many hubs open
  # k_nearest: 3               # only the 3 hubs nearest to each end
  # transfer_factor: 0.75      # tariff cost factor on hub-to-hub legs

{OPTIONS}
# Locked decisions. placement: activity -> node (one of its candidates or its stay node);
# sites: site -> open or closed.
fix:
  placement: {}                # e.g. {grower-tomato: area-zuidplas}
  sites: {}                    # e.g. {area-tinte: closed}

{COLUMNS}
tables:
  nodes: nodes.csv
  activities: activities.csv
  commodities: commodities.csv
  demands: demands.csv
  vehicles: vehicles.xlsx#vehicles
  # facilities: facilities.csv

# Variants: named changes to this scenario, run with `clusteropt run scenario.yaml --variant
# NAME`. Scalars are replaced; options, site_rules, distance and fix are merged key by key;
# table rows are patched by id (an existing id: the given columns are replaced; a new id: a
# row is added; drop: true removes the row).
variants:
  zuidplas-only:
    description: Only the Zuidplaspolder area can be developed.
    fix:
      sites: {area-tinte: closed}
  growth:
    description: The tomato grower doubles in size and volume.
    tables:
      activities:
        - {id: grower-tomato, size_ha: 24}
      demands:
        - {id: tomato-trader, tonnes_per_period: 140}
        - {id: tomato-export, tonnes_per_period: 80}
"""

ACTIVE_OPTIONS = {"time_limit_s": 60, "gap_rel": 0.0001, "co2_price_eur_per_t": 0,
                  "co2_basis": "wtw", "empty_running": "share"}  # written uncommented


def options_block() -> str:
    """The options section with every key of the schema: a few set, the rest commented out
    at their defaults, each with its description's first clause."""
    lines = ["# Solver and model options (the values shown are the defaults; docs/scenarios.md "
             "§11).", "options:"]
    for f in schema.plain("options"):
        value = ACTIVE_OPTIONS.get(f.column, f.default)
        if f.factor and value is None:
            value = defaults.factor(f.factor)
        shown = "null" if value is None else str(value).lower() if f.kind == "bool" else value
        head = f"  {'' if f.column in ACTIVE_OPTIONS else '# '}{f.column}: {shown}"
        note = re.split(r"; |: | — | \(§", f.description.replace("`", ""))[0].strip()
        room = 97 - max(len(head), 31)
        if len(note) > room:
            note = note[:note.rfind(" ", 0, room - 1)] + " …"
        lines.append(f"{head:<31}# {note}")
    return "\n".join(lines)


def columns_block() -> str:
    """A comment listing every column of each table (* = required), from the schema."""
    lines = ["# The tables: CSV, Excel (file.xlsx#sheet), GeoJSON, GeoPackage (file.gpkg#layer) "
             "or rows", "# written here. Columns of each table (* required; "
             "docs/scenarios.md §5):"]
    for table in schema.TABLES:
        cols = [f.column + ("*" if f.required else "") for f in schema.fields(table)]
        text = ", ".join(cols)
        first = f"#   {table:<12} "
        while text:
            cut = text if len(first) + len(text) <= 98 else text[:text.rfind(", ", 0,
                                                                     98 - len(first)) + 1]
            lines.append((first + cut).rstrip())
            text = text[len(cut):].lstrip()
            first = "#" + " " * 16
    return "\n".join(lines)


NODES_CSV = """\
id,name,kind,place,lat,lon,modes,cap_ha,dev_cost_eur,opex_eur_per_yr
farm-naaldwijk,Tomato grower today (Naaldwijk),location,naaldwijk,,,road,,,
farm-monster,Cut-flower grower today (Monster),location,monster,,,road,,,
area-zuidplas,New greenhouse area Zuidplaspolder,site,zuidplaspolder,,,road,40,2000000,40000
area-tinte,New greenhouse area Tinte,site,tinte,,,road,30,1500000,30000
auction,Royal FloraHolland Naaldwijk,location,rfh-naaldwijk,,,road,,,
trader,Fresh-produce trader Barendrecht,location,barendrecht,,,road,,,
supplier,Substrate supplier Bleiswijk,location,bleiswijk,,,road,,,
port,Port of Rotterdam (export),gateway,maasvlakte,,,road,,,
"""

ACTIVITIES_CSV = """\
id,name,node,movable,candidates,new,size_ha,reloc_cost_eur
grower-tomato,Tomato grower,farm-naaldwijk,true,area-zuidplas;area-tinte,false,12,1500000
grower-flowers,Cut-flower grower,farm-monster,true,area-zuidplas;area-tinte,false,8,1000000
auction,Flower auction,auction,false,,false,,
trader,Fresh-produce trader,trader,false,,false,,
supplier,Substrate and packaging supplier,supplier,false,,false,,
export,Export via Rotterdam,port,false,,false,,
"""

COMMODITIES_CSV = """\
id,name,load_class,density_t_per_m3,pallets_per_t,internal_cost_eur_per_t
tomato,Tomatoes (crates on pallets),chilled,0.35,2.2,0
flowers,Cut flowers (trolleys),plants,0.08,,0
substrate,Substrate and packaging,bulk,0.25,,0
"""

DEMANDS_CSV = """\
id,kind,origin,destination,commodity,tonnes_per_period
tomato-trader,directed,grower-tomato,trader,tomato,70
tomato-export,directed,grower-tomato,export,tomato,40
flowers-auction,directed,grower-flowers,auction,flowers,9
substrate-tomato,directed,supplier,grower-tomato,substrate,6
substrate-flowers,directed,supplier,grower-flowers,substrate,4
"""

VEHICLES_SHEET = "vehicles"
NOTES = [  # (column, unit, meaning): the second sheet of vehicles.xlsx, from the schema
    ("vehicles", "",
     ("The shipped vehicle types (data/vehicle_types.csv, sources in data/README.md). This "
      "table replaces the shipped list: edit, add or delete rows.")),
    *((f.column, f.unit, f.description.replace("`", "").replace("**", ""))
      for f in schema.fields("vehicles")),
    ("source", "", "for information; not read by clusteropt"),
]

FILES = ("nodes.csv", "activities.csv", "commodities.csv", "demands.csv", "vehicles.xlsx",
         "scenario.yaml")


def _text_writer(text: str) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        path.write_text(text, encoding="utf-8")
    return write


def _vehicles_writer() -> Callable[[Path], None]:
    frame = pd.read_csv(defaults.DATA_DIR / "vehicle_types.csv", dtype=str,
                        keep_default_na=False)
    for col in frame.columns:  # numbers as numbers, empty cells as empty cells
        cells = frame[col].str.strip()
        numbers = pd.to_numeric(cells.where(cells != ""), errors="coerce")
        if ((cells == "") | numbers.notna()).all() and (cells != "").any():
            frame[col] = numbers
        else:
            frame[col] = cells.where(cells != "", None)
    notes = pd.DataFrame(NOTES, columns=["column", "unit", "meaning"])

    def write(path: Path) -> None:
        with pd.ExcelWriter(path, engine="openpyxl") as book:
            frame.to_excel(book, sheet_name=VEHICLES_SHEET, index=False)
            notes.to_excel(book, sheet_name="notes", index=False)
            sheet = book.sheets[VEHICLES_SHEET]
            sheet.freeze_panes = "B2"
            for cells in sheet.columns:
                head = str(cells[0].value or "")
                sheet.column_dimensions[cells[0].column_letter].width = min(
                    max(len(head) + 2, 10), 40)
            book.sheets["notes"].column_dimensions["A"].width = 20
            book.sheets["notes"].column_dimensions["B"].width = 18
            book.sheets["notes"].column_dimensions["C"].width = 100
    return write


def refuse_existing(folder: Path, files, force: bool) -> None:
    """FileExistsError if ``folder`` is a file, or (unless ``force``) already holds one of
    ``files``: ``init`` writes nothing over a user's files."""
    if folder.exists() and not folder.is_dir():
        raise FileExistsError(f"{folder} exists and is not a folder; choose another name")
    if not force:
        existing = [name for name in files if (folder / name).exists()]
        if existing:
            raise FileExistsError(f"{folder} already holds {', '.join(existing)}; "
                                  f"use --force to overwrite")


def write_template(folder: Path, force: bool = False) -> None:
    """Write a starting scenario into ``folder`` (created if needed).

    Refuses with :class:`FileExistsError` if ``folder/scenario.yaml`` or any other file it
    would write exists, unless ``force``; in that case nothing is written. Each file is
    written atomically; ``scenario.yaml`` comes last, so it never names a missing table.
    """
    folder = Path(folder)
    refuse_existing(folder, FILES, force)
    writers: dict[str, Callable[[Path], None]] = {
        "nodes.csv": _text_writer(NODES_CSV),
        "activities.csv": _text_writer(ACTIVITIES_CSV),
        "commodities.csv": _text_writer(COMMODITIES_CSV),
        "demands.csv": _text_writer(DEMANDS_CSV),
        "vehicles.xlsx": _vehicles_writer(),
        "scenario.yaml": _text_writer(SCENARIO_YAML.replace("{OPTIONS}", options_block())
                                      .replace("{COLUMNS}", columns_block())),
    }
    folder.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        write_atomic(folder / name, writers[name], force=force)
