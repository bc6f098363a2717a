"""Recognise the genome build of a FASTA from its contig names and lengths.

The table ``resources/genome_builds/primary_contigs.tsv`` lists the primary-chromosome lengths
of GRCh38, GRCh37 (hg19) and T2T-CHM13 (sources named in its header). A contig is *recognised*
when its name, with or without ``chr`` (``chrM`` / ``M`` / ``MT`` alike), and its length are
those of exactly one build; a length shared by builds (``chrM`` 16,569 in GRCh38, GRCh37-MT and
CHM13) tells none. Contigs that are not primary chromosomes (``chrUn_...``, ``_alt``, decoys,
HLA, EBV) are not looked at.

A reference made of *windows* of a build (truncated contigs, as the demo's) cannot be
recognised by lengths. Such a reference may declare its build in the ``AS`` (assembly) field
of the ``@SQ`` lines of its sequence dictionary (``<name>.dict`` beside the FASTA, SAM spec);
:func:`declared_build` reads it. The declaration alone proves nothing: the caller must check
bases at known positions as well (:func:`holobiont.host.variants.check_reference`).
"""

from __future__ import annotations

import csv
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from holobiont._resources import resource_dir

TABLE = resource_dir("genome_builds") / "primary_contigs.tsv"

#: Display names of the builds of the table.
BUILD_LABELS = {"GRCh38": "GRCh38", "GRCh37": "GRCh37/hg19", "T2T-CHM13": "T2T-CHM13"}

_PRIMARY = re.compile(r"^(?:chr)?(?P<n>[1-9]|1[0-9]|2[0-2]|X|Y|M|MT)$", re.IGNORECASE)


def primary_name(contig: str) -> str | None:
    """``chr7`` / ``7`` -> ``7``; ``chrM`` / ``M`` / ``MT`` -> ``MT``; other contigs -> None."""
    m = _PRIMARY.match(contig)
    if not m:
        return None
    n = m.group("n").upper()
    return "MT" if n in ("M", "MT") else n


def load_table(path: str | os.PathLike = TABLE) -> dict[tuple[str, int], set[str]]:
    """``(contig, length) -> builds`` from the table (``#`` lines are comments)."""
    out: dict[tuple[str, int], set[str]] = defaultdict(set)
    with open(path) as fh:
        rows = csv.DictReader((line for line in fh if not line.startswith("#")), delimiter="\t")
        for r in rows:
            out[(r["contig"], int(r["length"]))].add(r["build"])
    return dict(out)


def build_lengths(build: str, path: str | os.PathLike = TABLE) -> dict[str, list[int]]:
    """Contig -> lengths of one build (MT of GRCh37 has two: rCRS and UCSC hg19's)."""
    out: dict[str, list[int]] = defaultdict(list)
    for (contig, length), builds in load_table(path).items():
        if build in builds:
            out[contig].append(length)
    return dict(out)


@dataclass
class BuildEvidence:
    """What the contig names and lengths of a FASTA say about its build.

    Attributes
    ----------
    by_build : dict
        Build -> contigs (FASTA names) whose length is that build's and no other's.
    naming : str
        ``"chr"`` (UCSC: chr1, chrM), ``"plain"`` (Ensembl / NCBI: 1, MT) or ``"mixed"``;
        ``""`` when no primary contig is present.
    unrecognised : dict
        Primary contigs (FASTA name -> length) whose length is no build's: truncated contigs,
        windows, or an unknown assembly.
    ambiguous : list
        Primary contigs whose length several builds share.
    """

    by_build: dict[str, list[str]] = field(default_factory=dict)
    naming: str = ""
    unrecognised: dict[str, int] = field(default_factory=dict)
    ambiguous: list[str] = field(default_factory=list)

    @property
    def builds(self) -> list[str]:
        """Builds with at least one recognised contig, most contigs first."""
        return sorted(self.by_build, key=lambda b: (-len(self.by_build[b]), b))

    @property
    def build(self) -> str | None:
        """The one build the lengths point at, or None (none, or several)."""
        return self.builds[0] if len(self.by_build) == 1 else None

    def as_dict(self) -> dict:
        return {
            "recognised": {b: sorted(c) for b, c in self.by_build.items()},
            "build": self.build,
            "naming": self.naming,
            "unrecognised_primary_contigs": dict(self.unrecognised),
            "ambiguous_contigs": sorted(self.ambiguous),
        }


def identify(contigs: dict[str, int], path: str | os.PathLike = TABLE) -> BuildEvidence:
    """Compare contig names and lengths with the table (see the module docstring)."""
    table = load_table(path)
    ev = BuildEvidence()
    styles = set()
    by_build: dict[str, list[str]] = defaultdict(list)
    for name, length in contigs.items():
        bare = primary_name(name)
        if bare is None:
            continue
        styles.add("chr" if name.lower().startswith("chr") else "plain")
        builds = table.get((bare, int(length)), set())
        if len(builds) == 1:
            by_build[next(iter(builds))].append(name)
        elif builds:
            ev.ambiguous.append(name)
        else:
            ev.unrecognised[name] = int(length)
    ev.by_build = dict(by_build)
    ev.naming = styles.pop() if len(styles) == 1 else ("mixed" if styles else "")
    return ev


def dict_path(fasta: str | os.PathLike) -> Path:
    """Sequence dictionary beside a FASTA: ``ref.fa[.gz]`` / ``ref.fasta[.gz]`` -> ``ref.dict``."""
    p = Path(fasta)
    name = p.name
    for ext in (".gz", ".bgz"):
        name = name.removesuffix(ext)
    for ext in (".fasta", ".fa", ".fna"):
        if name.endswith(ext):
            name = name[: -len(ext)]
            break
    return p.with_name(name + ".dict")


def declared_build(fasta: str | os.PathLike, contigs: dict[str, int]) -> tuple[str | None, str]:
    """Build declared by the ``AS`` field of the FASTA's sequence dictionary.

    Returns ``(build, why)``: ``build`` is None when there is no dictionary, no ``AS`` field,
    several different ``AS`` values, or when the dictionary does not describe this FASTA
    (another contig set or other lengths); ``why`` says which, for messages.
    """
    path = dict_path(fasta)
    if not path.is_file():
        return None, f"no sequence dictionary {path.name} beside the FASTA"
    sq: dict[str, tuple[int, str | None]] = {}
    with open(path) as fh:
        for line in fh:
            if not line.startswith("@SQ"):
                continue
            tags = dict(f.split(":", 1) for f in line.rstrip("\n").split("\t")[1:] if ":" in f)
            sq[tags.get("SN", "")] = (int(tags.get("LN", -1)), tags.get("AS"))
    if {k: v[0] for k, v in sq.items()} != {k: int(v) for k, v in contigs.items()}:
        return None, f"{path.name} lists other contigs or lengths than the FASTA index (stale?)"
    values = {v[1] for v in sq.values()}
    if values == {None}:
        return None, f"{path.name} has no AS (assembly) field"
    if len(values) != 1:
        shown = ", ".join(sorted(str(v) for v in values))
        return None, f"{path.name} declares several assemblies ({shown})"
    value = values.pop()
    for build in BUILD_LABELS:
        if canonical_build(value) == build:
            return build, f"declared AS:{value} in {path.name}"
    return None, f"{path.name} declares AS:{value}, not a build this check knows"


def canonical_build(name: str | None) -> str | None:
    """``GRCh38`` / ``hg38`` / ``GRCh38.p14`` -> ``GRCh38``; ``hg19`` / ``GRCh37`` -> ``GRCh37``;
    ``T2T-CHM13v2.0`` / ``chm13`` / ``hs1`` -> ``T2T-CHM13``; else None."""
    if not name:
        return None
    n = name.strip().lower()
    if re.match(r"^(grch38|hg38|hs38)", n):
        return "GRCh38"
    if re.match(r"^(grch37|hg19|hs37|b37)", n):
        return "GRCh37"
    if re.match(r"^(t2t|chm13|hs1$)", n):
        return "T2T-CHM13"
    return None
