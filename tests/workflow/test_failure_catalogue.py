"""Catalogue of bad inputs: each gets its message (or its handled path), and no partial output.

Every case runs the real workflow on a tiny cohort with one defect and checks
* the exit status (stop or go on),
* the message a technician sees, where they see it (the terminal, or the rule's log), and
* that nothing half-written is left: no ``*.tmp.*`` file anywhere under ``results/``, and the
  failing step's outputs absent.

| # | bad input                                   | where caught            | result          |
|---|---------------------------------------------|-------------------------|-----------------|
| 1 | duplicate sample + unit                     | sheet, before any job   | stop, line/col  |
| 2 | FASTQ file listed but missing               | sheet                   | stop            |
| 3 | unknown assay                               | sheet                   | stop            |
| 4 | one sample under two patients               | sheet                   | stop            |
| 5 | one FASTQ listed in two rows                | sheet                   | stop            |
| 6 | patient ID "cohort" (reserved)              | sheet                   | stop            |
| 7 | required column missing                     | sheet                   | stop            |
| 8 | ID with a space / slash                     | sheet                   | stop            |
| 9 | misspelt config key                         | config                  | stop            |
| 10| config value out of range                   | config                  | stop            |
| 11| truncated gzip                              | check_fastq             | unit stops      |
| 12| ".gz" file that is not gzip                 | check_fastq             | unit stops      |
| 13| malformed record (quality length)           | check_fastq             | unit stops      |
| 14| mates with different read counts            | check_fastq             | unit stops      |
| 15| mates with different read names             | check_fastq             | unit stops      |
| 16| empty FASTQ pair                            | check_fastq             | unit stops      |
| 17| reference without "chr" contig names        | check_host_reference    | host stops      |
| 18| non-GRCh38 reference (other bases at PGx)   | check_host_reference    | host stops      |
| 18b| hg19 reference (hg19 contig lengths), in   | check_host_reference    | host / shotgun  |
|   | every branch using it: wgs, wes, panel,     |                         | stop, names it  |
|   | shotgun host removal                        |                         |                 |
| 18c| .dict edited to declare another build after | check_host_reference    | reruns, stop    |
|   | a run (and replaced with an older mtime)    | (and ledger)            | ("touch")       |
| 19| incomplete / corrupt Kraken2 database       | config, before any job  | stop            |
| 20| empty sample after QC (all reads too short) | qc_summary              | FAIL, goes on   |
| 21| all-zero feature table                      | diversity               | empty, warning  |
| 22| sample below the rarefaction depth          | diversity               | dropped+reason  |
| 23| stool library with zero human reads         | identity check          | "no human reads"|

Issue 11 (real inputs, no silent wrong results):

| # | bad input                                   | where caught            | result          |
|---|---------------------------------------------|-------------------------|-----------------|
| 24| blank and comment lines in the sheet        | sheet                   | real line named |
| 25| trailing tab on data rows                   | sheet                   | stop, says so   |
| 26| duplicated column name                      | sheet                   | stop, says so   |
| 27| report.group_by not a sheet column          | config + sheet          | stop, key named |
| 28| Phred+64 qualities                          | check_fastq             | unit FAIL       |
| 29| lowercase bases                             | check_fastq             | unit FAIL       |
| 30| read 2 a copy of read 1                     | check_fastq             | unit FAIL       |
| 31| 16S reads without primers (defaults)        | check_fastq             | unit FAIL, key  |
| 32| 16S mates swapped                           | check_fastq             | unit FAIL       |
| 33| 16S without primers + already_removed       | cutadapt / tracking     | same ASVs       |
| 34| uncompressed .fastq + one bad unit          | whole run, --keep-going | others reported |
| 35| FASTQ replaced with an older mtime          | params stamp            | rerun           |
| 36| reference replaced with an older mtime      | ledger, before any job  | stop, "touch"   |
| 37| --directory with the shipped config         | DAG                     | no traceback    |
| 38| venv not on PATH                            | rules                   | tools found     |

Cases 11-16 changed with issue 11: the failed unit's check JSON is kept with status FAIL (so
the other samples' tables and reports are built) and rule fastq_check_summary fails the run.
Unit tests cover the rest: sheet export faults (tests/unit/test_sheet.py), host FASTA that
cannot be indexed, "disk full" (test_provenance.py), "not measured" in the reports
(test_report.py), the reference ledger (test_stamps.py).
"""

from __future__ import annotations

import gzip
import json
import os

import numpy as np
import pytest

from conftest import DEMO, requires_demo, run_snakemake, write_fastq_pair, write_sheet
from conftest import sheet_row as row

pytestmark = [pytest.mark.workflow]


def no_partial_outputs(run):
    leftovers = list(run.rglob("*.tmp.*")) if run.exists() else []
    assert leftovers == [], leftovers


# ------------------------------------------------------------------ sheet and config (1-10)
def _pair(tmp_path, name, n=20, **kw):
    return write_fastq_pair(tmp_path / "reads" / name, n, **kw)


def _sheet_case(tmp_path, case):
    (tmp_path / "reads").mkdir(exist_ok=True)
    a1, a2 = _pair(tmp_path, "a")
    b1, b2 = _pair(tmp_path, "b", seed=1)
    rows = [row("P01", "P01-sg", "shotgun", a1, a2), row("P02", "P02-sg", "shotgun", b1, b2)]
    cols = ()
    if case == "duplicate_unit":
        rows[1] = row("P01", "P01-sg", "shotgun", b1, b2)
        expect = "sample 'P01-sg' unit 'L001' is listed on lines 2, 3"
    elif case == "missing_file":
        rows[1]["fastq_2"] = tmp_path / "reads" / "gone_R2.fastq.gz"
        expect = "line 3, column 'fastq_2'"
    elif case == "unknown_assay":
        rows[1]["assay"] = "metagenome"
        expect = "line 3, column 'assay': 'metagenome' is not a known assay"
    elif case == "sample_two_patients":
        rows.append(row("P02", "P01-sg", "shotgun", b1, b2, unit="L002"))
        expect = "sample 'P01-sg' is given patients P01, P02"
    elif case == "same_file_twice":
        rows[1]["fastq_1"], rows[1]["fastq_2"] = a1, a2
        expect = "line 3, column 'fastq_1'"
    elif case == "reserved_id":
        rows[1]["patient_id"] = "cohort"
        expect = "'cohort' is reserved for the cohort report"
    elif case == "bad_id":
        rows[1]["sample_id"] = "P02 stool/1"
        expect = "line 3, column 'sample_id'"
    elif case in ("comment_and_blank_lines", "trailing_tab", "duplicated_column"):
        sheet = write_sheet(tmp_path / "samples.tsv", rows, extra_cols=("group",))
        header, a, b = sheet.read_text().splitlines()
        if case == "comment_and_blank_lines":
            lines = ["# run 42", header, "", a, "# second patient", b.replace("shotgun", "wgs")]
            expect = "line 6, column 'assay': 'wgs' is not a known assay"
        elif case == "trailing_tab":
            lines = [header, a + "\t", b + "\t"]
            expect = "line 2: the row has 1 more tab(s) than the header"
        else:
            lines = [header + "\tgroup", a + "\tB", b + "\tB"]
            expect = "line 1, column 'group': the header names column 'group' 2 times"
        sheet.write_text("\n".join(lines) + "\n")
        return sheet, expect
    elif case == "group_by_not_in_sheet":
        expect = "config report.group_by = 'arm' is not a column of the sample sheet"
    else:
        raise AssertionError(case)
    return write_sheet(tmp_path / "samples.tsv", rows, extra_cols=cols), expect


@pytest.mark.parametrize(
    "case",
    [
        "duplicate_unit",
        "missing_file",
        "unknown_assay",
        "sample_two_patients",
        "same_file_twice",
        "reserved_id",
        "bad_id",
        "comment_and_blank_lines",
        "trailing_tab",
        "duplicated_column",
        "group_by_not_in_sheet",
    ],
)
def test_bad_sheet(tmp_path, case):
    sheet, expect = _sheet_case(tmp_path, case)
    run = tmp_path / "run"
    extra = {"report": {"group_by": "arm"}} if case == "group_by_not_in_sheet" else {}
    res = run_snakemake(run, overrides={"samples": str(sheet), **extra})
    assert res.returncode != 0
    assert expect in res.stderr, res.stderr[-2000:]
    assert "Nothing was run" in res.stderr
    assert not (run / "results").exists()


def test_missing_column(tmp_path):
    (tmp_path / "reads").mkdir()
    a1, a2 = _pair(tmp_path, "a")
    sheet = tmp_path / "samples.tsv"
    sheet.write_text(f"patient_id\tsample_id\tassay\tfastq_1\nP01\tP01-sg\tshotgun\t{a1}\n")
    res = run_snakemake(tmp_path / "run", config={"samples": sheet})
    assert res.returncode != 0
    assert "fastq_2" in res.stderr and "Nothing was run" in res.stderr
    assert not (tmp_path / "run/results").exists()


@pytest.mark.parametrize(
    ("overrides", "expect"),
    [
        ({"qc": {"fastp": {"length_requird": 30}}}, "qc.fastp: unknown key(s) length_requird"),
        ({"diversity": {"permutations": -1}}, "diversity.permutations = -1: must be at least 0"),
    ],
    ids=["misspelt_key", "out_of_range"],
)
def test_bad_config(tmp_path, overrides, expect):
    sheet, _ = _sheet_case(tmp_path, "unknown_assay")
    sheet.write_text(sheet.read_text().replace("metagenome", "shotgun"))
    res = run_snakemake(tmp_path / "run", overrides={"samples": str(sheet), **overrides})
    assert res.returncode != 0
    assert expect in res.stdout + res.stderr
    assert not (tmp_path / "run/results").exists()


# ------------------------------------------------------------------ FASTQ content (11-16)
def _damage(r1, r2, case):
    if case == "truncated_gzip":
        data = r2.read_bytes()
        r2.write_bytes(data[: len(data) // 2])
        return "the compressed file is truncated or corrupt"
    if case == "not_gzip":
        r1.write_bytes(gzip.decompress(r1.read_bytes()))
        return "the name ends in .gz but the file is not gzip-compressed"
    if case == "bad_record":
        lines = gzip.decompress(r1.read_bytes()).decode().splitlines()
        lines[7] = lines[7][:-5]  # record 2: quality 5 shorter than its sequence
        r1.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
        return "record 2 (line 5)"
    if case == "mate_count":
        lines = gzip.decompress(r2.read_bytes()).decode().splitlines()
        r2.write_bytes(gzip.compress(("\n".join(lines[:-8]) + "\n").encode()))
        return "mates are unpaired"
    if case == "mate_names":
        lines = gzip.decompress(r2.read_bytes()).decode().splitlines()
        lines[4] = "@OTHER:1:FC:1:1:99:1 2:N:0:ACGT"
        r2.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
        return "mates are unpaired at record 2"
    if case == "empty":
        r1.write_bytes(gzip.compress(b""))
        r2.write_bytes(gzip.compress(b""))
        return "contain no reads"
    lines = gzip.decompress(r1.read_bytes()).decode().splitlines()
    if case == "phred64":  # 'F' (Q37) + 31 = 'e', and a few low bases at 'B' (Q2)
        lines = [x.replace("F", "e")[:-3] + "BBh" if i % 4 == 3 else x for i, x in enumerate(lines)]
        r1.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
        return "the file uses the old Illumina Phred+64 quality encoding"
    if case == "lowercase":
        lines = [x.lower() if i % 4 == 1 else x for i, x in enumerate(lines)]
        r1.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
        return "record 1 (line 1): the sequence has lowercase bases"
    if case == "r2_copy_of_r1":
        r2.write_bytes(r1.read_bytes())
        return "read 2 is a copy of read 1, not its mate"
    raise AssertionError(case)


@pytest.mark.parametrize(
    "case",
    [
        "truncated_gzip",
        "not_gzip",
        "bad_record",
        "mate_count",
        "mate_names",
        "empty",
        "phred64",
        "lowercase",
        "r2_copy_of_r1",
    ],
)
def test_bad_fastq_stops_its_unit(tmp_path, case):
    (tmp_path / "reads").mkdir()
    good = _pair(tmp_path, "good", n=40)
    bad = _pair(tmp_path, "bad", n=40, seed=3)
    expect = _damage(*bad, case)
    sheet = write_sheet(
        tmp_path / "samples.tsv",
        [row("P01", "P01-sg", "shotgun", *good), row("P02", "P02-sg", "shotgun", *bad)],
    )
    run = tmp_path / "run"
    targets = [f"results/qc/check/P0{i}-sg/L001.json" for i in (1, 2)]
    res = run_snakemake(
        run, "--keep-going", *targets, "results/qc/check/summary.tsv", config={"samples": sheet}
    )
    assert res.returncode != 0  # the run fails (fastq_check_summary), naming the unit
    log = (run / "logs/qc/check_fastq/P02-sg.L001.log").read_text()
    assert "FASTQ check failed for sample P02-sg unit L001" in log
    assert expect in log, log
    summary = (run / "logs/qc/fastq_check_summary.log").read_text()
    assert "FASTQ check failed for sample P02-sg unit L001" in summary and expect in summary
    assert not (run / "results/qc/check/summary.tsv").exists()
    # issue 11: the failed unit's check is recorded as FAIL (its QC reads an empty pair, so
    # the other samples' tables and reports are built without it); it passes nothing on
    bad = json.loads((run / "results/qc/check/P02-sg/L001.json").read_text())
    assert bad["status"] == "FAIL" and bad["read_pairs"] == 0 and bad["sha256_r1"] == ""
    good = json.loads((run / "results/qc/check/P01-sg/L001.json").read_text())
    assert good["status"] == "PASS" and good["read_pairs"] == 40  # the good unit went on
    no_partial_outputs(run)


# ------------------------------------------------------------------ host reference (17-18)
def _write_fasta(path, contigs):
    with open(path, "w") as fh:
        for name, seq in contigs.items():
            fh.write(f">{name}\n")
            for i in range(0, len(seq), 60):
                fh.write(seq[i : i + 60] + "\n")


@requires_demo
@pytest.mark.parametrize("case", ["no_chr", "not_grch38"])
def test_wrong_host_reference_stops_host_stage(tmp_path, case):
    import pysam

    with pysam.FastaFile(str(DEMO / "reference/demo_grch38.fa.gz")) as fa:
        contigs = {c: fa.fetch(c) for c in fa.references}
    if case == "no_chr":
        contigs = {c.removeprefix("chr"): s for c, s in contigs.items()}
        expect = "has no contig named 'chr...'"
    else:  # every base complemented: same names and lengths, other sequence (other build)
        table = str.maketrans("ACGTacgt", "TGCAtgca")
        contigs = {c: s.translate(table) for c, s in contigs.items()}
        expect = "does not look like GRCh38"
    ref = tmp_path / "ref.fa"
    _write_fasta(ref, contigs)
    if case == "not_grch38":  # declared GRCh38 as the demo's: the bases must refuse it
        (tmp_path / "ref.dict").write_text((DEMO / "reference/demo_grch38.dict").read_text())
    sheet = write_sheet(
        tmp_path / "samples.tsv",
        [
            row(
                "P01",
                "P01-host",
                "host_panel",
                DEMO / "reads/P01-host_L001_R1.fastq.gz",
                DEMO / "reads/P01-host_L001_R2.fastq.gz",
            )
        ],
    )
    run = tmp_path / "run"
    res = run_snakemake(
        run,
        "results/host/reference_check.json",
        overrides={"samples": str(sheet), "references": {"host_fasta": str(ref)}},
    )
    assert res.returncode != 0
    log = (run / "logs/host/check_reference.log").read_text()
    assert expect in log, log
    assert not (run / "results/host/reference_check.json").exists()
    no_partial_outputs(run)


#: Final output of each branch that uses the host reference, and the assay behind it.
BRANCH_OUTPUT = {
    "host_wgs": "results/host/vcf/P01-x.vcf.gz",
    "host_wes": "results/host/vcf/P01-x.vcf.gz",
    "host_panel": "results/host/vcf/P01-x.vcf.gz",
    "shotgun": "results/shotgun/microbial/P01-x_R1.fastq.gz",  # host removal
}


@requires_demo
@pytest.mark.parametrize("assay", sorted(BRANCH_OUTPUT))
def test_hg19_reference_is_refused_naming_the_build_in_every_branch(tmp_path, assay):
    # hg19 chr20 (all N: no PGx position, so no base can be compared; it used to pass)
    ref = tmp_path / "hg19.fa"
    with open(ref, "w") as fh:
        n = 63_025_520
        fh.write(">chr20\n" + ("N" * 60 + "\n") * (n // 60) + "N" * (n % 60) + "\n")
    (tmp_path / "reads").mkdir()
    reads = _pair(tmp_path, "x", n=50)
    sheet = write_sheet(tmp_path / "samples.tsv", [row("P01", "P01-x", assay, *reads)])
    run = tmp_path / "run"
    res = run_snakemake(
        run,
        BRANCH_OUTPUT[assay],
        overrides={"samples": str(sheet), "references": {"host_fasta": str(ref)}},
    )
    assert res.returncode != 0
    log = (run / "logs/host/check_reference.log").read_text()
    assert (
        "hg19.fa is GRCh37/hg19, not GRCh38: contig chr20 is 63,025,520 bp, the length of "
        "GRCh37/hg19's (GRCh38's is 64,444,167 bp)" in log
    ), log
    assert "Error in rule check_host_reference" in res.stderr  # the terminal names the step
    assert not (run / BRANCH_OUTPUT[assay]).exists()
    assert not (run / "results/host/reference_check.json").exists()
    no_partial_outputs(run)


@requires_demo
def test_dict_declaring_another_build_reruns_the_reference_check(tmp_path):
    # The .dict's AS field declares the build of a FASTA of GRCh38 windows (the demo's): the
    # check reads it, so it is an input: edited after a run, the check runs again and refuses;
    # replaced with an older mtime, the reference ledger stops the run.
    import shutil

    ref = tmp_path / "ref"
    ref.mkdir()
    for name in ("demo_grch38.fa.gz", "demo_grch38.fa.gz.fai", "demo_grch38.fa.gz.gzi"):
        shutil.copy2(DEMO / "reference" / name, ref / name)
    dct = ref / "demo_grch38.dict"
    dct.write_text((DEMO / "reference/demo_grch38.dict").read_text())
    (tmp_path / "reads").mkdir()
    sheet = write_sheet(
        tmp_path / "samples.tsv", [row("P01", "P01-x", "host_panel", *_pair(tmp_path, "x"))]
    )
    run = tmp_path / "run"
    over = {"samples": str(sheet), "references": {"host_fasta": str(ref / "demo_grch38.fa.gz")}}
    target = "results/host/reference_check.json"
    res = run_snakemake(run, target, overrides=over)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "declared AS:GRCh38" in json.loads((run / target).read_text())["build_evidence"]
    grch38 = dct.read_text()
    dct.write_text(grch38.replace("AS:GRCh38", "AS:hg19"))  # newer mtime: a rerun
    res = run_snakemake(run, target, overrides=over)
    assert res.returncode != 0, res.stdout[-2000:]
    log = (run / "logs/host/check_reference.log").read_text()
    assert "is declared GRCh37/hg19 (declared AS:hg19 in demo_grch38.dict), not GRCh38" in log, log
    assert not (run / target).exists()
    # back to GRCh38 (passes), then hg19 again with an older mtime: the ledger stops the run
    dct.write_text(grch38)
    assert run_snakemake(run, target, overrides=over).returncode == 0
    old = dct.stat().st_mtime_ns - 10**9
    dct.write_text(grch38.replace("AS:GRCh38", "AS:hg19"))
    os.utime(dct, ns=(old, old))
    res = run_snakemake(run, target, "-n", overrides=over)
    assert res.returncode != 0
    assert f"Run `touch {dct}`" in res.stdout + res.stderr


# ------------------------------------------------------------------ database (19)
def test_corrupt_kraken2_database_stops_before_any_job(tmp_path):
    db = tmp_path / "k2"
    db.mkdir()
    for name in ("hash.k2d", "opts.k2d", "taxo.k2d"):
        (db / name).write_bytes(b"")  # present but empty: a copy that failed
    (tmp_path / "reads").mkdir()
    a = _pair(tmp_path, "a")
    sheet = write_sheet(tmp_path / "samples.tsv", [row("P01", "P01-sg", "shotgun", *a)])
    run = tmp_path / "run"
    res = run_snakemake(
        run, "-n", overrides={"samples": str(sheet), "shotgun": {"kraken2_db": str(db)}}
    )
    assert res.returncode != 0
    out = res.stdout + res.stderr
    assert f"shotgun.kraken2_db = '{db}' is a Kraken2 database with missing or empty files" in out
    assert "hash.k2d (empty), opts.k2d (empty), taxo.k2d (empty)" in out
    assert not (run / "results").exists()


# ------------------------------------------------------------------ handled paths (20-23)
def test_empty_sample_after_qc_is_flagged_and_the_run_goes_on(tmp_path):
    (tmp_path / "reads").mkdir()
    good = _pair(tmp_path, "good", n=60)
    short = _pair(tmp_path, "short", n=60, length=20, seed=5)  # below fastp's length_required
    sheet = write_sheet(
        tmp_path / "samples.tsv",
        [row("P01", "P01-sg", "shotgun", *good), row("P02", "P02-sg", "shotgun", *short)],
    )
    run = tmp_path / "run"
    res = run_snakemake(run, "results/qc/read_counts.tsv", config={"samples": sheet})
    assert res.returncode == 0, res.stderr[-2000:]
    counts = (run / "results/qc/read_counts.tsv").read_text().splitlines()
    status = {line.split("\t")[1]: line.split("\t")[-1] for line in counts[1:]}
    assert status == {"P01-sg": "PASS", "P02-sg": "FAIL"}
    assert (
        "P02-sg unit L001 has no reads left after QC"
        in (run / "logs/qc/qc_summary.log").read_text()
    )
    no_partial_outputs(run)


def test_all_zero_table_and_sample_below_depth(tmp_path):
    from holobiont.core.diversity import cohort_diversity
    from holobiont.core.table import FeatureTable

    meta = {s: {"group": g} for s, g in zip("abc", "ABA", strict=True)}
    zero = FeatureTable(np.zeros((3, 4), int), list("abc"), [f"t{i}" for i in range(4)])
    log = tmp_path / "zero.log"
    with open(log, "w") as fh:
        summary = cohort_diversity(zero, tmp_path / "zero", metadata=meta, min_depth=10, log=fh)
    assert summary["kept"] == [] and summary["dropped"] == {"a": 0, "b": 0, "c": 0}
    assert "no sample reaches the rarefaction depth" in log.read_text()
    rare = (tmp_path / "zero/rarefaction.tsv").read_text()
    assert rare.count("\tdropped\tno reads") == 3

    counts = np.array([[50, 50, 0, 0], [40, 30, 30, 0], [2, 1, 0, 0]])
    table = FeatureTable(counts, list("abc"), [f"t{i}" for i in range(4)])
    with open(tmp_path / "low.log", "w") as fh:
        summary = cohort_diversity(table, tmp_path / "low", metadata=meta, depth=50, log=fh)
    assert summary["kept"] == ["a", "b"] and summary["dropped"] == {"c": 3}
    assert (
        "c\t3\tdropped\tbelow rarefaction depth 50"
        in (tmp_path / "low/rarefaction.tsv").read_text()
    )
    assert not list(tmp_path.rglob("*.tmp.*"))


def test_stool_with_zero_human_reads_is_reported_not_guessed(tmp_path):
    from holobiont.host.identity import check_identity

    genotypes = {"P01": {("chr10", 94781859): 1}, "P02": {("chr10", 94781859): 0}}
    result = check_identity("P01-stool-sg", "P01", {}, genotypes)
    assert result.verdict == "no human reads" and result.best_patient is None


# ------------------------------------------------------------------ 16S primers (issue 11)
def _strip_primers(src_r1, src_r2, out_prefix):
    """The demo library as a core facility delivers it: primers removed, by cutadapt itself
    with the pipeline's default primers and settings."""
    import subprocess
    import sys
    from pathlib import Path

    cutadapt = Path(sys.executable).parent / "cutadapt"
    r1, r2 = Path(f"{out_prefix}_R1.fastq.gz"), Path(f"{out_prefix}_R2.fastq.gz")
    subprocess.run(
        [str(cutadapt), "-g", "^GTGYCAGCMGCCGCGGTAA", "-G", "^GGACTACNVGGGTWTCTAAT",
         "-e", "0.1", "--discard-untrimmed", "-o", str(r1), "-p", str(r2),
         str(src_r1), str(src_r2)],
        check=True, capture_output=True,
    )  # fmt: skip
    return r1, r2


def _demo_16s(patient):
    return (
        DEMO / f"reads/{patient}-16S_L001_R1.fastq.gz",
        DEMO / f"reads/{patient}-16S_L001_R2.fastq.gz",
    )


@requires_demo
def test_16s_without_primers_stops_with_defaults_and_matches_with_the_setting(tmp_path):
    reads = tmp_path / "reads"
    reads.mkdir()
    bare = {p: _strip_primers(*_demo_16s(p), reads / f"{p}-bare") for p in ("P01", "P02")}
    swapped = tuple(reversed(_demo_16s("P03")))

    # defaults: the primer-free unit and the swapped one stop in the FASTQ check, saying why
    sheet = write_sheet(
        tmp_path / "mixed.tsv",
        [
            row("P01", "P01-16S", "16s", *_demo_16s("P01")),
            row("P02", "P02-16S", "16s", *bare["P02"]),
            row("P03", "P03-16S", "16s", *swapped),
        ],
    )
    run = tmp_path / "defaults"
    checks = [f"results/qc/check/P0{i}-16S/L001.json" for i in (1, 2, 3)]
    res = run_snakemake(
        run, "--keep-going", *checks, "results/qc/check/summary.tsv", config={"samples": sheet}
    )
    assert res.returncode != 0
    assert "2 unit(s) failed the FASTQ check" in res.stderr
    assert "set qc.primers_16s.already_removed: true" in res.stderr  # seen in the terminal
    log = (run / "logs/qc/check_fastq/P02-16S.L001.log").read_text()
    assert "the configured 16S primers are (nearly) absent" in log, log
    assert "set qc.primers_16s.already_removed: true" in log
    log = (run / "logs/qc/check_fastq/P03-16S.L001.log").read_text()
    assert "read 1 and read 2 look swapped" in log and "Swap fastq_1 and fastq_2" in log, log
    status = [json.loads((run / c).read_text())["status"] for c in checks]
    assert status == ["PASS", "FAIL", "FAIL"]  # the library with primers went on
    no_partial_outputs(run)

    # the same libraries with and without primers give the same ASVs
    asvs, tracking = {}, {}
    for name, already_removed, pairs in (
        ("with", False, {p: _demo_16s(p) for p in ("P01", "P02")}),
        ("bare", True, bare),
    ):
        sheet = write_sheet(
            tmp_path / f"{name}.tsv", [row(p, f"{p}-16S", "16s", *pairs[p]) for p in pairs]
        )
        run = tmp_path / name
        res = run_snakemake(
            run,
            "results/16s/read_tracking.tsv",
            overrides={
                "samples": str(sheet),
                "qc": {"primers_16s": {"already_removed": already_removed}},
            },
        )
        assert res.returncode == 0, res.stderr[-3000:]
        asvs[name] = (run / "results/16s/asv_seqs.fasta").read_text()
        tracking[name] = (run / "results/16s/read_tracking.tsv").read_text().splitlines()
    assert asvs["with"] == asvs["bare"] and asvs["with"].count(">") > 3
    header = tracking["bare"][0].split("\t")
    for line in tracking["bare"][1:]:
        fields = dict(zip(header, line.split("\t"), strict=True))
        # no primer was trimmed in this run, and the table does not claim it
        assert fields["primers"] == "already removed" and fields["pairs_primer_trimmed"] == "NA"
    for line in tracking["with"][1:]:
        assert dict(zip(header, line.split("\t"), strict=True))["primers"] == "trimmed"


# ------------------------------------------------ one bad unit, --keep-going (issue 11, item 4)
@requires_demo
def test_bad_unit_leaves_every_other_report_and_is_listed(tmp_path):
    """Three 16S patients, P02's reads uncompressed (.fastq end to end), P03's read 2 cut
    short: the cohort table, P01's and P02's reports and the cohort report are built; P03 is
    FAIL / not measured with the reason; the run exits non-zero naming it."""
    reads = tmp_path / "reads"
    reads.mkdir()
    p02 = []
    for src in _demo_16s("P02"):
        dst = reads / src.name.removesuffix(".gz")
        dst.write_bytes(gzip.decompress(src.read_bytes()))
        p02.append(dst)
    p03 = [reads / src.name for src in _demo_16s("P03")]
    p03[0].write_bytes(_demo_16s("P03")[0].read_bytes())
    data = _demo_16s("P03")[1].read_bytes()
    p03[1].write_bytes(data[: len(data) // 2])
    sheet = write_sheet(
        tmp_path / "samples.tsv",
        [
            row("P01", "P01-16S", "16s", *_demo_16s("P01"), group="A"),
            row("P02", "P02-16S", "16s", *p02, group="B"),
            row("P03", "P03-16S", "16s", *p03, group="A"),
        ],
        extra_cols=("group",),
    )
    run = tmp_path / "run"
    res = run_snakemake(run, "--keep-going", config={"samples": sheet})
    assert res.returncode != 0
    import re

    failed_rules = set(re.findall(r"Error in rule (\w+):", res.stderr))
    assert failed_rules == {"fastq_check_summary"}, res.stderr[-4000:]  # nothing else failed
    assert "1 unit(s) failed the FASTQ check and were left out" in res.stderr
    assert "FASTQ check failed for sample P03-16S unit L001" in res.stderr
    for name in ("P01.json", "P02.json", "P03.json", "cohort.json", "cohort.html"):
        assert (run / "results/reports" / name).exists(), name
    table = (run / "results/16s/asv_table.tsv").read_text().splitlines()
    header = table[0].split("\t")
    col = {s: header.index(s) for s in ("P01-16S", "P02-16S", "P03-16S")}
    totals = {s: sum(int(float(r.split("\t")[i])) for r in table[1:]) for s, i in col.items()}
    assert totals["P01-16S"] > 1000 and totals["P02-16S"] > 1000  # plain .fastq went through
    assert totals["P03-16S"] == 0
    p3 = json.loads((run / "results/reports/P03.json").read_text())
    m = p3["microbiome"]["16s"]
    assert m["status"] == "not measured" and "FASTQ check failed" in m["reason"]
    assert "genera" not in m and "diversity" not in m  # no number for it
    assert {r["status"] for r in p3["interactions"]["rows"]} == {"not measured"}
    p1 = json.loads((run / "results/reports/P01.json").read_text())
    assert p1["microbiome"]["16s"]["status"] == "profiled"
    counts = (run / "results/qc/read_counts.tsv").read_text()
    assert "P03-16S\tL001" in counts and "FASTQ check failed (logs/qc/check_fastq/" in counts
    html = (run / "results/reports/P03.html").read_text()
    assert "FAIL" in html.split("Key findings")[1].split("</ul>")[0]
    no_partial_outputs(run)


# ------------------------------------------------ changed inputs (issue 11, item 5)
def test_fastq_replaced_with_older_mtime_is_checked_again(tmp_path):
    import hashlib
    import os
    import shutil

    (tmp_path / "reads").mkdir()
    r1, r2 = _pair(tmp_path, "a", n=30)
    other, _ = _pair(tmp_path, "b", n=30, seed=9)
    sheet = write_sheet(tmp_path / "samples.tsv", [row("P01", "P01-sg", "shotgun", r1, r2)])
    run, target = tmp_path / "run", "results/qc/check/P01-sg/L001.json"
    assert run_snakemake(run, target, config={"samples": sheet}).returncode == 0
    old = r1.stat().st_mtime_ns - 10**12  # a day's worth older than the first copy
    os.utime(other, ns=(old, old))
    shutil.copy2(other, r1)  # cp -p / rsync -a: other content, older mtime
    res = run_snakemake(run, target, config={"samples": sheet})
    assert res.returncode == 0, res.stderr[-2000:]
    assert "Nothing to be done" not in res.stdout + res.stderr
    check = json.loads((run / target).read_text())
    assert check["sha256_r1"] == hashlib.sha256(other.read_bytes()).hexdigest()


@requires_demo
def test_reference_replaced_with_older_mtime_stops_until_touched(tmp_path):
    import os
    import shutil

    bed = tmp_path / "targets.bed"
    shutil.copy2(DEMO / "reference/pgx_targets.bed", bed)
    sheet = write_sheet(
        tmp_path / "samples.tsv",
        [row("P01", "P01-host", "host_panel", *(DEMO / f"reads/P01-host_L001_R{i}.fastq.gz" for i in (1, 2)))],
    )  # fmt: skip
    run = tmp_path / "run"
    over = {"samples": str(sheet), "references": {"targets_bed": str(bed)}}
    assert run_snakemake(run, "-n", overrides=over).returncode == 0
    old = bed.stat().st_mtime_ns
    bed.write_text(bed.read_text().replace("chr", "chr", 1) + "chr22\t1\t2\textra\n")
    os.utime(bed, ns=(old - 10**9, old - 10**9))
    res = run_snakemake(run, "-n", overrides=over)
    assert res.returncode != 0
    out = res.stdout + res.stderr
    assert "changed since the last run although their modification time is not newer" in out
    assert f"Run `touch {bed}`" in out
    import time

    later = time.time_ns() + 10**9  # touch (a second ahead: file times are coarse)
    os.utime(bed, ns=(later, later))
    assert run_snakemake(run, "-n", overrides=over).returncode == 0


# ------------------------------------------------ no noise, own-data command (issue 11, item 7)
@requires_demo
def test_directory_run_with_project_defaults_is_quiet(tmp_path):
    """The shipped config (relative reference paths) from another --directory: the default
    target plans without an exception or traceback."""
    import subprocess
    import sys

    from conftest import ROOT

    rows = (DEMO / "samples.tsv").read_text().replace("\tresources/", f"\t{ROOT}/resources/")
    sheet = tmp_path / "samples.tsv"
    sheet.write_text(rows)
    cmd = [
        sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"),
        "--configfile", str(ROOT / "config/config.yaml"), "--directory", str(tmp_path / "run"),
        "--cores", "1", "-n", "--config", f"samples={sheet}",
    ]  # fmt: skip
    env = {**os.environ, "SLURM_CONF": os.devnull}
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp_path)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-3000:]
    for noise in ("Exception", "Traceback", "KeyError"):
        assert noise not in out, out[-3000:]
    assert "patient_report" in out and "cohort_report" in out


@requires_demo
def test_tools_of_the_venv_are_found_without_it_on_path(tmp_path):
    """`.venv/bin/snakemake` with a PATH that lacks the venv: cutadapt (from the venv) runs."""
    import subprocess

    from conftest import snakemake_command

    sheet = write_sheet(tmp_path / "samples.tsv", [row("P01", "P01-16S", "16s", *_demo_16s("P01"))])
    target = "results/qc/cutadapt/P01-16S/P01-16S.L001.cutadapt.json"
    cmd, env = snakemake_command(tmp_path / "run", target, config={"samples": sheet})
    env["PATH"] = "/usr/local/bin:/usr/bin:/bin"
    res = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert res.returncode == 0, res.stderr[-3000:]
    assert (tmp_path / "run" / target).exists()
