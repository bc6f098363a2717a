"""Snakemake shim: merge tool versions, record config and input checksums (holobiont.pipeline.provenance)."""

import sys

from holobiont.pipeline import provenance

# Line-buffered and never closed here, so that a traceback still reaches the log.
log = sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: SIM115
record = provenance.collect(
    config=snakemake.config,
    checks=snakemake.params.checks,
    versions=snakemake.input.versions,
    sintax_16s=snakemake.params.sintax_16s,
    sintax_16s_extra=snakemake.params.sintax_16s_extra,
    snakemake_version=snakemake.params.snakemake_version,
)
provenance.write(record, json_out=snakemake.output.json, versions_out=snakemake.output.versions)
print(f"tools: {record['tools']}", file=log)
