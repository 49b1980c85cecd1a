"""Privacy-preserving linkage on seeded, corrupted record pairs: quality at the default
threshold (with and without one-to-one assignment, and with several records per person),
blocking, determinism, and Dice scores against a numpy popcount."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from aluna.exceptions import ArgumentError, ColumnError
from aluna.privacy import (
    DEFAULT_THRESHOLD,
    Key,
    encode_for_linkage,
    link,
    linkage_quality,
    one_to_one,
)

# --------------------------------------------------------------- test helper: corrupted pairs


def _words(text: str) -> list[str]:
    return text.split()


# A small seeded generator of two agencies' records about overlapping people, with typos,
# transposed names, date errors and missing fields (test_privacy_linkage_synth.py links the
# harder aluna.synth.linkage_pair data against its ground truth).

FIRST = _words(
    "anna maria jan peter sofia luca marco elena ivan olga lukas emma noah mia leon hannah "
    "paul lea felix lena jonas laura elias julia ben sara tim lisa max nina david eva tom "
    "clara jakub zofia piotr kacper antoni maja szymon alicja hugo chloe louis lina jules "
    "manon gabriel camille arthur ines liam lucia mateo martina pablo carmen alejandro lucas "
    "daniel paula alvaro giulia francesco aurora alessandro ginevra lorenzo beatrice mattia "
    "sem tess finn saar daan liv oscar alma william elsa erik astrid noel ida"
)
LAST = _words(
    "muller schmidt schneider fischer weber meyer wagner becker schulz hoffmann garcia "
    "martinez lopez sanchez perez gomez martin jimenez ruiz hernandez rossi russo ferrari "
    "esposito bianchi romano colombo ricci marino greco bernard dubois thomas robert richard "
    "petit durand leroy moreau dejong jansen devries vandenberg bakker janssen visser smit "
    "nowak kowalski wisniewski wojcik kowalczyk kaminski lewandowski zielinski szymanski "
    "wozniak silva santos ferreira pereira oliveira costa rodrigues novak horvat kovac "
    "popescu ionescu nagy toth szabo andersson johansson karlsson nilsson eriksson larsen "
    "nielsen hansen pedersen virtanen korhonen murphy kelly byrne walsh smith jones williams "
    "brown taylor papadopoulos georgiou"
)
LETTERS = "abcdefghijklmnopqrstuvwxyz"
FIELDS = {("first", "last"): 1.0, "dob": 1.5, "sex": 0.5}


def _typo(text: str, rng: np.random.Generator) -> str:
    i = int(rng.integers(len(text)))
    op = int(rng.integers(3))
    letter = LETTERS[int(rng.integers(26))]
    if op == 0:
        return text[:i] + letter + text[i + 1 :]
    if op == 1:
        return text[:i] + text[i + 1 :]
    return text[:i] + letter + text[i:]


def _corrupt(person: dict, rng: np.random.Generator) -> dict:
    r = dict(person)
    if rng.random() < 0.10:
        r["first"] = _typo(r["first"], rng)
    if rng.random() < 0.10:
        r["last"] = _typo(r["last"], rng)
    if rng.random() < 0.05:
        r["first"], r["last"] = r["last"], r["first"]
    if rng.random() < 0.03:
        y, m, d = r["dob"].split("-")
        r["dob"] = f"{y}-{d}-{m}" if int(d) <= 12 else f"{y}-{m}-{int(d) % 28 + 1:02d}"
    for field in ("dob", "first", "sex"):
        if rng.random() < 0.02:
            r[field] = None
    return r


def corrupted_pairs(
    n: int = 2000, *, per_person: int = 1, overlap: float = 0.6, seed: int = 0
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Agency A's and B's records and the true pairs (every A-B pair of the same person).
    With ``per_person > 1`` each person has 1 to ``per_person`` records in each agency."""
    rng = np.random.default_rng(seed)
    a: list[dict] = []
    b: list[dict] = []
    truth = []
    for _ in range(n):
        y, m, d = int(rng.integers(1950, 2006)), int(rng.integers(1, 13)), int(rng.integers(1, 29))
        person = {
            "first": str(rng.choice(FIRST)),
            "last": str(rng.choice(LAST)),
            "dob": f"{y:04d}-{m:02d}-{d:02d}",
            "sex": str(rng.choice(["f", "m"])),
        }
        both = rng.random() < overlap
        in_a = both or rng.random() < 0.5
        in_b = both or not in_a
        records_a = [
            {"id": f"a{len(a) + k}", **_corrupt(person, rng)}
            for k in range(int(rng.integers(1, per_person + 1)) if in_a else 0)
        ]
        records_b = [
            {"id": f"b{len(b) + k}", **_corrupt(person, rng)}
            for k in range(int(rng.integers(1, per_person + 1)) if in_b else 0)
        ]
        a += records_a
        b += records_b
        truth += [(x["id"], y["id"]) for x in records_a for y in records_b]
    schema = {"left": pl.String, "right": pl.String}
    return pl.DataFrame(a), pl.DataFrame(b), pl.DataFrame(truth, schema=schema, orient="row")


# ----------------------------------------------------------------------------------- tests


@pytest.fixture(scope="module")
def key() -> Key:
    return Key.from_env("ALUNA_TEST_KEY")


@pytest.fixture(scope="module")
def one_each(key):
    a, b, truth = corrupted_pairs(2000, seed=1)
    return (
        encode_for_linkage(a, FIELDS, key, id="id"),
        encode_for_linkage(b, FIELDS, key, id="id"),
        truth,
    )


@pytest.fixture(scope="module")
def several_each(key):
    a, b, truth = corrupted_pairs(1500, per_person=3, seed=2)
    return (
        encode_for_linkage(a, FIELDS, key, id="id"),
        encode_for_linkage(b, FIELDS, key, id="id"),
        truth,
    )


@pytest.mark.parametrize("assign", [False, True])
def test_quality_at_the_default_threshold(one_each, assign):
    left, right, truth = one_each
    quality = linkage_quality(link(left, right, one_to_one=assign), truth)
    print(f"one record per person, one_to_one={assign}: {quality}")
    assert quality.precision >= 0.95
    assert quality.recall >= 0.95


def test_quality_with_several_records_per_person(several_each):
    left, right, truth = several_each
    pairs = link(left, right)
    quality = linkage_quality(pairs, truth)
    print(f"several records per person: {quality}")
    assert quality.precision >= 0.95
    assert quality.recall >= 0.95
    # One-to-one assignment cannot find most true pairs here: it hides, not fixes.
    assigned = linkage_quality(link(left, right, one_to_one=True), truth)
    print(f"several records per person, one_to_one=True: {assigned}")
    assert assigned.recall < 0.7


def test_blocking_keeps_recall(key):
    a, b, truth = corrupted_pairs(2000, seed=3)
    blocks = {
        "yob": pl.col("dob").str.slice(0, 4),
        "initials": pl.col("first").str.slice(0, 1) + pl.col("last").str.slice(0, 1),
        "surname": "last",
    }
    left = encode_for_linkage(a, FIELDS, key, id="id", blocking=blocks)
    right = encode_for_linkage(b, FIELDS, key, id="id", blocking=blocks)
    assert all(left[c].str.starts_with("block:").all() for c in blocks)
    full = link(left, right)
    blocked = link(left, right, blocking=list(blocks))
    recall_full = linkage_quality(full, truth).recall
    recall_blocked = linkage_quality(blocked, truth).recall
    print(f"recall unblocked {recall_full:.4f}, blocked {recall_blocked:.4f}")
    assert recall_blocked >= 0.99 * recall_full
    assert blocked.join(full, on=["left", "right"], how="anti").height == 0
    both = blocked.join(full, on=["left", "right"])
    assert (both["score"] == both["score_right"]).all()


def test_scores_equal_a_numpy_popcount(one_each):
    left, right, _ = one_each
    a = np.frombuffer(b"".join(left["encoding"].head(300).to_list()), dtype=np.uint8)
    b = np.frombuffer(b"".join(right["encoding"].head(200).to_list()), dtype=np.uint8)
    a_bits = np.unpackbits(a.reshape(300, -1), axis=1).astype(np.int64)
    b_bits = np.unpackbits(b.reshape(200, -1), axis=1).astype(np.int64)
    common = a_bits @ b_bits.T
    dice = 2 * common / (a_bits.sum(1)[:, None] + b_bits.sum(1)[None, :])
    ours = link(left.head(300), right.head(200), 0.3)
    expected_pairs = np.argwhere(dice >= 0.3)
    assert ours.height == len(expected_pairs)
    left_ids = left["id"].head(300).to_list()
    right_ids = right["id"].head(200).to_list()
    expected = pl.DataFrame(
        {
            "left": [left_ids[i] for i, _ in expected_pairs],
            "right": [right_ids[j] for _, j in expected_pairs],
            "score": [dice[i, j] for i, j in expected_pairs],
        }
    )
    merged = ours.join(expected, on=["left", "right"])
    assert merged.height == ours.height
    np.testing.assert_allclose(merged["score"], merged["score_right"], rtol=1e-15)


def test_results_do_not_depend_on_threads(key, one_each):
    left, right, _ = one_each
    assert link(left, right, threads=1).equals(link(left, right, threads=2))
    assert link(left, right, one_to_one=True, threads=1).equals(
        link(left, right, one_to_one=True, threads=2)
    )
    a, _, _ = corrupted_pairs(300, seed=9)
    assert encode_for_linkage(a, FIELDS, key, threads=1).equals(
        encode_for_linkage(a, FIELDS, key, threads=2)
    )


def test_encodings_need_the_key(tmp_path, key, one_each):
    left, _, _ = one_each
    assert left["encoding"].dtype == pl.Binary
    assert {len(e) for e in left["encoding"]} == {128}
    assert left.columns == ["id", "encoding"]
    a, _, _ = corrupted_pairs(200, seed=4)
    file = tmp_path / "other.key"
    file.write_bytes(b"another synthetic key, not secret")
    file.chmod(0o600)
    ours = encode_for_linkage(a, FIELDS, key, id="id")
    theirs = encode_for_linkage(a, FIELDS, Key.from_file(file), id="id")
    # The same records under another key do not link.
    assert link(ours, ours).height >= a.height
    assert link(ours, theirs).height == 0


def test_one_to_one_on_a_users_table():
    pairs = pl.DataFrame(
        {
            "l": ["x", "x", "y", "z"],
            "r": [1, 2, 1, 3],
            "s": [0.9, 0.85, 0.95, 0.5],
            "note": list("abcd"),
        }
    )
    kept = one_to_one(pairs, left="l", right="r", score="s")
    assert kept.rows() == [("x", 2, 0.85, "b"), ("y", 1, 0.95, "c"), ("z", 3, 0.5, "d")]
    with pytest.raises(ValueError, match="non-negative score"):
        one_to_one(
            pairs.with_columns(pl.lit(float("nan")).alias("s")), left="l", right="r", score="s"
        )


def test_linkage_quality_counts():
    q = linkage_quality(
        pl.DataFrame({"left": [1, 1], "right": [2, 2]}), pl.DataFrame({"left": [1], "right": [2]})
    )
    assert (q.precision, q.recall, q.f1, q.true_positives) == (1.0, 1.0, 1.0, 1)
    empty = pl.DataFrame({"left": [], "right": []}, schema={"left": pl.Int64, "right": pl.Int64})
    assert linkage_quality(empty, empty).f1 == 1.0


def test_bad_linkage_inputs(key, one_each):
    left, right, _ = one_each
    people = pl.DataFrame({"name": ["Ann"], "score": [0.5]})
    with pytest.raises(ColumnError, match="`nope` not found"):
        encode_for_linkage(people, ["nope"], key)
    with pytest.raises(ColumnError, match="holds Float64"):
        encode_for_linkage(people, ["score"], key)
    with pytest.raises(ArgumentError, match="bits"):
        encode_for_linkage(people, ["name"], key, bits=100)
    with pytest.raises(ArgumentError, match="weight"):
        encode_for_linkage(people, {"name": 0.0}, key)
    with pytest.raises(ArgumentError, match=r"expected an aluna\.privacy\.Key"):
        encode_for_linkage(people, ["name"], "secret")
    short = encode_for_linkage(people, ["name"], key, bits=512)
    with pytest.raises(ArgumentError, match="different lengths"):
        link(left, short)
    with pytest.raises(ArgumentError, match="threshold"):
        link(left, right, 1.5)
    with pytest.raises(ColumnError, match="no column `encoding`"):
        link(people, right)
    with pytest.raises(ColumnError, match="`yob` not found"):
        link(left, right, blocking="yob")


def test_default_threshold_is_documented():
    assert DEFAULT_THRESHOLD == 0.78
