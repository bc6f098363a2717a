"""Snakemake shim: read pairs, RPM and RPKM of every reference gene in every shotgun library
(holobiont.microbiome.genes.count_gene_pairs / gene_abundance)."""

import csv
import sys

from holobiont.microbiome.genes import (
    count_gene_pairs,
    gene_abundance,
    read_reference_table,
    write_abundance,
)

# Line-buffered and never closed here, so that a traceback still reaches the log.
log = sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: SIM115
reference = read_reference_table(snakemake.input.reference)
gene_of = {r["protein_id"]: r["gene"] for r in reference}
rows = []
for sample, hits, counts in zip(
    snakemake.params.samples, snakemake.input.hits, snakemake.input.host_counts, strict=True
):
    with open(counts, newline="") as fh:
        microbial = int(next(csv.DictReader(fh, delimiter="\t"))["microbial_pairs"])
    pairs = count_gene_pairs(hits, gene_of)
    rows += gene_abundance(
        sample, pairs, microbial, reference, min_pairs=snakemake.params.min_pairs
    )
    print(f"{sample}: {microbial} microbial pairs; gene pairs {pairs}", file=log)
write_abundance(rows, snakemake.output[0])
