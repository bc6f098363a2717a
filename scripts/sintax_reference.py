#!/usr/bin/env python3
"""Convert a QIIME-style 16S reference (FASTA + taxonomy TSV) into a SINTAX reference FASTA.

For SILVA 138 (QIIME 2 release), GTDB (ssu_all / bac120_ssu + taxonomy), Greengenes2 or
Greengenes 13_8, e.g.::

    python scripts/sintax_reference.py --fasta silva-138-99-seqs.fasta \\
        --taxonomy silva-138-99-tax.tsv --out resources/cache/16s/silva_138_sintax.fasta \\
        --name "SILVA 138 99 % NR" --version 138

then set ``references.sintax_16s`` to the output path. Rules of the conversion (empty and
placeholder ranks, brackets, spaces): holobiont.microbiome.sintax_ref. A JSON record of the counts and of
the inputs' and output's SHA-256 is written next to the output (``<out>.json``).
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from holobiont.microbiome.sintax_ref import convert  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--fasta", required=True, help="sequences (ID = first word of the header)")
    ap.add_argument("--taxonomy", required=True, help="id<TAB>taxonomy (QIIME 2 header allowed)")
    ap.add_argument("--out", required=True, help="SINTAX FASTA to write")
    ap.add_argument("--name", default="", help="name of the database, for the record")
    ap.add_argument("--version", default="", help="version of the database, for the record")
    args = ap.parse_args(argv)
    try:
        convert(
            args.fasta,
            args.taxonomy,
            args.out,
            f"{args.out}.json",
            source={"name": args.name, "version": args.version},
            log=sys.stderr,
        )
    except (OSError, ValueError) as err:
        sys.exit(f"sintax_reference: {err}")


if __name__ == "__main__":
    main()
