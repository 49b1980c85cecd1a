"""The synthetic datasets aluna ships: every record is made up, generated with a known truth.

Files live in ``datasets-synthetic/`` of the source tree (``aluna/_datasets`` in a wheel); each
dataset is described, with the command that regenerates it, in ``DATA_CARD.md`` beside them.
A dataset ``NAME`` is the file ``NAME.parquet`` (its main table), ``NAME.TABLE.parquet`` for
further tables and ``NAME.truth.TABLE.parquet`` for its ground truth. Every file carries the
Parquet metadata key ``aluna.synthetic = true``.
"""

from __future__ import annotations

import builtins
import html
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import polars as pl

from aluna.exceptions import ArgumentError

__all__ = ["Dataset", "card", "directory", "list", "list_datasets", "load", "path"]


@dataclass(frozen=True, repr=False, eq=False)
class Dataset:
    """A synthetic dataset: its data, further tables, ground truth and data card.

    Attributes
    ----------
    name
        The dataset's name (``"offender_cohort"``, ``"case_links"``, ...).
    data
        The main table (for the case network, the links; for the linkage pair, agency A).
    tables
        Further data tables by name (``"records"``, ``"persons"``, ``"agency_b"``); may be empty.
    truth
        The ground truth by name: true coefficients, parameters, planted groups, per-person
        latent values and potential outcomes, true matches. Never use it as a model input.
    metadata
        The ``aluna.*`` metadata: generator, generator version, arguments, seed, aluna version.
    card
        The dataset's section of the data card (Markdown).
    synthetic
        ``True``: every record was generated; none is about a real person.
    """

    name: str
    data: pl.DataFrame
    tables: Mapping[str, pl.DataFrame]
    truth: Mapping[str, pl.DataFrame]
    metadata: Mapping[str, str]
    card: str
    synthetic: bool

    @property
    def generator(self) -> str:
        """The generator that made the dataset (``aluna.synth.<generator>``)."""
        return self.metadata.get("aluna.generator", "")

    @property
    def seed(self) -> int | None:
        """The seed it was generated with."""
        seed = self.metadata.get("aluna.seed")
        return int(seed) if seed is not None else None

    @property
    def arguments(self) -> dict[str, Any]:
        """The generator's arguments, seed included."""
        return dict(json.loads(self.metadata.get("aluna.arguments", "{}")))

    def write(self, directory: str | os.PathLike[str], *, name: str | None = None) -> list[Path]:
        """Write every table as Parquet into ``directory``, labelled synthetic in its metadata.

        Returns the paths written: ``NAME.parquet``, ``NAME.TABLE.parquet`` and
        ``NAME.truth.TABLE.parquet``.
        """
        stem = name or self.name
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for table, frame in _all_tables(self):
            target = out / _file_name(stem, table)
            meta = {**self.metadata, "aluna.dataset": stem, "aluna.table": table}
            frame.write_parquet(target, metadata=meta)
            written.append(target)
        return written

    def __repr__(self) -> str:
        tables = ", ".join(self.tables) or "none"
        truth = ", ".join(self.truth) or "none"
        label = "synthetic" if self.synthetic else "NOT labelled synthetic"
        return (
            f"Dataset({self.name!r}, {label}, generator={self.generator!r}, seed={self.seed}, "
            f"data {self.data.height} x {self.data.width}, tables: {tables}, truth: {truth})"
        )

    def _repr_html_(self) -> str:
        label = "synthetic data" if self.synthetic else "<b>not labelled synthetic</b>"
        rows = "".join(
            f"<tr><td>{html.escape(key)}</td><td>{frame.height:,} rows</td>"
            f"<td>{html.escape(', '.join(frame.columns))}</td></tr>"
            for key, frame in _all_tables(self)
        )
        return (
            f"<p><b>{html.escape(self.name)}</b> ({label}; generator "
            f"<code>{html.escape(self.generator)}</code>, seed {self.seed})</p>"
            f"<table><tr><th>table</th><th>size</th><th>columns</th></tr>{rows}</table>"
        )


def _all_tables(dataset: Dataset) -> builtins.list[tuple[str, pl.DataFrame]]:
    return [
        ("data", dataset.data),
        *dataset.tables.items(),
        *((f"truth.{key}", frame) for key, frame in dataset.truth.items()),
    ]


def _file_name(stem: str, table: str) -> str:
    return f"{stem}.parquet" if table == "data" else f"{stem}.{table}.parquet"


def make_dataset(
    name: str,
    parts: Mapping[str, pl.DataFrame],
    metadata: Mapping[str, str],
    card_text: str | None = None,
) -> Dataset:
    """Assemble a :class:`Dataset` from named tables (``data``, others, ``truth.*``)."""
    tables = {k: v for k, v in parts.items() if k != "data" and not k.startswith("truth.")}
    truth = {k.removeprefix("truth."): v for k, v in parts.items() if k.startswith("truth.")}
    generator = metadata.get("aluna.generator", name)
    return Dataset(
        name=name,
        data=parts["data"],
        tables=MappingProxyType(dict(sorted(tables.items()))),
        truth=MappingProxyType(dict(sorted(truth.items()))),
        metadata=MappingProxyType(dict(metadata)),
        card=card_text if card_text is not None else card(generator),
        synthetic=metadata.get("aluna.synthetic") == "true",
    )


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


def list() -> builtins.list[str]:
    """Names of the shipped datasets.

    Examples
    --------
    >>> import aluna
    >>> aluna.datasets.list()  # doctest: +NORMALIZE_WHITESPACE
    ['careers_panel', 'case_links', 'linkage_pair', 'offender_cohort', 'programme_evaluation',
     'programme_evaluation_delayed', 'victims']
    """
    return sorted(
        p.name.removesuffix(".parquet")
        for p in directory().glob("*.parquet")
        if p.name.count(".") == 1
    )


def list_datasets() -> builtins.list[str]:
    """Names of the shipped datasets (the same as :func:`list`)."""
    return list()


def path(name: str) -> Path:
    """The Parquet file of a shipped dataset's main table."""
    file = directory() / f"{name}.parquet"
    if "." in name or not file.is_file():
        raise ArgumentError(
            f"argument `name`: no shipped dataset {name!r}; there are: {', '.join(list())}"
        )
    return file


def load(name: str) -> Dataset:
    """A shipped synthetic dataset: its tables as polars DataFrames, its ground truth and card.

    Parameters
    ----------
    name
        One of :func:`list`.

    Returns
    -------
    Dataset
        ``.data`` (the main table), ``.tables`` (further tables), ``.truth`` (ground truth
        tables), ``.card`` (its data card section), ``.metadata`` and ``.synthetic``, which is
        ``True`` when the files are labelled synthetic (they all are).

    Examples
    --------
    >>> import aluna
    >>> links = aluna.datasets.load("case_links")
    >>> links.synthetic
    True
    >>> links.data.columns
    ['source', 'target', 'link_type', 'seen', 'weight']
    >>> sorted(links.truth)
    ['crime_types', 'groups', 'identifiers', 'persons']
    """
    main = path(name)
    parts = {"data": pl.read_parquet(main)}
    for file in sorted(directory().glob(f"{name}.*.parquet")):
        table = file.name.removeprefix(f"{name}.").removesuffix(".parquet")
        parts[table] = pl.read_parquet(file)
    metadata = {k: v for k, v in pl.read_parquet_metadata(main).items() if k.startswith("aluna.")}
    return make_dataset(name, parts, metadata, card(name))


def card(name: str) -> str:
    """The section of ``DATA_CARD.md`` about a dataset or generator (empty if there is none)."""
    try:
        text = (directory() / "DATA_CARD.md").read_text(encoding="utf-8")
    except (OSError, ArgumentError):
        return ""
    sections = re.split(r"(?m)^## ", text)
    for section in sections[1:]:
        heading = section.splitlines()[0]
        names = re.findall(r"[a-z_]+", heading)
        if name in names:
            return "## " + section.rstrip() + "\n"
    return ""
