"""Shipped default figures (``data/``): scalar factors and vehicle types, each with its source.

``factor(key)`` reads ``data/factors.csv`` (key, value, unit, source, tag); ``carriers()`` the
energy carriers of ``data/energy_carriers.csv`` (TTW and WTT kg CO2e per unit of fuel or
energy, with source, year and tag)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


@cache
def factors() -> pd.DataFrame:
    """The scalar defaults, indexed by key."""
    return pd.read_csv(DATA_DIR / "factors.csv").set_index("key")


def factor(key: str) -> float:
    """One scalar default by key (see ``data/factors.csv`` for unit and source)."""
    return float(factors().loc[key, "value"])


@cache
def carriers() -> pd.DataFrame:
    """The energy carriers (unit, ttw_kg_co2e_per_unit, wtt_kg_co2e_per_unit, year, source,
    tag), indexed by carrier id."""
    return pd.read_csv(DATA_DIR / "energy_carriers.csv").set_index("carrier")


@cache
def places() -> pd.DataFrame:
    """Shipped places (id, name, kind, lat, lon, source), indexed by id."""
    return pd.read_csv(DATA_DIR / "places.csv").set_index("id")


def place(place_id: str) -> tuple[float, float] | None:
    """(lat, lon) of a shipped place, or None if there is no such id."""
    table = places()
    if place_id not in table.index:
        return None
    row = table.loc[place_id]
    return float(row["lat"]), float(row["lon"])


@cache
def yields() -> pd.DataFrame:
    """Plausible crop yields (t/ha/yr: typical, low, high, source, tag), indexed by crop."""
    return pd.read_csv(DATA_DIR / "yields.csv").set_index("crop")


@cache
def crop_names() -> dict[str, str]:
    """Every name of a crop in ``data/yields.csv`` (its id and its aliases) → the crop id; a
    name two crops share goes to the first."""
    names: dict[str, str] = {}
    for crop, aliases in yields()["aliases"].items():
        for name in [crop, *str(aliases).split(";")]:
            names.setdefault(name, str(crop))
    return names


def crop_of(commodity_id: str) -> str | None:
    """The crop of ``data/yields.csv`` a commodity id names (the crop id or an alias)."""
    return crop_names().get(commodity_id.strip().lower())
