"""Recurrent events: Andersen-Gill, PWP (total and gap time) and the mean cumulative function
against R survival fixtures (bladder2, written into the fixture by make_recurrent.R)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from numpy.testing import assert_allclose

from aluna.exceptions import ArgumentError, NotFittedError
from aluna.risk import RecurrentCox, mean_cumulative_function

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "r" / "recurrent.json").read_text())
TOL = FIXTURE["tolerance"]
COVARIATES = ["rx", "number", "size"]


@pytest.fixture(scope="module")
def bladder() -> pl.DataFrame:
    return pl.DataFrame(FIXTURE["result"]["data"])


@pytest.mark.parametrize("model", ["andersen_gill", "pwp_total", "pwp_gap"])
def test_matches_r(bladder, model):
    ref = FIXTURE["result"][model]
    fit = RecurrentCox(model=model).fit(
        bladder, duration="stop", event="event", entry="start", id="id", covariates=COVARIATES
    )
    assert_allclose(fit.coef_, ref["coef"], atol=TOL)
    assert_allclose(fit.summary["std_error"].to_numpy(), ref["se"], atol=TOL)
    assert fit.log_likelihood == pytest.approx(ref["loglik"], abs=TOL)
    assert "robust by `id`" in fit._repr_html_()


def test_event_numbers_are_rs_enum(bladder):
    # PWP strata are counted from the data; R's `enum` is the same count.
    shuffled = bladder.sample(fraction=1.0, shuffle=True, seed=4)
    a = RecurrentCox(model="pwp_total").fit(
        shuffled, duration="stop", event="event", entry="start", id="id", covariates=COVARIATES
    )
    b = RecurrentCox(model="pwp_total").fit(
        bladder, duration="stop", event="event", entry="start", id="id", covariates=COVARIATES
    )
    assert_allclose(a.coef_, b.coef_, atol=1e-12)


def test_mean_cumulative_function_matches_r(bladder):
    ref = FIXTURE["result"]["mcf"]
    mcf = mean_cumulative_function(bladder, duration="stop", event="event", entry="start", id="id")
    t = mcf.table
    assert_allclose(t["time"].to_numpy(), ref["time"])
    assert_allclose(t["at_risk"].to_numpy(), ref["n_risk"])
    assert_allclose(t["events"].to_numpy(), ref["n_event"])
    assert_allclose(t["mean_cumulative"].to_numpy(), ref["cumhaz"], atol=TOL)
    assert_allclose(t["std_error"].to_numpy(), ref["std_chaz"], atol=TOL)
    m, se = t["mean_cumulative"].to_numpy(), t["std_error"].to_numpy()
    assert_allclose(t["ci_high"].to_numpy(), m * np.exp(1.959963984540054 * se / m), rtol=1e-9)


def test_faces_and_errors(bladder):
    with pytest.raises(NotFittedError):
        _ = RecurrentCox().summary
    with pytest.raises(ArgumentError, match='model: expected "andersen_gill"'):
        RecurrentCox(model="wlw").fit(
            bladder, duration="stop", event="event", id="id", covariates=COVARIATES
        )
    with pytest.raises(ArgumentError, match="median: not defined"):
        _ = mean_cumulative_function(
            bladder, duration="stop", event="event", entry="start", id="id"
        ).median
