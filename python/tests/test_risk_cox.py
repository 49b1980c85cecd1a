"""CoxPH against lifelines (computed here) and R survival (committed fixtures), on Rossi."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from lifelines import CoxPHFitter
from lifelines.datasets import load_rossi
from numpy.testing import assert_allclose
from statsmodels.duration.hazard_regression import PHReg

import aluna
from aluna.risk import CoxPH, categorical

COVARIATES = ["fin", "age", "race", "wexp", "mar", "paro", "prio"]
FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "r" / "survival_cox.json").read_text())
TOL = FIXTURE["tolerance"]


@pytest.fixture(scope="module")
def rossi_pd():
    return load_rossi()


@pytest.fixture(scope="module")
def rossi(rossi_pd) -> pl.DataFrame:
    df = pl.from_pandas(rossi_pd).with_row_index("id", offset=1)
    return df.with_columns(
        cluster=(pl.col("id") - 1) // 4,
        w=1 + (pl.col("id") % 3) / 2,
        agecat=pl.when(pl.col("age") <= 20)
        .then(pl.lit("a"))
        .when(pl.col("age") <= 25)
        .then(pl.lit("b"))
        .otherwise(pl.lit("c")),
    )


def split_rossi(rossi: pl.DataFrame) -> pl.DataFrame:
    """survSplit(cut = c(20, 40)): (start, stop] rows, the event on the last one."""
    parts = []
    for lo, hi in [(0, 20), (20, 40), (40, 10_000)]:
        part = rossi.filter(pl.col("week") > lo).with_columns(
            start=pl.lit(lo, dtype=pl.Int64),
            stop=pl.min_horizontal(pl.col("week"), pl.lit(hi)),
        )
        part = part.with_columns(
            arrest=pl.when(pl.col("week") <= hi).then(pl.col("arrest")).otherwise(0)
        )
        parts.append(part)
    return pl.concat(parts).sort("id", "start")


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_matches_lifelines_and_statsmodels(rossi_pd, rossi, ties):
    ours = CoxPH(ties=ties).fit(rossi, duration="week", event="arrest", covariates=COVARIATES)
    ph = PHReg(rossi_pd["week"], rossi_pd[COVARIATES], status=rossi_pd["arrest"], ties=ties).fit()
    assert_allclose(ours.coef_, ph.params, rtol=0, atol=1e-6)
    assert_allclose(ours.summary["std_error"].to_numpy(), ph.bse, rtol=0, atol=1e-6)
    assert ours.log_likelihood == pytest.approx(ph.llf, abs=1e-6)
    if ties == "efron":  # lifelines fits Efron ties only
        ref = CoxPHFitter().fit(rossi_pd[[*COVARIATES, "week", "arrest"]], "week", "arrest")
        assert_allclose(ours.coef_, ref.params_.to_numpy(), atol=1e-6, rtol=0)
        assert_allclose(
            ours.summary["std_error"].to_numpy(), ref.standard_errors_.to_numpy(), atol=1e-6
        )
        assert ours.log_likelihood == pytest.approx(ref.log_likelihood_, abs=1e-6)
        assert ours.concordance == pytest.approx(ref.concordance_index_, abs=1e-9)
        lr = ref.log_likelihood_ratio_test()
        tests = dict(ours.tests.select("test", "statistic").iter_rows())
        assert tests["likelihood_ratio"] == pytest.approx(lr.test_statistic, abs=1e-6)
        summ = ref.summary
        assert_allclose(
            ours.summary["p_value"].to_numpy(), summ["p"].to_numpy(), rtol=1e-6, atol=1e-9
        )
        assert_allclose(
            ours.summary["ci_low"].to_numpy(), summ["coef lower 95%"].to_numpy(), atol=1e-6
        )
        times = [5.0, 20.0, 52.0]
        new = rossi.head(5)
        got = ours.predict_survival(new, times)
        want = ref.predict_survival_function(rossi_pd.head(5), times=times).to_numpy().T
        assert_allclose(got["survival"].to_numpy(), want.ravel(), atol=1e-6)
        assert_allclose(
            ours.predict_risk(new).to_numpy(),
            ref.predict_partial_hazard(rossi_pd.head(5)).to_numpy(),
            rtol=1e-6,
        )


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize(
    "case", ["plain", "robust", "cluster", "weighted", "categorical", "strata"]
)
def test_matches_r_survival(rossi, ties, case):
    ref = FIXTURE["result"][f"{case}_{ties}"]
    kwargs: dict = {}
    covariates: list = list(COVARIATES)
    if case == "robust":
        kwargs["robust"] = True
    elif case == "cluster":
        kwargs["cluster"] = "cluster"
    elif case == "weighted":
        kwargs["weights"] = "w"
    elif case == "categorical":
        covariates = ["fin", categorical("agecat"), "prio"]
    elif case == "strata":
        covariates.remove("wexp")
        kwargs["strata"] = "wexp"
    ours = CoxPH(ties=ties).fit(
        rossi, duration="week", event="arrest", covariates=covariates, **kwargs
    )
    assert_allclose(ours.coef_, ref["coef"], rtol=0, atol=TOL)
    se = ref["se_naive"] if case == "weighted" else ref["se"]
    assert_allclose(ours.summary["std_error"].to_numpy(), se, rtol=0, atol=TOL)
    if case == "weighted":  # R switches to robust errors for non-integer weights
        robust = CoxPH(ties=ties).fit(
            rossi, duration="week", event="arrest", covariates=covariates, robust=True, **kwargs
        )
        assert_allclose(robust.summary["std_error"].to_numpy(), ref["se"], rtol=0, atol=TOL)
    assert ours.log_likelihood == pytest.approx(ref["loglik"], abs=TOL)
    assert ours.log_likelihood_null == pytest.approx(ref["loglik_null"], abs=TOL)
    tests = dict(ours.tests.select("test", "statistic").iter_rows())
    if case != "weighted":  # R's Wald test there uses the robust covariance
        assert tests["wald"] == pytest.approx(ref["wald"], abs=1e-5)
    if case not in ("robust", "cluster", "weighted"):  # R's robust fits: robust score test
        assert tests["score"] == pytest.approx(ref["score"], abs=1e-5)
    if "zph" in ref:
        zph = ours.proportional_hazards_test()
        assert zph["term"].to_list()[-1] == "GLOBAL"
        assert_allclose(zph["statistic"].to_numpy(), ref["zph"]["chisq"], rtol=1e-6, atol=1e-8)
        assert zph["df"].to_list() == ref["zph"]["df"]
        assert_allclose(zph["p_value"].to_numpy(), ref["zph"]["p"], rtol=1e-5, atol=1e-10)


def test_counting_process_matches_r(rossi):
    ref = FIXTURE["result"]["counting_efron"]
    split = split_rossi(rossi)
    assert split.height == ref["rows"]
    ours = CoxPH().fit(
        split,
        duration="stop",
        event="arrest",
        entry="start",
        covariates=COVARIATES,
        id="id",
        robust=True,
    )
    assert_allclose(ours.coef_, ref["coef"], atol=TOL)
    assert_allclose(ours.summary["std_error"].to_numpy(), ref["se"], atol=TOL)
    assert ours.log_likelihood == pytest.approx(ref["loglik"], abs=TOL)
    zph = ours.proportional_hazards_test()
    assert_allclose(zph["statistic"].to_numpy(), ref["zph"]["chisq"], rtol=1e-6)
    # Splitting follow-up leaves the model unchanged.
    whole = CoxPH().fit(rossi, duration="week", event="arrest", covariates=COVARIATES)
    assert_allclose(ours.coef_, whole.coef_, atol=1e-9)


def test_delayed_entry_and_strata_match_lifelines(rossi_pd, rossi):
    entered = rossi.with_columns(entry=(pl.col("id") % 5).cast(pl.Float64))
    entered = entered.filter(pl.col("week") > pl.col("entry"))
    ours = CoxPH().fit(
        entered, duration="week", event="arrest", covariates=COVARIATES, entry="entry"
    )
    ref = CoxPHFitter().fit(
        entered.select([*COVARIATES, "week", "arrest", "entry"]).to_pandas(),
        "week",
        "arrest",
        entry_col="entry",
    )
    assert_allclose(ours.coef_, ref.params_.to_numpy(), atol=1e-6)
    assert_allclose(
        ours.summary["std_error"].to_numpy(), ref.standard_errors_.to_numpy(), atol=1e-6
    )
    cov = [c for c in COVARIATES if c != "race"]
    ours = CoxPH().fit(rossi, duration="week", event="arrest", covariates=cov, strata="race")
    ref = CoxPHFitter().fit(
        rossi_pd[[*COVARIATES, "week", "arrest"]], "week", "arrest", strata=["race"]
    )
    assert_allclose(ours.coef_, ref.params_.to_numpy(), atol=1e-6)
    times = [10.0, 30.0]
    got = ours.predict_survival(rossi.head(3), times)["survival"].to_numpy()
    curves = ref.predict_survival_function(rossi_pd.head(3), times=times)
    want = curves[list(rossi_pd.head(3).index)].to_numpy().T.ravel()  # lifelines groups by stratum
    assert_allclose(got, want, atol=1e-6)


def test_penalizer_matches_lifelines(rossi_pd, rossi):
    ours = CoxPH(penalizer=0.1).fit(rossi, duration="week", event="arrest", covariates=COVARIATES)
    ref = CoxPHFitter(penalizer=0.1).fit(
        rossi_pd[[*COVARIATES, "week", "arrest"]],
        "week",
        "arrest",
        fit_options={"precision": 1e-12, "r_precision": 1e-15},  # lifelines stops early otherwise
    )
    assert_allclose(ours.coef_, ref.params_.to_numpy(), atol=1e-6)
    assert_allclose(
        ours.summary["std_error"].to_numpy(), ref.standard_errors_.to_numpy(), atol=1e-6
    )


def test_faces_and_determinism(rossi):
    model = CoxPH()
    with pytest.raises(aluna.exceptions.NotFittedError, match=r"call \.fit"):
        _ = model.summary
    model.fit(rossi, duration="week", event="arrest", covariates=COVARIATES)
    html = model._repr_html_()
    for word in ("rows dropped (missing)", "concordance", "hazard_ratio"):
        assert word in html
    assert "likelihood-ratio test" in str(model)
    one = CoxPH(threads=1).fit(rossi, duration="week", event="arrest", covariates=COVARIATES)
    two = CoxPH(threads=2).fit(rossi, duration="week", event="arrest", covariates=COVARIATES)
    assert one.summary.equals(two.summary)
    assert model.get_params()["ties"] == "efron"
    assert model.set_params(ties="breslow").ties == "breslow"
    base = model.baseline_cumulative_hazard()
    assert base.columns == ["time", "cumulative_hazard"]
    assert np.all(np.diff(base["cumulative_hazard"].to_numpy()) >= 0)
