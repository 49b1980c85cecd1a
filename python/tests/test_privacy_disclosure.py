"""k-anonymity, l-diversity and re-identification risk against independent polars group-bys;
the generalisation and suppression helpers."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from aluna.exceptions import ArgumentError, ColumnError
from aluna.privacy import (
    bin_ages,
    k_anonymity,
    l_diversity,
    reidentification_risk,
    suppress_rare,
    truncate_dates,
)

QI = ["sex", "age_band", "region", "born"]


@pytest.fixture(scope="module")
def microdata() -> pl.DataFrame:
    rng = np.random.default_rng(5)
    n = 3000
    return pl.DataFrame(
        {
            "sex": rng.choice(["f", "m", None], n, p=[0.48, 0.48, 0.04]).tolist(),
            "age_band": rng.choice(["18-24", "25-34", "35-44", "45-64", "65+"], n).tolist(),
            "region": pl.Series(rng.choice(["north", "south", "east", "west"], n)).cast(
                pl.Categorical
            ),
            "born": [dt.date(1960 + int(y), 1, 1) for y in rng.integers(0, 40, n)],
            "offence": rng.choice(["a", "b", "c", "d", None], n, p=[0.5, 0.3, 0.1, 0.05, 0.05]),
            "weight": rng.uniform(1, 50, n),
            "score": rng.choice([0.5, 1.5, 2.5], n),
        }
    )


def test_k_anonymity_equals_a_polars_group_by(microdata):
    result = k_anonymity(microdata, QI, threshold=3)
    sizes = microdata.group_by(QI).len("size")
    assert result.k == sizes["size"].min()
    assert result.n_classes == sizes.height
    small = sizes.filter(pl.col("size") < 3)
    assert result.records_at_risk == small["size"].sum()
    assert_frame_equal(
        result.table.sort(QI, nulls_last=True),
        small.with_columns(pl.col("size").cast(pl.Int64)).sort(QI, nulls_last=True),
        check_dtypes=False,
    )
    assert not result.satisfied
    assert result.summary["records_at_risk"][0] == result.records_at_risk


def test_float_quasi_identifiers_group_exactly(microdata):
    result = k_anonymity(microdata, ["score", "sex"], threshold=1)
    assert result.n_classes == microdata.group_by(["score", "sex"]).len().height
    assert result.satisfied


def test_l_diversity_equals_a_polars_group_by(microdata):
    result = l_diversity(microdata, QI, "offence", threshold=2)
    per_class = (
        microdata.group_by(QI)
        .agg(
            pl.len().alias("size"),
            pl.col("offence").drop_nulls().n_unique().alias("distinct"),
            pl.col("offence").drop_nulls().value_counts().alias("counts"),
        )
        .with_columns(
            pl.col("counts")
            .list.eval(pl.element().struct.field("count"))
            .map_elements(
                lambda c: (
                    math.exp(-sum(x / sum(c) * math.log(x / sum(c)) for x in c)) if len(c) else 0.0
                ),
                return_dtype=pl.Float64,
            )
            .alias("entropy_l")
        )
    )
    assert result.l == per_class["distinct"].min()
    assert result.entropy_l == pytest.approx(per_class["entropy_l"].min(), rel=1e-12)
    small = per_class.filter(pl.col("distinct") < 2).select(*QI, "size", "distinct", "entropy_l")
    ours = result.table.sort(QI, nulls_last=True)
    theirs = small.sort(QI, nulls_last=True)
    assert ours.select(QI).equals(theirs.select(QI))
    assert ours["distinct"].to_list() == theirs["distinct"].to_list()
    np.testing.assert_allclose(ours["entropy_l"], theirs["entropy_l"], rtol=1e-12)


def sdc_risk(f: int, big_f: float) -> float:
    """sdcMicro's indivRisk(method="approx"), written out independently."""
    p = f / big_f
    if p >= 1:
        return 1 / f
    if f == 1:
        return p / (1 - p) * math.log(1 / p)
    if f == 2:
        return p / (1 - p) - (p / (1 - p)) ** 2 * math.log(1 / p)
    return p / (f - (1 - p))


def test_individual_risk_with_weights_equals_an_independent_computation(microdata):
    qi = ["sex", "age_band", "region"]
    result = reidentification_risk(microdata, qi, weights="weight")
    classes = (
        microdata.with_row_index("row")
        .join(
            microdata.group_by(qi).agg(pl.len().alias("f"), pl.col("weight").sum().alias("F")),
            on=qi,
            how="left",
            nulls_equal=True,
        )
        .sort("row")
    )
    expected = [sdc_risk(f, big_f) for f, big_f in classes.select("f", "F").iter_rows()]
    np.testing.assert_allclose(result.table["risk"], expected, rtol=1e-9)
    assert result.table["sample_frequency"].to_list() == classes["f"].to_list()
    np.testing.assert_allclose(result.table["population_frequency"], classes["F"], rtol=1e-12)
    assert result.expected_reidentifications == pytest.approx(sum(expected), rel=1e-9)


def test_unweighted_risk_is_one_over_class_size(microdata):
    result = reidentification_risk(microdata, QI)
    sizes = (
        microdata.with_row_index("row")
        .join(microdata.group_by(QI).len("f"), on=QI, how="left", nulls_equal=True)
        .sort("row")
    )
    np.testing.assert_allclose(result.table["risk"], 1 / sizes["f"].to_numpy(), rtol=1e-15)
    assert result.table.columns == ["row", "risk", "sample_frequency", "population_frequency"]
    assert result.summary["unique_records"][0] == int((sizes["f"] == 1).sum())


def test_closed_forms_are_the_posterior_mean_for_small_classes():
    """For f = 1, 2 the formulas are E[1/F | f] under F - f ~ NegBin(f, p)."""
    for f in (1, 2):
        for big_f in (3.0, 10.0, 60.0):
            p = f / big_f
            m = np.arange(0, 20_000)
            log_pmf = (
                np.array([math.lgamma(f + k) - math.lgamma(k + 1) - math.lgamma(f) for k in m])
                + f * math.log(p)
                + m * math.log1p(-p)
            )
            exact = float(np.sum(np.exp(log_pmf) / (f + m)))
            df = pl.DataFrame({"q": ["x"] * f, "w": [big_f / f] * f})
            ours = reidentification_risk(df, "q", weights="w").table["risk"][0]
            assert ours == pytest.approx(exact, rel=1e-9)


def test_generalisation_helpers():
    ages = pl.DataFrame({"age": [0, 4, 5, 99, None]})
    assert bin_ages(ages, "age", width=5, top=90)["age"].to_list() == [
        "0-4",
        "0-4",
        "5-9",
        "90+",
        None,
    ]
    dates = pl.DataFrame({"d": [dt.datetime(2021, 5, 17, 13), dt.datetime(2020, 1, 31)]})
    assert truncate_dates(dates, "d", unit="year")["d"].to_list() == [
        dt.datetime(2021, 1, 1),
        dt.datetime(2020, 1, 1),
    ]
    with pytest.raises(ColumnError, match="not dates"):
        truncate_dates(ages, "age")
    with pytest.raises(ArgumentError, match="unit"):
        truncate_dates(dates, "d", unit="decade")
    with pytest.raises(ArgumentError, match="below 0"):
        bin_ages(pl.DataFrame({"age": [-1]}), "age")
    with pytest.raises(ColumnError, match="not ages"):
        bin_ages(pl.DataFrame({"age": ["old"]}), "age")


def test_suppress_rare_reaches_k(microdata):
    out, audit = suppress_rare(microdata, QI, k=3)
    result = k_anonymity(out, QI, threshold=3)
    assert result.satisfied
    assert audit.height > 0
    for row, column, _ in audit.iter_rows():
        assert out[column][row] is None
        assert microdata[column][row] is not None


def test_bad_inputs(microdata):
    with pytest.raises(ColumnError, match="`nope` not found"):
        k_anonymity(microdata, ["nope"])
    with pytest.raises(ArgumentError, match="threshold"):
        k_anonymity(microdata, QI, threshold=0)
    with pytest.raises(ArgumentError, match="also a quasi-identifier"):
        l_diversity(microdata, QI, "sex")
    with pytest.raises(ArgumentError, match="name at least one column"):
        k_anonymity(microdata, [])
    bad = microdata.with_columns(pl.lit(0.5).alias("weight"))
    with pytest.raises(ValueError, match="sampling weight of at least 1"):
        reidentification_risk(bad, QI, weights="weight")
    empty = microdata.head(0)
    assert k_anonymity(empty, QI).k == 0
    assert k_anonymity(empty, QI).satisfied
