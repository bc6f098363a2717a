"""Shared by the accuracy benchmarks: run the project's Snakefile on a benchmark data set."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def run_snakemake(
    workdir: Path,
    targets: list[str],
    overrides: dict,
    cores: int | None,
    extra: tuple | list = (),
    env_extra: dict | None = None,
) -> float:
    """Run the pipeline in ``workdir`` for ``targets`` with ``overrides`` layered over the
    project config; return the wall time (s). ``cores`` None leaves it to ``extra`` (e.g. a
    profile); ``env_extra`` adds environment variables (e.g. SLURM_CONF). The log of every
    run in the work directory is appended to its snakemake.log."""
    workdir.mkdir(parents=True, exist_ok=True)
    conf = workdir / "overrides.yaml"
    conf.write_text(yaml.safe_dump(overrides, sort_keys=False))
    cmd = [
        sys.executable, "-m", "snakemake",
        "--snakefile", str(ROOT / "workflow" / "Snakefile"),
        "--configfile", str(ROOT / "config" / "config.yaml"), str(conf),
        "--directory", str(workdir),
        *(["--cores", str(cores)] if cores is not None else []),
        "--printshellcmds", "--show-failed-logs",
        *extra, *targets,
    ]  # fmt: skip
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"
    env.update(env_extra or {})
    t0 = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env)
    seconds = time.monotonic() - t0
    with open(workdir / "snakemake.log", "a") as fh:
        fh.write(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-6000:])
        raise SystemExit(f"snakemake failed in {workdir} (full log: {workdir / 'snakemake.log'})")
    return seconds


def write_sheet(path: Path, rows: list[dict]) -> Path:
    """A minimal sample sheet (core columns only)."""
    cols = ["patient_id", "sample_id", "assay", "unit", "fastq_1", "fastq_2"]
    lines = ["\t".join(cols)] + ["\t".join(str(r[c]) for c in cols) for r in rows]
    path.write_text("\n".join(lines) + "\n")
    return path
