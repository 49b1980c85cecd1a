"""The case-link graph: persons or cases linked by shared identifiers, co-offending or contact."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal

import polars as pl

from aluna import _native
from aluna._interop import arrow_table, ids_frame, to_polars
from aluna.exceptions import ArgumentError

if TYPE_CHECKING:
    import networkx

__all__ = ["CaseGraph"]

Direction = Literal["all", "in", "out"]


class CaseGraph:
    """A case-link graph: nodes are persons or cases, keyed by your own (pseudonymised) ids;
    edges are links between them, optionally weighted, typed and timed.

    Build one with :meth:`CaseGraph.from_edges`. Parallel links between the same pair merge into
    one edge (weights summed, link types and times kept), unless ``multigraph=True``, which counts
    each link in degrees and edge counts. Storage is compact (CSR with 32-bit indices, 8 bytes per
    edge plus 8 for a weight), so graphs of 100 million edges fit on one machine. A graph never
    changes: methods that filter or add attributes return a new graph sharing the storage.

    Every table a method returns is a polars DataFrame keyed by your ids in a column ``node``.

    Examples
    --------
    >>> import polars as pl, aluna
    >>> edges = pl.DataFrame({"source": ["ann", "bo", "cy"], "target": ["bo", "cy", "ann"]})
    >>> g = aluna.CaseGraph.from_edges(edges)
    >>> g
    CaseGraph(undirected, 3 nodes, 3 edges)
    >>> g.degree().rows()
    [('ann', 2), ('bo', 2), ('cy', 2)]
    """

    __slots__ = ("_attributes", "_columns", "_graph", "_provenance")

    def __init__(self, *_args: object, **_kwargs: object) -> None:
        raise TypeError("build a CaseGraph with CaseGraph.from_edges(...)")

    @classmethod
    def _wrap(
        cls, graph: _native.Graph, columns: dict[str, str | None], attributes: pl.DataFrame | None
    ) -> CaseGraph:
        self = object.__new__(cls)
        self._graph = graph
        self._columns = columns
        self._attributes = attributes
        self._provenance: dict[str, Any] | None = None
        return self

    @classmethod
    def from_edges(
        cls,
        edges: Any,
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
    ) -> CaseGraph:
        """Build a graph from an edge table.

        Parameters
        ----------
        edges
            One row per observed link: a polars or pandas DataFrame, a pyarrow Table, or any
            object with ``__arrow_c_stream__``.
        source, target
            Columns holding the linked ids: integers or strings, the same kind in both.
        weight
            Column of link strengths (finite, non-negative). Parallel links' weights are summed.
        link_type
            Column saying what kind of link each row is (shared phone, co-offending, payment ...).
        time
            Column saying when each link was seen: a date, a datetime or integers. Kept per link,
            so :meth:`subgraph` can cut exact time windows.
        directed
            Links run from ``source`` to ``target``.
        multigraph
            Count parallel links separately in :meth:`degree` and :meth:`number_of_edges`.
            Path-based measures always see one link per pair, as networkx's do on multigraphs.
        nodes
            Optional node table listing every node (isolated ones too) with attributes. A column
            ``role`` (offender, suspect, victim, witness, unknown) marks who is who: victims are
            left out of rankings meant to target people.
        node
            The id column of ``nodes``.

        Returns
        -------
        CaseGraph

        Raises
        ------
        ColumnError
            A named column is missing or holds the wrong type.
        BadValueError
            A null id, or a NaN or negative weight (the message names the row).
        EmptyInputError
            The edge table has no rows and no node table was given.
        DuplicateError
            A node appears twice in ``nodes``.

        Examples
        --------
        >>> import polars as pl, aluna
        >>> links = pl.DataFrame({"a": [1, 2, 2], "b": [2, 1, 3], "w": [1.0, 0.5, 2.0]})
        >>> g = aluna.CaseGraph.from_edges(links, "a", "b", weight="w")
        >>> g.edges().rows()
        [(1, 2, 1.5, 2), (2, 3, 2.0, 1)]
        """
        node_table = None
        role = None
        attributes = None
        if nodes is not None:
            node_frame = _as_polars(nodes, what="nodes")
            role = "role" if "role" in node_frame.columns else None
            node_table = node_frame
            attributes = node_frame
        graph = _native.Graph.from_tables(
            arrow_table(edges, what="edges"),
            source,
            target,
            weight=weight,
            link_type=link_type,
            time=time,
            directed=directed,
            multigraph=multigraph,
            nodes=node_table,
            node=node,
            role=role,
        )
        columns = {
            "source": source,
            "target": target,
            "weight": weight,
            "link_type": link_type,
            "time": time,
            "node": node,
        }
        result = cls._wrap(graph, columns, None)
        if attributes is not None:
            result = result._aligned(attributes, node)
        return result

    # ---------------------------------------------------------------- size and shape

    def number_of_nodes(self) -> int:
        """Number of nodes (persons or cases), isolated ones included."""
        return self._graph.number_of_nodes()

    def number_of_edges(self) -> int:
        """Number of edges: linked pairs, or observed links when built with ``multigraph=True``."""
        return self._graph.number_of_edges()

    @property
    def directed(self) -> bool:
        """Whether links have a direction."""
        return self._graph.is_directed()

    @property
    def weight(self) -> str | None:
        """The weight column the graph was built with, if any."""
        return self._columns["weight"]

    def __len__(self) -> int:
        return self.number_of_nodes()

    # ---------------------------------------------------------------- tables

    def nodes(self) -> pl.DataFrame:
        """One row per node: ``node`` (your ids), ``role`` when set, and any node attributes.

        Examples
        --------
        >>> import polars as pl, aluna
        >>> g = aluna.CaseGraph.from_edges(pl.DataFrame({"source": [3], "target": [1]}))
        >>> g.nodes()["node"].to_list()
        [3, 1]
        """
        frame = to_polars(self._graph.nodes())
        if self._attributes is not None:
            extra = self._attributes.drop(
                [c for c in ("role",) if c in frame.columns], strict=False
            )
            frame = frame.hstack(extra.drop("node"))
        return frame

    def edges(self, *, per_link: bool = False) -> pl.DataFrame:
        """The edge table.

        Parameters
        ----------
        per_link
            One row per observed link as given (kept when the graph has link types or times or
            is a multigraph) instead of one row per linked pair.

        Returns
        -------
        polars.DataFrame
            Per linked pair: ``source``, ``target`` (named as your columns; ``source <= target``
            in node order when undirected), the summed weight, ``link_types`` (a list) and
            ``first_seen``/``last_seen`` when links are typed or timed, and ``links``, the number
            of links merged into the pair.
        """
        frame = to_polars(self._graph.edges(per_link=per_link))
        renames = {
            "source": self._columns["source"],
            "target": self._columns["target"],
            "weight": self._columns["weight"],
        }
        if per_link:
            renames["link_type"] = self._columns["link_type"]
            renames["time"] = self._columns["time"]
            renames["until"] = self._columns.get("until")
        return frame.rename({k: v for k, v in renames.items() if v and k in frame.columns})

    # ---------------------------------------------------------------- measures

    def degree(self, weight: str | None = None, *, direction: Direction = "all") -> pl.DataFrame:
        """Number of links of every node, or their summed weight (strength).

        A self-loop counts twice in an undirected graph; in a multigraph every parallel link
        counts. Values equal networkx's ``G.degree`` (``G.in_degree``/``G.out_degree``).

        Parameters
        ----------
        weight
            The graph's weight column: sum link weights instead of counting links.
        direction
            ``"all"``, or ``"in"``/``"out"`` for directed graphs.

        Returns
        -------
        polars.DataFrame
            ``node`` and ``degree`` (integers), or ``node`` and ``strength`` when weighted.

        Examples
        --------
        >>> import polars as pl, aluna
        >>> e = pl.DataFrame({"source": ["a", "a"], "target": ["b", "c"], "w": [2.0, 0.5]})
        >>> aluna.CaseGraph.from_edges(e, weight="w").degree("w").rows()
        [('a', 2.5), ('b', 2.0), ('c', 0.5)]
        """
        weighted = self._check_weight(weight)
        name = "strength" if weighted else "degree"
        return to_polars(self._graph.degree(name, weighted=weighted, direction=direction))

    def components(self, *, strong: bool = False) -> pl.DataFrame:
        """Connected component of every node, numbered 0, 1, ... from the largest.

        Directed graphs give weakly connected components, or strongly connected ones with
        ``strong=True`` (Tarjan 1972). Ties in size are ordered by the component holding the
        earlier node.

        Returns
        -------
        polars.DataFrame
            ``node`` and ``component``.

        Examples
        --------
        >>> import polars as pl, aluna
        >>> e = pl.DataFrame({"source": [1, 3, 4], "target": [2, 4, 5]})
        >>> aluna.CaseGraph.from_edges(e).components().rows()
        [(1, 1), (3, 0), (4, 0), (2, 1), (5, 0)]
        """
        return to_polars(self._graph.components(strong=strong))

    # ---------------------------------------------------------------- derived graphs

    def subgraph(
        self,
        nodes: Iterable[Any] | pl.Series | None = None,
        *,
        link_types: Sequence[Any] | None = None,
        start: Any = None,
        end: Any = None,
    ) -> CaseGraph:
        """The graph restricted to some nodes, link types and a time window.

        Links are filtered one observation at a time and merged again, so an edge seen in March
        and June keeps only its March links in a March window. Without ``nodes`` every node is
        kept, so snapshots of one graph share their node set.

        Parameters
        ----------
        nodes
            Ids of the nodes to keep (the subgraph they induce).
        link_types
            Link types to keep.
        start, end
            Keep links seen in ``[start, end)``; values of the time column's type (dates,
            datetimes or integers; ISO strings are parsed).

        Examples
        --------
        >>> import polars as pl, aluna
        >>> from datetime import date
        >>> e = pl.DataFrame({"source": ["a", "a", "b"], "target": ["b", "b", "c"],
        ...                   "seen": [date(2024, 1, 5), date(2024, 6, 1), date(2024, 6, 2)]})
        >>> g = aluna.CaseGraph.from_edges(e, time="seen")
        >>> g.subgraph(start=date(2024, 6, 1), end=date(2024, 7, 1)).edges()["links"].to_list()
        [1, 1]
        """
        node_table = None
        if nodes is not None:
            node_table = ids_frame(nodes, what="nodes").cast({"node": self._id_dtype()})
        type_table = None
        if link_types is not None:
            type_table = ids_frame(list(link_types), what="link_types", column="link_type")
        graph = self._graph.subgraph(
            nodes=node_table,
            link_types=type_table,
            start=self._physical_time(start, "start"),
            end=self._physical_time(end, "end"),
        )
        attributes = self._attributes
        if attributes is not None and node_table is not None:
            kept = to_polars(graph.nodes()).select("node")
            attributes = kept.join(attributes, on="node", how="left", maintain_order="left")
        return CaseGraph._wrap(graph, self._columns, attributes)

    def with_node_attributes(self, table: Any, *, node: str = "node") -> CaseGraph:
        """A graph with node attributes joined on (a ``role`` column sets node roles).

        Every id in ``table`` must be a node of the graph and appear once; nodes missing from
        ``table`` get nulls (and the role ``unknown``).

        Examples
        --------
        >>> import polars as pl, aluna
        >>> g = aluna.CaseGraph.from_edges(pl.DataFrame({"source": ["a"], "target": ["b"]}))
        >>> attrs = pl.DataFrame({"node": ["b"], "role": ["victim"], "age": [15]})
        >>> g.with_node_attributes(attrs).nodes().rows()
        [('a', 'unknown', None), ('b', 'victim', 15)]
        """
        frame = _as_polars(table, what="node attributes")
        graph = self._graph
        if "role" in frame.columns:
            graph = graph.with_roles(frame, node, "role")
        result = CaseGraph._wrap(graph, self._columns, None)
        merged = frame if self._attributes is None else self._merge_attributes(frame, node)
        return result._aligned(merged, node)

    def _merge_attributes(self, frame: pl.DataFrame, node: str) -> pl.DataFrame:
        assert self._attributes is not None
        new = frame.rename({node: "node"}) if node != "node" else frame
        old = self._attributes.drop([c for c in new.columns if c != "node"], strict=False)
        return old.join(new, on="node", how="left", maintain_order="left").rename(
            {"node": node} if node != "node" else {}
        )

    def _aligned(self, frame: pl.DataFrame, node: str) -> CaseGraph:
        """Attach ``frame`` as node attributes, in node order (unknown ids and duplicates raise)."""
        index = to_polars(self._graph.align_nodes(frame, node))["index"]
        n = self.number_of_nodes()
        attributes = (
            frame.rename({node: "node"} if node != "node" else {})
            .with_columns(_index=index)
            .drop("role", strict=False)
        )
        order = pl.DataFrame({"_index": pl.arange(0, n, eager=True, dtype=pl.UInt32)})
        aligned = (
            order.join(attributes, on="_index", how="left", maintain_order="left")
            .drop("_index", "node")
            .insert_column(0, to_polars(self._graph.nodes())["node"])
        )
        return CaseGraph._wrap(self._graph, self._columns, aligned)

    # ---------------------------------------------------------------- conversions

    def to_networkx(self) -> networkx.Graph:
        """The graph as a networkx ``Graph``/``DiGraph`` (``MultiGraph`` when a multigraph), with
        the weight as edge attribute ``weight`` and node attributes copied."""
        import networkx as nx

        multi = self._graph.is_multigraph()
        cls = {
            (False, False): nx.Graph,
            (True, False): nx.DiGraph,
            (False, True): nx.MultiGraph,
            (True, True): nx.MultiDiGraph,
        }[(self.directed, multi)]
        g = cls()
        for row in self.nodes().iter_rows(named=True):
            g.add_node(row.pop("node"), **row)
        edges = self.edges(per_link=multi)
        src, tgt, w = self._columns["source"], self._columns["target"], self._columns["weight"]
        for row in edges.iter_rows(named=True):
            attrs = {"weight": row[w]} if w else {}
            g.add_edge(row[src], row[tgt], **attrs)
        return g

    # ---------------------------------------------------------------- display

    def __repr__(self) -> str:
        kind = "directed" if self.directed else "undirected"
        if self._graph.is_multigraph():
            kind += " multigraph"
        return (
            f"CaseGraph({kind}, {self.number_of_nodes():,} nodes, {self.number_of_edges():,} edges)"
        )

    def _repr_html_(self) -> str:
        facts = {
            "kind": "directed" if self.directed else "undirected",
            "nodes": f"{self.number_of_nodes():,}",
            "edges": f"{self.number_of_edges():,}",
            "weight": self._columns["weight"] or "none",
            "link types": self._columns["link_type"] or "none",
            "time": self._columns["time"] or "none",
        }
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
            for k, v in facts.items()
        )
        return f"<div><strong>CaseGraph</strong> (pseudonymised ids)<table>{rows}</table></div>"

    # ================================================================ from records: evidence,
    # crime-type layers, time windows, exchange (aluna.records, aluna.temporal, aluna.exchange)

    @property
    def build_report(self) -> Any:
        """How the graph was built from records: the :class:`aluna.records.LinkReport` of
        :func:`aluna.link_records`, the :class:`aluna.records.CoOffendingReport` of
        :func:`aluna.co_offending`, or ``None`` for graphs built otherwise (and for derived
        graphs such as subgraphs)."""
        provenance = self._provenance
        return None if provenance is None else provenance.get("report")

    def evidence(self) -> pl.DataFrame:
        """The observations behind every link, as the graph stores them.

        For :func:`aluna.link_records` graphs: one row per linked pair and identifier column,
        with ``identifier``, ``shared_values``, the column's share of the ``weight`` and, when
        timed, ``first_seen``/``last_seen``. For :func:`aluna.co_offending` graphs: one row per
        pair and shared case, with its crime type and time. Otherwise one row per observed link
        (or per linked pair when links carry neither type nor time).

        Examples
        --------
        >>> import polars as pl, aluna
        >>> rec = pl.DataFrame({"person_id": ["a", "b", "a", "b"], "phone": ["x", "x", None, None],
        ...                     "card": [None, None, "k", "k"]})
        >>> aluna.link_records(rec, identifiers=["phone", "card"], weighting="count").evidence().rows()
        [('a', 'b', 1.0, 1, 'phone'), ('a', 'b', 1.0, 1, 'card')]
        """  # noqa: E501
        frame = to_polars(_native.graph_observations(self._graph))
        built_by = (self._provenance or {}).get("built_by")
        renames = {
            "source": self._columns["source"],
            "target": self._columns["target"],
            "weight": self._columns["weight"],
            "count": "shared_values" if built_by == "aluna.link_records" else "links",
            "link_type": self._columns["link_type"],
            "time": self._columns["time"],
            "until": self._columns.get("until"),
        }
        return frame.rename({k: v for k, v in renames.items() if v and k in frame.columns})

    def layers(self) -> pl.DataFrame:
        """The graph's layers: one per link type (crime type, identifier column ...).

        Returns
        -------
        polars.DataFrame
            ``layer``, ``edges`` (pairs linked in it), ``links`` (its observations), ``nodes``
            (nodes with a link in it), and ``label`` when every layer is an ICCS code
            (:mod:`aluna.iccs`).

        Examples
        --------
        >>> import polars as pl, aluna
        >>> part = pl.DataFrame({"person_id": [1, 2, 1, 2, 3], "case_id": [7, 7, 8, 8, 8],
        ...                      "crime": ["0302", "0302", "0601", "0601", "0601"]})
        >>> aluna.co_offending(part, crime_type="crime").layers().rows()
        [('0302', 1, 1, 2, 'Sexual exploitation'), ('0601', 3, 3, 3, 'Unlawful acts involving controlled drugs or precursors')]
        """  # noqa: E501
        from aluna import iccs

        frame = to_polars(_native.layer_summary_table(self._graph))
        layer = frame["layer"]
        if layer.dtype == pl.String and layer.len() and layer.is_in(iccs.table()["code"]).all():
            frame = frame.join(
                iccs.table().select(layer="code", label="label"),
                on="layer",
                how="left",
                maintain_order="left",
            )
        return frame

    def layer(self, crime_type: Any) -> CaseGraph:
        """The layer of one link type: the subgraph of its links over all nodes.

        ``crime_type`` is a layer as stored, or, when layers are ICCS codes, an ICCS code, label
        or alias (:func:`aluna.iccs.code`) whose layers are merged: ``layer("0302")`` or
        ``layer("child sexual exploitation")`` keeps every layer coded beneath it.

        Raises
        ------
        ArgumentError
            No layer matches (the message lists the layers).

        Examples
        --------
        >>> import polars as pl, aluna
        >>> part = pl.DataFrame({"person_id": [1, 2, 1, 2, 3], "case_id": [7, 7, 8, 8, 8],
        ...                      "crime": ["030221", "030221", "0601", "0601", "0601"]})
        >>> g = aluna.co_offending(part, crime_type="crime")
        >>> g.layer("child sexual exploitation").edges()["weight"].to_list()
        [1.0]
        """
        from aluna import iccs

        levels = to_polars(_native.layer_summary_table(self._graph))["layer"]
        if crime_type in levels.to_list():
            return self.subgraph(link_types=[crime_type])
        if isinstance(crime_type, str) and levels.dtype == pl.String:
            try:
                prefix = iccs.code(crime_type)
            except ArgumentError:
                prefix = None
            if prefix is not None:
                chosen = levels.filter(levels.str.starts_with(prefix)).to_list()
                if chosen:
                    return self.subgraph(link_types=chosen)
        shown = ", ".join(repr(v) for v in levels.to_list()[:20])
        raise ArgumentError(
            f"argument `crime_type`: no layer matches {crime_type!r}; the graph's layers are: "
            f"{shown}"
        )

    def layer_overlap(self) -> pl.DataFrame:
        r"""Edge overlap of every pair of layers.

        :math:`J_{ab} = |E_a \cap E_b| / |E_a \cup E_b|`: the share of pairs linked in either
        layer that are linked in both (Battiston, Nicosia & Latora 2014 [1]_ count the shared
        edges). Do the drug and the sexual-exploitation co-offending networks link the same
        pairs?

        Returns
        -------
        polars.DataFrame
            ``layer_a``, ``layer_b`` (every pair, ``layer_a`` first in layer order),
            ``edges_a``, ``edges_b``, ``shared`` and ``jaccard`` (null when both are empty).

        References
        ----------
        .. [1] Battiston, F., Nicosia, V. & Latora, V. (2014). Structural measures for
           multiplex networks. Physical Review E 89, 032804.
           https://doi.org/10.1103/PhysRevE.89.032804

        Examples
        --------
        >>> import polars as pl, aluna
        >>> part = pl.DataFrame({"person_id": [1, 2, 1, 2, 3], "case_id": [7, 7, 8, 8, 8],
        ...                      "crime": ["0302", "0302", "0601", "0601", "0601"]})
        >>> aluna.co_offending(part, crime_type="crime").layer_overlap().rows()
        [('0302', '0601', 1, 3, 1, 0.3333333333333333)]
        """
        return to_polars(_native.layer_overlap_table(self._graph))

    def layer_degree(self, *, direction: Direction = "all") -> pl.DataFrame:
        """Degree of every node in every layer where it has links (long format).

        Each value equals ``g.layer(l).degree()`` for that node.

        Returns
        -------
        polars.DataFrame
            ``node``, ``layer``, ``degree``.
        """
        return to_polars(_native.layer_degree_table(self._graph, direction))

    def multiplex(self, *, direction: Direction = "all") -> pl.DataFrame:
        r"""Multiplex degree and participation coefficient of every node.

        With :math:`k_i^{[\alpha]}` the degree of node :math:`i` in layer :math:`\alpha` and
        :math:`M` the number of layers, the overlapping degree is
        :math:`o_i = \sum_\alpha k_i^{[\alpha]}` and the participation coefficient
        :math:`P_i = \frac{M}{M-1}\left[1 - \sum_\alpha (k_i^{[\alpha]} / o_i)^2\right]`
        (Battiston et al. 2014 [1]_): 0 when all of a node's links lie in one layer (a
        specialist), 1 when spread evenly over all :math:`M` layers (a generalist).

        Returns
        -------
        polars.DataFrame
            ``node``, ``degree`` (in the merged graph), ``overlapping_degree``, ``layers`` (with
            a link) and ``participation`` (null for nodes without links).

        Raises
        ------
        NotDefinedError
            The graph has fewer than two layers.
        ArgumentError
            The graph's links have no type.

        References
        ----------
        .. [1] Battiston, F., Nicosia, V. & Latora, V. (2014). Structural measures for
           multiplex networks. Physical Review E 89, 032804.
           https://doi.org/10.1103/PhysRevE.89.032804

        Examples
        --------
        >>> import polars as pl, aluna
        >>> part = pl.DataFrame({"person_id": [1, 2, 1, 2, 3], "case_id": [7, 7, 8, 8, 8],
        ...                      "crime": ["0302", "0302", "0601", "0601", "0601"]})
        >>> aluna.co_offending(part, crime_type="crime").multiplex().rows()
        [(1, 2, 3, 2, 0.8888888888888888), (2, 2, 3, 2, 0.8888888888888888), (3, 2, 2, 1, 0.0)]
        """
        table = to_polars(_native.multiplex_table(self._graph, direction))
        merged = self.degree(direction=direction)["degree"]
        return table.insert_column(1, merged)

    def snapshots(self, freq: Any, *, start: Any = None, end: Any = None) -> Any:
        """The graph cut into consecutive time windows of length ``freq``.

        See :class:`aluna.temporal.Snapshots`: each window is the subgraph of the links seen in
        it (a link seen over a span counts in every window the span overlaps), over all nodes,
        and groups can be followed across windows with ``.persistence(partition)``.

        Parameters
        ----------
        freq
            Window length: a polars duration (``"1mo"``, ``"2w"``, ``"1y"``) or a
            ``datetime.timedelta`` for date and datetime times, a positive integer for integer
            times.
        start, end
            First window start and last window end (defaults: the first time, truncated to
            ``freq``, and just after the last time).

        Examples
        --------
        >>> import polars as pl, aluna
        >>> part = pl.DataFrame({"person_id": [1, 2, 2, 3], "case_id": [7, 7, 8, 8],
        ...                      "year": [2020, 2020, 2022, 2022]})
        >>> snaps = aluna.co_offending(part, time="year").snapshots(1)
        >>> snaps.windows.select("start", "edges").rows()
        [(2020, 1), (2021, 0), (2022, 1)]
        """
        from aluna.temporal import Snapshots

        return Snapshots(self, freq, start=start, end=end)

    def write_parquet(
        self,
        path: Any,
        *,
        key_fingerprint: str | None = None,
        suppression: Any = None,
        provenance: dict[str, Any] | None = None,
    ) -> None:
        """Write the graph in aluna's versioned Parquet exchange layout (``docs/exchange.md``).

        One file: a row per node, then a row per stored link observation, and the file's
        metadata (schema version, the pseudonymisation key's fingerprint, the suppression
        applied, provenance). :meth:`read_parquet` reads it back exactly.

        Parameters
        ----------
        path
            The file to write.
        key_fingerprint
            Fingerprint of the key the ids were pseudonymised with (e.g.
            ``aluna.privacy.Key.fingerprint``), so the receiver can tell whether two files can
            be linked. Never the key itself.
        suppression
            What disclosure control was applied (a string or a JSON-serialisable mapping);
            ``None`` records that none was.
        provenance
            Extra JSON-serialisable facts: source system, extraction date, legal basis ...

        Examples
        --------
        >>> import polars as pl, aluna, tempfile, pathlib
        >>> g = aluna.CaseGraph.from_edges(pl.DataFrame({"source": ["a"], "target": ["b"]}))
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "graph.parquet"
        >>> g.write_parquet(path, key_fingerprint="sha256:1f2e")
        >>> aluna.CaseGraph.read_parquet(path).edges().rows()
        [('a', 'b', 1)]
        """
        from aluna.exchange import write_graph

        write_graph(
            self,
            path,
            key_fingerprint=key_fingerprint,
            suppression=suppression,
            provenance=provenance,
        )

    @classmethod
    def read_parquet(cls, path: Any) -> CaseGraph:
        """Read a graph written by :meth:`write_parquet` (see :func:`aluna.exchange.read_graph`
        for the file's metadata)."""
        from aluna.exchange import read_graph

        return read_graph(path).graph

    # ---------------------------------------------------------------- helpers

    def _check_weight(self, weight: str | None) -> bool:
        if weight is None:
            return False
        if weight != self._columns["weight"]:
            have = self._columns["weight"]
            hint = f"the graph's weight is {have!r}" if have else "the graph has no weight"
            raise ArgumentError(f"argument `weight`: {weight!r} is not the graph's weight; {hint}")
        return True

    def _id_dtype(self) -> pl.DataType:
        return to_polars(self._graph.nodes())["node"].dtype

    def _physical_time(self, value: Any, name: str) -> int | None:
        """``value`` in the storage units of the graph's time column."""
        if value is None:
            return None
        kind = self._graph.time_kind()
        if kind is None:
            raise ArgumentError(
                f"argument `{name}`: the graph's links have no time; build it with time=<column>"
            )
        family, unit, tz = kind
        if family == "integer":
            if not isinstance(value, int):
                raise ArgumentError(f"argument `{name}`: times are integers, got {value!r}")
            return value
        dtype: pl.DataType = (
            pl.Date() if family == "date" else pl.Datetime("ms" if unit == "s" else unit, tz)  # type: ignore[arg-type]
        )
        try:
            series = pl.Series([value])
            if series.dtype == pl.String:
                series = series.str.to_date() if family == "date" else series.str.to_datetime()
            physical = series.cast(dtype).to_physical()[0]
        except (pl.exceptions.PolarsError, TypeError) as err:
            raise ArgumentError(f"argument `{name}`: cannot read {value!r} as {dtype}") from err
        if physical is None:
            raise ArgumentError(f"argument `{name}`: cannot read {value!r} as {dtype}")
        return int(physical) // 1000 if unit == "s" else int(physical)


def _as_polars(data: Any, *, what: str) -> pl.DataFrame:
    if isinstance(data, pl.DataFrame):
        return data
    return pl.DataFrame(arrow_table(data, what=what))
