"""A versioned Parquet layout for exchanging pseudonymised case records and case-link graphs.

Two agencies that exchange data need to know what a file holds, how its identifiers were
pseudonymised, what was suppressed and where it came from, without a side letter. aluna writes
that into the file itself: a Parquet file whose key-value metadata holds, under the key
``aluna``, a JSON document with the layout's name and version, the fingerprint of the
pseudonymisation key (never the key), the disclosure control applied and the provenance. The
layout is documented in ``docs/exchange.md``; :data:`SCHEMA_VERSION` is its version.

* Records (:func:`write_records` / :func:`read_records`): the table as given, its columns' roles
  (entity, identifiers, case, time, crime type) declared and validated
  (:func:`validate_records`).
* Graphs (:meth:`aluna.CaseGraph.write_parquet` / :meth:`aluna.CaseGraph.read_parquet`): one
  row per node, then one per stored link observation; read back, the graph is the same.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from aluna import _native
from aluna._interop import arrow_table, to_polars
from aluna.exceptions import AlunaError, ArgumentError, BadValueError, ColumnError
from aluna.graph import CaseGraph

__all__ = [
    "SCHEMA_VERSION",
    "GraphFile",
    "RecordsFile",
    "read_graph",
    "read_metadata",
    "read_records",
    "validate_records",
    "write_graph",
    "write_records",
]

#: Version of the exchange layout this aluna writes and the newest it reads.
SCHEMA_VERSION = 1
#: The Parquet key-value metadata key holding aluna's JSON document.
METADATA_KEY = "aluna"
GRAPH_SCHEMA = "aluna.case-graph"
RECORDS_SCHEMA = "aluna.records"
_ATTRIBUTE = "attribute."

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()./-]{6,}[0-9]$")


# ---------------------------------------------------------------------------- metadata


def _fingerprint(value: Any, *, required: bool) -> str | None:
    if value is None:
        if required:
            raise ArgumentError(
                "argument `key_fingerprint`: the records layout is for pseudonymised records and "
                "records the fingerprint of the pseudonymisation key (e.g. "
                "aluna.privacy.Key.fingerprint); pass it as a string"
            )
        return None
    if not isinstance(value, str):
        raise ArgumentError(
            f"argument `key_fingerprint`: expected the key's fingerprint as a string, got "
            f"{type(value).__name__}"
        )
    if not value or len(value) > 256 or any(c.isspace() or not c.isprintable() for c in value):
        raise ArgumentError(
            "argument `key_fingerprint`: expected a non-empty printable string of at most 256 "
            "characters without spaces (a fingerprint, never the key itself)"
        )
    return value


def _jsonable(value: Any, name: str) -> Any:
    try:
        json.dumps(value)
    except TypeError as err:
        raise ArgumentError(
            f"argument `{name}`: must be JSON-serialisable (strings, numbers, lists, dicts): {err}"
        ) from err
    return value


def _document(
    schema: str,
    *,
    key_fingerprint: str | None,
    suppression: Any,
    provenance: Mapping[str, Any] | None,
    body: dict[str, Any],
) -> dict[str, Any]:
    if provenance is not None and not isinstance(provenance, Mapping):
        raise ArgumentError(
            f"argument `provenance`: expected a mapping, got {type(provenance).__name__}"
        )
    return {
        "schema": schema,
        "schema_version": SCHEMA_VERSION,
        "created_by": f"aluna {_native.__version__}",
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "key_fingerprint": key_fingerprint,
        "suppression": _jsonable(suppression, "suppression"),
        "provenance": _jsonable(dict(provenance or {}), "provenance"),
        **body,
    }


def _write(frame: pl.DataFrame, path: Any, document: dict[str, Any]) -> None:
    try:
        frame.write_parquet(Path(path), metadata={METADATA_KEY: json.dumps(document)})
    except TypeError as err:  # pragma: no cover - depends on the installed polars
        raise AlunaError(
            "writing aluna's Parquet layout needs a polars with custom Parquet metadata "
            f"(write_parquet(metadata=...)); you have polars {pl.__version__}: {err}"
        ) from err


def read_metadata(path: Any) -> dict[str, Any]:
    """The aluna metadata document of a Parquet file written by aluna.

    Raises
    ------
    ArgumentError
        The file has no aluna metadata, or was written with a newer layout version than this
        aluna reads.
    """
    try:
        raw = pl.read_parquet_metadata(Path(path))
    except (OSError, pl.exceptions.PolarsError) as err:
        raise ArgumentError(f"argument `path`: cannot read {str(path)!r}: {err}") from err
    if METADATA_KEY not in raw:
        raise ArgumentError(
            f"argument `path`: {str(path)!r} has no aluna metadata; it was not written by "
            "aluna's exchange layout"
        )
    try:
        document = json.loads(raw[METADATA_KEY])
    except json.JSONDecodeError as err:
        raise ArgumentError(
            f"argument `path`: {str(path)!r} has unreadable aluna metadata"
        ) from err
    version = document.get("schema_version")
    if not isinstance(version, int) or version < 1:
        raise ArgumentError(f"argument `path`: {str(path)!r} has no valid schema_version")
    if version > SCHEMA_VERSION:
        raise ArgumentError(
            f"argument `path`: {str(path)!r} uses layout version {version}; this aluna reads up to "
            f"version {SCHEMA_VERSION}. Upgrade aluna to read it."
        )
    return dict(document)


def _expect(document: dict[str, Any], schema: str, path: Any) -> None:
    if document.get("schema") != schema:
        raise ArgumentError(
            f"argument `path`: {str(path)!r} holds {document.get('schema')!r}, not {schema!r}"
        )


# ---------------------------------------------------------------------------- graphs


@dataclass(frozen=True, repr=False)
class GraphFile:
    """A graph read from the exchange layout, with the file's metadata."""

    graph: CaseGraph
    schema_version: int
    key_fingerprint: str | None
    suppression: Any
    provenance: dict[str, Any]
    created_by: str
    created_at: str

    def _repr_html_(self) -> str:
        return (
            f"<div><strong>aluna graph file</strong>: {html.escape(repr(self))}"
            f"{self.graph._repr_html_()}</div>"
        )

    def __repr__(self) -> str:
        return (
            f"GraphFile({self.graph!r}, layout v{self.schema_version}, key fingerprint "
            f"{self.key_fingerprint or 'none'}, written by {self.created_by} at {self.created_at})"
        )


def write_graph(
    graph: CaseGraph,
    path: Any,
    *,
    key_fingerprint: str | None = None,
    suppression: Any = None,
    provenance: Mapping[str, Any] | None = None,
) -> None:
    """Write ``graph`` in the exchange layout (see :meth:`aluna.CaseGraph.write_parquet`)."""
    fingerprint = _fingerprint(key_fingerprint, required=False)
    nodes = to_polars(graph._graph.nodes())
    attributes = graph._attributes
    if attributes is not None:
        extra = attributes.drop("node")
        nodes = nodes.hstack(extra.rename({c: _ATTRIBUTE + c for c in extra.columns}))
    links = to_polars(_native.graph_observations(graph._graph))
    element = pl.Enum(["node", "link"])
    frame = pl.concat(
        [
            nodes.select(pl.lit("node", dtype=element).alias("element"), pl.all()),
            links.select(pl.lit("link", dtype=element).alias("element"), pl.all()),
        ],
        how="diagonal",
    )
    built_by = (graph._provenance or {}).get("built_by")
    levels = (
        to_polars(_native.layer_summary_table(graph._graph))["layer"].to_list()
        if graph._graph.has_link_types()
        else None
    )
    body = {
        "graph": {
            "directed": graph._graph.is_directed(),
            "multigraph": graph._graph.is_multigraph(),
            "columns": dict(graph._columns),
            "links": [c for c in links.columns if c not in ("source", "target")],
            "link_type_levels": levels,
            "roles": graph._graph.has_roles(),
            "node_attributes": [] if attributes is None else attributes.drop("node").columns,
            "built_by": built_by,
            "nodes": graph.number_of_nodes(),
            "observations": links.height,
        }
    }
    document = _document(
        GRAPH_SCHEMA,
        key_fingerprint=fingerprint,
        suppression=suppression,
        provenance=provenance,
        body=body,
    )
    _write(frame, path, document)


def read_graph(path: Any) -> GraphFile:
    """Read a graph written by :meth:`aluna.CaseGraph.write_parquet`, with its metadata.

    Node ids or node attributes that look like direct identifiers raise an
    :class:`~aluna.exceptions.IdentifierWarning` naming the columns, never their values.

    Raises
    ------
    ArgumentError
        Not an aluna case-graph file, or a newer layout version.
    """
    from aluna.privacy import warn_identifiers

    document = read_metadata(path)
    _expect(document, GRAPH_SCHEMA, path)
    info = document["graph"]
    frame = pl.read_parquet(Path(path))
    nodes = frame.filter(pl.col("element") == "node")
    links = frame.filter(pl.col("element") == "link")
    warn_identifiers(
        nodes.select("node", *[pl.col(_ATTRIBUTE + c).alias(c) for c in info["node_attributes"]]),
        source=f"read_graph({Path(path).name!r})",
    )
    has = set(info["links"])
    node_table = nodes.select("node", *(["role"] if info["roles"] else []))
    link_table = links.select("source", "target", *[c for c in info["links"]])
    levels = None
    if info.get("link_type_levels") is not None:
        levels = pl.DataFrame(
            {"link_type": info["link_type_levels"]},
            schema={"link_type": link_table.schema["link_type"]},
        )
    native = _native.graph_from_observations(
        node_table,
        link_table,
        weight="weight" if "weight" in has else None,
        count="count" if "count" in has else None,
        link_type="link_type" if "link_type" in has else None,
        time="time" if "time" in has else None,
        until="until" if "until" in has else None,
        directed=bool(info["directed"]),
        multigraph=bool(info["multigraph"]),
        role="role" if info["roles"] else None,
        link_type_levels=levels,
    )
    columns = {k: v for k, v in info["columns"].items()}
    graph = CaseGraph._wrap(native, columns, None)
    if info["node_attributes"]:
        attrs = nodes.select(
            "node", *[pl.col(_ATTRIBUTE + c).alias(c) for c in info["node_attributes"]]
        )
        graph = graph._aligned(attrs, "node")
    if info.get("built_by"):
        graph._provenance = {"built_by": info["built_by"], "report": None}
    return GraphFile(
        graph=graph,
        schema_version=document["schema_version"],
        key_fingerprint=document.get("key_fingerprint"),
        suppression=document.get("suppression"),
        provenance=document.get("provenance") or {},
        created_by=document.get("created_by", ""),
        created_at=document.get("created_at", ""),
    )


# ---------------------------------------------------------------------------- records


def _column(frame: pl.DataFrame, name: str, role: str) -> pl.Series:
    if not isinstance(name, str):
        raise ArgumentError(f"argument `{role}`: expected a column name, got {name!r}")
    if name not in frame.columns:
        raise ColumnError(
            f"column `{name}` ({role}) not found; the records have: {', '.join(frame.columns)}"
        )
    return frame[name]


def _id_like(series: pl.Series, role: str) -> None:
    dtype = series.dtype
    if not (dtype.is_integer() or dtype in (pl.String, pl.Categorical, pl.Enum)):
        raise ColumnError(
            f"column `{series.name}` ({role}): expected integer or string ids, found {dtype}"
        )


def _no_nulls(series: pl.Series, role: str, expected: str) -> None:
    if series.null_count():
        row = int(series.is_null().arg_max() or 0)
        raise BadValueError(
            f"column `{series.name}` ({role}), row {row}: null where {expected} is required"
        )


def validate_records(
    records: Any,
    *,
    entity: str,
    identifiers: Sequence[str] | str = (),
    case: str | None = None,
    time: str | None = None,
    crime_type: str | None = None,
    iccs: bool = False,
) -> pl.DataFrame:
    """Check that ``records`` fit the records layout and return them as a polars DataFrame.

    Rules: every named column exists and is named once; ``entity`` holds integer or string ids
    without nulls; ``identifiers`` and ``case`` hold integer or string ids (nulls allowed:
    they are ignored when linking); ``time`` is a date, datetime or integer column without
    nulls; ``crime_type`` holds strings without nulls, ICCS codes when ``iccs=True``
    (:func:`aluna.iccs.validate`).

    Raises
    ------
    ColumnError
        A column is missing or of the wrong type (the message names it and its role).
    BadValueError
        A null where a value is required, or an unknown ICCS code (names the row).
    ArgumentError
        A column named for two roles.

    Examples
    --------
    >>> import polars as pl, aluna
    >>> rec = pl.DataFrame({"person_id": ["a", "b"], "phone": ["t1", None]})
    >>> aluna.exchange.validate_records(rec, entity="person_id", identifiers=["phone"]).height
    2
    """
    frame = (
        records
        if isinstance(records, pl.DataFrame)
        else pl.DataFrame(arrow_table(records, what="records"))
    )
    names = [identifiers] if isinstance(identifiers, str) else list(identifiers)
    roles: list[tuple[str, str]] = [("entity", entity)]
    roles += [("identifiers", n) for n in names]
    roles += [(r, c) for r, c in (("case", case), ("time", time), ("crime_type", crime_type)) if c]
    seen: dict[str, str] = {}
    for role, name in roles:
        if name in seen:
            raise ArgumentError(
                f"argument `{role}`: column `{name}` is already the {seen[name]} column"
            )
        seen[name] = role
    ent = _column(frame, entity, "entity")
    _id_like(ent, "entity")
    _no_nulls(ent, "entity", "an entity id")
    for name in names:
        _id_like(_column(frame, name, "identifier"), "identifier")
    if case:
        _id_like(_column(frame, case, "case"), "case")
    if time:
        t = _column(frame, time, "time")
        if not (t.dtype.is_integer() or t.dtype == pl.Date or isinstance(t.dtype, pl.Datetime)):
            raise ColumnError(
                f"column `{time}` (time): expected a date, a datetime or integer times, found "
                f"{t.dtype}"
            )
        _no_nulls(t, "time", "a time")
    if crime_type:
        c = _column(frame, crime_type, "crime type")
        if c.dtype not in (pl.String, pl.Categorical, pl.Enum):
            raise ColumnError(
                f"column `{crime_type}` (crime type): expected strings (e.g. ICCS codes), found "
                f"{c.dtype}"
            )
        _no_nulls(c, "crime type", "a crime type")
        if iccs:
            from aluna import iccs as codes

            codes.validate(frame, crime_type)
    return frame


def _looks_direct(series: pl.Series) -> str | None:
    """'e-mail addresses' or 'phone numbers' if most sampled values look like them."""
    if series.dtype not in (pl.String, pl.Categorical, pl.Enum):
        return None
    sample = series.cast(pl.String).drop_nulls().head(1000).to_list()
    if not sample:
        return None
    for what, pattern in (("e-mail addresses", _EMAIL), ("phone numbers", _PHONE)):
        if sum(bool(pattern.match(v)) for v in sample) > len(sample) / 2:
            return what
    return None


@dataclass(frozen=True, repr=False)
class RecordsFile:
    """Records read from the exchange layout, with their declared column roles and metadata."""

    records: pl.DataFrame
    entity: str
    identifiers: list[str]
    case: str | None
    time: str | None
    crime_type: str | None
    crime_type_coding: str | None
    schema_version: int
    key_fingerprint: str
    suppression: Any
    provenance: dict[str, Any] = field(default_factory=dict)
    created_by: str = ""
    created_at: str = ""

    def __repr__(self) -> str:
        return (
            f"RecordsFile({self.records.height:,} records, entity `{self.entity}`, identifiers "
            f"{self.identifiers}, layout v{self.schema_version}, key fingerprint "
            f"{self.key_fingerprint})"
        )

    def _repr_html_(self) -> str:
        return f"<div><strong>aluna records</strong>: {html.escape(repr(self))}</div>"


def write_records(
    records: Any,
    path: Any,
    *,
    entity: str,
    key_fingerprint: str,
    identifiers: Sequence[str] | str = (),
    case: str | None = None,
    time: str | None = None,
    crime_type: str | None = None,
    iccs: bool = False,
    suppression: Any = None,
    provenance: Mapping[str, Any] | None = None,
) -> None:
    """Write pseudonymised case records in the exchange layout.

    The records are validated (:func:`validate_records`) and written as they are; the file's
    metadata declares each column's role, the fingerprint of the pseudonymisation key, the
    disclosure control applied and the provenance. An identifier column whose values mostly
    look like e-mail addresses or phone numbers raises an :class:`IdentifierWarning`: the layout
    is for pseudonymised identifiers (see :mod:`aluna.privacy`).

    Parameters
    ----------
    records
        The records.
    path
        The file to write.
    entity, identifiers, case, time, crime_type
        The columns' roles (see :func:`validate_records`).
    key_fingerprint
        Fingerprint of the key the identifiers were pseudonymised with (e.g.
        ``aluna.privacy.Key.fingerprint``): required. Files with the same fingerprint can be
        linked; never pass the key itself.
    iccs
        Crime types are ICCS codes (checked, and recorded as the coding).
    suppression
        What disclosure control was applied (string or JSON-serialisable mapping); ``None``
        records that none was.
    provenance
        Extra JSON-serialisable facts (source system, extraction date, legal basis ...).

    Examples
    --------
    >>> import polars as pl, aluna, tempfile, pathlib
    >>> rec = pl.DataFrame({"person_id": ["a", "b"], "phone": ["phone:3fa94c0e12d87b55"] * 2})
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "records.parquet"
    >>> aluna.exchange.write_records(rec, path, entity="person_id", identifiers=["phone"],
    ...                              key_fingerprint="sha256:1f2e")
    >>> f = aluna.exchange.read_records(path)
    >>> (f.entity, f.identifiers, f.key_fingerprint, f.records.height)
    ('person_id', ['phone'], 'sha256:1f2e', 2)
    """
    from aluna.exceptions import IdentifierWarning

    fingerprint = _fingerprint(key_fingerprint, required=True)
    names = [identifiers] if isinstance(identifiers, str) else list(identifiers)
    frame = validate_records(
        records,
        entity=entity,
        identifiers=names,
        case=case,
        time=time,
        crime_type=crime_type,
        iccs=iccs,
    )
    for name in names:
        what = _looks_direct(frame[name])
        if what:
            import warnings

            warnings.warn(
                f"column `{name}`: most values look like {what}, not pseudonyms; the records "
                "layout is for pseudonymised identifiers. Pseudonymise them with aluna.privacy "
                "before exchanging the file.",
                IdentifierWarning,
                stacklevel=2,
            )
    body = {
        "columns": {
            "entity": entity,
            "identifiers": names,
            "case": case,
            "time": time,
            "crime_type": crime_type,
        },
        "crime_type_coding": "ICCS 1.0" if (crime_type and iccs) else None,
        "rows": frame.height,
    }
    document = _document(
        RECORDS_SCHEMA,
        key_fingerprint=fingerprint,
        suppression=suppression,
        provenance=provenance,
        body=body,
    )
    _write(frame, path, document)


def read_records(path: Any) -> RecordsFile:
    """Read records written by :func:`write_records`, validating them again.

    Columns that look like direct identifiers (names, e-mail addresses, phone numbers ...;
    see :func:`aluna.privacy.find_identifiers`) raise an
    :class:`~aluna.exceptions.IdentifierWarning` naming the columns, never their values;
    columns of aluna pseudonyms are not flagged.

    Raises
    ------
    ArgumentError
        Not an aluna records file, or a newer layout version.
    ColumnError, BadValueError
        The records no longer fit their declared roles.
    """
    from aluna.privacy import warn_identifiers

    document = read_metadata(path)
    _expect(document, RECORDS_SCHEMA, path)
    cols = document["columns"]
    frame = pl.read_parquet(Path(path))
    coding = document.get("crime_type_coding")
    validate_records(
        frame,
        entity=cols["entity"],
        identifiers=cols["identifiers"],
        case=cols.get("case"),
        time=cols.get("time"),
        crime_type=cols.get("crime_type"),
        iccs=coding == "ICCS 1.0",
    )
    warn_identifiers(frame, source=f"read_records({Path(path).name!r})")
    return RecordsFile(
        records=frame,
        entity=cols["entity"],
        identifiers=list(cols["identifiers"]),
        case=cols.get("case"),
        time=cols.get("time"),
        crime_type=cols.get("crime_type"),
        crime_type_coding=coding,
        schema_version=document["schema_version"],
        key_fingerprint=document["key_fingerprint"],
        suppression=document.get("suppression"),
        provenance=document.get("provenance") or {},
        created_by=document.get("created_by", ""),
        created_at=document.get("created_at", ""),
    )
