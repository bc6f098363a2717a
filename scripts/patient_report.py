"""Snakemake shim: one patient's offline HTML + JSON report (holobiont.report.patient)."""

import os
import sys

from holobiont.report.patient import build_patient_report, write_report

# Line-buffered and never closed here, so that a traceback still reaches the log.
log = sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: SIM115
inp = snakemake.input
report = build_patient_report(
    snakemake.wildcards.patient,
    read_counts=inp.read_counts,
    pgx_json=inp.get("pgx_json"),
    pgx_coverage=inp.get("pgx_coverage"),
    asv_table=snakemake.params.tables.get("16s"),
    species_table=snakemake.params.tables.get("shotgun"),
    host_fraction=inp.get("host_fraction"),
    diversity=snakemake.params.diversity,
    identity=inp.get("identity"),
    provenance=inp.provenance,
    interactions=inp.interactions,
    pgx_drugs=inp.pgx_drugs,
    metadata=snakemake.params.metadata,
    min_abundance=snakemake.params.min_abundance,
    gene_abundance=inp.get("gene_abundance"),
    genes_configured=snakemake.params.genes_configured,
    pgx_catalog=os.path.dirname(inp.pgx_catalog[0]) if inp.get("pgx_catalog") else None,
    reference_check=inp.get("reference_check"),
    databases=inp.databases,
    site=snakemake.params.document["site"],
    report_date=snakemake.params.document["date"],
    environ={"SOURCE_DATE_EPOCH": snakemake.params.document["source_date_epoch"]},
    timepoints=snakemake.params.timepoints,
    cohort_samples=snakemake.params.cohort_samples,
)
write_report(
    report,
    json_out=snakemake.output.json,
    html_out=snakemake.output.html,
    template_dir=snakemake.params.template_dir,
)
print(f"{snakemake.wildcards.patient}: {report['modalities']}", file=log)
