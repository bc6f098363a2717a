"""Reference files replaced with an older mtime are noticed (issue 11, item 5)."""

import os
import shutil

from holobiont.pipeline.stamps import stale_inputs, stale_message


def test_replaced_file_with_old_mtime_is_stale_until_touched(tmp_path):
    ref, ledger = tmp_path / "ref.fa", tmp_path / ".snakemake/stamps.json"
    ref.write_text(">a\nACGT\n")
    old = ref.stat().st_mtime_ns - 10**12
    os.utime(ref, ns=(old, old))
    assert stale_inputs([str(ref), str(tmp_path / "absent")], ledger) == []  # first run
    assert stale_inputs([str(ref)], ledger) == []  # nothing changed

    new = tmp_path / "new.fa"
    new.write_text(">a\nACGA\n")  # same size, other content
    os.utime(new, ns=(old - 10**9, old - 10**9))
    shutil.copy2(new, ref)  # cp -p: content replaced, mtime older than before
    assert stale_inputs([str(ref)], ledger) == [str(ref)]
    assert stale_inputs([str(ref)], ledger) == [str(ref)]  # the ledger was not updated
    assert f"Run `touch {ref}`" in stale_message([str(ref)])

    import time

    now = time.time_ns() + 10**9  # touch (a second ahead: file times are coarse)
    os.utime(ref, ns=(now, now))  # Snakemake's mtime trigger now redoes every step using it
    assert stale_inputs([str(ref)], ledger) == []


def test_newer_replacement_is_left_to_snakemake(tmp_path):
    ref, ledger = tmp_path / "ref.fa", tmp_path / "stamps.json"
    ref.write_text("x\n")
    stale_inputs([str(ref)], ledger)
    ref.write_text("yy\n")  # an ordinary edit: newer mtime
    later = ref.stat().st_mtime_ns + 10**9  # (set: the clock of file times is coarse)
    os.utime(ref, ns=(later, later))
    assert stale_inputs([str(ref)], ledger) == []
