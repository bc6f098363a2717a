"""Star-allele (diplotype) calling, phenotypes and drug guidance from a curated PGx catalog.

The catalog lives in ``resources/pgx/`` (see its README): genes, catalog positions (GRCh38, VCF
alleles), named-allele definitions, allele function / activity values, genotype-to-phenotype
rules and CPIC-based drug guidance written in our own words. :func:`load_catalog` reads and
validates it.

Calling follows the approach of PharmCAT's NamedAlleleMatcher for unphased data:

1. A named allele is a haplotype: the alleles it lists at its defining positions, and the GRCh38
   reference allele at every other catalog position of the gene ("assume reference"). A single
   IUPAC code (e.g. ``R``) in a definition accepts either base. Catalog positions without a
   genotype are removed from every definition; an allele whose defining positions are all
   missing cannot be called.
2. Every unordered pair of named alleles whose two haplotypes together reproduce the unphased
   genotype at each called position is a candidate diplotype.
3. A candidate's score is the sum of its two alleles' specificities: the number of called
   positions a definition specifies (all of them for the reference allele and for alleles whose
   definition is ``complete``; an IUPAC position counts only when the sample carries the
   non-reference base). All top-scoring candidates are returned, so an unresolved ambiguity is
   reported rather than hidden.

So an unphased double heterozygote for TPMT c.460G>A and c.719A>G is called *1/*3A (score
``n + 2``), not *3B/*3C (score 2), as PharmCAT does.

Each :class:`GeneResult` also lists the missing positions and whether genotyping each of them
could change the diplotype or the phenotype, alleles at catalog positions that match no defined
allele ("unknown allele"), and whether the gene was callable. A gene is *not callable* when none
of its positions, or fewer than ``min_called_fraction`` (default 0.5) of them, were genotyped,
or when no pair of catalog alleles explains the genotypes. For DPYD (``unphased_fallback`` =
``lowest_two`` in ``genes.tsv``) the last case is resolved as CPIC recommends for unphased
data: the two variant alleles of lowest activity are assumed to lie on different chromosomes.

Phenotypes come from the activity-score sum (CYP2C9, DPYD) or from the pair of allele functions
(the other genes); drugs are looked up by gene and phenotype (and activity score where the
guidance depends on it).

Examples
--------
>>> from holobiont.pgx import load_catalog, call_diplotypes
>>> cat = load_catalog()
>>> gt = {("chr10", 94781859): ("G", "A"), ("chr10", 94775367): ("A", "G")}
>>> gt.update({("chr10", p.pos): (p.ref, p.ref) for p in cat.genes["CYP2C19"].positions
...            if ("chr10", p.pos) not in gt and p.pos != 94842866})
>>> gt[("chr10", 94842866)] = ("G", "G")
>>> r = call_diplotypes(gt, cat, gene="CYP2C19")[0]
>>> r.diplotype, r.phenotype
('*1/*2', 'Intermediate Metabolizer')
"""

from __future__ import annotations

import argparse
import bisect
import csv
import json
import math
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

__all__ = [
    "DEFAULT_CATALOG",
    "IUPAC",
    "Allele",
    "Catalog",
    "CatalogError",
    "DrugGuidance",
    "GeneDefinition",
    "GeneResult",
    "MissingPosition",
    "PhenotypeRule",
    "Position",
    "UnmatchedVariant",
    "call_diplotypes",
    "genotypes_from_vcf",
    "load_catalog",
    "results_to_json",
    "write_results_tsv",
]

#: The catalog shipped with Holobiont.
DEFAULT_CATALOG = Path(__file__).resolve().parents[2] / "resources" / "pgx"

#: IUPAC nucleotide codes allowed (for SNVs) in allele definitions.
IUPAC = {
    "R": "AG",
    "Y": "CT",
    "S": "CG",
    "W": "AT",
    "K": "GT",
    "M": "AC",
    "B": "CGT",
    "D": "AGT",
    "H": "ACT",
    "V": "ACG",
    "N": "ACGT",
}
METHODS = ("activity_score", "function")
DEFINITIONS = ("reference", "complete", "partial")
FALLBACKS = ("none", "lowest_two")
#: Allele-function terms (CPIC) a phenotype rule may use besides the gene's own functions.
FUNCTION_TERMS = (
    "Normal function",
    "Increased function",
    "Decreased function",
    "No function",
    "Uncertain function",
    "Unknown function",
)
INDETERMINATE = "Indeterminate"
NOT_CALLED = "Not called"
_BASES = re.compile(r"^[ACGTN]+$")
_EPS = 1e-9


class CatalogError(ValueError):
    """An invalid PGx catalog; the message names the file, line and problem."""


# ---------------------------------------------------------------------------------------------
# catalog model


@dataclass(frozen=True)
class Position:
    """A catalog position: GRCh38 1-based ``pos``, VCF ``ref`` and the catalog's ``alts``."""

    gene: str
    chrom: str
    pos: int
    ref: str
    alts: tuple[str, ...]
    rsid: str

    @property
    def key(self) -> tuple[str, int]:
        return (self.chrom, self.pos)

    @property
    def label(self) -> str:
        """``chr10:94781859 (rs4244285)``."""
        rs = f" ({self.rsid})" if self.rsid not in ("", ".") else ""
        return f"{self.chrom}:{self.pos}{rs}"


@dataclass(frozen=True)
class Allele:
    """A named allele.

    Attributes
    ----------
    definition : str
        ``reference`` (the GRCh38 haplotype), ``complete`` (specifies every catalog position:
        the listed ``variants`` and the reference elsewhere) or ``partial`` (specifies only the
        listed positions; the reference is assumed elsewhere when matching).
    variants : dict
        Defining position -> non-reference VCF allele or single IUPAC code.
    aliases : tuple of str
        Other names of the allele (e.g. pypgx's ``rs9923231`` for VKORC1), accepted by
        :meth:`GeneDefinition.resolve`.
    activity : float or None
        Activity value (activity-score genes); None when ``n/a`` or not applicable.
    """

    gene: str
    name: str
    definition: str
    function: str
    activity: float | None
    variants: Mapping[int, str]
    aliases: tuple[str, ...] = ()

    @property
    def is_reference(self) -> bool:
        return self.definition == "reference"

    def options(self, position: Position) -> frozenset[str]:
        """Alleles this haplotype accepts at ``position``."""
        code = self.variants.get(position.pos)
        if code is None:
            return frozenset((position.ref,))
        if code in IUPAC and len(position.ref) == 1:
            return frozenset(IUPAC[code])
        return frozenset((code,))

    def weight(self, position: Position, observed: str) -> int:
        """Specificity contributed at ``position`` when the haplotype carries ``observed``."""
        if self.definition != "partial":
            return 1
        code = self.variants.get(position.pos)
        if code is None:
            return 0
        if code in IUPAC and len(position.ref) == 1 and observed == position.ref:
            return 0
        return 1


@dataclass(frozen=True)
class PhenotypeRule:
    """``functions`` (sorted pair) or an inclusive activity-score range -> ``phenotype``."""

    gene: str
    functions: tuple[str, str] | None
    activity_min: float | None
    activity_max: float | None
    phenotype: str


@dataclass(frozen=True)
class DrugGuidance:
    """Guidance for one drug given a gene's phenotype (and activity score, if set)."""

    gene: str
    phenotype: str
    activity_score: float | None
    drug: str
    guidance: str
    classification: str
    citation: str
    pmid: str

    def to_dict(self) -> dict:
        return {
            "gene": self.gene,
            "phenotype": self.phenotype,
            "activity_score": self.activity_score,
            "drug": self.drug,
            "guidance": self.guidance,
            "classification": self.classification,
            "citation": self.citation,
            "pmid": self.pmid,
        }


@dataclass(frozen=True)
class GeneDefinition:
    """A catalog gene with its positions, alleles, phenotype rules and drug guidance."""

    gene: str
    chrom: str
    start: int
    end: int
    strand: str
    method: str
    reference_allele: str
    unphased_fallback: str
    description: str
    positions: tuple[Position, ...]
    alleles: tuple[Allele, ...]
    rules: tuple[PhenotypeRule, ...]
    drugs: tuple[DrugGuidance, ...]

    def allele(self, name: str) -> Allele:
        """The allele called ``name`` (exact catalog name)."""
        for a in self.alleles:
            if a.name == name:
                return a
        raise KeyError(f"{self.gene} has no allele {name!r}")

    def resolve(self, name: str) -> Allele:
        """The allele called ``name`` or having it as an alias."""
        for a in self.alleles:
            if a.name == name or name in a.aliases:
                return a
        raise KeyError(f"{self.gene} has no allele or alias {name!r}")

    def diplotype_key(self, text: str) -> tuple[str, str]:
        """Canonical (sorted, catalog-named) form of a diplotype such as ``Reference/rs9923231``.

        Use it to compare diplotypes written with aliases or in either order.
        """
        parts = text.split("/")
        if len(parts) != 2:
            raise ValueError(f"{self.gene}: {text!r} is not a diplotype 'A/B'")
        a, b = (self.resolve(x.strip()) for x in parts)
        return _sorted_pair(self, a, b)

    @property
    def phenotypes(self) -> tuple[str, ...]:
        """Phenotypes the rules can produce (plus ``Indeterminate``)."""
        out = dict.fromkeys(r.phenotype for r in self.rules)
        out[INDETERMINATE] = None
        return tuple(out)


@dataclass(frozen=True)
class Catalog:
    """The validated PGx catalog: ``genes`` in file order, and the catalog ``version``."""

    version: str
    path: Path
    genes: Mapping[str, GeneDefinition]

    def positions(self) -> list[Position]:
        """All catalog positions, gene by gene."""
        return [p for g in self.genes.values() for p in g.positions]


# ---------------------------------------------------------------------------------------------
# catalog loading and validation


def _read_tsv(path: Path, columns: Sequence[str]) -> list[tuple[int, dict[str, str]]]:
    """Rows of a TSV with a header (``#`` comments and blank lines skipped), with line numbers."""
    if not path.is_file():
        raise CatalogError(f"{path}: file not found")
    rows: list[tuple[int, dict[str, str]]] = []
    header: list[str] | None = None
    with open(path, newline="", encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            line = line.rstrip("\r\n")
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.split("\t")
            if header is None:
                header = [f.strip() for f in fields]
                missing = [c for c in columns if c not in header]
                if missing:
                    raise CatalogError(f"{path.name} line {n}: missing column(s) {missing}")
                continue
            if len(fields) != len(header):
                raise CatalogError(
                    f"{path.name} line {n}: {len(fields)} fields, header has {len(header)}"
                )
            rows.append((n, {k: v.strip() for k, v in zip(header, fields, strict=True)}))
    if header is None:
        raise CatalogError(f"{path}: empty file")
    return rows


def _float(text: str, where: str, *, allow_na: bool = False) -> float | None:
    if text == "" or (allow_na and text.lower() == "n/a"):
        return None
    try:
        value = float(text)
    except ValueError:
        raise CatalogError(f"{where}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise CatalogError(f"{where}: {text!r} is not a finite number")
    return value


def load_catalog(path: str | PathLike = DEFAULT_CATALOG) -> Catalog:
    """Read and validate the PGx catalog directory.

    Parameters
    ----------
    path : str or path-like
        Directory holding ``VERSION``, ``genes.tsv``, ``positions.tsv``, ``alleles.tsv``,
        ``allele_definitions.tsv``, ``phenotypes.tsv`` and ``drugs.tsv``.

    Returns
    -------
    Catalog

    Raises
    ------
    CatalogError
        (a ``ValueError``) naming the file and line of the first problem: duplicate genes,
        positions or alleles; a position outside its gene's region or on another contig; an
        allele definition whose ref or rsID disagrees with ``positions.tsv`` or whose allele is
        not among the position's alts; identical allele definitions; an unknown function in a
        phenotype rule; guidance for a phenotype the rules cannot produce, ...
    """
    root = Path(path)
    version_file = root / "VERSION"
    if not version_file.is_file():
        raise CatalogError(f"{version_file}: file not found")
    version = version_file.read_text(encoding="utf-8").strip().splitlines()[0].strip()

    genes: dict[str, dict] = {}
    f = "genes.tsv"
    cols = ("gene", "chrom", "start", "end", "strand", "method", "reference_allele")
    for n, r in _read_tsv(root / f, (*cols, "unphased_fallback", "description")):
        where = f"{f} line {n}"
        g = r["gene"]
        if not g:
            raise CatalogError(f"{where}: empty gene")
        if g in genes:
            raise CatalogError(f"{where}: duplicate gene {g}")
        if not r["chrom"].startswith("chr"):
            raise CatalogError(f"{where}: chrom {r['chrom']!r} must use 'chr' names")
        start = _float(r["start"], where)
        end = _float(r["end"], where)
        if start is None or end is None or start < 1 or end < start or start % 1 or end % 1:
            raise CatalogError(f"{where}: bad region {r['start']}-{r['end']}")
        if r["strand"] not in ("+", "-"):
            raise CatalogError(f"{where}: strand must be + or -, not {r['strand']!r}")
        if r["method"] not in METHODS:
            raise CatalogError(f"{where}: method must be one of {METHODS}, not {r['method']!r}")
        fallback = r["unphased_fallback"] or "none"
        if fallback not in FALLBACKS:
            raise CatalogError(f"{where}: unphased_fallback must be one of {FALLBACKS}")
        if fallback == "lowest_two" and r["method"] != "activity_score":
            raise CatalogError(f"{where}: lowest_two needs method activity_score")
        genes[g] = dict(
            gene=g,
            chrom=r["chrom"],
            start=int(start),
            end=int(end),
            strand=r["strand"],
            method=r["method"],
            reference_allele=r["reference_allele"],
            unphased_fallback=fallback,
            description=r["description"],
            positions={},
            alleles={},
            variants={},
            rules=[],
            drugs=[],
            line=n,
        )

    def gene_of(where: str, name: str) -> dict:
        if name not in genes:
            raise CatalogError(f"{where}: unknown gene {name!r} (not in genes.tsv)")
        return genes[name]

    f = "positions.tsv"
    for n, r in _read_tsv(root / f, ("gene", "chrom", "pos", "ref", "alts", "rsid")):
        where = f"{f} line {n}"
        g = gene_of(where, r["gene"])
        pos = _float(r["pos"], where)
        if pos is None or pos % 1:
            raise CatalogError(f"{where}: bad position {r['pos']!r}")
        pos = int(pos)
        if r["chrom"] != g["chrom"]:
            raise CatalogError(f"{where}: {r['chrom']} is not {g['gene']}'s contig {g['chrom']}")
        if not g["start"] <= pos <= g["end"]:
            raise CatalogError(
                f"{where}: {r['chrom']}:{pos} is outside {g['gene']} "
                f"({g['chrom']}:{g['start']}-{g['end']})"
            )
        if pos in g["positions"]:
            raise CatalogError(f"{where}: duplicate position {r['chrom']}:{pos} in {g['gene']}")
        ref = r["ref"].upper()
        alts = tuple(a.strip().upper() for a in r["alts"].split(",") if a.strip())
        if not _BASES.match(ref):
            raise CatalogError(f"{where}: ref {r['ref']!r} is not a VCF allele")
        if not alts:
            raise CatalogError(f"{where}: no alts")
        for a in alts:
            if not _BASES.match(a) or a == ref:
                raise CatalogError(f"{where}: alt {a!r} is not a VCF allele different from ref")
            if a[0] != ref[0] and (len(a) != 1 or len(ref) != 1):
                raise CatalogError(f"{where}: indel {ref}>{a} lacks the VCF padding base")
        if len(set(alts)) != len(alts):
            raise CatalogError(f"{where}: duplicate alts {alts}")
        g["positions"][pos] = Position(g["gene"], r["chrom"], pos, ref, alts, r["rsid"] or ".")

    f = "alleles.tsv"
    for n, r in _read_tsv(root / f, ("gene", "allele", "definition", "function", "activity_value")):
        where = f"{f} line {n}"
        g = gene_of(where, r["gene"])
        name = r["allele"]
        if not name:
            raise CatalogError(f"{where}: empty allele name")
        if name in g["alleles"]:
            raise CatalogError(f"{where}: duplicate allele {g['gene']} {name}")
        if r["definition"] not in DEFINITIONS:
            raise CatalogError(f"{where}: definition must be one of {DEFINITIONS}")
        if not r["function"]:
            raise CatalogError(f"{where}: empty function for {g['gene']} {name}")
        activity = _float(r["activity_value"], where, allow_na=True)
        if g["method"] == "activity_score" and r["activity_value"] == "":
            raise CatalogError(f"{where}: {g['gene']} {name} needs an activity value (or n/a)")
        aliases = tuple(x.strip() for x in r.get("aliases", "").split(",") if x.strip())
        for alias in aliases:
            clash = [k for k, v in g["alleles"].items() if alias == k or alias in v["aliases"]]
            if clash or alias == name:
                raise CatalogError(f"{where}: alias {alias!r} of {name} is already used")
        g["alleles"][name] = dict(
            definition=r["definition"],
            function=r["function"],
            activity=activity,
            aliases=aliases,
            line=n,
        )
        g["variants"][name] = {}

    f = "allele_definitions.tsv"
    for n, r in _read_tsv(root / f, ("gene", "allele", "chrom", "pos", "rsid", "ref", "alt")):
        where = f"{f} line {n}"
        g = gene_of(where, r["gene"])
        name = r["allele"]
        if name not in g["alleles"]:
            raise CatalogError(f"{where}: allele {g['gene']} {name} is not in alleles.tsv")
        if g["alleles"][name]["definition"] == "reference":
            raise CatalogError(f"{where}: the reference allele {name} takes no definition rows")
        pos = _float(r["pos"], where)
        if pos is None or pos % 1:
            raise CatalogError(f"{where}: bad position {r['pos']!r}")
        pos = int(pos)
        if r["chrom"] != g["chrom"] or not g["start"] <= pos <= g["end"]:
            raise CatalogError(
                f"{where}: {r['chrom']}:{pos} is outside {g['gene']} "
                f"({g['chrom']}:{g['start']}-{g['end']})"
            )
        p = g["positions"].get(pos)
        if p is None:
            raise CatalogError(f"{where}: {r['chrom']}:{pos} is not a {g['gene']} position")
        if r["ref"].upper() != p.ref:
            raise CatalogError(
                f"{where}: ref {r['ref']} at {p.label} is inconsistent with positions.tsv ({p.ref})"
            )
        if (r["rsid"] or ".") != p.rsid:
            raise CatalogError(
                f"{where}: rsID {r['rsid']} at {p.chrom}:{pos} disagrees with positions.tsv "
                f"({p.rsid})"
            )
        alt = r["alt"].upper()
        if alt in IUPAC and len(p.ref) == 1:
            bases = set(IUPAC[alt])
            if not bases <= {p.ref, *p.alts} or bases == {p.ref}:
                raise CatalogError(f"{where}: code {alt} at {p.label} is not ref/alt {p.alts}")
        elif alt == p.ref:
            raise CatalogError(f"{where}: {name} lists the reference allele at {p.label}")
        elif alt not in p.alts:
            raise CatalogError(f"{where}: {alt} is not an alt of {p.label} {p.alts}")
        if pos in g["variants"][name]:
            raise CatalogError(f"{where}: duplicate definition of {name} at {p.label}")
        g["variants"][name][pos] = alt

    f = "phenotypes.tsv"
    cols = ("gene", "function_1", "function_2", "activity_min", "activity_max", "phenotype")
    for n, r in _read_tsv(root / f, cols):
        where = f"{f} line {n}"
        g = gene_of(where, r["gene"])
        if not r["phenotype"]:
            raise CatalogError(f"{where}: empty phenotype")
        if g["method"] == "activity_score":
            lo = _float(r["activity_min"], where)
            hi = _float(r["activity_max"], where)
            if lo is None or hi is None or hi < lo or r["function_1"] or r["function_2"]:
                raise CatalogError(f"{where}: {g['gene']} rules need activity_min <= activity_max")
            for other in g["rules"]:
                if lo <= other.activity_max + _EPS and other.activity_min <= hi + _EPS:
                    raise CatalogError(f"{where}: activity range overlaps another rule")
            g["rules"].append(PhenotypeRule(g["gene"], None, lo, hi, r["phenotype"]))
        else:
            functions = {a["function"] for a in g["alleles"].values()} | set(FUNCTION_TERMS)
            pair = (r["function_1"], r["function_2"])
            if r["activity_min"] or r["activity_max"] or not all(pair):
                raise CatalogError(f"{where}: {g['gene']} rules need function_1 and function_2")
            for fn in pair:
                if fn not in functions:
                    raise CatalogError(f"{where}: unknown function {fn!r} for {g['gene']}")
            key = tuple(sorted(pair))
            if any(other.functions == key for other in g["rules"]):
                raise CatalogError(f"{where}: duplicate rule for {key}")
            g["rules"].append(PhenotypeRule(g["gene"], key, None, None, r["phenotype"]))

    f = "drugs.tsv"
    cols = ("gene", "phenotype", "activity_score", "drug", "guidance", "classification")
    seen: set[tuple] = set()
    for n, r in _read_tsv(root / f, (*cols, "citation", "pmid")):
        where = f"{f} line {n}"
        g = gene_of(where, r["gene"])
        known = {rule.phenotype for rule in g["rules"]}
        if r["phenotype"] not in known:
            raise CatalogError(f"{where}: {g['gene']} rules never produce {r['phenotype']!r}")
        score = _float(r["activity_score"], where)
        if score is not None and g["method"] != "activity_score":
            raise CatalogError(f"{where}: activity_score given for function-based {g['gene']}")
        if not r["drug"] or not r["guidance"]:
            raise CatalogError(f"{where}: empty drug or guidance")
        if r["pmid"] and not r["pmid"].isdigit():
            raise CatalogError(f"{where}: PMID {r['pmid']!r} is not numeric")
        key = (g["gene"], r["phenotype"], score, r["drug"].lower())
        if key in seen:
            raise CatalogError(f"{where}: duplicate guidance for {key}")
        seen.add(key)
        g["drugs"].append(
            DrugGuidance(
                g["gene"],
                r["phenotype"],
                score,
                r["drug"],
                r["guidance"],
                r["classification"],
                r["citation"],
                r["pmid"],
            )
        )

    built: dict[str, GeneDefinition] = {}
    for g in genes.values():
        where = f"genes.tsv line {g['line']}"
        if not g["positions"]:
            raise CatalogError(f"{where}: {g['gene']} has no positions in positions.tsv")
        refs = [k for k, a in g["alleles"].items() if a["definition"] == "reference"]
        if refs != [g["reference_allele"]]:
            raise CatalogError(
                f"{where}: {g['gene']} needs exactly one reference allele in alleles.tsv, named "
                f"{g['reference_allele']!r} (found {refs})"
            )
        alleles = []
        definitions: dict[tuple, str] = {}
        for name, a in g["alleles"].items():
            variants = dict(sorted(g["variants"][name].items()))
            if a["definition"] != "reference" and not variants:
                raise CatalogError(
                    f"alleles.tsv line {a['line']}: {g['gene']} {name} has no definition rows"
                )
            key = tuple(variants.items())
            if key in definitions:
                raise CatalogError(
                    f"alleles.tsv line {a['line']}: {g['gene']} {name} has the same definition "
                    f"as {definitions[key]}"
                )
            definitions[key] = name
            if name in {x for v in g["alleles"].values() for x in v["aliases"]}:
                raise CatalogError(f"alleles.tsv line {a['line']}: {name} is another's alias")
            alleles.append(
                Allele(
                    g["gene"],
                    name,
                    a["definition"],
                    a["function"],
                    a["activity"],
                    variants,
                    a["aliases"],
                )
            )
        used: dict[int, set[str]] = {p: set() for p in g["positions"]}
        for a in alleles:
            for pos, code in a.variants.items():
                ref = g["positions"][pos].ref
                used[pos] |= set(IUPAC[code]) - {ref} if code in IUPAC and len(ref) == 1 else {code}
        for pos, p in g["positions"].items():
            unused = set(p.alts) - used[pos]
            if unused:
                raise CatalogError(
                    f"positions.tsv: {g['gene']} {p.label} alt(s) {sorted(unused)} define no allele"
                )
        positions = tuple(sorted(g["positions"].values(), key=lambda p: p.pos))
        built[g["gene"]] = GeneDefinition(
            gene=g["gene"],
            chrom=g["chrom"],
            start=g["start"],
            end=g["end"],
            strand=g["strand"],
            method=g["method"],
            reference_allele=g["reference_allele"],
            unphased_fallback=g["unphased_fallback"],
            description=g["description"],
            positions=positions,
            alleles=tuple(alleles),
            rules=tuple(g["rules"]),
            drugs=tuple(g["drugs"]),
        )
    return Catalog(version=version, path=root, genes=built)


# ---------------------------------------------------------------------------------------------
# results


@dataclass(frozen=True)
class MissingPosition:
    """A catalog position without a usable genotype and what genotyping it could change.

    ``alleles`` are the catalog alleles defined there. ``changes_diplotype`` /
    ``changes_phenotype`` say whether some genotype at this position (each pair of the
    reference and the alleles the catalog defines there, other missing positions staying
    missing) would give a different top diplotype set / phenotype. Genotypes that no catalog
    pair can explain are not counted. For genes that are not called both are True.
    """

    chrom: str
    pos: int
    rsid: str
    alleles: tuple[str, ...]
    changes_diplotype: bool
    changes_phenotype: bool

    def to_dict(self) -> dict:
        return {
            "chrom": self.chrom,
            "pos": self.pos,
            "rsid": self.rsid,
            "alleles": list(self.alleles),
            "changes_diplotype": self.changes_diplotype,
            "changes_phenotype": self.changes_phenotype,
        }


@dataclass(frozen=True)
class UnmatchedVariant:
    """An allele seen at a catalog position that no catalog allele defines."""

    chrom: str
    pos: int
    rsid: str
    ref: str
    allele: str
    genotype: tuple[str, ...]

    @property
    def message(self) -> str:
        return (
            f"novel/unknown allele {self.allele} at {self.chrom}:{self.pos}"
            + (f" ({self.rsid})" if self.rsid not in ("", ".") else "")
            + f"; catalog ref {self.ref}"
        )

    def to_dict(self) -> dict:
        return {
            "chrom": self.chrom,
            "pos": self.pos,
            "rsid": self.rsid,
            "ref": self.ref,
            "allele": self.allele,
            "genotype": "/".join(self.genotype),
            "message": self.message,
        }


@dataclass
class GeneResult:
    """The call for one gene.

    Attributes
    ----------
    status : str
        ``called``, ``no_data`` (no position genotyped), ``insufficient_data`` (fewer than
        ``min_called_fraction`` of the positions genotyped) or ``no_match`` (no pair of catalog
        alleles explains the genotypes).
    callable : bool
        True when a diplotype was assigned (``status == "called"``); ``reason`` says why not.
    diplotypes : list of tuple
        All top-scoring (allele, allele) pairs; more than one means an unresolved ambiguity.
    phenotype : str
        The phenotype shared by all top diplotypes, ``Indeterminate`` when they disagree, when an
        allele has unknown function or when an unknown allele was seen, ``Not called`` otherwise.
    possible_phenotypes : list of str
        The phenotypes of the top diplotypes (assuming unknown alleles are neutral).
    activity_score : float or None
        Activity score (activity-score genes) when unambiguous.
    confidence : str
        ``high``, ``moderate`` (ambiguous diplotype with one phenotype, or a missing position
        that could change the phenotype), ``low`` (ambiguous phenotype, unknown allele, or the
        DPYD lowest-two rule) or ``none`` (not called).
    notes : list of str
        Human-readable explanations of everything that lowered the confidence.
    drugs : list of DrugGuidance
        Guidance for the phenotype (for each possible phenotype when ambiguous).
    """

    gene: str
    status: str
    callable: bool
    reason: str
    diplotypes: list[tuple[str, str]]
    phenotype: str
    possible_phenotypes: list[str]
    activity_score: float | None
    confidence: str
    notes: list[str]
    missing_positions: list[MissingPosition]
    unmatched_variants: list[UnmatchedVariant]
    n_positions: int
    n_called: int
    score: int | None
    drugs: list[DrugGuidance] = field(default_factory=list)

    @property
    def diplotype(self) -> str:
        """``*1/*2``; alternatives joined by `` or ``; empty when not called."""
        return " or ".join(f"{a}/{b}" for a, b in self.diplotypes)

    def to_dict(self) -> dict:
        return {
            "gene": self.gene,
            "status": self.status,
            "callable": self.callable,
            "reason": self.reason,
            "diplotype": self.diplotype,
            "diplotypes": [f"{a}/{b}" for a, b in self.diplotypes],
            "phenotype": self.phenotype,
            "possible_phenotypes": list(self.possible_phenotypes),
            "activity_score": self.activity_score,
            "confidence": self.confidence,
            "notes": list(self.notes),
            "n_positions": self.n_positions,
            "n_called": self.n_called,
            "score": self.score,
            "missing_positions": [m.to_dict() for m in self.missing_positions],
            "unmatched_variants": [u.to_dict() for u in self.unmatched_variants],
            "drugs": [d.to_dict() for d in self.drugs],
        }


# ---------------------------------------------------------------------------------------------
# genotype normalisation


def _catalog_allele(p: Position, allele: str) -> str | None:
    """``allele`` (VCF allele relative to the catalog REF) as a catalog allele, None if unknown."""
    a = allele.upper()
    return a if a == p.ref or a in p.alts else None


def _parse_genotype(value) -> tuple[str, ...] | None:
    """A genotype value -> tuple of allele strings, or None when (partly) not called."""
    if value is None:
        return None
    if isinstance(value, str):
        value = re.split(r"[/|]", value.strip())
    alleles = tuple(value)
    if not alleles or len(alleles) > 2:
        return None
    out = []
    for a in alleles:
        if a is None:
            return None
        a = str(a).strip()
        if a in ("", ".", "-"):
            return None
        out.append(a)
    if len(out) == 1:
        out = out * 2
    return tuple(out)


def _lookup(genotypes: Mapping, p: Position):
    for key in (p.key, (p.chrom.removeprefix("chr"), p.pos), f"{p.chrom}:{p.pos}"):
        if key in genotypes:
            return genotypes[key]
    return None


# ---------------------------------------------------------------------------------------------
# matching


def _natural_key(gdef: GeneDefinition, name: str) -> tuple[int, int, str, int]:
    index = next(i for i, a in enumerate(gdef.alleles) if a.name == name)
    m = re.match(r"^\*(\d+)(.*)$", name)
    if m:
        return (1, int(m.group(1)), m.group(2), index)
    return (0 if name == gdef.reference_allele else 2, 0, "", index)


def _best_pairs(
    gdef: GeneDefinition, observed: Mapping[int, tuple[str, str]]
) -> tuple[int | None, list[tuple[Allele, Allele]]]:
    """Top-scoring consistent allele pairs at the ``observed`` positions."""
    positions = [p for p in gdef.positions if p.pos in observed]
    if not positions:
        return None, []
    candidates = [
        a
        for a in gdef.alleles
        if a.definition != "partial" or any(pos in observed for pos in a.variants)
    ]
    options = {a.name: [a.options(p) for p in positions] for a in candidates}
    best: int | None = None
    pairs: list[tuple[Allele, Allele]] = []
    for i, a in enumerate(candidates):
        for b in candidates[i:]:
            total = 0
            for k, p in enumerate(positions):
                g1, g2 = observed[p.pos]
                oa, ob = options[a.name][k], options[b.name][k]
                site = -1
                for x, y in ((g1, g2), (g2, g1)):
                    if x in oa and y in ob:
                        site = max(site, a.weight(p, x) + b.weight(p, y))
                if site < 0:
                    break
                total += site
            else:
                if best is None or total > best:
                    best, pairs = total, [(a, b)]
                elif total == best:
                    pairs.append((a, b))
    return best, pairs


def _phenotype(gdef: GeneDefinition, a: Allele, b: Allele) -> tuple[str, float | None]:
    if gdef.method == "activity_score":
        if a.activity is None or b.activity is None:
            return INDETERMINATE, None
        score = round(a.activity + b.activity, 6)
        for rule in gdef.rules:
            if rule.activity_min - _EPS <= score <= rule.activity_max + _EPS:
                return rule.phenotype, score
        return INDETERMINATE, score
    key = tuple(sorted((a.function, b.function)))
    for rule in gdef.rules:
        if rule.functions == key:
            return rule.phenotype, None
    return INDETERMINATE, None


def _lowest_two(
    gdef: GeneDefinition, observed: Mapping[int, tuple[str, str]]
) -> tuple[list[Allele], list[Allele]] | None:
    """CPIC rule for unphased DPYD: the two lowest-activity variant alleles, or None."""
    by_pos = {p.pos: p for p in gdef.positions}
    copies: dict[str, int] = {}
    for a in gdef.alleles:
        if a.is_reference:
            continue
        defined = [pos for pos in a.variants if pos in observed]
        if not defined:
            continue
        n = min(
            sum(1 for x in observed[pos] if x in a.options(by_pos[pos]) and x != by_pos[pos].ref)
            for pos in defined
        )
        if n:
            copies[a.name] = n
    # an allele whose definition is contained in a present allele's is counted only for the
    # copies the larger allele does not explain (c.1129-5923C>G vs HapB3)
    for a in gdef.alleles:
        if a.name not in copies:
            continue
        for b in gdef.alleles:
            if b is a or b.name not in copies:
                continue
            if set(a.variants.items()) < set(b.variants.items()):
                copies[a.name] = max(0, copies[a.name] - copies[b.name])
    present = [a for a in gdef.alleles if copies.get(a.name, 0) > 0]
    # every non-reference allele observed must belong to a present allele
    for pos, gt in observed.items():
        p = by_pos[pos]
        for x in gt:
            if x != p.ref and not any(pos in a.variants and x in a.options(p) for a in present):
                return None
    expanded = [a for a in present for _ in range(copies[a.name])]
    ref = gdef.allele(gdef.reference_allele)
    while len(expanded) < 2:
        expanded.append(ref)
    if any(a.activity is None for a in expanded):
        return None
    ordered = sorted(expanded, key=lambda a: a.activity)
    return ordered[:2], present


def _match(
    gdef: GeneDefinition, observed: Mapping[int, tuple[str, str]]
) -> tuple[int | None, list[tuple[Allele, Allele]], bool]:
    """Diplotypes for ``observed``: (score, pairs, used_fallback)."""
    score, pairs = _best_pairs(gdef, observed)
    if pairs or gdef.unphased_fallback != "lowest_two" or not observed:
        return score, pairs, False
    fb = _lowest_two(gdef, observed)
    if fb is None:
        return score, pairs, False
    (a, b), _ = fb
    return None, [(a, b)], True


def _sorted_pair(gdef: GeneDefinition, a: Allele, b: Allele) -> tuple[str, str]:
    x, y = sorted((a.name, b.name), key=lambda n: _natural_key(gdef, n))
    return (x, y)


def _what_if(
    gdef: GeneDefinition,
    observed: dict[int, tuple[str, str]],
    p: Position,
    pairs: list[tuple[Allele, Allele]],
) -> tuple[bool, bool]:
    """Could genotyping the missing position ``p`` change the diplotype / the phenotype?"""
    current = {_sorted_pair(gdef, a, b) for a, b in pairs}
    current_ph = {_phenotype(gdef, a, b) for a, b in pairs}
    choices = {p.ref}
    for a in gdef.alleles:
        if p.pos in a.variants:
            choices |= a.options(p)
    changes_dip = changes_ph = False
    ordered = sorted(choices)
    for i, x in enumerate(ordered):
        for y in ordered[i:]:
            trial = dict(observed)
            trial[p.pos] = (x, y)
            _, new_pairs, _ = _match(gdef, trial)
            if not new_pairs:
                continue
            if {_sorted_pair(gdef, a, b) for a, b in new_pairs} != current:
                changes_dip = True
            if {_phenotype(gdef, a, b) for a, b in new_pairs} != current_ph:
                changes_ph = True
    return changes_dip, changes_ph


def _drugs_for(gdef: GeneDefinition, phenotype: str, score: float | None) -> list[DrugGuidance]:
    out = []
    for d in gdef.drugs:
        if d.phenotype != phenotype:
            continue
        if d.activity_score is not None and (score is None or abs(d.activity_score - score) > _EPS):
            continue
        out.append(d)
    return out


def _call_gene(gdef: GeneDefinition, genotypes: Mapping, min_called_fraction: float) -> GeneResult:
    observed: dict[int, tuple[str, str]] = {}
    missing: list[Position] = []
    unmatched: list[UnmatchedVariant] = []
    excluded: list[Position] = []
    for p in gdef.positions:
        gt = _parse_genotype(_lookup(genotypes, p))
        if gt is None:
            missing.append(p)
            continue
        mapped = tuple(_catalog_allele(p, a) for a in gt)
        if any(m is None for m in mapped):
            for a, m in zip(gt, mapped, strict=True):
                if m is None:
                    unmatched.append(UnmatchedVariant(p.chrom, p.pos, p.rsid, p.ref, a, gt))
            excluded.append(p)
            continue
        observed[p.pos] = (mapped[0], mapped[1])

    n_pos = len(gdef.positions)
    n_called = n_pos - len(missing)
    notes: list[str] = [u.message for u in unmatched]

    def not_called(status: str, reason: str, score=None) -> GeneResult:
        return GeneResult(
            gene=gdef.gene,
            status=status,
            callable=False,
            reason=reason,
            diplotypes=[],
            phenotype=NOT_CALLED,
            possible_phenotypes=[],
            activity_score=None,
            confidence="none",
            notes=[*notes, reason],
            missing_positions=[
                MissingPosition(
                    p.chrom,
                    p.pos,
                    p.rsid,
                    _alleles_at(gdef, p),
                    changes_diplotype=True,
                    changes_phenotype=True,
                )
                for p in [*missing, *excluded]
            ],
            unmatched_variants=unmatched,
            n_positions=n_pos,
            n_called=n_called,
            score=score,
        )

    if n_called == 0:
        return not_called("no_data", f"none of the {n_pos} {gdef.gene} positions was genotyped")
    if n_called < min_called_fraction * n_pos - _EPS:
        return not_called(
            "insufficient_data",
            f"only {n_called} of {n_pos} {gdef.gene} positions genotyped "
            f"(< {min_called_fraction:.0%})",
        )
    score, pairs, fallback = _match(gdef, observed)
    if not pairs:
        return not_called(
            "no_match",
            "no pair of catalog alleles explains the genotypes (novel haplotype or allele "
            "combination not in the catalog)",
        )

    diplotypes = sorted(
        {_sorted_pair(gdef, a, b) for a, b in pairs},
        key=lambda d: [_natural_key(gdef, n) for n in d],
    )
    calls = {_phenotype(gdef, a, b) for a, b in pairs}
    phenos = sorted({ph for ph, _ in calls})
    scores = {s for _, s in calls}
    confidence = "high"
    if fallback:
        present = _lowest_two(gdef, observed)[1]
        notes.append(
            f"unphased {gdef.gene} data carry {len(present)} variant alleles "
            f"({', '.join(a.name for a in present)}); as CPIC recommends, the two of lowest "
            "activity are assumed to lie on different chromosomes"
        )
        confidence = "low"
    if len(diplotypes) > 1:
        notes.append(
            f"ambiguous diplotype: {' or '.join('/'.join(d) for d in diplotypes)} fit the "
            "unphased genotypes equally well"
        )
        confidence = "moderate" if confidence == "high" else confidence

    missing_info = []
    for p in [*missing, *excluded]:
        dip, ph = _what_if(gdef, observed, p, pairs)
        missing_info.append(MissingPosition(p.chrom, p.pos, p.rsid, _alleles_at(gdef, p), dip, ph))
    if missing:
        labels = ", ".join(p.label for p in missing)
        notes.append(f"{len(missing)} of {n_pos} positions not genotyped: {labels}")
    if any(m.changes_phenotype for m in missing_info):
        notes.append("a missing position could change the phenotype")
        confidence = "moderate" if confidence == "high" else confidence

    phenotype = phenos[0] if len(phenos) == 1 else INDETERMINATE
    activity = next(iter(scores)) if len(scores) == 1 else None
    if len(phenos) > 1:
        notes.append(f"the possible diplotypes differ in phenotype: {' or '.join(phenos)}")
        confidence = "low"
    if unmatched:
        notes.append(
            "phenotype set to Indeterminate: the function of the haplotype carrying the unknown "
            "allele is unknown (the diplotype ignores that position)"
        )
        phenotype, activity, confidence = INDETERMINATE, None, "low"
    drugs: list[DrugGuidance] = []
    if not unmatched:
        for ph, s in sorted(calls, key=lambda c: (c[0], c[1] if c[1] is not None else -1)):
            for d in _drugs_for(gdef, ph, s):
                if d not in drugs:
                    drugs.append(d)
    return GeneResult(
        gene=gdef.gene,
        status="called",
        callable=True,
        reason="",
        diplotypes=diplotypes,
        phenotype=phenotype,
        possible_phenotypes=phenos,
        activity_score=activity,
        confidence=confidence,
        notes=notes,
        missing_positions=missing_info,
        unmatched_variants=unmatched,
        n_positions=n_pos,
        n_called=n_called,
        score=score,
        drugs=drugs,
    )


def _alleles_at(gdef: GeneDefinition, p: Position) -> tuple[str, ...]:
    return tuple(a.name for a in gdef.alleles if p.pos in a.variants)


def call_diplotypes(
    genotypes: Mapping,
    catalog: Catalog,
    *,
    gene: str | Iterable[str] | None = None,
    min_called_fraction: float = 0.5,
) -> list[GeneResult]:
    """Call diplotypes, phenotypes and drug guidance for catalog genes.

    Parameters
    ----------
    genotypes : mapping
        ``(chrom, pos) -> genotype`` at catalog positions (``"chr10:94781859"`` and chromosome
        names without ``chr`` are accepted as keys too). A genotype is a pair of VCF allele
        strings expressed against the catalog REF of that position, e.g. ``("G", "A")``, or a
        string ``"G/A"``; ``None``, ``"./."`` or a partly missing call mean *not called*, and
        so do positions absent from the mapping. Phase is ignored.
    catalog : Catalog
        From :func:`load_catalog`.
    gene : str or iterable of str, optional
        Restrict to these genes (default: every catalog gene, in catalog order).
    min_called_fraction : float
        A gene with fewer genotyped positions than this fraction is not callable.

    Returns
    -------
    list of GeneResult
    """
    if not 0 <= min_called_fraction <= 1:
        raise ValueError(f"min_called_fraction must be in [0, 1], got {min_called_fraction}")
    if gene is None:
        names = list(catalog.genes)
    else:
        names = [gene] if isinstance(gene, str) else list(gene)
        unknown = [g for g in names if g not in catalog.genes]
        if unknown:
            raise ValueError(f"gene(s) {unknown} not in the catalog ({list(catalog.genes)})")
    return [_call_gene(catalog.genes[g], genotypes, min_called_fraction) for g in names]


# ---------------------------------------------------------------------------------------------
# VCF input


def express_allele(p: Position, vcf_ref: str, allele: str) -> str:
    """A VCF allele (of a record with REF ``vcf_ref`` at ``p.pos``) against the catalog REF."""
    vcf_ref = vcf_ref.upper()
    allele = allele.upper()
    if allele == vcf_ref:
        return p.ref
    if allele.startswith("<") or allele in ("*", "."):
        return f"{vcf_ref}>{allele}"
    if vcf_ref == p.ref:
        return allele
    if p.ref.startswith(vcf_ref):
        return allele + p.ref[len(vcf_ref) :]
    if vcf_ref.startswith(p.ref):
        extra = vcf_ref[len(p.ref) :]
        if allele.endswith(extra) and len(allele) > len(extra):
            return allele[: len(allele) - len(extra)]
        return f"{vcf_ref}>{allele}"
    raise ValueError(
        f"reference mismatch at {p.label}: VCF REF {vcf_ref}, catalog GRCh38 REF {p.ref} "
        "(is the VCF on GRCh38?)"
    )


def _is_ref_block(rec) -> bool:
    alts = rec.alts or ()
    return all(a in ("<NON_REF>", "<*>", ".") for a in alts)


def _genotype_at(p: Position, records: list, sample: str) -> tuple[str, ...] | None:
    calls: list[tuple[str, ...]] = []
    for rec in records:
        gt = rec.samples[sample].get("GT")
        if gt is None or len(gt) == 0 or any(g is None for g in gt):
            continue
        if rec.pos != p.pos:
            # a record starting upstream that overlaps the position
            if _is_ref_block(rec) and all(g == 0 for g in gt):
                calls.append((p.ref,) * len(gt))
            elif any(g != 0 for g in gt) and not _is_ref_block(rec):
                span = f"{rec.ref}>{','.join(rec.alts or ())}@{rec.pos}"
                calls.append(tuple(p.ref if g == 0 else span for g in gt))
            continue
        calls.append(tuple(express_allele(p, rec.ref, rec.alleles[g]) for g in gt))
    return combine_calls(p, calls)


def combine_calls(p: Position, calls: list[tuple[str, ...]]) -> tuple[str, ...] | None:
    """One genotype at ``p`` from the calls of the VCF records there (alleles expressed
    against the catalog REF by :func:`express_allele`).

    A reference call and a variant call (e.g. bcftools' SNV-style record next to an indel
    record) give the variant; two heterozygous records of a split multi-allelic site give one
    compound genotype; anything else conflicting, or no call, gives ``None`` (not called).
    Haploid calls are doubled.
    """
    if not calls:
        return None
    calls = [c * 2 if len(c) == 1 else c for c in calls]
    variant = [c for c in calls if any(a != p.ref for a in c)]
    if not variant:
        return calls[0]
    if len(variant) == 1:
        return variant[0]
    # split multi-allelic records: two heterozygous records make one compound genotype
    alts = [a for c in variant for a in c if a != p.ref]
    if len(variant) == 2 and len(alts) == 2:
        return (alts[0], alts[1])
    return None


def genotypes_from_vcf(
    path: str | PathLike,
    catalog: Catalog,
    *,
    sample: str | None = None,
    genes: Iterable[str] | None = None,
) -> dict[tuple[str, int], tuple[str, ...] | None]:
    """Genotypes at the catalog positions of one VCF sample.

    Positions absent from the VCF are *not called* (``None``): the pipeline writes an explicit
    ``0/0`` wherever the sample is covered. Alleles are re-expressed against the catalog REF
    (records may use a shorter or longer REF, e.g. a split multi-allelic indel); alleles that
    cannot be expressed, ``*`` and symbolic alleles come back as ``"REF>ALT"`` text, which
    :func:`call_diplotypes` reports as unknown alleles. Overlapping gVCF reference blocks count
    as ``0/0``. Chromosome names with or without ``chr`` are accepted. Indels must be
    left-aligned and normalised (``bcftools norm``) to be recognised.

    Parameters
    ----------
    path : str or path-like
        VCF/BCF, plain or bgzipped (indexed or not).
    catalog : Catalog
    sample : str, optional
        Required when the VCF has several samples.
    genes : iterable of str, optional
        Restrict to these genes.

    Returns
    -------
    dict
        ``(chrom, pos) -> tuple of catalog allele strings or None``.

    Raises
    ------
    ValueError
        If the sample is missing/ambiguous or a record's REF contradicts GRCh38.
    """
    import pysam

    wanted = list(catalog.genes) if genes is None else list(genes)
    positions = [p for g in wanted for p in catalog.genes[g].positions]
    with pysam.VariantFile(str(path)) as vf:
        samples = list(vf.header.samples)
        if sample is None:
            if len(samples) != 1:
                raise ValueError(f"{path}: {len(samples)} samples {samples}; pass sample=")
            sample = samples[0]
        elif sample not in samples:
            raise ValueError(f"{path}: sample {sample!r} not in {samples}")
        contigs = set(vf.header.contigs)

        def contig_of(chrom: str) -> str | None:
            for c in (chrom, chrom.removeprefix("chr")):
                if c in contigs:
                    return c
            return None

        records: dict[tuple[str, int], list] = {p.key: [] for p in positions}
        indexed = vf.index is not None
        if indexed:
            for p in positions:
                c = contig_of(p.chrom)
                if c is None:
                    continue
                for rec in vf.fetch(c, p.pos - 1, p.pos):
                    records[p.key].append(rec)
        else:
            by_chrom: dict[str, list[int]] = {}
            for p in positions:
                by_chrom.setdefault(p.chrom, []).append(p.pos)
            for v in by_chrom.values():
                v.sort()
            for rec in vf.fetch():
                chrom = rec.chrom if rec.chrom.startswith("chr") else f"chr{rec.chrom}"
                plist = by_chrom.get(chrom)
                if not plist:
                    continue
                i = bisect.bisect_left(plist, rec.pos)
                while i < len(plist) and plist[i] <= rec.stop:
                    records[(chrom, plist[i])].append(rec)
                    i += 1
        return {p.key: _genotype_at(p, records[p.key], sample) for p in positions}


# ---------------------------------------------------------------------------------------------
# output


def results_to_json(results: Sequence[GeneResult], catalog: Catalog, **extra) -> str:
    """JSON text of the results with the catalog version (and any ``extra`` top-level keys)."""
    doc = {**extra, "catalog_version": catalog.version, "genes": [r.to_dict() for r in results]}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def write_results_tsv(results: Sequence[GeneResult], path: str | PathLike) -> None:
    """One row per gene: diplotype, phenotype, activity score, confidence, notes."""
    cols = [
        "gene",
        "status",
        "diplotype",
        "phenotype",
        "activity_score",
        "confidence",
        "n_called",
        "n_positions",
        "missing_positions",
        "unmatched_variants",
        "drugs",
        "notes",
    ]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter="\t", lineterminator="\n")
        w.writerow(cols)
        for r in results:
            w.writerow(
                [
                    r.gene,
                    r.status,
                    r.diplotype,
                    r.phenotype,
                    "" if r.activity_score is None else f"{r.activity_score:g}",
                    r.confidence,
                    r.n_called,
                    r.n_positions,
                    ",".join(f"{m.chrom}:{m.pos}" for m in r.missing_positions),
                    ",".join(f"{u.chrom}:{u.pos}:{u.allele}" for u in r.unmatched_variants),
                    ",".join(dict.fromkeys(d.drug for d in r.drugs)),
                    " | ".join(r.notes).replace("\t", " "),
                ]
            )


def call_vcf(
    vcf: str | PathLike,
    *,
    catalog: Catalog | str | PathLike = DEFAULT_CATALOG,
    sample: str | None = None,
    min_called_fraction: float = 0.5,
    json_out: str | PathLike | None = None,
    tsv_out: str | PathLike | None = None,
    extra: Mapping | None = None,
) -> tuple[list[GeneResult], str]:
    """Call every catalog gene from one VCF sample; optionally write the JSON and TSV.

    Returns the results and their JSON text (with ``extra`` top-level keys, e.g. the
    pseudonymous patient ID).
    """
    cat = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
    gts = genotypes_from_vcf(vcf, cat, sample=sample)
    results = call_diplotypes(gts, cat, min_called_fraction=min_called_fraction)
    text = results_to_json(results, cat, **dict(extra or {}))
    if json_out:
        Path(json_out).write_text(text, encoding="utf-8")
    if tsv_out:
        write_results_tsv(results, tsv_out)
    return results, text


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m holobiont.pgx VCF [--sample S] [--json OUT] [--tsv OUT]``."""
    ap = argparse.ArgumentParser(prog="python -m holobiont.pgx", description=main.__doc__)
    ap.add_argument("vcf")
    ap.add_argument("--sample")
    ap.add_argument("--catalog", default=str(DEFAULT_CATALOG))
    ap.add_argument("--min-called-fraction", type=float, default=0.5)
    ap.add_argument("--json", help="write the full results as JSON here (default: stdout)")
    ap.add_argument("--tsv", help="also write a one-row-per-gene summary TSV here")
    args = ap.parse_args(argv)
    text = call_vcf(
        args.vcf,
        catalog=args.catalog,
        sample=args.sample,
        min_called_fraction=args.min_called_fraction,
        json_out=args.json,
        tsv_out=args.tsv,
        extra={"sample": args.sample, "vcf": str(args.vcf)},
    )[1]
    if not args.json:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
