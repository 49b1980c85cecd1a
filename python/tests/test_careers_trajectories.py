"""Group-based trajectory models: agreement with statsmodels and an independent numpy EM,
recovery of planted groups, the EM trace, determinism and bad input."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
import statsmodels.api as sm
from polars.testing import assert_frame_equal
from scipy.special import expit, gammaln, logsumexp
from statsmodels.tools.numdiff import approx_hess3

from aluna import _native, careers, datasets, synth
from aluna.exceptions import (
    ArgumentError,
    BadValueError,
    ColumnError,
    DuplicateError,
)

PERSON, TIME, COUNT = "person_id", "age", "total_offences"


@pytest.fixture(scope="module")
def panel() -> pl.DataFrame:
    return datasets.load("careers_panel").data


@pytest.fixture(scope="module")
def shipped() -> datasets.Dataset:
    return datasets.load("careers_panel")


@pytest.fixture(scope="module")
def poisson_fits(panel: pl.DataFrame) -> careers.Trajectories:
    return careers.trajectories(panel, PERSON, TIME, COUNT, groups=range(1, 7), model="poisson")


def _with_exposure(panel: pl.DataFrame) -> pl.DataFrame:
    """A made-up time at risk per person-year in (0.2, 1], counts thinned to match."""
    rng = np.random.default_rng(5)
    e = rng.uniform(0.2, 1.0, panel.height)
    thinned = rng.binomial(panel[COUNT].to_numpy(), e)
    return panel.with_columns(
        pl.Series("exposure", e), pl.Series("thinned", thinned, dtype=pl.Int64)
    )


# ------------------------------------------------------------------------------ one group = GLM


@pytest.mark.parametrize("exposure", [False, True])
def test_one_group_poisson_equals_statsmodels_glm(panel, exposure):
    data = _with_exposure(panel) if exposure else panel
    count = "thinned" if exposure else COUNT
    fit = careers.trajectories(
        data,
        PERSON,
        TIME,
        count,
        groups=1,
        model="poisson",
        exposure="exposure" if exposure else None,
    ).best
    age = data[TIME].to_numpy().astype(float)
    x = np.column_stack([np.ones_like(age), age, age**2])
    offset = np.log(data["exposure"].to_numpy()) if exposure else None
    glm = sm.GLM(data[count].to_numpy(), x, family=sm.families.Poisson(), offset=offset).fit(
        tol=1e-14
    )
    ours = fit.summary
    np.testing.assert_allclose(ours["estimate"].to_numpy(), glm.params, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(ours["std_error"].to_numpy(), glm.bse, rtol=1e-6)
    assert fit.log_likelihood == pytest.approx(glm.llf, rel=1e-10)
    assert ours["term"].to_list() == ["intercept", "age", "age^2"]


def test_one_group_logit_equals_statsmodels_glm(panel):
    data = panel.with_columns((pl.col(COUNT) > 0).cast(pl.Int64).alias("offended"))
    fit = careers.trajectories(data, PERSON, TIME, "offended", groups=1, model="logit", order=3)
    age = data[TIME].to_numpy().astype(float)
    x = np.column_stack([age**k for k in range(4)])
    glm = sm.GLM(data["offended"].to_numpy(), x, family=sm.families.Binomial()).fit(tol=1e-14)
    np.testing.assert_allclose(fit.summary["estimate"].to_numpy(), glm.params, rtol=1e-6)
    np.testing.assert_allclose(fit.summary["std_error"].to_numpy(), glm.bse, rtol=1e-6)
    assert fit.best.log_likelihood == pytest.approx(glm.llf, rel=1e-10)


# ------------------------------------------------------------------------------ planted groups


def _planted_order(truth_groups: pl.DataFrame, ages: np.ndarray) -> dict[int, int]:
    """Planted group -> our group number: ours are ordered by mean expected count."""
    x = (ages - 20.0) / 10.0
    means = [
        float(np.mean(np.exp(r["b0"] + r["b1"] * x + r["b2"] * x * x)))
        for r in truth_groups.iter_rows(named=True)
    ]
    order = np.argsort(means, kind="stable")
    return {int(planted): rank + 1 for rank, planted in enumerate(order)}


def _accuracy(fits: careers.Trajectories, dataset: datasets.Dataset) -> float:
    ages = np.sort(dataset.data[TIME].unique().to_numpy()).astype(float)
    mapping = _planted_order(dataset.truth["groups"], ages)
    joined = fits.membership.join(dataset.truth["persons"], on=PERSON)
    expected = joined["trajectory_group"].replace_strict(mapping, return_dtype=pl.Int64)
    return float((joined["group"] == expected).mean())  # type: ignore[arg-type]


def test_bic_picks_the_planted_groups_and_classifies_persons(poisson_fits, shipped):
    assert poisson_fits.selected == 4
    assert _accuracy(poisson_fits, shipped) >= 0.9
    truth = shipped.truth["groups"].sort("share")["share"].to_numpy()
    ours = np.sort(poisson_fits.adequacy["share"].to_numpy())
    np.testing.assert_allclose(ours, truth, atol=0.03)


def test_zero_inflated_panel_recovers_groups_and_zero_inflation():
    dataset = synth.careers_panel(4000, periods=20, seed=11, zero_inflation=0.25)
    fits = careers.trajectories(
        dataset.data, PERSON, TIME, COUNT, groups=range(2, 6), model="zip", seed=3
    )
    assert fits.selected == 4
    assert _accuracy(fits, dataset) >= 0.85
    # The three groups that offend often show the planted 25% structural zeros.
    zeros = fits.summary.filter(pl.col("part") == "zero_inflation", pl.col("group") > 1)
    np.testing.assert_allclose(expit(zeros["estimate"].to_numpy()), 0.25, atol=0.05)


# ------------------------------------------------------------------------------ the EM trace


@pytest.mark.parametrize(
    ("model", "accelerate"),
    [("poisson", True), ("poisson", False), ("zip", True), ("zip", False), ("logit", True)],
)
def test_log_likelihood_never_decreases(panel, model, accelerate):
    data = panel.head(6000).with_columns((pl.col(COUNT) > 0).cast(pl.Int64).alias("offended"))
    count = "offended" if model == "logit" else COUNT
    fits = careers.trajectories(
        data, PERSON, TIME, count, groups=range(1, 5), model=model, accelerate=accelerate
    )
    for j, m in fits.models.items():
        trace = m.trace["log_likelihood"].to_numpy()
        assert len(trace) >= 2, j
        steps = np.diff(trace)
        assert np.all(steps >= -1e-9 * np.abs(trace[1:])), (j, steps.min())
        assert trace[-1] == pytest.approx(m.log_likelihood, rel=1e-12)


# ------------------------------------------------------------------------------ numpy reference


def _zip_loglik(y, e, k_index, person_index, n_persons, tau, beta, gamma, shares):
    """Person-by-group log-likelihoods of a zero-inflated Poisson trajectory model."""
    out = np.zeros((n_persons, len(shares)))
    for j in range(len(shares)):
        eta = np.polyval(beta[j][::-1], tau)[k_index]
        zeta = np.polyval(gamma[j][::-1], tau)[k_index]
        lam = e * np.exp(eta)
        log_omega = -np.logaddexp(0, -zeta)
        log_keep = -np.logaddexp(0, zeta)
        row = np.where(
            y == 0,
            np.logaddexp(log_omega, log_keep - lam),
            log_keep + y * np.log(lam) - lam - gammaln(y + 1),
        )
        out[:, j] = np.bincount(person_index, weights=row, minlength=n_persons)
    return out + np.log(shares)


def _newton(gradient_hessian, start):
    """Newton's method for a concave objective from its gradient and Hessian."""
    b = np.asarray(start, dtype=float)
    for _ in range(100):
        g, h = gradient_hessian(b)
        step = np.linalg.solve(h, -g)
        b = b + step
        if np.max(np.abs(step)) < 1e-12:
            break
    return b


@pytest.mark.parametrize("with_exposure", [False, True])
def test_zip_likelihood_and_em_step_match_numpy(with_exposure):
    dataset = synth.careers_panel(300, periods=12, seed=8, zero_inflation=0.2)
    data = dataset.data.select(PERSON, TIME, COUNT)
    if with_exposure:
        rng = np.random.default_rng(2)
        data = data.with_columns(pl.Series("exposure", rng.uniform(0.3, 1.0, data.height)))
    # Start values on the internal time scale tau = (t - centre) / scale.
    beta = [[-2.5, -0.2, 0.1], [-0.5, -0.8, -0.6], [0.6, 0.1, -0.3]]
    gamma = [[-1.0], [-1.5], [-0.7]]
    shares = [0.5, 0.3, 0.2]
    step = _native.trajectory_em_step(
        data,
        PERSON,
        TIME,
        COUNT,
        beta,
        gamma,
        shares,
        exposure="exposure" if with_exposure else None,
        model="zip",
    )
    ages = data[TIME].to_numpy().astype(float)
    times = np.unique(ages)
    centre, scale = (times.min() + times.max()) / 2, (times.max() - times.min()) / 2
    assert (step["centre"], step["scale"]) == (centre, scale)
    tau = (times - centre) / scale
    k_index = np.searchsorted(times, ages)
    ids, person_index = np.unique(data[PERSON].to_numpy(), return_inverse=True)
    first_seen = pl.Series(data[PERSON]).unique(maintain_order=True).to_list()
    y = data[COUNT].to_numpy().astype(float)
    e = data["exposure"].to_numpy() if with_exposure else np.ones_like(y)

    a = _zip_loglik(y, e, k_index, person_index, len(ids), tau, beta, gamma, shares)
    ll = logsumexp(a, axis=1)
    posterior = np.exp(a - ll[:, None])
    assert step["log_likelihood"] == pytest.approx(ll.sum(), rel=1e-12)
    # Persons come back in order of first appearance.
    order = np.searchsorted(ids, first_seen)
    np.testing.assert_allclose(np.asarray(step["posterior"]), posterior[order], atol=1e-12)

    # The M-step, by Lambert's complete-data likelihood: structural-zero probabilities z for
    # zeros, a weighted Poisson and a weighted logistic regression per group.
    for j in range(3):
        w = posterior[person_index, j]
        eta = np.polyval(beta[j][::-1], tau)[k_index]
        zeta = np.polyval(gamma[j][::-1], tau)[k_index]
        p0 = expit(zeta) + expit(-zeta) * np.exp(-e * np.exp(eta))
        z = np.where(y == 0, expit(zeta) / p0, 0.0)
        x = np.column_stack([tau[k_index] ** m for m in range(3)])

        def poisson_part(b, w=w, z=z, x=x):
            mu = e * np.exp(x @ b)
            weight = w * (1 - z)
            return x.T @ (weight * (y - mu)), -(x * (weight * mu)[:, None]).T @ x

        def zero_part(c, w=w, z=z):
            p = expit(c[0])
            return np.array([np.sum(w * (z - p))]), np.array([[-np.sum(w) * p * (1 - p)]])

        new_beta = _newton(poisson_part, beta[j])
        new_gamma = _newton(zero_part, gamma[j])
        np.testing.assert_allclose(step["beta"][j], new_beta, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(step["gamma"][j], new_gamma, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(step["shares"], posterior.mean(axis=0), rtol=1e-12)
    assert step["log_likelihood_after"] > step["log_likelihood"]


def test_zip_fit_log_likelihood_matches_numpy_at_the_estimates():
    dataset = synth.careers_panel(600, periods=15, seed=4, zero_inflation=0.3)
    data = dataset.data.select(PERSON, TIME, COUNT)
    fit = careers.trajectories(data, PERSON, TIME, COUNT, groups=3, model="zip").best
    # The reported coefficients are on the user's time scale: evaluate there.
    ages = data[TIME].to_numpy().astype(float)
    times = np.unique(ages)
    k_index = np.searchsorted(times, ages)
    ids, person_index = np.unique(data[PERSON].to_numpy(), return_inverse=True)
    s = fit.summary
    beta = [
        s.filter(pl.col("group") == g, pl.col("part") == "trajectory")["estimate"].to_list()
        for g in range(1, 4)
    ]
    gamma = [
        s.filter(pl.col("group") == g, pl.col("part") == "zero_inflation")["estimate"].to_list()
        for g in range(1, 4)
    ]
    shares = fit.adequacy["share"].to_numpy()
    y = data[COUNT].to_numpy().astype(float)
    a = _zip_loglik(y, np.ones_like(y), k_index, person_index, len(ids), times, beta, gamma, shares)
    assert fit.log_likelihood == pytest.approx(logsumexp(a, axis=1).sum(), rel=1e-9)


def test_standard_errors_match_a_numerical_hessian(panel):
    data = panel.head(8000)
    fit = careers.trajectories(data, PERSON, TIME, COUNT, groups=2, model="poisson", order=1).best
    ages = data[TIME].to_numpy().astype(float)
    ids, person_index = np.unique(data[PERSON].to_numpy(), return_inverse=True)
    y = data[COUNT].to_numpy().astype(float)

    def loglik(theta):
        b = theta[:4].reshape(2, 2)
        log_share = np.array([0.0, theta[4]]) - np.logaddexp(0.0, theta[4])
        a = np.zeros((len(ids), 2))
        for j in range(2):
            eta = b[j, 0] + b[j, 1] * ages
            a[:, j] = np.bincount(
                person_index, weights=y * eta - np.exp(eta) - gammaln(y + 1), minlength=len(ids)
            )
        return float(logsumexp(a + log_share, axis=1).sum())

    shares = fit.adequacy["share"].to_numpy()
    theta = np.concatenate([fit.summary["estimate"].to_numpy(), [math.log(shares[1] / shares[0])]])
    assert loglik(theta) == pytest.approx(fit.log_likelihood, rel=1e-10)
    covariance = np.linalg.inv(-approx_hess3(theta, loglik))
    np.testing.assert_allclose(
        fit.summary["std_error"].to_numpy(), np.sqrt(np.diag(covariance))[:4], rtol=1e-4
    )
    # Share standard errors by the delta method through the log-odds of group 2.
    se_share = shares[0] * shares[1] * math.sqrt(covariance[4, 4])
    np.testing.assert_allclose(fit.adequacy["std_error"].to_numpy(), se_share, rtol=1e-4)


def test_adequacy_equals_a_polars_computation(poisson_fits):
    m = poisson_fits.best
    j = m.groups
    posts = m.membership.select([f"posterior_{g}" for g in range(1, j + 1)]).to_numpy()
    assigned = posts.argmax(axis=1) + 1
    assert (m.membership["group"].to_numpy() == assigned).all()
    for g in range(1, j + 1):
        mine = posts[assigned == g, g - 1]
        ave = mine.mean()
        share = m.adequacy.filter(pl.col("group") == g)["share"].item()
        occ = (ave / (1 - ave)) / (share / (1 - share))
        row = m.adequacy.filter(pl.col("group") == g).row(0, named=True)
        assert row["assigned"] == len(mine)
        assert row["average_posterior"] == pytest.approx(ave, rel=1e-12)
        assert row["odds_correct_classification"] == pytest.approx(occ, rel=1e-9)
    np.testing.assert_allclose(m.adequacy["share"].to_numpy(), posts.mean(axis=0), rtol=1e-9)
    entropy = 1 + np.sum(posts * np.log(np.clip(posts, 1e-300, None))) / (
        posts.shape[0] * math.log(j)
    )
    assert m.entropy == pytest.approx(entropy, rel=1e-9)


def test_trajectory_table_is_the_fitted_polynomial(poisson_fits):
    m = poisson_fits.best
    for g in range(1, m.groups + 1):
        b = m.summary.filter(pl.col("group") == g)["estimate"].to_numpy()
        part = m.table.filter(pl.col("group") == g)
        t = part[TIME].to_numpy().astype(float)
        np.testing.assert_allclose(
            part["expected"].to_numpy(), np.exp(b[0] + b[1] * t + b[2] * t * t), rtol=1e-9
        )
        assert (part["ci_low"] <= part["expected"]).all()
        assert (part["expected"] <= part["ci_high"]).all()


# ------------------------------------------------------------------------------ determinism


def test_results_identical_for_any_thread_count(panel):
    data = panel.head(10_000)
    runs = [
        careers.trajectories(
            data, PERSON, TIME, COUNT, groups=range(1, 5), model="zip", seed=7, threads=t
        )
        for t in (1, 2, 3)
    ]
    for other in runs[1:]:
        assert_frame_equal(runs[0].comparison, other.comparison, check_exact=True)
        for j in runs[0].models:
            a, b = runs[0].models[j], other.models[j]
            assert_frame_equal(a.summary, b.summary, check_exact=True)
            assert_frame_equal(a.membership, b.membership, check_exact=True)


def test_start_subsample_large_panels_and_row_order(panel):
    # More than 5,000 persons: the starts run on a subsample; row order does not matter.
    data = synth.careers_panel(6000, periods=10, seed=2).data.select(PERSON, TIME, COUNT)
    shuffled = data.sample(fraction=1.0, shuffle=True, seed=1)
    a = careers.trajectories(data, PERSON, TIME, COUNT, groups=[1, 2, 3], model="poisson")
    b = careers.trajectories(shuffled, PERSON, TIME, COUNT, groups=[1, 2, 3], model="poisson")
    assert a.selected == b.selected == 3
    for j in (1, 2, 3):
        assert a.models[j].log_likelihood == pytest.approx(b.models[j].log_likelihood, rel=1e-9)
        assert a.models[j].starts["log_likelihood"].null_count() == 0


# ------------------------------------------------------------------------------ faces


def test_result_faces(poisson_fits):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    assert poisson_fits.plot() is not None
    assert poisson_fits.plot_selection() is not None
    plt.close("all")
    html = poisson_fits._repr_html_()
    assert "Group-based trajectory models" in html
    assert "odds_correct_classification" in html
    assert repr(poisson_fits).startswith("Trajectories(groups=[1, 2, 3, 4, 5, 6], selected=4")
    three = poisson_fits.select(3)
    assert three.selected == 3
    assert three.summary.height == 9
    with pytest.raises(ArgumentError, match="no fitted model with 9 groups"):
        poisson_fits.select(9)
    assert poisson_fits.comparison["groups"].to_list() == [1, 2, 3, 4, 5, 6]
    assert poisson_fits.best.starts.height == 10


def test_single_observation_persons_are_kept(panel):
    # Persons seen in one year only contribute that year.
    data = pl.concat(
        [
            panel.head(4000).select(PERSON, TIME, COUNT),
            pl.DataFrame(
                {PERSON: ["X1", "X2"], TIME: [15, 30], COUNT: [3, 0]},
                schema=panel.select(PERSON, TIME, COUNT).schema,
            ),
        ]
    )
    fits = careers.trajectories(data, PERSON, TIME, COUNT, groups=[1, 2], model="poisson")
    assert fits.persons == 202
    assert set(fits.membership[PERSON].to_list()) >= {"X1", "X2"}


# ------------------------------------------------------------------------------ bad input


def _small() -> pl.DataFrame:
    return pl.DataFrame(
        {"id": [1, 1, 1, 2, 2, 2], "age": [15, 16, 17, 15, 16, 17], "n": [0, 1, 2, 0, 0, 1]}
    )


@pytest.mark.parametrize(
    ("change", "kwargs", "error", "message"),
    [
        (
            {"n": [0.0, 1.0, 2.5, 0.0, 0.0, 1.0]},
            {},
            BadValueError,
            r"column `n`, row 2: expected a whole number of at least 0 \(a count\), found 2.5",
        ),
        (
            {"n": [0, 1, -1, 0, 0, 1]},
            {},
            BadValueError,
            "column `n`, row 2: expected a whole number of at least 0",
        ),
        (
            {"n": [0, 1, 2, 0, 0, 1]},
            {"model": "logit"},
            BadValueError,
            "column `n`, row 2: expected 0 or 1, found 2",
        ),
        (
            {"age": [15, 16, 16, 15, 16, 17]},
            {},
            DuplicateError,
            r"column `id, age`, row 2: duplicate value \(1, 16\) \(first seen in row 1\)",
        ),
        (
            {"n": [0, 1, None, 0, 0, 1]},
            {},
            BadValueError,
            r"column `n`, row 2: missing value \(null or NaN\)",
        ),
        (
            {"age": ["a", "b", "c", "a", "b", "c"]},
            {},
            ColumnError,
            "column `age`: expected numbers, found",
        ),
        ({}, {"model": "negbin"}, ArgumentError, "model: expected 'zip', 'poisson' or 'logit'"),
        ({}, {"order": 3}, ArgumentError, "needs at least 4 distinct times; the panel has 3"),
        ({}, {"groups": [0, 1]}, ArgumentError, "groups: expected whole numbers of at least 1"),
        ({}, {"groups": [3]}, ArgumentError, "3 groups for 2 persons"),
        ({}, {"zero_order": 3}, ArgumentError, r"zero_order`: must be between 0 and order \(2\)"),
        ({}, {"starts": 0}, ArgumentError, "starts: expected a whole number of at least 1"),
        ({}, {"level": 1.5}, ArgumentError, "level: must be between 0 and 1"),
    ],
)
def test_bad_input_is_named(change, kwargs, error, message):
    data = _small().with_columns(**{k: pl.Series(k, v) for k, v in change.items()})
    with pytest.raises(error, match=message):
        careers.trajectories(data, "id", "age", "n", **{"groups": 1, **kwargs})


def test_missing_columns_and_exposure_checks():
    with pytest.raises(ColumnError, match="column `count` not found; the table has: id, age, n"):
        careers.trajectories(_small(), "id", "age", "count")
    data = _small().with_columns(pl.Series("e", [1.0, 0.0, 1.0, 1.0, 1.0, 1.0]))
    with pytest.raises(BadValueError, match="column `n`, row 1: expected 0 where the exposure"):
        careers.trajectories(data, "id", "age", "n", exposure="e", groups=1)
    with pytest.raises(ArgumentError, match="exposure`: applies to counts"):
        careers.trajectories(
            _small().with_columns(pl.col("n").clip(0, 1), pl.lit(1.0).alias("e")),
            "id",
            "age",
            "n",
            exposure="e",
            model="logit",
            groups=1,
        )
    with pytest.raises(ArgumentError, match="person: expected a column name"):
        careers.trajectories(_small(), 1, "age", "n")  # type: ignore[arg-type]


def test_missing_rows_can_be_dropped_and_are_counted():
    data = _small().with_columns(pl.Series("n", [1, 1, None, 2, 0, 1]))
    fits = careers.trajectories(data, "id", "age", "n", groups=1, model="poisson", missing="drop")
    assert fits.rows_dropped == 1
    assert fits.best.membership.height == 2
