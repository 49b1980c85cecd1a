"""Disruption simulation on a 10k-node graph: aluna beside the equivalent networkx loop.

Run: python benches/bench_disruption.py   (or `python benches/run.py --only disruption`)

Graph: Barabási–Albert, 10,000 nodes / 50,000 edges. Task: remove 20 people one at a time by
degree or by betweenness, recalculated on the network left before every removal, measuring
after every step (and before the first) the components, the largest component and the global
efficiency; aluna's ``CaseGraph.disruption(strategy, steps=20)``.

networkx has no such routine; its peer is the loop an analyst would write: remove the node,
recompute the measure (``G.degree()`` or ``betweenness_centrality``), then
``connected_components`` and ``global_efficiency``. Exact betweenness (about 10 minutes per
call on 10k nodes) and global efficiency (one search per node) are far too slow to run 20
times, so the loop is run for 2 removals (3 measurements) with both computed from 100 sampled
sources, each sampled part scaled by n / 100, and the phases scaled to 20 removals and 21
measurements. One worker process per thread count (RAYON_NUM_THREADS = 1, then 2); networkx is
single-threaded, timed in the 1-thread worker and repeated in the 2-thread rows.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import networkx as nx
import numpy as np
import polars as pl

if __package__:
    from .harness import Case, markdown, median_seconds
else:  # run as a script
    from harness import Case, markdown, median_seconds

TITLE = "Disruption simulation (Barabási–Albert, 10k nodes / 50k edges, 20 removals)"
PACKAGES = ("networkx",)
COMMAND = "python benches/bench_disruption.py"
NOTES = """Notes: every step measures components, the largest component and global efficiency;
the strategy's measure is recalculated on the network left before every removal. networkx has
no disruption routine: its peer is the loop (remove, recompute, measure) with
`betweenness_centrality` and `global_efficiency`, run for 2 removals and 3 measurements with
betweenness and efficiency from 100 sampled sources (scaled by n / 100), then scaled to 20
removals and 21 measurements; single-threaded, repeated in the 2-thread rows. The machine is
shared with other builds, so absolute times are noisy; ratios come from the same run.
"""
SAMPLE = 100  # networkx sources per sampled betweenness or efficiency
TIMED_REMOVALS = 2  # removals the networkx loop runs before scaling to STEPS
STEPS = 20


def ba_graph(n: int, m: int = 5, seed: int = 7) -> nx.Graph:
    return nx.barabasi_albert_graph(n, m, seed=seed)


def networkx_estimate(graph: nx.Graph, strategy: str) -> float:
    """Seconds the networkx loop would take for STEPS removals, from a timed, sampled start."""
    g = graph.copy()
    n = g.number_of_nodes()
    scale = n / SAMPLE
    rng = random.Random(1)
    measure_plain = measure_sampled = score_plain = score_sampled = 0.0

    def measure() -> None:
        nonlocal measure_plain, measure_sampled
        start = time.perf_counter()
        sizes = [len(c) for c in nx.connected_components(g)]
        _ = (len(sizes), max(sizes))
        middle = time.perf_counter()
        # global_efficiency over SAMPLE sources: sum of 1/d from each (scaled by n / SAMPLE).
        total = 0.0
        for s in rng.sample(list(g), SAMPLE):
            total += sum(1 / d for d in nx.single_source_shortest_path_length(g, s).values() if d)
        _ = total * scale / (n * (n - 1))
        end = time.perf_counter()
        measure_plain += middle - start
        measure_sampled += end - middle

    measure()
    for step in range(TIMED_REMOVALS):
        start = time.perf_counter()
        if strategy == "degree":
            scores = dict(g.degree())
        else:
            scores = nx.betweenness_centrality(g, k=SAMPLE, seed=step)
        v = max(scores, key=scores.__getitem__)
        g.remove_node(v)
        elapsed = time.perf_counter() - start
        if strategy == "degree":
            score_plain += elapsed
        else:
            score_sampled += elapsed
        measure()
    measurements = (STEPS + 1) / (TIMED_REMOVALS + 1)
    removals = STEPS / TIMED_REMOVALS
    return measurements * (measure_plain + measure_sampled * scale) + removals * (
        score_plain + score_sampled * scale
    )


def worker(threads: int) -> list[tuple[str, dict[str, float]]]:
    import aluna

    smoke = os.environ.get("BENCH_SMOKE") == "1"
    n = 1_000 if smoke else 10_000
    graph = ba_graph(n)
    edges = np.array(graph.edges(), dtype=np.int64)
    a = aluna.CaseGraph.from_edges(
        pl.DataFrame({"source": edges[:, 0], "target": edges[:, 1]}),
        nodes=pl.DataFrame({"node": np.arange(n)}),
    )
    results: list[tuple[str, dict[str, float]]] = []
    for strategy, repeat in (("degree", 3), ("betweenness", 1)):
        timings = {
            "aluna": median_seconds(
                lambda s=strategy: a.disruption(s, steps=STEPS), repeat, warmup=0
            )
        }
        if threads == 1:
            timings["networkx"] = networkx_estimate(graph, strategy)
        task = f"{strategy}, recalculated, {STEPS} removals"
        results.append((task, timings))
        print(task, {k: round(v, 2) for k, v in timings.items()}, file=sys.stderr, flush=True)
    return results


def run() -> list[Case]:
    cases: list[Case] = []
    single: dict[str, dict[str, float]] = {}
    for threads in (1, 2):
        env = {**os.environ, "RAYON_NUM_THREADS": str(threads)}
        out = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--worker", str(threads)],
            env=env,
            check=True,
            stdout=subprocess.PIPE,  # progress goes to stderr as each case ends
            text=True,
        )
        for task, timings in json.loads(out.stdout):
            if threads == 1:
                single[task] = timings
            else:
                timings["networkx"] = single[task]["networkx"]
            label = f"{task}, {threads} thread{'s' if threads > 1 else ''}"
            cases.append(Case(label, timings))
    return cases


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        print(json.dumps(worker(int(sys.argv[2]))))
    else:
        print(markdown(TITLE, run(), COMMAND, PACKAGES))
