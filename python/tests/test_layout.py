"""Drawing positions (ForceAtlas2 with Barnes–Hut, computed in Rust).

A layout has no single right answer, so agreement with networkx is on what a drawing is for:
linked people close, groups apart. On public graphs shipped with networkx and on a planted
block model, the Spearman correlation between drawn distances and path lengths, and the ratio of
distances within and between planted groups, are at least as good as networkx's own
``forceatlas2_layout`` (same algorithm, exact O(n²) forces), to a stated tolerance.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import polars as pl
import pytest
from scipy.stats import spearmanr

import aluna
from aluna.exceptions import ArgumentError

from .conftest import edge_frame, node_frame


def positions(frame: pl.DataFrame) -> dict:
    return {node: np.array([x, y]) for node, x, y in frame.rows()}


def path_correlation(pos: dict, graph: nx.Graph) -> float:
    """Spearman correlation of drawn distance with shortest-path length over all pairs."""
    lengths = dict(nx.all_pairs_shortest_path_length(graph))
    nodes = list(graph)
    hops, drawn = [], []
    for i, u in enumerate(nodes):
        for v in nodes[i + 1 :]:
            hops.append(lengths[u][v])
            drawn.append(float(np.linalg.norm(pos[u] - pos[v])))
    return float(spearmanr(hops, drawn).statistic)


def block_ratio(pos: dict, blocks: dict) -> float:
    """Mean distance within planted blocks over mean distance between them."""
    nodes = list(pos)
    xy = np.array([pos[n] for n in nodes])
    b = np.array([blocks[n] for n in nodes])
    d = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1))
    same = b[:, None] == b[None]
    off = ~np.eye(len(nodes), dtype=bool)
    return float(d[same & off].mean() / d[~same].mean())


@pytest.mark.parametrize("name", ["karate", "florentine", "les_miserables"])
def test_distances_follow_paths_at_least_as_well_as_networkx(public_graphs, name):
    graph = public_graphs[name]
    ours = positions(aluna.CaseGraph.from_edges(edge_frame(graph)).layout(seed=1))
    theirs = nx.forceatlas2_layout(graph, seed=1)
    assert path_correlation(ours, graph) >= path_correlation(theirs, graph) - 0.02


@pytest.mark.parametrize("theta", [0.0, 1.2])
def test_planted_groups_are_drawn_apart(theta):
    sizes = [40, 40, 40, 40]
    probabilities = [[0.3 if i == j else 0.01 for j in range(4)] for i in range(4)]
    graph = nx.stochastic_block_model(sizes, probabilities, seed=3)
    blocks = {n: graph.nodes[n]["block"] for n in graph}
    ours = positions(aluna.CaseGraph.from_edges(edge_frame(graph)).layout(seed=1, theta=theta))
    theirs = nx.forceatlas2_layout(graph, seed=1)
    assert block_ratio(ours, blocks) <= block_ratio(theirs, blocks) + 0.02
    assert block_ratio(ours, blocks) < 0.35


def test_barnes_hut_draws_a_large_graph_like_the_exact_forces():
    graph = nx.stochastic_block_model(
        [300] * 4, [[0.05 if i == j else 0.001 for j in range(4)] for i in range(4)], seed=5
    )
    blocks = {n: graph.nodes[n]["block"] for n in graph}
    g = aluna.CaseGraph.from_edges(edge_frame(graph), nodes=node_frame(graph))
    approximate = block_ratio(positions(g.layout(seed=2)), blocks)  # theta 1.2 from 1,000 nodes
    exact = block_ratio(positions(g.layout(seed=2, theta=0.0)), blocks)
    assert approximate < exact + 0.05
    assert approximate < 0.35


def test_same_seed_same_drawing_for_any_thread_count():
    graph = nx.les_miserables_graph()
    g = aluna.CaseGraph.from_edges(edge_frame(graph, weight="weight"), weight="weight")
    one = g.layout(seed=7, weight="weight", threads=1, theta=1.0)
    assert one.equals(g.layout(seed=7, weight="weight", threads=2, theta=1.0))
    assert not one.equals(g.layout(seed=8, weight="weight", threads=1, theta=1.0))


def test_ids_components_and_isolated_people():
    edges = pl.DataFrame({"source": ["ann", "bo", "cy"], "target": ["bo", "cy", "ann"]})
    nodes = pl.DataFrame({"node": ["ann", "bo", "cy", "dee", "eve"]})
    xy = aluna.CaseGraph.from_edges(edges, nodes=nodes).layout()
    assert xy.columns == ["node", "x", "y"]
    assert xy["node"].to_list() == ["ann", "bo", "cy", "dee", "eve"]
    assert xy.select(pl.all().exclude("node").is_finite().all()).row(0) == (True, True)
    # Packed: the isolated people sit beside the triangle, not far out.
    pos = positions(xy)
    triangle = max(np.linalg.norm(pos[a] - pos[b]) for a in ["ann", "bo", "cy"] for b in ["ann"])
    assert np.linalg.norm(pos["eve"] - pos["ann"]) < 10 * triangle


def test_unpacked_layout_pushes_isolated_people_out():
    graph = nx.karate_club_graph()
    nodes = pl.DataFrame({"node": [*graph.nodes(), 100, 101, 102]})
    g = aluna.CaseGraph.from_edges(edge_frame(graph), nodes=nodes)

    def spread(frame: pl.DataFrame) -> float:
        club = frame.filter(pl.col("node") < 100)
        return (frame["x"].max() - frame["x"].min()) / (club["x"].max() - club["x"].min())

    assert spread(g.layout(pack_components=False)) > spread(g.layout())


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"scaling": 0.0}, "argument `scaling`: must be a positive number"),
        ({"gravity": -1.0}, "argument `gravity`: must be a non-negative number"),
        ({"theta": -0.5}, "argument `theta`: must be a non-negative number"),
        ({"weight": "w"}, "weight"),
    ],
)
def test_bad_arguments(arguments, message):
    g = aluna.CaseGraph.from_edges(pl.DataFrame({"source": [1], "target": [2]}))
    with pytest.raises(ArgumentError, match=message):
        g.layout(**arguments)
