"""Reference chunks for scattered WGS variant calling.

``bcftools mpileup | bcftools call`` is single-threaded; a ``host_wgs`` sample is called per
chunk of the reference (one job each) and the chunks are gathered with ``bcftools concat``.
A chunk is a list of regions in FASTA order (whole small contigs, or a part of a large one).

Chunk borders
-------------
* are balanced by *sequence* length: runs of ``N`` (assembly gaps) weigh nothing, so a chunk
  of the demo's mostly-``N`` contigs holds as much callable sequence as the others;
* fall at a contig end or in the middle of an assembly gap (a run of at least ``min_gap``
  ``N``), where no read aligns, so that no indel or reference block can straddle a border;
  only where no gap lies within a quarter of a chunk of the ideal border is a border put in
  sequence;
* never fall inside a PGx catalog gene (its span padded by ``gene_pad`` bases on each side):
  a border that would is moved to the end of the padded span.

Every base of every contig belongs to exactly one chunk (tested), so that a position called in
one run is called in exactly one chunk.
"""

from __future__ import annotations

import bisect
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

#: Bases added on each side of a PGx gene span before it is kept free of borders.
GENE_PAD = 10_000
#: Shortest run of N used as a border site (GRCh38's contig gaps are >= 10 kb, scaffold gaps 100).
MIN_GAP = 100


@dataclass(frozen=True)
class Contig:
    name: str
    length: int
    gaps: tuple[tuple[int, int], ...] = ()  # 0-based half-open runs of N, sorted


def find_gaps(seq: str, min_gap: int = MIN_GAP) -> tuple[tuple[int, int], ...]:
    """0-based half-open runs of at least ``min_gap`` N (either case) in ``seq``."""
    return tuple(m.span() for m in re.finditer(f"[Nn]{{{min_gap},}}", seq))


def _weight_before(contig: Contig, pos: int) -> int:
    """Non-gap bases of ``contig`` before 0-based ``pos``."""
    gap = sum(max(0, min(e, pos) - s) for s, e in contig.gaps if s < pos)
    return pos - gap


def _position_at(contig: Contig, weight: int) -> int:
    """Smallest 0-based position with ``weight`` non-gap bases before it."""
    pos, w = 0, 0
    for s, e in contig.gaps:
        if w + (s - pos) >= weight:
            return pos + (weight - w)
        w += s - pos
        pos = e
    return min(contig.length, pos + (weight - w))


def _free(pos: int, spans: Sequence[tuple[int, int]]) -> int:
    """``pos``, or the end of the padded gene span it falls inside (spans sorted, merged)."""
    for s, e in spans:
        if s < pos < e:
            return e
    return pos


def _merge(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


def plan_chunks(
    contigs: Sequence[Contig],
    n_chunks: int,
    genes: Mapping[str, Sequence[tuple[int, int]]] | None = None,
    *,
    gene_pad: int = GENE_PAD,
) -> list[list[tuple[str, int, int]]]:
    """Split ``contigs`` into at most ``n_chunks`` chunks (see the module notes).

    Parameters
    ----------
    contigs : sequence of Contig
        In FASTA order, with their assembly gaps.
    n_chunks : int
        Chunks wanted (fewer come back when there are fewer border sites than that).
    genes : mapping
        Contig -> 0-based half-open gene spans that no border may cut.

    Returns
    -------
    list of chunks, each a list of (contig, start, end) regions (0-based half-open).
    """
    if n_chunks < 1:
        raise ValueError(f"n_chunks must be >= 1, not {n_chunks}")
    genes = genes or {}
    spans = {
        c.name: _merge(
            (max(0, s - gene_pad), min(c.length, e + gene_pad)) for s, e in genes.get(c.name, ())
        )
        for c in contigs
    }
    offsets, total = [], 0  # cumulative non-gap weight at each contig start
    for c in contigs:
        offsets.append(total)
        total += _weight_before(c, c.length)
    # border sites: (cumulative weight, contig index, position); contig ends are position = length
    sites = []
    for i, c in enumerate(contigs):
        for s, e in c.gaps:
            mid = (s + e) // 2
            if 0 < mid < c.length and _free(mid, spans[c.name]) == mid:
                sites.append((offsets[i] + _weight_before(c, mid), i, mid))
        sites.append((offsets[i] + _weight_before(c, c.length), i, c.length))
    # of border sites with the same weight (a gap's middle and the contig end after it: only
    # N between them), the last one
    sites = sorted({w: (w, i, p) for w, i, p in sorted(sites)}.values())
    keys = [w for w, _, _ in sites]
    target = total / n_chunks if total else 0
    cuts = set()
    for k in range(1, n_chunks):
        ideal = k * target
        j = bisect.bisect_left(keys, ideal)
        near = [sites[x] for x in (j - 1, j) if 0 <= x < len(sites)]
        best = min(near, key=lambda s: abs(s[0] - ideal)) if near else None
        if best is not None and abs(best[0] - ideal) <= target / 4:
            cuts.add(best[1:])
            continue
        # no gap close enough: a border in sequence, outside the padded genes
        i = max(0, bisect.bisect_right(offsets, ideal) - 1)
        c = contigs[i]
        pos = _free(_position_at(c, math.ceil(ideal - offsets[i])), spans[c.name])
        cuts.add((i, min(pos, c.length)))
    # walk the genome, closing a chunk at each cut (a cut at 0 or a contig end needs care)
    chunks, current = [], []
    for i, c in enumerate(contigs):
        start = 0
        for pos in sorted(p for ci, p in cuts if ci == i):
            if pos > start:
                current.append((c.name, start, pos))
                start = pos
            if current:
                chunks.append(current)
                current = []
        if start < c.length:
            current.append((c.name, start, c.length))
    if current:
        chunks.append(current)
    return chunks


def chunk_count(total_bases: int, chunks: int | None, chunk_mb: float) -> int:
    """Chunks wanted: ``chunks`` when set, else one per ``chunk_mb`` Mb of sequence."""
    if chunks:
        return chunks
    return max(1, math.ceil(total_bases / (chunk_mb * 1_000_000)))


def read_contigs(fasta: str | os.PathLike, min_gap: int = MIN_GAP) -> list[Contig]:
    """Contigs of an indexed FASTA (plain or bgzipped), in file order, with their N runs."""
    import pysam

    with pysam.FastaFile(str(fasta)) as fa:
        return [
            Contig(name, length, find_gaps(fa.fetch(name), min_gap))
            for name, length in zip(fa.references, fa.lengths, strict=True)
        ]


def write_plan(
    fasta: str | os.PathLike,
    genes_tsv: str | os.PathLike,
    out: str | os.PathLike,
    *,
    chunks: int | None,
    chunk_mb: float,
) -> list[list[tuple[str, int, int]]]:
    """Plan the chunks of ``fasta`` and write them as TSV, atomically: one row per region
    (chunk, chrom, start, end; 1-based inclusive, as bcftools ``-R`` reads them).

    ``genes_tsv`` is the PGx catalog's genes.tsv (chrom, 1-based inclusive start and end).
    """
    import pandas as pd

    contigs = read_contigs(fasta)
    genes: dict[str, list[tuple[int, int]]] = {}
    for row in pd.read_csv(genes_tsv, sep="\t", dtype={"chrom": str}).itertuples():
        genes.setdefault(row.chrom, []).append((int(row.start) - 1, int(row.end)))
    total = sum(_weight_before(c, c.length) for c in contigs)
    plan = plan_chunks(contigs, chunk_count(total, chunks, chunk_mb), genes)
    tmp = f"{out}.tmp.{os.getpid()}"
    with open(tmp, "w") as fh:
        fh.write("chunk\tchrom\tstart\tend\n")
        for k, regions in enumerate(plan, 1):
            for name, start, end in regions:
                fh.write(f"{k:04d}\t{name}\t{start + 1}\t{end}\n")
    os.replace(tmp, out)
    return plan


def read_plan(path: str | os.PathLike) -> dict[str, list[tuple[str, int, int]]]:
    """Chunk ID -> its regions (contig, 1-based start, end), from :func:`write_plan`'s TSV."""
    plan: dict[str, list[tuple[str, int, int]]] = {}
    with open(path) as fh:
        next(fh)
        for line in fh:
            if line.strip():
                chunk, chrom, start, end = line.rstrip("\n").split("\t")
                plan.setdefault(chunk, []).append((chrom, int(start), int(end)))
    return plan
