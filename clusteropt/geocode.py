"""Offline geocoding of Dutch nodes: a postcode or a place name → a point (WGS84).

Data: ``data/geocoding/pc4.csv`` (the GeoNames postal-code points of the Netherlands, one row
per PC4 code and place name, with the 2025 CBS municipality each lies in; Postal code data ©
GeoNames (geonames.org), CC BY 4.0; built by ``scripts/make_geocoding.py``) and
``data/geocoding/municipalities.csv`` (CBS codes and names).

* :func:`postcode`: a PC4 code (``2671``) or a PC6 code (``2671 AB``, located by its PC4: the
  source has no PC6 points) → the PC4's point, the mean of its GeoNames points;
* :func:`place_name`: a place name (``Naaldwijk``, case and accents as in GeoNames, any
  case), optionally with its municipality (``Alphen, Alphen-Chaam``), or a municipality name
  → the mean of its PC4 points. A name whose points lie in municipalities more than
  ``AMBIGUOUS_KM`` apart is ambiguous.

Unknown or ambiguous input raises :class:`GeocodeError`, whose message says what was meant
(the nearest codes, the closest names, the municipalities to choose from). Precision: a PC4
area is a few km across; its point is GeoNames' representative point, not a building.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from functools import cache

import pandas as pd

from clusteropt.defaults import DATA_DIR

GEOCODING_DIR = DATA_DIR / "geocoding"
AMBIGUOUS_KM = 15.0  # [A] a name's points further apart than this are different places
# everyday names of places GeoNames lists by their official name
ALIASES = {"den haag": "'s-gravenhage", "the hague": "'s-gravenhage",
           "den bosch": "'s-hertogenbosch"}
_PC = re.compile(r"^\s*(\d{4})\s*([A-Za-z]{2})?\s*$")


class GeocodeError(ValueError):
    """A postcode or place name that cannot be located; the message suggests what to write."""


@dataclass(frozen=True)
class Point:
    lat: float
    lon: float
    label: str  # what was found: '2671 Naaldwijk (Westland)'
    municipality: str
    gm: str  # CBS municipality code, e.g. GM1783


@cache
def _pc4() -> pd.DataFrame:
    frame = pd.read_csv(GEOCODING_DIR / "pc4.csv", dtype={"pc4": str})
    names = pd.read_csv(GEOCODING_DIR / "municipalities.csv").set_index("gm")["name"]
    frame["municipality"] = frame.gm.map(names)
    frame["key"] = frame.place.map(_key)
    return frame


def _key(name: str) -> str:
    """A name for matching: lower case, apostrophes and spacing made uniform."""
    return re.sub(r"\s+", " ", str(name).replace("’", "'").strip().lower())


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine, R = 6,371 km)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def postcode(code: str) -> Point:
    """The point of a Dutch PC4 (or PC6, by its PC4) postcode."""
    m = _PC.match(str(code))
    if m is None:
        raise GeocodeError(f"'{code}' is not a Dutch postcode; expected four digits (PC4, "
                           f"e.g. 2671) or four digits and two letters (PC6, e.g. 2671 AB)")
    pc = m.group(1)
    table = _pc4()
    rows = table[table.pc4 == pc]
    if rows.empty:
        known = table.pc4.drop_duplicates().astype(int)
        near = known.iloc[(known - int(pc)).abs().argsort()[:3]].sort_values()
        hints = ", ".join(f"{n} ({_places(table[table.pc4 == str(n)])})" for n in near)
        raise GeocodeError(f"unknown postcode {pc}: no such PC4 area in the GeoNames data "
                           f"(data/geocoding); nearest known: {hints}")
    return Point(float(rows.lat.mean()), float(rows.lon.mean()),
                 f"{pc} {_places(rows)}", str(rows.municipality.iloc[0]), str(rows.gm.iloc[0]))


def _places(rows: pd.DataFrame) -> str:
    places = "/".join(dict.fromkeys(rows.place))
    return f"{places}, {rows.municipality.iloc[0]}"


def place_name(text: str) -> Point:
    """The point of a Dutch place (or municipality) name; 'Name, Municipality' picks one of
    several places of the same name."""
    table = _pc4()
    name, town = str(text), ""
    if ALIASES.get(_key(name), _key(name)) not in set(table.key):  # 'Name, Municipality'
        name, _, town = str(text).partition(",")
        if not town and "(" in name and name.rstrip().endswith(")"):
            name, _, town = name.rstrip()[:-1].partition("(")
    key, town_key = _key(name), _key(town)
    key = ALIASES.get(key, key)
    rows = table[table.key == key]
    if town_key:
        rows = rows[rows.municipality.map(_key) == town_key]
    if rows.empty and not town_key:  # a municipality's name: all its points
        rows = table[table.municipality.map(_key) == key]
        if not rows.empty:
            m = rows.municipality.iloc[0]
            return Point(float(rows.lat.mean()), float(rows.lon.mean()),
                         f"municipality {m}", str(m), str(rows.gm.iloc[0]))
    if rows.empty:
        choices = sorted(set(table.place) | set(table.municipality.dropna()))
        close = difflib.get_close_matches(name.strip(), choices, n=3, cutoff=0.75)
        close += [c for c in choices if _key(c).startswith(key) and c not in close][:3]
        if town_key:
            where = sorted(set(table[table.key == key].municipality))
            hint = (f"'{name.strip()}' lies in {', '.join(where)}" if where else
                    f"did you mean {', '.join(map(repr, close[:3]))}?" if close else "")
        else:
            hint = (f"did you mean {', '.join(map(repr, close[:3]))}?" if close else
                    "check the spelling, or give a postcode or lat/lon")
        raise GeocodeError(f"unknown place '{text}' in the GeoNames place names "
                           f"(data/geocoding); {hint}")
    groups = rows.groupby("municipality").agg(n=("pc4", "size"), lat=("lat", "mean"),
                                              lon=("lon", "mean"))
    if len(groups) > 1:
        spread = max(_km(a.lat, a.lon, b.lat, b.lon) for a in groups.itertuples()
                     for b in groups.itertuples())
        if spread > AMBIGUOUS_KM:
            options = " or ".join(f"'{name.strip()}, {m}'" for m in groups.index)
            raise GeocodeError(f"ambiguous place '{text}': there is one in each of "
                               f"{', '.join(groups.index)} ({spread:.0f} km apart); write "
                               f"{options}")
        rows = rows[rows.municipality == groups.n.idxmax()]  # a stray point over the border
    return Point(float(rows.lat.mean()), float(rows.lon.mean()),
                 f"{rows.place.iloc[0]}, {rows.municipality.iloc[0]}",
                 str(rows.municipality.iloc[0]), str(rows.gm.iloc[0]))
