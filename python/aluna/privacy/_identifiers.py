"""Finding columns that look like direct identifiers, by their names and by their values."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import unicodedata
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import polars as pl

from aluna.exceptions import ArgumentError, IdentifierWarning
from aluna.privacy._frames import frame
from aluna.privacy._keys import _PSEUDONYM
from aluna.privacy._vocabulary import (
    CANCEL,
    COMMON_CANCEL,
    CONNECTORS,
    GIVEN_NAMES,
    PRIORITY,
    STREET_WORDS,
    VOCABULARY,
)

__all__ = ["IDENTIFIER_TYPES", "find_identifiers", "warn_identifiers"]

#: The identifier types :func:`find_identifiers` reports.
IDENTIFIER_TYPES: tuple[str, ...] = PRIORITY

# ---------------------------------------------------------------------------------- names


def _ascii(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.replace("ß", "ss").replace("ł", "l"))
    return "".join(c for c in text if not unicodedata.combining(c))


def name_tokens(name: str) -> list[str]:
    """A column name as lowercase ASCII tokens: camelCase and punctuation split, connector
    words (of, de, di, van ...) removed."""
    text = _ascii(name)
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", text)
    tokens = [t for t in re.split(r"[^A-Za-z0-9]+", text.lower()) if t]
    return [t for t in tokens if t not in CONNECTORS]


def _contains(tokens: list[str], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return any(tuple(tokens[i : i + n]) == phrase for i in range(len(tokens) - n + 1))


def type_from_name(name: str) -> str | None:
    """The identifier type a column name suggests, or ``None``."""
    tokens = name_tokens(name)
    if not tokens:
        return None
    joined = "".join(tokens)
    best: tuple[int, int, str] | None = None
    for kind in PRIORITY:
        cancel = CANCEL.get(kind, COMMON_CANCEL)
        for phrase in VOCABULARY[kind]:
            matched = _contains(tokens, phrase) or (len(tokens) > 1 and joined == "".join(phrase))
            if not matched:
                continue
            rest = [t for t in tokens if t not in phrase]
            if any(t in cancel for t in rest):
                continue
            score = (len("".join(phrase)), -PRIORITY.index(kind), kind)
            if best is None or score[:2] > best[:2]:
                best = score
    return None if best is None else best[2]


# --------------------------------------------------------------------------------- values

_EMAIL = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
_PHONE = re.compile(
    r"^(?:\+|00)[1-9][0-9 ()./-]{6,18}[0-9]$"
    r"|^0[1-9][0-9 ()./-]{5,16}[0-9]$"
    r"|^\(?[2-9][0-9]{2}\)?[ .-][0-9]{3}[ .-][0-9]{4}$"
)
_DATE_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$")
_DATE_DMY = re.compile(r"^(\d{1,2})[./-](\d{1,2})[./-](\d{4})$")
_NAME_TOKEN = re.compile(r"^[^\W\d_]+(?:['’-][^\W\d_]+)*\.?,?$")
_STREET = re.compile(
    rf"(?:\b\d+[a-z]?,?\s+(?:[\w'.-]+\s+){{0,4}}(?:{STREET_WORDS})\b"
    rf"|\b(?:{STREET_WORDS})\.?\s+(?:[\w'.-]+\s+){{0,4}}\d+[a-z]?\b"
    r"|\w{3,}(?:strasse|str\.|weg|gasse|allee|platz|straat|laan|gatan|vagen|vej|gade|katu|tie)"
    r"\s+\d+)",
    re.IGNORECASE,
)
_CASE_NUMBER = re.compile(
    r"^[A-Z]{1,6}[-/ ]?\d{2,4}[-/ ]\d{2,8}(?:[-/ ]\d{2,4})?$"
    r"|^\d{1,4}\s?[A-Z][a-z]{0,2}s?\s\d{1,6}/\d{2}$"
)
_DNI = re.compile(r"^(\d{8})-?([A-Z])$")
_NIE = re.compile(r"^([XYZ])-?(\d{7})-?([A-Z])$")
_CODICE_FISCALE = re.compile(r"^[A-Z]{6}\d{2}[A-EHLMPRST]\d{2}[A-Z]\d{3}[A-Z]$")
_NINO = re.compile(
    r"^(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]$"
)
_SSN = re.compile(r"^(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}$")
_PERSONNUMMER = re.compile(r"^(?:\d{2})?(\d{6})[-+](\d{4})$")
_CPR = re.compile(r"^(\d{2})(\d{2})(\d{2})-\d{4}$")
_NIR = re.compile(r"^([12]\d{4}(?:\d{2}|2A|2B)\d{6})(\d{2})$")
_BELGIAN = re.compile(r"^(\d{2})\.?(\d{2})\.?(\d{2})-?(\d{3})\.?(\d{2})$")


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _valid_day(day: int, month: int) -> bool:
    return 1 <= month <= 12 and 1 <= day <= 31


def national_id_kind(value: str) -> str | None:
    """Which national identity number ``value`` is, by format and check digit, or ``None``."""
    v = value.strip().upper()
    if m := _DNI.match(v):
        return "ES DNI" if "TRWAGMYFPDXBNJZSQVHLCKE"[int(m[1]) % 23] == m[2] else None
    if m := _NIE.match(v):
        number = int(str("XYZ".index(m[1])) + m[2])
        return "ES NIE" if "TRWAGMYFPDXBNJZSQVHLCKE"[number % 23] == m[3] else None
    if _CODICE_FISCALE.match(v):
        return "IT codice fiscale"
    if _NINO.match(v):
        return "UK National Insurance number"
    if _SSN.match(v):
        return "US Social Security number"
    m = _PERSONNUMMER.match(v)
    if m and _valid_day(int(m[1][4:6]), int(m[1][2:4])) and _luhn(m[1] + m[2]):
        return "SE personnummer"
    if m := _CPR.match(v):
        return "DK CPR number" if _valid_day(int(m[1]), int(m[2])) else None
    if m := _BELGIAN.match(v):
        digits = "".join(m.groups())
        base, check = int(digits[:9]), int(digits[9:])
        if check in (97 - base % 97, 97 - (2_000_000_000 + base) % 97):
            return "BE national number"
    compact = re.sub(r"\s", "", v)
    if m := _NIR.match(compact):
        body = m[1].replace("2A", "19").replace("2B", "18")
        if 97 - int(body) % 97 == int(m[2]):
            return "FR NIR"
    if compact.isdigit():
        if len(compact) == 9 and compact != "0" * 9:
            d = [int(c) for c in compact]
            if (sum((9 - i) * d[i] for i in range(8)) - d[8]) % 11 == 0:
                return "NL BSN"
        if len(compact) == 11:
            d = [int(c) for c in compact]
            weights = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)
            if (10 - sum(w * x for w, x in zip(weights, d, strict=False)) % 10) % 10 == d[10]:
                return "PL PESEL"
            if d[0] != 0:
                product = 10
                for x in d[:10]:
                    total = (x + product) % 10 or 10
                    product = (total * 2) % 11
                if (11 - product) % 10 == d[10]:
                    return "DE Steuer-ID"
    return None


def _is_email(v: str) -> bool:
    return _EMAIL.match(v.strip()) is not None


def _date_year(v: str) -> int | None:
    v = v.strip()
    if m := _DATE_ISO.match(v):
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    elif m := _DATE_DMY.match(v):
        day, month, year = int(m[1]), int(m[2]), int(m[3])
    else:
        return None
    return year if _valid_day(day, month) else None


def _is_phone(v: str) -> bool:
    v = v.strip()
    if _PHONE.match(v) is None or _date_year(v) is not None:
        return False
    digits = sum(c.isdigit() for c in v)
    return 7 <= digits <= 15


def _is_ip(v: str) -> bool:
    v = v.strip()
    if not (":" in v or v.count(".") == 3):
        return False
    try:
        ipaddress.ip_address(v)
    except ValueError:
        return False
    return True


def _is_name_shaped(v: str) -> bool:
    parts = v.replace(",", " ").split()
    return 1 <= len(parts) <= 5 and all(_NAME_TOKEN.match(p) for p in parts)


def _is_person_name(v: str) -> bool:
    if not _is_name_shaped(v):
        return False
    return any(_ascii(p).lower().strip(".,") in GIVEN_NAMES for p in v.replace(",", " ").split())


def _is_street_address(v: str) -> bool:
    return _STREET.search(_ascii(v)) is not None


def _is_free_text(v: str) -> bool:
    return len(v) >= 30 and len(v.split()) >= 6


def _is_case_number(v: str) -> bool:
    return _CASE_NUMBER.match(v.strip()) is not None


_VALUE_CHECKS: dict[str, Callable[[str], bool]] = {
    "email": _is_email,
    "ip_address": _is_ip,
    "national_id": lambda v: national_id_kind(v) is not None,
    "case_number": _is_case_number,
    "phone": _is_phone,
    "person_name": _is_person_name,
    "street_address": _is_street_address,
    "free_text": _is_free_text,
}


def _birth_date_share(years: list[int]) -> float:
    """Share of dates that look like birth dates, or 0 when the spread does not."""
    if not years:
        return 0.0
    latest = dt.date.today().year - 10
    share = sum(1900 <= y <= latest for y in years) / len(years)
    low, high = np.percentile(years, [10, 90])
    return share if high - low >= 10 else 0.0


def _sample(series: pl.Series, size: int) -> pl.Series:
    """Up to ``size`` non-null values, evenly spaced through the column (deterministic)."""
    values = series.drop_nulls()
    if values.len() <= size:
        return values
    return values.gather(np.linspace(0, values.len() - 1, size).round().astype(np.int64))


def _value_evidence(series: pl.Series, sample: int) -> tuple[str | None, float, bool, int]:
    """(best value type, its share, column holds pseudonyms, distinct values in the sample)."""
    values = _sample(series, sample)
    if values.len() == 0:
        return None, 0.0, False, 0
    distinct = values.n_unique()
    dtype = series.dtype
    if dtype in (pl.Date,) or isinstance(dtype, pl.Datetime):
        years = values.dt.year().to_list()
        share = _birth_date_share(years)
        return ("date_of_birth" if share > 0 else None), share, False, distinct
    if not (dtype == pl.String or isinstance(dtype, (pl.Categorical, pl.Enum))):
        return None, 0.0, False, distinct
    texts: list[str] = values.cast(pl.String).to_list()
    if sum(_PSEUDONYM.match(t) is not None for t in texts) >= 0.8 * len(texts):
        return None, 0.0, True, distinct
    best: tuple[float, int, str] | None = None
    for kind, check in _VALUE_CHECKS.items():
        share = sum(check(t) for t in texts) / len(texts)
        if kind == "case_number" and distinct < 0.5 * len(texts):
            share = 0.0
        if share > 0 and (best is None or (share, -PRIORITY.index(kind)) > best[:2]):
            best = (share, -PRIORITY.index(kind), kind)
    years = [y for y in (_date_year(t) for t in texts) if y is not None]
    if len(years) >= 0.9 * len(texts):
        share = _birth_date_share(years) * len(years) / len(texts)
        if share > 0 and (best is None or share > best[0]):
            best = (share, 0, "date_of_birth")
    if best is None:
        return None, 0.0, False, distinct
    return best[2], best[0], False, distinct


def _share_for(series: pl.Series, kind: str, sample: int) -> float | None:
    """Share of sampled values passing ``kind``'s check (``None`` if it has none)."""
    values = _sample(series, sample)
    if values.len() == 0:
        return None
    if kind == "date_of_birth":
        if values.dtype == pl.Date or isinstance(values.dtype, pl.Datetime):
            return _birth_date_share(values.dt.year().to_list())
        if values.dtype != pl.String:
            return None
        years = [y for y in (_date_year(t) for t in values.to_list()) if y is not None]
        return _birth_date_share(years) * len(years) / values.len()
    # A column named as names holds names if they are shaped like names (surnames too).
    check = _is_name_shaped if kind == "person_name" else _VALUE_CHECKS.get(kind)
    if check is None or values.dtype != pl.String:
        return None
    return sum(check(t) for t in values.to_list()) / values.len()


# Types whose values are text by nature: a name match on numbers is a code or a pseudonym.
_TEXT_ONLY = {"person_name", "username", "email", "street_address", "ip_address", "free_text"}


def find_identifiers(
    df: Any,
    *,
    sample: int = 1000,
    min_share: float = 0.5,
) -> pl.DataFrame:
    """Columns that look like direct identifiers, from their names and their values.

    **Names** are split into words (camelCase and punctuation; accents dropped) and matched
    against vocabularies in English and the main EU languages (German, French, Spanish,
    Italian, Portuguese, Dutch, Polish, Czech, Romanian, Hungarian, the Nordic languages and
    Finnish): ``nombre``, ``apellido``, ``fecha_nacimiento``, ``nom``, ``prénom``, ``Name``,
    ``Geburtsdatum``, ``nome``, ``cognome`` ... A name that also says it holds a property of
    an identifier (``phone_count``, ``name_length``, ``birth_year``, ``has_email``) is not
    flagged by name. **Values**: up to ``sample`` non-null values, evenly spaced through the
    column, are checked for e-mail addresses, phone numbers (international, national or
    North American forms, not dates), dates spread like birth dates (90 % or more of them
    before ten years ago, and at least ten years between the 10th and 90th percentiles),
    national identity numbers by format and check digit (ES DNI/NIE, IT codice fiscale, UK
    National Insurance, US SSN, SE personnummer, DK CPR, BE national number, FR NIR, NL BSN,
    PL PESEL, DE Steuer-ID), structured case numbers, IPv4 and IPv6 addresses, street
    addresses (a street word and a house number), person names (one to five words, one of
    them a common given name) and free text (six words or more). A type is flagged from
    values when at least ``min_share`` of the sampled values pass its check.

    Columns whose values are aluna pseudonyms (80 % or more match :data:`PSEUDONYM_PATTERN`)
    are not flagged. A name match is dropped when the values contradict it: booleans, floats,
    numbers for text-only types (names, e-mail, addresses ...), or a flag-like column (at
    most 10 distinct values among 20 or more, none passing the type's check). Identifier
    columns pseudonymised
    with ``integer=True`` are numbers and are therefore recognised only by their names.

    Parameters
    ----------
    df
        The table.
    sample
        Values read per column.
    min_share
        Share of sampled values that must pass a check for value evidence.

    Returns
    -------
    polars.DataFrame
        One row per flagged column, in column order: ``column``, ``identifier_type`` (one of
        :data:`IDENTIFIER_TYPES`), ``evidence`` (``"name"``, ``"values"`` or
        ``"name and values"``) and ``share_of_values_matching``: the share of sampled values
        passing the type's check (for names found by column name: values shaped like names,
        one to five words of letters), null when the type has no value check (case numbers
        and user names by name, numbers) or the column is empty.

    Examples
    --------
    >>> import polars as pl
    >>> from aluna.privacy import find_identifiers
    >>> df = pl.DataFrame({
    ...     "apellido": ["García", "López"],
    ...     "contact": ["ana@example.org", "luis@example.org"],
    ...     "phone_count": [2, 0],
    ...     "phone": ["phone:9f2c41d0aa1377b2", "phone:0a1b2c3d4e5f6a7b"],
    ... })
    >>> find_identifiers(df).rows()
    [('apellido', 'person_name', 'name', 1.0), ('contact', 'email', 'values', 1.0)]
    """
    data = frame(df, what="find_identifiers")
    if not 0 < min_share <= 1:
        raise ArgumentError(f"argument `min_share`: must be in (0, 1], got {min_share}")
    if sample < 1:
        raise ArgumentError(f"argument `sample`: must be at least 1, got {sample}")
    rows: list[tuple[str, str, str, float | None]] = []
    for column in data.columns:
        series = data[column]
        by_name = type_from_name(column)
        by_values, share, pseudonyms, distinct = _value_evidence(series, sample)
        if pseudonyms:
            continue
        if by_values is not None and share >= min_share:
            evidence = "name and values" if by_name == by_values else "values"
            rows.append((column, by_values, evidence, share))
            continue
        if by_name is None:
            continue
        dtype = series.dtype
        if dtype == pl.Boolean or dtype.is_float():
            continue
        if by_name in _TEXT_ONLY and dtype.is_numeric():
            continue
        name_share = _share_for(series, by_name, sample)
        if name_share == 0 and distinct <= 10 and series.drop_nulls().len() >= 20:
            continue
        if by_name == "free_text" and series.len() > 0:
            texts = _sample(series, sample)
            if texts.dtype == pl.String and texts.len() > 0:
                words = sum(len(t.split()) for t in texts.to_list()) / texts.len()
                if words < 3 and distinct <= max(10, texts.len() // 2):
                    continue
        rows.append((column, by_name, "name", name_share))
    return pl.DataFrame(
        rows,
        schema={
            "column": pl.String,
            "identifier_type": pl.String,
            "evidence": pl.String,
            "share_of_values_matching": pl.Float64,
        },
        orient="row",
    )


def warn_identifiers(
    df: Any,
    *,
    source: str = "the table",
    stacklevel: int = 2,
) -> pl.DataFrame:
    """Warn, with an :class:`~aluna.exceptions.IdentifierWarning` naming the columns, when
    ``df`` has columns that look like direct identifiers; return :func:`find_identifiers`'s
    table either way.

    Loaders and reports call this on every table they receive.

    Parameters
    ----------
    df
        The table.
    source
        How the message names the table (``"datasets.load('case_links')"``).
    stacklevel
        Passed to :func:`warnings.warn`, counted from the caller of this function (the
        default points at the caller's caller, as a loader wants).

    Examples
    --------
    >>> import warnings, polars as pl
    >>> from aluna.privacy import warn_identifiers
    >>> with warnings.catch_warnings(record=True) as seen:
    ...     warnings.simplefilter("always")
    ...     found = warn_identifiers(pl.DataFrame({"email": ["a@b.org"]}), source="my table")
    >>> print(seen[0].message)  # doctest: +NORMALIZE_WHITESPACE
    my table has columns that look like direct identifiers: 'email' (email, from name and
    values). Pseudonymise them before analysis with aluna.privacy.pseudonymise(df, ['email'],
    key) or drop them; see docs/responsible-use.md.
    """
    found = find_identifiers(df)
    if found.height:
        described = ", ".join(f"{c!r} ({t}, from {e})" for c, t, e, _ in found.iter_rows())
        columns: Sequence[str] = found["column"].to_list()
        warnings.warn(
            IdentifierWarning(
                f"{source} has columns that look like direct identifiers: {described}. "
                f"Pseudonymise them before analysis with aluna.privacy.pseudonymise(df, "
                f"{list(columns)!r}, key) or drop them; see docs/responsible-use.md."
            ),
            stacklevel=stacklevel + 1,
        )
    return found
