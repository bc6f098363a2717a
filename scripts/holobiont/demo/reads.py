"""Paired-end Illumina-like read simulator shared by the host, 16S and shotgun libraries.

Sequences are handled as ``uint8`` code arrays (``0..3`` = ``ACGT``, ``4`` = ``N``). A library is
simulated in three vectorised steps:

1. :func:`pairs_from_fragments` cuts read 1 and read 2 from fragments (start, length, strand) of
   a source sequence; where a fragment is shorter than the read the read runs on into the
   TruSeq adapter (adapter read-through), the library index and a poly-G tail (two-colour
   chemistry's "dark" cycles).
2. :func:`simulate_qualities` draws Phred scores from a position-dependent model: most bases are
   high quality (Q~38 falling to ~32 at the 3' end), a fraction that rises toward the 3' end is
   low quality (Q3-Q20).
3. :func:`apply_errors` substitutes each base with probability ``10**(-Q/10)``, so the qualities
   are calibrated by construction (about 0.2 % errors per base for 2x150).

:func:`write_fastq_pair` writes both mates as reproducible gzip with Illumina (CASAVA 1.8)
read names.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from .files import GzipWriter

BASES = b"ACGTN"
#: ASCII -> code (``ACGT`` -> 0..3, anything else -> 4).
_ENCODE = np.full(256, 4, dtype=np.uint8)
for _i, _b in enumerate(b"ACGT"):
    _ENCODE[_b] = _i
    _ENCODE[ord(chr(_b).lower())] = _i
_DECODE = np.frombuffer(BASES, dtype=np.uint8)
_COMPLEMENT = np.array([3, 2, 1, 0, 4], dtype=np.uint8)
_PHRED_TO_P = (10.0 ** (-np.arange(256) / 10.0)).astype(np.float32)

#: TruSeq adapters as seen in read 1 / read 2 after the insert (before the index).
ADAPTER_R1 = "AGATCGGAAGAGCACACGTCTGAACTCCAGTCAC"
ADAPTER_R2 = "AGATCGGAAGAGCGTCGTGTAGGGAAAGAGTGT"
_P7_TAIL = "ATCTCGTATGCCGTCTTCTGCTTG"
_P5_TAIL = "GTGTAGATCTCGGTGGTCGCCGTATCATT"


def encode(seq: str | bytes) -> np.ndarray:
    """ASCII sequence -> code array."""
    if isinstance(seq, str):
        seq = seq.encode("ascii")
    return _ENCODE[np.frombuffer(seq, dtype=np.uint8)]


def decode(codes: np.ndarray) -> str:
    """Code array -> ASCII string."""
    return _DECODE[codes].tobytes().decode("ascii")


def revcomp_codes(codes: np.ndarray) -> np.ndarray:
    """Reverse complement of a code array."""
    return _COMPLEMENT[codes[::-1]]


def revcomp(seq: str) -> str:
    """Reverse complement of an ``ACGTN`` string."""
    return decode(revcomp_codes(encode(seq)))


def library_index(library: str) -> str:
    """Deterministic 8-base i7 index of a library (same in read names and read-through)."""
    digest = hashlib.sha256(library.encode()).digest()
    return "".join("ACGT"[b & 3] for b in digest[:8])


def adapter_tails(index: str, read_length: int) -> tuple[np.ndarray, np.ndarray]:
    """Code arrays that follow the insert in read 1 and read 2 (length ``read_length``)."""
    i5 = revcomp(index)
    t1 = ADAPTER_R1 + index + _P7_TAIL
    t2 = ADAPTER_R2 + i5 + _P5_TAIL
    t1 = (t1 + "G" * read_length)[:read_length]
    t2 = (t2 + "G" * read_length)[:read_length]
    return encode(t1), encode(t2)


@dataclass(frozen=True)
class QualityModel:
    """Position-dependent Phred model (see module docstring).

    Attributes
    ----------
    q_start, q_end : float
        Mean Phred of high-quality bases at the first and last cycle.
    low_start, low_end : float
        Fraction of low-quality bases at the first and last cycle (quadratic in between).
    low_min, low_max : int
        Range of low-quality Phred scores (uniform).
    q_max : int
        Highest Phred score emitted.
    """

    q_start: float = 38.0
    q_end: float = 32.0
    low_start: float = 0.002
    low_end: float = 0.03
    low_min: int = 3
    low_max: int = 20
    q_max: int = 41


#: 2x150 host / shotgun reads (~0.2 % substitutions).
SHORT_READ_QUALITY = QualityModel()
#: 2x250 MiSeq amplicon reads, read 1 and read 2 (read 2 is worse, as on a MiSeq).
AMPLICON_R1_QUALITY = QualityModel(q_start=37.0, q_end=30.0, low_start=0.002, low_end=0.04)
AMPLICON_R2_QUALITY = QualityModel(q_start=36.0, q_end=28.0, low_start=0.003, low_end=0.07)


def simulate_qualities(
    rng: np.random.Generator, n: int, length: int, model: QualityModel
) -> np.ndarray:
    """Draw Phred scores for ``n`` reads of ``length`` cycles.

    Returns
    -------
    numpy.ndarray
        ``(n, length)`` ``uint8`` Phred scores (not ASCII).
    """
    t = np.linspace(0.0, 1.0, length, dtype=np.float32) ** 2
    mu = np.float32(model.q_start) + np.float32(model.q_end - model.q_start) * t
    p_low = model.low_start + (model.low_end - model.low_start) * t
    high = np.rint(mu + 2.0 * rng.standard_normal((n, length), dtype=np.float32))
    phred = np.minimum(np.maximum(high, model.low_max + 1), model.q_max).astype(np.uint8)
    is_low = rng.random((n, length), dtype=np.float32) < p_low
    phred[is_low] = rng.integers(
        model.low_min, model.low_max + 1, size=int(is_low.sum()), dtype=np.uint8
    )
    return phred


def apply_errors(rng: np.random.Generator, codes: np.ndarray, phred: np.ndarray) -> np.ndarray:
    """Substitute bases with probability ``10**(-Q/10)`` (in place on a copy).

    Parameters
    ----------
    rng : numpy.random.Generator
    codes : numpy.ndarray
        ``(n, length)`` base codes.
    phred : numpy.ndarray
        ``(n, length)`` Phred scores.

    Returns
    -------
    numpy.ndarray
        Codes with errors; an error replaces a base by one of the three others (uniformly).
    """
    out = codes.copy()
    p_err = _PHRED_TO_P[phred]
    err = (rng.random(codes.shape, dtype=np.float32) < p_err) & (codes < 4)
    shift = rng.integers(1, 4, size=int(err.sum()), dtype=np.uint8)
    out[err] = (out[err] + shift) % 4
    return out


def pairs_from_fragments(
    source: np.ndarray,
    starts: np.ndarray,
    lengths: np.ndarray,
    reverse: np.ndarray,
    read_length: int,
    tails: tuple[np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """Cut error-free read 1 / read 2 from fragments of ``source``.

    Parameters
    ----------
    source : numpy.ndarray
        1-D code array all fragments come from.
    starts, lengths : numpy.ndarray
        Fragment start (0-based, on ``source``) and length; a fragment must lie inside
        ``source``.
    reverse : numpy.ndarray of bool
        Fragment comes from the minus strand (read 1 is then on the minus strand).
    read_length : int
    tails : tuple of numpy.ndarray
        What follows the insert in read 1 and read 2 (:func:`adapter_tails`).

    Returns
    -------
    tuple of numpy.ndarray
        ``(r1, r2)``, each ``(n, read_length)`` codes.
    """
    starts = np.asarray(starts, dtype=np.int64)[:, None]
    lengths = np.asarray(lengths, dtype=np.int64)[:, None]
    rev_flag = np.asarray(reverse, dtype=bool)[:, None]
    n_src = len(source)
    both = np.concatenate([source, _COMPLEMENT[source]])  # plus strand, then its complement
    j = np.arange(read_length, dtype=np.int64)[None, :]
    left = np.minimum(starts + j, n_src - 1)  # plus strand from the left end
    right = np.maximum(starts + lengths - 1 - j, 0) + n_src  # minus strand from the right end
    r1 = both[np.where(rev_flag, right, left)]
    r2 = both[np.where(rev_flag, left, right)]
    # read-through: position j >= fragment length reads tail[j - length]
    inside = j < lengths
    tail_idx = np.maximum(j - lengths, 0)
    r1 = np.where(inside, r1, tails[0][tail_idx])
    r2 = np.where(inside, r2, tails[1][tail_idx])
    return r1.astype(np.uint8), r2.astype(np.uint8)


def draw_inserts(
    rng: np.random.Generator,
    n: int,
    mean: float = 350.0,
    sd: float = 50.0,
    short_fraction: float = 0.04,
    short_range: tuple[int, int] = (60, 150),
    minimum: int = 60,
) -> np.ndarray:
    """Insert sizes: N(mean, sd) plus a small fraction of short inserts (adapter read-through)."""
    ins = np.rint(rng.normal(mean, sd, size=n)).astype(np.int64)
    short = rng.random(n) < short_fraction
    ins[short] = rng.integers(short_range[0], short_range[1], size=int(short.sum()))
    return np.maximum(ins, minimum)


def read_names(rng: np.random.Generator, instrument: str, lane: int, n: int) -> list[str]:
    """Illumina-style read names without the mate part (``instr:run:flowcell:lane:tile:x:y``)."""
    tiles = 1101 + (np.arange(n) // 50_000)
    ys = rng.integers(1000, 30000, size=n)
    return [
        f"{instrument}:1:FCX:{lane}:{t}:{i + 1}:{y}"
        for i, (t, y) in enumerate(zip(tiles.tolist(), ys.tolist(), strict=True))
    ]


def _fastq_block(names: list[str], mate: int, index: str, codes: np.ndarray, phred: np.ndarray):
    length = codes.shape[1]
    seq = _DECODE[codes].tobytes()
    qual = (phred + 33).astype(np.uint8).tobytes()
    suffix = f" {mate}:N:0:{index}\n".encode()
    parts = []
    for i, name in enumerate(names):
        a = i * length
        parts.append(
            b"@" + name.encode() + suffix + seq[a : a + length] + b"\n+\n" + qual[a : a + length]
        )
    return b"\n".join(parts) + b"\n"


@dataclass
class PairedReads:
    """A batch of simulated pairs: names and ``(n, L)`` codes / Phred of both mates."""

    names: list[str]
    r1: np.ndarray
    q1: np.ndarray
    r2: np.ndarray
    q2: np.ndarray

    def __len__(self) -> int:
        return len(self.names)


def finish_pairs(
    rng: np.random.Generator,
    r1: np.ndarray,
    r2: np.ndarray,
    names: list[str],
    model_r1: QualityModel,
    model_r2: QualityModel,
) -> PairedReads:
    """Add qualities and sequencing errors to error-free mates."""
    n, length = r1.shape
    q1 = simulate_qualities(rng, n, length, model_r1)
    q2 = simulate_qualities(rng, n, r2.shape[1], model_r2)
    return PairedReads(names, apply_errors(rng, r1, q1), q1, apply_errors(rng, r2, q2), q2)


def write_fastq_pair(
    path1: str, path2: str, reads: PairedReads, index: str, batch: int = 20_000
) -> None:
    """Write both mates as reproducible gzip FASTQ (atomically)."""
    with GzipWriter(path1) as g1, GzipWriter(path2) as g2:
        for a in range(0, len(reads), batch):
            b = min(a + batch, len(reads))
            names = reads.names[a:b]
            g1.write(_fastq_block(names, 1, index, reads.r1[a:b], reads.q1[a:b]))
            g2.write(_fastq_block(names, 2, index, reads.r2[a:b], reads.q2[a:b]))
