"""Tests of the small-variant benchmarking tool (holobiont.host.vcfcompare).

Self-made cases run everywhere; the hap.py examples (../shared) are compared with hap.py's own
expected output where our record-based method can reproduce it, and pin the documented
difference where it cannot.
"""

from __future__ import annotations

import csv
import gzip
import json
import math
import subprocess
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from conftest import SHARED, requires_shared
from holobiont.host import vcfcompare as vc
from holobiont.host.vcfcompare import (
    Regions,
    Variant,
    VcfCompareError,
    compare_variants,
    compare_vcfs,
    decompose,
    main,
)

HAPPY = SHARED / "data" / "host_happy_examples" / "example"

# A 300 bp reference: random bases with a homopolymer (A x6 at 101-106) and a dinucleotide
# repeat (CA x5 at 201-210), so that indels have several equivalent positions.
_RNG = np.random.default_rng(7)
_SEQ = list("".join(_RNG.choice(list("ACGT"), 300)))
_SEQ[99] = "C"  # base before the homopolymer (1-based 100)
_SEQ[100:106] = list("AAAAAA")  # 101-106
_SEQ[106] = "G"
_SEQ[199] = "T"  # base before the repeat (1-based 200)
_SEQ[200:210] = list("CACACACACA")  # 201-210
_SEQ[210] = "G"
SEQ = "".join(_SEQ)


def base(pos: int, n: int = 1) -> str:
    """Reference bases at 1-based ``pos`` (``n`` of them)."""
    return SEQ[pos - 1 : pos - 1 + n]


def snv(pos: int, gt: str = "0/1", filt: str = "PASS") -> tuple:
    alt = {"A": "C", "C": "G", "G": "T", "T": "A"}[base(pos)]
    return ("chrT", pos, base(pos), alt, gt, filt)


@pytest.fixture
def ref(tmp_path) -> Path:
    fa = tmp_path / "ref.fa"
    fa.write_text(">chrT\n" + "\n".join(SEQ[i : i + 60] for i in range(0, len(SEQ), 60)) + "\n")
    subprocess.run(["samtools", "faidx", str(fa)], check=True)
    return fa


def write_vcf(path: Path, records, sample: str | None = "S", contig_len: int = 300) -> Path:
    """Write a VCF; records are ``(chrom, pos, ref, alt, gt, filter)``."""
    lines = ["##fileformat=VCFv4.2", f"##contig=<ID=chrT,length={contig_len}>"]
    lines.append('##FILTER=<ID=LowQual,Description="low quality">')
    lines.append('##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">')
    head = "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"
    lines.append(head + ("\tFORMAT\t" + sample if sample else ""))
    for chrom, pos, r, a, gt, filt in sorted(records, key=lambda x: x[1]):
        row = f"{chrom}\t{pos}\t.\t{r}\t{a}\t50\t{filt}\t."
        lines.append(row + (f"\tGT\t{gt}" if sample else ""))
    path.write_text("\n".join(lines) + "\n")
    return path


def run(tmp_path, truth, query, reference=None, **kw):
    t = write_vcf(tmp_path / "truth.vcf", truth)
    q = write_vcf(tmp_path / "query.vcf", query)
    return compare_vcfs(t, q, reference=reference, **kw)


def counts(comp, vtype):
    m = comp.metrics[vtype]
    return (m.tp, m.fn, m.fp)


# ---------------------------------------------------------------------------------------------
# self-made cases (always run)

BASE_SET = [
    snv(20, "0/1"),
    snv(40, "1/1"),
    snv(60, "1|0"),
    ("chrT", 100, "CA", "C", "0/1", "PASS"),  # 1-bp deletion in the A homopolymer
    ("chrT", 200, "T", "TCA", "1/1", "PASS"),  # CA insertion before the repeat
]


def test_identical_vcfs_f1_is_one(tmp_path, ref):
    comp = run(tmp_path, BASE_SET, BASE_SET, ref)
    assert counts(comp, "SNV") == (3, 0, 0)
    assert counts(comp, "INDEL") == (2, 0, 0)
    for t in ("SNV", "INDEL", "ALL"):
        m = comp.metrics[t]
        assert m.precision == m.recall == m.f1 == 1.0
    assert comp.false_positives == comp.false_negatives == []


def test_one_false_positive(tmp_path, ref):
    comp = run(tmp_path, BASE_SET, [*BASE_SET, snv(250)], ref)
    m = comp.metrics["SNV"]
    assert (m.tp, m.fn, m.fp, m.fp_gt) == (3, 0, 1, 0)
    assert m.precision == pytest.approx(0.75) and m.recall == 1.0
    assert m.f1 == pytest.approx(2 * 0.75 / 1.75)
    assert [d.variant.pos for d in comp.false_positives] == [250]
    assert comp.false_positives[0].reason == "missing"
    assert counts(comp, "INDEL") == (2, 0, 0)


def test_one_false_negative(tmp_path, ref):
    comp = run(tmp_path, BASE_SET, [r for r in BASE_SET if r[1] != 100], ref)
    assert counts(comp, "INDEL") == (1, 1, 0)
    assert comp.metrics["INDEL"].recall == 0.5 and comp.metrics["INDEL"].precision == 1.0
    (fn,) = comp.false_negatives
    assert (fn.variant.pos, fn.variant.ref, fn.variant.alt, fn.reason) == (
        100,
        "CA",
        "C",
        "missing",
    )
    assert counts(comp, "SNV") == (3, 0, 0)


def test_genotype_mismatch(tmp_path, ref):
    query = [snv(20, "1/1"), *BASE_SET[1:]]  # truth 0/1, query 1/1
    comp = run(tmp_path, BASE_SET, query, ref)
    m = comp.metrics["SNV"]
    # hap.py convention: a genotype mismatch is one FN and one FP (FP.gt)
    assert (m.tp, m.fn, m.fp, m.fp_gt) == (2, 1, 1, 1)
    assert comp.false_negatives[0].reason == "genotype"
    assert comp.false_negatives[0].other_zygosity == "hom"
    allele = run(tmp_path, BASE_SET, query, ref, match="allele")
    assert counts(allele, "SNV") == (3, 0, 0)
    # phasing is ignored: 1|0 and 0|1 are the same zygosity
    phased = run(tmp_path, BASE_SET, [snv(60, "0|1") if r[1] == 60 else r for r in BASE_SET], ref)
    assert counts(phased, "SNV") == (3, 0, 0)


def test_multiallelic_split(tmp_path, ref):
    r = base(150)
    a1, a2 = [b for b in "ACGT" if b != r][:2]
    truth = [("chrT", 150, r, f"{a1},{a2}", "1/2", "PASS")]
    # the same genotype written as two biallelic het records
    query = [("chrT", 150, r, a1, "0/1", "PASS"), ("chrT", 150, r, a2, "0/1", "PASS")]
    comp = run(tmp_path, truth, query, ref)
    assert counts(comp, "SNV") == (2, 0, 0)
    # a called 1/1 with an unused second ALT only contributes its first allele
    comp = run(tmp_path, [("chrT", 150, r, f"{a1},{a2}", "1/1", "PASS")], [query[0]], ref)
    m = comp.metrics["SNV"]
    assert (m.truth_total, m.tp, m.fn, m.fp, m.fp_gt) == (1, 0, 1, 1, 1)  # hom vs het
    # a multiallelic mixing an SNV and an indel is split into one of each type
    truth = [("chrT", 100, "CA", "C,GA", "1/2", "PASS")]
    query = [("chrT", 100, "C", "G", "0/1", "PASS"), ("chrT", 100, "CA", "C", "0/1", "PASS")]
    comp = run(tmp_path, truth, query, ref)
    assert counts(comp, "SNV") == (1, 0, 0) and counts(comp, "INDEL") == (1, 0, 0)


@pytest.mark.parametrize(
    "record",
    [
        ("chrT", 105, "AA", "A", "0/1", "PASS"),  # right end of the homopolymer
        ("chrT", 100, "CAAAAAAG", "CAAAAAG", "0/1", "PASS"),  # padded with context both sides
        ("chrT", 103, "AAAAG", "AAAG", "0/1", "PASS"),  # padded on the right only
    ],
)
def test_unnormalised_deletion_is_tp(tmp_path, ref, record):
    truth = [("chrT", 100, "CA", "C", "0/1", "PASS")]
    comp = run(tmp_path, truth, [record], ref)
    assert counts(comp, "INDEL") == (1, 0, 0)


def test_unnormalised_insertion_in_repeat_is_tp(tmp_path, ref):
    truth = [("chrT", 200, "T", "TCA", "1/1", "PASS")]
    for q in [
        ("chrT", 209, "C", "CAC", "1/1", "PASS"),  # inside the CA repeat
        ("chrT", 210, "A", "ACA", "1/1", "PASS"),  # at its right end
    ]:
        comp = run(tmp_path, truth, [q], ref)
        assert counts(comp, "INDEL") == (1, 0, 0), q


def test_without_reference_indels_are_not_left_aligned(tmp_path, ref):
    # documented limit: only trimming happens without a reference, so the same deletion
    # written at the other end of the homopolymer is an FN + FP ...
    truth = [("chrT", 100, "CA", "C", "0/1", "PASS")]
    comp = run(tmp_path, truth, [("chrT", 105, "AA", "A", "0/1", "PASS")])
    assert counts(comp, "INDEL") == (0, 1, 1)
    # ... while padding that trimming removes still matches
    comp = run(tmp_path, truth, [("chrT", 100, "CAAAAAAG", "CAAAAAG", "0/1", "PASS")])
    assert counts(comp, "INDEL") == (1, 0, 0)


def test_complex_record_decomposed_to_primitives(tmp_path, ref):
    # truth: SNV at 98, deletion of one A (homopolymer 101-106), SNV at 108
    s98 = snv(98, "1/1")
    s108 = snv(108, "1/1")
    truth = [s98, ("chrT", 100, "CA", "C", "1/1", "PASS"), s108]
    # query: the same haplotype as one record spanning 98-108 ...
    r = base(98, 11)
    a = s98[3] + r[1:3] + r[4:10] + s108[3]  # drop one A, change both ends
    comp = run(tmp_path, truth, [("chrT", 98, r, a, "1/1", "PASS")], ref)
    assert counts(comp, "SNV") == (2, 0, 0) and counts(comp, "INDEL") == (1, 0, 0)
    assert comp.info["query_normalisation"]["decomposed"] == 1
    # ... which without decomposition is one complex INDEL: 3 FN + 1 FP
    comp = run(tmp_path, truth, [("chrT", 98, r, a, "1/1", "PASS")], ref, decompose_complex=False)
    assert counts(comp, "SNV") == (0, 2, 0) and counts(comp, "INDEL") == (0, 1, 1)
    # an MNP becomes SNVs
    mnp = ("chrT", 20, base(20, 3), snv(20)[3] + base(21) + snv(22)[3], "0/1", "PASS")
    comp = run(tmp_path, [snv(20), snv(22)], [mnp], ref)
    assert counts(comp, "SNV") == (2, 0, 0)


def test_filtered_query_records_dropped_by_default(tmp_path, ref):
    query = [*BASE_SET, snv(250, filt="LowQual")]
    comp = run(tmp_path, BASE_SET, query, ref)
    assert counts(comp, "SNV") == (3, 0, 0)
    assert comp.info["query_normalisation"]["filtered"] == 1
    comp = run(tmp_path, BASE_SET, query, ref, pass_only=False)
    assert counts(comp, "SNV") == (3, 0, 1)
    # a filtered truth record is still truth; "." counts as PASS
    comp = run(tmp_path, [snv(20, filt="LowQual")], [snv(20, filt=".")], ref)
    assert counts(comp, "SNV") == (1, 0, 0)


def test_non_variant_genotypes_are_ignored(tmp_path, ref):
    query = [*BASE_SET, snv(250, "0/0"), snv(260, "./."), snv(270, "0|0")]
    comp = run(tmp_path, BASE_SET, query, ref)
    assert counts(comp, "SNV") == (3, 0, 0)
    assert comp.info["query_normalisation"]["no_alt_genotype"] == 3
    # haploid "1" is hom-alt, as in hap.py
    comp = run(tmp_path, [snv(20, "1")], [snv(20, "1/1")], ref)
    assert counts(comp, "SNV") == (1, 0, 0)


def test_confident_and_target_regions(tmp_path, ref):
    conf = tmp_path / "conf.bed"
    conf.write_text("chrT\t0\t50\nchrT\t50\t101\n")  # 1-based 1-101, adjacent intervals merged
    query = [*BASE_SET, snv(30), snv(250)]
    comp = run(tmp_path, BASE_SET, query, ref, confident=conf)
    # inside: SNVs 20, 40, 60 and the FP at 30; the deletion CA (100-101) lies inside;
    # outside: the insertion at 200 and the FP at 250
    assert counts(comp, "SNV") == (3, 0, 1)
    assert counts(comp, "INDEL") == (1, 0, 0)
    conf.write_text("chrT\t0\t100\n")  # the deletion's REF span 100-101 sticks out: ignored
    comp = run(tmp_path, BASE_SET, query, ref, confident=conf)
    assert comp.metrics["INDEL"].truth_total == 0
    tgt = tmp_path / "targets.bed"
    tgt.write_text("chrT\t100\t101\n")  # 1-based 101 only: overlaps the deletion CA at 100
    comp = run(tmp_path, BASE_SET, query, ref, targets=tgt)
    assert comp.metrics["INDEL"].truth_total == 1 and comp.metrics["SNV"].truth_total == 0


def test_metrics_undefined_are_nan():
    comp = compare_variants([], [])
    m = comp.metrics["SNV"]
    assert math.isnan(m.precision) and math.isnan(m.recall) and math.isnan(m.f1)
    assert m.as_dict()["f1"] is None
    comp = compare_variants([Variant("c", 1, "A", "C", "het")], [Variant("c", 2, "A", "C", "het")])
    assert comp.metrics["SNV"].f1 == 0.0


def test_duplicate_keys_merge_to_hom():
    het = Variant("c", 5, "A", "AT", "het")
    comp = compare_variants([Variant("c", 5, "A", "AT", "hom")], [het, het])
    assert counts(comp, "INDEL") == (1, 0, 0)


def test_sites_only_vcf_matches_any_zygosity(tmp_path, ref):
    t = write_vcf(tmp_path / "t.vcf", [snv(20, "1/1")])
    q = write_vcf(tmp_path / "q.vcf", [snv(20)], sample=None)
    comp = compare_vcfs(t, q, reference=ref)
    assert counts(comp, "SNV") == (1, 0, 0)


def test_reference_mismatch_is_an_error(tmp_path, ref):
    wrong = [("chrT", 20, {"A": "C", "C": "A", "G": "A", "T": "A"}[base(20)], "G", "0/1", "PASS")]
    with pytest.raises(VcfCompareError, match="bcftools"):
        run(tmp_path, BASE_SET, wrong, ref)


@pytest.mark.parametrize(
    ("ref_allele", "alt", "expected"),
    [
        ("A", "G", [(10, "A", "G")]),
        ("ACGT", "AGGA", [(11, "C", "G"), (13, "T", "A")]),  # MNP-like, equal lengths
        ("ACGTT", "ACGT", [(12, "GT", "G")]),  # simple deletion after trimming
        ("TTTTTCCG", "TTTTCCA", [(10, "TT", "T"), (17, "G", "A")]),  # del + SNV
        ("GCC", "TCCAA", [(10, "G", "T"), (12, "C", "CAA")]),  # SNV + insertion
        ("ACGT", "ACGT", []),  # no change
    ],
)
def test_decompose(ref_allele, alt, expected):
    got = decompose("c", 10, ref_allele, alt, "het")
    assert [(v.pos, v.ref, v.alt) for v in got] == expected
    assert all(v.zygosity == "het" for v in got)


def test_decompose_uses_anchor_for_leading_indel():
    # REF GAAT -> ALT CAT: without an anchor the first column is forced (SNV G>C + del A);
    # with the base before the record the deletion can sit at the record's first base
    plain = decompose("c", 10, "GAAT", "CAT")
    assert [(v.pos, v.ref, v.alt) for v in plain] == [(10, "G", "C"), (10, "GA", "G")]
    anch = decompose("c", 10, "GAAT", "AAT", anchor=lambda c, p: "T")
    assert [(v.pos, v.ref, v.alt) for v in anch] == [(9, "TG", "T")]  # G deleted, anchor T
    anch = decompose("c", 10, "GCAT", "CAAT", anchor=lambda c, p: "T")
    assert [(v.pos, v.ref, v.alt) for v in anch] == [(10, "G", "C"), (11, "C", "A")]


def test_regions():
    r = Regions({"c": [(10, 20), (15, 30), (40, 50)]})
    assert r.contains("c", 10, 30) and not r.contains("c", 9, 12) and not r.contains("c", 29, 41)
    assert r.overlaps("c", 29, 41) and not r.overlaps("c", 30, 40) and not r.overlaps("d", 0, 99)
    assert r.total_length() == 30


def test_regions_from_gzip_bed(tmp_path):
    p = tmp_path / "r.bed.gz"
    with gzip.open(p, "wt") as fh:
        fh.write("track name=x\n#c\nc\t0\t5\textra\n")
    assert Regions.from_bed(p).contains("c", 0, 5)
    bad = tmp_path / "bad.bed"
    bad.write_text("c\tx\t5\n")
    with pytest.raises(VcfCompareError, match="not a BED line"):
        Regions.from_bed(bad)


def test_cli_writes_tables_and_lists(tmp_path, ref, capsys):
    t = write_vcf(tmp_path / "t.vcf", BASE_SET)
    q = write_vcf(tmp_path / "q.vcf", [*BASE_SET[1:], snv(250)])
    prefix = tmp_path / "out" / "cmp"
    argv = ["--truth", str(t), "--query", str(q), "--reference", str(ref), "--out", str(prefix)]
    assert main(argv) == 0
    assert "precision" in capsys.readouterr().out
    with open(f"{prefix}.summary.tsv") as fh:
        rows = {r["type"]: r for r in csv.DictReader(fh, delimiter="\t")}
    assert rows["SNV"]["tp"] == "2" and rows["SNV"]["fn"] == "1" and rows["SNV"]["fp"] == "1"
    assert rows["INDEL"]["f1"] == "1.0000"
    doc = json.loads(Path(f"{prefix}.summary.json").read_text())
    assert doc["metrics"]["SNV"]["precision"] == pytest.approx(2 / 3)
    assert doc["reference"] == str(ref) and doc["match"] == "genotype"
    fp = Path(f"{prefix}.fp.tsv").read_text().splitlines()
    fn = Path(f"{prefix}.fn.tsv").read_text().splitlines()
    assert len(fp) == len(fn) == 2
    assert fp[1].split("\t")[:3] == ["SNV", "chrT", "250"]
    assert fn[1].split("\t")[:3] == ["SNV", "chrT", "20"]


def test_cli_errors(tmp_path, ref, capsys):
    t = write_vcf(tmp_path / "t.vcf", BASE_SET)
    out = str(tmp_path / "x")
    assert main(["--truth", str(t), "--query", "nope.vcf", "--no-reference", "--out", out]) == 2
    assert "VCF not found" in capsys.readouterr().err
    args = ["--truth", str(t), "--query", str(t), "--no-reference", "--out", out]
    assert main([*args, "--query-sample", "X"]) == 2
    assert "no sample 'X'" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # --reference or --no-reference is required
        main(["--truth", str(t), "--query", str(t), "--out", out])


# ---------------------------------------------------------------------------------------------
# hap.py examples (../shared)


def read_happy_summary(path: Path) -> dict[str, dict[str, str]]:
    """hap.py summary.csv rows of Filter == PASS, keyed by hap.py Type (SNP / INDEL)."""
    with open(path) as fh:
        return {r["Type"]: r for r in csv.DictReader(fh) if r["Filter"] == "PASS"}


def assert_same_as_happy(comp, happy_row, vtype):
    m = comp.metrics[vtype]
    assert m.truth_total == int(happy_row["TRUTH.TOTAL"])
    assert m.tp == int(happy_row["TRUTH.TP"])
    assert m.fn == int(happy_row["TRUTH.FN"])
    assert m.fp == int(happy_row["QUERY.FP"])
    assert m.fp_gt == int(happy_row["FP.gt"])
    assert m.recall == pytest.approx(float(happy_row["METRIC.Recall"]))
    assert m.precision == pytest.approx(float(happy_row["METRIC.Precision"]))


@requires_shared
@pytest.mark.shared
def test_happy_haploid_example():
    # hap.py's expected.vcf: chrX:5 A>T, truth GT "1" vs query "1/1", BD=TP BK=gm (homalt)
    d = HAPPY / "haploid"
    comp = compare_vcfs(d / "truth.vcf", d / "query.vcf", reference=d / "test.fa")
    assert counts(comp, "SNV") == (1, 0, 0)
    assert comp.metrics["INDEL"].truth_total == comp.metrics["INDEL"].query_total == 0
    assert [v.zygosity for v in comp.true_positives] == ["hom"]


@requires_shared
@pytest.mark.shared
def test_happy_decomp_example_without_reference():
    # The query writes the truth's 1-bp deletion + 2 SNVs as ONE complex record (31 -> 30 bp).
    # Our alignment-based decomposition recovers the two SNVs exactly as hap.py does, but
    # without the chr1 reference (absent from the snapshot) the decomposed deletion stays at
    # chr1:237636279 TT>T while the truth has it left-aligned at 237636277 AT>A: the
    # documented "no left-alignment without a reference" limit gives INDEL 1 FN + 1 FP where
    # hap.py reports 1 TP.
    d = HAPPY / "decomp"
    happy = read_happy_summary(d / "expected.summary.csv")
    comp = compare_vcfs(
        d / "decomp_test.truth.vcf.gz",
        d / "decomp_test.query.vcf.gz",
        confident=d / "decomp_test.conf.bed.gz",
    )
    assert_same_as_happy(comp, happy["SNP"], "SNV")
    assert int(happy["INDEL"]["TRUTH.TP"]) == 1  # hap.py
    assert counts(comp, "INDEL") == (0, 1, 1)  # us, without a reference
    (fp,) = comp.false_positives
    assert (fp.variant.pos, fp.variant.ref, fp.variant.alt) == (237636279, "TT", "T")
    # the gVCF reference blocks (ALT ".", one with GT ".") are not variants
    qn = comp.info["query_normalisation"]
    assert qn["symbolic"] == 3 and qn["decomposed"] == 1


def _shift_vcf(src: Path, dst: Path, offset: int, seq: dict[int, str]) -> None:
    """Copy a VCF with POS (and INFO/END) moved by -offset; record REF bases into ``seq``."""
    opener = gzip.open if src.suffix == ".gz" else open
    out = []
    with opener(src, "rt") as fh:
        for line in fh:
            if line.startswith("##contig"):
                continue
            if line.startswith("#"):
                if line.startswith("#CHROM"):
                    out.append("##contig=<ID=chr1,length=1000>\n")
                out.append(line)
                continue
            f = line.rstrip("\n").split("\t")
            pos = int(f[1]) - offset
            for k, b in enumerate(f[3]):
                seq[pos + k] = b
            f[1] = str(pos)
            f[7] = ";".join(
                f"END={int(x[4:]) - offset}" if x.startswith("END=") else x for x in f[7].split(";")
            )
            out.append("\t".join(f) + "\n")
    dst.write_text("".join(out))


@requires_shared
@pytest.mark.shared
def test_happy_decomp_example_with_local_reference(tmp_path):
    # With a reference our decomposition + left-alignment reproduces hap.py exactly. The chr1
    # FASTA is not in the snapshot, so a local one is rebuilt from the REF alleles of both VCFs
    # (they cover chr1:237636180, 237636277-237636310 contiguously; other bases are N) and all
    # coordinates are shifted by -237636000 to keep it small.
    d = HAPPY / "decomp"
    offset = 237_636_000
    seq: dict[int, str] = {}
    _shift_vcf(d / "decomp_test.truth.vcf", tmp_path / "t.vcf", offset, seq)
    _shift_vcf(d / "decomp_test.query.vcf", tmp_path / "q.vcf", offset, seq)
    assert all(p in seq for p in range(277, 311))
    fa = tmp_path / "local.fa"
    fa.write_text(">chr1\n" + "".join(seq.get(p, "N") for p in range(1, 1001)) + "\n")
    subprocess.run(["samtools", "faidx", str(fa)], check=True)
    bed = tmp_path / "conf.bed"
    with gzip.open(d / "decomp_test.conf.bed.gz", "rt") as fh, open(bed, "w") as out:
        for line in fh:
            c, s, e = line.split()[:3]
            s, e = int(s) - offset, int(e) - offset
            if e > 0 and s < 1000:
                out.write(f"{c}\t{max(s, 0)}\t{min(e, 1000)}\n")
    comp = compare_vcfs(tmp_path / "t.vcf", tmp_path / "q.vcf", reference=fa, confident=bed)
    happy = read_happy_summary(d / "expected.summary.csv")
    assert_same_as_happy(comp, happy["SNP"], "SNV")
    assert_same_as_happy(comp, happy["INDEL"], "INDEL")
    # and the matched records are those of hap.py's expected.vcf (truth coordinates)
    expected = []
    for line in (d / "expected.vcf").read_text().splitlines():
        if not line.startswith("#"):
            f = line.split("\t")
            expected.append((int(f[1]) - offset, f[3], f[4]))
    assert [(v.pos, v.ref, v.alt) for v in comp.true_positives] == expected


@requires_shared
@pytest.mark.shared
def test_happy_nist_indels_example():
    # vcfeval's test case: truth = het 4-bp deletion (216941792) + het 16-bp insertion
    # (216941822) in a TATC repeat; query = two phased 1|2 records, one of them with the same
    # deletion, the other a deletion + insertion 15 bp further right. The snapshot has no
    # hg19 FASTA and hap.py ships no expected output for this case. Record by record (no
    # left-alignment, no haplotype replay -- our documented limits) only the identical
    # deletion matches: the shifted insertion and the query's extra indels are FP, the truth
    # insertion FN. (Both 16-bp insertions are rotations of each other, TCTATCTATCTATCTG vs
    # GTCTATCTATCTATCT, so with the hg19 repeat sequence left-alignment or hap.py's haplotype
    # replay may reconcile them; we cannot check that here.)
    d = HAPPY / "NIST_indels"
    comp = compare_vcfs(d / "ve-testcase-baseline.vcf.gz", d / "ve-testcase-calls.vcf.gz")
    m = comp.metrics["INDEL"]
    assert (m.truth_total, m.tp, m.fn, m.query_total, m.fp) == (2, 1, 1, 4, 3)
    assert [(v.pos, v.ref, v.alt) for v in comp.true_positives] == [(216941792, "TTATC", "T")]
    assert comp.metrics["SNV"].truth_total == comp.metrics["SNV"].query_total == 0


def _perturbed_platinum_window(tmp_path):
    """Platinum Genomes NA12878 chr21 (GRCh38) in a 3 Mb window and a copy with known edits:
    every 50th simple SNV and 20th simple indel dropped (FN), every 60th SNV's zygosity flipped
    (FN + FP, fp_gt), new SNVs 1 bp after every 100th SNV (FP)."""
    src = HAPPY / "happy" / "PG_NA12878_hg38-chr21.vcf.gz"
    window = tmp_path / "truth.vcf"
    subprocess.run(
        ["bcftools", "view", "-r", "chr21:20000000-23000000", "-o", str(window), str(src)],
        check=True,
    )
    lines = window.read_text().splitlines(keepends=True)
    header = [x for x in lines if x.startswith("#")]
    body = [x.split("\t") for x in lines if not x.startswith("#")]

    def simple(f, kind):
        ok = "," not in f[4] and f[9].strip() in ("0/1", "1/0", "0|1", "1|0", "1|1", "1/1")
        is_snv = len(f[3]) == len(f[4]) == 1
        return ok and (is_snv if kind == "SNV" else len(f[3]) != len(f[4]))

    snvs = [k for k, f in enumerate(body) if simple(f, "SNV")]
    indels = [k for k, f in enumerate(body) if simple(f, "INDEL")]
    drop = set(snvs[::50] + indels[::20])  # -> FN
    flip = set(snvs[7::60]) - drop  # hom <-> het -> FN + FP (fp_gt)
    query = []
    for k, f in enumerate(body):
        if k in drop:
            continue
        f = list(f)
        if k in flip:
            f[9] = "0/1\n" if f[9].strip() in ("1|1", "1/1") else "1/1\n"
        query.append("\t".join(f))
    extra = []  # new SNVs 1 bp after existing SNVs (not in truth) -> FP
    for k in snvs[3::100]:
        f = list(body[k])
        pos = int(f[1]) + 1
        if not any(int(g[1]) == pos for g in body):
            f[1], f[3], f[4], f[9] = str(pos), "N", "A", "0/1\n"
            extra.append(f)
    # the window has no reference: REF "N" at an unknown base is fine without one
    qpath = tmp_path / "query.vcf"
    qbody = sorted([x.split("\t") for x in query] + extra, key=lambda f: int(f[1]))
    qpath.write_text("".join(header) + "".join("\t".join(f) for f in qbody))
    edits = SimpleNamespace(snvs=snvs, indels=indels, drop=drop, flip=flip, extra=extra)
    return window, qpath, body, edits


@requires_shared
@pytest.mark.shared
def test_platinum_genomes_chr21_window_perturbed(tmp_path):
    # Real truth set, compared with a copy in which known edits were made; the counts must
    # follow the edits exactly.
    window, qpath, _body, e = _perturbed_platinum_window(tmp_path)
    comp = compare_vcfs(window, qpath, pass_only=False)  # the truth has "Silver" FILTERs
    snv_total = comp.metrics["SNV"].truth_total
    m = comp.metrics["SNV"]
    n_drop_snv = len(e.drop & set(e.snvs))
    assert m.fn == n_drop_snv + len(e.flip)
    assert m.fp == len(e.extra) + len(e.flip) and m.fp_gt == len(e.flip)
    assert m.tp == snv_total - m.fn
    mi = comp.metrics["INDEL"]
    assert (mi.fn, mi.fp) == (len(e.drop & set(e.indels)), 0)
    assert snv_total > 2000 and mi.truth_total > 300
    # self-comparison of the whole window restricted to the confident regions: F1 = 1
    same = compare_vcfs(window, window, confident=HAPPY / "happy" / "PG_Conf_hg38-chr21.bed.gz")
    assert same.metrics["ALL"].f1 == 1.0
    assert same.info["truth_normalisation"]["outside_regions"] > 0


@requires_shared
@pytest.mark.shared
def test_platinum_genomes_chr21_edits_counted_inside_confident_regions_only(tmp_path):
    # The same edits judged inside Platinum's own confident regions (the real BED, 4,852
    # intervals in the window): an edit counts only when its record's whole REF span lies in
    # the BED. The expected counts come from a per-base mask of the BED, not from Regions.
    window, qpath, body, e = _perturbed_platinum_window(tmp_path)
    bed = HAPPY / "happy" / "PG_Conf_hg38-chr21.bed.gz"
    lo, hi = 19_999_000, 23_001_000
    mask = bytearray(hi - lo)
    with gzip.open(bed, "rt") as fh:
        for line in fh:
            c, s, t = line.split("\t")[:3]
            s, t = max(int(s), lo), min(int(t), hi)
            if c == "chr21" and s < t:
                mask[s - lo : t - lo] = b"\x01" * (t - s)

    def inside(f):
        start = int(f[1]) - 1
        return all(mask[start - lo : start - lo + len(f[3])])

    comp = compare_vcfs(window, qpath, pass_only=False, confident=bed)
    whole = compare_vcfs(window, qpath, pass_only=False)
    snv_in = {k for k in e.snvs if inside(body[k])}
    indel_in = {k for k in e.indels if inside(body[k])}
    flip_in = e.flip & snv_in
    extra_in = [f for f in e.extra if inside(f)]
    m, mi = comp.metrics["SNV"], comp.metrics["INDEL"]
    assert m.fn == len(e.drop & snv_in) + len(flip_in)
    assert m.fp == len(extra_in) + len(flip_in) and m.fp_gt == len(flip_in)
    assert m.tp == m.truth_total - m.fn and m.tp >= len(snv_in - e.drop - e.flip)
    assert (mi.fn, mi.fp) == (len(e.drop & indel_in), 0)
    # the BED removes real records and edits on both sides (else this test would show nothing)
    assert len(snv_in) < len(e.snvs) and len(indel_in) < len(e.indels)
    assert m.truth_total < whole.metrics["SNV"].truth_total
    assert 0 < m.fn < whole.metrics["SNV"].fn and mi.fn < whole.metrics["INDEL"].fn
    assert len(extra_in) < len(e.extra)
    assert comp.info["confident_bp"] > 0


def test_module_constants():
    assert vc.VARIANT_TYPES == ("SNV", "INDEL") and vc.MATCH_MODES == ("genotype", "allele")
