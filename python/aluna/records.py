"""Case-link graphs from case records: shared identifiers and co-offending.

Investigators rarely start from a clean edge list. They hold records: who was involved in which
case, with which (pseudonymised) phone numbers, devices, accounts, payment instruments and
image-hash matches, when, and for which crime type. :func:`link_records` links the entities of
such records that share an identifier value; :func:`co_offending` links persons who share a
case. Both return a :class:`aluna.CaseGraph` that keeps the evidence of every link.
"""

from __future__ import annotations

import datetime as dt
import html
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import polars as pl

from aluna import _native
from aluna._interop import arrow_table, to_polars
from aluna.exceptions import ArgumentError, ColumnError, HubValueWarning
from aluna.graph import CaseGraph

__all__ = ["CoOffendingReport", "LinkReport", "co_offending", "link_records"]

Weighting = Literal["inverse_frequency", "count", "jaccard"]


@dataclass(frozen=True, repr=False)
class LinkReport:
    """What :func:`link_records` read, ignored and dropped.

    Attributes
    ----------
    rows
        Record rows read.
    entities
        Distinct entities: the graph's nodes.
    identifiers
        One row per identifier column: ``column``, ``null_values`` (rows ignored for a null),
        ``values`` (distinct), ``shared_values`` (held by two or more entities and kept),
        ``dropped_values`` (over the cap) and ``pairs`` (entity pairs linked through it).
    dropped
        The dropped hub values: ``column``, ``value`` (as text) and ``entities`` holding it,
        most entities first. Treat it like the records: the values are pseudonymised
        identifiers.
    parameters
        The call's settings (``entity``, ``identifiers``, ``time``, ``weighting``,
        ``max_identifier_degree``, ``window``).
    """

    rows: int
    entities: int
    identifiers: pl.DataFrame
    dropped: pl.DataFrame
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def null_values(self) -> int:
        """Identifier cells that were null (ignored), over all identifier columns."""
        return int(self.identifiers["null_values"].sum())

    def __repr__(self) -> str:
        return (
            f"LinkReport({self.rows:,} rows, {self.entities:,} entities, "
            f"{self.null_values:,} null identifiers ignored, "
            f"{self.dropped.height:,} hub values dropped)"
        )

    def _repr_html_(self) -> str:
        return (
            f"<div><strong>link_records</strong>: {html.escape(repr(self))}"
            f"{self.identifiers._repr_html_()}</div>"
        )


@dataclass(frozen=True, repr=False)
class CoOffendingReport:
    """What :func:`co_offending` read and ignored.

    Attributes
    ----------
    rows, persons, cases
        Participation rows read, distinct persons (the graph's nodes), distinct cases.
    rows_without_case
        Rows whose case was null (ignored).
    joint_cases
        Cases with two or more persons: the ones that make links.
    parameters
        The call's settings.
    """

    rows: int
    persons: int
    cases: int
    rows_without_case: int
    joint_cases: int
    parameters: dict[str, Any] = field(default_factory=dict)

    def _repr_html_(self) -> str:
        return f"<div><strong>co_offending</strong>: {html.escape(repr(self))}</div>"

    def __repr__(self) -> str:
        return (
            f"CoOffendingReport({self.rows:,} rows, {self.persons:,} persons, {self.cases:,} "
            f"cases of which {self.joint_cases:,} joint, {self.rows_without_case:,} rows "
            "without a case ignored)"
        )


def _frame(data: Any, what: str) -> pl.DataFrame:
    return pl.DataFrame(arrow_table(data, what=what))


def _window_units(frame: pl.DataFrame, time: str | None, window: Any) -> int | None:
    """``window`` in the storage units of the time column."""
    if window is None:
        return None
    if time is None:
        raise ArgumentError("argument `window`: a time window needs a time column (time=...)")
    if time not in frame.columns:
        raise ColumnError(f"column `{time}` not found; the table has: {', '.join(frame.columns)}")
    dtype = frame.schema[time]
    if isinstance(window, bool):
        raise ArgumentError(f"argument `window`: expected a duration, got {window!r}")
    if dtype.is_integer():
        if not isinstance(window, int):
            raise ArgumentError(
                f"argument `window`: the time column `{time}` holds integers, so the window "
                f"is an integer in the same units; got {window!r}"
            )
        if window <= 0:
            raise ArgumentError(f"argument `window`: must be positive, got {window}")
        return window
    if dtype == pl.Date or isinstance(dtype, pl.Datetime):
        if not isinstance(window, dt.timedelta):
            raise ArgumentError(
                f"argument `window`: the time column `{time}` holds {dtype}, so the window is a "
                f"datetime.timedelta; got {window!r}"
            )
        if window <= dt.timedelta(0):
            raise ArgumentError(f"argument `window`: must be positive, got {window}")
        if dtype == pl.Date:
            if window % dt.timedelta(days=1):
                raise ArgumentError(
                    f"argument `window`: dates are whole days, got {window} (round it to days)"
                )
            return window.days
        unit = dtype.time_unit or "us"  # type: ignore[union-attr]
        micro = window // dt.timedelta(microseconds=1)
        units = {"ms": micro // 1000, "us": micro, "ns": micro * 1000}[unit]
        if units <= 0:
            raise ArgumentError(
                f"argument `window`: {window} is shorter than the time column's unit ({unit})"
            )
        return units
    # Any other dtype: let the core name it.
    return window if isinstance(window, int) else None


def link_records(
    records: Any,
    entity: str = "person_id",
    identifiers: Sequence[str] | str = (),
    *,
    time: str | None = None,
    window: int | dt.timedelta | None = None,
    weighting: Weighting = "inverse_frequency",
    max_identifier_degree: int | None = 1000,
    threads: int | None = None,
) -> CaseGraph:
    r"""Link the entities of case records that share an identifier value.

    Every distinct entity (person or case) becomes a node, also one that shares nothing. Two
    entities are linked when an identifier column holds the same value in a record of each;
    values are compared within their column, and nulls are ignored (counted in the report).
    The weight of a link, over the values :math:`k` both entities hold, is

    * ``"inverse_frequency"`` (default): :math:`w_{uv} = \sum_k 1 / (d_k - 1)`, with
      :math:`d_k` the number of entities holding :math:`k`. A value two entities share adds 1;
      one that 101 share adds 0.01, so popular values (a shared public Wi-Fi address, a
      platform's support number) are damped. This is Newman's collaboration weighting [1]_ and
      equals networkx's ``bipartite.collaboration_weighted_projected_graph`` of the
      entity x value graph.
    * ``"count"``: the number of shared values (networkx's ``weighted_projected_graph``).
    * ``"jaccard"``: shared values over the values either entity holds,
      :math:`|K_u \cap K_v| / |K_u \cup K_v|` (networkx's ``overlap_weighted_projected_graph``).

    A value held by more than ``max_identifier_degree`` entities would make
    :math:`d(d-1)/2` links; it is dropped (as if absent, also from Jaccard denominators),
    listed in ``graph.build_report.dropped`` and announced with a :class:`HubValueWarning`.

    Evidence stays on the graph: one observation per pair and identifier column, so
    ``graph.edges()`` gives per pair the ``weight``, ``link_types`` (the identifier columns that
    link them), ``links`` (how many values they share), and, with ``time``, ``first_seen`` and
    ``last_seen``; ``graph.evidence()`` gives the same per identifier column. Two records
    co-occur when the later of them is made; first and last seen are the first and last
    co-occurrence. With ``window``, only records at most ``window`` apart co-occur.

    Parameters
    ----------
    records
        One row per record: a polars or pandas DataFrame, a pyarrow Table, or any object with
        ``__arrow_c_stream__``.
    entity
        The column naming whom or what a record is about: the nodes. Integers or strings; a null
        is an error.
    identifiers
        Identifier columns (integers or strings): pseudonymised phone numbers, devices,
        accounts, payment instruments, image-hash matches.
    time
        When each record was made: a date, datetime or integer column (null is an error).
    window
        Link only records made at most this far apart: a ``datetime.timedelta`` for date and
        datetime columns (whole days for dates), an integer for integer times. Must be positive.
    weighting
        ``"inverse_frequency"``, ``"count"`` or ``"jaccard"``.
    max_identifier_degree
        Drop values held by more than this many entities (at least 2). ``None`` keeps every
        value, however many links it makes.
    threads
        Threads to use (``None``: all cores). Results are identical for any number.

    Returns
    -------
    CaseGraph
        Undirected, weighted, typed by identifier column, timed when ``time`` is given; its
        ``build_report`` is a :class:`LinkReport`.

    Raises
    ------
    ColumnError
        A named column is missing, or holds a type that cannot be used (an identifier that is
        not integer or string, a time that is not a date, datetime or integer).
    BadValueError
        A null entity or time (the message names the row).
    ArgumentError
        No identifiers, an identifier named twice or equal to the entity, an unknown weighting,
        a cap below 2, a window without time or not positive.
    EmptyInputError
        The records have no rows.

    References
    ----------
    .. [1] Newman, M. E. J. (2001). Scientific collaboration networks. II. Shortest paths,
       weighted networks, and centrality. Physical Review E 64, 016132.
       https://doi.org/10.1103/PhysRevE.64.016132

    Examples
    --------
    >>> import polars as pl, aluna
    >>> records = pl.DataFrame({
    ...     "person_id": ["ann", "bo", "cy", "dee", "ann"],
    ...     "phone": ["p1", "p1", "p1", None, "p2"],
    ...     "device": ["d1", None, None, "d1", None],
    ... })
    >>> g = aluna.link_records(records, "person_id", ["phone", "device"], weighting="count")
    >>> g.edges().sort("source", "target").rows()
    [('ann', 'bo', 1.0, ['phone'], 1), ('ann', 'cy', 1.0, ['phone'], 1), ('ann', 'dee', 1.0, ['device'], 1), ('bo', 'cy', 1.0, ['phone'], 1)]
    >>> g.build_report.null_values
    4
    """  # noqa: E501
    frame = _frame(records, "records")
    names = [identifiers] if isinstance(identifiers, str) else list(identifiers)
    if not all(isinstance(n, str) for n in names):
        raise ArgumentError(f"argument `identifiers`: expected column names, got {names!r}")
    if max_identifier_degree is not None and (
        isinstance(max_identifier_degree, bool) or not isinstance(max_identifier_degree, int)
    ):
        raise ArgumentError(
            "argument `max_identifier_degree`: expected an integer of at least 2 or None, got "
            f"{max_identifier_degree!r}"
        )
    if max_identifier_degree is not None and max_identifier_degree < 2:
        raise ArgumentError(
            "argument `max_identifier_degree`: must be at least 2 (a value held by one entity "
            f"links nobody), got {max_identifier_degree}"
        )
    units = _window_units(frame, time, window)
    graph, per_column, dropped, rows, entities = _native.link_records(
        frame,
        entity,
        names,
        time=time,
        weighting=weighting,
        max_identifier_degree=max_identifier_degree,
        window=units,
        threads=threads,
    )
    parameters = {
        "entity": entity,
        "identifiers": names,
        "time": time,
        "window": window,
        "weighting": weighting,
        "max_identifier_degree": max_identifier_degree,
    }
    report = LinkReport(
        rows=rows,
        entities=entities,
        identifiers=to_polars(per_column),
        dropped=to_polars(dropped),
        parameters=parameters,
    )
    if report.dropped.height:
        largest = report.dropped.row(0, named=True)
        warnings.warn(
            f"link_records: {report.dropped.height:,} identifier value(s) held by more than "
            f"{max_identifier_degree:,} entities were dropped (the largest, in column "
            f"`{largest['column']}`, is held by {largest['entities']:,}); such values would link "
            "nearly everyone. See graph.build_report.dropped; raise max_identifier_degree or "
            "pass None to keep them.",
            HubValueWarning,
            stacklevel=2,
        )
    columns = {
        "source": "source",
        "target": "target",
        "weight": "weight",
        "link_type": "identifier",
        "time": "first_seen" if time else None,
        "until": "last_seen" if time else None,
        "node": "node",
    }
    result = CaseGraph._wrap(graph, columns, None)
    result._provenance = {"built_by": "aluna.link_records", "report": report}
    return result


def co_offending(
    participation: Any,
    person: str = "person_id",
    case: str = "case_id",
    *,
    crime_type: str | None = None,
    time: str | None = None,
    threads: int | None = None,
) -> CaseGraph:
    """The co-offending network: persons linked by the cases they share.

    The projection of the two-mode person x case network onto persons [1]_, with repeat ties
    counted: each case two persons share adds one link observation, so a pair's ``weight`` (and
    ``links``) is the number of cases they share. This equals networkx's
    ``bipartite.weighted_projected_graph``. Persons who offended alone are nodes without links.
    With ``crime_type``, each link is typed by its case's crime type, so the crime types are the
    graph's layers (:meth:`CaseGraph.layers`); with ``time``, each link is timed by its case
    (the earliest time on the case's rows).

    Parameters
    ----------
    participation
        One row per person and case (a person listed twice in a case counts once).
    person, case
        The person and case columns (integers or strings). A null person is an error; rows
        without a case are ignored and counted.
    crime_type
        The case's crime type, one per case (for example an ICCS code, see :mod:`aluna.iccs`).
        Two crime types on one case are an error: choose the principal offence.
    time
        When the case happened (date, datetime or integer; null is an error).
    threads
        Threads to use (``None``: all cores); results are identical for any number.

    Returns
    -------
    CaseGraph
        Undirected and weighted; ``build_report`` is a :class:`CoOffendingReport`.

    Raises
    ------
    ColumnError
        A named column is missing or of a type that cannot be used.
    BadValueError
        A null person, crime type or time, or a case with two crime types (names the row).
    EmptyInputError
        The table has no rows.

    References
    ----------
    .. [1] Newman, M. E. J. (2001). Scientific collaboration networks. I. Network construction
       and fundamental results. Physical Review E 64, 016131.
       https://doi.org/10.1103/PhysRevE.64.016131

    Examples
    --------
    >>> import polars as pl, aluna
    >>> part = pl.DataFrame({
    ...     "person_id": [1, 2, 1, 2, 3, 4],
    ...     "case_id": [10, 10, 11, 11, 11, 12],
    ...     "crime": ["0302", "0302", "0601", "0601", "0601", "0601"],
    ... })
    >>> g = aluna.co_offending(part, crime_type="crime")
    >>> g.edges().sort("source", "target").rows()
    [(1, 2, 2.0, ['0302', '0601'], 2), (1, 3, 1.0, ['0601'], 1), (2, 3, 1.0, ['0601'], 1)]
    >>> g.number_of_nodes()
    4
    """
    frame = _frame(participation, "participation")
    graph, (rows, persons, cases, without_case, joint) = _native.co_offending(
        frame, person, case, crime_type=crime_type, time=time, threads=threads
    )
    report = CoOffendingReport(
        rows=rows,
        persons=persons,
        cases=cases,
        rows_without_case=without_case,
        joint_cases=joint,
        parameters={"person": person, "case": case, "crime_type": crime_type, "time": time},
    )
    columns = {
        "source": "source",
        "target": "target",
        "weight": "weight",
        "link_type": crime_type,
        "time": time,
        "node": "node",
    }
    result = CaseGraph._wrap(graph, columns, None)
    result._provenance = {"built_by": "aluna.co_offending", "report": report}
    return result
