"""The ``aluna`` command line: the main job and its helpers.

``aluna report --records FILE --out report.html`` writes the network report of case records
(or of an edge table, ``--edges FILE``) as one self-contained HTML file.
``aluna demo --out DIR`` runs the main job on the shipped synthetic case-link data.
``aluna summary EDGES`` prints the size and best-connected nodes of an edge table.
``aluna synth DATASET --n N --seed S --out DIR`` writes a synthetic dataset as Parquet.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl

import aluna
from aluna.exceptions import AlunaError, ArgumentError


def graph_summary(graph: aluna.CaseGraph, top: int = 10) -> dict[str, object]:
    """Headline figures of a graph: size, components and the best-connected nodes."""
    components = graph.components()
    sizes = components.group_by("component").len().sort("len", descending=True)
    # Through CaseGraph.top, the one ranking of people: victims are never ranked (when roles
    # are known).
    degree = graph.top(graph.degree(), top).select("node", "degree")
    return {
        "nodes": graph.number_of_nodes(),
        "edges": graph.number_of_edges(),
        "components": sizes.height,
        "largest_component": int(sizes["len"][0]) if sizes.height else 0,
        "top_degree": degree.rows(),
    }


def _print_summary(summary: dict[str, object], source: str) -> None:
    print(f"case-link graph from {source} (synthetic data)")
    print(f"  nodes:             {summary['nodes']:,}")
    print(f"  edges:             {summary['edges']:,}")
    print(f"  components:        {summary['components']:,}")
    print(f"  largest component: {summary['largest_component']:,} nodes")
    print("  top nodes by degree (victims never ranked):")
    for node, degree in summary["top_degree"]:  # type: ignore[attr-defined]
        print(f"    {node!s:<12} {degree}")


def _print_report(report: Any) -> None:
    label = "synthetic data" if report.synthetic else "data labelled real"
    shown = report.sections.filter(pl.col("status") == "shown").height
    print(
        f"\nnetwork report ({report.mode}, {label}): {shown} of {report.sections.height} sections"
    )
    for section, note in (
        report.sections.filter(pl.col("status") == "omitted").select("title", "note").iter_rows()
    ):
        print(f"  omitted: {section}: {note}")
    print(f"report: {Path(report.path).resolve()}")


def _demo(args: argparse.Namespace) -> int:
    from aluna.report import network_report

    dataset = aluna.datasets.load("case_links")
    graph = aluna.CaseGraph.from_edges(
        dataset.data,
        weight="weight",
        link_type="link_type",
        time="seen",
        nodes=dataset.tables["persons"],
        node="person_id",
    )
    summary = graph_summary(graph)
    _print_summary(summary, aluna.datasets.path("case_links").name)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    target = out / "case-links-summary.json"
    target.write_text(json.dumps(summary, indent=2, default=str) + "\n")
    print(f"\nwrote {target}")
    report = network_report(
        dataset,
        out=out / "case-link-report.html",
        title="Case-link network report (shipped synthetic data)",
        progress=False if args.quiet else None,
    )
    _print_report(report)
    return 0


def _key(args: argparse.Namespace) -> Any:
    from aluna.privacy import Key

    if args.key_env and args.key_file:
        raise ArgumentError("give --key-env or --key-file, not both")
    if args.key_env:
        return Key.from_env(args.key_env)
    if args.key_file:
        return Key.from_file(args.key_file)
    return None


def _report(args: argparse.Namespace) -> int:
    from aluna.report import network_report

    if args.records is None and args.edges is None:
        raise ArgumentError("give --records FILE (case records) or --edges FILE (an edge table)")
    identifiers = (
        [c.strip() for c in args.identifiers.split(",") if c.strip()] if args.identifiers else None
    )
    report = network_report(
        args.records,
        edges=args.edges,
        nodes=args.nodes,
        out=args.out,
        mode=args.mode,
        key=_key(args),
        entity=args.entity,
        identifiers=identifiers,
        case=args.case or None,
        crime_type=args.crime_type or None,
        time=args.time or None,
        role=args.role or None,
        source=args.source,
        target=args.target,
        weight=args.weight,
        directed=args.directed,
        focus=args.focus,
        k=args.k,
        threshold=args.threshold,
        max_identifier_degree=(
            "auto" if args.max_identifier_degree is None else (args.max_identifier_degree or None)
        ),
        seed=args.seed,
        synthetic=args.synthetic,
        title=args.title,
        progress=False if args.quiet else None,
        threads=args.threads,
    )
    _print_report(report)
    return 0


def _summary(args: argparse.Namespace) -> int:
    from aluna.privacy import warn_identifiers

    path = Path(args.edges)
    edges = pl.read_csv(path) if path.suffix == ".csv" else pl.read_parquet(path)
    # Names the columns that look like direct identifiers, never their values.
    warn_identifiers(edges, source=path.name)
    graph = aluna.CaseGraph.from_edges(
        edges, args.source, args.target, weight=args.weight, directed=args.directed
    )
    _print_summary(graph_summary(graph, args.top), path.name)
    return 0


def _synth(args: argparse.Namespace) -> int:
    from aluna import synth

    if args.dataset == "shipped":
        hashes = synth.write_shipped(args.out, threads=args.threads)
        for name, tables in hashes.items():
            print(f"{name}: {len(tables)} tables")
        print(f"wrote {args.out}/MANIFEST.json (synthetic data)")
        return 0
    given = {
        "n": args.n,
        "seed": args.seed,
        "n_groups": args.groups,
        "periods": args.periods,
        "overlap": args.overlap,
        "corruption": args.corruption,
        "duplicates": args.duplicates,
    }
    if args.dataset == "case_network":
        given["n_persons"] = given.pop("n")
    if args.delayed_entry:
        given["delayed_entry"] = True
    arguments = {k: v for k, v in given.items() if v is not None}
    files = synth.write(
        args.dataset,
        args.out,
        name=args.name,
        batch_rows=args.batch_rows,
        threads=args.threads,
        **arguments,
    )
    for file in files:
        print(f"wrote {file}")
    print("(synthetic data: every record is made up)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aluna", description=__doc__)
    parser.add_argument("--version", action="version", version=f"aluna {aluna.__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    report = sub.add_parser(
        "report",
        help="write the network report of case records or an edge table (one HTML file)",
        description="Build the case-link graph from case records (people linked by shared "
        "pseudonymised identifiers and cases) or an edge table, compute network features, "
        "groups, brokers, key players, disruption and cross-crime involvement, and write one "
        "self-contained HTML report. Publishable mode (the default) shows aggregates only "
        "with small cells suppressed; restricted mode adds per-person tables under pseudonyms.",
    )
    report.add_argument("--records", help="case records (.parquet or .csv)")
    report.add_argument("--edges", help="an edge table (.parquet or .csv) instead of records")
    report.add_argument("--nodes", help="a node table with roles, keyed like --entity")
    report.add_argument("--out", default="report.html", help="the HTML file to write")
    report.add_argument("--mode", choices=["publishable", "restricted"], default="publishable")
    report.add_argument(
        "--key-env", help="environment variable holding the pseudonymisation key (never a key)"
    )
    report.add_argument("--key-file", help="file holding the pseudonymisation key")
    report.add_argument("--entity", default="person_id", help="person column (default person_id)")
    report.add_argument(
        "--identifiers",
        help="identifier columns to link on, comma-separated (default: the long form "
        "identifier_type + identifier when present)",
    )
    report.add_argument("--case", default="case_id", help="case column ('' for none)")
    report.add_argument("--crime-type", default="crime_type", help="crime-type column (ICCS)")
    report.add_argument("--time", default="seen", help="date column of the records")
    report.add_argument("--role", default="role", help="role column (offender, victim ...)")
    report.add_argument("--source", default="source", help="edge table: source column")
    report.add_argument("--target", default="target", help="edge table: target column")
    report.add_argument("--weight", help="edge table: weight column")
    report.add_argument("--directed", action="store_true", help="edge table: directed links")
    report.add_argument(
        "--focus", default="child sexual exploitation", help="crime type of interest (ICCS)"
    )
    report.add_argument("--k", type=int, default=5, help="key players sought (default 5)")
    report.add_argument(
        "--threshold", type=int, default=10, help="smallest published count (default 10)"
    )
    report.add_argument(
        "--max-identifier-degree",
        type=int,
        default=None,
        help="drop identifier values held by more people (default: 1%% of the people, at "
        "least 20; 0 keeps all)",
    )
    report.add_argument("--seed", type=int, default=0)
    report.add_argument(
        "--synthetic",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="label the report synthetic (default: from the files' aluna metadata)",
    )
    report.add_argument("--title", help="the report's title")
    report.add_argument("--threads", type=int, help="threads (default: all cores)")
    report.add_argument(
        "--quiet", action="store_true", help="no progress output (shown by default on a terminal)"
    )
    report.set_defaults(run=_report)
    demo = sub.add_parser("demo", help="run the main job on the shipped synthetic data")
    demo.add_argument("--out", default="out", help="folder for the outputs (default: out)")
    demo.add_argument(
        "--quiet", action="store_true", help="no progress output (shown by default on a terminal)"
    )
    demo.set_defaults(run=_demo)
    summary = sub.add_parser("summary", help="summarise a case-link graph from an edge table")
    summary.add_argument("edges", help="edge table (.parquet or .csv)")
    summary.add_argument("--source", default="source")
    summary.add_argument("--target", default="target")
    summary.add_argument("--weight")
    summary.add_argument("--directed", action="store_true")
    summary.add_argument("--top", type=int, default=10)
    summary.set_defaults(run=_summary)
    from aluna.synth import GENERATORS

    synth = sub.add_parser(
        "synth",
        help="write a synthetic dataset with known ground truth as Parquet",
        description="Write a synthetic dataset (data and ground truth) as Parquet files, "
        "streamed in bounded memory. 'shipped' regenerates every dataset shipped with aluna "
        "and its MANIFEST.json.",
    )
    synth.add_argument("dataset", choices=[*GENERATORS, "shipped"])
    synth.add_argument("--n", type=int, help="people (records per agency for linkage_pair)")
    synth.add_argument("--seed", type=int, help="seed of the random streams (default 0)")
    synth.add_argument("--out", default="out", help="folder for the files (default: out)")
    synth.add_argument("--name", help="file stem (default: the dataset's name)")
    synth.add_argument("--groups", type=int, help="case_network: planted groups")
    synth.add_argument("--periods", type=int, help="careers_panel: years per person")
    synth.add_argument("--overlap", type=float, help="linkage_pair: share in both agencies")
    synth.add_argument("--corruption", type=float, help="linkage_pair: field error rate")
    synth.add_argument(
        "--duplicates",
        type=float,
        help="linkage_pair: share of records that are further records of a person",
    )
    synth.add_argument(
        "--delayed-entry", action="store_true", help="programme_evaluation: delayed entry"
    )
    synth.add_argument("--threads", type=int, help="threads (default: all cores)")
    synth.add_argument("--batch-rows", type=int, default=500_000, help="rows per batch")
    synth.set_defaults(run=_synth)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``aluna`` command."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except AlunaError as err:
        print(f"aluna: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
