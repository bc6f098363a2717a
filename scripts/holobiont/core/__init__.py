"""The numpy core: feature tables, alpha and beta diversity, trees, ordination.

Cython-free and importing nothing else of Holobiont (tests/unit/test_layout.py), so it can be
used alone next to scikit-bio:

- :mod:`holobiont.core.table` -- feature tables (counts ``(n_samples, n_taxa)``), BIOM/TSV I/O,
  closure, rarefaction, CLR, taxonomic collapse, filters.
- :mod:`holobiont.core.alpha` -- alpha diversity (incl. Faith PD).
- :mod:`holobiont.core.beta` -- beta diversity (Bray--Curtis, Jaccard, Aitchison, UniFrac).
- :mod:`holobiont.core.tree` -- Newick trees as postorder arrays, midpoint rooting.
- :mod:`holobiont.core.ordination` -- PCoA and PERMANOVA.
- :mod:`holobiont.core.diversity` -- a cohort's diversity in one call (what the pipeline runs).
"""
