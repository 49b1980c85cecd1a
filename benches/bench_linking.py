"""Case-link graphs from records: aluna beside the same pipeline in polars + networkx.

The task: records (person, three pseudonymised identifier columns, 20% nulls) become a graph of
persons linked by shared values, weighted by inverse frequency (Newman's 1/(d-1)), values held by
more than 1000 persons dropped. The peer pipeline is what analysts write by hand: polars self-joins
per identifier column, a group-by for the weights, then a networkx graph. At 10M records the
networkx graph (about 19M edges) does not fit beside the data on this machine, so the peer stops
at the polars edge table there.

Run: python benches/bench_linking.py   (or `make bench`, which runs every bench)
"""

from __future__ import annotations

import resource
import time

import networkx as nx
import numpy as np
import polars as pl

import aluna

if __package__:
    from .harness import Case, median_seconds
else:  # run as a script
    from harness import Case, median_seconds

TITLE = "Case-link graphs from records (link_records, co_offending)"
PACKAGES = ("polars", "networkx")
COMMAND = "python benches/bench_linking.py"
IDENTIFIERS = ["phone", "device", "account"]
CAP = 1000


def records(n: int, seed: int = 7) -> pl.DataFrame:
    """n records of n/4 persons; identifier values drawn so most are shared by a few persons."""
    rng = np.random.default_rng(seed)

    def identifier(name: str, values: int) -> pl.Expr:
        null = pl.Series(rng.random(n) < 0.2)
        value = pl.format("{}-{}", pl.lit(name), pl.Series(rng.integers(0, values, n)))
        return pl.when(null).then(None).otherwise(value).alias(name)

    return pl.select(
        person_id=pl.Series(rng.integers(0, n // 4, n)),
        phone=identifier("phone", n // 3),
        device=identifier("device", n // 2),
        account=identifier("account", n),
    )


def polars_edges(frame: pl.DataFrame) -> pl.DataFrame:
    """The peer: self-join per identifier column, inverse-frequency weights, summed per pair."""
    parts = []
    lazy = frame.lazy()
    for column in IDENTIFIERS:
        held = lazy.select(a=pl.col("person_id"), value=pl.col(column)).drop_nulls().unique()
        degree = held.group_by("value").agg(d=pl.len())
        held = held.join(degree.filter(pl.col("d") <= CAP), on="value")
        pairs = held.join(held.select(b="a", value="value"), on="value").filter(
            pl.col("a") < pl.col("b")
        )
        parts.append(pairs.select("a", "b", w=1.0 / (pl.col("d") - 1)))
    return pl.concat(parts).group_by("a", "b").agg(pl.col("w").sum()).collect()


def networkx_graph(frame: pl.DataFrame) -> nx.Graph:
    edges = polars_edges(frame)
    g = nx.Graph()
    g.add_nodes_from(frame["person_id"].unique().to_list())
    g.add_weighted_edges_from(edges.iter_rows())
    return g


def participation(n: int, seed: int = 11) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {"person_id": rng.integers(0, n // 3, n), "case_id": rng.integers(0, n // 2, n)}
    )


def co_offending_networkx(frame: pl.DataFrame) -> nx.Graph:
    people = frame.unique()
    pairs = (
        people.join(people.rename({"person_id": "b"}), on="case_id")
        .filter(pl.col("person_id") < pl.col("b"))
        .group_by("person_id", "b")
        .agg(w=pl.len())
    )
    g = nx.Graph()
    g.add_nodes_from(frame["person_id"].unique().to_list())
    g.add_weighted_edges_from(pairs.iter_rows())
    return g


def peak_growth(fn) -> tuple[float, float, object]:
    """Seconds, peak RSS growth (GB) over the process's peak so far, and the result."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return seconds, (after - before) / 1e6, out


def ten_million(link) -> Case:
    """The 10M-record case: aluna against the polars edge table (networkx does not fit)."""
    big = records(10_000_000)
    seconds, growth, graph = peak_growth(lambda: link(big))
    heap = graph._graph.heap_bytes() / 1e9
    edges = graph.number_of_edges()
    case = Case(
        f"10M records -> {edges:,} weighted links (aluna peak RSS +{growth:.1f} GB, "
        f"graph {heap:.1f} GB; networkx not run: the graph does not fit beside the data)"
    )
    case.timings["aluna"] = seconds
    del graph
    case.timings["polars (edge table only)"] = median_seconds(
        lambda: polars_edges(big), 1, warmup=0
    )
    return case


def run(repeat: int = 3) -> list[Case]:
    cases = []
    small = records(1_000_000)
    link = lambda f: aluna.link_records(f, identifiers=IDENTIFIERS, max_identifier_degree=CAP)  # noqa: E731
    graph = link(small)
    reference = networkx_graph(small)
    assert graph.number_of_edges() == reference.number_of_edges()
    case = Case(f"1M records, 3 identifier columns -> {graph.number_of_edges():,} weighted links")
    case.timings["aluna"] = median_seconds(lambda: link(small), repeat)
    case.timings["polars+networkx"] = median_seconds(lambda: networkx_graph(small), 1)
    case.timings["polars (edge table only)"] = median_seconds(lambda: polars_edges(small), repeat)
    cases.append(case)
    del reference

    cases.append(ten_million(link))

    part = participation(1_000_000)
    co = aluna.co_offending(part)
    case = Case(f"co-offending, 1M participation rows -> {co.number_of_edges():,} links")
    case.timings["aluna"] = median_seconds(lambda: aluna.co_offending(part), repeat)
    case.timings["polars+networkx"] = median_seconds(lambda: co_offending_networkx(part), 1)
    cases.append(case)
    return cases


if __name__ == "__main__":
    from harness import markdown

    print(markdown(TITLE, run(), COMMAND, PACKAGES))
