"""Snakemake shim: SHA-256 of the reference databases, for the reports' methods section."""

import sys

from holobiont.report.methods import write_database_checksums

# Line-buffered and never closed here, so that a traceback still reaches the log.
log = sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: SIM115
inp = snakemake.input
write_database_checksums(
    snakemake.output[0],
    sintax_16s=inp.get("sintax_16s"),
    sintax_16s_extra=snakemake.params.extra_16s,
    kraken2_db=inp.get("kraken2_db", []),
    kraken2_name=snakemake.params.kraken2_name,
    kmer_distrib=inp.get("kmer_distrib"),
    gene_proteins=inp.get("gene_proteins"),
)
print(f"database checksums: {snakemake.output[0]}", file=log)
