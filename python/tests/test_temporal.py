"""Snapshots, group persistence and activity timelines."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone

import polars as pl
import pytest

import aluna
from aluna.exceptions import ArgumentError, ColumnError, DuplicateError


def timed_participation(seed: int) -> pl.DataFrame:
    rng = random.Random(seed)
    rows = []
    for case in range(300):
        day = date(2021, 1, 1) + timedelta(days=rng.randrange(730))
        for p in rng.sample(range(60), rng.randint(2, 4)):
            rows.append((p, case, day))
    return pl.DataFrame(rows, schema=["person_id", "case_id", "day"], orient="row")


def test_snapshot_links_equal_a_filter_of_the_evidence():
    part = timed_participation(1)
    g = aluna.co_offending(part, time="day")
    snaps = g.snapshots("3mo")
    ev = g.evidence()
    assert snaps[0].start == date(2021, 1, 1)
    assert snaps[len(snaps) - 1].end > ev["day"].max()
    for snap in snaps:
        inside = ev.filter((pl.col("day") >= snap.start) & (pl.col("day") < snap.end))
        assert (
            snap.graph.evidence()
            .sort("source", "target", "day")
            .equals(inside.sort("source", "target", "day"))
        )
        assert snap.graph.number_of_nodes() == g.number_of_nodes()
    assert snaps.windows["links"].sum() == ev.height
    assert snaps.windows["start"].to_list()[1] == date(2021, 4, 1)


def test_link_spans_count_in_every_window_they_overlap():
    records = pl.DataFrame(
        {"person_id": ["a", "b", "b"], "phone": ["x", "x", "x"], "seen": [1, 2, 9]}
    )
    g = aluna.link_records(records, identifiers=["phone"], time="seen")
    assert g.edges().select("first_seen", "last_seen").rows() == [(2, 9)]
    snaps = g.snapshots(3)
    assert snaps.windows.select("start", "edges").rows() == [(0, 1), (3, 1), (6, 1), (9, 1)]


def test_datetime_windows_with_time_zone():
    part = pl.DataFrame(
        {
            "person_id": [1, 2, 1, 2],
            "case_id": [1, 1, 2, 2],
            "at": [datetime(2024, 1, 1, 23, tzinfo=timezone.utc)] * 2
            + [datetime(2024, 1, 3, 1, tzinfo=timezone.utc)] * 2,
        }
    )
    snaps = aluna.co_offending(part, time="at").snapshots(timedelta(days=1))
    assert snaps.windows["links"].to_list() == [1, 0, 1]


def planted_groups_over_time() -> tuple[aluna.CaseGraph, pl.DataFrame]:
    """Group A (1-4) active in years 0-2, losing member 4 and gaining 5 in year 2; group B (10-13)
    active in year 0 only; group C (20-22) born in year 2."""
    rows = []
    case = 0

    def add(year, people):
        nonlocal case
        for p in people:
            rows.append((p, case, year))
        case += 1

    for year, a in [(0, [1, 2, 3, 4]), (1, [1, 2, 3, 4]), (2, [1, 2, 3, 5])]:
        add(year, a[:2])
        add(year, a[1:])
    add(0, [10, 11, 12, 13])
    add(2, [20, 21, 22])
    part = pl.DataFrame(rows, schema=["person_id", "case_id", "year"], orient="row")
    return aluna.co_offending(part, time="year"), part


def test_persistence_follows_planted_groups_with_a_callable_partition():
    g, _ = planted_groups_over_time()
    snaps = g.snapshots(1)
    components = lambda graph: graph.components().rename({"component": "community"})  # noqa: E731
    p = snaps.persistence(components, threshold=0.5)
    table = p.table.sort("window", "group")
    assert table.select("window", "group", "members", "event").rows() == [
        (0, 0, 4, "birth"),
        (0, 1, 4, "birth"),
        (1, 0, 4, "continued"),
        (2, 0, 4, "continued"),
        (2, 2, 3, "birth"),
    ]
    assert table.filter(pl.col("window") == 2, pl.col("group") == 0)["jaccard"].item() == 0.6
    summary = p.summary
    assert summary.filter(pl.col("group") == 0).select("windows_active", "persistence").rows() == [
        (3, 1.0)
    ]
    assert summary.filter(pl.col("group") == 1)["last_window"].item() == 0


def test_persistence_threshold_and_gap():
    g, _ = planted_groups_over_time()
    snaps = g.snapshots(1)
    components = lambda graph: graph.components().rename({"component": "community"})  # noqa: E731
    strict = snaps.persistence(components, threshold=0.7)
    # Year 2's group shares 3 of 5 members with year 1's (J = 0.6 < 0.7): a new group is born.
    assert strict.table.filter(pl.col("window") == 2)["event"].to_list() == ["birth", "birth"]


def test_static_partition_timeline_and_per_window_partition():
    g, _ = planted_groups_over_time()
    snaps = g.snapshots(1)
    static = pl.DataFrame(
        {"node": [1, 2, 3, 4, 5, 10, 11, 12, 13], "community": ["A"] * 5 + ["B"] * 4}
    )
    timeline = snaps.timeline(static)
    assert timeline.select("window", "community", "members", "links").rows() == [
        (0, "A", 4, 4),
        (0, "B", 4, 6),
        (1, "A", 4, 4),
        (2, "A", 4, 4),
    ]
    per_window = pl.concat([static.with_columns(window=pl.lit(w)) for w in range(3)])
    p = snaps.persistence(per_window)
    assert p.table["group"].to_list() == [0, 1, 0, 0]


def test_partition_errors():
    g, _ = planted_groups_over_time()
    snaps = g.snapshots(1)
    with pytest.raises(ColumnError, match="column `community` not found"):
        snaps.timeline(pl.DataFrame({"node": [1], "group": ["A"]}))
    with pytest.raises(DuplicateError, match="node 1 is in more than one community"):
        snaps.timeline(pl.DataFrame({"node": [1, 1], "community": ["A", "B"]}))
    with pytest.raises(ArgumentError, match="must return a polars DataFrame"):
        snaps.persistence(lambda graph: None)
    with pytest.raises(ArgumentError, match=r"argument `threshold`: must be in \(0, 1\]"):
        snaps.persistence(pl.DataFrame({"node": [1], "community": [0]}), threshold=0)


def test_freq_errors():
    g, _ = planted_groups_over_time()
    with pytest.raises(ArgumentError, match="freq is a positive integer"):
        g.snapshots("1mo")
    dated = aluna.co_offending(timed_participation(2), time="day")
    with pytest.raises(ArgumentError, match="expected a duration such as '1mo'"):
        dated.snapshots(3)
    untimed = aluna.CaseGraph.from_edges(pl.DataFrame({"source": [1], "target": [2]}))
    with pytest.raises(ArgumentError, match="the graph's links have no time"):
        untimed.snapshots(1)
