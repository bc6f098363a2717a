"""Snakemake shim: per-unit read counts through QC (holobiont.qc.summarise_qc)."""

import sys

from holobiont.qc import summarise_qc

with open(snakemake.log[0], "w") as log:
    sys.stderr = log
    summarise_qc(
        units=snakemake.params.units,
        out=snakemake.output[0],
        multiqc_out=snakemake.output.mqc,
        log=log,
    )
