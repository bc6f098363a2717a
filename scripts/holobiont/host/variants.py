"""Host-genome helpers: reference checks, PGx coverage and the PharmCAT-ready VCF.

- :func:`check_reference` stops a run on a host FASTA without ``chr`` contig names or of another
  build than the PGx catalog (GRCh38), judged from its contig names and lengths (or, for a
  declared subset of GRCh38, from the bases at the catalog positions), never on no evidence.
- :func:`pgx_coverage` reports, per gene, the read depth at every catalog position.
- :func:`pharmcat_ready_vcf` writes one record per catalog position: the call where covered,
  ``0/0`` where covered and reference, ``./.`` where the depth is below the configured minimum,
  so that PharmCAT (or our own caller, :mod:`holobiont.pgx`) never mistakes "no data" for
  "reference".
"""

from __future__ import annotations

import json
import os
import sys
from collections import defaultdict
from pathlib import Path
from typing import TextIO

import pysam

from holobiont.atomic import write_text
from holobiont.host import genome_build as gb
from holobiont.pgx import Catalog, Position, combine_calls, express_allele, load_catalog


class ReferenceError(ValueError):
    """The host reference does not fit the pipeline (naming or build)."""


def check_reference(
    fasta: str | os.PathLike,
    catalog: Catalog | str | os.PathLike,
    *,
    max_mismatch_fraction: float = 0.05,
    min_confirming_positions: int = 10,
    log: TextIO | None = None,
) -> dict:
    """Check contig naming and genome build of the host reference; never pass on no evidence.

    The build is judged in this order (:mod:`holobiont.host.genome_build`):

    1. **Contig names and lengths** against the primary-chromosome lengths of GRCh38,
       GRCh37/hg19 and T2T-CHM13. A contig with another build's length stops the run, naming
       that build (hg19 ``chr20`` is 63,025,520 bp, GRCh38's 64,444,167).
    2. **Naming**: without ``chr`` contig names (Ensembl ``1``, RefSeq ``NC_000001.11``) the
       run stops, saying which build the lengths showed.
    3. A FASTA whose primary contigs have no known length (windows or truncated contigs, as the
       demo's) must **declare** its build (``AS:GRCh38`` in the ``@SQ`` lines of the ``.dict``
       beside it) *and* have its bases confirmed at ``min_confirming_positions`` or more PGx
       catalog positions: with fewer in its sequence (none: nothing could be checked) the
       run stops.
    4. **Bases at the PGx catalog positions** are compared in every case: more than
       ``max_mismatch_fraction`` differing stops the run.

    Parameters
    ----------
    fasta : path-like
        Host FASTA (plain or bgzipped, with a ``.fai`` index).
    catalog : Catalog or path-like
        PGx catalog (GRCh38 positions, ``chr`` contigs).
    max_mismatch_fraction : float
        Largest fraction of catalog positions whose reference base may differ from the FASTA
        (a few differences can be genuine, e.g. positions where GRCh38 carries the minor
        allele are still catalogued with the GRCh38 base).
    min_confirming_positions : int
        Catalog positions (with a base in the FASTA) a declared subset needs.

    Returns
    -------
    dict
        ``build`` ("GRCh38"), ``build_evidence`` (sentence), ``build_by_lengths`` (what the
        lengths showed), ``contigs`` (names and lengths), ``checked_positions``,
        ``mismatches`` (list), ``genes_without_contig`` (genes whose contig or position is
        absent: their PGx result will be "not callable").

    Raises
    ------
    ReferenceError
        Another build, no ``chr`` names, an undeclared or unconfirmed subset, or too many
        catalog bases differing.

    Notes
    -----
    Positions whose FASTA base is ``N`` are skipped (masked or, in the demo, outside windows).
    """
    log = log or sys.stderr
    cat = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
    name = Path(fasta).name
    ref = pysam.FastaFile(str(fasta))
    try:
        contigs = dict(zip(ref.references, ref.lengths, strict=True))
        evidence = gb.identify(contigs)
        _refuse_other_build(name, contigs, evidence)
        if not any(c.startswith("chr") for c in contigs):
            shown = ", ".join(list(contigs)[:5])
            seen = (
                f" Its contig lengths are {gb.BUILD_LABELS[evidence.build]}'s."
                if evidence.build
                else ""
            )
            raise ReferenceError(
                f"the host reference {name} has no contig named 'chr...' (it has "
                f"{shown}{', ...' if len(contigs) > 5 else ''}).{seen} Holobiont uses GRCh38 "
                "with UCSC-style names (chr1, chr2, ...), as in the PGx catalog and PharmCAT. "
                "Use a 'chr'-named GRCh38 FASTA, e.g. the GRCh38 no-alt analysis set."
            )
        checked, mismatches, genes_missing = _compare_catalog_bases(ref, contigs, cat)
    finally:
        ref.close()
    if checked and len(mismatches) > max(1, max_mismatch_fraction * checked):
        ex = mismatches[0]
        raise ReferenceError(
            f"the host reference {name} does not look like GRCh38: "
            f"{len(mismatches)} of {checked} PGx catalog positions have another reference base "
            f"(e.g. {ex['position']} {ex['rsid']}: catalog {ex['catalog_ref']}, FASTA "
            f"{ex['fasta_ref']}). Is it GRCh37/hg19? Use a GRCh38 FASTA with 'chr' names."
        )
    by_length = evidence.by_build.get("GRCh38", [])
    if by_length and not evidence.unrecognised:
        how = f"contig names and lengths: {len(by_length)} primary contigs have GRCh38's length"
    else:
        declared, why = gb.declared_build(fasta, contigs)
        partial = ", ".join(f"{c} ({n:,} bp)" for c, n in list(evidence.unrecognised.items())[:3])
        if declared is not None and declared != "GRCh38":
            raise ReferenceError(
                f"the host reference {name} is declared {gb.BUILD_LABELS[declared]} ({why}), "
                "not GRCh38. Use a GRCh38 FASTA with 'chr' names."
            )
        if declared is None:
            raise ReferenceError(
                f"cannot tell the build of the host reference {name}: "
                + (
                    f"its primary contigs {partial} have the length of no known build "
                    "(GRCh38, GRCh37/hg19, T2T-CHM13)"
                    if evidence.unrecognised
                    else "it has no primary chromosome (chr1..chr22, chrX, chrY, chrM)"
                )
                + f", and {why}. Use a complete GRCh38 FASTA; if this FASTA is a subset of "
                "GRCh38 (windows, truncated contigs), declare it with AS:GRCh38 on every @SQ "
                f"line of {gb.dict_path(fasta).name} (samtools dict -a GRCh38)."
            )
        if checked < min_confirming_positions:
            raise ReferenceError(
                f"{'nothing' if checked == 0 else 'too little'} could be checked in the host "
                f"reference {name}: its contig lengths are no known build's, and the "
                f"{why.removeprefix('declared ')} is confirmed by the bases at {checked} PGx "
                f"catalog positions (at least {min_confirming_positions} needed; the others are "
                "N or outside its contigs). Use a complete GRCh38 FASTA."
            )
        how = f"{why}, confirmed by the bases at {checked} PGx catalog positions"
    print(f"Host reference {name}: GRCh38 ({how}).", file=log)
    for g in sorted(genes_missing):
        print(
            f"WARNING: no reference sequence for {g} positions; {g} will be not callable.", file=log
        )
    return {
        "build": "GRCh38",
        "build_evidence": how,
        "build_by_lengths": evidence.as_dict(),
        "contigs": contigs,
        "checked_positions": checked,
        "mismatches": mismatches,
        "genes_without_contig": sorted(genes_missing),
    }


def _refuse_other_build(name: str, contigs: dict[str, int], evidence: gb.BuildEvidence) -> None:
    """Stop on contigs whose lengths are another build's than GRCh38 (naming it)."""
    others = [b for b in evidence.builds if b != "GRCh38"]
    if not others:
        return
    build = others[0]
    label = gb.BUILD_LABELS[build]
    contig = evidence.by_build[build][0]
    grch38 = gb.build_lengths("GRCh38").get(gb.primary_name(contig), [])
    also = (
        f" (and {len(evidence.by_build['GRCh38'])} contigs of GRCh38's: a mixed FASTA)"
        if "GRCh38" in evidence.by_build
        else ""
    )
    raise ReferenceError(
        f"the host reference {name} is {label}, not GRCh38: contig {contig} is "
        f"{contigs[contig]:,} bp, the length of {label}'s"
        + (f" (GRCh38's is {grch38[0]:,} bp)" if grch38 else "")
        + f"{also}; {len(evidence.by_build[build])} primary contig(s) have {label} lengths. "
        "Holobiont's PGx catalog and PharmCAT use GRCh38 coordinates: use a GRCh38 FASTA with "
        "'chr' names (e.g. the GRCh38 no-alt analysis set), not a lifted-over catalog."
    )


def _compare_catalog_bases(ref: pysam.FastaFile, contigs: dict[str, int], cat: Catalog):
    """Compare the FASTA bases with the catalog REF at every catalog position in the FASTA."""
    checked, mismatches, genes_missing = 0, [], set()
    for p in cat.positions():
        length = contigs.get(p.chrom)
        if length is None or p.pos + len(p.ref) - 1 > length:
            genes_missing.add(p.gene)
            continue
        seq = ref.fetch(p.chrom, p.pos - 1, p.pos - 1 + len(p.ref)).upper()
        if "N" in seq:
            continue
        checked += 1
        if seq != p.ref.upper():
            mismatches.append(
                {
                    "gene": p.gene,
                    "position": f"{p.chrom}:{p.pos}",
                    "rsid": p.rsid,
                    "catalog_ref": p.ref,
                    "fasta_ref": seq,
                }
            )
    return checked, mismatches, genes_missing


def write_reference_check(fasta, catalog, out: str | os.PathLike, **kw) -> dict:
    """Run :func:`check_reference` and write its result as JSON (atomically)."""
    result = check_reference(fasta, catalog, **kw)
    write_text(out, json.dumps(result, indent=2, sort_keys=True) + "\n")
    return result


def positions_file(catalog: Catalog | str | os.PathLike, out: str | os.PathLike) -> int:
    """Write the catalog positions as a sorted ``CHROM<TAB>POS`` file for ``bcftools -T``.

    Returns the number of positions written.
    """
    cat = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
    keys = sorted({(p.chrom, p.pos) for p in cat.positions()}, key=_chrom_order)
    write_text(out, "".join(f"{c}\t{p}\n" for c, p in keys))
    return len(keys)


def _chrom_order(key: tuple[str, int]) -> tuple[int, str, int]:
    chrom, pos = key
    name = chrom.removeprefix("chr")
    return (int(name), "", pos) if name.isdigit() else (1000, name, pos)


def _depth(rec: pysam.VariantRecord, sample: str) -> int:
    fmt = rec.samples[sample]
    if "AD" in rec.format and fmt.get("AD") is not None and None not in fmt["AD"]:
        return int(sum(fmt["AD"]))
    if "DP" in rec.format and fmt.get("DP") is not None:
        return int(fmt["DP"])
    return int(rec.info.get("DP", 0))


def _catalog_genotype(p: Position, recs: list, alts: list[str]) -> tuple:
    """Genotype at a catalog position as indices into ``(p.ref, *alts)``.

    Records of ``bcftools call`` at the position (an SNV-style record and, when reads show one,
    an indel record) are re-expressed against the catalog REF: a deletion called as
    ``AGGAGTC>A`` and the catalog's ``AGGAGTC`` REF agree, and a covered position whose only
    record is a reference call is ``0/0`` for the indel too (see
    :func:`holobiont.pgx.combine_calls`). New alleles are appended to ``alts``. Returns
    ``(None, None)`` when nothing could be called.
    """
    genotype, _phase = _catalog_genotype_phased(p, recs, alts)
    return genotype


def _catalog_genotype_phased(p: Position, recs: list, alts: list[str]) -> tuple:
    """:func:`_catalog_genotype` and the phase of the call: ``(genotype, phase_set)``.

    ``phase_set`` is the record's PS when the genotype comes from one record phased ``|``
    (WhatsHap) and is heterozygous; the genotype then keeps the record's haplotype order.
    Otherwise ``None`` and the genotype is sorted (unphased).
    """
    calls, phases = [], []
    for rec in recs:
        ref, alleles, rec_gt = rec[0], rec[1], rec[2]
        if rec_gt is None or len(rec_gt) == 0 or None in rec_gt:
            continue
        try:
            calls.append(tuple(express_allele(p, ref, alleles[g]) for g in rec_gt))
        except ValueError:
            continue
        phases.append(rec[4] if len(rec) > 4 else None)
    call = combine_calls(p, calls)
    if call is None:
        return (None, None), None
    sources = [ph for c, ph in zip(calls, phases, strict=True) if c == call]
    phase_set = sources[0] if len(sources) == 1 else None
    idx = []
    for allele in call:
        if allele == p.ref:
            idx.append(0)
        elif ">" in allele:  # not expressible against the catalog REF
            return (None, None), None
        else:
            if allele not in alts:
                alts.append(allele)
            idx.append(alts.index(allele) + 1)
    if phase_set is not None and len(idx) == 2 and idx[0] != idx[1]:
        return tuple(idx), phase_set
    return tuple(sorted(idx)), None


def pharmcat_ready_vcf(
    calls: str | os.PathLike,
    catalog: Catalog | str | os.PathLike,
    fasta: str | os.PathLike,
    out: str | os.PathLike,
    *,
    sample: str,
    min_depth: int = 8,
) -> dict:
    """Write a VCF with exactly one record per PGx catalog position.

    Parameters
    ----------
    calls : path-like
        All-sites calls at the catalog positions (``bcftools mpileup -T positions | bcftools
        call -m`` without ``-v``), one sample.
    catalog : Catalog or path-like
        PGx catalog.
    fasta : path-like
        Host reference (its ``.fai`` gives the ``##contig`` lines).
    out : path-like
        Output ``.vcf.gz`` (bgzipped and tabix-indexed; written atomically).
    sample : str
        Sample name written in the header (the pseudonymous patient ID).
    min_depth : int
        Positions with fewer reads get ``./.`` ("not called"), never ``0/0``.

    Returns
    -------
    dict
        Counts: ``positions``, ``called_ref``, ``called_alt``, ``no_call``.

    Notes
    -----
    REF and ALT are the catalog's (GRCh38, parsimonious, left-aligned, with the padding base for
    indels), so PharmCAT matches them unchanged; an allele seen in the reads but absent from
    the catalog is appended to ALT. A catalog position absent from ``calls`` had no reads.
    A heterozygous call phased in ``calls`` (``|``, WhatsHap's ``PS``) keeps its haplotype
    order and phase set; every other call is written unphased (``/``).
    """
    cat = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
    by_pos: dict[tuple[str, int], list] = defaultdict(list)
    with pysam.VariantFile(str(calls)) as vf:
        in_sample = list(vf.header.samples)[0] if vf.header.samples else None
        has_ps = "PS" in vf.header.formats
        for rec in vf:
            gt = rec.samples[in_sample]["GT"] if in_sample else None
            phase_set = None
            if in_sample and rec.samples[in_sample].phased and gt and len(gt) == 2:
                ps = rec.samples[in_sample].get("PS") if has_ps else None
                phase_set = ps if ps is not None else 0
            by_pos[(rec.chrom, rec.pos)].append(
                (
                    rec.ref,
                    tuple(rec.alleles),
                    gt,
                    _depth(rec, in_sample) if in_sample else 0,
                    phase_set,
                )
            )
    positions: dict[tuple[str, int], Position] = {}
    for p in cat.positions():
        positions.setdefault((p.chrom, p.pos), p)
    header = pysam.VariantHeader()
    fai = pysam.FastaFile(str(fasta))
    try:
        for name, length in zip(fai.references, fai.lengths, strict=True):
            header.contigs.add(name, length=length)
    finally:
        fai.close()
    header.add_meta("source", "holobiont PharmCAT-ready VCF")
    header.add_meta("reference", "GRCh38")
    header.formats.add("GT", 1, "String", "Genotype")
    header.formats.add("DP", 1, "Integer", "Read depth at the position (sum of AD)")
    header.formats.add("PS", 1, "Integer", "Phase set (read-backed phasing of the input calls)")
    header.info.add("PX", ".", "String", "PGx gene(s) of the catalog position")
    header.filters.add("LowDepth", None, None, f"Depth below {min_depth}: genotype not called")
    header.add_sample(sample)
    counts = {"positions": 0, "called_ref": 0, "called_alt": 0, "no_call": 0}
    genes_at: dict[tuple[str, int], set[str]] = defaultdict(set)
    for p in cat.positions():
        genes_at[(p.chrom, p.pos)].add(p.gene)
    plain = f"{out}.tmp.{os.getpid()}.vcf"
    with pysam.VariantFile(plain, "w", header=header) as w:
        for key in sorted(positions, key=_chrom_order):
            p = positions[key]
            contig = header.contigs.get(key[0])
            if contig is None or (contig.length is not None and key[1] > contig.length):
                continue
            alts = list(p.alts)
            recs = by_pos.get(key, [])
            depth = max((r[3] for r in recs), default=0)
            gt, phase_set = _catalog_genotype_phased(p, recs, alts)
            rec = w.new_record(contig=key[0], start=key[1] - 1, alleles=(p.ref, *alts))
            rec.info["PX"] = ",".join(sorted(genes_at[key]))
            rec.samples[sample]["DP"] = depth
            counts["positions"] += 1
            if depth < min_depth or gt == (None, None):
                rec.samples[sample]["GT"] = (None, None)
                rec.filter.add("LowDepth" if depth < min_depth else "PASS")
                counts["no_call"] += 1
            else:
                rec.samples[sample]["GT"] = gt
                if phase_set is not None:
                    rec.samples[sample].phased = True
                    if phase_set:
                        rec.samples[sample]["PS"] = phase_set
                rec.filter.add("PASS")
                counts["called_alt" if any(gt) else "called_ref"] += 1
            w.write(rec)
    tmp_gz = f"{out}.tmp.{os.getpid()}.gz"
    pysam.tabix_compress(plain, tmp_gz, force=True)
    os.remove(plain)
    pysam.tabix_index(tmp_gz, preset="vcf", force=True)
    os.replace(tmp_gz + ".tbi", f"{out}.tbi")
    os.replace(tmp_gz, out)
    return counts


def pgx_coverage(
    bam: str | os.PathLike,
    catalog: Catalog | str | os.PathLike,
    out: str | os.PathLike,
    *,
    min_depth: int = 8,
    min_mapq: int = 20,
    min_baseq: int = 20,
) -> list[dict]:
    """Per-gene read depth at the PGx catalog positions, as TSV.

    Columns: ``gene``, ``positions``, ``positions_covered`` (depth ≥ ``min_depth``),
    ``min_depth``, ``median_depth``, ``mean_depth``, ``callable`` (all positions covered).
    Depth counts reads with mapping quality ≥ ``min_mapq`` and bases with quality
    ≥ ``min_baseq``, as the caller does; duplicates and secondary alignments are not counted.
    """
    cat = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
    per_gene: dict[str, list[int]] = defaultdict(list)
    with pysam.AlignmentFile(str(bam)) as aln:
        contigs = dict(zip(aln.references, aln.lengths, strict=True))
        for p in cat.positions():
            # a position on an absent contig, or beyond the end of a partial one, has no reads
            if p.chrom not in contigs or p.pos > contigs[p.chrom]:
                per_gene[p.gene].append(0)
                continue
            cov = aln.count_coverage(
                p.chrom,
                p.pos - 1,
                p.pos,
                quality_threshold=min_baseq,
                read_callback=lambda r: (
                    r.mapping_quality >= min_mapq
                    and not (
                        r.is_unmapped
                        or r.is_secondary
                        or r.is_qcfail
                        or r.is_duplicate
                        or r.is_supplementary
                    )
                ),
            )
            per_gene[p.gene].append(int(sum(c[0] for c in cov)))
    rows = []
    for gene in sorted(per_gene):
        d = sorted(per_gene[gene])
        n = len(d)
        covered = sum(x >= min_depth for x in d)
        rows.append(
            {
                "gene": gene,
                "positions": n,
                "positions_covered": covered,
                "min_depth": d[0],
                "median_depth": d[n // 2] if n % 2 else (d[n // 2 - 1] + d[n // 2]) / 2,
                "mean_depth": round(sum(d) / n, 2),
                "callable": covered == n,
            }
        )
    cols = list(rows[0]) if rows else ["gene"]
    write_text(
        out,
        "\t".join(cols) + "\n" + "".join("\t".join(str(r[c]) for c in cols) + "\n" for r in rows),
    )
    return rows
