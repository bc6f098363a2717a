"""Pipeline plumbing: what the Snakemake workflow needs around the science.

- :mod:`holobiont.pipeline.sheet` -- sample sheet loading and cross-row validation.
- :mod:`holobiont.pipeline.config` -- configuration checks.
- :mod:`holobiont.pipeline.fastq` -- FASTQ integrity checks and read counts.
- :mod:`holobiont.pipeline.qc` -- read QC summaries.
- :mod:`holobiont.pipeline.provenance` -- versions, config and checksums of a run.
- :mod:`holobiont.pipeline.stamps` -- stamp files of checks that passed.
"""
