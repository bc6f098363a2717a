"""Command line: ``python -m holobiont.demo --out resources/demo/data [--force] [--check]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import generate as gen


def main(argv: list[str] | None = None, prog: str = "python -m holobiont.demo") -> int:
    """Run the demo generator CLI; returns the exit code."""
    ap = argparse.ArgumentParser(
        prog=prog,
        description="Generate the deterministic Holobiont demo cohort (reads, references, truth).",
    )
    ap.add_argument("--out", default="resources/demo/data", help="output directory")
    ap.add_argument("--force", action="store_true", help="regenerate even if up to date")
    ap.add_argument(
        "--check",
        action="store_true",
        help="only verify --out against the committed resources/demo/MANIFEST.sha256 "
        "(or --manifest); exit 1 on any difference",
    )
    ap.add_argument("--manifest", help="manifest for --check (default: the committed one)")
    ap.add_argument(
        "--write-manifest",
        action="store_true",
        help="after generating with default parameters, copy the manifest to resources/demo/",
    )
    ap.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    ap.add_argument(
        "--scale", type=float, default=1.0, help="multiply all read counts (tests); default 1"
    )
    ap.add_argument("--seed", type=int, default=gen.Params.seed, help="global seed")
    ap.add_argument(
        "--path-prefix",
        help="directory written before reads/ in samples.tsv (default: --out relative to "
        "the project root)",
    )
    ap.add_argument(
        "--build-pgx-tables",
        metavar="PYPGX_DATA_DIR",
        help="maintainers: rebuild resources/demo/pgx_*.tsv from pypgx/api/data and exit",
    )
    ap.add_argument(
        "--large-wgs-flank",
        type=int,
        metavar="BASES",
        help="benchmarks: write only one larger WGS-like host sample into --out, its sequence "
        "windows widened by BASES on each side of the PGx targets (holobiont.demo.large_wgs)",
    )
    ap.add_argument(
        "--large-wgs-coverage", type=float, default=30.0, help="with --large-wgs-flank: fold"
    )
    ap.add_argument("-q", "--quiet", action="store_true")
    args = ap.parse_args(argv)

    if args.build_pgx_tables:
        from .pgx_sites import build_tables

        build_tables(args.build_pgx_tables)
        print("wrote resources/demo/pgx_sites.tsv, pgx_alleles.tsv, pgx_genes.tsv")
        return 0
    out = Path(args.out)
    if args.large_wgs_flank is not None:
        from .large_wgs import generate_large_wgs

        info = generate_large_wgs(
            out, flank=args.large_wgs_flank, coverage=args.large_wgs_coverage, seed=args.seed
        )
        print(f"{out}: {info['reference_sequence_bases']} bases of sequence, {info['pairs']} pairs")
        return 0
    if args.check:
        problems = gen.check(out, args.manifest)
        if problems:
            print(f"{out}: {len(problems)} problem(s):", file=sys.stderr)
            for p in problems[:50]:
                print(f"  {p}", file=sys.stderr)
            return 1
        print(f"{out}: all files match the manifest.")
        return 0
    params = gen.Params(seed=args.seed, scale=args.scale, path_prefix=args.path_prefix)
    try:
        gen.generate(out, params, force=args.force, workers=args.workers, quiet=args.quiet)
    except FileExistsError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.write_manifest:
        print(f"wrote {gen.install_manifest(out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
