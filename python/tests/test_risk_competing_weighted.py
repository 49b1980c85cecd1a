"""Cumulative incidence with delayed entry and case weights against R survival's multi-state
Aalen-Johansen estimator and its infinitesimal-jackknife standard errors
(`survfit(Surv(entry, stop, factor(event)) ~ group, weights = w, id = row)`), on mgus2 on the
age time scale and on a synthetic cohort (both written into the fixture by
make_competing_weighted.R), plus hand-checkable cases and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from numpy.testing import assert_allclose

from aluna.exceptions import ArgumentError, BadValueError, NotDefinedError
from aluna.risk import cumulative_incidence

FIXTURE = json.loads(
    (Path(__file__).parent / "fixtures" / "r" / "competing_weighted.json").read_text()
)
REF = FIXTURE["result"]
TOL = FIXTURE["tolerance"]


def r_curves(name: str):
    """survfit's curves by (stratum label, cause): (times, pstate, std.err)."""
    fit = REF["fits"][name]
    strata = np.asarray(fit["stratum"])
    time = np.asarray(fit["time"], dtype=float)
    for label in dict.fromkeys(fit["stratum"]):
        keep = strata == label
        level = label.split("=", 1)[1] if "=" in label else None
        for state in fit["states"][1:]:
            yield (
                level,
                int(state),
                time[keep],
                np.asarray(fit["pstate"][state], dtype=float)[keep],
                np.asarray(fit["std_err"][state], dtype=float)[keep],
            )


def check(ci, name: str, group: str | None, cast=str) -> int:
    compared = 0
    for level, cause, times, est, se in r_curves(name):
        at = ci.incidence_at(times.tolist())
        at = at.filter(cause=cause)
        if group is not None:
            at = at.filter(pl.col(group) == cast(level))
        assert at.height == len(times)
        assert_allclose(at["cumulative_incidence"].to_numpy(), est, atol=TOL, rtol=0)
        assert_allclose(at["std_error"].to_numpy(), se, atol=TOL, rtol=0)
        compared += len(times)
    return compared


@pytest.fixture(scope="module")
def mgus() -> pl.DataFrame:
    return pl.DataFrame(REF["mgus"])


@pytest.fixture(scope="module")
def synthetic() -> pl.DataFrame:
    return pl.DataFrame(REF["synthetic"])


def test_delayed_entry_matches_survfit(mgus):
    ci = cumulative_incidence(mgus, duration="stop", event="event", entry="entry", group="male")
    assert check(ci, "mgus_entry", "male", int) > 1000
    assert ci.tests is None
    assert ci.variance == "jackknife"
    assert "not defined with entry times, weights or id" in ci._repr_html_()


def test_weights_match_survfit(mgus):
    ci = cumulative_incidence(mgus, duration="etime", event="event", weights="w", group="male")
    assert check(ci, "mgus_weights", "male", int) > 800
    # Weighted numbers at risk: the first row of each curve is every weight of the group.
    first = ci.table.filter(cause=1).group_by("male").agg(pl.col("at_risk").first()).sort("male")
    total = mgus.group_by("male").agg(pl.col("w").sum()).sort("male")
    assert_allclose(first["at_risk"].to_numpy(), total["w"].to_numpy(), rtol=1e-12)


def test_entry_and_weights_match_survfit(mgus):
    ci = cumulative_incidence(mgus, duration="stop", event="event", entry="entry", weights="w")
    assert check(ci, "mgus_entry_weights", None) > 500


def test_synthetic_ties_groups_and_causes_match_survfit(synthetic):
    ci = cumulative_incidence(
        synthetic, duration="stop", event="event", entry="entry", weights="w", group="arm"
    )
    assert sorted(ci.table["cause"].unique().to_list()) == [1, 2, 3]
    assert check(ci, "synthetic", "arm") > 100


def test_unit_weights_give_cmprsk_estimates_with_jackknife_errors(mgus):
    """Weights of one leave the estimate unchanged (the variance switches to the jackknife)."""
    plain = cumulative_incidence(mgus, duration="etime", event="event", group="male")
    ones = cumulative_incidence(
        mgus.with_columns(one=pl.lit(1.0)),
        duration="etime",
        event="event",
        group="male",
        weights="one",
    )
    assert plain.variance == "gray"
    assert plain.tests is not None
    assert_allclose(
        ones.table["cumulative_incidence"].to_numpy(),
        plain.table["cumulative_incidence"].to_numpy(),
        rtol=1e-12,
    )
    # Doubling every weight changes neither the estimate nor the jackknife error.
    double = cumulative_incidence(
        mgus.with_columns(two=pl.lit(2.0)),
        duration="etime",
        event="event",
        group="male",
        weights="two",
    )
    assert_allclose(double.table["std_error"], ones.table["std_error"], rtol=1e-10)


def test_id_alone_switches_to_the_jackknife(mgus):
    """One row per person with id: the jackknife of weights of one, not Gray's variance."""
    by_id = cumulative_incidence(mgus, duration="etime", event="event", id="row")
    ones = cumulative_incidence(
        mgus.with_columns(one=pl.lit(1.0)), duration="etime", event="event", weights="one"
    )
    gray = cumulative_incidence(mgus, duration="etime", event="event")
    assert by_id.variance == "jackknife"
    assert_allclose(by_id.table["std_error"], ones.table["std_error"], rtol=1e-12)
    assert (by_id.table["std_error"] - gray.table["std_error"]).abs().max() > 1e-5


def test_hand_checked_jackknife():
    """Two rows, one failing from cause 1 at t=1, one censored at t=2: F = 1/2 after t=1.
    dF/dw_1 = (1 - 1/2)/2 = 1/4, dF/dw_2 = -1/4, so se = sqrt(2)/4; an entry at 0 changes
    nothing; a row entering at 1.5 is not at risk at t=1."""
    df = pl.DataFrame(
        {"t": [1.0, 2.0, 3.0], "e": [1, 0, 2], "start": [0.0, 0.0, 1.5], "w": [1.0, 1.0, 0.0]}
    )
    ci = cumulative_incidence(df, duration="t", event="e", weights="w")
    one = ci.table.filter(cause=1)
    assert one["cumulative_incidence"].to_list()[:2] == [0.5, 0.5]
    assert_allclose(one["std_error"].to_list()[:2], [np.sqrt(2) / 4] * 2, rtol=1e-12)
    late = cumulative_incidence(df, duration="t", event="e", entry="start")
    assert late.table.filter(cause=1)["at_risk"].to_list() == [2.0, 2.0, 1.0]
    # The late entrant fails from cause 2 with S(3-) = 1/2: F_2(3) = 1/2.
    assert late.table.filter(cause=2)["cumulative_incidence"].to_list() == [0.0, 0.0, 0.5]


def test_bad_entry_and_weights(mgus):
    neg = mgus.with_columns(
        w=pl.when(pl.int_range(pl.len()) == 3).then(-1.0).otherwise(pl.col("w"))
    )
    with pytest.raises(
        BadValueError, match=r"column `w`, row 3: expected a finite, non-negative weight, found -1"
    ):
        cumulative_incidence(neg, duration="etime", event="event", weights="w")
    nan = mgus.with_columns(
        w=pl.when(pl.int_range(pl.len()) == 5).then(float("nan")).otherwise(pl.col("w"))
    )
    with pytest.raises(BadValueError, match=r"column `w`, row 5: NaN where a value is required"):
        cumulative_incidence(nan, duration="etime", event="event", weights="w")
    late = mgus.with_columns(
        entry=pl.when(pl.int_range(pl.len()) == 2).then(pl.col("stop")).otherwise(pl.col("entry"))
    )
    with pytest.raises(
        BadValueError,
        match=r"column `entry`, row 2: expected an entry time before the duration "
        r"\(stop > start\)",
    ):
        cumulative_incidence(late, duration="stop", event="event", entry="entry")
    with pytest.raises(ArgumentError, match=r"entry: expected a column name, got int"):
        cumulative_incidence(mgus, duration="stop", event="event", entry=3)  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match=r"strata: only shapes Gray's test.*weights="):
        cumulative_incidence(
            mgus, duration="etime", event="event", weights="w", group="male", strata="male"
        )
    with pytest.raises(ArgumentError, match=r"rho: only shapes Gray's test.*entry="):
        cumulative_incidence(
            mgus, duration="stop", event="event", entry="entry", group="male", rho=1.0
        )
    zero = mgus.with_columns(w=pl.lit(0.0))
    with pytest.raises(NotDefinedError, match=r"no events"):
        cumulative_incidence(zero, duration="etime", event="event", weights="w")


def test_rows_of_one_person_are_summed_by_id():
    """mgus2 split into (tstart, etime] intervals with id gives survfit's curves and errors,
    which are those of the unsplit data; without id the errors would treat each interval as
    a person of its own."""
    split = pl.DataFrame(REF["mgus_split"])
    kwargs = {"duration": "etime", "event": "event", "entry": "tstart", "weights": "w"}
    ci = cumulative_incidence(split, **kwargs, id="row", group="male")
    assert check(ci, "mgus_split", "male", int) > 800
    assert check(ci, "mgus_weights", "male", int) > 800
    rows_apart = cumulative_incidence(split, **kwargs, group="male")
    gap = (rows_apart.table["std_error"] - ci.table["std_error"]).abs().max()
    assert gap > 1e-4
    assert ci.tests is None


def test_people_with_several_intervals_match_survfit():
    people = pl.DataFrame(REF["people"])
    ci = cumulative_incidence(
        people,
        duration="stop",
        event="event",
        entry="entry",
        weights="w",
        id="person",
        group="arm",
    )
    assert check(ci, "people", "arm") > 80


def test_survival_reaching_zero_then_entries_match_survfit():
    ci = cumulative_incidence(
        pl.DataFrame({k: np.asarray(v, dtype=float) for k, v in REF["zero"].items()}),
        duration="stop",
        event="event",
        entry="entry",
        weights="w",
    )
    assert check(ci, "zero", None) == 8
    # Everyone at risk failed at t = 1: F_1 = 1/3 for good, se = sqrt(8/81) by hand.
    assert_allclose(ci.incidence_at([5.0]).filter(cause=1)["std_error"], [np.sqrt(8) / 9])


def test_overlapping_rows_of_one_person():
    df = pl.DataFrame(
        {
            "start": [0.0, 3.0, 0.0],
            "stop": [5.0, 8.0, 4.0],
            "event": [0, 1, 2],
            "person": [1, 1, 2],
        }
    )
    with pytest.raises(
        ArgumentError,
        match=r"argument `id`: the rows of one person overlap in time \(a row entering at 3",
    ):
        cumulative_incidence(df, duration="stop", event="event", entry="start", id="person")
    with pytest.raises(ArgumentError, match=r"strata: only shapes Gray's test.*id="):
        cumulative_incidence(
            df, duration="stop", event="event", id="person", group="person", strata="person"
        )
