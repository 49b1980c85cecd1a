"""Generate the small shipped case-link edge table (synthetic; seeded; no real person).

Run from the repository root:  python datasets-synthetic/make_case_links.py --seed 20261123

Persons ``P0000``... belong to planted groups (dense inside, sparse between) or are lone
offenders; links are shared pseudonymised identifiers (phone, device, account, payment) or
co-offending, each with the date it was seen and a strength. The planted group of each person
is written as ``case_links_truth.parquet``. The synthetic-datasets generator (``aluna synth``)
supersedes this script for larger data.
"""

from __future__ import annotations

import argparse
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

LINK_TYPES = ["phone", "device", "account", "payment", "co_offending"]


def generate(
    seed: int, n_persons: int = 600, n_groups: int = 12
) -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    grouped = int(n_persons * 0.7)
    group = np.full(n_persons, -1)
    group[:grouped] = rng.integers(0, n_groups, grouped)
    persons = np.array([f"P{i:04d}" for i in range(n_persons)])
    rows: list[tuple[str, str, str, date, float]] = []
    start = date(2022, 1, 1)

    def link(a: int, b: int) -> None:
        kind = LINK_TYPES[rng.integers(0, len(LINK_TYPES))]
        seen = start + timedelta(days=int(rng.integers(0, 3 * 365)))
        rows.append((persons[a], persons[b], kind, seen, float(rng.integers(1, 4))))

    for g in range(n_groups):
        members = np.flatnonzero(group == g)
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                if rng.random() < 0.25:
                    link(a, b)
    for _ in range(n_persons // 2):  # sparse ties between groups and to lone offenders
        a, b = rng.choice(n_persons, 2, replace=False)
        link(a, b)
    edges = pl.DataFrame(
        rows, schema=["source", "target", "link_type", "seen", "weight"], orient="row"
    ).sort("seen", "source", "target")
    truth = pl.DataFrame({"node": persons, "planted_group": group})
    return edges, truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent)
    args = parser.parse_args()
    edges, truth = generate(args.seed)
    meta = {"aluna.synthetic": "true", "aluna.seed": str(args.seed)}
    edges.write_parquet(args.out / "case_links.parquet", metadata=meta)
    truth.write_parquet(args.out / "case_links_truth.parquet", metadata=meta)
    print(f"wrote {edges.height} links among {truth.height} persons to {args.out}")


if __name__ == "__main__":
    main()
