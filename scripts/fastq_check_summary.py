"""Snakemake shim: table of every unit's FASTQ check; fails when one failed (holobiont.pipeline.fastq)."""

import sys

from holobiont.pipeline.fastq import summarise_checks

# Line-buffered and never closed here, so that a traceback still reaches the log.
log = sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: SIM115
failed = summarise_checks(snakemake.params.checks, snakemake.output[0])
if failed:
    msg = (
        f"{len(failed)} unit(s) failed the FASTQ check and were left out (reported as not "
        "measured); the other samples went on:\n" + "\n".join(failed)
    )
    print(msg, file=log)
    print(msg, file=sys.__stderr__)  # the terminal, not only the log
    sys.exit(1)
