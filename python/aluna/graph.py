"""The case-link graph: persons or cases linked by shared identifiers, co-offending or contact."""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import polars as pl

from aluna import _native
from aluna._interop import arrow_table, ids_frame, to_polars
from aluna.disruption import STRATEGIES, Disruption
from aluna.exceptions import ArgumentError, ColumnError
from aluna.groups import (
    DEFAULT_EXCLUDED_ROLES,
    KeyPlayers,
    check_choice,
    partition_frame,
    roles_argument,
)

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
    def _built(
        cls,
        graph: _native.Graph,
        *,
        source: str,
        target: str,
        weight: str | None,
        link_type: str | None,
        time: str | None,
        node: str,
        attributes: pl.DataFrame | None,
    ) -> CaseGraph:
        """Wrap a freshly built native graph, remembering the user's column names, and attach
        the node attributes (aligned to the graph's nodes) when there are any."""
        columns = {
            "source": source,
            "target": target,
            "weight": weight,
            "link_type": link_type,
            "time": time,
            "node": node,
        }
        result = cls._wrap(graph, columns, None)
        return result if attributes is None else result._aligned(attributes, node)

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
        return cls._built(
            graph,
            source=source,
            target=target,
            weight=weight,
            link_type=link_type,
            time=time,
            node=node,
            attributes=attributes,
        )

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

        See Also
        --------
        top : rank people by this measure as targets, leaving victims out (this table
            describes every node, victims included).

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

    # ---------------------------------------------------------------- centrality

    def betweenness(
        self,
        *,
        normalized: bool = True,
        weight: str | None = None,
        endpoints: bool = False,
        epsilon: float | None = None,
        delta: float = 0.1,
        seed: int = 0,
        threads: int | None = None,
    ) -> pl.DataFrame:
        r"""Shortest-path betweenness of every person or case: how much of the traffic along
        shortest paths runs through them. High values mark brokers and bridges between groups.

        .. math:: c_B(v) = \sum_{s \ne v \ne t} \frac{\sigma_{st}(v)}{\sigma_{st}}

        where :math:`\sigma_{st}` counts the shortest paths from :math:`s` to :math:`t` and
        :math:`\sigma_{st}(v)` those through :math:`v` [1]_, over unordered pairs when undirected
        and ordered pairs when directed. Computed exactly with Brandes' algorithm [2]_ (one
        breadth-first search per source, Dijkstra's algorithm when weighted), in parallel over
        sources; the result is bit-identical for any number of threads. Values equal networkx's
        ``betweenness_centrality``.

        With ``epsilon``, betweenness is estimated from random shortest paths instead [3]_: with
        probability at least ``1 - delta`` every node's estimate is within ``epsilon`` of its
        exact normalised value. The number of samples is
        :math:`\lceil \frac{c}{e^2}(\lfloor \log_2(VD - 2) \rfloor + 1 + \ln(1/\delta)) \rceil`
        with :math:`c = 0.5`, :math:`e = \epsilon (n-2)/n` and :math:`VD` an upper bound on the
        number of nodes on a shortest path. Same ``seed``, same result, at any thread count.

        Parameters
        ----------
        normalized
            Divide by the number of pairs that could route through a node: :math:`(n-1)(n-2)`,
            or :math:`n(n-1)` with ``endpoints``, for directed and undirected graphs alike (as
            networkx does). Unnormalised undirected values count each unordered pair once.
        weight
            The graph's weight column, read as link *lengths* (costs), as networkx does; they
            must be positive. To rank by tie strength, build the graph with ``1 / strength``.
        endpoints
            Count a path's end nodes as lying on it [4]_ (exact computation only).
        epsilon
            Estimate instead of computing exactly, to this accuracy on the normalised scale
            (with ``normalized=False`` the bound scales with the values).
        delta
            Probability that some estimate misses by more than ``epsilon``.
        seed
            Seed of the random paths (used only with ``epsilon``).
        threads
            Threads to use; ``None`` uses every core (or ``RAYON_NUM_THREADS``).

        Returns
        -------
        polars.DataFrame
            ``node`` (your ids) and ``betweenness``.

        Raises
        ------
        ArgumentError
            ``weight`` is not the graph's weight column, a link has weight 0, or ``epsilon``
            or ``delta`` lie outside (0, 1).

        See Also
        --------
        top : rank people by this measure as targets, leaving victims out (this table
            describes every node, victims included).

        References
        ----------
        .. [1] Freeman, L. C. (1977). A set of measures of centrality based on betweenness.
           Sociometry 40(1), 35-41. https://doi.org/10.2307/3033543
        .. [2] Brandes, U. (2001). A faster algorithm for betweenness centrality. Journal of
           Mathematical Sociology 25(2), 163-177. https://doi.org/10.1080/0022250X.2001.9990249
        .. [3] Riondato, M., & Kornaropoulos, E. M. (2016). Fast approximation of betweenness
           centrality through sampling. Data Mining and Knowledge Discovery 30(2), 438-475.
           https://doi.org/10.1007/s10618-015-0423-0
        .. [4] Brandes, U. (2008). On variants of shortest-path betweenness centrality and their
           generic computation. Social Networks 30(2), 136-145.
           https://doi.org/10.1016/j.socnet.2007.11.001

        Examples
        --------
        >>> import polars as pl, aluna
        >>> edges = pl.DataFrame({"source": ["ann", "bo"], "target": ["bo", "cy"]})
        >>> g = aluna.CaseGraph.from_edges(edges)
        >>> g.betweenness(normalized=False).rows()
        [('ann', 0.0), ('bo', 1.0), ('cy', 0.0)]
        """
        weighted = self._check_weight(weight)
        return to_polars(
            self._graph.betweenness(
                normalized=normalized,
                weighted=weighted,
                endpoints=endpoints,
                epsilon=epsilon,
                delta=delta,
                seed=seed,
                threads=threads,
            )
        )

    def edge_betweenness(
        self, *, normalized: bool = True, weight: str | None = None, threads: int | None = None
    ) -> pl.DataFrame:
        r"""Shortest-path betweenness of every link: the share of shortest paths that use it.
        Links with high values join groups; removing them splits the network fastest (Girvan
        and Newman's community method removes them one by one [2]_).

        .. math:: c_B(e) = \sum_{s \ne t} \frac{\sigma_{st}(e)}{\sigma_{st}}

        over unordered pairs when undirected, ordered when directed [1]_, computed with Brandes'
        algorithm in parallel (bit-identical for any thread count). Values equal networkx's
        ``edge_betweenness_centrality``; parallel links of a multigraph count as one link.

        Parameters
        ----------
        normalized
            Divide by :math:`n(n-1)`, as networkx does.
        weight
            The graph's weight column, read as positive link lengths.
        threads
            Threads to use; ``None`` uses every core.

        Returns
        -------
        polars.DataFrame
            One row per linked pair: the source and target columns (named as in
            :meth:`edges`) and ``edge_betweenness``.

        References
        ----------
        .. [1] Brandes, U. (2008). On variants of shortest-path betweenness centrality and their
           generic computation. Social Networks 30(2), 136-145.
           https://doi.org/10.1016/j.socnet.2007.11.001
        .. [2] Girvan, M., & Newman, M. E. J. (2002). Community structure in social and
           biological networks. PNAS 99(12), 7821-7826. https://doi.org/10.1073/pnas.122653799

        Examples
        --------
        >>> import polars as pl, aluna
        >>> edges = pl.DataFrame({"source": ["ann", "bo"], "target": ["bo", "cy"]})
        >>> aluna.CaseGraph.from_edges(edges).edge_betweenness(normalized=False).rows()
        [('ann', 'bo', 2.0), ('bo', 'cy', 2.0)]
        """
        weighted = self._check_weight(weight)
        frame = to_polars(
            self._graph.edge_betweenness(normalized=normalized, weighted=weighted, threads=threads)
        )
        return self._edge_names(frame)

    def closeness(
        self, *, weight: str | None = None, wf_improved: bool = True, threads: int | None = None
    ) -> pl.DataFrame:
        r"""Closeness centrality: how few steps everyone else needs to reach a node.

        .. math:: C(u) = \frac{r - 1}{\sum_{v} d(v, u)}

        over the :math:`r - 1` other nodes :math:`v` that can reach :math:`u` [1]_; with
        ``wf_improved`` multiplied by :math:`(r-1)/(n-1)` [2]_, so that a node in a small
        component does not look central. Directed graphs use distances *to* the node (incoming
        paths). A node no one reaches scores 0. Values equal networkx's
        ``closeness_centrality`` (whose ``distance=`` is our ``weight=``).

        Parameters
        ----------
        weight
            The graph's weight column, read as link lengths (non-negative).
        wf_improved
            Apply Wasserman and Faust's correction for unreachable nodes.
        threads
            Threads to use; ``None`` uses every core.

        Returns
        -------
        polars.DataFrame
            ``node`` and ``closeness``.

        See Also
        --------
        top : rank people by this measure as targets, leaving victims out (this table
            describes every node, victims included).

        References
        ----------
        .. [1] Freeman, L. C. (1979). Centrality in networks: I. Conceptual clarification.
           Social Networks 1(3), 215-239. https://doi.org/10.1016/0378-8733(78)90021-7
        .. [2] Wasserman, S., & Faust, K. (1994). Social Network Analysis: Methods and
           Applications. Cambridge University Press. https://doi.org/10.1017/CBO9780511815478

        Examples
        --------
        >>> import polars as pl, aluna
        >>> edges = pl.DataFrame({"source": ["ann", "bo"], "target": ["bo", "cy"]})
        >>> g = aluna.CaseGraph.from_edges(edges)
        >>> [(node, round(c, 3)) for node, c in g.closeness().rows()]
        [('ann', 0.667), ('bo', 1.0), ('cy', 0.667)]
        """
        weighted = self._check_weight(weight)
        return to_polars(
            self._graph.closeness(weighted=weighted, wf_improved=wf_improved, threads=threads)
        )

    def harmonic(self, *, weight: str | None = None, threads: int | None = None) -> pl.DataFrame:
        r"""Harmonic centrality: the sum of inverse distances from everyone else.

        .. math:: H(u) = \sum_{v \ne u} \frac{1}{d(v, u)}

        with :math:`1/\infty = 0`, so it stays defined on disconnected graphs [1]_ [2]_.
        Directed graphs use distances *to* the node. Not normalised (divide by :math:`n - 1`
        for values in [0, 1]). Values equal networkx's ``harmonic_centrality``.

        Parameters
        ----------
        weight
            The graph's weight column, read as link lengths (non-negative).
        threads
            Threads to use; ``None`` uses every core.

        Returns
        -------
        polars.DataFrame
            ``node`` and ``harmonic``.

        See Also
        --------
        top : rank people by this measure as targets, leaving victims out (this table
            describes every node, victims included).

        References
        ----------
        .. [1] Marchiori, M., & Latora, V. (2000). Harmony in the small-world. Physica A
           285(3-4), 539-546. https://doi.org/10.1016/S0378-4371(00)00311-3
        .. [2] Boldi, P., & Vigna, S. (2014). Axioms for centrality. Internet Mathematics
           10(3-4), 222-262. https://doi.org/10.1080/15427951.2013.865686

        Examples
        --------
        >>> import polars as pl, aluna
        >>> edges = pl.DataFrame({"source": ["ann", "bo"], "target": ["bo", "cy"]})
        >>> aluna.CaseGraph.from_edges(edges).harmonic().rows()
        [('ann', 1.5), ('bo', 2.0), ('cy', 1.5)]
        """
        weighted = self._check_weight(weight)
        return to_polars(self._graph.harmonic(weighted=weighted, threads=threads))

    def eigenvector(
        self,
        *,
        weight: str | None = None,
        tol: float = 1e-10,
        max_iter: int = 1000,
        threads: int | None = None,
    ) -> pl.DataFrame:
        r"""Eigenvector centrality: a node is central when its contacts are central [1]_.

        The positive eigenvector :math:`x` of the largest eigenvalue :math:`\lambda` of the
        adjacency matrix, :math:`\lambda x_v = \sum_{u \to v} a_{uv} x_u`, scaled to unit
        Euclidean norm; directed graphs use incoming links. Computed by power iteration on
        :math:`A + I` until the L1 change falls below ``n * tol``. Values equal networkx's
        ``eigenvector_centrality``. In a multigraph, unweighted, :math:`a_{uv}` counts links.

        It is well posed only on a connected graph (strongly connected when directed): there
        the Perron-Frobenius theorem gives one positive eigenvector. Elsewhere it raises
        :class:`~aluna.exceptions.NotDefinedError`; compute it per component
        (:meth:`subgraph` of :meth:`components`) or use :meth:`pagerank` or :meth:`katz`.

        Parameters
        ----------
        weight
            The graph's weight column, read as tie strengths.
        tol, max_iter
            Convergence tolerance (per node) and the iteration limit.
        threads
            Threads to use; ``None`` uses every core.

        Returns
        -------
        polars.DataFrame
            ``node`` and ``eigenvector``.

        Raises
        ------
        NotDefinedError
            The graph is disconnected (or, directed, not strongly connected).
        ConvergenceError
            ``max_iter`` iterations did not reach ``tol``.

        See Also
        --------
        top : rank people by this measure as targets, leaving victims out (this table
            describes every node, victims included).

        References
        ----------
        .. [1] Bonacich, P. (1972). Factoring and weighting approaches to status scores and
           clique identification. Journal of Mathematical Sociology 2(1), 113-120.
           https://doi.org/10.1080/0022250X.1972.9989806

        Examples
        --------
        >>> import polars as pl, aluna
        >>> edges = pl.DataFrame({"source": ["ann", "ann"], "target": ["bo", "cy"]})
        >>> g = aluna.CaseGraph.from_edges(edges)
        >>> [(node, round(x, 4)) for node, x in g.eigenvector().rows()]
        [('ann', 0.7071), ('bo', 0.5), ('cy', 0.5)]
        """
        weighted = self._check_weight(weight)
        return to_polars(
            self._graph.eigenvector(weighted=weighted, tol=tol, max_iter=max_iter, threads=threads)
        )

    def pagerank(
        self,
        *,
        alpha: float = 0.85,
        weight: str | None = None,
        personalization: Mapping[Any, float] | pl.DataFrame | None = None,
        tol: float = 1e-10,
        max_iter: int = 1000,
        threads: int | None = None,
    ) -> pl.DataFrame:
        r"""PageRank: where a random walk along the links spends its time [1]_.

        The walk follows a link with probability ``alpha`` (choosing among a node's links in
        proportion to their weight) and otherwise jumps to a node drawn from
        ``personalization`` (uniform by default); walks at nodes without out-links jump too.
        Power iteration
        :math:`x' = \alpha (x P + \textstyle\sum_{\text{dangling}} x \cdot p) + (1-\alpha) p`
        until the L1 change falls below ``n * tol``. Scores sum to 1. Values equal networkx's
        ``pagerank``; in a multigraph, unweighted, parallel links count separately, as there.

        Parameters
        ----------
        alpha
            Damping factor in [0, 1].
        weight
            The graph's weight column, read as tie strengths.
        personalization
            Jump weights per node: a mapping ``{node: weight}`` or a frame with columns
            ``node`` and one column of weights. Unlisted nodes get 0. Use it to rank by
            proximity to known suspects.
        tol, max_iter
            Convergence tolerance (per node) and the iteration limit.
        threads
            Threads to use; ``None`` uses every core.

        Returns
        -------
        polars.DataFrame
            ``node`` and ``pagerank``.

        See Also
        --------
        top : rank people by this measure as targets, leaving victims out (this table
            describes every node, victims included).

        References
        ----------
        .. [1] Brin, S., & Page, L. (1998). The anatomy of a large-scale hypertextual Web
           search engine. Computer Networks and ISDN Systems 30(1-7), 107-117.
           https://doi.org/10.1016/S0169-7552(98)00110-X

        Examples
        --------
        >>> import polars as pl, aluna
        >>> edges = pl.DataFrame({"source": ["ann", "ann"], "target": ["bo", "cy"]})
        >>> g = aluna.CaseGraph.from_edges(edges)
        >>> [(node, round(x, 4)) for node, x in g.pagerank().rows()]
        [('ann', 0.4865), ('bo', 0.2568), ('cy', 0.2568)]
        """
        weighted = self._check_weight(weight)
        table = None
        if personalization is not None:
            table = self._node_values(personalization, "personalization")
        return to_polars(
            self._graph.pagerank(
                alpha=alpha,
                weighted=weighted,
                personalization=table,
                tol=tol,
                max_iter=max_iter,
                threads=threads,
            )
        )

    def katz(
        self,
        alpha: float = 0.1,
        beta: float | Mapping[Any, float] | pl.DataFrame = 1.0,
        *,
        weight: str | None = None,
        normalized: bool = True,
        tol: float = 1e-10,
        max_iter: int = 1000,
        threads: int | None = None,
    ) -> pl.DataFrame:
        r"""Katz centrality: walks of every length into a node, longer ones discounted [1]_.

        .. math:: x_v = \alpha \sum_{u \to v} a_{uv} x_u + \beta_v

        iterated from zero until the L1 change falls below ``n * tol``, then (``normalized``)
        scaled to unit Euclidean norm. Defined on any graph, but the series converges only for
        :math:`\alpha < 1/\lambda_{max}`, the inverse of the adjacency matrix's largest
        eigenvalue. Values equal networkx's ``katz_centrality``.

        Parameters
        ----------
        alpha
            Attenuation per step.
        beta
            Baseline score: one number, or per node (a mapping or a frame with ``node`` and one
            value column, listing every node).
        weight
            The graph's weight column, read as tie strengths.
        normalized
            Scale to unit Euclidean norm.
        tol, max_iter
            Convergence tolerance (per node) and the iteration limit.
        threads
            Threads to use; ``None`` uses every core.

        Returns
        -------
        polars.DataFrame
            ``node`` and ``katz``.

        Raises
        ------
        ConvergenceError
            The series diverges (``alpha`` too large) or ``max_iter`` was reached.

        See Also
        --------
        top : rank people by this measure as targets, leaving victims out (this table
            describes every node, victims included).

        References
        ----------
        .. [1] Katz, L. (1953). A new status index derived from sociometric analysis.
           Psychometrika 18(1), 39-43. https://doi.org/10.1007/BF02289026

        Examples
        --------
        >>> import polars as pl, aluna
        >>> edges = pl.DataFrame({"source": ["ann"], "target": ["bo"]})
        >>> g = aluna.CaseGraph.from_edges(edges)
        >>> [(node, round(x, 6)) for node, x in g.katz(0.5, normalized=False).rows()]
        [('ann', 2.0), ('bo', 2.0)]
        """
        weighted = self._check_weight(weight)
        node_beta = None
        if not isinstance(beta, (int, float)):
            node_beta = self._node_values(beta, "beta")
            beta = 1.0
        return to_polars(
            self._graph.katz(
                alpha=float(alpha),
                beta=float(beta),
                node_beta=node_beta,
                normalized=normalized,
                weighted=weighted,
                tol=tol,
                max_iter=max_iter,
                threads=threads,
            )
        )

    def core_number(self) -> pl.DataFrame:
        """Core number: the largest ``k`` such that the node lies in a part of the network where
        everyone has at least ``k`` contacts there [1]_. The dense inner circle of a group has
        high core numbers, its periphery low ones.

        Batagelj and Zaversnik's O(m) algorithm [2]_. Directed graphs use in- plus out-degree.
        Parallel links count once; self-loops are ignored (networkx refuses them). Values
        equal networkx's ``core_number`` on the graph without self-loops.

        Returns
        -------
        polars.DataFrame
            ``node`` and ``core_number`` (integers).

        See Also
        --------
        top : rank people by this measure as targets, leaving victims out (this table
            describes every node, victims included).

        References
        ----------
        .. [1] Seidman, S. B. (1983). Network structure and minimum degree. Social Networks
           5(3), 269-287. https://doi.org/10.1016/0378-8733(83)90028-X
        .. [2] Batagelj, V., & Zaversnik, M. (2003). An O(m) algorithm for cores decomposition
           of networks. https://arxiv.org/abs/cs/0310049

        Examples
        --------
        >>> import polars as pl, aluna
        >>> edges = pl.DataFrame({"source": ["a", "b", "c", "c"], "target": ["b", "c", "a", "d"]})
        >>> aluna.CaseGraph.from_edges(edges).core_number().rows()
        [('a', 2), ('b', 2), ('c', 2), ('d', 1)]
        """
        return to_polars(self._graph.core_number())

    def clustering(self, *, weight: str | None = None, threads: int | None = None) -> pl.DataFrame:
        r"""Local clustering coefficient: how often a node's contacts know each other.

        Undirected: :math:`c_v = 2 T(v) / (d_v (d_v - 1))` with :math:`T(v)` the triangles
        through :math:`v` [1]_; weighted, a triangle counts the geometric mean of its weights
        divided by the graph's largest weight [2]_. Directed: every directed triangle through
        :math:`v` over :math:`2 (d_v (d_v - 1) - 2 d^{\leftrightarrow}_v)` [3]_. Self-loops are
        left out; nodes with fewer than two contacts score 0. Values equal networkx's
        ``clustering``.

        Parameters
        ----------
        weight
            The graph's weight column, read as tie strengths.
        threads
            Threads to use; ``None`` uses every core.

        Returns
        -------
        polars.DataFrame
            ``node`` and ``clustering``.

        References
        ----------
        .. [1] Watts, D. J., & Strogatz, S. H. (1998). Collective dynamics of 'small-world'
           networks. Nature 393, 440-442. https://doi.org/10.1038/30918
        .. [2] Onnela, J.-P., Saramäki, J., Kertész, J., & Kaski, K. (2005). Intensity and
           coherence of motifs in weighted complex networks. Physical Review E 71, 065103.
           https://doi.org/10.1103/PhysRevE.71.065103
        .. [3] Fagiolo, G. (2007). Clustering in complex directed networks. Physical Review E
           76, 026107. https://doi.org/10.1103/PhysRevE.76.026107

        Examples
        --------
        >>> import polars as pl, aluna
        >>> edges = pl.DataFrame({"source": ["a", "b", "c", "c"], "target": ["b", "c", "a", "d"]})
        >>> [(v, round(c, 3)) for v, c in aluna.CaseGraph.from_edges(edges).clustering().rows()]
        [('a', 1.0), ('b', 1.0), ('c', 0.333), ('d', 0.0)]
        """
        weighted = self._check_weight(weight)
        return to_polars(self._graph.clustering(weighted=weighted, threads=threads))

    def transitivity(self, *, threads: int | None = None) -> float:
        """Transitivity of an undirected graph: the share of connected triples that close into
        triangles, :math:`3 T / \text{triples}` [1]_. Equals networkx's ``transitivity``.

        Raises
        ------
        NotDefinedError
            The graph is directed.

        References
        ----------
        .. [1] Newman, M. E. J., Strogatz, S. H., & Watts, D. J. (2001). Random graphs with
           arbitrary degree distributions and their applications. Physical Review E 64,
           026118. https://doi.org/10.1103/PhysRevE.64.026118

        Examples
        --------
        >>> import polars as pl, aluna
        >>> edges = pl.DataFrame({"source": ["a", "b", "c", "c"], "target": ["b", "c", "a", "d"]})
        >>> aluna.CaseGraph.from_edges(edges).transitivity()
        0.6
        """
        return self._graph.transitivity(threads=threads)

    def articulation_points(self) -> pl.DataFrame:
        """The articulation points (cut vertices): people whose removal splits their part of
        the network into pieces, because they alone connect otherwise separate groups.

        Hopcroft and Tarjan's depth-first search [1]_, O(n + m). Equals networkx's
        ``articulation_points``.

        Returns
        -------
        polars.DataFrame
            One row per articulation point, in node order: ``node``.

        Raises
        ------
        NotDefinedError
            The graph is directed (build it with ``directed=False`` to ignore direction).

        References
        ----------
        .. [1] Hopcroft, J., & Tarjan, R. (1973). Algorithm 447: efficient algorithms for graph
           manipulation. Communications of the ACM 16(6), 372-378.
           https://doi.org/10.1145/362248.362272

        Examples
        --------
        >>> import polars as pl, aluna
        >>> edges = pl.DataFrame({"source": ["a", "b", "c", "c"], "target": ["b", "c", "a", "d"]})
        >>> aluna.CaseGraph.from_edges(edges).articulation_points().rows()
        [('c',)]
        """
        return to_polars(self._graph.articulation_points())

    def bridges(self) -> pl.DataFrame:
        """The bridges: links whose removal splits their part of the network. In a multigraph,
        a pair joined by more than one link is not a bridge.

        Tarjan's depth-first search [1]_, O(n + m). Equals networkx's ``bridges``.

        Returns
        -------
        polars.DataFrame
            One row per bridge, in edge order: the source and target columns (named as in
            :meth:`edges`).

        Raises
        ------
        NotDefinedError
            The graph is directed.

        References
        ----------
        .. [1] Tarjan, R. E. (1974). A note on finding the bridges of a graph. Information
           Processing Letters 2(6), 160-161. https://doi.org/10.1016/0020-0190(74)90003-9

        Examples
        --------
        >>> import polars as pl, aluna
        >>> edges = pl.DataFrame({"source": ["a", "b", "c", "c"], "target": ["b", "c", "a", "d"]})
        >>> aluna.CaseGraph.from_edges(edges).bridges().rows()
        [('c', 'd')]
        """
        return self._edge_names(to_polars(self._graph.bridges()))

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
        n, m = self.number_of_nodes(), self.number_of_edges()
        kind = "directed" if self.directed else "undirected"
        if self._graph.is_multigraph():
            kind += " multigraph"
        components = self.components()["component"]
        largest = int(components.value_counts()["count"].max() or 0) if n else 0
        facts = {
            "kind": kind,
            "nodes": f"{n:,}",
            "edges": f"{m:,}",
            "components": f"{components.n_unique():,} (largest {largest:,} nodes)",
            "weight": self._columns["weight"] or "none",
            "link types": self._columns["link_type"] or "none",
            "time": self._columns["time"] or "none",
        }
        nodes = self._graph.nodes()
        roles = to_polars(nodes)
        if "role" in roles.columns:
            counts = roles.group_by("role").len().sort("role")
            facts["roles"] = ", ".join(f"{r}: {c:,}" for r, c in counts.iter_rows())
        if self._provenance is not None:
            facts["built by"] = str(self._provenance.get("built_by", ""))
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

    def _edge_names(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Name the endpoint columns of an edge table as the user's source and target."""
        renames = {"source": self._columns["source"], "target": self._columns["target"]}
        return frame.rename({k: v for k, v in renames.items() if v and v != k})

    def _node_values(self, values: Any, what: str) -> pl.DataFrame:
        """Per-node numbers as a frame with columns ``node`` and ``value``."""
        if isinstance(values, Mapping):
            frame = pl.DataFrame(
                {"node": list(values.keys()), "value": list(values.values())},
                schema_overrides={"value": pl.Float64},
                strict=False,
            )
        elif isinstance(values, pl.DataFrame):
            if "node" not in values.columns or values.width != 2:
                raise ArgumentError(
                    f"argument `{what}`: expected a frame with columns `node` and one value "
                    f"column, got {values.columns}"
                )
            other = next(c for c in values.columns if c != "node")
            frame = values.rename({other: "value"}).select("node", "value")
        else:
            raise ArgumentError(
                f"argument `{what}`: expected a mapping {{node: value}} or a frame with columns "
                f"`node` and a value column, got {type(values).__name__}"
            )
        try:
            return frame.cast({"node": self._id_dtype(), "value": pl.Float64})
        except pl.exceptions.PolarsError as err:
            raise ArgumentError(
                f"argument `{what}`: node ids must be {self._id_dtype()} and values numbers"
            ) from err

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

    # ================================================================ groups and brokers
    # communities, modularity, group_summary, constraint, effective_size, brokerage,
    # key_players, and `top`: the one ranking of targets that leaves victims out.

    def communities(
        self,
        method: Literal["leiden", "louvain"] = "leiden",
        *,
        resolution: float = 1.0,
        weight: str | None = None,
        seed: int = 0,
        threads: int | None = None,
    ) -> pl.DataFrame:
        r"""Groups of densely linked nodes, by modularity optimisation.

        Modularity compares the links inside groups with what random links of the same degrees
        would give:

        .. math:: Q = \frac{1}{2m} \sum_{ij} \left(A_{ij} - \gamma \frac{k_i k_j}{2m}\right)
                  \delta(c_i, c_j)

        (on a directed graph, :math:`\frac{1}{m}\sum_{ij}(A_{ij} - \gamma k^{out}_i k^{in}_j/m)`,
        as networkx defines both). ``"louvain"`` moves nodes between groups in sweeps, then merges
        each group into one node and repeats. ``"leiden"`` (the default) also refines every group
        into well-connected parts before merging, which guarantees connected groups and usually
        finds a higher modularity; passes repeat until the partition is stable.

        Parameters
        ----------
        method
            ``"leiden"`` or ``"louvain"``.
        resolution
            :math:`\gamma`: above 1 favours smaller groups, below 1 larger ones.
        weight
            The graph's weight column: heavier links count more. Without it each linked pair
            counts once (each link, in a multigraph).
        seed
            Seed of the random node orders. The same seed gives the same groups, whatever the
            number of threads.
        threads
            Threads for the parallel parts (``None``: all cores).

        Returns
        -------
        polars.DataFrame
            ``node`` and ``community``: 0 is the largest group, ties ordered by the group holding
            the earlier node.

        References
        ----------
        Blondel, Guillaume, Lambiotte & Lefebvre (2008), doi:10.1088/1742-5468/2008/10/P10008.
        Traag, Waltman & van Eck (2019), doi:10.1038/s41598-019-41695-z.
        Newman & Girvan (2004), doi:10.1103/PhysRevE.69.026113.

        Examples
        --------
        >>> import polars as pl, aluna
        >>> e = pl.DataFrame({"source": [1, 1, 2, 4, 4, 5, 3], "target": [2, 3, 3, 5, 6, 6, 4]})
        >>> g = aluna.CaseGraph.from_edges(e)
        >>> g.communities().rows()
        [(1, 0), (2, 0), (4, 1), (5, 1), (3, 0), (6, 1)]
        >>> round(g.modularity(g.communities()), 4)
        0.3571
        """
        check_choice("method", method, ("leiden", "louvain"))
        return to_polars(
            _native.communities_of(
                self._graph,
                method=method,
                resolution=resolution,
                weighted=self._check_weight(weight),
                seed=seed,
                threads=threads,
            )
        )

    def modularity(
        self,
        partition: Any,
        *,
        resolution: float = 1.0,
        weight: str | None = None,
        community: str = "community",
    ) -> float:
        r"""Modularity of a partition of the nodes, as networkx's ``modularity`` computes it.

        :math:`Q = \sum_c \left[\frac{L_c}{m} - \gamma \left(\frac{d_c}{2m}\right)^2\right]`, with
        :math:`L_c` the links inside group :math:`c` and :math:`d_c` its summed degree
        (directed: :math:`\sum_c [L_c/m - \gamma\, d^{out}_c d^{in}_c / m^2]`).

        Parameters
        ----------
        partition
            Every node once with its group: a table with ``node`` and ``community`` (as
            :meth:`communities` returns), a dict ``{node: group}``, or a list of node sets.
        resolution
            :math:`\gamma`.
        weight
            The graph's weight column, to weigh links.
        community
            The group column of a ``partition`` table.

        Returns
        -------
        float

        Raises
        ------
        UnknownNodeError, DuplicateError, ArgumentError
            A partition naming a node the graph does not hold, a node twice, or missing one.
        NotDefinedError
            The graph has no links.

        Examples
        --------
        >>> import polars as pl, aluna
        >>> g = aluna.CaseGraph.from_edges(pl.DataFrame({"source": [1, 3], "target": [2, 4]}))
        >>> g.modularity([{1, 2}, {3, 4}])
        0.5
        """
        frame = partition_frame(partition, community)
        return _native.modularity_of(
            self._graph,
            frame,
            "node",
            frame.columns[1],
            resolution=resolution,
            weighted=self._check_weight(weight),
        )

    def group_summary(
        self,
        partition: Any,
        *,
        weight: str | None = None,
        top: int = 3,
        community: str = "community",
        exclude_roles: Iterable[str] | None = DEFAULT_EXCLUDED_ROLES,
    ) -> pl.DataFrame:
        """One row per group: size, ties inside and out, density, most central members.

        Ties are linked pairs (self-loops are not ties). Density is internal ties over the
        possible pairs, :math:`s(s-1)/2` (:math:`s(s-1)` when directed); null for a group of
        one. Central members are those with the most ties inside the group (the largest summed
        weight with ``weight``), ties by node order; people with an excluded role (victims, by
        default) are never named.

        Parameters
        ----------
        partition
            Every node once with its group (see :meth:`modularity`).
        weight
            The graph's weight column: add ``internal_weight`` and ``external_weight`` and rank
            members by strength inside the group.
        top
            How many central members to name per group.
        community
            The group column of a ``partition`` table; also the name of the output's key.
        exclude_roles
            Roles never named as central members (``None`` or ``()``: nobody left out).

        Returns
        -------
        polars.DataFrame
            ``community`` (your labels), ``size``, ``internal_ties``, ``external_ties``,
            ``density``, [``internal_weight``, ``external_weight``], ``central_members`` (a list
            of node ids), in order of first appearance of the group in ``partition``.

        Examples
        --------
        >>> import polars as pl, aluna
        >>> e = pl.DataFrame({"source": ["a", "a", "b", "c"], "target": ["b", "c", "c", "d"]})
        >>> nodes = pl.DataFrame({"node": ["a", "b", "c", "d"],
        ...                       "role": ["victim", "offender", "offender", "suspect"]})
        >>> g = aluna.CaseGraph.from_edges(e, nodes=nodes)
        >>> groups = {"a": "x", "b": "x", "c": "x", "d": "y"}
        >>> g.group_summary(groups, top=2).rows()
        [('x', 3, 3, 1, 1.0, ['b', 'c']), ('y', 1, 0, 1, None, ['d'])]
        """
        frame = partition_frame(partition, community)
        out = to_polars(
            _native.group_summary_of(
                self._graph,
                frame,
                "node",
                frame.columns[1],
                weighted=self._check_weight(weight),
                top=top,
                exclude_roles=roles_argument(exclude_roles),
            )
        )
        return out.rename({"group": frame.columns[1]})

    def constraint(self, weight: str | None = None, *, threads: int | None = None) -> pl.DataFrame:
        r"""Burt's constraint: how far a node's contacts are tied to each other.

        .. math:: c(u) = \sum_{v \in N(u)} \Big(p_{uv} + \sum_{w} p_{uw}\, p_{wv}\Big)^2

        where :math:`p_{uv} = M_{uv} / \sum_x M_{ux}` is the share of :math:`u`'s ties that go to
        :math:`v`, with the mutual weight :math:`M_{uv} = A_{uv} + A_{vu}` (links either way
        count). Low constraint: the node spans structural holes, a broker's position. Values
        equal networkx's ``constraint``; null for a node without a link to another node (networkx
        gives NaN).

        Parameters
        ----------
        weight
            The graph's weight column.
        threads
            Threads (``None``: all cores); the result is the same for any number.

        Returns
        -------
        polars.DataFrame
            ``node`` and ``constraint``.

        See Also
        --------
        top : rank people by this measure as targets, leaving victims out (this table
            describes every node, victims included).

        References
        ----------
        Burt, R. S. (1992). *Structural Holes*. Harvard University Press.
        Burt, R. S. (2004). Structural holes and good ideas. doi:10.1086/421787.

        Examples
        --------
        >>> import polars as pl, aluna
        >>> star = pl.DataFrame({"source": [0, 0, 0], "target": [1, 2, 3]})
        >>> [(n, round(c, 4)) for n, c in aluna.CaseGraph.from_edges(star).constraint().rows()]
        [(0, 0.3333), (1, 1.0), (2, 1.0), (3, 1.0)]
        """
        return to_polars(
            _native.structural_holes(
                self._graph, "constraint", weighted=self._check_weight(weight), threads=threads
            )
        )

    def effective_size(
        self, weight: str | None = None, *, threads: int | None = None
    ) -> pl.DataFrame:
        r"""Burt's effective size: the number of contacts less their redundancy.

        .. math:: e(u) = \sum_{v \in N(u)} \Big(1 - \sum_{w} p_{uw}\, m_{vw}\Big)

        with :math:`p_{uw}` as in :meth:`constraint` and :math:`m_{vw} = M_{vw} / \max_x M_{vx}`.
        Unweighted and undirected it is Borgatti's :math:`n - 2t/n` (:math:`n` contacts,
        :math:`t` ties among them). Values equal networkx's ``effective_size``; null for a node
        without a link to another node.

        Parameters
        ----------
        weight
            The graph's weight column.
        threads
            Threads (``None``: all cores); the result is the same for any number.

        Returns
        -------
        polars.DataFrame
            ``node`` and ``effective_size``.

        See Also
        --------
        top : rank people by this measure as targets, leaving victims out (this table
            describes every node, victims included).

        References
        ----------
        Burt (1992); Borgatti, S. P. (1997). Structural holes: unpacking Burt's redundancy
        measures. *Connections* 20(1):35-38.

        Examples
        --------
        >>> import polars as pl, aluna
        >>> e = pl.DataFrame({"source": [0, 0, 0, 1], "target": [1, 2, 3, 2]})
        >>> [(n, round(s, 4)) for n, s in aluna.CaseGraph.from_edges(e).effective_size().rows()]
        [(0, 2.3333), (1, 1.0), (2, 1.0), (3, 1.0)]
        """
        return to_polars(
            _native.structural_holes(
                self._graph, "effective_size", weighted=self._check_weight(weight), threads=threads
            )
        )

    def brokerage(
        self,
        group: Any,
        *,
        exclude_roles: Iterable[str] | None = DEFAULT_EXCLUDED_ROLES,
        threads: int | None = None,
    ) -> pl.DataFrame:
        r"""Gould–Fernandez brokerage roles of every node of a directed graph.

        A node ``b`` brokers each ordered pair ``(a, c)`` with links ``a -> b -> c`` and no link
        ``a -> c``. The groups of ``a``, ``b`` and ``c`` name the role:

        ============== ====================== ==============
        role           groups                 R sna
        ============== ====================== ==============
        coordinator    all in ``b``'s group   ``w_I``
        itinerant      ``a``, ``c`` together, ``b`` apart (consultant)  ``w_O``
        representative ``a`` in ``b``'s group, ``c`` apart   ``b_IO``
        gatekeeper     ``c`` in ``b``'s group, ``a`` apart   ``b_OI``
        liaison        three different groups ``b_O``
        ============== ====================== ==============

        Expected counts, standard deviations and z-scores are those of R ``sna::brokerage``:
        links independent with probability equal to the density (arcs without self-loops over
        :math:`N(N-1)`), e.g. for a coordinator in a group of :math:`n_g`,
        :math:`E = d^2(1-d)(n_g-1)(n_g-2)`.

        Parameters
        ----------
        group
            Each node's group: the name of a node attribute (e.g. ``"gang"``), or a table with
            ``node`` and one group column (such as :meth:`communities` returns), or a dict.
        exclude_roles
            Roles whose rows are left out (victims, by default, who would otherwise show as
            brokers when they share phones or accounts); they still count as the ends ``a``,
            ``c`` of others' paths. ``None`` or ``()`` keeps everyone.
        threads
            Threads (``None``: all cores); the result is the same for any number.

        Returns
        -------
        polars.DataFrame
            One row per node and role (the five roles, then ``total``): ``node``, ``group``,
            ``role``, ``count``, ``expected``, ``std_dev``, ``z`` (null where ``std_dev`` is 0).

        Raises
        ------
        NotDefinedError
            The graph is undirected: use :meth:`constraint` or ``betweenness``, the brokerage
            measures for undirected links.

        References
        ----------
        Gould, R. V. & Fernandez, R. M. (1989). Structures of mediation: a formal approach to
        brokerage in transaction networks. *Sociological Methodology* 19:89-126,
        doi:10.2307/270949.

        Examples
        --------
        >>> import polars as pl, aluna
        >>> e = pl.DataFrame({"source": ["a", "b"], "target": ["b", "c"]})
        >>> g = aluna.CaseGraph.from_edges(e, directed=True)
        >>> b = g.brokerage({"a": "north", "b": "north", "c": "south"})
        >>> b.filter(pl.col("count") > 0).select("node", "role", "count").rows()
        [('b', 'representative', 1), ('b', 'total', 1)]
        """
        if isinstance(group, str):
            nodes = self.nodes()
            if group not in nodes.columns:
                raise ColumnError(
                    f"group: node attribute `{group}` not found; the nodes have: {nodes.columns}"
                )
            frame = nodes.select("node", group)
        else:
            frame = partition_frame(group, "group", what="group")
        return to_polars(
            _native.brokerage_of(
                self._graph,
                frame,
                "node",
                frame.columns[1],
                exclude_roles=roles_argument(exclude_roles),
                threads=threads,
            )
        )

    def key_players(
        self,
        k: int,
        objective: Literal["fragmentation", "distance_fragmentation", "reach"] = "fragmentation",
        *,
        distance: int = 1,
        seed: int = 0,
        max_swaps: int = 1000,
        restarts: int = 10,
        exclude_roles: Iterable[str] | None = DEFAULT_EXCLUDED_ROLES,
        threads: int | None = None,
    ) -> KeyPlayers:
        r"""The ``k`` people whose removal fragments the network most, or who reach most of it.

        Objectives (Borgatti 2006), on the graph with links taken as undirected:

        - ``"fragmentation"`` (KPP-Neg): after removing the set, the share of node pairs that
          can no longer reach each other,
          :math:`F = 1 - \sum_c s_c(s_c-1) / (n(n-1))` (components of :math:`s_c` nodes,
          :math:`n` nodes left).
        - ``"distance_fragmentation"``: :math:`1 - \sum_{i \ne j} (1/d_{ij}) / (n(n-1))` on the
          graph left, which also rewards lengthening the paths that remain.
        - ``"reach"`` (KPP-Pos): the share of the other nodes within ``distance`` links of the
          set: whom the set can inform or influence.

        The search adds, one at a time, the node that improves the objective most, then swaps a
        member for an outsider while the best swap improves it; the swaps then run again from
        ``restarts`` random sets (one-for-one swaps can stall on a plateau) and the best set
        wins. Ties are broken by a random order drawn from ``seed``; the result is the same for
        any number of threads. Fragmentation scores all candidates of a step in one depth-first
        search, :math:`O(n + m)`; distance fragmentation needs a breadth-first search from every
        node per candidate, :math:`O(n^2 (n + m))` per step, so keep it to networks of a few
        thousand people.

        Parameters
        ----------
        k
            Size of the set.
        objective
            ``"fragmentation"``, ``"distance_fragmentation"`` or ``"reach"``.
        distance
            For ``"reach"``: how many links away still counts as reached.
        seed
            Seed of the tie-breaking order.
        max_swaps
            Improving swaps made at most, per start.
        restarts
            Random starts searched after the greedy one.
        exclude_roles
            Roles never chosen (victims, by default); they stay in the network.
        threads
            Threads (``None``: all cores).

        Returns
        -------
        KeyPlayers
            ``.table`` (``node``, ``order``), ``.value``, ``.trace`` of the search, ``.plot()``.
            On a directed graph links are taken as undirected.

        References
        ----------
        Borgatti, S. P. (2006). Identifying sets of key players in a social network.
        *Computational and Mathematical Organization Theory* 12:21-34,
        doi:10.1007/s10588-006-7084-x.

        Examples
        --------
        >>> import polars as pl, aluna
        >>> e = pl.DataFrame({"source": [0, 0, 0, 4, 4, 4, 0, 8],
        ...                   "target": [1, 2, 3, 5, 6, 7, 8, 4]})
        >>> kp = aluna.CaseGraph.from_edges(e).key_players(2)
        >>> sorted(kp.nodes), kp.value
        ([0, 4], 1.0)
        """
        check_choice("objective", objective, ("fragmentation", "distance_fragmentation", "reach"))
        excluded = roles_argument(exclude_roles)
        table, value, start, trace = _native.key_players_of(
            self._graph,
            k,
            objective=objective,
            distance=distance,
            seed=seed,
            max_swaps=max_swaps,
            restarts=restarts,
            exclude_roles=excluded,
            threads=threads,
        )
        return KeyPlayers(
            table=to_polars(table),
            objective=objective,
            value=value,
            start=start,
            trace=to_polars(trace),
            excluded_roles=tuple(excluded),
        )

    def top(
        self,
        measure: Any,
        n: int | None = 10,
        *,
        column: str | None = None,
        exclude_roles: Iterable[str] | None = DEFAULT_EXCLUDED_ROLES,
    ) -> pl.DataFrame:
        """The ``n`` highest-scoring nodes of a measure, never naming victims.

        The one ranking every "who are the targets" question goes through: nodes with an
        excluded role (victims, by default) are left out, nulls are not ranked, ties are ordered
        by node order.

        Parameters
        ----------
        measure
            A per-node table with ``node`` and a numeric column (any node measure of this
            graph, e.g. :meth:`constraint`, ``betweenness``).
        n
            How many to keep (``None``: all).
        column
            The column to rank by; needed only when ``measure`` has several besides ``node``.
        exclude_roles
            Roles never ranked. ``None`` or ``()`` ranks everyone.

        Returns
        -------
        polars.DataFrame
            The rows of ``measure``, best first, with a ``rank`` column (1 = top) in front.

        Examples
        --------
        >>> import polars as pl, aluna
        >>> e = pl.DataFrame({"source": ["a", "a", "a", "b"], "target": ["b", "c", "d", "e"]})
        >>> nodes = pl.DataFrame({"node": ["a", "b", "c", "d", "e"],
        ...                       "role": ["victim", "offender", "offender", "suspect", "suspect"]})
        >>> g = aluna.CaseGraph.from_edges(e, nodes=nodes)
        >>> g.top(g.degree(), 2).rows()
        [(1, 'b', 2), (2, 'c', 1)]
        """
        frame = measure if isinstance(measure, pl.DataFrame) else pl.DataFrame(measure)
        if column is None:
            others = [c for c in frame.columns if c != "node"]
            if len(others) != 1:
                raise ArgumentError(
                    f"argument `column`: `measure` has columns {others}; name the one to rank by"
                )
            column = others[0]
        rows = to_polars(
            _native.rank_targets(
                self._graph,
                frame.select("node", column),
                column,
                top=n,
                exclude_roles=roles_argument(exclude_roles),
            )
        )["row"]
        ranked = frame[rows]
        return ranked.insert_column(0, pl.int_range(1, ranked.height + 1, eager=True).alias("rank"))

    def eligible_targets(
        self, exclude_roles: Iterable[str] | None = DEFAULT_EXCLUDED_ROLES
    ) -> pl.DataFrame:
        """Per node, whether rankings meant to target people may name it (``node``, ``eligible``).

        Victims are not eligible by default; a graph without roles has everyone eligible.

        Examples
        --------
        >>> import polars as pl, aluna
        >>> g = aluna.CaseGraph.from_edges(
        ...     pl.DataFrame({"source": ["a"], "target": ["b"]}),
        ...     nodes=pl.DataFrame({"node": ["a", "b"], "role": ["offender", "victim"]}))
        >>> g.eligible_targets().rows()
        [('a', True), ('b', False)]
        """
        return to_polars(
            _native.eligible_targets(self._graph, exclude_roles=roles_argument(exclude_roles))
        )

    # ================================================================ disruption and features
    # disruption (sequential removal, with or without repair) and node_features (as of a date)

    def disruption(
        self,
        strategy: Literal["degree", "betweenness", "pagerank", "key_players", "random"] = "degree",
        *,
        steps: int = 10,
        recalculate: bool = True,
        recovery: Literal["none", "neighbours"] = "none",
        recovery_probability: float = 0.5,
        seed: int = 0,
        efficiency: bool = True,
        exclude_roles: Iterable[str] | None = DEFAULT_EXCLUDED_ROLES,
        threads: int | None = None,
    ) -> Disruption:
        r"""Simulate the disruption of the network: remove ``steps`` people one at a time and
        follow how it falls apart (Albert, Jeong & Barabási [1]_), or repairs itself (Duijn,
        Kashirin & Sloot [2]_).

        Each step removes the eligible person the strategy ranks first, then records the people
        left, their links, connected components, the largest component, Borgatti's
        fragmentation :math:`1 - \sum_c s_c(s_c-1) / (n(n-1))` and the global efficiency [3]_

        .. math:: E = \frac{1}{n(n-1)} \sum_{i \ne j} \frac{1}{d(i, j)}

        of the network left (:math:`n` people left, :math:`1/d = 0` for pairs cut apart; equal
        to networkx's ``global_efficiency``). Links are taken as undirected and unweighted.

        Victims are never removed by default (``exclude_roles``): in case-link graphs they and
        their relatives share phones and accounts with offenders and would otherwise look like
        targets. They stay in the network, count in every measure and can re-link in a repair.

        Strategies: ``"degree"`` (most contacts left), ``"betweenness"`` (highest normalised
        betweenness), ``"pagerank"`` (highest PageRank, alpha 0.85), ``"key_players"`` (the
        removal that fragments the network most, Borgatti 2006), ``"random"`` (a seeded random
        order: the baseline). With ``recalculate`` the measure is recomputed on the network left
        before every removal (the adaptive attack); without, people are ranked once on the
        network as given and removed in that order, and ``"key_players"`` removes Borgatti's
        set of size ``steps`` (:meth:`key_players`) in the order found. Ties go to the earlier
        node (key players: a seeded random order).

        Repair (``recovery="neighbours"``): after a person is removed at step :math:`t`, every
        pair :math:`\{a, b\}` of their remaining contacts, in ascending node order, draws one
        uniform number :math:`u` from the random stream :math:`(seed, t)`; if :math:`a` and
        :math:`b` are not linked and :math:`u <` ``recovery_probability``, they become linked.
        Added links count like any other from then on. Criminal networks repair themselves and
        can come out of disruption *more* efficient [2]_. In Duijn et al.'s model, contacts of a
        removed actor find a replacement for them through their own network, within a
        value-chain model of roles and skills; this rule is a simpler, role-free form of that
        repair: triadic closure among the removed person's contacts.
        ``recovery_probability`` is a scenario setting, not an estimate: compare several.

        Cost per step: degree and key players :math:`O(n + m)`, PageRank :math:`O(m)` per
        iteration, betweenness :math:`O(nm)`; efficiency :math:`O(\lceil n/256 \rceil D (n+m))`
        (bit-parallel breadth-first search, :math:`D` the diameter), which dominates on large
        networks: turn it off with ``efficiency=False``. Removals only mask people; nothing is
        rebuilt unless a repair adds links. The same ``seed`` gives the same result for any
        number of threads.

        Parameters
        ----------
        strategy
            Who is removed next.
        steps
            How many people to remove (at most the number of eligible people).
        recalculate
            Recompute the strategy's measure after every removal.
        recovery
            ``"none"`` or ``"neighbours"`` (the repair rule above).
        recovery_probability
            Probability that a pair of a removed person's contacts re-link, in [0, 1].
        seed
            Seed of the random strategy, the key-player search and the repair.
        efficiency
            Compute global efficiency at every step.
        exclude_roles
            Roles never removed (victims, by default); ``None`` or ``()`` removes anyone.
        threads
            Threads (``None``: all cores).

        Returns
        -------
        Disruption
            ``.table`` (the resilience curve), ``.added_links``, ``.removed``, ``.plot()``.

        Raises
        ------
        ArgumentError
            An unknown strategy or recovery, ``steps`` not a whole number, below 1 or above the
            number of people who may be removed, or a probability outside [0, 1].
        EmptyInputError
            A graph without people.

        References
        ----------
        .. [1] Albert, R., Jeong, H., & Barabási, A.-L. (2000). Error and attack tolerance of
           complex networks. Nature 406, 378-382. https://doi.org/10.1038/35019019
        .. [2] Duijn, P. A. C., Kashirin, V., & Sloot, P. M. A. (2014). The relative
           ineffectiveness of criminal network disruption. Scientific Reports 4, 4238.
           https://doi.org/10.1038/srep04238
        .. [3] Latora, V., & Marchiori, M. (2001). Efficient behavior of small-world networks.
           Physical Review Letters 87, 198701. https://doi.org/10.1103/PhysRevLett.87.198701

        Examples
        --------
        >>> import polars as pl, aluna
        >>> star = pl.DataFrame({"source": ["hub"] * 4, "target": ["a", "b", "c", "d"]})
        >>> d = aluna.CaseGraph.from_edges(star).disruption("degree", steps=1)
        >>> d.table.select("step", "node", "components", "efficiency").rows()
        [(0, None, 1, 0.7), (1, 'hub', 4, 0.0)]
        >>> healed = aluna.CaseGraph.from_edges(star).disruption(
        ...     "degree", steps=1, recovery="neighbours", recovery_probability=1.0)
        >>> healed.table.select("step", "links_added", "efficiency").rows()
        [(0, 0, 0.7), (1, 6, 1.0)]
        """
        check_choice("strategy", strategy, STRATEGIES)
        check_choice("recovery", recovery, ("none", "neighbours"))
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
            raise ArgumentError(
                f"argument `steps`: must be at least 1 removal (a whole number), got {steps!r}"
            )
        excluded = roles_argument(exclude_roles)
        curve, added = _native.disruption_of(
            self._graph,
            strategy=strategy,
            steps=steps,
            recalculate=recalculate,
            recovery=recovery,
            recovery_probability=float(recovery_probability),
            seed=seed,
            efficiency=efficiency,
            exclude_roles=excluded,
            threads=threads,
        )
        return Disruption(
            table=to_polars(curve),
            added_links=self._edge_names(to_polars(added)),
            strategy=strategy,
            recalculate=recalculate,
            recovery=recovery,
            recovery_probability=None if recovery == "none" else float(recovery_probability),
            seed=seed,
            excluded_roles=tuple(excluded),
        )

    def node_features(
        self,
        as_of: Any = None,
        *,
        node: str = "node",
        weight: str | None = None,
        exact_betweenness_limit: int = 10_000,
        epsilon: float = 0.01,
        delta: float = 0.1,
        resolution: float = 1.0,
        seed: int = 0,
        threads: int | None = None,
    ) -> pl.DataFrame:
        r"""One row per person with the standard network features, ready to join onto an
        offender table for risk models, optionally using only links seen before a cutoff.
        Every person has a row, victims included: this describes, it does not rank (rank
        targets with :meth:`top`, which leaves victims out).

        Columns (each as the method of that measure computes it, networkx's semantics):

        - ``degree`` (and ``strength`` with ``weight``);
        - ``betweenness`` (normalised; exact up to ``exact_betweenness_limit`` nodes, above that
          sampled within ``epsilon`` with probability ``1 - delta``, seeded: exact betweenness
          costs :math:`O(nm)`);
        - ``closeness`` (Wasserman-Faust corrected), ``harmonic`` (exact: one breadth-first
          search per node, :math:`O(nm)`, like exact betweenness);
        - ``eigenvector``: computed on the largest connected component (strongly connected when
          directed; ties: the one holding the earliest node) and null elsewhere. The leading
          eigenvector is unique and positive only on a connected graph; values of different
          components would each be scaled to unit norm on their own and are not comparable.
          Null everywhere when that component has fewer than two people;
        - ``pagerank``, ``core_number``, ``clustering``;
        - ``constraint`` and ``effective_size`` (Burt; null for people without contacts);
        - ``component_size`` (weakly connected when directed);
        - ``community`` and ``community_size`` (Leiden, ``seed``; 0 is the largest community);
        - ``articulation_point`` (links taken as undirected).

        With ``weight``, the weights are tie strengths: they add ``strength`` and weigh PageRank,
        eigenvector, clustering, constraint, effective size and communities; betweenness,
        closeness and harmonic always count links.

        Leakage: with ``as_of``, only links first seen before the cutoff count (the graph of
        :meth:`subgraph` with ``end=as_of``, over all people), so no feature uses a link seen
        on or after it. A link recorded as a span (the first and last co-occurrence of
        :func:`aluna.link_records` with ``time``) counts when it began before the cutoff, with
        the span's whole weight, which may include co-occurrences after the cutoff: with
        ``weight`` on such a graph, build it from the records made before the cutoff instead.
        All people of the graph are kept (those first linked later are isolated), so every
        cutoff normalises over the same people; build the graph with a node table so that a
        person's later arrival does not change the node set.

        Parameters
        ----------
        as_of
            ``None``: every link. A time (a value of the graph's time type, or an ISO string):
            links seen before it. Each person's own cutoff, such as their index date: a table
            with ``node`` (or the ``node`` argument's column) and one time column (rows with a
            null time are an error), or the name of a node attribute column (people with a null
            there are left out). Each person's features are computed on the graph of the links
            seen before their own time, exactly: people are grouped by time and each distinct
            time costs one run of every feature (run in parallel across times), so round times
            (to a month, say) on large graphs. Community labels then identify groups only among
            people with the same time; compare ``community_size`` across people.
        node
            The id column of an ``as_of`` table.
        weight
            The graph's weight column, read as tie strength.
        exact_betweenness_limit
            Largest number of nodes with exact betweenness.
        epsilon, delta
            Accuracy and failure probability of sampled betweenness.
        resolution
            Modularity resolution of the communities.
        seed
            Seed of the communities and of sampled betweenness.
        threads
            Threads (``None``: all cores); the result is the same for any number.

        Returns
        -------
        polars.DataFrame
            ``node``, the time column (per-person cutoffs only) and the features; in node order,
            or in the order of the ``as_of`` table.

        Raises
        ------
        ArgumentError
            ``as_of`` given but the graph's links have no time, or a time that cannot be read.
        ColumnError
            An ``as_of`` table without the id column, or without exactly one time column.
        UnknownNodeError, DuplicateError, BadValueError
            An ``as_of`` table naming a node the graph lacks, a node twice, or a null time.

        Examples
        --------
        >>> import polars as pl, aluna
        >>> links = pl.DataFrame({"source": ["ann", "bo", "bo"], "target": ["bo", "cy", "dan"],
        ...                       "year": [2018, 2020, 2023]})
        >>> g = aluna.CaseGraph.from_edges(links, time="year")
        >>> g.node_features().select("node", "degree", "articulation_point").rows()
        [('ann', 1, False), ('bo', 3, True), ('cy', 1, False), ('dan', 1, False)]
        >>> people = pl.DataFrame({"node": ["bo", "cy"], "index_year": [2019, 2021]})
        >>> g.node_features(as_of=people).select("node", "index_year", "degree").rows()
        [('bo', 2019, 1), ('cy', 2021, 1)]
        """
        weighted = self._check_weight(weight)
        settings: dict[str, Any] = {
            "weighted": weighted,
            "exact_betweenness_limit": exact_betweenness_limit,
            "epsilon": float(epsilon),
            "delta": float(delta),
            "seed": seed,
            "resolution": float(resolution),
            "threads": threads,
        }
        per_node = self._as_of_table(as_of, node)
        if per_node is None:
            end = None if as_of is None else self._physical_time(as_of, "as_of")
            return to_polars(_native.node_features_of(self._graph, end=end, **settings))
        frame, column = per_node
        physical = self._physical_times(frame[column], "as_of")
        table = pl.DataFrame(
            {"node": frame["node"].cast(self._id_dtype(), strict=False), "as_of": physical}
        )
        features = to_polars(_native.node_features_of(self._graph, nodes=table, **settings))
        return features.insert_column(1, frame[column])

    def _as_of_table(self, as_of: Any, node: str) -> tuple[pl.DataFrame, str] | None:
        """Per-person cutoffs as a frame with ``node`` and the time column, or ``None`` when
        ``as_of`` is absent or a single time."""
        if as_of is None:
            return None
        if isinstance(as_of, str):
            if self._attributes is None or as_of not in self._attributes.columns:
                return None  # a time written as a string
            frame = self.nodes().select("node", as_of).filter(pl.col(as_of).is_not_null())
            return frame, as_of
        if isinstance(as_of, (pl.DataFrame, pl.LazyFrame)) or hasattr(as_of, "__arrow_c_stream__"):
            frame = _as_polars(
                as_of.collect() if isinstance(as_of, pl.LazyFrame) else as_of, what="as_of"
            )
            if node not in frame.columns:
                raise ColumnError(
                    f"as_of: column `{node}` not found; the table has: {frame.columns} "
                    f"(name the id column with node=...)"
                )
            others = [c for c in frame.columns if c != node]
            if len(others) != 1:
                raise ColumnError(
                    f"as_of: expected `{node}` and one time column, got {frame.columns}"
                )
            frame = frame.rename({node: "node"}) if node != "node" else frame
            return frame, others[0]
        return None

    def _physical_times(self, series: pl.Series, name: str) -> pl.Series:
        """A column of times in the storage units of the graph's time column (nulls kept)."""
        kind = self._graph.time_kind()
        if kind is None:
            raise ArgumentError(
                f"argument `{name}`: the graph's links have no time; build it with time=<column>"
            )
        family, unit, tz = kind
        if family == "integer":
            if not series.dtype.is_integer():
                raise ArgumentError(
                    f"argument `{name}`: times are integers, got column "
                    f"`{series.name}` of type {series.dtype}"
                )
            return series.cast(pl.Int64)
        dtype: pl.DataType = (
            pl.Date() if family == "date" else pl.Datetime("ms" if unit == "s" else unit, tz)  # type: ignore[arg-type]
        )
        try:
            if series.dtype == pl.String:
                series = series.str.to_date() if family == "date" else series.str.to_datetime()
            physical = series.cast(dtype).to_physical().cast(pl.Int64)
        except (pl.exceptions.PolarsError, TypeError) as err:
            raise ArgumentError(
                f"argument `{name}`: cannot read column `{series.name}` as {dtype}"
            ) from err
        return physical // 1000 if unit == "s" else physical

    # ================================================================ drawing (aluna.plot): a
    # layout computed in Rust, drawings and degree distributions with matplotlib.

    def layout(
        self,
        *,
        seed: int = 0,
        iterations: int | None = None,
        scaling: float | None = None,
        gravity: float = 1.0,
        strong_gravity: bool = False,
        linlog: bool = False,
        theta: float | None = None,
        weight: str | None = None,
        pack_components: bool = True,
        threads: int | None = None,
    ) -> pl.DataFrame:
        r"""Positions for drawing the graph, by ForceAtlas2 [1]_ with Barnes–Hut repulsion [2]_.

        Linked people attract, everyone repels everyone, and a weak gravity keeps separate
        components in view, so groups come out as clusters and brokers between them. On node
        :math:`u` (mass :math:`m_u = 1 + \deg u`; links taken as undirected, self-loops
        ignored) act repulsion :math:`k_r m_u m_v / d_{uv}` from every other node, attraction
        :math:`w_{uv} d_{uv}` towards each neighbour (:math:`w_{uv} \ln(1 + d_{uv})` with
        ``linlog`` [3]_) and gravity :math:`k_g m_u` towards the origin (:math:`k_g m_u d_u`
        with ``strong_gravity``). Nodes move by their force times an adaptive speed that slows
        those whose force keeps changing direction (Gephi's swing and traction).

        Repulsion is approximated with a quadtree: a cell of width :math:`s` at distance
        :math:`d` acts as one body at its centre of mass when :math:`s/d < \theta`; a step then
        costs :math:`O(n \log n + m)`, so graphs of a million links lay out in seconds.
        Each connected component is laid out on its own and the drawings are packed in rows,
        largest first, a typical link length apart (under one gravity, isolated people would be
        pushed far out and the large component shrunk to a dot). Starting positions are drawn
        from ``seed`` (node :math:`i` from stream
        :math:`(seed, i)`); forces are computed in parallel, each node's by one thread, so the
        same seed gives the same drawing for any number of threads.

        Parameters
        ----------
        seed
            Seed of the starting positions.
        iterations
            Steps (default: 500 up to 500 nodes, 300 up to 5,000, 150 up to 50,000, then 80).
        scaling
            Repulsion strength :math:`k_r` (default 10 below 100 nodes, else 2, as Gephi).
        gravity
            :math:`k_g`.
        strong_gravity
            Gravity that grows with the distance from the centre: a rounder drawing.
        linlog
            LinLog attraction: tighter, better separated groups.
        theta
            Barnes–Hut accuracy (smaller is more exact; 0 computes every pair). Default: exact
            below 1,000 nodes, 1.2 from there.
        weight
            The graph's weight column: heavier links pull harder.
        pack_components
            Lay out components separately and pack them (``False``: one layout for all).
        threads
            Threads (``None``: all cores); the result is the same for any number.

        Returns
        -------
        polars.DataFrame
            ``node``, ``x``, ``y``. Only relative positions mean anything.

        Raises
        ------
        ArgumentError
            A non-positive ``scaling``, a negative ``gravity`` or ``theta``, or ``weight`` that
            is not the graph's weight column.

        References
        ----------
        .. [1] Jacomy, M., Venturini, T., Heymann, S., & Bastian, M. (2014). ForceAtlas2, a
           continuous graph layout algorithm for handy network visualization designed for the
           Gephi software. PLoS ONE 9(6), e98679. https://doi.org/10.1371/journal.pone.0098679
        .. [2] Barnes, J., & Hut, P. (1986). A hierarchical O(N log N) force-calculation
           algorithm. Nature 324, 446-449. https://doi.org/10.1038/324446a0
        .. [3] Noack, A. (2007). Energy models for graph clustering. Journal of Graph
           Algorithms and Applications 11(2), 453-480. https://doi.org/10.7155/jgaa.00154

        Examples
        --------
        >>> import polars as pl, aluna
        >>> e = pl.DataFrame({"source": [0, 1, 2, 3, 4, 5, 2], "target": [1, 2, 0, 4, 5, 3, 3]})
        >>> xy = aluna.CaseGraph.from_edges(e).layout(seed=1)
        >>> xy.columns, xy.height
        (['node', 'x', 'y'], 6)
        >>> def gap(a, b):
        ...     (xa, ya), (xb, yb) = xy.filter(pl.col("node").is_in([a, b])).select("x", "y").rows()
        ...     return ((xa - xb) ** 2 + (ya - yb) ** 2) ** 0.5
        >>> gap(0, 1) < gap(0, 4)  # the two triangles are drawn apart
        True
        """
        return to_polars(
            _native.layout_of(
                self._graph,
                iterations=iterations,
                scaling=scaling,
                gravity=gravity,
                strong_gravity=strong_gravity,
                linlog=linlog,
                theta=theta,
                weighted=self._check_weight(weight),
                seed=seed,
                pack_components=pack_components,
                threads=threads,
            )
        )

    def plot(
        self,
        *,
        layout: pl.DataFrame | None = None,
        color: Any = None,
        highlight: Iterable[Any] | None = None,
        labels: Mapping[Any, str] | bool = False,
        ax: Any = None,
        seed: int = 0,
        title: str | None = None,
    ) -> Any:
        """Draw the graph (matplotlib): links as lines, people as dots sized by degree, victims
        hollow. See :func:`aluna.plot.draw_network` for the arguments.

        Examples
        --------
        >>> import polars as pl, aluna
        >>> g = aluna.CaseGraph.from_edges(pl.DataFrame({"source": [1, 2], "target": [2, 3]}))
        >>> ax = g.plot(color=g.communities(), highlight=[2])
        >>> len(ax.collections)  # links, people, the ring around node 2
        3
        """
        from aluna.plot import draw_network

        return draw_network(
            self,
            layout=layout,
            color=color,
            highlight=highlight,
            labels=labels,
            ax=ax,
            seed=seed,
            title=title,
        )

    def plot_degree_distribution(
        self, *, kind: str = "ccdf", direction: Direction = "all", ax: Any = None
    ) -> Any:
        """Plot the degree distribution (matplotlib): the share of nodes with degree at least
        ``k`` on log-log axes (``kind="ccdf"``) or a histogram (``"histogram"``).

        Examples
        --------
        >>> import polars as pl, aluna
        >>> g = aluna.CaseGraph.from_edges(pl.DataFrame({"source": [1, 1, 1], "target": [2, 3, 4]}))
        >>> g.plot_degree_distribution().get_xlabel()
        'degree k'
        """
        from aluna.plot import degree_distribution

        return degree_distribution(self, kind=kind, direction=direction, ax=ax)


def _as_polars(data: Any, *, what: str) -> pl.DataFrame:
    if isinstance(data, pl.DataFrame):
        return data
    return pl.DataFrame(arrow_table(data, what=what))
