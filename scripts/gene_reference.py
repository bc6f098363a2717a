"""Snakemake shim: check the protein reference of the gene-level evidence and tabulate it
(holobiont.microbiome.genes.read_protein_reference)."""

import sys

from holobiont.microbiome.genes import read_protein_reference, write_reference_table
from holobiont.report.patient import load_interactions

# Line-buffered and never closed here, so that a traceback still reaches the log.
log = sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: SIM115
known = {r.get("gene_family", "") for r in load_interactions(snakemake.input.interactions)}
records = read_protein_reference(snakemake.input.proteins, known)
write_reference_table(records, snakemake.output[0])
genes = sorted({r["gene"] for r in records})
print(f"{len(records)} proteins of {len(genes)} genes: {', '.join(genes)}", file=log)
