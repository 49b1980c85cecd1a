"""Disruption simulation: the result object behind :meth:`aluna.CaseGraph.disruption`.

A simulation removes people one at a time by a targeting strategy (never victims, by default)
and follows how the network falls apart, or repairs itself. Its :class:`Disruption` result holds
the resilience curve (``.table``), the links a repair added (``.added_links``), ``.plot()`` and
``_repr_html_``.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["STRATEGIES", "Disruption"]

#: The targeting strategies of :meth:`aluna.CaseGraph.disruption`.
STRATEGIES: tuple[str, ...] = ("degree", "betweenness", "pagerank", "key_players", "random")

_LABELS = {
    "largest_component_fraction": "largest component (share of all people)",
    "efficiency": "global efficiency",
    "fragmentation": "fragmentation",
}


@dataclass(frozen=True, repr=False)
class Disruption:
    """The outcome of a disruption simulation (:meth:`aluna.CaseGraph.disruption`).

    Attributes
    ----------
    table
        The resilience curve: one row per step, step 0 being the network as given. Columns:
        ``step``; ``node``, the person removed (null at step 0); ``score``, the strategy's score
        of that person when chosen (degree, betweenness or PageRank in the network they were
        removed from, or in the network as given when not recalculated; for key players the
        fragmentation their removal left; null for ``"random"``); ``nodes_left``; ``links`` among
        the people left; ``links_added`` by this step's repair; ``components`` (isolated people
        count as components); ``largest_component`` (people) and ``largest_component_fraction``
        (of all people in the network as given); ``fragmentation`` (the share of pairs of people
        left that cannot reach each other; null with fewer than two left); ``efficiency``, the
        global efficiency of the network left (null when not computed).
    added_links
        Links added by the repair: ``step``, ``source``, ``target``.
    strategy
        ``"degree"``, ``"betweenness"``, ``"pagerank"``, ``"key_players"`` or ``"random"``.
    recalculate
        Whether the strategy's measure was recomputed after every removal.
    recovery
        ``"none"`` or ``"neighbours"``.
    recovery_probability
        The probability that a pair of a removed person's contacts re-link (``None`` without
        recovery).
    seed
        The seed of the random choices.
    excluded_roles
        Roles never removed.
    """

    table: pl.DataFrame
    added_links: pl.DataFrame
    strategy: str
    recalculate: bool
    recovery: str
    recovery_probability: float | None
    seed: int
    excluded_roles: tuple[str, ...]

    @property
    def removed(self) -> list[Any]:
        """The people removed, in order."""
        return self.table["node"].drop_nulls().to_list()

    @property
    def steps(self) -> int:
        """Number of removals."""
        return self.table.height - 1

    def _label(self) -> str:
        how = "recalculated" if self.recalculate else "ranked once"
        if self.strategy == "random":
            how = f"seed {self.seed}"
        label = f"{self.strategy} ({how})"
        if self.recovery != "none":
            label += f", recovery p={self.recovery_probability:g}"
        return label

    def plot(
        self,
        ax: Axes | None = None,
        *,
        measures: Sequence[str] = ("largest_component_fraction", "efficiency"),
        label: str | None = None,
    ) -> Axes:
        """The resilience curve: each measure against the number of people removed.

        Pass the ``ax`` of another simulation's plot to compare strategies on one chart.

        Parameters
        ----------
        ax
            Axes to draw on (a new figure when ``None``).
        measures
            Columns of :attr:`table` to draw: ``"largest_component_fraction"``,
            ``"efficiency"``, ``"fragmentation"``.
        label
            Legend prefix (default: the strategy and its settings).
        """
        import matplotlib.pyplot as plt

        from aluna.exceptions import ArgumentError

        for m in measures:
            if m not in _LABELS:
                raise ArgumentError(
                    f"argument `measures`: {m!r} is not one of {', '.join(map(repr, _LABELS))}"
                )
        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3.5))
        prefix = label or self._label()
        styles = ("-", "--", ":")
        steps = self.table["step"].to_list()
        for i, m in enumerate(measures):
            values = self.table[m].to_list()
            if all(v is None for v in values):
                continue
            ax.plot(
                steps,
                values,
                linestyle=styles[i % len(styles)],
                marker="o",
                markersize=3,
                label=f"{prefix}: {_LABELS[m]}",
            )
        ax.set_xlabel("people removed")
        ax.set_ylabel("share")
        ax.set_ylim(-0.02, 1.02)
        ax.set_title("Resilience curve")
        ax.legend(frameon=False, fontsize="small")
        return ax

    def __repr__(self) -> str:
        last = self.table.row(-1, named=True)
        efficiency = last["efficiency"]
        eff = "" if efficiency is None else f", efficiency={efficiency:.4f}"
        return (
            f"Disruption(strategy={self.strategy!r}, steps={self.steps}, "
            f"largest_component_fraction={last['largest_component_fraction']:.4f}{eff})"
        )

    def _repr_html_(self) -> str:
        head = self.table.row(0, named=True)
        last = self.table.row(-1, named=True)

        def fmt(value: Any) -> str:
            if value is None:
                return "-"
            if isinstance(value, float):
                return f"{value:.4f}"
            return html.escape(str(value))

        columns = [
            "step",
            "node",
            "score",
            "nodes_left",
            "links",
            "links_added",
            "components",
            "largest_component_fraction",
            "efficiency",
        ]
        header = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{fmt(row[c])}</td>" for c in columns) + "</tr>"
            for row in self.table.iter_rows(named=True)
        )
        left_out = ", ".join(self.excluded_roles) or "none"
        repair = (
            "none"
            if self.recovery == "none"
            else f"contacts of a removed person re-link with p = {self.recovery_probability:g} "
            f"({self.added_links.height} links added)"
        )
        change = ""
        if head["efficiency"] is not None and last["efficiency"] is not None:
            change = f"; efficiency {head['efficiency']:.4f} &rarr; {last['efficiency']:.4f}"
        return (
            "<div><strong>Disruption simulation</strong> (pseudonymised ids)"
            f"<p>strategy: {html.escape(self._label())}; {self.steps} removals; repair: "
            f"{html.escape(repair)}; roles never removed: {html.escape(left_out)}</p>"
            f"<p>largest component {head['largest_component_fraction']:.4f} &rarr; "
            f"{last['largest_component_fraction']:.4f}{change}</p>"
            f"<table><tr>{header}</tr>{body}</table></div>"
        )
