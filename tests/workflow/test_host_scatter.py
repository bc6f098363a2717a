"""Scattered WGS calling with the real tools: the demo's two WGS patients called in several
reference chunks give the same VCF and gVCF, byte for byte after decompression, as one
unscattered job; no chunk border falls inside a (padded) PGx gene. The optional cohort VCF
(bcftools merge --gvcf) of the same run has both patients as columns and reads back."""

import gzip
import shutil
import subprocess

import pandas as pd
import pysam
import pytest

from conftest import ROOT, requires_demo, run_snakemake

pytestmark = [pytest.mark.workflow, requires_demo]

WGS = ["P03-host", "P06-host"]


def _targets():
    return [
        f"results/host/{d}/{s}.{e}"
        for s in WGS
        for d, e in (("vcf", "vcf.gz"), ("gvcf", "g.vcf.gz"))
    ]


def _text(path):
    with gzip.open(path, "rt") as fh:
        return fh.read()


def test_scattered_calls_equal_unscattered(tmp_path):
    sheet = pd.read_csv(ROOT / "config/samples.tsv", sep="\t", dtype=str, keep_default_na=False)
    sheet = sheet[sheet.sample_id.isin(WGS)].copy()
    assert sorted(sheet.assay.unique()) == ["host_wgs"]
    for col in ("fastq_1", "fastq_2", "pgx_outside_calls"):
        sheet[col] = [str(ROOT / p) if p else "" for p in sheet[col]]
    path = tmp_path / "samples.tsv"
    sheet.to_csv(path, sep="\t", index=False)
    run = tmp_path / "run"

    one = run_snakemake(
        run, *_targets(), config={"samples": path}, overrides={"host": {"scatter": {"chunks": 1}}}
    )
    assert one.returncode == 0, one.stdout[-3000:] + one.stderr[-3000:]
    assert not (run / "results/host/chunks/plan.tsv").exists()  # one job, no plan
    single = {t: _text(run / t) for t in _targets()}
    for d in ("vcf", "gvcf"):
        shutil.rmtree(run / "results/host" / d)

    cohort = "results/host/cohort/host_cohort.g.vcf.gz"
    many = run_snakemake(
        run,
        *_targets(),
        cohort,
        config={"samples": path},
        overrides={"host": {"scatter": {"chunks": 5}, "cohort_vcf": True}},
    )
    assert many.returncode == 0, many.stdout[-3000:] + many.stderr[-3000:]
    plan = pd.read_csv(run / "results/host/chunks/plan.tsv", sep="\t", dtype={"chunk": str})
    assert plan.chunk.nunique() == 5
    assert "align_host" not in many.stdout + many.stderr  # the BAMs were reused
    for s in WGS:  # one calling job per chunk
        logs = sorted((run / "logs/host/call_variants").glob(f"{s}.0*.log"))
        assert [p.name for p in logs] == [f"{s}.{k:04d}.log" for k in range(1, 6)]

    # every base of every contig in exactly one chunk, borders outside the padded PGx genes
    fai = pd.read_csv(
        ROOT / "resources/demo/data/reference/demo_grch38.fa.gz.fai",
        sep="\t",
        header=None,
        usecols=[0, 1],
        names=["chrom", "length"],
    )
    for chrom, length in fai.itertuples(index=False):
        rows = plan[plan.chrom == chrom].sort_values("start")
        assert rows.start.iloc[0] == 1 and rows.end.iloc[-1] == length
        assert (rows.start.iloc[1:].to_numpy() == rows.end.iloc[:-1].to_numpy() + 1).all()
    genes = pd.read_csv(ROOT / "resources/pgx/genes.tsv", sep="\t", dtype={"chrom": str})
    borders = [
        (r.chrom, r.end)
        for r in plan.itertuples()
        if r.end < dict(fai.itertuples(index=False))[r.chrom]
    ]
    assert borders, "5 chunks on 6 contigs: at least one border inside a contig"
    for chrom, pos in borders:
        near = genes[
            (genes.chrom == chrom) & (genes.start - 10_000 < pos) & (genes.end + 10_000 > pos)
        ]
        assert near.empty, f"border {chrom}:{pos} inside {near.gene.tolist()}"

    for t in _targets():
        scattered = _text(run / t)
        assert scattered == single[t], f"{t} differs between 1 and 5 chunks"
    n_calls = sum(not line.startswith("#") for line in single[_targets()[0]].splitlines())
    assert n_calls > 50  # the comparison covers real calls

    # the cohort VCF: one column per host sample (SM = patient), read by bcftools and pysam
    listed = subprocess.run(
        ["bcftools", "query", "-l", str(run / cohort)], capture_output=True, text=True, check=True
    )
    assert listed.stdout.split() == ["P03", "P06"]
    with (
        pysam.VariantFile(str(run / cohort)) as merged,
        pysam.VariantFile(str(run / "results/host/vcf/P03-host.vcf.gz")) as p03,
        pysam.VariantFile(str(run / "results/host/gvcf/P06-host.g.vcf.gz")) as g06,
    ):
        assert list(merged.header.samples) == ["P03", "P06"]
        checked = {"0/0": 0, "missing": 0}
        for rec in p03:
            if "PASS" not in rec.filter or len(rec.ref) != 1 or len(rec.alts[0]) != 1:
                continue
            rows = [
                m
                for m in merged.fetch(rec.chrom, rec.pos - 1, rec.pos)
                if m.pos == rec.pos and rec.alts[0] in (m.alts or ())
            ]
            assert len(rows) == 1, f"{rec.chrom}:{rec.pos} {len(rows)} cohort rows"
            m = rows[0]
            gt03 = tuple(m.alleles[a] for a in m.samples["P03"]["GT"])
            assert sorted(gt03) == sorted(rec.alleles[a] for a in rec.samples[0]["GT"])
            # P06 where it has no variant: 0/0 from its reference block, or missing where its
            # gVCF has no record (no reads): never a made-up reference call
            own = [r for r in g06.fetch(rec.chrom, rec.pos - 1, rec.pos)]
            if any(r.alts and r.alts != ("<*>",) for r in own):
                continue
            gt06 = m.samples["P06"]["GT"]
            if own:
                assert gt06 == (0, 0), (rec.chrom, rec.pos, gt06)
                checked["0/0"] += 1
            else:
                assert gt06 in ((None, None), (None,)), (rec.chrom, rec.pos, gt06)
                checked["missing"] += 1
        assert checked["0/0"] > 10, checked
