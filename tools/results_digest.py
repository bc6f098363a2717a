#!/usr/bin/env python3
"""SHA-256 of every file a run wrote under results/, to compare two runs byte for byte.

    python tools/results_digest.py [RUN_DIR] > run.sha256
    diff run_a.sha256 run_b.sha256          # nothing printed: the runs' results are identical

Used to prove that a change alters no output (e.g. the package restructure: the demo run before
and after gave the same digest) and by a facility to check that a rerun years later reproduces
the original results. Files that legitimately differ between two runs of the same inputs are
listed with the reason at the top of the output and not hashed (the same list as
tests/workflow/test_slurm_reproducible.py's RUN_METADATA).
"""

import fnmatch
import hashlib
import sys
from pathlib import Path

#: results/ paths (globs) that differ between two runs of the same inputs, and why.
RUN_METADATA = {
    "results/qc/multiqc/*": "MultiQC stamps its report with the creation time",
    "results/qc/fastp/*/*.fastp.html": "fastp stamps its HTML report with the run time",
    "results/shotgun/kraken2_db/opts.k2d": "kraken2-build writes uninitialised padding bytes",
}


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def digest(run: Path) -> list[str]:
    """``"<sha256>  <path>"`` lines of every result file of `run`, sorted by path."""
    results = run / "results"
    if not results.is_dir():
        raise SystemExit(f"{results}: no results folder (give the run's working directory)")
    lines = [f"# not hashed: {glob} ({why})" for glob, why in RUN_METADATA.items()]
    for path in sorted(p for p in results.rglob("*") if p.is_file()):
        rel = str(path.relative_to(run))
        if not any(fnmatch.fnmatch(rel, g) for g in RUN_METADATA):
            lines.append(f"{sha256(path)}  {rel}")
    return lines


def main(argv: list[str]) -> int:
    run = Path(argv[1]) if len(argv) > 1 else Path(".")
    print("\n".join(digest(run)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
