"""Graphs larger than a table in memory: building a :class:`~aluna.CaseGraph` from Parquet files
batch by batch, in bounded memory.

A national case database can hold hundreds of millions of links. Loading such an edge table into
a DataFrame first costs 24 bytes per link (two 64-bit ids and a weight) before the graph is even
built; :func:`edges_from_parquet` instead streams the file through polars' streaming engine and
hands each batch to the graph builder, which keeps 8 bytes per link for the endpoints and 8 for a
weight and frees each batch once its ids are interned. The graph itself then holds 8 bytes per
edge of adjacency (both directions) and 8 per weight, plus about 40 bytes per node.

Record tables larger than memory (one row per person, case and identifier) are first reduced to
an edge table by polars' streaming engine, written with ``sink_parquet`` and then read here; see
``docs/benchmarks.md`` ("Graphs at scale") for figures on a graph of 100 million links.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl

from aluna import _native
from aluna.exceptions import ArgumentError, ColumnError
from aluna.graph import CaseGraph, _as_polars

__all__ = ["edges_from_parquet"]

PathLike = str | os.PathLike[str]

#: Rows per batch handed to the builder by default: large enough that the per-batch overhead
#: vanishes, small enough that a batch of three columns stays around 24 MB.
DEFAULT_BATCH_ROWS: int = 1_000_000


def _scan(data: PathLike | Sequence[PathLike] | pl.LazyFrame) -> tuple[pl.LazyFrame, bool]:
    """The lazy frame to stream, and whether it is a plain Parquet scan (so its length is in the
    files' metadata)."""
    if isinstance(data, pl.LazyFrame):
        return data, False
    if isinstance(data, (str, os.PathLike)):
        return pl.scan_parquet(Path(data)), True
    if isinstance(data, Sequence) and data and all(isinstance(p, (str, os.PathLike)) for p in data):
        return pl.scan_parquet([Path(p) for p in data]), True
    raise ArgumentError(
        "edges_from_parquet: expected a Parquet path, a list of paths or a polars LazyFrame, "
        f"got {type(data).__name__}"
    )


def edges_from_parquet(
    data: PathLike | Sequence[PathLike] | pl.LazyFrame,
    source: str = "source",
    target: str = "target",
    *,
    weight: str | None = None,
    link_type: str | None = None,
    time: str | None = None,
    directed: bool = False,
    multigraph: bool = False,
    nodes: Any = None,
    node: str = "node",
    batch_rows: int = DEFAULT_BATCH_ROWS,
) -> CaseGraph:
    """Build a :class:`~aluna.CaseGraph` from Parquet edge files without loading them whole.

    The files (or any polars ``LazyFrame``, e.g. ``pl.scan_parquet(...)`` with filters, joins
    or aggregations that reduce a record table to links) run through polars' streaming engine;
    every batch of ``batch_rows`` rows goes straight to the graph builder, which interns its ids
    and keeps only node indices (4 bytes each) and weights, and the batch is freed. Without
    link types, times and ``multigraph`` the graph is then built in place (an in-place counting
    sort of the rows by source, a sort of each node's row by target, parallel links merged), so
    the peak memory is about 16 bytes per link with a weight (8 without) plus about 60 bytes
    per node, and the graph keeps 16 (8) bytes per edge.

    The graph equals ``CaseGraph.from_edges`` on the same rows, except for the order of the
    nodes: node indices follow the node table, then first appearance batch by batch (a batch's
    source column, then its target column), which only orders the rows of result tables. Sums of
    three or more parallel links' weights are taken in ascending order of the weights, so they
    may differ from ``from_edges`` in the last bit.

    Parameters
    ----------
    data
        A Parquet file, a list of files (or a glob such as ``"links/*.parquet"``), or a polars
        ``LazyFrame``.
    source, target, weight, link_type, time, directed, multigraph, nodes, node
        As :meth:`aluna.CaseGraph.from_edges`. The node table, if given, is small and read
        whole.
    batch_rows
        Rows per batch handed to the builder.

    Returns
    -------
    CaseGraph

    Raises
    ------
    ColumnError
        A named column is missing or of the wrong type.
    BadValueError
        A null id or a NaN or negative weight; the message names the row of the whole stream.
    EmptyInputError
        No rows and no node table.

    Examples
    --------
    >>> import tempfile, pathlib, polars as pl, aluna
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> pl.DataFrame({"source": [1, 2, 3], "target": [2, 3, 1], "w": [1.0, 2.0, 0.5]}).write_parquet(
    ...     folder / "links.parquet")
    >>> g = aluna.scale.edges_from_parquet(folder / "links.parquet", weight="w", batch_rows=2)
    >>> g
    CaseGraph(undirected, 3 nodes, 3 edges)
    >>> g.degree("w").sort("node").rows()
    [(1, 1.5), (2, 3.0), (3, 2.5)]
    """  # noqa: E501
    if isinstance(batch_rows, bool) or not isinstance(batch_rows, int) or batch_rows < 1:
        raise ArgumentError(
            f"argument `batch_rows`: expected a positive integer, got {batch_rows!r}"
        )
    lazy, is_scan = _scan(data)
    wanted = [c for c in (source, target, weight, link_type, time) if c is not None]
    available = lazy.collect_schema().names()
    missing = [c for c in wanted if c not in available]
    if missing:
        raise ColumnError(f"column `{missing[0]}` not found; the table has: {', '.join(available)}")
    lazy = lazy.select(list(dict.fromkeys(wanted)))
    builder = _native.GraphBuilder(
        source,
        target,
        weight=weight,
        link_type=link_type,
        time=time,
        directed=directed,
        multigraph=multigraph,
    )
    attributes = None
    if nodes is not None:
        node_frame = _as_polars(nodes, what="nodes")
        builder.nodes(node_frame, node=node, role="role" if "role" in node_frame.columns else None)
        attributes = node_frame
    if is_scan:
        # The row count of Parquet files is in their footers: reserve the row vectors once.
        builder.reserve(int(lazy.select(pl.len()).collect().item()))
    failure: list[BaseException] = []

    def push(batch: pl.DataFrame) -> bool:
        try:
            builder.push(batch)
        except BaseException as err:  # handed back to the caller below
            failure.append(err)
            return True
        return False

    lazy.sink_batches(push, chunk_size=batch_rows, engine="streaming")
    if failure:
        raise failure[0]
    return CaseGraph._built(
        builder.finish(),
        source=source,
        target=target,
        weight=weight,
        link_type=link_type,
        time=time,
        node=node,
        attributes=attributes,
    )
