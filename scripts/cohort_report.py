"""Snakemake shim: the cohort's offline HTML + JSON report (holobiont.report.cohort)."""

import sys

from holobiont.report.cohort import build_cohort_report, write_cohort_report

# Line-buffered and never closed here, so that a traceback still reaches the log.
log = sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: SIM115
report = build_cohort_report(
    snakemake.input.patients,
    diversity=snakemake.params.diversity,
    tables=snakemake.params.tables,
    group_by=snakemake.params.group_by,
    site=snakemake.params.document["site"],
    report_date=snakemake.params.document["date"],
    environ={"SOURCE_DATE_EPOCH": snakemake.params.document["source_date_epoch"]},
    changes=snakemake.input.get("changes"),
    compare_with=snakemake.params.compare_with,
)
write_cohort_report(
    report,
    json_out=snakemake.output.json,
    html_out=snakemake.output.html,
    template_dir=snakemake.params.template_dir,
)
print(f"cohort report: {len(report['patients'])} patients", file=log)
