"""The scenario: typed records, loading from YAML plus tables, variants, and validation.

A scenario file (YAML) names its tables (CSV, XLSX, GeoJSON, GeoPackage or inline rows, see
``clusteropt.io``) and its scalars and options. ``load_scenario(path, variant=None)`` reads it,
applies a variant, checks every rule and returns a :class:`Scenario`, or raises
:class:`~clusteropt.errors.ScenarioError` listing every problem with file, row and column.

Units: tonnes, km, hours, euro, kg CO2e. Flows are tonnes per period. One-off costs (``*_eur``)
are annualised with the scenario's interest rate and lifetime; ``*_eur_per_yr`` are annual.
The format is documented in ``docs/scenarios.md``.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from clusteropt import defaults, schema
from clusteropt.errors import Issue, ScenarioError
from clusteropt.io import Table, TableError, read_table, read_utf8

TABLES = ("nodes", "activities", "commodities", "demands", "vehicles", "facilities")
LOAD_CLASSES_ANY = "*"
ID_PATTERN = re.compile(r"^[A-Za-z0-9_.:\-]+$")


# --------------------------------------------------------------------------------------------
# Scalars and options
# --------------------------------------------------------------------------------------------


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# The YAML sections and the table records: pydantic models made from the schema
# (clusteropt/schema.csv: types, defaults, ranges, units, descriptions in one place).
Period = schema.model("periods")
Distance = schema.model("distance")  # straight_line × circuity | network | matrix
SiteRules = schema.model("site_rules")  # counts, budget, k nearest candidates
HubRules = schema.model("hubs")  # hub counts, leg factors, route rules, form
Options = schema.model("options")  # solver and model options


class Fix(Strict):
    """Locked decisions: ``placement`` maps an activity to a node, ``sites`` a site to
    ``open``/``closed``."""

    placement: dict[str, str] = {}
    sites: dict[str, Literal["open", "closed"]] = {}


# --------------------------------------------------------------------------------------------
# Table records
# --------------------------------------------------------------------------------------------


NodeRow = schema.model("nodes")
ActivityRow = schema.model("activities")
CommodityRow = schema.model("commodities")
DemandRow = schema.model("demands")
VehicleRow = schema.model("vehicles")
FacilityRow = schema.model("facilities")
ROW_MODELS: dict[str, type[BaseModel]] = {name: schema.model(name) for name in TABLES}
# Wide columns (``cap_<dim>`` on nodes, ``size_<dim>`` on activities, ``tonnes_<period>`` on
# demands …), one per dimension or id: their prefixes, from the schema.
WIDE_PREFIXES = {name: schema.wide_prefixes(name) for name in TABLES}
INFO_COLUMNS = ("_row", "source", "notes", "comment")  # read as information, never used


# --------------------------------------------------------------------------------------------
# The scenario as the model sees it
# --------------------------------------------------------------------------------------------


@dataclass
class Node:
    id: str
    name: str
    kind: str
    lat: float | None
    lon: float | None
    x: float | None  # projected metres in the scenario CRS (filled by geo for coordinates)
    y: float | None
    capacity: dict[str, float]
    accept: dict[str, float]  # commodity → t/period a pooled acceptor here may take (if open)
    supply: dict[str, float]  # commodity → t/period a pooled supplier here may deliver
    modes: list[str]  # transport modes with access here (road always; barge/rail terminals)
    dev_cost_eur: float
    opex_eur_per_yr: float
    fixed_cost_eur_per_yr: float
    handling_eur_per_t: float = 0.0  # hubs: cost per tonne handled
    handling_h: float = 0.0  # hubs: hours per tonne's pass through the hub
    gate_fee: dict[str, float] = field(default_factory=dict)  # commodity → EUR/t taken in
    intake_periods: list[str] | None = None  # periods a pooled acceptor here takes in (None: all)
    process_input: str | None = None  # a processor: the commodity its yields apply to
    yields: dict[str, float] = field(default_factory=dict)  # product → t per t of process_input


@dataclass
class Activity:
    id: str
    name: str
    node: str | None  # today's node (fixed: its only node)
    movable: bool
    candidates: list[str]  # every node it may be placed at, stay node included
    new: bool
    size: dict[str, float]
    reloc_cost_eur: dict[str, float]  # one-off cost of moving to each candidate (stay: 0)
    accept: dict[str, float]  # commodity → t/period it accepts from pooled supply
    supply: dict[str, float]  # commodity → t/period it can deliver to pooled demand
    use: dict[str, float] = field(default_factory=dict)  # facility → use (facility's unit)
    own_eur_per_yr: dict[str, float] = field(default_factory=dict)  # facility → own cost
    gate_fee: dict[str, float] = field(default_factory=dict)  # commodity → EUR/t taken in
    intake_periods: list[str] | None = None  # periods it takes in pooled supply (None: all)
    process_input: str | None = None  # a processor: the commodity its yields apply to
    yields: dict[str, float] = field(default_factory=dict)  # product → t per t of process_input

    def stay_node(self) -> str | None:
        return None if self.new else self.node


@dataclass
class Commodity:
    id: str
    name: str
    load_class: str
    density_t_per_m3: float | None
    pallets_per_t: float | None
    max_transit_h: float | None
    shipments_per_period: float | None
    internal_cost_eur_per_t: float
    disposal_cost_eur_per_t: float | None  # outlet for pooled supply nobody accepts
    shortage_cost_eur_per_t: float | None  # penalty for pooled demand nobody supplies
    tour: str = "none"  # 'collect' / 'deliver': may ride multi-stop tours (model.md §4 tours)
    tour_stop_h: float = 0.25  # h per stop of a tour (data/factors.csv tour_stop_h_default)


@dataclass
class Demand:
    id: str
    kind: str
    origin: str | None
    destination: str | None
    commodity: str
    tonnes: dict[str, float]  # per period id
    shipments_per_period: float | None
    baseline_partner: str | None


@dataclass
class VehicleType:
    id: str
    name: str
    mode: str
    pricing: str
    payload_t: float | None
    volume_m3: float | None
    pallets: float | None
    cost_eur_per_km: float
    cost_eur_per_h: float
    toll_eur_per_km: float  # on every km driven
    toll_rate_eur_per_km: float  # on the km on tolled roads (Lanes.toll_share)
    speed_kmh: float
    handling_h_per_trip: float
    co2_empty_kg_per_km: float | None  # TTW as given (precedence over the carrier, §7)
    co2_full_kg_per_km: float | None
    wtw_ttw_ratio: float | None  # for the given co2_* only
    tariff_eur_per_tkm: float
    tariff_eur_per_t: float
    co2_ttw_kg_per_tkm: float | None
    load_classes: list[str] | None  # None: any
    baseline: bool
    legs: str = "any"  # 'hub': only on legs of hub routes; 'transfer': only hub-to-hub legs
    load_t_per_vkm: float | None = None  # tariff: t per vehicle-km (empties included)
    empty_share: float = 0.0  # tariff: empty share of its vehicle-km
    transit_h: float = 0.0  # h per leg on top of driving and handling (lead time)
    carrier: str | None = None  # energy carrier id (data/energy_carriers.csv)
    energy_empty_per_km: float | None = None  # carrier units per vehicle-km
    energy_full_per_km: float | None = None
    energy_per_tkm: float | None = None  # tariff: carrier units per tonne-km
    carrier_ttw_kg: float = 0.0  # the carrier's kg CO2e per unit, tank-to-wheel
    nox_empty_g_per_km: float | None = None  # exhaust NOx and PM10 (issue 24)
    nox_full_g_per_km: float | None = None
    pm10_empty_g_per_km: float | None = None
    pm10_full_g_per_km: float | None = None
    nox_g_per_tkm: float | None = None
    pm10_g_per_tkm: float | None = None
    carrier_wtt_kg: float = 0.0  # … well-to-tank
    unit_payload_t: float | None = None  # tariff: the load unit (container, wagon), t
    unit_volume_m3: float | None = None  # … m³
    unit_pallets: float | None = None  # … pallet places
    tariff_eur_per_unit: float = 0.0  # per unit per leg
    tariff_eur_per_unit_km: float = 0.0  # per unit-km
    departures_per_period: float | None = None  # scheduled service on every leg it runs
    units_per_departure: float | None = None
    max_tour_h: float = 9.0  # longest tour, h (data/factors.csv max_tour_h_default)

    def carries(self, load_class: str) -> bool:
        return self.load_classes is None or load_class in self.load_classes

    @property
    def has_units(self) -> bool:
        """A tariff type that names its load unit: it is counted in whole units per leg."""
        return self.pricing == "tariff" and any(
            x is not None for x in (self.unit_payload_t, self.unit_volume_m3, self.unit_pallets))

    def unit_capacity(self) -> tuple[float | None, float | None, float | None]:
        """(t, m³, pallet places) per trip (trip pricing) or per load unit (tariff)."""
        if self.pricing == "tariff":
            return self.unit_payload_t, self.unit_volume_m3, self.unit_pallets
        return self.payload_t, self.volume_m3, self.pallets


@dataclass
class Facility:
    id: str
    name: str
    sites: list[str]
    capacity: float
    modular: bool
    max_modules: int
    cost_eur: float
    opex_eur_per_yr: float
    connect_eur_per_yr: float


@dataclass
class Scenario:
    """A validated scenario (one variant applied). Every table is a dict by id."""

    name: str
    description: str
    variant: str | None
    crs: str
    periods: list[Period]
    interest_rate: float
    lifetime_years: float
    distance: Distance
    site_rules: SiteRules
    hubs: HubRules
    options: Options
    fix: Fix
    nodes: dict[str, Node]
    activities: dict[str, Activity]
    commodities: dict[str, Commodity]
    demands: dict[str, Demand]
    vehicles: dict[str, VehicleType]
    variants: list[str]
    facilities: dict[str, Facility] = field(default_factory=dict)
    path: Path | None = None
    base_dir: Path = Path(".")  # folder that relative paths (tables, distance files) start from
    content_hash: str = ""
    warnings: list[str] = field(default_factory=list)
    matrix: pd.DataFrame | None = None  # explicit lanes when distance.method == "matrix"
    node_rows: dict[str, tuple[str, int | None]] = field(default_factory=dict)  # for messages

    def annuity(self, one_off_eur: float) -> float:
        """Annual cost of a one-off amount: C · i / (1 − (1 + i)^−n) (C / n when i = 0)."""
        return annuity(one_off_eur, self.interest_rate, self.lifetime_years)

    def capacity_dims(self) -> list[str]:
        dims = {d for n in self.nodes.values() for d in n.capacity}
        dims |= {d for a in self.activities.values() for d in a.size}
        return sorted(dims)


def flow_commodity(sc: Scenario, demand: str) -> str:
    """The commodity of a solution row's demand: a demand's, or the product of a processor's
    product id 'processor>product' (products are not demands)."""
    dm = sc.demands.get(demand)
    return dm.commodity if dm is not None else demand.rpartition(">")[2]


def gate_fee_of(sc: Scenario, demand: str, partner: str, commodity: str) -> float:
    """EUR/t a flow pays at its pooled acceptor (0 for flows to suppliers or none)."""
    dm = sc.demands.get(demand)
    if not partner or (dm is not None and dm.kind != "pooled_supply"):
        return 0.0
    rec = sc.nodes.get(partner[1:]) if partner.startswith("@") else sc.activities.get(partner)
    return rec.gate_fee.get(commodity, 0.0) if rec is not None else 0.0


def annuity(one_off_eur: float, rate: float, years: float) -> float:
    """Annual equivalent of a one-off cost: C · i / (1 − (1 + i)^−n); C / n when i = 0."""
    if one_off_eur == 0:
        return 0.0
    if rate == 0:
        return one_off_eur / years
    return one_off_eur * rate / (1 - (1 + rate) ** -years)


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------

TOP_KEYS = {
    "name", "description", "crs", "periods", "interest_rate", "lifetime_years", "distance",
    "site_rules", "hubs", "options", "fix", "tables", "variants",
}
VARIANT_KEYS = TOP_KEYS - {"variants", "tables", "name"} | {"tables"}


class _Collector:
    """Collects issues so that every problem in a file is reported at once."""

    def __init__(self) -> None:
        self.issues: list[Issue] = []

    def add(self, file: str, row: int | None, column: str | None, message: str) -> None:
        self.issues.append(Issue(file, row, column, message))

    def raise_if_any(self) -> None:
        if self.issues:
            raise ScenarioError(self.issues)


class _StrictLoader(yaml.SafeLoader):
    """YAML that refuses a key given twice in one mapping (YAML would keep the last)."""

    def construct_mapping(self, node, deep=False):
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, str) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key '{key}' is given twice (first on line {seen[key]}); "
                                f"keep one", key_node.start_mark)
            if isinstance(key, str):
                seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep)


def _recursive(value: Any, seen: tuple = ()) -> bool:
    """Whether a loaded YAML value contains itself (an anchor that refers to itself)."""
    if isinstance(value, dict | list):
        if any(value is s for s in seen):
            return True
        items = value.values() if isinstance(value, dict) else value
        return any(_recursive(v, (*seen, value)) for v in items)
    return False


def read_yaml(path: str | Path) -> dict[str, Any]:
    """Read a scenario YAML file (UTF-8, no duplicate keys, no self-referencing anchors) into
    a dict, with every problem as a ScenarioError."""
    path = Path(path)
    if path.is_dir():
        raise ScenarioError([Issue(str(path), None, None, "is a folder; give the scenario's "
                                   "YAML file, e.g. " + str(path / "scenario.yaml"))])
    if not path.is_file():
        raise ScenarioError([Issue(str(path), None, None, "scenario file not found")])
    try:
        doc = yaml.load(read_utf8(path), Loader=_StrictLoader)  # noqa: S506 - a safe loader
    except UnicodeError as err:
        raise ScenarioError([Issue(str(path), None, None, f"{err}; save it as UTF-8")]) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        ctx, ctx_mark = getattr(err, "context", None), getattr(err, "context_mark", None)
        if ctx and ctx_mark is not None:
            ctx += f" (from line {ctx_mark.line + 1})"
        what = " ".join(x for x in (ctx, getattr(err, "problem", None)) if x) \
            or str(err).splitlines()[0]
        col = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise ScenarioError([Issue(str(path), row, None,
                                   f"not valid YAML: {what}{col}")]) from None
    except RecursionError:
        doc = None
    if doc is None or _recursive(doc):
        raise ScenarioError([Issue(str(path), None, None, "an anchor (&name) refers to itself "
                                   "(*name inside its own value); write the value out"
                                   if doc is not None or path.stat().st_size else
                                   "the file is empty; expected keys such as name and tables")])
    if not isinstance(doc, dict):
        raise ScenarioError([Issue(str(path), None, None,
                                   "expected a mapping with keys such as name and tables")])
    return doc


def load_scenario(path: str | Path, variant: str | None = None,
                  locks: dict | None = None) -> Scenario:
    """Load, apply ``variant`` (if given) and validate a scenario file. ``locks`` is a ``fix``
    mapping (placement, sites) applied on top, as the CLI's --fix/--open/--close give it."""
    path = Path(path)
    doc = read_yaml(path)
    if locks:
        fix = dict(doc.get("fix") or {})
        for key, value in locks.items():
            fix[key] = {**(fix.get(key) or {}), **value}
        doc = {**doc, "fix": fix}
        if variant is not None:
            var = dict((doc.get("variants") or {}).get(variant) or {})
            vfix = dict(var.get("fix") or {})
            for key, value in locks.items():
                vfix[key] = {**(vfix.get(key) or {}), **value}
            doc["variants"] = {**doc["variants"], variant: {**var, "fix": vfix}}
    return scenario_from_dict(doc, base_dir=path.parent, label=path.name, variant=variant,
                              path=path)


def scenario_from_dict(doc: dict[str, Any], base_dir: Path, label: str = "scenario.yaml",
                       variant: str | None = None, path: Path | None = None) -> Scenario:
    """Build a validated Scenario from a parsed scenario document."""
    errs = _Collector()
    for key in doc:
        if key not in TOP_KEYS:
            errs.add(label, None, key, f"unknown key; expected one of {sorted(TOP_KEYS)}")
    errs.raise_if_any()

    tables_spec = doc.get("tables") or {}
    if not isinstance(tables_spec, dict):
        raise ScenarioError([Issue(label, None, "tables", "expected a mapping table → file")])
    for name in tables_spec:
        if name not in TABLES:
            errs.add(label, None, f"tables.{name}", f"unknown table; expected one of {TABLES}")
    for required in ("nodes", "activities", "commodities", "demands"):
        if required not in tables_spec:
            errs.add(label, None, f"tables.{required}", "this table is required")
    errs.raise_if_any()

    tables: dict[str, Table] = {}
    for name, spec in tables_spec.items():
        try:
            tables[name] = read_table(spec, base_dir, f"{label}:tables.{name}")
        except TableError as err:
            errs.add(err.file, err.row, err.column, err.message)
    if "vehicles" not in tables:
        tables["vehicles"] = read_table(str(defaults.DATA_DIR / "vehicle_types.csv"),
                                        defaults.DATA_DIR, "vehicle_types.csv")
        tables["vehicles"].source = "data/vehicle_types.csv (default)"
    errs.raise_if_any()

    variants = doc.get("variants") or {}
    if not isinstance(variants, dict):
        raise ScenarioError([Issue(label, None, "variants", "expected a mapping name → variant")])
    bad_names = [str(n) for n in variants if not isinstance(n, str) or n == "base"
                 or not ID_PATTERN.match(str(n))]
    if bad_names:
        raise ScenarioError([Issue(label, None, f"variants.{n}",
                                   "'base' is the scenario without a variant; name the variant "
                                   "otherwise" if n == "base" else
                                   "variant names use letters, digits and - _ . : only")
                             for n in bad_names])
    scalars = {k: v for k, v in doc.items() if k not in ("tables", "variants")}
    if variant is not None:
        if variant not in variants:
            raise ScenarioError([Issue(label, None, "variants",
                                       f"no variant named '{variant}'; the scenario has: "
                                       f"{', '.join(variants) or 'none'}")])
        scalars = apply_variant(scalars, tables, variants[variant] or {},
                                f"{label}:variants.{variant}", errs)
        errs.raise_if_any()

    content = json.dumps({"doc": doc, "variant": variant,
                          "tables": {k: t.frame.to_json() for k, t in sorted(tables.items())}},
                         sort_keys=True, default=str)
    try:
        sc = _build(scalars, tables, list(variants), variant, label, errs)
    except ScenarioError as err:
        if variant is None:
            raise
        # a problem of the base file that only the variant brings about: say so
        raise ScenarioError([i if f"variants.{variant}" in i.file else Issue(
            i.file, i.row, i.column, f"{i.message} (with variant '{variant}')")
            for i in err.issues]) from None
    sc.path = path
    sc.base_dir = base_dir
    sc.content_hash = hashlib.sha256(content.encode()).hexdigest()[:16]
    return sc


def apply_variant(scalars: dict[str, Any], tables: dict[str, Table], var: dict[str, Any],
                  label: str, errs: _Collector) -> dict[str, Any]:
    """Apply a variant in place on the tables and return the new scalars.

    Semantics: scalars are replaced; ``options``, ``site_rules``, ``distance`` and ``fix`` are
    merged key by key; ``tables.<name>`` is a list of rows patched by ``id``: an existing id gets
    the given columns replaced, a new id is added as a whole row, ``drop: true`` removes it.
    """
    if not isinstance(var, dict):
        errs.add(label, None, None, "a variant is a mapping (description, options, tables, fix…)")
        return scalars
    out = copy.deepcopy(scalars)
    for key, value in var.items():
        if key == "description":
            continue
        if key not in VARIANT_KEYS:
            errs.add(label, None, key, f"unknown key in a variant; expected one of "
                                       f"{sorted(VARIANT_KEYS | {'description'})}")
        elif key == "tables":
            if not isinstance(value, dict):
                errs.add(label, None, "tables", "expected a mapping table → list of row patches")
                continue
            for tname, rows in value.items():
                if tname not in tables:
                    errs.add(label, None, f"tables.{tname}", f"no table '{tname}' to patch")
                    continue
                _patch_table(tables[tname], rows, f"{label}:tables.{tname}", errs)
        elif key in ("options", "site_rules", "hubs", "distance", "fix") \
                and isinstance(value, dict):
            merged = dict(out.get(key) or {})
            if key == "fix":
                for sub, subval in value.items():
                    if not isinstance(subval, dict | None):
                        errs.add(label, None, f"fix.{sub}", "expected a mapping, e.g. "
                                 "{site-a: closed} or {grower-1: site-a}")
                        continue
                    merged[sub] = {**(merged.get(sub) or {}), **(subval or {})}
            else:
                merged.update(value)
            out[key] = merged
        else:
            out[key] = value
    return out


def _patch_table(table: Table, rows: Any, label: str, errs: _Collector) -> None:
    if not isinstance(rows, list):
        errs.add(label, None, None, "expected a list of rows, each with an id")
        return
    frame = table.frame.copy()
    if "id" not in frame.columns:
        errs.add(label, None, "id", "the table has no id column to patch by")
        return
    ids = [_format_id(v) for v in frame["id"]]
    for i, row in enumerate(rows, start=1):
        if not isinstance(row, dict) or "id" not in row:
            errs.add(label, i, "id", "each patch row is a mapping with an 'id'")
            continue
        rid = _format_id(row["id"])
        drop = _parse_bool(row.get("drop", False))
        if not isinstance(drop, bool):
            errs.add(label, i, "drop", f"expected true or false, got '{drop}'")
            continue
        values = {str(k).lower(): v for k, v in row.items() if k not in ("id", "drop")}
        if rid in ids:
            idx = frame.index[[_format_id(v) == rid for v in frame["id"]]][0]
            if drop:
                frame = frame.drop(index=idx)
                ids.remove(rid)
                continue
            if "_row" in frame.columns:
                frame["_row"] = frame["_row"].astype(object)
                frame.at[idx, "_row"] = f"{label} row {i}"
            for col, v in values.items():
                if col not in frame.columns:
                    frame[col] = None
                    frame[col] = frame[col].astype(object)
                frame[col] = frame[col].astype(object)
                frame.at[idx, col] = _normalise_cell(v)
        elif drop:
            errs.add(label, i, "id", f"cannot drop '{rid}': no such row")
        else:
            new = {c: None for c in frame.columns}
            new.update({"id": rid, **{c: _normalise_cell(v) for c, v in values.items()}})
            new["_row"] = f"{label} row {i}"
            frame = pd.concat([frame.astype(object), pd.DataFrame([new]).astype(object)],
                              ignore_index=True)
            ids.append(rid)
    table.frame = frame.reset_index(drop=True)


def _normalise_cell(v: Any) -> Any:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return ";".join(str(x) for x in v)
    return v


# --------------------------------------------------------------------------------------------
# Building and validating the records
# --------------------------------------------------------------------------------------------


def _cell(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, str):
        v = v.strip()
        return v or None
    return v


def _row_location(table: Table, i: int) -> tuple[str, int | None]:
    """(file label, row number) of frame row i, also for rows added by a variant."""
    frame = table.frame
    if "_row" in frame.columns:
        r = frame["_row"].iloc[i]
        if isinstance(r, str):
            lab, _, num = r.rpartition(" row ")
            return lab, int(num)
        if r is not None and not (isinstance(r, float) and math.isnan(r)):
            return table.source, int(r)
    return table.source, table.row_number(i)


def _parse_bool(v: Any) -> Any:
    if isinstance(v, str):
        low = v.strip().lower()
        if low in ("true", "yes", "1", "y", "ja", "1.0"):
            return True
        if low in ("false", "no", "0", "n", "nee", "0.0"):
            return False
    if isinstance(v, (int, float)) and v in (0, 1):
        return bool(v)
    return v


def _records(name: str, table: Table, errs: _Collector, failed: set[str],
             warnings: list[str], extra_columns: tuple[str, ...] = ()
             ) -> list[tuple[BaseModel, dict, str, int]]:
    """Validate each row of a table; returns (record, wide columns, file, row). The ids of
    rows that fail go to ``failed``, so that references to them are not reported as unknown.
    A column the schema does not know is an error with a suggestion, unless ``extra_columns``
    (``options.extra_columns``) names it (or holds ``*``: then it is a warning)."""
    model = ROW_MODELS[name]
    fields = model.model_fields
    out = []
    seen: dict[str, int | None] = {}
    prefixes = WIDE_PREFIXES.get(name, ())
    unknown_cols: dict[str, int] = {}  # column → rows with a value in it
    for i, raw in enumerate(table.frame.to_dict("records")):
        file, row = _row_location(table, i)
        data = {k: _cell(v) for k, v in raw.items() if k != "_row"}
        clean: dict[str, Any] = {}
        wide: dict[str, Any] = {}
        for k, v in data.items():
            if k in fields:
                if v is None:
                    continue
                ann = str(fields[k].annotation)
                if "bool" in ann:
                    v = _parse_bool(v)
                if "str" in ann and not isinstance(v, str):
                    v = _format_id(v)
                clean[k] = v
            elif any(k.startswith(p) for p in prefixes):
                wide[k] = v
            elif k not in INFO_COLUMNS:
                unknown_cols[k] = unknown_cols.get(k, 0) + (v is not None)
        try:
            rec = model.model_validate(clean)
        except ValidationError as err:
            for e in err.errors():
                col = str(e["loc"][0]) if e["loc"] else None
                got = data.get(col) if col else None
                errs.add(file, row, col, _explain(e, got))
            if clean.get("id") is not None:
                failed.add(str(clean["id"]))
            continue
        bad = False
        for col in fields:  # finite and in range (schema.csv)
            why = schema.field(name, col).check(getattr(rec, col, None))
            if why and getattr(rec, col, None) is not None:
                errs.add(file, row, col, why)
                bad = True
        for k, v in wide.items():
            if v is None:
                continue
            why = schema.field(name, k).check(v)
            if why:
                errs.add(file, row, k, why)
                bad = True
                continue
            wide[k] = float(v)
        rid = rec.id  # type: ignore[attr-defined]
        if not ID_PATTERN.match(rid):
            errs.add(file, row, "id", f"ids use letters, digits and - _ . : only, got '{rid}'")
            bad = True
        if rid in seen:
            errs.add(file, row, "id", f"duplicate id '{rid}' (first at row {seen[rid]})")
            bad = True
        seen.setdefault(rid, row)
        if not bad:
            out.append((rec, {k: v for k, v in wide.items() if v is not None}, file, row))
        else:
            failed.add(rid)
    wide_hint = f", {', '.join(p + '<id>' for p in prefixes)}" if prefixes else ""
    known = [*fields, *INFO_COLUMNS[1:]]
    for col, filled in unknown_cols.items():
        if col in extra_columns:
            continue
        text = unknown_column(col, filled, known, f"known: {', '.join(fields)}{wide_hint}")
        if "*" in extra_columns:
            warnings.append(f"{table.source}: {text} (not used; options.extra_columns: '*')")
        else:
            errs.add(table.source, None, None, text + "; list deliberate extra columns in "
                     "options.extra_columns")
    return out


def _check_load_unit(rec: Any, file: str, row: int | None, errs: _Collector) -> None:
    """Load units and schedules belong to tariff types; a price per unit needs a unit; a
    schedule needs a unit and both of its columns."""
    unit = [c for c in ("unit_payload_t", "unit_volume_m3", "unit_pallets")
            if getattr(rec, c) is not None]
    if unit and rec.pricing != "tariff":
        errs.add(file, row, unit[0], "a load unit belongs to a tariff-priced type (a "
                                     "trip-priced type has payload_t, volume_m3, pallets)")
    for col in ("tariff_eur_per_unit", "tariff_eur_per_unit_km"):
        if getattr(rec, col) and not unit:
            errs.add(file, row, col, "a price per unit needs the load unit: give "
                                     "unit_payload_t, unit_volume_m3 or unit_pallets")
    dep, per = rec.departures_per_period, rec.units_per_departure
    if (dep is None) != (per is None):
        errs.add(file, row, "units_per_departure" if per is None else "departures_per_period",
                 "a schedule needs both departures_per_period and units_per_departure")
    elif dep is not None and not unit:
        errs.add(file, row, "departures_per_period", "a schedule counts load units: give "
                                                     "unit_payload_t, unit_volume_m3 or "
                                                     "unit_pallets")


def _attach_carrier(vt: VehicleType, file: str, row: int | None, errs: _Collector) -> None:
    """Copy the TTW and WTT factors of the vehicle type's energy carrier onto it (data, not a
    rule: ``clusteropt.emissions`` and the checker turn them into factors per km)."""
    energy = [c for c in ("energy_empty_per_km", "energy_full_per_km", "energy_per_tkm")
              if getattr(vt, c) is not None]
    if vt.carrier is None:
        if energy:
            errs.add(file, row, energy[0], f"{energy[0]} needs a carrier (e.g. diesel_b7, "
                                           f"electricity_nl; see data/energy_carriers.csv)")
        return
    table = defaults.carriers()
    if vt.carrier not in table.index:
        errs.add(file, row, "carrier", f"unknown energy carrier '{vt.carrier}'; known: "
                                       f"{', '.join(table.index)} (data/energy_carriers.csv)")
        return
    vt.carrier_ttw_kg = float(table.loc[vt.carrier, "ttw_kg_co2e_per_unit"])
    vt.carrier_wtt_kg = float(table.loc[vt.carrier, "wtt_kg_co2e_per_unit"])


def _geocode(postcode: str | None, place: str | None) -> tuple[float, float] | str | None:
    """(lat, lon) of a node from its postcode, else its place (an id of data/places.csv, else
    a Dutch place name: clusteropt.geocode); the reason as text when it cannot be located;
    None when neither is given."""
    from clusteropt import geocode

    try:
        if postcode is not None:
            p = geocode.postcode(postcode)
            return p.lat, p.lon
        if place is not None:
            ll = defaults.place(place)
            if ll is not None:
                return ll
            p = geocode.place_name(place)
            return p.lat, p.lon
    except geocode.GeocodeError as err:
        if postcode is not None:
            return str(err)
        return f"{err}; or an id of data/places.csv (e.g. naaldwijk, rfh-aalsmeer)"
    return None


def _period_columns(table: Table, pids: list[str], errs: _Collector) -> None:
    """Each ``tonnes_<x>`` column of the demands table whose ``x`` is no period: one error
    for the column, with the rows that fill it counted and the closest known name."""
    known = ["tonnes_per_period", *(f"tonnes_{p.lower()}" for p in pids)]
    frame = table.frame
    for col in frame.columns:
        if col.startswith("tonnes_") and col not in known:
            filled = int(frame[col].notna().sum())
            errs.add(table.source, None, None, unknown_column(
                col, filled, known, f"no period '{col[7:]}'; periods are {', '.join(pids)} "
                                    f"(tonnes_per_period or tonnes_<period>)"))


def unknown_column(col: str, filled: int, known: list[str], otherwise: str) -> str:
    """'column 'x' unknown in 37 rows; did you mean 'y'?' (difflib's closest known name), or
    the known names when none is close."""
    import difflib

    where = f"in {filled} row{'s' if filled != 1 else ''}" if filled else "(empty in every row)"
    close = difflib.get_close_matches(col, known, n=1, cutoff=0.75)
    hint = f"did you mean '{close[0]}'?" if close else otherwise
    return f"column '{col}' unknown {where}; {hint}"


def _format_id(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _explain(e: dict, got: Any, known: Any = ()) -> str:
    """A pydantic error in the project's words (never pydantic's own message); ``known``: the
    keys allowed where an unknown key was given."""
    import difflib

    kind = e.get("type", "")
    if kind == "missing":
        return "a value is required here"
    if kind == "extra_forbidden":
        key = str(e["loc"][-1]) if e.get("loc") else "?"
        close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
        return "unknown key; " + (f"did you mean '{close[0]}'?" if close else
                                  f"expected one of {', '.join(known)}" if known else
                                  "remove it")
    if kind == "literal_error":
        expected = e.get("ctx", {}).get("expected", "one of the listed values")
        return f"expected {expected}, got '{got}'"
    if kind.startswith("float") or kind.startswith("int"):
        return f"expected a number, got '{got}'"
    if kind.startswith("bool"):
        return f"expected true or false, got '{got}'"
    if kind.startswith(("dict", "model")):
        return f"expected a mapping of key: value, got '{got}'"
    if kind.startswith(("list", "tuple")):
        return f"expected a list, got '{got}'"
    if kind.startswith("string"):
        return f"expected text, got '{got}'"
    return f"not a valid value here: '{got}'"


def _crs_problem(text: str) -> str | None:
    """Why ``text`` is not a usable scenario CRS (a projected CRS in metres), or None."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        crs = CRS.from_user_input(text)
    except CRSError:
        return (f"'{text}' is not a known CRS; give an EPSG code such as EPSG:28992 (Dutch "
                f"RD New) or EPSG:3035 (Europe)")
    units = {ax.unit_name for ax in crs.axis_info}
    if not crs.is_projected or not units <= {"metre", "meter"}:
        return (f"{text} ({crs.name}) is not a projected CRS in metres; distances are measured "
                f"in one, e.g. EPSG:28992 or EPSG:3035")
    return None


def _xy_to_lonlat(records: list, source_crs: str) -> None:
    """Nodes read from a projected layer in another CRS than the scenario's: keep them as
    WGS84 lon/lat so that the lanes project them into the scenario CRS."""
    from pyproj import Transformer

    tf = Transformer.from_crs(source_crs, "EPSG:4326", always_xy=True)
    for rec in records:
        if rec.x is not None and rec.y is not None and rec.lat is None:
            rec.lon, rec.lat = tf.transform(rec.x, rec.y)
            rec.x = rec.y = None


def _match_wide_ids(nodes, activities, commodities, facilities) -> None:
    """Column headers are lower-cased; give wide-column keys back the ids' own spelling."""
    def remap(d: dict[str, float], ids) -> dict[str, float]:
        lower = {i.lower(): i for i in ids}
        return {lower.get(k, k): v for k, v in d.items()}

    for x in (*nodes.values(), *activities.values()):
        x.accept, x.supply = remap(x.accept, commodities), remap(x.supply, commodities)
        x.gate_fee, x.yields = remap(x.gate_fee, commodities), remap(x.yields, commodities)
    for a in activities.values():
        a.use, a.own_eur_per_yr = remap(a.use, facilities), remap(a.own_eur_per_yr, facilities)


def _check_processing(nodes, node_rows, activities, act_rows, commodities, pids,
                      errs: _Collector) -> None:
    """Gate fees, intake periods and yields name known commodities and periods; a processor's
    ``process_input`` is one it accepts; a product is not the input of any processor (no
    chains), not its own input, and has a ``disposal_cost_eur_per_t`` (so a product nobody
    takes keeps the model feasible)."""
    inputs = {x.process_input for x in (*nodes.values(), *activities.values())}
    for table, recs, rows in (("nodes", nodes, node_rows), ("activities", activities,
                                                               act_rows)):
        for rid, x in recs.items():
            file, row = rows.get(rid, (table, None))
            for col, ids in (("gate_fee_", x.gate_fee), ("yield_", x.yields)):
                for k in ids:
                    if k not in commodities:
                        errs.add(file, row, f"{col}{k}", f"unknown commodity '{k}'")
            for p in x.intake_periods or []:
                if p not in pids:
                    errs.add(file, row, "intake_periods", f"unknown period '{p}'; periods: "
                             f"{', '.join(pids)}")
            if not x.yields:
                if x.process_input is not None:
                    errs.add(file, row, "process_input", "a process_input needs yield_<product> "
                             "columns")
                continue
            k_in = x.process_input
            if k_in is None or x.accept.get(k_in, 0.0) <= 0:
                errs.add(file, row, "process_input", f"yields need the commodity they apply to "
                         f"in process_input, one this {table[:-1]} accepts (accept_<commodity> "
                         f"> 0); got '{k_in}'")
            for k in x.yields:
                if k == k_in or k in inputs:
                    errs.add(file, row, f"yield_{k}", f"product '{k}' is a processor's input; "
                             f"chains of processors are not modelled")
                elif k in commodities and commodities[k].disposal_cost_eur_per_t is None:
                    errs.add(file, row, f"yield_{k}", f"product '{k}' needs a "
                             f"disposal_cost_eur_per_t (what a tonne nobody takes costs)")


def _wide(wide: dict[str, float], prefix: str) -> dict[str, float]:
    return {k[len(prefix):]: v for k, v in wide.items() if k.startswith(prefix)}


def _processing(rec, wide: dict[str, float]) -> dict[str, Any]:
    """The pooled-acceptor and processor fields of a node or activity row: gate fees, intake
    periods, process input and yields."""
    periods = _split_list(rec.intake_periods)
    return {"gate_fee": _wide(wide, "gate_fee_"), "intake_periods": periods or None,
            "process_input": rec.process_input, "yields": _wide(wide, "yield_")}


def _split_list(v: str | None) -> list[str]:
    if not v:
        return []
    return [p.strip() for p in re.split(r"[;,|]", v) if p.strip()]


def _build(scalars: dict[str, Any], tables: dict[str, Table], variant_names: list[str],
           variant: str | None, label: str, errs: _Collector) -> Scenario:
    def model_of(cls, key, default):
        value = scalars.get(key)
        if value is None:
            return default
        try:
            return cls.model_validate(value)
        except ValidationError as err:
            for e in err.errors():
                loc = ".".join(str(p) for p in (key, *e["loc"]))
                errs.add(label, None, loc, _explain(e, _dig(value, e["loc"]),
                                                    list(cls.model_fields)))
            return default

    def settle(section: str, obj, where: str):
        """Defaults from data/factors.csv where the schema names one, then the schema's
        checks (finite, in range) of every field of a YAML section."""
        for f in schema.plain(section):
            v = getattr(obj, f.column, None)
            if v is None and f.factor:
                v = float(defaults.factor(f.factor))
                setattr(obj, f.column, v)
            why = f.check(v)
            if why:
                errs.add(label, None, f"{where}{f.column}", why)
        return obj

    periods_raw = scalars.get("periods")
    periods: list[Period] = []
    if periods_raw is None:
        periods = [settle("periods", Period(id="week"), "periods[1].")]
    elif not isinstance(periods_raw, list) or not periods_raw:
        errs.add(label, None, "periods", "expected a list of {id, weight}")
    else:
        for i, p in enumerate(periods_raw):
            try:
                periods.append(settle("periods", Period.model_validate(p), f"periods[{i + 1}]."))
            except ValidationError as err:
                for e in err.errors():
                    errs.add(label, None, f"periods[{i + 1}].{'.'.join(map(str, e['loc']))}",
                             _explain(e, _dig(p, e["loc"]), list(Period.model_fields)))
    distance = settle("distance", model_of(Distance, "distance", Distance()), "distance.")
    site_rules = settle("site_rules", model_of(SiteRules, "site_rules", SiteRules()),
                        "site_rules.")
    hubs = settle("hubs", model_of(HubRules, "hubs", HubRules()), "hubs.")
    early_warnings: list[str] = []
    raw_options = scalars.get("options")
    if isinstance(raw_options, dict) and "baseline_empty_running" in raw_options:
        raw_options = dict(raw_options)
        old_rule = raw_options.pop("baseline_empty_running")
        if "empty_running" in raw_options:
            errs.add(label, None, "options.baseline_empty_running",
                     "give only options.empty_running (baseline_empty_running is its old name)")
        else:
            raw_options["empty_running"] = old_rule
            early_warnings.append(f"{label}: options.baseline_empty_running is now "
                                  f"options.empty_running (it applies to today and every "
                                  f"option alike)")
        scalars = {**scalars, "options": raw_options}
    options = settle("options", model_of(Options, "options", Options()), "options.")
    fix = model_of(Fix, "fix", Fix())

    def number(key: str) -> float:
        f = schema.field("scenario", key)
        v = scalars.get(key)
        if v is None:
            return float(defaults.factor(f.factor))
        why = f.check(v)
        if why:
            errs.add(label, None, key, why)
            return float(defaults.factor(f.factor))
        return float(v)

    interest = number("interest_rate")
    lifetime = number("lifetime_years")
    for key in ("name", "description", "crs"):  # text scalars
        v = scalars.get(key)
        if v is not None and not isinstance(v, str):
            errs.add(label, None, key, f"expected text, got {type(v).__name__} {v!r}"
                     + (" (write it as EPSG:28992)" if key == "crs" else ""))
    crs = str(scalars.get("crs") or schema.field("scenario", "crs").default)
    crs_problem = _crs_problem(crs)
    if crs_problem:
        errs.add(label, None, "crs", crs_problem)
        errs.raise_if_any()  # every coordinate would be reported as wrong otherwise
    if options.solver.upper() != "HIGHS":
        import pulp

        found = [x for x in pulp.listSolvers(onlyAvailable=True)
                 if x.upper() == options.solver.upper()]
        if not found:
            errs.add(label, None, "options.solver",
                     f"solver '{options.solver}' is not available here; available: "
                     f"{', '.join(pulp.listSolvers(onlyAvailable=True))} (HiGHS is the "
                     f"default)")
    pids = [p.id for p in periods]
    if len(set(pids)) != len(pids):
        errs.add(label, None, "periods", "period ids must be unique")

    failed: dict[str, set[str]] = {name: set() for name in TABLES}
    warnings: list[str] = early_warnings
    for name in ("nodes", "activities", "commodities", "demands", "vehicles"):
        if name in tables and not len(tables[name].frame):
            errs.add(tables[name].source, None, None,
                     f"the {name} table has no rows; a scenario needs at least one "
                     f"{name[:-1] if name != 'activities' else 'activity'}")
    errs.raise_if_any()  # an empty table would make every reference to it "unknown"
    extra_columns = tuple(c.lower() for c in _split_list(options.extra_columns))
    recs = {name: _records(name, tables[name], errs, failed[name], warnings, extra_columns)
            for name in TABLES if name in tables}
    _period_columns(tables["demands"], pids, errs)

    def unknown(table: str, ref: str, known: dict) -> bool:
        return ref not in known and ref not in failed[table]

    nodes: dict[str, Node] = {}
    node_rows: dict[str, tuple[str, int | None]] = {}
    table_crs = tables["nodes"].crs
    if table_crs and str(table_crs).upper() != crs.upper():
        _xy_to_lonlat([r for r, _, _, _ in recs["nodes"]], table_crs)
    for rec, wide, file, row in recs["nodes"]:
        if rec.lat is None and rec.x is None:
            where = _geocode(rec.postcode, rec.place)
            if isinstance(where, tuple):
                rec.lat, rec.lon = where
            elif where is not None:
                errs.add(file, row, "postcode" if rec.postcode is not None else "place", where)
        has_ll = rec.lat is not None and rec.lon is not None
        has_xy = rec.x is not None and rec.y is not None
        if not (has_ll or has_xy) and distance.method != "matrix":
            errs.add(file, row, "lat", "coordinates are required: lat and lon (WGS84), x and "
                                       "y in the scenario CRS, a Dutch postcode or a place — "
                                       "or use distance method 'matrix'")
        if rec.lat is not None and not -90 <= rec.lat <= 90:
            errs.add(file, row, "lat", f"expected a latitude between -90 and 90, got {rec.lat}")
        if rec.lon is not None and not -180 <= rec.lon <= 180:
            errs.add(file, row, "lon", f"expected a longitude between -180 and 180, got {rec.lon}")
        nodes[rec.id] = Node(
            id=rec.id, name=rec.name or rec.id, kind=rec.kind, lat=rec.lat, lon=rec.lon,
            x=rec.x, y=rec.y, capacity=_wide(wide, "cap_"), accept=_wide(wide, "accept_"),
            supply=_wide(wide, "supply_"),
            modes=sorted(set(_split_list(rec.modes)) | {"road", "internal"}),
            dev_cost_eur=rec.dev_cost_eur, opex_eur_per_yr=rec.opex_eur_per_yr,
            fixed_cost_eur_per_yr=rec.fixed_cost_eur_per_yr,
            handling_eur_per_t=rec.handling_eur_per_t, handling_h=rec.handling_h,
            **_processing(rec, wide))
        node_rows[rec.id] = (file, row)

    commodities: dict[str, Commodity] = {}
    com_rows: dict[str, tuple[str, int | None]] = {}
    for rec, _, file, row in recs["commodities"]:
        com_rows[rec.id] = (file, row)
        commodities[rec.id] = Commodity(
            id=rec.id, name=rec.name or rec.id, load_class=rec.load_class,
            density_t_per_m3=rec.density_t_per_m3, pallets_per_t=rec.pallets_per_t,
            max_transit_h=rec.max_transit_h, shipments_per_period=rec.shipments_per_period,
            internal_cost_eur_per_t=rec.internal_cost_eur_per_t,
            disposal_cost_eur_per_t=rec.disposal_cost_eur_per_t,
            shortage_cost_eur_per_t=rec.shortage_cost_eur_per_t, tour=rec.tour,
            tour_stop_h=(rec.tour_stop_h if rec.tour_stop_h is not None else float(
                defaults.factor(schema.field("commodities", "tour_stop_h").factor))))

    vehicles: dict[str, VehicleType] = {}
    for rec, _, file, row in recs["vehicles"]:
        for col in ("speed_kmh", "max_tour_h"):
            if getattr(rec, col) is None:
                setattr(rec, col, float(defaults.factor(schema.field("vehicles", col).factor)))
        classes = _split_list(rec.load_classes)
        if rec.pricing == "trip" and rec.payload_t is None:
            errs.add(file, row, "payload_t", "a trip-priced vehicle type needs its payload in "
                                             "tonnes, e.g. 26")
        _check_load_unit(rec, file, row, errs)
        vehicles[rec.id] = vt = VehicleType(
            **{k: getattr(rec, k) for k in VehicleRow.model_fields
               if k not in ("load_classes", "name", "fuel")},
            name=rec.name or rec.id,
            load_classes=None if LOAD_CLASSES_ANY in classes or not classes else classes)
        _attach_carrier(vt, file, row, errs)

    activities: dict[str, Activity] = {}
    act_rows: dict[str, tuple[str, int | None]] = {}
    for rec, wide, file, row in recs["activities"]:
        cands = _split_list(rec.candidates)
        if rec.node is not None and unknown("nodes", rec.node, nodes):
            errs.add(file, row, "node", f"unknown node '{rec.node}'; it must be an id in the "
                                        f"nodes table")
        for c in cands:
            if unknown("nodes", c, nodes):
                errs.add(file, row, "candidates", f"unknown node '{c}' in candidates")
        if not rec.movable:
            if rec.node is None:
                errs.add(file, row, "node", "a fixed activity needs its node")
            if cands:
                errs.add(file, row, "candidates", "a fixed activity has no candidates; set "
                                                  "movable to true to let it move")
            all_c = [rec.node] if rec.node else []
        else:
            if rec.new and rec.node is not None and rec.node not in cands:
                errs.add(file, row, "node", "a new activity has no stay node; leave node empty "
                                            "or list it in candidates")
            stay = [] if rec.new or rec.node is None else [rec.node]
            all_c = list(dict.fromkeys(stay + cands))
            if not all_c:
                errs.add(file, row, "candidates", "a movable activity needs at least one "
                                                  "candidate node (or a stay node in 'node')")
        reloc = {n: (0.0 if n == rec.node and not rec.new else
                     options.relocation_cost_factor
                     * wide.get(f"reloc_cost_eur_{n.lower()}", rec.reloc_cost_eur))
                 for n in all_c}
        activities[rec.id] = Activity(
            id=rec.id, name=rec.name or rec.id, node=rec.node, movable=rec.movable,
            candidates=all_c, new=rec.new,
            size=_wide(wide, "size_"), reloc_cost_eur=reloc, accept=_wide(wide, "accept_"),
            supply=_wide(wide, "supply_"), use=_wide(wide, "use_"),
            own_eur_per_yr={k[:-len("_eur_per_yr")]: v for k, v in _wide(wide, "own_").items()
                            if k.endswith("_eur_per_yr")},
            **_processing(rec, wide))
        act_rows[rec.id] = (file, row)

    demands: dict[str, Demand] = {}
    for rec, wide, file, row in recs["demands"]:
        tonnes = {}
        for pid in pids:
            v = wide.get(f"tonnes_{pid.lower()}", rec.tonnes_per_period)
            if v is None:
                errs.add(file, row, "tonnes_per_period",
                         f"tonnes for period '{pid}' missing: give tonnes_per_period or "
                         f"tonnes_{pid}")
                v = 0.0
            tonnes[pid] = float(v)
        needs = {"directed": ("origin", "destination"), "pooled_supply": ("origin",),
                 "pooled_demand": ("destination",)}[rec.kind]
        for col in ("origin", "destination"):
            v = getattr(rec, col)
            if col in needs and v is None:
                errs.add(file, row, col, f"a {rec.kind} demand needs its {col} activity")
            elif v is not None and unknown("activities", v, activities):
                errs.add(file, row, col, f"unknown activity '{v}'")
        if rec.kind == "directed" and rec.origin is not None and rec.origin == rec.destination:
            errs.add(file, row, "destination", "origin and destination are the same activity")
        if unknown("commodities", rec.commodity, commodities):
            errs.add(file, row, "commodity", f"unknown commodity '{rec.commodity}'")
        if rec.baseline_partner is not None and unknown("activities", rec.baseline_partner,
                                                          activities):
            errs.add(file, row, "baseline_partner", f"unknown activity '{rec.baseline_partner}'")
        demands[rec.id] = Demand(
            id=rec.id, kind=rec.kind, origin=rec.origin, destination=rec.destination,
            commodity=rec.commodity, tonnes=tonnes,
            shipments_per_period=rec.shipments_per_period,
            baseline_partner=rec.baseline_partner)

    facilities: dict[str, Facility] = {}
    for rec, _, file, row in recs.get("facilities", []):
        sites = _split_list(rec.sites)
        for n in sites:
            if unknown("nodes", n, nodes):
                errs.add(file, row, "sites", f"unknown node '{n}'")
        facilities[rec.id] = Facility(
            id=rec.id, name=rec.name or rec.id, sites=sites, capacity=rec.capacity,
            modular=rec.modular, max_modules=rec.max_modules, cost_eur=rec.cost_eur,
            opex_eur_per_yr=rec.opex_eur_per_yr, connect_eur_per_yr=rec.connect_eur_per_yr)
    _match_wide_ids(nodes, activities, commodities, facilities)
    _check_processing(nodes, node_rows, activities, act_rows, commodities, pids, errs)
    for aid, a in activities.items():
        for u in list(a.use) + list(a.own_eur_per_yr):
            if u not in facilities:
                errs.add(*act_rows[aid], f"use_{u}", f"no facility '{u}' in the facilities "
                                                      f"table")
                break

    for cid, c in commodities.items():
        if not any(v.carries(c.load_class) for v in vehicles.values()):
            errs.add(*com_rows[cid], "load_class",
                     f"commodity '{cid}' has load class '{c.load_class}' that no vehicle type "
                     f"may carry; add it to a vehicle's load_classes")
    for aid, nid in fix.placement.items():
        if aid not in activities:
            errs.add(label, None, f"fix.placement.{aid}", "unknown activity")
        elif nid not in activities[aid].candidates:
            errs.add(label, None, f"fix.placement.{aid}",
                     f"'{nid}' is not among its candidates {activities[aid].candidates}")
    for sid in fix.sites:
        if sid not in nodes or nodes[sid].kind not in ("site", "hub"):
            errs.add(label, None, f"fix.sites.{sid}", "not a site or hub in the nodes table")
    for aid, nid in fix.placement.items():
        if fix.sites.get(nid) == "closed" and aid in activities \
                and nid != activities[aid].stay_node():
            errs.add(label, None, f"fix.placement.{aid}",
                     f"'{aid}' is fixed at '{nid}', which fix.sites closes; open the site or "
                     f"fix the activity elsewhere")
    if distance.method in ("network", "matrix") and not distance.file:
        errs.add(label, None, "distance.file", f"distance method '{distance.method}' needs a file")
    errs.raise_if_any()

    sc = Scenario(
        name=str(scalars.get("name") or label), description=str(scalars.get("description") or ""),
        variant=variant, crs=crs, periods=periods, interest_rate=interest,
        lifetime_years=lifetime, distance=distance, site_rules=site_rules, hubs=hubs,
        options=options,
        fix=fix, nodes=nodes, activities=activities, commodities=commodities, demands=demands,
        vehicles=vehicles, variants=variant_names, facilities=facilities, warnings=warnings)
    sc.node_rows = node_rows
    _capacity_prechecks(sc, act_rows, {n: t.source for n, t in tables.items()}, errs)
    errs.raise_if_any()
    sc.warnings.extend(plausibility(sc))
    return sc


def plausibility(sc: Scenario) -> list[str]:
    """Warnings on figures that are allowed but unlikely, each with the figure that triggered
    it: a crop yield outside its range (``data/yields.csv``: annual tonnes an activity ships of
    a crop ÷ its ``size_ha``), a firm needing more truck loads a day than
    ``plausible_max_trucks_per_day_per_firm`` (``data/factors.csv``), a tariff whose mean load
    per vehicle-km implies a load factor above 1."""
    out: list[str] = []
    per_year = {p.id: p.weight for p in sc.periods}
    period_names = "/".join(p.id for p in sc.periods)

    def annual(d: Demand) -> float:
        return sum(t * per_year[p] for p, t in d.tonnes.items())

    table = defaults.yields()
    sent_by: dict[str | None, list[Demand]] = {}  # origin → its demands, in table order
    for d in sc.demands.values():
        sent_by.setdefault(d.origin, []).append(d)
    for aid, a in sc.activities.items():
        ha = a.size.get("ha")
        if not ha:
            continue
        by_crop: dict[str, float] = {}
        for d in sent_by.get(aid, []):
            crop = defaults.crop_of(d.commodity)
            if crop is not None:
                by_crop[crop] = by_crop.get(crop, 0.0) + annual(d)
        if len(by_crop) != 1:  # no crop, or several sharing the area: no yield to check
            continue
        (crop, tonnes), = by_crop.items()
        y, row = tonnes / ha, table.loc[crop]
        lo, hi = float(row["low_t_per_ha_yr"]), float(row["high_t_per_ha_yr"])
        if not lo <= y <= hi:
            hint = (f"are tonnes per year typed where tonnes per period ({period_names}) "
                    f"belong?" if y > hi else "are tonnes per period too small, or size_ha "
                    "too large?")
            out.append(f"activity '{aid}' ships {tonnes:,.0f} t/yr of {crop} from {ha:g} ha = "
                       f"{y:,.0f} t/ha/yr, outside the plausible {lo:g}–{hi:g} t/ha/yr "
                       f"(data/yields.csv); {hint}")
    road = [v for v in sc.vehicles.values() if v.mode == "road" and v.pricing == "trip"
            and v.payload_t]
    limit = defaults.factor("plausible_max_trucks_per_day_per_firm")
    loads: dict[str, float] = {}
    for d in sc.demands.values():
        c = sc.commodities.get(d.commodity)
        payloads = [v.payload_t for v in road if c is not None and v.carries(c.load_class)]
        if not payloads:
            continue
        n = annual(d) / max(payloads)
        for end in {d.origin, d.destination} - {None}:
            loads[end] = loads.get(end, 0.0) + n
    for aid, n in loads.items():
        if n / 365 > limit:
            out.append(f"activity '{aid}' sends and receives {n / 365:,.0f} truck loads a day "
                       f"(its tonnes ÷ the largest road payload, over 365 days), more than the "
                       f"plausible {limit:g} (data/factors.csv); check the unit of its demands "
                       f"(t per period {period_names}, not per year; tonnes, not kg)")
    for vid, v in sc.vehicles.items():
        if v.pricing == "tariff" and v.load_t_per_vkm and v.payload_t:
            lf = v.load_t_per_vkm / ((1 - v.empty_share) * v.payload_t)
            if lf > 1 + 1e-9:
                out.append(f"vehicle type '{vid}': load_t_per_vkm {v.load_t_per_vkm:g} with "
                           f"empty_share {v.empty_share:g} and payload_t {v.payload_t:g} "
                           f"implies a load factor of {lf:.2f} on loaded km, above 1")
    return out


def _dig(value: Any, loc: tuple) -> Any:
    for part in loc:
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and isinstance(part, int) and part < len(value):
            value = value[part]
        else:
            return None
    return value


def _capacity_prechecks(sc: Scenario, act_rows, sources: dict[str, str],
                        errs: _Collector) -> None:
    """Capacity checks that need no solve: each movable activity fits somewhere; the movable
    activities that can only go to development sites fit in those sites together; pooled
    supply has somewhere to go."""
    for aid, a in sc.activities.items():
        if not a.movable:
            continue
        fits = []
        for n in a.candidates:
            if n == a.stay_node():
                fits.append(n)
                continue
            cap = sc.nodes[n].capacity
            short = {d: s - cap[d] for d, s in a.size.items() if d in cap and s > cap[d] + 1e-9}
            if not short:
                fits.append(n)
        if not fits:
            file, row = act_rows[aid]
            sizes = ", ".join(f"{d}={s:g}" for d, s in a.size.items())
            errs.add(file, row, "candidates",
                     f"activity '{aid}' ({sizes}) fits in none of its candidates "
                     f"{a.candidates}: every one is too small")
    # total size of activities that must leave their stay node vs what their sites offer
    dims = sc.capacity_dims()
    for d in dims:
        must_move = [a for a in sc.activities.values()
                     if a.movable and a.stay_node() is None and d in a.size]
        if not must_move:
            continue
        reachable = {n for a in must_move for n in a.candidates}
        need = sum(a.size[d] for a in must_move)
        have = sum(sc.nodes[n].capacity.get(d, math.inf) for n in reachable)
        if need > have + 1e-9:
            errs.add(sources["activities"], None, f"size_{d}",
                     f"new activities need {need:g} {d} in total but their candidate sites "
                     f"{sorted(reachable)} offer {have:g}: short by {need - have:g}")
    for k, c in sc.commodities.items():
        for kind, side, penalty in (("pooled_supply", "accept", c.disposal_cost_eur_per_t),
                                    ("pooled_demand", "supply", c.shortage_cost_eur_per_t)):
            pooled = [d for d in sc.demands.values() if d.kind == kind and d.commodity == k]
            if not pooled or penalty is not None:
                continue
            for p in sc.periods:
                offer = sum(getattr(x, side).get(k, 0.0)
                            for x in (*sc.activities.values(), *sc.nodes.values())
                            if side == "supply" or x.intake_periods is None
                            or p.id in x.intake_periods)
                need = sum(d.tonnes[p.id] for d in pooled)
                if need > offer + 1e-9:
                    what = "acceptor" if side == "accept" else "supplier"
                    col = ("disposal_cost_eur_per_t" if side == "accept"
                           else "shortage_cost_eur_per_t")
                    errs.add(sources["commodities"], None, col,
                             f"commodity '{k}': {kind.replace('_', ' ')} of {need:g} t in period "
                             f"'{p.id}' exceeds the total {what} capacity {offer:g} t "
                             f"(short by {need - offer:g} t); add {what}s ({side}_{k} columns) or "
                             f"give {col}")
                    break
