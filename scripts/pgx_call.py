"""Snakemake shim: PGx diplotypes, phenotypes and drug guidance (holobiont.pgx)."""

import sys

from holobiont.pgx import call_vcf, parse_sex

# Line-buffered and never closed here, so that a traceback still reaches the log.
log = sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: SIM115
results, _ = call_vcf(
    snakemake.input.vcf,
    catalog=snakemake.params.catalog,
    outside_call_files=snakemake.input.outside,
    min_called_fraction=snakemake.params.min_called_fraction,
    json_out=snakemake.output.json,
    tsv_out=snakemake.output.tsv,
    extra={"patient_id": snakemake.params.patient},
    sex=parse_sex(snakemake.params.sex),
)
for r in results:
    src = "" if r.source == "vcf" else f" [{r.source}]"
    print(f"{r.gene}: {r.diplotype} ({r.phenotype}){src}", file=log)
