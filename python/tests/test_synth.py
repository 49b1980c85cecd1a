"""Synthetic datasets: ground truth is recoverable, content is deterministic, files are labelled.

Recovery is checked with the peers that own the methods: lifelines for Cox models (until
aluna's own lands), numpy for the Poisson rate model of recurrent events. Coefficient checks
use a family-wise 95% level (Bonferroni over the coefficients), at fixed seeds.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from lifelines import CoxPHFitter
from polars.testing import assert_frame_equal
from scipy.stats import norm

import aluna
from aluna import synth
from aluna.cli import main
from aluna.exceptions import ArgumentError

SMALL = {
    "offender_cohort": {"n": 3000, "seed": 3},
    "case_network": {"n_persons": 1500, "n_groups": 20, "seed": 3},
    "programme_evaluation": {"n": 3000, "seed": 3, "delayed_entry": True},
    "victims": {"n": 2000, "seed": 3},
    "careers_panel": {"n": 500, "periods": 15, "seed": 3},
    "linkage_pair": {"n": 2000, "overlap": 0.4, "corruption": 0.2, "seed": 3},
}


def hashes(dataset: aluna.datasets.Dataset) -> dict[str, str]:
    tables = {"data": dataset.data, **dataset.tables}
    tables.update({f"truth.{k}": v for k, v in dataset.truth.items()})
    return {name: synth.content_hash(frame) for name, frame in tables.items()}


def bonferroni_z(k: int, level: float = 0.05) -> float:
    return float(norm.ppf(1 - level / (2 * k)))


def auc(score: np.ndarray, label: np.ndarray) -> float:
    ranks = pl.Series(score).rank("average").to_numpy()
    n1, n0 = label.sum(), (~label).sum()
    return float((ranks[label].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


# ------------------------------------------------------------------------------ determinism


@pytest.mark.parametrize("generator", sorted(SMALL))
def test_same_content_for_any_thread_count(generator):
    one = synth.generate(generator, threads=1, **SMALL[generator])
    two = synth.generate(generator, threads=2, **SMALL[generator])
    assert hashes(one) == hashes(two)
    other = synth.generate(generator, threads=2, **{**SMALL[generator], "seed": 4})
    assert hashes(other)["data"] != hashes(one)["data"]


@pytest.mark.parametrize("generator", sorted(SMALL))
def test_streamed_files_hold_the_same_content(generator, tmp_path):
    in_memory = synth.generate(generator, **SMALL[generator])
    files = synth.write(generator, tmp_path, batch_rows=777, threads=2, **SMALL[generator])
    on_disk = synth.dataset_hashes(tmp_path, generator)
    assert on_disk == hashes(in_memory)
    for file in files:
        meta = pl.read_parquet_metadata(file)
        assert meta["aluna.synthetic"] == "true"
        assert meta["aluna.generator"] == generator
        assert json.loads(meta["aluna.arguments"])["seed"] == 3
        assert meta["aluna.version"] == aluna.__version__


def test_shipped_datasets_regenerate_to_their_manifest(tmp_path):
    shipped = aluna.datasets.directory()
    manifest = json.loads((shipped / "MANIFEST.json").read_text())["datasets"]
    assert set(manifest) == set(synth.SHIPPED) == set(aluna.datasets.list())
    regenerated = synth.write_shipped(tmp_path, threads=1)
    for name, entry in manifest.items():
        assert regenerated[name] == entry["tables"], name
        assert synth.dataset_hashes(shipped, name) == entry["tables"], name
        assert entry["command"] == synth.command(name)
    assert json.loads((tmp_path / "MANIFEST.json").read_text())["datasets"] == manifest


def test_data_card_documents_every_shipped_dataset_and_the_pattern():
    card = (aluna.datasets.directory() / "DATA_CARD.md").read_text()
    assert synth.PSEUDONYM_PATTERN in card
    for name in synth.SHIPPED:
        assert aluna.datasets.card(name).startswith("## "), name
        assert synth.command(name) in card, name


def test_content_hash_is_canonical():
    a = pl.DataFrame({"x": [1, 2, None], "s": ["a", "bc", None], "d": [0.5, None, 2.0]})
    assert synth.content_hash(a) == synth.content_hash(a.with_columns(pl.col("x").cast(pl.Int16)))
    assert synth.content_hash(a) != synth.content_hash(a.with_columns(pl.col("x").fill_null(0)))
    # the split between strings is part of the content
    b = pl.DataFrame({"s": ["ab", "c"]})
    assert synth.content_hash(b) != synth.content_hash(pl.DataFrame({"s": ["a", "bc"]}))
    with pytest.raises(ArgumentError, match="column `l` has type"):
        synth.content_hash(pl.DataFrame({"l": [[1]]}))


# ------------------------------------------------------------------------------ cohort


@pytest.fixture(scope="module")
def cohort() -> aluna.datasets.Dataset:
    return synth.offender_cohort(40_000, seed=20261123)


@pytest.mark.slow
def test_cox_recovers_the_true_coefficients(cohort):
    truth = cohort.truth["coefficients"]
    terms = truth["term"].to_list()
    frame = (
        cohort.data.with_columns(group_b=pl.col("group") == "B")
        .select(*terms, "time_at_risk_days", "event")
        .drop_nulls()  # complete cases: missingness never depends on the outcome here
        .with_columns(pl.col(terms).cast(pl.Float64), event=(pl.col("event") == 1).cast(pl.Int8))
    )
    fit = CoxPHFitter().fit(frame.to_pandas(), duration_col="time_at_risk_days", event_col="event")
    z = (fit.params_.loc[terms].to_numpy() - truth["coefficient"].to_numpy()) / (
        fit.standard_errors_.loc[terms].to_numpy()
    )
    assert np.all(np.abs(z) < bonferroni_z(len(terms))), dict(zip(terms, z.round(2), strict=True))


def test_true_linear_predictor_reaches_the_stated_auc(cohort):
    params = dict(cohort.truth["parameters"].select("name", "value").iter_rows())
    joined = cohort.data.join(cohort.truth["persons"], on="person_id").drop_nulls(
        "sexual_reoffence_5y"
    )
    label = joined["sexual_reoffence_5y"].to_numpy()
    value = auc(joined["linear_predictor"].to_numpy(), label)
    assert params["auc_5y_low"] <= value <= params["auc_5y_high"]
    assert 0.08 < label.mean() < 0.15
    # the tool-shaped score is informative but weaker than the truth
    assert 0.6 < auc(joined["tool_score"].to_numpy().astype(float), label) < value


def test_missing_values_follow_their_documented_mechanisms(cohort):
    p = dict(cohort.truth["parameters"].select("name", "value").iter_rows())
    full = cohort.data.join(cohort.truth["persons"], on="person_id", suffix="_true")

    def rate(column: str, where: pl.Expr) -> tuple[float, int]:
        rows = full.filter(where)
        return rows[column].is_null().mean(), rows.height

    cases = [
        ("employed", pl.col("group") == "A", p["missing_employed_group_a"]),
        ("employed", pl.col("group") == "B", p["missing_employed_group_b"]),
        (
            "stable_accommodation",
            pl.col("age_at_release") < 25,
            p["missing_accommodation_under_25"],
        ),
        (
            "stable_accommodation",
            pl.col("age_at_release") >= 25,
            p["missing_accommodation_25_plus"],
        ),
        ("substance_misuse", pl.col("substance_misuse_true"), p["missing_substance_if_true"]),
        ("substance_misuse", ~pl.col("substance_misuse_true"), p["missing_substance_if_false"]),
        ("victim_male", pl.lit(True), p["missing_victim_male"]),
    ]
    cases += [
        (
            "sexual_preoccupation",
            pl.col("sexual_preoccupation_true") == level,
            p["missing_preoccupation_base"] + level * p["missing_preoccupation_slope"],
        )
        for level in (0, 1, 2)
    ]
    for column, where, expected in cases:
        observed, n = rate(column, where)
        assert abs(observed - expected) < 4 * np.sqrt(expected * (1 - expected) / n), column
    # MNAR hides the risky value: observed prevalence is below the truth
    assert full["substance_misuse"].mean() < full["substance_misuse_true"].mean() - 0.03
    # observed values equal the truth wherever they are present
    for column in ("employed", "substance_misuse", "stable_accommodation", "victim_male"):
        present = full.filter(pl.col(column).is_not_null())
        assert (present[column] == present[f"{column}_true"]).all()


def test_follow_up_custody_and_competing_events_fit_together(cohort):
    d = cohort.data
    custody = (pl.col("custody_end_day") - pl.col("custody_start_day")).fill_null(0)
    assert (d["followup_days"] - d.select(custody).to_series() == d["time_at_risk_days"]).all()
    assert (
        (d["end_date"] - d["release_date"])
        .dt.total_days()
        .equals(d["followup_days"], check_names=False)
    )
    assert sorted(d["event"].unique()) == [0, 1, 2, 3]
    assert d.filter(pl.col("event") == 3)["foreign_national"].all()
    assert d["end_date"].max() == date(2024, 12, 31)
    # group B has a higher base rate though `group` has no effect of its own
    rates = (
        d.drop_nulls("sexual_reoffence_5y")
        .group_by("group")
        .agg(pl.col("sexual_reoffence_5y").mean())
    )
    rate = dict(rates.iter_rows())
    assert rate["B"] > rate["A"] + 0.02


# ------------------------------------------------------------------------------ programme


@pytest.fixture(scope="module")
def immediate() -> aluna.datasets.Dataset:
    return synth.programme_evaluation(30_000, seed=20261123)


@pytest.fixture(scope="module")
def delayed() -> aluna.datasets.Dataset:
    # lifelines' counting-process fit is slow; 15,000 people keep it to seconds
    return synth.programme_evaluation(15_000, seed=20261123, delayed_entry=True)


@pytest.fixture(params=["immediate", "delayed"])
def study(request) -> aluna.datasets.Dataset:
    return request.getfixturevalue(request.param)


def test_stated_att_is_the_mean_of_individual_effects(study):
    effects = dict(study.truth["effects"].select("estimand", "value").iter_rows())
    joined = study.data.join(study.truth["persons"], on="person_id")
    treated = joined.filter(pl.col("participated"))
    assert effects["att_2y"] == pytest.approx(treated["individual_effect_2y"].mean(), abs=1e-15)
    assert effects["ate_2y"] == pytest.approx(joined["individual_effect_2y"].mean(), abs=1e-15)
    assert effects["participants"] == treated.height
    # individual effects are the difference of the potential outcomes
    diff = joined["reoffended1_2y"].cast(pl.Int64) - joined["reoffended0_2y"].cast(pl.Int64)
    assert diff.equals(joined["individual_effect_2y"], check_names=False)
    # the observed outcome is the potential outcome of the regime actually followed
    observed = pl.when(pl.col("participated")).then("reoffended1_2y").otherwise("reoffended0_2y")
    assert joined.select(observed).to_series().equals(joined["reoffended_2y"], check_names=False)
    # participation is confounded: the naive contrast overstates the benefit
    assert effects["naive_difference_2y"] < effects["att_2y"] - 0.02


def test_weighting_by_the_true_propensity_recovers_the_att(immediate):
    study = immediate
    joined = study.data.join(study.truth["persons"], on="person_id")
    treated = joined.filter(pl.col("participated"))
    others = joined.filter(~pl.col("participated"))
    odds = (others["propensity"] / (1 - others["propensity"])).to_numpy()
    y0 = others["reoffended_2y"].cast(pl.Float64).to_numpy()
    estimate = treated["reoffended_2y"].mean() - np.average(y0, weights=odds)
    att = dict(study.truth["effects"].select("estimand", "value").iter_rows())["att_2y"]
    se = np.sqrt(0.25 / treated.height + 0.25 * (odds**2).sum() / odds.sum() ** 2)
    assert abs(estimate - att) < 3 * se


COVARIATES = [
    "motivation",
    "risk_score",
    "prior_convictions",
    "employed",
    "substance_misuse",
    "age",
]


def _cox_frame(data: pl.DataFrame) -> pl.DataFrame:
    return data.select(*COVARIATES, "participated", "time_days", "event").with_columns(
        pl.all().exclude("time_days", "event").cast(pl.Float64)
    )


@pytest.mark.slow
def test_cox_recovers_the_programme_effect_and_shows_immortal_time(study):
    gamma = dict(study.truth["effects"].select("estimand", "value").iter_rows())["log_hazard_ratio"]
    naive = CoxPHFitter().fit(_cox_frame(study.data).to_pandas(), "time_days", "event")
    coef, se = naive.params_["participated"], naive.standard_errors_["participated"]
    if not study.arguments["delayed_entry"]:
        assert abs(coef - gamma) < 3 * se
        return
    # exposure counted from release: immortal time makes the programme look far better
    assert coef < gamma - 5 * se
    d = study.data.with_row_index("id")
    common = ["id", *COVARIATES]
    before = d.select(
        *common,
        start=pl.lit(0),
        stop=pl.when("participated").then("programme_start_day").otherwise("time_days"),
        event=pl.when("participated").then(0).otherwise("event"),
        exposed=pl.lit(0),
    )
    after = d.filter("participated").select(
        *common, start="programme_start_day", stop="time_days", event="event", exposed=pl.lit(1)
    )
    long = (
        pl.concat([before, after], how="vertical_relaxed")
        .filter(pl.col("stop") > pl.col("start"))
        .with_columns(pl.all().cast(pl.Float64))
    )
    # one event at most per person: the counting-process (left-truncated) Cox fit is the
    # time-varying exposure model
    fit = CoxPHFitter().fit(
        long.drop("id").to_pandas(), duration_col="stop", event_col="event", entry_col="start"
    )
    assert abs(fit.params_["exposed"] - gamma) < 3 * fit.standard_errors_["exposed"]
    # everyone recorded as joining was still at risk at the start day
    joined = study.data.filter("participated")
    assert (joined["time_days"] >= joined["programme_start_day"]).all()


# ------------------------------------------------------------------------------ victims


def poisson_fit(x: np.ndarray, y: np.ndarray, offset: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Poisson regression by Newton's method, with sandwich (robust) standard errors."""
    beta = np.zeros(x.shape[1])
    for _ in range(100):
        mu = np.exp(x @ beta + offset)
        step = np.linalg.solve(x.T @ (mu[:, None] * x), x.T @ (y - mu))
        beta += step
        if np.abs(step).max() < 1e-12:
            break
    mu = np.exp(x @ beta + offset)
    bread = np.linalg.inv(x.T @ (mu[:, None] * x))
    meat = x.T @ (((y - mu) ** 2)[:, None] * x)
    return beta, np.sqrt(np.diag(bread @ meat @ bread))


@pytest.mark.slow
def test_rate_model_recovers_the_victimisation_coefficients():
    v = synth.victims(50_000, seed=20261123)
    truth = v.truth["coefficients"]
    terms = truth["term"].to_list()
    params = dict(v.truth["parameters"].select("name", "value").iter_rows())
    per = (
        v.data.group_by("victim_id", maintain_order=True)
        .agg(pl.col("event").sum(), pl.all().exclude("event").first())
        .with_columns(male=pl.col("sex") == "male")
    )
    x = np.column_stack([np.ones(per.height)] + [per[t].cast(pl.Float64).to_numpy() for t in terms])
    offset = params["weibull_shape"] * np.log(
        per["followup_days"].to_numpy() / params["weibull_scale_days"]
    )
    beta, se = poisson_fit(x, per["event"].cast(pl.Float64).to_numpy(), offset)
    z = (beta - np.r_[0.0, truth["coefficient"].to_numpy()]) / se
    assert np.all(np.abs(z) < bonferroni_z(len(z))), z.round(2)


def test_victim_intervals_tile_the_follow_up():
    v = synth.victims(3000, seed=1)
    d = v.data.sort("victim_id", "episode")
    per = d.group_by("victim_id", maintain_order=True).agg(
        first=pl.col("start_day").first(),
        last=pl.col("stop_day").last(),
        gaps=(pl.col("start_day").shift(-1) - pl.col("stop_day")).abs().max(),
        follow=pl.col("followup_days").first(),
        events=pl.col("event").sum(),
    )
    assert (per["first"] == 0).all()
    assert (per["last"] == per["follow"]).all()
    assert (per["gaps"].fill_null(0) == 0).all()
    truth = v.truth["persons"].join(per, on="victim_id")
    assert (truth["events"] == truth["events_right"]).all()


# ------------------------------------------------------------------------------ careers


def test_trajectory_groups_have_their_shares_and_curves():
    panel = synth.careers_panel(20_000, periods=20, seed=20261123)
    groups = panel.truth["groups"]
    counts = panel.truth["persons"]["trajectory_group"].value_counts().sort("trajectory_group")
    for share, count in zip(groups["share"], counts["count"], strict=True):
        assert abs(count / 20_000 - share) < 4 * np.sqrt(share * (1 - share) / 20_000)
    joined = panel.data.join(panel.truth["persons"], on="person_id")
    means = joined.group_by("trajectory_group", "age").agg(
        pl.col("total_offences").mean(), pl.len()
    )
    curves = (
        means.join(groups, on="trajectory_group")
        .with_columns(x=(pl.col("age") - 20) / 10)
        .with_columns(
            expected=(
                pl.col("b0") + pl.col("b1") * pl.col("x") + pl.col("b2") * pl.col("x") ** 2
            ).exp()
        )
    )
    tolerance = 4 * (pl.col("expected") / pl.col("len")).sqrt() + 1e-9
    bad = curves.filter((pl.col("total_offences") - pl.col("expected")).abs() > tolerance)
    assert bad.height == 0, bad
    offence_types = [
        c for c in panel.data.columns if c.endswith("_offences") and c != "total_offences"
    ]
    assert (
        panel.data.select(pl.sum_horizontal(offence_types)).to_series()
        == panel.data["total_offences"]
    ).all()
    peak = groups.filter(pl.col("trajectory") == "adolescence_limited")["peak_age"].item()
    assert peak == pytest.approx(17.0)


# ------------------------------------------------------------------------------ network


@pytest.fixture(scope="module")
def network() -> aluna.datasets.Dataset:
    return synth.case_network(3000, 30, seed=20261123)


def test_planted_groups_have_the_stated_sizes_and_mix(network):
    persons, groups = network.truth["persons"], network.truth["groups"]
    n = persons.height
    roles = dict(persons["position"].value_counts().iter_rows())
    assert roles["victim"] == round(0.25 * n)
    assert roles["witness"] == round(0.08 * n)
    assert roles["lone"] == round(0.15 * n)
    members = (
        persons.filter(pl.col("position").is_in(["core", "member"]))
        .group_by("group")
        .len()
        .join(groups, on="group")
    )
    assert members.height == groups.height == 30
    assert (members["len"] == members["members"]).all()
    assert (groups["members"] >= 3).all()
    victims = persons.filter(pl.col("position") == "victim").group_by("group").len()
    by_group = victims.filter(pl.col("group") >= 0).join(groups, on="group")
    assert (by_group["len"] == by_group["victims"]).all()
    # victims belong to groups that exploit children or traffic people, or to lone offenders
    assert (
        by_group.filter(~pl.col("child_sexual_exploitation") & ~pl.col("trafficking")).height == 0
    )
    cse = groups.filter("child_sexual_exploitation")
    assert 0 < cse.height < 30
    assert cse.filter(pl.col("drugs") | pl.col("fraud") | pl.col("trafficking")).height > 0
    # each group's recorded crimes are among its stated crime types
    records = network.tables["records"].join(persons.select("person_id", "group"), on="person_id")
    group_crimes = records.filter(
        pl.col("role").is_in(["offender", "suspect"]) & (pl.col("group") >= 0)
    )
    stated = {g: set(c.split(";")) for g, c in groups.select("group", "crime_types").iter_rows()}
    for g, crime in group_crimes.select("group", "crime_type").unique().iter_rows():
        assert crime in stated[g], (g, crime)


def test_identifiers_are_pseudonyms_and_victims_share_them_with_offenders(network):
    records = network.tables["records"]
    ids = records["identifier"].drop_nulls()
    assert ids.str.contains(synth.PSEUDONYM_PATTERN).all()
    assert all(synth.is_pseudonym(i) for i in ids.head(100))
    shared = (
        records.drop_nulls("identifier")
        .group_by("identifier")
        .agg(pl.col("role").unique())
        .filter(pl.col("role").list.contains("victim") & pl.col("role").list.contains("offender"))
    )
    assert shared.height > 0
    hubs = network.truth["identifiers"].filter("hub")
    assert set(hubs["identifier_type"]) == {"ip", "platform"}
    links = network.data
    assert set(links["link_type"]) <= {
        "phone",
        "device",
        "account",
        "payment",
        "image_hash",
        "ip",
        "co_offending",
        "same_case",
    }
    codes = set(network.truth["crime_types"]["crime_type"])
    assert set(records["crime_type"]) <= codes
    assert {"03022", "030221", "06012", "0701", "02041"} <= codes
    assert (links["source"] < links["target"]).all()
    assert links.equals(links.sort("seen", "source", "target", "link_type"))
    nodes = set(network.tables["persons"]["person_id"])
    assert set(links["source"]) | set(links["target"]) <= nodes


def test_case_network_builds_a_case_graph(network):
    graph = aluna.CaseGraph.from_edges(
        network.data, weight="weight", link_type="link_type", time="seen"
    )
    assert graph.number_of_nodes() > 0.9 * network.tables["persons"].height


# ------------------------------------------------------------------------------ linkage


def test_linkage_truth_is_consistent():
    pair = synth.linkage_pair(5000, overlap=0.3, corruption=0.2, seed=20261123)
    matches = pair.truth["matches"]
    assert matches.height == 1500
    a = pair.truth["records_a"].select("record_id", person_a="person")
    b = pair.truth["records_b"].select("record_id", person_b="person")
    joined = matches.join(a, left_on="record_id_a", right_on="record_id").join(
        b, left_on="record_id_b", right_on="record_id"
    )
    assert (joined["person_a"] == joined["person_b"]).all()
    # the true matches are exactly the pairs of records about the same person
    same = a.join(b, left_on="person_a", right_on="person_b")
    assert same.height == 1500
    assert pair.data["record_id"].n_unique() == 5000
    assert pair.tables["agency_b"]["record_id"].n_unique() == 5000
    # fields are corrupted at the stated rate
    for records in (pair.truth["records_a"], pair.truth["records_b"]):
        notes = records["corruptions"].str.split(";").explode()
        notes = notes.filter(notes != "")
        for field in ("first_name", "last_name", "date_of_birth", "sex", "postcode"):
            rate = notes.str.starts_with(f"{field}:").sum() / records.height
            assert abs(rate - 0.2) < 4 * np.sqrt(0.2 * 0.8 / records.height), field
    b_names = pair.tables["agency_b"]["last_name"].drop_nulls()
    assert (b_names == b_names.str.to_uppercase()).all()


def test_uncorrupted_pairs_agree_on_every_field():
    pair = synth.linkage_pair(1000, overlap=1.0, corruption=0.0, seed=1)
    joined = (
        pair.truth["matches"]
        .join(pair.data, left_on="record_id_a", right_on="record_id")
        .join(pair.tables["agency_b"], left_on="record_id_b", right_on="record_id", suffix="_b")
    )
    assert joined.height == 1000
    assert (joined["first_name"].str.to_uppercase() == joined["first_name_b"]).all()
    for field in ("date_of_birth", "sex", "postcode"):
        assert (joined[field] == joined[f"{field}_b"]).all()


MANY = {"n": 3000, "overlap": 0.4, "corruption": 0.1, "seed": 11, "duplicates": 0.25}


def test_many_to_many_matches_are_every_pair_of_records_of_a_person():
    pair = synth.linkage_pair(**MANY)
    a = pair.truth["records_a"].select(record_id_a="record_id", person="person")
    b = pair.truth["records_b"].select(record_id_b="record_id", person="person")
    # each agency holds n - round(0.25 n) = 2250 people, some of them several times
    assert a["person"].n_unique() == b["person"].n_unique() == 2250
    assert a.height == b.height == 3000
    assert a.group_by("person").len()["len"].max() > 1
    # round(0.4 * 2250) = 900 people are in both agencies
    assert a.join(b, on="person")["person"].n_unique() == 900
    # the truth is every A-B pair of records of the same person, by A's row then B's row
    expected = (
        a.with_row_index("row_a")
        .join(b.with_row_index("row_b"), on="person")
        .sort("row_a", "row_b")
        .select("record_id_a", "record_id_b")
    )
    assert expected.height > 900
    assert_frame_equal(pair.truth["matches"], expected)
    parameters = dict(pair.truth["parameters"].select("name", "value").iter_rows())
    assert parameters["duplicates"] == 0.25
    assert parameters["people_per_agency"] == 2250
    assert parameters["shared_people"] == 900
    # every record is corrupted on its own: records of one person differ
    names = (
        pair.data.join(pair.truth["records_a"], on="record_id")
        .group_by("person")
        .agg(pl.col("last_name").n_unique().alias("spellings"), pl.len())
    )
    assert names.filter(pl.col("len") > 1)["spellings"].max() > 1


def test_many_to_many_is_deterministic_by_seed(tmp_path):
    one = synth.linkage_pair(**MANY, threads=1)
    two = synth.linkage_pair(**MANY, threads=2)
    assert hashes(one) == hashes(two)
    files = synth.write("linkage_pair", tmp_path, batch_rows=701, threads=2, **MANY)
    assert files
    assert synth.dataset_hashes(tmp_path, "linkage_pair") == hashes(one)
    other = synth.linkage_pair(**{**MANY, "seed": 12})
    assert hashes(other)["truth.matches"] != hashes(one)["truth.matches"]
    # without duplicates the data are those of the one-to-one generator
    plain = {k: v for k, v in MANY.items() if k != "duplicates"}
    assert hashes(synth.linkage_pair(**plain, duplicates=0.0)) == hashes(
        synth.generate("linkage_pair", **plain)
    )


def test_cli_writes_a_many_to_many_pair(tmp_path):
    code = main(
        [
            "synth",
            "linkage_pair",
            "--n",
            "400",
            "--duplicates",
            "0.2",
            "--seed",
            "3",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 0
    meta = pl.read_parquet_metadata(tmp_path / "linkage_pair.parquet")
    assert json.loads(meta["aluna.arguments"])["duplicates"] == 0.2
    people = pl.read_parquet(tmp_path / "linkage_pair.truth.records_a.parquet")["person"]
    assert people.n_unique() == 320


# ------------------------------------------------------------------------------ datasets


def test_load_returns_labelled_datasets_with_truth_and_card():
    for name in aluna.datasets.list():
        dataset = aluna.datasets.load(name)
        assert dataset.synthetic
        assert dataset.name == name
        assert dataset.truth, name
        assert dataset.card.startswith("## "), name
        assert dataset.seed == 20261123
        assert dataset.generator in synth.GENERATORS
        assert "synthetic" in repr(dataset)
        assert "<table>" in dataset._repr_html_()
    links = aluna.datasets.load("case_links")
    assert links.data.columns == ["source", "target", "link_type", "seen", "weight"]
    assert set(links.tables) == {"persons", "records"}


def test_dataset_write_round_trips(tmp_path, monkeypatch):
    dataset = synth.victims(300, seed=9)
    dataset.write(tmp_path)
    monkeypatch.setenv("ALUNA_DATASETS", str(tmp_path))
    loaded = aluna.datasets.load("victims")
    assert hashes(loaded) == hashes(dataset)
    assert loaded.arguments == {"n": 300, "seed": 9}
    assert_frame_equal(loaded.truth["coefficients"], dataset.truth["coefficients"])


def test_unknown_dataset_is_an_argument_error():
    with pytest.raises(ArgumentError, match="no shipped dataset 'nope'; there are: careers_panel"):
        aluna.datasets.load("nope")
    with pytest.raises(ArgumentError, match=r"no shipped dataset 'case_links\.records'"):
        aluna.datasets.path("case_links.records")


# ------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: synth.offender_cohort(0), "argument `n`: must be at least 1, got 0"),
        (lambda: synth.offender_cohort(10, seed=-1), "argument `seed`: must be at least 0"),
        (lambda: synth.offender_cohort(10.5), "argument `n`: expected an integer, got 10.5"),
        (lambda: synth.offender_cohort(10, seed=2**64), "argument `seed`: must be below 2\\*\\*64"),
        (lambda: synth.case_network(10, 1), "argument `n_persons`: must be at least 20, got 10"),
        (
            lambda: synth.case_network(100, 40),
            "argument `n_groups`: 40 groups of at least 3 need 120 group members",
        ),
        (lambda: synth.careers_panel(10, periods=0), "argument `periods`: must be at least 1"),
        (
            lambda: synth.careers_panel(10, periods=61),
            "argument `periods`: must be between 1 and 60, got 61",
        ),
        (
            lambda: synth.linkage_pair(10, overlap=1.5),
            "argument `overlap`: must be between 0 and 1, got 1.5",
        ),
        (
            lambda: synth.linkage_pair(10, corruption=float("nan")),
            "argument `corruption`: must be between 0 and 1, got nan",
        ),
        (
            lambda: synth.linkage_pair(10, duplicates=1.0),
            "argument `duplicates`: must leave at least one person per agency",
        ),
        (
            lambda: synth.linkage_pair(10, duplicates=-0.1),
            "argument `duplicates`: must be between 0 and 1, got -0.1",
        ),
        (lambda: synth.generate("cohort"), "no generator 'cohort'; there are: careers_panel"),
        (
            lambda: synth.generate("victims", periods=3),
            "victims: unknown argument\\(s\\) periods; it takes n, seed",
        ),
        (
            lambda: synth.write("victims", "/tmp", name="Bad Name"),
            "argument `name`: expected lowercase letters",
        ),
        (lambda: synth.command("nope"), "no shipped dataset 'nope'"),
    ],
)
def test_bad_arguments_raise_argument_errors(call, message):
    with pytest.raises(ArgumentError, match=message):
        call()


# ------------------------------------------------------------------------------ cli


def test_cli_writes_a_dataset(tmp_path, capsys):
    code = main(
        [
            "synth",
            "case_network",
            "--n",
            "200",
            "--groups",
            "4",
            "--seed",
            "2",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "synthetic data" in out
    files = sorted(p.name for p in tmp_path.iterdir())
    assert "case_network.parquet" in files
    assert "case_network.truth.groups.parquet" in files
    meta = pl.read_parquet_metadata(tmp_path / "case_network.parquet")
    assert json.loads(meta["aluna.arguments"]) == {"n_groups": 4, "n_persons": 200, "seed": 2}


def test_cli_reports_bad_arguments(tmp_path, capsys):
    code = main(["synth", "offender_cohort", "--n", "0", "--out", str(tmp_path)])
    assert code == 2
    assert "argument `n`: must be at least 1" in capsys.readouterr().err
    code = main(["synth", "victims", "--groups", "3", "--out", str(tmp_path)])
    assert code == 2
    assert "unknown argument(s) n_groups" in capsys.readouterr().err


def test_pseudonym_pattern_is_exported():
    assert re.fullmatch(synth.PSEUDONYM_PATTERN, "phone:0123456789abcdef")
    assert not re.fullmatch(synth.PSEUDONYM_PATTERN, "phone:0123456789ABCDEF")
    assert not re.fullmatch(synth.PSEUDONYM_PATTERN, "07700 900123")
    assert Path(aluna.datasets.directory()).is_dir()
