"""Snakemake shim: MultiQC custom content for PGx coverage, identity verdicts and human
fraction (holobiont.microbiome.exports)."""

import sys

from holobiont.microbiome.exports import (
    multiqc_human_fraction,
    multiqc_identity,
    multiqc_pgx_coverage,
)

# Line-buffered and never closed here, so that a traceback still reaches the log.
log = sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: SIM115
writers = {
    "pgx_coverage": lambda out: multiqc_pgx_coverage(snakemake.params.host, out),
    "identity": lambda out: multiqc_identity(snakemake.input.identity, out),
    "human_fraction": lambda out: multiqc_human_fraction(snakemake.input.host_fraction, out),
}
for section, out in zip(snakemake.params.sections, snakemake.output, strict=True):
    print(f"{section}: {writers[section](out)} samples -> {out}", file=log)
