#!/usr/bin/env python3
"""Write the Verkassen case: ``data/verkassen/*.csv`` + ``scenarios/verkassen.yaml`` (a synthetic
but reproducible population of Westland and Aalsmeer growers) and ``data/verkassen-agriport-a7/
*.csv`` + ``scenarios/verkassen-agriport-a7.yaml`` (the eight real growers that moved to Agriport
A7).

Run from the repository root: ``.venv/bin/python scripts/make_verkassen.py``. Same seed, same
files. Every number used is listed, with its source or the reasoning behind the assumption, in
``data/verkassen/README.md`` and ``data/verkassen-agriport-a7/README.md``; the constants below
carry the same tags ([P] publication, [S] secondary, [D] derived, [W] weak, [A] assumption).

The population is drawn with ``numpy.random.default_rng(SEED)``: crop mix per region (fixed
counts), village per grower, farm size from a lognormal around the CBS / Gemeente Westland mean
firm size (stratified: one draw per quantile band), the farm point scattered around its
village centre, the trader or auction it sells to, and the planned/present size ratio.
Volumes then follow from size × yield; nothing else is random.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from statistics import NormalDist

import numpy as np
from shapely.geometry import Point, shape

ROOT = Path(__file__).resolve().parent.parent
SEED = 20240229
WEEKS = 52

# ---- places ---------------------------------------------------------------------------------
PLACES = {r["id"]: (float(r["lat"]), float(r["lon"]))
          for r in csv.DictReader(open(ROOT / "data" / "places.csv", encoding="utf-8"))}

# ---- crops: yield [t/ha/yr], mean firm size [ha], load class, density, pallets ------------
# yield: tomato 770 Mt (2022) / (0.43 x 4.1 kha, 2023) = 437 t/ha [D from CBS via Blik op
# Nieuws]; sweet pepper 30 kg/m2 [W Alles over voeding]; cucumber 400 Mt (2022) / 570 ha (2016)
# = 702 t/ha [D, mixed years] -> 700; cut flowers ~200 stems/m2/yr [D] x 40 g [A] = 80 t/ha;
# pot plants 150 t/ha [A].
CROPS = {
    "tomato": dict(name="Tomatoes (crates on pallets)", yield_t_ha=437.0, load_class="chilled",
                   density=0.35, pallets_per_t=1.7, shipments=5, kind="veg"),
    "sweet-pepper": dict(name="Sweet peppers (boxes on pallets)", yield_t_ha=300.0,
                         load_class="chilled", density=0.30, pallets_per_t=2.0, shipments=3,
                         kind="veg"),
    "cucumber": dict(name="Cucumbers (boxes on pallets)", yield_t_ha=700.0,
                     load_class="chilled", density=0.30, pallets_per_t=2.2, shipments=5,
                     kind="veg"),
    # no shipment frequency for ornamentals: the model drops the frequency rule on every leg
    # a tariff-priced type (groupage) may serve, so it would bind in B0-B2 but not in B3
    "cut-flowers": dict(name="Cut flowers (buckets on Danish trolleys)", yield_t_ha=80.0,
                        load_class="plants", density=0.07, pallets_per_t=None, shipments=None,
                        kind="orn"),
    "pot-plants": dict(name="Pot plants (on Danish trolleys)", yield_t_ha=150.0,
                       load_class="plants", density=0.10, pallets_per_t=None, shipments=None,
                       kind="orn"),
}
LABEL = {"tomato": "Tomato", "sweet-pepper": "Sweet-pepper", "cucumber": "Cucumber",
         "cut-flowers": "Cut-flower", "pot-plants": "Pot-plant"}
# mean firm size [ha]: tomato 7.3 (Westland 2012 [S]); other vegetables 7 (Westland average
# vegetable firm [S]); Westland ornamentals (2,297 - 1,048) ha / (587 - 150) firms = 2.9 [D];
# Aalsmeer ornamentals 3,710 ha / 1,710 firms = 2.2 (NL ornamentals under glass 2018) [D].
MEAN_HA = {("westland", "tomato"): 7.3, ("westland", "sweet-pepper"): 7.0,
           ("westland", "cucumber"): 7.0, ("westland", "cut-flowers"): 2.9,
           ("westland", "pot-plants"): 2.9, ("aalsmeer", "cut-flowers"): 2.2,
           ("aalsmeer", "pot-plants"): 2.2}
SIZE_CV = 0.6                      # [A] spread of firm sizes (coefficient of variation)
SIZE_CLIP = {"veg": (2.0, 30.0), "orn": (0.8, 15.0)}  # [A] ha

# grower counts [A]: Westland 40 (veg 21 = ~50 %, close to its 45 % share of the glass area;
# pot plants 12 = 30 %, near 216 of 587 firms), Aalsmeer 20 (an ornamental area)
COUNTS = {("westland", "tomato"): 9, ("westland", "sweet-pepper"): 8,
          ("westland", "cucumber"): 4, ("westland", "cut-flowers"): 7,
          ("westland", "pot-plants"): 12, ("aalsmeer", "cut-flowers"): 12,
          ("aalsmeer", "pot-plants"): 8}
VILLAGES = {"westland": ["naaldwijk", "honselersdijk", "monster", "de-lier", "poeldijk",
                         "s-gravenzande"],
            "aalsmeer": ["aalsmeer"]}
SCATTER_KM = {"westland": 1.5, "aalsmeer": 3.0}  # [A] farm point within this radius

# sales channels [A]: small growers sell everything to their trader or auction; from
# DIRECT_EXPORT_MIN_HA up, a grower also ships part of its produce abroad itself
VEG_SPLIT = {"trader": 0.70, "export-de": 0.20, "export-uk": 0.10}
ORN_SPLIT = {"cut-flowers": {"auction": 0.80, "export-de": 0.20},
             "pot-plants": {"auction": 0.60, "export-de": 0.40}}
DIRECT_EXPORT_MIN_HA = {"veg": 8.0, "orn": 5.0}
P_TRADER_VENLO = 0.15              # [A] share of vegetable growers selling to a Venlo trader
P_RIJNSBURG = 0.25                 # [A] share of Westland ornamental growers at RFH Rijnsburg
GROWTH_SHARE = 0.30                # [A] the largest 30 % of each region have a growth plan
# planned/now ratios of the eight Agriport A7 growers (Kroniek HGW 2009 [S]); drawn from
GROWTH_RATIOS = [95 / 45, 60 / 40, 58 / 29, 58 / 30, 24 / 24, 38 / 19, 24 / 13, 48 / 20]

# inputs and residuals per ha per week [A]
SUBSTRATE_T_HA_WK = {"veg": 0.2, "cut-flowers": 0.2, "pot-plants": 1.9}
PACKAGING_SHARE = {"veg": 0.04, "orn": 0.03}     # of produce tonnes
GREEN_WASTE_T_HA_YR = {"veg": 30.0, "orn": 10.0}

# new greenhouse areas [A]: capacity available to this case, development and park opex
AREAS = {
    "agriport-a7": ("Agriport A7 (Middenmeer)", 300),
    "nieuw-prinsenland": ("Nieuw Prinsenland (Dinteloord)", 200),
    "zuidplaspolder": ("Zuidplaspolder", 200),
    "californie": ("Californie / Siberie (Horst aan de Maas, near Venlo)", 200),
    "koekoekspolder": ("Koekoekspolder (IJsselmuiden)", 200),
}
DEV_COST_EUR = 5_000_000           # [A] one-off, per area (access, utilities), the same for all
AREA_OPEX_EUR_PER_YR = 100_000     # [A] park management
AREA_ACCEPT_GREEN_WASTE = 300      # [A] t/week composting on the park
NEAREST_AREAS = 3                  # candidate areas of a grower without a growth plan
RELOC_EUR_PER_HA = 250_000         # [A] net one-off cost of moving a firm, per ha
INTERNAL_EUR_PER_T = 2.0           # [A] on-site transfer when co-located (green waste on park)
DISPOSAL_EUR_PER_T = 60.0          # [A] extra cost of a tonne of green waste not composted
EXPORT_ACCEPT = 100_000            # t/week: the border takes any amount

# ---- relocation cost: the sourced range (data/verkassen/README.md, "Relocation cost") ---------
# Westland's issue price for glasshouse land 45 EUR/m2 (grondnota 2018-2020; 40 in 2017) [S];
# land in a greenhouse area still to be developed valued at 22.50 EUR/m2 (2013) [S]: a grower who
# sells in the Westland and buys the same area in a new area gains (45 - 22.5) x 10,000 =
# 225,000 EUR/ha on land [D]; 65 % of the Westland's glass is over 20 years old and "not fit for
# profitable investment" [S], so for most growers the rebuild is due whether they move or not.
# The variants show the case at factors of RELOC_EUR_PER_HA: 0 (the land gain covers the move:
# the lower end) and 0.5.
RELOCATION_TIME_LIMIT_S = 240
RELOCATION_FACTORS = {
    "relocation-free": (0.0, "the lower end of the sourced range: the rebuild is due anyway and "
                             "the land-price gap (225 k EUR/ha) pays for the move"),
    "relocation-half": (0.5, "midway between that and the assumed 250 k EUR/ha"),
}

# ---- seasons (scenarios/verkassen-seasons.yaml; data/verkassen/README.md, "Seasons") ----------
# Three representative periods, weeks per year: winter (mid-November to the end of February, the
# weeks without unlit vegetables, Valentine's week excepted), the three flower-peak weeks
# (Valentine, International Women's Day, Mother's Day) and the season (the rest).
SEASON_WEEKS = {"winter": 14, "peak": 3, "season": 35}
VEG_WINTER = 0.15   # [S] lit share of the tomato area in winter (10-15 %, GFActueel 2022)
# flower-peak weeks: Valentine's week nearly twice a normal week's supply [S], Mother's Day
# 1.5 times [S], Women's Day 1.5 [A]: cut flowers 5 / 3 per peak week [D]; pot plants 1.5 [A]
ORN_PEAK = {"cut-flowers": 5 / 3, "pot-plants": 1.5}


def season_factors(crop: str) -> dict[str, float]:
    """A crop's weekly volume per period as a multiple of its annual mean week, so that
    sum(weeks x factor) = 52 (the annual tonnes of the one-week case) [D]. Vegetables: winter
    VEG_WINTER; of the three peak weeks one (Valentine) is a winter week; the season takes the
    rest. Ornamentals: ORN_PEAK in the peak weeks, the rest evenly."""
    w = SEASON_WEEKS
    if CROPS[crop]["kind"] == "veg":
        season = (WEEKS - (w["winter"] + 1) * VEG_WINTER) / (w["season"] + w["peak"] - 1)
        return {"winter": VEG_WINTER, "peak": (VEG_WINTER + 2 * season) / 3, "season": season}
    peak = ORN_PEAK[crop]
    rest = (WEEKS - w["peak"] * peak) / (w["winter"] + w["season"])
    return {"winter": rest, "peak": peak, "season": rest}


def seasonal_demands(demands: list[dict], crop_of: dict[str, str]) -> list[dict]:
    """The demands with tonnes per period: produce and packaging follow the grower's crop
    (``season_factors``); substrate and green waste stay flat [A]."""
    out = []
    for d in demands:
        row = dict(d)
        if d["commodity"] in CROPS or d["commodity"] == "packaging":
            grower = d["origin"] if d["commodity"] in CROPS else d["destination"]
            f = season_factors(crop_of[grower])
            for p in SEASON_WEEKS:
                row[f"tonnes_{p}"] = r2(d["tonnes_per_period"] * f[p])
            del row["tonnes_per_period"]
        out.append(row)
    return out


def annuity(c: float, i: float = 0.04, n: int = 20) -> float:
    return c * i / (1 - (1 + i) ** -n)


def km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle km (for choosing the nearest baseline partner only)."""
    la1, lo1, la2, lo2 = map(math.radians, (*a, *b))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin(
        (lo2 - lo1) / 2) ** 2
    return 2 * 6371 * math.asin(math.sqrt(h))


def r1(x: float) -> float:
    return round(x, 1)


def r2(x: float) -> float:
    return round(x, 2)


def write(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    cols: list[str] = []
    for r in rows:
        cols += [c for c in r if c not in cols]
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({c: ("" if r.get(c) is None else r.get(c)) for c in cols})


# ---- shared tables ---------------------------------------------------------------------------

def fixed_nodes(areas: dict) -> list[dict]:
    rows = [
        dict(id=a, name=name + " - new greenhouse area", kind="site", place=a, cap_ha=cap,
             dev_cost_eur=DEV_COST_EUR, opex_eur_per_yr=AREA_OPEX_EUR_PER_YR,
             **{"accept_green-waste": AREA_ACCEPT_GREEN_WASTE})
        for a, (name, cap) in areas.items()]
    rows += [
        dict(id="rfh-aalsmeer", name="Royal FloraHolland Aalsmeer", kind="location",
             place="rfh-aalsmeer"),
        dict(id="rfh-naaldwijk", name="Royal FloraHolland Naaldwijk", kind="location",
             place="rfh-naaldwijk"),
        dict(id="rfh-rijnsburg", name="Royal FloraHolland Rijnsburg", kind="location",
             place="rfh-rijnsburg"),
        dict(id="barendrecht", name="Fresh-produce traders Barendrecht", kind="location",
             place="barendrecht"),
        dict(id="venlo-trade", name="Fresh-produce traders Venlo", kind="location",
             place="venlo-trade"),
        dict(id="bleiswijk", name="Substrate supplier (Bleiswijk, Oostland)", kind="location",
             place="bleiswijk"),
        dict(id="packaging-barendrecht", name="Packaging supplier (proxy: Barendrecht)",
             kind="location", place="barendrecht"),
        dict(id="composter-westland", name="Composting plant Westland (proxy: De Lier)",
             kind="location", place="de-lier"),
        dict(id="composter-aalsmeer", name="Composting plant Aalsmeer (proxy: Aalsmeer)",
             kind="location", place="aalsmeer"),
        dict(id="maasvlakte", name="Port of Rotterdam, Maasvlakte (UK ferries)", kind="gateway",
             place="maasvlakte"),
        dict(id="border-a12", name="German border A12 (Zevenaar)", kind="gateway",
             place="border-a12-zevenaar"),
        dict(id="border-a67", name="German border A67 (Venlo)", kind="gateway",
             place="border-a67-venlo"),
        dict(id="border-a1", name="German border A1 (De Lutte)", kind="gateway",
             place="border-a1-de-lutte"),
    ]
    return rows


def fixed_activities(compost_cap: dict[str, float]) -> list[dict]:
    acc = {f"accept_{k}": EXPORT_ACCEPT for k in CROPS}
    return [
        dict(id="auction-aalsmeer", name="Royal FloraHolland Aalsmeer", node="rfh-aalsmeer",
             movable=False),
        dict(id="auction-naaldwijk", name="Royal FloraHolland Naaldwijk", node="rfh-naaldwijk",
             movable=False),
        dict(id="auction-rijnsburg", name="Royal FloraHolland Rijnsburg", node="rfh-rijnsburg",
             movable=False),
        dict(id="trader-barendrecht", name="Fresh-produce trader Barendrecht",
             node="barendrecht", movable=False),
        dict(id="trader-venlo", name="Fresh-produce trader Venlo", node="venlo-trade",
             movable=False),
        dict(id="substrate-supplier", name="Substrate supplier Bleiswijk", node="bleiswijk",
             movable=False),
        dict(id="packaging-supplier", name="Packaging supplier Barendrecht",
             node="packaging-barendrecht", movable=False),
        dict(id="composter-westland", name="Composting plant Westland",
             node="composter-westland", movable=False,
             **{"accept_green-waste": compost_cap["composter-westland"]}),
        dict(id="composter-aalsmeer", name="Composting plant Aalsmeer",
             node="composter-aalsmeer", movable=False,
             **{"accept_green-waste": compost_cap["composter-aalsmeer"]}),
        dict(id="export-uk", name="Export to the UK via Maasvlakte", node="maasvlakte",
             movable=False),
        dict(id="export-de-a12", name="Export to Germany via the A12", node="border-a12",
             movable=False, **acc),
        dict(id="export-de-a67", name="Export to Germany via the A67", node="border-a67",
             movable=False, **acc),
        dict(id="export-de-a1", name="Export to Germany via the A1", node="border-a1",
             movable=False, **acc),
    ]


# vehicle types: the shipped defaults (data/vehicle_types.csv), barge and rail left out (no quay
# or terminal in the case), load classes narrowed [A] to what a grower would use - and to keep
# the number of integer trip variables down (solve time)
VEHICLE_CLASSES = {
    "rigid": "plants;bulk",                      # climate box truck for trolleys; tipper
    "tractor-semitrailer": "food;bulk",          # packaging pallets; substrate, green waste
    "reefer-semitrailer": "chilled;food;plants",  # as shipped (reefers take packaging back)
    "lzv": "plants",                             # trolley shuttles (auction LZVs)
    "internal": "*",
    "groupage": "food;plants",                   # as shipped, minus feed (not in the case)
}


def vehicles() -> list[dict]:
    rows = []
    for r in csv.DictReader(open(ROOT / "data" / "vehicle_types.csv", encoding="utf-8")):
        if r["id"] not in VEHICLE_CLASSES:
            continue
        if r["load_classes"] != VEHICLE_CLASSES[r["id"]]:
            r["source"] = (f"load classes narrowed for the Verkassen case (shipped: "
                           f"{r['load_classes']}); " + r["source"])
            r["load_classes"] = VEHICLE_CLASSES[r["id"]]
        rows.append(r)
    return rows


def write_vehicles(path: Path) -> None:
    """The case's vehicle table, written once: the cases keep the vehicle figures they were
    documented with (data/verkassen/README.md), so a later change of the shipped defaults
    (data/vehicle_types.csv: Dutch diesel factors, the truck toll) does not change them
    silently; delete the file to take the current defaults."""
    if not path.exists():
        write(path, vehicles())


# the auctions' collection rounds (issue 21): a carrier collects cut flowers and pot plants
# on Danish trolleys from several growers in one run to the Royal FloraHolland auction
TOURED = {"cut-flowers": "collect", "pot-plants": "collect"}


def commodities(tours: bool = False) -> list[dict]:
    """The case's commodities; ``tours``: flowers and pot plants may ride collection rounds
    to the auctions (``TOURED``)."""
    rows = []
    for k, c in CROPS.items():
        rows.append(dict(id=k, name=c["name"], load_class=c["load_class"],
                         density_t_per_m3=c["density"], pallets_per_t=c["pallets_per_t"],
                         shipments_per_period=c["shipments"],
                         **({"tour": TOURED.get(k)} if tours else {})))
    rows += [
        dict(id="substrate", name="Substrate, potting soil and fertiliser", load_class="bulk",
             density_t_per_m3=0.35),
        dict(id="packaging", name="Packaging (boxes, sleeves, trays on pallets)",
             load_class="food", density_t_per_m3=0.15, pallets_per_t=4.0),
        dict(id="green-waste", name="Green waste (crop residues)", load_class="bulk",
             density_t_per_m3=0.4, internal_cost_eur_per_t=INTERNAL_EUR_PER_T,
             disposal_cost_eur_per_t=DISPOSAL_EUR_PER_T),
    ]
    return rows


def grower_demands(gid: str, crop: str, size_ha: float, seller: str, today: tuple,
                   sub: str = "", firm_ha: float | None = None) -> list[dict]:
    """Demands of one grower (or of its expansion ``sub``): produce, inputs, green waste.
    ``firm_ha`` (default ``size_ha``) decides whether the firm exports directly."""
    firm_ha = size_ha if firm_ha is None else firm_ha
    c = CROPS[crop]
    kind = c["kind"]
    wk = size_ha * c["yield_t_ha"] / WEEKS
    split = VEG_SPLIT if kind == "veg" else ORN_SPLIT[crop]
    if firm_ha < DIRECT_EXPORT_MIN_HA[kind]:
        split = {("trader" if kind == "veg" else "auction"): 1.0}
    rows = []
    pre = gid + sub
    border = min(("export-de-a12", "border-a12-zevenaar"), ("export-de-a67", "border-a67-venlo"),
                 ("export-de-a1", "border-a1-de-lutte"), key=lambda a: km(today, PLACES[a[1]]))
    for channel, share in split.items():
        t = r2(wk * share)
        if channel in ("trader", "auction"):
            rows.append(dict(id=f"{pre}-{channel}", kind="directed", origin=pre,
                             destination=seller, commodity=crop, tonnes_per_period=t))
        elif channel == "export-uk":
            rows.append(dict(id=f"{pre}-export-uk", kind="directed", origin=pre,
                             destination="export-uk", commodity=crop, tonnes_per_period=t,
                             shipments_per_period=1))
        else:
            rows.append(dict(id=f"{pre}-export-de", kind="pooled_supply", origin=pre,
                             commodity=crop, tonnes_per_period=t, baseline_partner=border[0]))
    sub_t = SUBSTRATE_T_HA_WK["veg" if kind == "veg" else crop] * size_ha
    rows.append(dict(id=f"{pre}-substrate", kind="directed", origin="substrate-supplier",
                     destination=pre, commodity="substrate", tonnes_per_period=r2(sub_t)))
    rows.append(dict(id=f"{pre}-packaging", kind="directed", origin="packaging-supplier",
                     destination=pre, commodity="packaging",
                     tonnes_per_period=r2(wk * PACKAGING_SHARE[kind])))
    gw = GREEN_WASTE_T_HA_YR[kind] * size_ha / WEEKS
    composter = ("composter-aalsmeer" if km(today, PLACES["aalsmeer"])
                 < km(today, PLACES["de-lier"]) else "composter-westland")
    rows.append(dict(id=f"{pre}-green-waste", kind="pooled_supply", origin=pre,
                     commodity="green-waste", tonnes_per_period=r2(gw),
                     baseline_partner=composter))
    return rows


# ---- the synthetic Verkassen population --------------------------------------------------------

def make_population(rng: np.random.Generator, counts: dict | None = None,
                    inside=None, scatter_km: dict | None = None) -> list[dict]:
    """Growers drawn per (region, crop) count; ``inside``: region → polygon (lon/lat) the farm
    point must fall in (redrawn until it does); ``scatter_km``: region → radius (km) around
    the village, default ``SCATTER_KM``."""
    scatter_km = scatter_km or SCATTER_KM
    growers = []
    n = 0
    width = 2 if sum((counts or COUNTS).values()) < 100 else 3
    for (region, crop), count in (counts or COUNTS).items():
        kind = CROPS[crop]["kind"]
        mean = MEAN_HA[region, crop]
        sigma = math.sqrt(math.log(1 + SIZE_CV ** 2))
        mu = math.log(mean) - sigma ** 2 / 2
        lo, hi = SIZE_CLIP[kind]
        # jittered stratified draw from the lognormal: one size per 1/count quantile band, so
        # that a small sample still has about the mean it is drawn from; then shuffled
        probs = (np.arange(count) + rng.random(count)) / count
        sizes = [math.exp(mu + sigma * NormalDist().inv_cdf(float(q))) for q in probs]
        sizes = [sizes[i] for i in rng.permutation(count)]
        for size in sizes:
            n += 1
            village = VILLAGES[region][int(rng.integers(len(VILLAGES[region])))]
            size = float(np.clip(size, lo, hi))
            lat0, lon0 = PLACES[village]
            while True:
                r = scatter_km[region] * math.sqrt(rng.random())
                a = 2 * math.pi * rng.random()
                lat = lat0 + r * math.cos(a) / 111.2
                lon = lon0 + r * math.sin(a) / (111.2 * math.cos(math.radians(lat0)))
                if inside is None or inside[region].contains(Point(lon, lat)):
                    break
            if kind == "veg":
                seller = "trader-venlo" if rng.random() < P_TRADER_VENLO else \
                    "trader-barendrecht"
            elif region == "aalsmeer":
                seller = "auction-aalsmeer"
            else:
                seller = "auction-rijnsburg" if rng.random() < P_RIJNSBURG else \
                    "auction-naaldwijk"
            growers.append(dict(id=f"grower-{n:0{width}d}", crop=crop, region=region,
                                village=village, size_ha=r1(size), lat=round(lat, 4),
                                lon=round(lon, 4), seller=seller,
                                ratio=float(rng.choice(GROWTH_RATIOS))))
    for region in VILLAGES:
        mine = sorted((g for g in growers if g["region"] == region), key=lambda g: -g["size_ha"])
        for g in mine[:round(GROWTH_SHARE * len(mine))]:
            g["growth_plan"] = True
    for g in growers:
        g.setdefault("growth_plan", False)
        g["planned_ha"] = r1(g["size_ha"] * g["ratio"]) if g["growth_plan"] else g["size_ha"]
    return growers


def grower_tables(growers: list[dict]) -> tuple[list[dict], dict[str, float], list[dict]]:
    """The growers' demands, the composters' capacity (twice today's green waste, rounded up
    to 10 t/week [A]) and the farm nodes."""
    gw_today = {"composter-westland": 0.0, "composter-aalsmeer": 0.0}
    demands = []
    for g in growers:
        rows = grower_demands(g["id"], g["crop"], g["size_ha"], g["seller"], (g["lat"], g["lon"]))
        demands += rows
        for r in rows:
            if r["commodity"] == "green-waste":
                gw_today[r["baseline_partner"]] += r["tonnes_per_period"]
    compost_cap = {k: float(math.ceil(2 * v / 10) * 10) for k, v in gw_today.items()}
    nodes = [dict(id=f"farm-{g['id'][7:]}", name=f"{g['id']} today ({g['village']})",
                  kind="location", lat=g["lat"], lon=g["lon"]) for g in growers]
    return demands, compost_cap, nodes


def make_verkassen() -> None:
    rng = np.random.default_rng(SEED)
    growers = make_population(rng)
    folder = ROOT / "data" / "verkassen"
    demands, compost_cap, nodes = grower_tables(growers)
    nodes += fixed_nodes(AREAS)
    acts = []
    for g in growers:
        # the growers with a growth plan may go to any area (the only-<area> variants put them
        # there); the others to their NEAREST_AREAS nearest areas (solve time)
        near = sorted(AREAS, key=lambda a: km((g["lat"], g["lon"]), PLACES[a]))
        cands = ";".join(AREAS if g["growth_plan"] else near[:NEAREST_AREAS])
        acts.append(dict(id=g["id"], name=f"{LABEL[g['crop']]} grower "
                                          f"{g['id'][7:]} ({g['village']})",
                         node=f"farm-{g['id'][7:]}", movable=True, candidates=cands,
                         size_ha=g["size_ha"], reloc_cost_eur=int(RELOC_EUR_PER_HA * g["size_ha"]),
                         crop=g["crop"], region=g["region"], village=g["village"],
                         sells_to=g["seller"], growth_plan=g["growth_plan"],
                         planned_size_ha=g["planned_ha"]))
    acts += fixed_activities(compost_cap)
    write(folder / "nodes.csv", nodes)
    write(folder / "activities.csv", acts)
    write(folder / "commodities.csv", commodities(tours=True))
    write(folder / "demands.csv", demands)
    write(folder / "demands_seasons.csv",
          seasonal_demands(demands, {g["id"]: g["crop"] for g in growers}))
    write_vehicles(folder / "vehicles.csv")
    group = [g for g in growers if g["growth_plan"]]
    group_ha = sum(g["size_ha"] for g in group)
    assert all(group_ha <= cap for _, cap in AREAS.values()), group_ha
    write_verkassen_yaml(growers, group)
    write_seasons_yaml(growers)
    total = {k: sum(d["tonnes_per_period"] for d in demands if d["commodity"] == k)
             for k in [*CROPS, "substrate", "packaging", "green-waste"]}
    print(f"verkassen: {len(growers)} growers ({sum(g['size_ha'] for g in growers):.0f} ha), "
          f"growth group {len(group)} growers ({group_ha:.0f} ha -> "
          f"{sum(g['planned_ha'] for g in group):.0f} ha), {len(demands)} demands")
    print("  t/week:", {k: round(v, 1) for k, v in total.items()})
    print("  composter capacity:", compost_cap)


# the scenario lines every generated Verkassen-type case shares after its periods
COMMON_HEAD = ["interest_rate: 0.04", "lifetime_years: 20", "distance:",
               "  method: straight_line", "  circuity: 1.3", "options:"]


def write_verkassen_yaml(growers: list[dict], group: list[dict]) -> None:
    lines = [
        "# The Verkassen case: Westland and Aalsmeer growers may stay or move to a new greenhouse",
        "# area. Generated by scripts/make_verkassen.py (seeded) - edit the script, not this file.",
        "# Every number: data/verkassen/README.md. The case: docs/cases.md.",
        "name: verkassen",
        "description: >",
        f"  {len(growers)} greenhouse growers in the Westland and around Aalsmeer (tomato, sweet",
        "  pepper, cucumber, cut flowers, pot plants) may stay or move to one of five new",
        "  greenhouse areas. Produce goes to traders, Royal FloraHolland auctions and export",
        "  (Maasvlakte, German border); substrate and packaging come in; green waste goes to",
        "  composting. Base = free choice.",
        "crs: EPSG:28992",
        "periods:",
        "  - {id: week, weight: 52}     # one representative week (volumes are annual / 52)",
        "interest_rate: 0.04            # annualises development and relocation costs",
        "lifetime_years: 20",
        "distance:",
        "  method: straight_line",
        "  circuity: 1.3",
        "options:",
        "  time_limit_s: 60",
        "  gap_rel: 0.001",
        "  threads: 2",
        "  co2_price_eur_per_t: 0       # CO2 is reported, not priced",
        "  empty_running: share",
        "  extra_columns: crop;region;village;sells_to;growth_plan;planned_size_ha   # information",
        "tables:",
        "  nodes: ../data/verkassen/nodes.csv",
        "  activities: ../data/verkassen/activities.csv",
        "  commodities: ../data/verkassen/commodities.csv",
        "  demands: ../data/verkassen/demands.csv",
        "  vehicles: ../data/verkassen/vehicles.csv   # shipped types, load classes narrowed",
        "variants:",
        "  everyone-stays:",
        "    description: No new area is developed; every grower stays (trips still optimised).",
        "    fix:",
        "      sites: {" + ", ".join(f"{a}: closed" for a in AREAS) + "}",
    ]
    ids = [g["id"] for g in group]
    for a, (name, _) in AREAS.items():
        lines += [
            f"  only-{a}:",
            "    description: >",
            f"      {name} is the only new area and the {len(group)} growers with a growth plan",
            "      move there at today's size; the others may stay, or follow if it is one of",
            f"      their {NEAREST_AREAS} nearest areas.",
            "    fix:",
            "      sites: {" + ", ".join(f"{b}: closed" for b in AREAS if b != a) + "}",
            "      placement:",
        ]
        lines += [f"        {i}: {a}" for i in ids]
    lines += [
        "  growth:",
        "    description: >",
        f"      The {len(group)} growers with a growth plan grow to their planned size. The",
        "      extra hectares (and their volumes) are a new activity that can only be placed",
        "      in a new area; the existing firm may stay (two locations) or join it",
        "      (relocation cost). See data/verkassen/README.md, 'growth'.",
        "    tables:",
        "      activities:",
    ]
    for g in group:
        extra = r1(g["planned_ha"] - g["size_ha"])
        if extra <= 0:
            continue
        lines.append(f"        - {{id: {g['id']}-growth, name: Expansion of {g['id']}, "
                     f"movable: true, new: true, candidates: {';'.join(AREAS)}, "
                     f"size_ha: {extra}}}")
    lines.append("      demands:")
    for g in group:
        extra = r1(g["planned_ha"] - g["size_ha"])
        if extra <= 0:
            continue
        for d in grower_demands(g["id"], g["crop"], extra, g["seller"], (g["lat"], g["lon"]),
                                sub="-growth", firm_ha=g["planned_ha"]):
            items = ", ".join(f"{k}: {v}" for k, v in d.items())
            lines.append(f"        - {{{items}}}")
    for vid, (factor, why) in RELOCATION_FACTORS.items():
        lines += [
            f"  {vid}:",
            "    description: >",
            f"      Free choice as the base, at {factor:g} x the assumed relocation cost "
            f"({factor * RELOC_EUR_PER_HA / 1000:g} k EUR/ha",
            f"      one-off): {why} (data/verkassen/README.md, 'Relocation cost').",
            # free moves make the LP relaxation weak (many growers half-moved): 60 s, 70 % of
            # it for the optimum, stopped at a 16 % gap with nobody moving; 51 s alone proves it
            f"    options: {{relocation_cost_factor: {factor:g}, "
            f"time_limit_s: {RELOCATION_TIME_LIMIT_S}}}",
        ]
    path = ROOT / "scenarios" / "verkassen.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_seasons_yaml(growers: list[dict]) -> None:
    """scenarios/verkassen-seasons.yaml: the same growers, tables and options over three
    representative periods (SEASON_WEEKS) instead of one average week."""
    closed = "{" + ", ".join(f"{a}: closed" for a in AREAS) + "}"
    lines = [
        "# The Verkassen case over three seasons instead of one average week: the same growers,",
        "# tables and options, with produce and packaging by season (data/verkassen/",
        "# demands_seasons.csv). Generated by scripts/make_verkassen.py - edit the script, not",
        "# this file. Every number: data/verkassen/README.md ('Seasons'); docs/cases.md.",
        "name: verkassen-seasons",
        "description: >",
        f"  The {len(growers)} Verkassen growers over a winter (lit vegetables only), the",
        "  three flower-peak weeks and the season; the annual tonnes equal the one-week case's.",
        "crs: EPSG:28992",
        "periods:",
        *[f"  - {{id: {p}, weight: {w}}}" for p, w in SEASON_WEEKS.items()],
        *COMMON_HEAD,
        f"  time_limit_s: {RELOCATION_TIME_LIMIT_S}   # three periods: 2.4 x the variables",
        "  gap_rel: 0.001",
        "  threads: 2",
        "  co2_price_eur_per_t: 0",
        "  empty_running: share",
        "  extra_columns: crop;region;village;sells_to;growth_plan;planned_size_ha",
        "tables:",
        "  nodes: ../data/verkassen/nodes.csv",
        "  activities: ../data/verkassen/activities.csv",
        "  commodities: ../data/verkassen/commodities.csv",
        "  demands: ../data/verkassen/demands_seasons.csv",
        "  vehicles: ../data/verkassen/vehicles.csv",
        "variants:",
        "  everyone-stays:",
        "    description: No new area is developed; every grower stays (trips still optimised).",
        "    fix:",
        f"      sites: {closed}",
        "  relocation-free:",
        "    description: Free choice, no net relocation cost (as in scenarios/verkassen.yaml).",
        "    options: {relocation_cost_factor: 0}",
    ]
    path = ROOT / "scenarios" / "verkassen-seasons.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# ---- the eight Agriport A7 growers -------------------------------------------------------------

# (firm, ha 2009, ha planned, crop, origins); Kroniek Historisch Genootschap Wieringermeer
# (2009, p. 20) [S]. Origins not in data/places.csv get their own coordinates (README).
A7_GROWERS = [
    ("royal-pride", "Royal Pride Holland", 45, 95, "tomato", ["made"]),
    ("de-wieringermeer", "De Wieringermeer", 40, 60, "sweet-pepper", ["naaldwijk"]),
    ("agro-care", "Agro Care", 29, 58, "tomato", ["leidschendam", "maasdijk", "rilland"]),
    ("kesgro", "Kesgro", 30, 58, "tomato", ["de-lier"]),
    ("helderman", "Helderman", 24, 24, "sweet-pepper", ["vierpolders"]),
    ("barendse", "Barendse", 19, 38, "sweet-pepper", ["poeldijk"]),
    ("sweetpoint", "Sweetpoint", 13, 24, "sweet-pepper", ["s-gravenzande", "honselersdijk"]),
    ("red-harvest", "Red Harvest", 20, 48, "tomato", ["de-lier", "tinte"]),
]
VILLAGE_NAMES = {"made": "Made", "naaldwijk": "Westland (Naaldwijk)",
                 "leidschendam": "Leidschendam", "maasdijk": "Maasdijk", "rilland": "Rilland",
                 "de-lier": "De Lier", "vierpolders": "Vierpolders/Brielle",
                 "poeldijk": "Poeldijk", "s-gravenzande": "'s-Gravenzande",
                 "honselersdijk": "Honselersdijk", "tinte": "Tinte"}
A7_CAP_HA = 450   # [A] room for the planned 405 ha of the eight firms in the ~1,000 ha park [S]
# coordinates of origins that are not in data/places.csv (see the A7 README for sources)
EXTRA_PLACES = {
    "made": (51.6767, 4.7931),
    "leidschendam": (52.0833, 4.4000),
    "maasdijk": (51.9667, 4.2167),
    "rilland": (51.4164, 4.1808),
    "vierpolders": (51.8833, 4.1833),
}


def make_a7() -> None:
    folder = ROOT / "data" / "verkassen-agriport-a7"
    areas = {"agriport-a7": ("Agriport A7 (Middenmeer)", A7_CAP_HA)}
    nodes, acts, demands = [], [], []
    for fid, name, ha_now, ha_plan, crop, origins in A7_GROWERS:
        for o in origins:
            aid = fid if len(origins) == 1 else f"{fid}-{o}"
            node = f"origin-{aid}"     # one node per firm site (two firms share De Lier)
            village = VILLAGE_NAMES[o]
            if o in PLACES:
                nodes.append(dict(id=node, name=f"{name} at {village}", kind="location",
                                  place=o))
            else:
                lat, lon = EXTRA_PLACES[o]
                nodes.append(dict(id=node, name=f"{name} at {village}", kind="location",
                                  lat=lat, lon=lon))
            share = 1.0 / len(origins)
            size = r1(ha_now * share)
            acts.append(dict(id=aid, name=f"{name} ({village})", node=node, movable=True,
                             candidates="agriport-a7", size_ha=size,
                             reloc_cost_eur=int(RELOC_EUR_PER_HA * size), crop=crop,
                             ha_2009=ha_now, ha_planned=ha_plan,
                             planned_size_ha=r1(ha_plan * share)))
            coords = PLACES.get(o) or EXTRA_PLACES[o]
            demands += grower_demands(aid, crop, size, "trader-barendrecht", coords)
    nodes += fixed_nodes(areas)
    gw_today = {"composter-westland": 0.0, "composter-aalsmeer": 0.0}
    for d in demands:
        if d["commodity"] == "green-waste":
            gw_today[d["baseline_partner"]] += d["tonnes_per_period"]
    compost_cap = {k: max(50.0, float(math.ceil(2 * v / 10) * 10)) for k, v in gw_today.items()}
    acts += fixed_activities(compost_cap)
    # only vegetables here: drop the auctions, keep their nodes out too
    acts = [a for a in acts if not a["id"].startswith("auction-")]
    nodes = [n for n in nodes if not n["id"].startswith("rfh-")]
    write(folder / "nodes.csv", nodes)
    write(folder / "activities.csv", acts)
    write(folder / "commodities.csv",
          [c for c in commodities() if c["id"] in ("tomato", "sweet-pepper", "substrate",
                                                      "packaging", "green-waste")])
    write(folder / "demands.csv", demands)
    write_vehicles(folder / "vehicles.csv")
    movers = [a for a in acts if a.get("candidates")]
    lines = [
        "# The eight greenhouse growers that moved to Agriport A7 (Kroniek Historisch",
        "# Genootschap Wieringermeer 2009): today's origin versus Agriport A7. Generated by",
        "# scripts/make_verkassen.py - edit the script.",
        "# Numbers: data/verkassen-agriport-a7/README.md.",
        "name: verkassen-agriport-a7",
        "description: >",
        "  Eight real tomato and sweet-pepper growers (13 origin sites) that moved from the",
        "  Westland, Voorne, Leidschendam, Rilland and Made to Agriport A7. Base: each may stay",
        "  at its origin or move (free choice).",
        "crs: EPSG:28992",
        "periods:",
        "  - {id: week, weight: 52}",
        *COMMON_HEAD,
        "  time_limit_s: 60",
        "  gap_rel: 0.0001             # small model: solve (almost) exactly",
        "  threads: 2",
        "  co2_price_eur_per_t: 0",
        "  empty_running: share",
        "  extra_columns: crop;ha_2009;ha_planned;planned_size_ha   # information (2009 source)",
        "tables:",
        "  nodes: ../data/verkassen-agriport-a7/nodes.csv",
        "  activities: ../data/verkassen-agriport-a7/activities.csv",
        "  commodities: ../data/verkassen-agriport-a7/commodities.csv",
        "  demands: ../data/verkassen-agriport-a7/demands.csv",
        "  vehicles: ../data/verkassen-agriport-a7/vehicles.csv",
        "variants:",
        "  today:",
        "    description: Every grower at its origin (Agriport A7 closed).",
        "    fix:",
        "      sites: {agriport-a7: closed}",
        "  agriport-a7:",
        "    description: Every grower at Agriport A7, at its 2009 size.",
        "    fix:",
        "      placement:",
    ]
    lines += [f"        {a['id']}: agriport-a7" for a in movers]
    lines += [
        "  agriport-a7-planned:",
        "    description: Every grower at Agriport A7 at its planned size (volumes scaled).",
        "    fix:",
        "      placement:",
    ]
    lines += [f"        {a['id']}: agriport-a7" for a in movers]
    lines += ["    tables:", "      activities:"]
    for a in movers:
        lines.append(f"        - {{id: {a['id']}, size_ha: {a['planned_size_ha']}}}")
    lines.append("      demands:")
    for a in movers:
        f = a["planned_size_ha"] / a["size_ha"]
        if abs(f - 1) < 1e-9:
            continue
        for d in demands:
            if d.get("origin") == a["id"] or d.get("destination") == a["id"]:
                lines.append(f"        - {{id: {d['id']}, tonnes_per_period: "
                             f"{r2(d['tonnes_per_period'] * f)}}}")
    (ROOT / "scenarios" / "verkassen-agriport-a7.yaml").write_text("\n".join(lines) + "\n",
                                                                    encoding="utf-8")
    print(f"verkassen-agriport-a7: {len(movers)} grower sites, {len(demands)} demands")


# ---- the whole Westland ------------------------------------------------------------------------

# every Westland greenhouse firm (2018): 587 firms [S Nieuwe Oogst 2019], 216 of them pot-plant
# growers [S idem]; vegetables 1,048 ha [S GFActueel 2019] at ~7 ha a firm [S] = 150 firms [D],
# split by the national area shares of tomato 43 % and sweet pepper 38 % of the four main crops
# (CBS 2023 [S]), cucumber the rest [D]; cut flowers the remaining 587 - 216 - 150 = 221 [D]
WESTLAND_COUNTS = {("westland", "tomato"): 65, ("westland", "sweet-pepper"): 57,
                   ("westland", "cucumber"): 28, ("westland", "cut-flowers"): 221,
                   ("westland", "pot-plants"): 216}
# ten new greenhouse areas: the Nota Ruimte areas and later LNV project locations that
# data/places.csv holds (domain-facts §3: the two published lists differ) [S]; the space each
# offers this case [A] 300 ha
WESTLAND_AREAS = {a: (name, 300) for a, (name, _) in AREAS.items()} | {
    a: (name, 300) for a, name in (("bergerden", "Bergerden (Lingewaard)"),
                                   ("luttelgeest", "Luttelgeest (Noordoostpolder)"),
                                   ("erica", "Erica (Emmen)"),
                                   ("klazienaveen", "Klazienaveen (Emmen)"),
                                   ("tinte", "Tinte (Voorne)"))}
WESTLAND_SCATTER_KM = 4.0  # [A] around a village, kept inside the municipality (CBS 2025)


def westland_polygon():
    """The municipality of Westland (CBS 2025 generalised outline, shipped in data/boundaries),
    lon/lat."""
    doc = json.loads((ROOT / "data" / "boundaries" / "municipalities_2025.geojson").read_text())
    (geom,) = [f["geometry"] for f in doc["features"] if f["properties"]["statnaam"] == "Westland"]
    return shape(geom)


def make_westland() -> None:
    """The whole-Westland population to ten areas: data/verkassen-westland/ and its scenario."""
    rng = np.random.default_rng(SEED)
    growers = make_population(rng, WESTLAND_COUNTS, {"westland": westland_polygon()},
                              {"westland": WESTLAND_SCATTER_KM})
    folder = ROOT / "data" / "verkassen-westland"
    demands, compost_cap, nodes = grower_tables(growers)
    nodes += fixed_nodes(WESTLAND_AREAS)
    acts = []
    for g in growers:
        near = sorted(WESTLAND_AREAS, key=lambda a: km((g["lat"], g["lon"]), PLACES[a]))
        acts.append(dict(id=g["id"], name=f"{LABEL[g['crop']]} grower "
                                          f"{g['id'][7:]} ({g['village']})",
                         node=f"farm-{g['id'][7:]}", movable=True,
                         candidates=";".join(near[:NEAREST_AREAS]), size_ha=g["size_ha"],
                         reloc_cost_eur=int(RELOC_EUR_PER_HA * g["size_ha"]), crop=g["crop"],
                         region=g["region"], village=g["village"], sells_to=g["seller"]))
    acts += fixed_activities(compost_cap)
    write(folder / "nodes.csv", nodes)
    write(folder / "activities.csv", acts)
    write(folder / "commodities.csv", commodities())
    write(folder / "demands.csv", demands)
    write_vehicles(folder / "vehicles.csv")
    ha = sum(g["size_ha"] for g in growers)
    lines = [
        "# The whole-Westland Verkassen case: every Westland greenhouse firm may stay or move to",
        "# one of ten new greenhouse areas. Generated by scripts/make_verkassen.py (seeded) - edit",
        "# the script, not this file. Every number: data/verkassen-westland/README.md.",
        "name: verkassen-westland",
        "description: >",
        f"  All {len(growers)} Westland greenhouse firms ({ha:.0f} ha; vegetables, cut flowers,",
        "  pot plants) may stay or move to one of their three nearest of ten new greenhouse",
        "  areas.",
        "  Produce goes to traders, Royal FloraHolland auctions and export; substrate and",
        "  packaging come in; green waste goes to composting. Base = free choice.",
        "crs: EPSG:28992",
        "periods:",
        "  - {id: week, weight: 52}     # one representative week (volumes are annual / 52)",
        *COMMON_HEAD,
        "  time_limit_s: 600",
        "  gap_rel: 0.01",
        "  threads: 2",
        "  co2_price_eur_per_t: 0",
        "  empty_running: share",
        "  extra_columns: crop;region;village;sells_to   # information only",
        "tables:",
        "  nodes: ../../data/verkassen-westland/nodes.csv",
        "  activities: ../../data/verkassen-westland/activities.csv",
        "  commodities: ../../data/verkassen-westland/commodities.csv",
        "  demands: ../../data/verkassen-westland/demands.csv",
        "  vehicles: ../../data/verkassen-westland/vehicles.csv",
        "variants:",
        "  everyone-stays:",
        "    description: No new area is developed; every grower stays (trips still optimised).",
        "    fix:",
        "      sites: {" + ", ".join(f"{a}: closed" for a in WESTLAND_AREAS) + "}",
    ]
    (ROOT / "scenarios" / "large" / "verkassen-westland.yaml").write_text("\n".join(lines) + "\n",
                                                                encoding="utf-8")
    by_crop = {c: (sum(1 for g in growers if g["crop"] == c),
                   r1(sum(g["size_ha"] for g in growers if g["crop"] == c))) for c in CROPS}
    print(f"verkassen-westland: {len(growers)} growers ({ha:.0f} ha), {len(demands)} demands; "
          f"by crop (firms, ha): {by_crop}; composter capacity {compost_cap}")


if __name__ == "__main__":
    make_verkassen()
    make_a7()
    make_westland()
