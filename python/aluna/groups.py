"""Groups and brokers: result objects and input helpers behind the ``CaseGraph`` methods
``communities``, ``modularity``, ``group_summary``, ``brokerage`` and ``key_players``.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl

from aluna._interop import arrow_table
from aluna.exceptions import ArgumentError, ColumnError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["KeyPlayers"]

#: Roles left out of rankings meant to target people unless asked otherwise.
DEFAULT_EXCLUDED_ROLES: tuple[str, ...] = ("victim",)


def roles_argument(exclude_roles: Iterable[str] | str | None) -> list[str]:
    """``exclude_roles`` as a list of role names (``None`` or ``()`` leaves nobody out)."""
    if exclude_roles is None:
        return []
    if isinstance(exclude_roles, str):
        return [exclude_roles]
    return [str(r) for r in exclude_roles]


def partition_frame(partition: Any, column: str, *, what: str = "partition") -> pl.DataFrame:
    """A two-column frame ``node``, ``column`` from any way of writing a partition.

    Accepted: a table (polars, pandas, pyarrow ...) with a ``node`` column and ``column`` (or a
    single other column), a mapping ``{node: group}``, or a sequence of collections of nodes
    (networkx's way of writing communities).
    """
    if isinstance(partition, Mapping):
        return pl.DataFrame({"node": list(partition), column: list(partition.values())})
    if isinstance(partition, (list, tuple)) and all(
        isinstance(p, (set, frozenset, list, tuple)) for p in partition
    ):
        nodes: list[Any] = []
        labels: list[int] = []
        for label, members in enumerate(partition):
            nodes.extend(members)
            labels.extend([label] * len(members))
        return pl.DataFrame({"node": nodes, column: labels})
    if isinstance(partition, pl.DataFrame):
        frame = partition
    else:
        frame = pl.DataFrame(arrow_table(partition, what=what))
    if "node" not in frame.columns:
        raise ColumnError(f"{what}: column `node` not found; the table has: {frame.columns}")
    if column not in frame.columns:
        others = [c for c in frame.columns if c != "node"]
        if len(others) != 1:
            raise ColumnError(
                f"{what}: column `{column}` not found; the table has: {frame.columns} "
                f"(name the group column with community=...)"
            )
        column = others[0]
    return frame.select("node", pl.col(column).alias(column))


@dataclass(frozen=True, repr=False)
class KeyPlayers:
    """A set of key players (Borgatti 2006) and how the search found it.

    Attributes
    ----------
    table
        The set: ``node`` and ``order`` (the order members were chosen; a swap takes the place of
        the member it replaced).
    objective
        ``"fragmentation"``, ``"distance_fragmentation"`` or ``"reach"``.
    value
        The objective the set achieves (a share between 0 and 1).
    start
        The start that found the set: 0 is the greedy one, 1, 2, ... the random ones.
    trace
        Every step of every start, in search order: ``start``, ``step``, ``move`` (``"greedy"``,
        ``"random"`` for the members of a random start, or ``"swap"``), ``added``, ``removed``
        (null unless a swap) and ``value``, the objective after the step.
    excluded_roles
        The roles that could not be chosen.
    """

    table: pl.DataFrame
    objective: str
    value: float
    start: int
    trace: pl.DataFrame
    excluded_roles: tuple[str, ...]

    @property
    def nodes(self) -> list[Any]:
        """The members, in the order they were chosen."""
        return self.table["node"].to_list()

    def plot(self, ax: Axes | None = None) -> Axes:
        """The objective along each start's search (greedy additions or a random set, then
        swaps), the winning start drawn bold."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3.5))
        for (start,), part in self.trace.group_by("start", maintain_order=True):
            steps = list(range(1, part.height + 1))
            label = "greedy start" if start == 0 else None
            if start == self.start:
                label = f"{'greedy' if start == 0 else 'random'} start {start} (best)"
            ax.plot(
                steps,
                part["value"].to_list(),
                marker="o",
                markersize=3,
                linewidth=2.0 if start == self.start else 0.8,
                color="C0" if start == self.start else "0.6",
                label=label,
                zorder=2 if start == self.start else 1,
            )
        ax.set_xlabel("step within a start")
        ax.set_ylabel(self.objective.replace("_", " "))
        ax.set_title(f"Key players (k = {self.table.height}): {self.value:.3f}")
        ax.legend(frameon=False)
        return ax

    def __repr__(self) -> str:
        return (
            f"KeyPlayers(objective={self.objective!r}, value={self.value:.4f}, "
            f"nodes={self.nodes!r})"
        )

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{order}</td><td>{html.escape(str(node))}</td></tr>"
            for node, order in zip(self.table["node"], self.table["order"], strict=True)
        )
        left_out = ", ".join(self.excluded_roles) or "none"
        swaps = self.trace.filter(pl.col("move") == "swap").height
        starts = self.trace["start"].n_unique()
        return (
            "<div><strong>Key players</strong> (Borgatti 2006)"
            f"<p>{html.escape(self.objective.replace('_', ' '))}: {self.value:.4f}, best of "
            f"{starts} start(s) with {swaps} improving swap(s) in all; roles never chosen: "
            f"{html.escape(left_out)}</p>"
            "<table><tr><th>order</th><th>node</th></tr>"
            f"{rows}</table></div>"
        )


def check_choice(name: str, value: str, allowed: Sequence[str]) -> None:
    """Raise ``ArgumentError`` unless ``value`` is one of ``allowed``."""
    if value not in allowed:
        options = ", ".join(f'"{a}"' for a in allowed)
        raise ArgumentError(f"argument `{name}`: expected one of {options}, got {value!r}")
