"""Holobiont: a patient's genome and gut microbiome, side by side.

Everything a Snakemake ``script:`` shim calls lives here, so that it can be tested with pytest
without running Snakemake. Subpackages, in layers (a module imports only its own subpackage
and lower layers; tests/unit/test_layout.py):

- :mod:`holobiont.core` -- the numpy core: feature tables, alpha and beta diversity, trees,
  ordination. Imports nothing else of ours.
- :mod:`holobiont.pgx` -- the generated PGx catalog, allele matching, phenotypes, guidance.
- :mod:`holobiont.host` -- host genome: reference and build checks, the PGx-ready VCF, identity.
- :mod:`holobiont.microbiome` -- 16S, shotgun, Bracken, gene evidence, standard exports.
- :mod:`holobiont.report` -- patient and cohort reports, methods, PDF, FHIR, run differences.
- :mod:`holobiont.pipeline` -- sample sheet, config and FASTQ checks, QC, provenance.
- :mod:`holobiont.demo` -- the deterministic demo cohort generator.
- :mod:`holobiont.cli` -- the ``holobiont`` command (``pip install .``; ``python -m holobiont``).
"""

__version__ = "0.1.0"

#: Modules of the API reference (``make api-docs``, pdoc) whose Examples run as doctests
#: (pyproject.toml ``testpaths``; tests/unit/test_api_docs.py keeps the two lists equal).
API_MODULES: tuple[str, ...] = (
    "holobiont.core.table",
    "holobiont.core.alpha",
    "holobiont.core.beta",
    "holobiont.core.tree",
    "holobiont.core.ordination",
    "holobiont.cli",
)
