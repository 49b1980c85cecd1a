"""The main job: a network report an analyst can hand on, as one self-contained HTML file.

:func:`network_report` builds the case-link graph (from case records with
:func:`aluna.link_records`, or from an edge table), computes its network features, groups,
brokers, key players, the disruption curve and the cross-crime involvement of groups, and writes
one HTML file that opens anywhere without network access: CSS inline, figures as inline images,
no scripts from elsewhere (a Content-Security-Policy forbids every fetch).

Two modes:

``publishable`` (the default)
    Aggregates only: no row is about one person, counts below ``threshold`` are suppressed
    (:func:`aluna.privacy.suppress_small_cells`, with secondary suppression), groups smaller than
    ``threshold`` are neither drawn nor described, and drawings name nobody.
``restricted``
    For analysts inside an agency, asked for explicitly: adds per-person tables (key players,
    brokers, central members, the people each removal strategy takes out) under pseudonyms
    (keyed HMAC tokens when a ``key`` is given, the input's own ids otherwise).

The mode is printed on every section and in a banner repeated on every printed page; a report
built from synthetic data says so in the same places. Victims are never ranked as targets:
rankings, key players and removal strategies leave them out. Columns that look like direct
identifiers (:func:`aluna.privacy.find_identifiers`) are refused, or pseudonymised when a key is
given.

The report is a list of sections (:data:`SECTIONS`), each a small function of the computed
context; a section whose inputs are missing is omitted with a note saying why.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import os
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from time import perf_counter
from typing import Any, Literal

import polars as pl

import aluna
from aluna import _progress
from aluna.datasets import Dataset
from aluna.exceptions import AlunaError, ArgumentError, ColumnError
from aluna.graph import CaseGraph

__all__ = [
    "MODES",
    "SECTIONS",
    "NetworkReport",
    "Section",
    "network_report",
]

Mode = Literal["publishable", "restricted"]
MODES: tuple[str, ...] = ("publishable", "restricted")
RESPONSIBLE_USE_URL = "https://github.com/aluna-project/aluna/blob/main/docs/responsible-use.md"
#: Roles in order of precedence when records give a person several: a person ever recorded
#: as a victim is a victim (and so never ranked as a target).
ROLE_PRECEDENCE: tuple[str, ...] = ("victim", "witness", "offender", "suspect", "unknown")


class Omitted(Exception):
    """Raised by a section function whose inputs are missing: the section is listed with the
    reason instead of its content."""


# ---------------------------------------------------------------------------- inputs


def _read_table(data: Any, what: str) -> tuple[pl.DataFrame, bool, str]:
    """(table, labelled synthetic, description) from a path, a Dataset or a frame."""
    if isinstance(data, Dataset):
        return data.data, data.synthetic, f"aluna dataset {data.name!r}"
    if isinstance(data, (str, os.PathLike)):
        path = Path(data)
        if not path.exists():
            raise ArgumentError(f"argument `{what}`: file {str(path)!r} not found")
        if path.suffix.lower() == ".csv":
            return pl.read_csv(path, try_parse_dates=True), False, path.name
        if path.suffix.lower() in (".parquet", ".pq"):
            meta = pl.read_parquet_metadata(path)
            return pl.read_parquet(path), meta.get("aluna.synthetic") == "true", path.name
        raise ArgumentError(
            f"argument `{what}`: expected a .parquet or .csv file, got {str(path)!r}"
        )
    if isinstance(data, pl.DataFrame):
        return data, False, f"a table of {data.height:,} rows"
    from aluna._interop import arrow_table

    frame = pl.DataFrame(arrow_table(data, what=what))
    return frame, False, f"a table of {frame.height:,} rows"


def _check_identifiers(frame: pl.DataFrame, what: str, key: Any, notes: list[str]) -> pl.DataFrame:
    """Refuse columns that look like direct identifiers, or pseudonymise them with ``key``."""
    from aluna.privacy import find_identifiers, pseudonymise

    found = find_identifiers(frame)
    if not found.height:
        return frame
    described = ", ".join(f"`{c}` ({t})" for c, t, *_ in found.iter_rows())
    if key is None:
        raise ColumnError(
            f"{what}: columns that look like direct identifiers: {described}. A report never "
            "reads them in the clear: give a pseudonymisation key (key=aluna.privacy.Key"
            ".from_env(...), or --key-env NAME on the command line) to pseudonymise them, or "
            "drop them. See docs/responsible-use.md."
        )
    notes.append(
        f"{what}: columns that looked like direct identifiers were pseudonymised with the key "
        f"of fingerprint {key.fingerprint} before anything else: {described}."
    )
    return pseudonymise(frame, found["column"].to_list(), key)


def _person_roles(frame: pl.DataFrame, entity: str, role: str) -> pl.DataFrame:
    """One role per person (``node``, ``role``): a victim if ever recorded as one."""
    rank = {r: i for i, r in enumerate(ROLE_PRECEDENCE)}
    return (
        frame.select(
            pl.col(entity).alias("node"),
            pl.col(role).cast(pl.String).str.to_lowercase().fill_null("unknown").alias("role"),
        )
        .with_columns(
            pl.col("role")
            .replace_strict(rank, default=len(rank), return_dtype=pl.Int64)
            .alias("_rank")
        )
        .sort("_rank", "node")
        .unique("node", keep="first", maintain_order=True)
        .with_columns(
            pl.when(pl.col("role").is_in(ROLE_PRECEDENCE))
            .then(pl.col("role"))
            .otherwise(pl.lit("unknown"))
            .alias("role")
        )
        .drop("_rank")
    )


def _wide_identifiers(
    records: pl.DataFrame,
    entity: str,
    identifiers: Sequence[str] | None,
    case: str | None,
) -> tuple[pl.DataFrame, list[str]]:
    """The records with one column per identifier kind, ready for :func:`link_records`.

    Long records (``identifier_type``, ``identifier``) are spread into one column per type
    (every type, or those named in ``identifiers``); a case column links the people of one case
    (link type ``same_case``).
    """
    frame = records
    long = {"identifier_type", "identifier"} <= set(records.columns)
    kinds = (
        records["identifier_type"].drop_nulls().cast(pl.String).unique().sort().to_list()
        if long
        else []
    )
    names = list(kinds) if identifiers is None else list(identifiers)
    spread = [n for n in names if n in kinds and n not in records.columns]
    if spread:
        frame = records.with_columns(
            pl.when(pl.col("identifier_type").cast(pl.String) == kind)
            .then(pl.col("identifier").cast(pl.String))
            .alias(kind)
            for kind in spread
        )
    for name in names:
        if name not in frame.columns:
            types = f" or identifier types: {', '.join(kinds)}" if kinds else ""
            raise ColumnError(
                f"identifier `{name}` not found; the records have columns: "
                f"{', '.join(records.columns)}{types}"
            )
    if case is not None and case in frame.columns:
        frame = frame.with_columns(pl.col(case).alias("same_case"))
        names.append("same_case")
    if not names:
        raise ArgumentError(
            "the records name no identifiers to link on: pass identifiers=[...] (columns of "
            "pseudonymised phones, devices, accounts ...), records in long form with columns "
            "`identifier_type` and `identifier`, or a case column (case=...)"
        )
    if entity not in frame.columns:
        raise ColumnError(
            f"column `{entity}` not found; the records have: {', '.join(records.columns)}"
        )
    return frame, names


# ---------------------------------------------------------------------------- context


@dataclass
class _Context:
    """Everything the sections read, computed once on first use."""

    graph: CaseGraph
    records: pl.DataFrame | None
    mode: str
    threshold: int
    synthetic: bool
    key: Any
    seed: int
    k: int
    focus: str
    entity: str
    case: str | None
    crime_type: str | None
    crime_label: str | None
    time: str | None
    source: str
    built: str
    link_report: Any
    threads: int | None
    notes: list[str] = field(default_factory=list)
    tables: dict[str, pl.DataFrame] = field(default_factory=dict)
    figures: int = 0

    @property
    def restricted(self) -> bool:
        return self.mode == "restricted"

    @cached_property
    def nodes(self) -> pl.DataFrame:
        return self.graph.nodes()

    @cached_property
    def has_roles(self) -> bool:
        return "role" in self.nodes.columns

    @cached_property
    def eligible(self) -> int:
        return int(self.graph.eligible_targets()["eligible"].sum())

    @cached_property
    def degree(self) -> pl.DataFrame:
        return self.graph.degree()

    @cached_property
    def components(self) -> pl.DataFrame:
        return self.graph.components()

    @cached_property
    def communities(self) -> pl.DataFrame:
        weight = self.graph.weight
        return self.graph.communities(seed=self.seed, weight=weight, threads=self.threads)

    @cached_property
    def modularity(self) -> float | None:
        if self.graph.number_of_edges() == 0:
            return None
        return self.graph.modularity(self.communities, weight=self.graph.weight)

    @cached_property
    def group_sizes(self) -> pl.DataFrame:
        return self.communities.group_by("community").len("size").sort("community")

    @cached_property
    def betweenness(self) -> pl.DataFrame:
        return self.graph.betweenness(threads=self.threads)

    @cached_property
    def constraint(self) -> pl.DataFrame:
        return self.graph.constraint(threads=self.threads)

    @cached_property
    def layout(self) -> pl.DataFrame:
        return self.graph.layout(seed=self.seed, threads=self.threads)

    @cached_property
    def key_players(self) -> Any:
        k = min(self.k, self.eligible)
        if k < 1:
            raise Omitted("no person may be chosen (everyone has an excluded role)")
        return self.graph.key_players(k, seed=self.seed, threads=self.threads)

    def big_groups(self) -> list[Any]:
        """Groups that may be described: all in restricted mode, else those of at least
        ``threshold`` members."""
        sizes = self.group_sizes
        if not self.restricted:
            sizes = sizes.filter(pl.col("size") >= self.threshold)
        return sizes.sort(["size", "community"], descending=[True, False])["community"].to_list()

    def names(self, nodes: Iterable[Any]) -> dict[Any, str]:
        """How people are named in restricted tables: keyed pseudonyms, or the input's ids."""
        ids = list(nodes)
        if self.key is None:
            return {v: str(v) for v in ids}
        from aluna.privacy import pseudonymise

        frame = pl.DataFrame({"node": ids, "person": [str(v) for v in ids]})
        tokens = pseudonymise(frame, {"person": "person"}, self.key)["person"].to_list()
        return dict(zip(ids, tokens, strict=True))

    def person_table(self, frame: pl.DataFrame, column: str = "node") -> pl.DataFrame:
        """A per-person table for a restricted report, with people named by :meth:`names`."""
        names = self.names(frame[column].to_list())
        named = pl.col(column).replace_strict(names, return_dtype=pl.String)
        if column != "node":
            return frame.with_columns(named)
        at = frame.columns.index("node")
        return (
            frame.with_columns(named.alias("node"))
            .rename({"node": "person"})
            .select([*frame.columns[:at], "person", *frame.columns[at + 1 :]])
        )


# ---------------------------------------------------------------------------- HTML pieces


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if not math.isfinite(value):
            return html.escape(str(value))
        if value != 0 and abs(value) < 1e-3:
            return f"{value:.2e}"
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.3f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list):
        return html.escape(", ".join(str(v) for v in value))
    if isinstance(value, dt.timedelta):
        return f"{value.days:,} days"
    return html.escape(str(value))


def _table(
    frame: pl.DataFrame,
    *,
    hidden: set[tuple[int, str]] | None = None,
    max_rows: int = 60,
    caption: str | None = None,
) -> str:
    hidden = hidden or set()
    head = "".join(f"<th>{html.escape(c)}</th>" for c in frame.columns)
    rows = []
    for i, row in enumerate(frame.head(max_rows).iter_rows()):
        cells = []
        for column, value in zip(frame.columns, row, strict=True):
            if (i, column) in hidden:
                cells.append('<td class="sup" title="suppressed">suppressed</td>')
            else:
                numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
                cells.append(f"<td{' class=num' if numeric else ''}>{_fmt(value)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    more = (
        f'<p class="more">… and {frame.height - max_rows:,} more rows</p>'
        if frame.height > max_rows
        else ""
    )
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return (
        f'<div class="tablewrap"><table>{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>{more}"
    )


def _facts(pairs: Sequence[tuple[str, Any]]) -> str:
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{_fmt(v)}</td></tr>" for k, v in pairs)
    return f'<table class="facts">{rows}</table>'


def _para(text: str) -> str:
    return f"<p>{html.escape(text)}</p>"


def _figure(ctx: _Context, fig: Any, caption: str, *, png: bool = False) -> str:
    from aluna.plot import figure_html

    ctx.figures += 1
    image = figure_html(fig, format="png" if png else "svg", dpi=120, alt=caption)
    # Figures are numbered in document order by a CSS counter (sections are computed in
    # another order).
    return (
        f'<figure id="figure-{ctx.figures}">{image}'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def _publish(
    ctx: _Context,
    name: str,
    frame: pl.DataFrame,
    counts: Sequence[str],
    *,
    secondary: bool = True,
    derived: Sequence[str] = (),
    derived_from: Sequence[str] | None = None,
    caption: str | None = None,
) -> str:
    """A table of counts: as it is in a restricted report; with small cells suppressed in a
    publishable one.

    ``secondary`` protects hidden cells from recovery through totals: needed when the rows are
    parts of a published whole (people by role, by degree band); not when the columns are
    different measures of each row (a group's members, cases, links). The ``derived`` columns
    of a row are blanked when one of its ``derived_from`` counts (default: any count) is hidden.
    """
    ctx.tables[name] = frame
    if ctx.restricted or frame.height == 0:
        return _table(frame, caption=caption)
    from aluna.privacy import suppress_small_cells

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        result = suppress_small_cells(
            frame.with_columns(pl.col(c).cast(pl.Int64) for c in counts),
            list(counts),
            ctx.threshold,
            secondary=secondary,
        )
    for w in seen:
        ctx.notes.append(f"{name}: {w.message}")
    hidden = {(int(r), str(c)) for r, c in result.audit.select("row", "column").iter_rows()}
    bases = set(counts if derived_from is None else derived_from)
    rows_hidden = {r for r, c in hidden if c in bases}
    table = result.table
    if derived and rows_hidden:
        mask = pl.Series([i in rows_hidden for i in range(table.height)])
        table = table.with_columns(
            pl.when(mask).then(None).otherwise(pl.col(c)).alias(c) for c in derived
        )
        hidden |= {(r, c) for r in rows_hidden for c in derived}
    ctx.tables[name] = table
    return _table(table, hidden=hidden, caption=caption)


def _restricted_only(ctx: _Context, what: str) -> str:
    return (
        f'<p class="withheld">{html.escape(what)} are per-person results, shown only in a '
        'restricted report (mode="restricted", for analysts inside an agency).</p>'
    )


# ---------------------------------------------------------------------------- sections


@dataclass(frozen=True)
class Section:
    """One section of the report: ``build(context)`` returns its HTML body or raises
    :class:`Omitted` with the reason it cannot be shown."""

    key: str
    title: str
    build: Callable[[_Context], str]


def _summary(ctx: _Context) -> str:
    g = ctx.graph
    n, m = g.number_of_nodes(), g.number_of_edges()
    comp = ctx.components.group_by("component").len().sort("len", descending=True)
    largest = int(comp["len"][0]) if comp.height else 0
    possible = n * (n - 1) / (1 if g.directed else 2)
    groups = ctx.group_sizes.filter(pl.col("size") >= 3).height
    facts: list[tuple[str, Any]] = [
        ("people (nodes)", n),
        ("linked pairs (edges)", m),
        ("density", m / possible if possible else None),
        ("connected components", comp.height),
        ("largest component", f"{largest:,} people ({largest / max(n, 1):.0%})"),
        ("transitivity (global clustering)", g.transitivity(threads=ctx.threads)),
        ("groups of 3 or more (Leiden)", groups),
        ("modularity of the groups", ctx.modularity),
    ]
    try:
        kp = ctx.key_players
        facts.append(
            (
                f"pairs cut apart by removing {kp.table.height} key players",
                f"{kp.value:.1%}",
            )
        )
    except Omitted:
        pass
    involvement = ctx.tables.get("_involvement_summary")
    if involvement is not None:
        facts.append(
            (
                "groups meeting the EU criminal-organisation criteria",
                int(involvement["eu_criminal_organisation"].fill_null(False).sum()),
            )
        )
    body = _facts(facts)
    if ctx.has_roles:
        roles = ctx.nodes.group_by("role").len("people").sort("role")
        body += "<h3>People by role</h3>" + _publish(ctx, "roles", roles, ["people"])
    return body


def _data(ctx: _Context) -> str:
    facts: list[tuple[str, Any]] = [
        ("input", ctx.source),
        ("graph built", ctx.built),
        ("synthetic data", ctx.synthetic),
        ("mode", ctx.mode),
        ("small-cell threshold", ctx.threshold if not ctx.restricted else "not applied"),
        (
            "pseudonymisation key",
            f"fingerprint {ctx.key.fingerprint}" if ctx.key is not None else "none given",
        ),
    ]
    body = _facts(facts)
    report = ctx.link_report
    if report is not None:
        body += _para(
            f"{report.rows:,} record rows about {report.entities:,} people were read; "
            f"{report.null_values:,} empty identifier cells were ignored and "
            f"{report.dropped.height:,} identifier values held by more than "
            f"{report.parameters.get('max_identifier_degree')} people were dropped as hubs "
            "(a shared public address or platform would otherwise link nearly everyone)."
        )
        table = report.identifiers.select(
            pl.col("column").alias("identifier"),
            "values",
            "shared_values",
            "dropped_values",
            "pairs",
        )
        body += _publish(
            ctx,
            "identifiers",
            table,
            ["values", "shared_values", "dropped_values", "pairs"],
            secondary=False,
            caption="Identifiers linked on",
        )
    if ctx.notes:
        body += (
            "<h3>Notes</h3><ul>"
            + "".join(f"<li>{html.escape(note)}</li>" for note in ctx.notes)
            + "</ul>"
        )
    return body


def _network(ctx: _Context) -> str:
    g = ctx.graph
    if g.number_of_nodes() == 0:
        raise Omitted("the graph has no nodes")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 7))
    highlight = labels = None
    if ctx.restricted:
        try:
            highlight = ctx.key_players.nodes
            labels = ctx.names(highlight)
        except Omitted:
            pass
    g.plot(
        layout=ctx.layout,
        color=ctx.communities,
        highlight=highlight,
        labels=labels or False,
        ax=ax,
    )
    caption = (
        "The case-link network drawn by ForceAtlas2 (layout computed in Rust, seed "
        f"{ctx.seed}); colours are the largest groups, hollow circles victims"
        + ("; key players ringed." if highlight else ".")
    )
    body = _figure(ctx, fig, caption, png=g.number_of_edges() > 3000)
    sizes = (
        ctx.components.group_by("component")
        .len("size")
        .group_by("size")
        .len("components")
        .with_columns((pl.col("size") * pl.col("components")).alias("people"))
        .sort("size", descending=True)
    )
    body += _publish(
        ctx,
        "component_sizes",
        sizes,
        ["people"],
        derived=["size", "components"],
        caption="Connected components by size",
    )
    return body


def _degrees(ctx: _Context) -> str:
    import matplotlib.pyplot as plt

    degree = ctx.degree["degree"]
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    if ctx.restricted:
        ctx.graph.plot_degree_distribution(ax=ax)
        caption = "Share of people with at least k links, on log-log axes."
    else:
        # Top-coded: the tail where fewer than `threshold` people remain is not drawn.
        from aluna.plot import degree_distribution

        counts = degree.value_counts().sort("degree")
        at_least = counts["count"].reverse().cum_sum().reverse()
        keep = counts.filter(at_least >= ctx.threshold)
        kept = degree.filter(degree <= (keep["degree"].max() if keep.height else -1))
        degree_distribution(pl.DataFrame({"degree": kept}), ax=ax)
        caption = (
            "Share of people with at least k links, on log-log axes; the tail where fewer "
            f"than {ctx.threshold} people remain is not drawn."
        )
    ax.set_title("Degree distribution (complementary cumulative)", fontsize="medium")
    body = _figure(ctx, fig, caption)
    body += _facts(
        [
            ("mean degree", float(degree.mean() or 0.0)),
            ("median degree", float(degree.median() or 0.0)),
            ("90th percentile", float(degree.quantile(0.9) or 0.0)),
        ]
    )
    edges = [0, 1, 2, 3, 5, 9, 17, 33, 65]
    labels = ["0", "1", "2", "3-4", "5-8", "9-16", "17-32", "33-64", "65+"]
    band = pl.lit(labels[-1])
    for upper, label in reversed(list(zip(edges[1:], labels[:-1], strict=True))):
        band = pl.when(pl.col("degree") < upper).then(pl.lit(label)).otherwise(band)
    bins = ctx.degree.with_columns(band.alias("degree_band")).group_by("degree_band").len("people")
    order = pl.DataFrame({"degree_band": labels})
    bins = order.join(bins, on="degree_band", how="left").fill_null(0).filter(pl.col("people") > 0)
    body += _publish(ctx, "degree_bands", bins, ["people"], caption="People by number of links")
    return body


def _centrality(ctx: _Context) -> str:
    g = ctx.graph
    measures = {
        "degree": ctx.degree.rename({"degree": "value"}).cast({"value": pl.Float64}),
        "betweenness": ctx.betweenness.rename({"betweenness": "value"}),
        "closeness": g.closeness(threads=ctx.threads).rename({"closeness": "value"}),
        "pagerank": g.pagerank().rename({"pagerank": "value"}),
        "core number": g.core_number().rename({"core_number": "value"}).cast({"value": pl.Float64}),
        "clustering": g.clustering(threads=ctx.threads).rename({"clustering": "value"}),
    }
    rows = []
    for name, frame in measures.items():
        v = frame["value"].drop_nulls()
        rows.append(
            {
                "measure": name,
                "mean": float(v.mean() or 0.0),
                "median": float(v.median() or 0.0),
                "p90": float(v.quantile(0.9) or 0.0),
                "max": float(v.max() or 0.0),  # type: ignore[arg-type]
            }
        )
    summary = pl.DataFrame(rows)
    if not ctx.restricted:
        summary = summary.drop("max")  # one person's value
    ctx.tables["centrality_summary"] = summary
    body = _para(
        "Distribution of each centrality over everyone in the network (betweenness and "
        "closeness normalised as networkx does; PageRank with damping 0.85)."
    ) + _table(summary)
    if ctx.restricted:
        joined = ctx.degree
        for name in ("betweenness", "pagerank", "core number"):
            col = measures[name].rename({"value": name.replace(" ", "_")})
            joined = joined.join(col, on="node", how="left", maintain_order="left")
        top = g.top(joined.select("node", "betweenness"), 15)
        top = top.select("rank", "node").join(joined, on="node", how="left", maintain_order="left")
        top = top.join(ctx.communities, on="node", how="left", maintain_order="left")
        body += "<h3>Most central people (victims never ranked)</h3>" + _table(
            ctx.person_table(top)
        )
        ctx.tables["central_people"] = top
    else:
        body += _restricted_only(ctx, "Rankings of people by centrality")
    return body


def _groups(ctx: _Context) -> str:
    g = ctx.graph
    if g.number_of_edges() == 0:
        raise Omitted("the graph has no links, so it has no groups")
    summary = g.group_summary(ctx.communities, weight=g.weight).sort(
        ["size", "community"], descending=[True, False]
    )
    counts = ["size", "internal_ties", "external_ties"]
    derived = ["density", *[c for c in ("internal_weight", "external_weight") if c in summary]]
    smallest = 3 if ctx.restricted else ctx.threshold
    shown = summary.filter(pl.col("size") >= smallest)
    rest = summary.filter(pl.col("size") < smallest)
    body = _para(
        f"Leiden communities (Traag et al. 2019; seed {ctx.seed}, resolution 1"
        + (", weighted by link strength" if g.weight else "")
        + f"): {ctx.group_sizes.height:,} groups, modularity {ctx.modularity or 0:.3f}. "
        f"The {shown.height:,} groups of {smallest} or more people are described; "
        f"{rest.height:,} smaller groups "
        f"({int(rest['size'].sum()):,} people) are not"
        + ("." if ctx.restricted else ", in a publishable report.")
    )
    if ctx.restricted:
        central = shown.select("community", "central_members").explode("central_members")
        names = ctx.names(central["central_members"].drop_nulls().to_list())
        shown = shown.with_columns(
            pl.col("central_members").list.eval(
                pl.element().replace_strict(names, return_dtype=pl.String, default=None)
            )
        )
    else:
        shown = shown.drop("central_members")
    body += _publish(
        ctx,
        "groups",
        shown,
        counts,
        secondary=False,
        derived=derived,
        derived_from=["size"],
        caption="Groups",
    )
    listed = set(shown["community"].to_list())
    big = [c for c in ctx.big_groups() if c in listed][:12]
    if not big:
        body += _para(
            f"No group has {ctx.threshold} or more members, so none is drawn in a publishable "
            "report."
        )
        return body
    from aluna.plot import draw_groups

    highlight = labels = None
    if ctx.restricted:
        try:
            highlight = ctx.key_players.nodes
            labels = ctx.names(highlight)
        except Omitted:
            pass
    fig = draw_groups(
        g,
        ctx.communities,
        groups=big,
        color="role" if ctx.has_roles else None,
        highlight=highlight,
        labels=labels or False,
        seed=ctx.seed,
    )
    note = "" if ctx.restricted else f" (groups of at least {ctx.threshold} members)"
    body += _figure(
        ctx,
        fig,
        f"The {len(big)} largest groups{note}, each drawn on its own: links among members"
        + ("; colours are roles, hollow circles victims." if ctx.has_roles else "."),
        png=g.number_of_edges() > 3000,
    )
    return body


def _brokers(ctx: _Context) -> str:
    g = ctx.graph
    if g.number_of_edges() == 0:
        raise Omitted("the graph has no links")
    if g.directed:
        roles = g.brokerage(ctx.communities, threads=ctx.threads)
        per_group = (
            roles.filter(pl.col("role") != "total")
            .group_by("group", "role")
            .agg(pl.col("count").sum().alias("paths_brokered"))
            .pivot(on="role", index="group", values="paths_brokered")
            .fill_null(0)
            .sort("group")
        )
        role_columns = [c for c in per_group.columns if c != "group"]
        body = _para(
            "Links are directed, so brokers are described by Gould and Fernandez's roles "
            "(coordinator, itinerant, representative, gatekeeper, liaison): the two-step paths "
            "a -> b -> c without a direct link a -> c that each person b mediates, by the groups "
            "of a, b and c. Totals per group of the broker:"
        )
        body += _publish(ctx, "brokerage_by_group", per_group, role_columns, secondary=False)
        if ctx.restricted:
            total = roles.filter(pl.col("role") == "total").select("node", "count", "z")
            top = g.top(total.select("node", "count"), 15).join(
                total.select("node", "z"), on="node", how="left", maintain_order="left"
            )
            body += "<h3>Leading brokers (victims never ranked)</h3>" + _table(
                ctx.person_table(top)
            )
            ctx.tables["brokers"] = top
        else:
            body += _restricted_only(ctx, "Rankings of individual brokers")
        return body
    constraint = ctx.constraint
    joined = ctx.betweenness.join(constraint, on="node", how="left", maintain_order="left").join(
        ctx.communities, on="node", how="left", maintain_order="left"
    )
    # A broker: betweenness in the top decile and constraint below its median.
    b_cut = float(joined["betweenness"].quantile(0.9) or 0.0)
    c_cut = float(joined["constraint"].drop_nulls().median() or 0.0)
    broker = (pl.col("betweenness") > b_cut) & (pl.col("constraint") < c_cut)
    eligible = ctx.graph.eligible_targets()
    joined = joined.join(eligible, on="node", how="left", maintain_order="left")
    per_group = (
        joined.filter(pl.col("eligible"))
        .group_by("community")
        .agg(
            pl.len().alias("people"),
            broker.sum().cast(pl.Int64).alias("brokers"),
        )
        .filter(pl.col("people") >= 3)
        .sort(["brokers", "community"], descending=[True, False])
    )
    body = _para(
        "Links are undirected, so brokerage roles do not apply; brokers are people who lie on "
        "many shortest paths (betweenness, Freeman 1977) while their contacts are not tied to "
        "each other (low constraint, Burt 1992). Here a broker has betweenness above the 90th "
        f"percentile ({b_cut:.4f}) and constraint below the median ({c_cut:.3f}); victims are "
        "never counted."
    )
    brokers = joined.filter(pl.col("eligible") & broker)
    total = float(joined["betweenness"].sum() or 0.0)
    top_share = (
        float(joined["betweenness"].sort(descending=True).head(max(1, joined.height // 10)).sum())
        / total
        if total > 0
        else None
    )
    count = brokers.height
    facts: list[tuple[str, Any]] = [
        (
            "brokers",
            count
            if ctx.restricted or count >= ctx.threshold or count == 0
            else f"fewer than {ctx.threshold}",
        ),
        ("groups with a broker", brokers["community"].n_unique()),
        ("share of all betweenness held by the top 10% of people", top_share),
    ]
    body += _facts(facts)
    ctx.tables["brokers_summary"] = pl.DataFrame(
        {"measure": [f for f, _ in facts], "value": [str(v) for _, v in facts]}
    )
    if ctx.restricted:
        body += _table(per_group, caption="Brokers by group")
        ctx.tables["brokers_by_group"] = per_group
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(5.5, 3.8))
        data = joined.drop_nulls("constraint")
        ax.scatter(
            data["constraint"].to_numpy(),
            data["betweenness"].to_numpy(),
            s=8,
            alpha=0.6,
            color="#0072B2",
        )
        ax.axvline(c_cut, color="0.5", ls="--", lw=0.8)
        ax.axhline(b_cut, color="0.5", ls="--", lw=0.8)
        ax.set_xlabel("constraint (Burt)")
        ax.set_ylabel("betweenness")
        ax.set_title("Brokers sit top left", fontsize="medium")
        body += _figure(ctx, fig, "Betweenness against constraint, one dot per person.")
        top = g.top(brokers.select("node", "betweenness"), 15).join(
            joined.select("node", "constraint", "community"),
            on="node",
            how="left",
            maintain_order="left",
        )
        body += "<h3>Brokers (victims never ranked)</h3>" + _table(ctx.person_table(top))
        ctx.tables["brokers"] = top
    else:
        body += _restricted_only(ctx, "Lists of individual brokers and their positions")
    return body


def _key_players(ctx: _Context) -> str:
    kp = ctx.key_players
    k = kp.table.height
    members = kp.table.join(ctx.communities, on="node", how="left", maintain_order="left")
    groups = members["community"].n_unique()
    body = _para(
        f"Borgatti's key-player search (fragmentation, greedy start then swaps from "
        f"{kp.trace['start'].n_unique()} starts, seed {ctx.seed}) chose {k} people whose removal "
        f"leaves {kp.value:.1%} of the remaining pairs of people unable to reach each other. "
        f"They come from {groups} different group(s). Victims were never candidates."
    )
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    kp.plot(ax=ax)
    body += _figure(ctx, fig, "The key-player search: fragmentation along each start.")
    if ctx.restricted:
        table = members.join(ctx.degree, on="node", how="left", maintain_order="left").join(
            ctx.betweenness, on="node", how="left", maintain_order="left"
        )
        if ctx.has_roles:
            table = table.join(
                ctx.nodes.select("node", "role"), on="node", how="left", maintain_order="left"
            )
        body += "<h3>Key players</h3>" + _table(ctx.person_table(table))
        ctx.tables["key_players"] = table
    else:
        body += _restricted_only(ctx, "The names of key players")
    return body


DISRUPTION_STRATEGIES: tuple[str, ...] = ("degree", "betweenness", "key_players", "random")


def _disruption(ctx: _Context) -> str:
    g = ctx.graph
    steps = min(max(10, 2 * ctx.k), ctx.eligible)
    if steps < 1:
        raise Omitted("no person may be removed (everyone has an excluded role)")
    curves: dict[str, pl.DataFrame] = {}
    for strategy in DISRUPTION_STRATEGIES:
        result = g.disruption(
            strategy=strategy, steps=steps, recalculate=True, recovery="none", seed=ctx.seed
        )
        curves[strategy] = result.table
    best = min(
        DISRUPTION_STRATEGIES,
        key=lambda s: float(curves[s]["largest_component_fraction"].tail(1)[0]),
    )
    recovered = g.disruption(
        strategy=best, steps=steps, recalculate=True, recovery="neighbours", seed=ctx.seed
    ).table
    import matplotlib.pyplot as plt

    from aluna.plot import resilience_curves

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    resilience_curves(curves, ax=axes[0])
    axes[0].set_title("Largest component as people are removed", fontsize="medium")
    resilience_curves(
        {f"{best}": curves[best], f"{best}, contacts re-link": recovered},
        column="efficiency",
        ax=axes[1],
    )
    axes[1].set_title("Efficiency, with and without recovery", fontsize="medium")
    fig.tight_layout()
    body = _para(
        f"People are removed one at a time ({steps} steps; the ranking recalculated after each "
        "removal; victims never removed). Left: the share of people still in the largest "
        "component under each strategy. Right: global efficiency (Latora and Marchiori 2001) "
        f"under the most effective strategy ({best}), without recovery and when the contacts "
        "of each removed person re-link (Duijn, Kashirin and Sloot 2014)."
    )
    body += _figure(ctx, fig, "Resilience curves of the network under removal strategies.")
    rows = []
    for name, table in [*curves.items(), (f"{best}, contacts re-link", recovered)]:
        last = table.tail(1)
        rows.append(
            {
                "strategy": name,
                "removed": int(last["step"][0]),
                "largest_component_fraction": float(last["largest_component_fraction"][0]),
                "components": int(last["components"][0]),
                "global_efficiency": float(last["efficiency"][0]),
            }
        )
    final = pl.DataFrame(rows)
    ctx.tables["disruption"] = final
    body += _table(final, caption=f"After {steps} removals")
    if ctx.restricted:
        order = curves[best].filter(pl.col("step") > 0).select("step", removed=pl.col("node"))
        body += f"<h3>Removal order ({html.escape(best)})</h3>" + _table(
            ctx.person_table(order, column="removed")
        )
        ctx.tables["disruption_order"] = order
    else:
        body += _restricted_only(ctx, "The people each strategy removes")
    return body


def _involvement(ctx: _Context) -> str:
    if ctx.records is None or ctx.case is None or ctx.crime_type is None:
        raise Omitted("cross-crime involvement needs case records with a case and a crime type")
    for column in (ctx.case, ctx.crime_type):
        if column not in ctx.records.columns:
            raise Omitted(f"the records have no column `{column}`")
    partition = ctx.communities
    groups = set(ctx.big_groups())
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        result = aluna.cross_crime_involvement(
            ctx.records,
            partition,
            focus=ctx.focus,
            person=ctx.entity,
            case=ctx.case,
            crime_type=ctx.crime_type,
            time=ctx.time if ctx.time in ctx.records.columns else None,
        )
    for w in seen:
        ctx.notes.append(f"cross-crime involvement: {w.message}")
    summary = result.summary.filter(pl.col("members") >= 3)
    ctx.tables["_involvement_summary"] = summary
    described = summary.filter(pl.col("members") >= (3 if ctx.restricted else ctx.threshold))
    columns = [
        c
        for c in (
            "community",
            "members",
            "cases",
            "focus_cases",
            "crime_types",
            "blau",
            "share_members_other_types",
            "other_layer_links",
            "joint_cases",
            "serious_cases",
            "span",
            "eu_criminal_organisation",
        )
        if c in summary.columns
    ]
    shown = described.select(columns).sort(["focus_cases", "members"], descending=True)
    body = _para(
        f"Which groups involved in {result.focus_label} (ICCS {result.focus}) are active in "
        "other crime types too, and which meet the EU definition of a criminal organisation as "
        "far as the records can tell. "
        + result.rule
        + (
            ""
            if ctx.restricted
            else f" Groups with fewer than {ctx.threshold} members with a case are not described."
        )
    )
    body += _publish(
        ctx,
        "involvement",
        shown,
        [
            c
            for c in (
                "members",
                "cases",
                "focus_cases",
                "other_layer_links",
                "joint_cases",
                "serious_cases",
            )
            if c in shown.columns
        ],
        secondary=False,
        derived=[c for c in ("blau", "share_members_other_types") if c in shown.columns],
        derived_from=["members"],
        caption="Crime-type mix and cross-crime involvement by group",
    )
    involved = described.filter(
        (pl.col("focus_cases") > 0) & pl.col("community").is_in(list(groups))
    )
    if involved.height:
        from aluna.involvement import CrossCrimeInvolvement

        mix = result.mix.filter(pl.col("community").is_in(involved["community"].implode()))
        labels = _crime_labels(ctx, mix["crime_type"].unique().to_list())
        plotted = CrossCrimeInvolvement(
            summary=involved,
            mix=mix.with_columns(pl.col("crime_type").replace_strict(labels)),
            criteria=result.criteria,
            rule=result.rule,
            focus=result.focus,
            focus_label=result.focus_label,
            unit=result.unit,
        )
        ax = plotted.plot()
        note = "" if ctx.restricted else f" with at least {ctx.threshold} members"
        body += _figure(
            ctx,
            ax.get_figure(),
            f"Crime-type mix of the groups{note} involved in {result.focus_label}.",
        )
    body += "<h3>How the EU definition was operationalised</h3>" + _table(result.criteria)
    return body


def _crime_labels(ctx: _Context, codes: Sequence[str]) -> dict[str, str]:
    """``code label`` for each crime type: labels from the records' label column when there is
    one, else from the shipped ICCS table, else the code alone."""
    from aluna import iccs

    known: dict[str, str] = {}
    column = ctx.crime_label
    if ctx.records is not None and column and column in ctx.records.columns and ctx.crime_type:
        pairs = ctx.records.select(
            pl.col(ctx.crime_type).cast(pl.String), pl.col(column).cast(pl.String)
        ).unique(ctx.crime_type, keep="first", maintain_order=True)
        known = {c: lab for c, lab in pairs.iter_rows() if c is not None and lab is not None}
    out = {}
    for code in codes:
        label = known.get(code)
        if label is None:
            try:
                label = iccs.label(code)
            except AlunaError:
                label = ""
        out[code] = f"{code} {label}".strip()
    return out


REFERENCES: tuple[str, ...] = (
    "Barnes, J., & Hut, P. (1986). A hierarchical O(N log N) force-calculation algorithm. "
    "Nature 324, 446-449. https://doi.org/10.1038/324446a0",
    "Blau, P. M. (1977). Inequality and Heterogeneity. New York: Free Press.",
    "Borgatti, S. P. (2006). Identifying sets of key players in a social network. "
    "Computational and Mathematical Organization Theory 12, 21-34. "
    "https://doi.org/10.1007/s10588-006-7084-x",
    "Brandes, U. (2001). A faster algorithm for betweenness centrality. Journal of "
    "Mathematical Sociology 25(2), 163-177. https://doi.org/10.1080/0022250X.2001.9990249",
    "Brin, S., & Page, L. (1998). The anatomy of a large-scale hypertextual web search engine. "
    "Computer Networks and ISDN Systems 30, 107-117. "
    "https://doi.org/10.1016/S0169-7552(98)00110-X",
    "Burt, R. S. (1992). Structural Holes: The Social Structure of Competition. Harvard "
    "University Press.",
    "Council Framework Decision 2008/841/JHA of 24 October 2008 on the fight against organised "
    "crime. OJ L 300, 11.11.2008, p. 42. http://data.europa.eu/eli/dec_framw/2008/841/oj",
    "Cox, L. H. (1980). Suppression methodology and statistical disclosure control. Journal of "
    "the American Statistical Association 75(370), 377-385. "
    "https://doi.org/10.1080/01621459.1980.10477481",
    "Duijn, P. A. C., Kashirin, V., & Sloot, P. M. A. (2014). The relative ineffectiveness of "
    "criminal network disruption. Scientific Reports 4, 4238. https://doi.org/10.1038/srep04238",
    "Freeman, L. C. (1977). A set of measures of centrality based on betweenness. Sociometry "
    "40(1), 35-41. https://doi.org/10.2307/3033543",
    "Gould, R. V., & Fernandez, R. M. (1989). Structures of mediation: a formal approach to "
    "brokerage in transaction networks. Sociological Methodology 19, 89-126. "
    "https://doi.org/10.2307/270949",
    "Jacomy, M., Venturini, T., Heymann, S., & Bastian, M. (2014). ForceAtlas2, a continuous "
    "graph layout algorithm for handy network visualization designed for the Gephi software. "
    "PLoS ONE 9(6), e98679. https://doi.org/10.1371/journal.pone.0098679",
    "Latora, V., & Marchiori, M. (2001). Efficient behavior of small-world networks. Physical "
    "Review Letters 87, 198701. https://doi.org/10.1103/PhysRevLett.87.198701",
    "Newman, M. E. J. (2001). Scientific collaboration networks. II. Shortest paths, weighted "
    "networks, and centrality. Physical Review E 64, 016132. "
    "https://doi.org/10.1103/PhysRevE.64.016132",
    "Newman, M. E. J., & Girvan, M. (2004). Finding and evaluating community structure in "
    "networks. Physical Review E 69, 026113. https://doi.org/10.1103/PhysRevE.69.026113",
    "Seidman, S. B. (1983). Network structure and minimum degree. Social Networks 5(3), "
    "269-287. https://doi.org/10.1016/0378-8733(83)90028-X",
    "Traag, V. A., Waltman, L., & van Eck, N. J. (2019). From Louvain to Leiden: guaranteeing "
    "well-connected communities. Scientific Reports 9, 5233. "
    "https://doi.org/10.1038/s41598-019-41695-z",
    "UNODC (2015). International Classification of Crime for Statistical Purposes (ICCS), "
    "version 1.0. Vienna: United Nations Office on Drugs and Crime.",
)


def _methods(ctx: _Context) -> str:
    steps = [
        "<b>Graph.</b> "
        + (
            "People are linked when their records share a pseudonymised identifier value "
            "(phone, device, account, payment instrument, image-hash match, address) or a case; "
            "a link's weight sums 1/(d-1) over the values two people share, d being how many "
            "people hold the value (Newman 2001), so widely shared values count little, and "
            "values held by too many people are dropped as hubs."
            if ctx.link_report is not None
            else "People are linked as the edge table says; parallel links merge, weights add."
        ),
        "<b>Centrality.</b> Degree; betweenness by Brandes' algorithm (Freeman 1977; Brandes "
        "2001); closeness; PageRank (Brin and Page 1998); k-core numbers (Seidman 1983); local "
        "clustering. All exact, equal to networkx's.",
        "<b>Groups.</b> Leiden communities (Traag, Waltman and van Eck 2019) maximising "
        "modularity (Newman and Girvan 2004), seeded and identical on any number of threads.",
        "<b>Brokers.</b> Gould and Fernandez's (1989) brokerage roles where links are directed; "
        "Burt's (1992) constraint with betweenness where they are not.",
        "<b>Key players.</b> Borgatti's (2006) fragmentation: the set of k people whose removal "
        "disconnects most pairs, by greedy search and swaps from several starts.",
        "<b>Disruption.</b> Sequential removal by degree, betweenness, key players or at "
        "random, recalculated after each removal, with the largest component, the number of "
        "components and global efficiency (Latora and Marchiori 2001) after each; recovery lets "
        "the contacts of a removed person re-link (Duijn, Kashirin and Sloot 2014).",
        "<b>Cross-crime involvement.</b> Each group's mix of crime types (ICCS, UNODC 2015), "
        "Blau's (1977) diversity, and the criteria of Council Framework Decision 2008/841/JHA "
        "as far as case records can show them.",
        "<b>Drawings.</b> ForceAtlas2 (Jacomy et al. 2014) with Barnes and Hut's (1986) "
        "quadtree approximation, computed in Rust.",
        "<b>Disclosure control.</b> "
        + (
            "Per-person tables are included; small cells are not suppressed."
            if ctx.restricted
            else f"Counts below {ctx.threshold} are suppressed, with secondary suppression so "
            "that totals do not reveal them (Cox 1980); derived figures of rows with a hidden "
            "count are blanked; no table has a row about one person."
        ),
    ]
    body = "<ul>" + "".join(f"<li>{s}</li>" for s in steps) + "</ul>"
    body += _facts(
        [
            ("aluna version", aluna.__version__),
            ("seed", ctx.seed),
            ("key players sought (k)", ctx.k),
            ("focus crime type", ctx.focus),
            ("threads", ctx.threads if ctx.threads is not None else "all cores"),
        ]
    )
    body += (
        "<h3>References</h3><ol class='refs'>"
        + "".join(f"<li>{_linkify(ref)}</li>" for ref in REFERENCES)
        + "</ol>"
    )
    return body


def _linkify(text: str) -> str:
    words = []
    for word in html.escape(text).split(" "):
        if word.startswith(("https://", "http://")):
            words.append(f'<a href="{word}">{word}</a>')
        else:
            words.append(word)
    return " ".join(words)


def _responsible_use(ctx: _Context) -> str:
    return (
        "<p>Every figure here is an input to human judgement, never a decision about a person. "
        "Pseudonymised data are still personal data. Rankings, key players and removal "
        "strategies never name victims, who often share phones and accounts with offenders. "
        + (
            "This is a <b>restricted</b> report with per-person tables: keep it inside the "
            "agency, under the same protection as the case files."
            if ctx.restricted
            else f"This is a <b>publishable</b> report: aggregates only, counts below "
            f"{ctx.threshold} suppressed."
        )
        + "</p>"
        f'<p>What aluna is for and must not be used for: <a href="{RESPONSIBLE_USE_URL}">'
        "docs/responsible-use.md</a> (also in the source tree).</p>"
    )


#: The sections, in order. Each is a small function of the context.
SECTIONS: tuple[Section, ...] = (
    Section("summary", "Summary", _summary),
    Section("network", "The network", _network),
    Section("degrees", "Degree distribution", _degrees),
    Section("centrality", "Centrality", _centrality),
    Section("groups", "Groups", _groups),
    Section("brokers", "Brokers", _brokers),
    Section("key-players", "Key players", _key_players),
    Section("disruption", "Disruption", _disruption),
    Section("involvement", "Cross-crime involvement", _involvement),
    Section("data", "Data and notes", _data),
    Section("methods", "Methods and references", _methods),
    Section("responsible-use", "Responsible use", _responsible_use),
)
#: Sections computed first because others read their results (the summary counts flagged
#: groups), though shown later.
_FIRST = ("involvement",)


# ---------------------------------------------------------------------------- the document

_CSS = """
:root { --ink:#1b1f24; --muted:#5b6470; --line:#d7dce2; --band:#f4f6f8; --accent:#0b5cab; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; color: var(--ink); margin: 0; background: #fff; }
header.banner { position: sticky; top: 0; z-index: 10; padding: 6px 24px; font-weight: 600;
  font-size: 13px; letter-spacing: .02em; color: #fff; background: #2b3a4a;
  display: flex; gap: 16px; flex-wrap: wrap; }
header.banner.restricted { background: #8a1c1c; }
header.banner .syn { background: #f0b400; color: #1b1f24; padding: 0 8px; border-radius: 3px; }
main { max-width: 1100px; margin: 0 auto; padding: 8px 24px 48px; }
h1 { font-size: 28px; margin: 24px 0 4px; }
h2 { font-size: 21px; margin: 0 0 8px; border-bottom: 2px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 16px; margin: 18px 0 6px; }
.lede { color: var(--muted); margin: 0 0 16px; }
nav.toc { background: var(--band); padding: 10px 16px; border-radius: 6px; margin: 12px 0 20px; }
nav.toc ol { margin: 0; padding-left: 20px; columns: 2; }
section { margin: 28px 0; page-break-inside: auto; }
.badge { display: inline-block; font-size: 12px; font-weight: 600; color: var(--muted);
  border: 1px solid var(--line); border-radius: 3px; padding: 0 6px; margin: 0 0 10px; }
.badge .syn { color: #8a6100; }
table { border-collapse: collapse; font-size: 13.5px; margin: 6px 0 10px; }
th, td { border-bottom: 1px solid var(--line); padding: 3px 10px 3px 0; text-align: left;
  vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.sup { color: #8a6100; font-style: italic; }
table.facts th { font-weight: 500; color: var(--muted); padding-right: 20px; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
.tablewrap { overflow-x: auto; }
main { counter-reset: figure; }
figure { margin: 12px 0; counter-increment: figure; }
figcaption::before { content: "Figure " counter(figure) ". "; font-weight: 600; }
figure img { max-width: 100%; height: auto; display: block; }
figcaption { color: var(--muted); font-size: 13px; }
.omitted, .withheld { color: var(--muted); font-style: italic; }
.more { color: var(--muted); font-size: 13px; }
ol.refs li { margin-bottom: 4px; font-size: 13.5px; }
footer { color: var(--muted); font-size: 12px; border-top: 1px solid var(--line);
  margin-top: 32px; padding-top: 8px; }
@media print {
  header.banner { position: fixed; top: 0; left: 0; right: 0; }
  main { padding-top: 36px; }
  nav.toc { display: none; }
  section { break-before: auto; }
  figure, table { break-inside: avoid; }
}
"""

# Reports log nothing when all is well; a figure that fails to decode is an error a browser
# check can see.
_SCRIPT = """
document.querySelectorAll("figure img").forEach(function (img) {
  img.decode().catch(function () {
    console.error("aluna report: a figure failed to render: " + img.alt);
  });
});
"""

_CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
    "script-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
)


def _banner_text(mode: str, synthetic: bool, threshold: int) -> tuple[str, str]:
    if mode == "restricted":
        mode_text = "RESTRICTED — per-person tables under pseudonyms; keep inside the agency"
    else:
        mode_text = f"PUBLISHABLE — aggregates only; counts below {threshold} suppressed"
    synthetic_text = "SYNTHETIC DATA — every person in it is made up" if synthetic else ""
    return mode_text, synthetic_text


def _document(
    title: str, ctx: _Context, rendered: list[tuple[Section, str | None, str | None]]
) -> str:
    mode_text, synthetic_text = _banner_text(ctx.mode, ctx.synthetic, ctx.threshold)
    banner_class = "banner restricted" if ctx.restricted else "banner"
    syn = f'<span class="syn">{html.escape(synthetic_text)}</span>' if synthetic_text else ""
    badge = (
        f'<div class="badge" data-mode="{ctx.mode}">{html.escape(ctx.mode)}'
        + (' · <span class="syn">synthetic data</span>' if ctx.synthetic else "")
        + "</div>"
    )
    toc = "".join(
        f'<li><a href="#{s.key}">{html.escape(s.title)}</a>'
        + (" (omitted)" if body is None else "")
        + "</li>"
        for s, body, _ in rendered
    )
    sections = []
    for section, body, reason in rendered:
        content = (
            body
            if body is not None
            else f'<p class="omitted">Omitted: {html.escape(reason or "")}.</p>'
        )
        sections.append(
            f'<section id="{section.key}" data-section="{section.key}" '
            f'data-status="{"shown" if body is not None else "omitted"}">'
            f"<h2>{html.escape(section.title)}</h2>{badge}{content}</section>"
        )
    today = dt.datetime.now(dt.timezone.utc).date().isoformat()
    lede = (
        f"{ctx.graph.number_of_nodes():,} people and {ctx.graph.number_of_edges():,} links "
        f"from {html.escape(ctx.source)}. Made with aluna {aluna.__version__} on {today}."
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="aluna {html.escape(aluna.__version__)}">
<meta name="aluna-mode" content="{ctx.mode}">
<meta name="aluna-synthetic" content="{"true" if ctx.synthetic else "false"}">
<title>{html.escape(title)}</title>
<style>{_CSS}</style>
</head>
<body>
<header class="{banner_class}" id="banner"><span>{html.escape(mode_text)}</span>{syn}</header>
<main>
<h1>{html.escape(title)}</h1>
<p class="lede">{lede}</p>
<nav class="toc"><ol>{toc}</ol></nav>
{"".join(sections)}
<footer>{html.escape(mode_text)}{" · " + html.escape(synthetic_text) if synthetic_text else ""}
 · aluna {html.escape(aluna.__version__)} ·
<a href="{RESPONSIBLE_USE_URL}">responsible use</a></footer>
</main>
<script>{_SCRIPT}</script>
</body>
</html>
"""


# ---------------------------------------------------------------------------- the result


@dataclass(frozen=True, repr=False)
class NetworkReport:
    """A network report: the HTML document and what went into it.

    Attributes
    ----------
    html
        The self-contained HTML document.
    mode
        ``"publishable"`` or ``"restricted"``.
    synthetic
        Whether the input was labelled synthetic.
    sections
        One row per section: ``section``, ``title``, ``status`` (``"shown"`` or
        ``"omitted"``), ``note`` (why a section was omitted) and ``seconds``.
    tables
        The tables shown, by name, as published (suppressed cells are nulls), except that
        per-person tables keep the graph's ``node`` ids, for analysis inside the agency; the
        HTML names people by keyed pseudonyms when a key is given.
    graph
        The case-link graph the report describes.
    path
        Where the report was written, if it was.
    """

    html: str
    mode: str
    synthetic: bool
    sections: pl.DataFrame
    tables: dict[str, pl.DataFrame]
    graph: CaseGraph
    path: Path | None = None

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write the HTML document to ``path`` (folders are created) and return the path."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(self.html, encoding="utf-8")
        return target

    def __repr__(self) -> str:
        shown = int((self.sections["status"] == "shown").sum())
        where = f", written to {self.path}" if self.path else ""
        label = ", synthetic data" if self.synthetic else ""
        return (
            f"NetworkReport({self.mode}{label}, {shown} of {self.sections.height} sections{where})"
        )

    def _repr_html_(self) -> str:
        where = f" written to <code>{html.escape(str(self.path))}</code>" if self.path else ""
        return (
            f"<div><strong>Network report</strong> ({html.escape(self.mode)}"
            f"{', synthetic data' if self.synthetic else ''}){where}"
            f"{_table(self.sections.drop('seconds'))}</div>"
        )


def network_report(
    records: Any = None,
    *,
    edges: Any = None,
    nodes: Any = None,
    out: str | os.PathLike[str] | None = None,
    mode: Mode = "publishable",
    key: Any = None,
    entity: str = "person_id",
    identifiers: Sequence[str] | None = None,
    case: str | None = "case_id",
    crime_type: str | None = "crime_type",
    crime_label: str | None = "crime_label",
    time: str | None = "seen",
    role: str | None = "role",
    source: str = "source",
    target: str = "target",
    weight: str | None = None,
    directed: bool = False,
    focus: str = "child sexual exploitation",
    k: int = 5,
    threshold: int = 10,
    max_identifier_degree: int | Literal["auto"] | None = "auto",
    seed: int = 0,
    synthetic: bool | None = None,
    title: str | None = None,
    sections: Sequence[str] | None = None,
    progress: bool | None = None,
    threads: int | None = None,
) -> NetworkReport:
    """Analyse a case-link network and write the report as one self-contained HTML file.

    The graph comes from case ``records`` (people linked by shared pseudonymised identifiers
    and shared cases, :func:`aluna.link_records` with inverse-frequency weights) or from an
    ``edges`` table; with both, the edges make the graph and the records supply roles, cases
    and crime types. The report then holds: a summary; a drawing of the network (ForceAtlas2
    computed in Rust); the degree distribution; centralities; Leiden groups with a drawing of
    each; brokers (Gould–Fernandez brokerage roles when links are directed, Burt's constraint
    with betweenness when not); Borgatti's key players; resilience curves under removal
    strategies; the cross-crime involvement of groups involved in ``focus``; data notes;
    methods with references; and the responsible-use notes.

    Parameters
    ----------
    records
        Case records: a ``.parquet``/``.csv`` path, a table, or an :class:`aluna.datasets.Dataset`
        (its ``records`` table). One row per person and case (and identifier), with columns
        ``entity``, ``case``, ``crime_type``, ``time``, ``role`` and the identifiers: either
        ``identifiers=[...]`` columns, or the long form ``identifier_type`` + ``identifier``.
    edges
        An edge table (path, table or Dataset) with ``source``, ``target`` and optional
        ``weight``: the graph as given.
    nodes
        A node table keyed by ``entity`` with a ``role`` column (offender, suspect, victim,
        witness), when roles are not in the records.
    out
        Write the HTML here (also possible later with :meth:`NetworkReport.write`).
    mode
        ``"publishable"`` (aggregates only, small cells suppressed) or ``"restricted"``
        (per-person tables under pseudonyms).
    key
        An :class:`aluna.privacy.Key`: columns that look like direct identifiers are
        pseudonymised with it (without one they are refused), and restricted tables name people
        by keyed pseudonyms instead of the input's ids.
    entity, identifiers, case, crime_type, crime_label, time, role
        Columns of the records (see above); ``identifiers`` may also name identifier types of
        long-form records (``["phone", "device"]``). ``case``, ``crime_type`` and ``time`` may
        be ``None`` or absent; the sections needing them are then omitted. ``crime_label``
        names crime types in plots (else the shipped ICCS labels).
    source, target, weight, directed
        Columns and direction of the edge table.
    focus
        The crime type whose groups' cross-crime involvement is described (ICCS code, label or
        alias).
    k
        Key players sought.
    threshold
        Smallest count published in publishable mode (and smallest group drawn).
    max_identifier_degree
        Identifier values held by more people than this are dropped as hubs (a platform, a
        public Wi-Fi address). ``"auto"``: 1% of the people, at least 20. ``None`` keeps all.
    seed
        Seed of groups, key players, layouts and random removal.
    synthetic
        Mark the report as built from synthetic data. ``None``: from the inputs' ``aluna``
        Parquet metadata (or a Dataset's label).
    title
        The document's title.
    sections
        Keys of the sections to include (default all; see :data:`SECTIONS`).
    progress
        Show progress (a tqdm bar when tqdm is installed, else a line per section on stderr).
        ``None``: only in interactive use (a terminal or a notebook, never under pytest).
    threads
        Threads (``None``: all cores). Results are the same for any number.

    Returns
    -------
    NetworkReport

    Raises
    ------
    ColumnError
        A column is missing, or a column looks like a direct identifier and no ``key`` was given.
    ArgumentError
        No input, an unknown mode or section, a bad ``k`` or ``threshold``.

    Examples
    --------
    >>> import aluna
    >>> from aluna.report import network_report
    >>> report = network_report(aluna.datasets.load("case_links"), sections=["summary"])
    >>> report
    NetworkReport(publishable, synthetic data, 1 of 1 sections)
    >>> "SYNTHETIC DATA" in report.html and "PUBLISHABLE" in report.html
    True
    """
    if mode not in MODES:
        raise ArgumentError(
            f'argument `mode`: expected "publishable" or "restricted", got {mode!r}'
        )
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ArgumentError(f"argument `k`: must be a positive integer, got {k!r}")
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 2:
        raise ArgumentError(
            f"argument `threshold`: must be an integer of at least 2, got {threshold!r}"
        )
    if records is None and edges is None:
        raise ArgumentError("give case records (records=...) or an edge table (edges=...)")
    if key is not None:
        from aluna.privacy import Key

        if not isinstance(key, Key):
            raise ArgumentError(
                f"argument `key`: expected an aluna.privacy.Key, got {type(key).__name__}"
            )
    known = {s.key for s in SECTIONS}
    if sections is not None:
        unknown = [s for s in sections if s not in known]
        if unknown:
            raise ArgumentError(
                f"argument `sections`: unknown {unknown}; the sections are {sorted(known)}"
            )
    notes: list[str] = []
    labelled: list[bool] = []
    described: list[str] = []
    record_frame = edge_frame = node_frame = None
    if isinstance(records, Dataset):
        if "records" not in records.tables:
            raise ArgumentError(
                f"argument `records`: dataset {records.name!r} has no `records` table"
            )
        record_frame = records.tables["records"]
        labelled.append(records.synthetic)
        described.append(f"aluna dataset {records.name!r} (records)")
    elif records is not None:
        record_frame, was_synthetic, text = _read_table(records, "records")
        labelled.append(was_synthetic)
        described.append(text)
    if edges is not None:
        edge_frame, was_synthetic, text = _read_table(edges, "edges")
        labelled.append(was_synthetic)
        described.append(text)
    if nodes is not None:
        node_frame, was_synthetic, text = _read_table(nodes, "nodes")
        labelled.append(was_synthetic)
    is_synthetic = bool(labelled) and all(labelled) if synthetic is None else bool(synthetic)

    if record_frame is not None:
        record_frame = _check_identifiers(record_frame, "records", key, notes)
    if edge_frame is not None:
        edge_frame = _check_identifiers(edge_frame, "edges", key, notes)
    if node_frame is not None:
        node_frame = _check_identifiers(node_frame, "nodes", key, notes)

    link_report = None
    if edge_frame is not None:
        graph = CaseGraph.from_edges(edge_frame, source, target, weight=weight, directed=directed)
        built = "from the edge table" + (" (directed links)" if directed else "")
    else:
        assert record_frame is not None
        wide, names = _wide_identifiers(record_frame, entity, identifiers, case)
        if max_identifier_degree == "auto":
            people = wide[entity].n_unique()
            max_identifier_degree = max(20, round(0.01 * people))
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            graph = aluna.link_records(
                wide,
                entity,
                names,
                max_identifier_degree=max_identifier_degree,  # type: ignore[arg-type]
                threads=threads,
            )
        for w in seen:
            notes.append(f"linking: {w.message}")
        link_report = graph.build_report
        built = "from the records by shared values of " + ", ".join(f"`{n}`" for n in names)
    roles = None
    if node_frame is not None and role is not None and role in node_frame.columns:
        if entity not in node_frame.columns:
            raise ColumnError(
                f"column `{entity}` not found; the nodes have: {', '.join(node_frame.columns)}"
            )
        roles = _person_roles(node_frame, entity, role)
    elif record_frame is not None and role is not None and role in record_frame.columns:
        roles = _person_roles(record_frame, entity, role)
    if roles is not None:
        ids = graph.nodes().select("node")
        roles = ids.join(roles.cast({"node": ids.schema["node"]}), on="node", how="left").fill_null(
            "unknown"
        )
        graph = graph.with_node_attributes(roles)
    else:
        notes.append(
            "No roles were given, so nobody could be recognised as a victim: rankings may "
            "name victims. Give a role column (records) or a node table with roles."
        )
    ctx = _Context(
        graph=graph,
        records=record_frame,
        mode=mode,
        threshold=threshold,
        synthetic=is_synthetic,
        key=key,
        seed=seed,
        k=k,
        focus=focus,
        entity=entity,
        case=case,
        crime_type=crime_type,
        crime_label=crime_label,
        time=time,
        source=" and ".join(described),
        built=built,
        link_report=link_report,
        threads=threads,
        notes=notes,
    )
    chosen = [s for s in SECTIONS if sections is None or s.key in sections]
    order = sorted(chosen, key=lambda s: 0 if s.key in _FIRST else 1)
    results: dict[str, tuple[str | None, str | None, float]] = {}
    # The data section lists the notes the others add, so it is built last.
    order = [s for s in order if s.key != "data"] + [s for s in order if s.key == "data"]
    import matplotlib

    with matplotlib.rc_context({"figure.max_open_warning": 0}):
        steps = _progress.progress(
            order,
            desc="network report",
            enabled=progress,
            label=lambda s: s.title,
            unit="section",
        )
        for section in steps:
            started = perf_counter()
            try:
                body: str | None = section.build(ctx)
                reason = None
            except Omitted as why:
                body, reason = None, str(why)
            except AlunaError as err:
                body, reason = None, f"{type(err).__name__}: {err}"
            results[section.key] = (body, reason, perf_counter() - started)
    rendered = [(s, results[s.key][0], results[s.key][1]) for s in chosen]
    document = _document(title or "Case-link network report", ctx, rendered)
    table = pl.DataFrame(
        {
            "section": [s.key for s in chosen],
            "title": [s.title for s in chosen],
            "status": ["shown" if results[s.key][0] is not None else "omitted" for s in chosen],
            "note": [results[s.key][1] for s in chosen],
            "seconds": [results[s.key][2] for s in chosen],
        },
        schema={
            "section": pl.String,
            "title": pl.String,
            "status": pl.String,
            "note": pl.String,
            "seconds": pl.Float64,
        },
    )
    tables = {name: frame for name, frame in ctx.tables.items() if not name.startswith("_")}
    report = NetworkReport(
        html=document,
        mode=mode,
        synthetic=is_synthetic,
        sections=table,
        tables=tables,
        graph=graph,
    )
    if out is not None:
        path = report.write(out)
        report = NetworkReport(
            html=document,
            mode=mode,
            synthetic=is_synthetic,
            sections=table,
            tables=tables,
            graph=graph,
            path=path,
        )
    return report
