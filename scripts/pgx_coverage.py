"""Snakemake shim: depth at every PGx catalog position, per gene (holobiont.host.variants)."""

import sys

from holobiont.host.variants import pgx_coverage

# Line-buffered and never closed here, so that a traceback still reaches the log.
log = sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: SIM115
rows = pgx_coverage(
    bam=snakemake.input.bam,
    catalog=snakemake.params.catalog,
    out=snakemake.output[0],
    min_depth=snakemake.params.min_depth,
    min_mapq=snakemake.params.mapq,
    min_baseq=snakemake.params.baseq,
)
for r in rows:
    print(r, file=log)
