"""Phenotype(s) -> CPIC recommendations, including two-gene drugs (PharmCAT's reporter stage).

``drugs.tsv`` (from pypgx's CPIC tables) holds one row per drug and phenotype, or per drug and
pair of phenotypes for two-gene guidelines (e.g. fluvastatin: CYP2C9 + SLCO1B1; thiopurines:
TPMT + NUDT15). A two-gene row applies when both genes' phenotypes match; ``Not called`` in a
row is CPIC's "genotype result not available" case and matches a gene that was not called, so
a called gene still gets its guidance when its partner gene could not be called. When a
gene's diplotype is ambiguous, the guidance for each of its possible phenotypes is listed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .catalog import INDETERMINATE, NOT_CALLED, Catalog, DrugGuidance

__all__ = ["guidance_for", "guidance_note"]


def guidance_for(
    catalog: Catalog, phenotypes: Mapping[str, Sequence[str]]
) -> dict[str, list[DrugGuidance]]:
    """Recommendations per gene.

    Parameters
    ----------
    phenotypes : mapping
        gene -> the phenotypes of its call (one, several when ambiguous, empty when not
        called). Genes absent from the mapping count as not called.
    """

    def of(gene: str) -> set[str]:
        ph = [p for p in phenotypes.get(gene, ()) if p]
        return set(ph) if ph else {NOT_CALLED}

    out: dict[str, list[DrugGuidance]] = {}
    for gene, phs in phenotypes.items():
        if gene not in catalog.genes:
            continue
        mine = [p for p in phs if p]
        rows: list[DrugGuidance] = []
        if mine:
            for d in catalog.genes[gene].drugs:
                if d.gene == gene:
                    ok = d.phenotype in mine and (not d.gene_2 or d.phenotype_2 in of(d.gene_2))
                else:
                    ok = d.phenotype_2 in mine and d.phenotype in of(d.gene)
                if ok and d not in rows:
                    rows.append(d)
        out[gene] = rows
    return out


def possible(phenotype: str, possible_phenotypes: Sequence[str]) -> list[str]:
    """The phenotypes guidance is looked up for: the call's, or each possible one."""
    if phenotype and phenotype not in (INDETERMINATE, NOT_CALLED):
        return [phenotype]
    if phenotype == INDETERMINATE and possible_phenotypes:
        return list(possible_phenotypes)
    return [phenotype] if phenotype == INDETERMINATE else []


def guidance_note(
    catalog: Catalog, gene: str, phenotypes: Sequence[str], rows: Sequence[DrugGuidance]
) -> str:
    """Why a called gene has no recommendation, said plainly (empty when it has rows or was
    not called): the catalog's source has none for the gene -- naming the CPIC pairs it lists
    at level A / B without a recommendation table (warfarin with VKORC1 / CYP4F2) -- or none for this
    phenotype. Never to be read as "standard dosing"."""
    if rows or not [p for p in phenotypes if p] or gene not in catalog.genes:
        return ""
    gdef = catalog.genes[gene]
    source = catalog.recommendation_source
    if not gdef.drugs:
        gaps = [
            p
            for p in gdef.cpic_pairs
            if p.recommendation_rows == 0 and p.cpic_level in ("A", "A/B", "B")
        ]
        text = f"no CPIC recommendation in catalog source {source}"
        if gaps:
            listed = ", ".join(f"{p.drug} (CPIC level {p.cpic_level})" for p in gaps)
            text += f"; CPIC lists {listed} for {gene} without a recommendation table there"
        return text
    return f"no CPIC recommendation for this phenotype in catalog source {source}"
