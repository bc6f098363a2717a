"""End-to-end: the whole pipeline on the embedded demo cohort (fixture ``demo_run``, conftest)."""

import gzip
import json
import os
import re
from pathlib import Path

import pandas as pd
import pytest

from conftest import DEMO, DEMO_RUN, IDENTIFYING_DIR, ROOT, requires_demo, run_snakemake

pytestmark = [pytest.mark.workflow, requires_demo]


def count_pairs(path):
    with gzip.open(path, "rb") as fh:
        return sum(1 for _ in fh) // 4


def test_config_sheet_is_the_generated_demo_sheet():
    assert (ROOT / "config" / "samples.tsv").read_text() == (DEMO / "samples.tsv").read_text()


def test_demo_qc_counts_match_the_fastq_files(demo_run):
    run, sheet, _ = demo_run
    counts = pd.read_csv(run / "results/qc/read_counts.tsv", sep="\t", dtype={"unit": str})
    assert len(counts) == len(sheet)
    assert (counts.status == "PASS").all(), counts[counts.status != "PASS"]
    merged = counts.merge(sheet, on=["sample_id", "unit", "patient_id", "assay"])
    for row in merged.itertuples():
        assert row.read_pairs_in == count_pairs(row.fastq_1), row.sample_id
    # QC keeps most of a good library: host/shotgun > 90 %, 16S (primer required) > 90 %
    assert (counts.pct_pairs_kept > 90).all(), counts[["sample_id", "pct_pairs_kept"]]


def test_demo_lanes_are_merged(demo_run):
    run, sheet, _ = demo_run
    counts = pd.read_csv(run / "results/qc/read_counts.tsv", sep="\t", dtype={"unit": str})
    multi = sheet.groupby("sample_id").unit.count()
    multi = multi[multi > 1].index
    assert len(multi) >= 1, "the demo must exercise lane merging"
    for sample in multi:
        expected = counts[counts.sample_id == sample].read_pairs_out.sum()
        assert count_pairs(run / f"results/qc/merged/{sample}_R1.fastq.gz") == expected


def test_demo_multiqc_and_provenance(demo_run):
    run, sheet, _ = demo_run
    stats = pd.read_csv(
        run / "results/qc/multiqc/multiqc_report_data/multiqc_general_stats.txt", sep="\t"
    )
    units = set(sheet.sample_id + "." + sheet.unit)  # fastp / cutadapt, per unit
    host = set(sheet.sample_id[sheet.assay.str.startswith("host")])  # samtools/bcftools stats
    shotgun = set(sheet.sample_id[sheet.assay == "shotgun"])  # Kraken2 reports
    assert set(stats.Sample) == units | host | shotgun
    prov = json.loads((run / "results/provenance/provenance.json").read_text())
    # every tool that ran, its version recorded by the rules that ran it (from inside their
    # environments) and never "not found"; bwa did not run (aligner minimap2)
    assert set(prov["tools"]) == {
        "fastp", "cutadapt", "minimap2", "samtools", "bcftools", "tabix", "vsearch", "mafft",
        "FastTree", "kraken2", "kraken2-build", "multiqc", "snakemake", "whatshap", "diamond",
    }  # fmt: skip
    assert all(re.fullmatch(r"\d+\.\d+[0-9A-Za-z.+-]*", v) for v in prov["tools"].values())
    versions = run / "results/provenance/versions"
    by_assay = {a: set(sheet.sample_id[sheet.assay.str.startswith(a)]) for a in ("host", "16s")}
    by_assay["shotgun"] = set(sheet.sample_id[sheet.assay == "shotgun"])
    for rule, assay in [
        ("align_host", "host"), ("call_variants", "host"), ("call_pgx_sites", "host"),
        ("phase_host", "host"),
        ("shotgun_host_align", "shotgun"), ("shotgun_split_host", "shotgun"),
        ("kraken2", "shotgun"), ("amplicon_merge_filter", "16s"), ("amplicon_map", "16s"),
    ]:  # fmt: skip
        assert {f.stem for f in (versions / rule).glob("*.yml")} == by_assay[assay], rule
    fastp_units = {
        f"{s}.{u}"
        for s, u, a in zip(sheet.sample_id, sheet.unit, sheet.assay, strict=True)
        if a != "16s"
    }
    assert {f.stem for f in (versions / "fastp").glob("*.yml")} == fastp_units
    # input checksums agree with the demo manifest written by the generator
    manifest = {}
    for line in (ROOT / "resources/demo/MANIFEST.sha256").read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        manifest[name.lstrip("*")] = digest
    for rec in prov["inputs"]:
        row = sheet[(sheet.sample_id == rec["sample_id"]) & (sheet.unit == rec["unit"])].iloc[0]
        rel = str(row.fastq_1).split(f"{IDENTIFYING_DIR}/", 1)[1]
        assert manifest[rel] == rec["sha256_r1"]


def _pharmcat_name(gdef, name: str) -> str:
    """The demo truth uses pypgx allele names; PharmCAT names single-SNP genes' alleles
    differently (VKORC1 ``Reference`` / ``rs9923231`` = ``rs9923231 reference (C)`` /
    ``rs9923231 variant (T)``)."""
    names = {a.name for a in gdef.alleles}
    if name in names:
        return name
    if name == "Reference":
        return gdef.reference_allele
    rsid = {p.pos: p.rsid for p in gdef.positions}
    hits = [
        a.name for a in gdef.alleles if not a.reference and [rsid[q] for q in a.variants] == [name]
    ]
    assert len(hits) == 1, (gdef.gene, name, hits)
    return hits[0]


def test_demo_pgx_diplotypes_equal_planted_truth(demo_run):
    from holobiont.pgx import load_catalog

    run, sheet, _ = demo_run
    catalog = load_catalog(ROOT / "resources" / "pgx")
    truth = pd.read_csv(
        DEMO / "truth" / "pgx_diplotypes.tsv", sep="\t", dtype=str, keep_default_na=False
    )
    host = (
        sheet[sheet.assay.str.startswith("host")]
        .drop_duplicates("sample_id")
        .set_index("patient_id")
        .sample_id
    )
    assert len(truth.patient_id.unique()) == len(host) == 8
    checked = {"pypgx": 0, "pharmcat": 0, "no call": 0}
    for row in truth.itertuples():
        calls = pd.read_csv(
            run / f"results/host/pgx/{host[row.patient_id]}.pgx.tsv",
            sep="\t",
            dtype=str,
            keep_default_na=False,
        ).set_index("gene")
        call = calls.loc[row.gene]
        gdef = catalog.genes[row.gene]
        where = (row.patient_id, row.gene, call.diplotype, row.diplotype, call.notes)
        if row.allele_names == "pypgx":
            truth_dip = "/".join(_pharmcat_name(gdef, x) for x in row.diplotype.split("/"))
        elif row.expected_call == "no call":  # undocumented ALT where PharmCAT gives no call
            assert call.status != "called" and not call.diplotype, where
            checked["no call"] += 1
            continue
        else:  # planted from the catalog: PharmCAT names; expected_call (hemizygous G6PD)
            truth_dip = row.expected_call
        assert call.status == "called", where
        assert gdef.diplotype_key(call.diplotype) == gdef.diplotype_key(truth_dip), where
        checked[row.allele_names] += 1
    # 8 patients x 7 pypgx panel genes (2 of those 56 planted from the catalog instead) and
    # 8 patients x 8 genes planted from the catalog, 1 of them an expected no call
    assert checked == {"pypgx": 54, "pharmcat": 65, "no call": 1}
    # genes outside the demo reference are reported as not callable, never as reference
    calls = pd.read_csv(run / f"results/host/pgx/{host['P01']}.pgx.tsv", sep="\t", dtype=str)
    assert (
        calls.set_index("gene").loc[["CFTR", "RYR1", "NAT2", "CACNA1S"], "status"] == "no_data"
    ).all()


def test_demo_pgx_phasing_undocumented_and_combinations(demo_run):
    """WhatsHap phases UGT1A1 *28 and *80 (309 bp apart: one read pair) -- in trans in P03,
    in cis in P05; unphased, both would be *1/*80+*28; undocumented ALTs follow
    PharmCAT's per-gene rule and are reported; DPYD HapB3 + *2A; male G6PD hemizygous."""
    import pysam

    run, _, _ = demo_run

    def gene(patient, name):
        doc = json.loads((run / f"results/host/pgx/{patient}-host.pgx.json").read_text())
        return next(g for g in doc["genes"] if g["gene"] == name)

    for patient, dip in (("P03", "*28/*80"), ("P05", "*1/*80+*28")):
        with pysam.VariantFile(str(run / f"results/host/pgx/{patient}-host.pharmcat.vcf.gz")) as vf:
            recs = {r.pos: r.samples[0] for r in vf.fetch("chr2", 233759900, 233760300)}
        s80, s28 = recs[233759924], recs[233760233]
        assert s80.phased and s28.phased and s80["PS"] == s28["PS"], patient
        g = gene(patient, "UGT1A1")
        assert g["phased"] and g["diplotypes"] == [dip], g
    # and the phase changes the phenotype: *80 has unknown function (CPIC), *80+*28 decreased
    assert gene("P03", "UGT1A1")["phenotype"] == "Indeterminate"
    assert gene("P05", "UGT1A1")["phenotype"] == "Intermediate Metabolizer"
    assert gene("P03", "UGT1A1")["guidance_note"] == (
        "no CPIC recommendation for this phenotype in catalog source pypgx 0.27.0"
    )
    tpmt = gene("P05", "TPMT")  # TPMT: undocumented ALT matched as reference, reported
    assert tpmt["diplotypes"] == ["*1/*1"] and tpmt["confidence"] == "moderate", tpmt
    assert any(u["pos"] == 18130729 and u["allele"] == "A" for u in tpmt["unmatched_variants"])
    ifnl3 = gene("P06", "IFNL3")  # IFNL3: no call (PharmCAT's default), reported
    assert ifnl3["status"] != "called" and not ifnl3["drugs"], ifnl3
    assert any(u["pos"] == 39248147 for u in ifnl3["unmatched_variants"]), ifnl3
    dpyd = gene("P04", "DPYD")
    assert dpyd["activity_score"] == 0.5 and dpyd["phenotype"] == "Poor Metabolizer", dpyd
    assert {"capecitabine", "fluorouracil"} <= {d["drug"] for d in dpyd["drugs"]}
    g6pd = gene("P02", "G6PD")  # male
    assert g6pd["haploid"] and g6pd["diplotypes"] == ["A- 202A_376G"], g6pd


def test_demo_reports_show_the_planted_genes(demo_run):
    run, _, _ = demo_run
    genes = {
        g["gene"]: g
        for g in json.loads((run / "results/reports/P01.json").read_text())["host"]["genes"]
    }
    for name, phenotype, drug in (
        ("CYP3A5", "Intermediate Metabolizer", "tacrolimus"),
        ("UGT1A1", "Intermediate Metabolizer", "atazanavir"),
        ("CYP2B6", "Intermediate Metabolizer", "efavirenz"),
        ("ABCG2", "Decreased Function", "rosuvastatin"),
    ):
        g = genes[name]
        assert g["phenotype"] == phenotype and drug in {d["drug"] for d in g["drugs"]}, g
        assert all(d["classification"].startswith("CPIC level ") for d in g["drugs"])
    # called, but the catalog's source has no CPIC recommendation: said plainly
    for name in ("CYP4F2", "CYP3A4", "G6PD", "VKORC1"):
        g = genes[name]
        assert g["status"] == "called" and not g["drugs"], g
        assert g["guidance_note"].startswith("no CPIC recommendation in catalog source pypgx")
    assert "warfarin (CPIC level A)" in genes["VKORC1"]["guidance_note"]
    html = (run / "results/reports/P01.html").read_text()
    assert "tacrolimus" in html and "no CPIC recommendation in catalog source pypgx" in html
    row = html.split("<b>CYP4F2</b>", 1)[1].split("</tr>")[0]
    assert "no CPIC recommendation in catalog source" in row and "not called" not in row


def test_demo_pharmcat_vcf_covers_every_catalog_position(demo_run):
    import pysam

    from holobiont.pgx import load_catalog

    run, sheet, _ = demo_run
    catalog = load_catalog(ROOT / "resources" / "pgx")
    demo_genes = {"CYP2C19", "CYP2C9", "VKORC1", "SLCO1B1", "DPYD", "TPMT", "NUDT15"}
    planted = {"CYP3A5", "UGT1A1", "CYP4F2", "CYP2B6", "ABCG2", "IFNL3", "G6PD", "CYP3A4"}
    expected = {
        (p.chrom, p.pos)
        for p in catalog.positions()
        if p.gene in demo_genes | planted and p.role == "definition"
    }
    # PharmCAT's extra positions lie outside the demo panel (CYP2C9 rs12777823, upstream)
    outside = {
        (p.chrom, p.pos) for p in catalog.positions() if p.gene in demo_genes and p.role == "extra"
    }
    with pysam.VariantFile(str(run / "results/host/pgx/P01-host.pharmcat.vcf.gz")) as vf:
        assert list(vf.header.samples) == ["P01"]  # pseudonymous patient ID only
        recs = {(r.chrom, r.pos): r for r in vf}
    assert expected <= set(recs)
    called = [r for k, r in recs.items() if k in expected and None not in r.samples[0]["GT"]]
    assert len(called) == len(expected)  # 30x demo: every position covered and called
    assert outside and all(recs[k].samples[0]["GT"] == (None, None) for k in outside)  # not 0/0


def test_demo_host_vcf_recovers_planted_variants(demo_run):
    import pysam

    run, sheet, _ = demo_run
    for patient in ("P01", "P03"):
        with pysam.VariantFile(str(DEMO / "truth" / f"{patient}.host.vcf.gz")) as vf:
            truth = {
                (r.chrom, r.pos, r.ref, r.alts[0]): tuple(sorted(r.samples[0]["GT"])) for r in vf
            }
        with pysam.VariantFile(str(run / f"results/host/vcf/{patient}-host.vcf.gz")) as vf:
            calls = {
                (r.chrom, r.pos, r.ref, r.alts[0]): tuple(sorted(r.samples[0]["GT"]))
                for r in vf
                if "PASS" in r.filter
            }
        found = sum(calls.get(k) == gt for k, gt in truth.items())
        # tolerance: >= 98 % of planted variants with the right genotype, <= 2 extra calls
        assert found >= 0.98 * len(truth), (patient, found, len(truth))
        assert len(set(calls) - set(truth)) <= 2


def test_demo_identity_and_diversity(demo_run):
    run, sheet, _ = demo_run
    ident = pd.read_csv(run / "results/identity/identity.tsv", sep="\t")
    stool = set(sheet.sample_id[sheet.assay == "shotgun"])
    assert set(ident.sample_id) == stool and (ident.verdict == "match").all()
    for assay, metrics in (("16s", 4), ("shotgun", 2)):
        summary = json.loads((run / f"results/diversity/{assay}/summary.json").read_text())
        n = len(sheet[sheet.assay == assay])
        assert len(summary["kept"]) == n and summary["dropped"] == {}
        assert len(summary["beta"]) == metrics
        perm = pd.read_csv(run / f"results/diversity/{assay}/permanova.tsv", sep="\t")
        bc = perm[(perm.metric == "braycurtis") & (perm.column == "group")].iloc[0]
        # the demo's two diet groups differ by design; with 7 samples (3 vs 4) the smallest
        # attainable permutation p is 1/35 ~= 0.029
        assert bc.p_value < 0.05 and bc.pseudo_F > 5
        # one sample per patient: P09's earlier timepoints are left out of PERMANOVA
        assert bc.sample_size == sheet[sheet.assay == assay].patient_id.nunique()


def test_demo_patient_reports(demo_run):
    import jsonschema

    run, sheet, _ = demo_run
    schema = json.loads((ROOT / "workflow/schemas/patient_report.schema.json").read_text())
    for patient in sorted(sheet.patient_id.unique()):
        doc = json.loads((run / f"results/reports/{patient}.json").read_text())
        jsonschema.validate(doc, schema)
        assert doc["patient_id"] == patient
    p07 = json.loads((run / "results/reports/P07.json").read_text())
    assert p07["modalities"]["shotgun"] == "not sequenced"  # P07 has no shotgun library
    assert "not sequenced" in (run / "results/reports/P07.html").read_text()
    # outside calls (sheet column pgx_outside_calls): CYP2D6 and HLA-B of P01, CYP2D6 of P05
    genes = {
        p: {
            g["gene"]: g
            for g in json.loads((run / f"results/reports/{p}.json").read_text())["host"]["genes"]
        }
        for p in ("P01", "P05", "P02")
    }
    d6 = genes["P01"]["CYP2D6"]
    assert (d6["diplotype"], d6["phenotype"]) == ("*1/*4", "Intermediate Metabolizer")
    assert d6["source"] == "outside call: P01.tsv" and d6["activity_score"] == 1.0
    assert "codeine" in {d["drug"] for d in d6["drugs"]}
    assert genes["P01"]["HLA-B"]["phenotype"] == "*57:01 negative"
    assert genes["P05"]["CYP2D6"]["phenotype"] == "Poor Metabolizer"
    assert genes["P05"]["CYP2D6"]["light"] == "red"
    assert "CYP2D6" not in genes["P02"]  # never called from a VCF, and P02 has no outside call
    assert all(g["source"] == "vcf" for g in genes["P02"].values())
    html = (run / "results/reports/P01.html").read_text()
    assert "outside call: P01.tsv" in html


def test_demo_timecourse_follows_the_planted_drift(demo_run):
    """P09's three 16S timepoints (truth/16s_timecourse.tsv): the report's composition per
    timepoint is the planted one (6,000 read pairs per sample: multinomial SD <= 0.6 point per
    genus; 2 points allowed, 1 for Enterococcus, SD 0.5 point at 20 %), Enterococcus
    (levodopa) rises 2 -> 8 -> 20 %, and the report and the cohort use the latest timepoint."""
    run, sheet, _ = demo_run
    doc = json.loads((run / "results/reports/P09.json").read_text())
    truth = pd.read_csv(DEMO / "truth/16s_timecourse.tsv", sep="\t", dtype={"timepoint": str})
    genus_truth = truth[truth["rank"] == "genus"]
    course = doc["timecourse"]["16s"]
    samples = ["P09-16S-d0", "P09-16S-d28", "P09-16S-d56"]
    assert course["samples"] == samples and course["latest"] == "P09-16S-d56"
    assert [p["label"] for p in course["timepoints"]] == ["t = 0", "t = 28", "t = 56"]
    assert list(genus_truth.drop_duplicates("sample_id").sample_id) == samples
    alpha = pd.read_csv(run / "results/diversity/16s/alpha.tsv", sep="\t", comment="#")
    alpha = alpha.set_index("sample_id")
    checked = 0
    for point in course["timepoints"]:
        got = {g["genus"]: g["relative"] for g in point["genera"]}
        want = genus_truth[genus_truth.sample_id == point["sample_id"]]
        for row in want.itertuples():
            if row.name in course["genera"]:  # the top genera shown at every timepoint
                assert got[row.name] == pytest.approx(row.expected_fraction, abs=0.02), (
                    point["sample_id"],
                    row.name,
                )
                checked += 1
        shannon = next(a for a in point["alpha"] if a["metric"] == "shannon")
        assert shannon["value"] == pytest.approx(alpha.loc[point["sample_id"], "shannon"])
    assert checked >= 3 * 6
    assert "Enterococcus" in course["genera"]
    # the drug-relevant genus: levodopa / Enterococcus, per timepoint, against the planted share
    entero = next(
        d for d in course["drug_rows"] if d["drug"] == "levodopa" and d["taxon"] == "Enterococcus"
    )
    planted = [
        float(
            genus_truth[
                (genus_truth.sample_id == s) & (genus_truth.name == "Enterococcus")
            ].expected_fraction.iloc[0]
        )
        for s in samples
    ]
    assert planted == pytest.approx([0.02, 0.08, 0.2])
    seen = [c["abundance"] for c in entero["timepoints"]]
    assert seen == pytest.approx(planted, abs=0.01) and seen[0] < seen[1] < seen[2]
    assert [c["status"] for c in entero["timepoints"]] == ["detected"] * 3
    # the report describes the latest timepoint: microbiome section and microbe-drug table
    assert doc["microbiome"]["16s"]["sample_id"] == doc["modalities"]["16s"] == samples[-1]
    row = next(m for m in doc["interactions"]["rows"] if m["taxon"] == "Enterococcus")
    assert row["assays"]["16s"]["abundance"] == pytest.approx(seen[-1])
    html = (run / "results/reports/P09.html").read_text()
    assert html.count("<h2>Change over time</h2>") == 1
    findings = html.split("<h2>Key findings</h2>", 1)[1].split("<h2>", 1)[0]
    assert "use the latest timepoint, t = 56 (library P09-16S-d56)" in findings
    # cohort statistics use one sample per patient: the latest timepoint
    latest = set(sheet[sheet.assay == "16s"].groupby("patient_id").sample_id.last())
    assert "P09-16S-d56" in latest and len(latest) == 8
    p01 = json.loads((run / "results/reports/P01.json").read_text())
    cohort = {c["sample_id"] for c in p01["microbiome"]["16s"]["diversity"]["alpha"][0]["cohort"]}
    assert cohort == latest
    assert "one sample per patient: the latest timepoint" in p01["methods"]["cohort_statistics"]
    assert "<h2>Change over time</h2>" not in (run / "results/reports/P01.html").read_text()
    c = json.loads((run / "results/reports/cohort.json").read_text())
    assert {s["sample_id"] for s in c["microbiome"]["16s"]["composition"]["samples"]} == latest
    points = {p["sample_id"] for p in c["microbiome"]["16s"]["pcoa"]["braycurtis"]["points"]}
    assert points == latest
    # the ordination itself is computed on them (earlier timepoints would move the others)
    for m in ("braycurtis", "weighted_normalized_unifrac"):
        pcoa = pd.read_csv(run / f"results/diversity/16s/pcoa_{m}.tsv", sep="\t", comment="#")
        assert set(pcoa.sample_id) == latest, m


def test_demo_reports_gene_level_evidence(demo_run):
    """Per drug: gene detected with its abundance (P01: cgr2 of E. lenta), the species present
    without the gene (P03: a cgr-negative E. lenta, truth/shotgun_genes.tsv), or not measured
    (P07: no shotgun library); the text says what each flag rests on."""
    run, _, _ = demo_run

    def rows(patient):
        doc = json.loads((run / f"results/reports/{patient}.json").read_text())
        return {(m["drug"], m["taxon"]): m for m in doc["interactions"]["rows"]}

    truth = pd.read_csv(DEMO / "truth/shotgun_genes.tsv", sep="\t")
    carried = {(t.patient_id, t.gene): bool(t.carried) for t in truth.itertuples()}
    p01, p03, p07 = rows("P01"), rows("P03"), rows("P07")
    assert carried[("P01", "cgr2")] and not carried[("P03", "cgr2")]
    dig = p01[("digoxin", "Eggerthella lenta")]["gene_evidence"]
    assert dig["status"] == "gene detected" and dig["basis"] == "gene reads"
    assert dig["read_pairs"] >= dig["min_pairs"] and dig["rpm"] > 0 and dig["rpkm"] > 0
    dig3 = p03[("digoxin", "Eggerthella lenta")]
    assert dig3["status"] == "detected"  # the species is there ...
    assert dig3["gene_evidence"]["status"] == "taxon present, gene not detected"  # ... no cgr2
    assert dig3["gene_evidence"]["read_pairs"] == 0
    assert p03[("levodopa", "Eggerthella lenta")]["gene_evidence"]["status"] == "gene detected"
    for m in p07.values():
        assert m["gene_evidence"]["status"] == "not measured"
        assert m["gene_evidence"]["basis"] == "taxon presence proxy"
    assert p07[("digoxin", "Eggerthella lenta")]["gene_evidence"]["reason"] == "no shotgun library"
    brivudine = p01[("brivudine", "Bacteroides thetaiotaomicron")]["gene_evidence"]
    assert brivudine["reason"] == "no gene is named for this activity"
    html = (run / "results/reports/P03.html").read_text()
    assert "rests on: gene reads" in html and "rests on: taxon presence proxy" in html
    assert "a gene counts as detected from 4 read pairs" in html
    assert "cgr2 taxon present, gene not detected (0 read pairs" in html


def test_demo_cohort_report(demo_run):
    import jsonschema

    run, sheet, _ = demo_run
    doc = json.loads((run / "results/reports/cohort.json").read_text())
    schema = json.loads((ROOT / "workflow/schemas/cohort_report.schema.json").read_text())
    jsonschema.validate(doc, schema)
    assert [p["patient_id"] for p in doc["patients"]] == sorted(sheet.patient_id.unique())
    assert doc["group_by"] == "group"
    # the cohort PERMANOVA is the one computed by the diversity stage
    perm = pd.read_csv(run / "results/diversity/16s/permanova.tsv", sep="\t")
    bc = perm[(perm.metric == "braycurtis") & (perm.column == "group")].iloc[0]
    row = next(
        r
        for r in doc["microbiome"]["16s"]["permanova"]
        if r["metric"] == "braycurtis" and r["column"] == "group"
    )
    assert row["p_value"] == pytest.approx(bc.p_value) and row["pseudo_F"] == pytest.approx(
        bc.pseudo_F
    )
    # the PGx matrix equals the patients' own calls
    # (a gene a patient was not tested for, e.g. CYP2D6 without an outside call, is null)
    for p in doc["pgx"]["patients"]:
        mine = json.loads((run / f"results/reports/{p['patient_id']}.json").read_text())
        got = {
            gene: c["phenotype"]
            for gene, c in zip(doc["pgx"]["genes"], p["calls"], strict=True)
            if c is not None
        }
        assert got == {g["gene"]: g["phenotype"] or "not called" for g in mine["host"]["genes"]}
    cyp2d6 = doc["pgx"]["genes"].index("CYP2D6")
    tested = {p["patient_id"] for p in doc["pgx"]["patients"] if p["calls"][cyp2d6] is not None}
    assert tested == {"P01", "P05"}
    html = (run / "results/reports/cohort.html").read_text()
    assert "communities differ by <b>group</b>" in html


def _report_texts(run):
    from holobiont.report.pdf import pdf_text

    for path in sorted((run / "results/reports").glob("*")):
        yield path, pdf_text(path) if path.suffix == ".pdf" else path.read_text()
    for path in sorted((run / "logs/reports").glob("*.log")):
        yield path, path.read_text()


def test_demo_reports_are_offline_and_pseudonymous(demo_run):
    run, sheet, sheet_path = demo_run
    with gzip.open(sheet.fastq_1.iloc[0], "rt") as fh:
        first_read = fh.readline().split()[0][1:]
    flowcell = first_read.split(":")[2]
    assert flowcell  # the demo's read names carry an instrument/run/flowcell triple
    checked = 0
    for path, text in _report_texts(run):
        assert IDENTIFYING_DIR not in text, path
        assert str(sheet_path.parent) not in text and str(ROOT) not in text, path
        assert first_read not in text and f":{flowcell}:" not in text, path
        # (FHIR bundles name their code systems and profiles by URI: test_demo_exports.py)
        if path.suffix in (".html", ".json") and not path.name.endswith(".fhir.json"):
            assert "http://" not in text and "https://" not in text, path
            checked += 1
    assert checked == 2 * (sheet.patient_id.nunique() + 1)  # every patient + the cohort


def test_snakemake_report_with_captions(demo_run):
    run, _, sheet_path = demo_run
    res = run_snakemake(
        run, "--report", "report.html", config={"samples": sheet_path}, overrides=DEMO_RUN
    )
    assert res.returncode == 0, res.stderr[-3000:]
    html = (run / "report.html").read_text()
    for caption in ("cohort_report.rst", "patient_report.rst", "diversity.rst", "multiqc.rst"):
        first_words = (ROOT / "workflow/report" / caption).read_text().split("\n")[0][:40]
        assert first_words in html, caption
    assert "patient P01" in html and "Holobiont analyses each patient" in html


def test_reports_in_headless_chromium(demo_run):
    """Every report opens offline in a real browser: no console errors, no network request,
    nothing wider than a 1280-px window; screenshots are kept for a human to look at."""
    from browser import visit

    run, sheet, _ = demo_run
    shots = Path(os.environ.get("HOLOBIONT_SCREENSHOTS", run / "screenshots"))
    shots.mkdir(parents=True, exist_ok=True)
    pages = [f"{p}.html" for p in sorted(sheet.patient_id.unique())] + ["cohort.html"]
    for name in pages:
        for media in ("screen", "print"):  # print: the print CSS and the beforeprint script
            v = visit(run / "results/reports" / name, media=media)
            (shots / f"{Path(name).stem}.{media}.png").write_bytes(v.screenshot)
            assert v.errors == [], (name, media, v.errors)
            assert v.requests == [], (name, media, v.requests)
            assert v.scroll_width <= v.viewport_width, (name, media, v.scroll_width)
            assert v.page_height > 1000 and len(v.screenshot) > 50_000, (name, media)
            if media == "print":
                assert v.closed_details == 0, name  # every folded section prints


def test_patient_pdfs_show_every_gene_and_drug(demo_run):
    """Each patient's PDF: a few A4 pages whose text holds every gene and drug of the HTML."""
    from holobiont.report.pdf import pdf_pages, pdf_text

    run, sheet, _ = demo_run
    for patient in sorted(sheet.patient_id.unique()):
        rep = json.loads((run / f"results/reports/{patient}.json").read_text())
        pdf = run / f"results/reports/{patient}.pdf"
        assert pdf.read_bytes().startswith(b"%PDF"), patient
        assert 4 <= pdf_pages(pdf) <= 16, (patient, pdf_pages(pdf))
        text = " ".join(pdf_text(pdf).split())  # line breaks of the layout -> spaces
        genes = [g["gene"] for g in rep["host"].get("genes", [])]
        drugs = {d["drug"] for g in rep["host"].get("genes", []) for d in g["drugs"]}
        drugs |= {m["drug"] for m in rep["interactions"]["rows"]}
        html = (run / f"results/reports/{patient}.html").read_text()
        assert all(g in html for g in genes) and all(d in html for d in drugs), patient

        # a name may wrap at its spaces or hyphens ("peginterferon alfa-\n2a", which pdftotext
        # joins as "alfa2a"): compare the names and the text without whitespace and hyphens
        def flat(s):
            return re.sub(r"[\s\-\u2010\u00ad]", "", s)

        missing = [w for w in [*genes, *sorted(drugs)] if flat(w) not in flat(text)]
        assert not missing, (patient, missing)
        assert rep["document"]["report_id"] in text, patient
        assert "Methods and limitations" in text and "Not assessed" in text, patient
