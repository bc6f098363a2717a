"""Bracken-style re-estimation (holobiont.microbiome.bracken) on hand-made reports and distributions, with
expectations computed by hand from Lu et al. (2017) / est_abundance.py; and the distribution
builder with the real kraken2 on a tiny database."""

import shutil
import subprocess

import numpy as np
import pytest

from conftest import build_bracken, run_bracken_build
from holobiont.microbiome.bracken import (
    KMER_DISTRIB_HEADER,
    _Lineages,
    build_kmer_distrib,
    classify_windows,
    estimate_abundance,
    fix_report_rank_codes,
    kmer_distrib_name,
    parse_hitlist,
    parse_kraken_report,
    read_bracken,
    read_kmer_distrib,
    read_kraken_report,
    write_bracken,
    write_kmer_distrib,
)


def report_lines(rows, unclassified=10):
    """rows: (clade, direct, code, taxid, depth, name) -> Kraken 2 report lines."""
    total = unclassified + rows[0][0]
    out = [f"{100 * unclassified / total:6.2f}\t{unclassified}\t{unclassified}\tU\t0\tunclassified"]
    for clade, direct, code, taxid, depth, name in rows:
        out.append(
            f"{100 * clade / total:6.2f}\t{clade}\t{direct}\t{code}\t{taxid}\t{'  ' * depth}{name}"
        )
    return out


# root (5 direct) > Bacteria > genus G (20 direct) > species A (30; strain A1 10), B (15), C (5)
#                            > genus H > species D (15)
TREE = [
    (100, 5, "R", "1", 0, "root"),
    (95, 0, "D", "2", 1, "Bacteria"),
    (80, 20, "G", "10", 2, "Genus G"),
    (40, 30, "S", "11", 3, "G alpha"),
    (10, 10, "S1", "111", 4, "G alpha strain 1"),
    (15, 15, "S", "12", 3, "G beta"),
    (5, 5, "S", "13", 3, "G gamma"),
    (15, 0, "G", "20", 2, "Genus H"),
    (15, 15, "S", "21", 3, "H delta"),
]
# P(classified at node | genome) = mapped / total windows of the genome
DISTRIB = {
    "10": {"11": 0.2, "111": 0.1, "12": 0.3, "13": 0.5},
    "11": {"11": 0.6},
    "111": {"111": 0.5},
    "12": {"12": 0.5},
    "1": {"11": 0.05, "21": 0.05},
}


def estimates(result):
    return {r.taxid: r.new_est_reads_exact for r in result.rows}


def test_hand_computed_species_estimates():
    """Genomes of the sample: A (11), A1 (111), B (12), D (21); C (13) is below t = 10.
    Reads of a genome in the sample, N = direct / self fraction: A 30/0.6 = 50, A1 10/0.5 = 20,
    B 15/0.5 = 30, D 15/1 = 15 (no self line).
    Genus G's 20 reads, weights P(R|g) N: A 0.2*50 = 10, A1 0.1*20 = 2, B 0.3*30 = 9 (C is not
    in the sample) -> A+A1 get 20*12/21, B 20*9/21.
    Root's 5 reads: A 0.05*50 = 2.5, D 0.05*15 = 0.75 -> A 5*2.5/3.25, D 5*0.75/3.25."""
    report = parse_kraken_report(report_lines(TREE))
    res = estimate_abundance(report, DISTRIB, threshold=10)
    a = 40 + 20 * 12 / 21 + 5 * 2.5 / 3.25
    b = 15 + 20 * 9 / 21
    d = 15 + 5 * 0.75 / 3.25
    est = estimates(res)
    assert list(est) == ["11", "12", "21"]  # report order; C (13) dropped
    assert est["11"] == pytest.approx(a) and a == pytest.approx(55.274725, abs=1e-6)
    assert est["12"] == pytest.approx(b) and b == pytest.approx(23.571429, abs=1e-6)
    assert est["21"] == pytest.approx(d) and d == pytest.approx(16.153846, abs=1e-6)
    fractions = {r.taxid: r.fraction_total_reads for r in res.rows}
    assert fractions["11"] == pytest.approx(a / 95)  # 95 = 100 - C's 5 discarded reads
    assert sum(fractions.values()) == pytest.approx(1.0)
    # Bracken's integer columns: new truncated, added = new - kraken
    row = {r.taxid: r for r in res.rows}
    assert (row["11"].kraken_assigned_reads, row["11"].added_reads, row["11"].new_est_reads) == (
        40,
        15,
        55,
    )
    assert (row["21"].added_reads, row["21"].new_est_reads) == (1, 16)
    assert row["11"].name == "G alpha" and row["11"].level == "S"
    # summary counts
    assert res.total_reads == 110 and res.unclassified_reads == 10
    assert (res.n_level_taxa, res.n_level_kept) == (4, 3)
    assert (res.kept_reads, res.discarded_reads) == (70, 5)
    assert (res.distributed_reads, res.not_distributed_reads) == (25, 0)


def test_threshold_zero_keeps_the_small_species_and_it_takes_its_share():
    res = estimate_abundance(parse_kraken_report(report_lines(TREE)), DISTRIB, threshold=0)
    # C (13): N = 5 / 1 = 5, weight 0.5 * 5 = 2.5 on G's line; total 10 + 2 + 9 + 2.5 = 23.5
    est = estimates(res)
    assert est["13"] == pytest.approx(5 + 20 * 2.5 / 23.5)
    assert est["12"] == pytest.approx(15 + 20 * 9 / 23.5)
    assert sum(est.values()) == pytest.approx(100)  # nothing lost


def test_reads_at_or_below_the_level_are_not_redistributed():
    """Bracken >= 2.7 (2022 fix): a species' own reads stay, even if its line names others."""
    distrib = {**DISTRIB, "11": {"11": 0.6, "12": 0.3}}
    res = estimate_abundance(parse_kraken_report(report_lines(TREE)), distrib, threshold=10)
    assert estimates(res)["12"] == pytest.approx(15 + 20 * 9 / 21)


def test_reads_without_a_distribution_line_are_not_distributed():
    tree = [list(r) for r in TREE]
    tree[1][1] = 3  # Bacteria gets 3 direct reads; no "2" line
    tree[0][0] += 3
    tree[1][0] += 3
    res = estimate_abundance(parse_kraken_report(report_lines([tuple(r) for r in tree])), DISTRIB)
    assert res.not_distributed_reads == 3
    assert sum(estimates(res).values()) == pytest.approx(95)


def test_genus_level():
    """At G, genomes are the genera and everything below; root's 5 reads split between G
    (via A: 0.05 * 50) and H (via D: 0.05 * 15); at G nothing of G's own 20 reads moves."""
    res = estimate_abundance(parse_kraken_report(report_lines(TREE)), DISTRIB, level="G")
    est = estimates(res)
    assert est == pytest.approx({"10": 80 + 5 * 2.5 / 3.25, "20": 15 + 5 * 0.75 / 3.25})
    assert {r.level for r in res.rows} == {"G"}


def test_genome_sharing_all_its_kmers_gets_the_genus_reads_by_prior():
    """Two species with identical genomes at the genus line (0.5 each) share the genus reads
    in proportion to their own reads: 30 vs 10 -> 3:1."""
    rows = [
        (100, 0, "R", "1", 0, "root"),
        (100, 60, "G", "10", 1, "G"),
        (30, 30, "S", "11", 2, "a"),
        (10, 10, "S", "12", 2, "b"),
    ]
    distrib = {"10": {"11": 0.5, "12": 0.5}, "11": {"11": 0.5}, "12": {"12": 0.5}}
    est = estimates(estimate_abundance(parse_kraken_report(report_lines(rows)), distrib))
    assert est == pytest.approx({"11": 30 + 45, "12": 10 + 15})


def test_empty_report_gives_no_rows():
    res = estimate_abundance(parse_kraken_report([]), DISTRIB)
    assert res.rows == [] and res.total_reads == 0


def test_bad_level_and_threshold():
    report = parse_kraken_report(report_lines(TREE))
    with pytest.raises(ValueError, match="unknown taxonomic level"):
        estimate_abundance(report, DISTRIB, level="X")
    with pytest.raises(ValueError, match="threshold"):
        estimate_abundance(report, DISTRIB, threshold=-1)


# --------------------------------------------------------------------------- report parsing


def test_report_tree_and_codes():
    report = parse_kraken_report(report_lines(TREE))
    assert report.total_reads == 110
    by_taxid = {n.taxid: n for n in report.nodes}
    assert report.nodes[by_taxid["111"].parent].taxid == "11"
    assert [report.nodes[i].taxid for i in by_taxid["10"].children] == ["11", "12", "13"]
    assert by_taxid["111"].level == "S1" and report.fixed_codes == 0


def test_kraken1_dash_codes_become_parent_codes_plus_depth():
    rows = [
        (10, 0, "-", "1", 0, "root"),
        (10, 0, "-", "131567", 1, "cellular organisms"),
        (10, 0, "D", "2", 2, "Bacteria"),
        (10, 0, "-", "3", 3, "clade"),
        (10, 0, "-", "4", 4, "subclade"),
    ]
    levels = [n.level for n in parse_kraken_report(report_lines(rows)).nodes]
    assert levels == ["R", "R1", "D", "D1", "D2"]


BROKEN = [  # as Kraken 2.1.2 (Debian) writes it: root and Bacteria lose their codes
    (10, 0, "", "1", 0, "root"),
    (10, 0, "1", "131567", 1, "cellular organisms"),
    (10, 0, "", "2", 2, "Bacteria"),
    (10, 0, "P", "1224", 3, "Proteobacteria"),
    (10, 10, "", "562", 4, "Escherichia coli"),
]
RANKS = {
    "1": "no rank",
    "131567": "no rank",
    "2": "superkingdom",
    "1224": "phylum",
    "562": "species",
}


def test_broken_rank_codes_are_repaired_from_the_taxonomy(tmp_path):
    report = parse_kraken_report(report_lines(BROKEN), ranks=RANKS)
    assert [n.level for n in report.nodes] == ["R", "R1", "D", "P", "S"]
    assert report.fixed_codes == 4
    src, dst = tmp_path / "raw.txt", tmp_path / "fixed.txt"
    src.write_text("\n".join(report_lines(BROKEN)) + "\n")
    assert fix_report_rank_codes(src, dst, RANKS) == 4
    fixed = dst.read_text().splitlines()
    assert [line.split("\t")[3] for line in fixed] == ["U", "R", "R1", "D", "P", "S"]
    # only the code column changes
    for a, b in zip(src.read_text().splitlines(), fixed, strict=True):
        fa, fb = a.split("\t"), b.split("\t")
        assert fa[:3] + fa[4:] == fb[:3] + fb[4:]
    res = estimate_abundance(read_kraken_report(dst), {}, threshold=1)
    assert [r.taxid for r in res.rows] == ["562"]


def test_minimizer_report_columns():
    lines = [
        "  9.09\t10\t10\t0\t0\tU\t0\tunclassified",
        " 90.91\t100\t0\t500\t400\tR\t1\troot",
        " 90.91\t100\t100\t500\t400\tS\t562\t  Escherichia coli",
    ]
    report = parse_kraken_report(lines)
    assert report.unclassified == 10 and report.nodes[1].direct_reads == 100


def test_per_read_output_is_refused():
    with pytest.raises(ValueError, match="per-read output"):
        parse_kraken_report(["C\tread1\t562\t150|150\t562:116 |:| 562:116"])


# --------------------------------------------------------------------------- file formats


def test_kmer_distrib_roundtrip_and_bracken_format(tmp_path):
    path = tmp_path / kmer_distrib_name(150)
    assert path.name == "database150mers.kmer_distrib"
    counts = {"11": {"11": 60, "10": 20, "0": 20}, "12": {"12": 50, "10": 30, "0": 20}}
    assert write_kmer_distrib(counts, path) == 4
    lines = path.read_text().splitlines()
    assert lines[0] == KMER_DISTRIB_HEADER
    assert lines[1:] == [
        "0\t11:20:100 12:20:100",
        "10\t11:20:100 12:30:100",
        "11\t11:60:100",
        "12\t12:50:100",
    ]
    assert read_kmer_distrib(path) == {
        "0": {"11": 0.2, "12": 0.2},
        "10": {"11": 0.2, "12": 0.3},
        "11": {"11": 0.6},
        "12": {"12": 0.5},
    }
    assert read_kmer_distrib(path, genomes=["12"]) == {
        "0": {"12": 0.2},
        "10": {"12": 0.3},
        "12": {"12": 0.5},
    }


def test_reads_bracken_written_distribution_with_trailing_spaces(tmp_path):
    """generate_kmer_distribution.py ends every genome entry with a space."""
    path = tmp_path / "d.kmer_distrib"
    path.write_text(KMER_DISTRIB_HEADER + "\n562\t83333:1434:149851 83334:1440:149851 \n")
    d = read_kmer_distrib(path)
    assert d["562"] == pytest.approx({"83333": 1434 / 149851, "83334": 1440 / 149851})


def test_bracken_table_roundtrip(tmp_path):
    res = estimate_abundance(parse_kraken_report(report_lines(TREE)), DISTRIB)
    out = tmp_path / "s.bracken"
    write_bracken(res, out)
    lines = out.read_text().splitlines()
    assert lines[0].split("\t") == [
        "name",
        "taxonomy_id",
        "taxonomy_lvl",
        "kraken_assigned_reads",
        "added_reads",
        "new_est_reads",
        "fraction_total_reads",
    ]
    assert lines[1] == f"G alpha\t11\tS\t40\t15\t55\t{55.274725 / 95:.5f}"
    rows = read_bracken(out)
    assert [r["new_est_reads"] for r in rows] == [55, 23, 16]


# --------------------------------------------------------------------------- bracken-build


def test_parse_hitlist():
    taxa, lens = parse_hitlist("562:13 561:4 A:31 0:1 1:0")
    assert taxa.tolist() == [562, 561, 0, 0] and lens.tolist() == [13, 4, 31, 1]
    with pytest.raises(ValueError, match="paired-end"):
        parse_hitlist("562:3 |:| 562:4")
    with pytest.raises(ValueError, match="not a Kraken 2 k-mer list"):
        parse_hitlist("562:3 x:4")


# root 1 > genus 10 > species 11, 12
LINEAGES = {"1": "1", "10": "1", "11": "10", "12": "10"}


def brute_force_windows(taxa, lens, window, step=1, confidence=0.0):
    """Every window classified one by one as Kraken 2's ResolveTree does (the reference)."""
    per_kmer = np.repeat(taxa, lens)
    lin = _Lineages(LINEAGES)
    out = {}
    for s in range(0, len(per_kmer) - window + 1, step):
        hits = {}
        for t in per_kmer[s : s + window]:
            if t:
                hits[int(t)] = hits.get(int(t), 0) + 1
        call, best = 0, 0
        for t in hits:
            score = sum(c for u, c in hits.items() if u in lin.ancestors(t))
            if score > best:
                call, best = t, score
            elif score == best:
                call = lin.lca((call, t))
        required = int(np.ceil(confidence * window))
        while call and confidence > 0:
            clade = sum(c for u, c in hits.items() if call in lin.ancestors(u))
            if clade >= required:
                break
            call = lin.parent.get(call, 0) if call != 1 else 0
        out[call] = out.get(call, 0) + 1
    return out


@pytest.mark.parametrize("step", [1, 3])
@pytest.mark.parametrize("confidence", [0.0, 0.3])
def test_classify_windows_equals_window_by_window_resolve_tree(step, confidence):
    rng = np.random.default_rng(7)
    taxa = rng.choice([0, 1, 10, 11, 12], size=400, p=[0.2, 0.05, 0.25, 0.3, 0.2])
    lens = rng.integers(1, 12, size=400)
    # small chunks so that chunk borders are crossed many times
    got = classify_windows(
        taxa, lens, 40, _Lineages(LINEAGES), step=step, confidence=confidence, chunk=7
    )
    assert dict(got) == brute_force_windows(taxa, lens, 40, step, confidence)


def test_classify_windows_ties_go_to_the_lca_and_short_sequences_give_nothing():
    lin = _Lineages(LINEAGES)
    # one window of 4 k-mers: 2 of species 11, 2 of species 12 -> genus 10
    assert classify_windows(np.array([11, 12]), np.array([2, 2]), 4, lin) == {10: 1}
    assert classify_windows(np.array([11]), np.array([3]), 4, lin) == {}
    assert classify_windows(np.array([0, 1]), np.array([2, 2]), 2, lin) == {0: 1, 1: 2}


NODES = """1\t|\t1\t|\tno rank\t|
2\t|\t1\t|\tsuperkingdom\t|
10\t|\t2\t|\tgenus\t|
11\t|\t10\t|\tspecies\t|
12\t|\t10\t|\tspecies\t|
"""
NAMES = """1\t|\troot\t|\t\t|\tscientific name\t|
2\t|\tBacteria\t|\t\t|\tscientific name\t|
10\t|\tGenus\t|\t\t|\tscientific name\t|
11\t|\tGenus alpha\t|\t\t|\tscientific name\t|
12\t|\tGenus beta\t|\t\t|\tscientific name\t|
"""


@pytest.fixture(scope="module")
def tiny_db(tmp_path_factory):
    """Two random 20 kb genomes sharing one 2 kb segment, built with the real kraken2-build."""
    if not shutil.which("kraken2-build"):
        pytest.skip("kraken2 is not installed")
    tmp = tmp_path_factory.mktemp("k2")
    rng = np.random.default_rng(3)

    def rand(n):
        return "".join(rng.choice(list("ACGT"), n))

    shared = rand(2000)
    a = rand(9000) + shared + rand(9000)
    b = rand(12000) + shared + rand(6000)
    lib = tmp / "library.fna"
    lib.write_text(f">a|kraken:taxid|11\n{a}\n>b|kraken:taxid|12\n{b}\n")
    db = tmp / "db"
    (db / "taxonomy").mkdir(parents=True)
    (db / "taxonomy" / "nodes.dmp").write_text(NODES)
    (db / "taxonomy" / "names.dmp").write_text(NAMES)
    for args in (["--add-to-library", str(lib), "--no-masking"], ["--build"]):
        subprocess.run(["kraken2-build", "--db", str(db), *args], check=True, capture_output=True)
    return lib, db


def test_build_kmer_distrib_with_kraken2(tiny_db, tmp_path):
    lib, db = tiny_db
    out = tmp_path / kmer_distrib_name(100)
    stats = build_kmer_distrib(lib, db, out, read_length=100, step=1, threads=1)
    n = 20_000 - 100 + 1  # windows per genome
    assert stats == {
        "windows": 2 * n,
        "sequences": 2,
        "genomes": 2,
        "lines": stats["lines"],
        "k": 35,
    }
    d = read_kmer_distrib(out)
    for g in ("11", "12"):
        total = sum(dist[g] for dist in d.values() if g in dist)
        assert total == pytest.approx(1.0)  # every window counted once (unclassified incl.)
        # windows inside the shared segment (2000 - 100 + 1) can only go to the genus
        assert d["10"][g] == pytest.approx(1901 / n, abs=150 / n)
        assert d[g][g] > 0.85
    assert "12" not in d["11"] and "11" not in d["12"]
    # step 10 samples every 10th window: the same fractions within a few windows
    coarse = tmp_path / "coarse.kmer_distrib"
    stats10 = build_kmer_distrib(lib, db, coarse, read_length=100, step=10, threads=1)
    assert stats10["windows"] == 2 * len(range(0, 20_000 - 100 + 1, 10))
    d10 = read_kmer_distrib(coarse)
    assert d10["10"]["11"] == pytest.approx(d["10"]["11"], abs=0.01)
    lines = out.read_text().splitlines()
    assert lines[0] == KMER_DISTRIB_HEADER


def test_build_kmer_distrib_equals_bracken_build(tiny_db, tmp_path):
    """Oracle: the real bracken-build (kraken2 + kmer2read_distr + generate_kmer_distribution.py,
    built from ../shared/tools/bracken) on the same database gives the same file content."""
    lib, db = tiny_db
    tool = build_bracken(tmp_path)
    theirs = run_bracken_build(tool, db, lib, db / "taxonomy", 100, tmp_path / "bracken_db")
    ours = tmp_path / "ours.kmer_distrib"
    build_kmer_distrib(lib, db, ours, read_length=100)
    assert parse_distrib_counts(ours) == parse_distrib_counts(theirs)
    assert len(parse_distrib_counts(ours)) >= 3  # 11, 12 and the genus at least


def parse_distrib_counts(path):
    """{mapped: {genome: (mapped windows, total windows)}}: the exact integers of the file."""
    out = {}
    for line in path.read_text().splitlines()[1:]:
        mapped, _, rest = line.partition("\t")
        out[mapped] = {g: (int(m), int(t)) for g, m, t in (x.split(":") for x in rest.split())}
    return out
