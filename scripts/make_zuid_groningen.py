"""Write the synthetic volumes of the Zuid-Groningen case: data/zuid-groningen/demands.csv.

Seeded (SEED below), so the file is reproducible:
``.venv/bin/python scripts/make_zuid_groningen.py``.
Every figure and why it was chosen is in data/zuid-groningen/README.md. In short:

* potatoes: each Avebe plant's weekly campaign intake (Gasselternijveen 33,000 t/week [S];
  Ter Apelkanaal 40,000 t/week [A]) is split over the five growers' regions by a gravity rule,
  weight = relative potato area (seeded, 0.6–1.4) × exp(−km / 25 km), rounded to 10 t;
  no intake in the off-season;
* the residual and product flows between Avebe and the four companies are fixed ratios of the
  intake (assumptions, listed in FLOWS), the same every run;
* compound feed is split over three livestock regions with seeded shares.
"""

from __future__ import annotations

import csv
import math
import random
from pathlib import Path

SEED = 20240917
ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "zuid-groningen" / "demands.csv"

INTAKE = {"avebe-tak": 40_000, "avebe-gnv": 33_000}  # t potatoes per campaign week
DECAY_KM = 25.0  # gravity rule: weight falls by e every 25 km (straight line)
REGIONS = {  # growers' activity → node
    "growers-groningen-veenkolonien": "reg-groningen-veenkolonien",
    "growers-westerwolde": "reg-westerwolde",
    "growers-drenthe-veenkolonien": "reg-drenthe-veenkolonien",
    "growers-zuidoost-drenthe": "reg-zuidoost-drenthe",
    "growers-groningen-noord": "reg-groningen-noord",
}
PLANT_NODE = {"avebe-tak": "park-zuid-groningen", "avebe-gnv": "avebe-gasselternijveen"}

# (id, kind, origin, destination, commodity, t per campaign week, t per off-season week,
#  baseline partner of a pooled flow)
FLOWS = [
    # 0.08 t juice concentrate per t potatoes at Ter Apelkanaal: 0.08 × 40,000
    ("juice-tak-protein", "directed", "avebe-tak", "protein", "juice", 3200, 0, ""),
    # a quarter of Ter Apelkanaal's pressed pulp (~0.25 t/t) goes to the feed mill
    ("pulp-tak-feed", "directed", "avebe-tak", "feed", "pulp", 2500, 0, ""),
    # native starch for derivatives; off-season from stored starch
    ("starch-tak-derivatives", "directed", "avebe-tak", "derivatives", "starch", 1500, 1200, ""),
    # feed-grade protein fraction of the protein processor
    ("protein-feed", "directed", "protein", "feed", "protein", 120, 0, ""),
    # deproteinised juice (≈ juice in − protein out − evaporation) and process water
    ("water-protein-digester", "directed", "protein", "digester", "process-water", 2800, 0, ""),
    ("water-derivatives-digester", "directed", "derivatives", "digester", "process-water",
     600, 500, ""),
    # Gasselternijveen's pulp to dairy farms (pooled: the model chooses the region)
    ("pulp-gnv-farms", "pooled_supply", "avebe-gnv", "", "pulp", 3000, 0,
     "growers-drenthe-veenkolonien"),
    # digestate ≈ 0.9 × the digester's intake (3,400 and 500 t/week)
    ("digestate-farms", "pooled_supply", "digester", "", "digestate", 3100, 450,
     "growers-westerwolde"),
]
FEED_T = {"campaign": 1000, "off": 600}  # compound feed out of the feed mill, t/week
FEED_TO = ["growers-groningen-veenkolonien", "growers-westerwolde",
           "growers-drenthe-veenkolonien"]


def places() -> dict[str, tuple[float, float]]:
    with open(ROOT / "data" / "places.csv", encoding="utf-8") as fh:
        return {r["id"]: (float(r["lat"]), float(r["lon"])) for r in csv.DictReader(fh)}


def node_points() -> dict[str, tuple[float, float]]:
    pl = places()
    out = {}
    with open(OUT.parent / "nodes.csv", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            out[r["id"]] = pl[r["place"]] if r["place"] else (float(r["lat"]), float(r["lon"]))
    return out


def km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance (km)."""
    la1, lo1, la2, lo2 = map(math.radians, (*a, *b))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin(
        (lo2 - lo1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def split(total: float, weights: list[float]) -> list[int]:
    """Integer tonnes (multiples of 10) proportional to ``weights`` that add up to ``total``."""
    raw = [total * w / sum(weights) for w in weights]
    out = [int(round(x / 10.0)) * 10 for x in raw]
    out[max(range(len(out)), key=lambda i: raw[i])] += int(total - sum(out))
    return out


def main() -> None:
    rng = random.Random(SEED)
    pts = node_points()
    area = {r: round(rng.uniform(0.6, 1.4), 3) for r in REGIONS}  # relative potato area
    rows = []
    for plant, total in INTAKE.items():
        weights = [area[r] * math.exp(-km(pts[n], pts[PLANT_NODE[plant]]) / DECAY_KM)
                   for r, n in REGIONS.items()]
        for (r, _n), t in zip(REGIONS.items(), split(total, weights)):
            rows.append((f"potatoes-{r.removeprefix('growers-')}-{plant.removeprefix('avebe-')}",
                         "directed", r, plant, "potatoes", t, 0, ""))
    rows += FLOWS
    shares = [rng.uniform(0.7, 1.3) for _ in FEED_TO]
    camp, off = split(FEED_T["campaign"], shares), split(FEED_T["off"], shares)
    for r, tc, to in zip(FEED_TO, camp, off):
        rows.append((f"feed-{r.removeprefix('growers-')}", "directed", "feed", r, "feed", tc, to,
                     ""))
    with open(OUT, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["id", "kind", "origin", "destination", "commodity", "tonnes_campaign",
                    "tonnes_off", "baseline_partner"])
        w.writerows(rows)
    print(f"wrote {len(rows)} demands to {OUT.relative_to(ROOT)}; relative potato area "
          f"(seed {SEED}): {area}")


if __name__ == "__main__":
    main()
