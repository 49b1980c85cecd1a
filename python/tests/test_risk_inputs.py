"""The design-matrix layer and every bad input named in issue 7: class and message."""

from __future__ import annotations

import numpy as np
import patsy
import polars as pl
import pytest

from aluna.exceptions import (
    ArgumentError,
    BadValueError,
    ColumnError,
    NotDefinedError,
    SingularError,
)
from aluna.risk import (
    CoxPH,
    EventsPerVariableWarning,
    LogisticRegression,
    categorical,
    interaction,
    kaplan_meier,
    logrank,
    spline,
)


@pytest.fixture
def cohort() -> pl.DataFrame:
    rng = np.random.default_rng(11)
    n = 200
    age = rng.integers(18, 60, n)
    priors = rng.poisson(2, n)
    region = rng.choice(["north", "south", "east"], n)
    t = rng.exponential(50 / np.exp(0.2 * priors - 0.02 * (age - 30)))
    return pl.DataFrame(
        {
            "age": age,
            "priors": priors,
            "region": region,
            "weeks": np.minimum(t, 80.0),
            "rearrested": (t < 80).astype(int),
            "entry": np.zeros(n),
        }
    )


def fit_cox(df, **kwargs):
    kwargs.setdefault("covariates", ["age", "priors"])
    return CoxPH().fit(df, duration="weeks", event="rearrested", **kwargs)


def test_negative_and_nan_durations(cohort):
    bad = cohort.with_columns(
        pl.when(pl.int_range(pl.len()) == 7).then(-1.0).otherwise(pl.col("weeks")).alias("weeks")
    )
    with pytest.raises(
        BadValueError,
        match=r"column `weeks`, row 7: expected a finite, non-negative duration, found -1",
    ):
        fit_cox(bad)
    with pytest.raises(BadValueError, match=r"row 7"):
        kaplan_meier(bad, duration="weeks", event="rearrested")
    nan = cohort.with_columns(
        pl.when(pl.int_range(pl.len()) == 3)
        .then(float("nan"))
        .otherwise(pl.col("weeks"))
        .alias("weeks")
    )
    with pytest.raises(
        BadValueError,
        match=r"column `weeks`, row 3: NaN where a value is required.*missing=\"drop\"",
    ):
        fit_cox(nan)
    dropped = (
        fit_cox(nan, missing="drop")
        if False
        else CoxPH(missing="drop").fit(
            nan, duration="weeks", event="rearrested", covariates=["age"]
        )
    )
    assert dropped.rows_dropped == 1
    assert dropped.n_obs == 199
    assert "rows dropped (missing)</th><td>1<" in dropped._repr_html_()


def test_row_numbers_survive_dropping(cohort):
    df = cohort.with_columns(
        age=pl.when(pl.int_range(pl.len()) == 1).then(None).otherwise(pl.col("age")),
        weeks=pl.when(pl.int_range(pl.len()) == 5).then(-2.0).otherwise(pl.col("weeks")),
    )
    with pytest.raises(BadValueError, match=r"column `weeks`, row 5:"):
        CoxPH(missing="drop").fit(df, duration="weeks", event="rearrested", covariates=["age"])


def test_stop_not_after_start(cohort):
    df = cohort.with_columns(
        entry=pl.when(pl.int_range(pl.len()) == 4).then(pl.col("weeks")).otherwise(0.0)
    )
    with pytest.raises(
        BadValueError,
        match=r"column `entry`, row 4: expected an entry time before the duration \(stop > start\)",
    ):
        fit_cox(df, entry="entry")


def test_events_must_be_known_codes(cohort):
    df = cohort.with_columns(
        rearrested=pl.when(pl.int_range(pl.len()) == 2).then(2).otherwise(pl.col("rearrested"))
    )
    with pytest.raises(
        BadValueError,
        match=r"column `rearrested`, row 2: expected 0 \(censored\) or 1 \(event\), found 2",
    ):
        fit_cox(df)
    with pytest.raises(BadValueError, match=r"expected 0 or 1, found 2"):
        LogisticRegression().fit(df, outcome="rearrested", covariates=["age"])


def test_all_censored(cohort):
    df = cohort.with_columns(rearrested=pl.lit(0))
    with pytest.raises(NotDefinedError, match=r"no events: all 200 rows are censored"):
        fit_cox(df)
    with pytest.raises(NotDefinedError, match="no events"):
        logrank(df, duration="weeks", event="rearrested", group="region")


def test_constant_and_collinear_covariates_are_named(cohort):
    df = cohort.with_columns(
        flag=pl.lit(1.0), age_months=pl.col("age") * 12, total=pl.col("age") + pl.col("priors")
    )
    with pytest.raises(SingularError, match=r"CoxPH: the design is singular: `flag` is constant"):
        fit_cox(df, covariates=["age", "flag"])
    with pytest.raises(SingularError, match=r"`age_months` is collinear with `age`"):
        fit_cox(df, covariates=["age", "age_months"])
    with pytest.raises(SingularError, match=r"`total` is collinear with `age`, `priors`"):
        LogisticRegression().fit(df, outcome="rearrested", covariates=["age", "priors", "total"])
    with pytest.raises(SingularError, match=r"LogisticRegression.*`flag` is constant"):
        LogisticRegression().fit(df, outcome="rearrested", covariates=["flag"])
    with pytest.raises(SingularError, match=r"covariate `region` is constant"):
        fit_cox(df.with_columns(region=pl.lit("north")), covariates=["region"])


def test_columns_and_arguments(cohort):
    with pytest.raises(ColumnError, match=r"covariate `agee` not found; the table has: age"):
        fit_cox(cohort, covariates=["agee"])
    with pytest.raises(ColumnError, match=r"column `wks` not found"):
        CoxPH().fit(cohort, duration="wks", event="rearrested", covariates=["age"])
    with pytest.raises(ArgumentError, match=r'ties: expected "efron" or "breslow"'):
        CoxPH(ties="exact").fit(cohort, duration="weeks", event="rearrested", covariates=["age"])
    with pytest.raises(ArgumentError, match=r"penalty: expected None"):
        LogisticRegression(penalty="elastic").fit(cohort, outcome="rearrested", covariates=["age"])
    with pytest.raises(ArgumentError, match=r"alpha: must be finite and non-negative"):
        LogisticRegression(penalty="l2", alpha=-1).fit(
            cohort, outcome="rearrested", covariates=["age"]
        )
    with pytest.raises(ArgumentError, match=r'missing: expected "error" or "drop"'):
        CoxPH(missing="ignore").fit(
            cohort, duration="weeks", event="rearrested", covariates=["age"]
        )
    with pytest.raises(ArgumentError, match=r"reference level 'west' does not occur"):
        fit_cox(cohort, covariates=[categorical("region", reference="west")])
    with pytest.raises(ArgumentError, match=r"duration: expected a column name"):
        kaplan_meier(cohort, duration=3, event="rearrested")
    with pytest.raises(ArgumentError, match=r'no standard errors for penalty="l1"'):
        LogisticRegression(penalty="l1", alpha=1.0).fit(
            cohort, outcome="rearrested", covariates=["age"], robust=True
        )
    with pytest.raises(ArgumentError, match="unknown parameter 'tie'"):
        CoxPH().set_params(tie="breslow")


def test_categories_interactions_and_prediction(cohort):
    model = fit_cox(
        cohort, covariates=[categorical("region", reference="south"), "age", "age:priors"]
    )
    assert model.summary["term"].to_list() == ["region[east]", "region[north]", "age", "age:priors"]
    zph = model.proportional_hazards_test()
    assert zph.filter(term="region")["df"].item() == 2
    with pytest.raises(BadValueError, match=r"level 'west' not seen in fitting"):
        model.predict_risk(cohort.head(2).with_columns(region=pl.lit("west")))
    cat = fit_cox(cohort, covariates=[interaction(categorical("region"), "priors")])
    assert cat.summary["term"].to_list() == ["region[north]:priors", "region[south]:priors"]


def test_spline_spans_the_natural_cubic_spline_space(cohort):
    x = cohort["age"].cast(pl.Float64).to_numpy()
    knots = (20.0, 30.0, 40.0, 55.0)
    model = LogisticRegression().fit(
        cohort, outcome="rearrested", covariates=[spline("age", knots=knots)]
    )
    assert model.summary["term"].to_list() == ["intercept", "age", "age[rcs1]", "age[rcs2]"]
    ours = np.c_[np.ones_like(x), model._fitted()["design"].transform(cohort, what="t").to_numpy()]
    ref = patsy.dmatrix(
        f"cr(x, knots=({knots[1]}, {knots[2]}), lower_bound={knots[0]}, upper_bound={knots[-1]})",
        {"x": np.clip(x, knots[0], knots[-1])},
    )
    inside = (x >= knots[0]) & (x <= knots[-1])
    a, b = ours[inside], np.asarray(ref)[inside]
    # Same column space: projecting patsy's basis on ours leaves nothing.
    coef, *_ = np.linalg.lstsq(a, b, rcond=None)
    assert np.max(np.abs(a @ coef - b)) < 1e-8
    assert np.linalg.matrix_rank(b) == a.shape[1]  # patsy's cr columns sum to the intercept


def test_events_per_variable_warning(cohort):
    small = cohort.head(40)
    with pytest.warns(EventsPerVariableWarning, match=r"per column, below 10"):
        CoxPH().fit(
            small,
            duration="weeks",
            event="rearrested",
            covariates=["age", "priors", "region", "age:priors"],
        )
