"""16S stage bookkeeping: ASV IDs and FASTA, hit counting, SINTAX parsing, read tracking, tree
rooting and the stage's tables (holobiont.microbiome.amplicon)."""

import hashlib
import json
import math
import sys

import numpy as np
import pandas as pd
import pytest

from holobiont.core.table import parse_lineage, read_biom, read_tsv
from holobiont.core.tree import read_newick
from holobiont.microbiome.amplicon import (
    CHIMERA_PREFIX,
    FLOOR_COLUMNS,
    TAXONOMY_COLUMNS,
    TRACKING_COLUMNS,
    UNASSIGNED,
    apply_abundance_floor,
    asv_id,
    build_asv_table,
    count_hits,
    cutadapt_pairs,
    fasta_abundance,
    label_size,
    lineage_at_cutoff,
    parse_sintax,
    parse_sintax_prediction,
    read_fasta,
    read_tracking,
    root_tree,
    summarise_amplicon,
    tracking_row,
    write_asvs,
    write_fasta,
    write_taxonomy,
)

A = "TACGGAGGATCCGAGCGTTATCCGGATTTATTGGGTTTAAAGG"
B = "TACGTAGGTGGCAAGCGTTATCCGGAATTATTGGGCGTAAAGC"
C = A[:20] + B[20:]  # a chimera of A and B


def md5(s):
    return hashlib.md5(s.encode()).hexdigest()


# ------------------------------------------------------------------------------- FASTA, IDs


def test_read_fasta_joins_lines_and_upper_cases(tmp_path):
    p = tmp_path / "x.fa"
    p.write_text(">a;size=3\nacg\nT\n\n>b desc\nGG\n")
    assert read_fasta(p) == [("a;size=3", "ACGT"), ("b desc", "GG")]


def test_read_fasta_empty_and_malformed(tmp_path):
    empty = tmp_path / "e.fa"
    empty.write_text("")
    assert read_fasta(empty) == []
    bad = tmp_path / "bad.fa"
    bad.write_text("ACGT\n>a\nAC\n")
    with pytest.raises(ValueError, match="before the first header"):
        read_fasta(bad)


def test_write_fasta_round_trip(tmp_path):
    recs = [("x", "ACGT"), ("y;size=2", "GG")]
    write_fasta(recs, tmp_path / "o.fa")
    assert read_fasta(tmp_path / "o.fa") == recs
    assert fasta_abundance(tmp_path / "o.fa") == 1 + 2


@pytest.mark.parametrize(
    ("label", "size"),
    [("u1;size=40", 40), ("P01.7;sample=P01;size=5;", 5), ("u2", 1), ("size=9", 9), ("xsize=3", 1)],
)
def test_label_size(label, size):
    assert label_size(label) == size


def test_asv_id_is_the_md5_of_the_upper_case_sequence():
    assert asv_id(A) == "ASV_" + md5(A)
    assert asv_id(A.lower()) == asv_id(A)
    assert asv_id(A) != asv_id(B)


# ------------------------------------------------------------------------------- ASVs


def write_centroids(tmp_path, sizes, kept):
    cen = tmp_path / "centroids.fa"
    cen.write_text("".join(f">{md5(s)};size={n}\n{s}\n" for s, n in sizes.items()))
    non = tmp_path / "nonchim.fa"
    non.write_text("".join(f">{md5(s)};size={sizes[s]}\n{s}\n" for s in kept))
    return cen, non


def test_write_asvs_orders_by_abundance_and_keeps_chimeras_for_mapping(tmp_path):
    cen, non = write_centroids(tmp_path, {A: 50, B: 80, C: 5}, [A, B])
    asvs, chimeras = write_asvs(cen, non, tmp_path / "asv.fa", tmp_path / "db.fa")
    assert [a.id for a in asvs] == [asv_id(B), asv_id(A)]
    assert [a.size for a in asvs] == [80, 50]
    assert [c.id for c in chimeras] == [CHIMERA_PREFIX + md5(C)]
    assert read_fasta(tmp_path / "asv.fa") == [(asv_id(B), B), (asv_id(A), A)]
    db = read_fasta(tmp_path / "db.fa")
    assert db == [(asv_id(B), B), (asv_id(A), A), (CHIMERA_PREFIX + md5(C), C)]


def test_write_asvs_breaks_ties_by_id(tmp_path):
    cen, non = write_centroids(tmp_path, {A: 10, B: 10}, [B, A])
    asvs, _ = write_asvs(cen, non, tmp_path / "asv.fa", tmp_path / "db.fa")
    assert [a.id for a in asvs] == sorted([asv_id(A), asv_id(B)])


def test_write_asvs_refuses_a_nonchimera_that_is_no_centroid(tmp_path):
    cen, _ = write_centroids(tmp_path, {A: 10}, [A])
    non = tmp_path / "other.fa"
    non.write_text(f">x\n{B}\n")
    with pytest.raises(ValueError, match="not among the centroids"):
        write_asvs(cen, non, tmp_path / "asv.fa", tmp_path / "db.fa")


def test_write_asvs_with_no_sequences_writes_empty_files(tmp_path, capsys):
    cen, non = write_centroids(tmp_path, {}, [])
    asvs, chimeras = write_asvs(cen, non, tmp_path / "asv.fa", tmp_path / "db.fa", log=sys.stdout)
    assert asvs == [] and chimeras == []
    assert (tmp_path / "asv.fa").read_text() == "" and (tmp_path / "db.fa").read_text() == ""
    assert "WARNING: no ASV" in capsys.readouterr().out


# ------------------------------------------------------------------------------- counting


def test_count_hits_sums_dereplicated_sizes(tmp_path):
    p = tmp_path / "hits.tsv"
    p.write_text(
        "P01.1;sample=P01;size=5\tASV_a\n"
        "P01.9;sample=P01;size=2\tASV_a\n"
        "P01.4;sample=P01\tchimera_c\n"
        "P01.5;size=3\tASV_b;size=80\n"
    )
    assert count_hits(p) == {"ASV_a": 7, "chimera_c": 1, "ASV_b": 3}


def test_count_hits_empty_and_malformed(tmp_path):
    p = tmp_path / "hits.tsv"
    p.write_text("")
    assert count_hits(p) == {}
    p.write_text("only-a-query\n")
    with pytest.raises(ValueError, match="line 1"):
        count_hits(p)


def test_build_asv_table_keeps_empty_samples_and_ignores_chimeras():
    t = build_asv_table(
        ["s1", "s2", "s3"],
        {"s1": {"A": 3, "chimera_x": 2}, "s3": {"B": 4, "A": 1}},
        ["A", "B"],
        {"A": "d__Bacteria", "B": UNASSIGNED},
    )
    assert t.sample_ids == ("s1", "s2", "s3") and t.taxa == ("A", "B")
    assert t.counts.tolist() == [[3, 0], [0, 0], [1, 4]]
    assert t.counts.dtype == np.int64
    assert t.taxonomy == {"A": "d__Bacteria", "B": UNASSIGNED}


def test_build_asv_table_without_asvs():
    t = build_asv_table(["s1"], {"s1": {"chimera_x": 3}}, [])
    assert t.shape == (1, 0)


# ------------------------------------------------------------------------------- SINTAX


def test_parse_sintax_prediction():
    pred = parse_sintax_prediction(
        "d:Bacteria(1.00),p:Firmicutes(0.93),g:Enterococcus(0.61),s:Enterococcus_faecalis(0.40)"
    )
    assert pred == {
        "domain": ("Bacteria", 1.0),
        "phylum": ("Firmicutes", 0.93),
        "genus": ("Enterococcus", 0.61),
        "species": ("Enterococcus_faecalis", 0.40),
    }
    assert parse_sintax_prediction("") == {} and parse_sintax_prediction("*") == {}
    with pytest.raises(ValueError, match="unexpected SINTAX"):
        parse_sintax_prediction("d:Bacteria")
    with pytest.raises(ValueError, match="unexpected SINTAX"):
        parse_sintax_prediction("z:Thing(0.5)")


def test_lineage_at_cutoff_stops_at_the_first_rank_below():
    pred = {
        "domain": ("Bacteria", 1.0),
        "phylum": ("Firmicutes", 0.9),
        "class": ("Bacilli", 0.7),
        "genus": ("Enterococcus", 0.95),  # below a weaker rank: not kept either
    }
    assert lineage_at_cutoff(pred, 0.8) == "d__Bacteria; p__Firmicutes"
    assert lineage_at_cutoff(pred, 0.0) == (
        "d__Bacteria; p__Firmicutes; c__Bacilli; o__; f__; g__Enterococcus"
    )
    assert lineage_at_cutoff(pred, 1.0) == "d__Bacteria"
    assert lineage_at_cutoff({}, 0.8) == UNASSIGNED
    assert parse_lineage(UNASSIGNED) == {}


def test_parse_sintax_file(tmp_path):
    p = tmp_path / "sintax.tsv"
    p.write_text(
        "ASV_a\td:Bacteria(1.00),p:Firmicutes(0.98),g:Enterococcus(0.85)\t+\t"
        "d:Bacteria,p:Firmicutes,g:Enterococcus\n"
        "ASV_b;size=3\td:Bacteria(0.99),p:Bacteroidetes(0.50)\t+\td:Bacteria\n"
        "ASV_c\t\t\t\n"
    )
    df = parse_sintax(p, 0.8, ["ASV_b", "ASV_a", "ASV_c", "ASV_missing"])
    assert list(df.columns) == list(TAXONOMY_COLUMNS)
    assert df.asv.tolist() == ["ASV_b", "ASV_a", "ASV_c", "ASV_missing"]
    assert df.lineage.tolist() == [
        "d__Bacteria",
        "d__Bacteria; p__Firmicutes; c__; o__; f__; g__Enterococcus",
        UNASSIGNED,
        UNASSIGNED,
    ]
    rows = df.set_index("asv")
    row = rows.loc["ASV_b"]
    # the phylum is below the cutoff: not in the rank column, only in the unconfident top hit
    assert row.domain == "Bacteria" and row.phylum == "" and row.phylum_confidence == 0.5
    assert row.top_hit_unconfident == "d__Bacteria; p__Bacteroidetes"
    assert row.genus == "" and math.isnan(row.genus_confidence)
    row = rows.loc["ASV_a"]
    assert (row.phylum, row.genus, row.genus_confidence) == ("Firmicutes", "Enterococcus", 0.85)
    assert (df.sintax_cutoff == 0.8).all()
    assert rows.loc["ASV_c"].top_hit_unconfident == "" and rows.loc["ASV_c"].domain == ""
    # at a stricter cutoff the genus of ASV_a is withheld from every rank column
    strict = parse_sintax(p, 0.9, ["ASV_a"]).iloc[0]
    assert strict.lineage == "d__Bacteria; p__Firmicutes" and strict.genus == ""
    assert strict.top_hit_unconfident.endswith("g__Enterococcus")
    with pytest.raises(ValueError, match="cutoff"):
        parse_sintax(p, 1.5)


def test_write_taxonomy_of_an_extra_reference_follows_the_asv_fasta(tmp_path, capsys):
    # amplicon.extra_references: every ASV of the FASTA, in its order, with the columns of
    # taxonomy.tsv; an ASV the reference gave no line is Unassigned (not dropped)
    asv_fa = tmp_path / "asv.fa"
    write_fasta([(f"{asv_id(B)};size=9", B), (asv_id(A), A), (asv_id(C), C)], asv_fa)
    sintax = tmp_path / "sintax.tsv"
    sintax.write_text(
        f"{asv_id(A)}\td:Bacteria(1.00),g:Escherichia(0.70)\t+\td:Bacteria\n"
        f"{asv_id(B)}\td:Bacteria(1.00),g:Bacteroides(0.90)\t+\td:Bacteria,g:Bacteroides\n"
    )
    out = tmp_path / "taxonomy_x.tsv"
    write_taxonomy(asv_fa, sintax, 0.8, out, log=sys.stdout)
    tax = pd.read_csv(out, sep="\t", dtype=str, keep_default_na=False)
    assert list(tax.columns) == list(TAXONOMY_COLUMNS)
    assert tax.asv.tolist() == [asv_id(B), asv_id(A), asv_id(C)]
    assert tax.genus.tolist() == ["Bacteroides", "", ""]
    assert tax.lineage.tolist()[1:] == ["d__Bacteria", UNASSIGNED]
    assert tax.top_hit_unconfident[1].endswith("g__Escherichia")  # withheld below the cutoff
    assert "3 ASVs, 1 with a confident genus at SINTAX cutoff 0.8" in capsys.readouterr().out


# ------------------------------------------------------------------------------- tracking


def test_cutadapt_pairs_sums_units():
    reps = [
        {"read_counts": {"input": 100, "output": 90}},
        {"read_counts": {"input": 50, "output": 49}},
    ]
    assert cutadapt_pairs(reps) == (150, 139)
    assert cutadapt_pairs([]) == (0, 0)


def test_tracking_row_figures():
    r = tracking_row(
        "s",
        "p",
        pairs_in=1000,
        pairs_primer_trimmed=990,
        merged=980,
        filtered=950,
        mapped_to_asvs=960,
        mapped_to_chimeras=10,
    )
    assert set(r) == set(TRACKING_COLUMNS)
    assert r["unmerged"] == 10
    assert r["nonchimeric_fraction"] == pytest.approx(960 / 970, abs=1e-6)
    assert r["pct_pairs_in_table"] == 96.0 and r["status"] == "PASS"


@pytest.mark.parametrize(
    ("counts", "where"),
    [
        ((10, 0, 0, 0, 0), "primer trimming"),
        ((10, 10, 0, 0, 0), "pair merging"),
        ((10, 10, 9, 0, 0), "expected-error filter"),
        ((10, 10, 9, 8, 0), "mapping"),
    ],
)
def test_read_tracking_warns_about_empty_samples(counts, where, capsys):
    pin, trimmed, merged, filtered, mapped = counts
    rows = [
        tracking_row(
            "bad",
            "p",
            pairs_in=pin,
            pairs_primer_trimmed=trimmed,
            merged=merged,
            filtered=filtered,
            mapped_to_asvs=mapped,
            mapped_to_chimeras=0,
        )
    ]
    df = read_tracking(rows, log=sys.stdout)
    assert df.status.tolist() == ["EMPTY"]
    assert math.isnan(df.nonchimeric_fraction[0]) and df.pct_pairs_in_table[0] == 0.0
    out = capsys.readouterr().out
    assert "WARNING: bad has no reads in the ASV table" in out and where in out
    assert "all-zero column" in out


def test_read_tracking_names_the_floor_when_it_removed_every_read(capsys):
    row = tracking_row(
        "s",
        "p",
        pairs_in=5,
        pairs_primer_trimmed=5,
        merged=5,
        filtered=4,
        mapped_to_asvs=3,
        mapped_to_chimeras=0,
        removed_by_floor=3,
    )
    assert row["in_table"] == 0 and row["pct_pairs_in_table"] == 0.0
    assert read_tracking([row], log=sys.stdout).status.tolist() == ["EMPTY"]
    assert "the abundance floor" in capsys.readouterr().out


# ------------------------------------------------------------------------------- floor


def test_abundance_floor_absolute_and_relative():
    counts = {"A": 9000, "B": 950, "C": 9, "D": 10, "E": 1, "chimera_x": 30}
    # relative floor 0.1 % of the 9,970 ASV reads (chimeras not counted) = 9.97 -> 10 reads
    r = apply_abundance_floor(counts, 2, 0.001)
    assert r.total == 9970 and r.floor_reads == 10
    assert r.kept == {"A": 9000, "B": 950, "D": 10} and r.removed == {"C": 9, "E": 1}
    # absolute floor alone (relative disabled)
    r = apply_abundance_floor(counts, 2, 0.0)
    assert r.floor_reads == 2 and r.removed == {"E": 1}
    # the absolute floor wins on a shallow sample
    r = apply_abundance_floor({"A": 40, "B": 3}, 5, 0.001)
    assert r.floor_reads == 5 and r.removed == {"B": 3}
    # disabled: every ASV with a read stays
    r = apply_abundance_floor(counts, 1, 0.0)
    assert r.removed == {} and set(r.kept) == set("ABCDE")
    # exact boundary in binary floating point: 0.07 * 100 = 7.000000000000001
    r = apply_abundance_floor({"A": 93, "B": 7}, 1, 0.07)
    assert r.floor_reads == 7 and r.kept == {"A": 93, "B": 7}
    assert apply_abundance_floor({}, 2, 0.001).floor_reads == 2


@pytest.mark.parametrize(("min_reads", "min_fraction"), [(0, 0.001), (2, 1.0), (2, -0.1), (1.5, 0)])
def test_abundance_floor_rejects_bad_settings(min_reads, min_fraction):
    with pytest.raises(ValueError, match="abundance floor"):
        apply_abundance_floor({"A": 3}, min_reads, min_fraction)


# ------------------------------------------------------------------------------- tree


def test_root_tree_midpoint_roots_and_checks_tips(tmp_path):
    fa = tmp_path / "asv.fa"
    write_fasta([("ASV_a", A), ("ASV_b", B), ("ASV_c", C), ("ASV_d", A[:30])], fa)
    nwk = tmp_path / "in.nwk"
    nwk.write_text("(ASV_a:1,ASV_b:1,(ASV_c:4,ASV_d:2):1);\n")
    root_tree(nwk, fa, tmp_path / "out.nwk")
    tree = read_newick((tmp_path / "out.nwk").read_text())
    tips = {n for n, t in zip(tree.names, tree.is_tip, strict=True) if t}
    assert tips == {"ASV_a", "ASV_b", "ASV_c", "ASV_d"}
    root = tree.n_nodes - 1
    children = np.flatnonzero(tree.parent == root)
    assert len(children) == 2  # rooted (bifurcating root)
    # the longest path is c..a (or c..b): 4 + 1 + 1 = 6, so the root is 3 from c
    c = tree.names.index("ASV_c")
    assert tree.length[c] == pytest.approx(3.0)

    nwk.write_text("(ASV_a:1,ASV_b:1,ASV_x:1);\n")
    with pytest.raises(ValueError, match="missing tips"):
        root_tree(nwk, fa, tmp_path / "bad.nwk")


def test_root_tree_without_asvs_and_with_one(tmp_path):
    empty = tmp_path / "empty.fa"
    empty.write_text("")
    (tmp_path / "empty.nwk").write_text("")
    root_tree(tmp_path / "empty.nwk", empty, tmp_path / "out0.nwk")
    assert (tmp_path / "out0.nwk").read_text() == ";\n"
    one = tmp_path / "one.fa"
    write_fasta([("ASV_a", A)], one)
    (tmp_path / "one.nwk").write_text("(ASV_a:0.000000000);\n")
    root_tree(tmp_path / "one.nwk", one, tmp_path / "out1.nwk")
    assert read_newick((tmp_path / "out1.nwk").read_text()).names[0] == "ASV_a"


# ------------------------------------------------------------------------------- tables


def test_summarise_amplicon_writes_every_table(tmp_path, capsys):
    asv_fa = tmp_path / "asv.fa"
    write_fasta([(asv_id(B), B), (asv_id(A), A)], asv_fa)
    sintax = tmp_path / "sintax.tsv"
    sintax.write_text(
        f"{asv_id(B)}\td:Bacteria(1.00),g:Bacteroides(0.90)\t+\td:Bacteria,g:Bacteroides\n"
        f"{asv_id(A)}\td:Bacteria(0.50)\t+\t\n"
    )
    samples = []
    for sid, n_in, hits, merged in (
        ("s1", 100, {asv_id(A): 30, asv_id(B): 60, "chimera_" + md5(C): 5}, 96),
        ("s0", 20, {}, 0),
    ):
        cut = tmp_path / f"{sid}.cutadapt.json"
        cut.write_text(json.dumps(_cutadapt_report(n_in, n_in - 1, found=n_in - 1)))
        h = tmp_path / f"{sid}.hits.tsv"
        h.write_text("".join(f"q{i};size={n}\t{t}\n" for i, (t, n) in enumerate(hits.items())))
        m = tmp_path / f"{sid}.merged.fa"
        m.write_text(f">m;size={merged}\n{A}\n" if merged else "")
        f = tmp_path / f"{sid}.filtered.fa"
        f.write_text(f">f;size={merged - 6}\n{A}\n" if merged else "")
        samples.append(
            {
                "sample_id": sid,
                "patient_id": sid.upper(),
                "cutadapt": [cut],
                "merged": m,
                "filtered": f,
                "hits": h,
            }
        )
    out = {k: tmp_path / f"out.{k}" for k in ("tsv", "biom", "tax", "track", "mqc", "floor")}
    table = summarise_amplicon(
        samples,
        asv_fa,
        sintax,
        0.8,
        table_tsv=out["tsv"],
        table_biom=out["biom"],
        taxonomy_tsv=out["tax"],
        tracking_tsv=out["track"],
        tracking_mqc=out["mqc"],
        floor_tsv=out["floor"],
        log=sys.stdout,
    )
    assert table.sample_ids == ("s1", "s0") and table.taxa == (asv_id(B), asv_id(A))
    assert table.counts.tolist() == [[60, 30], [0, 0]]
    back = read_tsv(out["tsv"])
    assert back.counts.tolist() == table.counts.tolist()
    assert back.taxonomy == {asv_id(B): "d__Bacteria; p__; c__; o__; f__; g__Bacteroides",
                             asv_id(A): UNASSIGNED}  # fmt: skip
    biom = read_biom(out["biom"], sparse=False)
    assert biom.counts.tolist() == table.counts.tolist() and biom.sample_ids == ("s1", "s0")
    tax = pd.read_csv(out["tax"], sep="\t", keep_default_na=False)
    assert tax.asv.tolist() == [asv_id(B), asv_id(A)]
    track = pd.read_csv(out["track"], sep="\t").set_index("sample_id")
    assert track.loc["s1", "mapped_to_asvs"] == 90 and track.loc["s1", "mapped_to_chimeras"] == 5
    assert track.loc["s1", "merged"] == 96 and track.loc["s1", "filtered"] == 90
    assert track.loc["s1", "pairs_primer_trimmed"] == 99
    assert track.loc["s0", "status"] == "EMPTY"
    mqc = out["mqc"].read_text().splitlines()
    assert mqc[0].startswith("# id: 'holobiont_16s_tracking'")
    assert [ln.split("\t")[0] for ln in mqc if not ln.startswith("#")] == ["Sample", "s1", "s0"]
    log = capsys.readouterr().out
    assert "WARNING: s0 has no reads in the ASV table" in log
    floor = pd.read_csv(out["floor"], sep="\t").set_index("sample_id")
    assert list(floor.reset_index().columns) == list(FLOOR_COLUMNS)
    assert floor.loc["s1", "asvs_removed"] == 0 and floor.loc["s1", "floor_reads"] == 1


def test_summarise_amplicon_applies_the_floor_and_reports_it(tmp_path, capsys):
    """s1 holds a cross-talk read of s2's ASV B (1 of 1,000 reads); s2 keeps B."""
    asv_fa = tmp_path / "asv.fa"
    write_fasta([(asv_id(A), A), (asv_id(B), B)], asv_fa)
    sintax = tmp_path / "sintax.tsv"
    sintax.write_text(f"{asv_id(A)}\td:Bacteria(1.00)\t+\td:Bacteria\n")
    samples = []
    for sid, hits in (("s1", {asv_id(A): 999, asv_id(B): 1}), ("s2", {asv_id(B): 500})):
        n = sum(hits.values())
        cut = tmp_path / f"{sid}.cutadapt.json"
        cut.write_text(json.dumps(_cutadapt_report(n, n, found=n)))
        h = tmp_path / f"{sid}.hits.tsv"
        h.write_text("".join(f"q{i};size={c}\t{t}\n" for i, (t, c) in enumerate(hits.items())))
        fa = tmp_path / f"{sid}.fa"
        fa.write_text(f">m;size={n}\n{A}\n")
        samples.append(
            {"sample_id": sid, "patient_id": sid, "cutadapt": [cut], "merged": fa,
             "filtered": fa, "hits": h}
        )  # fmt: skip
    out = {k: tmp_path / f"out.{k}" for k in ("tsv", "biom", "tax", "track", "floor")}
    table = summarise_amplicon(
        samples, asv_fa, sintax, 0.8, table_tsv=out["tsv"], table_biom=out["biom"],
        taxonomy_tsv=out["tax"], tracking_tsv=out["track"], floor_tsv=out["floor"],
        min_reads=2, min_fraction=0.001, log=sys.stdout,
    )  # fmt: skip
    assert table.counts.tolist() == [[999, 0], [0, 500]]
    floor = pd.read_csv(out["floor"], sep="\t").set_index("sample_id")
    assert floor.loc["s1"].to_dict() == {
        "reads_mapped_to_asvs": 1000, "min_reads": 2, "min_fraction": 0.001, "floor_reads": 2,
        "asvs_before": 2, "asvs_removed": 1, "reads_removed": 1, "asvs_kept": 1,
        "reads_kept": 999,
    }  # fmt: skip
    assert floor.loc["s2", "reads_removed"] == 0
    track = pd.read_csv(out["track"], sep="\t").set_index("sample_id")
    assert track.loc["s1", ["mapped_to_asvs", "removed_by_floor", "in_table"]].tolist() == [
        1000, 1, 999,
    ]  # fmt: skip
    assert track.loc["s1", "pct_pairs_in_table"] == 99.9
    assert "s1: abundance floor 2 reads" in capsys.readouterr().out


def _cutadapt_report(n_in, n_out, found=None):
    """The fields of a cutadapt --json report that the tracking reads; ``found=None``: cutadapt
    ran without primers (qc.primers_16s.already_removed)."""
    primers = found is not None
    return {
        "read_counts": {
            "input": n_in,
            "output": n_out,
            "read1_with_adapter": found,
            "read2_with_adapter": found,
        },
        "adapters_read1": [{"name": "1"}] if primers else [],
        "adapters_read2": [{"name": "2"}] if primers else [],
    }


def test_tracking_says_what_cutadapt_did_with_the_primers():
    from holobiont.microbiome.amplicon import cutadapt_primers

    assert cutadapt_primers([_cutadapt_report(100, 90, found=95)]) == "trimmed"
    assert cutadapt_primers([_cutadapt_report(100, 0, found=0)]) == "not found"
    assert cutadapt_primers([_cutadapt_report(100, 99)]) == "already removed"
    row = tracking_row(
        "s", "p", pairs_in=100, pairs_primer_trimmed=99, merged=90, filtered=80,
        mapped_to_asvs=85, mapped_to_chimeras=0, primers="already removed",
    )  # fmt: skip
    assert math.isnan(row["pairs_primer_trimmed"]) and row["unmerged"] == 9
    assert row["primers"] == "already removed"
