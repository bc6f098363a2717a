"""Identity check: do a stool library's human reads come from the patient on the sheet?

Stool shotgun libraries carry a few % human reads. Genotyped at the SNPs called in the cohort's
host libraries, they identify their donor: for every stool sample and every patient with a host
VCF we compute the log-likelihood of the observed read alleles under that patient's genotypes,
and the fraction of informative sites whose reads are consistent with them. A sample whose best
match is another patient -- clearly better than the sheet's patient -- is flagged as a likely
swap.

Notes
-----
Sites: biallelic SNVs that PASS in at least one host VCF of the cohort. A patient's genotype at
a site is the PASS call of their VCF; without one, their gVCF decides: a reference call (0/0
record or hom-ref block) covering the site with at least ``min_depth`` reads is homozygous
reference; anything else (no reads there, fewer reads, a filtered or other call) is *not
measured* (``None``), never taken as reference: a panel library says nothing about the sites a
WGS library of another patient found. For read allele ``a`` at a site with genotype ``g``
(alt-allele count 0, 1, 2) and a per-read error ``e``::

    P(a = alt | g) = e, 1/2, 1 - e   for g = 0, 1, 2

The log-likelihood of a patient is the sum over reads at the informative sites (sites with
reads) that the patient's host data measured; patients are ranked by it per measured site, and
two patients are compared (LLR, ``min_sites``) on the sites both measured. A
site is *consistent* with a genotype when its reads show no allele the genotype lacks (up to
sequencing error: a single discordant read among ``>= 5`` is tolerated). The verdict compares the
sheet's patient with the best-scoring other patient by their log-likelihood ratio (LLR):
``match`` (sheet patient is best and LLR >= ``min_llr``), ``possible swap`` (another patient is
best by >= ``min_llr``), ``inconclusive`` otherwise or below ``min_sites`` informative sites.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pysam

VERDICTS = ("match", "possible swap", "inconclusive", "no host VCF", "no human reads")


@dataclass
class IdentityResult:
    """Identity of one stool sample."""

    sample_id: str
    sheet_patient: str
    informative_sites: int
    human_reads_at_sites: int
    # informative sites at which the sheet patient's host data measured nothing
    sites_not_measured_sheet: int | None
    best_patient: str | None
    concordance_sheet: float | None
    concordance_best: float | None
    llr_best_vs_sheet: float | None
    verdict: str

    def as_row(self) -> dict:
        return {k: ("NA" if v is None else v) for k, v in self.__dict__.items()}


def _reference_call(vf, site: tuple, min_depth: int) -> bool:
    """Does the gVCF hold a reference call with >= ``min_depth`` reads covering ``site``?"""
    chrom, pos = site[0], site[1]
    if chrom not in vf.header.contigs:
        return False
    for rec in vf.fetch(chrom, pos - 1, pos):
        if not rec.start < pos <= rec.stop:
            continue
        gt = rec.samples[0].get("GT")
        if gt is None or None in gt or any(gt):
            return False
        depth = rec.info.get("MinDP") if "MinDP" in rec.info else rec.samples[0].get("DP")
        return depth is not None and depth >= min_depth
    return False


def load_genotypes(
    vcfs: Mapping[str, str | os.PathLike],
    gvcfs: Mapping[str, str | os.PathLike],
    *,
    min_depth: int = 8,
) -> tuple[list, dict[str, dict]]:
    """Cohort SNP sites and each patient's alt-allele counts at them.

    Parameters
    ----------
    vcfs : mapping
        Patient ID -> host VCF (one sample each).
    gvcfs : mapping
        Patient ID -> the same library's gVCF (indexed; ``bcftools call -m -g``). A patient
        without one has no measured reference site.
    min_depth : int
        Reads a reference call needs to count as homozygous reference.

    Returns
    -------
    sites : list of (chrom, pos, ref, alt)
        Biallelic PASS SNVs of any patient, sorted.
    genotypes : dict
        Patient -> {site: alt count (0, 1, 2), or None where not measured}.
    """
    called: dict[str, dict] = {}
    sites = set()
    for patient, path in vcfs.items():
        gts = {}
        with pysam.VariantFile(str(path)) as vf:
            for rec in vf:
                if "PASS" not in rec.filter or rec.alts is None or len(rec.alts) != 1:
                    continue
                if len(rec.ref) != 1 or len(rec.alts[0]) != 1:
                    continue
                gt = rec.samples[0]["GT"]
                if gt is None or None in gt:
                    continue
                site = (rec.chrom, rec.pos, rec.ref, rec.alts[0])
                gts[site] = min(2, sum(1 for a in gt if a))
                if gts[site]:
                    sites.add(site)
        called[patient] = gts
    ordered = sorted(sites)
    genotypes = {}
    for p, g in called.items():
        if p in gvcfs:
            with pysam.VariantFile(str(gvcfs[p])) as gv:
                genotypes[p] = {
                    s: g[s] if s in g else (0 if _reference_call(gv, s, min_depth) else None)
                    for s in ordered
                }
        else:
            genotypes[p] = {s: g.get(s) for s in ordered}
    return ordered, genotypes


def count_alleles(
    bam: str | os.PathLike, sites: Sequence[tuple], *, min_mapq: int = 20, min_baseq: int = 20
) -> dict[tuple, tuple[int, int]]:
    """Reference and alternative read counts of ``bam`` at each site (sites with reads only)."""
    out = {}
    with pysam.AlignmentFile(str(bam)) as aln:
        contigs = set(aln.references)
        for site in sites:
            chrom, pos, ref, alt = site
            if chrom not in contigs:
                continue
            counts = aln.count_coverage(
                chrom,
                pos - 1,
                pos,
                quality_threshold=min_baseq,
                read_callback=lambda r: (
                    r.mapping_quality >= min_mapq
                    and not (
                        r.is_unmapped or r.is_secondary or r.is_supplementary or r.is_duplicate
                    )
                ),
            )
            by_base = dict(zip("ACGT", (int(c[0]) for c in counts), strict=True))
            n_ref, n_alt = by_base.get(ref, 0), by_base.get(alt, 0)
            if n_ref + n_alt:
                out[site] = (n_ref, n_alt)
    return out


def _score(counts: Mapping, genotypes: Mapping, error: float) -> tuple[float, float, int]:
    """Log-likelihood, concordance and number of the sites of ``counts`` that ``genotypes``
    measured (sites not measured, None, are left out)."""
    p_alt = {0: error, 1: 0.5, 2: 1 - error}
    loglik, consistent, n = 0.0, 0, 0
    for site, (n_ref, n_alt) in counts.items():
        g = genotypes.get(site)
        if g is None:
            continue
        n += 1
        loglik += n_alt * math.log(p_alt[g]) + n_ref * math.log(1 - p_alt[g])
        discordant = n_alt if g == 0 else n_ref if g == 2 else 0
        total = n_ref + n_alt
        consistent += discordant == 0 or (discordant == 1 and total >= 5)
    return loglik, consistent / n if n else float("nan"), n


def _compare(counts, a: Mapping, b: Mapping, error: float) -> tuple[float, int]:
    """LLR of genotypes ``a`` over ``b`` on the sites both measured, and their number."""
    common = {s: c for s, c in counts.items() if a.get(s) is not None and b.get(s) is not None}
    return _score(common, a, error)[0] - _score(common, b, error)[0], len(common)


def check_identity(
    sample_id: str,
    sheet_patient: str,
    counts: Mapping[tuple, tuple[int, int]],
    genotypes: Mapping[str, Mapping],
    *,
    error: float = 0.01,
    min_sites: int = 20,
    min_llr: float = 10.0,
) -> IdentityResult:
    """Score one stool sample's human read alleles against every patient's genotypes.

    Parameters
    ----------
    sample_id, sheet_patient : str
        The stool sample and the patient the sheet assigns it to.
    counts : mapping
        Site -> (ref reads, alt reads), from :func:`count_alleles`.
    genotypes : mapping
        Patient -> {site: alt count, or None where not measured}, from :func:`load_genotypes`.
    error : float
        Per-read allele error rate in the likelihood.
    min_sites : int
        Fewer informative sites measured by both compared patients give ``inconclusive``.
    min_llr : float
        Natural-log likelihood ratio needed to call a match or a swap.
    """
    n_reads = sum(a + b for a, b in counts.values())
    sheet_g = genotypes.get(sheet_patient)
    base = dict(
        sample_id=sample_id,
        sheet_patient=sheet_patient,
        informative_sites=len(counts),
        human_reads_at_sites=n_reads,
        sites_not_measured_sheet=(
            None if sheet_g is None else sum(sheet_g.get(s) is None for s in counts)
        ),
    )
    empty = dict(
        best_patient=None, concordance_sheet=None, concordance_best=None, llr_best_vs_sheet=None
    )
    if not genotypes:
        return IdentityResult(**base, **empty, verdict="no host VCF")
    if not counts:
        return IdentityResult(**base, **empty, verdict="no human reads")
    scores = {p: _score(counts, g, error) for p, g in genotypes.items()}
    measured = [p for p in scores if scores[p][2]]
    if not measured:
        return IdentityResult(**base, **empty, verdict="inconclusive")
    # ranked by log-likelihood per measured site: patients measured at different sites compare
    ranked = sorted(measured, key=lambda p: (-scores[p][0] / scores[p][2], p))
    best = ranked[0]
    llr, n_common, conc_sheet = None, 0, None
    if sheet_patient in scores:
        conc_sheet = scores[sheet_patient][1] if scores[sheet_patient][2] else None
        if best == sheet_patient:
            other = next((p for p in ranked if p != sheet_patient), None)
            if other is None:
                llr, n_common = float("inf"), scores[best][2]
            else:
                llr, n_common = _compare(counts, genotypes[best], genotypes[other], error)
        else:
            llr, n_common = _compare(counts, genotypes[best], genotypes[sheet_patient], error)
    if n_common < min_sites or llr is None or llr < min_llr:
        verdict = "inconclusive" if sheet_patient in scores else "no host VCF"
    else:
        verdict = "match" if best == sheet_patient else "possible swap"
    return IdentityResult(
        **base,
        best_patient=best,
        concordance_sheet=None if conc_sheet is None else round(conc_sheet, 4),
        concordance_best=round(scores[best][1], 4),
        llr_best_vs_sheet=None if llr is None else round(llr, 2),
        verdict=verdict,
    )


def identity_table(
    stool: Mapping[str, tuple[str, str | os.PathLike]],
    host_vcfs: Mapping[str, str | os.PathLike],
    out: str | os.PathLike,
    *,
    host_gvcfs: Mapping[str, str | os.PathLike],
    min_depth: int = 8,
    min_mapq: int = 20,
    min_baseq: int = 20,
    **kw,
) -> list[IdentityResult]:
    """Run the check for every stool sample and write a TSV (atomically).

    Parameters
    ----------
    stool : mapping
        Stool sample ID -> (sheet patient ID, BAM of its human reads).
    host_vcfs : mapping
        Patient ID -> host VCF.
    host_gvcfs : mapping
        Patient ID -> host gVCF (which sites without a variant call are measured 0/0).
    out : path-like
        TSV with one row per stool sample; columns of :class:`IdentityResult`.
    """
    sites, genotypes = load_genotypes(host_vcfs, host_gvcfs, min_depth=min_depth)
    results = [
        check_identity(
            s,
            patient,
            count_alleles(bam, sites, min_mapq=min_mapq, min_baseq=min_baseq),
            genotypes,
            **kw,
        )
        for s, (patient, bam) in sorted(stool.items())
    ]
    cols = list(IdentityResult.__dataclass_fields__)
    tmp = f"{out}.tmp.{os.getpid()}"
    with open(tmp, "w") as fh:
        fh.write("\t".join(cols) + "\n")
        for r in results:
            row = r.as_row()
            fh.write("\t".join(str(row[c]) for c in cols) + "\n")
    os.replace(tmp, out)
    return results
