"""The ``holobiont`` command: the parts of the package that are useful on their own.

Installed as a console script by ``pip install .`` (``[project.scripts]`` in pyproject.toml);
``python -m holobiont`` is the same command. Subcommands:

======================  ==================================================================
``diversity``           alpha and beta diversity of a BIOM or TSV feature table (+ tree)
``pgx``                 star-allele diplotypes, phenotypes and CPIC guidance from a VCF
``pgx-catalog``         generate the PGx catalog from PharmCAT's definitions and pypgx
``vcfcompare``          SNV / INDEL precision and recall of a query VCF against a truth VCF
``demo``                generate the deterministic demo cohort
======================  ==================================================================

``holobiont SUBCOMMAND --help`` describes each. Only ``diversity`` is defined here; the others
are the ``main`` functions of their modules (``python -m holobiont.pgx`` etc. keep working),
imported when the subcommand runs, so ``holobiont --help`` needs nothing but the standard
library.

Examples
--------
>>> main(["--version"])  # doctest: +ELLIPSIS
holobiont ...
0
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import holobiont

__all__ = ["DELEGATED", "diversity_main", "main"]

#: subcommand -> (module whose ``main(argv, prog=...)`` runs it, one-line description)
DELEGATED: dict[str, tuple[str, str]] = {
    "pgx": ("holobiont.pgx.__main__", "call PGx diplotypes, phenotypes and guidance from a VCF"),
    "pgx-catalog": (
        "holobiont.pgx.generate",
        "generate the PGx catalog (resources/pgx) from PharmCAT and pypgx",
    ),
    "vcfcompare": ("holobiont.host.vcfcompare", "compare a query VCF with a truth VCF"),
    "demo": ("holobiont.demo.__main__", "generate the deterministic demo cohort"),
}

DIVERSITY_HELP = "alpha and beta diversity of a BIOM or TSV feature table"


def _diversity_parser(prog: str) -> argparse.ArgumentParser:
    from holobiont.core.alpha import METRICS as ALPHA
    from holobiont.core.beta import METRICS as BETA

    ap = argparse.ArgumentParser(
        prog=prog,
        description=(
            "Alpha and beta diversity of a feature table (the numpy core: holobiont.core.alpha, "
            "holobiont.core.beta). Writes alpha.tsv (one row per sample, one column per alpha "
            "metric; NA where a metric is undefined, e.g. Shannon of an empty sample) and "
            "beta_<metric>.tsv (square distance matrix) into --out."
        ),
    )
    ap.add_argument(
        "table",
        type=Path,
        help="feature table: BIOM 2.1 (HDF5, e.g. .biom) or TSV (rows = taxa, columns = "
        "samples, as written by the pipeline or `biom convert --to-tsv`)",
    )
    ap.add_argument("--tree", type=Path, help="rooted Newick tree (faith_pd, UniFrac)")
    ap.add_argument(
        "--alpha",
        action="append",
        choices=ALPHA,
        metavar="METRIC",
        help=f"alpha metric (repeatable): {', '.join(ALPHA)}",
    )
    ap.add_argument(
        "--beta",
        action="append",
        choices=BETA,
        metavar="METRIC",
        help=f"beta metric (repeatable): {', '.join(BETA)}",
    )
    ap.add_argument(
        "--rarefy",
        type=int,
        metavar="DEPTH",
        help="rarefy every sample to DEPTH reads first (samples below it are dropped and "
        "listed on stderr)",
    )
    ap.add_argument("--seed", type=int, default=0, help="rarefaction seed (default 0)")
    ap.add_argument("--out", type=Path, required=True, help="output directory")
    return ap


def _read_table(path: Path):
    from holobiont.core.table import read_biom, read_tsv

    if not path.is_file():
        raise ValueError(f"{path}: no such file.")
    with open(path, "rb") as fh:
        magic = fh.read(8)
    # BIOM 2.1 is HDF5 (signature \x89HDF\r\n\x1a\n); anything else is read as TSV
    if magic == b"\x89HDF\r\n\x1a\n":
        return read_biom(path)
    return read_tsv(path)


def _fmt(value: float) -> str:
    from math import isnan

    return "NA" if isnan(value) else repr(float(value))


def diversity_main(argv: Sequence[str] | None = None, prog: str = "holobiont diversity") -> int:
    """Run ``holobiont diversity``: alpha and beta diversity of a feature table.

    Parameters
    ----------
    argv : sequence of str, optional
        Command-line arguments after ``diversity`` (default: ``sys.argv[1:]``); see
        ``holobiont diversity --help``.
    prog : str, optional
        Program name shown in usage and error messages.

    Returns
    -------
    int
        Exit code: 0 on success, 2 on an error (the message names the file or option to
        change; nothing is written under its final name).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "t.tsv").write_text("taxon_id\\ts1\\ts2\\nA\\t1\\t0\\nB\\t3\\t3\\n")
    >>> diversity_main([str(d / "t.tsv"), "--beta", "braycurtis", "--out", str(d)])
    0
    >>> [line.split("\\t") for line in (d / "beta_braycurtis.tsv").read_text().splitlines()]
    [['sample_id', 's1', 's2'], ['s1', '0.0', '0.14285714285714285'], ['s2', '0.14285714285714285', '0.0']]
    """
    ap = _diversity_parser(prog)
    args = ap.parse_args(argv)
    if not args.alpha and not args.beta:
        ap.error("choose at least one --alpha or --beta metric.")
    from holobiont.atomic import write_text
    from holobiont.core.alpha import alpha_diversity
    from holobiont.core.beta import beta_diversity
    from holobiont.core.table import rarefy
    from holobiont.core.tree import read_newick

    try:
        table = _read_table(args.table)
        tree = read_newick(args.tree) if args.tree else None
        needs_tree = [m for m in (args.alpha or []) + (args.beta or []) if _phylogenetic(m)]
        if needs_tree and tree is None:
            raise ValueError(f"{', '.join(needs_tree)} need(s) a tree: pass --tree FILE.nwk.")
        if args.rarefy is not None:
            rarefied = rarefy(table, args.rarefy, args.seed)
            if rarefied.dropped:
                print(
                    f"{prog}: {len(rarefied.dropped)} sample(s) below {args.rarefy} reads "
                    f"dropped: {', '.join(rarefied.dropped)}",
                    file=sys.stderr,
                )
            table = rarefied.table
        if table.n_samples == 0:
            raise ValueError(f"{args.table}: no sample left to compute diversity on.")
        args.out.mkdir(parents=True, exist_ok=True)
        written = []
        if args.alpha:
            values = [
                alpha_diversity(m, table, tree=tree if m == "faith_pd" else None)
                for m in args.alpha
            ]
            lines = ["\t".join(["sample_id", *args.alpha])]
            for i, sample in enumerate(table.sample_ids):
                lines.append("\t".join([sample, *(_fmt(v[i]) for v in values)]))
            path = args.out / "alpha.tsv"
            write_text(path, "\n".join(lines) + "\n")
            written.append(path)
        for metric in args.beta or []:
            d = beta_diversity(metric, table, tree=tree if _phylogenetic(metric) else None)
            lines = ["\t".join(["sample_id", *table.sample_ids])]
            for sample, row in zip(table.sample_ids, d, strict=True):
                lines.append("\t".join([sample, *(_fmt(v) for v in row)]))
            path = args.out / f"beta_{metric}.tsv"
            write_text(path, "\n".join(lines) + "\n")
            written.append(path)
    except (ValueError, OSError) as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    print(f"written: {', '.join(str(p) for p in written)}", file=sys.stderr)
    return 0


def _phylogenetic(metric: str) -> bool:
    return metric == "faith_pd" or metric.endswith("unifrac")


def _top_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="holobiont",
        description="Holobiont: host pharmacogenomics and gut microbiome, as a library and "
        "command line (the pipeline itself runs with snakemake).",
        epilog="`holobiont SUBCOMMAND --help` describes each subcommand.",
    )
    ap.add_argument("--version", action="version", version=f"holobiont {holobiont.__version__}")
    sub = ap.add_subparsers(dest="command", metavar="SUBCOMMAND")
    sub.add_parser("diversity", help=DIVERSITY_HELP, add_help=False)
    for name, (_, help_text) in DELEGATED.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return ap


def _runner(command: str) -> Callable[..., int]:
    if command == "diversity":
        return diversity_main
    module = importlib.import_module(DELEGATED[command][0])
    return module.main


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``holobiont`` console script.

    Parameters
    ----------
    argv : sequence of str, optional
        ``SUBCOMMAND [ARGS...]`` (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        The subcommand's exit code (0 success; 2 usage error or unknown subcommand).

    Examples
    --------
    >>> main(["no-such-command"])
    2
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    ap = _top_parser()
    if not argv or argv[0].startswith("-"):
        try:
            ap.parse_args(argv)
        except SystemExit as exc:  # --help / --version / unknown option
            return int(exc.code or 0)
        ap.print_help()
        return 2
    command, rest = argv[0], argv[1:]
    if command != "diversity" and command not in DELEGATED:
        ap.print_usage(sys.stderr)
        known = ", ".join(["diversity", *DELEGATED])
        print(f"holobiont: error: unknown subcommand {command!r}; known: {known}", file=sys.stderr)
        return 2
    try:
        return int(_runner(command)(rest, prog=f"holobiont {command}") or 0)
    except SystemExit as exc:  # argparse inside the subcommand (--help, usage errors)
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)


if __name__ == "__main__":
    raise SystemExit(main())
