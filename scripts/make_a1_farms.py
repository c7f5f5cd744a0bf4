"""Every livestock farm of Gelderland and Overijssel for the A1 corridor at scale (issue 20).
Run through ``scripts/make_a1.py --farms``, which writes ``data/a1-corridor-farms/``. The
plants, candidate processors, outlets and vehicles are those of the 21-group case.

Farm counts per province and animal type come from public statistics (sources and arithmetic
in ``data/a1-corridor-farms/README.md``). Positions are drawn uniformly inside the province
(CBS 2025 generalised outline, shipped in ``data/boundaries``), because the shipped
statistics give no finer breakdown [A]. Sizes are lognormal around the mean per farm [A:
spread]. Each farm's mill sub-region is that of its nearest feed mill [A]."""

from __future__ import annotations

import json
import math

import numpy as np
from make_a1 import INDUSTRY, MILL_OF, ROOT, places, shift
from shapely.geometry import Point, shape

# farms per (province, animal type) and mean animal places per farm; see the README
PIGS_PER_FARM_NL = 11_300_000 / 3_273          # 2022 [S] → 3,453 [D]
PIG_FARMS = {"Gelderland": round(1_800_000 / PIGS_PER_FARM_NL),    # 2021 pigs [S] → [D]
             "Overijssel": round(1_500_000 / PIGS_PER_FARM_NL)}
POULTRY_FARMS = {"Gelderland": 444, "Overijssel": 247}              # 2017 [S]
CHICKENS_PER_FARM = {"Gelderland": 39_359, "Overijssel": 46_722}   # 2017 [S]
BROILER_SHARE = 888 / (888 + 1_050)   # NL farms with broilers / with laying hens, 2017 [S]
VEAL_FARMS_NL, VEAL_PLACES_NL = 1_620, 939_000                      # 2022 [S]
VEAL_SHARE = {"Gelderland": 0.5,      # "almost half" of the veal calves [W]
              "Overijssel": 0.1}      # no figure found [A]
SIZE_SIGMA = 0.5                      # lognormal spread of farm size, mean kept [A]
STEP = {"broiler": 1000, "layer": 1000, "pig": 50, "veal": 10}  # rounding of places


def province(name: str):
    doc = json.loads((ROOT / "data" / "boundaries" / "provinces_2025.geojson").read_text())
    (geom,) = [f["geometry"] for f in doc["features"] if f["properties"]["statnaam"] == name]
    return shape(geom)


def counts() -> list[tuple[str, str, int, float]]:
    """(province, animal, farms, mean places per farm)."""
    rows = []
    for prov in ("Gelderland", "Overijssel"):
        rows.append((prov, "pig", PIG_FARMS[prov], PIGS_PER_FARM_NL))
        broilers = round(POULTRY_FARMS[prov] * BROILER_SHARE)
        rows.append((prov, "broiler", broilers, CHICKENS_PER_FARM[prov]))
        rows.append((prov, "layer", POULTRY_FARMS[prov] - broilers, CHICKENS_PER_FARM[prov]))
        rows.append((prov, "veal", round(VEAL_FARMS_NL * VEAL_SHARE[prov]),
                     VEAL_PLACES_NL / VEAL_FARMS_NL))
    return rows


def corridor_farms(rng: np.random.Generator) -> list[tuple]:
    """Farms (id, municipality-free place label, sub-region, animal, places, lat, lon, None)
    drawn per (province, animal) count, in ``counts()`` order."""
    pl = places()
    mills = {nid[5:]: shift(*pl[near], east, north) for nid, _n, near, east, north in INDUSTRY
             if nid in MILL_OF.values()}
    sigma = SIZE_SIGMA
    farms, n = [], 0
    for prov, kind, count, mean in counts():
        poly = province(prov)
        x0, y0, x1, y1 = poly.bounds
        mu = math.log(mean) - sigma ** 2 / 2
        for _ in range(count):
            n += 1
            while True:
                lon, lat = rng.uniform(x0, x1), rng.uniform(y0, y1)
                if poly.contains(Point(lon, lat)):
                    break
            size = max(STEP[kind], int(round(math.exp(rng.normal(mu, sigma)) / STEP[kind])
                                       * STEP[kind]))
            sub = min(mills, key=lambda s: (mills[s][0] - lat) ** 2
                      + ((mills[s][1] - lon) * math.cos(math.radians(lat))) ** 2)
            farms.append((f"{kind}-{n:04d}", prov, sub, kind, size, round(lat, 4),
                          round(lon, 4), None))
    return farms
