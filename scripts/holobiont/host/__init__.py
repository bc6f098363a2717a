"""Host genome: reference and build checks, PGx-ready calls, sample identity, scattering.

- :mod:`holobiont.host.variants` -- reference check, PGx coverage, the PharmCAT-ready VCF.
- :mod:`holobiont.host.genome_build` -- the build of a FASTA from its contig names and lengths.
- :mod:`holobiont.host.identity` -- host-vs-stool sample identity verdicts.
- :mod:`holobiont.host.scatter` -- interval chunks for scattered variant calling.
- :mod:`holobiont.host.vcfcompare` -- VCF comparison against a truth set (benchmarks).

The PGx caller itself is :mod:`holobiont.pgx`.
"""
