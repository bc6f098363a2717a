"""Snakemake shim: one patient's HL7 FHIR R4 bundle from the patient report JSON (holobiont.report.fhir)."""

import sys

from holobiont.report.fhir import write_bundle

# Line-buffered and never closed here, so that a traceback still reaches the log.
log = sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: SIM115
bundle = write_bundle(snakemake.input.json, snakemake.output.fhir)
kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
print(
    f"{snakemake.wildcards.patient}: {len(kinds)} resources "
    f"({kinds.count('Observation')} Observation, {kinds.count('Task')} Task)",
    file=log,
)
