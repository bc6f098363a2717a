"""Snakemake shim: Bracken-style species re-estimation of a Kraken 2 report (holobiont.microbiome.bracken)
and the Bracken-corrected Kraken report (holobiont.microbiome.exports, as `bracken -w`)."""

import sys

from holobiont.microbiome.bracken import estimate_abundance, read_kraken_report, write_bracken
from holobiont.microbiome.exports import write_bracken_report

# Line-buffered and never closed here, so that a traceback still reaches the log.
log = sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: SIM115
report = read_kraken_report(snakemake.input.report)
result = estimate_abundance(
    report,
    snakemake.input.kmer_distrib,
    level=snakemake.params.level,
    threshold=snakemake.params.threshold,
)
write_bracken(result, snakemake.output.table)
write_bracken_report(report, result, snakemake.output.report)
print(result.summary(), file=log)
if not result.rows:
    print(f"WARNING: no taxon of {snakemake.wildcards.sample} passed the threshold.", file=log)
