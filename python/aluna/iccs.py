"""Crime types coded in the UN International Classification of Crime for Statistical Purposes.

The ICCS (UNODC 2015) groups criminal offences by behaviour, not by national legal provisions,
in four levels with codes of 2, 4, 5 and 6 digits: section ``03`` (injurious acts of a sexual
nature), division ``0302`` (sexual exploitation), group ``03022`` (sexual exploitation of
children), class ``030221`` (child pornography). A code's descendants share its prefix, so
``"0302"`` covers every sexual-exploitation code beneath it.

aluna ships the table as package data (``aluna/data/iccs.csv``): every section (level 1), the
named divisions (level 2), and the groups and classes (levels 3-4) of the areas this package
studies: sexual violence and exploitation, trafficking in persons, corruption and proceeds of
crime, organised crime and terrorism. The residual "other ..." divisions of each section are not
shipped because their codes could not be checked against the source here; code such offences to
their section (``"03"``) or pass your own table. Deeper codes of a shipped division (e.g.
``"060121"``) are accepted by :func:`validate` as long as their division is known.

Source: UNODC (2015). *International Classification of Crime for Statistical Purposes (ICCS),
Version 1.0.* Vienna: United Nations Office on Drugs and Crime.
https://www.unodc.org/unodc/en/data-and-analysis/statistics/iccs.html

The ICCS keeps the legal term "child pornography" (030221); this package also accepts the
terminology the Luxembourg Guidelines recommend ("child sexual abuse material"; Interagency
Working Group 2016) as a label for the same code.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

import polars as pl

from aluna._interop import arrow_table
from aluna.exceptions import ArgumentError, BadValueError, ColumnError

__all__ = [
    "ALIASES",
    "SOURCE",
    "code",
    "label",
    "map_codes",
    "matches",
    "table",
    "truncate",
    "validate",
]

SOURCE = (
    "UNODC (2015). International Classification of Crime for Statistical Purposes (ICCS), "
    "Version 1.0. Vienna: United Nations Office on Drugs and Crime. "
    "https://www.unodc.org/unodc/en/data-and-analysis/statistics/iccs.html"
)

#: Code length of each ICCS level.
DIGITS = {1: 2, 2: 4, 3: 5, 4: 6}

#: Names people use for some ICCS codes, beside the ICCS labels themselves (case-insensitive).
ALIASES: dict[str, str] = {
    "child sexual exploitation": "03022",
    "child sexual abuse material": "030221",
    "csam": "030221",
    "grooming": "030223",
    "online grooming": "030223",
    "human trafficking": "0204",
    "trafficking": "0204",
    "drugs": "06",
    "drug offences": "06",
    "money laundering": "07041",
    "organised crime": "0905",
    "organized crime": "0905",
    "sexual offences": "03",
}


@cache
def _table() -> pl.DataFrame:
    text = resources.files("aluna").joinpath("data/iccs.csv").read_text(encoding="utf-8")
    frame = pl.read_csv(text.encode(), schema_overrides={"code": pl.String, "level": pl.Int64})
    return frame.with_columns(
        section=pl.col("code").str.slice(0, 2),
    )


def table() -> pl.DataFrame:
    """The shipped ICCS code table.

    Returns
    -------
    polars.DataFrame
        ``code`` (a string with leading zeros), ``level`` (1-4), ``label`` (the ICCS title) and
        ``section`` (the level-1 code above it).

    Examples
    --------
    >>> import aluna
    >>> t = aluna.iccs.table()
    >>> t.filter(pl.col("level") == 1).height
    11
    >>> t.filter(pl.col("code") == "03022").select("label").item()
    'Sexual exploitation of children'
    """
    return _table().clone()


def _codes() -> set[str]:
    return set(_table()["code"].to_list())


def label(code: str) -> str:
    """The ICCS title of ``code``.

    Examples
    --------
    >>> import aluna
    >>> aluna.iccs.label("0204")
    'Trafficking in persons'
    """
    found = _table().filter(pl.col("code") == code)
    if found.height == 0:
        raise ArgumentError(f"argument `code`: {code!r} is not in the shipped ICCS table")
    return str(found["label"][0])


def code(name: str) -> str:
    """The ICCS code of a code, an ICCS label or a known alias (case-insensitive).

    Parameters
    ----------
    name
        ``"030221"``, ``"Child pornography"``, ``"child sexual exploitation"`` ...

    Raises
    ------
    ArgumentError
        ``name`` is neither a shipped code nor a label or alias; the message suggests the
        closest labels.

    Examples
    --------
    >>> import aluna
    >>> aluna.iccs.code("child sexual exploitation")
    '03022'
    >>> aluna.iccs.code("Trafficking in persons for sexual exploitation")
    '02041'
    >>> aluna.iccs.code("0302")
    '0302'
    """
    if not isinstance(name, str):
        raise ArgumentError(f"argument `focus`: expected an ICCS code or label, got {name!r}")
    text = name.strip()
    if text in _codes():
        return text
    lowered = text.lower()
    if lowered in ALIASES:
        return ALIASES[lowered]
    t = _table()
    by_label = dict(zip(t["label"].str.to_lowercase().to_list(), t["code"].to_list(), strict=True))
    if lowered in by_label:
        return str(by_label[lowered])
    choices = list(by_label) + list(ALIASES)
    close = difflib.get_close_matches(lowered, choices, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise ArgumentError(
        f"argument `focus`: {name!r} is not an ICCS code, label or alias of the shipped table"
        f"{hint} (see aluna.iccs.table())"
    )


def matches(codes: pl.Expr | str, focus: str) -> pl.Expr:
    """An expression that is true where ``codes`` fall under ``focus`` in the ICCS hierarchy.

    A code matches when it starts with the focus code: ``"030221"`` falls under ``"03022"``,
    ``"0302"`` and ``"03"``.

    Examples
    --------
    >>> import polars as pl, aluna
    >>> df = pl.DataFrame({"crime": ["030221", "0601", "03022"]})
    >>> df.select(aluna.iccs.matches("crime", "child sexual exploitation"))["crime"].to_list()
    [True, False, True]
    """
    expr = pl.col(codes) if isinstance(codes, str) else codes
    return expr.cast(pl.String).str.starts_with(code(focus))


def truncate(codes: pl.Expr | str, level: int) -> pl.Expr:
    """ICCS codes cut to a coarser ``level`` (1-4): ``"030221"`` at level 2 is ``"0302"``.

    Examples
    --------
    >>> import polars as pl, aluna
    >>> pl.select(aluna.iccs.truncate(pl.lit("030221"), 2)).item()
    '0302'
    """
    if level not in DIGITS:
        raise ArgumentError(f"argument `level`: expected 1, 2, 3 or 4, got {level!r}")
    expr = pl.col(codes) if isinstance(codes, str) else codes
    return expr.cast(pl.String).str.slice(0, DIGITS[level])


def _known(code_value: str) -> bool:
    if code_value in _codes():
        return True
    # A deeper code of a shipped division (or section, for level-2 codes) is a valid ICCS code
    # the table does not list.
    if not code_value.isdigit() or len(code_value) not in DIGITS.values():
        return False
    parent = code_value[:4] if len(code_value) > 4 else code_value[:2]
    return parent in _codes()


def validate(data: Any, column: str) -> None:
    """Check that ``column`` holds ICCS codes (strings of 2, 4, 5 or 6 digits).

    A code is accepted when it is in the shipped table, or when it is a deeper code of a
    shipped division (``"060121"`` under ``"0601"``).

    Raises
    ------
    ColumnError
        The column is missing or does not hold strings.
    BadValueError
        A null or unknown code; the message names the first offending row and value.

    Examples
    --------
    >>> import polars as pl, aluna
    >>> aluna.iccs.validate(pl.DataFrame({"crime": ["0302", "060121"]}), "crime")
    """
    frame = data if isinstance(data, pl.DataFrame) else pl.DataFrame(arrow_table(data, what="data"))
    if column not in frame.columns:
        raise ColumnError(f"column `{column}` not found; the table has: {', '.join(frame.columns)}")
    series = frame[column]
    if series.dtype not in (pl.String, pl.Categorical, pl.Enum):
        raise ColumnError(
            f"column `{column}`: expected ICCS codes as strings (e.g. '0302'), found "
            f"{series.dtype}; integer codes lose their leading zero"
        )
    values = series.cast(pl.String)
    for row, value in enumerate(values.to_list()):
        if value is None:
            raise BadValueError(
                f"column `{column}`, row {row}: null where an ICCS code is required"
            )
        if not _known(value):
            raise BadValueError(
                f"column `{column}`, row {row}: expected an ICCS code (see aluna.iccs.table()), "
                f"found {value!r}"
            )


def map_codes(
    data: Any,
    column: str,
    mapping: Mapping[Any, str] | pl.DataFrame,
    *,
    to: str = "iccs",
    unmapped: str = "error",
) -> pl.DataFrame:
    """Translate national offence codes to ICCS codes.

    Parameters
    ----------
    data
        A table with national codes in ``column``.
    column
        The column of national codes.
    mapping
        A dict ``{national code: ICCS code}``, or a two-column table (national code, ICCS
        code). Every ICCS code in it is checked with :func:`validate`'s rule.
    to
        Name of the new column of ICCS codes.
    unmapped
        ``"error"`` (default): a national code missing from the mapping is an error naming it;
        ``"null"``: it maps to null.

    Returns
    -------
    polars.DataFrame
        ``data`` with the column ``to`` added.

    Raises
    ------
    ArgumentError
        The mapping names a code that is not an ICCS code, maps one national code twice, or
        ``unmapped`` is not one of the choices.
    BadValueError
        ``unmapped="error"`` and a national code has no mapping (the message lists them).

    Examples
    --------
    >>> import polars as pl, aluna
    >>> cases = pl.DataFrame({"case": [1, 2], "statute": ["StGB-184b", "BtMG-29"]})
    >>> table = {"StGB-184b": "030221", "BtMG-29": "0601"}
    >>> aluna.iccs.map_codes(cases, "statute", table).rows()
    [(1, 'StGB-184b', '030221'), (2, 'BtMG-29', '0601')]
    """
    if unmapped not in ("error", "null"):
        raise ArgumentError(f'argument `unmapped`: expected "error" or "null", got {unmapped!r}')
    frame = data if isinstance(data, pl.DataFrame) else pl.DataFrame(arrow_table(data, what="data"))
    if column not in frame.columns:
        raise ColumnError(f"column `{column}` not found; the table has: {', '.join(frame.columns)}")
    if isinstance(mapping, pl.DataFrame):
        if mapping.width != 2:
            raise ArgumentError(
                f"argument `mapping`: expected two columns (national code, ICCS code), got "
                f"{mapping.columns}"
            )
        pairs = mapping.rows()
    elif isinstance(mapping, Mapping):
        pairs = list(mapping.items())
    else:
        raise ArgumentError(
            f"argument `mapping`: expected a dict or a two-column DataFrame, got "
            f"{type(mapping).__name__}"
        )
    seen: dict[Any, str] = {}
    for national, target in pairs:
        if not isinstance(target, str) or not _known(target):
            raise ArgumentError(
                f"argument `mapping`: {national!r} maps to {target!r}, which is not an ICCS code "
                "(see aluna.iccs.table())"
            )
        if national in seen and seen[national] != target:
            raise ArgumentError(
                f"argument `mapping`: {national!r} maps to both {seen[national]!r} and {target!r}"
            )
        seen[national] = target
    source = frame[column]
    lookup = pl.DataFrame(
        {"_national": list(seen), to: list(seen.values())},
        schema={"_national": source.dtype, to: pl.String},
    )
    result = frame.with_columns(pl.col(column).alias("_national")).join(
        lookup, on="_national", how="left", maintain_order="left"
    )
    missing = result.filter(pl.col(to).is_null() & pl.col("_national").is_not_null())
    if unmapped == "error" and missing.height:
        codes = missing["_national"].unique(maintain_order=True).to_list()
        shown = ", ".join(repr(c) for c in codes[:5]) + (" ..." if len(codes) > 5 else "")
        raise BadValueError(
            f"column `{column}`: {len(codes)} national code(s) have no ICCS mapping: {shown}; "
            'add them to the mapping or pass unmapped="null"'
        )
    return result.drop("_national")
