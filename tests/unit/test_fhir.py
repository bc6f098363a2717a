"""FHIR R4 export (holobiont.report.fhir): Genomics Reporting IG bundles, validated by fhir.resources."""

import csv
import json
from pathlib import Path

import jsonschema
import pytest
from fhir.resources.R4B.bundle import Bundle

from holobiont.report.fhir import (
    HGNC,
    HGNC_IDS,
    PROFILE,
    gene_concept,
    patient_bundle,
    write_bundle,
)
from holobiont.report.patient import build_patient_report

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "workflow/schemas/patient_report.schema.json").read_text())

GENES = [
    {  # a VCF call with two guided drugs
        "gene": "CYP2C19",
        "status": "called",
        "diplotype": "*1/*2",
        "phenotype": "Intermediate Metabolizer",
        "activity_score": None,
        "confidence": "high",
        "notes": [],
        "missing_positions": [],
        "drugs": [
            {
                "drug": "clopidogrel",
                "guidance": "Use an alternative antiplatelet agent.",
                "classification": "CPIC level A",
                "pmid": "23698643;21716271",
            },
            {
                "drug": "citalopram",
                "guidance": "Initiate therapy with recommended starting dose.",
                "classification": "CPIC level A",
                "pmid": "25974703",
            },
        ],
    },
    {  # called, phenotype outside the IG's metabolizer value set, no guided drug
        "gene": "SLCO1B1",
        "status": "called",
        "diplotype": "*1/*5",
        "phenotype": "Decreased Function",
        "activity_score": None,
        "confidence": "moderate",
        "notes": [],
        "missing_positions": [],
        "drugs": [],
    },
    {  # not called: no value, never "normal"
        "gene": "UGT1A1",
        "status": "no_data",
        "diplotype": "",
        "phenotype": "not called",
        "activity_score": None,
        "confidence": "none",
        "notes": ["no UGT1A1 position genotyped"],
        "missing_positions": [{"chrom": "chr2", "pos": 233760233, "rsid": "rs3064744"}],
        "drugs": [{"drug": "atazanavir", "guidance": "must not be exported", "classification": ""}],
    },
    {  # an outside call with a diplotype and an activity score
        "gene": "CYP2D6",
        "status": "called",
        "diplotype": "*1/*4",
        "phenotype": "Intermediate Metabolizer",
        "activity_score": 1.0,
        "confidence": "high",
        "source": "outside call: PA.tsv",
        "notes": ["outside call: PA.tsv: not called from the VCF"],
        "missing_positions": [],
        "drugs": [
            {
                "drug": "codeine",
                "guidance": "Use codeine label recommended age- or weight-specific dosing.",
                "classification": "CPIC level A",
                "pmid": "33387367",
            }
        ],
    },
    {  # an outside call with a phenotype only, gene outside the catalog
        "gene": "HLA-B",
        "status": "called",
        "diplotype": "",
        "phenotype": "*57:01 negative",
        "activity_score": None,
        "confidence": "high",
        "source": "outside call: PA.tsv",
        "notes": [],
        "missing_positions": [],
        "drugs": [],
    },
]


@pytest.fixture
def report(tmp_path):
    rc = tmp_path / "read_counts.tsv"
    rc.write_text(
        "patient_id\tsample_id\tunit\tassay\tqc_tool\tread_pairs_in\tread_pairs_out\t"
        "pct_pairs_kept\tbases_in\tbases_out\tq30_rate_in\tq30_rate_out\tduplication_rate\t"
        "adapter_trimmed_reads\tstatus\n"
        "PA\tPA-host\tL001\thost_panel\tfastp\t100\t99\t99.0\t1\t1\t0.9\t0.9\t0.01\t1\tPASS\n"
    )
    pj = tmp_path / "pa.pgx.json"
    pj.write_text(json.dumps({"patient_id": "PA", "catalog_version": "2.1.0", "genes": GENES}))
    doc = build_patient_report("PA", read_counts=rc, pgx_json=pj)
    jsonschema.validate(doc, SCHEMA)
    return doc


def by_profile(bundle, name):
    return [
        e["resource"]
        for e in bundle["entry"]
        if PROFILE[name] in e["resource"].get("meta", {}).get("profile", [])
    ]


def gene_of(obs):
    comp = [c for c in obs["component"] if c["code"]["coding"][0]["code"] == "48018-6"]
    return comp[0]["valueCodeableConcept"]["text"]


def component(obs, code):
    return [
        c["valueCodeableConcept"]
        for c in obs["component"]
        if c["code"]["coding"][0]["code"] == code
    ]


def test_bundle_validates_with_fhir_resources(report):
    bundle = patient_bundle(report)
    parsed = Bundle.model_validate(bundle)
    assert parsed.type == "collection"
    # every resource of the bundle was parsed as its own FHIR type, not as an opaque dict
    kinds = [type(e.resource).__name__ for e in parsed.entry]
    assert kinds.count("DiagnosticReport") == 1 and kinds.count("Patient") == 1
    assert kinds.count("Task") == 3 and "Observation" in kinds


def check_ig_rules(bundle):
    """Rules of the IG profiles that the base models do not check (FHIRPath invariants and
    profile cardinalities): obs-6, implication value[x] 0..0 and derivedFrom 1..*, genotype
    code and gene-studied, the Task's fixed status and intent, the GE category."""
    for e in bundle["entry"]:
        r = e["resource"]
        profiles = r.get("meta", {}).get("profile", [])
        if r["resourceType"] == "Observation":
            values = [k for k in r if k.startswith("value")]
            assert len(values) + ("dataAbsentReason" in r) <= 1, r  # obs-6
            cats = {c["coding"][0]["code"] for c in r["category"]}
            assert {"laboratory", "GE"} <= cats
        if PROFILE["implication"] in profiles:
            assert not [k for k in r if k.startswith("value")] and r["derivedFrom"]
        if PROFILE["genotype"] in profiles:
            assert r["code"]["coding"][0]["code"] == "84413-4"
            assert len(component(r, "48018-6")) == 1
            assert "valueCodeableConcept" in r or "dataAbsentReason" in r
        if PROFILE["recommendation"] in profiles:
            assert (r["status"], r["intent"]) == ("requested", "proposal") and r["reasonReference"]


def test_ig_profile_rules(report):
    check_ig_rules(patient_bundle(report))


def test_validator_rejects_a_broken_nested_resource(report):
    # the validation above is not vacuous: a wrong code inside an entry fails
    bundle = patient_bundle(report)
    bundle["entry"][1]["resource"]["status"] = "bogus-status"
    with pytest.raises(ValueError, match="status"):
        Bundle.model_validate(bundle)


def test_references_resolve_inside_the_bundle(report):
    bundle = patient_bundle(report)
    urls = {e["fullUrl"] for e in bundle["entry"]}
    assert len(urls) == len(bundle["entry"])
    text = json.dumps(bundle)
    for ref in {r for r in text.split('"reference": "')[1:]}:
        assert ref.split('"', 1)[0] in urls


def test_pseudonymous_patient(report):
    bundle = patient_bundle(report)
    patients = [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
    ]
    assert patients == [
        {
            "resourceType": "Patient",
            "identifier": [{"system": "urn:holobiont:patient_id", "value": "PA"}],
        }
    ]


def test_genotypes_hgnc_and_star_alleles_as_text(report):
    bundle = patient_bundle(report)
    genos = {gene_of(o): o for o in by_profile(bundle, "genotype")}
    assert set(genos) == {"CYP2C19", "SLCO1B1", "UGT1A1", "CYP2D6", "HLA-B"}
    g = genos["CYP2C19"]
    assert g["code"]["coding"][0] == {
        "system": "http://loinc.org",
        "code": "84413-4",
        "display": "Genotype display name",
    }
    assert g["valueCodeableConcept"] == {"text": "CYP2C19 *1/*2"}
    assert component(g, "48018-6")[0]["coding"] == [
        {"system": HGNC, "code": "HGNC:2621", "display": "CYP2C19"}
    ]
    # outside calls keep their source; the activity score is kept as a note
    d6 = genos["CYP2D6"]
    assert d6["method"]["text"] == "outside call: PA.tsv"
    assert {"text": "activity score 1"} in d6["note"]
    assert genos["HLA-B"]["method"]["text"] == "outside call: PA.tsv"
    assert "valueCodeableConcept" not in genos["HLA-B"]  # no diplotype was given


def test_not_called_gene_has_no_value_and_no_implication(report):
    bundle = patient_bundle(report)
    ugt = next(o for o in by_profile(bundle, "genotype") if gene_of(o) == "UGT1A1")
    assert "valueCodeableConcept" not in ugt
    assert ugt["dataAbsentReason"]["coding"][0]["code"] == "unknown"
    assert ugt["dataAbsentReason"]["text"] == (
        "not called (no_data): none of the gene's catalog positions was genotyped"
    )
    # the caller's free-text notes are not copied (like the HTML, which does not render them)
    assert "no UGT1A1 position genotyped" not in json.dumps(bundle)
    assert {"text": "positions not genotyped: chr2:233760233 (rs3064744)"} in ugt["note"]
    assert "normal" not in json.dumps(ugt).lower()
    text = json.dumps(bundle)
    assert "atazanavir" not in text and "must not be exported" not in text
    assert "UGT1A1: not measured" in by_profile(bundle, "report")[0]["conclusion"]


def test_implications_and_recommendations(report):
    bundle = patient_bundle(report)
    imps = by_profile(bundle, "implication")
    # one per (called gene, guided drug), one for a called gene without a guided drug
    assert len(imps) == 2 + 1 + 1 + 1
    clop = next(i for i in imps if component(i, "51963-7") == [{"text": "clopidogrel"}])
    assert component(clop, "therapeutic-implication")[0] == {
        "coding": [
            {
                "system": "http://loinc.org",
                "code": "LA10317-8",
                "display": "Intermediate Metabolizer",
            }
        ],
        "text": "Intermediate Metabolizer",
    }
    assert component(clop, "93044-6") == [{"text": "CPIC level A"}]
    assert [x["valueRelatedArtifact"]["citation"] for x in clop["extension"]] == [
        "PMID:23698643",
        "PMID:21716271",
    ]
    decreased = [
        i
        for i in imps
        if component(i, "therapeutic-implication")[0] == {"text": "Decreased Function"}
    ]
    assert len(decreased) == 1 and not component(decreased[0], "51963-7")  # text, no LOINC code
    tasks = by_profile(bundle, "recommendation")
    assert {t["input"][0]["valueCodeableConcept"]["text"] for t in tasks} == {
        "clopidogrel",
        "citalopram",
        "codeine",
    }
    t = next(t for t in tasks if t["input"][0]["valueCodeableConcept"]["text"] == "clopidogrel")
    assert t["description"] == "Use an alternative antiplatelet agent."
    assert (t["status"], t["intent"]) == ("requested", "proposal")
    assert {"text": "CPIC level A"} in t["note"]
    urls = {e["fullUrl"]: e["resource"] for e in bundle["entry"]}
    assert urls[t["reasonReference"]["reference"]] is clop
    dr = by_profile(bundle, "report")[0]
    assert len(dr["extension"]) == 3 and len(dr["result"]) == 5 + 5
    assert dr["conclusion"].startswith("PGx catalog 2.1.0 (CPIC guidance). CYP2C19: *1/*2 ")
    assert "CYP2D6: *1/*4 Intermediate Metabolizer [outside call: PA.tsv]" in dr["conclusion"]


def test_host_not_sequenced_gives_a_report_without_results(tmp_path):
    rc = tmp_path / "read_counts.tsv"
    rc.write_text(
        "patient_id\tsample_id\tunit\tassay\tqc_tool\tread_pairs_in\tread_pairs_out\t"
        "pct_pairs_kept\tbases_in\tbases_out\tq30_rate_in\tq30_rate_out\tduplication_rate\t"
        "adapter_trimmed_reads\tstatus\n"
        "PB\tPB-16S\tL001\t16s\tcutadapt\t100\t96\t96.0\t1\t1\tNA\tNA\tNA\t1\tPASS\n"
    )
    doc = build_patient_report("PB", read_counts=rc)
    bundle = patient_bundle(doc)
    Bundle.model_validate(bundle)
    dr = bundle["entry"][0]["resource"]
    assert "result" not in dr and dr["conclusion"].startswith("Host genome not sequenced")
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == [
        "DiagnosticReport",
        "Patient",
    ]


def test_write_bundle_is_byte_identical_on_rerun(report, tmp_path):
    src = tmp_path / "PA.json"
    src.write_text(json.dumps(report))
    write_bundle(src, tmp_path / "a.fhir.json")
    write_bundle(src, tmp_path / "b.fhir.json")
    assert (tmp_path / "a.fhir.json").read_bytes() == (tmp_path / "b.fhir.json").read_bytes()


def test_every_catalog_gene_has_an_hgnc_id():
    with open(ROOT / "resources/pgx/genes.tsv", newline="") as fh:
        genes = {r["gene"] for r in csv.DictReader(fh, delimiter="\t")}
    # CYP4F2: no checked source for its ID (holobiont.report.fhir.HGNC_IDS), exported as text only
    assert genes and genes - {"CYP4F2"} <= set(HGNC_IDS), genes - set(HGNC_IDS)
    assert gene_concept("CYP4F2") == {"text": "CYP4F2"}


def test_unknown_gene_gets_text_not_a_made_up_code(report):
    report["host"]["genes"].append(dict(GENES[1], gene="NEWGENE1"))
    bundle = patient_bundle(report)
    Bundle.model_validate(bundle)
    g = next(o for o in by_profile(bundle, "genotype") if gene_of(o) == "NEWGENE1")
    assert component(g, "48018-6") == [{"text": "NEWGENE1"}]
