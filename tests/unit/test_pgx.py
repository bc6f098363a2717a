"""Tests of the PGx catalog (resources/pgx) and the diplotype caller (holobiont.pgx)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pysam
import pytest

from holobiont import pgx
from holobiont.pgx import (
    CatalogError,
    call_diplotypes,
    genotypes_from_vcf,
    load_catalog,
    results_to_json,
    write_results_tsv,
)

SHARED = Path(__file__).parents[2].parent / "shared"
PHARMCAT = (
    SHARED
    / "data"
    / "pgx_pharmcat_definitions"
    / "src"
    / "main"
    / "resources"
    / "org"
    / "pharmgkb"
    / "pharmcat"
)
requires_shared = pytest.mark.skipif(not SHARED.exists(), reason="../shared is absent")

GENES = ("CYP2C19", "CYP2C9", "VKORC1", "SLCO1B1", "DPYD", "TPMT", "NUDT15")


@pytest.fixture(scope="module")
def cat():
    return load_catalog()


def genotypes(cat, gene, changes=None, *, backbone=True):
    """All catalog positions of ``gene`` homozygous reference, then ``changes`` {pos: gt}.

    For CYP2C19 the usual *1 backbone (rs3758581 G/G) is set unless ``backbone`` is False.
    """
    g = cat.genes[gene]
    gts = {p.key: (p.ref, p.ref) for p in g.positions}
    if gene == "CYP2C19" and backbone:
        gts[("chr10", 94842866)] = ("G", "G")
    for pos, gt in (changes or {}).items():
        gts[(g.chrom, pos)] = gt
    return gts


def call(cat, gene, changes=None, **kw):
    return call_diplotypes(genotypes(cat, gene, changes, **kw), cat, gene=gene)[0]


# ---------------------------------------------------------------------------------------------
# catalog


def test_catalog_contents(cat):
    assert cat.version
    assert set(GENES) <= set(cat.genes)
    assert len(cat.positions()) == sum(len(g.positions) for g in cat.genes.values()) >= 50
    for g in cat.genes.values():
        assert g.allele(g.reference_allele).is_reference
        assert g.drugs, g.gene
        for p in g.positions:
            assert p.chrom == g.chrom and g.start <= p.pos <= g.end
    assert cat.genes["VKORC1"].positions[0].rsid == "rs9923231"
    assert cat.genes["SLCO1B1"].allele("*5").variants == {21178615: "C"}
    assert cat.genes["DPYD"].allele("c.1905+1G>A (*2A)").activity == 0.0
    assert cat.genes["CYP2C19"].allele("*1").definition == "complete"


def test_aliases_and_diplotype_keys(cat):
    vk = cat.genes["VKORC1"]
    assert vk.resolve("rs9923231").name == "rs9923231 variant (T)"
    assert vk.diplotype_key("rs9923231/Reference") == (
        "rs9923231 reference (C)",
        "rs9923231 variant (T)",
    )
    c19 = cat.genes["CYP2C19"]
    assert c19.diplotype_key("*17/*2") == ("*2", "*17") == c19.diplotype_key(" *2 / *17 ")
    assert c19.diplotype_key("*38/*1") == ("*1", "*38")
    with pytest.raises(KeyError):
        c19.resolve("*99")
    with pytest.raises(ValueError, match="not a diplotype"):
        c19.diplotype_key("*1")


def _copy_catalog(tmp_path):
    dst = tmp_path / "pgx"
    shutil.copytree(pgx.DEFAULT_CATALOG, dst)
    return dst


def _edit(path, old, new):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_catalog_duplicate_allele_names_row(tmp_path):
    d = _copy_catalog(tmp_path)
    with open(d / "alleles.tsv", "a") as fh:
        fh.write("TPMT\t*3B\tpartial\tNo function\t\t\n")
    n = len((d / "alleles.tsv").read_text().splitlines())
    with pytest.raises(ValueError, match=rf"alleles.tsv line {n}: duplicate allele TPMT \*3B"):
        load_catalog(d)


def test_catalog_position_outside_gene(tmp_path):
    d = _copy_catalog(tmp_path)
    _edit(d / "positions.tsv", "TPMT\tchr6\t18143724", "TPMT\tchr6\t28143724")
    with pytest.raises(ValueError, match=r"positions.tsv line \d+: chr6:28143724 is outside TPMT"):
        load_catalog(d)


def test_catalog_inconsistent_ref(tmp_path):
    d = _copy_catalog(tmp_path)
    _edit(
        d / "allele_definitions.tsv",
        "chr6\t18143724\trs1800462\tC\tG",
        "chr6\t18143724\trs1800462\tT\tG",
    )
    with pytest.raises(ValueError, match=r"allele_definitions.tsv line \d+: ref T .* inconsistent"):
        load_catalog(d)


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        ("allele_definitions.tsv", "rs1800462\tC\tG", "rs1800462\tC\tA", "A is not an alt"),
        ("allele_definitions.tsv", "TPMT\t*2\t", "TPMT\t*9\t", "not in alleles.tsv"),
        ("positions.tsv", "TPMT\tchr6\t18143724", "TPMT\tchr7\t18143724", "not TPMT's contig"),
        ("genes.tsv", "activity_score\t*1", "score\t*1", "method must be one of"),
        (
            "phenotypes.tsv",
            "TPMT\tNormal function\tNo function",
            "TPMT\tNormal\tNo function",
            "unknown function",
        ),
        ("drugs.tsv", "TPMT\tPoor Metabolizer", "TPMT\tSlow Metabolizer", "never produce"),
        ("alleles.tsv", "TPMT\t*1\treference", "TPMT\t*1\tpartial", "exactly one reference"),
        ("alleles.tsv", "rs9923231\n", "Reference\n", "alias 'Reference' of .* already used"),
    ],
)
def test_catalog_validation_errors(tmp_path, file, old, new, message):
    d = _copy_catalog(tmp_path)
    _edit(d / file, old, new)
    with pytest.raises(CatalogError, match=message):
        load_catalog(d)


def test_catalog_identical_definitions(tmp_path):
    d = _copy_catalog(tmp_path)
    with open(d / "alleles.tsv", "a") as fh:
        fh.write("TPMT\t*2X\tpartial\tNo function\t\t\n")
    with open(d / "allele_definitions.tsv", "a") as fh:
        fh.write("TPMT\t*2X\tchr6\t18143724\trs1800462\tC\tG\n")
    with pytest.raises(CatalogError, match=r"\*2X has the same definition as \*2"):
        load_catalog(d)


# ---------------------------------------------------------------------------------------------
# classic diplotypes and phenotypes

CLASSIC = [
    # gene, changes, diplotype, phenotype, activity score
    ("CYP2C19", {}, "*1/*1", "Normal Metabolizer", None),
    (
        "CYP2C19",
        {94775367: ("A", "G"), 94781859: ("G", "A")},
        "*1/*2",
        "Intermediate Metabolizer",
        None,
    ),
    (
        "CYP2C19",
        {94775367: ("A", "G"), 94781859: ("G", "A"), 94780653: ("G", "A")},
        "*2/*3",
        "Poor Metabolizer",
        None,
    ),
    ("CYP2C19", {94761900: ("T", "T")}, "*17/*17", "Ultrarapid Metabolizer", None),
    ("CYP2C19", {94761900: ("C", "T")}, "*1/*17", "Rapid Metabolizer", None),
    (
        "CYP2C19",
        {94761900: ("C", "T"), 94775367: ("A", "G"), 94781859: ("G", "A")},
        "*2/*17",
        "Intermediate Metabolizer",
        None,
    ),
    ("CYP2C19", {94775489: ("G", "A")}, "*1/*9", "Likely Intermediate Metabolizer", None),
    ("CYP2C9", {}, "*1/*1", "Normal Metabolizer", 2.0),
    ("CYP2C9", {94981296: ("A", "C")}, "*1/*3", "Intermediate Metabolizer", 1.0),
    ("CYP2C9", {94942290: ("C", "T")}, "*1/*2", "Intermediate Metabolizer", 1.5),
    ("CYP2C9", {94942290: ("C", "T"), 94981296: ("A", "C")}, "*2/*3", "Poor Metabolizer", 0.5),
    ("CYP2C9", {94949281: ("GA", "G")}, "*1/*6", "Intermediate Metabolizer", 1.0),
    ("DPYD", {}, "Reference/Reference", "Normal Metabolizer", 2.0),
    (
        "DPYD",
        {97450058: ("C", "T")},
        "Reference/c.1905+1G>A (*2A)",
        "Intermediate Metabolizer",
        1.0,
    ),
    (
        "DPYD",
        {97573863: ("C", "T"), 97579893: ("G", "C")},
        "Reference/c.1129-5923C>G, c.1236G>A (HapB3)",
        "Intermediate Metabolizer",
        1.5,
    ),
    (
        "DPYD",
        {97082391: ("A", "T"), 97515787: ("A", "C")},
        "c.1679T>G (*13)/c.2846A>T",
        "Poor Metabolizer",
        0.5,
    ),
    (
        "TPMT",
        {18130687: ("T", "C"), 18138997: ("C", "T")},
        "*1/*3A",
        "Intermediate Metabolizer",
        None,
    ),
    ("TPMT", {18130687: ("C", "C"), 18138997: ("T", "T")}, "*3A/*3A", "Poor Metabolizer", None),
    ("TPMT", {18143724: ("C", "G")}, "*1/*2", "Intermediate Metabolizer", None),
    ("NUDT15", {48045719: ("C", "T")}, "*1/*3", "Intermediate Metabolizer", None),
    (
        "NUDT15",
        {48045719: ("C", "T"), 48037782: ("AGGAGTC", "AGGAGTCGGAGTC")},
        "*1/*2",
        "Intermediate Metabolizer",
        None,
    ),
    ("SLCO1B1", {21176804: ("A", "G"), 21178615: ("T", "C")}, "*1/*15", "Decreased Function", None),
    ("SLCO1B1", {21178615: ("C", "C")}, "*5/*5", "Poor Function", None),
    ("SLCO1B1", {21176804: ("G", "G")}, "*37/*37", "Normal Function", None),
    (
        "VKORC1",
        {31096368: ("C", "T")},
        "rs9923231 reference (C)/rs9923231 variant (T)",
        "-1639 AG",
        None,
    ),
    (
        "VKORC1",
        {31096368: ("T", "T")},
        "rs9923231 variant (T)/rs9923231 variant (T)",
        "-1639 AA",
        None,
    ),
    ("CYP3A5", {99672916: ("C", "C")}, "*3/*3", "Poor Metabolizer", None),
    ("CYP3A5", {99672916: ("T", "C")}, "*1/*3", "Intermediate Metabolizer", None),
    ("UGT1A1", {233760233: ("CATAT", "CATAT")}, "*28/*28", "Poor Metabolizer", None),
    (
        "UGT1A1",
        {233759924: ("C", "T"), 233760233: ("CAT", "CATAT")},
        "*1/*80+*28",
        "Intermediate Metabolizer",
        None,
    ),
    ("CYP4F2", {15879621: ("C", "T")}, "*1/*3", "Decreased Function", None),
]


@pytest.mark.parametrize(("gene", "changes", "diplotype", "phenotype", "score"), CLASSIC)
def test_classic_diplotypes(cat, gene, changes, diplotype, phenotype, score):
    r = call(cat, gene, changes)
    assert r.status == "called" and r.callable
    assert r.diplotype == diplotype
    assert r.phenotype == phenotype
    assert r.activity_score == score
    assert r.confidence == "high"
    assert not r.missing_positions and not r.unmatched_variants
    assert r.n_called == r.n_positions


def test_cyp2c19_star38_reference_backbone(cat):
    r = call(cat, "CYP2C19", {94842866: ("A", "G")})
    assert r.diplotype == "*1/*38"
    assert r.phenotype == "Normal Metabolizer"
    r = call(cat, "CYP2C19", backbone=False)
    assert r.diplotype == "*38/*38"


def test_homozygous_alt(cat):
    r = call(cat, "CYP2C19", {94775367: ("G", "G"), 94781859: ("A", "A")})
    assert (r.diplotype, r.phenotype) == ("*2/*2", "Poor Metabolizer")
    r = call(cat, "CYP2C9", {94981296: ("C", "C")})
    assert (r.diplotype, r.phenotype, r.activity_score) == ("*3/*3", "Poor Metabolizer", 0.0)
    # a hom-alt IUPAC position: *2 accepts either base at rs58973490 (R)
    r = call(cat, "CYP2C19", {94775367: ("G", "G"), 94781859: ("A", "A"), 94775507: ("G", "A")})
    assert r.diplotype == "*2/*2"


def test_reference_allele_preferred_over_split_pair(cat):
    # unphased double heterozygote: *1/*3A (reference kept whole) beats *3B/*3C
    r = call(cat, "TPMT", {18130687: ("T", "C"), 18138997: ("C", "T")})
    assert r.diplotypes == [("*1", "*3A")]
    assert r.score == len(cat.genes["TPMT"].positions) + 2


def test_ambiguous_diplotypes_with_different_phenotypes(cat):
    # SLCO1B1 rs2306283, rs4149056 and rs34671512 all heterozygous, phase unknown:
    # *5/*20, *15/*19 and *37/*40 explain the genotypes equally well
    r = call(cat, "SLCO1B1", {21176804: ("A", "G"), 21178615: ("T", "C"), 21239042: ("A", "C")})
    assert r.status == "called"
    assert r.diplotypes == [("*5", "*20"), ("*15", "*19"), ("*37", "*40")]
    assert r.diplotype == "*5/*20 or *15/*19 or *37/*40"
    assert r.phenotype == "Indeterminate"
    assert set(r.possible_phenotypes) == {
        "Decreased Function",
        "Possible Decreased Function",
        "Indeterminate",
    }
    assert r.confidence == "low"
    assert any("ambiguous diplotype" in n for n in r.notes)
    # guidance is given per possible phenotype
    assert {d.phenotype for d in r.drugs} == {"Decreased Function", "Possible Decreased Function"}


def test_missing_position_gives_ambiguity(cat):
    # rs4244285 not called: rs12769205 alone fits *2 or *35 (both no function)
    r = call(cat, "CYP2C19", {94775367: ("A", "G"), 94781859: None})
    assert r.diplotypes == [("*1", "*2"), ("*1", "*35")]
    assert r.phenotype == "Intermediate Metabolizer"
    assert r.confidence == "moderate"
    assert r.n_called == r.n_positions - 1
    (m,) = r.missing_positions
    assert (m.chrom, m.pos, m.rsid) == ("chr10", 94781859, "rs4244285")
    assert m.alleles == ("*2",)
    assert m.changes_diplotype and not m.changes_phenotype


def test_missing_position_that_can_change_phenotype(cat):
    gts = genotypes(cat, "TPMT")
    del gts[("chr6", 18138997)]  # absent = not called
    r = call_diplotypes(gts, cat, gene="TPMT")[0]
    assert (r.diplotype, r.phenotype) == ("*1/*1", "Normal Metabolizer")
    (m,) = r.missing_positions
    assert m.alleles == ("*3A", "*3B")
    assert m.changes_diplotype and m.changes_phenotype
    assert r.confidence == "moderate"
    assert any("could change the phenotype" in n for n in r.notes)


def test_not_callable(cat):
    r = call_diplotypes({}, cat, gene="TPMT")[0]
    assert (r.status, r.callable, r.phenotype, r.confidence) == (
        "no_data",
        False,
        "Not called",
        "none",
    )
    assert "none of the 4 TPMT positions" in r.reason
    assert len(r.missing_positions) == 4 and not r.drugs
    one = {("chr6", 18143724): ("C", "C")}
    r = call_diplotypes(one, cat, gene="TPMT")[0]
    assert r.status == "insufficient_data" and not r.callable and "only 1 of 4" in r.reason
    r = call_diplotypes(one, cat, gene="TPMT", min_called_fraction=0.25)[0]
    assert r.status == "called" and r.diplotype == "*1/*1"
    # every gene is reported, in catalog order, even without data
    results = call_diplotypes({}, cat)
    assert [x.gene for x in results] == list(cat.genes)
    assert all(x.status == "no_data" for x in results)


def test_no_catalog_pair_explains_genotypes(cat):
    # rs4244285 A without rs12769205 G: not *2 (nor any catalog allele)
    r = call(cat, "CYP2C19", {94781859: ("G", "A")})
    assert r.status == "no_match" and not r.callable
    assert "no pair of catalog alleles" in r.reason


def test_unknown_allele_at_catalog_position(cat):
    r = call(cat, "CYP2C19", {94781859: ("G", "C")})
    (u,) = r.unmatched_variants
    assert (u.chrom, u.pos, u.allele, u.genotype) == ("chr10", 94781859, "C", ("G", "C"))
    assert "novel/unknown allele C at chr10:94781859 (rs4244285)" in u.message
    assert u.message in r.notes
    assert r.status == "called" and r.diplotype == "*1/*1"
    assert r.phenotype == "Indeterminate" and r.confidence == "low" and not r.drugs
    assert [m.pos for m in r.missing_positions] == [94781859]
    # a second alt the catalog knows at a multi-allelic position is not unknown
    r = call(cat, "CYP2C9", {94942309: ("G", "T")})
    assert (r.diplotype, r.phenotype) == ("*1/*27", "Indeterminate")
    assert not r.unmatched_variants


def test_indel_alleles(cat):
    # alleles are read against the catalog REF of the position (AGGAGTC for NUDT15 c.50_55)
    r = call(cat, "NUDT15", {48037782: ("AGGAGTC", "AGGAGTCGGAGTC")})
    assert r.diplotype == "*1/*6"
    r = call(cat, "NUDT15", {48037782: ("AGGAGTC", "A")})
    assert (r.diplotype, r.phenotype) == ("*1/*9", "Intermediate Metabolizer")
    r = call(cat, "NUDT15", {48037782: ("agGAGTC", "a")})
    assert r.diplotype == "*1/*9"
    r = call(cat, "NUDT15", {48037782: ("AGGAGTC", "AGGAGTCGGAGTCGGAGTC")})
    assert r.unmatched_variants[0].allele == "AGGAGTCGGAGTCGGAGTC"
    # the VCF reader re-expresses other representations against the catalog REF
    p = cat.genes["NUDT15"].positions[0]
    assert pgx.express_allele(p, "A", "AGGAGTC") == "AGGAGTCGGAGTC"  # parsimonious insertion
    assert pgx.express_allele(p, "AGGAGTC", "A") == "A"
    assert pgx.express_allele(p, "AGGAGTCG", "AG") == "A"  # longer REF, same deletion
    assert pgx.express_allele(p, "AGGAGTCG", "G") == "AGGAGTCG>G"  # cannot be expressed: unknown
    assert pgx.express_allele(p, "A", "*") == "A>*"


def test_dpyd_lowest_two_rule(cat):
    r = call(cat, "DPYD", {97450058: ("C", "T"), 97082391: ("T", "A"), 97699474: ("T", "C")})
    assert r.status == "called"
    assert r.diplotype == "c.557A>G/c.1905+1G>A (*2A)"
    assert (r.phenotype, r.activity_score, r.confidence) == ("Poor Metabolizer", 0.5, "low")
    assert any("lowest" in n and "3 variant alleles" in n for n in r.notes)
    # c.1129-5923C>G alone is its own allele; with c.1236G>A it is HapB3
    r = call(cat, "DPYD", {97579893: ("G", "C")})
    assert r.diplotype == "Reference/c.1129-5923C>G"
    # intronic HapB3 tag not genotyped: c.1236G>A stands for HapB3
    r = call(cat, "DPYD", {97573863: ("C", "T"), 97579893: None})
    assert r.diplotype == "Reference/c.1129-5923C>G, c.1236G>A (HapB3)"


def test_drug_guidance(cat):
    r = call(cat, "CYP2C19", {94775367: ("G", "G"), 94781859: ("A", "A")})
    clop = [d for d in r.drugs if d.drug == "clopidogrel"]
    assert len(clop) == 1
    assert "prasugrel or ticagrelor" in clop[0].guidance
    assert clop[0].classification == "Strong" and clop[0].pmid == "35034351"
    assert "Lee CR" in clop[0].citation and "2022" in clop[0].citation
    # activity-score-specific rows: CYP2C9 AS 1.0 vs 1.5 for meloxicam
    m10 = [d for d in call(cat, "CYP2C9", {94981296: ("A", "C")}).drugs if d.drug == "meloxicam"]
    m15 = [d for d in call(cat, "CYP2C9", {94942290: ("C", "T")}).drugs if d.drug == "meloxicam"]
    assert len(m10) == len(m15) == 1 and m10[0].guidance != m15[0].guidance
    fu = [d for d in call(cat, "DPYD", {97450058: ("C", "T")}).drugs if d.drug == "fluorouracil"]
    assert len(fu) == 1 and "50%" in fu[0].guidance and fu[0].pmid == "29152729"
    thio = {d.drug for d in call(cat, "NUDT15", {48045719: ("C", "T")}).drugs}
    assert thio == {"mercaptopurine", "azathioprine", "thioguanine"}
    assert {d.drug for d in call(cat, "VKORC1", {31096368: ("T", "T")}).drugs} == {"warfarin"}


def test_every_phenotype_drug_row_is_reachable(cat):
    for g in cat.genes.values():
        for d in g.drugs:
            assert d.phenotype in g.phenotypes
            assert d.citation and d.pmid.isdigit() and d.classification


def test_genotype_input_forms(cat):
    base = genotypes(cat, "CYP2C19")
    base.pop(("chr10", 94781859))
    for key, value in [
        (("chr10", 94781859), "G/A"),
        (("chr10", 94781859), "G|A"),
        ("chr10:94781859", ["g", "a"]),
        (("10", 94781859), ("G", "A")),
    ]:
        gts = {**base, key: value, ("chr10", 94775367): ("A", "G")}
        assert call_diplotypes(gts, cat, gene="CYP2C19")[0].diplotype == "*1/*2", key
    for missing in (None, "./.", (".", "."), ("G", None), ("G", ".")):
        gts = {**base, ("chr10", 94781859): missing, ("chr10", 94775367): ("A", "G")}
        r = call_diplotypes(gts, cat, gene="CYP2C19")[0]
        assert [m.pos for m in r.missing_positions] == [94781859], missing
    with pytest.raises(ValueError, match="not in the catalog"):
        call_diplotypes({}, cat, gene="CYP2D6")


# ---------------------------------------------------------------------------------------------
# VCF input

VCF_HEADER = """##fileformat=VCFv4.2
##contig=<ID=chr6,length=170805979>
##contig=<ID=chr10,length=133797422>
##contig=<ID=chr13,length=114364328>
##INFO=<ID=END,Number=1,Type=Integer,Description="End of block">
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tP01
"""


def _vcf_lines(cat):
    lines = []
    c19 = {p.pos: p for p in cat.genes["CYP2C19"].positions}
    for pos, p in c19.items():
        gt = {94842866: "1/1", 94775367: "0/1", 94781859: "0|1", 94761900: "./."}.get(pos, "0/0")
        if pos == 94852738:
            continue  # absent from the VCF -> not called
        lines.append(f"chr10\t{pos}\t{p.rsid}\t{p.ref}\t{p.alts[0]}\t50\tPASS\t.\tGT\t{gt}")
    # NUDT15: the *6 insertion as a caller writes it (REF A), the other positions 0/0
    lines.append("chr13\t48037782\t.\tA\tAGGAGTC\t50\tPASS\t.\tGT\t0/1")
    for p in cat.genes["NUDT15"].positions[1:]:
        lines.append(f"chr13\t{p.pos}\t.\t{p.ref}\t{p.alts[0]}\t50\tPASS\t.\tGT\t0/0")
    # TPMT: one gVCF reference block covering every position
    lines.append("chr6\t18130000\t.\tA\t<NON_REF>\t.\tPASS\tEND=18150000\tGT\t0/0")
    return sorted(lines, key=lambda x: (x.split("\t")[0], int(x.split("\t")[1])))


@pytest.fixture
def vcf_paths(cat, tmp_path):
    plain = tmp_path / "p01.vcf"
    plain.write_text(VCF_HEADER + "\n".join(_vcf_lines(cat)) + "\n")
    gz = tmp_path / "p01.vcf.gz"
    pysam.tabix_compress(str(plain), str(gz))
    pysam.tabix_index(str(gz), preset="vcf", force=True)
    return plain, gz


def test_genotypes_from_vcf(cat, vcf_paths):
    for path in vcf_paths:
        gts = genotypes_from_vcf(path, cat, genes=["CYP2C19", "NUDT15", "TPMT", "CYP2C9"])
        assert gts[("chr10", 94842866)] == ("G", "G")
        assert gts[("chr10", 94781859)] == ("G", "A")
        assert gts[("chr10", 94761900)] is None  # ./.
        assert gts[("chr10", 94852738)] is None  # absent
        assert gts[("chr13", 48037782)] == ("AGGAGTC", "AGGAGTCGGAGTC")
        assert all(gts[p.key] == (p.ref, p.ref) for p in cat.genes["TPMT"].positions)
        assert all(gts[p.key] is None for p in cat.genes["CYP2C9"].positions)
        res = {r.gene: r for r in call_diplotypes(gts, cat)}
        assert res["CYP2C19"].diplotype == "*1/*2"
        assert [m.pos for m in res["CYP2C19"].missing_positions] == [94761900, 94852738]
        assert res["NUDT15"].diplotype == "*1/*6"
        assert res["TPMT"].diplotype == "*1/*1"
        assert res["CYP2C9"].status == "no_data"


def test_genotypes_from_vcf_errors(cat, tmp_path):
    bad = tmp_path / "bad.vcf"
    bad.write_text(VCF_HEADER + "chr6\t18143724\t.\tT\tG\t50\tPASS\t.\tGT\t0/1\n")
    with pytest.raises(ValueError, match="reference mismatch at chr6:18143724"):
        genotypes_from_vcf(bad, cat, genes=["TPMT"])
    two = tmp_path / "two.vcf"
    two.write_text(VCF_HEADER.replace("\tP01", "\tP01\tP02"))
    with pytest.raises(ValueError, match="pass sample="):
        genotypes_from_vcf(two, cat)
    with pytest.raises(ValueError, match="not in"):
        genotypes_from_vcf(two, cat, sample="P03")


def test_outputs_and_cli(cat, vcf_paths, tmp_path, capsys):
    gts = genotypes_from_vcf(vcf_paths[0], cat)
    results = call_diplotypes(gts, cat)
    doc = json.loads(results_to_json(results, cat, sample="P01"))
    assert doc["catalog_version"] == cat.version and doc["sample"] == "P01"
    assert [g["gene"] for g in doc["genes"]] == list(cat.genes)
    out = tmp_path / "pgx.tsv"
    write_results_tsv(results, out)
    rows = out.read_text().splitlines()
    assert rows[0].startswith("gene\tstatus\tdiplotype") and len(rows) == 1 + len(cat.genes)
    assert pgx.main([str(vcf_paths[1]), "--json", str(tmp_path / "o.json"), "--tsv", str(out)]) == 0
    assert json.loads((tmp_path / "o.json").read_text())["genes"][0]["diplotype"] == "*1/*2"


# ---------------------------------------------------------------------------------------------
# cross-check against PharmCAT's definitions (developer data in ../shared)


def _pharmcat(gene):
    d = json.loads((PHARMCAT / "definition" / "alleles" / f"{gene}_translation.json").read_text())
    variants = d["variants"]
    alleles = {}
    for a in d["namedAlleles"]:
        defined = {}
        for v, x in zip(variants, a["alleles"], strict=True):
            if x is not None and x != v["ref"]:
                defined[v["position"]] = x
        full = all(x is not None for x in a["alleles"])
        alleles[a["name"]] = (a["reference"], full, {} if a["reference"] else defined)
    return d, {v["position"]: v for v in variants}, alleles


@requires_shared
@pytest.mark.shared
def test_catalog_agrees_with_pharmcat_definitions(cat):
    for g in cat.genes.values():
        d, variants, alleles = _pharmcat(g.gene)
        assert d["chromosome"] == g.chrom
        assert d["genomeBuild"].startswith("GRCh38")
        for p in g.positions:
            v = variants.get(p.pos)
            assert v is not None, f"{g.gene} {p.label} is not a PharmCAT position"
            assert v["ref"] == p.ref, p.label
            assert set(p.alts) <= set(v["alts"]), p.label
            assert (v["rsid"] or ".") == p.rsid, p.label
        positions = {p.pos for p in g.positions}
        for a in g.alleles:
            assert a.name in alleles, f"{g.gene} {a.name} is not a PharmCAT allele"
            is_ref, full, defined = alleles[a.name]
            assert a.is_reference == is_ref, f"{g.gene} {a.name}"
            assert dict(a.variants) == defined, f"{g.gene} {a.name}: {a.variants} != {defined}"
            assert (a.definition == "complete") == (full and not is_ref), f"{g.gene} {a.name}"
        # closure: every PharmCAT allele defined entirely at catalog positions is in the catalog
        ours = {a.name for a in g.alleles}
        for name, (is_ref, _, defined) in alleles.items():
            if not is_ref and defined and set(defined) <= positions:
                assert name in ours, f"{g.gene} {name} is defined at catalog positions only"


@requires_shared
@pytest.mark.shared
def test_catalog_agrees_with_pharmcat_positions_vcf(cat):
    # the positions file a PharmCAT-ready VCF is built on has our REF and (a superset of) ALTs
    sites: dict[tuple[str, int], list[tuple[str, list[str]]]] = {}
    vcf = PHARMCAT.parents[5] / "pharmcat_positions.vcf"
    for line in vcf.read_text().splitlines():
        if not line.startswith("#"):
            f = line.split("\t")
            sites.setdefault((f[0], int(f[1])), []).append((f[3], f[4].split(",")))
    for p in cat.positions():
        recs = sites.get(p.key, [])
        assert any(ref == p.ref and set(p.alts) <= set(alts) for ref, alts in recs), p.label


@requires_shared
@pytest.mark.shared
def test_catalog_agrees_with_pharmcat_phenotypes(cat):
    checked = 0
    for g in cat.genes.values():
        path = PHARMCAT / "phenotype" / f"{g.gene}.json"
        if not path.exists():
            assert g.gene == "CYP4F2"  # no CPIC phenotype standard (Holobiont labels)
            continue
        ph = json.loads(path.read_text())
        functions = {a["name"]: a for a in ph["namedAlleles"]}
        for a in g.alleles:
            ref = functions[a.name]
            assert a.function.lower() == ref["functionValue"].lower(), f"{g.gene} {a.name}"
            value = ref["activityValue"]
            if g.method == "activity_score":
                expected = None if value in (None, "n/a") else float(value)
                assert a.activity == expected, f"{g.gene} {a.name}"
        names = {a.name for a in g.alleles}
        for dip in ph["diplotypes"]:
            key = dip["diplotypekey"]
            pair = [n for n, k in key.items() for _ in range(k)]
            if len(pair) != 2 or not set(pair) <= names:
                continue
            phenotype, score = pgx._phenotype(g, g.allele(pair[0]), g.allele(pair[1]))
            assert phenotype == dip["phenotype"], f"{g.gene} {dip['diplotype']}"
            if g.method == "activity_score" and dip["activityScore"] not in (None, "n/a"):
                assert score == float(dip["activityScore"]), f"{g.gene} {dip['diplotype']}"
            checked += 1
    assert checked > 200
