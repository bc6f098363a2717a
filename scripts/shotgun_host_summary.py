"""Snakemake shim: host-removal counts of every shotgun sample in one table
(holobiont.microbiome.shotgun.summarise_host)."""

import sys

from holobiont.microbiome.shotgun import summarise_host

# Line-buffered and never closed here, so that a traceback still reaches the log.
log = sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: SIM115
summarise_host(snakemake.params.records, snakemake.output[0], log=log)
