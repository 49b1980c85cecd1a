"""The Parquet exchange layout: lossless graph round trips, records, metadata, validation."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import aluna
from aluna.exceptions import ArgumentError, BadValueError, ColumnError, IdentifierWarning

ROLES = ["offender", "suspect", "victim", "witness", "unknown"]


def assert_same_graph(a: aluna.CaseGraph, b: aluna.CaseGraph) -> None:
    assert repr(a) == repr(b)
    assert a._columns == b._columns
    assert a.nodes().equals(b.nodes())
    assert a.edges().equals(b.edges())
    assert a.edges(per_link=True).equals(b.edges(per_link=True))
    assert a.evidence().equals(b.evidence())
    assert a._graph.time_kind() == b._graph.time_kind()


@st.composite
def graphs(draw):
    n = draw(st.integers(1, 12))
    string_ids = draw(st.booleans())
    ids = [f"p{i}" for i in range(n)] if string_ids else list(range(100, 100 + n))
    m = draw(st.integers(0, 25))
    edge = st.tuples(st.sampled_from(ids), st.sampled_from(ids))
    pairs = draw(st.lists(edge, min_size=m, max_size=m))
    data: dict[str, list] = {"source": [p[0] for p in pairs], "target": [p[1] for p in pairs]}
    weighted = draw(st.booleans())
    typed = draw(st.booleans())
    timed = draw(st.sampled_from([None, "int", "date", "datetime"]))
    if weighted:
        data["w"] = draw(st.lists(st.floats(0, 1e6, allow_nan=False), min_size=m, max_size=m))
    if typed:
        data["kind"] = draw(
            st.lists(st.sampled_from(["0302", "0601", "phone"]), min_size=m, max_size=m)
        )
    if timed:
        days = draw(st.lists(st.integers(0, 5000), min_size=m, max_size=m))
        if timed == "int":
            data["t"] = days
        elif timed == "date":
            data["t"] = [date(2010, 1, 1) + timedelta(days=d) for d in days]
        else:
            data["t"] = [
                datetime(2010, 1, 1, tzinfo=timezone.utc) + timedelta(hours=d) for d in days
            ]
    schema = {
        "source": pl.String if string_ids else pl.Int64,
        "target": pl.String if string_ids else pl.Int64,
        "w": pl.Float64,
        "kind": pl.String,
        "t": {
            "int": pl.Int64,
            "date": pl.Date,
            "datetime": pl.Datetime("us", "UTC"),
            None: pl.Int64,
        }[timed],
    }
    schema = {k: v for k, v in schema.items() if k in data}
    edges = pl.DataFrame(data, schema_overrides=schema)
    nodes = pl.DataFrame({"node": ids}, schema={"node": schema["source"]})
    if draw(st.booleans()):
        nodes = nodes.with_columns(
            role=pl.Series(draw(st.lists(st.sampled_from(ROLES), min_size=n, max_size=n))),
            age=pl.Series(
                draw(st.lists(st.one_of(st.none(), st.integers(10, 80)), min_size=n, max_size=n)),
                dtype=pl.Int64,
            ),
        )
    return aluna.CaseGraph.from_edges(
        edges,
        weight="w" if weighted else None,
        link_type="kind" if typed else None,
        time="t" if timed else None,
        directed=draw(st.booleans()),
        multigraph=draw(st.booleans()),
        nodes=nodes,
    )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(graph=graphs())
def test_graph_round_trip_is_lossless(tmp_path, graph):
    path = tmp_path / "g.parquet"
    graph.write_parquet(
        path,
        key_fingerprint="sha256:abcd",
        suppression={"k": 5},
        provenance={"source": "synthetic"},
    )
    back = aluna.CaseGraph.read_parquet(path)
    assert_same_graph(graph, back)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(0, 20),
            st.one_of(st.none(), st.integers(0, 6)),
            st.one_of(st.none(), st.sampled_from("abcd")),
            st.integers(0, 100),
        ),
        min_size=1,
        max_size=60,
    ),
    timed=st.booleans(),
)
def test_linked_graph_round_trip_keeps_spans_and_evidence(tmp_path, rows, timed):
    records = pl.DataFrame(rows, schema=["person_id", "phone", "card", "day"], orient="row")
    g = aluna.link_records(records, identifiers=["phone", "card"], time="day" if timed else None)
    path = tmp_path / "linked.parquet"
    g.write_parquet(path)
    back = aluna.CaseGraph.read_parquet(path)
    assert_same_graph(g, back)
    assert back.evidence().columns == g.evidence().columns


def test_graph_file_metadata(tmp_path):
    g = aluna.co_offending(
        pl.DataFrame({"person_id": [1, 2], "case_id": [5, 5], "crime": ["0302", "0302"]}),
        crime_type="crime",
    )
    path = tmp_path / "g.parquet"
    g.write_parquet(
        path,
        key_fingerprint="sha256:00ff",
        suppression="cells below 5 suppressed",
        provenance={"agency": "synthetic", "extracted": "2024-05-01"},
    )
    meta = aluna.exchange.read_metadata(path)
    assert meta["schema"] == "aluna.case-graph"
    assert meta["schema_version"] == aluna.exchange.SCHEMA_VERSION == 1
    assert meta["key_fingerprint"] == "sha256:00ff"
    assert meta["suppression"] == "cells below 5 suppressed"
    assert meta["provenance"] == {"agency": "synthetic", "extracted": "2024-05-01"}
    assert meta["created_by"].startswith("aluna ")
    assert meta["graph"]["built_by"] == "aluna.co_offending"
    f = aluna.exchange.read_graph(path)
    assert f.key_fingerprint == "sha256:00ff"
    assert f.graph.layers()["layer"].to_list() == ["0302"]
    # The file is plain Parquet: one row per node, then one per link.
    raw = pl.read_parquet(path)
    assert raw["element"].to_list() == ["node", "node", "link"]


def test_newer_or_foreign_files_are_refused(tmp_path):
    plain = tmp_path / "plain.parquet"
    pl.DataFrame({"a": [1]}).write_parquet(plain)
    with pytest.raises(ArgumentError, match="has no aluna metadata"):
        aluna.CaseGraph.read_parquet(plain)
    newer = tmp_path / "newer.parquet"
    doc = {"schema": "aluna.case-graph", "schema_version": 99}
    pl.DataFrame({"a": [1]}).write_parquet(newer, metadata={"aluna": json.dumps(doc)})
    with pytest.raises(ArgumentError, match="uses layout version 99; this aluna reads up to"):
        aluna.CaseGraph.read_parquet(newer)
    records = tmp_path / "records.parquet"
    aluna.exchange.write_records(
        pl.DataFrame({"person_id": [1]}), records, entity="person_id", key_fingerprint="k1"
    )
    with pytest.raises(ArgumentError, match=r"holds 'aluna\.records', not 'aluna\.case-graph'"):
        aluna.CaseGraph.read_parquet(records)


def test_fingerprint_is_checked(tmp_path):
    g = aluna.CaseGraph.from_edges(pl.DataFrame({"source": [1], "target": [2]}))
    with pytest.raises(ArgumentError, match="expected the key's fingerprint as a string"):
        g.write_parquet(tmp_path / "g.parquet", key_fingerprint=b"raw-key-bytes")
    with pytest.raises(ArgumentError, match="without spaces"):
        g.write_parquet(tmp_path / "g.parquet", key_fingerprint="my secret key")
    with pytest.raises(ArgumentError, match="must be JSON-serialisable"):
        g.write_parquet(tmp_path / "g.parquet", provenance={"when": date(2024, 1, 1)})


# ---------------------------------------------------------------------------- records


@pytest.fixture
def records():
    return pl.DataFrame(
        {
            "person_id": ["a1f", "b27", "c9e"],
            "case_id": [1, 1, 2],
            "phone": ["phone:3fa94c0e12d87b55", "phone:3fa94c0e12d87b55", None],
            "seen": [date(2024, 1, 1), date(2024, 1, 2), date(2024, 2, 1)],
            "crime": ["030221", "030221", "0601"],
        }
    )


def test_records_round_trip(tmp_path, records):
    path = tmp_path / "r.parquet"
    aluna.exchange.write_records(
        records,
        path,
        entity="person_id",
        identifiers=["phone"],
        case="case_id",
        time="seen",
        crime_type="crime",
        iccs=True,
        key_fingerprint="sha256:77",
        suppression={"rule": "k-anonymity", "k": 5},
        provenance={"system": "synthetic"},
    )
    f = aluna.exchange.read_records(path)
    assert f.records.equals(records)
    assert (f.entity, f.identifiers, f.case, f.time, f.crime_type) == (
        "person_id",
        ["phone"],
        "case_id",
        "seen",
        "crime",
    )
    assert f.crime_type_coding == "ICCS 1.0"
    assert f.key_fingerprint == "sha256:77"
    assert f.suppression == {"rule": "k-anonymity", "k": 5}
    assert f.provenance == {"system": "synthetic"}
    g = aluna.link_records(f.records, f.entity, f.identifiers, time=f.time)
    assert g.number_of_edges() == 1


def test_records_need_a_fingerprint(tmp_path, records):
    with pytest.raises(ArgumentError, match="records the fingerprint of the pseudonymisation key"):
        aluna.exchange.write_records(
            records, tmp_path / "r.parquet", entity="person_id", key_fingerprint=None
        )  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"entity": "person"}, ColumnError, r"column `person` \(entity\) not found"),
        ({"identifiers": ["seen"]}, ColumnError, r"`seen` \(identifier\): expected integer or st"),
        ({"time": "crime"}, ColumnError, r"`crime` \(time\): expected a date, a datetime"),
        ({"crime_type": "case_id"}, ColumnError, r"\(crime type\): expected strings"),
        ({"identifiers": ["person_id"]}, ArgumentError, "is already the entity column"),
    ],
)
def test_records_validation(records, kwargs, error, message):
    args = {"entity": "person_id", **kwargs}
    with pytest.raises(error, match=message):
        aluna.exchange.validate_records(records, **args)


def test_records_validation_names_rows(records):
    bad = records.with_columns(person_id=pl.Series(["a", None, "c"]))
    with pytest.raises(BadValueError, match=r"`person_id` \(entity\), row 1: null where an entity"):
        aluna.exchange.validate_records(bad, entity="person_id")
    bad = records.with_columns(crime=pl.Series(["030221", "drugs", "0601"]))
    with pytest.raises(BadValueError, match=r"column `crime`, row 1: expected an ICCS code"):
        aluna.exchange.validate_records(bad, entity="person_id", crime_type="crime", iccs=True)


def test_records_that_look_like_raw_phone_numbers_warn(tmp_path, records):
    raw = records.with_columns(phone=pl.Series(["+44 20 7946 0018", "+44 20 7946 0019", None]))
    with pytest.warns(IdentifierWarning, match="most values look like phone numbers"):
        aluna.exchange.write_records(
            raw,
            tmp_path / "r.parquet",
            entity="person_id",
            identifiers=["phone"],
            key_fingerprint="k",
        )


def test_documented_layout_matches(tmp_path):
    doc = (Path(__file__).resolve().parents[2] / "docs" / "exchange.md").read_text()
    assert f"schema_version: {aluna.exchange.SCHEMA_VERSION}" in doc.replace("`", "")


# ---------------------------------------------------------------------------- identifiers


NAMES = ["Anna Kowalska", "Jan de Vries", "Maria Garcia"]


def test_reading_records_with_direct_identifiers_warns_without_values(tmp_path, records):
    path = tmp_path / "r.parquet"
    with_names = records.with_columns(full_name=pl.Series(NAMES))
    aluna.exchange.write_records(
        with_names, path, entity="person_id", identifiers=["phone"], key_fingerprint="sha256:77"
    )
    with pytest.warns(IdentifierWarning) as seen:
        f = aluna.exchange.read_records(path)
    assert f.records.equals(with_names)
    message = str(seen[0].message)
    assert message.startswith("read_records('r.parquet') has columns that look like direct")
    assert "'full_name' (person_name" in message
    # the pseudonymised phone column is recognised and not flagged; no value is shown
    assert "'phone'" not in message
    for value in [*NAMES, "3fa94c0e12d87b55"]:
        assert value not in message
        assert value.split()[0] not in message


def test_reading_a_graph_with_identifying_node_attributes_warns_without_values(tmp_path):
    g = aluna.CaseGraph.from_edges(pl.DataFrame({"source": [1, 2], "target": [2, 3]}))
    emails = ["anna.k@example.org", "jan.v@example.org", "maria.g@example.org"]
    g = g.with_node_attributes(pl.DataFrame({"node": [1, 2, 3], "email": emails}))
    path = tmp_path / "g.parquet"
    g.write_parquet(path, key_fingerprint="sha256:77")
    with pytest.warns(
        IdentifierWarning, match=r"read_graph\('g.parquet'\).*'email' \(email"
    ) as seen:
        back = aluna.exchange.read_graph(path)
    assert back.graph.nodes().equals(g.nodes())
    message = str(seen[0].message)
    assert all(e not in message and e.split("@")[0] not in message for e in emails)
