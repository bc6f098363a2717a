"""Snakemake shim: PGx diplotypes, phenotypes and drug guidance (holobiont.pgx)."""

import sys
from pathlib import Path

from holobiont import pgx

# Line-buffered and never closed here, so that a traceback still reaches the log.
log = sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: SIM115
catalog = pgx.load_catalog(snakemake.params.catalog)
genotypes = pgx.genotypes_from_vcf(snakemake.input.vcf, catalog)
results = pgx.call_diplotypes(
    genotypes, catalog, min_called_fraction=snakemake.params.min_called_fraction
)
text = pgx.results_to_json(results, catalog, patient_id=snakemake.params.patient)
Path(snakemake.output.json).write_text(text, encoding="utf-8")
pgx.write_results_tsv(results, snakemake.output.tsv)
for r in results:
    print(f"{r.gene}: {r.diplotype} ({r.phenotype})", file=log)
