"""Shared fixtures: public graphs shipped inside networkx, as aluna edge tables; a headless
browser for checks of the HTML report."""

from __future__ import annotations

import os

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


def running_in_ci() -> bool:
    """Whether the tests run under CI (``CI=true``, which ``.ci/run`` exports)."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def require_browser() -> str:
    """The path of a headless Chromium, or skip the test saying why; under CI a missing browser
    fails the test instead, so a browser check can never vanish there silently."""
    from .browser import find_chromium

    path = find_chromium()
    if path is not None:
        return path
    reason = (
        "no Chromium found (looked for chromium, chromium-browser, google-chrome); `make test` "
        "installs Debian's `chromium` when it runs as root with apt-get"
    )
    if running_in_ci():
        pytest.fail(f"browser check required under CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium():
    """A headless Chromium driven over the DevTools protocol (see ``browser.py``)."""
    from .browser import Chromium

    with Chromium(require_browser()) as browser:
        yield browser
