"""Snakemake shim: reference chunks of scattered WGS calling (holobiont.host.scatter)."""

import sys

from holobiont.host.scatter import write_plan

# Line-buffered and never closed here, so that a traceback still reaches the log.
log = sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: SIM115
plan = write_plan(
    snakemake.input.fasta,
    snakemake.input.genes,
    snakemake.output[0],
    chunks=snakemake.params.chunks,
    chunk_mb=snakemake.params.chunk_mb,
)
for k, regions in enumerate(plan, 1):
    bases = sum(e - s for _, s, e in regions)
    print(f"chunk {k:04d}: {len(regions)} region(s), {bases} bases", file=log)
