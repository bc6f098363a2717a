"""Read QC with the real tools (fastp, cutadapt) on a tiny cohort, and a bad FASTQ
stopping its unit with a clear message and no partial outputs."""

import gzip
import hashlib
import json

import numpy as np
import pandas as pd
import pytest

from conftest import run_snakemake, sheet_row, write_fastq_pair, write_sheet

pytestmark = [pytest.mark.workflow]

# The QC stage's own outputs and the versions its tools recorded. The cohort MultiQC and
# provenance.json, which wait for every stage's reports and versions, are checked in
# test_demo_e2e.py (and provenance's own logic in tests/unit/test_provenance.py), so that this
# test runs QC only.
QC_TARGETS = (
    "results/qc/read_counts.tsv",
    *[f"results/provenance/versions/fastp/{s}.yml" for s in ("P01-host.L001", "P02-sg.1")],
    "results/provenance/versions/cutadapt_16s/P01-16S.1.yml",
    *[f"results/qc/check/{s}.json" for s in ("P01-host/L001", "P01-host/L002", "P01-16S/1")],
    *[
        f"results/qc/merged/{s}_{r}.fastq.gz"
        for s in ("P01-host", "P01-16S", "P02-sg")
        for r in ("R1", "R2")
    ],
)
FWD, REV = "GTGCCAGCAGCCGCGGTAA", "GGACTACAAGGGTATCTAAT"  # concrete 515F/806R variants


def cohort(tmp_path, broken=None):
    reads = tmp_path / "reads"
    reads.mkdir()
    spec = [
        ("P01", "P01-host", "host_wgs", "L001", 300, {}),
        ("P01", "P01-host", "host_wgs", "L002", 200, {}),
        ("P01", "P01-16S", "16s", "1", 250, {"r1_prefix": FWD, "r2_prefix": REV, "length": 200}),
        ("P02", "P02-sg", "shotgun", "1", 150, {}),
    ]
    rows = []
    for i, (patient, sample, assay, unit, n, kw) in enumerate(spec):
        r1, r2 = write_fastq_pair(reads / f"{sample}_{unit}", n, seed=i, **kw)
        if broken == sample:
            data = r2.read_bytes()
            r2.write_bytes(data[: len(data) // 2])
        rows.append(sheet_row(patient, sample, assay, r1, r2, unit=unit, group="A"))
    return write_sheet(tmp_path / "samples.tsv", rows, extra_cols=("group",)), rows


def count_reads(path):
    with gzip.open(path, "rt") as fh:
        return sum(1 for _ in fh) // 4


def test_qc_on_tiny_cohort(tmp_path):
    sheet, rows = cohort(tmp_path)
    run = tmp_path / "run"
    res = run_snakemake(run, *QC_TARGETS, config={"samples": sheet})
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    counts = pd.read_csv(run / "results/qc/read_counts.tsv", sep="\t", dtype={"unit": str})
    assert list(zip(counts.sample_id, counts.unit, strict=True)) == [
        ("P01-16S", "1"),
        ("P01-host", "L001"),
        ("P01-host", "L002"),
        ("P02-sg", "1"),
    ]
    assert counts.read_pairs_in.tolist() == [250, 300, 200, 150]
    assert (counts.status == "PASS").all()
    # cutadapt found the primer on every read and trimmed it
    amp = counts.set_index("sample_id").loc["P01-16S"]
    assert amp.read_pairs_out == 250 and amp.adapter_trimmed_reads == 250
    with gzip.open(run / "results/qc/merged/P01-16S_R1.fastq.gz", "rt") as fh:
        fh.readline()
        assert len(fh.readline().strip()) == 200  # primer removed
    # lanes merged after QC: merged read count = sum of the units' QC'd reads
    host = counts[counts.sample_id == "P01-host"].read_pairs_out.sum()
    assert count_reads(run / "results/qc/merged/P01-host_R1.fastq.gz") == host
    assert count_reads(run / "results/qc/merged/P01-host_R2.fastq.gz") == host
    # provenance's sources: the versions each tool rule recorded, and the checksum of every
    # input file in its unit's integrity check
    versions = run / "results/provenance/versions"
    assert (versions / "fastp/P01-host.L001.yml").read_text().startswith('fastp: "')
    assert (versions / "cutadapt_16s/P01-16S.1.yml").read_text().startswith('cutadapt: "')
    for r in rows:
        check = json.loads(
            (run / f"results/qc/check/{r['sample_id']}/{r['unit']}.json").read_text()
        )
        assert check["sha256_r1"] == hashlib.sha256(r["fastq_1"].read_bytes()).hexdigest()
        assert check["sha256_r2"] == hashlib.sha256(r["fastq_2"].read_bytes()).hexdigest()
    # temporary per-unit QC reads are gone, merged ones are kept
    assert not list((run / "results/qc/fastp").rglob("*.fastq.gz"))


def test_truncated_fastq_stops_its_unit_with_a_clear_message(tmp_path):
    sheet, _ = cohort(tmp_path, broken="P02-sg")
    run = tmp_path / "run"
    res = run_snakemake(
        run, "--keep-going", *QC_TARGETS, "results/qc/check/summary.tsv", config={"samples": sheet}
    )
    assert res.returncode != 0  # fastq_check_summary fails the run, naming the unit
    assert "1 unit(s) failed the FASTQ check" in res.stderr
    log = (run / "logs/qc/check_fastq/P02-sg.1.log").read_text()
    assert "FASTQ check failed for sample P02-sg unit 1" in log
    assert "truncated" in log and "copy it again" in log
    assert not list(run.glob("results/qc/check/P02-sg/*.tmp.*"))
    # Changed with issue 11: the failed unit is recorded as FAIL and goes on as an empty pair
    # (nothing of its reads passes), so the tables that need every unit are still built.
    check = json.loads((run / "results/qc/check/P02-sg/1.json").read_text())
    assert check["status"] == "FAIL" and check["read_pairs"] == 0
    assert count_reads(run / "results/qc/merged/P02-sg_R1.fastq.gz") == 0
    counts = pd.read_csv(run / "results/qc/read_counts.tsv", sep="\t").set_index("sample_id")
    assert counts.loc["P02-sg", "status"] == "FAIL"
    assert counts.loc["P02-sg", "read_pairs_out"] == 0
    assert counts.loc["P02-sg", "reason"].startswith("FASTQ check failed (logs/qc/check_fastq/")
    # the other samples went through (--keep-going)
    assert (run / "results/qc/merged/P01-host_R1.fastq.gz").exists()
    assert (counts.drop(index="P02-sg")["status"] == "PASS").all()


ADAPTER_R1 = "AGATCGGAAGAGCACACGTCTGAACTCCAGTCA"  # TruSeq read 1 / read 2 3' adapters
ADAPTER_R2 = "AGATCGGAAGAGCGTCGTGTAGGGAAAGAGTGT"


def _poor_tail_library(path, seed):
    """50 pairs of 100 bp inserts read through into the adapter (good quality) and 50 pairs of
    long inserts whose last 60 bases are Q2 (an Illumina run going bad): 100 pairs x 2x150."""
    rng = np.random.default_rng(seed)
    comp = str.maketrans("ACGT", "TGCA")
    r1p, r2p = (
        path.with_name(path.name + "_R1.fastq.gz"),
        path.with_name(path.name + "_R2.fastq.gz"),
    )
    with gzip.open(r1p, "wt") as r1, gzip.open(r2p, "wt") as r2:
        for i in range(100):
            if i < 50:
                frag = "".join(rng.choice(list("ACGT"), 100))
                a = frag + ADAPTER_R1 + "A" * 17
                b = frag.translate(comp)[::-1] + ADAPTER_R2 + "A" * 17
                qa = qb = "F" * 150
            else:
                frag = "".join(rng.choice(list("ACGT"), 400))
                a, b = frag[:150], frag[-150:].translate(comp)[::-1]
                qa = qb = "F" * 90 + "#" * 60
            r1.write(f"@M1:1:FC:1:1:{i}:1 1:N:0:ACGT\n{a}\n+\n{qa}\n")
            r2.write(f"@M1:1:FC:1:1:{i}:1 2:N:0:ACGT\n{b}\n+\n{qb}\n")
    return r1p, r2p


def _fastp_summary(run, sample):
    doc = json.loads((run / f"results/qc/fastp/{sample}/{sample}.L001.fastp.json").read_text())
    return doc["summary"]["before_filtering"], doc["summary"]["after_filtering"]


@pytest.mark.parametrize("host_trimming", ["adapters", "quality"])
def test_host_libraries_get_adapter_trimming_only_by_default(tmp_path, host_trimming):
    reads = tmp_path / "reads"
    reads.mkdir()
    rows = [
        sheet_row("P01", "P01-host", "host_wgs", *_poor_tail_library(reads / "h", 1)),
        sheet_row("P02", "P02-sg", "shotgun", *_poor_tail_library(reads / "s", 1)),
    ]
    sheet = write_sheet(tmp_path / "samples.tsv", rows)
    run = tmp_path / "run"
    targets = [f"results/qc/fastp/{s}/{s}.L001.fastp.json" for s in ("P01-host", "P02-sg")]
    res = run_snakemake(
        run,
        *targets,
        overrides={"samples": str(sheet), "qc": {"fastp": {"host_trimming": host_trimming}}},
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    before, after = _fastp_summary(run, "P01-host")
    assert before["total_reads"] == 200
    # adapter read-through removed in both modes: 100 bp inserts, 150 bp long reads
    if host_trimming == "adapters":
        assert after["total_reads"] == 200  # no read dropped
        assert after["total_bases"] == 100 * 100 + 100 * 150  # only the adapters went
    else:  # the old behaviour: the Q2 tails are cut (or whole reads dropped)
        assert after["total_bases"] <= 100 * 100 + 100 * 90
    sg_before, sg_after = _fastp_summary(run, "P02-sg")
    assert sg_before["total_reads"] == 200
    assert sg_after["total_bases"] <= 100 * 100 + 100 * 90  # shotgun: quality trimming kept
