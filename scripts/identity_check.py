"""Snakemake shim: stool human reads vs the cohort's host genotypes (holobiont.host.identity)."""

import sys

from holobiont.host.identity import identity_table

# Line-buffered and never closed here, so that a traceback still reaches the log.
log = sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: SIM115
results = identity_table(
    stool={s: tuple(v) for s, v in snakemake.params.stool.items()},
    host_vcfs=snakemake.params.host,
    host_gvcfs=snakemake.params.host_gvcfs,
    min_depth=snakemake.params.min_depth,
    out=snakemake.output[0],
    min_mapq=snakemake.params.min_mapq,
    min_baseq=snakemake.params.min_baseq,
)
for r in results:
    print(
        f"{r.sample_id} (sheet: {r.sheet_patient}): {r.verdict}, best {r.best_patient}, "
        f"{r.informative_sites} sites",
        file=log,
    )
