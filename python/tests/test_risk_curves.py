"""Kaplan-Meier, Nelson-Aalen and log-rank against lifelines and statsmodels (computed here)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import KaplanMeierFitter, NelsonAalenFitter
from lifelines.datasets import load_rossi
from lifelines.statistics import multivariate_logrank_test
from numpy.testing import assert_allclose
from statsmodels.duration.survfunc import survdiff

from aluna.exceptions import BadValueError
from aluna.risk import kaplan_meier, logrank, nelson_aalen


@pytest.fixture(scope="module")
def rossi() -> pl.DataFrame:
    return (
        pl.from_pandas(load_rossi())
        .with_row_index("id")
        .with_columns(w=1 + (pl.col("id") % 3) / 2, entry=(pl.col("id") % 7).cast(pl.Float64))
    )


def lifelines_table(kmf, value: str) -> pl.DataFrame:
    table = kmf.event_table.reset_index()
    est = getattr(kmf, value).reset_index()
    ci = kmf.confidence_interval_.reset_index()
    return pl.DataFrame(
        {
            "time": table["event_at"].to_numpy().astype(float),
            "at_risk": table["at_risk"].to_numpy().astype(float),
            "events": table["observed"].to_numpy().astype(float),
            "censored": table["censored"].to_numpy().astype(float),
            "estimate": est.iloc[:, 1].to_numpy(),
            "ci_low": ci.iloc[:, 1].to_numpy(),
            "ci_high": ci.iloc[:, 2].to_numpy(),
        }
    ).filter(pl.col("time") > 0)


def check_against(
    ours: pl.DataFrame, ref: pl.DataFrame, value: str, counts=("at_risk", "events", "censored")
) -> None:
    assert_allclose(ours["time"].to_numpy(), ref["time"].to_numpy())
    for col in counts:
        assert_allclose(ours[col].to_numpy(), ref[col].to_numpy(), atol=1e-9)
    assert_allclose(ours[value].to_numpy(), ref["estimate"].to_numpy(), atol=1e-9)
    assert_allclose(ours["ci_low"].to_numpy(), ref["ci_low"].to_numpy(), atol=1e-6)
    assert_allclose(ours["ci_high"].to_numpy(), ref["ci_high"].to_numpy(), atol=1e-6)


def test_kaplan_meier_matches_lifelines(rossi):
    km = kaplan_meier(rossi, duration="week", event="arrest")
    kmf = KaplanMeierFitter().fit(rossi["week"].to_numpy(), rossi["arrest"].to_numpy())
    check_against(km.table, lifelines_table(kmf, "survival_function_"), "survival")
    assert km.median == kmf.median_survival_time_  # inf: Rossi never reaches 0.5
    at = km.survival_at([0, 10, 10.5, 52, 100])
    assert_allclose(
        at["survival"].to_numpy(), kmf.survival_function_at_times([0, 10, 10.5, 52, 100])
    )
    assert km.rows_dropped == 0
    assert "rows dropped (missing)" in km._repr_html_()


@pytest.mark.filterwarnings("ignore::lifelines.exceptions.StatisticalWarning")
def test_weighted_and_delayed_entry_match_lifelines(rossi):
    km = kaplan_meier(rossi, duration="week", event="arrest", weights="w")
    kmf = KaplanMeierFitter().fit(
        rossi["week"].to_numpy(), rossi["arrest"].to_numpy(), weights=rossi["w"].to_numpy()
    )
    # lifelines truncates weighted numbers at risk to integers in Greenwood's sum (and rounds a
    # censored count); the curve itself must agree, the interval is checked by its formula.
    ref = lifelines_table(kmf, "survival_function_")
    assert_allclose(km.table["survival"].to_numpy(), ref["estimate"].to_numpy(), atol=1e-9)
    assert_allclose(km.table["at_risk"].to_numpy(), ref["at_risk"].to_numpy(), atol=1e-9)
    n, d, s = (km.table[c].to_numpy() for c in ("at_risk", "events", "survival"))
    v, log_s = np.cumsum(d / (n * (n - d))), np.log(s)
    z = 1.959963984540054
    low = np.exp(-np.exp(np.log(-log_s) - z * np.sqrt(v) / log_s))
    assert_allclose(km.table["ci_low"].to_numpy(), low, atol=1e-9)
    entered = rossi.filter(pl.col("entry") < pl.col("week"))
    km = kaplan_meier(entered, duration="week", event="arrest", entry="entry")
    # aluna (like R) is at risk on (entry, duration]; lifelines on [entry, duration]. With whole
    # weeks, lifelines given entry + 0.5 has exactly aluna's risk sets.
    kmf = KaplanMeierFitter().fit(
        entered["week"].to_numpy(),
        entered["arrest"].to_numpy(),
        entry=entered["entry"].to_numpy() + 0.5,
    )
    ref = lifelines_table(kmf, "survival_function_")
    # lifelines lists entry-only times too; compare where something ended.
    ref = ref.filter((pl.col("events") + pl.col("censored")) > 0)
    check_against(km.table, ref, "survival")


def test_groups_and_nelson_aalen(rossi):
    km = kaplan_meier(rossi, duration="week", event="arrest", group="fin")
    for level in (0, 1):
        part = rossi.filter(pl.col("fin") == level)
        kmf = KaplanMeierFitter().fit(part["week"].to_numpy(), part["arrest"].to_numpy())
        ours = km.table.filter(pl.col("fin") == level)
        check_against(ours, lifelines_table(kmf, "survival_function_"), "survival")
    assert km.table.columns[0] == "fin"
    assert km.median.columns == ["fin", "median"]
    na = nelson_aalen(rossi, duration="week", event="arrest")
    naf = NelsonAalenFitter(nelson_aalen_smoothing=False).fit(
        rossi["week"].to_numpy(), rossi["arrest"].to_numpy()
    )
    check_against(na.table, lifelines_table(naf, "cumulative_hazard_"), "cumulative_hazard")


def test_whole_days_read_in_place_match_lifelines_and_the_general_path():
    # The benchmark's shape: re-arrest in whole days over two years, durations as floats and as
    # integers, integer events (read in place by the native fast path, in several blocks).
    rng = np.random.default_rng(3)
    t = rng.exponential(400, size=200_000)
    days = np.ceil(np.minimum(t, 730.0))
    event = (t < 730).astype(np.int64)
    df = pl.DataFrame(
        {"days": days, "int_days": days.astype(np.int64), "e": event, "one": np.ones(days.size)}
    )
    ref = lifelines_table(KaplanMeierFitter().fit(days, event), "survival_function_")
    # Weights take the general path (SurvivalData); weights of 1 must give the same bits.
    general = kaplan_meier(df, duration="days", event="e", weights="one").table
    for duration in ("days", "int_days"):
        km = kaplan_meier(df, duration=duration, event="e")
        check_against(km.table, ref, "survival")
        assert km.table.equals(general)
    na = nelson_aalen(df, duration="days", event="e")
    naf = NelsonAalenFitter(nelson_aalen_smoothing=False).fit(days, event)
    check_against(na.table, lifelines_table(naf, "cumulative_hazard_"), "cumulative_hazard")
    # Data off the fast path take the general one: half days, and rows dropped as missing.
    half = df.with_columns(pl.col("days") - 0.5)
    ref = lifelines_table(KaplanMeierFitter().fit(days - 0.5, event), "survival_function_")
    check_against(kaplan_meier(half, duration="days", event="e").table, ref, "survival")
    gaps = df.with_columns(
        days=pl.when(pl.int_range(pl.len()) % 1000 == 0).then(None).otherwise(pl.col("days"))
    )
    km = kaplan_meier(gaps, duration="days", event="e", missing="drop")
    assert km.rows_dropped == 200
    kept = gaps.drop_nulls("days")
    ref = KaplanMeierFitter().fit(kept["days"].to_numpy(), kept["e"].to_numpy())
    check_against(km.table, lifelines_table(ref, "survival_function_"), "survival")
    # A bad value late in the data is reported by the general path, naming the user's row.
    bad = gaps.with_columns(e=pl.when(pl.int_range(pl.len()) == 150_001).then(2).otherwise("e"))
    with pytest.raises(BadValueError, match=r"`e`, row 150001: expected 0 \(censored\) or 1"):
        kaplan_meier(bad, duration="days", event="e", missing="drop")


def test_in_place_path_reads_chunks_and_float_events_and_names_bad_rows():
    # Whole days in a frame of several chunks (the native fast path reads each Arrow chunk in
    # place), with events as floats 0.0/1.0 rather than integers.
    rng = np.random.default_rng(11)
    t = rng.exponential(300, size=150_000)
    days = np.ceil(np.minimum(t, 500.0))
    event = (t < 500).astype(np.float64)
    parts = [
        pl.DataFrame({"days": days[a:b], "e": event[a:b], "one": np.ones(b - a)})
        for a, b in [(0, 40_001), (40_001, 110_000), (110_000, 150_000)]
    ]
    df = pl.concat(parts, rechunk=False)
    assert df.n_chunks() == 3
    ref = lifelines_table(KaplanMeierFitter().fit(days, event), "survival_function_")
    km = kaplan_meier(df, duration="days", event="e")
    check_against(km.table, ref, "survival")
    assert km.table.equals(kaplan_meier(df.rechunk(), duration="days", event="e").table)
    # Weights of 1 take the general path: the same bits.
    assert km.table.equals(kaplan_meier(df, duration="days", event="e", weights="one").table)
    # Whole numbers too large to count by index (seconds) take the general path.
    seconds = df.with_columns(pl.col("days") * 86_400.0)
    ref = lifelines_table(KaplanMeierFitter().fit(days * 86_400.0, event), "survival_function_")
    check_against(kaplan_meier(seconds, duration="days", event="e").table, ref, "survival")
    # A negative duration in the last chunk: the general path names the user's row.
    first_negative = pl.when(pl.int_range(pl.len()) == 0).then(-3.0).otherwise(pl.col("days"))
    bad = pl.concat([*parts[:2], parts[2].with_columns(days=first_negative)], rechunk=False)
    with pytest.raises(
        BadValueError, match=r"`days`, row 110000: expected a finite, non-negative duration"
    ):
        kaplan_meier(bad, duration="days", event="e")
    with pytest.raises(BadValueError, match=r"`days`, row 110000"):
        nelson_aalen(bad, duration="days", event="e")


@pytest.mark.parametrize("groups", [2, 4])
def test_logrank_matches_lifelines_and_statsmodels(rossi, groups):
    df = rossi.with_columns(g=(pl.col("prio") % groups) if groups > 2 else pl.col("fin"))
    ours = logrank(df, duration="week", event="arrest", group="g")
    ref = multivariate_logrank_test(
        df["week"].to_numpy(), df["g"].to_numpy(), df["arrest"].to_numpy()
    )
    assert ours.statistic == pytest.approx(ref.test_statistic, abs=1e-6)
    assert ours.df == groups - 1
    assert ours.p_value == pytest.approx(ref.p_value, rel=1e-6)
    stat, _ = survdiff(df["week"].to_numpy(), df["arrest"].to_numpy(), df["g"].to_numpy())
    assert ours.statistic == pytest.approx(stat, abs=1e-6)
    assert ours.summary["observed"].sum() == df["arrest"].sum()
    assert ours.summary["expected"].sum() == pytest.approx(df["arrest"].sum())


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 30), st.booleans(), st.floats(0.1, 3.0)), min_size=1, max_size=60
    )
)
def test_kaplan_meier_stays_in_unit_interval_and_never_rises(rows):
    df = pl.DataFrame(
        {"t": [r[0] for r in rows], "e": [int(r[1]) for r in rows], "w": [r[2] for r in rows]}
    )
    table = kaplan_meier(df, duration="t", event="e", weights="w").table
    s = table["survival"].to_numpy()
    assert np.all((s >= 0) & (s <= 1))
    assert np.all(np.diff(s) <= 1e-15)
    assert np.all(table["ci_low"].to_numpy() <= s + 1e-12)
    assert np.all(table["ci_high"].to_numpy() >= s - 1e-12)
    assert not table.select(pl.all().is_nan().any()).row(0)[1:].count(True)
