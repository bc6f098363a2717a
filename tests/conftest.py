"""Shared fixtures: tiny FASTQ writers and a Snakemake runner for workflow tests."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DEMO = ROOT / "resources" / "demo" / "data"


def write_fastq_pair(
    prefix: str | os.PathLike,
    n: int,
    *,
    length: int = 150,
    seed: int = 0,
    r1_prefix: str = "",
    r2_prefix: str = "",
    compress: bool = True,
) -> tuple[Path, Path]:
    """Write a valid random FASTQ pair with Illumina-style mate names; return both paths."""
    rng = np.random.default_rng(seed)
    bases = np.frombuffer(b"ACGT", dtype=np.uint8)
    paths = (
        Path(f"{prefix}_R1.fastq{'.gz' if compress else ''}"),
        Path(f"{prefix}_R2.fastq{'.gz' if compress else ''}"),
    )
    opener = gzip.open if compress else open
    with opener(paths[0], "wt") as a, opener(paths[1], "wt") as b:
        for i in range(n):
            s1 = r1_prefix + bases[rng.integers(0, 4, length)].tobytes().decode()
            s2 = r2_prefix + bases[rng.integers(0, 4, length)].tobytes().decode()
            a.write(f"@M1:1:FC:1:1:{i}:1 1:N:0:ACGT\n{s1}\n+\n{'F' * len(s1)}\n")
            b.write(f"@M1:1:FC:1:1:{i}:1 2:N:0:ACGT\n{s2}\n+\n{'F' * len(s2)}\n")
    return paths


def write_sheet(path: os.PathLike, rows: list[dict], extra_cols: tuple[str, ...] = ()) -> Path:
    cols = ["patient_id", "sample_id", "assay", "unit", "fastq_1", "fastq_2", *extra_cols]
    with open(path, "w") as fh:
        fh.write("\t".join(cols) + "\n")
        for r in rows:
            fh.write("\t".join(str(r.get(c, "")) for c in cols) + "\n")
    return Path(path)


def run_snakemake(
    workdir: os.PathLike,
    *args: str,
    config: dict | None = None,
    overrides: dict | None = None,
    timeout: int = 1800,
) -> subprocess.CompletedProcess:
    """Run the project's Snakefile with the project config in ``workdir``.

    ``config`` items go to ``--config key=value``; ``overrides`` (nested) is written to a YAML
    file layered over config/config.yaml with a second ``--configfile``.
    """
    configfiles = [str(ROOT / "config" / "config.yaml")]
    # The default references are relative to the project root; runs elsewhere get them absolute.
    project = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    refs = {k: str(ROOT / v) for k, v in project["references"].items()}
    refs.update((overrides or {}).get("references", {}))
    overrides = {**(overrides or {}), "references": refs}
    if overrides:
        Path(workdir).mkdir(parents=True, exist_ok=True)
        extra = Path(workdir) / "overrides.yaml"
        extra.write_text(yaml.safe_dump(overrides))
        configfiles.append(str(extra))
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        str(ROOT / "Snakefile"),
        "--configfile",
        *configfiles,
        "--directory",
        str(workdir),
        "--cores",
        "2",
        *args,
    ]
    if config:
        cmd += ["--config", *[f"{k}={v}" for k, v in config.items()]]
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture
def fastq_pair(tmp_path):
    """Factory writing FASTQ pairs into the test's tmp dir."""

    def make(name: str = "unit", n: int = 50, **kw):
        return write_fastq_pair(tmp_path / name, n, **kw)

    return make


def demo_available() -> bool:
    return (DEMO / "samples.tsv").exists()


requires_demo = pytest.mark.skipif(
    not demo_available(),
    reason="demo cohort not generated; run `make demo-data` (make test does it first)",
)
requires_shared = pytest.mark.skipif(
    not SHARED.exists(), reason="../shared is absent (developer data, not redistributable)"
)
