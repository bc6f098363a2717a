"""Recommendation gaps said plainly, CPIC levels labelled as the pair's, CFTR non-responsive,
and read-backed phase kept in the PharmCAT-ready VCF (holobiont.pgx / holobiont.host.variants)."""

from __future__ import annotations

import pysam

from conftest import ROOT
from holobiont.host.variants import pharmcat_ready_vcf
from holobiont.pgx import call_diplotypes, load_catalog
from holobiont.report.templating import environment

CAT = load_catalog(ROOT / "resources" / "pgx")


def ref(gene: str, **changes) -> dict:
    g = CAT.genes[gene]
    gts = {}
    for p in g.positions:
        v = g.reference.variants.get(p.pos, p.ref)
        gts[p.key] = f"{v}/{v}"
    for pos, gt in changes.items():
        gts[(g.chrom, int(pos.removeprefix("p")))] = gt
    return gts


def call(gene: str, gts: dict):
    return call_diplotypes(gts, CAT, gene=gene)[0]


def test_cpic_pairs_list_pairs_the_source_has_no_table_for():
    pairs = {(p.gene, p.drug): p for g in CAT.genes.values() for p in g.cpic_pairs}
    assert pairs[("VKORC1", "warfarin")].cpic_level == "A"
    assert pairs[("VKORC1", "warfarin")].recommendation_rows == 0
    assert pairs[("CYP3A5", "tacrolimus")].recommendation_rows > 0
    for gene in ("VKORC1", "CYP4F2", "G6PD", "CYP3A4", "NAT2"):
        assert not CAT.genes[gene].drugs, gene  # what the reports must not pass off as normal


def test_called_gene_without_recommendations_says_so_plainly():
    vk = call("VKORC1", ref("VKORC1", p31096368="C/T"))
    assert vk.status == "called" and not vk.drugs
    assert vk.guidance_note == (
        "no CPIC recommendation in catalog source pypgx 0.27.0; CPIC lists warfarin "
        "(CPIC level A) for VKORC1 without a recommendation table there"
    )
    assert vk.to_dict()["guidance_note"] == vk.guidance_note
    a4 = call("CYP3A4", ref("CYP3A4"))  # only level C pairs: nothing to name
    assert a4.guidance_note == "no CPIC recommendation in catalog source pypgx 0.27.0"
    a5 = call("CYP3A5", ref("CYP3A5", p99672916="T/C"))  # has recommendations
    assert a5.drugs and a5.guidance_note == ""
    missing = call("CYP3A5", {})  # not called: no note (the report says "not called")
    assert missing.status != "called" and missing.guidance_note == ""


def test_classification_is_the_cpic_level_of_the_pair():
    a5 = call("CYP3A5", ref("CYP3A5", p99672916="C/C"))
    (tac,) = [d for d in a5.drugs if d.drug == "tacrolimus"]
    assert tac.to_dict()["classification"] == "CPIC level A (gene-drug pair)"
    assert tac.to_dict()["cpic_level"] == "A"


def test_cftr_non_responsive_gets_cpics_recommendation():
    cftr = call("CFTR", ref("CFTR"))
    assert cftr.phenotype == "ivacaftor non-responsive in CF patients"
    assert [(d.drug, d.guidance) for d in cftr.drugs] == [
        ("ivacaftor", "Ivacaftor is not recommended.")
    ]


def test_pharmcat_vcf_keeps_read_backed_phase(tmp_path):
    """WhatsHap's PS and | survive into the PharmCAT-ready VCF; unphased calls stay /."""
    ugt = [p for p in CAT.positions() if p.gene == "UGT1A1"]
    by_rsid = {p.rsid: p for p in ugt}
    p80, p28, p6 = by_rsid["rs887829"], by_rsid["rs3064744"], by_rsid["rs4148323"]
    header = pysam.VariantHeader()
    header.contigs.add("chr2", length=233_800_000)
    header.formats.add("GT", 1, "String", "Genotype")
    header.formats.add("AD", "R", "Integer", "Allelic depths")
    header.formats.add("PS", 1, "Integer", "Phase set")
    header.add_sample("S")
    calls = tmp_path / "calls.vcf"
    with pysam.VariantFile(str(calls), "w", header=header) as w:
        for p, alleles, gt, phased in (
            (p80, (p80.ref, "T"), (0, 1), True),  # *80 on haplotype 2
            (p28, ("C", "CAT"), (1, 0), True),  # *28 (left-aligned) on haplotype 1
            (p6, (p6.ref, "A"), (0, 1), False),  # unphased
        ):
            r = w.new_record(contig="chr2", start=p.pos - 1, alleles=alleles)
            r.samples["S"]["GT"] = gt
            r.samples["S"]["AD"] = (12, 12)
            if phased:
                r.samples["S"].phased = True
                r.samples["S"]["PS"] = p80.pos
            w.write(r)
    fa = tmp_path / "ref.fa"  # only the contig lengths are read (the .fai)
    fa.write_text(">chr2\nN\n")
    (tmp_path / "ref.fa.fai").write_text("chr2\t233800000\t6\t60\t61\n")
    out = tmp_path / "pc.vcf.gz"
    pharmcat_ready_vcf(calls, CAT, fa, out, sample="P03", min_depth=8)
    with pysam.VariantFile(str(out)) as vf:
        recs = {r.pos: r.samples["P03"] for r in vf if r.pos in (p80.pos, p28.pos, p6.pos)}
    s80, s28, s6 = recs[p80.pos], recs[p28.pos], recs[p6.pos]
    assert s80.phased and s80["GT"] == (0, 1) and s80["PS"] == p80.pos
    i28 = list(CAT.genes["UGT1A1"].positions[1].alts).index("CATAT") + 1
    assert s28.phased and s28["GT"] == (i28, 0) and s28["PS"] == p80.pos
    assert not s6.phased and s6["GT"] == (0, 1)


def test_ugt1a1_80_28_needs_phase_to_be_called_in_trans():
    """Why the demo phases: unphased *80 + *28 heterozygotes get the most specific pair
    *1/*80+*28 (PharmCAT's score rule); only phased data give *28/*80 for a trans carrier."""
    unphased = ref("UGT1A1", p233759924="C/T", p233760233="CAT/CATAT")
    assert call("UGT1A1", unphased).diplotype == "*1/*80+*28"
    trans = ref("UGT1A1", p233759924="C|T", p233760233="CATAT|CAT")
    cis = ref("UGT1A1", p233759924="C|T", p233760233="CAT|CATAT")
    assert call("UGT1A1", trans).diplotype == "*28/*80"
    assert call("UGT1A1", cis).diplotype == "*1/*80+*28"


def test_report_says_no_cpic_recommendation_not_not_called(tmp_path):
    """The HTML report's drug cell of a called gene without recommendations names the gap;
    "no guidance (gene not called)" stays for genes that were not called."""
    from holobiont.pgx import results_to_json
    from holobiont.report import patient as report

    genes = {
        "VKORC1": ref("VKORC1", p31096368="C/T"),
        "CYP3A5": ref("CYP3A5", p99672916="T/C"),
    }
    gts = {k: v for g in genes.values() for k, v in g.items()}
    results = call_diplotypes(gts, CAT, gene=["VKORC1", "CYP3A5", "UGT1A1"])
    pj = tmp_path / "p.pgx.json"
    pj.write_text(results_to_json(results, CAT, patient_id="PA"))
    host = report._host(pj, None)
    by_gene = {g["gene"]: g for g in host["genes"]}
    assert by_gene["VKORC1"]["guidance_note"].startswith("no CPIC recommendation in catalog")
    # the PGx section alone, rendered by the shipped template's macro
    env = environment(None)
    env.globals.update(report.template_globals())
    html = env.from_string(
        '{% import "patient_sections.html.j2" as s with context %}{{ s.pgx() }}'
    ).render(report={"host": host}, view={"normal_drug_count": 0}, print_variant=False)
    rows = {r.split("</b>", 1)[0].rsplit("<b>", 1)[-1]: r for r in html.split("<tr>")[2:]}
    assert "no CPIC recommendation in catalog source pypgx 0.27.0" in rows["VKORC1"]
    assert "not called" not in rows["VKORC1"]
    assert "tacrolimus" in rows["CYP3A5"]
    assert "no guidance (gene not called)" in rows["UGT1A1"]
    assert "CPIC level (gene–drug pair)" in html and "CPIC level A (gene-drug pair)" in html
