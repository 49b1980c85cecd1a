"""Disruption simulation: hand-checkable cases (star, path, barbell), every step's measures
against networkx on the graph left (computed here by replaying the removals and the repair),
the strategies' choices against networkx's measures, recalculated against ranked-once, the
repair rule, seeds and threads, victims, Ctrl-C, and every error.

Tolerances: efficiency and fractions rtol 1e-12; a strategy's choice must score within 1e-9 of
networkx's best (1e-6 for PageRank, an iterative measure run to 1e-10 by us, 1e-12 by networkx).
"""

from __future__ import annotations

import os
import random
import signal
import threading

import matplotlib
import networkx as nx
import polars as pl
import pytest

import aluna
from aluna.disruption import Disruption
from aluna.exceptions import ArgumentError, EmptyInputError

from .conftest import edge_frame, node_frame

matplotlib.use("Agg")


def case_graph(graph: nx.Graph, roles: dict | None = None) -> aluna.CaseGraph:
    """The networkx graph as a CaseGraph whose node order is networkx's (isolates kept)."""
    nodes = node_frame(graph)
    if roles is not None:
        nodes = nodes.with_columns(role=pl.Series([roles.get(v, "offender") for v in graph]))
    return aluna.CaseGraph.from_edges(edge_frame(graph), directed=graph.is_directed(), nodes=nodes)


def simple(graph: nx.Graph) -> nx.Graph:
    """The undirected simple graph without self-loops the simulation works on."""
    h = nx.Graph(graph.to_undirected() if graph.is_directed() else graph)
    h.remove_edges_from(list(nx.selfloop_edges(h)))
    return h


def measures(left: nx.Graph, n: int) -> dict:
    comps = list(nx.connected_components(left))
    largest = max((len(c) for c in comps), default=0)
    k = left.number_of_nodes()
    pairs = sum(len(c) * (len(c) - 1) for c in comps)
    return {
        "nodes_left": k,
        "links": left.number_of_edges(),
        "components": len(comps),
        "largest_component": largest,
        "largest_component_fraction": largest / n,
        "fragmentation": 1 - pairs / (k * (k - 1)) if k >= 2 else None,
        "efficiency": nx.global_efficiency(left),
    }


def reference_scores(left: nx.Graph, strategy: str) -> dict:
    if strategy == "degree":
        return dict(left.degree())
    if strategy == "betweenness":
        return nx.betweenness_centrality(left)
    if strategy == "pagerank":
        return nx.pagerank(left, weight=None, tol=1e-12, max_iter=10_000)
    raise AssertionError(strategy)


def assert_replays(graph: nx.Graph, result: Disruption, *, roles: dict | None = None) -> None:
    """Replay the removals (and repairs) on networkx and check every step's measures."""
    left = simple(graph)
    n = left.number_of_nodes()
    added = result.added_links
    source, target = added.columns[1], added.columns[2]
    for row in result.table.iter_rows(named=True):
        if row["step"] > 0:
            v = row["node"]
            assert (roles or {}).get(v) != "victim"
            contacts = set(left[v])
            left.remove_node(v)
            links = added.filter(pl.col("step") == row["step"])
            for a, b in zip(links[source], links[target], strict=True):
                assert {a, b} <= contacts
                assert not left.has_edge(a, b)
                left.add_edge(a, b)
        expected = measures(left, n)
        for key, value in expected.items():
            got = row[key]
            if value is None or isinstance(value, int):
                assert got == value, (row["step"], key)
            else:
                assert got == pytest.approx(value, rel=1e-12, abs=1e-15), (row["step"], key)


def random_graph(seed: int, *, directed: bool = False, n: int = 40) -> nx.Graph:
    """Sparse, several components, isolates and self-loops."""
    rng = random.Random(seed)
    g = nx.gnp_random_graph(n, 2.5 / n, seed=seed, directed=directed)
    for v in rng.sample(list(g), 3):
        g.add_edge(v, v)
    g.add_node(n)
    return g


GRAPHS = {
    "karate": nx.karate_club_graph(),
    "florentine": nx.florentine_families_graph(),
    "les-miserables": nx.les_miserables_graph(),
    "random-7": random_graph(7),
    "directed-8": random_graph(8, directed=True),
}


# ---------------------------------------------------------------------------- by hand


def efficiencies(graph: nx.Graph, removed: list) -> list[float]:
    """networkx's global efficiency of the graph as given, then after each removal."""
    left = graph.copy()
    out = [nx.global_efficiency(left)]
    for v in removed:
        left.remove_node(v)
        out.append(nx.global_efficiency(left))
    return out


def test_star_falls_apart_when_the_hub_goes():
    star = nx.star_graph(5)  # hub 0 and leaves 1..5
    d = case_graph(star).disruption("degree", steps=2)
    assert d.table.select("step", "node", "score", "components", "largest_component").rows() == [
        (0, None, None, 1, 6),
        (1, 0, 5.0, 5, 1),
        (2, 1, 0.0, 4, 1),
    ]
    # (10 pairs at distance 1 + 20 at distance 2 halved) / 30.
    assert d.table["efficiency"].to_list() == [pytest.approx((10 + 20 / 2) / 30), 0.0, 0.0]
    assert d.table["largest_component_fraction"].to_list() == [1.0, 1 / 6, 1 / 6]
    assert d.removed == [0, 1]
    assert d.table["efficiency"].to_list() == pytest.approx(efficiencies(star, d.removed))


def test_path_loses_its_middle_to_betweenness():
    path = nx.path_graph(7)
    d = case_graph(path).disruption("betweenness", steps=3)
    # The middle (3) first; then 1 and 5 are the middles of the halves (tied: the earlier goes).
    assert d.removed == [3, 1, 5]
    assert d.table["components"].to_list() == [1, 2, 3, 4]
    assert d.table["largest_component"].to_list() == [7, 3, 3, 1]
    assert d.table["score"][1] == pytest.approx(nx.betweenness_centrality(path)[3])
    assert d.table["largest_component_fraction"].to_list() == [1.0, 3 / 7, 3 / 7, 1 / 7]
    assert d.table["efficiency"].to_list() == pytest.approx(efficiencies(path, d.removed))
    # Degree: every inner node has two contacts, the earliest (1) goes; then 2 has one left,
    # and 3 is the earliest with two: {0}, {2} and 4 - 5 - 6 are left.
    d = case_graph(path).disruption("degree", steps=2)
    assert d.removed == [1, 3]
    assert d.table["components"].to_list() == [1, 2, 3]
    assert d.table["largest_component_fraction"].to_list() == [1.0, 5 / 7, 3 / 7]
    assert d.table["efficiency"].to_list() == pytest.approx(efficiencies(path, d.removed))


def test_barbell_is_cut_at_its_bridge():
    barbell = nx.barbell_graph(5, 1)  # two 5-cliques joined through node 5
    for strategy in ("betweenness", "key_players"):
        d = case_graph(barbell).disruption(strategy, steps=1)
        assert d.removed == [5]
        row = d.table.row(1, named=True)
        assert (row["components"], row["largest_component"]) == (2, 5)
        assert row["fragmentation"] == pytest.approx(1 - 2 * 5 * 4 / (10 * 9))
    # Degree goes for the clique member at the bridge instead (five contacts), which cuts off
    # the other four of its clique: a smaller split.
    d = case_graph(barbell).disruption("degree", steps=1)
    assert d.removed == [4]
    assert d.table["components"].to_list() == [1, 2]
    assert d.table["largest_component"].to_list() == [11, 6]
    assert d.table["efficiency"].to_list() == pytest.approx(efficiencies(barbell, d.removed))


def test_two_cliques_joined_by_a_bridge():
    """Two 5-cliques joined by the link 4 - 5: its two ends tie on every measure (the earlier,
    4, goes); the rest of its clique stays whole, so 2 components, the largest 5 of 10."""
    cliques = nx.barbell_graph(5, 0)
    assert list(nx.bridges(cliques)) == [(4, 5)]
    for strategy in ("degree", "betweenness", "pagerank"):
        for recalculate in (True, False):
            d = case_graph(cliques).disruption(strategy, steps=2, recalculate=recalculate)
            assert d.removed[0] == 4, (strategy, recalculate)
            first = d.table.row(1, named=True)
            assert (first["components"], first["largest_component"]) == (2, 5)
            assert first["largest_component_fraction"] == 5 / 10
            assert first["fragmentation"] == pytest.approx(1 - (4 * 3 + 5 * 4) / (9 * 8))
            assert d.table["efficiency"].to_list() == pytest.approx(
                efficiencies(cliques, d.removed), rel=1e-12
            )
    # Second, degree takes 5 either way: recalculated, it ties on four contacts with the rest
    # of its clique (the others have three) and is the earliest; ranked once, it had five.
    assert case_graph(cliques).disruption("degree", steps=2).removed == [4, 5]
    # Key players: removing either end of the bridge fragments the most; the seeded order
    # breaks the tie.
    ours = case_graph(cliques)
    ends = {ours.disruption("key_players", steps=1, seed=s).removed[0] for s in range(8)}
    assert ends == {4, 5}


# ---------------------------------------------------------------------------- against networkx


@pytest.mark.parametrize("name", list(GRAPHS))
@pytest.mark.parametrize("strategy", ["degree", "betweenness", "pagerank"])
@pytest.mark.parametrize("recalculate", [True, False])
def test_choices_and_measures_equal_networkx(name, strategy, recalculate):
    graph = GRAPHS[name]
    steps = min(8, graph.number_of_nodes() - 2)
    d = case_graph(graph).disruption(strategy, steps=steps, recalculate=recalculate)
    assert_replays(graph, d)
    tolerance = 1e-6 if strategy == "pagerank" else 1e-9
    left = simple(graph)
    initial = reference_scores(left, strategy)
    for v, score in zip(d.removed, d.table["score"][1:], strict=True):
        scores = reference_scores(left, strategy) if recalculate else initial
        remaining = {u: s for u, s in scores.items() if u in left}
        assert score == pytest.approx(scores[v], abs=tolerance)
        assert scores[v] >= max(remaining.values()) - tolerance
        left.remove_node(v)


def test_degree_choices_follow_node_order_exactly():
    """Integer scores tie exactly: the earlier node (networkx's node order here) goes."""
    graph = GRAPHS["les-miserables"]
    order = {v: i for i, v in enumerate(graph)}
    left = simple(graph)
    expected = []
    for _ in range(10):
        degrees = dict(left.degree())
        best = max(degrees.values())
        v = min((u for u, d in degrees.items() if d == best), key=order.__getitem__)
        expected.append(v)
        left.remove_node(v)
    assert case_graph(graph).disruption("degree", steps=10).removed == expected


def test_recalculated_differs_from_ranked_once_on_a_known_graph():
    """Hubs a and b with four leaves each, joined through the chain a - x - y - b, x holding
    three leaves of its own (15 people). Betweenness ranks x first (0.7253), then a and b tied
    (0.5055). Ranked once, a goes second (the earlier node). Recalculated after x is gone, b is
    the centre of a star of five (its leaves and y): 10 of the 78 pairs of the 13 others, against
    a's 6 of 78, so b goes second; then a, with 6 of the 66 pairs left."""
    g = nx.Graph()
    g.add_edges_from(("a", f"a{i}") for i in range(4))
    g.add_edges_from(("b", f"b{i}") for i in range(4))
    g.add_edges_from([("a", "x"), ("x", "y"), ("y", "b")])
    g.add_edges_from(("x", f"x{i}") for i in range(3))
    ours = case_graph(g)
    once = ours.disruption("betweenness", steps=3, recalculate=False)
    again = ours.disruption("betweenness", steps=3, recalculate=True)
    ranked = nx.betweenness_centrality(g)
    assert once.removed == ["x", "a", "b"]
    assert once.table["score"].to_list()[1:] == pytest.approx([ranked[v] for v in "xab"])
    assert again.removed == ["x", "b", "a"]
    assert again.table["score"].to_list()[1:] == pytest.approx([ranked["x"], 10 / 78, 6 / 66])
    assert_replays(g, once)
    assert_replays(g, again)
    # Degree: the same order either way here, but recalculated scores are the contacts left
    # (x lost its link to a by the time it goes).
    once_d = ours.disruption("degree", steps=3, recalculate=False)
    again_d = ours.disruption("degree", steps=3, recalculate=True)
    assert once_d.removed == again_d.removed == ["a", "b", "x"]
    assert once_d.table["score"].to_list()[1:] == [5.0, 5.0, 5.0]
    assert again_d.table["score"].to_list()[1:] == [5.0, 5.0, 4.0]


def test_key_players_strategy():
    graph = GRAPHS["karate"]
    ours = case_graph(graph)
    once = ours.disruption("key_players", steps=3, recalculate=False, seed=2)
    assert once.removed == ours.key_players(3, seed=2).nodes
    assert_replays(graph, once)
    greedy = ours.disruption("key_players", steps=4)
    assert_replays(graph, greedy)
    left = simple(graph)
    for v, score in zip(greedy.removed, greedy.table["score"][1:], strict=True):
        after = {}
        for u in left:
            rest = left.copy()
            rest.remove_node(u)
            after[u] = measures(rest, 34)["fragmentation"]
        assert score == pytest.approx(after[v], abs=1e-12)
        assert after[v] >= max(after.values()) - 1e-12
        left.remove_node(v)


# ---------------------------------------------------------------------------- repair


def test_full_repair_links_every_pair_of_contacts():
    graph = GRAPHS["karate"]
    d = case_graph(graph).disruption(
        "degree", steps=3, recovery="neighbours", recovery_probability=1.0
    )
    left = simple(graph)
    for step, v in enumerate(d.removed, start=1):
        contacts = sorted(left[v])
        left.remove_node(v)
        missing = {
            (a, b)
            for i, a in enumerate(contacts)
            for b in contacts[i + 1 :]
            if not left.has_edge(a, b)
        }
        links = d.added_links.filter(pl.col("step") == step)
        assert set(zip(links["source"], links["target"], strict=True)) == missing
        left.add_edges_from(missing)
    assert_replays(graph, d)
    # The repaired network ends more efficient than the network as given.
    assert d.table["efficiency"][-1] > d.table["efficiency"][0]


def test_partial_repair_is_a_seeded_share_of_the_open_pairs():
    graph = GRAPHS["les-miserables"]
    ours = case_graph(graph)
    kwargs = {"steps": 6, "recovery": "neighbours", "recovery_probability": 0.3}
    d = ours.disruption("betweenness", seed=5, **kwargs)
    assert_replays(graph, d)
    assert d.table["links_added"].sum() == d.added_links.height > 0
    assert ours.disruption("betweenness", seed=5, **kwargs).table.equals(d.table)
    other = ours.disruption("betweenness", seed=6, **kwargs)
    assert not other.added_links.equals(d.added_links)
    # About 30% of the open pairs, over many repairs of a dense graph.
    dense = nx.gnp_random_graph(60, 0.2, seed=1)
    big = case_graph(dense).disruption("degree", seed=3, **{**kwargs, "steps": 20})
    left, open_pairs = simple(dense), 0
    for v in big.removed:
        contacts = list(left[v])
        left.remove_node(v)
        open_pairs += sum(
            not left.has_edge(a, b) for i, a in enumerate(contacts) for b in contacts[i + 1 :]
        )
        step = big.removed.index(v) + 1
        links = big.added_links.filter(pl.col("step") == step)
        left.add_edges_from(zip(links["source"], links["target"], strict=True))
    share = big.added_links.height / open_pairs
    assert 0.25 < share < 0.35


def test_repair_by_hand():
    """Duijn, Kashirin & Sloot's point, by hand: a star of four whose hub is arrested. Without
    repair it falls into four isolated people (efficiency 0); with every pair of the hub's
    contacts re-linking, they form a clique (efficiency 1, above the star's 0.7)."""
    star = nx.star_graph(4)
    ours = case_graph(star)
    plain = ours.disruption("degree", steps=1)
    healed = ours.disruption("degree", steps=1, recovery="neighbours", recovery_probability=1.0)
    assert plain.table.select("components", "links", "efficiency").rows() == [
        (1, 4, pytest.approx(0.7)),
        (4, 0, 0.0),
    ]
    assert healed.table.select("components", "links", "links_added", "efficiency").rows() == [
        (1, 4, 0, pytest.approx(0.7)),
        (1, 6, 6, 1.0),
    ]
    assert healed.added_links.rows() == [
        (1, 1, 2),
        (1, 1, 3),
        (1, 1, 4),
        (1, 2, 3),
        (1, 2, 4),
        (1, 3, 4),
    ]
    # Links already there are not added again; a repair only links the removed person's
    # contacts. 0 - 1 - 2 - 3 plus 0 - 2: node 2 goes (three contacts: 0, 1 and 3), 0 - 1 are
    # linked already, so 0 - 3 and 1 - 3 are added.
    path = nx.path_graph(4)
    path.add_edge(0, 2)
    d = case_graph(path).disruption(
        "degree", steps=1, recovery="neighbours", recovery_probability=1.0
    )
    assert d.removed == [2]  # three contacts: 0, 1 and 3
    assert sorted(d.added_links.select("source", "target").rows()) == [(0, 3), (1, 3)]
    assert_replays(path, d)


def test_no_repair_at_probability_zero():
    d = case_graph(GRAPHS["karate"]).disruption(
        "degree", steps=5, recovery="neighbours", recovery_probability=0.0
    )
    assert d.added_links.height == 0
    plain = case_graph(GRAPHS["karate"]).disruption("degree", steps=5)
    assert d.table.equals(plain.table)


# ---------------------------------------------------------------------------- seeds, threads


@pytest.mark.parametrize("strategy", ["degree", "betweenness", "pagerank", "key_players"])
@pytest.mark.parametrize("recalculate", [True, False])
def test_same_seed_same_result(strategy, recalculate):
    ours = case_graph(GRAPHS["les-miserables"])
    kwargs = {
        "steps": 5,
        "recalculate": recalculate,
        "recovery": "neighbours",
        "recovery_probability": 0.4,
    }
    a = ours.disruption(strategy, seed=21, **kwargs)
    b = ours.disruption(strategy, seed=21, **kwargs)
    assert a.table.equals(b.table)
    assert a.added_links.equals(b.added_links)


def test_random_strategy_is_reproducible_by_seed():
    ours = case_graph(GRAPHS["les-miserables"])
    a = ours.disruption("random", steps=10, seed=11)
    assert a.table["score"][1:].is_null().all()
    assert ours.disruption("random", steps=10, seed=11).table.equals(a.table)
    assert ours.disruption("random", steps=10, seed=12).removed != a.removed
    assert_replays(GRAPHS["les-miserables"], a)


@pytest.mark.parametrize("strategy", ["degree", "betweenness", "pagerank", "key_players", "random"])
def test_identical_for_any_thread_count(strategy):
    graph = nx.barabasi_albert_graph(300, 2, seed=4)
    ours = case_graph(graph)
    kwargs = {"steps": 6, "recovery": "neighbours", "recovery_probability": 0.2, "seed": 9}
    one = ours.disruption(strategy, threads=1, **kwargs)
    two = ours.disruption(strategy, threads=2, **kwargs)
    assert one.table.equals(two.table)
    assert one.added_links.equals(two.added_links)


# ---------------------------------------------------------------------------- victims


def test_victims_are_never_removed_but_stay_in_the_network():
    graph = nx.star_graph(4)
    roles = {0: "victim"}
    ours = case_graph(graph, roles)
    for strategy in ("degree", "betweenness", "pagerank", "key_players", "random"):
        d = ours.disruption(strategy, steps=2)
        assert 0 not in d.removed
        assert d.table["nodes_left"].to_list() == [5, 4, 3]
        assert_replays(graph, d, roles=roles)
    # Leaving nobody out, the hub goes first.
    assert ours.disruption("degree", steps=1, exclude_roles=None).removed == [0]
    with pytest.raises(ArgumentError, match="only 4 of the 5 people may be removed"):
        ours.disruption("degree", steps=5)


# ---------------------------------------------------------------------------- result object


def test_result_object_faces():
    d = case_graph(GRAPHS["florentine"]).disruption(
        "betweenness", steps=3, recovery="neighbours", recovery_probability=0.5
    )
    assert d.steps == 3
    assert d.table.columns == [
        "step",
        "node",
        "score",
        "nodes_left",
        "links",
        "links_added",
        "components",
        "largest_component",
        "largest_component_fraction",
        "fragmentation",
        "efficiency",
    ]
    assert d.added_links.columns == ["step", "source", "target"]
    assert repr(d).startswith("Disruption(strategy='betweenness', steps=3")
    page = d._repr_html_()
    assert "Disruption simulation" in page
    assert "re-link with p = 0.5" in page
    ax = d.plot()
    ax = case_graph(GRAPHS["florentine"]).disruption("random", steps=3).plot(ax=ax)
    assert len(ax.get_lines()) == 4
    quiet = case_graph(GRAPHS["florentine"]).disruption("degree", steps=2, efficiency=False)
    assert quiet.table["efficiency"].is_null().all()
    assert len(quiet.plot().get_lines()) == 1
    with pytest.raises(ArgumentError, match="`measures`"):
        d.plot(measures=["diameter"])


def test_html_escapes_ids_and_plot_draws_the_curve():
    g = nx.path_graph(["<b>a</b>", "b&c", "d", "e"])
    d = case_graph(g).disruption("betweenness", steps=2, exclude_roles=None)
    page = d._repr_html_()
    assert "<b>a</b>" not in page
    assert "b&amp;c" in page
    assert page.count("<tr>") == 1 + 3  # header + steps 0, 1, 2
    ax = d.plot(measures=["largest_component_fraction", "efficiency", "fragmentation"])
    lines = ax.get_lines()
    assert len(lines) == 3
    assert list(lines[0].get_xdata()) == [0, 1, 2]
    assert list(lines[0].get_ydata()) == d.table["largest_component_fraction"].to_list()
    assert list(lines[1].get_ydata()) == d.table["efficiency"].to_list()
    assert ax.get_xlabel() == "people removed"
    assert "betweenness (recalculated)" in lines[0].get_label()
    import matplotlib.pyplot as plt

    plt.close("all")


# ---------------------------------------------------------------------------- errors, Ctrl-C


def test_bad_input_is_refused():
    ours = case_graph(GRAPHS["florentine"])
    with pytest.raises(ArgumentError, match="`strategy`"):
        ours.disruption("closeness")  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match="`recovery`"):
        ours.disruption(recovery="rewire")  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match="`steps`: must be at least 1"):
        ours.disruption(steps=0)
    with pytest.raises(ArgumentError, match="`steps`: asks for 16 removals"):
        ours.disruption(steps=16)
    for steps in (-1, 2.5, True, "3"):
        with pytest.raises(ArgumentError, match="`steps`: must be at least 1 removal"):
            ours.disruption(steps=steps)  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match="`recovery_probability`"):
        ours.disruption(recovery="neighbours", recovery_probability=1.5)
    with pytest.raises(ArgumentError, match="`recovery_probability`"):
        ours.disruption(recovery="neighbours", recovery_probability=float("nan"))
    with pytest.raises(ArgumentError, match="needs at least two of the 15 people left"):
        ours.disruption("key_players", steps=14, recalculate=False)
    with pytest.raises(ArgumentError, match="unknown role"):
        ours.disruption(exclude_roles=("boss",))
    with pytest.raises(ArgumentError, match="`threads`"):
        ours.disruption(threads=0)
    nobody = aluna.CaseGraph.from_edges(
        pl.DataFrame(schema={"source": pl.Int64, "target": pl.Int64}),
        nodes=pl.DataFrame(schema={"node": pl.Int64}),
    )
    assert nobody.number_of_nodes() == 0
    for strategy in ("degree", "random"):
        with pytest.raises(EmptyInputError, match="the graph has no people"):
            nobody.disruption(strategy, steps=1)


def test_ctrl_c_interrupts_a_long_simulation():
    graph = nx.barabasi_albert_graph(6_000, 3, seed=2)
    ours = case_graph(graph)
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            ours.disruption("betweenness", steps=200, threads=1)
    finally:
        timer.cancel()
