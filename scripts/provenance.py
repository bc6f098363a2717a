"""Snakemake shim: record versions, config and input checksums (holobiont.provenance)."""

import sys

from holobiont import provenance

with open(snakemake.log[0], "w") as log:
    sys.stderr = log
    record = provenance.collect(config=snakemake.config, checks=snakemake.params.checks)
    provenance.write(record, json_out=snakemake.output.json, versions_out=snakemake.output.versions)
    print(f"tools: {record['tools']}", file=log)
