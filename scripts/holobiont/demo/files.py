"""Deterministic, atomic file output for the demo generator.

Every file is written to a temporary name in the same directory and moved into place with
:func:`os.replace`, so a killed run never leaves a half-written file under its final name. gzip
members are written with ``mtime=0`` and no file name in the header, and BGZF blocks are cut at
fixed offsets, so the bytes depend only on the content (and on the zlib version).
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import os
import struct
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

#: Compression level of gzip FASTQ output (level 2 is ~8x faster than 6 on FASTQ for ~6 %
#: larger files).
GZIP_LEVEL = 2
#: Compression level of BGZF output (the reference is mostly cached runs of N).
BGZF_LEVEL = 6
#: Name of the checksum manifest (``sha256sum`` format, paths relative to the output directory).
MANIFEST_NAME = "MANIFEST.sha256"


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "wb") -> Iterator[io.IOBase]:
    """Open ``path.tmp-<pid>`` for writing and move it to ``path`` on success.

    Parameters
    ----------
    path : path-like
        Final file name; parent directories are created.
    mode : str
        ``"wb"`` or ``"w"`` (text, UTF-8, ``\\n`` newlines).

    Yields
    ------
    file object
        The open temporary file. On an exception the temporary file is removed.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    kwargs = {} if "b" in mode else {"encoding": "utf-8", "newline": "\n"}
    fh = open(tmp, mode, **kwargs)  # noqa: SIM115 -- closed below
    try:
        yield fh
        fh.close()
        os.replace(tmp, path)
    except BaseException:
        fh.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` atomically."""
    with atomic_open(path, "wb") as fh:
        fh.write(data)


def write_text(path: str | os.PathLike, text: str) -> None:
    """Write UTF-8 ``text`` atomically."""
    write_bytes(path, text.encode("utf-8"))


class GzipWriter:
    """Atomic, reproducible gzip writer (``mtime=0``, no file name in the header).

    Use as a context manager; call :meth:`write` with bytes.
    """

    def __init__(self, path: str | os.PathLike, level: int = GZIP_LEVEL):
        self.path = Path(path)
        self.level = level

    def __enter__(self) -> GzipWriter:
        self._ctx = atomic_open(self.path, "wb")
        self._raw = self._ctx.__enter__()
        self._gz = gzip.GzipFile(
            filename="", mode="wb", fileobj=self._raw, compresslevel=self.level, mtime=0
        )
        return self

    def write(self, data: bytes) -> None:
        """Compress and write ``data``."""
        self._gz.write(data)

    def __exit__(self, exc_type, exc, tb) -> None:
        self._gz.close()
        self._ctx.__exit__(exc_type, exc, tb)


# --------------------------------------------------------------------------------------------
# BGZF (blocked gzip, as written by bgzip) with .gzi index

_BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")


def _bgzf_block(data: bytes, level: int) -> bytes:
    comp = zlib.compressobj(level, zlib.DEFLATED, -15)
    payload = comp.compress(data) + comp.flush()
    bsize = len(payload) + 25  # total block size - 1 (18 header + 8 trailer - 1)
    header = b"\x1f\x8b\x08\x04\x00\x00\x00\x00\x00\xff\x06\x00BC\x02\x00" + struct.pack(
        "<H", bsize
    )
    return header + payload + struct.pack("<II", zlib.crc32(data), len(data))


def write_bgzf(
    path: str | os.PathLike,
    chunks: Iterable[bytes],
    block_size: int = 65280,
    level: int = BGZF_LEVEL,
) -> list[tuple[int, int]]:
    """Write ``chunks`` as BGZF and a ``.gzi`` index next to it, both atomically.

    Blocks hold exactly ``block_size`` uncompressed bytes (the last one fewer), so the output is
    reproducible. Identical blocks (e.g. runs of ``N``) are compressed once and reused.

    Parameters
    ----------
    path : path-like
        Output file (``.gz``); the index is ``path + ".gzi"``.
    chunks : iterable of bytes
        The uncompressed content, in order.
    block_size : int
        Uncompressed bytes per block (at most 65280, bgzip's default).
    level : int
        zlib compression level.

    Returns
    -------
    list of (int, int)
        ``(compressed_offset, uncompressed_offset)`` of every block but the first (the ``.gzi``
        entries).
    """
    cache: dict[bytes, bytes] = {}
    index: list[tuple[int, int]] = []
    c_off = u_off = 0
    buf = bytearray()
    with atomic_open(path, "wb") as fh:

        def emit(block: bytes) -> None:
            nonlocal c_off, u_off
            if u_off:
                index.append((c_off, u_off))
            comp = cache.get(block)
            if comp is None:
                comp = _bgzf_block(block, level)
                if len(comp) < 2048 and len(cache) < 256:  # e.g. runs of N
                    cache[block] = comp
            fh.write(comp)
            c_off += len(comp)
            u_off += len(block)

        for chunk in chunks:
            buf += chunk
            if len(buf) >= block_size:
                view = memoryview(buf)
                n_full = len(buf) // block_size
                for i in range(n_full):
                    emit(bytes(view[i * block_size : (i + 1) * block_size]))
                view.release()
                del buf[: n_full * block_size]
        if buf:
            emit(bytes(buf))
        fh.write(_BGZF_EOF)
    gzi = struct.pack("<Q", len(index)) + b"".join(struct.pack("<QQ", c, u) for c, u in index)
    write_bytes(str(path) + ".gzi", gzi)
    return index


# --------------------------------------------------------------------------------------------
# checksums


def sha256_file(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def manifest_text(root: str | os.PathLike, relpaths: Iterable[str]) -> str:
    """``sha256sum``-style lines for ``relpaths`` (sorted) under ``root``."""
    root = Path(root)
    return "".join(f"{sha256_file(root / p)}  {p}\n" for p in sorted(relpaths))


def read_manifest(path: str | os.PathLike) -> dict[str, str]:
    """Parse a ``sha256sum``-style manifest into ``{relpath: hexdigest}``."""
    out = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            digest, rel = line.split(maxsplit=1)
            out[rel.lstrip("*").strip()] = digest
    return out


def verify_manifest(root: str | os.PathLike, manifest: dict[str, str]) -> list[str]:
    """Return a list of problems (missing or changed files) of ``root`` against ``manifest``."""
    root = Path(root)
    problems = []
    for rel, digest in sorted(manifest.items()):
        p = root / rel
        if not p.is_file():
            problems.append(f"missing: {rel}")
        elif sha256_file(p) != digest:
            problems.append(f"differs: {rel}")
    return problems
