"""aluna.spark in local[2] mode, in a classic session and under Spark Connect: every function
gives the local function's answer on the same data (exactly, or to 1e-9 for floating point)."""

from __future__ import annotations

import os
import shutil
import socket
import sys
import warnings
from collections.abc import Iterator
from typing import Any

import networkx as nx
import numpy as np
import polars as pl
import pytest

import aluna
from aluna import spark as aspark
from aluna.exceptions import ArgumentError, ColumnError

from .conftest import skip_or_fail


def _connect_client_missing() -> str | None:
    """Why the Spark Connect client cannot run here, or None."""
    from pyspark.errors import PySparkImportError

    try:
        from pyspark.sql.connect.utils import check_dependencies

        check_dependencies()
    except (ImportError, PySparkImportError) as err:
        return f"Spark Connect needs its client packages (pip install 'pyspark[connect]'): {err}"
    return None


@pytest.fixture(scope="module", params=["classic", "connect"])
def spark(request: pytest.FixtureRequest) -> Iterator[Any]:
    """One local[2] session of each kind: a classic one (py4j), then a Spark Connect client of
    a Connect server started in this process (``remote("local[2]")``), which has no RDD API and
    no SparkContext. The two never run at once: pyspark picks the Connect or the classic
    functions by an environment variable that the Connect session sets until it stops."""
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        skip_or_fail("aluna.spark needs Java 17 (apt-get install openjdk-17-jre-headless)")
    if request.param == "connect":
        if reason := _connect_client_missing():
            skip_or_fail(reason)
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", 15002)) == 0:
                # remote("local[...]") always serves on 15002 and fails to start if it is taken.
                skip_or_fail("port 15002 is in use (another Spark Connect server?)")
    from pyspark.sql import SparkSession

    # Workers run this interpreter, where aluna is installed.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder
    builder = (
        builder.master("local[2]") if request.param == "classic" else builder.remote("local[2]")
    )
    builder = (
        builder.appName("aluna-tests")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.default.parallelism", "2")
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.log.level", "ERROR")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.memory", "1g")
    )
    with warnings.catch_warnings():
        # remote("local[2]") starts the server with every option, then pyspark 4.3 sets them
        # all again on the Connect session, which refuses the static ones (the UI, memory)
        # with a warning each; they are in force on the server.
        warnings.filterwarnings(
            "ignore",
            message=r"Failed to set spark\.\S+ .*CANNOT_MODIFY_CONFIG",
            category=UserWarning,
        )
        session = builder.getOrCreate()
    assert type(session).__module__.startswith("pyspark.sql.connect") == (
        request.param == "connect"
    )
    yield session
    session.stop()


def to_polars(df: Any) -> pl.DataFrame:
    frame = pl.from_arrow(df.toArrow())
    assert isinstance(frame, pl.DataFrame)
    return frame


def to_spark(spark: Any, frame: pl.DataFrame) -> Any:
    return spark.createDataFrame(frame.to_arrow(compat_level=pl.CompatLevel.oldest()))


def partition(frame: pl.DataFrame, label: str) -> set[frozenset[Any]]:
    groups = frame.group_by(label).agg(pl.col("node"))
    return {frozenset(nodes) for nodes in groups["node"].to_list()}


# ------------------------------------------------------------------------------- components


def test_components_equal_the_local_partition(spark: Any) -> None:
    graph = nx.disjoint_union_all(
        [nx.path_graph(9), nx.star_graph(5), nx.karate_club_graph(), nx.cycle_graph(4)]
    )
    graph.add_edge(60, 60)  # a self-loop makes a component of its own
    edges = pl.DataFrame(
        {"source": [u for u, _ in graph.edges()], "target": [v for _, v in graph.edges()]}
    )
    # Scramble the ids so that the smallest id is nowhere special.
    scramble = {v: (v * 7919) % 10007 for v in graph.nodes()}
    edges = edges.with_columns(pl.col("source", "target").replace_strict(scramble))
    local = aluna.CaseGraph.from_edges(edges).components()
    remote = to_polars(aspark.components(to_spark(spark, edges)))
    assert remote.height == local.height
    assert partition(remote, "component") == partition(local, "component")
    # The label is the smallest id of the component.
    smallest = remote.group_by("component").agg(pl.col("node").min().alias("least"))
    assert (smallest["component"] == smallest["least"]).all()


def test_components_of_string_ids_and_a_long_path(spark: Any) -> None:
    n = 30
    edges = pl.DataFrame(
        {
            "source": [f"n{i:04d}" for i in range(n - 1)],
            "target": [f"n{i + 1:04d}" for i in range(n - 1)],
        }
    ).vstack(pl.DataFrame({"source": ["x", "y"], "target": ["y", "z"]}))
    local = aluna.CaseGraph.from_edges(edges).components()
    remote = to_polars(aspark.components(to_spark(spark, edges)))
    assert partition(remote, "component") == partition(local, "component")


def test_node_features_equal_the_local_measures(spark: Any) -> None:
    graph = nx.disjoint_union_all(
        [nx.karate_club_graph(), nx.florentine_families_graph(), nx.path_graph(5)]
    )
    rng = np.random.default_rng(1)
    edges = pl.DataFrame(
        {
            "source": [u for u, _ in graph.edges()],
            "target": [v for _, v in graph.edges()],
            "w": rng.random(graph.number_of_edges()),
        }
    )
    local_graph = aluna.CaseGraph.from_edges(edges, weight="w")
    local = (
        local_graph.degree()
        .join(local_graph.degree("w"), on="node")
        .join(local_graph.core_number(), on="node")
        .join(local_graph.clustering(), on="node")
        .join(local_graph.betweenness(normalized=False), on="node")
        .sort("node")
    )
    remote = to_polars(
        aspark.node_features(
            to_spark(spark, edges),
            weight="w",
            features=["degree", "strength", "core_number", "clustering", "betweenness"],
        )
    ).sort("node")
    assert remote["node"].to_list() == local["node"].to_list()
    assert remote["degree"].to_list() == local["degree"].to_list()
    assert remote["core_number"].to_list() == local["core_number"].to_list()
    for column in ("strength", "clustering", "betweenness"):
        np.testing.assert_allclose(remote[column], local[column], rtol=1e-9, atol=1e-12)
    with pytest.raises(ArgumentError, match=r"argument `features`: expected some of degree"):
        aspark.node_features(to_spark(spark, edges), features=["pagerank"])


def test_components_bad_inputs(spark: Any) -> None:
    df = spark.createDataFrame([(1, 2)], ["a", "b"])
    with pytest.raises(
        ColumnError, match=r"components: column `source` not found; the DataFrame has: a, b"
    ):
        aspark.components(df)
    with pytest.raises(
        ArgumentError, match=r"argument `max_iterations`: expected a positive integer"
    ):
        aspark.components(df, "a", "b", max_iterations=0)


# ----------------------------------------------------------------------------- link_records


def canonical_edges(frame: pl.DataFrame) -> dict[tuple[str, str], tuple[float, list[str], int]]:
    out = {}
    for s, t, w, types, links in frame.select(
        "source", "target", "weight", "link_types", "links"
    ).iter_rows():
        out[(min(s, t), max(s, t))] = (w, sorted(types), links)
    return out


def test_link_records_equal_the_local_links(spark: Any) -> None:
    records = aluna.datasets.load("case_links").tables["records"]
    records = records.select("person_id", "case_id", "identifier")
    remote_records = to_spark(spark, records)
    for weighting in ("inverse_frequency", "count", "jaccard"):
        local = canonical_edges(
            aluna.link_records(
                records, "person_id", ["case_id", "identifier"], weighting=weighting
            ).edges()
        )
        remote = canonical_edges(
            to_polars(
                aspark.link_records(
                    remote_records, "person_id", ["case_id", "identifier"], weighting=weighting
                )
            )
        )
        assert remote.keys() == local.keys()
        for pair, (w, types, links) in local.items():
            assert remote[pair][1:] == (types, links)
            assert remote[pair][0] == pytest.approx(w, rel=1e-9, abs=1e-12)


def test_link_records_drop_hub_values_as_locally(spark: Any) -> None:
    records = pl.DataFrame(
        {
            "person_id": ["a", "b", "c", "d", "a", "b", "e"],
            "phone": ["hub", "hub", "hub", "hub", "p1", "p1", None],
        }
    )
    with pytest.warns(aluna.exceptions.HubValueWarning):
        local = canonical_edges(
            aluna.link_records(records, "person_id", "phone", max_identifier_degree=3).edges()
        )
    with pytest.warns(aluna.exceptions.HubValueWarning, match=r"1 identifier value\(s\) held by"):
        remote = canonical_edges(
            to_polars(
                aspark.link_records(
                    to_spark(spark, records),
                    "person_id",
                    "phone",
                    max_identifier_degree=3,
                )
            )
        )
    assert remote == local == {("a", "b"): (1.0, ["phone"], 1)}
    with pytest.raises(ArgumentError, match=r"argument `weighting`"):
        aspark.link_records(to_spark(spark, records), "person_id", "phone", weighting="x")  # type: ignore[arg-type]


# ------------------------------------------------------------------- pseudonyms and encodings

FIELDS = [("first_name", "last_name"), "date_of_birth", "postcode"]


@pytest.fixture(scope="module")
def agencies() -> tuple[pl.DataFrame, pl.DataFrame]:
    pair = aluna.datasets.load("linkage_pair")
    return pair.data.head(300), pair.tables["agency_b"].head(300)


def test_pseudonyms_and_encodings_equal_the_local_ones(
    spark: Any, agencies: tuple[pl.DataFrame, pl.DataFrame]
) -> None:
    from aluna.privacy import Key, encode_for_linkage, pseudonymise

    key = Key.from_env("ALUNA_TEST_KEY")
    a, _ = agencies
    sa = to_spark(spark, a).repartition(3)
    local = pseudonymise(a, {"record_id": "record", "postcode": "postcode"}, key)
    remote = to_polars(
        aspark.pseudonymise(sa, {"record_id": "record", "postcode": "postcode"}, "ALUNA_TEST_KEY")
    )
    assert sorted(remote.rows()) == sorted(local.rows())
    local_int = pseudonymise(a, "record_id", key, integer=True)
    remote_int = to_polars(aspark.pseudonymise(sa, "record_id", "ALUNA_TEST_KEY", integer=True))
    assert sorted(remote_int["record_id"].to_list()) == sorted(local_int["record_id"].to_list())
    local_enc = encode_for_linkage(a, FIELDS, key, id="record_id")
    remote_enc = to_polars(aspark.encode_for_linkage(sa, FIELDS, "ALUNA_TEST_KEY", id="record_id"))
    assert sorted(remote_enc.rows()) == sorted(local_enc.rows())
    with pytest.raises(ArgumentError, match=r"argument `key`: on Spark, give the name"):
        aspark.pseudonymise(sa, "record_id", key)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------- link


def test_link_equals_local_link_on_band_keys(
    spark: Any, agencies: tuple[pl.DataFrame, pl.DataFrame]
) -> None:
    from aluna.privacy import Key, encode_for_linkage, link, linkage_bands

    key = Key.from_env("ALUNA_TEST_KEY")
    a, b = agencies
    ea = encode_for_linkage(a, FIELDS, key, id="record_id")
    eb = encode_for_linkage(b, FIELDS, key, id="record_id")
    bands = [f"band_{k}" for k in range(8)]
    sa = to_spark(spark, ea).repartition(2)
    sb = to_spark(spark, eb).repartition(2)
    for one in (False, True):
        local = link(
            linkage_bands(ea, bands=8, rows=2),
            linkage_bands(eb, bands=8, rows=2),
            0.7,
            blocking=bands,
            one_to_one=one,
        )
        remote = to_polars(aspark.link(sa, sb, 0.7, bands=8, rows=2, one_to_one=one)).sort(
            "left", "right"
        )
        assert local.height > 20
        assert remote.select("left", "right").rows() == local.select("left", "right").rows()
        np.testing.assert_allclose(remote["score"], local["score"], rtol=0, atol=1e-12)


# ---------------------------------------------------------------------------------- models


@pytest.fixture(scope="module")
def cohort() -> pl.DataFrame:
    rng = np.random.default_rng(3)
    n = 3000
    x1 = rng.normal(size=n)
    x2 = rng.binomial(1, 0.4, n).astype(float)
    eta = -0.5 + 0.8 * x1 - 0.6 * x2
    y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    return pl.DataFrame({"x1": x1, "x2": x2, "y": y, "w": rng.integers(1, 4, n).astype(float)})


def test_distributed_logistic_regression_equals_the_local_fit(
    spark: Any, cohort: pl.DataFrame
) -> None:
    from aluna.risk import LogisticRegression

    frame = to_spark(spark, cohort).repartition(3)
    for robust, weights in ((False, None), (True, "w")):
        local = LogisticRegression().fit(
            cohort, outcome="y", covariates=["x1", "x2"], weights=weights, robust=robust
        )
        remote = aspark.LogisticRegression().fit(
            frame, outcome="y", covariates=["x1", "x2"], weights=weights, robust=robust
        )
        assert remote.summary["term"].to_list() == local.summary["term"].to_list()
        for column in local.summary.columns[1:]:
            np.testing.assert_allclose(
                remote.summary[column], local.summary[column], rtol=1e-9, atol=1e-12
            )
        assert remote.log_likelihood == pytest.approx(local.log_likelihood, rel=1e-12)
        assert remote.log_likelihood_null == pytest.approx(local.log_likelihood_null, rel=1e-12)
        assert remote.n_obs == local.n_obs
    scored = to_polars(aspark.score(local, frame)).sort("x1")
    expected = cohort.with_columns(local.predict_proba(cohort).alias("probability")).sort("x1")
    np.testing.assert_allclose(scored["probability"], expected["probability"], rtol=1e-12)
    with pytest.raises(ColumnError, match=r"column `nope` not found"):
        aspark.LogisticRegression().fit(frame, outcome="y", covariates=["nope"])


def test_distributed_logistic_regression_warns_when_newton_does_not_converge(
    spark: Any, cohort: pl.DataFrame
) -> None:
    # x separates the outcome perfectly: the estimate runs off and Newton never settles.
    separated = cohort.with_columns(pl.col("x1").alias("x")).with_columns(
        (pl.col("x") > 0).cast(pl.Float64).alias("y")
    )
    frame = to_spark(spark, separated.select("x", "y"))
    with pytest.warns(aluna.exceptions.ConvergenceWarning, match=r"no convergence in 5 Newton"):
        aspark.LogisticRegression(max_iter=5).fit(frame, outcome="y", covariates=["x"])
