"""Shotgun helpers (holobiont.microbiome.shotgun): Kraken 2 library, taxonomy dumps and taxo.k2d, config
checks, host summary and the cohort species profile."""

import gzip
import shutil
import subprocess

import numpy as np
import pytest

from conftest import DEMO, requires_demo
from holobiont.core.table import closure
from holobiont.microbiome.shotgun import (
    LibraryError,
    Taxonomy,
    check_kraken2_db,
    config_problems,
    genome_files,
    prepare_library,
    species_profile,
    summarise_host,
)

NODES = """1\t|\t1\t|\tno rank\t|
131567\t|\t1\t|\tno rank\t|
2\t|\t131567\t|\tsuperkingdom\t|
2759\t|\t131567\t|\tsuperkingdom\t|
33208\t|\t2759\t|\tkingdom\t|
9606\t|\t33208\t|\tspecies\t|
1224\t|\t2\t|\tphylum\t|
561\t|\t1224\t|\tgenus\t|
562\t|\t561\t|\tspecies\t|
83333\t|\t562\t|\tstrain\t|
"""
NAMES = "".join(
    f"{t}\t|\t{n}\t|\t\t|\tscientific name\t|\n{t}\t|\t{n} (synonym)\t|\t\t|\tsynonym\t|\n"
    for t, n in [
        ("1", "root"),
        ("131567", "cellular organisms"),
        ("2", "Bacteria"),
        ("2759", "Eukaryota"),
        ("33208", "Metazoa"),
        ("9606", "Homo sapiens"),
        ("1224", "Proteobacteria"),
        ("561", "Escherichia"),
        ("562", "Escherichia coli"),
        ("83333", "Escherichia coli K-12"),
    ]
)


@pytest.fixture
def taxdir(tmp_path):
    d = tmp_path / "taxonomy"
    d.mkdir()
    (d / "nodes.dmp").write_text(NODES)
    (d / "names.dmp").write_text(NAMES)
    return d


def test_taxonomy_lineages(taxdir):
    tax = Taxonomy.from_dir(taxdir)
    assert tax.lineage("83333") == (
        "d__Bacteria; p__Proteobacteria; c__; o__; f__; g__Escherichia; s__Escherichia coli"
    )
    # superkingdom wins over kingdom for d__ (both would be "domain")
    assert tax.lineage("9606") == "d__Eukaryota; p__; c__; o__; f__; g__; s__Homo sapiens"
    assert tax.lineage("424242") == ""
    assert "562" in tax and "424242" not in tax
    assert tax.rank["83333"] == "strain" and tax.name["562"] == "Escherichia coli"


def write_fa(path, records, gz=False):
    opener = gzip.open if gz else open
    with opener(path, "wt") as fh:
        for name, seq in records:
            fh.write(f">{name}\n{seq}\n")
    return path


def test_prepare_library_taxid_sources(tmp_path, taxdir):
    g = tmp_path / "genomes"
    g.mkdir()
    write_fa(g / "562.fa", [("contig1 E. coli", "acgt" * 5)])  # taxid from the file name
    write_fa(g / "k12.fna.gz", [("chr|kraken:taxid|83333", "ACGT")], gz=True)  # tag
    write_fa(g / "human.fasta", [("chrX", "NNAC"), ("chrY", "GG")])  # map
    (g / "notes.txt").write_text("not a genome")
    files = genome_files(g)
    assert [f.split("/")[-1] for f in files] == ["562.fa", "human.fasta", "k12.fna.gz"]
    out, mp = tmp_path / "library.fna", tmp_path / "seqid2taxid.map"
    recs = prepare_library(
        files, Taxonomy.from_dir(taxdir), out, mp, seqid2taxid={"chrX": "9606", "chrY": "9606"}
    )
    headers = [line for line in out.read_text().splitlines() if line.startswith(">")]
    assert headers == [
        ">contig1|kraken:taxid|562",
        ">chrX|kraken:taxid|9606",
        ">chrY|kraken:taxid|9606",
        ">chr|kraken:taxid|83333",
    ]
    assert "ACGTACGT" in out.read_text()  # upper-cased
    assert mp.read_text().splitlines()[0] == "contig1|kraken:taxid|562\t562"
    assert [(r["sequences"], r["taxids"], r["name"]) for r in recs] == [
        (1, "562", "Escherichia coli"),
        (2, "9606", "Homo sapiens"),
        (1, "83333", "Escherichia coli K-12"),
    ]


def test_prepare_library_names_every_problem(tmp_path, taxdir):
    g = tmp_path / "g"
    g.mkdir()
    write_fa(g / "x.fa", [("nolabel", "ACGT"), ("bad|kraken:taxid|999", "ACGT")])
    write_fa(g / "y.fa", [("dup|kraken:taxid|562", "A"), ("dup|kraken:taxid|562", "C")])
    write_fa(g / "z.fa", [("clash|kraken:taxid|562", "A")])
    with pytest.raises(LibraryError) as err:
        prepare_library(
            genome_files(g),
            Taxonomy.from_dir(taxdir),
            tmp_path / "l.fna",
            tmp_path / "m",
            seqid2taxid={"clash": "83333"},
        )
    msg = str(err.value)
    assert "x.fa: sequence 'nolabel' has no taxid" in msg
    assert "taxid 999 is not in the taxonomy" in msg
    assert "sequence ID used twice" in msg
    assert "the seqid2taxid map says 83333, its header tag says 562" in msg
    assert not (tmp_path / "l.fna").exists()
    with pytest.raises(LibraryError, match="no reference genome files"):
        prepare_library([], Taxonomy.from_dir(taxdir), tmp_path / "l.fna", tmp_path / "m")


@pytest.mark.skipif(not shutil.which("kraken2-build"), reason="kraken2 is not installed")
def test_taxonomy_from_taxo_k2d_matches_the_dump(tmp_path, taxdir):
    rng = np.random.default_rng(0)
    lib = tmp_path / "lib.fna"
    write_fa(lib, [("a|kraken:taxid|83333", "".join(rng.choice(list("ACGT"), 3000)))])
    db = tmp_path / "db"
    shutil.copytree(taxdir, db / "taxonomy")
    for args in (["--add-to-library", str(lib), "--no-masking"], ["--build"]):
        subprocess.run(["kraken2-build", "--db", str(db), *args], check=True, capture_output=True)
    assert check_kraken2_db(db) == []
    k2 = Taxonomy.from_kraken2(db / "taxo.k2d")
    dump = Taxonomy.from_dir(taxdir)
    # kraken2 keeps the nodes on the library's lineages only
    assert set(k2.parent) == {"1", "131567", "2", "1224", "561", "562", "83333"}
    for t in k2.parent:
        assert (k2.parent[t], k2.rank[t], k2.name[t]) == (
            dump.parent[t],
            dump.rank[t],
            dump.name[t],
        )
    assert k2.lineage("83333") == dump.lineage("83333")
    assert Taxonomy.from_files([db / "taxo.k2d"]).rank["562"] == "species"
    with pytest.raises(ValueError, match="not a Kraken 2 taxonomy"):
        Taxonomy.from_kraken2(db / "opts.k2d")


def shotgun_cfg(**kw):
    cfg = {
        "kraken2_db": "",
        "build_db": {"genomes": "", "taxonomy": "", "seqid2taxid": ""},
        "bracken": {"kmer_distrib": "", "read_length": 150},
    }
    for k, v in kw.items():
        cfg[k] = {**cfg[k], **v} if isinstance(v, dict) else v
    return cfg


def test_config_problems_prebuilt_db(tmp_path):
    db = tmp_path / "k2"
    db.mkdir()
    (db / "opts.k2d").write_bytes(b"")
    probs = config_problems(shotgun_cfg(kraken2_db=str(db)), "host.fa")
    assert any(
        "is a Kraken2 database with missing or empty files: hash.k2d, opts.k2d (empty), taxo.k2d"
        in p
        for p in probs
    )
    assert any("database150mers.kmer_distrib" in p and "bracken-build" in p for p in probs)
    for f in ("hash.k2d", "opts.k2d", "taxo.k2d", "database150mers.kmer_distrib"):
        (db / f).write_bytes(b"\0")  # present and non-empty: complete as far as we can tell
    assert config_problems(shotgun_cfg(kraken2_db=str(db)), "host.fa") == []
    assert "host_fasta is not set" in config_problems(shotgun_cfg(kraken2_db=str(db)), "")[0]
    assert "no such directory" in config_problems(shotgun_cfg(kraken2_db="/nope"), "h")[0]


def test_config_problems_build(tmp_path, taxdir):
    probs = config_problems(shotgun_cfg(build_db={"genomes": str(tmp_path)}), "h")
    assert any("shotgun.build_db.genomes" in p for p in probs)
    assert any("names.dmp is missing" in p for p in probs)
    write_fa(tmp_path / "562.fa", [("x", "ACGT")])
    cfg = shotgun_cfg(build_db={"genomes": str(tmp_path), "taxonomy": str(taxdir)})
    assert config_problems(cfg, "h") == []


def test_summarise_host_warns_on_empty_sample(tmp_path):
    recs = []
    for s, n, m in [("A", 100, 97), ("B", 0, 0)]:
        f = tmp_path / f"{s}.tsv"
        f.write_text(
            "sample_id\tread_pairs\thuman_pairs\tmicrobial_pairs\thuman_fraction\n"
            f"{s}\t{n}\t{n - m}\t{m}\t0\n"
        )
        recs.append({"sample_id": s, "patient_id": f"P{s}", "file": f})
    log = tmp_path / "log"
    with open(log, "w") as fh:
        rows = summarise_host(recs, tmp_path / "host.tsv", log=fh)
    assert rows[0]["human_pairs"] == 3 and rows[0]["human_fraction"] == 0.03
    assert rows[1]["human_fraction"] == 0.0
    assert "WARNING: sample B has no microbial read pairs" in log.read_text()
    lines = (tmp_path / "host.tsv").read_text().splitlines()
    assert lines[0].split("\t")[:3] == ["sample_id", "patient_id", "read_pairs"]


def test_species_profile_keeps_empty_samples(tmp_path, taxdir):
    header = "name\ttaxonomy_id\ttaxonomy_lvl\tkraken_assigned_reads\tadded_reads\tnew_est_reads\tfraction_total_reads\n"
    (tmp_path / "a.tsv").write_text(
        header + "Escherichia coli\t562\tS\t30\t10\t40\t0.8\nX\t777\tS\t10\t0\t10\t0.2\n"
    )
    (tmp_path / "b.tsv").write_text(header)
    log = tmp_path / "log"
    with open(log, "w") as fh:
        t = species_profile(
            {"b": tmp_path / "b.tsv", "a": tmp_path / "a.tsv"},
            taxonomy=Taxonomy.from_dir(taxdir),
            log=fh,
        )
    assert t.sample_ids == ("b", "a") and t.taxa == ("562", "777")
    assert t.counts.tolist() == [[0, 0], [40, 10]]
    assert t.taxonomy["562"].endswith("g__Escherichia; s__Escherichia coli")
    assert t.taxonomy["777"] == "s__X"  # not in the taxonomy: the Bracken name
    assert "WARNING: sample b has no reads" in log.read_text()
    assert closure(t).counts.tolist() == [[0.0, 0.0], [0.8, 0.2]]


@requires_demo
def test_demo_genomes_make_a_library(tmp_path):
    ref = DEMO / "reference"
    from holobiont.microbiome.shotgun import read_seqid2taxid

    recs = prepare_library(
        genome_files(ref / "shotgun_genomes"),
        Taxonomy.from_dir(ref / "taxonomy"),
        tmp_path / "l.fna",
        tmp_path / "m",
        seqid2taxid=read_seqid2taxid(ref / "seqid2taxid.map"),
    )
    assert len(recs) == 13 and sum(r["length"] for r in recs) == 1_415_000
