"""The ``aluna`` command line: the main job and its helpers.

``aluna demo --out DIR`` runs the main job on the shipped synthetic case-link data.
``aluna synth DATASET --n N --seed S --out DIR`` writes a synthetic dataset as Parquet.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import polars as pl

import aluna
from aluna.exceptions import AlunaError


def graph_summary(graph: aluna.CaseGraph, top: int = 10) -> dict[str, object]:
    """Headline figures of a graph: size, components and the best-connected nodes."""
    components = graph.components()
    sizes = components.group_by("component").len().sort("len", descending=True)
    degree = graph.degree().sort(["degree", "node"], descending=[True, False]).head(top)
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
    print("  top nodes by degree:")
    for node, degree in summary["top_degree"]:  # type: ignore[attr-defined]
        print(f"    {node!s:<12} {degree}")


def _demo(args: argparse.Namespace) -> int:
    edges_path = aluna.datasets.path("case_links")
    edges = pl.read_parquet(edges_path)
    graph = aluna.CaseGraph.from_edges(edges, weight="weight", link_type="link_type", time="seen")
    summary = graph_summary(graph)
    _print_summary(summary, edges_path.name)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    target = out / "case-links-summary.json"
    target.write_text(json.dumps(summary, indent=2, default=str) + "\n")
    print(f"\nwrote {target}")
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
    demo = sub.add_parser("demo", help="run the main job on the shipped synthetic data")
    demo.add_argument("--out", default="out", help="folder for the outputs (default: out)")
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
