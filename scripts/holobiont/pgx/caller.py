"""Per-gene results: matcher -> phenotyper -> guidance, and their JSON / TSV output.

Confidence of a call: ``high`` (one diplotype, every position genotyped, nothing unusual),
``moderate`` (missing positions, half-calls, an undocumented allele treated as reference, an
ambiguous diplotype whose candidates share one phenotype, the DPYD unphased lowest-function
rule, HapB3 from the exonic position only), ``low`` (candidates differ in phenotype: the
phenotype is ``Indeterminate``), ``none`` (not called; ``reason`` says why). A gene is not
called when none of its positions was genotyped (``no_data``), fewer than
``min_called_fraction`` were (``insufficient_data``), no named alleles explain the genotypes
(``no_match``), an undocumented allele blocks the call (``undocumented_variant``) or a
required position is missing (``missing_required``). A not-called SLCO1B1 carries
``reporter_fallback``: PharmCAT's reporter lookup from rs4149056 alone (its Slco1b1AlleleMatcher),
reported beside the no call, never as the call.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike

from holobiont.atomic import write_text

from .catalog import (
    DEFAULT_CATALOG,
    INDETERMINATE,
    NOT_CALLED,
    Catalog,
    DrugGuidance,
    GeneDefinition,
    Position,
    load_catalog,
)
from .guidance import guidance_for, guidance_note, possible
from .matcher import Match, UnmatchedVariant, match_gene
from .phenotyper import phenotype

__all__ = [
    "GeneResult",
    "MissingPosition",
    "call_diplotypes",
    "call_vcf",
    "results_to_json",
    "write_results_tsv",
]
_EPS = 1e-9


@dataclass(frozen=True)
class MissingPosition:
    """A definition position without a genotype (missing -- never assumed reference).

    ``changes_diplotype``: a named allele other than the reference is defined there, so
    genotyping it could change the diplotype; ``changes_phenotype``: one of those alleles has
    another function or activity than the reference allele. Both True for genes not called.
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


@dataclass
class GeneResult:
    """The call for one gene (keys of :meth:`to_dict` are read by the reports)."""

    gene: str
    status: str
    callable: bool
    reason: str
    diplotypes: list[tuple[str, ...]]
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
    haplotypes: list[str] = field(default_factory=list)
    uncallable_alleles: list[str] = field(default_factory=list)
    phased: bool = False
    haploid: bool = False
    rule: str = ""
    source: str = "vcf"
    extra_positions: list[dict] = field(default_factory=list)
    #: PharmCAT's reporter-side lookup for a gene the matcher does not call (SLCO1B1 from
    #: rs4149056 alone); never the call itself: ``status`` / ``diplotype`` stay "not called"
    reporter_fallback: dict | None = None
    #: why a called gene has no drug rows (:func:`holobiont.pgx.guidance.guidance_note`);
    #: empty when it has some or is not called
    guidance_note: str = ""

    @property
    def diplotype(self) -> str:
        """``*1/*2``; alternatives joined by `` or ``; empty when not called."""
        return " or ".join("/".join(d) for d in self.diplotypes)

    @classmethod
    def outside_call(
        cls,
        gene: str,
        *,
        diplotype: str = "",
        phenotype: str = "",
        activity_score: float | None = None,
        catalog: Catalog | None = None,
        source: str = "outside call",
    ) -> GeneResult:
        """A result given by another assay (PharmCAT's outside calls: CYP2D6, HLA, ...).

        The phenotype is derived from the diplotype when the catalog defines the gene and no
        phenotype is given. Drugs are filled in by :func:`attach_guidance`.
        """
        dips = [tuple(x.split("/")) for x in diplotype.split(" or ")] if diplotype else []
        ph = phenotype
        if dips and catalog is not None and gene in catalog.genes:
            calls = {phenotype_of(catalog.genes[gene], d) for d in dips}
            phs = {c[0] for c in calls}
            scores = {c[1] for c in calls}
            if not ph:
                ph = phs.pop() if len(phs) == 1 else INDETERMINATE
                if activity_score is None and len(scores) == 1:
                    activity_score = scores.pop()
        if not ph and not dips:
            raise ValueError(f"outside call for {gene}: give a diplotype or a phenotype")
        return cls(
            gene=gene,
            status="called",
            callable=True,
            reason="",
            diplotypes=dips,
            phenotype=ph or INDETERMINATE,
            possible_phenotypes=[ph] if ph else [],
            activity_score=activity_score,
            confidence="high",
            notes=[f"{source}: not called from the VCF"],
            missing_positions=[],
            unmatched_variants=[],
            n_positions=0,
            n_called=0,
            score=None,
            source=source,
        )

    def to_dict(self) -> dict:
        return {
            "gene": self.gene,
            "status": self.status,
            "callable": self.callable,
            "reason": self.reason,
            "diplotype": self.diplotype,
            "diplotypes": ["/".join(d) for d in self.diplotypes],
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
            "guidance_note": self.guidance_note,
            "haplotypes": list(self.haplotypes),
            "uncallable_alleles": list(self.uncallable_alleles),
            "phased": self.phased,
            "haploid": self.haploid,
            "rule": self.rule,
            "source": self.source,
            "extra_positions": list(self.extra_positions),
            "reporter_fallback": self.reporter_fallback,
        }


def phenotype_of(gdef: GeneDefinition, diplotype: tuple[str, ...]):
    return phenotype(gdef, diplotype)


def _alleles_at(gdef: GeneDefinition, p: Position) -> tuple[str, ...]:
    return tuple(a.name for a in gdef.alleles if p.pos in a.variants and not a.reference)


def _missing(gdef: GeneDefinition, p: Position, called: bool) -> MissingPosition:
    names = _alleles_at(gdef, p)
    if not called:
        return MissingPosition(p.chrom, p.pos, p.rsid, names, True, True)
    ref = gdef.reference
    changes_ph = any(
        gdef.allele(n).function != ref.function or gdef.allele(n).activity != ref.activity
        for n in names
    )
    return MissingPosition(p.chrom, p.pos, p.rsid, names, bool(names), changes_ph)


#: PharmCAT's Slco1b1AlleleMatcher: when the matcher makes no SLCO1B1 call, the reporter looks
#: recommendations up from rs4149056 alone (T = *1, C = *5)
_FALLBACKS = {"SLCO1B1": ("rs4149056", {"T": "*1", "C": "*5"})}


def _reporter_fallback(gdef: GeneDefinition, m: Match) -> dict | None:
    """PharmCAT's single-position lookup for a not-called gene, or None (position not fully called)."""
    if gdef.gene not in _FALLBACKS:
        return None
    rsid, names = _FALLBACKS[gdef.gene]
    p = next((p for p in gdef.positions if p.rsid == rsid), None)
    sa = m.sample.get(p.pos) if p is not None else None
    if sa is None or len(sa.called) != 2 or any(a not in names for a in sa.called):
        return None
    dip = tuple(sorted((names[a] for a in sa.called), key=gdef.sort_key))
    return {
        "position": rsid,
        "genotype": sa.text(),
        "lookup_diplotype": "/".join(dip),
        "phenotype": phenotype(gdef, dip)[0],
        "message": (
            f"{gdef.gene} not called; PharmCAT's reporter looks recommendations up from {rsid} "
            f"alone ({sa.text()} -> {'/'.join(dip)}); the other positions are not used"
        ),
    }


def _result(gdef: GeneDefinition, m: Match, min_called_fraction: float) -> GeneResult:
    n_pos = len(gdef.positions)
    n_called = n_pos - len(m.missing)
    notes = list(m.notes)
    status, reason = m.status, m.reason
    if status == "called" and n_called < min_called_fraction * n_pos - _EPS:
        status = "insufficient_data"
        reason = (
            f"only {n_called} of {n_pos} {gdef.gene} positions genotyped "
            f"(< {min_called_fraction:.0%})"
        )
    base = dict(
        gene=gdef.gene,
        n_positions=n_pos,
        n_called=n_called,
        unmatched_variants=list(m.unmatched),
        uncallable_alleles=list(m.uncallable_alleles),
        haplotypes=list(m.haplotypes),
        phased=m.phased,
        haploid=m.haploid,
        rule=m.rule,
        extra_positions=list(m.extra),
    )
    if status != "called":
        return GeneResult(
            status=status,
            callable=False,
            reason=reason,
            diplotypes=[],
            phenotype=NOT_CALLED,
            possible_phenotypes=[],
            activity_score=None,
            confidence="none",
            notes=[*notes, reason],
            missing_positions=[_missing(gdef, p, False) for p in m.missing],
            score=m.score,
            reporter_fallback=(
                _reporter_fallback(gdef, m) if m.status not in ("called", "no_data") else None
            ),
            **base,
        )
    calls = [phenotype(gdef, d) for d in m.diplotypes]
    phenos = sorted({c[0] for c in calls})
    scores = {c[1] for c in calls}
    confidence = "moderate" if (m.lowered or len(m.diplotypes) > 1) else "high"
    ph = phenos[0] if len(phenos) == 1 else INDETERMINATE
    if len(phenos) > 1:
        notes.append(f"the possible diplotypes differ in phenotype: {' or '.join(phenos)}")
        confidence = "low"
    if ph == INDETERMINATE and confidence == "high":
        confidence = "moderate"
    return GeneResult(
        status="called",
        callable=True,
        reason="",
        diplotypes=list(m.diplotypes),
        phenotype=ph,
        possible_phenotypes=phenos,
        activity_score=next(iter(scores)) if len(scores) == 1 else None,
        confidence=confidence,
        notes=notes,
        missing_positions=[_missing(gdef, p, True) for p in m.missing],
        score=m.score,
        **base,
    )


def attach_guidance(results: Sequence[GeneResult], catalog: Catalog) -> None:
    """Fill ``drugs`` of every result from the phenotypes of all results (two-gene drugs)."""
    phs = {
        r.gene: (possible(r.phenotype, r.possible_phenotypes) if r.callable else [])
        for r in results
    }
    for gene, rows in guidance_for(catalog, phs).items():
        for r in results:
            if r.gene == gene:
                r.drugs = rows
                r.guidance_note = guidance_note(catalog, gene, phs[gene], rows)


def call_diplotypes(
    genotypes: Mapping,
    catalog: Catalog,
    *,
    gene: str | Iterable[str] | None = None,
    min_called_fraction: float = 0.0,
    sex: str | None = None,
    outside_calls: Sequence[GeneResult] = (),
) -> list[GeneResult]:
    """Call diplotypes, phenotypes and drug guidance for catalog genes.

    Parameters
    ----------
    genotypes : mapping
        ``(chrom, pos) -> genotype`` (``"chr10:94781859"`` keys and chromosome names without
        ``chr`` are accepted too). A genotype is a :class:`~holobiont.pgx.vcf.SampleAllele`,
        a string ``"G/A"``, ``"G|A"``, ``"./A"``, ``"A"`` (haploid) or a tuple of alleles,
        expressed against the catalog REF; ``None`` / absent = not called (missing).
    catalog : Catalog
    gene : str or iterable of str, optional
        Restrict to these genes (default: every gene called from a VCF, in catalog order).
    min_called_fraction : float
        A gene with fewer genotyped positions than this fraction is not called (PharmCAT
        calls with any data: 0).
    sex : {"male", "female", None}
        ``male``: chrX genes (G6PD) are hemizygous.
    outside_calls : sequence of GeneResult
        Results from other assays (:meth:`GeneResult.outside_call`); they replace the VCF call
        of their gene and take part in two-gene guidance.
    """
    if not 0 <= min_called_fraction <= 1:
        raise ValueError(f"min_called_fraction must be in [0, 1], got {min_called_fraction}")
    if sex not in (None, "male", "female"):
        raise ValueError(f"sex must be 'male', 'female' or None, got {sex!r}")
    if gene is None:
        names = catalog.called_genes
    else:
        names = [gene] if isinstance(gene, str) else list(gene)
        unknown = [g for g in names if g not in catalog.genes]
        if unknown:
            raise ValueError(f"gene(s) {unknown} not in the catalog ({list(catalog.genes)})")
    outside = {r.gene: r for r in outside_calls}
    results = []
    for g in names:
        if g in outside:
            results.append(outside.pop(g))
            continue
        gdef = catalog.genes[g]
        if gdef.matcher == "outside":
            continue
        m = match_gene(gdef, genotypes, sex=sex, priorities=gdef.priorities)
        results.append(_result(gdef, m, min_called_fraction))
    results.extend(outside.values())
    attach_guidance(results, catalog)
    return results


def results_to_json(results: Sequence[GeneResult], catalog: Catalog, **extra) -> str:
    """JSON text of the results with the catalog version (and any ``extra`` top-level keys)."""
    doc = {**extra, "catalog_version": catalog.version, "genes": [r.to_dict() for r in results]}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


TSV_COLUMNS = [
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


def write_results_tsv(results: Sequence[GeneResult], path: str | PathLike) -> None:
    """One row per gene: diplotype, phenotype, activity score, confidence, notes."""
    import io

    buf = io.StringIO()
    w = csv.writer(buf, delimiter="\t", lineterminator="\n")
    w.writerow(TSV_COLUMNS)
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
    write_text(path, buf.getvalue())


def parse_sex(text: str | None) -> str | None:
    """A sheet's sex value -> ``male`` / ``female`` / None (unknown: chrX read as called)."""
    t = (text or "").strip().lower()
    if t in ("m", "male"):
        return "male"
    if t in ("f", "female"):
        return "female"
    return None


def call_vcf(
    vcf: str | PathLike,
    *,
    catalog: Catalog | str | PathLike = DEFAULT_CATALOG,
    sample: str | None = None,
    min_called_fraction: float = 0.0,
    json_out: str | PathLike | None = None,
    tsv_out: str | PathLike | None = None,
    extra: Mapping | None = None,
    genes: Iterable[str] | None = None,
    sex: str | None = None,
    outside_calls: Sequence[GeneResult] = (),
    outside_call_files: Iterable[str | PathLike] = (),
) -> tuple[list[GeneResult], str]:
    """Call every VCF-callable catalog gene of one VCF sample; optionally write JSON and TSV.

    ``outside_calls`` (results), and the calls of ``outside_call_files`` (PharmCAT's
    outside-call TSVs, read by :func:`holobiont.pgx.outside.read_outside_calls`), replace the
    VCF call of their genes and add the genes not called from a VCF (CYP2D6, HLA-B, ...).
    """
    from .outside import read_outside_calls
    from .vcf import genotypes_from_vcf

    cat = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
    outside_calls = [
        *outside_calls,
        *(r for f in outside_call_files for r in read_outside_calls(f, cat)),
    ]
    genes = list(genes) if genes is not None else None
    gts = genotypes_from_vcf(vcf, cat, sample=sample, genes=genes)
    results = call_diplotypes(
        gts,
        cat,
        gene=genes,
        min_called_fraction=min_called_fraction,
        sex=sex,
        outside_calls=outside_calls,
    )
    text = results_to_json(results, cat, **dict(extra or {}))
    if json_out:
        write_text(json_out, text)
    if tsv_out:
        write_results_tsv(results, tsv_out)
    return results, text


__all__ += ["attach_guidance", "parse_sex", "phenotype_of"]
