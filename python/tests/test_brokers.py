"""Brokers: Burt's constraint and effective size against networkx and the formula, and
Gould–Fernandez brokerage against hand counts and R sna::brokerage fixtures."""

from __future__ import annotations

import json
import math
from pathlib import Path

import networkx as nx
import numpy as np
import polars as pl
import pytest

import aluna
from aluna.exceptions import ArgumentError, ColumnError, NotDefinedError

from .conftest import edge_frame, node_frame

RTOL, ATOL = 1e-9, 1e-12
FIXTURES = Path(__file__).parent / "fixtures" / "r"


def case_graph(graph: nx.Graph, weight: str | None = None) -> aluna.CaseGraph:
    return aluna.CaseGraph.from_edges(
        edge_frame(graph, weight),
        weight=weight,
        directed=graph.is_directed(),
        nodes=node_frame(graph),
    )


def assert_measure(frame: pl.DataFrame, expected: dict, column: str) -> None:
    """Values equal where networkx's are numbers; null exactly where they are NaN."""
    got = dict(frame.select("node", column).rows())
    assert set(got) == set(expected)
    for node, value in expected.items():
        if math.isnan(value):
            assert got[node] is None, node
        else:
            assert got[node] is not None, node
            assert abs(got[node] - value) <= ATOL + RTOL * abs(value), (node, got[node], value)


def burt(graph: nx.Graph, weight: str | None) -> tuple[dict, dict]:
    """Constraint and effective size straight from Burt's formulas, with dense matrices."""
    nodes = list(graph)
    a = nx.to_numpy_array(graph, nodelist=nodes, weight=weight, multigraph_weight=sum)
    if not graph.is_directed():
        pass  # to_numpy_array is symmetric already, with a loop's weight on the diagonal
    m = a + a.T
    total = m.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = m / total[:, None]
        mx = m / m.max(axis=1)[:, None]
    p = np.nan_to_num(p)
    mx = np.nan_to_num(mx)
    local = (p + p @ p) ** 2
    constraint = ((m > 0) * local).sum(axis=1)
    effective = ((m > 0) * (1 - p @ mx.T)).sum(axis=1)
    off = total - np.diag(m)
    nan = float("nan")
    return (
        {v: (constraint[i] if off[i] > 0 else nan) for i, v in enumerate(nodes)},
        {v: (effective[i] if off[i] > 0 else nan) for i, v in enumerate(nodes)},
    )


# ------------------------------------------------------------------------------ constraint


@pytest.mark.parametrize(
    ("name", "weight"),
    [
        ("karate", None),
        ("florentine", None),
        ("les_miserables", None),
        ("les_miserables", "weight"),
    ],
)
def test_structural_holes_equal_networkx_on_public_graphs(public_graphs, name, weight):
    graph = public_graphs[name]
    ours = case_graph(graph, weight)
    assert_measure(ours.constraint(weight), nx.constraint(graph, weight=weight), "constraint")
    # networkx's default (sparse-matrix) effective size divides weighted rows by the wrong
    # maximum (networkx/networkx#8906); its per-node path computes Burt's formula as documented.
    expected = nx.effective_size(graph, nodes=list(graph), weight=weight)
    assert_measure(ours.effective_size(weight), expected, "effective_size")
    if weight is None:
        assert_measure(ours.effective_size(), nx.effective_size(graph), "effective_size")


def random_graph(seed: int, *, directed: bool) -> nx.Graph:
    graph = nx.gnp_random_graph(50, 0.06, seed=seed, directed=directed)
    graph.add_edges_from([(1, 1), (7, 7)])
    graph.add_nodes_from([50, 51])  # isolated
    rng = np.random.default_rng(seed)
    for u, v in graph.edges():
        graph[u][v]["weight"] = float(rng.integers(1, 6))
    if seed % 2:
        graph = nx.relabel_nodes(graph, {v: f"person-{v:02d}" for v in graph})
    return graph


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("directed", [False, True])
@pytest.mark.parametrize("weight", [None, "weight"])
def test_structural_holes_on_random_graphs_with_loops_and_isolates(seed, directed, weight):
    graph = random_graph(seed, directed=directed)
    ours = case_graph(graph, weight)
    constraint, effective = burt(graph, weight)
    assert_measure(ours.constraint(weight), constraint, "constraint")
    assert_measure(ours.effective_size(weight), effective, "effective_size")
    # networkx agrees wherever it gives a number by the documented formula.
    reference = nx.constraint(graph, weight=weight)
    got = dict(ours.constraint(weight).rows())
    for node, value in reference.items():
        if not math.isnan(value) and got[node] is not None:
            assert abs(got[node] - value) <= ATOL + RTOL * abs(value)


def test_structural_holes_identical_for_any_thread_count(les_miserables):
    ours = case_graph(les_miserables, "weight")
    for method in (ours.constraint, ours.effective_size):
        assert method("weight", threads=1).equals(method("weight", threads=2))


def test_structural_holes_reject_a_foreign_weight(karate):
    with pytest.raises(ArgumentError, match="not the graph's weight"):
        case_graph(karate).constraint("weight")


# ------------------------------------------------------------------------------ brokerage

ROLES = ["coordinator", "itinerant", "representative", "gatekeeper", "liaison", "total"]


def test_brokerage_five_configurations_by_hand():
    """Gould & Fernandez's five configurations around one broker ``b`` (group B)."""
    groups = {"b": "B", "b2": "B", "b3": "B", "a1": "A", "a2": "A", "c1": "C"}
    edges = pl.DataFrame(
        {
            "source": ["b2", "b", "a1", "b", "b"],
            "target": ["b", "b3", "b", "a2", "c1"],
        }
    )
    g = aluna.CaseGraph.from_edges(edges, directed=True)
    table = g.brokerage(groups)
    counts = dict(table.filter(pl.col("node") == "b").select("role", "count").rows())
    # b2->b->b3 coordinator; b2->b->a2, b2->b->c1 representative; a1->b->b3 gatekeeper;
    # a1->b->a2 itinerant; a1->b->c1 liaison.
    assert counts == {
        "coordinator": 1,
        "itinerant": 1,
        "representative": 2,
        "gatekeeper": 1,
        "liaison": 1,
        "total": 6,
    }
    # A direct link a1 -> a2 leaves nothing to broker between them.
    closed = pl.concat([edges, pl.DataFrame({"source": ["a1"], "target": ["a2"]})])
    table = aluna.CaseGraph.from_edges(closed, directed=True).brokerage(groups)
    counts = dict(table.filter(pl.col("node") == "b").select("role", "count").rows())
    assert counts["itinerant"] == 0
    assert counts["total"] == 5


def load_brokerage_fixture() -> dict:
    return json.loads((FIXTURES / "brokerage.json").read_text())


FIXTURE = load_brokerage_fixture()


@pytest.mark.parametrize("case", FIXTURE["result"], ids=lambda c: c["name"])
def test_brokerage_equals_r_sna(case):
    tolerance = FIXTURE["tolerance"]
    n = case["n"]
    edges = pl.DataFrame(
        {"source": [e[0] for e in case["edges"]], "target": [e[1] for e in case["edges"]]},
        schema={"source": pl.Int64, "target": pl.Int64},
    )
    g = aluna.CaseGraph.from_edges(
        edges, directed=True, nodes=pl.DataFrame({"node": list(range(n))})
    )
    groups = pl.DataFrame({"node": list(range(n)), "group": case["groups"]})
    table = g.brokerage(groups).sort("node", maintain_order=True)
    assert case["roles"] == ["w_I", "w_O", "b_IO", "b_OI", "b_O", "t"]
    by_node = {}
    for row in table.iter_rows(named=True):
        by_node.setdefault(row["node"], {})[row["role"]] = row
    for v in range(n):
        for j, role in enumerate(ROLES):
            row = by_node[v][role]
            assert row["group"] == case["groups"][v]
            assert row["count"] == case["count"][v][j]
            for ours, theirs in [("expected", "expected"), ("std_dev", "sd")]:
                want = case[theirs][v][j]
                assert abs(row[ours] - want) <= tolerance[theirs] * max(1.0, abs(want))
            want = case["z"][v][j]
            if want is None:
                assert row["z"] is None
            else:
                assert abs(row["z"] - want) <= tolerance["z"] * max(1.0, abs(want))


def test_fixture_records_its_provenance():
    assert FIXTURE["made_by"] == "python/tests/fixtures/r/make_brokerage.R"
    assert FIXTURE["r_version"].startswith("R version 4.")
    assert set(FIXTURE["packages"]) == {"sna", "network"}


def test_brokerage_by_node_attribute_leaves_victims_out():
    edges = pl.DataFrame({"source": ["a", "v", "b"], "target": ["v", "b", "c"]})
    nodes = pl.DataFrame(
        {
            "node": ["a", "v", "b", "c"],
            "gang": ["north", "north", "south", "south"],
            "role": ["offender", "victim", "offender", "suspect"],
        }
    )
    g = aluna.CaseGraph.from_edges(edges, directed=True, nodes=nodes)
    table = g.brokerage("gang")
    assert "v" not in table["node"].to_list()
    # The victim still counts as the start of b's brokered pair v -> b -> c.
    b = dict(table.filter(pl.col("node") == "b").select("role", "count").rows())
    assert b["gatekeeper"] == 1
    everyone = g.brokerage("gang", exclude_roles=None)
    v = dict(everyone.filter(pl.col("node") == "v").select("role", "count").rows())
    assert v["representative"] == 1  # a -> v -> b: north, north, south
    assert table.columns == ["node", "group", "role", "count", "expected", "std_dev", "z"]


def test_brokerage_identical_for_any_thread_count():
    graph = nx.gnp_random_graph(200, 0.05, seed=2, directed=True)
    g = case_graph(graph)
    groups = {v: v % 4 for v in graph}
    assert g.brokerage(groups, threads=1).equals(g.brokerage(groups, threads=2))


def test_brokerage_on_undirected_graph_points_to_constraint_and_betweenness(karate):
    with pytest.raises(NotDefinedError, match=r"use constraint\(\) or betweenness\(\)"):
        case_graph(karate).brokerage({v: 0 for v in karate})


def test_brokerage_group_errors():
    edges = pl.DataFrame({"source": [1, 2], "target": [2, 3]})
    g = aluna.CaseGraph.from_edges(edges, directed=True)
    with pytest.raises(ColumnError, match="node attribute `gang` not found"):
        g.brokerage("gang")
    with pytest.raises(ArgumentError, match="node 3 has no `group`"):
        g.brokerage({1: "x", 2: "y"})
    with pytest.raises(ArgumentError, match="unknown role"):
        g.brokerage({1: "x", 2: "y", 3: "x"}, exclude_roles=("boss",))
