"""Snakemake shim: the 16S taxonomy as QIIME 2's taxonomy TSV (holobiont.microbiome.exports)."""

import sys

from holobiont.microbiome.exports import write_qiime2_taxonomy

# Line-buffered and never closed here, so that a traceback still reaches the log.
log = sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: SIM115
n = write_qiime2_taxonomy(snakemake.input[0], snakemake.output[0])
print(f"{n} ASVs written to {snakemake.output[0]}", file=log)
