"""Shared fixtures: public graphs shipped inside networkx, as aluna edge tables; a headless
browser for checks of the HTML report."""

from __future__ import annotations

import os
from typing import NoReturn

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


# ---------------------------------------------------------------------------- browser checks


def skip_or_fail(reason: str) -> NoReturn:
    """Skip a test that needs an optional system piece (Java for Spark, Chromium), saying why;
    under CI (the environment variable ``CI`` set, as ``.ci/run`` does) fail it instead, so the
    check can never vanish there silently."""
    if "CI" in os.environ:
        pytest.fail(reason)
    pytest.skip(reason)


def require_browser() -> str:
    """The path of a headless Chromium, or :func:`skip_or_fail` saying why."""
    from .browser import find_chromium

    path = find_chromium()
    if path is None:
        skip_or_fail(
            "no Chromium found (looked for chromium, chromium-browser, google-chrome); `make "
            "test` installs Debian's `chromium` when it runs as root or with passwordless sudo"
        )
    return path


@pytest.fixture(scope="session")
def chromium():
    """A headless Chromium driven over the DevTools protocol (see ``browser.py``)."""
    from .browser import Chromium

    with Chromium(require_browser()) as browser:
        yield browser
