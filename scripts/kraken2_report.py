"""Snakemake shim: Kraken 2 report with its rank codes rewritten from the database's taxonomy
(holobiont.microbiome.bracken.fix_report_rank_codes)."""

import sys

from holobiont.microbiome.bracken import fix_report_rank_codes
from holobiont.microbiome.shotgun import Taxonomy

# Line-buffered and never closed here, so that a traceback still reaches the log.
log = sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: SIM115
taxonomy = Taxonomy.from_files(snakemake.input.taxonomy)
fixed = fix_report_rank_codes(snakemake.input.raw, snakemake.output[0], taxonomy.rank)
print(f"{fixed} rank codes rewritten from the taxonomy", file=log)
