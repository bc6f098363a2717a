"""Report templates, document header, methods and limitations, print variant and PDF."""

import csv
import re
import shutil
from collections import Counter

import pytest
from test_report import ROOT, inputs

from holobiont.report.methods import catalog_summary, database_checksums, not_assessed, thresholds
from holobiont.report.patient import build_patient_report, plain_sentence, render_html
from holobiont.report.templating import document, report_date

CATALOG = ROOT / "resources/pgx"


@pytest.fixture
def pa(tmp_path):
    kw, _ = inputs(tmp_path)
    return build_patient_report("PA", pgx_catalog=CATALOG, environ={}, **kw)


def test_report_date_never_from_the_clock():
    assert report_date(None, {}) == {
        "report_date": "",
        "date_source": "not set (config report.date or SOURCE_DATE_EPOCH)",
    }
    assert report_date(None, {"SOURCE_DATE_EPOCH": "1764633600"})["report_date"] == "2025-12-02"
    assert report_date("2026-01-31", {"SOURCE_DATE_EPOCH": "0"})["date_source"] == (
        "config report.date"
    )
    with pytest.raises(ValueError, match="report.date"):
        report_date("31.01.2026", {})
    with pytest.raises(ValueError, match="SOURCE_DATE_EPOCH"):
        report_date(None, {"SOURCE_DATE_EPOCH": "yesterday"})


def test_site_fields_are_escaped_and_shown(pa):
    site = {
        "laboratory": "Lab <b>&</b> Co",
        "accreditation": "ISO 15189 No. 42",
        "report_id": "R-{subject}-{date}",
        "sign_off": ["Reviewed by", "Authorised by"],
    }
    pa["document"] = document("PA", site, date="2026-02-03")
    html = render_html(pa)
    assert "Lab &lt;b&gt;&amp;&lt;/b&gt; Co" in html and "<b>&</b>" not in html  # autoescape
    assert "ISO 15189 No. 42" in html and "R-PA-20260203" in html and "2026-02-03" in html
    assert html.count("Date and signature") == 2
    with pytest.raises(ValueError, match="report_id"):
        document("PA", {"report_id": "{patient}"})


def test_site_template_folder_overrides_and_extends(pa, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "header.html.j2").write_text(
        '<div class="site"><b>OUR LAB</b> {{ report.document.report_id }}</div>'
    )
    (site / "report.css").write_text('{% include "default/report.css" %}\nbody{color:#003366}\n')
    html = render_html(pa, template_dir=site)
    assert "<b>OUR LAB</b> HB-PA" in html and "body{color:#003366}" in html
    assert "border-collapse:collapse" in html  # the shipped CSS, included by the site's
    assert "Host pharmacogenomics" in html  # sections untouched
    with pytest.raises(ValueError, match="report.template_dir"):
        render_html(pa, template_dir=tmp_path / "absent")


def test_print_variant_opens_every_folded_section(pa):
    dpyd = next(g for g in pa["host"]["genes"] if g["gene"] == "DPYD")
    normal = {**dpyd, "gene": "TPMT", "phenotype": "Normal Metabolizer", "light": "green"}
    pa["host"]["genes"].append(normal)  # normal-function guidance is folded on screen
    screen, printed = render_html(pa), render_html(pa, print_variant=True)
    assert "<details>" in screen and "<details open>" not in screen
    assert "<details>" not in printed and "<details open>" in printed
    css = re.search(r"@media print\{(.*?)\n\}", printed, flags=re.S).group(1)
    assert "thead{display:table-header-group}" in css and "break-inside:avoid" in css
    assert "<thead>" in printed


def test_activity_score_column_and_plain_sentence(pa):
    host = pa["host"]
    assert set(host["activity_score_genes"]) == {"CYP2C9", "CYP2D6", "DPYD"}
    dpyd = next(g for g in host["genes"] if g["gene"] == "DPYD")
    assert dpyd["summary"] == (
        "DPYD result 'Intermediate Metabolizer' (activity score 1.5): breaks down or "
        "activates the drugs below more slowly than usual. This can change the dose or "
        "choice of fluorouracil."
    )
    html = render_html(pa)
    assert "<th>activity score</th>" in html and "<td class='num'>1.5</td>" in html
    assert dpyd["summary"].replace("'", "&#39;") in html
    ugt = next(g for g in host["genes"] if g["gene"] == "UGT1A1")  # not called: no sentence
    assert ugt["summary"] == "" and plain_sentence({**ugt, "light": "green"}) == ""


def test_catalog_summary_counts_the_catalog_files():
    cat = catalog_summary(CATALOG)
    assert cat["version"] == (CATALOG / "VERSION").read_text().strip()
    with open(CATALOG / "alleles.tsv") as fh:
        alleles = Counter(r["gene"] for r in csv.DictReader(fh, delimiter="\t"))
    with open(CATALOG / "genes.tsv") as fh:
        genes = [r["gene"] for r in csv.DictReader(fh, delimiter="\t")]
    assert [g["gene"] for g in cat["genes"]] == genes
    assert {g["gene"]: g["alleles"] for g in cat["genes"]} == {g: alleles[g] for g in genes}
    cyp2d6 = next(g for g in cat["genes"] if g["gene"] == "CYP2D6")
    assert cyp2d6["called_from"] == "outside call only"


def test_methods_section_names_what_was_not_assessed(pa):
    me = pa["methods"]
    assert me["pgx_catalog"]["version"] == (CATALOG / "VERSION").read_text().strip()
    text = " ".join(me["not_assessed"])
    # the test patient has no CYP2D6 outside call, so CYP2D6 is listed as not assessed
    assert text.startswith("CYP2D6: not assessed") and "none was given" in text
    for words in ("HLA", "Copy-number and structural variants", "reference allele"):
        assert words in text
    html = render_html(pa)
    assert "<h2>Methods and limitations</h2>" in html and "Not assessed" in html
    assert "HLA genes" in html


def test_limitations_follow_what_the_run_did():
    """Phasing and gene evidence are stated as the config ran them, never as a fixed text."""

    def lines(config, assays=("host", "16s", "shotgun")):
        return {t.split(":")[0]: t for t in not_assessed(None, None, config, assays)}

    on = {"host": {"phase": True}, "shotgun": {"genes": {"proteins": "ref.faa"}}}
    off = {"host": {"phase": False}, "shotgun": {"genes": {"proteins": ""}}}
    assert "WhatsHap" in lines(on)["Phase"] and "not phased" in lines(off)["Phase"]
    assert "DIAMOND" in lines(on)["Microbiome"]
    assert "presence of the taxon, not of" in lines(off)["Microbiome"]
    # a run without shotgun libraries searched no gene, whatever the config names
    assert "DIAMOND" not in lines(on, ("host", "16s"))["Microbiome"]


def test_database_checksums_name_extra_16s_references_and_the_protein_reference(tmp_path):
    import hashlib
    import json

    files = {}
    for name, text in (("main.fasta", ">a;tax=d:B;\nACGT\n"), ("gg.fasta", ">b;tax=d:B;\nAC\n"),
                       ("silva.fasta", ">c;tax=d:B;\nA\n"), ("genes.faa", ">cgr2|X\nMK\n")):  # fmt: skip
        files[name] = tmp_path / name
        files[name].write_text(text)
    dbs = database_checksums(
        sintax_16s=files["main.fasta"],
        sintax_16s_extra={"silva": files["silva.fasta"], "greengenes_13_8": files["gg.fasta"]},
        gene_proteins=files["genes.faa"],
    )
    sha = {n: hashlib.sha256(p.read_bytes()).hexdigest() for n, p in files.items()}
    assert [(d["role"], d["files"][0]["sha256"]) for d in dbs] == [
        ("16S taxonomy (vsearch SINTAX)", sha["main.fasta"]),
        ("16S taxonomy, extra reference greengenes_13_8 (vsearch SINTAX)", sha["gg.fasta"]),
        ("16S taxonomy, extra reference silva (vsearch SINTAX)", sha["silva.fasta"]),
        ("Gene-level evidence (DIAMOND blastx protein reference)", sha["genes.faa"]),
    ]
    assert "results/16s/taxonomy_silva.tsv" in dbs[2]["note"]
    assert [d["name"] for d in dbs] == ["main.fasta", "gg.fasta", "silva.fasta", "genes.faa"]
    assert database_checksums() == []  # nothing configured: nothing listed
    # the methods section of a report lists each with its SHA-256
    path = tmp_path / "databases.json"
    path.write_text(json.dumps(dbs))
    kw, _ = inputs(tmp_path)
    html = render_html(build_patient_report("PA", databases=path, environ={}, **kw))
    for role in ("extra reference silva", "DIAMOND blastx protein reference"):
        assert role in html
    assert all(sha[n] in html for n in sha)


def test_thresholds_take_the_run_config_and_skip_absent_assays():
    cfg = {
        "host": {"pgx_min_depth": 8, "pgx_min_called_fraction": 0.5, "min_mapq": 20},
        "report": {"min_abundance": 0.001},
        "amplicon": {"sintax_cutoff": 0.8},
    }
    rows = {t["config"]: t for t in thresholds(cfg, ("host", "16s"))}
    assert rows["host.pgx_min_depth"]["value"] == "8"
    assert "not called" in rows["host.pgx_min_depth"]["meaning"]
    assert rows["report.min_abundance"]["value"] == "0.001"
    assert rows["amplicon.sintax_cutoff"]["value"] == "0.8"
    assert not any(k.startswith("identity") for k in rows)  # no shotgun: no identity check
    with_sg = {t["config"]: t for t in thresholds(cfg, ("host", "shotgun"))}
    assert with_sg["identity.min_llr"]["value"] == "10.0"  # holobiont.host.identity's default
    assert "amplicon.sintax_cutoff" not in with_sg


@pytest.mark.skipif(
    not (shutil.which("chromium") and shutil.which("pdftotext")),
    reason="needs chromium and poppler-utils (tools/install.sh --test)",
)
def test_pdf_text_holds_every_gene_and_drug_and_reruns_identically(pa, tmp_path):
    from holobiont.report.pdf import pdf_pages, pdf_text, print_pdf

    pa["document"] = document("PA", {"sign_off": ["Reviewed by"]}, date="2026-02-03")
    html = render_html(pa, print_variant=True)
    first, second = tmp_path / "a.pdf", tmp_path / "b.pdf"
    print_pdf(html, first, date="2026-02-03")
    print_pdf(html, second, date="2026-02-03")
    assert first.read_bytes() == second.read_bytes()  # dates and ID normalised
    assert b"D:20260203000000" in first.read_bytes()
    assert 2 <= pdf_pages(first) <= 8
    text = " ".join(pdf_text(first).split())
    words = [g["gene"] for g in pa["host"]["genes"]]
    words += [d["drug"] for g in pa["host"]["genes"] for d in g["drugs"]]
    words += [m["drug"] for m in pa["interactions"]["rows"]]
    assert [w for w in words if w not in text] == []
    assert "Date and signature" in text and "HB-PA" in text
    n = pdf_pages(first)
    assert f"Page 1 of {n}" in text and f"Page {n} of {n}" in text  # page-margin footer


def test_css_string_cannot_break_out_of_the_stylesheet():
    from holobiont.report.templating import css_string

    assert css_string("HB-P01") == '"HB-P01"'
    hostile = css_string('x"}</style><script>alert(1)</script>')
    assert '"' not in hostile[1:-1] and "<" not in hostile and "}" not in hostile
