"""Fairness audits against fairlearn's MetricFrame and scikit-learn, on lifelines' Rossi
recidivism data (public; group = race) and on the synthetic offender cohort."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
import sklearn.metrics
from fairlearn.metrics import (
    MetricFrame,
    false_negative_rate,
    false_positive_rate,
    selection_rate,
)
from lifelines.datasets import load_rossi

import aluna
from aluna.exceptions import ArgumentError, BadValueError
from aluna.risk import LogisticRegression, SmallGroupWarning, fairness_audit


@pytest.fixture(scope="module")
def rossi() -> pl.DataFrame:
    df = pl.from_pandas(load_rossi())
    model = LogisticRegression().fit(df, outcome="arrest", covariates=["age", "prio", "fin"])
    return df.with_columns(risk=model.predict_proba(df))


def _npv(y_true, y_pred):
    tn = np.sum((y_true == 0) & (y_pred == 0))
    return tn / np.sum(y_pred == 0)


def test_rates_equal_fairlearn_metricframe(rossi):
    audit = fairness_audit(
        rossi, outcome="arrest", group="race", score="risk", threshold=0.3, replicates=0
    )
    pred = (rossi["risk"] >= 0.3).cast(pl.Int64).to_numpy()
    y = rossi["arrest"].to_numpy()
    ref = MetricFrame(
        metrics={
            "base_rate": lambda t, p: np.mean(t),
            "selection_rate": selection_rate,
            "false_positive_rate": false_positive_rate,
            "false_negative_rate": false_negative_rate,
            "positive_predictive_value": lambda t, p: sklearn.metrics.precision_score(t, p),
            "negative_predictive_value": _npv,
        },
        y_true=y,
        y_pred=pred,
        sensitive_features=rossi["race"].to_numpy(),
    ).by_group
    table = audit.table.sort("race")
    for measure in ref.columns:
        np.testing.assert_allclose(table[measure].to_numpy(), ref[measure].to_numpy(), rtol=1e-12)
    for k, race in enumerate(table["race"]):
        part = rossi.filter(race=race)
        assert table["auc"][k] == pytest.approx(
            sklearn.metrics.roc_auc_score(part["arrest"], part["risk"]), rel=1e-12
        )
        assert table["observed_to_expected"][k] == pytest.approx(
            part["arrest"].sum() / part["risk"].sum(), rel=1e-12
        )
        assert table["n"][k] == part.height


def test_prediction_column_equals_threshold(rossi):
    flagged = rossi.with_columns(flag=(pl.col("risk") >= 0.3).cast(pl.Int64))
    a = fairness_audit(flagged, outcome="arrest", group="race", prediction="flag", replicates=0)
    b = fairness_audit(
        flagged, outcome="arrest", group="race", score="risk", threshold=0.3, replicates=0
    )
    assert a.table.equals(b.table.drop("auc", "observed_to_expected"))


def test_intervals_and_disparities_are_seeded_and_consistent(rossi):
    args = dict(outcome="arrest", group="race", score="risk", threshold=0.3, replicates=300)
    a = fairness_audit(rossi, seed=4, **args)
    b = fairness_audit(rossi, seed=4, threads=1, **args)
    assert a.summary.equals(b.summary)
    assert a.disparities.equals(b.disparities)
    assert a.reference == 1  # the larger group
    s = a.summary.drop_nulls()
    assert (s["ci_low"] <= s["estimate"]).all()
    assert (s["estimate"] <= s["ci_high"]).all()
    d = a.disparities.filter(measure="false_positive_rate")
    zero = a.table.filter(race=0)["false_positive_rate"][0]
    one = a.table.filter(race=1)["false_positive_rate"][0]
    assert d["difference"][0] == pytest.approx(zero - one, rel=1e-12)
    assert d["ratio"][0] == pytest.approx(zero / one, rel=1e-12)


def test_small_groups_are_reported_not_dropped(rossi):
    df = rossi.with_columns(
        site=pl.when(pl.int_range(pl.len()) < 12).then(pl.lit("tiny")).otherwise(pl.lit("main"))
    )
    with pytest.warns(SmallGroupWarning, match="'tiny' of `site` has 12 rows"):
        audit = fairness_audit(
            df, outcome="arrest", group="site", score="risk", threshold=0.3, replicates=100, seed=1
        )
    tiny = audit.table.filter(site="tiny")
    assert tiny["n"][0] == 12
    assert "no intervals" in tiny["note"][0]
    assert audit.summary.filter(group="tiny")["ci_low"].null_count() == 8
    assert audit.summary.filter(group="tiny")["estimate"].null_count() < 8


def test_undefined_rates_are_null_with_a_note():
    df = pl.DataFrame(
        {
            "g": ["a"] * 4 + ["b"] * 4,
            "y": [1, 1, 0, 0, 0, 0, 0, 0],
            "flag": [1, 0, 1, 0, 0, 0, 0, 0],
        }
    )
    with pytest.warns(SmallGroupWarning):
        audit = fairness_audit(df, outcome="y", group="g", prediction="flag", replicates=0)
    b = audit.table.filter(g="b")
    assert b["false_negative_rate"][0] is None
    assert b["positive_predictive_value"][0] is None
    assert "undefined: false_negative_rate, positive_predictive_value" in b["note"][0]


def test_bad_input(rossi):
    with pytest.raises(ArgumentError, match="give `prediction`"):
        fairness_audit(rossi, outcome="arrest", group="race", score="risk")
    nan = rossi.with_columns(
        risk=pl.when(pl.int_range(pl.len()) == 5).then(float("nan")).otherwise(pl.col("risk"))
    )
    with pytest.raises(BadValueError, match=r"column `risk`, row 5"):
        fairness_audit(nan, outcome="arrest", group="race", score="risk", threshold=0.3)
    with pytest.raises(ArgumentError, match="reference: 7"):
        fairness_audit(
            rossi,
            outcome="arrest",
            group="race",
            score="risk",
            threshold=0.3,
            reference=7,
            replicates=0,
        )


def test_cohort_groups_differ_in_base_rate_and_error_rates():
    """The shipped cohort plants a higher base rate in group B through its items only: a
    group-blind model's calibration holds in both groups, so its FPR must differ
    (Chouldechova's identity)."""
    d = aluna.datasets.load("offender_cohort").data
    d = d.filter(pl.col("sexual_reoffence_5y").is_not_null())
    covs = [
        "age_at_release",
        "prior_sex_offences",
        "prior_sentencing_dates",
        "failed_conditional_release",
        "contact_offence",
        "victim_unrelated",
    ]
    model = LogisticRegression().fit(d, outcome="sexual_reoffence_5y", covariates=covs)
    d = d.with_columns(risk=model.predict_proba(d))
    audit = fairness_audit(
        d,
        outcome="sexual_reoffence_5y",
        group="group",
        score="risk",
        threshold=0.15,
        replicates=200,
        seed=2,
    )
    gap = audit.disparities.filter(measure="base_rate")
    assert gap["ci_low"][0] > 0  # B's base rate is higher
    fpr = audit.disparities.filter(measure="false_positive_rate")
    assert fpr["ci_low"][0] > 0  # and so is B's false positive rate
    oe = audit.summary.filter(measure="observed_to_expected")
    assert ((oe["ci_low"] < 1.2) & (oe["ci_high"] > 0.85)).all()
