"""Tests of the generated PGx catalog (resources/pgx) and each PharmCAT matching rule."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pysam
import pytest

from conftest import SHARED
from holobiont import pgx
from holobiont.pgx import (
    CatalogError,
    GeneResult,
    SampleAllele,
    call_diplotypes,
    genotypes_from_vcf,
    load_catalog,
    results_to_json,
    write_results_tsv,
)
from holobiont.pgx.__main__ import main
from holobiont.pgx.generate import build, pypgx_data_dir, readme_section
from holobiont.pgx.phenotyper import phenotype

PHARMCAT_DIR = SHARED / "data" / "pgx_pharmcat_definitions"
CAT = load_catalog()
HAPB3 = "c.1129-5923C>G, c.1236G>A (HapB3)"
INTRON = "c.1129-5923C>G"  # the HapB3 intronic variant alone (a named allele of its own)
VCF_GENES = {
    "ABCG2", "CACNA1S", "CFTR", "CYP2B6", "CYP2C19", "CYP2C9", "CYP3A4", "CYP3A5", "CYP4F2",
    "DPYD", "G6PD", "IFNL3", "NAT2", "NUDT15", "RYR1", "SLCO1B1", "TPMT", "UGT1A1", "VKORC1",
}  # fmt: skip


def ref(gene: str, **changes) -> dict:
    """Reference genotypes at every definition position of ``gene`` (``sep`` / + changes)."""
    g = CAT.genes[gene]
    gts = {p.key: f"{g.reference.variants.get(p.pos, p.ref)}/{g.reference.variants.get(p.pos, p.ref)}"
           for p in g.positions}  # fmt: skip
    for pos, gt in changes.items():
        gts[(g.chrom, int(pos.removeprefix("p")))] = gt
    return gts


def call(gene: str, gts: dict, **kw) -> GeneResult:
    return call_diplotypes(gts, CAT, gene=gene, **kw)[0]


# --------------------------------------------------------------------------- catalog


def test_catalog_covers_every_pharmcat_gene_and_position():
    assert set(CAT.called_genes) == VCF_GENES
    assert CAT.genes["CYP2D6"].matcher == "outside"  # positions kept for the VCF, not called
    assert CAT.version.split(".")[0] == "2"
    keys = {p.key for p in CAT.positions()}
    assert len(keys) == len(CAT.positions()) == 1202  # every record of pharmcat_positions.vcf
    assert "2025-11-05" in CAT.sources and "pypgx 0.27.0" in CAT.sources
    assert CAT.genes["CYP2C19"].reference_allele == "*38"
    assert CAT.genes["DPYD"].reference_allele == "Reference"
    assert CAT.genes["G6PD"].sex_chromosome and CAT.genes["G6PD"].undocumented_as_reference
    assert not CAT.genes["CYP2C19"].undocumented_as_reference
    assert [p.role for p in CAT.genes["CYP2C9"].all_positions].count("extra") == 1
    # PharmCAT's exempted G6PD/RYR1 variants are absent from its definitions: nothing is ignored
    assert not [p for g in CAT.genes.values() for p in g.all_positions if p.role == "ignored"]
    assert all(p.required for p in CAT.genes["NAT2"].positions if p.pos == 18400194)
    assert CAT.genes["NAT2"].priorities
    # functions / activity values from the phenotype maps
    assert CAT.genes["CYP2C9"].allele("*3").activity == 0.0
    assert CAT.genes["DPYD"].allele("c.1905+1G>A (*2A)").function == "No Function"


def _copy(tmp_path) -> Path:
    dst = tmp_path / "pgx"
    shutil.copytree(pgx.DEFAULT_CATALOG, dst)
    return dst


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        ("VERSION", CAT.version, "two", "MAJOR.MINOR.PATCH"),
        ("genes.tsv", "\tlowest_function\t", "\tfancy\t", "matcher 'fancy'"),
        ("positions.tsv", "\tdefinition\t", "\tsometimes\t", "role 'sometimes'"),
        ("allele_definitions.tsv", "TPMT\t*2\tchr6\t18143724\trs1800462\tC\tG",
         "TPMT\t*2\tchr6\t18143724\trs1800462\tA\tG", "disagree with positions.tsv"),
        ("allele_definitions.tsv", "TPMT\t*2\tchr6\t18143724\trs1800462\tC\tG",
         "TPMT\t*2\tchr6\t18143724\trs1800462\tC\tT", "not among"),
        ("alleles.tsv", "TPMT\t*2\tno", "TPMT\t*3A\tno", r"duplicate allele TPMT \*3A"),
        ("phenotypes.tsv", "TPMT\t\tNo function\tNo function",
         "TPMT\t*1/*99\tNo function\tNo function", "not in alleles.tsv"),
        ("drugs.tsv", "\tTPMT\t", "\tTPMX\t", "gene 'TPMX' not in genes.tsv"),
    ],
)  # fmt: skip
def test_catalog_validation_names_file_and_line(tmp_path, file, old, new, message):
    d = _copy(tmp_path)
    path = d / file
    text = path.read_text()
    assert old in text, (file, old)
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(CatalogError, match=message) as e:
        load_catalog(d)
    assert file in str(e.value)


@pytest.mark.shared
@pytest.mark.skipif(not PHARMCAT_DIR.exists(), reason="../shared is absent")
@pytest.mark.skipif(pypgx_data_dir() is None, reason="pypgx (data-only dependency) not installed")
def test_generator_rebuilds_the_committed_catalog_byte_for_byte():
    files = build(PHARMCAT_DIR, pypgx_data_dir(), CAT.version)
    for name, text in files.items():
        assert (pgx.DEFAULT_CATALOG / name).read_text(encoding="utf-8") == text, name
    assert readme_section(files) in (pgx.DEFAULT_CATALOG / "README.md").read_text()


# --------------------------------------------------------------------------- matching rules


def test_most_specific_allele_unphased_and_phased():
    # TPMT c.460G>A (rs1800460) + c.719A>G (rs1142345): *3A = both, *3B / *3C = one each
    r = call("TPMT", ref("TPMT", p18138997="C/T", p18130687="T/C"))
    assert (r.diplotype, r.phenotype, r.confidence) == (
        "*1/*3A",
        "Intermediate Metabolizer",
        "high",
    )
    r = call("TPMT", ref("TPMT", p18138997="C|T", p18130687="C|T"))
    assert (r.diplotype, r.phenotype, r.phased) == ("*3B/*3C", "Poor Metabolizer", True)
    r = call("TPMT", ref("TPMT", p18138997="C|T", p18130687="T|C"))
    assert r.diplotype == "*1/*3A"


def test_phase_sets_are_unphased_between_blocks():
    g = CAT.genes["TPMT"]
    gts = ref("TPMT")
    gts[(g.chrom, 18138997)] = SampleAllele(("C", "T"), phased=True, phase_set=100)
    gts[(g.chrom, 18130687)] = SampleAllele(("C", "T"), phased=True, phase_set=200)
    assert call("TPMT", gts).diplotype == "*1/*3A"  # trans in the VCF, but across phase sets
    gts[(g.chrom, 18130687)] = SampleAllele(("C", "T"), phased=True, phase_set=100)
    assert call("TPMT", gts).diplotype == "*3B/*3C"


def test_undocumented_alt_is_no_call_except_where_pharmcat_treats_it_as_reference():
    r = call("CYP2C19", ref("CYP2C19", p94781859="G/C"))  # C is documented nowhere
    assert (r.status, r.callable, r.phenotype, r.drugs) == (
        "undocumented_variant",
        False,
        "Not called",
        [],
    )
    assert (
        r.unmatched_variants[0].allele == "C" and not r.unmatched_variants[0].treated_as_reference
    )
    r = call("TPMT", ref("TPMT", p18143724="C/T"))  # TPMT *2 site carries G, not T
    assert r.status == "called" and r.diplotype == "*1/*1" and r.confidence == "moderate"
    assert r.unmatched_variants[0].treated_as_reference
    assert "treated as reference" in r.to_dict()["unmatched_variants"][0]["message"]


def test_missing_positions_never_collapse_to_reference():
    gts = ref("TPMT", p18138997="C/T")  # *3B carrier, rs1142345 (*3A/*3C) not genotyped
    gts[("chr6", 18130687)] = None
    r = call("TPMT", gts)
    assert set(r.diplotypes) == {("*1", "*3A"), ("*1", "*3B")}  # every consistent diplotype
    assert r.confidence == "moderate" and r.phenotype == "Intermediate Metabolizer"
    m = {x.pos: x for x in r.missing_positions}[18130687]
    assert m.changes_diplotype and "*3C" in m.alleles and "*3C" in r.uncallable_alleles
    d = r.to_dict()
    assert d["missing_positions"][0]["pos"] == 18130687 and d["n_called"] == d["n_positions"] - 1


def test_extra_position_is_reported_not_matched():
    gts = ref("CYP2C9")
    gts[("chr10", 94645745)] = "G/A"  # rs12777823, a PharmCAT extra position
    r = call("CYP2C9", gts)
    assert r.diplotype == "*1/*1" and r.confidence == "high"
    assert r.to_dict()["extra_positions"] == [
        {"chrom": "chr10", "pos": 94645745, "rsid": "rs12777823", "genotype": "G/A"}
    ]


def test_no_data_and_insufficient_data():
    r = call("CYP2C9", {})
    assert (r.status, r.confidence, r.phenotype) == ("no_data", "none", "Not called")
    gts = {k: v for i, (k, v) in enumerate(ref("CYP2C9").items()) if i < 5}
    assert call("CYP2C9", gts, min_called_fraction=0.5).status == "insufficient_data"
    assert call("CYP2C9", gts).status == "called"  # PharmCAT calls with any data (fraction 0)


def test_half_call_uses_the_called_half():
    # the HapB3 intronic variant, one half missing, exonic reference: the intronic-only allele
    r = call("DPYD", ref("DPYD", p97579893="./C"))
    assert r.diplotypes == [("Reference", INTRON)] and r.confidence == "moderate"
    r = call("TPMT", ref("TPMT", p18143724="./G"))  # *2 site
    assert r.diplotype == "*1/*2" and any("half-call" in n for n in r.notes)


def test_parse_sex():
    assert [pgx.parse_sex(x) for x in ("M", "female", "", None, "x")] == [
        "male",
        "female",
        None,
        None,
        None,
    ]


def test_haploid_chrx_and_sex():
    g = CAT.genes["G6PD"]
    gts = {p.key: g.reference.variants.get(p.pos, p.ref) for p in g.positions}  # haploid GT
    gts[("chrX", 154535277)] = "C"
    gts[("chrX", 154536002)] = "T"
    r = call("G6PD", gts)
    assert r.haploid and r.diplotypes == [("A- 202A_376G",)] and r.phenotype == "G6PD Deficient"
    homo = {k: f"{v}/{v}" for k, v in gts.items()}
    assert call("G6PD", homo, sex="male").diplotypes == [("A- 202A_376G",)]
    assert call("G6PD", homo).diplotype == "A- 202A_376G/A- 202A_376G"
    het = dict(homo)
    het[("chrX", 154536002)] = "C/T"
    assert call("G6PD", het, sex="male").status == "no_match"


def test_ugt1a1_combination_allele():
    gts = ref("UGT1A1", p233759924="C/T", p233760233="CAT/CATAT")
    assert call("UGT1A1", gts).diplotype == "*1/*80+*28"
    gts = ref("UGT1A1", p233759924="C|T", p233760233="CATAT|CAT")
    assert call("UGT1A1", gts).diplotype == "*28/*80"


def test_suballeles_are_reported_under_their_core_allele():
    # PharmCAT's SLCO1B1 *45.001 / *45.002 define the ambiguous core *45: the call, its
    # function and the phenotype lookup use *45 (PipelineTest.testSlco1b1Test4: *5/*45)
    g = CAT.genes["SLCO1B1"]
    assert g.allele("*45.001").core == "*45" and g.allele("*45").function == "No function"
    r = call("SLCO1B1", ref("SLCO1B1", p21178615="T/C", p21222355="C/T"))
    assert r.status == "called" and r.diplotypes == [("*5", "*45")]
    assert r.phenotype == "Poor Function"
    # both sub-alleles explain a *45/*45 sample; it is listed once
    r = call("SLCO1B1", ref("SLCO1B1", p21176804="A/G", p21178615="T/C", p21222355="T/T"))
    assert ("*45", "*45") in r.diplotypes and len(set(r.diplotypes)) == len(r.diplotypes)
    assert all(n != "*45.001" and n != "*45.002" for d in r.diplotypes for n in d)


def test_exempted_position_is_a_variant_not_a_coordinate():
    # PharmCAT's G6PD exemption ignores g.154532991_154532993delGGT at 154532990; its shipped
    # definitions have Chatham (rs5030869 C>T) at that coordinate, which PharmCAT calls
    # (ToxicGenesTest.testG6pd_chatham_*): it must not be ignored (was: B (reference), normal)
    g = CAT.genes["G6PD"]
    p = next(p for p in g.all_positions if p.pos == 154532990)
    assert p.role == "definition" and p.rsid == "rs5030869"
    r = call("G6PD", ref("G6PD", p154532990="C/T"), sex="female")
    assert r.status == "called" and r.diplotypes == [("B (reference)", "Chatham")]
    r = call("G6PD", ref("G6PD", p154532990="T/T"), sex="male")
    assert r.diplotypes == [("Chatham",)] and r.haploid
    assert r.phenotype == "G6PD Deficient"
    # the same rule keeps RYR1 c.14509C>G (38580126, where the ignored CA>C deletion was)
    r = call("RYR1", ref("RYR1", p38580126="C/G"))
    assert r.status == "called" and r.diplotypes == [("Reference", "c.14509C>G")]


def test_slco1b1_no_call_reports_pharmcats_rs4149056_lookup_but_stays_not_called():
    # PipelineTest.testSlco1b1UncalledOverride: the matcher makes no call; PharmCAT's reporter
    # looks recommendations up from rs4149056 alone (C/T -> *1/*5)
    gts = ref("SLCO1B1", p21176804="G/G", p21178615="T/C", p21196976="A/A", p21205921="G/G")
    r = call("SLCO1B1", gts)
    assert r.status != "called" and not r.callable and r.diplotype == ""
    assert r.phenotype == pgx.NOT_CALLED and r.confidence == "none"
    fb = r.to_dict()["reporter_fallback"]
    assert fb["lookup_diplotype"] == "*1/*5" and fb["genotype"] == "T/C"
    assert fb["phenotype"] == phenotype(CAT.genes["SLCO1B1"], ("*1", "*5"))[0] != pgx.NOT_CALLED
    # a called gene, a gene without data and a missing rs4149056 have no fallback
    assert call("SLCO1B1", ref("SLCO1B1")).reporter_fallback is None
    assert call("SLCO1B1", {}).reporter_fallback is None
    nocall = {k: v for k, v in gts.items() if k[1] != 21178615}
    r = call("SLCO1B1", nocall)
    assert r.status != "called" and r.reporter_fallback is None


def test_dpyd_unphased_lowest_function_and_hapb3():
    # *2A (0), c.2846A>T (0.5) and HapB3 (0.5), unphased: the two lowest-activity alleles
    gts = ref("DPYD", p97450058="C/T", p97082391="T/A", p97579893="G/C", p97573863="C/T")
    r = call("DPYD", gts)
    assert r.haplotypes == sorted(
        ["c.1905+1G>A (*2A)", "c.2846A>T", HAPB3], key=pgx.catalog.natural_key
    )
    # *2A, then HapB3 and c.2846A>T tie at 0.5: the first by name
    assert r.diplotypes == [(HAPB3, "c.1905+1G>A (*2A)")] and r.activity_score == 0.5
    assert (
        r.phenotype == "Poor Metabolizer"
        and r.confidence == "moderate"
        and r.rule == "lowest_function_unphased"
    )
    # two variants: the diplotype is those two (assumed in trans)
    r = call("DPYD", ref("DPYD", p97450058="C/T", p97082391="T/A"))
    assert r.diplotype == "c.1905+1G>A (*2A)/c.2846A>T" and r.activity_score == 0.5
    # HapB3 from the exonic variant when the intronic one is missing
    gts = ref("DPYD", p97573863="C/T")
    gts[("chr1", 97579893)] = None
    r = call("DPYD", gts)
    assert r.diplotypes == [("Reference", HAPB3)] and any("exonic" in n for n in r.notes)


def test_dpyd_phased_combination_haplotype():
    gts = ref("DPYD", p97450058="C|T", p97082391="T|A", p97579893="G|C", p97573863="C|T")
    r = call("DPYD", gts)
    assert r.rule == "lowest_function_phased" and r.phased
    # components in haplotype-name order, as PharmCAT names combinations
    assert r.diplotypes == [("Reference", f"[{HAPB3} + c.1905+1G>A (*2A) + c.2846A>T]")]
    assert r.activity_score == 1.0  # Reference 1 + the combination's lowest (0)
    gts = ref("DPYD", p97450058="C|T", p97082391="A|T")
    assert call("DPYD", gts).diplotype == "c.1905+1G>A (*2A)/c.2846A>T"


def _ryr1(names: list[str], sep: str, hom: tuple[str, ...] = ()) -> dict:
    """RYR1 reference genotypes plus each named allele's variant (het, or hom for ``hom``)."""
    g = CAT.genes["RYR1"]
    gts = ref("RYR1")
    for n in names:
        ((pos, alt),) = g.allele(n).variants.items()
        r = g.reference.variants.get(pos, next(p.ref for p in g.positions if p.pos == pos))
        gts[(g.chrom, pos)] = f"{alt}{sep}{alt}" if n in hom else f"{r}{sep}{alt}"
    return gts


def test_ryr1_lowest_function_gene():
    # PharmCAT's lowest-function genes are DPYD and RYR1 (Constants.LOWEST_FUNCTION_GENES)
    assert CAT.genes["RYR1"].matcher == CAT.genes["DPYD"].matcher == "lowest_function"
    assert CAT.genes["CACNA1S"].matcher == "standard"
    g = CAT.genes["RYR1"]
    mal = "c.103T>C"
    assert "Malignant" in g.allele(mal).function and not g.allele("c.4024A>G").function
    # three unphased variants: all listed (the standard matcher made no call); the diplotype
    # for the phenotype takes the "Malignant" allele first, then haplotype-name order
    r = call("RYR1", _ryr1(["c.4024A>G", "c.4178A>G", mal], "/"))
    assert r.status == "called" and r.rule == "lowest_function_unphased"
    assert r.haplotypes == [mal, "c.4024A>G", "c.4178A>G"]
    assert r.diplotypes == [(mal, "c.4024A>G")] and r.confidence == "moderate"
    # without a malignant allele: the first two by name
    r = call("RYR1", _ryr1(["c.4178A>G", "c.4400A>G", "c.4024A>G"], "/"))
    assert r.diplotypes == [("c.4024A>G", "c.4178A>G")]
    # one homozygous + two het unphased: the homozygous allele twice
    r = call("RYR1", _ryr1(["c.97A>G", "c.152C>A", "c.418G>A"], "/", hom=("c.97A>G",)))
    assert r.haplotypes == ["c.97A>G", "c.97A>G", "c.152C>A", "c.418G>A"]
    # phased, all on one strand: the combination [A + B + C] (haplotype-name order)
    r = call("RYR1", _ryr1(["c.418G>A", "c.97A>G", "c.152C>A"], "|"))
    assert r.rule == "lowest_function_phased"
    assert r.diplotypes == [("Reference", "[c.97A>G + c.152C>A + c.418G>A]")]
    # two variants stay a plain diplotype, one a het call
    assert call("RYR1", _ryr1(["c.4024A>G", "c.4178A>G"], "/")).diplotype == ("c.4024A>G/c.4178A>G")
    assert call("RYR1", _ryr1(["c.4178A>G"], "/")).diplotype == "Reference/c.4178A>G"


def test_nat2_unphased_priorities():
    g = CAT.genes["NAT2"]
    refv = g.reference.variants
    used = 0
    for key, pick in g.priorities.items():
        a, b = (g.allele(x) for x in pick.split("/"))
        gts = {
            (
                g.chrom,
                p.pos,
            ): f"{a.variants.get(p.pos, refv[p.pos])}/{b.variants.get(p.pos, refv[p.pos])}"
            for p in g.positions
        }
        r = call("NAT2", gts)
        assert r.diplotype == pick, (sorted(key), r.diplotypes)
        used += r.rule == "unphased_priority"
    assert used == len(g.priorities)
    gts[(g.chrom, 18400194)] = None  # a required position
    assert call("NAT2", gts).status == "missing_required"


def test_nat2_priority_applies_when_missing_positions_add_candidates():
    # PharmCAT picks when the diplotypes explaining the data contain a priority list (a
    # missing position lets further alleles explain them too): the pick is still reported
    g = CAT.genes["NAT2"]
    refv = g.reference.variants
    grown = 0
    for pick in g.priorities.values():
        a, b = (g.allele(x) for x in pick.split("/"))
        base = {
            (g.chrom, p.pos): f"{a.variants.get(p.pos, refv[p.pos])}/{b.variants.get(p.pos, refv[p.pos])}"
            for p in g.positions
        }  # fmt: skip
        for p in g.positions:
            if p.required or p.pos in a.variants or p.pos in b.variants:
                continue
            r = call("NAT2", {**base, (g.chrom, p.pos): None})
            note = next((n for n in r.notes if "resolved to" in n), "")
            if note.count(" or ") + 1 > len(next(k for k, v in g.priorities.items() if v == pick)):
                assert r.diplotype == pick, (p.rsid, r.diplotypes, note)
                grown += 1
    assert grown  # some missing position widened the candidates


def test_ambiguous_phenotypes_are_indeterminate_low():
    # CYP2B6 *6 (two variants) heterozygous with its 41006936 position not genotyped: *1/*4
    # (Rapid) and *1/*6 (Intermediate) both explain the data
    g = CAT.genes["CYP2B6"]
    gts = ref("CYP2B6")
    for pos, alt in g.allele("*6").variants.items():
        gts[(g.chrom, pos)] = f"{g.reference.variants[pos]}/{alt}"
    gts[(g.chrom, 41006936)] = None
    r = call("CYP2B6", gts)
    assert set(r.diplotypes) == {("*1", "*4"), ("*1", "*6")}
    assert r.possible_phenotypes == ["Intermediate Metabolizer", "Rapid Metabolizer"]
    assert (r.phenotype, r.confidence, r.activity_score) == ("Indeterminate", "low", None)
    # guidance is listed for each possible phenotype
    assert {d.phenotype for d in r.drugs} == set(r.possible_phenotypes)


# --------------------------------------------------------------------------- guidance


def test_two_gene_guidance_and_partner_not_called():
    gts = ref("TPMT", p18143724="C/G") | ref("NUDT15")
    res = {r.gene: r for r in call_diplotypes(gts, CAT, gene=["TPMT", "NUDT15"])}
    assert res["TPMT"].phenotype == "Intermediate Metabolizer"
    drugs = {(d.drug, d.gene, d.phenotype, d.gene_2, d.phenotype_2) for d in res["TPMT"].drugs}
    assert (
        "thioguanine",
        "NUDT15",
        "Normal Metabolizer",
        "TPMT",
        "Intermediate Metabolizer",
    ) in drugs
    assert all(d.pmid for d in res["TPMT"].drugs)
    res = {
        r.gene: r
        for r in call_diplotypes(ref("TPMT", p18143724="C/G"), CAT, gene=["TPMT", "NUDT15"])
    }
    assert res["NUDT15"].status == "no_data" and res["NUDT15"].drugs == []
    assert {d.phenotype for d in res["TPMT"].drugs if d.gene == "NUDT15"} <= {"Not called"}


def test_outside_call_result():
    r = GeneResult.outside_call("CYP2C9", diplotype="*1/*3", catalog=CAT, source="lab assay")
    assert r.phenotype == "Intermediate Metabolizer" and r.source == "lab assay"
    res = call_diplotypes(ref("SLCO1B1"), CAT, gene=["SLCO1B1"], outside_calls=[r])
    by = {x.gene: x for x in res}
    assert by["CYP2C9"].source == "lab assay"
    assert any(d.drug == "fluvastatin" and d.gene_2 == "SLCO1B1" for d in by["CYP2C9"].drugs)
    with pytest.raises(ValueError, match="diplotype or a phenotype"):
        GeneResult.outside_call("CYP2D6")


# --------------------------------------------------------------------------- VCF input


LENIENT = (
    "##fileformat=VCFv4.1\n#CHROM  POS  ID REF  ALT  QUAL FILTER INFO FORMAT NA12878\n"
    "chr6\t18130687\trs1142345\tT\tC\t.\tPASS\t.\tGT\t0/1\n"
    "chr6\t18138997\trs1800460\tC\tT\t.\tPASS\t.\tGT\t1/1\n"
    "chr6\t18143724\trs1800462\tC\t.\t.\tPASS\t.\tGT\t0/0\n"
)


def test_lenient_text_vcf_as_pharmcat_reads_it(tmp_path):
    path = tmp_path / "t.vcf"
    path.write_text(LENIENT)  # space-separated header, '.' ALT, unsorted, no contig lines
    gts = genotypes_from_vcf(path, CAT, genes=["TPMT"])
    assert gts[("chr6", 18138997)].alleles == ("T", "T")
    assert gts[("chr6", 18143724)].alleles == ("C", "C")
    assert gts[("chr6", 18133845)] is None  # absent: missing
    r = call_diplotypes(gts, CAT, gene="TPMT")[0]
    assert r.diplotype == "*3A/*3B" and r.confidence == "moderate"


HEADER = (
    "##fileformat=VCFv4.2\n##contig=<ID=chr1,length=248956422>\n"
    "##contig=<ID=chr2,length=242193529>\n##contig=<ID=chr6,length=170805979>\n"
    '##INFO=<ID=END,Number=1,Type=Integer,Description="End">\n'
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
    '##FORMAT=<ID=PS,Number=1,Type=Integer,Description="Phase set">\n'
    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tP01\n"
)


def test_vcf_phasing_halfcalls_multiallelic_and_blocks(tmp_path):
    lines = [
        "chr1\t97079000\t.\tA\t<NON_REF>\t.\tPASS\tEND=97079100\tGT\t0/0",  # block over DPYD
        "chr1\t97579893\trs75017182\tG\tC\t50\tPASS\t.\tGT\t./1",  # half-call
        "chr2\t233759924\trs887829\tC\tT\t50\tPASS\t.\tGT:PS\t0|1:7",
        "chr2\t233760233\t.\tCAT\tCATAT,C\t50\tPASS\t.\tGT:PS\t1|0:7",  # multi-allelic
        "chr6\t18143724\trs1800462\tCT\tGT\t50\tPASS\t.\tGT\t0/1",  # longer REF re-expressed
    ]
    plain = tmp_path / "p.vcf"
    plain.write_text(HEADER + "\n".join(lines) + "\n")
    gz = tmp_path / "p.vcf.gz"
    pysam.tabix_compress(str(plain), str(gz))
    pysam.tabix_index(str(gz), preset="vcf", force=True)
    for path in (plain, gz):
        gts = genotypes_from_vcf(path, CAT, genes=["DPYD", "UGT1A1", "TPMT"])
        assert gts[("chr1", 97079071)].alleles == ("C", "C")  # inside the reference block
        assert gts[("chr1", 97579893)].alleles == (None, "C")
        assert gts[("chr2", 233760233)] == SampleAllele(("CATAT", "CAT"), True, 7)
        assert gts[("chr6", 18143724)].alleles == ("C", "G")
        r = call_diplotypes(gts, CAT, gene="UGT1A1")[0]
        assert r.diplotype == "*28/*80"
    bad = tmp_path / "bad.vcf"
    bad.write_text(HEADER + "chr6\t18143724\t.\tT\tG\t50\tPASS\t.\tGT\t0/1\n")
    with pytest.raises(ValueError, match="reference mismatch at chr6:18143724"):
        genotypes_from_vcf(bad, CAT, genes=["TPMT"])
    two = tmp_path / "two.vcf"
    two.write_text(HEADER.replace("\tP01", "\tP01\tP02"))
    with pytest.raises(ValueError, match="pass sample="):
        genotypes_from_vcf(two, CAT)
    with pytest.raises(ValueError, match="not in"):
        genotypes_from_vcf(two, CAT, sample="P03")


def test_right_shifted_indel_is_reanchored(tmp_path):
    # UGT1A1 *28 / *37 written one base to the right of the catalog's CAT (not normalised),
    # as in PharmCAT's s28s37 test; an SNV inside a deletion's span is not taken for it
    lines = [
        "chr2\t233760234\t.\tATATATATATATATAA\tATATATATATATATATAA,ATATATATATATAA,"
        "ATATATATATATATATATAA\t.\tPASS\t.\tGT\t1/3",
        "chr1\t97450066\t.\tG\tA\t.\tPASS\t.\tGT\t0/1",
    ]
    path = tmp_path / "s.vcf"
    path.write_text(HEADER + "\n".join(lines) + "\n")
    gts = genotypes_from_vcf(path, CAT, genes=["UGT1A1", "DPYD"])
    assert gts[("chr2", 233760233)].alleles == ("CATAT", "CATATAT")
    assert gts[("chr1", 97450065)] is None
    full = ref("UGT1A1") | {("chr2", 233760233): gts[("chr2", 233760233)]}
    assert call("UGT1A1", full).diplotype == "*28/*37"


@pytest.mark.parametrize(
    ("record", "expect"),
    [
        # PharmCAT's NUDT15 s2ref: the *2/*6 insertion written at the last repeat copy
        ("chr13\t48037801\trs746071566\tG\tGGAGTCG\t.\tPASS\t.\tGT\t0/1",
         ("AGGAGTC", "AGGAGTCGGAGTC")),
        # its *9 deletion record, not carried: the position is genotyped as reference
        ("chr13\t48037795\trs746071566\tGGAGTCG\tG\t.\tPASS\t.\tGT\t0/0",
         ("AGGAGTC", "AGGAGTC")),
        # another rsid, or a sequence that is not the repeat unit moved along: not used
        ("chr13\t48037801\trs1\tG\tGGAGTCG\t.\tPASS\t.\tGT\t0/1", None),
        ("chr13\t48037801\trs746071566\tG\tGGAGTCC\t.\tPASS\t.\tGT\t0/1", None),
        ("chr13\t48037801\trs746071566\tG\tGGAGTCG,GA\t.\tPASS\t.\tGT\t0/0", None),
    ],
)  # fmt: skip
def test_repeat_wobble_indel_downstream_with_the_catalog_rsid(tmp_path, record, expect):
    path = tmp_path / "w.vcf"
    path.write_text(HEADER + record + "\n")
    sa = genotypes_from_vcf(path, CAT, genes=["NUDT15"])[("chr13", 48037782)]
    assert (sa.alleles if sa else None) == expect
    if expect == ("AGGAGTC", "AGGAGTCGGAGTC"):
        gts = ref("NUDT15") | {("chr13", 48037782): sa, ("chr13", 48045719): "C/T"}
        assert call("NUDT15", gts).diplotype == "*1/*2"


def test_outputs_and_cli(tmp_path, capsys):
    path = tmp_path / "t.vcf"
    path.write_text(LENIENT)
    gts = genotypes_from_vcf(path, CAT)
    results = call_diplotypes(gts, CAT)
    doc = json.loads(results_to_json(results, CAT, sample="P01"))
    assert doc["catalog_version"] == CAT.version and doc["sample"] == "P01"
    assert [g["gene"] for g in doc["genes"]] == CAT.called_genes
    by = {g["gene"]: g for g in doc["genes"]}
    assert by["CYP2C9"]["status"] == "no_data" and by["CYP2C9"]["phenotype"] == "Not called"
    for key in ("diplotype", "phenotype", "confidence", "missing_positions", "drugs", "source"):
        assert key in by["TPMT"]
    out = tmp_path / "pgx.tsv"
    write_results_tsv(results, out)
    rows = out.read_text().splitlines()
    assert rows[0].startswith("gene\tstatus\tdiplotype") and len(rows) == 1 + len(results)
    assert main([str(path), "--gene", "TPMT", "--json", str(tmp_path / "o.json")]) == 0
    assert json.loads((tmp_path / "o.json").read_text())["genes"][0]["diplotype"] == "*3A/*3B"
    assert main([str(path), "--gene", "TPMT"]) == 0
    assert json.loads(capsys.readouterr().out)["genes"][0]["gene"] == "TPMT"


def test_dpyd_hapb3_intronic_and_exonic_positions():
    # PharmCAT's DpydHapB3Matcher: HapB3 needs both variants on a strand, the intronic one
    # alone is c.1129-5923C>G, an exonic variant the intronic call does not carry is ignored
    g = CAT.genes["DPYD"]
    pos = {p.rsid: f"p{p.pos}" for p in g.positions}
    ex, intr = pos["rs56038477"], pos["rs75017182"]
    assert g.allele(INTRON).variants.keys() == {int(intr[1:])}
    r = call("DPYD", ref("DPYD", **{ex: "C/T"}))  # exonic het, intronic reference
    assert r.diplotypes == [("Reference", "Reference")]
    assert any("disagree" in n for n in r.notes) and r.confidence != "high"
    assert call("DPYD", ref("DPYD", **{intr: "G/C"})).diplotypes == [("Reference", INTRON)]
    assert call("DPYD", ref("DPYD", **{ex: "C/T", intr: "C/C"})).diplotypes == [(INTRON, HAPB3)]
    assert call("DPYD", ref("DPYD", **{ex: "T/T", intr: "C/C"})).diplotypes == [(HAPB3, HAPB3)]
    # on different strands: the intronic-only allele, the exonic variant ignored with a warning
    r = call("DPYD", ref("DPYD", **{ex: "C|T", intr: "C|G"}))
    assert r.diplotypes == [("Reference", INTRON)] and any("disagree" in n for n in r.notes)


def test_dpyd_phase_sets_give_every_orientation():
    # phased DPYD calls in two phase sets: both orientations of the sets are listed
    g = CAT.genes["DPYD"]
    one = [a for a in g.alleles if not a.reference and len(a.variants) == 1 and a.name != INTRON]
    a, b = one[0], one[1]
    (pa, va), (pb, vb) = next(iter(a.variants.items())), next(iter(b.variants.items()))
    gts = ref("DPYD")
    gts[(g.chrom, pa)] = SampleAllele((g.reference.variants[pa], va), phased=True, phase_set=1)
    gts[(g.chrom, pb)] = SampleAllele((g.reference.variants[pb], vb), phased=True, phase_set=2)
    r = call("DPYD", gts)
    combo = "[" + " + ".join(sorted([a.name, b.name], key=pgx.catalog.natural_key)) + "]"
    expected = {("Reference", combo), tuple(sorted([a.name, b.name], key=pgx.catalog.natural_key))}
    assert {tuple(sorted(d, key=pgx.catalog.natural_key)) for d in r.diplotypes} == expected
    assert r.rule == "lowest_function_phase_sets" and r.confidence != "high"
