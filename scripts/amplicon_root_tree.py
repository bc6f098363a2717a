"""Snakemake shim: midpoint-root the ASV tree (holobiont.microbiome.amplicon.root_tree)."""

import sys

from holobiont.microbiome.amplicon import root_tree

# Line-buffered and never closed here, so that a traceback still reaches the log.
log = sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: SIM115
root_tree(snakemake.input.tree, snakemake.input.asvs, snakemake.output[0], log=log)
