"""aluna.evaluate: hand-checkable cases, result faces, determinism and bad input."""

from __future__ import annotations

import math

import matplotlib
import numpy as np
import polars as pl
import pytest

import aluna
from aluna import evaluate
from aluna.exceptions import (
    ArgumentError,
    BadValueError,
    ColumnError,
    DuplicateError,
    NotDefinedError,
)

matplotlib.use("Agg")

COVARIATES = ["motivation", "risk_score", "employed", "substance_misuse", "age"]


@pytest.fixture(scope="module")
def programme() -> pl.DataFrame:
    return aluna.datasets.load("programme_evaluation").data


# ============================================================================ hand-checkable


def test_difference_in_means_by_hand() -> None:
    df = pl.DataFrame({"aid": [1, 1, 1, 0, 0, 0], "earnings": [5.0, 7, 9, 1, 2, 3]})
    eff = evaluate.difference_in_means(df, "aid", "earnings")
    hc0 = 8 / 9 + 2 / 9
    assert eff.estimate == 5.0
    assert eff.std_error == pytest.approx(math.sqrt(hc0 * 6 / 4))
    assert eff.summary.height == 1
    assert eff.summary.columns[:7] == [
        "term",
        "estimate",
        "std_error",
        "statistic",
        "p_value",
        "ci_low",
        "ci_high",
    ]


def test_ipw_with_a_binary_confounder_is_the_standardised_difference() -> None:
    # With a saturated propensity model IPW is exact standardisation: the ATE averages the
    # stratum effects over everyone, the ATT over the treated.
    x = [0] * 8 + [1] * 8
    t = [1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0]
    y = [1.0, 0.0, 0.5, 0.5, 0.5, 0.5, 0.5, 1.0, 1, 1, 1, 1, 1, 1, 0.75, 0.75]
    df = pl.DataFrame({"x": x, "t": t, "y": y})
    strata = df.group_by("x").agg(
        (
            pl.col("y").filter(pl.col("t") == 1).mean()
            - pl.col("y").filter(pl.col("t") == 0).mean()
        ).alias("effect"),
        pl.len().alias("n"),
        pl.col("t").sum().alias("treated"),
    )
    effect = strata["effect"].to_numpy()
    ate_ref = float((effect * strata["n"]).sum() / strata["n"].sum())
    att_ref = float((effect * strata["treated"]).sum() / strata["treated"].sum())
    ate = evaluate.ipw(df, "t", "y", ["x"], estimand="ATE")
    att = evaluate.ipw(df, "t", "y", ["x"], estimand="ATT")
    assert ate.estimate == pytest.approx(ate_ref, abs=1e-9)
    assert att.estimate == pytest.approx(att_ref, abs=1e-9)
    # Horvitz–Thompson and Hájek agree when the propensity model is saturated.
    ht = evaluate.ipw(df, "t", "y", ["x"], estimand="ATE", stabilized=False)
    assert ht.estimate == pytest.approx(ate_ref, abs=1e-9)
    # So does AIPW with a saturated outcome model.
    dr = evaluate.aipw(df, "t", "y", ["x"], estimand="ATE")
    assert dr.estimate == pytest.approx(ate_ref, abs=1e-9)


def test_effect_faces(programme: pl.DataFrame) -> None:
    eff = evaluate.ipw(programme, "participated", "reoffended_2y", COVARIATES, estimand="ATT")
    assert eff.method == "IPW"
    assert eff.estimand == "ATT"
    assert eff.measure == "risk difference"
    assert eff.n_treated + eff.n_comparison == programme.height
    assert eff.rows_dropped == 0
    assert eff.ci_low < eff.estimate < eff.ci_high
    assert eff.weights is not None
    assert eff.weights.columns == ["row", "propensity", "weight"]
    html = eff._repr_html_()
    assert "Programme effect" in html
    assert "participated (ATT)" in html
    assert "IPW" in repr(eff)
    assert eff.plot() is not None
    assert eff.balance is not None
    assert eff.balance.love_plot() is not None
    assert eff.e_value().point > 1


def test_bootstrap_is_seeded_and_thread_independent(programme: pl.DataFrame) -> None:
    small = programme.head(1500)
    runs = [
        evaluate.aipw(
            small,
            "participated",
            "reoffended_2y",
            COVARIATES,
            se="bootstrap",
            n_bootstrap=60,
            seed=3,
            threads=k,
        )
        for k in (1, 2)
    ]
    assert np.array_equal(runs[0].bootstrap, runs[1].bootstrap)
    other = evaluate.aipw(
        small, "participated", "reoffended_2y", COVARIATES, se="bootstrap", n_bootstrap=60, seed=4
    )
    assert not np.array_equal(runs[0].bootstrap, other.bootstrap)
    influence = evaluate.aipw(small, "participated", "reoffended_2y", COVARIATES)
    assert runs[0].std_error == pytest.approx(influence.std_error, rel=0.3)
    assert runs[0].standard_errors.startswith("bootstrap (60 replicates")


def test_propensity_overlap_and_crump_trimming(programme: pl.DataFrame) -> None:
    ps = evaluate.propensity(programme, "participated", COVARIATES, id="person_id")
    assert ps.scores.columns == ["person_id", "participated", "propensity"]
    assert ps.overlap["arm"].to_list() == ["treated", "comparison"]
    lo, hi = ps.common_support
    assert 0 < lo < hi < 1
    a, b = ps.suggested_trim
    assert a == pytest.approx(1 - b)
    # Trimming at Crump's alpha leaves out the rows outside [alpha, 1 - alpha].
    eff = evaluate.ipw(programme, "participated", "reoffended_2y", COVARIATES, trim="crump")
    p = ps.scores["propensity"].to_numpy()
    assert eff.rows_trimmed == int(((p < a) | (p > b)).sum())
    assert ps.plot() is not None
    assert "common support" in ps._repr_html_()


def test_crump_alpha_solves_its_equation() -> None:
    rng = np.random.default_rng(1)
    e = 1 / (1 + np.exp(-rng.normal(0, 2.0, 5000)))
    a = evaluate._crump(e)
    g = 1 / (e * (1 - e))
    bound = 1 / (a * (1 - a))
    assert bound == pytest.approx(2 * g[g <= bound].mean(), rel=1e-3)


def test_matching_with_replacement_and_balance(programme: pl.DataFrame) -> None:
    m = evaluate.match(programme, "participated", COVARIATES, replace=True, id="person_id")
    assert m.data["match_id"].null_count() == m.data.height
    assert m.pairs.columns == ["treated", "comparison", "distance", "round"]
    assert m.n_treated == int(programme["participated"].sum())
    assert m.balance.max_smd_after < m.balance.max_smd_before
    eff = m.effect("reoffended_2y")
    assert eff.standard_errors.startswith("HC1")
    with pytest.raises(ArgumentError, match="1:1"):
        m.rosenbaum_bounds("reoffended_2y")
    pairs = evaluate.match(programme, "participated", COVARIATES, caliper=0.1)
    rb = pairs.rosenbaum_bounds("time_days")
    assert rb.table.height == 4
    assert rb.pairs > 0
    assert pairs.plot() is not None


def test_survival_effect_on_the_programme(programme: pl.DataFrame) -> None:
    eff = evaluate.survival_effect(
        programme,
        "participated",
        duration="time_days",
        event="event",
        covariates=COVARIATES,
        estimand="ATT",
    )
    _hr, lo, hi = eff.hazard_ratio.hazard_ratio
    assert lo < 0.70 < hi
    assert eff.rmst_difference.estimate > 0
    # Both effects say which population the weights stand for.
    assert eff.hazard_ratio.estimand == eff.rmst_difference.estimand == "ATT"
    assert eff.logrank is None  # weighted
    assert eff.summary.height == 2
    assert eff.plot() is not None
    assert "hazard ratio" in eff._repr_html_()


def test_time_varying_cox_splits_follow_up() -> None:
    df = pl.DataFrame(
        {
            "days": [50, 400, 300, 900, 120, 700, 800, 60] * 5,
            "event": [1, 1, 0, 0, 1, 1, 0, 1] * 5,
            "start": [None, 60, 90, 30, None, None, 80, 20] * 5,
        }
    )
    eff = evaluate.time_varying_cox(df, treatment_start="start", duration="days", event="event")
    # Five of every eight people start during follow-up: their follow-up is split in two.
    assert eff.model.n_obs == 40 + 25
    assert (eff.n_treated, eff.n_comparison) == (25, 15)
    assert eff.model.summary["term"].to_list() == ["treated"]


def test_naive_comparison_with_late_starts_warns() -> None:
    data = aluna.datasets.load("programme_evaluation_delayed").data.head(800)
    with pytest.warns(evaluate.ImmortalTimeWarning, match="immortal-time bias"):
        evaluate.survival_effect(
            data,
            "participated",
            duration="time_days",
            event="event",
            treatment_start="programme_start_day",
        )


# ============================================================================ bad input


def test_no_overlap_names_the_covariate_and_ranges() -> None:
    df = pl.DataFrame(
        {"t": [1, 1, 1, 0, 0, 0], "age": [18, 20, 25, 40, 50, 60], "y": [0, 1, 0, 1, 1, 0]}
    )
    with pytest.raises(evaluate.OverlapError, match=r"`age`: it ranges 18 to 25 among the treated"):
        evaluate.ipw(df, "t", "y", ["age"])
    with pytest.raises(evaluate.OverlapError, match="40 to 60 in the comparison arm"):
        evaluate.propensity(df, "t", ["age"])
    assert issubclass(evaluate.OverlapError, NotDefinedError)


def test_separating_covariates_are_no_overlap() -> None:
    # Neither covariate alone separates, their sum does.
    a = [1, 2, 3, 4, 0, 1, 2, 3]
    b = [4, 3, 2, 1, 3, 2, 1, 0]
    df = pl.DataFrame({"t": [1, 1, 1, 1, 0, 0, 0, 0], "a": a, "b": b})
    with pytest.raises(evaluate.OverlapError, match="separate"):
        evaluate.propensity(df, "t", ["a", "b"])


def test_treatment_must_be_binary() -> None:
    df = pl.DataFrame({"t": [0, 1, 2, 1, 0], "x": [1.0, 2, 3, 4, 5], "y": [0, 1, 0, 1, 0]})
    with pytest.raises(BadValueError, match=r"column `t`, row 2: the treatment must be 0 or 1"):
        evaluate.ipw(df, "t", "y", ["x"])
    with pytest.raises(ColumnError, match="the treatment must be 0/1 or true/false"):
        evaluate.propensity(df.with_columns(pl.col("t").cast(pl.String)), "t", ["x"])


def test_missing_covariates_error_or_are_dropped(programme: pl.DataFrame) -> None:
    df = programme.with_columns(
        pl.when(pl.int_range(pl.len()) == 7).then(None).otherwise(pl.col("age")).alias("age")
    )
    with pytest.raises(BadValueError, match=r"column `age`, row 7: null"):
        evaluate.ipw(df, "participated", "reoffended_2y", COVARIATES)
    eff = evaluate.ipw(df, "participated", "reoffended_2y", COVARIATES, missing="drop")
    assert eff.rows_dropped == 1
    assert eff.n_treated + eff.n_comparison == programme.height - 1
    with pytest.raises(ColumnError, match="covariate `agee` not found"):
        evaluate.ipw(df, "participated", "reoffended_2y", ["agee"])


def test_a_single_treated_unit_is_refused() -> None:
    df = pl.DataFrame({"t": [1, 0, 0, 0, 0], "x": [1.0, 2, 3, 4, 5], "y": [0.0, 1, 0, 1, 0]})
    with pytest.raises(NotDefinedError, match="a single treated unit cannot be compared"):
        evaluate.ipw(df, "t", "y", ["x"])
    with pytest.raises(NotDefinedError, match="1 treated"):
        evaluate.match(df, "t", ["x"])


def test_bad_arguments() -> None:
    df = pl.DataFrame(
        {"t": [1, 1, 0, 0, 1, 0], "x": [1.0, 2, 3, 4, 2.5, 1.5], "y": [0.0, 1, 0, 1, 1, 0]}
    )
    with pytest.raises(ArgumentError, match="estimand"):
        evaluate.ipw(df, "t", "y", ["x"], estimand="ATC")  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match="trim"):
        evaluate.ipw(df, "t", "y", ["x"], trim=0.7)
    with pytest.raises(ArgumentError, match="ratio"):
        evaluate.match(df, "t", ["x"], ratio=0)
    with pytest.raises(ArgumentError, match="cannot be a covariate"):
        evaluate.ipw(df, "t", "y", ["t", "x"])
    with pytest.raises(ArgumentError, match="must be positive"):
        evaluate.e_value(-1.0)
    with pytest.raises(ArgumentError, match="baseline_risk"):
        evaluate.e_value(-0.1, measure="risk_difference")
    with pytest.raises(ArgumentError, match="at least 1"):
        evaluate.rosenbaum_bounds([1.0, 2.0], gamma=[0.5])


def test_panel_errors() -> None:
    df = pl.DataFrame(
        {
            "unit": [1, 1, 2, 2, 2],
            "year": [1, 2, 1, 2, 2],
            "tr": [1, 1, 0, 0, 0],
            "post": [0, 1, 0, 1, 1],
            "y": [1.0, 2, 3, 4, 5],
        }
    )
    with pytest.raises(DuplicateError, match="unit 2 appears twice in period 2"):
        evaluate.difference_in_differences(df, "unit", "year", "tr", "post", "y")
    bad = df.head(4).with_columns(pl.Series("post", [0, 2, 0, 1]))
    with pytest.raises(BadValueError, match="column `post`, row 1"):
        evaluate.difference_in_differences(bad, "unit", "year", "tr", "post", "y")
