"""Small helpers shared by the privacy modules: frames in, HTML out."""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from typing import Any

import polars as pl

from aluna._interop import arrow_table
from aluna.exceptions import ArgumentError, ColumnError


def frame(data: Any, *, what: str) -> pl.DataFrame:
    """``data`` as a polars DataFrame (polars, pandas, pyarrow, dicts, Arrow streams)."""
    if isinstance(data, pl.DataFrame):
        return data
    if isinstance(data, pl.LazyFrame):
        return data.collect()
    if isinstance(data, Mapping):
        return pl.DataFrame(dict(data))
    return pl.DataFrame(arrow_table(data, what=what))


def require_columns(df: pl.DataFrame, columns: Iterable[str], *, what: str) -> None:
    """Raise :class:`ColumnError` naming the first missing column and the table's columns."""
    for column in columns:
        if column not in df.columns:
            raise ColumnError(
                f"{what}: column `{column}` not found; the table has: {', '.join(df.columns)}"
            )


def column_list(columns: str | Iterable[str], *, what: str) -> list[str]:
    """One column name or several, as a list (a lone string is one name, not characters)."""
    if isinstance(columns, str):
        return [columns]
    names = list(columns)
    if not names:
        raise ArgumentError(f"argument `{what}`: name at least one column")
    for name in names:
        if not isinstance(name, str):
            raise ArgumentError(f"argument `{what}`: expected column names, got {name!r}")
    return names


def html_table(df: pl.DataFrame, *, max_rows: int = 20) -> str:
    """A plain HTML table of the first ``max_rows`` rows, every value escaped."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    rows = []
    for row in df.head(max_rows).iter_rows():
        cells = "".join(f"<td>{'' if v is None else html.escape(_short(v))}</td>" for v in row)
        rows.append(f"<tr>{cells}</tr>")
    more = f"<p>… {df.height - max_rows} more rows</p>" if df.height > max_rows else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{more}"


def html_facts(title: str, facts: Mapping[str, object]) -> str:
    """A title and a definition list of facts, escaped."""
    items = "".join(
        f"<dt>{html.escape(str(k))}</dt><dd>{html.escape(_short(v))}</dd>" for k, v in facts.items()
    )
    return f"<h4>{html.escape(title)}</h4><dl>{items}</dl>"


def _short(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return str(value)
