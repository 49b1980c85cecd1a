"""Crime-type layers, multiplex measures and the ICCS table."""

from __future__ import annotations

import random

import networkx as nx
import polars as pl
import pytest
from polars.testing import assert_frame_equal

import aluna
from aluna.exceptions import ArgumentError, BadValueError, ColumnError, NotDefinedError

LAYERS = ["030221", "0601", "0701", "0204"]


def layered_participation(seed: int, persons: int = 120, cases: int = 160) -> pl.DataFrame:
    rng = random.Random(seed)
    rows = []
    for c in range(cases):
        crime = rng.choice(LAYERS)
        for p in rng.sample(range(persons), rng.randint(1, 4)):
            rows.append((p, c, crime))
    return pl.DataFrame(rows, schema=["person_id", "case_id", "crime"], orient="row")


def nx_layers(part: pl.DataFrame) -> dict[str, nx.Graph]:
    """Each crime type's co-offending graph, built independently with networkx."""
    layers: dict[str, nx.Graph] = {}
    for crime, rows in part.group_by("crime"):
        g = nx.Graph()
        for _, members in rows.group_by("case_id"):
            people = sorted(set(members["person_id"].to_list()))
            g.add_edges_from((a, b) for i, a in enumerate(people) for b in people[i + 1 :])
        layers[crime[0]] = g
    return layers


@pytest.mark.parametrize("seed", [1, 2])
def test_layer_degree_and_participation_match_networkx_layers(seed):
    part = layered_participation(seed)
    g = aluna.co_offending(part, crime_type="crime")
    reference = nx_layers(part)
    ours = g.layer_degree()
    expected = pl.DataFrame(
        [(v, layer, d) for layer, lg in reference.items() for v, d in lg.degree() if d > 0],
        schema=["node", "layer", "degree"],
        orient="row",
    )
    assert_frame_equal(ours.sort("node", "layer"), expected.sort("node", "layer"))
    # Participation coefficient, Battiston et al. (2014) eq. 11, computed by hand per node.
    m = len(LAYERS)
    multiplex = g.multiplex()
    for node, degree, overlapping, active, p in multiplex.iter_rows():
        k = [reference[layer].degree(node) if node in reference[layer] else 0 for layer in LAYERS]
        o = sum(k)
        assert overlapping == o
        assert active == sum(1 for x in k if x)
        if o == 0:
            assert p is None
        else:
            assert p == pytest.approx(m / (m - 1) * (1 - sum((x / o) ** 2 for x in k)), abs=1e-12)
        merged = {w for lg in reference.values() if node in lg for w in lg[node]}
        assert degree == len(merged)


def test_layer_overlap_matches_edge_set_jaccard():
    part = layered_participation(3)
    g = aluna.co_offending(part, crime_type="crime")
    reference = nx_layers(part)
    edges = {k: {frozenset(e) for e in lg.edges()} for k, lg in reference.items()}
    order = g.layers()["layer"].to_list()
    rows = []
    for i, a in enumerate(order):
        for b in order[i + 1 :]:
            shared = len(edges[a] & edges[b])
            union = len(edges[a] | edges[b])
            rows.append((a, b, len(edges[a]), len(edges[b]), shared, shared / union))
    expected = pl.DataFrame(
        rows,
        schema=["layer_a", "layer_b", "edges_a", "edges_b", "shared", "jaccard"],
        orient="row",
    )
    assert_frame_equal(g.layer_overlap(), expected, abs_tol=1e-15)
    summary = g.layers()
    assert summary["edges"].to_list() == [len(edges[k]) for k in order]
    assert summary["label"].to_list() == [aluna.iccs.label(k) for k in order]


def test_layer_accepts_iccs_codes_labels_and_aliases():
    part = layered_participation(4)
    g = aluna.co_offending(part, crime_type="crime")
    by_code = g.layer("030221")
    assert by_code.edges().equals(g.layer("child sexual exploitation").edges())
    assert by_code.edges().equals(g.layer("Child pornography").edges())
    drugs = g.layer("drugs")
    assert set(drugs.evidence()["crime"].unique()) == {"0601"}
    with pytest.raises(ArgumentError, match="no layer matches 'Robbery'; the graph's layers are"):
        g.layer("Robbery")


def test_layers_need_typed_links_and_two_layers():
    g = aluna.CaseGraph.from_edges(pl.DataFrame({"source": [1], "target": [2]}))
    with pytest.raises(ArgumentError, match="the graph's links have no type"):
        g.layers()
    one = aluna.CaseGraph.from_edges(
        pl.DataFrame({"source": [1], "target": [2], "t": ["0601"]}), link_type="t"
    )
    with pytest.raises(NotDefinedError, match="needs at least two layers; the graph has 1"):
        one.multiplex()


def test_directed_layer_degrees():
    e = pl.DataFrame({"source": [1, 1, 2], "target": [2, 3, 3], "t": ["a", "b", "a"]})
    g = aluna.CaseGraph.from_edges(e, link_type="t", directed=True)
    out = g.layer_degree(direction="out").sort("node", "layer").rows()
    assert out == [(1, "a", 1), (1, "b", 1), (2, "a", 1)]
    assert g.multiplex(direction="in")["overlapping_degree"].to_list() == [0, 1, 2]


# ---------------------------------------------------------------------------- ICCS


def test_iccs_table_structure_and_source():
    t = aluna.iccs.table()
    assert t.filter(pl.col("level") == 1)["code"].to_list() == [f"{i:02d}" for i in range(1, 12)]
    assert (t["code"].str.len_chars() == t["level"].replace_strict({1: 2, 2: 4, 3: 5, 4: 6})).all()
    # Every code's parent (at the level above) is in the table.
    codes = set(t["code"])
    for code, level in t.select("code", "level").iter_rows():
        if level > 1:
            parent = code[: {2: 2, 3: 4, 4: 5}[level]]
            assert parent in codes, code
    assert "UNODC" in aluna.iccs.SOURCE
    assert "2015" in aluna.iccs.SOURCE


def test_iccs_code_resolution():
    assert aluna.iccs.code("child sexual abuse material") == "030221"
    assert aluna.iccs.code("SEXUAL EXPLOITATION OF CHILDREN") == "03022"
    with pytest.raises(ArgumentError, match="did you mean 'trafficking in persons'"):
        aluna.iccs.code("trafficing in persons")


def test_map_codes_and_its_errors():
    cases = pl.DataFrame({"statute": ["A1", "B2", None, "A1"]})
    mapped = aluna.iccs.map_codes(cases, "statute", {"A1": "030221", "B2": "0601"})
    assert mapped["iccs"].to_list() == ["030221", "0601", None, "030221"]
    with pytest.raises(BadValueError, match=r"1 national code\(s\) have no ICCS mapping: 'B2'"):
        aluna.iccs.map_codes(cases, "statute", {"A1": "030221"})
    lenient = aluna.iccs.map_codes(cases, "statute", {"A1": "030221"}, unmapped="null")
    assert lenient["iccs"].to_list() == ["030221", None, None, "030221"]
    with pytest.raises(ArgumentError, match="'A1' maps to '9999', which is not an ICCS code"):
        aluna.iccs.map_codes(cases, "statute", {"A1": "9999"})
    table = pl.DataFrame({"national": ["A1", "A1"], "iccs": ["030221", "0601"]})
    with pytest.raises(ArgumentError, match="'A1' maps to both '030221' and '0601'"):
        aluna.iccs.map_codes(cases, "statute", table)


def test_validate_names_the_row():
    with pytest.raises(BadValueError, match=r"column `crime`, row 1: expected an ICCS code"):
        aluna.iccs.validate(pl.DataFrame({"crime": ["0302", "robbery"]}), "crime")
    with pytest.raises(ColumnError, match="integer codes lose their leading zero"):
        aluna.iccs.validate(pl.DataFrame({"crime": [302]}), "crime")
