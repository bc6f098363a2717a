"""Per-patient report: missing modalities, schema, offline HTML, interaction matching."""

import json
import re
from pathlib import Path

import jsonschema
import pytest

from holobiont.report.patient import (
    build_patient_report,
    match_interactions,
    percentile,
    render_html,
    taxon_names,
)
from holobiont.report.templating import PRINT_SCRIPT

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "workflow/schemas/patient_report.schema.json").read_text())
INTERACTIONS = ROOT / "resources/microbe_drug/interactions.tsv"
FASTQ = "/secret/run42/PX-host_L001_R1.fastq.gz"
READ_NAME = "@A00123:8:HFLX:1:1101:1000:2000"

LINEAGES = {
    "t_elenta": "d__Bacteria; p__Actinobacteria; c__Coriobacteriia; g__Eggerthella; "
    "s__Eggerthella lenta",
    "t_efaecium": "d__Bacteria; p__Firmicutes; c__Bacilli; g__Enterococcus; s__faecium",
    "t_ecoli": "d__Bacteria; p__Proteobacteria; c__Gammaproteobacteria; g__Escherichia; "
    "s__Escherichia_coli",
    "t_bact": "d__Bacteria; p__Bacteroidetes; c__Bacteroidia; g__Bacteroides",
}


def write(path, text):
    path.write_text(text)
    return path


def inputs(tmp):
    """Two patients: PA has host + 16S + shotgun, PB has 16S only."""
    (tmp / "div").mkdir()
    rc = write(
        tmp / "read_counts.tsv",
        "patient_id\tsample_id\tunit\tassay\tqc_tool\tread_pairs_in\tread_pairs_out\t"
        "pct_pairs_kept\tbases_in\tbases_out\tq30_rate_in\tq30_rate_out\tduplication_rate\t"
        "adapter_trimmed_reads\tstatus\n"
        "PA\tPA-host\tL001\thost_panel\tfastp\t100\t99\t99.0\t1\t1\t0.9\t0.9\t0.01\t1\tPASS\n"
        "PA\tPA-16S\tL001\t16s\tcutadapt\t100\t98\t98.0\t1\t1\tNA\tNA\tNA\t1\tPASS\n"
        "PA\tPA-sg\tL001\tshotgun\tfastp\t100\t97\t97.0\t1\t1\t0.9\t0.9\t0.0\t1\tPASS\n"
        "PB\tPB-16S\tL001\t16s\tcutadapt\t100\t96\t96.0\t1\t1\tNA\tNA\tNA\t1\tFAIL\n",
    )
    pgx = {
        "patient_id": "PA",
        "catalog_version": "t",
        "genes": [
            {
                "gene": "DPYD",
                "status": "called",
                "diplotype": "Reference/c.2846A>T",
                "phenotype": "Intermediate Metabolizer",
                "activity_score": 1.5,
                "confidence": "high",
                "notes": [],
                "missing_positions": [],
                "drugs": [
                    {
                        "drug": "fluorouracil",
                        "guidance": "Reduce starting dose.",
                        "classification": "Strong",
                        "pmid": "1",
                    }
                ],
            },
            {
                "gene": "UGT1A1",
                "status": "no_data",
                "diplotype": "",
                "phenotype": "Not called",
                "activity_score": None,
                "confidence": "none",
                "notes": [f"read {READ_NAME} ignored"],
                "missing_positions": [
                    {"chrom": "chr2", "pos": 1, "rsid": "rs1", "alleles": ["*28"]}
                ],
                "drugs": [],
            },
        ],
    }
    pj = write(tmp / "pa.pgx.json", json.dumps(pgx))
    cov = write(
        tmp / "pa.cov.tsv",
        "gene\tpositions\tpositions_covered\tmin_depth\tmedian_depth\tmean_depth\tcallable\n"
        "DPYD\t13\t13\t20\t40.0\t40.0\tTrue\nUGT1A1\t4\t0\t0\t0\t0\tFalse\n",
    )
    asv = write(
        tmp / "asv.tsv",
        "taxon_id\tPA-16S\tPB-16S\tPC-16S\ttaxonomy\n"
        f"a1\t50\t0\t10\t{LINEAGES['t_bact']}\n"
        f"a2\t30\t5\t10\t{LINEAGES['t_efaecium']}\n"
        f"a3\t20\t95\t10\td__Bacteria; p__Proteobacteria; c__Gammaproteobacteria; "
        "g__Escherichia\n",
    )
    sg = write(
        tmp / "sg.tsv",
        "taxon_id\tPA-sg\tPC-sg\ttaxonomy\n"
        + "".join(f"{k}\t0.25\t0.25\t{v}\n" for k, v in LINEAGES.items()),
    )
    div = {}
    for assay, ids in (("16s", ["PA-16S", "PB-16S", "PC-16S"]), ("shotgun", ["PA-sg", "PC-sg"])):
        d = tmp / "div" / assay
        d.mkdir()
        alpha = (
            "# alpha diversity at rarefaction depth 10\nsample_id\tshannon\tshannon_lo95\t"
            "shannon_hi95\n"
        )
        alpha += "".join(f"{s}\t{1 + k}\t{0.9 + k}\t{1.1 + k}\n" for k, s in enumerate(ids))
        rare = "sample_id\tdepth\tstatus\treason\n" + "".join(f"{s}\t10\tkept\t\n" for s in ids)
        pcoa = "# proportion explained: PC1=0.6,PC2=0.3\nsample_id\tPC1\tPC2\n"
        pcoa += "".join(f"{s}\t{k}\t{-k}\n" for k, s in enumerate(ids))
        div[assay] = {
            "alpha": write(d / "alpha.tsv", alpha),
            "rarefaction": write(d / "rarefaction.tsv", rare),
            "pcoa_braycurtis": write(d / "pcoa.tsv", pcoa),
            "permanova": write(
                d / "permanova.tsv",
                "metric\tcolumn\tpseudo_F\tp_value\tsample_size\tgroups\tpermutations\t"
                "skipped_because\nbraycurtis\tgroup\t7.5\t0.02\t3\t2\t99\t\n"
                "jaccard\tgroup\t1.5\t0.5\t3\t2\t99\t\n",
            ),
        }
    ident = write(
        tmp / "identity.tsv",
        "sample_id\tsheet_patient\tinformative_sites\thuman_reads_at_sites\tbest_patient\t"
        "concordance_sheet\tconcordance_best\tllr_best_vs_sheet\tverdict\n"
        "PA-sg\tPA\t300\t900\tPA\t1.0\t1.0\t700\tmatch\n",
    )
    prov = write(
        tmp / "prov.json",
        json.dumps(
            {
                "config": {"samples": FASTQ},
                "config_sha256": "0" * 64,
                "pipeline": {"name": "holobiont", "version": "0"},
                "tools": {"fastp": "1"},
                "python_packages": {"numpy": "2"},
                "inputs": [
                    {
                        "sample_id": s,
                        "unit": "L001",
                        "sha256_r1": "a" * 64,
                        "sha256_r2": "b" * 64,
                        "fastq_1": FASTQ,
                    }
                    for s in ("PA-host", "PB-16S")
                ],
            }
        ),
    )
    common = dict(
        read_counts=rc,
        asv_table=asv,
        identity=ident,
        provenance=prov,
        interactions=INTERACTIONS,
        pgx_drugs=ROOT / "resources/pgx/drugs.tsv",
    )
    pa = dict(
        common,
        pgx_json=pj,
        pgx_coverage=cov,
        species_table=sg,
        diversity=div,
        metadata={"group": "A"},
    )
    pb = dict(common, diversity={"16s": div["16s"]})
    return pa, pb


@pytest.fixture
def reports(tmp_path):
    pa, pb = inputs(tmp_path)
    return build_patient_report("PA", **pa), build_patient_report("PB", **pb)


def test_missing_modalities_render_not_sequenced(reports):
    _, pb = reports
    assert pb["modalities"] == {
        "host": "not sequenced",
        "16s": "PB-16S",
        "shotgun": "not sequenced",
    }
    assert pb["host"] == {"status": "not sequenced"}
    assert pb["microbiome"]["shotgun"]["status"] == "not sequenced"
    html = render_html(pb)
    assert 'Host genome <span class="ns">not sequenced</span>' in html
    assert html.count("not sequenced") >= 3
    assert [i["sample_id"] for i in pb["provenance"]["inputs"]] == ["PB-16S"]


def test_json_validates_against_schema(reports):
    for r in reports:
        jsonschema.Draft202012Validator(SCHEMA).validate(json.loads(json.dumps(r)))


def test_html_is_offline_and_pseudonymous(reports):
    for r in reports:
        html = render_html(r)
        blob = json.dumps(r)
        # the one script is the inline print helper (opens <details> before printing)
        assert re.findall(r"<script[^>]*>(.*?)</script>", html, flags=re.S) == [PRINT_SCRIPT]
        assert html.count("<script") == 1
        for bad in ("http://", "https://", "src=", "@import", "url("):
            assert bad not in html.lower()
        for leak in (FASTQ, "fastq.gz", "/secret/"):
            assert leak not in html and leak not in blob
        assert re.search(r"<svg ", html)


def test_read_names_not_copied(reports):
    pa, _ = reports
    assert READ_NAME not in render_html(pa)
    # pgx notes are kept in the JSON for the gene but never rendered in the HTML
    assert "UGT1A1" in render_html(pa)


def test_taxon_names_normalise():
    assert taxon_names(LINEAGES["t_efaecium"])["species"] == "enterococcus faecium"
    assert taxon_names(LINEAGES["t_ecoli"]) == {
        "class": "gammaproteobacteria",
        "genus": "escherichia",
        "species": "escherichia coli",
    }


def test_interaction_matching_by_rank():
    rows = [
        {"drug": "digoxin", "rank": "species", "taxon": "Eggerthella lenta"},
        {"drug": "levodopa", "rank": "genus", "taxon": "Enterococcus"},
        {"drug": "gemcitabine", "rank": "class", "taxon": "Gammaproteobacteria"},
        {"drug": "irinotecan", "rank": "species", "taxon": "Escherichia coli"},
        {"drug": "x", "rank": "species", "taxon": "Enterococcus faecalis"},
    ]
    rows = [dict(r, gene_enzyme="", effect="", evidence="", reference="") for r in rows]
    shotgun = {v: 0.25 for v in LINEAGES.values()}
    amplicon = {
        LINEAGES["t_bact"]: 0.5,
        "d__Bacteria; c__Gammaproteobacteria; g__Escherichia": 0.3,
        LINEAGES["t_efaecium"]: 0.0005,
        "d__Bacteria; c__Coriobacteriia; g__Eggerthella": 0.1995,
    }
    got = {
        m["drug"]: m
        for m in match_interactions(
            rows, {"16s": amplicon, "shotgun": shotgun}, min_abundance=0.001
        )
    }
    assert got["digoxin"]["assays"]["shotgun"] == {"status": "detected", "abundance": 0.25}
    assert got["digoxin"]["assays"]["16s"]["status"] == "not resolved"
    assert got["levodopa"]["assays"]["16s"]["status"] == "not detected"  # below threshold
    assert got["levodopa"]["status"] == "detected"
    assert got["gemcitabine"]["assays"]["16s"]["abundance"] == pytest.approx(0.3)
    assert got["irinotecan"]["assays"]["16s"]["status"] == "not resolved"
    assert got["x"]["status"] == "not detected"  # E. faecium is not E. faecalis
    none = match_interactions(rows, {"16s": None, "shotgun": None})
    assert {m["status"] for m in none} == {"not sequenced"}


def test_interactions_next_to_host_pgx(reports):
    pa, _ = reports
    fu = [m for m in pa["interactions"]["rows"] if m["drug"] == "fluorouracil"][0]
    assert fu["status"] == "detected"
    assert fu["host_pgx"][0]["gene"] == "DPYD"
    assert fu["host_pgx"][0]["light"] == "amber"
    iri = [m for m in pa["interactions"]["rows"] if m["drug"] == "irinotecan"][0]
    assert iri["host_pgx"] == [
        {"gene": "UGT1A1", "phenotype": "Not called", "light": "grey", "guidance": ""}
    ]


def test_percentile():
    assert percentile(1, [1, 2, 3, 4]) == 12.5
    assert percentile(4, [1, 2, 3, 4]) == 87.5
    assert percentile(2, [2, 2, 2, 2]) == 50.0
    with pytest.raises(ValueError):
        percentile(1, [])


def test_alpha_percentile_and_pcoa_in_report(reports):
    pa, _ = reports
    a = pa["microbiome"]["16s"]["diversity"]["alpha"][0]
    assert a["metric"] == "shannon" and a["value"] == 1.0
    assert a["percentile"] == pytest.approx(100 / 6)
    assert (a["lo95"], a["hi95"]) == (0.9, 1.1)
    assert pa["microbiome"]["16s"]["diversity"]["pcoa"]["pc1_explained"] == 0.6
    genera = pa["microbiome"]["16s"]["genera"]
    assert genera[0] == {"genus": "Bacteroides", "relative": 0.5}
    assert sum(g["relative"] for g in genera) == pytest.approx(1.0)


def test_permanova_and_duplication_in_html(reports):
    pa, _ = reports
    assert pa["microbiome"]["16s"]["diversity"]["permanova"] == [
        {"metric": "braycurtis", "column": "group", "pseudo_F": 7.5, "p_value": 0.02}
    ]  # Bray-Curtis only, as plotted
    html = render_html(pa)
    assert "Cohort PERMANOVA (Bray–Curtis) by sheet column — group: pseudo-F 7.5, p = 0.02" in html
    assert "<th>duplication</th>" in html and "<td class='num'>0.01</td>" in html


# --------------------------------------------------------- not measured (issue 11, item 1)
def test_empty_library_is_not_measured_never_not_detected(tmp_path):
    """PA's stool library with 0 microbial pairs after host removal and PB's 16S library
    with 0 reads in the ASV table: FAIL with the reason, no interaction row 'not detected'."""
    pa, pb = inputs(tmp_path)
    sg = tmp_path / "sg.tsv"
    lines = sg.read_text().splitlines()
    sg.write_text("\n".join([lines[0]] + [x.replace("\t0.25\t", "\t0\t", 1) for x in lines[1:]]))
    hf = write(
        tmp_path / "host_fraction.tsv",
        "sample_id\tpatient_id\tread_pairs\thuman_pairs\tmicrobial_pairs\thuman_fraction\n"
        "PA-sg\tPA\t500\t500\t0\t1.0\n",
    )
    asv = tmp_path / "asv.tsv"
    head, *rows = asv.read_text().splitlines()
    asv.write_text("\n".join([head] + [r.split("\t")[0] + "\t50\t0\t" + "\t".join(r.split("\t")[3:]) for r in rows]) + "\n")  # fmt: skip
    ra = build_patient_report("PA", **pa, host_fraction=hf)
    rb = build_patient_report("PB", **pb)
    jsonschema.Draft202012Validator(SCHEMA).validate(json.loads(json.dumps(ra)))
    jsonschema.Draft202012Validator(SCHEMA).validate(json.loads(json.dumps(rb)))

    sg_section = ra["microbiome"]["shotgun"]
    assert sg_section["status"] == "not measured" and "genera" not in sg_section
    assert (
        "0 microbial read pairs after host removal (500 pairs, all human)" in sg_section["reason"]
    )
    assert ra["microbiome"]["16s"]["status"] == "profiled"  # PA's 16S still has reads
    for m in ra["interactions"]["rows"]:
        assert m["assays"]["shotgun"] == {
            "status": "not measured",
            "abundance": None,
            "reason": sg_section["reason"],
        }
    b16 = rb["microbiome"]["16s"]
    # PB-16S: its only unit is FAIL in read_counts.tsv, and 0 reads in the table
    assert b16["status"] == "not measured" and "failed QC (unit L001" in b16["reason"]
    assert {m["status"] for m in rb["interactions"]["rows"]} == {"not measured"}
    html = render_html(rb)
    keys = html.split("<h2>Key findings</h2>")[1].split("</ul>")[0]
    assert "FAIL" in keys and "16S rRNA amplicon not measured" in keys
    assert "not detected" not in html.split("Microbe–drug interactions")[1].split("</table>")[0]


@pytest.mark.parametrize(
    ("phenotype", "status", "light"),
    [
        ("Normal Metabolizer", "called", "green"),
        ("Intermediate Metabolizer", "called", "amber"),
        ("Poor Metabolizer", "called", "red"),
        ("Ultrarapid Metabolizer", "called", "red"),
        ("Uncertain Susceptibility", "called", "green"),  # RYR1/CACNA1S reference result
        ("Malignant Hyperthermia Susceptibility", "called", "red"),
        ("Favorable Response", "called", "green"),
        ("Unfavorable Response", "called", "amber"),
        ("ivacaftor non-responsive in CF patients", "called", "amber"),
        ("G6PD Deficient", "called", "red"),
        ("n/a", "called", "grey"),  # CYP4F2: CPIC gives no phenotype
        ("*57:01 negative", "called", "green"),  # HLA-B outside call: non-carrier
        ("*57:01 positive", "called", "red"),  # carrier: avoid abacavir
        ("*58:01 positive", "called", "red"),
        ("Indeterminate", "called", "grey"),
        ("Not called", "no_data", "grey"),
        ("Normal Metabolizer", "no_data", "grey"),
    ],
)
def test_traffic_light_knows_cpic_terms(phenotype, status, light):
    from holobiont.report.patient import traffic_light

    assert traffic_light({"phenotype": phenotype, "status": status}) == light


def test_drug_genes_name_both_genes_of_two_gene_guidelines():
    from holobiont.report.patient import _drug_genes

    genes = _drug_genes(ROOT / "resources/pgx/drugs.tsv")
    assert genes["azathioprine"] == {"NUDT15", "TPMT"}  # CPIC thiopurine guideline
    assert genes["fluvastatin"] >= {"CYP2C9", "SLCO1B1"}
    assert genes["clopidogrel"] == {"CYP2C19"}


def test_genus_composition_keeps_unassigned_apart_from_other_genera():
    """An ASV without a confident genus (lineage cut above the genus) is "unassigned at genus",
    never its SINTAX top hit and never lumped with the genera left out of the top list."""
    from holobiont.core.table import FeatureTable
    from holobiont.report.patient import (
        OTHER_GENERA,
        UNASSIGNED_GENUS,
        _genus_composition,
        svg_stacked_bar,
    )

    lineages = {
        "a": "d__Bacteria; p__Bacteroidetes; c__; o__; f__; g__Bacteroides",
        "b": "d__Bacteria; p__Firmicutes; c__; o__; f__; g__Blautia",
        "c": "d__Bacteria; p__Firmicutes; c__; o__; f__; g__Dorea",
        "d": "d__Bacteria; p__Firmicutes",  # no confident genus
    }
    table = FeatureTable([[50, 20, 10, 20]], ["s"], list(lineages), lineages)
    parts = _genus_composition(table, "s", top=2)
    assert [(p["genus"], round(p["relative"], 6)) for p in parts] == [
        ("Bacteroides", 0.5), ("Blautia", 0.2), (OTHER_GENERA, 0.1), (UNASSIGNED_GENUS, 0.2),
    ]  # fmt: skip
    svg = svg_stacked_bar(parts)
    assert '<tspan font-style="normal">unassigned at genus</tspan>' in svg
    assert '<tspan font-style="italic">Bacteroides</tspan>' in svg


def test_gene_evidence_in_report_json_and_html(tmp_path):
    """A patient with a shotgun library and gene abundances: E. lenta present with cgr2 reads
    (gene detected), E. coli present without gus reads; the 16S-only patient: not measured."""
    from holobiont.microbiome.genes import gene_abundance, write_abundance

    pa, pb = inputs(tmp_path)
    ref = [{"gene": g, "length_aa": 500} for g in ("cgr2", "gus", "cdd", "preTA")]
    table = write_abundance(
        gene_abundance("PA-sg", {"cgr2": 12}, 100_000, ref, min_pairs=4),
        tmp_path / "genes.tsv",
    )
    ra = build_patient_report(
        "PA", **pa, gene_abundance=tmp_path / "genes.tsv", genes_configured=True
    )
    rb = build_patient_report("PB", **pb, genes_configured=True)
    assert table is None
    schema = json.loads((ROOT / "workflow/schemas/patient_report.schema.json").read_text())
    jsonschema.validate(ra, schema)
    rows = {(m["drug"], m["taxon"]): m["gene_evidence"] for m in ra["interactions"]["rows"]}
    dig = rows[("digoxin", "Eggerthella lenta")]
    assert (dig["status"], dig["read_pairs"], dig["rpm"]) == ("gene detected", 12, 120.0)
    assert rows[("irinotecan", "Escherichia coli")]["status"] == "taxon present, gene not detected"
    assert (
        rows[("levodopa", "Enterococcus faecalis")]["reason"]
        == "the protein reference has no tyrDC protein"
    )
    assert rows[("diltiazem", "Bacteroides")]["basis"] == "taxon presence proxy"
    html = render_html(ra)
    assert "cgr2 gene detected, 12 read pairs, 120 RPM [gene reads]" in html
    assert "a gene counts as detected from 4 read pairs" in html
    for m in rb["interactions"]["rows"]:
        assert m["gene_evidence"]["status"] == "not measured"
        if m["gene_family"]:
            assert m["gene_evidence"]["reason"] == "no shotgun library"
    assert "rests on: taxon presence proxy" in render_html(rb)
