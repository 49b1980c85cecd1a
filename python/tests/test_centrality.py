"""Node and edge centralities: agreement with networkx (computed here, never typed in) on the
public graphs networkx ships and on random directed, disconnected and string-keyed graphs;
thread-count identity; the sampling guarantee; relabelling; and every error case.

Tolerances: exact measures rtol 1e-9 + atol 1e-12; iterative ones (PageRank, eigenvector,
Katz) 1e-6 with both sides run to tol 1e-12.
"""

from __future__ import annotations

import os
import random
import signal
import threading

import networkx as nx
import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import aluna
from aluna.exceptions import (
    ArgumentError,
    ConvergenceError,
    NotDefinedError,
    UnknownNodeError,
)

from .conftest import edge_frame, node_frame

EXACT = {"rtol": 1e-9, "atol": 1e-12}
ITERATIVE = {"rtol": 0.0, "atol": 1e-6}


def build(graph: nx.Graph, weight: str | None = None) -> aluna.CaseGraph:
    """The networkx graph as a CaseGraph with the same nodes (isolates included)."""
    return aluna.CaseGraph.from_edges(
        edge_frame(graph, weight),
        weight=weight,
        directed=graph.is_directed(),
        nodes=node_frame(graph),
    )


def assert_agrees(ours: pl.DataFrame, column: str, expected: dict, *, rtol: float, atol: float):
    """Our per-node column equals networkx's dict, node by node."""
    assert ours.columns == ["node", column]
    assert ours.height == len(expected)
    got = dict(ours.iter_rows())
    nodes = list(expected)
    np.testing.assert_allclose(
        [got[v] for v in nodes], [float(expected[v]) for v in nodes], rtol=rtol, atol=atol
    )


def assert_edges_agree(ours: pl.DataFrame, column: str, expected: dict, directed: bool):
    assert ours.height == len(expected)
    got = {}
    for a, b, value in ours.iter_rows():
        got[(a, b)] = value
        if not directed:
            got[(b, a)] = value
    keys = list(expected)
    np.testing.assert_allclose([got[k] for k in keys], [expected[k] for k in keys], **EXACT)


def random_graph(seed: int, *, directed: bool, string_ids: bool, n: int = 60) -> nx.Graph:
    """A sparse random graph with isolated nodes, several components and self-loops."""
    rng = random.Random(seed)
    g = nx.gnp_random_graph(n, 2.2 / n, seed=seed, directed=directed)
    for v in rng.sample(list(g.nodes()), 4):
        g.add_edge(v, v)
    g.add_node(n)  # an isolate for sure
    if string_ids:
        g = nx.relabel_nodes(g, {v: f"person-{v:03d}" for v in g.nodes()})
    return g


def weighted_random_graph(seed: int, *, directed: bool) -> nx.Graph:
    rng = random.Random(seed)
    g = random_graph(seed, directed=directed, string_ids=False)
    for u, v in g.edges():
        g[u][v]["weight"] = rng.choice([0.5, 1.0, 1.5, 2.0, 3.0])
    return g


def cases() -> list[tuple[str, nx.Graph, str | None]]:
    karate = nx.karate_club_graph()
    lesmis = nx.les_miserables_graph()
    return [
        ("karate", karate, None),
        ("karate-weighted", karate, "weight"),
        ("florentine", nx.florentine_families_graph(), None),
        ("les-miserables", lesmis, None),
        ("les-miserables-weighted", lesmis, "weight"),
        ("directed-0", random_graph(0, directed=True, string_ids=False), None),
        ("directed-1-strings", random_graph(1, directed=True, string_ids=True), None),
        ("directed-weighted", weighted_random_graph(2, directed=True), "weight"),
        ("disconnected-3", random_graph(3, directed=False, string_ids=False), None),
        ("disconnected-4-strings", random_graph(4, directed=False, string_ids=True), None),
        ("disconnected-weighted", weighted_random_graph(5, directed=False), "weight"),
    ]


CASES = cases()
IDS = [c[0] for c in CASES]


@pytest.fixture(scope="module", params=CASES, ids=IDS)
def case(request):
    _, graph, weight = request.param
    return graph, weight, build(graph, weight)


# ---------------------------------------------------------------------------- hand-checkable


def test_krackhardt_kite_by_hand():
    kite = nx.krackhardt_kite_graph()
    g = build(kite)
    raw = dict(g.betweenness(normalized=False).iter_rows())
    assert raw[7] == pytest.approx(14.0)
    assert raw[3] == pytest.approx(11 / 3)
    assert g.articulation_points()["node"].to_list() == [7, 8]
    assert g.bridges().rows() == [(7, 8), (8, 9)]
    assert dict(g.core_number().iter_rows())[9] == 1


def test_star_and_complete_graph():
    star = build(nx.star_graph(5))
    assert dict(star.betweenness().iter_rows())[0] == 1.0
    complete = build(nx.complete_graph(5))
    assert complete.betweenness()["betweenness"].to_list() == [0.0] * 5
    assert complete.closeness()["closeness"].to_list() == [1.0] * 5
    assert complete.transitivity() == 1.0


# ---------------------------------------------------------------------------- exact measures


@pytest.mark.parametrize("normalized", [True, False])
@pytest.mark.parametrize("endpoints", [False, True])
def test_betweenness_matches_networkx(case, normalized, endpoints):
    graph, weight, ours = case
    expected = nx.betweenness_centrality(
        graph, normalized=normalized, endpoints=endpoints, weight=weight
    )
    got = ours.betweenness(normalized=normalized, endpoints=endpoints, weight=weight)
    assert_agrees(got, "betweenness", expected, **EXACT)


@pytest.mark.parametrize("normalized", [True, False])
def test_edge_betweenness_matches_networkx(case, normalized):
    graph, weight, ours = case
    expected = nx.edge_betweenness_centrality(graph, normalized=normalized, weight=weight)
    got = ours.edge_betweenness(normalized=normalized, weight=weight)
    assert got.columns == ["source", "target", "edge_betweenness"]
    assert_edges_agree(got, "edge_betweenness", expected, graph.is_directed())


@pytest.mark.parametrize("wf_improved", [True, False])
def test_closeness_matches_networkx(case, wf_improved):
    graph, weight, ours = case
    expected = nx.closeness_centrality(graph, distance=weight, wf_improved=wf_improved)
    got = ours.closeness(weight=weight, wf_improved=wf_improved)
    assert_agrees(got, "closeness", expected, **EXACT)


def test_harmonic_matches_networkx(case):
    graph, weight, ours = case
    expected = nx.harmonic_centrality(graph, distance=weight)
    assert_agrees(ours.harmonic(weight=weight), "harmonic", expected, **EXACT)


def test_core_number_matches_networkx(case):
    graph, _, ours = case
    plain = graph.copy()
    plain.remove_edges_from(list(nx.selfloop_edges(plain)))
    got = ours.core_number()
    assert got.schema["core_number"] == pl.Int64
    assert_agrees(got, "core_number", nx.core_number(plain), rtol=0, atol=0)


def test_clustering_matches_networkx(case):
    graph, weight, ours = case
    expected = nx.clustering(graph, weight=weight)
    assert_agrees(ours.clustering(weight=weight), "clustering", expected, **EXACT)


def test_transitivity_articulation_points_and_bridges_match_networkx(case):
    graph, _, ours = case
    if graph.is_directed():
        with pytest.raises(NotDefinedError, match="undirected"):
            ours.transitivity()
        with pytest.raises(NotDefinedError, match="directed=False"):
            ours.articulation_points()
        with pytest.raises(NotDefinedError, match="directed=False"):
            ours.bridges()
        return
    assert ours.transitivity() == pytest.approx(nx.transitivity(graph), rel=1e-9, abs=1e-12)
    assert set(ours.articulation_points()["node"]) == set(nx.articulation_points(graph))
    got = {frozenset(e) for e in ours.bridges().rows()}
    assert got == {frozenset(e) for e in nx.bridges(graph)}


def test_multigraph_paths_merge_links_and_pagerank_counts_them():
    rows = [("a", "b"), ("a", "b"), ("b", "c"), ("c", "d"), ("d", "a"), ("c", "e")]
    frame = pl.DataFrame({"source": [r[0] for r in rows], "target": [r[1] for r in rows]})
    ours = aluna.CaseGraph.from_edges(frame, multigraph=True)
    multi = nx.MultiGraph(rows)
    simple = nx.Graph(rows)
    assert_agrees(ours.betweenness(), "betweenness", nx.betweenness_centrality(simple), **EXACT)
    expected = nx.pagerank(multi, weight=None, tol=1e-12, max_iter=10_000)
    assert_agrees(ours.pagerank(tol=1e-12), "pagerank", expected, **ITERATIVE)
    # a-b is doubled, so it is no bridge; c-e is.
    assert ours.bridges().rows() == [("c", "e")]
    assert {frozenset(e) for e in nx.bridges(multi)} == {frozenset(("c", "e"))}


# ---------------------------------------------------------------------------- iterative


def test_pagerank_matches_networkx(case):
    graph, weight, ours = case
    expected = nx.pagerank(graph, weight=weight, tol=1e-12, max_iter=10_000)
    assert_agrees(ours.pagerank(weight=weight, tol=1e-12), "pagerank", expected, **ITERATIVE)


def test_personalized_pagerank_matches_networkx(case):
    graph, weight, ours = case
    nodes = list(graph.nodes())
    chosen = {nodes[0]: 2.0, nodes[3]: 1.0, nodes[-2]: 0.5}
    expected = nx.pagerank(
        graph, alpha=0.7, weight=weight, personalization=chosen, tol=1e-12, max_iter=10_000
    )
    got = ours.pagerank(alpha=0.7, weight=weight, personalization=chosen, tol=1e-12)
    assert_agrees(got, "pagerank", expected, **ITERATIVE)
    as_frame = pl.DataFrame({"node": list(chosen), "jump": list(chosen.values())})
    again = ours.pagerank(alpha=0.7, weight=weight, personalization=as_frame, tol=1e-12)
    assert again.equals(got)


def test_eigenvector_matches_networkx_where_well_posed(case):
    graph, weight, ours = case
    connected = nx.is_strongly_connected(graph) if graph.is_directed() else nx.is_connected(graph)
    if not connected:
        with pytest.raises(NotDefinedError, match="eigenvector centrality is not defined"):
            ours.eigenvector(weight=weight)
        return
    expected = nx.eigenvector_centrality(graph, weight=weight, tol=1e-12, max_iter=100_000)
    got = ours.eigenvector(weight=weight, tol=1e-12, max_iter=100_000)
    assert_agrees(got, "eigenvector", expected, **ITERATIVE)


def test_katz_matches_networkx(case):
    graph, weight, ours = case
    adjacency = nx.to_numpy_array(graph, weight=weight)
    alpha = 0.5 / max(abs(np.linalg.eigvals(adjacency)))
    for normalized in (True, False):
        expected = nx.katz_centrality(
            graph, alpha=alpha, weight=weight, normalized=normalized, tol=1e-12, max_iter=100_000
        )
        got = ours.katz(alpha, weight=weight, normalized=normalized, tol=1e-12, max_iter=100_000)
        assert_agrees(got, "katz", expected, **ITERATIVE)


def test_katz_with_per_node_beta_matches_networkx():
    graph = nx.karate_club_graph()
    beta = {v: 1.0 + (v % 3) for v in graph}
    expected = nx.katz_centrality(graph, alpha=0.05, beta=beta, tol=1e-12, max_iter=10_000)
    got = build(graph).katz(0.05, beta, tol=1e-12)
    assert_agrees(got, "katz", expected, **ITERATIVE)


# ---------------------------------------------------------------------------- approximation


@pytest.mark.parametrize(
    "graph",
    [
        nx.les_miserables_graph(),
        random_graph(7, directed=True, string_ids=True, n=120),
        random_graph(8, directed=False, string_ids=False, n=120),
    ],
    ids=["les-miserables", "directed", "disconnected"],
)
def test_sampled_betweenness_keeps_its_guarantee(graph):
    epsilon, delta = 0.04, 0.1
    ours = build(graph)
    exact = dict(ours.betweenness().iter_rows())
    within = 0
    for seed in range(50):
        estimate = dict(ours.betweenness(epsilon=epsilon, delta=delta, seed=seed).iter_rows())
        worst = max(abs(estimate[v] - exact[v]) for v in exact)
        within += worst <= epsilon
    assert within >= (1 - delta) * 50


def test_sampled_betweenness_depends_on_the_seed_only():
    ours = build(nx.les_miserables_graph())
    a = ours.betweenness(epsilon=0.05, seed=1)
    assert a.equals(ours.betweenness(epsilon=0.05, seed=1))
    assert not a.equals(ours.betweenness(epsilon=0.05, seed=2))


def test_sampled_unnormalized_betweenness_scales_like_exact():
    ours = build(nx.karate_club_graph())
    n = 34
    norm = ours.betweenness(epsilon=0.05, seed=3)["betweenness"]
    raw = ours.betweenness(epsilon=0.05, seed=3, normalized=False)["betweenness"]
    np.testing.assert_allclose(raw, norm * (n - 1) * (n - 2) / 2, rtol=1e-12)


# ---------------------------------------------------------------------------- determinism


def test_results_are_identical_for_one_and_two_threads():
    graph = nx.barabasi_albert_graph(400, 3, seed=1)
    ours = build(graph)
    calls = [
        lambda t: ours.betweenness(threads=t),
        lambda t: ours.betweenness(epsilon=0.05, seed=4, threads=t),
        lambda t: ours.edge_betweenness(threads=t),
        lambda t: ours.closeness(threads=t),
        lambda t: ours.harmonic(threads=t),
        lambda t: ours.pagerank(threads=t),
        lambda t: ours.eigenvector(threads=t),
        lambda t: ours.katz(0.02, threads=t),
        lambda t: ours.clustering(threads=t),
    ]
    for call in calls:
        assert call(1).equals(call(2))
    assert ours.transitivity(threads=1) == ours.transitivity(threads=2)


@settings(max_examples=25, deadline=None)
@given(
    edges=st.lists(st.tuples(st.integers(0, 14), st.integers(0, 14)), min_size=1, max_size=40),
    seed=st.integers(0, 1000),
    directed=st.booleans(),
)
def test_relabelling_nodes_permutes_results(edges, seed, directed):
    nodes = sorted({v for e in edges for v in e})
    shuffled = nodes[:]
    random.Random(seed).shuffle(shuffled)
    relabel = {v: f"id-{w}" for v, w in zip(nodes, shuffled, strict=True)}
    frame = pl.DataFrame({"source": [a for a, _ in edges], "target": [b for _, b in edges]})
    moved = pl.DataFrame(
        {"source": [relabel[a] for a, _ in edges], "target": [relabel[b] for _, b in edges]}
    )
    g = aluna.CaseGraph.from_edges(frame, directed=directed)
    h = aluna.CaseGraph.from_edges(moved, directed=directed)
    for method in ("betweenness", "closeness", "harmonic", "pagerank", "clustering"):
        before = dict(getattr(g, method)().iter_rows())
        after = dict(getattr(h, method)().iter_rows())
        for v in nodes:
            assert after[relabel[v]] == pytest.approx(before[v], rel=1e-9, abs=1e-12)
    before = dict(g.core_number().iter_rows())
    after = dict(h.core_number().iter_rows())
    assert all(after[relabel[v]] == before[v] for v in nodes)


# ---------------------------------------------------------------------------- errors


@pytest.fixture
def path_graph() -> aluna.CaseGraph:
    frame = pl.DataFrame({"source": ["a", "b"], "target": ["b", "c"], "w": [1.0, 0.0]})
    return aluna.CaseGraph.from_edges(frame, weight="w")


def test_weight_must_be_the_graphs_weight(path_graph):
    with pytest.raises(ArgumentError, match="'cost' is not the graph's weight; the graph's"):
        path_graph.betweenness(weight="cost")
    unweighted = aluna.CaseGraph.from_edges(pl.DataFrame({"source": [1], "target": [2]}))
    with pytest.raises(ArgumentError, match="the graph has no weight"):
        unweighted.closeness(weight="w")


def test_zero_length_links_are_refused_by_betweenness(path_graph):
    with pytest.raises(ArgumentError, match='link "b" - "c" has weight 0'):
        path_graph.betweenness(weight="w")
    with pytest.raises(ArgumentError, match="needs them positive"):
        path_graph.edge_betweenness(weight="w")
    # Distances with zero lengths are fine.
    assert path_graph.closeness(weight="w").height == 3


def test_sampling_arguments_are_checked(path_graph):
    with pytest.raises(ArgumentError, match="`epsilon`: must lie strictly between 0 and 1"):
        path_graph.betweenness(epsilon=1.5)
    with pytest.raises(ArgumentError, match="`delta`"):
        path_graph.betweenness(epsilon=0.1, delta=0.0)
    with pytest.raises(ArgumentError, match="`endpoints`"):
        path_graph.betweenness(epsilon=0.1, endpoints=True)


def test_eigenvector_is_not_defined_on_disconnected_graphs():
    frame = pl.DataFrame({"source": ["a", "c"], "target": ["b", "d"]})
    g = aluna.CaseGraph.from_edges(frame)
    with pytest.raises(NotDefinedError, match="2 connected components"):
        g.eigenvector()
    chain = aluna.CaseGraph.from_edges(frame, directed=True)
    with pytest.raises(NotDefinedError, match="not strongly connected"):
        chain.eigenvector()


def test_convergence_failures_are_errors():
    g = build(nx.complete_graph(5))
    with pytest.raises(ConvergenceError, match="alpha"):
        g.katz(0.5)
    with pytest.raises(ConvergenceError, match="pagerank did not converge in 2 iterations"):
        build(nx.karate_club_graph()).pagerank(max_iter=2)


def test_pagerank_and_katz_arguments_are_checked():
    g = build(nx.path_graph(3))
    with pytest.raises(ArgumentError, match="`alpha`: must lie in"):
        g.pagerank(alpha=1.5)
    with pytest.raises(UnknownNodeError, match="unknown node 7"):
        g.pagerank(personalization={7: 1.0})
    with pytest.raises(ArgumentError, match="at least one node needs a positive value"):
        g.pagerank(personalization={0: 0.0})
    with pytest.raises(ArgumentError, match="expected a mapping"):
        g.pagerank(personalization=[1.0, 2.0])  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match="node 2 is missing"):
        g.katz(0.1, {0: 1.0, 1: 1.0})
    with pytest.raises(ArgumentError, match="`tol`"):
        g.eigenvector(tol=0.0)
    with pytest.raises(ArgumentError, match="`threads`"):
        g.betweenness(threads=0)


def test_empty_graph_gives_empty_tables():
    g = aluna.CaseGraph.from_edges(
        pl.DataFrame({"source": [], "target": []}, schema={"source": pl.Int64, "target": pl.Int64}),
        nodes=pl.DataFrame({"node": [1]}),
    )
    assert g.betweenness().rows() == [(1, 0.0)]
    assert g.pagerank().rows() == [(1, 1.0)]
    assert g.eigenvector().rows() == [(1, 1.0)]
    assert g.bridges().height == 0


def test_ctrl_c_interrupts_a_long_computation():
    graph = nx.barabasi_albert_graph(20_000, 4, seed=2)
    ours = build(graph)
    timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            ours.betweenness(threads=1)
    finally:
        timer.cancel()
