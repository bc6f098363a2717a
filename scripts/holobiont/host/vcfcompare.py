"""Small-variant benchmarking: compare a query VCF with a truth VCF, hap.py / vcfeval style.

The comparison is *record based after normalisation*, which is enough to benchmark a caller on
SNVs and simple indels but is not a haplotype-level comparison (see *Limits* below).

Procedure (:func:`compare_vcfs`), applied to truth and query alike unless stated otherwise:

1. ``bcftools norm -m -any [-f REF]``: split multiallelic records into biallelic ones (the
   genotype ``1/2`` becomes ``1/0`` and ``0/1``); with a reference, also left-align and trim
   indels and stop on a REF allele that disagrees with the FASTA (``--check-ref e``).
2. Keep records whose sample genotype carries the ALT allele. Records without a called ALT
   (``0/0``, ``./.``, gVCF reference blocks), symbolic or ``*`` ALT alleles are dropped. In the
   **query**, records whose FILTER is neither ``PASS`` nor ``.`` are dropped too (unless
   ``pass_only=False``); truth FILTERs are not looked at.
3. Genotypes are reduced to a zygosity for the ALT allele: ``hom`` when every called allele is
   the ALT (``1/1``, ``1|1`` and haploid ``1``, as hap.py does for haploid calls), ``het``
   otherwise (``0/1``, ``1/.``, each half of a split ``1/2``). Sites-only VCFs give ``.``
   (unknown), which matches any zygosity.
4. Decomposition: a multi-nucleotide substitution (REF and ALT of equal length) becomes one SNV
   per differing base; a *complex* record (REF and ALT of different lengths that are not a pure
   insertion or deletion) is aligned (global alignment, affine gaps, substitution cheaper than
   an insertion + deletion pair, gaps placed leftmost) and becomes SNVs, insertions and
   deletions, each with the record's zygosity. The primitives are left-aligned again with
   ``bcftools norm -f REF`` when a reference is given.
5. Records are classified as ``SNV`` (REF and ALT one base long) or ``INDEL`` (anything else,
   including a complex record left whole, e.g. one too long to align).
6. With a confident-region BED, truth and query records are kept only if their whole REF span
   (anchor base included) lies inside the merged confident intervals; records outside are
   ignored (hap.py's UNK). With a target BED, records must *overlap* a target interval.
7. Matching key: ``(chrom, pos, ref, alt)``. A key seen twice in one call set (e.g. both
   halves of a ``1/2`` decompose to the same primitive) is merged: two ``het`` make ``hom``.

   * ``match="genotype"`` (default, as hap.py counts): a truth record is a TP when the query
     has the same key *and* zygosity. Same key, different zygosity counts as one FN and one
     FP, and is tallied in ``fp_gt`` (hap.py's ``FP.gt``).
   * ``match="allele"``: the key alone decides (vcfeval ``--squash-ploidy`` spirit).

Metrics per type: ``precision = TP / (TP + FP)``, ``recall = TP / (TP + FN)``, ``F1`` their
harmonic mean; ``NaN`` (``NA`` in the TSV, ``null`` in the JSON) when undefined.

Limits compared with hap.py / vcfeval
-------------------------------------
* No haplotype reconstruction: two call sets that spell the same haplotype sequences with
  *different sets* of records (e.g. a deletion + insertion pair vs. a substitution block, or
  indels that only become identical once neighbouring records are applied, as in hap.py's
  ``example/NIST_indels``) are counted as FP + FN. hap.py's superlocus / vcfeval's path search
  would count them as TP. The cheap decomposition above covers the common case of one complex
  record against its primitives (hap.py's ``example/decomp``), provided the reference is given
  so that the primitives can be left-aligned.
* Without a reference (``reference=None``) indels are only trimmed, not left-aligned: the same
  indel written at two places of a repeat does not match.
* No partial credit / local match (hap.py's ``lm``), no stratification, no Ti/Tv or het/hom
  ratios, no chromosome-name reconciliation (``1`` vs ``chr1``), no gVCF reference-block
  handling, no ``--squash-ploidy`` beyond ``match="allele"``.
* Zygosity of overlapping records is not cross-checked (a ``het`` SNV inside a ``hom``
  deletion is taken at face value).

Examples
--------
Command line (writes ``out.summary.tsv``, ``out.summary.json``, ``out.fp.tsv``,
``out.fn.tsv``)::

    python -m holobiont.host.vcfcompare --truth truth.vcf.gz --query calls.vcf.gz \\
        --reference genome.fa --confident conf.bed --out out
"""

from __future__ import annotations

import argparse
import bisect
import csv
import gzip
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pysam

VARIANT_TYPES = ("SNV", "INDEL")
MATCH_MODES = ("genotype", "allele")

#: Complex records whose ``len(ref) * len(alt)`` exceeds this are left whole (not aligned).
MAX_ALIGN_CELLS = 250_000

# Alignment costs (minimised): a substitution must be cheaper than an insertion + deletion pair.
_MISMATCH = 3
_GAP_OPEN = 5
_GAP_EXTEND = 1


class VcfCompareError(RuntimeError):
    """An input cannot be compared (bcftools failed, a file is missing, a bad option)."""


@dataclass(frozen=True, order=True)
class Variant:
    """A normalised biallelic variant of one sample.

    Parameters
    ----------
    chrom, pos, ref, alt
        VCF coordinates (1-based ``pos``) and alleles, upper case.
    zygosity
        ``"het"``, ``"hom"`` or ``"."`` (unknown: sites-only VCF).
    """

    chrom: str
    pos: int
    ref: str
    alt: str
    zygosity: str = "."

    @property
    def key(self) -> tuple[str, int, str, str]:
        return (self.chrom, self.pos, self.ref, self.alt)

    @property
    def vtype(self) -> str:
        """``"SNV"`` for single-base substitutions, ``"INDEL"`` otherwise."""
        return "SNV" if len(self.ref) == 1 and len(self.alt) == 1 else "INDEL"

    @property
    def end(self) -> int:
        """Last reference position of the REF allele (1-based, inclusive)."""
        return self.pos + len(self.ref) - 1


@dataclass
class TypeMetrics:
    """Counts and metrics of one variant type."""

    vtype: str
    truth_total: int = 0
    tp: int = 0
    fn: int = 0
    query_total: int = 0
    fp: int = 0
    fp_gt: int = 0

    @property
    def precision(self) -> float:
        return _ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float:
        return _ratio(self.tp, self.tp + self.fn)

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        if math.isnan(p) or math.isnan(r):
            return math.nan
        return 0.0 if p + r == 0 else 2 * p * r / (p + r)

    def as_dict(self) -> dict:
        d = {
            "type": self.vtype,
            "truth_total": self.truth_total,
            "tp": self.tp,
            "fn": self.fn,
            "query_total": self.query_total,
            "fp": self.fp,
            "fp_gt": self.fp_gt,
        }
        for name in ("precision", "recall", "f1"):
            v = getattr(self, name)
            d[name] = None if math.isnan(v) else v
        return d


@dataclass(frozen=True)
class Discrepancy:
    """A false positive (query record) or false negative (truth record)."""

    variant: Variant
    reason: str  # "missing": no record with this key on the other side; "genotype": zygosity
    other_zygosity: str = ""


@dataclass
class Comparison:
    """Result of :func:`compare_variants` / :func:`compare_vcfs`."""

    metrics: dict[str, TypeMetrics]
    false_positives: list[Discrepancy]
    false_negatives: list[Discrepancy]
    true_positives: list[Variant]
    match: str = "genotype"
    info: dict = field(default_factory=dict)

    def table(self) -> str:
        """The metrics as an aligned plain-text table (what the CLI prints)."""
        cols = ["type", "truth_total", "tp", "fn", "query_total", "fp", "fp_gt"]
        cols += ["precision", "recall", "f1"]
        rows = [cols] + [_format_row(self.metrics[t].as_dict(), cols) for t in self.metrics]
        widths = [max(len(r[i]) for r in rows) for i in range(len(cols))]
        return "\n".join(
            "  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows
        )


def _ratio(a: int, b: int) -> float:
    return a / b if b else math.nan


def _format_row(d: dict, cols: Sequence[str]) -> list[str]:
    out = []
    for c in cols:
        v = d[c]
        out.append("NA" if v is None else f"{v:.4f}" if isinstance(v, float) else str(v))
    return out


# ---------------------------------------------------------------------------------------------
# decomposition


def _trim(pos: int, ref: str, alt: str) -> tuple[int, str, str]:
    """Remove the common suffix, then the common prefix, keeping one base in each allele."""
    while len(ref) > 1 and len(alt) > 1 and ref[-1] == alt[-1]:
        ref, alt = ref[:-1], alt[:-1]
    while len(ref) > 1 and len(alt) > 1 and ref[0] == alt[0]:
        ref, alt, pos = ref[1:], alt[1:], pos + 1
    return pos, ref, alt


def _align(ref: str, alt: str) -> list[tuple[str, int, int, int]]:
    """Global alignment of ``alt`` to ``ref`` whose first column pairs ``ref[0]`` with ``alt[0]``.

    Affine gap costs; on ties the traceback prefers aligned columns so that gaps end up as far
    left as possible. Returns runs ``(op, i, j, length)`` with ``op`` in ``"M"`` (aligned pair),
    ``"D"`` (ref bases absent from alt) or ``"I"`` (alt bases absent from ref), ``i`` / ``j``
    the 0-based start in ``ref`` / ``alt``.
    """
    n, m = len(ref), len(alt)
    inf = math.inf
    # score matrices: M ends in an aligned pair, X in a deletion, Y in an insertion
    M = [[inf] * (m + 1) for _ in range(n + 1)]
    X = [[inf] * (m + 1) for _ in range(n + 1)]
    Y = [[inf] * (m + 1) for _ in range(n + 1)]
    M[1][1] = 0 if ref[0] == alt[0] else _MISMATCH
    for i in range(1, n + 1):
        Mi, Xi, Yi = M[i], X[i], Y[i]
        Mp, Xp, Yp = M[i - 1], X[i - 1], Y[i - 1]
        r = ref[i - 1]
        for j in range(1, m + 1):
            if i > 1 or j > 1:
                if i > 1 and j > 1:
                    sub = 0 if r == alt[j - 1] else _MISMATCH
                    Mi[j] = sub + min(Mp[j - 1], Xp[j - 1], Yp[j - 1])
                Xi[j] = min(Mp[j] + _GAP_OPEN, Xp[j] + _GAP_EXTEND, Yp[j] + _GAP_OPEN)
                Yi[j] = min(Mi[j - 1] + _GAP_OPEN, Yi[j - 1] + _GAP_EXTEND, Xi[j - 1] + _GAP_OPEN)
    # traceback from (n, m)
    ops: list[str] = []
    i, j = n, m
    best = min(M[n][m], X[n][m], Y[n][m])
    state = "M" if M[n][m] == best else ("X" if X[n][m] == best else "Y")
    while i > 0 and j > 0:
        if state == "M":
            ops.append("M")
            if i == 1 and j == 1:
                i, j = 0, 0
                break
            cost = M[i][j] - (0 if ref[i - 1] == alt[j - 1] else _MISMATCH)
            i, j = i - 1, j - 1
            state = "M" if M[i][j] == cost else ("X" if X[i][j] == cost else "Y")
        elif state == "X":
            ops.append("D")
            cost = X[i][j]
            i -= 1
            if M[i][j] + _GAP_OPEN == cost:
                state = "M"
            elif X[i][j] + _GAP_EXTEND == cost:
                state = "X"
            else:
                state = "Y"
        else:
            ops.append("I")
            cost = Y[i][j]
            j -= 1
            if M[i][j] + _GAP_OPEN == cost:
                state = "M"
            elif Y[i][j] + _GAP_EXTEND == cost:
                state = "Y"
            else:
                state = "X"
    ops.reverse()
    runs: list[tuple[str, int, int, int]] = []
    i = j = 0
    for op in ops:
        if runs and runs[-1][0] == op:
            o, ri, rj, ln = runs[-1]
            runs[-1] = (o, ri, rj, ln + 1)
        else:
            runs.append((op, i, j, 1))
        if op in "MD":
            i += 1
        if op in "MI":
            j += 1
    return runs


def decompose(
    chrom: str,
    pos: int,
    ref: str,
    alt: str,
    zygosity: str = ".",
    anchor: Callable[[str, int], str] | None = None,
) -> list[Variant]:
    """Split one biallelic record into SNVs and simple indels.

    Parameters
    ----------
    chrom, pos, ref, alt
        The record (1-based ``pos``).
    zygosity
        Copied to every primitive.
    anchor
        ``anchor(chrom, pos)`` returns the reference base at 1-based ``pos``; used to prepend
        the base before a complex record so that an indel at its very first base has an anchor.
        Without it the first bases of REF and ALT are forced into one aligned column.

    Returns
    -------
    list of Variant
        SNVs and simple indels; the record itself (trimmed) when it already is one, or when it
        is too long to align (``len(ref) * len(alt) > MAX_ALIGN_CELLS``).

    Examples
    --------
    >>> [(v.pos, v.ref, v.alt) for v in decompose("c", 10, "ACGT", "AGGA")]
    [(11, 'C', 'G'), (13, 'T', 'A')]
    >>> [(v.pos, v.ref, v.alt) for v in decompose("c", 10, "TTTCAG", "TTCTG")]
    [(10, 'TT', 'T'), (14, 'A', 'T')]
    """
    ref, alt = ref.upper(), alt.upper()
    tpos, tref, talt = _trim(pos, ref, alt)
    if len(tref) == len(talt):
        return [
            Variant(chrom, tpos + k, a, b, zygosity)
            for k, (a, b) in enumerate(zip(tref, talt, strict=True))
            if a != b
        ]
    if tref[0] == talt[0] and (len(tref) == 1 or len(talt) == 1):
        return [Variant(chrom, tpos, tref, talt, zygosity)]  # simple insertion / deletion
    # complex: align the untrimmed alleles, with one reference base prepended when possible
    if len(ref) * len(alt) > MAX_ALIGN_CELLS:
        return [Variant(chrom, tpos, tref, talt, zygosity)]
    if anchor is not None and pos > 1 and ref[0] != alt[0]:
        base = anchor(chrom, pos - 1).upper()
        if base:
            pos, ref, alt = pos - 1, base + ref, base + alt
    out: list[Variant] = []
    for op, i, j, ln in _align(ref, alt):
        if op == "M":
            out.extend(
                Variant(chrom, pos + i + k, ref[i + k], alt[j + k], zygosity)
                for k in range(ln)
                if ref[i + k] != alt[j + k]
            )
        elif op == "D":
            out.append(Variant(chrom, pos + i - 1, ref[i - 1 : i + ln], ref[i - 1], zygosity))
        else:
            out.append(
                Variant(chrom, pos + i - 1, ref[i - 1], ref[i - 1] + alt[j : j + ln], zygosity)
            )
    return out


# ---------------------------------------------------------------------------------------------
# regions


class Regions:
    """Merged half-open BED intervals per contig with containment / overlap queries.

    Examples
    --------
    >>> r = Regions({"c": [(0, 10), (10, 20), (30, 40)]})
    >>> r.contains("c", 5, 20), r.contains("c", 20, 31), r.overlaps("c", 20, 31)
    (True, False, True)
    """

    def __init__(self, intervals: dict[str, list[tuple[int, int]]]):
        self._starts: dict[str, list[int]] = {}
        self._ends: dict[str, list[int]] = {}
        for chrom, ivs in intervals.items():
            merged: list[list[int]] = []
            for s, e in sorted(ivs):
                if merged and s <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], e)
                else:
                    merged.append([s, e])
            self._starts[chrom] = [s for s, _ in merged]
            self._ends[chrom] = [e for _, e in merged]

    @classmethod
    def from_bed(cls, path: str | os.PathLike) -> Regions:
        """Read a BED file (plain or gzip/bgzip; ``track``/``browser``/``#`` lines skipped)."""
        path = Path(path)
        opener = gzip.open if _is_gzip(path) else open
        ivs: dict[str, list[tuple[int, int]]] = {}
        with opener(path, "rt") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip() or line.startswith(("#", "track", "browser")):
                    continue
                f = line.rstrip("\n").split("\t")
                try:
                    s, e = int(f[1]), int(f[2])
                except (IndexError, ValueError) as exc:
                    raise VcfCompareError(f"{path}:{n}: not a BED line: {line.strip()!r}") from exc
                ivs.setdefault(f[0], []).append((s, e))
        return cls(ivs)

    def _index(self, chrom: str, pos0: int) -> int:
        """Index of the interval with the largest start <= ``pos0`` (or -1)."""
        return bisect.bisect_right(self._starts.get(chrom, []), pos0) - 1

    def contains(self, chrom: str, start0: int, end0: int) -> bool:
        """True when the half-open span ``[start0, end0)`` lies inside one merged interval."""
        k = self._index(chrom, start0)
        return k >= 0 and end0 <= self._ends[chrom][k]

    def overlaps(self, chrom: str, start0: int, end0: int) -> bool:
        """True when the half-open span ``[start0, end0)`` overlaps an interval."""
        k = self._index(chrom, end0 - 1)
        return k >= 0 and self._ends[chrom][k] > start0

    def total_length(self) -> int:
        return sum(
            e - s for c in self._starts for s, e in zip(self._starts[c], self._ends[c], strict=True)
        )


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


# ---------------------------------------------------------------------------------------------
# loading and normalisation


@dataclass
class LoadStats:
    """What happened to the records of one VCF during :func:`load_variants`."""

    records_after_split: int = 0
    filtered: int = 0
    no_alt_genotype: int = 0
    symbolic: int = 0
    decomposed: int = 0
    primitives: int = 0
    merged_duplicates: int = 0
    outside_regions: int = 0
    kept: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _bcftools() -> str:
    exe = shutil.which("bcftools")
    if exe is None:
        raise VcfCompareError("bcftools is not on PATH (needed to normalise the VCFs)")
    return exe


def _run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise VcfCompareError(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr}")


def _zygosity(gt: tuple | None) -> str | None:
    """Zygosity of ALT allele 1 in a split record; ``None`` when the ALT is not carried."""
    if gt is None:
        return None
    called = [a for a in gt if a is not None]
    n_alt = sum(1 for a in called if a == 1)
    if n_alt == 0:
        return None
    return "hom" if n_alt == len(called) else "het"


def load_variants(
    vcf: str | os.PathLike,
    *,
    reference: str | os.PathLike | None = None,
    sample: str | None = None,
    pass_only: bool = False,
    decompose_complex: bool = True,
    check_ref: str = "e",
    confident: Regions | None = None,
    targets: Regions | None = None,
    tmpdir: str | os.PathLike | None = None,
) -> tuple[list[Variant], LoadStats]:
    """Normalise one VCF and return its sample's variants (steps 1--7 of the module doc).

    Parameters
    ----------
    vcf
        VCF (plain, gzip or bgzip).
    reference
        FASTA (plain or bgzip with ``.fai``) for left-alignment and the REF check; ``None``
        skips both.
    sample
        Sample column to read; default the first one (no sample: zygosity ``"."``).
    pass_only
        Drop records whose FILTER is not ``PASS`` / ``.``.
    decompose_complex
        Split MNPs and complex records (step 4).
    check_ref
        ``bcftools norm --check-ref`` mode (``e`` error, ``w`` warn, ``x`` exclude, ``s`` set).
    confident, targets
        Optional regions (containment / overlap, see module doc).
    tmpdir
        Where to put the intermediate VCFs (default: a fresh temporary directory).

    Returns
    -------
    variants : list of Variant
        Sorted, duplicates merged.
    stats : LoadStats
    """
    vcf = Path(vcf)
    if not vcf.exists():
        raise VcfCompareError(f"VCF not found: {vcf}")
    if reference is not None and not Path(reference).exists():
        raise VcfCompareError(f"reference FASTA not found: {reference}")
    bcftools = _bcftools()
    stats = LoadStats()
    with tempfile.TemporaryDirectory(dir=tmpdir, prefix="vcfcompare.") as tmp:
        split = Path(tmp) / "split.vcf"
        cmd = [bcftools, "norm", "-m", "-any", "--no-version", "-O", "v", "-o", str(split)]
        if reference is not None:
            cmd += ["-f", str(reference), "--check-ref", check_ref]
        _run([*cmd, str(vcf)])

        fasta = pysam.FastaFile(str(reference)) if reference is not None else None
        anchor = None
        if fasta is not None:
            refs = set(fasta.references)

            def anchor(chrom: str, pos: int) -> str:
                return fasta.fetch(chrom, pos - 1, pos) if chrom in refs else ""

        prims: list[Variant] = []
        try:
            with pysam.VariantFile(str(split)) as vf:
                samples = list(vf.header.samples)
                if sample is not None and sample not in samples:
                    raise VcfCompareError(f"{vcf}: no sample {sample!r} (has {samples})")
                sname = sample if sample is not None else (samples[0] if samples else None)
                contigs = list(vf.header.contigs)
                for rec in vf:
                    stats.records_after_split += 1
                    alts = rec.alts
                    if not alts or alts[0] in (".", "*") or alts[0].startswith("<"):
                        stats.symbolic += 1
                        continue
                    if pass_only:
                        flt = list(rec.filter.keys())
                        if flt and flt != ["PASS"]:
                            stats.filtered += 1
                            continue
                    if sname is None:
                        zyg = "."
                    else:
                        zyg = _zygosity(rec.samples[sname].get("GT"))
                        if zyg is None:
                            stats.no_alt_genotype += 1
                            continue
                    trimmed = _trim_key(rec.chrom, rec.pos, rec.ref, alts[0])
                    if decompose_complex:
                        parts = decompose(rec.chrom, rec.pos, rec.ref, alts[0], zyg, anchor)
                        if len(parts) != 1 or parts[0].key != trimmed:
                            stats.decomposed += 1
                            stats.primitives += len(parts)
                    else:
                        parts = [Variant(*trimmed, zyg)]
                    prims.extend(parts)
        finally:
            if fasta is not None:
                fasta.close()

        if reference is not None and stats.decomposed:
            prims = _left_align(prims, reference, contigs, Path(tmp), bcftools)

    variants = _merge(prims, stats)
    kept = []
    for v in variants:
        if confident is not None and not confident.contains(v.chrom, v.pos - 1, v.end):
            stats.outside_regions += 1
            continue
        if targets is not None and not targets.overlaps(v.chrom, v.pos - 1, v.end):
            stats.outside_regions += 1
            continue
        kept.append(v)
    stats.kept = len(kept)
    return kept, stats


def _trim_key(chrom: str, pos: int, ref: str, alt: str) -> tuple[str, int, str, str]:
    p, r, a = _trim(pos, ref.upper(), alt.upper())
    return (chrom, p, r, a)


def _left_align(
    prims: list[Variant], reference, contigs: list[str], tmp: Path, bcftools: str
) -> list[Variant]:
    """Left-align primitives with ``bcftools norm -f`` (zygosity carried in INFO/ZYG)."""
    src, dst = tmp / "prims.vcf", tmp / "prims.norm.vcf"
    names = list(dict.fromkeys([*contigs, *(v.chrom for v in prims)]))
    with open(src, "w") as fh:
        fh.write("##fileformat=VCFv4.2\n")
        fh.writelines(f"##contig=<ID={c}>\n" for c in names)
        fh.write('##INFO=<ID=ZYG,Number=1,Type=String,Description="het, hom or .">\n')
        fh.write("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
        order = {c: k for k, c in enumerate(names)}
        for v in sorted(prims, key=lambda v: (order[v.chrom], v.pos, v.ref, v.alt)):
            fh.write(f"{v.chrom}\t{v.pos}\t.\t{v.ref}\t{v.alt}\t.\t.\tZYG={v.zygosity}\n")
    _run(
        [
            bcftools,
            "norm",
            "-f",
            str(reference),
            "--no-version",
            "-O",
            "v",
            "-o",
            str(dst),
            str(src),
        ]
    )
    out = []
    with open(dst) as fh:
        for line in fh:
            if line.startswith("#"):
                continue
            f = line.rstrip("\n").split("\t")
            zyg = f[7].split("ZYG=", 1)[1].split(";", 1)[0]
            out.append(Variant(f[0], int(f[1]), f[3].upper(), f[4].upper(), zyg))
    return out


def _merge(prims: Iterable[Variant], stats: LoadStats) -> list[Variant]:
    """Sort and merge duplicate keys (two ``het`` copies of one primitive make ``hom``)."""
    by_key: dict[tuple, Variant] = {}
    for v in prims:
        old = by_key.get(v.key)
        if old is None:
            by_key[v.key] = v
            continue
        stats.merged_duplicates += 1
        # het + het, or anything with hom, is hom; unknown stays unknown
        zyg = "." if "." in (old.zygosity, v.zygosity) else "hom"
        by_key[v.key] = Variant(*v.key, zyg)
    return sorted(by_key.values())


# ---------------------------------------------------------------------------------------------
# comparison


def compare_variants(
    truth: Iterable[Variant], query: Iterable[Variant], *, match: str = "genotype"
) -> Comparison:
    """Count TP / FP / FN per variant type between two normalised variant lists.

    Parameters
    ----------
    truth, query
        Normalised variants (duplicate keys are merged as in :func:`load_variants`).
    match
        ``"genotype"``: key and zygosity must agree (a zygosity mismatch is one FN + one FP,
        counted in ``fp_gt``); ``"allele"``: the key alone.

    Returns
    -------
    Comparison
    """
    if match not in MATCH_MODES:
        raise VcfCompareError(f"match must be one of {MATCH_MODES}, not {match!r}")
    scratch = LoadStats()
    t = {v.key: v for v in _merge(truth, scratch)}
    q = {v.key: v for v in _merge(query, scratch)}
    metrics = {vt: TypeMetrics(vt) for vt in VARIANT_TYPES}
    fps: list[Discrepancy] = []
    fns: list[Discrepancy] = []
    tps: list[Variant] = []
    for key, tv in t.items():
        m = metrics[tv.vtype]
        m.truth_total += 1
        qv = q.get(key)
        if qv is None:
            m.fn += 1
            fns.append(Discrepancy(tv, "missing"))
        elif match == "allele" or "." in (tv.zygosity, qv.zygosity) or tv.zygosity == qv.zygosity:
            m.tp += 1
            tps.append(tv)
        else:
            m.fn += 1
            fns.append(Discrepancy(tv, "genotype", qv.zygosity))
    for key, qv in q.items():
        m = metrics[qv.vtype]
        m.query_total += 1
        tv = t.get(key)
        if tv is None:
            m.fp += 1
            fps.append(Discrepancy(qv, "missing"))
        elif not (
            match == "allele" or "." in (tv.zygosity, qv.zygosity) or tv.zygosity == qv.zygosity
        ):
            m.fp += 1
            m.fp_gt += 1
            fps.append(Discrepancy(qv, "genotype", tv.zygosity))
    total = TypeMetrics("ALL")
    for m in metrics.values():
        for a in ("truth_total", "tp", "fn", "query_total", "fp", "fp_gt"):
            setattr(total, a, getattr(total, a) + getattr(m, a))
    metrics["ALL"] = total
    return Comparison(metrics, sorted(fps, key=_dkey), sorted(fns, key=_dkey), sorted(tps), match)


def _dkey(d: Discrepancy):
    return d.variant


def compare_vcfs(
    truth: str | os.PathLike,
    query: str | os.PathLike,
    *,
    reference: str | os.PathLike | None = None,
    confident: str | os.PathLike | None = None,
    targets: str | os.PathLike | None = None,
    match: str = "genotype",
    pass_only: bool = True,
    truth_sample: str | None = None,
    query_sample: str | None = None,
    decompose_complex: bool = True,
    check_ref: str = "e",
) -> Comparison:
    """Normalise both VCFs and compare them (see the module docstring for every step).

    Parameters
    ----------
    truth, query
        VCF files (plain or compressed).
    reference
        FASTA of the build both VCFs use; ``None`` disables left-alignment (see *Limits*).
    confident
        BED of confident regions: records not fully inside are ignored on both sides.
    targets
        BED of targets: records not overlapping are ignored on both sides.
    match
        ``"genotype"`` (default) or ``"allele"``.
    pass_only
        Drop non-PASS *query* records (truth FILTERs are ignored).
    truth_sample, query_sample
        Sample columns (default: the first of each file).
    decompose_complex
        Split MNPs and complex records into primitives.
    check_ref
        ``bcftools norm --check-ref`` mode.

    Returns
    -------
    Comparison
        Metrics per type (``SNV``, ``INDEL``, ``ALL``), FP / FN / TP lists, and ``info`` with
        the inputs, options and normalisation statistics.
    """
    conf = Regions.from_bed(confident) if confident is not None else None
    tgt = Regions.from_bed(targets) if targets is not None else None
    common = dict(
        reference=reference,
        decompose_complex=decompose_complex,
        check_ref=check_ref,
        confident=conf,
        targets=tgt,
    )
    tv, tstats = load_variants(truth, sample=truth_sample, pass_only=False, **common)
    qv, qstats = load_variants(query, sample=query_sample, pass_only=pass_only, **common)
    comp = compare_variants(tv, qv, match=match)
    comp.info = {
        "truth": str(truth),
        "query": str(query),
        "reference": None if reference is None else str(reference),
        "confident": None if confident is None else str(confident),
        "confident_bp": None if conf is None else conf.total_length(),
        "targets": None if targets is None else str(targets),
        "match": match,
        "pass_only": pass_only,
        "decompose_complex": decompose_complex,
        "truth_normalisation": tstats.as_dict(),
        "query_normalisation": qstats.as_dict(),
    }
    return comp


# ---------------------------------------------------------------------------------------------
# output


def write_report(comp: Comparison, prefix: str | os.PathLike) -> dict[str, Path]:
    """Write ``<prefix>.summary.tsv``, ``.summary.json``, ``.fp.tsv`` and ``.fn.tsv``.

    Returns
    -------
    dict
        Output kind -> path.
    """
    prefix = str(prefix)
    Path(prefix).parent.mkdir(parents=True, exist_ok=True)
    paths = {
        "summary_tsv": Path(prefix + ".summary.tsv"),
        "summary_json": Path(prefix + ".summary.json"),
        "fp": Path(prefix + ".fp.tsv"),
        "fn": Path(prefix + ".fn.tsv"),
    }
    cols = ["type", "truth_total", "tp", "fn", "query_total", "fp", "fp_gt"]
    cols += ["precision", "recall", "f1"]
    with open(paths["summary_tsv"], "w", newline="") as fh:
        w = csv.writer(fh, delimiter="\t", lineterminator="\n")
        w.writerow(cols)
        for m in comp.metrics.values():
            w.writerow(_format_row(m.as_dict(), cols))
    doc = {
        "tool": "holobiont.host.vcfcompare",
        "metrics": {t: m.as_dict() for t, m in comp.metrics.items()},
        **comp.info,
        "match": comp.match,
        "n_false_positives": len(comp.false_positives),
        "n_false_negatives": len(comp.false_negatives),
    }
    paths["summary_json"].write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    for kind, items in (("fp", comp.false_positives), ("fn", comp.false_negatives)):
        with open(paths[kind], "w", newline="") as fh:
            w = csv.writer(fh, delimiter="\t", lineterminator="\n")
            w.writerow(
                ["type", "chrom", "pos", "ref", "alt", "zygosity", "reason", "other_zygosity"]
            )
            for d in items:
                v = d.variant
                w.writerow(
                    [v.vtype, v.chrom, v.pos, v.ref, v.alt, v.zygosity, d.reason, d.other_zygosity]
                )
    return paths


def main(
    argv: Sequence[str] | None = None, prog: str = "python -m holobiont.host.vcfcompare"
) -> int:
    """Compare a query VCF with a truth VCF; print and write SNV / INDEL precision and recall."""
    ap = argparse.ArgumentParser(prog=prog, description=main.__doc__)
    ap.add_argument("--truth", required=True, help="truth VCF")
    ap.add_argument("--query", required=True, help="query VCF (calls to evaluate)")
    ref = ap.add_mutually_exclusive_group(required=True)
    ref.add_argument("--reference", help="reference FASTA (left-alignment, REF check)")
    ref.add_argument(
        "--no-reference",
        action="store_true",
        help="compare without a reference: indels are not left-aligned",
    )
    ap.add_argument("--confident", help="BED of confident regions (records must lie inside)")
    ap.add_argument("--targets", help="BED of targets (records must overlap)")
    ap.add_argument("--out", required=True, help="output prefix")
    ap.add_argument("--match", choices=MATCH_MODES, default="genotype")
    ap.add_argument(
        "--keep-filtered", action="store_true", help="also count non-PASS query records"
    )
    ap.add_argument("--truth-sample")
    ap.add_argument("--query-sample")
    ap.add_argument(
        "--no-decompose", action="store_true", help="do not split MNPs / complex records"
    )
    ap.add_argument("--check-ref", choices=list("ewxs"), default="e")
    args = ap.parse_args(argv)
    try:
        comp = compare_vcfs(
            args.truth,
            args.query,
            reference=args.reference,
            confident=args.confident,
            targets=args.targets,
            match=args.match,
            pass_only=not args.keep_filtered,
            truth_sample=args.truth_sample,
            query_sample=args.query_sample,
            decompose_complex=not args.no_decompose,
            check_ref=args.check_ref,
        )
    except VcfCompareError as exc:
        print(f"vcfcompare: error: {exc}", file=sys.stderr)
        return 2
    paths = write_report(comp, args.out)
    print(comp.table())
    print(f"written: {', '.join(str(p) for p in paths.values())}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
