"""Keys and keyed pseudonymisation: the token formula against Python's own hmac, the key kept
out of every output, repr, pickle and log."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import hmac
import logging
import os
import pickle
import re

import polars as pl
import pytest

import aluna
from aluna.exceptions import AlunaError, ArgumentError, ColumnError, KeyWarning
from aluna.privacy import PSEUDONYM_PATTERN, Key, is_pseudonym, pseudonymise

TEST_KEY = os.environ["ALUNA_TEST_KEY"].encode()


def reference_token(key: bytes, kind: str, value: str) -> str:
    """The documented formula, computed with the standard library's HMAC."""
    mac = hmac.new(key, kind.encode() + b"\x1f" + value.encode(), hashlib.sha256).digest()
    return f"{kind}:{mac[:8].hex()}"


def reference_integer(key: bytes, kind: str, value: str) -> int:
    mac = hmac.new(key, kind.encode() + b"\x1f" + value.encode(), hashlib.sha256).digest()
    return int.from_bytes(mac[:8], "big") & (2**63 - 1)


@pytest.fixture
def key() -> Key:
    return Key.from_env("ALUNA_TEST_KEY")


@pytest.fixture
def people() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "name": ["Maria García", None, "Jan de Vries", "Maria García"],
            "phone": ["+34 612 345 678", "0151 1234567", None, "+34 612 345 678"],
            "case": [20210001, 20210002, None, 20210001],
            "born": [dt.date(1984, 3, 12), dt.date(1990, 7, 1), None, dt.date(1984, 3, 12)],
            "count": [1, 2, 3, 4],
        }
    )


def test_tokens_follow_the_documented_formula(key, people):
    out = pseudonymise(people, ["name", "phone", "case", "born"], key)
    for column in ["name", "phone", "case", "born"]:
        raw = people[column]
        texts = raw.cast(pl.String).to_list()
        expected = [None if v is None else reference_token(TEST_KEY, column, v) for v in texts]
        assert out[column].to_list() == expected
    assert out["count"].equals(people["count"])
    assert all(is_pseudonym(t) for t in out["name"].drop_nulls())
    assert out["name"][0] == out["name"][3]


def test_integer_tokens_follow_the_documented_formula(key, people):
    out = pseudonymise(people, {"phone": "phone"}, key, integer=True)
    assert out["phone"].dtype == pl.Int64
    expected = [
        None if v is None else reference_integer(TEST_KEY, "phone", v)
        for v in people["phone"].to_list()
    ]
    assert out["phone"].to_list() == expected
    assert all(v >= 0 for v in out["phone"].drop_nulls())


def test_kinds_join_across_tables_and_separate_domains(key):
    a = pseudonymise(pl.DataFrame({"phone_number": ["123456789"]}), {"phone_number": "phone"}, key)
    b = pseudonymise(pl.DataFrame({"phone": ["123456789"]}), "phone", key)
    c = pseudonymise(pl.DataFrame({"case": [123456789]}), "case", key)
    assert a["phone_number"][0] == b["phone"][0]
    assert b["phone"][0].split(":")[1] != c["case"][0].split(":")[1]
    d = pseudonymise(pl.DataFrame({"Teléfono Móvil": ["1"]}), "Teléfono Móvil", key)
    assert d["Teléfono Móvil"][0].startswith("telefono_movil:")


def test_categoricals_and_pandas_and_threads_agree(key, people):
    cat = people.with_columns(pl.col("name").cast(pl.Categorical))
    one = pseudonymise(people, "name", key, threads=1)
    assert pseudonymise(cat, "name", key, threads=2)["name"].equals(one["name"])
    assert pseudonymise(people.to_pandas(), "name", key)["name"].equals(one["name"])
    big = pl.DataFrame({"id": [f"person {i}" for i in range(20_000)]})
    assert pseudonymise(big, "id", key, threads=1).equals(pseudonymise(big, "id", key, threads=2))


def test_pattern_is_the_documented_regex():
    assert PSEUDONYM_PATTERN == "^[a-z][a-z0-9_]{0,31}:[0-9a-f]{16}$"
    assert re.match(PSEUDONYM_PATTERN, "phone:9f2c41d0aa1377b2")
    assert not re.match(PSEUDONYM_PATTERN, "Phone:9f2c41d0aa1377b2")


@pytest.mark.parametrize(
    ("rfc_key", "message"),
    [
        (bytes([0x0B] * 20), b"Hi There"),
        (bytes([0xAA] * 20), bytes([0xDD] * 50)),
        (bytes(range(1, 26)), bytes([0xCD] * 50)),
        (bytes([0xAA] * 131), b"Test Using Larger Than Block-Size Key - Hash Key First"),
    ],
)
def test_rfc4231_keys_agree_with_the_standard_library(tmp_path, rfc_key, message):
    """RFC 4231's keys (20, 25 and 131 bytes: longer than SHA-256's block) through a key file."""
    file = tmp_path / "rfc.key"
    file.write_bytes(rfc_key + b"\n")
    file.chmod(0o600)
    key = Key.from_file(file)
    value = message.decode("latin-1")
    out = pseudonymise(pl.DataFrame({"v": [value]}), "v", key)
    mac = hmac.new(rfc_key, b"v\x1f" + value.encode(), hashlib.sha256).digest()
    assert out["v"][0] == f"v:{mac[:8].hex()}"


def test_key_never_shows(key, caplog):
    caplog.set_level(logging.DEBUG)
    secret = TEST_KEY.decode()
    shown = [repr(key), str(key), key._repr_html_(), f"{key}", key.fingerprint, key.source]
    out = pseudonymise(pl.DataFrame({"x": ["a"]}), "x", key)
    shown += [str(out), repr(out.rows()), repr(key._native)]
    for text in shown:
        assert secret not in text
        assert TEST_KEY.hex() not in text
    assert secret not in caplog.text
    assert re.fullmatch(r"[0-9a-f]{16}", key.fingerprint)
    assert (
        repr(key)
        == f"Key(fingerprint='{key.fingerprint}', source='environment variable ALUNA_TEST_KEY')"
    )


def test_key_cannot_be_pickled_or_changed(key):
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        with pytest.raises(TypeError, match="cannot be pickled"):
            pickle.dumps(key, protocol=protocol)
    with pytest.raises(TypeError):
        pickle.dumps(key._native)
    with pytest.raises(AttributeError, match="cannot be changed"):
        key._source = "x"
    assert copy.copy(key) is key
    assert copy.deepcopy({"k": key})["k"] is key
    with pytest.raises(TypeError, match="notebook"):
        Key(b"typed into a cell")


def test_fingerprint_is_stable_and_differs_by_key(tmp_path, key):
    file = tmp_path / "k"
    file.write_bytes(TEST_KEY + b"\r\n")
    file.chmod(0o600)
    assert Key.from_file(file).fingerprint == key.fingerprint
    file.write_bytes(b"another synthetic key, not secret")
    assert Key.from_file(file).fingerprint != key.fingerprint
    expected = hmac.new(TEST_KEY, b"aluna key fingerprint v1", hashlib.sha256).digest()[:8].hex()
    assert key.fingerprint == expected


def test_prompt_reads_a_hidden_line(monkeypatch, key):
    monkeypatch.setattr("getpass.getpass", lambda message: TEST_KEY.decode())
    prompted = Key.prompt()
    assert prompted.fingerprint == key.fingerprint
    assert prompted.source == "prompt"


def test_world_readable_key_file_warns(tmp_path):
    file = tmp_path / "open.key"
    file.write_bytes(b"0123456789abcdef0123")
    file.chmod(0o644)
    with pytest.warns(KeyWarning, match="chmod 600"):
        Key.from_file(file)


def test_bad_keys_are_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("ALUNA_NO_SUCH_KEY", raising=False)
    with pytest.raises(ArgumentError, match="ALUNA_NO_SUCH_KEY is not set"):
        Key.from_env("ALUNA_NO_SUCH_KEY")
    monkeypatch.setenv("ALUNA_SHORT_KEY", "short")
    with pytest.raises(ArgumentError, match="at least 16 bytes"):
        Key.from_env("ALUNA_SHORT_KEY")
    with pytest.raises(AlunaError, match="cannot read the key file"):
        Key.from_file(tmp_path / "missing.key")


def test_bad_pseudonymise_inputs(key, people):
    with pytest.raises(ColumnError, match="`nope` not found"):
        pseudonymise(people, "nope", key)
    with pytest.raises(ColumnError, match="`score` holds Float64"):
        pseudonymise(pl.DataFrame({"score": [0.5]}), "score", key)
    with pytest.raises(ArgumentError, match="not a token kind"):
        pseudonymise(people, {"name": "Name!"}, key)
    with pytest.raises(ArgumentError, match=r"expected an aluna\.privacy\.Key"):
        pseudonymise(people, "name", "aluna-synthetic-test-key-not-secret")
    with pytest.raises(ArgumentError, match="name at least one column"):
        pseudonymise(people, [], key)


def test_privacy_is_exported():
    assert aluna.privacy.pseudonymise is pseudonymise
