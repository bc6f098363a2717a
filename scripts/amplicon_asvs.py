"""Snakemake shim: ASV FASTA with stable IDs and the read-mapping database (holobiont.microbiome.amplicon)."""

import sys

from holobiont.microbiome.amplicon import write_asvs

# Line-buffered and never closed here, so that a traceback still reaches the log.
log = sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: SIM115
write_asvs(
    snakemake.input.centroids,
    snakemake.input.nonchimeras,
    snakemake.output.asvs,
    snakemake.output.database,
    log=log,
)
