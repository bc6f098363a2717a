"""Shared by the accuracy benchmarks: run the project's Snakefile on a benchmark data set."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def run_snakemake(workdir: Path, targets: list[str], overrides: dict, cores: int) -> float:
    """Run the pipeline in ``workdir`` for ``targets`` with ``overrides`` layered over the
    project config; return the wall time (s). The full log is kept in the work directory."""
    workdir.mkdir(parents=True, exist_ok=True)
    extra = workdir / "overrides.yaml"
    extra.write_text(yaml.safe_dump(overrides, sort_keys=False))
    cmd = [
        sys.executable, "-m", "snakemake",
        "--snakefile", str(ROOT / "workflow" / "Snakefile"),
        "--configfile", str(ROOT / "config" / "config.yaml"), str(extra),
        "--directory", str(workdir),
        "--cores", str(cores),
        "--printshellcmds", "--show-failed-logs",
        *targets,
    ]  # fmt: skip
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"
    t0 = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env)
    (workdir / "snakemake.log").write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-6000:])
        raise SystemExit(f"snakemake failed in {workdir} (full log: {workdir / 'snakemake.log'})")
    return time.monotonic() - t0


def write_sheet(path: Path, rows: list[dict]) -> Path:
    """A minimal sample sheet (core columns only)."""
    cols = ["patient_id", "sample_id", "assay", "unit", "fastq_1", "fastq_2"]
    lines = ["\t".join(cols)] + ["\t".join(str(r[c]) for c in cols) for r in rows]
    path.write_text("\n".join(lines) + "\n")
    return path
