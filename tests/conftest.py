"""Shared fixtures: tiny FASTQ writers and a Snakemake runner for workflow tests."""

from __future__ import annotations

import fcntl
import gzip
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
# ../shared beside the project (as in CI); HOLOBIONT_SHARED points elsewhere (a worktree)
SHARED = Path(os.environ.get("HOLOBIONT_SHARED", ROOT.parent / "shared"))
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


def sheet_row(patient, sample, assay, r1, r2, unit="L001", **metadata) -> dict:
    """One sample-sheet row (for :func:`write_sheet`)."""
    return {
        "patient_id": patient,
        "sample_id": sample,
        "assay": assay,
        "unit": unit,
        "fastq_1": r1,
        "fastq_2": r2,
        **metadata,
    }


def write_sheet(path: os.PathLike, rows: list[dict], extra_cols: tuple[str, ...] = ()) -> Path:
    cols = ["patient_id", "sample_id", "assay", "unit", "fastq_1", "fastq_2", *extra_cols]
    with open(path, "w") as fh:
        fh.write("\t".join(cols) + "\n")
        for r in rows:
            fh.write("\t".join(str(r.get(c, "")) for c in cols) + "\n")
    return Path(path)


def snakemake_command(
    workdir: os.PathLike,
    *args: str,
    config: dict | None = None,
    overrides: dict | None = None,
) -> tuple[list[str], dict]:
    """Command line and environment that run the project's Snakefile in ``workdir``.

    ``config`` items go to ``--config key=value``; ``overrides`` (nested) is written to a YAML
    file layered over config/config.yaml with a second ``--configfile``.
    """
    configfiles = [str(ROOT / "config" / "config.yaml")]
    # The default references are relative to the project root; runs elsewhere get them absolute.
    project = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    refs = {k: str(ROOT / v) for k, v in project["references"].items()}
    refs.update((overrides or {}).get("references", {}))
    # The demo config also classifies the ASVs against the full Greengenes (amplicon.
    # extra_references, ~15 s); only the runs that ask for it do so (the demo run does).
    amplicon = {"extra_references": [], **(overrides or {}).get("amplicon", {})}
    overrides = {**(overrides or {}), "references": refs, "amplicon": amplicon}
    Path(workdir).mkdir(parents=True, exist_ok=True)
    extra = Path(workdir) / "overrides.yaml"
    extra.write_text(yaml.safe_dump(overrides))
    configfiles.append(str(extra))
    cmd = [
        sys.executable, "-m", "snakemake",
        "--snakefile", str(ROOT / "workflow" / "Snakefile"),
        "--configfile", *configfiles,
        "--directory", str(workdir),
        "--cores", "2",
        *args,
    ]  # fmt: skip
    if config:
        cmd += ["--config", *[f"{k}={v}" for k, v in config.items()]]
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"
    if not any("slurm" in a for a in args):
        # Snakemake loads the SLURM executor plugin for every run, and the plugin asks
        # `scontrol show config` at import. With slurm-client installed (tools/install.sh
        # --test) but no controller up, that waits ~9 s per Snakemake start; local runs do not
        # need SLURM, so they get a config that makes scontrol fail at once.
        env.setdefault("SLURM_CONF", os.devnull)
    return cmd, env


def run_snakemake(
    workdir: os.PathLike,
    *args: str,
    config: dict | None = None,
    overrides: dict | None = None,
    timeout: int = 1800,
) -> subprocess.CompletedProcess:
    """Run the project's Snakefile in ``workdir`` (see :func:`snakemake_command`)."""
    cmd, env = snakemake_command(workdir, *args, config=config, overrides=overrides)
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


def build_bracken(dest: Path) -> Path:
    """Build the real Bracken (../shared/tools/bracken, ``make -C src``) under `dest`; return
    its ``bracken-build``. Skips the test when the source or g++ is absent."""
    src = SHARED / "tools" / "bracken"
    if not (src / "src" / "Makefile").exists():
        pytest.skip(f"the Bracken source is absent ({src})")
    if not shutil.which("g++") or not shutil.which("make"):
        pytest.skip("g++/make are not installed (needed to build Bracken's kmer2read_distr)")
    shutil.copytree(src, dest / "bracken")
    subprocess.run(["make", "-C", str(dest / "bracken" / "src")], check=True, capture_output=True)
    return dest / "bracken" / "bracken-build"


def run_bracken_build(
    tool: Path, db: Path, library: Path, taxonomy: Path, read_length: int, work: Path
) -> Path:
    """Run the real ``bracken-build`` on Kraken 2 database `db` (its library FASTA and
    ``nodes.dmp`` folder given apart, as our built database keeps neither); return its
    ``database<L>mers.kmer_distrib``."""
    work.mkdir(parents=True)
    for name in ("hash.k2d", "opts.k2d", "taxo.k2d", "seqid2taxid.map"):
        (work / name).symlink_to(Path(db, name).resolve())
    (work / "library").mkdir()
    (work / "library" / "library.fna").symlink_to(Path(library).resolve())
    (work / "taxonomy").symlink_to(Path(taxonomy).resolve())
    res = subprocess.run(
        [str(tool), "-d", str(work), "-t", "1", "-k", "35", "-l", str(read_length)],
        capture_output=True,
        text=True,
    )
    out = work / f"database{read_length}mers.kmer_distrib"
    assert res.returncode == 0 and out.exists(), res.stdout[-3000:] + res.stderr[-3000:]
    return out


# The demo FASTQs are reached through a directory named like a person (as real data often is):
# nothing of this path may reach a report, its JSON or our report logs.
IDENTIFYING_DIR = "Doe_Jane_1970-01-01_MRN4711"


def _shared_dir(tmp_path_factory, name: str, build) -> Path:
    """A directory built once per test session even under pytest-xdist: the first worker to
    get the lock builds it (``build(path)``), the others wait and reuse it. (xdist's
    ``loadgroup`` does not keep a group on one worker with this pytest; see Makefile.)"""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # shared by every worker of this session
    path, done = root / name, root / f"{name}.done"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            if path.exists():  # a previous builder failed midway
                shutil.rmtree(path)
            path.mkdir()
            build(path)
            done.write_text("ok\n")
    return path


def _build_demo_sheet(tmp: Path) -> None:
    sheet = pd.read_csv(ROOT / "config" / "samples.tsv", sep="\t", dtype=str, keep_default_na=False)
    (tmp / IDENTIFYING_DIR).symlink_to(DEMO)
    for col in ("fastq_1", "fastq_2", "pgx_outside_calls"):
        sheet[col] = [
            str(tmp / IDENTIFYING_DIR / p.split("resources/demo/data/", 1)[1]) if p else ""
            for p in sheet[col]
        ]
    sheet.to_csv(tmp / "samples.tsv", sep="\t", index=False)


@pytest.fixture(scope="session")
def demo_sheet(tmp_path_factory):
    """The demo sheet with absolute FASTQ paths under IDENTIFYING_DIR: (path, DataFrame)."""
    path = _shared_dir(tmp_path_factory, "demo_sheet", _build_demo_sheet) / "samples.tsv"
    return path, pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)


#: Overrides of the demo run: the demo config's extra 16S references, which the other runs
#: leave out (snakemake_command).
DEMO_RUN = {
    "amplicon": {
        "extra_references": yaml.safe_load((ROOT / "config" / "config.yaml").read_text())[
            "amplicon"
        ]["extra_references"]
    }
}


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory, demo_sheet):
    """One local run of the whole demo per test session, shared by every worker."""
    sheet_path, sheet = demo_sheet

    def build(tmp):
        # the scripts Snakemake ran are kept (.snakemake/scripts/): tests/workflow/
        # test_python_env.py runs each Python step again from them in a venv of envs/python.yaml
        res = run_snakemake(
            tmp / "run", "--skip-script-cleanup", config={"samples": sheet_path}, overrides=DEMO_RUN
        )
        assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-4000:]

    run = _shared_dir(tmp_path_factory, "demo_run", build) / "run"
    return run, sheet, sheet_path
