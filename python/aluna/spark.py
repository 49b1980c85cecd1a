"""aluna on Apache Spark: the same analyses on DataFrames spread over a cluster.

Every function takes and returns Spark DataFrames. Work that is local to a batch of rows or
to a group (pseudonyms, linkage encodings, Dice scores, model scores, a model's Newton sums)
runs aluna's own Rust kernels inside ``mapInArrow`` or ``groupBy(...).applyInArrow``: Spark
hands each Python worker Arrow record batches, which aluna reads without copying. Work that
spans the whole data set (blocking joins, shared identifiers, connected components) is
expressed as DataFrame joins and aggregations that Spark plans and distributes itself. The
module uses no RDD API, no broadcast variables and no JVM code of its own, so it runs under
Spark Connect as well as in a classic session.

Install aluna on every worker (``pip install aluna[spark]`` in the cluster's Python
environment); see ``docs/spark.md``. Keys for pseudonyms and linkage encodings are never sent
with the job: each worker reads the key from the environment variable named by ``key`` (set it
on the executors from the cluster's secret store, e.g. ``spark.executorEnv.ALUNA_KEY``).

Each function gives the answer of its local counterpart on the same rows; the tests check
this (exactly, or to 1e-9 for floating point) in ``local[2]`` mode, in a classic session and
under Spark Connect.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from aluna import _results
from aluna.exceptions import ArgumentError, ColumnError, ConvergenceWarning, HubValueWarning
from aluna.risk import LogisticRegression as _LocalLogisticRegression

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame

__all__ = [
    "LogisticRegression",
    "components",
    "encode_for_linkage",
    "link",
    "link_records",
    "node_features",
    "pseudonymise",
    "score",
]

_OLDEST = pl.CompatLevel.oldest()


def _functions() -> Any:
    from pyspark.sql import functions

    return functions


def _types() -> Any:
    from pyspark.sql import types

    return types


def _require(df: DataFrame, columns: Sequence[str], *, what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ColumnError(
            f"{what}: column `{missing[0]}` not found; the DataFrame has: {', '.join(df.columns)}"
        )


def _plain(frame: pl.DataFrame) -> pa.Table:
    """A polars frame as an Arrow table of the plain (not large, not view) string and binary
    types that Spark expects."""
    import pyarrow as pa

    table = frame.to_arrow(compat_level=_OLDEST)
    plain = {pa.large_string(): pa.string(), pa.large_binary(): pa.binary()}
    schema = pa.schema([f.with_type(plain.get(f.type, f.type)) for f in table.schema])
    return table.cast(schema)


def _batches(frame: pl.DataFrame) -> Iterator[pa.RecordBatch]:
    """A polars frame as Arrow record batches for Spark (see :func:`_plain`)."""
    yield from _plain(frame).to_batches()


# ------------------------------------------------------------------------------- components


def components(
    edges: DataFrame,
    source: str = "source",
    target: str = "target",
    *,
    max_iterations: int = 100,
    checkpoint: bool = True,
) -> DataFrame:
    """Connected components of an undirected graph given as a DataFrame of links.

    Alternates the large-star and small-star operations of Kiveris et al. [1]_ as DataFrame
    joins until the links no longer change. Each node's label is then the smallest node id of
    its component; with :math:`n` nodes the number of rounds is :math:`O(\\log^2 n)`. Self-loops
    are ignored for linking and their nodes kept. Node ids may be integers or strings (compared
    in Spark's order).

    Parameters
    ----------
    edges
        One row per link.
    source, target
        The end columns (same type).
    max_iterations
        Rounds (one large-star and one small-star each) before giving up.
    checkpoint
        Cut the plan's lineage after every round (``localCheckpoint``), which keeps planning
        time flat on long runs.

    Returns
    -------
    pyspark.sql.DataFrame
        ``node`` and ``component`` (the smallest node id of the component), one row per node.
        The partition equals ``CaseGraph.from_edges(...).components()``'s; that function numbers
        components 0, 1, ... instead.

    Raises
    ------
    ColumnError
        A named column is missing.
    ArgumentError
        No convergence within ``max_iterations``.

    References
    ----------
    .. [1] Kiveris, R., Lattanzi, S., Mirrokni, V., Rastogi, V. & Vassilvitskii, S. (2014).
       Connected components in MapReduce and beyond. Proceedings of the ACM Symposium on Cloud
       Computing, 1-13. https://doi.org/10.1145/2670979.2670997
    """
    F = _functions()
    _require(edges, [source, target], what="components")
    if (
        isinstance(max_iterations, bool)
        or not isinstance(max_iterations, int)
        or max_iterations < 1
    ):
        raise ArgumentError(
            f"argument `max_iterations`: expected a positive integer, got {max_iterations!r}"
        )
    ends = edges.select(F.col(source).alias("u"), F.col(target).alias("v"))
    nodes = ends.select(F.col("u").alias("node")).union(ends.select(F.col("v").alias("node")))
    nodes = nodes.where(F.col("node").isNotNull()).distinct()
    links = ends.where(F.col("u").isNotNull() & F.col("v").isNotNull() & (F.col("u") != F.col("v")))
    # Start with every link oriented from the larger to the smaller end.
    current = links.select(F.greatest("u", "v").alias("u"), F.least("u", "v").alias("v")).distinct()
    for _ in range(max_iterations):
        # Large star: every node u links each larger neighbour to the smallest of N(u) and u.
        both = current.union(current.select(F.col("v").alias("u"), F.col("u").alias("v")))
        smallest = both.groupBy("u").agg(F.least(F.min("v"), F.col("u")).alias("m"))
        large = (
            both.join(smallest, "u")
            .where(F.col("v") > F.col("u"))
            .select(F.col("v").alias("u"), F.col("m").alias("v"))
        )
        # Small star: every node u links itself and each smaller neighbour to the smallest.
        small_in = large.where(F.col("u") != F.col("v")).distinct()
        smallest = small_in.groupBy("u").agg(F.least(F.min("v"), F.col("u")).alias("m"))
        with_m = small_in.join(smallest, "u")
        small = (
            with_m.select(F.col("v").alias("a"), F.col("m").alias("b"))
            .union(with_m.select(F.col("u").alias("a"), F.col("m").alias("b")))
            .where(F.col("a") != F.col("b"))
            .select(F.col("a").alias("u"), F.col("b").alias("v"))
            .distinct()
        )
        if checkpoint:
            small = small.localCheckpoint()
        # One job: is any link in one round's links and not in the other's?
        changed = (
            small.withColumn("_new", F.lit(True))
            .join(current.withColumn("_old", F.lit(True)), ["u", "v"], "full_outer")
            .where(F.col("_new").isNull() | F.col("_old").isNull())
            .limit(1)
            .count()
        )
        current = small
        if changed == 0:
            break
    else:
        raise ArgumentError(
            f"components: no convergence within max_iterations={max_iterations} rounds; raise it"
        )
    labels = current.groupBy("u").agg(F.min("v").alias("component"))
    return nodes.join(labels, nodes["node"] == labels["u"], "left").select(
        "node", F.coalesce(F.col("component"), F.col("node")).alias("component")
    )


#: The measures :func:`node_features` computes, each a method of :class:`aluna.CaseGraph` whose
#: value at a node depends only on the node's component.
NODE_FEATURES: tuple[str, ...] = ("degree", "strength", "core_number", "clustering", "betweenness")


def node_features(
    edges: DataFrame,
    source: str = "source",
    target: str = "target",
    *,
    weight: str | None = None,
    features: Sequence[str] = ("degree", "core_number", "clustering", "betweenness"),
) -> DataFrame:
    """Network features of every node, computed component by component on the workers.

    The components come from :func:`components`; each component's links then go to one
    worker (``groupBy("component").applyInArrow``), which builds a :class:`aluna.CaseGraph`
    and runs the local measures. Every measure offered depends only on the node's component
    (``betweenness`` unnormalised, the number of shortest paths through the node), so the
    values equal those of the local graph of all links. A component must fit one worker's
    memory; split giant components with :meth:`aluna.CaseGraph.subgraph` locally.

    Parameters
    ----------
    edges
        One row per link (undirected).
    source, target
        The end columns.
    weight
        A weight column, for ``strength`` (summed weights); the other measures ignore it.
    features
        Any of :data:`NODE_FEATURES`: ``degree`` (links), ``strength`` (summed weights),
        ``core_number``, ``clustering`` (local clustering coefficient), ``betweenness``
        (unnormalised shortest-path betweenness).

    Returns
    -------
    pyspark.sql.DataFrame
        ``node``, ``component`` (as :func:`components`) and one column per feature.
    """
    F = _functions()
    T = _types()
    wanted = list(features)
    unknown = [f for f in wanted if f not in NODE_FEATURES]
    if unknown or not wanted:
        raise ArgumentError(
            f"argument `features`: expected some of {', '.join(NODE_FEATURES)}, got {wanted!r}"
        )
    if "strength" in wanted and weight is None:
        raise ArgumentError("argument `features`: `strength` needs a `weight` column")
    _require(edges, [source, target, *([weight] if weight else [])], what="node_features")
    labels = components(edges, source, target)
    ends = [F.col(source).alias("source"), F.col(target).alias("target")]
    if weight:
        ends.append(F.col(weight).cast("double").alias("weight"))
    links = edges.select(*ends).where(F.col("source").isNotNull() & F.col("target").isNotNull())
    links = links.join(labels, links["source"] == labels["node"]).drop("node")
    node_type = edges.schema[source].dataType
    schema = T.StructType(
        [
            T.StructField("node", node_type, True),
            T.StructField("component", node_type, True),
            *[
                T.StructField(
                    f,
                    T.LongType() if f in ("degree", "core_number") else T.DoubleType(),
                    True,
                )
                for f in wanted
            ],
        ]
    )

    def measure(table: pa.Table) -> pa.Table:
        from aluna.graph import CaseGraph

        frame = pl.from_arrow(table)
        assert isinstance(frame, pl.DataFrame)
        graph = CaseGraph.from_edges(
            frame.select("source", "target", *(["weight"] if weight else [])),
            weight="weight" if weight else None,
        )
        out = (
            graph.nodes()
            .select("node")
            .with_columns(
                pl.lit(frame["component"][0], dtype=frame["component"].dtype).alias("component")
            )
        )
        for f in wanted:
            if f == "degree":
                value = graph.degree()
            elif f == "strength":
                value = graph.degree("weight")
            elif f == "core_number":
                value = graph.core_number()
            elif f == "clustering":
                value = graph.clustering(threads=1)
            else:
                value = graph.betweenness(normalized=False, threads=1)
            out = out.join(value.select("node", pl.col(value.columns[1]).alias(f)), on="node")
        return _plain(
            out.with_columns(
                [
                    pl.col(f).cast(pl.Int64 if f in ("degree", "core_number") else pl.Float64)
                    for f in wanted
                ]
            )
        )

    return links.groupBy("component").applyInArrow(measure, schema)


# ----------------------------------------------------------------------------- link_records


def link_records(
    records: DataFrame,
    entity: str = "person_id",
    identifiers: Sequence[str] | str = (),
    *,
    weighting: str = "inverse_frequency",
    max_identifier_degree: int | None = 1000,
) -> DataFrame:
    r"""Links between the entities of case records that share an identifier value, on Spark.

    The links and weights of :func:`aluna.link_records` (same ``weighting`` and hub cap): for
    each identifier column, the distinct (entity, value) pairs are joined with themselves on
    the value; a value held by more than ``max_identifier_degree`` entities is dropped (and a
    :class:`~aluna.exceptions.HubValueWarning` says how many were). Per pair of entities,
    ``"inverse_frequency"`` sums :math:`1 / (d_k - 1)` over shared values :math:`k` held by
    :math:`d_k` entities, ``"count"`` counts shared values, ``"jaccard"`` divides that count by
    the number of values either entity holds.

    Parameters
    ----------
    records
        One row per record.
    entity, identifiers, weighting, max_identifier_degree
        As :func:`aluna.link_records`. Times and windows are not supported here.

    Returns
    -------
    pyspark.sql.DataFrame
        One row per linked pair: ``source`` < ``target`` (in Spark's order), ``weight``,
        ``link_types`` (the identifier columns that link them, sorted) and ``links`` (shared
        values): ``graph.edges()`` of the local graph. Entities that share nothing have no
        row.

    Raises
    ------
    ColumnError
        A named column is missing.
    ArgumentError
        No identifiers, an unknown weighting, a cap below 2.
    """
    F = _functions()
    names = [identifiers] if isinstance(identifiers, str) else list(identifiers)
    if not names:
        raise ArgumentError("argument `identifiers`: name at least one identifier column")
    if len(set(names)) != len(names) or entity in names:
        raise ArgumentError(
            f"argument `identifiers`: each column once and not the entity, got {names!r}"
        )
    if weighting not in ("inverse_frequency", "count", "jaccard"):
        raise ArgumentError(
            'argument `weighting`: expected "inverse_frequency", "count" or "jaccard", got '
            f"{weighting!r}"
        )
    if max_identifier_degree is not None and (
        isinstance(max_identifier_degree, bool)
        or not isinstance(max_identifier_degree, int)
        or max_identifier_degree < 2
    ):
        raise ArgumentError(
            "argument `max_identifier_degree`: expected an integer of at least 2 or None, got "
            f"{max_identifier_degree!r}"
        )
    _require(records, [entity, *names], what="link_records")
    held = None
    for name in names:
        part = records.select(
            F.col(entity).alias("entity"),
            F.lit(name).alias("column"),
            F.col(name).cast("string").alias("value"),
        ).where(F.col("value").isNotNull() & F.col("entity").isNotNull())
        held = part if held is None else held.union(part)
    assert held is not None
    held = held.distinct()
    degree = held.groupBy("column", "value").agg(F.count("*").alias("d"))
    if max_identifier_degree is not None:
        dropped = degree.where(F.col("d") > max_identifier_degree)
        n_dropped = dropped.count()
        if n_dropped:
            warnings.warn(
                f"link_records: {n_dropped:,} identifier value(s) held by more than "
                f"{max_identifier_degree:,} entities were dropped; such values would link "
                "nearly everyone. Raise max_identifier_degree or pass None to keep them.",
                HubValueWarning,
                stacklevel=2,
            )
        degree = degree.where(F.col("d") <= max_identifier_degree)
    held = held.join(degree, ["column", "value"])
    left = held.select("column", "value", "d", F.col("entity").alias("source"))
    right = held.select("column", "value", F.col("entity").alias("target"))
    pairs = left.join(right, ["column", "value"]).where(F.col("source") < F.col("target"))
    contribution = 1.0 / (F.col("d") - 1) if weighting == "inverse_frequency" else F.lit(1.0)
    edges = pairs.groupBy("source", "target").agg(
        F.sum(contribution).alias("weight"),
        F.array_sort(F.collect_set("column")).alias("link_types"),
        F.count("*").alias("links"),
    )
    if weighting == "jaccard":
        sizes = held.groupBy("entity").agg(F.count("*").alias("k"))
        edges = (
            edges.join(
                sizes.select(F.col("entity").alias("source"), F.col("k").alias("ks")), "source"
            )
            .join(sizes.select(F.col("entity").alias("target"), F.col("k").alias("kt")), "target")
            .withColumn("weight", F.col("links") / (F.col("ks") + F.col("kt") - F.col("links")))
            .drop("ks", "kt")
        )
    return edges.select("source", "target", "weight", "link_types", F.col("links").cast("long"))


# ------------------------------------------------------------------- pseudonyms and encodings


def _key(name: str) -> Any:
    from aluna.privacy import Key

    return Key.from_env(name)


def _key_name(key: Any) -> str:
    if not isinstance(key, str) or not key:
        raise ArgumentError(
            "argument `key`: on Spark, give the name of the environment variable that holds the "
            'key on every executor (e.g. "ALUNA_KEY"); a Key object is never sent to workers, '
            f"got {type(key).__name__}"
        )
    return key


def pseudonymise(
    df: DataFrame,
    columns: str | Sequence[str] | Mapping[str, str],
    key: str,
    *,
    kind: str | None = None,
    integer: bool = False,
) -> DataFrame:
    """Replace identifier columns by keyed pseudonyms, batch by batch on the workers.

    The tokens of :func:`aluna.privacy.pseudonymise` (HMAC-SHA256 of kind and value); the
    same key gives the same tokens on Spark and locally, so tables pseudonymised either way
    still join.

    Parameters
    ----------
    df
        The data.
    columns, kind, integer
        As :func:`aluna.privacy.pseudonymise`.
    key
        The name of the environment variable that holds the key on every executor. The key
        itself never travels with the job.

    Returns
    -------
    pyspark.sql.DataFrame
        ``df`` with the named columns replaced by string tokens (``Int64`` with
        ``integer=True``).
    """
    from aluna.privacy import pseudonymise as local

    T = _types()
    name = _key_name(key)
    if isinstance(columns, str):
        targets = [columns]
    elif isinstance(columns, Mapping):
        targets = list(columns)
    else:
        targets = list(columns)
    _require(df, targets, what="pseudonymise")
    kind_of = dict(columns) if isinstance(columns, Mapping) else None
    token = T.LongType() if integer else T.StringType()
    schema = T.StructType(
        [T.StructField(f.name, token, True) if f.name in targets else f for f in df.schema.fields]
    )

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        secret = _key(name)
        for batch in batches:
            frame = pl.from_arrow(batch)
            assert isinstance(frame, pl.DataFrame)
            out = local(frame, kind_of or targets, secret, kind=kind, integer=integer, threads=1)
            yield from _batches(out)

    return df.mapInArrow(run, schema)


def encode_for_linkage(
    df: DataFrame,
    fields: Sequence[Any] | Mapping[Any, float],
    key: str,
    *,
    id: str,
    bits: int = 1024,
    hashes: int = 10,
) -> DataFrame:
    """Encode each record as a keyed Bloom filter, batch by batch on the workers.

    The encodings of :func:`aluna.privacy.encode_for_linkage` with the same key and settings
    (bit for bit).

    Parameters
    ----------
    df
        The records.
    fields, id, bits, hashes
        As :func:`aluna.privacy.encode_for_linkage`.
    key
        The name of the environment variable that holds the key on every executor.

    Returns
    -------
    pyspark.sql.DataFrame
        ``id`` and ``encoding`` (binary).
    """
    from aluna.privacy import encode_for_linkage as local

    T = _types()
    name = _key_name(key)
    _require(df, [id], what="encode_for_linkage")
    schema = T.StructType([df.schema[id], T.StructField("encoding", T.BinaryType(), True)])
    wanted = dict(fields) if isinstance(fields, Mapping) else list(fields)

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        secret = _key(name)
        for batch in batches:
            frame = pl.from_arrow(batch)
            assert isinstance(frame, pl.DataFrame)
            if frame.height == 0:
                continue
            out = local(frame, wanted, secret, id=id, bits=bits, hashes=hashes, threads=1)
            yield from _batches(out.select(id, "encoding"))

    return df.mapInArrow(run, schema)


# ------------------------------------------------------------------------------------- link


def _band_keys(df: DataFrame, bands: int, rows: int, seed: int) -> DataFrame:
    from aluna import _native
    from aluna._interop import to_polars

    T = _types()
    names = [f"_band_{k}" for k in range(bands)]
    schema = T.StructType(
        [*df.schema.fields, *[T.StructField(n, T.LongType(), True) for n in names]]
    )

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            frame = pl.from_arrow(batch)
            assert isinstance(frame, pl.DataFrame)
            keys = to_polars(
                _native.linkage_bands(
                    frame.select("encoding"),
                    "encoding",
                    bands,
                    rows,
                    seed=seed,
                    prefix="_band_",
                    threads=1,
                )
            )
            yield from _batches(frame.hstack(keys))

    return df.mapInArrow(run, schema)


def link(
    left: DataFrame,
    right: DataFrame,
    threshold: float = 0.8,
    *,
    bands: int = 24,
    rows: int = 4,
    seed: int = 0,
    one_to_one: bool = False,
    left_id: str | None = None,
    right_id: str | None = None,
) -> DataFrame:
    r"""Pairs of records from two agencies whose encodings are similar enough to be the same.

    Blocking by MinHash band keys (:func:`aluna.privacy.linkage_bands`, same ``bands``,
    ``rows`` and ``seed``): the candidates are the union of one equi-join per band, each join
    keeping only pairs that no earlier band produced (so every pair is scored once, as Splink
    does with its blocking rules). Candidates are scored by the Dice coefficient in Arrow
    batches by aluna's kernel; pairs at or above ``threshold`` are kept. The result equals
    :func:`aluna.privacy.link` given the band columns as ``blocking``.

    With ``one_to_one=True`` the pairs are reduced by the greedy rule of
    :func:`aluna.privacy.one_to_one` within each connected component of the pair graph (the
    greedy choices of one component never touch another, so this is the global answer).

    Parameters
    ----------
    left, right
        Tables made by :func:`encode_for_linkage`: an id column and ``encoding``.
    threshold
        The least Dice coefficient of a pair.
    bands, rows, seed
        MinHash banding: see :func:`aluna.privacy.linkage_bands`.
    one_to_one
        Keep at most one pair per record, highest scores first.
    left_id, right_id
        The id columns (default: each table's first column).

    Returns
    -------
    pyspark.sql.DataFrame
        ``left``, ``right`` (the ids) and ``score``.
    """
    from aluna import _native
    from aluna._interop import to_polars

    F = _functions()
    T = _types()
    lid = left_id or left.columns[0]
    rid = right_id or right.columns[0]
    _require(left, [lid, "encoding"], what="link (left)")
    _require(right, [rid, "encoding"], what="link (right)")
    if not (isinstance(threshold, (int, float)) and 0.0 <= threshold <= 1.0):
        raise ArgumentError(f"argument `threshold`: expected a number in [0, 1], got {threshold!r}")
    names = [f"_band_{k}" for k in range(bands)]
    lk = _band_keys(
        left.select(F.col(lid).alias("left"), F.col("encoding").alias("encoding")),
        bands,
        rows,
        seed,
    )
    rk = _band_keys(
        right.select(F.col(rid).alias("right"), F.col("encoding").alias("encoding")),
        bands,
        rows,
        seed,
    )
    lk = lk.select(
        "left", F.col("encoding").alias("left_encoding"), *[F.col(n).alias("l" + n) for n in names]
    )
    rk = rk.select(
        "right",
        F.col("encoding").alias("right_encoding"),
        *[F.col(n).alias("r" + n) for n in names],
    )
    candidates = None
    for k, band in enumerate(names):
        rule = F.col("l" + band) == F.col("r" + band)
        pairs = lk.join(rk, rule)
        for earlier in names[:k]:
            # Null keys never match, so a pair with a null earlier key was not produced by it.
            pairs = pairs.where(
                ~F.coalesce(F.col("l" + earlier) == F.col("r" + earlier), F.lit(False))
            )
        pairs = pairs.select("left", "right", "left_encoding", "right_encoding")
        candidates = pairs if candidates is None else candidates.union(pairs)
    assert candidates is not None
    schema = T.StructType(
        [
            T.StructField("left", left.schema[lid].dataType, True),
            T.StructField("right", right.schema[rid].dataType, True),
            T.StructField("score", T.DoubleType(), True),
        ]
    )
    cut = float(threshold)

    def score_batches(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            frame = pl.from_arrow(batch)
            assert isinstance(frame, pl.DataFrame)
            if frame.height == 0:
                continue
            scores = to_polars(
                _native.dice_pairs(
                    frame.select("left_encoding", "right_encoding"),
                    "left_encoding",
                    "right_encoding",
                    threads=1,
                )
            )
            out = frame.select("left", "right").hstack(scores).filter(pl.col("score") >= cut)
            yield from _batches(out)

    scored = candidates.mapInArrow(score_batches, schema)
    if not one_to_one:
        return scored
    # Greedy one-to-one within each component of the pair graph. The scored pairs are used
    # by every round of the components, so they are computed once.
    scored = scored.localCheckpoint()
    tagged = scored.select(
        "left",
        "right",
        "score",
        F.concat(F.lit("l:"), F.col("left").cast("string")).alias("a"),
        F.concat(F.lit("r:"), F.col("right").cast("string")).alias("b"),
    )
    groups = components(tagged.select("a", "b"), "a", "b")
    tagged = tagged.join(groups, tagged["a"] == groups["node"]).select(
        "left", "right", "score", "component"
    )

    def assign(table: pa.Table) -> pa.Table:
        from aluna.privacy import one_to_one as local_one_to_one

        frame = pl.from_arrow(table)
        assert isinstance(frame, pl.DataFrame)
        # The order of the local pairs table: by left, then right record.
        pairs = frame.select("left", "right", "score").sort("left", "right")
        kept = local_one_to_one(pairs, left="left", right="right", score="score")
        return _plain(kept.select("left", "right", "score"))

    return tagged.groupBy("component").applyInArrow(assign, schema)


# ---------------------------------------------------------------------------------- models


def score(model: Any, df: DataFrame, *, column: str = "probability") -> DataFrame:
    """Apply a fitted aluna model to a Spark DataFrame, batch by batch on the workers.

    Each batch goes through the model's ``predict_proba`` (the model travels with the job:
    it holds coefficients and the covariate encoding, never data rows).

    Parameters
    ----------
    model
        A fitted :class:`aluna.risk.LogisticRegression` (or this module's).
    df
        Rows with the model's covariates.
    column
        Name of the new column.

    Returns
    -------
    pyspark.sql.DataFrame
        ``df`` with ``column`` (double) added.
    """
    T = _types()
    if not hasattr(model, "predict_proba"):
        raise ArgumentError(f"score: expected a fitted aluna model, got {type(model).__name__}")
    model._fitted()
    if column in df.columns:
        raise ColumnError(f"score: the DataFrame already has a column `{column}`")
    schema = T.StructType([*df.schema.fields, T.StructField(column, T.DoubleType(), True)])

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            frame = pl.from_arrow(batch)
            assert isinstance(frame, pl.DataFrame)
            if frame.height == 0:
                continue
            out = frame.with_columns(model.predict_proba(frame).alias(column))
            yield from _batches(out)

    return df.mapInArrow(run, schema)


class LogisticRegression(_LocalLogisticRegression):
    """Logistic regression fitted on a Spark DataFrame by distributed Newton steps.

    Each step sends the current coefficients to the workers; every partition returns its
    log-likelihood, score vector and information matrix (aluna's kernel,
    ``aluna_stats::logistic::logistic_terms``), the driver adds them and solves for the
    step. The fit stops when every :math:`|\\Delta\\beta_j| \\le 10^{-10}(1 + |\\beta_j|)`, the
    rule of the local fit, so the estimates, standard errors and :attr:`summary` equal
    :class:`aluna.risk.LogisticRegression`'s (to about 1e-9). Unpenalised fits of numeric
    covariates only; ``robust=True`` gives HC0 sandwich errors. The fitted model works as the
    local one (``summary``, ``predict_proba`` on polars data, and :func:`score` on Spark).
    """

    def fit(  # type: ignore[override]
        self,
        df: DataFrame,
        *,
        outcome: str,
        covariates: Sequence[str],
        weights: str | None = None,
        robust: bool = False,
    ) -> LogisticRegression:
        from aluna import _design, _native

        F = _functions()
        T = _types()
        if self.penalty is not None:
            raise ArgumentError(
                "aluna.spark.LogisticRegression: only unpenalised fits (penalty=None)"
            )
        names = list(covariates)
        if not all(isinstance(c, str) for c in names):
            raise ArgumentError(
                "aluna.spark.LogisticRegression: covariates are numeric column names; encode "
                f"categories as 0/1 columns first, got {names!r}"
            )
        required = [outcome, *names, *([weights] if weights else [])]
        _require(df, required, what="LogisticRegression.fit")
        numeric = (T.NumericType, T.BooleanType)
        for c in required:
            if not isinstance(df.schema[c].dataType, numeric):
                raise ColumnError(
                    f"column `{c}`: expected numbers, found {df.schema[c].dataType.simpleString()}"
                )
        data = df.select(*[F.col(c).cast("double").alias(c) for c in dict.fromkeys(required)])
        data = data.localCheckpoint()
        intercept = self.fit_intercept
        p = len(names) + (1 if intercept else 0)
        schema = T.StructType(
            [
                T.StructField("log_likelihood", T.DoubleType()),
                T.StructField("score", T.ArrayType(T.DoubleType())),
                T.StructField("information", T.ArrayType(T.DoubleType())),
                T.StructField("meat", T.ArrayType(T.DoubleType())),
                T.StructField("weight_total", T.DoubleType()),
                T.StructField("weighted_events", T.DoubleType()),
                T.StructField("rows", T.LongType()),
            ]
        )

        def sums(beta: list[float], meat: bool) -> dict[str, Any]:
            def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
                import pyarrow as pa

                for batch in batches:
                    frame = pl.from_arrow(batch)
                    assert isinstance(frame, pl.DataFrame)
                    if frame.height == 0:
                        continue
                    t = _native.logistic_terms_of(
                        frame,
                        names,
                        outcome,
                        beta,
                        weights=weights,
                        intercept=intercept,
                        meat=meat,
                        threads=1,
                    )
                    yield pa.RecordBatch.from_pylist(
                        [
                            {
                                "log_likelihood": t["log_likelihood"],
                                "score": list(t["score"]),
                                "information": [v for row in t["information"] for v in row],
                                "meat": None
                                if t["meat"] is None
                                else [v for row in t["meat"] for v in row],
                                "weight_total": t["weight_total"],
                                "weighted_events": t["weighted_events"],
                                "rows": frame.height,
                            }
                        ],
                        schema=pa.schema(
                            [
                                ("log_likelihood", pa.float64()),
                                ("score", pa.list_(pa.float64())),
                                ("information", pa.list_(pa.float64())),
                                ("meat", pa.list_(pa.float64())),
                                ("weight_total", pa.float64()),
                                ("weighted_events", pa.float64()),
                                ("rows", pa.int64()),
                            ]
                        ),
                    )

            parts = data.mapInArrow(run, schema).collect()
            if not parts:
                raise ArgumentError("aluna.spark.LogisticRegression: the DataFrame has no rows")
            total = {
                "log_likelihood": math.fsum(r["log_likelihood"] for r in parts),
                "score": np.sum([r["score"] for r in parts], axis=0),
                "information": np.sum([r["information"] for r in parts], axis=0).reshape(p, p),
                "weight_total": math.fsum(r["weight_total"] for r in parts),
                "weighted_events": math.fsum(r["weighted_events"] for r in parts),
                "rows": sum(r["rows"] for r in parts),
                "meat": np.sum([r["meat"] for r in parts], axis=0).reshape(p, p) if meat else None,
            }
            return total

        beta = np.zeros(p)
        converged = False
        iterations = 0
        while iterations < self.max_iter:
            iterations += 1
            t = sums(list(beta), False)
            try:
                step = np.linalg.solve(t["information"], t["score"])
            except np.linalg.LinAlgError as err:
                raise ArgumentError(
                    "aluna.spark.LogisticRegression: the information matrix is singular "
                    "(constant or collinear covariates)"
                ) from err
            beta = beta + step
            if np.all(np.abs(step) <= 1e-10 * (1.0 + np.abs(beta))):
                converged = True
                break
        if not converged:
            warnings.warn(
                f"aluna.spark.LogisticRegression: no convergence in {self.max_iter} Newton steps "
                "(the last step was still larger than 1e-10 relative); a covariate may separate "
                "the outcome. Fit a sample locally with aluna.risk.LogisticRegression to see "
                "which, or raise max_iter.",
                ConvergenceWarning,
                stacklevel=2,
            )
        final = sums(list(beta), robust)
        _design.warn_events_per_variable(
            min(final["weighted_events"], final["weight_total"] - final["weighted_events"]),
            len(names),
            model="LogisticRegression",
            what="rows with the rarer outcome",
        )
        bread = np.linalg.inv(final["information"])
        covariance = bread
        robust_covariance = bread @ final["meat"] @ bread if robust else None
        w, e = final["weight_total"], final["weighted_events"]
        rate = e / w
        null_ll = (
            (e * math.log(rate) if e > 0 else 0.0) + ((w - e) * math.log1p(-rate) if w > e else 0.0)
            if intercept
            else w * math.log(0.5)
        )
        result = {
            "coef": list(beta),
            "covariance": covariance.tolist(),
            "robust_covariance": None if robust_covariance is None else robust_covariance.tolist(),
            "log_likelihood": final["log_likelihood"],
            "penalised_log_likelihood": final["log_likelihood"],
            "null_log_likelihood": null_ll,
            "iterations": iterations,
            "converged": converged,
            "separated": [],
            "weight_total": w,
        }
        sample = pl.from_arrow(data.limit(1).toArrow())
        assert isinstance(sample, pl.DataFrame)
        design, _ = _design.build(
            sample, names, missing="error", required=[outcome], what="LogisticRegression"
        )
        terms = (["intercept"] if intercept else []) + list(design.names)
        cov = result["robust_covariance"] or result["covariance"]
        self._fit = {
            "result": result,
            "names": terms,
            "design": design,
            "outcome": outcome,
            "weights": weights,
            "cluster": None,
            "se_type": "robust (HC0)" if robust else "model-based",
            "summary": _results.summary_frame(
                terms, result["coef"], cov, level=self.level, ratio="odds_ratio"
            ),
            "n": final["rows"],
            "events": e,
            "total": w,
            "penalty": "none",
        }
        return self
