"""16S amplicon stage: ASVs, their counts, taxonomy, tree and read tracking.

The heavy lifting is done by vsearch, MAFFT and FastTree (``workflow/rules/amplicon.smk``);
this module does the bookkeeping around them:

- :func:`asv_id` names an amplicon sequence variant by the MD5 of its sequence
  (``ASV_<md5>``), so the same sequence has the same ID in every run and every cohort.
- :func:`write_asvs` turns the denoised centroids (UNOISE3) and the non-chimeric subset
  (UCHIME3) into the ASV FASTA and the mapping database (ASVs and chimeras, so that reads of a
  chimera are not credited to one of its parents).
- :func:`count_hits` sums the reads of one sample per target from ``vsearch --usearch_global``
  output (reads that passed the expected-error filter only);
  :func:`apply_abundance_floor` then drops, per sample, the ASVs below an absolute and a
  relative abundance floor (cross-talk: reads of another sample's ASVs);
  :func:`build_asv_table` makes the cohort :class:`~holobiont.core.table.FeatureTable`.
- :func:`parse_sintax` reads ``vsearch --sintax`` output into the confident lineage (ranks at
  or above the cutoff), per-rank confidences and the unconfident top hit.
- :func:`read_tracking` follows the reads of every sample from the raw pairs to the ASV table.
- :func:`root_tree` midpoint-roots the FastTree tree (:func:`holobiont.core.tree.midpoint_root`).
- :func:`summarise_amplicon` writes the stage's tables (the Snakemake shim calls it);
  :func:`write_taxonomy` the taxonomy table of a further reference
  (``amplicon.extra_references``), with the same columns.

A sample that loses every read (no primer, no merged pair, nothing passing the expected-error
filter) is kept: it is an all-zero column of the table, flagged ``EMPTY`` in the read tracking
and named in the log, never dropped.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TextIO

import numpy as np
import pandas as pd

from holobiont.core.table import (
    PREFIX_RANK,
    RANKS,
    FeatureTable,
    format_lineage,
    parse_lineage,
    write_biom,
    write_tsv,
)
from holobiont.core.tree import midpoint_root, read_newick, write_newick

__all__ = [
    "CHIMERA_PREFIX",
    "FLOOR_COLUMNS",
    "TAXONOMY_COLUMNS",
    "TRACKING_COLUMNS",
    "UNASSIGNED",
    "Asv",
    "FloorResult",
    "apply_abundance_floor",
    "asv_id",
    "build_asv_table",
    "count_hits",
    "fasta_abundance",
    "label_size",
    "parse_sintax",
    "read_fasta",
    "read_tracking",
    "root_tree",
    "summarise_amplicon",
    "write_asvs",
    "write_fasta",
    "write_taxonomy",
]

#: ID prefix of the chimeric centroids in the mapping database (never in the ASV table).
CHIMERA_PREFIX = "chimera_"
#: Lineage of an ASV that SINTAX cannot place even at the domain rank at the cutoff.
UNASSIGNED = "Unassigned"
#: Columns of ``taxonomy.tsv``: the confident lineage (ranks at or above the cutoff, from the
#: domain down to the first rank below it), for every rank its confident name (empty when the
#: rank is below the cutoff or under a rank that is) and the bootstrap confidence of SINTAX's
#: top hit at that rank; the cutoff used; and SINTAX's whole top hit, unconfident ranks
#: included (``top_hit_unconfident``: never to be read as an assignment).
TAXONOMY_COLUMNS: tuple[str, ...] = (
    "asv",
    "lineage",
    *(c for r in RANKS for c in (r, f"{r}_confidence")),
    "sintax_cutoff",
    "top_hit_unconfident",
)
#: Columns of ``abundance_floor.tsv`` (one row per sample, :func:`apply_abundance_floor`).
FLOOR_COLUMNS: tuple[str, ...] = (
    "sample_id",
    "reads_mapped_to_asvs",
    "min_reads",
    "min_fraction",
    "floor_reads",
    "asvs_before",
    "asvs_removed",
    "reads_removed",
    "asvs_kept",
    "reads_kept",
)
#: Columns of ``read_tracking.tsv``.
TRACKING_COLUMNS: tuple[str, ...] = (
    "sample_id",
    "patient_id",
    "pairs_in",
    "pairs_primer_trimmed",
    "merged",
    "unmerged",
    "filtered",
    "mapped_to_asvs",
    "mapped_to_chimeras",
    "removed_by_floor",
    "in_table",
    "nonchimeric_fraction",
    "pct_pairs_in_table",
    "primers",
    "status",
)
#: ``primers`` values of the read tracking, decided from the cutadapt reports.
PRIMERS_TRIMMED, PRIMERS_NOT_FOUND, PRIMERS_ALREADY_REMOVED, PRIMERS_NO_READS = (
    "trimmed",
    "not found",
    "already removed",
    "no reads",
)

_SIZE_RE = re.compile(r"(?:^|;)size=(\d+)(?:;|$)")
_SINTAX_TOKEN_RE = re.compile(r"^([A-Za-z]):(.*)\(\s*([0-9.]+)\s*\)$")


# --------------------------------------------------------------------------------------------
# FASTA and labels
# --------------------------------------------------------------------------------------------


def read_fasta(path: str | os.PathLike) -> list[tuple[str, str]]:
    """Read a (possibly multi-line) FASTA file into ``[(label, sequence)]``.

    The label is the whole header line without ``>``; sequences are upper-cased. An empty file
    gives ``[]``.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "a.fa")
    >>> _ = open(p, "w").write(">a;size=3\\nacg\\nT\\n>b\\nGG\\n")
    >>> read_fasta(p)
    [('a;size=3', 'ACGT'), ('b', 'GG')]
    """
    records: list[tuple[str, str]] = []
    label: str | None = None
    chunks: list[str] = []
    with open(path, encoding="ascii") as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            if line.startswith(">"):
                if label is not None:
                    records.append((label, "".join(chunks).upper()))
                label, chunks = line[1:], []
            elif label is None:
                raise ValueError(f"{path}: sequence before the first header.")
            else:
                chunks.append(line)
    if label is not None:
        records.append((label, "".join(chunks).upper()))
    return records


def write_fasta(records: Iterable[tuple[str, str]], path: str | os.PathLike) -> None:
    """Write ``[(label, sequence)]`` as FASTA, one line per sequence, atomically."""
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w", encoding="ascii") as fh:
        for label, seq in records:
            fh.write(f">{label}\n{seq}\n")
    os.replace(tmp, path)


def label_size(label: str) -> int:
    """Abundance of a vsearch label (``;size=N``), 1 when the label has none.

    Examples
    --------
    >>> label_size("P01.7;sample=P01;size=40"), label_size("P01.8")
    (40, 1)
    """
    m = _SIZE_RE.search(label)
    return int(m.group(1)) if m else 1


def fasta_abundance(path: str | os.PathLike) -> int:
    """Total abundance of a FASTA file: the sum of its ``;size=`` annotations (1 if absent)."""
    return sum(label_size(label) for label, _ in read_fasta(path))


def asv_id(sequence: str) -> str:
    """Stable ASV ID: ``ASV_`` + the MD5 hex digest of the upper-case sequence.

    The digest is that of ``vsearch --relabel_md5`` and of QIIME 2's feature IDs, so the same
    sequence gets the same ID in every run, cohort and tool.

    Examples
    --------
    >>> asv_id("acgt")
    'ASV_f1f8f4bf413b16ad135722aa4591043e'
    """
    return "ASV_" + _md5(sequence)


def _md5(sequence: str) -> str:
    return hashlib.md5(sequence.upper().encode("ascii")).hexdigest()


# --------------------------------------------------------------------------------------------
# ASVs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Asv:
    """One amplicon sequence variant: stable ID, sequence and pooled (denoising) abundance."""

    id: str
    sequence: str
    size: int


def write_asvs(
    centroids: str | os.PathLike,
    nonchimeras: str | os.PathLike,
    asv_fasta: str | os.PathLike,
    database: str | os.PathLike,
    log: TextIO | None = None,
) -> tuple[list[Asv], list[Asv]]:
    """Write the ASV FASTA and the read-mapping database.

    Parameters
    ----------
    centroids : path-like
        Every denoised sequence (``vsearch --cluster_unoise --centroids``, with ``;size=``).
    nonchimeras : path-like
        The subset that ``vsearch --uchime3_denovo`` kept.
    asv_fasta : path-like
        Written: the non-chimeric sequences as ``>ASV_<md5>``, by decreasing pooled abundance
        (ties by ID), so the output depends only on the sequences.
    database : path-like
        Written: the ASVs followed by the chimeras (``>chimera_<md5>``), to map reads against;
        reads of a chimera then go to the chimera instead of the parent they resemble most.
    log : file-like, optional

    Returns
    -------
    asvs, chimeras : list of Asv
        In the order written.

    Raises
    ------
    ValueError
        If a non-chimeric sequence is not among the centroids.
    """
    size_of: dict[str, int] = {}
    for label, seq in read_fasta(centroids):
        size_of[seq] = size_of.get(seq, 0) + label_size(label)
    kept = {seq for _, seq in read_fasta(nonchimeras)}
    unknown = kept - size_of.keys()
    if unknown:
        raise ValueError(
            f"{nonchimeras}: {len(unknown)} sequence(s) are not among the centroids of {centroids}."
        )

    def ordered(seqs: Iterable[str], prefix: str) -> list[Asv]:
        items = [Asv(prefix + _md5(s), s, size_of[s]) for s in seqs]
        return sorted(items, key=lambda a: (-a.size, a.id))

    asvs = ordered(kept, "ASV_")
    chimeras = ordered(size_of.keys() - kept, CHIMERA_PREFIX)
    write_fasta(((a.id, a.sequence) for a in asvs), asv_fasta)
    write_fasta(((a.id, a.sequence) for a in [*asvs, *chimeras]), database)
    if log is not None:
        total = sum(size_of.values())
        chim_reads = sum(a.size for a in chimeras)
        print(
            f"{len(size_of)} denoised sequences ({total} reads): {len(asvs)} ASVs, "
            f"{len(chimeras)} chimeras ({chim_reads} reads, "
            f"{100.0 * chim_reads / total if total else 0.0:.2f} %).",
            file=log,
        )
        if not asvs:
            print("WARNING: no ASV at all; every output of the 16S stage is empty.", file=log)
    return asvs, chimeras


def count_hits(path: str | os.PathLike) -> dict[str, int]:
    """Reads per target from ``vsearch --usearch_global --userfields query+target``.

    Each line is ``query<TAB>target``; the query's ``;size=`` (from dereplication) is the
    number of reads it stands for. An empty file gives ``{}``.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "hits.tsv")
    >>> _ = open(p, "w").write("u1;size=5\\tASV_a\\nu2;size=2\\tASV_a\\nu3\\tchimera_b\\n")
    >>> count_hits(p)
    {'ASV_a': 7, 'chimera_b': 1}
    """
    counts: dict[str, int] = {}
    with open(path, encoding="ascii") as fh:
        for number, line in enumerate(fh, start=1):
            line = line.rstrip("\r\n")
            if not line:
                continue
            fields = line.split("\t")
            if len(fields) < 2:
                raise ValueError(f"{path}, line {number}: expected query<TAB>target.")
            target = fields[1].split(";")[0]
            counts[target] = counts.get(target, 0) + label_size(fields[0])
    return counts


def build_asv_table(
    sample_ids: Sequence[str],
    hits: Mapping[str, Mapping[str, int]],
    asv_ids: Sequence[str],
    taxonomy: Mapping[str, str] | None = None,
) -> FeatureTable:
    """Cohort ASV table.

    Parameters
    ----------
    sample_ids : sequence of str
        Every sample, in table order; a sample without hits is an all-zero row.
    hits : mapping
        ``{sample_id: {target: reads}}`` (:func:`count_hits`); targets that are not ASVs
        (chimeras) are ignored.
    asv_ids : sequence of str
        The ASVs, in table order.
    taxonomy : mapping of str to str, optional
        Lineage of each ASV.

    Returns
    -------
    FeatureTable
        ``int64`` counts ``(n_samples, n_asvs)``.

    Examples
    --------
    >>> t = build_asv_table(["s1", "s2"], {"s1": {"A": 3, "chimera_x": 2}}, ["A", "B"])
    >>> t.counts.tolist()
    [[3, 0], [0, 0]]
    """
    column = {a: j for j, a in enumerate(asv_ids)}
    counts = np.zeros((len(sample_ids), len(asv_ids)), dtype=np.int64)
    for i, s in enumerate(sample_ids):
        for target, n in hits.get(s, {}).items():
            j = column.get(target)
            if j is not None:
                counts[i, j] += n
    tax = {a: taxonomy[a] for a in asv_ids if taxonomy and a in taxonomy}
    return FeatureTable(counts, tuple(sample_ids), tuple(asv_ids), tax)


@dataclass(frozen=True)
class FloorResult:
    """What :func:`apply_abundance_floor` did to one sample."""

    kept: dict[str, int]
    removed: dict[str, int]
    floor_reads: int  # fewest reads an ASV needs in this sample to stay
    total: int  # reads of the sample mapped to ASVs, before the floor


def apply_abundance_floor(
    counts: Mapping[str, int], min_reads: int, min_fraction: float
) -> FloorResult:
    """Per-sample abundance floor: drop the ASVs a sample has too few reads of.

    An ASV stays in a sample when its reads there are at least ``min_reads`` and at least
    ``min_fraction`` of the sample's reads mapped to ASVs (chimera targets, prefixed
    :data:`CHIMERA_PREFIX`, neither count towards the total nor are filtered; they never
    reach the table). This removes cross-talk: reads of another sample's ASVs (index
    misassignment, or a read that resembles a pooled ASV) that mapping credits to a sample in
    which that ASV does not occur. It also removes true members below the floor: the floor is
    the detection limit of the table.

    Parameters
    ----------
    counts : mapping
        ``{target: reads}`` of one sample (:func:`count_hits`).
    min_reads : int
        Absolute floor (reads); 1 keeps every ASV with a read.
    min_fraction : float
        Relative floor, in ``[0, 1)``; 0 disables it.

    Returns
    -------
    FloorResult
        ``floor_reads = max(min_reads, ceil(min_fraction * total))``; an ASV is kept iff its
        count is at least that.

    Examples
    --------
    >>> r = apply_abundance_floor({"A": 990, "B": 8, "C": 2, "chimera_x": 5}, 2, 0.005)
    >>> r.floor_reads, r.kept, r.removed
    (5, {'A': 990, 'B': 8}, {'C': 2})
    """
    if min_reads < 1 or int(min_reads) != min_reads:
        raise ValueError(f"abundance floor min_reads must be an integer >= 1, got {min_reads}.")
    if not 0.0 <= min_fraction < 1.0:
        raise ValueError(f"abundance floor min_fraction must be within [0, 1), got {min_fraction}.")
    asv_counts = {t: int(n) for t, n in counts.items() if not t.startswith(CHIMERA_PREFIX)}
    total = sum(asv_counts.values())
    # round(): 0.07 * 100 is 7.000000000000001 in binary floating point, whose ceil is 8
    floor_reads = max(int(min_reads), math.ceil(round(min_fraction * total, 9)))
    kept = {t: n for t, n in asv_counts.items() if n >= floor_reads}
    removed = {t: n for t, n in asv_counts.items() if 0 < n < floor_reads}
    return FloorResult(kept, removed, floor_reads, total)


# --------------------------------------------------------------------------------------------
# SINTAX
# --------------------------------------------------------------------------------------------


def parse_sintax_prediction(text: str) -> dict[str, tuple[str, float]]:
    """Parse SINTAX's second column, ``d:Bacteria(1.00),p:Firmicutes(0.93),...``.

    Returns
    -------
    dict
        ``{rank: (name, confidence)}`` in rank order (ranks as in
        :data:`holobiont.core.table.RANKS`); ``{}`` for an unclassified sequence.

    Examples
    --------
    >>> parse_sintax_prediction("d:Bacteria(1.00),g:Escherichia(0.85)")
    {'domain': ('Bacteria', 1.0), 'genus': ('Escherichia', 0.85)}
    """
    out: dict[str, tuple[str, float]] = {}
    text = text.strip()
    if not text or text == "*":
        return out
    for token in text.split(","):
        m = _SINTAX_TOKEN_RE.match(token.strip())
        if not m or m.group(1).lower() not in PREFIX_RANK:
            raise ValueError(f"unexpected SINTAX prediction {token!r} in {text!r}.")
        rank = PREFIX_RANK[m.group(1).lower()]
        out[rank] = (m.group(2), float(m.group(3)))
    return {r: out[r] for r in RANKS if r in out}


def lineage_at_cutoff(prediction: Mapping[str, tuple[str, float]], cutoff: float) -> str:
    """Lineage of the ranks whose confidence is at least ``cutoff``, from the domain down.

    The lineage stops at the first rank below the cutoff (as ``vsearch --sintax_cutoff``);
    with no rank kept it is :data:`UNASSIGNED`. Format: :func:`holobiont.core.table.format_lineage`.

    Examples
    --------
    >>> p = {"domain": ("Bacteria", 1.0), "phylum": ("Firmicutes", 0.9), "genus": ("X", 0.5)}
    >>> lineage_at_cutoff(p, 0.8)
    'd__Bacteria; p__Firmicutes'
    >>> lineage_at_cutoff(p, 1.01)
    'Unassigned'
    """
    kept: dict[str, str] = {}
    for rank in RANKS:
        if rank not in prediction:
            continue
        name, conf = prediction[rank]
        if conf < cutoff:
            break
        kept[rank] = name
    return format_lineage(kept) if kept else UNASSIGNED


def parse_sintax(
    path: str | os.PathLike, cutoff: float, asv_ids: Sequence[str] | None = None
) -> pd.DataFrame:
    """Read ``vsearch --sintax --tabbedout`` output.

    Parameters
    ----------
    path : path-like
        Tab-separated: query label, prediction with confidences, strand, lineage at the cutoff
        (the last fields may be missing or empty for unclassified sequences).
    cutoff : float
        Confidence a rank needs to enter the lineage (``--sintax_cutoff``).
    asv_ids : sequence of str, optional
        Every ASV, in output order; ASVs missing from the file are :data:`UNASSIGNED`.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TAXONOMY_COLUMNS`. The rank columns (``genus`` etc.) hold the confident
        name only: the name of a rank below the cutoff, or under a rank that is, is empty, so
        an ASV without a confident genus has an empty ``genus`` ("unassigned at genus").
        ``{rank}_confidence`` is the bootstrap confidence of SINTAX's top hit at that rank
        (NaN without a prediction), and ``top_hit_unconfident`` SINTAX's whole top hit
        (:func:`holobiont.core.table.format_lineage`; empty without a prediction), kept to show
        what the cutoff withheld, never as an assignment.
    """
    if not 0.0 <= cutoff <= 1.0:
        raise ValueError(f"SINTAX cutoff must be within [0, 1], got {cutoff}.")
    predictions: dict[str, dict[str, tuple[str, float]]] = {}
    with open(path, encoding="ascii") as fh:
        for line in fh:
            line = line.rstrip("\r\n")
            if not line:
                continue
            fields = line.split("\t")
            query = fields[0].split(";")[0]
            predictions[query] = parse_sintax_prediction(fields[1] if len(fields) > 1 else "")
    order = list(asv_ids) if asv_ids is not None else list(predictions)
    rows = []
    for a in order:
        pred = predictions.get(a, {})
        lineage = lineage_at_cutoff(pred, cutoff)
        confident = parse_lineage(lineage) if lineage != UNASSIGNED else {}
        row: dict[str, object] = {"asv": a, "lineage": lineage}
        for r in RANKS:
            row[r] = confident.get(r, "")
            row[f"{r}_confidence"] = pred[r][1] if r in pred else math.nan
        row["sintax_cutoff"] = cutoff
        row["top_hit_unconfident"] = (
            format_lineage({r: name for r, (name, _) in pred.items()}) if pred else ""
        )
        rows.append(row)
    return pd.DataFrame(rows, columns=list(TAXONOMY_COLUMNS))


# --------------------------------------------------------------------------------------------
# Read tracking
# --------------------------------------------------------------------------------------------


def cutadapt_pairs(reports: Iterable[Mapping]) -> tuple[int, int]:
    """Pairs in and pairs written, summed over the cutadapt JSON reports of a sample's units."""
    n_in = n_out = 0
    for rep in reports:
        n_in += int(rep["read_counts"]["input"])
        n_out += int(rep["read_counts"]["output"])
    return n_in, n_out


def cutadapt_primers(reports: Iterable[Mapping]) -> str:
    """What cutadapt did with the primers of a sample's units, from its own reports.

    ``already removed`` when no primer was given to it (``qc.primers_16s.already_removed``),
    ``not found`` when it was given primers but matched none, else ``trimmed``.
    """
    reports = list(reports)
    if not reports or not any(r.get("adapters_read1") or r.get("adapters_read2") for r in reports):
        return PRIMERS_ALREADY_REMOVED
    if not sum(int(r["read_counts"]["input"]) for r in reports):
        return PRIMERS_NO_READS  # e.g. a unit that failed the FASTQ check
    found = sum(
        int(r["read_counts"].get(k) or 0)
        for r in reports
        for k in ("read1_with_adapter", "read2_with_adapter")
    )
    return PRIMERS_TRIMMED if found else PRIMERS_NOT_FOUND


def tracking_row(
    sample_id: str,
    patient_id: str,
    *,
    pairs_in: int,
    pairs_primer_trimmed: int,
    merged: int,
    filtered: int,
    mapped_to_asvs: int,
    mapped_to_chimeras: int,
    removed_by_floor: int = 0,
    primers: str = PRIMERS_TRIMMED,
) -> dict:
    """One row of the read tracking (:data:`TRACKING_COLUMNS`).

    ``mapped_to_asvs`` and ``mapped_to_chimeras`` count the reads that passed the
    expected-error filter and map to an ASV or a chimera; ``removed_by_floor`` those of ASVs
    the per-sample abundance floor removed (:func:`apply_abundance_floor`); ``in_table`` is
    what the ASV table counts (``mapped_to_asvs - removed_by_floor``).
    ``nonchimeric_fraction`` is the share of the mapped reads that went to ASVs rather
    than to chimeras (NaN when nothing mapped); ``pct_pairs_in_table`` is the share of the raw
    pairs counted in the ASV table. ``status`` is ``EMPTY`` when no read reached the table.
    ``pairs_primer_trimmed`` (the pairs cutadapt wrote) is reported only when ``primers`` is
    ``trimmed``, otherwise NA: no primer was removed from them.

    Examples
    --------
    >>> r = tracking_row("s", "p", pairs_in=100, pairs_primer_trimmed=98, merged=95,
    ...                  filtered=90, mapped_to_asvs=88, mapped_to_chimeras=2, removed_by_floor=1)
    >>> r["unmerged"], round(r["nonchimeric_fraction"], 4), r["pct_pairs_in_table"], r["status"]
    (3, 0.9778, 87.0, 'PASS')
    """
    mapped = mapped_to_asvs + mapped_to_chimeras
    in_table = mapped_to_asvs - removed_by_floor
    return {
        "sample_id": sample_id,
        "patient_id": patient_id,
        "pairs_in": pairs_in,
        "pairs_primer_trimmed": pairs_primer_trimmed if primers == PRIMERS_TRIMMED else math.nan,
        "merged": merged,
        "unmerged": pairs_primer_trimmed - merged,
        "filtered": filtered,
        "mapped_to_asvs": mapped_to_asvs,
        "mapped_to_chimeras": mapped_to_chimeras,
        "removed_by_floor": removed_by_floor,
        "in_table": in_table,
        "nonchimeric_fraction": round(mapped_to_asvs / mapped, 6) if mapped else math.nan,
        "pct_pairs_in_table": round(100.0 * in_table / pairs_in, 2) if pairs_in else 0.0,
        "primers": primers,
        "status": "PASS" if in_table > 0 else "EMPTY",
    }


def read_tracking(rows: Iterable[Mapping], log: TextIO | None = None) -> pd.DataFrame:
    """Tracking table from :func:`tracking_row` rows; warns about every sample that lost all reads.

    The warning names the step where the reads were lost; such samples stay in every table
    (an all-zero column of the ASV table).
    """
    df = pd.DataFrame(list(rows), columns=list(TRACKING_COLUMNS))
    if log is not None:
        for r in df.itertuples(index=False):
            if r.status == "PASS":
                continue
            if r.primers == PRIMERS_NOT_FOUND:
                step = "primer trimming (cutadapt found none of the configured primers)"
            elif r.pairs_primer_trimmed == 0 or (
                r.primers != PRIMERS_TRIMMED and r.unmerged + r.merged == 0
            ):
                step = "primer trimming (no pair kept by cutadapt)"
            elif r.merged == 0:
                step = "pair merging (no pair merged)"
            elif r.filtered == 0:
                step = "the expected-error filter (no merged read passed)"
            elif r.mapped_to_asvs == 0:
                step = "mapping (no read that passed the expected-error filter matches an ASV)"
            else:
                step = (
                    f"the abundance floor (all {r.mapped_to_asvs} mapped reads belong to ASVs "
                    "below the sample's floor; see abundance_floor.tsv)"
                )
            print(
                f"WARNING: {r.sample_id} has no reads in the ASV table: all were lost at "
                f"{step} ({r.pairs_in} pairs in, {r.unmerged + r.merged} after cutadapt "
                f"(primers {r.primers}), {r.merged} merged, {r.filtered} passing the expected-error "
                f"filter, {r.mapped_to_asvs} mapped to ASVs). "
                "It is kept as an all-zero column.",
                file=log,
            )
    return df


_MQC_HEADER = """# id: 'holobiont_16s_tracking'
# section_name: '16S reads through the ASV pipeline'
# description: 'Read pairs of each 16S library from the raw reads to the ASV table (Holobiont): primer trimming (cutadapt), merging, expected-error filter, mapping to ASVs (vsearch), per-sample abundance floor.'
# plot_type: 'table'
# pconfig:
#     id: 'holobiont_16s_tracking_table'
#     namespace: 'Holobiont 16S'
"""


def _write_tsv_atomic(df: pd.DataFrame, path: str | os.PathLike, header: str = "") -> None:
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w") as fh:
        fh.write(header)
        df.to_csv(fh, sep="\t", index=False, na_rep="NA", float_format="%.6g")
    os.replace(tmp, path)


# --------------------------------------------------------------------------------------------
# Tree
# --------------------------------------------------------------------------------------------


def root_tree(
    newick: str | os.PathLike,
    asv_fasta: str | os.PathLike,
    out: str | os.PathLike,
    log: TextIO | None = None,
) -> None:
    """Midpoint-root the ASV tree and check that its tips are exactly the ASVs.

    With no ASV the tree is the empty Newick ``;``. FastTree leaves a single sequence as
    ``(ASV:0.0);``, which is kept as is.

    Raises
    ------
    ValueError
        If tips and ASVs differ (both sets of differences are named).
    """
    asvs = [label.split(";")[0] for label, _ in read_fasta(asv_fasta)]
    if not asvs:
        text = ";\n"
    else:
        with open(newick, encoding="utf-8") as fh:
            tree = read_newick(fh.read())
        tips = {n for n, tip in zip(tree.names, tree.is_tip.tolist(), strict=True) if tip}
        missing, extra = sorted(set(asvs) - tips), sorted(tips - set(asvs))
        if missing or extra:
            raise ValueError(
                f"tree {newick} does not match {asv_fasta}: missing tips {missing[:5]}, "
                f"unexpected tips {extra[:5]}."
            )
        text = write_newick(midpoint_root(tree))
    tmp = f"{out}.tmp.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, out)
    if log is not None:
        print(f"Rooted tree with {len(asvs)} tips written to {out}.", file=log)


# --------------------------------------------------------------------------------------------
# The stage's tables
# --------------------------------------------------------------------------------------------


def summarise_amplicon(
    samples: Sequence[Mapping],
    asv_fasta: str | os.PathLike,
    sintax: str | os.PathLike,
    sintax_cutoff: float,
    *,
    table_tsv: str | os.PathLike,
    table_biom: str | os.PathLike,
    taxonomy_tsv: str | os.PathLike,
    tracking_tsv: str | os.PathLike,
    tracking_mqc: str | os.PathLike | None = None,
    floor_tsv: str | os.PathLike | None = None,
    min_reads: int = 1,
    min_fraction: float = 0.0,
    log: TextIO = sys.stderr,
) -> FeatureTable:
    """Write the ASV table (TSV and BIOM), the taxonomy, the read tracking and the floor table.

    Parameters
    ----------
    samples : sequence of mapping
        One per sample, in table order, with ``sample_id``, ``patient_id``, ``cutadapt``
        (paths of its units' cutadapt JSON reports), ``merged`` (dereplicated merged reads,
        FASTA with ``;size=``), ``filtered`` (dereplicated reads passing the expected-error
        filter) and ``hits`` (``--usearch_global`` query/target table of the reads that
        passed the expected-error filter).
    asv_fasta : path-like
        ASV sequences (:func:`write_asvs`).
    sintax : path-like
        ``vsearch --sintax`` tabbed output for the ASVs.
    sintax_cutoff : float
    table_tsv, table_biom, taxonomy_tsv, tracking_tsv, tracking_mqc, floor_tsv : path-like
        Outputs; ``tracking_mqc`` is the tracking as MultiQC custom content, ``floor_tsv``
        what the abundance floor removed per sample (:data:`FLOOR_COLUMNS`).
    min_reads, min_fraction : int, float
        Per-sample abundance floor (:func:`apply_abundance_floor`); the defaults (1, 0.0)
        keep every ASV with a read.
    log : file-like

    Returns
    -------
    FeatureTable
        The ASV table written.
    """
    asv_ids = [label.split(";")[0] for label, _ in read_fasta(asv_fasta)]
    taxonomy = parse_sintax(sintax, sintax_cutoff, asv_ids)
    lineage = dict(zip(taxonomy["asv"], taxonomy["lineage"], strict=True))
    hits: dict[str, dict[str, int]] = {}
    rows = []
    floor_rows = []
    for s in samples:
        sid = s["sample_id"]
        raw = count_hits(s["hits"])
        floor = apply_abundance_floor(raw, min_reads, min_fraction)
        hits[sid] = floor.kept
        floor_rows.append(
            {
                "sample_id": sid,
                "reads_mapped_to_asvs": floor.total,
                "min_reads": min_reads,
                "min_fraction": min_fraction,
                "floor_reads": floor.floor_reads,
                "asvs_before": len(floor.kept) + len(floor.removed),
                "asvs_removed": len(floor.removed),
                "reads_removed": sum(floor.removed.values()),
                "asvs_kept": len(floor.kept),
                "reads_kept": sum(floor.kept.values()),
            }
        )
        if floor.removed:
            print(
                f"{sid}: abundance floor {floor.floor_reads} reads (max of {min_reads} reads "
                f"and {min_fraction:g} of {floor.total}) removed {len(floor.removed)} ASVs "
                f"with {sum(floor.removed.values())} reads: "
                + ", ".join(f"{t} ({n})" for t, n in sorted(floor.removed.items())),
                file=log,
            )
        reports = []
        for path in s["cutadapt"]:
            with open(path) as fh:
                reports.append(json.load(fh))
        pairs_in, trimmed = cutadapt_pairs(reports)
        primers = cutadapt_primers(reports)
        to_asvs = floor.total
        rows.append(
            tracking_row(
                sid,
                s["patient_id"],
                pairs_in=pairs_in,
                pairs_primer_trimmed=trimmed,
                merged=fasta_abundance(s["merged"]),
                filtered=fasta_abundance(s["filtered"]),
                mapped_to_asvs=to_asvs,
                mapped_to_chimeras=sum(raw.values()) - to_asvs,
                removed_by_floor=sum(floor.removed.values()),
                primers=primers,
            )
        )
    tracking = read_tracking(rows, log=log)
    table = build_asv_table([s["sample_id"] for s in samples], hits, asv_ids, lineage)
    write_tsv(table, table_tsv)
    write_biom(table, table_biom, generated_by="holobiont 16S stage (vsearch UNOISE3)")
    _write_tsv_atomic(taxonomy, taxonomy_tsv)
    _write_tsv_atomic(tracking, tracking_tsv)
    if tracking_mqc is not None:
        mqc = tracking.rename(columns={"sample_id": "Sample"}).drop(columns=["patient_id"])
        _write_tsv_atomic(mqc, tracking_mqc, _MQC_HEADER)
    if floor_tsv is not None:
        _write_tsv_atomic(pd.DataFrame(floor_rows, columns=list(FLOOR_COLUMNS)), floor_tsv)
    n_assigned = sum(lin != UNASSIGNED for lin in lineage.values())
    n_genus = sum("genus" in parse_lineage(lin) for lin in lineage.values())
    print(
        f"ASV table: {table.n_samples} samples x {table.n_taxa} ASVs, "
        f"{int(table.counts.sum())} reads; at SINTAX cutoff {sintax_cutoff}, {n_assigned} ASVs "
        f"have a lineage and {n_genus} a confident genus; the abundance floor removed "
        f"{sum(r['reads_removed'] for r in floor_rows)} reads of "
        f"{sum(r['asvs_removed'] for r in floor_rows)} sample x ASV cells; "
        f"{int((tracking['status'] == 'EMPTY').sum())} empty samples.",
        file=log,
    )
    return table


def write_taxonomy(
    asv_fasta: str | os.PathLike,
    sintax: str | os.PathLike,
    sintax_cutoff: float,
    out: str | os.PathLike,
    log: TextIO = sys.stderr,
) -> pd.DataFrame:
    """Write the taxonomy of every ASV of ``asv_fasta`` from a ``vsearch --sintax`` output.

    The table has the columns of ``results/16s/taxonomy.tsv`` (:func:`parse_sintax`, ASVs in
    FASTA order); used for the classifications against ``amplicon.extra_references``.
    """
    asv_ids = [label.split(";")[0] for label, _ in read_fasta(asv_fasta)]
    taxonomy = parse_sintax(sintax, sintax_cutoff, asv_ids)
    _write_tsv_atomic(taxonomy, out)
    n_genus = int((taxonomy["genus"] != "").sum())
    print(
        f"{len(taxonomy)} ASVs, {n_genus} with a confident genus at SINTAX cutoff "
        f"{sintax_cutoff}: {out}",
        file=log,
    )
    return taxonomy
