"""cross_crime_involvement against an independent computation, and the EU flag's rule."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import aluna
from aluna.exceptions import ArgumentError, ColumnError, DuplicateError

CRIMES = ["030221", "030222", "0601", "0701", "0204", "0401"]


def records(seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Participation records of planted groups (with some cross-group cases) and the partition."""
    rng = random.Random(seed)
    groups = {g: list(range(g * 10, g * 10 + rng.randint(3, 9))) for g in range(8)}
    rows = []
    case = 0
    for members in groups.values():
        for _ in range(rng.randint(2, 8)):
            people = rng.sample(members, rng.randint(1, min(4, len(members))))
            if rng.random() < 0.2:  # a case with an outsider
                people.append(rng.randrange(200, 230))
            crimes = rng.sample(CRIMES, rng.choice([1, 1, 1, 2]))
            day = date(2020, 1, 1) + timedelta(days=rng.randrange(900))
            for p in people:
                for c in crimes:
                    rows.append((p, case, c, day))
            case += 1
    part = pl.DataFrame(rows, schema=["person_id", "case_id", "crime_type", "day"], orient="row")
    partition = pl.DataFrame(
        [(m, f"g{g}") for g, ms in groups.items() for m in ms],
        schema=["node", "community"],
        orient="row",
    )
    return part, partition


def independent(part: pl.DataFrame, partition: pl.DataFrame, focus: str) -> dict:
    """The figures, group by group, with plain polars filters (no shared code with aluna)."""
    out = {}
    is_focus = lambda c: c.startswith(focus)  # noqa: E731
    for community in partition["community"].unique().sort().to_list():
        people = set(partition.filter(pl.col("community") == community)["node"].to_list())
        mine = part.filter(pl.col("person_id").is_in(list(people)))
        if mine.height == 0:
            continue
        case_types = set(mine.select("case_id", "crime_type").iter_rows())
        counts: dict[str, int] = {}
        for _, crime in case_types:
            counts[crime] = counts.get(crime, 0) + 1
        total = sum(counts.values())
        shares = {c: n / total for c, n in counts.items()}
        members = set(mine["person_id"].to_list())
        others = {
            p for p, c in mine.select("person_id", "crime_type").iter_rows() if not is_focus(c)
        }
        joint = sum(1 for _, rows in mine.group_by("case_id") if rows["person_id"].n_unique() >= 2)
        # Co-offending links (pair, crime type) in non-focus layers touching the group.
        links, external = set(), set()
        for (_, crime), rows in part.group_by("case_id", "crime_type"):
            if is_focus(crime):
                continue
            ps = sorted(set(rows["person_id"].to_list()))
            for i, a in enumerate(ps):
                for b in ps[i + 1 :]:
                    if a in people or b in people:
                        links.add((a, b, crime))
                        if (a in people) != (b in people):
                            external.add((a, b, crime))
        days = [d for _, d in mine.select("case_id", "day").unique().iter_rows()]
        out[community] = {
            "members": len(members),
            "cases": mine["case_id"].n_unique(),
            "focus_cases": len({c for c, t in case_types if is_focus(t)}),
            "crime_types": len(counts),
            "blau": 1 - sum(p * p for p in shares.values()),
            "entropy": -sum(p * math.log(p) for p in shares.values()),
            "share_members_other_types": len(others) / len(members),
            "other_layer_links": len(links),
            "other_layer_links_external": len(external),
            "other_layers": len({c for _, _, c in links}),
            "joint_cases": joint,
            "span": max(days) - min(days),
            "mix": {c: (n, shares[c]) for c, n in counts.items()},
        }
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_figures_equal_an_independent_computation(seed):
    part, partition = records(seed)
    result = aluna.cross_crime_involvement(
        part, partition, focus="child sexual exploitation", time="day"
    )
    expected = independent(part, partition, "03022")
    summary = {row["community"]: row for row in result.summary.iter_rows(named=True)}
    assert set(summary) == set(expected)
    for community, want in expected.items():
        got = summary[community]
        for key, value in want.items():
            if key == "mix":
                mix = result.mix.filter(pl.col("community") == community)
                got_mix = {
                    c: (n, s) for c, n, s in mix.select("crime_type", "cases", "share").iter_rows()
                }
                assert set(got_mix) == set(value)
                for crime, (n, share) in value.items():
                    assert got_mix[crime][0] == n
                    assert got_mix[crime][1] == pytest.approx(share, abs=1e-12)
            elif isinstance(value, float):
                assert got[key] == pytest.approx(value, abs=1e-12), (community, key)
            else:
                assert got[key] == value, (community, key)


def test_eu_flag_follows_its_stated_rule():
    part, partition = records(4)
    result = aluna.cross_crime_involvement(
        part,
        partition,
        focus="03022",
        time="day",
        min_span=timedelta(days=365),
        min_joint_cases=3,
        min_members=4,
    )
    s = result.summary
    expected = (
        (s["members"] >= 4)
        & (s["joint_cases"] >= 3)
        & (s["serious_cases"] >= 1)
        & (s["span"] >= timedelta(days=365))
    )
    assert s["eu_criminal_organisation"].to_list() == expected.to_list()
    assert expected.any()
    assert not expected.all()
    assert "members >= 4" in result.rule
    assert "365 days" in result.rule
    assert "Material benefit is not assessed" in result.rule
    assert result.criteria["criterion"].to_list() == [
        "more than two persons",
        "established over a period of time",
        "acting in concert",
        "serious offences",
        "financial or other material benefit",
    ]


def test_serious_list_decides_the_serious_criterion():
    part = pl.DataFrame(
        {
            "person_id": [1, 2, 3, 1, 2, 3],
            "case_id": [1, 1, 1, 2, 2, 2],
            "crime_type": ["0503", "0503", "0503", "0503", "0503", "0503"],
        }
    )
    groups = pl.DataFrame({"node": [1, 2, 3], "community": [0, 0, 0]})
    default = aluna.cross_crime_involvement(part, groups, focus="0503", min_span=None)
    assert default.summary["eu_criminal_organisation"].to_list() == [False]
    own = aluna.cross_crime_involvement(part, groups, focus="0503", min_span=None, serious=["05"])
    assert own.summary["eu_criminal_organisation"].to_list() == [True]


def test_without_time_the_span_criterion_is_not_assessable():
    part = pl.DataFrame(
        {
            "person_id": [1, 2, 3, 1, 2, 3, 7, 8],
            "case_id": [1, 1, 1, 2, 2, 2, 3, 3],
            "crime_type": ["0204"] * 8,
        }
    )
    groups = pl.DataFrame({"node": [1, 2, 3, 7, 8], "community": ["a", "a", "a", "b", "b"]})
    r = aluna.cross_crime_involvement(part, groups, focus="human trafficking")
    assert r.summary["eu_criminal_organisation"].to_list() == [None, False]
    assert "not assessable" in r.rule


def test_graph_input_counts_links_as_cases():
    part, partition = records(5)
    single = part.group_by("case_id").agg(pl.col("crime_type").first())
    part1 = part.drop("crime_type").join(single, on="case_id")
    g = aluna.co_offending(part1, crime_type="crime_type", time="day")
    r = aluna.cross_crime_involvement(g, partition, focus="03022")
    assert r.unit == "link"
    ev = g.evidence()
    members = set(partition["node"].to_list())
    g0 = set(partition.filter(pl.col("community") == "g0")["node"].to_list())
    touching = ev.filter(pl.col("source").is_in(list(g0)) | pl.col("target").is_in(list(g0)))
    row = r.summary.filter(pl.col("community") == "g0").row(0, named=True)
    assert row["cases"] == touching.height
    assert members


def test_level_aggregates_the_mix():
    part, partition = records(6)
    r = aluna.cross_crime_involvement(part, partition, focus="0302", level=2, min_span=None)
    assert set(r.mix["crime_type"]) <= {"0302", "0601", "0701", "0204", "0401"}
    shares = r.mix.group_by("community").agg(pl.col("share").sum())
    assert_frame_equal(
        shares.select(pl.col("share").round(12)),
        pl.DataFrame({"share": [1.0] * shares.height}),
    )


def test_bad_input():
    part, partition = records(7)
    with pytest.raises(ArgumentError, match="did you mean"):
        aluna.cross_crime_involvement(part, partition, focus="child sexual exploitatoin")
    with pytest.raises(DuplicateError, match="is in more than one community"):
        aluna.cross_crime_involvement(part, pl.concat([partition, partition.head(1)]), focus="0302")
    with pytest.raises(ColumnError, match="partition: column `community` not found"):
        aluna.cross_crime_involvement(part, partition.rename({"community": "g"}), focus="0302")
    with pytest.raises(ColumnError, match="column `crime` not found"):
        aluna.cross_crime_involvement(part, partition, focus="0302", crime_type="crime")
    with pytest.raises(ArgumentError, match=r"min_span is a non-negative datetime\.timedelta"):
        aluna.cross_crime_involvement(part, partition, focus="0302", time="day", min_span=30)
    untyped = aluna.CaseGraph.from_edges(pl.DataFrame({"source": [1], "target": [2]}))
    with pytest.raises(ArgumentError, match="the graph's links have no crime type"):
        aluna.cross_crime_involvement(untyped, partition, focus="0302")
