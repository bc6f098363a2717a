"""Snakemake shim: cohort diversity of one assay (holobiont.core.diversity)."""

import os
import sys

from holobiont.core.diversity import cohort_diversity

# Line-buffered and never closed here, so that a traceback still reaches the log.
log = sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: SIM115
cohort_diversity(
    snakemake.input.table,
    out_dir=os.path.dirname(snakemake.output.summary),
    metadata=snakemake.params.metadata,
    tree=snakemake.input.get("tree"),
    depth=snakemake.params.depth,
    min_depth=snakemake.params.min_depth,
    seed=snakemake.params.seed,
    permutations=snakemake.params.permutations,
    n_iterations=snakemake.params.iterations,
    log=log,
    cohort_samples=snakemake.params.cohort_samples,
)
