#!/usr/bin/env python3
"""Write the synthetic tables of the A1 protein-corridor case (``data/a1-eiwitcorridor/``).

Livestock farms along the A1 (Gelderse Vallei, Veluwe–IJssel–Salland, Twente) aggregated into
farm groups by village; slaughterhouses, an egg packer, three feed mills and four candidate
manure processors. Every constant below is explained in ``data/a1-eiwitcorridor/README.md``
(value, unit, source or "assumption" with the reasoning). Deterministic: the random draws
(farm-group sizes around their nominal value, countryside offsets of the farm-group centroids
from the village points) use a fixed seed, so re-running the script gives the same files.

    .venv/bin/python scripts/make_a1.py            # writes data/a1-eiwitcorridor/*.csv
"""

from __future__ import annotations

import csv
import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "data" / "a1-eiwitcorridor"
FARMS_OUT = ROOT / "data" / "a1-corridor-farms"  # --farms: every farm (scripts/make_a1_farms.py)
SEED = 20250101

# ---- sub-regions and farm groups ----------------------------------------------------------
SUBREGIONS = {
    "gv": "Gelderse Vallei",
    "vi": "Veluwe-IJssel-Salland",
    "tw": "Twente / north Achterhoek",
}

# (village place id, sub-region, animal type, nominal animal places)  [assumption]
FARM_GROUPS = [
    ("barneveld", "gv", "broiler", 600_000),
    ("barneveld", "gv", "layer", 1_200_000),
    ("voorthuizen", "gv", "layer", 800_000),
    ("voorthuizen", "gv", "pig", 40_000),
    ("nijkerk", "gv", "broiler", 400_000),
    ("nijkerk", "gv", "veal", 25_000),
    ("ede", "gv", "veal", 20_000),
    ("lunteren", "gv", "broiler", 500_000),
    ("lunteren", "gv", "pig", 30_000),
    ("apeldoorn", "vi", "layer", 400_000),
    ("apeldoorn", "vi", "veal", 35_000),
    ("deventer", "vi", "pig", 50_000),
    ("raalte", "vi", "pig", 80_000),
    ("raalte", "vi", "broiler", 300_000),
    ("holten", "tw", "pig", 40_000),
    ("rijssen", "tw", "pig", 60_000),
    ("rijssen", "tw", "broiler", 400_000),
    ("markelo", "tw", "pig", 50_000),
    ("markelo", "tw", "veal", 10_000),
    ("lochem", "tw", "pig", 40_000),
    ("hengelo", "tw", "pig", 30_000),
]
SIZE_SPREAD = 0.15          # lognormal sigma of the actual size around the nominal [assumption]
OFFSET_KM = (2.0, 5.0)      # farm-group centroid: 2-5 km from the village point [assumption]

# ---- per animal place and year (t) [assumption / derived, see README] ---------------------
ANIMAL = {
    #          name,                 output commodity, output t, feed t, manure t
    "broiler": ("Broiler farms", "broilers-live", 7 * 0.97 * 2.3 / 1000, 0.025, 0.010),
    "layer": ("Laying-hen farms", "eggs", 300 * 62 / 1e6, 0.042, 0.020),
    "pig": ("Fattening-pig farms", "pigs-live", 3 * 0.98 * 120 / 1000, 0.74, 1.0),
    "veal": ("Veal-calf farms", "calves-live", 1.4 * 0.98 * 250 / 1000, 0.84, 2.0),
}
DESTINATION = {"broilers-live": "slaughter-poultry", "eggs": "egg-packer",
               "pigs-live": "slaughter-pig", "calves-live": "slaughter-veal"}

# ---- industry: (node id, name, near place, offset east km, offset north km) [assumption] ---
INDUSTRY = [
    ("slaughter-poultry", "Broiler slaughterhouse (Gelderse Vallei)", "nijkerk", 1.5, -1.0),
    ("slaughter-pig", "Pig slaughterhouse (Twente)", "rijssen", -1.5, -1.0),
    ("slaughter-veal", "Veal slaughterhouse (Apeldoorn)", "apeldoorn", 2.0, -1.5),
    ("egg-packer", "Egg packing station (Barneveld)", "barneveld", 1.0, 1.0),
    ("mill-gv", "Feed mill Gelderse Vallei (Barneveld)", "barneveld", -1.0, -1.0),
    ("mill-vi", "Feed mill IJssel (Deventer)", "deventer", -1.0, 0.5),
    ("mill-tw", "Feed mill Twente (Rijssen)", "rijssen", 1.0, 1.0),
]
MILL_OF = {"gv": "mill-gv", "vi": "mill-vi", "tw": "mill-tw"}
MILL_HEADROOM = 1.3         # mill capacity = 1.3 × its sub-region's feed need [assumption]

# candidate manure processors (site nodes) next to the mills, plus a central one
PROCESSORS = [
    ("proc-gv", "Manure processor Gelderse Vallei (next to the Barneveld mill)", "barneveld",
     -2.0, -1.5, ["gv"]),
    ("proc-vi", "Manure processor IJssel (next to the Deventer mill)", "deventer", -2.0, 0.0,
     ["vi"]),
    ("proc-tw", "Manure processor Twente (next to the Rijssen mill)", "rijssen", 2.0, 0.5,
     ["tw"]),
    ("proc-central", "Central manure processor (Apeldoorn, A1/A50)", "apeldoorn", 3.0, 1.0,
     ["gv", "vi", "tw"]),
]
PROC_HEADROOM = 1.1         # capacity = 1.1 × the manure of the sub-regions it is sized for
PROC_DEV_FIXED_EUR = 4_000_000      # one-off, per plant [assumption]
PROC_DEV_EUR_PER_T_YR = 35          # one-off, per t/yr of capacity [assumption]
PROC_OPEX_FIXED_EUR = 400_000       # per plant and year [assumption]
PROC_OPEX_EUR_PER_T_YR = 5          # per t/yr of capacity and year [assumption]
# ---- seasons: liquid manure may be spread on grassland 16 Feb – 31 Aug (mestportaal.nl,
# 'Wetgeving uitrijden dierlijke mest') [S]: 197 days; the closed season 1 Sep – 15 Feb 168 d
PERIODS = [("spreading", round(197 / 7, 3)), ("closed", round(168 / 7, 3))]  # weeks [D]
# ---- outlets (activities at location nodes) ------------------------------------------------
OUTLET_PRICE_EUR_PER_T = 20   # raw slurry at the arable / export outlet, at the gate [A; S range]
CONCENTRATE_EUR_PER_T = -1.2  # users pay ~1.25 (2009), 1.19 (2010) EUR/t (LEI 2011-030) [S]
THICK_EXPORT_EUR_PER_T = 15   # thick fraction taken for export at the border, at the gate [A]
BMC_EUR_PER_T = 25            # BMC Moerdijk contract price 2017 (Boerderij, Oct 2018) [S]
CONCENTRATE_STORE_EUR_PER_T = 10  # stored at the plant for the closed season, hauled later [A]
THICK_STORE_EUR_PER_T = 40        # thick fraction nobody takes (fallback, never cheaper) [A]
OUTLETS = [  # (id, name, lat, lon, accepts {commodity: gate fee}, intake periods)
    ("arable-outlet", "Arable farms, Flevoland (via an intermediary; Dronten)", 52.525, 5.718,
     {"manure": OUTLET_PRICE_EUR_PER_T, "concentrate": CONCENTRATE_EUR_PER_T}, "spreading"),
    ("export-de", "Manure export to Germany (border at Oldenzaal)", 52.3133, 6.9292,
     {"manure": OUTLET_PRICE_EUR_PER_T, "thick-fraction": THICK_EXPORT_EUR_PER_T}, ""),
    ("bmc-moerdijk", "BMC Moerdijk poultry-manure power plant", 51.684, 4.593,
     {"poultry-manure": BMC_EUR_PER_T}, ""),
]
OUTLET_CAP_T = 1_000_000      # t/week: not a limit [A]
# Mestac's split of raw pig slurry: 34 % mineral concentrate, 46 % dischargeable water, 20 %
# thick fraction (Boerderij, 'Concentraat van varkensmest is EUR 24 per ton waard') [S]
YIELDS = {"concentrate": 0.34, "thick-fraction": 0.20}
# lane pruning: no feed or manure run longer than this (driving h at 60 km/h) [assumption]
FEED_MAX_H = 1.0            # 60 road km: a mill serves its own and the next sub-region
MANURE_MAX_H = 2.5          # 150 road km: every farm group reaches an outlet and a processor
FARMS_FEED_MAX_H = 2.0      # --farms: 120 road km, so that a farm anywhere in the two
#                             provinces reaches a mill [assumption]


def places() -> dict[str, tuple[float, float]]:
    with open(ROOT / "data" / "places.csv", newline="", encoding="utf-8") as f:
        return {r["id"]: (float(r["lat"]), float(r["lon"])) for r in csv.DictReader(f)}


def shift(lat: float, lon: float, east_km: float, north_km: float) -> tuple[float, float]:
    return (round(lat + north_km / 111.2, 4),
            round(lon + east_km / (111.2 * math.cos(math.radians(lat))), 4))


VEHICLE_COLS = ["id", "name", "mode", "pricing", "payload_t", "volume_m3", "pallets",
                "cost_eur_per_km", "cost_eur_per_h", "toll_eur_per_km", "speed_kmh",
                "handling_h_per_trip", "co2_empty_kg_per_km", "co2_full_kg_per_km",
                "wtw_ttw_ratio", "load_classes", "baseline"]


def write(name: str, rows: list[dict], first: list[str] | None = None) -> None:
    cols: list[str] = list(first or [])
    for r in rows:
        cols += [c for c in r if c not in cols]
    with open(OUT / name, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({c: r.get(c, "") for c in cols})


def farm_groups(rng: np.random.Generator, pl: dict) -> list[tuple]:
    """The 21 farm groups: size and centroid drawn once, in list order."""
    farms = []
    for village, sub, kind, nominal in FARM_GROUPS:
        step = 1000 if kind in ("broiler", "layer") else 500
        size = int(round(nominal * math.exp(rng.normal(0.0, SIZE_SPREAD)) / step) * step)
        dist = rng.uniform(*OFFSET_KM)
        angle = rng.uniform(0.0, 2 * math.pi)
        lat, lon = shift(*pl[village], dist * math.cos(angle), dist * math.sin(angle))
        farms.append((f"{kind}-{village}", village, sub, kind, size, lat, lon, dist))
    return farms


def main() -> None:
    if "--farms" in sys.argv:
        from make_a1_farms import corridor_farms

        write_case(corridor_farms(np.random.default_rng(SEED)), FARMS_OUT, "farms",
                   feed_max_h=FARMS_FEED_MAX_H)
        return
    write_case(farm_groups(np.random.default_rng(SEED), places()), OUT, "groups")


def write_case(farms: list[tuple], out: Path, unit: str,
               feed_max_h: float = FEED_MAX_H) -> None:
    """Every table of the case for a list of farms (id, village, sub-region, animal, animal
    places, lat, lon, offset km), with the plants, processors and outlets around them."""
    global OUT
    OUT = out
    pl = places()
    OUT.mkdir(parents=True, exist_ok=True)
    nodes, acts, demands, groups = [], [], [], []

    feed_need = {s: 0.0 for s in SUBREGIONS}
    manure = {s: 0.0 for s in SUBREGIONS}
    for fid, village, sub, kind, size, lat, lon, dist in farms:
        name, out_com, out_t, feed_t, manure_t = ANIMAL[kind]
        label = (f"{name} around {village.title()} (centroid)" if unit == "groups"
                 else f"{name[:-1]} {fid.rsplit('-', 1)[1]}, {village}")
        nodes.append({"id": fid, "name": label, "kind": "location", "lat": lat, "lon": lon})
        acts.append({"id": fid, "name": f"{name} {village.title()}" if unit == "groups"
                     else label, "node": fid, "movable": "false"})
        q_out = round(size * out_t / 52, 1)
        q_feed = round(size * feed_t / 52, 1)
        q_man = round(size * manure_t / 52, 1)
        groups.append({"id": fid, "village": village, "subregion": sub, "animal": kind,
                       "animal_places": size,
                       "centroid_offset_km": "" if dist is None else round(dist, 2),
                       "output_t_per_week": q_out, "output_commodity": out_com,
                       "feed_t_per_week": q_feed, "manure_t_per_week": q_man})
        feed_need[sub] += q_feed
        slurry = kind in ("pig", "veal")
        if slurry:
            manure[sub] += q_man
        demands.append({"id": f"{fid}-out", "kind": "directed", "origin": fid,
                        "destination": DESTINATION[out_com], "commodity": out_com,
                        "tonnes_per_period": q_out, **{f"tonnes_{p}": "" for p, _ in PERIODS},
                        "baseline_partner": ""})
        demands.append({"id": f"{fid}-feed", "kind": "pooled_demand", "origin": "",
                        "destination": fid, "commodity": "feed", "tonnes_per_period": q_feed,
                        "baseline_partner": MILL_OF[sub]})
        for season, _w in PERIODS:  # manure is produced all year; one demand per season
            today = ("bmc-moerdijk" if not slurry else
                     "arable-outlet" if season == "spreading" else "export-de")
            demands.append({"id": f"{fid}-manure-{season}", "kind": "pooled_supply",
                            "origin": fid, "destination": "",
                            "commodity": "manure" if slurry else "poultry-manure",
                            "tonnes_per_period": "",
                            **{f"tonnes_{p}": (q_man if p == season else 0)
                               for p, _ in PERIODS},
                            "baseline_partner": today})

    for nid, name, near, east, north in INDUSTRY:
        lat, lon = shift(*pl[near], east, north)
        nodes.append({"id": nid, "name": name, "kind": "location", "lat": lat, "lon": lon})
        act = {"id": nid, "name": name, "node": nid, "movable": "false"}
        if nid.startswith("mill-"):
            sub = nid[5:]
            act["supply_feed"] = math.ceil(feed_need[sub] * MILL_HEADROOM / 10) * 10
        acts.append(act)

    for nid, name, near, east, north, subs in PROCESSORS:
        lat, lon = shift(*pl[near], east, north)
        cap_week = math.ceil(sum(manure[s] for s in subs) * PROC_HEADROOM / 100) * 100
        cap_year = cap_week * 52
        nodes.append({"id": nid, "name": name, "kind": "site", "lat": lat, "lon": lon,
                      "accept_manure": cap_week, "process_input": "manure",
                      **{f"yield_{k}": y for k, y in YIELDS.items()},
                      "dev_cost_eur": PROC_DEV_FIXED_EUR + PROC_DEV_EUR_PER_T_YR * cap_year,
                      "opex_eur_per_yr": PROC_OPEX_FIXED_EUR
                      + PROC_OPEX_EUR_PER_T_YR * cap_year})

    for oid, name, lat, lon, fees, periods in OUTLETS:
        nodes.append({"id": oid, "name": name, "kind": "location", "lat": lat, "lon": lon})
        acts.append({"id": oid, "name": name, "node": oid, "movable": "false",
                     **{f"accept_{k}": OUTLET_CAP_T for k in fees},
                     **{f"gate_fee_{k}": fee for k, fee in fees.items()},
                     "intake_periods": periods})

    commodities = [
        {"id": "broilers-live", "name": "Live broilers (containers)",
         "load_class": "live_animals"},
        {"id": "pigs-live", "name": "Live fattening pigs", "load_class": "live_animals"},
        {"id": "calves-live", "name": "Live veal calves", "load_class": "live_animals"},
        {"id": "eggs", "name": "Table eggs (trays on pallets)", "load_class": "food",
         "density_t_per_m3": 0.35, "pallets_per_t": 1.4},
        # feed rounds from the mills and manure rounds to the processors and outlets
        # (issue 21: tour columns beside direct trips, today and in every option)
        {"id": "feed", "name": "Compound feed and milk replacer (bulk)", "load_class": "feed",
         "density_t_per_m3": 0.65, "max_transit_h": feed_max_h, "tour": "deliver"},
        {"id": "manure", "name": "Pig and veal slurry (raw)",
         "load_class": "manure", "density_t_per_m3": 1.0, "max_transit_h": MANURE_MAX_H,
         "tour": "collect"},
        {"id": "poultry-manure", "name": "Poultry manure (broiler litter, dried layer manure)",
         "load_class": "manure", "density_t_per_m3": 1.0, "tour": "collect"},
        {"id": "concentrate", "name": "Mineral concentrate (from slurry, reverse osmosis)",
         "load_class": "manure", "density_t_per_m3": 1.0,
         "disposal_cost_eur_per_t": CONCENTRATE_STORE_EUR_PER_T},
        {"id": "thick-fraction", "name": "Thick fraction of slurry (solid, phosphate-rich)",
         "load_class": "manure", "density_t_per_m3": 1.0,
         "disposal_cost_eur_per_t": THICK_STORE_EUR_PER_T},
    ]
    common = {"mode": "road", "pricing": "trip", "cost_eur_per_h": 29.41,
              "toll_eur_per_km": 0, "speed_kmh": 60, "co2_empty_kg_per_km": 0.65,
              "co2_full_kg_per_km": 1.07, "wtw_ttw_ratio": 1.243}
    vehicles = [
        {"id": "livestock-truck", "name": "Livestock semitrailer (decks / broiler containers)",
         **common, "payload_t": 18, "cost_eur_per_km": 0.97, "handling_h_per_trip": 1.5,
         "load_classes": "live_animals", "baseline": "true"},
        {"id": "egg-truck", "name": "Tractor-semitrailer, eggs on pallets", **common,
         "payload_t": 26, "volume_m3": 90, "pallets": 33, "cost_eur_per_km": 0.924,
         "handling_h_per_trip": 1.0, "load_classes": "food", "baseline": "true"},
        {"id": "feed-truck", "name": "Bulk feed semitrailer (blower)", **common,
         "payload_t": 28, "cost_eur_per_km": 0.924, "handling_h_per_trip": 1.0,
         "load_classes": "feed", "baseline": "true"},
        {"id": "manure-truck", "name": "Manure semitrailer (tanker / walking floor)", **common,
         "payload_t": 30, "cost_eur_per_km": 0.924, "handling_h_per_trip": 0.75,
         "load_classes": "manure", "baseline": "true"},
        {"id": "combi-truck", "name": "Feed-out / manure-back bulk semitrailer", **common,
         "payload_t": 28, "cost_eur_per_km": 0.97, "handling_h_per_trip": 1.5,
         "load_classes": "feed;manure", "baseline": "false"},
    ]
    write("nodes.csv", nodes)
    write("activities.csv", acts)
    write("commodities.csv", commodities)
    write("demands.csv", demands)
    write("vehicles.csv", vehicles, VEHICLE_COLS)
    write("farm_groups.csv" if unit == "groups" else "farms.csv", groups)  # not read by the
    # scenario: how the volumes were made
    tot = {s: (round(feed_need[s], 1), round(manure[s], 1)) for s in SUBREGIONS}
    where = OUT.relative_to(ROOT) if OUT.is_relative_to(ROOT) else OUT
    print(f"wrote {where}: {len(nodes)} nodes, {len(acts)} activities, "
          f"{len(demands)} demands; feed / manure t/week by sub-region: {tot}")


if __name__ == "__main__":
    main()
