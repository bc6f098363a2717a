"""Gene-level evidence (holobiont.microbiome.genes): protein-reference checks, read-pair counting from
DIAMOND hits, abundances, and the evidence classification of every microbe-drug row."""

import pytest

from holobiont.microbiome.genes import (
    GENE_DETECTED,
    NOT_DETECTED,
    NOT_MEASURED,
    TAXON_WITHOUT_GENE,
    count_gene_pairs,
    gene_abundance,
    gene_evidence,
    read_abundance,
    read_protein_reference,
    write_abundance,
)

KNOWN = {"cgr2", "tyrDC", "gus"}


def test_reference_is_read_and_checked(tmp_path):
    fa = tmp_path / "p.faa"
    fa.write_text(">cgr2|C8WMP0 cardiac glycoside reductase\nMKLV\nAAG*\n>gus|P05804\nMNN\n")
    recs = read_protein_reference(fa, KNOWN)
    assert [(r["gene"], r["accession"], r["length_aa"]) for r in recs] == [
        ("cgr2", "C8WMP0", 7),
        ("gus", "P05804", 3),
    ]
    for text, match in [
        (">C8WMP0 no gene\nMK\n", "must be <gene>\\|<accession>"),
        (">cgrX|A1\nMK\n", "not a gene_family"),
        (">cgr2|A1\nMK\n>cgr2|A1\nMK\n", "duplicated"),
        (">cgr2|A1\n>gus|B2\nMK\n", "empty sequence"),
        ("MK\n", "before the first header"),
        ("", "no protein"),
    ]:
        fa.write_text(text)
        with pytest.raises(ValueError, match=match):
            read_protein_reference(fa, KNOWN)


def test_pairs_are_counted_once_per_gene_from_best_hits(tmp_path):
    hits = tmp_path / "h.tsv"
    hits.write_text(
        "r1\tcgr2|A\t99\t50\t1e-20\t90\n"
        "r1\tgus|B\t80\t50\t1e-10\t60\n"  # second hit of r1: ignored (best hit first)
        "r1\tcgr2|A\t98\t50\t1e-20\t88\n"  # the other mate of pair r1 (same name): once
        "r2/1\tcgr2|A\t99\t50\t1e-20\t90\n"
        "r2/2\tcgr2|A\t99\t50\t1e-20\t90\n"
        "r3\tgus|B\t95\t50\t1e-15\t70\n"
    )
    gene_of = {"cgr2|A": "cgr2", "gus|B": "gus"}
    assert count_gene_pairs(hits, gene_of) == {"cgr2": 2, "gus": 1}
    with pytest.raises(ValueError, match="not in the reference table"):
        count_gene_pairs(hits, {"cgr2|A": "cgr2"})


def test_abundance_rpm_rpkm_and_threshold(tmp_path):
    ref = [
        {"gene": "cgr2", "length_aa": 500},
        {"gene": "cgr2", "length_aa": 300},  # mean 400 aa = 1.2 kb
        {"gene": "gus", "length_aa": 600},
    ]
    rows = gene_abundance("S1", {"cgr2": 12}, 200_000, ref, min_pairs=4)
    cgr2, gus = rows
    assert cgr2["rpm"] == pytest.approx(60.0) and cgr2["rpkm"] == pytest.approx(50.0)
    assert cgr2["detected"] and not gus["detected"] and gus["read_pairs"] == 0
    assert gene_abundance("S1", {"cgr2": 3}, 200_000, ref, min_pairs=4)[0]["detected"] is False
    empty = gene_abundance("S2", {}, 0, ref, min_pairs=4)
    assert empty[0]["rpm"] is None and not empty[0]["detected"]
    path = tmp_path / "a.tsv"
    write_abundance(rows + empty, path)
    back = read_abundance(path)
    assert back["S1"]["cgr2"]["read_pairs"] == 12 and back["S1"]["cgr2"]["detected"]
    assert back["S2"]["gus"]["rpm"] is None


ROW = {"read_pairs": 0, "microbial_pairs": 1000, "rpm": 0.0, "rpkm": 0.0, "min_pairs": 4}


@pytest.mark.parametrize(
    ("gene", "shotgun", "genes", "configured", "status", "basis"),
    [
        ("cgr2", {"status": "detected"}, {"cgr2": {**ROW, "read_pairs": 9, "detected": True}},
         True, GENE_DETECTED, "gene reads"),
        ("cgr2", {"status": "detected"}, {"cgr2": {**ROW, "read_pairs": 2, "detected": False}},
         True, TAXON_WITHOUT_GENE, "gene reads"),
        ("cgr2", {"status": "not detected"}, {"cgr2": {**ROW, "detected": False}},
         True, NOT_DETECTED, "gene reads"),
        # the gene's reads count even when the taxon was not detected
        ("cgr2", {"status": "not detected"}, {"cgr2": {**ROW, "read_pairs": 5, "detected": True}},
         True, GENE_DETECTED, "gene reads"),
        ("cgr2", {"status": "not sequenced"}, None, True, NOT_MEASURED, "taxon presence proxy"),
        ("cgr2", {"status": "not measured", "reason": "failed QC"}, None, True, NOT_MEASURED,
         "taxon presence proxy"),
        ("cgr2", {"status": "detected"}, None, False, NOT_MEASURED, "taxon presence proxy"),
        ("cgr2", {"status": "detected"}, {"gus": {**ROW, "detected": False}}, True, NOT_MEASURED,
         "taxon presence proxy"),
        ("", {"status": "detected"}, {"cgr2": {**ROW, "detected": True}}, True, NOT_MEASURED,
         "taxon presence proxy"),
        ("cgr2", {"status": "detected"}, {"cgr2": {**ROW, "microbial_pairs": 0, "rpm": None,
         "rpkm": None, "detected": False}}, True, NOT_MEASURED, "taxon presence proxy"),
    ],
)  # fmt: skip
def test_gene_evidence_classification(gene, shotgun, genes, configured, status, basis):
    ev = gene_evidence(gene, shotgun, genes, reference_configured=configured)
    assert (ev["status"], ev["basis"]) == (status, basis)
    if status == NOT_MEASURED:
        assert ev["reason"] and "read_pairs" not in ev
    else:
        assert ev["read_pairs"] == genes[gene]["read_pairs"] and ev["min_pairs"] == 4


def test_not_measured_reasons_name_the_cause():
    reasons = [
        gene_evidence("cgr2", {"status": "not sequenced"}, None, reference_configured=True),
        gene_evidence("cgr2", {"status": "detected"}, None, reference_configured=False),
        gene_evidence("cgr2", {"status": "detected"}, {}, reference_configured=True),
        gene_evidence("", {"status": "detected"}, {}, reference_configured=True),
    ]
    assert [r["reason"] for r in reasons] == [
        "no shotgun library",
        "no protein reference configured (shotgun.genes.proteins)",
        "the protein reference has no cgr2 protein",
        "no gene is named for this activity",
    ]
