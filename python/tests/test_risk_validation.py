"""Validation (cross-validation, bootstrap optimism), recalibration, meta-analysis, actuarial
scales and model cards.

Peers: statsmodels (``combine_effects`` for DerSimonian-Laird, ``Logit`` for norms and
recalibration), R metafor (REML, fixture made by make_meta_analysis.R on metafor's public
``dat.bcg``), lifelines' Rossi data, the synthetic offender cohort."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import statsmodels.api as sm
from lifelines.datasets import load_rossi
from numpy.testing import assert_allclose
from statsmodels.stats.meta_analysis import combine_effects

import aluna
from aluna import _native
from aluna.exceptions import ArgumentError, BadValueError, NotDefinedError
from aluna.privacy import REARREST_LABEL_BIAS, ModelCard
from aluna.risk import (
    ActuarialScale,
    CoxPH,
    LogisticRegression,
    bootstrap_validation,
    concordance_index,
    cross_validate,
    meta_analysis,
    recalibrate,
    roc_auc,
)

META = json.loads((Path(__file__).parent / "fixtures" / "r" / "meta_analysis.json").read_text())
COVS = ["fin", "age", "prio"]


@pytest.fixture(scope="module")
def rossi() -> pl.DataFrame:
    return pl.from_pandas(load_rossi())


# --------------------------------------------------------------------- cross-validation


def test_cross_validation_predictions_are_out_of_fold(rossi):
    cv = cross_validate(
        LogisticRegression(), rossi, folds=4, seed=3, outcome="arrest", covariates=COVS
    )
    p = cv.predictions.sort("row")
    assert p["row"].to_list() == list(range(rossi.height))
    for k in range(4):
        test_rows = p.filter(fold=k)["row"].to_numpy()
        train = rossi.filter(~pl.int_range(pl.len()).is_in(test_rows))
        model = LogisticRegression().fit(train, outcome="arrest", covariates=COVS)
        expected = model.predict_proba(rossi[test_rows]).to_numpy()
        assert_allclose(p.filter(fold=k)["probability"].to_numpy(), expected, rtol=1e-10)
    # Stratified: every fold keeps the base rate within one row.
    counts = (
        p.join(rossi.with_row_index("row").with_columns(pl.col("row").cast(pl.Int64)), on="row")
        .group_by("fold")
        .agg(pl.col("arrest").sum())
    )
    assert counts["arrest"].max() - counts["arrest"].min() <= 1
    again = cross_validate(
        LogisticRegression(), rossi, folds=4, seed=3, outcome="arrest", covariates=COVS
    )
    assert again.predictions.equals(cv.predictions)
    pooled = roc_auc(rossi.with_columns(p=p["probability"]), outcome="arrest", score="p")
    assert cv.summary.filter(term="auc")["estimate"][0] == pytest.approx(pooled.estimate)


def test_cross_validation_of_cox(rossi):
    cv = cross_validate(
        CoxPH(), rossi, folds=5, seed=1, duration="week", event="arrest", covariates=COVS
    )
    assert set(cv.table.columns) >= {"concordance", "calibration_slope"}
    c = cv.summary.filter(term="concordance")["estimate"][0]
    assert 0.55 < c < 0.7


def test_single_class_in_a_fold_is_an_error():
    df = pl.DataFrame({"x": list(range(30)), "y": [1, 0, 0, 0, 0, 0] + [0] * 21 + [1, 1, 0]})
    with pytest.raises(
        NotDefinedError, match=r"fold \d holds only `y` = 0 .*3 rows with outcome 1"
    ):
        cross_validate(LogisticRegression(), df, folds=5, seed=0, outcome="y", covariates=["x"])


# ---------------------------------------------------------------- bootstrap validation


def _measures(model, frame):
    lp = np.log(model.predict_proba(frame).to_numpy() / (1 - model.predict_proba(frame).to_numpy()))
    y = frame["arrest"].to_numpy()
    auc = roc_auc(pl.DataFrame({"y": y, "s": lp}), outcome="y", score="s").estimate
    slope = sm.Logit(y, sm.add_constant(lp)).fit(disp=0, tol=1e-12).params[1]
    return auc, slope


def test_bootstrap_validation_recomputed_by_hand(rossi):
    v = bootstrap_validation(
        LogisticRegression(), rossi, replicates=5, seed=9, outcome="arrest", covariates=COVS
    )
    optimism = []
    for b in range(5):
        sample = rossi[_native.bootstrap_rows(rossi.height, 9, b)]
        m = LogisticRegression().fit(sample, outcome="arrest", covariates=COVS)
        a_s, s_s = _measures(m, sample)
        a_o, s_o = _measures(m, rossi)
        optimism.append((a_s - a_o, s_s - s_o))
    mean = np.mean(optimism, axis=0)
    t = v.table
    assert t.filter(measure="auc")["optimism"][0] == pytest.approx(mean[0], rel=1e-8)
    assert t.filter(measure="calibration_slope")["optimism"][0] == pytest.approx(mean[1], rel=1e-6)
    assert v.corrected("calibration_slope") == pytest.approx(1 - mean[1], rel=1e-6)


def test_bootstrap_validation_of_cox_shrinks(rossi):
    v = bootstrap_validation(
        CoxPH(), rossi, replicates=30, seed=2, duration="week", event="arrest", covariates=COVS
    )
    assert v.table.filter(measure="calibration_slope")["apparent"][0] == pytest.approx(1.0)
    assert v.corrected("calibration_slope") < 1.0
    assert v.corrected("concordance") < v.table.filter(measure="concordance")["apparent"][0]
    with pytest.raises(ArgumentError, match="not validated"):
        v.corrected("auc")


# ----------------------------------------------------------------------- recalibration


def test_recalibration_equals_statsmodels(rossi):
    old, new = rossi.filter(pl.col("race") == 1), rossi.filter(pl.col("race") == 0)
    model = LogisticRegression().fit(old, outcome="arrest", covariates=COVS)
    p = model.predict_proba(new).to_numpy()
    lp = np.log(p / (1 - p))
    y = new["arrest"].to_numpy()
    logistic = recalibrate(model, new, method="logistic", outcome="arrest")
    ref = sm.Logit(y, sm.add_constant(lp)).fit(disp=0, tol=1e-12)
    assert (logistic.intercept, logistic.slope) == pytest.approx(tuple(ref.params), rel=1e-7)
    assert_allclose(
        logistic.predict_proba(new).to_numpy(), ref.predict(sm.add_constant(lp)), rtol=1e-7
    )
    intercept = recalibrate(model, new, method="intercept", outcome="arrest")
    assert intercept.predict_proba(new).sum() == pytest.approx(y.sum(), rel=1e-9)


def test_cox_recalibration(rossi):
    old, new = rossi.filter(pl.col("race") == 1), rossi.filter(pl.col("race") == 0)
    cox = CoxPH().fit(old, duration="week", event="arrest", covariates=COVS)
    r = recalibrate(cox, new, method="logistic", duration="week", event="arrest")
    lp = np.log(cox.predict_risk(new).to_numpy())
    ref = CoxPH().fit(
        new.with_columns(lp=pl.Series(lp)), duration="week", event="arrest", covariates=["lp"]
    )
    assert r.slope == pytest.approx(ref.coef_[0], rel=1e-10)
    # With the slope refitted, the recalibrated survival is the refitted Cox model's.
    ours = r.predict_survival(new.head(5), [20.0, 52.0])["survival"].to_numpy()
    theirs = ref.predict_survival(new.head(5).with_columns(lp=pl.Series(lp[:5])), [20.0, 52.0])
    assert_allclose(ours, theirs["survival"].to_numpy(), rtol=1e-8)
    base = recalibrate(cox, new, method="intercept", duration="week", event="arrest")
    # Breslow's baseline re-estimated: the expected number of events equals the observed.
    h = base._baseline
    t = new["week"].to_numpy()
    idx = np.searchsorted(h[0], t, side="right")
    cum = np.where(idx == 0, 0.0, h[1][np.maximum(idx - 1, 0)])
    assert (cum * np.exp(lp)).sum() == pytest.approx(new["arrest"].sum(), rel=1e-9)


# --------------------------------------------------------------------- meta-analysis


@pytest.mark.parametrize("dataset", ["bcg", "homogeneous"])
@pytest.mark.parametrize("method", ["REML", "DL"])
def test_meta_analysis_equals_metafor(dataset, method):
    ref = META["result"][dataset]
    tol = META["tolerance"]
    m = meta_analysis(ref["yi"], np.sqrt(ref["vi"]), method=method)
    r = ref[method]
    for ours, theirs in [
        (m.estimate, r["estimate"]),
        (m.std_error, r["se"]),
        (m.ci_low, r["ci_lb"]),
        (m.ci_high, r["ci_ub"]),
        (m.tau2, r["tau2"]),
        (m.i2, r["i2"]),
        (m.h2, r["h2"]),
        (m.q, r["q"]),
        (m.q_p_value, r["q_p"]),
        (m.prediction_low, r["pi_lb"]),
        (m.prediction_high, r["pi_ub"]),
    ]:
        assert ours == pytest.approx(theirs, rel=tol["rtol"], abs=tol["atol"])


def test_dersimonian_laird_equals_statsmodels():
    rng = np.random.default_rng(3)
    for k in (2, 5, 13):
        se = rng.uniform(0.05, 0.4, size=k)
        y = rng.normal(0.2, 0.25, size=k)
        m = meta_analysis(y, se, method="DL")
        ref = combine_effects(y, se**2, method_re="dl")
        assert m.estimate == pytest.approx(ref.mean_effect_re, rel=1e-10)
        assert m.std_error == pytest.approx(ref.sd_eff_w_re, rel=1e-10)
        assert m.tau2 == pytest.approx(ref.tau2, rel=1e-10, abs=1e-14)
        assert m.q == pytest.approx(ref.q, rel=1e-10)
        assert m.i2 == pytest.approx(max(ref.i2, 0.0), rel=1e-10, abs=1e-14)


def test_meta_analysis_bad_input_and_plot():
    with pytest.raises(ArgumentError, match="at least two sites"):
        meta_analysis([0.1], [0.1])
    with pytest.raises(BadValueError, match="std_errors, site 1: expected a positive"):
        meta_analysis([0.1, 0.2], [0.1, 0.0])
    with pytest.raises(BadValueError, match="estimates, site 0"):
        meta_analysis([float("nan"), 0.2], [0.1, 0.1])
    import matplotlib

    matplotlib.use("Agg")
    m = meta_analysis([0.1, 0.4, 0.2], [0.1, 0.2, 0.15], studies=["A", "B", "C"])
    ax = m.plot(ratio=True)
    assert [t.get_text() for t in ax.get_yticklabels()][-1] == "pooled (REML)"


def test_pooling_site_models_recovers_the_truth():
    """Two jurisdictions fit the same Cox model and share only estimates and standard errors;
    the pooled log hazard ratios cover the coefficients used to generate the data."""
    ds = aluna.datasets.load("offender_cohort")
    truth = ds.truth["coefficients"].filter(pl.col("term") != "group_b")
    covariates = truth["term"].to_list()
    d = ds.data.with_columns(reoffence=(pl.col("event") == 1).cast(pl.Int64))
    fits = [
        CoxPH(missing="drop").fit(
            d.filter(group=site),
            duration="time_at_risk_days",
            event="reoffence",
            covariates=covariates,
        )
        for site in ("A", "B")
    ]
    covered = 0
    for term, beta in truth.select("term", "coefficient").rows():
        rows = [f.summary.filter(term=term) for f in fits]
        m = meta_analysis(
            [r["estimate"][0] for r in rows],
            [r["std_error"][0] for r in rows],
            studies=["A", "B"],
            method="DL",
        )
        covered += m.ci_low < beta < m.ci_high
    assert covered >= len(covariates) - 2  # 95% intervals: allow a miss or two of 16


# ----------------------------------------------------------------------- actuarial scale


STATIC_LIKE = [
    ("age", pl.col("age_at_release") < 35, 1),
    ("age", (pl.col("age_at_release") >= 40) & (pl.col("age_at_release") < 60), -1),
    ("age", pl.col("age_at_release") >= 60, -3),
    ("partner", ~pl.col("ever_lived_with_partner"), 1),
    ("violence", "index_nonsexual_violence", 1),
    ("prior_violence", "prior_nonsexual_violence", 1),
    ("prior_sex", pl.col("prior_sex_offences").is_between(1, 2), 1),
    ("prior_sex", pl.col("prior_sex_offences") >= 3, 3),
    ("sentencing", "prior_sentencing_dates >= 4", 1),
    ("unrelated", "victim_unrelated", 1),
    ("stranger", "victim_stranger", 1),
    ("male_victim", "victim_male", 1),
]


@pytest.fixture(scope="module")
def cohort() -> pl.DataFrame:
    d = aluna.datasets.load("offender_cohort").data
    return d.filter(pl.col("sexual_reoffence_5y").is_not_null())


def test_scale_scores_by_hand():
    scale = ActuarialScale(
        [("a", pl.col("x") > 1, 2), ("a", pl.col("x") > 5, 1), ("b", "flag", -1)], name="toy"
    )
    df = pl.DataFrame({"x": [0, 3, 9], "flag": [True, False, True]})
    out = scale.score(df)
    assert out.rows() == [(0, -1, -1), (2, 0, 2), (3, -1, 2)]
    assert scale.item_names == ["a", "b"]


def test_scale_validation_equals_peers(cohort):
    scale = ActuarialScale(STATIC_LIKE, name="static-like", missing="zero")
    v = scale.validate(cohort, outcome="sexual_reoffence_5y")
    total = scale.score(cohort)["total"].to_numpy().astype(float)
    y = cohort["sexual_reoffence_5y"].cast(pl.Int64).to_numpy()
    import sklearn.metrics

    assert v.auc.estimate == pytest.approx(sklearn.metrics.roc_auc_score(y, total), rel=1e-12)
    ref = sm.Logit(y, sm.add_constant(total)).fit(disp=0, tol=1e-12)
    assert (v.b0, v.b1) == pytest.approx(tuple(ref.params), rel=1e-7)
    row = v.table.filter(score=2.0)
    assert row["expected_rate"][0] == pytest.approx(ref.predict([[1.0, 2.0]])[0], rel=1e-7)
    assert row["n"][0] == int((total == 2).sum())
    assert (v.table["ci_low"] < v.table["expected_rate"]).all()
    # The recorded tool score in the data is the same kind of total.
    assert 0.6 < v.auc.estimate < 0.8
    assert v.expected_rate([0, 10])["expected_rate"][1] > 0.3


def test_scale_missing_items(cohort):
    scale = ActuarialScale(STATIC_LIKE)
    with pytest.raises(BadValueError, match=r"item 'male_victim', row \d+: the condition is null"):
        scale.score(cohort)
    with pytest.raises(ArgumentError, match="points must be a number"):
        ActuarialScale([("a", pl.col("x") > 1, "two")])


# ---------------------------------------------------------------------------- cards


def test_logistic_card(cohort):
    covs = ["age_at_release", "prior_sex_offences", "prior_sentencing_dates", "contact_offence"]
    a, b = cohort.filter(group="A"), cohort.filter(group="B")
    model = LogisticRegression().fit(a, outcome="sexual_reoffence_5y", covariates=covs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        card = model.card(
            a,
            name="Sexual re-offence within 5 years",
            purpose="Research.",
            validation=b,
            group="group",
            replicates=20,
            seed=1,
        )
    assert isinstance(card, ModelCard)
    text = card.to_markdown()
    assert REARREST_LABEL_BIAS in text
    assert "AUC (validation)" in text
    assert "calibration_slope (validation)" in text
    assert card.fairness is not None
    assert card.fairness["group"].to_list() == ["B"]
    auc = card.validation.filter(pl.col("measure") == "AUC (validation)")["value"][0]
    expected = roc_auc(
        b.with_columns(p=model.predict_proba(b)), outcome="sexual_reoffence_5y", score="p"
    ).estimate
    assert auc.startswith(f"{expected:.3f}")


def test_cox_card(rossi):
    cox = CoxPH().fit(rossi, duration="week", event="arrest", covariates=COVS)
    card = cox.card(
        rossi,
        name="Re-arrest (Rossi)",
        purpose="Teaching.",
        group="race",
        time=52,
        replicates=10,
        label_bias=False,
    )
    assert REARREST_LABEL_BIAS not in card.to_markdown()
    c = concordance_index(
        rossi.with_columns(r=pl.Series(np.log(cox.predict_risk(rossi)))),
        duration="week",
        event="arrest",
        score="r",
    )
    assert f"{c.estimate:.3f}" in card.validation["value"][2]
    assert set(card.fairness.columns) >= {"race", "concordance", "observed_to_expected"}
