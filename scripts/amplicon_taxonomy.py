"""Snakemake shim: the ASVs' taxonomy against one of amplicon.extra_references (holobiont.microbiome.amplicon)."""

import sys

from holobiont.microbiome.amplicon import write_taxonomy

# Line-buffered and never closed here, so that a traceback still reaches the log.
log = sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: SIM115
write_taxonomy(
    snakemake.input.asvs,
    snakemake.input.sintax,
    snakemake.params.cutoff,
    snakemake.output[0],
    log=log,
)
