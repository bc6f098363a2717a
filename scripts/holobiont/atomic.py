"""Atomic file writes: a reader (or a resumed run) never sees a half-written result.

The text goes to ``<path>.tmp.<pid>`` in the same directory, which is then renamed over
``path`` (``os.replace`` is atomic on POSIX within one filesystem). A write that fails because
the disk is full says so, and where (:func:`disk_full_message`).
"""

from __future__ import annotations

import errno
import os
import shutil
import sys
import tempfile

#: Free space below which a filesystem counts as full when a run fails (onerror, common.smk).
LOW_SPACE_BYTES = 64 * 1024 * 1024
_FULL = (errno.ENOSPC, errno.EDQUOT)


def disk_full_message(path: str | os.PathLike, err: OSError | None = None) -> str:
    """A sentence naming the full filesystem holding ``path`` ("" when it is not full).

    With ``err`` (an error of a write to ``path``), it is full when the error is ENOSPC or
    EDQUOT; without, when less than :data:`LOW_SPACE_BYTES` are free there.
    """
    folder = os.path.abspath(os.fspath(path))
    while folder and not os.path.isdir(folder):
        folder = os.path.dirname(folder)
    try:
        usage = shutil.disk_usage(folder)
    except OSError:
        return ""
    full = err.errno in _FULL if err is not None else usage.free < LOW_SPACE_BYTES
    if not full:
        return ""
    what = "quota exceeded" if err is not None and err.errno == errno.EDQUOT else "disk full"
    return (
        f"{what}: the filesystem holding {folder} has {usage.free / 2**20:.0f} MiB free of "
        f"{usage.total / 2**30:.1f} GiB. Free space there (e.g. remove old results/ of other "
        "runs) or run in a larger folder (--directory), then start again: finished steps "
        "are kept."
    )


def write_text(path: str | os.PathLike, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to a temporary name next to ``path``, then rename it into place."""
    tmp = f"{os.fspath(path)}.tmp.{os.getpid()}"
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException as exc:
        if os.path.exists(tmp):
            os.remove(tmp)
        if isinstance(exc, OSError) and (msg := disk_full_message(path, exc)):
            raise OSError(exc.errno, f"{msg} (writing {path})") from exc
        raise


def report_disk_full(folders=None, out=sys.stderr) -> None:
    """Print a "disk full" sentence for each full filesystem among ``folders`` (default: the
    working directory and the temporary folder); Snakemake's onerror handler calls it."""
    for folder in dict.fromkeys(folders or (os.getcwd(), tempfile.gettempdir())):
        if msg := disk_full_message(folder):
            print(f"ERROR: {msg}", file=out)


def python_bin_on_path() -> None:
    """Put the folder of the running Python (the project's venv, with cutadapt, multiqc...)
    on PATH unless it is there: jobs started by this process find the tools of the venv."""
    folder = os.path.dirname(sys.executable)
    path = os.environ.get("PATH", "")
    if folder and folder not in path.split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join(p for p in (folder, path) if p)
