"""Snakemake shim: check the host FASTA's contig names and build (holobiont.host.variants)."""

import json
import sys

from holobiont.host.variants import ReferenceError, write_reference_check

# Line-buffered and never closed here, so that a traceback still reaches the log.
log = sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: SIM115
if not snakemake.params.enabled:
    with open(snakemake.output[0], "w") as fh:
        json.dump({"skipped": "host.check_reference is false"}, fh)
    sys.exit(0)
try:
    write_reference_check(
        snakemake.input.fasta, snakemake.params.catalog, snakemake.output[0], log=log
    )
except ReferenceError as err:
    print(f"ERROR: {err}", file=log)
    sys.exit(f"Host reference check failed: {err}")
