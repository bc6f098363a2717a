"""Atomic file writes: a reader (or a resumed run) never sees a half-written result.

The text goes to ``<path>.tmp.<pid>`` in the same directory, which is then renamed over
``path`` (``os.replace`` is atomic on POSIX within one filesystem).
"""

from __future__ import annotations

import os


def write_text(path: str | os.PathLike, text: str) -> None:
    tmp = f"{os.fspath(path)}.tmp.{os.getpid()}"
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
