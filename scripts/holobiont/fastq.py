"""FASTQ integrity checks and read counts.

:func:`check_pair` streams both mates of a unit once and stops at the first problem with a
message a technician can act on: a truncated or corrupt gzip file, a record that is not four
lines (``@name``, sequence, ``+``, qualities of the same length), mates whose counts or names
differ, an empty file. When the pair is sound it returns read and base counts, which the QC
summary uses as "reads in".
"""

from __future__ import annotations

import gzip
import io
import json
import os
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path

_VALID_BASES = frozenset(b"ACGTNacgtn.")


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

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"


def _open(path: Path) -> io.BufferedReader:
    """Open plain or gzip FASTQ (decided by magic bytes, not by name)."""
    with open(path, "rb") as fh:
        magic = fh.read(2)
    if magic == b"\x1f\x8b":
        return io.BufferedReader(gzip.open(path, "rb"), buffer_size=1 << 20)  # type: ignore[arg-type]
    if str(path).endswith(".gz"):
        raise FastqError(f"{path}: the name ends in .gz but the file is not gzip-compressed.")
    return open(path, "rb", buffering=1 << 20)


def _mate_name(header: bytes) -> bytes:
    """Read name without mate suffix: '@r1/1 xyz' and '@r1 1:N:0' both give b'r1'."""
    name = header[1:].split(maxsplit=1)[0] if len(header) > 1 else b""
    if name.endswith((b"/1", b"/2")):
        name = name[:-2]
    return name


class _Reader:
    """Iterate over FASTQ records, raising :class:`FastqError` with the record number."""

    def __init__(self, path: Path):
        self.path = path
        self.fh = _open(path)
        self.n = 0

    def _fail(self, what: str) -> None:
        raise FastqError(f"{self.path}: record {self.n + 1} (line {4 * self.n + 1}): {what}")

    def next(self) -> tuple[bytes, int] | None:
        """Return (name, sequence length) of the next record, or None at a clean end."""
        try:
            header = self.fh.readline()
            if not header:
                return None
            seq = self.fh.readline().rstrip(b"\r\n")
            plus = self.fh.readline()
            qual = self.fh.readline().rstrip(b"\r\n")
        except (EOFError, zlib.error, gzip.BadGzipFile, OSError) as exc:
            raise FastqError(
                f"{self.path}: the compressed file is truncated or corrupt after record {self.n} "
                f"({exc}). The file was probably cut short during copying: copy it again from "
                "the sequencer output and check its md5sum."
            ) from None
        if not header.startswith(b"@"):
            self._fail("header does not start with '@'; the file is garbled or not FASTQ.")
        if not plus.startswith(b"+"):
            if not plus:
                self._fail("the file ends in the middle of a record (truncated file).")
            self._fail("third line does not start with '+'; the file is garbled.")
        if len(qual) != len(seq):
            if not qual and not self.fh.peek(1):
                self._fail("the file ends in the middle of a record (truncated file).")
            self._fail(
                f"sequence has {len(seq)} bases but quality has {len(qual)} characters; "
                "the file is garbled."
            )
        if not _VALID_BASES.issuperset(seq):
            bad = sorted(set(seq) - _VALID_BASES)
            self._fail(f"sequence has characters that are not bases: {bytes(bad)!r}.")
        self.n += 1
        return _mate_name(header.rstrip(b"\r\n")), len(seq)

    def close(self) -> None:
        self.fh.close()


def check_pair(r1: str | os.PathLike, r2: str | os.PathLike) -> PairStats:
    """Check both mates of a paired unit in one pass.

    Parameters
    ----------
    r1, r2 : path-like
        Read-1 and read-2 FASTQ files, gzipped or plain.

    Returns
    -------
    PairStats
        Number of read pairs, bases per mate and the read-length range.

    Raises
    ------
    FastqError
        On a truncated/corrupt gzip, a malformed record, mates with different counts or names,
        or an empty file. The message names the file and record.
    """
    a, b = _Reader(Path(r1)), _Reader(Path(r2))
    n = bases1 = bases2 = 0
    lo, hi = 1 << 30, 0
    try:
        while True:
            ra, rb = a.next(), b.next()
            if ra is None or rb is None:
                if ra is None and rb is None:
                    break
                longer, shorter = (a, b) if rb is None else (b, a)
                raise FastqError(
                    f"mates are unpaired: {shorter.path} ends after {shorter.n} reads but "
                    f"{longer.path} has more. The files are truncated or not mates of each "
                    "other; re-export both from the same run."
                )
            if ra[0] != rb[0]:
                raise FastqError(
                    f"mates are unpaired at record {n + 1}: read 1 is '{ra[0].decode(errors='replace')}' "
                    f"but read 2 is '{rb[0].decode(errors='replace')}' ({a.path} vs {b.path}). The "
                    "files are not mates of each other or were sorted differently."
                )
            n += 1
            bases1 += ra[1]
            bases2 += rb[1]
            lo = min(lo, ra[1], rb[1])
            hi = max(hi, ra[1], rb[1])
    finally:
        a.close()
        b.close()
    if n == 0:
        raise FastqError(
            f"{r1} and {r2} contain no reads; the library failed or the wrong files are listed "
            "in the sample sheet."
        )
    return PairStats(n, bases1, bases2, lo, hi)


def write_check(r1: str, r2: str, out: str) -> PairStats:
    """Run :func:`check_pair` and write its counts as JSON to ``out`` atomically."""
    stats = check_pair(r1, r2)
    tmp = f"{out}.tmp.{os.getpid()}"
    with open(tmp, "w") as fh:
        fh.write(stats.to_json())
    os.replace(tmp, out)
    return stats
