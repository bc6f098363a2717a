"""Snakemake shim: reference genomes -> one taxid-tagged Kraken 2 library (holobiont.microbiome.shotgun)."""

import sys

from holobiont.microbiome.shotgun import LibraryError, Taxonomy, prepare_library, read_seqid2taxid

# Line-buffered and never closed here, so that a traceback still reaches the log.
log = sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: SIM115
try:
    map_file = getattr(snakemake.input, "seqid2taxid", None)
    seqid2taxid = read_seqid2taxid(map_file) if map_file else {}
    records = prepare_library(
        snakemake.input.genomes,
        Taxonomy(snakemake.input.names, snakemake.input.nodes),
        snakemake.output.fasta,
        snakemake.output.seqid2taxid,
        seqid2taxid=seqid2taxid,
        log=log,
    )
except LibraryError as err:
    print(f"ERROR: {err}", file=log)
    sys.exit(f"Kraken 2 library: {err}")
print(f"{len(records)} genome files, {sum(r['length'] for r in records)} bp", file=log)
