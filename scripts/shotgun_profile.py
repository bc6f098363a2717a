"""Snakemake shim: cohort species tables from the per-sample Bracken tables
(holobiont.microbiome.shotgun.species_profile; holobiont.core.table for TSV/BIOM and closure)."""

import sys

from holobiont.core.table import closure, write_biom, write_tsv
from holobiont.microbiome.shotgun import Taxonomy, species_profile

# Line-buffered and never closed here, so that a traceback still reaches the log.
log = sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: SIM115
table = species_profile(
    dict(zip(snakemake.params.samples, snakemake.input.bracken, strict=True)),
    taxonomy=Taxonomy.from_files(snakemake.input.taxonomy),
    log=log,
)
write_tsv(table, snakemake.output.reads)
write_biom(table, snakemake.output.biom)
write_tsv(closure(table), snakemake.output.relative)
print(f"{table.n_samples} samples x {table.n_taxa} taxa; reads {table.depths.tolist()}", file=log)
