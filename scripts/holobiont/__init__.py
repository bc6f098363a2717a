"""Holobiont core package.

Everything a Snakemake ``script:`` shim calls lives here, so that it can be tested with pytest
without running Snakemake. Modules:

- :mod:`holobiont.sheet` -- sample sheet loading and cross-row validation.
- :mod:`holobiont.fastq` -- FASTQ integrity checks and read counts.
- :mod:`holobiont.table` -- feature tables (counts ``(n_samples, n_taxa)``), BIOM/TSV I/O,
  closure, rarefaction, CLR, taxonomic collapse, filters.
- :mod:`holobiont.alpha` -- alpha diversity (incl. Faith PD).
- :mod:`holobiont.beta` -- beta diversity (Bray--Curtis, Jaccard, Aitchison, UniFrac).
- :mod:`holobiont.tree` -- Newick trees as postorder arrays, midpoint rooting.
- :mod:`holobiont.ordination` -- PCoA and PERMANOVA.
- :mod:`holobiont.demo` -- the deterministic demo cohort generator.
- :mod:`holobiont.cli` -- the ``holobiont`` command (``pip install .``; ``python -m holobiont``).
"""

__version__ = "0.1.0"

#: Modules of the API reference (``make api-docs``, pdoc) whose Examples run as doctests
#: (pyproject.toml ``testpaths``; tests/unit/test_api_docs.py keeps the two lists equal).
API_MODULES: tuple[str, ...] = (
    "holobiont.table",
    "holobiont.alpha",
    "holobiont.beta",
    "holobiont.tree",
    "holobiont.ordination",
    "holobiont.cli",
)
