"""Star-allele (diplotype) calling, phenotypes and CPIC drug guidance, as PharmCAT does it.

Stages (PharmCAT's):

- :mod:`.catalog` -- the generated catalog (``resources/pgx``): data model, loader, validation.
- :mod:`.generate` -- builds the catalog from PharmCAT's definitions and pypgx's CPIC tables.
- :mod:`.vcf` -- sample alleles from a VCF (phasing, phase sets, half-calls, haploid calls,
  multi-allelic records, re-expression against the catalog REF, reference blocks).
- :mod:`.matcher` -- named-allele matching (the rules are listed in its docstring).
- :mod:`.phenotyper` -- diplotype -> function / activity score / phenotype.
- :mod:`.guidance` -- phenotype(s) -> CPIC recommendations, incl. two-gene drugs.
- :mod:`.caller` -- per-gene results and their JSON / TSV output.

Examples
--------
>>> from holobiont.pgx import load_catalog, call_diplotypes
>>> cat = load_catalog()
>>> g = cat.genes["CYP2C19"]
>>> gt = {p.key: (p.ref, p.ref) for p in g.positions}
>>> gt[("chr10", 94842866)] = "G/G"  # rs3758581: the *1 backbone
>>> gt[("chr10", 94761900)] = "C/T"  # rs12248560: *17
>>> r = call_diplotypes(gt, cat, gene="CYP2C19")[0]
>>> r.diplotype, r.phenotype, r.confidence
('*1/*17', 'Rapid Metabolizer', 'high')
"""

from .caller import (
    GeneResult,
    MissingPosition,
    attach_guidance,
    call_diplotypes,
    call_vcf,
    parse_sex,
    results_to_json,
    write_results_tsv,
)
from .catalog import (
    DEFAULT_CATALOG,
    INDETERMINATE,
    IUPAC,
    NOT_CALLED,
    Allele,
    Catalog,
    CatalogError,
    DrugGuidance,
    GeneDefinition,
    PhenotypeRule,
    Position,
    load_catalog,
)
from .matcher import UnmatchedVariant, match_gene
from .phenotyper import phenotype
from .vcf import SampleAllele, combine_calls, express_allele, genotypes_from_vcf

__all__ = [
    "DEFAULT_CATALOG",
    "INDETERMINATE",
    "IUPAC",
    "NOT_CALLED",
    "Allele",
    "Catalog",
    "CatalogError",
    "DrugGuidance",
    "GeneDefinition",
    "GeneResult",
    "MissingPosition",
    "PhenotypeRule",
    "Position",
    "SampleAllele",
    "UnmatchedVariant",
    "attach_guidance",
    "call_diplotypes",
    "call_vcf",
    "combine_calls",
    "express_allele",
    "genotypes_from_vcf",
    "load_catalog",
    "match_gene",
    "parse_sex",
    "phenotype",
    "results_to_json",
    "write_results_tsv",
]
