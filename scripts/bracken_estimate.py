"""Snakemake shim: Bracken-style species re-estimation of a Kraken 2 report (holobiont.bracken)."""

import sys

from holobiont.bracken import estimate_abundance, read_kraken_report, write_bracken

# Line-buffered and never closed here, so that a traceback still reaches the log.
log = sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: SIM115
result = estimate_abundance(
    read_kraken_report(snakemake.input.report),
    snakemake.input.kmer_distrib,
    level=snakemake.params.level,
    threshold=snakemake.params.threshold,
)
write_bracken(result, snakemake.output[0])
print(result.summary(), file=log)
if not result.rows:
    print(f"WARNING: no taxon of {snakemake.wildcards.sample} passed the threshold.", file=log)
