"""Snakemake shim: one patient's report as PDF (holobiont.report.pdf, headless Chromium)."""

import sys

from holobiont.report.pdf import write_patient_pdf

# Line-buffered and never closed here, so that a traceback still reaches the log.
log = sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: SIM115
write_patient_pdf(
    snakemake.input.json, snakemake.output[0], template_dir=snakemake.params.template_dir
)
print(f"{snakemake.wildcards.patient}: {snakemake.output[0]}", file=log)
