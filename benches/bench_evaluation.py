"""Model evaluation: aluna beside lifelines, scikit-learn, scikit-survival and fairlearn.

Run: python benches/bench_evaluation.py   (or `python benches/run.py --only evaluation`)
"""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl
from fairlearn.metrics import MetricFrame, false_positive_rate, selection_rate
from lifelines.utils import concordance_index as lifelines_c
from sklearn.metrics import roc_auc_score
from sksurv.metrics import concordance_index_censored, cumulative_dynamic_auc
from sksurv.util import Surv

from aluna.risk import concordance_index, fairness_audit, roc_auc, time_dependent_auc

if __package__:
    from .harness import Case, median_seconds
else:  # run as a script
    from harness import Case, median_seconds

TITLE = "Model evaluation"
PACKAGES = ("lifelines", "scikit-learn", "scikit-survival", "fairlearn", "numpy")
COMMAND = "python benches/run.py --only evaluation"


def survival_data(n: int, seed: int = 3) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    risk = rng.normal(size=n)
    t = rng.exponential(500 / np.exp(0.7 * risk))
    c = rng.uniform(100, 1500, size=n)
    return pl.DataFrame(
        {
            "days": np.ceil(np.minimum(t, c)),
            "event": (t <= c).astype(np.int64),
            "risk": risk + rng.normal(scale=0.5, size=n),
        }
    )


def binary_data(n: int, seed: int = 4) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(-1.5 + x)))).astype(np.int64)
    return pl.DataFrame(
        {"y": y, "score": 1 / (1 + np.exp(-(-1.5 + x))), "group": np.where(x > 0.8, "B", "A")}
    )


def run(repeat: int = 3) -> list[Case]:
    warnings.simplefilter("ignore")
    cases = []

    df = survival_data(100_000)
    t, e, r = df["days"].to_numpy(), df["event"].to_numpy(), df["risk"].to_numpy()
    case = Case("Harrell's C, 100k rows (tied days)")
    case.timings["aluna"] = median_seconds(
        lambda: concordance_index(df, duration="days", event="event", score="risk"), repeat
    )
    case.timings["lifelines"] = median_seconds(lambda: lifelines_c(t, -r, e), repeat)
    cases.append(case)

    small = df.head(20_000)
    ts, es, rs = small["days"].to_numpy(), small["event"].to_numpy().astype(bool), small["risk"]
    rs = rs.to_numpy()
    case = Case("Harrell's C, 20k rows")
    case.timings["aluna"] = median_seconds(
        lambda: concordance_index(small, duration="days", event="event", score="risk"), repeat
    )
    case.timings["lifelines"] = median_seconds(lambda: lifelines_c(ts, -rs, es), repeat)
    case.timings["scikit-survival"] = median_seconds(
        lambda: concordance_index_censored(es, ts, rs), 1, warmup=0
    )
    cases.append(case)

    y = Surv.from_arrays(e.astype(bool), t)
    times = [180.0, 365.0, 730.0]
    case = Case("Time-dependent AUC at 3 times, 100k rows")
    case.timings["aluna"] = median_seconds(
        lambda: time_dependent_auc(df, duration="days", event="event", score="risk", times=times),
        repeat,
    )
    case.timings["scikit-survival"] = median_seconds(
        lambda: cumulative_dynamic_auc(y, y, r, times), 1
    )
    cases.append(case)

    b = binary_data(100_000)
    yb, sb = b["y"].to_numpy(), b["score"].to_numpy()
    case = Case("ROC AUC, 1,000 stratified bootstrap replicates, 100k rows")
    case.timings["aluna"] = median_seconds(
        lambda: roc_auc(b, outcome="y", score="score", method="bootstrap", replicates=1000, seed=1),
        repeat,
    )

    def sklearn_bootstrap() -> None:
        rng = np.random.default_rng(1)
        pos, neg = np.flatnonzero(yb == 1), np.flatnonzero(yb == 0)
        for _ in range(1000):
            rows = np.concatenate([rng.choice(pos, pos.size), rng.choice(neg, neg.size)])
            roc_auc_score(yb[rows], sb[rows])

    case.timings["numpy resampling + scikit-learn roc_auc_score"] = median_seconds(
        sklearn_bootstrap, 1, warmup=0
    )
    cases.append(case)

    case = Case("Fairness audit, 2 groups, 100k rows, 50 bootstrap replicates")
    case.timings["aluna"] = median_seconds(
        lambda: fairness_audit(
            b, outcome="y", group="group", score="score", threshold=0.3, replicates=50, seed=1
        ),
        repeat,
    )
    pred = (sb >= 0.3).astype(np.int64)
    groups = b["group"].to_numpy()
    case.timings["fairlearn MetricFrame (2 rates, n_boot=50)"] = median_seconds(
        lambda: MetricFrame(
            metrics={"selection_rate": selection_rate, "fpr": false_positive_rate},
            y_true=yb,
            y_pred=pred,
            sensitive_features=groups,
            n_boot=50,
            ci_quantiles=[0.025, 0.975],
            random_state=1,
        ),
        1,
        warmup=0,
    )
    cases.append(case)
    return cases


if __name__ == "__main__":
    from harness import markdown

    print(markdown(TITLE, run(), COMMAND, PACKAGES))
