"""The synthetic datasets aluna ships: every record is made up, generated with a known truth.

Files live in ``datasets-synthetic/`` of the source tree (``aluna/_datasets`` in a wheel); each
is described, with the command that regenerates it, in ``datasets-synthetic/DATA_CARD.md``.
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl

from aluna.exceptions import ArgumentError

__all__ = ["directory", "list_datasets", "load", "path"]


def directory() -> Path:
    """Where the shipped datasets are: ``$ALUNA_DATASETS``, the wheel's copy, or the source tree."""
    candidates = []
    if env := os.environ.get("ALUNA_DATASETS"):
        candidates.append(Path(env))
    here = Path(__file__).resolve().parent
    candidates += [here / "_datasets", here.parent.parent / "datasets-synthetic"]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise ArgumentError(
        "the shipped synthetic datasets were not found; set ALUNA_DATASETS to the folder "
        "datasets-synthetic of an aluna checkout"
    )


def list_datasets() -> list[str]:
    """Names of the shipped datasets.

    Examples
    --------
    >>> import aluna
    >>> "case_links" in aluna.datasets.list_datasets()
    True
    """
    return sorted(p.stem for p in directory().glob("*.parquet"))


def path(name: str) -> Path:
    """The Parquet file of a shipped dataset."""
    file = directory() / f"{name}.parquet"
    if not file.is_file():
        raise ArgumentError(
            f"argument `name`: no shipped dataset {name!r}; there are: {', '.join(list_datasets())}"
        )
    return file


def load(name: str) -> pl.DataFrame:
    """A shipped synthetic dataset as a polars DataFrame.

    Examples
    --------
    >>> import aluna
    >>> links = aluna.datasets.load("case_links")
    >>> links.columns
    ['source', 'target', 'link_type', 'seen', 'weight']
    """
    return pl.read_parquet(path(name))
