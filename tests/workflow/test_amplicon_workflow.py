"""16S stage with the real tools (cutadapt, vsearch, MAFFT, FastTree) on three demo libraries,
a synthetic library that loses every read at the expected-error filter and one of three demo
amplicons, one of them a single cross-talk read (removed by the abundance floor).

Truth: resources/demo/data/truth/16s_composition.tsv (reads simulated per member and sample,
chimeras marked) and 16s_asvs.fasta. Count tolerance: every member's count in the ASV table is
within max(5 reads, 2 %) of the pairs simulated for it (reads are lost only where cutadapt or
merging drop a pair, a handful per library)."""

import gzip
import hashlib
import json

import numpy as np
import pandas as pd
import pytest

from conftest import DEMO, run_snakemake, write_sheet
from holobiont.core.table import parse_lineage, read_biom, read_tsv
from holobiont.core.tree import read_newick
from holobiont.microbiome.amplicon import asv_id, read_fasta

pytestmark = [pytest.mark.workflow]

PATIENTS = ("P01", "P02", "P03")
FWD, REV = "GTGCCAGCAGCCGCGGTAA", "GGACTACAAGGGTATCTAAT"  # concrete 515F / 806R variants
COMP = str.maketrans("ACGT", "TGCA")


def low_quality_library(reads, n=200, seed=3):
    """Overlapping 2x250 pairs of random 253 bp inserts behind the primers, every base Q2:
    cutadapt keeps them, vsearch merges them, the expected-error filter drops them all, and
    no merged read resembles an ASV."""
    rng = np.random.default_rng(seed)
    paths = reads / "X1-16S_R1.fastq.gz", reads / "X1-16S_R2.fastq.gz"
    with gzip.open(paths[0], "wt") as r1, gzip.open(paths[1], "wt") as r2:
        for i in range(n):
            insert = "".join(rng.choice(list("ACGT"), 253))
            frag = FWD + insert + REV.translate(COMP)[::-1]
            a, b = frag[:250], frag.translate(COMP)[::-1][:250]
            r1.write(f"@X1:{i} 1:N:0:A\n{a}\n+\n{'#' * 250}\n")
            r2.write(f"@X1:{i} 2:N:0:A\n{b}\n+\n{'#' * 250}\n")
    return paths


def cross_talk_library(reads, truth, main=400, other=3, leak=1):
    """Error-free 2x250 pairs (Q40) of three of P01's members: ``main`` pairs of its most
    abundant, ``other`` of its second (0.7 %: above the default floor) and ``leak`` of its
    third (0.25 % but 1 read: below the default 2-read floor, like the 1-2-read cross-talk
    ASVs of the MiSeq mock)."""
    p01 = truth[(truth.sample_id == "P01-16S") & ~truth.is_chimera]
    p01 = p01.sort_values(["reads_simulated", "otu_id"], ascending=[False, True])
    members = [(p01.iloc[k].amplicon, n) for k, n in enumerate((main, other, leak))]
    paths = reads / "X2-16S_R1.fastq.gz", reads / "X2-16S_R2.fastq.gz"
    with gzip.open(paths[0], "wt") as r1, gzip.open(paths[1], "wt") as r2:
        i = 0
        for amplicon, n in members:
            frag = FWD + amplicon + REV.translate(COMP)[::-1]
            a, b = frag[:250], frag.translate(COMP)[::-1][:250]
            for _ in range(n):
                r1.write(f"@X2:{i} 1:N:0:A\n{a}\n+\n{'I' * len(a)}\n")
                r2.write(f"@X2:{i} 2:N:0:A\n{b}\n+\n{'I' * len(b)}\n")
                i += 1
    return paths, [asv_id(m) for m, _ in members]


@pytest.fixture(scope="module")
def amplicon_run(tmp_path_factory):
    if not (DEMO / "samples.tsv").exists():
        pytest.skip("demo cohort not generated; run `make demo-data`")
    tmp = tmp_path_factory.mktemp("amplicon")
    reads = tmp / "reads"
    reads.mkdir()
    rows = [
        {
            "patient_id": p,
            "sample_id": f"{p}-16S",
            "assay": "16s",
            "unit": "L001",
            "fastq_1": DEMO / "reads" / f"{p}-16S_L001_R1.fastq.gz",
            "fastq_2": DEMO / "reads" / f"{p}-16S_L001_R2.fastq.gz",
        }
        for p in PATIENTS
    ]
    truth = pd.read_csv(DEMO / "truth" / "16s_composition.tsv", sep="\t", dtype={"otu_id": str})
    truth = truth[truth.sample_id.isin([f"{p}-16S" for p in PATIENTS])]
    (x1, x2), (y1, y2) = low_quality_library(reads), cross_talk_library(reads, truth)[0]
    for patient, unit, r1, r2 in (("X1", "1", x1, x2), ("X2", "1", y1, y2)):
        rows.append(
            {
                "patient_id": patient,
                "sample_id": f"{patient}-16S",
                "assay": "16s",
                "unit": unit,
                "fastq_1": r1,
                "fastq_2": r2,
            }
        )
    sheet = write_sheet(tmp / "samples.tsv", rows)
    run = tmp / "run"
    res = run_snakemake(run, config={"samples": sheet})
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-4000:]
    return run, truth


def asv_seqs(run):
    return dict(read_fasta(run / "results/16s/asv_seqs.fasta"))


def test_every_truth_member_is_an_asv_and_nothing_else(amplicon_run):
    run, truth = amplicon_run
    seqs = asv_seqs(run)
    assert all(k == asv_id(v) for k, v in seqs.items())  # IDs are the sequences' MD5
    members = set(truth.loc[~truth.is_chimera, "amplicon"])
    found = set(seqs.values())
    assert members <= found, f"missed {len(members - found)} truth amplicons"
    spurious = found - members
    assert len(spurious) <= 1, f"{len(spurious)} spurious ASVs"


def test_chimeras_are_removed_not_credited_to_parents(amplicon_run):
    run, truth = amplicon_run
    chimeras = set(truth.loc[truth.is_chimera, "amplicon"])
    assert chimeras and not chimeras & set(asv_seqs(run).values())
    tracking = pd.read_csv(run / "results/16s/read_tracking.tsv", sep="\t")
    demo = tracking[tracking.sample_id.isin([f"{p}-16S" for p in PATIENTS])]
    # 60 of 6,000 pairs per library are chimeric: their reads map to the chimeras
    assert (demo.mapped_to_chimeras >= 50).all() and (demo.mapped_to_chimeras <= 70).all()
    assert ((demo.nonchimeric_fraction > 0.985) & (demo.nonchimeric_fraction < 0.995)).all()


def test_counts_match_the_simulated_reads(amplicon_run):
    run, truth = amplicon_run
    table = read_tsv(run / "results/16s/asv_table.tsv")
    col = {t: j for j, t in enumerate(table.taxa)}
    for r in truth[~truth.is_chimera].itertuples():
        i = table.sample_ids.index(r.sample_id)
        got = int(table.counts[i, col[asv_id(r.amplicon)]])
        tol = max(5, 0.02 * r.reads_simulated)
        assert abs(got - r.reads_simulated) <= tol, (r.sample_id, r.taxon, got, r.reads_simulated)
    biom = read_biom(run / "results/16s/asv_table.biom", sparse=False)
    assert biom.sample_ids == table.sample_ids and biom.taxa == table.taxa
    assert np.array_equal(biom.counts, table.counts) and biom.taxonomy == table.taxonomy


def test_sintax_assigns_the_genus_of_every_member(amplicon_run):
    run, truth = amplicon_run
    ref_genera = {
        parse_lineage(label.split(";tax=")[1].rstrip(";")).get("genus")
        for label, _ in read_fasta(DEMO / "reference" / "16s_sintax.fasta")
    }
    tax = pd.read_csv(run / "results/16s/taxonomy.tsv", sep="\t")
    lineage = dict(zip(tax.asv, tax.lineage, strict=True))
    table = read_tsv(run / "results/16s/asv_table.tsv")
    assert table.taxonomy == lineage  # the table's taxonomy column is the SINTAX lineage
    members = truth[~truth.is_chimera].drop_duplicates("otu_id")
    checked = 0
    for r in members.itertuples():
        genus = parse_lineage(r.taxonomy)["genus"].strip("[]")
        if genus not in ref_genera:
            continue
        assert parse_lineage(lineage[asv_id(r.amplicon)]).get("genus") == genus, r.taxon
        checked += 1
    assert checked == len(members)
    conf = tax.filter(like="_confidence").to_numpy(dtype=float)
    assert np.nanmin(conf) >= 0.0 and np.nanmax(conf) <= 1.0
    assert (tax.domain_confidence >= tax.genus_confidence).all()


def test_tree_is_rooted_and_has_every_asv(amplicon_run):
    run, _ = amplicon_run
    tree = read_newick((run / "results/16s/tree.nwk").read_text())
    tips = [n for n, t in zip(tree.names, tree.is_tip, strict=True) if t]
    assert sorted(tips) == sorted(asv_seqs(run))
    assert (tree.parent == tree.n_nodes - 1).sum() == 2  # bifurcating root
    assert (tree.length[:-1] >= 0).all()


def test_empty_library_is_an_all_zero_column_with_a_warning(amplicon_run):
    run, _ = amplicon_run
    table = read_tsv(run / "results/16s/asv_table.tsv")
    assert table.sample_ids == ("P01-16S", "P02-16S", "P03-16S", "X1-16S", "X2-16S")
    assert table.counts[3].sum() == 0 and (table.counts[:3].sum(axis=1) > 5800).all()
    tracking = pd.read_csv(run / "results/16s/read_tracking.tsv", sep="\t").set_index("sample_id")
    x1 = tracking.loc["X1-16S"]
    assert (x1.pairs_in, x1.pairs_primer_trimmed, x1.merged, x1.filtered) == (200, 200, 200, 0)
    assert x1.mapped_to_asvs == 0 and x1.status == "EMPTY"
    demo = tracking.loc[[f"{p}-16S" for p in PATIENTS]]
    assert (demo.pairs_in == 6000).all() and (demo.status == "PASS").all()
    assert (demo.merged > 5950).all() and (demo.pct_pairs_in_table > 97).all()
    log = (run / "logs/16s/table.log").read_text()
    assert "WARNING: X1-16S has no reads in the ASV table" in log
    mqc = run / "results/qc/multiqc/multiqc_report_data/multiqc_holobiont_16s_tracking_table.txt"
    assert set(pd.read_csv(mqc, sep="\t").Sample) == set(tracking.index)


def test_only_filtered_reads_are_mapped_and_the_floor_is_applied(amplicon_run):
    """Mapped reads never exceed the reads that passed the expected-error filter; the X2
    library's 1-read foreign ASV (cross-talk) is removed by the default floor (2 reads,
    0.1 %) and reported, its 3-read member (0.7 %) is kept."""
    run, truth = amplicon_run
    tracking = pd.read_csv(run / "results/16s/read_tracking.tsv", sep="\t").set_index("sample_id")
    assert (tracking.mapped_to_asvs + tracking.mapped_to_chimeras <= tracking.filtered).all()
    floor = pd.read_csv(run / "results/16s/abundance_floor.tsv", sep="\t").set_index("sample_id")
    assert list(floor.index) == list(tracking.index)
    assert (floor.min_reads == 2).all() and (floor.min_fraction == 0.001).all()
    expected = np.maximum(2, np.ceil(0.001 * floor.reads_mapped_to_asvs))
    assert (floor.floor_reads == expected).all()
    assert (floor.reads_kept + floor.reads_removed == floor.reads_mapped_to_asvs).all()
    assert (floor.reads_removed == tracking.removed_by_floor).all()
    assert (floor.reads_kept == tracking.in_table).all()
    table = read_tsv(run / "results/16s/asv_table.tsv")
    for i, sid in enumerate(table.sample_ids):
        row = table.counts[i]
        assert row.sum() == floor.loc[sid, "reads_kept"]
        assert (row[row > 0] >= floor.loc[sid, "floor_reads"]).all(), sid
    main, other, foreign = cross_talk_library(run.parent / "reads", truth)[1]
    col = {t: j for j, t in enumerate(table.taxa)}
    x2 = table.counts[table.sample_ids.index("X2-16S")]
    assert x2[col[main]] == 400 and x2[col[other]] == 3 and x2[col[foreign]] == 0
    assert floor.loc["X2-16S", ["asvs_removed", "reads_removed"]].tolist() == [1, 1]
    assert table.counts[:, col[foreign]].sum() > 0  # still counted in P01
    log = (run / "logs/16s/table.log").read_text()
    assert "X2-16S: abundance floor 2 reads" in log and f"{foreign} (1)" in log


def test_rank_columns_hold_only_the_confident_lineage(amplicon_run):
    run, _ = amplicon_run
    tax = pd.read_csv(run / "results/16s/taxonomy.tsv", sep="\t", keep_default_na=False)
    assert (tax.sintax_cutoff == 0.8).all()
    for r in tax.to_dict("records"):
        ranks = parse_lineage(r["lineage"]) if r["lineage"] != "Unassigned" else {}
        top = parse_lineage(r["top_hit_unconfident"]) if r["top_hit_unconfident"] else {}
        for rank in ("domain", "phylum", "class", "order", "family", "genus", "species"):
            assert r[rank] == ranks.get(rank, ""), (r["asv"], rank)
            if r[rank]:
                assert float(r[f"{rank}_confidence"]) >= 0.8 and top[rank] == r[rank]


def test_provenance_records_the_sintax_reference(amplicon_run):
    run, _ = amplicon_run
    prov = json.loads((run / "results/provenance/provenance.json").read_text())
    ref = prov["references"]["sintax_16s"]
    demo_ref = DEMO / "reference" / "16s_sintax.fasta"
    assert ref["sha256"] == hashlib.sha256(demo_ref.read_bytes()).hexdigest()
    assert "build" not in ref  # a shipped file: nothing was built
