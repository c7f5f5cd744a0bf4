"""Sweep parameters: scenario values addressed by name (``circuity``, ``vehicle:<id>.<field>``
…), their ranges from the schema, and applying them to a checked copy of a scenario."""

from __future__ import annotations

import copy
import dataclasses
import math
import re
from dataclasses import dataclass

from clusteropt import schema
from clusteropt.errors import Issue, ScenarioError
from clusteropt.scenario import (
    Node,
    Scenario,
    VehicleType,
)

# the global parameters: name → the schema field it sets (volume_scale is a sweep's own)
_GLOBAL_FIELDS = {"circuity": ("distance", "circuity"),
                  "co2_price_eur_per_t": ("options", "co2_price_eur_per_t"),
                  "empty_share": ("options", "empty_share"),
                  "interest_rate": ("scenario", "interest_rate")}


def _describe(table: str, column: str) -> str:
    f = schema.field(table, column)
    where = column if table == "scenario" else f"{table}.{column}"
    return f"{where}: {f.description} ({f.range_text(docs=True)})"


GLOBAL_PARAMS = {**{name: _describe(*tc) for name, tc in _GLOBAL_FIELDS.items()},
                 "volume_scale": "multiplies every demand's tonnes (≥ 0, base 1)",
                 "relocation_scale": "multiplies every activity's relocation costs (≥ 0, base 1; "
                                     "on top of options.relocation_cost_factor)"}
# the numeric fields of vehicle types and sites (the schema's, as the records carry them)
_CARRIED_V = {f.name for f in dataclasses.fields(VehicleType)}
_CARRIED_N = {f.name for f in dataclasses.fields(Node)}
VEHICLE_FIELDS = tuple(f.column for f in schema.plain("vehicles")
                       if f.numeric and f.column in _CARRIED_V)
SITE_FIELDS = tuple(f.column for f in schema.plain("nodes") if f.numeric
                    and f.column in _CARRIED_N and f.column not in ("lat", "lon", "x", "y"))
SITE_KINDS = ("site", "hub")
DISTRIBUTIONS = {"normal": ("mean", "sd"), "triangular": ("low", "mode", "high"),
                 "uniform": ("low", "high")}
OAT_QUANTILES = (0.05, 0.5, 0.95)
SOLVED = ("optimal", "feasible")
HEADLINE = {"total_cost_eur": "annual cost (EUR/yr)", "truck_km": "truck-km (km/yr)",
            "co2_wtw_t": "CO2 WTW (t/yr)"}
SAVING = "saving_total_cost_eur"
EFFECTS = ("relocation", "bundling", "hub_modal", "total")
PARAM_PREFIX = "param:"
SCALES = ("volume_scale", "relocation_scale")  # a sweep's own multipliers (no schema field)


def valid_forms(sc: Scenario | None = None) -> str:
    """The parameter names a sweep accepts (with the scenario's ids when given)."""
    lines = [f"  {k} — {v}" for k, v in GLOBAL_PARAMS.items()]
    vids = f" (ids: {', '.join(sc.vehicles)})" if sc is not None else ""
    sids = ""
    if sc is not None:
        sites = [n for n, node in sc.nodes.items() if node.kind in SITE_KINDS]
        sids = f" (ids: {', '.join(sites) or 'none'})"
    lines.append(f"  vehicle:<id>.<field>{vids}; fields: {', '.join(VEHICLE_FIELDS)}")
    lines.append(f"  site:<id>.<field>{sids}; fields: {', '.join(SITE_FIELDS)}, cap_<dim>")
    return "valid parameters:\n" + "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    """A scenario value addressed by name (see the module docstring for the forms)."""

    name: str
    kind: str  # a GLOBAL_PARAMS key, or "vehicle" / "site"
    target: str | None = None
    field: str | None = None

    @classmethod
    def parse(cls, name: str) -> Param:
        """The parameter a name stands for; ValueError for an unknown form."""
        name = name.strip()
        if name in GLOBAL_PARAMS:
            return cls(name, name)
        m = re.fullmatch(r"(vehicle|site):(.+)\.([A-Za-z_][A-Za-z0-9_]*)", name)
        if m is None:
            raise ValueError(f"unknown parameter '{name}'")
        kind, target, fld = m.groups()
        if kind == "vehicle" and fld not in VEHICLE_FIELDS:
            raise ValueError(f"'{name}': vehicle types have no numeric field '{fld}'")
        if kind == "site" and fld not in SITE_FIELDS and not fld.startswith("cap_"):
            raise ValueError(f"'{name}': sites have no numeric field '{fld}'")
        return cls(name, kind, target, fld)

    def problem(self, sc: Scenario) -> str | None:
        """Why this parameter does not exist in ``sc`` (None when it does)."""
        label = sc.variant or "base"
        if self.kind == "circuity" and sc.distance.method != "straight_line":
            return (f"'{self.name}': circuity applies to straight-line distances only; the "
                    f"scenario ({label}) uses distance method '{sc.distance.method}'")
        if self.kind == "vehicle" and self.target not in sc.vehicles:
            return (f"'{self.name}': no vehicle type '{self.target}' in {label}; vehicle types: "
                    f"{', '.join(sc.vehicles)}")
        if self.kind == "site":
            node = sc.nodes.get(self.target or "")
            sites = [n for n, v in sc.nodes.items() if v.kind in SITE_KINDS]
            if node is None or node.kind not in SITE_KINDS:
                return (f"'{self.name}': no site or hub '{self.target}' in {label}; sites: "
                        f"{', '.join(sites) or 'none'}")
            if self.field.startswith("cap_") and self.field[4:] not in node.capacity:
                return (f"'{self.name}': site '{self.target}' has no capacity "
                        f"'{self.field[4:]}'; it has: {', '.join(node.capacity) or 'none'}")
        return None

    def check(self, value: float) -> str | None:
        """Why ``value`` is not allowed for this parameter (None when it is): the schema's
        range of the field it sets (volume_scale: ≥ 0)."""
        if not math.isfinite(value):
            return f"{self.name} = {value}: expected a finite number"
        f = self.schema_field()
        why = f.check(value) if f is not None else (
            None if value >= 0 else "expected a number ≥ 0")
        return f"{self.name} = {value:g}: {why}" if why else None

    def schema_field(self) -> schema.Field | None:
        """The schema field this parameter sets (None for volume_scale)."""
        table, column = _GLOBAL_FIELDS.get(
            self.kind, ("vehicles" if self.kind == "vehicle" else "nodes", self.field))
        return schema.field(table, column) if column else None

    def get(self, sc: Scenario) -> float | None:
        """The scenario's own value (volume_scale: 1)."""
        if self.kind == "circuity":
            return sc.distance.circuity
        if self.kind in ("co2_price_eur_per_t", "empty_share"):
            return getattr(sc.options, self.kind)
        if self.kind == "interest_rate":
            return sc.interest_rate
        if self.kind in SCALES:
            return 1.0
        if self.kind == "vehicle":
            return getattr(sc.vehicles[self.target], self.field)
        node = sc.nodes[self.target]
        if self.field.startswith("cap_"):
            return node.capacity[self.field[4:]]
        return getattr(node, self.field)

    def set(self, sc: Scenario, value: float) -> None:
        """Set the value on ``sc`` in place (use :func:`apply_params` for a checked copy)."""
        value = float(value)
        if self.kind == "circuity":
            sc.distance.circuity = value
        elif self.kind in ("co2_price_eur_per_t", "empty_share"):
            setattr(sc.options, self.kind, value)
        elif self.kind == "interest_rate":
            sc.interest_rate = value
        elif self.kind == "volume_scale":
            for d in sc.demands.values():
                d.tonnes = {p: t * value for p, t in d.tonnes.items()}
        elif self.kind == "relocation_scale":
            for a in sc.activities.values():
                a.reloc_cost_eur = {n: c * value for n, c in a.reloc_cost_eur.items()}
        elif self.kind == "vehicle":
            setattr(sc.vehicles[self.target], self.field, value)
        elif self.field.startswith("cap_"):
            sc.nodes[self.target].capacity[self.field[4:]] = value
        else:
            setattr(sc.nodes[self.target], self.field, value)


def resolve_params(names: list[str], scenarios: list[Scenario]) -> dict[str, Param]:
    """Parse the names and check each exists in every scenario; ScenarioError listing every
    problem and the valid forms otherwise."""
    issues, out = [], {}
    for name in names:
        try:
            p = Param.parse(name)
        except ValueError as err:
            issues.append(str(err))
            continue
        for sc in scenarios:
            why = p.problem(sc)
            if why:
                issues.append(why)
                break
        else:
            out[p.name] = p
    if issues:
        issues[-1] += "\n" + valid_forms(scenarios[0] if scenarios else None)
        raise ScenarioError([Issue("--param", None, None, m) for m in issues])
    return out


def apply_params(sc: Scenario, params: dict[str, float]) -> Scenario:
    """A deep copy of ``sc`` with the parameter values set; ScenarioError for an unknown
    parameter or a value out of its range."""
    out = copy.deepcopy(sc)
    issues = []
    for name, value in params.items():
        try:
            p = Param.parse(name)
        except ValueError as err:
            issues.append(Issue("--param", None, None, str(err)))
            continue
        why = p.problem(out) or p.check(float(value))
        if why:
            issues.append(Issue("--param", None, None, why))
            continue
        p.set(out, value)
    if issues:
        raise ScenarioError(issues)
    return out


