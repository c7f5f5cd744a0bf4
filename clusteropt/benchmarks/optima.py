"""Published optimal values (``optima.csv`` of ``shared/benchmarks/*``) and how a run is matched
to a row.

Columns: ``instance, variant, optimal_value, …``. ``variant`` is a ';'-separated list: the
problem name first (``cflp``, ``ufl``, ``UMApHMP``, …), then ``key=value`` fields
(``capacity=8000``, ``p=3``, ``alpha=0.75``, ``objective=total/1000``). Rows are matched by
parsing those fields — never by comparing the variant text — so ``alpha=0.4`` matches
``alpha=0.40`` and the field order does not matter.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

from clusteropt.errors import Issue, ScenarioError


@dataclass(frozen=True)
class OptimumRow:
    """One row of an ``optima.csv``."""

    instance: str
    problem: str
    fields: dict[str, str] = field(default_factory=dict)
    value: float = math.nan
    confidence: str = ""

    def number(self, key: str) -> float | None:
        """A numeric field (None when absent or not a number)."""
        v = self.fields.get(key)
        if v is None:
            return None
        try:
            return float(v)
        except ValueError:
            return None


def parse_variant(text: str) -> tuple[str, dict[str, str]]:
    """``'UMApHMP;p=3;alpha=0.75'`` → ``('UMApHMP', {'p': '3', 'alpha': '0.75'})``."""
    problem = ""
    fields: dict[str, str] = {}
    for part in (s.strip() for s in text.split(";")):
        if not part:
            continue
        if "=" in part:
            k, _, v = part.partition("=")
            fields[k.strip().lower()] = v.strip()
        elif not problem:
            problem = part
    return problem, fields


def read_optima(path: str | Path) -> list[OptimumRow]:
    """All rows of an ``optima.csv``; a missing file or column is a ScenarioError (exit 2)."""
    path = Path(path)
    if not path.is_file():
        raise ScenarioError([Issue(str(path), None, None, "optima file not found")])
    out = []
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        need = {"instance", "variant", "optimal_value"}
        missing = need - set(reader.fieldnames or [])
        if missing:
            raise ScenarioError([Issue(str(path), 1, sorted(missing)[0],
                                       f"an optima table needs the columns {sorted(need)}")])
        for i, rec in enumerate(reader, start=2):
            problem, fields = parse_variant(rec["variant"] or "")
            try:
                value = float(rec["optimal_value"])
            except (TypeError, ValueError):
                raise ScenarioError([Issue(str(path), i, "optimal_value",
                                           f"expected a number, got '{rec['optimal_value']}'")]
                                    ) from None
            out.append(OptimumRow(instance=(rec["instance"] or "").strip(), problem=problem,
                                  fields=fields, value=value,
                                  confidence=(rec.get("confidence") or "").strip()))
    return out


def same(a: float | None, b: float | None, rel: float = 1e-9) -> bool:
    """Two parameter values are the same (both None, or equal to ``rel``)."""
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))


def find(rows: list[OptimumRow], instance: str, problem: str, **numbers: float | None
         ) -> list[OptimumRow]:
    """Rows of ``instance`` and ``problem`` (case-insensitive) whose numeric fields equal the
    given ones. A keyword given as None requires the field to be absent."""
    out = []
    for r in rows:
        if r.instance.lower() != instance.lower() or r.problem.lower() != problem.lower():
            continue
        if all(same(r.number(k), v) for k, v in numbers.items()):
            out.append(r)
    return out


def rel_diff(objective: float | None, optimum: float | None) -> float | None:
    """(objective − optimum) / |optimum| (None if either is missing)."""
    if objective is None or optimum is None:
        return None
    return (objective - optimum) / max(abs(optimum), 1e-12)
