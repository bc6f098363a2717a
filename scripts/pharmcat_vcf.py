"""Snakemake shim: one VCF record per PGx catalog position (holobiont.host.variants)."""

import sys

from holobiont.host.variants import pharmcat_ready_vcf

# Line-buffered and never closed here, so that a traceback still reaches the log.
log = sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: SIM115
counts = pharmcat_ready_vcf(
    calls=snakemake.input.sites,
    catalog=snakemake.params.catalog,
    fasta=snakemake.input.fasta,
    out=snakemake.output.vcf,
    sample=snakemake.params.patient,
    min_depth=snakemake.params.min_depth,
)
print(counts, file=log)
