"""Centralities on Barabási–Albert graphs: aluna beside networkx, igraph, NetworKit, rustworkx.

Run: python benches/bench_centrality.py   (or `python benches/run.py --only centrality`)

Graphs: Barabási–Albert with 50,000 nodes / 250,000 edges, and 10,000 / 50,000 for the exact
path measures (one search per node). One worker process per thread count (rayon's and
OpenMP's pools are fixed at first use): RAYON_NUM_THREADS and NetworKit's thread count are set
to 1, then 2. igraph and networkx are single-threaded; they are timed in the 1-thread worker
and their figures repeated in the 2-thread rows. networkx is far too slow for the exact path
measures on 10k nodes: it is timed on 100 sources (100 target nodes for closeness) and scaled
by n / 100, which these measures' per-source cost makes exact up to noise.

Settings, so every tool does the same work: PageRank alpha 0.85 stopping at an L1 change below
n * 1e-10 (NetworKit: its L1 norm with tol = n * 1e-10; igraph: PRPACK, solved directly);
eigenvector to tol 1e-10 (networkx: eigenvector_centrality_numpy, ARPACK); Katz with
alpha = 0.5 / lambda_max, beta = 1, tol 1e-10; sampled betweenness at epsilon 0.01 and
delta 0.1 (aluna: Riondato–Kornaropoulos; NetworKit: KADABRA and its Riondato–Kornaropoulos).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

if __package__:
    from .harness import Case, markdown, median_seconds
else:  # run as a script
    from harness import Case, markdown, median_seconds

TITLE = "Centralities (Barabási–Albert graphs, 50k nodes / 250k edges; 10k / 50k exact paths)"
PACKAGES = ("networkx", "igraph", "networkit", "rustworkx", "scipy")
COMMAND = "python benches/bench_centrality.py"
SINGLE_THREADED = ("networkx", "igraph")
NOTES = """Notes: one worker process per thread count (RAYON_NUM_THREADS, NetworKit's thread
count). igraph and networkx are single-threaded: timed in the 1-thread worker and repeated in
the 2-thread rows. networkx's exact path measures on 10k nodes are timed on 100 sources (or
target nodes) and scaled by n / 100. PageRank stops at an L1 change below n * 1e-10 everywhere
(igraph: PRPACK); Katz uses alpha = 0.5 / lambda_max; sampled betweenness: aluna uses
Riondato-Kornaropoulos with the vertex-diameter bound (deterministic per seed), NetworKit
KADABRA (adaptive stopping); NetworKit's own Riondato-Kornaropoulos (ApproxBetweenness) at
epsilon 0.01 did not finish within 10 minutes here and is left out. The machine is shared with
other builds, so absolute times are noisy; ratios come from the same run.
"""
SAMPLE = 100  # networkx sources for the exact path measures, scaled by n / SAMPLE


def ba_edges(n: int, m: int = 5, seed: int = 7) -> np.ndarray:
    import random

    import igraph as ig

    ig.set_random_number_generator(random.Random(seed))
    g = ig.Graph.Barabasi(n, m, outpref=False, directed=False)
    return np.asarray(g.get_edgelist(), dtype=np.int64)


def tools(edges: np.ndarray, n: int) -> dict:
    import igraph as ig
    import networkit as nk
    import networkx as nx
    import polars as pl
    import rustworkx as rx

    import aluna

    frame = pl.DataFrame({"source": edges[:, 0], "target": edges[:, 1]})
    a = aluna.CaseGraph.from_edges(frame, nodes=pl.DataFrame({"node": np.arange(n)}))
    gi = ig.Graph(n=n, edges=edges.tolist())
    gk = nk.Graph(n)
    for u, v in edges:
        gk.addEdge(int(u), int(v))
    gk.indexEdges()  # NetworKit's edge betweenness needs edge ids
    gr = rx.PyGraph()
    gr.add_nodes_from(range(n))
    gr.add_edges_from_no_data([(int(u), int(v)) for u, v in edges])
    gx = nx.Graph()
    gx.add_nodes_from(range(n))
    gx.add_edges_from(edges.tolist())
    return {"aluna": a, "igraph": gi, "networkit": gk, "rustworkx": gr, "networkx": gx}


def worker(threads: int) -> list[tuple[str, dict[str, float]]]:
    import networkit as nk
    import networkx as nx
    import rustworkx as rx
    import scipy.sparse.linalg

    nk.setNumberOfThreads(threads)
    nk.engineering.setSeed(7, True)
    single = threads == 1
    results: list[tuple[str, dict[str, float]]] = []

    def case(task: str, fns: dict, repeat: int = 2, warmup: int = 1) -> None:
        timings = {}
        for tool, fn in fns.items():
            if tool in SINGLE_THREADED and not single:
                continue
            factor = 1.0
            if isinstance(fn, tuple):  # (work on a sample, factor scaling it to the whole)
                fn, factor = fn
            timings[tool] = median_seconds(fn, repeat, warmup) * factor
        results.append((task, timings))
        print(task, {k: round(v, 3) for k, v in timings.items()}, file=sys.stderr, flush=True)

    # BENCH_SMOKE=1 runs every call on small graphs, to check the script quickly.
    smoke = os.environ.get("BENCH_SMOKE") == "1"
    big_n = 2_000 if smoke else 50_000
    g = tools(ba_edges(big_n), big_n)
    a, gi, gk, gr, gx = (g[k] for k in ("aluna", "igraph", "networkit", "rustworkx", "networkx"))
    tol = 1e-10
    gr_directed = gr.to_directed()

    def nk_pagerank():
        pr = nk.centrality.PageRank(gk, damp=0.85, tol=big_n * tol)
        pr.norm = nk.centrality.Norm.L1_NORM
        pr.maxIterations = 10_000
        return pr.run()

    case(
        "PageRank, 50k",
        {
            "aluna": lambda: a.pagerank(tol=tol),
            "networkit": nk_pagerank,
            "igraph": lambda: gi.pagerank(damping=0.85),
            "rustworkx": lambda: rx.pagerank(gr_directed, alpha=0.85, tol=tol),
            "networkx": lambda: nx.pagerank(gx, alpha=0.85, tol=tol, weight=None),
        },
    )
    case(
        "core number, 50k",
        {
            "aluna": a.core_number,
            "igraph": gi.coreness,
            "networkit": lambda: nk.centrality.CoreDecomposition(gk).run(),
            "rustworkx": lambda: rx.core_number(gr),
            "networkx": lambda: nx.core_number(gx),
        },
    )
    case(
        "clustering, 50k",
        {
            "aluna": a.clustering,
            "igraph": lambda: gi.transitivity_local_undirected(mode="zero"),
            "networkit": lambda: nk.centrality.LocalClusteringCoefficient(gk).run(),
            "networkx": lambda: nx.clustering(gx),
        },
    )
    case(
        "transitivity, 50k",
        {
            "aluna": a.transitivity,
            "igraph": gi.transitivity_undirected,
            "rustworkx": lambda: rx.transitivity(gr),
            "networkx": lambda: nx.transitivity(gx),
        },
    )
    case(
        "eigenvector, 50k",
        {
            "aluna": lambda: a.eigenvector(tol=tol, max_iter=100_000),
            "igraph": lambda: gi.eigenvector_centrality(scale=False),
            "networkit": lambda: nk.centrality.EigenvectorCentrality(gk, tol=tol).run(),
            "rustworkx": lambda: rx.eigenvector_centrality(gr, tol=tol, max_iter=100_000),
            "networkx": lambda: nx.eigenvector_centrality_numpy(gx),
        },
    )
    adjacency = nx.to_scipy_sparse_array(gx, dtype=float)
    lam = float(scipy.sparse.linalg.eigsh(adjacency, k=1, which="LA")[0][0])
    alpha = 0.5 / lam
    case(
        "Katz, 50k",
        {
            "aluna": lambda: a.katz(alpha, tol=tol),
            "networkit": lambda: nk.centrality.KatzCentrality(
                gk, alpha=alpha, beta=1.0, tol=tol
            ).run(),
            "rustworkx": lambda: rx.katz_centrality(gr, alpha=alpha, beta=1.0, tol=tol),
            "networkx": lambda: nx.katz_centrality(gx, alpha=alpha, beta=1.0, tol=tol),
        },
        repeat=1,
    )
    case(
        "articulation points and bridges, 50k",
        {
            "aluna": lambda: (a.articulation_points(), a.bridges()),
            "igraph": lambda: (gi.articulation_points(), gi.bridges()),
            "rustworkx": lambda: (rx.articulation_points(gr), rx.bridges(gr)),
            "networkx": lambda: (list(nx.articulation_points(gx)), list(nx.bridges(gx))),
        },
    )
    case(
        "sampled betweenness eps=0.01 delta=0.1, 50k",
        {
            "aluna": lambda: a.betweenness(epsilon=0.01, delta=0.1, seed=1),
            "networkit": lambda: nk.centrality.KadabraBetweenness(gk, 0.01, 0.1).run(),
        },
    )

    small_n = 1_000 if smoke else 10_000
    g = tools(ba_edges(small_n), small_n)
    a, gi, gk, gr, gx = (g[k] for k in ("aluna", "igraph", "networkit", "rustworkx", "networkx"))
    scale = small_n / SAMPLE
    sources = list(range(SAMPLE))
    heavy = {"repeat": 1, "warmup": 0}
    case(
        "exact betweenness, 10k",
        {
            "aluna": a.betweenness,
            "igraph": gi.betweenness,
            "networkit": lambda: nk.centrality.Betweenness(gk, normalized=True).run(),
            "rustworkx": lambda: rx.betweenness_centrality(gr, normalized=True),
            "networkx": (lambda: nx.betweenness_centrality(gx, k=SAMPLE, seed=1), scale),
        },
        **heavy,
    )
    case(
        "edge betweenness, 10k",
        {
            "aluna": a.edge_betweenness,
            "igraph": gi.edge_betweenness,
            "networkit": lambda: nk.centrality.Betweenness(gk, computeEdgeCentrality=True).run(),
            "rustworkx": lambda: rx.edge_betweenness_centrality(gr, normalized=True),
            "networkx": (lambda: nx.edge_betweenness_centrality(gx, k=SAMPLE, seed=1), scale),
        },
        **heavy,
    )
    case(
        "closeness, 10k",
        {
            "aluna": a.closeness,
            "igraph": gi.closeness,
            "networkit": lambda: nk.centrality.Closeness(
                gk, True, nk.centrality.ClosenessVariant.GENERALIZED
            ).run(),
            "rustworkx": lambda: rx.closeness_centrality(gr),
            "networkx": (lambda: [nx.closeness_centrality(gx, u=v) for v in sources], scale),
        },
        **heavy,
    )
    case(
        "harmonic, 10k",
        {
            "aluna": a.harmonic,
            "igraph": gi.harmonic_centrality,
            "networkit": lambda: nk.centrality.HarmonicCloseness(gk, normalized=False).run(),
            "networkx": (lambda: nx.harmonic_centrality(gx, sources=sources), scale),
        },
        **heavy,
    )
    return results


def run() -> list[Case]:
    cases: list[Case] = []
    single: dict[str, dict[str, float]] = {}
    for threads in (1, 2):
        env = {**os.environ, "RAYON_NUM_THREADS": str(threads), "OMP_NUM_THREADS": str(threads)}
        out = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--worker", str(threads)],
            env=env,
            check=True,
            stdout=subprocess.PIPE,  # progress goes to stderr as each case ends
            text=True,
        )
        for task, timings in json.loads(out.stdout):
            if threads == 1:
                single[task] = timings
            else:
                timings.update({t: single[task][t] for t in SINGLE_THREADED if t in single[task]})
            label = f"{task}, {threads} thread{'s' if threads > 1 else ''}"
            cases.append(Case(label, timings))
    return cases


def _worker_main(threads: int) -> None:
    results = worker(threads)
    print(json.dumps(results))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        _worker_main(int(sys.argv[2]))
    else:
        print(markdown(TITLE, run(), COMMAND, PACKAGES))
