"""Career parameters, diversity, forward specialisation and escalation: hand-checked cases and
independent polars / statsmodels computations on the synthetic careers panel."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
import statsmodels.api as sm
from polars.testing import assert_frame_equal
from scipy import stats

from aluna import careers, datasets, synth
from aluna.exceptions import ArgumentError, BadValueError, ColumnError, NotDefinedError

TYPES = ["sexual_offences", "violent_offences", "theft_offences", "drug_offences", "fraud_offences"]
SERIOUSNESS = {
    "sexual_offences": 5.0,
    "violent_offences": 4.0,
    "drug_offences": 3.0,
    "theft_offences": 2.0,
    "fraud_offences": 2.0,
}


@pytest.fixture(scope="module")
def panel() -> pl.DataFrame:
    return datasets.load("careers_panel").data


@pytest.fixture(scope="module")
def events(panel: pl.DataFrame) -> pl.DataFrame:
    """One row per person, year and offence type with its count (offences in the same year in
    the order of the type columns)."""
    return (
        panel.unpivot(index=["person_id", "age"], on=TYPES, variable_name="type", value_name="n")
        .filter(pl.col("n") > 0)
        .with_row_index("row")
    )


def _sequences(events: pl.DataFrame) -> pl.DataFrame:
    """One row per offence, in each person's order (time, then table order)."""
    return (
        events.with_columns(pl.int_ranges(0, pl.col("n")).alias("copy"))
        .explode("copy")
        .sort(["person_id", "age", "row", "copy"])
    )


# ------------------------------------------------------------------------------ career parameters


def test_career_parameters_equal_a_polars_computation(panel):
    ours = careers.career_parameters(
        panel, "person_id", "age", offences="total_offences", sexual="sexual_offences"
    )
    active = pl.col("total_offences") > 0
    ref = panel.group_by("person_id", maintain_order=True).agg(
        pl.len().cast(pl.Int64).alias("periods"),
        pl.col("age").min().cast(pl.Int64).alias("observed_from"),
        pl.col("age").max().cast(pl.Int64).alias("observed_to"),
        pl.col("total_offences").sum().cast(pl.Int64).alias("offences"),
        active.sum().cast(pl.Int64).alias("active_periods"),
        pl.col("age").filter(active).min().cast(pl.Int64).alias("onset_age"),
        pl.col("age").filter(active).max().cast(pl.Int64).alias("last_offence_age"),
        pl.col("sexual_offences").sum().cast(pl.Int64).alias("sexual_offences"),
    )
    ref = ref.with_columns(
        (pl.col("last_offence_age") - pl.col("onset_age")).alias("career_length"),
    ).with_columns(
        (pl.col("offences") / (pl.col("career_length") + 1)).alias("frequency"),
        (pl.col("offences") - pl.col("sexual_offences")).alias("other_offences"),
        pl.when(pl.col("offences") > 0)
        .then(pl.col("sexual_offences") / pl.col("offences"))
        .alias("sexual_share"),
    )
    ref = ref.with_columns(
        pl.when(pl.col("offences") > 0).then(1 - pl.col("sexual_share")).alias("other_share")
    )
    assert_frame_equal(ours, ref.select(ours.columns), check_exact=False, rel_tol=1e-12)
    assert ours["onset_age"].null_count() == (ours["offences"] == 0).sum()


def test_career_parameters_from_one_row_per_offence():
    records = pl.DataFrame(
        {
            "id": ["a", "a", "a", "b"],
            "age": [19.5, 17.0, 23.0, 30.0],
            "sexual": [True, False, False, True],
        }
    )
    out = careers.career_parameters(records, "id", "age", sexual="sexual").sort("id")
    assert out.select(
        "id", "offences", "onset_age", "career_length", "frequency", "sexual_offences"
    ).rows() == [("a", 3, 17.0, 6.0, 3 / 7, 1), ("b", 1, 30.0, 0.0, 1.0, 1)]


def test_career_parameters_bad_input():
    df = pl.DataFrame({"id": [1, 1], "age": [15, 16], "n": [1, 2], "s": [0, 3]})
    with pytest.raises(BadValueError, match="column `s`, row 1: expected no more sexual"):
        careers.career_parameters(df, "id", "age", offences="n", sexual="s")
    with pytest.raises(BadValueError, match="column `n`, row 0: expected a whole number"):
        careers.career_parameters(
            df.with_columns(pl.Series("n", [-1, 2])), "id", "age", offences="n"
        )
    with pytest.raises(ArgumentError, match="period: expected a positive number"):
        careers.career_parameters(df, "id", "age", offences="n", period=0)
    with pytest.raises(ColumnError, match="column `total` not found"):
        careers.career_parameters(df, "id", "age", offences=["n", "total"])


# ------------------------------------------------------------------------------ diversity


def test_diversity_equals_a_polars_computation(panel, events):
    wide = careers.diversity(panel, "person_id", types=TYPES)
    long = careers.diversity(events, "person_id", "type", count="n")
    k = len(TYPES)
    ref = (
        events.group_by("person_id", "type")
        .agg(pl.col("n").sum())
        .with_columns((pl.col("n") / pl.col("n").sum().over("person_id")).alias("p"))
        .group_by("person_id")
        .agg(
            pl.col("n").sum().cast(pl.Int64).alias("offences"),
            pl.len().cast(pl.Int64).alias("types"),
            (1 - (pl.col("p") ** 2).sum()).alias("diversity"),
        )
        .with_columns((pl.col("diversity") / (1 - 1 / k)).alias("diversity_normalised"))
    )
    for ours in (wide.filter(pl.col("offences") > 0), long):
        assert_frame_equal(
            ours.sort("person_id"),
            ref.select(ours.columns).sort("person_id"),
            check_exact=False,
            rel_tol=1e-12,
        )
    assert wide.height == panel["person_id"].n_unique()
    assert (
        wide.filter(pl.col("offences") == 0)["diversity"].null_count()
        == (wide["offences"] == 0).sum()
    )


def test_diversity_bad_input(events):
    with pytest.raises(ArgumentError, match="give either offence_type"):
        careers.diversity(events, "person_id", "type", types=TYPES)
    with pytest.raises(ArgumentError, match="give offence_type"):
        careers.diversity(events, "person_id")
    with pytest.raises(BadValueError, match="column `n`, row 0: expected a whole number"):
        careers.diversity(events.with_columns(pl.col("n") * 0.5), "person_id", "type", count="n")


# ------------------------------------------------------------------------------ specialisation


def test_forward_specialisation_worked_example():
    # Transitions: A->A, A->B (person 1); B->B, B->A (2); B->B (3); A (4) has none.
    records = pl.DataFrame(
        {
            "id": [1, 1, 1, 2, 2, 2, 3, 3, 4],
            "when": [1, 2, 3, 1, 4, 5, 2, 3, 1],
            "type": ["A", "A", "B", "B", "B", "A", "B", "B", "A"],
        }
    )
    s = careers.forward_specialisation(records.reverse(), "id", "when", "type")
    # O = [[1, 1], [1, 2]], N = 5, R = C = (2, 3): E_AA = 0.8, E_BB = 1.8.
    assert s.table.select("type", "transitions", "repeats", "expected").rows() == [
        ("A", 2.0, 1.0, 0.8),
        ("B", 3.0, 2.0, pytest.approx(1.8)),
    ]
    np.testing.assert_allclose(s.table["forward_specialisation"], [0.2 / 1.2, 0.2 / 1.2])
    ars = 0.2 / np.sqrt(0.8 * (1 - 2 / 5) * (1 - 2 / 5))
    assert s.table["adjusted_residual"][0] == pytest.approx(ars)
    assert s.table["p_value"][0] == pytest.approx(2 * stats.norm.sf(ars))
    assert s.overall == pytest.approx((3 - 2.6) / (5 - 2.6))
    assert (s.total, s.persons) == (5, 3)
    assert s.transitions.filter(pl.col("from") == "A", pl.col("to") == "B")["count"].item() == 1


def test_forward_specialisation_equals_a_polars_computation(events):
    ours = careers.forward_specialisation(events, "person_id", "age", "type", count="n")
    seq = _sequences(events)
    pairs = (
        seq.with_columns(pl.col("type").shift(1).over("person_id").alias("previous"))
        .drop_nulls("previous")
        .group_by("previous", "type")
        .len()
    )
    n = pairs["len"].sum()
    rows = pairs.group_by("previous").agg(pl.col("len").sum().alias("r"))
    cols = pairs.group_by("type").agg(pl.col("len").sum().alias("c"))
    ref = (
        rows.join(cols, left_on="previous", right_on="type")
        .join(
            pairs.filter(pl.col("previous") == pl.col("type")).select("type", "len"),
            left_on="previous",
            right_on="type",
            how="left",
        )
        .with_columns(pl.col("len").fill_null(0), (pl.col("r") * pl.col("c") / n).alias("e"))
        .with_columns(
            ((pl.col("len") - pl.col("e")) / (pl.col("r") - pl.col("e"))).alias("fsc"),
            (
                (pl.col("len") - pl.col("e"))
                / (pl.col("e") * (1 - pl.col("r") / n) * (1 - pl.col("c") / n)).sqrt()
            ).alias("ars"),
        )
        .sort("previous")
    )
    assert ours.table["type"].to_list() == ref["previous"].to_list()
    np.testing.assert_allclose(ours.table["repeats"], ref["len"], rtol=0)
    np.testing.assert_allclose(ours.table["expected"], ref["e"], rtol=1e-12)
    np.testing.assert_allclose(ours.table["forward_specialisation"], ref["fsc"], rtol=1e-12)
    np.testing.assert_allclose(ours.table["adjusted_residual"], ref["ars"], rtol=1e-12)
    kappa = (ref["len"].sum() - ref["e"].sum()) / (n - ref["e"].sum())
    assert ours.overall == pytest.approx(kappa, rel=1e-12)
    # A row with a count stands for that many offences in a row.
    exploded = careers.forward_specialisation(seq.drop("n", "copy"), "person_id", "age", "type")
    assert_frame_equal(ours.table, exploded.table)


def test_planted_sexual_specialisation_is_visible():
    # The late-onset group's offences are 45% sexual against 3-10% elsewhere, so sexual
    # offences follow sexual offences more often than chance: a positive coefficient.
    panel = synth.careers_panel(3000, periods=20, seed=6).data
    events = panel.unpivot(
        index=["person_id", "age"], on=TYPES, variable_name="type", value_name="n"
    ).filter(pl.col("n") > 0)
    s = careers.forward_specialisation(events, "person_id", "age", "type", count="n")
    sexual = s.table.filter(pl.col("type") == "sexual_offences").row(0, named=True)
    assert sexual["forward_specialisation"] > 0.05
    assert sexual["p_value"] < 0.001


def test_forward_specialisation_bad_input():
    one = pl.DataFrame({"id": [1, 2], "when": [1, 1], "type": ["A", "B"]})
    with pytest.raises(NotDefinedError, match="no person has two offences"):
        careers.forward_specialisation(one, "id", "when", "type")
    with pytest.raises(ColumnError, match="column `when`: expected numbers, dates or datetimes"):
        careers.forward_specialisation(
            one.with_columns(pl.col("when").cast(pl.String)), "id", "when", "type"
        )


def test_forward_specialisation_orders_by_dates():
    records = pl.DataFrame(
        {
            "id": [1, 1, 1],
            "date": pl.Series(["2020-03-01", "2019-01-05", "2021-07-09"]).str.to_date(),
            "type": ["B", "A", "A"],
        }
    )
    # In date order: A, B, A — no repeats.
    s = careers.forward_specialisation(records, "id", "date", "type")
    assert s.table["repeats"].to_list() == [0.0, 0.0]


# ------------------------------------------------------------------------------ escalation


@pytest.mark.parametrize("over", ["sequence", "time"])
def test_escalation_equals_statsmodels_cluster_ols(events, over):
    seq = _sequences(events).with_columns(
        pl.col("type").replace_strict(SERIOUSNESS, return_dtype=pl.Float64).alias("score"),
        pl.int_range(1, pl.len() + 1).over("person_id").cast(pl.Float64).alias("number"),
    )
    ours = careers.escalation(
        seq.drop("n", "copy"), "person_id", "age", SERIOUSNESS, offence_type="type", over=over
    )
    x = "number" if over == "sequence" else "age"
    used = seq.with_columns(pl.col(x).cast(pl.Float64)).filter(
        (pl.len().over("person_id") >= 2) & (pl.col(x).n_unique().over("person_id") >= 2)
    )
    centred = used.with_columns(
        (pl.col(x) - pl.col(x).mean().over("person_id")).alias("xc"),
        (pl.col("score") - pl.col("score").mean().over("person_id")).alias("sc"),
    )
    groups = centred["person_id"].cast(pl.Categorical).to_physical().to_numpy()
    ols = sm.OLS(centred["sc"].to_numpy(), centred["xc"].to_numpy()).fit(
        cov_type="cluster", cov_kwds={"groups": groups}
    )
    g = centred["person_id"].n_unique()
    assert ours.estimate == pytest.approx(ols.params[0], rel=1e-10)
    assert ours.std_error == pytest.approx(ols.bse[0], rel=1e-10)
    assert (ours.persons, ours.df) == (g, g - 1)
    assert ours.p_value == pytest.approx(2 * stats.t.sf(abs(ours.statistic), g - 1), rel=1e-8)
    q = stats.t.ppf(0.975, g - 1)
    assert ours.ci_low == pytest.approx(ours.estimate - q * ours.std_error, rel=1e-10)
    # Per person slopes equal numpy's least squares.
    for person in ours.table.filter(pl.col("slope").is_not_null())["person_id"].head(25):
        part = used.filter(pl.col("person_id") == person)
        slope = np.polyfit(part[x].to_numpy(), part["score"].to_numpy(), 1)[0]
        mine = ours.table.filter(pl.col("person_id") == person)["slope"].item()
        assert mine == pytest.approx(slope, rel=1e-9, abs=1e-12)
    assert ours.persons_excluded == ours.table["slope"].null_count()


def test_escalation_worked_example_in_any_row_order():
    # In time order: person 1 scores 1, 2, 4 (slope 1.5 per offence), person 2 scores 3, 2
    # (slope -1), person 3 scores 1, 3 (slope 2). Pooled within-person slope:
    # sum of centred cross-products / sum of centred squares = (3 - 0.5 + 1) / (2 + 0.5 + 0.5).
    records = pl.DataFrame(
        {
            "id": [2, 1, 3, 1, 2, 3, 1],
            "year": [2, 3, 4, 1, 1, 1, 2],
            "score": [2.0, 4.0, 3.0, 1.0, 3.0, 1.0, 2.0],
        }
    )
    result = careers.escalation(records, "id", "year", "score")
    assert result.estimate == pytest.approx(3.5 / 3.0, rel=1e-12)
    assert result.table.sort("id").select("id", "first_seriousness", "slope").rows() == [
        (1, 1.0, pytest.approx(1.5)),
        (2, 3.0, pytest.approx(-1.0)),
        (3, 1.0, pytest.approx(2.0)),
    ]
    ordered = careers.escalation(records.sort("id", "year"), "id", "year", "score")
    assert (ordered.estimate, ordered.std_error) == (result.estimate, result.std_error)


def test_escalation_faces_and_bad_input():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    records = pl.DataFrame(
        {
            "id": [1, 1, 1, 2, 2, 3, 3],
            "year": [1, 2, 3, 1, 2, 1, 4],
            "score": [1.0, 2.0, 4.0, 3.0, 2.0, 1.0, 3.0],
        }
    )
    result = careers.escalation(records, "id", "year", "score")
    assert result.summary.columns[:3] == ["term", "estimate", "std_error"]
    assert result.plot() is not None
    plt.close("all")
    assert "Escalation in seriousness" in result._repr_html_()
    with pytest.raises(ArgumentError, match="needs offence_type"):
        careers.escalation(records, "id", "year", {"a": 1})
    with pytest.raises(ArgumentError, match="no score for offence type"):
        careers.escalation(
            records.with_columns(pl.lit("x").alias("t")), "id", "year", {"a": 1}, offence_type="t"
        )
    with pytest.raises(NotDefinedError, match="at least two persons with two or more offences"):
        careers.escalation(records.filter(pl.col("id") == 1), "id", "year", "score")
    with pytest.raises(ArgumentError, match="over: expected 'sequence' or 'time'"):
        careers.escalation(records, "id", "year", "score", over="age")  # type: ignore[arg-type]
    with pytest.raises(BadValueError, match=r"column `score`, row 1: missing value"):
        careers.escalation(
            records.with_columns(pl.Series("score", [1.0, None, 4.0, 3.0, 2.0, 1.0, 3.0])),
            "id",
            "year",
            "score",
        )


def test_specialisation_faces(events):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = careers.forward_specialisation(events, "person_id", "age", "type", count="n")
    assert s.plot() is not None
    plt.close("all")
    assert "Forward specialisation" in s._repr_html_()
    assert repr(s).startswith("Specialisation(types=5")


# ------------------------------------------------------------------------------ the generator


def test_zero_inflated_panel_option():
    base = synth.careers_panel(300, periods=10, seed=3)
    same = synth.careers_panel(300, periods=10, seed=3, zero_inflation=0.0)
    assert_frame_equal(base.data, same.data)
    assert "zero_inflation" not in base.metadata["aluna.arguments"]
    zeros = synth.careers_panel(3000, periods=10, seed=3, zero_inflation=0.4).data
    plain = synth.careers_panel(3000, periods=10, seed=3).data
    share = (zeros["total_offences"] == 0).mean() - (plain["total_offences"] == 0).mean()
    assert share > 0.1
    with pytest.raises(ArgumentError, match="zero_inflation`: must be at least 0 and below 1"):
        synth.careers_panel(10, zero_inflation=1.0)
