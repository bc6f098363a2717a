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
|   | every branch using it: wgs, panel, shotgun  |                         | stop, names it  |
| 19| incomplete / corrupt Kraken2 database       | config, before any job  | stop            |
| 20| empty sample after QC (all reads too short) | qc_summary              | FAIL, goes on   |
| 21| all-zero feature table                      | diversity               | empty, warning  |
| 22| sample below the rarefaction depth          | diversity               | dropped+reason  |
| 23| stool library with zero human reads         | identity check          | "no human reads"|
"""

from __future__ import annotations

import gzip

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
    ],
)
def test_bad_sheet(tmp_path, case):
    sheet, expect = _sheet_case(tmp_path, case)
    run = tmp_path / "run"
    res = run_snakemake(run, config={"samples": sheet})
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
    raise AssertionError(case)


@pytest.mark.parametrize(
    "case", ["truncated_gzip", "not_gzip", "bad_record", "mate_count", "mate_names", "empty"]
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
    targets = ["results/qc/check/P01-sg/L001.json", "results/qc/check/P02-sg/L001.json"]
    res = run_snakemake(run, "--keep-going", *targets, config={"samples": sheet})
    assert res.returncode != 0
    log = (run / "logs/qc/check_fastq/P02-sg.L001.log").read_text()
    assert "FASTQ check failed for sample P02-sg unit L001" in log
    assert expect in log, log
    assert not (run / "results/qc/check/P02-sg/L001.json").exists()
    assert (run / "results/qc/check/P01-sg/L001.json").exists()  # the good unit went on
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
    from holobiont.diversity import cohort_diversity
    from holobiont.table import FeatureTable

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
    from holobiont.identity import check_identity

    genotypes = {"P01": {("chr10", 94781859): 1}, "P02": {("chr10", 94781859): 0}}
    result = check_identity("P01-stool-sg", "P01", {}, genotypes)
    assert result.verdict == "no human reads" and result.best_patient is None
