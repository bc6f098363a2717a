"""Diplotype -> allele functions, activity score and phenotype (PharmCAT's phenotyper stage).

Rules come from ``phenotypes.tsv`` (derived from PharmCAT's phenotype maps, or pypgx's tables
for G6PD / RYR1 / IFNL3): an exact ``diplotype`` row wins; otherwise, for activity-score genes
(CYP2C9, DPYD) whose alleles all have activity values, the summed activity score; otherwise
the unordered pair of allele functions (one function for a hemizygous chrX call). A
combination haplotype ``[A + B]`` (DPYD) takes the lowest activity / function of its
components. A combination without a rule is ``Indeterminate``; a gene without any phenotype
map (CYP4F2) has phenotype ``n/a``.
"""

from __future__ import annotations

from .catalog import INDETERMINATE, GeneDefinition
from .matcher import components

__all__ = ["NO_PHENOTYPE", "haplotype_activity", "haplotype_function", "phenotype"]

NO_PHENOTYPE = "n/a"
_FUNCTION_ORDER = (
    "No function",
    "Decreased function",
    "Normal function",
    "Increased function",
)


def haplotype_activity(gdef: GeneDefinition, name: str) -> float | None:
    vals = [gdef.allele(c).activity for c in components(name)]
    return None if any(v is None for v in vals) else min(vals)


def haplotype_function(gdef: GeneDefinition, name: str) -> str:
    fns = [gdef.allele(c).function for c in components(name)]
    if len(fns) == 1:
        return fns[0]
    if gdef.method == "activity_score":
        acts = [(gdef.allele(c).activity, gdef.allele(c).function) for c in components(name)]
        if all(a is not None for a, _ in acts):
            return min(acts)[1]
    ranked = [f for f in fns if f in _FUNCTION_ORDER]
    if len(ranked) == len(fns):
        return min(ranked, key=_FUNCTION_ORDER.index)
    return ""


def phenotype(gdef: GeneDefinition, diplotype: tuple[str, ...]) -> tuple[str, float | None]:
    """``(phenotype, activity score or None)`` of a diplotype (1 or 2 haplotype names)."""
    if not gdef.rules:
        return NO_PHENOTYPE, None
    key = tuple(sorted(diplotype))
    for r in gdef.rules:
        if r.diplotype is not None and tuple(sorted(r.diplotype)) == key:
            return r.phenotype, None
    score = None
    if gdef.method == "activity_score":
        acts = [haplotype_activity(gdef, n) for n in diplotype]
        if all(a is not None for a in acts):
            score = round(sum(acts), 4)
            for r in gdef.rules:
                if r.activity is not None and abs(r.activity - score) < 1e-9:
                    return r.phenotype, score
    fns = tuple(sorted(haplotype_function(gdef, n) for n in diplotype))
    if all(fns):
        for r in gdef.rules:
            if r.functions is not None and r.functions == fns:
                return r.phenotype, score
    return INDETERMINATE, score
