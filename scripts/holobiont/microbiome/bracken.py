"""Bracken-style abundance re-estimation from a Kraken 2 report, and the k-mer distribution file.

Kraken 2 assigns each read to the lowest common ancestor (LCA) of the taxa whose k-mers it
contains, so the reads of species that share sequence with their relatives pile up at genus,
family or higher. Bracken (Lu et al. 2017) moves these reads back down to the species they most
likely came from, using how the reads of every reference genome are known to be classified.
This module reimplements both halves of Bracken on the numpy core:

- :func:`estimate_abundance` -- ``est_abundance.py`` (``bracken -l S -t 10``): reads a Kraken
  report (:func:`read_kraken_report`) and Bracken's ``database<L>mers.kmer_distrib`` file
  (:func:`read_kmer_distrib`; prebuilt Bracken databases work unchanged) and returns Bracken's
  table (:func:`write_bracken`): ``name, taxonomy_id, taxonomy_lvl, kraken_assigned_reads,
  added_reads, new_est_reads, fraction_total_reads``.
- :func:`build_kmer_distrib` -- ``bracken-build``: classifies every reference sequence of the
  database's library once with the real ``kraken2`` and, from its per-k-mer output, every
  read-length window of it (:func:`classify_windows`), and tabulates, for every genome, where
  its windows land (:func:`write_kmer_distrib`).

Notes
-----
**Re-estimation** (``est_abundance.py`` of Bracken 2.x, after its 2022 fix that stops
redistributing reads at or below the estimation level). Let the report's tree hold, for every
node, its clade count (reads at the node and below) and its direct count (reads assigned to the
node itself).

1. The *level nodes* are the report's nodes of the estimation level (``S``; Kraken 2's rank
   codes, with unranked nodes coded from their ranked ancestor as ``S1``, ``S2``, ...). A level
   node whose clade count is below the threshold ``t`` is dropped together with its subtree (its
   reads are discarded); the others are kept.
2. Every kept level node and every node below it is a *genome* of the sample, mapped to its level
   node, with :math:`n_g` = its direct count.
3. For a genome :math:`g`, the distribution file gives :math:`P(R_i | g) = m_{ig} / T_g`: the
   fraction of the read-length windows of :math:`g` that Kraken classifies at node :math:`i`.
   Its self fraction :math:`s_g = P(R_g | g)` (1 when the file has no ``g -> g`` entry) turns the
   reads Kraken put on :math:`g` into an estimate of all of its reads,
   :math:`\\hat N_g = n_g / s_g`.
4. Every node :math:`i` *above* the level (the level nodes' subtrees are not visited) with direct
   reads :math:`r_i > 0` and a line in the distribution file that names at least one genome of
   the sample gives its reads to those genomes in proportion to
   :math:`P(g | R_i) \\propto P(R_i | g)\\,\\hat N_g`:

   .. math:: a_g \\mathrel{+}= r_i \\, \\frac{P(R_i | g)\\,\\hat N_g}{\\sum_h P(R_i | h)\\,\\hat N_h}.

   Nodes without such a line, or whose genomes all have :math:`\\hat N = 0`, keep their reads
   (they are counted as not distributed and appear nowhere in the output).
5. A kept level node :math:`S` ends with :math:`\\mathrm{new}_S = c_S + \\sum_{g \\to S} a_g`,
   with :math:`c_S` its clade count; ``fraction_total_reads`` is :math:`\\mathrm{new}_S / \\sum
   \\mathrm{new}`. As Bracken writes them, ``new_est_reads`` is truncated to an integer and
   ``added_reads = new_est_reads - kraken_assigned_reads``; the fraction uses the unrounded
   values.

Vectorised: the nodes to distribute and the sample's genomes form a sparse matrix
:math:`P(R_i|g)`; one element-wise product with :math:`\\hat N`, one row normalisation and one
matrix-vector product give every :math:`a_g`.

Differences from ``est_abundance.py``, none of which changes a result at the species level:
the order of ranks used to decide what lies *below* the level is Kraken 2's (``R, D, K, P, C,
O, F, G, S``; Bracken lists ``K`` before ``D``, which only matters for ``-l D``); the tree is
built from indentation as Bracken does, but the subtree of a level node is found from the tree
rather than from the order of the lines; a genome listed twice on one line keeps its first
fraction (as Bracken); rank codes can be recomputed from the database's taxonomy
(:func:`parse_kraken_report` ``ranks``), because Kraken 2.1.2--2.1.3 write empty codes for some
nodes, on which ``est_abundance.py`` stops with an IndexError (Bracken issue 284).

**The distribution file** (``bracken-build``; ``kmer2read_distr`` + ``generate_kmer_distribution.py``
of Bracken 2.x). For every reference sequence of the library and every read-length window of it
(start positions ``0, step, 2 step, ...``), the window is classified; the counts are summed per
genome taxid (the taxid of the sequence) and written, per classification taxid :math:`i`, as
``i<TAB>g:m_ig:T_g g:m_ig:T_g ...`` under the header ``mapped_taxid<TAB>genome_taxids:
kmers_mapped:total_genome_kmers``. Unclassified windows are counted as taxid 0, as in Bracken,
so :math:`T_g` is the genome's number of windows. As ``bracken-build``: ``kraken2`` classifies
each library sequence once (its per-k-mer output lists the taxon of every k-mer, run-length
encoded); a window of :math:`L` bases holds :math:`L - k + 1` consecutive k-mers and is
classified from them as Kraken 2 classifies a read (highest root-to-leaf hit score, ties to the
LCA; ``kmer2read_distr`` does the same). The window-by-window work is avoided: between two
points where a run of equal k-mer taxa enters or leaves the window every score changes
linearly (:func:`classify_windows`, Notes). Measured equal to the real ``bracken-build`` on
every integer of the file (tests; ``benchmarks/kmer_distrib.py`` on the 15-genome mock).
Options beyond ``bracken-build``: ``confidence`` > 0 applies Kraken 2's confidence walk to every
window (``bracken-build`` has none); ``step`` > 1 counts every ``step``-th window only. As in
``bracken-build``, Kraken 2's ``--minimum-hit-groups`` is not applied to windows, windows come
from the forward strand only (Kraken 2's minimizers are canonical) and a sequence shorter than
the read length gives no window.

References
----------
.. [1] Lu J, Breitwieser FP, Thielen P, Salzberg SL (2017). Bracken: estimating species
   abundance in metagenomics data. PeerJ Computer Science 3:e104. doi:10.7717/peerj-cs.104
.. [2] Wood DE, Lu J, Langmead B (2019). Improved metagenomic analysis with Kraken 2. Genome
   Biology 20:257. doi:10.1186/s13059-019-1891-0

Examples
--------
>>> report = [
...     "50.00\\t10\\t0\\tR\\t1\\troot",
...     "50.00\\t10\\t4\\tG\\t10\\t  Genus",
...     "20.00\\t4\\t4\\tS\\t11\\t    Genus alpha",
...     "10.00\\t2\\t2\\tS\\t12\\t    Genus beta",
... ]
>>> distrib = {"10": {"11": 0.5, "12": 0.5}, "11": {"11": 0.5}, "12": {"12": 0.5}}
>>> res = estimate_abundance(parse_kraken_report(report), distrib, threshold=1)
>>> [(r.taxid, round(r.new_est_reads_exact, 3)) for r in res.rows]
[('11', 6.667), ('12', 3.333)]
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TextIO

import numpy as np
import scipy.sparse as sp

__all__ = [
    "KMER_DISTRIB_HEADER",
    "LEVELS",
    "RANK_CODES",
    "BrackenResult",
    "BrackenRow",
    "ReportNode",
    "build_kmer_distrib",
    "classify_windows",
    "estimate_abundance",
    "fix_report_rank_codes",
    "kmer_distrib_name",
    "parse_hitlist",
    "parse_kraken_report",
    "read_bracken",
    "read_kmer_distrib",
    "read_kraken_report",
    "read_taxo_k2d",
    "write_bracken",
    "write_kmer_distrib",
]

#: Kraken 2's main rank codes, from the root down.
LEVELS: tuple[str, ...] = ("R", "D", "K", "P", "C", "O", "F", "G", "S")
#: First line of a Bracken ``.kmer_distrib`` file.
KMER_DISTRIB_HEADER = "mapped_taxid\tgenome_taxids:kmers_mapped:total_genome_kmers"
BRACKEN_COLUMNS = (
    "name",
    "taxonomy_id",
    "taxonomy_lvl",
    "kraken_assigned_reads",
    "added_reads",
    "new_est_reads",
    "fraction_total_reads",
)
#: Kraken 2's rank code of each taxonomy rank name (other ranks are unranked: parent + depth).
RANK_CODES: dict[str, str] = {
    "superkingdom": "D",
    "domain": "D",
    "kingdom": "K",
    "phylum": "P",
    "class": "C",
    "order": "O",
    "family": "F",
    "genus": "G",
    "species": "S",
}
_LEVEL_RE = re.compile(r"^([RDKPCOFGS])(\d*)$")


def kmer_distrib_name(read_length: int) -> str:
    """Bracken's file name for a read length: ``database<L>mers.kmer_distrib``.

    >>> kmer_distrib_name(150)
    'database150mers.kmer_distrib'
    """
    return f"database{int(read_length)}mers.kmer_distrib"


# --------------------------------------------------------------------------- Kraken report


@dataclass
class ReportNode:
    """One line of a Kraken report, as a node of the report's taxonomy tree.

    Attributes
    ----------
    taxid : str
    name : str
        Scientific name, without the indentation.
    level : str
        Rank code; unranked nodes get their ranked ancestor's code plus a depth (``S1``, ...).
    depth : int
        Indentation / 2 (the root is 0).
    clade_reads, direct_reads : int
        Reads at the node and below; reads assigned to the node itself.
    parent : int
        Index of the parent node in the list (-1 for the root).
    line : int
        Line number in the report.
    children : list of int
    """

    taxid: str
    name: str
    level: str
    depth: int
    clade_reads: int
    direct_reads: int
    parent: int = -1
    line: int = 0
    children: list[int] = field(default_factory=list)


@dataclass
class KrakenReport:
    """A parsed Kraken report: the tree (``nodes[0]`` is the root) and the unclassified count."""

    nodes: list[ReportNode]
    unclassified: int = 0
    fixed_codes: int = 0

    @property
    def total_reads(self) -> int:
        """Classified plus unclassified reads."""
        return self.unclassified + (self.nodes[0].clade_reads if self.nodes else 0)


def _level_key(level: str) -> tuple[int, int]:
    m = _LEVEL_RE.match(level)
    if not m:
        raise ValueError(f"unknown taxonomic level {level!r}; use one of {', '.join(LEVELS)}.")
    return LEVELS.index(m.group(1)), int(m.group(2) or 0)


def parse_kraken_report(
    lines: Iterable[str], source: str = "report", ranks: Mapping[str, str] | None = None
) -> KrakenReport:
    """Parse the lines of a Kraken / Kraken 2 report (standard 6 columns, or 8 with
    ``--report-minimizer-data``).

    Parameters
    ----------
    lines : iterable of str
    source : str
        Name used in error messages.
    ranks : mapping of taxid to rank name, optional
        The database's taxonomy ranks (``nodes.dmp`` / ``taxo.k2d``). When given, every rank
        code is recomputed from them as Kraken 2 defines it (:data:`RANK_CODES`; unranked
        nodes get their ranked ancestor's code plus the distance to it: ``R1``, ``S1``, ...),
        which repairs the empty or letter-less codes that Kraken 2.1.2--2.1.3 write for some
        nodes (root, domains; DerrickWood/kraken2 issues 759, 796). Without it the codes are
        read as written and only unranked or broken codes are derived from the parent.

    Returns
    -------
    KrakenReport
        Empty (no nodes) for a report of a sample without reads. ``fixed_codes`` counts the
        codes that differ from those written.

    Raises
    ------
    ValueError
        On a line that is not a report line (e.g. Kraken's per-read output or an mpa-style
        report), naming the line.
    """
    nodes: list[ReportNode] = []
    unclassified = 0
    fixed = 0
    stack: list[int] = []  # indices of the current path from the root
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) not in (6, 8):
            raise ValueError(
                f"{source}, line {number}: {len(fields)} tab-separated fields; a Kraken report "
                "has 6 (or 8 with --report-minimizer-data). Is this the per-read output or an "
                "mpa-style report?"
            )
        try:
            clade, direct = int(fields[1]), int(fields[2])
        except ValueError:
            raise ValueError(f"{source}, line {number}: read counts are not integers.") from None
        written, taxid, label = fields[-3].strip(), fields[-2].strip(), fields[-1]
        name = label.lstrip(" ")
        depth = (len(label) - len(name)) // 2
        if written == "U" or taxid == "0":
            unclassified += direct
            fixed += written != "U"
            continue
        if not nodes:
            if taxid != "1":
                raise ValueError(
                    f"{source}, line {number}: the first classified node is not the root."
                )
            nodes.append(ReportNode(taxid, name, "R", depth, clade, direct, line=number))
            fixed += written != "R"
            stack = [0]
            continue
        while stack and nodes[stack[-1]].depth >= depth:
            stack.pop()
        if not stack:
            raise ValueError(
                f"{source}, line {number}: indentation places {name!r} above the root."
            )
        parent = stack[-1]
        code = written
        if ranks is not None and taxid in ranks:
            code = RANK_CODES.get(ranks[taxid].strip().lower(), "-")
        if code == "-" or len(code) != 1 or not _LEVEL_RE.match(code):
            # unranked: the nearest ranked ancestor's code plus the distance to it (Bracken,
            # Kraken 2); also for codes that lost their letter ("", "1").
            m = _LEVEL_RE.match(nodes[parent].level)
            code = f"{m.group(1)}{int(m.group(2) or 0) + 1}"
        fixed += code != written
        nodes.append(ReportNode(taxid, name, code, depth, clade, direct, parent, line=number))
        nodes[parent].children.append(len(nodes) - 1)
        stack.append(len(nodes) - 1)
    return KrakenReport(nodes, unclassified, fixed)


def read_kraken_report(
    path: str | os.PathLike, ranks: Mapping[str, str] | None = None
) -> KrakenReport:
    """Read a Kraken report file (see :func:`parse_kraken_report`)."""
    with open(path, encoding="utf-8") as fh:
        return parse_kraken_report(fh, source=str(path), ranks=ranks)


def fix_report_rank_codes(
    src: str | os.PathLike, dst: str | os.PathLike, ranks: Mapping[str, str]
) -> int:
    """Copy a Kraken report, rewriting only its rank-code column from the taxonomy `ranks`.

    Everything else (percentages, counts, minimizer columns, indentation) is kept byte for
    byte. Returns the number of codes changed. See :func:`parse_kraken_report`.
    """
    with open(src, encoding="utf-8") as fh:
        lines = fh.readlines()
    report = parse_kraken_report(lines, source=str(src), ranks=ranks)
    code_at = {node.line: node.level for node in report.nodes}
    tmp = f"{dst}.tmp.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8", newline="\n") as out:
        for number, raw in enumerate(lines, start=1):
            line = raw.rstrip("\r\n")
            if line.strip():
                fields = line.split("\t")
                fields[-3] = code_at.get(number, "U")
                line = "\t".join(fields)
            out.write(line + "\n")
    os.replace(tmp, dst)
    return report.fixed_codes


# --------------------------------------------------------------------------- kmer_distrib


def _parse_distrib_line(line: str, wanted: set[str] | None) -> tuple[str, dict[str, float]]:
    mapped, _, rest = line.strip().partition("\t")
    genomes: dict[str, float] = {}
    for item in rest.split():
        g, m, t = item.split(":")
        if (wanted is None or g in wanted) and g not in genomes:
            genomes[g] = float(m) / float(t)
    return mapped.strip(), genomes


def read_kmer_distrib(
    path: str | os.PathLike, genomes: Iterable[str] | None = None
) -> dict[str, dict[str, float]]:
    """Read a Bracken ``database<L>mers.kmer_distrib`` file.

    Parameters
    ----------
    path : path-like
        Header line, then ``mapped_taxid<TAB>genome:mapped:total genome:mapped:total ...``.
    genomes : iterable of str, optional
        Keep only these genome taxids (a sample's genomes; keeps memory small on large
        databases). Lines left without genomes are dropped.

    Returns
    -------
    dict
        ``{mapped_taxid: {genome_taxid: mapped / total}}``.

    Raises
    ------
    ValueError
        On a malformed line (line number given).
    """
    wanted = None if genomes is None else {str(g) for g in genomes}
    out: dict[str, dict[str, float]] = {}
    with open(path, encoding="utf-8") as fh:
        first = fh.readline()
        if first and not first.startswith("mapped_taxid"):
            fh.seek(0)  # tolerate a file without header
        for number, line in enumerate(fh, start=2):
            if not line.strip():
                continue
            try:
                mapped, dist = _parse_distrib_line(line, wanted)
            except (ValueError, ZeroDivisionError):
                raise ValueError(
                    f"{path}, line {number}: not 'taxid<TAB>genome:mapped:total ...'."
                ) from None
            if dist:
                out.setdefault(mapped, dist)
    return out


def write_kmer_distrib(counts: Mapping[str, Mapping[str, int]], path: str | os.PathLike) -> int:
    """Write ``{genome_taxid: {mapped_taxid: windows}}`` in Bracken's kmer_distrib format.

    Totals per genome are the sums over all mapped taxids (unclassified windows, taxid
    ``"0"``, included). Lines and genomes are sorted numerically. Returns the number of lines.
    """
    totals = {g: sum(d.values()) for g, d in counts.items()}
    by_mapped: dict[str, list[tuple[str, int]]] = {}
    for g, dist in counts.items():
        for m, c in dist.items():
            if c > 0:
                by_mapped.setdefault(str(m), []).append((str(g), int(c)))
    key = _taxid_sort_key
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(KMER_DISTRIB_HEADER + "\n")
        for m in sorted(by_mapped, key=key):
            items = sorted(by_mapped[m], key=lambda x: key(x[0]))
            fh.write(m + "\t" + " ".join(f"{g}:{c}:{totals[g]}" for g, c in items) + "\n")
    os.replace(tmp, path)
    return len(by_mapped)


def _taxid_sort_key(taxid: str) -> tuple[int, int | str]:
    return (0, int(taxid)) if taxid.isdigit() else (1, taxid)


# --------------------------------------------------------------------------- estimation


@dataclass(frozen=True)
class BrackenRow:
    """One taxon of the estimation level (a line of Bracken's output)."""

    name: str
    taxid: str
    level: str
    kraken_assigned_reads: int
    new_est_reads_exact: float
    fraction_total_reads: float

    @property
    def new_est_reads(self) -> int:
        """Estimated reads, truncated to an integer as Bracken writes them."""
        return int(self.new_est_reads_exact)

    @property
    def added_reads(self) -> int:
        return self.new_est_reads - self.kraken_assigned_reads


@dataclass
class BrackenResult:
    """Rows (report order) and Bracken's summary counts."""

    rows: list[BrackenRow]
    level: str
    threshold: int
    total_reads: int = 0
    unclassified_reads: int = 0
    n_level_taxa: int = 0
    n_level_kept: int = 0
    kept_reads: int = 0
    discarded_reads: int = 0
    distributed_reads: int = 0
    not_distributed_reads: int = 0

    def summary(self) -> str:
        return (
            f"level {self.level}, threshold {self.threshold}: {self.n_level_kept} of "
            f"{self.n_level_taxa} taxa kept; reads: {self.total_reads} total, "
            f"{self.unclassified_reads} unclassified, {self.kept_reads} kept at the level, "
            f"{self.discarded_reads} discarded (below threshold), {self.distributed_reads} "
            f"distributed from above, {self.not_distributed_reads} not distributed"
        )


def estimate_abundance(
    report: KrakenReport,
    kmer_distrib: Mapping[str, Mapping[str, float]] | str | os.PathLike,
    *,
    level: str = "S",
    threshold: int = 10,
) -> BrackenResult:
    """Re-estimate the reads of every taxon of `level` as Bracken does (see the module Notes).

    Parameters
    ----------
    report : KrakenReport
        From :func:`read_kraken_report`.
    kmer_distrib : mapping or path-like
        ``{mapped_taxid: {genome_taxid: fraction}}`` (:func:`read_kmer_distrib`) or the path of
        a ``.kmer_distrib`` file (read filtered to the sample's genomes).
    level : str
        Rank code of the estimation level: ``D, K, P, C, O, F, G, S`` (Bracken's ``-l``;
        default ``S``), or an unranked depth below one such as ``S1``.
    threshold : int
        Minimum clade count of a level taxon (Bracken's ``-t``; default 10).

    Returns
    -------
    BrackenResult

    Raises
    ------
    ValueError
        On an unknown level or a negative threshold.
    """
    lkey = _level_key(level)
    if lkey[0] == 0:
        raise ValueError("level R (root) cannot be an estimation level.")
    if isinstance(threshold, bool) or int(threshold) != threshold or threshold < 0:
        raise ValueError(f"threshold must be an integer >= 0, got {threshold!r}.")
    nodes = report.nodes
    result = BrackenResult([], level, int(threshold), report.total_reads, report.unclassified)
    if not nodes:
        return result

    # 1-2. kept level nodes; every genome (a kept level node or a node below it) -> level node
    kept: list[int] = []
    genome_to_level: dict[str, int] = {}  # genome taxid -> index of its level node
    genome_reads: dict[str, int] = {}
    for i, node in enumerate(nodes):
        if node.level != level:
            continue
        result.n_level_taxa += 1
        if node.clade_reads < threshold:
            result.discarded_reads += node.clade_reads
            continue
        kept.append(i)
        result.kept_reads += node.clade_reads
        todo = [i]
        while todo:
            j = todo.pop()
            if nodes[j].taxid not in genome_to_level:
                genome_to_level[nodes[j].taxid] = i
                genome_reads[nodes[j].taxid] = nodes[j].direct_reads
            todo.extend(nodes[j].children)
    result.n_level_kept = len(kept)

    if not isinstance(kmer_distrib, Mapping):
        kmer_distrib = read_kmer_distrib(kmer_distrib, genomes=genome_to_level)

    # 4. nodes above the level with direct reads (level subtrees are not visited)
    sources: list[int] = []
    todo = [0]
    while todo:
        j = todo.pop()
        node = nodes[j]
        if node.level == level:
            continue
        if _below(node.level, lkey):
            # below the level without a level ancestor (e.g. a species with no genus while
            # estimating at G): nothing to attach it to
            result.not_distributed_reads += node.clade_reads
            continue
        todo.extend(reversed(node.children))
        if node.direct_reads == 0:
            continue
        dist = {g: f for g, f in kmer_distrib.get(node.taxid, {}).items() if g in genome_to_level}
        if dist:
            sources.append(j)
        else:
            result.not_distributed_reads += node.direct_reads

    genomes = sorted(genome_to_level, key=_taxid_sort_key)
    gindex = {g: k for k, g in enumerate(genomes)}
    added = np.zeros(len(genomes))
    if sources and genomes:
        rows, cols, vals = [], [], []
        for r, j in enumerate(sources):
            for g, f in kmer_distrib[nodes[j].taxid].items():
                if g in gindex:
                    rows.append(r)
                    cols.append(gindex[g])
                    vals.append(f)
        p_read_given_genome = sp.csr_array(
            (np.asarray(vals, dtype=np.float64), (np.asarray(rows), np.asarray(cols))),
            shape=(len(sources), len(genomes)),
        )
        # 3. reads of each genome in the sample: direct reads / self fraction
        self_fraction = np.array(
            [kmer_distrib.get(g, {}).get(g, 1.0) or 1.0 for g in genomes], dtype=np.float64
        )
        est_genome_reads = np.array([genome_reads[g] for g in genomes], np.float64) / self_fraction
        weights = sp.csr_array(p_read_given_genome.multiply(est_genome_reads[None, :]))
        row_total = np.asarray(weights.sum(axis=1)).ravel()
        direct = np.array([nodes[j].direct_reads for j in sources], dtype=np.float64)
        ok = row_total > 0
        result.distributed_reads = int(direct[ok].sum())
        result.not_distributed_reads += int(direct[~ok].sum())
        scale = np.divide(direct, row_total, out=np.zeros_like(direct), where=ok)
        added = weights.T @ scale

    # 5. new estimates per kept level node
    new = {i: float(nodes[i].clade_reads) for i in kept}
    for g, k in gindex.items():
        new[genome_to_level[g]] += float(added[k])
    total = sum(new.values())
    for i in kept:
        node = nodes[i]
        result.rows.append(
            BrackenRow(
                name=node.name,
                taxid=node.taxid,
                level=level,
                kraken_assigned_reads=node.clade_reads,
                new_est_reads_exact=new[i],
                fraction_total_reads=new[i] / total if total > 0 else 0.0,
            )
        )
    return result


def _below(code: str, lkey: tuple[int, int]) -> bool:
    """True if rank code `code` is strictly deeper than the estimation level."""
    return _level_key(code) > lkey


# --------------------------------------------------------------------------- Bracken table I/O


def write_bracken(result: BrackenResult, path: str | os.PathLike) -> None:
    """Write Bracken's output table (tab-separated, header line, Bracken's rounding)."""
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        fh.write("\t".join(BRACKEN_COLUMNS) + "\n")
        for r in result.rows:
            fh.write(
                f"{r.name}\t{r.taxid}\t{r.level}\t{r.kraken_assigned_reads}\t{r.added_reads}\t"
                f"{r.new_est_reads}\t{r.fraction_total_reads:.5f}\n"
            )
    os.replace(tmp, path)


def read_bracken(path: str | os.PathLike) -> list[dict[str, str | int | float]]:
    """Read a Bracken output table (ours or Bracken's) into a list of dicts.

    Raises
    ------
    ValueError
        If the header is not Bracken's.
    """
    with open(path, encoding="utf-8") as fh:
        header = fh.readline().rstrip("\r\n").split("\t")
        if tuple(header) != BRACKEN_COLUMNS:
            raise ValueError(f"{path}: not a Bracken table (header {header}).")
        rows = []
        for line in fh:
            if not line.strip():
                continue
            f = line.rstrip("\r\n").split("\t")
            rows.append(
                {
                    "name": f[0],
                    "taxonomy_id": f[1],
                    "taxonomy_lvl": f[2],
                    "kraken_assigned_reads": int(f[3]),
                    "added_reads": int(f[4]),
                    "new_est_reads": int(f[5]),
                    "fraction_total_reads": float(f[6]),
                }
            )
    return rows


# --------------------------------------------------------------------------- bracken-build


_TAXID_TAG = re.compile(r"kraken:taxid\|(\d+)")


def read_taxo_k2d(
    taxo_k2d: str | os.PathLike,
) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """``(parent, rank, name)`` of every taxid of a Kraken 2 ``taxo.k2d`` (the root is its own
    parent). Format (Kraken 2's ``Taxonomy::WriteTaxonomyIndex``): magic ``K2TAXDAT``; node
    count, name and rank data lengths (uint64); per node seven uint64 (parent, first child,
    child count, name offset, rank offset, external taxid, reserved; node 0 is a dummy, node 1
    the root); then the NUL-terminated names and ranks.

    Raises
    ------
    ValueError
        If the file is not a Kraken 2 taxonomy.
    """
    with open(taxo_k2d, "rb") as fh:
        data = fh.read()
    if data[:8] != b"K2TAXDAT" or len(data) < 32:
        raise ValueError(f"{taxo_k2d}: not a Kraken 2 taxonomy file (taxo.k2d).")
    n, name_len, rank_len = (int(x) for x in np.frombuffer(data[8:32], dtype="<u8"))
    start = 32 + 56 * n
    if len(data) != start + name_len + rank_len:
        raise ValueError(f"{taxo_k2d}: truncated or unknown taxo.k2d layout.")
    table = np.frombuffer(data[32:start], dtype="<u8").reshape(n, 7)
    names, ranks = data[start : start + name_len], data[start + name_len :]

    def text(buf: bytes, offset: int) -> str:
        return buf[offset : buf.index(b"\0", offset)].decode("utf-8", "replace")

    parent_of, rank_of, name_of = {}, {}, {}
    external = table[:, 5].astype(str)
    for i in range(1, n):
        parent, _, _, name_off, rank_off, _, _ = (int(x) for x in table[i])
        taxid = external[i]
        parent_of[taxid] = external[parent] if parent > 0 else taxid
        rank_of[taxid] = text(ranks, rank_off)
        name_of[taxid] = text(names, name_off)
    return parent_of, rank_of, name_of


def parse_hitlist(hitlist: str) -> tuple[np.ndarray, np.ndarray]:
    """Runs of Kraken 2's per-k-mer output (the 5th column): ``(taxids, lengths)``.

    Every k-mer of a sequence is listed, run-length encoded: ``taxid:count``, ``0`` for no hit,
    ``A`` (here 0) for k-mers with an ambiguous base. Zero-length runs are dropped.

    >>> parse_hitlist("562:13 561:4 A:31 0:1")
    (array([562, 561,   0,   0]), array([13,  4, 31,  1]))

    Raises
    ------
    ValueError
        On paired-end output (``|:|``) or a malformed list.
    """
    if "|" in hitlist:
        raise ValueError("paired-end Kraken 2 output: the library must be classified unpaired.")
    text = hitlist.replace("A:", "0:").replace(":", " ")
    try:
        flat = np.array(text.split(), dtype=np.int64)
    except ValueError:
        raise ValueError(f"not a Kraken 2 k-mer list: {hitlist[:80]!r}") from None
    if flat.size % 2:
        raise ValueError(f"not a Kraken 2 k-mer list: {hitlist[:80]!r}")
    taxa, lens = flat[0::2], flat[1::2]
    keep = lens > 0
    return taxa[keep], lens[keep]


class _Lineages:
    """Ancestors (self first, root last) and lowest common ancestors of integer taxids."""

    def __init__(self, parent: Mapping[str, str] | Mapping[int, int]):
        self.parent = {int(t): int(p) for t, p in parent.items()}
        self._anc: dict[int, tuple[int, ...]] = {}
        self._lca: dict[tuple[int, ...], int] = {}

    def ancestors(self, taxid: int) -> tuple[int, ...]:
        got = self._anc.get(taxid)
        if got is None:
            out, t = [], taxid
            while t and t not in out:
                out.append(t)
                if t not in self.parent:
                    if t == taxid:
                        raise ValueError(f"taxid {taxid} is not in the database's taxonomy.")
                    break
                p = self.parent[t]
                t = 0 if p == t else p
            got = self._anc[taxid] = tuple(out)
        return got

    def lca(self, taxa: tuple[int, ...]) -> int:
        got = self._lca.get(taxa)
        if got is None:
            common = set(self.ancestors(taxa[0]))
            for t in taxa[1:]:
                common.intersection_update(self.ancestors(t))
            # the deepest common ancestor: the first of taxa[0]'s lineage that all share
            got = next((a for a in self.ancestors(taxa[0]) if a in common), 0)
            self._lca[taxa] = got
        return got


def classify_windows(
    taxa: np.ndarray,
    lens: np.ndarray,
    window: int,
    lineages: _Lineages,
    *,
    step: int = 1,
    confidence: float = 0.0,
    chunk: int = 4096,
) -> Counter[int]:
    """Classify every `window`-k-mer window of one sequence from its per-k-mer taxa.

    ``taxa, lens`` are the runs of :func:`parse_hitlist`. A window (start ``0, step, ...``) is
    classified as Kraken 2 classifies a read (``ResolveTree``): every taxon with hits scores the
    hits on its path to the root; the highest score wins, ties go to the lowest common ancestor
    of the tied taxa; no hit gives 0. With ``confidence`` > 0, the call then moves up to the
    first ancestor whose clade holds at least ``ceil(confidence * window)`` of the window's
    k-mers (0 if none). Kraken 2's ``--minimum-hit-groups`` is not applied (as in
    ``bracken-build``'s ``kmer2read_distr``).

    Notes
    -----
    The window start ``s`` runs over *segments* between the points where a run boundary
    enters or leaves the window. Inside a segment the same run gains a k-mer and the same run
    loses one at every step, so every taxon's score is linear in ``s`` with slope -1, 0 or +1,
    and the taxa present do not change. The winners therefore change only where the best line
    of one slope group crosses the best of another (at most three points per segment): each
    segment is cut at those points and one window of every piece is classified for all of
    its windows. With ``confidence`` > 0 every window is classified (the clade walk is not
    linear in ``s``), which is slower.

    Returns
    -------
    Counter
        ``{taxid: windows}`` (0 = unclassified).
    """
    out: Counter[int] = Counter()
    n = int(lens.sum())
    nwin = n - window + 1
    if nwin <= 0:
        return out
    starts = np.concatenate([[0], np.cumsum(lens)[:-1]])
    required = int(np.ceil(confidence * window)) if confidence > 0 else 0
    if required:
        q_all = np.arange(0, nwin, step)
        e_all = q_all + 1
    else:
        bounds = starts[1:]
        q_all = np.sort(np.clip(np.concatenate([[0], bounds - window + 1, bounds]), 0, nwin - 1))
        q_all = q_all[np.concatenate([[True], q_all[1:] != q_all[:-1]])]  # (np.unique: slower)
        e_all = np.append(q_all[1:], nwin)
    for a in range(0, len(q_all), chunk):
        q, e = q_all[a : a + chunk], e_all[a : a + chunk]
        r_lo = int(np.searchsorted(starts, q[0], "right")) - 1
        r_hi = int(np.searchsorted(starts, q[-1] + window - 1, "right")) - 1
        lt, ll, ls = taxa[r_lo : r_hi + 1], lens[r_lo : r_hi + 1], starts[r_lo : r_hi + 1]
        uniq, inv = np.unique(lt, return_inverse=True)
        m, nu = len(lt), len(uniq)
        onehot = np.zeros((m, nu), dtype=np.int64)
        onehot[np.arange(m), inv] = ll
        prefix = np.zeros((m + 1, nu), dtype=np.int64)
        np.cumsum(onehot, axis=0, out=prefix[1:])
        counts = _upto(q + window, ls, prefix, inv) - _upto(q, ls, prefix, inv)
        hit = uniq > 0
        hits, hit_taxa = counts[:, hit], uniq[hit]
        if not len(hit_taxa):
            out[0] += int(_windows_in(q, e, step).sum())
            continue
        anc = [set(lineages.ancestors(int(t))) for t in hit_taxa]
        # on_path[t, u]: hit taxon t lies on the path from u to the root
        on_path = np.array([[int(t) in anc_u for anc_u in anc] for t in hit_taxa], np.int64)
        on_path0 = np.vstack([np.zeros(len(hit_taxa), np.int64), on_path])
        col = np.cumsum(hit) * hit  # local taxon index -> row of on_path0 (0: no hit)
        lead = col[inv[np.searchsorted(ls, q + window - 1, "right") - 1]]
        trail = col[inv[np.searchsorted(ls, q, "right") - 1]]
        present = hits > 0
        if not required:
            # fast path: a segment with hits of one taxon only (or none) is that taxon (or 0)
            npresent = present.sum(axis=1)
            easy = npresent <= 1
            if easy.any():
                easy_calls = np.where(npresent[easy] == 1, hit_taxa[present[easy].argmax(1)], 0)
                _add_calls(out, easy_calls, _windows_in(q[easy], e[easy], step))
                keep = ~easy
                q, e, hits, present = q[keep], e[keep], hits[keep], present[keep]
                lead, trail = lead[keep], trail[keep]
                if not len(q):
                    continue
        slope = on_path0[lead] - on_path0[trail]  # -1, 0, +1 per taxon
        score0 = np.where(present, hits @ on_path, -1)
        length = e - q
        if not required:
            # the same taxa on top at both ends of a segment are on top all along (a line
            # below the top at both ends is below it in between): one call for the segment
            score_end = np.where(present, score0 + (length - 1)[:, None] * slope, -1)
            tied0 = score0 == score0.max(axis=1, keepdims=True)
            same = (tied0 == (score_end == score_end.max(axis=1, keepdims=True))).all(axis=1)
            if same.any():
                t0, ntied0 = tied0[same], tied0[same].sum(axis=1)
                calls0 = hit_taxa[t0.argmax(axis=1)]
                for i in np.flatnonzero(ntied0 > 1):
                    calls0[i] = lineages.lca(tuple(int(t) for t in hit_taxa[t0[i]]))
                _add_calls(out, calls0, _windows_in(q[same], e[same], step))
                keep = ~same
                q, e, hits, present = q[keep], e[keep], hits[keep], present[keep]
                slope, score0, length = slope[keep], score0[keep], length[keep]
                if not len(q):
                    continue
        # best score of each slope group (+1, 0, -1) at the segment start; absent: very low
        low = -(4 * (window + int(length.max())) + 8)
        group_best = np.stack(
            [np.where(present & (slope == g), score0, low).max(axis=1) for g in (1, 0, -1)],
            axis=1,
        )
        cross = np.stack(
            [
                group_best[:, 1] - group_best[:, 0],  # +1 meets 0
                group_best[:, 2] - group_best[:, 1],  # 0 meets -1
                (group_best[:, 2] - group_best[:, 0]) // 2,  # +1 meets -1
            ],
            axis=1,
        )
        points = np.concatenate([np.zeros((len(q), 1), np.int64), cross, cross + 1], axis=1)
        points = np.sort(np.clip(points, 0, (length - 1)[:, None]), axis=1)
        ends = np.concatenate([points[:, 1:], length[:, None]], axis=1)
        nwindows = _windows_in(q[:, None] + points, q[:, None] + ends, step)
        signs = np.array([1, 0, -1])
        values = group_best[:, None, :] + points[:, :, None] * signs[None, None, :]
        top = values.max(axis=2, keepdims=True)
        # taxa tied at the top at each point: the best of every slope group that reaches it
        group_of = 1 - slope  # slope +1 -> group 0, 0 -> 1, -1 -> 2
        best_in_group = present & (score0 == np.take_along_axis(group_best, group_of, axis=1))
        at_top = (values == top) & (group_best[:, None, :] > low)  # per point and group
        tied = np.zeros((len(q), points.shape[1], len(hit_taxa)), dtype=bool)
        for g in range(3):
            tied |= at_top[:, :, g, None] & (best_in_group & (group_of == g))[:, None, :]
        ntied = tied.sum(axis=2)
        calls = np.where(ntied > 0, hit_taxa[np.argmax(tied, axis=2)], 0)
        for i, j in zip(*np.nonzero(ntied > 1), strict=True):
            calls[i, j] = lineages.lca(tuple(int(t) for t in hit_taxa[tied[i, j]]))
        if required:
            calls[:, 0] = _apply_confidence(calls[:, 0], hits, hit_taxa, anc, required, lineages)
            calls, nwindows = calls[:, :1], np.ones((len(q), 1), np.int64)
        _add_calls(out, calls.ravel(), nwindows.ravel())
    return out


def _add_calls(out: Counter[int], calls: np.ndarray, windows: np.ndarray) -> None:
    """Add `windows` windows to the count of each call."""
    called, where = np.unique(calls, return_inverse=True)
    got = np.bincount(where, weights=windows)
    for taxid, c in zip(called, got, strict=True):
        if c:
            out[int(taxid)] += int(c)


def _windows_in(lo: np.ndarray, hi: np.ndarray, step: int) -> np.ndarray:
    """Number of multiples of `step` in ``[lo, hi)``."""
    return np.maximum((hi + step - 1) // step - (lo + step - 1) // step, 0)


def _upto(x: np.ndarray, starts: np.ndarray, prefix: np.ndarray, inv: np.ndarray) -> np.ndarray:
    """k-mers of every taxon in positions ``[0, x)`` (relative to the first run's prefix)."""
    r = np.searchsorted(starts, x, "right") - 1
    got = prefix[r].copy()
    got[np.arange(len(x)), inv[r]] += x - starts[r]
    return got


def _apply_confidence(calls, hits, hit_taxa, anc, required, lineages):
    """Kraken 2's confidence walk: up to the first ancestor whose clade has `required` hits."""
    calls = calls.copy()
    todo = np.flatnonzero(calls > 0)
    while len(todo):
        current = calls[todo]
        clade = np.zeros(len(todo), dtype=np.int64)
        for c in np.unique(current):
            in_clade = np.array([int(c) in a for a in anc])
            rows = current == c
            clade[rows] = hits[todo[rows]][:, in_clade].sum(axis=1)
        done = clade >= required
        up = todo[~done]
        calls[up] = [(lineages.ancestors(int(c))[1:2] or (0,))[0] for c in calls[up]]
        todo = up[calls[up] > 0]
    return calls


def build_kmer_distrib(
    library: str | os.PathLike,
    db: str | os.PathLike,
    out: str | os.PathLike,
    *,
    read_length: int = 150,
    step: int = 1,
    threads: int = 1,
    confidence: float = 0.0,
    kraken2: str = "kraken2",
    extra_args: Iterable[str] = (),
    log: TextIO | None = None,
) -> dict[str, int]:
    """Build Bracken's ``database<L>mers.kmer_distrib`` for a Kraken 2 database.

    As ``bracken-build`` does: the real ``kraken2`` classifies every library sequence once
    (``--threads``), its per-k-mer output is streamed, and every read-length window of every
    sequence is classified from the k-mers it contains (:func:`classify_windows`).

    Parameters
    ----------
    library : path-like
        The database's reference sequences (FASTA, ``kraken:taxid|N`` in every header).
    db : path-like
        The Kraken 2 database directory (its ``taxo.k2d`` gives the taxonomy).
    out : path-like
        Output file (conventionally ``<db>/database<L>mers.kmer_distrib``).
    read_length : int
        Window length = the read length of the samples (Bracken's ``-l``).
    step : int
        Distance between window starts; 1 counts every window as ``bracken-build`` does.
    threads, confidence, kraken2, extra_args
        ``kraken2 --threads``; the confidence applied to every window (Kraken 2's rule; 0 =
        ``bracken-build``); executable; more ``kraken2`` arguments.
    log : text file, optional

    Returns
    -------
    dict
        ``windows`` counted, ``sequences`` read, ``genomes`` and ``lines`` written, ``k``.

    Raises
    ------
    RuntimeError
        If ``kraken2`` fails (its exit status and the end of its stderr are given).
    ValueError
        On an untagged sequence, a read length shorter than the database's k, or a taxid
        missing from the database's taxonomy.
    """
    if read_length < 1 or step < 1:
        raise ValueError("read_length and step must be >= 1.")
    lineages = _Lineages(read_taxo_k2d(os.path.join(db, "taxo.k2d"))[0])
    cmd = [kraken2, "--db", str(db), "--threads", str(threads), *extra_args, str(library)]
    if log:
        print("running: " + " ".join(cmd), file=log)
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1 << 20
    )
    stderr_chunks: list[str] = []
    drain = threading.Thread(target=lambda: stderr_chunks.append(proc.stderr.read()))
    drain.start()
    counts: dict[str, Counter[int]] = {}
    k = None
    sequences = 0
    try:
        for line in proc.stdout:
            fields = line.rstrip("\n").split("\t")
            if len(fields) < 5:
                continue
            sequences += 1
            tag = _TAXID_TAG.search(fields[1])
            if not tag:
                raise ValueError(f"{library}: sequence {fields[1]!r} has no kraken:taxid tag.")
            taxa, lens = parse_hitlist(fields[4])
            n = int(lens.sum())
            genome = counts.setdefault(tag.group(1), Counter())
            if n == 0:
                continue
            seq_k = int(fields[3]) - n + 1
            if k is None:
                k = seq_k
                if read_length < k:
                    raise ValueError(
                        f"read_length {read_length} is shorter than the database's k-mers ({k})."
                    )
            elif seq_k != k:
                raise ValueError(f"{fields[1]}: k-mer length {seq_k}, expected {k}.")
            genome.update(
                classify_windows(
                    taxa, lens, read_length - k + 1, lineages, step=step, confidence=confidence
                )
            )
    finally:
        with contextlib.suppress(Exception):
            proc.stdout.close()
        status = proc.wait()
        drain.join()
    stderr = "".join(stderr_chunks)
    if log:
        log.write(stderr)
    if status != 0:
        raise RuntimeError(f"kraken2 exited with status {status}: {stderr[-2000:]}")
    counts = {g: {str(t): c for t, c in d.items()} for g, d in counts.items() if d}
    lines = write_kmer_distrib(counts, out)
    return {
        "windows": sum(sum(d.values()) for d in counts.values()),
        "sequences": sequences,
        "genomes": len(counts),
        "lines": lines,
        "k": k or 0,
    }
