"""Building a graph from a 250k-edge table: aluna beside networkx and igraph.

Run: python benches/bench_graph_build.py   (or `make bench`, which runs every bench)
"""

from __future__ import annotations

import igraph as ig
import networkx as nx
import numpy as np
import polars as pl

import aluna

if __package__:
    from .harness import Case, markdown, median_seconds
else:  # run as a script
    from harness import Case, markdown, median_seconds

TITLE = "Graph construction (250k edges)"
PACKAGES = ("networkx", "igraph", "polars")
COMMAND = "python benches/bench_graph_build.py"


def edge_table(n_nodes: int = 50_000, n_edges: int = 250_000, seed: int = 7) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "source": rng.integers(0, n_nodes, n_edges),
            "target": rng.integers(0, n_nodes, n_edges),
            "weight": rng.random(n_edges),
        }
    )


def run(repeat: int = 5) -> list[Case]:
    ints = edge_table()
    strings = ints.with_columns(pl.format("person-{}", "source"), pl.format("person-{}", "target"))
    cases = []
    for label, frame in [("integer ids", ints), ("string ids", strings)]:
        case = Case(f"from a polars edge table, {label}, weighted")
        case.timings["aluna"] = median_seconds(
            lambda f=frame: aluna.CaseGraph.from_edges(f, weight="weight"), repeat
        )
        case.timings["igraph"] = median_seconds(
            lambda f=frame: ig.Graph.DataFrame(f.to_pandas(), directed=False, use_vids=False),
            repeat,
        )
        case.timings["networkx"] = median_seconds(
            lambda f=frame: nx.from_edgelist((s, t, {"weight": w}) for s, t, w in f.iter_rows()),
            max(1, repeat // 2),
        )
        cases.append(case)
    dense = ints.select("source", "target").to_numpy()
    case = Case("from an integer edge array 0..n-1, unweighted")
    case.timings["aluna"] = median_seconds(
        lambda: aluna.CaseGraph.from_edges(ints.select("source", "target")), repeat
    )
    case.timings["igraph"] = median_seconds(lambda: ig.Graph(n=50_000, edges=dense), repeat)
    cases.append(case)
    return cases


if __name__ == "__main__":
    print(markdown(TITLE, run(), COMMAND, PACKAGES))
