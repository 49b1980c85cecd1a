"""Case-link graphs over time: snapshots, group persistence, group activity timelines.

:meth:`aluna.CaseGraph.snapshots` cuts a timed graph into consecutive windows. Groups (any
partition of the nodes: communities, known organisations, components) are followed across the
windows by matching each window's groups to the groups alive before, by the Jaccard overlap of
their active members, as Greene, Doyle & Cunningham (2010) track dynamic communities.
"""

from __future__ import annotations

import datetime as dt
import html
import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, overload

import polars as pl

from aluna import _native, _progress
from aluna._interop import to_polars
from aluna.exceptions import ArgumentError, ColumnError, DuplicateError

if TYPE_CHECKING:
    from aluna.graph import CaseGraph

__all__ = ["GroupPersistence", "Snapshot", "Snapshots"]

Partition = pl.DataFrame | Callable[["CaseGraph"], pl.DataFrame]


@dataclass(frozen=True)
class Snapshot:
    """One time window of a graph: links seen in ``[start, end)`` over all nodes."""

    index: int
    start: Any
    end: Any
    graph: CaseGraph


def _boundaries(graph: CaseGraph, freq: Any, start: Any, end: Any) -> list[Any]:
    kind = graph._graph.time_kind()
    if kind is None:
        raise ArgumentError(
            "argument `freq`: the graph's links have no time; build it with time=<column>"
        )
    family, unit, tz = kind
    obs = graph.evidence()
    time_col = graph._columns["time"]
    until_col = graph._columns.get("until")
    first = obs[time_col].min() if obs.height else None
    last_col = until_col if until_col and until_col in obs.columns else time_col
    last = obs[last_col].max() if obs.height else None
    if family == "integer":
        if isinstance(freq, bool) or not isinstance(freq, int) or freq <= 0:
            raise ArgumentError(
                f"argument `freq`: the graph's times are integers, so freq is a positive "
                f"integer; got {freq!r}"
            )
        lo = start if start is not None else (first // freq) * freq if first is not None else 0
        hi = end if end is not None else (last + 1 if last is not None else lo + freq)
        if not isinstance(lo, int) or not isinstance(hi, int):
            raise ArgumentError("arguments `start`/`end`: the graph's times are integers")
        if hi <= lo:
            raise ArgumentError(f"argument `end`: must be after start ({lo}), got {hi}")
        bounds = list(range(lo, hi, freq))
        return [*bounds, bounds[-1] + freq]
    if isinstance(freq, dt.timedelta):
        if freq <= dt.timedelta(0):
            raise ArgumentError(f"argument `freq`: must be positive, got {freq}")
        interval: Any = freq
    elif isinstance(freq, str):
        interval = freq
    else:
        raise ArgumentError(
            f"argument `freq`: expected a duration such as '1mo', '2w' or a datetime.timedelta, "
            f"got {freq!r}"
        )
    dtype: pl.DataType = pl.Date() if family == "date" else pl.Datetime(unit or "us", tz)  # type: ignore[arg-type]
    try:
        if start is None:
            if first is None:
                raise ArgumentError("argument `start`: the graph has no links; give start=")
            start = pl.Series([first], dtype=dtype).dt.truncate(interval)[0]
        if end is None:
            if last is None:
                raise ArgumentError("argument `end`: the graph has no links; give end=")
            end = last
            closed = "both"
        else:
            closed = "left"
        if family == "date":
            bounds = pl.date_range(start, end, interval=interval, eager=True, closed=closed)
        else:
            bounds = pl.datetime_range(
                start,
                end,
                interval=interval,
                eager=True,
                closed=closed,  # type: ignore[arg-type]
                time_unit=unit or "us",  # type: ignore[arg-type]
                time_zone=tz,
            )
    except pl.exceptions.PolarsError as err:
        raise ArgumentError(f"argument `freq`: cannot cut windows of {freq!r}: {err}") from err
    values = bounds.to_list()
    if not values:
        raise ArgumentError(f"argument `end`: must be after start ({start}), got {end}")
    final = pl.Series([values[-1]], dtype=bounds.dtype).dt.offset_by(
        interval if isinstance(interval, str) else f"{int(interval.total_seconds() * 1e6)}us"
    )[0]
    return [*values, final]


class Snapshots(Sequence[Snapshot]):
    """A timed graph cut into consecutive windows ``[start, end)`` of equal length.

    Built by :meth:`aluna.CaseGraph.snapshots`. Each snapshot keeps every node, so node tables of
    different windows line up; a link counts in a window when it was seen in it (a link seen over
    a span ``[first_seen, last_seen]``, as :func:`aluna.link_records` makes them, counts in every
    window the span overlaps).

    Attributes
    ----------
    windows
        One row per window: ``window`` (0, 1, ...), ``start``, ``end``, ``edges`` (linked pairs),
        ``links`` (observations) and ``active_nodes`` (nodes with a link).
    """

    def __init__(self, graph: CaseGraph, freq: Any, *, start: Any = None, end: Any = None):
        bounds = _boundaries(graph, freq, start, end)
        self.graph = graph
        self.freq = freq
        self._items = [
            Snapshot(i, lo, hi, graph.subgraph(start=lo, end=hi))
            for i, (lo, hi) in enumerate(itertools.pairwise(bounds))
        ]
        rows = []
        for s in self._items:
            degree = s.graph.degree()["degree"]
            rows.append(
                {
                    "window": s.index,
                    "start": s.start,
                    "end": s.end,
                    "edges": s.graph.number_of_edges(),
                    "links": int(to_polars(_native.graph_observations(s.graph._graph)).height),
                    "active_nodes": int((degree > 0).sum()),
                }
            )
        self.windows = pl.DataFrame(rows)

    @overload
    def __getitem__(self, i: int) -> Snapshot: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[Snapshot]: ...
    def __getitem__(self, i: int | slice) -> Snapshot | Sequence[Snapshot]:
        return self._items[i]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Snapshot]:
        return iter(self._items)

    def _repr_html_(self) -> str:
        return (
            f"<div><strong>Snapshots</strong> ({html.escape(repr(self))})"
            f"{self.windows._repr_html_()}</div>"
        )

    def __repr__(self) -> str:
        if not self._items:
            return "Snapshots(0 windows)"
        return (
            f"Snapshots({len(self)} windows of {self.freq!r}, {self._items[0].start} to "
            f"{self._items[-1].end})"
        )

    # ---------------------------------------------------------------- groups over time

    def _membership(self, snap: Snapshot, partition: Partition) -> pl.DataFrame:
        """Active members of each group in one window: ``node``, ``community``."""
        if callable(partition) and not isinstance(partition, pl.DataFrame):
            part = partition(snap.graph)
            if not isinstance(part, pl.DataFrame):
                raise ArgumentError(
                    "argument `partition`: the callable must return a polars DataFrame with "
                    f"columns node and community, got {type(part).__name__}"
                )
            part = _check_partition(part, what=f"the partition returned for window {snap.index}")
        elif isinstance(partition, pl.DataFrame):
            if "window" in partition.columns:
                part = partition.filter(pl.col("window") == snap.index).drop("window")
                part = _check_partition(part, what=f"the partition of window {snap.index}")
            else:
                part = partition
        else:
            raise ArgumentError(
                "argument `partition`: expected a DataFrame with columns node and community "
                "(optionally window) or a callable graph -> DataFrame, got "
                f"{type(partition).__name__}"
            )
        degree = snap.graph.degree()
        active = degree.filter(pl.col("degree") > 0).select("node")
        if part.height and part["node"].dtype != active["node"].dtype:
            part = part.with_columns(pl.col("node").cast(active["node"].dtype))
        return part.select("node", "community").join(active, on="node", how="semi")

    def _activity(self, snap: Snapshot, membership: pl.DataFrame) -> pl.DataFrame:
        """Links inside each group in one window: ``community``, ``links``[, ``weight``]."""
        obs = to_polars(_native.graph_observations(snap.graph._graph))
        inside = (
            obs.join(membership.rename({"node": "source"}), on="source")
            .join(
                membership.rename({"node": "target", "community": "_other"}),
                on="target",
            )
            .filter(pl.col("community") == pl.col("_other"))
        )
        aggs = [pl.len().cast(pl.Int64).alias("links")]
        if "weight" in obs.columns:
            aggs.append(pl.col("weight").sum().alias("weight"))
        return inside.group_by("community").agg(aggs)

    def timeline(self, partition: pl.DataFrame) -> pl.DataFrame:
        """Activity of each group in each window: a group activity timeline.

        Parameters
        ----------
        partition
            ``node``, ``community``: a fixed assignment of nodes to groups (communities found on
            the whole graph, known organisations ...), optionally with ``window`` for one
            assignment per window.

        Returns
        -------
        polars.DataFrame
            One row per window and group with an active member: ``window``, ``start``, ``end``,
            ``community``, ``members`` (members with a link in the window), ``links`` (link
            observations between two members) and ``weight`` (their summed weight, when the
            graph is weighted).

        Examples
        --------
        >>> import polars as pl, aluna
        >>> part = pl.DataFrame({"person_id": [1, 2, 2, 3, 1, 2], "case_id": [7, 7, 8, 8, 9, 9],
        ...                      "year": [2020, 2020, 2021, 2021, 2021, 2021]})
        >>> snaps = aluna.co_offending(part, time="year").snapshots(1)
        >>> groups = pl.DataFrame({"node": [1, 2, 3], "community": ["x", "x", "y"]})
        >>> snaps.timeline(groups).select("start", "community", "members", "links").rows()
        [(2020, 'x', 2, 1), (2021, 'x', 2, 1), (2021, 'y', 1, 0)]
        """
        if not isinstance(partition, pl.DataFrame):
            raise ArgumentError(
                "argument `partition`: timeline needs a DataFrame with columns node and "
                "community (for a callable, use .persistence(partition).table)"
            )
        partition = _check_partition(partition, what="partition", allow_window=True)
        frames = []
        for snap in self._items:
            members = self._membership(snap, partition)
            frames.append(self._window_rows(snap, members))
        return _concat(frames, self.graph)

    def _window_rows(self, snap: Snapshot, members: pl.DataFrame) -> pl.DataFrame:
        sizes = members.group_by("community").agg(members=pl.len().cast(pl.Int64))
        activity = self._activity(snap, members)
        rows = sizes.join(activity, on="community", how="left").with_columns(
            pl.col("links").fill_null(0)
        )
        if "weight" in rows.columns:
            rows = rows.with_columns(pl.col("weight").fill_null(0.0))
        bound = self.windows.schema["start"]
        return rows.sort("community").select(
            pl.lit(snap.index, dtype=pl.Int64).alias("window"),
            pl.lit(snap.start, dtype=bound).alias("start"),
            pl.lit(snap.end, dtype=bound).alias("end"),
            pl.all(),
        )

    def persistence(
        self,
        partition: Partition,
        *,
        threshold: float = 0.3,
        min_size: int = 2,
        max_gap: int = 1,
        progress: bool | None = None,
    ) -> GroupPersistence:
        r"""Follow groups across windows by the overlap of their members.

        In each window a group is its members with a link in that window (groups with fewer
        than ``min_size`` such members are left out). Each window's groups are matched to the
        groups followed so far (seen at most ``max_gap`` windows earlier) by the Jaccard index
        of their members, :math:`J(A, B) = |A \cap B| / |A \cup B|`, greedily from the largest
        :math:`J` down, one-to-one, if :math:`J \ge` ``threshold`` (ties: the older group, then
        the lower community label); a matched group continues the followed group and becomes
        its new membership, an unmatched one is born as a new group. This is the matching step
        of Greene, Doyle & Cunningham (2010) [1]_, made one-to-one: in a split the larger part
        carries the group on, in a merge the closer group does.

        Parameters
        ----------
        partition
            Which nodes form which group: a DataFrame ``node``, ``community`` (fixed over time;
            with a column ``window``, one partition per window), or a callable that takes a
            window's graph and returns such a DataFrame (a community detection run per window).
        threshold
            Least Jaccard overlap to continue a group, in (0, 1]. Greene et al. found 0.1-0.3
            to work on real dynamic networks; 0.3 is the default.
        min_size
            Least active members for a group to count in a window.
        max_gap
            A group can be continued after up to ``max_gap - 1`` windows without activity.
        progress
            Show progress over the windows (a tqdm bar when tqdm is installed). ``None``: only
            in interactive use (a terminal or a notebook, never under pytest).

        Returns
        -------
        GroupPersistence

        References
        ----------
        .. [1] Greene, D., Doyle, D. & Cunningham, P. (2010). Tracking the evolution of
           communities in dynamic social networks. Proceedings of ASONAM 2010, 176-183.
           https://doi.org/10.1109/ASONAM.2010.17

        Examples
        --------
        >>> import polars as pl, aluna
        >>> part = pl.DataFrame({"person_id": [1, 2, 3, 1, 2, 4], "case_id": [7, 7, 7, 8, 8, 8],
        ...                      "year": [2020, 2020, 2020, 2021, 2021, 2021]})
        >>> snaps = aluna.co_offending(part, time="year").snapshots(1)
        >>> by_case = lambda g: g.components().rename({"component": "community"})
        >>> p = snaps.persistence(by_case)
        >>> p.table.select("start", "group", "members", "jaccard", "event").rows()
        [(2020, 0, 3, None, 'birth'), (2021, 0, 3, 0.5, 'continued')]
        """
        if not 0 < threshold <= 1:
            raise ArgumentError(f"argument `threshold`: must be in (0, 1], got {threshold!r}")
        if isinstance(min_size, bool) or not isinstance(min_size, int) or min_size < 1:
            raise ArgumentError(
                f"argument `min_size`: must be a positive integer, got {min_size!r}"
            )
        if isinstance(max_gap, bool) or not isinstance(max_gap, int) or max_gap < 1:
            raise ArgumentError(f"argument `max_gap`: must be a positive integer, got {max_gap!r}")
        if isinstance(partition, pl.DataFrame):
            partition = _check_partition(partition, what="partition", allow_window=True)
        fronts: dict[int, tuple[set[Any], int]] = {}
        rows: list[pl.DataFrame] = []
        windows = _progress.progress(
            self._items,
            desc="persistence",
            enabled=progress,
            label=lambda s: f"window {s.index} from {s.start}",
            unit="window",
        )
        for snap in windows:
            members = self._membership(snap, partition)
            sizes = members.group_by("community").agg(pl.len().alias("size"))
            kept = sizes.filter(pl.col("size") >= min_size)["community"]
            members = members.filter(pl.col("community").is_in(kept.implode()))
            groups = {
                c: set(nodes)
                for c, nodes in members.group_by("community", maintain_order=True)
                .agg(pl.col("node"))
                .sort("community")
                .iter_rows()
            }
            alive = {
                g: nodes for g, (nodes, last) in fronts.items() if snap.index - last <= max_gap
            }
            candidates = []
            for c, nodes in groups.items():
                for g, front in alive.items():
                    inter = len(nodes & front)
                    if inter:
                        jac = inter / len(nodes | front)
                        if jac >= threshold:
                            candidates.append((-jac, g, _sort_key(c), c, jac))
            candidates.sort(key=lambda t: (t[0], t[1], t[2]))
            assigned: dict[Any, tuple[int, float | None, str]] = {}
            taken: set[int] = set()
            for _, g, _, c, jac in candidates:
                if c in assigned or g in taken:
                    continue
                event = "continued" if snap.index - fronts[g][1] == 1 else "resumed"
                assigned[c] = (g, jac, event)
                taken.add(g)
            for c in sorted(groups, key=_sort_key):
                if c not in assigned:
                    assigned[c] = (len(fronts), None, "birth")
                    fronts[len(fronts)] = (set(), snap.index)
                g = assigned[c][0]
                fronts[g] = (groups[c], snap.index)
            if not groups:
                continue
            window = self._window_rows(snap, members)
            match = pl.DataFrame(
                {
                    "community": list(assigned),
                    "group": [assigned[c][0] for c in assigned],
                    "jaccard": [assigned[c][1] for c in assigned],
                    "event": [assigned[c][2] for c in assigned],
                },
                schema_overrides={"group": pl.Int64, "jaccard": pl.Float64},
            )
            if match["community"].dtype != window["community"].dtype:
                match = match.with_columns(pl.col("community").cast(window["community"].dtype))
            rows.append(window.join(match, on="community", how="left", maintain_order="left"))
        table = _concat(rows, self.graph)
        if table.height:
            table = table.select(
                "window",
                "start",
                "end",
                "community",
                "group",
                "members",
                pl.exclude("window", "start", "end", "community", "group", "members"),
            )
        return GroupPersistence(
            table=table,
            threshold=threshold,
            min_size=min_size,
            max_gap=max_gap,
            windows=len(self),
        )


def _sort_key(value: Any) -> tuple[int, Any]:
    return (0, value) if isinstance(value, (int, float)) else (1, str(value))


def _concat(frames: list[pl.DataFrame], graph: CaseGraph) -> pl.DataFrame:
    frames = [f for f in frames if f.height]
    if not frames:
        return pl.DataFrame(
            schema={"window": pl.Int64, "start": pl.Null, "end": pl.Null, "community": pl.Null}
        )
    return pl.concat(frames, how="diagonal_relaxed")


def _check_partition(
    partition: pl.DataFrame, *, what: str, allow_window: bool = False
) -> pl.DataFrame:
    needed = ["node", "community"] + (["window"] if "window" in partition.columns else [])
    for column in ("node", "community"):
        if column not in partition.columns:
            raise ColumnError(
                f"{what}: column `{column}` not found; a partition has columns node and "
                f"community, this one has: {', '.join(partition.columns)}"
            )
    if "window" in partition.columns and not allow_window:
        raise ColumnError(f"{what}: unexpected column `window`")
    keys = needed[:1] + needed[2:]
    duplicated = partition.select(keys).is_duplicated()
    if duplicated.any():
        row = int(duplicated.arg_max() or 0)
        raise DuplicateError(
            f"{what}: node {partition['node'][row]!r} is in more than one community"
            + (" in the same window" if "window" in keys else "")
            + f" (row {row}); a partition gives each node one group"
        )
    nulls = partition.select("node", "community").null_count().row(0)
    if any(nulls):
        raise ColumnError(f"{what}: node and community must not be null")
    return partition.select(needed)


@dataclass(frozen=True, repr=False)
class GroupPersistence:
    """Groups followed across time windows (:meth:`Snapshots.persistence`).

    Attributes
    ----------
    table
        One row per window and group: ``window``, ``start``, ``end``, ``community`` (the label
        in that window's partition), ``group`` (the followed group, numbered by birth),
        ``members`` (active members), ``links`` (observations between members in the window),
        ``weight`` (when weighted), ``jaccard`` (overlap with the group's previous membership;
        null at birth) and ``event`` (``birth``, ``continued``, or ``resumed`` after a gap).
    threshold, min_size, max_gap
        The matching settings.
    windows
        Number of windows.
    """

    table: pl.DataFrame
    threshold: float
    min_size: int
    max_gap: int
    windows: int

    @property
    def summary(self) -> pl.DataFrame:
        """One row per followed group: ``group``, ``first_window``, ``last_window``,
        ``windows_active``, ``persistence`` (windows active / windows from birth to the last
        window), ``max_members`` and ``links``."""
        if not self.table.height:
            return pl.DataFrame(
                schema={
                    "group": pl.Int64,
                    "first_window": pl.Int64,
                    "last_window": pl.Int64,
                    "windows_active": pl.Int64,
                    "persistence": pl.Float64,
                    "max_members": pl.Int64,
                    "links": pl.Int64,
                }
            )
        return (
            self.table.group_by("group")
            .agg(
                first_window=pl.col("window").min(),
                last_window=pl.col("window").max(),
                windows_active=pl.len().cast(pl.Int64),
                max_members=pl.col("members").max(),
                links=pl.col("links").sum(),
            )
            .with_columns(
                persistence=pl.col("windows_active") / (self.windows - pl.col("first_window"))
            )
            .select(
                "group",
                "first_window",
                "last_window",
                "windows_active",
                "persistence",
                "max_members",
                "links",
            )
            .sort("group")
        )

    def plot(self, ax: Any = None) -> Any:
        """Each group's active windows as a line, marker size by members (matplotlib)."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(7, 3.5))
        for (group,), rows in self.table.group_by("group", maintain_order=True):
            ax.plot(rows["window"], [group] * rows.height, color="0.6", lw=1, zorder=1)
            ax.scatter(rows["window"], [group] * rows.height, s=rows["members"] * 12, zorder=2)
        ax.set_xlabel("window")
        ax.set_ylabel("group")
        ax.set_title(f"Group persistence (Jaccard >= {self.threshold})")
        return ax

    def __repr__(self) -> str:
        groups = self.table["group"].n_unique() if self.table.height else 0
        return f"GroupPersistence({groups} groups over {self.windows} windows)"

    def _repr_html_(self) -> str:
        return (
            f"<div><strong>Group persistence</strong>: {html.escape(repr(self))}, threshold "
            f"{self.threshold}, min size {self.min_size}{self.summary._repr_html_()}</div>"
        )
