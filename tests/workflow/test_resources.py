"""Cluster resources: per-sample jobs are sized from the sample's raw FASTQ size.

The FASTQ files are sparse (1 GiB per sample, no disk used) and only a dry-run is made, so
the numbers printed by Snakemake can be compared exactly with the formulas in the rules
(workflow/rules/common.smk: ``sized``).
"""

from __future__ import annotations

import re

import pytest

from conftest import run_snakemake, sheet_row, write_sheet

MIB = 1024 * 1024


def sparse(path, size):
    with open(path, "wb") as fh:
        fh.truncate(size)
    return path


def job_resources(stdout: str) -> dict[str, dict[str, str]]:
    """rule name -> its resources, from a dry-run listing (first job of each rule)."""
    out = {}
    for block in re.split(r"\n(?=rule \w+:)", stdout):
        m = re.match(r"rule (\w+):", block)
        res = re.search(r"^\s+resources: (.*)$", block, re.M)
        threads = re.search(r"^\s+threads: (\d+)$", block, re.M)
        if m and res and m.group(1) not in out:
            out[m.group(1)] = dict(kv.split("=", 1) for kv in res.group(1).split(", "))
            out[m.group(1)]["threads"] = threads.group(1) if threads else "1"
    return out


def sized_dry_run(tmp_path_factory, *extra):
    tmp = tmp_path_factory.mktemp("resources")
    rows = []
    for sample, assay in (("P1-host", "host_panel"), ("P1-sg", "shotgun"), ("P1-16S", "16s")):
        r1 = sparse(tmp / f"{sample}_R1.fastq.gz", 512 * MIB)
        r2 = sparse(tmp / f"{sample}_R2.fastq.gz", 512 * MIB)
        rows.append(sheet_row("P1", sample, assay, r1, r2))
    sheet = write_sheet(tmp / "samples.tsv", rows)
    run = tmp / "run"
    # a 100 MiB minimap2 index already built: its size counts towards the aligners' memory
    (run / "results/host/reference").mkdir(parents=True)
    sparse(run / "results/host/reference/host.mmi", 100 * MIB)
    res = run_snakemake(run, "-n", *extra, config={"samples": sheet})
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return job_resources(res.stdout)


@pytest.fixture(scope="module")
def dry_run(tmp_path_factory):
    return sized_dry_run(tmp_path_factory)


@pytest.fixture(scope="module")
def dry_run_cluster_threads(tmp_path_factory):
    return sized_dry_run(tmp_path_factory, "--cores", "32", "--set-threads", "align_host=16")


@pytest.mark.parametrize(
    "rule, mem_mb, runtime",
    [
        # 1,024 MiB of raw reads per sample (two 512 MiB mates)
        ("fastp", 2 * 1024, 1024 // 20),
        ("cutadapt_16s", 1024, 1024 // 20),
        ("amplicon_merge_filter", 4 * 1024, 3 * 1024 // 20),
        ("amplicon_map", 4 * 1024, 1024 // 2),
        # 1,000 + a 768 MiB samtools sort buffer per thread (2 threads: --cores 2)
        ("shotgun_split_host", 1000 + 2 * 768, 1024 // 20),
        ("call_variants_chunk", 2000, 1024 // 2),
        ("call_variants", 2000, 1024 // 20),  # the gather: concat and sort
        # base 4,000 + reads + the index loaded into memory + per thread: the sort buffer and
        # minimap2's working memory (align_host), minimap2's (shotgun_host_align)
        ("align_host", 4000 + 1024 + 100 + 2 * (768 + 256), 1024 // 5),
        ("shotgun_host_align", 4000 + 1024 + 100 + 2 * 256, 1024 // 5),
    ],
)
def test_per_sample_jobs_scale_with_raw_read_size(dry_run, rule, mem_mb, runtime):
    assert dry_run[rule]["mem_mb"] == str(mem_mb)
    assert dry_run[rule]["runtime"] == str(runtime)


def test_memory_follows_the_threads_a_profile_sets(dry_run, dry_run_cluster_threads):
    # set-threads (the SLURM profile's way) gives the aligner 16 threads: memory follows
    assert dry_run["align_host"]["threads"] == dry_run["shotgun_split_host"]["threads"] == "2"
    res = dry_run_cluster_threads["align_host"]
    assert res["threads"] == "16"
    assert res["mem_mb"] == str(4000 + 1024 + 100 + 16 * (768 + 256))


def test_database_sized_job_waits_for_its_database(dry_run):
    # the Kraken 2 database is built by the run: its size, hence kraken2's memory, is known
    # only at submission (Snakemake evaluates a TBD resource again then)
    assert dry_run["kraken2"]["mem_mb"] == "<TBD>"
