"""Snakemake shim: per-unit read counts through QC (holobiont.pipeline.qc.summarise_qc)."""

import sys

from holobiont.pipeline.qc import summarise_qc

# Line-buffered and never closed here, so that a traceback still reaches the log.
log = sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: SIM115
summarise_qc(
    units=snakemake.params.units,
    out=snakemake.output[0],
    multiqc_out=snakemake.output.mqc,
    log=log,
)
