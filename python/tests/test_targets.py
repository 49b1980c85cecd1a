"""Every ranking meant to target people leaves victims out by default: on a network whose
obvious hub and broker is a victim (a shared phone), ``top`` of any measure, ``key_players``,
``brokerage``, ``group_summary`` and ``disruption`` never name her, yet she stays in the network;
with ``exclude_roles=None`` each of them does name her."""

from __future__ import annotations

import polars as pl
import pytest

import aluna

# Two triangles of offenders, joined only through the victim "vic", who also has two contacts
# of her own.
EDGES = pl.DataFrame(
    {
        "source": ["a1", "a1", "a2", "b1", "b1", "b2", "vic", "vic", "vic", "vic"],
        "target": ["a2", "a3", "a3", "b2", "b3", "b3", "a1", "b1", "r1", "r2"],
    }
)
ROLES = pl.DataFrame(
    {
        "node": ["a1", "a2", "a3", "b1", "b2", "b3", "vic", "r1", "r2"],
        "role": ["offender"] * 6 + ["victim", "witness", "witness"],
    }
)


@pytest.fixture(scope="module")
def graph() -> aluna.CaseGraph:
    return aluna.CaseGraph.from_edges(EDGES, nodes=ROLES)


@pytest.mark.parametrize(
    "measure", ["degree", "betweenness", "closeness", "harmonic", "pagerank", "effective_size"]
)
def test_top_of_every_measure_leaves_the_victim_out(graph, measure):
    values = getattr(graph, measure)()
    assert graph.top(values, 1, exclude_roles=None)["node"].to_list() == ["vic"]
    ranked = graph.top(values, None)
    assert "vic" not in ranked["node"].to_list()
    assert ranked.height == 8


def test_key_players_leave_the_victim_out(graph):
    assert graph.key_players(1, exclude_roles=None).nodes == ["vic"]
    assert "vic" not in graph.key_players(2).nodes


def test_group_summary_never_names_the_victim(graph):
    # The victim's group: her, her two contacts and the two people she joins (4 ties to her).
    groups = {v: "x" if v in ("vic", "r1", "r2", "a1", "b1") else v[0] for v in ROLES["node"]}
    named = graph.group_summary(groups, top=1, exclude_roles=None)["central_members"]
    assert ["vic"] in named.to_list()
    default = graph.group_summary(groups, top=1)["central_members"].to_list()
    assert all("vic" not in members for members in default)


def test_brokerage_drops_the_victims_rows():
    directed = aluna.CaseGraph.from_edges(
        pl.DataFrame({"source": ["a1", "vic"], "target": ["vic", "b1"]}),
        directed=True,
        nodes=ROLES.filter(pl.col("node").is_in(["a1", "vic", "b1"])),
    )
    groups = {"a1": "a", "vic": "v", "b1": "b"}
    everyone = directed.brokerage(groups, exclude_roles=None)
    assert everyone.filter((pl.col("node") == "vic") & (pl.col("role") == "liaison"))[
        "count"
    ].to_list() == [1]
    assert "vic" not in directed.brokerage(groups)["node"].to_list()


@pytest.mark.parametrize("strategy", ["degree", "betweenness", "pagerank", "key_players"])
def test_disruption_never_removes_the_victim_but_keeps_her(graph, strategy):
    assert graph.disruption(strategy, steps=1, exclude_roles=None).removed == ["vic"]
    d = graph.disruption(strategy, steps=3)
    assert "vic" not in d.removed
    assert d.table["nodes_left"].to_list() == [9, 8, 7, 6]


def test_eligible_targets_say_who_may_be_named(graph):
    eligible = dict(graph.eligible_targets().rows())
    assert eligible["vic"] is False
    assert sum(eligible.values()) == 8
