"""Ground truth: Cox confidence intervals cover the true coefficients at their nominal rate.

A small seeded proportional-hazards simulator (an offender cohort released from custody, with a
programme, age at release and prior convictions; Weibull baseline; administrative and random
censoring) generates 1,000 replicates. Each coefficient's 95% interval must cover the truth at a
rate inside the 99.9% binomial band around 0.95 for 1,000 trials (0.927-0.973).
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from scipy.stats import norm

from aluna.risk import CoxPH

TRUTH = {"programme": -0.4, "age": -0.03, "priors": 0.15}
REPLICATES = 1000


def offender_cohort(seed: int, n: int = 400) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    programme = rng.integers(0, 2, n)
    age = rng.normal(32, 9, n)
    priors = rng.poisson(2.0, n)
    eta = TRUTH["programme"] * programme + TRUTH["age"] * (age - 32) + TRUTH["priors"] * priors
    # Weibull baseline (shape 1.3, scale 60 weeks) by inversion of S(t) = exp(-(t/60)^1.3 e^eta).
    u = rng.random(n)
    t = 60.0 * (-np.log(u) / np.exp(eta)) ** (1 / 1.3)
    censor = np.minimum(rng.uniform(20, 150, n), 104.0)  # random loss, two years' follow-up
    weeks = np.minimum(t, censor)
    return pl.DataFrame(
        {
            "weeks": np.ceil(weeks * 7) / 7,  # whole days: ties, as in real data
            "rearrested": (t <= censor).astype(np.int8),
            "programme": programme,
            "age": age,
            "priors": priors,
        }
    )


def band(level: float = 0.95, trials: int = REPLICATES, confidence: float = 0.999):
    """The normal-approximation band of a binomial rate: 0.927-0.973 for 1,000 trials."""
    half = norm.isf((1 - confidence) / 2) * np.sqrt(level * (1 - level) / trials)
    return level - half, level + half


@pytest.mark.slow
@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_cox_intervals_cover_the_truth(ties):
    lo, hi = band()
    assert (round(lo, 3), round(hi, 3)) == (0.927, 0.973)
    covered = dict.fromkeys(TRUTH, 0)
    for seed in range(REPLICATES):
        fit = CoxPH(ties=ties).fit(
            offender_cohort(seed), duration="weeks", event="rearrested", covariates=list(TRUTH)
        )
        for term, low, high in fit.summary.select("term", "ci_low", "ci_high").iter_rows():
            covered[term] += low <= TRUTH[term] <= high
    rates = {k: v / REPLICATES for k, v in covered.items()}
    for term, rate in rates.items():
        assert lo <= rate <= hi, f"{term}: coverage {rate:.3f} outside [{lo:.3f}, {hi:.3f}]"
