#!/usr/bin/env python3
"""Write the Legato case: ``data/legato/{nodes,activities,commodities,demands,vehicles}.csv``
(Dutch agrifood exports to the Americas through Rotterdam, Antwerp and Schiphol, with six
transshipment-hub candidates in the Caribbean basin) for ``scenarios/legato.yaml``.

Run from the repository root: ``.venv/bin/python scripts/make_legato.py``. Nothing is random:
the same constants give the same files. Every number below is listed with its source or the
reasoning behind the assumption in ``data/legato/README.md``; the tags are those of
``data/README.md`` ([P] publication, [S] secondary, [D] derived, [W] weak, [A] assumption).
"""

from __future__ import annotations

import csv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "data" / "legato"
WEEKS = 52  # one representative week, weight 52: tonnes per period = annual / 52

# ---- places: lat, lon (degrees WGS84) of the container terminal or port, [A] read off a map
# to about 0.01 degree (~1 km); airports share their city's port point (Schiphol its own).
ORIGINS = {  # id: name, lat, lon, modes
    "rotterdam": ("Port of Rotterdam (Maasvlakte)", 51.95, 4.05, "sea"),
    "antwerp": ("Port of Antwerp (Deurganck dock)", 51.28, 4.26, "sea"),
    "schiphol": ("Amsterdam Airport Schiphol", 52.31, 4.76, "air"),
}
HUBS = {  # id: name, lat, lon, modes, handling EUR/t [A], dwell h [A]
    "hub-curacao": ("Curaçao: Willemstad (Curaçao Container Terminal) and Hato airport",
                    12.11, -68.93, "sea;air", 25.0, 168),
    "hub-colon": ("Panama: Colón (Manzanillo International Terminal)", 9.36, -79.88, "sea",
                  15.0, 96),
    "hub-balboa": ("Panama: Balboa (Pacific side)", 8.95, -79.57, "sea", 15.0, 96),
    "hub-kingston": ("Jamaica: Kingston Freeport Terminal", 17.97, -76.83, "sea", 15.0, 96),
    "hub-cartagena": ("Colombia: Cartagena (Contecar)", 10.39, -75.53, "sea", 15.0, 96),
    "hub-freeport": ("Bahamas: Freeport Container Port", 26.52, -78.77, "sea", 15.0, 96),
    "hub-miami": ("USA: PortMiami and Miami International Airport", 25.77, -80.17, "sea;air",
                  30.0, 72),
}
HUB_OPEX_EUR_PER_YR = 500_000  # [A] a shipper-run distribution hub: staff, office, contract

# market: name, lat, lon, modes, region, annual tonnes per commodity [A] (README: order of
# magnitude against the CBS/WUR export values; flowers only where an airport is listed)
MARKETS = {
    # Caribbean
    "curacao": ("Curaçao (Willemstad)", 12.11, -68.93, "sea;air", "Caribbean",
                dict(flowers=200, dairy=3000, meat=2000, processed=8000)),
    "aruba": ("Aruba (Oranjestad)", 12.52, -70.04, "sea;air", "Caribbean",
              dict(flowers=200, dairy=2500, meat=1500, processed=6000)),
    "suriname": ("Suriname (Paramaribo)", 5.82, -55.15, "sea", "Caribbean",
                 dict(dairy=3000, meat=2000, processed=10000)),
    "trinidad": ("Trinidad and Tobago (Port of Spain)", 10.65, -61.52, "sea", "Caribbean",
                 dict(dairy=2000, processed=5000)),
    "jamaica": ("Jamaica (Kingston)", 17.97, -76.83, "sea", "Caribbean",
                dict(dairy=2000, meat=1000, processed=4000)),
    "dominican-rep": ("Dominican Republic (Caucedo)", 18.42, -69.63, "sea", "Caribbean",
                      dict(dairy=6000, meat=3000, processed=8000, seed_potatoes=3000)),
    "cuba": ("Cuba (Mariel)", 22.99, -82.75, "sea", "Caribbean",
             dict(dairy=5000, seed_potatoes=8000)),
    # Central America and Mexico
    "panama": ("Panama (Colón)", 9.36, -79.88, "sea", "Central America",
               dict(dairy=2000, meat=1000, processed=5000, seed_potatoes=500)),
    "costa-rica": ("Costa Rica (Puerto Limón / Moín)", 10.00, -83.05, "sea", "Central America",
                   dict(dairy=1500, processed=3000, seed_potatoes=500)),
    "honduras": ("Honduras (Puerto Cortés)", 15.84, -87.95, "sea", "Central America",
                 dict(dairy=1000, processed=3000)),
    "mexico": ("Mexico (Veracruz)", 19.20, -96.13, "sea;air", "Central America",
               dict(flowers=500, dairy=10000, meat=5000, processed=15000, seed_potatoes=2000)),
    # South America
    "colombia": ("Colombia (Cartagena)", 10.39, -75.53, "sea", "South America",
                 dict(dairy=3000, processed=6000, seed_potatoes=1000)),
    "venezuela": ("Venezuela (La Guaira)", 10.60, -66.93, "sea", "South America",
                  dict(dairy=3000, processed=4000, seed_potatoes=2000)),
    "brazil": ("Brazil (Santos)", -23.98, -46.30, "sea;air", "South America",
               dict(flowers=300, dairy=8000, meat=1000, processed=15000, seed_potatoes=3000)),
    "argentina": ("Argentina (Buenos Aires)", -34.58, -58.37, "sea", "South America",
                  dict(dairy=1000, processed=4000, seed_potatoes=500)),
    "peru": ("Peru (Callao)", -12.05, -77.15, "sea", "South America",
             dict(dairy=3000, processed=4000, seed_potatoes=500)),
    "chile": ("Chile (San Antonio)", -33.59, -71.62, "sea", "South America",
              dict(dairy=2000, meat=1000, processed=4000, seed_potatoes=500)),
    # United States, east and gulf coasts
    "us-new-york": ("USA: New York / New Jersey (Port Newark, JFK)", 40.68, -74.15, "sea;air",
                    "US east/gulf", dict(flowers=5000, dairy=30000, meat=5000,
                                         processed=60000)),
    "us-savannah": ("USA: Savannah", 32.08, -81.09, "sea", "US east/gulf",
                    dict(dairy=5000, processed=20000)),
    "us-miami": ("USA: Miami (PortMiami, MIA)", 25.77, -80.17, "sea;air", "US east/gulf",
                 dict(flowers=3000, dairy=3000, processed=15000)),
    "us-houston": ("USA: Houston", 29.73, -95.27, "sea", "US east/gulf",
                   dict(dairy=4000, meat=2000, processed=10000)),
}

# commodity: name, load class, max transit h [A], origin shares (origin node: share) [A]
COMMODITIES = {
    "flowers": ("Cut flowers and plants (air, via Schiphol)", "flowers", 72,
                {"schiphol": 1.0}),
    "dairy": ("Dairy: cheese and butter (reefer containers)", "reefer", 1440,
              {"rotterdam": 1.0}),
    "meat": ("Meat, chilled and frozen (reefer containers)", "reefer", 1080,
             {"rotterdam": 1.0}),
    "seed_potatoes": ("Seed potatoes (ventilated reefer containers)", "reefer", 672,
                      {"rotterdam": 0.5, "antwerp": 0.5}),
    "processed": ("Processed food and drinks: milk powder, beer, confectionery (dry containers)",
                  "dry", None, {"rotterdam": 0.7, "antwerp": 0.3}),
}
EXPORTERS = {"rotterdam": "Dutch exporters shipping through Rotterdam",
             "antwerp": "Dutch exporters shipping through Antwerp",
             "schiphol": "Dutch flower and plant exporters flying from Schiphol"}


def write(name: str, rows: list[dict]) -> None:
    with open(OUT / name, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    nodes = [dict(id=k, name=n, kind="location", lat=la, lon=lo, modes=m, opex_eur_per_yr="",
                  handling_eur_per_t="", handling_h="", notes="origin (Europe)")
             for k, (n, la, lo, m) in ORIGINS.items()]
    nodes += [dict(id=k, name=n, kind="hub", lat=la, lon=lo, modes=m,
                   opex_eur_per_yr=HUB_OPEX_EUR_PER_YR, handling_eur_per_t=h, handling_h=dw,
                   notes="hub candidate")
              for k, (n, la, lo, m, h, dw) in HUBS.items()]
    nodes += [dict(id=k, name=n, kind="location", lat=la, lon=lo, modes=m, opex_eur_per_yr="",
                   handling_eur_per_t="", handling_h="", notes=f"market ({r})")
              for k, (n, la, lo, m, r, _) in MARKETS.items()]
    write("nodes.csv", nodes)

    acts = [dict(id=f"exporters-{k}", name=v, node=k, movable="false") for k, v in
            EXPORTERS.items()]
    acts += [dict(id=f"market-{k}", name=f"Importers and distributors, {v[0]}", node=k,
                  movable="false") for k, v in MARKETS.items()]
    write("activities.csv", acts)

    write("commodities.csv", [dict(id=k, name=n, load_class=lc,
                                   max_transit_h="" if h is None else h)
                              for k, (n, lc, h, _) in COMMODITIES.items()])

    demands = []
    for m, (*_, volumes) in MARKETS.items():
        for k, annual in volumes.items():
            for origin, share in COMMODITIES[k][3].items():
                demands.append(dict(id=f"{k}-{origin}-{m}", kind="directed",
                                    origin=f"exporters-{origin}", destination=f"market-{m}",
                                    commodity=k,
                                    tonnes_per_period=round(annual * share / WEEKS, 3)))
    write("demands.csv", demands)


if __name__ == "__main__":
    main()
