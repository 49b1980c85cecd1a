"""Discrimination, accuracy and calibration against their peers: scikit-learn (AUC, ROC, Brier,
calibration bins), R pROC (DeLong, fixture), lifelines (Harrell's C), scikit-survival (Uno's C,
time-dependent AUC and Brier), statsmodels (logistic recalibration, lowess).

Real public data: scikit-learn's breast cancer data, lifelines' Rossi recidivism data,
scikit-survival's WHAS500, pROC's aSAH (in the fixture); and synthetic data with ties."""

from __future__ import annotations

import json
from pathlib import Path

import lifelines
import numpy as np
import polars as pl
import pytest
import sklearn.calibration
import sklearn.metrics
import statsmodels.api as sm
from lifelines.datasets import load_rossi
from numpy.testing import assert_allclose
from sklearn.datasets import load_breast_cancer
from sksurv.datasets import load_whas500
from sksurv.metrics import brier_score as sks_brier
from sksurv.metrics import concordance_index_ipcw, cumulative_dynamic_auc
from sksurv.util import Surv
from statsmodels.nonparametric.smoothers_lowess import lowess

from aluna.exceptions import BadValueError, ColumnError, NotDefinedError
from aluna.risk import (
    CoxPH,
    LogisticRegression,
    brier_score,
    calibration,
    concordance_index,
    roc_auc,
    roc_curve,
    time_dependent_auc,
    time_dependent_brier,
)

ROC = json.loads((Path(__file__).parent / "fixtures" / "r" / "roc.json").read_text())


@pytest.fixture(scope="module")
def cancer() -> pl.DataFrame:
    data = load_breast_cancer()
    return pl.DataFrame(
        {
            "malignant": (data.target == 0).astype(int),
            "radius": data.data[:, 0],
            "texture": data.data[:, 1],
            "concave": np.round(data.data[:, 7], 2),  # rounded: many ties
        }
    )


@pytest.fixture(scope="module")
def rossi() -> pl.DataFrame:
    return pl.from_pandas(load_rossi())


@pytest.fixture(scope="module")
def whas() -> tuple[pl.DataFrame, np.ndarray]:
    x, y = load_whas500()
    frame = pl.DataFrame(
        {
            "days": y["lenfol"].astype(float),
            "died": y["fstat"].astype(int),
            "age": x["age"].to_numpy().astype(float),
            "bmi": x["bmi"].to_numpy().astype(float),
            "hr": x["hr"].to_numpy().astype(float),
        }
    )
    return frame, y


def synthetic(n: int = 3000, seed: int = 7) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    p = 1 / (1 + np.exp(-(-1.2 + 0.9 * x)))
    y = (rng.uniform(size=n) < p).astype(int)
    return pl.DataFrame(
        {
            "y": y,
            "score": np.round(x, 1),  # ties
            "p": np.clip(1 / (1 + np.exp(-(-0.8 + 1.3 * x))), 1e-6, 1 - 1e-6),
            "w": rng.uniform(0.5, 2.0, size=n),
        }
    )


# ------------------------------------------------------------------------------ AUC, ROC


@pytest.mark.parametrize("score", ["radius", "texture", "concave"])
def test_auc_equals_scikit_learn_on_breast_cancer(cancer, score):
    ours = roc_auc(cancer, outcome="malignant", score=score)
    ref = sklearn.metrics.roc_auc_score(cancer["malignant"], cancer[score])
    assert ours.estimate == pytest.approx(ref, rel=1e-12, abs=1e-12)
    assert (ours.positives, ours.negatives) == (212, 357)


def test_auc_and_roc_curve_equal_scikit_learn_with_ties_and_weights():
    df = synthetic()
    assert roc_auc(df, outcome="y", score="score").estimate == pytest.approx(
        sklearn.metrics.roc_auc_score(df["y"], df["score"]), rel=1e-12
    )
    for weights in (None, "w"):
        ours = roc_curve(df, outcome="y", score="score", weights=weights)
        fpr, tpr, thr = sklearn.metrics.roc_curve(
            df["y"],
            df["score"],
            sample_weight=None if weights is None else df[weights],
            drop_intermediate=False,
        )
        assert_allclose(ours["false_positive_rate"], fpr, rtol=1e-12, atol=1e-14)
        assert_allclose(ours["true_positive_rate"], tpr, rtol=1e-12, atol=1e-14)
        assert_allclose(ours["threshold"][1:], thr[1:], rtol=0)
        assert ours["threshold"][0] == np.inf


@pytest.mark.parametrize("marker", ["s100b", "ndka", "wfns"])
def test_delong_equals_proc(marker):
    ref = ROC["result"][f"{marker}_fit"]
    df = pl.DataFrame({"y": ROC["result"]["y"], "x": ROC["result"][marker]})
    ours = roc_auc(df, outcome="y", score="x")
    tol = ROC["tolerance"]
    assert ours.estimate == pytest.approx(ref["auc"], rel=tol["rtol"], abs=tol["atol"])
    assert ours.std_error**2 == pytest.approx(ref["var"], rel=1e-9)
    assert ours.ci_low == pytest.approx(ref["ci_low"], rel=1e-9)
    assert ours.ci_high == pytest.approx(ref["ci_high"], rel=1e-9)


def test_bootstrap_auc_is_seeded_and_close_to_delong():
    df = synthetic()
    a = roc_auc(df, outcome="y", score="score", method="bootstrap", replicates=400, seed=5)
    b = roc_auc(
        df, outcome="y", score="score", method="bootstrap", replicates=400, seed=5, threads=1
    )
    c = roc_auc(df, outcome="y", score="score", method="bootstrap", replicates=400, seed=6)
    assert (a.ci_low, a.ci_high) == (b.ci_low, b.ci_high)
    assert (a.ci_low, a.ci_high) != (c.ci_low, c.ci_high)
    delong = roc_auc(df, outcome="y", score="score")
    assert a.std_error == pytest.approx(delong.std_error, rel=0.15)


def test_auc_bad_input():
    df = pl.DataFrame({"y": [0, 1, 1], "s": [0.1, float("nan"), 0.3]})
    with pytest.raises(BadValueError, match=r"column `s`, row 1"):
        roc_auc(df, outcome="y", score="s")
    with pytest.raises(NotDefinedError, match="both outcomes"):
        roc_auc(pl.DataFrame({"y": [1, 1], "s": [0.1, 0.2]}), outcome="y", score="s")
    with pytest.raises(BadValueError, match="column `y`, row 2"):
        roc_auc(pl.DataFrame({"y": [0, 1, 2], "s": [0.1, 0.2, 0.3]}), outcome="y", score="s")
    with pytest.raises(ColumnError, match="`nope` not found"):
        roc_auc(df, outcome="y", score="nope")
    small = roc_auc(pl.DataFrame({"y": [0, 1, 0], "s": [0.1, 0.5, 0.3]}), outcome="y", score="s")
    assert small.ci_low is None
    assert "at least two rows" in small.note


def test_brier_equals_scikit_learn():
    df = synthetic()
    ours = brier_score(df, outcome="y", score="p")
    assert ours.estimate == pytest.approx(
        sklearn.metrics.brier_score_loss(df["y"], df["p"]), rel=1e-12
    )
    base = df["y"].mean()
    assert ours.scaled == pytest.approx(1 - ours.estimate / (base * (1 - base)), rel=1e-12)
    with pytest.raises(BadValueError, match="column `p`, row 0"):
        brier_score(pl.DataFrame({"y": [1], "p": [1.5]}), outcome="y", score="p")


# ----------------------------------------------------------------------- concordance


def test_harrell_equals_lifelines_on_rossi(rossi):
    cox = CoxPH().fit(rossi, duration="week", event="arrest", covariates=["fin", "age", "prio"])
    df = rossi.with_columns(risk=pl.Series(np.log(cox.predict_risk(rossi).to_numpy())))
    ours = concordance_index(df, duration="week", event="arrest", score="risk")
    ref = lifelines.utils.concordance_index(df["week"], -df["risk"], df["arrest"])
    assert ours.estimate == pytest.approx(ref, rel=1e-12)
    assert ours.estimate == pytest.approx(cox.concordance, rel=1e-12)
    # A coarse score with many ties in score and time.
    coarse = df.with_columns(risk=pl.col("prio"))
    ref = lifelines.utils.concordance_index(coarse["week"], -coarse["risk"], coarse["arrest"])
    assert concordance_index(coarse, duration="week", event="arrest", score="risk").estimate == (
        pytest.approx(ref, rel=1e-12)
    )


def test_stratified_harrell_pools_pairs_within_strata(rossi):
    both = concordance_index(rossi, duration="week", event="arrest", score="prio", strata="fin")
    parts = [
        concordance_index(rossi.filter(fin=v), duration="week", event="arrest", score="prio")
        for v in (0, 1)
    ]
    pooled = sum(p.concordant + 0.5 * p.tied_risk for p in parts) / sum(p.comparable for p in parts)
    assert both.estimate == pytest.approx(pooled, rel=1e-12)


def test_harrell_bootstrap_is_deterministic(rossi):
    a = concordance_index(
        rossi, duration="week", event="arrest", score="prio", replicates=200, seed=3
    )
    b = concordance_index(
        rossi, duration="week", event="arrest", score="prio", replicates=200, seed=3, threads=1
    )
    assert (a.ci_low, a.ci_high, a.std_error) == (b.ci_low, b.ci_high, b.std_error)
    assert a.ci_low < a.estimate < a.ci_high


@pytest.mark.parametrize("tau", [None, 365.0, 1000.0])
def test_uno_equals_scikit_survival_on_whas500(whas, tau):
    frame, y = whas
    ours = concordance_index(
        frame, duration="days", event="died", score="age", method="uno", tau=tau
    )
    ref = concordance_index_ipcw(y, y, frame["age"].to_numpy(), tau=tau)
    assert ours.estimate == pytest.approx(ref[0], rel=1e-10)
    # Censoring estimated from another sample (the first 300 rows).
    train = frame.head(300)
    ours = concordance_index(
        frame,
        duration="days",
        event="died",
        score="hr",
        method="uno",
        tau=tau or 1500.0,
        censoring=train,
    )
    ref = concordance_index_ipcw(y[:300], y, frame["hr"].to_numpy(), tau=tau or 1500.0)
    assert ours.estimate == pytest.approx(ref[0], rel=1e-10)


def test_time_dependent_auc_equals_scikit_survival(whas):
    frame, y = whas
    times = [90.0, 365.0, 730.0, 1500.0]
    risk = (frame["age"] * 50 + frame["hr"]).to_numpy()  # integers: exact ties only
    df = frame.with_columns(risk=pl.Series(risk))
    ours = time_dependent_auc(df, duration="days", event="died", score="risk", times=times)
    ref, _ = cumulative_dynamic_auc(y, y, risk, times)
    assert_allclose(ours["auc"], ref, rtol=1e-10)


def test_time_dependent_brier_equals_scikit_survival(whas):
    frame, y = whas
    times = [180.0, 365.0, 1000.0]
    cox = CoxPH().fit(frame, duration="days", event="died", covariates=["age", "bmi", "hr"])
    ours = time_dependent_brier(frame, duration="days", event="died", times=times, survival=cox)
    pred = cox.predict_survival(frame, times)
    matrix = pred.pivot(on="time", index="row", values="survival").sort("row").drop("row")
    _, ref = sks_brier(y, y, matrix.to_numpy(), times)
    assert_allclose(ours["brier_score"], ref, rtol=1e-10)


def test_vanishing_censoring_weights_are_an_error():
    # Follow-up ends for everyone without an event on day 100: Ĝ(100) = 0.
    df = pl.DataFrame(
        {
            "t": [10.0, 20, 35, 50, 100, 100, 100, 100],
            "e": [1, 1, 0, 1, 0, 0, 0, 0],
            "risk": [4.0, 3, 1, 2, 0, 1, 0, 1],
            "s": [0.6] * 8,
        }
    )
    with pytest.raises(NotDefinedError, match=r"Ĝ is 0 at time 100"):
        time_dependent_brier(df, duration="t", event="e", times=100, survival="s")
    with pytest.raises(NotDefinedError, match="people event-free after it"):
        time_dependent_auc(df, duration="t", event="e", score="risk", times=100)
    assert time_dependent_brier(df, duration="t", event="e", times=60, survival="s").height == 1
    y = Surv.from_arrays(df["e"].to_numpy().astype(bool), df["t"].to_numpy())
    ref = sks_brier(y, y, df["s"].to_numpy(), [60.0])[1]
    ours = time_dependent_brier(df, duration="t", event="e", times=60, survival="s")
    assert_allclose(ours["brier_score"], ref, rtol=1e-12)


# ------------------------------------------------------------------------ calibration


def miscalibrated(n: int = 4000, seed: int = 11) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    eta = rng.normal(-1.0, 1.1, size=n)
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-(0.3 + 0.7 * eta)))).astype(int)
    group = np.where(rng.uniform(size=n) < 0.4, "B", "A")
    return pl.DataFrame({"y": y, "p": 1 / (1 + np.exp(-eta)), "site": group})


def test_calibration_equals_statsmodels_recalibration():
    df = miscalibrated()
    cal = calibration(df, outcome="y", score="p")
    y = df["y"].to_numpy()
    lp = np.log(df["p"].to_numpy() / (1 - df["p"].to_numpy()))
    fit_int = sm.GLM(y, np.ones((y.size, 1)), family=sm.families.Binomial(), offset=lp).fit(
        tol=1e-12
    )
    fit_slope = sm.Logit(y, sm.add_constant(lp)).fit(disp=0, tol=1e-12)
    assert cal.intercept == pytest.approx(fit_int.params[0], rel=1e-8)
    assert cal.slope == pytest.approx(fit_slope.params[1], rel=1e-8)
    s = cal.summary
    assert s["std_error"][0] == pytest.approx(fit_int.bse[0], rel=1e-6)
    assert s["std_error"][1] == pytest.approx(fit_slope.bse[1], rel=1e-6)
    lo, hi = cal.slope_ci
    assert lo < 0.7 < hi or lo < cal.slope < hi


@pytest.mark.parametrize("strategy", ["quantile", "uniform"])
def test_calibration_bins_equal_scikit_learn(strategy):
    df = miscalibrated()
    cal = calibration(df, outcome="y", score="p", bins=8, strategy=strategy, smooth=False)
    true, pred = sklearn.calibration.calibration_curve(
        df["y"], df["p"], n_bins=8, strategy=strategy
    )
    assert_allclose(cal.table["observed"], true, rtol=1e-12)
    assert_allclose(cal.table["mean_predicted"], pred, rtol=1e-12)


def test_calibration_smooth_equals_statsmodels_lowess():
    df = miscalibrated(n=1500)
    cal = calibration(df, outcome="y", score="p", frac=0.5)
    grid = cal.smooth["predicted"].to_numpy()
    ref = lowess(df["y"].to_numpy(), df["p"].to_numpy(), frac=0.5, it=0, xvals=grid)
    assert_allclose(cal.smooth["observed"], ref, rtol=1e-9, atol=1e-12)


def test_calibration_by_group_and_bad_input():
    df = miscalibrated()
    cal = calibration(df, outcome="y", score="p", group="site")
    assert cal.summary["site"].unique().sort().to_list() == ["A", "B"]
    one = calibration(df.filter(site="B"), outcome="y", score="p")
    assert cal.summary.filter(site="B")["estimate"].to_list() == pytest.approx(
        one.summary["estimate"].to_list(), rel=1e-12
    )
    with pytest.raises(BadValueError, match="column `p`, row 0: expected a probability strictly"):
        calibration(pl.DataFrame({"y": [0, 1], "p": [1.0, 0.5]}), outcome="y", score="p")
    with pytest.raises(NotDefinedError, match="one outcome only"):
        calibration(pl.DataFrame({"y": [0, 0], "p": [0.2, 0.5]}), outcome="y", score="p")


def test_calibration_plot_runs():
    import matplotlib

    matplotlib.use("Agg")
    df = miscalibrated(n=800)
    ax = calibration(df, outcome="y", score="p", group="site").plot()
    assert ax.get_xlabel() == "predicted probability"
    model = LogisticRegression().fit(df, outcome="y", covariates=["p"])
    assert model.n_obs == 800
