"""A solution as plain data (pandas tables and dicts): what the KPI code, the reports and the
independent checker read, without knowing the model's variables."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

FLOW_COLS = ["demand", "period", "origin_node", "dest_node", "commodity", "tonnes", "path",
             "partner"]
LOAD_COLS = ["period", "from", "to", "commodity", "vehicle", "owner", "tonnes", "role"]
UNSERVED_COLS = ["demand", "period", "kind", "node", "tonnes"]
FACILITY_COLS = ["facility", "site", "modules", "connected"]
TRIP_COLS = ["period", "from", "to", "vehicle", "load_class", "owner", "trips",
             "market_trips", "implicit_empty_per_trip"]
EMPTY_COLS = ["period", "from", "to", "vehicle", "trips"]
UNIT_COLS = ["period", "from", "to", "vehicle", "load_class", "owner", "units"]
TOUR_COLS = ["period", "tour", "depot", "vehicle", "direction", "load_class", "stops", "runs",
             "km", "hours", "stop_h"]
TOUR_LOAD_COLS = ["period", "tour", "stop", "from", "to", "commodity", "owner", "tonnes"]
EPS = 1e-7  # values below this (shares, tonnes, trips) are solver round-off


@dataclass
class Solution:
    """A solution as data. Tonnes and trips are per period; ``owner`` is the demand id when
    trips are per demand (unbundled), else empty. ``flows.path`` lists the route's nodes
    (';'-separated: origin, hubs, destination), ``flows.partner`` the pooled acceptor or
    supplier (an activity id, or '@node' for a site); ``trips.market_trips`` (≤ trips) are the
    loaded trips closed by the market, each bringing ``implicit_empty_per_trip`` empty trips on
    its own leg (all of them when unbundled or at a gateway; the rest are in the vehicle
    balance); ``loads.role`` is the leg's role on the
    route (direct, collection, transfer, distribution); ``unserved`` holds pooled tonnes sent
    to disposal or left short; ``facilities`` the shared facilities built (modules) and the
    activities connected (';'-separated); ``units`` the load units (containers, wagons) of
    tariff types that name one, per leg, vehicle type, load class and period; ``tours`` the
    multi-stop tours run (stops ';'-separated in order, from and back to the depot; runs per
    period; km and hours per run) and ``tour_loads`` the tonnes per period each takes at a
    stop, of the load of that stop's direct leg (``from``, ``to``) in ``loads`` — the rest of
    a leg's load rides its direct trips."""

    objective_eur: float
    open_sites: dict[str, int]
    placement: dict[str, str]
    flows: pd.DataFrame
    loads: pd.DataFrame
    trips: pd.DataFrame
    empties: pd.DataFrame
    unserved: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=UNSERVED_COLS))
    facilities: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=FACILITY_COLS))
    terms: dict[str, float] = field(default_factory=dict)
    switches: dict = field(default_factory=dict)
    units: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=UNIT_COLS))
    tours: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=TOUR_COLS))
    tour_loads: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=TOUR_LOAD_COLS))

    def to_dir(self, folder: Path) -> None:
        """Write as solution.json plus CSV tables (read back with ``from_dir``)."""
        folder.mkdir(parents=True, exist_ok=True)
        meta = {"objective_eur": self.objective_eur, "open_sites": self.open_sites,
                "placement": self.placement, "terms": self.terms, "switches": self.switches}
        (folder / "solution.json").write_text(json.dumps(meta, indent=2))
        for name in ("flows", "loads", "trips", "empties", "unserved", "facilities", "units",
                     "tours", "tour_loads"):
            getattr(self, name).to_csv(folder / f"{name}.csv", index=False)

    @classmethod
    def from_dir(cls, folder: Path) -> Solution:
        meta = json.loads((folder / "solution.json").read_text())
        tables = {n: pd.read_csv(folder / f"{n}.csv", keep_default_na=False,
                                 na_values={"tonnes": [""], "trips": [""]})
                  for n in ("flows", "loads", "trips", "empties", "unserved", "facilities")}
        for name, num in (("units", "units"), ("tours", "runs"), ("tour_loads", "tonnes")):
            path = folder / f"{name}.csv"  # absent in solutions written before these tables
            if path.exists():
                tables[name] = pd.read_csv(path, keep_default_na=False,
                                           na_values={num: [""]})
        return cls(**meta, **tables)
