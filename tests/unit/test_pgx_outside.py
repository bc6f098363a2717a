"""Outside calls (PharmCAT's outside-call TSV): parsing, validation, precedence, guidance."""

from __future__ import annotations

import pytest

from holobiont.pgx import call_diplotypes, load_catalog
from holobiont.pgx.outside import OutsideCallError, normalise_phenotype, read_outside_calls


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def write(tmp_path, text, name="P01.outside.tsv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("PM", "Poor Metabolizer"),
        ("em", "Normal Metabolizer"),
        ("CYP2D6 Ultrarapid Metabolizers (UM)", "Ultrarapid Metabolizer"),
        ("likely cyp2c19 poor metaboliser", "Likely Poor Metabolizer"),
        ("Possible Intermediate Metabolizer", "Possible Intermediate Metabolizer"),
        ("*57:01 positive", "*57:01 positive"),
        ("Decreased Function", "Decreased Function"),
    ],
)
def test_phenotype_normalisation(given, expected):
    assert normalise_phenotype(given) == expected


def test_pharmcat_example_file(tmp_path, catalog):
    # PharmCAT's documented example layout: diplotype only, score only, phenotype only.
    p = write(
        tmp_path,
        "# lab: array v2\nCYP2D6\t*1/*4\t\t\nCYP2C9\t\t\t2.0\nHLA-B\t\t*57:01 positive\n\n",
    )
    calls = {r.gene: r for r in read_outside_calls(p, catalog)}
    assert set(calls) == {"CYP2D6", "CYP2C9", "HLA-B"}
    assert calls["CYP2D6"].diplotypes == [("*1", "*4")]
    assert calls["CYP2C9"].activity_score == 2.0
    assert calls["HLA-B"].phenotype == "*57:01 positive"
    assert all(r.source == "outside call: P01.outside.tsv" for r in calls.values())
    assert all(r.callable and r.status == "called" for r in calls.values())


def test_outside_call_replaces_vcf_call_and_gets_guidance(tmp_path, catalog):
    g = catalog.genes["CYP2C19"]
    ref = {p.key: (p.ref, p.ref) for p in g.positions}
    vcf_only = call_diplotypes(ref, catalog, gene="CYP2C19")[0]
    assert vcf_only.source == "vcf"
    p = write(tmp_path, "CYP2C19\t*2/*2\tpoor metaboliser\n")
    outside = read_outside_calls(p, catalog)
    r = call_diplotypes(ref, catalog, gene="CYP2C19", outside_calls=outside)[0]
    assert r.source.startswith("outside call")
    assert r.diplotype == "*2/*2"
    assert r.phenotype == "Poor Metabolizer"
    drugs = {d.drug for d in r.drugs}
    assert "clopidogrel" in drugs
    assert vcf_only.phenotype != r.phenotype


def test_phenotype_from_diplotype_when_not_given(tmp_path, catalog):
    p = write(tmp_path, "CYP2C19\t*1/*2\n")
    (r,) = read_outside_calls(p, catalog)
    assert r.phenotype == "Intermediate Metabolizer"


def test_disagreeing_phenotype_is_kept_with_a_note(tmp_path, catalog):
    p = write(tmp_path, "CYP2C19\t*1/*1\tPoor Metabolizer\n")
    (r,) = read_outside_calls(p, catalog)
    assert r.phenotype == "Poor Metabolizer"
    assert any("differs from the catalog" in n for n in r.notes)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("CYP2C19\t*1/*999\n", "line 1: CYP2C19 allele '*999' is not in the catalog"),
        ("CYP2D6\t*1/*4\nCYP2D6\t*4/*4\n", "line 2: CYP2D6 is given twice (also line 1)"),
        ("# header\nCYP2C9\t\t\t\n", "line 2: CYP2C9 has no diplotype, phenotype or activity"),
        ("CYP2C9\t\t\tone\n", "line 1: activity score 'one' is not a number"),
        ("cyp2d6 *1/*4\n", "line 1: 'cyp2d6 *1/*4' is not an HGNC gene symbol"),
        ("CYP2D6\t*1/*4\tNM\t1.0\textra\n", "line 1: 5 tab-separated fields"),
        ("# nothing here\n\n", "no outside call in the file"),
    ],
)
def test_errors_name_file_and_line(tmp_path, catalog, text, message):
    p = write(tmp_path, text)
    with pytest.raises(OutsideCallError) as e:
        read_outside_calls(p, catalog)
    assert str(p) in str(e.value)
    assert message in str(e.value)


def test_not_utf8_is_named(tmp_path, catalog):
    p = tmp_path / "latin1.tsv"
    p.write_bytes("CYP2D6\t*1/*2\t\t\u22652.0\n".encode("utf-16"))
    with pytest.raises(OutsideCallError, match="not UTF-8"):
        read_outside_calls(p, catalog)


def test_cyp2d6_outside_call_gets_phenotype_and_guidance(tmp_path, catalog):
    # CYP2D6 is never called from a VCF; its phenotype comes from the activity score
    # (pypgx's allele activity values and CPIC's ranges) and carries CPIC guidance.
    p = write(tmp_path, "CYP2D6\t*1/*4\nCYP2C19\t*1/*1\n")
    outside = read_outside_calls(p, catalog)
    results = {r.gene: r for r in call_diplotypes({}, catalog, outside_calls=outside)}
    d6 = results["CYP2D6"]
    assert d6.phenotype == "Intermediate Metabolizer"
    assert d6.activity_score == 1.0
    drugs = {d.drug for d in d6.drugs}
    assert {"codeine", "ondansetron"} <= drugs
    # a genotype-only outside score is looked up in CPIC's ranges
    p2 = write(tmp_path, "CYP2D6\t\t\t0.0\n", name="score.tsv")
    (r,) = read_outside_calls(p2, catalog)
    assert r.phenotype == "Poor Metabolizer"
    # the VCF genes that are not in the outside file were still called (here: no data)
    assert results["TPMT"].source == "vcf" and not results["TPMT"].callable


def test_call_vcf_reads_outside_call_files(tmp_path, catalog):
    from holobiont.pgx import call_vcf

    vcf = tmp_path / "s.vcf"
    vcf.write_text(
        "##fileformat=VCFv4.2\n##contig=<ID=chr10>\n"
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS\n"
        "chr10\t94781859\trs4244285\tG\tA\t.\tPASS\t.\tGT\t0/1\n"
    )
    calls = write(tmp_path, "CYP2D6\t*4/*4\n")
    results, text = call_vcf(vcf, catalog=catalog, outside_call_files=[calls])
    by_gene = {r.gene: r for r in results}
    assert by_gene["CYP2D6"].phenotype == "Poor Metabolizer"
    assert by_gene["CYP2D6"].source == "outside call: P01.outside.tsv"
    assert by_gene["CYP2C19"].source == "vcf"
    assert '"source": "outside call: P01.outside.tsv"' in text
