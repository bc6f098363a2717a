"""16S rRNA V4 amplicons from Greengenes 13_8: in-silico PCR, SINTAX reference and reads.

Sequences come from the Greengenes 13_8 97 % OTU representative set shipped by the
``qiime-default-reference`` package (CC BY-SA 3.0; McDonald et al. 2012, ISME J 6:610-618;
DeSantis et al. 2006, AEM 72:5069-5072). The V4 region is cut by in-silico PCR with the
515F (Parada) / 806R (Apprill) primers, IUPAC-aware with at most one mismatch per primer.

The community members are pinned by Greengenes OTU ID in ``resources/demo/community.tsv``
(chosen once with :func:`select_otus`, see its docstring for the rule).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from holobiont.pgx import IUPAC

from . import reads as rd

PRIMER_F = "GTGYCAGCMGCCGCGGTAA"  # 515F (Parada et al. 2016)
PRIMER_R = "GGACTACNVGGGTWTCTAAT"  # 806R (Apprill et al. 2015)
MAX_PRIMER_MISMATCHES = 1

_IUPAC = {**{b: b for b in "ACGT"}, "U": "T", **IUPAC}
_BIT = {"A": 1, "C": 2, "G": 4, "T": 8}
_MASK = np.zeros(256, dtype=np.uint8)
for _k, _v in _IUPAC.items():
    _m = 0
    for _b in _v:
        _m |= _BIT[_b]
    _MASK[ord(_k)] = _m
    _MASK[ord(_k.lower())] = _m
_COMP_IUPAC = str.maketrans("ACGTURYSWKMBDHVN", "TGCAAYRSWMKVHDBN")


def iupac_revcomp(seq: str) -> str:
    """Reverse complement of an IUPAC sequence."""
    return seq.upper().translate(_COMP_IUPAC)[::-1]


def _masks(seq: str) -> np.ndarray:
    return _MASK[np.frombuffer(seq.encode("ascii"), dtype=np.uint8)]


def _mismatch_profile(target: np.ndarray, primer: np.ndarray) -> np.ndarray:
    """Mismatches of ``primer`` at every offset of ``target`` (both IUPAC bit masks)."""
    if len(target) < len(primer):
        return np.zeros(0, dtype=np.int64)
    win = np.lib.stride_tricks.sliding_window_view(target, len(primer))
    return ((win & primer[None, :]) == 0).sum(axis=1)


@dataclass(frozen=True)
class Product:
    """In-silico PCR product: the full product (with primer sites) and the amplicon inside."""

    product: str
    amplicon: str
    f_mismatches: int
    r_mismatches: int


def in_silico_pcr(
    seq: str,
    forward: str = PRIMER_F,
    reverse: str = PRIMER_R,
    max_mismatches: int = MAX_PRIMER_MISMATCHES,
    max_product: int = 600,
) -> Product | None:
    """Find the product of ``forward``/``reverse`` on the plus strand of ``seq``.

    The forward primer site is the leftmost offset with the fewest mismatches (at most
    ``max_mismatches``); the reverse site is the closest downstream match of the reverse
    complement of ``reverse``.

    Returns
    -------
    Product or None
        ``None`` when either primer has no site or the product is longer than ``max_product``.
    """
    t = _masks(seq.upper())
    fp = _masks(forward)
    rp = _masks(iupac_revcomp(reverse))
    mf = _mismatch_profile(t, fp)
    if not len(mf) or mf.min() > max_mismatches:
        return None
    f_at = int(np.argmin(mf))
    f_end = f_at + len(fp)
    mr = _mismatch_profile(t[f_end:], rp)
    hits = np.flatnonzero(mr <= max_mismatches)
    if not len(hits):
        return None
    r_at = f_end + int(hits[0])
    r_end = r_at + len(rp)
    if r_end - f_at > max_product:
        return None
    s = seq.upper()
    return Product(s[f_at:r_end], s[f_end:r_at], int(mf[f_at]), int(mr[hits[0]]))


# --------------------------------------------------------------------------------------------
# Greengenes


def load_gg_taxonomy(path: str | None = None) -> dict[str, str]:
    """Greengenes 13_8 97 % OTU taxonomy ``{otu_id: "k__...; s__..."}``."""
    if path is None:
        import qiime_default_reference as qdr

        path = qdr.get_reference_taxonomy()
    out = {}
    with open(path, encoding="ascii") as fh:
        for line in fh:
            otu, tax = line.rstrip("\n").split("\t")
            out[otu] = tax
    return out


def load_gg_sequences(ids: set[str] | None = None, path: str | None = None) -> dict[str, str]:
    """Greengenes 13_8 97 % representative sequences (only ``ids`` if given)."""
    if path is None:
        import qiime_default_reference as qdr

        path = qdr.get_reference_sequences()
    out: dict[str, str] = {}
    with open(path, encoding="ascii") as fh:
        name = None
        chunks: list[str] = []
        for line in fh:
            if line.startswith(">"):
                if name is not None and (ids is None or name in ids):
                    out[name] = "".join(chunks)
                name = line[1:].split()[0]
                chunks = []
            elif ids is None or name in ids:
                chunks.append(line.strip())
        if name is not None and (ids is None or name in ids):
            out[name] = "".join(chunks)
    return out


def split_gg_taxonomy(tax: str) -> list[tuple[str, str]]:
    """``"k__Bacteria; p__X; ..."`` -> ``[("k", "Bacteria"), ("p", "X"), ...]`` (empty kept)."""
    out = []
    for part in tax.split(";"):
        part = part.strip()
        rank, _, name = part.partition("__")
        out.append((rank, name.strip()))
    return out


def genus_species(tax: str) -> tuple[str, str]:
    """Genus and species epithet of a Greengenes taxonomy string (``""`` when unnamed)."""
    d = dict(split_gg_taxonomy(tax))
    return d.get("g", ""), d.get("s", "")


_SINTAX_RANKS = {"k": "d", "p": "p", "c": "c", "o": "o", "f": "f", "g": "g", "s": "s"}


def sintax_header(otu: str, tax: str) -> str:
    """SINTAX header for a Greengenes OTU.

    Ranks with empty names are omitted; square brackets (Greengenes' mark for disputed names,
    e.g. ``[Ruminococcus]``) are dropped; the species becomes ``Genus_epithet``.
    """
    parts = []
    genus = ""
    for rank, name in split_gg_taxonomy(tax):
        name = name.replace("[", "").replace("]", "").replace(",", "").replace(" ", "_")
        if not name or rank not in _SINTAX_RANKS:
            continue
        if rank == "g":
            genus = name
        if rank == "s":
            if not genus:
                continue
            name = f"{genus}_{name}"
        parts.append(f"{_SINTAX_RANKS[rank]}:{name}")
    return f"{otu};tax={','.join(parts)};"


def select_otus(
    selectors: list[tuple[str, str]],
    taxonomy: dict[str, str],
    sequences: dict[str, str],
) -> list[str]:
    """Pick one Greengenes OTU per ``(genus, species)`` selector (the rule used once).

    Rule: among OTUs whose Greengenes genus and species names equal the selector (species
    ``""`` = unnamed), take the lowest numeric ID whose V4 product exists (at most one
    mismatch per primer), consists of ``ACGT`` only, and whose amplicon differs from the ones
    picked for earlier selectors.
    """
    picked: list[str] = []
    seen: set[str] = set()
    for genus, species in selectors:
        cands = sorted(
            (o for o, t in taxonomy.items() if genus_species(t) == (genus, species)), key=int
        )
        for otu in cands:
            prod = in_silico_pcr(sequences[otu])
            if prod is None or set(prod.product) - set("ACGT") or prod.amplicon in seen:
                continue
            picked.append(otu)
            seen.add(prod.amplicon)
            break
        else:
            raise ValueError(f"no usable OTU for {genus} {species}")
    return picked


def sintax_reference(
    taxonomy: dict[str, str],
    sequences: dict[str, str],
    genera: set[str],
    required: list[str],
    rng: np.random.Generator,
    per_genus: int = 30,
    n_random: int = 400,
) -> list[tuple[str, str]]:
    """Choose the SINTAX reference records ``[(header, amplicon)]``.

    ``required`` OTUs first, then up to ``per_genus`` OTUs (lowest IDs) of each genus in
    ``genera``, then ``n_random`` other OTUs with at least a family name drawn with ``rng``;
    only OTUs with an ``ACGT``-only V4 amplicon are kept. Sorted by OTU ID.
    """
    chosen: dict[str, str] = {}

    def try_add(otu: str) -> bool:
        if otu in chosen:
            return False
        prod = in_silico_pcr(sequences[otu])
        if prod is None or set(prod.amplicon) - set("ACGT"):
            return False
        chosen[otu] = prod.amplicon
        return True

    for otu in required:
        if not try_add(otu):
            raise ValueError(f"required OTU {otu} has no V4 product")
    by_genus: dict[str, list[str]] = {}
    for otu, tax in taxonomy.items():
        g = genus_species(tax)[0].strip("[]")
        if g in genera:
            by_genus.setdefault(g, []).append(otu)
    for g in sorted(by_genus):
        n = 0
        for otu in sorted(by_genus[g], key=int):
            if n >= per_genus:
                break
            n += try_add(otu)
    others = sorted(
        (o for o, t in taxonomy.items() if dict(split_gg_taxonomy(t)).get("f")), key=int
    )
    order = rng.permutation(len(others))
    n = 0
    for i in order:
        if n >= n_random:
            break
        n += try_add(others[i])
    return [(sintax_header(o, taxonomy[o]), chosen[o]) for o in sorted(chosen, key=int)]


# --------------------------------------------------------------------------------------------
# reads


def concretise_primer(rng: np.random.Generator, primer: str, n: int) -> np.ndarray:
    """``(n, len(primer))`` codes: each degenerate position resolved uniformly per read."""
    out = np.empty((n, len(primer)), dtype=np.uint8)
    for j, ch in enumerate(primer):
        opts = rd.encode(_IUPAC[ch])
        out[:, j] = opts[rng.integers(0, len(opts), size=n)]
    return out


def simulate_amplicon_pairs(
    rng: np.random.Generator,
    products: list[str],
    counts: np.ndarray,
    read_length: int,
    names: list[str],
    index: str,
) -> rd.PairedReads:
    """Simulate 2x``read_length`` amplicon pairs: read 1 starts with 515F, read 2 with 806R.

    Parameters
    ----------
    products : list of str
        Full PCR products (forward primer site + amplicon + reverse primer site).
    counts : numpy.ndarray
        Pairs per product.
    names : list of str
        Read names (``sum(counts)`` of them).
    """
    source_parts = [rd.encode(p) for p in products]
    offsets = np.cumsum([0] + [len(p) for p in source_parts])
    source = np.concatenate(source_parts)
    which = np.repeat(np.arange(len(products)), counts)
    which = which[rng.permutation(len(which))]
    starts = offsets[which]
    lengths = offsets[which + 1] - offsets[which]
    tails = rd.adapter_tails(index, read_length)
    r1, r2 = rd.pairs_from_fragments(
        source, starts, lengths, np.zeros(len(which), dtype=bool), read_length, tails
    )
    # the reads show the primer oligo (a random member of the degenerate mix), not the template
    r1[:, : len(PRIMER_F)] = concretise_primer(rng, PRIMER_F, len(which))
    r2[:, : len(PRIMER_R)] = concretise_primer(rng, PRIMER_R, len(which))
    return rd.finish_pairs(rng, r1, r2, names, rd.AMPLICON_R1_QUALITY, rd.AMPLICON_R2_QUALITY)


def make_chimera(parent_a: str, parent_b: str, breakpoint: int) -> str:
    """Two-parent PCR chimera of amplicons: ``a[:breakpoint] + b[breakpoint:]``."""
    return parent_a[:breakpoint] + parent_b[breakpoint:]
