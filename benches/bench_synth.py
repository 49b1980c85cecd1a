"""Generating synthetic data: 10 million offender-cohort rows streamed to Parquet.

No peer generates these datasets, so the table reports aluna's time and throughput (rows per
second) and the process's peak memory, which stays bounded because batches are streamed.

Run: python benches/bench_synth.py   (or `python benches/run.py --only synth`)
"""

from __future__ import annotations

import resource
import tempfile
import time
from pathlib import Path

from aluna import synth

if __package__:
    from .harness import Case, markdown
else:  # run as a script
    from harness import Case, markdown

TITLE = "Synthetic data generation (offender cohort)"
PACKAGES = ("polars",)
COMMAND = "python benches/run.py --only synth"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(rows: int = 10_000_000) -> list[Case]:
    cases = []
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        files = synth.write("offender_cohort", folder, n=rows, seed=1)
        seconds = time.perf_counter() - start
        size = sum(Path(f).stat().st_size for f in files) / 1e6
        case = Case(f"{rows:,} rows to Parquet (data and per-person truth), streamed")
        case.timings["aluna"] = seconds
        case.notes = (
            f"{rows / seconds / 1e3:,.0f}k rows/s; peak memory {_peak_mb():,.0f} MB; "
            f"{size:,.0f} MB of Parquet"
        )
        cases.append(case)
    n = 1_000_000
    start = time.perf_counter()
    synth.offender_cohort(n, seed=1)
    seconds = time.perf_counter() - start
    case = Case(f"{n:,} rows in memory (polars DataFrames)")
    case.timings["aluna"] = seconds
    case.notes = f"{n / seconds / 1e3:,.0f}k rows/s"
    cases.append(case)
    return cases


if __name__ == "__main__":
    print(markdown(TITLE, run(), COMMAND, PACKAGES))
