"""Host side of the demo: a truncated synthetic GRCh38 panel reference, planted PGx diplotypes
and private SNPs, truth VCFs and host reads.

The reference keeps real GRCh38 contig names and coordinates but is synthetic: every base is
``N`` except inside *sequence windows* (the capture targets plus a flank), which hold random
sequence (fixed seed, GC ~41 %, homopolymers of at most 6) with the real GRCh38 reference allele
written at every PGx variant of the panel genes (from pypgx, see :mod:`.pgx_sites`). Contigs end a
few kb after their last window.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pysam

from . import reads as rd
from .files import write_bgzf, write_text
from .pgx_sites import PANEL_GENES, Gene, PgxSite, StarAllele, parse_name

#: Contig order of the demo reference (karyotypic).
CONTIG_ORDER = (
    "chr1",
    "chr2",
    "chr4",
    "chr6",
    "chr7",
    "chr10",
    "chr12",
    "chr13",
    "chr16",
    "chr19",
    "chrX",
)
FASTA_LINE = 60
#: Base composition of the synthetic sequence (A, C, G, T): GC 41 %.
BASE_P = (0.295, 0.205, 0.205, 0.295)
MAX_HOMOPOLYMER = 6

#: Variants carried by every allele of a gene except the listed ones. pypgx defines CYP2C19 *1
#: only by rs3758581 (10-94842866-A-G) because GRCh38 carries *38; PharmVar's *2, *3, *17 ...
#: carry rs3758581-G as well, so all planted CYP2C19 haplotypes except *38 get it.
BACKBONE = {"CYP2C19": (("10-94842866-A-G",), frozenset({"*38"}))}


@dataclass(frozen=True)
class Variant:
    """A planted variant (VCF-style, 1-based ``pos``)."""

    chrom: str
    pos: int
    ref: str
    alt: str
    id: str = "."
    kind: str = "private"  # "pgx" or "private"
    gene: str = ""


@dataclass
class Panel:
    """The demo host reference.

    Attributes
    ----------
    contigs : dict
        Contig name -> length, in :data:`CONTIG_ORDER`.
    targets : list of tuple
        Capture targets ``(chrom, start, end, gene)`` (0-based half-open, merged).
    windows : list of tuple
        Sequence windows ``(chrom, start, end)`` (0-based half-open); ``N`` elsewhere.
    sequences : list of numpy.ndarray
        Reference codes of each window.
    fixed : dict
        ``(chrom, pos0) -> base`` written from GRCh38 at PGx sites.
    """

    contigs: dict[str, int]
    targets: list[tuple[str, int, int, str]]
    windows: list[tuple[str, int, int]]
    sequences: list[np.ndarray]
    fixed: dict[tuple[str, int], str] = field(default_factory=dict)

    def window_of(self, chrom: str, pos0: int) -> int:
        """Index of the window holding 0-based ``pos0`` (``-1`` if none)."""
        for i, (c, s, e) in enumerate(self.windows):
            if c == chrom and s <= pos0 < e:
                return i
        return -1

    def ref_base(self, chrom: str, pos0: int, length: int = 1) -> str:
        """Reference bases at 0-based ``pos0`` (``N`` outside windows)."""
        w = self.window_of(chrom, pos0)
        if w < 0:
            return "N" * length
        s = self.windows[w][1]
        return rd.decode(self.sequences[w][pos0 - s : pos0 - s + length])

    @property
    def total_length(self) -> int:
        return sum(self.contigs.values())


def _merge(intervals: list[tuple[str, int, int, str]]) -> list[tuple[str, int, int, str]]:
    out: list[list] = []
    order = {c: i for i, c in enumerate(CONTIG_ORDER)}
    for c, s, e, name in sorted(intervals, key=lambda x: (order[x[0]], x[1], x[2])):
        s = max(s, 0)
        if out and out[-1][0] == c and s <= out[-1][2]:
            out[-1][2] = max(out[-1][2], e)
            if name not in out[-1][3].split(","):
                out[-1][3] += "," + name
        else:
            out.append([c, s, e, name])
    return [tuple(x) for x in out]


def _break_homopolymers(codes: np.ndarray, fixed: np.ndarray, rng: np.random.Generator) -> None:
    """Change bases (never fixed ones) until no homopolymer is longer than the limit."""
    while True:
        change = np.flatnonzero(codes[1:] != codes[:-1]) + 1
        starts = np.r_[0, change]
        ends = np.r_[change, len(codes)]
        long_runs = np.flatnonzero(ends - starts > MAX_HOMOPOLYMER)
        if not len(long_runs):
            return
        for r in long_runs:
            s, e = int(starts[r]), int(ends[r])
            free = [p for p in range(s + MAX_HOMOPOLYMER // 2, e) if not fixed[p]]
            if not free:
                free = [p for p in range(s, e) if not fixed[p]]
            p = free[0]
            codes[p] = (codes[p] + rng.integers(1, 4)) % 4


def build_panel(
    sites: list[PgxSite],
    genes: list[Gene],
    rng: np.random.Generator,
    exon_pad: int = 150,
    site_pad: int = 300,
    flank: int = 200,
    tail: int = 5000,
    reference_bases: Sequence[tuple[str, int, str]] = (),
    extra_sites: Sequence[tuple[str, str, int, str]] = (),
) -> Panel:
    """Design targets and windows and draw the reference sequence.

    Parameters
    ----------
    sites, genes : list
        From :func:`.pgx_sites.load_sites` / :func:`.pgx_sites.load_genes`.
    rng : numpy.random.Generator
    exon_pad, site_pad : int
        Targets are every exon +- ``exon_pad`` and every PGx variant +- ``site_pad``, merged.
    flank : int
        Sequence windows are targets +- ``flank`` (so that reads cover targets evenly).
    tail : int
        Contigs end at least ``tail`` bases after the last window (rounded up to 1 kb).
    reference_bases : sequence of (chrom, 1-based pos, GRCh38 REF)
        Further GRCh38 bases to fix where they fall in a window: every position of the PGx
        catalog (all the positions PharmCAT reads), so that the synthetic reference agrees
        with GRCh38 wherever a caller compares them. pypgx's bases win where both give one.
    extra_sites : sequence of (gene, chrom, 1-based pos, GRCh38 REF)
        Further capture targets (+- ``site_pad``): every catalog position of the genes planted
        from the PGx catalog (``pgx_plants.tsv``), which pypgx's panel tables do not cover.
    """
    raw = []
    for g in genes:
        for s, e in zip(g.exon_starts, g.exon_ends, strict=True):
            raw.append((g.chrom, s - exon_pad, e + exon_pad, g.gene))
    for v in sites:
        raw.append((v.chrom, v.pos - 1 - site_pad, v.pos - 1 + len(v.ref) + site_pad, v.gene))
    for gene, chrom, pos, ref in extra_sites:
        raw.append((chrom, pos - 1 - site_pad, pos - 1 + len(ref) + site_pad, gene))
    targets = _merge(raw)
    windows = [
        (c, s, e)
        for c, s, e, _ in _merge([(c, s - flank, e + flank, "") for c, s, e, _ in targets])
    ]
    contigs = {}
    for c in CONTIG_ORDER:
        last = max(e for cc, _, e in windows if cc == c)
        contigs[c] = -(-(last + tail) // 1000) * 1000

    fixed: dict[tuple[str, int], str] = {}
    for v in sites:
        for i, b in enumerate(v.ref):
            key = (v.chrom, v.pos - 1 + i)
            if fixed.setdefault(key, b) != b:
                raise ValueError(f"conflicting GRCh38 reference bases at {key}")
    in_window = {c: [(s, e) for cc, s, e in windows if cc == c] for c in CONTIG_ORDER}
    for chrom, pos, ref in sorted(reference_bases):
        span = range(pos - 1, pos - 1 + len(ref))
        if not any(s <= span[0] and span[-1] < e for s, e in in_window.get(chrom, [])):
            continue
        if any(fixed.get((chrom, p), b) != b for p, b in zip(span, ref, strict=True)):
            continue  # another representation of a pypgx site: keep pypgx's bases
        for p, b in zip(span, ref, strict=True):
            fixed[(chrom, p)] = b
    sequences = []
    for c, s, e in windows:
        codes = rng.choice(4, size=e - s, p=BASE_P).astype(np.uint8)
        is_fixed = np.zeros(e - s, dtype=bool)
        for (fc, p), b in fixed.items():
            if fc == c and s <= p < e:
                codes[p - s] = rd.encode(b)[0]
                is_fixed[p - s] = True
        _break_homopolymers(codes, is_fixed, rng)
        sequences.append(codes)
    return Panel(contigs, targets, windows, sequences, fixed)


# --------------------------------------------------------------------------------------------
# reference files


def _fasta_chunks(panel: Panel, md5s: dict[str, str]) -> Iterator[bytes]:
    nl = ord("\n")
    for c in CONTIG_ORDER:
        length = panel.contigs[c]
        arr = np.full(length, ord("N"), dtype=np.uint8)
        for (wc, s, e), codes in zip(panel.windows, panel.sequences, strict=True):
            if wc == c:
                arr[s:e] = np.frombuffer(rd.BASES, dtype=np.uint8)[codes]
        md5s[c] = hashlib.md5(arr.tobytes()).hexdigest()
        yield f">{c}\n".encode()
        rows = length // FASTA_LINE
        step = 16384  # lines per chunk
        for a in range(0, rows, step):
            b = min(a + step, rows)
            block = arr[a * FASTA_LINE : b * FASTA_LINE].reshape(b - a, FASTA_LINE)
            yield np.hstack([block, np.full((b - a, 1), nl, dtype=np.uint8)]).tobytes()
        rest = arr[rows * FASTA_LINE :]
        if len(rest):
            yield rest.tobytes() + b"\n"


def write_reference(panel: Panel, out_dir: str | os.PathLike, name: str = "demo_grch38") -> dict:
    """Write ``<name>.fa.gz`` (BGZF) with ``.fai``, ``.gzi``, ``<name>.dict`` and the targets BED.

    Returns
    -------
    dict
        Sizes for ``demo_info.json``.
    """
    out_dir = Path(out_dir)
    fa = out_dir / f"{name}.fa.gz"
    md5s: dict[str, str] = {}
    write_bgzf(fa, _fasta_chunks(panel, md5s))
    fai, dct = [], ["@HD\tVN:1.6\tSO:unsorted"]
    offset = 0
    for c in CONTIG_ORDER:
        length = panel.contigs[c]
        offset += len(c) + 2
        fai.append(f"{c}\t{length}\t{offset}\t{FASTA_LINE}\t{FASTA_LINE + 1}")
        offset += length + -(-length // FASTA_LINE)
        # AS: the build (SAM spec); the contigs are truncated, so their lengths cannot tell it
        # and the host-reference check reads it here (holobiont.host.genome_build)
        dct.append(f"@SQ\tSN:{c}\tLN:{length}\tM5:{md5s[c]}\tAS:GRCh38")
    write_text(str(fa) + ".fai", "\n".join(fai) + "\n")
    write_text(out_dir / f"{name}.dict", "\n".join(dct) + "\n")
    bed = [f"{c}\t{s}\t{e}\t{g}" for c, s, e, g in panel.targets]
    write_text(out_dir / "pgx_targets.bed", "\n".join(bed) + "\n")
    return {
        "reference_total_length": panel.total_length,
        "reference_sequence_bases": int(sum(len(s) for s in panel.sequences)),
        "target_bases": int(sum(e - s for _, s, e, _ in panel.targets)),
        "targets": len(panel.targets),
        "windows": len(panel.windows),
    }


# --------------------------------------------------------------------------------------------
# genotypes


def allele_variants(
    gene: str, allele: str, alleles: dict[tuple[str, str], StarAllele]
) -> list[str]:
    """pypgx variant names carried by one haplotype (core of ``allele`` plus the backbone)."""
    star = alleles.get((gene, allele))
    if star is None:
        raise ValueError(f"unknown allele {gene} {allele}")
    if star.sv:
        raise ValueError(f"{gene} {allele} is a structural variant; not supported")
    names = list(star.core)
    if gene in BACKBONE:
        extra, exceptions = BACKBONE[gene]
        if allele not in exceptions:
            names += [n for n in extra if n not in names]
    return names


def parse_diplotype(text: str) -> tuple[str, str]:
    """``"*1/*2"`` -> ``("*1", "*2")``."""
    a, b = text.split("/")
    return a.strip(), b.strip()


@dataclass
class PatientGenome:
    """Planted haplotypes of one patient."""

    patient: str
    haplotypes: tuple[list[Variant], list[Variant]]
    diplotypes: dict[str, tuple[str, str]]
    sequences: tuple[list[np.ndarray], list[np.ndarray]]


def private_snp_pool(
    panel: Panel,
    sites: list[PgxSite],
    rng: np.random.Generator,
    n_sites: int = 330,
    af_range: tuple[float, float] = (0.05, 0.5),
    min_pgx_distance: int = 25,
    min_spacing: int = 10,
    avoid: Sequence[tuple[str, int, str]] = (),
) -> list[tuple[Variant, float]]:
    """Draw the cohort's pool of non-PGx SNPs with allele frequencies.

    Positions are uniform over the targets, at least ``min_pgx_distance`` from every PGx site
    and every ``avoid`` position (chrom, 1-based pos, REF), and ``min_spacing`` from each other.
    """
    lens = np.array([e - s for _, s, e, _ in panel.targets])
    cum = np.concatenate([[0], np.cumsum(lens)])
    pgx = {}
    for v in sites:
        pgx.setdefault(v.chrom, []).append((v.pos - 1, v.pos - 1 + len(v.ref)))
    for chrom, pos, ref in avoid:  # e.g. every PGx catalog position
        pgx.setdefault(chrom, []).append((pos - 1, pos - 1 + len(ref)))
    chosen: list[tuple[str, int]] = []
    pool = []
    while len(pool) < n_sites:
        x = int(rng.integers(0, cum[-1]))
        t = int(np.searchsorted(cum, x, side="right") - 1)
        chrom, s, _, _ = panel.targets[t]
        pos0 = s + x - int(cum[t])
        if any(a - min_pgx_distance <= pos0 < b + min_pgx_distance for a, b in pgx.get(chrom, [])):
            continue
        if any(c == chrom and abs(p - pos0) < min_spacing for c, p in chosen):
            continue
        ref = panel.ref_base(chrom, pos0)
        if ref == "N":
            continue
        alt = "ACGT"[(rd.encode(ref)[0] + int(rng.integers(1, 4))) % 4]
        af = float(rng.uniform(*af_range))
        chosen.append((chrom, pos0))
        vid = f"DEMO{len(pool) + 1:04d}"
        pool.append((Variant(chrom, pos0 + 1, ref, alt, vid, "private", ""), af))
    order = {c: i for i, c in enumerate(CONTIG_ORDER)}
    pool.sort(key=lambda x: (order[x[0].chrom], x[0].pos))
    return pool


def patient_genome(
    patient: str,
    diplotypes: dict[str, str],
    sites: list[PgxSite],
    alleles: list[StarAllele],
    pool: list[tuple[Variant, float]],
    panel: Panel,
    rng: np.random.Generator,
    plants: Sequence[tuple[str, tuple[str, str], tuple[list[Variant], list[Variant]]]] = (),
) -> PatientGenome:
    """Planted haplotypes (PGx alleles + private SNPs) and their sequences for one patient.

    ``diplotypes`` are pypgx allele names per panel gene (``-``: the gene is planted from
    ``plants`` instead); ``plants`` are ``(gene, (allele1, allele2), (variants of haplotype
    1, variants of haplotype 2))`` built from the PGx catalog (:func:`catalog_plant`).
    """
    by_name = {s.name: s for s in sites}
    amap = {(a.gene, a.allele): a for a in alleles}
    haps: tuple[list[Variant], list[Variant]] = ([], [])
    dips = {}
    for gene in PANEL_GENES:
        if diplotypes[gene].strip() == "-":
            continue
        a1, a2 = parse_diplotype(diplotypes[gene])
        dips[gene] = (a1, a2)
        for h, allele in enumerate((a1, a2)):
            for name in allele_variants(gene, allele, amap):
                site = by_name[name]
                chrom, pos, ref, alt = parse_name(name)
                if panel.ref_base(chrom, pos - 1, len(ref)) != ref:
                    raise ValueError(f"reference disagrees with {name}")
                haps[h].append(Variant(chrom, pos, ref, alt, site.rsid, "pgx", gene))
    for gene, pair, variants in plants:
        if gene in dips:
            raise ValueError(f"{patient}: {gene} is planted twice (cohort.tsv and pgx_plants.tsv)")
        dips[gene] = pair
        for h in (0, 1):
            for v in variants[h]:
                if panel.ref_base(v.chrom, v.pos - 1, len(v.ref)) != v.ref:
                    raise ValueError(f"{patient}: reference disagrees with {gene} plant {v}")
                haps[h].append(v)
    for var, af in pool:
        for h in (0, 1):
            if rng.random() < af:
                haps[h].append(var)
    order = {c: i for i, c in enumerate(CONTIG_ORDER)}
    for h in haps:
        h.sort(key=lambda v: (order[v.chrom], v.pos))
    seqs = (haplotype_sequences(panel, haps[0]), haplotype_sequences(panel, haps[1]))
    return PatientGenome(patient, haps, dips, seqs)


def catalog_plant(
    gene_def, allele1: str, allele2: str, undocumented: str = ""
) -> tuple[tuple[str, str], tuple[list[Variant], list[Variant]]]:
    """Variants of a diplotype planted from the PGx catalog (PharmCAT's definitions).

    Each haplotype carries the VCF alleles its named allele specifies where they differ from
    the reference allele (PharmCAT's "assume reference"). ``undocumented`` = ``POS:REF>ALT``
    adds an ALT the catalog does not define at an allele-defining position to haplotype 2.
    """
    ref = gene_def.reference
    by_pos = {p.pos: p for p in gene_def.positions}
    haps: tuple[list[Variant], list[Variant]] = ([], [])
    for h, name in enumerate((allele1, allele2)):
        allele = gene_def.allele(name)
        for pos, value in sorted(allele.variants.items()):
            p = by_pos[pos]
            if value == ref.variants.get(pos, p.ref):
                continue
            if value not in p.alts:
                raise ValueError(f"{gene_def.gene} {name} at {pos}: {value} is not a VCF allele")
            haps[h].append(Variant(p.chrom, pos, p.ref, value, p.rsid, "pgx", gene_def.gene))
    if undocumented:
        pos_text, change = undocumented.split(":")
        vref, valt = change.split(">")
        p = by_pos.get(int(pos_text))
        if p is None or p.ref != vref or valt in p.alts or p.role != "definition":
            raise ValueError(
                f"{gene_def.gene}: undocumented plant {undocumented} must be a new ALT at a "
                "defining position of the catalog"
            )
        haps[1].append(Variant(p.chrom, p.pos, vref, valt, p.rsid, "pgx", gene_def.gene))
    return (allele1, allele2), haps


def haplotype_sequences(panel: Panel, variants: list[Variant]) -> list[np.ndarray]:
    """Window sequences of one haplotype (variants applied; indels change lengths)."""
    per_window: dict[int, list[Variant]] = {}
    for v in variants:
        w = panel.window_of(v.chrom, v.pos - 1)
        if w < 0 or panel.window_of(v.chrom, v.pos - 2 + len(v.ref)) != w:
            raise ValueError(f"variant outside a sequence window: {v}")
        per_window.setdefault(w, []).append(v)
    out = []
    for w, ref_codes in enumerate(panel.sequences):
        vs = sorted(per_window.get(w, []), key=lambda v: v.pos)
        if not vs:
            out.append(ref_codes)
            continue
        start = panel.windows[w][1]
        parts, cur = [], 0
        for v in vs:
            p = v.pos - 1 - start
            if p < cur:
                raise ValueError(f"overlapping variants on one haplotype at {v}")
            if rd.decode(ref_codes[p : p + len(v.ref)]) != v.ref:
                raise ValueError(f"REF mismatch at {v}")
            parts += [ref_codes[cur:p], rd.encode(v.alt)]
            cur = p + len(v.ref)
        parts.append(ref_codes[cur:])
        out.append(np.concatenate(parts).astype(np.uint8))
    return out


def truth_vcf_text(genome: PatientGenome, panel: Panel, version: str) -> str:
    """Phased truth VCF (variant sites only) of one patient."""
    lines = [
        "##fileformat=VCFv4.2",
        f"##source=holobiont.demo {version} (planted truth; synthetic reference)",
        "##reference=demo_grch38.fa.gz",
    ]
    lines += [f"##contig=<ID={c},length={n}>" for c, n in panel.contigs.items()]
    lines += [
        '##INFO=<ID=KIND,Number=1,Type=String,Description="pgx: star-allele variant of a panel '
        'gene (pypgx); private: random SNP of the demo cohort pool">',
        '##INFO=<ID=GENE,Number=1,Type=String,Description="Pharmacogene of a pgx variant">',
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype (phased as planted)">',
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t" + genome.patient,
    ]
    sites: dict[tuple[str, int, str], dict] = {}
    for h, hap in enumerate(genome.haplotypes):
        for v in hap:
            rec = sites.setdefault((v.chrom, v.pos, v.ref), {"var": v, "alts": [], "gt": [0, 0]})
            if v.alt not in rec["alts"]:
                rec["alts"].append(v.alt)
            rec["gt"][h] = rec["alts"].index(v.alt) + 1
    order = {c: i for i, c in enumerate(CONTIG_ORDER)}
    for key in sorted(sites, key=lambda k: (order[k[0]], k[1], k[2])):
        rec = sites[key]
        v = rec["var"]
        info = f"KIND={v.kind}" + (f";GENE={v.gene}" if v.gene else "")
        gt = f"{rec['gt'][0]}|{rec['gt'][1]}"
        lines.append(
            f"{v.chrom}\t{v.pos}\t{v.id}\t{v.ref}\t{','.join(rec['alts'])}\t.\tPASS\t{info}\tGT\t{gt}"
        )
    return "\n".join(lines) + "\n"


def write_vcf_bgz(path: str | os.PathLike, text: str) -> None:
    """bgzip + tabix a VCF text atomically (``path`` and ``path.tbi``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".vcf-") as tmp:
        plain = Path(tmp) / "x.vcf"
        plain.write_text(text)
        gz = Path(tmp) / "x.vcf.gz"
        pysam.tabix_compress(str(plain), str(gz), force=True)
        pysam.tabix_index(str(gz), preset="vcf", force=True)
        os.replace(str(gz) + ".tbi", str(path) + ".tbi")
        os.replace(gz, path)


# --------------------------------------------------------------------------------------------
# reads


def host_fragments(
    rng: np.random.Generator,
    genome: PatientGenome,
    read_length: int,
    coverage: float | None = None,
    n_pairs: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Fragments from both haplotypes of a patient (each sampled equally).

    Give either ``coverage`` (diploid fold coverage of the windows; pairs per window are
    deterministic) or ``n_pairs`` (pairs spread over windows in proportion to length).

    Returns
    -------
    tuple of numpy.ndarray
        ``(source, starts, lengths, reverse)`` for :func:`.reads.pairs_from_fragments`.
    """
    seqs = list(genome.sequences[0]) + list(genome.sequences[1])
    lens = np.array([len(s) for s in seqs], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lens)])
    source = np.concatenate(seqs)
    if coverage is not None:
        per = np.rint(coverage / 2.0 * lens / (2.0 * read_length)).astype(np.int64)
    else:
        assert n_pairs is not None
        per = rng.multinomial(n_pairs, lens / lens.sum())
    which = np.repeat(np.arange(len(seqs)), per)
    n = len(which)
    lengths = np.minimum(rd.draw_inserts(rng, n), lens[which])
    starts = offsets[which] + (rng.random(n) * (lens[which] - lengths + 1)).astype(np.int64)
    reverse = rng.random(n) < 0.5
    perm = rng.permutation(n)
    return source, starts[perm], lengths[perm], reverse[perm]


def simulate_host_library(
    rng: np.random.Generator,
    genome: PatientGenome,
    instrument: str,
    lane: int,
    index: str,
    coverage: float,
    read_length: int = 150,
) -> rd.PairedReads:
    """Simulate one host sequencing unit (2 x ``read_length``)."""
    source, starts, lengths, reverse = host_fragments(rng, genome, read_length, coverage=coverage)
    tails = rd.adapter_tails(index, read_length)
    r1, r2 = rd.pairs_from_fragments(source, starts, lengths, reverse, read_length, tails)
    names = rd.read_names(rng, instrument, lane, len(starts))
    return rd.finish_pairs(rng, r1, r2, names, rd.SHORT_READ_QUALITY, rd.SHORT_READ_QUALITY)
