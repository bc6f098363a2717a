"""Deterministic demo cohort generator.

``python -m holobiont.demo --out resources/demo/data`` writes a small, fully synthetic-or-open
cohort (9 patients, host PGx panel/WGS reads with planted star alleles, 16S V4 amplicons from
Greengenes 13_8, shotgun stool reads from synthetic genomes) with its truth, byte-identical on every
run. See ``resources/demo/README.md``.

Modules:

- :mod:`.pgx_sites` -- PGx positions, star-allele cores and exons (derived from pypgx, MIT).
- :mod:`.reads` -- the paired-end read simulator shared by all libraries.
- :mod:`.host` -- synthetic GRCh38 panel reference, planted genotypes, truth VCFs, host reads.
- :mod:`.amplicon` -- in-silico PCR, SINTAX reference and 16S reads.
- :mod:`.shotgun` -- synthetic genomes, NCBI-style taxonomy and shotgun reads.
- :mod:`.generate` -- orchestration, manifest and idempotency.
- :mod:`.files` -- atomic, reproducible gzip/BGZF output and checksums.
"""

#: Version of the generator's output; change it whenever the bytes of the output change.
DEMO_VERSION = "1.4.0"
