"""Privacy-preserving record linkage between agencies: Bloom-filter encodings, Dice matching."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from aluna import _native
from aluna._interop import to_polars
from aluna.exceptions import ArgumentError, ColumnError
from aluna.privacy._frames import column_list, frame, html_facts, require_columns
from aluna.privacy._keys import Key, pseudonymise

__all__ = [
    "DEFAULT_BANDS",
    "DEFAULT_THRESHOLD",
    "LinkageQuality",
    "encode_for_linkage",
    "link",
    "linkage_bands",
    "linkage_quality",
    "one_to_one",
]

#: The default Dice threshold of :func:`link`. On the seeded test data (typos, transposed
#: names, missing fields, several records per person) precision and recall are both at
#: least 0.95 at this threshold, with and without one-to-one assignment; so they are on
#: :func:`aluna.synth.linkage_pair` (3,000 records per agency, corruption 0.1, one and several
#: records per person) encoding the pooled names, date of birth and postcode.
DEFAULT_THRESHOLD: float = 0.78

Field = str | Sequence[str]


def _field_groups(
    fields: Iterable[Field] | Mapping[Any, float],
) -> list[tuple[list[str], float]]:
    items: list[tuple[Any, float]]
    if isinstance(fields, Mapping):
        items = [(f, float(w)) for f, w in fields.items()]
    elif isinstance(fields, str):
        items = [(fields, 1.0)]
    else:
        items = [(f, 1.0) for f in fields]
    if not items:
        raise ArgumentError("argument `fields`: name at least one column to encode")
    groups = []
    for field, weight in items:
        columns = [field] if isinstance(field, str) else list(field)
        if not columns or not all(isinstance(c, str) for c in columns):
            raise ArgumentError(
                f"argument `fields`: expected column names or tuples of them, got {field!r}"
            )
        groups.append((columns, weight))
    return groups


def encode_for_linkage(
    df: Any,
    fields: Iterable[Field] | Mapping[Any, float],
    key: Key,
    *,
    id: str | None = None,
    bits: int = 1024,
    hashes: int = 10,
    blocking: Mapping[str, str | Sequence[str] | pl.Expr] | None = None,
    threads: int | None = None,
) -> pl.DataFrame:
    r"""Encode each record as a keyed Bloom filter, the form an agency can share for linkage.

    Each record becomes a bit vector of ``bits`` bits (a cryptographic long-term key, CLK)
    [1]_ [2]_. ``fields`` are columns, or tuples of columns whose values are pooled (put first
    and last name in one tuple and a swap of the two costs nothing). Every value is
    normalised (Unicode lowercase, letters and digits only), padded with a blank on each side
    and cut into character bigrams; each bigram of field group :math:`f` sets :math:`k_f`
    bits drawn by "random hashing" [3]_: a ChaCha8 generator seeded with
    :math:`\mathrm{HMAC\text{-}SHA256}(\mathit{key}_f, \text{bigram})` picks the positions,
    where :math:`\mathit{key}_f = \mathrm{HMAC\text{-}SHA256}(\mathit{key},
    \text{"aluna linkage v1 field "} \| f)` and :math:`k_f = \max(1, \mathrm{round}(
    \mathit{hashes} \cdot w_f))` carries the field weight :math:`w_f`. Missing values set no
    bits. Both agencies must use the same key, fields, weights, ``bits`` and ``hashes``.

    The encodings are pseudonymised personal data, not anonymous: see the threat model in
    ``docs/responsible-use.md`` (frequency attacks on Bloom filters, what blocking keys leak).

    Parameters
    ----------
    df
        One row per record.
    fields
        Columns to encode: names, tuples of names pooled into one group, or a mapping from
        those to weights (default weight 1).
    key
        The secret :class:`Key`, shared between the agencies by a secure channel.
    id
        Column identifying records (default: a ``row`` index). Pseudonymise it first if it
        is itself an identifier.
    bits
        Filter length: a multiple of 64, at most 65,536.
    hashes
        Bits set per bigram at weight 1.
    blocking
        Blocking keys to add, each computed from columns (or a polars expression) and then
        pseudonymised with ``key`` (kind ``block``): ``{"yob": "year_of_birth",
        "initials": pl.col("first_name").str.slice(0, 1) + pl.col("last_name").str.slice(0,
        1)}``. Values of several columns are joined; a null part makes the key null.
    threads
        Threads to encode with (default: all cores). The result does not depend on it.

    Returns
    -------
    polars.DataFrame
        The ``id`` column, ``encoding`` (binary, ``bits / 8`` bytes; bit :math:`i` is bit
        :math:`i \bmod 8` of byte :math:`\lfloor i/8 \rfloor`) and the blocking keys.

    References
    ----------
    .. [1] Schnell, R., Bachteler, T. & Reiher, J. (2009). Privacy-preserving record linkage
       using Bloom filters. BMC Medical Informatics and Decision Making 9, 41.
       https://doi.org/10.1186/1472-6947-9-41
    .. [2] Schnell, R., Bachteler, T. & Reiher, J. (2011). A novel error-tolerant anonymous
       linking code. German Record Linkage Center, Working Paper WP-GRLC-2011-02.
    .. [3] Niedermeyer, F., Steinmetzer, S., Kroll, M. & Schnell, R. (2014). Cryptanalysis of
       basic Bloom filters used for privacy preserving record linkage. Journal of Privacy
       and Confidentiality 6(2). https://doi.org/10.29012/jpc.v6i2.640

    Examples
    --------
    >>> import polars as pl
    >>> from aluna.privacy import Key, encode_for_linkage
    >>> key = Key.from_env("ALUNA_TEST_KEY")
    >>> people = pl.DataFrame({"first": ["Anna"], "last": ["Kowalska"], "born": ["1990-04-01"]})
    >>> enc = encode_for_linkage(people, [("first", "last"), "born"], key)
    >>> enc.columns, len(enc["encoding"][0])
    (['row', 'encoding'], 128)
    """
    if not isinstance(key, Key):
        raise ArgumentError(
            f"argument `key`: expected an aluna.privacy.Key, got {type(key).__name__}"
        )
    data = frame(df, what="encode_for_linkage")
    groups = _field_groups(fields)
    columns = [c for cols, _ in groups for c in cols]
    require_columns(data, columns, what="fields")
    if id is not None:
        require_columns(data, [id], what="id")
    prepared = {}
    for column in dict.fromkeys(columns):
        series = data[column]
        if series.dtype.is_integer() or series.dtype == pl.String:
            prepared[column] = series
        elif series.dtype == pl.Boolean or series.dtype.is_float():
            raise ColumnError(
                f"encode_for_linkage: column `{column}` holds {series.dtype}; encode text, "
                "integers or dates (cast it to text if it really is an identifying field)"
            )
        else:
            prepared[column] = series.cast(pl.String)
    encoded = to_polars(
        _native.encode_for_linkage(
            pl.DataFrame(list(prepared.values())),
            groups,
            key._native,
            bits=bits,
            hashes=hashes,
            threads=threads,
        )
    )
    ids = data[id] if id is not None else pl.Series("row", range(data.height), dtype=pl.Int64)
    out = pl.DataFrame([ids, encoded["encoding"]])
    if blocking:
        parts = []
        for name, spec in blocking.items():
            if isinstance(spec, pl.Expr):
                expr = spec.cast(pl.String)
            else:
                names = column_list(spec, what=f"blocking[{name!r}]")
                require_columns(data, names, what=f"blocking[{name!r}]")
                expr = pl.concat_str([pl.col(c).cast(pl.String) for c in names], separator="\x1f")
            parts.append(expr.alias(name))
        keys = data.select(parts)
        out = out.with_columns(pseudonymise(keys, keys.columns, key, kind="block"))
    return out


#: Default MinHash banding of :func:`linkage_bands`: 24 bands of 4 values. A pair of
#: encodings with Dice coefficient 0.78 (Jaccard 0.64) shares a band with probability
#: :math:`1 - (1 - 0.64^4)^{24} \approx 0.98`; one at Dice 0.4 (Jaccard 0.25) with probability
#: :math:`1 - (1 - 0.25^4)^{24} \approx 0.09`.
DEFAULT_BANDS: tuple[int, int] = (24, 4)


def linkage_bands(
    encoded: Any,
    *,
    bands: int = DEFAULT_BANDS[0],
    rows: int = DEFAULT_BANDS[1],
    seed: int = 0,
    encoding: str = "encoding",
    prefix: str = "band_",
    threads: int | None = None,
) -> pl.DataFrame:
    r"""Add locality-sensitive blocking keys to encoded records: MinHash bands of the encodings.

    For a random permutation :math:`\pi` of the filter's bit positions, the first set bit of an
    encoding in :math:`\pi`'s order is the same for two encodings with probability equal to the
    Jaccard similarity :math:`J` of their set bits [1]_. Each of ``bands`` keys combines
    ``rows`` such values (permutations drawn from ``seed``), so two encodings share a band's
    key with probability :math:`J^r` and at least one key with probability
    :math:`1 - (1 - J^r)^b`. Dice and Jaccard are tied by :math:`J = D / (2 - D)`. Passing the
    band columns as ``blocking`` to :func:`link` then compares only pairs that share a key:
    for large tables, where all pairs are too many, with a recall that is high for pairs above
    the threshold and a number of comparisons that falls steeply with similarity [2]_ [3]_.
    Empty encodings (no field present) get null keys and are never candidates.

    The permutations are not secret (the encodings are already keyed); both agencies must use
    the same ``bits``, ``bands``, ``rows`` and ``seed``. :func:`aluna.spark.link` computes the
    same keys.

    Parameters
    ----------
    encoded
        A table made by :func:`encode_for_linkage`.
    bands, rows
        Number of keys and MinHash values per key: more bands raise recall, more rows cut
        the candidates. See :data:`DEFAULT_BANDS`.
    seed
        Seed of the permutations.
    encoding
        The encoding column.
    prefix
        The key columns are named ``{prefix}0``, ``{prefix}1``, ...
    threads
        Threads (default: all cores); the keys do not depend on it.

    Returns
    -------
    polars.DataFrame
        ``encoded`` with ``bands`` more ``Int64`` columns.

    References
    ----------
    .. [1] Broder, A. Z. (1997). On the resemblance and containment of documents.
       Compression and Complexity of Sequences, 21-29. https://doi.org/10.1109/SEQUEN.1997.666900
    .. [2] Leskovec, J., Rajaraman, A. & Ullman, J. D. (2020). Mining of Massive Datasets,
       3rd ed., ch. 3. Cambridge University Press. https://doi.org/10.1017/9781108684163
    .. [3] Karapiperis, D. & Verykios, V. S. (2015). An LSH-based blocking approach with a
       homomorphic matching technique for privacy-preserving record linkage. IEEE
       Transactions on Knowledge and Data Engineering 27(4), 909-921.
       https://doi.org/10.1109/TKDE.2014.2349916

    Examples
    --------
    >>> import polars as pl
    >>> from aluna.privacy import Key, encode_for_linkage, link, linkage_bands
    >>> key = Key.from_env("ALUNA_TEST_KEY")
    >>> a = pl.DataFrame({"id": ["a1", "a2"], "name": ["Maria Garcia", "Jan de Vries"]})
    >>> b = pl.DataFrame({"id": ["b1", "b2"], "name": ["Jan de Vries", "Mario Garcia"]})
    >>> ea = linkage_bands(encode_for_linkage(a, ["name"], key, id="id"), bands=8)
    >>> eb = linkage_bands(encode_for_linkage(b, ["name"], key, id="id"), bands=8)
    >>> ea.columns[:4]
    ['id', 'encoding', 'band_0', 'band_1']
    >>> bands = [f"band_{k}" for k in range(8)]
    >>> link(ea, eb, blocking=bands).select("left", "right").rows()
    [('a1', 'b2'), ('a2', 'b1')]
    """
    data = frame(encoded, what="linkage_bands")
    require_columns(data, [encoding], what="encoding")
    for name, value in (("bands", bands), ("rows", rows)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ArgumentError(f"argument `{name}`: expected a positive integer, got {value!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ArgumentError(f"argument `seed`: expected a non-negative integer, got {seed!r}")
    keys = to_polars(
        _native.linkage_bands(
            data.select(encoding), encoding, bands, rows, seed=seed, prefix=prefix, threads=threads
        )
    )
    clash = [c for c in keys.columns if c in data.columns]
    if clash:
        raise ColumnError(
            f"linkage_bands: the table already has a column `{clash[0]}`; pass another prefix"
        )
    return data.hstack(keys)


def _pairs_frame(
    left: pl.DataFrame, right: pl.DataFrame, left_id: str, right_id: str, native: Any
) -> pl.DataFrame:
    found = to_polars(native)
    return pl.DataFrame(
        [
            left[left_id].gather(found["left_index"]).alias("left"),
            right[right_id].gather(found["right_index"]).alias("right"),
            found["score"],
        ]
    )


def link(
    left: Any,
    right: Any,
    threshold: float = DEFAULT_THRESHOLD,
    *,
    blocking: str | Sequence[str] | None = None,
    one_to_one: bool = False,
    left_id: str | None = None,
    right_id: str | None = None,
    threads: int | None = None,
) -> pl.DataFrame:
    r"""Pairs of records from two agencies whose encodings are similar enough to be the same.

    Compares the ``encoding`` columns of two tables made by :func:`encode_for_linkage` (same
    key and settings) by the Dice coefficient :math:`2|A \cap B| / (|A| + |B|)` of their
    set bits, and returns every pair at or above ``threshold``. Without ``blocking`` all pairs
    are considered, pruned exactly by the bound :math:`2\min(|A|, |B|) / (|A| + |B|)`; with
    ``blocking`` only pairs that share a blocking key in at least one of the named columns
    (one pass per column, nulls never match). The comparisons count set bits with the CPU's
    popcount instructions, in parallel over left records; the result is the same for any
    thread count.

    With ``one_to_one=True`` the pairs are reduced by the greedy rule of :func:`one_to_one`.
    Agency data are rarely one-to-one (one person, several records), and the assignment can
    hide poor scores: look at the pairs without it first.

    Parameters
    ----------
    left, right
        Encoded tables; the record ids are their first columns unless named.
    threshold
        The least Dice coefficient of a pair (0 to 1); see :data:`DEFAULT_THRESHOLD`.
    blocking
        Blocking-key column(s) present in both tables.
    one_to_one
        Keep at most one pair per record, highest scores first.
    left_id, right_id
        The id columns (default: each table's first column).
    threads
        Threads to compare with (default: all cores).

    Returns
    -------
    polars.DataFrame
        ``left`` and ``right`` (the records' ids) and ``score`` (Dice), sorted by left then
        right record.

    Examples
    --------
    >>> import polars as pl
    >>> from aluna.privacy import Key, encode_for_linkage, link
    >>> key = Key.from_env("ALUNA_TEST_KEY")
    >>> a = pl.DataFrame({"id": ["a1", "a2"], "name": ["Maria Garcia", "Jan de Vries"],
    ...                   "born": ["1984-03-12", "1990-07-01"]})
    >>> b = pl.DataFrame({"id": ["b1", "b2"], "name": ["Jan de Vries", "Mario Garcia"],
    ...                   "born": ["1990-07-01", "1984-03-12"]})
    >>> ea = encode_for_linkage(a, ["name", "born"], key, id="id")
    >>> eb = encode_for_linkage(b, ["name", "born"], key, id="id")
    >>> link(ea, eb).select("left", "right").rows()
    [('a1', 'b2'), ('a2', 'b1')]
    """
    lf = frame(left, what="left")
    rf = frame(right, what="right")
    for side, f in (("left", lf), ("right", rf)):
        if "encoding" not in f.columns:
            raise ColumnError(
                f"{side}: no column `encoding`; make the table with encode_for_linkage "
                f"(it has: {', '.join(f.columns)})"
            )
    lid = left_id if left_id is not None else lf.columns[0]
    rid = right_id if right_id is not None else rf.columns[0]
    require_columns(lf, [lid], what="left_id")
    require_columns(rf, [rid], what="right_id")
    blocks = None if blocking is None else column_list(blocking, what="blocking")
    if blocks is not None:
        require_columns(lf, blocks, what="blocking (left)")
        require_columns(rf, blocks, what="blocking (right)")
    keep = ["encoding", *(blocks or [])]
    native = _native.link(
        lf.select(keep),
        rf.select(keep),
        "encoding",
        float(threshold),
        one_to_one=one_to_one,
        blocking=blocks,
        threads=threads,
    )
    return _pairs_frame(lf, rf, lid, rid, native)


def one_to_one(
    pairs: Any,
    *,
    left: str = "left",
    right: str = "right",
    score: str = "score",
    threads: int | None = None,
) -> pl.DataFrame:
    """Reduce candidate pairs to a one-to-one assignment by the greedy rule.

    Pairs are taken from the highest score down (ties: the pair that comes first in the
    table), and a pair is kept when neither of its records is already assigned. Greedy
    assignment is fast and, for well-separated scores, close to the optimal assignment; it
    is not optimal in general.

    Parameters
    ----------
    pairs
        A table of candidate pairs (such as :func:`link` returns).
    left, right, score
        Its columns: the two records' ids and the similarity (finite, non-negative).
    threads
        Threads to sort with; the result does not depend on it.

    Returns
    -------
    polars.DataFrame
        The kept rows of ``pairs``, in their original order.

    Examples
    --------
    >>> import polars as pl
    >>> from aluna.privacy import one_to_one
    >>> pairs = pl.DataFrame({"left": [1, 1, 2], "right": [7, 8, 7], "score": [0.9, 0.8, 0.95]})
    >>> one_to_one(pairs).rows()
    [(1, 8, 0.8), (2, 7, 0.95)]
    """
    data = frame(pairs, what="pairs")
    require_columns(data, [left, right, score], what="pairs")
    rows = to_polars(
        _native.one_to_one(data.select(left, right, score), left, right, score, threads=threads)
    )
    return data[rows["row"].cast(pl.Int64).to_list()]


@dataclass(frozen=True, repr=False)
class LinkageQuality:
    """Precision, recall and F1 of a linkage against the known true pairs.

    Attributes
    ----------
    precision
        Found pairs that are true, over found pairs (1.0 when none were found).
    recall
        True pairs that were found, over true pairs (1.0 when there are none).
    f1
        Their harmonic mean.
    true_positives, false_positives, false_negatives
        The counts behind them (distinct pairs).
    """

    precision: float
    recall: float
    f1: float
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def summary(self) -> pl.DataFrame:
        """The figures as a one-row table."""
        return pl.DataFrame(
            {
                "precision": [self.precision],
                "recall": [self.recall],
                "f1": [self.f1],
                "true_positives": [self.true_positives],
                "false_positives": [self.false_positives],
                "false_negatives": [self.false_negatives],
            }
        )

    def __repr__(self) -> str:
        return (
            f"LinkageQuality(precision={self.precision:.4f}, recall={self.recall:.4f}, "
            f"f1={self.f1:.4f})"
        )

    def _repr_html_(self) -> str:
        return html_facts(
            "Linkage quality",
            {"precision": self.precision, "recall": self.recall, "F1": self.f1},
        )


def linkage_quality(
    pairs: Any,
    truth: Any,
    *,
    left: str = "left",
    right: str = "right",
) -> LinkageQuality:
    """Precision, recall and F1 of found pairs against the true pairs.

    Both tables are reduced to distinct ``(left, right)`` pairs first.

    Examples
    --------
    >>> import polars as pl
    >>> from aluna.privacy import linkage_quality
    >>> found = pl.DataFrame({"left": [1, 2, 3], "right": [1, 2, 4]})
    >>> truth = pl.DataFrame({"left": [1, 2, 3, 5], "right": [1, 2, 3, 5]})
    >>> q = linkage_quality(found, truth)
    >>> round(q.precision, 3), round(q.recall, 3), round(q.f1, 3)
    (0.667, 0.5, 0.571)
    """
    found = frame(pairs, what="pairs")
    true = frame(truth, what="truth")
    require_columns(found, [left, right], what="pairs")
    require_columns(true, [left, right], what="truth")
    found = found.select(left, right).unique()
    true = true.select(left, right).unique()
    try:
        tp = found.join(true, on=[left, right], how="inner").height
    except pl.exceptions.PolarsError as err:
        raise ColumnError(
            f"linkage_quality: the pairs and the truth hold ids of different types: {err}"
        ) from err
    fp = found.height - tp
    fn = true.height - tp
    precision = tp / found.height if found.height else 1.0
    recall = tp / true.height if true.height else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return LinkageQuality(precision, recall, f1, tp, fp, fn)
