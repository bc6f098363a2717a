"""Gut microbiome: 16S amplicons, shotgun profiles, gene evidence and standard exports.

- :mod:`holobiont.microbiome.amplicon` -- 16S ASV tables, SINTAX taxonomy, abundance floor.
- :mod:`holobiont.microbiome.sintax_ref` -- SINTAX reference builds and converters.
- :mod:`holobiont.microbiome.shotgun` -- Kraken 2 profiles, host fraction, taxonomy.
- :mod:`holobiont.microbiome.bracken` -- Bracken-equal re-estimation and k-mer distributions.
- :mod:`holobiont.microbiome.genes` -- DIAMOND gene-level evidence for drug metabolism.
- :mod:`holobiont.microbiome.exports` -- QIIME 2, taxpasta, CAMI, MPA, MultiQC exports.
"""
