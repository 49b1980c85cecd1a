"""Per-node features against networkx on the same (time-filtered) graph, computed here: for the
whole graph, for one cutoff and for each person's own cutoff; the leakage test (a link planted at
or after a cutoff changes nothing); dates, datetimes and attribute columns as cutoffs; threads;
and every error.

Tolerances: exact measures rtol 1e-9 + atol 1e-12; PageRank and eigenvector 1e-6 (ours run to
1e-10, networkx to 1e-12).
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import networkx as nx
import numpy as np
import polars as pl
import pytest

import aluna
from aluna.exceptions import (
    ArgumentError,
    BadValueError,
    ColumnError,
    DuplicateError,
    UnknownNodeError,
)

EXACT = {"rtol": 1e-9, "atol": 1e-12}
ITERATIVE = {"rtol": 0.0, "atol": 1e-6}

FEATURES = [
    "degree",
    "betweenness",
    "closeness",
    "harmonic",
    "eigenvector",
    "pagerank",
    "core_number",
    "clustering",
    "constraint",
    "effective_size",
    "component_size",
    "community",
    "community_size",
    "articulation_point",
]


def timed_edges(seed: int, n: int = 50, m: int = 90, *, loops: bool = True) -> pl.DataFrame:
    """Random links seen in years 2010-2019 (some pairs seen twice, a few self-loops unless
    ``loops`` is false)."""
    rng = random.Random(seed)
    rows = []
    for _ in range(m):
        a, b = rng.randrange(n), rng.randrange(n)
        if a == b and (not loops or rng.random() < 0.7):
            continue
        rows.append((a, b, rng.randrange(2010, 2020)))
    return pl.DataFrame(rows, schema=["source", "target", "year"], orient="row")


def nx_before(edges: pl.DataFrame, nodes: list, cutoff: int | None, directed: bool) -> nx.Graph:
    """The networkx graph of the links seen before ``cutoff`` over all nodes."""
    g = nx.DiGraph() if directed else nx.Graph()
    g.add_nodes_from(nodes)
    kept = edges if cutoff is None else edges.filter(pl.col("year") < cutoff)
    g.add_edges_from(kept.select("source", "target").rows())
    return g


def expected_features(g: nx.Graph) -> dict[str, dict]:
    """networkx's value of every feature (null where ours is null), by node."""
    loopless = g.copy()
    loopless.remove_edges_from(list(nx.selfloop_edges(loopless)))
    order = {v: i for i, v in enumerate(g)}
    if g.is_directed():
        comps = list(nx.strongly_connected_components(g))
        weak = list(nx.weakly_connected_components(g))
    else:
        comps = list(nx.connected_components(g))
        weak = comps
    largest = min(comps, key=lambda c: (-len(c), min(order[v] for v in c)))
    eigen: dict = dict.fromkeys(g)
    if len(largest) >= 2:
        eigen.update(nx.eigenvector_centrality(g.subgraph(largest), tol=1e-12, max_iter=10_000))
    size = {v: len(c) for c in weak for v in c}
    undirected = nx.Graph(g.to_undirected()) if g.is_directed() else g
    cuts = set(nx.articulation_points(undirected))
    constraint = {v: (None if np.isnan(x) else x) for v, x in nx.constraint(g).items()}
    effective = {v: (None if np.isnan(x) else x) for v, x in nx.effective_size(g).items()}
    return {
        "degree": dict(g.degree()),
        "betweenness": nx.betweenness_centrality(g),
        "closeness": nx.closeness_centrality(g),
        "harmonic": nx.harmonic_centrality(g),
        "eigenvector": eigen,
        "pagerank": nx.pagerank(g, tol=1e-12, max_iter=10_000),
        "core_number": nx.core_number(loopless),
        "clustering": nx.clustering(g),
        "constraint": constraint,
        "effective_size": effective,
        "component_size": size,
        "articulation_point": {v: v in cuts for v in g},
    }


def assert_row_agrees(row: dict, expected: dict[str, dict]) -> None:
    v = row["node"]
    for name, values in expected.items():
        want, got = values[v], row[name]
        if want is None or isinstance(want, (bool, int)):
            assert got == want, (v, name)
        else:
            tol = ITERATIVE if name in ("pagerank", "eigenvector") else EXACT
            np.testing.assert_allclose(got, want, err_msg=f"{v} {name}", **tol)


def assert_communities_consistent(frame: pl.DataFrame) -> None:
    sizes = frame.group_by("community").agg(pl.len().alias("n"))
    joined = frame.join(sizes, on="community")
    assert (joined["n"] == joined["community_size"]).all()


# ---------------------------------------------------------------------------- whole graph


@pytest.mark.parametrize("name", ["karate", "florentine", "les_miserables"])
def test_features_equal_networkx_on_public_graphs(public_graphs, name):
    graph = public_graphs[name]
    edges = pl.DataFrame(list(graph.edges()), schema=["source", "target"], orient="row")
    ours = aluna.CaseGraph.from_edges(edges, nodes=pl.DataFrame({"node": list(graph)}))
    features = ours.node_features()
    assert features.columns == ["node", *FEATURES]
    assert features["node"].to_list() == list(graph)
    expected = expected_features(nx.Graph(graph.edges()))
    for row in features.iter_rows(named=True):
        assert_row_agrees(row, expected)
    assert features["community"].to_list() == ours.communities()["community"].to_list()
    assert_communities_consistent(features)


def test_weighted_features_use_weights_as_tie_strengths(karate):
    edges = pl.DataFrame(
        [(a, b, float(d["weight"])) for a, b, d in karate.edges(data=True)],
        schema=["source", "target", "weight"],
        orient="row",
    )
    ours = aluna.CaseGraph.from_edges(edges, weight="weight")
    f = ours.node_features(weight="weight")
    assert f.columns[:3] == ["node", "degree", "strength"]
    got = dict(f.select("node", "strength").iter_rows())
    assert got == dict(karate.degree(weight="weight"))
    pr = nx.pagerank(karate, weight="weight", tol=1e-12)
    np.testing.assert_allclose(f["pagerank"], [pr[v] for v in f["node"]], **ITERATIVE)
    cons = nx.constraint(karate, weight="weight")
    np.testing.assert_allclose(f["constraint"], [cons[v] for v in f["node"]], **EXACT)
    # Path measures still count links.
    bc = nx.betweenness_centrality(karate, weight=None)
    np.testing.assert_allclose(f["betweenness"], [bc[v] for v in f["node"]], **EXACT)
    with pytest.raises(ArgumentError, match="not the graph's weight"):
        ours.node_features(weight="w")


def test_sampled_betweenness_above_the_limit(les_miserables):
    edges = pl.DataFrame(list(les_miserables.edges()), schema=["source", "target"], orient="row")
    ours = aluna.CaseGraph.from_edges(edges)
    sampled = ours.node_features(exact_betweenness_limit=10, epsilon=0.05, seed=3)
    exact = ours.node_features()
    assert (sampled["betweenness"] - exact["betweenness"]).abs().max() <= 0.05
    assert not sampled["betweenness"].equals(exact["betweenness"])
    assert sampled.drop("betweenness").equals(exact.drop("betweenness"))


@pytest.mark.parametrize("seed", [1, 2])
def test_directed_features_equal_networkx(seed):
    # Without self-loops: on a directed graph networkx's effective size counts a node's own
    # loop among the contacts it is redundant with, Burt's formula (ours) as a tie to itself.
    edges = timed_edges(seed, loops=False)
    ours = aluna.CaseGraph.from_edges(edges, time="year", directed=True)
    nodes = ours.nodes()["node"].to_list()
    for cutoff in (None, 2015):
        g = nx_before(edges, nodes, cutoff, directed=True)
        features = ours.node_features(as_of=cutoff)
        expected = expected_features(g)
        for row in features.iter_rows(named=True):
            assert_row_agrees(row, expected)


# ---------------------------------------------------------------------------- as of a time


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_one_cutoff_equals_networkx_on_the_links_before_it(seed):
    edges = timed_edges(seed)
    ours = aluna.CaseGraph.from_edges(edges, time="year")
    nodes = ours.nodes()["node"].to_list()
    for cutoff in (2011, 2014, 2017, 2030):
        features = ours.node_features(as_of=cutoff)
        expected = expected_features(nx_before(edges, nodes, cutoff, directed=False))
        for row in features.iter_rows(named=True):
            assert_row_agrees(row, expected)
        assert_communities_consistent(features)
        sub = ours.subgraph(end=cutoff)
        assert features["community"].to_list() == sub.communities()["community"].to_list()


def test_each_persons_cutoff_equals_networkx_on_their_own_graph():
    edges = timed_edges(6, n=60, m=120)
    ours = aluna.CaseGraph.from_edges(edges, time="year")
    nodes = ours.nodes()["node"].to_list()
    rng = random.Random(0)
    people = pl.DataFrame(
        {"node": nodes[::2], "index_year": [rng.randrange(2011, 2021) for _ in nodes[::2]]}
    )
    features = ours.node_features(as_of=people)
    assert features.columns == ["node", "index_year", *FEATURES]
    assert features.select("node", "index_year").equals(people)
    cache: dict[int, dict] = {}
    for row in features.iter_rows(named=True):
        year = row["index_year"]
        if year not in cache:
            cache[year] = expected_features(nx_before(edges, nodes, year, directed=False))
        assert_row_agrees(row, cache[year])
        # The same row as the one-cutoff table of that year (communities included).
        single = ours.node_features(as_of=year).filter(pl.col("node") == row["node"])
        assert single.row(0, named=True) == {k: v for k, v in row.items() if k != "index_year"}


def test_as_of_equals_the_graph_built_from_the_links_before_the_cutoff():
    """A scalar cutoff, a per-person time table and a per-person node attribute each give, row
    by row, the features of the graph built from the edge table filtered to links seen before
    that person's cutoff (same people, same order)."""
    edges = timed_edges(11, n=45, m=100)
    people = aluna.CaseGraph.from_edges(edges, time="year").nodes().select("node")
    ours = aluna.CaseGraph.from_edges(edges, time="year", nodes=people)

    def built(cutoff: int) -> pl.DataFrame:
        kept = edges.filter(pl.col("year") < cutoff)
        return aluna.CaseGraph.from_edges(kept, time="year", nodes=people).node_features()

    for cutoff in (2010, 2013, 2016, 2019, 2020):
        assert ours.node_features(as_of=cutoff).equals(built(cutoff)), cutoff
    nodes = people["node"].to_list()
    index = pl.DataFrame({"node": nodes, "index_year": [2011 + v % 9 for v in nodes]})
    by_table = ours.node_features(as_of=index)
    by_column = ours.with_node_attributes(index).node_features(as_of="index_year")
    assert by_column.sort("node").equals(by_table.sort("node"))
    graphs = {year: built(year) for year in index["index_year"].unique()}
    for row in by_table.iter_rows(named=True):
        year = row.pop("index_year")
        expected = graphs[year].filter(pl.col("node") == row["node"]).row(0, named=True)
        assert row == expected, (row["node"], year)


def test_no_feature_uses_a_link_seen_at_or_after_the_cutoff():
    """For each person, plant links at and after their own cutoff, touching them, their
    contacts and strangers: their row stays as it was; links planted before it do change it."""
    edges = timed_edges(7, n=40, m=80)
    # The same people in both graphs (a node table): a planted link to someone not yet in the
    # graph would add a person, which changes every normalisation.
    nodes = pl.DataFrame({"node": list(range(40))})
    people = pl.DataFrame({"node": [0, 5, 9, 13], "as_of": [2012, 2015, 2015, 2018]})
    before = aluna.CaseGraph.from_edges(edges, time="year", nodes=nodes)
    rows = before.node_features(as_of=people)
    for person, cutoff in people.iter_rows():
        contact = edges.filter(pl.col("source") == person)["target"].to_list() or [1]
        planted = pl.DataFrame(
            {
                "source": [person, person, contact[0], 20, 21],
                "target": [30, contact[0], 31, 22, person],
                "year": [cutoff, cutoff + 1, cutoff, cutoff + 3, cutoff + 30],
            }
        )
        after = aluna.CaseGraph.from_edges(pl.concat([edges, planted]), time="year", nodes=nodes)
        assert after.number_of_edges() > before.number_of_edges()
        got = after.node_features(as_of=people).filter(pl.col("node") == person)
        assert got.equals(rows.filter(pl.col("node") == person)), person
        assert after.node_features(as_of=cutoff).equals(before.node_features(as_of=cutoff))
        # The same link a year earlier does count.
        early = planted.with_columns(pl.col("year") - 1).head(1)
        moved = aluna.CaseGraph.from_edges(pl.concat([edges, early]), time="year", nodes=nodes)
        changed = moved.node_features(as_of=people).filter(pl.col("node") == person)
        assert changed["degree"][0] == rows.filter(pl.col("node") == person)["degree"][0] + 1


def test_a_span_counts_from_its_start_with_its_whole_weight():
    """As documented: a pair of link_records sharing one phone in 2012 and another in 2018 is
    one link spanning 2012-2018 of weight 2; it counts from 2013 on, with weight 2."""
    records = pl.DataFrame(
        {
            "person_id": [1, 2, 1, 2, 3],
            "phone": ["a", "a", "b", "b", "c"],
            "year": [2012, 2012, 2018, 2018, 2012],
        }
    )
    g = aluna.link_records(records, identifiers=["phone"], time="year", weighting="count")
    rows = {
        year: g.node_features(as_of=year, weight="weight").select("node", "degree", "strength")
        for year in (2012, 2013, 2019)
    }
    assert rows[2012].rows() == [(1, 0, 0.0), (2, 0, 0.0), (3, 0, 0.0)]
    assert rows[2013].rows() == [(1, 1, 2.0), (2, 1, 2.0), (3, 0, 0.0)]
    assert rows[2019].equals(rows[2013])


def test_dates_datetimes_strings_and_attribute_columns():
    start = date(2020, 1, 1)
    edges = timed_edges(8, n=30, m=60).with_columns(
        seen=pl.lit(start) + pl.duration(days=(pl.col("year") - 2010) * 40)
    )
    ours = aluna.CaseGraph.from_edges(edges.drop("year"), time="seen")
    cutoff = start + timedelta(days=200)
    by_date = ours.node_features(as_of=cutoff)
    assert by_date.equals(ours.node_features(as_of="2020-07-19"))
    nodes = ours.nodes()["node"].to_list()
    g = nx.Graph()
    g.add_nodes_from(nodes)
    g.add_edges_from(edges.filter(pl.col("seen") < cutoff).select("source", "target").rows())
    assert dict(by_date.select("node", "degree").iter_rows()) == dict(g.degree())
    # Per person, as a date column given as a table, and as a node attribute with nulls.
    index = pl.DataFrame({"person": [3, 4, 5], "index_date": [cutoff, cutoff, start]})
    per_person = ours.node_features(as_of=index, node="person")
    assert per_person.columns[:2] == ["node", "index_date"]
    assert per_person.drop("index_date").row(0) == by_date.filter(pl.col("node") == 3).row(0)
    attributes = pl.DataFrame({"node": [3, 4, 5, 6], "index_date": [cutoff, cutoff, start, None]})
    with_attr = ours.with_node_attributes(attributes)
    from_column = with_attr.node_features(as_of="index_date")
    assert from_column.sort("node").equals(per_person.sort("node"))
    # Datetimes in seconds and microseconds.
    for unit in ("us", "ms"):
        timed = edges.with_columns(pl.col("seen").cast(pl.Datetime(unit)))
        g2 = aluna.CaseGraph.from_edges(timed.drop("year"), time="seen")
        when = datetime(2020, 7, 19)
        assert g2.node_features(as_of=when).equals(by_date)
        table = pl.DataFrame({"node": [3], "t": [when]})
        assert g2.node_features(as_of=table).drop("t").row(0) == by_date.row(nodes.index(3))


def test_identical_for_any_thread_count():
    edges = timed_edges(9, n=80, m=200)
    ours = aluna.CaseGraph.from_edges(edges, time="year")
    chosen = list(range(0, 80, 3))
    people = pl.DataFrame({"node": chosen, "as_of": [2012 + v % 8 for v in chosen]})
    assert ours.node_features(as_of=people, threads=1).equals(
        ours.node_features(as_of=people, threads=2)
    )
    assert ours.node_features(threads=1).equals(ours.node_features(threads=2))


# ---------------------------------------------------------------------------- errors


def test_bad_input_is_refused():
    edges = timed_edges(10)
    timed = aluna.CaseGraph.from_edges(edges, time="year")
    untimed = aluna.CaseGraph.from_edges(edges.drop("year"))
    with pytest.raises(ArgumentError, match="`as_of`: the graph's links have no time"):
        untimed.node_features(as_of=2015)
    with pytest.raises(ArgumentError, match="`as_of`: the graph's links have no time"):
        untimed.node_features(as_of=pl.DataFrame({"node": [1], "as_of": [2015]}))
    with pytest.raises(ArgumentError, match="`as_of`: times are integers"):
        timed.node_features(as_of=date(2015, 1, 1))
    with pytest.raises(ArgumentError, match="`as_of`: times are integers, got column"):
        timed.node_features(as_of=pl.DataFrame({"node": [1], "t": ["2015"]}))
    with pytest.raises(UnknownNodeError, match="unknown node 999"):
        timed.node_features(as_of=pl.DataFrame({"node": [1, 999], "as_of": [2015, 2015]}))
    with pytest.raises(DuplicateError, match="row 1"):
        timed.node_features(as_of=pl.DataFrame({"node": [1, 1], "as_of": [2015, 2016]}))
    with pytest.raises(BadValueError, match="column `as_of`, row 1: null"):
        timed.node_features(as_of=pl.DataFrame({"node": [1, 2], "as_of": [2015, None]}))
    with pytest.raises(ColumnError, match="column `node` not found"):
        timed.node_features(as_of=pl.DataFrame({"person": [1], "as_of": [2015]}))
    with pytest.raises(ColumnError, match="one time column"):
        timed.node_features(as_of=pl.DataFrame({"node": [1], "a": [2015], "b": [2016]}))
    dated = aluna.CaseGraph.from_edges(
        pl.DataFrame({"source": [1], "target": [2], "seen": [date(2020, 1, 1)]}), time="seen"
    )
    with pytest.raises(ArgumentError, match="cannot read"):
        dated.node_features(as_of="not a date")
    with pytest.raises(ArgumentError, match="`epsilon`"):
        timed.node_features(exact_betweenness_limit=1, epsilon=2.0)
    with pytest.raises(ArgumentError, match="`resolution`"):
        timed.node_features(resolution=-1.0)
