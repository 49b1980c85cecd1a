"""A small harness for side-by-side benchmarks: aluna and its peers on the same input, in one run.

Each case is timed after one warm-up call; the median of ``repeat`` calls is reported, and every
peer is shown as a ratio to aluna (``x 4.2`` means the peer took 4.2 times as long).
"""

from __future__ import annotations

import gc
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata


@dataclass
class Case:
    """One task timed for several tools on the same input."""

    task: str
    timings: dict[str, float] = field(default_factory=dict)
    notes: str = ""

    def ratio(self, tool: str) -> float:
        return self.timings[tool] / self.timings["aluna"]


def median_seconds(fn: Callable[[], object], repeat: int = 5, warmup: int = 1) -> float:
    """Median wall time of ``fn`` over ``repeat`` calls, after ``warmup`` calls.

    As :mod:`timeit` does, Python's cyclic garbage collector is paused while a call is timed
    (and run before it), for every library alike: otherwise a collection of the whole
    interpreter's heap, which holds every benchmarked package, lands in whichever call happens
    to allocate the object that triggers it.
    """
    for _ in range(warmup):
        fn()
    times = []
    enabled = gc.isenabled()
    try:
        for _ in range(repeat):
            gc.collect()
            gc.disable()
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
            if enabled:
                gc.enable()
    finally:
        if enabled:
            gc.enable()
    return statistics.median(times)


def versions(*packages: str) -> str:
    found = []
    for name in packages:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return ", ".join(found)


def machine() -> str:
    threads = os.environ.get("RAYON_NUM_THREADS", str(os.cpu_count()))
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, aluna threads: {threads}"
    )


def fmt_seconds(s: float) -> str:
    return f"{s * 1e3:.1f} ms" if s < 1 else f"{s:.2f} s"


def markdown(title: str, cases: list[Case], command: str, packages: tuple[str, ...]) -> str:
    tools = sorted({t for c in cases for t in c.timings if t != "aluna"})
    notes = any(c.notes for c in cases)  # a column for throughput etc. when a bench gives one
    extra = ["notes"] if notes else []
    lines = [
        f"## {title}",
        "",
        f"Command: `{command}`  ",
        f"Machine: {machine()}  ",
        f"Versions: {versions('aluna', *packages)}",
        "",
        "| task | aluna | " + " | ".join(tools + extra) + " |",
        "|---|---|" + "---|" * len(tools + extra),
    ]
    for c in cases:
        cells = [
            f"{fmt_seconds(c.timings[t])} (x{c.ratio(t):.1f})" if t in c.timings else "-"
            for t in tools
        ] + ([c.notes] if notes else [])
        lines.append(
            f"| {c.task} | {fmt_seconds(c.timings['aluna'])} | " + " | ".join(cells) + " |"
        )
    if tools:
        lines += ["", "Ratios are peer time / aluna time: above 1, aluna is faster."]
    lines += [""]
    return "\n".join(lines)
