"""Graphs at scale on one machine: build a graph of 100 million links from Parquet in bounded
memory and run degree, components, core number, PageRank and sampled betweenness on it.

    python benches/scale.py                     # 10M nodes, 100M links (`make bench-scale`)
    python benches/scale.py --edges 10000000 --nodes 1000000 --no-write   # a quick look

The edge file is synthetic and seeded: sources uniform over the nodes, targets drawn with a
heavy tail (node ``k`` of ``n`` is hit with probability about ``(k/n)^(-2/3) / 3n``, so a few
hubs hold hundreds of thousands of links, as platform accounts and shared phones do), ids
scrambled to 62-bit integers (as pseudonymised integer ids are), weights uniform in (0, 1]. It is
written once to ``target/scale/`` and reused.

Memory is read from Linux: before each step the peak resident set size of the process is reset
(``/proc/self/clear_refs``), and after it ``VmHWM`` is the step's peak. "Bytes per link" divides
the step's peak above the resident size before it by the number of link rows. Figures go to the
``<!-- bench:scale -->`` section of ``docs/benchmarks.md`` (not part of `make bench`).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import aluna

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness import machine, versions  # noqa: E402
from run import replace_section  # noqa: E402

COMMAND = "make bench-scale  # python benches/scale.py --edges 100000000 --nodes 10000000"
CHUNK = 5_000_000
GIB = 1024**3


def rss_bytes(field: str) -> int:
    """A memory figure of this process from /proc/self/status (VmRSS, VmHWM), in bytes."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def reset_peak() -> None:
    """Reset VmHWM to the current resident size (Linux >= 4.0)."""
    gc.collect()
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def measured(step: Callable[[], Any]) -> tuple[Any, float, int, int]:
    """Run ``step``; return its result, seconds, resident bytes before and peak bytes during."""
    reset_peak()
    before = rss_bytes("VmRSS")
    start = time.perf_counter()
    result = step()
    seconds = time.perf_counter() - start
    return result, seconds, before, rss_bytes("VmHWM")


def write_edges(path: Path, n_nodes: int, n_edges: int, seed: int = 12) -> None:
    """The synthetic edge file, written in chunks of 5M rows (row groups)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    # A fixed scramble of node numbers to 62-bit ids: an odd multiplier modulo 2^62 is a
    # bijection, so ids stay distinct.
    multiplier = np.uint64(0x2545F4914F6CDD1D) & np.uint64((1 << 62) - 1) | np.uint64(1)
    mask = np.uint64((1 << 62) - 1)
    permutation = rng.permutation(n_nodes).astype(np.uint64)

    def ids(k: np.ndarray) -> np.ndarray:
        return ((permutation[k] * multiplier) & mask).astype(np.int64)

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    schema = pa.schema([("source", pa.int64()), ("target", pa.int64()), ("weight", pa.float64())])
    with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
        for start in range(0, n_edges, CHUNK):
            size = min(CHUNK, n_edges - start)
            source = rng.integers(0, n_nodes, size)
            target = np.minimum((n_nodes * rng.random(size) ** 3).astype(np.int64), n_nodes - 1)
            weight = 1.0 - rng.random(size)
            batch = pa.record_batch(
                [pa.array(ids(source)), pa.array(ids(target)), pa.array(weight)], schema=schema
            )
            writer.write_batch(batch)
    tmp.rename(path)


def run(n_nodes: int, n_edges: int, epsilon: float) -> tuple[list[tuple[str, str, str, str]], str]:
    path = HERE.parent / "target" / "scale" / f"edges-{n_edges}-{n_nodes}.parquet"
    if not path.exists():
        print(f"writing {path} ...", flush=True)
        write_edges(path, n_nodes, n_edges)
    rows: list[tuple[str, str, str, str]] = []

    def row(step: str, seconds: float, before: int, peak: int, note: str = "") -> None:
        line = (step, f"{seconds:.1f} s", f"{peak / GIB:.2f} GiB", note)
        print(" | ".join(line), flush=True)
        rows.append(line)

    baseline = rss_bytes("VmRSS")
    graph, seconds, before, peak = measured(
        lambda: aluna.scale.edges_from_parquet(path, weight="weight")
    )
    m = graph.number_of_edges()
    n = graph.number_of_nodes()
    heap = graph._graph.heap_bytes()
    per_row = (peak - before) / n_edges
    row(
        "build from Parquet (streamed, `aluna.scale.edges_from_parquet`)",
        seconds,
        before,
        peak,
        f"{per_row:.1f} bytes per link row above the {before / GIB:.2f} GiB before",
    )
    adjacency_and_weights = 8 * m + 8 * m
    summary = (
        f"{n_edges:,} link rows over {n:,} nodes, {m:,} distinct undirected weighted edges. "
        f"The graph holds {heap / GIB:.2f} GiB ({heap / m:.1f} bytes per edge, nodes included): "
        f"adjacency and weights {adjacency_and_weights / m:.0f} bytes per edge "
        f"({adjacency_and_weights / GIB:.2f} GiB), node ids, hash index and offsets "
        f"{(heap - adjacency_and_weights) / n:.0f} bytes per node. "
        f"Peak while building: {(peak - before) / GIB:.2f} GiB above the process before it "
        f"({per_row:.1f} bytes per link row, everything included); the process started at "
        f"{baseline / GIB:.2f} GiB."
    )
    degree, seconds, before, peak = measured(lambda: graph.degree())
    total = int(degree["degree"].sum())
    row("degree", seconds, before, peak, f"sum {total:,} = 2 x edges: {total == 2 * m}")
    del degree
    components, seconds, before, peak = measured(lambda: graph.components())
    k = int(components["component"].max()) + 1
    largest = int((components["component"] == 0).sum())
    row("components", seconds, before, peak, f"{k:,} components, largest {largest:,} nodes")
    del components
    cores, seconds, before, peak = measured(lambda: graph.core_number())
    row("core number", seconds, before, peak, f"max core {int(cores['core_number'].max())}")
    del cores
    ranks, seconds, before, peak = measured(lambda: graph.pagerank())
    row("PageRank (tol 1e-10)", seconds, before, peak, f"sum {ranks['pagerank'].sum():.12f}")
    del ranks
    between, seconds, before, peak = measured(lambda: graph.betweenness(epsilon=epsilon, seed=1))
    row(
        f"betweenness, sampled (epsilon {epsilon}, delta 0.1)",
        seconds,
        before,
        peak,
        f"max {between['betweenness'].max():.4f}",
    )
    del between
    return rows, summary


def section(rows: list[tuple[str, str, str, str]], summary: str) -> str:
    lines = [
        "## Graphs at scale (one machine)",
        "",
        f"Command: `{COMMAND}`  ",
        f"Machine: {machine()}  ",
        f"Versions: {versions('aluna', 'polars')}",
        "",
        summary,
        "",
        "| step | time | peak resident memory of the process | notes |",
        "|---|---|---|---|",
        *[f"| {' | '.join(r)} |" for r in rows],
        "",
        "Peak memory is the whole Python process (polars, the graph, the step's scratch). "
        "The streaming build interns each Parquet batch and frees it; the graph is then built in "
        "place (see `crates/aluna-graph/src/build.rs`).",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--edges", type=int, default=100_000_000)
    parser.add_argument("--nodes", type=int, default=10_000_000)
    parser.add_argument("--epsilon", type=float, default=0.1)
    parser.add_argument("--out", type=Path, default=HERE.parent / "docs" / "benchmarks.md")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    rows, summary = run(args.nodes, args.edges, args.epsilon)
    body = section(rows, summary)
    print(body)
    if not args.no_write:
        text = args.out.read_text()
        args.out.write_text(replace_section(text, "scale", body))
        print(f"wrote {args.out}")
    sys.stdout.flush()
    os._exit(0)  # skip freeing gigabytes one object at a time


if __name__ == "__main__":
    main()
