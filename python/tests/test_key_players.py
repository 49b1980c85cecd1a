"""Key players against brute force and the objectives computed independently in Python, and the
one ranking of targets (``top``, ``eligible_targets``) that leaves victims out."""

from __future__ import annotations

import itertools
import statistics

import matplotlib
import networkx as nx
import polars as pl
import pytest

import aluna
from aluna.exceptions import ArgumentError, BadValueError
from aluna.groups import KeyPlayers

from .conftest import edge_frame, node_frame

matplotlib.use("Agg")


def case_graph(graph: nx.Graph, nodes: pl.DataFrame | None = None) -> aluna.CaseGraph:
    return aluna.CaseGraph.from_edges(
        edge_frame(graph),
        directed=graph.is_directed(),
        nodes=nodes if nodes is not None else node_frame(graph),
    )


# Borgatti's objectives, written from the paper's formulas with networkx.


def fragmentation(graph: nx.Graph, removed) -> float:
    rest = graph.subgraph(set(graph) - set(removed))
    n = rest.number_of_nodes()
    pairs = sum(len(c) * (len(c) - 1) for c in nx.connected_components(rest))
    return 1 - pairs / (n * (n - 1))


def distance_fragmentation(graph: nx.Graph, removed) -> float:
    rest = graph.subgraph(set(graph) - set(removed))
    n = rest.number_of_nodes()
    closeness = sum(
        1 / d
        for _, lengths in nx.all_pairs_shortest_path_length(rest)
        for d in lengths.values()
        if d > 0
    )
    return 1 - closeness / (n * (n - 1))


def reach(graph: nx.Graph, chosen, distance: int = 1) -> float:
    reached = set()
    for s in chosen:
        reached |= set(nx.single_source_shortest_path_length(graph, s, cutoff=distance))
    others = set(graph) - set(chosen)
    return len(reached & others) / len(others)


OBJECTIVES = {
    "fragmentation": fragmentation,
    "distance_fragmentation": distance_fragmentation,
    "reach": reach,
}


def small_random_graph(seed: int) -> nx.Graph:
    n = 10 + seed % 7  # 10 to 16 nodes
    p = (0.15, 0.22, 0.3)[seed % 3]
    return nx.gnp_random_graph(n, p, seed=seed)


@pytest.mark.slow
@pytest.mark.parametrize("objective", list(OBJECTIVES))
def test_greedy_and_swaps_come_close_to_brute_force(objective):
    """Over 30 seeded random graphs of 10-16 nodes: within 2% of the optimum on average, never
    below 90% of it (Borgatti 2006's search against exhaustive enumeration)."""
    formula = OBJECTIVES[objective]
    ratios = []
    for seed in range(30):
        graph = small_random_graph(seed)
        k = 2 + seed % 2
        ours = case_graph(graph).key_players(k, objective, seed=seed)
        assert len(set(ours.nodes)) == k
        # The value reported is the objective of the set returned.
        assert abs(ours.value - formula(graph, ours.nodes)) < 1e-12
        best = max(formula(graph, subset) for subset in itertools.combinations(graph, k))
        ratios.append(ours.value / best if best > 0 else 1.0)
    assert statistics.mean(ratios) >= 0.98, ratios
    assert min(ratios) >= 0.90, ratios


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("objective", list(OBJECTIVES))
def test_values_equal_the_formula_on_larger_graphs_with_isolates(seed, objective):
    graph = nx.gnp_random_graph(60, 0.04, seed=seed)
    graph.add_nodes_from(range(60, 63))
    ours = case_graph(graph).key_players(4, objective, seed=seed)
    assert abs(ours.value - OBJECTIVES[objective](graph, ours.nodes)) < 1e-12
    trace = ours.trace
    assert trace["move"].to_list()[:4] == ["greedy"] * 4
    assert trace["removed"].to_list()[:4] == [None] * 4
    assert trace["start"].unique().sort().to_list() == list(range(11))
    for (start,), part in trace.group_by("start"):
        moves = part["move"].to_list()
        assert moves[:4] == ["greedy" if start == 0 else "random"] * 4
        assert set(moves[4:]) <= {"swap"}
        values = part["value"].to_list()[3:]
        assert all(b > a for a, b in itertools.pairwise(values))  # every swap improves
        if start == ours.start:
            assert values[-1] == ours.value
        assert part["value"][-1] <= ours.value + 1e-12


def test_reach_distance_two():
    graph = nx.path_graph(9)
    ours = case_graph(graph).key_players(1, "reach", distance=2)
    assert ours.nodes == [4] or reach(graph, ours.nodes, 2) == 4 / 8
    assert abs(ours.value - reach(graph, ours.nodes, 2)) < 1e-12
    assert abs(ours.value - 0.5) < 1e-12


def test_fragmentation_of_a_known_bridge_and_directed_graphs():
    # Two cliques joined through node 10: removing it splits the graph in halves.
    graph = nx.barbell_graph(5, 1)
    ours = case_graph(graph).key_players(1)
    assert ours.nodes == [5]
    assert abs(ours.value - fragmentation(graph, [5])) < 1e-15
    directed = nx.DiGraph(graph.edges())
    assert case_graph(directed).key_players(1).nodes == [5]


def test_victims_are_never_chosen_but_stay_in_the_network():
    graph = nx.barbell_graph(5, 1)
    roles = ["victim" if v == 5 else "offender" for v in graph]
    nodes = node_frame(graph).with_columns(role=pl.Series(roles))
    ours = case_graph(graph, nodes).key_players(1)
    assert 5 not in ours.nodes
    assert ours.excluded_roles == ("victim",)
    # The value is that of the graph with node 5 still in it.
    assert abs(ours.value - fragmentation(graph, ours.nodes)) < 1e-15
    anyone = case_graph(graph, nodes).key_players(1, exclude_roles=None)
    assert anyone.nodes == [5]


def test_identical_for_any_thread_count_and_seeded():
    graph = nx.barabasi_albert_graph(200, 2, seed=1)
    g = case_graph(graph)
    for objective in ["fragmentation", "distance_fragmentation", "reach"]:
        one = g.key_players(3, objective, seed=4, threads=1)
        two = g.key_players(3, objective, seed=4, threads=2)
        assert one.table.equals(two.table)
        assert one.trace.equals(two.trace)


def test_result_object_faces():
    graph = nx.karate_club_graph()
    kp = case_graph(graph).key_players(3)
    assert isinstance(kp, KeyPlayers)
    assert kp.table.columns == ["node", "order"]
    assert kp.trace.columns == ["start", "step", "move", "added", "removed", "value"]
    assert "Key players" in kp._repr_html_()
    assert "fragmentation" in repr(kp)
    ax = kp.plot()
    assert ax.get_ylabel() == "fragmentation"
    with pytest.raises(AttributeError):
        kp.value = 0.0  # type: ignore[misc]


def test_key_player_errors():
    g = case_graph(nx.path_graph(4))
    with pytest.raises(ArgumentError, match="at least two of the 4 nodes"):
        g.key_players(3)
    with pytest.raises(ArgumentError, match="`k`: must be at least 1"):
        g.key_players(0)
    with pytest.raises(ArgumentError, match="objective"):
        g.key_players(1, "betweenness")  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match="`distance`"):
        g.key_players(1, "reach", distance=0)
    nodes = pl.DataFrame({"node": [0, 1, 2, 3], "role": ["victim"] * 3 + ["offender"]})
    victims = case_graph(nx.path_graph(4), nodes)
    with pytest.raises(ArgumentError, match=r"only 1 nodes may be chosen \(roles \[\"victim\"\]"):
        victims.key_players(2, "reach")


# ------------------------------------------------------------------------------ targets


def test_top_leaves_victims_out_and_keeps_the_measure(karate):
    roles = ["victim" if v in (0, 33) else "suspect" for v in karate]
    nodes = node_frame(karate).with_columns(role=pl.Series(roles))
    g = case_graph(karate, nodes)
    degree = g.degree()
    top = g.top(degree, 3)
    assert top.columns == ["rank", "node", "degree"]
    assert top["rank"].to_list() == [1, 2, 3]
    assert 0 not in top["node"].to_list()
    assert 33 not in top["node"].to_list()
    expected = sorted(
        (v for v in karate if v not in (0, 33)), key=lambda v: (-karate.degree(v), v)
    )[:3]
    assert top["node"].to_list() == expected
    assert g.top(degree, 2, exclude_roles=None)["node"].to_list() == [33, 0]
    assert g.top(degree, None).height == 32
    eligible = g.eligible_targets()
    assert eligible.filter(~pl.col("eligible"))["node"].to_list() == [0, 33]


def test_top_skips_nulls_and_needs_a_column(karate):
    g = case_graph(karate)
    constraint = g.constraint()
    assert g.top(constraint, 1)["node"].to_list() == [
        max(karate, key=lambda v: nx.constraint(karate)[v])
    ]
    both = g.degree().join(constraint, on="node")
    with pytest.raises(ArgumentError, match="name the one to rank by"):
        g.top(both)
    ranked = g.top(both, 2, column="constraint")
    assert ranked.columns == ["rank", "node", "degree", "constraint"]
    with_null = pl.DataFrame({"node": [0, 1, 2], "score": [None, 1.0, 2.0]})
    assert g.top(with_null)["node"].to_list() == [2, 1]
    with pytest.raises(ArgumentError, match="NaN score"):
        g.top(pl.DataFrame({"node": [0, 1], "score": [float("nan"), 1.0]}))
    with pytest.raises(BadValueError):
        g.top(pl.DataFrame({"node": [0, None], "score": [1.0, 2.0]}))
