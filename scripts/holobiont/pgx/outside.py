"""Outside calls: diplotypes / phenotypes from another assay, in PharmCAT's outside-call format.

Genes that are not called from a VCF (CYP2D6, HLA-A, HLA-B) or that a laboratory genotyped by
another assay are given as a tab-separated file, one gene per line (PharmCAT's format; ``#``
lines and blank lines are ignored)::

    GENE <TAB> diplotype <TAB> phenotype <TAB> activity score

The gene is required and at least one of the other three fields. As in PharmCAT, an outside
call replaces the VCF call of its gene. For genes of the catalog the diplotype's alleles must be
catalog alleles (``*1/*4``; combination calls as ``[*2 + *3]``), the phenotype is taken from the
diplotype when it is not given, and a given phenotype that disagrees with the diplotype's is
kept (the lab's word) with a note. Phenotype spellings are normalised as PharmCAT does
(``metaboliser`` -> ``Metabolizer``, ``PM``/``IM``/``NM``/``EM``/``UM``, capitalisation, the
``Likely``/``Possible`` modifiers kept). Genes outside the catalog (HLA-B ``*57:01 positive``)
are reported as given, without guidance unless the catalog has rows for them.

Every result carries ``source = "outside call: <file name>"`` so that reports can mark it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

from .caller import GeneResult
from .catalog import Catalog, CatalogError

__all__ = [
    "OutsideCall",
    "OutsideCallError",
    "normalise_phenotype",
    "parse_outside_calls",
    "read_outside_calls",
]

_SYNONYMS = {
    "pm": "Poor Metabolizer",
    "im": "Intermediate Metabolizer",
    "nm": "Normal Metabolizer",
    "em": "Normal Metabolizer",
    "rm": "Rapid Metabolizer",
    "um": "Ultrarapid Metabolizer",
}
_WORDS = re.compile(r"[A-Za-z0-9*:+\-.>]+")
_GENE = re.compile(r"^[A-Z][A-Z0-9-]*$")


class OutsideCallError(ValueError):
    """An outside-call file that cannot be read; the message names the file, line and fix."""


def normalise_phenotype(text: str) -> str:
    """CPIC phenotype term from a lab's spelling (PharmCAT's normalisation).

    >>> normalise_phenotype("likely cyp2d6 poor metaboliser")
    'Likely Poor Metabolizer'
    >>> normalise_phenotype("UM")
    'Ultrarapid Metabolizer'
    >>> normalise_phenotype("*57:01 positive")
    '*57:01 positive'
    """
    t = " ".join(text.split())
    low = t.lower()
    if low in _SYNONYMS:
        return _SYNONYMS[low]
    m = re.search(r"\((pm|im|nm|em|rm|um)\)\s*$", low)
    if m and "metabol" in low:
        low = low[: m.start()].strip()
    if "metabol" not in low:
        return t
    words = [w for w in _WORDS.findall(low) if not re.match(r"^(cyp|ugt|nudt|tpmt|dpyd)\w*$", w)]
    words = ["metabolizer" if w.startswith("metaboli") else w for w in words]
    return " ".join(w.capitalize() for w in words)


def _score(text: str, where: str) -> float | None:
    if not text:
        return None
    t = text.replace("≥", "").strip()
    try:
        return float(t)
    except ValueError:
        raise OutsideCallError(
            f"{where}: activity score {text!r} is not a number; give CPIC's value (e.g. 1.5) "
            "or leave the fourth column empty"
        ) from None


@dataclass(frozen=True)
class OutsideCall:
    """One line of an outside-call file, as written (phenotype normalised)."""

    gene: str
    diplotype: str
    phenotype: str
    activity_score: float | None
    where: str


def parse_outside_calls(path: str | PathLike) -> list[OutsideCall]:
    """Read the file's lines (format checks only, no catalog).

    Raises
    ------
    OutsideCallError
        Naming the file and line: not UTF-8, too many columns, not a gene symbol, a gene given
        twice, a line without a call, a non-numeric activity score, no call at all.
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as e:
        raise OutsideCallError(
            f"{path}: not UTF-8 ({e.reason} at byte {e.start}); save it as UTF-8"
        ) from None
    except OSError as e:
        raise OutsideCallError(f"{path}: cannot be read ({e.strerror})") from None
    calls: list[OutsideCall] = []
    seen: dict[str, int] = {}
    for no, line in enumerate(lines, 1):
        where = f"{path}, line {no}"
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = [f.strip() for f in line.rstrip("\r").split("\t")]
        if len(fields) > 4 and any(fields[4:]):
            raise OutsideCallError(
                f"{where}: {len(fields)} tab-separated fields; the format has 4 "
                "(gene, diplotype, phenotype, activity score)"
            )
        fields += [""] * (4 - len(fields))
        gene, diplotype, pheno, score_text = fields[:4]
        if not _GENE.match(gene):
            raise OutsideCallError(
                f"{where}: {gene!r} is not an HGNC gene symbol (first column, e.g. CYP2D6)"
            )
        if gene in seen:
            raise OutsideCallError(
                f"{where}: {gene} is given twice (also line {seen[gene]}); keep one line per gene"
            )
        seen[gene] = no
        if not (diplotype or pheno or score_text):
            raise OutsideCallError(
                f"{where}: {gene} has no diplotype, phenotype or activity score; "
                "fill at least one of columns 2-4"
            )
        calls.append(
            OutsideCall(
                gene,
                diplotype,
                normalise_phenotype(pheno) if pheno else "",
                _score(score_text, where),
                where,
            )
        )
    if not calls:
        raise OutsideCallError(
            f"{path}: no outside call in the file (only blank or '#' lines); "
            "remove it from the sheet or add one line per gene"
        )
    return calls


def read_outside_calls(path: str | PathLike, catalog: Catalog) -> list[GeneResult]:
    """Read one outside-call file into results (see the module docstring).

    Raises
    ------
    OutsideCallError
        The format errors of :func:`parse_outside_calls`, and (naming the line) a diplotype
        allele the catalog does not define for the gene, or an activity score CPIC does not
        assign.
    """
    path = Path(path)
    source = f"outside call: {path.name}"
    results: list[GeneResult] = []
    for c in parse_outside_calls(path):
        gene, diplotype, ph, score, where = (
            c.gene,
            c.diplotype,
            c.phenotype,
            c.activity_score,
            c.where,
        )
        gdef = catalog.genes.get(gene)
        notes = []
        if gdef is not None and diplotype:
            for hap in diplotype.replace(" or ", "/").split("/"):
                for name in re.sub(r"^\[|\]$", "", hap.strip()).split(" + "):
                    try:
                        gdef.allele(name.strip())
                    except (KeyError, CatalogError):
                        raise OutsideCallError(
                            f"{where}: {gene} allele {name.strip()!r} is not in the catalog "
                            f"(catalog {catalog.version}); use PharmCAT's allele names"
                        ) from None
        if not ph and score is not None and gdef is not None:
            # PharmCAT: for activity-score genes the score wins and gives the phenotype
            ph = next(
                (
                    r.phenotype
                    for r in gdef.rules
                    if r.activity is not None and abs(r.activity - score) < 1e-9
                ),
                "",
            )
            if not ph and not diplotype:
                raise OutsideCallError(
                    f"{where}: {gene} activity score {score:g} is not one CPIC assigns "
                    "(PharmCAT gives no call); give the phenotype or the CPIC score"
                )
        try:
            r = GeneResult.outside_call(
                gene,
                diplotype=diplotype,
                phenotype=ph,
                activity_score=score,
                catalog=catalog,
                source=source,
            )
        except ValueError as e:
            raise OutsideCallError(f"{where}: {e}") from None
        if ph and diplotype and gdef is not None:
            derived = GeneResult.outside_call(gene, diplotype=diplotype, catalog=catalog)
            if derived.phenotype not in (ph, "Indeterminate", "n/a"):
                notes.append(
                    f"the given phenotype {ph!r} differs from the catalog's for {diplotype} "
                    f"({derived.phenotype!r}); the given phenotype is used"
                )
        r.notes.extend(notes)
        results.append(r)
    return results
