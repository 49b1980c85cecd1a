"""Ground truth: aluna.evaluate recovers the known effect of the synthetic programme.

The generator (``aluna.synth.programme_evaluation``) draws confounded participation from a
logistic model of the covariates and both potential re-offending times of every person, so the
true effects are known. Over 1,000 seeded replicates of 2,000 people, IPW and AIPW (ATT and
ATE) must be within 5% of the truth on average and their 95% intervals must cover it at a rate
inside the 99.9% binomial band around 0.95 (0.927-0.973); the naive difference must be visibly
biased. On the delayed-entry variant the naive "ever treated" comparison shows immortal-time
bias and the time-varying and landmark analyses do not.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

import aluna
from aluna import evaluate, synth

COVARIATES = ["motivation", "risk_score", "employed", "substance_misuse", "age"]
REPLICATES = 1000
PEOPLE = 2000


@pytest.fixture(scope="module")
def population_truth() -> dict[str, float]:
    """The population ATT and ATE on two-year re-offending, from one million people."""
    big = synth.programme_evaluation(1_000_000, seed=987_654)
    effect = big.truth["persons"]["individual_effect_2y"]
    part = big.data["participated"]
    return {"ATT": float(effect.filter(part).mean()), "ATE": float(effect.mean())}


def _band(p: float, n: int) -> tuple[float, float]:
    """The 99.9% binomial band around p for n replicates (normal approximation)."""
    half = 3.2905 * math.sqrt(p * (1 - p) / n)
    return p - half, p + half


@pytest.mark.slow
def test_ipw_and_aipw_recover_the_programme_effect(population_truth: dict[str, float]) -> None:
    estimators = [
        (f"{name} {estimand}", fn, estimand)
        for name, fn in (("IPW", evaluate.ipw), ("AIPW", evaluate.aipw))
        for estimand in ("ATT", "ATE")
    ]
    est = {k: np.empty(REPLICATES) for k, _, _ in estimators}
    covered = {k: np.empty(REPLICATES, dtype=bool) for k, _, _ in estimators}
    naive = np.empty(REPLICATES)
    for r in range(REPLICATES):
        data = synth.programme_evaluation(PEOPLE, seed=r).data
        for key, fn, estimand in estimators:
            eff = fn(data, "participated", "reoffended_2y", COVARIATES, estimand=estimand)
            est[key][r] = eff.estimate
            covered[key][r] = eff.ci_low <= population_truth[estimand] <= eff.ci_high
        means = data.group_by("participated").agg(pl.col("reoffended_2y").mean())
        naive[r] = float(
            means.filter(pl.col("participated"))["reoffended_2y"].item()
            - means.filter(~pl.col("participated"))["reoffended_2y"].item()
        )
    lo, hi = _band(0.95, REPLICATES)
    for key, _, estimand in estimators:
        truth = population_truth[estimand]
        relative_bias = est[key].mean() / truth - 1
        assert abs(relative_bias) < 0.05, f"{key}: mean {est[key].mean():.5f} vs {truth:.5f}"
        assert lo <= covered[key].mean() <= hi, f"{key}: coverage {covered[key].mean():.3f}"
    # The naive contrast is confounded: participants are more motivated and more often
    # employed, so they would have re-offended less anyway.
    assert naive.mean() < population_truth["ATT"] - 0.02
    assert abs(naive.mean() / population_truth["ATT"] - 1) > 0.3


@pytest.fixture(scope="module")
def delayed() -> aluna.datasets.Dataset:
    return aluna.datasets.load("programme_evaluation_delayed")


def test_naive_ever_treated_comparison_shows_immortal_time_bias(delayed) -> None:  # type: ignore[no-untyped-def]
    data = delayed.data
    truth = dict(delayed.truth["effects"].select("estimand", "value").iter_rows())
    hazard_ratio = math.exp(truth["log_hazard_ratio"])
    with pytest.warns(evaluate.ImmortalTimeWarning):
        naive = evaluate.survival_effect(
            data,
            "participated",
            duration="time_days",
            event="event",
            covariates=COVARIATES,
            method="adjustment",
            treatment_start="programme_start_day",
        )
    # Counting participants as treated from release credits them with their wait: the
    # adjusted hazard ratio is far below the truth, and its interval excludes it.
    assert naive.hazard_ratio.hazard_ratio[2] < hazard_ratio
    # So does the two-year risk difference of the ever-treated, even with IPW.
    ever = evaluate.ipw(data, "participated", "reoffended_2y", COVARIATES, estimand="ATT")
    assert ever.ci_high < truth["att_2y"]


def test_time_varying_and_landmark_analyses_recover_the_hazard_ratio(delayed) -> None:  # type: ignore[no-untyped-def]
    data = delayed.data
    truth = dict(delayed.truth["effects"].select("estimand", "value").iter_rows())
    hazard_ratio = math.exp(truth["log_hazard_ratio"])
    tv = evaluate.time_varying_cox(
        data,
        treatment_start="programme_start_day",
        duration="time_days",
        event="event",
        covariates=COVARIATES,
    )
    _, lo, hi = tv.hazard_ratio
    assert lo < hazard_ratio < hi
    # Everyone who joins has joined by day 540: a landmark there classifies exposure exactly.
    lm = evaluate.landmark(
        data,
        "programme_start_day",
        landmark=540,
        duration="time_days",
        event="event",
        covariates=COVARIATES,
    )
    _, lo, hi = lm.hazard_ratio.hazard_ratio
    assert lo < hazard_ratio < hi


@pytest.mark.slow
def test_time_varying_cox_is_unbiased_over_replicates() -> None:
    """Over 40 delayed-entry replicates the time-varying log hazard ratio averages to the
    truth (ln 0.70) within two Monte Carlo standard errors, and the naive one does not."""
    tv, naive = [], []
    for r in range(40):
        data = synth.programme_evaluation(3000, seed=10_000 + r, delayed_entry=True).data
        tv.append(
            evaluate.time_varying_cox(
                data,
                treatment_start="programme_start_day",
                duration="time_days",
                event="event",
                covariates=COVARIATES,
            ).estimate
        )
        with pytest.warns(evaluate.ImmortalTimeWarning):
            naive.append(
                evaluate.survival_effect(
                    data,
                    "participated",
                    duration="time_days",
                    event="event",
                    covariates=COVARIATES,
                    method="adjustment",
                    treatment_start="programme_start_day",
                ).hazard_ratio.estimate
            )
    truth = math.log(0.70)
    tv_arr, naive_arr = np.array(tv), np.array(naive)
    assert abs(tv_arr.mean() - truth) < 2 * tv_arr.std(ddof=1) / math.sqrt(tv_arr.size) + 0.01
    assert naive_arr.mean() < truth - 0.15
