"""link_records and co_offending: planted links, networkx projections, hubs, windows, errors."""

from __future__ import annotations

import itertools
import random
from collections import defaultdict
from datetime import date, datetime, timedelta

import networkx as nx
import polars as pl
import pytest
from networkx.algorithms import bipartite
from polars.testing import assert_frame_equal

import aluna
from aluna.exceptions import (
    ArgumentError,
    BadValueError,
    ColumnError,
    EmptyInputError,
    HubValueWarning,
)

# ---------------------------------------------------------------------------- generators


def planted_records(seed: int, *, entities: int = 300, groups: int = 40, null_rate: float = 0.2):
    """Records whose only shared identifier values are planted; returns (records, planted).

    Each planted group is a few entities sharing one value in one identifier column; every
    other value is unique to its record, and some cells are null. ``planted`` maps each linked
    pair to {column: number of planted values shared}.
    """
    rng = random.Random(seed)
    columns = ["phone", "device", "account"]
    rows: list[dict] = []
    counter = itertools.count()
    for e in range(entities):
        for _ in range(rng.randint(1, 3)):
            row = {"person_id": f"p{e:04d}"}
            for c in columns:
                row[c] = None if rng.random() < null_rate else f"{c}-u{next(counter)}"
            rows.append(row)
    planted: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for g in range(groups):
        column = rng.choice(columns)
        members = sorted(rng.sample(range(entities), rng.randint(2, 5)))
        value = f"{column}-shared{g}"
        for m in members:
            rows.append(
                {
                    "person_id": f"p{m:04d}",
                    "phone": None,
                    "device": None,
                    "account": None,
                    column: value,
                }
            )
        for a, b in itertools.combinations(members, 2):
            planted[(f"p{a:04d}", f"p{b:04d}")][column] += 1
    rng.shuffle(rows)
    return pl.DataFrame(rows), planted


def bipartite_graph(records: pl.DataFrame, entity: str, identifiers: list[str], cap=None):
    """The entity x (column, value) graph networkx projects, hub values removed."""
    g = nx.Graph()
    entities = records[entity].unique().to_list()
    g.add_nodes_from(entities, bipartite=0)
    for column in identifiers:
        for e, v in records.select(entity, column).drop_nulls().unique().iter_rows():
            g.add_node((column, v), bipartite=1)
            g.add_edge(e, (column, v))
    if cap is not None:
        hubs = [n for n, d in g.degree() if isinstance(n, tuple) and d > cap]
        g.remove_nodes_from(hubs)
    return g, entities


def weighted_edges(graph: nx.Graph) -> pl.DataFrame:
    rows = [(min(a, b), max(a, b), float(d["weight"])) for a, b, d in graph.edges(data=True)]
    return pl.DataFrame(rows, schema=["source", "target", "weight"], orient="row").sort(
        "source", "target"
    )


def ours(graph: aluna.CaseGraph) -> pl.DataFrame:
    e = graph.edges()
    return e.select(
        pl.min_horizontal("source", "target").alias("source"),
        pl.max_horizontal("source", "target").alias("target"),
        "weight",
    ).sort("source", "target")


# ---------------------------------------------------------------------------- planted truth


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_planted_shared_identifiers_are_recovered_exactly(seed):
    records, planted = planted_records(seed)
    g = aluna.link_records(records, "person_id", ["phone", "device", "account"], weighting="count")
    edges = g.edges()
    found = {
        (min(a, b), max(a, b)): (w, sorted(t), n)
        for a, b, w, t, n in edges.select(
            "source", "target", "weight", "link_types", "links"
        ).iter_rows()
    }
    assert set(found) == set(planted)
    for pair, by_column in planted.items():
        weight, types, links = found[pair]
        assert weight == sum(by_column.values())
        assert links == sum(by_column.values())
        assert types == sorted(by_column)
    # Every entity is a node, linked or not; nulls are counted, not linked.
    assert g.number_of_nodes() == records["person_id"].n_unique()
    report = g.build_report
    nulls = {c: records[c].null_count() for c in ("phone", "device", "account")}
    assert dict(report.identifiers.select("column", "null_values").iter_rows()) == nulls
    assert report.null_values == sum(nulls.values())


# ---------------------------------------------------------------------------- networkx agreement


def test_projections_match_networkx_on_davis_southern_women():
    davis = nx.davis_southern_women_graph()
    women = sorted(n for n, d in davis.nodes(data=True) if d["bipartite"] == 0)
    records = pl.DataFrame(
        [(w, e) for w in women for e in davis[w]], schema=["person_id", "event"], orient="row"
    )
    references = {
        "count": bipartite.weighted_projected_graph(davis, women),
        "inverse_frequency": bipartite.collaboration_weighted_projected_graph(davis, women),
        "jaccard": bipartite.overlap_weighted_projected_graph(davis, women),
    }
    for weighting, reference in references.items():
        g = aluna.link_records(records, identifiers=["event"], weighting=weighting)
        assert_frame_equal(ours(g), weighted_edges(reference), abs_tol=1e-12)
    # The same women x events table as participation: co-offending is weighted_projected_graph.
    co = aluna.co_offending(records, case="event")
    assert_frame_equal(ours(co), weighted_edges(references["count"]), abs_tol=0)


@pytest.mark.parametrize("weighting", ["count", "inverse_frequency", "jaccard"])
@pytest.mark.parametrize("seed", [4, 5])
def test_weightings_match_networkx_with_hub_cap(seed, weighting):
    rng = random.Random(seed)
    records = pl.DataFrame(
        {
            "person_id": [rng.randrange(80) for _ in range(600)],
            "phone": [rng.choice([None, *range(120)]) for _ in range(600)],
            "card": [rng.choice([None, None, *range(60), 999, 999, 999]) for _ in range(600)],
        }
    )
    cap = 12
    reference_graph, entities = bipartite_graph(records, "person_id", ["phone", "card"], cap)
    reference = {
        "count": bipartite.weighted_projected_graph,
        "inverse_frequency": bipartite.collaboration_weighted_projected_graph,
        "jaccard": bipartite.overlap_weighted_projected_graph,
    }[weighting](reference_graph, entities)
    with pytest.warns(HubValueWarning, match="held by more than 12 entities were dropped"):
        g = aluna.link_records(
            records, identifiers=["phone", "card"], weighting=weighting, max_identifier_degree=cap
        )
    assert_frame_equal(ours(g), weighted_edges(reference), abs_tol=1e-12)
    holders = (
        pl.concat(
            records.select(
                pl.lit(c).alias("column"), pl.col(c).cast(pl.String).alias("value"), "person_id"
            ).drop_nulls()
            for c in ("phone", "card")
        )
        .group_by("column", "value")
        .agg(entities=pl.col("person_id").n_unique())
    )
    expected = holders.filter(pl.col("entities") > cap).sort(
        ["entities", "column", "value"], descending=[True, False, False]
    )
    assert_frame_equal(g.build_report.dropped, expected, check_dtypes=False)
    assert "999" in expected.filter(pl.col("column") == "card")["value"].to_list()


def test_co_offending_matches_networkx_on_random_participation():
    rng = random.Random(9)
    rows = [(rng.randrange(200), rng.randrange(150)) for _ in range(900)]
    part = pl.DataFrame(rows, schema=["person_id", "case_id"], orient="row")
    b = nx.Graph()
    persons = sorted({p for p, _ in rows})
    b.add_nodes_from(persons, bipartite=0)
    b.add_edges_from((p, ("case", c)) for p, c in rows)
    reference = bipartite.weighted_projected_graph(b, persons)
    g = aluna.co_offending(part)
    assert_frame_equal(ours(g), weighted_edges(reference), abs_tol=0)
    assert g.number_of_nodes() == len(persons)
    assert g.build_report.joint_cases == sum(
        1 for c in {c for _, c in rows} if len({p for p, x in rows if x == c}) >= 2
    )


# ---------------------------------------------------------------------------- hubs


def test_hub_value_is_damped_then_dropped_then_kept_when_cap_lifted():
    hub_holders = [f"h{i:02d}" for i in range(50)]
    records = pl.DataFrame(
        {
            "person_id": [*hub_holders, "a", "b"],
            "wifi": ["public"] * 50 + ["home", "home"],
        }
    )
    # Damped: each of the 1225 hub pairs weighs 1/49; the private pair weighs 1.
    kept = aluna.link_records(records, identifiers="wifi", max_identifier_degree=None)
    weights = dict(
        ((a, b), w) for a, b, w in kept.edges().select("source", "target", "weight").iter_rows()
    )
    assert len(weights) == 1225 + 1
    assert weights[("a", "b")] == 1.0
    assert weights[("h00", "h01")] == pytest.approx(1 / 49, rel=1e-15)
    # Dropped: over the cap, reported with its column and holder count, and warned about.
    with pytest.warns(HubValueWarning, match="column `wifi`, is held by 50"):
        capped = aluna.link_records(records, identifiers="wifi", max_identifier_degree=49)
    assert capped.edges().select("source", "target").rows() == [("a", "b")]
    assert capped.build_report.dropped.rows() == [("wifi", "public", 50)]
    assert capped.build_report.identifiers.row(0, named=True)["dropped_values"] == 1
    # At the cap exactly the value is kept.
    at_cap = aluna.link_records(records, identifiers="wifi", max_identifier_degree=50)
    assert at_cap.number_of_edges() == 1226


# ---------------------------------------------------------------------------- time


def test_first_and_last_seen_and_window_by_hand():
    records = pl.DataFrame(
        {
            "person_id": ["a", "b", "a", "b", "c"],
            "phone": ["x", "x", "x", "x", "x"],
            "seen": [
                date(2024, 1, 1),
                date(2024, 1, 3),
                date(2024, 3, 1),
                date(2024, 6, 1),
                date(2024, 6, 20),
            ],
        }
    )
    g = aluna.link_records(records, identifiers=["phone"], time="seen", weighting="count")
    spans = {
        (a, b): (first, last)
        for a, b, first, last in g.edges()
        .select("source", "target", "first_seen", "last_seen")
        .iter_rows()
    }
    # a and b co-occur first when b's first record is made, last at the latest record of either.
    assert spans[("a", "b")] == (date(2024, 1, 3), date(2024, 6, 1))
    assert spans[("a", "c")] == (date(2024, 6, 20), date(2024, 6, 20))
    windowed = aluna.link_records(
        records, identifiers=["phone"], time="seen", window=timedelta(days=30), weighting="count"
    )
    spans = {
        (a, b): (first, last)
        for a, b, first, last in windowed.edges()
        .select("source", "target", "first_seen", "last_seen")
        .iter_rows()
    }
    # a@Jan 1 - b@Jan 3 (2 days), b@Jun 1 - c@Jun 20 (19 days); a@Mar 1 is 92 days from b@Jun 1.
    assert spans == {
        ("a", "b"): (date(2024, 1, 3), date(2024, 1, 3)),
        ("b", "c"): (date(2024, 6, 20), date(2024, 6, 20)),
    }
    # A subgraph of June keeps the a-b span (Jan 3 - Jun 1) of the unwindowed graph.
    june = g.subgraph(start=date(2024, 6, 1), end=date(2024, 7, 1))
    assert june.number_of_edges() == 3


def test_window_matches_brute_force_on_datetimes():
    rng = random.Random(11)
    base = datetime(2023, 1, 1)
    rows = [
        (
            rng.randrange(30),
            rng.choice([None, *range(15)]),
            base + timedelta(hours=rng.randrange(2000)),
        )
        for _ in range(300)
    ]
    records = pl.DataFrame(rows, schema=["person_id", "phone", "seen"], orient="row")
    window = timedelta(hours=72)
    g = aluna.link_records(
        records,
        identifiers=["phone"],
        time="seen",
        window=window,
        weighting="count",
        max_identifier_degree=None,
    )
    expected: dict[tuple[int, int], tuple[set, datetime, datetime]] = {}
    for (e1, v1, t1), (e2, v2, t2) in itertools.combinations(rows, 2):
        if v1 is None or v1 != v2 or e1 == e2 or abs(t1 - t2) > window:
            continue
        key = (min(e1, e2), max(e1, e2))
        when = max(t1, t2)
        values, first, last = expected.get(key, (set(), when, when))
        expected[key] = (values | {v1}, min(first, when), max(last, when))
    got = {
        (min(a, b), max(a, b)): (w, first, last)
        for a, b, w, first, last in g.edges()
        .select("source", "target", "weight", "first_seen", "last_seen")
        .iter_rows()
    }
    assert set(got) == set(expected)
    for key, (values, first, last) in expected.items():
        assert got[key] == (float(len(values)), first, last)


def test_identical_for_any_thread_count():
    records, _ = planted_records(7, entities=2000, groups=400)
    one = aluna.link_records(records, identifiers=["phone", "device", "account"], threads=1)
    two = aluna.link_records(records, identifiers=["phone", "device", "account"], threads=2)
    assert one.edges().equals(two.edges())


# ---------------------------------------------------------------------------- layers from cases


def test_co_offending_types_and_times_links_by_case():
    part = pl.DataFrame(
        {
            "person_id": ["a", "b", "a", "b", "c", "d"],
            "case_id": [1, 1, 2, 2, 2, None],
            "crime": ["030221", "030221", "0601", "0601", "0601", "0601"],
            "day": [
                date(2024, 1, 5),
                date(2024, 1, 4),
                date(2024, 2, 1),
                date(2024, 2, 1),
                date(2024, 2, 1),
                date(2024, 3, 1),
            ],
        }
    )
    g = aluna.co_offending(part, crime_type="crime", time="day")
    row = g.edges().filter(pl.col("source") == "a", pl.col("target") == "b").row(0, named=True)
    assert row["weight"] == 2.0
    assert row["link_types"] == ["030221", "0601"]
    assert (row["first_seen"], row["last_seen"]) == (date(2024, 1, 4), date(2024, 2, 1))
    report = g.build_report
    assert (report.persons, report.cases, report.rows_without_case, report.joint_cases) == (
        4,
        2,
        1,
        2,
    )
    assert g.number_of_nodes() == 4


# ---------------------------------------------------------------------------- bad input


@pytest.fixture
def records():
    return pl.DataFrame(
        {
            "person_id": ["a", "b", "c"],
            "phone": ["x", "x", None],
            "seen": [date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 3)],
            "label": ["1", "2", "3"],
        }
    )


def test_missing_entity_column_names_it(records):
    with pytest.raises(ColumnError, match=r"column `person` not found; the table has: person_id"):
        aluna.link_records(records, "person", ["phone"])


def test_missing_identifier_column(records):
    with pytest.raises(ColumnError, match="column `email` not found"):
        aluna.link_records(records, identifiers=["phone", "email"])


def test_null_identifiers_are_ignored_and_counted(records):
    g = aluna.link_records(records, identifiers=["phone"])
    assert g.number_of_nodes() == 3
    assert g.number_of_edges() == 1
    assert g.build_report.identifiers.row(0, named=True)["null_values"] == 1


def test_null_entity_is_an_error_naming_the_row(records):
    bad = records.with_columns(person_id=pl.Series(["a", None, "c"]))
    with pytest.raises(BadValueError, match=r"column `person_id`, row 1: null where an entity id"):
        aluna.link_records(bad, identifiers=["phone"])


def test_wrong_time_dtype_is_a_column_error(records):
    with pytest.raises(
        ColumnError, match=r"column `label`: expected a date, a datetime or integer times"
    ):
        aluna.link_records(records, identifiers=["phone"], time="label")


def test_float_identifier_is_a_column_error(records):
    bad = records.with_columns(phone=pl.Series([1.5, 1.5, None]))
    with pytest.raises(ColumnError, match=r"column `phone`: expected integer or string ids"):
        aluna.link_records(bad, identifiers=["phone"])


@pytest.mark.parametrize("window", [timedelta(0), timedelta(days=-3)])
def test_window_must_be_positive(records, window):
    with pytest.raises(ArgumentError, match="argument `window`: must be positive"):
        aluna.link_records(records, identifiers=["phone"], time="seen", window=window)


def test_integer_window_must_be_positive():
    recs = pl.DataFrame({"person_id": [1, 2], "phone": [5, 5], "day": [1, 2]})
    with pytest.raises(ArgumentError, match=r"argument `window`: must be positive, got 0"):
        aluna.link_records(recs, identifiers=["phone"], time="day", window=0)
    with pytest.raises(ArgumentError, match="the window is an integer in the same units"):
        aluna.link_records(recs, identifiers=["phone"], time="day", window=timedelta(days=1))


def test_window_needs_time_and_a_matching_type(records):
    with pytest.raises(ArgumentError, match="a time window needs a time column"):
        aluna.link_records(records, identifiers=["phone"], window=timedelta(days=1))
    with pytest.raises(ArgumentError, match=r"the window is a datetime\.timedelta"):
        aluna.link_records(records, identifiers=["phone"], time="seen", window=3)
    with pytest.raises(ArgumentError, match="dates are whole days"):
        aluna.link_records(records, identifiers=["phone"], time="seen", window=timedelta(hours=5))


def test_window_shorter_than_the_time_unit():
    recs = pl.DataFrame(
        {"person_id": [1, 2], "phone": [5, 5], "at": [datetime(2024, 1, 1), datetime(2024, 1, 2)]}
    ).with_columns(pl.col("at").dt.cast_time_unit("ms"))
    with pytest.raises(ArgumentError, match=r"is shorter than the time column's unit \(ms\)"):
        aluna.link_records(recs, identifiers=["phone"], time="at", window=timedelta(microseconds=5))


def test_null_time_is_an_error(records):
    bad = records.with_columns(seen=pl.Series([date(2024, 1, 1), None, None], dtype=pl.Date))
    with pytest.raises(BadValueError, match=r"column `seen`, row 1: null where a time"):
        aluna.link_records(bad, identifiers=["phone"], time="seen")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"identifiers": []}, "argument `identifiers`: name at least one identifier column"),
        ({"identifiers": ["phone", "phone"]}, "`phone` is named twice"),
        ({"identifiers": ["person_id"]}, "`person_id` is the entity column"),
        ({"identifiers": ["phone"], "weighting": "idf"}, 'argument `weighting`: expected "inverse'),
        ({"identifiers": ["phone"], "max_identifier_degree": 1}, "must be at least 2"),
        ({"identifiers": ["phone"], "max_identifier_degree": -5}, "must be at least 2"),
        ({"identifiers": ["phone"], "max_identifier_degree": 2.5}, "expected an integer"),
    ],
)
def test_bad_arguments(records, kwargs, message):
    with pytest.raises(ArgumentError, match=message):
        aluna.link_records(records, **kwargs)


def test_empty_records():
    empty = pl.DataFrame(schema={"person_id": pl.String, "phone": pl.String})
    with pytest.raises(EmptyInputError, match="the records table has no rows"):
        aluna.link_records(empty, identifiers=["phone"])


def test_co_offending_errors():
    two_types = pl.DataFrame({"person_id": [1, 2], "case_id": [7, 7], "crime": ["0302", "0601"]})
    with pytest.raises(
        BadValueError, match=r"row 1: expected one crime type per case .* recorded as 0302 in row 0"
    ):
        aluna.co_offending(two_types, crime_type="crime")
    null_person = pl.DataFrame({"person_id": [1, None], "case_id": [7, 7]})
    with pytest.raises(BadValueError, match=r"column `person_id`, row 1: null where a person id"):
        aluna.co_offending(null_person)
    with pytest.raises(ColumnError, match="column `case` not found"):
        aluna.co_offending(null_person, case="case")


def test_pandas_and_pyarrow_records_read_alike(records):
    polars_graph = aluna.link_records(records, identifiers=["phone"])
    pandas_graph = aluna.link_records(records.to_pandas(), identifiers=["phone"])
    arrow_graph = aluna.link_records(records.to_arrow(), identifiers=["phone"])
    assert polars_graph.edges().equals(pandas_graph.edges())
    assert polars_graph.edges().equals(arrow_graph.edges())
