"""Shotgun metagenomics helpers: the Kraken 2 reference library, taxonomy dumps, host fractions
and the cohort species profile.

- :func:`prepare_library` writes the reference genomes as one Kraken 2 library FASTA whose
  headers carry ``kraken:taxid|<taxid>`` tags (from a seqid2taxid map, existing tags, or
  ``<taxid>.fa`` file names), checking every taxid against the taxonomy.
- :func:`check_kraken2_db` names the files a prebuilt database lacks.
- :class:`Taxonomy` reads NCBI-style ``names.dmp`` / ``nodes.dmp`` (or the ``taxo.k2d`` that
  every Kraken 2 database holds) and gives Greengenes-style lineages (``d__Bacteria; p__...;
  s__Escherichia coli``) and the rank names that repair Kraken 2's report rank codes.
- :func:`summarise_host` gathers the per-sample host-removal counts into one cohort table.
- :func:`species_profile` merges per-sample Bracken tables into a :class:`FeatureTable`
  (samples x species taxids, with lineages); samples without reads are kept with zeros.
"""

from __future__ import annotations

import gzip
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TextIO

from holobiont.core.table import FeatureTable, format_lineage, merge_profiles
from holobiont.microbiome.bracken import read_bracken, read_taxo_k2d

__all__ = [
    "FASTA_SUFFIXES",
    "KRAKEN2_DB_FILES",
    "LibraryError",
    "Taxonomy",
    "check_kraken2_db",
    "config_problems",
    "genome_files",
    "prepare_library",
    "species_profile",
    "summarise_host",
]

#: Files every Kraken 2 database directory must hold.
KRAKEN2_DB_FILES: tuple[str, ...] = ("hash.k2d", "opts.k2d", "taxo.k2d")
#: Reference genome file name endings recognised in a genomes directory.
FASTA_SUFFIXES: tuple[str, ...] = tuple(
    s + z for s in (".fa", ".fna", ".fasta", ".fas") for z in ("", ".gz")
)
_TAG_RE = re.compile(r"\|?kraken:taxid\|(\d+)\|?")
# NCBI ranks -> holobiont.core.table ranks (superkingdom/domain win over kingdom for d__)
_DUMP_RANKS = {
    "superkingdom": "domain",
    "domain": "domain",
    "acellular root": "domain",
    "phylum": "phylum",
    "class": "class",
    "order": "order",
    "family": "family",
    "genus": "genus",
    "species": "species",
}


class LibraryError(ValueError):
    """The reference genomes cannot be turned into a Kraken 2 library (the message says why)."""


# --------------------------------------------------------------------------- database checks


def check_kraken2_db(db: str | os.PathLike) -> list[str]:
    """Kraken 2 database files missing from `db`, or present but empty (``"hash.k2d (empty)"``,
    a copy that failed); an empty list means complete.

    >>> check_kraken2_db("/nonexistent")
    ['hash.k2d', 'opts.k2d', 'taxo.k2d']
    """
    problems = []
    for f in KRAKEN2_DB_FILES:
        path = Path(db) / f
        if not path.is_file():
            problems.append(f)
        elif path.stat().st_size == 0:
            problems.append(f"{f} (empty)")
    return problems


def config_problems(shotgun: Mapping, host_fasta: str = "") -> list[str]:
    """What the ``shotgun`` config section lacks for a sheet with shotgun libraries.

    Parameters
    ----------
    shotgun : mapping
        ``config["shotgun"]`` with defaults filled in.
    host_fasta : str
        ``config["references"]["host_fasta"]``.

    Returns
    -------
    list of str
        One message per problem, naming the config key (empty: nothing missing).
    """
    from holobiont.microbiome.bracken import kmer_distrib_name

    problems = []
    if not host_fasta:
        problems.append(
            "config references.host_fasta is not set, but the sheet has shotgun libraries; "
            "their human reads are removed by alignment to it."
        )
    bracken = shotgun["bracken"]
    distrib = bracken["kmer_distrib"]
    db = shotgun["kraken2_db"]
    if db:
        if not Path(db).is_dir():
            problems.append(f"shotgun.kraken2_db = {db!r}: no such directory.")
        else:
            missing = check_kraken2_db(db)
            if missing:
                problems.append(
                    f"shotgun.kraken2_db = {db!r} is a Kraken2 database with missing or empty files: "
                    f"{', '.join(missing)} (a Kraken 2 database holds "
                    f"{', '.join(KRAKEN2_DB_FILES)})."
                )
        distrib = distrib or str(Path(db) / kmer_distrib_name(bracken["read_length"]))
        if not Path(distrib).is_file():
            problems.append(
                f"no Bracken k-mer distribution {distrib!r} for shotgun.kraken2_db: build it "
                f"with `bracken-build -d {db} -l {bracken['read_length']}`, point "
                "shotgun.bracken.kmer_distrib at one, or leave shotgun.kraken2_db empty to "
                "let the pipeline build its database and distribution from shotgun.build_db."
            )
        return problems
    build = shotgun["build_db"]
    if not genome_files(build["genomes"]):
        problems.append(
            f"shotgun.build_db.genomes = {build['genomes']!r}: no .fa/.fna/.fasta[.gz] files "
            "there; set it, or set shotgun.kraken2_db to a prebuilt database."
        )
    for name in ("names.dmp", "nodes.dmp"):
        if not (Path(build["taxonomy"]) / name).is_file():
            problems.append(
                f"shotgun.build_db.taxonomy = {build['taxonomy']!r}: {name} is missing."
            )
    if build["seqid2taxid"] and not Path(build["seqid2taxid"]).is_file():
        problems.append(f"shotgun.build_db.seqid2taxid = {build['seqid2taxid']!r}: no such file.")
    if distrib and not Path(distrib).is_file():
        problems.append(f"shotgun.bracken.kmer_distrib = {distrib!r}: no such file.")
    return problems


def genome_files(directory: str | os.PathLike) -> list[str]:
    """Reference FASTA files (``.fa/.fna/.fasta/.fas``, optionally ``.gz``) of a directory,
    sorted by name."""
    d = Path(directory)
    if not d.is_dir():
        return []
    return sorted(str(p) for p in d.iterdir() if p.is_file() and p.name.endswith(FASTA_SUFFIXES))


# --------------------------------------------------------------------------- taxonomy


class Taxonomy:
    """An NCBI-style taxonomy dump: parent, rank and scientific name of every taxid.

    Parameters
    ----------
    names, nodes : path-like
        ``names.dmp`` and ``nodes.dmp`` (``\\t|\\t``-separated; only scientific names are used).

    Examples
    --------
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> _ = open(os.path.join(d, "nodes.dmp"), "w").write(
    ...     "1\\t|\\t1\\t|\\tno rank\\t|\\n2\\t|\\t1\\t|\\tsuperkingdom\\t|\\n"
    ...     "561\\t|\\t2\\t|\\tgenus\\t|\\n562\\t|\\t561\\t|\\tspecies\\t|\\n")
    >>> _ = open(os.path.join(d, "names.dmp"), "w").write(
    ...     "2\\t|\\tBacteria\\t|\\t\\t|\\tscientific name\\t|\\n"
    ...     "561\\t|\\tEscherichia\\t|\\t\\t|\\tscientific name\\t|\\n"
    ...     "562\\t|\\tEscherichia coli\\t|\\t\\t|\\tscientific name\\t|\\n")
    >>> Taxonomy.from_dir(d).lineage("562")
    'd__Bacteria; p__; c__; o__; f__; g__Escherichia; s__Escherichia coli'
    """

    def __init__(self, names: str | os.PathLike, nodes: str | os.PathLike):
        self.parent: dict[str, str] = {}
        self.rank: dict[str, str] = {}
        self.name: dict[str, str] = {}
        with open(nodes, encoding="utf-8") as fh:
            for line in fh:
                f = [x.strip() for x in line.split("|")]
                if len(f) >= 3 and f[0]:
                    self.parent[f[0]] = f[1]
                    self.rank[f[0]] = f[2]
        with open(names, encoding="utf-8") as fh:
            for line in fh:
                f = [x.strip() for x in line.split("|")]
                if len(f) >= 4 and f[3] == "scientific name":
                    self.name[f[0]] = f[1]

    @classmethod
    def from_dir(cls, directory: str | os.PathLike) -> Taxonomy:
        """``names.dmp`` and ``nodes.dmp`` of a folder."""
        d = Path(directory)
        return cls(d / "names.dmp", d / "nodes.dmp")

    @classmethod
    def from_kraken2(cls, taxo_k2d: str | os.PathLike) -> Taxonomy:
        """The taxonomy a Kraken 2 database carries in ``taxo.k2d`` (every prebuilt one has it).

        Format (Kraken 2's ``Taxonomy::WriteTaxonomyIndex``): magic ``K2TAXDAT``; node count,
        name and rank data lengths (uint64); per node seven uint64 (parent, first child, child
        count, name offset, rank offset, external taxid, reserved; node 0 is a dummy, node 1
        the root); then the NUL-terminated names and ranks.

        Raises
        ------
        ValueError
            If the file is not a Kraken 2 taxonomy.
        """
        self = cls.__new__(cls)
        self.parent, self.rank, self.name = read_taxo_k2d(taxo_k2d)
        return self

    @classmethod
    def from_files(cls, files: Sequence[str | os.PathLike]) -> Taxonomy:
        """``[names.dmp, nodes.dmp]`` (either order) or ``[taxo.k2d]``."""
        files = [str(f) for f in files]
        if len(files) == 1 and files[0].endswith(".k2d"):
            return cls.from_kraken2(files[0])
        by_name = {Path(f).name: f for f in files}
        if set(by_name) != {"names.dmp", "nodes.dmp"}:
            raise ValueError(f"expected names.dmp and nodes.dmp, or taxo.k2d; got {files}.")
        return cls(by_name["names.dmp"], by_name["nodes.dmp"])

    def __contains__(self, taxid: object) -> bool:
        return str(taxid) in self.parent

    def ancestors(self, taxid: str) -> list[str]:
        """`taxid` and its ancestors up to the root (empty if unknown)."""
        out: list[str] = []
        t = str(taxid)
        seen = set()
        while t in self.parent and t not in seen:
            out.append(t)
            seen.add(t)
            if self.parent[t] == t:
                break
            t = self.parent[t]
        return out

    def ranks(self, taxid: str) -> dict[str, str]:
        """``{rank: name}`` of the lineage (ranks of :data:`holobiont.core.table.RANKS`)."""
        found: dict[str, str] = {}
        kingdom = None
        for t in self.ancestors(taxid):
            rank = self.rank.get(t, "")
            if rank == "kingdom":
                kingdom = self.name.get(t, t)
            std = _DUMP_RANKS.get(rank)
            if std and std not in found:
                found[std] = self.name.get(t, t)
        if "domain" not in found and kingdom:
            found["domain"] = kingdom
        return found

    def lineage(self, taxid: str) -> str:
        """Greengenes-style lineage down to the deepest known rank ("" if unknown)."""
        return format_lineage(self.ranks(taxid))


# --------------------------------------------------------------------------- library


def _open_text(path: str | os.PathLike) -> TextIO:
    if str(path).endswith(".gz"):
        return gzip.open(path, "rt", encoding="ascii")
    return open(path, encoding="ascii")


def read_seqid2taxid(path: str | os.PathLike) -> dict[str, str]:
    """``seqid<TAB>taxid`` lines into a dict (blank lines and ``#`` comments skipped)."""
    out: dict[str, str] = {}
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip() or line.startswith("#"):
                continue
            f = line.split()
            if len(f) < 2 or not f[1].isdigit():
                raise LibraryError(f"{path}, line {number}: expected 'seqid<TAB>taxid'.")
            out[f[0]] = f[1]
    return out


def prepare_library(
    genomes: Sequence[str | os.PathLike],
    taxonomy: Taxonomy,
    out_fasta: str | os.PathLike,
    out_map: str | os.PathLike,
    *,
    seqid2taxid: Mapping[str, str] | None = None,
    log: TextIO | None = None,
) -> list[dict[str, object]]:
    """Write the reference genomes as one Kraken 2 library with taxid-tagged headers.

    The taxid of a sequence is, in this order: its entry in `seqid2taxid` (looked up by the
    header's first word, with or without an existing ``kraken:taxid`` tag); the
    ``kraken:taxid|N`` tag already in its header; the name of its file when that is a taxid
    (``562.fa``). Output headers are ``>{seqid}|kraken:taxid|{taxid}``; sequences are
    upper-cased, 80 columns.

    Parameters
    ----------
    genomes : sequence of path-like
        FASTA files, plain or gzipped; one genome (or any set of sequences) per file.
    taxonomy : Taxonomy
        Every taxid must be one of its nodes.
    out_fasta, out_map : path-like
        The library FASTA and its ``seqid<TAB>taxid`` map (Kraken 2's seqid2taxid.map format).
    seqid2taxid : mapping, optional

    Returns
    -------
    list of dict
        Per file: ``file, sequences, length, taxids`` (comma-separated), ``name`` (of the
        first taxid).

    Raises
    ------
    LibraryError
        No genomes; a sequence without taxid, with conflicting taxids, or with a taxid absent
        from the taxonomy; a sequence ID used twice. The offending sequences are named.
    """
    if not genomes:
        raise LibraryError("no reference genome files (.fa/.fna/.fasta[.gz]) were given.")
    seqid2taxid = dict(seqid2taxid or {})
    seen: set[str] = set()
    problems: list[str] = []
    records: list[dict[str, object]] = []
    tmp_fa, tmp_map = f"{out_fasta}.tmp.{os.getpid()}", f"{out_map}.tmp.{os.getpid()}"
    with open(tmp_fa, "w", encoding="ascii") as fa, open(tmp_map, "w", encoding="ascii") as mp:
        for path in genomes:
            stem = Path(path).name
            for suffix in FASTA_SUFFIXES:
                if stem.endswith(suffix):
                    stem = stem[: -len(suffix)]
                    break
            n_seq, length, taxids = 0, 0, []
            for header, seq in _iter_fasta(path):
                word = header.split()[0] if header.split() else ""
                tag = _TAG_RE.search(word)
                bare = _TAG_RE.sub("", word)
                mapped = seqid2taxid.get(word) or seqid2taxid.get(bare)
                taxid = mapped or (tag.group(1) if tag else None)
                if taxid is None and stem.isdigit():
                    taxid = stem
                where = f"{Path(path).name}: sequence {word!r}"
                if taxid is None:
                    problems.append(
                        f"{where} has no taxid (not in the seqid2taxid map, no kraken:taxid tag, file name not a taxid)"
                    )
                    continue
                if mapped and tag and tag.group(1) != mapped:
                    problems.append(
                        f"{where}: the seqid2taxid map says {mapped}, its header tag says {tag.group(1)}"
                    )
                    continue
                if taxid not in taxonomy:
                    problems.append(f"{where}: taxid {taxid} is not in the taxonomy (nodes.dmp)")
                    continue
                if bare in seen:
                    problems.append(f"{where}: sequence ID used twice")
                    continue
                seen.add(bare)
                seqid = f"{bare}|kraken:taxid|{taxid}"
                fa.write(f">{seqid}\n")
                seq = seq.upper()
                for i in range(0, len(seq), 80):
                    fa.write(seq[i : i + 80] + "\n")
                mp.write(f"{seqid}\t{taxid}\n")
                n_seq += 1
                length += len(seq)
                if taxid not in taxids:
                    taxids.append(taxid)
            records.append(
                {
                    "file": str(path),
                    "sequences": n_seq,
                    "length": length,
                    "taxids": ",".join(taxids),
                    "name": taxonomy.name.get(taxids[0], "") if taxids else "",
                }
            )
    if problems:
        os.unlink(tmp_fa)
        os.unlink(tmp_map)
        shown = "\n  ".join(problems[:10])
        more = f"\n  ... ({len(problems)} problems in total)" if len(problems) > 10 else ""
        raise LibraryError(f"cannot build the Kraken 2 library:\n  {shown}{more}")
    os.replace(tmp_fa, out_fasta)
    os.replace(tmp_map, out_map)
    if log:
        for r in records:
            print(
                f"{r['file']}: {r['sequences']} sequences, {r['length']} bp, taxid {r['taxids']} "
                f"({r['name']})",
                file=log,
            )
    return records


def _iter_fasta(path: str | os.PathLike):
    with _open_text(path) as fh:
        header, chunks = None, []
        for line in fh:
            if line.startswith(">"):
                if header is not None:
                    yield header, "".join(chunks)
                header, chunks = line[1:].strip(), []
            elif line.strip():
                if header is None:
                    raise LibraryError(f"{path}: not a FASTA file (no '>' header first).")
                chunks.append(line.strip())
        if header is not None:
            yield header, "".join(chunks)


# --------------------------------------------------------------------------- host fraction

HOST_COLUMNS = (
    "sample_id",
    "patient_id",
    "read_pairs",
    "human_pairs",
    "microbial_pairs",
    "human_fraction",
)


def summarise_host(
    records: Iterable[Mapping[str, str]], out: str | os.PathLike, log: TextIO | None = None
) -> list[dict[str, object]]:
    """Gather per-sample host-removal counts into one table.

    Parameters
    ----------
    records : iterable of mapping
        ``sample_id``, ``patient_id`` and ``file``: a per-sample TSV with a header line and
        the columns ``sample_id read_pairs human_pairs microbial_pairs human_fraction``.
    out : path-like
        Cohort TSV with :data:`HOST_COLUMNS`.
    log : text file, optional
        Receives a warning for each sample left without microbial reads.
    """
    rows = []
    for rec in records:
        with open(rec["file"], encoding="utf-8") as fh:
            header = fh.readline().rstrip("\n").split("\t")
            values = fh.readline().rstrip("\n").split("\t")
        d = dict(zip(header, values, strict=True))
        pairs, microbial = int(d["read_pairs"]), int(d["microbial_pairs"])
        human = pairs - microbial
        row = {
            "sample_id": rec["sample_id"],
            "patient_id": rec["patient_id"],
            "read_pairs": pairs,
            "human_pairs": human,
            "microbial_pairs": microbial,
            "human_fraction": round(human / pairs, 6) if pairs else 0.0,
        }
        rows.append(row)
        if log:
            print(
                f"{row['sample_id']}: {pairs} pairs, {human} human ({row['human_fraction']:.4f}), "
                f"{microbial} microbial",
                file=log,
            )
            if microbial == 0:
                print(
                    f"WARNING: sample {row['sample_id']} has no microbial read pairs after host "
                    "removal; it is kept in the species tables with zero counts.",
                    file=log,
                )
    tmp = f"{out}.tmp.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        fh.write("\t".join(HOST_COLUMNS) + "\n")
        for r in rows:
            fh.write("\t".join(str(r[c]) for c in HOST_COLUMNS) + "\n")
    os.replace(tmp, out)
    return rows


# --------------------------------------------------------------------------- species profile


def species_profile(
    bracken: Mapping[str, str | os.PathLike],
    *,
    taxonomy: Taxonomy | None = None,
    log: TextIO | None = None,
) -> FeatureTable:
    """Merge per-sample Bracken tables into one cohort table of estimated reads.

    Parameters
    ----------
    bracken : mapping of sample ID to path
        Bracken output tables (:func:`holobiont.microbiome.bracken.write_bracken`); samples in this order.
    taxonomy : Taxonomy, optional
        Source of the lineages; without it (or for a taxid it lacks) the lineage is just the
        Bracken name, ``s__<name>``.
    log : text file, optional
        Receives a warning for each sample without any estimated reads.

    Returns
    -------
    FeatureTable
        ``int64`` counts (``new_est_reads``), samples x taxids (sorted as strings), with a
        lineage for every taxon. Samples without reads are rows of zeros, never dropped.
    """
    profiles: dict[str, dict[str, int]] = {}
    names: dict[str, str] = {}
    for sample, path in bracken.items():
        rows = read_bracken(path)
        profiles[sample] = {
            str(r["taxonomy_id"]): int(r["new_est_reads"]) for r in rows if r["new_est_reads"]
        }
        for r in rows:
            names[str(r["taxonomy_id"])] = str(r["name"])
        if not profiles[sample] and log:
            print(
                f"WARNING: sample {sample} has no reads assigned to any taxon above the "
                "Bracken threshold; it is kept with zero counts.",
                file=log,
            )
    table = merge_profiles(profiles)
    lineages = {}
    for t in table.taxa:
        lineage = taxonomy.lineage(t) if taxonomy is not None else ""
        lineages[t] = lineage or f"s__{names.get(t, t)}"
    return FeatureTable(table.counts, table.sample_ids, table.taxa, lineages)
