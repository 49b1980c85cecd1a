"""Plots: network and group drawings, degree distributions, resilience curves, HTML figures."""

from __future__ import annotations

import base64

import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import polars as pl
import pytest

import aluna
from aluna import plot
from aluna.exceptions import ArgumentError, ColumnError

from .conftest import edge_frame


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def star_with_victim() -> aluna.CaseGraph:
    edges = pl.DataFrame({"source": ["a", "a", "a", "b"], "target": ["b", "c", "v", "c"]})
    nodes = pl.DataFrame(
        {"node": ["a", "b", "c", "v"], "role": ["offender", "suspect", "offender", "victim"]}
    )
    return aluna.CaseGraph.from_edges(edges, nodes=nodes)


def test_network_drawing_draws_links_people_and_rings(star_with_victim):
    ax = plot.draw_network(star_with_victim, highlight=["a", "v"], labels={"a": "person:1"})
    lines, filled, hollow, ring = ax.collections
    assert len(lines.get_segments()) == star_with_victim.number_of_edges()
    assert len(filled.get_offsets()) == 3  # offenders and suspects
    assert len(hollow.get_offsets()) == 1  # the victim, hollow
    # The victim is never ringed as a target, even when asked.
    assert len(ring.get_offsets()) == 1
    assert [t.get_text() for t in ax.texts] == ["person:1"]


def test_network_drawing_uses_a_given_layout_and_colours(star_with_victim):
    layout = pl.DataFrame(
        {"node": ["a", "b", "c", "v"], "x": [0.0, 1.0, 2.0, 3.0], "y": [0.0, 0.0, 1.0, 1.0]}
    )
    groups = pl.DataFrame({"node": ["a", "b", "c", "v"], "community": [0, 0, 1, 1]})
    ax = plot.draw_network(star_with_victim, layout=layout, color=groups)
    filled = ax.collections[1]
    np.testing.assert_array_equal(filled.get_offsets(), [[0, 0], [1, 0], [2, 1]])
    colours = {tuple(c) for c in filled.get_facecolors()}
    assert len(colours) == 2
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["0", "1", "victim"]


def test_network_drawing_errors(star_with_victim):
    with pytest.raises(ColumnError, match="layout: columns"):
        plot.draw_network(star_with_victim, layout=pl.DataFrame({"node": ["a"]}))
    with pytest.raises(ColumnError, match="color: node attribute `gang` not found"):
        plot.draw_network(star_with_victim, color="gang")
    with pytest.raises(ArgumentError, match="argument `size`"):
        plot.draw_network(star_with_victim, size="betweenness")


def test_group_drawings(karate):
    g = aluna.CaseGraph.from_edges(edge_frame(karate))
    groups = g.communities()
    fig = plot.draw_groups(g, groups, ncols=2)
    shown = [ax for ax in fig.axes if ax.get_visible()]
    assert len(shown) == groups["community"].n_unique()
    sizes = groups.group_by("community").len().sort("len", descending=True)["len"].to_list()
    assert [int(ax.get_title().split("(")[1].split()[0]) for ax in shown] == sizes
    with pytest.raises(ArgumentError, match="no group has at least 100 members"):
        plot.draw_groups(g, groups, min_size=100)
    with pytest.raises(ColumnError, match="expected columns `node` and `gang`"):
        plot.draw_groups(g, groups, community="gang")


def test_degree_distribution_is_the_complementary_cumulative_share(karate):
    g = aluna.CaseGraph.from_edges(edge_frame(karate))
    ax = g.plot_degree_distribution()
    (line,) = ax.get_lines()
    degrees = np.array([d for _, d in karate.degree()])
    expected = [(degrees >= k).mean() for k in sorted(set(degrees))]
    np.testing.assert_allclose(line.get_ydata(), expected, rtol=1e-12)
    assert ax.get_xscale() == "log"
    ax = plot.degree_distribution(g.degree(), kind="histogram")
    assert sum(p.get_height() for p in ax.patches) == karate.number_of_nodes()
    with pytest.raises(ArgumentError, match="argument `kind`"):
        plot.degree_distribution(g, kind="pdf")
    with pytest.raises(ColumnError, match="no `degree` column"):
        plot.degree_distribution(pl.DataFrame({"node": [1]}))


def test_resilience_curves():
    curves = {
        "degree": pl.DataFrame({"step": [0, 1, 2], "largest_component_fraction": [1.0, 0.5, 0.2]}),
        "random": pl.DataFrame({"step": [0, 1, 2], "largest_component_fraction": [1.0, 0.9, 0.8]}),
    }
    ax = plot.resilience_curves(curves)
    assert [line.get_label() for line in ax.get_lines()] == ["degree", "random"]
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), [1, 0.5, 0.2])
    with pytest.raises(ColumnError, match="`degree` lacks columns \\['global_efficiency'\\]"):
        plot.resilience_curves(curves, column="global_efficiency")


@pytest.mark.parametrize(
    ("fmt", "mime", "magic"), [("svg", "svg+xml", b"<?xml"), ("png", "png", b"\x89PNG")]
)
def test_figures_as_self_contained_html(fmt, mime, magic):
    def draw() -> str:
        fig, ax = plt.subplots()
        ax.plot([0, 1], [1, 0])
        return plot.figure_html(fig, format=fmt, alt="a line")

    first = draw()
    assert first.startswith(f'<img src="data:image/{mime};base64,')
    assert 'alt="a line"' in first
    payload = first.split("base64,")[1].split('"')[0]
    assert base64.b64decode(payload).startswith(magic)
    assert first == draw()  # deterministic: no dates, fixed ids
    with pytest.raises(ArgumentError, match="argument `format`"):
        plot.figure_html(plt.figure(), format="jpg")


def test_graph_plot_method_colours_by_community(florentine):
    g = aluna.CaseGraph.from_edges(edge_frame(florentine))
    ax = g.plot(color=g.communities(), title="Florentine families")
    assert ax.get_title() == "Florentine families"
    assert len(ax.collections[1].get_offsets()) == nx.number_of_nodes(florentine)
