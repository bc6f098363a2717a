"""Snakemake shim: the shotgun species estimates as taxpasta, MetaPhlAn-style and CAMI
profiles and as MultiQC custom content (holobiont.microbiome.exports)."""

import sys

from holobiont.microbiome.exports import (
    multiqc_species,
    read_profiles,
    taxonomy_id,
    write_cami_profile,
    write_mpa_table,
    write_taxpasta,
)
from holobiont.microbiome.shotgun import Taxonomy

# Line-buffered and never closed here, so that a traceback still reaches the log.
log = sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: SIM115
profiles = read_profiles(dict(zip(snakemake.params.samples, snakemake.input.bracken, strict=True)))
taxonomy = Taxonomy.from_files(snakemake.input.taxonomy)
print(f"taxpasta: {write_taxpasta(profiles, taxonomy, snakemake.output.taxpasta)} taxa", file=log)
print(
    f"MetaPhlAn-style: {write_mpa_table(profiles, taxonomy, snakemake.output.mpa)} clades", file=log
)
tax_id = taxonomy_id(snakemake.input.taxonomy)
for profile, out in zip(profiles, snakemake.output.cami, strict=True):
    n = write_cami_profile(profile, taxonomy, out, taxonomy_id=tax_id)
    print(f"CAMI {profile.sample_id}: {n} rows", file=log)
multiqc_species(profiles, snakemake.output.mqc)
