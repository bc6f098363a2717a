"""FASTQ integrity checks and read counts.

:func:`check_pair` streams both mates of a unit once and stops at the first problem with a
message a technician can act on: a truncated or corrupt gzip file, a record that is not four
lines (``@name``, sequence, ``+``, qualities of the same length), mates whose counts or names
differ, an empty file. When the pair is sound it returns read and base counts, which the QC
summary uses as "reads in".
"""

from __future__ import annotations

import gzip
import hashlib
import io
import itertools
import json
import os
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path

_VALID_BASES = frozenset(b"ACGTNacgtn.")
_ALLOWED = b"ACGTNacgtn.\r\n"
_LOWER = b"acgtn"
#: Records of each mate whose qualities decide the encoding (the first batch, at most).
ENCODING_RECORDS = 10_000
#: Highest quality character of Illumina Phred+33 data (Q42); Phred+64 runs up to 'h' (Q40).
_MAX_PHRED33 = ord("K")
#: Lowest character of Phred+64 / Solexa+64 data (Q-5); Phred+33 data go down to '#' (Q2).
_MIN_PHRED64 = ord(";")
#: Read pairs whose starts decide whether the 16S primers are present.
PRIMER_RECORDS = 2_000
#: Records from which read 2 having read 1's sequences (a copy, not mates) counts as an error.
_SAME_SEQUENCES_MIN = 10


class FastqError(ValueError):
    """A FASTQ file or pair is malformed; the message says where and what to do."""


@dataclass
class PairStats:
    """Counts for one paired unit (both mates)."""

    read_pairs: int
    bases_r1: int
    bases_r2: int
    min_length: int
    max_length: int
    sha256_r1: str = ""
    sha256_r2: str = ""
    #: ``PASS``, or ``FAIL`` with the check's message in ``reason`` (see :func:`failed_check`)
    status: str = "PASS"
    reason: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"


class _HashingReader(io.RawIOBase):
    """Raw byte stream that feeds everything read through SHA-256 (one pass: check + checksum)."""

    def __init__(self, path: Path):
        self._fh = open(path, "rb")  # noqa: SIM115 -- closed in close()
        self.sha256 = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        n = self._fh.readinto(b)
        if n:
            self.sha256.update(memoryview(b)[:n])
        return n

    def close(self) -> None:
        self._fh.close()
        super().close()


def _open(path: Path) -> tuple[io.BufferedReader, _HashingReader]:
    """Open plain or gzip FASTQ (decided by magic bytes, not by name), hashing the raw bytes."""
    with open(path, "rb") as fh:
        magic = fh.read(2)
    raw = _HashingReader(path)
    buffered = io.BufferedReader(raw, buffer_size=1 << 20)
    if magic == b"\x1f\x8b":
        return io.BufferedReader(gzip.GzipFile(fileobj=buffered), buffer_size=1 << 20), raw
    if str(path).endswith(".gz"):
        raw.close()
        raise FastqError(f"{path}: the name ends in .gz but the file is not gzip-compressed.")
    return buffered, raw


def _strip_mate(name: bytes) -> bytes:
    """Read name without a '/1' or '/2' mate suffix."""
    return name[:-2] if name.endswith((b"/1", b"/2")) else name


class _Reader:
    """Iterate over FASTQ records, raising :class:`FastqError` with the record number."""

    def __init__(self, path: Path):
        self.path = path
        self.fh, self.raw = _open(path)
        self.n = 0
        self.first_sequences = ""  # SHA-256 of the first batch's sequences
        self.head: list[bytes] = []  # sequences of the first records (primer check)

    def _fail(self, what: str) -> None:
        raise FastqError(f"{self.path}: record {self.n + 1} (line {4 * self.n + 1}): {what}")

    def _check_record(self, header: bytes, seq: bytes, plus: bytes, qual: bytes, last: bool):
        """Slow path: raise the precise error for one record (``self.n`` records precede it)."""
        seq, qual = seq.rstrip(b"\r\n"), qual.rstrip(b"\r\n")
        if not header.startswith(b"@"):
            self._fail("header does not start with '@'; the file is garbled or not FASTQ.")
        if not plus.startswith(b"+"):
            if not plus:
                self._fail("the file ends in the middle of a record (truncated file).")
            self._fail("third line does not start with '+'; the file is garbled.")
        if len(qual) != len(seq):
            if not qual and last:
                self._fail("the file ends in the middle of a record (truncated file).")
            self._fail(
                f"sequence has {len(seq)} bases but quality has {len(qual)} characters; "
                "the file is garbled."
            )
        if not _VALID_BASES.issuperset(seq):
            bad = sorted(set(seq) - _VALID_BASES)
            self._fail(f"sequence has characters that are not bases: {bytes(bad)!r}.")

    def batch(self, k: int) -> tuple[list[bytes], list[int]] | None:
        """Read and check up to ``k`` records; return their mate names and sequence lengths.

        Whole-batch checks run as C-level bytes/list operations; only a failing batch is
        rescanned record by record to name the first bad record. Returns None at a clean end.
        """
        try:
            lines = list(itertools.islice(self.fh, 4 * k))
        except (EOFError, zlib.error, gzip.BadGzipFile, OSError) as exc:
            raise FastqError(
                f"{self.path}: the compressed file is truncated or corrupt after record {self.n} "
                f"({exc}). The file was probably cut short during copying: copy it again from "
                "the sequencer output and check its md5sum."
            ) from None
        if not lines:
            return None
        if not lines[-1].endswith(b"\n"):
            lines[-1] += b"\n"
        headers, seqs, pluses, quals = lines[0::4], lines[1::4], lines[2::4], lines[3::4]
        seq_len = list(map(len, seqs))
        ok = (
            len(lines) % 4 == 0
            and all(map(bytes.startswith, headers, itertools.repeat(b"@")))
            and all(map(bytes.startswith, pluses, itertools.repeat(b"+")))
            and seq_len == list(map(len, quals))
            and not b"".join(seqs).translate(None, _ALLOWED)
        )
        if not ok:
            pad = [b""] * (-len(lines) % 4)
            lines += pad
            for i in range(0, len(lines), 4):
                self._check_record(*lines[i : i + 4], last=i + 4 >= len(lines))
                self.n += 1
            raise AssertionError("unreachable: batch failed but no record did")  # pragma: no cover
        seq_bytes = b"".join(seqs)
        if seq_bytes.translate(None, _LOWER) != seq_bytes:
            i = next(i for i, x in enumerate(seqs) if x.translate(None, _LOWER) != x)
            self.n += i
            self._fail(
                "the sequence has lowercase bases (soft-masked or edited reads). The QC tools "
                "count them as other letters than A/C/G/T (duplication, primer matching, base "
                "content are then wrong). Convert the file to uppercase, e.g. "
                "`seqtk seq -U in.fastq.gz | gzip > out.fastq.gz`, and list the converted file."
            )
        if self.n == 0:
            self.head = [x.rstrip(b"\r\n") for x in seqs[:PRIMER_RECORDS]]
            self._check_encoding(quals[:ENCODING_RECORDS])
            if len(seqs) >= _SAME_SEQUENCES_MIN:
                self.first_sequences = hashlib.sha256(seq_bytes).hexdigest()
        names = [h.split(None, 1)[0][1:] for h in headers]
        self.n += len(headers)
        return names, [n - 1 for n in seq_len]

    def _check_encoding(self, quals: list[bytes]) -> None:
        """Refuse qualities that are not Illumina Phred+33 (decided on the first records)."""
        chars = b"".join(quals).translate(None, b"\r\n")
        if not chars:
            return
        lo, hi = min(chars), max(chars)
        where = f"{self.path}: qualities of the first {len(quals)} records"
        if lo < ord("!"):
            raise FastqError(
                f"{where} contain characters below '!' (Phred+33 Q0); the file is garbled "
                "or not FASTQ."
            )
        if hi > _MAX_PHRED33 and lo >= _MIN_PHRED64:
            raise FastqError(
                f"{where} range from '{chr(lo)}' to '{chr(hi)}': the file uses the old "
                "Illumina Phred+64 quality encoding (Illumina 1.3-1.7 / Solexa), which every "
                "QC step would read as Phred+33 (each base Q30 or better). Convert it to "
                "Phred+33, e.g. `seqtk seq -Q64 -V in.fastq.gz | gzip > out.fastq.gz`, and "
                "list the converted files in the sample sheet."
            )

    def sha256(self) -> str:
        """Checksum of the file's bytes; complete once the reader reached the end."""
        while self.raw.read(1 << 20):  # drain (and hash) bytes the decompressor did not need
            pass
        return self.raw.sha256.hexdigest()

    def close(self) -> None:
        self.fh.close()
        self.raw.close()


_IUPAC = {
    "A": "A", "C": "C", "G": "G", "T": "T", "U": "T", "R": "AG", "Y": "CT", "S": "CG",
    "W": "AT", "K": "GT", "M": "AC", "B": "CGT", "D": "AGT", "H": "ACT", "V": "ACG",
    "N": "ACGT",
}  # fmt: skip


@dataclass(frozen=True)
class PrimerCheck:
    """The configured 16S primers and how many read starts must carry them.

    ``min_fraction``: share of the first :data:`PRIMER_RECORDS` pairs that must start with the
    forward primer (read 1) and the reverse primer (read 2); ``error_rate`` as cutadapt ``-e``
    (mismatches only).
    """

    forward: str
    reverse: str
    error_rate: float = 0.1
    min_fraction: float = 0.2


def primer_fraction(reads: list[bytes], primer: str, error_rate: float) -> float:
    """Share of ``reads`` that start with ``primer`` (IUPAC codes, at most
    ``floor(error_rate * len(primer))`` mismatches, no indels)."""
    if not reads:
        return 0.0
    import numpy as np

    k = len(primer)
    starts = np.frombuffer(b"".join(r[:k].ljust(k, b"N") for r in reads), dtype=np.uint8)
    starts = starts.reshape(len(reads), k)
    allowed = np.zeros((256, k), dtype=bool)
    for j, code in enumerate(primer.upper()):
        for base in _IUPAC[code]:
            allowed[ord(base), j] = True
    mismatches = k - allowed[starts, np.arange(k)].sum(axis=1)
    return float((mismatches <= int(error_rate * k)).mean())


def check_primers(a_head: list[bytes], b_head: list[bytes], check: PrimerCheck, where: str):
    """Raise :class:`FastqError` when (nearly) no pair starts with the configured primers.

    Swapped mates (the reverse primer at read-1 starts) get their own message.
    """
    n = min(len(a_head), len(b_head))
    fwd = primer_fraction(a_head[:n], check.forward, check.error_rate)
    rev = primer_fraction(b_head[:n], check.reverse, check.error_rate)
    if fwd >= check.min_fraction and rev >= check.min_fraction:
        return fwd, rev
    swapped_fwd = primer_fraction(b_head[:n], check.forward, check.error_rate)
    swapped_rev = primer_fraction(a_head[:n], check.reverse, check.error_rate)
    found = (
        f"of the first {n} read pairs, {fwd:.0%} of read 1 start with "
        f"qc.primers_16s.forward = {check.forward} and {rev:.0%} of read 2 with "
        f"qc.primers_16s.reverse = {check.reverse}"
    )
    if swapped_fwd >= check.min_fraction and swapped_rev >= check.min_fraction:
        raise FastqError(
            f"{where}: read 1 and read 2 look swapped: {swapped_rev:.0%} of read 1 start with "
            f"the reverse primer and {swapped_fwd:.0%} of read 2 with the forward primer "
            f"({found}). Swap fastq_1 and fastq_2 of this unit in the sample sheet (if every "
            "16S unit says so, the config has the primers the wrong way round: exchange "
            "qc.primers_16s.forward and qc.primers_16s.reverse)."
        )
    raise FastqError(
        f"{where}: the configured 16S primers are (nearly) absent: {found} (at least "
        f"{check.min_fraction:.0%} required, qc.primers_16s.min_fraction); primer trimming "
        "would drop almost every pair and leave an empty ASV table. If the primers were "
        "already removed (common for data from a sequencing core), set "
        "qc.primers_16s.already_removed: true in the config; otherwise set "
        "qc.primers_16s.forward / reverse to this library's primers."
    )


def check_pair(
    r1: str | os.PathLike,
    r2: str | os.PathLike,
    *,
    batch_size: int = 50_000,
    primers: PrimerCheck | None = None,
) -> PairStats:
    """Check both mates of a paired unit in one pass.

    Parameters
    ----------
    r1, r2 : path-like
        Read-1 and read-2 FASTQ files, gzipped or plain.
    batch_size : int
        Records checked per batch (memory ~ 1 kB per record and mate).

    Returns
    -------
    PairStats
        Number of read pairs, bases per mate, the read-length range and the SHA-256 of both
        files (computed in the same pass, for provenance).

    Raises
    ------
    FastqError
        On a truncated/corrupt gzip, a malformed record, mates with different counts or names,
        or an empty file. The message names the file and record. With ``primers`` (16S
        libraries), also when (nearly) no pair starts with them (:func:`check_primers`).
    """
    a, b = _Reader(Path(r1)), _Reader(Path(r2))
    n = bases1 = bases2 = 0
    lo, hi = 1 << 30, 0
    try:
        while True:
            ba, bb = a.batch(batch_size), b.batch(batch_size)
            if ba is None or bb is None or len(ba[0]) != len(bb[0]):
                if ba is None and bb is None:
                    break
                shorter, longer = (a, b) if a.n < b.n else (b, a)
                raise FastqError(
                    f"mates are unpaired: {shorter.path} ends after {shorter.n} reads but "
                    f"{longer.path} has more. The files are truncated or not mates of each "
                    "other; re-export both from the same run."
                )
            names_a, names_b = ba[0], bb[0]
            if names_a != names_b:
                names_a = [_strip_mate(x) for x in names_a]
                names_b = [_strip_mate(x) for x in names_b]
                if names_a != names_b:
                    i = next(
                        i for i, (x, y) in enumerate(zip(names_a, names_b, strict=True)) if x != y
                    )
                    raise FastqError(
                        f"mates are unpaired at record {n + i + 1}: read 1 is "
                        f"'{names_a[i].decode(errors='replace')}' but read 2 is "
                        f"'{names_b[i].decode(errors='replace')}' ({a.path} vs {b.path}). The "
                        "files are not mates of each other or were sorted differently."
                    )
            n += len(names_a)
            bases1 += sum(ba[1])
            bases2 += sum(bb[1])
            lo = min(lo, min(ba[1]), min(bb[1]))
            hi = max(hi, max(ba[1]), max(bb[1]))
        sums = a.sha256(), b.sha256()
    finally:
        a.close()
        b.close()
    if n and primers is not None:
        check_primers(a.head, b.head, primers, f"{r1} / {r2}")
    if n and (sums[0] == sums[1] or a.first_sequences == b.first_sequences != ""):
        same = "the same bytes" if sums[0] == sums[1] else "the same sequences"
        raise FastqError(
            f"{r1} and {r2} hold {same}: read 2 is a copy of read 1, not its mate. List the "
            "read-2 file of this unit as fastq_2 (re-export it from the sequencer output)."
        )
    if n == 0:
        raise FastqError(
            f"{r1} and {r2} contain no reads; the library failed or the wrong files are listed "
            "in the sample sheet."
        )
    return PairStats(n, bases1, bases2, lo, hi, *sums)


def failed_check(reason: str) -> PairStats:
    """The record of a unit that failed the check: no reads pass on to QC.

    The check JSON of such a unit is written (status ``FAIL``) and its job succeeds, so that
    under ``--keep-going`` the cohort tables and every other report are still built; the QC
    steps then read an empty pair (the unit is FAIL in read_counts.tsv, "not measured" in the
    reports) and rule fastq_check_summary fails the run, listing the unit.
    """
    return PairStats(0, 0, 0, 0, 0, status="FAIL", reason=reason)


def write_check(r1: str, r2: str, out: str, primers: PrimerCheck | None = None) -> PairStats:
    """Run :func:`check_pair` and write its counts as JSON to ``out`` atomically."""
    stats = check_pair(r1, r2, primers=primers)
    tmp = f"{out}.tmp.{os.getpid()}"
    with open(tmp, "w") as fh:
        fh.write(stats.to_json())
    os.replace(tmp, out)
    return stats


def summarise_checks(checks, out: str, log=None) -> list[str]:
    """Write ``sample_id unit status read_pairs`` for every unit's check JSON to ``out``;
    return the messages of the units that failed (also printed to ``log``).

    ``out`` is written only when every unit passed (it is the run's proof of that).
    """
    rows, failed = [], []
    for c in checks:
        with open(c["check"]) as fh:
            d = json.load(fh)
        status = d.get("status", "PASS")
        rows.append(f"{c['sample_id']}\t{c['unit']}\t{status}\t{d['read_pairs']}\n")
        if status != "PASS":
            failed.append(d.get("reason") or f"{c['sample_id']} unit {c['unit']} failed")
    if log is not None:
        for msg in failed:
            print(msg, file=log)
    if not failed:
        tmp = f"{out}.tmp.{os.getpid()}"
        with open(tmp, "w") as fh:
            fh.write("sample_id\tunit\tstatus\tread_pairs\n" + "".join(rows))
        os.replace(tmp, out)
    return failed
