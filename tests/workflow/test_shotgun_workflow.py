"""Shotgun stage with the real tools (minimap2, samtools, kraken2, kraken2-build) on the demo's
shotgun libraries of P01 and P02, plus a stool library that is all human reads: host fraction and
species profile against the demo truth, the human BAM, the pipeline-built Kraken 2 database and
its Bracken distribution, a prebuilt database, and the message for an incomplete one."""

import gzip
import shutil

import pandas as pd
import pysam
import pytest

from conftest import (
    DEMO,
    ROOT,
    build_bracken,
    requires_demo,
    run_bracken_build,
    run_snakemake,
    write_sheet,
)
from holobiont.core.table import read_biom, read_tsv
from holobiont.microbiome.bracken import read_kmer_distrib
from holobiont.microbiome.genes import read_abundance
from holobiont.report.methods import KRAKEN2_CHECKSUMMED

pytestmark = [pytest.mark.workflow, requires_demo]

PATIENTS = ("P01", "P02")
#: |human fraction - truth| (pairs with a mate on the host reference / pairs after QC)
HOST_FRACTION_TOL = 0.002
#: L1 distance between estimated and true species relative abundances (truth: reads simulated)
L1_MAX = 0.10


def build_db_paths():
    ref = DEMO / "reference"
    return {
        "genomes": str(ref / "shotgun_genomes"),
        "taxonomy": str(ref / "taxonomy"),
        "seqid2taxid": str(ref / "seqid2taxid.map"),
    }


def all_human_library(tmp_path, n=200):
    """The first `n` pairs of P03's host library, posing as a stool sample."""
    paths = []
    for r in ("R1", "R2"):
        src = DEMO / "reads" / f"P03-host_L001_{r}.fastq.gz"
        dst = tmp_path / f"X1-stool-sg_{r}.fastq.gz"
        with gzip.open(src, "rt") as fin, gzip.open(dst, "wt") as fout:
            for i, line in enumerate(fin):
                if i >= 4 * n:
                    break
                fout.write(line)
        paths.append(dst)
    return paths


@pytest.fixture(scope="module")
def shotgun_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("shotgun")
    sheet = pd.read_csv(DEMO / "samples.tsv", sep="\t", dtype=str, keep_default_na=False)
    sheet = sheet[(sheet.assay == "shotgun") & sheet.patient_id.isin(PATIENTS)].copy()
    for col in ("fastq_1", "fastq_2"):
        sheet[col] = [str(ROOT / p) for p in sheet[col]]
    rows = sheet.to_dict("records")
    x1, x2 = all_human_library(tmp)
    rows.append(
        {
            "patient_id": "X1",
            "sample_id": "X1-stool-sg",
            "assay": "shotgun",
            "unit": "L001",
            "fastq_1": x1,
            "fastq_2": x2,
        }
    )
    sheet_path = write_sheet(tmp / "samples.tsv", rows)
    run = tmp / "run"
    res = run_snakemake(
        run, overrides={"samples": str(sheet_path), "shotgun": {"build_db": build_db_paths()}}
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return run


def truth_relative(sample):
    truth = pd.read_csv(
        DEMO / "truth" / "shotgun_composition.tsv", sep="\t", dtype={"species_taxid": str}
    )
    t = truth[(truth.sample_id == sample) & (truth.species_taxid != "9606")]
    reads = t.groupby("species_taxid").reads_simulated.sum()
    return reads / reads.sum()


def test_host_fraction_matches_truth(shotgun_run):
    host = pd.read_csv(shotgun_run / "results/shotgun/host_fraction.tsv", sep="\t").set_index(
        "sample_id"
    )
    truth = pd.read_csv(DEMO / "truth" / "shotgun_human.tsv", sep="\t").set_index("sample_id")
    for p in PATIENTS:
        s = f"{p}-stool-sg"
        row = host.loc[s]
        assert row.human_pairs + row.microbial_pairs == row.read_pairs
        assert abs(row.human_fraction - truth.loc[s, "human_fraction"]) <= HOST_FRACTION_TOL, (
            s,
            row.human_fraction,
            truth.loc[s, "human_fraction"],
        )
    x = host.loc["X1-stool-sg"]
    assert x.read_pairs > 150 and x.microbial_pairs <= 0.02 * x.read_pairs


def test_human_bam_holds_the_removed_pairs(shotgun_run):
    host = pd.read_csv(shotgun_run / "results/shotgun/host_fraction.tsv", sep="\t").set_index(
        "sample_id"
    )
    for s in host.index:
        path = shotgun_run / f"results/shotgun/human/{s}.bam"
        with pysam.AlignmentFile(str(path)) as bam:
            assert bam.header.to_dict()["HD"]["SO"] == "coordinate" and bam.check_index()
            assert bam.header.to_dict()["RG"][0]["SM"] == s.split("-")[0]  # patient ID
            reads = [r for r in bam if not (r.is_secondary or r.is_supplementary)]
        assert sum(r.is_read1 for r in reads) == host.loc[s, "human_pairs"]
        assert all(not (r.is_unmapped and r.mate_is_unmapped) for r in reads)
        # and the microbial FASTQ has the rest
        with gzip.open(shotgun_run / f"results/shotgun/microbial/{s}_R1.fastq.gz", "rt") as fh:
            assert sum(1 for _ in fh) // 4 == host.loc[s, "microbial_pairs"]


def test_species_profile_matches_truth(shotgun_run):
    res = shotgun_run / "results/shotgun"
    reads = read_tsv(res / "species_reads.tsv")
    rel = read_tsv(res / "species_relative.tsv")
    assert reads.sample_ids == ("P01-stool-sg", "P02-stool-sg", "X1-stool-sg")
    assert reads.taxonomy["562"].startswith("d__Bacteria; p__Proteobacteria")
    assert reads.taxonomy["562"].endswith("s__Escherichia coli")
    biom = read_biom(res / "species_reads.biom").to_dense()
    assert biom.taxa == reads.taxa and biom.counts.tolist() == reads.counts.tolist()
    est = rel.to_frame()
    for p in PATIENTS:
        s = f"{p}-stool-sg"
        truth = truth_relative(s)
        found = est.loc[s][est.loc[s] > 0]
        assert set(truth.index) <= set(found.index), set(truth.index) - set(found.index)
        l1 = (
            (
                est.loc[s].reindex(truth.index.union(found.index), fill_value=0)
                - truth.reindex(truth.index.union(found.index), fill_value=0)
            )
            .abs()
            .sum()
        )
        assert l1 <= L1_MAX, (s, l1)
        # Bracken moved the shared Bacteroides segment's reads (genus) to the two species
        br = pd.read_csv(res / f"bracken/{s}.bracken.tsv", sep="\t", dtype={"taxonomy_id": str})
        br = br.set_index("taxonomy_id")
        assert br.loc[["817", "818"], "added_reads"].sum() > 0
        assert br.new_est_reads.sum() == pytest.approx(reads.to_frame().loc[s].sum())


def test_all_human_sample_is_kept_with_zeros(shotgun_run):
    reads = read_tsv(shotgun_run / "results/shotgun/species_reads.tsv").to_frame()
    assert (reads.loc["X1-stool-sg"] == 0).all()
    log = (shotgun_run / "logs/shotgun/profile.log").read_text()
    assert "WARNING: sample X1-stool-sg has no reads" in log


def test_database_and_bracken_distribution_were_built(shotgun_run):
    db = shotgun_run / "results/shotgun/kraken2_db"
    for f in ("hash.k2d", "opts.k2d", "taxo.k2d", "database150mers.kmer_distrib"):
        assert (db / f).stat().st_size > 0, f
    d = read_kmer_distrib(db / "database150mers.kmer_distrib")
    # E. coli strains share k-mers (-> species 562); B. fragilis/thetaiotaomicron share 8 kb
    assert set(d["562"]) == {"83333", "83334"} and set(d["816"]) == {"817", "818"}
    assert d["816"]["817"] == pytest.approx((8000 - 149) / (130_000 - 149), rel=0.1)
    # report: rank codes repaired (kraken2 2.1.2 leaves root's and Bacteria's empty)
    report = (shotgun_run / "results/shotgun/kraken2/P01-stool-sg.kraken2.report.txt").read_text()
    codes = [line.split("\t")[3] for line in report.splitlines()]
    # the planted drug-metabolism genes are in no reference genome: their reads are unclassified
    codes = [c for c in codes if c != "U"]
    assert codes[0] == "R" and "D" in codes and "" not in codes
    stats = pd.read_csv(
        shotgun_run / "results/qc/multiqc/multiqc_report_data/multiqc_general_stats.txt", sep="\t"
    )
    assert {"P01-stool-sg", "P02-stool-sg"} <= set(stats.Sample)


def test_database_bytes_do_not_depend_on_the_cores_given(shotgun_run, tmp_path):
    """Kraken 2.1.2's hash.k2d differs between --threads 1 and 2 (same table size, other cell
    order), so kraken2_build_db runs with shotgun.build_db.threads whatever the job gets: a
    one-core rebuild equals the two-core run's database byte for byte (a SLURM step that saw
    one CPU changed the database checksum in every report)."""
    res = run_snakemake(
        tmp_path,
        "--cores",
        "1",
        "results/shotgun/kraken2_db/hash.k2d",
        overrides={
            "samples": str(shotgun_run.parent / "samples.tsv"),
            "shotgun": {"build_db": build_db_paths()},
        },
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    built = shotgun_run / "results/shotgun/kraken2_db"
    for f in KRAKEN2_CHECKSUMMED:  # opts.k2d holds uninitialised padding (methods.py)
        assert (tmp_path / "results/shotgun/kraken2_db" / f).read_bytes() == (
            built / f
        ).read_bytes(), f


def kmer_distrib_triples(path):
    out = {}
    for line in path.read_text().splitlines()[1:]:
        mapped, _, rest = line.partition("\t")
        out[mapped] = {g: (int(m), int(t)) for g, m, t in (x.split(":") for x in rest.split())}
    return out


def test_kmer_distribution_equals_the_real_bracken_build(shotgun_run, tmp_path):
    """Oracle on the demo database: bracken-build (built from ../shared/tools/bracken) gives
    the same genome:mapped:total integers as the pipeline's bracken_build rule."""
    tool = build_bracken(tmp_path)
    ours = shotgun_run / "results/shotgun/kraken2_db/database150mers.kmer_distrib"
    theirs = run_bracken_build(
        tool,
        shotgun_run / "results/shotgun/kraken2_db",
        shotgun_run / "results/shotgun/reference/library.fna",
        DEMO / "reference" / "taxonomy",
        150,
        tmp_path / "bracken_db",
    )
    assert kmer_distrib_triples(ours) == kmer_distrib_triples(theirs)


def test_gene_reads_match_the_planted_genes(shotgun_run):
    """DIAMOND blastx gene pairs against the demo truth (truth/shotgun_genes.tsv: which
    patients' genomes carry each planted gene, and the pairs expected from its length): no pair
    for a gene a library's genomes do not carry; carried genes with >= 2 x min_pairs expected
    pairs are detected with at least half the expected pairs; the all-human library has no
    microbial pair, hence no abundance."""
    table = read_abundance(shotgun_run / "results/shotgun/genes/gene_abundance.tsv")
    truth = pd.read_csv(DEMO / "truth/shotgun_genes.tsv", sep="\t")
    checked = 0
    for t in truth[truth.patient_id.isin(PATIENTS)].itertuples():
        row = table[t.sample_id][t.gene]
        if not t.carried:
            assert row["read_pairs"] == 0 and not row["detected"], t
        elif t.expected_pairs >= 2 * row["min_pairs"]:
            assert row["detected"] and row["read_pairs"] >= 0.5 * t.expected_pairs, t
            checked += 1
    assert checked >= 6
    x1 = table["X1-stool-sg"]
    assert all(r["microbial_pairs"] == 0 and r["rpm"] is None for r in x1.values())
    assert not any(r["detected"] for r in x1.values())


def test_prebuilt_database_gives_the_same_profile(shotgun_run, tmp_path):
    """A prebuilt database (only the .k2d files and the distribution: lineages from taxo.k2d)."""
    built = shotgun_run / "results/shotgun/kraken2_db"
    pre = tmp_path / "k2_prebuilt"
    pre.mkdir()
    for f in ("hash.k2d", "opts.k2d", "taxo.k2d", "database150mers.kmer_distrib"):
        shutil.copy(built / f, pre / f)
    before = (shotgun_run / "results/shotgun/species_reads.tsv").read_text()
    sheet = shotgun_run.parent / "samples.tsv"
    res = run_snakemake(
        shotgun_run,
        overrides={
            "samples": str(sheet),
            "shotgun": {"kraken2_db": str(pre), "build_db": build_db_paths()},
        },
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert f"{pre}/hash.k2d" in res.stderr  # kraken2 reran against the prebuilt database
    assert (shotgun_run / "results/shotgun/species_reads.tsv").read_text() == before


def test_incomplete_prebuilt_database_is_named(tmp_path):
    db = tmp_path / "k2"
    db.mkdir()
    (db / "opts.k2d").write_bytes(b"\0" * 64)
    (db / "taxo.k2d").write_bytes(b"K2TAXDAT")
    sheet = write_sheet(
        tmp_path / "samples.tsv",
        [
            {
                "patient_id": "P01",
                "sample_id": "P01-stool-sg",
                "assay": "shotgun",
                "unit": "L001",
                "fastq_1": DEMO / "reads" / "P01-stool-sg_L001_R1.fastq.gz",
                "fastq_2": DEMO / "reads" / "P01-stool-sg_L001_R2.fastq.gz",
            }
        ],
    )
    res = run_snakemake(
        tmp_path / "run",
        "-n",
        overrides={"samples": str(sheet), "shotgun": {"kraken2_db": str(db)}},
    )
    assert res.returncode != 0
    out = res.stdout + res.stderr
    assert (
        f"shotgun.kraken2_db = '{db}' is a Kraken2 database with missing or empty files: hash.k2d"
        in out
    )
