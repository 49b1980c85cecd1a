"""LogisticRegression against statsmodels (computed here) and an independent Firth fit."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
import statsmodels.api as sm
from lifelines.datasets import load_rossi
from numpy.testing import assert_allclose
from scipy.optimize import minimize

from aluna.exceptions import NotFittedError
from aluna.risk import LogisticRegression, SeparationWarning, categorical

COVARIATES = ["fin", "age", "race", "wexp", "mar", "paro", "prio"]


@pytest.fixture(scope="module")
def rossi() -> pl.DataFrame:
    df = pl.from_pandas(load_rossi()).with_row_index("id")
    return df.with_columns(
        w=1 + (pl.col("id") % 3) / 2,
        family=pl.col("id") // 5,
        agecat=pl.when(pl.col("age") <= 20)
        .then(pl.lit("young"))
        .when(pl.col("age") <= 25)
        .then(pl.lit("mid"))
        .otherwise(pl.lit("older")),
    )


def exog(df: pl.DataFrame, columns: list[str]) -> np.ndarray:
    return sm.add_constant(df.select(columns).to_numpy().astype(float))


def test_matches_statsmodels_logit(rossi):
    ours = LogisticRegression().fit(rossi, outcome="arrest", covariates=COVARIATES)
    ref = sm.Logit(rossi["arrest"].to_numpy(), exog(rossi, COVARIATES)).fit(
        disp=0, method="newton", tol=1e-12
    )
    s = ours.summary
    assert s["term"].to_list() == ["intercept", *COVARIATES]
    assert_allclose(s["estimate"].to_numpy(), ref.params, atol=1e-6)
    assert_allclose(s["std_error"].to_numpy(), ref.bse, atol=1e-6)
    assert_allclose(s["statistic"].to_numpy(), ref.tvalues, atol=1e-5)
    assert_allclose(s["p_value"].to_numpy(), ref.pvalues, rtol=1e-6, atol=1e-10)
    ci = ref.conf_int()
    assert_allclose(s["ci_low"].to_numpy(), ci[:, 0], atol=1e-6)
    assert_allclose(s["odds_ratio"].to_numpy(), np.exp(ref.params), rtol=1e-6)
    assert ours.log_likelihood == pytest.approx(ref.llf, abs=1e-6)
    assert ours.log_likelihood_null == pytest.approx(ref.llnull, abs=1e-6)
    assert ours.aic == pytest.approx(ref.aic, abs=1e-6)
    assert ours.bic == pytest.approx(ref.bic, abs=1e-6)
    assert_allclose(
        ours.predict_proba(rossi).to_numpy(), ref.predict(exog(rossi, COVARIATES)), atol=1e-9
    )


def test_weights_and_categories_match_statsmodels_glm(rossi):
    ours = LogisticRegression().fit(
        rossi,
        outcome="arrest",
        covariates=["fin", categorical("agecat", reference="older"), "prio", "fin:prio"],
        weights="w",
    )
    x = rossi.select(
        "fin",
        (pl.col("agecat") == "mid").cast(pl.Float64).alias("mid"),
        (pl.col("agecat") == "young").cast(pl.Float64).alias("young"),
        "prio",
        (pl.col("fin") * pl.col("prio")).cast(pl.Float64).alias("fin_prio"),
    ).to_numpy()
    ref = sm.GLM(
        rossi["arrest"].to_numpy(),
        sm.add_constant(x.astype(float)),
        family=sm.families.Binomial(),
        freq_weights=rossi["w"].to_numpy(),
    ).fit(tol=1e-14)
    s = ours.summary
    assert s["term"].to_list() == [
        "intercept",
        "fin",
        "agecat[mid]",
        "agecat[young]",
        "prio",
        "fin:prio",
    ]
    assert_allclose(s["estimate"].to_numpy(), ref.params, atol=1e-6)
    assert_allclose(s["std_error"].to_numpy(), ref.bse, atol=1e-6)
    assert ours.log_likelihood == pytest.approx(ref.llf, abs=1e-6)


def test_robust_and_cluster_robust_match_statsmodels(rossi):
    y, x = rossi["arrest"].to_numpy(), exog(rossi, COVARIATES)
    ours = LogisticRegression().fit(rossi, outcome="arrest", covariates=COVARIATES, robust=True)
    ref = sm.Logit(y, x).fit(disp=0, method="newton", tol=1e-12, cov_type="HC0")
    assert_allclose(ours.summary["std_error"].to_numpy(), ref.bse, atol=1e-6)
    ours = LogisticRegression().fit(
        rossi, outcome="arrest", covariates=COVARIATES, cluster="family"
    )
    ref = sm.Logit(y, x).fit(
        disp=0,
        method="newton",
        tol=1e-12,
        cov_type="cluster",
        cov_kwds={"groups": rossi["family"].to_numpy()},
    )
    assert_allclose(ours.summary["std_error"].to_numpy(), ref.bse, atol=1e-6)
    assert "cluster-robust" in ours._repr_html_()


def test_l2_and_l1_match_statsmodels(rossi):
    y, x = rossi["arrest"].to_numpy(), exog(rossi, COVARIATES)
    n = len(y)
    alpha = 5.0
    ours = LogisticRegression(penalty="l2", alpha=alpha).fit(
        rossi, outcome="arrest", covariates=COVARIATES
    )
    # The ridge objective written out and minimised by scipy (statsmodels' elastic-net
    # coordinate descent stops near 1e-5), to compare to 1e-6.
    mask = np.r_[0.0, np.ones(len(COVARIATES))]

    def objective(b):
        eta = x @ b
        return -(y @ eta - np.logaddexp(0, eta).sum()) + 0.5 * alpha * np.sum(mask * b * b)

    def gradient(b):
        return -(x.T @ (y - 1 / (1 + np.exp(-x @ b)))) + alpha * mask * b

    def hessian(b):
        p = 1 / (1 + np.exp(-x @ b))
        return x.T @ (x * (p * (1 - p))[:, None]) + np.diag(alpha * mask)

    ref = minimize(
        objective,
        np.zeros(x.shape[1]),
        jac=gradient,
        hess=hessian,
        method="trust-exact",
        options={"gtol": 1e-12},
    )
    assert_allclose(ours.coef_, ref.x, atol=1e-6)
    sm_ridge = sm.GLM(y, x, family=sm.families.Binomial()).fit_regularized(
        alpha=mask * alpha / n, L1_wt=0.0, cnvrg_tol=1e-14, maxiter=10_000
    )
    assert_allclose(ours.coef_, sm_ridge.params, atol=1e-4)  # statsmodels' own precision
    assert_allclose(
        ours.summary["std_error"].to_numpy(),
        np.sqrt(np.diag(np.linalg.inv(hessian(ref.x)))),
        atol=1e-6,
    )
    ours = LogisticRegression(penalty="l1", alpha=alpha).fit(
        rossi, outcome="arrest", covariates=COVARIATES
    )
    ref = sm.Logit(y, x).fit_regularized(
        method="l1",
        alpha=np.r_[0.0, np.full(len(COVARIATES), alpha)],
        disp=0,
        acc=1e-14,
        trim_mode="off",
        maxiter=10_000,
    )
    assert_allclose(ours.coef_, ref.params, atol=1e-5)
    assert ours.summary["p_value"].null_count() == ours.summary.height
    assert "no standard errors" in ours._repr_html_()


def firth_numpy(
    x: np.ndarray, y: np.ndarray, iterations: int = 200
) -> tuple[np.ndarray, np.ndarray]:
    """Firth's logistic regression, written independently with numpy (Heinze & Schemper 2002)."""
    beta = np.zeros(x.shape[1])
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-x @ beta))
        w = p * (1 - p)
        info = x.T @ (x * w[:, None])
        inv = np.linalg.inv(info)
        h = w * np.einsum("ij,jk,ik->i", x, inv, x)
        step = inv @ (x.T @ (y - p + h * (0.5 - p)))
        beta = beta + step
        if np.max(np.abs(step)) < 1e-13:
            break
    p = 1 / (1 + np.exp(-x @ beta))
    info = x.T @ (x * (p * (1 - p))[:, None])
    return beta, np.sqrt(np.diag(np.linalg.inv(info)))


def test_firth_matches_numpy_and_handles_separation():
    rng = np.random.default_rng(3)
    n = 300
    age = rng.normal(30, 8, n)
    priors = rng.poisson(1.5, n)
    eta = -4 + 0.04 * (age - 30) + 0.5 * priors
    y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    df = pl.DataFrame({"age": age, "priors": priors, "sexual_reoffence": y})
    ours = LogisticRegression(penalty="firth").fit(
        df, outcome="sexual_reoffence", covariates=["age", "priors"]
    )
    beta, se = firth_numpy(sm.add_constant(np.c_[age, priors]), y)
    assert_allclose(ours.coef_, beta, atol=1e-6)
    assert_allclose(ours.summary["std_error"].to_numpy(), se, atol=1e-6)
    # Complete separation by `treated`: warn, name it, and Firth stays finite.
    sep = pl.DataFrame({"treated": [0] * 12 + [1] * 12, "y": [0] * 12 + [1] * 12})
    with pytest.warns(SeparationWarning, match=r"`treated` separates the outcome.*firth"):
        LogisticRegression().fit(sep, outcome="y", covariates=["treated"])
    firth = LogisticRegression(penalty="firth").fit(sep, outcome="y", covariates=["treated"])
    assert np.isfinite(firth.coef_).all()
    assert firth.converged


def test_faces(rossi):
    model = LogisticRegression(penalty="l2", alpha=1.0)
    with pytest.raises(NotFittedError, match="LogisticRegression is not fitted"):
        model.predict_proba(rossi)
    assert model.get_params() == {
        "penalty": "l2",
        "alpha": 1.0,
        "fit_intercept": True,
        "missing": "error",
        "level": 0.95,
        "max_iter": 100,
        "threads": None,
    }
    model.set_params(alpha=2.0).fit(rossi, outcome="arrest", covariates=["fin", "prio"])
    assert model.alpha == 2.0
    one = LogisticRegression(threads=1).fit(rossi, outcome="arrest", covariates=COVARIATES)
    two = LogisticRegression(threads=2).fit(rossi, outcome="arrest", covariates=COVARIATES)
    assert one.summary.equals(two.summary)
    assert "odds_ratio" in one._repr_html_()
    assert "AIC" in str(one)
    import matplotlib

    matplotlib.use("Agg")
    assert one.plot() is not None
