"""``python -m holobiont.pgx VCF [--sample S] [--json OUT] [--tsv OUT] [--catalog DIR]``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .caller import call_vcf
from .catalog import DEFAULT_CATALOG


def main(argv: Sequence[str] | None = None, prog: str = "python -m holobiont.pgx") -> int:
    """Call star-allele diplotypes, phenotypes and CPIC guidance from one VCF sample."""
    ap = argparse.ArgumentParser(prog=prog, description=main.__doc__)
    ap.add_argument("vcf")
    ap.add_argument("--sample")
    ap.add_argument("--catalog", default=str(DEFAULT_CATALOG))
    ap.add_argument("--gene", action="append", help="call only this gene (repeatable)")
    ap.add_argument("--sex", choices=("male", "female"), help="male: chrX genes hemizygous")
    ap.add_argument(
        "--min-called-fraction",
        type=float,
        default=0.0,
        help="genes with fewer genotyped positions are not called (default 0: PharmCAT)",
    )
    ap.add_argument("--json", help="write the full results as JSON here (default: stdout)")
    ap.add_argument("--tsv", help="also write a one-row-per-gene summary TSV here")
    args = ap.parse_args(argv)
    text = call_vcf(
        args.vcf,
        catalog=args.catalog,
        sample=args.sample,
        min_called_fraction=args.min_called_fraction,
        json_out=args.json,
        tsv_out=args.tsv,
        genes=args.gene,
        sex=args.sex,
        extra={"sample": args.sample, "vcf": str(args.vcf)},
    )[1]
    if not args.json:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
