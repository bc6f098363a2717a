"""Sample alleles at catalog positions, from a VCF (PharmCAT's VcfReader stage).

A :class:`SampleAllele` keeps what the matcher needs: the called alleles (``None`` for the
missing half of a half-call such as ``./T``; one allele for a haploid call, e.g. a male chrX),
whether the call is phased (``|``) and its phase set (``PS``; phased calls without ``PS`` share
one default phase set, as in PharmCAT).

Alleles are re-expressed against the catalog REF (records may use a shorter or longer REF, e.g.
a split multi-allelic indel); alleles that cannot be expressed, ``*`` and symbolic alleles come
back as ``"REF>ALT"`` text, which the matcher reports as undocumented. Overlapping gVCF
reference blocks count as ``0/0``. Several records at one position (bcftools' SNV-style record
next to an indel record, or a split multi-allelic site) are merged by :func:`combine_calls`.
A variant record starting inside a catalog REF span (a right-shifted indel) is re-anchored
with the catalog's REF bases when it then expresses a catalog allele there. A record carrying
the rsid of a catalog indel up to ``WOBBLE_BP`` downstream of it (the same indel written at
another copy of its tandem repeat, PharmCAT's "repeat wobble", NUDT15 rs746071566) is used
when each of its ALTs inserts / deletes the catalog sequence rotated by the distance.
Positions absent from the VCF are *not called* (``None``): the pipeline writes an explicit
``0/0`` wherever the sample is covered. Chromosome names with or without ``chr`` are accepted;
the VCF may be unsorted and unindexed. Indels must be left-aligned and normalised
(``bcftools norm``) to be recognised.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from os import PathLike

from .catalog import Catalog, Position

__all__ = [
    "SampleAllele",
    "combine_calls",
    "express_allele",
    "genotypes_from_vcf",
    "parse_genotype",
]


@dataclass(frozen=True)
class SampleAllele:
    """The call at one position: ``alleles`` (1 or 2; ``None`` = missing half), phasing."""

    alleles: tuple[str | None, ...]
    phased: bool = False
    phase_set: int | None = None

    @property
    def called(self) -> tuple[str, ...]:
        return tuple(a for a in self.alleles if a is not None)

    @property
    def is_half_call(self) -> bool:
        return len(self.alleles) == 2 and len(self.called) == 1

    @property
    def is_haploid(self) -> bool:
        return len(self.alleles) == 1

    @property
    def is_heterozygous(self) -> bool:
        return len(self.alleles) == 2 and (self.is_half_call or self.alleles[0] != self.alleles[1])

    def text(self) -> str:
        sep = "|" if self.phased else "/"
        return sep.join("." if a is None else a for a in self.alleles)


def parse_genotype(value) -> SampleAllele | None:
    """A genotype value -> :class:`SampleAllele`, or None when not called at all.

    Accepts a :class:`SampleAllele`, a string ``"G/A"`` / ``"G|A"`` / ``"./A"`` / ``"A"``
    (haploid) or a tuple of allele strings (unphased; ``None`` or ``"."`` = missing half).
    """
    if value is None:
        return None
    if isinstance(value, SampleAllele):
        return value if value.called else None
    phased = False
    if isinstance(value, str):
        phased = "|" in value
        value = re.split(r"[/|]", value.strip())
    parts = tuple(value)
    if not parts or len(parts) > 2:
        return None
    alleles = []
    for a in parts:
        a = None if a is None else str(a).strip()
        alleles.append(None if a in (None, "", ".", "-") else a)
    sa = SampleAllele(tuple(alleles), phased=phased and len(alleles) == 2)
    return sa if sa.called else None


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


def combine_calls(p: Position, calls: list[tuple]) -> tuple | None:
    """One genotype at ``p`` from the calls of the VCF records there (alleles expressed
    against the catalog REF by :func:`express_allele`; ``None`` = missing half).

    A reference call and a variant call (e.g. bcftools' SNV-style record next to an indel
    record) give the variant; two heterozygous records of a split multi-allelic site give one
    compound genotype; anything else conflicting, or no call, gives ``None`` (not called).
    Haploid calls stay haploid.
    """
    calls = [c for c in calls if c and any(a is not None for a in c)]
    if not calls:
        return None
    variant = [c for c in calls if any(a is not None and a != p.ref for a in c)]
    if not variant:
        return calls[0]
    if len(variant) == 1:
        return variant[0]
    alts = [a for c in variant for a in c if a is not None and a != p.ref]
    if len(variant) == 2 and len(alts) == 2 and all(len(c) == 2 for c in variant):
        return (alts[0], alts[1])
    return None


@dataclass(frozen=True)
class Record:
    """The parts of a VCF record the reader needs (one sample)."""

    chrom: str
    pos: int
    ref: str
    alts: tuple[str, ...]
    gt: tuple[int | None, ...]
    phased: bool
    phase_set: int | None
    end: int | None = None  # INFO END (gVCF reference blocks)
    ids: tuple[str, ...] = ()  # the ID column (rsids)

    @property
    def alleles(self) -> tuple[str, ...]:
        return (self.ref, *self.alts)

    @property
    def stop(self) -> int:
        return self.end if self.end is not None else self.pos + len(self.ref) - 1


def _parse_gt(text: str) -> tuple[tuple[int | None, ...], bool]:
    phased = "|" in text
    out = []
    for x in re.split(r"[/|]", text):
        out.append(None if x in (".", "") else int(x))
    return tuple(out), phased and len(out) == 2


def _text_records(path, sample: str | None):
    """Records of a plain or gzipped VCF, read leniently as PharmCAT does (header columns
    separated by spaces, ``.`` ALT, unsorted records, no ``##contig`` lines)."""
    import gzip

    with open(path, "rb") as fh:
        magic = fh.read(2)
    opener = gzip.open if magic == b"\x1f\x8b" else open
    col = None
    samples: list[str] = []
    with opener(path, "rt", encoding="utf-8", errors="replace") as fh:
        for n, line in enumerate(fh, 1):
            if line.startswith("##"):
                continue
            if line.startswith("#"):
                head = line[1:].split()
                samples = head[9:]
                if sample is None:
                    if len(samples) != 1:
                        raise ValueError(f"{path}: {len(samples)} samples {samples}; pass sample=")
                    sample = samples[0]
                elif sample not in samples:
                    raise ValueError(f"{path}: sample {sample!r} not in {samples}")
                col = 9 + samples.index(sample)
                continue
            if col is None:
                raise ValueError(f"{path}:{n}: record before the #CHROM header line")
            f = line.rstrip("\n").split("\t")
            if len(f) <= col:
                raise ValueError(f"{path}:{n}: {len(f)} columns, expected at least {col + 1}")
            fmt = f[8].split(":")
            vals = f[col].split(":")
            call = dict(zip(fmt, vals, strict=False))
            if "GT" not in call:
                continue
            gt, phased = _parse_gt(call["GT"])
            ps = call.get("PS")
            alts = tuple(a for a in f[4].split(",") if a not in (".", ""))
            end = re.search(r"(?:^|;)END=(\d+)", f[7])
            yield Record(
                f[0],
                int(f[1]),
                f[3].upper(),
                alts,
                gt,
                phased,
                int(ps) if ps not in (None, ".", "") and ps.lstrip("-").isdigit() else None,
                int(end.group(1)) if end else None,
                tuple(i for i in f[2].split(";") if i not in (".", "")),
            )


def _pysam_record(rec, sample: str) -> Record | None:
    call = rec.samples[sample]
    gt = call.get("GT")
    if gt is None:
        return None
    ps = call.get("PS") if "PS" in rec.format else None
    return Record(
        rec.chrom,
        rec.pos,
        rec.ref.upper(),
        tuple(a.upper() for a in (rec.alts or ())),
        tuple(gt),
        bool(call.phased) and len(gt) == 2,
        ps if isinstance(ps, int) else None,
        rec.stop,
        tuple(i for i in (rec.id or "").split(";") if i not in (".", "")),
    )


def _is_ref_block_rec(rec: Record) -> bool:
    return all(a in ("<NON_REF>", "<*>", ".") for a in rec.alts)


def _reanchor(p: Position, rec: Record) -> tuple | None:
    """A variant record starting inside ``p``'s REF span, re-anchored at ``p.pos`` with the
    catalog's REF bases (UGT1A1 ``ATATA...`` at +1 of ``CAT``); None when it is not an
    expression of a catalog allele there (or only calls the reference)."""
    offset = rec.pos - p.pos
    if offset >= len(p.ref) or _is_ref_block_rec(rec) or all(g in (0, None) for g in rec.gt):
        return None
    pre = p.ref[:offset]
    try:
        out = tuple(
            None if g is None else express_allele(p, pre + rec.ref, pre + rec.alleles[g])
            for g in rec.gt
        )
    except (ValueError, IndexError):
        return None
    if any(a is not None and a not in (p.ref, *p.alts) for a in out):
        return None
    return out


#: how far downstream of a catalog indel the same indel may be written inside its repeat
WOBBLE_BP = 100


def _indel(ref: str, alt: str, pos: int) -> tuple[str, str, int] | None:
    """``(kind, sequence, anchor)`` of a simple insertion / deletion after ``anchor``."""
    if len(alt) > len(ref) and alt.startswith(ref):
        return "ins", alt[len(ref) :], pos + len(ref) - 1
    if len(ref) > len(alt) and ref.startswith(alt):
        return "del", ref[len(alt) :], pos + len(alt) - 1
    return None


def _is_wobble_site(p: Position) -> bool:
    return p.rsid not in ("", ".") and any(_indel(p.ref, a, p.pos) for a in p.alts)


def _wobble(p: Position, rec: Record) -> tuple | None:
    """A record carrying ``p``'s rsid downstream of its REF span, in the same tandem repeat:
    the same insertion / deletion written at another copy of the repeat (PharmCAT's NUDT15
    "repeat wobble": ``G>GGAGTCG`` at 48037801 is ``AGGAGTC>AGGAGTCGGAGTC`` at 48037782). An
    allele is the catalog's only if it inserts / deletes the catalog sequence rotated by the
    distance (what shifting an indel along a repeat does); anything else -> None (not used)."""
    if p.rsid not in rec.ids or not rec.alts or _is_ref_block_rec(rec):
        return None
    cat = [(a, c) for a in p.alts if (c := _indel(p.ref, a, p.pos)) is not None]

    def same(alt: str) -> str | None:
        mine = _indel(rec.ref, alt, rec.pos)
        for a, c in cat:
            if mine is None or c[0] != mine[0] or len(c[1]) != len(mine[1]):
                continue
            d = mine[2] - c[2]
            k = d % len(c[1])
            if d > 0 and c[1][k:] + c[1][:k] == mine[1]:
                return a
        return None

    # every ALT of the record must be a catalog allele moved along the repeat (so that its
    # reference calls, too, are calls at this position)
    alleles = [p.ref, *(same(a) for a in rec.alts)]
    if any(a is None for a in alleles) or any(g is not None and g >= len(alleles) for g in rec.gt):
        return None
    return tuple(None if g is None else alleles[g] for g in rec.gt)


def _sample_allele_at(p: Position, records: list[Record]) -> SampleAllele | None:
    calls: list[tuple] = []
    phased = False
    phase_set = None
    for rec in records:
        gt = rec.gt
        if len(gt) == 0 or all(g is None for g in gt):
            continue
        if rec.pos > p.pos:
            # downstream of the REF span: the same indel at another copy of its repeat;
            # starting inside the catalog REF span: a right-shifted (not normalised) indel
            downstream = rec.pos >= p.pos + len(p.ref)
            shifted = _wobble(p, rec) if downstream else _reanchor(p, rec)
            if shifted is not None:
                calls.append(shifted)
                if rec.phased:
                    phased = True
                    phase_set = rec.phase_set if rec.phase_set is not None else phase_set
            continue
        if rec.pos != p.pos:
            # a record starting upstream that overlaps the position
            if _is_ref_block_rec(rec) and all(g in (0, None) for g in gt):
                calls.append(tuple(None if g is None else p.ref for g in gt))
            elif any(g not in (0, None) for g in gt) and not _is_ref_block_rec(rec):
                span = f"{rec.ref}>{','.join(rec.alts)}@{rec.pos}"
                calls.append(tuple(None if g is None else p.ref if g == 0 else span for g in gt))
            continue
        if any(g is not None and g >= len(rec.alleles) for g in gt):
            raise ValueError(f"{p.label}: GT {gt} refers to a missing ALT allele")
        calls.append(
            tuple(None if g is None else express_allele(p, rec.ref, rec.alleles[g]) for g in gt)
        )
        if rec.phased:
            phased = True
            phase_set = rec.phase_set if rec.phase_set is not None else phase_set
    combined = combine_calls(p, calls)
    if combined is None:
        return None
    return SampleAllele(tuple(combined), phased=phased and len(combined) == 2, phase_set=phase_set)


def genotypes_from_vcf(
    path: str | PathLike,
    catalog: Catalog,
    *,
    sample: str | None = None,
    genes: Iterable[str] | None = None,
) -> dict[tuple[str, int], SampleAllele | None]:
    """Sample alleles at every catalog position of one VCF sample (see module docstring).

    An indexed VCF/BCF is read with pysam (region queries); any other VCF (plain or gzipped)
    is read line by line, leniently.

    Raises
    ------
    ValueError
        If the sample is missing/ambiguous or a record's REF contradicts GRCh38.
    """
    import os

    wanted = list(catalog.genes) if genes is None else list(genes)
    positions = [p for g in wanted for p in catalog.genes[g].all_positions]
    records: dict[tuple[str, int], list[Record]] = {p.key: [] for p in positions}
    path = str(path)
    with open(path, "rb") as fh:
        is_bcf = fh.read(3) == b"BCF" or path.endswith(".bcf")
    indexed = any(os.path.exists(path + s) for s in (".tbi", ".csi"))
    if is_bcf or indexed:
        import pysam

        with pysam.VariantFile(path) as vf:
            samples = list(vf.header.samples)
            if sample is None:
                if len(samples) != 1:
                    raise ValueError(f"{path}: {len(samples)} samples {samples}; pass sample=")
                sample = samples[0]
            elif sample not in samples:
                raise ValueError(f"{path}: sample {sample!r} not in {samples}")
            contigs = set(vf.header.contigs)
            if vf.index is not None:
                for p in positions:
                    c = next(
                        (c for c in (p.chrom, p.chrom.removeprefix("chr")) if c in contigs), None
                    )
                    if c is None:
                        continue
                    stop = p.pos - 1 + len(p.ref) + (WOBBLE_BP if _is_wobble_site(p) else 0)
                    for rec in vf.fetch(c, p.pos - 1, stop):
                        r = _pysam_record(rec, sample)
                        if r is not None:
                            records[p.key].append(r)
                return {p.key: _sample_allele_at(p, records[p.key]) for p in positions}
            stream = (r for rec in vf.fetch() if (r := _pysam_record(rec, sample)) is not None)
            _assign(stream, positions, records)
    else:
        _assign(_text_records(path, sample), positions, records)
    return {p.key: _sample_allele_at(p, records[p.key]) for p in positions}


def _assign(stream, positions, records) -> None:
    """Records -> the catalog positions they overlap or start inside the REF span of."""
    by_chrom: dict[str, list[int]] = {}
    span: dict[tuple[str, int], int] = {}
    for p in positions:
        by_chrom.setdefault(p.chrom, []).append(p.pos)
        span[p.key] = max(span.get(p.key, 1), len(p.ref))
    for v in by_chrom.values():
        v.sort()
    longest = max(span.values(), default=1)
    wobble = {(p.chrom, p.rsid): p for p in positions if _is_wobble_site(p)}
    for rec in stream:
        chrom = rec.chrom if rec.chrom.startswith("chr") else f"chr{rec.chrom}"
        for rsid in rec.ids:
            w = wobble.get((chrom, rsid))
            if w is not None and w.pos + len(w.ref) <= rec.pos <= w.pos + WOBBLE_BP:
                records[w.key].append(rec)
        plist = by_chrom.get(chrom)
        if not plist:
            continue
        i = bisect.bisect_left(plist, rec.pos)
        j = i - 1
        while j >= 0 and plist[j] > rec.pos - longest:
            if plist[j] + span[(chrom, plist[j])] > rec.pos:
                records[(chrom, plist[j])].append(rec)
            j -= 1
        while i < len(plist) and plist[i] <= rec.stop:
            records[(chrom, plist[i])].append(rec)
            i += 1


def lookup(genotypes: Mapping, p: Position):
    """The genotype of ``p`` in a mapping keyed ``(chrom, pos)`` or ``"chrom:pos"``."""
    for key in (
        p.key,
        (p.chrom.removeprefix("chr"), p.pos),
        f"{p.chrom}:{p.pos}",
        f"{p.chrom.removeprefix('chr')}:{p.pos}",
    ):
        if key in genotypes:
            return genotypes[key]
    return None
