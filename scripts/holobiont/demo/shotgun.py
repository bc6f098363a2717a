"""Shotgun side of the demo: synthetic bacterial genomes, an NCBI-style taxonomy and stool reads.

No redistributable bacterial genomes are available offline, so every genome is random sequence
(one contig, the GC content given in ``resources/demo/shotgun_genomes.tsv``). Two features make
the profiling non-trivial: two *E. coli* strains share 97 % identity (many shared k-mers, so a
classifier assigns part of their reads to the species only and abundance re-estimation has work),
and *B. fragilis* and *B. thetaiotaomicron* carry the same 8 kb segment (its k-mers resolve only to
the genus). Taxids and lineages are real NCBI ones (``resources/demo/taxonomy.tsv``).

Drug-metabolism genes (``resources/demo/shotgun_genes.tsv``): random proteins, back-translated
and inserted into the genome of a species in some patients only (:func:`plant_genes`); the
proteins are the demo's DIAMOND reference (:func:`write_gene_proteins`).
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import reads as rd
from .files import write_text
from .host import PatientGenome, host_fragments

FASTA_LINE = 80


@dataclass(frozen=True)
class GenomeSpec:
    """One synthetic genome (a row of ``shotgun_genomes.tsv``)."""

    taxid: int
    name: str
    species_taxid: int
    length: int
    gc: float
    derived_from: int | None
    identity: float | None
    shared_group: str
    shared_region: int

    @property
    def seqid(self) -> str:
        """Sequence ID with the Kraken 2 taxid tag."""
        return f"demo_{self.taxid}|kraken:taxid|{self.taxid}"


@dataclass(frozen=True)
class Taxon:
    """One node of the demo taxonomy."""

    taxid: int
    parent: int
    rank: str
    name: str


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader((x for x in fh if not x.startswith("#")), delimiter="\t"))


def load_genome_specs(resources: str | os.PathLike) -> list[GenomeSpec]:
    """Read ``shotgun_genomes.tsv``."""
    out = []
    for r in _rows(Path(resources) / "shotgun_genomes.tsv"):
        out.append(
            GenomeSpec(
                int(r["taxid"]),
                r["name"],
                int(r["species_taxid"]),
                int(r["length"]),
                float(r["gc"]),
                int(r["derived_from"]) if r["derived_from"] else None,
                float(r["identity"]) if r["identity"] else None,
                r["shared_group"],
                int(r["shared_region"]) if r["shared_region"] else 0,
            )
        )
    return out


def load_taxonomy(resources: str | os.PathLike) -> list[Taxon]:
    """Read ``taxonomy.tsv``."""
    return [
        Taxon(int(r["taxid"]), int(r["parent"]), r["rank"], r["name"])
        for r in _rows(Path(resources) / "taxonomy.tsv")
    ]


def _random_seq(rng: np.random.Generator, n: int, gc: float) -> np.ndarray:
    at = (1.0 - gc) / 2.0
    return rng.choice(4, size=n, p=[at, gc / 2.0, gc / 2.0, at]).astype(np.uint8)


def make_genomes(specs: list[GenomeSpec], rng: np.random.Generator) -> dict[int, np.ndarray]:
    """Draw every genome (codes), in table order; derived strains after their parents."""
    genomes: dict[int, np.ndarray] = {}
    shared: dict[str, np.ndarray] = {}
    for sp in specs:
        if sp.derived_from is not None:
            continue
        g = _random_seq(rng, sp.length, sp.gc)
        if sp.shared_group:
            if sp.shared_group not in shared:
                shared[sp.shared_group] = _random_seq(rng, sp.shared_region, sp.gc)
            seg = shared[sp.shared_group]
            at = sp.length // 3
            g[at : at + len(seg)] = seg
        genomes[sp.taxid] = g
    for sp in specs:
        if sp.derived_from is None:
            continue
        parent = genomes[sp.derived_from].copy()
        if sp.length != len(parent):
            raise ValueError(f"strain {sp.taxid} must have its parent's length")
        n_sub = round((1.0 - (sp.identity or 1.0)) * len(parent))
        pos = rng.choice(len(parent), size=n_sub, replace=False)
        parent[pos] = (parent[pos] + rng.integers(1, 4, size=n_sub)) % 4
        genomes[sp.taxid] = parent.astype(np.uint8)
    return genomes


def write_genomes(
    specs: list[GenomeSpec], genomes: dict[int, np.ndarray], ref_dir: str | os.PathLike
) -> None:
    """Write ``shotgun_genomes/<taxid>.fa`` and ``seqid2taxid.map``."""
    ref_dir = Path(ref_dir)
    for sp in specs:
        seq = rd.decode(genomes[sp.taxid])
        lines = [f">{sp.seqid} {sp.name} (synthetic demo genome, not real sequence)"]
        lines += [seq[i : i + FASTA_LINE] for i in range(0, len(seq), FASTA_LINE)]
        write_text(ref_dir / "shotgun_genomes" / f"{sp.taxid}.fa", "\n".join(lines) + "\n")
    write_text(ref_dir / "seqid2taxid.map", "".join(f"{sp.seqid}\t{sp.taxid}\n" for sp in specs))


def write_taxonomy(taxa: list[Taxon], ref_dir: str | os.PathLike) -> None:
    """Write ``taxonomy/nodes.dmp`` and ``taxonomy/names.dmp`` in NCBI dump format."""
    ref_dir = Path(ref_dir) / "taxonomy"
    ids = {t.taxid for t in taxa}
    nodes, names = [], []
    for t in taxa:
        if t.parent not in ids:
            raise ValueError(f"parent of {t.taxid} missing from the taxonomy")
        code = "1" if t.taxid in (9606, 9605, 9604, 9443, 40674, 7711, 33208, 2759) else "11"
        nodes.append(
            f"{t.taxid}\t|\t{t.parent}\t|\t{t.rank}\t|\t\t|\t0\t|\t0\t|\t{code}\t|\t0\t|\t0\t|"
            "\t0\t|\t0\t|\t0\t|\t\t|\n"
        )
        names.append(f"{t.taxid}\t|\t{t.name}\t|\t\t|\tscientific name\t|\n")
    write_text(ref_dir / "nodes.dmp", "".join(nodes))
    write_text(ref_dir / "names.dmp", "".join(names))


def simulate_shotgun_sample(
    rng: np.random.Generator,
    specs: list[GenomeSpec],
    genomes: dict[int, np.ndarray],
    cell_fractions: dict[int, float],
    host: PatientGenome,
    n_pairs: int,
    human_fraction: float,
    instrument: str,
    lane: int,
    index: str,
    read_length: int = 150,
) -> tuple[rd.PairedReads, dict[int, int], int]:
    """Simulate one stool shotgun library.

    Parameters
    ----------
    cell_fractions : dict
        Taxid -> fraction of bacterial cells (sums to 1); the share of reads of a genome is
        proportional to cells x genome length.
    host : PatientGenome
        The patient's host haplotypes: ``human_fraction`` of the pairs come from them.

    Returns
    -------
    tuple
        Reads, pairs per genome taxid, and the number of human pairs.
    """
    taxids = [sp.taxid for sp in specs]
    lens = np.array([len(genomes[t]) for t in taxids], dtype=np.float64)
    cells = np.array([cell_fractions.get(t, 0.0) for t in taxids])
    w = cells * lens
    n_human = int(round(n_pairs * human_fraction))
    counts = rng.multinomial(n_pairs - n_human, w / w.sum())

    parts = [genomes[t] for t in taxids]
    offsets = np.concatenate([[0], np.cumsum([len(p) for p in parts])]).astype(np.int64)
    which = np.repeat(np.arange(len(taxids)), counts)
    nb = len(which)
    glen = offsets[which + 1] - offsets[which]
    lengths = rd.draw_inserts(rng, nb)
    starts = offsets[which] + (rng.random(nb) * (glen - lengths + 1)).astype(np.int64)
    h_source, h_starts, h_lengths, h_rev = host_fragments(rng, host, read_length, n_pairs=n_human)
    source = np.concatenate(parts + [h_source])
    starts = np.concatenate([starts, h_starts + offsets[-1]])
    lengths = np.concatenate([lengths, h_lengths])
    reverse = np.concatenate([rng.random(nb) < 0.5, h_rev])
    perm = rng.permutation(len(starts))
    tails = rd.adapter_tails(index, read_length)
    r1, r2 = rd.pairs_from_fragments(
        source, starts[perm], lengths[perm], reverse[perm], read_length, tails
    )
    names = rd.read_names(rng, instrument, lane, len(perm))
    pairs = rd.finish_pairs(rng, r1, r2, names, rd.SHORT_READ_QUALITY, rd.SHORT_READ_QUALITY)
    return pairs, {t: int(c) for t, c in zip(taxids, counts, strict=True)}, n_human


# --------------------------------------------------------------------------- planted genes

AMINO_ACIDS = "ACDEFGHIKLMNPQRSTVWY"
#: Standard genetic code: codons (ACGT codes 0-3) of every amino acid, and the stops.
_CODE = "FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG"
_BASES = "TCAG"
CODONS: dict[str, list[str]] = {}
for _i, _aa in enumerate(_CODE):
    CODONS.setdefault(_aa, []).append(_BASES[_i // 16] + _BASES[(_i // 4) % 4] + _BASES[_i % 4])


@dataclass(frozen=True)
class GeneSpec:
    """One planted gene (a row of ``shotgun_genes.tsv``)."""

    gene: str
    taxid: int
    carriers: tuple[str, ...]
    aa_length: int
    name: str


def load_gene_specs(resources: str | os.PathLike) -> list[GeneSpec]:
    """Read ``shotgun_genes.tsv``."""
    return [
        GeneSpec(
            r["gene"],
            int(r["taxid"]),
            tuple(c for c in r["carriers"].split(",") if c),
            int(r["aa_length"]),
            r["name"],
        )
        for r in _rows(Path(resources) / "shotgun_genes.tsv")
    ]


def make_gene_proteins(
    genes: list[GeneSpec], rng: np.random.Generator
) -> dict[str, tuple[str, str]]:
    """``{gene: (protein, coding DNA)}``: a random protein (Met first) and a back-translation
    of it with uniformly drawn synonymous codons, ending with a stop codon."""
    out = {}
    for g in genes:
        protein = "M" + "".join(rng.choice(list(AMINO_ACIDS), g.aa_length - 1))
        codons = [CODONS[aa][rng.integers(len(CODONS[aa]))] for aa in protein]
        out[g.gene] = (protein, "".join(codons) + CODONS["*"][rng.integers(3)])
    return out


def plant_genes(
    genomes: dict[int, np.ndarray],
    genes: list[GeneSpec],
    proteins: dict[str, tuple[str, str]],
    patient: str,
) -> tuple[dict[int, np.ndarray], list[dict]]:
    """The patient's genomes: those of `genomes` with the genes the patient carries inserted
    (after 1/2, 1/2 + 5 kb, ... of the host genome), and one truth row per gene."""
    out = dict(genomes)
    rows = []
    for k, g in enumerate(genes):
        carried = patient in g.carriers
        dna = rd.encode(proteins[g.gene][1]) if carried else None
        if carried:
            base = out[g.taxid]
            at = len(genomes[g.taxid]) // 2 + 5000 * k
            out[g.taxid] = np.concatenate([base[:at], dna, base[at:]]).astype(np.uint8)
        rows.append(
            {
                "patient_id": patient,
                "gene": g.gene,
                "taxid": g.taxid,
                "carried": int(carried),
                "gene_length": 3 * g.aa_length + 3,
            }
        )
    return out, rows


def write_gene_proteins(
    genes: list[GeneSpec], proteins: dict[str, tuple[str, str]], ref_dir: str | os.PathLike
) -> None:
    """Write ``shotgun_genes.faa``: headers ``<gene>|DEMO_<GENE> <name>`` (the project's
    protein-reference format, see README)."""
    lines = []
    for g in genes:
        lines.append(f">{g.gene}|DEMO_{g.gene.upper()} {g.name} (not a real sequence)")
        seq = proteins[g.gene][0]
        lines += [seq[i : i + FASTA_LINE] for i in range(0, len(seq), FASTA_LINE)]
    write_text(Path(ref_dir) / "shotgun_genes.faa", "\n".join(lines) + "\n")
