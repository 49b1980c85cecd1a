"""Shared fixtures: public graphs shipped inside networkx, as aluna edge tables."""

from __future__ import annotations

import networkx as nx
import polars as pl
import pytest


def edge_frame(graph: nx.Graph, weight: str | None = None) -> pl.DataFrame:
    """The edges of a networkx graph as a polars frame (source, target[, weight])."""
    rows = list(graph.edges(data=True))
    data: dict[str, list[object]] = {
        "source": [u for u, _, _ in rows],
        "target": [v for _, v, _ in rows],
    }
    if weight:
        data["weight"] = [float(d[weight]) for _, _, d in rows]
    return pl.DataFrame(data)


def node_frame(graph: nx.Graph) -> pl.DataFrame:
    """Every node of a networkx graph, isolated ones included."""
    return pl.DataFrame({"node": list(graph.nodes())})


@pytest.fixture(scope="session")
def karate() -> nx.Graph:
    return nx.karate_club_graph()


@pytest.fixture(scope="session")
def florentine() -> nx.Graph:
    return nx.florentine_families_graph()


@pytest.fixture(scope="session")
def les_miserables() -> nx.Graph:
    return nx.les_miserables_graph()


@pytest.fixture(scope="session")
def public_graphs(karate: nx.Graph, florentine: nx.Graph, les_miserables: nx.Graph) -> dict:
    """The three public graphs networkx ships, by name."""
    return {"karate": karate, "florentine": florentine, "les_miserables": les_miserables}


def skip_or_fail(reason: str) -> None:
    """Skip a test that needs an optional system piece (Java for Spark, Chromium), or fail it
    under CI (the environment variable ``CI`` set), where the piece must be present."""
    import os

    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)
