"""Generate data/house_prices.csv, the seeded example of the house-price ablation study.

The process (also stated in README.md):
  size      ~ Normal(120, 35) m², clipped to [35, 300]
  rooms     = round(size / 25 + Normal(0, 0.35)), at least 1   (strongly correlated with size)
  location  ∈ {center, suburb, rural} with probabilities 0.3 / 0.45 / 0.25
  age       ~ Uniform(0, 80) years
  noise     ~ Normal(0, 1), unrelated to anything
  price     = 50 000 + 2 000·size + {center: 80 000, suburb: 30 000, rural: 0}[location]
              − 800·age + Normal(0, 15 000)
Rooms do not enter the price: a model that loses `rooms` alone recovers through `size`, while
losing both {rooms, size} removes the main driver. Run: python data/make_house_prices.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20261124
ROWS = 600
PREMIUM = {"center": 80_000.0, "suburb": 30_000.0, "rural": 0.0}


def make_house_prices(rows: int = ROWS, seed: int = SEED) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    size = np.clip(rng.normal(120, 35, rows), 35, 300).round(1)
    rooms = np.maximum(1, np.round(size / 25 + rng.normal(0, 0.35, rows))).astype(int)
    location = rng.choice(list(PREMIUM), size=rows, p=[0.3, 0.45, 0.25])
    age = rng.uniform(0, 80, rows).round(0).astype(int)
    noise = rng.normal(0, 1, rows).round(4)
    premium = np.array([PREMIUM[place] for place in location])
    price = 50_000 + 2_000 * size + premium - 800 * age + rng.normal(0, 15_000, rows)
    return pd.DataFrame(
        {"rooms": rooms, "size": size, "location": location, "age": age, "noise": noise, "price": price.round(0)}
    )


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("house_prices.csv")
    make_house_prices().to_csv(target, index=False)
    print(f"wrote {target}")
