"""Plots shared by graphs, results and the report: network and group drawings, degree
distributions, resilience curves, and figures as self-contained HTML.

matplotlib is imported only when a plot is drawn (``pip install aluna[plot]``). Every function
takes an optional ``ax`` (or returns a new figure) and returns what it drew on, so plots compose
in notebooks. Drawings never label people unless asked to (``labels=``), and victims are drawn
as hollow circles, never highlighted as targets.
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from aluna.exceptions import ArgumentError, ColumnError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from aluna.graph import CaseGraph

__all__ = [
    "degree_distribution",
    "draw_groups",
    "draw_network",
    "figure_html",
    "resilience_curves",
]

#: Colours for groups (Okabe-Ito, then a grey for the rest): distinguishable by colour-blind
#: readers and in greyscale print.
PALETTE: tuple[str, ...] = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#F0E442",
    "#000000",
)
OTHER = "#B0B0B0"


def pyplot() -> Any:
    """``matplotlib.pyplot``, imported on first use, with a clear message when it is missing."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as err:  # pragma: no cover - matplotlib is in the test extra
        raise ImportError(
            "plots need matplotlib: pip install 'aluna[plot]' (or pip install matplotlib)"
        ) from err
    return plt


def _positions(graph: CaseGraph, layout: pl.DataFrame | None, seed: int) -> pl.DataFrame:
    if layout is None:
        return graph.layout(seed=seed)
    missing = {"node", "x", "y"} - set(layout.columns)
    if missing:
        raise ColumnError(
            f"layout: columns {sorted(missing)} not found; expected node, x, y as "
            "CaseGraph.layout() returns"
        )
    return layout


def _categories(
    nodes: pl.DataFrame, color: pl.DataFrame | Mapping[Any, Any] | str | None
) -> tuple[list[str], list[tuple[str, str]]]:
    """A colour per node (in ``nodes`` order) and the legend entries."""
    if color is None:
        return [PALETTE[0]] * nodes.height, []
    if isinstance(color, str):
        if color not in nodes.columns:
            raise ColumnError(
                f"color: node attribute `{color}` not found; nodes have {nodes.columns}"
            )
        frame = nodes.select("node", pl.col(color).alias("category"))
    elif isinstance(color, Mapping):
        frame = pl.DataFrame(
            {"node": list(color), "category": [str(v) for v in color.values()]}
        ).cast({"node": nodes.schema["node"]})
    else:
        others = [c for c in color.columns if c != "node"]
        if "node" not in color.columns or len(others) != 1:
            raise ColumnError(
                f"color: expected a table with `node` and one category column, got {color.columns}"
            )
        frame = color.select("node", pl.col(others[0]).alias("category"))
    joined = nodes.select("node").join(
        frame.with_columns(pl.col("category").cast(pl.String)),
        on="node",
        how="left",
        maintain_order="left",
    )
    # The largest categories get the palette, the rest grey.
    sizes = (
        joined.drop_nulls("category")
        .group_by("category")
        .len()
        .sort(["len", "category"], descending=[True, False])
    )
    colours = {c: PALETTE[i] for i, c in enumerate(sizes["category"].to_list()[: len(PALETTE) - 1])}
    legend = [(c, colours[c]) for c in colours]
    if sizes.height > len(colours):
        legend.append(("other", OTHER))
    return [colours.get(c, OTHER) for c in joined["category"].to_list()], legend


def draw_network(
    graph: CaseGraph,
    *,
    layout: pl.DataFrame | None = None,
    color: pl.DataFrame | Mapping[Any, Any] | str | None = None,
    highlight: Iterable[Any] | None = None,
    labels: Mapping[Any, str] | bool = False,
    size: str | None = "degree",
    ax: Axes | None = None,
    seed: int = 0,
    title: str | None = None,
    max_edges: int = 500_000,
) -> Axes:
    """Draw a case-link graph: links as thin lines, people as dots.

    Parameters
    ----------
    graph
        The graph.
    layout
        Positions (``node``, ``x``, ``y``); by default :meth:`aluna.CaseGraph.layout` with
        ``seed``.
    color
        Colour nodes by a category: a node attribute's name, a table with ``node`` and one
        category column (such as :meth:`~aluna.CaseGraph.communities`), or a dict. The seven
        largest categories get colours, the rest grey.
    highlight
        Nodes to ring in red (key players, say). Victims are never ringed.
    labels
        ``True`` to label highlighted nodes with their ids, or a dict ``{node: label}`` (for
        pseudonyms). Off by default: a drawing for publication names nobody.
    size
        ``"degree"`` scales dots by degree; ``None`` draws them all alike.
    ax
        Axes to draw on (a new figure by default).
    seed
        Seed of the layout when none is given.
    title
        Axes title.
    max_edges
        Draw at most this many links (the heaviest, or the first in edge order); every node is
        drawn.

    Returns
    -------
    matplotlib.axes.Axes
    """
    plt = pyplot()
    from matplotlib.collections import LineCollection

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 7))
    nodes = graph.nodes()
    pos = nodes.select("node").join(
        _positions(graph, layout, seed), on="node", how="left", maintain_order="left"
    )
    if pos["x"].null_count():
        raise ArgumentError("layout: some nodes of the graph have no position")
    xy = pos.select("x", "y").to_numpy()
    index = {node: i for i, node in enumerate(pos["node"].to_list())}
    edges = graph.edges()
    src, tgt = edges.columns[0], edges.columns[1]
    if edges.height > max_edges:
        weight = graph.weight
        edges = (edges.sort(weight, descending=True) if weight else edges).head(max_edges)
    a = np.array([index[v] for v in edges[src].to_list()], dtype=np.int64)
    b = np.array([index[v] for v in edges[tgt].to_list()], dtype=np.int64)
    n, m = xy.shape[0], a.size
    if m:
        segments = np.stack([xy[a], xy[b]], axis=1)
        width = 0.6 if m < 2000 else 0.3
        alpha = 0.5 if m < 2000 else max(0.08, 0.5 * math.sqrt(2000 / m))
        ax.add_collection(LineCollection(segments, colors="0.45", linewidths=width, alpha=alpha))
    colours, legend = _categories(nodes, color)
    if size == "degree":
        degree = graph.degree()["degree"].to_numpy().astype(float)
        base = 60.0 if n < 200 else 25.0 if n < 2000 else 6.0
        sizes = base * (0.4 + 1.6 * np.sqrt(degree / max(1.0, degree.max())))
    elif size is None:
        sizes = np.full(n, 30.0 if n < 200 else 12.0 if n < 2000 else 3.0)
    else:
        raise ArgumentError(f'argument `size`: expected "degree" or None, got {size!r}')
    roles = nodes["role"].to_list() if "role" in nodes.columns else [None] * n
    victim = np.array([r == "victim" for r in roles], dtype=bool)
    filled = ~victim
    ax.scatter(
        xy[filled, 0],
        xy[filled, 1],
        s=sizes[filled],
        c=[c for c, f in zip(colours, filled, strict=True) if f],
        linewidths=0.3,
        edgecolors="white",
        zorder=2,
    )
    if victim.any():
        ax.scatter(
            xy[victim, 0],
            xy[victim, 1],
            s=sizes[victim],
            facecolors="white",
            edgecolors=[c for c, v in zip(colours, victim, strict=True) if v],
            linewidths=0.8,
            zorder=2,
        )
    marked: list[int] = []
    if highlight is not None:
        marked = [index[v] for v in highlight if v in index and not victim[index[v]]]
        if marked:
            ax.scatter(
                xy[marked, 0],
                xy[marked, 1],
                s=sizes[marked] * 3.0 + 40,
                facecolors="none",
                edgecolors="#C00000",
                linewidths=1.6,
                zorder=3,
            )
    if labels:
        names = labels if isinstance(labels, Mapping) else None
        for i in marked:
            node = pos["node"][i]
            text = str(names.get(node, node)) if names is not None else str(node)
            ax.annotate(
                text,
                (xy[i, 0], xy[i, 1]),
                xytext=(4, 4),
                textcoords="offset points",
                fontsize=7,
                color="#C00000",
                zorder=4,
            )
    if legend:
        from matplotlib.lines import Line2D

        handles = [
            Line2D([], [], marker="o", ls="", color=c, markersize=6, label=str(name))
            for name, c in legend
        ]
        if victim.any():
            handles.append(
                Line2D(
                    [], [], marker="o", ls="", markerfacecolor="white", color="0.3", label="victim"
                )
            )
        ax.legend(
            handles=handles,
            fontsize="small",
            frameon=False,
            loc="upper left",
            bbox_to_anchor=(1.0, 1.0),
        )
    ax.margins(0.04)
    ax.autoscale_view()
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    if title:
        ax.set_title(title, fontsize="medium")
    return ax


def draw_groups(
    graph: CaseGraph,
    partition: pl.DataFrame,
    *,
    groups: Sequence[Any] | None = None,
    community: str = "community",
    max_groups: int = 12,
    min_size: int = 1,
    ncols: int = 4,
    color: pl.DataFrame | Mapping[Any, Any] | str | None = None,
    highlight: Iterable[Any] | None = None,
    labels: Mapping[Any, str] | bool = False,
    seed: int = 0,
) -> Figure:
    """Draw each group on its own, as small multiples: the links among its members.

    Parameters
    ----------
    graph
        The graph.
    partition
        ``node`` and the group column (as :meth:`aluna.CaseGraph.communities` returns).
    groups
        Which groups to draw, in order; by default the ``max_groups`` largest with at least
        ``min_size`` members.
    community
        The group column.
    max_groups, min_size
        Limits when ``groups`` is not given.
    ncols
        Panels per row.
    color
        Colour people by a node attribute (``"role"``) or table, as in :func:`draw_network`;
        one colour by default.
    highlight, labels
        As in :func:`draw_network`.
    seed
        Seed of each group's layout.

    Returns
    -------
    matplotlib.figure.Figure
    """
    plt = pyplot()
    if community not in partition.columns or "node" not in partition.columns:
        raise ColumnError(
            f"partition: expected columns `node` and `{community}`, got {partition.columns}"
        )
    sizes = (
        partition.group_by(community)
        .len()
        .sort(["len", community], descending=[True, False])
        .filter(pl.col("len") >= min_size)
    )
    chosen = list(groups) if groups is not None else sizes[community].to_list()[:max_groups]
    if not chosen:
        raise ArgumentError(
            f"draw_groups: no group has at least {min_size} members; lower min_size"
        )
    ncols = max(1, min(ncols, len(chosen)))
    nrows = math.ceil(len(chosen) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols, 3.2 * nrows), squeeze=False)
    marked = list(highlight) if highlight is not None else None
    for k, group in enumerate(chosen):
        ax = axes[k // ncols][k % ncols]
        members = partition.filter(pl.col(community) == group)["node"]
        sub = graph.subgraph(members)
        draw_network(
            sub,
            ax=ax,
            seed=seed,
            color=color,
            highlight=marked,
            labels=labels,
            title=f"group {group} ({members.len()} members)",
        )
    for k in range(len(chosen), nrows * ncols):
        axes[k // ncols][k % ncols].set_visible(False)
    fig.tight_layout()
    return fig


def degree_distribution(
    data: CaseGraph | pl.DataFrame,
    *,
    ax: Axes | None = None,
    kind: str = "ccdf",
    direction: str = "all",
    label: str | None = None,
) -> Axes:
    """The degree distribution: the share of nodes with degree at least ``k`` (``"ccdf"``, on
    log-log axes, where heavy tails show as straight lines) or the number of nodes with each
    degree (``"histogram"``).

    Parameters
    ----------
    data
        A :class:`aluna.CaseGraph`, or a table with a ``degree`` column.
    ax
        Axes to draw on.
    kind
        ``"ccdf"`` or ``"histogram"``.
    direction
        ``"all"``, ``"in"`` or ``"out"`` (for a graph).
    label
        Legend label (to overlay several distributions).

    Returns
    -------
    matplotlib.axes.Axes
    """
    plt = pyplot()
    from aluna.graph import CaseGraph

    if isinstance(data, CaseGraph):
        degree = data.degree(direction=direction)["degree"]  # type: ignore[arg-type]
    else:
        if "degree" not in data.columns:
            raise ColumnError(f"degree_distribution: no `degree` column in {data.columns}")
        degree = data["degree"]
    if kind not in ("ccdf", "histogram"):
        raise ArgumentError(f'argument `kind`: expected "ccdf" or "histogram", got {kind!r}')
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.5))
    counts = degree.value_counts().sort(degree.name)
    k = counts[degree.name].to_numpy()
    c = counts["count"].to_numpy()
    if kind == "ccdf":
        share = c[::-1].cumsum()[::-1] / max(1, c.sum())
        keep = k > 0
        ax.step(k[keep], share[keep], where="post", label=label)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("degree k")
        ax.set_ylabel("share of nodes with degree ≥ k")
    else:
        ax.bar(k, c, width=0.8, label=label)
        ax.set_xlabel("degree")
        ax.set_ylabel("nodes")
    if label:
        ax.legend(frameon=False)
    return ax


def resilience_curves(
    curves: Mapping[str, pl.DataFrame],
    *,
    column: str = "largest_component_fraction",
    ax: Axes | None = None,
) -> Axes:
    """Resilience curves of several removal strategies on one axes: ``column`` (the share of
    nodes in the largest component, by default) against the number of people removed.

    Parameters
    ----------
    curves
        ``{strategy: table}``, each table with ``step`` and ``column`` (as the ``.table`` of
        :meth:`aluna.CaseGraph.disruption`).
    column
        What to plot: ``largest_component_fraction``, ``components``, ``efficiency`` or
        ``fragmentation``.
    ax
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
    """
    plt = pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.8))
    for i, (name, table) in enumerate(curves.items()):
        missing = {"step", column} - set(table.columns)
        if missing:
            raise ColumnError(f"resilience_curves: `{name}` lacks columns {sorted(missing)}")
        ax.plot(
            table["step"].to_numpy(),
            table[column].to_numpy(),
            marker="o",
            markersize=3,
            color=PALETTE[i % len(PALETTE)],
            label=name,
        )
    ax.set_xlabel("people removed")
    ax.set_ylabel(column.replace("_", " "))
    ax.legend(frameon=False, fontsize="small")
    ax.grid(alpha=0.3)
    return ax


def figure_html(fig: Figure | Axes, *, format: str = "svg", dpi: int = 110, alt: str = "") -> str:
    """A figure as one self-contained ``<img>`` element (an inline data URI: nothing to fetch).

    SVG keeps text as paths (no fonts needed) and is deterministic: the same figure gives the
    same bytes. Use ``"png"`` for drawings with many thousands of elements. The figure is closed.
    """
    plt = pyplot()
    figure = fig.get_figure() if hasattr(fig, "get_figure") and not hasattr(fig, "savefig") else fig
    if format not in ("svg", "png"):
        raise ArgumentError(f'argument `format`: expected "svg" or "png", got {format!r}')
    buffer = io.BytesIO()
    with plt.rc_context({"svg.hashsalt": "aluna", "svg.fonttype": "path"}):
        if format == "svg":
            figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
            mime = "image/svg+xml"
        else:
            figure.savefig(
                buffer, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None}
            )
            mime = "image/png"
    plt.close(figure)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img src="data:{mime};base64,{data}" alt="{html.escape(alt)}">'
