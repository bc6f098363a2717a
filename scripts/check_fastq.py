"""Snakemake shim: check a unit's FASTQ pair and write its read counts (holobiont.pipeline.fastq)."""

import sys

from holobiont.atomic import write_text
from holobiont.pipeline.fastq import FastqError, PrimerCheck, failed_check, write_check

# Line-buffered and never closed here, so that a traceback still reaches the log.
log = sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: SIM115
try:
    primers = snakemake.params.primers
    stats = write_check(
        r1=snakemake.input.r1,
        r2=snakemake.input.r2,
        out=snakemake.output[0],
        primers=PrimerCheck(**primers) if primers else None,
    )
except FastqError as err:
    msg = (
        f"FASTQ check failed for sample {snakemake.wildcards.sample} "
        f"unit {snakemake.wildcards.unit}: {err}"
    )
    print(msg, file=log)
    # Recorded, not raised: the other units go on; fastq_check_summary fails the run.
    write_text(snakemake.output[0], failed_check(msg).to_json())
else:
    print(
        f"{stats.read_pairs} read pairs, lengths {stats.min_length}-{stats.max_length}",
        file=log,
    )
