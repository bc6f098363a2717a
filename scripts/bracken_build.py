"""Snakemake shim: Bracken's k-mer distribution of the database, windows classified by kraken2
(holobiont.microbiome.bracken.build_kmer_distrib)."""

import sys

from holobiont.microbiome.bracken import build_kmer_distrib

# Line-buffered and never closed here, so that a traceback still reaches the log.
log = sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: SIM115
stats = build_kmer_distrib(
    snakemake.input.library,
    snakemake.params.db,
    snakemake.output[0],
    read_length=snakemake.params.read_length,
    step=snakemake.params.step,
    threads=snakemake.threads,
    confidence=snakemake.params.confidence,
    log=log,
)
print(stats, file=log)
