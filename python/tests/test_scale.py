"""aluna.scale: graphs built from Parquet batch by batch equal graphs built from one table, and a
graph of 10 million links builds and runs every whole-graph measure (a smoke check; no timing)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

import aluna
from aluna.exceptions import ArgumentError, BadValueError, ColumnError


def sorted_rows(frame: pl.DataFrame) -> list[tuple[object, ...]]:
    return sorted(frame.rows())


@pytest.fixture(scope="module")
def links(tmp_path_factory: pytest.TempPathFactory) -> tuple[pl.DataFrame, Path]:
    rng = np.random.default_rng(5)
    m = 20_000
    frame = pl.DataFrame(
        {
            "source": rng.integers(0, 3_000, m) * 7919 + 11,
            "target": (3_000 * rng.random(m) ** 3).astype(np.int64) * 7919 + 11,
            "weight": 1.0 - rng.random(m),
        }
    )
    folder = tmp_path_factory.mktemp("links")
    frame.write_parquet(folder / "links.parquet", row_group_size=3_000)
    return frame, folder / "links.parquet"


@pytest.mark.parametrize("batch_rows", [1_000, 7_777, 1_000_000])
def test_streamed_graph_equals_the_graph_of_the_whole_table(
    links: tuple[pl.DataFrame, Path], batch_rows: int
) -> None:
    frame, path = links
    whole = aluna.CaseGraph.from_edges(frame, weight="weight")
    streamed = aluna.scale.edges_from_parquet(path, weight="weight", batch_rows=batch_rows)
    assert streamed.number_of_nodes() == whole.number_of_nodes()
    assert streamed.number_of_edges() == whole.number_of_edges()
    for measure in ("degree", "core_number"):
        assert sorted_rows(getattr(streamed, measure)()) == sorted_rows(getattr(whole, measure)())
    strength_a = streamed.degree("weight").sort("node")
    strength_b = whole.degree("weight").sort("node")
    np.testing.assert_allclose(strength_a["strength"], strength_b["strength"], rtol=1e-12)
    ranks_a = streamed.pagerank(weight="weight").sort("node")
    ranks_b = whole.pagerank(weight="weight").sort("node")
    np.testing.assert_allclose(ranks_a["pagerank"], ranks_b["pagerank"], rtol=1e-9, atol=1e-15)

    # Components are numbered by first node, which differs with node order: compare partitions.
    def partition(graph: aluna.CaseGraph) -> set[frozenset[int]]:
        groups = graph.components().group_by("component").agg(pl.col("node"))
        return {frozenset(nodes) for nodes in groups["node"].to_list()}

    assert partition(streamed) == partition(whole)


def test_a_record_table_is_reduced_to_links_by_the_streaming_engine(tmp_path: Path) -> None:
    # One row per (person, identifier); people sharing an identifier are linked.
    records = pl.DataFrame(
        {
            "person": ["p1", "p2", "p3", "p4", "p2", "p5"],
            "identifier": ["phone:1", "phone:1", "mail:9", "mail:9", "mail:9", "iban:3"],
        }
    )
    records.write_parquet(tmp_path / "records.parquet")
    scan = pl.scan_parquet(tmp_path / "records.parquet")
    pairs = (
        scan.join(scan, on="identifier", suffix="_other")
        .filter(pl.col("person") < pl.col("person_other"))
        .select(source="person", target="person_other")
    )
    pairs.sink_parquet(tmp_path / "links.parquet", engine="streaming")
    graph = aluna.scale.edges_from_parquet(tmp_path / "links.parquet")
    assert sorted_rows(graph.degree()) == [("p1", 1), ("p2", 3), ("p3", 2), ("p4", 2)]
    same = aluna.scale.edges_from_parquet(pairs)
    assert sorted_rows(same.degree()) == sorted_rows(graph.degree())


def test_nodes_are_declared_before_the_links(links: tuple[pl.DataFrame, Path]) -> None:
    _, path = links
    nodes = pl.DataFrame({"node": [-1, 11], "label": ["isolated", "first"]})
    graph = aluna.scale.edges_from_parquet(path, nodes=nodes)
    degree = dict(graph.degree().rows())
    assert degree[-1] == 0
    assert graph.degree()["node"][0] == -1


def test_bad_inputs_name_what_was_expected(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {"source": [1, 2, 3, 4], "target": [2, 3, 4, 1], "w": [1.0, 1.0, 1.0, None]}
    )
    frame = frame.with_columns(pl.col("w").fill_null(float("nan")))
    frame.write_parquet(tmp_path / "bad.parquet")
    with pytest.raises(BadValueError, match=r"column `w`, row 3"):
        aluna.scale.edges_from_parquet(tmp_path / "bad.parquet", weight="w", batch_rows=2)
    with pytest.raises(ColumnError, match=r"column `weight` not found; the table has: source"):
        aluna.scale.edges_from_parquet(tmp_path / "bad.parquet", weight="weight")
    with pytest.raises(ArgumentError, match=r"argument `batch_rows`: expected a positive integer"):
        aluna.scale.edges_from_parquet(tmp_path / "bad.parquet", batch_rows=0)
    with pytest.raises(ArgumentError, match=r"expected a Parquet path"):
        aluna.scale.edges_from_parquet(42)  # type: ignore[arg-type]


def test_ten_million_links_build_and_run_every_whole_graph_measure(tmp_path: Path) -> None:
    n, m = 1_000_000, 10_000_000
    rng = np.random.default_rng(12)
    path = tmp_path / "links.parquet"
    chunk = 2_500_000
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([("source", pa.int64()), ("target", pa.int64()), ("weight", pa.float64())])
    with pq.ParquetWriter(path, schema) as writer:
        for _ in range(m // chunk):
            source = rng.integers(0, n, chunk)
            target = np.minimum((n * rng.random(chunk) ** 3).astype(np.int64), n - 1)
            writer.write_batch(
                pa.record_batch(
                    [pa.array(source), pa.array(target), pa.array(1.0 - rng.random(chunk))],
                    schema=schema,
                )
            )
    graph = aluna.scale.edges_from_parquet(path, weight="weight")
    edges = graph.number_of_edges()
    assert 0.9 * m < edges <= m
    assert graph.number_of_nodes() <= n
    # 8 bytes of adjacency and 8 of weight per edge, plus ids, hash index and offsets per node.
    heap = graph._graph.heap_bytes()
    assert heap < 16 * edges + 128 * graph.number_of_nodes()
    assert int(graph.degree()["degree"].sum()) == 2 * edges
    components = graph.components()
    assert components.height == graph.number_of_nodes()
    cores = graph.core_number().join(graph.degree(), on="node")
    assert (cores["core_number"] <= cores["degree"]).all()
    assert graph.pagerank()["pagerank"].sum() == pytest.approx(1.0, abs=1e-9)
    between = graph.betweenness(epsilon=0.1, seed=1)
    assert between.height == graph.number_of_nodes()
    assert between["betweenness"].min() >= 0.0
