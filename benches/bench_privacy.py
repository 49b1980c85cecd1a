"""Privacy-preserving linkage: aluna beside clkhash (encoding), anonlink (Dice comparisons,
greedy one-to-one solve) and a numpy popcount baseline.

Run: python benches/bench_privacy.py   (or `make bench`, which runs every bench)

Goals (issue 4): encoding >= 50k records/s per core; >= 130M Dice comparisons/s on 2 cores;
the greedy one-to-one solve over 16.7M candidate pairs in <= 3 s.
"""

from __future__ import annotations

import os

import anonlink
import numpy as np
import polars as pl
from bitarray import bitarray
from clkhash import clk, schema

from aluna.privacy import Key, encode_for_linkage, link, one_to_one

if __package__:
    from .harness import Case, median_seconds
else:  # run as a script
    from harness import Case, median_seconds

TITLE = "Privacy-preserving record linkage"
PACKAGES = ("clkhash", "anonlink", "numpy")
COMMAND = "python benches/bench_privacy.py"
# A fixed, public HKDF salt for clkhash's key derivation (synthetic data, synthetic secret).
SALT = "SCbL2zHNnmsckfzchsNkZY9XoHk96P/G5nUBrM7ybymlEFsMV6PAeDZCNp3rfNUPCtLDMOGQHG4pCQpfhiHCyA=="

FIRST = ["anna", "maria", "jan", "peter", "sofia", "luca", "marco", "elena", "ivan", "olga"]
LAST = ["muller", "garcia", "rossi", "nowak", "silva", "dubois", "jansen", "novak", "nagy"]


def people(n: int, seed: int = 7) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "first": [
                FIRST[i] + str(j)
                for i, j in zip(
                    rng.integers(0, len(FIRST), n), rng.integers(0, 999, n), strict=True
                )
            ],
            "last": [
                LAST[i] + str(j)
                for i, j in zip(rng.integers(0, len(LAST), n), rng.integers(0, 999, n), strict=True)
            ],
            "dob": [
                f"{y}-{m:02d}-{d:02d}"
                for y, m, d in zip(
                    rng.integers(1950, 2006, n),
                    rng.integers(1, 13, n),
                    rng.integers(1, 29, n),
                    strict=True,
                )
            ],
            "sex": rng.choice(["f", "m"], n).tolist(),
        }
    )


def clkhash_schema() -> schema.Schema:
    def feature(name: str, bits: int) -> dict:
        return {
            "identifier": name,
            "format": {"type": "string", "encoding": "utf-8"},
            "hashing": {
                "comparison": {"type": "ngram", "n": 2},
                "strategy": {"bitsPerToken": bits},
                "hash": {"type": "blakeHash"},
            },
        }

    return schema.from_json_dict(
        {
            "version": 3,
            "clkConfig": {
                "l": 1024,
                "kdf": {
                    "type": "HKDF",
                    "hash": "SHA256",
                    "salt": SALT,
                    "info": "c2NoZW1hX2V4YW1wbGU=",
                    "keySize": 64,
                },
            },
            "features": [
                feature("first", 10),
                feature("last", 10),
                feature("dob", 15),
                feature("sex", 5),
            ],
        }
    )


def to_bitarrays(encodings: pl.Series) -> list[bitarray]:
    out = []
    for raw in encodings.to_list():
        bits = bitarray(endian="little")
        bits.frombytes(raw)
        out.append(bits)
    return out


def numpy_dice_count(a: np.ndarray, b: np.ndarray, threshold: float, chunk: int = 256) -> int:
    """Pairs at or above the threshold, by numpy's vectorised popcount (uint64 words)."""
    a_counts = np.bitwise_count(a).sum(1, dtype=np.int64)
    b_counts = np.bitwise_count(b).sum(1, dtype=np.int64)
    found = 0
    for start in range(0, len(a), chunk):
        block = a[start : start + chunk]
        common = np.bitwise_count(block[:, None, :] & b[None, :, :]).sum(2, dtype=np.int64)
        total = a_counts[start : start + chunk, None] + b_counts[None, :]
        found += int((2 * common >= threshold * total).sum())
    return found


def run(repeat: int = 3) -> list[Case]:
    os.environ.setdefault("ALUNA_TEST_KEY", "aluna-synthetic-test-key-not-secret")
    key = Key.from_env("ALUNA_TEST_KEY")
    fields = {"first": 1.0, "last": 1.0, "dob": 1.5, "sex": 0.5}
    cases = []

    n = 50_000
    records = people(n)
    rows = records.rows()
    s = clkhash_schema()
    case = Case(f"encode {n:,} records into 1024-bit CLKs, 1 core")
    case.timings["aluna"] = median_seconds(
        lambda: encode_for_linkage(records, fields, key, threads=1), repeat
    )
    case.timings["clkhash"] = median_seconds(
        lambda: clk.generate_clks(rows, s, "secret", validate=False, max_workers=1), 1
    )
    case.notes = f"aluna {n / case.timings['aluna']:,.0f} records/s"
    cases.append(case)

    m = 20_000
    enc = encode_for_linkage(people(2 * m, seed=8), fields, key)
    left, right = enc.head(m), enc.slice(m, m)
    threshold = 0.8
    case = Case(f"Dice comparisons {m:,} x {m:,} (400M pairs), threshold {threshold}, 2 cores")
    case.timings["aluna"] = median_seconds(lambda: link(left, right, threshold), repeat)
    a_bits, b_bits = to_bitarrays(left["encoding"]), to_bitarrays(right["encoding"])
    case.timings["anonlink"] = median_seconds(
        lambda: anonlink.candidate_generation.find_candidate_pairs(
            [a_bits, b_bits], anonlink.similarities.dice_coefficient_accelerated, threshold
        ),
        1,
    )
    a_words = np.frombuffer(b"".join(left["encoding"].to_list()), dtype=np.uint64).reshape(m, -1)
    b_words = np.frombuffer(b"".join(right["encoding"].to_list()), dtype=np.uint64).reshape(m, -1)
    small = 4_000
    numpy_time = median_seconds(lambda: numpy_dice_count(a_words[:small], b_words, threshold), 1)
    case.timings["numpy popcount"] = numpy_time * m / small  # scaled from 4k x 20k
    case.notes = f"aluna {m * m / case.timings['aluna'] / 1e6:,.0f}M comparisons/s"
    cases.append(case)

    k = 4_096
    enc = encode_for_linkage(people(2 * k, seed=9), fields, key)
    pairs = link(enc.head(k), enc.slice(k, k), 0.0)
    candidates = anonlink.candidate_generation.find_candidate_pairs(
        [to_bitarrays(enc.head(k)["encoding"]), to_bitarrays(enc.slice(k, k)["encoding"])],
        anonlink.similarities.dice_coefficient_accelerated,
        0.0,
    )
    case = Case(f"greedy one-to-one solve, {pairs.height / 1e6:.1f}M candidate pairs")
    case.timings["aluna"] = median_seconds(lambda: one_to_one(pairs), repeat)
    case.timings["anonlink"] = median_seconds(lambda: anonlink.solving.greedy_solve(candidates), 1)
    cases.append(case)
    return cases


if __name__ == "__main__":
    from harness import markdown

    print(markdown(TITLE, run(), COMMAND, PACKAGES))
