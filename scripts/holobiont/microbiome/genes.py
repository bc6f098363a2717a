"""Gene-level evidence for microbe–drug interactions: read pairs of drug-metabolism genes in a
shotgun library, found by a translated search (DIAMOND ``blastx``) against a protein reference.

The reference is a protein FASTA the user supplies (``shotgun.genes.proteins``; README: which
accessions). The first word of every header is ``<gene>|<accession>``, ``<gene>`` being a
``gene_family`` of ``resources/microbe_drug/interactions.tsv`` (:func:`read_protein_reference`).

Counting (:func:`count_gene_pairs`): DIAMOND reports each read's best protein hit (both mates
are searched; ``samtools fastq -n`` gives both mates the same name). A read pair counts once for
a gene when at least one of its mates hits a protein of that gene. Abundances
(:func:`gene_abundance`) are per million microbial read pairs (after host removal):

- ``rpm`` = pairs / microbial pairs x 10^6;
- ``rpkm`` = pairs / (gene length in kb) / microbial pairs x 10^6, the gene length being 3 x
  the mean protein length of the gene's reference proteins.

A gene is *detected* in a library when its pairs reach ``min_pairs``.

Per interaction row (:func:`gene_evidence`) the report states one of: ``gene detected`` (with
pairs, RPM, RPKM), ``taxon present, gene not detected``, ``not detected`` (neither the gene nor
the taxon), or ``not measured`` with the reason (no shotgun library, library not measured, no
protein reference configured, no protein of that gene in the reference, no gene named for the
activity). Only the first three rest on gene reads; otherwise the row rests on the taxon
presence proxy alone.
"""

from __future__ import annotations

import csv
import gzip
import os
import re
from collections.abc import Iterable, Mapping, Sequence

from holobiont.atomic import write_text

#: DIAMOND ``--outfmt 6`` columns the rule asks for.
DIAMOND_COLUMNS = ("qseqid", "sseqid", "pident", "length", "evalue", "bitscore")
ABUNDANCE_COLUMNS = (
    "sample_id",
    "gene",
    "read_pairs",
    "microbial_pairs",
    "rpm",
    "rpkm",
    "gene_length_nt",
    "min_pairs",
    "detected",
)
GENE_DETECTED = "gene detected"
TAXON_WITHOUT_GENE = "taxon present, gene not detected"
NOT_DETECTED = "not detected"
NOT_MEASURED = "not measured"
#: Statuses that rest on gene reads (the others rest on the taxon presence proxy only).
GENE_BASED = (GENE_DETECTED, TAXON_WITHOUT_GENE, NOT_DETECTED)
_GENE_RE = re.compile(r"^[A-Za-z0-9_.-]+$")


def _open(path: str | os.PathLike):
    return gzip.open(path, "rt") if str(path).endswith(".gz") else open(path, encoding="utf-8")


def read_protein_reference(
    path: str | os.PathLike, known_genes: Iterable[str] | None = None
) -> list[dict]:
    """Validate the protein reference; one record per protein.

    Returns
    -------
    list of dict
        ``protein_id`` (the header's first word), ``gene``, ``accession``, ``length_aa``.

    Raises
    ------
    ValueError
        Naming the file and record: a header that is not ``<gene>|<accession> ...``, a gene not
        among `known_genes` (the ``gene_family`` values of interactions.tsv), a duplicated ID,
        an empty sequence, or a file without proteins.
    """
    known = None if known_genes is None else {g for g in known_genes if g}
    records: list[dict] = []
    seen: set[str] = set()
    current = None
    with _open(path) as fh:
        for number, raw in enumerate(fh, start=1):
            line = raw.strip()
            if not line:
                continue
            if line.startswith(">"):
                pid = line[1:].split()[0] if line[1:].split() else ""
                gene, sep, acc = pid.partition("|")
                where = f"{path}, line {number} ({pid or 'empty header'})"
                if not sep or not acc or not _GENE_RE.match(gene):
                    raise ValueError(
                        f"{where}: the first word of a header must be <gene>|<accession>, e.g. "
                        "'>cgr2|C8WMP0' (README: protein reference for gene-level evidence)."
                    )
                if known is not None and gene not in known:
                    raise ValueError(
                        f"{where}: gene {gene!r} is not a gene_family of the microbe-drug table "
                        f"({', '.join(sorted(known))}); rename it or add it to interactions.tsv."
                    )
                if pid in seen:
                    raise ValueError(f"{where}: duplicated protein ID.")
                seen.add(pid)
                current = {"protein_id": pid, "gene": gene, "accession": acc, "length_aa": 0}
                records.append(current)
            elif current is None:
                raise ValueError(f"{path}, line {number}: sequence before the first header.")
            else:
                current["length_aa"] += len(line.rstrip("*"))
    for r in records:
        if r["length_aa"] == 0:
            raise ValueError(f"{path}: protein {r['protein_id']} has an empty sequence.")
    if not records:
        raise ValueError(f"{path}: no protein in the reference.")
    return records


def write_reference_table(records: Sequence[Mapping], path: str | os.PathLike) -> None:
    cols = ("protein_id", "gene", "accession", "length_aa")
    lines = ["\t".join(cols)] + ["\t".join(str(r[c]) for c in cols) for r in records]
    write_text(path, "\n".join(lines) + "\n")


def read_reference_table(path: str | os.PathLike) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    for r in rows:
        r["length_aa"] = int(r["length_aa"])
    return rows


def _pair_name(read: str) -> str:
    return read[:-2] if read.endswith(("/1", "/2")) else read


def count_gene_pairs(hits: str | os.PathLike, gene_of: Mapping[str, str]) -> dict[str, int]:
    """Read pairs per gene from DIAMOND ``--outfmt 6`` hits (:data:`DIAMOND_COLUMNS`).

    Each read's first line is its best hit (``--max-target-seqs 1``); later lines of the same
    read are ignored. A pair counts once per gene hit by either mate.

    Raises
    ------
    ValueError
        On a hit to a protein absent from `gene_of` (a database not built from the reference).
    """
    seen_reads: set[str] = set()
    pairs: dict[str, set[str]] = {}
    with _open(hits) as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            f = line.rstrip("\n").split("\t")
            read, protein = f[0], f[1]
            if read in seen_reads:
                continue
            seen_reads.add(read)
            if protein not in gene_of:
                raise ValueError(
                    f"{hits}, line {number}: protein {protein!r} is not in the reference table; "
                    "rebuild the DIAMOND database from the configured protein FASTA."
                )
            pairs.setdefault(gene_of[protein], set()).add(_pair_name(read))
    # a pair whose two mates are both listed was seen twice under one name: sets count it once
    return {g: len(names) for g, names in pairs.items()}


def gene_abundance(
    sample: str,
    pair_counts: Mapping[str, int],
    microbial_pairs: int,
    reference: Sequence[Mapping],
    *,
    min_pairs: int,
) -> list[dict]:
    """One row per gene of the reference (0 pairs included) for one library (module Notes)."""
    lengths: dict[str, list[int]] = {}
    for r in reference:
        lengths.setdefault(r["gene"], []).append(int(r["length_aa"]))
    rows = []
    for gene in sorted(lengths):
        n = int(pair_counts.get(gene, 0))
        nt = 3 * sum(lengths[gene]) / len(lengths[gene])
        rpm = n / microbial_pairs * 1e6 if microbial_pairs else None
        rows.append(
            {
                "sample_id": sample,
                "gene": gene,
                "read_pairs": n,
                "microbial_pairs": microbial_pairs,
                "rpm": rpm,
                "rpkm": rpm / (nt / 1000) if rpm is not None else None,
                "gene_length_nt": round(nt),
                "min_pairs": min_pairs,
                "detected": bool(microbial_pairs) and n >= min_pairs,
            }
        )
    return rows


def write_abundance(rows: Sequence[Mapping], path: str | os.PathLike) -> None:
    def fmt(v):
        if v is None:
            return "NA"
        if isinstance(v, bool):
            return "yes" if v else "no"
        if isinstance(v, float):
            return f"{v:.4f}"
        return str(v)

    lines = ["\t".join(ABUNDANCE_COLUMNS)]
    lines += ["\t".join(fmt(r[c]) for c in ABUNDANCE_COLUMNS) for r in rows]
    write_text(path, "\n".join(lines) + "\n")


def read_abundance(path: str | os.PathLike) -> dict[str, dict[str, dict]]:
    """``{sample_id: {gene: row}}`` of a gene abundance table (numbers parsed; NA -> None)."""
    out: dict[str, dict[str, dict]] = {}
    with open(path, encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            row = {
                "read_pairs": int(r["read_pairs"]),
                "microbial_pairs": int(r["microbial_pairs"]),
                "rpm": None if r["rpm"] == "NA" else float(r["rpm"]),
                "rpkm": None if r["rpkm"] == "NA" else float(r["rpkm"]),
                "gene_length_nt": int(r["gene_length_nt"]),
                "min_pairs": int(r["min_pairs"]),
                "detected": r["detected"] == "yes",
            }
            out.setdefault(r["sample_id"], {})[r["gene"]] = row
    return out


def gene_evidence(
    gene: str,
    shotgun: Mapping,
    genes_of_sample: Mapping[str, Mapping] | None,
    *,
    reference_configured: bool,
) -> dict:
    """Gene-level evidence of one interaction row for one patient (module Notes).

    Parameters
    ----------
    gene : str
        The row's ``gene_family`` ("" when no gene is named for the activity).
    shotgun : mapping
        The row's shotgun assay record of :func:`holobiont.report.patient.match_interactions`
        (``status``: detected / not detected / not measured / not sequenced, ...).
    genes_of_sample : mapping or None
        ``{gene: row}`` of the patient's shotgun library (:func:`read_abundance`); None when
        the library has no row (not searched).
    reference_configured : bool
        Whether a protein reference is configured.

    Returns
    -------
    dict
        ``gene``, ``status``, ``basis`` (``gene reads`` or ``taxon presence proxy``), and
        ``read_pairs, rpm, rpkm, min_pairs`` (measured) or ``reason`` (not measured).
    """

    def unmeasured(reason: str) -> dict:
        return {
            "gene": gene,
            "status": NOT_MEASURED,
            "basis": "taxon presence proxy",
            "reason": reason,
        }

    if not gene:
        return unmeasured("no gene is named for this activity")
    status = shotgun.get("status")
    if status == "not sequenced":
        return unmeasured("no shotgun library")
    if status == NOT_MEASURED:
        return unmeasured(f"shotgun library not measured ({shotgun.get('reason', '')})")
    if not reference_configured:
        return unmeasured("no protein reference configured (shotgun.genes.proteins)")
    if genes_of_sample is None:
        return unmeasured("the shotgun library was not searched for genes")
    row = genes_of_sample.get(gene)
    if row is None:
        return unmeasured(f"the protein reference has no {gene} protein")
    if row["microbial_pairs"] == 0:
        return unmeasured("no microbial read pair to search")
    out = {
        "gene": gene,
        "basis": "gene reads",
        "read_pairs": row["read_pairs"],
        "rpm": row["rpm"],
        "rpkm": row["rpkm"],
        "min_pairs": row["min_pairs"],
    }
    if row["detected"]:
        out["status"] = GENE_DETECTED
    elif status == "detected":
        out["status"] = TAXON_WITHOUT_GENE
    else:
        out["status"] = NOT_DETECTED
    return out
