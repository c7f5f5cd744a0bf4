"""The scenario schema as data: ``clusteropt/schema.csv`` holds one row per field of every
record type — the tables (nodes, activities, commodities, demands, vehicles, facilities) and
the YAML sections (scenario, periods, distance, options, site_rules, hubs):

========  ===================================================================================
column    meaning
========  ===================================================================================
table     the record type
column    the field (``cap_<dim>``: a family of wide columns, one per dimension/id)
kind      text | id | list | path | number | integer | bool | choice
choices   choice: the allowed values, ';'-separated
range     number/integer: the allowed interval, e.g. ``[0, inf)``, ``(0, inf)``, ``[0, 1)``
nullable  yes: ``null`` is allowed (e.g. no time limit)
required  yes: the field must be given
default   the value when absent (empty: none)
default_  what the docs say about the default where the value alone does not (``the id``)
text
factor    the ``data/factors.csv`` key that gives the default
unit      the unit of a number
========  ===================================================================================

Everything else is derived from it: the pydantic models that read the rows and sections
(``model``), the value checks (``Field.check``, finite and in range), the sweepable numeric
fields, the comments ``clusteropt init`` writes and the field tables of ``docs/scenarios.md``
(``markdown_table``; ``python -m clusteropt.schema docs/scenarios.md`` rewrites them between
``<!-- schema:TABLE -->`` and ``<!-- /schema -->``; a test fails when they differ).
"""

from __future__ import annotations

import csv
import math
import re
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, create_model

SCHEMA_CSV = Path(__file__).with_name("schema.csv")
TABLES = ("nodes", "activities", "commodities", "demands", "vehicles", "facilities")
SECTIONS = ("scenario", "periods", "distance", "options", "site_rules", "hubs")
# every number without a narrower range is bounded by ±GENERIC_BOUND (a guard against typing
# errors such as 1e300; the docs say so once instead of in every row)
GENERIC_BOUND = 1e12
_RANGE = re.compile(r"^([\[(])\s*([-+\w.]+)\s*,\s*([-+\w.]+)\s*([\])])$")


@dataclass(frozen=True)
class Field:
    """One field of the schema (see the module docstring)."""

    table: str
    column: str
    kind: str
    choices: tuple[str, ...]
    lo: float
    hi: float
    lo_closed: bool
    hi_closed: bool
    nullable: bool
    required: bool
    default: Any
    default_text: str
    factor: str
    unit: str
    description: str

    @property
    def prefix(self) -> str | None:
        """``cap_`` for the wide family ``cap_<dim>``; None for an ordinary field."""
        return self.column.split("<", 1)[0] if "<" in self.column else None

    @property
    def numeric(self) -> bool:
        return self.kind in ("number", "integer")

    def range_text(self, docs: bool = False) -> str:
        """'≥ 0', '> 0', 'between 0 and 1' ('0–1' in the docs), '0 ≤ x < 1' …"""
        lo, hi = _g(self.lo, docs), _g(self.hi, docs)
        lo_inf = math.isinf(self.lo) or (docs and self.lo == -GENERIC_BOUND)
        hi_inf = math.isinf(self.hi) or (docs and self.hi == GENERIC_BOUND)
        if lo_inf and hi_inf:
            return ""
        if hi_inf:
            return f"{'≥' if self.lo_closed else '>'} {lo}"
        if lo_inf:
            return f"{'≤' if self.hi_closed else '<'} {hi}"
        if self.lo_closed and self.hi_closed:
            return f"{lo}–{hi}" if docs else f"between {lo} and {hi}"
        return f"{lo} {'≤' if self.lo_closed else '<'} x {'≤' if self.hi_closed else '<'} {hi}"

    def check(self, value: Any) -> str | None:
        """Why ``value`` is not allowed here (None when it is): finite, in range, a choice."""
        if value is None:
            return None if (self.nullable or not self.required) else "a value is required here"
        if self.kind == "choice":
            if str(value) not in self.choices:
                return f"expected one of {', '.join(self.choices)}, got '{value}'"
            return None
        if self.kind == "list" and self.choices:
            bad = [x for x in re.split(r"[;,|]", str(value)) if x.strip()
                   and x.strip() not in self.choices]
            if bad:
                return (f"expected values among {', '.join(self.choices)} (separated by ;), "
                        f"got '{bad[0].strip()}'")
            return None
        if not self.numeric:
            return None
        try:
            v = float(value)
        except (TypeError, ValueError):
            return f"expected a number, got '{value}'"
        if not math.isfinite(v):
            return f"expected a finite number, got {value}"
        if self.kind == "integer" and not float(v).is_integer():
            return f"expected a whole number, got {_g(v)}"
        ok = (v >= self.lo if self.lo_closed else v > self.lo) and (
            v <= self.hi if self.hi_closed else v < self.hi)
        if not ok:
            what = "a whole number" if self.kind == "integer" else \
                "a finite number" if self.prefix else "a number"
            below = v < self.lo or (v == self.lo and not self.lo_closed)
            if below and self.hi >= 1e3:  # name the side that is broken
                rng = f"{'≥' if self.lo_closed else '>'} {_g(self.lo)}"
            elif not below and self.hi >= 1e3:
                rng = f"{'≤' if self.hi_closed else '<'} {_g(self.hi)}"
            else:
                rng = self.range_text()
            return f"expected {what} {rng}, got {_g(v)}"
        return None

    def docs_type(self) -> str:
        if self.kind == "choice":
            return ", ".join(f"`{c}`" for c in self.choices)
        if self.kind == "list" and self.choices:
            return "list of " + ", ".join(f"`{c}`" for c in self.choices)
        base = {"text": "text", "id": "id", "list": "list", "path": "path", "bool": "yes/no",
                "number": "number", "integer": "integer"}[self.kind]
        rng = self.range_text(docs=True)
        out = f"{base} {rng}" if rng else base
        return out + (" or `null`" if self.nullable else "")

    def docs_default(self, factor_value: str | None = None) -> str:
        if self.required:
            return "**required**"
        if self.default_text:
            return self.default_text
        if self.factor:
            return f"{factor_value or '?'} (`data/factors.csv`)"
        if self.default is None:
            return ""
        if self.kind == "bool":
            return "true" if self.default else "false"
        return f"`{self.default}`" if self.kind in ("choice", "text", "list") else _g(
            self.default, docs=True)


def _g(v: float, docs: bool = False) -> str:
    """A number as text; in the docs with a typographic minus."""
    text = "inf" if v == math.inf else "-inf" if v == -math.inf else (
        f"{v:.0e}".replace("e+", "e") if abs(v) >= 1e6 else f"{v:g}")
    return text.replace("-", "−") if docs else text


def _parse_range(text: str) -> tuple[float, float, bool, bool]:
    if not text:
        return -math.inf, math.inf, False, False
    m = _RANGE.match(text.strip())
    if m is None:
        raise ValueError(f"schema.csv: bad range '{text}'")
    a, lo, hi, b = m.groups()
    return float(lo), float(hi), a == "[", b == "]"


def _value(kind: str, text: str) -> Any:
    if text == "":
        return None
    if kind == "bool":
        return text.lower() == "true"
    if kind == "number":
        return float(text)
    if kind == "integer":
        return int(float(text))
    return text


@cache
def schema() -> dict[str, list[Field]]:
    """Every field by table, in the order of schema.csv."""
    out: dict[str, list[Field]] = {}
    with SCHEMA_CSV.open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            lo, hi, lo_c, hi_c = _parse_range(r["range"])
            out.setdefault(r["table"], []).append(Field(
                table=r["table"], column=r["column"], kind=r["kind"],
                choices=tuple(c for c in r["choices"].split(";") if c), lo=lo, hi=hi,
                lo_closed=lo_c, hi_closed=hi_c, nullable=r["nullable"] == "yes",
                required=r["required"] == "yes", default=_value(r["kind"], r["default"]),
                default_text=r["default_text"], factor=r["factor"], unit=r["unit"],
                description=r["description"]))
    return out


def fields(table: str) -> list[Field]:
    return schema()[table]


def field(table: str, column: str) -> Field | None:
    """The field of a table's column (wide columns by their prefix), or None."""
    for f in fields(table):
        if f.column == column or (f.prefix and column.startswith(f.prefix)):
            return f
    return None


def plain(table: str) -> list[Field]:
    """The ordinary (not wide) fields of a table."""
    return [f for f in fields(table) if f.prefix is None]


def wide_prefixes(table: str) -> tuple[str, ...]:
    return tuple(f.prefix for f in fields(table) if f.prefix)


def _annotation(f: Field):
    if f.kind == "choice":
        if all(c.lstrip("-").isdigit() for c in f.choices):
            base = Literal[tuple(int(c) for c in f.choices)]  # type: ignore[misc]
        else:
            base = Literal[tuple(f.choices)]  # type: ignore[misc]
    else:
        base = {"number": float, "integer": int, "bool": bool}.get(f.kind, str)
    return base if f.required or (f.default is not None and not f.nullable) else base | None


def model(table: str, extra: str | None = None) -> type[BaseModel]:
    """The pydantic model of a table's or section's plain fields (types, defaults, required;
    ranges are checked by ``Field.check``). Table rows ignore unknown columns (wide and
    information columns are read separately); YAML sections forbid unknown keys."""
    return _MODELS[table]


def _make_model(table: str) -> type[BaseModel]:
    spec = {}
    for f in plain(table):
        default = ... if f.required else f.default
        spec[f.column] = (_annotation(f), default)
    name = f"{table.title().replace('_', '')}Record"
    cls = create_model(name, __config__=ConfigDict(extra="ignore" if table in TABLES
                                                   else "forbid"), __module__=__name__,
                       **spec)
    globals()[name] = cls  # importable by name, so that records pickle (Dask sweeps)
    return cls


_MODELS = {table: _make_model(table) for table in schema()}


# ---- docs ------------------------------------------------------------------------------------


def markdown_table(table: str) -> str:
    """The docs table of a record type or section: column, type, unit, default, meaning."""
    from clusteropt import defaults

    key = "column" if table in TABLES else "key"
    lines = [f"| {key} | type | unit | default | meaning |", "|---|---|---|---|---|"]
    for f in fields(table):
        fv = None
        if f.factor:
            try:
                fv = f"{float(defaults.factor(f.factor)):g}"
            except Exception:  # noqa: BLE001 - a missing factor shows as '?'
                fv = None
        cells = [f"`{f.column}`", f.docs_type(), f.unit, f.docs_default(fv), f.description]
        lines.append(" ".join(f"| {c}" if c else "|" for c in cells) + " |")
    return "\n".join(lines)


_BLOCK = re.compile(r"(<!-- schema:(\w+) -->\n)(.*?)(<!-- /schema -->)", re.S)


def sync_docs(path: Path, write: bool = False) -> list[str]:
    """The tables between ``<!-- schema:T -->`` and ``<!-- /schema -->`` in ``path`` that
    differ from the schema (rewritten when ``write``)."""
    text = path.read_text(encoding="utf-8")
    stale = []

    def repl(m: re.Match) -> str:
        want = markdown_table(m.group(2)) + "\n"
        if m.group(3) != want:
            stale.append(m.group(2))
        return m.group(1) + want + m.group(4)

    new = _BLOCK.sub(repl, text)
    if write and new != text:
        path.write_text(new, encoding="utf-8")
    return stale


if __name__ == "__main__":  # python -m clusteropt.schema docs/scenarios.md
    for p in sys.argv[1:]:
        changed = sync_docs(Path(p), write=True)
        print(f"{p}: {'rewrote ' + ', '.join(changed) if changed else 'up to date'}")
