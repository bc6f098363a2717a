"""Snakemake shim: PGx catalog positions for bcftools -T (holobiont.host.variants)."""

import sys

from holobiont.host.variants import positions_file

# Line-buffered and never closed here, so that a traceback still reaches the log.
log = sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: SIM115
n = positions_file(snakemake.params.catalog, snakemake.output[0])
print(f"{n} catalog positions", file=log)
