"""Noticing reference files replaced by content with an older modification time.

Snakemake reruns a step when an input is newer than its outputs. A reference replaced by
``cp -p`` or ``rsync -a`` keeps the old mtime, so nothing would rerun and the results would
silently come from the old file. :func:`stale_inputs` compares each file's stamp (size, mtime,
inode, ctime; one ``os.stat`` per file) with the ledger written at the previous run: a file
whose stamp changed although its mtime is not newer than that run is reported, so the run can
stop and say which files to ``touch`` (which makes Snakemake redo every step using them).
Raw FASTQs are covered by a stamp in the params of the rules reading them (rerun trigger).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable
from pathlib import Path

from holobiont.atomic import write_text


def stamp(st: os.stat_result) -> list[int]:
    return [st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns]


def stale_inputs(
    paths: Iterable[str], ledger: str | os.PathLike, *, update: bool = True
) -> list[str]:
    """Files whose content was replaced since the last run without a newer mtime.

    ``ledger`` (JSON: ``written`` time in ns, ``files``: path -> stamp) is rewritten with the
    current stamps when nothing is stale and ``update`` is true (a run, not a dry-run).
    Missing files are skipped (the config checks report them).
    """
    now = time.time_ns()
    current = {}
    for p in dict.fromkeys(paths):
        try:
            current[str(p)] = stamp(os.stat(p))
        except OSError:
            continue
    ledger = Path(ledger)
    try:
        previous = json.loads(ledger.read_text())
    except (OSError, ValueError):
        previous = {}
    written = int(previous.get("written", 0))
    old = previous.get("files", {})
    stale = [
        p
        for p, st in current.items()
        if p in old and old[p] != st and st[1] <= written  # changed, mtime not newer
    ]
    if not stale and update:
        ledger.parent.mkdir(parents=True, exist_ok=True)
        write_text(ledger, json.dumps({"written": now, "files": current}, indent=1) + "\n")
    return stale


def stale_message(stale: list[str]) -> str:
    files = " ".join(stale)
    return (
        f"{len(stale)} input file(s) changed since the last run although their modification "
        f"time is not newer (copied with cp -p or rsync -a?): {', '.join(stale)}. Results made "
        "from the old content would be kept. Run `touch "
        f"{files}` and start again: every step that uses them is then redone. Nothing was run."
    )
