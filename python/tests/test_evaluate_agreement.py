"""Programme evaluation against peers on public data: statsmodels (NSW experiment and NSW vs CPS,
causaldata), statsmodels and csdid (Castle doctrine panel), R MatchIt (lalonde, fixture),
lifelines (Rossi), and closed forms recomputed in numpy (AIPW, E-values, Rosenbaum bounds)."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import causaldata
import numpy as np
import pandas as pd
import polars as pl
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from csdid.att_gt import ATTgt
from lifelines import CoxPHFitter
from lifelines.datasets import load_rossi
from lifelines.statistics import logrank_test
from scipy import stats

from aluna import evaluate

NSW_COVARIATES = ["age", "educ", "black", "hisp", "marr", "nodegree", "re74", "re75"]


@pytest.fixture(scope="module")
def nsw() -> pl.DataFrame:
    return pl.from_pandas(causaldata.nsw_mixtape.load_pandas().data)


@pytest.fixture(scope="module")
def nsw_cps(nsw: pl.DataFrame) -> pl.DataFrame:
    cps = pl.from_pandas(causaldata.cps_mixtape.load_pandas().data)
    both = pl.concat([nsw.filter(pl.col("treat") == 1), cps], how="vertical_relaxed")
    # A richer propensity model, as Dehejia & Wahba's: squares and unemployment indicators.
    return both.with_columns(
        (pl.col("age") ** 2).alias("age2"),
        (pl.col("educ") ** 2).alias("educ2"),
        (pl.col("re74") == 0).cast(pl.Int64).alias("u74"),
        (pl.col("re75") == 0).cast(pl.Int64).alias("u75"),
    )


# ============================================================================ NSW experiment


def test_nsw_experiment_difference_in_means_equals_ols_hc1(nsw: pl.DataFrame) -> None:
    eff = evaluate.difference_in_means(nsw, "treat", "re78")
    pdf = nsw.to_pandas()
    ols = sm.OLS(pdf["re78"].astype(float), sm.add_constant(pdf["treat"].astype(float))).fit(
        cov_type="HC1"
    )
    y = pdf["re78"].to_numpy(dtype=float)
    t = pdf["treat"].to_numpy() == 1
    assert eff.estimate == pytest.approx(y[t].mean() - y[~t].mean(), rel=1e-12)
    assert eff.estimate == pytest.approx(ols.params["treat"], rel=1e-10)
    assert round(eff.estimate, 2) == pytest.approx(1794.34, abs=0.01)
    assert eff.std_error == pytest.approx(ols.bse["treat"], rel=1e-10)
    lo, hi = ols.conf_int().loc["treat"]
    assert (eff.ci_low, eff.ci_high) == pytest.approx((lo, hi), rel=1e-9)


def test_nsw_experiment_ipw_without_covariates_is_the_difference_in_means(
    nsw: pl.DataFrame,
) -> None:
    ipw = evaluate.ipw(nsw, "treat", "re78", [], estimand="ATT")
    dim = evaluate.difference_in_means(nsw, "treat", "re78")
    assert ipw.estimate == pytest.approx(dim.estimate, rel=1e-12)
    # The influence-function error is HC0: HC1 without the n / (n - 2) factor.
    n = nsw.height
    assert ipw.std_error == pytest.approx(dim.std_error * math.sqrt((n - 2) / n), rel=1e-10)


# ============================================================================ NSW vs CPS


def _reference_ipw_att(pdf: pd.DataFrame, covariates: list[str]) -> dict[str, object]:
    """IPW ATT by statsmodels' logit and numpy, with the stacked M-estimation sandwich."""
    x = sm.add_constant(pdf[covariates].astype(float))
    t = pdf["treat"].to_numpy(dtype=float)
    y = pdf["re78"].to_numpy(dtype=float)
    logit = sm.Logit(t, x).fit(disp=0, tol=1e-12, maxiter=200)
    e = np.asarray(logit.predict(x))
    odds = e / (1 - e)
    mu1 = (t * y).sum() / t.sum()
    w0 = (1 - t) * odds
    mu0 = (w0 * y).sum() / w0.sum()
    xm = x.to_numpy()
    info = (xm * (e * (1 - e))[:, None]).T @ xm
    h0 = (w0 * (y - mu0)) @ xm
    a = np.linalg.solve(info, h0) / w0.sum()
    c1 = t * (y - mu1) / t.sum()
    c0 = w0 * (y - mu0) / w0.sum() + ((t - e)[:, None] * xm) @ a
    se = math.sqrt(((c1 - c0) ** 2).sum())
    weights = np.where(t == 1, 1.0, odds)
    smd = {}
    for c in covariates:
        v = pdf[c].to_numpy(dtype=float)
        sd1 = v[t == 1].std(ddof=1)
        before = (v[t == 1].mean() - v[t == 0].mean()) / sd1
        after = (v[t == 1].mean() - np.average(v[t == 0], weights=weights[t == 0])) / sd1
        smd[c] = (before, after)
    return {"estimate": mu1 - mu0, "std_error": se, "propensity": e, "smd": smd}


def test_nsw_cps_ipw_att_and_balance_equal_statsmodels_numpy(nsw_cps: pl.DataFrame) -> None:
    covs = [*NSW_COVARIATES, "age2", "educ2", "u74", "u75"]
    eff = evaluate.ipw(nsw_cps, "treat", "re78", covs, estimand="ATT")
    ref = _reference_ipw_att(nsw_cps.to_pandas(), covs)
    assert eff.estimate == pytest.approx(ref["estimate"], rel=1e-7)
    assert eff.std_error == pytest.approx(ref["std_error"], rel=1e-6)
    np.testing.assert_allclose(
        eff.weights["propensity"].to_numpy(), ref["propensity"], rtol=1e-6, atol=1e-12
    )
    table = eff.balance.table
    for c, (before, after) in ref["smd"].items():
        row = table.filter(pl.col("covariate") == c).row(0, named=True)
        assert row["smd_before"] == pytest.approx(before, rel=1e-9)
        assert row["smd_after"] == pytest.approx(after, rel=1e-5, abs=1e-8)
    # Weighting moves the CPS comparison group towards the NSW participants.
    assert eff.balance.max_smd_before > 1.0
    assert eff.balance.max_smd_after < 0.25


def test_balance_function_equals_numpy(nsw_cps: pl.DataFrame) -> None:
    w = np.where(nsw_cps["treat"].to_numpy() == 1, 1.0, 0.5 + (nsw_cps["age"].to_numpy() % 3))
    b = evaluate.balance(nsw_cps, "treat", NSW_COVARIATES, weights=w, estimand="ATE")
    t = nsw_cps["treat"].to_numpy() == 1
    for c in NSW_COVARIATES:
        v = nsw_cps[c].to_numpy().astype(float)
        sd = math.sqrt((v[t].var(ddof=1) + v[~t].var(ddof=1)) / 2)
        after = (np.average(v[t], weights=w[t]) - np.average(v[~t], weights=w[~t])) / sd

        # Unbiased weighted variance ratio.
        def wvar(x: np.ndarray, ww: np.ndarray) -> float:
            m = np.average(x, weights=ww)
            return float((ww * (x - m) ** 2).sum() * ww.sum() / (ww.sum() ** 2 - (ww**2).sum()))

        row = b.table.filter(pl.col("covariate") == c).row(0, named=True)
        assert row["smd_after"] == pytest.approx(after, rel=1e-9, abs=1e-12)
        assert row["variance_ratio_after"] == pytest.approx(
            wvar(v[t], w[t]) / wvar(v[~t], w[~t]), rel=1e-9
        )


def test_aipw_equals_numpy_closed_form(nsw_cps: pl.DataFrame) -> None:
    covs = ["age", "educ", "black", "marr", "re74", "re75"]
    pdf = nsw_cps.to_pandas()
    x = sm.add_constant(pdf[covs].astype(float))
    t = pdf["treat"].to_numpy(dtype=float)
    y = pdf["re78"].to_numpy(dtype=float)
    e = sm.Logit(t, x).fit(disp=0, tol=1e-12, maxiter=200).predict(x).to_numpy()
    m1 = sm.WLS(y, x, weights=t).fit().predict(x).to_numpy()
    m0 = sm.WLS(y, x, weights=1 - t).fit().predict(x).to_numpy()
    for estimand in ("ATE", "ATT"):
        eff = evaluate.aipw(nsw_cps, "treat", "re78", covs, estimand=estimand)
        if estimand == "ATE":
            mu1 = m1.mean() + (t * (y - m1) / e).sum() / (t / e).sum()
            mu0 = m0.mean() + ((1 - t) * (y - m0) / (1 - e)).sum() / ((1 - t) / (1 - e)).sum()
        else:
            r = e / (1 - e)
            mu1 = (t * y).sum() / t.sum()
            mu0 = (t * m0).sum() / t.sum() + ((1 - t) * r * (y - m0)).sum() / ((1 - t) * r).sum()
        assert eff.estimate == pytest.approx(mu1 - mu0, rel=1e-6), estimand


# ============================================================================ MatchIt


MATCHING = json.loads((Path(__file__).parent / "fixtures" / "r" / "matching.json").read_text())
LALONDE_COVARIATES = ["age", "educ", "black", "hispan", "married", "nodegree", "re74", "re75"]


@pytest.fixture(scope="module")
def lalonde() -> pl.DataFrame:
    r = MATCHING["result"]
    data = {k: np.asarray(v, dtype=float) for k, v in r["data"].items()}
    return pl.DataFrame(data).with_row_index("row").with_columns(pl.Series("ps", r["propensity"]))


def test_propensity_equals_matchit_glm(lalonde: pl.DataFrame) -> None:
    ps = evaluate.propensity(lalonde, "treat", LALONDE_COVARIATES)
    np.testing.assert_allclose(
        ps.scores["propensity"].to_numpy(),
        MATCHING["result"]["propensity"],
        atol=MATCHING["tolerance"]["propensity"],
    )


SPECS = {
    "nearest": {"propensity": "ps", "order": "data"},
    "ratio2_caliper": {"propensity": "ps", "order": "data", "ratio": 2, "std_caliper": False},
    "replace": {"propensity": "ps", "replace": True},
    "exact": {"propensity": "ps", "order": "data", "exact": "married"},
    "mahalanobis": {"method": "mahalanobis"},
    "mahalanobis_ratio2": {"method": "mahalanobis", "ratio": 2},
}


@pytest.mark.parametrize("name", sorted(SPECS))
def test_matching_agrees_with_matchit(lalonde: pl.DataFrame, name: str) -> None:
    spec = MATCHING["result"]["specs"][name]
    args = dict(SPECS[name])
    if name == "ratio2_caliper":
        args["caliper"] = MATCHING["result"]["caliper"]
    m = evaluate.match(lalonde, "treat", LALONDE_COVARIATES, **args)
    ours: dict[int, list[int]] = {t: [] for t in spec["treated"]}
    for t, c in m.pairs.select("treated", "comparison").iter_rows():
        ours[t].append(c)
    theirs = {
        t: (v if isinstance(v, list) else [v])
        for t, v in zip(spec["treated"], spec["matches"], strict=True)
    }
    assert ours == theirs
    w = np.zeros(lalonde.height)
    w[m.data["row"].to_numpy()] = m.data["weight"].to_numpy()
    np.testing.assert_allclose(w, spec["weights"], atol=MATCHING["tolerance"]["weights"])
    if spec["subclass"] is not None and not args.get("replace"):
        # Match ids form the same matched sets as MatchIt's subclass (whose labels follow the
        # treated rows' names sorted as strings).
        sub = dict(zip(m.data["row"].to_list(), m.data["match_id"].to_list(), strict=True))
        labelled = {row: s for row, s in enumerate(spec["subclass"]) if s != "NA"}
        assert sorted(labelled) == sorted(sub)
        pairs = {(sub[row], s) for row, s in labelled.items()}
        assert len(pairs) == m.n_treated
        assert len(pairs) == len({a for a, _ in pairs}) == len({b for _, b in pairs})


def test_matched_att_equals_matchit_weighted_regression(lalonde: pl.DataFrame) -> None:
    m = evaluate.match(lalonde, "treat", LALONDE_COVARIATES, propensity="ps", order="data")
    eff = m.effect("re78")
    assert eff.estimate == pytest.approx(MATCHING["result"]["nearest_att"], rel=1e-9)
    # Cluster-robust by matched set, as sandwich::vcovCL(cluster = ~subclass) (HC1 + G/(G-1)).
    pdf = m.data.to_pandas()
    fit = smf.wls("re78 ~ treat", data=pdf, weights=pdf["weight"]).fit(
        cov_type="cluster", cov_kwds={"groups": pdf["match_id"]}
    )
    assert eff.std_error == pytest.approx(fit.bse["treat"], rel=1e-8)


# ============================================================================ Castle doctrine


@pytest.fixture(scope="module")
def castle() -> pl.DataFrame:
    df = pl.from_pandas(causaldata.castle.load_pandas().data)
    return df.with_columns(pl.col("post").max().over("sid").alias("treated"))


def test_castle_twfe_and_clustered_se_equal_statsmodels(castle: pl.DataFrame) -> None:
    with pytest.warns(evaluate.StaggeredAdoptionWarning, match="different periods"):
        did = evaluate.difference_in_differences(
            castle, "sid", "year", "treated", "post", "l_homicide", cluster="sid"
        )
    pdf = castle.to_pandas()
    fit = smf.ols("l_homicide ~ post + C(sid) + C(year)", data=pdf).fit(
        cov_type="cluster", cov_kwds={"groups": pdf["sid"]}
    )
    assert did.estimate == pytest.approx(fit.params["post"], rel=1e-9)
    assert did.std_error == pytest.approx(fit.bse["post"], rel=1e-8)
    assert did.staggered
    # Goodman-Bacon: the weights sum to one and reproduce the TWFE estimate.
    assert did.bacon is not None
    assert did.bacon.table["weight"].sum() == pytest.approx(1.0, abs=1e-12)
    assert did.bacon.twfe_estimate == pytest.approx(did.estimate, rel=1e-9)
    assert set(did.bacon.table["type"]) == {
        "treated vs never treated",
        "earlier vs later treated",
        "later vs earlier treated",
    }


def test_castle_event_study_equals_statsmodels(castle: pl.DataFrame) -> None:
    with pytest.warns(evaluate.StaggeredAdoptionWarning):
        did = evaluate.difference_in_differences(
            castle, "sid", "year", "treated", "post", "l_homicide", leads=5, lags=4
        )
    first = castle.filter(pl.col("post") == 1).group_by("sid").agg(pl.col("year").min().alias("g"))
    pdf = castle.join(first, on="sid", how="left").to_pandas()
    rel = (pdf["year"] - pdf["g"]).clip(-5, 4)
    names = []
    for e in sorted(set(rel.dropna().astype(int)) - {-1}):
        name = f"rel_m{-e}" if e < 0 else f"rel_p{e}"
        pdf[name] = (rel == e).astype(float)
        names.append((e, name))
    fit = smf.ols(
        "l_homicide ~ " + " + ".join(n for _, n in names) + " + C(sid) + C(year)", data=pdf
    ).fit(cov_type="cluster", cov_kwds={"groups": pdf["sid"]})
    es = did.event_study
    for e, name in names:
        row = es.filter(pl.col("event_time") == e).row(0, named=True)
        assert row["estimate"] == pytest.approx(fit.params[name], rel=1e-8, abs=1e-12)
        assert row["std_error"] == pytest.approx(fit.bse[name], rel=1e-7)
    assert es.filter(pl.col("event_time") == -1)["estimate"].item() == 0.0


def _csdid(castle: pl.DataFrame, control: str) -> ATTgt:
    first = castle.filter(pl.col("post") == 1).group_by("sid").agg(pl.col("year").min().alias("g"))
    pdf = (
        castle.join(first, on="sid", how="left")
        .with_columns(pl.col("g").fill_null(0))
        .select("sid", "year", "g", "l_homicide")
        .to_pandas()
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ATTgt(
            yname="l_homicide",
            tname="year",
            idname="sid",
            gname="g",
            data=pdf,
            control_group=control,
        ).fit(est_method="dr", bstrap=False)


@pytest.mark.parametrize(
    ("control", "theirs"), [("never", "nevertreated"), ("not_yet", "notyettreated")]
)
def test_callaway_santanna_equals_csdid(castle: pl.DataFrame, control: str, theirs: str) -> None:
    ref = _csdid(castle, theirs)
    cohort = (
        castle.filter(pl.col("post") == 1).group_by("sid").agg(pl.col("year").min().alias("first"))
    )
    panel = castle.join(cohort, on="sid", how="left")
    cs = evaluate.callaway_santanna(
        panel, unit="sid", time="year", cohort="first", outcome="l_homicide", control=control
    )
    r = ref.results
    theirs_frame = pl.DataFrame(
        {
            "group": np.asarray(r["group"], dtype=float),
            "time": np.asarray(r["year"], dtype=float),
            "att": np.asarray(r["att"], dtype=float),
            "se": np.asarray(r["se"], dtype=float),
        }
    )
    joined = cs.table.join(theirs_frame, on=["group", "time"], how="inner")
    assert joined.height == theirs_frame.height == cs.table.height
    # castle's outcome is stored in float32; csdid computes in its precision.
    np.testing.assert_allclose(joined["estimate"], joined["att"], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(joined["std_error"], joined["se"], rtol=1e-6)
    for kind, ours in (("simple", cs.overall), ("dynamic", cs.event_study)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            agg = ref.aggte(typec=kind, bstrap=False)
        out = agg.atte if hasattr(agg, "atte") else agg
        if kind == "simple":
            assert ours.estimate == pytest.approx(out["overall_att"], rel=1e-6)
            assert ours.std_error == pytest.approx(out["overall_se"], rel=1e-6)
        else:
            e = np.asarray(out["egt"], dtype=float)
            est = np.asarray(out["att_egt"], dtype=float)
            se = np.asarray(out["se_egt"], dtype=float).ravel()
            mine = ours.sort("event_time")
            np.testing.assert_allclose(mine["event_time"], e)
            np.testing.assert_allclose(mine["estimate"], est, rtol=1e-6, atol=1e-7)
            np.testing.assert_allclose(mine["std_error"], se, rtol=1e-6)


# ============================================================================ Rossi


def test_rossi_financial_aid_logrank_and_hazard_ratio_equal_lifelines() -> None:
    rossi = load_rossi()
    eff = evaluate.survival_effect(pl.from_pandas(rossi), "fin", duration="week", event="arrest")
    aid = rossi["fin"] == 1
    lr = logrank_test(
        rossi.loc[aid, "week"],
        rossi.loc[~aid, "week"],
        rossi.loc[aid, "arrest"],
        rossi.loc[~aid, "arrest"],
    )
    assert eff.logrank.statistic == pytest.approx(lr.test_statistic, rel=1e-9)
    assert eff.logrank.p_value == pytest.approx(lr.p_value, rel=1e-8)
    cph = CoxPHFitter().fit(rossi[["week", "arrest", "fin"]], "week", "arrest")
    assert eff.hazard_ratio.estimate == pytest.approx(cph.params_["fin"], rel=1e-6)
    assert eff.hazard_ratio.std_error == pytest.approx(cph.standard_errors_["fin"], rel=1e-6)
    # RMST at 52 weeks by arm equals lifelines' restricted mean of the Kaplan–Meier curve.
    from lifelines import KaplanMeierFitter
    from lifelines.utils import restricted_mean_survival_time

    for arm, mask in ((1, aid), (0, ~aid)):
        km = KaplanMeierFitter().fit(rossi.loc[mask, "week"], rossi.loc[mask, "arrest"])
        ref = restricted_mean_survival_time(km, t=52)
        ours = eff.rmst.filter(pl.col("fin") == arm)["rmst"].item()
        assert ours == pytest.approx(ref, rel=1e-9)


def test_rmst_standard_error_is_close_to_greenwood() -> None:
    """Unweighted, the infinitesimal-jackknife RMST error is close to the Greenwood-based one
    (Klein & Moeschberger's variance of the restricted mean, computed here in numpy)."""
    rossi = load_rossi()
    eff = evaluate.survival_effect(
        pl.from_pandas(rossi), "fin", duration="week", event="arrest", tau=52
    )
    for arm in (0, 1):
        part = rossi[rossi["fin"] == arm]
        t = part["week"].to_numpy(float)
        d = part["arrest"].to_numpy(float)
        times = np.unique(t[d == 1])
        at_risk = np.array([(t >= s).sum() for s in times])
        events = np.array([((t == s) & (d == 1)).sum() for s in times])
        surv = np.cumprod(1 - events / at_risk)
        edges = np.concatenate([times, [52.0]])
        area = surv * np.diff(edges)
        tail = np.cumsum(area[::-1])[::-1]
        var = (tail**2 * events / (at_risk * (at_risk - events))).sum()
        ours = eff.rmst.filter(pl.col("fin") == arm)["std_error"].item()
        assert ours == pytest.approx(math.sqrt(var), rel=0.02)


# ============================================================================ sensitivity


def test_e_values_equal_closed_forms() -> None:
    def e(rr: float) -> float:
        rr = 1 / rr if rr < 1 else rr
        return rr + math.sqrt(rr * (rr - 1))

    ev = evaluate.e_value(3.9, 1.8, 8.7)
    assert (ev.point, ev.ci) == pytest.approx((e(3.9), e(1.8)), rel=1e-12)
    ev = evaluate.e_value(0.8, 0.71, 0.91)
    assert (ev.point, ev.ci) == pytest.approx((e(0.8), e(0.91)), rel=1e-12)
    assert evaluate.e_value(1.3, 0.9, 1.8).ci == 1.0
    ev = evaluate.e_value(2.25, measure="odds_ratio")
    assert ev.point == pytest.approx(e(1.5), rel=1e-12)
    assert evaluate.e_value(2.25, measure="odds_ratio", rare=True).point == pytest.approx(e(2.25))
    hr = 0.7
    rr = (1 - 0.5 ** math.sqrt(hr)) / (1 - 0.5 ** math.sqrt(1 / hr))
    assert evaluate.e_value(hr, measure="hazard_ratio").point == pytest.approx(e(rr), rel=1e-12)
    ev = evaluate.e_value(-0.05, -0.08, -0.02, measure="risk_difference", baseline_risk=0.3)
    assert ev.point == pytest.approx(e(0.25 / 0.3), rel=1e-12)
    assert ev.ci == pytest.approx(e(0.28 / 0.3), rel=1e-12)
    assert evaluate.e_value(0.5, measure="mean_difference", sd=2.0).point == pytest.approx(
        e(math.exp(0.91 * 0.25)), rel=1e-12
    )


# Morton et al. (1982): blood lead (µg/dl) of 33 children whose parents worked in a battery
# factory and of 33 matched neighbourhood controls, Rosenbaum's (2002, §4.3) worked example.
LEAD_EXPOSED = [
    38,
    23,
    41,
    18,
    37,
    36,
    23,
    62,
    31,
    34,
    24,
    14,
    21,
    17,
    16,
    20,
    15,
    10,
    45,
    39,
    22,
    35,
    49,
    48,
    44,
    35,
    43,
    39,
    34,
    13,
    73,
    25,
    27,
]
LEAD_CONTROL = [
    16,
    18,
    18,
    24,
    19,
    11,
    10,
    15,
    16,
    18,
    18,
    13,
    19,
    10,
    16,
    16,
    24,
    13,
    9,
    14,
    21,
    19,
    7,
    18,
    19,
    12,
    11,
    22,
    25,
    16,
    13,
    11,
    13,
]


def test_rosenbaum_bounds_equal_numpy_on_the_lead_example() -> None:
    d = np.array(LEAD_EXPOSED, float) - np.array(LEAD_CONTROL, float)
    gammas = [1.0, 2.0, 3.0, 4.0, 4.25, 5.0, 6.0]
    rb = evaluate.rosenbaum_bounds(d, gamma=gammas)
    nz = d[d != 0]
    ranks = stats.rankdata(np.abs(nz))
    t_plus = ranks[nz > 0].sum()
    assert rb.statistic == t_plus
    for g, row in zip(gammas, rb.table.iter_rows(named=True), strict=True):
        for p, key in ((g / (1 + g), "p_upper"), (1 / (1 + g), "p_lower")):
            z = (t_plus - p * ranks.sum()) / math.sqrt(p * (1 - p) * (ranks**2).sum())
            assert row[key] == pytest.approx(stats.norm.sf(z), rel=1e-9, abs=1e-15)
    # At Γ = 1 both bounds are the usual signed-rank test (normal approximation, no
    # continuity correction): scipy's.
    w = stats.wilcoxon(nz, alternative="greater", method="approx", correction=False)
    assert rb.table["p_upper"][0] == pytest.approx(w.pvalue, rel=1e-9)
    # Rosenbaum: the lead effect is insensitive to biases up to about Γ = 4.
    assert rb.sensitivity(0.05) >= 4.0
