"""Reproducibility: demo patients run on SLURM, and a demo run killed midway and resumed, give
the same bytes as local runs.

Three demo patients covering every branch run locally and through ``--profile
workflow/profiles/slurm-local`` (snakemake-executor-plugin-slurm, jobs submitted with sbatch to
the cluster that ``tools/slurm_local.sh`` starts), each into a fresh directory. Two runs in
different directories and through different executors must agree byte for byte on every final
output, which is the reproducibility test as well: nothing in a result may depend on time,
host, working directory or job order. The only exclusions are run metadata,
each with its reason below.

The kill test SIGKILLs a local run (Snakemake and every tool it started) once host VCFs start
to appear, then resumes it the way the README tells a user to (``--unlock``, then the same
command with ``--rerun-incomplete``): the resumed outputs must equal the uninterrupted run's.
"""

import filecmp
import fnmatch
import os
import re
import shutil
import signal
import subprocess
import time

import pytest

from conftest import DEMO_RUN, ROOT, requires_demo, run_snakemake, snakemake_command

pytestmark = [pytest.mark.workflow, requires_demo]

#: results/ paths (globs) that legitimately differ between two runs, and why.
RUN_METADATA = {
    "results/qc/multiqc/*": "MultiQC stamps its report with the creation time",
    "results/qc/fastp/*/*.fastp.html": "fastp stamps its HTML report with the run time (its "
    "JSON, which MultiQC and read_counts.tsv read, is compared)",
    "results/shotgun/kraken2_db/opts.k2d": "kraken2-build writes its options struct with "
    "uninitialised padding bytes (offsets 33-39); every classification made with the database "
    "(reports, Bracken and species tables) is compared",
}


@pytest.fixture(scope="module")
def slurm_cluster():
    if shutil.which("sbatch") is None or os.geteuid() != 0:
        pytest.fail("the SLURM test needs root and tools/install.sh --test (installs SLURM)")
    # 8 declared CPUs on the 2-core machine: many short jobs overlap their scheduling latency
    started = subprocess.run(
        [str(ROOT / "tools/slurm_local.sh"), "start"],
        capture_output=True,
        text=True,
        env={**os.environ, "SLURM_LOCAL_CPUS": "8"},
    )
    assert started.returncode == 0, started.stdout + started.stderr
    yield
    if "already up" not in started.stdout:
        subprocess.run([str(ROOT / "tools/slurm_local.sh"), "stop"], capture_output=True)


#: Three patients that cover every branch: P02 (all assays, two host lanes), P07 (no shotgun),
#: P08 (no 16S). The whole demo through SLURM takes ~15 min on the 2-core CI machine, mostly
#: the per-job start-up of ~220 jobs; this subset keeps the test at a few minutes.
SLURM_PATIENTS = ("P02", "P07", "P08")


@pytest.fixture(scope="module")
def subset_sheet(demo_sheet, tmp_path_factory):
    _, sheet = demo_sheet
    path = tmp_path_factory.mktemp("subset") / "samples.tsv"
    sheet[sheet.patient_id.isin(SLURM_PATIENTS)].to_csv(path, sep="\t", index=False)
    return path


@pytest.fixture(scope="module")
def local_subset_run(subset_sheet, tmp_path_factory):
    run = tmp_path_factory.mktemp("local_subset") / "run"
    res = run_snakemake(run, config={"samples": subset_sheet})
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-4000:]
    return run


@pytest.fixture(scope="module")
def slurm_run(slurm_cluster, subset_sheet, local_subset_run, tmp_path_factory):
    run = tmp_path_factory.mktemp("slurm") / "run"
    res = run_snakemake(
        run,
        "--profile",
        str(ROOT / "workflow/profiles/slurm-local"),
        "--slurm-logdir",
        str(run.parent / "slurm_logs"),
        "--slurm-keep-successful-logs",
        config={"samples": subset_sheet},
        timeout=2400,
    )
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-4000:]
    return run, res


def result_files(run):
    files = {str(p.relative_to(run)) for p in (run / "results").rglob("*") if p.is_file()}
    return {f for f in files if not any(fnmatch.fnmatch(f, g) for g in RUN_METADATA)}


def test_jobs_went_through_slurm(slurm_run):
    run, res = slurm_run
    assert "SLURM run ID" in res.stderr
    logs = list((run.parent / "slurm_logs").rglob("*.log"))
    # one log per submitted SLURM job (grouped jobs share one)
    assert len(logs) >= 15, f"{len(logs)} SLURM job logs: the jobs did not run through sbatch"


def test_slurm_and_local_runs_are_byte_identical(slurm_run, local_subset_run):
    slurm, _ = slurm_run
    assert_same_results(local_subset_run, slurm, min_files=60)


def assert_same_results(a, b, min_files=150):
    files = result_files(a)
    assert files == result_files(b), sorted(files ^ result_files(b))[:20]
    assert len(files) > min_files  # every stage's outputs, not a handful
    differ = sorted(f for f in files if not same_content(a / f, b / f))
    assert differ == [], differ


_THREADS = re.compile(r"(\s-t\s?)\d+")


def _bam_with_pg_threads_masked(path):
    import pysam

    with pysam.AlignmentFile(str(path), "rb") as bam:
        header = [
            _THREADS.sub(r"\1N", ln) if ln.startswith("@PG") else ln
            for ln in str(bam.header).splitlines()
        ]
        return header, [r.to_string() for r in bam]


def same_content(a, b):
    """Byte equality; for BAMs, every header line and record, with only the aligner's thread
    count (``-t N`` in the @PG command line) masked. The profile asks the local run's 2 threads
    for every job (workflow/profiles/slurm-local, set-threads), but inside a SLURM group job
    each step's Snakemake takes the CPUs its cgroup shows ("Provided cores"), and on this test
    node (8 CPUs declared on 2 real cores, tools/slurm_local.sh) a step can see 1 of them:
    minimap2 -t 1. That is the test cluster, not the result: the records are compared."""
    if filecmp.cmp(a, b, shallow=False):
        return True
    return a.suffix == ".bam" and _bam_with_pg_threads_masked(a) == _bam_with_pg_threads_masked(b)


def test_killed_run_resumes_to_identical_outputs(demo_run, demo_sheet, tmp_path):
    sheet_path, _ = demo_sheet
    run = tmp_path / "run"
    # the demo run's config (DEMO_RUN: with the Greengenes classification), as demo_run has
    cmd, env = snakemake_command(run, config={"samples": sheet_path}, overrides=DEMO_RUN)
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 900
    while not list(run.glob("results/host/vcf/*.vcf.gz")):
        assert proc.poll() is None, "the run ended before it could be killed"
        assert time.monotonic() < deadline, "no host VCF after 15 min"
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (run / "results/reports/cohort.html").exists()  # killed midway, not at the end
    unlock = run_snakemake(run, "--unlock", config={"samples": sheet_path}, overrides=DEMO_RUN)
    assert unlock.returncode == 0, unlock.stderr[-2000:]
    res = run_snakemake(
        run, "--rerun-incomplete", config={"samples": sheet_path}, overrides=DEMO_RUN
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert not list(run.rglob("*.tmp.*"))  # no temporary file of the killed jobs survives
    assert_same_results(demo_run[0], run)
