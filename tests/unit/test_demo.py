"""The deterministic demo cohort generator (holobiont.demo)."""

from __future__ import annotations

import csv
import gzip
import json
import re
from pathlib import Path

import numpy as np
import pysam
import pytest

from holobiont.demo import amplicon as amp
from holobiont.demo import files
from holobiont.demo import generate as gen
from holobiont.demo import reads as rd
from holobiont.demo.pgx_sites import PANEL_GENES, load_alleles, load_sites
from holobiont.pipeline.fastq import check_pair
from holobiont.pipeline.sheet import load_samples

ROOT_PGX = Path(__file__).resolve().parents[2] / "resources" / "pgx"

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = ROOT / "resources" / "demo" / "data"
PREFIX = "resources/demo/data"


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> Path:
    """The default demo output: resources/demo/data if it matches the committed manifest
    (``make demo-data`` ran), else a fresh default run in a temporary project-like tree."""
    if DEFAULT_OUT.is_dir() and not gen.check(DEFAULT_OUT):
        return DEFAULT_OUT
    out = tmp_path_factory.mktemp("demo") / PREFIX
    gen.generate(out, gen.Params(path_prefix=PREFIX), quiet=True)
    return out


def tsv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def fastq_seqs(path: Path) -> list[str]:
    with gzip.open(path, "rt") as fh:
        return [line.rstrip("\n") for i, line in enumerate(fh) if i % 4 == 1]


# ------------------------------------------------------------------ determinism & idempotency


def test_default_output_matches_committed_manifest(demo):
    problems = gen.check(demo)
    assert not problems, problems[:10]
    manifest = files.read_manifest(gen.COMMITTED_MANIFEST)
    listed = {p.relative_to(demo).as_posix() for p in demo.rglob("*") if p.is_file()}
    assert set(manifest) <= listed
    assert listed - set(manifest) <= {files.MANIFEST_NAME, gen.MARKER}
    total = sum((demo / p).stat().st_size for p in manifest)
    assert total < 150e6


def test_second_run_is_a_no_op(demo, capsys):
    res = gen.generate(demo, gen.Params(path_prefix=PREFIX))
    assert res["status"] == "up-to-date"
    assert "up to date" in capsys.readouterr().err


def test_small_runs_are_byte_identical_whatever_the_workers(tmp_path):
    params = gen.Params(scale=0.03, path_prefix="x")
    a = gen.generate(tmp_path / "a", params, workers=1, quiet=True)
    b = gen.generate(tmp_path / "b", params, workers=2, quiet=True)
    assert a["status"] == b["status"] == "generated"
    ma = (tmp_path / "a" / files.MANIFEST_NAME).read_text()
    assert ma == (tmp_path / "b" / files.MANIFEST_NAME).read_text()
    assert len(ma.splitlines()) > 50


def test_refuses_a_foreign_non_empty_directory(tmp_path):
    (tmp_path / "precious.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="--force"):
        gen.generate(tmp_path, gen.Params(scale=0.01), quiet=True)
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "x" / "f.txt"
    with pytest.raises(RuntimeError), files.atomic_open(target, "w") as fh:
        fh.write("half")
        raise RuntimeError("killed")
    assert not target.exists()
    assert not list(target.parent.iterdir())


def test_gzip_output_has_no_name_or_time(demo):
    raw = (demo / "reads" / "P01-host_L001_R1.fastq.gz").read_bytes()[:10]
    assert raw[:3] == b"\x1f\x8b\x08"
    assert raw[3] & 0x08 == 0  # FNAME flag unset
    assert raw[4:8] == b"\x00\x00\x00\x00"  # mtime 0


# ------------------------------------------------------------------ sample sheet


def test_sample_sheet_modalities_units_and_schema(demo):
    rows = tsv(demo / "samples.tsv")
    assert list(rows[0]) == [
        "patient_id",
        "sample_id",
        "assay",
        "unit",
        "fastq_1",
        "fastq_2",
        "group",
        "sex",
        "pgx_outside_calls",
        "timepoint",
    ]
    outside = {r["patient_id"] for r in rows if r["pgx_outside_calls"]}
    assert outside == {"P01", "P05"}  # CYP2D6 (+ HLA-B) "from another assay"
    assert all(r["assay"].startswith("host_") for r in rows if r["pgx_outside_calls"])
    assays = {}
    for r in rows:
        kind = "host" if r["assay"].startswith("host_") else r["assay"]
        assays.setdefault(r["patient_id"], set()).add(kind)
        assert r["fastq_1"].startswith(PREFIX + "/reads/") and r["fastq_1"].endswith("_R1.fastq.gz")
    assert sorted(assays) == [f"P0{i}" for i in range(1, 10)]
    assert assays["P07"] == {"host", "16s"}
    assert assays["P09"] == {"16s"}  # the follow-up patient: three 16S timepoints, no host
    p09 = [(r["sample_id"], r["timepoint"]) for r in rows if r["patient_id"] == "P09"]
    assert p09 == [("P09-16S-d0", "0"), ("P09-16S-d28", "28"), ("P09-16S-d56", "56")]
    assert all(r["timepoint"] == "" for r in rows if r["patient_id"] != "P09")
    assert assays["P08"] == {"host", "shotgun"}
    for p in ("P01", "P02", "P03", "P04", "P05", "P06"):
        assert assays[p] == {"host", "16s", "shotgun"}
    units = [r["unit"] for r in rows if r["sample_id"] == "P02-host"]
    assert units == ["L001", "L002"]
    assert {r["assay"] for r in rows} == {"host_panel", "host_wgs", "16s", "shotgun"}
    assert {r["group"] for r in rows} == {"A", "B"}
    # the pipeline's own validator accepts it (paths relative to the project-like root)
    base = demo.parents[2]
    df = load_samples(
        demo / "samples.tsv", ROOT / "workflow/schemas/samples.schema.yaml", base_dir=base
    )
    assert len(df) == len(rows)


# ------------------------------------------------------------------ reads


def test_fastq_pairs_are_valid_and_counted(demo):
    info = json.loads((demo / "demo_info.json").read_text())
    for r in tsv(demo / "samples.tsv"):
        rel1 = r["fastq_1"].removeprefix(PREFIX + "/")
        rel2 = r["fastq_2"].removeprefix(PREFIX + "/")
        stats = check_pair(demo / rel1, demo / rel2)
        assert stats.read_pairs == info["read_pairs"][f"{r['sample_id']}_{r['unit']}"]
        length = 250 if r["assay"] == "16s" else 150
        assert stats.min_length == stats.max_length == length


def test_read_names_are_pseudonymous_illumina_names(demo):
    name_re = re.compile(r"^@(P0\d-(host|16S|stool-sg)):1:FCX:[12]:\d+:\d+:\d+ [12]:N:0:[ACGT]{8}$")
    with gzip.open(demo / "reads" / "P02-host_L002_R2.fastq.gz", "rt") as fh:
        header = fh.readline().rstrip("\n")
    m = name_re.match(header)
    assert m and m.group(1) == "P02-host" and ":2:" in header and " 2:N:" in header


def test_host_reads_have_adapter_read_through(demo):
    seqs = fastq_seqs(demo / "reads" / "P01-host_L001_R1.fastq.gz")
    with_adapter = sum(rd.ADAPTER_R1[:13] in s for s in seqs)
    assert 0.01 * len(seqs) < with_adapter < 0.1 * len(seqs)


def test_error_rate_and_quality_calibration():
    rng = np.random.default_rng(0)
    n, length = 4000, 150
    codes = rng.integers(0, 4, size=(n, length)).astype(np.uint8)
    q = rd.simulate_qualities(rng, n, length, rd.SHORT_READ_QUALITY)
    err = rd.apply_errors(rng, codes, q) != codes
    assert 0.001 < err.mean() < 0.004
    assert err[:, -30:].mean() > 2 * err[:, :30].mean()  # rises toward the 3' end
    low = q <= 10
    assert abs(err[low].mean() - np.mean(10 ** (-q[low].astype(float) / 10))) < 0.03


# ------------------------------------------------------------------ host truth


def test_reference_has_grch38_base_at_every_pgx_site(demo):
    fa = pysam.FastaFile(str(demo / "reference" / "demo_grch38.fa.gz"))
    sites = load_sites()
    assert len(sites) > 250
    for s in sites:
        assert fa.fetch(s.chrom, s.pos - 1, s.pos - 1 + len(s.ref)) == s.ref, s.name
    # pypgx's panel contigs and those of the genes planted from the catalog (pgx_plants.tsv)
    assert set(fa.references) == {
        "chr1", "chr2", "chr4", "chr6", "chr7", "chr10", "chr12", "chr13", "chr16", "chr19",
        "chrX",
    }  # fmt: skip
    assert sum(fa.lengths) < 950_000_000
    # N outside the windows, sequence inside
    assert fa.fetch("chr10", 0, 1000) == "N" * 1000


def test_targets_bed_covers_every_pgx_site(demo):
    bed = [
        line.split("\t") for line in (demo / "reference/pgx_targets.bed").read_text().splitlines()
    ]
    for s in load_sites():
        assert any(c == s.chrom and int(a) <= s.pos - 1 < int(b) for c, a, b, _ in bed), s.name


def _alleles_at(sequences: str, left: str, mid: str, right: str) -> int:
    kmer = left + mid + right
    return sequences.count(kmer) + sequences.count(rd.revcomp(kmer))


@pytest.mark.parametrize("patient", ["P01", "P03"])
def test_truth_vcf_is_what_the_reads_carry(demo, patient):
    fa = pysam.FastaFile(str(demo / "reference" / "demo_grch38.fa.gz"))
    reads = "\n".join(
        fastq_seqs(demo / "reads" / f"{patient}-host_L001_R1.fastq.gz")
        + fastq_seqs(demo / "reads" / f"{patient}-host_L001_R2.fastq.gz")
    )
    vcf = pysam.VariantFile(str(demo / "truth" / f"{patient}.host.vcf.gz"))
    assert "GT" in vcf.header.formats and len(list(vcf.header.contigs)) == 11
    recs = list(vcf)
    assert len(recs) > 100
    positions = {(r.chrom, r.pos) for r in recs}
    checked = {"het": 0, "hom": 0}
    k = 12
    for r in recs:
        if len(r.ref) != 1 or any(
            (r.chrom, p) in positions for p in range(r.pos - k, r.pos + k + 1) if p != r.pos
        ):
            continue
        left = fa.fetch(r.chrom, r.pos - 1 - k, r.pos - 1)
        right = fa.fetch(r.chrom, r.pos, r.pos + k)
        gt = r.samples[patient]["GT"]
        n_alt = _alleles_at(reads, left, r.alts[0], right)
        n_ref = _alleles_at(reads, left, r.ref, right)
        if gt in ((1, 1),):
            assert n_alt >= 5 and n_ref <= 1, (r.chrom, r.pos, n_alt, n_ref)
            checked["hom"] += 1
        else:
            assert n_alt >= 2 and n_ref >= 2, (r.chrom, r.pos, n_alt, n_ref)
            checked["het"] += 1
    assert checked["het"] > 30 and checked["hom"] > 10


def test_pgx_diplotype_truth_agrees_with_cohort_and_vcf(demo):
    cohort = {p.patient_id: p for p in gen.load_cohort(gen.resources_dir())}
    alleles = {(a.gene, a.allele): a for a in load_alleles()}
    rows = tsv(demo / "truth" / "pgx_diplotypes.tsv")
    plants = gen.load_plants(gen.resources_dir(), list(cohort.values()))
    planted = {(p.patient_id, p.gene): p for p in plants}
    plant_genes = {p.gene for p in plants} - set(PANEL_GENES)
    assert len(rows) == 8 * (len(PANEL_GENES) + len(plant_genes))
    for r in rows:
        plant = planted.get((r["patient_id"], r["gene"]))
        if plant is None:
            assert r["allele_names"] == "pypgx"
            assert r["diplotype"] == cohort[r["patient_id"]].diplotypes[r["gene"]]
            for allele in (r["allele1"], r["allele2"]):
                assert (r["gene"], allele) in alleles
        else:  # catalog (PharmCAT) names; the cohort sheet has "-" for a planted panel gene
            assert r["allele_names"] == "pharmcat"
            assert r["diplotype"] == f"{plant.allele1}/{plant.allele2}"
            assert r["expected_call"] == plant.expected_call
            if r["gene"] in PANEL_GENES:
                assert cohort[r["patient_id"]].diplotypes[r["gene"]] == "-"
    vcf_ids = {}
    hosted = [p for p, pt in cohort.items() if "host" in pt.libraries]
    assert {r["patient_id"] for r in rows} == set(hosted)  # P09: no host library, no truth
    for p in hosted:
        vf = pysam.VariantFile(str(demo / "truth" / f"{p}.host.vcf.gz"))
        vcf_ids[p] = {rec.id: rec.samples[p]["GT"] for rec in vf if rec.info["KIND"] == "pgx"}
    p01 = {r["gene"]: r for r in rows if r["patient_id"] == "P01"}
    assert p01["CYP2C19"]["diplotype"] == "*1/*2"
    assert set(p01["CYP2C19"]["defining_rsids"].split(",")) == {
        "rs12769205",
        "rs4244285",
        "rs3758581",
    }
    assert sorted(vcf_ids["P01"]["rs3758581"]) == [1, 1]  # *1 and *2 both carry it
    assert sorted(vcf_ids["P01"]["rs4244285"]) == [0, 1]
    assert sorted(vcf_ids["P02"]["rs3918290"]) == [0, 1]  # DPYD *2A carrier
    assert sorted(vcf_ids["P02"]["rs9923231"]) == [1, 1]
    assert sorted(vcf_ids["P03"]["rs1142345"]) == [0, 1]  # TPMT *3A
    assert sorted(vcf_ids["P04"]["rs116855232"]) == [0, 1]  # NUDT15 *3
    assert sorted(vcf_ids["P05"]["rs3758581"]) == [0, 1]  # CYP2C19 *1/*38
    assert vcf_ids["P02"]["rs12248560"] == vcf_ids["P02"]["rs3758581"] == (1, 1)  # *17/*17
    # planted from the catalog: UGT1A1 *28 (TA insertion) and *80 in trans (P03), in cis
    # (P05); DPYD HapB3 (two variants, one haplotype) with *2A (P04); male G6PD hemizygous
    assert vcf_ids["P03"]["rs3064744"] == (1, 0) and vcf_ids["P03"]["rs887829"] == (0, 1)
    assert vcf_ids["P05"]["rs3064744"] == vcf_ids["P05"]["rs887829"] == (0, 1)
    assert vcf_ids["P04"]["rs75017182"] == vcf_ids["P04"]["rs56038477"] == (1, 0)
    assert vcf_ids["P04"]["rs3918290"] == (0, 1)
    assert vcf_ids["P02"]["rs1050828"] == (1, 1)
    # the undocumented ALTs: an allele the catalog does not define at a defining position
    p05 = {r["gene"]: r for r in rows if r["patient_id"] == "P05"}
    assert p05["TPMT"]["undocumented"] == "18130729:C>A"
    assert "rs139392616:C>A:0|1" in p05["TPMT"]["genotypes"]
    # patients differ in their private SNPs (identity checks are possible)
    privates = []
    assert not (demo / "truth" / "P09.host.vcf.gz").exists()  # no host library
    for p in hosted:
        vf = pysam.VariantFile(str(demo / "truth" / f"{p}.host.vcf.gz"))
        privates.append({(r.pos, r.samples[p]["GT"]) for r in vf if r.info["KIND"] == "private"})
    assert all(100 < len(s) < 220 for s in privates)
    assert len({frozenset(s) for s in privates}) == 8


# ------------------------------------------------------------------ 16S


def test_in_silico_pcr_is_iupac_aware_with_one_mismatch():
    amplicon = "ACGT" * 60
    f = "GTGCCAGCAGCCGCGGTAA"  # Y->C, M->A
    r_site = amp.iupac_revcomp("GGACTACAAGGGTATCTAAT")
    prod = amp.in_silico_pcr("TTTT" + f + amplicon + r_site + "GGGG")
    assert prod is not None and prod.amplicon == amplicon and prod.f_mismatches == 0
    f2 = "GTGCCAGCAGCCGCGGTTA"  # one real mismatch
    assert amp.in_silico_pcr("TTTT" + f2 + amplicon + r_site).f_mismatches == 1
    f3 = "GTGCCAGCAGCCGCGCTTA"  # two
    assert amp.in_silico_pcr("TTTT" + f3 + amplicon + r_site) is None


def test_16s_truth_amplicons_primers_and_chimeras(demo):
    rows = tsv(demo / "truth" / "16s_composition.tsv")
    members = [r for r in rows if r["is_chimera"] == "false"]
    chimeras = [r for r in rows if r["is_chimera"] == "true"]
    amplicons = {r["otu_id"]: r["amplicon"] for r in members}
    assert 20 <= len(amplicons) <= 30
    assert len(set(amplicons.values())) == len(amplicons)  # pairwise distinct
    assert all(240 <= len(a) <= 260 for a in amplicons.values())
    assert chimeras and all(c["amplicon"] not in amplicons.values() for c in chimeras)
    samples = {r["sample_id"] for r in rows}
    assert "P08-16S" not in samples and len(samples) == 7 + 3
    for s in samples:
        n = sum(int(r["reads_simulated"]) for r in rows if r["sample_id"] == s)
        assert n == 6000
        chim = sum(int(r["reads_simulated"]) for r in chimeras if r["sample_id"] == s)
        assert 0.005 <= chim / n <= 0.02

    # group story: Prevotella higher in B, E. coli higher in A; E. lenta in some patients only
    def mean_frac(taxon, group_patients):
        vals = [
            float(r["expected_fraction"])
            for r in members
            if r["taxon"] == taxon and r["patient_id"] in group_patients
        ]
        return sum(vals) / len(group_patients)

    a, b = ("P01", "P02", "P03", "P04"), ("P05", "P06", "P07")
    assert mean_frac("Prevotella copri", b) > 5 * mean_frac("Prevotella copri", a)
    assert mean_frac("Escherichia coli", a) > 2 * mean_frac("Escherichia coli", b)
    # the follow-up: Enterococcus faecalis planted at 2, 8 and 20 % of the cells (days 0, 28,
    # 56), the rest of P09's community scaled, so the reads follow the drift
    course = tsv(demo / "truth" / "16s_timecourse.tsv")
    ef = [r for r in course if r["name"] == "Enterococcus faecalis"]
    assert [(r["timepoint"], float(r["expected_fraction"])) for r in ef] == [
        ("0", 0.02),
        ("28", 0.08),
        ("56", 0.2),
    ]
    for s in ("P09-16S-d0", "P09-16S-d28", "P09-16S-d56"):
        genera = [
            float(r["expected_fraction"])
            for r in course
            if r["sample_id"] == s and r["rank"] == "genus"
        ]
        assert sum(genera) == pytest.approx(1, abs=1e-4)
        reads = {r["taxon"]: int(r["reads_simulated"]) for r in members if r["sample_id"] == s}
        share = next(float(r["expected_fraction"]) for r in ef if r["sample_id"] == s)
        assert reads["Enterococcus faecalis"] / 6000 == pytest.approx(share, abs=0.02)
    lenta = {r["patient_id"] for r in members if r["taxon"] == "Eggerthella lenta"}
    assert lenta == {"P01", "P03", "P06"}
    # reads start with the primers and carry the truth amplicons
    r1 = fastq_seqs(demo / "reads" / "P01-16S_L001_R1.fastq.gz")[:300]
    r2 = fastq_seqs(demo / "reads" / "P01-16S_L001_R2.fastq.gz")[:300]
    fmask, rmask = amp._masks(amp.PRIMER_F), amp._masks(amp.PRIMER_R)
    f_mm = [int(((amp._masks(s[:19]) & fmask) == 0).sum()) for s in r1]
    r_mm = [int(((amp._masks(s[:20]) & rmask) == 0).sum()) for s in r2]
    assert max(f_mm) <= 2 and max(r_mm) <= 2  # sequencing errors only
    assert f_mm.count(0) > 0.95 * len(r1) and r_mm.count(0) > 0.95 * len(r2)
    starts = {a[:60] for a in amplicons.values()} | {c["amplicon"][:60] for c in chimeras}
    assert sum(s[19:79] in starts for s in r1) > 0.8 * len(r1)


def test_sintax_reference_format_and_size(demo):
    path = demo / "reference" / "16s_sintax.fasta"
    assert path.stat().st_size < 1_000_000
    header_re = re.compile(r"^>\d+;tax=d:[A-Za-z]+(,[pcofgs]:[^,;]+)*;$")
    lines = path.read_text().splitlines()
    headers = lines[0::2]
    assert all(header_re.match(h) for h in headers), [h for h in headers if not header_re.match(h)][
        :3
    ]
    ids = {h[1:].split(";")[0] for h in headers}
    community = tsv(demo / "truth" / "communities.tsv")
    assert {r["gg_otu_id"] for r in community} <= ids
    assert any("s:Escherichia_coli" in h for h in headers)
    assert len(headers) > 500


# ------------------------------------------------------------------ shotgun


def test_shotgun_human_fraction_and_composition(demo):
    human = tsv(demo / "truth" / "shotgun_human.tsv")
    assert {r["patient_id"] for r in human} == {"P01", "P02", "P03", "P04", "P05", "P06", "P08"}
    for r in human:
        assert int(r["read_pairs"]) == 25000
        assert 0.019 <= float(r["human_fraction"]) <= 0.051
    comp = tsv(demo / "truth" / "shotgun_composition.tsv")
    for s in {r["sample_id"] for r in comp}:
        rows = [r for r in comp if r["sample_id"] == s]
        assert sum(int(r["reads_simulated"]) for r in rows) == 25000
        cells = [float(r["cell_fraction"]) for r in rows if r["taxid"] != "9606"]
        assert abs(sum(cells) - 1) < 1e-3
        strains = {r["taxid"] for r in rows if r["species_taxid"] == "562"}
        assert strains == {"83333", "83334"}


def test_shotgun_human_reads_come_from_the_patient(demo):
    """P01's stool human reads carry P01's private alleles more often than P02's."""
    fa = pysam.FastaFile(str(demo / "reference" / "demo_grch38.fa.gz"))
    reads = "\n".join(
        fastq_seqs(demo / "reads" / "P01-stool-sg_L001_R1.fastq.gz")
        + fastq_seqs(demo / "reads" / "P01-stool-sg_L001_R2.fastq.gz")
    )

    def alts(p, gt=None):
        vf = pysam.VariantFile(str(demo / "truth" / f"{p}.host.vcf.gz"))
        return {
            (r.chrom, r.pos, r.ref, r.alts[0])
            for r in vf
            if len(r.alts) == 1 and (gt is None or r.samples[p]["GT"] == gt)
        }

    # homozygous ALT in one patient and not carried at all by the other (a site where P01 is
    # heterozygous rightly shows P01's reads with the ALT)
    own = alts("P01", (1, 1)) - alts("P02")
    other = alts("P02", (1, 1)) - alts("P01")

    def support(sites):
        hits = 0
        for chrom, pos, ref, alt in sites:
            left, right = fa.fetch(chrom, pos - 11, pos - 1), fa.fetch(chrom, pos, pos + 10)
            hits += _alleles_at(reads, left, alt, right) > _alleles_at(reads, left, ref, right)
        return hits / len(sites)

    assert support(own) > 0.3 > support(other)


def test_taxonomy_dump_and_genomes(demo):
    ref = demo / "reference"
    nodes = {}
    for line in (ref / "taxonomy" / "nodes.dmp").read_text().splitlines():
        f = [x.strip() for x in line.split("|")]
        nodes[int(f[0])] = (int(f[1]), f[2])
    names = {}
    for line in (ref / "taxonomy" / "names.dmp").read_text().splitlines():
        f = [x.strip() for x in line.split("|")]
        names[int(f[0])] = f[1]
    assert set(names) == set(nodes)
    seqmap = dict(line.split("\t") for line in (ref / "seqid2taxid.map").read_text().splitlines())
    assert len(seqmap) == 13
    want = ["superkingdom", "phylum", "class", "order", "family", "genus", "species"]
    for seqid, taxid in seqmap.items():
        fa = ref / "shotgun_genomes" / f"{taxid}.fa"
        assert fa.read_text().split("\n", 1)[0][1:].split()[0] == seqid
        lineage, t = [], int(taxid)
        while t != 1:
            lineage.append(nodes[t][1])
            t = nodes[t][0]
        assert [r for r in reversed(lineage) if r in want] == want, (taxid, lineage)
    gcs = {}
    for taxid in seqmap.values():
        seq = "".join((ref / "shotgun_genomes" / f"{taxid}.fa").read_text().splitlines()[1:])
        assert 60_000 <= len(seq) <= 150_000
        gcs[taxid] = (seq.count("G") + seq.count("C")) / len(seq)
    assert all(0.34 < g < 0.61 for g in gcs.values())
    assert abs(gcs["83333"] - gcs["83334"]) < 0.01


def test_bgzf_writer_is_readable_by_htslib(tmp_path):
    seq = "ACGTN" * 50_000
    text = (">c1\n" + "\n".join(seq[i : i + 60] for i in range(0, len(seq), 60)) + "\n").encode()
    path = tmp_path / "x.fa.gz"
    files.write_bgzf(path, [text[:1000], text[1000:]], block_size=4096)
    assert gzip.decompress(path.read_bytes()) == text
    pysam.faidx(str(path))
    assert pysam.FastaFile(str(path)).fetch("c1", 123_456, 123_466) == seq[123_456:123_466]


def test_large_wgs_sample_is_generated_and_passes_the_reference_check(tmp_path):
    # the opt-in WGS-like sample of benchmarks/host_scatter.py, at a tiny size: every contig of
    # the demo gets windows (the catalog-planted genes' too) and the pipeline's own check
    # accepts the reference as GRCh38
    from holobiont.demo import host as hst
    from holobiont.demo.large_wgs import generate_large_wgs
    from holobiont.host.variants import check_reference

    info = generate_large_wgs(tmp_path, flank=1000, coverage=1)
    assert info["pairs"] > 0 and info["reference_sequence_bases"] > 100_000
    fa = tmp_path / "reference" / "demo_grch38.fa.gz"
    with pysam.FastaFile(str(fa)) as ref:
        assert list(ref.references) == list(hst.CONTIG_ORDER)
    result = check_reference(fa, ROOT_PGX)
    assert result["build"] == "GRCh38" and result["checked_positions"] >= 10
    assert not result["mismatches"]
