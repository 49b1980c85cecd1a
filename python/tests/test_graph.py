"""CaseGraph core: agreement with networkx on public and random graphs, and every error case."""

from __future__ import annotations

import random
from datetime import date, datetime

import networkx as nx
import polars as pl
import pytest
from polars.testing import assert_frame_equal

import aluna
from aluna.exceptions import (
    AlunaError,
    ArgumentError,
    BadValueError,
    ColumnError,
    DuplicateError,
    EmptyInputError,
    UnknownNodeError,
)

from .conftest import edge_frame, node_frame


def nx_degree_frame(graph: nx.Graph, weight: str | None = None, view=None) -> pl.DataFrame:
    view = view if view is not None else graph.degree(weight=weight)
    name = "strength" if weight else "degree"
    values = dict(view)
    dtype = pl.Float64 if weight else pl.Int64
    return pl.DataFrame({"node": list(values), name: pl.Series(list(values.values()), dtype=dtype)})


def partition(frame: pl.DataFrame) -> set[frozenset]:
    groups = frame.group_by("component").agg(pl.col("node"))
    return {frozenset(nodes) for nodes in groups["node"].to_list()}


def random_graph(seed: int, *, directed: bool, string_ids: bool) -> nx.Graph:
    """A sparse random graph with isolated nodes and self-loops."""
    rng = random.Random(seed)
    g = nx.gnp_random_graph(60, 0.03, seed=seed, directed=directed)
    for v in rng.sample(list(g.nodes()), 5):
        g.add_edge(v, v)
    if string_ids:
        g = nx.relabel_nodes(g, {v: f"person-{v:03d}" for v in g.nodes()})
    return g


@pytest.mark.parametrize("name", ["karate", "florentine", "les_miserables"])
def test_degree_and_components_match_networkx_on_public_graphs(public_graphs, name):
    graph = public_graphs[name]
    ours = aluna.CaseGraph.from_edges(edge_frame(graph))
    assert ours.number_of_nodes() == graph.number_of_nodes()
    assert ours.number_of_edges() == graph.number_of_edges()
    assert_frame_equal(ours.degree().sort("node"), nx_degree_frame(graph).sort("node"))
    assert partition(ours.components()) == {frozenset(c) for c in nx.connected_components(graph)}


def test_weighted_degree_matches_networkx_on_les_miserables(les_miserables):
    ours = aluna.CaseGraph.from_edges(edge_frame(les_miserables, "weight"), weight="weight")
    expected = nx_degree_frame(les_miserables, "weight")
    assert_frame_equal(ours.degree("weight").sort("node"), expected.sort("node"), rel_tol=1e-12)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("string_ids", [False, True])
def test_random_undirected_graphs_with_isolates_and_self_loops(seed, string_ids):
    graph = random_graph(seed, directed=False, string_ids=string_ids)
    assert any(d == 0 for _, d in graph.degree())
    ours = aluna.CaseGraph.from_edges(edge_frame(graph), nodes=node_frame(graph))
    assert ours.number_of_nodes() == graph.number_of_nodes()
    assert_frame_equal(ours.degree().sort("node"), nx_degree_frame(graph).sort("node"))
    assert partition(ours.components()) == {frozenset(c) for c in nx.connected_components(graph)}


@pytest.mark.parametrize("seed", range(5))
def test_random_directed_graphs_match_networkx(seed):
    graph = random_graph(seed, directed=True, string_ids=seed % 2 == 1)
    ours = aluna.CaseGraph.from_edges(edge_frame(graph), nodes=node_frame(graph), directed=True)
    for direction, view in [
        ("all", graph.degree()),
        ("in", graph.in_degree()),
        ("out", graph.out_degree()),
    ]:
        assert_frame_equal(
            ours.degree(direction=direction).sort("node"),
            nx_degree_frame(graph, view=view).sort("node"),
        )
    weak = {frozenset(c) for c in nx.weakly_connected_components(graph)}
    strong = {frozenset(c) for c in nx.strongly_connected_components(graph)}
    assert partition(ours.components()) == weak
    assert partition(ours.components(strong=True)) == strong


def test_components_are_numbered_from_the_largest():
    edges = pl.DataFrame({"source": [1, 3, 4, 6], "target": [2, 4, 5, 6]})
    comps = aluna.CaseGraph.from_edges(edges).components()
    sizes = comps.group_by("component").len().sort("component")["len"].to_list()
    assert sizes == sorted(sizes, reverse=True)


def test_multigraph_degree_matches_networkx_multigraph():
    edges = pl.DataFrame({"source": ["a", "b", "a", "c"], "target": ["b", "a", "b", "c"]})
    ours = aluna.CaseGraph.from_edges(edges, multigraph=True)
    ref = nx.MultiGraph(list(zip(edges["source"], edges["target"], strict=True)))
    assert ours.number_of_edges() == ref.number_of_edges()
    assert_frame_equal(ours.degree().sort("node"), nx_degree_frame(ref).sort("node"))
    assert ours.edges(per_link=True).height == 4
    merged = aluna.CaseGraph.from_edges(edges)
    assert merged.edges().sort("source")["links"].to_list() == [3, 1]


def test_to_networkx_round_trip(les_miserables):
    ours = aluna.CaseGraph.from_edges(edge_frame(les_miserables, "weight"), weight="weight")
    back = ours.to_networkx()
    assert nx.utils.graphs_equal(back, les_miserables)


def test_subgraph_of_nodes_matches_networkx(karate):
    keep = [0, 1, 2, 3, 7, 13, 33]
    ours = aluna.CaseGraph.from_edges(edge_frame(karate)).subgraph(keep)
    assert_frame_equal(
        ours.degree().sort("node"), nx_degree_frame(karate.subgraph(keep)).sort("node")
    )


def test_subgraph_by_time_and_link_type():
    edges = pl.DataFrame(
        {
            "source": ["a", "a", "b", "c"],
            "target": ["b", "b", "c", "d"],
            "kind": ["phone", "payment", "phone", "device"],
            "seen": [date(2024, 1, 5), date(2024, 6, 1), date(2024, 6, 2), date(2024, 9, 1)],
        }
    )
    g = aluna.CaseGraph.from_edges(edges, link_type="kind", time="seen")
    merged = g.edges().sort("source")
    assert merged["link_types"].to_list()[0] == ["phone", "payment"]
    assert merged["first_seen"].to_list()[0] == date(2024, 1, 5)
    assert merged["last_seen"].to_list()[0] == date(2024, 6, 1)
    june = g.subgraph(start=date(2024, 6, 1), end="2024-07-01")
    assert june.number_of_nodes() == 4
    assert june.edges().sort("source")[["source", "target"]].rows() == [("a", "b"), ("b", "c")]
    phones = g.subgraph(link_types=["phone"])
    assert phones.number_of_edges() == 2
    with pytest.raises(ArgumentError, match="unknown link type"):
        g.subgraph(link_types=["fax"])
    with pytest.raises(ArgumentError, match="no time"):
        aluna.CaseGraph.from_edges(edges).subgraph(start=date(2024, 1, 1))


def test_datetime_windows_respect_time_zones():
    seen = [datetime(2024, 1, 1, 10), datetime(2024, 1, 1, 12)]
    edges = pl.DataFrame({"source": [1, 2], "target": [2, 3], "t": seen}).with_columns(
        pl.col("t").dt.replace_time_zone("UTC")
    )
    g = aluna.CaseGraph.from_edges(edges, time="t")
    window = g.subgraph(start=datetime(2024, 1, 1, 11), end=datetime(2024, 1, 1, 13))
    assert window.edges()[["source", "target"]].rows() == [(2, 3)]


def test_node_table_roles_and_attributes():
    edges = pl.DataFrame({"source": ["o1", "o1"], "target": ["v1", "s1"]})
    nodes = pl.DataFrame(
        {"node": ["o1", "v1", "s1", "w1"], "role": ["offender", "Victim", None, "witness"]}
    )
    g = aluna.CaseGraph.from_edges(edges, nodes=nodes)
    assert g.nodes().rows() == [
        ("o1", "offender"),
        ("v1", "victim"),
        ("s1", "unknown"),
        ("w1", "witness"),
    ]
    ages = pl.DataFrame({"node": ["s1", "o1"], "age": [30, 41]})
    assert g.with_node_attributes(ages).nodes()["age"].to_list() == [41, None, 30, None]


# ------------------------------------------------------------------------- bad input


def test_missing_column_names_it():
    edges = pl.DataFrame({"src": [1], "dst": [2]})
    with pytest.raises(ColumnError, match="column `source` not found; the table has: src, dst"):
        aluna.CaseGraph.from_edges(edges)


def test_wrong_id_dtype_names_column():
    edges = pl.DataFrame({"source": [1.5], "target": [2.5]})
    with pytest.raises(ColumnError, match="column `source`: expected integer or string ids"):
        aluna.CaseGraph.from_edges(edges)


def test_mixed_id_kinds_are_refused():
    edges = pl.DataFrame({"source": [1], "target": ["b"]})
    with pytest.raises(ColumnError, match="column `target`: expected integer ids"):
        aluna.CaseGraph.from_edges(edges)


def test_null_id_names_row():
    edges = pl.DataFrame({"source": ["a", "b", None], "target": ["b", "c", "d"]})
    with pytest.raises(BadValueError, match="column `source`, row 2: null"):
        aluna.CaseGraph.from_edges(edges)


@pytest.mark.parametrize(("value", "shown"), [(float("nan"), "NaN"), (-1.0, "-1")])
def test_bad_weights_name_row(value, shown):
    edges = pl.DataFrame({"source": [1, 2], "target": [2, 3], "w": [1.0, value]})
    with pytest.raises(BadValueError, match=f"column `w`, row 1: .*found {shown}"):
        aluna.CaseGraph.from_edges(edges, weight="w")


def test_empty_edges_are_refused_unless_nodes_are_given():
    empty = pl.DataFrame(
        {"source": [], "target": []}, schema={"source": pl.Utf8, "target": pl.Utf8}
    )
    with pytest.raises(EmptyInputError, match="edge table has no rows"):
        aluna.CaseGraph.from_edges(empty)
    g = aluna.CaseGraph.from_edges(empty, nodes=pl.DataFrame({"node": ["a", "b"]}))
    assert (g.number_of_nodes(), g.number_of_edges()) == (2, 0)
    assert g.components()["component"].to_list() == [0, 1]


def test_unknown_and_duplicate_nodes():
    g = aluna.CaseGraph.from_edges(pl.DataFrame({"source": ["a"], "target": ["b"]}))
    with pytest.raises(UnknownNodeError, match='unknown node "zed"'):
        g.subgraph(["a", "zed"])
    with pytest.raises(DuplicateError, match="row 1: duplicate value"):
        g.with_node_attributes(pl.DataFrame({"node": ["a", "a"], "x": [1, 2]}))
    with pytest.raises(BadValueError, match="column `role`, row 0"):
        g.with_node_attributes(pl.DataFrame({"node": ["a"], "role": ["boss"]}))


def test_weight_must_be_the_graphs():
    g = aluna.CaseGraph.from_edges(pl.DataFrame({"source": ["a"], "target": ["b"]}))
    with pytest.raises(ArgumentError, match="the graph has no weight"):
        g.degree("w")
    with pytest.raises(ArgumentError, match="directed"):
        g.degree(direction="in")


def test_not_a_table():
    with pytest.raises(ArgumentError, match="expected a table"):
        aluna.CaseGraph.from_edges([(1, 2)])


def test_input_errors_are_value_errors_and_aluna_errors():
    edges = pl.DataFrame(
        {"source": [None], "target": [1]}, schema={"source": pl.Int64, "target": pl.Int64}
    )
    with pytest.raises(ValueError) as info:  # noqa: PT011 - the point is the base class
        aluna.CaseGraph.from_edges(edges)
    assert isinstance(info.value, AlunaError)


def test_graph_cannot_be_constructed_directly():
    with pytest.raises(TypeError, match="from_edges"):
        aluna.CaseGraph()
