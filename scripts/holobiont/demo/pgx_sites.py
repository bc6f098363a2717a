"""Pharmacogene sites, star-allele cores and exons of the demo panel, derived from pypgx.

The demo cohort plants real star alleles at their real GRCh38 positions. The positions, the
GRCh38 reference alleles, the star-allele core variants and the exon coordinates come from the
data tables shipped with pypgx 0.27.0 (``pypgx/api/data/*.csv``, MIT licence, Copyright (c) 2020
Seung-been "Steven" Lee). pypgx is not a dependency of Holobiont: :func:`build_tables` is run once
by a maintainer and its small output is committed under ``resources/demo/``:

- ``pgx_sites.tsv`` -- one row per (position, alternate allele) of the panel genes.
- ``pgx_alleles.tsv`` -- star alleles with their GRCh38 core variants.
- ``pgx_genes.tsv`` -- gene region, strand and exons (GRCh38).

:func:`load_sites`, :func:`load_alleles` and :func:`load_genes` read those committed tables.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

from holobiont._resources import resource_dir

#: The genes of the demo panel, in output order.
PANEL_GENES = ("CYP2C19", "CYP2C9", "VKORC1", "SLCO1B1", "DPYD", "TPMT", "NUDT15")

PYPGX_NOTICE = (
    "# Derived from pypgx 0.27.0 api/data/{src} (MIT licence, Copyright (c) 2020 Seung-been "
    '"Steven" Lee;\n# full notice in resources/demo/README.md). Facts about GRCh38; regenerate '
    "with\n# python -m holobiont.demo --build-pgx-tables PYPGX_DATA_DIR\n"
)


@dataclass(frozen=True)
class PgxSite:
    """One PGx variant: a position and one alternate allele (VCF-style, 1-based).

    Attributes
    ----------
    gene : str
        Gene symbol.
    chrom : str
        Contig name with ``chr`` prefix.
    pos : int
        1-based GRCh38 position of the first reference base.
    ref, alt : str
        Reference allele (GRCh38) and alternate allele.
    rsid : str
        dbSNP ID or ``.``.
    name : str
        pypgx variant name ``<chrom>-<pos>-<ref>-<alt>`` (chromosome without ``chr``).
    impact : str
        Protein or splice effect as given by pypgx.
    """

    gene: str
    chrom: str
    pos: int
    ref: str
    alt: str
    rsid: str
    name: str
    impact: str


@dataclass(frozen=True)
class StarAllele:
    """A star allele (or named allele) with its GRCh38 core variants (pypgx names)."""

    gene: str
    allele: str
    function: str
    core: tuple[str, ...]
    sv: bool


@dataclass(frozen=True)
class Gene:
    """Gene model: region, strand and exons (0-based half-open, GRCh38)."""

    gene: str
    chrom: str
    strand: str
    start: int
    end: int
    exon_starts: tuple[int, ...]
    exon_ends: tuple[int, ...]


def resources_dir() -> Path:
    """Directory of the committed demo inputs (``<project>/resources/demo``)."""
    return resource_dir("demo")


def _read_tsv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        lines = [line for line in fh if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def _write_tsv(path: Path, header: str, columns: list[str], rows: list[list[object]]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="") as fh:
        fh.write(header)
        fh.write("\t".join(columns) + "\n")
        for row in rows:
            fh.write("\t".join(str(x) for x in row) + "\n")
    os.replace(tmp, path)


def build_tables(pypgx_data: str | os.PathLike, dest: str | os.PathLike | None = None) -> None:
    """Derive the committed PGx tables from pypgx's data directory.

    Parameters
    ----------
    pypgx_data : path-like
        ``pypgx/api/data`` of an unpacked pypgx 0.27.0 wheel.
    dest : path-like, optional
        Output directory; default ``resources/demo``.
    """
    src = Path(pypgx_data)
    out = Path(dest) if dest is not None else resources_dir()
    out.mkdir(parents=True, exist_ok=True)

    def rows_of(name: str) -> list[dict[str, str]]:
        with open(src / name, newline="") as fh:
            return [r for r in csv.DictReader(fh) if r["Gene"] in PANEL_GENES]

    order = {g: i for i, g in enumerate(PANEL_GENES)}
    sites = []
    for r in rows_of("variant-table.csv"):
        chrom = "chr" + r["Chromosome"].removeprefix("chr")
        pos = int(r["GRCh38Position"])
        ref, alt = r["GRCh38Allele"], r["Variant"]
        name = r["GRCh38Name"]
        if name != f"{chrom[3:]}-{pos}-{ref}-{alt}":
            raise ValueError(f"inconsistent pypgx variant row: {r}")
        rsid = r["rsID"] if r["rsID"].startswith("rs") else "."
        sites.append([r["Gene"], chrom, pos, ref, alt, rsid, name, r["Impact"]])
    sites.sort(key=lambda s: (order[s[0]], s[2], s[3], s[4]))
    _write_tsv(
        out / "pgx_sites.tsv",
        PYPGX_NOTICE.format(src="variant-table.csv"),
        ["gene", "chrom", "pos", "ref", "alt", "rsid", "name", "impact"],
        sites,
    )

    alleles = []
    for r in rows_of("allele-table.csv"):
        core = "" if r["GRCh38Core"] == "N/A" else r["GRCh38Core"]
        alleles.append([r["Gene"], r["StarAllele"], r["Function"], core, r["SV"].upper()])
    alleles.sort(key=lambda a: order[a[0]])  # stable: keeps pypgx's allele order
    _write_tsv(
        out / "pgx_alleles.tsv",
        PYPGX_NOTICE.format(src="allele-table.csv"),
        ["gene", "allele", "function", "grch38_core", "sv"],
        alleles,
    )

    genes = []
    for r in rows_of("gene-table.csv"):
        c, span = r["GRCh38Region"].split(":")
        start, end = (int(x) for x in span.split("-"))
        genes.append(
            [
                r["Gene"],
                "chr" + c,
                r["Strand"],
                start,
                end,
                r["GRCh38ExonStarts"].strip(","),
                r["GRCh38ExonEnds"].strip(","),
            ]
        )
    genes.sort(key=lambda g: order[g[0]])
    _write_tsv(
        out / "pgx_genes.tsv",
        PYPGX_NOTICE.format(src="gene-table.csv"),
        ["gene", "chrom", "strand", "start", "end", "exon_starts", "exon_ends"],
        genes,
    )


def load_sites(resources: str | os.PathLike | None = None) -> list[PgxSite]:
    """Read ``pgx_sites.tsv``."""
    path = Path(resources or resources_dir()) / "pgx_sites.tsv"
    return [
        PgxSite(
            r["gene"],
            r["chrom"],
            int(r["pos"]),
            r["ref"],
            r["alt"],
            r["rsid"],
            r["name"],
            r["impact"],
        )
        for r in _read_tsv(path)
    ]


def load_alleles(resources: str | os.PathLike | None = None) -> list[StarAllele]:
    """Read ``pgx_alleles.tsv``."""
    path = Path(resources or resources_dir()) / "pgx_alleles.tsv"
    return [
        StarAllele(
            r["gene"],
            r["allele"],
            r["function"],
            tuple(x for x in r["grch38_core"].split(",") if x),
            r["sv"] == "TRUE",
        )
        for r in _read_tsv(path)
    ]


def load_genes(resources: str | os.PathLike | None = None) -> list[Gene]:
    """Read ``pgx_genes.tsv``."""
    path = Path(resources or resources_dir()) / "pgx_genes.tsv"
    return [
        Gene(
            r["gene"],
            r["chrom"],
            r["strand"],
            int(r["start"]),
            int(r["end"]),
            tuple(int(x) for x in r["exon_starts"].split(",")),
            tuple(int(x) for x in r["exon_ends"].split(",")),
        )
        for r in _read_tsv(path)
    ]


def parse_name(name: str) -> tuple[str, int, str, str]:
    """Split a pypgx variant name ``10-94781859-G-A`` into ``("chr10", 94781859, "G", "A")``."""
    chrom, pos, ref, alt = name.split("-")
    return "chr" + chrom, int(pos), ref, alt
