#!/usr/bin/env python3
"""Write the synthetic tables of the Kuijpers Kip case (``data/kuijpers-kip/``).

One broiler chain — parent stock, hatchery, three broiler farms, slaughterhouse — dispersed over
the Gelderse Vallei today, with one candidate site where every link may move (the study's
"all links of the chain on one site", KLICT/Rijnconsult, project 8). Chicks and live broilers
are their own commodities and load classes, so their road km show separately. Manure (and the
hatchery's and slaughterhouse's organic residues) may go to a shared digester on the site
(``facilities``); an activity not connected pays its own outlet and energy bill.

Every constant is explained in ``data/kuijpers-kip/README.md``. Deterministic (fixed seed).

    .venv/bin/python scripts/make_kuijpers.py     # writes data/kuijpers-kip/*.csv
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "data" / "kuijpers-kip"
SEED = 20250102

BROILER_FARMS = [("voorthuizen", 120_000), ("nijkerk", 120_000), ("ede", 120_000)]
SIZE_SPREAD = 0.15          # lognormal sigma around the nominal places [assumption]
OFFSET_KM = (2.0, 5.0)      # farm location: 2-5 km from the village point [assumption]

# broiler and breeder figures [assumption unless noted in the README]
ROUNDS = 7                  # broiler rounds per place and year
MORTALITY = 0.03
LIVE_KG = 2.3               # live weight at delivery
CHICK_KG = 0.042            # day-old chick
HATCH_EGG_KG = 0.062
HATCHABILITY = 0.82         # chicks per hatching egg set
EGGS_PER_HEN_YR = 150       # hatching eggs per breeder hen and year
MALES = 0.10                # cockerels per hen
FEED_BROILER_T = 0.025      # feed per broiler place and year (FCR 1.6 × 15.6 kg live)
FEED_BREEDER_T = 0.058      # feed per breeder place and year (160 g/day)
MEAT_YIELD = 0.72           # carcass / live weight
MANURE_BROILER_T = 0.010    # per broiler place and year
MANURE_BREEDER_T = 0.025    # per breeder place and year
SLAUGHTER_RESIDUE = 0.02    # lairage manure and flotation sludge, share of live weight
# own outlet per tonne and the energy bill a digester on the site would replace [assumption]
OUTLET_EUR_PER_T = {"manure": 22, "residue": 40}
ENERGY_EUR_PER_YR = {"parent-stock": 15_000, "hatchery": 40_000, "broiler": 30_000,
                     "slaughterhouse": 60_000}
# incremental cost of building on the joint site instead of in place (one-off) [assumption]
RELOC_EUR = {"parent-stock": 400_000, "hatchery": 1_000_000, "broiler": 500_000,
             "slaughterhouse": 2_500_000}
SIZE_HA = {"parent-stock": 3.0, "hatchery": 1.5, "broiler": 4.0, "slaughterhouse": 4.0}
# on-site handling per tonne when two links share the site (no road leg) [assumption]
INTERNAL_EUR_PER_T = {"hatching-eggs": 1.0, "chicks": 5.0, "broilers-live": 1.5}
SITE = {"cap_ha": 30, "dev_cost_eur": 1_500_000, "opex_eur_per_yr": 50_000}
DIGESTER = {"cost_eur": 1_800_000, "opex_eur_per_yr": 90_000, "connect_eur_per_yr": 3_000}

# (node id, name, near place, offset east km, north km) [assumption]
FIXED_POINTS = [
    ("parent-farm", "Parent-stock farm (today, Lunteren)", "lunteren", 2.5, 1.5),
    ("hatchery-today", "Hatchery (today, Barneveld)", "barneveld", 1.5, -1.0),
    ("slaughter-today", "Broiler slaughterhouse (today, Apeldoorn)", "apeldoorn", -2.0, -1.0),
    ("feed-mill", "Feed mill (Barneveld)", "barneveld", -1.0, -1.0),
    ("meat-dc", "Meat customer: retail / processing DC (A1/A28, proxy Gelderse Vallei "
     "centroid)", "gelderse-vallei", 0.0, 0.0),
]
# one representative period = one broiler round of 7 weeks (6 weeks growing + cleaning) [assumption]
ROUND_WEEKS = 7
# deliveries per round [assumption]: hatching eggs collected twice a week, feed at least weekly,
# meat to the customer five days a week; chicks arrive once per round (no minimum needed)
SHIPMENTS = {"hatching-eggs": 14, "feed": 7, "chicken-meat": 35}
SITE_POINT = ("kuijpers-site", "One-site chain (rural site between Barneveld and Voorthuizen)",
              "barneveld", 2.5, 3.5)


def places() -> dict[str, tuple[float, float]]:
    with open(ROOT / "data" / "places.csv", newline="", encoding="utf-8") as f:
        return {r["id"]: (float(r["lat"]), float(r["lon"])) for r in csv.DictReader(f)}


def shift(lat: float, lon: float, east_km: float, north_km: float) -> tuple[float, float]:
    return (round(lat + north_km / 111.2, 4),
            round(lon + east_km / (111.2 * math.cos(math.radians(lat))), 4))


def write(name: str, rows: list[dict], first: list[str] | None = None) -> None:
    cols: list[str] = list(first or [])
    for r in rows:
        cols += [c for c in r if c not in cols]
    with open(OUT / name, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({c: r.get(c, "") for c in cols})


def main() -> None:
    rng = np.random.default_rng(SEED)
    pl = places()
    OUT.mkdir(parents=True, exist_ok=True)
    nodes, acts, demands, volumes = [], [], [], []
    site_id = SITE_POINT[0]

    for nid, name, near, east, north in FIXED_POINTS:
        lat, lon = shift(*pl[near], east, north)
        nodes.append({"id": nid, "name": name, "kind": "location", "lat": lat, "lon": lon})
    lat, lon = shift(*pl[SITE_POINT[2]], SITE_POINT[3], SITE_POINT[4])
    nodes.append({"id": site_id, "name": SITE_POINT[1], "kind": "site", "lat": lat, "lon": lon,
                  **SITE})

    farms = []
    for i, (village, nominal) in enumerate(BROILER_FARMS, start=1):
        size = int(round(nominal * math.exp(rng.normal(0.0, SIZE_SPREAD)) / 1000) * 1000)
        dist = rng.uniform(*OFFSET_KM)
        angle = rng.uniform(0.0, 2 * math.pi)
        lat, lon = shift(*pl[village], dist * math.cos(angle), dist * math.sin(angle))
        nid = f"broiler-farm-{i}"
        nodes.append({"id": nid, "name": f"Broiler farm {i} (today, {village.title()})",
                      "kind": "location", "lat": lat, "lon": lon})
        farms.append((f"broiler-{i}", nid, village, size))

    places_total = sum(f[3] for f in farms)
    chicks_yr = places_total * ROUNDS                       # chicks placed per year
    eggs_yr = chicks_yr / HATCHABILITY                      # hatching eggs set per year
    breeders = int(round(eggs_yr / EGGS_PER_HEN_YR * (1 + MALES) / 500) * 500)
    live_total_t = places_total * ROUNDS * (1 - MORTALITY) * LIVE_KG / 1000

    def act(aid, name, node, role, manure_t, kind="manure"):
        own = round(manure_t * OUTLET_EUR_PER_T[kind] + ENERGY_EUR_PER_YR[role])
        return {"id": aid, "name": name, "node": node, "movable": "true",
                "candidates": site_id, "size_ha": SIZE_HA[role],
                "reloc_cost_eur": RELOC_EUR[role], "use_digester": round(manure_t),
                "own_digester_eur_per_yr": own}

    acts.append(act("parent-stock", "Parent-stock farm (broiler breeders)", "parent-farm",
                    "parent-stock", breeders * MANURE_BREEDER_T))
    hatch_residue = (eggs_yr * HATCH_EGG_KG - chicks_yr * CHICK_KG) / 1000
    acts.append(act("hatchery", "Hatchery", "hatchery-today", "hatchery", hatch_residue,
                    "residue"))
    for aid, nid, village, size in farms:
        acts.append(act(aid, f"Broiler farm ({village.title()}, {size:,} places)", nid,
                        "broiler", size * MANURE_BROILER_T))
    acts.append(act("slaughterhouse", "Broiler slaughterhouse", "slaughter-today",
                    "slaughterhouse", live_total_t * SLAUGHTER_RESIDUE, "residue"))
    acts.append({"id": "feed-mill", "name": "Feed mill", "node": "feed-mill",
                 "movable": "false"})
    acts.append({"id": "meat-customer", "name": "Meat customer (retail / processing DC)",
                 "node": "meat-dc", "movable": "false"})

    wk = 52.0 / ROUND_WEEKS  # periods (rounds) per year
    demands.append({"id": "hatching-eggs", "origin": "parent-stock", "destination": "hatchery",
                    "commodity": "hatching-eggs",
                    "tonnes_per_period": round(eggs_yr * HATCH_EGG_KG / 1000 / wk, 2)})
    for aid, _nid, _v, size in farms:
        demands.append({"id": f"chicks-{aid}", "origin": "hatchery", "destination": aid,
                        "commodity": "chicks",
                        "tonnes_per_period": round(size * ROUNDS * CHICK_KG / 1000 / wk, 2)})
        demands.append({"id": f"live-{aid}", "origin": aid, "destination": "slaughterhouse",
                        "commodity": "broilers-live",
                        "tonnes_per_period": round(size * ROUNDS * (1 - MORTALITY) * LIVE_KG
                                                   / 1000 / wk, 1)})
        demands.append({"id": f"feed-{aid}", "origin": "feed-mill", "destination": aid,
                        "commodity": "feed",
                        "tonnes_per_period": round(size * FEED_BROILER_T / wk, 1)})
    demands.append({"id": "feed-parent-stock", "origin": "feed-mill",
                    "destination": "parent-stock", "commodity": "feed",
                    "tonnes_per_period": round(breeders * FEED_BREEDER_T / wk, 1)})
    demands.append({"id": "meat", "origin": "slaughterhouse", "destination": "meat-customer",
                    "commodity": "chicken-meat",
                    "tonnes_per_period": round(live_total_t * MEAT_YIELD / wk, 1)})
    for d in demands:
        d["kind"] = "directed"
        d["shipments_per_period"] = SHIPMENTS.get(d["commodity"], "")

    commodities = [
        {"id": "hatching-eggs", "name": "Hatching eggs (setter trolleys)",
         "load_class": "hatching_eggs", "density_t_per_m3": 0.25,
         "internal_cost_eur_per_t": INTERNAL_EUR_PER_T["hatching-eggs"]},
        {"id": "chicks", "name": "Day-old chicks (chick boxes)", "load_class": "live_chicks",
         "density_t_per_m3": 0.07, "internal_cost_eur_per_t": INTERNAL_EUR_PER_T["chicks"]},
        {"id": "broilers-live", "name": "Live broilers (containers)",
         "load_class": "live_animals", "density_t_per_m3": 0.2,
         "internal_cost_eur_per_t": INTERNAL_EUR_PER_T["broilers-live"]},
        {"id": "feed", "name": "Compound feed (bulk)", "load_class": "feed",
         "density_t_per_m3": 0.65},
        {"id": "chicken-meat", "name": "Chicken meat (chilled, on pallets)",
         "load_class": "chilled", "density_t_per_m3": 0.4, "pallets_per_t": 1.6},
    ]
    common = {"mode": "road", "pricing": "trip", "cost_eur_per_h": 29.41,
              "toll_eur_per_km": 0, "wtw_ttw_ratio": 1.243, "baseline": "true"}
    vehicles = [
        {"id": "chick-truck", "name": "Climate-controlled rigid (chicks, hatching eggs)",
         **common, "payload_t": 6, "volume_m3": 45, "cost_eur_per_km": 0.785, "speed_kmh": 55,
         "handling_h_per_trip": 1.0, "co2_empty_kg_per_km": 0.77, "co2_full_kg_per_km": 1.10,
         "load_classes": "live_chicks;hatching_eggs"},
        {"id": "livestock-truck", "name": "Broiler container semitrailer", **common,
         "payload_t": 16, "volume_m3": 80, "cost_eur_per_km": 0.97, "speed_kmh": 60,
         "handling_h_per_trip": 1.5, "co2_empty_kg_per_km": 0.65, "co2_full_kg_per_km": 1.07,
         "load_classes": "live_animals"},
        {"id": "feed-truck", "name": "Bulk feed semitrailer", **common, "payload_t": 28,
         "cost_eur_per_km": 0.924, "speed_kmh": 60, "handling_h_per_trip": 1.0,
         "co2_empty_kg_per_km": 0.65, "co2_full_kg_per_km": 1.07, "load_classes": "feed"},
        {"id": "reefer-semitrailer", "name": "Refrigerated tractor-semitrailer 40 t", **common,
         "payload_t": 24, "volume_m3": 85, "pallets": 33, "cost_eur_per_km": 1.063,
         "speed_kmh": 60, "handling_h_per_trip": 1.0, "co2_empty_kg_per_km": 0.75,
         "co2_full_kg_per_km": 1.24, "load_classes": "chilled"},
    ]
    users = [a["use_digester"] for a in acts if a.get("use_digester")]
    facilities = [{"id": "digester", "name": "Manure-to-energy digester on the site (t/yr)",
                   "sites": site_id, "capacity": int(math.ceil(sum(users) * 1.2 / 100) * 100),
                   "modular": "false", **DIGESTER}]
    for aid, _nid, village, size in farms:
        volumes.append({"activity": aid, "village": village, "places": size})
    volumes.append({"activity": "parent-stock", "village": "lunteren", "places": breeders})
    write("nodes.csv", nodes)
    write("activities.csv", acts)
    write("commodities.csv", commodities)
    write("demands.csv", demands, ["id", "kind", "origin", "destination", "commodity",
                                   "tonnes_per_period", "shipments_per_period"])
    write("vehicles.csv", vehicles, ["id", "name", "mode", "pricing", "payload_t", "volume_m3",
                                     "pallets", "cost_eur_per_km", "cost_eur_per_h",
                                     "toll_eur_per_km", "speed_kmh", "handling_h_per_trip",
                                     "co2_empty_kg_per_km", "co2_full_kg_per_km",
                                     "wtw_ttw_ratio", "load_classes", "baseline"])
    write("facilities.csv", facilities)
    write("flocks.csv", volumes)  # not read by the scenario: how the volumes were made
    print(f"wrote {OUT.relative_to(ROOT)}: {len(nodes)} nodes, {len(acts)} activities, "
          f"{len(demands)} demands; {places_total:,} broiler places, {breeders:,} breeders")


if __name__ == "__main__":
    main()
