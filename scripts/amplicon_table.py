"""Snakemake shim: ASV table, taxonomy, read tracking and abundance floor (holobiont.microbiome.amplicon)."""

import sys

from holobiont.microbiome.amplicon import summarise_amplicon

# Line-buffered and never closed here, so that a traceback still reaches the log.
log = sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: SIM115
summarise_amplicon(
    snakemake.params.samples,
    snakemake.input.asvs,
    snakemake.input.sintax,
    snakemake.params.cutoff,
    table_tsv=snakemake.output.table,
    table_biom=snakemake.output.biom,
    taxonomy_tsv=snakemake.output.taxonomy,
    tracking_tsv=snakemake.output.tracking,
    tracking_mqc=snakemake.output.mqc,
    floor_tsv=snakemake.output.floor,
    min_reads=snakemake.params.min_reads,
    min_fraction=snakemake.params.min_fraction,
    log=log,
)
