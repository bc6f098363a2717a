"""16S references in SINTAX format: converters from the QIIME-style FASTA + taxonomy TSV.

``vsearch --sintax`` reads its reference taxonomy from the FASTA headers,
``>id;tax=d:Bacteria,p:Firmicutes,...,g:Enterococcus,s:Enterococcus_faecalis;``. The common
16S databases ship instead as a FASTA of sequences plus a tab-separated taxonomy,
``id<TAB>k__Bacteria; p__Firmicutes; ...`` (the layout QIIME 1 and 2 import). This module
converts the second form into the first:

- :func:`parse_taxonomy` reads one taxonomy string in any of the conventions in use --
  Greengenes 13_8 (``k__Bacteria; ...; g__; s__``, ``[brackets]`` around disputed names),
  Greengenes2 and GTDB (``d__Bacteria;...;s__Escherichia coli``), SILVA 138 as released for
  QIIME 2 (``d__Bacteria; ...; g__Escherichia-Shigella; s__uncultured_bacterium``) and SILVA
  132 (``D_0__Bacteria;D_1__...;D_6__...``) -- into ``{rank: name}``.
- :func:`sintax_tax` writes the ``tax=`` field of a header; :func:`convert` converts whole
  files (streaming, atomically, with a JSON record of what it did and of the inputs' and
  output's SHA-256); :func:`build_greengenes_13_8` converts the Greengenes 13_8 97 % OTU set
  that the ``qiime-default-reference`` package ships.

Rules (every rank is handled alike):

- An empty rank (``g__``, ``s__``), or a placeholder name (``uncultured``,
  ``unidentified``, ``metagenome``, ``unknown``, ``unclassified``, ``unassigned``,
  ``Incertae_Sedis``, ``uncultured_bacterium``, ``Bacteroides_sp.`` and the like: see
  :data:`PLACEHOLDERS`) is left
  out of the header: there is then no ``g:`` at all, so SINTAX can never call it a genus.
  Ranks under it are kept (SILVA names families under an unnamed order).
- Square brackets are dropped (Greengenes ``g__[Ruminococcus]`` -> ``g:Ruminococcus``).
- Whitespace and the characters SINTAX headers reserve (``,``, ``;``, ``:``) become ``_``
  (``s__Escherichia coli`` -> ``s:Escherichia_coli``); vsearch would otherwise cut the label
  at the first space.
- A species epithet alone (Greengenes ``s__coli``) is prefixed with its genus
  (``s:Escherichia_coli``), so that species names are unique across genera; a species
  without a genus is left out.
- A record whose taxonomy keeps no rank at all (``Unassigned``) is left out of the database
  (it cannot teach SINTAX anything) and counted. A sequence without a taxonomy line stops the
  conversion, naming it; taxonomy lines without a sequence are counted.
- Sequences are upper-cased and RNA ``U`` becomes ``T``; ``.`` and ``-`` alignment gaps are
  removed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator, Mapping
from typing import TextIO

__all__ = [
    "PLACEHOLDERS",
    "SINTAX_RANKS",
    "build_greengenes_13_8",
    "convert",
    "parse_taxonomy",
    "read_taxonomy_tsv",
    "sha256_of_file",
    "sintax_header",
    "sintax_tax",
]

#: SINTAX rank letters, from the top down, and the rank each stands for.
SINTAX_RANKS: tuple[tuple[str, str], ...] = (
    ("d", "domain"),
    ("p", "phylum"),
    ("c", "class"),
    ("o", "order"),
    ("f", "family"),
    ("g", "genus"),
    ("s", "species"),
)
_LETTER = {rank: letter for letter, rank in SINTAX_RANKS}
#: Rank of each prefix letter of the QIIME-style conventions (``k`` = kingdom = domain).
_PREFIX = {"k": "domain", "d": "domain", "p": "phylum", "c": "class", "o": "order"}
_PREFIX.update({"f": "family", "g": "genus", "s": "species"})
#: SILVA 132's numbered levels, D_0 .. D_6.
_SILVA_LEVEL = {str(i): r for i, (_, r) in enumerate(SINTAX_RANKS)}
#: Names that say a rank is unknown (compared lower-case, after brackets, spaces -> ``_``).
PLACEHOLDERS: frozenset[str] = frozenset(
    {
        "",
        "na",
        "none",
        "unknown",
        "unassigned",
        "unclassified",
        "unidentified",
        "uncultured",
        "uncultured_bacterium",
        "uncultured_organism",
        "uncultured_prokaryote",
        "uncultured_archaeon",
        "metagenome",
        "gut_metagenome",
        "human_gut_metagenome",
        "incertae_sedis",
        "ambiguous_taxa",
    }
)
_TOKEN_RE = re.compile(r"^(?:D_([0-6])|([A-Za-z]))__(.*)$")
_RESERVED_RE = re.compile(r"[\s,;:]+")


def _clean(name: str) -> str:
    name = name.replace("[", "").replace("]", "").strip()
    return _RESERVED_RE.sub("_", name).strip("_")


_SP_RE = re.compile(r"_sp\.?(_.*)?$", re.IGNORECASE)


def _is_placeholder(name: str) -> bool:
    low = name.lower()
    return (
        low in PLACEHOLDERS
        or low.startswith(("uncultured_", "unidentified_"))
        or bool(_SP_RE.search(low))  # "Bacteroides_sp." is not a species
    )


def parse_taxonomy(text: str) -> dict[str, str]:
    """``{rank: name}`` of one QIIME-style taxonomy string; empty and placeholder ranks left out.

    Examples
    --------
    >>> parse_taxonomy("k__Bacteria; p__Firmicutes; c__Clostridia; o__Clostridiales; "
    ...                "f__Ruminococcaceae; g__[Ruminococcus]; s__")
    ... # doctest: +NORMALIZE_WHITESPACE
    {'domain': 'Bacteria', 'phylum': 'Firmicutes', 'class': 'Clostridia',
     'order': 'Clostridiales', 'family': 'Ruminococcaceae', 'genus': 'Ruminococcus'}
    >>> parse_taxonomy("D_0__Bacteria;D_5__Escherichia-Shigella;D_6__uncultured bacterium")
    {'domain': 'Bacteria', 'genus': 'Escherichia-Shigella'}
    >>> parse_taxonomy("Unassigned")
    {}

    Raises
    ------
    ValueError
        On a token that is neither ``x__name`` nor ``D_n__name`` (unknown prefix letters
        included), or a rank given twice.
    """
    out: dict[str, str] = {}
    text = text.strip()
    if text.lower() in PLACEHOLDERS:
        return out
    for token in text.split(";"):
        token = token.strip()
        if not token:
            continue
        m = _TOKEN_RE.match(token)
        if not m:
            raise ValueError(f"taxonomy token {token!r} is not rank__name (in {text!r}).")
        level, letter, name = m.groups()
        rank = _SILVA_LEVEL[level] if level is not None else _PREFIX.get(letter.lower())
        if rank is None:
            raise ValueError(f"unknown rank prefix {letter!r}__ in {text!r}.")
        if rank in out:
            raise ValueError(f"rank {rank} given twice in {text!r}.")
        name = _clean(name)
        if not _is_placeholder(name):
            out[rank] = name
    return out


def sintax_tax(ranks: Mapping[str, str]) -> str:
    """The ``tax=`` value of a SINTAX header (without ``tax=`` and the final ``;``).

    A species epithet without its genus is prefixed with the genus; a species without a
    genus is left out.

    Examples
    --------
    >>> sintax_tax({"domain": "Bacteria", "genus": "Escherichia", "species": "coli"})
    'd:Bacteria,g:Escherichia,s:Escherichia_coli'
    >>> sintax_tax({"domain": "Bacteria", "species": "Escherichia_coli"})
    'd:Bacteria'
    """
    parts = []
    genus = ranks.get("genus", "")
    for letter, rank in SINTAX_RANKS:
        name = ranks.get(rank, "")
        if not name:
            continue
        if rank == "species":
            if not genus:
                continue
            if not name.startswith(f"{genus}_"):
                name = f"{genus}_{name}"
        parts.append(f"{letter}:{name}")
    return ",".join(parts)


def sintax_header(seq_id: str, taxonomy: str) -> str | None:
    """SINTAX header (without ``>``) of one record, or None when no rank is known.

    Examples
    --------
    >>> sintax_header("AB1", "d__Bacteria;p__Proteobacteria;g__;s__")
    'AB1;tax=d:Bacteria,p:Proteobacteria;'
    """
    if not seq_id or _RESERVED_RE.search(seq_id):
        raise ValueError(f"sequence ID {seq_id!r} is empty or holds whitespace, ',', ';' or ':'.")
    tax = sintax_tax(parse_taxonomy(taxonomy))
    return f"{seq_id};tax={tax};" if tax else None


def sha256_of_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """SHA-256 hex digest of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def read_taxonomy_tsv(path: str | os.PathLike) -> dict[str, str]:
    """``{id: taxonomy}`` of a two-column (or QIIME 2 three-column) taxonomy TSV.

    A QIIME 2 header line (``Feature ID<TAB>Taxon[<TAB>Confidence]``) and ``#`` comments are
    skipped. Raises ValueError (file and line named) on a line without a tab or a repeated ID.
    """
    out: dict[str, str] = {}
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            line = line.rstrip("\r\n")
            if not line or line.startswith("#"):
                continue
            fields = line.split("\t")
            if number == 1 and fields[0].strip().lower() in ("feature id", "featureid", "id"):
                continue
            if len(fields) < 2:
                raise ValueError(f"{path}, line {number}: expected id<TAB>taxonomy.")
            seq_id = fields[0].strip()
            if seq_id in out:
                raise ValueError(f"{path}, line {number}: ID {seq_id!r} given twice.")
            out[seq_id] = fields[1]
    return out


def _fasta_records(path: str | os.PathLike) -> Iterator[tuple[str, str]]:
    """``(id, sequence)`` of a FASTA file; the ID is the header up to the first whitespace."""
    seq_id: str | None = None
    chunks: list[str] = []
    with open(path, encoding="ascii") as fh:
        for number, line in enumerate(fh, start=1):
            line = line.strip()
            if not line:
                continue
            if line.startswith(">"):
                if seq_id is not None:
                    yield seq_id, "".join(chunks)
                parts = line[1:].split(None, 1)
                if not parts:
                    raise ValueError(f"{path}, line {number}: empty FASTA header.")
                seq_id, chunks = parts[0], []
            elif seq_id is None:
                raise ValueError(f"{path}, line {number}: sequence before the first header.")
            else:
                chunks.append(line)
    if seq_id is not None:
        yield seq_id, "".join(chunks)


def _clean_sequence(seq: str) -> str:
    return seq.upper().replace("U", "T").replace("-", "").replace(".", "")


def convert(
    fasta: str | os.PathLike,
    taxonomy_tsv: str | os.PathLike,
    out_fasta: str | os.PathLike,
    record_json: str | os.PathLike | None = None,
    *,
    source: Mapping | None = None,
    log: TextIO | None = None,
) -> dict:
    """Convert a QIIME-style FASTA + taxonomy TSV into a SINTAX reference FASTA.

    Parameters
    ----------
    fasta, taxonomy_tsv : path-like
        Sequences (IDs = the first word of each header) and ``id<TAB>taxonomy`` lines
        (:func:`read_taxonomy_tsv`; conventions: :func:`parse_taxonomy`).
    out_fasta : path-like
        Written atomically, in the input's order, one line per sequence.
    record_json : path-like, optional
        Written atomically after the FASTA: the returned record.
    source : mapping, optional
        What the inputs are (name, version, ...); stored under ``source`` in the record.
    log : file-like, optional

    Returns
    -------
    dict
        ``sequences_in``, ``written``, ``no_rank`` (left out: no rank known),
        ``taxonomy_without_sequence``, ``with_genus``, ``with_species``, the SHA-256 of
        both inputs and of the output (``sha256``), and ``source``.

    Raises
    ------
    ValueError
        On a sequence without a taxonomy line (the first IDs named), an empty sequence, an ID
        given twice or an unparsable taxonomy (its ID named); nothing is written then.
    """
    taxonomy = read_taxonomy_tsv(taxonomy_tsv)
    tmp = f"{out_fasta}.tmp.{os.getpid()}"
    seen: set[str] = set()
    missing: list[str] = []
    counts = {"sequences_in": 0, "written": 0, "no_rank": 0, "with_genus": 0, "with_species": 0}
    try:
        with open(tmp, "w", encoding="ascii") as out:
            for seq_id, seq in _fasta_records(fasta):
                counts["sequences_in"] += 1
                if seq_id in seen:
                    raise ValueError(f"{fasta}: sequence ID {seq_id!r} given twice.")
                seen.add(seq_id)
                if seq_id not in taxonomy:
                    missing.append(seq_id)
                    continue
                seq = _clean_sequence(seq)
                if not seq:
                    raise ValueError(f"{fasta}: sequence {seq_id!r} is empty.")
                try:
                    header = sintax_header(seq_id, taxonomy[seq_id])
                except ValueError as err:
                    raise ValueError(f"{taxonomy_tsv}, ID {seq_id!r}: {err}") from None
                if header is None:
                    counts["no_rank"] += 1
                    continue
                counts["written"] += 1
                counts["with_genus"] += ",g:" in header or ";tax=g:" in header
                counts["with_species"] += ",s:" in header
                out.write(f">{header}\n{seq}\n")
        if missing:
            raise ValueError(
                f"{fasta}: {len(missing)} sequence(s) have no line in {taxonomy_tsv}, e.g. "
                f"{', '.join(missing[:5])}; give the taxonomy file that belongs to these "
                "sequences."
            )
        record = {
            **counts,
            "taxonomy_without_sequence": len(taxonomy.keys() - seen),
            "inputs": {
                "fasta": {"name": os.path.basename(fasta), "sha256": sha256_of_file(fasta)},
                "taxonomy": {
                    "name": os.path.basename(taxonomy_tsv),
                    "sha256": sha256_of_file(taxonomy_tsv),
                },
            },
            "sha256": sha256_of_file(tmp),
            "source": dict(source or {}),
        }
        os.replace(tmp, out_fasta)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    if record_json is not None:
        rtmp = f"{record_json}.tmp.{os.getpid()}"
        with open(rtmp, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(record, indent=2, sort_keys=True) + "\n")
        os.replace(rtmp, record_json)
    if log is not None:
        print(
            f"{out_fasta}: {record['written']} of {record['sequences_in']} sequences written "
            f"({record['with_genus']} with a genus, {record['with_species']} with a species); "
            f"{record['no_rank']} left out without any rank; "
            f"{record['taxonomy_without_sequence']} taxonomy lines without a sequence.",
            file=log,
        )
    return record


def build_greengenes_13_8(
    fasta: str | os.PathLike,
    taxonomy_tsv: str | os.PathLike,
    package_version: str,
    out_fasta: str | os.PathLike,
    record_json: str | os.PathLike,
    log: TextIO | None = None,
) -> dict:
    """SINTAX database of the Greengenes 13_8 97 % OTUs (``qiime-default-reference``).

    ``fasta`` and ``taxonomy_tsv`` are ``qiime_default_reference.get_reference_sequences()``
    and ``get_reference_taxonomy()``; the package version is recorded with the checksums.
    """
    source = {
        "name": "Greengenes 13_8 97 % OTUs",
        "package": "qiime-default-reference",
        "package_version": package_version,
        "citation": "McDonald D et al. (2012) ISME J 6:610-618; DeSantis TZ et al. (2006) "
        "Appl Environ Microbiol 72:5069-5072",
    }
    return convert(fasta, taxonomy_tsv, out_fasta, record_json, source=source, log=log)
