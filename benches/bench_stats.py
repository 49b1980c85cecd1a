"""Regression and survival analysis: aluna beside lifelines, statsmodels and scikit-learn.

Run: python benches/bench_stats.py   (or `python benches/run.py --only stats`)
"""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl
import statsmodels.api as sm
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.datasets import load_rossi
from sklearn.linear_model import LogisticRegression as SkLogistic

import aluna
from aluna.risk import CoxPH, LogisticRegression, kaplan_meier

if __package__:
    from .harness import Case, markdown, median_seconds
else:  # run as a script
    from harness import Case, markdown, median_seconds

TITLE = "Regression and survival analysis"
PACKAGES = ("lifelines", "statsmodels", "scikit-learn", "polars")
COMMAND = "python benches/run.py --only stats"


def cohort(n: int, p: int, seed: int = 7) -> pl.DataFrame:
    """n released people, p covariates, re-arrest times in whole days over two years."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, p))
    beta = rng.normal(scale=0.2, size=p)
    t = rng.exponential(400 / np.exp(x @ beta))
    days = np.ceil(np.minimum(t, 730.0))
    data = {f"x{j}": x[:, j] for j in range(p)}
    data["days"] = days
    data["rearrested"] = (t < 730).astype(np.int64)
    return pl.DataFrame(data)


def logistic_data(n: int, p: int, seed: int = 8) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, p))
    beta = rng.normal(scale=0.3, size=p)
    y = (rng.random(n) < 1 / (1 + np.exp(-(x @ beta - 1.0)))).astype(np.int64)
    data = {f"x{j}": x[:, j] for j in range(p)}
    data["y"] = y
    return pl.DataFrame(data)


def run(repeat: int = 7, warmup: int = 3) -> list[Case]:
    """Median of ``repeat`` calls after ``warmup`` (aluna's first calls in a process grow its
    allocator's arenas and start its thread pool: steady state is what a loop of fits sees)."""
    warnings.simplefilter("ignore")
    cases = []

    df = cohort(100_000, 20)
    cols = [f"x{j}" for j in range(20)]
    pdf = df.to_pandas()
    case = Case("Cox PH, 100k rows x 20 covariates, Efron ties, with SEs")
    case.timings["aluna"] = median_seconds(
        lambda: CoxPH().fit(df, duration="days", event="rearrested", covariates=cols),
        repeat,
        warmup,
    )
    case.timings["lifelines"] = median_seconds(
        lambda: CoxPHFitter().fit(pdf, "days", "rearrested"), 1
    )
    cases.append(case)

    df = logistic_data(1_000_000, 20)
    cols = [f"x{j}" for j in range(20)]
    x, y = df.select(cols).to_numpy(), df["y"].to_numpy()
    case = Case(
        "Logistic regression, 1M rows x 20, aluna and statsmodels with SEs, sklearn without"
    )
    case.timings["aluna"] = median_seconds(
        lambda: LogisticRegression().fit(df, outcome="y", covariates=cols), repeat, warmup
    )
    case.timings["scikit-learn (lbfgs, no SEs)"] = median_seconds(
        lambda: SkLogistic(penalty=None, solver="lbfgs", max_iter=1000).fit(x, y), repeat
    )
    xc = sm.add_constant(x)
    case.timings["statsmodels Logit"] = median_seconds(
        lambda: sm.Logit(y, xc).fit(disp=0, method="newton"), 1
    )
    cases.append(case)

    df = cohort(1_000_000, 1)
    durations, events = df["days"].to_numpy(), df["rearrested"].to_numpy()
    case = Case("Kaplan-Meier with Greenwood intervals, 1M rows")
    case.timings["aluna"] = median_seconds(
        lambda: kaplan_meier(df, duration="days", event="rearrested"), repeat, warmup
    )
    case.timings["lifelines"] = median_seconds(
        lambda: KaplanMeierFitter().fit(durations, events), repeat, warmup
    )
    cases.append(case)

    rossi = pl.from_pandas(load_rossi())
    covariates = ["fin", "age", "race", "wexp", "mar", "paro", "prio"]
    case = Case("Cox PH on Rossi (432 x 7): full Python call / Rust fit alone (timed loop)")
    case.timings["aluna"] = median_seconds(
        lambda: CoxPH().fit(rossi, duration="week", event="arrest", covariates=covariates), 50
    )
    frame = rossi.select([*covariates, "week", "arrest"])

    def native_loop(k: int = 200) -> None:
        for _ in range(k):
            aluna._native.CoxModel.fit(frame, covariates, "week", "arrest")

    case.timings["aluna Rust fit (per call)"] = median_seconds(native_loop, 5) / 200
    case.timings["lifelines"] = median_seconds(
        lambda: CoxPHFitter().fit(load_rossi(), "week", "arrest"), 10
    )
    case.notes = "the Rust fit includes Arrow ingestion of the table"
    cases.append(case)
    return cases


if __name__ == "__main__":
    print(markdown(TITLE, run(), COMMAND, PACKAGES))
