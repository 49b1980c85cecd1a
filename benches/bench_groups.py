"""Communities: aluna's Louvain and Leiden beside NetworKit PLM, igraph and networkx.

Each task times community detection alone (graphs are built beforehand) and names, in the task
column, the modularity each tool reached (all scored by the same function, which equals
networkx's ``modularity``).

Run: python benches/bench_groups.py   (or `python benches/run.py --only groups`)
"""

from __future__ import annotations

import os

import igraph as ig
import networkit as nk
import networkx as nx
import numpy as np
import polars as pl

import aluna

if __package__:
    from .harness import Case, markdown, median_seconds
else:  # run as a script
    from harness import Case, markdown, median_seconds

TITLE = "Communities (Louvain, Leiden) on 250k-edge graphs"
PACKAGES = ("networkit", "igraph", "networkx")
COMMAND = "python benches/bench_groups.py"


def barabasi_albert(n: int = 50_000, m: int = 5, seed: int = 7) -> np.ndarray:
    """Edges of a Barabási–Albert graph: 50k nodes, 250k edges."""
    return np.array(nx.barabasi_albert_graph(n, m, seed=seed).edges(), dtype=np.int64)


def block_model(blocks: int = 50, size: int = 1000, seed: int = 3) -> np.ndarray:
    """Edges of a stochastic block model: 50 groups of 1,000, mean degree 8 inside, 2 across."""
    sizes = [size] * blocks
    inside, across = 8 / size, 2 / (size * (blocks - 1))
    p = [[inside if i == j else across for j in range(blocks)] for i in range(blocks)]
    graph = nx.stochastic_block_model(sizes, p, seed=seed, sparse=True)
    return np.array(graph.edges(), dtype=np.int64)


def labels_of(groups: list[list[int]], n: int) -> list[int]:
    out = [0] * n
    for label, members in enumerate(groups):
        for v in members:
            out[v] = label
    return out


def graph_cases(name: str, edges: np.ndarray, repeat: int) -> list[Case]:
    """Louvain-family and Leiden-family tasks on one graph."""
    n = int(edges.max()) + 1
    frame = pl.DataFrame({"source": edges[:, 0], "target": edges[:, 1]})
    graph = aluna.CaseGraph.from_edges(frame, nodes=pl.DataFrame({"node": np.arange(n)}))
    nkg = nk.Graph(n)
    for a, b in edges:
        nkg.addEdge(int(a), int(b))
    igg = ig.Graph(n=n, edges=edges.tolist())
    nxg = nx.Graph()
    nxg.add_nodes_from(range(n))
    nxg.add_edges_from(edges.tolist())

    def plm(refine: bool) -> list[int]:
        algorithm = nk.community.PLM(nkg, refine=refine)
        algorithm.run()
        return algorithm.getPartition().getVector()

    runs = {
        "Louvain: aluna louvain, NetworKit PLM, igraph multilevel, networkx louvain": {
            "aluna": lambda: graph.communities("louvain", seed=0)["community"].to_list(),
            "networkit": lambda: plm(False),
            "igraph": lambda: igg.community_multilevel().membership,
            "networkx": lambda: labels_of(nx.community.louvain_communities(nxg, seed=0), n),
        },
        "Leiden: aluna leiden, NetworKit PLM with refinement, igraph leiden (2 passes)": {
            "aluna": lambda: graph.communities("leiden", seed=0)["community"].to_list(),
            "networkit": lambda: plm(True),
            "igraph": lambda: (
                igg.community_leiden(objective_function="modularity", n_iterations=2).membership
            ),
        },
    }
    cases = []
    for label, tools in runs.items():
        reached = []
        case = Case("")
        for tool, fn in tools.items():
            labels = fn()
            partition = pl.DataFrame({"node": np.arange(n), "community": labels})
            reached.append(f"{tool} {graph.modularity(partition):.4f}")
            slow = tool == "networkx"
            case.timings[tool] = median_seconds(fn, 1 if slow else repeat, warmup=0 if slow else 1)
        case.task = f"{name}, {label}; modularity {', '.join(reached)}"
        cases.append(case)
    return cases


def run(repeat: int = 3) -> list[Case]:
    threads = int(os.environ.get("RAYON_NUM_THREADS", os.cpu_count() or 1))
    nk.setNumberOfThreads(threads)
    return [
        *graph_cases("Barabási–Albert 50k/250k", barabasi_albert(), repeat),
        *graph_cases("block model 50k/250k, 50 groups", block_model(), repeat),
    ]


if __name__ == "__main__":
    print(markdown(TITLE, run(), COMMAND, PACKAGES))
