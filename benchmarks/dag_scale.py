"""Scale: dry-run DAG time and per-sample work for cohorts of growing size, up to 1,000 samples.

For each cohort size N a sheet of N samples is generated (one patient per three libraries:
host panel, 16S, shotgun; two lanes for every tenth host library), with empty FASTQ files (a
dry-run only needs them to exist), and ``snakemake -n`` builds the whole DAG. Printed per N:
wall time of the dry-run (median and range of ``--repeat`` runs) and the number of jobs. A
least-squares line jobs = a + b * N is fitted;
linear per-sample work means a constant b and a fit residual of zero (cohort-level rules such
as diversity and MultiQC are one job each, whatever N).

    python benchmarks/dag_scale.py [--sizes 100 250 500 1000] [--repeat 3]

Target (issue 7): the 1,000-sample dry-run in <= 30 s on the CI machine (2 cores).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
ASSAYS = ("host_panel", "16s", "shotgun")


def make_cohort(workdir: Path, n: int) -> Path:
    reads = workdir / "reads"
    reads.mkdir(parents=True, exist_ok=True)
    rows = ["patient_id\tsample_id\tassay\tunit\tfastq_1\tfastq_2\tgroup\tsex"]
    for i in range(n):
        patient = f"P{i // 3:04d}"
        assay = ASSAYS[i % 3]
        sample = f"{patient}-{assay.split('_')[0]}"
        lanes = ["L001", "L002"] if assay == "host_panel" and i % 30 == 0 else ["L001"]
        for lane in lanes:
            fq = [reads / f"{sample}_{lane}_R{r}.fastq.gz" for r in (1, 2)]
            for f in fq:
                f.touch()
            group = "AB"[(i // 3) % 2]
            rows.append(f"{patient}\t{sample}\t{assay}\t{lane}\t{fq[0]}\t{fq[1]}\t{group}\tF")
    sheet = workdir / "samples.tsv"
    sheet.write_text("\n".join(rows) + "\n")
    return sheet


def dry_run(workdir: Path, sheet: Path) -> tuple[float, str]:
    project = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    refs = {k: str(ROOT / v) for k, v in project["references"].items()}
    extra = workdir / "overrides.yaml"
    extra.write_text(yaml.safe_dump({"samples": str(sheet), "references": refs}))
    cmd = [
        sys.executable, "-m", "snakemake", "-n", "--quiet", "rules",
        "--snakefile", str(ROOT / "workflow" / "Snakefile"),
        "--configfile", str(ROOT / "config/config.yaml"), str(extra),
        "--directory", str(workdir / "run"), "--cores", "2",
    ]  # fmt: skip
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    # The SLURM executor plugin runs `scontrol show config` when Snakemake loads it, whatever
    # the executor. With slurm-client installed but no controller reachable (this CI machine
    # between SLURM tests) that waits ~9 s; it is not DAG work, so it is kept out of the timing.
    env.setdefault("SLURM_CONF", os.devnull)
    t0 = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env)
    elapsed = time.monotonic() - t0
    if proc.returncode != 0:
        raise SystemExit(proc.stdout[-2000:] + proc.stderr[-4000:])
    return elapsed, proc.stdout


def job_total(stdout: str) -> int:
    m = re.search(r"^total\s+(\d+)$", stdout, re.M)
    if not m:
        raise SystemExit("no job table in the dry-run output")
    return int(m.group(1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 250, 500, 1000])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rows = []
    print(
        f"{'samples':>8} {'patients':>8} {'jobs':>7} {'dry-run s':>10} {'min-max s':>11}"
        f" {'ms per job':>11}"
    )
    for n in args.sizes:
        with tempfile.TemporaryDirectory(prefix=f"holobiont-dag-{n}-") as tmp:
            sheet = make_cohort(Path(tmp), n)
            times, out = [], ""
            for _ in range(args.repeat):
                t, out = dry_run(Path(tmp), sheet)
                times.append(t)
            jobs = job_total(out)
            t = statistics.median(times)
            rows.append((n, jobs, t))
            spread = f"{min(times):.1f}-{max(times):.1f}"
            print(
                f"{n:>8} {-(-n // 3):>8} {jobs:>7} {t:>10.1f} {spread:>11} {1000 * t / jobs:>11.2f}"
            )
    ns = np.array([r[0] for r in rows], float)
    jobs = np.array([r[1] for r in rows], float)
    secs = np.array([r[2] for r in rows], float)
    b, a = np.polyfit(ns, jobs, 1)
    resid = jobs - (a + b * ns)
    tb, ta = np.polyfit(ns, secs, 1)
    r2 = 1 - np.sum((secs - (ta + tb * ns)) ** 2) / max(np.sum((secs - secs.mean()) ** 2), 1e-12)
    print(f"\njobs = {a:.1f} + {b:.3f} * samples   (max |residual| {np.abs(resid).max():.2f} jobs)")
    print(f"dry-run seconds = {ta:.2f} + {tb * 1000:.2f} per 1000 samples   (R^2 {r2:.3f})")
    biggest = max(rows)
    verdict = "meets" if biggest[2] <= 30 else "MISSES"
    print(f"{biggest[0]}-sample dry-run: {biggest[2]:.1f} s ({verdict} the 30 s target)")


if __name__ == "__main__":
    main()
