"""Tables in and out: anything that speaks Arrow in, polars DataFrames out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import polars as pl

from aluna.exceptions import ArgumentError, ColumnError


class ArrowStreamExportable(Protocol):
    """An object exporting an Arrow C stream (polars, pyarrow, pandas >= 2.2, duckdb ...)."""

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object: ...


def arrow_table(data: Any, *, what: str) -> ArrowStreamExportable:
    """Return ``data`` as an object with ``__arrow_c_stream__``.

    Accepts polars DataFrames and LazyFrames (collected), pyarrow tables and record batches,
    pandas DataFrames (through pyarrow), dicts of columns, and anything else exporting an Arrow
    C stream.
    """
    if isinstance(data, pl.LazyFrame):
        data = data.collect()
    if isinstance(data, pl.DataFrame) and pl.Null in data.schema.dtypes():
        # polars exports all-null columns with a buffer that Arrow's C interface refuses; as
        # integers they read as nulls, so the usual error names the column and the row.
        data = data.with_columns(pl.col(pl.Null).cast(pl.Int64))
    if hasattr(data, "__arrow_c_stream__"):
        return data  # type: ignore[no-any-return]
    if isinstance(data, Mapping):
        return pl.DataFrame(dict(data))
    module = type(data).__module__.split(".")[0]
    if module == "pandas":
        try:
            import pyarrow as pa
        except ImportError as err:  # pragma: no cover - depends on the environment
            raise ColumnError(
                f"{what}: reading a pandas DataFrame needs pyarrow (pip install pyarrow)"
            ) from err
        return pa.Table.from_pandas(data, preserve_index=False)  # type: ignore[no-any-return]
    raise ArgumentError(
        f"{what}: expected a table (polars or pandas DataFrame, pyarrow Table, or any object "
        f"with __arrow_c_stream__), got {type(data).__name__}"
    )


def to_polars(table: ArrowStreamExportable) -> pl.DataFrame:
    """A result table from the native module as a polars DataFrame."""
    frame = pl.DataFrame(table)
    return frame


def ids_frame(values: Any, *, what: str, column: str = "node") -> pl.DataFrame:
    """A one-column frame of ids from a list, a polars Series or a one-column table."""
    if isinstance(values, pl.Series):
        return values.rename(column).to_frame()
    if isinstance(values, (str, bytes, int)):
        raise ArgumentError(f"{what}: expected a list of ids, got a single {type(values).__name__}")
    if isinstance(values, pl.DataFrame):
        if values.width != 1:
            raise ArgumentError(f"{what}: expected one column of ids, got {values.columns}")
        return values.rename({values.columns[0]: column})
    return pl.DataFrame({column: list(values)})
