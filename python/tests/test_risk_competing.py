"""Competing risks against R cmprsk/survival fixtures (mgus2, written into the fixture by
make_competing.R) and independent numpy computations of the Fine-Gray information and of its
sandwich variance."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from numpy.testing import assert_allclose

from aluna.exceptions import ArgumentError, BadValueError
from aluna.risk import CoxPH, FineGray, cumulative_incidence

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "r" / "competing.json").read_text())
REF = FIXTURE["result"]
TOL = FIXTURE["tolerance"]


@pytest.fixture(scope="module")
def mgus() -> pl.DataFrame:
    return pl.DataFrame(REF["data"])


def test_cumulative_incidence_matches_cmprsk(mgus):
    ci = cumulative_incidence(mgus, duration="etime", event="event", group="male")
    at = ci.incidence_at(REF["times"])
    for row, (est, var) in zip(
        REF["cuminc"]["rows"],
        zip(REF["cuminc"]["est"], REF["cuminc"]["var"], strict=True),
        strict=True,
    ):
        group, cause = (int(v) for v in row.split())
        ours = at.filter(male=group, cause=cause)
        assert_allclose(ours["cumulative_incidence"].to_numpy(), est, atol=TOL)
        assert_allclose(ours["std_error"].to_numpy() ** 2, var, atol=1e-9, rtol=1e-6)
    tests = ci.tests
    assert tests["cause"].to_list() == [int(c) for c in REF["gray"]["cause"]]
    assert_allclose(tests["statistic"].to_numpy(), REF["gray"]["stat"], rtol=1e-6)
    assert_allclose(tests["p_value"].to_numpy(), REF["gray"]["p"], rtol=1e-5)
    assert "Gray's test" in ci._repr_html_()
    # The causes' incidences and overall survival add up to one.
    whole = cumulative_incidence(mgus, duration="etime", event="event")
    last = whole.table.group_by("cause").agg(pl.col("cumulative_incidence").last())
    assert last["cumulative_incidence"].sum() <= 1 + 1e-12


def fine_gray_information(x, time, event, beta):
    """crr's weighted risk sets, written out with plain loops (an independent check)."""
    n = len(time)
    order = np.argsort(time, kind="stable")
    cens = np.ones(n)
    g, at_risk = 1.0, n
    for t in np.unique(time):
        idx = order[time[order] == t]
        cens[idx] = g
        c = np.sum(event[idx] == 0)
        g *= 1 - c / at_risk
        at_risk -= len(idx)
    info = np.zeros((x.shape[1], x.shape[1]))
    r = np.exp(x @ beta)
    for t in np.unique(time[event == 1]):
        d = np.sum((time == t) & (event == 1))
        w = np.where(time >= t, 1.0, np.where(event > 1, cens[time == t][0] / cens, 0.0)) * r
        s0 = w.sum()
        xbar = (w[:, None] * x).sum(0) / s0
        s2 = (w[:, None, None] * x[:, :, None] * x[:, None, :]).sum(0) / s0
        info += d * (s2 - np.outer(xbar, xbar))
    return info


def fine_gray_sandwich(x, time, event, beta, info):
    """Fine & Gray (1999) sandwich I^-1 [sum (eta_i + psi_i)(eta_i + psi_i)^T] I^-1 written out
    from the paper's formulas with dense weight matrices (an independent check of the Rust
    sweep)."""
    n = len(time)
    order = np.argsort(time, kind="stable")
    cens = np.ones(n)
    g, at_risk = 1.0, n
    for t in np.unique(time):
        idx = order[time[order] == t]
        cens[idx] = g
        g *= 1 - np.sum(event[idx] == 0) / at_risk
        at_risk -= len(idx)
    r = np.exp(x @ beta)
    other = event > 1
    tk = np.unique(time[event == 1])
    g_k = np.array([cens[time == t][0] for t in tk])
    # w[k, j]: row j's weight in the risk set at t_k.
    w = np.where(
        time[None, :] >= tk[:, None],
        1.0,
        np.where(other[None, :], g_k[:, None] / cens[None, :], 0.0),
    )
    wr = w * r[None, :]
    s0 = wr.sum(1)
    xbar = wr @ x / s0[:, None]
    dlam = np.array([np.sum((time == t) & (event == 1)) for t in tk]) / s0
    # eta_i = dN part - compensator part.
    eta = np.zeros_like(x)
    for k, t in enumerate(tk):
        fail = (time == t) & (event == 1)
        eta[fail] += x[fail] - xbar[k]
        eta -= (wr[k] * dlam[k])[:, None] * (x - xbar[k])
    # psi_i = sum over censoring times u of q(u)/n(u) (dNc_i(u) - Y_i(u) dNc(u)/n(u)).
    psi = np.zeros_like(x)
    for u in np.unique(time[event == 0]):
        later = tk >= u
        early_other = other & (time < u)
        q = np.zeros(x.shape[1])
        for k in np.flatnonzero(later):
            q += dlam[k] * ((wr[k] * early_other)[:, None] * (x - xbar[k])).sum(0)
        n_u = np.sum(time >= u)
        dnc = (time == u) & (event == 0)
        psi += np.outer(dnc - (time >= u) * dnc.sum() / n_u, q / n_u)
    resid = eta + psi
    bread = np.linalg.inv(info)
    return bread @ (resid.T @ resid) @ bread


def test_fine_gray_matches_crr(mgus):
    fg = FineGray().fit(mgus, duration="etime", event="event", cause=1, covariates=["age", "male"])
    assert_allclose(fg.coef_, REF["crr"]["coef"], atol=TOL)
    assert fg.log_likelihood == pytest.approx(REF["crr"]["loglik"], abs=TOL)
    assert fg.log_likelihood_null == pytest.approx(REF["crr"]["loglik_null"], abs=TOL)
    x = mgus.select("age", "male").to_numpy().astype(float)
    time = mgus["etime"].to_numpy().astype(float)
    event = mgus["event"].to_numpy()
    info = fine_gray_information(x, time, event, fg.coef_)
    sandwich = fine_gray_sandwich(x, time, event, fg.coef_, info)
    # The numpy reference is itself crr's variance (full matrix).
    assert_allclose(sandwich, REF["crr"]["var"], rtol=1e-6)
    # Default: crr's sandwich standard errors.
    se = fg.summary["std_error"].to_numpy()
    assert_allclose(se, REF["crr"]["se"], rtol=1e-6)
    assert_allclose(se, np.sqrt(np.diag(sandwich)), rtol=1e-6)
    assert "subdistribution_hazard_ratio" in fg.summary.columns
    assert "robust sandwich" in str(fg)
    # variance="model": the inverse information, crr's solve(inf); same estimates.
    model = FineGray(variance="model").fit(
        mgus, duration="etime", event="event", cause=1, covariates=["age", "male"]
    )
    assert_allclose(model.coef_, fg.coef_, rtol=0, atol=0)
    se_model = model.summary["std_error"].to_numpy()
    assert_allclose(se_model, np.sqrt(np.diag(np.linalg.inv(info))), rtol=1e-6)
    assert_allclose(se_model, REF["crr"]["se_model"], rtol=1e-6)
    assert not np.allclose(se_model, se, rtol=1e-3)
    assert "model-based" in str(model)


def test_fine_gray_bad_variance(mgus):
    with pytest.raises(
        ArgumentError, match=r'variance: expected "robust" or "model", got .sandwich.'
    ):
        FineGray(variance="sandwich").fit(  # type: ignore[arg-type]
            mgus, duration="etime", event="event", cause=1, covariates=["age"]
        )


def test_cause_specific_cox_matches_r(mgus):
    cs = CoxPH().fit(mgus, duration="etime", event="event", covariates=["age", "male"], cause=1)
    assert_allclose(cs.coef_, REF["cause_specific"]["coef"], atol=TOL)
    assert_allclose(cs.summary["std_error"].to_numpy(), REF["cause_specific"]["se"], atol=TOL)
    assert cs.log_likelihood == pytest.approx(REF["cause_specific"]["loglik"], abs=TOL)


def test_unknown_causes(mgus):
    with pytest.raises(ArgumentError, match=r"cause.*no row has event = 3"):
        FineGray().fit(mgus, duration="etime", event="event", cause=3, covariates=["age"])
    with pytest.raises(ArgumentError, match=r"no row has event = 4"):
        CoxPH().fit(mgus, duration="etime", event="event", covariates=["age"], cause=4)
    with pytest.raises(BadValueError, match=r"expected 0 \(censored\) or 1 \(event\), found 2"):
        CoxPH().fit(mgus, duration="etime", event="event", covariates=["age"])
    bad = mgus.with_columns(
        event=pl.when(pl.int_range(pl.len()) == 5).then(-1).otherwise(pl.col("event"))
    )
    with pytest.raises(
        BadValueError, match=r"column `event`, row 5: expected 0 \(censored\) or a cause"
    ):
        cumulative_incidence(bad, duration="etime", event="event")


STRATA = json.loads(
    (Path(__file__).parent / "fixtures" / "r" / "competing_strata.json").read_text()
)["result"]


@pytest.mark.parametrize(
    ("strata", "rho", "key"), [("old", 0.0, "two_strata"), ("band", 1.0, "three_strata_rho1")]
)
def test_stratified_gray_test_matches_cmprsk(strata, rho, key):
    df = pl.DataFrame(STRATA["data"])
    ci = cumulative_incidence(
        df, duration="etime", event="event", group="male", strata=strata, rho=rho
    )
    ref = STRATA[key]
    assert ci.tests["cause"].to_list() == [int(c) for c in ref["cause"]]
    assert ci.tests["df"].to_list() == ref["df"]
    assert_allclose(ci.tests["statistic"].to_numpy(), ref["stat"], rtol=1e-6)
    assert_allclose(ci.tests["p_value"].to_numpy(), ref["p"], rtol=1e-5)
    # The curves do not depend on the strata; the test does.
    plain = cumulative_incidence(df, duration="etime", event="event", group="male", rho=rho)
    assert ci.table.equals(plain.table)
    assert not np.allclose(ci.tests["statistic"].to_numpy(), plain.tests["statistic"].to_numpy())
    # One stratum holding every row is the unstratified test, to the last bit.
    single = cumulative_incidence(
        df.with_columns(one=pl.lit("all")),
        duration="etime",
        event="event",
        group="male",
        strata="one",
        rho=rho,
    )
    assert single.tests.equals(plain.tests)


def test_stratified_gray_test_bad_input(mgus):
    with pytest.raises(ArgumentError, match=r"strata: stratifies Gray's test .* give group="):
        cumulative_incidence(mgus, duration="etime", event="event", strata="male")
    with pytest.raises(ArgumentError, match=r"strata: expected a column name, got int"):
        cumulative_incidence(mgus, duration="etime", event="event", group="male", strata=3)
