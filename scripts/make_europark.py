"""Write the synthetic volumes of the Europark Coevorden case:
data/europark-coevorden/demands.csv.

Seeded (SEED below), so the file is reproducible: ``.venv/bin/python scripts/make_europark.py``.
Each flow has an assumed round weekly volume (BASE, t/week, see
data/europark-coevorden/README.md for the reasoning) that is scaled by a seeded factor
uniform(0.8, 1.2) and rounded to 10 t, so that the shippers do not all look alike.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

SEED = 20071001  # Euroterminal II opened in October 2007
ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "europark-coevorden" / "demands.csv"

# (id, origin, destination, commodity, assumed t/week before the seeded factor); the German
# customers sit in four Rhine-Ruhr cities beyond the Duisburg terminal (README)
BASE = [
    ("tak-starch-export", "avebe-tak", "port", "starch-containers", 1400),
    ("tak-starch-de", "avebe-tak", "customers-koeln", "starch-bulk", 700),
    ("gnv-starch-export", "avebe-gnv", "port", "starch-containers", 900),
    ("gnv-protein-de", "avebe-gnv", "customers-duesseldorf", "food", 150),
    ("erica-veg-de", "greenhouse-erica", "customers-dortmund", "vegetables", 600),
    ("erica-veg-export", "greenhouse-erica", "port", "vegetables", 120),
    ("klazienaveen-veg-de", "greenhouse-klazienaveen", "customers-essen", "vegetables", 450),
    ("klazienaveen-veg-export", "greenhouse-klazienaveen", "port", "vegetables", 80),
    ("emmen-food-de", "food-emmen", "customers-dortmund", "food", 350),
    ("emmen-food-export", "food-emmen", "port", "food", 250),
    ("stadskanaal-food-de", "food-stadskanaal", "customers-koeln", "food", 300),
    ("stadskanaal-food-export", "food-stadskanaal", "port", "food", 200),
    ("feed-import", "port", "feed-veendam", "feed-materials", 1500),
]


def main() -> None:
    rng = random.Random(SEED)
    rows = []
    for did, o, d, k, t in BASE:
        factor = rng.uniform(0.8, 1.2)
        rows.append((did, "directed", o, d, k, int(round(t * factor / 10.0)) * 10))
    with open(OUT, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["id", "kind", "origin", "destination", "commodity", "tonnes_per_period"])
        w.writerows(rows)
    total = sum(r[-1] for r in rows)
    print(f"wrote {len(rows)} demands to {OUT.relative_to(ROOT)}: {total:,} t/week, "
          f"{total * 52:,} t/yr (seed {SEED})")


if __name__ == "__main__":
    main()
